/*
 * image_write - the compiler behind pfc build: everything pfc check reads,
 * compiled into the bytes of runtime/image/image.h.
 *
 * The linter runs first (check.h, for_build): an error stops the build.
 * It keeps the bytes of the hash, btree and texthash sources it read, so
 * a big table is read once. Then, in this order:
 *
 *   1. parameters (registry and main.cf, sorted), services and their -o
 *      overrides, restriction programs: their values expanded, the tables
 *      they name collected as spec strings;
 *   2. the table specs sorted and numbered, each compiled:
 *        hash, btree   the source, read as pfc map (or pfc alias, for
 *                      alias_maps and alias_database) reads it; only a .db
 *                      without source is read through dict_open()
 *        texthash      the source, as its loader reads it
 *        inline        dict_open(), its entries sorted by key
 *        regexp, pcre  pattern_source's reader (pat_load_observed)
 *        cidr          dict_cidr's reader decides which rules it keeps
 *        static, fail, unionmap, pipemap  from the spec itself
 *        anything else EXTERNAL: the spec only
 *      exact tables keep the first of duplicate keys, fold keys as the
 *      daemons open them, and get the hash index image.h defines;
 *   3. the layout: header, section table, the string pool (built in place
 *      from the start, so a 50 MB pool is never copied), the other
 *      sections; then the content id and the checksum.
 *
 * Determinism: everything is in file order or sorted bytewise; no
 * strmap is iterated; no time, pointer, locale or hash seed reaches the
 * bytes. Values that depend on the host (myhostname, mydomain,
 * mynetworks when main.cf leaves them unset) are kept unexpanded and
 * flagged IMG_SETTING_HOST, so the image is the same on every machine.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

#include "aliases.h"
#include "check.h"
#include "diag.h"
#include "dict.h"
#include "dict_cidr.h"
#include "expand.h"
#include "hostinfo.h"
#include "image.h"
#include "image_write.h"
#include "main_cf.h"
#include "mapsource.h"
#include "pattern_source.h"
#include "restriction.h"
#include "sha256.h"
#include "strbuf.h"
#include "strmap.h"
#include "sysroot.h"
#include "textutil.h"
#include "utf8.h"
#include "xalloc.h"

#define NSECTIONS 13
#define POOL_BASE (sizeof(struct img_header) + NSECTIONS * sizeof(struct img_section))
#define MEMBERS_MAX_DEPTH 20	/* unionmap/pipemap nesting, as the linter bounds it */
#define HOST_MAX_DEPTH 8	/* $myhostname naming $mydomain naming ... */

/* GROW - make room for one more element of a growing array */
#define GROW(arr, n, cap) do { \
	if ((n) == (cap)) { \
	    (cap) = (cap) ? 2 * (cap) : 16; \
	    (arr) = xrealloc((arr), (cap) * sizeof(*(arr))); \
	} \
    } while (0)

/* ------------------------------------------------------------ strings */

/*
 * The string pool is written straight into the image buffer at
 * POOL_BASE. Strings are interned: one open-addressing index of
 * (hash << 32 | offset) words, so the same bytes get the same offset and
 * a million strings cost no million allocations. The exceptions are
 * the entries of exact tables: their keys, unique in their table, are
 * written as they come (pool_append), their values shared through a
 * cache of their own (exact_value).
 */
struct pool {
    struct strbuf *out;
    uint64_t *index;		/* 0: empty; offset 0 ("") is never indexed */
    size_t cap, used;		/* cap: a power of two */
};

/* img_hash - image.h's key hash: the low 32 bits of XXH64, seed 0 */
static uint32_t img_hash(const char *s, size_t len)
{
    return (uint32_t) XXH64(s, len, 0);
}

static void pool_init(struct pool *p, struct strbuf *out, size_t expect_strings)
{
    p->out = out;
    p->cap = 1024;
    while (p->cap < 2 * expect_strings)
	p->cap *= 2;
    p->index = xcalloc(p->cap, sizeof(*p->index));
    p->used = 0;
    sb_addch(out, 0);		/* offset 0: the empty string */
}

static const char *pool_at(const struct pool *p, uint32_t off)
{
    return p->out->s + POOL_BASE + off;
}

static void pool_grow(struct pool *p)
{
    size_t cap = 2 * p->cap;
    uint64_t *index = xcalloc(cap, sizeof(*index));

    for (size_t i = 0; i < p->cap; i++) {
	uint64_t e = p->index[i];
	if (e == 0)
	    continue;
	size_t j = (size_t) (e >> 32) & (cap - 1);
	while (index[j] != 0)
	    j = (j + 1) & (cap - 1);
	index[j] = e;
    }
    free(p->index);
    p->index = index;
    p->cap = cap;
}

/*
 * pool_append - s added without looking for it: the keys of an exact
 * table, unique in their table, which a million probes would rarely find
 * anywhere else.
 */
static uint32_t pool_append(struct pool *p, const char *s, size_t len)
{
    struct strbuf *out = p->out;
    size_t off = out->len - POOL_BASE;

    if (len == 0)
	return 0;
    if (off + len + 1 > UINT32_MAX)
	diag_fatal("build: the string pool would pass 4 GB, the image's limit");
    sb_grow(out, len + 1);
    memcpy(out->s + out->len, s, len);
    out->len += len;
    out->s[out->len++] = 0;
    out->s[out->len] = 0;
    return (uint32_t) off;
}

/* pool_intern_hashed - the offset of s (len bytes, hash h), added if new */
static uint32_t pool_intern_hashed(struct pool *p, const char *s, size_t len, uint32_t h)
{
    if (len == 0)
	return 0;
    if (2 * (p->used + 1) > p->cap)
	pool_grow(p);
    size_t mask = p->cap - 1, j = h & mask;
    for (uint64_t e; (e = p->index[j]) != 0; j = (j + 1) & mask) {
	if ((uint32_t) (e >> 32) != h)
	    continue;
	const char *have = pool_at(p, (uint32_t) e);
	if (memcmp(have, s, len) == 0 && have[len] == 0)
	    return (uint32_t) e;
    }
    uint32_t off = pool_append(p, s, len);
    p->index[j] = (uint64_t) h << 32 | off;
    p->used++;
    return off;
}

static uint32_t pool_intern_n(struct pool *p, const char *s, size_t len)
{
    return pool_intern_hashed(p, s, len, img_hash(s, len));
}

static uint32_t pool_intern(struct pool *p, const char *s)
{
    return s == NULL ? 0 : pool_intern_n(p, s, strlen(s));
}

/* ------------------------------------------------------------ the build */

/* A file the build read, for SRCS. */
struct source {
    char *path;			/* as the configuration names it */
    uint64_t size;
    unsigned char sha256[32];
};

/* A parameter or -o override before its strings are interned. */
struct setting_rec {
    const char *name;
    char *raw;
    char *expanded;
    uint32_t origin, line, flags;
    size_t refs_first, refs_count;	/* in build.pending */
};

struct insn_rec {
    uint32_t op;		/* restriction id */
    /* table: the spec; domain, endpoint, refused (op 0): the word; class: its name */
    char *arg;
    uint32_t number;		/* number: the value */
    uint32_t line;
    uint32_t flags;		/* IMG_INSN_* */
};

struct program_rec {
    char *name;
    uint32_t service;		/* IMG_NONE: main.cf */
    uint32_t line;
    size_t first, count;	/* in build.insns */
};

struct build {
    struct check *cx;
    struct strbuf *out;
    struct pool pool;
    int utf8;			/* smtputf8_enable */
    unsigned fold_flags;	/* dict flags exact tables fold keys with */

    struct source *sources;
    size_t nsources, sources_cap;
    struct strmap source_index;	/* path -> index + 1 (in nsources order) */

    struct setting_rec *params;
    size_t nparams, params_cap;
    struct setting_rec *overrides;
    size_t noverrides, overrides_cap;
    size_t *service_overrides;	/* per service: its first override */

    char **pending;		/* table specs named by settings, TREF order */
    size_t npending, pending_cap;

    struct program_rec *programs;
    size_t nprograms, programs_cap;
    struct insn_rec *insns;
    size_t ninsns, insns_cap;

    struct strmap specs;	/* every table spec -> index + 1 once numbered */
    const char **table_specs;	/* sorted */
    size_t ntables;
    struct img_table *tables;
    uint32_t *table_source;	/* per table: index in sources, or IMG_NONE */

    uint32_t *refs;
    size_t nrefs, refs_cap;
    struct img_entry *entries;
    size_t nentries, entries_cap;
    uint32_t *slots;
    size_t nslots, slots_cap;
    struct img_rule *rules;
    size_t nrules, rules_cap;
    struct img_piece *pieces;
    size_t npieces, pieces_cap;

    char *mydomain;		/* derived_mydomain() */
    int failed;			/* an I/O problem was reported: exit 2 */
};

/*
 * A SHA-256 computed beside the main thread: a big source is hashed while
 * it is parsed (two cores, half the wait).
 */
struct digest_job {
    const void *data;
    size_t len;
    unsigned char sha256[32];
    pthread_t thread;
    int started;
};

static void *digest_run(void *arg)
{
    struct digest_job *job = arg;

    sha256_digest(job->data, job->len, job->sha256);
    return NULL;
}

