/*
 * pattern_source - read regexp, pcre and cidr table sources into a flat
 * rule list (see pattern_source.h). The parsing rules and every warning
 * text follow Postfix 3.7.11 (SPEC 9.1-9.3, 9.5), checked with postmap.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cfline.h"
#include "diag.h"
#include "dict.h"
#include "pattern_source.h"
#include "strbuf.h"
#include "textutil.h"
#include "utf8.h"
#include "xalloc.h"

/* Postfix's ISALNUM: ASCII letters and digits only, whatever the locale. */
static int is_alnum(int ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
	|| (ch >= '0' && ch <= '9');
}

static int is_blank(int ch)
{
    return is_space((unsigned char) ch);
}

/* where_diag - a warning about where, in Postfix's "KIND map MAP, line N" */
static struct diag where_diag(const struct pat_where *where)
{
    struct diag d = {
	.severity = DIAG_WARNING, .path = where->map, .line = where->line,
	.wording = DIAG_SAY_MAP, .type = where->kind,
    };

    return d;
}

void pat_warn(const struct pat_where *where, const struct diag_sink *sink,
	      const char *fmt, ...)
{
    struct diag d = where_diag(where);
    va_list ap;

    va_start(ap, fmt);
    diag_vreportf(sink, &d, fmt, ap);
    va_end(ap);
}

/* The rule line being parsed: the place of its warnings. */
struct place {
    struct pat_where where;
    const struct diag_sink *sink;
    const struct cf_logical_line *text;	/* the line as read */
    const char *base;			/* the parser's copy of text->text */
};

/* place_diag - a warning about the byte at of the line (NULL: the line) */
static struct diag place_diag(const struct place *pl, const char *at)
{
    struct diag d = where_diag(&pl->where);

    if (at != NULL)
	d.column = cf_column(pl->text, (size_t) (at - pl->base));
    return d;
}

