/* dict_composite - the table list inside unionmap:{...} and pipemap:{...} */
#ifndef PFC_DICT_COMPOSITE_H
#define PFC_DICT_COMPOSITE_H

#include "dict.h"

struct dict_list {
    struct dict **tables;
    size_t count;
};

/*
 * dict_list_open - open each "type:name" of "{t1:n1, t2:n2, ...}", their
 * warnings to sink. Errors use Postfix's words for the composite type
 * (e.g. "bad syntax: \"unionmap:...\"; need \"unionmap:{type:name...}\"").
 */
int dict_list_open(struct dict_list *list, const char *type, const char *name,
		   unsigned flags, const struct diag_sink *sink, char **err);
void dict_list_close(struct dict_list *list);

#endif
