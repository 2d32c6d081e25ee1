/*
 * htorder - the order in which Postfix's htable(3) lists its members.
 * postconf walks main.cf, each master.cf name space and its table of
 * known names in that order, so the order of its warnings (and which ones
 * come before a fatal error) depends on it. Postfix hashes with a modified
 * FNV-1a from a random basis per process; with NORANDOMIZE set in the
 * environment the basis is FNV's own. pfc reproduces that order, which is
 * always one that postconf can print, and exactly the one that
 * "NORANDOMIZE=1 postconf" prints.
 */
#ifndef PFC_HTORDER_H
#define PFC_HTORDER_H

#include <stddef.h>
#include <stdint.h>

#define HTORDER_DICT_SIZE 0	/* dict_ht(3): htable_create(0) */
#define HTORDER_PARAM_TABLE_SIZE 1000	/* postconf's table of known names */

/* htorder_hash - Postfix's hash_fnv() of key, unrandomized */
uint64_t htorder_hash(const char *key);

/* htorder_size - the bucket count after count insertions into htable_create(initial) */
size_t htorder_size(size_t initial, size_t count);

/*
 * htorder_sort - reorder keys (distinct, given in insertion order) as
 * htable_list() lists them after those insertions into htable_create(initial).
 */
void htorder_sort(const char **keys, size_t count, size_t initial);

#endif
