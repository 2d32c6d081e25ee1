/*
 * sha256 - SHA-256 (FIPS 180-4), for the source stamp of an indexed
 * table: pfc map records the digest of the source it built from, and
 * pfc check compares it with the source beside the table.
 */
#ifndef PFC_SHA256_H
#define PFC_SHA256_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define SHA256_DIGEST_SIZE 32
#define SHA256_HEX_SIZE 65	/* 64 hex digits and a NUL */

struct sha256 {
    uint32_t state[8];
    uint64_t length;		/* bytes hashed so far */
    unsigned char block[64];
    size_t used;		/* bytes waiting in block */
};

void sha256_init(struct sha256 *ctx);
void sha256_update(struct sha256 *ctx, const void *data, size_t len);
void sha256_final(struct sha256 *ctx, unsigned char digest[SHA256_DIGEST_SIZE]);

/* sha256_hex - the digest of data in lowercase hex */
void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_SIZE]);

/*
 * sha256_stream - the hex digest and byte count of what is left to read
 * of fp. Returns 0, or -1 on a read error (errno set).
 */
int sha256_stream(FILE *fp, char hex[SHA256_HEX_SIZE], long long *size);

/* sha256_portable_only - never use the CPU's SHA instructions (for tests) */
void sha256_portable_only(int on);

#endif
