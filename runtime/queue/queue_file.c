/* queue_file - write and read pfcd's queue files (see queue_file.h, pfc-queue(5)) */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "fdio.h"
#include "move_new.h"
#include "queue_file.h"
#include "queue_id.h"
#include "xalloc.h"

/* ------------------------------------------------------------ records */

/* queue_rec_put - one record: TYPE LENGTH ':' DATA '\n' */
void queue_rec_put(struct strbuf *out, int type, const char *data, size_t len)
{
    sb_printf(out, "%c%zu:", type, len);
    sb_addn(out, data, len);
    sb_addch(out, '\n');
}

static void put_str(struct strbuf *out, int type, const char *s)
{
    queue_rec_put(out, type, s, strlen(s));
}

int queue_rec_get(const char *map, size_t size, size_t *pos, int *type,
		  const char **data, size_t *len)
{
    size_t p = *pos, n = 0;

    if (p >= size)
	return -1;
    *type = (unsigned char) map[p++];
    if (p >= size || map[p] < '0' || map[p] > '9')
	return -1;
    while (p < size && map[p] >= '0' && map[p] <= '9') {
	if (n > (size_t) 1 << 40)
	    return -1;
	n = n * 10 + (size_t) (map[p++] - '0');
    }
    if (p >= size || map[p++] != ':')
	return -1;
    if (size - p < n + 1 || map[p + n] != '\n')
	return -1;
    *data = map + p;
    *len = n;
    *pos = p + n + 1;
    return 0;
}

/* ------------------------------------------------------------ writer */

struct qw_rcpt {
    char *address, *orig, *orcpt;
    int notify;
};

struct queue_writer {
    char *dir;			/* queue_dir/incoming */
    char *path;
    char id[32];
    int fd;
    time_t sec;
    long usec;
    char *sender;
    struct strbuf attrs;	/* QREC_ATTR records, ready */
    struct qw_rcpt *rcpts;
    size_t nrcpts, cap;
    struct strbuf content;
};

struct queue_writer *queue_writer_open(const char *queue_dir, int long_ids, struct strbuf *err)
{
    struct queue_writer *w = xcalloc(1, sizeof(*w));
    static unsigned long serial;

    w->fd = -1;
    w->dir = xconcat(queue_dir, "/" QUEUE_INCOMING, (char *) NULL);
    for (int attempt = 0; attempt < 100; attempt++) {
	struct timeval tv;
	struct stat st;
	char tmp[64];

	gettimeofday(&tv, NULL);
	snprintf(tmp, sizeof(tmp), "%ld.%ld.%lu", (long) tv.tv_usec, (long) getpid(), serial++);
	char *tpath = xconcat(w->dir, "/", tmp, (char *) NULL);
	int fd = open(tpath, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
	    sb_printf(err, "create file %s: %s", tpath, strerror(errno));
	    free(tpath);
	    break;
	}
	if (fstat(fd, &st) < 0) {
	    sb_printf(err, "fstat %s: %s", tpath, strerror(errno));
	    close(fd);
	    unlink(tpath);
	    free(tpath);
	    break;
	}
	queue_id_make(w->id, sizeof(w->id), tv.tv_sec, tv.tv_usec, st.st_ino, long_ids);
	char *path = xconcat(w->dir, "/", w->id, (char *) NULL);
	/* Never in place of another: an ID in use elsewhere in incoming/ is not taken. */
	if (move_new(tpath, path) == 0) {
	    free(tpath);
	    w->fd = fd;
	    w->path = path;
	    w->sec = tv.tv_sec;
	    w->usec = tv.tv_usec;
	    return w;
	}
	int saved = errno;
	close(fd);
	unlink(tpath);
	free(tpath);
	free(path);
	if (saved != EEXIST) {
	    sb_printf(err, "rename to %s/%s: %s", w->dir, w->id, strerror(saved));
	    break;
	}
    }
    if (err->len == 0)
	sb_printf(err, "no free queue ID in %s", w->dir);
    free(w->dir);
    free(w);
    return NULL;
}

