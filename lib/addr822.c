/* addr822 - RFC 822 address tokens as Postfix handles them (see addr822.h) */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr822.h"
#include "xalloc.h"

/*
 * Operators: RFC 822's specials, and % ! | which Postfix treats alike
 * (tok822_opchar[]), as a table: the scanner asks for every byte.
 */
static const unsigned char opchar[256] = {
    ['|'] = 1, ['%'] = 1, ['!'] = 1, ['('] = 1, [')'] = 1, ['<'] = 1, ['>'] = 1,
    ['@'] = 1, [','] = 1, [';'] = 1, [':'] = 1, ['\\'] = 1, ['"'] = 1, ['.'] = 1,
    ['['] = 1, [']'] = 1,
};

#define IS_SPACE_TAB_CR_LF(c)	((c) == ' ' || (c) == '\t' || (c) == '\r' || (c) == '\n')
#define IS_CNTRL(c)		((c) < 0x20 || (c) == 0x7f)
#define IS_OPCHAR(c)		(opchar[(unsigned char) (c)] != 0)

/* The parser's state bits and resync commas, as tok822_parse.c's. */
#define DO_WORD		(1 << 0)
#define DO_GROUP	(1 << 1)
#define ADD_COMMA	','
#define NO_MISSING_COMMA 0

void a822_init(struct a822 *a)
{
    memset(a, 0, sizeof(*a));
}

void a822_reset(struct a822 *a)
{
    a->n = 0;
    sb_reset(&a->text);
}

void a822_free(struct a822 *a)
{
    free(a->tok);
    sb_free(&a->text);
    memset(a, 0, sizeof(*a));
}

#define T(i)	(a->tok[i])

int32_t a822_alloc(struct a822 *a, int type, const char *text)
{
    if (a->n == a->cap) {
	a->cap = a->cap ? 2 * a->cap : 32;
	a->tok = xrealloc(a->tok, a->cap * sizeof(*a->tok));
    }
    struct a822_tok *t = &a->tok[a->n];
    t->type = type;
    t->prev = t->next = t->head = t->tail = t->owner = A822_NONE;
    t->text = (uint32_t) a->text.len;
    if (text != NULL)
	sb_adds(&a->text, text);
    sb_addn(&a->text, "", 1);	/* each token's text ends in its own NUL */
    return (int32_t) a->n++;
}

/* start_text, add_text - build the newest token's contents byte by byte */
static int32_t start_token(struct a822 *a, int type)
{
    int32_t t = a822_alloc(a, type, NULL);

    sb_truncate(&a->text, a->text.len - 1);	/* reopen its contents */
    return t;
}

static void end_token(struct a822 *a)
{
    sb_addn(&a->text, "", 1);
}

/*
 * collect - COLLECT(): copy characters while cond (a closing character:
 * stop there; 0: an atom's end) holds, a backslash quoting the next one;
 * white space inside becomes a space. Returns where the scan stopped.
 */
static const char *collect(struct a822 *a, const char *s, int close)
{
    int c;

    while ((c = *(const unsigned char *) s) != 0) {
	if (c == '\\') {
	    if ((c = *(const unsigned char *) ++s) == 0)
		break;
	} else if (close ? c == close : (IS_SPACE_TAB_CR_LF(c) || IS_OPCHAR(c))) {
	    break;
	}
	sb_addch(&a->text, IS_SPACE_TAB_CR_LF(c) ? ' ' : c);
	s++;
    }
    end_token(a);
    return s;
}

/* comment - a (possibly nested) comment, kept as written */
static const char *comment(struct a822 *a, const char *s)
{
    int level = 1, c;

    sb_addch(&a->text, '(');
    while ((c = *(const unsigned char *) s) != 0) {
	sb_addch(&a->text, c);
	s++;
	if (c == '(') {
	    level++;
	} else if (c == ')') {
	    if (--level == 0)
		break;
	} else if (c == '\\') {
	    if ((c = *(const unsigned char *) s) == 0)
		break;
	    sb_addch(&a->text, c);
	    s++;
	}
    }
    end_token(a);
    return s;
}

