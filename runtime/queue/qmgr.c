/* qmgr - the queue manager: incoming to delivered, deferred or returned (see qmgr.h) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bounce.h"
#include "pfcd_log.h"
#include "policy.h"
#include "qmgr.h"
#include "qmgr_local.h"
#include "qmgr_trigger.h"
#include "queue_file.h"
#include "queue_id.h"
#include "resolve.h"
#include "service_signal.h"
#include "session.h"
#include "strmap.h"
#include "xalloc.h"

static volatile sig_atomic_t got_flush;

static void on_usr1(int sig)
{
    (void) sig;
    got_flush = 1;
}

static const char *const queue_dirs[] = {
    QUEUE_INCOMING, QUEUE_ACTIVE, QUEUE_DEFERRED, QUEUE_HOLD, QUEUE_CORRUPT,
};

int qmgr_create_dirs(const char *queue_dir, uid_t uid, gid_t gid, struct strbuf *err)
{
    /* queue_directory and its parents, as root owns them (0755). */
    char *p = xstrdup(queue_dir);
    for (char *cp = p + 1; *cp; cp++) {
	if (*cp != '/')
	    continue;
	*cp = 0;
	mkdir(p, 0755);
	*cp = '/';
    }
    free(p);
    for (size_t i = 0; i <= sizeof(queue_dirs) / sizeof(queue_dirs[0]); i++) {
	char *path = i == 0 ? xstrdup(queue_dir)
	    : xconcat(queue_dir, "/", queue_dirs[i - 1], (char *) NULL);
	if (mkdir(path, i == 0 ? 0755 : 0700) < 0 && errno != EEXIST) {
	    sb_printf(err, "create directory %s: %s", path, strerror(errno));
	    free(path);
	    return -1;
	}
	if (i > 0 && chown(path, uid, gid) < 0) {
	    sb_printf(err, "chown %s: %s", path, strerror(errno));
	    free(path);
	    return -1;
	}
	free(path);
    }
    return 0;
}

/* ------------------------------------------------------------ state */

/*
 * Deliveries to local(8) services run in delivery processes, children
 * of the queue manager, as Postfix's qmgr hands them to local(8)
 * processes: at most the service's process limit (master.cf maxproc,
 * default_process_limit) at once, at most
 * TRANSPORT_destination_concurrency_limit of them for one destination
 * (the recipient: local(8)'s recipient limit is 1). A process lives on
 * from batch to batch, as a local(8) process serves request after
 * request: a batch is its request, and it serves at most max_use of them
 * (local(8) counts qmgr's requests, not their recipients), each of at
 * most max_use recipients; it goes after max_idle without work or, once
 * its batch is done, when the image was replaced (it keeps the one it
 * was started with). A new process costs more than the deliveries of a
 * small batch (a fork, its exit, and some hundreds of page faults for
 * the pages it writes and the code and image pages it maps anew): one
 * per batch, or per max_use recipients, was most of delivery's CPU
 * time in the bench (bench/pfcd.sh). A batch is
 * sent on the process's job pipe, one line per recipient (batch_job);
 * the process delivers it (Maildir writes of one user synced together:
 * qmgr_local.h), records each outcome in the queue file, and says so on
 * its report pipe, one byte per recipient. A message whose last waiting
 * recipients are all in one batch is finished by that delivery process
 * (notices, removed or deferred: finish()), byte 'f', so that the queue
 * manager, which all deliveries wait on, neither opens nor reads it
 * again; any other message is finished here once its every recipient
 * has an outcome.
 *
 * The lock pfc queue honours (pfc-queue(5)) is the queue manager's: it
 * takes flock(LOCK_EX) when it reads a message and keeps that open file
 * (inflight.lock_fd) until the file has left active/, through every
 * delivery process that works on it. A delivery process opens the file
 * anew (its own open file, no lock of its own: it works under the queue
 * manager's) and closes the lock descriptors it inherits at fork, so
 * that a lock ends when the queue manager lets it go, never later.
 */
struct inflight {		/* a message in active/ with deliveries out */
    char id[32];
    int lock_fd;		/* its file, flock()ed from activate() until it leaves active/ */
    struct timeval active;	/* when it entered active/ */
    size_t pending;		/* its recipients not yet reported */
    struct inflight *prev, *next;
};

struct job {			/* one recipient of one message */
    struct inflight *msg;
    size_t rcpt;
    struct job *next;
};

struct dest {			/* a local(8) service and one recipient */
    char *key;			/* "SERVICE\nRECIPIENT" */
    char *service;
    struct job *head, *tail;
    int busy;			/* delivery processes now */
};

struct worker {			/* a delivery process of one local(8) service */
    pid_t pid;
    char *service;
    int fd;			/* its reports: one byte per recipient done ('f': and its message finished) */
    int job_fd;			/* its batches; -1: retired, it exits once its batch is done */
    unsigned generation;	/* the image it was started with (qmgr.generation) */
    long used;			/* batches handed to it so far, at most max_use */
    time_t idle_since;		/* when its last batch was done */
    struct dest *dest;		/* whose batch it delivers now, or NULL: idle */
    struct job **jobs;
    size_t njobs, reported;
};

struct qmgr {
    const struct qmgr_config *cfg;
    struct image *img;
    struct policy main;
    struct session s;		/* for address resolution */
    long run_delay, min_backoff, max_backoff, lifetime, bounce_lifetime;
    long active_limit, max_use, max_idle;
    unsigned generation;	/* counts image reloads: a delivery process keeps its image */
    int poll_ms;		/* how long the loop may sleep: 1 s, less while a batch waits */
    time_t next_deferred_scan;
    struct inflight *inflight;	/* the messages out for delivery */
    size_t ninflight;
    struct strmap dests;	/* key -> struct dest */
    struct worker *workers;
    size_t nworkers, capworkers;
    int trigger_fd;		/* public/qmgr (qmgr_trigger.h), or -1 */
    long fd_room;		/* messages in active/ the open files limit leaves room for */
    struct rlimit nofile;	/* RLIMIT_NOFILE as pfcd got it: the delivery processes' */
};

