/*
 * check_params - the parameter rules of pfc check: names Postfix does not
 * know (postconf's own analysis, from conf.c), $name uses, expansion
 * syntax, template leftovers, glued lines, value types, address classes.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "conf.h"
#include "diag.h"
#include "expand.h"
#include "strbuf.h"
#include "textutil.h"
#include "xalloc.h"

/* ------------------------------------------------------------ newer names */

/*
 * Parameters that Postfix 3.8 and later added and 3.7.11 lacks (postconf(5)
 * "This feature is available in Postfix X and later"; names backported
 * to 3.7 are in the registry and never reach this table). Sorted.
 */
static const struct newer_param {
    const char *name;
    const char *version;
} newer_params[] = {
    {"allow_srv_lookup_fallback", "3.8"},
    {"force_mime_input_conversion", "3.9"},
    {"full_name_encoding_charset", "3.10"},
    {"ignore_srv_lookup_error", "3.8"},
    {"lmtp_tls_enable_rpk", "3.9"},
    {"lmtp_tls_enforce_sts_mx_patterns", "3.10"},
    {"maillog_file_permissions", "3.9"},
    {"smtp_tls_enable_rpk", "3.9"},
    {"smtp_tls_enforce_sts_mx_patterns", "3.10"},
    {"smtp_tlsrpt_enable", "3.10"},
    {"smtp_tlsrpt_skip_reused_handshakes", "3.10"},
    {"smtp_tlsrpt_socket_name", "3.10"},
    {"smtpd_client_ipv4_prefix_length", "3.8"},
    {"smtpd_client_ipv6_prefix_length", "3.8"},
    {"smtpd_hide_client_session", "3.10"},
    {"smtpd_tls_enable_rpk", "3.9"},
    {"socketmap_max_reply_size", "3.10"},
    {"tls_required_enable", "3.10"},
    {"tlsproxy_tls_enable_rpk", "3.9"},
    {"use_srv_lookup", "3.8"},
};

static int compare_newer(const void *key, const void *elem)
{
    return strcmp(key, ((const struct newer_param *) elem)->name);
}

static const struct newer_param *newer_find(const char *name)
{
    return bsearch(name, newer_params, sizeof(newer_params) / sizeof(newer_params[0]),
		   sizeof(newer_params[0]), compare_newer);
}

/* registry_names - the registry's names, for check_suggest() */
static const char *const *registry_names(void)
{
    static const char **names;

    if (names == NULL) {
	names = xcalloc(param_table_size, sizeof(*names));
	for (size_t i = 0; i < param_table_size; i++)
	    names[i] = param_table[i].name;
    }
    return names;
}

/* ------------------------------------------------------------ positions */

static int is_name_char(int ch)
{
    return isalnum((unsigned char) ch) || ch == '_';
}

/* setting_at - offset of byte i of a setting's value in its logical line */
static size_t setting_at(const struct check_setting *s, size_t i)
{
    return s->value_off + i;
}

/*
 * find_ref - the offset of the first "$name", "${name" or "$(name" in
 * value at or after from, or -1. "$$" is a literal dollar.
 */
static long find_ref(const char *value, size_t from, const char *name)
{
    size_t len = strlen(name);

    for (size_t i = from; value[i] != 0; i++) {
	if (value[i] != '$')
	    continue;
	if (value[i + 1] == '$') {
	    i++;
	    continue;
	}
	size_t j = i + 1;
	if (value[j] == '{' || value[j] == '(') {
	    j++;
	    while (value[j] == ' ' || value[j] == '\t')
		j++;
	}
	if (strncmp(value + j, name, len) == 0 && !is_name_char(value[j + len]))
	    return (long) i;
    }
    return -1;
}

/* ------------------------------------------------------------ names */

struct name_state {
    struct check *cx;
    struct strmap undefined_main;	/* names undefined in main.cf */
    struct strmap *undefined_service;	/* per master.cf entry */
};

/* looks_like_template_var - ALL_CAPS names: shell/envsubst leftovers */
static int looks_like_template_var(const char *name, size_t len)
{
    int letters = 0;

    if (len < 2)
	return 0;
    for (size_t i = 0; i < len; i++) {
	if (islower((unsigned char) name[i]))
	    return 0;
	if (isupper((unsigned char) name[i]))
	    letters++;
	else if (!isdigit((unsigned char) name[i]) && name[i] != '_')
	    return 0;
    }
    return letters >= 2;
}

