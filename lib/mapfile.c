/* mapfile - a regular file's bytes mapped read-only, NUL after them */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "diag.h"
#include "fdio.h"
#include "mapfile.h"
#include "publish.h"
#include "xalloc.h"

#define MAX_MAPPED 64		/* files mapped at once; more are read */

/*
 * The mapped files, for the SIGBUS handler: each slot's range and the
 * whole line to print, composed when the file is mapped (a handler may
 * not format). Changed only with SIGBUS blocked.
 */
static struct mapped {
    uintptr_t start, end;
    char *message;
} slots[MAX_MAPPED];

/* on_sigbus - a mapped file shrank: say which, clean up, exit 1 */
static void on_sigbus(int sig, siginfo_t *info, void *uctx)
{
    uintptr_t at = (uintptr_t) info->si_addr;

    (void) uctx;
    for (int i = 0; i < MAX_MAPPED; i++) {
	struct mapped *m = &slots[i];
	if (m->message != NULL && at >= m->start && at < m->end) {
	    (void) fd_write_all(STDERR_FILENO, m->message, strlen(m->message));
	    publish_remove_held();
	    _exit(1);
	}
    }
    /* Not one of ours: die of it as if no handler were there. */
    signal(sig, SIG_DFL);
    raise(sig);
}

static void block_sigbus(sigset_t *saved)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGBUS);
    sigprocmask(SIG_BLOCK, &set, saved);
}

char *mapfile_text(int fd, size_t len, const char *path)
{
    size_t page = (size_t) sysconf(_SC_PAGESIZE);
    size_t file_span = (len + page - 1) / page * page;
    size_t span = len % page == 0 ? len + page : file_span;
    sigset_t saved;
    int slot = -1;
    char *base;

    block_sigbus(&saved);
    for (int i = 0; i < MAX_MAPPED && slot < 0; i++)
	if (slots[i].message == NULL)
	    slot = i;
    sigprocmask(SIG_SETMASK, &saved, NULL);
    if (slot < 0 || len == 0)
	return NULL;
    /*
     * Room for the file and the NUL: anonymous zeros, with the file
     * mapped over its start. A file ending inside a page is followed by
     * zeros in that page already; one that fills its last page gets the
     * anonymous page after it.
     */
    base = mmap(NULL, span, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED)
	return NULL;
    if (mmap(base, file_span, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_POPULATE, fd, 0) == MAP_FAILED) {
	munmap(base, span);
	return NULL;
    }
    /* Ours, unless something has put its own there since (a test harness). */
    struct sigaction sa;
    if (sigaction(SIGBUS, NULL, &sa) == 0 && sa.sa_sigaction != on_sigbus) {
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_sigbus;
	sa.sa_flags = SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	(void) sigaction(SIGBUS, &sa, NULL);
    }
    char *message = xconcat(diag_program(), ": fatal: ", path,
			    ": file truncated while it was being read\n", (char *) NULL);
    block_sigbus(&saved);
    slots[slot].start = (uintptr_t) base;
    slots[slot].end = (uintptr_t) base + file_span;
    slots[slot].message = message;
    sigprocmask(SIG_SETMASK, &saved, NULL);
    return base;
}

void mapfile_release(char *text, size_t len)
{
    size_t page = (size_t) sysconf(_SC_PAGESIZE);
    size_t span = len % page == 0 ? len + page : (len + page - 1) / page * page;
    sigset_t saved;
    char *message = NULL;

    block_sigbus(&saved);
    for (int i = 0; i < MAX_MAPPED; i++)
	if (slots[i].message != NULL && slots[i].start == (uintptr_t) text) {
	    message = slots[i].message;
	    slots[i].message = NULL;
	}
    sigprocmask(SIG_SETMASK, &saved, NULL);
    free(message);
    munmap(text, span);
}
