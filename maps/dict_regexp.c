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
#include "xalloc.h"

struct regexp_table {
    struct pat_table pat;
    regmatch_t *pmatch;		/* room for the largest $n of any rule */
    const char *key;		/* the key being looked up */
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
    struct pat_where where = { "regexp", t->pat.dict.name, rule->line };

    regexp_warn(&where, t->pat.dict.sink, error, expr);
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

static void regexp_start(struct pat_table *table, const char *key)
{
    ((struct regexp_table *) table)->key = key;
}

static int regexp_ready(struct pat_table *table, char **err)
{
    struct regexp_table *t = (struct regexp_table *) table;

    (void) err;
    t->pmatch = xcalloc(table->rules.max_sub + 1, sizeof(*t->pmatch));
    return 0;
}

static void regexp_close(struct pat_table *table)
{
    free(((struct regexp_table *) table)->pmatch);
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
    .start = regexp_start,
    .exec = regexp_exec,
    .group = regexp_group,
    .ready = regexp_ready,
    .close = regexp_close,
};

static struct dict *regexp_open(const char *name, int mode, unsigned flags,
				const struct diag_sink *sink, char **err);

const struct dict_type dict_type_regexp = {
    "regexp", DICT_CAP_PATTERN | DICT_CAP_FILE, regexp_open, NULL,
};

static struct dict *regexp_open(const char *name, int mode, unsigned flags,
				const struct diag_sink *sink, char **err)
{
    return pat_table_open(&dict_type_regexp, &dict_regexp_syntax, sizeof(struct regexp_table),
			  name, mode, flags, sink, err);
}
