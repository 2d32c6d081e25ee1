/*
 * expand - $name expansion with Postfix 3.7's grammar and diagnostics.
 * A template is split into literal text and ${...} expressions; each
 * expression is a name or a relational expression, optionally followed by
 * ?result and/or :result. Diagnostics and their wording follow postconf, so
 * that "pfc conf -x" fails exactly where "postconf -x" fails.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "expand.h"
#include "textutil.h"
#include "xalloc.h"

#define SPACE_CHARS " \t\r\n"
#define NESTING_LIMIT 100
/*
 * The operands of a relational expression are expanded as new expansions,
 * each with its own nesting level from 0 (as Postfix does). A loop through
 * an operand, as in "a = ${{$a} == {x}?y}", would then never end: Postfix
 * 3.7 recurses until its stack overflows. pfc stops at this total depth,
 * with the nesting warning.
 */
#define DEPTH_LIMIT 1000

struct expansion {
    struct strbuf *result;
    int flags;
    expand_lookup_fn lookup;
    void *ctx;
    int status;
    int level;			/* nesting level, Postfix's count */
    int outer;			/* the levels of the expansions around this one */
};

static int parse_template(const char *pattern, struct expansion *ex);

static int syntax_error(struct expansion *ex)
{
    return ex->status |= EXPAND_ERROR;
}

/* give_up - record a syntax error; expression() then returns early */
static int give_up(struct expansion *ex)
{
    syntax_error(ex);
    return 0;
}

enum relop { OP_NONE, OP_EQ, OP_NE, OP_LT, OP_LE, OP_GE, OP_GT };

static enum relop relop_code(const char *op, size_t len)
{
    static const struct { const char *name; enum relop op; } ops[] = {
	{"==", OP_EQ}, {"!=", OP_NE}, {"<", OP_LT},
	{"<=", OP_LE}, {">=", OP_GE}, {">", OP_GT},
    };
    for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
	if (strlen(ops[i].name) == len && strncmp(ops[i].name, op, len) == 0)
	    return ops[i].op;
    return OP_NONE;
}

static int relop_result(enum relop op, long delta)
{
    switch (op) {
    case OP_EQ: return delta == 0;
    case OP_NE: return delta != 0;
    case OP_LT: return delta < 0;
    case OP_LE: return delta <= 0;
    case OP_GE: return delta >= 0;
    case OP_GT: return delta > 0;
    default: return 0;
    }
}

static long number_or_die(const char *s)
{
    char *end;

    errno = 0;
    long value = strtol(s, &end, 10);
    if (*end != 0 || errno == ERANGE)
	diag_fatal("mac_exp_eval: bad conversion: %s", s);
    return value;
}

/* compat_level_parse - major[.minor[.patch]] packed 10 bits a field */
long compat_level_parse(const char *text)
{
    long major, minor, patch;
    const char *start = text;
    char *rest;

    errno = 0;
    major = strtol(start, &rest, 10);
    if (start < rest && (*rest == 0 || *rest == '.') && errno != ERANGE
	&& major >= 0 && major <= (LONG_MAX >> 20)) {
	long result = major << 20;
	if (*rest == 0)
	    return result;
	start = rest + 1;
	errno = 0;
	minor = strtol(start, &rest, 10);
	if (start < rest && (*rest == 0 || *rest == '.') && errno != ERANGE
	    && minor >= 0 && minor <= 0x3ff) {
	    result |= minor << 10;
	    if (*rest == 0)
		return result;
	    start = rest + 1;
	    errno = 0;
	    patch = strtol(start, &rest, 10);
	    if (start < rest && *rest == 0 && errno != ERANGE
		&& patch >= 0 && patch <= 0x3ff)
		return result | patch;
	}
    }
    diag_warn("malformed compatibility level syntax: \"%s\"", text);
    return -1;
}

/* find_curly - skip whitespace; true when a '{' follows */
static int find_curly(char **cp)
{
    size_t n = strspn(*cp, SPACE_CHARS);

    if ((*cp)[n] == '{') {
	*cp += n;
	return 1;
    }
    return 0;
}

/* curly_payload - cut out a balanced {...}; *bp moves past it and spaces */
static char *curly_payload(struct expansion *ex, char **bp)
{
    char *cp = *bp;
    char *payload = ++cp;
    int level = 1;

    for (;; cp++) {
	if (*cp == 0) {
	    diag_warn("unbalanced {} in attribute expression: \"%s\"", *bp);
	    syntax_error(ex);
	    return NULL;
	} else if (*cp == '{') {
	    level++;
	} else if (*cp == '}') {
	    if (--level <= 0)
		break;
	}
    }
    *cp++ = 0;
    *bp = cp + strspn(cp, SPACE_CHARS);
    return payload;
}

