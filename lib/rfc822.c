/*
 * rfc822 - Postfix's RFC 822 tokenizer, parser and quoting (see
 * rfc822.h). The scanner, the right-to-left grouping parser and the
 * string conversions follow global/tok822_parse.c, tok822_tree.c and
 * quote_822_local.c token for token, so an address means here what it
 * means to Postfix.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "rfc822.h"
#include "xalloc.h"

/* Operators: RFC 822's specials, and | % ! which Postfix adds. */
static const char opchars[] = "|%!()<>@,;:\\\".[]";

#define IS_SPACE_TAB_CR_LF(c) ((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')
#define IS_OPCHAR(c) ((c) != 0 && strchr(opchars, (c)) != NULL)

/* ------------------------------------------------------------ nodes */

struct rfc822_tok *rfc822_alloc(int type, const char *text)
{
    struct rfc822_tok *tp = xcalloc(1, sizeof(*tp));

    tp->type = type;
    if (text != NULL)
	sb_adds(&tp->text, text);
    return tp;
}

struct rfc822_tok *rfc822_free(struct rfc822_tok *tp)
{
    sb_free(&tp->text);
    free(tp);
    return NULL;
}

struct rfc822_tok *rfc822_free_tree(struct rfc822_tok *tp)
{
    struct rfc822_tok *next;

    for (; tp != NULL; tp = next) {
	if (tp->head)
	    rfc822_free_tree(tp->head);
	next = tp->next;
	rfc822_free(tp);
    }
    return NULL;
}

/* set_owner - t and its peers after it belong to owner; returns the last */
static struct rfc822_tok *set_owner(struct rfc822_tok *t, struct rfc822_tok *owner)
{
    t->owner = owner;
    while (t->next)
	(t = t->next)->owner = owner;
    return t;
}

struct rfc822_tok *rfc822_append(struct rfc822_tok *t1, struct rfc822_tok *t2)
{
    struct rfc822_tok *next = t1->next;

    t1->next = t2;
    t2->prev = t1;
    t2 = set_owner(t2, t1->owner);
    t2->next = next;
    if (next)
	next->prev = t2;
    return t2;
}

struct rfc822_tok *rfc822_prepend(struct rfc822_tok *t1, struct rfc822_tok *t2)
{
    struct rfc822_tok *prev = t1->prev;

    if (prev)
	prev->next = t2;
    t2->prev = prev;
    t2 = set_owner(t2, t1->owner);
    t2->next = t1;
    t1->prev = t2;
    return t2;			/* the last token inserted, as Postfix's */
}

struct rfc822_tok *rfc822_cut_before(struct rfc822_tok *tp)
{
    struct rfc822_tok *prev = tp->prev;

    if (prev) {
	prev->next = NULL;
	tp->prev = NULL;
    }
    return prev;
}

struct rfc822_tok *rfc822_cut_after(struct rfc822_tok *tp)
{
    struct rfc822_tok *next = tp->next;

    if (next) {
	next->prev = NULL;
	tp->next = NULL;
    }
    return next;
}

struct rfc822_tok *rfc822_unlink(struct rfc822_tok *tp)
{
    struct rfc822_tok *prev = tp->prev, *next = tp->next;

    if (prev)
	prev->next = next;
    if (next)
	next->prev = prev;
    tp->prev = tp->next = NULL;
    return prev;
}

struct rfc822_tok *rfc822_sub_append(struct rfc822_tok *t1, struct rfc822_tok *t2)
{
    if (t1->head)
	return t1->tail = rfc822_append(t1->tail, t2);
    t1->head = t2;
    return t1->tail = set_owner(t2, t1);
}

struct rfc822_tok *rfc822_sub_prepend(struct rfc822_tok *t1, struct rfc822_tok *t2)
{
    if (t1->head) {
	struct rfc822_tok *tp = rfc822_prepend(t1->head, t2);
	t1->head = t2;
	return tp;
    }
    t1->head = t2;
    return t1->tail = set_owner(t2, t1);
}

struct rfc822_tok *rfc822_sub_keep_before(struct rfc822_tok *t1, struct rfc822_tok *t2)
{
    struct rfc822_tok *tail = t1->tail;

    if ((t1->tail = rfc822_cut_before(t2)) == NULL)
	t1->head = NULL;
    return tail;
}