/*
 * active_room - how many messages may be in active/ at once:
 * qmgr_message_active_limit, and no more than the open files limit
 * leaves room for, since each keeps its locked file open (lock_fd).
 */
static long active_room(const struct qmgr *q)
{
    return q->active_limit < q->fd_room ? q->active_limit : q->fd_room;
}

/*
 * files_init - raise the queue manager's open files limit to its hard
 * limit (the locks of qmgr_message_active_limit messages), and say how
 * many messages that leaves room for: the rest is for the delivery
 * processes' pipes, the image, the maps and the log.
 */
static void files_init(struct qmgr *q)
{
    struct rlimit rl;

    if (getrlimit(RLIMIT_NOFILE, &rl) < 0) {
	rl.rlim_cur = rl.rlim_max = 1024;
    }
    q->nofile = rl;
    if (rl.rlim_cur < rl.rlim_max) {
	struct rlimit up = { rl.rlim_max, rl.rlim_max };
	if (setrlimit(RLIMIT_NOFILE, &up) == 0)
	    rl = up;
    }
    long n = rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur > 1L << 20 ? 1L << 20 : (long) rl.rlim_cur;
    q->fd_room = n > 2048 ? n - 1024 : n / 2;
}

static void qmgr_load(struct qmgr *q, struct image *img)
{
    q->img = img;
    policy_open_main(&q->main, img);
    session_init(&q->s, &q->main);
    q->run_delay = policy_time(&q->main, "queue_run_delay", 's', 300);
    q->min_backoff = policy_time(&q->main, "minimal_backoff_time", 's', 300);
    q->max_backoff = policy_time(&q->main, "maximal_backoff_time", 's', 4000);
    q->lifetime = policy_time(&q->main, "maximal_queue_lifetime", 'd', 5 * 86400);
    q->bounce_lifetime = policy_time(&q->main, "bounce_queue_lifetime", 'd', 5 * 86400);
    q->active_limit = policy_int(&q->main, "qmgr_message_active_limit", 20000);
    q->max_use = policy_int(&q->main, "max_use", 100);
    if (q->max_use < 1)
	q->max_use = 1;
    q->max_idle = policy_time(&q->main, "max_idle", 's', 100);
}

static void qmgr_unload(struct qmgr *q)
{
    qmgr_local_release(q->img);
    session_free(&q->s);
    policy_close(&q->main);
    image_close(q->img);
    q->img = NULL;
}

static char *qpath(const struct qmgr *q, const char *queue, const char *id)
{
    return xconcat(q->cfg->queue_dir, "/", queue, "/", id, (char *) NULL);
}

/* move - a queue file from one queue to another (the rename is the commit) */
static int move(const struct qmgr *q, const char *from, const char *to, const char *id)
{
    char *a = qpath(q, from, id), *b = qpath(q, to, id);
    int rc = rename(a, b);

    if (rc < 0)
	pfcd_log("qmgr", "warning: rename %s to %s: %m", a, b);
    free(a);
    free(b);
    return rc;
}

/* ------------------------------------------------------------ logging */

static double since(const struct timeval *a, const struct timeval *b)
{
    return (double) (b->tv_sec - a->tv_sec) + (double) (b->tv_usec - a->tv_usec) / 1e6;
}

/*
 * log_delivery - "ID: to=<...>, orig_to=<...>, relay=..., delay=..., delays=a/b/c/d,
 * dsn=..., status=... (reason)" from the agent's program.
 */
static void log_delivery(const char *program, const struct queue_msg *m,
			 const struct queue_rcpt *r, const struct delivery_status *st,
			 const struct timeval *active, const struct timeval *start,
			 const char *status_word)
{
    struct timeval arrival = { m->arrival, m->arrival_usec }, end;
    struct strbuf line = STRBUF_INIT;

    gettimeofday(&end, NULL);
    sb_printf(&line, "%s: to=<%s>, ", m->id, r->address);
    if (*r->orig && strcmp(r->orig, r->address) != 0)
	sb_printf(&line, "orig_to=<%s>, ", r->orig);
    sb_printf(&line, "relay=%s, delay=", st->relay);
    qmgr_delay(&line, since(&arrival, &end));
    sb_adds(&line, ", delays=");
    qmgr_delay(&line, since(&arrival, active));
    sb_addch(&line, '/');
    qmgr_delay(&line, since(active, start));
    sb_adds(&line, "/0/");
    qmgr_delay(&line, since(start, &end));
    sb_printf(&line, ", dsn=%s, status=%s (%s)", st->dsn, status_word, sb_str(&st->reason));
    pfcd_log(program, "%s", sb_str(&line));
    sb_free(&line);
}

/* ------------------------------------------------------------ delivery */

/* service_command - the command (first word) of master.cf's unix service name, or NULL */
static const char *service_command(const struct image *img, const char *name, char *buf,
				   size_t size)
{
    for (uint32_t i = 0; i < img->nservices; i++) {
	const struct img_service *sv = &img->services[i];
	if (strcmp(image_str(img, sv->name), name) == 0
	    && strcmp(image_str(img, sv->type), "unix") == 0) {
	    const char *cmd = image_str(img, sv->command);
	    snprintf(buf, size, "%.*s", (int) strcspn(cmd, " \t"), cmd);
	    return buf;
	}
    }
    return NULL;
}

/* status_text - error(8)'s text: a leading X.Y.Z is the DSN code, else def */
static void status_text(const char *text, const char *def, struct delivery_status *st)
{
    const char *cp = text;

    if ((cp[0] == '4' || cp[0] == '5') && cp[1] == '.') {
	size_t n = strspn(cp, "0123456789.");
	if (n >= 5 && n < sizeof(st->dsn) && (cp[n] == ' ' || cp[n] == 0)) {
	    snprintf(st->dsn, sizeof(st->dsn), "%.*s", (int) n, cp);
	    cp += n;
	    cp += strspn(cp, " ");
	    sb_set(&st->reason, cp);
	    return;
	}
    }
    snprintf(st->dsn, sizeof(st->dsn), "%s", def);
    sb_set(&st->reason, text);
}