static void on_unused(void *ctx, size_t scope, const char *name, const char *value)
{
    struct name_state *st = ctx;
    struct check *cx = st->cx;
    const struct newer_param *newer = newer_find(name);
    struct finding *f;

    if (scope == CONF_MAIN_SCOPE) {
	const struct check_setting *s = check_setting_find(cx, name);
	const struct cf_logical_line *where = s ? s->where : NULL;
	size_t off = s ? s->name_off : 0;
	if (strchr(name, '{') != NULL || strchr(name, '%') != NULL)
	    return;		/* a template line: template-placeholder says it */
	if (newer != NULL) {
	    f = check_report(cx, "newer-parameter", cx->main_path, where, off,
			     "%s needs Postfix %s or later (this is 3.7)", name,
			     newer->version);
	    finding_fix(f, "remove it, or upgrade Postfix to %s", newer->version);
	} else {
	    const char *near = check_suggest(name, registry_names(), param_table_size);
	    if (near != NULL) {
		f = check_report(cx, "unknown-parameter", cx->main_path, where, off,
				 "unknown parameter %s", name);
		finding_fix(f, "did you mean %s?", near);
	    } else {
		f = check_report(cx, "unused-parameter", cx->main_path, where, off,
				 "%s is not a Postfix parameter and nothing uses it as $%s",
				 name, name);
		finding_fix(f, "remove it, or check its spelling in postconf(5)");
	    }
	}
	finding_postfix(f, "%s: unused parameter: %s=%s", cx->main_path, name, value);
	return;
    }
    if (scope >= cx->nservices || cx->master_path == NULL)
	return;
    const struct check_service *svc = &cx->services[scope];
    const struct check_override *o = NULL;
    for (size_t i = svc->noverrides; i-- > 0;)
	if (strcmp(svc->overrides[i].name, name) == 0) {
	    o = &svc->overrides[i];
	    break;
	}
    size_t off = o ? o->name_off : 0;
    if (newer != NULL) {
	f = check_report(cx, "newer-parameter", cx->master_path, svc->entry->where, off,
			 "-o %s needs Postfix %s or later (this is 3.7)", name,
			 newer->version);
	finding_fix(f, "remove the -o option, or upgrade Postfix to %s", newer->version);
    } else {
	const char *near = check_suggest(name, registry_names(), param_table_size);
	f = check_report(cx, "override-unknown", cx->master_path, svc->entry->where, off,
			 "-o %s: Postfix does not know this parameter, so the override does nothing",
			 name);
	if (near != NULL)
	    finding_fix(f, "did you mean %s?", near);
	else
	    finding_fix(f, "remove the -o option, or check its spelling in postconf(5)");
    }
    finding_postfix(f, "%s: unused parameter: %s=%s", cx->master_path, name, value);
}

static void on_undefined(void *ctx, size_t scope, const char *name)
{
    struct name_state *st = ctx;

    if (scope == CONF_MAIN_SCOPE)
	strmap_put(&st->undefined_main, name, NULL);
    else if (scope < st->cx->nservices)
	strmap_put(&st->undefined_service[scope], name, NULL);
}

struct use_scan {
    struct strmap *undefined;
    struct strmap seen;		/* name -> NULL: each name once per value */
    char **names;		/* undefined names used as $name, in order */
    size_t count;
};

static const char *collect_use(const char *name, int mode, void *ctx)
{
    struct use_scan *us = ctx;

    /*
     * ${name?x} and ${name:x} only test whether name is set, but postconf
     * warns about an undefined name there too: a misspelt test is as wrong.
     */
    (void) mode;
    if (strmap_has(us->undefined, name)
	&& !strmap_has(&us->seen, name)) {
	strmap_put(&us->seen, name, NULL);
	us->names = xrealloc(us->names, (us->count + 1) * sizeof(*us->names));
	us->names[us->count++] = xstrdup(name);
    }
    return NULL;
}

/*
 * report_undefined - each undefined $name in value (of a setting or a -o
 * override), at its '$'.
 */
