/* output - block-buffered standard output (see output.h for why) */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "output.h"

#define OUT_BUFSIZE 4096		/* Postfix's VSTREAM_BUFSIZE */

static char buffer[OUT_BUFSIZE];
static size_t used;
static int failed;		/* a write failed ... */
static int failed_errno;	/* ... with this error */

int out_flush(void)
{
    size_t off = 0;

    while (off < used) {
	ssize_t n = write(STDOUT_FILENO, buffer + off, used - off);
	if (n < 0 && errno == EINTR)
	    continue;
	if (n <= 0) {
	    failed = 1;
	    failed_errno = n < 0 ? errno : ENOSPC;
	    break;
	}
	off += (size_t) n;
    }
    used = 0;
    return failed ? -1 : 0;
}

void out_finish(void)
{
    if (out_flush() < 0) {
	diag_set_fatal_status(2);
	diag_fatal("write error on standard output: %s", strerror(failed_errno));
    }
}

void out_write(const char *data, size_t len)
{
    while (len > 0) {
	if (used == OUT_BUFSIZE)
	    out_flush();
	size_t n = OUT_BUFSIZE - used < len ? OUT_BUFSIZE - used : len;
	memcpy(buffer + used, data, n);
	used += n;
	data += n;
	len -= n;
    }
}

void out_puts(const char *s)
{
    out_write(s, strlen(s));
}

void out_putc(int ch)
{
    char c = (char) ch;

    out_write(&c, 1);
}