/*
 * deliver_one - one recipient to its agent here (error, discard, and
 * what pfcd does not deliver); the outcome in *st, the agent's name in
 * program. A local(8) service is not delivered here: returns 1 with its
 * name in service (a delivery process takes it), else 0.
 */
static int deliver_one(struct qmgr *q, const struct queue_msg *m, size_t i,
		       struct delivery_status *st, char *program, size_t psize,
		       char *service, size_t ssize)
{
    struct resolve_reply rr;
    char cmdbuf[64];
    int local = 0;

    snprintf(program, psize, "qmgr");
    snprintf(st->relay, sizeof(st->relay), "none");
    resolve_reply_init(&rr);
    resolve_query(&q->s, m->sender, m->rcpts[i].address, &rr);
    const char *transport = sb_str(&rr.transport), *nexthop = sb_str(&rr.nexthop);
    const char *cmd = NULL;
    if (rr.flags & RESOLVE_FLAG_FAIL) {
	st->status = QRCPT_DEFERRED;
	status_text("address resolver failure", "4.3.0", st);
    } else if ((cmd = service_command(q->img, transport, cmdbuf, sizeof(cmdbuf))) == NULL) {
	st->status = QRCPT_DEFERRED;
	status_text("mail transport unavailable", "4.3.0", st);
	pfcd_log("qmgr", "warning: connect to transport private/%s: No such file or directory",
		 transport);
    } else if (strcmp(cmd, "error") == 0) {
	/* error(8): the next hop is the text; "retry" services defer (SPEC-runtime 3.7). */
	snprintf(program, psize, "%s", transport);
	st->status = strcmp(transport, "retry") == 0 ? QRCPT_DEFERRED : QRCPT_BOUNCED;
	status_text(nexthop, st->status == QRCPT_BOUNCED ? "5.0.0" : "4.0.0", st);
    } else if (strcmp(cmd, "discard") == 0) {
	snprintf(program, psize, "discard");
	st->status = QRCPT_SENT;
	status_text(*nexthop ? nexthop : "discarded", "2.0.0", st);
    } else if (strcmp(cmd, "local") == 0) {
	snprintf(service, ssize, "%s", transport);
	local = 1;
    } else {
	/* smtp, lmtp, pipe, virtual: the next issue's. Kept, not lost, not bounced. */
	st->status = QRCPT_DEFERRED;
	sb_reset(&st->reason);
	snprintf(st->dsn, sizeof(st->dsn), "4.3.0");
	sb_printf(&st->reason, "delivery via %s(8) (transport %s) is not supported by this pfcd",
		  cmd, transport);
    }
    resolve_reply_free(&rr);
    return local;
}

/* ------------------------------------------------------------ messages */

/*
 * mark - record st for recipient i of m (with what its notices need:
 * queue_msg_report()), and log it unless its agent did
 */
static void mark(const struct queue_msg *cm, size_t i, struct delivery_status *st,
		 const char *program, const struct timeval *active, const struct timeval *start)
{
    struct queue_msg *m = (struct queue_msg *) cm;
    const char *word = st->status == QRCPT_SENT ? "sent"
	: st->status == QRCPT_BOUNCED ? "bounced" : "deferred";

    if (!st->logged)
	log_delivery(program, m, &m->rcpts[i], st, active, start, word);
    if (queue_msg_report(m, i, st) < 0)
	pfcd_log("qmgr", "warning: %s: update queue file: %m", m->id);
}

/* finish - every recipient of m has an outcome: notices, then removed or deferred */
static void finish(struct qmgr *q, struct queue_msg *m)
{
    int deferred = 0;

    for (size_t i = 0; i < m->nrcpts; i++)
	deferred |= m->rcpts[i].status != QRCPT_SENT && m->rcpts[i].status != QRCPT_BOUNCED;
    time_t now = time(NULL);
    long age = (long) (now - m->arrival);
    long lifetime = *m->sender ? q->lifetime : q->bounce_lifetime;
    if (deferred && age >= lifetime) {
	/*
	 * Too old: what is still deferred is returned, with one log line
	 * for the message, as qmgr logs it before it flushes the defer log
	 * as a bounce (its recipients' lines were logged at their attempts).
	 */
	pfcd_log("qmgr", "%s: from=<%s>, status=expired, returned to sender", m->id, m->sender);
	for (size_t i = 0; i < m->nrcpts; i++) {
	    struct queue_rcpt *r = &m->rcpts[i];
	    if (r->status == QRCPT_SENT || r->status == QRCPT_BOUNCED)
		continue;
	    /* The report says what the defer log said: its status (4.X.Y) and diagnostic. */
	    struct delivery_status st = { .status = QRCPT_BOUNCED, .reason = STRBUF_INIT };
	    snprintf(st.dsn, sizeof(st.dsn), "%s", *r->dsn ? r->dsn : "4.4.7");
	    sb_set(&st.reason, r->reason);
	    snprintf(st.action, sizeof(st.action), "%s", r->action);
	    snprintf(st.relay, sizeof(st.relay), "%s", r->relay);
	    snprintf(st.diag_type, sizeof(st.diag_type), "%s", r->diag_type);
	    snprintf(st.diag_text, sizeof(st.diag_text), "%s", r->diag_text);
	    if (queue_msg_report(m, i, &st) < 0)
		pfcd_log("qmgr", "warning: %s: update queue file: %m", m->id);
	    sb_free(&st.reason);
	}
	deferred = 0;
    }
    /* The notices this attempt owes (bounce(8)'s flush as the message leaves active). */
    bounce_flush(&q->main, q->cfg->queue_dir, m);
    if (!deferred) {
	char *apath = qpath(q, QUEUE_ACTIVE, m->id);
	if (unlink(apath) == 0)
	    pfcd_log("qmgr", "%s: removed", m->id);
	free(apath);
    } else {
	/* What was delivered stays delivered: the marks reach the disk before the file waits. */
	if (queue_msg_sync(m) < 0)
	    pfcd_log("qmgr", "warning: %s: update queue file: %m", m->id);
	/* Next try: the message's age, between the backoff bounds (qmgr_active.c). */
	long backoff = age < q->min_backoff ? q->min_backoff
	    : age > q->max_backoff ? q->max_backoff : age;
	char *apath = qpath(q, QUEUE_ACTIVE, m->id);
	struct timeval tv[2] = { {now, 0}, {now + backoff, 0} };
	if (utimes(apath, tv) < 0)
	    pfcd_log("qmgr", "warning: %s: set retry time: %m", m->id);
	free(apath);
	move(q, QUEUE_ACTIVE, QUEUE_DEFERRED, m->id);
    }
}

