/* dict_composite - the tables of a unionmap: or pipemap: (see dict_composite.h) */
#include <stdlib.h>
#include <string.h>

#include "dict_composite.h"
#include "textutil.h"
#include "xalloc.h"

static char *bad_syntax(const char *type, const char *name)
{
    return dict_format_error("bad syntax: \"%s:%s\"; need \"%s:{type:name...}\"",
			     type, name, type);
}

static void list_close(struct dict_list *list)
{
    char *err;

    for (size_t i = 0; i < list->count; i++) {
	dict_close(list->tables[i], &err);
	free(err);
    }
    free(list->tables);
    list->tables = NULL;
    list->count = 0;
}

/* list_open - open each table of name; 0, or -1 with *err */
static int list_open(struct dict_list *list, const char *type, const char *name,
		     unsigned flags, const struct diag_sink *sink, char **err)
{
    size_t len = strlen(name);

    list->tables = NULL;
    list->count = 0;
    if (!brace_group(name)) {
	*err = bad_syntax(type, name);
	return -1;
    }
    char *inner = xstrndup(name + 1, len - 2), *cp = inner, *item;
    while ((item = str_tokq(&cp, CHARS_COMMA_SP)) != NULL) {
	struct dict *dict;
	if (strchr(item, ':') == NULL) {
	    *err = bad_syntax(type, name);
	    break;
	}
	if ((dict = dict_open_to(item, DICT_READ, flags, sink, err)) == NULL)
	    break;
	list->tables = xrealloc(list->tables, (list->count + 1) * sizeof(*list->tables));
	list->tables[list->count++] = dict;
    }
    free(inner);
    if (*err == NULL && list->count == 0)
	*err = bad_syntax(type, name);
    if (*err != NULL) {
	list_close(list);
	return -1;
    }
    return 0;
}

static int composite_close(struct dict *dict, char **err)
{
    struct dict_composite *ct = (struct dict_composite *) dict;

    (void) err;
    list_close(&ct->list);
    sb_free(&ct->result);
    dict_free(dict);
    return 0;
}

struct dict *dict_composite_open(const struct dict_type *type, const char *name, unsigned flags,
				 const struct diag_sink *sink, char **err,
				 int (*lookup)(struct dict *, const char *, const char **))
{
    struct dict_list list;

    if (list_open(&list, type->name, name, flags, sink, err) < 0)
	return NULL;
    struct dict_composite *ct = (struct dict_composite *)
	dict_alloc(type, name, flags, sizeof(*ct));
    ct->list = list;
    ct->dict.caps = list.tables[0]->caps & (DICT_CAP_FIXED | DICT_CAP_PATTERN);
    ct->dict.lookup = lookup;
    ct->dict.close = composite_close;
    return &ct->dict;
}
