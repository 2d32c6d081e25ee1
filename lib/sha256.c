/*
 * sha256 - SHA-256 by OpenSSL's libcrypto (EVP), which runs the rounds on
 * the processor's SHA extensions where it has them. A digest the library
 * cannot make (out of memory, a broken OpenSSL configuration) ends the
 * program: no caller has a way on without it.
 *
 * The library is opened on the first digest, not when the program
 * starts: loading and relocating libcrypto costs a process more than
 * everything else a one-shot "pfc query" does (about 4 ms against
 * /bin/true's 2 ms, bench/image.sh), and most commands never hash.
 * OpenSSL 3 names its shared library after its major version.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/opensslv.h>

#include "diag.h"
#include "sha256.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define CRYPTO_SONAME "libcrypto.so." STR(OPENSSL_VERSION_MAJOR)

/* The entry points used, from the library's own declarations. */
static struct {
    __typeof__(EVP_Digest) *digest;
    __typeof__(EVP_sha256) *sha256;
    __typeof__(EVP_MD_CTX_new) *ctx_new;
    __typeof__(EVP_MD_CTX_free) *ctx_free;
    __typeof__(EVP_DigestInit_ex) *init;
    __typeof__(EVP_DigestUpdate) *update;
    __typeof__(EVP_DigestFinal_ex) *final;
    __typeof__(ERR_get_error) *get_error;
    __typeof__(ERR_error_string_n) *error_string;
} crypto;

/* open_crypto - open libcrypto and find the entry points; or exit */
static void open_crypto(void)
{
    void *lib = dlopen(CRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL)
	diag_fatal("SHA-256: cannot load OpenSSL's %s: %s", CRYPTO_SONAME, dlerror());
#define FIND(field, name) \
    if ((*(void **) &crypto.field = dlsym(lib, #name)) == NULL) \
	diag_fatal("SHA-256: %s has no %s", CRYPTO_SONAME, #name)
    FIND(sha256, EVP_sha256);
    FIND(ctx_new, EVP_MD_CTX_new);
    FIND(ctx_free, EVP_MD_CTX_free);
    FIND(init, EVP_DigestInit_ex);
    FIND(update, EVP_DigestUpdate);
    FIND(final, EVP_DigestFinal_ex);
    FIND(get_error, ERR_get_error);
    FIND(error_string, ERR_error_string_n);
    FIND(digest, EVP_Digest);
#undef FIND
}

/* load - open_crypto() once, whichever thread digests first (pfc build's do in parallel) */
static void load(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;

    pthread_once(&once, open_crypto);
}

/* failed - OpenSSL's reason, and exit */
__attribute__((noreturn))
static void failed(void)
{
    unsigned long code = crypto.get_error();
    char reason[256] = "failed";

    if (code != 0)
	crypto.error_string(code, reason, sizeof(reason));
    diag_fatal("SHA-256 (OpenSSL libcrypto): %s", reason);
}

/* struct sha256 is OpenSSL's digest context: the type is only ever a pointer to it. */
struct sha256 *sha256_begin(void)
{
    load();
    EVP_MD_CTX *ctx = crypto.ctx_new();

    if (ctx == NULL || !crypto.init(ctx, crypto.sha256(), NULL))
	failed();
    return (struct sha256 *) ctx;
}

void sha256_add(struct sha256 *h, const void *data, size_t len)
{
    if (!crypto.update((EVP_MD_CTX *) h, data, len))
	failed();
}

void sha256_end(struct sha256 *h, unsigned char digest[SHA256_DIGEST_SIZE])
{
    if (!crypto.final((EVP_MD_CTX *) h, digest, NULL))
	failed();
    crypto.ctx_free((EVP_MD_CTX *) h);
}

#define SHA256_CHUNK 16384

void sha256_digest(const void *data, size_t len, unsigned char digest[SHA256_DIGEST_SIZE])
{
    const char *p = data;

    load();
    if (len <= SHA256_CHUNK) {
	if (!crypto.digest(data, len, digest, NULL, crypto.sha256(), NULL))
	    failed();
	return;
    }
    /*
     * A large input (a mapped table source, cold in the CPU's caches) is
     * copied a chunk at a time into a buffer the hash then reads hot: the
     * copy streams from memory, where the hash's own loads waited at
     * every page.
     */
    struct sha256 *h = sha256_begin();
    for (size_t off = 0; off < len; off += SHA256_CHUNK) {
	size_t n = len - off < SHA256_CHUNK ? len - off : SHA256_CHUNK;
	char chunk[SHA256_CHUNK];
	memcpy(chunk, p + off, n);
	sha256_add(h, chunk, n);
    }
    sha256_end(h, digest);
}

void sha256_to_hex(const unsigned char digest[SHA256_DIGEST_SIZE], char hex[SHA256_HEX_SIZE])
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
    sha256_to_hex(digest, hex);
}

int sha256_stream(FILE *fp, char hex[SHA256_HEX_SIZE], long long *size)
{
    struct sha256 *h = sha256_begin();
    unsigned char digest[SHA256_DIGEST_SIZE];
    char buf[65536];
    long long total = 0;
    size_t n;

    while ((n = fread(buf, 1, sizeof(buf), fp)) > 0) {
	sha256_add(h, buf, n);
	total += (long long) n;
    }
    if (ferror(fp)) {
	int saved = errno;

	crypto.ctx_free((EVP_MD_CTX *) h);
	errno = saved;
	return -1;
    }
    sha256_end(h, digest);
    sha256_to_hex(digest, hex);
    *size = total;
    return 0;
}
