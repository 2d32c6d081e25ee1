/*
 * pfcd - the runtime: it maps a verified policy image, binds the inet
 * smtpd services of its master.cf, and runs three children under a small
 * supervisor (the master, root): the SMTP side (smtp_server.h, as
 * mail_owner: nothing that parses network input runs as root), pickup
 * (pickup.h, as mail_owner: it reads what local users submitted) and the
 * queue manager (qmgr.h, root, because local delivery runs each delivery
 * as its recipient). pfcd(8) is the manual.
 */
#include <errno.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include "listen.h"
#include "loader.h"
#include "pfcd_log.h"
#include "pickup.h"
#include "policy.h"
#include "qmgr.h"
#include "smtp_server.h"
#include "sysroot.h"
#include "xalloc.h"

static volatile sig_atomic_t got_term, got_hup, got_chld;

static void on_signal(int sig)
{
    if (sig == SIGTERM || sig == SIGINT)
	got_term = 1;
    else if (sig == SIGHUP)
	got_hup = 1;
    else if (sig == SIGCHLD)
	got_chld = 1;
}

static int usage(void)
{
    fprintf(stderr, "usage: pfcd [-f] [--root DIR] [--log=syslog|stderr|FILE]"
	    " [--log-format=postfix|json] POLICY.pfi\n");
    return 2;
}

/*
 * missing - the start-up error for an account or group that main.cf
 * names (parameter) and the system lacks: how to create it; exit status 1
 */
static int missing(const char *what, const char *parameter, const char *name, const char *create)
{
    fprintf(stderr, "pfcd: fatal: %s \"%s\" does not exist: create it with \"%s %s\","
	    " or set %s in main.cf and build the image again\n", what, name, create, name, parameter);
    return 1;
}

/* content_id - the image's content id in hex */
static void content_id(const struct image *img, char *buf, size_t size)
{
    size_t n = sizeof(img->header->content_id);

    buf[0] = 0;
    for (size_t i = 0; i < n && 2 * i + 2 < size; i++)
	snprintf(buf + 2 * i, 3, "%02x", img->header->content_id[i]);
}

/* drop_privileges - become mail_owner for good */
static int drop_privileges(const struct passwd *pw)
{
    if (geteuid() != 0)
	return 0;		/* already unprivileged: started as mail_owner */
    if (setgroups(0, NULL) < 0 || setgid(pw->pw_gid) < 0 || setuid(pw->pw_uid) < 0) {
	pfcd_log("master", "fatal: change to mail_owner %s: %m", pw->pw_name);
	return -1;
    }
    return 0;
}

struct child {
    const char *what;
    pid_t pid;
};

struct start {
    const char *image_path;
    struct image *img;
    const char *queue_dir;
    struct smtp_listener *listeners;
    size_t nlisteners;
    int wake[2];
    int ready[2];		/* the SMTP side's first start: it closes ready[1] once it serves */
    struct passwd owner;
};

enum kid { KID_SMTPD, KID_QMGR, KID_PICKUP, NKIDS };

/*
 * spawn - the SMTP side, the queue manager or pickup, in a child. Until
 * the child has set its own handlers, a signal the master sends it must
 * not run the master's, whose flag the child never reads (a SIGTERM
 * right after start-up was lost, and the master waited for that child
 * for ever): blocked across fork(), then SIGTERM and SIGINT end the
 * child and SIGHUP is ignored (it starts from the image just verified).
 */
