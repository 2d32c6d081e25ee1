/*
 * check_restrictions - the rules for the SMTP server's restriction lists
 * (SPEC 13): every smtpd_*_restrictions list and restriction class, as
 * main.cf sets it and as each smtpd service of master.cf overrides it.
 *
 * The restrictions, what each takes after it and how smtpd reads a list
 * are runtime/policy/restriction.h's (the engine runs the same table);
 * this file says what Postfix 3.7's smtpd_check.c makes of each element:
 * generic_checks() (what answers "451 4.3.5 Server configuration
 * error"), smtpd_check_parse() and policy_client_register() (start-up
 * fatals) and has_required() (the relay guard). smtpd accepts every
 * restriction in every list, so there is no rule about stages; only a
 * bare type:table needs a list with a default check_*_access.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "restriction.h"
#include "strbuf.h"
#include "textutil.h"
#include "xalloc.h"

/* A restriction class is evaluated with its caller's default: any will do. */
#define CLASS_DEF_ACL RESTR_CALLER_ACCESS

/* list_default_access - what a bare type:table means in the list param */
static enum restriction_id list_default_access(const char *param)
{
    const struct restriction_list_def *list = restriction_list_find(param);

    return list != NULL ? list->default_access : CLASS_DEF_ACL;
}

/* ------------------------------------------------------------ word lists */

/* A list split as smtpd splits it: CHARS_COMMA_SP, { } groups kept whole. */
void words_split(struct words *w, const char *text, int braces)
{
    char *cp, *word;

    w->buf = xstrdup(text ? text : "");
    w->v = NULL;
    w->n = 0;
    cp = w->buf;
    for (;;) {
	if (braces) {
	    word = str_tokq(&cp, CHARS_COMMA_SP);
	} else {
	    /* smtpd_restriction_classes: plain mystrtok, no { } groups */
	    cp += strspn(cp, CHARS_COMMA_SP);
	    word = *cp ? cp : NULL;
	    cp += strcspn(cp, CHARS_COMMA_SP);
	    if (*cp)
		*cp++ = 0;
	}
	if (word == NULL)
	    break;
	w->v = xrealloc(w->v, (w->n + 1) * sizeof(*w->v));
	w->v[w->n++] = word;
    }
}

void words_free(struct words *w)
{
    free(w->buf);
    free(w->v);
}

/* ------------------------------------------------------------ contexts */

/*
 * What one smtpd process sees: main.cf (svc NULL), or main.cf under the
 * -o overrides of one master.cf smtpd service.
 */
struct context {
    struct check *cx;
    const struct model_service *svc;
    struct words classes;	/* names in smtpd_restriction_classes */
};

static char *context_value(struct context *ctx, const char *name)
{
    return ctx->svc ? check_service_value(ctx->cx, ctx->svc, name)
	: check_value(ctx->cx, name);
}

static void context_init(struct context *ctx, struct check *cx,
			 const struct model_service *svc)
{
    ctx->cx = cx;
    ctx->svc = svc;
    char *classes = context_value(ctx, "smtpd_restriction_classes");
    words_split(&ctx->classes, classes, 0);
    free(classes);
}

/* is_class - is name a restriction class (smtpd looks classes up case-sensitively) */
static int is_class(const struct context *ctx, const char *name)
{
    for (size_t i = 0; i < ctx->classes.n; i++)
	if (strcmp(ctx->classes.v[i], name) == 0)
	    return 1;
    return 0;
}

/* ------------------------------------------------------------ positions */

/*
 * Where a setting's value is written: a main.cf line, or one -o argument
 * of a master.cf line. Words are located by finding them in the written
 * text; a word that came from a $name expansion points at the value.
 */
struct place {
    const char *path;
    const struct cf_logical_line *where;
    size_t value_off;		/* the value in where->text */
    size_t value_end;
    size_t cursor;		/* where to look for the next word */
};

static int is_word_edge(int ch)
{
    return ch == 0 || strchr(CHARS_COMMA_SP "{}=", ch) != NULL;
}

