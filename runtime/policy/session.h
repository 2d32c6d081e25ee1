/*
 * session - what the restriction engine knows of one SMTP session: the
 * client, what it said so far (HELO, MAIL FROM, RCPT TO, ETRN), the
 * state the restrictions keep between stages (DEFER_IF_PERMIT,
 * DEFER_IF_REJECT, warn_if_reject, recursion), the side effects they
 * leave for the message (HOLD, DISCARD, FILTER, REDIRECT, BCC, PREPEND),
 * and the last reply. The SMTP server (runtime/smtpd) and pfc trace fill
 * it in as commands arrive; the stage checks of check.h read and update
 * it. It is Postfix's SMTPD_STATE, less what only the protocol needs.
 */
#ifndef PFC_SESSION_H
#define PFC_SESSION_H

#include <stddef.h>

#include "policy.h"
#include "strbuf.h"

/* Peer name lookup status, as Postfix's SMTPD_PEER_CODE_*. */
#define PEER_CODE_OK	2	/* the name was verified */
#define PEER_CODE_TEMP	4	/* temporary lookup failure */
#define PEER_CODE_PERM	5	/* no name */
#define PEER_CODE_FORGED 6	/* the name does not resolve to the address */

/* Error classes of a rejection, as Postfix's MAIL_ERROR_*. */
#define ERR_POLICY	(1u << 0)	/* a restriction said no */
#define ERR_PROTOCOL	(1u << 1)	/* the client broke SMTP */
#define ERR_BOUNCE	(1u << 2)	/* the recipient is unknown */
#define ERR_SOFTWARE	(1u << 3)	/* our configuration or software */
#define ERR_RESOURCE	(1u << 4)	/* out of something */
#define ERR_DATA	(1u << 5)	/* a table lookup failed */

/* A decision postponed by DEFER_IF_PERMIT or DEFER_IF_REJECT. */
struct session_defer {
    int active;
    unsigned error_class;
    int code;
    char dsn[16];
    struct strbuf reason;
};

/* Session flags. */
#define SESSION_SMTPUTF8	(1u << 0)	/* MAIL FROM ... SMTPUTF8 */
#define SESSION_ILL_PIPELINING	(1u << 1)	/* the client talked out of turn */
#define SESSION_TLS		(1u << 2)	/* the session is encrypted */
#define SESSION_STAND_ALONE	(1u << 3)	/* "sendmail -bs": the local user on a pipe */

/* Side effects the restrictions leave for the message. */
#define SESSION_HOLD		(1u << 0)
#define SESSION_DISCARD		(1u << 1)

struct policy_trace;
struct trace_origin;
struct engine;
struct maps_scratch;
struct unix_memo;

struct session {
    const struct policy *policy;
    struct engine *engine;	/* the restriction engine, when one runs */
    /* The client, as smtpd_peer.c and XCLIENT leave it. */
    char *name;			/* verified name, or "unknown" */
    char *reverse_name;		/* unverified reverse name, or "unknown" */
    char *addr;			/* the address, printable */
    char *peer_addr;		/* the TCP peer's address: XCLIENT does not change it */
    char *port;
    char *namaddr;		/* "name[addr]" */
    int name_status;		/* PEER_CODE_* */
    int reverse_name_status;
    /* What the client said. NULL: not yet (or reset). */
    char *helo_name;
    char *sender;		/* "" for the null sender */
    char *dsn_envid;		/* MAIL ... ENVID=, xtext decoded; NULL: none */
    const char *dsn_ret;	/* MAIL ... RET=: "FULL", "HDRS"; NULL: none */
    const char *body_type;	/* MAIL ... BODY=: "7BIT", "8BITMIME"; NULL: none */
    char *recipient;		/* the recipient being checked */
    char *etrn_name;
    const char *protocol;	/* "SMTP" or "ESMTP" */
    const char *where;		/* the stage: "CONNECT", "EHLO", "MAIL", ... */
    int rcpt_count;		/* accepted recipients */
    unsigned flags;		/* SESSION_* */
    /* SASL, when the client authenticated. */
    char *sasl_username;
    char *sasl_method;
    char *sasl_sender;

    /* The restrictions' own state (smtpd_check.c's). */
    int recursion;
    int warn_if_reject;
    struct session_defer defer_if_reject;
    struct session_defer defer_if_permit;
    int defer_if_permit_client;
    int defer_if_permit_helo;
    int defer_if_permit_sender;
    int sender_rcptmap_checked;
    int recipient_rcptmap_checked;
    unsigned error_mask;	/* ERR_* seen in this session */
    int discard;		/* DISCARD: accept and drop the message */
    unsigned saved_flags;	/* SESSION_HOLD, SESSION_DISCARD */
    char *saved_filter;		/* FILTER transport:destination */
    char *saved_redirect;	/* REDIRECT user@domain */
    char **saved_bcc;		/* BCC user@domain, NULL-ended */
    size_t nsaved_bcc;
    char **prepend;		/* PREPEND header lines, NULL-ended */
    size_t nprepend;

    /* The last rejection: "550 5.1.1 <...>: Recipient address rejected: ..." */
    struct strbuf reply;

    /* Where the engine tells what it does (NULL: nobody listens). */
    struct policy_trace *trace;
    /* The configured restriction being evaluated (NULL: none), for whatsup. */
    const struct trace_origin *origin;

    /*
     * The engine's working space for this session (maps.c): lookup
     * answers, probe keys, address rewrites. Made on first use,
     * session_free() frees it.
     */
    struct maps_scratch *scratch;

    /* What session_expand_lookup() answers from. */
    struct strbuf expand_buf;

    /*
     * The unix:passwd.byname answers had so far (table_unix.h), so that
     * the engine asks the host for a name once per session, found or
     * not: engine_session() makes it, session_free() frees it. NULL
     * (a session the engine does not run): asked at each lookup. A
     * batch run lends its own for the whole run (session_lend_accounts()).
     */
    struct unix_memo *accounts;
    int accounts_lent;
};

/* session_init - a session with no client yet, under policy p */
void session_init(struct session *s, const struct policy *p);

/*
 * session_set_client - the client: its address, verified name (NULL or
 * "" for none: "unknown"), reverse name (NULL: the same as name) and
 * port. Resets what depends on the client.
 */
void session_set_client(struct session *s, const char *addr, const char *name,
			const char *reverse_name, const char *port);

/* session_set - replace one string field (NULL clears it) */
void session_set(char **field, const char *value);

/* session_reset_transaction - RSET, a new EHLO, or the end of a message */
void session_reset_transaction(struct session *s);

void session_free(struct session *s);

/*
 * session_lend_accounts - s answers passwd lookups from memo, which the
 * caller frees after s: a batch run (pfc trace --envelopes, pfc test)
 * reads the account database once per run, not once per session.
 */
void session_lend_accounts(struct session *s, struct unix_memo *memo);

/*
 * session_expand_lookup - smtpd_expand_lookup(): the $names of reply
 * templates and footers (server_name, client, client_address,
 * client_name, client_port, reverse_client_name, helo_name, sender,
 * sender_name, sender_domain, recipient..., localtime) for expand();
 * ctx is the session. An unknown name is NULL, with smtpd's warning.
 */
const char *session_expand_lookup(const char *name, int mode, void *ctx);

#endif