static void report_undefined(struct check *cx, struct strmap *undefined, const char *value,
			     const char *path, const struct cf_logical_line *where,
			     size_t value_off, const char *source)
{
    struct use_scan us = { undefined, {0}, NULL, 0 };

    if (strchr(value, '$') == NULL || undefined->used == 0)
	return;
    strmap_init(&us.seen);
    check_capture_begin(cx, NULL, NULL);
    (void) expand(NULL, value, EXPAND_SCAN, collect_use, &us);
    check_capture_end(cx);
    for (size_t i = 0; i < us.count; i++) {
	const char *name = us.names[i];
	long at = find_ref(value, 0, name);
	struct finding *f = check_report(cx, "undefined-variable", path, where,
					 value_off + (at < 0 ? 0 : (size_t) at),
					 "$%s is not defined, so it expands to nothing", name);
	if (looks_like_template_var(name, strlen(name)))
	    finding_fix(f, "$%s looks like an unrendered template variable: substitute it"
			" (envsubst, the deployment tool) before deploying", name);
	else
	    finding_fix(f, "define %s in main.cf, or correct the name", name);
	finding_postfix(f, "%s: undefined parameter: %s", source, name);
	free(us.names[i]);
    }
    free(us.names);
    strmap_free(&us.seen, NULL);
}

static void check_names(struct check *cx)
{
    struct name_state st;
    struct conf_name_hooks hooks = { on_unused, on_undefined, &st };

    st.cx = cx;
    strmap_init(&st.undefined_main);
    st.undefined_service = xcalloc(cx->nservices + 1, sizeof(*st.undefined_service));
    for (size_t i = 0; i < cx->nservices; i++)
	strmap_init(&st.undefined_service[i]);
    /* conf.c's other warnings (database client files...) are not ours. */
    check_capture_begin(cx, NULL, NULL);
    conf_scan_names(cx->config_dir, &hooks);
    check_capture_end(cx);

    for (size_t i = 0; i < cx->nsettings; i++) {
	const struct check_setting *s = &cx->settings[i];
	if (!s->effective || (s->def != NULL && (s->def->flags & PFLAG_RAW)))
	    continue;
	report_undefined(cx, &st.undefined_main, s->value, cx->main_path, s->where,
			 s->value_off, cx->main_path);
    }
    for (size_t i = 0; i < cx->nservices && cx->master_path != NULL; i++) {
	const struct check_service *svc = &cx->services[i];
	for (size_t j = 0; j < svc->noverrides; j++) {
	    const struct param_def *def = registry_find(svc->overrides[j].name);
	    if (def != NULL && (def->flags & PFLAG_RAW))
		continue;
	    report_undefined(cx, &st.undefined_service[i], svc->overrides[j].value,
			     cx->master_path, svc->entry->where,
			     svc->overrides[j].value_off, cx->master_path);
	}
    }
    strmap_free(&st.undefined_main, NULL);
    for (size_t i = 0; i < cx->nservices; i++)
	strmap_free(&st.undefined_service[i], NULL);
    free(st.undefined_service);
}

/* ------------------------------------------------------------ expansion */

static void keep_warning(void *ctx, const char *message)
{
    struct strbuf *buf = ctx;

    if (buf->len == 0)
	sb_adds(buf, message);
}

static const char *scan_nothing(const char *name, int mode, void *ctx)
{
    (void) name;
    (void) mode;
    (void) ctx;
    return NULL;
}

/* expansion_error - expand's warning for value, or NULL when it expands */
static char *expansion_error(const char *value)
{
    struct strbuf warning = STRBUF_INIT;

    if (strchr(value, '$') == NULL)
	return NULL;
    diag_set_warning_hook(keep_warning, &warning);
    int status = expand(NULL, value, EXPAND_SCAN, scan_nothing, NULL);
    diag_set_warning_hook(NULL, NULL);
    if ((status & EXPAND_ERROR) == 0) {
	sb_free(&warning);
	return NULL;
    }
    if (warning.len == 0)
	sb_adds(&warning, "macro processing error");
    return sb_detach(&warning);
}

