/*
 * local_maildir - the Maildir delivery kind (home_mailbox = Maildir/, a
 * mail_spool_directory or a /file/ ending in '/'), as local(8)'s
 * maildir.c: the message goes to tmp/SECONDS.PPID.HOST (created with
 * O_EXCL, mode 0600), is fsynced, and moved to
 * new/SECONDS.VDEVIxINODEMUSEC.HOST (device and inode in hex, the
 * microseconds of the same clock reading in decimal, HOST the kernel's
 * host name) never over another file, as local(8)'s link() and unlink()
 * do (move_new()). Missing directories (the
 * Maildir itself, tmp, new, cur) are made mode 0700. No "From " line, no
 * quoting, no empty line at the end: Return-Path:, X-Original-To: and
 * Delivered-To:, then the message.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "local_int.h"
#include "move_new.h"
#include "sysroot.h"
#include "xalloc.h"

/* make_dirs - mkdir -p path with mode for what is missing; 0 or -1 with errno */
static int make_dirs(const char *path, mode_t mode)
{
    char *copy = xstrdup(path);
    size_t len = strlen(copy);
    int rc = 0;

    while (len > 1 && copy[len - 1] == '/')
	copy[--len] = 0;
    for (char *p = copy + 1;; p++) {
	if (*p == '/' || *p == 0) {
	    char saved = *p;
	    *p = 0;
	    struct stat st;
	    if (stat(copy, &st) < 0) {
		if (errno != ENOENT || (mkdir(copy, mode) < 0 && errno != EEXIST)) {
		    rc = -1;
		    break;
		}
	    } else if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		rc = -1;
		break;
	    }
	    *p = saved;
	    if (saved == 0)
		break;
	}
    }
    int err = errno;
    free(copy);
    errno = err;
    return rc;
}

/* shown_name - the name dir/file as named (job->shown for job->path) */
static char *shown_name(const struct local_job *job, const char *sub, const char *file)
{
    return xconcat(job->shown, sub, file, (char *) NULL);
}

/* One Maildir file on its way: written under tmp/, then linked into new/. */
struct maildir_file {
    char *tmpfile;
    char *newdir, *curdir;
    char *newname;		/* its name in new/ */
    int fd;			/* open until it is synced */
};

static void maildir_file_free(struct maildir_file *f)
{
    if (f->fd >= 0)
	close(f->fd);
    free(f->tmpfile);
    free(f->newdir);
    free(f->curdir);
    free(f->newname);
    memset(f, 0, sizeof(*f));
    f->fd = -1;
}

/*
 * maildir_write - the message into a new file under tmp/, fsynced unless
 * the caller syncs a batch (nosync); seq numbers the files of a batch in
 * their tmp/ names (-1: one file, the name local(8) gives it). With
 * --root, tmp/ and new/ must not lead out of it: checked unless the
 * caller already checked job->path (checked). KIND_OK with f ready for
 * maildir_commit(), or KIND_FAIL with why (nothing left).
 */
static int maildir_write(struct local_job *job, long seq, int nosync, int checked,
			 struct maildir_file *f, struct local_why *why)
{
    const struct local_agent *a = job->a;
    struct timeval start;
    char name[256];
    char *tmpdir = xconcat(job->path, "tmp/", (char *) NULL);
    char *shown;
    int status = KIND_FAIL, fd;
    struct stat st;

