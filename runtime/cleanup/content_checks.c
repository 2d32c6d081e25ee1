/*
 * content_checks - cleanup's header and body checks (cleanup_message.c's
 * cleanup_act()) over a message, from the image's tables; see
 * content_checks.h.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "content_checks.h"
#include "maps.h"
#include "msgscan.h"
#include "textutil.h"
#include "trace.h"
#include "xalloc.h"

/* The table sets of one cleanup service. */
struct checks_scan {
    struct session *s;
    const struct policy *cp;
    const char *rcpt;		/* the recipient the log lines name, or NULL */
    struct checks_result *r;
    const uint32_t *header, *mime, *nested, *body;
    uint32_t nheader, nmime, nnested, nbody;
    long body_limit;
    int filtering;		/* checks still apply (REJECT, DISCARD ... stop them) */
    int failed;
};

void checks_result_init(struct checks_result *r)
{
    memset(r, 0, sizeof(*r));
}

void checks_result_free(struct checks_result *r)
{
    sb_free(&r->reason);
    free(r->filter);
    free(r->redirect);
    for (size_t i = 0; i < r->nbcc; i++)
	free(r->bcc[i]);
    free(r->bcc);
    sb_free(&r->message);
}

static void hit(struct checks_scan *sc, const char *what, const char *context,
		const char *text, const char *detail)
{
    struct session *s = sc->s;

    if (s->trace == NULL || s->trace->note == NULL)
	return;
    struct strbuf note = STRBUF_INIT;
    /*
     * cleanup_act_log()'s line: the first line of a header only, as it
     * was, at most 200 bytes; then what cleanup knows of the envelope.
     */
    size_t len = strcspn(text, "\n");
    sb_printf(&note, "%s: %s %.*s from %s;", what, context, (int) (len < 200 ? len : 200), text,
	      s->namaddr);
    if (s->sender)
	sb_printf(&note, " from=<%s>", s->sender);
    if (sc->rcpt)
	sb_printf(&note, " to=<%s>", sc->rcpt);
    if (s->protocol)
	sb_printf(&note, " proto=%s", s->protocol);
    if (s->helo_name)
	sb_printf(&note, " helo=<%s>", s->helo_name);
    if (detail && *detail)
	sb_printf(&note, ": %s", detail);
    s->trace->note(s->trace->ctx, sb_str(&note));
    sb_free(&note);
}

int checks_log_line(const char *note)
{
    static const char *const cleanup_lines[] = {
	"reject: header ", "reject: body ", "hold: ", "discard: ", "prepend: ", "replace: ",
	"redirect: ", "filter: ", "bcc: ", "info: ", "strip: ",
    };

    for (size_t i = 0; i < sizeof(cleanup_lines) / sizeof(cleanup_lines[0]); i++)
	if (strncmp(note, cleanup_lines[i], strlen(cleanup_lines[i])) == 0)
	    return 1;
    return 0;
}

static void warn(struct checks_scan *sc, const char *fmt, const char *a, const char *b)
{
    struct session *s = sc->s;

    if (s->trace == NULL || s->trace->note == NULL)
	return;
    struct strbuf note = STRBUF_INIT;
    sb_adds(&note, "warning: ");
    sb_printf(&note, fmt, a, b);
    s->trace->note(s->trace->ctx, sb_str(&note));
    sb_free(&note);
}

/* set_reason - "X.Y.Z text" from an action's optional text (dsn_prepend()) */
static void set_reason(struct strbuf *reason, const char *def_dsn, const char *text)
{
    const char *cp = text;
    size_t len = 0;

    while (*cp == ' ' || *cp == '\t')
	cp++;
    /* an X.Y.Z code of the text wins over the default */
    if ((cp[0] == '2' || cp[0] == '4' || cp[0] == '5') && cp[1] == '.') {
	size_t a = strspn(cp + 2, "0123456789");
	if (a >= 1 && a <= 3 && cp[2 + a] == '.') {
	    size_t b = strspn(cp + 3 + a, "0123456789");
	    if (b >= 1 && b <= 3 && (cp[3 + a + b] == 0 || cp[3 + a + b] == ' '
				     || cp[3 + a + b] == '\t'))
		len = 3 + a + b;
	}
    }
    sb_reset(reason);
    if (len > 0) {
	sb_addn(reason, cp, len);
	cp += len;
    } else {
	sb_adds(reason, def_dsn);
    }
    while (*cp == ' ' || *cp == '\t')
	cp++;
    sb_addch(reason, ' ');
    sb_adds(reason, cp);
}