static void check_expansion(struct check *cx)
{
    for (size_t i = 0; i < cx->nsettings; i++) {
	const struct check_setting *s = &cx->settings[i];
	if (!s->effective || (s->def != NULL && (s->def->flags & PFLAG_RAW)))
	    continue;
	char *err = expansion_error(s->value);
	if (err == NULL)
	    continue;
	long at = strchr(s->value, '$') - s->value;
	struct finding *f = check_report(cx, "expansion-syntax", cx->main_path, s->where,
					 setting_at(s, (size_t) at),
					 "%s: Postfix cannot expand this value: %s", s->name, err);
	finding_fix(f, "balance the braces of ${...}; write $$ for a literal dollar");
	finding_postfix(f, "%s", err);
	free(err);
    }
    for (size_t i = 0; i < cx->nservices && cx->master_path != NULL; i++) {
	const struct check_service *svc = &cx->services[i];
	for (size_t j = 0; j < svc->noverrides; j++) {
	    const struct check_override *o = &svc->overrides[j];
	    const struct param_def *def = registry_find(o->name);
	    if (def != NULL && (def->flags & PFLAG_RAW))
		continue;
	    char *err = expansion_error(o->value);
	    if (err == NULL)
		continue;
	    struct finding *f = check_report(cx, "expansion-syntax", cx->master_path,
					     svc->entry->where, o->value_off,
					     "-o %s: Postfix cannot expand this value: %s",
					     o->name, err);
	    finding_fix(f, "balance the braces of ${...}; write $$ for a literal dollar");
	    finding_postfix(f, "%s", err);
	    free(err);
	}
    }
}

/* ------------------------------------------------------------ templates */

/*
 * pattern_skip - where the result text of a regexp:/pcre: table line starts:
 * after the leading /pattern/ (or !/pattern/, or the pattern of an
 * "if /pattern/"), the delimiter being the first character after the
 * optional "!", with backslash-escaped characters skipped. A {{ in the
 * pattern is regex text, not a template. Continuation lines (leading
 * whitespace), "endif" and lines that are a template tag or placeholder
 * themselves ("{{ x }}", "{% x %}") have no pattern to skip.
 */
static const char *pattern_skip(const char *line)
{
    const char *p = line;

    if (*p == 0 || *p == ' ' || *p == '\t' || *p == '#')
	return line;
    if (p[0] == '{' && (p[1] == '{' || p[1] == '%'))
	return line;
    if (strncasecmp(p, "if", 2) == 0 && (p[2] == ' ' || p[2] == '\t')) {
	p += 2;
	p += strspn(p, " \t");
    }
    if (*p == '!')
	p++;
    char delim = *p;
    if (delim == 0 || delim == ' ' || delim == '\t')
	return line;
    for (p++; *p != 0 && *p != delim; p++)
	if (*p == '\\' && p[1] != 0)
	    p++;
    /* An unterminated pattern: the whole line is pattern text. */
    return *p == 0 ? p : p + 1;
}

/* find_close - the first "}}" or "%}" (close) at or after from, cached in *at */
static const char *find_close(const char *from, const char *close, const char **at,
			      int *searched)
{
    /* Search again only when the last candidate lies behind from. */
    if (!*searched || (*at != NULL && *at < from)) {
	*at = strstr(from, close);
	*searched = 1;
    }
    return *at;
}

/*
 * template_line - a template tag or placeholder on line lineno (text) of
 * path, looked for from the start of the line, or after the pattern of a
 * regexp:/pcre: table line (pattern != 0).
 */
