/* dict_composite - unionmap:{...} and pipemap:{...}: a table made of a list of tables */
#ifndef PFC_DICT_COMPOSITE_H
#define PFC_DICT_COMPOSITE_H

#include "dict.h"
#include "strbuf.h"

struct dict_list {
    struct dict **tables;
    size_t count;
};

/* The table: the tables of the list, and room for a lookup's result. */
struct dict_composite {
    struct dict dict;
    struct dict_list list;
    struct strbuf result;
};

/*
 * dict_composite_open - a table of type (unionmap, pipemap) over each
 * "type:name" of name, "{t1:n1, t2:n2, ...}", their warnings to sink;
 * lookup answers its lookups. Errors use Postfix's words for the type
 * (e.g. "bad syntax: \"unionmap:...\"; need \"unionmap:{type:name...}\"").
 */
struct dict *dict_composite_open(const struct dict_type *type, const char *name, unsigned flags,
				 const struct diag_sink *sink, char **err,
				 int (*lookup)(struct dict *, const char *, const char **));

#endif
