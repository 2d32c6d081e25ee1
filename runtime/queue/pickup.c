/* pickup - locally submitted mail from maildrop/ to the queue (see pickup.h) */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup_msg.h"
#include "content_checks.h"
#include "maildrop.h"
#include "matchlist.h"
#include "pfcd_log.h"
#include "pickup.h"
#include "policy.h"
#include "queue_file.h"
#include "service_signal.h"
#include "session.h"
#include "smtpd_session.h"
#include "trace.h"
#include "xalloc.h"

/* policy_link - queue_dir/MAILDROP_POLICY to image_path (absolute), replaced atomically */
static int policy_link(const char *queue_dir, const char *image_path, struct strbuf *err)
{
    char *target = realpath(image_path, NULL);
    char *link = xconcat(queue_dir, "/" MAILDROP_POLICY, (char *) NULL);
    char *tmp = xconcat(link, ".new", (char *) NULL);
    int rc = 0;

    if (target == NULL) {
	sb_printf(err, "%s: %s", image_path, strerror(errno));
	rc = -1;
    } else if ((unlink(tmp) < 0 && errno != ENOENT) || symlink(target, tmp) < 0
	       || rename(tmp, link) < 0) {
	sb_printf(err, "link %s to %s: %s", link, target, strerror(errno));
	unlink(tmp);
	rc = -1;
    }
    free(target);
    free(link);
    free(tmp);
    return rc;
}

int pickup_create_dir(const char *queue_dir, uid_t uid, gid_t gid, const char *image_path,
		      struct strbuf *err)
{
    char *path = xconcat(queue_dir, "/" MAILDROP_DIR, (char *) NULL);
    int rc = 0;

    if (mkdir(path, 0730) < 0 && errno != EEXIST) {
	sb_printf(err, "create directory %s: %s", path, strerror(errno));
	rc = -1;
    } else if (chown(path, uid, gid) < 0 || chmod(path, 0730) < 0) {
	sb_printf(err, "chown/chmod %s: %s", path, strerror(errno));
	rc = -1;
    } else {
	rc = policy_link(queue_dir, image_path, err);
    }
    free(path);
    return rc;
}

/* The service's view: pickup's master.cf entry, and the cleanup it hands mail to. */
struct pickup {
    const struct pickup_config *cfg;
    struct image *img;
    struct policy policy;
    struct policy cleanup;
    struct cleanup_config ccfg;
    long wakeup;		/* master.cf's wakeup time: rescan that often */
    long size_limit;		/* message_size_limit (0: none) */
    int dir_fd, corrupt_fd;
};

static void log_line(const char *program, const char *text)
{
    pfcd_log(program, "%s", text);
}

static void view_open(struct pickup *p, struct image *img)
{
    char *err = NULL;

    p->img = img;
    if (policy_open(&p->policy, img, "pickup/unix", &err) < 0) {
	free(err);
	policy_open_main(&p->policy, img);
    }
    char *name = xconcat(policy_value(&p->policy, "cleanup_service_name"), "/unix", (char *) NULL);
    err = NULL;
    if (policy_open(&p->cleanup, img, name, &err) < 0) {
	free(err);
	policy_open_main(&p->cleanup, img);
    }
    free(name);
    p->ccfg.queue_dir = p->cfg->queue_dir;
    p->ccfg.cleanup = &p->cleanup;
    p->ccfg.smtpd = &p->policy;
    p->ccfg.log = log_line;
    p->wakeup = 60;
    for (uint32_t i = 0; i < img->nservices; i++) {
	const struct img_service *sv = &img->services[i];
	if (strcmp(image_str(img, sv->name), "pickup") == 0
	    && strcmp(image_str(img, sv->type), "unix") == 0) {
	    long w = atol(image_str(img, sv->wakeup));
	    if (w > 0)
		p->wakeup = w;
	}
    }
    p->size_limit = policy_int(&p->cleanup, "message_size_limit", 10240000);
}

static void view_close(struct pickup *p)
{
    policy_close(&p->cleanup);
    policy_close(&p->policy);
    image_close(p->img);
}

/* set_aside - a file that is not a maildrop file goes to corrupt/, for a human */
static void set_aside(struct pickup *p, const char *name, long uid, const char *why)
{
    if (renameat(p->dir_fd, name, p->corrupt_fd, name) < 0) {
	pfcd_log("pickup", "warning: maildrop/%s: uid=%ld: %s; cannot move it to %s: %m", name,
		 uid, why, QUEUE_CORRUPT);
	if (unlinkat(p->dir_fd, name, 0) < 0)
	    pfcd_log("pickup", "warning: remove maildrop/%s: %m", name);
	return;
    }
    pfcd_log("pickup", "warning: maildrop/%s: uid=%ld: %s: moved to %s/%s", name, uid, why,
	     QUEUE_CORRUPT, name);
}

