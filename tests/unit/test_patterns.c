/*
 * test_patterns - regexp, pcre and cidr tables: every rule of SPEC 9.1-9.3
 * and 9.5, with small tables written to a temporary directory. Warnings are
 * caught from stderr and compared word for word with Postfix 3.7.11's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "dict.h"
#include "scratch_dir.h"
#include "strbuf.h"

static char tmpdir[4096];
static struct strbuf warnings = STRBUF_INIT;
static FILE *capture;
static int saved_stderr = -1;

/* capture_start, capture_stop - collect what diag_warn() writes to fd 2 */
static void capture_start(void)
{
    fflush(stderr);
    capture = tmpfile();
    assert_non_null(capture);
    saved_stderr = dup(STDERR_FILENO);
    dup2(fileno(capture), STDERR_FILENO);
}

static void capture_stop(void)
{
    char buf[4096];
    size_t n;

    dup2(saved_stderr, STDERR_FILENO);
    close(saved_stderr);
    rewind(capture);
    while ((n = fread(buf, 1, sizeof(buf), capture)) > 0)
	sb_addn(&warnings, buf, n);
    fclose(capture);
}

/* expect_warnings - the warnings since the last call, one per line */
static void expect_warnings(const char *want)
{
    assert_string_equal(sb_str(&warnings), want);
    sb_reset(&warnings);
}

/* table - write text to file name (if text) and open "type:name" */
static struct dict *table(const char *type, const char *name, const char *text)
{
    struct strbuf spec = STRBUF_INIT;
    struct dict *dict;
    char *err = NULL;

