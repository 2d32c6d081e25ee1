/* mapsource - "key whitespace value" records on the logical-line reader */
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cfline.h"
#include "diag.h"
#include "mapsource.h"
#include "textutil.h"
#include "utf8.h"
#include "xalloc.h"

struct source_state {
    const char *path;
    unsigned flags;
    const struct diag_sink *sink;
    mapsource_entry_fn on_entry;
    void *ctx;
};

/*
 * warn - postmap's warning about a logical line, "PATH, line N: ...", at
 * byte offset of it (SIZE_MAX: no column), unless this reading is quiet.
 */
static void warn(const struct source_state *st, const struct cf_logical_line *line,
		 size_t offset, const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void warn(const struct source_state *st, const struct cf_logical_line *line,
		 size_t offset, const char *fmt, ...)
{
    struct diag d = {
	.severity = DIAG_WARNING, .path = st->path, .line = line->first_line,
	.column = offset == SIZE_MAX ? 0 : cf_column(line, offset), .wording = DIAG_SAY_LINE,
    };
    va_list ap;

    if (st->flags & MAPSOURCE_QUIET)
	return;
    va_start(ap, fmt);
    diag_vreportf(st->sink, &d, fmt, ap);
    va_end(ap);
}

static int all_ascii(const char *s)
{
    for (; *s; s++)
	if ((unsigned char) *s >= 0x80)
	    return 0;
    return 1;
}

/* What a byte of a key can be, for mapsource_split(): is_space() are spaces. */
enum { KEY_PLAIN, KEY_SPACE, KEY_QUOTE, KEY_ESCAPE };
static const unsigned char key_byte[256] = {
    [' '] = KEY_SPACE, ['\t'] = KEY_SPACE, ['\n'] = KEY_SPACE, ['\v'] = KEY_SPACE,
    ['\f'] = KEY_SPACE, ['\r'] = KEY_SPACE, ['"'] = KEY_QUOTE, ['\\'] = KEY_ESCAPE,
};

enum mapsource_split_status mapsource_split(const char *text, size_t len,
					    struct mapsource_record *rec)
{
    size_t i = 0;
    int in_quotes = 0;

    for (; i < len; i++) {
	/* Most bytes are none of the kinds that matter: a million lines pass here. */
	while (i < len && key_byte[(unsigned char) text[i]] == KEY_PLAIN)
	    i++;
	if (i == len)
	    break;
	unsigned char c = (unsigned char) text[i];
	if (key_byte[c] == KEY_ESCAPE) {
	    if (++i >= len)
		break;
	} else if (key_byte[c] == KEY_SPACE) {
	    if (!in_quotes)
		break;
	} else if ((in_quotes = !in_quotes)) {
	    rec->open_quote = i;
	}
    }
    if (in_quotes)
	return MAPSOURCE_UNBALANCED;
    size_t start = i < len ? i + 1 : len, end = len;
    while (start < len && is_space((unsigned char) text[start]))
	start++;
    while (end > start && is_space((unsigned char) text[end - 1]))
	end--;
    rec->key_len = i < len ? i : len;
    rec->value_start = start;
    rec->value_end = end;
    return rec->key_len == 0 || end == start ? MAPSOURCE_NOT_KEY_VALUE : MAPSOURCE_RECORD;
}

static void on_line(void *ctx, const struct cf_logical_line *line)
{
    struct source_state *st = ctx;
    struct mapsource_record rec;

    if ((st->flags & MAPSOURCE_UTF8) && !all_ascii(line->text)
	&& !utf8_valid(line->text, line->len)) {
	warn(st, line, SIZE_MAX, "non-UTF-8 input \"%s\" -- ignoring this line", line->text);
	return;
    }
    /* The text ends at a NUL byte, as everywhere a C string is read. */
    switch (mapsource_split(line->text, strlen(line->text), &rec)) {
    case MAPSOURCE_UNBALANCED:
	warn(st, line, rec.open_quote, "unbalanced '\"' in '%s' -- ignoring this line",
	     line->text);
	return;
    case MAPSOURCE_NOT_KEY_VALUE:
	warn(st, line, SIZE_MAX, "expected format: key whitespace value%s",
	     (st->flags & MAPSOURCE_TEXTHASH) ? " -- ignoring this line" : "");
	return;
    case MAPSOURCE_RECORD:
	break;
    }
    char *key = xstrndup(line->text, rec.key_len);
    char *value = xstrndup(line->text + rec.value_start, rec.value_end - rec.value_start);
    if (key[rec.key_len - 1] == ':')
	warn(st, line, rec.key_len - 1, "%s", MAPSOURCE_ALIAS_FORMAT);
    st->on_entry(st->ctx, key, value, line->first_line);
    free(key);
    free(value);
}


static void ignore_line(void *ctx, const struct cf_logical_line *line)
{
    (void) ctx;
    (void) line;
}

int mapsource_read_to(FILE *fp, const char *path, unsigned flags,
		      const struct diag_sink *sink, mapsource_entry_fn on_entry,
		      void *ctx)
{
    static const struct cf_reader_ops ops = { on_line, NULL };
    static const struct cf_reader_ops quiet_ops = { on_line, ignore_line };
    struct source_state st = { path, flags, sink, on_entry, ctx };

    return cf_read_to(fp, st.path, (flags & MAPSOURCE_QUIET) ? &quiet_ops : &ops, sink, &st);
}

int mapsource_read(FILE *fp, const char *path, unsigned flags,
		   mapsource_entry_fn on_entry, void *ctx)
{
    return mapsource_read_to(fp, path, flags, NULL, on_entry, ctx);
}
