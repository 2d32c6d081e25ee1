/* cleanup_msg - a received message made ready for the queue (see cleanup_msg.h) */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "addr822.h"
#include "bounce.h"
#include "cleanup_msg.h"
#include "content_checks.h"
#include "mail_date.h"
#include "qmgr_local.h"
#include "matchlist.h"
#include "queue_file.h"
#include "rewrite.h"
#include "smtpd_session.h"
#include "xalloc.h"

struct cleanup_msg {
    const struct cleanup_config *cfg;
    struct queue_writer *w;
    struct timeval arrival;
    struct strbuf content;	/* as received, LF line ends */
    char *first_rcpt;		/* the first RCPT as given, for "for <...>" */
    int nrcpt;
    /*
     * The RCPTs as given, and each as rewritten (rewrite_rcpts()): at the
     * end, when the session is complete, before the content checks, as
     * cleanup rewrites each recipient record before it reads the message.
     */
    struct cleanup_rcpt {
	char *addr, *orcpt;
	int notify;
	struct rewrite_list list;
	char *err;		/* the rewrite failed: why */
    } *rcpts;
    size_t rcap;
    int failed;			/* a rewrite failed: cleanup would refuse */
    struct strbuf fail_text;
    /* Local submission (cleanup_local()): pickup's Received, the user's full name. */
    int local;
    char **queued;		/* the recipients written so far */
    char **queued_orig;		/* ...each as given */
    char **queued_orcpt;	/* ...its DSN original recipient */
    int *queued_notify;		/* ...and its NOTIFY */
    int nqueued;
    long uid;
    char *full_name;
    time_t posted;
};

/* ------------------------------------------------------------ the sink */

struct cleanup_msg *cleanup_open(const struct cleanup_config *cfg, struct session *s,
				 struct strbuf *err)
{
    int long_ids = policy_bool(cfg->cleanup, "enable_long_queue_ids");
    struct queue_writer *w = queue_writer_open(cfg->queue_dir, long_ids, err);

    (void) s;
    if (w == NULL)
	return NULL;
    struct cleanup_msg *cm = xcalloc(1, sizeof(*cm));
    cm->cfg = cfg;
    cm->w = w;
    gettimeofday(&cm->arrival, NULL);
    return cm;
}

const char *cleanup_id(const struct cleanup_msg *cm)
{
    return queue_writer_id(cm->w);
}

void cleanup_recipient(struct cleanup_msg *cm, const char *addr, int notify, const char *orcpt)
{
    if ((size_t) cm->nrcpt == cm->rcap) {
	cm->rcap = cm->rcap ? 2 * cm->rcap : 4;
	cm->rcpts = xrealloc(cm->rcpts, cm->rcap * sizeof(*cm->rcpts));
    }
    struct cleanup_rcpt *r = &cm->rcpts[cm->nrcpt++];
    *r = (struct cleanup_rcpt) { 0 };
    r->addr = xstrdup(addr);
    r->orcpt = xstrdup(orcpt ? orcpt : "");
    r->notify = notify;
    if (cm->first_rcpt == NULL)
	cm->first_rcpt = xstrdup(addr);
}

void cleanup_content(struct cleanup_msg *cm, int type, const char *data, size_t len)
{
    sb_addn(&cm->content, data, len);
    if (type == SMTPD_REC_NORM)
	sb_addch(&cm->content, '\n');
}

static void msg_free(struct cleanup_msg *cm)
{
    sb_free(&cm->content);
    sb_free(&cm->fail_text);
    free(cm->first_rcpt);
    free(cm->full_name);
    for (int i = 0; i < cm->nqueued; i++) {
	free(cm->queued[i]);
	free(cm->queued_orig[i]);
	free(cm->queued_orcpt[i]);
    }
    free(cm->queued);
    free(cm->queued_orig);
    free(cm->queued_orcpt);
    free(cm->queued_notify);
    for (int i = 0; i < cm->nrcpt; i++) {
	free(cm->rcpts[i].addr);
	free(cm->rcpts[i].orcpt);
	rewrite_list_free(&cm->rcpts[i].list);
	free(cm->rcpts[i].err);
    }
    free(cm->rcpts);
    free(cm);
}

void cleanup_abort(struct cleanup_msg *cm)
{
    if (cm == NULL)
	return;
    queue_writer_abort(cm->w);
    msg_free(cm);
}

/* ------------------------------------------------------------ headers */

