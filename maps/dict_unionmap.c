/* dict_unionmap - unionmap:{t1:n1, t2:n2}: every table's result, joined by commas */
#include <stdlib.h>

#include "dict_composite.h"

static int union_lookup(struct dict *dict, const char *key, const char **value)
{
    struct dict_composite *ut = (struct dict_composite *) dict;

    sb_reset(&ut->result);
    for (size_t i = 0; i < ut->list.count; i++) {
	struct dict *t = ut->list.tables[i];
	const char *found;
	int status = t->lookup(t, key, &found);
	if (status == DICT_FOUND) {
	    if (ut->result.len > 0)
		sb_addch(&ut->result, ',');
	    sb_adds(&ut->result, found);
	} else if (status == DICT_FAIL) {
	    return dict_set_error(dict, "%s", t->error ? t->error : "lookup error");
	}
    }
    *value = ut->result.len > 0 ? ut->result.s : NULL;
    return *value ? DICT_FOUND : DICT_NOTFOUND;
}

static struct dict *union_open(const char *name, int mode, unsigned flags,
			       const struct diag_sink *sink, char **err);

const struct dict_type dict_type_unionmap = {
    "unionmap", DICT_CAP_FIXED, union_open, NULL,
};

static struct dict *union_open(const char *name, int mode, unsigned flags,
			       const struct diag_sink *sink, char **err)
{
    (void) mode;
    return dict_composite_open(&dict_type_unionmap, name, flags, sink, err, union_lookup);
}
