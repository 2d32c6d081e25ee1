/*
 * msgscan - the strings that header_checks and body_checks see in a message,
 * as `postmap -h -b -m -q - TABLE < message` looks them up.
 *
 * The scanner is an emulation of Postfix 3.7's mime_state(3) as postmap
 * drives it (src/postmap/postmap.c, postmap_queries): postmap reads the
 * message one physical line at a time (up to '\n', which is removed; there
 * is no length limit), feeds each line to the MIME engine as one record and
 * looks up whatever the engine hands to its header and body call-backs.
 * msgscan calls back once per such string, in the same order.
 *
 * Options, as postmap's flags combine (SCAN_HEADERS = -h, SCAN_BODY = -b,
 * SCAN_MIME = -m):
 *   -h      primary headers only; reading stops at the end of the primary
 *           header block (postmap installs its head_end call-back only here)
 *   -b      every line after the primary headers, MIME or not: part headers,
 *           boundary lines and nested headers are all "body" lines
 *   -hb     both, interleaved in message order
 *   -hm     primary, MIME part and nested message headers, to the end
 *   -bm     body lines only; part headers and nested headers are not body
 *   -hbm    everything, each string once, in message order
 *   -m      alone: postmap warns "ignoring -m option without -b or -h" and
 *           does plain `-q -` key lookups; that is the caller's business,
 *           msgscan_file() returns MSGSCAN_ENOSCAN for it.
 *
 * What the engine does (all verified against postmap 3.7.11 -hq/-bq/-hmq/-bmq):
 *   - A header starts with a name of printable ASCII other than ':' and
 *     space, optional spaces/tabs, then ':'. "Name :" is normalized to
 *     "Name:". Lines starting with space/tab continue the header: the
 *     logical header keeps the newline and the leading whitespace
 *     ("Subject: a\n\tb"). Continuation lines are dropped once the logical
 *     header has reached header_size_limit bytes (so it may exceed the limit
 *     by one line); there is no warning.
 *   - Each line is copied only up to its first NUL byte (Postfix's
 *     vstring_strncat); a NUL in a header name makes the line "not a header".
 *   - CR is ordinary data: with CRLF line ends "\r" stays at the end of every
 *     string, and the "\r" line after the headers is not an empty line.
 *   - The primary header block ends at an empty line, which then is the
 *     first body line "" (body_checks see it), or at the first line that is
 *     not a header: then "" is passed as a body line first and the offending
 *     line is the second body line. Text before the first header (an mbox
 *     "From " line) thus makes the whole message body: no headers at all.
 *   - A header block of a MIME part or nested message ends the same way,
 *     without the extra "".
 *   - With -m: Content-Type is parsed (RFC 2045 tokens, comments, quoted
 *     strings). text/ *, message/ * and multipart/ * set the part type; any
 *     other type keeps the part's default, so in multipart/digest an
 *     application/octet-stream part is still message/rfc822 and its body is
 *     scanned as nested headers, as Postfix does. An unparsable value (no
 *     token) makes the type "other". Every boundary= parameter of a
 *     multipart type is pushed, cut to mime_boundary_length_limit bytes;
 *     pushes stop when the depth exceeds mime_nesting_limit (silently).
 *     A body line "--" + any pushed boundary (innermost first, trailing text
 *     ignored) pops inner levels and starts a part's headers; "--" boundary
 *     "--" ends that multipart. message/rfc822 and message/global parts start
 *     with nested headers; message/partial and message/external-body do not.
 *     The empty line ending a part's headers is still a body line.
 *   - The last line needs no '\n'. At the end of input a pending header is
 *     flushed (a message of headers only works).
 *
 * Not emulated: the 8-bit-to-quoted-printable downgrade and the error
 * reports (MIME_OPT_REPORT_*), which postmap never enables; postmap has no
 * body_checks_size_limit (the daemon's cleanup has; use item->offset).
 * line_limit > 0 is for callers emulating the mail input path (smtpd,
 * sendmail) that postmap does not have: lines are cut into records of
 * line_limit bytes (REC_TYPE_CONT, then the rest as the final record, "" when
 * the length is a multiple of line_limit); such callers must strip CR
 * themselves, as smtpd does.
 *
 * OUTPUT RULE for `pfc map -h/-b [-m] -q - TABLE...` (postmap_body()):
 * for each string, try the tables in order; the first that finds a value
 * prints  KEY "\t" VALUE "\n"  (KEY is the string verbatim, embedded newlines
 * and CRs included; nothing is escaped) and later tables are not tried. A
 * found empty value prints too, after two warnings: "table TYPE:NAME: key KEY:
 * empty string result is not allowed" and "table TYPE:NAME should return NO
 * RESULT in case of NOT FOUND". A table lookup error is fatal: "table
 * TYPE:NAME: query error: %m". Exit status 0 if any string was found, else 1.
 * With -h or -b the keys are not UTF-8 checked (postmap clears the UTF-8
 * dict flags unless -U is given). Standard output is flushed at the end.
 */
