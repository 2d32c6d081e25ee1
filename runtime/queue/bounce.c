/* bounce - who gets which notice, queued as bounce(8) posts it (see bounce.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <time.h>

#include "bounce.h"
#include "cleanup_msg.h"
#include "mail_date.h"
#include "pfcd_log.h"
#include "xalloc.h"

/* notify_classes words that reach bounce(8) (Postfix's MAIL_ERROR_*) */
#define CLASS_BOUNCE	1
#define CLASS_2BOUNCE	2
#define CLASS_DELAY	4

/* What the notices depend on, read from main.cf's view once per call. */
struct notice_ctx {
    const struct policy *p;
    const char *queue_dir;
    const struct queue_msg *m;
    struct dsn_report_conf conf;
    struct dsn_report_msg msg;
    char *double_bounce;	/* double_bounce_sender@myhostname */
    int classes;		/* CLASS_* of notify_classes */
    int long_ids;
};

static int classes_of(const char *list)
{
    static const struct {
	const char *name;
	int bit;
    } names[] = { {"bounce", CLASS_BOUNCE}, {"2bounce", CLASS_2BOUNCE}, {"delay", CLASS_DELAY} };
    char *copy = xstrdup(list), *cp = copy, *word;
    int mask = 0;

    while ((word = strsep(&cp, ", \t\n")) != NULL)
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
	    if (strcasecmp(word, names[i].name) == 0)
		mask |= names[i].bit;
    free(copy);
    return mask;
}

static void ctx_open(struct notice_ctx *c, const struct policy *p, const char *queue_dir,
		     const struct queue_msg *m)
{
    const char *encoding = queue_msg_attr(m, QATTR_ENCODING);
    const char *utf8 = queue_msg_attr(m, QATTR_SMTPUTF8);
    const char *envid = queue_msg_attr(m, QATTR_ENVID);

    memset(c, 0, sizeof(*c));
    c->p = p;
    c->queue_dir = queue_dir;
    c->m = m;
    c->conf.myhostname = policy_value(p, "myhostname");
    c->conf.myorigin = policy_value(p, "myorigin");
    c->conf.mail_name = policy_value(p, "mail_name");
    c->conf.smtputf8_enable = policy_bool(p, "smtputf8_enable");
    c->conf.bounce_size_limit = policy_int(p, "bounce_size_limit", 50000);
    c->conf.threaded = policy_bool(p, "enable_threaded_bounces");
    c->conf.delay_warning_time = policy_time(p, "delay_warning_time", 'h', 0);
    c->conf.maximal_queue_lifetime = policy_time(p, "maximal_queue_lifetime", 'd', 5 * 86400);
    c->msg = (struct dsn_report_msg) {
	.queue_id = m->id, .sender = m->sender, .arrival = m->arrival, .size = m->size,
	.encoding = encoding == NULL ? "" : strcasecmp(encoding, "8BITMIME") == 0 ? "8bit"
	    : strcasecmp(encoding, "7BIT") == 0 ? "7bit" : "",
	.smtputf8 = utf8 != NULL && strcmp(utf8, "1") == 0,
	.dsn_envid = envid ? envid : "",
	.fd = m->fd, .offset = (off_t) (m->content - m->map), .length = (off_t) m->content_len,
    };
    c->double_bounce = xconcat(policy_value(p, "double_bounce_sender"), "@",
			       c->conf.myhostname, (char *) NULL);
    c->classes = classes_of(policy_value(p, "notify_classes"));
    c->long_ids = policy_bool(p, "enable_long_queue_ids");
}

static void ctx_close(struct notice_ctx *c)
{
    free(c->double_bounce);
}

/*
 * warn_zero - bounce(8)'s warnings when the delay template's $NAME_UNIT
 * truncates to zero (1m of delay_warning_time is "0 hour(s)").
 */
static void warn_zero(long seconds, long unit_seconds, const char *name, const char *unit)
{
    if (seconds / unit_seconds != 0)
	return;
    pfcd_log("bounce", "warning: [built-in]: zero result in delay template conversion of "
	     "parameter \"%s\"", name);
    pfcd_log("bounce", "warning: for instructions see the bounce(5) manual");
    pfcd_log("bounce", "warning: please reduce time unit \"%s\" of \"%s\" in delay template",
	     unit, name);
}

