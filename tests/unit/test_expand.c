/* test_expand - $name expansion: every form of SPEC 2.1-2.3 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "expand.h"

/* A fixed parameter set, as SPEC 2.1's lab: full_p = yes, empty_p = "". */
static const char *lookup(const char *name, int mode, void *ctx)
{
    (void) mode;
    (void) ctx;
    if (strcmp(name, "full_p") == 0)
	return "yes";
    if (strcmp(name, "empty_p") == 0)
	return "";
    if (strcmp(name, "myhostname") == 0)
	return "mail.example.com";
    if (strcmp(name, "loop") == 0)
	return "$loop";
    if (strcmp(name, "chain") == 0)
	return "$full_p-$myhostname";
    return NULL;
}

/* expect_from - pattern expands to want, with or without an error */
static void expect_from(expand_lookup_fn fn, const char *pattern, const char *want,
			int want_status)
{
    struct strbuf out = STRBUF_INIT;
    int status = expand(&out, pattern, EXPAND_RECURSE, fn, NULL);

    assert_string_equal(sb_str(&out), want);
    assert_int_equal(status & EXPAND_ERROR, want_status & EXPAND_ERROR);
    sb_free(&out);
}

static void expect(const char *pattern, const char *want, int want_status)
{
    expect_from(lookup, pattern, want, want_status);
}

static void test_plain_forms(void **state)
{
    (void) state;
    expect("$myhostname", "mail.example.com", 0);
    expect("${myhostname}", "mail.example.com", 0);
    expect("$(myhostname)", "mail.example.com", 0);
    expect("${ myhostname }", "mail.example.com", 0);
    expect("$myhostname.suffix", "mail.example.com.suffix", 0);
    expect("$myhostname_x", "", 0);
    expect("cost $$5 and $$myhostname", "cost $5 and $myhostname", 0);
    expect("{literal braces}", "{literal braces}", 0);
    expect("$chain", "yes-mail.example.com", 0);
}

static void test_conditionals(void **state)
{
    (void) state;
    expect("${full_p?VAL}", "VAL", 0);
    expect("${empty_p?VAL}", "", 0);
    expect("${full_p:VAL}", "", 0);
    expect("${empty_p:VAL}", "VAL", 0);
    expect("${undefined:y}", "y", 0);
    expect("${full_p?{with {braces} and , comma}}", "with {braces} and , comma", 0);
    expect("${empty_p:{ spaced value }}", " spaced value ", 0);
    expect("${full_p?{A}:{B}}", "A", 0);
    expect("${empty_p?{A}:{B}}", "B", 0);
    expect("${empty_p?{A}:B C}", "B C", 0);
    expect("${empty_p ? {A} : {B}}", "B", 0);
    expect("${full_p?A:B}", "A:B", 0);
}

static void test_relational(void **state)
{
    (void) state;
    expect("${{$full_p} == {yes}?{EQ}:{NE}}", "EQ", 0);
    expect("${{a}=={a}?{eq}:{ne}}", "eq", 0);
    expect("${{010} == {10}?{eq}:{ne}}", "eq", 0);
    expect("${{10} < {9}?{lt}:{ge}}", "ge", 0);
    expect("${{abc} < {b}?{lt}:{ge}}", "lt", 0);
    expect("${{3.10} > {3.9}?{gt}:{le}}", "le", 0);
    expect("${{ 10 } == {10}?{eq}:{ne}}", "ne", 0);
    expect("${{a} == {a}}", "true", 0);
    expect("${{a} == {b}}", "", 0);
    expect("${{3.10} >level {3.9}?{gt}:{le}}", "gt", 0);
    expect("${{3.6} ==level {3.6.0}?{eq}:{ne}}", "eq", 0);
}

static void test_errors(void **state)
{
    (void) state;
    expect("a $ b", "a ", EXPAND_ERROR);
    expect("${unterminated", "", EXPAND_ERROR);
    expect("${full_p?{a}x}", "a", EXPAND_ERROR);	/* branch ran first */
    expect("${full_p?{a}:{b}:{c}}", "a", EXPAND_ERROR);	/* branch ran first */
    expect("${{a} === {a}?x}", "", EXPAND_ERROR);
    expect("${my-param}", "", EXPAND_ERROR);
    expect("$loop", "", EXPAND_ERROR);
}

/* Chains: dN = $d(N-1), d0 = end; eN = $e(N-1), e0 = a relational expression. */
static const char *chain_lookup(const char *name, int mode, void *ctx)
{
    static char value[64];
    int n;

    (void) mode;
    (void) ctx;
    if (sscanf(name, "d%d", &n) == 1 || sscanf(name, "e%d", &n) == 1) {
	if (n > 0)
	    snprintf(value, sizeof(value), "$%c%d", name[0], n - 1);
	else if (name[0] == 'd')
	    return "end";
	else
	    return "${{$d60} == {end}?{yes}:{no}}";
	return value;
    }
    return lookup(name, mode, ctx);
}

static void expect_chain(const char *pattern, const char *want, int want_status)
{
    expect_from(chain_lookup, pattern, want, want_status);
}

static void test_nesting(void **state)
{
    struct strbuf many = STRBUF_INIT, want = STRBUF_INIT;

    (void) state;
    /* 100 nested references expand; the 101st is one too many. */
    expect_chain("$d99", "end", 0);
    expect_chain("$d100", "", EXPAND_ERROR);
    /* Each reference gives its level back: 150 in a row are fine. */
    for (int i = 0; i < 150; i++) {
	sb_adds(&many, " $full_p");
	sb_adds(&want, " yes");
    }
    expect_chain(sb_str(&many), sb_str(&want), 0);
    /* A relational operand starts at level 0 again: 60 + 61 levels. */
    expect_chain("$e59", "yes", 0);
    sb_free(&many);
    sb_free(&want);
}

/* Names are visited in both branches when scanning, and nothing is output. */
static int visits;
static const char *count_lookup(const char *name, int mode, void *ctx)
{
    (void) name;
    (void) mode;
    (void) ctx;
    visits++;
    return NULL;
}

static void test_scan(void **state)
{
    (void) state;
    visits = 0;
    expand(NULL, "${a?{$b}:{$c}} $d", EXPAND_SCAN, count_lookup, NULL);
    assert_int_equal(visits, 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_plain_forms),
	cmocka_unit_test(test_conditionals),
	cmocka_unit_test(test_relational),
	cmocka_unit_test(test_errors),
	cmocka_unit_test(test_nesting),
	cmocka_unit_test(test_scan),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
