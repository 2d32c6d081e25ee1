/* dict_pipemap - pipemap:{t1:n1, t2:n2}: each table's result is the next one's key */
#include <stdlib.h>

#include "dict_composite.h"
#include "strbuf.h"

struct pipe_table {
    struct dict dict;
    struct dict_list list;
    struct strbuf result;
};

static int pipe_lookup(struct dict *dict, const char *key, const char **value)
{
    struct pipe_table *pt = (struct pipe_table *) dict;

    sb_set(&pt->result, key);
    for (size_t i = 0; i < pt->list.count; i++) {
	struct dict *t = pt->list.tables[i];
	const char *found;
	char *query = sb_detach(&pt->result);
	int status = t->lookup(t, query, &found);
	free(query);
	if (status == DICT_FAIL)
	    return dict_set_error(dict, "%s", t->error ? t->error : "lookup error");
	if (status == DICT_NOTFOUND) {
	    *value = NULL;
	    return DICT_NOTFOUND;
	}
	sb_set(&pt->result, found);
    }
    *value = sb_str(&pt->result);
    return DICT_FOUND;
}

static int pipe_close(struct dict *dict, char **err)
{
    struct pipe_table *pt = (struct pipe_table *) dict;

    (void) err;
    dict_list_close(&pt->list);
    sb_free(&pt->result);
    dict_free(dict);
    return 0;
}

static struct dict *pipe_open(const char *name, int mode, unsigned flags,
			      const struct diag_sink *sink, char **err);

const struct dict_type dict_type_pipemap = {
    "pipemap", DICT_CAP_FIXED, pipe_open, NULL,
};

static struct dict *pipe_open(const char *name, int mode, unsigned flags,
			      const struct diag_sink *sink, char **err)
{
    struct dict_list list;

    (void) mode;
    if (dict_list_open(&list, "pipemap", name, flags, sink, err) < 0)
	return NULL;
    struct pipe_table *pt = (struct pipe_table *)
	dict_alloc(&dict_type_pipemap, name, flags, sizeof(*pt));
    pt->list = list;
    pt->dict.caps = list.tables[0]->caps & (DICT_CAP_FIXED | DICT_CAP_PATTERN);
    pt->dict.lookup = pipe_lookup;
    pt->dict.close = pipe_close;
    return &pt->dict;
}