/*
 * queue_notice - a notice's text (its headers, the empty line, its
 * body) queued in w as cleanup queues what post_mail() hands it:
 * cleanup's Message-Id: after the headers; on stable storage (fsync).
 * Returns 0, or -1 with *err.
 */
static int queue_notice(struct queue_writer *w, const struct strbuf *text, time_t now,
			const char *myhostname, int long_ids, struct strbuf *err)
{
    struct strbuf final = STRBUF_INIT;
    const char *end = strstr(sb_str(text), "\n\n");
    size_t head = end ? (size_t) (end + 1 - text->s) : text->len;

    sb_addn(&final, sb_str(text), head);
    sb_adds(&final, "Message-Id: ");
    cleanup_message_id(&final, queue_writer_id(w), now, myhostname, long_ids);
    sb_addch(&final, '\n');
    sb_addn(&final, sb_str(text) + head, text->len - head);
    queue_writer_content(w, final.s, final.len);
    sb_free(&final);
    return queue_writer_finish(w, QW_SYNC, NULL, err);
}

/*
 * post - one notice queued as bounce(8)'s post_mail() hands it to
 * cleanup: the envelope from sender to `to` (qualified with myorigin, as
 * cleanup would; the original recipient as given), the report, and
 * cleanup's Message-Id: after its headers. Logs "ID: WHAT: NEWID".
 */
static int post(const struct notice_ctx *c, enum dsn_report_kind kind, int postmaster_copy,
		const char *sender, const char *to, int ret, const struct dsn_report_rcpt *rcpts,
		size_t n, const char *what)
{
    struct strbuf err = STRBUF_INIT, out = STRBUF_INIT;
    struct queue_writer *w = queue_writer_open(c->queue_dir, c->long_ids, &err);
    struct timeval now;

    if (w == NULL) {
	pfcd_log("bounce", "warning: %s: %s: %s", c->m->id, what, sb_str(&err));
	sb_free(&err);
	return -1;
    }
    gettimeofday(&now, NULL);
    queue_writer_time(w, now.tv_sec, now.tv_usec);
    queue_writer_sender(w, sender);
    char *addr = strchr(to, '@') || *c->conf.myorigin == 0 ? xstrdup(to)
	: xconcat(to, "@", c->conf.myorigin, (char *) NULL);
    queue_writer_rcpt(w, addr, to, "", 0);
    free(addr);
    queue_writer_attr(w, QATTR_ORIGIN, "local");
    if (c->msg.smtputf8)
	queue_writer_attr(w, QATTR_SMTPUTF8, "1");

    if (kind == DSN_REPORT_DELAY && !postmaster_copy)
	warn_zero(c->conf.delay_warning_time, 3600, "delay_warning_time_hours", "hours");
    if (kind == DSN_REPORT_DELAY && !postmaster_copy)
	warn_zero(c->conf.maximal_queue_lifetime, 86400, "maximal_queue_lifetime_days", "days");
    dsn_report_write(&out, &c->conf, kind, postmaster_copy, to, ret, queue_writer_id(w),
		     now.tv_sec, &c->msg, rcpts, n);
    char id[64];
    snprintf(id, sizeof(id), "%s", queue_writer_id(w));
    int rc = queue_notice(w, &out, now.tv_sec, c->conf.myhostname, c->long_ids, &err);
    if (rc == 0)
	pfcd_log("bounce", "%s: %s: %s", c->m->id, what, id);
    else
	pfcd_log("bounce", "warning: %s: %s: %s", c->m->id, what, sb_str(&err));
    sb_free(&err);
    sb_free(&out);
    return rc;
}

