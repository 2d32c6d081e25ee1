/* dict_static - static:value and static:{value with spaces}: every key finds it */
#include <stdlib.h>
#include <string.h>

#include "dict.h"
#include "textutil.h"
#include "xalloc.h"

struct static_table {
    struct dict dict;
    char *value;
};

static int static_lookup(struct dict *dict, const char *key, const char **value)
{
    (void) key;
    *value = ((struct static_table *) dict)->value;
    return DICT_FOUND;
}

static int static_close(struct dict *dict, char **err)
{
    (void) err;
    free(((struct static_table *) dict)->value);
    dict_free(dict);
    return 0;
}

static struct dict *static_open(const char *name, int mode, unsigned flags,
				const struct diag_sink *sink, char **err);

const struct dict_type dict_type_static = {
    "static", DICT_CAP_FIXED, static_open, NULL,
};

static struct dict *static_open(const char *name, int mode, unsigned flags,
				const struct diag_sink *sink, char **err)
{
    char *copy = xstrdup(name), *value = copy, *problem;

    (void) mode;
    (void) sink;
    if (name[0] == '{' && (problem = extract_braces(&value, 1)) != NULL) {
	*err = dict_format_error("bad static:name syntax: %s", problem);
	free(problem);
	free(copy);
	return NULL;
    }
    struct static_table *st = (struct static_table *)
	dict_alloc(&dict_type_static, name, flags, sizeof(*st));
    st->value = xstrdup(value);
    st->dict.lookup = static_lookup;
    st->dict.close = static_close;
    free(copy);
    return &st->dict;
}
