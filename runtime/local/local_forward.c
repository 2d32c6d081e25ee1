/*
 * local_forward - the forwarding delivery kind (local(8)'s indirect.c
 * and forward.c): a recipient that is not delivered here (a list member
 * of an alias with an owner-, an address of a :include: file, another
 * user named in a .forward, an address of another transport) goes into a
 * new message, one per (Delivered-To address, envelope sender) pair,
 * that the queue takes through local_forward_ops. Its content is
 *
 *   Received: by MYHOSTNAME (MAIL_NAME)
 *   <TAB>id NEWID; DATE
 *   Delivered-To: ADDRESS        (prepend_delivered_header has forward)
 *
 * then the original message. The messages are sent only when nothing of
 * the top-level recipient was deferred, and each is logged for it as
 * "forwarded as NEWID".
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "local_int.h"
#include "mail_date.h"
#include "matchlist.h"
#include "xalloc.h"

int deliver_indirect(struct run *run, struct attr at)
{
    struct fwd_group *g;

    if (been_here(run, "indirect %s", at.rcpt.address))
	return 0;
    for (g = run->groups; g; g = g->next)
	if (strcmp(g->delivered, at.delivered) == 0 && strcmp(g->sender, at.sender) == 0)
	    break;
    if (g == NULL) {
	struct strbuf why = STRBUF_INIT;
	void *handle = NULL;
	const char *queue_id = NULL;
	if (run->fwd != NULL)
	    handle = run->fwd->open(run->fwd_ctx, run->msg, at.sender, &queue_id, &why);
	sb_free(&why);
	if (handle == NULL)
	    return r_simple(run, &at, "4.3.0", "unable to forward message");
	g = xcalloc(1, sizeof(*g));
	g->delivered = xstrdup(at.delivered);
	g->sender = xstrdup(at.sender);
	g->handle = handle;
	g->queue_id = xstrdup(queue_id ? queue_id : "");
	g->posting_time = time(NULL);
	/* In order of first use, as the log lines come. */
	struct fwd_group **tail = &run->groups;
	while (*tail)
	    tail = &(*tail)->next;
	*tail = g;
    }
    if (run->fwd->rcpt(g->handle, &at.rcpt) < 0) {
	g->failed = 1;
	return r_simple(run, &at, "4.3.0", "unable to forward message");
    }
    return 0;
}

/* The forwarded message's content goes through the queue's write(). */
struct hook_sink {
    const struct local_forward_ops *ops;
    void *handle;
};

static int hook_write(void *ctx, const char *data, size_t len)
{
    struct hook_sink *s = ctx;

    return s->ops->write(s->handle, data, len);
}

/* forward_send - the new message's content, then commit it */
static int forward_send(struct run *run, struct fwd_group *g, struct attr at)
{
    struct local_agent *a = run->a;
    struct strbuf head = STRBUF_INIT, folded = STRBUF_INIT, why = STRBUF_INIT;
    struct local_why copy_why = { 0 };
    struct hook_sink sink = { run->fwd, g->handle };
    int status = 0;

    sb_printf(&head, "Received: by %s (%s)\n\tid %s; ", a->myhostname, a->mail_name,
	      g->queue_id);
    mail_date(g->posting_time, &head);
    sb_addch(&head, '\n');
    if (a->hdr_mask & DELIVER_HDR_FWD) {
	match_casefold(&folded, g->delivered, a->utf8);
	sb_printf(&head, "Delivered-To: %s\n", sb_str(&folded));
    }
    if (run->fwd->write(g->handle, head.s, head.len) < 0
	|| local_copy(run->msg, hook_write, &sink, 0, "", "", "", 0, &copy_why) != 0) {
	status = -1;
    }
    g->handle = NULL;
    if (status == 0 && run->fwd->close(sink.handle, 1, &why) < 0)
	status = -1;
    else if (status != 0)
	(void) run->fwd->close(sink.handle, 0, &why);
    if (status == 0) {
	/* Success reports were made for the alias already: not again. */
	int notify = at.rcpt.dsn_notify;
	at.rcpt.dsn_notify = notify == LOCAL_NOTIFY_SUCCESS ? LOCAL_NOTIFY_NEVER
	    : notify & ~LOCAL_NOTIFY_SUCCESS;
	r_sent(run, &at, "relayed", "forwarded as %s", g->queue_id);
    } else {
	status = r_simple(run, &at, "4.3.0", "unable to forward message");
    }
    sb_free(&head);
    sb_free(&folded);
    sb_free(&why);
    why_free(&copy_why);
    return status;
}

int forward_finish(struct run *run, struct attr at, int cancel)
{
    struct fwd_group *g, *next;
    int status = cancel;

    for (g = run->groups; g; g = next) {
	next = g->next;
	if (status == 0 && !g->failed) {
	    status |= forward_send(run, g, at);
	} else if (g->handle != NULL) {
	    struct strbuf why = STRBUF_INIT;
	    (void) run->fwd->close(g->handle, 0, &why);
	    sb_free(&why);
	}
	free(g->delivered);
	free(g->sender);
	free(g->queue_id);
	free(g);
    }
    run->groups = NULL;
    return status;
}
