/*
 * check_params - the parameter rules of pfc check: names Postfix does not
 * know (postconf's own analysis, from cmd_conf.c), $name uses, expansion
 * syntax, template leftovers, glued lines, value types, address classes.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "check.h"
#include "diag.h"
#include "expand.h"
#include "postconf.h"
#include "strbuf.h"
#include "sysroot.h"
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
static size_t setting_at(const struct model_setting *s, size_t i)
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
	const struct model_setting *s = check_setting_find(cx, name);
	const struct cf_logical_line *where = s ? s->where : NULL;
	size_t off = s ? s->name_off : 0;
	if (strchr(name, '{') != NULL || strchr(name, '%') != NULL)
	    return;		/* a template line: template-placeholder says it */
	if (newer != NULL) {
	    f = check_report(cx, "newer-parameter", cx->m->main_path, where, off,
			     "%s needs Postfix %s or later (this is 3.7)", name,
			     newer->version);
	    finding_fix(f, "remove it, or upgrade Postfix to %s", newer->version);
	} else {
	    const char *near = check_suggest(name, registry_names(), param_table_size);
	    if (near != NULL) {
		f = check_report(cx, "unknown-parameter", cx->m->main_path, where, off,
				 "unknown parameter %s", name);
		finding_fix(f, "did you mean %s?", near);
	    } else {
		f = check_report(cx, "unused-parameter", cx->m->main_path, where, off,
				 "%s is not a Postfix parameter and nothing uses it as $%s",
				 name, name);
		finding_fix(f, "remove it, or check its spelling in postconf(5)");
	    }
	}
	finding_postfix(f, "%s: unused parameter: %s=%s", cx->m->main_path, name, value);
	return;
    }
    if (scope >= cx->m->nservices || cx->m->master_path == NULL)
	return;
    const struct model_service *svc = &cx->m->services[scope];
    const struct model_override *o = NULL;
    for (size_t i = svc->noverrides; i-- > 0;)
	if (strcmp(svc->overrides[i].name, name) == 0) {
	    o = &svc->overrides[i];
	    break;
	}
    size_t off = o ? o->name_off : 0;
    if (newer != NULL) {
	f = check_report(cx, "newer-parameter", cx->m->master_path, svc->entry->where, off,
			 "-o %s needs Postfix %s or later (this is 3.7)", name,
			 newer->version);
	finding_fix(f, "remove the -o option, or upgrade Postfix to %s", newer->version);
    } else {
	const char *near = check_suggest(name, registry_names(), param_table_size);
	f = check_report(cx, "override-unknown", cx->m->master_path, svc->entry->where, off,
			 "-o %s: Postfix does not know this parameter, so the override does nothing",
			 name);
	if (near != NULL)
	    finding_fix(f, "did you mean %s?", near);
	else
	    finding_fix(f, "remove the -o option, or check its spelling in postconf(5)");
    }
    finding_postfix(f, "%s: unused parameter: %s=%s", cx->m->master_path, name, value);
}

static void on_undefined(void *ctx, size_t scope, const char *name)
{
    struct name_state *st = ctx;

    if (scope == CONF_MAIN_SCOPE)
	strmap_put(&st->undefined_main, name, NULL);
    else if (scope < st->cx->m->nservices)
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
    struct postconf pc;

    st.cx = cx;
    strmap_init(&st.undefined_main);
    st.undefined_service = xcalloc(cx->m->nservices + 1, sizeof(*st.undefined_service));
    for (size_t i = 0; i < cx->m->nservices; i++)
	strmap_init(&st.undefined_service[i]);
    /* cmd_conf.c's other warnings (database client files...) are not ours. */
    check_capture_begin(cx, NULL, NULL);
    postconf_scan_names(&pc, cx->m, &hooks);
    postconf_free(&pc);
    check_capture_end(cx);

    for (size_t i = 0; i < cx->m->nsettings; i++) {
	const struct model_setting *s = &cx->m->settings[i];
	if (!s->effective || (s->def != NULL && (s->def->flags & PFLAG_RAW)))
	    continue;
	report_undefined(cx, &st.undefined_main, s->value, cx->m->main_path, s->where,
			 s->value_off, cx->m->main_path);
    }
    for (size_t i = 0; i < cx->m->nservices && cx->m->master_path != NULL; i++) {
	const struct model_service *svc = &cx->m->services[i];
	for (size_t j = 0; j < svc->noverrides; j++) {
	    const struct param_def *def = registry_find(svc->overrides[j].name);
	    if (def != NULL && (def->flags & PFLAG_RAW))
		continue;
	    report_undefined(cx, &st.undefined_service[i], svc->overrides[j].value,
			     cx->m->master_path, svc->entry->where,
			     svc->overrides[j].value_off, cx->m->master_path);
	}
    }
    strmap_free(&st.undefined_main, NULL);
    for (size_t i = 0; i < cx->m->nservices; i++)
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
    for (size_t i = 0; i < cx->m->nsettings; i++) {
	const struct model_setting *s = &cx->m->settings[i];
	if (!s->effective || (s->def != NULL && (s->def->flags & PFLAG_RAW)))
	    continue;
	char *err = expansion_error(s->value);
	if (err == NULL)
	    continue;
	long at = strchr(s->value, '$') - s->value;
	struct finding *f = check_report(cx, "expansion-syntax", cx->m->main_path, s->where,
					 setting_at(s, (size_t) at),
					 "%s: Postfix cannot expand this value: %s", s->name, err);
	finding_fix(f, "balance the braces of ${...}; write $$ for a literal dollar");
	finding_postfix(f, "%s", err);
	free(err);
    }
    for (size_t i = 0; i < cx->m->nservices && cx->m->master_path != NULL; i++) {
	const struct model_service *svc = &cx->m->services[i];
	for (size_t j = 0; j < svc->noverrides; j++) {
	    const struct model_override *o = &svc->overrides[j];
	    const struct param_def *def = registry_find(o->name);
	    if (def != NULL && (def->flags & PFLAG_RAW))
		continue;
	    char *err = expansion_error(o->value);
	    if (err == NULL)
		continue;
	    struct finding *f = check_report(cx, "expansion-syntax", cx->m->master_path,
					     svc->entry->where, o->value_off,
					     "-o %s: Postfix cannot expand this value: %s",
					     o->name, err);
	    finding_fix(f, "balance the braces of ${...}; write $$ for a literal dollar");
	    finding_postfix(f, "%s", err);
	    free(err);
	}
    }
}

