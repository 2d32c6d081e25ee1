/*
 * restriction - the table of Postfix 3.7's smtpd restrictions and the one
 * reading of a restriction list (see restriction.h). The names, their
 * arguments and what each looks at follow smtpd_check.c's
 * generic_checks(); the lists and their default access restrictions
 * follow smtpd_check_client() ... smtpd_check_etrn().
 */
#include <string.h>
#include <strings.h>

#include "restriction.h"
#include "textutil.h"

#define ALL		STAGE_ALL
/* Where each subject is known: HELO from its command on, and so on. */
#define AFTER_HELO	(STAGE_HELO | STAGE_MAIL | STAGE_RCPT | STAGE_DATA | STAGE_EOD | STAGE_ETRN)
#define AFTER_MAIL	(STAGE_MAIL | STAGE_RCPT | STAGE_DATA | STAGE_EOD)
#define AFTER_RCPT	(STAGE_RCPT | STAGE_DATA | STAGE_EOD)

/* The table, indexed by id: restriction_def() is one array access. */
static const struct restriction_def defs[RESTR_COUNT] = {
    [RESTR_NONE] = {RESTR_NONE, "", RARG_NONE, SUBJ_NONE, ALL, 0, 0, 0},
#define R(id, name, arg, subj, stages, flags, lookup, dns) \
    [id] = {id, name, arg, subj, stages, flags, lookup, dns},
    /* generic */
    R(RESTR_WARN_IF_REJECT, "warn_if_reject", RARG_NONE, SUBJ_NONE, ALL, 0, 0, 0)
    R(RESTR_PERMIT, "permit", RARG_NONE, SUBJ_NONE, ALL, RF_ENDS_LIST, 0, 0)
    R(RESTR_DEFER, "defer", RARG_NONE, SUBJ_NONE, ALL, RF_ENDS_LIST | RF_RELAY_GUARD, 0, 0)
    R(RESTR_REJECT, "reject", RARG_NONE, SUBJ_NONE, ALL, RF_ENDS_LIST | RF_RELAY_GUARD, 0, 0)
    R(RESTR_REJECT_UNAUTH_PIPELINING, "reject_unauth_pipelining", RARG_NONE, SUBJ_NONE,
      ALL, 0, 0, 0)
    R(RESTR_CHECK_POLICY_SERVICE, "check_policy_service", RARG_ENDPOINT, SUBJ_NONE,
      ALL, 0, 0, 0)
    R(RESTR_DEFER_IF_PERMIT, "defer_if_permit", RARG_NONE, SUBJ_NONE, ALL,
      RF_RELAY_GUARD, 0, 0)
    R(RESTR_DEFER_IF_REJECT, "defer_if_reject", RARG_NONE, SUBJ_NONE, ALL, 0, 0, 0)
    R(RESTR_SLEEP, "sleep", RARG_NUMBER, SUBJ_NONE, ALL, 0, 0, 0)
    R(RESTR_REJECT_PLAINTEXT_SESSION, "reject_plaintext_session", RARG_NONE, SUBJ_NONE,
      ALL, RF_TLS, 0, 0)
    /* client */
    R(RESTR_REJECT_UNKNOWN_CLIENT_HOSTNAME, "reject_unknown_client_hostname", RARG_NONE,
      SUBJ_CLIENT, ALL, RF_DNS, 0, 0)
    R(RESTR_REJECT_UNKNOWN_CLIENT, "reject_unknown_client", RARG_NONE, SUBJ_CLIENT, ALL,
      RF_DNS | RF_ALIAS, 0, 0)
    R(RESTR_REJECT_UNKNOWN_REVERSE_CLIENT_HOSTNAME, "reject_unknown_reverse_client_hostname",
      RARG_NONE, SUBJ_REVERSE_CLIENT, ALL, RF_DNS, 0, 0)
    R(RESTR_PERMIT_INET_INTERFACES, "permit_inet_interfaces", RARG_NONE, SUBJ_CLIENT, ALL,
      0, 0, 0)
    R(RESTR_PERMIT_MYNETWORKS, "permit_mynetworks", RARG_NONE, SUBJ_CLIENT, ALL, 0, 0, 0)
    R(RESTR_CHECK_CLIENT_ACCESS, "check_client_access", RARG_TABLE, SUBJ_CLIENT, ALL, 0,
      LO_ACCESS_CLIENT, 0)
    R(RESTR_CHECK_REVERSE_CLIENT_HOSTNAME_ACCESS, "check_reverse_client_hostname_access",
      RARG_TABLE, SUBJ_REVERSE_CLIENT, ALL, RF_NO_ALLOWLIST, LO_ACCESS_CLIENT, 0)
    R(RESTR_REJECT_MAPS_RBL, "reject_maps_rbl", RARG_NONE, SUBJ_CLIENT, ALL,
      RF_DNS | RF_DEPRECATED, 0, 0)
    R(RESTR_REJECT_RBL_CLIENT, "reject_rbl_client", RARG_DOMAIN, SUBJ_CLIENT, ALL, RF_DNS,
      0, 0)
    R(RESTR_REJECT_RBL, "reject_rbl", RARG_DOMAIN, SUBJ_CLIENT, ALL, RF_DNS | RF_ALIAS, 0, 0)
    R(RESTR_PERMIT_DNSWL_CLIENT, "permit_dnswl_client", RARG_DOMAIN, SUBJ_CLIENT, ALL,
      RF_DNS, 0, 0)
    R(RESTR_REJECT_RHSBL_CLIENT, "reject_rhsbl_client", RARG_DOMAIN, SUBJ_CLIENT, ALL,
      RF_DNS, 0, 0)
    R(RESTR_PERMIT_RHSWL_CLIENT, "permit_rhswl_client", RARG_DOMAIN, SUBJ_CLIENT, ALL,
      RF_DNS, 0, 0)
    R(RESTR_REJECT_RHSBL_REVERSE_CLIENT, "reject_rhsbl_reverse_client", RARG_DOMAIN,
      SUBJ_REVERSE_CLIENT, ALL, RF_DNS, 0, 0)
    R(RESTR_CHECK_CCERT_ACCESS, "check_ccert_access", RARG_TABLE, SUBJ_CCERT, ALL, RF_TLS,
      LO_ACCESS_EXACT, 0)
    R(RESTR_CHECK_SASL_ACCESS, "check_sasl_access", RARG_TABLE, SUBJ_SASL, ALL, RF_SASL,
      LO_ACCESS_EXACT, 0)
    R(RESTR_CHECK_CLIENT_NS_ACCESS, "check_client_ns_access", RARG_TABLE, SUBJ_CLIENT, ALL,
      RF_DNS | RF_NO_ALLOWLIST, LO_ACCESS_DOMAIN, RDNS_NS)
    R(RESTR_CHECK_CLIENT_MX_ACCESS, "check_client_mx_access", RARG_TABLE, SUBJ_CLIENT, ALL,
      RF_DNS | RF_NO_ALLOWLIST, LO_ACCESS_DOMAIN, RDNS_MX)
    R(RESTR_CHECK_CLIENT_A_ACCESS, "check_client_a_access", RARG_TABLE, SUBJ_CLIENT, ALL,
      RF_DNS | RF_NO_ALLOWLIST, LO_ACCESS_DOMAIN, RDNS_A)
    R(RESTR_CHECK_REVERSE_CLIENT_HOSTNAME_NS_ACCESS,
      "check_reverse_client_hostname_ns_access", RARG_TABLE, SUBJ_REVERSE_CLIENT, ALL,
      RF_DNS | RF_NO_ALLOWLIST, LO_ACCESS_DOMAIN, RDNS_NS)
    R(RESTR_CHECK_REVERSE_CLIENT_HOSTNAME_MX_ACCESS,
      "check_reverse_client_hostname_mx_access", RARG_TABLE, SUBJ_REVERSE_CLIENT, ALL,
      RF_DNS | RF_NO_ALLOWLIST, LO_ACCESS_DOMAIN, RDNS_MX)
    R(RESTR_CHECK_REVERSE_CLIENT_HOSTNAME_A_ACCESS,
      "check_reverse_client_hostname_a_access", RARG_TABLE, SUBJ_REVERSE_CLIENT, ALL,
      RF_DNS | RF_NO_ALLOWLIST, LO_ACCESS_DOMAIN, RDNS_A)
    /* HELO */
    R(RESTR_CHECK_HELO_ACCESS, "check_helo_access", RARG_TABLE, SUBJ_HELO, AFTER_HELO, 0,
      LO_ACCESS_DOMAIN, 0)
    R(RESTR_REJECT_INVALID_HELO_HOSTNAME, "reject_invalid_helo_hostname", RARG_NONE,
      SUBJ_HELO, AFTER_HELO, 0, 0, 0)
    R(RESTR_REJECT_INVALID_HOSTNAME, "reject_invalid_hostname", RARG_NONE, SUBJ_HELO,
      AFTER_HELO, RF_ALIAS, 0, 0)
    R(RESTR_REJECT_UNKNOWN_HELO_HOSTNAME, "reject_unknown_helo_hostname", RARG_NONE,
      SUBJ_HELO, AFTER_HELO, RF_DNS, 0, 0)
    R(RESTR_REJECT_UNKNOWN_HOSTNAME, "reject_unknown_hostname", RARG_NONE, SUBJ_HELO,
      AFTER_HELO, RF_DNS | RF_ALIAS, 0, 0)
    R(RESTR_PERMIT_NAKED_IP_ADDRESS, "permit_naked_ip_address", RARG_NONE, SUBJ_HELO,
      AFTER_HELO, RF_DEPRECATED, 0, 0)
    R(RESTR_CHECK_HELO_NS_ACCESS, "check_helo_ns_access", RARG_TABLE, SUBJ_HELO, AFTER_HELO,
      RF_DNS | RF_NO_ALLOWLIST, LO_ACCESS_DOMAIN, RDNS_NS)
    R(RESTR_CHECK_HELO_MX_ACCESS, "check_helo_mx_access", RARG_TABLE, SUBJ_HELO, AFTER_HELO,
      RF_DNS | RF_NO_ALLOWLIST, LO_ACCESS_DOMAIN, RDNS_MX)
    R(RESTR_CHECK_HELO_A_ACCESS, "check_helo_a_access", RARG_TABLE, SUBJ_HELO, AFTER_HELO,
      RF_DNS | RF_NO_ALLOWLIST, LO_ACCESS_DOMAIN, RDNS_A)
    R(RESTR_REJECT_NON_FQDN_HELO_HOSTNAME, "reject_non_fqdn_helo_hostname", RARG_NONE,
      SUBJ_HELO, AFTER_HELO, 0, 0, 0)
    R(RESTR_REJECT_NON_FQDN_HOSTNAME, "reject_non_fqdn_hostname", RARG_NONE, SUBJ_HELO,
      AFTER_HELO, RF_ALIAS, 0, 0)
    R(RESTR_REJECT_RHSBL_HELO, "reject_rhsbl_helo", RARG_DOMAIN, SUBJ_HELO, AFTER_HELO,
      RF_DNS, 0, 0)
    /* sender */
    R(RESTR_CHECK_SENDER_ACCESS, "check_sender_access", RARG_TABLE, SUBJ_SENDER, AFTER_MAIL,
      0, LO_ACCESS_SENDER, 0)
    R(RESTR_REJECT_UNKNOWN_ADDRESS, "reject_unknown_address", RARG_NONE, SUBJ_SENDER,
      AFTER_MAIL, RF_DNS, 0, 0)
    R(RESTR_REJECT_UNKNOWN_SENDER_DOMAIN, "reject_unknown_sender_domain", RARG_NONE,
      SUBJ_SENDER, AFTER_MAIL, RF_DNS, 0, 0)
    R(RESTR_REJECT_UNVERIFIED_SENDER, "reject_unverified_sender", RARG_NONE, SUBJ_SENDER,
      AFTER_MAIL, 0, 0, 0)
    R(RESTR_REJECT_NON_FQDN_SENDER, "reject_non_fqdn_sender", RARG_NONE, SUBJ_SENDER,
      AFTER_MAIL, 0, 0, 0)
    R(RESTR_REJECT_AUTHENTICATED_SENDER_LOGIN_MISMATCH,
      "reject_authenticated_sender_login_mismatch", RARG_NONE, SUBJ_SENDER, AFTER_MAIL,
      RF_SASL, 0, 0)
    R(RESTR_REJECT_KNOWN_SENDER_LOGIN_MISMATCH, "reject_known_sender_login_mismatch",
      RARG_NONE, SUBJ_SENDER, AFTER_MAIL, RF_SASL, 0, 0)
    R(RESTR_REJECT_UNAUTHENTICATED_SENDER_LOGIN_MISMATCH,
      "reject_unauthenticated_sender_login_mismatch", RARG_NONE, SUBJ_SENDER, AFTER_MAIL,
      RF_SASL, 0, 0)
    /* A built-in class of smtpd_check_init(): the two above, in order. */
    R(RESTR_REJECT_SENDER_LOGIN_MISMATCH, "reject_sender_login_mismatch", RARG_NONE,
      SUBJ_SENDER, AFTER_MAIL, RF_SASL, 0, 0)
    R(RESTR_CHECK_SENDER_NS_ACCESS, "check_sender_ns_access", RARG_TABLE, SUBJ_SENDER,
      AFTER_MAIL, RF_DNS | RF_NO_ALLOWLIST, LO_ACCESS_DOMAIN, RDNS_NS)
    R(RESTR_CHECK_SENDER_MX_ACCESS, "check_sender_mx_access", RARG_TABLE, SUBJ_SENDER,
      AFTER_MAIL, RF_DNS | RF_NO_ALLOWLIST, LO_ACCESS_DOMAIN, RDNS_MX)
    R(RESTR_CHECK_SENDER_A_ACCESS, "check_sender_a_access", RARG_TABLE, SUBJ_SENDER,
      AFTER_MAIL, RF_DNS | RF_NO_ALLOWLIST, LO_ACCESS_DOMAIN, RDNS_A)
    R(RESTR_REJECT_RHSBL_SENDER, "reject_rhsbl_sender", RARG_DOMAIN, SUBJ_SENDER,
      AFTER_MAIL, RF_DNS, 0, 0)
    R(RESTR_REJECT_UNLISTED_SENDER, "reject_unlisted_sender", RARG_NONE, SUBJ_SENDER,
      AFTER_MAIL, 0, 0, 0)
    /* recipient */
    R(RESTR_CHECK_RECIPIENT_ACCESS, "check_recipient_access", RARG_TABLE, SUBJ_RECIPIENT,
      AFTER_RCPT, 0, LO_ACCESS_RECIPIENT, 0)
    R(RESTR_PERMIT_MX_BACKUP, "permit_mx_backup", RARG_NONE, SUBJ_RECIPIENT, AFTER_RCPT,
      RF_DNS, 0, 0)
    R(RESTR_PERMIT_AUTH_DESTINATION, "permit_auth_destination", RARG_NONE, SUBJ_RECIPIENT,
      AFTER_RCPT, 0, 0, 0)
    R(RESTR_REJECT_UNAUTH_DESTINATION, "reject_unauth_destination", RARG_NONE,
      SUBJ_RECIPIENT, AFTER_RCPT, RF_RELAY_GUARD, 0, 0)
    R(RESTR_DEFER_UNAUTH_DESTINATION, "defer_unauth_destination", RARG_NONE, SUBJ_RECIPIENT,
      AFTER_RCPT, RF_RELAY_GUARD, 0, 0)
    /* check_relay_domains permits or rejects: smtpd warns about what follows. */
    R(RESTR_CHECK_RELAY_DOMAINS, "check_relay_domains", RARG_NONE, SUBJ_RECIPIENT,
      AFTER_RCPT, RF_ENDS_LIST | RF_RELAY_GUARD, 0, 0)
    R(RESTR_PERMIT_SASL_AUTHENTICATED, "permit_sasl_authenticated", RARG_NONE, SUBJ_SASL,
      ALL, RF_SASL, 0, 0)
    R(RESTR_PERMIT_TLS_ALL_CLIENTCERTS, "permit_tls_all_clientcerts", RARG_NONE, SUBJ_CCERT,
      ALL, RF_TLS, 0, 0)
    R(RESTR_PERMIT_TLS_CLIENTCERTS, "permit_tls_clientcerts", RARG_NONE, SUBJ_CCERT, ALL,
      RF_TLS, 0, 0)
    R(RESTR_REJECT_UNKNOWN_RECIPIENT_DOMAIN, "reject_unknown_recipient_domain", RARG_NONE,
      SUBJ_RECIPIENT, AFTER_RCPT, RF_DNS, 0, 0)
    R(RESTR_REJECT_NON_FQDN_RECIPIENT, "reject_non_fqdn_recipient", RARG_NONE,
      SUBJ_RECIPIENT, AFTER_RCPT, 0, 0, 0)
    R(RESTR_CHECK_RECIPIENT_NS_ACCESS, "check_recipient_ns_access", RARG_TABLE,
      SUBJ_RECIPIENT, AFTER_RCPT, RF_DNS | RF_NO_ALLOWLIST, LO_ACCESS_DOMAIN, RDNS_NS)
    R(RESTR_CHECK_RECIPIENT_MX_ACCESS, "check_recipient_mx_access", RARG_TABLE,
      SUBJ_RECIPIENT, AFTER_RCPT, RF_DNS | RF_NO_ALLOWLIST, LO_ACCESS_DOMAIN, RDNS_MX)
    R(RESTR_CHECK_RECIPIENT_A_ACCESS, "check_recipient_a_access", RARG_TABLE,
      SUBJ_RECIPIENT, AFTER_RCPT, RF_DNS | RF_NO_ALLOWLIST, LO_ACCESS_DOMAIN, RDNS_A)
    R(RESTR_REJECT_RHSBL_RECIPIENT, "reject_rhsbl_recipient", RARG_DOMAIN, SUBJ_RECIPIENT,
      AFTER_RCPT, RF_DNS, 0, 0)
    R(RESTR_CHECK_RECIPIENT_MAPS, "check_recipient_maps", RARG_NONE, SUBJ_RECIPIENT,
      AFTER_RCPT, 0, 0, 0)
    R(RESTR_REJECT_UNLISTED_RECIPIENT, "reject_unlisted_recipient", RARG_NONE,
      SUBJ_RECIPIENT, AFTER_RCPT, 0, 0, 0)
    R(RESTR_REJECT_MULTI_RECIPIENT_BOUNCE, "reject_multi_recipient_bounce", RARG_NONE,
      SUBJ_SENDER, AFTER_RCPT, 0, 0, 0)
    R(RESTR_REJECT_UNVERIFIED_RECIPIENT, "reject_unverified_recipient", RARG_NONE,
      SUBJ_RECIPIENT, AFTER_RCPT, 0, 0, 0)
    /* ETRN */
    R(RESTR_CHECK_ETRN_ACCESS, "check_etrn_access", RARG_TABLE, SUBJ_ETRN, STAGE_ETRN, 0,
      LO_ACCESS_DOMAIN, 0)
    /* not names */
    R(RESTR_CLASS, "", RARG_CLASS, SUBJ_NONE, ALL, 0, 0, 0)
    R(RESTR_CALLER_ACCESS, "", RARG_TABLE, SUBJ_NONE, ALL, 0, 0, 0)
#undef R
};