/* relational - evaluate {left} OP {right}; *value is "true" or "" */
static int relational(struct expansion *ex, const char **value, char **bp)
{
    char *cp = *bp;
    const char *left, *right;
    int level_compare = 0;

    if ((left = curly_payload(ex, &cp)) == NULL)
	return ex->status;
    char *op_pos = cp;
    size_t op_len = strspn(cp, "<>!=?+-*/~&|%");
    enum relop op = relop_code(cp, op_len);
    if (op == OP_NONE) {
	diag_warn("\"==\" or \"!=\"\" or \"<\"\" or \"<=\"\" or \">=\"\" or \">\" expected at: \"...%s}>>>%.20s\"",
		  left, cp);
	return syntax_error(ex);
    }
    cp += op_len;
    if (isalnum((unsigned char) *cp)) {
	size_t type_len = 1;
	while (isalnum((unsigned char) cp[type_len]))
	    type_len++;
	if (type_len != 5 || strncmp(cp, "level", 5) != 0) {
	    diag_warn("bad operator suffix at: \"...%.*s>>>%.*s\"",
		      (int) op_len, op_pos, (int) type_len, cp);
	    return syntax_error(ex);
	}
	level_compare = 1;
	cp += type_len;
    }
    if (!find_curly(&cp)) {
	diag_warn("\"{expression}\" expected at: \"...{%s} %.*s>>>%.20s\"",
		  left, (int) op_len, op_pos, cp);
	return syntax_error(ex);
    }
    if ((right = curly_payload(ex, &cp)) == NULL)
	return ex->status;

    struct strbuf lbuf = STRBUF_INIT, rbuf = STRBUF_INIT;
    int truth = 0;
    /* Each operand is a new expansion: its level starts at 0 (DEPTH_LIMIT). */
    struct expansion sub = {
	&lbuf, ex->flags, ex->lookup, ex->ctx, 0, 0, ex->outer + ex->level,
    };
    ex->status |= parse_template(left, &sub);
    sub.result = &rbuf;
    sub.status = 0;
    sub.level = 0;
    ex->status |= parse_template(right, &sub);
    if ((ex->flags & EXPAND_SCAN) == 0) {
	const char *l = sb_str(&lbuf), *r = sb_str(&rbuf);
	if (level_compare) {
	    long lv, rv;
	    if ((lv = compat_level_parse(l)) < 0 || (rv = compat_level_parse(r)) < 0)
		ex->status |= EXPAND_ERROR;
	    else
		truth = relop_result(op, lv - rv);
	} else if (all_digits(l) && all_digits(r)) {
	    truth = relop_result(op, number_or_die(l) - number_or_die(r));
	} else {
	    truth = relop_result(op, strcmp(l, r));
	}
    }
    sb_free(&lbuf);
    sb_free(&rbuf);
    if (ex->status & EXPAND_ERROR)
	return ex->status;
    if (ex->flags & EXPAND_SCAN)
	*value = NULL;
    else
	*value = truth ? "true" : "";
    *bp = cp;
    return 0;
}

/*
 * expression - handle one $name or ${...} body (modified in place); returns 1,
 * or 0 when it gave up on an error, as Postfix then skips the level
 * bookkeeping (the level stays raised).
 */
static int expression(char *body, struct expansion *ex)
{
    const char *value = NULL;
    char *cp = body;
    int ch;

    if (find_curly(&cp)) {
	if (relational(ex, &value, &cp) != 0)
	    return 0;
	if ((ch = *cp) != 0) {
	    if (ch != '?' && ch != ':') {
		diag_warn("\"?\" or \":\" expected at: \"...}>>>%.20s\"", cp);
		return give_up(ex);
	    }
	    cp++;
	}
    } else {
	char *start = cp += strspn(cp, SPACE_CHARS);
	int mode;
	for (;; cp++) {
	    size_t sp = strspn(cp, SPACE_CHARS);
	    if ((ch = cp[sp]) == 0) {
		*cp = 0;
		mode = EXPAND_MODE_USE;
		break;
	    }
	    if (ch == '?' || ch == ':') {
		*cp++ = 0;
		cp += sp;
		mode = EXPAND_MODE_TEST;
		break;
	    }
	    if (!isalnum((unsigned char) *cp) && *cp != '_') {
		diag_warn("attribute name syntax error at: \"...%.*s>>>%.20s\"",
			  (int) (cp - body), body, cp);
		return give_up(ex);
	    }
	}
	value = ex->lookup(start, mode, ex->ctx);
    }

    const char *if_true, *if_false;
    switch (ch) {
    case '?':
	if (find_curly(&cp)) {
	    if ((if_true = curly_payload(ex, &cp)) == NULL)
		return 0;
	} else {
	    if_true = cp;
	    cp = "";
	}
	if ((value != NULL && *value != 0) || (ex->flags & EXPAND_SCAN))
	    ex->status |= parse_template(if_true, ex);
	if (*cp == 0)
	    break;
	if (*cp != ':') {
	    diag_warn("\":\" expected at: \"...%s}>>>%.20s\"", if_true, cp);
	    return give_up(ex);
	}
	cp += 1;
	/* FALLTHROUGH */
    case ':':
	if (find_curly(&cp)) {
	    if ((if_false = curly_payload(ex, &cp)) == NULL)
		return 0;
	} else {
	    if_false = cp;
	    cp = "";
	}
	if (value == NULL || *value == 0 || (ex->flags & EXPAND_SCAN))
	    ex->status |= parse_template(if_false, ex);
	if (*cp != 0) {
	    diag_warn("unexpected input at: \"...%s}>>>%.20s\"", if_false, cp);
	    return give_up(ex);
	}
	break;
    case 0:
	if (value == NULL) {
	    ex->status |= EXPAND_UNDEF;
	} else if (*value == 0 || (ex->flags & EXPAND_SCAN)) {
	    /* nothing to add */
	} else if (ex->flags & EXPAND_RECURSE) {
	    char *copy = xstrdup(value);
	    ex->status |= parse_template(copy, ex);
	    free(copy);
	} else {
	    sb_adds(ex->result, value);
	}
	break;
    }
    return 1;
}