/* ------------------------------------------------------------ nesting */

/*
 * Postfix's mac_expand() refuses a piece of text more than 100 levels
 * below the value it expands: "unreasonable macro call nesting", then
 * "macro processing error", and the program stops. A value of height h
 * (its deepest piece, counting each piece of text and each $name as one
 * level, and the value a $name stands for one level further down) expands
 * when h <= 101: "smtpd_banner = $p1" over p1 = $p2 ... p100 = end does,
 * with p101 it does not (checked side by side with postconf -x).
 */
#define NESTING_MAX_HEIGHT 101

/* One parameter as a node of the $name graph of one view. */
struct mnode {
    char *name;
    const char *value;		/* raw value in this view; NULL: undefined */
    size_t *refs;		/* unconditional $name references, as node indices */
    size_t *ref_at;		/* the offset of each one's '$' in value */
    size_t nrefs;
    int literal;		/* value has text besides references */
    int conditional;		/* value has ${x?...}, ${x:...} or ${{...}} */
    long index, low;		/* Tarjan */
    long scc;			/* the index of its component's root */
    int on_stack, cyclic, loops;	/* loops: reaches a cycle */
    long height;		/* when !loops */
    size_t deepest;		/* the reference on the deepest path (index into refs) */
};

struct mgraph {
    struct check *cx;
    const struct model_service *svc;	/* NULL: main.cf */
    struct mnode *v;
    size_t n, cap;
    struct strmap ix;		/* name -> index + 1 */
};

static size_t mnode_get(struct mgraph *g, const char *name);

/*
 * scan_refs - the references Postfix always expands in a node's value:
 * $name, ${name} and $(name). What is inside ${name?...}, ${name:...} and
 * ${{a} == {b}...} is expanded only sometimes, and is left out: the graph
 * under-counts, so what it finds is certain.
 */
static void scan_refs(struct mgraph *g, size_t at)
{
    const char *value = g->v[at].value;

    for (size_t i = 0; value[i] != 0; i++) {
	if (value[i] != '$') {
	    g->v[at].literal = 1;
	    continue;
	}
	if (value[i + 1] == '$') {
	    g->v[at].literal = 1;
	    i++;
	    continue;
	}
	size_t j = i + 1, start, end;
	char open = value[j], close = open == '{' ? '}' : open == '(' ? ')' : 0;
	if (close != 0) {
	    j++;
	    j += strspn(value + j, " \t");
	    start = j;
	    while (is_name_char(value[j]))
		j++;
	    end = j;
	    j += strspn(value + j, " \t");
	    if (value[j] != close || end == start) {
		/* A condition or a relation: skip it, brackets balanced as mac_parse does. */
		int depth = 1;
		for (j = i + 2; value[j] != 0 && depth > 0; j++)
		    depth += (value[j] == open) - (value[j] == close);
		g->v[at].conditional = 1;
		i = j - 1;
		continue;
	    }
	} else {
	    start = end = j;
	    while (is_name_char(value[end]))
		end++;
	    if (end == start)
		continue;
	    j = end - 1;
	}
	char *name = xstrndup(value + start, end - start);
	size_t child = mnode_get(g, name);	/* may move g->v */
	free(name);
	struct mnode *node = &g->v[at];
	node->refs = xrealloc(node->refs, (node->nrefs + 1) * sizeof(*node->refs));
	node->ref_at = xrealloc(node->ref_at, (node->nrefs + 1) * sizeof(*node->ref_at));
	node->refs[node->nrefs] = child;
	node->ref_at[node->nrefs++] = i;
	i = j;
    }
}

/* mnode_get - the node of name, added (with its references) when new */
static size_t mnode_get(struct mgraph *g, const char *name)
{
    size_t at = (size_t) (uintptr_t) strmap_get(&g->ix, name);

    if (at != 0)
	return at - 1;
    if (g->n == g->cap) {
	g->cap = g->cap ? 2 * g->cap : 64;
	g->v = xrealloc(g->v, g->cap * sizeof(*g->v));
    }
    at = g->n++;
    memset(&g->v[at], 0, sizeof(g->v[at]));
    g->v[at].name = xstrdup(name);
    g->v[at].index = -1;
    strmap_put(&g->ix, g->v[at].name, (void *) (uintptr_t) (at + 1));
    /*
     * A default computed from the host (mynetworks, myhostname) names no
     * parameter, and computing it may stop on a bad inet_interfaces.
     */
    const struct param_def *def = registry_find(name);
    if (def != NULL && (def->flags & PFLAG_HOST) && check_setting_find(g->cx, name) == NULL
	&& (g->svc == NULL || strmap_get(&g->svc->entry->ro_params, name) == NULL)) {
	int overridden = 0;
	for (size_t i = 0; g->svc != NULL && i < g->svc->noverrides; i++)
	    overridden |= strcmp(g->svc->overrides[i].name, name) == 0;
	if (!overridden) {
	    g->v[at].value = "";
	    g->v[at].literal = 1;
	    return at;
	}
    }
    check_capture_begin(g->cx, NULL, NULL);
    g->v[at].value = check_raw_value(g->cx, g->svc, name);
    check_capture_end(g->cx);
    if (g->v[at].value != NULL)
	scan_refs(g, at);
    return at;
}