#define DIGEST_THREAD_MIN (1u << 20)	/* smaller sources are hashed in line */

/* digest_start - hash data, in a thread when it is big and one can start */
static void digest_start(struct digest_job *job, const void *data, size_t len)
{
    job->data = data;
    job->len = len;
    job->started = len >= DIGEST_THREAD_MIN
	&& pthread_create(&job->thread, NULL, digest_run, job) == 0;
    if (!job->started)
	digest_run(job);
}

static void digest_wait(struct digest_job *job)
{
    if (job->started)
	pthread_join(job->thread, NULL);
    job->started = 0;
}

/* add_source - note a file read (path as named), its size and digest; its index */
static uint32_t add_source(struct build *b, const char *path, size_t len,
			   const unsigned char sha256[32])
{
    size_t at = (size_t) (uintptr_t) strmap_get(&b->source_index, path);

    if (at != 0)
	return (uint32_t) (at - 1);
    GROW(b->sources, b->nsources, b->sources_cap);
    struct source *src = &b->sources[b->nsources];

    src->path = xstrdup(path);
    src->size = len;
    memcpy(src->sha256, sha256, 32);
    strmap_put(&b->source_index, path, (void *) (uintptr_t) ++b->nsources);
    return (uint32_t) (b->nsources - 1);
}

/* add_source_file - the same for a small file read here; -1 if unreadable */
static int add_source_file(struct build *b, const char *named, const char *opened,
			   uint32_t *index)
{
    struct strbuf text = STRBUF_INIT;

    if (sb_read_file(&text, opened) < 0) {
	fprintf(stderr, "pfc: build: read %s: %s\n", opened, strerror(errno));
	sb_free(&text);
	b->failed = 1;
	return -1;
    }
    struct digest_job job = { .data = text.s ? text.s : "", .len = text.len };
    digest_run(&job);
    *index = add_source(b, named, text.len, job.sha256);
    sb_free(&text);
    return 0;
}

/* ------------------------------------------------------------ values */

/*
 * A view of the parameters: main.cf over the defaults (svc NULL), or what
 * one master.cf service sees under its -o overrides. host is set when a
 * value computed from the build host was consulted; such values expand
 * to nothing here, so that nothing of the host reaches the image.
 */
struct view {
    struct build *b;
    const struct check_service *svc;
    int host;
    int depth;
};

static const char *override_value(const struct check_service *svc, const char *name)
{
    for (size_t i = svc->noverrides; i-- > 0;)
	if (strcmp(svc->overrides[i].name, name) == 0)
	    return svc->overrides[i].value;
    return NULL;
}

static int host_dependent(struct build *b, const char *name, int depth);
static const char *derived_mydomain(struct build *b);

/* view_raw - the unexpanded value of name in the view, or NULL */
static const char *view_raw(struct view *v, const char *name)
{
    const char *value;

    if (v->svc != NULL) {
	if ((value = override_value(v->svc, name)) != NULL)
	    return value;
	if ((value = strmap_get(&v->svc->entry->ro_params, name)) != NULL)
	    return value;
    }
    if ((value = setting_value(&v->b->cx->cfg->settings, name)) != NULL)
	return value;
    const struct param_def *def = registry_find(name);
    if (def == NULL)
	return NULL;
    if (def->flags & PFLAG_HOST) {
	if (host_dependent(v->b, name, v->depth)) {
	    v->host = 1;
	    return "";
	}
	return derived_mydomain(v->b);
    }
    return def->defval;
}

static const char *view_lookup(const char *name, int mode, void *ctx)
{
    (void) mode;
    return view_raw(ctx, name);
}

/*
 * view_expand - raw with $name expanded in the view (a copy of raw when
 * it does not expand: the linter reports that). Warnings are the
 * linter's business: none here.
 */
static char *view_expand(struct view *v, const char *raw)
{
    struct strbuf buf = STRBUF_INIT;

    check_capture_begin(v->b->cx, NULL, NULL);
    int status = expand(&buf, raw, EXPAND_RECURSE, view_lookup, v);
    check_capture_end(v->b->cx);
    if (status & EXPAND_ERROR) {
	sb_free(&buf);
	return xstrdup(raw);
    }
    return sb_detach(&buf);
}

/* view_value - name's value in the view, expanded unless raw; NULL if undefined */
static char *view_value(struct view *v, const char *name)
{
    const char *raw = view_raw(v, name);
    const struct param_def *def = registry_find(name);

    if (raw == NULL)
	return NULL;
    if (def != NULL && (def->flags & PFLAG_RAW))
	return xstrdup(raw);
    return view_expand(v, raw);
}

/*
 * host_dependent - does name, unset in main.cf, take its value from the
 * host? myhostname, mynetworks and the process's own names always;
 * mydomain when it comes from a myhostname that does (Postfix derives
 * it from main.cf's myhostname only).
 */
static int host_dependent(struct build *b, const char *name, int depth)
{
    const struct strmap *main_cf = &b->cx->cfg->settings;

    if (setting_value(main_cf, name) != NULL)
	return 0;
    if (strcmp(name, "mydomain") != 0)
	return 1;
    const char *hostname = setting_value(main_cf, "myhostname");
    if (hostname == NULL || depth >= HOST_MAX_DEPTH)
	return 1;
    struct view v = { b, NULL, 0, depth + 1 };
    free(view_expand(&v, hostname));
    return v.host;
}

/*
 * derived_mydomain - mydomain unset, from a main.cf myhostname that does
 * not depend on the host: what follows its first dot, as Postfix takes
 * it (computed here, not through config.c, whose host values are the
 * first configuration's for the whole process).
 */
static const char *derived_mydomain(struct build *b)
{
    if (b->mydomain == NULL) {
	struct view v = { b, NULL, 0, HOST_MAX_DEPTH };
	const char *raw = setting_value(&b->cx->cfg->settings, "myhostname");
	char *hostname = view_expand(&v, raw ? raw : "");
	b->mydomain = host_mydomain(hostname);
	free(hostname);
    }
    return b->mydomain;
}

/* ------------------------------------------------------------ table specs */