/* open_active - message id in active/; 0, or -1 (logged) */
static int open_active(struct qmgr *q, const char *id, struct queue_msg *m)
{
    struct strbuf err = STRBUF_INIT;
    char *path = qpath(q, QUEUE_ACTIVE, id);
    int rc = queue_msg_open(m, path, &err);

    if (rc < 0)
	pfcd_log("qmgr", "warning: %s: %s", id, sb_str(&err));
    free(path);
    sb_free(&err);
    return rc < 0 ? -1 : 0;
}

/* inflight_free - f is done with (its file left active/, or pfcd stops): its lock goes */
static void inflight_free(struct qmgr *q, struct inflight *f)
{
    close(f->lock_fd);
    if (f->prev)
	f->prev->next = f->next;
    else
	q->inflight = f->next;
    if (f->next)
	f->next->prev = f->prev;
    q->ninflight--;
    free(f);
}

/* inflight_done - a message's last delivery was reported: finish it */
static void inflight_done(struct qmgr *q, struct inflight *f)
{
    struct queue_msg m;

    if (open_active(q, f->id, &m) == 0) {
	finish(q, &m);
	queue_msg_close(&m);
    }
    inflight_free(q, f);
}

/* add_job - recipient i of message f to its destination's waiting list */
static void add_job(struct qmgr *q, struct inflight *f, size_t i, const char *service,
		    const char *rcpt)
{
    char *key = xconcat(service, "\n", rcpt, (char *) NULL);
    struct dest *d = strmap_get(&q->dests, key);

    if (d == NULL) {
	d = xcalloc(1, sizeof(*d));
	d->key = key;
	d->service = xstrdup(service);
	strmap_put(&q->dests, key, d);
    } else {
	free(key);
    }
    struct job *j = xcalloc(1, sizeof(*j));
    j->msg = f;
    j->rcpt = i;
    if (d->tail)
	d->tail->next = j;
    else
	d->head = j;
    d->tail = j;
    f->pending++;
}

/*
 * activate - a message from queue `from` (incoming, deferred, or active
 * after a crash) into active/: the recipients of error, discard and the
 * transports pfcd does not deliver have their outcome now; those of
 * local(8) wait for a delivery process.
 */
static void activate(struct qmgr *q, const char *from, const char *id)
{
    struct queue_msg m;
    struct strbuf err = STRBUF_INIT;

    char *path = qpath(q, from, id);
    int rc = queue_msg_open(&m, path, &err);
    if (rc < 0) {
	/*
	 * A file still being written (0600 when opened) is not ours yet: it
	 * is looked at again when cleanup finishes it. Judged by the mode
	 * seen at open, never by a second stat(): cleanup may finish it in
	 * between, and a finished message is not corrupt. A damaged one is
	 * kept aside.
	 */
	if (rc == -1) {
	    pfcd_log("qmgr", "warning: %s: %s: moved to %s", id, sb_str(&err), QUEUE_CORRUPT);
	    move(q, from, QUEUE_CORRUPT, id);
	}
	free(path);
	sb_free(&err);
	return;
    }
    free(path);
    sb_free(&err);
    /*
     * pfc queue moves or removes a message only while it holds this lock
     * (pfc-queue(5)), so a message is never taken from under a delivery:
     * held from here until the file leaves active/, by lock_fd while
     * delivery processes work on it. When pfc queue moved it first, the
     * rename below fails and the message is not ours.
     */
    flock(m.fd, LOCK_EX);
    const char *hold = queue_msg_attr(&m, "hold");
    if (hold && strcmp(from, QUEUE_INCOMING) == 0) {
	move(q, from, QUEUE_HOLD, id);
	queue_msg_close(&m);
	return;
    }
    /* The same open file, so the same lock, kept after m is closed. */
    int lock_fd = fcntl(m.fd, F_DUPFD_CLOEXEC, 0);
    if (lock_fd < 0) {
	pfcd_log("qmgr", "warning: %s: %m: left in %s for later", id, from);
	queue_msg_close(&m);
	return;
    }
    if (strcmp(from, QUEUE_ACTIVE) != 0 && move(q, from, QUEUE_ACTIVE, id) < 0) {
	close(lock_fd);
	queue_msg_close(&m);
	return;
    }
    struct inflight *f = xcalloc(1, sizeof(*f));
    f->lock_fd = lock_fd;
    snprintf(f->id, sizeof(f->id), "%s", m.id);
    gettimeofday(&f->active, NULL);
    f->next = q->inflight;
    if (q->inflight)
	q->inflight->prev = f;
    q->inflight = f;
    q->ninflight++;
    pfcd_log("qmgr", "%s: from=<%s>, size=%ld, nrcpt=%zu (queue active)", m.id, m.sender,
	     m.size, m.nrcpts);

    for (size_t i = 0; i < m.nrcpts; i++) {
	struct queue_rcpt *r = &m.rcpts[i];
	if (r->status == QRCPT_SENT || r->status == QRCPT_BOUNCED)
	    continue;
	struct delivery_status st;
	char program[64], service[64];
	struct timeval start;
	memset(&st, 0, sizeof(st));
	st.reason = (struct strbuf) STRBUF_INIT;
	gettimeofday(&start, NULL);
	if (deliver_one(q, &m, i, &st, program, sizeof(program), service, sizeof(service)))
	    add_job(q, f, i, service, r->address);
	else
	    mark(&m, i, &st, program, &f->active, &start);
	sb_free(&st.reason);
    }
    if (f->pending == 0) {
	/* Nothing waits for a delivery process: done now. */
	finish(q, &m);
	inflight_free(q, f);
    }
    queue_msg_close(&m);
}