void cleanup_message_id(struct strbuf *out, const char *id, time_t when, const char *myhostname,
			int long_ids)
{
    struct tm gmt;
    char stamp[32];

    gmtime_r(&when, &gmt);
    strftime(stamp, sizeof(stamp), "%Y%m%d%H%M%S", &gmt);
    if (long_ids)
	sb_printf(out, "<%s@%s>", id, myhostname);
    else
	sb_printf(out, "<%s.%s@%s>", stamp, id, myhostname);
}

void cleanup_smtpd_received(struct strbuf *out, const struct session *s, const char *myhostname,
			    const char *id, const char *only_rcpt, time_t when)
{
    const char *helo = s->helo_name && *s->helo_name ? s->helo_name : s->name;
    const char *proto = (s->flags & SESSION_SMTPUTF8) ? "UTF8SMTP"
	: s->protocol ? s->protocol : "SMTP";

    sb_printf(out, "Received: from %s (%s [%s])\n", helo, s->name, s->addr);
    sb_printf(out, "\tby %s (Postfix) with %s id %s", myhostname, proto, id);
    if (only_rcpt != NULL) {
	sb_printf(out, "\n\tfor <%s>; ", only_rcpt);
    } else {
	sb_adds(out, ";\n\t");
    }
    mail_date(when, out);
    sb_addch(out, '\n');
}

/*
 * received - the Received header the message starts with: smtpd's
 * (SPEC-runtime 2.1), or pickup's for a local submission (pickup.c's
 * "by HOST (Postfix, from userid N)", dated when the file was posted).
 */
static void received(struct cleanup_msg *cm, struct session *s, struct strbuf *out)
{
    const char *host = policy_value(cm->cfg->smtpd, "myhostname");

    if (cm->local) {
	sb_printf(out, "Received: by %s (Postfix, from userid %ld)\n\tid %s; ", host, cm->uid,
		  queue_writer_id(cm->w));
	mail_date(cm->posted, out);
	sb_addch(out, '\n');
	return;
    }
    cleanup_smtpd_received(out, s, host, queue_writer_id(cm->w),
			   cm->nrcpt == 1 ? cm->first_rcpt : NULL, cm->arrival.tv_sec);
}

void cleanup_local(struct cleanup_msg *cm, long uid, const char *full_name, time_t posted)
{
    cm->local = 1;
    cm->uid = uid;
    free(cm->full_name);
    cm->full_name = full_name && *full_name ? xstrdup(full_name) : NULL;
    cm->posted = posted;
}

/*
 * from_header - the From: cleanup adds: "phrase <sender>" with the full
 * name of a local submission (the phrase quoted when it holds specials or
 * the %! operators, else its white space normalized), else the sender.
 */
static void from_header(struct cleanup_msg *cm, const char *pre, const char *sender,
			struct strbuf *out)
{
    if (*sender == 0 || cm->full_name == NULL) {
	sb_printf(out, "%sFrom: %s\n", pre, *sender ? sender : "MAILER-DAEMON");
	return;
    }
    for (char *cp = cm->full_name; *cp; cp++)
	if (*cp == '\r' || *cp == '\n')
	    *cp = ' ';
    sb_printf(out, "%sFrom: ", pre);
    struct a822 a;
    int32_t tok;

    a822_init(&a);
    tok = cm->full_name[strcspn(cm->full_name, "%!()<>@,;:\\\".[]")] == 0
	? a822_scan(&a, cm->full_name, NULL) : a822_alloc(&a, A822_QSTRING, cm->full_name);
    if (tok != A822_NONE) {
	a822_externalize(&a, out, tok);
	sb_addch(out, ' ');
    }
    a822_free(&a);
    sb_addch(out, '<');
    a822_quote_local(out, sender, A822_QUOTE_8BITCLEAN);
    sb_adds(out, ">\n");
}

/* in_list - is name (a header name) in the comma/space list value, any case? */
static int in_list(const char *value, const char *name, size_t len)
{
    const char *cp = value;

    while (*cp) {
	cp += strspn(cp, ", \t\n");
	size_t n = strcspn(cp, ", \t\n");
	if (n == len && strncasecmp(cp, name, len) == 0)
	    return 1;
	cp += n;
    }
    return 0;
}

/*
 * header_rewrite_client - does the client get cleanup's local header
 * treatment (local_header_rewrite_clients)? The permit_* forms Postfix
 * allows there; a table entry matches the client address.
 */