/* place_word - the offset of word in the written value, from the cursor on */
static size_t place_word(struct place *pl, const char *word)
{
    const char *text = pl->where->text;
    size_t len = strlen(word);

    for (size_t at = pl->cursor; at + len <= pl->value_end; at++) {
	if (strncmp(text + at, word, len) != 0)
	    continue;
	if ((at > pl->value_off && !is_word_edge(text[at - 1]))
	    || (at + len < pl->value_end && !is_word_edge(text[at + len])))
	    continue;
	pl->cursor = at + len;
	return at;
    }
    return pl->value_off;
}

static void place_main(struct place *pl, const struct check *cx,
		       const struct model_setting *s)
{
    pl->path = cx->m->main_path;
    pl->where = s->where;
    pl->value_off = pl->cursor = s->value_off;
    pl->value_end = s->where->len;
}

static void place_override(struct place *pl, const struct check *cx,
			   const struct model_service *svc, const struct model_override *o)
{
    const struct master_entry *e = svc->entry;

    pl->path = cx->m->master_path;
    pl->where = e->where;
    pl->value_off = pl->cursor = o->value_off;
    pl->value_end = e->where->len;
    /* Stop at the next master.cf argument: the value is one word. */
    for (size_t a = 0; a + 1 < e->argc; a++)
	if (e->argoff[a] <= o->name_off && e->argoff[a + 1] > o->value_off) {
	    pl->value_end = e->argoff[a + 1];
	    break;
	}
}

/* ------------------------------------------------------------ one list */

/* check_table_word - a check_*_access table: "type:name" or "{type:name, search=...}" */
static void check_table_word(struct context *ctx, struct place *pl, const char *param,
			     const char *word, size_t off)
{
    if (word[0] == '{') {
	/* A map search list (3.7): the table is the group's first element. */
	struct words inner;
	char *copy = xstrdup(word);
	char *bp = copy;
	char *err = extract_braces(&bp, 1);
	if (err == NULL) {
	    words_split(&inner, bp, 1);
	    if (inner.n > 0 && strchr(inner.v[0], ':') != NULL)
		check_table_ref(ctx->cx, inner.v[0], TABLE_ANY, ROLE_ACCESS, param,
				pl->path, pl->where, off);
	    words_free(&inner);
	}
	free(err);
	free(copy);
	return;
    }
    check_table_ref(ctx->cx, word, TABLE_ANY, ROLE_ACCESS, param, pl->path, pl->where, off);
}

/* check_policy_word - the endpoint of check_policy_service, as smtpd opens it at start-up */
static void check_policy_word(struct context *ctx, struct place *pl, const char *param,
			      const char *word, size_t off)
{
    char *copy = xstrdup(word);
    char *endpoint = copy;
    struct words inner = { 0 };

    if (word[0] == '{') {
	char *err = extract_braces(&endpoint, 1);
	if (err != NULL) {
	    free(err);
	    free(copy);
	    return;
	}
	words_split(&inner, endpoint, 1);
	endpoint = inner.n > 0 ? inner.v[0] : "";
    }
    const char *colon = strchr(endpoint, ':');
    if (colon == NULL || colon == endpoint || colon[1] == 0) {
	struct finding *f = check_report(ctx->cx, "restriction-argument", pl->path,
					 pl->where, off,
					 "%s: check_policy_service needs transport:endpoint,"
					 " not \"%s\"", param, endpoint);
	finding_postfix(f, "need service transport:endpoint instead of \"%s\"", endpoint);
	finding_fix(f, "write the policy server as inet:host:port or unix:private/name");
    } else {
	size_t tlen = (size_t) (colon - endpoint);
	if (!((tlen == 4 && strncmp(endpoint, "inet", 4) == 0)
	      || (tlen == 4 && strncmp(endpoint, "unix", 4) == 0)
	      || (tlen == 5 && strncmp(endpoint, "local", 5) == 0))) {
	    struct finding *f = check_report(ctx->cx, "restriction-argument", pl->path,
					     pl->where, off,
					     "%s: check_policy_service: unknown transport"
					     " \"%.*s\" (inet, unix or local)", param,
					     (int) tlen, endpoint);
	    finding_postfix(f, "invalid transport name: %.*s in service: %s",
			    (int) tlen, endpoint, endpoint);
	    finding_fix(f, "write the policy server as inet:host:port or unix:private/name");
	}
    }
    if (word[0] == '{')
	words_free(&inner);
    free(copy);
}

