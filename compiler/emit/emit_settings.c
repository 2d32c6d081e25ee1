/*
 * emit_settings - the image's parameters (PARM: the registry and main.cf,
 * sorted by name), the services' -o overrides (OVRD), and the table
 * specs their values name, in order (TREF), through the resolver
 * (emit_params.c). A value that depends on the host keeps its raw text
 * and its pieces (HOST); one the image cannot hold is reported, in the
 * linter's "file:line:col: error:" shape, and the build refused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "main_cf.h"
#include "registry.h"
#include "textutil.h"
#include "xalloc.h"

int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* ------------------------------------------------------------ table specs */

void note_spec(struct build *b, const char *spec, int depth)
{
    if (strmap_has(&b->specs, spec))
	return;
    strmap_put(&b->specs, spec, NULL);

    const char *colon = strchr(spec, ':');
    if (colon == NULL || depth >= IMG_MAX_NESTING)
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
 * type:name elements of a host/network/domain list.
 */
static void table_words(struct build *b, enum check_list_kind kind, const char *value)
{
    char *copy = xstrdup(value), *bp = copy;

    for (char *tok; (tok = str_tokq(&bp, CHARS_COMMA_SP)) != NULL;) {
	if (kind == CHECK_LIST_MATCH) {
	    if (*tok == '#')
		break;
	    while (*tok == '!')
		tok++;
	    if (*tok == '[')
		continue;
	}
	if (strchr(tok, ':') != NULL)
	    add_pending(b, tok);
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
 * fill_setting - raw value and origin set (host: a default the host
 * computes): the expanded value, the host pieces and the tables it names
 */
static void fill_setting(struct build *b, struct setting_rec *rec, int host,
			 const struct check_service *svc, const struct place *at)
{
    const struct param_def *def = registry_find(rec->name);

    if (def != NULL && (def->flags & PFLAG_RAW)) {
	rec->expanded = xstrdup(rec->raw);
    } else {
	struct split_value sv;
	char *self = host ? xconcat("$", rec->name, (char *) NULL) : NULL;

	params_split(b, svc, self ? self : rec->raw, &sv);
	free(self);
	if (sv.problem != NULL)
	    refuse_value(b, at, rec->name, sv.problem);
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
    rec->refs_first = b->npending;
    enum check_list_kind kind = check_table_list(def);
    if (kind != CHECK_LIST_NONE)
	table_words(b, kind, rec->expanded);
    rec->refs_count = b->npending - rec->refs_first;
    if (rec->flags & IMG_SETTING_HOST) {
	/* The runtime joins the pieces on its host; the tables are those named here. */
	free(rec->expanded);
	rec->expanded = xstrdup(rec->raw);
    }
}

void collect_params(struct build *b)
{
    struct check *cx = b->cx;
    const char **set = strmap_sorted_keys(&cx->setting_index);
    size_t nset = 0;

    while (set[nset] != NULL)
	nset++;
    const char **names = xcalloc(param_table_size + nset + 1, sizeof(*names));
    size_t n = 0;
    for (size_t i = 0; i < param_table_size; i++)
	if ((param_table[i].flags & PFLAG_LEGACY) == 0
	    || strmap_has(&cx->setting_index, param_table[i].name))
	    names[n++] = param_table[i].name;
    for (size_t i = 0; i < nset; i++)
	if (registry_find(set[i]) == NULL)
	    names[n++] = set[i];
    if (n > 1)
	qsort(names, n, sizeof(*names), compare_strings);

    for (size_t i = 0; i < n; i++) {
	const char *name = names[i];
	const struct check_setting *s = check_setting_find(cx, name);
	struct place at = { NULL, NULL, 0 };
	int host = 0;
	GROW(b->params, b->nparams, b->params_cap);
	struct setting_rec *rec = &b->params[b->nparams++];

	memset(rec, 0, sizeof(*rec));
	rec->name = name;
	if (s != NULL) {
	    rec->raw = xstrdup(s->value);
	    rec->origin = IMG_ORIGIN_MAIN;
	    rec->line = (uint32_t) s->where->first_line;
	    at = (struct place) { cx->main_path, s->where, s->value_off };
	} else {
	    const char *raw = params_default(b, name, &host);
	    rec->raw = xstrdup(raw ? raw : "");
	    rec->origin = IMG_ORIGIN_DEFAULT;
	}
	fill_setting(b, rec, host, NULL, &at);
    }
    free(names);
    free(set);
}

uint32_t override_line(const struct check_service *svc, const struct check_override *o)
{
    int line = 0, column = 0;

    cf_position(svc->entry->where, o->name_off, &line, &column);
    return (uint32_t) line;
}

void collect_overrides(struct build *b)
{
    struct check *cx = b->cx;

    b->service_overrides = xcalloc(cx->nservices + 1, sizeof(*b->service_overrides));
    for (size_t i = 0; i < cx->nservices; i++) {
	const struct check_service *svc = &cx->services[i];
	b->service_overrides[i] = b->noverrides;
	for (size_t j = 0; j < svc->noverrides; j++) {
	    const struct check_override *o = &svc->overrides[j];
	    struct place at = { cx->master_path, svc->entry->where, o->value_off };
	    GROW(b->overrides, b->noverrides, b->overrides_cap);
	    struct setting_rec *rec = &b->overrides[b->noverrides++];
	    memset(rec, 0, sizeof(*rec));
	    rec->name = o->name;
	    rec->raw = xstrdup(o->value);
	    rec->origin = IMG_ORIGIN_OVERRIDE;
	    rec->line = override_line(svc, o);
	    fill_setting(b, rec, 0, svc, &at);
	}
    }
    b->service_overrides[cx->nservices] = b->noverrides;
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
    for (size_t i = 0; i < n; i++) {
	free(recs[i].raw);
	free(recs[i].expanded);
	for (size_t k = 0; k < recs[i].nhost; k++)
	    free(recs[i].host[k].text);
	free(recs[i].host);
    }
    free(recs);
}

void free_settings(struct build *b)
{
    free(b->unplaced);
    free_recs(b->params, b->nparams);
    free_recs(b->overrides, b->noverrides);
    free(b->service_overrides);
    for (size_t i = 0; i < b->npending; i++)
	free(b->pending[i]);
    free(b->pending);
}
