/* test_lookup_order - Postfix's probe keys (SPEC 8.1-8.3) and the key-major walk */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "lookup_order.h"

/* "F:" marks a full key, "P:" a partial one. */
#define END NULL

/* SPEC 8.1's driver: localhost.localdomain in mydestination. */
static int local_domain(const char *domain, void *ctx)
{
    (void) ctx;
    return strcmp(domain, "localhost.localdomain") == 0;
}

static void settings(struct lo_settings *s)
{
    lo_settings_init(s);
    s->recipient_delimiter = "+";
    s->myorigin = "localdomain";
    s->is_local = local_domain;
}

static void expect_keys(enum lo_kind kind, const struct lo_settings *s,
			const char *input, ...)
{
    struct lo_keys keys = LO_KEYS_INIT;
    const char *err, *want;
    char got[512];
    size_t i = 0;
    va_list ap;

    assert_int_equal(lo_build(&keys, kind, input, s, &err), 0);
    va_start(ap, input);
    while ((want = va_arg(ap, const char *)) != NULL) {
	if (i >= keys.count)
	    fail_msg("%s: key %zu missing, want %s", input, i, want);
	snprintf(got, sizeof(got), "%s:%s", keys.keys[i].partial ? "P" : "F",
		 keys.keys[i].text);
	assert_string_equal(got, want);
	i++;
    }
    va_end(ap);
    if (i != keys.count)
	fail_msg("%s: %zu keys, want %zu; next %s", input, keys.count, i,
		 keys.keys[i].text);
    lo_keys_free(&keys);
}

static void test_address(void **state)
{
    struct lo_settings s;

    (void) state;
    settings(&s);
    expect_keys(LO_ADDRESS, &s, "user+ext@localhost.localdomain",
		"F:user+ext@localhost.localdomain", "P:user@localhost.localdomain",
		"P:user+ext", "P:user", "P:@localhost.localdomain", END);
    expect_keys(LO_ADDRESS, &s, "user+ext@remote.example",
		"F:user+ext@remote.example", "P:user@remote.example",
		"P:@remote.example", END);
    /* $myorigin counts as local even when it is not in mydestination. */
    expect_keys(LO_ADDRESS, &s, "user@localdomain",
		"F:user@localdomain", "P:user", "P:@localdomain", END);
    expect_keys(LO_ADDRESS, &s, "User@LocalDomain",
		"F:User@LocalDomain", "P:User", "P:@LocalDomain", END);
    /* No delimiter configured: no extension-less keys. */
    s.recipient_delimiter = "";
    expect_keys(LO_ADDRESS, &s, "user+ext@remote.example",
		"F:user+ext@remote.example", "P:@remote.example", END);
}

static void test_address_delimiters(void **state)
{
    struct lo_settings s;

    (void) state;
    settings(&s);
    s.recipient_delimiter = "+-";
    /* The first delimiter of the set splits; postmaster never splits. */
    expect_keys(LO_ADDRESS, &s, "a-b+c@x.example",
		"F:a-b+c@x.example", "P:a@x.example", "P:@x.example", END);
    expect_keys(LO_ADDRESS, &s, "postmaster@x.example",
		"F:postmaster@x.example", "P:@x.example", END);
    /* owner-foo and foo-request stay whole while '-' delimits. */
    expect_keys(LO_ADDRESS, &s, "owner-list@x.example",
		"F:owner-list@x.example", "P:@x.example", END);
    expect_keys(LO_ADDRESS, &s, "list-request@x.example",
		"F:list-request@x.example", "P:@x.example", END);
    /* A split that would leave the localpart empty does not happen. */
    expect_keys(LO_ADDRESS, &s, "+x@x.example", "F:+x@x.example", "P:@x.example", END);
    /* The null sender of sender_dependent_* maps. */
    s.null_address_key = "<>";
    expect_keys(LO_ADDRESS, &s, "", "F:<>", END);
}