const char *queue_writer_id(const struct queue_writer *w)
{
    return w->id;
}

int queue_writer_fd(const struct queue_writer *w)
{
    return w->fd;
}

void queue_writer_time(struct queue_writer *w, time_t sec, long usec)
{
    w->sec = sec;
    w->usec = usec;
}

void queue_writer_sender(struct queue_writer *w, const char *sender)
{
    free(w->sender);
    w->sender = xstrdup(sender);
}

void queue_writer_attr(struct queue_writer *w, const char *name, const char *value)
{
    struct strbuf rec = STRBUF_INIT;

    sb_printf(&rec, "%s=%s", name, value);
    queue_rec_put(&w->attrs, QREC_ATTR, rec.s, rec.len);
    sb_free(&rec);
}

void queue_writer_rcpt(struct queue_writer *w, const char *address, const char *orig,
		       const char *orcpt, int notify)
{
    if (w->nrcpts == w->cap) {
	w->cap = w->cap ? 2 * w->cap : 8;
	w->rcpts = xrealloc(w->rcpts, w->cap * sizeof(*w->rcpts));
    }
    struct qw_rcpt *r = &w->rcpts[w->nrcpts++];
    r->address = xstrdup(address);
    r->orig = xstrdup(orig ? orig : "");
    r->orcpt = xstrdup(orcpt ? orcpt : "");
    r->notify = notify;
}

void queue_writer_content(struct queue_writer *w, const char *data, size_t len)
{
    sb_addn(&w->content, data, len);
}

static void writer_free(struct queue_writer *w)
{
    if (w->fd >= 0)
	close(w->fd);
    for (size_t i = 0; i < w->nrcpts; i++) {
	free(w->rcpts[i].address);
	free(w->rcpts[i].orig);
	free(w->rcpts[i].orcpt);
    }
    free(w->rcpts);
    sb_free(&w->attrs);
    sb_free(&w->content);
    free(w->sender);
    free(w->path);
    free(w->dir);
    free(w);
}

void queue_writer_abort(struct queue_writer *w)
{
    if (w == NULL)
	return;
    if (w->path)
	unlink(w->path);
    writer_free(w);
}

/* queue_sync_dir - fsync a directory, so the names in it survive a crash */
int queue_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd < 0)
	return -1;
    int rc = fsync(fd);
    int saved = errno;
    close(fd);
    errno = saved;
    return rc;
}

int queue_writer_finish(struct queue_writer *w, int flags, char **path, struct strbuf *err)
{
    struct strbuf out = STRBUF_INIT;
    char tbuf[64];

    put_str(&out, QREC_VERSION, QUEUE_FILE_MAGIC);
    put_str(&out, QREC_ID, w->id);
    snprintf(tbuf, sizeof(tbuf), "%lld.%06ld", (long long) w->sec, w->usec);
    put_str(&out, QREC_TIME, tbuf);
    put_str(&out, QREC_SENDER, w->sender ? w->sender : "");
    sb_addn(&out, w->attrs.s ? w->attrs.s : "", w->attrs.len);
    for (size_t i = 0; i < w->nrcpts; i++) {
	struct qw_rcpt *r = &w->rcpts[i];
	put_str(&out, QREC_RCPT, r->address);
	if (*r->orig)
	    put_str(&out, QREC_ORIG, r->orig);
	if (*r->orcpt)
	    put_str(&out, QREC_ORCPT, r->orcpt);
	if (r->notify) {
	    snprintf(tbuf, sizeof(tbuf), "%d", r->notify);
	    put_str(&out, QREC_NOTIFY, tbuf);
	}
    }
    /* The content as received may end without a line end: give it one. */
    if (w->content.len > 0 && w->content.s[w->content.len - 1] != '\n')
	sb_addch(&w->content, '\n');
    queue_rec_put(&out, QREC_CONTENT, w->content.s ? w->content.s : "", w->content.len);
    queue_rec_put(&out, QREC_END, "", 0);

    int rc = 0;
    if (w->nrcpts == 0) {
	sb_printf(err, "%s: no recipients", w->id);
	rc = -1;
    } else if (fd_write_all(w->fd, out.s, out.len) < 0) {
	sb_printf(err, "write queue file %s: %s", w->path, strerror(errno));
	rc = -1;
    } else if (fchmod(w->fd, 0700) < 0) {
	sb_printf(err, "fchmod queue file %s: %s", w->path, strerror(errno));
	rc = -1;
    } else if ((flags & QW_SYNC) && (fsync(w->fd) < 0 || queue_sync_dir(w->dir) < 0)) {
	sb_printf(err, "fsync queue file %s: %s", w->path, strerror(errno));
	rc = -1;
    }
    sb_free(&out);
    if (rc < 0) {
	queue_writer_abort(w);
	return -1;
    }
    if (path != NULL) {
	*path = w->path;
	w->path = NULL;
    }
    writer_free(w);
    return 0;
}

