/*
 * maps - maps_find() and mail_addr_find() over the image's tables (see
 * maps.h). The probe keys are lookup_order.c's; this adds what a daemon
 * adds around them: the query forms of an address (quoted, then as it
 * is), the unmatched extension, the empty-answer rule, the failure of
 * resolve_local() in the middle of a search, and the trace.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr822.h"
#include "diag.h"
#include "maps.h"
#include "matchlist.h"
#include "strbuf.h"
#include "trace.h"
#include "xalloc.h"

/* One view's settings, read once (the view's memo). */
struct maps_memo {
    int ready;
    const char *recipient_delimiter;
    const char *null_access_key;
    const char *myorigin;
    const char *double_bounce_sender;
    int owner_request_special;
    int utf8;
    int parent_transport;	/* transport_maps in parent_domain_matches_subdomains */
    int parent_access;		/* smtpd_access_maps in it */
};

/* What is_local() needs: the session and the view whose mydestination counts. */
struct local_ctx {
    struct session *s;
    const struct policy *view;
    int failed;			/* resolve_local() failed */
};

/* A probe key in its query form, and where it came from. */
enum key_role { ROLE_FULL, ROLE_BARE, ROLE_LP_FULL, ROLE_LP_BARE, ROLE_DOMAIN, ROLE_PLAIN };

/* The session's working space. */
struct maps_scratch {
    struct image_lookup_buf buf;
    struct lo_keys keys;	/* lo_build()'s keys */
    struct lo_key *query;	/* the keys in their query forms ... */
    enum key_role *roles;	/* ... and where each came from */
    size_t nquery, capquery;
    struct strbuf text;		/* the query keys' texts, one after another */
    struct strbuf matched;	/* the key that answered */
    struct strbuf extension;	/* its unmatched extension */
    struct strbuf note;		/* a trace note being formatted */
    struct local_ctx local;	/* maps_settings()'s is_local context */
};

/* The tables of one search, for lo_run(). */
struct run {
    struct session *s;
    const uint32_t *tables;
};

static struct maps_scratch *scratch(struct session *s)
{
    if (s->scratch == NULL)
	s->scratch = xcalloc(1, sizeof(*s->scratch));
    return s->scratch;
}

void maps_scratch_free(struct maps_scratch *sc)
{
    if (sc == NULL)
	return;
    image_lookup_done(&sc->buf);
    lo_keys_free(&sc->keys);
    free(sc->query);
    free(sc->roles);
    sb_free(&sc->text);
    sb_free(&sc->matched);
    sb_free(&sc->extension);
    sb_free(&sc->note);
    free(sc);
}

void maps_note(struct session *s, const char *fmt, ...)
{
    va_list ap;

    if (s->trace == NULL || s->trace->note == NULL)
	return;
    struct maps_scratch *sc = scratch(s);
    sb_reset(&sc->note);
    va_start(ap, fmt);
    sb_vprintf(&sc->note, fmt, ap);
    va_end(ap);
    s->trace->note(s->trace->ctx, sb_str(&sc->note));
}

/* memo - view's settings, read on first use */
static const struct maps_memo *memo(const struct policy *view)
{
    struct maps_memo *m = policy_memo(view, MEMO_MAPS, sizeof(*m), free);

    if (m->ready)
	return m;
    m->ready = 1;
    m->recipient_delimiter = policy_value(view, "recipient_delimiter");
    m->null_access_key = policy_value(view, "smtpd_null_access_lookup_key");
    m->myorigin = policy_value(view, "myorigin");
    m->double_bounce_sender = policy_value(view, "double_bounce_sender");
    m->owner_request_special = policy_bool(view, "owner_request_special");
    m->utf8 = policy_bool(view, "smtputf8_enable");
    const char *pdms = policy_value(view, "parent_domain_matches_subdomains");
    m->parent_transport = lo_name_in_list(pdms, "transport_maps");
    m->parent_access = lo_name_in_list(pdms, "smtpd_access_maps");
    return m;
}

