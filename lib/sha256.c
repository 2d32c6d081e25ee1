/*
 * sha256 - SHA-256 by OpenSSL's libcrypto (EVP), which runs the rounds on
 * the processor's SHA extensions where it has them. A digest the library
 * cannot make (out of memory, a broken OpenSSL configuration) ends the
 * program: no caller has a way on without it.
 */
#include <errno.h>

#include <openssl/err.h>
#include <openssl/evp.h>

#include "diag.h"
#include "sha256.h"

/* failed - OpenSSL's reason, and exit */
__attribute__((noreturn))
static void failed(void)
{
    unsigned long code = ERR_get_error();
    char reason[256] = "failed";

    if (code != 0)
	ERR_error_string_n(code, reason, sizeof(reason));
    diag_fatal("SHA-256 (OpenSSL libcrypto): %s", reason);
}

void sha256_digest(const void *data, size_t len, unsigned char digest[SHA256_DIGEST_SIZE])
{
    if (!EVP_Digest(data, len, digest, NULL, EVP_sha256(), NULL))
	failed();
}

static void to_hex(const unsigned char digest[SHA256_DIGEST_SIZE], char hex[SHA256_HEX_SIZE])
{
    static const char digits[] = "0123456789abcdef";

    for (int i = 0; i < SHA256_DIGEST_SIZE; i++) {
	hex[2 * i] = digits[digest[i] >> 4];
	hex[2 * i + 1] = digits[digest[i] & 15];
    }
    hex[2 * SHA256_DIGEST_SIZE] = 0;
}

void sha256_hex(const void *data, size_t len, char hex[SHA256_HEX_SIZE])
{
    unsigned char digest[SHA256_DIGEST_SIZE];

    sha256_digest(data, len, digest);
    to_hex(digest, hex);
}

int sha256_stream(FILE *fp, char hex[SHA256_HEX_SIZE], long long *size)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char digest[SHA256_DIGEST_SIZE];
    char buf[65536];
    long long total = 0;
    size_t n;

    if (ctx == NULL || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL))
	failed();
    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
	if (!EVP_DigestUpdate(ctx, buf, n))
	    failed();
	total += (long long) n;
    }
    if (ferror(fp)) {
	int saved = errno;

	EVP_MD_CTX_free(ctx);
	errno = saved;
	return -1;
    }
    if (!EVP_DigestFinal_ex(ctx, digest, NULL))
	failed();
    EVP_MD_CTX_free(ctx);
    to_hex(digest, hex);
    *size = total;
    return 0;
}
