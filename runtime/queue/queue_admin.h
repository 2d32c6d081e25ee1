/*
 * queue_admin - postsuper(1)'s changes to a queue that a running pfcd
 * may be working on: delete, hold, release and requeue one message.
 *
 * The discipline (pfc-queue(5)): the queue manager holds an exclusive
 * flock(2) on a message's file from when it takes it from incoming/ or
 * deferred/ until the file has left active/ again; a change made here
 * opens the file, takes the same lock, checks that the name it opened
 * still names that file, and only then renames or removes it. So a
 * message being delivered is changed when its delivery attempt ends,
 * never under it, and a message is never moved by two programs at once:
 * each rename is made under the lock, and the program that lost the race
 * sees its rename fail and leaves the message alone.
 */
#ifndef PFC_QUEUE_ADMIN_H
#define PFC_QUEUE_ADMIN_H

#include "strbuf.h"

enum queue_admin_op {
    QADMIN_DELETE,		/* postsuper -d: remove the message */
    QADMIN_HOLD,		/* postsuper -h: to hold/ */
    QADMIN_RELEASE,		/* postsuper -H: from hold/ to deferred/ */
    QADMIN_REQUEUE,		/* postsuper -r: to incoming/, as if new */
};

/* The message queues these operations know, in postsuper's default order. */
extern const char *const queue_admin_queues[];	/* NULL-terminated */

/* queue_admin_queue_ok - is name one of queue_admin_queues? */
int queue_admin_queue_ok(const char *name);

/*
 * queue_admin_id_ok - postsuper's syntax check of a queue ID: 1 to 255
 * letters, digits and underscores (so no ID leads out of its queue).
 */
int queue_admin_id_ok(const char *id);

/* What one operation needs beyond the message, and what it reports. */
struct queue_admin {
    const char *queue_dir;
    int long_ids;		/* requeue: the new ID in the long form */
    /* Set by queue_admin_one() for QADMIN_REQUEUE: */
    char new_id[32];		/* the ID of the requeued message ("" when nothing was left) */
    struct strbuf sender;	/* its sender */
};

/*
 * queue_admin_one - apply op to message id, found in the first of
 * queues (NULL-terminated) that holds it as a complete message (mode
 * 0700: one still being written is left alone). Queues the operation
 * does not apply to are skipped (hold for QADMIN_HOLD, all but hold for
 * QADMIN_RELEASE). Returns 1 when done, 0 when no such message was
 * found, -1 with the reason in *err.
 *
 * Requeue writes the message again as a new one in incoming/ (a new
 * ID, the same arrival time, content and attributes but the hold
 * request; the recipients not yet done, without their past attempts),
 * on stable storage before the old file is removed: a crash in between
 * delivers it twice, never not at all.
 */
int queue_admin_one(struct queue_admin *qa, enum queue_admin_op op, const char *const *queues,
		    const char *id, struct strbuf *err);

/*
 * queue_admin_ids - the names of the messages in one queue, sorted (a
 * new NULL-terminated array; queue_admin_ids_free() frees it), or NULL
 * with the reason in *err when the directory cannot be read.
 */
char **queue_admin_ids(const char *queue_dir, const char *queue, struct strbuf *err);
void queue_admin_ids_free(char **ids);

#endif