/* quote_atom - an atom that must be quoted when written out is a qstring */
static void quote_atom(struct a822 *a, int32_t t)
{
    for (const unsigned char *cp = (const unsigned char *) a822_str(a, t); *cp; cp++) {
	if (*cp == ' ' || IS_CNTRL(*cp) || IS_OPCHAR(*cp)) {
	    T(t).type = A822_QSTRING;
	    return;
	}
    }
}

int32_t a822_scan(struct a822 *a, const char *str, int32_t *tailp)
{
    int32_t head = A822_NONE, tail = A822_NONE, tp;
    int ch;

    while ((ch = *(const unsigned char *) str++) != 0) {
	if (IS_SPACE_TAB_CR_LF(ch))
	    continue;
	if (ch == '(') {
	    tp = start_token(a, A822_COMMENT);
	    str = comment(a, str);
	} else if (ch == '[' || ch == '"') {
	    tp = start_token(a, ch == '[' ? A822_DOMLIT : A822_QSTRING);
	    str = collect(a, str, ch == '[' ? ']' : '"');
	    if (*str)
		str++;
	} else if (ch != '\\' && IS_OPCHAR(ch)) {
	    tp = a822_alloc(a, ch, NULL);
	} else {
	    tp = start_token(a, A822_ATOM);
	    str = collect(a, str - 1, 0);	/* a backslash may come first */
	    quote_atom(a, tp);
	}
	if (head == A822_NONE)
	    head = tail = tp;
	else
	    tail = a822_append(a, tail, tp);
    }
    if (tailp)
	*tailp = tail;
    return head;
}

int32_t a822_scan_addr(struct a822 *a, const char *str)
{
    int32_t tree = a822_alloc(a, A822_ADDR, NULL);
    int32_t tail, head = a822_scan(a, str, &tail);

    T(tree).head = head;
    T(tree).tail = tail;
    return tree;
}

/* ----------------------------------------------------------- tree edits */

/* set_owner - t2 and every token after it belong to owner */
static int32_t set_owner(struct a822 *a, int32_t t2, int32_t owner)
{
    T(t2).owner = owner;
    while (T(t2).next != A822_NONE) {
	t2 = T(t2).next;
	T(t2).owner = owner;
    }
    return t2;
}

int32_t a822_append(struct a822 *a, int32_t t1, int32_t t2)
{
    int32_t next = T(t1).next;

    T(t1).next = t2;
    T(t2).prev = t1;
    t2 = set_owner(a, t2, T(t1).owner);
    T(t2).next = next;
    if (next != A822_NONE)
	T(next).prev = t2;
    return t2;
}

int32_t a822_prepend(struct a822 *a, int32_t t1, int32_t t2)
{
    int32_t prev = T(t1).prev;

    if (prev != A822_NONE)
	T(prev).next = t2;
    T(t2).prev = prev;
    t2 = set_owner(a, t2, T(t1).owner);
    T(t2).next = t1;
    T(t1).prev = t2;
    return t2;
}

int32_t a822_cut_before(struct a822 *a, int32_t tp)
{
    int32_t prev = T(tp).prev;

    if (prev != A822_NONE) {
	T(prev).next = A822_NONE;
	T(tp).prev = A822_NONE;
    }
    return prev;
}

int32_t a822_cut_after(struct a822 *a, int32_t tp)
{
    int32_t next = T(tp).next;

    if (next != A822_NONE) {
	T(next).prev = A822_NONE;
	T(tp).next = A822_NONE;
    }
    return next;
}

/* unlink - take tp out of its list; its predecessor */
static int32_t unlink_tok(struct a822 *a, int32_t tp)
{
    int32_t prev = T(tp).prev, next = T(tp).next;

    if (prev != A822_NONE)
	T(prev).next = next;
    if (next != A822_NONE)
	T(next).prev = prev;
    T(tp).prev = T(tp).next = A822_NONE;
    return prev;
}

