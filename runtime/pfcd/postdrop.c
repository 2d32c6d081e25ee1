/*
 * pfc-postdrop - the one privileged step of local submission, as
 * Postfix's postdrop(1): installed set-group-id setgid_group (postdrop),
 * it creates a file in queue_directory/maildrop (mode 0730, mail_owner,
 * setgid_group: group members may create files there, nobody else may
 * even look) on behalf of the user who runs pfc sendmail.
 *
 *	pfc-postdrop QUEUE_DIRECTORY < FILE
 *
 * It parses nothing: pfcd's pickup reads the file as untrusted input
 * (maildrop.h). It refuses a directory that is not a maildrop made for
 * its group, and input that does not end as a complete maildrop file
 * ends (MAILDROP_END), so a pfc sendmail killed half-way leaves nothing.
 * As Postfix's postdrop, it refuses a user that authorized_submit_users
 * leaves out, before anything is made ("User NAME(UID) is not allowed to
 * submit mail", exit 1), with the policy of the image pfcd serves the
 * queue with (queue_directory/MAILDROP_POLICY, a link only root can
 * make), never one the user names.
 * As Postfix's postdrop, it names the file first and prints that queue ID
 * (sendmail -bs puts it in its Received header and its 250 reply), then
 * takes the bytes. The file is the user's (its owner is who submitted it:
 * pickup's uid=), on stable storage (fsync, then syncfs for its name: the
 * group cannot open the directory to fsync it) when it is made ready
 * (0744, as Postfix's maildrop files; pickup skips it until then). Exit
 * 0, or 75 (EX_TEMPFAIL) with a message on standard error and nothing
 * left behind.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "loader.h"
#include "maildrop.h"
#include "matchlist.h"
#include "policy.h"
#include "queue_id.h"

#define EX_TEMPFAIL	75

/* A sanitized build (tests only): LeakSanitizer cannot trace a set-group-id process. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define POSTDROP_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(POSTDROP_ASAN)
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
    return "detect_leaks=0";
}
#endif

static int dir_fd = -1;
static char tmp_name[64];

/* on_signal - interrupted: take the partial file away (async-signal-safe calls only) */
static void on_signal(int sig)
{
    (void) sig;
    if (dir_fd >= 0 && tmp_name[0])
	unlinkat(dir_fd, tmp_name, 0);
    _exit(EX_TEMPFAIL);
}

static int fail(const char *what, const char *detail)
{
    if (dir_fd >= 0 && tmp_name[0])
	unlinkat(dir_fd, tmp_name, 0);
    fprintf(stderr, "pfc-postdrop: fatal: %s%s%s\n", what, detail ? ": " : "",
	    detail ? detail : "");
    return EX_TEMPFAIL;
}

/*
 * submit_allowed - authorized_submit_users of the image that the queue
 * at queue_fd (named queue_dir) is served with: 0 when the real user may
 * submit; else what to exit with, said on standard error.
 */
static int submit_allowed(int queue_fd, const char *queue_dir)
{
    char target[4096];
    struct stat st;

    /* A link root made (pfcd); a user cannot make one owned by root. */
    if (fstatat(queue_fd, MAILDROP_POLICY, &st, AT_SYMLINK_NOFOLLOW) < 0) {
	fprintf(stderr, "pfc-postdrop: fatal: %s/%s: %s (pfcd links its image there when it"
		" starts as root)\n", queue_dir, MAILDROP_POLICY, strerror(errno));
	return EX_TEMPFAIL;
    }
    ssize_t n = S_ISLNK(st.st_mode) && st.st_uid == 0
	? readlinkat(queue_fd, MAILDROP_POLICY, target, sizeof(target)) : -1;
    if (n <= 0 || (size_t) n >= sizeof(target) || target[0] != '/') {
	fprintf(stderr, "pfc-postdrop: fatal: %s/%s is not a link root made to an image\n",
		queue_dir, MAILDROP_POLICY);
	return EX_TEMPFAIL;
    }
    target[n] = 0;

    struct image *img;
    char *err = NULL;
    if (image_open_lazy(target, &img, &err) != IMAGE_OK) {
	fprintf(stderr, "pfc-postdrop: fatal: %s\n", err);
	free(err);
	return EX_TEMPFAIL;
    }
    struct policy p;
    policy_open_main(&p, img);
    const char *who = match_user_acl(&p, "authorized_submit_users", (long) getuid());
    int rc = 0;
    if (who != NULL) {
	/* Postfix's postdrop: msg_fatal(), status 1. */
	fprintf(stderr, "pfc-postdrop: fatal: User %s(%ld) is not allowed to submit mail\n", who,
		(long) getuid());
	rc = 1;
    }
    policy_close(&p);
    image_close(img);
    return rc;
}