int maps_table_is_pattern(const struct image *img, uint32_t table)
{
    const struct img_table *tb = &img->tables[table];

    switch (tb->kind) {
    case IMG_TABLE_REGEXP:
    case IMG_TABLE_PCRE:
    case IMG_TABLE_CIDR:
    case IMG_TABLE_FAIL:
	return 1;
    case IMG_TABLE_UNION:
    case IMG_TABLE_PIPE:
	/* dict_union, dict_pipe: the first member decides. */
	return tb->b > 0 && maps_table_is_pattern(img, img->refs[tb->a]);
    default:
	return 0;
    }
}

/* lookup_error - maps_find()'s warning about a table that failed */
static void lookup_error(struct session *s, uint32_t table, const char *key)
{
    const struct image *img = s->policy->img;

    maps_note(s, "%s lookup error for \"%s\"", image_str(img, img->tables[table].spec), key);
}

/* report - one probe to the trace; value is the answer, or a failure's message */
static void report(struct session *s, uint32_t table, const char *key,
		   enum trace_probe_result result, const char *value, uint32_t line)
{
    if (s->trace == NULL || s->trace->probe == NULL)
	return;
    const struct image *img = s->policy->img;
    s->trace->probe(s->trace->ctx, image_str(img, img->tables[table].spec), key, result,
		    value, line);
}

int maps_probe(struct session *s, uint32_t table, const char *key, const char **value)
{
    struct maps_scratch *sc = scratch(s);

    sc->buf.accounts = s->accounts;
    int status = image_lookup(s->policy->img, table, key, value, &sc->buf);

    if (s->trace != NULL) {
	if (status == IMAGE_FOUND) {
	    report(s, table, key, PROBE_HIT, *value, sc->buf.line);
	} else if (status == IMAGE_NOTFOUND) {
	    report(s, table, key, PROBE_MISS, NULL, 0);
	} else {
	    report(s, table, key, PROBE_FAIL, sc->buf.error, 0);
	    lookup_error(s, table, key);
	}
    }
    return status;
}

/* empty_answer - maps_find()'s rule: an empty answer is a configuration error */
static void empty_answer(struct session *s, const char *title, const char *key)
{
    maps_note(s, "%s lookup of %s returns an empty string result", title, key);
    maps_note(s, "%s should return NO RESULT in case of NOT FOUND", title);
}

/* find_tables - maps_find() over tables, title naming them in messages */
static int find_tables(struct session *s, const char *title, const uint32_t *tables,
		       uint32_t count, const char *key, int fixed_only, const char **value)
{
    const struct image *img = s->policy->img;

    *value = NULL;
    if (*key == 0)
	return MAPS_NOTFOUND;
    for (uint32_t i = 0; i < count; i++) {
	if (fixed_only && maps_table_is_pattern(img, tables[i])) {
	    report(s, tables[i], key, PROBE_SKIP, NULL, 0);
	    continue;
	}
	int status = maps_probe(s, tables[i], key, value);
	if (status == IMAGE_NOTFOUND)
	    continue;
	if (status == IMAGE_FAIL) {
	    *value = NULL;
	    return MAPS_FAIL;
	}
	if (**value == 0) {
	    empty_answer(s, title ? title : image_str(img, img->tables[tables[i]].spec), key);
	    *value = NULL;
	    return MAPS_FAIL;
	}
	return MAPS_FOUND;
    }
    return MAPS_NOTFOUND;
}

int maps_find_tables(struct session *s, const uint32_t *tables, uint32_t count,
		     const char *key, int fixed_only, const char **value)
{
    return find_tables(s, NULL, tables, count, key, fixed_only, value);
}

int maps_find(struct session *s, const char *param, const char *key, const char **value)
{
    uint32_t count;
    const uint32_t *tables = policy_tables(s->policy, param, &count);

    return find_tables(s, param, tables, count, key, 0, value);
}

/* ------------------------------------------------------------ settings */

/* is_local - lo_settings.is_local: resolve_local() in the context's view */
static int is_local(const char *domain, void *ctx)
{
    struct local_ctx *lc = ctx;
    int rc = match_local_domain(lc->s, lc->view, domain);

    if (rc < 0) {
	lc->failed = 1;
	return 0;
    }
    return rc;
}