int32_t a822_sub_append(struct a822 *a, int32_t t1, int32_t t2)
{
    if (T(t1).head != A822_NONE)
	return T(t1).tail = a822_append(a, T(t1).tail, t2);
    T(t1).head = t2;
    return T(t1).tail = set_owner(a, t2, t1);
}

int32_t a822_sub_prepend(struct a822 *a, int32_t t1, int32_t t2)
{
    if (T(t1).head != A822_NONE) {
	int32_t tp = a822_prepend(a, T(t1).head, t2);
	T(t1).head = t2;
	return tp;
    }
    T(t1).head = t2;
    return T(t1).tail = set_owner(a, t2, t1);
}

int32_t a822_sub_keep_before(struct a822 *a, int32_t t1, int32_t t2)
{
    int32_t tail = T(t1).tail;

    if ((T(t1).tail = a822_cut_before(a, t2)) == A822_NONE)
	T(t1).head = A822_NONE;
    return tail;
}

int32_t a822_sub_keep_after(struct a822 *a, int32_t t1, int32_t t2)
{
    int32_t head = T(t1).head;

    if ((T(t1).head = a822_cut_after(a, t2)) == A822_NONE)
	T(t1).tail = A822_NONE;
    return head;
}

int32_t a822_find_type(const struct a822 *a, int32_t tp, int type)
{
    while (tp != A822_NONE && T(tp).type != type)
	tp = T(tp).next;
    return tp;
}

int32_t a822_rfind_type(const struct a822 *a, int32_t tp, int type)
{
    while (tp != A822_NONE && T(tp).type != type)
	tp = T(tp).prev;
    return tp;
}

/* ---------------------------------------------------------------- parse */

/* group - tok822_group(): the tokens between left and right as a group */
static int32_t group(struct a822 *a, int type, int32_t left, int32_t right, int sync)
{
    int32_t first;

    if (left != right && (first = T(left).next) != right) {
	a822_cut_before(a, right);
	a822_cut_before(a, first);
	int32_t g = a822_alloc(a, type, NULL);
	a822_sub_append(a, g, first);
	a822_append(a, left, g);
	a822_append(a, g, right);
	if (sync)
	    a822_append(a, left, a822_alloc(a, sync, NULL));
    }
    return left;
}

#define IS_WORD(t)	((t) == A822_ATOM || (t) == A822_QSTRING || (t) == A822_DOMLIT)

/* move_comment - put the comment tp before right; tp's old predecessor */
static int32_t move_comment(struct a822 *a, int32_t tp, int32_t *right)
{
    int32_t prev = unlink_tok(a, tp);

    *right = a822_prepend(a, *right, tp);
    return prev;
}

/* skip_left - leftward to the sentinel or a token of stop */
static int32_t skip_left(struct a822 *a, int32_t tp, const char *stop)
{
    while (T(tp).type && (T(tp).type > 0xff || strchr(stop, T(tp).type) == NULL))
	tp = T(tp).prev;
    return tp;
}

