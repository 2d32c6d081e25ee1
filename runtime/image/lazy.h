/*
 * lazy - what the lookups (image_lookup.c) ask of the verifier
 * (loader.c) on an image opened with image_open_lazy(): the contents of
 * a table, and the bytes an exact table's probe reads, checked just
 * before they are read. Private to runtime/image.
 */
#ifndef PFC_RUNTIME_LAZY_H
#define PFC_RUNTIME_LAZY_H

#include <stddef.h>
#include <stdint.h>

#include "loader.h"

/*
 * lazy_table - table t's contents as image_open() would check them (a
 * pattern table's rules, pieces and networks, its patterns compiled; a
 * composite's members, each the same way), once; an exact table's
 * entries and slots are left to lazy_bytes() and lazy_string(), probe by
 * probe. 0, or -1 with *err the refusal ("LABEL: corrupt: ...").
 */
int lazy_table(const struct image *img, uint32_t t, char **err);

/* lazy_bytes - the blocks holding [p, p+len) of the image, checked; 0 or -1 */
int lazy_bytes(const struct image *img, const void *p, size_t len, char **err);

/*
 * lazy_string - string off of the pool (off < strings_size, checked by
 * the caller), checked up to its NUL; 0 or -1
 */
int lazy_string(const struct image *img, uint32_t off, char **err);

/* lazy_corrupt - a refusal about what a probe read: "LABEL: corrupt: ..." */
char *lazy_corrupt(const struct image *img, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