/* note_spec - a table spec the configuration names, its members too */
static void note_spec(struct build *b, const char *spec, int depth)
{
    if (strmap_has(&b->specs, spec))
	return;
    strmap_put(&b->specs, spec, NULL);

    const char *colon = strchr(spec, ':');
    if (colon == NULL || depth >= MEMBERS_MAX_DEPTH)
	return;
    size_t tlen = (size_t) (colon - spec);
    const char *name = colon + 1;
    if ((tlen == 8 && strncmp(spec, "unionmap", 8) == 0)
	|| (tlen == 7 && strncmp(spec, "pipemap", 7) == 0)) {
	if (!brace_group(name))
	    return;
	char *inner = xstrndup(name + 1, strlen(name) - 2), *cp = inner;
	for (char *item; (item = str_tokq(&cp, CHARS_COMMA_SP)) != NULL;)
	    if (strchr(item, ':') != NULL)
		note_spec(b, item, depth + 1);
	free(inner);
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

/* ------------------------------------------------------------ parameters */

static int compare_strings(const void *a, const void *b)
{
    return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/*
 * fill_setting - raw value and origin set: the expanded value, the host
 * flag and the tables it names.
 */
static void fill_setting(struct build *b, struct setting_rec *rec,
			 const struct check_service *svc)
{
    const struct param_def *def = registry_find(rec->name);
    struct view v = { b, svc, 0, 0 };

    if (def != NULL && (def->flags & PFLAG_RAW)) {
	rec->expanded = xstrdup(rec->raw);
    } else {
	rec->expanded = view_expand(&v, rec->raw);
	if (v.host)
	    rec->flags |= IMG_SETTING_HOST;
    }
    rec->refs_first = b->npending;
    enum check_list_kind kind = check_table_list(def);
    if (kind != CHECK_LIST_NONE)
	table_words(b, kind, rec->expanded);
    rec->refs_count = b->npending - rec->refs_first;
    if (rec->flags & IMG_SETTING_HOST) {
	/* The runtime expands it on its host; the tables are those named here. */
	free(rec->expanded);
	rec->expanded = xstrdup(rec->raw);
    }
}

/* collect_params - PARM: the registry (as pfc conf -d lists it) and main.cf */
static void collect_params(struct build *b)
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
	const struct param_def *def = registry_find(name);
	GROW(b->params, b->nparams, b->params_cap);
	struct setting_rec *rec = &b->params[b->nparams++];

	memset(rec, 0, sizeof(*rec));
	rec->name = name;
	if (s != NULL) {
	    rec->raw = xstrdup(s->value);
	    rec->origin = IMG_ORIGIN_MAIN;
	    rec->line = (uint32_t) s->where->first_line;
	} else if (def != NULL && (def->flags & PFLAG_HOST) && host_dependent(b, name, 0)) {
	    /* Computed on the host that runs it: nothing of this one. */
	    rec->raw = xstrdup("");
	    rec->origin = IMG_ORIGIN_DEFAULT;
	    rec->flags |= IMG_SETTING_HOST;
	} else {
	    struct view v = { b, NULL, 0, 0 };
	    const char *raw = view_raw(&v, name);
	    rec->raw = xstrdup(raw ? raw : "");
	    rec->origin = IMG_ORIGIN_DEFAULT;
	}
	fill_setting(b, rec, NULL);
    }
    free(names);
    free(set);
}

/* override_line - the master.cf line an -o option is written on */
static uint32_t override_line(const struct check_service *svc, const struct check_override *o)
{
    int line = 0, column = 0;

    cf_position(svc->entry->where, o->name_off, &line, &column);
    return (uint32_t) line;
}

/* collect_overrides - OVRD: each service's -o settings, in master.cf order */
static void collect_overrides(struct build *b)
{
    struct check *cx = b->cx;

    b->service_overrides = xcalloc(cx->nservices + 1, sizeof(*b->service_overrides));
    for (size_t i = 0; i < cx->nservices; i++) {
	const struct check_service *svc = &cx->services[i];
	b->service_overrides[i] = b->noverrides;
	for (size_t j = 0; j < svc->noverrides; j++) {
	    const struct check_override *o = &svc->overrides[j];
	    GROW(b->overrides, b->noverrides, b->overrides_cap);
	    struct setting_rec *rec = &b->overrides[b->noverrides++];
	    memset(rec, 0, sizeof(*rec));
	    rec->name = o->name;
	    rec->raw = xstrdup(o->value);
	    rec->origin = IMG_ORIGIN_OVERRIDE;
	    rec->line = override_line(svc, o);
	    fill_setting(b, rec, svc);
	}
    }
    b->service_overrides[cx->nservices] = b->noverrides;
}

/* ------------------------------------------------------------ programs */

static int words_has(const struct words *w, const char *word)
{
    for (size_t i = 0; i < w->n; i++)
	if (strcmp(w->v[i], word) == 0)
	    return 1;
    return 0;
}

static int classes_have(void *ctx, const char *word)
{
    return words_has(ctx, word);
}

/* table_of_word - the table of a check_*_access argument: "type:name" or "{type:name, ...}" */
static char *table_of_word(const char *word)
{
    if (word[0] != '{')
	return xstrdup(word);
    char *copy = xstrdup(word), *bp = copy, *err = extract_braces(&bp, 1), *result = NULL;
    if (err == NULL) {
	char *first = str_tokq(&bp, CHARS_COMMA_SP);
	if (first != NULL && strchr(first, ':') != NULL)
	    result = xstrdup(first);
    }
    free(err);
    free(copy);
    return result;
}

static void add_insn(struct build *b, uint32_t op, char *arg, uint32_t number, uint32_t line,
		     uint32_t flags)
{
    GROW(b->insns, b->ninsns, b->insns_cap);
    struct insn_rec *in = &b->insns[b->ninsns++];

    in->op = op;
    in->arg = arg;
    in->number = number;
    in->line = line;
    in->flags = flags;
    if (op != RESTR_NONE && restriction_def(op)->arg == RARG_TABLE)
	note_spec(b, arg, 0);
}

/* number_of - sleep's argument (all digits), saturated as a u32 */
static uint32_t number_of(const char *word)
{
    unsigned long long n = 0;

    for (; *word && n <= UINT32_MAX; word++)
	n = n * 10 + (unsigned) (*word - '0');
    return n > UINT32_MAX ? UINT32_MAX : (uint32_t) n;
}

/*
 * add_program - compile one restriction list (value) the way smtpd's
 * generic_checks() reads it (restriction_parse()): each restriction with
 * its argument. What smtpd would refuse at run time stays a refused word
 * (op 0), answered "451 4.3.5" there too; pfc check reports it first.
 */
static void add_program(struct build *b, const char *name, uint32_t service, uint32_t line,
			const char *value, const struct words *classes)
{
    const struct restriction_list_def *list = restriction_list_find(name);
    enum restriction_id acl = list ? list->default_access : RESTR_CALLER_ACCESS;
    struct words w;

    GROW(b->programs, b->nprograms, b->programs_cap);
    struct program_rec *prog = &b->programs[b->nprograms++];
    prog->name = xstrdup(name);
    prog->service = service;
    prog->line = line;
    prog->first = b->ninsns;

    words_split(&w, value, 1);
    struct restriction_step *steps = xcalloc(w.n + 1, sizeof(*steps));
    size_t nsteps = restriction_parse(w.v, w.n, acl, 0, classes_have, (void *) classes, steps);
    for (size_t i = 0; i < nsteps; i++) {
	const struct restriction_step *st = &steps[i];
	const char *word = w.v[st->word];
	const char *arg = st->arg != RESTRICTION_NO_WORD ? w.v[st->arg] : NULL;
	char *table;

	if (st->problem != RP_NONE) {
	    /* A DNS list without its domain: smtpd warns and goes on. */
	    if (st->problem == RP_BAD_ARG && restriction_def(st->id)->arg == RARG_DOMAIN)
		continue;
	    add_insn(b, RESTR_NONE, xstrdup(word), 0, line, 0);
	    continue;
	}
	switch (restriction_def(st->id)->arg) {
	case RARG_TABLE:
	    if ((table = table_of_word(arg)) != NULL)
		add_insn(b, st->id, table, 0, line, st->implicit ? IMG_INSN_IMPLICIT : 0);
	    else
		add_insn(b, RESTR_NONE, xstrdup(word), 0, line, 0);
	    break;
	case RARG_DOMAIN:
	case RARG_ENDPOINT:
	    add_insn(b, st->id, xstrdup(arg), 0, line, 0);
	    break;
	case RARG_NUMBER:
	    add_insn(b, st->id, NULL, number_of(arg), line, 0);
	    break;
	case RARG_CLASS:
	    add_insn(b, st->id, xstrdup(word), 0, line, 0);
	    break;
	case RARG_NONE:
	    add_insn(b, st->id, NULL, 0, line, 0);
	    break;
	}
    }
    prog->count = b->ninsns - prog->first;
    free(steps);
    words_free(&w);
}

/* setting_line - the main.cf line of name, 0 for a default */
static uint32_t setting_line(struct build *b, const char *name)
{
    const struct check_setting *s = check_setting_find(b->cx, name);

    return s ? (uint32_t) s->where->first_line : 0;
}

/* is_class_name - a class smtpd can call: not a built-in restriction or list */
static int is_class_name(const char *name)
{
    const struct param_def *def = registry_find(name);

    return restriction_find(name) == NULL && (def == NULL || def->kind != PKIND_RESTRICTIONS);
}

/*
 * collect_programs - PROG: the restriction lists of main.cf (set or
 * default), its classes, and the lists and classes each service sets
 * with -o. A class word calls the class of its own service when that
 * service sets it, else main.cf's; every class any view names gets a
 * main.cf program.
 */
static void collect_programs(struct build *b)
{
    struct check *cx = b->cx;
    struct view main_view = { b, NULL, 0, 0 };
    struct words main_classes, all_classes;
    char *text = view_value(&main_view, "smtpd_restriction_classes");

    words_split(&main_classes, text, 0);
    free(text);
    for (size_t i = 0; i < param_table_size; i++) {
	const struct param_def *def = &param_table[i];
	if (def->kind != PKIND_RESTRICTIONS || (def->flags & PFLAG_LEGACY))
	    continue;
	char *value = view_value(&main_view, def->name);
	add_program(b, def->name, IMG_NONE, setting_line(b, def->name), value, &main_classes);
	free(value);
    }

    /* Every class named anywhere, main.cf's first. */
    struct strbuf names = STRBUF_INIT;
    for (size_t i = 0; i < main_classes.n; i++)
	sb_printf(&names, "%s ", main_classes.v[i]);
    for (size_t s = 0; s < cx->nservices; s++) {
	const struct check_service *svc = &cx->services[s];
	if (svc->noverrides == 0)
	    continue;
	struct view v = { b, svc, 0, 0 };
	struct words classes;
	text = view_value(&v, "smtpd_restriction_classes");
	words_split(&classes, text, 0);
	free(text);
	for (size_t i = 0; i < svc->noverrides; i++) {
	    const struct check_override *o = &svc->overrides[i];
	    const struct param_def *def = registry_find(o->name);
	    if (override_value(svc, o->name) != o->value)
		continue;		/* a later -o of the same name wins */
	    int list = def != NULL && def->kind == PKIND_RESTRICTIONS;
	    if (!list && !(words_has(&classes, o->name) && is_class_name(o->name)))
		continue;
	    char *value = view_value(&v, o->name);
	    add_program(b, o->name, (uint32_t) s, override_line(svc, o), value, &classes);
	    free(value);
	}
	for (size_t i = 0; i < classes.n; i++)
	    sb_printf(&names, "%s ", classes.v[i]);
	words_free(&classes);
    }
    words_split(&all_classes, sb_str(&names), 0);
    sb_free(&names);
    if (all_classes.n > 1)
	qsort(all_classes.v, all_classes.n, sizeof(*all_classes.v), compare_strings);
    for (size_t i = 0; i < all_classes.n; i++) {
	const char *name = all_classes.v[i];
	if ((i > 0 && strcmp(name, all_classes.v[i - 1]) == 0) || !is_class_name(name))
	    continue;
	char *value = view_value(&main_view, name);
	add_program(b, name, IMG_NONE, setting_line(b, name), value, &main_classes);
	free(value);
    }
    words_free(&all_classes);
    words_free(&main_classes);
}

/* ------------------------------------------------------------ exact tables */

/* One exact table being compiled: its entries are the run from first. */
struct exact {
    struct build *b;
    size_t first, count;
    /* Its hash index is built in place: SLOT from b->nslots on. */
    size_t nslots;		/* a power of two */
    struct dict fold;		/* only its flags: how keys are folded */
    struct strbuf key_buf, fold_buf;
    /* Recent values, for exact_value. */
    uint64_t *value_cache;
    /* Entries waiting to be added (see exact_queue). */
    struct pending_entry *queue;
    size_t nqueue;
    struct strbuf queue_keys;	/* folded keys of the queue */
};

/* An entry exact_queue() holds back until its memory has been fetched. */
struct pending_entry {
    const char *key;		/* NULL: the folded key is in queue_keys at key_off */
    size_t key_off, klen;
    const char *value;
    size_t vlen;
    int line;
    uint32_t khash, vhash;
};

#define QUEUE_SIZE 64
#define VALUE_CACHE 65536	/* 512 KiB: stays in the cache */

static size_t slots_for(size_t count)
{
    size_t n = 2;

    while (n < 2 * count)
	n *= 2;
    return n;
}

/*
 * exact_index - (re)build the hash index with nslots slots, the entries
 * inserted in their order: the layout is the one any writer gets.
 */
static void exact_index(struct exact *t, size_t nslots)
{
    struct build *b = t->b;
    const struct img_entry *entries = b->entries + t->first;

    if (b->nslots + nslots > UINT32_MAX)
	diag_fatal("build: the hash indexes would pass the image's limit");
    if (b->slots_cap < b->nslots + nslots) {
	b->slots_cap = b->nslots + nslots > 2 * b->slots_cap ? b->nslots + nslots
	    : 2 * b->slots_cap;
	b->slots = xrealloc(b->slots, b->slots_cap * sizeof(*b->slots));
    }
    uint32_t *slots = b->slots + b->nslots;
    memset(slots, 0, nslots * sizeof(*slots));
    t->nslots = nslots;
    for (size_t i = 0; i < t->count; i++) {
	size_t j = entries[i].hash & (nslots - 1);
	while (slots[j] != 0)
	    j = (j + 1) & (nslots - 1);
	slots[j] = (uint32_t) (i + 1);
    }
}

static void exact_begin(struct exact *t, struct build *b, size_t expect)
{
    memset(t, 0, sizeof(*t));
    t->b = b;
    t->first = b->nentries;
    t->fold.flags = b->fold_flags;
    t->queue = xcalloc(QUEUE_SIZE, sizeof(*t->queue));
    t->value_cache = xcalloc(VALUE_CACHE, sizeof(*t->value_cache));
    exact_index(t, slots_for(expect));
}

/* fold_key - the key as the table stores it, in t->fold_buf when it changes */
static const char *fold_key(struct exact *t, const char *key, size_t *klen)
{
    if (!fold_may_change(key, *klen))
	return key;
    sb_reset(&t->key_buf);
    sb_addn(&t->key_buf, key, *klen);
    key = dict_fold(&t->fold, sb_str(&t->key_buf), &t->fold_buf);
    *klen = strlen(key);
    return key;
}

/*
 * exact_value - the offset of an entry's value (hash vh) in the pool.
 * Values are shared through a small direct-mapped cache of the last
 * value of each hash bucket, not the pool's whole index: a repeated
 * value is most often one of a few (the mailboxes behind many aliases),
 * and a million distinct values would cost a million random probes of
 * an index far larger than the processor's cache. A value the cache
 * has lost is stored again; the image is the same for the same input.
 */
static uint32_t exact_value(struct exact *t, const char *value, size_t vlen, uint32_t vh)
{
    uint64_t *cached = &t->value_cache[vh & (VALUE_CACHE - 1)];

    if (*cached != 0 && (uint32_t) (*cached >> 32) == vh) {
	const char *have = pool_at(&t->b->pool, (uint32_t) *cached);
	if (memcmp(have, value, vlen) == 0 && have[vlen] == 0)
	    return (uint32_t) *cached;
    }
    uint32_t off = pool_append(&t->b->pool, value, vlen);
    *cached = (uint64_t) vh << 32 | off;
    return off;
}

/*
 * exact_insert - one entry, its key already folded and hashed: the first
 * of duplicate keys is kept, as postmap keeps it.
 */
static void exact_insert(struct exact *t, const char *key, size_t klen, uint32_t kh,
			 const char *value, size_t vlen, uint32_t vh, int line)
{
    struct build *b = t->b;

    if (2 * (t->count + 1) > t->nslots)
	exact_index(t, 2 * t->nslots);
    uint32_t *slots = b->slots + b->nslots;
    size_t mask = t->nslots - 1, j = kh & mask;
    for (uint32_t s; (s = slots[j]) != 0; j = (j + 1) & mask) {
	const struct img_entry *e = &b->entries[t->first + s - 1];
	if (e->hash != kh)
	    continue;
	const char *have = pool_at(&b->pool, e->key);
	if (memcmp(have, key, klen) == 0 && have[klen] == 0)
	    return;
    }
    if (t->count >= UINT32_MAX / 2)
	diag_fatal("build: a table has more entries than an image can hold");
    GROW(b->entries, b->nentries, b->entries_cap);
    struct img_entry *e = &b->entries[b->nentries++];
    e->key = pool_append(&b->pool, key, klen);
    e->value = exact_value(t, value, vlen, vh);
    e->line = (uint32_t) (line > 0 ? line : 0);
    e->hash = kh;
    slots[j] = (uint32_t) ++t->count;
}

/* exact_add - one entry as a reader gives it */
static void exact_add(struct exact *t, const char *key, size_t klen, const char *value,
		      size_t vlen, int line)
{
    key = fold_key(t, key, &klen);
    exact_insert(t, key, klen, img_hash(key, klen), value, vlen, img_hash(value, vlen), line);
}

/*
 * exact_flush - add the queued entries, in order. Their hashes are known,
 * so the slots and pool index words they will probe are fetched first,
 * all at once, then the entries those slots name: a million random
 * probes then wait for memory in parallel, not one after the other.
 */
static void exact_flush(struct exact *t)
{
    struct build *b = t->b;
    const uint32_t *slots = b->slots + b->nslots;
    size_t mask = t->nslots - 1;

    for (size_t i = 0; i < t->nqueue; i++)
	__builtin_prefetch(&slots[t->queue[i].khash & mask]);
    for (size_t i = 0; i < t->nqueue; i++) {
	uint32_t s = slots[t->queue[i].khash & mask];
	if (s != 0)
	    __builtin_prefetch(&b->entries[t->first + s - 1]);
    }
    for (size_t i = 0; i < t->nqueue; i++) {
	const struct pending_entry *q = &t->queue[i];
	const char *key = q->key ? q->key : t->queue_keys.s + q->key_off;
	exact_insert(t, key, q->klen, q->khash, q->value, q->vlen, q->vhash, q->line);
    }
    t->nqueue = 0;
    sb_reset(&t->queue_keys);
}

/*
 * exact_queue - exact_add() for a reader whose key and value bytes stay
 * in place until exact_flush() (the source text in memory).
 */
static void exact_queue(struct exact *t, const char *key, size_t klen, const char *value,
			size_t vlen, int line)
{
    struct pending_entry *q = &t->queue[t->nqueue];
    const char *folded = fold_key(t, key, &klen);

    q->key = folded == key ? key : NULL;
    if (q->key == NULL) {
	q->key_off = t->queue_keys.len;
	sb_addn(&t->queue_keys, folded, klen);
    }
    q->klen = klen;
    q->value = value;
    q->vlen = vlen;
    q->line = line;
    q->khash = img_hash(folded, klen);
    q->vhash = img_hash(value, vlen);
    if (++t->nqueue == QUEUE_SIZE)
	exact_flush(t);
}

/* exact_end - the table's TABL fields; its slots appended to SLOT */
static void exact_end(struct exact *t, struct img_table *rec)
{
    struct build *b = t->b;
    size_t want = slots_for(t->count);
    unsigned bits = 0;

    exact_flush(t);
    if (t->nslots != want)
	exact_index(t, want);
    while (((size_t) 1 << bits) < want)
	bits++;
    rec->kind = IMG_TABLE_EXACT;
    rec->flags |= IMG_TABLE_FOLD;
    rec->a = (uint32_t) t->first;
    rec->b = (uint32_t) t->count;
    rec->c = (uint32_t) b->nslots;
    rec->d = bits;
    b->nslots += want;
    free(t->queue);
    free(t->value_cache);
    sb_free(&t->queue_keys);
    sb_free(&t->key_buf);
    sb_free(&t->fold_buf);
}

/* The readers hand entries over as C strings. */
static void on_source_entry(void *ctx, const char *key, const char *value, int line)
{
    exact_add(ctx, key, strlen(key), value, strlen(value), line);
}

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

/*
 * map_line - one logical line of a postmap source, as mapsource's
 * on_line() reads it (with its splitter), without a copy of a line of
 * the text: a line of the text is queued, a joined line (in a buffer
 * that the next one reuses) added at once.
 */
static void map_line(struct exact *t, const char *s, size_t n, int line, int check_utf8,
		     int joined)
{
    struct mapsource_record rec;

    if (check_utf8) {
	size_t i = 0;
	while (i < n && (unsigned char) s[i] < 0x80)
	    i++;
	if (i < n && !utf8_valid(s, n))
	    return;
    }
    if (mapsource_split(s, n, &rec) != MAPSOURCE_RECORD)
	return;
    if (joined) {
	exact_flush(t);
	exact_add(t, s, rec.key_len, s + rec.value_start, rec.value_end - rec.value_start, line);
    } else {
	exact_queue(t, s, rec.key_len, s + rec.value_start, rec.value_end - rec.value_start,
		    line);
    }
}

/* count_lines - how many lines: at most one entry each, so the index is sized once */
static size_t count_lines(const char *text, size_t len)
{
    const char *end = text + len, *nl;
    size_t n = 0;

    for (const char *p = text; p < end && (nl = memchr(p, '\n', (size_t) (end - p))); p = nl + 1)
	n++;
    return n + (len > 0 && text[len - 1] != '\n');
}

/* any_high_byte - a byte >= 0x80 anywhere in text (eight at a time) */
static int any_high_byte(const char *text, size_t len)
{
    uint64_t any = 0, word;
    size_t i = 0;

    for (; i + sizeof(word) <= len; i += sizeof(word)) {
	memcpy(&word, text + i, sizeof(word));
	any |= word;
    }
    for (; i < len; i++)
	any |= (unsigned char) text[i];
    return (any & 0x8080808080808080u) != 0;
}

/*
 * read_map_fast - mapsource_read() over text already in memory, with
 * cfline's logical lines (a line that starts with text, joined with the
 * indented lines after it; blank and comment lines dropped even between
 * them; indented text before the first such line dropped), and no copy
 * of a line that is not joined: the same entries, without the lexer,
 * the parser and two allocations a line (0.4 s less for a million
 * lines, most of a build). Records are split by mapsource_split(), the
 * format's one splitter. Returns -1 for text with a NUL byte, which the
 * shared reader gets instead. PFC_BUILD_SLOW_READER (tests) sends
 * everything there, to prove both read the same.
 *
 * XXX The logical-line rule is cfline's, written a second time here: the
 * flex/bison reader copies every line twice and cannot go this fast.
 */
static int read_map_fast(struct exact *t, const char *text, size_t len, int utf8)
{
    const char *end = text + len, *cur = NULL;
    size_t cur_len = 0;
    int cur_line = 0, lineno = 0, joined = 0, started = 0;
    struct strbuf join = STRBUF_INIT;

    if (getenv("PFC_BUILD_SLOW_READER") != NULL || memchr(text, 0, len) != NULL)
	return -1;
    /* Without a byte >= 0x80 no line needs the UTF-8 check. */
    int check_utf8 = utf8 && any_high_byte(text, len);

    for (const char *p = text; p < end;) {
	const char *eol = memchr(p, '\n', (size_t) (end - p));
	const char *le = eol ? eol : end, *q = p;
	lineno++;
	while (q < le && is_ws((unsigned char) *q))
	    q++;
	if (q == le || *q == '#') {
	    /* blank or comment: gone, even inside a logical line */
	} else if (q > p) {
	    /* indented text: continues the logical line, if one started */
	    if (started) {
		if (!joined) {
		    sb_reset(&join);
		    sb_addn(&join, cur, cur_len);
		    joined = 1;
		}
		sb_addn(&join, p, (size_t) (le - p));
	    }
	} else {
	    if (started)
		map_line(t, joined ? join.s : cur, joined ? join.len : cur_len, cur_line,
			 check_utf8, joined);
	    started = 1;
	    joined = 0;
	    cur = p;
	    cur_len = (size_t) (le - p);
	    cur_line = lineno;
	}
	p = eol ? eol + 1 : end;
    }
    if (started)
	map_line(t, joined ? join.s : cur, joined ? join.len : cur_len, cur_line, check_utf8,
		 joined);
    exact_flush(t);
    sb_free(&join);
    return 0;
}

/* quiet - readers' warnings are pfc check's to give: none during a build */
static void discard_warning(void *ctx, const char *message)
{
    (void) ctx;
    (void) message;
}

/*
 * read_source_text - the entries of a source's bytes: aliases(5) as
 * pfc alias reads them, else postmap's format as pfc map (or texthash)
 * reads it. Returns -1 on a read error.
 */
static int read_source_text(struct build *b, struct exact *t, const char *path,
			    const char *text, size_t len, int aliases, int texthash)
{
    int status = 0;

    if (!aliases && read_map_fast(t, text, len, b->utf8) == 0)
	return 0;
    FILE *fp = len > 0 ? fmemopen((void *) text, len, "r") : fopen("/dev/null", "r");
    if (fp == NULL)
	return -1;
    diag_set_warning_hook(discard_warning, NULL);
    if (aliases)
	status = aliases_read_stream(fp, path, b->utf8 ? ALIASES_UTF8 : 0,
				     on_source_entry, t) < 0 ? -1 : 0;
    else
	status = mapsource_read(fp, path, MAPSOURCE_QUIET | (b->utf8 ? MAPSOURCE_UTF8 : 0)
				| (texthash ? MAPSOURCE_TEXTHASH : 0), on_source_entry, t);
    diag_set_warning_hook(NULL, NULL);
    fclose(fp);
    return status;
}

/* read_file - a whole regular file; NULL with errno */
static char *read_file(const char *path, size_t *len)
{
    struct stat st;
    struct strbuf text = STRBUF_INIT;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0)
	return NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
	close(fd);
	errno = EINVAL;
	return NULL;
    }
    close(fd);
    if (sb_read_file(&text, path) < 0) {
	int saved = errno;
	sb_free(&text);
	errno = saved;
	return NULL;
    }
    *len = text.len;
    sb_addn(&text, "", 0);
    return sb_detach(&text);
}