/* callback - one piece of the template; counts the nesting level */
static int callback(int is_expr, char *text, struct expansion *ex)
{
    if (ex->level++ > NESTING_LIMIT || ex->outer + ex->level > DEPTH_LIMIT) {
	diag_warn("unreasonable macro call nesting: \"%s\"", text);
	syntax_error(ex);
    }
    if (ex->status & EXPAND_ERROR)
	return ex->status;
    if (is_expr) {
	if (!expression(text, ex))
	    return ex->status;
    } else if ((ex->flags & EXPAND_SCAN) == 0) {
	sb_adds(ex->result, text);
    }
    ex->level--;
    return ex->status;
}

/*
 * parse_template - split into literal text and $ expressions. Only the
 * bracket kind that opened a ${ or $( reference is counted when looking
 * for its end, as Postfix's mac_parse() does.
 */
static int parse_template(const char *pattern, struct expansion *ex)
{
    struct strbuf buf = STRBUF_INIT;
    const char *vp = pattern;
    int status = 0;

    while (*vp) {
	if (*vp != '$') {
	    sb_addch(&buf, *vp++);
	} else if (vp[1] == '$') {
	    sb_addch(&buf, '$');
	    vp += 2;
	} else {
	    if (buf.len > 0) {
		status |= callback(0, buf.s, ex);
		sb_reset(&buf);
	    }
	    vp += 1;
	    if (*vp == '(' || *vp == '{') {
		char open = *vp, close = open == '(' ? ')' : '}';
		const char *ep;
		int level = 1;
		vp += 1;
		for (ep = vp; level > 0; ep++) {
		    if (*ep == 0) {
			diag_warn("truncated macro reference: \"%s\"", pattern);
			status |= EXPAND_ERROR;
			break;
		    }
		    if (*ep == open)
			level++;
		    if (*ep == close)
			level--;
		}
		if (status & EXPAND_ERROR)
		    break;
		sb_addn(&buf, vp, (size_t) (ep - vp - 1));
		vp = ep;
	    } else {
		const char *ep = vp;
		while (isalnum((unsigned char) *ep) || *ep == '_')
		    ep++;
		sb_addn(&buf, vp, (size_t) (ep - vp));
		vp = ep;
	    }
	    if (buf.len == 0) {
		status |= EXPAND_ERROR;
		diag_warn("empty macro name: \"%s\"", pattern);
		break;
	    }
	    status |= callback(1, buf.s, ex);
	    sb_reset(&buf);
	}
    }
    if (buf.len > 0 && (status & EXPAND_ERROR) == 0)
	status |= callback(0, buf.s, ex);
    sb_free(&buf);
    return status;
}

const char *expand_filter(struct strbuf *out, const char *value, const char *filter)
{
    sb_set(out, value);
    for (char *cp = out->s; *(cp += strspn(cp, filter)); cp++)
	*cp = '_';
    return sb_str(out);
}

int expand(struct strbuf *result, const char *pattern, int flags,
	   expand_lookup_fn lookup, void *ctx)
{
    struct expansion ex = {
	.result = result, .flags = flags, .lookup = lookup, .ctx = ctx,
    };
    if ((flags & EXPAND_SCAN) == 0)
	sb_reset(result);
    return parse_template(pattern, &ex);
}
