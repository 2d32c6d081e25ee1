/*
 * test_aliases - the aliases(5) parser: every example of SPEC 6.1, the
 * RFC 822 tokenizer's corners (each checked against postalias 3.7.11 with
 * "postalias -s lmdb:FILE"), and the warnings with file and line.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aliases.h"
#include "strbuf.h"

/* entry - the line must give exactly this key and value */
static void entry(const char *line, unsigned flags, const char *key, const char *value)
{
    struct strbuf k = STRBUF_INIT, v = STRBUF_INIT;

    assert_int_equal(aliases_parse_line(line, strlen(line), flags, &k, &v), ALIASES_ENTRY);
    assert_string_equal(sb_str(&k), key);
    assert_string_equal(sb_str(&v), value);
    sb_free(&k);
    sb_free(&v);
}

/* value - a line "k: TEXT" must store this value */
static void value(const char *text, const char *want)
{
    struct strbuf line = STRBUF_INIT;

    sb_printf(&line, "k: %s", text);
    entry(sb_str(&line), 0, "k", want);
    sb_free(&line);
}

/* refused - the line must be skipped with this status */
static void refused(const char *line, enum aliases_status want)
{
    struct strbuf k = STRBUF_INIT, v = STRBUF_INIT;

    assert_int_equal(aliases_parse_line(line, strlen(line), ALIASES_FOLD, &k, &v), want);
    sb_free(&k);
    sb_free(&v);
}

static void test_keys(void **state)
{
    (void) state;
    entry("\"quoted name\": q1", ALIASES_FOLD, "quoted name", "q1");
    entry("Root: r", ALIASES_FOLD, "root", "r");
    entry("Root: r", 0, "Root", "r");
    entry("\"with:colon@at\": q2", ALIASES_FOLD, "with:colon@at", "q2");
    entry("spacebefore : v", ALIASES_FOLD, "spacebefore", "v");
    entry("a b: c", ALIASES_FOLD, "a b", "c");
    entry("a\t  b: c", ALIASES_FOLD, "a b", "c");
    /* A backslash-quoted '@' is not a bare '@': the name is local. */
    entry("x\\@y: v", ALIASES_FOLD, "x@y", "v");
    entry("(note) MixedCase: v", ALIASES_FOLD, "(note) mixedcase", "v");
    /* The first ':' splits; the rest is value. */
    entry("name:: x", ALIASES_FOLD, "name", ":x");
}

static void test_values_normalised(void **state)
{
    (void) state;
    value("a  ,   b,,c", "a, b, , c");
    value("t1\tt2", "t1 t2");
    value("a , ,", "a, , ");
    value(",", ", ");
    value("x, \"\" ", "x, \"\"");
    value("v1, v2   # not a comment", "v1, v2 # not a comment");
}

static void test_values_quoting(void **state)
{
    (void) state;
    value("\\bob", "bob");
    value("\\\"q\\\"", "\"\\\"q\\\"\"");
    value("a\\\\b, a\\ b, a\\:b", "\"a\\\\b\", \"a b\", \"a:b\"");
    value("\"a\\\\b\"", "\"a\\\\b\"");
    value("\"unterminated", "\"unterminated\"");
    value("\"tab\there\"", "\"tab here\"");
    /* A control character makes an atom a quoted string. */
    value("a\vb", "\"a\vb\"");
    /* A backslash at the very end leaves an empty value, which is stored. */
    value("\\", "");
}

static void test_values_as_written(void **state)
{
    (void) state;
    value("\"|/usr/bin/procmail -a foo\"", "\"|/usr/bin/procmail -a foo\"");
    value("/var/mail/file", "/var/mail/file");
    value(":include:/etc/postfix/list", ":include:/etc/postfix/list");
    value("|/bin/cat", "|/bin/cat");
    value("user@example.com (comment)", "user@example.com (comment)");
    value("<user@example.com>", "<user@example.com>");
    value("Full Name <addr@example.com>", "Full Name <addr@example.com>");
    value("a.b@c.d", "a.b@c.d");
    value("(a (b) c) x", "(a (b) c) x");
    value("(unterminated", "(unterminated");
}

static void test_values_respaced(void **state)
{
    (void) state;
    /* Only word-word, before '<' and after ',' keep a space. */
    value("a[b] (c) <d> Full Name <e@f>", "a [b] (c) <d>Full Name <e@f>");
    value("<@a,@b:c@d>", "<@a, @b:c@d>");
    value("[1.2.3.4", "[1.2.3.4]");
    value("a @ b . c", "a@b.c");
}

static void test_refused(void **state)
{
    (void) state;
    refused("nocolon", ALIASES_NEED_PAIR);
    refused("noval:", ALIASES_NEED_PAIR);
    refused("noval:   ", ALIASES_NEED_PAIR);
    refused(": v", ALIASES_NEED_PAIR);
    refused("a, b: c", ALIASES_NEED_PAIR);
    refused("x@y: z", ALIASES_NOT_LOCAL);
    refused("x%y: z", ALIASES_NOT_LOCAL);
    /* An '@' after the ':' is value, as is a quoted one before it. */
    entry("\"x@y\": ok", ALIASES_FOLD, "x@y", "ok");
    /* ',' is checked before '@': "a@b, c: d" needs a pair. */
    refused("a@b, c: d", ALIASES_NEED_PAIR);
}