static int header_rewrite_client(struct cleanup_msg *cm, struct session *s)
{
    const char *value = policy_value(cm->cfg->smtpd, "local_header_rewrite_clients");
    char *copy = xstrdup(value), *cp = copy, *word;
    int yes = 0;

    while (!yes && (word = strsep(&cp, ", \t\n")) != NULL) {
	if (*word == 0)
	    continue;
	if (strcmp(word, "permit_inet_interfaces") == 0)
	    yes = match_inet_interfaces(s, s->addr) == MATCH_YES;
	else if (strcmp(word, "permit_mynetworks") == 0)
	    yes = match_list_in(s, cm->cfg->smtpd, "mynetworks", MATCH_KIND_ADDR, s->name,
				s->addr) == MATCH_YES;
	else if (strcmp(word, "permit_sasl_authenticated") == 0)
	    yes = s->sasl_username != NULL;
	else if (strcmp(word, "static:all") == 0)
	    yes = 1;
    }
    free(copy);
    return yes;
}

/* header_value - the value of a header line (after "Name:"), trimmed, as a new string */
static char *header_value(const char *h, size_t len)
{
    const char *colon = memchr(h, ':', len), *end = h + len;

    if (colon == NULL)
	return xstrdup("");
    const char *v = colon + 1;
    while (v < end && isspace((unsigned char) *v))
	v++;
    while (end > v && isspace((unsigned char) end[-1]))
	end--;
    char *out = xmalloc((size_t) (end - v) + 1);
    size_t n = 0;
    for (; v < end; v++)
	if (*v != '\n')
	    out[n++] = *v;
    out[n] = 0;
    return out;
}

/*
 * finish_headers - message_drop_headers out, the missing Message-Id,
 * Date, From (and To per undisclosed_recipients_header) in, at the end of
 * the primary headers; msg becomes out. Logs message-id=.
 */
static void finish_headers(struct cleanup_msg *cm, struct session *s, const char *sender,
			   const char *msg, size_t len, struct strbuf *out)
{
    const struct policy *cp = cm->cfg->cleanup;
    const char *drop = policy_value(cp, "message_drop_headers");
    int resent = 0, have_mid = 0, have_date = 0, have_from = 0, have_rcpt_hdr = 0;
    int have_rmid = 0, have_rdate = 0, have_rfrom = 0;
    char *mid = NULL, *rmid = NULL;
    size_t pos = 0;

    /* Walk the primary headers: each logical header is a line plus its continuations. */
    while (pos < len) {
	const char *line = msg + pos;
	const char *nl = memchr(line, '\n', len - pos);
	size_t llen = nl ? (size_t) (nl - line) + 1 : len - pos;
	if (llen == 1 || line[0] == ' ' || line[0] == '\t')
	    break;		/* the empty line, or not a header */
	size_t name_len = 0;
	while (name_len < llen && line[name_len] != ':' && line[name_len] > ' '
	       && line[name_len] < 127)
	    name_len++;
	size_t j = name_len;
	while (j < llen && (line[j] == ' ' || line[j] == '\t'))
	    j++;
	if (name_len == 0 || j >= llen || line[j] != ':')
	    break;		/* not a header: the body starts here */
	size_t hlen = llen;
	while (pos + hlen < len && (msg[pos + hlen] == ' ' || msg[pos + hlen] == '\t')) {
	    const char *more = memchr(msg + pos + hlen, '\n', len - pos - hlen);
	    hlen = more ? (size_t) (more - msg - pos) + 1 : len - pos;
	}
#define IS(n) (name_len == sizeof(n) - 1 && strncasecmp(line, n, name_len) == 0)
	if (name_len > 7 && strncasecmp(line, "Resent-", 7) == 0)
	    resent = 1;
	if (IS("Message-Id")) {
	    have_mid = 1;
	    if (mid == NULL)
		mid = header_value(line, hlen);
	} else if (IS("Date"))
	    have_date = 1;
	else if (IS("From"))
	    have_from = 1;
	else if (IS("To") || IS("Cc") || IS("Bcc"))
	    have_rcpt_hdr = 1;
	else if (IS("Resent-Message-Id")) {
	    have_rmid = 1;
	    if (rmid == NULL)
		rmid = header_value(line, hlen);
	} else if (IS("Resent-Date"))
	    have_rdate = 1;
	else if (IS("Resent-From"))
	    have_rfrom = 1;
#undef IS
	if (!in_list(drop, line, name_len))
	    sb_addn(out, line, hlen);
	pos += hlen;
    }

    int add = cm->local || policy_bool(cp, "always_add_missing_headers")
	|| header_rewrite_client(cm, s);
    const char *host = policy_value(cp, "myhostname");
    const char *id = queue_writer_id(cm->w);
    struct strbuf made = STRBUF_INIT;
    if (add) {
	cleanup_message_id(&made, id, cm->arrival.tv_sec, host,
			   policy_bool(cp, "enable_long_queue_ids"));
	const char *pre = resent ? "Resent-" : "";
	if (resent ? !have_rmid : !have_mid) {
	    sb_printf(out, "%sMessage-Id: %s\n", pre, sb_str(&made));
	    if (resent)
		rmid = xstrdup(sb_str(&made));
	    else
		mid = xstrdup(sb_str(&made));
	}
	if (resent ? !have_rdate : !have_date) {
	    sb_printf(out, "%sDate: ", pre);
	    mail_date(cm->arrival.tv_sec, out);
	    sb_addch(out, '\n');
	}
	if (resent ? !have_rfrom : !have_from)
	    from_header(cm, pre, sender, out);
	const char *undisclosed = policy_value(cp, "undisclosed_recipients_header");
	if (!resent && !have_rcpt_hdr && *undisclosed)
	    sb_printf(out, "%s\n", undisclosed);
    }
    /* The rest: the empty line and the body; supply the empty line when there was none. */
    if (pos >= len)
	sb_addch(out, '\n');
    else if (msg[pos] != '\n')
	sb_addch(out, '\n');
    sb_addn(out, msg + pos, len - pos);

    if (cm->cfg->log) {
	struct strbuf text = STRBUF_INIT;
	sb_printf(&text, "%s: message-id=%s", id, mid ? mid : "<>");
	cm->cfg->log("cleanup", sb_str(&text));
	if (rmid) {
	    sb_reset(&text);
	    sb_printf(&text, "%s: resent-message-id=%s", id, rmid);
	    cm->cfg->log("cleanup", sb_str(&text));
	}
	sb_free(&text);
    }
    free(mid);
    free(rmid);
    sb_free(&made);
}

