/*
 * msgscan - the header/body strings postmap -h/-b/-m looks up: a re-reading
 * of Postfix 3.7's mime_state(3) restricted to what postmap enables (no
 * downgrade, no error reports). See msgscan.h for the behaviour.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msgscan.h"
#include "strbuf.h"
#include "textutil.h"
#include "xalloc.h"

/* Parser states; the header states share their numbers with the classes. */
#define ST_PRIMARY	MSGSCAN_PRIMARY
#define ST_MULTIPART	MSGSCAN_MULTIPART
#define ST_NESTED	MSGSCAN_NESTED
#define ST_BODY		MSGSCAN_BODYLINE

/* The content types and subtypes that steer the parser. */
enum { CT_OTHER, CT_TEXT, CT_MESSAGE, CT_MULTIPART };
enum { SUB_OTHER, SUB_PLAIN, SUB_RFC822, SUB_PARTIAL, SUB_EXTERN, SUB_GLOBAL };

/* Record types: postmap only ever makes NORM records; CONT needs line_limit. */
enum { REC_NONE, REC_NORM, REC_CONT, REC_END };

/* Content-Type token kinds besides a special character's own code. */
#define TOK_ATOM	256
#define TOK_QSTRING	257
#define MAX_TOKENS	3		/* type "/" subtype, or attr "=" value */

#define RFC2045_TSPECIALS "()<>@,;:\\\"/[]?="

/* One multipart level: its boundary and the default type of its parts. */
struct level {
    char *boundary;
    size_t len;
    int def_ctype;
    int def_stype;
    struct level *next;
};

struct scan {
    /* Static: options and the call-back. */
    unsigned flags;
    size_t header_limit;
    size_t bound_limit;
    long max_depth;
    size_t line_limit;
    msgscan_fn fn;
    void *ctx;

    /* Volatile: mime_state's variables of the same meaning. */
    int state;
    int ctype;
    int stype;
    struct strbuf hdr;			/* the logical header being collected */
    size_t name_len;			/* its name's length (before ':') */
    int prev_rec;			/* record type of the previous input */
    long depth;				/* multipart depth; -1 at the top */
    struct level *stack;
    long body_offset;

    int done;				/* -h alone: the primary headers ended */
    int stop;				/* a call-back's non-zero result */

    /* Scratch space. */
    struct strbuf tok[MAX_TOKENS];
    int toktype[MAX_TOKENS];
    struct strbuf line;			/* NUL-terminated copy of a body line */
};

#define IS_SPACE_TAB(c)		((c) == ' ' || (c) == '\t')
#define IS_SPACE_TAB_CR_LF(c)	(IS_SPACE_TAB(c) || (c) == '\r' || (c) == '\n')
/* ASCII control characters, independent of the locale, as Postfix's ISCNTRL. */
#define IS_CNTRL(c)		((c) < 32 || (c) == 127)

/* The headers that Postfix's header_opts table flags HDR_OPT_MIME. */
static const char *const mime_headers[] = {
    "content-description", "content-disposition", "content-id",
    "content-transfer-encoding", "content-type", "mime-version", NULL
};

/* name_is - is the collected header's name NAME (any case)? */
static int name_is(const struct scan *s, const char *name)
{
    return strlen(name) == s->name_len
	&& strncasecmp(s->hdr.s, name, s->name_len) == 0;
}

static int is_mime_header(const struct scan *s)
{
    for (const char *const *np = mime_headers; *np; np++)
	if (name_is(s, *np))
	    return 1;
    return 0;
}

/* set_state - enter a state; each kind of block counts offsets anew */
static void set_state(struct scan *s, int state)
{
    s->state = state;
    if (state == ST_BODY)
	s->body_offset = 0;
}

static void set_mime_state(struct scan *s, int state, int ctype, int stype)
{
    set_state(s, state);
    s->ctype = ctype;
    s->stype = stype;
}

static void push(struct scan *s, int def_ctype, int def_stype, const char *boundary)
{
    struct level *lv = xmalloc(sizeof(*lv));

    s->depth++;
    lv->len = strlen(boundary);
    if (lv->len > s->bound_limit)	/* a stored boundary is cut, not refused */
	lv->len = s->bound_limit;
    lv->boundary = xstrndup(boundary, lv->len);
    lv->def_ctype = def_ctype;
    lv->def_stype = def_stype;
    lv->next = s->stack;
    s->stack = lv;
}

static void pop(struct scan *s)
{
    struct level *lv = s->stack;

    s->depth--;
    s->stack = lv->next;
    free(lv->boundary);
    free(lv);
}

