/*
 * emit_settings - the image's parameters (PARM: the registry and main.cf,
 * sorted by name), what each service sees otherwise (OVRD: its -o
 * overrides, and its derived values: the parameters whose value names an
 * overridden one, expanded as that service's daemon expands them), and
 * the table specs their values name, in order (TREF), through the
 * resolver (emit_params.c). A value that depends on the host keeps its
 * raw text and its pieces (HOST); one the image cannot hold is reported,
 * in the linter's "file:line:col: error:" shape, and the build refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "expand.h"
#include "main_cf.h"
#include "registry.h"
#include "sysroot.h"
#include "textutil.h"
#include "xalloc.h"

int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* ------------------------------------------------------------ table specs */

static void table_words(struct build *b, enum check_list_kind kind, const char *value,
			int depth);

void note_spec(struct build *b, const char *spec, int depth)
{
    if (strmap_has(&b->specs, spec))
	return;
    strmap_put(&b->specs, spec, NULL);
    if (depth >= IMG_MAX_NESTING)
	return;
    if (spec[0] == '/') {
	/* A match list's /file: its elements are the list's, its tables too. */
	char *opened = sysroot_path(spec);
	const struct model_source *src = model_source(b->m, opened);
	free(opened);
	for (const char *line = src ? src->text : ""; *line != 0;) {
	    size_t len = strcspn(line, "\n");
	    if (*line != '#') {
		char *copy = xstrndup(line, len);
		table_words(b, CHECK_LIST_MATCH, copy, depth + 1);
		free(copy);
	    }
	    line += len + (line[len] == '\n');
	}
	return;
    }

    const char *colon = strchr(spec, ':');
    if (colon == NULL)
	return;
    size_t tlen = (size_t) (colon - spec);
    const char *name = colon + 1;
    if ((tlen == 8 && strncmp(spec, "unionmap", 8) == 0)
	|| (tlen == 7 && strncmp(spec, "pipemap", 7) == 0)) {
	char **members = composite_split(name);
	for (size_t i = 0; members != NULL && members[i] != NULL; i++)
	    note_spec(b, members[i], depth + 1);
	strv_free(members);
    } else if (tlen == 5 && strncmp(spec, "proxy", 5) == 0 && strchr(name, ':') != NULL) {
	/* proxymap serves the inner table: compile that one too. */
	note_spec(b, name, depth + 1);
    }
}

/* add_pending - a table a setting names, in TREF order */
static void add_pending(struct build *b, const char *spec)
{
    GROW(b->pending, b->npending, b->pending_cap);
    b->pending[b->npending++] = xstrdup(spec);
    note_spec(b, spec, 0);
}

/*
 * table_words - the tables of a list-of-tables value, as the linter
 * walks it (check_tables.c): every element of a maps list, or the
 * type:name and /file/name elements of a host/network/domain list (a
 * file's lines are elements of the list: match_list_parse()). depth 0:
 * a setting's value, whose tables go to TREF; else a line of a /file at
 * that depth, whose tables are only compiled.
 */
static void table_words(struct build *b, enum check_list_kind kind, const char *value,
			int depth)
{
    char *copy = xstrdup(value), *bp = copy;

    for (char *tok; (tok = str_tokq(&bp, CHARS_COMMA_SP)) != NULL;) {
	if (kind == CHECK_LIST_MATCH) {
	    if (*tok == '#')
		break;
	    while (*tok == '!')
		tok++;
	    if (*tok == '[' || (*tok != '/' && strchr(tok, ':') == NULL))
		continue;
	} else if (strchr(tok, ':') == NULL) {
	    continue;
	}
	if (depth == 0)
	    add_pending(b, tok);
	else
	    note_spec(b, tok, depth);
    }
    free(copy);
}

/* ------------------------------------------------------------ settings */

/* Where a setting is written, for a refusal: a file, its line, an offset in it. */
struct place {
    const char *path;		/* NULL: a default, written nowhere */
    const struct cf_logical_line *where;
    size_t offset;
};

/*
 * refuse_value - "PATH:LINE:COL: error: NAME: PROBLEM", and the build
 * refused. A default has no place: its refusal (one whose cause is
 * almost always a setting it uses, reported too) is kept, for the driver
 * to report when no setting's was.
 */