/*
 * act - cleanup_act(): what value says to do with text (a header or a
 * body line). Returns the text to keep: text itself, a replacement (in
 * *repl), or NULL to drop it.
 */
static const char *act(struct checks_scan *sc, const char *context, const char *text,
		       const char *value, const char *map_class, char **repl)
{
    struct checks_result *r = sc->r;
    size_t cmd_len = strcspn(value, " \t");
    const char *opt = value + cmd_len;

    while (*opt == ' ' || *opt == '\t')
	opt++;
#define IS(word) (strncasecmp(value, word, cmd_len) == 0 && word[cmd_len] == 0)
    if (IS("REJECT")) {
	if (*opt)
	    set_reason(&r->reason, "5.7.1", opt);
	else
	    set_reason(&r->reason, "5.7.1", "message content rejected");
	if (r->reason.s[0] != '4' && r->reason.s[0] != '5')
	    warn(sc, "bad DSN action in %s -- need 4.x.x or 5.x.x%s", opt, "");
	r->flags |= r->reason.s[0] == '4' ? CHECKS_DEFER : CHECKS_REJECT;
	sc->filtering = 0;
	hit(sc, "reject", context, text, sb_str(&r->reason));
	return text;
    }
    if (IS("WARN") || IS("INFO")) {
	hit(sc, IS("WARN") ? "warning" : "info", context, text, opt);
	return text;
    }
    if (IS("FILTER")) {
	if (*opt == 0)
	    warn(sc, "missing FILTER command argument in %s map%s", map_class, "");
	else if (strchr(opt, ':') == NULL)
	    warn(sc, "bad FILTER command %s in %s -- need transport:destination", opt, map_class);
	else {
	    free(r->filter);
	    r->filter = xstrdup(opt);
	    hit(sc, "filter", context, text, opt);
	}
	return text;
    }
    if (IS("PASS")) {
	hit(sc, "pass", context, text, opt);
	sc->filtering = 0;
	return text;
    }
    if (IS("DISCARD")) {
	hit(sc, "discard", context, text, opt);
	r->flags |= CHECKS_DISCARD;
	sc->filtering = 0;
	return text;
    }
    if (IS("HOLD")) {
	if ((r->flags & (CHECKS_HOLD | CHECKS_DISCARD)) == 0) {
	    hit(sc, "hold", context, text, opt);
	    r->flags |= CHECKS_HOLD;
	}
	return text;
    }
    if (IS("PREPEND")) {
	if (*opt == 0) {
	    warn(sc, "PREPEND action without text in %s map%s", map_class, "");
	} else if (strcmp(context, "header") == 0 && !is_header_text(opt)) {
	    warn(sc, "bad PREPEND header text \"%s\" in %s map -- need \"headername:"
		 " headervalue\"", opt, map_class);
	} else {
	    hit(sc, "prepend", context, text, opt);
	    sb_adds(&r->message, opt);
	    sb_addch(&r->message, '\n');
	}
	return text;
    }
    if (IS("REPLACE")) {
	if (*opt == 0) {
	    warn(sc, "REPLACE action without text in %s map%s", map_class, "");
	    return text;
	}
	if (strcmp(context, "header") == 0 && !is_header_text(opt)) {
	    warn(sc, "bad REPLACE header text \"%s\" in %s map -- need \"headername:"
		 " headervalue\"", opt, map_class);
	    return text;
	}
	hit(sc, "replace", context, text, opt);
	*repl = xstrdup(opt);
	return *repl;
    }
    if (IS("REDIRECT") || IS("BCC")) {
	int redirect = IS("REDIRECT");
	if (strchr(opt, '@') == NULL) {
	    warn(sc, redirect ? "bad REDIRECT target \"%s\" in %s map -- need user@domain"
		 : "bad BCC address \"%s\" in %s map -- need user@domain", opt, map_class);
	} else if (redirect) {
	    free(r->redirect);
	    r->redirect = xstrdup(opt);
	    hit(sc, "redirect", context, text, opt);
	    sc->filtering = 0;
	} else {
	    r->bcc = xrealloc(r->bcc, (r->nbcc + 2) * sizeof(*r->bcc));
	    r->bcc[r->nbcc++] = xstrdup(opt);
	    r->bcc[r->nbcc] = NULL;
	    hit(sc, "bcc", context, text, opt);
	}
	return text;
    }
    if (IS("STRIP")) {
	hit(sc, "strip", context, text, opt);
	return NULL;
    }
    if (IS("IGNORE"))
	return NULL;
    if (IS("DUNNO") || IS("OK"))
	return text;
#undef IS
    /* cleanup: "unknown command in header_checks map: ..." and the line passes */
    struct session *s = sc->s;
    if (s->trace && s->trace->note) {
	struct strbuf note = STRBUF_INIT;
	sb_printf(&note, "warning: unknown command in %s map: %s", map_class, value);
	s->trace->note(s->trace->ctx, sb_str(&note));
	sb_free(&note);
    }
    return text;
}