static int context_is_class(void *ctx, const char *word)
{
    return is_class(ctx, word);
}

/* report_unknown - a word smtpd answers with "451 4.3.5 Server configuration error" */
static void report_unknown(struct context *ctx, struct place *pl, const char *param,
			   const char *word, size_t off)
{
    const char **names = xcalloc(RESTR_COUNT + ctx->classes.n, sizeof(*names));
    size_t n = 0;
    char *lower = xstrdup(word);

    for (unsigned id = RESTR_NONE + 1; id < RESTR_COUNT; id++)
	if (*restriction_name(id))
	    names[n++] = restriction_name(id);
    for (size_t i = 0; i < ctx->classes.n; i++)
	names[n++] = ctx->classes.v[i];
    for (char *cp = lower; *cp; cp++)
	*cp = (char) tolower((unsigned char) *cp);
    const char *hint = check_suggest(lower, names, n);
    /* Classes are case-sensitive: MyClass written as myclass is a typo too. */
    for (size_t i = 0; i < ctx->classes.n && hint == NULL; i++)
	if (strcasecmp(ctx->classes.v[i], word) == 0)
	    hint = ctx->classes.v[i];

    struct finding *f = check_report(ctx->cx, "unknown-restriction", pl->path, pl->where,
				     off, "%s: unknown restriction \"%s\"%s%s%s", param,
				     word, hint ? "; did you mean \"" : "", hint ? hint : "",
				     hint ? "\"?" : "");
    finding_postfix(f, "unknown smtpd restriction: \"%s\"", word);
    if (hint)
	finding_fix(f, "write \"%s\"", hint);
    else
	finding_fix(f, "use a restriction of postconf(5), or name a restriction class"
		    " in smtpd_restriction_classes and define it");
    free(lower);
    free(names);
}

/*
 * check_list - the words of one restriction list (param's value as ctx
 * sees it), walked the way generic_checks() walks them.
 */
static void check_list(struct context *ctx, const char *param,
		       enum restriction_id def_acl, struct place *pl)
{
    struct check *cx = ctx->cx;
    char *value = context_value(ctx, param);
    struct words w;
    int warn_if_reject = 0;	/* the entry before was warn_if_reject */
    const char *final = NULL;	/* the permit or reject that ended the list */
    int reported_unreachable = 0;