#ifndef PFC_MSGSCAN_H
#define PFC_MSGSCAN_H

#include <stddef.h>
#include <stdio.h>

/* What to scan: postmap's -h, -b and -m. */
#define MSGSCAN_HEADERS	(1u << 0)	/* -h */
#define MSGSCAN_BODY	(1u << 1)	/* -b */
#define MSGSCAN_MIME	(1u << 2)	/* -m */

/* Where a string comes from; the numbers are Postfix's MIME_HDR_* + BODY. */
enum msgscan_class {
    MSGSCAN_PRIMARY = 1,		/* primary message header */
    MSGSCAN_MULTIPART = 2,		/* header after a multipart boundary */
    MSGSCAN_NESTED = 3,			/* header of a message/rfc822 part */
    MSGSCAN_BODYLINE = 4		/* body line */
};

/* The defaults of the Postfix parameters that shape the scan. */
#define MSGSCAN_DEF_HEADER_LIMIT 102400	/* header_size_limit */
#define MSGSCAN_DEF_BOUND_LIMIT	2048	/* mime_boundary_length_limit */
#define MSGSCAN_DEF_MAX_DEPTH	100	/* mime_nesting_limit */

struct msgscan_opts {
    unsigned flags;			/* MSGSCAN_HEADERS | _BODY | _MIME */
    size_t header_limit;		/* header_size_limit; 0: default */
    size_t bound_limit;			/* mime_boundary_length_limit; 0: default */
    long max_depth;			/* mime_nesting_limit; < 0: default */
    size_t line_limit;			/* 0 (postmap): lines are not cut */
};

/* MSGSCAN_OPTS_INIT - postmap's defaults, for flags F */
#define MSGSCAN_OPTS_INIT(f) { (f), 0, 0, -1, 0 }

struct msgscan_item {
    enum msgscan_class cls;
    const char *text;			/* the lookup key: NUL-terminated */
    size_t len;				/* strlen(text) */
    /*
     * Header strings: is the name one of Postfix's MIME headers
     * (Content-Type, Content-Transfer-Encoding, Content-Disposition,
     * Content-Description, Content-ID, MIME-Version)? cleanup sends those
     * to mime_header_checks even among the primary headers.
     */
    int mime_header;
    /*
     * Body lines: the offset that cleanup compares with
     * body_checks_size_limit (mime_state's body_offset, reset at each body
     * part) and whether the record is a cut piece of a longer line (only
     * with line_limit).
     */
    long offset;
    int cont;
};

/*
 * msgscan_fn - called once per string postmap would look up. Return 0 to go
 * on; a positive value stops the scan, and the scan function returns it.
 */
typedef int (*msgscan_fn)(void *ctx, const struct msgscan_item *item);

/* Results other than a call-back's own. */
#define MSGSCAN_OK		0
#define MSGSCAN_EREAD		(-1)	/* read error; errno is set */
#define MSGSCAN_ENOSCAN		(-2)	/* neither HEADERS nor BODY asked */

/* msgscan_file - scan a message read from fp to its end */
int msgscan_file(FILE *fp, const struct msgscan_opts *opts,
		 msgscan_fn fn, void *ctx);

/* msgscan_buf - scan a message held in memory (NUL bytes allowed) */
int msgscan_buf(const char *buf, size_t len, const struct msgscan_opts *opts,
		msgscan_fn fn, void *ctx);

#endif
