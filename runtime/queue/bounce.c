/* bounce - non-delivery and success notices as Postfix's bounce(8) (see bounce.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "bounce.h"
#include "cleanup_msg.h"
#include "xalloc.h"

/*
 * wrap - text as bounce(8) folds it: words to 80 columns, continuation
 * lines indented by 4 spaces; first is the part already on the line.
 */
static void wrap(struct strbuf *out, const char *first, const char *text)
{
    size_t col = strlen(first);
    const char *cp = text;

    sb_adds(out, first);
    while (*cp) {
	size_t sp = strspn(cp, " ");
	size_t w = strcspn(cp + sp, " ");
	if (col > 4 && col + sp + w > 80) {
	    sb_adds(out, "\n    ");
	    col = 4;
	    cp += sp;
	    sp = 0;
	}
	sb_addn(out, cp, sp + w);
	col += sp + w;
	cp += sp + w;
    }
    sb_addch(out, '\n');
}

/* headers_only - the content up to and including the empty line that ends the headers */
static size_t headers_len(const struct queue_msg *m)
{
    const char *c = m->content;
    size_t n = m->content_len;

    if (n > 0 && c[0] == '\n')
	return 1;
    for (size_t i = 1; i < n; i++)
	if (c[i] == '\n' && c[i - 1] == '\n')
	    return i + 1;
    return n;
}

int bounce_send(const struct policy *p, const char *queue_dir, const struct queue_msg *m,
		enum bounce_kind kind, const int *want, char *id, size_t idsize,
		struct strbuf *err)
{
    const char *host = policy_value(p, "myhostname");
    struct queue_writer *w = queue_writer_open(queue_dir,
					       policy_bool(p, "enable_long_queue_ids"), err);
    if (w == NULL)
	return -1;
    struct timeval now;
    gettimeofday(&now, NULL);
    queue_writer_time(w, now.tv_sec, now.tv_usec);
    queue_writer_sender(w, "");
    queue_writer_rcpt(w, m->sender, m->sender, "", QNOTIFY_NEVER);
    queue_writer_attr(w, QATTR_ORIGIN, "local");