    words_split(&w, value, 1);
    free(value);
    size_t *offs = xcalloc(w.n + 1, sizeof(*offs));
    struct restriction_step *steps = xcalloc(w.n + 1, sizeof(*steps));
    for (size_t i = 0; i < w.n; i++)
	offs[i] = place_word(pl, w.v[i]);
    size_t nsteps = restriction_parse(w.v, w.n, def_acl, RESTRICTION_PARSE_LINT,
				      context_is_class, ctx, steps);
    for (size_t s = 0; s < nsteps; s++) {
	const struct restriction_step *st = &steps[s];
	const char *word = w.v[st->word];
	size_t off = offs[st->word];
	const char *next = st->word + 1 < w.n ? w.v[st->word + 1] : NULL;
	const char *arg = st->arg != RESTRICTION_NO_WORD ? w.v[st->arg] : NULL;
	size_t arg_off = st->arg != RESTRICTION_NO_WORD ? offs[st->arg] : off;
	const char *name = restriction_name(st->id);
	struct finding *f;

	if (final != NULL && !reported_unreachable) {
	    f = check_report(cx, "unreachable-restriction", pl->path, pl->where, off,
			     "%s: \"%s\" comes after \"%s\", so it never runs",
			     param, word, final);
	    finding_postfix(f, "restriction `%s' after `%s' is ignored", word, final);
	    finding_fix(f, "move \"%s\" before \"%s\", or delete it", word, final);
	    reported_unreachable = 1;
	}
	if (st->implicit) {
	    if (st->problem == RP_NO_DEFAULT_ACCESS) {
		f = check_report(cx, "restriction-argument", pl->path, pl->where, off,
				 "%s: table \"%s\" without a check_*_access"
				 " restriction before it", param, word);
		finding_postfix(f, "specify one of (check_client_access,"
				" check_reverse_client_hostname_access, check_helo_access,"
				" check_sender_access, check_recipient_access,"
				" check_etrn_access) before %s restriction \"%s\"",
				strcmp(param, "smtpd_data_restrictions") == 0
				? "Data command" : "End-of-data", word);
		finding_fix(f, "write the restriction that looks the table up before it,"
			    " e.g. check_client_access %s", word);
	    }
	    /* smtpd opens it at start-up either way. */
	    check_table_word(ctx, pl, param, word, off);
	    warn_if_reject = 0;
	    continue;
	}
	if (st->id == RESTR_NONE || st->id == RESTR_CLASS) {
	    if (st->problem == RP_UNKNOWN)
		report_unknown(ctx, pl, param, word, off);
	    warn_if_reject = 0;
	    continue;
	}
	const struct restriction_def *def = restriction_def(st->id);
	if (st->id == RESTR_WARN_IF_REJECT) {
	    warn_if_reject = 1;
	    continue;
	}
	if ((def->flags & RF_ENDS_LIST) && (st->id == RESTR_PERMIT || !warn_if_reject))
	    final = word;
	switch (def->arg) {
	case RARG_TABLE:
	    if (st->problem == RP_NONE) {
		check_table_word(ctx, pl, param, arg, arg_off);
		break;
	    }
	    if (arg == NULL)
		f = check_report(cx, "restriction-argument", pl->path, pl->where, off,
				 "%s: %s needs a type:table after it", param, word);
	    else
		/* smtpd takes the word as the table; so do we. */
		f = check_report(cx, "restriction-argument", pl->path, pl->where, arg_off,
				 "%s: %s needs a type:table, not \"%s\"", param, word, arg);
	    /* With no word after it, smtpd names the restriction itself. */
	    finding_postfix(f, "restriction %s: bad argument \"%s\": need maptype:mapname",
			    name, next ? next : word);
	    finding_fix(f, "write the table after it, e.g. %s hash:/etc/postfix/access", name);
	    break;
	case RARG_ENDPOINT:
	    if (arg == NULL) {
		f = check_report(cx, "restriction-argument", pl->path, pl->where, off,
				 "%s: check_policy_service needs a policy server after it",
				 param);
		finding_postfix(f, "restriction check_policy_service must be followed by"
				" transport:server");
		finding_fix(f, "write the policy server after it, e.g."
			    " check_policy_service unix:private/policy");
	    } else {
		/* smtpd opens whatever follows as the policy server, at start-up. */
		check_policy_word(ctx, pl, param, arg, arg_off);
	    }
	    break;
	case RARG_NUMBER:
	    if (st->problem == RP_NONE)
		break;
	    f = check_report(cx, "restriction-argument", pl->path, pl->where, arg_off,
			     "%s: sleep needs a number of seconds after it%s%s%s", param,
			     next ? ", not \"" : "", next ? next : "", next ? "\"" : "");
	    finding_postfix(f, "restriction sleep must be followed by number");
	    finding_fix(f, "write the seconds after it, e.g. sleep 1");
	    break;
	case RARG_DOMAIN:
	    if (st->problem == RP_NONE)
		break;
	    f = check_report(cx, "rbl-domain-missing", pl->path, pl->where, off,
			     next == NULL ? "%s: %s needs the DNS list's domain after it"
			     : "%s: %s needs the DNS list's domain after it, but \"%s\""
			     " is taken as the domain", param, word, next);
	    if (next == NULL)
		finding_postfix(f, "restriction %s requires domain name argument", word);
	    finding_fix(f, "write the list's domain after it, e.g. %s zen.spamhaus.org", name);
	    break;
	default:
	    break;
	}
	warn_if_reject = 0;
    }
    free(steps);
    free(offs);
    words_free(&w);
}

