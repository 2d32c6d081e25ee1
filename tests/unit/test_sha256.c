/*
 * test_sha256 - lib/sha256 over OpenSSL: the FIPS 180-2 / NIST example
 * vectors ("", "abc", the 448-bit message, one million 'a'), the digest
 * in bytes and in hex, and sha256_stream on files (one of a million 'a',
 * read in several buffers) and on a stream that cannot be read.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sha256.h"

static void hex_of(const char *text, const char *expect)
{
    char hex[SHA256_HEX_SIZE];

    sha256_hex(text, strlen(text), hex);
    assert_string_equal(hex, expect);
}

static void test_vectors(void **state)
{
    (void) state;
    hex_of("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    hex_of("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
	   "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static const char million_a_hex[] =
    "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";

static void test_million_a(void **state)
{
    static const unsigned char expect[SHA256_DIGEST_SIZE] = {
	0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92, 0x81, 0xa1, 0xc7, 0xe2,
	0x84, 0xd7, 0x3e, 0x67, 0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97, 0x20, 0x0e,
	0x04, 0x6d, 0x39, 0xcc, 0xc7, 0x11, 0x2c, 0xd0,
    };
    unsigned char digest[SHA256_DIGEST_SIZE];
    char *a = malloc(1000000);

    (void) state;
    assert_non_null(a);
    memset(a, 'a', 1000000);
    sha256_digest(a, 1000000, digest);
    assert_memory_equal(digest, expect, sizeof(expect));
    free(a);
}

/* stream_check - sha256_stream of fp from offset skip gives expect and size; closes fp */
static void stream_check(FILE *fp, long skip, const char *expect, long long expect_size)
{
    char hex[SHA256_HEX_SIZE];
    long long size = -1;

    assert_int_equal(fseek(fp, skip, SEEK_SET), 0);
    assert_int_equal(sha256_stream(fp, hex, &size), 0);
    assert_string_equal(hex, expect);
    assert_int_equal(size, expect_size);
    fclose(fp);
}

static void test_stream(void **state)
{
    FILE *fp = tmpfile();

    (void) state;
    assert_non_null(fp);
    fputs("abc", fp);
    stream_check(fp, 0, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 3);
}

/* A million 'a' read in several buffers, from an offset: what is left is hashed. */
static void test_stream_long(void **state)
{
    FILE *fp = tmpfile();

    (void) state;
    assert_non_null(fp);
    fputs("skipped", fp);
    for (int i = 0; i < 1000000; i++)
	putc('a', fp);
    stream_check(fp, 7, million_a_hex, 1000000);
}

/* A stream open for writing only: fread fails, sha256_stream says so. */
static void test_stream_error(void **state)
{
    char hex[SHA256_HEX_SIZE];
    long long size = -1;
    FILE *fp = fopen("/dev/null", "w");

    (void) state;
    assert_non_null(fp);
    errno = 0;
    assert_int_equal(sha256_stream(fp, hex, &size), -1);
    assert_int_equal(errno, EBADF);
    assert_int_equal(size, -1);
    fclose(fp);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_vectors),
	cmocka_unit_test(test_million_a),
	cmocka_unit_test(test_stream),
	cmocka_unit_test(test_stream_long),
	cmocka_unit_test(test_stream_error),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