static int on_item(void *ctx, const struct msgscan_item *item)
{
    struct checks_scan *sc = ctx;
    const uint32_t *tables = NULL;
    uint32_t count = 0;
    const char *map_class = "header_checks", *context = "header";
    char *repl = NULL;
    const char *keep = item->text;

    switch (item->cls) {
    case MSGSCAN_PRIMARY:
	if (item->mime_header)
	    tables = sc->mime, count = sc->nmime, map_class = "mime_header_checks";
	else
	    tables = sc->header, count = sc->nheader;
	break;
    case MSGSCAN_MULTIPART:
	tables = sc->mime, count = sc->nmime, map_class = "mime_header_checks";
	break;
    case MSGSCAN_NESTED:
	tables = sc->nested, count = sc->nnested, map_class = "nested_header_checks";
	break;
    case MSGSCAN_BODYLINE:
	context = "body";
	map_class = "body_checks";
	if (sc->body_limit <= 0 || item->offset < sc->body_limit)
	    tables = sc->body, count = sc->nbody;
	break;
    }
    if (sc->filtering && count > 0) {
	const char *value;
	int found = maps_find_tables(sc->s, tables, count, item->text, 0, &value);
	if (found == MAPS_FAIL) {
	    sc->failed = 1;
	    sc->filtering = 0;
	} else if (found == MAPS_FOUND) {
	    char *copy = xstrdup(value);
	    keep = act(sc, context, item->text, copy, map_class, &repl);
	    free(copy);
	}
    }
    if (keep != NULL) {
	sb_adds(&sc->r->message, keep);
	sb_addch(&sc->r->message, '\n');
    }
    free(repl);
    return 0;
}

int content_checks(struct session *s, const struct policy *cp, const char *rcpt,
		   const char *msg, size_t len, struct checks_result *r)
{
    struct checks_scan sc = { s, cp, rcpt, r, NULL, NULL, NULL, NULL, 0, 0, 0, 0, 0, 1, 0 };
    struct msgscan_opts opts = MSGSCAN_OPTS_INIT(MSGSCAN_HEADERS | MSGSCAN_BODY);

    sc.header = policy_tables(cp, "header_checks", &sc.nheader);
    sc.mime = policy_tables(cp, "mime_header_checks", &sc.nmime);
    sc.nested = policy_tables(cp, "nested_header_checks", &sc.nnested);
    sc.body = policy_tables(cp, "body_checks", &sc.nbody);
    sc.body_limit = policy_int(cp, "body_checks_size_limit", 51200);
    if (!policy_bool(cp, "disable_mime_input_processing"))
	opts.flags |= MSGSCAN_MIME;
    opts.header_limit = (size_t) policy_int(cp, "header_size_limit", 102400);
    opts.bound_limit = (size_t) policy_int(cp, "mime_boundary_length_limit", 2048);
    opts.max_depth = policy_int(cp, "mime_nesting_limit", 100);
    (void) msgscan_buf(msg, len, &opts, on_item, &sc);
    if (sc.failed) {
	r->flags |= CHECKS_DEFER;
	set_reason(&r->reason, "4.3.0", "Server configuration error");
	return -1;
    }
    return 0;
}

void checks_reply(const struct checks_result *r, struct strbuf *out)
{
    sb_reset(out);
    /* cleanup's CLEANUP_STAT_CONT is 550, CLEANUP_STAT_DEFER 451, with its reason */
    sb_printf(out, "%d %s", (r->flags & CHECKS_DEFER) ? 451 : 550, sb_str(&r->reason));
}
