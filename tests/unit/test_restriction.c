/*
 * test_restriction - the one table of smtpd restrictions and the one
 * reading of a restriction list: ids index the table, names are found in
 * any case, and restriction_parse() consumes words as generic_checks()
 * does (and, for the linter, as it reports them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "restriction.h"

static void test_table(void **state)
{
    (void) state;
    for (unsigned id = 0; id < RESTR_COUNT; id++) {
	const struct restriction_def *def = restriction_def(id);
	assert_int_equal(def->id, id);
	if (*def->name == 0)
	    continue;
	/* Every name is found, in any case, and names only itself. */
	assert_ptr_equal(restriction_find(def->name), def);
	char upper[64];
	snprintf(upper, sizeof(upper), "%s", def->name);
	for (char *cp = upper; *cp; cp++)
	    if (*cp >= 'a' && *cp <= 'z')
		*cp = (char) (*cp - 'a' + 'A');
	assert_ptr_equal(restriction_find(upper), def);
	/* A restriction with a table says how its keys are made. */
	if (def->arg == RARG_TABLE)
	    assert_int_not_equal(def->subject, SUBJ_NONE);
	assert_true(def->stages != 0);
    }
    assert_null(restriction_find("no_such_restriction"));
    assert_null(restriction_find(""));
    /* Out of range is "none", never a wild read. */
    assert_int_equal(restriction_def(RESTR_COUNT + 7)->id, RESTR_NONE);
    /* The guards of smtpd's start-up check. */
    assert_true(restriction_find("reject_unauth_destination")->flags & RF_RELAY_GUARD);
    assert_true(restriction_find("defer_if_permit")->flags & RF_RELAY_GUARD);
    assert_false(restriction_find("permit")->flags & RF_RELAY_GUARD);
    assert_int_equal(restriction_find("check_helo_mx_access")->dns, RDNS_MX);
    assert_int_equal(restriction_find("check_sender_access")->lookup, LO_ACCESS_SENDER);
}

static void test_lists(void **state)
{
    (void) state;
    assert_int_equal(restriction_list_find("smtpd_client_restrictions")->default_access,
		     RESTR_CHECK_CLIENT_ACCESS);
    assert_int_equal(restriction_list_find("smtpd_data_restrictions")->default_access,
		     RESTR_NONE);
    assert_string_equal(restriction_list_find("smtpd_helo_restrictions")->reply_class,
			"Helo command");
    assert_null(restriction_list_find("myclass"));
}

static int is_class(void *ctx, const char *word)
{
    (void) ctx;
    return strcmp(word, "myclass") == 0;
}

/* parse - the steps of text (space-separated words) as "id:word>arg!problem" */
static void parse(const char *text, enum restriction_id def, unsigned flags, const char *want)
{
    char buf[256], *words[32], out[512] = "";
    size_t n = 0;
    struct restriction_step steps[32];

    snprintf(buf, sizeof(buf), "%s", text);
    for (char *w = strtok(buf, " "); w != NULL; w = strtok(NULL, " "))
	words[n++] = w;
    size_t k = restriction_parse(words, n, def, flags, is_class, NULL, steps);
    for (size_t i = 0; i < k; i++) {
	size_t len = strlen(out);
	snprintf(out + len, sizeof(out) - len, "%s%u:%zu", i ? " " : "", (unsigned) steps[i].id,
		 steps[i].word);
	len = strlen(out);
	if (steps[i].arg != RESTRICTION_NO_WORD)
	    snprintf(out + len, sizeof(out) - len, ">%zu", steps[i].arg);
	len = strlen(out);
	if (steps[i].problem != RP_NONE)
	    snprintf(out + len, sizeof(out) - len, "!%d", (int) steps[i].problem);
	len = strlen(out);
	if (steps[i].implicit)
	    snprintf(out + len, sizeof(out) - len, "i");
    }
    assert_string_equal(out, want);
}

