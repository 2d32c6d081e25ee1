/* xalloc - allocation that never returns NULL: out of memory is fatal */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "xalloc.h"

static void out_of_memory(size_t size)
{
    fprintf(stderr, "pfc: fatal: out of memory allocating %zu bytes\n", size);
    exit(2);
}

/*
 * large - ask for huge pages behind a block of LARGE_BLOCK bytes or more
 * (Linux's transparent huge pages, "madvise" mode): a build of a million
 * entries fills some 200 MB of text, indexes and image, and with 4 KiB
 * pages each page costs a fault and nearly every random probe a TLB
 * miss (a third less time with them). Advice only: refused, nothing
 * changes.
 */
#define LARGE_BLOCK ((size_t) 4 << 20)

static void *large(void *p, size_t size)
{
#ifdef MADV_HUGEPAGE
    if (size >= LARGE_BLOCK) {
	uintptr_t page = (uintptr_t) sysconf(_SC_PAGESIZE);
	uintptr_t start = ((uintptr_t) p + page - 1) & ~(page - 1);
	uintptr_t end = ((uintptr_t) p + size) & ~(page - 1);
	(void) madvise((void *) start, end - start, MADV_HUGEPAGE);
    }
#endif
    return p;
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL)
	out_of_memory(size);
    return large(p, size);
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p == NULL)
	out_of_memory(count * size);
    return large(p, count * size);
}

void *xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (p == NULL)
	out_of_memory(size);
    return large(p, size);
}

void *xgrow(void *ptr, size_t *cap, size_t size)
{
    size_t want = *cap ? 2 * *cap : 16;

    if (want < *cap || want > SIZE_MAX / size)
	out_of_memory(SIZE_MAX);
    *cap = want;
    return xrealloc(ptr, want * size);
}

char *xstrndup(const char *s, size_t len)
{
    char *p = xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = 0;
    return p;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xconcat(const char *first, ...)
{
    va_list ap;
    size_t len = 0;
    const char *s;
    char *result, *cp;

    va_start(ap, first);
    for (s = first; s != NULL; s = va_arg(ap, const char *))
	len += strlen(s);
    va_end(ap);
    cp = result = xmalloc(len + 1);
    va_start(ap, first);
    for (s = first; s != NULL; s = va_arg(ap, const char *)) {
	size_t n = strlen(s);
	memcpy(cp, s, n);
	cp += n;
    }
    va_end(ap);
    *cp = 0;
    return result;
}
