/*
 * emit_tables - the image's tables (TABL, TREF): every spec the settings,
 * the programs and the composites name, sorted and numbered, then each
 * compiled by its type:
 *
 *   hash, btree     the source, or a .db without it (emit_exact.c)
 *   texthash        the source (emit_exact.c)
 *   inline          dict_open(), its entries sorted by key (emit_exact.c)
 *   regexp, pcre    pattern_source's reader (emit_rules.c)
 *   cidr            dict_cidr's reader (emit_rules.c)
 *   static, fail, unionmap, pipemap   from the spec itself (here)
 *   /file/name      a match list's file: its lines (here)
 *   anything else   EXTERNAL: the spec only
 */
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "dict.h"
#include "emit.h"
#include "sysroot.h"
#include "textutil.h"
#include "xalloc.h"

uint32_t table_index(const struct build *b, const char *spec)
{
    size_t at = (size_t) (uintptr_t) strmap_get(&b->specs, spec);

    if (at == 0)
	diag_fatal("internal error: table %s was not collected", spec);
    return (uint32_t) (at - 1);
}

/* compile_members - unionmap:{...} and pipemap:{...}: a TREF run */
static void compile_members(struct build *b, struct img_table *rec, const char *type,
			    const char *name)
{
    char **members = composite_split(name);
    size_t first = b->nrefs;

    rec->kind = IMG_TABLE_EXTERNAL;
    for (size_t i = 0; members != NULL && members[i] != NULL; i++) {
	/* A member nested too deep to have been collected: the whole is EXTERNAL. */
	if (!strmap_has(&b->specs, members[i])) {
	    b->nrefs = first;
	    strv_free(members);
	    return;
	}
	GROW(b->refs, b->nrefs, b->refs_cap);
	b->refs[b->nrefs++] = table_index(b, members[i]);
    }
    strv_free(members);
    if (b->nrefs == first)
	return;
    rec->kind = strcmp(type, "unionmap") == 0 ? IMG_TABLE_UNION : IMG_TABLE_PIPE;
    rec->a = (uint32_t) first;
    rec->b = (uint32_t) (b->nrefs - first);
}

static int compile_static(struct build *b, struct img_table *rec, const char *name)
{
    char *copy = xstrdup(name), *value = copy, *problem = NULL;

    if (name[0] == '{' && (problem = extract_braces(&value, 1)) != NULL) {
	rec->kind = IMG_TABLE_EXTERNAL;
    } else {
	rec->kind = IMG_TABLE_STATIC;
	rec->a = pool_intern(&b->pool, value);
    }
    free(problem);
    free(copy);
    return 0;
}

/*
 * compile_list_file - a /file/name of a match list: LIST, the lines
 * match_list_parse() reads (those that do not start with '#', each
 * ending in a newline), the file in SRCS; one that cannot be read is
 * FAIL, as Postfix puts a table whose lookups fail in its place.
 */
static void compile_list_file(struct build *b, struct img_table *rec, uint32_t *source,
			      const char *spec)
{
    char *opened = sysroot_path(spec);
    const struct model_source *src = model_source(b->m, opened);
    struct strbuf lines = STRBUF_INIT;

    free(opened);
    if (src == NULL) {
	rec->kind = IMG_TABLE_FAIL;
	return;
    }
    for (const char *line = src->text; *line != 0;) {
	size_t len = strcspn(line, "\n");
	if (*line != '#') {
	    sb_addn(&lines, line, len);
	    sb_addch(&lines, '\n');
	}
	line += len + (line[len] == '\n');
    }
    struct digest_job job;
    digest_start(&job, src->text, src->len);
    digest_wait(&job);
    *source = add_source(b, spec, src->len, job.sha256);
    rec->kind = IMG_TABLE_LIST;
    rec->a = pool_intern(&b->pool, sb_str(&lines));
    sb_free(&lines);
}

