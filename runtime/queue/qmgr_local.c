/* qmgr_local - the queue manager's side of local delivery (see qmgr_local.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include "bounce.h"
#include "local.h"
#include "pfcd_log.h"
#include "policy.h"
#include "qmgr_local.h"
#include "xalloc.h"

/*
 * One agent per (image, local(8) service): opening one reads its
 * settings and tables' views, which is worth doing once per image, not
 * once per recipient. qmgr_local_release() drops them before pfcd
 * closes the image on SIGHUP, since an agent points into it.
 */
static struct agent_slot {
    const struct image *img;
    char *service;
    struct local_agent *agent;
} *slots;
static size_t nslots;

static struct local_agent *agent_for(const struct image *img, const char *service,
				     struct strbuf *why)
{
    for (size_t i = 0; i < nslots; i++)
	if (slots[i].img == img && strcmp(slots[i].service, service) == 0)
	    return slots[i].agent;
    char *err = NULL;
    struct local_agent *agent = local_agent_open(img, service, &err);
    if (agent == NULL) {
	sb_set(why, err);
	free(err);
	return NULL;
    }
    slots = xrealloc(slots, (nslots + 1) * sizeof(*slots));
    slots[nslots].img = img;
    slots[nslots].service = xstrdup(service);
    slots[nslots++].agent = agent;
    return agent;
}

void qmgr_local_end(void)
{
    local_writers_close();
}

void qmgr_local_release(const struct image *img)
{
    size_t k = 0;

    for (size_t i = 0; i < nslots; i++) {
	if (slots[i].img != img) {
	    slots[k++] = slots[i];
	    continue;
	}
	local_agent_close(slots[i].agent);
	free(slots[i].service);
    }
    nslots = k;
}

void qmgr_delay(struct strbuf *out, double v)
{
    if (v >= 10)
	sb_printf(out, "%.0f", v);
    else if (v < 0.01)
	sb_adds(out, "0");
    else {
	char buf[32];
	snprintf(buf, sizeof(buf), v >= 1 ? "%.1f" : "%.2f", v);
	size_t n = strlen(buf);
	while (n > 0 && buf[n - 1] == '0')
	    buf[--n] = 0;
	if (n > 0 && buf[n - 1] == '.')
	    buf[--n] = 0;
	sb_adds(out, buf);
    }
}

/* The DSN NOTIFY masks: the queue's QNOTIFY_* and local(8)'s LOCAL_NOTIFY_*. */
static const struct {
    int queue, local;
} notify_bits[] = {
    {QNOTIFY_SUCCESS, LOCAL_NOTIFY_SUCCESS}, {QNOTIFY_FAILURE, LOCAL_NOTIFY_FAILURE},
    {QNOTIFY_DELAY, LOCAL_NOTIFY_DELAY}, {QNOTIFY_NEVER, LOCAL_NOTIFY_NEVER},
};

static int notify_convert(int mask, int to_local)
{
    int out = 0;

    for (size_t i = 0; i < sizeof(notify_bits) / sizeof(notify_bits[0]); i++)
	if (mask & (to_local ? notify_bits[i].queue : notify_bits[i].local))
	    out |= to_local ? notify_bits[i].local : notify_bits[i].queue;
    return out;
}

static const char *attr_or_empty(const struct queue_msg *m, const char *name)
{
    const char *v = queue_msg_attr(m, name);
    return v ? v : "";
}

/* ------------------------------------------------------------ forwarding */

/*
 * A forwarded message is a new queue file, as local(8) hands it to
 * cleanup: from the sender local(8) chose, with the original's DSN and
 * client attributes, fsynced before the recipient counts as done.
 */
struct fwd_ctx {
    const char *queue_dir;
    int long_ids;
    const struct queue_msg *m;
};

static const char *const kept_attrs[] = {
    QATTR_CLIENT_NAME, QATTR_REVERSE_NAME, QATTR_CLIENT_ADDR, QATTR_CLIENT_PORT,
    QATTR_HELO_NAME, QATTR_PROTOCOL, QATTR_ENVID, QATTR_RET, QATTR_ENCODING, QATTR_SMTPUTF8,
};

static void *fwd_open(void *ctx, const struct local_message *msg, const char *sender,
		      const char **queue_id, struct strbuf *why)
{
    struct fwd_ctx *f = ctx;
    struct queue_writer *w = queue_writer_open(f->queue_dir, f->long_ids, why);
    struct timeval now;

    (void) msg;
    if (w == NULL)
	return NULL;
    gettimeofday(&now, NULL);
    queue_writer_time(w, now.tv_sec, now.tv_usec);
    queue_writer_sender(w, sender);
    for (size_t i = 0; i < sizeof(kept_attrs) / sizeof(kept_attrs[0]); i++) {
	const char *v = queue_msg_attr(f->m, kept_attrs[i]);
	if (v != NULL)
	    queue_writer_attr(w, kept_attrs[i], v);
    }
    queue_writer_attr(w, QATTR_ORIGIN, "local");
    *queue_id = queue_writer_id(w);
    return w;
}