/*
 * mgraph_solve - Tarjan's strongly connected components, without
 * recursion (a chain may be a million names long), then each node's
 * height or whether it reaches a cycle; Tarjan finishes a component
 * after every component it reaches, so one pass in that order does.
 */
static void mgraph_solve(struct mgraph *g)
{
    size_t *stack = xcalloc(g->n + 1, sizeof(*stack));
    size_t *call = xcalloc(g->n + 1, sizeof(*call));	/* node being visited */
    size_t *next = xcalloc(g->n + 1, sizeof(*next));	/* its next reference */
    size_t sp = 0;
    long counter = 0;

    for (size_t root = 0; root < g->n; root++) {
	if (g->v[root].index >= 0)
	    continue;
	size_t depth = 0;
	call[0] = root;
	next[0] = 0;
	g->v[root].index = g->v[root].low = counter++;
	stack[sp++] = root;
	g->v[root].on_stack = 1;
	while (1) {
	    struct mnode *v = &g->v[call[depth]];
	    if (next[depth] < v->nrefs) {
		size_t w = v->refs[next[depth]++];
		if (w == (size_t) (v - g->v))
		    v->cyclic = 1;	/* a value that names itself */
		if (g->v[w].index < 0) {
		    g->v[w].index = g->v[w].low = counter++;
		    stack[sp++] = w;
		    g->v[w].on_stack = 1;
		    call[++depth] = w;
		    next[depth] = 0;
		} else if (g->v[w].on_stack && g->v[w].index < v->low) {
		    v->low = g->v[w].index;
		}
		continue;
	    }
	    if (v->low == v->index) {
		/* v roots a component: pop it; more than one member is a cycle. */
		size_t first = sp;
		do
		    first--;
		while (stack[first] != (size_t) (v - g->v));
		int cyclic = sp - first > 1 || v->cyclic;
		for (size_t k = first; k < sp; k++) {
		    struct mnode *m = &g->v[stack[k]];
		    m->on_stack = 0;
		    m->cyclic = cyclic;
		    m->scc = v->index;
		}
		/* Every component this one reaches is finished: heights are known. */
		for (size_t k = first; k < sp; k++) {
		    struct mnode *m = &g->v[stack[k]];
		    m->loops = cyclic;
		    m->height = m->value != NULL && (m->literal || m->conditional);
		    for (size_t r = 0; r < m->nrefs && !m->loops; r++) {
			const struct mnode *c = &g->v[m->refs[r]];
			long h = 1 + (c->value != NULL && *c->value != 0 ? c->height : 0);
			if (c->loops)
			    m->loops = 1;
			else if (h > m->height || (r == 0 && h >= m->height)) {
			    m->height = h;
			    m->deepest = r;
			}
		    }
		}
		sp = first;
	    }
	    if (depth == 0)
		break;
	    struct mnode *parent = &g->v[call[--depth]];
	    if (v->low < parent->low)
		parent->low = v->low;
	}
    }
    free(stack);
    free(call);
    free(next);
}

static void mgraph_free(struct mgraph *g)
{
    for (size_t i = 0; i < g->n; i++) {
	free(g->v[i].name);
	free(g->v[i].refs);
	free(g->v[i].ref_at);
    }
    free(g->v);
    strmap_free(&g->ix, NULL);
}

static const char *mgraph_lookup(const char *name, int mode, void *ctx)
{
    const struct mgraph *g = ctx;

    (void) mode;
    return check_raw_value(g->cx, g->svc, name);
}

/*
 * nesting_warning - Postfix's own words when expanding node at: run the
 * real expansion when every value on the way has one reference and no
 * condition, so it costs at most 101 levels; otherwise (many branches can
 * cost exponential time) NULL.
 */
static char *nesting_warning(struct mgraph *g, size_t at)
{
    struct strbuf warning = STRBUF_INIT, out = STRBUF_INIT;

    for (size_t i = at, steps = 0; g->v[i].nrefs > 0 && steps <= g->n; steps++) {
	if (g->v[i].nrefs > 1 || g->v[i].conditional)
	    return NULL;
	i = g->v[i].refs[0];
    }
    check_capture_begin(g->cx, NULL, NULL);
    diag_set_warning_hook(keep_warning, &warning);
    (void) expand(&out, g->v[at].value, EXPAND_RECURSE, mgraph_lookup, g);
    check_capture_end(g->cx);
    sb_free(&out);
    if (warning.len == 0 || strncmp(warning.s, "unreasonable macro call nesting", 31) != 0) {
	sb_free(&warning);
	return NULL;
    }
    return sb_detach(&warning);
}

/* path_add - one step of a path for messages, long paths shortened in the middle */
static void path_add(struct strbuf *out, size_t step, size_t total, const char *name)
{
    if (total > 6 && step >= 3 && step + 2 < total) {
	if (step == 3)
	    sb_adds(out, " -> ...");
	return;
    }
    sb_printf(out, "%s$%s", step ? " -> " : "", name);
}

