/*
 * engine_int - what the files of the restriction engine share among
 * themselves: the engine's settings, the status codes of a restriction,
 * the reply builder, and the table lookups of the check_*_access family.
 * Private to runtime/policy/engine*.c and access.c.
 */
#ifndef PFC_ENGINE_INT_H
#define PFC_ENGINE_INT_H

#include <stdarg.h>
#include <stdint.h>

#include "dns.h"
#include "dsn.h"
#include "engine.h"
#include "restriction.h"
#include "session.h"

/* A restriction's answer, as Postfix's SMTPD_CHECK_*. */
#define CHECK_DUNNO	0	/* no decision: go on */
#define CHECK_OK	1	/* permit: this list is done */
#define CHECK_REJECT	2	/* rejected: s->reply holds the reply */

/* Temporary-failure actions (*_tempfail_action). */
#define TF_DEFER		0
#define TF_DEFER_IF_PERMIT	1

/* Reply classes, as Postfix's SMTPD_NAME_*. */
#define NAME_CLIENT	"Client host"
#define NAME_REV_CLIENT	"Unverified Client host"
#define NAME_CCERT	"Client certificate"
#define NAME_SASL_USER	"SASL login name"
#define NAME_HELO	"Helo command"
#define NAME_SENDER	"Sender address"
#define NAME_RECIPIENT	"Recipient address"
#define NAME_ETRN	"Etrn command"
#define NAME_DATA	"Data command"
#define NAME_EOD	"End-of-data"

/* The lists, in restriction_lists[] order. */
enum engine_list {
    LIST_CLIENT, LIST_HELO, LIST_SENDER, LIST_RELAY, LIST_RECIPIENT, LIST_DATA,
    LIST_EOD, LIST_ETRN, LIST_COUNT
};

struct policy_server;

struct engine {
    const struct policy *p;
    struct dns_resolver *dns;
    int warned_maps_rbl;	/* reject_maps_rbl's deprecation, once */
    uint32_t programs[LIST_COUNT];	/* IMG_NONE: the list is empty */
    /* switches */
    int delay_reject;
    int reject_unlisted_sender, reject_unlisted_recipient;
    int relay_before_rcpt;
    int show_unknown_table;
    int soft_bounce;
    int allow_untrusted_routing;
    int smtputf8;
    int parent_style;		/* smtpd_access_maps in parent_domain_matches_subdomains */
    int sasl_enable;
    /* reply codes */
    int map_reject_code, map_defer_code, reject_code, defer_code, relay_code;
    int local_rcpt_code, virt_alias_code, virt_mailbox_code, relay_rcpt_code;
    int unk_client_code, unk_name_code, unk_addr_code, non_fqdn_code, bad_name_code;
    int mul_rcpt_code, plaintext_code, maps_rbl_code;
    int unv_rcpt_dcode, unv_rcpt_rcode, unv_from_dcode, unv_from_rcode;
    int unk_name_tf_act, unk_addr_tf_act, unv_rcpt_tf_act, unv_from_tf_act;
    long message_size_limit;
    const char *null_access_key;
    const char *double_bounce_sender;
    /* the class names of smtpd_restriction_classes (case-sensitive) */
    char *classes_buf;
    char **classes;
    size_t nclasses;
    /* policy servers, opened at start as smtpd does */
    struct policy_server **servers;
    char **server_specs;
    size_t nservers;
    /* engine_hint_start()'s tables, each with the key it takes (1: the recipient) */
    uint32_t hint_tables[ENGINE_HINTS];
    unsigned char hint_recipient[ENGINE_HINTS];
    unsigned nhints;
    struct image_lookup_buf hint_buf;	/* keys folded for the hints */
};

/*
 * One element of a list, from the image (an instruction) or from a
 * run-time answer (restriction_parse()): what a handler needs.
 */
struct step {
    uint32_t op;		/* restriction id */
    const char *word;		/* as written: a refused word, a class name */
    const char *text;		/* domain, endpoint */
    uint32_t table;		/* table index (IMG_NONE: none) */
    uint32_t number;		/* sleep */
    uint32_t program;		/* class (IMG_NONE: a run-time name) */
    uint32_t line;
    uint32_t source;		/* the program the step is in (IMG_NONE: run time) */
    int implicit;
    int bad;			/* a run-time element smtpd refuses */
};

/* What a list is checking, for every handler of one walk. */
struct walk {
    const char *reply_name;
    const char *reply_class;
    enum restriction_id def_acl;
};