static void refuse_value(struct build *b, const struct place *at, const char *name,
			 const char *problem)
{
    int line = 0, column = 0;

    if (at->path == NULL) {
	if (b->unplaced == NULL)
	    b->unplaced = xconcat("pfc: build: ", name, ": ", problem, (char *) NULL);
	return;
    }
    const char *path = at->path;
    while (path[0] == '.' && path[1] == '/')
	path += 2;
    cf_position(at->where, at->offset, &line, &column);
    fprintf(stderr, "%s:%d:%d: error: %s: %s\n", path, line, column, name, problem);
    b->refused++;
}

/*
 * expand_setting - raw value and origin set: the value expanded in svc's
 * view (NULL: main.cf's), with its host pieces
 */
static void expand_setting(struct build *b, struct setting_rec *rec,
			   const struct model_service *svc, const struct place *at)
{
    const struct param_def *def = registry_find(rec->name);

    if (def != NULL && (def->flags & PFLAG_RAW)) {
	rec->expanded = xstrdup(rec->raw);
	return;
    }
    struct split_value sv;
    char *self = rec->host_default ? xconcat("$", rec->name, (char *) NULL) : NULL;

    params_split(b, svc, self ? self : rec->raw, &sv);
    free(self);
    if (sv.problem != NULL) {
	refuse_value(b, at, rec->name, sv.problem);
	rec->refused = 1;
    }
    rec->expanded = sv.text;
    if (sv.pieces != NULL) {
	rec->flags |= IMG_SETTING_HOST;
	rec->host = sv.pieces;
	rec->nhost = sv.npieces;
	sv.pieces = NULL;
	sv.npieces = 0;
    }
    sv.text = NULL;
    split_value_free(&sv);
}

/* name_tables - the tables an expanded value names (TREF), then its final value */
static void name_tables(struct build *b, struct setting_rec *rec)
{
    rec->refs_first = b->npending;
    enum check_list_kind kind = check_table_list(registry_find(rec->name));
    if (kind != CHECK_LIST_NONE)
	table_words(b, kind, rec->expanded, 0);
    rec->refs_count = b->npending - rec->refs_first;
    if (rec->flags & IMG_SETTING_HOST) {
	/* The runtime joins the pieces on its host; the tables are those named here. */
	free(rec->expanded);
	rec->expanded = xstrdup(rec->raw);
    }
}

/* fill_setting - raw value and origin set: expanded in the view, its tables named */
static void fill_setting(struct build *b, struct setting_rec *rec,
			 const struct model_service *svc, const struct place *at)
{
    expand_setting(b, rec, svc, at);
    name_tables(b, rec);
}

void collect_params(struct build *b)
{
    const struct model *m = b->m;
    const char **set = strmap_sorted_keys(&m->setting_index);
    size_t nset = 0;

    while (set[nset] != NULL)
	nset++;
    const char **names = xcalloc(param_table_size + nset + 1, sizeof(*names));
    size_t n = 0;
    for (size_t i = 0; i < param_table_size; i++)
	if ((param_table[i].flags & PFLAG_LEGACY) == 0
	    || strmap_has(&m->setting_index, param_table[i].name))
	    names[n++] = param_table[i].name;
    for (size_t i = 0; i < nset; i++)
	if (registry_find(set[i]) == NULL)
	    names[n++] = set[i];
    if (n > 1)
	qsort(names, n, sizeof(*names), compare_strings);

    for (size_t i = 0; i < n; i++) {
	const char *name = names[i];
	const struct model_setting *s = model_setting_find(m, name);
	struct place at = { NULL, NULL, 0 };
	GROW(b->params, b->nparams, b->params_cap);
	struct setting_rec *rec = &b->params[b->nparams++];

	memset(rec, 0, sizeof(*rec));
	rec->name = name;
	if (s != NULL) {
	    rec->raw = xstrdup(s->value);
	    rec->origin = IMG_ORIGIN_MAIN;
	    rec->line = (uint32_t) s->where->first_line;
	    at = (struct place) { m->main_path, s->where, s->value_off };
	} else {
	    const char *raw = params_default(b, name, &rec->host_default);
	    rec->raw = xstrdup(raw ? raw : "");
	    rec->origin = IMG_ORIGIN_DEFAULT;
	}
	fill_setting(b, rec, NULL, &at);
    }
    free(names);
    free(set);
}

/* ------------------------------------------------------------ derived values */