/* ------------------------------------------------------------ reader */

/* Files up to this size are read into memory, larger ones mapped. */
#define QUEUE_READ_MAX	(256 * 1024)

/* owned - a string the message owns (an update made after it was read) */
static const char *owned(struct queue_msg *m, const char *data, size_t len);

struct queue_msg_own {
    char **strs;
    size_t n, cap;
};

static const char *owned(struct queue_msg *m, const char *data, size_t len)
{
    struct queue_msg_own *o = m->own;

    if (o->n == o->cap) {
	o->cap = o->cap ? 2 * o->cap : 8;
	o->strs = xrealloc(o->strs, o->cap * sizeof(*o->strs));
    }
    char *s = xmalloc(len + 1);
    memcpy(s, data, len);
    s[len] = 0;
    o->strs[o->n++] = s;
    return s;
}

/* apply_update - "INDEX STATUS DSN REASON" onto the recipient it names */
static void apply_update(struct queue_msg *m, const char *data, size_t len)
{
    const char *end = data + len, *cp = data;
    size_t index = 0;

    if (cp == end || *cp < '0' || *cp > '9')
	return;
    while (cp < end && *cp >= '0' && *cp <= '9')
	index = index * 10 + (size_t) (*cp++ - '0');
    if (index >= m->nrcpts || end - cp < 3 || cp[0] != ' ' || cp[2] != ' ')
	return;
    int status = cp[1];
    if (status != QRCPT_DEFERRED && status != QRCPT_SENT && status != QRCPT_BOUNCED)
	return;
    cp += 3;
    const char *sp = memchr(cp, ' ', (size_t) (end - cp));
    if (sp == NULL)
	return;
    struct queue_rcpt *r = &m->rcpts[index];
    r->status = (enum qrcpt_status) status;
    r->dsn = owned(m, cp, (size_t) (sp - cp));
    r->reason = owned(m, sp + 1, (size_t) (end - sp - 1));
    /* A report belongs to the update it follows. */
    r->action = r->relay = r->diag_type = r->diag_text = "";
}

/* rec_index - the decimal INDEX at *cp, moved past it and one space; -1 when none */
static long rec_index(const char **cp, const char *end)
{
    long index = 0;

    if (*cp == end || **cp < '0' || **cp > '9')
	return -1;
    while (*cp < end && **cp >= '0' && **cp <= '9' && index < 1000000000)
	index = index * 10 + (**cp - '0'), (*cp)++;
    if (*cp < end && **cp == ' ')
	(*cp)++;
    return index;
}

/* rec_word - the next word at *cp ("-": empty), moved past it and one space */
static const char *rec_word(struct queue_msg *m, const char **cp, const char *end)
{
    const char *sp = memchr(*cp, ' ', (size_t) (end - *cp));
    const char *w = *cp;
    size_t n = (size_t) ((sp ? sp : end) - w);

    *cp = sp ? sp + 1 : end;
    return n == 1 && *w == '-' ? "" : owned(m, w, n);
}