int32_t a822_parse(struct a822 *a, const char *str)
{
    int32_t first, last, head, tail, right, tp;
    int state = DO_WORD;

    if ((first = a822_scan(a, str, &last)) == A822_NONE)
	return A822_NONE;
    /* Sentinels (type 0) on both sides. */
    head = a822_alloc(a, 0, NULL);
    T(head).next = first;
    T(first).prev = head;
    tail = a822_alloc(a, 0, NULL);
    T(last).next = tail;
    T(tail).prev = last;

    /* Right to left, grouping each address between tp and right. */
    right = tail;
    tp = T(tail).prev;
    while (T(tp).type) {
	int type = T(tp).type;
	if (type == A822_COMMENT) {
	    tp = move_comment(a, tp, &right);
	    continue;
	} else if (type == ';') {
	    right = group(a, A822_ADDR, tp, right, ADD_COMMA);
	    state = DO_GROUP | DO_WORD;
	} else if (type == ':' && (state & DO_GROUP)) {
	    T(tp).type = A822_STARTGRP;
	    group(a, A822_ADDR, tp, right, NO_MISSING_COMMA);
	    while (T(tp).type && T(tp).type != ',')
		tp = T(tp).prev;
	    right = tp;
	    continue;
	} else if (type == '>') {
	    right = group(a, A822_ADDR, tp, right, ADD_COMMA);
	    while (T(tp).type && T(tp).type != '<') {
		if (T(tp).type == A822_COMMENT)
		    tp = move_comment(a, tp, &right);
		else
		    tp = T(tp).prev;
	    }
	    group(a, A822_ADDR, tp, right, NO_MISSING_COMMA);
	    tp = skip_left(a, tp, ">;,:");
	    right = tp;
	    state |= DO_WORD;
	    continue;
	} else if (IS_WORD(type)) {
	    if ((state & DO_WORD) == 0)
		right = T(group(a, A822_ADDR, tp, right, ADD_COMMA)).next;
	    state &= ~DO_WORD;
	} else if (type == ',') {
	    right = group(a, A822_ADDR, tp, right, NO_MISSING_COMMA);
	    state |= DO_WORD;
	} else {
	    state |= DO_WORD;
	}
	tp = T(tp).prev;
    }
    group(a, A822_ADDR, tp, right, NO_MISSING_COMMA);

    tp = T(head).next != tail ? T(head).next : A822_NONE;
    a822_cut_before(a, T(head).next);
    a822_cut_before(a, tail);
    return tp;
}

/* ---------------------------------------------------------------- text */

/* append_space - tok822_append_space(): a space after tp when written? */
static int append_space(const struct a822 *a, int32_t tp)
{
    int32_t next;

    if (tp == A822_NONE || (next = T(tp).next) == A822_NONE || T(tp).owner != A822_NONE)
	return 0;
    if (T(tp).type == ',' || T(tp).type == A822_STARTGRP || T(next).type == '<')
	return 1;
#define NON_OPERATOR(t) ((t) == A822_ATOM || (t) == A822_QSTRING || (t) == A822_COMMENT \
			 || (t) == A822_DOMLIT || (t) == A822_ADDR)
    return NON_OPERATOR(T(tp).type) && NON_OPERATOR(T(next).type);
}

void a822_internalize(struct a822 *a, struct strbuf *out, int32_t t)
{
    for (int32_t tp = t; tp != A822_NONE; tp = T(tp).next) {
	switch (T(tp).type) {
	case A822_ADDR:
	    a822_internalize(a, out, T(tp).head);
	    break;
	case A822_COMMENT:
	case A822_ATOM:
	case A822_QSTRING:
	    sb_adds(out, a822_str(a, tp));
	    break;
	case A822_DOMLIT:
	    sb_addch(out, '[');
	    sb_adds(out, a822_str(a, tp));
	    sb_addch(out, ']');
	    break;
	case A822_STARTGRP:
	    sb_addch(out, ':');
	    break;
	default:
	    sb_addch(out, T(tp).type);
	}
	if (append_space(a, tp))
	    sb_addch(out, ' ');
    }
}

/* copy_quoted - text with a backslash before each character of quote_set */
static void copy_quoted(struct strbuf *out, const char *text, const char *quote_set)
{
    for (; *text; text++) {
	if (strchr(quote_set, *text))
	    sb_addch(out, '\\');
	sb_addch(out, *text);
    }
}

