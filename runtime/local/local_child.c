/*
 * local_child - the child processes local deliveries run in. local(8)
 * switches its effective uid back and forth (set_eugid()) inside one
 * root process; here each write to a mailbox, file or command, and each
 * read of a user's .forward or :include: file, happens in a child that
 * gives up root for good first (setgid, setgroups to that one group as
 * Postfix does, setuid), and the parent only reads what it reports:
 * a status and a reason, and for reads the file's bytes.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "fdio.h"
#include "local_int.h"
#include "sysroot.h"
#include "xalloc.h"

char *local_real_path(const char *path)
{
    return sysroot_path(path);
}

char *local_outside(const char *path)
{
    if (sysroot_get() == NULL)
	return NULL;
    char *p = xstrdup(path);
    for (;;) {
	char *real = realpath(p, NULL);
	if (real != NULL) {
	    /* The deepest part that exists: inside, or where it leads. */
	    free(real);
	    char *outside = sysroot_outside(p);
	    free(p);
	    return outside;
	}
	char *slash = strrchr(p, '/');
	if (errno != ENOENT || slash == NULL || slash == p) {
	    free(p);
	    return NULL;
	}
	*slash = 0;
    }
}

static int pw_copy(struct passwd *p, struct local_pw *pw)
{
    pw->uid = p->pw_uid;
    pw->gid = p->pw_gid;
    pw->name = xstrdup(p->pw_name);
    pw->dir = xstrdup(p->pw_dir ? p->pw_dir : "");
    pw->shell = xstrdup(p->pw_shell ? p->pw_shell : "");
    return 1;
}

/* A missing entry is "none"; only a failure of the lookup itself is an error. */
static int pw_result(struct passwd *p, struct local_pw *pw)
{
    if (p != NULL)
	return pw_copy(p, pw);
    if (errno == 0 || errno == ENOENT || errno == ESRCH || errno == EBADF || errno == EPERM)
	return 0;
    return -1;
}

/*
 * While a batch is delivered (local_pw_memo()), the names looked up are
 * remembered, found or not, so that a batch of mail to one user asks the
 * host once, not once or twice for each message. A lookup that failed
 * is not remembered.
 */
#define PW_MEMO_MAX	32

static struct pw_memo {
    char *name;
    int found;
    struct local_pw pw;
} pw_memo[PW_MEMO_MAX];
static size_t pw_nmemo;
static int pw_memo_on;

void local_pw_memo(int on)
{
    while (pw_nmemo > 0) {
	struct pw_memo *m = &pw_memo[--pw_nmemo];
	free(m->name);
	if (m->found)
	    local_pw_free(&m->pw);
    }
    pw_memo_on = on;
}

static void pw_dup(const struct local_pw *from, struct local_pw *to)
{
    to->uid = from->uid;
    to->gid = from->gid;
    to->name = xstrdup(from->name);
    to->dir = xstrdup(from->dir);
    to->shell = xstrdup(from->shell);
}

int local_getpwnam(const char *name, struct local_pw *pw)
{
    for (size_t i = 0; pw_memo_on && i < pw_nmemo; i++)
	if (strcmp(pw_memo[i].name, name) == 0) {
	    if (pw_memo[i].found)
		pw_dup(&pw_memo[i].pw, pw);
	    return pw_memo[i].found;
	}
    errno = 0;
    int found = pw_result(getpwnam(name), pw);
    if (pw_memo_on && found >= 0 && pw_nmemo < PW_MEMO_MAX) {
	struct pw_memo *m = &pw_memo[pw_nmemo++];
	m->name = xstrdup(name);
	m->found = found;
	if (found)
	    pw_dup(pw, &m->pw);
    }
    return found;
}

int local_getpwuid(uid_t uid, struct local_pw *pw)
{
    errno = 0;
    return pw_result(getpwuid(uid), pw);
}

void local_pw_free(struct local_pw *pw)
{
    free(pw->name);
    free(pw->dir);
    free(pw->shell);
    memset(pw, 0, sizeof(*pw));
}

/* What the child reports through its status pipe. */
struct child_status {
    int32_t status;		/* KIND_* */
    char dsn[DSN_SIZE];
};