/* rewrite_rcpts - each RCPT as cleanup rewrites it (canonical, masquerading, virtual) */
static void rewrite_rcpts(struct cleanup_msg *cm, struct session *s)
{
    for (int i = 0; i < cm->nrcpt; i++) {
	struct cleanup_rcpt *r = &cm->rcpts[i];
	(void) rewrite_recipient(s, r->addr, &r->list, &r->err);
    }
}

/*
 * log_rcpt - the recipient cleanup's log lines name: the last one it was
 * given, as it rewrote it before virtual expansion (where a lookup
 * failed, as far as the rewrite got); NULL when there is none
 */
static const char *log_rcpt(const struct cleanup_msg *cm)
{
    if (cm->nrcpt == 0)
	return NULL;
    const struct cleanup_rcpt *r = &cm->rcpts[cm->nrcpt - 1];
    return r->list.clean ? r->list.clean : r->list.count ? r->list.addrs[0] : r->addr;
}

/* rcpt_failed - addr could not be rewritten (err): cleanup will refuse the message */
static void rcpt_failed(struct cleanup_msg *cm, const char *addr, const char *err)
{
    cm->failed = 1;
    sb_printf(&cm->fail_text, "%s: %s", addr, err);
}

/*
 * queue_rcpt - the envelope recipients of addr, list (what
 * rewrite_recipient() made of it; err: why it failed, or NULL). orcpt
 * NULL: an address cleanup adds (BCC), with no DSN original recipient;
 * "": none was given (a local submission), so it is the address before
 * virtual expansion, as cleanup_addr_recipient() makes it ("rfc822;" +
 * it; XXX "utf-8;" for an SMTPUTF8 address).
 */
