/*
 * bounce - the notices of Postfix's bounce(8), as its queue manager asks
 * for them (SPEC-runtime 4): the non-delivery report of the recipients
 * that bounced, the success report of those that asked for one
 * (NOTIFY=SUCCESS), the one delay warning of a message still deferred
 * after delay_warning_time, and the postmaster copies that notify_classes
 * asks for (bounce, 2bounce, delay). The text of every notice is
 * dsn_report_write()'s (dsn_report.h); this file decides who gets which
 * notice, from which sender, about which recipients, and queues it as a
 * new message (fsynced) the way bounce(8) posts it through cleanup.
 *
 * Who gets what, as bounce(8) decides it:
 *   - the sender, from the null sender, about the recipients whose
 *     NOTIFY asks for the kind (no NOTIFY: failure and delay);
 *   - for a failure or delay, a postmaster copy (to bounce_notice_recipient
 *     or delay_notice_recipient, from double_bounce_sender@myhostname,
 *     every recipient, headers only) when notify_classes has bounce or
 *     delay;
 *   - a message from the null sender (a bounce that bounced): the
 *     failure goes to 2bounce_notice_recipient, from double-bounce, with
 *     the whole message, when notify_classes has 2bounce or bounce, and
 *     nowhere otherwise; its delay warning to delay_notice_recipient when
 *     notify_classes has delay; a success report only with 2bounce;
 *   - a message from double-bounce (a postmaster notice that failed):
 *     nothing, with a warning, so notices never loop.
 */
#ifndef PFC_BOUNCE_H
#define PFC_BOUNCE_H

#include "dsn_report.h"
#include "policy.h"
#include "queue_file.h"

/* One recipient of a notice: what the report says, and its DSN NOTIFY. */
struct bounce_rcpt {
    struct dsn_report_rcpt dsn;
    int notify;			/* QNOTIFY_* mask; 0: not given */
};

/*
 * bounce_notify - the notices of kind about rcpts (every recipient that
 * has the status of that kind: the NOTIFY filter is applied here) of m,
 * whose sender is to (m->sender, or an owner- alias that takes a bounce
 * in its place), queued under queue_dir and logged as bounce(8) logs
 * them. Returns 0 when what bounce(8) would send was queued (or there was
 * nothing to send), -1 when a notice could not be queued (logged; the
 * caller keeps the recipients to try again).
 */
int bounce_notify(const struct policy *p, const char *queue_dir, const struct queue_msg *m,
		  enum dsn_report_kind kind, const char *to, const struct bounce_rcpt *rcpts,
		  size_t n);

/*
 * bounce_flush - after an attempt on m, the notices it owes, as qmgr
 * asks bounce(8) for them when a message leaves the active queue: one
 * failure report for the recipients bounced since the last one (and the
 * addresses their aliases and .forward files expanded to that bounced),
 * one success report for those delivered with NOTIFY=SUCCESS since the
 * last one (and the expansions and deliveries of their aliases that
 * asked for it: the message's trace log), and, when some are
 * still deferred and the message is older than delay_warning_time, its
 * one delay warning. Each notice queued is recorded in the queue file
 * (queue_msg_noticed()), so none is sent twice and none is lost by a
 * crash before it was queued.
 */
void bounce_flush(const struct policy *p, const char *queue_dir, struct queue_msg *m);

/*
 * bounce_smtpd_notice - smtpd_chat_notify()'s notice about the session
 * of client namaddr: from double_bounce_sender@myhostname to
 * error_notice_recipient (bounce_notice_recipient when bounce_class: an
 * error of notify_classes' bounce class), "Subject: Postfix SMTP server:
 * errors from NAMADDR", not MIME, body the transcript; queued (fsynced)
 * under queue_dir. Returns 0, or -1 (logged).
 */
int bounce_smtpd_notice(const struct policy *p, const char *queue_dir, const char *namaddr,
			int bounce_class, const char *body);

#endif