/* drop_privileges - become uid/gid for good; 0, or -1 with why */
static int drop_privileges(uid_t uid, gid_t gid, struct local_why *why)
{
    if (uid == 0) {
	why_set(why, "4.3.0", "delivery as root is not done");
	return -1;
    }
    if (geteuid() == 0 || getuid() == 0) {
	if (setgid(gid) < 0 || setgroups(1, &gid) < 0 || setuid(uid) < 0) {
	    why_set(why, "4.3.0", "cannot change to uid %ld gid %ld: %s", (long) uid,
		    (long) gid, strerror(errno));
	    return -1;
	}
	/* Gone for good: there is no way back to root. */
	if (setuid(0) == 0 || seteuid(0) == 0) {
	    why_set(why, "4.3.0", "could not give up root privileges");
	    return -1;
	}
	return 0;
    }
    /* Not root: the process can deliver as itself only. */
    if (uid != geteuid()) {
	why_set(why, "4.3.0", "cannot deliver as uid %ld: running as uid %ld, not root",
		(long) uid, (long) geteuid());
	return -1;
    }
    if (gid != getegid() && setgid(gid) < 0) {
	why_set(why, "4.3.0", "cannot change to gid %ld: %s", (long) gid, strerror(errno));
	return -1;
    }
    return 0;
}

/* child_setup - signals, umask, directory and the file size limit of a delivery */
static void child_setup(const struct local_agent *a)
{
    sigset_t none;

    /* The parent's handlers are not the child's business. */
    static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGCHLD, SIGUSR1, SIGUSR2,
	SIGALRM, SIGIO, SIGURG, SIGWINCH };
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
	signal(sigs[i], SIG_DFL);
    /* A command that stops reading, a file at its size limit: errors, not deaths. */
    signal(SIGPIPE, SIG_IGN);
    signal(SIGXFSZ, SIG_IGN);
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    umask(077);
    /* local(8) runs in the queue directory; commands see it as their cwd. */
    if (a->queue_dir == NULL || chdir(a->queue_dir) < 0)
	(void) chdir("/");
    /*
     * mailbox_size_limit is a file size limit, as local(8) sets it: a
     * write past it fails with EFBIG ("5.2.2 ... File too large").
     */
    if (a->mailbox_limit > 0) {
	struct rlimit rl = { (rlim_t) a->mailbox_limit, (rlim_t) a->mailbox_limit };
	(void) setrlimit(RLIMIT_FSIZE, &rl);
    }
}

int local_run_as(const struct local_agent *a, uid_t uid, gid_t gid,
		 int (*fn)(void *ctx, struct local_why *why, int out), void *ctx,
		 struct local_why *why, struct strbuf *payload, size_t limit)
{
    int status_pipe[2], data_pipe[2];
    pid_t pid;

    if (uid == 0) {
	why_set(why, "4.3.0", "delivery as root is not done");
	return KIND_FAIL;
    }
    if (pipe(status_pipe) < 0) {
	why_set(why, "4.3.0", "Delivery failed: pipe: %s", strerror(errno));
	return KIND_FAIL;
    }
    if (pipe(data_pipe) < 0) {
	why_set(why, "4.3.0", "Delivery failed: pipe: %s", strerror(errno));
	close(status_pipe[0]);
	close(status_pipe[1]);
	return KIND_FAIL;
    }
    switch (pid = fork()) {
    case -1:
	why_set(why, "4.3.0", "Delivery failed: fork: %s", strerror(errno));
	close(status_pipe[0]);
	close(status_pipe[1]);
	close(data_pipe[0]);
	close(data_pipe[1]);
	return KIND_FAIL;
    case 0:{
	    struct child_status cs;
	    close(status_pipe[0]);
	    close(data_pipe[0]);
	    child_setup(a);
	    if (drop_privileges(uid, gid, why) < 0)
		cs.status = KIND_FAIL;
	    else
		cs.status = fn(ctx, why, data_pipe[1]);
	    close(data_pipe[1]);
	    memcpy(cs.dsn, why->dsn, sizeof(cs.dsn));
	    /* The status, the reason, a NUL, the x-unix text. */
	    if (fd_write_all(status_pipe[1], &cs, sizeof(cs)) < 0
		|| fd_write_all(status_pipe[1], sb_str(&why->reason), why->reason.len) < 0
		|| fd_write_all(status_pipe[1], "", 1) < 0
		|| fd_write_all(status_pipe[1], sb_str(&why->dtext), why->dtext.len) < 0)
		_exit(1);
	    _exit(0);
	}
    default:
	break;
    }