/*
 * A daemon puts its -o overrides into its dictionary before it reads
 * its parameters, so every value that names an overridden one, through
 * $name at any depth, a default as well as a main.cf value, is expanded
 * with the override: -o compatibility_level=3.6 changes
 * smtpd_relay_before_recipient_restrictions' default, -o mydomain=...
 * changes mydestination's. Each such value that comes out differently
 * than in PARM is a derived value of the service (IMG_SETTING_DERIVED).
 */

/* The PARM records whose value names one name, directly. */
struct name_users {
    size_t *v;
    size_t n;
};

static void free_users(void *ptr)
{
    struct name_users *u = ptr;

    free(u->v);
    free(u);
}

static void add_user(struct strmap *users, const char *name, size_t param)
{
    struct name_users *u = strmap_get(users, name);

    if (u == NULL) {
	u = xcalloc(1, sizeof(*u));
	strmap_put(users, name, u);
    }
    if (u->n > 0 && u->v[u->n - 1] == param)
	return;
    u->v = xrealloc(u->v, (u->n + 1) * sizeof(*u->v));
    u->v[u->n++] = param;
}

struct scan_names {
    struct strmap *users;
    size_t param;
};

static const char *scan_name(const char *name, int mode, void *ctx)
{
    struct scan_names *sn = ctx;

    (void) mode;
    add_user(sn->users, name, sn->param);
    return NULL;
}

/*
 * index_users - who names whom in PARM: every $name of a value (both
 * branches of a condition), and what the host values are computed from
 * (myhostname's domain is mydomain's, mydomain comes from myhostname,
 * mynetworks from the interfaces, style and protocols)
 */
static void index_users(struct build *b)
{
    static const char *const implied[][2] = {
	{ "myhostname", "mydomain" }, { "mydomain", "myhostname" },
	{ "mynetworks", "inet_interfaces" }, { "mynetworks", "mynetworks_style" },
	{ "mynetworks", "inet_protocols" },
    };

    strmap_init(&b->users);
    check_capture_begin(b->cx, NULL, NULL);
    for (size_t i = 0; i < b->nparams; i++) {
	const struct setting_rec *rec = &b->params[i];
	const struct param_def *def = registry_find(rec->name);
	struct scan_names sn = { &b->users, i };
	if (def != NULL && (def->flags & PFLAG_RAW))
	    continue;
	if (strchr(rec->raw, '$') != NULL)
	    (void) expand(NULL, rec->raw, EXPAND_SCAN, scan_name, &sn);
	for (size_t k = 0; k < sizeof(implied) / sizeof(implied[0]); k++)
	    if (strcmp(rec->name, implied[k][0]) == 0)
		add_user(&b->users, implied[k][1], i);
    }
    check_capture_end(b->cx);
}

/* reach - mark the PARM records that name name, and theirs in turn */
static void reach(const struct build *b, const char *name, char *marked)
{
    const struct name_users *u = strmap_get(&b->users, name);

    for (size_t k = 0; u != NULL && k < u->n; k++) {
	if (marked[u->v[k]])
	    continue;
	marked[u->v[k]] = 1;
	reach(b, b->params[u->v[k]].name, marked);
    }
}

/* same_value - do two records of one name hold the same expanded value? */
static int same_value(const struct setting_rec *a, const struct setting_rec *b)
{
    if (strcmp(a->expanded, b->expanded) != 0 || a->nhost != b->nhost
	|| (a->flags & IMG_SETTING_HOST) != (b->flags & IMG_SETTING_HOST))
	return 0;
    for (size_t i = 0; i < a->nhost; i++)
	if (a->host[i].kind != b->host[i].kind || strcmp(a->host[i].text, b->host[i].text) != 0)
	    return 0;
    return 1;
}

static void free_rec(struct setting_rec *rec)
{
    free(rec->raw);
    free(rec->expanded);
    for (size_t k = 0; k < rec->nhost; k++)
	free(rec->host[k].text);
    free(rec->host);
}

/*
 * collect_derived - svc's derived values, in PARM (name) order: each
 * parameter svc does not override whose value names one it does (or one
 * of its read-only names, service_name, process_name) and comes out
 * differently in its view
 */
