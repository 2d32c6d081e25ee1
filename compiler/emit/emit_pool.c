/*
 * emit_pool - the image's string pool (STRS), built in place in the
 * image buffer from POOL_BASE on, so a 50 MB pool is never copied (see
 * emit.h). Offset 0 is the empty string; every string ends with a NUL.
 */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "emit.h"
#include "xalloc.h"

void pool_init(struct pool *p, struct strbuf *out, size_t expect_strings)
{
    p->out = out;
    p->cap = 1024;
    while (p->cap < 2 * expect_strings)
	p->cap *= 2;
    p->index = xcalloc(p->cap, sizeof(*p->index));
    p->used = 0;
    sb_addch(out, 0);		/* offset 0: the empty string */
}

void pool_free(struct pool *p)
{
    free(p->index);
    p->index = NULL;
}

const char *pool_at(const struct pool *p, uint32_t off)
{
    return p->out->s + POOL_BASE + off;
}

static void pool_grow(struct pool *p)
{
    size_t cap = 2 * p->cap;
    uint64_t *index = xcalloc(cap, sizeof(*index));

    for (size_t i = 0; i < p->cap; i++) {
	uint64_t e = p->index[i];
	if (e == 0)
	    continue;
	size_t j = (size_t) (e >> 32) & (cap - 1);
	while (index[j] != 0)
	    j = (j + 1) & (cap - 1);
	index[j] = e;
    }
    free(p->index);
    p->index = index;
    p->cap = cap;
}

/*
 * pool_append - s added without looking for it: the keys of an exact
 * table, unique in their table, which a million probes would rarely find
 * anywhere else.
 */
uint32_t pool_append(struct pool *p, const char *s, size_t len)
{
    struct strbuf *out = p->out;
    size_t off = out->len - POOL_BASE;

    if (len == 0)
	return 0;
    if (off + len + 1 > UINT32_MAX)
	diag_fatal("build: the string pool would pass 4 GB, the image's limit");
    sb_grow(out, len + 1);
    memcpy(out->s + out->len, s, len);
    out->len += len;
    out->s[out->len++] = 0;
    out->s[out->len] = 0;
    return (uint32_t) off;
}

uint32_t pool_intern_hashed(struct pool *p, const char *s, size_t len, uint32_t h)
{
    if (len == 0)
	return 0;
    if (2 * (p->used + 1) > p->cap)
	pool_grow(p);
    size_t mask = p->cap - 1, j = h & mask;
    for (uint64_t e; (e = p->index[j]) != 0; j = (j + 1) & mask) {
	if ((uint32_t) (e >> 32) != h)
	    continue;
	const char *have = pool_at(p, (uint32_t) e);
	if (memcmp(have, s, len) == 0 && have[len] == 0)
	    return (uint32_t) e;
    }
    uint32_t off = pool_append(p, s, len);
    p->index[j] = (uint64_t) h << 32 | off;
    p->used++;
    return off;
}

uint32_t pool_intern(struct pool *p, const char *s)
{
    if (s == NULL)
	return 0;
    size_t len = strlen(s);
    return pool_intern_hashed(p, s, len, img_hash(s, len));
}
