/* maildrop - locally submitted messages waiting for pickup (see maildrop.h) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maildrop.h"
#include "queue_file.h"
#include "xalloc.h"

void maildrop_init(struct maildrop *m)
{
    memset(m, 0, sizeof(*m));
}

void maildrop_add_rcpt(struct maildrop *m, const char *address, int notify)
{
    if (m->nrcpts == m->cap) {
	m->cap = m->cap ? 2 * m->cap : 8;
	m->rcpts = xrealloc(m->rcpts, m->cap * sizeof(*m->rcpts));
    }
    m->rcpts[m->nrcpts].address = xstrdup(address);
    m->rcpts[m->nrcpts++].notify = notify;
}

void maildrop_free(struct maildrop *m)
{
    for (size_t i = 0; i < m->nrcpts; i++)
	free(m->rcpts[i].address);
    free(m->rcpts);
    free(m->sender);
    free(m->full_name);
    free(m->envid);
    free(m->ret);
    free(m->content);
    memset(m, 0, sizeof(*m));
}

static void put_str(struct strbuf *out, int type, const char *s)
{
    queue_rec_put(out, type, s, strlen(s));
}

static void put_attr(struct strbuf *out, const char *name, const char *value)
{
    struct strbuf a = STRBUF_INIT;

    sb_printf(&a, "%s=%s", name, value);
    queue_rec_put(out, QREC_ATTR, a.s, a.len);
    sb_free(&a);
}

void maildrop_put(const struct maildrop *m, struct strbuf *out)
{
    put_str(out, QREC_VERSION, MAILDROP_MAGIC);
    put_str(out, QREC_SENDER, m->sender ? m->sender : "");
    if (m->full_name)
	put_str(out, QREC_FULLNAME, m->full_name);
    if (m->envid)
	put_attr(out, QATTR_ENVID, m->envid);
    if (m->ret)
	put_attr(out, QATTR_RET, m->ret);
    for (size_t i = 0; i < m->nrcpts; i++) {
	put_str(out, QREC_RCPT, m->rcpts[i].address);
	if (m->rcpts[i].notify) {
	    char buf[16];
	    snprintf(buf, sizeof(buf), "%d", m->rcpts[i].notify);
	    put_str(out, QREC_NOTIFY, buf);
	}
    }
    queue_rec_put(out, QREC_CONTENT, m->content ? m->content : "", m->content_len);
    queue_rec_put(out, QREC_END, "", 0);
}

/* text - a record's data as a string; NULL when it holds a NUL or a line end */
static char *text(const char *data, size_t len)
{
    for (size_t i = 0; i < len; i++)
	if (data[i] == 0 || data[i] == '\n' || data[i] == '\r')
	    return NULL;
    return xstrndup(data, len);
}

int maildrop_parse(const char *data, size_t len, struct maildrop *m, struct strbuf *err)
{
    size_t pos = 0, n;
    int type, stage = 0;	/* 0: envelope, 1: recipients, 2: content seen */
    const char *d;

    maildrop_init(m);
    if (queue_rec_get(data, len, &pos, &type, &d, &n) < 0 || type != QREC_VERSION
	|| n != strlen(MAILDROP_MAGIC) || memcmp(d, MAILDROP_MAGIC, n) != 0) {
	sb_set(err, "not a maildrop file");
	goto fail;
    }
    for (;;) {
	if (queue_rec_get(data, len, &pos, &type, &d, &n) < 0) {
	    sb_printf(err, "truncated or damaged at byte %zu", pos);
	    goto fail;
	}
	char *s = NULL;
	if (type != QREC_CONTENT && type != QREC_END && (s = text(d, n)) == NULL) {
	    sb_printf(err, "record '%c' with a NUL or line end at byte %zu", type, pos);
	    goto fail;
	}
	if (type == QREC_SENDER && m->sender == NULL && stage == 0) {
	    m->sender = s;
	} else if (type == QREC_FULLNAME && m->full_name == NULL && m->sender && stage == 0) {
	    m->full_name = s;
	} else if (type == QREC_ATTR && m->sender && stage == 0
		   && (strncmp(s, QATTR_ENVID "=", sizeof(QATTR_ENVID)) == 0
		       || strncmp(s, QATTR_RET "=", sizeof(QATTR_RET)) == 0)) {
	    char **slot = s[0] == QATTR_ENVID[0] ? &m->envid : &m->ret;
	    free(*slot);
	    *slot = xstrdup(strchr(s, '=') + 1);
	    free(s);
	} else if (type == QREC_RCPT && m->sender && stage <= 1) {
	    maildrop_add_rcpt(m, s, 0);
	    free(s);
	    stage = 1;
	} else if (type == QREC_NOTIFY && stage == 1) {
	    char *end;
	    long v = strtol(s, &end, 10);
	    free(s);
	    if (*end != 0 || v <= 0 || v > 15) {
		sb_printf(err, "bad NOTIFY record at byte %zu", pos);
		goto fail;
	    }
	    m->rcpts[m->nrcpts - 1].notify = (int) v;
	} else if (type == QREC_CONTENT && stage == 1) {
	    m->content = xmalloc(n + 1);
	    memcpy(m->content, d, n);
	    m->content[n] = 0;
	    m->content_len = n;
	    stage = 2;
	} else if (type == QREC_CONTENT && stage == 0 && m->sender) {
	    sb_set(err, "no recipients");
	    goto fail;
	} else if (type == QREC_END && stage == 2 && n == 0) {
	    break;
	} else {
	    free(s);
	    sb_printf(err, "unexpected record '%c' at byte %zu",
		      type >= 32 && type < 127 ? type : '?', pos);
	    goto fail;
	}
    }
    if (pos != len) {
	sb_printf(err, "data after the end record at byte %zu", pos);
	goto fail;
    }
    return 0;
  fail:
    maildrop_free(m);
    return -1;
}
