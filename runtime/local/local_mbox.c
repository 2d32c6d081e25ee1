/*
 * local_mbox - the mbox delivery kind: the spool mailbox
 * ($mail_spool_directory/USER), a home_mailbox file and a /file of an
 * alias or .forward. As local(8) does it (mbox_open(), safe_open(),
 * dot_lockfile(), deliver_flock()): a dotlock PATH.lock made with
 * O_EXCL (a stale one, older than stale_lock_time, removed), the file
 * opened or created without following a link an ordinary user made
 * (mode 0600), a kernel lock (fcntl and/or flock, per
 * mailbox_delivery_lock), each tried deliver_lock_attempts times
 * deliver_lock_delay apart, then the message appended and fsynced, or
 * the file cut back to its old size. Debian's mail readers (mutt, s-nail,
 * bsd-mailx through liblockfile) take the same dotlock and fcntl lock.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "local_int.h"
#include "sysroot.h"
#include "xalloc.h"

/* lock_sleep - deliver_lock_delay, give or take a quarter, as rand_sleep() */
static void lock_sleep(int delay)
{
    long usec = (long) delay * 1000000L;
    long jitter = usec / 2;

    if (jitter > 0)
	usec += random() % jitter - jitter / 2;
    if (usec > 0) {
	struct timespec ts = { usec / 1000000L, (usec % 1000000L) * 1000L };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
	    continue;
    }
}

/* dot_lock - PATH.lock as dot_lockfile() makes it; 0 or -1 with errno */
static int dot_lock(const struct local_job *job, const char *lock_file)
{
    const struct local_agent *a = job->a;

    for (int count = 1;; count++) {
	int fd = open(lock_file, O_WRONLY | O_EXCL | O_CREAT, 0);
	if (fd >= 0) {
	    close(fd);
	    return 0;
	}
	if (count >= a->flock_tries || errno != EEXIST)
	    return -1;
	/* Break a lock older than stale_lock_time; give up if that fails. */
	struct stat st;
	if (stat(lock_file, &st) == 0 && time(NULL) > st.st_ctime + a->flock_stale
	    && unlink(lock_file) < 0 && errno != ENOENT)
	    return -1;
	lock_sleep(a->flock_delay);
    }
}

/* kernel_lock - deliver_flock(): fcntl or flock, tried flock_tries times */
static int kernel_lock(const struct local_job *job, int fd, int use_flock)
{
    for (int i = 1;; i++) {
	int rc;
	if (use_flock) {
	    rc = flock(fd, LOCK_EX | LOCK_NB);
	} else {
	    struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	    rc = fcntl(fd, F_SETLK, &fl);
	    if (rc < 0 && errno == EACCES)
		errno = EAGAIN;
	}
	if (rc == 0)
	    return 0;
	if (i >= job->a->flock_tries)
	    return -1;
	lock_sleep(job->a->flock_delay);
    }
}

/*
 * open_existing - safe_open()'s open of an existing file: one hard link,
 * not a directory, and no symbolic link unless root made it in a
 * directory only root may change. -1 with why->reason and errno.
 */
static int open_existing(const char *path, int flags, struct stat *st, struct local_why *why)
{
    int fd = open(path, (flags & ~(O_CREAT | O_EXCL)) | O_NOCTTY, 0);
    struct stat lst;

    if (fd < 0) {
	int err = errno;
	why_set(why, "", "cannot open file: %s", strerror(err));
	errno = err;
	return -1;
    }
    if (fstat(fd, st) < 0) {
	why_set(why, "", "bad open file status: %s", strerror(errno));
	errno = EIO;
    } else if (st->st_nlink != 1) {
	why_set(why, "", "file has %d hard links", (int) st->st_nlink);
	errno = EPERM;
    } else if (S_ISDIR(st->st_mode)) {
	why_set(why, "", "file is a directory");
	errno = EISDIR;
    } else if (lstat(path, &lst) < 0) {
	int err = errno;
	why_set(why, "", "file status changed unexpectedly: %s", strerror(err));
	errno = EPERM;
    } else if (S_ISLNK(lst.st_mode)) {
	char *copy = xstrdup(path);
	struct stat pst;
	int ok = lst.st_uid == 0 && stat(dirname(copy), &pst) == 0 && pst.st_uid == 0
	    && (pst.st_mode & (S_IWGRP | S_IWOTH)) == 0;
	free(copy);
	if (ok)
	    return fd;
	why_set(why, "", "file is a symbolic link");
	errno = EPERM;
    } else if (st->st_dev != lst.st_dev || st->st_ino != lst.st_ino
	       || st->st_nlink != lst.st_nlink || st->st_mode != lst.st_mode) {
	why_set(why, "", "file status changed unexpectedly");
	errno = EPERM;
    } else {
	return fd;
    }
    int err = errno;
    close(fd);
    errno = err;
    return -1;
}

