/*
 * dict_regexp - regexp:FILE and regexp:{ {rule}, ... }, regexp_table(5)
 * with POSIX regular expressions. Postfix's defaults: extended syntax and
 * case-insensitive; flag "i" makes a pattern case-sensitive, "x" switches
 * to basic syntax, "m" sets REG_NEWLINE. "/a/!/b/" matches when a matches
 * and b does not. Parsing is pattern_source's; this file is the engine.
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "dict.h"
#include "pattern_source.h"
#include "strbuf.h"
#include "xalloc.h"

struct regexp_table {
    struct dict dict;
    struct pat_list rules;
    regmatch_t *pmatch;		/* room for the largest $n of any rule */
    const char *key;		/* the key being looked up */
    struct strbuf result;
};

static int regexp_flag(const struct pat_where *where, int ch, unsigned *options)
{
    (void) where;
    switch (ch) {
    case 'i':
	*options ^= REG_ICASE;
	return 0;
    case 'm':
	*options ^= REG_NEWLINE;
	return 0;
    case 'x':
	*options ^= REG_EXTENDED;
	return 0;
    default:
	return -1;
    }
}

/* regexp_warn - a regexec error in regerror()'s words */
static void regexp_warn(const struct pat_where *where, const struct diag_sink *sink,
			int error, const regex_t *re)
{
    char text[256];

    (void) regerror(error, re, text, sizeof(text));
    pat_warn(where, sink, "%s", text);
}

static void *regexp_compile(const struct pat_where *where, const char *pattern,
			    unsigned options, int need_groups, size_t *ngroups,
			    struct pat_error *error)
{
    regex_t *re = xmalloc(sizeof(*re));
    int status;

    (void) where;
    /* As Postfix: REG_NOSUB when no $n will ask for the groups. */
    if (!need_groups)
	options |= REG_NOSUB;
    if ((status = regcomp(re, pattern, (int) options)) != 0) {
	/* POSIX says what went wrong, but not where. */
	(void) regerror(status, re, error->text, sizeof(error->text));
	error->offset = -1;
	free(re);
	return NULL;
    }
    *ngroups = re->re_nsub;
    return re;
}

static void regexp_free(void *expr)
{
    regfree(expr);
    free(expr);
}

static int regexp_exec(void *ctx, const struct pat_rule *rule, const void *expr,
		       int want_groups)
{
    struct regexp_table *t = ctx;
    size_t nmatch = want_groups ? rule->max_sub + 1 : 0;
    int error = regexec(expr, t->key, nmatch, want_groups ? t->pmatch : NULL, 0);

    if (error == 0)
	return 1;
    if (error == REG_NOMATCH)
	return 0;
    struct pat_where where = { "regexp", t->dict.name, rule->line };

    regexp_warn(&where, t->dict.sink, error, expr);
    return -1;
}

static int regexp_group(void *ctx, size_t n, size_t *start, size_t *end)
{
    const regmatch_t *m = &((struct regexp_table *) ctx)->pmatch[n];

    if (m->rm_so < 0)
	return 0;
    *start = (size_t) m->rm_so;
    *end = (size_t) m->rm_eo;
    return 1;
}

static int regexp_lookup(struct dict *dict, const char *key, const char **value)
{
    struct regexp_table *t = (struct regexp_table *) dict;
    const struct pat_rule *rule;

    t->key = key;
    if ((rule = pat_list_find(&t->rules, regexp_exec, t)) == NULL)
	return DICT_NOTFOUND;
    *value = pat_result(rule, key, &t->result, regexp_group, t);
    dict->match_line = rule->line;
    return DICT_FOUND;
}

static int regexp_close(struct dict *dict, char **err)
{
    struct regexp_table *t = (struct regexp_table *) dict;

    (void) err;
    pat_list_free(&t->rules, regexp_free);
    free(t->pmatch);
    sb_free(&t->result);
    dict_free(dict);
    return 0;
}

const struct pat_syntax dict_regexp_syntax = {
    .kind = "regexp",
    .default_options = REG_EXTENDED | REG_ICASE,
    .second_pattern = 1,
    .trailing_backslash_closes = 1,
    .unclosed_verb = "skipping",
    .zero_index = "out-of-range",
    .flag = regexp_flag,
    .compile = regexp_compile,
    .free_expr = regexp_free,
};

static struct dict *regexp_open(const char *name, int mode, unsigned flags,
				const struct diag_sink *sink, char **err);

const struct dict_type dict_type_regexp = {
    "regexp", DICT_CAP_PATTERN | DICT_CAP_FILE, regexp_open, NULL,
};

static struct dict *regexp_open(const char *name, int mode, unsigned flags,
				const struct diag_sink *sink, char **err)
{
    struct regexp_table *t;

    if (mode != DICT_READ) {
	*err = dict_format_error("regexp:%s map requires O_RDONLY access mode", name);
	return NULL;
    }
    t = (struct regexp_table *) dict_alloc(&dict_type_regexp, name, flags, sizeof(*t));
    t->dict.lookup = regexp_lookup;
    t->dict.close = regexp_close;
    if (pat_load(&t->rules, &dict_regexp_syntax, name, sink, err) != 0) {
	regexp_close(&t->dict, NULL);
	return NULL;
    }
    t->pmatch = xcalloc(t->rules.max_sub + 1, sizeof(*t->pmatch));
    return &t->dict;
}
