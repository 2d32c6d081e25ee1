/*
 * test_dns - runtime/policy/dns.c over a resolver that reads a fixed zone
 * (the way the engine's tests will run it): which status wins when one
 * question asks several types (Postfix's dns_lookup_v() order), what is
 * never asked, texts made for a resolver that keeps no reason, the MX/NS
 * walk and its early stop, DNS list reply templates; and lib's host
 * syntax, status-code splitting and time conversion that dns.c and the
 * policy client use.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "dns.h"
#include "dsn.h"
#include "hostaddr.h"
#include "textutil.h"
#include "xalloc.h"

/* One fixed answer: name, type, status, and up to two records. */
struct zone_entry {
    const char *name;
    enum dns_type type;
    enum dns_status status;
    const char *data[2];
};

struct fake {
    struct dns_resolver ops;
    const struct zone_entry *zone;
    int queries;
};

static enum dns_status fake_query(struct dns_resolver *r, const char *name, enum dns_type type,
				  struct dns_answer *answer)
{
    struct fake *f = (struct fake *) r;

    f->queries++;
    for (const struct zone_entry *z = f->zone; z->name; z++) {
	if (strcmp(z->name, name) != 0 || z->type != type)
	    continue;
	for (int i = 0; i < 2 && z->data[i]; i++) {
	    answer->rrs = xrealloc(answer->rrs, (answer->count + 1) * sizeof(*answer->rrs));
	    answer->rrs[answer->count++] = (struct dns_rr) { type, 10, xstrdup(z->data[i]) };
	}
	return z->status;
    }
    return DNS_NOTFOUND;
}

static const struct zone_entry zone[] = {
    /* reject_unknown_hostname: no A, AAAA fails, no MX: the failure wins */
    {"retry6.test", DNS_AAAA, DNS_RETRY, {0}},
    /* FAIL outranks a later null MX */
    {"fail6.test", DNS_AAAA, DNS_FAIL, {0}},
    {"fail6.test", DNS_MX, DNS_NULLMX, {0}},
    /* reject_unknown_*_domain: MX fails, A is malformed (stops): RETRY stays */
    {"mxretry.test", DNS_MX, DNS_RETRY, {0}},
    {"mxretry.test", DNS_A, DNS_INVAL, {0}},
    {"aonly.test", DNS_A, DNS_OK, {"192.0.2.1"}},
    {"nullmx.test", DNS_MX, DNS_NULLMX, {0}},
    {"nullmx.test", DNS_A, DNS_OK, {"192.0.2.2"}},
    /* the walk */
    {"two.test", DNS_MX, DNS_OK, {"mx1.test", "mx2.test"}},
    {"mx1.test", DNS_A, DNS_OK, {"192.0.2.11"}},
    {"mx2.test", DNS_A, DNS_OK, {"192.0.2.12", "192.0.2.13"}},
    {"mx2.test", DNS_AAAA, DNS_OK, {"2001:db8::12"}},
    {"pfc.test", DNS_NS, DNS_OK, {"ns.pfc.test"}},
    {"ns.pfc.test", DNS_A, DNS_OK, {"192.0.2.53"}},
    {"many.test", DNS_MX, DNS_OK, {"mx2.test", "mx2.test"}},
    {0},
};

static struct fake *fake_new(void)
{
    struct fake *f = xcalloc(1, sizeof(*f));

    f->ops.query = fake_query;
    f->zone = zone;
    return f;
}

static void test_status_order(void **state)
{
    struct fake *f = fake_new();
    struct dns_resolver *r = &f->ops;

    (void) state;
    assert_int_equal(dns_lookup_addr_or_mx(r, "retry6.test"), DNS_RETRY);
    assert_int_equal(dns_lookup_addr_or_mx(r, "fail6.test"), DNS_FAIL);
    assert_int_equal(dns_lookup_addr_or_mx(r, "aonly.test"), DNS_OK);
    assert_int_equal(dns_lookup_addr_or_mx(r, "nowhere.test"), DNS_NOTFOUND);
    assert_int_equal(dns_lookup_mailhost(r, "mxretry.test"), DNS_RETRY);
    assert_int_equal(dns_lookup_mailhost(r, "aonly.test"), DNS_OK);
    /* A null MX stops the lookup: the A record is never asked for. */
    f->queries = 0;
    assert_int_equal(dns_lookup_mailhost(r, "nullmx.test"), DNS_NULLMX);
    assert_int_equal(f->queries, 1);
    free(f);
}