/*
 * scan - the messages of a queue; deferred ones only when due (or all:
 * flush). Returns 1 when it stopped at qmgr_message_active_limit (the
 * rest waits for room).
 */
static int scan(struct qmgr *q, const char *queue, int due_only)
{
    char *dir = xconcat(q->cfg->queue_dir, "/", queue, (char *) NULL);
    DIR *d = opendir(dir);
    char **ids = NULL;
    size_t n = 0, cap = 0;
    time_t now = time(NULL);
    int full = 0;

    if (d == NULL) {
	free(dir);
	return 0;
    }
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
	if (!queue_id_ok(de->d_name))
	    continue;
	if (due_only) {
	    struct stat st;
	    char *p = xconcat(dir, "/", de->d_name, (char *) NULL);
	    int ok = stat(p, &st) == 0 && st.st_mtime <= now;
	    free(p);
	    if (!ok)
		continue;
	}
	if (n == cap) {
	    cap = cap ? 2 * cap : 64;
	    ids = xrealloc(ids, cap * sizeof(*ids));
	}
	ids[n++] = xstrdup(de->d_name);
    }
    closedir(d);
    free(dir);
    for (size_t i = 0; i < n; i++) {
	if (service_stopping() || (long) q->ninflight >= active_room(q))
	    full = !service_stopping();
	else
	    activate(q, queue, ids[i]);
	free(ids[i]);
    }
    free(ids);
    return full;
}

/* ------------------------------------------------------------ delivery processes */

/* service_limit - the process limit of master.cf service name (maxproc, or default_process_limit) */
static long service_limit(const struct qmgr *q, const char *name)
{
    long limit = policy_int(&q->main, "default_process_limit", 100);

    for (uint32_t i = 0; i < q->img->nservices; i++) {
	const struct img_service *sv = &q->img->services[i];
	if (strcmp(image_str(q->img, sv->name), name) == 0
	    && strcmp(image_str(q->img, sv->type), "unix") == 0) {
	    const char *mp = image_str(q->img, sv->maxproc);
	    if (strcmp(mp, "-") != 0)
		limit = atol(mp);
	}
    }
    return limit > 0 ? limit : 1;
}

/* dest_limit - SERVICE_destination_concurrency_limit, as qmgr reads it */
static long dest_limit(const struct qmgr *q, const char *service)
{
    char *name = xconcat(service, "_destination_concurrency_limit", (char *) NULL);
    long limit = policy_int(&q->main, name,
			    policy_int(&q->main, "default_destination_concurrency_limit", 20));

    free(name);
    return limit > 0 ? limit : 1;
}

static size_t workers_of(const struct qmgr *q, const char *service)
{
    size_t n = 0;

    for (size_t i = 0; i < q->nworkers; i++)
	n += strcmp(q->workers[i].service, service) == 0;
    return n;
}

/* ------------------------------------------------------------ in a delivery process */

struct batch_job {		/* one line of a batch: "ID SEC USEC RCPT LAST" */
    char id[32];
    struct timeval active;	/* when its message entered active/ */
    size_t rcpt;
    int last;			/* its message's last waiting recipient: this process finishes it */
};

/*
 * read_batch - the next batch on fd (its lines, then an empty line) into
 * *jobs: how many, or 0 when the queue manager closed the pipe (retired
 * this process, stopped, or died) or wrote what is not a batch
 */
static size_t read_batch(int fd, struct strbuf *in, struct batch_job **jobs)
{
    char *end, buf[4096];

    while ((end = strstr(sb_str(in), "\n\n")) == NULL) {
	ssize_t r = read(fd, buf, sizeof(buf));
	if (r < 0 && errno == EINTR)
	    continue;
	if (r <= 0)
	    return 0;
	sb_addn(in, buf, (size_t) r);
    }
    size_t n = 0, cap = 0;
    for (char *line = in->s; line <= end; line = strchr(line, '\n') + 1) {
	struct batch_job j = { 0 };
	long sec, usec;
	unsigned long rcpt;
	int last, used = 0;
	if (sscanf(line, "%31s %ld %ld %lu %d%n", j.id, &sec, &usec, &rcpt, &last, &used) != 5
	    || line[used] != '\n') {
	    pfcd_log("local", "fatal: unreadable request from the queue manager");
	    free(*jobs);
	    *jobs = NULL;
	    return 0;
	}
	j.active = (struct timeval) { sec, usec };
	j.rcpt = rcpt;
	j.last = last;
	if (n == cap) {
	    cap = cap ? 2 * cap : 16;
	    *jobs = xrealloc(*jobs, cap * sizeof(**jobs));
	}
	(*jobs)[n++] = j;
    }
    /* What follows the batch (nothing: the queue manager waits for its reports) stays. */
    size_t used = (size_t) (end + 2 - in->s);
    memmove(in->s, in->s + used, in->len - used + 1);
    in->len -= used;
    return n;
}