/* ------------------------------------------------------------ classes */

/*
 * check_class_names - smtpd_restriction_classes as set at pl: smtpd will
 * not start when a class it names has no value.
 */
static void check_class_names(struct context *ctx, struct place *pl)
{
    for (size_t i = 0; i < ctx->classes.n; i++) {
	const char *name = ctx->classes.v[i];
	size_t off = place_word(pl, name);
	char *value = context_value(ctx, name);
	if (value == NULL || *value == 0) {
	    struct finding *f = check_report(ctx->cx, "undefined-class", pl->path,
					     pl->where, off,
					     "restriction class \"%s\" has no definition", name);
	    finding_postfix(f, "restriction class `%s' needs a definition", name);
	    finding_fix(f, "define it in main.cf as %s = RESTRICTIONS, or remove it"
			" from smtpd_restriction_classes", name);
	}
	free(value);
    }
}

/* ------------------------------------------------------------ class cycles */

static const struct model_override *override_find(const struct model_service *svc,
						  const char *name);

/*
 * class_refs - the classes a class's list names, in order, as generic_checks()
 * would reach them: a built-in restriction wins over a class of the same
 * name, and the word a restriction takes after it (a table, a domain, a
 * policy endpoint) is no class. refs[k] indexes ctx->classes.
 */
static void class_refs(struct context *ctx, const char *list, size_t **refs, size_t *n)
{
    struct words w;

    words_split(&w, list, 1);
    for (size_t i = 0; i < w.n; i++) {
	const struct restriction_def *def = restriction_find(w.v[i]);
	if (def != NULL) {
	    if (def->arg != RARG_NONE)
		i++;
	    continue;
	}
	for (size_t c = 0; c < ctx->classes.n; c++)
	    if (strcmp(ctx->classes.v[c], w.v[i]) == 0) {
		*refs = xrealloc(*refs, (*n + 1) * sizeof(**refs));
		(*refs)[(*n)++] = c;
		break;
	    }
    }
    words_free(&w);
}

/*
 * place_list_word - the offset of word as an element of the written list
 * (not inside a { } group such as inline:{strict=OK}), else the value's.
 */
static size_t place_list_word(const struct place *pl, const char *word)
{
    const char *text = pl->where->text;
    size_t len = strlen(word);
    int depth = 0;

    for (size_t at = pl->value_off; at < pl->value_end; at++) {
	if (text[at] == '{')
	    depth++;
	else if (text[at] == '}' && depth > 0)
	    depth--;
	if (depth > 0 || at + len > pl->value_end || strncmp(text + at, word, len) != 0)
	    continue;
	if ((at == pl->value_off || strchr(CHARS_COMMA_SP, text[at - 1]) != NULL)
	    && (at + len == pl->value_end || text[at + len] == 0
		|| strchr(CHARS_COMMA_SP, text[at + len]) != NULL))
	    return at;
    }
    return pl->value_off;
}

/* class_place - where class is set as ctx sees it: its -o, else its main.cf line */
static int class_place(struct context *ctx, const char *class, struct place *pl)
{
    const struct model_override *o = ctx->svc ? override_find(ctx->svc, class) : NULL;
    const struct model_setting *s = check_setting_find(ctx->cx, class);

    if (o != NULL)
	place_override(pl, ctx->cx, ctx->svc, o);
    else if (s != NULL)
	place_main(pl, ctx->cx, s);
    else
	return 0;
    return 1;
}

