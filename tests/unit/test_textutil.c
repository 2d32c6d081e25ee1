/* test_textutil - name=value splitting, brace tokens, brace extraction */
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

int main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_split_nameval),
	cmocka_unit_test(test_tokens_with_braces),
	cmocka_unit_test(test_extract_braces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
