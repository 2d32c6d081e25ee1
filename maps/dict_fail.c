/* dict_fail - fail:name: every lookup fails, to test failure handling */
#include "dict.h"

static int fail_lookup(struct dict *dict, const char *key, const char **value)
{
    (void) key;
    *value = NULL;
    return dict_set_error(dict, "Application error");
}

static int fail_close(struct dict *dict, char **err)
{
    (void) err;
    dict_free(dict);
    return 0;
}

static struct dict *fail_open(const char *name, int mode, unsigned flags,
			      const struct diag_sink *sink, char **err)
{
    extern const struct dict_type dict_type_fail;
    struct dict *dict = dict_alloc(&dict_type_fail, name, flags, sizeof(*dict));

    (void) mode;
    (void) sink;
    (void) err;
    dict->lookup = fail_lookup;
    dict->close = fail_close;
    return dict;
}

const struct dict_type dict_type_fail = {
    "fail", DICT_CAP_FIXED, fail_open, NULL,
};