int main(int argc, char **argv)
{
    static const int sigs[] = { SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGPIPE };
    struct sigaction sa = { 0 };
    char path[4096];

    umask(077);
    /* A small RLIMIT_FSIZE must give a write error, not a kill that leaves the file. */
    signal(SIGXFSZ, SIG_IGN);
    sa.sa_handler = on_signal;
    for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
	sigaction(sigs[i], &sa, NULL);
    if (argc != 2 || argv[1][0] != '/') {
	fprintf(stderr, "usage: pfc-postdrop /QUEUE_DIRECTORY < maildrop-file\n");
	return EX_TEMPFAIL;
    }
    if ((size_t) snprintf(path, sizeof(path), "%s/%s", argv[1], MAILDROP_DIR) >= sizeof(path))
	return fail("queue directory name too long", NULL);

    /*
     * The group may write and search the maildrop, not read it: O_PATH
     * opens it for the *at() calls. It must be the maildrop of a queue,
     * made for this program's group: any other directory is refused, so
     * the group's privilege cannot be used to drop files elsewhere. The
     * queue directory is opened once, for the maildrop and the policy
     * link both: the two come from the same queue.
     */
    struct stat st;
    int queue_fd = open(argv[1], O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (queue_fd < 0)
	return fail(argv[1], strerror(errno));
    if ((dir_fd = openat(queue_fd, MAILDROP_DIR, O_PATH | O_DIRECTORY | O_NOFOLLOW
			 | O_CLOEXEC)) < 0)
	return fail(path, strerror(errno));
    if (fstat(dir_fd, &st) < 0)
	return fail(path, strerror(errno));
    if (st.st_gid != getegid() || (st.st_mode & 07777) != 0730) {
	fprintf(stderr, "pfc-postdrop: fatal: %s is not a maildrop of this group (mode %04o,"
		" group %ld; want 0730 and group %ld: is pfc-postdrop installed set-group-id"
		" setgid_group, and has pfcd created the queue?)\n", path,
		(unsigned) (st.st_mode & 07777), (long) st.st_gid, (long) getegid());
	return EX_TEMPFAIL;
    }

    int rc = submit_allowed(queue_fd, argv[1]);
    close(queue_fd);
    if (rc != 0)
	return rc;

    struct timeval tv;
    gettimeofday(&tv, NULL);
    snprintf(tmp_name, sizeof(tmp_name), "t%ld.%06ld.%ld", (long) tv.tv_sec, (long) tv.tv_usec,
	     (long) getpid());
    int fd = openat(dir_fd, tmp_name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
	int saved = errno;
	tmp_name[0] = 0;
	if (saved == EACCES)
	    return fail("create file in maildrop", "Permission denied (is pfc-postdrop installed"
			" set-group-id setgid_group?)");
	return fail("create file in maildrop", strerror(saved));
    }
    if (fstat(fd, &st) < 0)
	return fail("fstat maildrop file", strerror(errno));

    /* Its name is its queue ID; link() does not replace a file that has it already. */
    char id[32];
    for (int attempt = 0;; attempt++) {
	queue_id_make(id, sizeof(id), tv.tv_sec, tv.tv_usec, st.st_ino, 0);
	if (linkat(dir_fd, tmp_name, dir_fd, id, 0) == 0)
	    break;
	if (errno != EEXIST || attempt > 100)
	    return fail("name maildrop file", strerror(errno));
	gettimeofday(&tv, NULL);
    }
    unlinkat(dir_fd, tmp_name, 0);
    /* From here on the file goes by its ID (the signal handler removes that). */
    snprintf(tmp_name, sizeof(tmp_name), "%s", id);
    printf("%s\n", id);
    if (fflush(stdout) != 0)
	return fail("write the queue ID", strerror(errno));

    /* The input, to the file; its last bytes kept to see that it is complete. */
    char buf[65536], tail[sizeof(MAILDROP_END) - 1];
    size_t tail_len = 0;
    for (;;) {
	ssize_t n = read(0, buf, sizeof(buf));
	if (n < 0 && errno == EINTR)
	    continue;
	if (n < 0)
	    return fail("read standard input", strerror(errno));
	if (n == 0)
	    break;
	for (ssize_t off = 0; off < n;) {
	    ssize_t w = write(fd, buf + off, (size_t) (n - off));
	    if (w < 0 && errno == EINTR)
		continue;
	    if (w <= 0)
		return fail("write maildrop file", strerror(w < 0 ? errno : EIO));
	    off += w;
	}
	size_t keep = sizeof(tail);
	if ((size_t) n >= keep) {
	    memcpy(tail, buf + n - (ssize_t) keep, keep);
	    tail_len = keep;
	} else {
	    size_t old = tail_len + (size_t) n > keep ? keep - (size_t) n : tail_len;
	    memmove(tail, tail + tail_len - old, old);
	    memcpy(tail + old, buf, (size_t) n);
	    tail_len = old + (size_t) n;
	}
    }
    if (tail_len != sizeof(tail) || memcmp(tail, MAILDROP_END, sizeof(tail)) != 0)
	return fail("the input is not a complete maildrop file", "nothing queued");
    /* The bytes on stable storage, then the ready mode, its name and the file system. */
    if (fsync(fd) < 0 || fchmod(fd, 0744) < 0 || fsync(fd) < 0 || syncfs(fd) < 0)
	return fail("finish maildrop file", strerror(errno));
    close(fd);
    return 0;
}
