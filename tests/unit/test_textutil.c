/* test_textutil - name=value splitting, brace tokens, brace extraction, fold test */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "textutil.h"

static void test_split_nameval(void **state)
{
    char buf[64], *name, *value;

    (void) state;
    strcpy(buf, "  myhostname   =  a = b \r");
    assert_null(split_nameval(buf, &name, &value));
    assert_string_equal(name, "myhostname");
    assert_string_equal(value, "a = b");
    strcpy(buf, "alias_maps =");
    assert_null(split_nameval(buf, &name, &value));
    assert_string_equal(value, "");
    strcpy(buf, "my hostname = a");
    assert_string_equal(split_nameval(buf, &name, &value),
			"missing '=' after attribute name");
    strcpy(buf, "= a");
    assert_string_equal(split_nameval(buf, &name, &value), "missing attribute name");
}

static void test_tokens_with_braces(void **state)
{
    char buf[] = "a, {b c, d} ,,e}";
    char *bp = buf;

    (void) state;
    assert_string_equal(str_tokq(&bp, CHARS_COMMA_SP), "a");
    assert_string_equal(str_tokq(&bp, CHARS_COMMA_SP), "{b c, d}");
    assert_string_equal(str_tokq(&bp, CHARS_COMMA_SP), "e}");
    assert_null(str_tokq(&bp, CHARS_COMMA_SP));
}

static void test_extract_braces(void **state)
{
    char ok[] = "{ name = value }", bad[] = "{a = b", *bp, *err;

    (void) state;
    bp = ok;
    assert_null(extract_braces(&bp, 1));
    assert_string_equal(bp, "name = value");
    bp = bad;
    err = extract_braces(&bp, 1);
    assert_string_equal(err, "missing '}' in \"{a = b\"");
    assert_string_equal(bp, "a = b");
    free(err);
}

/* fold_may_change: every byte value, at every place of every length to 19 */
static void test_fold_may_change(void **state)
{
    char text[20];

    (void) state;
    assert_false(fold_may_change("", 0));
    assert_false(fold_may_change("user@example.com", 16));
    assert_true(fold_may_change("user@Example.com", 16));
    /* Only len bytes count: the capital after them does not. */
    assert_false(fold_may_change("abcdefghX", 8));
    for (int byte = 1; byte < 256; byte++) {
	int changes = (byte >= 'A' && byte <= 'Z') || byte >= 0x80;
	for (size_t len = 1; len < sizeof(text); len++) {
	    for (size_t at = 0; at < len; at++) {
		memset(text, 'a', sizeof(text));
		text[at] = (char) byte;
		if (fold_may_change(text, len) != changes)
		    fail_msg("byte 0x%02x at %zu of %zu: expected %d", byte, at, len, changes);
	    }
	}
    }
}

/* printable: Postfix's printable() - controls and (without utf8) 8-bit bytes become '?' */
static void test_printable(void **state)
{
    char ascii[] = "In:  MAIL\tFROM:<a\x01" "b@c>\x7f", utf[] = "ok \xc3\xa9 \xc3 x\x80";

    (void) state;
    printable(ascii, 0);
    assert_string_equal(ascii, "In:  MAIL?FROM:<a?b@c>?");
    char copy[sizeof(utf)];
    memcpy(copy, utf, sizeof(utf));
    printable(copy, 0);
    assert_string_equal(copy, "ok ?? ? x?");
    printable(utf, 1);
    /* A well-formed sequence stays; a lone lead or continuation byte does not. */
    assert_string_equal(utf, "ok \xc3\xa9 ? x?");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_split_nameval),
	cmocka_unit_test(test_tokens_with_braces),
	cmocka_unit_test(test_extract_braces),
	cmocka_unit_test(test_fold_may_change),
	cmocka_unit_test(test_printable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