/*
 * report_class_cycle - the loop path[0] -> ... -> path[len-1] -> path[0],
 * at the word of the last class that names the first again. For a
 * service, only a loop one of its -o makes: main.cf's own is said once.
 */
static void report_class_cycle(struct context *ctx, const size_t *loop, size_t len)
{
    struct strbuf text = STRBUF_INIT, msg = STRBUF_INIT;
    size_t *path = xcalloc(len, sizeof(*path)), at = len - 1;
    struct place pl;

    /* In a service, the loop is its -o's: said there, at the first such class. */
    if (ctx->svc != NULL) {
	at = len;
	for (size_t i = 0; i < len && at == len; i++)
	    if (override_find(ctx->svc, ctx->classes.v[loop[i]]) != NULL)
		at = i;
	if (at == len) {
	    free(path);
	    return;
	}
    }
    /* Rotate: path[len - 1] is the class whose list closes the loop. */
    for (size_t i = 0; i < len; i++)
	path[i] = loop[(at + 1 + i) % len];
    const char *last = ctx->classes.v[path[len - 1]], *first = ctx->classes.v[path[0]];
    if (!class_place(ctx, last, &pl)) {
	free(path);
	return;
    }
    for (size_t i = 0; i < len; i++)
	sb_printf(&text, "%s -> ", ctx->classes.v[path[i]]);
    sb_adds(&text, first);
    if (len == 1)
	sb_printf(&msg, "restriction class %s names itself (%s)", last, sb_str(&text));
    else
	sb_printf(&msg, "restriction classes name each other in a loop (%s)", sb_str(&text));
    if (ctx->svc != NULL)
	sb_printf(&msg, " in service %s/%s", ctx->svc->entry->argv[MF_SERVICE],
		  ctx->svc->entry->argv[MF_TYPE]);
    struct finding *f = check_report(ctx->cx, "class-cycle", pl.path, pl.where,
				     place_list_word(&pl, first),
				     "%s: smtpd does not limit how deep classes nest, so it recurses"
				     " until it crashes (killed by signal 11): at start when it"
				     " looks there for the relay guard, else when a client reaches"
				     " the loop", sb_str(&msg));
    finding_fix(f, "break the loop: remove %s from the list of %s, or end the list"
		" before it with permit or reject", first, last);
    sb_free(&msg);
    sb_free(&text);
    free(path);
}

/*
 * check_class_cycles - classes that reach themselves through other
 * classes. Depth first, without recursion (a config may define thousands
 * of classes); each loop is reported once, when its last edge is found.
 */
static void check_class_cycles(struct context *ctx)
{
    size_t n = ctx->classes.n;
    size_t **refs = xcalloc(n + 1, sizeof(*refs)), *nrefs = xcalloc(n + 1, sizeof(*nrefs));
    size_t *stack = xcalloc(n + 1, sizeof(*stack)), *next = xcalloc(n + 1, sizeof(*next));
    char *color = xcalloc(n + 1, 1);	/* 0 new, 1 on the path, 2 done */

    for (size_t c = 0; c < n; c++) {
	char *value = restriction_find(ctx->classes.v[c]) == NULL
	    ? context_value(ctx, ctx->classes.v[c]) : NULL;
	if (value != NULL)
	    class_refs(ctx, value, &refs[c], &nrefs[c]);
	free(value);
    }
    for (size_t root = 0; root < n; root++) {
	if (color[root] != 0)
	    continue;
	size_t depth = 0;
	stack[0] = root;
	next[0] = 0;
	color[root] = 1;
	while (1) {
	    size_t u = stack[depth];
	    if (next[depth] < nrefs[u]) {
		size_t w = refs[u][next[depth]++];
		if (color[w] == 1) {
		    size_t from = depth;
		    while (stack[from] != w)
			from--;
		    report_class_cycle(ctx, stack + from, depth - from + 1);
		} else if (color[w] == 0) {
		    color[w] = 1;
		    stack[++depth] = w;
		    next[depth] = 0;
		}
		continue;
	    }
	    color[u] = 2;
	    if (depth == 0)
		break;
	    depth--;
	}
    }
    for (size_t c = 0; c < n; c++)
	free(refs[c]);
    free(refs);
    free(nrefs);
    free(stack);
    free(next);
    free(color);
}

