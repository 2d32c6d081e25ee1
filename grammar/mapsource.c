/* mapsource - "key whitespace value" records on the logical-line reader */
#include <stdarg.h>
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
    mapsource_entry_fn on_entry;
    void *ctx;
};

/* warn - a warning about the source, unless this reading is quiet */
static void warn(const struct source_state *st, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void warn(const struct source_state *st, const char *fmt, ...)
{
    va_list ap;

    if (st->flags & MAPSOURCE_QUIET)
	return;
    va_start(ap, fmt);
    diag_vwarn(fmt, ap);
    va_end(ap);
}

static int all_ascii(const char *s)
{
    for (; *s; s++)
	if ((unsigned char) *s >= 0x80)
	    return 0;
    return 1;
}

static void on_line(void *ctx, const struct cf_logical_line *line)
{
    struct source_state *st = ctx;
    char *buf, *value;
    int in_quotes = 0;

    if ((st->flags & MAPSOURCE_UTF8) && !all_ascii(line->text)
	&& !utf8_valid(line->text, line->len)) {
	warn(st, "%s, line %d: non-UTF-8 input \"%s\" -- ignoring this line",
		  st->path, line->first_line, line->text);
	return;
    }
    /* The key ends at the first whitespace outside double quotes. */
    buf = xstrdup(line->text);
    for (value = buf; *value; value++) {
	if (*value == '\\') {
	    if (*++value == 0)
		break;
	} else if (is_space((unsigned char) *value)) {
	    if (!in_quotes)
		break;
	} else if (*value == '"') {
	    in_quotes = !in_quotes;
	}
    }
    if (in_quotes) {
	warn(st, "%s, line %d: unbalanced '\"' in '%s' -- ignoring this line",
		  st->path, line->first_line, line->text);
	free(buf);
	return;
    }
    if (*value)
	*value++ = 0;
    while (is_space((unsigned char) *value))
	value++;
    trim_right(value);
    if (*buf == 0 || *value == 0) {
	warn(st, "%s, line %d: expected format: key whitespace value%s",
		  st->path, line->first_line,
		  (st->flags & MAPSOURCE_TEXTHASH) ? " -- ignoring this line" : "");
	free(buf);
	return;
    }
    if (buf[strlen(buf) - 1] == ':')
	warn(st, "%s, line %d: record is in \"key: value\" format; is this an alias file?",
		  st->path, line->first_line);
    st->on_entry(st->ctx, buf, value, line->first_line);
    free(buf);
}


static void ignore_line(void *ctx, const struct cf_logical_line *line)
{
    (void) ctx;
    (void) line;
}

int mapsource_read(FILE *fp, const char *path, unsigned flags,
		   mapsource_entry_fn on_entry, void *ctx)
{
    static const struct cf_reader_ops ops = { on_line, NULL };
    static const struct cf_reader_ops quiet_ops = { on_line, ignore_line };
    struct source_state st = { path, flags, on_entry, ctx };

    return cf_read_stream(fp, st.path, (flags & MAPSOURCE_QUIET) ? &quiet_ops : &ops, &st);
}
