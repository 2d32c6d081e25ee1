/*
 * restriction - every SMTP server restriction of Postfix 3.7, once.
 *
 * The one table of what smtpd_check.c's generic_checks() knows: each
 * restriction's id, its name, what it takes after it, what it looks at
 * and how, and where Postfix warns about it. The linter reports against
 * it, the image writer compiles restriction lists into instructions whose
 * op is a restriction id, pfc lookup walks lists with it, and the engine
 * dispatches on the id: nothing compares restriction names at run time
 * except where Postfix itself reads a name at run time (a restriction
 * named in an access table's answer).
 *
 * restriction_parse() is the one reading of a list, word by word, as
 * generic_checks() consumes it: which words are restrictions, which are
 * their arguments, what a bare type:table means, and what smtpd will
 * answer "451 4.3.5 Server configuration error" to.
 */
#ifndef PFC_RESTRICTION_H
#define PFC_RESTRICTION_H

#include <stddef.h>
#include <stdint.h>

#include "lookup_order.h"

/*
 * The ids. They are the op of an image's instructions (pfc-image(5)):
 * append only, never renumber; a new one needs a new image minor version.
 */
enum restriction_id {
    RESTR_NONE = 0,		/* not a built-in restriction */
    /* generic */
    RESTR_WARN_IF_REJECT = 1,
    RESTR_PERMIT = 2,
    RESTR_DEFER = 3,
    RESTR_REJECT = 4,
    RESTR_REJECT_UNAUTH_PIPELINING = 5,
    RESTR_CHECK_POLICY_SERVICE = 6,
    RESTR_DEFER_IF_PERMIT = 7,
    RESTR_DEFER_IF_REJECT = 8,
    RESTR_SLEEP = 9,
    RESTR_REJECT_PLAINTEXT_SESSION = 10,
    /* client */
    RESTR_REJECT_UNKNOWN_CLIENT_HOSTNAME = 11,
    RESTR_REJECT_UNKNOWN_CLIENT = 12,
    RESTR_REJECT_UNKNOWN_REVERSE_CLIENT_HOSTNAME = 13,
    RESTR_PERMIT_INET_INTERFACES = 14,
    RESTR_PERMIT_MYNETWORKS = 15,
    RESTR_CHECK_CLIENT_ACCESS = 16,
    RESTR_CHECK_REVERSE_CLIENT_HOSTNAME_ACCESS = 17,
    RESTR_REJECT_MAPS_RBL = 18,
    RESTR_REJECT_RBL_CLIENT = 19,
    RESTR_REJECT_RBL = 20,
    RESTR_PERMIT_DNSWL_CLIENT = 21,
    RESTR_REJECT_RHSBL_CLIENT = 22,
    RESTR_PERMIT_RHSWL_CLIENT = 23,
    RESTR_REJECT_RHSBL_REVERSE_CLIENT = 24,
    RESTR_CHECK_CCERT_ACCESS = 25,
    RESTR_CHECK_SASL_ACCESS = 26,
    RESTR_CHECK_CLIENT_NS_ACCESS = 27,
    RESTR_CHECK_CLIENT_MX_ACCESS = 28,
    RESTR_CHECK_CLIENT_A_ACCESS = 29,
    RESTR_CHECK_REVERSE_CLIENT_HOSTNAME_NS_ACCESS = 30,
    RESTR_CHECK_REVERSE_CLIENT_HOSTNAME_MX_ACCESS = 31,
    RESTR_CHECK_REVERSE_CLIENT_HOSTNAME_A_ACCESS = 32,
    /* HELO */
    RESTR_CHECK_HELO_ACCESS = 33,
    RESTR_REJECT_INVALID_HELO_HOSTNAME = 34,
    RESTR_REJECT_INVALID_HOSTNAME = 35,
    RESTR_REJECT_UNKNOWN_HELO_HOSTNAME = 36,
    RESTR_REJECT_UNKNOWN_HOSTNAME = 37,
    RESTR_PERMIT_NAKED_IP_ADDRESS = 38,
    RESTR_CHECK_HELO_NS_ACCESS = 39,
    RESTR_CHECK_HELO_MX_ACCESS = 40,
    RESTR_CHECK_HELO_A_ACCESS = 41,
    RESTR_REJECT_NON_FQDN_HELO_HOSTNAME = 42,
    RESTR_REJECT_NON_FQDN_HOSTNAME = 43,
    RESTR_REJECT_RHSBL_HELO = 44,
    /* sender */
    RESTR_CHECK_SENDER_ACCESS = 45,
    RESTR_REJECT_UNKNOWN_ADDRESS = 46,
    RESTR_REJECT_UNKNOWN_SENDER_DOMAIN = 47,
    RESTR_REJECT_UNVERIFIED_SENDER = 48,
    RESTR_REJECT_NON_FQDN_SENDER = 49,
    RESTR_REJECT_AUTHENTICATED_SENDER_LOGIN_MISMATCH = 50,
    RESTR_REJECT_KNOWN_SENDER_LOGIN_MISMATCH = 51,
    RESTR_REJECT_UNAUTHENTICATED_SENDER_LOGIN_MISMATCH = 52,
    RESTR_REJECT_SENDER_LOGIN_MISMATCH = 53,
    RESTR_CHECK_SENDER_NS_ACCESS = 54,
    RESTR_CHECK_SENDER_MX_ACCESS = 55,
    RESTR_CHECK_SENDER_A_ACCESS = 56,
    RESTR_REJECT_RHSBL_SENDER = 57,
    RESTR_REJECT_UNLISTED_SENDER = 58,
    /* recipient */
    RESTR_CHECK_RECIPIENT_ACCESS = 59,
    RESTR_PERMIT_MX_BACKUP = 60,
    RESTR_PERMIT_AUTH_DESTINATION = 61,
    RESTR_REJECT_UNAUTH_DESTINATION = 62,
    RESTR_DEFER_UNAUTH_DESTINATION = 63,
    RESTR_CHECK_RELAY_DOMAINS = 64,
    RESTR_PERMIT_SASL_AUTHENTICATED = 65,
    RESTR_PERMIT_TLS_ALL_CLIENTCERTS = 66,
    RESTR_PERMIT_TLS_CLIENTCERTS = 67,
    RESTR_REJECT_UNKNOWN_RECIPIENT_DOMAIN = 68,
    RESTR_REJECT_NON_FQDN_RECIPIENT = 69,
    RESTR_CHECK_RECIPIENT_NS_ACCESS = 70,
    RESTR_CHECK_RECIPIENT_MX_ACCESS = 71,
    RESTR_CHECK_RECIPIENT_A_ACCESS = 72,
    RESTR_REJECT_RHSBL_RECIPIENT = 73,
    RESTR_CHECK_RECIPIENT_MAPS = 74,
    RESTR_REJECT_UNLISTED_RECIPIENT = 75,
    RESTR_REJECT_MULTI_RECIPIENT_BOUNCE = 76,
    RESTR_REJECT_UNVERIFIED_RECIPIENT = 77,
    /* ETRN */
    RESTR_CHECK_ETRN_ACCESS = 78,
    /*
     * Not names: a user-defined restriction class (operand: its
     * program), and a bare type:table inside a class, which means the
     * check_*_access of the list that calls the class.
     */
    RESTR_CLASS = 79,
    RESTR_CALLER_ACCESS = 80,
    RESTR_COUNT = 81
};

