/* strbuf - one growable, always NUL-terminated byte string type */
#ifndef PFC_STRBUF_H
#define PFC_STRBUF_H

#include <stdarg.h>
#include <stddef.h>

struct strbuf {
    char *s;			/* always NUL-terminated */
    size_t len;
    size_t cap;
};

#define STRBUF_INIT { NULL, 0, 0 }

void sb_grow(struct strbuf *sb, size_t extra);
void sb_addn(struct strbuf *sb, const char *data, size_t len);
void sb_adds(struct strbuf *sb, const char *s);
/* sb_addch - one byte: inline, as scanners add text a byte at a time */
static inline void sb_addch(struct strbuf *sb, int ch)
{
    if (sb->len + 1 >= sb->cap)
	sb_grow(sb, 1);
    sb->s[sb->len++] = (char) ch;
    sb->s[sb->len] = 0;
}
void sb_printf(struct strbuf *sb, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void sb_vprintf(struct strbuf *sb, const char *fmt, va_list ap);
/*
 * str_vreplace - *field becomes a new string formatted from fmt; the old
 * one is freed after, so the arguments may name it
 */
void str_vreplace(char **field, const char *fmt, va_list ap);
void sb_truncate(struct strbuf *sb, size_t len);
void sb_reset(struct strbuf *sb);
void sb_set(struct strbuf *sb, const char *s);
/* sb_str - the contents, "" for a buffer never written */
const char *sb_str(const struct strbuf *sb);
char *sb_detach(struct strbuf *sb);
void sb_free(struct strbuf *sb);
/*
 * sb_read_file - append the whole file at path; 0, or -1 with errno set
 * (what was read before a read error stays in sb).
 */
int sb_read_file(struct strbuf *sb, const char *path);

#endif
