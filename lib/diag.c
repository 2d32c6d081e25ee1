/* diag - warnings and fatal errors, in Postfix's "prog: severity: text" shape */
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
static diag_warning_hook *warning_hook;
static void *warning_hook_ctx;
static unsigned long warnings;

void diag_set_warning_hook(diag_warning_hook *hook, void *ctx)
{
    warning_hook = hook;
    warning_hook_ctx = ctx;
}

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

/* emit - write one whole message line with a single write(2) */
static void emit(enum diag_severity severity, const char *fmt, va_list ap)
{
    static const char *const label[] = { "info", "warning", "error", "fatal" };
    struct strbuf line = STRBUF_INIT;

    sb_printf(&line, "%s: %s: ", program, label[severity]);
    size_t start = line.len;
    sb_vprintf(&line, fmt, ap);
    /* As Postfix's msg_output(): anything not printable shows as '?'. */
    for (size_t i = start; i < line.len; i++) {
	unsigned char ch = (unsigned char) line.s[i];
	/*
	 * Postfix's printable() with UTF-8 on keeps a lead byte (0xC2-0xFE)
	 * with the continuation bytes after it (at least one), without checking
	 * more.
	 */
	if (utf8_messages && ch >= 0xc2 && ch <= 0xfe && i + 1 < line.len
	    && ((unsigned char) line.s[i + 1] & 0xc0) == 0x80) {
	    while (i + 1 < line.len && ((unsigned char) line.s[i + 1] & 0xc0) == 0x80)
		i++;
	} else if (ch < 0x20 || ch > 0x7e) {
	    line.s[i] = '?';
	}
    }
    if (severity == DIAG_WARNING)
	warnings++;
    if (severity == DIAG_WARNING && warning_hook != NULL) {
	warning_hook(warning_hook_ctx, line.s + start);
	sb_free(&line);
	return;
    }
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

void diag_vwarn(const char *fmt, va_list ap)
{
    emit(DIAG_WARNING, fmt, ap);
}

void diag_warn(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    emit(DIAG_WARNING, fmt, ap);
    va_end(ap);
}

void diag_fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    emit(DIAG_FATAL, fmt, ap);
    va_end(ap);
    _exit(fatal_status);
}