/* ------------------------------------------------------------ relay guard */

/*
 * has_relay_guard - has_required() of smtpd_check.c: a guard before any
 * permit, classes searched recursively. Postfix does not bound the
 * recursion; depth stops a class that names itself.
 */
static int has_relay_guard(struct context *ctx, const char *list, int depth)
{
    struct words w;
    int found = 0;

    words_split(&w, list, 1);
    for (size_t i = 0; i < w.n && !found; i++) {
	const char *word = w.v[i];
	if (strcasecmp(word, "warn_if_reject") == 0 && i + 1 < w.n) {
	    i++;
	    continue;
	}
	if (strcasecmp(word, "permit") == 0)
	    break;
	const struct restriction_def *def = restriction_find(word);
	if (def != NULL && (def->flags & RF_RELAY_GUARD))
	    found = 1;
	if (!found && depth < 100 && is_class(ctx, word)) {
	    char *value = context_value(ctx, word);
	    found = value != NULL && has_relay_guard(ctx, value, depth + 1);
	    free(value);
	}
    }
    words_free(&w);
    return found;
}

static int context_has_relay_guard(struct context *ctx)
{
    char *relay = context_value(ctx, "smtpd_relay_restrictions");
    char *rcpt = context_value(ctx, "smtpd_recipient_restrictions");
    int ok = has_relay_guard(ctx, rcpt, 0) || has_relay_guard(ctx, relay, 0);

    free(relay);
    free(rcpt);
    return ok;
}

static const struct model_override *override_find(const struct model_service *svc,
						  const char *name)
{
    for (size_t i = svc->noverrides; i-- > 0;)
	if (strcmp(svc->overrides[i].name, name) == 0)
	    return &svc->overrides[i];
    return NULL;
}

static void report_relay_guard(struct check *cx, const char *path,
			       const struct cf_logical_line *where, size_t off,
			       const char *who)
{
    struct finding *f;

    if (where != NULL)
	f = check_report(cx, "relay-guard", path, where, off,
			 "%s: neither smtpd_relay_restrictions nor"
			 " smtpd_recipient_restrictions has a working relay guard;"
			 " smtpd will not start", who);
    else
	f = check_report_at(cx, "relay-guard", path, 0, 0,
			    "%s: neither smtpd_relay_restrictions nor"
			    " smtpd_recipient_restrictions has a working relay guard;"
			    " smtpd will not start", who);
    finding_postfix(f, "in parameter smtpd_relay_restrictions or"
		    " smtpd_recipient_restrictions, specify at least one working"
		    " instance of: " RESTRICTION_RELAY_GUARD_TEXT);
    finding_fix(f, "end smtpd_relay_restrictions with reject_unauth_destination,"
		" before any permit");
}

/* report_main_relay_guard - at the main.cf setting that should hold the guard */
static void report_main_relay_guard(struct check *cx)
{
    const struct model_setting *s = check_setting_find(cx, "smtpd_relay_restrictions");

    if (s == NULL)
	s = check_setting_find(cx, "smtpd_recipient_restrictions");
    if (s != NULL)
	report_relay_guard(cx, cx->m->main_path, s->where, s->value_off, "main.cf");
    else
	report_relay_guard(cx, cx->m->main_path, NULL, 0, "main.cf");
}