static int fwd_rcpt(void *handle, const struct local_rcpt *r)
{
    queue_writer_rcpt(handle, r->address, r->orig_addr, r->dsn_orcpt,
		      notify_convert(r->dsn_notify, 0));
    return 0;
}

static int fwd_write(void *handle, const char *data, size_t len)
{
    queue_writer_content(handle, data, len);
    return 0;
}

static int fwd_close(void *handle, int commit, struct strbuf *why)
{
    if (!commit) {
	queue_writer_abort(handle);
	return 0;
    }
    return queue_writer_finish(handle, QW_SYNC, NULL, why);
}

static const struct local_forward_ops fwd_ops = { fwd_open, fwd_rcpt, fwd_write, fwd_close };

/* ------------------------------------------------------------ bounces */

/* dsn_of - a result of local(8) as a notice reports it */
static struct bounce_rcpt dsn_of(const struct local_result *r, const char *reason)
{
    return (struct bounce_rcpt) {
	{
	    .address = r->address, .orig_addr = r->orig_addr, .dsn_orcpt = r->dsn_orcpt,
	    .status = r->dsn, .action = r->dsn_action, .reason = reason,
	    .diag_type = r->diag_text ? "x-unix" : NULL, .diag_text = r->diag_text,
	},
	notify_convert(r->dsn_notify, 0),
    };
}

/* keep_expanded - b, an entry of recipient index's expansion, as a QREC_EXPANDED record in keep */
static void keep_expanded(struct strbuf *keep, size_t index, const struct bounce_rcpt *b,
			  const char *action)
{
    const struct dsn_report_rcpt *d = &b->dsn;
    struct queue_expanded e = {
	index, b->notify, d->address, d->orig_addr ? d->orig_addr : "",
	d->dsn_orcpt ? d->dsn_orcpt : "", d->status, d->reason,
	d->diag_type ? d->diag_type : "", d->diag_text ? d->diag_text : "", action, 0
    };
    queue_expanded_put(keep, &e);
}

/*
 * expansion_notices - the notices of an expanded recipient (an alias, a
 * .forward), as local(8) makes them: the bounces that go to an owner-
 * alias notify_to (local(8)'s bounce_workaround() hands it the bounce in
 * the sender's place) sent now; those that go to the message's sender
 * (notify_to NULL) kept for its non-delivery report, and the deliveries
 * and expansions that asked for a success report kept for the message's
 * one success report, as QREC_EXPANDED records of recipient index
 * appended to *keep (bounce_append() to the message's bounce log and
 * trace_append() to its trace log, which qmgr flushes when the message
 * leaves the active queue).
 */
static void expansion_notices(const struct policy *main_view, const char *queue_dir,
			      const struct queue_msg *m, const struct local_report *rep,
			      const char *service, const char *notify_to, size_t index,
			      struct strbuf *keep)
{
    struct bounce_rcpt *rcpts = xcalloc(rep->count + 1, sizeof(*rcpts));
    size_t n = 0;

    for (size_t i = 0; i < rep->count; i++) {
	const struct local_result *r = &rep->results[i];
	if (r->action != LOCAL_BOUNCED)
	    continue;
	if (notify_to ? !r->notify_to || strcmp(r->notify_to, notify_to) != 0 : r->notify_to != NULL)
	    continue;
	rcpts[n] = dsn_of(r, r->text);
	if (notify_to == NULL)
	    keep_expanded(keep, index, &rcpts[n], "failed");
	n++;
    }
    if (notify_to != NULL)
	bounce_notify(main_view, queue_dir, m, DSN_REPORT_FAILURE, notify_to, rcpts, n);
    for (size_t i = 0; notify_to == NULL && i < rep->count; i++) {
	const struct local_result *r = &rep->results[i];
	if ((r->action != LOCAL_SENT && r->action != LOCAL_EXPANDED)
	    || !(r->dsn_notify & LOCAL_NOTIFY_SUCCESS))
	    continue;
	/*
	 * trace_append()'s "delivery via RELAY: ", for an expansion too:
	 * local(8) appends it with the service as its relay.
	 */
	struct strbuf text = STRBUF_INIT;
	sb_printf(&text, "delivery via %s: %s", service, r->text);
	struct bounce_rcpt b = dsn_of(r, sb_str(&text));
	keep_expanded(keep, index, &b, r->dsn_action ? r->dsn_action : "delivered");
	sb_free(&text);
    }
    free(rcpts);
}