/* deliver_batch - each recipient of the batch delivered and its outcome recorded, then reported */
static void deliver_batch(struct qmgr *q, const char *service, int report_fd,
			  const struct batch_job *jobs, size_t n)
{
    size_t k = 0;
    struct queue_msg *msgs = xcalloc(n, sizeof(*msgs));
    struct queue_msg **open = xcalloc(n, sizeof(*open));
    size_t *rcpts = xcalloc(n, sizeof(*rcpts));
    struct delivery_status *sts = xcalloc(n, sizeof(*sts));
    struct timeval start;

    gettimeofday(&start, NULL);
    for (size_t i = 0; i < n; i++)
	if (open_active(q, jobs[i].id, &msgs[i]) == 0) {
	    open[k] = &msgs[i];
	    rcpts[k++] = jobs[i].rcpt;
	}
    for (size_t i = 0; i < k; i++)
	sts[i].reason = (struct strbuf) STRBUF_INIT;
    if (k > 0)
	qmgr_local_deliver(q->img, q->cfg->queue_dir, service, open, rcpts, k, sts);
    k = 0;
    char *done = xmalloc(n);
    memset(done, 'd', n);
    for (size_t i = 0; i < n; i++) {
	if (msgs[i].map == NULL)
	    continue;
	mark(&msgs[i], jobs[i].rcpt, &sts[k], "local", &jobs[i].active, &start);
	sb_free(&sts[k].expanded);
	sb_free(&sts[k++].reason);
    }
    for (size_t i = 0; i < n; i++) {
	if (msgs[i].map == NULL)
	    continue;
	if (jobs[i].last) {
	    /* Its other recipients' marks went through other handles of this batch: read anew. */
	    struct queue_msg again;
	    int alone = 1;
	    for (size_t j = 0; j < n; j++)
		alone &= j == i || strcmp(jobs[j].id, jobs[i].id) != 0;
	    if (alone) {
		finish(q, &msgs[i]);
		done[i] = 'f';
	    } else if (open_active(q, jobs[i].id, &again) == 0) {
		finish(q, &again);
		queue_msg_close(&again);
		done[i] = 'f';
	    }
	}
	queue_msg_close(&msgs[i]);
    }
    /* One byte per recipient, in the batch's order: its outcome is in the queue file. */
    for (size_t off = 0; off < n;) {
	ssize_t r = write(report_fd, done + off, n - off);
	if (r < 0 && errno == EINTR)
	    continue;
	if (r <= 0)
	    break;
	off += (size_t) r;
    }
    free(done);
    free(msgs);
    free(open);
    free(rcpts);
    free(sts);
}

/*
 * worker_main - a delivery process: batches of service until the queue
 * manager closes job_fd. It keeps the image and the agent it started
 * with (the queue manager retires it when the image is replaced).
 */
static void worker_main(struct qmgr *q, const char *service, int job_fd, int report_fd)
{
    struct strbuf in = STRBUF_INIT;
    struct batch_job *jobs = NULL;
    size_t n;

    /* The queue manager's signals are not the delivery process's: it finishes its batch. */
    signal(SIGTERM, SIG_IGN);
    signal(SIGINT, SIG_IGN);
    signal(SIGHUP, SIG_IGN);
    signal(SIGUSR1, SIG_IGN);
    /* The queue manager's locks stay its own: released when it lets them go (see above). */
    for (struct inflight *f = q->inflight; f; f = f->next)
	close(f->lock_fd);
    if (q->trigger_fd >= 0)
	close(q->trigger_fd);
    /* The other processes' pipes: each must see its end of file when the queue manager closes it. */
    for (size_t i = 0; i < q->nworkers; i++) {
	close(q->workers[i].fd);
	if (q->workers[i].job_fd >= 0)
	    close(q->workers[i].job_fd);
    }
    setrlimit(RLIMIT_NOFILE, &q->nofile);
    while ((n = read_batch(job_fd, &in, &jobs)) > 0)
	deliver_batch(q, service, report_fd, jobs, n);
    qmgr_local_end();
    free(jobs);
    sb_free(&in);
}

/* ------------------------------------------------------------ delivery processes */

/* start_worker - a new delivery process for service, idle; NULL when none could be made */
static struct worker *start_worker(struct qmgr *q, const char *service)
{
    int rep[2], job[2];
    struct strbuf why = STRBUF_INIT;

    if (qmgr_local_ready(q->img, service, &why) < 0)
	pfcd_log("local", "warning: %s", sb_str(&why));	/* each delivery defers, and says so */
    sb_free(&why);
    if (pipe2(rep, O_CLOEXEC) < 0) {
	pfcd_log("qmgr", "warning: pipe: %m");
	return NULL;
    }
    if (pipe2(job, O_CLOEXEC) < 0) {
	pfcd_log("qmgr", "warning: pipe: %m");
	close(rep[0]);
	close(rep[1]);
	return NULL;
    }
    pid_t pid = fork();
    if (pid == 0) {
	close(rep[0]);
	close(job[1]);
	worker_main(q, service, job[0], rep[1]);
	_exit(0);
    }
    close(rep[1]);
    close(job[0]);
    if (pid < 0) {
	pfcd_log("qmgr", "warning: fork: %m");
	close(rep[0]);
	close(job[1]);
	return NULL;
    }
    if (q->nworkers == q->capworkers) {
	q->capworkers = q->capworkers ? 2 * q->capworkers : 16;
	q->workers = xrealloc(q->workers, q->capworkers * sizeof(*q->workers));
    }
    struct worker *w = &q->workers[q->nworkers++];
    *w = (struct worker) { 0 };
    w->pid = pid;
    w->service = xstrdup(service);
    w->fd = rep[0];
    w->job_fd = job[1];
    w->generation = q->generation;
    w->idle_since = time(NULL);
    return w;
}

/* retire - no more batches for w: it exits when it has reported its batch, if any */
static void retire(struct worker *w)
{
    if (w->job_fd >= 0)
	close(w->job_fd);
    w->job_fd = -1;
}

/* idle_worker - a delivery process of service waiting for a batch, or NULL */
static struct worker *idle_worker(struct qmgr *q, const char *service)
{
    for (size_t i = 0; i < q->nworkers; i++) {
	struct worker *w = &q->workers[i];
	if (w->dest == NULL && w->job_fd >= 0 && strcmp(w->service, service) == 0)
	    return w;
    }
    return NULL;
}