/* warn_at - pat_warn() with the column of at (NULL: none) */
static void warn_at(const struct place *pl, const char *at, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void warn_at(const struct place *pl, const char *at, const char *fmt, ...)
{
    struct diag d = place_diag(pl, at);
    va_list ap;

    va_start(ap, fmt);
    diag_vreportf(pl->sink, &d, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------ rule list */

struct pat_rule *pat_list_add(struct pat_list *list, enum pat_op op, int line)
{
    GROW(list->rules, list->nrules, list->cap);
    size_t index = list->nrules++;
    struct pat_rule *rule = &list->rules[index];

    memset(rule, 0, sizeof(*rule));
    rule->op = op;
    rule->line = line;
    rule->match = 1;
    rule->endif = PAT_NO_ENDIF;
    if (op == PAT_IF) {
	GROW(list->open_ifs, list->depth, list->open_cap);
	list->open_ifs[list->depth++] = index;
    } else if (op == PAT_ENDIF && list->depth > 0) {
	list->rules[list->open_ifs[--list->depth]].endif = index;
    }
    return rule;
}

size_t pat_list_depth(const struct pat_list *list)
{
    return list->depth;
}

void pat_list_finish(struct pat_list *list, const char *kind, const char *map,
		     const struct diag_sink *sink)
{
    /* Innermost first, as Postfix unwinds its stack. */
    while (list->depth > 0) {
	struct pat_where where = { kind, map, list->rules[list->open_ifs[--list->depth]].line };

	pat_warn(&where, sink, "IF has no matching ENDIF");
    }
    free(list->open_ifs);
    list->open_ifs = NULL;
    list->open_cap = 0;
}

void pat_list_free(struct pat_list *list, void (*free_expr)(void *expr))
{
    for (size_t i = 0; i < list->nrules; i++) {
	struct pat_rule *rule = &list->rules[i];

	if (free_expr && rule->expr)
	    free_expr(rule->expr);
	if (free_expr && rule->expr2)
	    free_expr(rule->expr2);
	free(rule->text);
	free(rule->pieces);
    }
    free(list->rules);
    free(list->open_ifs);
    memset(list, 0, sizeof(*list));
}

/*
 * pat_list_find - Postfix's lookup loop: the first MATCH rule that applies
 * wins; an IF whose test fails jumps past its ENDIF, and an IF without
 * ENDIF whose test fails ends the search.
 */
const struct pat_rule *pat_list_find(const struct pat_list *list,
				     pat_exec_fn exec, void *ctx)
{
    for (size_t i = 0; i < list->nrules; i++) {
	const struct pat_rule *rule = &list->rules[i];

	switch (rule->op) {
	case PAT_MATCH:
	    if (exec(ctx, rule, rule->expr, rule->max_sub > 0) != rule->match)
		continue;
	    if (rule->expr2 && exec(ctx, rule, rule->expr2, 0) != rule->match2)
		continue;
	    return rule;
	case PAT_IF:
	    if (exec(ctx, rule, rule->expr, 0) == rule->match)
		continue;
	    if (rule->endif == PAT_NO_ENDIF)
		return NULL;
	    i = rule->endif;
	    continue;
	case PAT_ENDIF:
	    continue;
	}
    }
    return NULL;
}

const char *pat_result(const struct pat_rule *rule, const char *key,
		       struct strbuf *buf, pat_group_fn group, void *ctx)
{
    size_t start, end;

    if (rule->pieces == NULL)
	return rule->text;
    sb_reset(buf);
    for (size_t i = 0; i < rule->npieces; i++) {
	const struct pat_piece *piece = &rule->pieces[i];

	if (piece->group == 0)
	    sb_addn(buf, rule->text + piece->offset, piece->len);
	else if (group(ctx, piece->group, &start, &end) && end > start)
	    sb_addn(buf, key + start, end - start);
    }
    return sb_str(buf);
}

/* --------------------------------------------------------- source files */

struct source_state {
    pat_line_fn on_line;
    void *ctx;
    struct strbuf copy;
};

/* one_line - hand a writable copy of a logical line to the table type */
static void one_line(void *ctx, const struct cf_logical_line *line)
{
    struct source_state *st = ctx;

    sb_set(&st->copy, line->text);
    st->on_line(st->ctx, st->copy.s, line);
}

/*
 * inline_rules - "{ {rule}, {rule} }" as one rule per line (Postfix's
 * dict_inline_to_multiline). Returns NULL or an error text to free.
 */
static char *inline_rules(const char *name, struct strbuf *text)
{
    char *copy = xstrdup(name), *bp = copy, *cp;
    char *problem = extract_braces(&bp, 0);

    while (problem == NULL && (cp = str_tokq(&bp, CHARS_COMMA_SP)) != NULL)
	if ((problem = extract_braces(&cp, 1)) == NULL) {
	    sb_adds(text, cp);
	    sb_addch(text, '\n');
	}
    free(copy);
    return problem;
}

int pat_read_source(const char *kind, const char *name, int dir_is_error,
		    const struct diag_sink *sink, pat_line_fn on_line, void *ctx,
		    char **err)
{
    static const struct cf_reader_ops ops = { one_line, NULL };
    struct source_state st = { on_line, ctx, STRBUF_INIT };
    struct strbuf text = STRBUF_INIT;
    struct stat sb;
    FILE *fp = NULL;
    int status = 0;

    if (name[0] == '{') {
	char *problem = inline_rules(name, &text);

	if (problem != NULL) {
	    *err = dict_format_error("%s map: %s", kind, problem);
	    free(problem);
	    status = -1;
	} else if (text.len > 0 && (fp = fmemopen(text.s, text.len, "r")) == NULL) {
	    *err = dict_format_error("%s map: %s", kind, strerror(errno));
	    status = -1;
	}
    } else if ((fp = fopen(name, "r")) == NULL) {
	*err = dict_format_error("open %s: %s", name, strerror(errno));
	status = -1;
    } else if (fstat(fileno(fp), &sb) == 0 && S_ISDIR(sb.st_mode)) {
	/*
	 * Postfix reads nothing from a directory and only cidr reports it;
	 * it must not reach the scanner, which exits on a read error.
	 */
	if (dir_is_error) {
	    *err = dict_format_error("%s map %s: read error: %s", kind, name,
				     strerror(EISDIR));
	    status = -1;
	}
	fclose(fp);
	fp = NULL;
    }
    if (fp != NULL) {
	if (cf_read_to(fp, name, &ops, sink, &st) != 0 && dir_is_error) {
	    *err = dict_format_error("%s map %s: read error: %s", kind, name,
				     strerror(errno));
	    status = -1;
	}
	fclose(fp);
    }
    sb_free(&st.copy);
    sb_free(&text);
    return status;
}

/* ------------------------------------------- "/pattern/flags result" rules */

struct pattern {
    char *text;
    size_t flags_len;		/* the flag letters after the delimiter */
    unsigned options;
    int match;
};

struct load_state {
    struct pat_list *list;
    const struct pat_syntax *syntax;
    const char *name;
    const struct diag_sink *sink;
    pat_observe_fn observe;	/* NULL: plain pat_load() */
    void *observe_ctx;
    const char *base;		/* the line being parsed, for offsets */
    struct pat_seen seen;	/* what observe will get about it */
    struct strbuf postfix;	/* seen.postfix */
};

/*
 * rule_problem - a problem that an observer reports itself: hand it over
 * in Postfix's words, or warn as Postfix does.
 */
static void rule_problem(struct load_state *st, const struct place *pl,
			 const char *at, enum pat_problem problem, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static void rule_problem(struct load_state *st, const struct place *pl,
			 const char *at, enum pat_problem problem, const char *fmt, ...)
{
    struct strbuf msg = STRBUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    sb_vprintf(&msg, fmt, ap);
    va_end(ap);
    if (st->observe == NULL) {
	warn_at(pl, at, "%s", sb_str(&msg));
    } else {
	struct diag d = place_diag(pl, at);
	d.message = sb_str(&msg);
	sb_reset(&st->postfix);
	diag_text(&st->postfix, &d);
	st->seen.problem = problem;
	st->seen.postfix = sb_str(&st->postfix);
    }
    sb_free(&msg);
}

/* observe_pattern - note where a pattern is, for the observer */
static void observe_pattern(struct load_state *st, const struct pattern *pat)
{
    if (st->seen.npatterns < 2) {
	struct pat_seen_pattern *sp = &st->seen.pattern[st->seen.npatterns++];

	sp->offset = (size_t) (pat->text - st->base);
	sp->len = strlen(pat->text);
	sp->flags_len = pat->flags_len;
	sp->options = pat->options;
	sp->match = pat->match;
    }
}

/* compile_pattern - the engine's compile, its error as a rule problem */
static void *compile_pattern(struct load_state *st, const struct place *pl,
			     const struct pattern *pat, size_t index, int need_groups,
			     size_t *ngroups)
{
    struct pat_error error = { "", -1 };
    void *expr = st->syntax->compile(&pl->where, pat->text, pat->options, need_groups,
				     ngroups, &error);

    if (expr == NULL) {
	st->seen.bad_pattern = index;
	st->seen.error = error;
	rule_problem(st, pl, error.offset >= 0 ? pat->text + error.offset : pat->text,
		     PAT_BAD_PATTERN, "%s", error.text);
    } else if (index < st->seen.npatterns) {
	st->seen.pattern[index].ngroups = *ngroups;
    }
    return expr;
}

/* get_pattern - "!!/re/flags": the pattern text, options and sense */
static int get_pattern(const struct pat_syntax *syn, const struct place *pl,
		       char **bufp, struct pattern *pat)
{
    char *p = *bufp;
    char delim;

    pat->match = 1;
    for (;; p++) {
	if (*p == '!')
	    pat->match = !pat->match;
	else if (!is_blank(*p))
	    break;
    }
    if (*p == 0) {
	warn_at(pl, p, "no regexp: skipping this rule");
	return 0;
    }
    delim = *p++;
    pat->text = p;
    while (*p) {
	if (*p == '\\') {
	    /* regexp takes a final backslash as the closing delimiter */
	    if (p[1] == 0) {
		if (!syn->trailing_backslash_closes)
		    p++;
		break;
	    }
	    p++;
	} else if (*p == delim) {
	    break;
	}
	p++;
    }
    if (*p == 0) {
	warn_at(pl, pat->text - 1, "no closing regexp delimiter \"%c\": %s this rule",
		delim, syn->unclosed_verb);
	return 0;
    }
    *p++ = 0;
    pat->options = syn->default_options;
    while (*p && !is_blank(*p) && !(syn->second_pattern && *p == '!')) {
	int known = syn->flag(&pl->where, *p, &pat->options);
	if (known < 0) {
	    warn_at(pl, p, "unknown regexp option \"%c\": skipping this rule", *p);
	    return 0;
	}
	if (known > 0)
	    warn_at(pl, p, "ignoring obsolete regexp option \"%c\"", *p);
	p++;
    }
    pat->flags_len = (size_t) (p - pat->text) - strlen(pat->text) - 1;
    *bufp = p;
    return 1;
}

/* add_piece - append one piece to a rule's result */
static void add_piece(struct pat_rule *rule, size_t *cap, size_t group,
		      size_t offset, size_t len)
{
    GROW(rule->pieces, rule->npieces, *cap);
    rule->pieces[rule->npieces++] = (struct pat_piece) { group, offset, len };
}

/* group_index - check one $name as Postfix's prescan does; 0 if bad */
static size_t group_index(const struct pat_syntax *syn, const struct place *pl,
			  const char *at, const char *name)
{
    if (!all_digits(name)) {
	warn_at(pl, at, "non-numeric replacement index \"%s\"", name);
	return 0;
    }
    /* Postfix converts with atoi(): huge numbers wrap as an int does. */
    size_t n = (size_t) (int) strtol(name, NULL, 10);

    if (n < 1)
	warn_at(pl, at, "%s replacement index \"%s\"", syn->zero_index, name);
    return n;
}

/*
 * macro_warn - Postfix's mac_parse() warning, which names no place: the
 * place is in the diagnostic all the same
 */
static void macro_warn(const struct place *pl, const char *at, const char *what,
		       const char *value)
{
    struct diag d = place_diag(pl, at);

    d.wording = DIAG_SAY_NOTHING;
    diag_reportf(pl->sink, &d, "%s: \"%s\"", what, value);
}

/*
 * parse_result - split the result into literal text ($$ made $) and $n
 * references, as Postfix's mac_parse() and prescan do, with the same
 * warnings; like them it goes on after a bad index, to report them all.
 * Fills rule->text, pieces and max_sub. Returns 0, or -1 on bad syntax.
 */
static int parse_result(const struct pat_syntax *syn, const struct place *pl,
			const char *value, struct pat_rule *rule)
{
    struct strbuf text = STRBUF_INIT;
    struct strbuf name = STRBUF_INIT;
    size_t literal = 0, cap = 0;
    int failed = 0;
    const char *vp = value;

    while (*vp) {
	if (*vp != '$') {
	    sb_addch(&text, *vp++);
	    continue;
	}
	if (vp[1] == '$') {
	    sb_addch(&text, '$');
	    vp += 2;
	    continue;
	}
	if (text.len > literal)
	    add_piece(rule, &cap, 0, literal, text.len - literal);
	literal = text.len;
	const char *dollar = vp++;
	sb_reset(&name);
	if (*vp == '{' || *vp == '(') {
	    char open = *vp, close = (open == '{') ? '}' : ')';
	    const char *ep;
	    int level = 1;

	    for (ep = ++vp; level > 0; ep++) {
		if (*ep == 0)
		    break;
		if (*ep == open)
		    level++;
		if (*ep == close)
		    level--;
	    }
	    if (level > 0) {
		macro_warn(pl, dollar, "truncated macro reference", value);
		failed = 1;
		break;
	    }
	    sb_addn(&name, vp, (size_t) (ep - vp - 1));
	    vp = ep;
	} else {
	    const char *ep = vp;

	    while (is_alnum(*ep) || *ep == '_')
		ep++;
	    sb_addn(&name, vp, (size_t) (ep - vp));
	    vp = ep;
	}
	if (name.len == 0) {
	    macro_warn(pl, dollar, "empty macro name", value);
	    failed = 1;
	    break;
	}
	size_t n = group_index(syn, pl, dollar, sb_str(&name));

	if (n < 1) {
	    failed = 1;
	    continue;
	}
	add_piece(rule, &cap, n, 0, 0);
	if (n > rule->max_sub)
	    rule->max_sub = n;
    }
    if (text.len > literal)
	add_piece(rule, &cap, 0, literal, text.len - literal);
    sb_free(&name);
    rule->text = sb_detach(&text);
    if (rule->max_sub == 0) {
	/* Nothing to substitute: the text is the result. */
	free(rule->pieces);
	rule->pieces = NULL;
	rule->npieces = 0;
    }
    return failed ? -1 : 0;
}

/*
 * parse_match - "[!]/re/flags[!/re2/flags] result". The checks run in
 * Postfix's order, so that a rule with several faults gets its warnings.
 */
static void parse_match(struct load_state *st, const struct place *pl, char *p)
{
    const struct pat_syntax *syn = st->syntax;
    struct pattern first, second = { NULL, 0, 0, 1 };
    size_t ngroups = 0, unused;

    if (!get_pattern(syn, pl, &p, &first))
	return;
    if (syn->second_pattern && *p == '!' && !get_pattern(syn, pl, &p, &second))
	return;
    observe_pattern(st, &first);
    if (second.text != NULL)
	observe_pattern(st, &second);
    while (*p && is_blank(*p))
	p++;
    if (*p == 0)
	warn_at(pl, p, "no replacement text: using empty string");
    st->seen.value_offset = (size_t) (p - st->base);

    /* Build the rule in place; a failed check takes it back off. */
    struct pat_rule *rule = pat_list_add(st->list, PAT_MATCH, pl->where.line);

    rule->match = first.match;
    rule->match2 = second.match;
    if (parse_result(syn, pl, p, rule) < 0) {
	warn_at(pl, p, "bad replacement syntax: skipping this rule");
	goto skip;
    }
    st->seen.max_sub = rule->max_sub;
    if (rule->max_sub > 0 && !first.match) {
	rule_problem(st, pl, p, PAT_BAD_INDEX,
		     "$number found in negative match replacement text: "
		     "skipping this rule");
	goto skip;
    }
    rule->expr = compile_pattern(st, pl, &first, 0, rule->max_sub > 0, &ngroups);
    if (rule->expr == NULL)
	goto skip;
    if (rule->max_sub > ngroups) {
	rule_problem(st, pl, p, PAT_BAD_INDEX,
		     "out of range replacement index \"%d\": skipping this rule",
		     (int) rule->max_sub);
	goto skip;
    }
    if (second.text != NULL
	&& (rule->expr2 = compile_pattern(st, pl, &second, 1, 0, &unused)) == NULL)
	goto skip;
    if (rule->max_sub > st->list->max_sub)
	st->list->max_sub = rule->max_sub;
    st->seen.kept = 1;
    return;

  skip:
    if (rule->expr != NULL)
	syn->free_expr(rule->expr);
    free(rule->text);
    free(rule->pieces);
    st->list->nrules--;
}

/* parse_if - "if [!]/re/flags": opens a block */
static void parse_if(struct load_state *st, const struct place *pl, char *p)
{
    const struct pat_syntax *syn = st->syntax;
    struct pattern pat;
    size_t ngroups;
    void *expr;

    for (p += 2; *p && is_blank(*p); p++)
	 /* void */ ;
    if (!get_pattern(syn, pl, &p, &pat))
	return;
    observe_pattern(st, &pat);
    while (*p && is_blank(*p))
	p++;
    if (*p) {
	warn_at(pl, p, "ignoring extra text after IF statement: \"%s\"", p);
	warn_at(pl, p, "do not prepend whitespace to statements between IF and ENDIF");
    }
    if ((expr = compile_pattern(st, pl, &pat, 0, 0, &ngroups)) == NULL)
	return;
    struct pat_rule *rule = pat_list_add(st->list, PAT_IF, pl->where.line);

    rule->expr = expr;
    rule->match = pat.match;
    st->seen.kept = 1;
}

/* parse_endif - "endif": closes the innermost open block */
static void parse_endif(struct load_state *st, const struct place *pl, char *p)
{
    if (pat_list_depth(st->list) == 0) {
	warn_at(pl, p, "ignoring ENDIF without matching IF");
	return;
    }
    for (p += 5; *p && is_blank(*p); p++)
	 /* void */ ;
    if (*p)
	warn_at(pl, p, "ignoring extra text after ENDIF");
    pat_list_add(st->list, PAT_ENDIF, pl->where.line);
    st->seen.kept = 1;
}

/* parse_line - one logical line of a regexp or pcre table */
static void parse_line(void *ctx, char *p, const struct cf_logical_line *line)
{
    struct load_state *st = ctx;
    struct place pl = {
	{ st->syntax->kind, st->name, line->first_line }, st->sink, line, p,
    };
    enum pat_op op;

    trim_right(p);
    if (*p == 0)
	return;
    memset(&st->seen, 0, sizeof(st->seen));
    st->seen.where = line;
    st->seen.depth = pat_list_depth(st->list);
    st->base = p;
    if (!is_alnum(*p)) {
	op = PAT_MATCH;
	parse_match(st, &pl, p);
    } else if (strncasecmp(p, "IF", 2) == 0 && !is_alnum(p[2])) {
	op = PAT_IF;
	parse_if(st, &pl, p);
    } else if (strncasecmp(p, "ENDIF", 5) == 0 && !is_alnum(p[5])) {
	op = PAT_ENDIF;
	parse_endif(st, &pl, p);
    } else {
	warn_at(&pl, p, "ignoring unrecognized request");
	return;
    }
    st->seen.op = op;
    if (st->observe != NULL && (st->seen.npatterns > 0 || st->seen.kept))
	st->observe(st->observe_ctx, &st->seen);
}

/* load - pat_load() and pat_load_observed() */
static int load(struct pat_list *list, const struct pat_syntax *syntax, const char *name,
		const struct diag_sink *sink, pat_observe_fn observe, void *ctx, char **err)
{
    struct load_state st;
    int status = 0;

    memset(&st, 0, sizeof(st));
    st.list = list;
    st.syntax = syntax;
    st.name = name;
    st.sink = sink;
    st.observe = observe;
    st.observe_ctx = ctx;
    if (pat_read_source(syntax->kind, name, 0, sink, parse_line, &st, err) != 0)
	status = -1;
    else
	pat_list_finish(list, syntax->kind, name, sink);
    sb_free(&st.postfix);
    return status;
}

int pat_load_observed(struct pat_list *list, const struct pat_syntax *syntax,
		      const char *name, pat_observe_fn observe, void *ctx,
		      char **err)
{
    return load(list, syntax, name, NULL, observe, ctx, err);
}

int pat_load(struct pat_list *list, const struct pat_syntax *syntax,
	     const char *name, const struct diag_sink *sink, char **err)
{
    return load(list, syntax, name, sink, NULL, NULL, err);
}

/* pat_table_lookup - the first rule that matches key, its $n filled in */
static int pat_table_lookup(struct dict *dict, const char *key, const char **value)
{
    struct pat_table *t = (struct pat_table *) dict;
    const struct pat_syntax *syn = t->syntax;
    const struct pat_rule *rule;

    syn->start(t, key);
    if ((rule = pat_list_find(&t->rules, syn->exec, t)) == NULL)
	return DICT_NOTFOUND;
    *value = pat_result(rule, key, &t->result, syn->group, t);
    dict->match_line = rule->line;
    return DICT_FOUND;
}

static int pat_table_close(struct dict *dict, char **err)
{
    struct pat_table *t = (struct pat_table *) dict;

    (void) err;
    t->syntax->close(t);
    pat_list_free(&t->rules, t->syntax->free_expr);
    sb_free(&t->result);
    dict_free(dict);
    return 0;
}

struct dict *pat_table_open(const struct dict_type *type, const struct pat_syntax *syntax,
			    size_t size, const char *name, int mode, unsigned flags,
			    const struct diag_sink *sink, char **err)
{
    struct pat_table *t;

    if (mode != DICT_READ) {
	*err = dict_format_error("%s:%s map requires O_RDONLY access mode", syntax->kind, name);
	return NULL;
    }
    t = (struct pat_table *) dict_alloc(type, name, flags, size);
    t->syntax = syntax;
    t->dict.lookup = pat_table_lookup;
    t->dict.close = pat_table_close;
    if (pat_load(&t->rules, syntax, name, sink, err) != 0 || syntax->ready(t, err) != 0) {
	pat_table_close(&t->dict, NULL);
	return NULL;
    }
    return &t->dict;
}
