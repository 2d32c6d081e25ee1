/* strbuf - growable byte strings */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "xalloc.h"

void sb_grow(struct strbuf *sb, size_t extra)
{
    size_t need = sb->len + extra + 1;

    if (need <= sb->cap)
	return;
    size_t cap = sb->cap ? sb->cap : 64;
    while (cap < need)
	cap *= 2;
    sb->s = xrealloc(sb->s, cap);
    sb->cap = cap;
}

void sb_addn(struct strbuf *sb, const char *data, size_t len)
{
    sb_grow(sb, len);
    memcpy(sb->s + sb->len, data, len);
    sb->len += len;
    sb->s[sb->len] = 0;
}

void sb_adds(struct strbuf *sb, const char *s)
{
    sb_addn(sb, s, strlen(s));
}

void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap)
{
    va_list ap2;
    size_t room = sb->cap > sb->len ? sb->cap - sb->len : 0;
    int n;

    /* Formatted once when it fits in the room there is (most of the time), else twice. */
    va_copy(ap2, ap);
    n = vsnprintf(room ? sb->s + sb->len : NULL, room, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
	if (room)
	    sb->s[sb->len] = 0;
	return;
    }
    if ((size_t) n >= room) {
	sb_grow(sb, (size_t) n);
	vsnprintf(sb->s + sb->len, (size_t) n + 1, fmt, ap);
    }
    sb->len += (size_t) n;
}

void str_vreplace(char **field, const char *fmt, va_list ap)
{
    struct strbuf text = STRBUF_INIT;

    sb_vprintf(&text, fmt, ap);
    free(*field);
    *field = sb_detach(&text);
}

void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    sb_vprintf(sb, fmt, ap);
    va_end(ap);
}

void sb_truncate(struct strbuf *sb, size_t len)
{
    if (len < sb->len) {
	sb->len = len;
	sb->s[len] = 0;
    }
}

void sb_reset(struct strbuf *sb)
{
    sb_truncate(sb, 0);
}

void sb_set(struct strbuf *sb, const char *s)
{
    sb_reset(sb);
    sb_adds(sb, s);
}

const char *sb_str(const struct strbuf *sb)
{
    return sb->s ? sb->s : "";
}

char *sb_detach(struct strbuf *sb)
{
    char *s = sb->s ? sb->s : xstrdup("");

    sb->s = NULL;
    sb->len = sb->cap = 0;
    return s;
}

void sb_free(struct strbuf *sb)
{
    free(sb->s);
    sb->s = NULL;
    sb->len = sb->cap = 0;
}

int sb_read_file(struct strbuf *sb, const char *path)
{
    FILE *fp = fopen(path, "rb");
    char chunk[65536];
    size_t n;

    if (fp == NULL)
	return -1;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
	sb_addn(sb, chunk, n);
    int failed = ferror(fp), saved = errno;
    fclose(fp);
    errno = saved;
    return failed ? -1 : 0;
}