static void test_not_asked(void **state)
{
    struct fake *f = fake_new();
    struct dns_answer a;
    struct strbuf why = STRBUF_INIT;

    (void) state;
    assert_int_equal(dns_lookup(&f->ops, "192.0.2.1", DNS_A, &a), DNS_NOTFOUND);
    assert_string_equal(a.why, "Name service error for 192.0.2.1: invalid host or domain name");
    dns_answer_free(&a);
    assert_int_equal(dns_lookup(&f->ops, "bad..test", DNS_A, &a), DNS_NOTFOUND);
    dns_answer_free(&a);
    assert_int_equal(dns_lookup(&f->ops, "-bad.test", DNS_MX, &a), DNS_NOTFOUND);
    dns_answer_free(&a);
    assert_int_equal(f->queries, 0);
    /* Texts for a resolver that keeps no reason. */
    assert_int_equal(dns_lookup(&f->ops, "retry6.test", DNS_AAAA, &a), DNS_RETRY);
    assert_string_equal(dns_why(&a, "retry6.test", DNS_AAAA, DNS_RETRY, &why),
			"Host or domain name not found. Name service error for name=retry6.test"
			" type=AAAA: Host not found, try again");
    assert_string_equal(dns_strerror(&a, DNS_RETRY, &why), "Host not found, try again");
    dns_answer_free(&a);
    assert_string_equal(dns_why(NULL, "x.test", DNS_MX, DNS_NULLMX, &why),
			"Domain x.test does not accept mail (nullMX)");
    assert_string_equal(dns_strerror(NULL, DNS_INVAL, &why), "Unknown error 0");
    sb_free(&why);
    free(f);
}

/* A visitor that records what it sees and stops at one value. */
struct seen {
    struct strbuf sb;
    const char *stop;
};

static int visit(void *ctx, enum dns_type kind, const char *value)
{
    struct seen *s = ctx;

    sb_printf(&s->sb, "%s %s;", dns_strtype(kind), value);
    return s->stop && strcmp(s->stop, value) == 0 ? 7 : 0;
}

static void test_walk(void **state)
{
    struct fake *f = fake_new();
    struct seen s = { STRBUF_INIT, NULL };

    (void) state;
    assert_int_equal(dns_walk_hosts(&f->ops, "u@two.test", DNS_MX, "u@two.test",
				     "Recipient address", visit, &s), 0);
    assert_string_equal(sb_str(&s.sb), "MX mx1.test;A 192.0.2.11;MX mx2.test;A 192.0.2.12;"
			"A 192.0.2.13;AAAA 2001:db8::12;");
    /* A visitor's non-zero answer stops the walk and is returned. */
    sb_reset(&s.sb);
    s.stop = "mx2.test";
    assert_int_equal(dns_walk_hosts(&f->ops, "u@two.test", DNS_MX, "u@two.test",
				     "Recipient address", visit, &s), 7);
    assert_string_equal(sb_str(&s.sb), "MX mx1.test;A 192.0.2.11;MX mx2.test;");
    /* inet_protocols = ipv4: no AAAA. */
    sb_reset(&s.sb);
    s.stop = NULL;
    f->ops.families = DNS_FAMILY_INET;
    dns_walk_hosts(&f->ops, "two.test", DNS_A, "two.test", "Helo command", visit, &s);
    assert_string_equal(sb_str(&s.sb), "");
    dns_walk_hosts(&f->ops, "mx2.test", DNS_A, "mx2.test", "Helo command", visit, &s);
    assert_string_equal(sb_str(&s.sb), "A 192.0.2.12;A 192.0.2.13;");
    /* NS records of the parent domain. */
    sb_reset(&s.sb);
    dns_walk_hosts(&f->ops, "a.b.pfc.test", DNS_NS, "a.b.pfc.test", "Helo command", visit, &s);
    assert_string_equal(sb_str(&s.sb), "NS ns.pfc.test;A 192.0.2.53;");
    /* The address count limit ends the walk. */
    sb_reset(&s.sb);
    f->ops.rr_list_limit = 3;
    assert_int_equal(dns_walk_hosts(&f->ops, "u@many.test", DNS_MX, "u@many.test",
				     "Recipient address", visit, &s), 0);
    assert_string_equal(sb_str(&s.sb), "MX mx2.test;A 192.0.2.12;A 192.0.2.13;MX mx2.test;"
			"A 192.0.2.12;");
    sb_free(&s.sb);
    free(f);
}

static const char *no_names(const char *name, int mode, void *ctx)
{
    (void) name;
    (void) mode;
    (void) ctx;
    return NULL;
}