/* apply_report - "INDEX ACTION RELAY DIAGTYPE DIAGTEXT" onto its recipient */
static void apply_report(struct queue_msg *m, const char *data, size_t len)
{
    const char *end = data + len, *cp = data;
    long index = rec_index(&cp, end);

    if (index < 0 || (size_t) index >= m->nrcpts)
	return;
    struct queue_rcpt *r = &m->rcpts[index];
    r->action = rec_word(m, &cp, end);
    r->relay = rec_word(m, &cp, end);
    r->diag_type = rec_word(m, &cp, end);
    r->diag_text = owned(m, cp, (size_t) (end - cp));
}

/* apply_notice - "KIND INDEX...": those recipients have had that notice */
static void apply_notice(struct queue_msg *m, const char *data, size_t len)
{
    const char *end = data + len, *cp = data + 1;
    int kind = len == 0 ? 0 : data[0] == 'f' ? QNOTICE_FAILURE
	: data[0] == 's' ? QNOTICE_SUCCESS : data[0] == 'd' ? QNOTICE_DELAY
	: data[0] == 'e' ? QNOTICE_EXPANDED : 0;

    if (kind == QNOTICE_DELAY)
	m->warned = 1;
    if (cp < end && *cp == ' ')
	cp++;
    for (long index; kind && (index = rec_index(&cp, end)) >= 0;)
	if (kind == QNOTICE_EXPANDED && (size_t) index < m->nexpanded)
	    m->expanded[index].notified = 1;
	else if (kind != QNOTICE_EXPANDED && (size_t) index < m->nrcpts)
	    m->rcpts[index].notified |= kind;
}

void queue_expanded_put(struct strbuf *out, const struct queue_expanded *e)
{
    const char *fields[] = { e->address, e->orig, e->orcpt, e->status, e->reason,
	e->diag_type, e->diag_text, e->action
    };
    struct strbuf data = STRBUF_INIT;

    sb_printf(&data, "%zu", e->rcpt);
    sb_addn(&data, "", 1);
    sb_printf(&data, "%d", e->notify);
    sb_addn(&data, "", 1);
    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
	sb_adds(&data, fields[i] ? fields[i] : "");
	sb_addn(&data, "", 1);
    }
    queue_rec_put(out, QREC_EXPANDED, data.s, data.len);
    sb_free(&data);
}

/* apply_expanded - a QREC_EXPANDED record into m->expanded (a malformed one is skipped) */
static void apply_expanded(struct queue_msg *m, const char *data, size_t len)
{
    const char *f[10] = { [9] = "failed" }, *cp = data, *end = data + len;

    /* Nine fields at least; the tenth (ACTION) came later. */
    for (size_t i = 0; i < 10 && cp < end; i++) {
	const char *nul = memchr(cp, 0, (size_t) (end - cp));
	if (nul == NULL)
	    return;
	f[i] = owned(m, cp, (size_t) (nul - cp));
	cp = nul + 1;
    }
    if (f[8] == NULL)
	return;
    m->expanded = xrealloc(m->expanded, (m->nexpanded + 1) * sizeof(*m->expanded));
    m->expanded[m->nexpanded++] = (struct queue_expanded) {
	(size_t) strtoul(f[0], NULL, 10), atoi(f[1]), f[2], f[3], f[4], f[5], f[6], f[7], f[8],
	f[9], 0
    };
}

/* nul_str - a record's data as a string: copied, since records are not NUL-ended */
static const char *nul_str(struct queue_msg *m, const char *data, size_t len)
{
    return owned(m, data, len);
}

