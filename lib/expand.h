/*
 * expand - Postfix's $name expansion (SPEC 2): $name, ${name}, $(name),
 * ${name?x}, ${name:x}, ${name?{x}:{y}}, relational {a} OP {b} with the
 * "level" operators, $$, the nesting limit and the exact warnings.
 */
#ifndef PFC_EXPAND_H
#define PFC_EXPAND_H

#include "strbuf.h"

/* flags */
#define EXPAND_RECURSE	(1 << 0)	/* expand the values of $name too */
#define EXPAND_SCAN	(1 << 1)	/* only visit names, both branches */

/* status bits */
#define EXPAND_ERROR	(1 << 0)	/* syntax error; a warning was given */
#define EXPAND_UNDEF	(1 << 1)	/* an undefined name was used */

/* lookup modes */
#define EXPAND_MODE_USE		1	/* $name */
#define EXPAND_MODE_TEST	2	/* ${name?..} or ${name:..} */

/* expand_lookup_fn - the value of name, or NULL when it is undefined */
typedef const char *(*expand_lookup_fn)(const char *name, int mode, void *ctx);

/* expand - expand pattern into result (unless EXPAND_SCAN); returns status */
int expand(struct strbuf *result, const char *pattern, int flags,
	   expand_lookup_fn lookup, void *ctx);

/*
 * expand_filter - mac_expand()'s filter for a looked-up value: each byte
 * of value that is not in filter becomes '_' (smtpd_expand_filter keeps
 * a client's text out of replies). The result is in out.
 */
const char *expand_filter(struct strbuf *out, const char *value, const char *filter);

/* compat_level_parse - Postfix compatibility level as one number, -1 if bad */
long compat_level_parse(const char *text);

#endif