static void template_line(struct check *cx, const char *path, int lineno, const char *line,
			  int pattern)
{
    const char *p = line + strspn(line, " \t");
    const char *open = NULL, *close = NULL;
    const char *brace_close = NULL, *pct_close = NULL;
    int brace_searched = 0, pct_searched = 0;

    if (*p == '#')
	return;
    const char *from = pattern ? pattern_skip(line) : p;
    for (const char *q = from; *q != 0 && open == NULL; q++) {
	/*
	 * ${{a} == {b}}, inline:{{k=v}, ...} and regexp:{{/re/ x}, ...} are
	 * Postfix's own braces.
	 */
	if (q[0] != '{' || (q[1] != '{' && q[1] != '%')
	    || (q > line && (q[-1] == '$' || q[-1] == ':')))
	    continue;
	close = q[1] == '{' ? find_close(q + 2, "}}", &brace_close, &brace_searched)
	    : find_close(q + 2, "%}", &pct_close, &pct_searched);
	if (close == NULL) {
	    /* Nothing closes this kind of brace later on the line either. */
	    continue;
	}
	if (q[1] == '%' || strcspn(q + 2, "{},=") >= (size_t) (close - q - 2))
	    open = q;
    }
    if (open == NULL)
	return;
    int whole = open == p && close[2 + strspn(close + 2, " \t\r\n")] == 0;
    struct finding *f = check_report_at(cx, "template-placeholder", path, lineno,
					(int) (open - line) + 1,
					"unrendered template %s: %.*s",
					open[1] == '{' ? "placeholder" : "tag",
					(int) (close + 2 - open), open);
    finding_fix(f, whole ? "render the template (Jinja/Go) before deploying; this line is"
		" template code, not Postfix configuration"
		: "render the template (Jinja/Go) before deploying, or replace the"
		" placeholder with the real value");
}

static void template_text(struct check *cx, const char *path, const char *text, size_t len,
			  int pattern)
{
    const char *end = text + len;
    int lineno = 0;

    for (const char *line = text; line < end;) {
	const char *eol = memchr(line, '\n', (size_t) (end - line));
	size_t n = eol ? (size_t) (eol - line) : (size_t) (end - line);
	lineno++;
	/* Most lines have no brace at all: one memchr decides. */
	if (memchr(line, '{', n) != NULL) {
	    char *copy = xstrndup(line, n);
	    template_line(cx, path, lineno, copy, pattern);
	    free(copy);
	}
	line += n + 1;
    }
}

static void template_file(struct check *cx, const char *path, int pattern)
{
    struct strbuf text = STRBUF_INIT;

    if (path == NULL || sb_read_file(&text, path) < 0) {
	sb_free(&text);
	return;
    }
    template_text(cx, path, text.s ? text.s : "", text.len, pattern);
    sb_free(&text);
}

/*
 * check_template_text - "{{ x }}" and "{% x %}" anywhere outside comment
 * lines of text (the bytes of path), including lines that are not
 * settings or table entries at all.
 */
void check_template_text(struct check *cx, const char *path, const char *text, size_t len)
{
    template_text(cx, path, text, len, 0);
}

void check_template_file(struct check *cx, const char *path)
{
    template_file(cx, path, 0);
}

void check_template_pattern_file(struct check *cx, const char *path)
{
    template_file(cx, path, 1);
}

/*
 * template_vars - how many "${UPPER_CASE}" or "$UPPER_CASE" names in value
 * are not defined: shell/envsubst leftovers. They are reported as
 * undefined variables (as postconf does); the type checks skip such values.
 */
static int template_vars(struct check *cx, const char *value)
{
    int found = 0;

    for (size_t i = 0; value[i] != 0; i++) {
	if (value[i] != '$')
	    continue;
	if (value[i + 1] == '$') {
	    i++;
	    continue;
	}
	size_t j = i + 1, braced = value[j] == '{';
	j += braced;
	size_t start = j;
	while (is_name_char(value[j]))
	    j++;
	if (braced && value[j] != '}')
	    continue;
	if (!looks_like_template_var(value + start, j - start))
	    continue;
	char *name = xstrndup(value + start, j - start);
	if (config_raw(cx->cfg, name) == NULL)
	    found++;
	free(name);
    }
    return found;
}

static void check_templates(struct check *cx)
{
    check_template_file(cx, cx->main_path);
    check_template_file(cx, cx->master_path);
}

/* ------------------------------------------------------------ glued lines */

/* longest_param_name - the length of the longest registry parameter name */
static size_t longest_param_name(void)
{
    static size_t longest;

    if (longest == 0)
	for (size_t i = 0; i < param_table_size; i++) {
	    size_t n = strlen(param_table[i].name);
	    if (n > longest)
		longest = n;
	}
    return longest;
}

/*
 * glued_name - a known parameter name that ends at value[end] (exclusive)
 * and starts the word or follows digits ("10240000readme_directory").
 * Only the last longest_param_name() bytes before end can be a name.
 */