struct rfc822_tok *rfc822_sub_keep_after(struct rfc822_tok *t1, struct rfc822_tok *t2)
{
    struct rfc822_tok *head = t1->head;

    if ((t1->head = rfc822_cut_after(t2)) == NULL)
	t1->tail = NULL;
    return head;
}

struct rfc822_tok *rfc822_rfind_type(struct rfc822_tok *tp, int type)
{
    while (tp != NULL && tp->type != type)
	tp = tp->prev;
    return tp;
}

struct rfc822_tok *rfc822_find_type(struct rfc822_tok *tp, int type)
{
    while (tp != NULL && tp->type != type)
	tp = tp->next;
    return tp;
}

/* ------------------------------------------------------------ scanner */

/*
 * collect - the characters of a token while cond holds: a backslash
 * takes the next character whatever it is (and vanishes), whitespace
 * becomes one space. skip_last: step over the closing character.
 */
enum collect_mode { COLLECT_ATOM, COLLECT_UNTIL };

static const char *collect(struct rfc822_tok *tp, const char *s, enum collect_mode mode,
			   int until, int skip_last)
{
    int c;

    while ((c = *(const unsigned char *) s) != 0) {
	if (c == '\\') {
	    if ((c = *(const unsigned char *) ++s) == 0)
		break;
	} else if (mode == COLLECT_ATOM ? (IS_SPACE_TAB_CR_LF(c) || IS_OPCHAR(c)) : c == until) {
	    break;
	}
	sb_addch(&tp->text, IS_SPACE_TAB_CR_LF(c) ? ' ' : c);
	s++;
    }
    if (skip_last && *s)
	s++;
    return s;
}

/* comment - a comment, parentheses and nesting kept */
static const char *comment(struct rfc822_tok *tp, const char *s)
{
    int level = 1, c;

    sb_addch(&tp->text, '(');
    while ((c = *(const unsigned char *) s) != 0) {
	sb_addch(&tp->text, c);
	s++;
	if (c == '(') {
	    level++;
	} else if (c == ')') {
	    if (--level == 0)
		break;
	} else if (c == '\\') {
	    if ((c = *(const unsigned char *) s) == 0)
		break;
	    sb_addch(&tp->text, c);
	    s++;
	}
    }
    return s;
}

/* quote_atom - an atom holding a space, control or special becomes a quoted string */
static void quote_atom(struct rfc822_tok *tp)
{
    for (const unsigned char *cp = (const unsigned char *) sb_str(&tp->text); *cp; cp++) {
	if (*cp == ' ' || iscntrl(*cp) || IS_OPCHAR(*cp)) {
	    tp->type = RFC822_QSTRING;
	    break;
	}
    }
}

struct rfc822_tok *rfc822_scan(const char *str, struct rfc822_tok **tailp, int limit)
{
    struct rfc822_tok *head = NULL, *tail = NULL, *tp;
    int ch, count = 0;

    while ((ch = *(const unsigned char *) str++) != 0) {
	if (IS_SPACE_TAB_CR_LF(ch))
	    continue;
	if (ch == '(') {
	    tp = rfc822_alloc(RFC822_COMMENT, NULL);
	    str = comment(tp, str);
	} else if (ch == '[') {
	    tp = rfc822_alloc(RFC822_DOMLIT, NULL);
	    str = collect(tp, str, COLLECT_UNTIL, ']', 1);
	} else if (ch == '"') {
	    tp = rfc822_alloc(RFC822_QSTRING, NULL);
	    str = collect(tp, str, COLLECT_UNTIL, '"', 1);
	} else if (ch != '\\' && IS_OPCHAR(ch)) {
	    tp = rfc822_alloc(ch, NULL);
	} else {
	    tp = rfc822_alloc(RFC822_ATOM, NULL);
	    str = collect(tp, str - 1, COLLECT_ATOM, 0, 0);
	    quote_atom(tp);
	}
	/* Keep the text terminated even when empty. */
	sb_addn(&tp->text, "", 0);
	if (head == NULL) {
	    head = tail = tp;
	} else {
	    tail = rfc822_append(tail, tp);
	}
	if (limit > 0 && ++count >= limit)
	    break;
    }
    if (tailp)
	*tailp = tail;
    return head;
}