/* compile_table - TABL record i (but its spec: emit_layout.c), and what its kind needs */
static int compile_table(struct build *b, size_t i)
{
    const char *spec = b->table_specs[i];
    struct img_table *rec = &b->tables[i];
    uint32_t *source = &b->table_source[i];
    const char *colon = strchr(spec, ':');
    int status = 0;

    memset(rec, 0, sizeof(*rec));
    *source = IMG_NONE;
    rec->kind = IMG_TABLE_EXTERNAL;
    if (spec[0] == '/') {
	compile_list_file(b, rec, source, spec);
	return 0;
    }
    if (colon == NULL || colon == spec || colon[1] == 0)
	return 0;
    char *type = xstrndup(spec, (size_t) (colon - spec));
    const char *name = colon + 1;
    const struct dict_type *def = dict_type_find(type);

    if (def == NULL || (def->caps & DICT_CAP_UNSUPPORTED)) {
	/* EXTERNAL: the runtime opens it itself. */
    } else if (def->caps & DICT_CAP_BUILD || strcmp(type, "texthash") == 0) {
	status = compile_file_table(b, rec, source, spec, type, name);
    } else if (strcmp(type, "inline") == 0) {
	/* A malformed inline: (the linter does not read them) is kept as named. */
	if (compile_dict(b, rec, spec, 0) != 0)
	    rec->kind = IMG_TABLE_EXTERNAL;
    } else if (strcmp(type, "regexp") == 0 || strcmp(type, "pcre") == 0) {
	status = compile_patterns(b, rec, source, spec, type, name);
    } else if (strcmp(type, "cidr") == 0) {
	status = compile_cidr(b, rec, source, spec, name);
    } else if (strcmp(type, "static") == 0) {
	status = compile_static(b, rec, name);
    } else if (strcmp(type, "fail") == 0) {
	rec->kind = IMG_TABLE_FAIL;
    } else if (strcmp(type, "unionmap") == 0 || strcmp(type, "pipemap") == 0) {
	compile_members(b, rec, type, name);
    }
    /* Lookups through the dict layer refuse non-UTF-8 keys with smtputf8. */
    if (b->utf8 && rec->kind != IMG_TABLE_EXTERNAL)
	rec->flags |= IMG_TABLE_UTF8;
    free(type);
    return status;
}

/* exact_file_type - hash, btree or texthash: a table compiled from a source file */
static int exact_file_type(const char *type, size_t len)
{
    return (len == 4 && strncmp(type, "hash", 4) == 0)
	|| (len == 5 && strncmp(type, "btree", 5) == 0)
	|| (len == 8 && strncmp(type, "texthash", 8) == 0);
}

/*
 * reserve_image - room in the image buffer for all of it at once. The
 * pool is written in place and the sections after it, so a buffer that
 * grows on the way copies the pool, and whether it must depends on how
 * the data happens to compare with a power of two (a map with shorter
 * lines needed one copy of 64 MB more, and 40 MB more at the peak, than
 * one of the same size with longer lines). The big parts are the exact
 * tables compiled from their sources (the linter read them into the
 * model already): each is at most its bytes in the pool, and an entry
 * (16 bytes) and at most 4 slots (16 bytes) a line.
 */
static void reserve_image(struct build *b)
{
    size_t need = POOL_BASE + ((size_t) 1 << 20);	/* the small sections */

    for (size_t i = 0; i < b->ntables; i++) {
	const char *spec = b->table_specs[i], *colon = strchr(spec, ':');
	if (colon == NULL || !exact_file_type(spec, (size_t) (colon - spec)))
	    continue;
	char *opened = sysroot_path(colon + 1);
	const struct model_source *src = model_source(b->m, opened);
	if (src != NULL) {
	    size_t lines = count_lines(src->text, src->len) + 1;
	    need += src->len + 8 + lines * sizeof(struct img_entry)
		+ slots_for(lines) * sizeof(uint32_t);
	}
	free(opened);
    }
    if (need > b->out->len)
	sb_grow(b->out, need - b->out->len);
}

int compile_tables(struct build *b)
{
    /* Number the tables: sorted by spec. */
    b->table_specs = strmap_sorted_keys(&b->specs);
    while (b->table_specs[b->ntables] != NULL)
	b->ntables++;
    for (size_t i = 0; i < b->ntables; i++)
	strmap_put(&b->specs, b->table_specs[i], (void *) (uintptr_t) (i + 1));
    /* TREF: the settings' tables first, in PARM then OVRD order. */
    b->refs_cap = b->npending + 16;
    b->refs = xcalloc(b->refs_cap, sizeof(*b->refs));
    for (size_t i = 0; i < b->npending; i++)
	b->refs[b->nrefs++] = table_index(b, b->pending[i]);

    reserve_image(b);
    b->tables = xcalloc(b->ntables + 1, sizeof(*b->tables));
    b->table_source = xcalloc(b->ntables + 1, sizeof(*b->table_source));
    for (size_t i = 0; i < b->ntables; i++)
	if (compile_table(b, i) != 0)
	    return 2;
    return 0;
}