/* What a restriction takes after it in the list. */
enum restriction_arg {
    RARG_NONE = 0,
    RARG_TABLE = 1,		/* type:table, or a {type:table, ...} group */
    RARG_DOMAIN = 2,		/* a DNS list: domain[=reply filter] */
    RARG_NUMBER = 3,		/* sleep: seconds */
    RARG_ENDPOINT = 4,		/* check_policy_service: transport:endpoint or a group */
    RARG_CLASS = 5,		/* RESTR_CLASS: the class (a program) */
};

/* What a restriction looks at. */
enum restriction_subject {
    SUBJ_NONE = 0,		/* the session as a whole */
    SUBJ_CLIENT,		/* client name and address */
    SUBJ_REVERSE_CLIENT,	/* the unverified reverse name and address */
    SUBJ_HELO,			/* the HELO/EHLO argument */
    SUBJ_SENDER,		/* MAIL FROM */
    SUBJ_RECIPIENT,		/* RCPT TO */
    SUBJ_ETRN,			/* the ETRN domain */
    SUBJ_SASL,			/* the SASL login name */
    SUBJ_CCERT,			/* the client certificate's fingerprint */
};

/*
 * SMTP stages, as bits: where a subject is known (and so where a
 * restriction can decide), and the restriction lists of each stage.
 */
#define STAGE_CONNECT	(1u << 0)
#define STAGE_HELO	(1u << 1)
#define STAGE_MAIL	(1u << 2)
#define STAGE_RCPT	(1u << 3)
#define STAGE_DATA	(1u << 4)
#define STAGE_EOD	(1u << 5)
#define STAGE_ETRN	(1u << 6)
#define STAGE_ALL	0x7fu

/* Flags. */
#define RF_ENDS_LIST	(1u << 0)	/* what follows never runs: smtpd warns */
#define RF_RELAY_GUARD	(1u << 1)	/* a working relay guard (has_required()) */
#define RF_DNS		(1u << 2)	/* asks DNS */
#define RF_SASL		(1u << 3)	/* needs SASL (else smtpd warns, ignores it) */
#define RF_TLS		(1u << 4)	/* looks at the TLS session */
#define RF_DEPRECATED	(1u << 5)	/* smtpd warns each time it runs */
#define RF_NO_ALLOWLIST	(1u << 6)	/* an OK answer is refused (forbid_allowlist()) */
#define RF_ALIAS	(1u << 7)	/* another name of the restriction before it */