/*
 * tokens - the next ';'-terminated item of a Content-Type value, as
 * Postfix's header_token(): up to MAX_TOKENS atoms, quoted strings or
 * specials, comments skipped. Returns the count, or -1 at the end of input.
 */
static int tokens(struct scan *s, const char **ptr)
{
    const unsigned char *cp = (const unsigned char *) *ptr;
    int count = 0;
    int ch = 0;

    for (int i = 0; i < MAX_TOKENS; i++)
	sb_reset(&s->tok[i]);
    while ((ch = *cp) != 0) {
	struct strbuf *t = count < MAX_TOKENS ? &s->tok[count] : NULL;

	cp++;
	if (IS_SPACE_TAB_CR_LF(ch))
	    continue;
	if (ch == ';')
	    break;
	if (ch == '(') {			/* comments nest */
	    int level = 1;

	    while ((ch = *cp) != 0) {
		cp++;
		if (ch == '(') {
		    level++;
		} else if (ch == ')') {
		    if (--level == 0)
			break;
		} else if (ch == '\\') {
		    if (*cp == 0)
			break;
		    cp++;
		}
	    }
	    continue;
	}
	if (ch == '"') {
	    if (t)
		s->toktype[count] = TOK_QSTRING;
	    while ((ch = *cp) != 0) {
		cp++;
		if (ch == '"')
		    break;
		if (ch == '\n') {		/* unfold: drop blanks before it */
		    while (t && t->len > 0 && IS_SPACE_TAB_CR_LF(t->s[t->len - 1]))
			sb_truncate(t, t->len - 1);
		    continue;
		}
		if (ch == '\\') {
		    if ((ch = *cp) == 0)
			break;
		    cp++;
		}
		if (t)
		    sb_addch(t, ch);
	    }
	    if (t)
		count++;
	    continue;
	}
	if (strchr(RFC2045_TSPECIALS, ch) || IS_CNTRL(ch)) {
	    if (t) {
		s->toktype[count] = ch;
		sb_addch(t, ch);
		count++;
	    }
	    continue;
	}
	if (t) {
	    s->toktype[count] = TOK_ATOM;
	    sb_addch(t, ch);
	}
	while ((ch = *cp) != 0 && !IS_SPACE_TAB_CR_LF(ch) && !IS_CNTRL(ch)
	       && !strchr(RFC2045_TSPECIALS, ch)) {
	    cp++;
	    if (t)
		sb_addch(t, ch);
	}
	if (t)
	    count++;
    }
    if (count == 0 && ch == 0)
	return -1;
    *ptr = (const char *) cp;
    return count;
}

/* tok_is - is token i an atom equal to word (any case)? */
static int tok_is(const struct scan *s, int i, const char *word)
{
    return s->toktype[i] == TOK_ATOM && strcasecmp(sb_str(&s->tok[i]), word) == 0;
}

/*
 * content_type - what mime_state_content_type() takes from a Content-Type
 * header: the part's type, and the boundaries of a multipart type.
 */
static void content_type(struct scan *s)
{
    const char *cp = s->hdr.s + s->name_len + 1;
    int n = tokens(s, &cp);

    if (n <= 0) {
	s->ctype = CT_OTHER;
	return;
    }
    if (tok_is(s, 0, "text")) {
	s->ctype = CT_TEXT;
	s->stype = (n >= 3 && s->toktype[1] == '/' && tok_is(s, 2, "plain")) ?
	    SUB_PLAIN : SUB_OTHER;
    } else if (tok_is(s, 0, "message")) {
	s->ctype = CT_MESSAGE;
	s->stype = SUB_OTHER;
	if (n >= 3 && s->toktype[1] == '/') {
	    if (tok_is(s, 2, "rfc822"))
		s->stype = SUB_RFC822;
	    else if (tok_is(s, 2, "partial"))
		s->stype = SUB_PARTIAL;
	    else if (tok_is(s, 2, "external-body"))
		s->stype = SUB_EXTERN;
	    else if (tok_is(s, 2, "global"))
		s->stype = SUB_GLOBAL;
	}
    } else if (tok_is(s, 0, "multipart")) {
	int digest = n >= 3 && s->toktype[1] == '/' && tok_is(s, 2, "digest");

	s->ctype = CT_MULTIPART;
	/* Every boundary= is pushed: hiding a part behind a second one fails. */
	while ((n = tokens(s, &cp)) >= 0) {
	    if (n >= 3 && tok_is(s, 0, "boundary") && s->toktype[1] == '='
		&& s->depth <= s->max_depth)
		push(s, digest ? CT_MESSAGE : CT_TEXT,
		     digest ? SUB_RFC822 : SUB_PLAIN, sb_str(&s->tok[2]));
	}
    }
    /* Any other type leaves the default of the part in place (Postfix). */
}