/* fill_settings - view's settings, with ctx for is_local */
static void fill_settings(const struct policy *view, struct lo_settings *settings,
			  int parent_style, struct local_ctx *ctx)
{
    const struct maps_memo *m = memo(view);

    lo_settings_init(settings);
    settings->recipient_delimiter = m->recipient_delimiter;
    settings->parent_matches_subdomains = parent_style;
    settings->null_access_key = m->null_access_key;
    settings->myorigin = m->myorigin;
    settings->owner_request_special = m->owner_request_special;
    settings->double_bounce_sender = m->double_bounce_sender;
    settings->utf8 = m->utf8;
    settings->is_local = is_local;
    settings->local_ctx = ctx;
}

void maps_settings_in(struct session *s, const struct policy *view,
		      struct lo_settings *settings, int parent_style)
{
    struct maps_scratch *sc = scratch(s);

    sc->local = (struct local_ctx) { s, view, 0 };
    fill_settings(view, settings, parent_style, &sc->local);
}

void maps_settings(struct session *s, struct lo_settings *settings, int parent_style)
{
    maps_settings_in(s, s->policy, settings, parent_style);
}

/* ------------------------------------------------------------- searches */

static int run_pattern(void *ctx, size_t i)
{
    const struct run *r = ctx;

    return maps_table_is_pattern(r->s->policy->img, r->tables[i]);
}

static enum lo_outcome run_lookup(void *ctx, size_t i, const char *key,
				  const char **value, const char **error)
{
    struct run *r = ctx;
    struct maps_scratch *sc = scratch(r->s);

    sc->buf.accounts = r->s->accounts;
    switch (image_lookup(r->s->policy->img, r->tables[i], key, value, &sc->buf)) {
    case IMAGE_FOUND:
	return LO_HIT;
    case IMAGE_NOTFOUND:
	return LO_MISS;
    default:
	*error = sc->buf.error;
	return LO_FAIL;
    }
}

static void run_report(void *ctx, const struct lo_probe *probe)
{
    struct run *r = ctx;
    uint32_t table = r->tables[probe->table];
    const char *key = probe->key->text;

    switch (probe->outcome) {
    case LO_MISS:
	report(r->s, table, key, PROBE_MISS, NULL, 0);
	break;
    case LO_SKIP:
	report(r->s, table, key, PROBE_SKIP, NULL, 0);
	break;
    case LO_HIT:
	report(r->s, table, key, PROBE_HIT, probe->value, scratch(r->s)->buf.line);
	break;
    case LO_EMPTY:
	report(r->s, table, key, PROBE_FAIL, "", scratch(r->s)->buf.line);
	break;
    case LO_FAIL:
	report(r->s, table, key, PROBE_FAIL, probe->error, 0);
	lookup_error(r->s, table, key);
	break;
    }
}

/* add_query - one key of the search as it is sent to the tables */
static void add_query(struct maps_scratch *sc, size_t text_off, int partial, enum key_role role)
{
    if (sc->nquery == sc->capquery) {
	sc->capquery = sc->capquery ? 2 * sc->capquery : 16;
	sc->query = xrealloc(sc->query, sc->capquery * sizeof(*sc->query));
	sc->roles = xrealloc(sc->roles, sc->capquery * sizeof(*sc->roles));
    }
    /* Texts move as the buffer grows: offsets now, pointers at the end. */
    sc->query[sc->nquery].text = (char *) (uintptr_t) text_off;
    sc->query[sc->nquery].partial = partial;
    sc->roles[sc->nquery] = role;
    sc->nquery++;
}

/* same_prefix - is key the first len bytes of text, and nothing more? */
static int same_prefix(const char *key, const char *text, size_t len)
{
    return text != NULL && strlen(key) == len && strncmp(key, text, len) == 0;
}

/* role_of - where key i of lo_build()'s search for addr comes from */
static enum key_role role_of(size_t i, const char *key, const char *addr,
			     const char *bare, enum lo_kind kind)
{
    const char *at = strrchr(addr, '@');
    const char *bare_at = bare ? strrchr(bare, '@') : NULL;

    if (i == 0)
	return ROLE_FULL;
    if (*key == '@')
	return ROLE_DOMAIN;
    if (bare != NULL && strcmp(key, bare) == 0)
	return ROLE_BARE;
    if (kind == LO_ADDRESS && at != NULL) {
	if (same_prefix(key, addr, (size_t) (at - addr)))
	    return ROLE_LP_FULL;
	if (bare_at != NULL && same_prefix(key, bare, (size_t) (bare_at - bare)))
	    return ROLE_LP_BARE;
    }
    return ROLE_PLAIN;
}

