/*
 * test_cfline - the logical-line reader of SPEC 1.1, and what it and the
 * postmap source reader on top of it report to a caller's sink
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfline.h"
#include "diag.h"
#include "mapsource.h"
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

/* collect - a sink: "PATH:LINE:COLUMN: TEXT" for each report, TEXT as Postfix says it */
static void collect(void *ctx, const struct diag *d)
{
    struct strbuf *got = ctx;

    sb_printf(got, "%s:%d:%d: ", d->path, d->line, d->column);
    diag_text(got, d);
    sb_addch(got, '\n');
}

static void ignore_entry(void *ctx, const char *key, const char *value, int line)
{
    (void) ctx, (void) key, (void) value, (void) line;
}

/* expect_reports - what reading input as a postmap source reports to a sink */
static void expect_reports(const char *input, const char *want)
{
    struct strbuf got = STRBUF_INIT;
    struct diag_sink sink = { collect, &got };
    FILE *fp = fmemopen((void *) input, strlen(input), "r");
    unsigned long before = diag_warning_count();

    assert_non_null(fp);
    assert_int_equal(mapsource_read_to(fp, "virtual", 0, &sink, ignore_entry, NULL), 0);
    fclose(fp);
    assert_string_equal(sb_str(&got), want);
    /* Each report is a warning, counted as pfc map counts them. */
    size_t lines = 0;
    for (const char *p = want; *p; p++)
	lines += *p == '\n';
    assert_int_equal(diag_warning_count() - before, lines);
    sb_free(&got);
}

static void test_reports_to_sink(void **state)
{
    (void) state;
    /* Postfix names no line for an indented line; the report has it all the same. */
    expect_reports("  indented\n",
		   "virtual:1:1: virtual: logical line must not start with whitespace: "
		   "\"  indented\"\n");
    /* The column of the ':' of an alias-style key, of a '"' left open. */
    expect_reports("a@b.example x\npostmaster: root\n",
		   "virtual:2:11: virtual, line 2: " MAPSOURCE_ALIAS_FORMAT "\n");
    expect_reports("\"a b\" x\nk\"ey x\n",
		   "virtual:2:2: virtual, line 2: unbalanced '\"' in 'k\"ey x' -- ignoring this line\n");
    /* No column where the line as a whole is wrong. */
    expect_reports("lonely\n",
		   "virtual:1:0: virtual, line 1: expected format: key whitespace value\n");
}

/* The wording of each form, as Postfix's messages have it. */
static void test_wording(void **state)
{
    struct diag d = {
	.severity = DIAG_WARNING, .path = "x.pcre", .line = 3, .column = 7,
	.message = "bad", .wording = DIAG_SAY_MAP, .type = "pcre",
    };
    static const struct {
	enum diag_wording wording;
	const char *want;
    } forms[] = {
	{ DIAG_SAY_LINE, "x.pcre, line 3: bad" },
	{ DIAG_SAY_PATH, "x.pcre: bad" },
	{ DIAG_SAY_MAP, "pcre map x.pcre, line 3: bad" },
	{ DIAG_SAY_TABLE, "pcre:x.pcre: bad" },
	{ DIAG_SAY_NOTHING, "bad" },
    };

    (void) state;
    for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
	struct strbuf text = STRBUF_INIT;
	d.wording = forms[i].wording;
	diag_text(&text, &d);
	assert_string_equal(sb_str(&text), forms[i].want);
	sb_free(&text);
    }
    /* Without a path, or a line, there is less to say; bytes not printable show as '?'. */
    struct strbuf text = STRBUF_INIT;
    d = (struct diag) { .path = "f", .message = "m\tx\x80", .wording = DIAG_SAY_LINE };
    diag_text(&text, &d);
    d.path = NULL;
    diag_text(&text, &d);
    assert_string_equal(sb_str(&text), "f: m?x?m?x?");
    sb_free(&text);
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
	cmocka_unit_test(test_reports_to_sink),
	cmocka_unit_test(test_wording),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
