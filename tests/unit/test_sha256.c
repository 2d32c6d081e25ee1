/*
 * test_sha256 - the FIPS 180-2 / NIST example vectors: "", "abc", the
 * 448-bit message and one million 'a' (fed in uneven pieces, so partial
 * blocks are joined correctly), and sha256_stream on a file; on the
 * SHA-NI rounds where the CPU has them, and on the portable ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
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

static void test_million_a(void **state)
{
    static char a[1000];
    struct sha256 ctx;
    unsigned char digest[SHA256_DIGEST_SIZE];
    static const unsigned char expect[SHA256_DIGEST_SIZE] = {
	0xcd, 0xc7, 0x6e, 0x5c, 0x99, 0x14, 0xfb, 0x92, 0x81, 0xa1, 0xc7, 0xe2,
	0x84, 0xd7, 0x3e, 0x67, 0xf1, 0x80, 0x9a, 0x48, 0xa4, 0x97, 0x20, 0x0e,
	0x04, 0x6d, 0x39, 0xcc, 0xc7, 0x11, 0x2c, 0xd0,
    };

    (void) state;
    memset(a, 'a', sizeof(a));
    sha256_init(&ctx);
    /* 1,000,000 bytes in pieces of 1..999: every block boundary case. */
    size_t done = 0, piece = 1;
    while (done < 1000000) {
	size_t n = piece < 1000000 - done ? piece : 1000000 - done;
	sha256_update(&ctx, a, n);
	done += n;
	piece = piece % 999 + 1;
    }
    sha256_final(&ctx, digest);
    assert_memory_equal(digest, expect, sizeof(expect));
}

static void test_stream(void **state)
{
    char hex[SHA256_HEX_SIZE];
    long long size = -1;
    FILE *fp = tmpfile();

    (void) state;
    assert_non_null(fp);
    fputs("abc", fp);
    rewind(fp);
    assert_int_equal(sha256_stream(fp, hex, &size), 0);
    assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_int_equal(size, 3);
    fclose(fp);
}

/* The same vectors on the portable rounds (the SHA-NI ones where the CPU has them). */
static void test_portable(void **state)
{
    sha256_portable_only(1);
    test_vectors(state);
    test_million_a(state);
    sha256_portable_only(0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_vectors),
	cmocka_unit_test(test_million_a),
	cmocka_unit_test(test_stream),
	cmocka_unit_test(test_portable),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
