/*
 * dsn_report - the delivery status notifications of Postfix 3.7's
 * bounce(8), byte for byte (SPEC-runtime.md section 4): the non-delivery
 * report (failure_template), the delay warning (delay_template), the
 * success report (success_template) and the postmaster copies, each an
 * RFC 3464 multipart/report:
 *
 *   Received: by MYHOSTNAME (MAIL_NAME)          (when the notice's id is known)
 *   <TAB>id NOTICEID; DATE
 *   Date: DATE
 *   From: Mail Delivery System <MAILER-DAEMON@MYORIGIN>
 *   Subject: Undelivered Mail Returned to Sender
 *   To: RECIPIENT
 *   Auto-Submitted: auto-replied
 *   MIME-Version: 1.0
 *   Content-Type: multipart/report; report-type=delivery-status;
 *   <TAB>boundary="QUEUEID.SECONDS/MYHOSTNAME"
 *   Content-Transfer-Encoding: 8bit
 *
 * then the template's text with one wrapped paragraph per recipient, the
 * message/delivery-status part (Reporting-MTA, X-Postfix-Queue-ID,
 * X-Postfix-Sender, Arrival-Date; per recipient Final-Recipient,
 * Original-Recipient, Action, Status, Diagnostic-Code), and the returned
 * message (whole, or its headers: RET=HDRS, a message over
 * bounce_size_limit, delay and success reports, postmaster copies of a
 * single bounce). cleanup adds the Message-Id: when the notice is
 * queued. The built-in templates only: bounce_template_file is not read.
 */
#ifndef PFC_DSN_REPORT_H
#define PFC_DSN_REPORT_H

#include <sys/types.h>
#include <time.h>

#include "strbuf.h"

enum dsn_report_kind {
    DSN_REPORT_FAILURE,		/* "Undelivered Mail Returned to Sender" */
    DSN_REPORT_DELAY,		/* "Delayed Mail (still being retried)" */
    DSN_REPORT_SUCCESS,		/* "Successful Mail Delivery Report" */
};

/* One recipient of the report, as the delivery agent reported it. */
struct dsn_report_rcpt {
    const char *address;	/* the final recipient */
    const char *orig_addr;	/* as first received, or "" */
    const char *dsn_orcpt;	/* ORCPT ("rfc822;addr"), or "" */
    const char *status;		/* "5.1.1" */
    const char *action;		/* delivered, expanded, relayed, delayed (failure: "failed") */
    const char *reason;		/* "unknown user: \"nosuchuser\"" */
    /* Diagnostic-Code: TYPE; TEXT (NULL type: "X-Postfix; " and reason) */
    const char *diag_type;	/* "smtp", "x-unix", or NULL */
    const char *diag_text;
    /* Remote-MTA: TYPE; NAME (NULL: none; smtp and lmtp only) */
    const char *mta_type;
    const char *mta_name;
};

/* The original message. */
struct dsn_report_msg {
    const char *queue_id;
    const char *sender;		/* internal form; "" the null sender */
    time_t arrival;
    long size;			/* the queue's message size (bounce_size_limit) */
    const char *encoding;	/* "7bit", "8bit", or "" */
    int smtputf8;		/* SMTPUTF8 was requested */
    const char *dsn_envid;	/* ENVID=, or "" */
    int fd;			/* the content (header and body, LF); -1: unavailable */
    off_t offset;
    off_t length;
};

/* The parameters it depends on (main.cf's values, host values joined). */
struct dsn_report_conf {
    const char *myhostname;
    const char *myorigin;	/* qualifies MAILER-DAEMON and a bare To: */
    const char *mail_name;	/* "Postfix" */
    int smtputf8_enable;
    long bounce_size_limit;	/* bytes; 0: no limit */
    int threaded;		/* enable_threaded_bounces: References:, In-Reply-To: */
    long delay_warning_time;	/* seconds, for the delay template */
    long maximal_queue_lifetime;	/* seconds: the delay template, Will-Retry-Until */
};

/* What to return of the original (Postfix's DSN_RET_*). */
#define DSN_REPORT_RET_FULL	1
#define DSN_REPORT_RET_HDRS	2

/*
 * dsn_report_write - the notice, appended to out. to: its recipient
 * (the original sender, an owner- alias, or postmaster for a copy);
 * postmaster_copy: the postmaster's version (Postmaster-Subject, no
 * template text, "Auto-Submitted: auto-generated"); ret: what to return
 * of the original (DSN_REPORT_RET_*, the sender's RET=; 0: what bounce(8)
 * returns by default); notice_id: the
 * notice's own queue id for its Received: header (NULL: no Received:);
 * now: the time of the notice (Date:, the boundary). Recipients are
 * listed in the order given: pass those that asked for this notice
 * (NOTIFY=FAILURE, DELAY or SUCCESS, or no NOTIFY at all).
 */
void dsn_report_write(struct strbuf *out, const struct dsn_report_conf *conf,
		      enum dsn_report_kind kind, int postmaster_copy, const char *to, int ret,
		      const char *notice_id, time_t now, const struct dsn_report_msg *msg,
		      const struct dsn_report_rcpt *rcpts, size_t nrcpts);

/*
 * dsn_report_wrap - Postfix's line_wrap() as bounce(8) uses it: text cut
 * at blanks into lines of at most len columns, lines after the first
 * indented by indent spaces; each line, with its end, appended to out.
 */
void dsn_report_wrap(struct strbuf *out, const char *text, int len, int indent);

#endif