const struct restriction_def *restriction_def(enum restriction_id id)
{
    return &defs[(unsigned) id < RESTR_COUNT ? id : RESTR_NONE];
}

const char *restriction_name(enum restriction_id id)
{
    return restriction_def(id)->name;
}

const struct restriction_def *restriction_find(const char *word)
{
    /* The names are few and only read at build time or from a table's answer. */
    for (unsigned id = RESTR_NONE + 1; id < RESTR_CLASS; id++)
	if (strcasecmp(defs[id].name, word) == 0)
	    return &defs[id];
    return NULL;
}

const struct restriction_list_def restriction_lists[] = {
    {"smtpd_client_restrictions", STAGE_CONNECT, RESTR_CHECK_CLIENT_ACCESS, "Client host"},
    {"smtpd_helo_restrictions", STAGE_HELO, RESTR_CHECK_HELO_ACCESS, "Helo command"},
    {"smtpd_sender_restrictions", STAGE_MAIL, RESTR_CHECK_SENDER_ACCESS, "Sender address"},
    {"smtpd_relay_restrictions", STAGE_RCPT, RESTR_CHECK_RECIPIENT_ACCESS,
     "Recipient address"},
    {"smtpd_recipient_restrictions", STAGE_RCPT, RESTR_CHECK_RECIPIENT_ACCESS,
     "Recipient address"},
    {"smtpd_data_restrictions", STAGE_DATA, RESTR_NONE, "Data command"},
    {"smtpd_end_of_data_restrictions", STAGE_EOD, RESTR_NONE, "End-of-data"},
    {"smtpd_etrn_restrictions", STAGE_ETRN, RESTR_CHECK_ETRN_ACCESS, "Etrn command"},
};

