/*
 * check - "pfc check": read main.cf and master.cf once, run every group of
 * rules over them, print every finding, exit 1 if any is an error. The
 * driver (check_init, check_load, check_run, check_free) is shared with
 * pfc build, which refuses to compile a configuration with errors.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "diag.h"
#include "expand.h"
#include "main_cf.h"
#include "strbuf.h"
#include "sysroot.h"
#include "xalloc.h"

#define DEFAULT_CONFIG_DIR "/etc/postfix"

/* ------------------------------------------------------------ findings */

static int rule_enabled(const struct check *cx, const char *rule)
{
    const char *state = strmap_get(&cx->rule_state, rule);

    return state == NULL || strcmp(state, "off") != 0;
}

static struct finding *add_finding(struct check *cx, const char *rule,
				   const char *path, int line, int column,
				   const char *fmt, va_list ap)
{
    const struct check_rule *def = check_rule_find(rule);
    struct strbuf msg = STRBUF_INIT;

    if (def == NULL)
	diag_fatal("internal error: unknown check rule \"%s\"", rule);
    if (!rule_enabled(cx, rule))
	return NULL;
    if (cx->nfindings == cx->findings_cap) {
	cx->findings_cap = cx->findings_cap ? 2 * cx->findings_cap : 32;
	cx->findings = xrealloc(cx->findings, cx->findings_cap * sizeof(*cx->findings));
    }
    struct finding *f = &cx->findings[cx->nfindings];
    memset(f, 0, sizeof(*f));
    f->rule = def->id;
    f->severity = def->severity;
    if (cx->werror && f->severity == CHECK_WARNING)
	f->severity = CHECK_ERROR;
    f->path = path ? xstrdup(path) : NULL;
    f->line = line;
    f->column = column;
    sb_vprintf(&msg, fmt, ap);
    f->message = sb_detach(&msg);
    f->seq = cx->nfindings++;
    return f;
}

struct finding *check_vreport(struct check *cx, const char *rule, const char *path,
			      const struct cf_logical_line *where, size_t offset,
			      const char *fmt, va_list ap)
{
    int line = 0, column = 0;

    if (where != NULL) {
	if (offset > where->len)
	    offset = where->len;
	cf_position(where, offset, &line, &column);
    }
    return add_finding(cx, rule, path, line, column, fmt, ap);
}

struct finding *check_report(struct check *cx, const char *rule, const char *path,
			     const struct cf_logical_line *where, size_t offset,
			     const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    struct finding *f = check_vreport(cx, rule, path, where, offset, fmt, ap);
    va_end(ap);
    return f;
}

struct finding *check_report_at(struct check *cx, const char *rule, const char *path,
				int line, int column, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    struct finding *f = add_finding(cx, rule, path, line, column, fmt, ap);
    va_end(ap);
    return f;
}

void finding_fix(struct finding *f, const char *fmt, ...)
{
    va_list ap;

    if (f == NULL)
	return;
    va_start(ap, fmt);
    str_vreplace(&f->fix, fmt, ap);
    va_end(ap);
}

