/* xalloc - allocation that never returns NULL: out of memory is fatal */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

static void out_of_memory(size_t size)
{
    fprintf(stderr, "pfc: fatal: out of memory allocating %zu bytes\n", size);
    exit(2);
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (p == NULL)
	out_of_memory(size);
    return p;
}

void *xcalloc(size_t count, size_t size)
{
    void *p = calloc(count ? count : 1, size ? size : 1);
    if (p == NULL)
	out_of_memory(count * size);
    return p;
}

void *xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (p == NULL)
	out_of_memory(size);
    return p;
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