static void test_rbl_reply(void **state)
{
    struct dns_rbl rbl = { DNS_OK, NULL, (char *) "why\001not", {0} };
    struct dns_rbl_reply how = {
	.default_template = "$rbl_code Service unavailable; $rbl_class [$rbl_what] blocked"
	    " using $rbl_domain${rbl_reason?; $rbl_reason}",
	.rbl_code = 554,
	.filter = " 0123456789abcdefghijklmnopqrstuvwxyz",
	.lookup = no_names,
    };
    struct strbuf text = STRBUF_INIT;
    char dsn[DSN_SIZE], *err = NULL;

    (void) state;
    assert_int_equal(dns_rbl_reply(&rbl, "zen.test=127.0.0.2", "192.0.2.1", "Client host", &how,
				   dsn, &text, &err), 554);
    assert_string_equal(dsn, "4.7.1");
    /* Values pass the filter ('_' for the rest); the template's text does not. */
    assert_string_equal(sb_str(&text), "Service unavailable; _lient host [192_0_2_1] blocked"
			" using zen_test; why_not");
    how.template = "550 5.7.9";
    assert_int_equal(dns_rbl_reply(&rbl, "zen.test", "x", "Client host", &how, dsn, &text,
				   &err), 550);
    assert_string_equal(dsn, "5.7.9");
    assert_string_equal(sb_str(&text), "Service unavailable");
    how.template = NULL;
    how.default_template = "${rbl_code";
    assert_int_equal(dns_rbl_reply(&rbl, "zen.test", "x", "Client host", &how, dsn, &text,
				   &err), -1);
    assert_string_equal(err, "rbl_reject_reply: bad default rbl reply template: ${rbl_code");
    free(err);
    sb_free(&text);
}

static void test_host_syntax(void **state)
{
    (void) state;
    assert_true(valid_hostname("mail.example.com", 0));
    assert_true(valid_hostname("a_b.example", 0));
    assert_true(valid_hostname("*.example", HOST_WILDCARD));
    assert_false(valid_hostname("*.example", 0));
    assert_false(valid_hostname("a.*.example", HOST_WILDCARD));
    assert_false(valid_hostname("1.2.3.4", 0));
    assert_false(valid_hostname("-a.example", 0));
    assert_false(valid_hostname("a-.example", 0));
    assert_false(valid_hostname("a..example", 0));
    assert_false(valid_hostname("example.", 0));
    assert_false(valid_hostname("", 0));
    char label[80];
    memset(label, 'a', 64);
    label[64] = 0;
    assert_false(valid_hostname(label, 0));
    label[63] = 0;
    assert_true(valid_hostname(label, 0));
    assert_true(valid_hostaddr("192.0.2.1", 0));
    assert_true(valid_hostaddr("0.0.0.0", 0));
    assert_false(valid_hostaddr("0.1.2.3", 0));
    assert_false(valid_hostaddr("192.0.2.256", 0));
    assert_false(valid_hostaddr("192.0.2", 0));
    assert_true(valid_hostaddr("::1", 0));
    assert_true(valid_hostaddr("2001:db8::1", 0));
    assert_true(valid_hostaddr("::ffff:192.0.2.1", 0));
    assert_false(valid_hostaddr("2001:db8::1::2", 0));
    assert_false(valid_hostaddr("12345::1", 0));
    assert_false(valid_hostaddr(":1:2", 0));
}

static void test_dsn_and_time(void **state)
{
    char dsn[DSN_SIZE];
    int t;

    (void) state;
    assert_string_equal(dsn_split(dsn, "4.7.1", "  5.7.9   go away"), "go away");
    assert_string_equal(dsn, "5.7.9");
    assert_string_equal(dsn_split(dsn, "4.7.1", "5.7.1234 text"), "5.7.1234 text");
    assert_string_equal(dsn, "4.7.1");
    assert_string_equal(dsn_split(dsn, "4.7.1", "2.0.0"), "");
    assert_string_equal(dsn, "2.0.0");
    assert_int_equal(dsn_valid("3.0.0 x"), 0);
    assert_true(conv_time("10", &t, 's') && t == 10);
    assert_true(conv_time("2m", &t, 's') && t == 120);
    assert_true(conv_time("1h", &t, 's') && t == 3600);
    assert_true(conv_time("1dx", &t, 's') && t == 86400);
    assert_true(conv_time("3", &t, 'm') && t == 180);
    assert_false(conv_time("10x", &t, 's'));
    assert_false(conv_time("", &t, 's'));
    assert_false(conv_time("-1", &t, 's'));
    assert_false(conv_time("4000w", &t, 's'));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_status_order),
	cmocka_unit_test(test_not_asked),
	cmocka_unit_test(test_walk),
	cmocka_unit_test(test_rbl_reply),
	cmocka_unit_test(test_host_syntax),
	cmocka_unit_test(test_dsn_and_time),
    };
    diag_set_program("test_dns");
    return cmocka_run_group_tests(tests, NULL, NULL);
}