int bounce_smtpd_notice(const struct policy *p, const char *queue_dir, const char *namaddr,
			int bounce_class, const char *body)
{
    const char *myhostname = policy_value(p, "myhostname");
    const char *myorigin = policy_value(p, "myorigin");
    const char *error_rcpt = policy_value(p, "error_notice_recipient");
    const char *to = bounce_class ? policy_value(p, "bounce_notice_recipient") : error_rcpt;
    int long_ids = policy_bool(p, "enable_long_queue_ids");
    struct strbuf err = STRBUF_INIT, text = STRBUF_INIT, date = STRBUF_INIT;
    struct queue_writer *w = queue_writer_open(queue_dir, long_ids, &err);
    struct timeval now;

    if (w == NULL) {
	pfcd_log("smtpd", "warning: postmaster notify: %s", sb_str(&err));
	sb_free(&err);
	return -1;
    }
    gettimeofday(&now, NULL);
    queue_writer_time(w, now.tv_sec, now.tv_usec);
    /* From double-bounce, so that it never bounces back; cleanup qualifies the rest. */
    char *sender = xconcat(policy_value(p, "double_bounce_sender"), "@", myhostname, (char *) NULL);
    queue_writer_sender(w, sender);
    char *addr = strchr(to, '@') || *myorigin == 0 ? xstrdup(to)
	: xconcat(to, "@", myorigin, (char *) NULL);
    queue_writer_rcpt(w, addr, to, "", 0);
    queue_writer_attr(w, QATTR_ORIGIN, "local");
    /* post_mail()'s Received: and Date:, then smtpd_chat_notify()'s headers and text. */
    mail_date(now.tv_sec, &date);
    sb_printf(&text, "Received: by %s (%s)\n\tid %s; %s\n", myhostname,
	      policy_value(p, "mail_name"), queue_writer_id(w), sb_str(&date));
    sb_printf(&text, "Date: %s\n", sb_str(&date));
    sb_printf(&text, "From: Mail Delivery System <MAILER-DAEMON%s%s>\n", *myorigin ? "@" : "",
	      myorigin);
    sb_printf(&text, "To: Postmaster <%s%s%s>\n", error_rcpt,
	      strchr(error_rcpt, '@') || *myorigin == 0 ? "" : "@",
	      strchr(error_rcpt, '@') ? "" : myorigin);
    sb_printf(&text, "Subject: %s SMTP server: errors from %s\n\n%s", policy_value(p, "mail_name"),
	      namaddr, body);
    int rc = queue_notice(w, &text, now.tv_sec, myhostname, long_ids, &err);
    if (rc < 0)
	pfcd_log("smtpd", "warning: postmaster notify: %s", sb_str(&err));
    free(sender);
    free(addr);
    sb_free(&err);
    sb_free(&text);
    sb_free(&date);
    return rc;
}