/* ------------------------------------------------------------ delivery */

int qmgr_local_ready(const struct image *img, const char *service, struct strbuf *why)
{
    return agent_for(img, service, why) != NULL ? 0 : -1;
}

/* message_of - what local(8) is handed of a queued message */
static struct local_message message_of(const struct queue_msg *m)
{
    const char *encoding = attr_or_empty(m, QATTR_ENCODING), *ret = attr_or_empty(m, QATTR_RET);
    struct local_message msg = {
	.queue_id = m->id, .sender = m->sender, .fd = m->fd,
	.offset = (off_t) (m->content - m->map), .length = (off_t) m->content_len,
	.arrival = m->arrival,
	.encoding = strcasecmp(encoding, "8BITMIME") == 0 ? "8bit"
	    : strcasecmp(encoding, "7BIT") == 0 ? "7bit" : "",
	.smtputf8 = strcmp(attr_or_empty(m, QATTR_SMTPUTF8), "1") == 0,
	.dsn_envid = attr_or_empty(m, QATTR_ENVID),
	.dsn_ret = strcasecmp(ret, "HDRS") == 0 ? LOCAL_RET_HDRS
	    : strcasecmp(ret, "FULL") == 0 ? LOCAL_RET_FULL : 0,
	.client_name = attr_or_empty(m, QATTR_CLIENT_NAME),
	.client_addr = attr_or_empty(m, QATTR_CLIENT_ADDR),
	.client_helo = attr_or_empty(m, QATTR_HELO_NAME),
	.client_proto = attr_or_empty(m, QATTR_PROTOCOL),
	.sasl_method = "", .sasl_username = "", .sasl_sender = "",
    };
    return msg;
}

/*
 * outcome - log a recipient's results as local(8) does and set st to
 * what the queue records for it; bounces of expanded addresses are sent
 * here.
 */
static void outcome(const struct local_agent *agent, const char *service,
		    const struct policy *main_view, const char *queue_dir,
		    const struct queue_msg *m, const struct queue_rcpt *qr,
		    struct local_report *rep, const struct timeval *start,
		    const struct timeval *end, struct delivery_status *st)
{
    struct timeval arrival = { m->arrival, m->arrival_usec };

    /* One log line per result, as local(8) writes them. */
    struct strbuf delays = STRBUF_INIT, line = STRBUF_INIT;
    sb_adds(&delays, "delay=");
    qmgr_delay(&delays, (double) (end->tv_sec - arrival.tv_sec)
	       + (double) (end->tv_usec - arrival.tv_usec) / 1e6);
    sb_adds(&delays, ", delays=");
    qmgr_delay(&delays, (double) (start->tv_sec - arrival.tv_sec)
	       + (double) (start->tv_usec - arrival.tv_usec) / 1e6);
    sb_adds(&delays, "/0/0/");
    qmgr_delay(&delays, (double) (end->tv_sec - start->tv_sec)
	       + (double) (end->tv_usec - start->tv_usec) / 1e6);
    for (size_t k = 0; k < rep->count; k++) {
	sb_reset(&line);
	local_log_text(&line, agent, &rep->results[k], sb_str(&delays));
	if (line.len > 0)
	    pfcd_log("local", "%s: %s", m->id, sb_str(&line));
    }
    st->logged = 1;

    /*
     * What the queue keeps for the recipient. One result for the
     * recipient itself: its own status, and qmgr's notices() report it
     * with the message's other recipients. Expanded ones (an alias, a
     * .forward): their bounces are sent here, now, and the recipient is
     * done unless something was deferred (then all of it is tried again,
     * as local(8)'s caller does).
     */
    const struct local_result *own = NULL, *first_deferred = NULL, *expanded = NULL;
    size_t logged = 0;
    for (size_t k = 0; k < rep->count; k++) {
	const struct local_result *r = &rep->results[k];
	if (r->action == LOCAL_EXPANDED) {
	    expanded = expanded ? expanded : r;
	    continue;
	}
	logged++;
	if (r->action == LOCAL_DEFERRED && first_deferred == NULL)
	    first_deferred = r;
	if (strcasecmp(r->address, qr->address) == 0 && r->notify_to == NULL)
	    own = r;
    }
    if (logged == 1 && own != NULL && expanded == NULL && !(rep->retry && first_deferred == NULL)) {
	st->status = own->action == LOCAL_SENT ? QRCPT_SENT
	    : own->action == LOCAL_BOUNCED ? QRCPT_BOUNCED : QRCPT_DEFERRED;
	snprintf(st->dsn, sizeof(st->dsn), "%s", own->dsn);
	sb_set(&st->reason, own->text);
	/* What the queue manager's notices need of it (bounce_flush()). */
	snprintf(st->action, sizeof(st->action), "%s", own->dsn_action ? own->dsn_action : "");
	if (own->diag_text) {
	    snprintf(st->diag_type, sizeof(st->diag_type), "x-unix");
	    snprintf(st->diag_text, sizeof(st->diag_text), "%s", own->diag_text);
	}
    } else {
	size_t index = (size_t) (qr - m->rcpts);
	expansion_notices(main_view, queue_dir, m, rep, service, NULL, index, &st->expanded);
	for (size_t k = 0; k < rep->count; k++) {
	    const char *to = rep->results[k].notify_to;
	    int seen = 0;
	    for (size_t j = 0; to && j < k; j++)
		seen |= rep->results[j].notify_to && strcmp(rep->results[j].notify_to, to) == 0;
	    if (to && !seen && rep->results[k].action == LOCAL_BOUNCED)
		expansion_notices(main_view, queue_dir, m, rep, service, to, index, NULL);
	}
	if (rep->retry) {
	    st->status = QRCPT_DEFERRED;
	    snprintf(st->dsn, sizeof(st->dsn), "%s", first_deferred ? first_deferred->dsn : "4.3.0");
	    sb_set(&st->reason, first_deferred ? first_deferred->text : "unable to forward message");
	} else {
	    st->status = QRCPT_SENT;
	    snprintf(st->dsn, sizeof(st->dsn), "2.0.0");
	    sb_set(&st->reason, expanded ? expanded->text : "alias expanded");
	    /* Its expansion's entries (above) stand for it in bounce_flush()'s reports. */
	    st->noticed = 1;
	}
    }
    sb_free(&delays);
    sb_free(&line);
}

