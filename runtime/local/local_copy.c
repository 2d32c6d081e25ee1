/*
 * local_copy - the message as local(8) writes it (Postfix's mail_copy()):
 * the "From " line, Return-Path:, X-Original-To: and Delivered-To: that
 * the delivery asks for, then the queued content with ">" before a line
 * that starts with "From " (mboxo quoting, only where asked), and an
 * empty line after it (mbox). Also the scan of the message's headers for
 * Delivered-To: (loop detection).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr822.h"
#include "local_int.h"
#include "matchlist.h"
#include "xalloc.h"

void why_set(struct local_why *why, const char *dsn, const char *fmt, ...)
{
    va_list ap;

    snprintf(why->dsn, sizeof(why->dsn), "%s", dsn);
    sb_reset(&why->reason);
    sb_reset(&why->dtext);
    va_start(ap, fmt);
    sb_vprintf(&why->reason, fmt, ap);
    va_end(ap);
}

void why_unix(struct local_why *why, const char *dsn, const char *dtext, const char *fmt, ...)
{
    va_list ap;

    snprintf(why->dsn, sizeof(why->dsn), "%s", dsn);
    sb_reset(&why->reason);
    va_start(ap, fmt);
    sb_vprintf(&why->reason, fmt, ap);
    va_end(ap);
    sb_set(&why->dtext, dtext);
}

void why_free(struct local_why *why)
{
    sb_free(&why->reason);
    sb_free(&why->dtext);
}

void why_prepend(struct local_why *why, const char *fmt, ...)
{
    struct strbuf head = STRBUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    sb_vprintf(&head, fmt, ap);
    va_end(ap);
    sb_adds(&head, sb_str(&why->reason));
    sb_free(&why->reason);
    why->reason = head;
}

const char *mbox_dsn(int err, const char *def_dsn)
{
    if (err == EAGAIN || err == ESTALE)
	return "4.2.0";
    if (err == ENOSPC)
	return "4.3.0";
    if (err == EDQUOT || err == EFBIG)
	return "5.2.2";
    return def_dsn;
}

/* ------------------------------------------------------------ reading */

/*
 * The content, line by line, read with pread() so that the descriptor's
 * offset is nobody's business (the queue may share it).
 */
struct reader {
    int fd;
    off_t pos, end;
    char buf[65536];
    size_t head, tail;
    struct strbuf long_line;	/* a line that does not fit the buffer */
    int error;			/* errno of a read error */
    int short_read;		/* the file ended before length */
};

static void reader_init(struct reader *r, const struct local_message *msg)
{
    r->fd = msg->fd;
    r->pos = msg->offset;
    r->end = msg->offset + msg->length;
    r->head = r->tail = 0;
    r->long_line = (struct strbuf) STRBUF_INIT;
    r->error = r->short_read = 0;
}

/* fill - read more after what is buffered; returns bytes read, 0 at the end, -1 */
static ssize_t fill(struct reader *r)
{
    if (r->head > 0) {
	memmove(r->buf, r->buf + r->head, r->tail - r->head);
	r->tail -= r->head;
	r->head = 0;
    }
    size_t room = sizeof(r->buf) - r->tail;
    if (room == 0 || r->pos >= r->end)
	return 0;
    if ((off_t) room > r->end - r->pos)
	room = (size_t) (r->end - r->pos);
    ssize_t n;
    do {
	n = pread(r->fd, r->buf + r->tail, room, r->pos);
    } while (n < 0 && errno == EINTR);
    if (n < 0) {
	r->error = errno;
	return -1;
    }
    if (n == 0) {
	r->short_read = 1;
	return 0;
    }
    r->tail += (size_t) n;
    r->pos += n;
    return n;
}

/*
 * next_line - the next line with its LF (none on a last partial line):
 * 1 with *line, *len; 0 at the end; -1 on a read error or short file.
 */