int bounce_notify(const struct policy *p, const char *queue_dir, const struct queue_msg *m,
		  enum dsn_report_kind kind, const char *to, const struct bounce_rcpt *rcpts,
		  size_t n)
{
    struct notice_ctx c;
    struct dsn_report_rcpt *all = xcalloc(n + 1, sizeof(*all)), *asked = xcalloc(n + 1, sizeof(*asked));
    size_t nasked = 0;
    int rc = 0;
    const char *ret_attr = queue_msg_attr(m, QATTR_RET);
    int dsn_ret = ret_attr == NULL ? 0 : strcasecmp(ret_attr, "HDRS") == 0 ? DSN_REPORT_RET_HDRS
	: strcasecmp(ret_attr, "FULL") == 0 ? DSN_REPORT_RET_FULL : 0;

    ctx_open(&c, p, queue_dir, m);
    /*
     * The sender's notice lists those whose NOTIFY asks for it (none
     * given: failures and delays; success reports are only made for the
     * ones that asked); postmaster copies list every one.
     */
    for (size_t i = 0; i < n; i++) {
	int notify = rcpts[i].notify;
	all[i] = rcpts[i].dsn;
	if (kind == DSN_REPORT_SUCCESS
	    || (kind == DSN_REPORT_FAILURE && (notify == 0 || (notify & QNOTIFY_FAILURE)))
	    || (kind == DSN_REPORT_DELAY && (notify == 0 || (notify & QNOTIFY_DELAY))))
	    asked[nasked++] = rcpts[i].dsn;
    }
    const char *what = kind == DSN_REPORT_FAILURE ? "non-delivery"
	: kind == DSN_REPORT_DELAY ? "delay" : "delivery status";
    char sender_what[64], postmaster_what[64];
    snprintf(sender_what, sizeof(sender_what), "sender %s notification", what);
    snprintf(postmaster_what, sizeof(postmaster_what), "postmaster %s notification", what);

    if (n == 0) {
	/* Nothing to report. */
    } else if (strcasecmp(to, c.double_bounce) == 0) {
	/* A postmaster notice that failed: never a triple bounce. */
	if (kind == DSN_REPORT_SUCCESS)
	    pfcd_log("bounce", "%s: not sending trace/success notification for "
		     "double-bounce message", m->id);
	else
	    pfcd_log("bounce", "warning: %s: undeliverable postmaster notification discarded",
		     m->id);
    } else if (*to == 0) {
	/* A bounce that failed: postmaster's, if notify_classes says so. */
	if (kind == DSN_REPORT_FAILURE && (c.classes & (CLASS_2BOUNCE | CLASS_BOUNCE)))
	    rc = post(&c, kind, 1, c.double_bounce, policy_value(p, "2bounce_notice_recipient"),
		      DSN_REPORT_RET_FULL, all, n, postmaster_what);
	else if (kind == DSN_REPORT_DELAY && (c.classes & CLASS_DELAY))
	    rc = post(&c, kind, 1, c.double_bounce, policy_value(p, "delay_notice_recipient"),
		      DSN_REPORT_RET_FULL, all, n, postmaster_what);
	else if (kind == DSN_REPORT_SUCCESS && (c.classes & CLASS_2BOUNCE))
	    rc = post(&c, kind, 0, c.double_bounce, policy_value(p, "2bounce_notice_recipient"),
		      DSN_REPORT_RET_HDRS, all, n, sender_what);
	else if (kind == DSN_REPORT_SUCCESS)
	    pfcd_log("bounce", "%s: not sending trace/success notification for "
		     "single-bounce message", m->id);
    } else {
	if (nasked > 0)
	    rc = post(&c, kind, 0, "", to, kind == DSN_REPORT_FAILURE && dsn_ret ? dsn_ret
		      : kind == DSN_REPORT_FAILURE ? DSN_REPORT_RET_FULL : DSN_REPORT_RET_HDRS,
		      asked, nasked, sender_what);
	/* The postmaster's copy is not critical: a failure is only logged. */
	const char *pm = kind == DSN_REPORT_FAILURE && (c.classes & CLASS_BOUNCE)
	    ? "bounce_notice_recipient" : kind == DSN_REPORT_DELAY && (c.classes & CLASS_DELAY)
	    ? "delay_notice_recipient" : NULL;
	if (rc == 0 && pm != NULL
	    && post(&c, kind, 1, c.double_bounce, policy_value(p, pm), DSN_REPORT_RET_HDRS,
		    all, n, postmaster_what) < 0)
	    pfcd_log("bounce", "warning: %s: postmaster notice failed while %s %s", m->id,
		     kind == DSN_REPORT_FAILURE ? "bouncing to" : "warning", to);
    }
    ctx_close(&c);
    free(all);
    free(asked);
    return rc;
}

/* ------------------------------------------------------------ after an attempt */

/* report_rcpt - a queue recipient as the notice reports it */
static struct bounce_rcpt report_rcpt(const struct queue_rcpt *r, const char *action,
				      const char *reason)
{
    return (struct bounce_rcpt) {
	{
	    .address = r->address, .orig_addr = r->orig, .dsn_orcpt = r->orcpt,
	    .status = r->dsn, .action = *r->action ? r->action : action, .reason = reason,
	    .diag_type = *r->diag_type ? r->diag_type : NULL,
	    .diag_text = *r->diag_type ? r->diag_text : NULL,
	},
	r->notify,
    };
}

/* expanded_rcpt - an address of an expansion as the notice reports it */
static struct bounce_rcpt expanded_rcpt(const struct queue_expanded *e)
{
    return (struct bounce_rcpt) {
	{
	    .address = e->address, .orig_addr = e->orig, .dsn_orcpt = e->orcpt,
	    .status = e->status, .action = e->action, .reason = e->reason,
	    .diag_type = *e->diag_type ? e->diag_type : NULL,
	    .diag_text = *e->diag_type ? e->diag_text : NULL,
	},
	e->notify,
    };
}

/*
 * flush_log - the one report of kind (failure or success) for the
 * entries of m's bounce or trace log not yet reported: the message's own
 * recipients that own() selects and the addresses their expansions
 * reported with an action that success() selects, in one report, as
 * bounce(8) reports every entry of the log qmgr flushes; then recorded,
 * so that none is reported twice.
 */
