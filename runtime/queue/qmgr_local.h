/*
 * qmgr_local - the queue manager's side of local delivery: a queued
 * message and one of its recipients mapped onto runtime/local/'s
 * local_deliver_rcpt(), its results logged as local(8) logs them, its
 * notices queued through bounce.h, and forwarded mail (aliases with an
 * owner-, :include:, .forward, addresses of other transports) queued as
 * new messages with queue_writer_*(), so nothing forwarded is lost.
 */
#ifndef PFC_QMGR_LOCAL_H
#define PFC_QMGR_LOCAL_H

#include <stddef.h>

#include "loader.h"
#include "queue_file.h"
#include "strbuf.h"

/*
 * qmgr_local_deliver - deliver recipient rcpts[i] of msgs[i], for each i
 * below n, through the local(8) service named service of img, new
 * messages queued under queue_dir; Maildir writes of the same user are
 * synced together (local_deliver_batch()). Logs one line per result
 * (program "local"), sends the notices of expanded addresses itself, and
 * sets sts[i] to what the queue records for the recipient (logged set:
 * the caller logs nothing more). The agent is kept for the next call
 * with the same image.
 */
void qmgr_local_deliver(const struct image *img, const char *queue_dir, const char *service,
			struct queue_msg *const *msgs, const size_t *rcpts, size_t n,
			struct delivery_status *sts);

/*
 * qmgr_local_ready - open the agent of service now (before the delivery
 * processes fork, so that each finds it open): 0, or -1 with why
 */
int qmgr_local_ready(const struct image *img, const char *service, struct strbuf *why);

/*
 * qmgr_local_end - a delivery process is done: the children it kept
 * for the next batches (local_writers_close()) go
 */
void qmgr_local_end(void);

/* qmgr_local_release - drop the agents of img (before the image is closed) */
void qmgr_local_release(const struct image *img);

/* qmgr_delay - a delay in seconds as Postfix logs it: 0.06, 0.4, 19 */
void qmgr_delay(struct strbuf *out, double v);

#endif