    /* The parent: the payload first (the child writes it before its status). */
    close(status_pipe[1]);
    close(data_pipe[1]);
    char buf[8192];
    ssize_t n;
    size_t got = 0;
    while ((n = read(data_pipe[0], buf, sizeof(buf))) != 0) {
	if (n < 0) {
	    if (errno == EINTR)
		continue;
	    break;
	}
	if (payload != NULL && got < limit) {
	    size_t take = (size_t) n < limit - got ? (size_t) n : limit - got;
	    sb_addn(payload, buf, take);
	}
	got += (size_t) n;
    }
    close(data_pipe[0]);

    struct child_status cs;
    size_t have = 0;
    struct strbuf reason = STRBUF_INIT;
    while ((n = read(status_pipe[0], buf, sizeof(buf))) != 0) {
	if (n < 0) {
	    if (errno == EINTR)
		continue;
	    break;
	}
	size_t off = 0;
	if (have < sizeof(cs)) {
	    size_t take = (size_t) n < sizeof(cs) - have ? (size_t) n : sizeof(cs) - have;
	    memcpy((char *) &cs + have, buf, take);
	    have += take;
	    off = take;
	}
	sb_addn(&reason, buf + off, (size_t) n - off);
    }
    close(status_pipe[0]);

    int wstatus = 0;
    while (waitpid(pid, &wstatus, 0) < 0 && errno == EINTR)
	continue;
    int result;
    if (have < sizeof(cs)) {
	if (WIFSIGNALED(wstatus))
	    why_set(why, "4.3.0", "delivery process died with signal %d", WTERMSIG(wstatus));
	else
	    why_set(why, "4.3.0", "delivery process failed with status %d",
		    WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1);
	result = KIND_FAIL;
    } else {
	cs.dsn[DSN_SIZE - 1] = 0;
	memcpy(why->dsn, cs.dsn, sizeof(why->dsn));
	size_t rlen = strnlen(sb_str(&reason), reason.len);
	sb_reset(&why->reason);
	sb_addn(&why->reason, sb_str(&reason), rlen);
	sb_reset(&why->dtext);
	if (rlen < reason.len)
	    sb_addn(&why->dtext, sb_str(&reason) + rlen + 1, reason.len - rlen - 1);
	result = cs.status;
    }
    sb_free(&reason);
    return result;
}

/* The trampoline from local_run_as() to a kind. */
struct kind_call {
    const struct local_kind *kind;
    struct local_job *job;
};

static int kind_fn(void *ctx, struct local_why *why, int out)
{
    struct kind_call *call = ctx;
    int status = call->kind->deliver(call->job, why);

    /* What the parent wants back: the mailbox size before (for biff). */
    (void) fd_write_all(out, &call->job->end, sizeof(call->job->end));
    return status;
}

/* plan_note - local_deliver_batch()'s first pass: the leaf noted, not run */
static int plan_note(struct local_plan *plan, const struct local_kind *kind,
		     const struct local_job *job, struct local_why *why)
{
    if (kind != &local_kind_maildir || plan->nleaves++ > 0) {
	plan->spoiled = 1;
	why_set(why, "4.3.0", "delivered on its own");
	return KIND_FAIL;
    }
    plan->job = *job;
    plan->job.path = xstrdup(job->path);
    plan->job.shown = xstrdup(job->shown);
    plan->job.user = job->user ? xstrdup(job->user) : NULL;
    plan->job.sender = xstrdup(job->sender);
    plan->job.orig_rcpt = job->orig_rcpt ? xstrdup(job->orig_rcpt) : NULL;
    plan->job.delivered = job->delivered ? xstrdup(job->delivered) : NULL;
    return KIND_OK;
}

