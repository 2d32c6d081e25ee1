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
#include <sys/stat.h>
#include <sys/time.h>
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
#include "session.h"
#include "xalloc.h"

static volatile sig_atomic_t got_term, got_hup, got_flush;

static void on_term(int sig)
{
    (void) sig;
    got_term = 1;
}

static void on_hup(int sig)
{
    (void) sig;
    got_hup = 1;
}

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

struct qmgr {
    const struct qmgr_config *cfg;
    struct image *img;
    struct policy main;
    struct session s;		/* for address resolution */
    long run_delay, min_backoff, max_backoff, lifetime, bounce_lifetime;
    time_t next_deferred_scan;
};

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

/* deliver_one - one recipient to its agent; the outcome in *st, the agent's name in program */
static void deliver_one(struct qmgr *q, const struct queue_msg *m, size_t i,
			struct delivery_status *st, char *program, size_t psize)
{
    struct resolve_reply rr;
    char cmdbuf[64];

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
	snprintf(program, psize, "local");
	snprintf(st->relay, sizeof(st->relay), "%s", transport);
	qmgr_local_deliver(q->img, q->cfg->queue_dir, transport, m, i, st);
    } else {
	/* smtp, lmtp, pipe, virtual: the next issue's. Kept, not lost, not bounced. */
	st->status = QRCPT_DEFERRED;
	sb_reset(&st->reason);
	snprintf(st->dsn, sizeof(st->dsn), "4.3.0");
	sb_printf(&st->reason, "delivery via %s(8) (transport %s) is not supported by this pfcd",
		  cmd, transport);
    }
    resolve_reply_free(&rr);
}

/* process - one message from queue `from` (incoming or deferred) */
static void process(struct qmgr *q, const char *from, const char *id)
{
    struct queue_msg m;
    struct strbuf err = STRBUF_INIT;
    struct timeval active;

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
     * held from here until the file leaves active/. When pfc queue moved
     * it first, the rename below fails and the message is not ours.
     */
    flock(m.fd, LOCK_EX);
    const char *hold = queue_msg_attr(&m, "hold");
    if (hold && strcmp(from, QUEUE_INCOMING) == 0) {
	queue_msg_close(&m);
	move(q, from, QUEUE_HOLD, id);
	return;
    }
    if (move(q, from, QUEUE_ACTIVE, id) < 0) {
	queue_msg_close(&m);
	return;
    }
    gettimeofday(&active, NULL);
    pfcd_log("qmgr", "%s: from=<%s>, size=%ld, nrcpt=%zu (queue active)", m.id, m.sender,
	     m.size, m.nrcpts);

    int deferred = 0;
    for (size_t i = 0; i < m.nrcpts; i++) {
	struct queue_rcpt *r = &m.rcpts[i];
	if (r->status == QRCPT_SENT || r->status == QRCPT_BOUNCED)
	    continue;
	struct delivery_status st;
	char program[64];
	struct timeval start;
	memset(&st, 0, sizeof(st));
	st.reason = (struct strbuf) STRBUF_INIT;
	gettimeofday(&start, NULL);
	deliver_one(q, &m, i, &st, program, sizeof(program));
	const char *word = st.status == QRCPT_SENT ? "sent"
	    : st.status == QRCPT_BOUNCED ? "bounced" : "deferred";
	if (!st.logged)
	    log_delivery(program, &m, r, &st, &active, &start, word);
	if (queue_msg_report(&m, i, &st) < 0)
	    pfcd_log("qmgr", "warning: %s: update queue file: %m", m.id);
	deferred |= st.status == QRCPT_DEFERRED;
	sb_free(&st.reason);
    }

    time_t now = time(NULL);
    long age = (long) (now - m.arrival);
    long lifetime = *m.sender ? q->lifetime : q->bounce_lifetime;
    if (deferred && age >= lifetime) {
	/* Too old: what is still deferred is returned (qmgr's "expired"). */
	for (size_t i = 0; i < m.nrcpts; i++) {
	    struct queue_rcpt *r = &m.rcpts[i];
	    if (r->status != QRCPT_DEFERRED)
		continue;
	    char *reason = xstrdup(r->reason);
	    char dsn[16];
	    snprintf(dsn, sizeof(dsn), "5%s", r->dsn[0] == '4' ? r->dsn + 1 : ".4.7");
	    pfcd_log("qmgr", "%s: to=<%s>, relay=none, delay=%ld, dsn=%s, status=expired, "
		     "returned to sender (%s)", m.id, r->address, age, dsn, reason);
	    queue_msg_mark(&m, i, QRCPT_BOUNCED, dsn, reason);
	    free(reason);
	}
	deferred = 0;
    }
    /* The notices this attempt owes (bounce(8)'s flush as the message leaves active). */
    bounce_flush(&q->main, q->cfg->queue_dir, &m);
    if (!deferred) {
	char *apath = qpath(q, QUEUE_ACTIVE, id);
	if (unlink(apath) == 0)
	    pfcd_log("qmgr", "%s: removed", m.id);
	free(apath);
    } else {
	/* What was delivered stays delivered: the marks reach the disk before the file waits. */
	if (queue_msg_sync(&m) < 0)
	    pfcd_log("qmgr", "warning: %s: update queue file: %m", m.id);
	/* Next try: the message's age, between the backoff bounds (qmgr_active.c). */
	long backoff = age < q->min_backoff ? q->min_backoff
	    : age > q->max_backoff ? q->max_backoff : age;
	char *apath = qpath(q, QUEUE_ACTIVE, id);
	struct timeval tv[2] = { {now, 0}, {now + backoff, 0} };
	if (utimes(apath, tv) < 0)
	    pfcd_log("qmgr", "warning: %s: set retry time: %m", m.id);
	free(apath);
	move(q, QUEUE_ACTIVE, QUEUE_DEFERRED, id);
    }
    queue_msg_close(&m);
}