struct rfc822_tok *rfc822_scan_addr(const char *addr)
{
    struct rfc822_tok *tree = rfc822_alloc(RFC822_ADDR, NULL);

    /* As in Postfix, the tokens keep no owner: words get spaces between them. */
    tree->head = rfc822_scan(addr, &tree->tail, 0);
    return tree;
}

/* ------------------------------------------------------------ parser */

/*
 * group - the tokens strictly between left and right become one group
 * of type under left; with sync, a comma is put after left (that is,
 * before the group, as the parser walks right to left). Returns left.
 */
static struct rfc822_tok *group(int type, struct rfc822_tok *left, struct rfc822_tok *right,
				int sync)
{
    struct rfc822_tok *first;

    if (left != right && (first = left->next) != right) {
	rfc822_cut_before(right);
	rfc822_cut_before(first);
	struct rfc822_tok *g = rfc822_alloc(type, NULL);
	rfc822_sub_append(g, first);
	rfc822_append(left, g);
	rfc822_append(g, right);
	if (sync)
	    rfc822_append(left, rfc822_alloc(sync, NULL));
    }
    return left;
}

#define DO_WORD		(1 << 0)	/* a word may start an address here */
#define DO_GROUP	(1 << 1)	/* inside a named group */

/* move_comment - take comment tp out of the way to the right of right; the token before tp */
static struct rfc822_tok *move_comment(struct rfc822_tok *tp, struct rfc822_tok **right)
{
    struct rfc822_tok *prev = rfc822_unlink(tp);

    *right = rfc822_prepend(*right, tp);
    return prev;
}

struct rfc822_tok *rfc822_parse(const char *str, int limit)
{
    struct rfc822_tok *first, *last;

    if ((first = rfc822_scan(str, &last, limit)) == NULL)
	return NULL;
    /* Sentinels at both ends (type 0). */
    struct rfc822_tok *head = rfc822_alloc(0, NULL), *tail = rfc822_alloc(0, NULL);
    head->next = first;
    first->prev = head;
    last->next = tail;
    tail->prev = last;

    int state = DO_WORD;
    struct rfc822_tok *right = tail, *tp = tail->prev;
    while (tp->type) {
	if (tp->type == RFC822_COMMENT) {
	    tp = move_comment(tp, &right);
	    continue;
	} else if (tp->type == ';') {
	    right = group(RFC822_ADDR, tp, right, ',');
	    state = DO_GROUP | DO_WORD;
	} else if (tp->type == ':' && (state & DO_GROUP) != 0) {
	    tp->type = RFC822_STARTGRP;
	    (void) group(RFC822_ADDR, tp, right, 0);
	    while (tp->type && tp->type != ',')
		tp = tp->prev;
	    right = tp;
	    continue;
	} else if (tp->type == '>') {
	    right = group(RFC822_ADDR, tp, right, ',');
	    while (tp->type && tp->type != '<') {
		if (tp->type == RFC822_COMMENT) {
		    tp = move_comment(tp, &right);
		    continue;
		}
		tp = tp->prev;
	    }
	    (void) group(RFC822_ADDR, tp, right, 0);
	    while (tp->type && (tp->type > 0xff || strchr(">;,:", tp->type) == NULL))
		tp = tp->prev;
	    right = tp;
	    state |= DO_WORD;
	    continue;
	} else if (tp->type == RFC822_ATOM || tp->type == RFC822_QSTRING
		   || tp->type == RFC822_DOMLIT) {
	    if ((state & DO_WORD) == 0)
		right = group(RFC822_ADDR, tp, right, ',')->next;
	    state &= ~DO_WORD;
	} else if (tp->type == ',') {
	    right = group(RFC822_ADDR, tp, right, 0);
	    state |= DO_WORD;
	} else {
	    state |= DO_WORD;
	}
	tp = tp->prev;
    }
    (void) group(RFC822_ADDR, tp, right, 0);

    tp = head->next != tail ? head->next : NULL;
    rfc822_cut_before(head->next);
    rfc822_free(head);
    rfc822_cut_before(tail);
    rfc822_free(tail);
    return tp;
}

/* ------------------------------------------------------------ strings */

