/* queue_admin - delete, hold, release, requeue under the queue manager's lock (see queue_admin.h) */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "queue_admin.h"
#include "queue_file.h"
#include "queue_id.h"
#include "xalloc.h"

const char *const queue_admin_queues[] = {
    QUEUE_HOLD, QUEUE_INCOMING, QUEUE_ACTIVE, QUEUE_DEFERRED, NULL,
};

int queue_admin_queue_ok(const char *name)
{
    for (size_t i = 0; queue_admin_queues[i]; i++)
	if (strcmp(name, queue_admin_queues[i]) == 0)
	    return 1;
    return 0;
}

int queue_admin_id_ok(const char *id)
{
    size_t n = strlen(id);

    if (n == 0 || n > 255)
	return 0;
    for (const char *cp = id; *cp; cp++)
	if (!isalnum((unsigned char) *cp) && *cp != '_')
	    return 0;
    return 1;
}

/* applies - does op take messages from this queue? */
static int applies(enum queue_admin_op op, const char *queue)
{
    int hold = strcmp(queue, QUEUE_HOLD) == 0;

    return op == QADMIN_HOLD ? !hold : op == QADMIN_RELEASE ? hold : 1;
}

/*
 * requeue - write the message at path again in incoming/ as a new one
 * (see queue_admin.h); 0 or -1 with *err. The caller holds the lock and
 * removes the old file afterwards.
 */
static int requeue(struct queue_admin *qa, const char *path, struct strbuf *err)
{
    struct queue_msg m;
    int rc = -1;

    qa->new_id[0] = 0;
    sb_reset(&qa->sender);
    if (queue_msg_read(&m, path, err) != 0)
	return -1;
    sb_set(&qa->sender, m.sender);
    size_t left = 0;
    for (size_t i = 0; i < m.nrcpts; i++)
	left += m.rcpts[i].status != QRCPT_SENT && m.rcpts[i].status != QRCPT_BOUNCED;
    if (left == 0) {
	/* Every recipient is done: nothing to deliver again. */
	queue_msg_close(&m);
	return 0;
    }
    struct queue_writer *w = queue_writer_open(qa->queue_dir, qa->long_ids, err);
    if (w != NULL) {
	queue_writer_time(w, m.arrival, m.arrival_usec);
	queue_writer_sender(w, m.sender);
	/* The hold request stays behind, as Postfix's requeue forgets smtpd's HOLD. */
	for (size_t i = 0; i < m.nattrs; i++)
	    if (strcmp(m.attrs[i].name, "hold") != 0)
		queue_writer_attr(w, m.attrs[i].name, m.attrs[i].value);
	for (size_t i = 0; i < m.nrcpts; i++) {
	    const struct queue_rcpt *r = &m.rcpts[i];
	    if (r->status != QRCPT_SENT && r->status != QRCPT_BOUNCED)
		queue_writer_rcpt(w, r->address, r->orig, r->orcpt, r->notify);
	}
	queue_writer_content(w, m.content, m.content_len);
	snprintf(qa->new_id, sizeof(qa->new_id), "%s", queue_writer_id(w));
	if (queue_writer_finish(w, QW_SYNC, NULL, err) == 0)
	    rc = 0;
	else
	    qa->new_id[0] = 0;
    }
    queue_msg_close(&m);
    return rc;
}

/*
 * apply - op on the locked message fd, queue/id; 1 done, 0 the name no
 * longer names it (it moved meanwhile: look again), -1 error.
 */
static int apply(struct queue_admin *qa, enum queue_admin_op op, const char *queue,
		 const char *id, int fd, struct strbuf *err)
{
    char *path = xconcat(qa->queue_dir, "/", queue, "/", id, (char *) NULL);
    const char *to = op == QADMIN_HOLD ? QUEUE_HOLD : QUEUE_DEFERRED;
    char *dest = xconcat(qa->queue_dir, "/", to, "/", id, (char *) NULL);
    struct stat held, named;
    int rc = 1;

    /* Under the lock, the name must still be this file (not moved, not removed). */
    if (fstat(fd, &held) < 0 || stat(path, &named) < 0 || held.st_ino != named.st_ino
	|| held.st_dev != named.st_dev) {
	rc = 0;
    } else if (op == QADMIN_DELETE) {
	if (unlink(path) < 0) {
	    sb_printf(err, "remove file %s: %s", path, strerror(errno));
	    rc = -1;
	}
    } else if (op == QADMIN_REQUEUE) {
	if (requeue(qa, path, err) < 0)
	    rc = -1;
	else if (unlink(path) < 0) {
	    /* The new copy is queued; this one would be delivered again. */
	    sb_printf(err, "remove file %s after requeueing it as %s: %s", path, qa->new_id,
		      strerror(errno));
	    rc = -1;
	}
    } else if (rename(path, dest) < 0) {
	sb_printf(err, "rename file %s as %s: %s", path, dest, strerror(errno));
	rc = -1;
    }
    free(path);
    free(dest);
    return rc;
}

int queue_admin_one(struct queue_admin *qa, enum queue_admin_op op, const char *const *queues,
		    const char *id, struct strbuf *err)
{
    /* A message moves at most twice while we look (deferred, active, deferred). */
    for (int pass = 0; pass < 4; pass++) {
	int moved = 0;
	for (size_t i = 0; queues[i] && !moved; i++) {
	    if (!applies(op, queues[i]))
		continue;
	    char *path = xconcat(qa->queue_dir, "/", queues[i], "/", id, (char *) NULL);
	    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	    int saved = errno;
	    struct stat st;
	    if (fd < 0) {
		free(path);
		if (saved == ENOENT)
		    continue;
		sb_printf(err, "open %s/%s: %s", queues[i], id, strerror(saved));
		return -1;
	    }
	    free(path);
	    /* Waits while the queue manager delivers it (qmgr.c holds the lock). */
	    int rc = flock(fd, LOCK_EX) < 0 ? -1 : 0;
	    if (rc < 0)
		sb_printf(err, "lock %s/%s: %s", queues[i], id, strerror(errno));
	    else if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & S_IRWXU) != 0700)
		rc = 0;		/* not a complete message: being written, or not ours */
	    else if ((rc = apply(qa, op, queues[i], id, fd, err)) == 0)
		moved = 1;
	    close(fd);
	    if (rc != 0)
		return rc;
	}
	if (!moved)
	    return 0;
    }
    return 0;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

char **queue_admin_ids(const char *queue_dir, const char *queue, struct strbuf *err)
{
    char *dir = xconcat(queue_dir, "/", queue, (char *) NULL);
    DIR *d = opendir(dir);
    char **ids = xcalloc(1, sizeof(*ids));
    size_t n = 0;

    if (d == NULL) {
	int saved = errno;
	free(dir);
	if (saved == ENOENT)
	    return ids;		/* a queue pfcd has not made yet is empty */
	free(ids);
	sb_printf(err, "open directory %s/%s: %s", queue_dir, queue, strerror(saved));
	errno = saved;
	return NULL;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
	if (!queue_id_ok(de->d_name))
	    continue;
	ids = xrealloc(ids, (n + 2) * sizeof(*ids));
	ids[n++] = xstrdup(de->d_name);
	ids[n] = NULL;
    }
    closedir(d);
    free(dir);
    qsort(ids, n, sizeof(*ids), by_name);
    return ids;
}

void queue_admin_ids_free(char **ids)
{
    if (ids == NULL)
	return;
    for (size_t i = 0; ids[i]; i++)
	free(ids[i]);
    free(ids);
}