/*
 * query_keys - find_addr()'s query forms of lo_build()'s keys: a key with
 * a local part goes quoted first (external form) and, unless the query
 * is external only, as it is after that when quoting changed it.
 */
static void query_keys(struct maps_scratch *sc, const char *addr, const char *bare,
		       enum lo_kind kind, int query)
{
    sc->nquery = 0;
    sb_reset(&sc->text);
    for (size_t i = 0; i < sc->keys.count; i++) {
	const struct lo_key *k = &sc->keys.keys[i];
	enum key_role role = role_of(i, k->text, addr, bare, kind);
	size_t off = sc->text.len;

	if (role == ROLE_DOMAIN || role == ROLE_PLAIN) {
	    sb_adds(&sc->text, k->text);
	    sb_addn(&sc->text, "", 1);
	    add_query(sc, off, k->partial, role);
	    continue;
	}
	unsigned flags = A822_QUOTE_8BITCLEAN
	    | (role == ROLE_LP_FULL || role == ROLE_LP_BARE ? A822_QUOTE_BARE_LOCALPART : 0);
	int quoted = a822_needs_quote(k->text, flags);
	if (quoted)
	    a822_quote_local(&sc->text, k->text, flags);
	else
	    sb_adds(&sc->text, k->text);
	sb_addn(&sc->text, "", 1);
	add_query(sc, off, k->partial, role);
	if (quoted && query == MAPS_QUERY_EXTERNAL_FIRST) {
	    off = sc->text.len;
	    sb_adds(&sc->text, k->text);
	    sb_addn(&sc->text, "", 1);
	    add_query(sc, off, k->partial, role);
	}
    }
    for (size_t i = 0; i < sc->nquery; i++)
	sc->query[i].text = sc->text.s + (uintptr_t) sc->query[i].text;
}

/* reset_keys - drop lo_build()'s keys, keep the room they had */
static void reset_keys(struct lo_keys *keys)
{
    keys->count = 0;
    sb_reset(&keys->texts);
}

/*
 * search - lo_build() and lo_run() over tables of view for kind: the
 * answer, and in sc->extension the unmatched extension when the key that
 * answered had it stripped. is_local() failures count as Postfix counts
 * them: once the full and extension-less address missed, the search has
 * failed.
 */