void finding_postfix(struct finding *f, const char *fmt, ...)
{
    va_list ap;

    if (f == NULL)
	return;
    va_start(ap, fmt);
    str_vreplace(&f->postfix, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------ capture */

struct capture {
    struct diag_sink sink;	/* its ctx: this capture */
    struct check *cx;
    const char *rule;		/* NULL: discard */
    const char *path;
    const struct diag_sink *saved;	/* the process's sink before */
};

/*
 * Captures nest (a value looked up while a table loads captures quietly):
 * each begin saves the sink it interrupts, each end brings it back.
 */
#define CAPTURE_MAX_DEPTH 8
static struct capture captures[CAPTURE_MAX_DEPTH];
static int capture_depth;

/*
 * captured - a shared reader's warning as a finding, where the reader
 * says it is; anything graver is not the linter's, and goes on.
 */
static void captured(void *ctx, const struct diag *d)
{
    struct capture *cap = ctx;
    struct strbuf text = STRBUF_INIT;

    if (d->severity != DIAG_WARNING) {
	cap->saved->report(cap->saved->ctx, d);
	return;
    }
    if (cap->rule == NULL)
	return;
    diag_text(&text, d);
    struct finding *f = check_report_at(cap->cx, cap->rule,
					cap->path != NULL ? cap->path : d->path, d->line,
					d->column > 0 ? d->column : d->line > 0 ? 1 : 0,
					"%s", sb_str(&text));
    finding_postfix(f, "%s", sb_str(&text));
    finding_fix(f, "Postfix skips what it warns about here: correct the line, or remove it");
    sb_free(&text);
}

const struct diag_sink *check_capture_begin(struct check *cx, const char *rule,
					    const char *path)
{
    if (capture_depth == CAPTURE_MAX_DEPTH)
	diag_fatal("internal error: check captures nested too deep");
    struct capture *cap = &captures[capture_depth++];
    cap->sink.report = captured;
    cap->sink.ctx = cap;
    cap->cx = cx;
    cap->rule = rule;
    cap->path = path;
    cap->saved = diag_set_sink(&cap->sink);
    return &cap->sink;
}

void check_capture_end(struct check *cx)
{
    (void) cx;
    if (capture_depth > 0)
	(void) diag_set_sink(captures[--capture_depth].saved);
}

/* ------------------------------------------------------------ values */

/*
 * The linter reads values through the model's resolver, quietly: what a
 * value's expansion would warn about is the parameter rules' to report,
 * once, at its place.
 */
char *check_value(struct check *cx, const char *name)
{
    return check_service_value(cx, NULL, name);
}

const struct model_setting *check_setting_find(const struct check *cx, const char *name)
{
    return model_setting_find(cx->m, name);
}

const char *check_raw_value(const struct check *cx, const struct model_service *svc,
			    const char *name)
{
    return model_raw(cx->m, svc, name);
}

char *check_service_value(struct check *cx, const struct model_service *svc,
			  const char *name)
{
    int failed;

    check_capture_begin(cx, NULL, NULL);
    char *value = model_value(cx->m, svc, name, &failed);
    check_capture_end(cx);
    return value;
}

/* ------------------------------------------------------------ suggestions */

#define SUGGEST_MAX_LEN 128	/* longer names are no typos of Postfix's */

/*
 * edit_distance - Damerau-Levenshtein (adjacent swaps count once), or
 * limit + 1 as soon as two rows in a row exceed limit: most names are far
 * apart, and this is asked for every unknown name against every known one.
 * Both lengths are below SUGGEST_MAX_LEN.
 */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb,
			    size_t limit)
{
    size_t rows[3][SUGGEST_MAX_LEN + 1];
    size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];
    size_t prev_min = 0;

    for (size_t j = 0; j <= lb; j++)
	prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
	size_t row_min = cur[0] = i;
	for (size_t j = 1; j <= lb; j++) {
	    size_t cost = a[i - 1] != b[j - 1];
	    size_t best = prev[j] + 1;
	    if (cur[j - 1] + 1 < best)
		best = cur[j - 1] + 1;
	    if (prev[j - 1] + cost < best)
		best = prev[j - 1] + cost;
	    if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]
		&& prev2[j - 2] + 1 < best)
		best = prev2[j - 2] + 1;
	    cur[j] = best;
	    if (best < row_min)
		row_min = best;
	}
	/* Rows only grow from here; a swap reaches back one more row. */
	if (row_min > limit && prev_min > limit)
	    return limit + 1;
	prev_min = row_min;
	size_t *t = prev2;
	prev2 = prev;
	prev = cur;
	cur = t;
    }
    return prev[lb];
}

const char *check_suggest(const char *name, const char *const *candidates,
			  size_t count)
{
    size_t len = strlen(name);
    /* One edit per four characters, one to three: close enough to be a typo. */
    size_t limit = len / 4 < 1 ? 1 : len / 4 > 3 ? 3 : len / 4;
    const char *best = NULL;
    size_t best_d = limit + 1;

    if (len >= SUGGEST_MAX_LEN)
	return NULL;
    for (size_t i = 0; i < count; i++) {
	size_t lc = strlen(candidates[i]);
	if ((lc > len ? lc - len : len - lc) > limit || lc >= SUGGEST_MAX_LEN)
	    continue;
	size_t d = edit_distance(name, len, candidates[i], lc, best_d - 1);
	if (d > 0 && d < best_d) {
	    best = candidates[i];
	    best_d = d;
	}
    }
    return best;
}

/* ------------------------------------------------------------ reading */

static void on_syntax_error(void *ctx, const char *path,
			    const struct cf_logical_line *line, const char *err)
{
    struct finding *f = check_report(ctx, "main-syntax", path, line, 0,
				     "%s: \"%s\"", err, line->text);
    finding_postfix(f, "%s, line %d: %s: \"%s\"", path, line->first_line, err,
		    line->text);
    finding_fix(f, "write settings as name = value; continue a value on a line that starts with whitespace");
}

static void on_override(void *ctx, const char *path, const struct cf_logical_line *line,
			 const char *name, const char *old_value)
{
    struct finding *f = check_report(ctx, "overriding-entry", path, line, 0,
				     "%s is set again; the earlier value \"%s\" is ignored",
				     name, old_value);
    finding_postfix(f, "%s, line %d: overriding earlier entry: %s=%s", path,
		    line->first_line, name, old_value);
    finding_fix(f, "delete one of the two settings");
}

static void on_leading_space(void *ctx, const char *path,
			     const struct cf_logical_line *line)
{
    struct finding *f = check_report(ctx, "leading-whitespace", path, line, 0,
				     "this line starts with whitespace and continues nothing,"
				     " so Postfix ignores it");
    finding_postfix(f, "%s: logical line must not start with whitespace: \"%s\"",
		    path, line->text);
    finding_fix(f, "remove the leading whitespace, or the blank or comment line above it");
}