static void queue_rcpt(struct cleanup_msg *cm, const char *addr, const struct rewrite_list *list,
		       const char *err, const char *orig, int notify, const char *orcpt)
{
    char *made = NULL;

    if (err != NULL)
	rcpt_failed(cm, addr, err);
    if (orcpt == NULL)
	orcpt = "";
    else if (*orcpt == 0 && list->clean && *list->clean)
	orcpt = made = xconcat("rfc822;", list->clean, (char *) NULL);
    for (size_t i = 0; i < list->count; i++) {
	/* A local submission names a recipient once however often -t found it. */
	int dup = 0;
	for (int j = 0; cm->local && j < cm->nqueued && !dup; j++)
	    dup = strcmp(cm->queued[j], list->addrs[i]) == 0;
	if (dup)
	    continue;
	if (cm->local) {
	    size_t k = (size_t) cm->nqueued++ + 1;
	    cm->queued = xrealloc(cm->queued, k * sizeof(*cm->queued));
	    cm->queued_orig = xrealloc(cm->queued_orig, k * sizeof(*cm->queued_orig));
	    cm->queued_orcpt = xrealloc(cm->queued_orcpt, k * sizeof(*cm->queued_orcpt));
	    cm->queued_notify = xrealloc(cm->queued_notify, k * sizeof(*cm->queued_notify));
	    cm->queued[k - 1] = xstrdup(list->addrs[i]);
	    cm->queued_orig[k - 1] = xstrdup(orig);
	    cm->queued_orcpt[k - 1] = xstrdup(orcpt);
	    cm->queued_notify[k - 1] = notify;
	}
	queue_writer_rcpt(cm->w, list->addrs[i], orig, orcpt, notify);
    }
    free(made);
}

/* add_rcpt - queue_rcpt() of addr as rewrite_recipient() rewrites it now (REDIRECT, BCC) */
static void add_rcpt(struct cleanup_msg *cm, struct session *s, const char *addr,
		     const char *orig, int notify, const char *orcpt)
{
    struct rewrite_list list = { NULL, 0, 0, NULL };
    char *err = NULL;

    (void) rewrite_recipient(s, addr, &list, &err);
    queue_rcpt(cm, addr, &list, err, orig, notify, orcpt);
    rewrite_list_free(&list);
    free(err);
}

/*
 * bounce_local - cleanup_bounce() for a local submission that a content
 * check rejected: each recipient (after rewriting) is logged as bounced
 * and listed in one non-delivery report to the sender, as bounce(8)
 * makes it from cleanup's bounce log; the report returns the headers
 * only (cleanup never returns unfiltered content), as cleanup finished
 * them (the missing ones added, whether a header or a body line was
 * rejected: cleanup's output goes on after the check). CLEANUP_BOUNCED once the
 * report is queued; CLEANUP_REFUSED when it could not be (the
 * submission stays, as a write error keeps Postfix's maildrop file).
 */
static enum cleanup_result bounce_local(struct cleanup_msg *cm, struct session *s,
					const struct checks_result *cr, struct strbuf *why)
{
    char *sender = rewrite_sender(s, s->sender ? s->sender : "");
    struct strbuf content = STRBUF_INIT, delay = STRBUF_INIT;
    struct timeval now;

    for (int i = 0; i < cm->nrcpt; i++) {
	const struct cleanup_rcpt *r = &cm->rcpts[i];
	queue_rcpt(cm, r->addr, &r->list, r->err, r->addr, r->notify, r->orcpt);
    }
    finish_headers(cm, s, sender, cr->message.s ? cr->message.s : "", cr->message.len, &content);

    /* The report's "X.Y.Z text" (dsn_split()), one entry per recipient. */
    const char *reason = sb_str(&cr->reason);
    char status[16];
    size_t dsn_len = strcspn(reason, " ");
    snprintf(status, sizeof(status), "%.*s", (int) (dsn_len < sizeof(status) ? dsn_len : 0),
	     reason);
    const char *text = reason + dsn_len + (reason[dsn_len] == ' ');
    struct bounce_rcpt *rcpts = xcalloc((size_t) cm->nqueued + 1, sizeof(*rcpts));
    gettimeofday(&now, NULL);
    qmgr_delay(&delay, (double) (now.tv_sec - cm->arrival.tv_sec)
	       + (double) (now.tv_usec - cm->arrival.tv_usec) / 1e6);
    for (int i = 0; i < cm->nqueued; i++) {
	rcpts[i].dsn = (struct dsn_report_rcpt) {
	    .address = cm->queued[i], .orig_addr = cm->queued_orig[i],
	    .dsn_orcpt = cm->queued_orcpt[i],
	    .status = status, .action = "failed", .reason = text,
	};
	rcpts[i].notify = cm->queued_notify[i];
	if (cm->cfg->log) {
	    struct strbuf line = STRBUF_INIT;
	    sb_printf(&line, "%s: to=<%s>, ", queue_writer_id(cm->w), cm->queued[i]);
	    if (strcmp(cm->queued[i], cm->queued_orig[i]) != 0)
		sb_printf(&line, "orig_to=<%s>, ", cm->queued_orig[i]);
	    sb_printf(&line, "relay=none, delay=%s, delays=%s/0/0/0, dsn=%s, status=bounced (%s)",
		      sb_str(&delay), sb_str(&delay), status, text);
	    cm->cfg->log("cleanup", sb_str(&line));
	    sb_free(&line);
	}
    }

    /* The message as bounce(8) reads it: the content from a file, RET=HDRS. */
    struct queue_attr ret = { QATTR_RET, "HDRS" };
    struct queue_msg m = { .fd = memfd_create("pfcd-bounce", MFD_CLOEXEC) };
    snprintf(m.id, sizeof(m.id), "%s", queue_writer_id(cm->w));
    m.map = m.content = content.s ? content.s : "";
    m.content_len = content.len;
    m.arrival = cm->arrival.tv_sec;
    m.arrival_usec = cm->arrival.tv_usec;
    m.sender = sender;
    m.attrs = &ret;
    m.nattrs = 1;
    m.size = (long) content.len;
    for (size_t i = 0; i < content.len; i++)
	m.size += content.s[i] == '\n';
    int rc = -1;
    if (m.fd >= 0 && write(m.fd, m.content, m.content_len) == (ssize_t) m.content_len)
	rc = bounce_notify(cm->cfg->cleanup, cm->cfg->queue_dir, &m, DSN_REPORT_FAILURE, sender,
			   rcpts, (size_t) cm->nqueued);
    if (m.fd >= 0)
	close(m.fd);
    if (rc < 0)
	sb_set(why, "451 4.3.0 Error: queue file write error");
    free(rcpts);
    free(sender);
    sb_free(&content);
    sb_free(&delay);
    return rc < 0 ? CLEANUP_REFUSED : CLEANUP_BOUNCED;
}

