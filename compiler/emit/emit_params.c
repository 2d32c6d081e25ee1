/*
 * emit_params - the model's resolver (model.h) as the image needs it: a
 * value as a daemon sees it (main.cf over Postfix's defaults) or as one
 * master.cf service sees it (under its -o overrides), with $name
 * expanded by Postfix's rules (expand.h), and what the host decides kept
 * apart. The one place the writer expands a value; its interface is
 * emit.h's params_*().
 *
 * What the build host would decide is kept out of the image, so that it
 * is the same whatever machine builds it: myhostname, mydomain and
 * mynetworks when main.cf leaves them to the host, and the process's own
 * name and id. params_split() expands a value with a marker in place of
 * each of those, then cuts it at the markers into pieces (image.h,
 * HOST): a runtime joins them with its own host's values, no expander
 * needed. What a join cannot give is refused (split_value.problem):
 *
 *   $x, ${x}, $(x)      a host piece: joined at run time;
 *   ${x?t}, ${x:t}      decided here: the host's values are never empty
 *                       (Postfix computes myhostname, mydomain and
 *                       mynetworks or refuses to start), so ? takes t
 *                       and : does not;
 *   {a} OP {b}          a comparison of a host value cannot be decided
 *                       here nor joined there: refused, with the fix
 *                       (set the parameter in main.cf). It is found by
 *                       counting: every $x of a host value leaves its
 *                       marker in the result, unless a comparison ate it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "emit.h"
#include "expand.h"
#include "registry.h"
#include "xalloc.h"

#define HOST_MAX_DEPTH 8	/* $myhostname naming $mydomain naming ... */
#define MARK '\001'		/* brackets a host value's kind: "\001" "1" "\001" */

/*
 * A view of the parameters: main.cf over the defaults (svc NULL), or what
 * one master.cf service sees under its -o overrides. With split, the
 * host's values expand to markers; else to nothing.
 */
struct view {
    struct build *b;
    const struct model_service *svc;
    int split;
    int depth;
    int host;			/* a host value was consulted */
    unsigned uses[IMG_HOST_KIND_MAX + 1];	/* $x of a host value, by kind */
    int clash;			/* a value read holds the MARK byte */
};

/* host_kind - the host piece of a parameter Postfix computes on its host */
static uint32_t host_kind(const char *name)
{
    static const struct { const char *name; uint32_t kind; } kinds[] = {
	{ "myhostname", IMG_HOST_MYHOSTNAME }, { "mydomain", IMG_HOST_MYDOMAIN },
	{ "mynetworks", IMG_HOST_MYNETWORKS }, { "process_name", IMG_HOST_PROCESS_NAME },
	{ "process_id", IMG_HOST_PROCESS_ID },
    };

    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
	if (strcmp(kinds[i].name, name) == 0)
	    return kinds[i].kind;
    diag_fatal("internal error: the image has no host piece for %s", name);
}

/* marker - the MARK bracket of a kind */
static const char *marker(uint32_t kind)
{
    static const char *const marks[] = {
	"\001" "0" "\001", "\001" "1" "\001", "\001" "2" "\001", "\001" "3" "\001",
	"\001" "4" "\001", "\001" "5" "\001",
    };

    return marks[kind];
}

static int host_dependent(const struct view *v, const char *name);

/* view_raw - the unexpanded value of name in the view, or NULL; *kind: a host value's */
static const char *view_raw(const struct view *v, const char *name, uint32_t *kind)
{
    const struct model *m = v->b->m;
    const char *value = model_set(m, v->svc, name);
    const struct param_def *def;

    *kind = 0;
    if (value != NULL)
	return value;
    if ((def = registry_find(name)) == NULL)
	return NULL;
    if (def->flags & PFLAG_HOST) {
	if (host_dependent(v, name)) {
	    *kind = host_kind(name);
	    return "";
	}
	/* mydomain, from a myhostname the view sets: the same on every host */
	return model_raw(m, v->svc, name);
    }
    return def->defval;
}

/*
 * view_lookup - expand()'s lookup: a host value is its marker (split, or
 * when tested: never empty), else nothing
 */
static const char *view_lookup(const char *name, int mode, void *ctx)
{
    struct view *v = ctx;
    uint32_t kind;
    const char *value = view_raw(v, name, &kind);

    if (kind == 0) {
	if (value != NULL && strchr(value, MARK) != NULL)
	    v->clash = 1;
	return value;
    }
    v->host = 1;
    if (mode == EXPAND_MODE_TEST)
	return marker(kind);
    if (!v->split)
	return "";
    v->uses[kind]++;
    return marker(kind);
}

/*
 * view_expand - raw with $name expanded in the view (a copy of raw when
 * it does not expand: the linter reports that, *failed says so).
 * Warnings are the linter's business: none here.
 */
static char *view_expand(struct view *v, const char *raw, int *failed)
{
    struct strbuf buf = STRBUF_INIT;

    check_capture_begin(v->b->cx, NULL, NULL);
    int status = expand(&buf, raw, EXPAND_RECURSE, view_lookup, v);
    check_capture_end(v->b->cx);
    *failed = (status & EXPAND_ERROR) != 0;
    if (*failed) {
	sb_free(&buf);
	return xstrdup(raw);
    }
    return sb_detach(&buf);
}