int local_run_kind(const struct local_kind *kind, struct local_job *job, struct local_why *why)
{
    if (job->a->plan != NULL)
	return plan_note(job->a->plan, kind, job, why);

    struct kind_call call = { kind, job };
    struct strbuf back = STRBUF_INIT;
    int status = local_run_as(job->a, job->uid, job->gid, kind_fn, &call, why, &back,
			      sizeof(job->end));

    if (back.len == sizeof(job->end))
	memcpy(&job->end, back.s, sizeof(job->end));
    sb_free(&back);
    return status;
}

/* ------------------------------------------------------------ stat, read */

static int stat_fn(void *ctx, struct local_why *why, int out)
{
    struct stat st;
    int32_t err = stat((const char *) ctx, &st) < 0 ? errno : 0;

    (void) why;
    return fd_write_all(out, &err, sizeof(err)) < 0 ? KIND_FAIL : KIND_OK;
}

int local_stat_as(const struct local_agent *a, uid_t uid, gid_t gid, const char *path)
{
    char *real = local_real_path(path);
    struct local_why why = { 0 };
    struct strbuf back = STRBUF_INIT;
    int32_t err = EIO;

    if (uid == 0) {
	struct stat st;
	err = stat(real, &st) < 0 ? errno : 0;
    } else if (local_run_as(a, uid, gid, stat_fn, real, &why, &back, sizeof(err)) == KIND_OK
	       && back.len == sizeof(err)) {
	memcpy(&err, back.s, sizeof(err));
    }
    free(real);
    why_free(&why);
    sb_free(&back);
    errno = err;
    return err ? -1 : 0;
}

#define READ_LIMIT	(64 * 1024 * 1024)

/* The fixed part of what a read reports. */
struct file_head {
    int32_t index, err, opened, outside;
    uint32_t mode, uid;
};

struct read_call {
    const char *const *paths;	/* as opened (under --root) */
    size_t npaths;
    unsigned flags;
    uid_t uid;
};

/* probe - the search and the read, wherever they run; content to out (fd) or file */
static void probe(const struct read_call *call, struct file_head *head, int out,
		  struct strbuf *content)
{
    struct stat st;

    memset(head, 0, sizeof(*head));
    head->index = -1;
    for (size_t i = 0; i < call->npaths; i++) {
	int rc = (call->flags & READ_LSTAT) ? lstat(call->paths[i], &st) : stat(call->paths[i], &st);
	if (rc == 0) {
	    head->index = (int32_t) i;
	    break;
	}
	head->err = errno;
    }
    if (head->index < 0)
	return;
    head->err = 0;
    head->mode = st.st_mode;
    head->uid = st.st_uid;
    if (!S_ISREG(st.st_mode) || (st.st_mode & S_IWOTH)
	|| ((call->flags & READ_OWNER) && st.st_uid != 0 && st.st_uid != call->uid))
	return;
    int fd = open(call->paths[head->index], O_RDONLY | O_NOCTTY | O_NONBLOCK);
    if (fd < 0) {
	head->err = errno;
	return;
    }
    char *outside = sysroot_fd_outside(fd);
    if (outside != NULL) {
	free(outside);
	close(fd);
	head->outside = 1;
	head->err = EPERM;
	return;
    }
    head->opened = 1;
    if (out >= 0 && fd_write_all(out, head, sizeof(*head)) < 0) {
	close(fd);
	return;
    }
    char buf[8192];
    ssize_t n;
    size_t total = 0;
    while ((n = read(fd, buf, sizeof(buf))) != 0) {
	if (n < 0) {
	    if (errno == EINTR)
		continue;
	    break;
	}
	if ((total += (size_t) n) > READ_LIMIT)
	    break;
	if (out >= 0) {
	    if (fd_write_all(out, buf, (size_t) n) < 0)
		break;
	} else {
	    sb_addn(content, buf, (size_t) n);
	}
    }
    close(fd);
}