/* compile_source - an exact table from the bytes of its source */
static int compile_source(struct build *b, struct img_table *rec, const char *path,
			  const char *text, size_t len, int aliases, int texthash)
{
    struct exact t;
    size_t lines = count_lines(text, len);

    /* An entry a line: room for them at once, not by doubling. */
    if (b->entries_cap < b->nentries + lines + 1) {
	b->entries_cap = b->nentries + lines + 1;
	b->entries = xrealloc(b->entries, b->entries_cap * sizeof(*b->entries));
    }
    exact_begin(&t, b, lines + (aliases ? 1 : 0));
    if (read_source_text(b, &t, path, text, len, aliases, texthash) < 0) {
	fprintf(stderr, "pfc: build: read %s: %s\n", path, strerror(errno));
	b->failed = 1;
    }
    if (aliases) {
	/* postalias stores this sentinel after the entries. */
	exact_add(&t, "@", 1, "@", 1, 0);
	rec->flags |= IMG_TABLE_ALIASES;
    }
    exact_end(&t, rec);
    return b->failed ? -1 : 0;
}

/* A .db entry, for sorting. */
struct pair {
    char *key;
    char *value;
};

static int compare_pairs(const void *a, const void *b)
{
    return strcmp(((const struct pair *) a)->key, ((const struct pair *) b)->key);
}