    struct strbuf out = STRBUF_INIT, boundary = STRBUF_INIT;
    sb_printf(&boundary, "%s.%lld/%s", m->id, (long long) now.tv_sec, host);
    sb_printf(&out, "Received: by %s (Postfix)\n\tid %s; ", host, queue_writer_id(w));
    mail_date(now.tv_sec, &out);
    sb_adds(&out, "\nDate: ");
    mail_date(now.tv_sec, &out);
    sb_printf(&out, "\nFrom: Mail Delivery System <MAILER-DAEMON@%s>\n", host);
    sb_printf(&out, "Subject: %s\n", kind == BOUNCE_FAILURE
	      ? "Undelivered Mail Returned to Sender" : "Successful Mail Delivery Report");
    sb_printf(&out, "To: %s\n", m->sender);
    sb_adds(&out, "Auto-Submitted: auto-replied\nMIME-Version: 1.0\n"
	    "Content-Type: multipart/report; report-type=delivery-status;\n");
    sb_printf(&out, "\tboundary=\"%s\"\nContent-Transfer-Encoding: 8bit\n", sb_str(&boundary));
    struct tm gmt;
    char stamp[32];
    gmtime_r(&now.tv_sec, &gmt);
    strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &gmt);
    sb_printf(&out, "Message-Id: <%s.%s@%s>\n\n", stamp, queue_writer_id(w), host);
    sb_adds(&out, "This is a MIME-encapsulated message.\n\n");

    /* Part 1: the notification, for a human. */
    sb_printf(&out, "--%s\nContent-Description: Notification\n"
	      "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n",
	      sb_str(&boundary));
    sb_printf(&out, "This is the mail system at host %s.\n\n", host);
    if (kind == BOUNCE_FAILURE)
	sb_adds(&out, "I'm sorry to have to inform you that your message could not\n"
		"be delivered to one or more recipients. It's attached below.\n\n"
		"For further assistance, please send mail to postmaster.\n\n"
		"If you do so, please include this problem report. You can\n"
		"delete your own text from the attached returned message.\n\n");
    else
	sb_adds(&out, "Your message was successfully delivered to the destination(s)\n"
		"listed below. If the message was delivered to mailbox you will\n"
		"receive no further notifications. Otherwise you may still receive\n"
		"notifications of mail delivery errors from other systems.\n\n");
    sb_adds(&out, "                   The mail system\n\n");
    for (size_t i = 0; i < m->nrcpts; i++) {
	const struct queue_rcpt *r = &m->rcpts[i];
	if (!want[i])
	    continue;
	struct strbuf first = STRBUF_INIT;
	if (*r->orig && strcmp(r->orig, r->address) != 0)
	    sb_printf(&first, "<%s> (expanded from <%s>):", r->address, r->orig);
	else
	    sb_printf(&first, "<%s>:", r->address);
	wrap(&out, sb_str(&first), r->reason);
	sb_addch(&out, '\n');
	sb_free(&first);
    }

    /* Part 2: the delivery report, for a program. */
    sb_printf(&out, "--%s\nContent-Description: Delivery report\n"
	      "Content-Type: message/delivery-status\n\n", sb_str(&boundary));
    sb_printf(&out, "Reporting-MTA: dns; %s\n", host);
    const char *envid = queue_msg_attr(m, QATTR_ENVID);
    if (envid && *envid)
	sb_printf(&out, "Original-Envelope-Id: %s\n", envid);
    sb_printf(&out, "X-Postfix-Queue-ID: %s\nX-Postfix-Sender: rfc822; %s\nArrival-Date: ",
	      m->id, m->sender);
    mail_date(m->arrival, &out);
    sb_adds(&out, "\n\n");
    for (size_t i = 0; i < m->nrcpts; i++) {
	const struct queue_rcpt *r = &m->rcpts[i];
	if (!want[i])
	    continue;
	sb_printf(&out, "Final-Recipient: rfc822; %s\n", r->address);
	if (*r->orcpt)
	    sb_printf(&out, "Original-Recipient: %s\n", r->orcpt);
	else
	    sb_printf(&out, "Original-Recipient: rfc822;%s\n", *r->orig ? r->orig : r->address);
	sb_printf(&out, "Action: %s\nStatus: %s\n", kind == BOUNCE_FAILURE ? "failed" : "delivered",
		  r->dsn);
	struct strbuf diag = STRBUF_INIT;
	sb_printf(&diag, "%s", r->reason);
	wrap(&out, "Diagnostic-Code: X-Postfix;", sb_str(&diag));
	sb_free(&diag);
	sb_addch(&out, '\n');
    }

    /* Part 3: the message, or its headers. */
    const char *ret = queue_msg_attr(m, QATTR_RET);
    int full = kind == BOUNCE_FAILURE && !(ret && strcmp(ret, "HDRS") == 0);
    sb_printf(&out, "--%s\nContent-Description: %s\nContent-Type: %s\n"
	      "Content-Transfer-Encoding: 8bit\n\n", sb_str(&boundary),
	      kind == BOUNCE_SUCCESS ? "Message Headers"
	      : full ? "Undelivered Message" : "Undelivered Message Headers",
	      full ? "message/rfc822" : "text/rfc822-headers");
    sb_printf(&out, "Return-Path: <%s>\n", m->sender);
    size_t len = full ? m->content_len : headers_len(m);
    long limit = policy_int(p, "bounce_size_limit", 50000);
    if (full && limit > 0 && len > (size_t) limit)
	len = (size_t) limit;
    sb_addn(&out, m->content, len);
    if (len > 0 && m->content[len - 1] != '\n')
	sb_addch(&out, '\n');
    if (full)
	sb_addch(&out, '\n');
    sb_printf(&out, "--%s--\n", sb_str(&boundary));

    queue_writer_content(w, out.s, out.len);
    snprintf(id, idsize, "%s", queue_writer_id(w));
    sb_free(&out);
    sb_free(&boundary);
    return queue_writer_finish(w, QW_SYNC, NULL, err);
}
