/*
 * local_maildir - the Maildir delivery kind (home_mailbox = Maildir/, a
 * mail_spool_directory or a /file/ ending in '/'), as local(8)'s
 * maildir.c: the message goes to tmp/SECONDS.PPID.HOST (created with
 * O_EXCL, mode 0600), is fsynced, hard-linked to
 * new/SECONDS.VDEVIxINODEMUSEC.HOST (device and inode in hex, the
 * microseconds of the same clock reading in decimal, HOST the kernel's
 * host name), and the tmp/ name removed. Missing directories (the
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

static int maildir_deliver(struct local_job *job, struct local_why *why)
{
    const struct local_agent *a = job->a;
    struct timeval start;
    char name[256];
    char *tmpdir = xconcat(job->path, "tmp/", (char *) NULL);
    char *newdir = xconcat(job->path, "new/", (char *) NULL);
    char *curdir = xconcat(job->path, "cur/", (char *) NULL);
    char *tmpfile, *newfile = NULL, *shown;
    int status = KIND_FAIL, fd;
    struct stat st;

    char *outside = local_outside(tmpdir);
    if (outside == NULL)
	outside = local_outside(newdir);
    if (outside != NULL) {
	why_set(why, "5.2.0", "create maildir file: it leads outside %s (to %s)", sysroot_get(),
		outside);
	free(outside);
	free(tmpdir);
	free(newdir);
	free(curdir);
	return KIND_FAIL;
    }
    gettimeofday(&start, NULL);
    snprintf(name, sizeof(name), "%lu.P%d.%s", (unsigned long) start.tv_sec, (int) getpid(),
	     a->hostname);
    tmpfile = xconcat(tmpdir, name, (char *) NULL);
    if ((fd = open(tmpfile, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY, 0600)) < 0
	&& (errno != ENOENT || make_dirs(tmpdir, 0700) < 0
	    || (fd = open(tmpfile, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY, 0600)) < 0)) {
	int err = errno;
	shown = shown_name(job, "tmp/", name);
	why_set(why, mbox_dsn(err, "5.2.0"), "create maildir file %s: %s", shown, strerror(err));
	free(shown);
	goto done;
    }
    (void) fcntl(fd, F_SETFD, FD_CLOEXEC);
    if ((outside = sysroot_fd_outside(fd)) != NULL) {
	why_set(why, "5.2.0", "create maildir file: it leads outside %s (to %s)", sysroot_get(),
		outside);
	free(outside);
	close(fd);
	(void) unlink(tmpfile);
	goto done;
    }
    if (fstat(fd, &st) < 0) {
	why_set(why, "4.3.0", "fstat %s: %s", tmpfile, strerror(errno));
	close(fd);
	(void) unlink(tmpfile);
	goto done;
    }
    snprintf(name, sizeof(name), "%lu.V%lxI%lxM%lu.%s", (unsigned long) start.tv_sec,
	     (unsigned long) st.st_dev, (unsigned long) st.st_ino,
	     (unsigned long) start.tv_usec, a->hostname);
    newfile = xconcat(newdir, name, (char *) NULL);
    status = local_copy_fd(job->msg, fd, job->copy_flags, job->sender, job->orig_rcpt,
			   job->delivered, a->enable_orcpt, 0, NULL, why);
    if (close(fd) < 0 && status == 0) {
	why_unix(why, mbox_dsn(errno, "5.3.0"), "input/output error",
		 "error writing message: %s", strerror(errno));
	status = KIND_FAIL;
    }
    if (status == 0 && link(tmpfile, newfile) < 0
	&& (errno != ENOENT || (make_dirs(curdir, 0700), make_dirs(newdir, 0700)) < 0
	    || link(tmpfile, newfile) < 0)) {
	int err = errno;
	shown = shown_name(job, "new/", name);
	why_set(why, mbox_dsn(err, "5.2.0"), "create maildir file %s: %s", shown, strerror(err));
	free(shown);
	status = KIND_FAIL;
    }
    (void) unlink(tmpfile);

  done:
    free(tmpdir);
    free(newdir);
    free(curdir);
    free(tmpfile);
    free(newfile);
    return status;
}

const struct local_kind local_kind_maildir = {
    .name = "maildir",
    .deliver = maildir_deliver,
};