/*
 * assign - d's waiting recipients to idle w, at most max_use of them: 0,
 * or -1 when w could not take them (retired; they wait again)
 */
static int assign(struct qmgr *q, struct worker *w, struct dest *d)
{
    struct strbuf req = STRBUF_INIT;

    w->njobs = 0;
    for (struct job *j = d->head; j && (long) w->njobs < q->max_use; j = j->next)
	w->njobs++;
    if (w->njobs == 0) {
	retire(w);
	return -1;
    }
    w->jobs = xcalloc(w->njobs, sizeof(*w->jobs));
    for (size_t i = 0; i < w->njobs; i++) {
	w->jobs[i] = d->head;
	d->head = d->head->next;
    }
    if (d->head == NULL)
	d->tail = NULL;
    /* A message all of whose waiting recipients are here: its last one here finishes it. */
    for (size_t i = 0; i < w->njobs; i++) {
	const struct job *j = w->jobs[i];
	size_t here = 0, later = 0;
	for (size_t k = 0; k < w->njobs; k++)
	    if (w->jobs[k]->msg == j->msg)
		here++, later += k > i;
	sb_printf(&req, "%s %ld %ld %zu %d\n", j->msg->id, (long) j->msg->active.tv_sec,
		  (long) j->msg->active.tv_usec, j->rcpt, here == j->msg->pending && later == 0);
    }
    sb_addch(&req, '\n');
    size_t off = 0;
    while (off < req.len) {
	ssize_t r = write(w->job_fd, req.s + off, req.len - off);
	if (r < 0 && errno == EINTR)
	    continue;
	if (r <= 0)
	    break;
	off += (size_t) r;
    }
    int sent = off == req.len;
    sb_free(&req);
    if (!sent) {
	/* The process is gone (its end of file comes): back to the head of the line. */
	pfcd_log("qmgr", "warning: %s delivery process pid %ld: write: %m", w->service, (long) w->pid);
	for (size_t i = w->njobs; i-- > 0;) {
	    w->jobs[i]->next = d->head;
	    d->head = w->jobs[i];
	    if (d->tail == NULL)
		d->tail = w->jobs[i];
	}
	free(w->jobs);
	w->jobs = NULL;
	w->njobs = 0;
	retire(w);
	return -1;
    }
    w->dest = d;
    w->reported = 0;
    w->used++;
    d->busy++;
    return 0;
}

/*
 * batch_wait - whether d's waiting recipients wait for more to join their
 * batch: fewer than max_use wait, and the oldest waited less than
 * BATCH_WINDOW_MS (then q->poll_ms is at most what is left of that).
 * Each batch costs a child and a sync per user (qmgr_local.h), so a burst
 * is better handed over in a few large batches than in many small ones.
 */
#define BATCH_WINDOW_MS	20

static int batch_wait(struct qmgr *q, const struct dest *d)
{
    long waiting = 0;
    struct timeval now;

    for (const struct job *j = d->head; j && waiting < q->max_use; j = j->next)
	waiting++;
    if (waiting >= q->max_use || service_stopping())
	return 0;
    gettimeofday(&now, NULL);
    long waited = (long) (since(&d->head->msg->active, &now) * 1000);
    if (waited >= BATCH_WINDOW_MS || waited < 0)
	return 0;
    if (BATCH_WINDOW_MS - waited < q->poll_ms)
	q->poll_ms = (int) (BATCH_WINDOW_MS - waited);
    return 1;
}

/* dispatch - delivery processes for what waits, within the limits */
static void dispatch(struct qmgr *q)
{
    size_t pos = 0;
    struct strmap_slot *slot;

    while ((slot = strmap_next(&q->dests, &pos)) != NULL) {
	struct dest *d = slot->value;
	if (d->head == NULL)
	    continue;
	if (batch_wait(q, d))
	    continue;
	long limit = dest_limit(q, d->service), procs = service_limit(q, d->service);
	while (d->head != NULL && d->busy < limit) {
	    struct worker *w = idle_worker(q, d->service);
	    if (w == NULL && (long) workers_of(q, d->service) < procs)
		w = start_worker(q, d->service);
	    if (w == NULL)
		break;
	    (void) assign(q, w, d);	/* when it fails, w is retired: another is tried */
	}
    }
}

/* retire_idle - idle delivery processes go: those of an older image, idle for max_idle, or all (stopping) */
static void retire_idle(struct qmgr *q, time_t now, int all)
{
    for (size_t i = 0; i < q->nworkers; i++) {
	struct worker *w = &q->workers[i];
	if (w->dest == NULL && w->job_fd >= 0
	    && (all || w->generation != q->generation || now - w->idle_since >= q->max_idle))
	    retire(w);
    }
}

static void dest_free(void *value)
{
    struct dest *d = value;

    while (d->head) {
	struct job *j = d->head;
	d->head = j->next;
	free(j);
    }
    free(d->service);
    free(d);
}

/*
 * job_done - a recipient's outcome is recorded (or, reason not NULL, it
 * could not be); finished: its delivery process finished the message too
 */
static void job_done(struct qmgr *q, struct worker *w, struct job *j, const char *reason,
		     int finished)
{
    struct inflight *f = j->msg;

    if (reason != NULL) {
	struct queue_msg m;
	if (open_active(q, f->id, &m) == 0) {
	    struct delivery_status st = { 0 };
	    struct timeval now;
	    gettimeofday(&now, NULL);
	    st.status = QRCPT_DEFERRED;
	    st.reason = (struct strbuf) STRBUF_INIT;
	    snprintf(st.relay, sizeof(st.relay), "%s", w->service);
	    status_text(reason, "4.3.0", &st);
	    mark(&m, j->rcpt, &st, "qmgr", &f->active, &now);
	    sb_free(&st.reason);
	    queue_msg_close(&m);
	}
    }
    free(j);
    if (--f->pending == 0) {
	if (finished)
	    inflight_free(q, f);
	else
	    inflight_done(q, f);
    }
}