/* append_space - Postfix puts a space between two words, after a comma, before a '<' */
static int append_space(const struct rfc822_tok *tp)
{
    const struct rfc822_tok *next;

    if (tp == NULL || (next = tp->next) == NULL || tp->owner != NULL)
	return 0;
    if (tp->type == ',' || tp->type == RFC822_STARTGRP || next->type == '<')
	return 1;
#define NON_OPERATOR(x) ((x)->type == RFC822_ATOM || (x)->type == RFC822_QSTRING \
	|| (x)->type == RFC822_COMMENT || (x)->type == RFC822_DOMLIT \
	|| (x)->type == RFC822_ADDR)
    return NON_OPERATOR(tp) && NON_OPERATOR(next);
}

struct strbuf *rfc822_internalize(struct strbuf *out, const struct rfc822_tok *tree, int flags)
{
    if (flags & RFC822_STR_WIPE)
	sb_reset(out);
    for (const struct rfc822_tok *tp = tree; tp; tp = tp->next) {
	switch (tp->type) {
	case ',':
	    sb_addch(out, ',');
	    if (flags & RFC822_STR_LINE) {
		sb_addch(out, '\n');
		continue;
	    }
	    break;
	case RFC822_ADDR:
	    rfc822_internalize(out, tp->head, RFC822_STR_NONE);
	    break;
	case RFC822_COMMENT:
	case RFC822_ATOM:
	case RFC822_QSTRING:
	    sb_adds(out, sb_str(&tp->text));
	    break;
	case RFC822_DOMLIT:
	    sb_addch(out, '[');
	    sb_adds(out, sb_str(&tp->text));
	    sb_addch(out, ']');
	    break;
	case RFC822_STARTGRP:
	    sb_addch(out, ':');
	    break;
	default:
	    sb_addch(out, tp->type);
	}
	if (append_space(tp))
	    sb_addch(out, ' ');
    }
    sb_addn(out, "", 0);
    return out;
}

static void copy_quoted(struct strbuf *out, const char *str, const char *quote_set)
{
    for (; *str; str++) {
	if (strchr(quote_set, *str))
	    sb_addch(out, '\\');
	sb_addch(out, *str);
    }
}

#define MAX_NONADDR_LENGTH 250

/* strip_address - too much text around an address: only <address> remains */
static void strip_address(struct strbuf *out, size_t start, const struct rfc822_tok *addr)
{
    sb_truncate(out, start);
    sb_addch(out, '<');
    if (addr) {
	struct strbuf tmp = STRBUF_INIT;
	rfc822_internalize(&tmp, addr, RFC822_STR_TERM);
	rfc822_quote_local(out, sb_str(&tmp), RFC822_QUOTE_8BITCLEAN | RFC822_QUOTE_APPEND);
	sb_free(&tmp);
    }
    sb_addch(out, '>');
}

struct strbuf *rfc822_externalize(struct strbuf *out, const struct rfc822_tok *tree, int flags)
{
    size_t start = 0, addr_len = 0;
    const struct rfc822_tok *addr = NULL;

    if (flags & RFC822_STR_WIPE)
	sb_reset(out);
    if (flags & RFC822_STR_TRNC)
	start = out->len;
#define ENFORCE_NONADDR_LENGTH do { \
	if (addr && out->len - addr_len > start + MAX_NONADDR_LENGTH) \
	    strip_address(out, start, addr->head); \
    } while (0)
    for (const struct rfc822_tok *tp = tree; tp; tp = tp->next) {
	switch (tp->type) {
	case ',':
	    if (flags & RFC822_STR_TRNC)
		ENFORCE_NONADDR_LENGTH;
	    sb_addch(out, ',');
	    sb_addch(out, (flags & RFC822_STR_LINE) ? '\n' : ' ');
	    if (flags & RFC822_STR_TRNC) {
		start = out->len;
		addr = NULL;
		addr_len = 0;
	    }
	    continue;
	case RFC822_ADDR:{
		struct strbuf tmp = STRBUF_INIT;
		addr = tp;
		rfc822_internalize(&tmp, tp->head, RFC822_STR_TERM);
		addr_len = out->len;
		rfc822_quote_local(out, sb_str(&tmp),
				   RFC822_QUOTE_8BITCLEAN | RFC822_QUOTE_APPEND);
		addr_len = out->len - addr_len;
		sb_free(&tmp);
		break;
	    }
	case RFC822_ATOM:
	case RFC822_COMMENT:
	    sb_adds(out, sb_str(&tp->text));
	    break;
	case RFC822_QSTRING:
	    sb_addch(out, '"');
	    copy_quoted(out, sb_str(&tp->text), "\"\\\r\n");
	    sb_addch(out, '"');
	    break;
	case RFC822_DOMLIT:
	    sb_addch(out, '[');
	    copy_quoted(out, sb_str(&tp->text), "\\\r\n");
	    sb_addch(out, ']');
	    break;
	case RFC822_STARTGRP:
	    sb_addch(out, ':');
	    break;
	case '<':
	    if (tp->next && tp->next->type == '>') {
		addr = tp;
		addr_len = 0;
	    }
	    sb_addch(out, '<');
	    break;
	default:
	    sb_addch(out, tp->type);
	}
	if (append_space(tp))
	    sb_addch(out, ' ');
    }
    if (flags & RFC822_STR_TRNC)
	ENFORCE_NONADDR_LENGTH;
    sb_addn(out, "", 0);
    return out;
}