/* cycle_path - "$a -> $b -> $a" from node at around its cycle (shortest); *next: at's reference taken */
static void cycle_path(struct mgraph *g, size_t at, struct strbuf *out, size_t *next)
{
    size_t *parent = xcalloc(g->n, sizeof(*parent)), *queue = xcalloc(g->n + 1, sizeof(*queue));
    size_t head = 0, tail = 0, end = at, *path, len = 0;
    int found = 0;

    for (size_t i = 0; i < g->n; i++)
	parent[i] = (size_t) -1;
    queue[tail++] = at;
    while (head < tail && !found) {
	size_t u = queue[head++];
	for (size_t r = 0; r < g->v[u].nrefs && !found; r++) {
	    size_t w = g->v[u].refs[r];
	    if (w == at) {
		end = u;
		found = 1;
	    } else if (g->v[w].scc == g->v[at].scc && parent[w] == (size_t) -1) {
		parent[w] = u;
		queue[tail++] = w;
	    }
	}
    }
    /* The path at -> ... -> end, then back to at. */
    path = xcalloc(g->n + 2, sizeof(*path));
    for (size_t u = end; u != at; u = parent[u])
	path[len++] = u;
    path[len++] = at;
    for (size_t i = 0; i < len / 2; i++) {
	size_t t = path[i];
	path[i] = path[len - 1 - i];
	path[len - 1 - i] = t;
    }
    path[len++] = at;
    for (size_t i = 0; i < len; i++)
	path_add(out, i, len, g->v[path[i]].name);
    size_t second = len > 2 ? path[1] : at;
    for (size_t r = 0; r < g->v[at].nrefs; r++)
	if (g->v[at].refs[r] == second) {
	    *next = r;
	    break;
	}
    free(path);
    free(parent);
    free(queue);
}

/* chain_path - "$a -> $b -> ... -> $z" along the deepest references from node at */
static void chain_path(const struct mgraph *g, size_t at, struct strbuf *out)
{
    size_t total = 1;

    for (size_t i = at; g->v[i].nrefs > 0; i = g->v[i].refs[g->v[i].deepest])
	total++;
    size_t step = 0;
    for (size_t i = at;; i = g->v[i].refs[g->v[i].deepest]) {
	path_add(out, step++, total, g->v[i].name);
	if (g->v[i].nrefs == 0)
	    break;
    }
}

/* Where a root of the graph is written: a main.cf setting or a -o override. */
struct nest_place {
    const char *path;
    const struct cf_logical_line *where;
    size_t value_off;
    const char *label;		/* "name" or "-o name" */
};

static void report_cycle(struct mgraph *g, size_t at, const struct nest_place *pl)
{
    struct strbuf path = STRBUF_INIT;
    size_t next = 0;

    cycle_path(g, at, &path, &next);
    char *postfix = nesting_warning(g, at);
    const struct mnode *n = &g->v[at];
    struct finding *f = check_report(g->cx, "expansion-nesting", pl->path, pl->where,
				     pl->value_off + (n->nrefs ? n->ref_at[next] : 0),
				     "%s: its value leads back to itself (%s): Postfix expands it"
				     " without end and stops with \"unreasonable macro call"
				     " nesting\" and \"macro processing error\"", pl->label,
				     sb_str(&path));
    finding_fix(f, "break the loop: give one of these parameters a value that does not"
		" refer to the others");
    if (postfix != NULL)
	finding_postfix(f, "%s", postfix);
    free(postfix);
    sb_free(&path);
}

static void report_chain(struct mgraph *g, size_t at, const struct nest_place *pl)
{
    struct strbuf path = STRBUF_INIT;
    const struct mnode *n = &g->v[at];

    chain_path(g, at, &path);
    char *postfix = nesting_warning(g, at);
    struct finding *f = check_report(g->cx, "expansion-nesting", pl->path, pl->where,
				     pl->value_off + (n->nrefs ? n->ref_at[n->deepest] : 0),
				     "%s: expanding it nests %ld levels deep (%s), and Postfix"
				     " gives up beyond %d: it stops with \"unreasonable macro call"
				     " nesting\" and \"macro processing error\"", pl->label,
				     n->height, sb_str(&path), NESTING_MAX_HEIGHT);
    finding_fix(f, "shorten the chain to at most %d $name references in a row, or write"
		" the value itself", NESTING_MAX_HEIGHT - 1);
    if (postfix != NULL)
	finding_postfix(f, "%s", postfix);
    free(postfix);
    sb_free(&path);
}

static int nest_fails(const struct mnode *n)
{
    return n->loops || n->height > NESTING_MAX_HEIGHT;
}

/*
 * check_nesting - $name references that loop (myhostname = $mydomain,
 * mydomain = $myhostname) or nest too deep ($p0 -> $p1 -> ... 2000
 * deep): every daemon stops at start. Each loop is reported once, at its
 * first main.cf setting; a chain at the setting that starts it (no failing
 * setting names that one). A -o override is reported when it makes the
 * loop or the chain itself.
 */
