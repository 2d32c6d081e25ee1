/* qmgr_trigger - the queue manager's wake-up FIFO (see qmgr_trigger.h) */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "qmgr_trigger.h"
#include "xalloc.h"

int qmgr_trigger_open(const char *queue_dir)
{
    char *dir = xconcat(queue_dir, "/" QMGR_TRIGGER_DIR, (char *) NULL);
    char *path = xconcat(queue_dir, "/" QMGR_TRIGGER_FIFO, (char *) NULL);
    struct stat st;
    int fd = -1;

    /* 0755: any user reaches the FIFO, and only the FIFO (the queues stay 0700). */
    if (mkdir(dir, 0755) < 0 && errno != EEXIST)
	goto out;
    if (lstat(path, &st) == 0 && !S_ISFIFO(st.st_mode))
	unlink(path);
    if (mkfifo(path, 0622) < 0 && errno != EEXIST)
	goto out;
    /* The umask may have taken the write bits of "other" off. */
    chmod(path, 0622);
    /* Read-write: the FIFO never reads as closed when the last writer leaves. */
    fd = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
  out:
    free(dir);
    free(path);
    return fd;
}

int qmgr_trigger_read(int fd)
{
    char buf[256];
    ssize_t n;
    int all = 0;

    while ((n = read(fd, buf, sizeof(buf))) > 0)
	all |= memchr(buf, QMGR_REQ_SCAN_ALL, (size_t) n) != NULL;
    return all;
}

int qmgr_trigger_send(const char *queue_dir, const char *requests)
{
    char *path = xconcat(queue_dir, "/" QMGR_TRIGGER_FIFO, (char *) NULL);
    struct stat st;
    int fd, rc = -1, saved;

    /* Write-only and non-blocking: ENXIO when nobody reads, never a hang. */
    fd = open(path, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    saved = errno;
    free(path);
    if (fd < 0) {
	errno = saved;
	return -1;
    }
    if (fstat(fd, &st) < 0 || !S_ISFIFO(st.st_mode))
	saved = ENXIO;
    else if (write(fd, requests, strlen(requests)) == (ssize_t) strlen(requests))
	rc = 0;
    else
	saved = errno;
    close(fd);
    errno = saved;
    return rc;
}