/* read_file - all of fd, at most limit bytes; -1 with errno, or -2 when longer */
static int read_file(int fd, size_t limit, struct strbuf *out)
{
    char buf[65536];

    for (;;) {
	ssize_t n = read(fd, buf, sizeof(buf));
	if (n < 0 && errno == EINTR)
	    continue;
	if (n < 0)
	    return -1;
	if (n == 0)
	    return 0;
	if (out->len + (size_t) n > limit)
	    return -2;
	sb_addn(out, buf, (size_t) n);
    }
}

/* pickup_note - a note of cleanup's checks: its own log lines are logged as cleanup logs them */
static void pickup_note(void *ctx, const char *text)
{
    if (checks_log_line(text))
	pfcd_log("cleanup", "%s: %s", (const char *) ctx, text);
}

/* queue - one parsed submission through cleanup; 0 when the maildrop file may go */
static int queue(struct pickup *p, const char *name, const struct stat *st,
		 const struct maildrop *md)
{
    struct session s;
    struct strbuf err = STRBUF_INIT, why = STRBUF_INIT;
    int rc = -1;

    session_init(&s, &p->policy);
    free(s.namaddr);
    s.namaddr = xstrdup("local");	/* content_checks: "... from local; from=<...>" */
    s.protocol = NULL;
    s.sender = xstrdup(md->sender);
    struct cleanup_msg *cm = cleanup_open(&p->ccfg, &s, &err);
    if (cm == NULL) {
	pfcd_log("pickup", "warning: maildrop/%s: queue file: %s (it stays for the next scan)",
		 name, sb_str(&err));
	goto done;
    }
    pfcd_log("pickup", "%s: uid=%ld from=<%s>", cleanup_id(cm), (long) st->st_uid, md->sender);
    char id[32];
    snprintf(id, sizeof(id), "%s", cleanup_id(cm));
    struct policy_trace trace = { .ctx = id, .note = pickup_note };
    s.trace = &trace;
    cleanup_local(cm, (long) st->st_uid, md->full_name, st->st_mtime);
    for (size_t i = 0; i < md->nrcpts; i++)
	cleanup_recipient(cm, md->rcpts[i].address, md->rcpts[i].notify, "");
    cleanup_content(cm, SMTPD_REC_CONT, md->content, md->content_len);
    int fd = -1;
    switch (cleanup_close(cm, &s, &why, &fd)) {
    case CLEANUP_QUEUED:
	/* The queue file and its name on stable storage before the maildrop file goes. */
	if (fsync(fd) < 0) {
	    pfcd_log("pickup", "warning: maildrop/%s: fsync queue file: %m", name);
	    close(fd);
	    goto done;
	}
	close(fd);
	char *incoming = xconcat(p->cfg->queue_dir, "/" QUEUE_INCOMING, (char *) NULL);
	if (queue_sync_dir(incoming) < 0)
	    pfcd_log("pickup", "warning: fsync %s: %m", incoming);
	free(incoming);
	if (p->cfg->wake_fd >= 0) {
	    ssize_t w = write(p->cfg->wake_fd, "m", 1);
	    (void) w;		/* a full pipe already says "look" */
	}
	rc = 0;
	break;
    case CLEANUP_BOUNCED:
	/* Returned to its sender (cleanup_close()): the report is queued. */
	if (p->cfg->wake_fd >= 0) {
	    ssize_t w = write(p->cfg->wake_fd, "m", 1);
	    (void) w;
	}
	rc = 0;
	break;
    case CLEANUP_DISCARDED:
	rc = 0;
	break;
    case CLEANUP_REFUSED:
	/*
	 * Not queued and not returned: a content check's 4.X.X REJECT, or a
	 * write or rewrite error, which cleanup has logged. The file stays
	 * in maildrop/ for the next scan, as Postfix's pickup keeps it
	 * (KEEP_MESSAGE_FILE) for any cleanup status but a malformed file
	 * or no recipient, which pfcd's maildrop_parse() refuses earlier.
	 */
	rc = 1;
	break;
    }
  done:
    session_free(&s);
    sb_free(&err);
    sb_free(&why);
    return rc;
}

