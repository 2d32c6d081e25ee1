/*
 * dict_pcre - pcre:FILE and pcre:{ {rule}, ... }, pcre_table(5) on
 * libpcre2-8. Postfix's defaults: case-insensitive and DOTALL; the flags
 * i m s x A E U each flip one option, X is obsolete with PCRE2 (SPEC 9.2).
 * Parsing is pattern_source's; this file is the engine.
 *
 * No JIT: it cost more than it saved on tables of many rules. Instead a
 * rule whose pattern starts with "^" and a literal prefix ("^Subject:")
 * first compares that prefix, so most rules are rejected without running
 * PCRE at all. The prefix is taken only where it cannot change the answer.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dict.h"
#include "pattern_source.h"
#include "strbuf.h"
#include "xalloc.h"

#define PCRE_ERROR_TEXT_LEN 256

#define PAIR_BITS 4096
#define PAIR_WORDS (PAIR_BITS / 64)
#define PAIR_HASH(a, b) ((((unsigned) (a) << 5) ^ (unsigned) (b)) & (PAIR_BITS - 1))

struct pcre_expr {
    pcre2_code *code;
    char *prefix;		/* literal start of every match, or NULL */
    size_t prefix_len;
    char *needle;		/* literal every match contains after it, or NULL */
    size_t needle_len;
    int caseless;
};

struct pcre_table {
    struct pat_table pat;
    pcre2_match_data *match;	/* room for the largest $n of any rule */
    const char *key;		/* the key being looked up */
    size_t key_len;
    struct strbuf lower_key;	/* the key in ASCII lowercase, made on demand */
    int have_lower_key;
    /* Which byte pairs the (lowercased) key has: a needle missing one of
     * them is rejected without scanning the key. */
    uint64_t pairs[PAIR_WORDS];
    int have_pairs;
};

static int pcre_flag(const struct pat_where *where, int ch, unsigned *options)
{
    (void) where;
    switch (ch) {
    case 'i':
	*options ^= PCRE2_CASELESS;
	return 0;
    case 'm':
	*options ^= PCRE2_MULTILINE;
	return 0;
    case 's':
	*options ^= PCRE2_DOTALL;
	return 0;
    case 'x':
	*options ^= PCRE2_EXTENDED;
	return 0;
    case 'A':
	*options ^= PCRE2_ANCHORED;
	return 0;
    case 'E':
	*options ^= PCRE2_DOLLAR_ENDONLY;
	return 0;
    case 'U':
	*options ^= PCRE2_UNGREEDY;
	return 0;
    case 'X':
	/* PCRE_EXTRA has no PCRE2 counterpart: Postfix ignores it. */
	return 1;
    default:
	return -1;
    }
}

/* pcre_error_text - PCRE2's message for an error code, as Postfix gets it */
static const char *pcre_error_text(int code, char *buf, size_t size)
{
    if (pcre2_get_error_message(code, (PCRE2_UCHAR *) buf, size) <= 0)
	snprintf(buf, size, "unexpected pcre2 error code %d", code);
    return buf;
}

/*
 * has_top_level_bar - could the pattern be an alternation at its top
 * level ("^a|b")? Answers yes when unsure (\Q...\E, comments, inline x).
 */
static int has_top_level_bar(const char *p)
{
    int depth = 0;

    for (; *p; p++) {
	switch (*p) {
	case '\\':
	    if (p[1] == 'Q')
		return 1;
	    if (p[1])
		p++;
	    break;
	case '[':
	    /* A class: "]" first is literal, and escapes stay inside. */
	    p++;
	    if (*p == '^')
		p++;
	    if (*p == ']')
		p++;
	    for (; *p && *p != ']'; p++)
		if (*p == '\\' && p[1])
		    p++;
	    if (*p == 0)
		return 1;
	    break;
	case '(':
	    if (p[1] == '?' || p[1] == '*') {
		/* Comments and inline options that allow comments: give up. */
		for (const char *q = p + 2; *q && *q != ')' && *q != ':'; q++)
		    if (*q == '#' || *q == 'x')
			return 1;
	    }
	    depth++;
	    break;
	case ')':
	    depth--;
	    break;
	case '|':
	    if (depth <= 0)
		return 1;
	    break;
	}
    }
    return 0;
}

/*
 * literal_run - the literal characters at *pp, up to the first
 * metacharacter; a character that a quantifier makes optional is dropped.
 * *pp moves past what was taken.
 */