/* msg_open - queue_msg_open() and queue_msg_read(): open with these flags, then parse */
static int msg_open(struct queue_msg *m, const char *path, int flags, struct strbuf *err)
{
    struct stat st;
    size_t rcap = 0, acap = 0;

    memset(m, 0, sizeof(*m));
    m->fd = -1;
    m->own = xcalloc(1, sizeof(struct queue_msg_own));
    m->path = xstrdup(path);
    if ((m->fd = open(path, flags | O_CLOEXEC)) < 0) {
	sb_printf(err, "open %s: %s", path, strerror(errno));
	goto fail;
    }
    if (fstat(m->fd, &st) < 0) {
	sb_printf(err, "fstat %s: %s", path, strerror(errno));
	goto fail;
    }
    if ((st.st_mode & S_IRWXU) != 0700) {
	sb_printf(err, "%s: not complete (mode %03o)", path, (unsigned) (st.st_mode & 0777));
	queue_msg_close(m);
	return -2;
    }
    if (st.st_size == 0) {
	sb_printf(err, "%s: empty", path);
	goto fail;
    }
    m->map_len = (size_t) st.st_size;
    if (m->map_len <= QUEUE_READ_MAX) {
	/*
	 * A small file is read: a mapping costs a page fault to fill and,
	 * at munmap(), a TLB shootdown on every CPU the process ran on,
	 * more than the copy, and the queue manager opens every message.
	 */
	char *copy = xmalloc(m->map_len);
	size_t got = 0;
	while (got < m->map_len) {
	    ssize_t r = pread(m->fd, copy + got, m->map_len - got, (off_t) got);
	    if (r < 0 && errno == EINTR)
		continue;
	    if (r <= 0)
		break;
	    got += (size_t) r;
	}
	m->map = copy;
	m->map_copied = 1;
	/* A file cut short meanwhile reads as what it now holds: truncated. */
	m->map_len = got;
    } else {
	void *map = mmap(NULL, m->map_len, PROT_READ, MAP_SHARED, m->fd, 0);
	if (map == MAP_FAILED) {
	    m->map = NULL;
	    sb_printf(err, "mmap %s: %s", path, strerror(errno));
	    goto fail;
	}
	m->map = map;
    }

    size_t pos = 0, len;
    int type, ended = 0, have_content = 0;
    const char *data;
    if (queue_rec_get(m->map, m->map_len, &pos, &type, &data, &len) < 0 || type != QREC_VERSION
	|| len != strlen(QUEUE_FILE_MAGIC) || memcmp(data, QUEUE_FILE_MAGIC, len) != 0) {
	sb_printf(err, "%s: not a pfcd queue file", path);
	goto fail;
    }
    m->sender = "";
    while (!ended) {
	if (queue_rec_get(m->map, m->map_len, &pos, &type, &data, &len) < 0) {
	    sb_printf(err, "%s: truncated or damaged at byte %zu", path, pos);
	    goto fail;
	}
	switch (type) {
	case QREC_ID:
	    snprintf(m->id, sizeof(m->id), "%.*s", (int) (len < 31 ? len : 31), data);
	    break;
	case QREC_TIME:{
		const char *t = nul_str(m, data, len);
		char *dot;
		m->arrival = (time_t) strtoll(t, &dot, 10);
		m->arrival_usec = *dot == '.' ? strtol(dot + 1, NULL, 10) : 0;
		break;
	    }
	case QREC_SENDER:
	    m->sender = nul_str(m, data, len);
	    break;
	case QREC_ATTR:{
		const char *eq = memchr(data, '=', len);
		if (eq == NULL)
		    break;
		if (m->nattrs == acap) {
		    acap = acap ? 2 * acap : 16;
		    m->attrs = xrealloc(m->attrs, acap * sizeof(*m->attrs));
		}
		m->attrs[m->nattrs].name = nul_str(m, data, (size_t) (eq - data));
		m->attrs[m->nattrs].value = nul_str(m, eq + 1, (size_t) (data + len - eq - 1));
		m->nattrs++;
		break;
	    }
	case QREC_RCPT:
	    if (m->nrcpts == rcap) {
		rcap = rcap ? 2 * rcap : 8;
		m->rcpts = xrealloc(m->rcpts, rcap * sizeof(*m->rcpts));
	    }
	    memset(&m->rcpts[m->nrcpts], 0, sizeof(*m->rcpts));
	    m->rcpts[m->nrcpts].address = nul_str(m, data, len);
	    m->rcpts[m->nrcpts].orig = m->rcpts[m->nrcpts].orcpt = "";
	    m->rcpts[m->nrcpts].dsn = m->rcpts[m->nrcpts].reason = "";
	    m->nrcpts++;
	    break;
	case QREC_ORIG:
	case QREC_ORCPT:
	case QREC_NOTIFY:
	    if (m->nrcpts == 0) {
		sb_printf(err, "%s: recipient attribute before any recipient", path);
		goto fail;
	    }
	    if (type == QREC_ORIG)
		m->rcpts[m->nrcpts - 1].orig = nul_str(m, data, len);
	    else if (type == QREC_ORCPT)
		m->rcpts[m->nrcpts - 1].orcpt = nul_str(m, data, len);
	    else
		m->rcpts[m->nrcpts - 1].notify = atoi(nul_str(m, data, len));
	    break;
	case QREC_CONTENT:
	    m->content = data;
	    m->content_len = len;
	    have_content = 1;
	    break;
	case QREC_END:
	    ended = 1;
	    break;
	default:
	    sb_printf(err, "%s: unknown record type '%c' at byte %zu", path, type, pos);
	    goto fail;
	}
    }
    if (!have_content || m->nrcpts == 0 || m->id[0] == 0) {
	sb_printf(err, "%s: incomplete envelope", path);
	goto fail;
    }
    for (size_t i = 0; i < m->nrcpts; i++) {
	struct queue_rcpt *r = &m->rcpts[i];
	r->action = r->relay = r->diag_type = r->diag_text = "";
    }
    /* Updates: a torn last one (a crash while appending) ends the list. */
    while (queue_rec_get(m->map, m->map_len, &pos, &type, &data, &len) == 0)
	if (type == QREC_UPDATE)
	    apply_update(m, data, len);
	else if (type == QREC_REPORT)
	    apply_report(m, data, len);
	else if (type == QREC_NOTICE)
	    apply_notice(m, data, len);
	else if (type == QREC_EXPANDED)
	    apply_expanded(m, data, len);
    m->size = (long) m->content_len;
    for (const char *cp = m->content, *end = m->content + m->content_len;
	 (cp = memchr(cp, '\n', (size_t) (end - cp))) != NULL; cp++)
	m->size++;
    return 0;
  fail:
    queue_msg_close(m);
    return -1;
}

