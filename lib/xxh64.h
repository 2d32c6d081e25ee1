/*
 * xxh64 - the XXH64 hash (Yann Collet's xxHash, 64-bit variant), for the
 * policy image: its checksum (fast enough to check a 100 MB image at
 * memory speed on every load, unlike SHA-256) and the hash of the keys
 * of its exact-match tables. Not a cryptographic hash; the image's
 * content id is SHA-256.
 */
#ifndef PFC_XXH64_H
#define PFC_XXH64_H

#include <stddef.h>
#include <stdint.h>

/* xxh64 - the XXH64 digest of data with seed */
uint64_t xxh64(const void *data, size_t len, uint64_t seed);

#endif
