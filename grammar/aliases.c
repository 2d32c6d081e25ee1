/*
 * aliases - the aliases(5) source parser (see aliases.h). The string forms
 * follow Postfix's tok822_internalize() and tok822_externalize() over a
 * flat token list (src: global/tok822_parse.c), which postalias uses
 * without the Sendmail length guard (no TOK822_STR_TRNC).
 */
#include <errno.h>
#include <string.h>

#include "aliases.h"
#include "cfline.h"
#include "diag.h"
#include "strbuf.h"
#include "tok822.h"
#include "utf8.h"

/* is_word - a token that needs a space before the next word */
static int is_word(const struct tok822 *tok)
{
    return tok->type == TOK822_ATOM || tok->type == TOK822_QSTRING
	|| tok->type == TOK822_COMMENT || tok->type == TOK822_DOMLIT;
}

/*
 * want_space - Postfix's tok822_append_space(): the only whitespace that
 * survives is one space between two words, before '<', and after ','.
 * This is why "a  ,   b" becomes "a, b" and "<d> Name" becomes "<d>Name".
 */
static int want_space(const struct tok822 *tok, const struct tok822 *next)
{
    if (next == NULL)
	return 0;
    if (tok->type == ',' || next->type == '<')
	return 1;
    return is_word(tok) && is_word(next);
}

/* add_quoted - text with a backslash before every byte of quote_set ("": none) */
static void add_quoted(struct strbuf *out, const char *text, const char *quote_set)
{
    for (const char *cp = text; *cp; cp++) {
	if (strchr(quote_set, *cp) != NULL)
	    sb_addch(out, '\\');
	sb_addch(out, *cp);
    }
}

/*
 * tokens_text - tokens as text: the key in internal form (quotes gone,
 * Postfix's tok822_internalize), or the value in external form (quoted
 * strings get their quotes back and the backslashes they need, so that
 * the value parses the same way again when local(8) reads it from the
 * table: tok822_externalize).
 */
static void tokens_text(struct strbuf *out, const struct tok822 *tok, size_t count,
			int external)
{
    sb_reset(out);
    for (size_t i = 0; i < count; i++) {
	switch (tok[i].type) {
	case TOK822_ATOM:
	case TOK822_COMMENT:
	    sb_adds(out, tok[i].text);
	    break;
	case TOK822_QSTRING:
	    if (!external) {
		sb_adds(out, tok[i].text);
		break;
	    }
	    sb_addch(out, '"');
	    add_quoted(out, tok[i].text, "\"\\\r\n");
	    sb_addch(out, '"');
	    break;
	case TOK822_DOMLIT:
	    sb_addch(out, '[');
	    add_quoted(out, tok[i].text, external ? "\\\r\n" : "");
	    sb_addch(out, ']');
	    break;
	case ',':
	    /* External: always ", ", even last, where want_space() adds none. */
	    if (external) {
		sb_adds(out, ", ");
		continue;
	    }
	    /* FALLTHROUGH */
	default:
	    sb_addch(out, tok[i].type);
	}
	if (want_space(&tok[i], i + 1 < count ? &tok[i + 1] : NULL))
	    sb_addch(out, ' ');
    }
}

/* all_ascii - Postfix's allascii(): up to the first NUL */
static int all_ascii(const char *text)
{
    for (const unsigned char *cp = (const unsigned char *) text; *cp; cp++)
	if (*cp >= 0x80)
	    return 0;
    return 1;
}

enum aliases_status aliases_parse_line(const char *text, size_t len,
				       unsigned flags, struct strbuf *key,
				       struct strbuf *value)
{
    struct tok822_list list = TOK822_LIST_INIT;
    enum aliases_status status = ALIASES_ENTRY;
    size_t colon, i;

    /* As postalias: the UTF-8 check sees the whole line, NULs and all. */
    if ((flags & ALIASES_UTF8) && !all_ascii(text) && !utf8_valid(text, len))
	return ALIASES_NON_UTF8;

    tok822_scan(text, strlen(text), &list);
    if (list.count == 0) {
	status = ALIASES_EMPTY;
	goto done;
    }
    for (colon = 0; colon < list.count && list.tok[colon].type != ':'; colon++)
	 /* void */ ;
    /* No ':', nothing before or after it: a value must be written, even "". */
    if (colon == list.count || colon == 0 || colon + 1 == list.count) {
	status = ALIASES_NEED_PAIR;
	goto done;
    }
    /* A ',' before the ':' would make the name a list of addresses. */
    for (i = 0; i < colon; i++)
	if (list.tok[i].type == ',') {
	    status = ALIASES_NEED_PAIR;
	    goto done;
	}
    /* Only a bare '@' or '%' counts: "x@y" in quotes is a local name. */
    for (i = 0; i < colon; i++)
	if (list.tok[i].type == '@' || list.tok[i].type == '%') {
	    status = ALIASES_NOT_LOCAL;
	    goto done;
	}
    tokens_text(key, list.tok, colon, 0);
    if (flags & ALIASES_FOLD)
	for (i = 0; i < key->len; i++)
	    if (key->s[i] >= 'A' && key->s[i] <= 'Z')
		key->s[i] = (char) (key->s[i] - 'A' + 'a');
    tokens_text(value, list.tok + colon + 1, list.count - colon - 1, 1);

  done:
    tok822_list_release(&list);
    return status;
}

struct read_state {
    const char *path;
    unsigned flags;
    const struct diag_sink *sink;
    aliases_entry_fn fn;
    void *ctx;
    struct strbuf key;
    struct strbuf value;
    int skipped;
};

/* on_line - one logical line: an entry for the caller, or postalias's warning */
static void on_line(void *ptr, const struct cf_logical_line *line)
{
    struct read_state *st = ptr;
    struct diag at = {
	.severity = DIAG_WARNING, .path = st->path, .line = line->first_line,
	.wording = DIAG_SAY_LINE,
    };

    switch (aliases_parse_line(line->text, line->len, st->flags,
			       &st->key, &st->value)) {
    case ALIASES_ENTRY:
	st->fn(st->ctx, sb_str(&st->key), sb_str(&st->value), line->first_line);
	return;
    case ALIASES_EMPTY:
	return;				/* postalias skips it quietly */
    case ALIASES_NEED_PAIR:
	diag_reportf(st->sink, &at, "need name:value pair");
	break;
    case ALIASES_NOT_LOCAL:
	diag_reportf(st->sink, &at, "name must be local");
	break;
    case ALIASES_NON_UTF8:
	diag_reportf(st->sink, &at, "non-UTF-8 input \"%s\" -- ignoring this line",
		     line->text);
	break;
    }
    st->skipped++;
}

int aliases_read_to(FILE *fp, const char *path, unsigned flags,
		    const struct diag_sink *sink, aliases_entry_fn fn, void *ctx)
{
    /* The reader itself warns about a line that starts with whitespace. */
    static const struct cf_reader_ops ops = { on_line, NULL };
    struct read_state st = {
	.path = path, .flags = flags, .sink = sink, .fn = fn, .ctx = ctx,
	.key = STRBUF_INIT, .value = STRBUF_INIT,
    };
    int status = cf_read_to(fp, path, &ops, sink, &st);
    int saved = errno;

    sb_free(&st.key);
    sb_free(&st.value);
    errno = saved;
    return status < 0 ? -1 : st.skipped;
}

int aliases_read_stream(FILE *fp, const char *path, unsigned flags,
			aliases_entry_fn fn, void *ctx)
{
    return aliases_read_to(fp, path, flags, NULL, fn, ctx);
}