static const struct param_def *glued_name(const char *value, size_t end, size_t *start)
{
    char name[128];
    size_t longest = longest_param_name();

    if (longest >= sizeof(name))
	longest = sizeof(name) - 1;
    size_t lo = end > longest ? end - longest : 0;
    size_t word = end;
    while (word > lo && is_name_char(value[word - 1]))
	word--;
    /* Does the word start at word, or run on before the bytes looked at? */
    int word_starts = word == 0 || !is_name_char(value[word - 1]);
    for (size_t s = word; s + 4 <= end; s++) {
	if (!(s == word && word_starts) && !(s > 0 && isdigit((unsigned char) value[s - 1])))
	    continue;
	memcpy(name, value + s, end - s);
	name[end - s] = 0;
	const struct param_def *def = registry_find(name);
	if (def != NULL) {
	    *start = s;
	    return def;
	}
    }
    return NULL;
}

static void check_glued(struct check *cx, char *glued)
{
    for (size_t i = 0; i < cx->nsettings; i++) {
	const struct check_setting *s = &cx->settings[i];
	int depth = 0;
	for (size_t k = 0; s->value[k] != 0; k++) {
	    char ch = s->value[k];
	    if (ch == '{')
		depth++;
	    else if (ch == '}' && depth > 0)
		depth--;
	    if (ch != '=' || depth > 0)
		continue;
	    size_t end = k, start;
	    while (end > 0 && (s->value[end - 1] == ' ' || s->value[end - 1] == '\t'))
		end--;
	    const struct param_def *def = glued_name(s->value, end, &start);
	    if (def == NULL)
		continue;
	    struct finding *f = check_report(cx, "glued-line", cx->main_path, s->where,
					     setting_at(s, start),
					     "%s = ... runs into the value of %s: two settings on one line",
					     def->name, s->name);
	    finding_fix(f, "put %s = ... on a line of its own", def->name);
	    glued[i] = 1;
	    break;
	}
    }
}

/* ------------------------------------------------------------ types */

struct typed_place {
    const char *path;
    const struct cf_logical_line *where;
    size_t offset;
    const char *label;		/* "name" or "-o name" */
};

static int enum_has(const char *choices, const char *value)
{
    size_t len = strlen(value);

    for (const char *p = choices; *p != 0;) {
	size_t n = strcspn(p, "|");
	if (n == len && strncasecmp(p, value, len) == 0)
	    return 1;
	p += n + (p[n] == '|');
    }
    return 0;
}