/*
 * compile_dict - an exact table read through dict_open(): a .db whose
 * source is not there, or an inline: table. Its entries sorted by key
 * (a .db has no source order); keys a folding lookup cannot reach (the
 * NIS keys postalias stores unfolded) are left out, as are keys and
 * values a UTF-8 lookup refuses.
 */
static int compile_dict(struct build *b, struct img_table *rec, const char *spec, int report)
{
    char *err = NULL;
    struct pair *pairs = NULL;
    size_t npairs = 0, cap = 0;
    const char *key, *value;
    struct strbuf fold_buf = STRBUF_INIT;
    struct dict fold = { .flags = b->fold_flags };
    int status;

    diag_set_warning_hook(discard_warning, NULL);
    struct dict *dict = dict_open(spec, DICT_READ, b->fold_flags, &err);
    diag_set_warning_hook(NULL, NULL);
    if (dict == NULL) {
	if (report) {
	    fprintf(stderr, "pfc: build: %s: %s\n", spec, err);
	    b->failed = 1;
	}
	free(err);
	return -1;
    }
    if (dict->sequence != NULL) {
	for (int first = 1; (status = dict->sequence(dict, first, &key, &value)) == DICT_FOUND;
	     first = 0) {
	    if (*key == 0 || strcmp(dict_fold(&fold, key, &fold_buf), key) != 0)
		continue;
	    if (b->utf8 && (!utf8_valid(key, strlen(key)) || !utf8_valid(value, strlen(value))))
		continue;
	    GROW(pairs, npairs, cap);
	    pairs[npairs].key = xstrdup(key);
	    pairs[npairs++].value = xstrdup(value);
	}
	if (status == DICT_FAIL) {
	    fprintf(stderr, "pfc: build: %s: %s\n", spec,
		    dict->error && *dict->error ? dict->error : "read error");
	    b->failed = 1;
	}
    }
    (void) dict_close(dict, &err);
    free(err);
    if (npairs > 1)
	qsort(pairs, npairs, sizeof(*pairs), compare_pairs);
    struct exact t;
    exact_begin(&t, b, npairs);
    for (size_t i = 0; i < npairs; i++) {
	exact_add(&t, pairs[i].key, strlen(pairs[i].key), pairs[i].value,
		  strlen(pairs[i].value), 0);
	free(pairs[i].key);
	free(pairs[i].value);
    }
    free(pairs);
    sb_free(&fold_buf);
    exact_end(&t, rec);
    return b->failed ? -1 : 0;
}