static void check_nesting(struct check *cx)
{
    struct mgraph main_g = { cx, NULL, NULL, 0, 0, {0} };
    struct strmap done;		/* "scc" ids reported */

    strmap_init(&main_g.ix);
    strmap_init(&done);
    size_t *node_of = xcalloc(cx->m->nsettings + 1, sizeof(*node_of));
    for (size_t i = 0; i < cx->m->nsettings; i++) {
	const struct model_setting *s = &cx->m->settings[i];
	node_of[i] = (size_t) -1;
	if (s->effective && !(s->def != NULL && (s->def->flags & PFLAG_RAW))
	    && strchr(s->value, '$') != NULL)
	    node_of[i] = mnode_get(&main_g, s->name);
    }
    mgraph_solve(&main_g);
    /* A failing setting that another failing setting names is not where a chain starts. */
    char *named = xcalloc(main_g.n + 1, 1);
    for (size_t i = 0; i < cx->m->nsettings; i++) {
	if (node_of[i] == (size_t) -1 || !nest_fails(&main_g.v[node_of[i]]))
	    continue;
	const struct mnode *n = &main_g.v[node_of[i]];
	for (size_t r = 0; r < n->nrefs; r++)
	    named[n->refs[r]] = 1;
    }
    for (size_t i = 0; i < cx->m->nsettings; i++) {
	if (node_of[i] == (size_t) -1)
	    continue;
	const struct model_setting *s = &cx->m->settings[i];
	const struct mnode *n = &main_g.v[node_of[i]];
	struct nest_place pl = { cx->m->main_path, s->where, s->value_off, s->name };
	char key[32];
	snprintf(key, sizeof(key), "%ld", n->scc);
	if (n->cyclic && !strmap_has(&done, key)) {
	    strmap_put(&done, key, NULL);
	    report_cycle(&main_g, node_of[i], &pl);
	} else if (!n->loops && n->height > NESTING_MAX_HEIGHT && !named[node_of[i]]) {
	    report_chain(&main_g, node_of[i], &pl);
	}
    }
    free(named);

    for (size_t i = 0; i < cx->m->nservices && cx->m->master_path != NULL; i++) {
	const struct model_service *svc = &cx->m->services[i];
	struct mgraph g = { cx, svc, NULL, 0, 0, {0} };
	strmap_init(&g.ix);
	for (size_t j = 0; j < svc->noverrides; j++) {
	    const struct model_override *o = &svc->overrides[j];
	    const struct param_def *def = registry_find(o->name);
	    if (strchr(o->value, '$') != NULL && !(def != NULL && (def->flags & PFLAG_RAW)))
		(void) mnode_get(&g, o->name);
	}
	mgraph_solve(&g);
	strmap_free(&done, NULL);
	strmap_init(&done);
	for (size_t j = 0; j < svc->noverrides; j++) {
	    const struct model_override *o = &svc->overrides[j];
	    size_t at = (size_t) (uintptr_t) strmap_get(&g.ix, o->name);
	    if (at == 0 || !nest_fails(&g.v[at - 1]))
		continue;
	    const struct mnode *n = &g.v[at - 1];
	    /* Failing in main.cf already, through what this value names: said there. */
	    int inherited = 0;
	    for (size_t r = 0; r < n->nrefs && !inherited; r++) {
		size_t m = (size_t) (uintptr_t) strmap_get(&main_g.ix, g.v[n->refs[r]].name);
		inherited = m != 0 && check_raw_value(cx, svc, g.v[n->refs[r]].name)
		    == check_raw_value(cx, NULL, g.v[n->refs[r]].name) && nest_fails(&main_g.v[m - 1]);
	    }
	    char key[32];
	    snprintf(key, sizeof(key), "%ld", n->scc);
	    if (inherited || (n->loops && !n->cyclic) || (n->cyclic && strmap_has(&done, key)))
		continue;
	    strmap_put(&done, key, NULL);
	    char *label = xconcat("-o ", o->name, (char *) NULL);
	    struct nest_place pl = { cx->m->master_path, svc->entry->where, o->value_off, label };
	    if (n->cyclic)
		report_cycle(&g, at - 1, &pl);
	    else
		report_chain(&g, at - 1, &pl);
	    free(label);
	}
	mgraph_free(&g);
    }
    free(node_of);
    strmap_free(&done, NULL);
    mgraph_free(&main_g);
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
    const char *end = text + len, *line = text, *brace;
    int lineno = 1;		/* the number of the line that starts at line */

    /*
     * Most tables have no brace at all: one memchr over the whole text
     * decides, and lines are counted only up to a brace found (a table
     * of 100,000 lines cost 200,000 short memchr calls line by line).
     */
    while (line < end && (brace = memchr(line, '{', (size_t) (end - line))) != NULL) {
	for (const char *nl; (nl = memchr(line, '\n', (size_t) (brace - line))) != NULL;) {
	    line = nl + 1;
	    lineno++;
	}
	const char *eol = memchr(brace, '\n', (size_t) (end - brace));
	size_t n = eol ? (size_t) (eol - line) : (size_t) (end - line);
	char *copy = xstrndup(line, n);
	template_line(cx, path, lineno, copy, pattern);
	free(copy);
	line += n + 1;
	lineno++;
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
	if (model_raw(cx->m, NULL, name) == NULL)
	    found++;
	free(name);
    }
    return found;
}

static void check_templates(struct check *cx)
{
    check_template_file(cx, cx->m->main_path);
    check_template_file(cx, cx->m->master_path);
}

/* ------------------------------------------------------------ placeholders */

static int is_word_char(int ch)
{
    return isalnum((unsigned char) ch) || ch == '_';
}

/*
 * placeholder_find - a template placeholder of another style than {{ x }}
 * in value: "%{name}" (Puppet, Ruby, Python), a word "%name" or "%name%"
 * (batch files, ad-hoc sed), "_NAME_" or "__NAME__" and "@NAME@" (ad-hoc
 * sed, autoconf). Postfix has none of these forms. Returns 1 with the
 * offset and length of the first one.
 */
