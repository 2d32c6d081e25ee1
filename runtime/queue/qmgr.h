/*
 * qmgr - pfcd's queue manager (qmgr(8)): it takes new messages from
 * incoming/, hands each recipient to the delivery agent its transport
 * names in master.cf (local(8) through runtime/local/, error(8) and
 * discard(8) here), records each outcome in the queue file, retries
 * deferred recipients on Postfix's schedule (minimal_backoff_time,
 * maximal_backoff_time, queue_run_delay), returns what is still
 * undelivered after maximal_queue_lifetime (bounce_queue_lifetime for
 * bounces), and sends the notices (bounce.h).
 */
#ifndef PFC_QMGR_H
#define PFC_QMGR_H

#include <sys/types.h>

#include "loader.h"
#include "strbuf.h"

struct qmgr_config {
    const char *image_path;	/* mapped again on SIGHUP */
    const char *queue_dir;	/* queue_directory, as opened */
    int wake_fd;		/* readable when the SMTP side queued a message (-1: none) */
};

/*
 * qmgr_run - deliver until SIGTERM (the message in hand is finished
 * first). Owns img. Returns the exit status.
 */
int qmgr_run(const struct qmgr_config *cfg, struct image *img);

/* qmgr_create_dirs - the queue directories under queue_dir (0700), owned by uid/gid */
int qmgr_create_dirs(const char *queue_dir, uid_t uid, gid_t gid, struct strbuf *err);

#endif
