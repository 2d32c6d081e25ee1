/* htorder - Postfix's htable(3) member order (see htorder.h) */
#include <stdlib.h>
#include <string.h>

#include "htorder.h"
#include "xalloc.h"

#define FNV_PRIME 0x00000100000001B3ULL
#define FNV_BASIS 0xcbf29ce484222325ULL
#define NO_NODE ((size_t) -1)

uint64_t htorder_hash(const char *key)
{
    uint64_t hash = FNV_BASIS;

    /* Postfix adds one to each byte, so that a NUL byte still counts. */
    for (const unsigned char *cp = (const unsigned char *) key; *cp; cp++) {
	hash ^= (uint64_t) *cp + 1;
	hash *= FNV_PRIME;
    }
    return hash;
}

/* first_size - htable_create(): at least 13 buckets, an odd number */
static size_t first_size(size_t initial)
{
    return (initial < 13 ? 13 : initial) | 1;
}

size_t htorder_size(size_t initial, size_t count)
{
    size_t size = first_size(initial);

    /* htable_enter() doubles the table when it is full before an insertion. */
    for (size_t used = 0; used < count; used++)
	if (used >= size)
	    size = (2 * size) | 1;
    return size;
}

/* A simulated table: bucket heads and chain links, as node indexes. */
struct table {
    size_t *head;
    size_t *next;
    size_t size;
};

/* link_node - htable_link(): a member goes to the front of its chain */
static void link_node(struct table *t, size_t node, const uint64_t *hash)
{
    size_t *h = &t->head[hash[node] % t->size];

    t->next[node] = *h;
    *h = node;
}

/* grow - htable_grow(): relink every chain, front to back, bucket by bucket */
static void grow(struct table *t, const uint64_t *hash)
{
    size_t *old = t->head, old_size = t->size;

    t->size = (2 * old_size) | 1;
    t->head = xmalloc(t->size * sizeof(*t->head));
    for (size_t i = 0; i < t->size; i++)
	t->head[i] = NO_NODE;
    for (size_t b = 0; b < old_size; b++) {
	for (size_t node = old[b], next; node != NO_NODE; node = next) {
	    next = t->next[node];
	    link_node(t, node, hash);
	}
    }
    free(old);
}

void htorder_sort(const char **keys, size_t count, size_t initial)
{
    struct table t;
    uint64_t *hash = xmalloc((count + 1) * sizeof(*hash));
    const char **copy = xmalloc((count + 1) * sizeof(*copy));

    t.size = first_size(initial);
    t.head = xmalloc(t.size * sizeof(*t.head));
    t.next = xmalloc((count + 1) * sizeof(*t.next));
    for (size_t i = 0; i < t.size; i++)
	t.head[i] = NO_NODE;
    for (size_t node = 0; node < count; node++) {
	if (node >= t.size)
	    grow(&t, hash);
	hash[node] = htorder_hash(keys[node]);
	link_node(&t, node, hash);
    }
    memcpy(copy, keys, count * sizeof(*copy));
    size_t out = 0;
    for (size_t b = 0; b < t.size; b++)
	for (size_t node = t.head[b]; node != NO_NODE; node = t.next[node])
	    keys[out++] = copy[node];
    free(copy);
    free(t.head);
    free(t.next);
    free(hash);
}