/* scan - every message of a queue; deferred ones only when due (or all: flush) */
static void scan(struct qmgr *q, const char *queue, int due_only)
{
    char *dir = xconcat(q->cfg->queue_dir, "/", queue, (char *) NULL);
    DIR *d = opendir(dir);
    char **ids = NULL;
    size_t n = 0, cap = 0;
    time_t now = time(NULL);

    if (d == NULL) {
	free(dir);
	return;
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
	if (!got_term)
	    process(q, queue, ids[i]);
	free(ids[i]);
    }
    free(ids);
}

int qmgr_run(const struct qmgr_config *cfg, struct image *img)
{
    struct qmgr q = { 0 };
    struct sigaction sa = { 0 };

    sa.sa_handler = on_term;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    q.cfg = cfg;
    qmgr_load(&q, img);
    int trigger_fd = qmgr_trigger_open(cfg->queue_dir);

    /* A crash left messages in active/: they go round again (at least once). */
    scan(&q, QUEUE_ACTIVE, 0);
    q.next_deferred_scan = 0;
    while (!got_term) {
	if (got_hup) {
	    got_hup = 0;
	    struct image *nimg;
	    char *err = NULL;
	    if (image_open(cfg->image_path, &nimg, &err) != IMAGE_OK) {
		pfcd_log("qmgr", "warning: reload refused, the old image keeps serving: %s", err);
		free(err);
	    } else {
		qmgr_unload(&q);
		qmgr_load(&q, nimg);
	    }
	}
	scan(&q, QUEUE_INCOMING, 0);
	time_t now = time(NULL);
	if (got_flush || now >= q.next_deferred_scan) {
	    scan(&q, QUEUE_DEFERRED, !got_flush);
	    got_flush = 0;
	    q.next_deferred_scan = now + q.run_delay;
	}
	/*
	 * Sleep until the SMTP side queues something, pfc queue flush
	 * writes to public/qmgr, or a second passes (sendmail drops).
	 */
	struct pollfd p[2] = { {cfg->wake_fd, POLLIN, 0}, {trigger_fd, POLLIN, 0} };
	if (poll(p, 2, 1000) > 0) {
	    char buf[256];
	    if (p[0].revents) {
		ssize_t r = read(cfg->wake_fd, buf, sizeof(buf));
		(void) r;
	    }
	    if (p[1].revents && qmgr_trigger_read(trigger_fd))
		got_flush = 1;
	}
    }
    if (trigger_fd >= 0)
	close(trigger_fd);
    qmgr_unload(&q);
    return 0;
}