/* check_typed - value (expanded) of a typed parameter, as its daemon reads it */
static void check_typed(struct check *cx, const struct param_def *def, const char *value,
			const struct typed_place *at)
{
    struct finding *f;
    char *end;
    long n;

    switch (def->kind) {
    case PKIND_BOOL:
	if (strcasecmp(value, "yes") == 0 || strcasecmp(value, "no") == 0)
	    return;
	f = check_report(cx, "bad-boolean", at->path, at->where, at->offset,
			 "%s = %s: not a boolean", at->label, value);
	finding_fix(f, "write yes or no");
	finding_postfix(f, "bad boolean configuration: %s = %s", def->name, value);
	return;
    case PKIND_INT:
    case PKIND_LONG:
    case PKIND_SIZE:
	errno = 0;
	n = strtol(value, &end, 10);
	if (*value == 0 || *end != 0 || errno == ERANGE
	    || ((def->pclass == PCLASS_INT || def->pclass == PCLASS_NINT)
		&& (n > INT_MAX || n < INT_MIN))) {
	    f = check_report(cx, def->kind == PKIND_SIZE ? "bad-size" : "bad-number",
			     at->path, at->where, at->offset,
			     def->kind == PKIND_SIZE ? "%s = %s: not a number of bytes"
			     : "%s = %s: not a number", at->label, value);
	    finding_fix(f, "write a plain decimal number%s",
			def->kind == PKIND_SIZE ? " of bytes (no k/M/G suffix)" : "");
	    finding_postfix(f, "bad numerical configuration: %s = %s", def->name, value);
	    return;
	}
	if (def->min != 0 && n < def->min) {
	    f = check_report(cx, "out-of-range", at->path, at->where, at->offset,
			     "%s = %ld is below the minimum %ld", at->label, n, def->min);
	    finding_fix(f, "use a value of at least %ld", def->min);
	    finding_postfix(f, "invalid %s parameter value %ld < %ld", def->name, n, def->min);
	} else if (def->max != 0 && n > def->max) {
	    f = check_report(cx, "out-of-range", at->path, at->where, at->offset,
			     "%s = %ld is above the maximum %ld", at->label, n, def->max);
	    finding_fix(f, "use a value of at most %ld", def->max);
	    finding_postfix(f, "invalid %s parameter value %ld > %ld", def->name, n, def->max);
	}
	return;
    case PKIND_TIME:{
	    /* Postfix's conv_time(): digits, then one unit letter; the rest is ignored. */
	    static const struct { char unit; long seconds; } units[] = {
		{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800},
	    };
	    char unit;
	    long scale = 0;
	    errno = 0;
	    n = strtol(value, &end, 10);
	    unit = *end ? *end : def->arg[0];
	    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (units[i].unit == unit)
		    scale = units[i].seconds;
	    if (*value == 0 || errno == ERANGE || n < 0 || n > INT_MAX || scale == 0
		|| n >= INT_MAX / scale + (scale == 1)) {
		f = check_report(cx, "bad-time", at->path, at->where, at->offset,
				 "%s = %s: not a time", at->label, value);
		finding_fix(f, "write a number with one unit: s, m, h, d or w (e.g. 300s, 5m)");
		finding_postfix(f, "parameter %s: bad time value or unit: %s", def->name, value);
		return;
	    }
	    if (*end != 0 && end[1] != 0) {
		f = check_report(cx, "time-units", at->path, at->where, at->offset,
				 "%s = %s: Postfix reads only %.*s and ignores \"%s\"",
				 at->label, value, (int) (end + 1 - value), value, end + 1);
		finding_fix(f, "write one number and one unit, e.g. %lds", n * scale);
	    }
	    long seconds = n * scale;
	    if (def->min != 0 && seconds < def->min) {
		f = check_report(cx, "out-of-range", at->path, at->where, at->offset,
				 "%s = %s is below the minimum %lds", at->label, value, def->min);
		finding_fix(f, "use a time of at least %lds", def->min);
		finding_postfix(f, "invalid %s: %ld (min %ld)", def->name, seconds, def->min);
	    } else if (def->max != 0 && seconds > def->max) {
		f = check_report(cx, "out-of-range", at->path, at->where, at->offset,
				 "%s = %s is above the maximum %lds", at->label, value, def->max);
		finding_fix(f, "use a time of at most %lds", def->max);
		finding_postfix(f, "invalid %s: %ld (max %ld)", def->name, seconds, def->max);
	    }
	    return;
	}
    case PKIND_ENUM:
	if ((*value == 0 && *def->defval == 0) || enum_has(def->arg, value))
	    return;
	{
	    struct strbuf choices = STRBUF_INIT;
	    for (const char *p = def->arg; *p; p++)
		sb_adds(&choices, *p == '|' ? ", " : (char[]) { *p, 0 });
	    f = check_report(cx, "bad-enum", at->path, at->where, at->offset,
			     "%s = %s: not one of %s", at->label, value, sb_str(&choices));
	    finding_fix(f, "use one of: %s", sb_str(&choices));
	    sb_free(&choices);
	}
	return;
    default:
	return;
    }
}

static int is_typed(const struct param_def *def)
{
    return def != NULL && (def->kind == PKIND_BOOL || def->kind == PKIND_INT
			   || def->kind == PKIND_LONG || def->kind == PKIND_SIZE
			   || def->kind == PKIND_TIME || def->kind == PKIND_ENUM);
}

