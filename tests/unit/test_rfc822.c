/*
 * test_rfc822 - Postfix's RFC 822 address parser: how an address list is
 * grouped into addresses, and its internal (unquoted) and external
 * (quoted) forms, for the shapes SMTP commands and headers carry.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "rfc822.h"

/* forms - "INTERNAL|EXTERNAL|N" for text: both forms and the number of addresses */
static void forms(const char *text, const char *want)
{
    struct strbuf in = STRBUF_INIT, ex = STRBUF_INIT, got = STRBUF_INIT;
    struct rfc822_tok *tree = rfc822_parse(text, 0);
    int naddr = 0;

    for (struct rfc822_tok *tp = tree; tp; tp = tp->next)
	naddr += tp->type == RFC822_ADDR;
    rfc822_internalize(&in, tree, RFC822_STR_DEFL);
    rfc822_externalize(&ex, tree, RFC822_STR_DEFL);
    sb_printf(&got, "%s|%s|%d", sb_str(&in), sb_str(&ex), naddr);
    assert_string_equal(sb_str(&got), want);
    rfc822_free_tree(tree);
    sb_free(&in);
    sb_free(&ex);
    sb_free(&got);
}

static void test_parse(void **state)
{
    (void) state;
    forms("wietse@example.com", "wietse@example.com|wietse@example.com|1");
    /* Whitespace between tokens goes; words of a local part stay apart. */
    forms("user @ example . com", "user@example.com|user@example.com|1");
    /* Two words with nothing between them are two addresses. */
    forms("a b@c", "a, b@c|a, b@c|2");
    /* A quoted local part loses its quotes inside, keeps them outside. */
    forms("\"a b\"@c", "a b@c|\"a b\"@c|1");
    forms("a\\ b@c", "a b@c|\"a b\"@c|1");
    /* A phrase, a route address and a comment. */
    forms("Joe <joe@x> (c), bob@y", "Joe <joe@x>(c), bob@y|Joe <joe@x>(c), bob@y|2");
    forms("<@r1,@r2:u@d>", "<@r1,@r2:u@d>|<@r1,@r2:u@d>|1");
    /* A named group holds its addresses. */
    forms("grp: a@b, c@d;", "grp: a@b, c@d;|grp: a@b, c@d;|2");
    forms("u@[192.0.2.1]", "u@[192.0.2.1]|u@[192.0.2.1]|1");
    forms("<>", "<>|<>|0");
    forms("", "||0");
}

static void test_scan_addr(void **state)
{
    struct strbuf out = STRBUF_INIT;

    (void) state;
    /* One address, no grouping: words get a space between them. */
    struct rfc822_tok *tree = rfc822_scan_addr("a b@c");
    rfc822_internalize(&out, tree->head, RFC822_STR_DEFL);
    assert_string_equal(sb_str(&out), "a b@c");
    assert_non_null(rfc822_rfind_type(tree->tail, '@'));
    assert_null(rfc822_rfind_type(tree->tail, '%'));
    rfc822_free_tree(tree);
    sb_free(&out);
}

static void test_quote(void **state)
{
    struct strbuf out = STRBUF_INIT;

    (void) state;
    assert_string_equal(sb_str(rfc822_quote_local(&out, "joe@x", 0)), "joe@x");
    assert_string_equal(sb_str(rfc822_quote_local(&out, "a b@x", 0)), "\"a b\"@x");
    assert_string_equal(sb_str(rfc822_quote_local(&out, "a.@x", 0)), "\"a.\"@x");
    assert_string_equal(sb_str(rfc822_quote_local(&out, "@r:a b@x", 0)), "@r:\"a b\"@x");
    assert_string_equal(sb_str(rfc822_quote_local(&out, "q\"t@x", 0)), "\"q\\\"t\"@x");
    assert_string_equal(sb_str(rfc822_unquote_local(&out, "\"a b\"@x")), "a b@x");
    assert_string_equal(sb_str(rfc822_unquote_local(&out, "\"a@b\"@x")), "a@b@x");
    sb_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_parse),
	cmocka_unit_test(test_scan_addr),
	cmocka_unit_test(test_quote),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
