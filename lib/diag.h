/*
 * diag - the one diagnostics path. A reader reports what it finds as a
 * struct diag (place, severity, message) to a sink its caller passes; the
 * sink decides what becomes of it: the linter makes findings of it, the
 * default sink says it on stderr in Postfix's "prog: severity: text" shape
 * (diag_text gives the text). diag_warn and diag_fatal report to the
 * process's sink.
 */
#ifndef PFC_DIAG_H
#define PFC_DIAG_H

#include <stdarg.h>

struct strbuf;

enum diag_severity { DIAG_INFO, DIAG_WARNING, DIAG_ERROR, DIAG_FATAL };

/*
 * How Postfix names the place in its text (diag_text). The fields hold
 * the place whatever the wording says: a reader gives the line it knows
 * even where Postfix does not print it.
 */
enum diag_wording {
    DIAG_SAY_LINE,		/* "PATH, line N: TEXT" ("PATH: TEXT" without a line) */
    DIAG_SAY_PATH,		/* "PATH: TEXT" */
    DIAG_SAY_MAP,		/* "TYPE map PATH, line N: TEXT" (regexp, pcre, cidr) */
    DIAG_SAY_TABLE,		/* "TYPE:PATH: TEXT" (a table by its name) */
    DIAG_SAY_NOTHING,		/* "TEXT" alone */
};

/* One diagnostic; without a path Postfix says only the message. */
struct diag {
    enum diag_severity severity;
    const char *path;		/* the file or table it is about, or NULL */
    int line;			/* the line there, from 1; 0: none */
    int column;			/* the byte on that line, from 1; 0: not known */
    const char *message;	/* what is wrong, without the place */
    enum diag_wording wording;
    const char *type;		/* DIAG_SAY_MAP, DIAG_SAY_TABLE: the table type */
};

/* Where diagnostics go. report may keep nothing of d past the call. */
struct diag_sink {
    void (*report)(void *ctx, const struct diag *d);
    void *ctx;
};

/* diag_stderr - "PROG: SEVERITY: TEXT" on stderr, one write(2) a line */
extern const struct diag_sink diag_stderr;
/* diag_discard - drops everything: a reading whose warnings nobody wants */
extern const struct diag_sink diag_discard;

/*
 * diag_report - hand d to sink (NULL: the process's sink). A fatal one
 * ends the process after the sink has it, with diag_set_fatal_status().
 */
void diag_report(const struct diag_sink *sink, const struct diag *d);
/* diag_reportf - diag_report of place with its message formatted */
void diag_reportf(const struct diag_sink *sink, const struct diag *place,
		  const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void diag_vreportf(const struct diag_sink *sink, const struct diag *place,
		   const char *fmt, va_list ap);

/*
 * diag_text - append d's text as Postfix words it (place, then message)
 * and shows it: every byte that is not printable ASCII is '?', but for
 * well-formed UTF-8 with diag_set_utf8(1).
 */
void diag_text(struct strbuf *out, const struct diag *d);

/*
 * diag_set_sink - where reports to a NULL sink go from now on (NULL:
 * diag_stderr); returns the sink it replaces, for the caller to put back.
 */
const struct diag_sink *diag_set_sink(const struct diag_sink *sink);

/*
 * diag_set_utf8 - with smtputf8_enable, Postfix shows well-formed UTF-8 in
 * its messages; otherwise every byte that is not printable ASCII is '?'.
 */
void diag_set_utf8(int on);

/* diag_set_program - the prefix of every message ("pfc") */
void diag_set_program(const char *name);
const char *diag_program(void);

/* diag_warn - a warning without a place to the process's sink (msg_warn()) */
void diag_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void diag_vwarn(const char *fmt, va_list ap);

/*
 * diag_fatal - a fatal error without a place to the process's sink, then
 * exit (status 1 unless diag_set_fatal_status), as Postfix's msg_fatal().
 * Standard output that is still buffered (see output.h) is discarded, as
 * Postfix discards its unflushed VSTREAM buffer.
 */
void diag_fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));
/* diag_set_fatal_status - the exit status of a fatal report (default 1) */
void diag_set_fatal_status(int status);

/*
 * diag_set_warning_hook - make the process's sink one that hands the text
 * of each warning (diag_text) to hook, and says anything else on stderr;
 * NULL: diag_stderr again. For callers that want the words, not the place.
 */
typedef void diag_warning_hook(void *ctx, const char *message);
void diag_set_warning_hook(diag_warning_hook *hook, void *ctx);

/*
 * diag_warning_count - how many warnings were reported so far, to any
 * sink: pfc map records whether a build warned at all.
 */
unsigned long diag_warning_count(void);

#endif
