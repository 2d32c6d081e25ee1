/* reply_footer - a footer under an SMTP reply (see reply_footer.h) */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "dsn.h"
#include "reply_footer.h"
#include "xalloc.h"

/* The lookup, with the filter applied to what it gives (mac_expand()'s). */
struct filtered {
    expand_lookup_fn lookup;
    void *ctx;
    const char *filter;
    struct strbuf value;
};

static const char *filtered_lookup(const char *name, int mode, void *ctx)
{
    struct filtered *f = ctx;
    const char *value = f->lookup(name, mode, f->ctx);

    if (value == NULL || mode != EXPAND_MODE_USE || f->filter == NULL)
	return value;
    return expand_filter(&f->value, value, f->filter);
}

int reply_footer(struct strbuf *reply, const char *template, const char *filter,
		 expand_lookup_fn lookup, void *ctx)
{
    const char *text = sb_str(reply), *cp = text;
    size_t code_offs = 0;

    /* Each line must be "DDD " or "DDD-": the footer copies the last one's code. */
    for (;;) {
	if (!isdigit((unsigned char) cp[0]) || !isdigit((unsigned char) cp[1])
	    || !isdigit((unsigned char) cp[2]) || (cp[3] != ' ' && cp[3] != '-'))
	    return -1;
	code_offs = (size_t) (cp - text);
	const char *next = strstr(cp, "\r\n");
	if (next == NULL || next[2] == 0)
	    break;
	cp = next + 2;
    }
    /* A CRLF at the end goes: lines are joined with CRLF, none after the last. */
    if (reply->len >= 2 && strcmp(text + reply->len - 2, "\r\n") == 0)
	sb_truncate(reply, reply->len - 2);

    size_t undo_len = reply->len;
    size_t dsn_len = dsn_valid(sb_str(reply) + code_offs + 4);
    char code[4], dsn[DSN_SIZE];
    memcpy(code, sb_str(reply) + code_offs, 3);
    code[3] = 0;
    memcpy(dsn, sb_str(reply) + code_offs + 4, dsn_len);
    dsn[dsn_len] = 0;

    struct filtered f = { lookup, ctx, filter, STRBUF_INIT };
    struct strbuf line = STRBUF_INIT;
    int added = 0, status = 0;
    char *saved = xstrdup(template);
    for (char *seg = saved, *end = saved + strlen(saved);;) {
	char *next = strstr(seg, "\\n");
	if (next != NULL)
	    *next = 0;
	else
	    next = end;
	if (seg == saved && strncmp(seg, "\\c", 2) == 0) {
	    seg += 2;		/* on the reply's own last line */
	} else {
	    sb_adds(reply, "\r\n");
	    sb_adds(reply, code);
	    sb_addch(reply, next != end ? '-' : ' ');
	    if (dsn_len > 0) {
		sb_adds(reply, dsn);
		sb_addch(reply, ' ');
	    }
	    added = 1;
	}
	if (expand(&line, seg, 0, filtered_lookup, &f) & EXPAND_ERROR) {
	    status = -2;
	    break;
	}
	sb_adds(reply, sb_str(&line));
	if (next == end)
	    break;
	seg = next + 2;
    }
    if (status < 0)
	sb_truncate(reply, undo_len);
    else if (added)
	reply->s[code_offs + 3] = '-';
    free(saved);
    sb_free(&line);
    sb_free(&f.value);
    return status;
}
