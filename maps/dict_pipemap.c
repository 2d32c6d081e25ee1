/* dict_pipemap - pipemap:{t1:n1, t2:n2}: each table's result is the next one's key */
#include <stdlib.h>

#include "dict_composite.h"

static int pipe_lookup(struct dict *dict, const char *key, const char **value)
{
    struct dict_composite *pt = (struct dict_composite *) dict;

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

static struct dict *pipe_open(const char *name, int mode, unsigned flags,
			      const struct diag_sink *sink, char **err);

const struct dict_type dict_type_pipemap = {
    "pipemap", DICT_CAP_FIXED, pipe_open, NULL,
};

static struct dict *pipe_open(const char *name, int mode, unsigned flags,
			      const struct diag_sink *sink, char **err)
{
    (void) mode;
    return dict_composite_open(&dict_type_pipemap, name, flags, sink, err, pipe_lookup);
}