void qmgr_local_deliver(const struct image *img, const char *queue_dir, const char *service,
			struct queue_msg *const *msgs, const size_t *rcpts, size_t n,
			struct delivery_status *sts)
{
    struct timeval start, end;
    struct policy main_view;

    gettimeofday(&start, NULL);
    for (size_t i = 0; i < n; i++) {
	sts[i].logged = 0;
	snprintf(sts[i].relay, sizeof(sts[i].relay), "%s", service);
    }
    struct local_agent *agent = agent_for(img, service, &sts[0].reason);
    if (agent == NULL) {
	/* local(8) would not start: the mail waits for a fixed configuration. */
	pfcd_log("local", "warning: %s", sb_str(&sts[0].reason));
	for (size_t i = 0; i < n; i++) {
	    sts[i].status = QRCPT_DEFERRED;
	    snprintf(sts[i].dsn, sizeof(sts[i].dsn), "4.3.0");
	    if (i > 0)
		sb_set(&sts[i].reason, sb_str(&sts[0].reason));
	}
	return;
    }

    struct local_message *lm = xcalloc(n, sizeof(*lm));
    struct local_rcpt *lr = xcalloc(n, sizeof(*lr));
    struct fwd_ctx *fctx = xcalloc(n, sizeof(*fctx));
    void **ctxs = xcalloc(n, sizeof(*ctxs));
    struct local_report *reps = xcalloc(n, sizeof(*reps));
    policy_open_main(&main_view, img);
    int long_ids = policy_bool(&main_view, "enable_long_queue_ids");
    for (size_t i = 0; i < n; i++) {
	const struct queue_rcpt *qr = &msgs[i]->rcpts[rcpts[i]];
	lm[i] = message_of(msgs[i]);
	lr[i] = (struct local_rcpt) { qr->address, qr->orig, qr->orcpt,
	    notify_convert(qr->notify, 1) };
	fctx[i] = (struct fwd_ctx) { queue_dir, long_ids, msgs[i] };
	ctxs[i] = &fctx[i];
    }
    local_deliver_batch(agent, lm, lr, n, &fwd_ops, ctxs, reps);
    gettimeofday(&end, NULL);
    for (size_t i = 0; i < n; i++) {
	outcome(agent, service, &main_view, queue_dir, msgs[i], &msgs[i]->rcpts[rcpts[i]], &reps[i],
		&start, &end, &sts[i]);
	local_report_free(&reps[i]);
    }
    policy_close(&main_view);
    free(lm);
    free(lr);
    free(fctx);
    free(ctxs);
    free(reps);
}