static int next_line(struct reader *r, const char **line, size_t *len)
{
    sb_reset(&r->long_line);
    for (;;) {
	char *nl = memchr(r->buf + r->head, '\n', r->tail - r->head);
	if (nl != NULL) {
	    size_t n = (size_t) (nl + 1 - (r->buf + r->head));
	    if (r->long_line.len > 0) {
		sb_addn(&r->long_line, r->buf + r->head, n);
		*line = r->long_line.s;
		*len = r->long_line.len;
	    } else {
		*line = r->buf + r->head;
		*len = n;
	    }
	    r->head += n;
	    return 1;
	}
	if (r->tail - r->head == sizeof(r->buf)) {
	    /* A line longer than the buffer: collect it. */
	    sb_addn(&r->long_line, r->buf + r->head, r->tail - r->head);
	    r->head = r->tail;
	}
	ssize_t got = fill(r);
	if (got < 0 || r->short_read)
	    return -1;
	if (got == 0) {
	    size_t rest = r->tail - r->head;
	    if (rest == 0 && r->long_line.len == 0)
		return 0;
	    sb_addn(&r->long_line, r->buf + r->head, rest);
	    r->head = r->tail;
	    *line = r->long_line.s;
	    *len = r->long_line.len;
	    return 1;
	}
    }
}

/* ------------------------------------------------------------ writing */

struct writer {
    local_sink_fn sink;
    void *ctx;
    char buf[65536];
    size_t n;
    int failed;
    int error;
};

static void w_flush(struct writer *w)
{
    if (!w->failed && w->n > 0 && w->sink(w->ctx, w->buf, w->n) < 0) {
	w->failed = 1;
	w->error = errno;
    }
    w->n = 0;
}

static void w_add(struct writer *w, const char *data, size_t len)
{
    if (w->failed)
	return;
    if (len >= sizeof(w->buf)) {
	w_flush(w);
	if (!w->failed && w->sink(w->ctx, data, len) < 0) {
	    w->failed = 1;
	    w->error = errno;
	}
	return;
    }
    if (w->n + len > sizeof(w->buf))
	w_flush(w);
    memcpy(w->buf + w->n, data, len);
    w->n += len;
}

static void w_adds(struct writer *w, const char *s)
{
    w_add(w, s, strlen(s));
}

int local_copy(const struct local_message *msg, local_sink_fn sink, void *ctx, unsigned flags,
	       const char *sender, const char *orig_rcpt, const char *delivered,
	       int enable_orcpt, struct local_why *why)
{
    /* Two 64 kB buffers: not on the stack of a child process. */
    struct writer *wp = xmalloc(sizeof(*wp));
    struct reader *rp = xmalloc(sizeof(*rp));
    struct strbuf buf = STRBUF_INIT;
    int status = 0;

#define w (*wp)
#define r (*rp)
    w.sink = sink;
    w.ctx = ctx;
    w.n = 0;
    w.failed = 0;
    w.error = 0;

    if (flags & (COPY_FROM | COPY_RETURN_PATH)) {
	a822_quote_local(&buf, sender, A822_QUOTE_8BITCLEAN);
	if (flags & COPY_FROM) {
	    char date[64];
	    time_t now = time(NULL);
	    struct tm tm;
	    /* asctime()'s 24 characters: "Sun Dec  6 19:37:26 2026" */
	    if (asctime_r(localtime_r(&now, &tm), date) == NULL)
		snprintf(date, sizeof(date), "%ld", (long) now);
	    w_adds(&w, "From ");
	    w_adds(&w, *sender ? sb_str(&buf) : "MAILER-DAEMON");
	    w_adds(&w, "  ");
	    w_add(&w, date, strnlen(date, 24));
	    w_adds(&w, "\n");
	}
	if (flags & COPY_RETURN_PATH) {
	    w_adds(&w, "Return-Path: <");
	    w_adds(&w, *sender ? sb_str(&buf) : "");
	    w_adds(&w, ">\n");
	}
    }
    if ((flags & COPY_ORIG_RCPT) && enable_orcpt && orig_rcpt && *orig_rcpt) {
	sb_reset(&buf);
	a822_quote_local(&buf, orig_rcpt, A822_QUOTE_8BITCLEAN);
	w_adds(&w, "X-Original-To: ");
	w_adds(&w, sb_str(&buf));
	w_adds(&w, "\n");
    }
    if (flags & COPY_DELIVERED) {
	sb_reset(&buf);
	a822_quote_local(&buf, delivered, A822_QUOTE_8BITCLEAN);
	w_adds(&w, "Delivered-To: ");
	w_adds(&w, sb_str(&buf));
	w_adds(&w, "\n");
    }
    sb_free(&buf);

    reader_init(&r, msg);
    const char *line;
    size_t len;
    int got = 0;
    while (!w.failed && (got = next_line(&r, &line, &len)) > 0) {
	if ((flags & COPY_QUOTE) && len >= 5 && memcmp(line, "From ", 5) == 0)
	    w_add(&w, ">", 1);
	w_add(&w, line, len);
	/* A last line without its end gets one, as a record does. */
	if (line[len - 1] != '\n')
	    w_add(&w, "\n", 1);
    }
    if (!w.failed && got < 0) {
	if (r.error) {
	    why_unix(why, r.error == EAGAIN || r.error == ESTALE ? "4.3.0" : "5.3.0",
		     "input/output error", "error reading message: %s", strerror(r.error));
	    status = KIND_FAIL;
	} else {
	    why_set(why, "4.3.0", "error reading message: message file is shorter than queued");
	    status = KIND_CORRUPT;
	}
    }
    if (status == 0 && (flags & COPY_BLANK))
	w_add(&w, "\n", 1);
    w_flush(&w);
    sb_free(&r.long_line);
    if (w.failed) {
	why_unix(why, mbox_dsn(w.error, "5.3.0"), "input/output error",
		 "error writing message: %s", strerror(w.error));
	status = KIND_FAIL;
    }
    int error = w.error;
    free(wp);
    free(rp);
    errno = error;
    return status;
#undef w
#undef r
}

