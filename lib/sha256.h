/*
 * sha256 - SHA-256 (FIPS 180-4) through OpenSSL's libcrypto, the one
 * place that knows the library: the source stamp of an indexed table
 * (pfc map records the digest of the source it built from, and pfc check
 * compares it with the source beside the table), and the digests of an
 * image's sources and its content id.
 */
#ifndef PFC_SHA256_H
#define PFC_SHA256_H

#include <stddef.h>
#include <stdio.h>

#define SHA256_DIGEST_SIZE 32
#define SHA256_HEX_SIZE 65	/* 64 hex digits and a NUL */

/* sha256_digest - the digest of data */
void sha256_digest(const void *data, size_t len, unsigned char digest[SHA256_DIGEST_SIZE]);

/* sha256_hex - the digest of data in lowercase hex */
void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_SIZE]);

/*
 * A digest of bytes that come in pieces: sha256_begin(), sha256_add() for
 * each piece in order, sha256_end() (which frees h).
 */
struct sha256;
struct sha256 *sha256_begin(void);
void sha256_add(struct sha256 *h, const void *data, size_t len);
void sha256_end(struct sha256 *h, unsigned char digest[SHA256_DIGEST_SIZE]);

/* sha256_to_hex - digest in lowercase hex */
void sha256_to_hex(const unsigned char digest[SHA256_DIGEST_SIZE], char hex[SHA256_HEX_SIZE]);

/*
 * sha256_stream - the hex digest and byte count of what is left to read
 * of fp. Returns 0, or -1 on a read error (errno set).
 */
int sha256_stream(FILE *fp, char hex[SHA256_HEX_SIZE], long long *size);

#endif