typedef int handler_fn(struct session *s, const struct step *st, const struct walk *w);

/* engine_of - the session's engine */
static inline struct engine *engine_of(const struct session *s)
{
    return s->engine;
}

/*
 * check_reject - smtpd_check_reject(): format "CODE DSN TEXT" into
 * s->reply, validate it, apply warn_if_reject, DEFER_IF_REJECT and
 * soft_bounce. Returns CHECK_REJECT, or CHECK_DUNNO under warn_if_reject.
 */
int check_reject(struct session *s, unsigned error_class, int code, const char *dsn,
		 const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* defer_if - remember a DEFER_IF_PERMIT or DEFER_IF_REJECT decision (the first) */
int defer_if(struct session_defer *defer, unsigned error_class, int code, const char *dsn,
	     const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* server_error - 451 4.3.5 Server configuration error (with smtpd's warning) */
int server_error(struct session *s);

/* lookup_retry - 451 4.3.0 <name>: Temporary lookup failure */
int lookup_retry(struct session *s, const char *reply_name);

/* engine_warn - what smtpd logs as a warning, told to the trace */
void engine_warn(struct session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* permit_result - MATCH_YES: CHECK_OK; MATCH_FAIL: lookup_retry(); else DUNNO */
int permit_result(struct session *s, int match, const char *reply_name);

/*
 * forbid_allowlist - an OK from a table keyed by what the client chooses
 * (its name, HELO, sender) is a configuration error (smtpd: 451 4.3.5)
 */
int forbid_allowlist(struct session *s, const char *name, int status, const char *target);

/* reject_invalid_hostaddr - "[addr]" must hold a valid address (501 5.5.2) */
int reject_invalid_hostaddr(struct session *s, const char *addr, const char *reply_name,
			    const char *reply_class);

/*
 * permit_auth_destination - CHECK_OK when the recipient's domain is ours
 * or relayed; *failed when resolving it failed (the reply is set).
 */
int permit_auth_destination(struct session *s, const char *recipient, int *failed);

/* dsn_fix - smtpd_dsn_fix(): an address DSN made right for what is rejected */
const char *dsn_fix(const char *status, const char *reply_class);


/*
 * run_list - generic_checks() over a list of restriction words given at
 * run time (an access table's answer, a policy server's action).
 */
int run_list(struct session *s, const char *value, const char *reply_name,
	     const char *reply_class, enum restriction_id def_acl);

/*
 * table_result - check_table_result(): what an access table's (or a
 * policy server's) answer value means. table names the table in
 * warnings; datum is the key that found it.
 */
int table_result(struct session *s, const char *table, const char *value,
		 const char *datum, const char *reply_name, const char *reply_class,
		 enum restriction_id def_acl);

/*
 * The check_*_access lookups of smtpd_check.c, over image table t:
 * *found says whether an entry answered.
 */
int access_exact(struct session *s, uint32_t t, const char *name, int *found,
		 const char *reply_name, const char *reply_class, enum restriction_id def_acl);
int access_domain(struct session *s, uint32_t t, const char *domain, int *found,
		  const char *reply_name, const char *reply_class, enum restriction_id def_acl);
int access_namadr(struct session *s, uint32_t t, const char *name, const char *addr,
		  int *found, const char *reply_name, const char *reply_class,
		  enum restriction_id def_acl);
int access_mail(struct session *s, uint32_t t, const char *addr, int *found,
		const char *reply_name, const char *reply_class, enum restriction_id def_acl);
/* access_addr - check_addr_access(): an address, then its parent networks */
int access_addr(struct session *s, uint32_t t, const char *addr, int *found,
		const char *reply_name, const char *reply_class, enum restriction_id def_acl);

/*
 * The DNS restrictions (engine_dns.c): DNS lists, reject_unknown_*
 * hostname and domain checks, check_*_{ns,mx,a}_access, permit_mx_backup.
 */
handler_fn h_maps_rbl, h_rbl_client, h_dnswl_client, h_rhsbl, h_rhswl_client;
handler_fn h_unknown_helo, h_unknown_sender_domain, h_unknown_recipient_domain;
handler_fn h_server_access, h_mx_backup;

/*
 * engine_dns_open - the resolver the DNS restrictions ask (dns, or one
 * for which the DNS is down when dns is NULL), set to inet_protocols.
 */
struct dns_resolver *engine_dns_open(const struct policy *p, struct dns_resolver *dns);

#endif