const size_t restriction_lists_count = sizeof(restriction_lists) / sizeof(restriction_lists[0]);

const struct restriction_list_def *restriction_list_find(const char *param)
{
    for (size_t i = 0; i < restriction_lists_count; i++)
	if (strcmp(restriction_lists[i].param, param) == 0)
	    return &restriction_lists[i];
    return NULL;
}

/* names_restriction - would smtpd run word as a restriction or class of its own? */
static int names_restriction(const char *word, restriction_class_fn is_class, void *ctx)
{
    return restriction_find(word) != NULL || (is_class != NULL && is_class(ctx, word));
}

size_t restriction_parse(char *const *words, size_t nwords,
			 enum restriction_id default_access, unsigned flags,
			 restriction_class_fn is_class, void *ctx,
			 struct restriction_step *steps)
{
    size_t n = 0;
    int lint = (flags & RESTRICTION_PARSE_LINT) != 0;

    for (size_t i = 0; i < nwords; i++) {
	struct restriction_step *st = &steps[n++];
	const char *word = words[i];
	const char *next = i + 1 < nwords ? words[i + 1] : NULL;
	const struct restriction_def *def;

	st->word = i;
	st->arg = RESTRICTION_NO_WORD;
	st->problem = RP_NONE;
	st->implicit = 0;

	/* A bare type:table: the list's default check_*_access. */
	if (strchr(word, ':') != NULL) {
	    st->id = default_access;
	    st->arg = i;
	    st->implicit = 1;
	    if (default_access == RESTR_NONE)
		st->problem = RP_NO_DEFAULT_ACCESS;
	    continue;
	}
	if ((def = restriction_find(word)) == NULL) {
	    if (is_class != NULL && is_class(ctx, word)) {
		st->id = RESTR_CLASS;
	    } else {
		st->id = RESTR_NONE;
		st->problem = RP_UNKNOWN;
	    }
	    continue;
	}
	st->id = def->id;
	/*
	 * What smtpd consumes as the argument. In lint mode, a word that
	 * names a restriction or class is not taken as a table, number or
	 * domain, so that the linter reports it and goes on with it; smtpd
	 * has answered 451 before that makes a difference, except for a
	 * DNS list, whose domain it takes whatever it is.
	 */
	int takes_next = next != NULL && !(lint && names_restriction(next, is_class, ctx));
	switch (def->arg) {
	case RARG_TABLE:
	case RARG_ENDPOINT:
	    /* An endpoint: whatever word follows when linting, else only "type:name". */
	    if (next == NULL || (def->arg == RARG_TABLE ? !takes_next
				 : !lint && strchr(next, ':') == NULL)) {
		st->problem = RP_BAD_ARG;
	    } else {
		st->arg = ++i;
		if (strchr(next, ':') == NULL)
		    st->problem = RP_BAD_ARG;
	    }
	    break;
	case RARG_NUMBER:
	    if (next != NULL && all_digits(next)) {
		st->arg = ++i;
	    } else {
		st->problem = RP_BAD_ARG;
		if (lint && takes_next)
		    st->arg = ++i;
	    }
	    break;
	case RARG_DOMAIN:
	    if (!takes_next)
		st->problem = RP_BAD_ARG;
	    else
		st->arg = ++i;
	    break;
	default:
	    break;
	}
    }
    return n;
}
