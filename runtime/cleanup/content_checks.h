/*
 * content_checks - header_checks, mime_header_checks, nested_header_checks
 * and body_checks applied to a message as cleanup(8) applies them (SPEC
 * 10, SPEC-runtime 2.12): each header and body line the MIME scanner
 * (msgscan.h) hands out is looked up in its tables (from the image), and
 * the first table that answers says what to do: REJECT, DEFER (a 4.x.x
 * REJECT), DISCARD, HOLD, FILTER, REDIRECT, BCC, PREPEND, REPLACE,
 * IGNORE, STRIP, WARN, INFO, PASS, DUNNO/OK. The verdict is what cleanup
 * tells smtpd at the end of DATA; the edits are for the queue file.
 */
#ifndef PFC_CONTENT_CHECKS_H
#define PFC_CONTENT_CHECKS_H

#include <stddef.h>

#include "session.h"
#include "strbuf.h"

/* verdict flags */
#define CHECKS_REJECT	(1u << 0)	/* 5.x.x: refuse the message */
#define CHECKS_DEFER	(1u << 1)	/* 4.x.x: refuse it for now */
#define CHECKS_DISCARD	(1u << 2)	/* accept and drop it */
#define CHECKS_HOLD	(1u << 3)	/* put it on hold */

struct checks_result {
    unsigned flags;
    struct strbuf reason;	/* "5.7.1 custom text" for REJECT and DEFER */
    char *filter;		/* FILTER transport:destination, or NULL */
    char *redirect;		/* REDIRECT user@domain, or NULL */
    char **bcc;			/* BCC user@domain, NULL-ended */
    size_t nbcc;
    /* The message as cleanup would queue it: PREPEND, REPLACE, IGNORE, STRIP applied. */
    struct strbuf message;
};

void checks_result_init(struct checks_result *r);
void checks_result_free(struct checks_result *r);

/*
 * content_checks - run the checks of the cleanup service that policy cp
 * views (the smtpd service's cleanup_service_name) over msg[0..len), a
 * message as received (LF line ends), into *r. Hits and warnings go to
 * s's trace; rcpt is the recipient their lines name (to=<...>): as
 * cleanup_act_log() names the last recipient cleanup was given, as it
 * rewrote it (rewrite_list.clean), or NULL for none. Returns 0; -1 when
 * a table lookup failed (cleanup defers).
 */
int content_checks(struct session *s, const struct policy *cp, const char *rcpt,
		   const char *msg, size_t len, struct checks_result *r);

/*
 * checks_log_line - is note (a trace note of content_checks()) one of
 * cleanup's own log lines ("reject: header ...", "hold: ...")? The
 * servers log those as cleanup logs them, "QUEUEID: " before them.
 */
int checks_log_line(const char *note);

/*
 * checks_reply - the reply smtpd gives at the end of DATA for a refused
 * message ("550 5.7.1 message content rejected"), into out.
 */
void checks_reply(const struct checks_result *r, struct strbuf *out);

#endif
