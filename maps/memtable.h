/*
 * memtable - the in-memory key/value store behind the fixed-key tables
 * that are read whole at open time (texthash, inline).
 */
#ifndef PFC_MEMTABLE_H
#define PFC_MEMTABLE_H

#include "dict.h"
#include "strbuf.h"
#include "strmap.h"

struct memtable {
    struct dict dict;		/* first: a memtable is a dict */
    struct strmap entries;	/* folded key -> value */
    struct strbuf fold_buf;
    size_t seq_pos;
};

/* memtable_open - an empty table; the caller fills it with memtable_put */
struct memtable *memtable_open(const struct dict_type *type, const char *name,
			       unsigned flags);
/* memtable_put - returns 1 when the key was already there (nothing changed) */
int memtable_put(struct memtable *mt, const char *key, const char *value, int replace);

#endif