static pid_t spawn(struct start *st, enum kid which)
{
    sigset_t block, old;

    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, &old);
    pid_t pid = fork();

    if (pid != 0) {
	sigprocmask(SIG_SETMASK, &old, NULL);
	return pid;
    }
    struct sigaction sa = { 0 };
    sa.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGHUP, &sa, NULL);
    sigprocmask(SIG_SETMASK, &old, NULL);
    if (which == KID_PICKUP) {
	for (size_t i = 0; i < st->nlisteners; i++)
	    close(st->listeners[i].fd);
	close(st->wake[0]);
	if (drop_privileges(&st->owner) < 0)
	    _exit(1);
	struct pickup_config cfg = { st->image_path, st->queue_dir, st->wake[1] };
	_exit(pickup_run(&cfg, st->img));
    }
    if (which == KID_SMTPD) {
	close(st->wake[0]);
	if (st->ready[0] >= 0)
	    close(st->ready[0]);
	if (drop_privileges(&st->owner) < 0)
	    _exit(1);
	struct smtp_server_config cfg = {
	    st->image_path, st->queue_dir, st->listeners, st->nlisteners, st->wake[1],
	    st->ready[1],
	};
	_exit(smtp_server_run(&cfg, st->img));
    }
    for (size_t i = 0; i < st->nlisteners; i++)
	close(st->listeners[i].fd);
    close(st->wake[1]);
    struct qmgr_config cfg = { st->image_path, st->queue_dir, st->wake[0] };
    _exit(qmgr_run(&cfg, st->img));
}