static void literal_run(const char **pp, struct strbuf *out)
{
    const char *p = *pp;

    while (*p) {
	const char *next;
	int ch;

	if (*p == '\\') {
	    /* A backslash before a printable non-alphanumeric is literal. */
	    ch = (unsigned char) p[1];
	    if (ch < 0x21 || ch > 0x7e || (ch >= '0' && ch <= '9')
		|| (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z'))
		break;
	    next = p + 2;
	} else {
	    ch = (unsigned char) *p;
	    if (ch < 0x20 || ch > 0x7e || strchr(".[]()*+?{}|^$#", ch) != NULL)
		break;
	    next = p + 1;
	}
	if (*next == '*' || *next == '?' || *next == '{')
	    break;
	sb_addch(out, ch);
	p = next;
	if (*next == '+')
	    break;
    }
    *pp = p;
}

/* lower - ASCII lowercase, whatever the locale, as PCRE2's default tables */
static int lower(int ch)
{
    return (ch >= 'A' && ch <= 'Z') ? ch + 'a' - 'A' : ch;
}

/* skip_group - past the (...) or [...] at p, escapes and classes inside */
static const char *skip_group(const char *p)
{
    int depth = 0;

    do {
	if (*p == '\\' && p[1]) {
	    p += 2;
	    continue;
	}
	if (*p == '[') {
	    p++;
	    if (*p == '^')
		p++;
	    if (*p == ']')
		p++;
	    while (*p && *p != ']')
		p += (*p == '\\' && p[1]) ? 2 : 1;
	    if (*p)
		p++;
	    continue;
	}
	depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
	p++;
    } while (*p && depth > 0);
    return p;
}

/*
 * literal_parts - for a pattern without multiline or extended mode,
 * inline options or a top-level "|": the text every match starts with
 * (after "^"), and the longest literal that every match contains (a run
 * of literal characters outside any group). A rule is then skipped
 * without running PCRE when a line lacks either; the first matching rule
 * stays the same.
 */
static void literal_parts(struct pcre_expr *expr, const char *pattern, unsigned options)
{
    struct strbuf run = STRBUF_INIT, best = STRBUF_INIT;
    const char *p = pattern;

    if ((options & (PCRE2_MULTILINE | PCRE2_EXTENDED))
	|| has_top_level_bar(pattern) || strstr(pattern, "(?") != NULL)
	return;
    if (*p == '^') {
	p++;
	literal_run(&p, &run);
	if (run.len > 0) {
	    expr->prefix_len = run.len;
	    expr->prefix = xstrndup(run.s, run.len);
	}
    }
    while (*p) {
	if (run.len > best.len)
	    sb_set(&best, run.s);
	sb_reset(&run);
	if (*p == '(' || *p == '[') {
	    p = skip_group(p);
	} else if (*p == '{') {
	    /* A quantifier's "{n,m}" is not text: skip it whole. */
	    const char *close = strchr(p, '}');
	    p = close ? close + 1 : p + strlen(p);
	} else {
	    const char *before = p;
	    literal_run(&p, &run);
	    if (p == before)	/* a metacharacter or an escape: step over it */
		p += (*p == '\\' && p[1]) ? 2 : 1;
	}
    }
    if (run.len > best.len)
	sb_set(&best, run.s);
    if (best.len >= 3 && (expr->prefix == NULL || best.len > expr->prefix_len)) {
	if (expr->caseless)
	    for (char *q = best.s; *q; q++)
		*q = (char) lower((unsigned char) *q);
	expr->needle_len = best.len;
	expr->needle = sb_detach(&best);
    }
    sb_free(&run);
    sb_free(&best);
}

static void *pcre_compile_expr(const struct pat_where *where, const char *pattern,
			       unsigned options, int need_groups, size_t *ngroups,
			       struct pat_error *error)
{
    char text[PCRE_ERROR_TEXT_LEN];
    PCRE2_SIZE offset;
    pcre2_code *code;
    uint32_t count;
    int status;

    (void) where, (void) need_groups;
    code = pcre2_compile((PCRE2_SPTR) pattern, PCRE2_ZERO_TERMINATED, options,
			 &status, &offset, NULL);
    if (code == NULL) {
	snprintf(error->text, sizeof(error->text), "error in regex at offset %lu: %s",
		 (unsigned long) offset, pcre_error_text(status, text, sizeof(text)));
	error->offset = (long) offset;
	return NULL;
    }
    if (pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &count) != 0)
	count = 0;
    *ngroups = count;

    struct pcre_expr *expr = xcalloc(1, sizeof(*expr));

    expr->code = code;
    expr->caseless = (options & PCRE2_CASELESS) != 0;
    literal_parts(expr, pattern, options);
    return expr;
}

static void pcre_free_expr(void *ptr)
{
    struct pcre_expr *expr = ptr;

    pcre2_code_free(expr->code);
    free(expr->prefix);
    free(expr->needle);
    free(expr);
}

/* prefix_differs - does the key not start with the rule's literal prefix? */
static int prefix_differs(const struct pcre_expr *expr, const char *key, size_t len)
{
    if (len < expr->prefix_len)
	return 1;
    if (!expr->caseless)
	return memcmp(key, expr->prefix, expr->prefix_len) != 0;
    for (size_t i = 0; i < expr->prefix_len; i++)
	if (lower((unsigned char) key[i]) != lower((unsigned char) expr->prefix[i]))
	    return 1;
    return 0;
}

/* key_text - the key as a needle is searched in: lowercased if caseless */
static const char *key_text(struct pcre_table *t, int caseless)
{
    if (!caseless)
	return t->key;
    if (!t->have_lower_key) {
	sb_reset(&t->lower_key);
	sb_addn(&t->lower_key, t->key, t->key_len);
	for (char *p = t->lower_key.s; *p; p++)
	    *p = (char) lower((unsigned char) *p);
	t->have_lower_key = 1;
    }
    return t->lower_key.s;
}

/*
 * lacks_needle - does the key not contain the needle? A caseless needle is
 * stored in lowercase and searched in the lowercased key. Most keys are
 * rejected by the byte pairs alone (of the lowercased key, which covers
 * both cases), without a scan; memmem() decides the rest.
 */
static int lacks_needle(struct pcre_table *t, const struct pcre_expr *expr)
{
    const char *lowered = key_text(t, 1);

    if (!t->have_pairs) {
	memset(t->pairs, 0, sizeof(t->pairs));
	for (size_t i = 0; i + 1 < t->key_len; i++) {
	    unsigned h = PAIR_HASH((unsigned char) lowered[i], (unsigned char) lowered[i + 1]);
	    t->pairs[h / 64] |= (uint64_t) 1 << (h % 64);
	}
	t->have_pairs = 1;
    }
    for (size_t i = 0; i + 1 < expr->needle_len; i++) {
	unsigned h = PAIR_HASH(lower((unsigned char) expr->needle[i]),
			       lower((unsigned char) expr->needle[i + 1]));
	if ((t->pairs[h / 64] & ((uint64_t) 1 << (h % 64))) == 0)
	    return 1;
    }
    return memmem(key_text(t, expr->caseless), t->key_len, expr->needle,
		  expr->needle_len) == NULL;
}

static int pcre_exec(void *ctx, const struct pat_rule *rule, const void *ptr,
		     int want_groups)
{
    struct pcre_table *t = ctx;
    const struct pcre_expr *expr = ptr;
    int rc;

    (void) want_groups;
    if (expr->prefix != NULL && prefix_differs(expr, t->key, t->key_len))
	return 0;
    if (expr->needle != NULL && lacks_needle(t, expr))
	return 0;
    rc = pcre2_match(expr->code, (PCRE2_SPTR) t->key, t->key_len, 0, 0,
		     t->match, NULL);
    /* rc 0: a match with more groups than the match data holds. */
    if (rc >= 0)
	return 1;
    if (rc == PCRE2_ERROR_NOMATCH)
	return 0;

    char text[PCRE_ERROR_TEXT_LEN];
    struct pat_where where = { "pcre", t->pat.dict.name, rule->line };

    pat_warn(&where, t->pat.dict.sink, "%s", pcre_error_text(rc, text, sizeof(text)));
    return -1;
}

static int pcre_group(void *ctx, size_t n, size_t *start, size_t *end)
{
    struct pcre_table *t = ctx;
    PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(t->match);

    if (n >= pcre2_get_ovector_count(t->match) || ovector[2 * n] == PCRE2_UNSET)
	return 0;
    *start = ovector[2 * n];
    *end = ovector[2 * n + 1];
    return 1;
}

static void pcre_start(struct pat_table *table, const char *key)
{
    struct pcre_table *t = (struct pcre_table *) table;

    t->key = key;
    t->key_len = strlen(key);
    t->have_lower_key = 0;
    t->have_pairs = 0;
}

static int pcre_ready(struct pat_table *table, char **err)
{
    struct pcre_table *t = (struct pcre_table *) table;

    t->match = pcre2_match_data_create((uint32_t) table->rules.max_sub + 1, NULL);
    if (t->match == NULL) {
	*err = dict_format_error("pcre map %s: out of memory", table->dict.name);
	return -1;
    }
    return 0;
}

static void pcre_close(struct pat_table *table)
{
    struct pcre_table *t = (struct pcre_table *) table;

    pcre2_match_data_free(t->match);
    sb_free(&t->lower_key);
}

const struct pat_syntax dict_pcre_syntax = {
    .kind = "pcre",
    .default_options = PCRE2_CASELESS | PCRE2_DOTALL,
    .second_pattern = 0,
    .trailing_backslash_closes = 0,
    .unclosed_verb = "ignoring",
    .zero_index = "out of range",
    .flag = pcre_flag,
    .compile = pcre_compile_expr,
    .free_expr = pcre_free_expr,
    .start = pcre_start,
    .exec = pcre_exec,
    .group = pcre_group,
    .ready = pcre_ready,
    .close = pcre_close,
};

static struct dict *pcre_open(const char *name, int mode, unsigned flags,
			      const struct diag_sink *sink, char **err);

const struct dict_type dict_type_pcre = {
    "pcre", DICT_CAP_PATTERN | DICT_CAP_FILE, pcre_open, NULL,
};

static struct dict *pcre_open(const char *name, int mode, unsigned flags,
			      const struct diag_sink *sink, char **err)
{
    return pat_table_open(&dict_type_pcre, &dict_pcre_syntax, sizeof(struct pcre_table),
			  name, mode, flags, sink, err);
}