static void flush_log(const struct policy *p, const char *queue_dir, struct queue_msg *m,
		      enum dsn_report_kind kind)
{
    int success = kind == DSN_REPORT_SUCCESS;
    struct bounce_rcpt *list = xcalloc(m->nrcpts + m->nexpanded + 1, sizeof(*list));
    struct strbuf *texts = xcalloc(m->nrcpts + 1, sizeof(*texts));
    size_t *idx = xcalloc(m->nrcpts + 1, sizeof(*idx));
    size_t *eidx = xcalloc(m->nexpanded + 1, sizeof(*eidx));
    size_t nlist = 0, n = 0, ne = 0;

    for (size_t i = 0; i < m->nrcpts; i++) {
	const struct queue_rcpt *r = &m->rcpts[i];
	if (!success && r->status == QRCPT_BOUNCED && !(r->notified & QNOTICE_FAILURE)) {
	    list[nlist++] = report_rcpt(r, "failed", r->reason);
	    idx[n++] = i;
	} else if (success && r->status == QRCPT_SENT && (r->notify & QNOTIFY_SUCCESS)
		   && !(r->notify & QNOTIFY_NEVER) && !(r->notified & QNOTICE_SUCCESS)) {
	    /* trace_append(): "delivery via RELAY: " unless the relay is none. */
	    texts[n] = (struct strbuf) STRBUF_INIT;
	    if (*r->relay && strcmp(r->relay, "none") != 0)
		sb_printf(&texts[n], "delivery via %s: ", r->relay);
	    sb_adds(&texts[n], r->reason);
	    list[nlist++] = report_rcpt(r, "delivered", sb_str(&texts[n]));
	    idx[n++] = i;
	}
	for (size_t k = 0; k < m->nexpanded; k++) {
	    const struct queue_expanded *e = &m->expanded[k];
	    if (e->rcpt != i || e->notified || (strcmp(e->action, "failed") != 0) != success)
		continue;
	    list[nlist++] = expanded_rcpt(e);
	    eidx[ne++] = k;
	}
    }
    if (nlist > 0 && bounce_notify(p, queue_dir, m, kind, m->sender, list, nlist) == 0
	&& ((n > 0 && queue_msg_noticed(m, success ? QNOTICE_SUCCESS : QNOTICE_FAILURE,
					idx, n) < 0)
	    || (ne > 0 && queue_msg_noticed(m, QNOTICE_EXPANDED, eidx, ne) < 0)))
	pfcd_log("qmgr", "warning: %s: update queue file: %m", m->id);
    for (size_t i = 0; success && i < n; i++)
	sb_free(&texts[i]);
    free(list);
    free(texts);
    free(idx);
    free(eidx);
}

void bounce_flush(const struct policy *p, const char *queue_dir, struct queue_msg *m)
{
    size_t deferred = 0;

    /* The bounce log, then the trace log (qmgr_active_done()'s order). */
    flush_log(p, queue_dir, m, DSN_REPORT_FAILURE);
    flush_log(p, queue_dir, m, DSN_REPORT_SUCCESS);
    for (size_t i = 0; i < m->nrcpts; i++)
	deferred += m->rcpts[i].status == QRCPT_DEFERRED;

    /* One delay warning, once the message is delay_warning_time old (qmgr's warn_time). */
    long warn = policy_time(p, "delay_warning_time", 'h', 0);
    if (deferred > 0 && warn > 0 && !m->warned && time(NULL) >= m->arrival + warn - 1) {
	struct bounce_rcpt *rcpts = xcalloc(m->nrcpts + 1, sizeof(*rcpts));
	size_t n = 0;
	for (size_t i = 0; i < m->nrcpts; i++)
	    if (m->rcpts[i].status == QRCPT_DEFERRED)
		rcpts[n++] = report_rcpt(&m->rcpts[i], "delayed", m->rcpts[i].reason);
	if (bounce_notify(p, queue_dir, m, DSN_REPORT_DELAY, m->sender, rcpts, n) == 0
	    && queue_msg_noticed(m, QNOTICE_DELAY, NULL, 0) < 0)
	    pfcd_log("qmgr", "warning: %s: update queue file: %m", m->id);
	free(rcpts);
    }
}
