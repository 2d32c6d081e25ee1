/* test_cfline - the logical-line reader of SPEC 1.1 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfline.h"
#include "strbuf.h"

/* Collect "LINE|text" for good lines and "!LINE|text" for dropped ones. */
static void on_line(void *ctx, const struct cf_logical_line *line)
{
    sb_printf(ctx, "%d|%s\n", line->first_line, line->text);
}

static void on_space(void *ctx, const struct cf_logical_line *line)
{
    sb_printf(ctx, "!%d|%s\n", line->first_line, line->text);
}

static void expect(const char *input, const char *want)
{
    static const struct cf_reader_ops ops = { on_line, on_space };
    struct strbuf got = STRBUF_INIT;
    FILE *fp = fmemopen((void *) input, strlen(input), "r");

    assert_non_null(fp);
    assert_int_equal(cf_read_stream(fp, "test", &ops, &got), 0);
    fclose(fp);
    assert_string_equal(sb_str(&got), want);
    sb_free(&got);
}

static void test_continuation_keeps_whitespace(void **state)
{
    (void) state;
    expect("syslog_name = a\n\t\tb\n   c  \n", "1|syslog_name = a\t\tb   c  \n");
}

static void test_comments_inside_continuation(void **state)
{
    (void) state;
    expect("relay_domains = a,\n# col-1 comment\n  b\n", "1|relay_domains = a,  b\n");
    expect("mydestination = x\n#commented_out = 1\n    indented after comment\n",
	   "1|mydestination = x    indented after comment\n");
    expect("a = 1\n\n   \n  # indented comment\nb = 2\n", "1|a = 1\n5|b = 2\n");
}

static void test_trailing_hash_is_data(void **state)
{
    (void) state;
    expect("myhostname = mail.example.com # trailing\n",
	   "1|myhostname = mail.example.com # trailing\n");
}

static void test_leading_whitespace(void **state)
{
    (void) state;
    expect("  leading = x\n  more\nok = 1\n", "!1|  leading = x  more\n3|ok = 1\n");
}

static void test_no_final_newline_and_crlf(void **state)
{
    (void) state;
    expect("a = 1\r\nb = 2", "1|a = 1\r\n2|b = 2\n");
}

static void test_positions(void **state)
{
    (void) state;
    static const char input[] = "# c\nname = a,\n  b\n";
    struct cf_logical_line line;
    struct cf_segment segs[] = { {0, 2}, {10, 3} };
    int lineno, col;

    line.text = "name = a,  b";
    line.segs = segs;
    line.nsegs = 2;
    (void) input;
    cf_position(&line, 7, &lineno, &col);
    assert_int_equal(lineno, 2);
    assert_int_equal(col, 8);
    cf_position(&line, 11, &lineno, &col);
    assert_int_equal(lineno, 3);
    assert_int_equal(col, 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_continuation_keeps_whitespace),
	cmocka_unit_test(test_comments_inside_continuation),
	cmocka_unit_test(test_trailing_hash_is_data),
	cmocka_unit_test(test_leading_whitespace),
	cmocka_unit_test(test_no_final_newline_and_crlf),
	cmocka_unit_test(test_positions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