/* DNS record types of the check_*_{a,mx,ns}_access restrictions. */
enum restriction_dns { RDNS_NONE = 0, RDNS_A, RDNS_MX, RDNS_NS };

struct restriction_def {
    enum restriction_id id;
    const char *name;		/* Postfix's spelling ("" for the two non-names) */
    enum restriction_arg arg;
    enum restriction_subject subject;
    unsigned stages;		/* STAGE_*: where the subject is known */
    unsigned flags;		/* RF_* */
    /* RARG_TABLE: the key order of the lookups (pfc lookup, the engine) */
    enum lo_kind lookup;
    /* check_*_{a,mx,ns}_access: the records whose hosts are looked up */
    enum restriction_dns dns;
};

/* restriction_def - the definition of id (id < RESTR_COUNT), never NULL */
const struct restriction_def *restriction_def(enum restriction_id id);

/* restriction_name - Postfix's spelling of id, "" for the non-names */
const char *restriction_name(enum restriction_id id);

/*
 * restriction_find - the restriction named word, matched without regard
 * to case as smtpd matches it; NULL when word names no built-in one.
 */
const struct restriction_def *restriction_find(const char *word);

/*
 * The restriction lists of smtpd, with their stage and what a bare
 * type:table means in each (generic_checks()' def_acl).
 */
struct restriction_list_def {
    const char *param;		/* smtpd_client_restrictions ... */
    unsigned stage;		/* STAGE_* */
    /* a bare type:table: this check_*_access; RESTR_NONE: an error */
    enum restriction_id default_access;
    const char *reply_class;	/* "Client host", "Helo command", ... */
};

extern const struct restriction_list_def restriction_lists[];
extern const size_t restriction_lists_count;

/* restriction_list_find - the list parameter named param, or NULL */
const struct restriction_list_def *restriction_list_find(const char *param);

/*
 * The relay guards of smtpd's start-up check, in its words: "specify at
 * least one working instance of: ..." (has_required(), fail_required()).
 */
#define RESTRICTION_RELAY_GUARD_TEXT "reject_unauth_destination, defer_unauth_destination," \
	" reject, defer, defer_if_permit or check_relay_domains"

/*
 * One element of a restriction list, as generic_checks() reads the list:
 * a restriction with its argument, a class, or a word smtpd refuses.
 */
enum restriction_problem {
    RP_NONE = 0,
    /*
     * The argument is missing or is not of the kind: smtpd answers "451
     * 4.3.5 Server configuration error" when it reaches this element
     * (check_*_access: "bad argument ... need maptype:mapname",
     * check_policy_service: "must be followed by transport:server",
     * sleep: "must be followed by number"); a DNS list without its domain
     * only warns ("requires domain name argument") and does nothing.
     */
    RP_BAD_ARG,
    RP_NO_DEFAULT_ACCESS,	/* a bare type:table in the data or end-of-data list */
    RP_UNKNOWN,			/* neither a restriction nor a class: 451 4.3.5 */
};

#define RESTRICTION_NO_WORD ((size_t) -1)

struct restriction_step {
    enum restriction_id id;	/* RESTR_CLASS for a class, RESTR_NONE if unknown */
    size_t word;		/* index of the restriction's word */
    /*
     * Index of the argument word (the table of a bare type:table is the
     * word itself), or RESTRICTION_NO_WORD. Set when smtpd consumes a
     * word as the argument even if it is a bad one.
     */
    size_t arg;
    enum restriction_problem problem;
    int implicit;		/* a bare type:table: the list's check_*_access */
};

/*
 * restriction_is_class - is word a restriction class in the caller's
 * configuration (named in smtpd_restriction_classes: a case-sensitive
 * match, tried after every built-in name, as smtpd does)?
 */
typedef int (*restriction_class_fn)(void *ctx, const char *word);

/*
 * restriction_parse - the elements of a restriction list (its words,
 * split as smtpd splits them), in order, into steps[] (room for nwords
 * steps; returns how many). default_access is the list's (or, for a
 * class, RESTR_CALLER_ACCESS; RESTR_NONE where a bare table is an error).
 *
 * Without flags the words are consumed exactly as smtpd consumes them.
 * RESTRICTION_PARSE_LINT: a word that names a restriction or a class is
 * never taken as another's table, number or domain (the linter reports
 * the missing argument and goes on with that word), and a policy
 * service takes the next word whatever it is (the linter says what is
 * wrong with it). smtpd has answered 451 before the difference shows,
 * except for a DNS list, which takes any next word as its domain.
 */
#define RESTRICTION_PARSE_LINT	(1u << 0)

size_t restriction_parse(char *const *words, size_t nwords,
			 enum restriction_id default_access, unsigned flags,
			 restriction_class_fn is_class, void *ctx,
			 struct restriction_step *steps);

#endif