static void test_transport(void **state)
{
    struct lo_settings s;

    (void) state;
    settings(&s);
    s.parent_matches_subdomains = 0;	/* 3.7 default for transport_maps */
    expect_keys(LO_TRANSPORT, &s, "user+ext@a.b.example.com",
		"F:user+ext@a.b.example.com", "P:user@a.b.example.com",
		"P:a.b.example.com", "P:.b.example.com", "P:.example.com", "P:.com",
		"F:*", END);
    s.parent_matches_subdomains = 1;
    expect_keys(LO_TRANSPORT, &s, "user+ext@a.b.example.com",
		"F:user+ext@a.b.example.com", "P:user@a.b.example.com",
		"P:a.b.example.com", "P:b.example.com", "P:example.com", "P:com",
		"F:*", END);
    /* Never the bare localpart, even for a local domain. */
    expect_keys(LO_TRANSPORT, &s, "user@localhost.localdomain",
		"F:user@localhost.localdomain", "P:localhost.localdomain",
		"P:localdomain", "F:*", END);
    /* trivial-rewrite qualifies a bare user with $myorigin. */
    expect_keys(LO_TRANSPORT, &s, "user", "F:user@localdomain", "P:localdomain", "F:*", END);
}

static void test_access_client(void **state)
{
    struct lo_settings s;
    struct lo_keys keys = LO_KEYS_INIT;
    const char *err;

    (void) state;
    settings(&s);
    expect_keys(LO_ACCESS_CLIENT, &s, "mail.sub.example.com[192.0.2.55]",
		"F:mail.sub.example.com", "P:sub.example.com", "P:example.com", "P:com",
		"F:192.0.2.55", "P:192.0.2", "P:192.0", "P:192", END);
    expect_keys(LO_ACCESS_CLIENT, &s, "mail.example.com[2001:db8:1:2::5]",
		"F:mail.example.com", "P:example.com", "P:com",
		"F:2001:db8:1:2::5", "P:2001:db8:1:2:", "P:2001:db8:1:2",
		"P:2001:db8:1", "P:2001:db8", "P:2001", END);
    /* A client whose name did not resolve is "unknown". */
    expect_keys(LO_ACCESS_CLIENT, &s, "192.0.2.1",
		"F:unknown", "F:192.0.2.1", "P:192.0.2", "P:192.0", "P:192", END);
    expect_keys(LO_ACCESS_CLIENT, &s, "[::1]", "F:unknown", "F:::1", "P::", END);
    /* smtpd_access_maps taken out of parent_domain_matches_subdomains. */
    s.parent_matches_subdomains = 0;
    expect_keys(LO_ACCESS_CLIENT, &s, "mail.sub.example.com[192.0.2.55]",
		"F:mail.sub.example.com", "P:.sub.example.com", "P:.example.com", "P:.com",
		"F:192.0.2.55", "P:192.0.2", "P:192.0", "P:192", END);
    assert_int_equal(lo_build(&keys, LO_ACCESS_CLIENT, "mail.example.com", &s, &err), -1);
    assert_non_null(err);
    assert_int_equal(lo_build(&keys, LO_ACCESS_CLIENT, "a.example[192.0.2.300]", &s, &err), -1);
    lo_keys_free(&keys);
}

static void test_access_helo(void **state)
{
    struct lo_settings s;

    (void) state;
    settings(&s);
    expect_keys(LO_ACCESS_DOMAIN, &s, "mail.sub.example.com",
		"F:mail.sub.example.com", "P:sub.example.com", "P:example.com", "P:com", END);
    /* A bare address once; a bracketed literal is cut at dots blindly. */
    expect_keys(LO_ACCESS_DOMAIN, &s, "192.0.2.1", "F:192.0.2.1", END);
    expect_keys(LO_ACCESS_DOMAIN, &s, "[192.0.2.1]",
		"F:[192.0.2.1]", "P:0.2.1]", "P:2.1]", "P:1]", END);
    /* A trailing dot: the empty key after it is never looked up. */
    expect_keys(LO_ACCESS_DOMAIN, &s, "a.example.", "F:a.example.", "P:example.", END);
    expect_keys(LO_ACCESS_DOMAIN, &s, "localhost", "F:localhost", END);
    s.parent_matches_subdomains = 0;
    expect_keys(LO_ACCESS_DOMAIN, &s, "mail.sub.example.com",
		"F:mail.sub.example.com", "P:.sub.example.com", "P:.example.com", "P:.com", END);
}

