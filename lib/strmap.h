/* strmap - a string-keyed hash table; keys are copied, values are the caller's */
#ifndef PFC_STRMAP_H
#define PFC_STRMAP_H

#include <stddef.h>
#include <stdint.h>

struct strmap_slot {
    char *key;			/* NULL: empty; TOMBSTONE: deleted */
    void *value;
    uint64_t hash;
};

struct strmap {
    struct strmap_slot *slots;
    size_t cap;			/* power of two */
    size_t used;		/* live entries */
    size_t filled;		/* live entries plus tombstones */
};

uint64_t strmap_hash(const char *s, size_t len);
void strmap_init(struct strmap *map);
void *strmap_get(const struct strmap *map, const char *key);
int strmap_has(const struct strmap *map, const char *key);
/* strmap_put - insert or replace; returns the old value or NULL */
void *strmap_put(struct strmap *map, const char *key, void *value);
/* strmap_del - remove; returns the old value or NULL */
void *strmap_del(struct strmap *map, const char *key);
/* strmap_next - iterate: start with *pos = 0; returns NULL at the end */
struct strmap_slot *strmap_next(const struct strmap *map, size_t *pos);
/* strmap_keys - the live keys in a new NULL-terminated array, strcmp-sorted */
const char **strmap_sorted_keys(const struct strmap *map);
void strmap_free(struct strmap *map, void (*free_value)(void *));

#endif