static int read_fn(void *ctx, struct local_why *why, int out)
{
    struct file_head head;

    (void) why;
    probe(ctx, &head, out, NULL);
    /* Not opened: the head was not written yet. */
    if (!head.opened && fd_write_all(out, &head, sizeof(head)) < 0)
	return KIND_FAIL;
    return KIND_OK;
}

int local_read_as(const struct local_agent *a, uid_t uid, gid_t gid, const char *const *paths,
		  size_t npaths, unsigned flags, struct local_file *file, struct local_why *why)
{
    char **real = xcalloc(npaths + 1, sizeof(*real));
    struct read_call call = { (const char *const *) real, npaths, flags, uid };
    struct file_head head;
    int rc = 0;

    for (size_t i = 0; i < npaths; i++)
	real[i] = local_real_path(paths[i]);
    sb_reset(&file->content);
    if (uid == 0) {
	probe(&call, &head, -1, &file->content);
    } else {
	struct strbuf back = STRBUF_INIT;
	if (local_run_as(a, uid, gid, read_fn, &call, why, &back, READ_LIMIT + sizeof(head))
	    != KIND_OK || back.len < sizeof(head)) {
	    rc = -1;
	} else {
	    memcpy(&head, back.s, sizeof(head));
	    sb_addn(&file->content, back.s + sizeof(head), back.len - sizeof(head));
	}
	sb_free(&back);
    }
    if (rc == 0) {
	file->index = head.index;
	file->err = head.err;
	file->opened = head.opened;
	file->outside = head.outside;
	file->mode = head.mode;
	file->uid = head.uid;
    }
    for (size_t i = 0; i < npaths; i++)
	free(real[i]);
    free(real);
    return rc;
}

/* ------------------------------------------------------------ batch writers */

/*
 * A batch of Maildir writes for one user goes to a writer: a child that
 * gave up root for that uid and gid once, then takes batch after batch
 * on a socket, the queue files' descriptors passed along (SCM_RIGHTS),
 * until the process that started it closes the socket or exits. Forking
 * a child for each batch cost more than the writes of a small batch. At
 * most WRITERS_MAX are kept, the one used least recently goes first.
 *
 * A request is one packet: u32 n, then per job u32 copy_flags, i64
 * offset and length of the content in its descriptor, and the strings
 * path, shown, sender, orig_rcpt, delivered (u32 length, 0xffffffff for
 * none, then the bytes), with n descriptors. The answer: n i32 statuses.
 */
#define WRITERS_MAX	8
#define WRITER_JOBS	64		/* descriptors per packet stay well below SCM_MAX_FD */
#define WRITER_PACKET	(128 * 1024)
#define NO_STRING	0xffffffffu

struct batch_writer {
    const struct local_agent *a;
    uid_t uid;
    gid_t gid;
    pid_t pid;
    int sock;
    unsigned long used;		/* when last used (writer_clock) */
};

static struct batch_writer writers[WRITERS_MAX];
static size_t nwriters;
static unsigned long writer_clock;

static void put_u32(struct strbuf *b, uint32_t v)
{
    sb_addn(b, (const char *) &v, sizeof(v));
}

static void put_i64(struct strbuf *b, int64_t v)
{
    sb_addn(b, (const char *) &v, sizeof(v));
}

static void put_string(struct strbuf *b, const char *s)
{
    if (s == NULL) {
	put_u32(b, NO_STRING);
	return;
    }
    put_u32(b, (uint32_t) strlen(s));
    sb_adds(b, s);
}

/* take - len bytes at *pos of buf[0..size) into out: 0, or -1 past the end */
static int take(const char *buf, size_t size, size_t *pos, void *out, size_t len)
{
    if (size - *pos < len)
	return -1;
    memcpy(out, buf + *pos, len);
    *pos += len;
    return 0;
}

/* take_string - a string of the request, copied (NULL: none); 0, or -1 past the end */
static int take_string(const char *buf, size_t size, size_t *pos, char **out)
{
    uint32_t len;

    if (take(buf, size, pos, &len, sizeof(len)) < 0)
	return -1;
    if (len == NO_STRING) {
	*out = NULL;
	return 0;
    }
    if (size - *pos < len)
	return -1;
    *out = xstrndup(buf + *pos, len);
    *pos += len;
    return 0;
}