int queue_msg_open(struct queue_msg *m, const char *path, struct strbuf *err)
{
    return msg_open(m, path, O_RDWR | O_APPEND, err);
}

int queue_msg_read(struct queue_msg *m, const char *path, struct strbuf *err)
{
    return msg_open(m, path, O_RDONLY, err);
}

const char *queue_msg_attr(const struct queue_msg *m, const char *name)
{
    for (size_t i = 0; i < m->nattrs; i++)
	if (strcmp(m->attrs[i].name, name) == 0)
	    return m->attrs[i].value;
    return NULL;
}

/* one_line - text with its line ends made blanks (a field never spans records) */
static void one_line(struct strbuf *out, const char *text)
{
    for (const char *cp = text; *cp; cp++)
	sb_addch(out, *cp == '\n' || *cp == '\r' ? ' ' : *cp);
}

/* append - one record to m's file, then to m as a read would take it: 0, or -1 (errno) */
static int append(struct queue_msg *m, int type, const struct strbuf *data,
		  void (*apply)(struct queue_msg *, const char *, size_t))
{
    struct strbuf rec = STRBUF_INIT;

    queue_rec_put(&rec, type, data->s, data->len);
    int rc = fd_write_all(m->fd, rec.s, rec.len) < 0 ? -1 : 0;
    if (rc == 0)
	apply(m, data->s, data->len);
    sb_free(&rec);
    return rc;
}

int queue_msg_mark(struct queue_msg *m, size_t index, enum qrcpt_status status,
		   const char *dsn, const char *reason)
{
    struct strbuf data = STRBUF_INIT;

    if (index >= m->nrcpts) {
	errno = EINVAL;
	return -1;
    }
    sb_printf(&data, "%zu %c %s ", index, (int) status, *dsn ? dsn : "-");
    one_line(&data, reason);
    int rc = append(m, QREC_UPDATE, &data, apply_update);
    sb_free(&data);
    return rc;
}