/* emit - hand one string to the call-back, unless the scan was stopped */
static void emit(struct scan *s, const struct msgscan_item *item)
{
    int rc;

    if (s->stop == 0 && (rc = s->fn(s->ctx, item)) != 0)
	s->stop = rc;
}

/* flush_header - the collected logical header is complete */
static void flush_header(struct scan *s)
{
    struct msgscan_item item = { (enum msgscan_class) s->state, s->hdr.s,
	s->hdr.len, is_mime_header(s), 0, 0 };

    if ((s->flags & MSGSCAN_MIME) && name_is(s, "content-type"))
	content_type(s);
    if (s->flags & MSGSCAN_HEADERS)
	emit(s, &item);
    s->prev_rec = REC_NONE;
    sb_reset(&s->hdr);
}

/* body_out - one body record; the key ends at a NUL, as postmap's lookup */
static void body_out(struct scan *s, int rec, const char *text, size_t len)
{
    struct msgscan_item item = { MSGSCAN_BODYLINE, NULL, 0, 0, s->body_offset,
	rec == REC_CONT };

    if ((s->flags & MSGSCAN_BODY) == 0)
	return;
    s->body_offset += (long) len + 1;
    sb_reset(&s->line);
    sb_addn(&s->line, text, strnlen(text, len));
    item.text = sb_str(&s->line);
    item.len = s->line.len;
    emit(s, &item);
}

/* append - add text up to its first NUL, as vstring_strncat() */
static void append(struct strbuf *sb, const char *text, size_t len)
{
    sb_addn(sb, text, strnlen(text, len));
}

/* header_end - the record ending a header block; sets up what follows */
static void header_end(struct scan *s, int rec, size_t len)
{
    /* postmap -h alone installs a head_end call-back that stops reading. */
    if (s->state == ST_PRIMARY
	&& (s->flags & (MSGSCAN_BODY | MSGSCAN_MIME)) == 0)
	s->done = 1;
    if (rec == REC_END) {
	set_state(s, ST_BODY);
    } else if (len == 0) {
	s->body_offset = 0;
	if (s->ctype == CT_MESSAGE
	    && (s->stype == SUB_RFC822 || s->stype == SUB_GLOBAL))
	    set_mime_state(s, ST_NESTED, CT_TEXT, SUB_PLAIN);
	else if (s->ctype == CT_MULTIPART)
	    set_mime_state(s, ST_BODY, CT_OTHER, SUB_OTHER);
	else
	    set_state(s, ST_BODY);
    } else {
	/* Not a header: primary headers get an empty separator line. */
	if (s->state == ST_PRIMARY)
	    body_out(s, REC_NORM, "", 0);
	set_state(s, ST_BODY);
    }
}

/*
 * boundary - a body line that may be "--boundary" or "--boundary--". memcmp
 * is Postfix's strncmp here: a stored boundary holds no NUL.
 */
static void boundary(struct scan *s, const char *text, size_t len)
{
    for (struct level *lv = s->stack; lv; lv = lv->next) {
	if (len >= 2 + lv->len && memcmp(text + 2, lv->boundary, lv->len) == 0) {
	    while (s->stack != lv)
		pop(s);
	    if (len >= 4 + lv->len && memcmp(text + 2 + lv->len, "--", 2) == 0) {
		pop(s);
		set_mime_state(s, ST_BODY, CT_OTHER, SUB_OTHER);
	    } else {
		set_mime_state(s, ST_MULTIPART, lv->def_ctype, lv->def_stype);
	    }
	    return;
	}
    }
}

/*
 * update - one input record, as mime_state_update(). The header states may
 * end in this record and then fall through to the body processing of it.
 */
