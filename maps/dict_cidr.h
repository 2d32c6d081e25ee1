/*
 * dict_cidr - the cidr: table's rule reader, which pfc build shares to
 * compile a cidr table into an image.
 */
#ifndef PFC_DICT_CIDR_H
#define PFC_DICT_CIDR_H

#include "cidr.h"

struct pat_list;

/* A cidr: rule's expr: its network, and its pattern as written. */
struct cidr_rule {
    struct cidr_net net;
    char pattern[];
};

/*
 * cidr_load - the rules of cidr table name (a file, or "{...}" text) as
 * the cidr: table reads them, with Postfix's warnings for the rules it
 * skips; each MATCH and IF rule's expr is a struct cidr_rule, which free()
 * frees. Returns 0, or -1 with *err as pat_read_source.
 */
int cidr_load(struct pat_list *list, const char *name, char **err);

#endif
