/*
 * addr822 - RFC 822 addresses the way Postfix's trivial-rewrite, cleanup
 * and mail_addr_crunch() take them apart and put them together again
 * (src: global/tok822_parse.c, tok822_tree.c, quote_822_local.c): a
 * token list, or a parse tree whose address groups hold the tokens of one
 * address each, and the two string forms of an address - internal
 * (unquoted, what the queue holds) and external (the local part quoted
 * when it needs it, what tables are keyed by).
 *
 * Tokens live in an arena that is reset for each use: nothing is freed
 * one by one, so the engine's rewrites cost no allocation once the arena
 * has grown. Tokens are named by their index; A822_NONE is "no token".
 * The links are Postfix's: prev/next between peers, head/tail of a
 * group's members, owner of a member. Whether a token has an owner
 * matters: only tokens without one get a space before a following word
 * when a list is turned back into text, as in Postfix.
 *
 * (grammar/tok822.l is the same tokenizer for pfc's own readers; the
 * runtime may not link it, and needs the tree operations besides.)
 */
#ifndef PFC_ADDR822_H
#define PFC_ADDR822_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/* Token types; an operator's type is its character (< 256). */
#define A822_ATOM	256	/* a word */
#define A822_QSTRING	257	/* "text", stored without quotes and escapes */
#define A822_COMMENT	258	/* (text), stored as written */
#define A822_DOMLIT	259	/* [text], stored without brackets */
#define A822_ADDR	260	/* a group: the tokens of one address */
#define A822_STARTGRP	261	/* "name:" of a named group */

#define A822_NONE	(-1)

struct a822_tok {
    int type;
    uint32_t text;		/* offset of the contents in the arena's text */
    int32_t prev, next;		/* peers */
    int32_t head, tail;		/* members (groups) */
    int32_t owner;		/* the group this token is a member of */
};

struct a822 {
    struct a822_tok *tok;
    size_t n, cap;
    struct strbuf text;		/* NUL-terminated contents, one after another */
};

void a822_init(struct a822 *a);
void a822_reset(struct a822 *a);
void a822_free(struct a822 *a);

/* a822_alloc - a new token (text: its contents, NULL for none); its index */
int32_t a822_alloc(struct a822 *a, int type, const char *text);

/* a822_str - the contents of token t (writable, NUL-terminated) */
static inline char *a822_str(struct a822 *a, int32_t t)
{
    return a->text.s + a->tok[t].text;
}

/*
 * a822_scan - tok822_scan(): str as a flat token list; returns its head
 * (A822_NONE for none) and its tail in *tailp.
 */
int32_t a822_scan(struct a822 *a, const char *str, int32_t *tailp);

/* a822_scan_addr - tok822_scan_addr(): an address group over a822_scan(str) */
int32_t a822_scan_addr(struct a822 *a, const char *str);

/*
 * a822_parse - tok822_parse(): str as a parse tree, each address in its
 * own A822_ADDR group (commas added where an address list lacks them);
 * returns the first top-level token.
 */
int32_t a822_parse(struct a822 *a, const char *str);

/* The tree operations, as tok822_tree.c's (each returns what Postfix's does). */
int32_t a822_append(struct a822 *a, int32_t t1, int32_t t2);
int32_t a822_prepend(struct a822 *a, int32_t t1, int32_t t2);
int32_t a822_cut_before(struct a822 *a, int32_t tp);
int32_t a822_cut_after(struct a822 *a, int32_t tp);
int32_t a822_sub_append(struct a822 *a, int32_t t1, int32_t t2);
int32_t a822_sub_prepend(struct a822 *a, int32_t t1, int32_t t2);
int32_t a822_sub_keep_before(struct a822 *a, int32_t t1, int32_t t2);
int32_t a822_sub_keep_after(struct a822 *a, int32_t t1, int32_t t2);
int32_t a822_find_type(const struct a822 *a, int32_t head, int type);
int32_t a822_rfind_type(const struct a822 *a, int32_t tail, int type);

/*
 * a822_internalize, a822_externalize - tok822_internalize() and
 * tok822_externalize() of the list starting at t, appended to out.
 */
void a822_internalize(struct a822 *a, struct strbuf *out, int32_t t);
void a822_externalize(struct a822 *a, struct strbuf *out, int32_t t);

/* quote_822_local() flags */
#define A822_QUOTE_8BITCLEAN	(1u << 0)
#define A822_QUOTE_BARE_LOCALPART (1u << 3)

/*
 * a822_quote_local - quote_822_local_flags(): mbox with its local part
 * made a quoted-string when it is not a dot-string (a source route left
 * alone), appended to out.
 */
void a822_quote_local(struct strbuf *out, const char *mbox, unsigned flags);

/* a822_unquote_local - unquote_822_local(): the internal form, appended */
void a822_unquote_local(struct strbuf *out, const char *mbox);

/* a822_needs_quote - would a822_quote_local() change mbox? */
int a822_needs_quote(const char *mbox, unsigned flags);

#endif
