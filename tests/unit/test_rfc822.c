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

#include "addr822.h"

/* forms - "INTERNAL|EXTERNAL|N" for text: both forms and the number of addresses */
static void forms(const char *text, const char *want)
{
    struct strbuf in = STRBUF_INIT, ex = STRBUF_INIT, got = STRBUF_INIT;
    struct a822 a;
    int32_t tree;
    int naddr = 0;

    a822_init(&a);
    tree = a822_parse(&a, text);
    for (int32_t tp = tree; tp != A822_NONE; tp = a.tok[tp].next)
	naddr += a.tok[tp].type == A822_ADDR;
    sb_set(&in, "");
    sb_set(&ex, "");
    a822_internalize(&a, &in, tree);
    a822_externalize(&a, &ex, tree);
    sb_printf(&got, "%s|%s|%d", sb_str(&in), sb_str(&ex), naddr);
    assert_string_equal(sb_str(&got), want);
    a822_free(&a);
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
    struct a822 a;

    (void) state;
    a822_init(&a);
    /* One address, no grouping: words get a space between them. */
    int32_t tree = a822_scan_addr(&a, "a b@c");
    sb_set(&out, "");
    a822_internalize(&a, &out, a.tok[tree].head);
    assert_string_equal(sb_str(&out), "a b@c");
    assert_int_not_equal(a822_rfind_type(&a, a.tok[tree].tail, '@'), A822_NONE);
    assert_int_equal(a822_rfind_type(&a, a.tok[tree].tail, '%'), A822_NONE);
    a822_free(&a);
    sb_free(&out);
}

/* quoted - a822_quote_local(mbox) (quote: 1) or a822_unquote_local(mbox) */
static const char *quoted(const char *mbox, int quote)
{
    static struct strbuf out = STRBUF_INIT;

    sb_set(&out, "");
    if (quote)
	a822_quote_local(&out, mbox, 0);
    else
	a822_unquote_local(&out, mbox);
    return sb_str(&out);
}

static void test_quote(void **state)
{
    (void) state;
    assert_string_equal(quoted("joe@x", 1), "joe@x");
    assert_string_equal(quoted("a b@x", 1), "\"a b\"@x");
    assert_string_equal(quoted("a.@x", 1), "\"a.\"@x");
    assert_string_equal(quoted("@r:a b@x", 1), "@r:\"a b\"@x");
    assert_string_equal(quoted("q\"t@x", 1), "\"q\\\"t\"@x");
    assert_string_equal(quoted("\"a b\"@x", 0), "a b@x");
    assert_string_equal(quoted("\"a@b\"@x", 0), "a@b@x");
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