static void check_types(struct check *cx, const char *glued)
{
    for (size_t i = 0; i < cx->nsettings; i++) {
	const struct check_setting *s = &cx->settings[i];
	if (!s->effective || !is_typed(s->def) || (s->def->flags & PFLAG_READONLY)
	    || glued[i] || template_vars(cx, s->value) > 0)
	    continue;
	char *err = expansion_error(s->value);
	if (err != NULL) {
	    free(err);
	    continue;		/* expansion-syntax says it */
	}
	char *value = strchr(s->value, '$') ? check_value(cx, s->name) : xstrdup(s->value);
	struct typed_place at = { cx->main_path, s->where, s->value_off, s->name };
	if (value != NULL)
	    check_typed(cx, s->def, value, &at);
	free(value);
    }
    for (size_t i = 0; i < cx->nservices && cx->master_path != NULL; i++) {
	const struct check_service *svc = &cx->services[i];
	for (size_t j = 0; j < svc->noverrides; j++) {
	    const struct check_override *o = &svc->overrides[j];
	    const struct param_def *def = registry_find(o->name);
	    if (!is_typed(def) || (def->flags & PFLAG_READONLY)
		|| template_vars(cx, o->value) > 0)
		continue;
	    char *err = expansion_error(o->value);
	    if (err != NULL) {
		free(err);
		continue;
	    }
	    char *value = strchr(o->value, '$') ? check_service_value(cx, svc, o->name)
		: xstrdup(o->value);
	    char *label = xconcat("-o ", o->name, (char *) NULL);
	    struct typed_place at = { cx->master_path, svc->entry->where, o->value_off, label };
	    if (value != NULL)
		check_typed(cx, def, value, &at);
	    free(label);
	    free(value);
	}
    }
}

/* ------------------------------------------------------------ address classes */

/* The pairs trivial-rewrite warns about (resolve.c), in its words. */
static const char *const class_pairs[][2] = {
    {"virtual_alias_domains", "virtual_mailbox_domains"},
    {"virtual_alias_domains", "relay_domains"},
    {"virtual_mailbox_domains", "relay_domains"},
    {"mydestination", "virtual_alias_domains"},
    {"mydestination", "virtual_mailbox_domains"},
};

/* class_domains - the literal domains of a list; tables and files are skipped */
static void class_domains(struct check *cx, const char *param, struct strmap *out)
{
    char *value = check_value(cx, param);
    char *bp = value, *item;

    strmap_init(out);
    if (value == NULL)
	return;
    while ((item = str_tokq(&bp, CHARS_COMMA_SP)) != NULL) {
	if (*item == '!' || *item == '/' || *item == '{' || strchr(item, ':') != NULL)
	    continue;
	for (char *p = item; *p; p++)
	    *p = (char) tolower((unsigned char) *p);
	if (!strmap_has(out, item))
	    strmap_put(out, item, NULL);
    }
    free(value);
}

static void check_address_classes(struct check *cx)
{
    for (size_t i = 0; i < sizeof(class_pairs) / sizeof(class_pairs[0]); i++) {
	const char *a = class_pairs[i][0], *b = class_pairs[i][1];
	const struct check_setting *sa = check_setting_find(cx, a);
	const struct check_setting *sb = check_setting_find(cx, b);
	/*
	 * Only lists main.cf sets, and mydestination with its default: the
	 * other defaults name tables, or $mydestination itself (relay_domains
	 * below compatibility level 2), which trivial-rewrite resolves locally.
	 */
	if ((sa == NULL && strcmp(a, "mydestination") != 0) || sb == NULL)
	    continue;
	const struct check_setting *at = sb ? sb : sa;
	struct strmap da, db;
	class_domains(cx, a, &da);
	class_domains(cx, b, &db);
	const char **keys = strmap_sorted_keys(&da);
	for (const char **k = keys; *k != NULL; k++) {
	    if (!strmap_has(&db, *k))
		continue;
	    struct finding *f = check_report(cx, "address-class-overlap", cx->main_path,
					     at->where, at->value_off,
					     "%s is listed in both %s and %s; Postfix uses only the first class",
					     *k, a, b);
	    finding_fix(f, "list %s in one of %s and %s only", *k, a, b);
	    finding_postfix(f, "do not list domain %s in BOTH %s and %s", *k, a, b);
	}
	free(keys);
	strmap_free(&da, NULL);
	strmap_free(&db, NULL);
    }
}

/* ------------------------------------------------------------ entry */

void check_parameters(struct check *cx)
{
    check_names(cx);
    check_expansion(cx);
    check_templates(cx);
    char *glued = xcalloc(cx->nsettings + 1, 1);	/* glued-line said it */
    check_glued(cx, glued);
    check_types(cx, glued);
    free(glued);
    check_address_classes(cx);
}