void a822_externalize(struct a822 *a, struct strbuf *out, int32_t t)
{
    struct strbuf tmp = STRBUF_INIT;

    for (int32_t tp = t; tp != A822_NONE; tp = T(tp).next) {
	switch (T(tp).type) {
	case ',':
	    sb_adds(out, ", ");
	    continue;
	case A822_ADDR:
	    sb_reset(&tmp);
	    a822_internalize(a, &tmp, T(tp).head);
	    a822_quote_local(out, sb_str(&tmp), A822_QUOTE_8BITCLEAN);
	    break;
	case A822_ATOM:
	case A822_COMMENT:
	    sb_adds(out, a822_str(a, tp));
	    break;
	case A822_QSTRING:
	    sb_addch(out, '"');
	    copy_quoted(out, a822_str(a, tp), "\"\\\r\n");
	    sb_addch(out, '"');
	    break;
	case A822_DOMLIT:
	    sb_addch(out, '[');
	    copy_quoted(out, a822_str(a, tp), "\\\r\n");
	    sb_addch(out, ']');
	    break;
	case A822_STARTGRP:
	    sb_addch(out, ':');
	    break;
	default:
	    sb_addch(out, T(tp).type);
	}
	if (append_space(a, tp))
	    sb_addch(out, ' ');
    }
    sb_free(&tmp);
}

/* ------------------------------------------------------------- quoting */

/* is_dot_string - quote_822_local's test: is local[0..end) a dot-string? */
static int is_dot_string(const char *local, const char *end, unsigned flags)
{
    const char *cp;
    int ch = 0;

    if (local == end || local[0] == 0 || local[0] == '.')
	return 0;
    for (cp = local; cp < end && (ch = *(const unsigned char *) cp) != 0; cp++) {
	if (ch == '.' && cp + 1 < end && cp[1] == '.')
	    return 0;
	if (ch > 127 && !(flags & A822_QUOTE_8BITCLEAN))
	    return 0;
	if (ch == ' ' || IS_CNTRL(ch) || (ch < 128 && strchr("()<>@,;:\\\"[]", ch)))
	    return 0;
    }
    return cp[-1] != '.';
}

/* local_part - where quote_822_local() finds the local part of mbox */
static const char *local_part(const char *mbox, unsigned flags, const char **end)
{
    const char *start = mbox, *colon;

    if (mbox[0] == '@' && (colon = strchr(mbox, ':')) != NULL)
	start = colon + 1;
    if ((flags & A822_QUOTE_BARE_LOCALPART) || (*end = strrchr(start, '@')) == NULL)
	*end = start + strlen(start);
    return start;
}

int a822_needs_quote(const char *mbox, unsigned flags)
{
    const char *end, *start = local_part(mbox, flags, &end);

    return !is_dot_string(start, end, flags);
}

void a822_quote_local(struct strbuf *out, const char *mbox, unsigned flags)
{
    const char *end, *start = local_part(mbox, flags, &end);

    if (is_dot_string(start, end, flags)) {
	sb_adds(out, mbox);
	return;
    }
    sb_addn(out, mbox, (size_t) (start - mbox));
    sb_addch(out, '"');
    for (const char *cp = start; cp < end && *cp; cp++) {
	int ch = *(const unsigned char *) cp;
	if ((ch > 127 && !(flags & A822_QUOTE_8BITCLEAN)) || ch == '"' || ch == '\\' || ch == '\r')
	    sb_addch(out, '\\');
	sb_addch(out, ch);
    }
    sb_addch(out, '"');
    sb_adds(out, end);
}

void a822_unquote_local(struct strbuf *out, const char *mbox)
{
    const char *start = mbox, *colon, *cp, *bare_at = NULL;
    size_t bare_at_pos = 0;
    int in_quote = 0;

    /* A source route stays as it is. */
    if (mbox[0] == '@' && (colon = strchr(mbox, ':')) != NULL) {
	start = colon + 1;
	sb_addn(out, mbox, (size_t) (start - mbox));
    }
    for (cp = start; *cp; cp++) {
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
    /* What follows the last unquoted '@' is copied as it was. */
    if (bare_at != NULL) {
	sb_truncate(out, bare_at_pos);
	sb_adds(out, bare_at);
    }
}

