/*
 * rfc822 - Postfix's RFC 822 address tokenizer and parser (global/
 * tok822_*.c and quote_822_local.c semantics), as a token tree: the SMTP
 * server's address extraction (MAIL FROM, RCPT TO), address resolution
 * and rewriting, header address rewriting and aliases(5) all read
 * addresses through it.
 *
 * A token is an operator (its character), an atom, a quoted string
 * (without quotes), a comment (with its parentheses), a domain literal
 * (without brackets), or a group: an address (RFC822_ADDR) whose members
 * hang from head..tail, or the ':' that starts a named group.
 */
#ifndef PFC_RFC822_H
#define PFC_RFC822_H

#include "strbuf.h"

#define RFC822_MINTOK	256
#define RFC822_ATOM	256	/* non-special character sequence */
#define RFC822_QSTRING	257	/* stuff between "", not nesting */
#define RFC822_COMMENT	258	/* comment including (), may nest */
#define RFC822_DOMLIT	259	/* stuff between [] not nesting */
#define RFC822_ADDR	260	/* a token group: one address */
#define RFC822_STARTGRP	261	/* start of named group */

struct rfc822_tok {
    int type;
    struct strbuf text;		/* atom, string, comment, literal contents */
    struct rfc822_tok *prev, *next;	/* peers */
    struct rfc822_tok *head, *tail;	/* group members */
    struct rfc822_tok *owner;		/* the group this belongs to */
};

/* Conversion flags, as Postfix's TOK822_STR_*. */
#define RFC822_STR_NONE	0
#define RFC822_STR_WIPE	(1 << 0)	/* empty the buffer first */
#define RFC822_STR_TERM	(1 << 1)	/* (strbuf is always terminated) */
#define RFC822_STR_LINE	(1 << 2)	/* a line break after each comma */
#define RFC822_STR_TRNC	(1 << 3)	/* externalize: at most 250 bytes of non-address per address */
#define RFC822_STR_DEFL	(RFC822_STR_WIPE | RFC822_STR_TERM)
#define RFC822_STR_HEAD	(RFC822_STR_TERM | RFC822_STR_LINE | RFC822_STR_TRNC)

/*
 * rfc822_scan - str as a flat token list (no grouping); NULL for none.
 * limit: at most that many tokens (0: no limit). *tail, when not NULL,
 * gets the last token.
 */
struct rfc822_tok *rfc822_scan(const char *str, struct rfc822_tok **tail, int limit);

/* rfc822_parse - an address list as a tree of RFC822_ADDR groups (missing commas added) */
struct rfc822_tok *rfc822_parse(const char *str, int limit);

/* rfc822_scan_addr - one address: the tokens of str under one RFC822_ADDR group */
struct rfc822_tok *rfc822_scan_addr(const char *str);

/* rfc822_internalize - the tree as unquoted text, as Postfix's internal form */
struct strbuf *rfc822_internalize(struct strbuf *out, const struct rfc822_tok *tree, int flags);

/* rfc822_externalize - the tree as quoted text, as in a header */
struct strbuf *rfc822_externalize(struct strbuf *out, const struct rfc822_tok *tree, int flags);

/* Tree operations, as Postfix's tok822_tree.c. */
struct rfc822_tok *rfc822_alloc(int type, const char *text);
struct rfc822_tok *rfc822_free(struct rfc822_tok *tp);
struct rfc822_tok *rfc822_free_tree(struct rfc822_tok *tp);
struct rfc822_tok *rfc822_append(struct rfc822_tok *t1, struct rfc822_tok *t2);
struct rfc822_tok *rfc822_prepend(struct rfc822_tok *t1, struct rfc822_tok *t2);
struct rfc822_tok *rfc822_cut_before(struct rfc822_tok *tp);
struct rfc822_tok *rfc822_cut_after(struct rfc822_tok *tp);
struct rfc822_tok *rfc822_unlink(struct rfc822_tok *tp);
struct rfc822_tok *rfc822_sub_append(struct rfc822_tok *owner, struct rfc822_tok *tp);
struct rfc822_tok *rfc822_sub_prepend(struct rfc822_tok *owner, struct rfc822_tok *tp);
struct rfc822_tok *rfc822_sub_keep_before(struct rfc822_tok *owner, struct rfc822_tok *tp);
struct rfc822_tok *rfc822_sub_keep_after(struct rfc822_tok *owner, struct rfc822_tok *tp);
/* rfc822_find_type - the last token of type at or before tp (tok822_rfind_type), or NULL */
struct rfc822_tok *rfc822_rfind_type(struct rfc822_tok *tp, int type);
/* rfc822_find_type - the first token of type at or after tp, or NULL */
struct rfc822_tok *rfc822_find_type(struct rfc822_tok *tp, int type);

/* quote_822_local() flags */
#define RFC822_QUOTE_8BITCLEAN	(1 << 0)	/* leave 8-bit bytes alone */
#define RFC822_QUOTE_EXPOSE_AT	(1 << 1)	/* an @ in the local part needs no quotes */
#define RFC822_QUOTE_APPEND	(1 << 2)	/* append to out */

/*
 * rfc822_quote_local - addr with its local part quoted as RFC 822 needs
 * (quote_822_local_flags()); rfc822_unquote_local - the reverse.
 */
struct strbuf *rfc822_quote_local(struct strbuf *out, const char *addr, int flags);
struct strbuf *rfc822_unquote_local(struct strbuf *out, const char *addr);

#endif