int main(int argc, char **argv)
{
    int foreground = 0, json = 0;
    const char *log_where = "syslog", *image_path = NULL;

    if ((argc = sysroot_take_option(argc, argv)) < 0)
	return 2;
    for (int i = 1; i < argc; i++) {
	const char *a = argv[i];
	if (strcmp(a, "-f") == 0)
	    foreground = 1;
	else if (strncmp(a, "--log=", 6) == 0)
	    log_where = a + 6;
	else if (strcmp(a, "--log-format=json") == 0)
	    json = 1;
	else if (strcmp(a, "--log-format=postfix") == 0)
	    json = 0;
	else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
	    usage();
	    return 0;
	} else if (a[0] == '-' && a[1] != 0)
	    return usage();
	else if (image_path == NULL)
	    image_path = a;
	else
	    return usage();
    }
    if (image_path == NULL)
	return usage();

    struct start st = { 0 };
    char *err = NULL;
    st.image_path = image_path;
    if (image_open(image_path, &st.img, &err) != IMAGE_OK) {
	/* pfc verify's message: the same verifier said it. */
	fprintf(stderr, "pfcd: %s\n", err);
	free(err);
	return 1;
    }
    struct policy main_view;
    policy_open_main(&main_view, st.img);
    const char *owner = policy_value(&main_view, "mail_owner");
    struct passwd *pw = getpwnam(owner);
    if (pw == NULL)
	return missing("mail_owner account", "mail_owner", owner,
		       "useradd --system --user-group --no-create-home --shell /usr/sbin/nologin");
    st.owner = *pw;
    st.owner.pw_name = xstrdup(pw->pw_name);
    if (geteuid() != 0 && geteuid() != pw->pw_uid) {
	fprintf(stderr, "pfcd: fatal: must start as root (to bind the listeners and become"
		" mail_owner %s) or as %s\n", owner, owner);
	return 1;
    }
    /* pfc-postdrop's group: only it may put files in maildrop/ (pickup.h). */
    const char *setgid_group = policy_value(&main_view, "setgid_group");
    struct group *gr = getgrnam(setgid_group);
    if (gr == NULL)
	return missing("setgid_group", "setgid_group", setgid_group, "groupadd --system");
    gid_t setgid_gid = gr->gr_gid;
    char *qdir = sysroot_path(policy_value(&main_view, "queue_directory"));
    st.queue_dir = qdir;
    if (pfcd_log_open(log_where, json) < 0)
	return 1;
    pfcd_log_identity(policy_value(&main_view, "myhostname"),
		      policy_value(&main_view, "syslog_name"));
    char cid[80];
    content_id(st.img, cid, sizeof(cid));
    pfcd_log_image(cid);
    policy_close(&main_view);

    struct strbuf serr = STRBUF_INIT;
    if (qmgr_create_dirs(qdir, st.owner.pw_uid, st.owner.pw_gid, &serr) < 0
	|| (geteuid() == 0 && pickup_create_dir(qdir, st.owner.pw_uid, setgid_gid, image_path, &serr) < 0)
	|| listen_services(st.img, &st.listeners, &st.nlisteners, &serr) < 0) {
	fprintf(stderr, "pfcd: fatal: %s\n", sb_str(&serr));
	return 1;
    }
    sb_free(&serr);
    if (pipe2(st.wake, O_CLOEXEC | O_NONBLOCK) < 0) {
	fprintf(stderr, "pfcd: fatal: pipe: %s\n", strerror(errno));
	return 1;
    }
    if (!foreground) {
	pid_t pid = fork();
	if (pid < 0) {
	    fprintf(stderr, "pfcd: fatal: fork: %s\n", strerror(errno));
	    return 1;
	}
	if (pid > 0)
	    return 0;
	setsid();
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
	    dup2(null, 0);
	    dup2(null, 1);
	    if (strcmp(log_where, "stderr") != 0)
		dup2(null, 2);
	    if (null > 2)
		close(null);
	}
    }

    struct sigaction sa = { 0 };
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    sigaction(SIGCHLD, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    /*
     * The SMTP side first, alone: the queue manager and pickup start once
     * it serves (or has died), so that they do not take the processors
     * from it on the way to its first 220. A restarted one has no wait.
     */
    struct child kids[NKIDS] = { {"smtpd", 0}, {"qmgr", 0}, {"pickup", 0} };
    if (pipe2(st.ready, O_CLOEXEC) < 0)
	st.ready[0] = st.ready[1] = -1;
    kids[KID_SMTPD].pid = spawn(&st, KID_SMTPD);
    if (st.ready[0] >= 0) {
	struct pollfd pf = { st.ready[0], POLLIN, 0 };
	close(st.ready[1]);
	/* A few seconds at most; a signal to stop ends the wait too. */
	while (poll(&pf, 1, 5000) < 0 && errno == EINTR && !got_term)
	    ;
	close(st.ready[0]);
	st.ready[0] = st.ready[1] = -1;
    }
    for (int i = 0; i < NKIDS; i++)
	if (i != KID_SMTPD)
	    kids[i].pid = spawn(&st, (enum kid) i);
    pfcd_log("master", "daemon started -- image %s, content id %.16s, %zu listener%s",
	     image_path, cid, st.nlisteners, st.nlisteners == 1 ? "" : "s");

    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGHUP);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, &old);
    int stopping = 0;
    for (;;) {
	/* Signals are blocked outside sigsuspend(): each wakes it once. */
	while (!(got_term && !stopping) && !got_hup && !got_chld)
	    sigsuspend(&old);
	if (got_term && !stopping) {
	    stopping = 1;
	    pfcd_log("master", "terminating on signal 15");
	    for (int i = 0; i < NKIDS; i++)
		if (kids[i].pid > 0)
		    kill(kids[i].pid, SIGTERM);
	}
	if (got_hup) {
	    got_hup = 0;
	    for (int i = 0; i < NKIDS; i++)
		if (kids[i].pid > 0)
		    kill(kids[i].pid, SIGHUP);
	}
	if (got_chld) {
	    got_chld = 0;
	    int status;
	    pid_t pid;
	    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (int i = 0; i < NKIDS; i++) {
		    if (kids[i].pid != pid)
			continue;
		    kids[i].pid = 0;
		    if (stopping)
			continue;
		    pfcd_log("master", "warning: process %s pid %ld exit status %d: restarting",
			     kids[i].what, (long) pid,
			     WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
		    sleep(1);
		    sigprocmask(SIG_SETMASK, &old, NULL);
		    kids[i].pid = spawn(&st, (enum kid) i);
		    sigprocmask(SIG_BLOCK, &block, NULL);
		}
	    }
	}
	int alive = 0;
	for (int i = 0; i < NKIDS; i++)
	    alive |= kids[i].pid != 0;
	if (stopping && !alive)
	    break;
    }
    listen_free(st.listeners, st.nlisteners);
    free(st.owner.pw_name);
    image_close(st.img);
    free(qdir);
    return 0;
}