    if (text != NULL) {
	FILE *fp = fopen(name, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
    }
    sb_printf(&spec, "%s:%s", type, name);
    capture_start();
    dict = dict_open(sb_str(&spec), DICT_READ, DICT_FLAG_FOLD, &err);
    capture_stop();
    if (dict == NULL)
	fail_msg("open %s: %s", sb_str(&spec), err);
    sb_free(&spec);
    return dict;
}

/* open_error - the error message of a table that must fail to open */
static void expect_open_error(const char *spec, const char *want)
{
    char *err = NULL;
    struct dict *dict;

    capture_start();
    dict = dict_open(spec, DICT_READ, 0, &err);
    capture_stop();
    assert_null(dict);
    assert_non_null(err);
    assert_string_equal(err, want);
    free(err);
}

/* find - the value of key, or NULL when not found */
static const char *find(struct dict *dict, const char *key)
{
    const char *value = NULL;
    int status;

    capture_start();
    status = dict->lookup(dict, key, &value);
    capture_stop();
    assert_int_not_equal(status, DICT_FAIL);
    return status == DICT_FOUND ? value : NULL;
}

static void want_value(struct dict *dict, const char *key, const char *want)
{
    const char *got = find(dict, key);

    if (want == NULL && got != NULL)
	fail_msg("key \"%s\": found \"%s\", want nothing", key, got);
    if (want != NULL && got == NULL)
	fail_msg("key \"%s\": not found, want \"%s\"", key, want);
    if (want != NULL)
	assert_string_equal(got, want);
}

static void done(struct dict *dict)
{
    char *err = NULL;

    assert_int_equal(dict_close(dict, &err), 0);
}

static const char *const engines[] = { "regexp", "pcre" };

/* ------------------------------------------------------------- SPEC 9.1 */

static void test_first_match_and_negation(void **state)
{
    (void) state;
    for (int e = 0; e < 2; e++) {
	struct dict *d = table(engines[e], "first.tab",
			       "/^a/ first\n/^ab/ second\n!/^z/ not-z\n");

	expect_warnings("");
	want_value(d, "ab", "first");
	want_value(d, "b", "not-z");
	want_value(d, "zz", NULL);
	/* Keys are never folded: the pattern is case-insensitive instead. */
	want_value(d, "AB", "first");
	done(d);
    }
}

static void test_delimiters_and_requests(void **state)
{
    (void) state;
    for (int e = 0; e < 2; e++) {
	struct dict *d = table(engines[e], "delim.tab",
			       "|^pipe\\|delim$| piped\n"
			       "%^per/cent$% percent\n"
			       "abc x\n"
			       "1abc y\n");

	struct strbuf want = STRBUF_INIT;

	sb_printf(&want, "pfc: warning: %s map delim.tab, line 3: ignoring unrecognized request\n"
		  "pfc: warning: %s map delim.tab, line 4: ignoring unrecognized request\n",
		  engines[e], engines[e]);
	expect_warnings(sb_str(&want));
	sb_free(&want);
	want_value(d, "pipe|delim", "piped");
	want_value(d, "per/cent", "percent");
	done(d);
    }
}

static void test_result_continuation(void **state)
{
    (void) state;
    for (int e = 0; e < 2; e++) {
	struct dict *d = table(engines[e], "multi.tab",
			       "# comment\n/^multi/ part one\n  part two   \n\n/^next/ n\n");

	expect_warnings("");
	want_value(d, "multiple", "part one  part two");
	want_value(d, "next", "n");
	done(d);
    }
}

static void test_if_endif(void **state)
{
    (void) state;
    struct dict *d = table("regexp", "if.re",
			   "if /^a/\n"
			   "IF !/^ab/\n"
			   "/^a/ a-not-ab\n"
			   "EndIf\n"
			   "/^abc/ abc\n"
			   "endif\n"
			   "/^abd/ outside\n"
			   "/./ any\n");

    expect_warnings("");
    want_value(d, "ax", "a-not-ab");
    want_value(d, "abc", "abc");
    want_value(d, "abd", "outside");
    want_value(d, "zz", "any");
    done(d);
}

static void test_if_endif_warnings(void **state)
{
    (void) state;
    struct dict *d = table("regexp", "ifw.re",
			   "endif\n"
			   "if /^a/\n"
			   " /^ab/ indented\n"
			   "endif junk\n"
			   "if\n"
			   "if /^q/\n"
			   "/^qq/ qq\n");

    expect_warnings("pfc: warning: regexp map ifw.re, line 1: ignoring ENDIF without matching IF\n"
		    "pfc: warning: regexp map ifw.re, line 2: ignoring extra text after IF statement: \"/^ab/ indented\"\n"
		    "pfc: warning: regexp map ifw.re, line 2: do not prepend whitespace to statements between IF and ENDIF\n"
		    "pfc: warning: regexp map ifw.re, line 4: ignoring extra text after ENDIF\n"
		    "pfc: warning: regexp map ifw.re, line 5: no regexp: skipping this rule\n"
		    "pfc: warning: regexp map ifw.re, line 6: IF has no matching ENDIF\n");
    /* The unclosed IF still applies; when it fails, the search ends. */
    want_value(d, "qq", "qq");
    want_value(d, "ab", NULL);
    done(d);
}

static void test_bad_rules(void **state)
{
    (void) state;
    struct dict *d = table("regexp", "bad.re",
			   "/a/q x\n/unclosed x\n/(a/ y\n/^ok/ ok\n");

    expect_warnings("pfc: warning: regexp map bad.re, line 1: unknown regexp option \"q\": skipping this rule\n"
		    "pfc: warning: regexp map bad.re, line 2: no closing regexp delimiter \"/\": skipping this rule\n"
		    "pfc: warning: regexp map bad.re, line 3: Unmatched ( or \\(\n");
    want_value(d, "ok", "ok");
    done(d);

    d = table("pcre", "bad.pcre", "/a/q x\n/unclosed x\n/(a/ y\n/^ok/ ok\n");
    expect_warnings("pfc: warning: pcre map bad.pcre, line 1: unknown regexp option \"q\": skipping this rule\n"
		    "pfc: warning: pcre map bad.pcre, line 2: no closing regexp delimiter \"/\": ignoring this rule\n"
		    "pfc: warning: pcre map bad.pcre, line 3: error in regex at offset 2: missing closing parenthesis\n");
    want_value(d, "ok", "ok");
    done(d);
}

static void test_trailing_backslash(void **state)
{
    (void) state;
    /* regexp takes a final backslash as the closing delimiter; pcre does not. */
    struct dict *d = table("regexp", "bs.re", "/abc\\\n");

    expect_warnings("pfc: warning: regexp map bs.re, line 1: no replacement text: using empty string\n");
    want_value(d, "abc", "");
    done(d);
    d = table("pcre", "bs.pcre", "/abc\\\n");
    expect_warnings("pfc: warning: pcre map bs.pcre, line 1: no closing regexp delimiter \"/\": ignoring this rule\n");
    want_value(d, "abc", NULL);
    done(d);
}

static void test_empty_result(void **state)
{
    (void) state;
    /* Found with an empty value; postmap then warns (not the table). */
    struct dict *d = table("pcre", "empty.pcre", "/^a/\n/^(b)(x)?/ $2\n");

    expect_warnings("pfc: warning: pcre map empty.pcre, line 1: no replacement text: using empty string\n");
    want_value(d, "a", "");
    want_value(d, "b", "");
    done(d);
}

/* ------------------------------------------------------------- SPEC 9.2 */

static void test_regexp_flags(void **state)
{
    (void) state;
    struct dict *d = table("regexp", "flags.re",
			   "/^CASE$/i sensitive\n"
			   "/^a.b$/ dot-newline\n"
			   "/^x$/m multiline\n"
			   "/^c.d$/m no-dot-newline\n"
			   "/^e\\(f\\)$/x basic[$1]\n"
			   "/^g(h)$/ extended[$1]\n");

    expect_warnings("");
    want_value(d, "CASE", "sensitive");
    want_value(d, "case", NULL);
    want_value(d, "a\nb", "dot-newline");
    want_value(d, "q\nx\nz", "multiline");
    want_value(d, "c\nd", NULL);
    want_value(d, "cxd", "no-dot-newline");
    want_value(d, "ef", "basic[f]");
    want_value(d, "gh", "extended[h]");
    done(d);
}

static void test_pcre_flags(void **state)
{
    (void) state;
    struct dict *d = table("pcre", "flags.pcre",
			   "/^CASE$/i sensitive\n"
			   "/^a.b$/ dotall\n"
			   "/^c.d$/s no-dotall\n"
			   "/^x$/m multiline\n"
			   "/^e f$/x extended\n"
			   "/b/A anchored\n"
			   "/^dol$/E dollar-endonly\n"
			   "/(h+)/U ungreedy[$1]\n"
			   "/^obs/X obsolete\n");

    expect_warnings("pfc: warning: pcre map flags.pcre, line 9: ignoring obsolete regexp option \"X\"\n");
    want_value(d, "CASE", "sensitive");
    want_value(d, "case", NULL);
    want_value(d, "a\nb", "dotall");
    want_value(d, "c\nd", NULL);
    want_value(d, "cxd", "no-dotall");
    want_value(d, "q\nx\nz", "multiline");
    want_value(d, "ef", "extended");
    want_value(d, "ab", NULL);
    want_value(d, "bz", "anchored");
    want_value(d, "dol\n", NULL);
    want_value(d, "dol", "dollar-endonly");
    want_value(d, "hhh", "ungreedy[h]");
    want_value(d, "obs", "obsolete");
    done(d);
}

static void test_second_pattern(void **state)
{
    (void) state;
    /* regexp only: "/a/!/b/" needs a to match and b not to. */
    struct dict *d = table("regexp", "two.re", "/^(a)/!/b/ a-no-b[$1]\n");

    expect_warnings("");
    want_value(d, "ac", "a-no-b[a]");
    want_value(d, "ab", NULL);
    done(d);
    d = table("pcre", "two.pcre", "/^a/!/b/ x\n");
    expect_warnings("pfc: warning: pcre map two.pcre, line 1: unknown regexp option \"!\": skipping this rule\n");
    done(d);
}

/* ------------------------------------------------------------- SPEC 9.3 */

static void test_substitution(void **state)
{
    (void) state;
    for (int e = 0; e < 2; e++) {
	struct dict *d = table(engines[e], "subst.tab",
			       "/^(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)$/ ten[$10] one0[${1}0]\n"
			       "/^x(y)?z$/ opt[$1]\n"
			       "/^p(q)/ paren[$(1)x] dollar[$$1] $$\n"
			       "/^u(.*)/ $1\n");

	expect_warnings("");
	want_value(d, "abcdefghijk", "ten[j] one0[a0]");
	want_value(d, "xz", "opt[]");
	want_value(d, "xyz", "opt[y]");
	want_value(d, "pq", "paren[qx] dollar[$1] $");
	want_value(d, "uVALUE", "VALUE");
	done(d);
    }
}

static void test_substitution_errors(void **state)
{
    (void) state;
    struct dict *d = table("regexp", "serr.re",
			   "/^(a)/ [$2]\n"
			   "/^(b)/ [$0]\n"
			   "/^(c)/ [${1]\n"
			   "/^(d)/ [$1x]\n"
			   "!/^(e)/ [$1]\n"
			   "/^(f)/ [$]\n");

    expect_warnings("pfc: warning: regexp map serr.re, line 1: out of range replacement index \"2\": skipping this rule\n"
		    "pfc: warning: regexp map serr.re, line 2: out-of-range replacement index \"0\"\n"
		    "pfc: warning: regexp map serr.re, line 2: bad replacement syntax: skipping this rule\n"
		    "pfc: warning: truncated macro reference: \"[${1]\"\n"
		    "pfc: warning: regexp map serr.re, line 3: bad replacement syntax: skipping this rule\n"
		    "pfc: warning: regexp map serr.re, line 4: non-numeric replacement index \"1x\"\n"
		    "pfc: warning: regexp map serr.re, line 4: bad replacement syntax: skipping this rule\n"
		    "pfc: warning: regexp map serr.re, line 5: $number found in negative match replacement text: skipping this rule\n"
		    "pfc: warning: empty macro name: \"[$]\"\n"
		    "pfc: warning: regexp map serr.re, line 6: bad replacement syntax: skipping this rule\n");
    want_value(d, "a", NULL);
    done(d);
    /* pcre spells the $0 warning without hyphens. */
    d = table("pcre", "serr.pcre", "/^(b)/ [$0]\n");
    expect_warnings("pfc: warning: pcre map serr.pcre, line 1: out of range replacement index \"0\"\n"
		    "pfc: warning: pcre map serr.pcre, line 1: bad replacement syntax: skipping this rule\n");
    done(d);
}

/* ------------------------------------------------------- SPEC 4 inline */

static void test_inline(void **state)
{
    (void) state;
    struct dict *d = table("regexp", "{ {/a/ x}, {/b/ y} }", NULL);

    want_value(d, "b", "y");
    done(d);
    d = table("pcre", "{ {/(a)/ [$1]}, {/(b/ y}, { /c/ z } }", NULL);
    expect_warnings("pfc: warning: pcre map { {/(a)/ [$1]}, {/(b/ y}, { /c/ z } }, line 2: "
		    "error in regex at offset 2: missing closing parenthesis\n");
    want_value(d, "xa", "[a]");
    want_value(d, "c", "z");
    done(d);
    d = table("cidr", "{ {192.0.2.0/24 doc}, {::1 lo} }", NULL);
    want_value(d, "192.0.2.7", "doc");
    want_value(d, "::1", "lo");
    done(d);
    d = table("regexp", "{}", NULL);
    want_value(d, "a", NULL);
    done(d);
    expect_open_error("regexp:{/a/ x}", "regexp map: no '{' at start of text in \"/a/\"");
    expect_open_error("pcre:{ {/a/ x}", "pcre map: missing '}' in \"{ {/a/ x}\"");
}

static void test_open_errors(void **state)
{
    (void) state;
    expect_open_error("regexp:/nonexistent/t.re", "open /nonexistent/t.re: No such file or directory");
    expect_open_error("cidr:/nonexistent/t.cidr", "open /nonexistent/t.cidr: No such file or directory");
    assert_int_equal(mkdir("adir", 0700), 0);
    expect_open_error("cidr:adir", "cidr map adir: read error: Is a directory");
    struct dict *d = table("pcre", "adir", NULL);	/* Postfix: empty */

    want_value(d, "a", NULL);
    done(d);
    rmdir("adir");
}

/* ------------------------------------------------------------- SPEC 9.5 */

static void test_cidr(void **state)
{
    (void) state;
    struct dict *d = table("cidr", "t.cidr",
			   "192.0.2.0/24 net24\n"
			   "192.0.2.5 host5\n"
			   "[2001:db8::]/32 v6\n"
			   "[2001:db8:1::/48] v6b\n"
			   "!198.51.100.0/24   not-doc2  \n"
			   "::/0 all6\n");

    expect_warnings("");
    want_value(d, "192.0.2.5", "net24");	/* first match wins */
    want_value(d, "2001:db8::1", "v6");
    want_value(d, "2001:DB8:2::1", "v6");
    want_value(d, "10.1.2.3", "not-doc2");
    want_value(d, "198.51.100.1", NULL);
    want_value(d, "::1", "all6");	/* a v4 rule never matches v6 */
    want_value(d, "hello", NULL);
    want_value(d, "[192.0.2.5]", NULL);
    want_value(d, "01.2.3.4", NULL);
    done(d);
}

static void test_cidr_if_endif(void **state)
{
    (void) state;
    struct dict *d = table("cidr", "if.cidr",
			   "if 203.0.113.0/24\n"
			   "IF !203.0.113.0/25\n"
			   "203.0.113.128/25 high\n"
			   "ENDIF\n"
			   "0.0.0.0/0 low\n"
			   "endif\n"
			   "0.0.0.0/0 outside\n");

    expect_warnings("");
    want_value(d, "203.0.113.200", "high");
    want_value(d, "203.0.113.1", "low");
    want_value(d, "192.0.2.1", "outside");
    done(d);
}

static void test_cidr_warnings(void **state)
{
    (void) state;
    struct dict *d = table("cidr", "w.cidr",
			   "192.0.2.1/24 bad\n"
			   "10.0.0.0/8\n"
			   "[1.2.3.4 x\n"
			   "[1.2.3.4]x y\n"
			   "1.2.3.4/33 len\n"
			   "1.2.3.4/abc mask\n"
			   "1.2.3.256/32 net\n"
			   "hello world\n"
			   "endif\n"
			   "if 1.2.3.0/24 junk\n"
			   "if\n"
			   "2001:db8::1/32 v6\n"
			   "if 10.0.0.0/8\n"
			   "endif junk\n");

    expect_warnings("pfc: warning: cidr map w.cidr, line 1: non-null host address bits in \"192.0.2.1/24\", perhaps you should use \"192.0.2.0/24\" instead: skipping this rule\n"
		    "pfc: warning: cidr map w.cidr, line 2: no lookup result: skipping this rule\n"
		    "pfc: warning: cidr map w.cidr, line 3: missing ']' character after \"[1.2.3.4\": skipping this rule\n"
		    "pfc: warning: cidr map w.cidr, line 4: garbage after \"[1.2.3.4]\": skipping this rule\n"
		    "pfc: warning: cidr map w.cidr, line 5: bad mask length in \"1.2.3.4/33\": skipping this rule\n"
		    "pfc: warning: cidr map w.cidr, line 6: bad mask value in \"1.2.3.4/abc\": skipping this rule\n"
		    "pfc: warning: cidr map w.cidr, line 7: bad network value in \"1.2.3.256/32\": skipping this rule\n"
		    "pfc: warning: cidr map w.cidr, line 8: bad address pattern: \"hello\": skipping this rule\n"
		    "pfc: warning: cidr map w.cidr, line 9: ENDIF without IF: skipping this rule\n"
		    "pfc: warning: cidr map w.cidr, line 10: bad mask value in \"1.2.3.0/24 junk\": skipping this rule\n"
		    "pfc: warning: cidr map w.cidr, line 11: no address pattern: skipping this rule\n"
		    "pfc: warning: cidr map w.cidr, line 12: non-null host address bits in \"2001:db8::1/32\", perhaps you should use \"2001:db8::/32\" instead: skipping this rule\n"
		    "pfc: warning: cidr map w.cidr, line 14: garbage after ENDIF: skipping this rule\n"
		    "pfc: warning: cidr map w.cidr, line 13: IF has no matching ENDIF\n");
    done(d);
}

/* ------------------------------------------------ the pcre prefix filter */

/*
 * Rules with a literal prefix ("^literal") or a literal every match must
 * contain are prefiltered; the same pattern wrapped in "(?:...)" is not.
 * Both must give the same answers.
 */
static void test_prefix_filter(void **state)
{
    static const char *const patterns[] = {
	"^Subject:", "^Subject:/i", "^ab?c", "^a|b", "^a\\.b", "^a+b", "^ab*",
	"^a{2}", "^X-Spam: yes", "^abc(?i)D", "^(?i)abc", "^a\\Q|\\E", "^a[|]b",
	"^[ab]c", "^a\\|b",
	/* A literal every match contains, outside any group. */
	"^(To|Cc):.*@victim1\\.example", "^(To|Cc):.*@victim1\\.example/i",
	"^Subject:.*\\b(viagra|cialis)\\b", "^X-(ab|cd)ef+g", "^Foo: a*bcd",
	"^Bar: (x)*Yzw", "^Baz:.*[Qq]uux", "^Qu: a{0,2}bcd", "@needle[0-9]+x",
	"(a|b)needle", "^x{3,5}$", "^ab{10,20}c", "q{2}rst",
    };
    static const char *const keys[] = {
	"Subject: hi", "SUBJECT: hi", "subject:", "Subj", "ac", "abc", "abbc",
	"a", "b", "xb", "a.b", "axb", "aab", "aa", "X-SPAM: YES", "abcd",
	"ABCD", "a|", "a|b", "ac", "bc", "", "ab",
	"To: A <a@VICTIM1.example>", "cc: x@victim1.example", "To: a@victim1xexample",
	"Subject: buy VIAGRA", "X-cdeffg", "X-abefg", "Foo: bcd", "Foo: aabcd",
	"Bar: xxYzw", "Baz: the QUUX", "Qu: bcd", "z@NEEDLE12x", "BNEEDLE",
	"xxxx", "xxxxxx", "abbbbbbbbbbc", "qqrst", "3,5", "10,20",
    };
    struct strbuf with = STRBUF_INIT, without = STRBUF_INIT;

    (void) state;
    for (size_t i = 0; i < sizeof(patterns) / sizeof(*patterns); i++) {
	const char *pat = patterns[i], *slash = strchr(pat, '/');
	int len = slash ? (int) (slash - pat) : (int) strlen(pat);
	const char *flags = slash ? slash + 1 : "";

	sb_printf(&with, "/%.*s/%s rule%zu\n", len, pat, flags, i);
	sb_printf(&without, "/(?:%.*s)/%s rule%zu\n", len, pat, flags, i);
    }
    struct dict *a = table("pcre", "with.pcre", sb_str(&with));
    struct dict *b = table("pcre", "without.pcre", sb_str(&without));

    expect_warnings("");
    for (size_t k = 0; k < sizeof(keys) / sizeof(*keys); k++) {
	const char *va = find(a, keys[k]), *vb = find(b, keys[k]);

	if ((va == NULL) != (vb == NULL) || (va && strcmp(va, vb) != 0))
	    fail_msg("key \"%s\": prefiltered %s, plain %s", keys[k],
		     va ? va : "(none)", vb ? vb : "(none)");
    }
    done(a);
    done(b);
    sb_free(&with);
    sb_free(&without);
}

static int setup(void **state)
{
    (void) state;
    return scratch_make(tmpdir, sizeof(tmpdir), "test_patterns") < 0 || chdir(tmpdir) != 0
	? -1 : 0;
}

static int teardown(void **state)
{
    (void) state;
    if (chdir("/") != 0)
	return -1;
    sb_free(&warnings);
    return scratch_remove(tmpdir);
}

/* collect - a sink: "LINE:COLUMN: TEXT" for each report, TEXT in Postfix's words */
static void collect(void *ctx, const struct diag *d)
{
    struct strbuf *got = ctx;

    sb_printf(got, "%d:%d: ", d->line, d->column);
    diag_text(got, d);
    sb_addch(got, '\n');
}

/*
 * A table opened with a sink reports to it, not to stderr, with the
 * column where the reader knows what it complains about.
 */
static void test_reports_to_sink(void **state)
{
    struct strbuf got = STRBUF_INIT;
    struct diag_sink sink = { collect, &got };
    char *err = NULL;
    FILE *fp = fopen("sink.pcre", "w");

    (void) state;
    assert_non_null(fp);
    fputs("/a/q x\n"
	  "/b/X b\n"
	  "/c x\n"
	  "/d/ $0\n"
	  "/e/ ${1\n"
	  "endif\n"
	  "/f/ x\n"
	  "  continued $z\n"
	  "if /g/\n", fp);
    fclose(fp);
    capture_start();
    struct dict *d = dict_open_to("pcre:sink.pcre", DICT_READ, 0, &sink, &err);
    capture_stop();
    assert_non_null(d);
    expect_warnings("");
    assert_string_equal(sb_str(&got),
			"1:4: pcre map sink.pcre, line 1: unknown regexp option \"q\": skipping this rule\n"
			"2:4: pcre map sink.pcre, line 2: ignoring obsolete regexp option \"X\"\n"
			"3:1: pcre map sink.pcre, line 3: no closing regexp delimiter \"/\": ignoring this rule\n"
			"4:5: pcre map sink.pcre, line 4: out of range replacement index \"0\"\n"
			"4:5: pcre map sink.pcre, line 4: bad replacement syntax: skipping this rule\n"
			/* Postfix's mac_parse() names no place: the report does. */
			"5:5: truncated macro reference: \"${1\"\n"
			"5:5: pcre map sink.pcre, line 5: bad replacement syntax: skipping this rule\n"
			"6:1: pcre map sink.pcre, line 6: ignoring ENDIF without matching IF\n"
			/* On a continuation line: the line Postfix names, no column. */
			"7:0: pcre map sink.pcre, line 7: non-numeric replacement index \"z\"\n"
			"7:5: pcre map sink.pcre, line 7: bad replacement syntax: skipping this rule\n"
			"9:0: pcre map sink.pcre, line 9: IF has no matching ENDIF\n");
    done(d);
    sb_free(&got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_first_match_and_negation),
	cmocka_unit_test(test_delimiters_and_requests),
	cmocka_unit_test(test_result_continuation),
	cmocka_unit_test(test_if_endif),
	cmocka_unit_test(test_if_endif_warnings),
	cmocka_unit_test(test_bad_rules),
	cmocka_unit_test(test_trailing_backslash),
	cmocka_unit_test(test_empty_result),
	cmocka_unit_test(test_regexp_flags),
	cmocka_unit_test(test_pcre_flags),
	cmocka_unit_test(test_second_pattern),
	cmocka_unit_test(test_substitution),
	cmocka_unit_test(test_substitution_errors),
	cmocka_unit_test(test_inline),
	cmocka_unit_test(test_open_errors),
	cmocka_unit_test(test_cidr),
	cmocka_unit_test(test_cidr_if_endif),
	cmocka_unit_test(test_cidr_warnings),
	cmocka_unit_test(test_prefix_filter),
	cmocka_unit_test(test_reports_to_sink),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