/* safe_open - open or create path for appending (safe_open() with O_CREAT) */
static int safe_open(const char *path, int flags, struct stat *st, struct local_why *why)
{
    int fd = open_existing(path, flags, st, why);

    if (fd < 0 && errno == ENOENT) {
	fd = open(path, flags | O_CREAT | O_EXCL | O_NOCTTY, 0600);
	if (fd >= 0) {
	    if (fstat(fd, st) < 0) {
		int err = errno;
		close(fd);
		errno = err;
		why_set(why, "", "bad open file status: %s", strerror(err));
		return -1;
	    }
	    return fd;
	}
	int err = errno;
	why_set(why, "", "cannot create file exclusively: %s", strerror(err));
	errno = err;
	if (err == EEXIST)
	    fd = open_existing(path, flags, st, why);
    }
    return fd;
}

static int mbox_deliver(struct local_job *job, struct local_why *why)
{
    const char *path = job->path;
    char *lock_file = xconcat(path, ".lock", (char *) NULL);
    int locked_dot = 0, fd = -1, status = KIND_FAIL;
    struct stat st;

    job->end = 0;
    char *outside = local_outside(path);
    if (outside != NULL) {
	why_set(why, "5.2.0", "cannot open file: it leads outside %s (to %s)", sysroot_get(),
		outside);
	free(outside);
	goto done;
    }
    /*
     * The dotlock first, and only for a regular file (or none yet): not
     * for /dev/null and friends.
     */
    if ((job->lock_mask & MBOX_DOT_LOCK) && (stat(path, &st) < 0 || S_ISREG(st.st_mode))) {
	if (dot_lock(job, lock_file) == 0) {
	    locked_dot = 1;
	} else if (errno == EEXIST) {
	    why_set(why, mbox_dsn(EAGAIN, "5.2.0"), "unable to create lock file %s.lock: %s",
		    job->shown, strerror(EEXIST));
	    goto done;
	} else if (!(job->lock_mask & MBOX_DOT_LOCK_MAY_FAIL)) {
	    int err = errno;
	    why_set(why, mbox_dsn(err, "5.2.0"), "unable to create lock file %s.lock: %s",
		    job->shown, strerror(err));
	    goto done;
	}
    }
    if ((fd = safe_open(path, O_APPEND | O_WRONLY | O_NONBLOCK, &st, why)) < 0) {
	snprintf(why->dsn, sizeof(why->dsn), "%s", mbox_dsn(errno, "5.2.0"));
	goto done;
    }
    (void) fcntl(fd, F_SETFD, FD_CLOEXEC);
    if ((outside = sysroot_fd_outside(fd)) != NULL) {
	why_set(why, "5.2.0", "cannot open file: it leads outside %s (to %s)", sysroot_get(),
		outside);
	free(outside);
	goto done;
    }
    if (S_ISREG(st.st_mode)) {
	if (((job->lock_mask & MBOX_FLOCK_LOCK) && kernel_lock(job, fd, 1) < 0)
	    || ((job->lock_mask & MBOX_FCNTL_LOCK) && kernel_lock(job, fd, 0) < 0)) {
	    int err = errno;
	    why_set(why, mbox_dsn(err, "5.2.0"), "unable to lock for exclusive access: %s",
		    strerror(err));
	    goto done;
	}
	/* Someone replaced the file while we waited for the lock (GNU pop3d does). */
	if (fstat(fd, &st) < 0 || st.st_nlink != 1) {
	    why_set(why, mbox_dsn(EAGAIN, "5.2.0"), "target file status changed unexpectedly");
	    goto done;
	}
    }
    if (job->mailbox) {
	/* The user's mailbox. */
	if (!S_ISREG(st.st_mode)) {
	    why_set(why, "5.2.0", "destination %s is not a regular file", job->shown);
	    goto done;
	}
	if (job->strict_owner && st.st_uid != job->owner_uid) {
	    why_set(why, "4.2.0", "destination %s is not owned by recipient", job->shown);
	    goto done;
	}
    } else if (S_ISREG(st.st_mode) && (st.st_mode & (S_IXUSR | S_IXGRP | S_IXOTH))) {
	why_set(why, "5.7.1", "file is executable");
	goto done;
    }
    job->end = lseek(fd, 0, SEEK_END);
    status = local_copy_fd(job->msg, fd, S_ISREG(st.st_mode) ? job->copy_flags
			   : job->copy_flags & ~COPY_TOFILE, job->sender, job->orig_rcpt,
			   job->delivered, job->a->enable_orcpt, 0, NULL, why);
    if (close(fd) < 0 && status == 0) {
	why_unix(why, mbox_dsn(errno, "5.3.0"), "input/output error",
		 "error writing message: %s", strerror(errno));
	status = KIND_FAIL;
    }
    fd = -1;

  done:
    if (fd >= 0)
	close(fd);
    if (locked_dot)
	(void) unlink(lock_file);
    free(lock_file);
    return status;
}

const struct local_kind local_kind_mbox = {
    .name = "mailbox",
    .deliver = mbox_deliver,
};