enum cleanup_result cleanup_close(struct cleanup_msg *cm, struct session *s, struct strbuf *why,
				  int *sync_fd)
{
    struct strbuf msg = STRBUF_INIT, final = STRBUF_INIT;
    struct checks_result cr;
    enum cleanup_result result = CLEANUP_QUEUED;
    struct strbuf err = STRBUF_INIT;

    *sync_fd = -1;
    /* Access-table PREPEND lines come first, smtpd's Received after them. */
    size_t skip = 0;
    for (size_t i = 0; i < s->nprepend; i++) {
	const char *nl = memchr(cm->content.s + skip, '\n', cm->content.len - skip);
	if (nl == NULL)
	    break;
	skip = (size_t) (nl - cm->content.s) + 1;
    }
    sb_addn(&msg, cm->content.s ? cm->content.s : "", skip);
    received(cm, s, &msg);
    sb_addn(&msg, cm->content.s ? cm->content.s + skip : "", cm->content.len - skip);

    checks_result_init(&cr);
    rewrite_rcpts(cm, s);
    if (content_checks(s, cm->cfg->cleanup, log_rcpt(cm), msg.s, msg.len, &cr) < 0) {
	sb_set(why, "451 4.3.0 Error: queue file write error");
	result = CLEANUP_REFUSED;
	goto done;
    }
    if (cm->local && (cr.flags & CHECKS_REJECT) && !(cr.flags & CHECKS_DEFER)) {
	result = bounce_local(cm, s, &cr, why);
	goto done;
    }
    if (cr.flags & (CHECKS_REJECT | CHECKS_DEFER)) {
	checks_reply(&cr, why);
	result = CLEANUP_REFUSED;
	goto done;
    }
    if ((cr.flags & CHECKS_DISCARD) || (s->saved_flags & SESSION_DISCARD) || s->discard) {
	result = CLEANUP_DISCARDED;
	goto done;
    }

    char *sender = rewrite_sender(s, s->sender ? s->sender : "");
    queue_writer_time(cm->w, cm->arrival.tv_sec, cm->arrival.tv_usec);
    queue_writer_sender(cm->w, sender);

    /* The recipients, REDIRECT replacing them all. */
    const char *redirect = cr.redirect ? cr.redirect : s->saved_redirect;
    struct queue_writer *w = cm->w;
    if (redirect)
	for (int i = 0; i < cm->nrcpt; i++) {
	    const struct cleanup_rcpt *r = &cm->rcpts[i];
	    /* Rewritten before the content was read: a failed lookup stands. */
	    if (r->err)
		rcpt_failed(cm, r->addr, r->err);
	    add_rcpt(cm, s, redirect, r->addr, r->notify, r->orcpt);
	}
    else
	for (int i = 0; i < cm->nrcpt; i++) {
	    const struct cleanup_rcpt *r = &cm->rcpts[i];
	    queue_rcpt(cm, r->addr, &r->list, r->err, r->addr, r->notify, r->orcpt);
	}
    for (size_t i = 0; i < s->nsaved_bcc; i++)
	add_rcpt(cm, s, s->saved_bcc[i], s->saved_bcc[i], QNOTIFY_NEVER, NULL);
    for (size_t i = 0; i < cr.nbcc; i++)
	add_rcpt(cm, s, cr.bcc[i], cr.bcc[i], QNOTIFY_NEVER, NULL);
    if (cm->failed) {
	free(sender);
	if (cm->cfg->log) {
	    struct strbuf text = STRBUF_INIT;
	    sb_printf(&text, "warning: %s: %s", queue_writer_id(cm->w), sb_str(&cm->fail_text));
	    cm->cfg->log("cleanup", sb_str(&text));
	    sb_free(&text);
	}
	sb_set(why, "451 4.3.0 Error: queue file write error");
	result = CLEANUP_REFUSED;
	goto done;
    }

    if (cm->local) {
	/* No client: Postfix's local submission ("log_message_origin" local). */
	queue_writer_attr(w, QATTR_ORIGIN, "local");
    } else {
	queue_writer_attr(w, QATTR_CLIENT_NAME, s->name);
	queue_writer_attr(w, QATTR_REVERSE_NAME, s->reverse_name ? s->reverse_name : s->name);
	queue_writer_attr(w, QATTR_CLIENT_ADDR, s->addr);
	queue_writer_attr(w, QATTR_CLIENT_PORT, s->port ? s->port : "");
	queue_writer_attr(w, QATTR_HELO_NAME, s->helo_name ? s->helo_name : "");
	queue_writer_attr(w, QATTR_PROTOCOL, (s->flags & SESSION_SMTPUTF8) ? "UTF8SMTP"
			  : s->protocol ? s->protocol : "SMTP");
	queue_writer_attr(w, QATTR_ORIGIN, s->namaddr);
    }
    if (s->flags & SESSION_SMTPUTF8)
	queue_writer_attr(w, QATTR_SMTPUTF8, "1");
    /* The DSN parameters of MAIL FROM, for the notices (bounce.h). */
    if (s->dsn_envid)
	queue_writer_attr(w, QATTR_ENVID, s->dsn_envid);
    if (s->dsn_ret)
	queue_writer_attr(w, QATTR_RET, s->dsn_ret);
    if (s->body_type)
	queue_writer_attr(w, QATTR_ENCODING, s->body_type);
    if (cr.filter || s->saved_filter)
	queue_writer_attr(w, "content_filter", cr.filter ? cr.filter : s->saved_filter);

    finish_headers(cm, s, sender, cr.message.s ? cr.message.s : "", cr.message.len, &final);
    free(sender);
    queue_writer_content(w, final.s ? final.s : "", final.len);
    int hold = (cr.flags & CHECKS_HOLD) || (s->saved_flags & SESSION_HOLD);
    if (hold)
	queue_writer_attr(w, "hold", "1");
    cm->w = NULL;
    *sync_fd = dup(queue_writer_fd(w));
    if (*sync_fd < 0 || queue_writer_finish(w, 0, NULL, &err) < 0) {
	if (*sync_fd < 0) {
	    sb_printf(&err, "dup: %s", strerror(errno));
	    queue_writer_abort(w);
	} else {
	    close(*sync_fd);
	    *sync_fd = -1;
	}
	if (cm->cfg->log) {
	    struct strbuf text = STRBUF_INIT;
	    sb_printf(&text, "warning: %s", sb_str(&err));
	    cm->cfg->log("cleanup", sb_str(&text));
	    sb_free(&text);
	}
	sb_set(why, "451 4.3.0 Error: queue file write error");
	result = CLEANUP_REFUSED;
    }
  done:
    if (cm->w != NULL)
	queue_writer_abort(cm->w);
    checks_result_free(&cr);
    sb_free(&msg);
    sb_free(&final);
    sb_free(&err);
    msg_free(cm);
    return result;
}