/* ------------------------------------------------------------ quoting */

/* is_dot_string - is local[0..end) a dot-string that needs no quotes? */
static int is_dot_string(const char *local, const char *end, int flags)
{
    const char *cp;
    int ch;

    if (local == end || local[0] == 0 || local[0] == '.')
	return 0;
    for (cp = local; cp < end && (ch = *(const unsigned char *) cp) != 0; cp++) {
	if (ch == '.' && cp + 1 < end && cp[1] == '.')
	    return 0;
	if (ch > 127 && !(flags & RFC822_QUOTE_8BITCLEAN))
	    return 0;
	if (ch == ' ' || iscntrl(ch))
	    return 0;
	if (strchr("()<>,;:\\\"[]", ch) != NULL
	    || (ch == '@' && !(flags & RFC822_QUOTE_EXPOSE_AT)))
	    return 0;
    }
    return cp[-1] != '.';
}

struct strbuf *rfc822_quote_local(struct strbuf *out, const char *mbox, int flags)
{
    const char *start = mbox, *end, *colon;

    if (mbox[0] == '@' && (colon = strchr(mbox, ':')) != NULL)
	start = colon + 1;
    if ((end = strrchr(start, '@')) == NULL)
	end = start + strlen(start);
    if ((flags & RFC822_QUOTE_APPEND) == 0)
	sb_reset(out);
    if (is_dot_string(start, end, flags)) {
	sb_adds(out, mbox);
    } else {
	sb_addn(out, mbox, (size_t) (start - mbox));
	sb_addch(out, '"');
	for (const char *cp = start; cp < end && *cp; cp++) {
	    int ch = *(const unsigned char *) cp;
	    if ((ch > 127 && !(flags & RFC822_QUOTE_8BITCLEAN)) || ch == '"' || ch == '\\'
		|| ch == '\r')
		sb_addch(out, '\\');
	    sb_addch(out, ch);
	}
	sb_addch(out, '"');
	sb_adds(out, end);
    }
    sb_addn(out, "", 0);
    return out;
}

struct strbuf *rfc822_unquote_local(struct strbuf *out, const char *mbox)
{
    const char *start = mbox, *colon, *bare_at = NULL;
    size_t bare_at_pos = 0;
    int in_quote = 0;

    sb_reset(out);
    if (mbox[0] == '@' && (colon = strchr(mbox, ':')) != NULL) {
	start = colon + 1;
	sb_addn(out, mbox, (size_t) (start - mbox));
    }
    for (const char *cp = start; *cp; cp++) {
	if (*cp == '"') {
	    in_quote = !in_quote;
	    continue;
	} else if (*cp == '@') {
	    if (!in_quote) {
		bare_at_pos = out->len;
		bare_at = cp;
	    }
	} else if (*cp == '\\') {
	    if (cp[1] == 0)
		continue;
	    cp++;
	}
	sb_addch(out, *cp);
    }
    /* Text after the last unquoted '@' stays as it was. */
    if (bare_at != NULL) {
	sb_truncate(out, bare_at_pos);
	sb_adds(out, bare_at);
    }
    sb_addn(out, "", 0);
    return out;
}
