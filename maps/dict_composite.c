/* dict_composite - parse and open the tables of a unionmap: or pipemap: */
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

int dict_list_open(struct dict_list *list, const char *type, const char *name,
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
	dict_list_close(list);
	return -1;
    }
    return 0;
}

void dict_list_close(struct dict_list *list)
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