/* writer_batch - in the writer: one request's writes, its statuses back; 0, or -1 to stop */
static int writer_batch(const struct local_agent *a, int sock, char *buf)
{
    char cbuf[CMSG_SPACE(WRITER_JOBS * sizeof(int))];
    struct iovec iov = { buf, WRITER_PACKET };
    struct msghdr mh = { 0 };
    int fds[WRITER_JOBS];
    size_t nfds = 0;

    mh.msg_iov = &iov;
    mh.msg_iovlen = 1;
    mh.msg_control = cbuf;
    mh.msg_controllen = sizeof(cbuf);
    ssize_t got = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    if (got < 0 && errno == EINTR)
	return 0;
    if (got <= 0)
	return -1;
    for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c))
	if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
	    size_t k = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
	    for (size_t i = 0; i < k && nfds < WRITER_JOBS; i++)
		memcpy(&fds[nfds++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
	}

    size_t pos = 0, size = (size_t) got;
    uint32_t n = 0;
    int bad = (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)) != 0
	|| take(buf, size, &pos, &n, sizeof(n)) < 0 || n != nfds;
    struct local_job *jobs = xcalloc(nfds ? nfds : 1, sizeof(*jobs));
    struct local_message *msgs = xcalloc(nfds ? nfds : 1, sizeof(*msgs));
    int *status = xcalloc(nfds ? nfds : 1, sizeof(int));
    char **fields = xcalloc(5 * (nfds ? nfds : 1), sizeof(char *));
    /* The writer's own rights: it gave up root for them (writer_get()). */
    uid_t uid = geteuid();
    gid_t gid = getegid();
    for (size_t i = 0; !bad && i < n; i++) {
	uint32_t flags = 0;
	int64_t off = 0, len = 0;
	char **f = &fields[5 * i];
	bad = take(buf, size, &pos, &flags, sizeof(flags)) < 0
	    || take(buf, size, &pos, &off, sizeof(off)) < 0
	    || take(buf, size, &pos, &len, sizeof(len)) < 0;
	for (int k = 0; !bad && k < 5; k++)
	    bad = take_string(buf, size, &pos, &f[k]) < 0;
	/* path, shown and sender are always sent; orig_rcpt and delivered may be none. */
	bad = bad || f[0] == NULL || f[1] == NULL || f[2] == NULL;
	msgs[i] = (struct local_message) { .fd = fds[i], .offset = (off_t) off,
					   .length = (off_t) len };
	jobs[i] = (struct local_job) { .a = a, .msg = &msgs[i], .copy_flags = flags,
				       .path = f[0], .shown = f[1], .sender = f[2],
				       .orig_rcpt = f[3], .delivered = f[4], .uid = uid, .gid = gid };
    }
    int rc = -1;
    if (!bad) {
	local_maildir_batch(jobs, n, status);
	int32_t *back = xcalloc(n ? n : 1, sizeof(int32_t));
	for (size_t i = 0; i < n; i++)
	    back[i] = status[i];
	rc = send(sock, back, n * sizeof(int32_t), MSG_NOSIGNAL) < 0 ? -1 : 0;
	free(back);
    }
    for (size_t i = 0; i < nfds; i++)
	close(fds[i]);
    for (size_t i = 0; i < 5 * nfds; i++)
	free(fields[i]);
    free(fields);
    free(status);
    free(msgs);
    free(jobs);
    return rc;
}

static void writer_close(struct batch_writer *w)
{
    int status;

    close(w->sock);
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
	continue;
    *w = writers[--nwriters];
}

void local_writers_close(void)
{
    while (nwriters > 0)
	writer_close(&writers[nwriters - 1]);
}