/* word - a field of a record: "-" when empty, blanks made '_' */
static void word(struct strbuf *out, const char *text)
{
    if (*text == 0)
	sb_addch(out, '-');
    for (const char *cp = text; *cp; cp++)
	sb_addch(out, *cp == ' ' || *cp == '\n' || *cp == '\r' ? '_' : *cp);
}

int queue_msg_report(struct queue_msg *m, size_t index, const struct delivery_status *st)
{
    struct strbuf update = STRBUF_INIT, report = STRBUF_INIT, rec = STRBUF_INIT;

    if (index >= m->nrcpts) {
	errno = EINVAL;
	return -1;
    }
    sb_printf(&update, "%zu %c %s ", index, (int) st->status, *st->dsn ? st->dsn : "-");
    one_line(&update, sb_str(&st->reason));
    sb_printf(&report, "%zu ", index);
    word(&report, st->action);
    sb_addch(&report, ' ');
    word(&report, st->relay);
    sb_addch(&report, ' ');
    word(&report, st->diag_type);
    sb_addch(&report, ' ');
    one_line(&report, st->diag_text);
    /* One write: the report never lands without its update. */
    queue_rec_put(&rec, QREC_UPDATE, update.s, update.len);
    queue_rec_put(&rec, QREC_REPORT, report.s, report.len);
    struct strbuf noticed = STRBUF_INIT;
    if (st->noticed) {
	sb_printf(&noticed, "f %zu", index);
	queue_rec_put(&rec, QREC_NOTICE, noticed.s, noticed.len);
	noticed.s[0] = 's';
	queue_rec_put(&rec, QREC_NOTICE, noticed.s, noticed.len);
    }
    size_t expanded_at = rec.len;
    sb_addn(&rec, st->expanded.s ? st->expanded.s : "", st->expanded.len);
    int rc = fd_write_all(m->fd, rec.s, rec.len) < 0 ? -1 : 0;
    if (rc == 0) {
	apply_update(m, update.s, update.len);
	apply_report(m, report.s, report.len);
	if (st->noticed) {
	    apply_notice(m, noticed.s, noticed.len);
	    noticed.s[0] = 'f';
	    apply_notice(m, noticed.s, noticed.len);
	}
	int type;
	const char *data;
	size_t len;
	while (queue_rec_get(rec.s, rec.len, &expanded_at, &type, &data, &len) == 0)
	    if (type == QREC_EXPANDED)
		apply_expanded(m, data, len);
    }
    sb_free(&noticed);
    sb_free(&update);
    sb_free(&report);
    sb_free(&rec);
    return rc;
}

int queue_msg_noticed(struct queue_msg *m, int kind, const size_t *idx, size_t n)
{
    struct strbuf data = STRBUF_INIT;

    sb_addch(&data, kind == QNOTICE_FAILURE ? 'f' : kind == QNOTICE_SUCCESS ? 's'
	     : kind == QNOTICE_EXPANDED ? 'e' : 'd');
    for (size_t i = 0; i < n; i++)
	sb_printf(&data, " %zu", idx[i]);
    int rc = append(m, QREC_NOTICE, &data, apply_notice);
    sb_free(&data);
    return rc;
}

int queue_msg_sync(struct queue_msg *m)
{
    return fdatasync(m->fd);
}

int queue_msg_done(const struct queue_msg *m)
{
    for (size_t i = 0; i < m->nrcpts; i++)
	if (m->rcpts[i].status != QRCPT_SENT && m->rcpts[i].status != QRCPT_BOUNCED)
	    return 0;
    return 1;
}

void queue_msg_close(struct queue_msg *m)
{
    struct queue_msg_own *o = m->own;

    if (m->map != NULL && m->map_copied)
	free((void *) m->map);
    else if (m->map != NULL)
	munmap((void *) m->map, m->map_len);
    if (m->fd >= 0)
	close(m->fd);
    if (o != NULL) {
	for (size_t i = 0; i < o->n; i++)
	    free(o->strs[i]);
	free(o->strs);
	free(o);
    }
    free(m->attrs);
    free(m->rcpts);
    free(m->expanded);
    free(m->path);
    memset(m, 0, sizeof(*m));
    m->fd = -1;
}