/* The sink of local_copy_fd(): write(), with a deadline when given one. */
struct fd_sink {
    int fd;
    time_t deadline;
    int timed_out;
};

static int fd_write(void *ctx, const char *data, size_t len)
{
    struct fd_sink *s = ctx;

    while (len > 0) {
	if (s->deadline) {
	    time_t left = s->deadline - time(NULL);
	    struct pollfd p = { .fd = s->fd, .events = POLLOUT };
	    int n = left > 0 ? poll(&p, 1, (int) (left * 1000)) : 0;
	    if (n < 0 && errno == EINTR)
		continue;
	    if (n <= 0) {
		s->timed_out = 1;
		errno = ETIMEDOUT;
		return -1;
	    }
	}
	ssize_t n = write(s->fd, data, len);
	if (n < 0) {
	    if (errno == EINTR)
		continue;
	    return -1;
	}
	data += n;
	len -= (size_t) n;
    }
    return 0;
}

int local_copy_fd(const struct local_message *msg, int fd, unsigned flags, const char *sender,
		  const char *orig_rcpt, const char *delivered, int enable_orcpt,
		  time_t deadline, int *timed_out, struct local_why *why)
{
    struct fd_sink s = { fd, deadline, 0 };
    off_t orig_length = 0;
    int status;

    if ((flags & COPY_TOFILE) && (orig_length = lseek(fd, 0, SEEK_END)) < 0) {
	why_set(why, "4.3.0", "error writing message: seek: %s", strerror(errno));
	return KIND_FAIL;
    }
    status = local_copy(msg, fd_write, &s, flags, sender, orig_rcpt, delivered,
			enable_orcpt, why);
    if ((flags & COPY_TOFILE) && !(flags & COPY_NOSYNC) && status == 0 && fsync(fd) < 0) {
	why_unix(why, mbox_dsn(errno, "5.3.0"), "input/output error",
		 "error writing message: %s", strerror(errno));
	status = KIND_FAIL;
    }
    /* Undo a partial append; a failure to undo is not worth another error. */
    if ((flags & COPY_TOFILE) && status != 0 && ftruncate(fd, orig_length) < 0)
	errno = 0;
    if (timed_out)
	*timed_out = s.timed_out;
    return status;
}

/* ------------------------------------------------------------ headers */

void local_scan_delivered(const struct local_message *msg, struct strmap *set, int utf8)
{
    struct reader *r = xmalloc(sizeof(*r));
    struct strbuf value = STRBUF_INIT, folded = STRBUF_INIT;
    const char *line;
    size_t len;

    reader_init(r, msg);
    while (set->used < 1000 && next_line(r, &line, &len) > 0) {
	size_t body = len > 0 && line[len - 1] == '\n' ? len - 1 : len;
	size_t name = header_name_len(line, body);
	if (name > 0) {
	    if (name == 12 && strncasecmp(line, "Delivered-To", 12) == 0) {
		const char *cp = line + 13, *end = line + body;
		while (cp < end && (*cp == ' ' || *cp == '\t'))
		    cp++;
		sb_reset(&value);
		sb_addn(&value, cp, (size_t) (end - cp));
		sb_reset(&folded);
		match_casefold(&folded, sb_str(&value), utf8);
		strmap_put(set, sb_str(&folded), NULL);
	    }
	} else if (body == 0 || (line[0] != ' ' && line[0] != '\t')) {
	    break;
	}
    }
    sb_free(&value);
    sb_free(&folded);
    sb_free(&r->long_line);
    free(r);
}
