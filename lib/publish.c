/* publish - atomic replacement of a file, its temporary file tracked */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "publish.h"
#include "strbuf.h"
#include "xalloc.h"

#define MAX_HELD 8		/* temporary files one process has at once */
#define MAX_LINKS 40		/* as the kernel's limit on a chain of links */
#define TMP_SUFFIX ".tmp"
#define TMP_RANDOM 6		/* mkstemp's XXXXXX */

static const int cleanup_signals[] = { SIGHUP, SIGINT, SIGTERM };

/*
 * The temporary files this process has, for the signal handler and the
 * exit handler. Changed only with the signals blocked, so a handler never
 * sees a slot half-written.
 */
static char *volatile held[MAX_HELD];
static int handlers_installed;

void publish_remove_held(void)
{
    for (int i = 0; i < MAX_HELD; i++)
	if (held[i] != NULL)
	    (void) unlink(held[i]);
}

static void on_signal(int sig)
{
    int saved = errno;

    publish_remove_held();
    /* SA_RESETHAND put the default action back: die of the same signal. */
    raise(sig);
    errno = saved;
}

static void on_exit_remove(void)
{
    publish_remove_held();
}

/*
 * install_handlers - once: the exit handler, and the signal handlers for
 * the signals the process does not ignore (nohup's SIGHUP stays ignored).
 */
static void install_handlers(void)
{
    if (handlers_installed)
	return;
    handlers_installed = 1;
    atexit(on_exit_remove);
    for (size_t i = 0; i < sizeof(cleanup_signals) / sizeof(cleanup_signals[0]); i++) {
	struct sigaction old, sa;
	if (sigaction(cleanup_signals[i], NULL, &old) != 0 || old.sa_handler == SIG_IGN)
	    continue;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = SA_RESETHAND;
	(void) sigaction(cleanup_signals[i], &sa, NULL);
    }
}

void publish_defer_signals(sigset_t *saved)
{
    sigset_t set;

    sigemptyset(&set);
    for (size_t i = 0; i < sizeof(cleanup_signals) / sizeof(cleanup_signals[0]); i++)
	sigaddset(&set, cleanup_signals[i]);
    sigprocmask(SIG_BLOCK, &set, saved);
}

void publish_resume_signals(const sigset_t *saved)
{
    sigprocmask(SIG_SETMASK, saved, NULL);
}

/* track, untrack - add or drop a held path (signals deferred by the caller) */
static int track(char *path)
{
    for (int i = 0; i < MAX_HELD; i++) {
	if (held[i] == NULL) {
	    held[i] = path;
	    return 0;
	}
    }
    return -1;
}

static void untrack(const char *path)
{
    for (int i = 0; i < MAX_HELD; i++)
	if (held[i] == path)
	    held[i] = NULL;
}

/* dir_of - the directory part of path ("." for a bare name), a new string */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');

    if (slash == NULL)
	return xstrdup(".");
    if (slash == path)
	return xstrdup("/");
    return xstrndup(path, (size_t) (slash - path));
}

char *publish_target(const char *path)
{
    char *cur = xstrdup(path);
    struct strbuf link = STRBUF_INIT;

    for (int hops = 0; hops < MAX_LINKS; hops++) {
	struct stat st;
	if (lstat(cur, &st) != 0 || !S_ISLNK(st.st_mode))
	    break;
	/* The link's text, however long (st_size may be 0 for /proc links). */
	ssize_t n;
	size_t cap = st.st_size > 0 ? (size_t) st.st_size + 1 : 256;
	for (;;) {
	    sb_reset(&link);
	    sb_grow(&link, cap);
	    n = readlink(cur, link.s, cap);
	    if (n < 0 || (size_t) n < cap)
		break;
	    cap *= 2;
	}
	if (n <= 0)
	    break;
	link.s[n] = 0;
	char *next;
	if (link.s[0] == '/') {
	    next = xstrdup(link.s);
	} else {
	    char *dir = dir_of(cur);
	    next = xconcat(dir, "/", link.s, (char *) NULL);
	    free(dir);
	}
	free(cur);
	cur = next;
    }
    sb_free(&link);
    return cur;
}

int publish_sync_dir(const char *path)
{
    char *dir = dir_of(path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC), status = -1;

    free(dir);
    if (fd < 0)
	return -1;
    status = fsync(fd);
    if (status != 0 && errno == EINVAL)
	status = 0;		/* a file system that cannot sync directories */
    int saved = errno;
    close(fd);
    errno = saved;
    return status;
}