/*
 * compile_file_table - hash, btree, texthash: from the source (the bytes
 * the linter kept, else read now); a hash or btree without source from
 * its .db; EXTERNAL when there is neither (only a default names it, and
 * the linter does not look at defaults).
 */
static int compile_file_table(struct build *b, struct img_table *rec, uint32_t *source,
			      const char *spec, const char *type, const char *name)
{
    char *opened = sysroot_path(name);
    const struct check_source *kept = check_source_find(b->cx, opened);
    int texthash = strcmp(type, "texthash") == 0;
    int aliases = !texthash && check_is_alias_table(b->cx, spec);
    size_t len = 0;
    char *text = NULL;
    int status = 0;

    if (kept == NULL)
	text = read_file(opened, &len);
    if (kept != NULL || text != NULL) {
	const char *bytes = kept ? kept->text : text;
	struct digest_job job;
	len = kept ? kept->len : len;
	digest_start(&job, bytes, len);
	status = compile_source(b, rec, name, bytes, len, aliases, texthash);
	digest_wait(&job);
	*source = add_source(b, name, len, job.sha256);
    } else if (!texthash) {
	char *db = xconcat(opened, ".db", (char *) NULL), *db_named;
	uint32_t index;
	if (access(db, F_OK) == 0) {
	    db_named = xconcat(name, ".db", (char *) NULL);
	    if ((status = add_source_file(b, db_named, db, &index)) == 0) {
		*source = index;
		status = compile_dict(b, rec, spec, 1);
		if (aliases)
		    rec->flags |= IMG_TABLE_ALIASES;
	    }
	    free(db_named);
	} else {
	    rec->kind = IMG_TABLE_EXTERNAL;
	}
	free(db);
    } else {
	rec->kind = IMG_TABLE_EXTERNAL;
    }
    free(text);
    free(opened);
    return status;
}

/* ------------------------------------------------------------ rule tables */

/* What pat_load_observed() showed of each rule it kept. */
struct seen_rule {
    char *pattern[2];
    unsigned options[2];
};

struct rule_scan {
    struct seen_rule *v;
    size_t n, cap;
};

static void observe_rule(void *ctx, const struct pat_seen *seen)
{
    struct rule_scan *scan = ctx;

    if (!seen->kept)
	return;
    GROW(scan->v, scan->n, scan->cap);
    struct seen_rule *r = &scan->v[scan->n++];
    memset(r, 0, sizeof(*r));
    for (size_t i = 0; i < seen->npatterns && i < 2; i++) {
	r->pattern[i] = xstrndup(seen->where->text + seen->pattern[i].offset,
				 seen->pattern[i].len);
	r->options[i] = seen->pattern[i].options;
    }
}

/* image_options - the engine's option bits as the image's own */
static uint32_t image_options(const struct pat_syntax *syntax, unsigned options)
{
    static const struct {
	const char *kind;
	int letter;
	uint32_t bit;
    } letters[] = {
	{"regexp", 'i', IMG_REGEXP_ICASE}, {"regexp", 'x', IMG_REGEXP_EXTENDED},
	{"regexp", 'm', IMG_REGEXP_NEWLINE},
	{"pcre", 'i', IMG_PCRE_CASELESS}, {"pcre", 'm', IMG_PCRE_MULTILINE},
	{"pcre", 's', IMG_PCRE_DOTALL}, {"pcre", 'x', IMG_PCRE_EXTENDED},
	{"pcre", 'A', IMG_PCRE_ANCHORED}, {"pcre", 'E', IMG_PCRE_DOLLAR_ENDONLY},
	{"pcre", 'U', IMG_PCRE_UNGREEDY},
    };
    struct pat_where where = { syntax->kind, "", 0 };
    uint32_t result = 0;

    /* Each flag letter toggles one engine bit: ask the engine which. */
    for (size_t i = 0; i < sizeof(letters) / sizeof(letters[0]); i++) {
	unsigned bit = 0;
	if (strcmp(letters[i].kind, syntax->kind) == 0
	    && syntax->flag(&where, letters[i].letter, &bit) == 0 && (options & bit))
	    result |= letters[i].bit;
    }
    return result;
}

/* add_rules - the rules of list as RULE and PIEC records */
static void add_rules(struct build *b, struct img_table *rec, const struct pat_list *list,
		      const struct seen_rule *seen, const struct pat_syntax *syntax)
{
    rec->a = (uint32_t) b->nrules;
    rec->b = (uint32_t) list->nrules;
    for (size_t i = 0; i < list->nrules; i++) {
	const struct pat_rule *r = &list->rules[i];
	GROW(b->rules, b->nrules, b->rules_cap);
	struct img_rule *out = &b->rules[b->nrules++];
	memset(out, 0, sizeof(*out));
	out->line = (uint32_t) r->line;
	out->op = r->op == PAT_MATCH ? IMG_RULE_MATCH : r->op == PAT_IF ? IMG_RULE_IF
	    : IMG_RULE_ENDIF;
	if (r->op != PAT_ENDIF) {
	    out->flags = r->match ? 0 : IMG_RULE_NEGATE;
	    out->pattern = pool_intern(&b->pool, seen[i].pattern[0]);
	    out->options = syntax ? image_options(syntax, seen[i].options[0]) : 0;
	}
	if (r->op == PAT_MATCH && seen[i].pattern[1] != NULL) {
	    out->flags |= IMG_RULE_HAS2 | (r->match2 ? 0 : IMG_RULE_NEGATE2);
	    out->pattern2 = pool_intern(&b->pool, seen[i].pattern[1]);
	    out->options2 = image_options(syntax, seen[i].options[1]);
	}
	if (r->op == PAT_IF)
	    out->next = (uint32_t) (r->endif == PAT_NO_ENDIF ? list->nrules : r->endif + 1);
	if (r->op == PAT_MATCH) {
	    out->result = pool_intern(&b->pool, r->text ? r->text : "");
	    out->max_group = (uint32_t) r->max_sub;
	    out->pieces_first = (uint32_t) b->npieces;
	    out->pieces_count = (uint32_t) (r->pieces ? r->npieces : 0);
	    for (size_t k = 0; r->pieces && k < r->npieces; k++) {
		GROW(b->pieces, b->npieces, b->pieces_cap);
		b->pieces[b->npieces++] = (struct img_piece) {
		    (uint32_t) r->pieces[k].group, (uint32_t) r->pieces[k].offset,
		    (uint32_t) r->pieces[k].len,
		};
	    }
	    if (out->pieces_count == 0)
		out->pieces_first = 0;
	}
    }
}

static void free_seen(struct rule_scan *scan)
{
    for (size_t i = 0; i < scan->n; i++) {
	free(scan->v[i].pattern[0]);
	free(scan->v[i].pattern[1]);
    }
    free(scan->v);
}

/* compile_patterns - regexp: and pcre: through pattern_source's reader */
static int compile_patterns(struct build *b, struct img_table *rec, uint32_t *source,
			    const char *type, const char *name)
{
    const struct pat_syntax *syntax = strcmp(type, "regexp") == 0 ? &dict_regexp_syntax
	: &dict_pcre_syntax;
    char *opened = *name == '{' ? xstrdup(name) : sysroot_path(name);
    struct pat_list list;
    struct rule_scan scan = { NULL, 0, 0 };
    char *err = NULL;
    int status = 0;

    if (*name != '{' && add_source_file(b, name, opened, source) < 0) {
	free(opened);
	return -1;
    }
    memset(&list, 0, sizeof(list));
    diag_set_warning_hook(discard_warning, NULL);
    int loaded = pat_load_observed(&list, syntax, opened, observe_rule, &scan, &err);
    diag_set_warning_hook(NULL, NULL);
    if (loaded != 0) {
	fprintf(stderr, "pfc: build: %s:%s: %s\n", type, name, err ? err : "cannot be read");
	b->failed = 1;
	status = -1;
    } else if (scan.n != list.nrules) {
	diag_fatal("internal error: %s:%s: %zu rules seen, %zu kept", type, name, scan.n,
		   list.nrules);
    } else {
	rec->kind = strcmp(type, "regexp") == 0 ? IMG_TABLE_REGEXP : IMG_TABLE_PCRE;
	add_rules(b, rec, &list, scan.v, syntax);
    }
    free(err);
    pat_list_free(&list, syntax->free_expr);
    free_seen(&scan);
    free(opened);
    return status;
}

