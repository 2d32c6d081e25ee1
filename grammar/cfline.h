/*
 * cfline - Postfix's logical-line reader (SPEC 1.1), shared by every tool
 * that reads main.cf, master.cf, postmap/postalias sources and
 * regexp/pcre/cidr tables. A logical line is a physical line that starts
 * with text, joined with the indented lines that follow it; blank lines and
 * comment lines vanish even in the middle of a logical line. The newline is
 * deleted, the continuation's leading whitespace is kept.
 */
#ifndef PFC_CFLINE_H
#define PFC_CFLINE_H

#include <stddef.h>
#include <stdio.h>

struct diag_sink;

/* Where each physical piece of a logical line starts, for file:line:col. */
struct cf_segment {
    size_t offset;		/* byte offset in the logical text */
    int line;			/* physical line number, from 1 */
};

struct cf_logical_line {
    const char *text;		/* NUL-terminated joined text */
    size_t len;
    int first_line;		/* line of the first physical piece */
    int last_line;
    const struct cf_segment *segs;
    size_t nsegs;
};

struct cf_reader_ops {
    /* A well-formed logical line. */
    void (*on_line)(void *ctx, const struct cf_logical_line *line);
    /*
     * A logical line that starts with whitespace: Postfix drops it. NULL
     * gives Postfix's warning, "PATH: logical line must not start with
     * whitespace: ...", reported with the line to the reader's sink.
     */
    void (*on_leading_space)(void *ctx, const struct cf_logical_line *line);
};

/*
 * cf_read_to - read every logical line of fp (named path in
 * diagnostics, which go to sink, NULL: the process's); -1 on a read
 * error.
 */
int cf_read_to(FILE *fp, const char *path, const struct cf_reader_ops *ops,
	       const struct diag_sink *sink, void *ctx);
/* cf_read_stream - cf_read_to() with the process's sink */
int cf_read_stream(FILE *fp, const char *path, const struct cf_reader_ops *ops,
		   void *ctx);

/* cf_position - the physical line and 1-based column of a byte offset */
void cf_position(const struct cf_logical_line *line, size_t offset,
		 int *lineno, int *column);

/*
 * cf_column - the 1-based column of a byte offset when it lies on the
 * line's first physical line, the one Postfix's messages name; else 0.
 */
int cf_column(const struct cf_logical_line *line, size_t offset);

/*
 * cf_line_copy - a copy of a logical line that outlives the reader's
 * callback, for diagnostics given after the whole file is read.
 */
struct cf_logical_line *cf_line_copy(const struct cf_logical_line *line);
void cf_line_free(struct cf_logical_line *line);

#endif