static int placeholder_find(const char *value, size_t *at, size_t *len)
{
    for (size_t i = 0; value[i] != 0; i++) {
	const char *p = value + i;
	int edge = i == 0 || !is_word_char(value[i - 1]);
	size_t n = 0;

	if (p[0] == '%' && p[1] == '{') {
	    const char *close = strchr(p + 2, '}');
	    if (close != NULL && close > p + 2)
		n = (size_t) (close + 1 - p);
	} else if (p[0] == '%' && edge && (isalpha((unsigned char) p[1]) || p[1] == '_')) {
	    n = 1;
	    while (is_word_char(p[n]))
		n++;
	    if (p[n] == '%')
		n++;
	    if (is_word_char(p[n]))
		n = 0;
	} else if ((p[0] == '_' || p[0] == '@') && edge) {
	    char mark = p[0];
	    size_t lead = strspn(p, mark == '_' ? "_" : "@"), end = lead, letters = 0;
	    if (mark == '@' && lead != 1)
		continue;
	    while (isupper((unsigned char) p[end]) || isdigit((unsigned char) p[end])
		   || (mark == '_' && p[end] == '_' && p[end + 1] != 0
		       && (isupper((unsigned char) p[end + 1]) || isdigit((unsigned char) p[end + 1]))))
		letters += isupper((unsigned char) p[end++]) != 0;
	    size_t trail = mark == '_' ? strspn(p + end, "_") : p[end] == '@';
	    if (letters >= 2 && trail > 0 && !is_word_char(p[end + trail])
		&& !(mark == '_' && trail != lead))
		n = end + trail;
	}
	if (n > 0) {
	    *at = i;
	    *len = n;
	    return 1;
	}
    }
    return 0;
}

/* has_placeholder - does value hold such a placeholder? */
static int has_placeholder(const char *value)
{
    size_t at, len;

    return placeholder_find(value, &at, &len);
}

static void report_placeholder(struct check *cx, const char *path,
			       const struct cf_logical_line *where, size_t value_off,
			       const char *label, const char *value)
{
    size_t at, len;

    if (!placeholder_find(value, &at, &len))
	return;
    struct finding *f = check_report(cx, "template-placeholder", path, where, value_off + at,
				     "%s: unrendered template placeholder: %.*s", label, (int) len,
				     value + at);
    finding_fix(f, "render the template before deploying, or replace the placeholder with"
		" the real value");
}