static void test_parse(void **state)
{
    char want[256];

    (void) state;
    /* Plain words, a table, a class, a word smtpd does not know. */
    snprintf(want, sizeof(want), "%u:0 %u:1>2 %u:3 %u:4!%d", RESTR_PERMIT_MYNETWORKS,
	     RESTR_CHECK_CLIENT_ACCESS, RESTR_CLASS, RESTR_NONE, RP_UNKNOWN);
    parse("permit_mynetworks check_client_access hash:/a myclass bogus", RESTR_NONE, 0, want);
    /* A bare table is the list's default check_*_access, or an error. */
    snprintf(want, sizeof(want), "%u:0>0i %u:1", RESTR_CHECK_HELO_ACCESS, RESTR_REJECT);
    parse("cidr:/x reject", RESTR_CHECK_HELO_ACCESS, 0, want);
    snprintf(want, sizeof(want), "%u:0>0!%di", RESTR_NONE, RP_NO_DEFAULT_ACCESS);
    parse("cidr:/x", RESTR_NONE, 0, want);
    /* A table restriction takes the next word, even a bad one (smtpd: 451)... */
    snprintf(want, sizeof(want), "%u:0>1!%d %u:2", RESTR_CHECK_SENDER_ACCESS, RP_BAD_ARG,
	     RESTR_PERMIT);
    parse("check_sender_access reject permit", RESTR_NONE, 0, want);
    /* ... which the linter leaves to be reported on its own. */
    snprintf(want, sizeof(want), "%u:0!%d %u:1 %u:2", RESTR_CHECK_SENDER_ACCESS, RP_BAD_ARG,
	     RESTR_REJECT, RESTR_PERMIT);
    parse("check_sender_access reject permit", RESTR_NONE, RESTRICTION_PARSE_LINT, want);
    /* A DNS list takes any next word as its domain, a restriction too. */
    snprintf(want, sizeof(want), "%u:0>1", RESTR_REJECT_RBL_CLIENT);
    parse("reject_rbl_client permit", RESTR_NONE, 0, want);
    snprintf(want, sizeof(want), "%u:0!%d %u:1", RESTR_REJECT_RBL_CLIENT, RP_BAD_ARG,
	     RESTR_PERMIT);
    parse("reject_rbl_client permit", RESTR_NONE, RESTRICTION_PARSE_LINT, want);
    snprintf(want, sizeof(want), "%u:0!%d", RESTR_REJECT_RHSBL_HELO, RP_BAD_ARG);
    parse("reject_rhsbl_helo", RESTR_NONE, 0, want);
    /* sleep: digits only; a policy service: transport:endpoint. */
    snprintf(want, sizeof(want), "%u:0>1 %u:2!%d %u:3!%d", RESTR_SLEEP, RESTR_SLEEP,
	     RP_BAD_ARG, RESTR_NONE, RP_UNKNOWN);
    parse("sleep 10 sleep 1x", RESTR_NONE, 0, want);
    snprintf(want, sizeof(want), "%u:0!%d %u:1", RESTR_CHECK_POLICY_SERVICE, RP_BAD_ARG,
	     RESTR_PERMIT);
    parse("check_policy_service permit", RESTR_NONE, 0, want);
    snprintf(want, sizeof(want), "%u:0>1!%d", RESTR_CHECK_POLICY_SERVICE, RP_BAD_ARG);
    parse("check_policy_service permit", RESTR_NONE, RESTRICTION_PARSE_LINT, want);
    snprintf(want, sizeof(want), "%u:0>1", RESTR_CHECK_POLICY_SERVICE);
    parse("check_policy_service inet:127.0.0.1:9998", RESTR_NONE, 0, want);
    /* Names in any case; classes are case-sensitive and come after them. */
    snprintf(want, sizeof(want), "%u:0 %u:1!%d", RESTR_PERMIT_MYNETWORKS, RESTR_NONE,
	     RP_UNKNOWN);
    parse("PERMIT_MYNETWORKS MyClass", RESTR_NONE, 0, want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_table),
	cmocka_unit_test(test_lists),
	cmocka_unit_test(test_parse),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
