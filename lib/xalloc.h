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

#endif