/* compile_cidr - cidr: through dict_cidr's reader, which keeps each rule's text */
static int compile_cidr(struct build *b, struct img_table *rec, uint32_t *source,
			const char *spec, const char *name)
{
    char *opened = *name == '{' ? xstrdup(name) : sysroot_path(name);
    struct pat_list list;
    struct rule_scan seen = { NULL, 0, 0 };
    char *err = NULL;
    int status = 0;

    if (*name != '{' && add_source_file(b, name, opened, source) < 0) {
	free(opened);
	return -1;
    }
    memset(&list, 0, sizeof(list));
    diag_set_warning_hook(discard_warning, NULL);
    int loaded = cidr_load(&list, opened, &err);
    diag_set_warning_hook(NULL, NULL);
    if (loaded != 0) {
	fprintf(stderr, "pfc: build: %s: %s\n", spec, err ? err : "cannot be read");
	b->failed = 1;
	status = -1;
    } else {
	for (size_t i = 0; i < list.nrules; i++) {
	    const struct cidr_rule *r = list.rules[i].expr;
	    GROW(seen.v, seen.n, seen.cap);
	    memset(&seen.v[seen.n], 0, sizeof(seen.v[seen.n]));
	    if (r != NULL)
		seen.v[seen.n].pattern[0] = xstrdup(r->pattern);
	    seen.n++;
	}
	rec->kind = IMG_TABLE_CIDR;
	add_rules(b, rec, &list, seen.v, NULL);
    }
    free(err);
    pat_list_free(&list, free);
    free_seen(&seen);
    free(opened);
    return status;
}

/* ------------------------------------------------------------ tables */

static uint32_t table_index(const struct build *b, const char *spec)
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
    if (!brace_group(name)) {
	rec->kind = IMG_TABLE_EXTERNAL;
	return;
    }
    char *inner = xstrndup(name + 1, strlen(name) - 2), *cp = inner;
    size_t first = b->nrefs;
    for (char *item; (item = str_tokq(&cp, CHARS_COMMA_SP)) != NULL;) {
	if (strchr(item, ':') == NULL || !strmap_has(&b->specs, item)) {
	    b->nrefs = first;
	    rec->kind = IMG_TABLE_EXTERNAL;
	    free(inner);
	    return;
	}
	GROW(b->refs, b->nrefs, b->refs_cap);
	b->refs[b->nrefs++] = table_index(b, item);
    }
    free(inner);
    if (b->nrefs == first) {
	rec->kind = IMG_TABLE_EXTERNAL;
	return;
    }
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

/* compile_table - TABL record i, and what its kind needs */
static int compile_table(struct build *b, size_t i)
{
    const char *spec = b->table_specs[i];
    struct img_table *rec = &b->tables[i];
    uint32_t *source = &b->table_source[i];
    const char *colon = strchr(spec, ':');
    int status = 0;

    memset(rec, 0, sizeof(*rec));
    rec->spec = pool_intern(&b->pool, spec);
    *source = IMG_NONE;
    rec->kind = IMG_TABLE_EXTERNAL;
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
	status = compile_patterns(b, rec, source, type, name);
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

/* ------------------------------------------------------------ layout */

static void put_bytes(struct strbuf *out, const void *data, size_t len)
{
    sb_addn(out, data, len);
}

static void align8(struct strbuf *out)
{
    static const char zeros[IMG_ALIGN];

    if (out->len % IMG_ALIGN)
	sb_addn(out, zeros, IMG_ALIGN - out->len % IMG_ALIGN);
}

struct layout {
    struct img_section sections[NSECTIONS];
    size_t n;
};

static void section(struct layout *l, struct strbuf *out, uint32_t tag, const void *data,
		    size_t len)
{
    align8(out);
    l->sections[l->n].tag = tag;
    l->sections[l->n].reserved = 0;
    l->sections[l->n].offset = out->len;
    l->sections[l->n].length = len;
    l->n++;
    if (len > 0)
	put_bytes(out, data, len);
}

static void setting_out(struct build *b, const struct setting_rec *rec,
			struct img_setting *out)
{
    out->name = pool_intern(&b->pool, rec->name);
    out->raw = pool_intern(&b->pool, rec->raw);
    out->expanded = pool_intern(&b->pool, rec->expanded);
    out->origin = rec->origin;
    out->line = rec->line;
    out->flags = rec->flags;
    out->refs_first = rec->refs_count ? (uint32_t) rec->refs_first : 0;
    out->refs_count = (uint32_t) rec->refs_count;
}

static int compare_programs(const void *a, const void *b)
{
    const struct program_rec *pa = a, *pb = b;
    int c = strcmp(pa->name, pb->name);

    if (c != 0)
	return c;
    return pa->service < pb->service ? -1 : pa->service > pb->service;
}

static int compare_sources(const void *a, const void *b)
{
    return strcmp(((const struct source *) a)->path, ((const struct source *) b)->path);
}

/* program_index - the program named name for service, else main.cf's; IMG_NONE */
static uint32_t program_index(const struct build *b, const char *name, uint32_t service)
{
    uint32_t found = IMG_NONE;

    for (size_t i = 0; i < b->nprograms; i++) {
	const struct program_rec *p = &b->programs[i];
	if (strcmp(p->name, name) != 0)
	    continue;
	if (p->service == service)
	    return (uint32_t) i;
	if (p->service == IMG_NONE)
	    found = (uint32_t) i;
    }
    return found;
}

/*
 * write_image - the records of everything compiled, their strings
 * interned, then the sections after the pool, the section table and the
 * header without its content id and checksum (image_seal's).
 */
static void write_image(struct build *b)
{
    struct check *cx = b->cx;
    struct strbuf *out = b->out;

    /* SRCS, sorted by path; tables name their source by its new index. */
    uint32_t *renumber = xcalloc(b->nsources + 1, sizeof(*renumber));
    struct source *sorted = xcalloc(b->nsources + 1, sizeof(*sorted));
    memcpy(sorted, b->sources, b->nsources * sizeof(*sorted));
    if (b->nsources > 1)
	qsort(sorted, b->nsources, sizeof(*sorted), compare_sources);
    for (size_t i = 0; i < b->nsources; i++)
	renumber[(size_t) (uintptr_t) strmap_get(&b->source_index, sorted[i].path) - 1]
	    = (uint32_t) i;
    struct img_source *srcs = xcalloc(b->nsources + 1, sizeof(*srcs));
    for (size_t i = 0; i < b->nsources; i++) {
	srcs[i].path = pool_intern(&b->pool, sorted[i].path);
	srcs[i].size = sorted[i].size;
	memcpy(srcs[i].sha256, sorted[i].sha256, 32);
    }
    for (size_t i = 0; i < b->ntables; i++)
	b->tables[i].source = b->table_source[i] == IMG_NONE ? IMG_NONE
	    : renumber[b->table_source[i]];

    struct img_setting *params = xcalloc(b->nparams + 1, sizeof(*params));
    for (size_t i = 0; i < b->nparams; i++)
	setting_out(b, &b->params[i], &params[i]);
    struct img_setting *overrides = xcalloc(b->noverrides + 1, sizeof(*overrides));
    for (size_t i = 0; i < b->noverrides; i++)
	setting_out(b, &b->overrides[i], &overrides[i]);

    struct img_service *services = xcalloc(cx->nservices + 1, sizeof(*services));
    struct strbuf command = STRBUF_INIT;
    for (size_t i = 0; i < cx->nservices; i++) {
	const struct master_entry *e = cx->services[i].entry;
	struct img_service *s = &services[i];
	s->name = pool_intern(&b->pool, e->argv[MF_SERVICE]);
	s->type = pool_intern(&b->pool, e->argv[MF_TYPE]);
	s->private_ = pool_intern(&b->pool, e->argv[MF_PRIVATE]);
	s->unpriv = pool_intern(&b->pool, e->argv[MF_UNPRIV]);
	s->chroot = pool_intern(&b->pool, e->argv[MF_CHROOT]);
	s->wakeup = pool_intern(&b->pool, e->argv[MF_WAKEUP]);
	s->maxproc = pool_intern(&b->pool, e->argv[MF_MAXPROC]);
	/* The command and its arguments, without the -o options. */
	sb_reset(&command);
	sb_adds(&command, e->argv[MF_COMMAND]);
	int options = 1;
	for (size_t a = MASTER_MIN_FIELDS; a < e->argc; a++) {
	    const char *arg = e->argv[a];
	    if (options && (arg[0] != '-' || strcmp(arg, "--") == 0))
		options = 0;
	    if (options && strcmp(arg, "-o") == 0 && a + 1 < e->argc) {
		a++;
		continue;
	    }
	    sb_addch(&command, ' ');
	    sb_adds(&command, arg);
	}
	s->command = pool_intern(&b->pool, sb_str(&command));
	s->line = (uint32_t) e->line;
	s->overrides_first = (uint32_t) b->service_overrides[i];
	s->overrides_count = (uint32_t) (b->service_overrides[i + 1] - b->service_overrides[i]);
	if (s->overrides_count == 0)
	    s->overrides_first = 0;
    }
    sb_free(&command);

    /* PROG sorted by (name, service); INSN runs in that order. */
    if (b->nprograms > 1)
	qsort(b->programs, b->nprograms, sizeof(*b->programs), compare_programs);
    struct img_program *programs = xcalloc(b->nprograms + 1, sizeof(*programs));
    struct img_insn *insns = xcalloc(b->ninsns + 1, sizeof(*insns));
    size_t ninsns = 0;
    for (size_t i = 0; i < b->nprograms; i++) {
	const struct program_rec *p = &b->programs[i];
	programs[i].name = pool_intern(&b->pool, p->name);
	programs[i].service = p->service;
	programs[i].line = p->line;
	programs[i].insns_first = p->count ? (uint32_t) ninsns : 0;
	programs[i].insns_count = (uint32_t) p->count;
	for (size_t k = 0; k < p->count; k++) {
	    const struct insn_rec *in = &b->insns[p->first + k];
	    struct img_insn *o = &insns[ninsns++];
	    o->op = in->op;
	    o->line = in->line;
	    o->flags = in->flags;
	    switch (in->op == RESTR_NONE ? RARG_DOMAIN : restriction_def(in->op)->arg) {
	    case RARG_TABLE:
		o->arg = table_index(b, in->arg);
		break;
	    case RARG_DOMAIN:
	    case RARG_ENDPOINT:
		o->arg = pool_intern(&b->pool, in->arg);
		break;
	    case RARG_NUMBER:
		o->arg = in->number;
		break;
	    case RARG_CLASS:
		o->arg = program_index(b, in->arg, p->service);
		if (o->arg == IMG_NONE) {
		    /* no such class after all: smtpd answers 451 */
		    o->op = RESTR_NONE;
		    o->arg = pool_intern(&b->pool, in->arg);
		}
		break;
	    case RARG_NONE:
		break;
	    }
	}
    }

    /* The pool is complete: it ends with a NUL, as every string does. */
    size_t pool_len = out->len - POOL_BASE;
    struct layout l = { .n = 0 };
    l.sections[l.n++] = (struct img_section) { IMG_SEC_STRINGS, 0, POOL_BASE, pool_len };
    section(&l, out, IMG_SEC_SOURCES, srcs, b->nsources * sizeof(*srcs));
    section(&l, out, IMG_SEC_PARAMS, params, b->nparams * sizeof(*params));
    section(&l, out, IMG_SEC_SERVICES, services, cx->nservices * sizeof(*services));
    section(&l, out, IMG_SEC_OVERRIDES, overrides, b->noverrides * sizeof(*overrides));
    section(&l, out, IMG_SEC_TABLES, b->tables, b->ntables * sizeof(*b->tables));
    section(&l, out, IMG_SEC_REFS, b->refs, b->nrefs * sizeof(*b->refs));
    section(&l, out, IMG_SEC_ENTRIES, b->entries, b->nentries * sizeof(*b->entries));
    section(&l, out, IMG_SEC_SLOTS, b->slots, b->nslots * sizeof(*b->slots));
    section(&l, out, IMG_SEC_RULES, b->rules, b->nrules * sizeof(*b->rules));
    section(&l, out, IMG_SEC_PIECES, b->pieces, b->npieces * sizeof(*b->pieces));
    section(&l, out, IMG_SEC_PROGRAMS, programs, b->nprograms * sizeof(*programs));
    section(&l, out, IMG_SEC_INSNS, insns, ninsns * sizeof(*insns));
    align8(out);

    struct img_header h;
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, IMG_MAGIC, IMG_MAGIC_SIZE);
    h.major = IMG_VERSION_MAJOR;
    h.minor = IMG_VERSION_MINOR;
    h.header_size = sizeof(h);
    h.file_size = out->len;
    h.section_table = sizeof(h);
    h.section_count = NSECTIONS;
    h.flags = 0;
    memcpy(out->s + sizeof(h), l.sections, sizeof(l.sections));
    memcpy(out->s, &h, sizeof(h));

    free(renumber);
    free(sorted);
    free(srcs);
    free(params);
    free(overrides);
    free(services);
    free(programs);
    free(insns);
}