static void test_access_mail(void **state)
{
    struct lo_settings s;
    struct lo_keys keys = LO_KEYS_INIT;
    const char *err;

    (void) state;
    settings(&s);
    expect_keys(LO_ACCESS_SENDER, &s, "user+ext@mail.sub.example.com",
		"F:user+ext@mail.sub.example.com", "P:user@mail.sub.example.com",
		"P:mail.sub.example.com", "P:sub.example.com", "P:example.com", "P:com",
		"P:user+ext@", "P:user@", END);
    expect_keys(LO_ACCESS_RECIPIENT, &s, "user+ext@mail.sub.example.com",
		"F:user+ext@mail.sub.example.com", "P:user@mail.sub.example.com",
		"P:mail.sub.example.com", "P:sub.example.com", "P:example.com", "P:com",
		"P:user+ext@", "P:user@", END);
    /* Lowercased before the lookup; no extension, no extra keys. */
    expect_keys(LO_ACCESS_SENDER, &s, "Postmaster@H.Example",
		"F:postmaster@h.example", "P:h.example", "P:example", "P:postmaster@", END);
    /* The null sender is one key, smtpd_null_access_lookup_key. */
    expect_keys(LO_ACCESS_SENDER, &s, "", "F:<>", END);
    s.null_access_key = "<null>";
    expect_keys(LO_ACCESS_SENDER, &s, "", "F:<null>", END);
    assert_int_equal(lo_build(&keys, LO_ACCESS_RECIPIENT, "", &s, &err), -1);
    /* A local domain changes nothing here: no bare-localpart key. */
    expect_keys(LO_ACCESS_RECIPIENT, &s, "u@localhost.localdomain",
		"F:u@localhost.localdomain", "P:localhost.localdomain", "P:localdomain",
		"P:u@", END);
    s.parent_matches_subdomains = 0;
    expect_keys(LO_ACCESS_RECIPIENT, &s, "u@a.example.com",
		"F:u@a.example.com", "P:a.example.com", "P:.example.com", "P:.com", "P:u@", END);
    expect_keys(LO_ACCESS_EXACT, &s, "Login.Name", "F:Login.Name", END);
    lo_keys_free(&keys);
}

/* ---------------------------------------------------------------- lo_run */

/* A table of fixed "key=value" entries, or a pattern table that logs keys. */
struct fake {
    const char *name;
    int pattern;
    const char *const *entries;	/* key, value, ..., NULL */
};

static char probe_log[1024];

static int fake_pattern(void *ctx, size_t i)
{
    return ((struct fake **) ctx)[i]->pattern;
}

static enum lo_outcome fake_lookup(void *ctx, size_t i, const char *key,
				   const char **value, const char **error)
{
    const struct fake *f = ((struct fake **) ctx)[i];

    (void) error;
    for (const char *const *e = f->entries; *e; e += 2) {
	if (strcmp(e[0], key) == 0) {
	    *value = e[1];
	    return LO_HIT;
	}
    }
    return LO_MISS;
}

static void fake_init(struct fake *f, int pattern, const char *name,
		      const char *const *entries)
{
    f->name = name;
    f->pattern = pattern;
    f->entries = entries;
}

static struct fake **log_tables;

static void log_probe(void *ctx, const struct lo_probe *probe)
{
    static const char *const outcome[] = { "miss", "hit", "skip", "fail", "empty" };
    size_t len = strlen(probe_log);

    (void) ctx;
    snprintf(probe_log + len, sizeof(probe_log) - len, "%s/%s/%s ",
	     probe->key->text, log_tables[probe->table]->name, outcome[probe->outcome]);
}

