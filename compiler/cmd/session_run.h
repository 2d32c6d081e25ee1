/*
 * session_run - what pfc trace and pfc test share: a verified image with
 * one service's policy, its restriction engine, a resolver and the SMTP
 * server's protocol engine (what pfcd runs), driven one client line at a
 * time, with everything the engine tells recorded per command: each
 * restriction and its result, each table probe, each warning, the route
 * of each accepted recipient, each header or body check that fired.
 */
#ifndef PFC_SESSION_RUN_H
#define PFC_SESSION_RUN_H

#include <stdint.h>
#include <stdio.h>

#include "engine.h"
#include "strbuf.h"

enum run_event_kind {
    EV_STAGE,			/* a restriction list starts: text = "list (class)" */
    EV_RESTRICTION,		/* text = "name arg [file:line] -> result" */
    EV_PROBE,			/* a table probe */
    EV_NOTE,			/* what smtpd or cleanup would log */
    EV_ROUTE,			/* an accepted recipient: text = "addr: class transport:nexthop" */
    EV_CHECK,			/* a header or body check fired: text = "action: ..." */
};

struct run_event {
    enum run_event_kind kind;
    char *text;			/* the line of explanation */
    char *json;			/* the same as a JSON object: {"event":"probe",...} */
    uint32_t op;		/* EV_RESTRICTION: the restriction id */
    char *result;		/* EV_RESTRICTION: "reject", "permit", ... */
};

struct session_run;

/*
 * session_run_open - image path, service (NULL: the first inet smtpd;
 * else NAME or NAME/TYPE of a master.cf service that runs smtpd), DNS
 * server (NULL: none, every DNS lookup fails temporarily). NULL with
 * *err (the caller frees it).
 */
struct session_run *session_run_open(const char *image, const char *service,
				     const char *dns_server, char **err);

/*
 * session_run_start - a new conversation with client addr and its name
 * (NULL: none), logged in as sasl (NULL: not); the greeting goes to out.
 * explain, when not NULL, gets each event as a line as it happens.
 */
void session_run_start(struct session_run *r, const char *addr, const char *name,
		       const char *sasl, FILE *explain, struct strbuf *out);

/*
 * session_run_line - one line from the client (without its line end):
 * the replies it gets are appended to out. Returns 1 once the server has
 * hung up.
 */
int session_run_line(struct session_run *r, const char *line, struct strbuf *out);

/*
 * session_run_input - bytes from the client, as they arrive in one read:
 * lines after the first are in smtpd's buffer while it answers the
 * first (what reject_unauth_pipelining and smtpd_forbid_unauth_pipelining
 * see). A line may come in several reads. Returns 1 once the server has
 * hung up.
 */
int session_run_input(struct session_run *r, const char *data, size_t len,
		      struct strbuf *out);

/* session_run_in_message - is the client sending a message (DATA, BDAT)? */
int session_run_in_message(const struct session_run *r);

/* session_run_events - the events of the last line (or of the greeting) */
const struct run_event *session_run_events(const struct session_run *r, size_t *count);

/* session_run_service - the service whose policy runs ("" for main.cf's view) */
const char *session_run_service(const struct session_run *r);

/*
 * session_run_end - the client goes away; what is left goes to out.
 * Returns NULL when the server had ended the conversation (QUIT, a 421,
 * a protocol violation), else what smtpd logs when a client leaves
 * without QUIT ("lost connection after MAIL from ..."), valid until the
 * next call.
 */
const char *session_run_end(struct session_run *r, struct strbuf *out);

/*
 * session_run_batch - for session_run_envelope(): the client's SASL login
 * (NULL: none) and where each envelope's events go as lines (NULL:
 * nowhere, and none is recorded).
 */
void session_run_batch(struct session_run *r, const char *sasl, FILE *explain);

/*
 * session_run_envelope - the engine alone, without the protocol: the
 * answer to one envelope (client, HELO name, sender, one recipient) as
 * the RCPT TO stage gives it (and, without smtpd_delay_reject, the
 * client, HELO and MAIL stages before it): NULL for accepted, or the
 * reply. The batch mode of pfc trace, and the engine's benchmark.
 */
const char *session_run_envelope(struct session_run *r, const char *addr, const char *name,
				 const char *helo, const char *sender, const char *recipient);

/*
 * session_run_hint_start, session_run_hint_step - engine_hint_start()
 * and engine_hint_step() of the run's engine: a batch that reads
 * envelopes ahead starts their table lookups' cache misses early.
 */
void session_run_hint_start(struct session_run *r, struct engine_hint *h, const char *addr,
			    const char *recipient);
void session_run_hint_step(struct session_run *r, const struct engine_hint *h, int stage);

void session_run_close(struct session_run *r);

/*
 * session_run_printable - len bytes of what a client sent, for a reader:
 * control characters and bytes that are not UTF-8 as "?", as smtpd's
 * logging shows them.
 */
void session_run_printable(FILE *fp, const char *text, size_t len);

#endif