    memset(f, 0, sizeof(*f));
    f->fd = -1;
    f->newdir = xconcat(job->path, "new/", (char *) NULL);
    f->curdir = xconcat(job->path, "cur/", (char *) NULL);
    char *outside = checked ? NULL : local_outside(tmpdir);
    if (outside == NULL && !checked)
	outside = local_outside(f->newdir);
    if (outside != NULL) {
	why_set(why, "5.2.0", "create maildir file: it leads outside %s (to %s)", sysroot_get(),
		outside);
	free(outside);
	free(tmpdir);
	maildir_file_free(f);
	return KIND_FAIL;
    }
    gettimeofday(&start, NULL);
    if (seq < 0)
	snprintf(name, sizeof(name), "%lu.P%d.%s", (unsigned long) start.tv_sec, (int) getpid(),
		 a->hostname);
    else
	snprintf(name, sizeof(name), "%lu.P%dQ%ld.%s", (unsigned long) start.tv_sec,
		 (int) getpid(), seq, a->hostname);
    f->tmpfile = xconcat(tmpdir, name, (char *) NULL);
    if ((fd = open(f->tmpfile, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY, 0600)) < 0
	&& (errno != ENOENT || make_dirs(tmpdir, 0700) < 0
	    || (fd = open(f->tmpfile, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY, 0600)) < 0)) {
	int err = errno;
	shown = shown_name(job, "tmp/", name);
	why_set(why, mbox_dsn(err, "5.2.0"), "create maildir file %s: %s", shown, strerror(err));
	free(shown);
	free(f->tmpfile);
	f->tmpfile = NULL;	/* not ours: nothing to remove */
	goto done;
    }
    (void) fcntl(fd, F_SETFD, FD_CLOEXEC);
    f->fd = fd;
    if ((outside = sysroot_fd_outside(fd)) != NULL) {
	why_set(why, "5.2.0", "create maildir file: it leads outside %s (to %s)", sysroot_get(),
		outside);
	free(outside);
	goto done;
    }
    if (fstat(fd, &st) < 0) {
	why_set(why, "4.3.0", "fstat %s: %s", f->tmpfile, strerror(errno));
	goto done;
    }
    snprintf(name, sizeof(name), "%lu.V%lxI%lxM%lu.%s", (unsigned long) start.tv_sec,
	     (unsigned long) st.st_dev, (unsigned long) st.st_ino,
	     (unsigned long) start.tv_usec, a->hostname);
    f->newname = xstrdup(name);
    status = local_copy_fd(job->msg, fd, job->copy_flags | (nosync ? COPY_NOSYNC : 0),
			   job->sender, job->orig_rcpt, job->delivered, a->enable_orcpt, 0, NULL,
			   why);

  done:
    free(tmpdir);
    if (status != KIND_OK) {
	if (f->tmpfile)
	    (void) unlink(f->tmpfile);
	maildir_file_free(f);
    }
    return status;
}

/* maildir_commit - close f (written and synced) and link it into new/; tmp/ forgets it */
static int maildir_commit(struct local_job *job, struct maildir_file *f, struct local_why *why)
{
    int status = KIND_OK;

    if (close(f->fd) < 0) {
	why_unix(why, mbox_dsn(errno, "5.3.0"), "input/output error",
		 "error writing message: %s", strerror(errno));
	status = KIND_FAIL;
    }
    f->fd = -1;
    char *newfile = xconcat(f->newdir, f->newname, (char *) NULL);
    if (status == KIND_OK && move_new(f->tmpfile, newfile) < 0
	&& (errno != ENOENT || (make_dirs(f->curdir, 0700), make_dirs(f->newdir, 0700)) < 0
	    || move_new(f->tmpfile, newfile) < 0)) {
	int err = errno;
	char *shown = shown_name(job, "new/", f->newname);
	why_set(why, mbox_dsn(err, "5.2.0"), "create maildir file %s: %s", shown, strerror(err));
	free(shown);
	status = KIND_FAIL;
    }
    if (status != KIND_OK)
	(void) unlink(f->tmpfile);
    free(newfile);
    maildir_file_free(f);
    return status;
}

static int maildir_deliver(struct local_job *job, struct local_why *why)
{
    struct maildir_file f;

    if (maildir_write(job, -1, 0, 0, &f, why) != KIND_OK)
	return KIND_FAIL;
    return maildir_commit(job, &f, why);
}

void local_maildir_batch(struct local_job *jobs, size_t n, int *status)
{
    /* The Q number of the tmp/ names: unique for the life of the (writer) process. */
    static long serial;
    struct maildir_file *files = xcalloc(n, sizeof(*files));
    struct local_why why = { 0 };
    int any = -1;

    for (size_t i = 0; i < n; i++) {
	/* A Maildir written to once in this batch was checked then (the same user's). */
	int checked = 0;
	for (size_t j = 0; j < i && !checked; j++)
	    checked = status[j] == KIND_OK && strcmp(jobs[j].path, jobs[i].path) == 0;
	status[i] = maildir_write(&jobs[i], serial++, 1, checked, &files[i], &why);
	if (status[i] == KIND_OK)
	    any = files[i].fd;
    }
    /*
     * Every file on stable storage before any is linked into new/: one
     * syncfs() for all. Where it fails (or reports an error), each file
     * is fsynced on its own, and only a file that fails that is lost.
     */
    int synced = any >= 0 && syncfs(any) == 0;
    for (size_t i = 0; i < n; i++) {
	if (status[i] != KIND_OK)
	    continue;
	if (!synced && fsync(files[i].fd) < 0) {
	    (void) unlink(files[i].tmpfile);
	    maildir_file_free(&files[i]);
	    status[i] = KIND_FAIL;
	    continue;
	}
	status[i] = maildir_commit(&jobs[i], &files[i], &why);
    }
    why_free(&why);
    free(files);
}

const struct local_kind local_kind_maildir = {
    .name = "maildir",
    .deliver = maildir_deliver,
};
