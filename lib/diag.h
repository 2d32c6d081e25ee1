/* diag - the one diagnostics path: every warning and fatal error goes here */
#ifndef PFC_DIAG_H
#define PFC_DIAG_H

#include <stdarg.h>

enum diag_severity { DIAG_INFO, DIAG_WARNING, DIAG_ERROR, DIAG_FATAL };

/*
 * diag_set_utf8 - with smtputf8_enable, Postfix shows well-formed UTF-8 in
 * its messages; otherwise every byte that is not printable ASCII is '?'.
 */
void diag_set_utf8(int on);

/* diag_set_program - the prefix of every message ("pfc") */
void diag_set_program(const char *name);
const char *diag_program(void);

/* diag_warn - "PROG: warning: MESSAGE" on stderr, as Postfix's msg_warn() */
void diag_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void diag_vwarn(const char *fmt, va_list ap);

/*
 * diag_fatal - "PROG: fatal: MESSAGE" and exit 1, as Postfix's msg_fatal().
 * Standard output that is still buffered (see output.h) is discarded, as
 * Postfix discards its unflushed VSTREAM buffer.
 */
void diag_fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

/*
 * diag_set_warning_hook - send warnings to hook (the message text, without
 * the "PROG: warning: " prefix) instead of stderr; NULL restores stderr.
 * The linter uses this to turn the warnings of shared readers into
 * findings.
 */
typedef void diag_warning_hook(void *ctx, const char *message);
void diag_set_warning_hook(diag_warning_hook *hook, void *ctx);

/*
 * diag_warning_count - how many warnings were given so far (to stderr or
 * the hook): pfc map records whether a build warned at all.
 */
unsigned long diag_warning_count(void);
/* diag_set_fatal_status - the exit status of diag_fatal() (default 1) */
void diag_set_fatal_status(int status);


#endif