static int search(struct session *s, const struct policy *view, const char *title,
		  const uint32_t *tables, uint32_t count, enum lo_kind kind, int query,
		  const char *address, const char **value, int *extended)
{
    struct maps_scratch *sc = scratch(s);
    const struct maps_memo *m = memo(view);
    struct local_ctx ctx = { s, view, 0 };
    struct lo_settings settings;
    const char *err, *addr;
    char *bare = NULL;
    int parent = kind == LO_TRANSPORT ? m->parent_transport
	: kind == LO_ADDRESS ? 1 : m->parent_access;

    *value = NULL;
    *extended = 0;
    if (count == 0 && kind == LO_ADDRESS) {
	/*
	 * No table (an unset canonical_maps): nothing can be found, and no
	 * key need be made. mail_addr_find() still asks resolve_local() of
	 * a domain that is not $myorigin, as the keys below would, and a
	 * failure there fails the search.
	 */
	const char *at = strrchr(address, '@');
	if (at != NULL && strcasecmp(at + 1, m->myorigin) != 0
	    && is_local(at + 1, &ctx) == 0 && ctx.failed) {
	    maps_note(s, "%s: the mydestination lookup failed", address);
	    return MAPS_FAIL;
	}
	return MAPS_NOTFOUND;
    }
    fill_settings(view, &settings, parent, &ctx);
    reset_keys(&sc->keys);
    if (kind == LO_ADDRESS && *address == 0) {
	/* mail_addr_find() looks the null address up in its quoted form only. */
	if (sc->keys.cap == 0)
	    sc->keys.keys = xmalloc((sc->keys.cap = 1) * sizeof(*sc->keys.keys));
	sb_set(&sc->keys.texts, "\"\"");
	sc->keys.keys[0].text = sc->keys.texts.s;
	sc->keys.keys[0].partial = 0;
	sc->keys.count = 1;
    } else if (lo_build(&sc->keys, kind, address, &settings, &err) < 0) {
	maps_note(s, "%s: %s", address, err);
	return MAPS_FAIL;
    }
    /* The full address as the search has it (transport: qualified). */
    addr = sc->keys.count ? sc->keys.keys[0].text : address;
    /* Access lookups (and the null address): the keys as they are, each ROLE_PLAIN. */
    int as_built = !((kind == LO_ADDRESS || kind == LO_TRANSPORT) && *address != 0);
    if (!as_built) {
	bare = lo_strip_extension(addr, &settings);
	query_keys(sc, addr, bare, kind, query);
    }
    struct lo_keys keys = as_built ? (struct lo_keys) { sc->keys.keys, sc->keys.count,
							   sc->keys.cap, STRBUF_INIT }
	: (struct lo_keys) { sc->query, sc->nquery, sc->capquery, STRBUF_INIT };

    /*
     * resolve_local() failed: Postfix goes no further than the full and
     * the extension-less address, which come first.
     */
    if (ctx.failed) {
	size_t k = 0;
	while (!as_built && k < keys.count
	       && (sc->roles[k] == ROLE_FULL || sc->roles[k] == ROLE_BARE))
	    k++;
	keys.count = k;
    }
    struct run r = { s, tables };
    struct lo_tables search_tables = { count, run_pattern, run_lookup, &r };
    struct lo_probe last;
    enum lo_outcome outcome = lo_run(&keys, &search_tables, run_report, &r, &last);
    enum key_role role = outcome == LO_MISS || as_built ? ROLE_PLAIN
	: sc->roles[last.key - sc->query];
    int status;

    if (ctx.failed && outcome == LO_MISS) {
	maps_note(s, "%s: the mydestination lookup failed", addr);
	status = MAPS_FAIL;
    } else if (outcome == LO_HIT) {
	*value = last.value;
	sb_set(&sc->matched, last.key->text);
	if (bare != NULL && (role == ROLE_BARE || role == ROLE_LP_BARE)) {
	    /* The extension: what the stripped local part lacks, delimiter first. */
	    const char *at = strrchr(addr, '@'), *bare_at = strrchr(bare, '@');
	    size_t lp = at ? (size_t) (at - addr) : strlen(addr);
	    size_t bare_lp = bare_at ? (size_t) (bare_at - bare) : strlen(bare);
	    sb_reset(&sc->extension);
	    sb_addn(&sc->extension, addr + bare_lp, lp - bare_lp);
	    *extended = 1;
	}
	status = MAPS_FOUND;
    } else if (outcome == LO_EMPTY) {
	empty_answer(s, title ? title
		     : image_str(view->img, view->img->tables[tables[last.table]].spec),
		     last.key->text);
	status = MAPS_FAIL;
    } else {
	status = outcome == LO_FAIL ? MAPS_FAIL : MAPS_NOTFOUND;
    }
    free(bare);
    return status;
}

int maps_addr_find(struct session *s, const char *param, const uint32_t *tables,
		   uint32_t count, enum lo_kind kind, const char *address,
		   const char **value, const char **matched_key)
{
    int extended;

    if (param != NULL)
	tables = policy_tables(s->policy, param, &count);
    int status = search(s, s->policy, param, tables, count, kind, MAPS_QUERY_EXTERNAL_FIRST,
			address, value, &extended);
    if (matched_key != NULL)
	*matched_key = status == MAPS_FOUND ? sb_str(&scratch(s)->matched) : NULL;
    return status;
}

int maps_addr_find_in(struct session *s, const struct policy *view, const char *param,
		      enum lo_kind kind, int query, const char *address,
		      const char **value, const char **extension)
{
    uint32_t count;
    const uint32_t *tables = policy_tables(view, param, &count);
    int extended;
    int status = search(s, view, param, tables, count, kind, query, address, value,
			&extended);

    if (extension != NULL)
	*extension = extended ? sb_str(&scratch(s)->extension) : NULL;
    return status;
}