/* check_placeholders - the values of main.cf and of -o overrides */
static void check_placeholders(struct check *cx)
{
    for (size_t i = 0; i < cx->m->nsettings; i++) {
	const struct model_setting *s = &cx->m->settings[i];
	if (s->effective)
	    report_placeholder(cx, cx->m->main_path, s->where, s->value_off, s->name, s->value);
    }
    for (size_t i = 0; i < cx->m->nservices && cx->m->master_path != NULL; i++) {
	const struct model_service *svc = &cx->m->services[i];
	for (size_t j = 0; j < svc->noverrides; j++) {
	    const struct model_override *o = &svc->overrides[j];
	    char *label = xconcat("-o ", o->name, (char *) NULL);
	    report_placeholder(cx, cx->m->master_path, svc->entry->where, o->value_off, label,
			       o->value);
	    free(label);
	}
    }
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
    for (size_t i = 0; i < cx->m->nsettings; i++) {
	const struct model_setting *s = &cx->m->settings[i];
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
	    struct finding *f = check_report(cx, "glued-line", cx->m->main_path, s->where,
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
    for (size_t i = 0; i < cx->m->nsettings; i++) {
	const struct model_setting *s = &cx->m->settings[i];
	if (!s->effective || !is_typed(s->def) || (s->def->flags & PFLAG_READONLY)
	    || glued[i] || template_vars(cx, s->value) > 0 || has_placeholder(s->value))
	    continue;
	char *err = expansion_error(s->value);
	if (err != NULL) {
	    free(err);
	    continue;		/* expansion-syntax says it */
	}
	char *value = strchr(s->value, '$') ? check_value(cx, s->name) : xstrdup(s->value);
	struct typed_place at = { cx->m->main_path, s->where, s->value_off, s->name };
	if (value != NULL)
	    check_typed(cx, s->def, value, &at);
	free(value);
    }
    for (size_t i = 0; i < cx->m->nservices && cx->m->master_path != NULL; i++) {
	const struct model_service *svc = &cx->m->services[i];
	for (size_t j = 0; j < svc->noverrides; j++) {
	    const struct model_override *o = &svc->overrides[j];
	    const struct param_def *def = registry_find(o->name);
	    if (!is_typed(def) || (def->flags & PFLAG_READONLY)
		|| template_vars(cx, o->value) > 0 || has_placeholder(o->value))
		continue;
	    char *err = expansion_error(o->value);
	    if (err != NULL) {
		free(err);
		continue;
	    }
	    char *value = strchr(o->value, '$') ? check_service_value(cx, svc, o->name)
		: xstrdup(o->value);
	    char *label = xconcat("-o ", o->name, (char *) NULL);
	    struct typed_place at = { cx->m->master_path, svc->entry->where, o->value_off, label };
	    if (value != NULL)
		check_typed(cx, def, value, &at);
	    free(label);
	    free(value);
	}
    }
}

/* ------------------------------------------------------------ host names */

#define VALID_LABEL_LEN 63
#define VALID_HOSTNAME_LEN 255

/*
 * hostname_problem - Postfix's valid_hostname() (util/valid_hostname.c,
 * without wildcards): NULL for a valid name, else its warning into why.
 */
static const char *hostname_problem(const char *name, char *why, size_t size)
{
    int label_length = 0, non_numeric = 0;
    const char *cp;

    if (*name == 0) {
	snprintf(why, size, "valid_hostname: empty hostname");
	return why;
    }
    for (cp = name; *cp != 0; cp++) {
	unsigned char ch = (unsigned char) *cp;
	if (isalnum(ch) || ch == '_') {
	    if (++label_length > VALID_LABEL_LEN) {
		snprintf(why, size, "valid_hostname: hostname label too long: %.100s", name);
		return why;
	    }
	    if (!isdigit(ch))
		non_numeric = 1;
	} else if (ch == '.') {
	    if (label_length == 0 || cp[1] == 0) {
		snprintf(why, size, "valid_hostname: misplaced delimiter: %.100s", name);
		return why;
	    }
	    label_length = 0;
	} else if (ch == '-') {
	    non_numeric = 1;
	    if (++label_length == 1 || cp[1] == 0 || cp[1] == '.') {
		snprintf(why, size, "valid_hostname: misplaced hyphen: %.100s", name);
		return why;
	    }
	} else {
	    snprintf(why, size, "valid_hostname: invalid character %d(decimal): %.100s", ch,
		     name);
	    return why;
	}
    }
    if (!non_numeric) {
	snprintf(why, size, "valid_hostname: numeric hostname: %.100s", name);
	return why;
    }
    if (cp - name > VALID_HOSTNAME_LEN) {
	snprintf(why, size, "valid_hostname: bad length %d for %.100s...", (int) (cp - name),
		 name);
	return why;
    }
    return NULL;
}

/*
 * value_unsure - a raw value whose expansion another rule reports: it
 * does not expand. (A template placeholder or an undefined $NAME is what
 * Postfix gets, and judged as such: "%hostname" or an empty value stops
 * the daemons as surely.)
 */
static int value_unsure(struct check *cx, const char *raw)
{
    char *err = expansion_error(raw);

    (void) cx;
    free(err);
    return err != NULL;
}

/*
 * check_one_hostname - name (myhostname or mydomain) = value, as a daemon
 * of the service (NULL: main.cf) sees it: every daemon stops at start
 * when it is no valid host name.
 */
static void check_one_hostname(struct check *cx, const char *name, const char *raw,
			       const char *value, const char *path,
			       const struct cf_logical_line *where, size_t offset,
			       const char *label)
{
    struct strbuf shown = STRBUF_INIT;
    char why[400];

    /* A '$' left: the value did not expand (expansion-syntax, expansion-nesting). */
    if (value == NULL || strchr(value, '$') != NULL
	|| hostname_problem(value, why, sizeof(why)) == NULL)
	return;
    sb_adds(&shown, raw);
    if (strcmp(raw, value) != 0)
	sb_printf(&shown, " (\"%s\" once expanded)", value);
    struct finding *f = check_report(cx, "bad-hostname", path, where, offset,
				     "%s = %s is no valid host name (%s): every Postfix daemon"
				     " stops at start", label, sb_str(&shown),
				     why + strlen("valid_hostname: "));
    sb_free(&shown);
    /* An empty value fails mail_conf_str()'s length check before valid_hostname(). */
    if (*value == 0)
	finding_postfix(f, "bad string length 0 < 1: %s = ", name);
    else
	finding_postfix(f, "file %s/main.cf: parameter %s: bad parameter value: %s",
			cx->m->config_dir, name, value);
    finding_fix(f, "use a fully qualified domain name: letters, digits, '-' and '.'");
}

/*
 * check_hostnames - myhostname and mydomain where main.cf or an -o sets
 * them. Their defaults come from the name of the host Postfix runs on,
 * which is not the one pfc runs on (and a bad mydomain that makes
 * myhostname's default is reported at mydomain).
 */
static void check_hostnames(struct check *cx)
{
    static const char *const names[] = { "myhostname", "mydomain" };

    for (size_t i = 0; i < 2; i++) {
	const struct model_setting *s = check_setting_find(cx, names[i]);
	if (s == NULL || value_unsure(cx, s->value))
	    continue;
	char *value = check_value(cx, names[i]);
	check_one_hostname(cx, names[i], s->value, value, cx->m->main_path, s->where,
			   s->value_off, names[i]);
	free(value);
    }
    for (size_t i = 0; i < cx->m->nservices && cx->m->master_path != NULL; i++) {
	const struct model_service *svc = &cx->m->services[i];
	for (size_t j = 0; j < svc->noverrides; j++) {
	    const struct model_override *o = &svc->overrides[j];
	    if ((strcmp(o->name, "myhostname") != 0 && strcmp(o->name, "mydomain") != 0)
		|| value_unsure(cx, o->value))
		continue;
	    char *value = check_service_value(cx, svc, o->name);
	    char *label = xconcat("-o ", o->name, (char *) NULL);
	    check_one_hostname(cx, o->name, o->value, value, cx->m->master_path,
			       svc->entry->where, o->value_off, label);
	    free(label);
	    free(value);
	}
    }
}

/* ------------------------------------------------------------ parameter files */

/*
 * origin_file_problem - Debian's Postfix reads myorigin from a file when
 * the value starts with '/' (mail_params.c, MYORIGIN_FROM_FILE): the
 * first line, trimmed, must not be empty. NULL when fine; else Postfix's
 * fatal message in postfix (*why: the reason for our message).
 */
static int origin_file_problem(const char *file, struct strbuf *postfix, struct strbuf *why)
{
    char *opened = sysroot_path(file), *outside = sysroot_outside(opened);
    struct strbuf text = STRBUF_INIT;
    struct stat st;
    int bad = 1;

    if (outside != NULL) {
	sb_printf(why, "it leads outside the --root directory (to %s), so pfc does not read it",
		  outside);
    } else if (stat(opened, &st) < 0) {
	sb_printf(why, "it cannot be read (%s)", strerror(errno));
	sb_printf(postfix, "%s: cannot open file: %s", file, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
	sb_printf(why, "it is not a regular file");
    } else if (sb_read_file(&text, opened) < 0) {
	sb_printf(why, "it cannot be read (%s)", strerror(errno));
	sb_printf(postfix, "%s: cannot open file: %s", file, strerror(errno));
    } else {
	const char *p = sb_str(&text);
	size_t n = strcspn(p, "\n");
	while (n > 0 && isspace((unsigned char) p[n - 1]))
	    n--;
	size_t lead = strspn(p, " \t\r\f\v");
	bad = lead >= n;
	if (bad) {
	    sb_printf(why, "its first line is empty");
	    sb_printf(postfix, "myorigin file %s is empty", file);
	}
    }
    free(outside);
    free(opened);
    sb_free(&text);
    return bad;
}

static void check_one_origin(struct check *cx, const char *value, const char *path,
			     const struct cf_logical_line *where, size_t offset,
			     const char *label)
{
    struct strbuf postfix = STRBUF_INIT, why = STRBUF_INIT;

    if (value != NULL && value[0] == '/' && strchr(value, '$') == NULL
	&& origin_file_problem(value, &postfix, &why)) {
	struct finding *f = check_report(cx, "parameter-file", path, where, offset,
					 "%s = %s: Postfix reads myorigin from that file, but %s:"
					 " every Postfix daemon stops at start", label, value,
					 sb_str(&why));
	if (postfix.len > 0)
	    finding_postfix(f, "%s", sb_str(&postfix));
	finding_fix(f, "create %s with this system's mail domain on its first line, or set"
		    " myorigin to the domain itself", value);
    }
    sb_free(&postfix);
    sb_free(&why);
}

/* check_origin - myorigin = /etc/mailname: in main.cf and in -o overrides */
static void check_origin(struct check *cx)
{
    const struct model_setting *s = check_setting_find(cx, "myorigin");

    if (s != NULL && !value_unsure(cx, s->value)) {
	char *value = check_value(cx, "myorigin");
	check_one_origin(cx, value, cx->m->main_path, s->where, s->value_off, "myorigin");
	free(value);
    }
    for (size_t i = 0; i < cx->m->nservices && cx->m->master_path != NULL; i++) {
	const struct model_service *svc = &cx->m->services[i];
	for (size_t j = 0; j < svc->noverrides; j++) {
	    const struct model_override *o = &svc->overrides[j];
	    if (strcmp(o->name, "myorigin") != 0 || value_unsure(cx, o->value))
		continue;
	    char *value = check_service_value(cx, svc, o->name);
	    check_one_origin(cx, value, cx->m->master_path, svc->entry->where, o->value_off,
			     "-o myorigin");
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
	const struct model_setting *sa = check_setting_find(cx, a);
	const struct model_setting *sb = check_setting_find(cx, b);
	/*
	 * Only lists main.cf sets, and mydestination with its default: the
	 * other defaults name tables, or $mydestination itself (relay_domains
	 * below compatibility level 2), which trivial-rewrite resolves locally.
	 */
	if ((sa == NULL && strcmp(a, "mydestination") != 0) || sb == NULL)
	    continue;
	const struct model_setting *at = sb ? sb : sa;
	struct strmap da, db;
	class_domains(cx, a, &da);
	class_domains(cx, b, &db);
	const char **keys = strmap_sorted_keys(&da);
	for (const char **k = keys; *k != NULL; k++) {
	    if (!strmap_has(&db, *k))
		continue;
	    struct finding *f = check_report(cx, "address-class-overlap", cx->m->main_path,
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

/*
 * check_config_files - main.cf and master.cf themselves, under --root: a
 * link out of the tree is root-escape. (They are read before the rules
 * run; a finding at least makes the run fail and pfc build refuse.)
 */
static void check_config_files(struct check *cx)
{
    const char *paths[] = { cx->m->main_path, cx->m->master_path };

    for (size_t i = 0; i < 2; i++) {
	char *target = paths[i] ? sysroot_outside(paths[i]) : NULL;
	if (target == NULL)
	    continue;
	struct finding *f = check_report_at(cx, "root-escape", paths[i], 0, 0,
					    "%s leads outside the --root directory (to %s)",
					    i == 0 ? "main.cf" : "master.cf", target);
	finding_fix(f, "keep the configuration's files inside the tree: make the link"
		    " relative and pointing inside it, or copy the file in");
	free(target);
    }
}

void check_parameters(struct check *cx)
{
    check_config_files(cx);
    check_names(cx);
    check_expansion(cx);
    check_nesting(cx);
    check_templates(cx);
    char *glued = xcalloc(cx->m->nsettings + 1, 1);	/* glued-line said it */
    check_glued(cx, glued);
    check_types(cx, glued);
    free(glued);
    check_placeholders(cx);
    check_hostnames(cx);
    check_origin(cx);
    check_address_classes(cx);
}