/* ------------------------------------------------------------ driver */

static void free_build(struct build *b)
{
    for (size_t i = 0; i < b->nsources; i++)
	free(b->sources[i].path);
    free(b->sources);
    strmap_free(&b->source_index, NULL);
    for (size_t i = 0; i < b->nparams; i++) {
	free(b->params[i].raw);
	free(b->params[i].expanded);
    }
    free(b->params);
    for (size_t i = 0; i < b->noverrides; i++) {
	free(b->overrides[i].raw);
	free(b->overrides[i].expanded);
    }
    free(b->overrides);
    free(b->service_overrides);
    for (size_t i = 0; i < b->npending; i++)
	free(b->pending[i]);
    free(b->pending);
    for (size_t i = 0; i < b->nprograms; i++)
	free(b->programs[i].name);
    free(b->programs);
    for (size_t i = 0; i < b->ninsns; i++) {
	free(b->insns[i].arg);
    }
    free(b->insns);
    strmap_free(&b->specs, NULL);
    free(b->table_specs);
    free(b->tables);
    free(b->table_source);
    free(b->refs);
    free(b->entries);
    free(b->slots);
    free(b->rules);
    free(b->pieces);
    free(b->pool.index);
    free(b->mydomain);
}

/* print_findings - pfc check's text output, on stderr */
static void print_findings(const struct check *cx)
{
    int saved = dup(STDOUT_FILENO);

    fflush(stdout);
    if (saved < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
	fprintf(stderr, "pfc: build: the configuration has errors; run pfc check\n");
	if (saved >= 0)
	    close(saved);
	return;
    }
    check_print(cx, "text");
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
}

/* compile - everything after the linter found no error */
static int compile(struct build *b)
{
    struct check *cx = b->cx;
    char *smtputf8 = check_value(cx, "smtputf8_enable");
    uint32_t index;

    b->utf8 = smtputf8 != NULL && strcasecmp(smtputf8, "yes") == 0;
    free(smtputf8);
    b->fold_flags = DICT_FLAG_FOLD | (b->utf8 ? DICT_FLAG_UTF8 : 0);

    /* The image's strings go straight into place after the section table. */
    sb_reset(b->out);
    sb_grow(b->out, POOL_BASE + 65536);
    memset(b->out->s, 0, POOL_BASE);
    b->out->len = POOL_BASE;
    pool_init(&b->pool, b->out, 4096);

    char *named = xconcat(cx->config_dir, "/main.cf", (char *) NULL);
    int status = add_source_file(b, named, cx->main_path, &index);
    free(named);
    if (status == 0 && cx->master_path != NULL) {
	named = xconcat(cx->config_dir, "/master.cf", (char *) NULL);
	status = add_source_file(b, named, cx->master_path, &index);
	free(named);
    }
    if (status < 0)
	return 2;

    collect_params(b);
    collect_overrides(b);
    collect_programs(b);

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

    /* A big table: room for its strings up front, not by doubling. */
    size_t kept = 0;
    for (size_t i = 0; i < b->ntables; i++) {
	const char *colon = strchr(b->table_specs[i], ':');
	if (colon == NULL)
	    continue;
	char *opened = sysroot_path(colon + 1);
	const struct check_source *src = check_source_find(cx, opened);
	if (src != NULL)
	    kept += src->len;
	free(opened);
    }
    sb_grow(b->out, kept + kept / 8);

    b->tables = xcalloc(b->ntables + 1, sizeof(*b->tables));
    b->table_source = xcalloc(b->ntables + 1, sizeof(*b->table_source));
    for (size_t i = 0; i < b->ntables; i++)
	if (compile_table(b, i) != 0)
	    return 2;
    write_image(b);
    return 0;
}

void image_seal(struct strbuf *out)
{
    struct img_header h;

    memcpy(&h, out->s, sizeof(h));
    sha256_digest(out->s + h.section_table, out->len - h.section_table, h.content_id);
    memcpy(out->s, &h, sizeof(h));
    h.checksum = XXH64(out->s + IMG_CHECKSUM_FROM, out->len - IMG_CHECKSUM_FROM, 0);
    memcpy(out->s, &h, sizeof(h));
}

int image_compile(const char *config_dir, struct strbuf *out)
{
    int status = image_compile_body(config_dir, out);

    if (status == 0)
	image_seal(out);
    return status;
}

int image_compile_body(const char *config_dir, struct strbuf *out)
{
    static const char *const db_rules[] = { "db-missing", "db-stale", "db-foreign" };
    struct check cx;
    struct build b;
    int status;

    check_init(&cx);
    /* The image is compiled from the sources: Postfix's own .db files do not matter. */
    for (size_t i = 0; i < sizeof(db_rules) / sizeof(db_rules[0]); i++)
	strmap_put(&cx.rule_state, db_rules[i], (void *) "off");
    cx.for_build = 1;
    if (check_load(&cx, config_dir) < 0) {
	check_free(&cx);
	return 2;
    }
    check_run(&cx);
    if (check_errors(&cx) > 0) {
	print_findings(&cx);
	check_free(&cx);
	return 1;
    }

    memset(&b, 0, sizeof(b));
    b.cx = &cx;
    b.out = out;
    strmap_init(&b.source_index);
    strmap_init(&b.specs);
    status = compile(&b);
    free_build(&b);
    check_free(&cx);
    return status;
}