char *params_value(struct build *b, const struct model_service *svc, const char *name)
{
    struct view v = { b, svc, 0, 0, 0, { 0 }, 0 };
    uint32_t kind;
    const char *raw = view_raw(&v, name, &kind);
    const struct param_def *def = registry_find(name);
    int failed;

    if (raw == NULL)
	return NULL;
    if (def != NULL && (def->flags & PFLAG_RAW))
	return xstrdup(raw);
    return view_expand(&v, raw, &failed);
}

/*
 * host_dependent - does name, unset in the view, take its value from the
 * host? myhostname, mynetworks and the process's own names always;
 * mydomain when it comes from a myhostname that does (Postfix derives
 * it from the myhostname the daemon reads).
 */
static int host_dependent(const struct view *v, const char *name)
{
    const char *hostname = model_set(v->b->m, v->svc, "myhostname");
    int failed;

    if (strcmp(name, "mydomain") != 0)
	return 1;
    if (hostname == NULL || v->depth >= HOST_MAX_DEPTH)
	return 1;
    struct view inner = { v->b, v->svc, 0, v->depth + 1, 0, { 0 }, 0 };
    free(view_expand(&inner, hostname, &failed));
    return inner.host;
}

const char *params_default(struct build *b, const char *name, int *host)
{
    struct view v = { b, NULL, 0, 0, 0, { 0 }, 0 };
    uint32_t kind;

    check_capture_begin(b->cx, NULL, NULL);
    const char *raw = view_raw(&v, name, &kind);
    check_capture_end(b->cx);

    *host = kind != 0;
    return raw;
}

static void add_piece(struct split_value *out, size_t *cap, uint32_t kind, const char *text,
		      size_t len)
{
    GROW(out->pieces, out->npieces, *cap);
    out->pieces[out->npieces].kind = kind;
    out->pieces[out->npieces++].text = xstrndup(text, len);
}

/* refusal - why a value the image cannot hold is refused */
static char *refusal(uint32_t kind, int clash)
{
    static const char *const names[] = {
	"", "myhostname", "mydomain", "mynetworks", "process_name", "process_id",
    };
    struct strbuf msg = STRBUF_INIT;

    if (clash) {
	sb_adds(&msg, "the value holds a \\x01 byte, which pfc build cannot tell from its"
		" marks of the host's values");
    } else {
	sb_printf(&msg, "a relational expression ({a} == {b}, ...) compares $%s, which %s;"
		  " an image cannot hold a value that depends on that comparison", names[kind],
		  kind >= IMG_HOST_PROCESS_NAME ? "each process has its own"
		  : "the host decides (main.cf does not set it)");
	if (kind < IMG_HOST_PROCESS_NAME)
	    sb_printf(&msg, ": set %s in main.cf", names[kind]);
    }
    return sb_detach(&msg);
}

void params_split(struct build *b, const struct model_service *svc, const char *raw,
		  struct split_value *out)
{
    struct view v = { b, svc, 1, 0, 0, { 0 }, strchr(raw, MARK) != NULL };
    unsigned seen[IMG_HOST_KIND_MAX + 1] = { 0 }, uses = 0;
    int failed;
    char *text = view_expand(&v, raw, &failed);

    memset(out, 0, sizeof(*out));
    for (uint32_t k = 1; k <= IMG_HOST_KIND_MAX; k++)
	uses += v.uses[k];
    if (failed || uses == 0) {
	out->text = text;	/* no marker in it */
	return;
    }
    if (v.clash) {
	out->problem = refusal(0, 1);
	out->text = text;
	return;
    }
    /* Cut at the markers: literal text, then a host value, ... */
    struct strbuf plain = STRBUF_INIT;
    size_t cap = 0;
    const char *p = text;
    for (const char *m; (m = strchr(p, MARK)) != NULL; p = m + 3) {
	uint32_t kind = (uint32_t) (m[1] - '0');
	if (m > p)
	    add_piece(out, &cap, IMG_HOST_TEXT, p, (size_t) (m - p));
	sb_addn(&plain, p, (size_t) (m - p));
	add_piece(out, &cap, kind, "", 0);
	if (kind == IMG_HOST_MYHOSTNAME || kind == IMG_HOST_MYDOMAIN) {
	    /* the domain a host name without a dot gets: the view's mydomain as set */
	    check_capture_begin(b->cx, NULL, NULL);
	    char *domain = model_set_value(b->m, svc, "mydomain");
	    check_capture_end(b->cx);
	    free(out->pieces[out->npieces - 1].text);
	    out->pieces[out->npieces - 1].text = domain ? domain : xstrdup("");
	}
	seen[kind]++;
    }
    if (*p != 0)
	add_piece(out, &cap, IMG_HOST_TEXT, p, strlen(p));
    sb_adds(&plain, p);
    free(text);
    out->text = sb_detach(&plain);
    for (uint32_t k = 1; k <= IMG_HOST_KIND_MAX; k++)
	if (seen[k] < v.uses[k] && out->problem == NULL)
	    out->problem = refusal(k, 0);
}

void split_value_free(struct split_value *sv)
{
    free(sv->text);
    for (size_t i = 0; i < sv->npieces; i++)
	free(sv->pieces[i].text);
    free(sv->pieces);
    free(sv->problem);
    memset(sv, 0, sizeof(*sv));
}