/* pickup_file - one directory entry of maildrop/ */
static void pickup_file(struct pickup *p, const char *name)
{
    struct stat st;
    struct strbuf data = STRBUF_INIT, err = STRBUF_INIT;
    struct maildrop md;

    /* The user owns the file: no symlink followed, no FIFO waited on. */
    int fd = openat(p->dir_fd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
	if (errno == ELOOP)
	    set_aside(p, name, -1, "a symbolic link");
	else if (errno != ENOENT)
	    pfcd_log("pickup", "warning: open maildrop/%s: %m", name);
	return;
    }
    if (fstat(fd, &st) < 0) {
	pfcd_log("pickup", "warning: fstat maildrop/%s: %m", name);
	close(fd);
	return;
    }
    if (!S_ISREG(st.st_mode)) {
	close(fd);
	set_aside(p, name, (long) st.st_uid, "not a regular file");
	return;
    }
    /* Not complete yet (pfc-postdrop makes it 0744 when it is): Postfix's mail_open_ok(). */
    if ((st.st_mode & S_IRWXU) != S_IRWXU) {
	close(fd);
	return;
    }
    /*
     * authorized_submit_users: pfc sendmail and pfc-postdrop refuse such
     * a user before anything is written (Postfix's message); a file that
     * comes anyway (made before the list changed) is dropped.
     */
    const char *who = match_user_acl(&p->policy, "authorized_submit_users", (long) st.st_uid);
    if (who != NULL) {
	close(fd);
	if (unlinkat(p->dir_fd, name, 0) < 0)
	    pfcd_log("pickup", "warning: remove maildrop/%s: %m", name);
	pfcd_log("pickup", "warning: maildrop/%s: uid=%ld: User %s(%ld) is not allowed to submit"
		 " mail: removed", name, (long) st.st_uid, who, (long) st.st_uid);
	return;
    }
    /* The message, and room for its envelope. */
    size_t limit = p->size_limit > 0 ? (size_t) p->size_limit + 1024 * 1024 : (size_t) -1;
    int r = read_file(fd, limit, &data);
    close(fd);
    if (r == -1) {
	pfcd_log("pickup", "warning: read maildrop/%s: %m", name);
    } else if (r == -2) {
	set_aside(p, name, (long) st.st_uid, "message file too big");
    } else if (maildrop_parse(data.s ? data.s : "", data.len, &md, &err) < 0) {
	set_aside(p, name, (long) st.st_uid, sb_str(&err));
    } else {
	if (queue(p, name, &st, &md) == 0 && unlinkat(p->dir_fd, name, 0) < 0)
	    pfcd_log("pickup", "warning: remove maildrop/%s: %m", name);
	maildrop_free(&md);
    }
    sb_free(&data);
    sb_free(&err);
}

/* scan - every file in maildrop/ (pfc-postdrop's unfinished "t..." files wait) */
static void scan(struct pickup *p)
{
    int fd = dup(p->dir_fd);
    DIR *d = fd >= 0 ? fdopendir(fd) : NULL;

    if (d == NULL) {
	pfcd_log("pickup", "warning: scan %s/%s: %m", p->cfg->queue_dir, MAILDROP_DIR);
	if (fd >= 0)
	    close(fd);
	return;
    }
    rewinddir(d);
    struct dirent *e;
    while (!service_stopping() && (e = readdir(d)) != NULL) {
	if (e->d_name[0] == '.' || e->d_name[0] == 't')
	    continue;
	pickup_file(p, e->d_name);
    }
    closedir(d);
}

static int open_dir(const char *queue_dir, const char *name)
{
    char *path = xconcat(queue_dir, "/", name, (char *) NULL);
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
	pfcd_log("pickup", "fatal: open %s: %m", path);
    free(path);
    return fd;
}

int pickup_run(const struct pickup_config *cfg, struct image *img)
{
    struct pickup p = { 0 };
    int status = 0;

    service_signal_init();
    p.cfg = cfg;
    view_open(&p, img);
    p.dir_fd = open_dir(cfg->queue_dir, MAILDROP_DIR);
    p.corrupt_fd = open_dir(cfg->queue_dir, QUEUE_CORRUPT);
    if (p.dir_fd < 0 || p.corrupt_fd < 0) {
	status = 1;
	goto done;
    }
    /* A new ready file is a chmod (IN_ATTRIB) or a name (IN_MOVED_TO) in the directory. */
    int ino = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    char *path = xconcat(cfg->queue_dir, "/" MAILDROP_DIR, (char *) NULL);
    if (ino >= 0 && inotify_add_watch(ino, path, IN_ATTRIB | IN_MOVED_TO | IN_CLOSE_WRITE) < 0) {
	pfcd_log("pickup", "warning: inotify %s: %m; scanning every %ld s", path, p.wakeup);
	close(ino);
	ino = -1;
    }
    free(path);
    time_t next_scan = 0;
    while (!service_stopping()) {
	struct image *nimg = service_reload("pickup", cfg->image_path);
	if (nimg != NULL) {
	    view_close(&p);
	    view_open(&p, nimg);
	}
	if (time(NULL) >= next_scan) {
	    scan(&p);
	    next_scan = time(NULL) + p.wakeup;
	}
	struct pollfd pf = { ino, POLLIN, 0 };
	long wait = (long) (next_scan - time(NULL));
	/*
	 * A second at most, as the other processes poll: a SIGTERM between
	 * the loop's test and poll() is then seen within a second, not after
	 * the whole wakeup time.
	 */
	if (wait > 1)
	    wait = 1;
	if (poll(&pf, ino >= 0 ? 1 : 0, (int) (wait > 0 ? wait : 0) * 1000) > 0) {
	    char buf[4096];
	    while (read(ino, buf, sizeof(buf)) > 0)
		;
	    next_scan = 0;
	}
    }
    if (ino >= 0)
	close(ino);
  done:
    if (p.dir_fd >= 0)
	close(p.dir_fd);
    if (p.corrupt_fd >= 0)
	close(p.corrupt_fd);
    view_close(&p);
    return status;
}
