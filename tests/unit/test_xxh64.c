/*
 * test_xxh64 - XXH64 as libxxhash computes it is the hash pfc-image(5)
 * fixes for an image's checksum and its keys: vectors printed by
 * "xxhsum -H64" (0.8.1), one for each way through the function (short
 * tails of 1, 4 and 8 bytes, whole 32-byte stripes, a long input), the
 * man page's own, and the same bytes at every alignment (an image's keys
 * sit anywhere in its string pool).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static const struct {
    const char *text;
    uint64_t hash;
} vectors[] = {
    { "", 0xef46db3751d8e999ULL },
    { "a", 0xd24ec4f1a98c6e5bULL },
    { "abc", 0x44bc2cf5ad770999ULL },
    { "abcd", 0xde0327b0d25d92ccULL },
    { "abcdefgh", 0x3ad351775b4634b7ULL },
    { "info@example.com", 0x73c4de8f6831014aULL },
    { "user1@example-domain-7919.com", 0x2ac54c9ffee1fff9ULL },
    { "0123456789abcdef0123456789abcde", 0x1fdfc63febacfde7ULL },
    { "0123456789abcdef0123456789abcdef", 0x642a94958e71e6c5ULL },
    { "The quick brown fox jumps over the lazy dog", 0x0b242d361fda71bcULL },
    { "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0",
      0x833cd5aa4efe57a5ULL },
};

static void test_vectors(void **state)
{
    (void) state;
    for (size_t i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
	uint64_t got = XXH64(vectors[i].text, strlen(vectors[i].text), 0);

	if (got != vectors[i].hash)
	    fail_msg("XXH64(\"%s\") = %016llx, want %016llx", vectors[i].text,
		     (unsigned long long) got, (unsigned long long) vectors[i].hash);
    }
}

/* The image's key hash: the low 32 bits (pfc-image(5)'s example). */
static void test_key_hash(void **state)
{
    (void) state;
    assert_int_equal((uint32_t) XXH64("info@example.com", 16, 0), 0x6831014aU);
}

static void test_million_a(void **state)
{
    char *a = malloc(1000000);

    (void) state;
    assert_non_null(a);
    memset(a, 'a', 1000000);
    assert_true(XXH64(a, 1000000, 0) == 0xdc483aaa9b4fdc40ULL);
    free(a);
}

static void test_alignment(void **state)
{
    static const char text[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0";
    char buf[sizeof(text) + 8];

    (void) state;
    for (size_t off = 0; off < 8; off++) {
	memcpy(buf + off, text, sizeof(text) - 1);
	assert_true(XXH64(buf + off, sizeof(text) - 1, 0) == 0x833cd5aa4efe57a5ULL);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_vectors),
	cmocka_unit_test(test_key_hash),
	cmocka_unit_test(test_million_a),
	cmocka_unit_test(test_alignment),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