static void test_nul_and_utf8(void **state)
{
    struct strbuf k = STRBUF_INIT, v = STRBUF_INIT;

    (void) state;
    /* Postfix reads up to the first NUL... */
    assert_int_equal(aliases_parse_line("a: x\0y", 6, 0, &k, &v), ALIASES_ENTRY);
    assert_string_equal(sb_str(&v), "x");
    assert_int_equal(aliases_parse_line("\0zz: q", 6, 0, &k, &v), ALIASES_EMPTY);
    /* ...but its UTF-8 check sees the whole line. */
    assert_int_equal(aliases_parse_line("ok: \xff\0\xff", 7, ALIASES_UTF8, &k, &v),
		     ALIASES_NON_UTF8);
    assert_int_equal(aliases_parse_line("ok: v\0\xff", 7, ALIASES_UTF8, &k, &v),
		     ALIASES_ENTRY);
    assert_int_equal(aliases_parse_line("ok: \xc3\xa4", 6, ALIASES_UTF8, &k, &v),
		     ALIASES_ENTRY);
    /* Without smtputf8 bytes pass through. */
    assert_int_equal(aliases_parse_line("k\xff: v", 6, 0, &k, &v), ALIASES_ENTRY);
    assert_string_equal(sb_str(&k), "k\xff");
    sb_free(&k);
    sb_free(&v);
}

static void on_entry(void *ctx, const char *key, const char *value, int line)
{
    sb_printf(ctx, "%d|%s|%s\n", line, key, value);
}

/* read_source - entries "LINE|key|value" and the warnings of a source text */
static void read_source(const char *text, unsigned flags, struct strbuf *entries,
			struct strbuf *warnings, int *skipped)
{
    FILE *fp = fmemopen((void *) text, strlen(text), "r");
    FILE *err = tmpfile();
    int saved = dup(STDERR_FILENO);
    char buf[512];
    size_t n;

    assert_non_null(fp);
    assert_non_null(err);
    /* diag writes straight to file descriptor 2. */
    assert_int_not_equal(dup2(fileno(err), STDERR_FILENO), -1);
    *skipped = aliases_read_stream(fp, "aliases", flags, on_entry, entries);
    dup2(saved, STDERR_FILENO);
    close(saved);
    rewind(err);
    while ((n = fread(buf, 1, sizeof(buf), err)) > 0)
	sb_addn(warnings, buf, n);
    fclose(err);
    fclose(fp);
}

static void test_stream(void **state)
{
    struct strbuf entries = STRBUF_INIT, warnings = STRBUF_INIT;
    int skipped;

    (void) state;
    read_source("# comment\n"
		"Postmaster: root\n"
		"list: a,\n"
		"# comment inside\n"
		"\tb,\n"
		"  c\n"
		"nocolon\n"
		"  continued: a name with a space\n"
		"x@y: z\n"
		"trail: v1, v2   # not a comment\n"
		"x%y: z\n"
		"a, b: c\n"
		"noval:\n"
		"bad: \xff\n",
		ALIASES_FOLD | ALIASES_UTF8, &entries, &warnings, &skipped);
    assert_string_equal(sb_str(&entries),
			"2|postmaster|root\n"
			"3|list|a, b, c\n"
			"7|nocolon continued|a name with a space\n"
			"10|trail|v1, v2 # not a comment\n");
    assert_string_equal(sb_str(&warnings),
			"pfc: warning: aliases, line 9: name must be local\n"
			"pfc: warning: aliases, line 11: name must be local\n"
			"pfc: warning: aliases, line 12: need name:value pair\n"
			"pfc: warning: aliases, line 13: need name:value pair\n"
			"pfc: warning: aliases, line 14: non-UTF-8 input \"bad: ?\""
			" -- ignoring this line\n");
    assert_int_equal(skipped, 5);
    sb_free(&entries);
    sb_free(&warnings);
}

static void test_stream_leading_whitespace(void **state)
{
    struct strbuf entries = STRBUF_INIT, warnings = STRBUF_INIT;
    int skipped;

    (void) state;
    read_source("  indented: first line of the file, which is long\nok: v\n",
		ALIASES_FOLD, &entries, &warnings, &skipped);
    assert_string_equal(sb_str(&entries), "2|ok|v\n");
    assert_string_equal(sb_str(&warnings),
			"pfc: warning: aliases: logical line must not start with"
			" whitespace: \"  indented: first line of the ...\"\n");
    assert_int_equal(skipped, 0);
    sb_free(&entries);
    sb_free(&warnings);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_keys),
	cmocka_unit_test(test_values_normalised),
	cmocka_unit_test(test_values_quoting),
	cmocka_unit_test(test_values_as_written),
	cmocka_unit_test(test_values_respaced),
	cmocka_unit_test(test_refused),
	cmocka_unit_test(test_nul_and_utf8),
	cmocka_unit_test(test_stream),
	cmocka_unit_test(test_stream_leading_whitespace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