/* is_temp_name - name is base + ".tmp" + mkstemp's six characters */
static int is_temp_name(const char *name, const char *base, size_t base_len)
{
    if (strncmp(name, base, base_len) != 0
	|| strncmp(name + base_len, TMP_SUFFIX, strlen(TMP_SUFFIX)) != 0)
	return 0;
    const char *rand = name + base_len + strlen(TMP_SUFFIX);
    if (strlen(rand) != TMP_RANDOM)
	return 0;
    for (; *rand; rand++)
	if (!((*rand >= 'a' && *rand <= 'z') || (*rand >= 'A' && *rand <= 'Z')
	      || (*rand >= '0' && *rand <= '9')))
	    return 0;
    return 1;
}

void publish_clean_stale(const char *target)
{
    char *dir = dir_of(target);
    const char *slash = strrchr(target, '/');
    const char *base = slash ? slash + 1 : target;
    size_t base_len = strlen(base);
    DIR *d = opendir(dir);
    struct dirent *de;

    free(dir);
    if (d == NULL)
	return;
    while ((de = readdir(d)) != NULL) {
	if (!is_temp_name(de->d_name, base, base_len))
	    continue;
	int fd = openat(dirfd(d), de->d_name,
			O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat st, now;
	if (fd < 0)
	    continue;
	/*
	 * A writer holds its lock from just after creating the file until
	 * the file is gone or published: whoever gets the lock has a file
	 * nobody writes. It is removed while the lock is held, and only if
	 * the name still leads to the same file.
	 */
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && flock(fd, LOCK_EX | LOCK_NB) == 0
	    && fstatat(dirfd(d), de->d_name, &now, AT_SYMLINK_NOFOLLOW) == 0
	    && now.st_dev == st.st_dev && now.st_ino == st.st_ino)
	    (void) unlinkat(dirfd(d), de->d_name, 0);
	close(fd);
    }
    closedir(d);
}

int publish_begin(struct publish *p, const char *path, mode_t mode)
{
    sigset_t saved;
    struct stat st;
    int fd;

    memset(p, 0, sizeof(*p));
    p->fd = -1;
    p->target = publish_target(path);
    publish_clean_stale(p->target);
    install_handlers();
    p->tmp = xconcat(p->target, TMP_SUFFIX "XXXXXX", (char *) NULL);
    for (;;) {
	memset(p->tmp + strlen(p->tmp) - TMP_RANDOM, 'X', TMP_RANDOM);
	publish_defer_signals(&saved);
	fd = mkostemp(p->tmp, O_CLOEXEC);
	if (fd >= 0 && track(p->tmp) != 0) {
	    (void) unlink(p->tmp);
	    close(fd);
	    fd = -1;
	    errno = EMFILE;
	}
	publish_resume_signals(&saved);
	if (fd < 0) {
	    p->what = "create";
	    return -1;
	}
	/*
	 * Locked before anything is written. A cleaner that got the lock
	 * first (it saw the file in the instant before) has unlinked it:
	 * then start again with a new name.
	 */
	while (flock(fd, LOCK_EX) != 0 && errno == EINTR)
	    continue;
	if (fstat(fd, &st) == 0 && st.st_nlink > 0)
	    break;
	publish_defer_signals(&saved);
	untrack(p->tmp);
	publish_resume_signals(&saved);
	close(fd);
    }
    p->fd = fd;
    if (fchmod(fd, mode) != 0) {
	p->what = "chmod";
	publish_abort(p);
	return -1;
    }
    return 0;
}

int publish_commit(struct publish *p, int flags)
{
    sigset_t saved;
    int status;

    if (fsync(p->fd) != 0) {
	p->what = "fsync";
	return -1;
    }
    publish_defer_signals(&saved);
    if (flags & PUBLISH_NO_REPLACE) {
	p->what = "link";
	status = link(p->tmp, p->target);
	if (status == 0)
	    (void) unlink(p->tmp);
    } else {
	p->what = "rename";
	status = rename(p->tmp, p->target);
    }
    if (status == 0)
	untrack(p->tmp);
    publish_resume_signals(&saved);
    if (status != 0)
	return -1;
    /* The rename must survive a crash too; a directory that cannot be synced is not an error. */
    (void) publish_sync_dir(p->target);
    /* Closed last: the lock on the file kept readers out until it was whole and in place. */
    close(p->fd);
    p->fd = -1;
    p->what = NULL;
    return 0;
}

void publish_abort(struct publish *p)
{
    int saved_errno = errno;
    sigset_t saved;

    if (p->tmp != NULL) {
	publish_defer_signals(&saved);
	(void) unlink(p->tmp);
	untrack(p->tmp);
	publish_resume_signals(&saved);
    }
    if (p->fd >= 0)
	close(p->fd);
    p->fd = -1;
    errno = saved_errno;
}

void publish_free(struct publish *p)
{
    free(p->target);
    free(p->tmp);
    p->target = p->tmp = NULL;
}