static void collect_derived(struct build *b, const struct model_service *svc)
{
    const struct model *m = b->m;
    char *marked = xcalloc(b->nparams + 1, 1);
    size_t pos = 0;
    struct strmap_slot *slot;

    for (size_t j = 0; j < svc->noverrides; j++)
	reach(b, svc->overrides[j].name, marked);
    while ((slot = strmap_next(&svc->entry->ro_params, &pos)) != NULL)
	reach(b, slot->key, marked);
    for (size_t i = 0; i < b->nparams; i++) {
	const struct setting_rec *main_rec = &b->params[i];
	if (!marked[i] || model_override(svc, main_rec->name) != NULL
	    || strmap_has(&svc->entry->ro_params, main_rec->name))
	    continue;
	const struct model_setting *s = model_setting_find(m, main_rec->name);
	struct place at = { NULL, NULL, 0 };
	if (s != NULL && main_rec->origin == IMG_ORIGIN_MAIN)
	    at = (struct place) { m->main_path, s->where, s->value_off };
	struct setting_rec rec = {
	    .name = main_rec->name, .raw = xstrdup(main_rec->raw), .origin = main_rec->origin,
	    .line = main_rec->line, .flags = IMG_SETTING_DERIVED,
	    .host_default = main_rec->host_default,
	};
	/* What main.cf's value cannot hold is reported there, once. */
	if (main_rec->refused)
	    at.path = NULL;
	expand_setting(b, &rec, svc, &at);
	if (same_value(&rec, main_rec)) {
	    free_rec(&rec);
	    continue;
	}
	name_tables(b, &rec);
	GROW(b->overrides, b->noverrides, b->overrides_cap);
	b->overrides[b->noverrides++] = rec;
    }
    free(marked);
}

uint32_t override_line(const struct model_service *svc, const struct model_override *o)
{
    int line = 0, column = 0;

    cf_position(svc->entry->where, o->name_off, &line, &column);
    return (uint32_t) line;
}

void collect_overrides(struct build *b)
{
    const struct model *m = b->m;

    b->service_overrides = xcalloc(m->nservices + 1, sizeof(*b->service_overrides));
    index_users(b);
    for (size_t i = 0; i < m->nservices; i++) {
	const struct model_service *svc = &m->services[i];
	b->service_overrides[i] = b->noverrides;
	for (size_t j = 0; j < svc->noverrides; j++) {
	    const struct model_override *o = &svc->overrides[j];
	    struct place at = { m->master_path, svc->entry->where, o->value_off };
	    GROW(b->overrides, b->noverrides, b->overrides_cap);
	    struct setting_rec *rec = &b->overrides[b->noverrides++];
	    memset(rec, 0, sizeof(*rec));
	    rec->name = o->name;
	    rec->raw = xstrdup(o->value);
	    rec->origin = IMG_ORIGIN_OVERRIDE;
	    rec->line = override_line(svc, o);
	    fill_setting(b, rec, svc, &at);
	}
	collect_derived(b, svc);
    }
    b->service_overrides[m->nservices] = b->noverrides;
}

void setting_out(struct build *b, const struct setting_rec *rec, struct img_setting *out,
		 struct img_host_piece **host, size_t *nhost, size_t *host_cap)
{
    out->name = pool_intern(&b->pool, rec->name);
    out->raw = pool_intern(&b->pool, rec->raw);
    out->expanded = pool_intern(&b->pool, rec->expanded);
    out->origin = rec->origin;
    out->line = rec->line;
    out->flags = rec->flags;
    out->refs_first = rec->refs_count ? (uint32_t) rec->refs_first : 0;
    out->refs_count = (uint32_t) rec->refs_count;
    out->host_first = rec->nhost ? (uint32_t) *nhost : 0;
    out->host_count = (uint32_t) rec->nhost;
    for (size_t i = 0; i < rec->nhost; i++) {
	GROW(*host, *nhost, *host_cap);
	(*host)[(*nhost)++] = (struct img_host_piece) {
	    rec->host[i].kind, pool_intern(&b->pool, rec->host[i].text),
	};
    }
}

static void free_recs(struct setting_rec *recs, size_t n)
{
    for (size_t i = 0; i < n; i++)
	free_rec(&recs[i]);
    free(recs);
}

void free_settings(struct build *b)
{
    free(b->unplaced);
    free_recs(b->params, b->nparams);
    free_recs(b->overrides, b->noverrides);
    free(b->service_overrides);
    strmap_free(&b->users, free_users);
    for (size_t i = 0; i < b->npending; i++)
	free(b->pending[i]);
    free(b->pending);
}
