/* strmap - open addressing with linear probing and tombstones */
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "xalloc.h"

static char tombstone[1];
#define TOMBSTONE tombstone

/* strmap_hash - FNV-1a, 64 bit */
uint64_t strmap_hash(const char *s, size_t len)
{
    uint64_t h = 14695981039346656037ULL;

    for (size_t i = 0; i < len; i++) {
	h ^= (unsigned char) s[i];
	h *= 1099511628211ULL;
    }
    return h;
}

void strmap_init(struct strmap *map)
{
    map->slots = NULL;
    map->cap = map->used = map->filled = 0;
}

static struct strmap_slot *find_hashed(const struct strmap *map, const char *key,
				       uint64_t hash)
{
    if (map->cap == 0)
	return NULL;
    size_t mask = map->cap - 1;
    size_t i = (size_t) hash & mask;
    for (;;) {
	struct strmap_slot *slot = map->slots + i;
	if (slot->key == NULL)
	    return NULL;
	if (slot->hash == hash && slot->key != TOMBSTONE && strcmp(slot->key, key) == 0)
	    return slot;
	i = (i + 1) & mask;
    }
}

static struct strmap_slot *find(const struct strmap *map, const char *key)
{
    if (map->cap == 0)
	return NULL;
    return find_hashed(map, key, strmap_hash(key, strlen(key)));
}

static void rehash(struct strmap *map, size_t cap)
{
    struct strmap_slot *old = map->slots;
    size_t old_cap = map->cap;

    map->slots = xcalloc(cap, sizeof(*map->slots));
    map->cap = cap;
    map->filled = map->used;
    for (size_t j = 0; j < old_cap; j++) {
	if (old[j].key == NULL || old[j].key == TOMBSTONE)
	    continue;
	size_t i = (size_t) old[j].hash & (cap - 1);
	while (map->slots[i].key != NULL)
	    i = (i + 1) & (cap - 1);
	map->slots[i] = old[j];
    }
    free(old);
}

void *strmap_get(const struct strmap *map, const char *key)
{
    struct strmap_slot *slot = find(map, key);

    return slot ? slot->value : NULL;
}

int strmap_has(const struct strmap *map, const char *key)
{
    return find(map, key) != NULL;
}

void *strmap_put(struct strmap *map, const char *key, void *value)
{
    uint64_t hash = strmap_hash(key, strlen(key));
    struct strmap_slot *slot = find_hashed(map, key, hash);

    if (slot != NULL) {
	void *old = slot->value;
	slot->value = value;
	return old;
    }
    /* Keep the table at most half full: probe chains stay short. */
    if ((map->filled + 1) * 2 > map->cap)
	rehash(map, map->cap ? (map->used * 4 >= map->cap ? map->cap * 2 : map->cap) : 16);
    size_t i = (size_t) hash & (map->cap - 1);
    while (map->slots[i].key != NULL && map->slots[i].key != TOMBSTONE)
	i = (i + 1) & (map->cap - 1);
    if (map->slots[i].key == NULL)
	map->filled++;
    map->slots[i].key = xstrdup(key);
    map->slots[i].value = value;
    map->slots[i].hash = hash;
    map->used++;
    return NULL;
}

void *strmap_del(struct strmap *map, const char *key)
{
    struct strmap_slot *slot = find(map, key);

    if (slot == NULL)
	return NULL;
    void *old = slot->value;
    free(slot->key);
    slot->key = TOMBSTONE;
    slot->value = NULL;
    map->used--;
    return old;
}

struct strmap_slot *strmap_next(const struct strmap *map, size_t *pos)
{
    while (*pos < map->cap) {
	struct strmap_slot *slot = map->slots + (*pos)++;
	if (slot->key != NULL && slot->key != TOMBSTONE)
	    return slot;
    }
    return NULL;
}

static int compare_keys(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

const char **strmap_sorted_keys(const struct strmap *map)
{
    const char **keys = xmalloc((map->used + 1) * sizeof(*keys));
    size_t n = 0, pos = 0;
    struct strmap_slot *slot;

    while ((slot = strmap_next(map, &pos)) != NULL)
	keys[n++] = slot->key;
    qsort(keys, n, sizeof(*keys), compare_keys);
    keys[n] = NULL;
    return keys;
}

void strmap_free(struct strmap *map, void (*free_value)(void *))
{
    for (size_t i = 0; i < map->cap; i++) {
	if (map->slots[i].key == NULL || map->slots[i].key == TOMBSTONE)
	    continue;
	free(map->slots[i].key);
	if (free_value)
	    free_value(map->slots[i].value);
    }
    free(map->slots);
    strmap_init(map);
}