static void on_master_problem(void *ctx, const char *path,
			      const struct cf_logical_line *line, size_t offset,
			      int fatal, const char *message)
{
    struct finding *f = check_report(ctx, fatal ? "master-syntax" : "master-options",
				     path, line, offset, "%s", message);
    finding_postfix(f, "%s", message);
    finding_fix(f, fatal ? "each entry is: service type private unpriv chroot wakeup"
		" maxproc command [args]; see master(5)"
		: "close every { with a }, and write -o { name = value }");
}

void check_init(struct check *cx)
{
    memset(cx, 0, sizeof(*cx));
    strmap_init(&cx->rule_state);
    strmap_init(&cx->tables_seen);
}

int check_load(struct check *cx, struct model *m, const char *config_dir)
{
    struct mainconf_hooks hooks = {
	on_syntax_error, NULL, on_override, on_leading_space, cx,
    };
    struct masterconf_hooks mhooks = { on_master_problem, cx };

    cx->m = m;
    model_init(m, config_dir);
    if (model_read_main(m, &hooks) < 0) {
	fprintf(stderr, "pfc: open %s: %s\n", m->main_path, strerror(errno));
	return -1;
    }
    if (strcmp(m->config_dir, DEFAULT_CONFIG_DIR) != 0)
	model_put(m, "config_directory", m->config_dir);
    if (model_read_master(m, &mhooks) < 0) {
	char *deployed = xconcat(m->config_dir, "/master.cf", (char *) NULL);
	char *path = sysroot_path(deployed);
	struct finding *f = check_report_at(cx, "master-missing", path, 0, 0,
					    "cannot read master.cf: %s", strerror(m->master_errno));
	finding_postfix(f, "open %s: %s", path, strerror(m->master_errno));
	finding_fix(f, "keep master.cf beside main.cf; Postfix does not start without it");
	free(path);
	free(deployed);
    }
    return 0;
}

void check_free(struct check *cx)
{
    for (size_t i = 0; i < cx->nfindings; i++) {
	free(cx->findings[i].path);
	free(cx->findings[i].message);
	free(cx->findings[i].fix);
	free(cx->findings[i].postfix);
    }
    free(cx->findings);
    strmap_free(&cx->rule_state, NULL);
    strmap_free(&cx->tables_seen, NULL);
}

/* ------------------------------------------------------------ driver */

int check_set_rule(struct check *cx, const char *arg)
{
    const char *state = "on";

    if (strncmp(arg, "no-", 3) == 0) {
	arg += 3;
	state = "off";
    }
    const struct check_rule *rule = check_rule_find(arg);
    if (rule == NULL)
	return -1;
    strmap_put(&cx->rule_state, rule->id, (void *) state);
    return 0;
}

static int compare_findings(const void *a, const void *b)
{
    const struct finding *fa = a, *fb = b;
    int c;

    /* Configuration-wide findings first, then by file, line and column. */
    if ((fa->path == NULL) != (fb->path == NULL))
	return fa->path == NULL ? -1 : 1;
    if (fa->path && (c = strcmp(fa->path, fb->path)) != 0)
	return c;
    if (fa->line != fb->line)
	return fa->line < fb->line ? -1 : 1;
    if (fa->column != fb->column)
	return fa->column < fb->column ? -1 : 1;
    return fa->seq < fb->seq ? -1 : fa->seq > fb->seq;
}

/* dedupe - drop a finding identical to the one before it (same rule, place, text) */
static void dedupe(struct check *cx)
{
    size_t out = 0;

    for (size_t i = 0; i < cx->nfindings; i++) {
	struct finding *f = &cx->findings[i];
	if (out > 0) {
	    struct finding *p = &cx->findings[out - 1];
	    if (strcmp(p->rule, f->rule) == 0 && p->line == f->line
		&& p->column == f->column && strcmp(p->message, f->message) == 0
		&& ((p->path == NULL && f->path == NULL)
		    || (p->path && f->path && strcmp(p->path, f->path) == 0))) {
		free(f->path);
		free(f->message);
		free(f->fix);
		free(f->postfix);
		continue;
	    }
	}
	cx->findings[out++] = *f;
    }
    cx->nfindings = out;
}

void check_run(struct check *cx, enum check_target target)
{
    cx->target = target;
    check_parameters(cx);
    check_restrictions(cx);
    check_master(cx);
    check_tables(cx);
    if (cx->nfindings > 1)
	qsort(cx->findings, cx->nfindings, sizeof(*cx->findings), compare_findings);
    dedupe(cx);
}

size_t check_errors(const struct check *cx)
{
    size_t errors = 0;

    for (size_t i = 0; i < cx->nfindings; i++)
	errors += cx->findings[i].severity == CHECK_ERROR;
    return errors;
}