static void test_run_key_major(void **state)
{
    static const char *const none[] = { NULL };
    static const char *const second[] = { "@example.com", "catchall", NULL };
    struct fake a, b, re;
    struct fake *tables[3] = { &a, &re, &b };
    struct lo_tables search = { 3, fake_pattern, fake_lookup, tables };
    struct lo_settings s;
    struct lo_keys keys = LO_KEYS_INIT;
    struct lo_probe last;
    const char *err;

    (void) state;
    settings(&s);
    fake_init(&a, 0, "a", none);
    fake_init(&re, 1, "re", none);
    fake_init(&b, 0, "b", second);
    log_tables = tables;
    assert_int_equal(lo_build(&keys, LO_ADDRESS, "u+x@example.com", &s, &err), 0);
    probe_log[0] = 0;
    assert_int_equal(lo_run(&keys, &search, log_probe, NULL, &last), LO_HIT);
    /* Each key in every table first; the pattern table sees only the full key. */
    assert_string_equal(probe_log,
			"u+x@example.com/a/miss u+x@example.com/re/miss u+x@example.com/b/miss "
			"u@example.com/a/miss u@example.com/re/skip u@example.com/b/miss "
			"@example.com/a/miss @example.com/re/skip @example.com/b/hit ");
    assert_string_equal(last.value, "catchall");
    assert_int_equal(last.table, 2);
    lo_keys_free(&keys);
}

static void test_run_dunno_stops(void **state)
{
    static const char *const acl[] = { "example.com", "DUNNO", "192.0.2", "REJECT", NULL };
    struct fake t;
    struct fake *tables[1] = { &t };
    struct lo_tables search = { 1, fake_pattern, fake_lookup, tables };
    struct lo_settings s;
    struct lo_keys keys = LO_KEYS_INIT;
    struct lo_probe last;
    const char *err;

    (void) state;
    settings(&s);
    fake_init(&t, 0, "acl", acl);
    log_tables = tables;
    assert_int_equal(lo_build(&keys, LO_ACCESS_CLIENT, "a.example.com[192.0.2.1]", &s, &err), 0);
    probe_log[0] = 0;
    assert_int_equal(lo_run(&keys, &search, log_probe, NULL, &last), LO_HIT);
    /* The hostname's DUNNO ends the search: the address is never tried. */
    assert_string_equal(probe_log, "a.example.com/acl/miss example.com/acl/hit ");
    assert_string_equal(last.value, "DUNNO");
    lo_keys_free(&keys);

    assert_int_equal(lo_build(&keys, LO_ACCESS_CLIENT, "other.example[192.0.2.1]", &s, &err), 0);
    assert_int_equal(lo_run(&keys, &search, NULL, NULL, &last), LO_HIT);
    assert_string_equal(last.key->text, "192.0.2");
    assert_string_equal(last.value, "REJECT");
    lo_keys_free(&keys);
}

static void test_run_miss_and_empty(void **state)
{
    static const char *const empty[] = { "k", "", NULL };
    struct fake t;
    struct fake *tables[1] = { &t };
    struct lo_tables search = { 1, fake_pattern, fake_lookup, tables };
    struct lo_settings s;
    struct lo_keys keys = LO_KEYS_INIT;
    struct lo_probe last;
    const char *err;

    (void) state;
    settings(&s);
    fake_init(&t, 0, "t", empty);
    assert_int_equal(lo_build(&keys, LO_ACCESS_EXACT, "nothing", &s, &err), 0);
    assert_int_equal(lo_run(&keys, &search, NULL, NULL, &last), LO_MISS);
    lo_keys_free(&keys);
    assert_int_equal(lo_build(&keys, LO_ACCESS_EXACT, "k", &s, &err), 0);
    assert_int_equal(lo_run(&keys, &search, NULL, NULL, &last), LO_EMPTY);
    lo_keys_free(&keys);
}

static void test_name_in_list(void **state)
{
    (void) state;
    assert_true(lo_name_in_list("debug_peer_list,fast_flush_domains, smtpd_access_maps",
				"smtpd_access_maps"));
    assert_false(lo_name_in_list("debug_peer_list,relay_domains", "transport_maps"));
    assert_true(lo_name_in_list("Transport_Maps", "transport_maps"));
    assert_false(lo_name_in_list("!transport_maps, transport_maps", "transport_maps"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_address),
	cmocka_unit_test(test_address_delimiters),
	cmocka_unit_test(test_transport),
	cmocka_unit_test(test_access_client),
	cmocka_unit_test(test_access_helo),
	cmocka_unit_test(test_access_mail),
	cmocka_unit_test(test_run_key_major),
	cmocka_unit_test(test_run_dunno_stops),
	cmocka_unit_test(test_run_miss_and_empty),
	cmocka_unit_test(test_name_in_list),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
