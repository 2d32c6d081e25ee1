/* dict_unionmap - unionmap:{t1:n1, t2:n2}: every table's result, joined by commas */
#include <stdlib.h>

#include "dict_composite.h"
#include "strbuf.h"

struct union_table {
    struct dict dict;
    struct dict_list list;
    struct strbuf result;
};

static int union_lookup(struct dict *dict, const char *key, const char **value)
{
    struct union_table *ut = (struct union_table *) dict;

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

static int union_close(struct dict *dict, char **err)
{
    struct union_table *ut = (struct union_table *) dict;

    (void) err;
    dict_list_close(&ut->list);
    sb_free(&ut->result);
    dict_free(dict);
    return 0;
}

static struct dict *union_open(const char *name, int mode, unsigned flags,
			       const struct diag_sink *sink, char **err);

const struct dict_type dict_type_unionmap = {
    "unionmap", DICT_CAP_FIXED, union_open, NULL,
};

static struct dict *union_open(const char *name, int mode, unsigned flags,
			       const struct diag_sink *sink, char **err)
{
    struct dict_list list;

    (void) mode;
    if (dict_list_open(&list, "unionmap", name, flags, sink, err) < 0)
	return NULL;
    struct union_table *ut = (struct union_table *)
	dict_alloc(&dict_type_unionmap, name, flags, sizeof(*ut));
    ut->list = list;
    ut->dict.caps = list.tables[0]->caps & (DICT_CAP_FIXED | DICT_CAP_PATTERN);
    ut->dict.lookup = union_lookup;
    ut->dict.close = union_close;
    return &ut->dict;
}
