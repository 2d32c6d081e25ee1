/*
 * publish - put a new version of a file in place atomically, the one way
 * pfc writes its outputs (tables, images): a temporary file beside the
 * target, written, fsynced, renamed over the target, the directory
 * fsynced. A reader sees the old file or the new one, never a part.
 *
 * A target that is a symbolic link is written through: the temporary file
 * goes beside the file the link names, which is replaced, and the link
 * stays (as postmap writes through a link).
 *
 * The temporary file, TARGET.tmpXXXXXX (six random characters), is locked
 * (flock) by its writer for its whole life, and removed when the process
 * ends on SIGINT, SIGTERM or SIGHUP (the signal is then raised again with
 * its default action) or exits before publishing. One that a process
 * killed outright left behind is held by nobody: the next publish of the
 * same target removes it, and leaves alone those a live process holds.
 *
 * libc only: the runtime links this too.
 */
#ifndef PFC_PUBLISH_H
#define PFC_PUBLISH_H

#include <signal.h>
#include <sys/types.h>

struct publish {
    char *target;		/* the file replaced: the path, or what its links name */
    char *tmp;			/* the temporary file beside it */
    int fd;			/* open on tmp, locked; -1 once closed */
    const char *what;		/* on failure: the step ("create", "fsync", ...) */
};

/* Flags of publish_commit(). */
#define PUBLISH_NO_REPLACE	(1 << 0)	/* fail with EEXIST if the target exists */

/*
 * publish_target - the file a write to path lands in: path itself, or
 * the file its chain of symbolic links names (a new string).
 */
char *publish_target(const char *path);

/*
 * publish_begin - remove stale temporary files of path's target, then
 * create a new one with the given mode, open for writing on p->fd.
 * 0, or -1 with errno and p->what set (nothing is left behind).
 */
int publish_begin(struct publish *p, const char *path, mode_t mode);

/*
 * publish_commit - fsync p->fd, rename the temporary file over the
 * target (or with PUBLISH_NO_REPLACE link it there), fsync the
 * directory, close. 0, or -1 with errno and p->what set; the temporary
 * file is then still there, for publish_abort().
 */
int publish_commit(struct publish *p, int flags);

/* publish_abort - remove the temporary file, close (errno is kept) */
void publish_abort(struct publish *p);

/* publish_free - release p's strings, after a commit or an abort */
void publish_free(struct publish *p);

/*
 * publish_clean_stale - remove TARGET.tmpXXXXXX files that no process
 * holds (left by a process killed outright).
 */
void publish_clean_stale(const char *target);

/*
 * publish_remove_held - unlink every temporary file still held; safe in
 * a signal handler (mapfile's, when a mapped file shrinks)
 */
void publish_remove_held(void);

/* publish_sync_dir - fsync the directory of path; 0 or -1 with errno */
int publish_sync_dir(const char *path);

/*
 * publish_defer_signals, publish_resume_signals - hold SIGINT, SIGTERM
 * and SIGHUP while a file is being switched, as postmap does during an
 * update; a signal that came meanwhile is delivered at the resume.
 */
void publish_defer_signals(sigset_t *saved);
void publish_resume_signals(const sigset_t *saved);

#endif