/* writer_get - the writer of a for uid and gid, started if need be; NULL when none could be */
static struct batch_writer *writer_get(const struct local_agent *a, uid_t uid, gid_t gid)
{
    for (size_t i = 0; i < nwriters; i++)
	if (writers[i].a == a && writers[i].uid == uid && writers[i].gid == gid) {
	    writers[i].used = ++writer_clock;
	    return &writers[i];
	}
    if (uid == 0)
	return NULL;
    if (nwriters == WRITERS_MAX) {
	size_t old = 0;
	for (size_t i = 1; i < nwriters; i++)
	    if (writers[i].used < writers[old].used)
		old = i;
	writer_close(&writers[old]);
    }
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
	return NULL;
    pid_t pid = fork();
    if (pid < 0) {
	close(sv[0]);
	close(sv[1]);
	return NULL;
    }
    if (pid == 0) {
	struct local_why why = { 0 };
	/*
	 * Nothing of the parent's is kept open: the other writers' sockets
	 * (each must see its end of file when its parent closes it), the
	 * queue files of the batch at hand (they are passed when wanted),
	 * the delivery process's pipes.
	 */
	close_range(3, (unsigned) sv[1] - 1, 0);
	close_range((unsigned) sv[1] + 1, ~0u, 0);
	child_setup(a);
	if (drop_privileges(uid, gid, &why) < 0)
	    _exit(1);
	char *buf = xmalloc(WRITER_PACKET);
	while (writer_batch(a, sv[1], buf) == 0)
	    continue;
	_exit(0);
    }
    close(sv[1]);
    struct batch_writer *w = &writers[nwriters++];
    *w = (struct batch_writer) { a, uid, gid, pid, sv[0], ++writer_clock };
    return w;
}

/* writer_request - jobs[0..n) (n <= WRITER_JOBS) through w: 0 with status[], or -1 */
static int writer_request(struct batch_writer *w, const struct local_job *jobs, size_t n,
			  int *status)
{
    struct strbuf req = STRBUF_INIT;
    char cbuf[CMSG_SPACE(WRITER_JOBS * sizeof(int))];
    int rc = -1;

    memset(cbuf, 0, sizeof(cbuf));
    put_u32(&req, (uint32_t) n);
    for (size_t i = 0; i < n; i++) {
	put_u32(&req, jobs[i].copy_flags);
	put_i64(&req, (int64_t) jobs[i].msg->offset);
	put_i64(&req, (int64_t) jobs[i].msg->length);
	put_string(&req, jobs[i].path);
	put_string(&req, jobs[i].shown);
	put_string(&req, jobs[i].sender);
	put_string(&req, jobs[i].orig_rcpt);
	put_string(&req, jobs[i].delivered);
    }
    if (req.len <= WRITER_PACKET) {
	struct iovec iov = { req.s, req.len };
	struct msghdr mh = { 0 };
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = CMSG_SPACE(n * sizeof(int));
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(n * sizeof(int));
	for (size_t i = 0; i < n; i++)
	    memcpy(CMSG_DATA(c) + i * sizeof(int), &jobs[i].msg->fd, sizeof(int));
	int32_t back[WRITER_JOBS];
	ssize_t got;
	if (sendmsg(w->sock, &mh, MSG_NOSIGNAL) == (ssize_t) req.len) {
	    while ((got = recv(w->sock, back, sizeof(back), 0)) < 0 && errno == EINTR)
		continue;
	    if (got == (ssize_t) (n * sizeof(int32_t))) {
		for (size_t i = 0; i < n; i++)
		    status[i] = back[i];
		rc = 0;
	    }
	}
    }
    sb_free(&req);
    return rc;
}

int local_batch_write(const struct local_agent *a, uid_t uid, gid_t gid,
		      const struct local_job *jobs, size_t n, int *status)
{
    for (size_t i = 0; i < n; i++)
	status[i] = KIND_FAIL;
    for (size_t done = 0; done < n;) {
	size_t k = n - done < WRITER_JOBS ? n - done : WRITER_JOBS;
	struct batch_writer *w = writer_get(a, uid, gid);
	if (w == NULL)
	    return -1;
	if (writer_request(w, jobs + done, k, status + done) < 0) {
	    /* Gone or out of step: it goes, and what is left is delivered on its own. */
	    writer_close(w);
	    return -1;
	}
	done += k;
    }
    return 0;
}
