/* xalloc - allocation that never returns NULL to the caller */
#ifndef PFC_XALLOC_H
#define PFC_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t count, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t len);
/* xconcat - concatenate NULL-terminated list of strings into a new string */
char *xconcat(const char *first, ...);

/*
 * xgrow - ptr reallocated for twice *cap elements of size bytes (16 at
 * first), *cap updated; a count that would overflow is out of memory
 */
void *xgrow(void *ptr, size_t *cap, size_t size);

/*
 * GROW - make room for one more element of the array arr, which holds n
 * of its cap elements (both size_t): the one way arrays grow by doubling
 */
#define GROW(arr, n, cap) do { \
	if ((n) == (cap)) \
	    (arr) = xgrow((arr), &(cap), sizeof(*(arr))); \
    } while (0)

#endif