/* batch_done - w's batch is over (reported, or w died): its destination has one process less */
static void batch_done(struct qmgr *q, struct worker *w)
{
    struct dest *d = w->dest;

    free(w->jobs);
    w->jobs = NULL;
    w->njobs = w->reported = 0;
    w->dest = NULL;
    w->idle_since = time(NULL);
    d->busy--;
    if (d->busy == 0 && d->head == NULL)
	dest_free(strmap_del(&q->dests, d->key));
    /* Its max_use batches served, or an older image: it goes (Postfix's local exits after max_use requests). */
    if (w->used >= q->max_use || w->generation != q->generation || service_stopping())
	retire(w);
}

/* worker_input - what a delivery process reported; at its end of file, the process is gone */
static void worker_input(struct qmgr *q, size_t wi)
{
    struct worker *w = &q->workers[wi];
    char buf[512];
    ssize_t n = read(w->fd, buf, sizeof(buf));

    if (n < 0 && (errno == EINTR || errno == EAGAIN))
	return;
    for (ssize_t i = 0; i < n && w->dest && w->reported < w->njobs; i++)
	job_done(q, w, w->jobs[w->reported++], NULL, buf[i] == 'f');
    if (w->dest && w->reported == w->njobs)
	batch_done(q, w);
    if (n > 0)
	return;
    int status = 0;
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
	continue;
    if (w->dest || WIFSIGNALED(status) || WEXITSTATUS(status) != 0)
	pfcd_log("qmgr", "warning: %s delivery process pid %ld %s %d", w->service,
		 (long) w->pid, WIFSIGNALED(status) ? "killed by signal" : "exit status",
		 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    if (w->dest) {
	/* Postfix's words for an agent that died with the request. */
	while (w->reported < w->njobs)
	    job_done(q, w, w->jobs[w->reported++], "unknown mail transport error", 0);
	batch_done(q, w);
    }
    retire(w);
    close(w->fd);
    free(w->service);
    q->workers[wi] = q->workers[--q->nworkers];
}

int qmgr_run(const struct qmgr_config *cfg, struct image *img)
{
    struct qmgr q = { 0 };
    struct sigaction sa = { 0 };

    service_signal_init();
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    q.cfg = cfg;
    strmap_init(&q.dests);
    qmgr_load(&q, img);
    files_init(&q);
    q.trigger_fd = qmgr_trigger_open(cfg->queue_dir);

    /* A crash left messages in active/: they go round again (at least once). */
    int full = scan(&q, QUEUE_ACTIVE, 0), woken = 1;
    q.next_deferred_scan = 0;
    time_t last_scan = 0;
    struct pollfd *pfd = NULL;
    size_t pcap = 0;
    /* SIGTERM: no new deliveries; the delivery processes finish theirs. */
    while (!(service_stopping() && q.nworkers == 0)) {
	struct image *nimg = service_reload("qmgr", cfg->image_path);
	if (nimg != NULL) {
	    qmgr_unload(&q);
	    qmgr_load(&q, nimg);
	    q.generation++;
	}
	time_t now = time(NULL);
	q.poll_ms = 1000;
	retire_idle(&q, now, service_stopping());
	/* Room again after qmgr_message_active_limit: what waited is looked at. */
	if (full && (long) q.ninflight < active_room(&q))
	    woken = 1;
	if (!service_stopping()) {
	    /* incoming/ when the SMTP side says, and each second for what nobody announced */
	    if (woken || now != last_scan) {
		full = scan(&q, QUEUE_INCOMING, 0);
		woken = 0;
		last_scan = now;
	    }
	    if (got_flush || now >= q.next_deferred_scan) {
		full |= scan(&q, QUEUE_DEFERRED, !got_flush);
		got_flush = 0;
		q.next_deferred_scan = now + q.run_delay;
	    }
	    dispatch(&q);
	}
	/*
	 * Sleep until the SMTP side queues something, pfc queue flush
	 * writes to public/qmgr, a delivery process reports, or a second
	 * passes (sendmail drops).
	 */
	if (q.nworkers + 2 > pcap) {
	    pcap = 2 * (q.nworkers + 2);
	    pfd = xrealloc(pfd, pcap * sizeof(*pfd));
	}
	pfd[0] = (struct pollfd) { service_stopping() ? -1 : cfg->wake_fd, POLLIN, 0 };
	pfd[1] = (struct pollfd) { service_stopping() ? -1 : q.trigger_fd, POLLIN, 0 };
	for (size_t i = 0; i < q.nworkers; i++)
	    pfd[i + 2] = (struct pollfd) { q.workers[i].fd, POLLIN, 0 };
	if (poll(pfd, q.nworkers + 2, q.poll_ms) <= 0)
	    continue;
	if (pfd[0].fd >= 0 && (pfd[0].revents & POLLIN)) {
	    char buf[256];
	    ssize_t r = read(cfg->wake_fd, buf, sizeof(buf));
	    (void) r;
	    woken = 1;
	}
	if (pfd[1].fd >= 0 && (pfd[1].revents & POLLIN)) {
	    /* Any request looks at incoming/; 'A' (pfc queue flush) at every deferred message. */
	    if (qmgr_trigger_read(q.trigger_fd))
		got_flush = 1;
	    woken = 1;
	}
	/* From the last: worker_input() may move the last worker into slot i. */
	for (size_t i = q.nworkers; i-- > 0;)
	    if (pfd[i + 2].revents & (POLLIN | POLLHUP | POLLERR))
		worker_input(&q, i);
    }
    free(pfd);
    free(q.workers);
    strmap_free(&q.dests, dest_free);
    /* What is still in active/ is delivered at the next start. */
    while (q.inflight)
	inflight_free(&q, q.inflight);
    if (q.trigger_fd >= 0)
	close(q.trigger_fd);
    qmgr_unload(&q);
    return 0;
}