static void update(struct scan *s, int rec, const char *text, size_t len)
{
    int is_text = rec != REC_END;
    size_t name;

    if (s->state != ST_BODY) {
	if (s->hdr.len > 0) {
	    if (is_text && s->prev_rec == REC_CONT) {
		if (s->hdr.len < s->header_limit)
		    append(&s->hdr, text, len);
		s->prev_rec = rec;
		return;
	    }
	    if (is_text && len > 0 && IS_SPACE_TAB(text[0])) {
		/* Past the limit, continuation lines are dropped silently. */
		if (s->hdr.len < s->header_limit) {
		    sb_addch(&s->hdr, '\n');
		    append(&s->hdr, text, len);
		}
		s->prev_rec = rec;
		return;
	    }
	    flush_header(s);
	}
	if (is_text && (name = header_name_len(text, len)) > 0) {
	    size_t i = name;

	    sb_addn(&s->hdr, text, name);
	    while (i < len && IS_SPACE_TAB(text[i]))	/* "Name :" -> "Name:" */
		i++;
	    append(&s->hdr, text + i, len - i);
	    s->name_len = name;
	    s->prev_rec = rec;
	    return;
	}
	header_end(s, rec, len);
    }
    if (is_text) {
	if (s->stack && s->prev_rec != REC_CONT
	    && len > 2 && text[0] == '-' && text[1] == '-')
	    boundary(s, text, len);
	body_out(s, rec, text, len);
    }
    s->prev_rec = rec;
}

/* feed_line - one physical line without its '\n' */
static void feed_line(struct scan *s, const char *text, size_t len)
{
    /* Like vstring_get_bound(): full pieces are CONT, the rest is NORM. */
    if (s->line_limit > 0) {
	while (len >= s->line_limit && s->stop == 0 && s->done == 0) {
	    update(s, REC_CONT, text, s->line_limit);
	    text += s->line_limit;
	    len -= s->line_limit;
	}
    }
    if (s->stop == 0 && s->done == 0)
	update(s, REC_NORM, text, len);
}

static void scan_init(struct scan *s, const struct msgscan_opts *opts,
		      msgscan_fn fn, void *ctx)
{
    memset(s, 0, sizeof(*s));
    s->flags = opts->flags;
    s->header_limit = opts->header_limit ? opts->header_limit : MSGSCAN_DEF_HEADER_LIMIT;
    s->bound_limit = opts->bound_limit ? opts->bound_limit : MSGSCAN_DEF_BOUND_LIMIT;
    s->max_depth = opts->max_depth >= 0 ? opts->max_depth : MSGSCAN_DEF_MAX_DEPTH;
    s->line_limit = opts->line_limit;
    s->fn = fn;
    s->ctx = ctx;
    s->depth = -1;			/* Postfix's "BC Fix 20170512" */
    set_mime_state(s, ST_PRIMARY, CT_TEXT, SUB_PLAIN);
}

/* scan_finish - the end of input flushes a pending header; free all */
static int scan_finish(struct scan *s)
{
    int rc;

    if (s->stop == 0 && s->done == 0)
	update(s, REC_END, "", 0);
    rc = s->stop;
    while (s->stack)
	pop(s);
    sb_free(&s->hdr);
    sb_free(&s->line);
    for (int i = 0; i < MAX_TOKENS; i++)
	sb_free(&s->tok[i]);
    return rc;
}

int msgscan_buf(const char *buf, size_t len, const struct msgscan_opts *opts,
		msgscan_fn fn, void *ctx)
{
    struct scan s;
    const char *end = buf + len;

    if ((opts->flags & (MSGSCAN_HEADERS | MSGSCAN_BODY)) == 0)
	return MSGSCAN_ENOSCAN;
    scan_init(&s, opts, fn, ctx);
    /* A last line without '\n' counts; nothing after a final '\n' does. */
    while (buf < end && s.stop == 0 && s.done == 0) {
	const char *nl = memchr(buf, '\n', (size_t) (end - buf));
	const char *eol = nl ? nl : end;

	feed_line(&s, buf, (size_t) (eol - buf));
	buf = nl ? nl + 1 : end;
    }
    return scan_finish(&s);
}

int msgscan_file(FILE *fp, const struct msgscan_opts *opts,
		 msgscan_fn fn, void *ctx)
{
    struct scan s;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;

    if ((opts->flags & (MSGSCAN_HEADERS | MSGSCAN_BODY)) == 0)
	return MSGSCAN_ENOSCAN;
    scan_init(&s, opts, fn, ctx);
    while (s.stop == 0 && s.done == 0 && (n = getline(&line, &cap, fp)) > 0) {
	size_t len = (size_t) n;

	if (line[len - 1] == '\n')
	    len--;
	feed_line(&s, line, len);
    }
    free(line);
    if (ferror(fp) && s.stop == 0) {
	int saved = errno;

	s.stop = MSGSCAN_EREAD;		/* and the end is not processed */
	scan_finish(&s);
	errno = saved;
	return MSGSCAN_EREAD;
    }
    return scan_finish(&s);
}
