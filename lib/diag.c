/* diag - diagnostics as records, handed to sinks; Postfix's words at the edge */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "strbuf.h"

static const char *program = "pfc";
static int utf8_messages;
static int fatal_status = 1;
static const struct diag_sink *process_sink = &diag_stderr;
static unsigned long warnings;

unsigned long diag_warning_count(void)
{
    return warnings;
}

void diag_set_fatal_status(int status)
{
    fatal_status = status;
}

void diag_set_utf8(int on)
{
    utf8_messages = on;
}

void diag_set_program(const char *name)
{
    program = name;
}

const char *diag_program(void)
{
    return program;
}

const struct diag_sink *diag_set_sink(const struct diag_sink *sink)
{
    const struct diag_sink *old = process_sink;

    process_sink = sink != NULL ? sink : &diag_stderr;
    return old;
}

/* printable - Postfix's msg_output(): what is not printable shows as '?' */
static void printable(struct strbuf *text, size_t start)
{
    for (size_t i = start; i < text->len; i++) {
	unsigned char ch = (unsigned char) text->s[i];
	/*
	 * Postfix's printable() with UTF-8 on keeps a lead byte (0xC2-0xFE)
	 * with the continuation bytes after it (at least one), without checking
	 * more.
	 */
	if (utf8_messages && ch >= 0xc2 && ch <= 0xfe && i + 1 < text->len
	    && ((unsigned char) text->s[i + 1] & 0xc0) == 0x80) {
	    while (i + 1 < text->len && ((unsigned char) text->s[i + 1] & 0xc0) == 0x80)
		i++;
	} else if (ch < 0x20 || ch > 0x7e) {
	    text->s[i] = '?';
	}
    }
}

void diag_text(struct strbuf *out, const struct diag *d)
{
    size_t start = out->len;
    enum diag_wording wording = d->path != NULL ? d->wording : DIAG_SAY_NOTHING;

    switch (wording) {
    case DIAG_SAY_LINE:
	if (d->line > 0)
	    sb_printf(out, "%s, line %d: ", d->path, d->line);
	else
	    sb_printf(out, "%s: ", d->path);
	break;
    case DIAG_SAY_PATH:
	sb_printf(out, "%s: ", d->path);
	break;
    case DIAG_SAY_MAP:
	sb_printf(out, "%s map %s, line %d: ", d->type, d->path, d->line);
	break;
    case DIAG_SAY_TABLE:
	sb_printf(out, "%s:%s: ", d->type, d->path);
	break;
    case DIAG_SAY_NOTHING:
	break;
    }
    sb_adds(out, d->message);
    printable(out, start);
}

/* to_stderr - the edge: one whole line with a single write(2) */
static void to_stderr(void *ctx, const struct diag *d)
{
    static const char *const label[] = { "info", "warning", "error", "fatal" };
    struct strbuf line = STRBUF_INIT;

    (void) ctx;
    sb_printf(&line, "%s: %s: ", program, label[d->severity]);
    diag_text(&line, d);
    sb_addch(&line, '\n');
    size_t off = 0;
    while (off < line.len) {
	ssize_t n = write(STDERR_FILENO, line.s + off, line.len - off);
	if (n < 0 && errno == EINTR)
	    continue;
	if (n <= 0)
	    break;
	off += (size_t) n;
    }
    sb_free(&line);
}

const struct diag_sink diag_stderr = { to_stderr, NULL };

static void drop(void *ctx, const struct diag *d)
{
    (void) ctx;
    (void) d;
}

const struct diag_sink diag_discard = { drop, NULL };

void diag_report(const struct diag_sink *sink, const struct diag *d)
{
    if (sink == NULL)
	sink = process_sink;
    if (d->severity == DIAG_WARNING)
	warnings++;
    sink->report(sink->ctx, d);
    if (d->severity == DIAG_FATAL)
	_exit(fatal_status);
}

void diag_vreportf(const struct diag_sink *sink, const struct diag *place,
		   const char *fmt, va_list ap)
{
    struct strbuf msg = STRBUF_INIT;
    struct diag d = *place;

    sb_vprintf(&msg, fmt, ap);
    d.message = sb_str(&msg);
    diag_report(sink, &d);
    sb_free(&msg);
}

void diag_reportf(const struct diag_sink *sink, const struct diag *place,
		  const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    diag_vreportf(sink, place, fmt, ap);
    va_end(ap);
}

/* report - a message without a place, to the process's sink */
static void report(enum diag_severity severity, const char *fmt, va_list ap)
{
    struct diag d = { .severity = severity };

    diag_vreportf(NULL, &d, fmt, ap);
}

void diag_vwarn(const char *fmt, va_list ap)
{
    report(DIAG_WARNING, fmt, ap);
}

void diag_warn(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    report(DIAG_WARNING, fmt, ap);
    va_end(ap);
}

void diag_fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    report(DIAG_FATAL, fmt, ap);
    va_end(ap);
    _exit(fatal_status);		/* not reached: for noreturn */
}

/* The text hook of diag_set_warning_hook, as a sink. */
static diag_warning_hook *warning_hook;
static void *warning_hook_ctx;

static void to_hook(void *ctx, const struct diag *d)
{
    struct strbuf text = STRBUF_INIT;

    (void) ctx;
    if (d->severity != DIAG_WARNING) {
	diag_stderr.report(diag_stderr.ctx, d);
	return;
    }
    diag_text(&text, d);
    warning_hook(warning_hook_ctx, sb_str(&text));
    sb_free(&text);
}

static const struct diag_sink hook_sink = { to_hook, NULL };

void diag_set_warning_hook(diag_warning_hook *hook, void *ctx)
{
    warning_hook = hook;
    warning_hook_ctx = ctx;
    (void) diag_set_sink(hook != NULL ? &hook_sink : NULL);
}