/* service_differs - does the service see other relay settings than main.cf? */
static int service_differs(struct context *main_ctx, struct context *ctx)
{
    static const char *const names[] = {
	"smtpd_relay_restrictions", "smtpd_recipient_restrictions",
	"smtpd_restriction_classes", "compatibility_level",
    };
    int differs = 0;

    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]) && !differs; i++) {
	char *a = context_value(main_ctx, names[i]);
	char *b = context_value(ctx, names[i]);
	differs = (a == NULL) != (b == NULL) || (a && strcmp(a, b) != 0);
	free(a);
	free(b);
    }
    for (size_t i = 0; i < ctx->classes.n && !differs; i++)
	differs = override_find(ctx->svc, ctx->classes.v[i]) != NULL;
    return differs;
}

/* ------------------------------------------------------------ driver */

static int is_smtpd_service(const struct model_service *svc)
{
    return svc->entry->argc > MF_COMMAND
	&& strcmp(svc->entry->argv[MF_COMMAND], "smtpd") == 0;
}

/* check_main_lists - the lists and classes main.cf sets */
static void check_main_lists(struct context *ctx)
{
    struct check *cx = ctx->cx;
    struct place pl;

    for (size_t i = 0; i < cx->m->nsettings; i++) {
	const struct model_setting *s = &cx->m->settings[i];
	if (!s->effective)
	    continue;
	if (s->def != NULL && s->def->kind == PKIND_RESTRICTIONS) {
	    place_main(&pl, cx, s);
	    check_list(ctx, s->name, list_default_access(s->name), &pl);
	} else if (is_class(ctx, s->name) && restriction_find(s->name) == NULL) {
	    place_main(&pl, cx, s);
	    check_list(ctx, s->name, CLASS_DEF_ACL, &pl);
	} else if (strcmp(s->name, "smtpd_restriction_classes") == 0) {
	    place_main(&pl, cx, s);
	    check_class_names(ctx, &pl);
	}
    }
}

/* check_service_lists - the -o overrides of one smtpd service */
static void check_service_lists(struct context *ctx)
{
    const struct model_service *svc = ctx->svc;
    struct place pl;

    for (size_t i = 0; i < svc->noverrides; i++) {
	const struct model_override *o = &svc->overrides[i];
	const struct param_def *def = registry_find(o->name);
	if (override_find(svc, o->name) != o)
	    continue;			/* a later -o of the same name wins */
	place_override(&pl, ctx->cx, svc, o);
	if (def != NULL && def->kind == PKIND_RESTRICTIONS)
	    check_list(ctx, o->name, list_default_access(o->name), &pl);
	else if (is_class(ctx, o->name) && restriction_find(o->name) == NULL)
	    check_list(ctx, o->name, CLASS_DEF_ACL, &pl);
	else if (strcmp(o->name, "smtpd_restriction_classes") == 0)
	    check_class_names(ctx, &pl);
    }
}

void check_restrictions(struct check *cx)
{
    struct context main_ctx;
    int main_fails = 0, main_used = cx->m->master_path == NULL;

    context_init(&main_ctx, cx, NULL);
    check_main_lists(&main_ctx);
    check_class_cycles(&main_ctx);
    for (size_t i = 0; i < cx->m->nservices; i++) {
	const struct model_service *svc = &cx->m->services[i];
	struct context ctx;
	if (!is_smtpd_service(svc))
	    continue;
	context_init(&ctx, cx, svc);
	check_service_lists(&ctx);
	check_class_cycles(&ctx);
	if (!service_differs(&main_ctx, &ctx)) {
	    main_used = 1;
	} else if (!context_has_relay_guard(&ctx)) {
	    const struct model_override *o = override_find(svc, "smtpd_relay_restrictions");
	    if (o == NULL)
		o = override_find(svc, "smtpd_recipient_restrictions");
	    char *who = xconcat("master.cf service ", svc->entry->argv[MF_SERVICE],
				(char *) NULL);
	    report_relay_guard(cx, cx->m->master_path, svc->entry->where,
			       o ? o->value_off : 0, who);
	    free(who);
	}
	words_free(&ctx.classes);
    }
    if (main_used && !context_has_relay_guard(&main_ctx))
	main_fails = 1;
    if (main_fails)
	report_main_relay_guard(cx);
    words_free(&main_ctx.classes);
}
