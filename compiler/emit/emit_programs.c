/*
 * emit_programs - the image's restriction programs (PROG, INSN): each
 * smtpd restriction list of main.cf (set or default), each class of
 * smtpd_restriction_classes, and each list or class a service sets with
 * -o, compiled the way smtpd reads it (restriction_parse()): an array of
 * restriction ids with their operands (image.h).
 */
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "registry.h"
#include "restriction.h"
#include "textutil.h"
#include "xalloc.h"

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
    const struct model_setting *s = model_setting_find(b->m, name);

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
 * with -o or sees otherwise (a derived value: main.cf's list names a
 * parameter the service overrides). A class word calls the class of its
 * own service when that service has one, else main.cf's; every class any
 * service names gets a main.cf program.
 */
void collect_programs(struct build *b)
{
    const struct model *m = b->m;
    struct words main_classes, all_classes;
    char *text = params_value(b, NULL, "smtpd_restriction_classes");

    words_split(&main_classes, text, 0);
    free(text);
    for (size_t i = 0; i < param_table_size; i++) {
	const struct param_def *def = &param_table[i];
	if (def->kind != PKIND_RESTRICTIONS || (def->flags & PFLAG_LEGACY))
	    continue;
	char *value = params_value(b, NULL, def->name);
	add_program(b, def->name, IMG_NONE, setting_line(b, def->name), value, &main_classes);
	free(value);
    }

    /* Every class named anywhere, main.cf's first. */
    struct strbuf names = STRBUF_INIT;
    for (size_t i = 0; i < main_classes.n; i++)
	sb_printf(&names, "%s ", main_classes.v[i]);
    for (size_t s = 0; s < m->nservices; s++) {
	const struct model_service *svc = &m->services[s];
	size_t first = b->service_overrides[s], end = b->service_overrides[s + 1];
	if (first == end)
	    continue;
	struct words classes;
	text = params_value(b, svc, "smtpd_restriction_classes");
	words_split(&classes, text, 0);
	free(text);
	/* Its -o overrides, then its derived values (emit_settings.c). */
	for (size_t i = first; i < end; i++) {
	    const struct setting_rec *rec = &b->overrides[i];
	    const struct param_def *def = registry_find(rec->name);
	    const struct model_override *o = i - first < svc->noverrides
		? &svc->overrides[i - first] : NULL;
	    if (o != NULL && model_override(svc, o->name) != o->value)
		continue;		/* a later -o of the same name wins */
	    int list = def != NULL && def->kind == PKIND_RESTRICTIONS;
	    if (!list && !(words_has(&classes, rec->name) && is_class_name(rec->name)))
		continue;
	    char *value = params_value(b, svc, rec->name);
	    add_program(b, rec->name, (uint32_t) s, o ? override_line(svc, o) : rec->line,
			value, &classes);
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
	char *value = params_value(b, NULL, name);
	add_program(b, name, IMG_NONE, setting_line(b, name), value, &main_classes);
	free(value);
    }
    words_free(&all_classes);
    words_free(&main_classes);
}


static int compare_programs(const void *a, const void *b)
{
    const struct program_rec *pa = a, *pb = b;
    int c = strcmp(pa->name, pb->name);

    if (c != 0)
	return c;
    return pa->service < pb->service ? -1 : pa->service > pb->service;
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

void programs_out(struct build *b, struct img_program **programs_ret,
		  struct img_insn **insns_out, size_t *ninsns_out)
{
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
    *programs_ret = programs;
    *insns_out = insns;
    *ninsns_out = ninsns;
}

void free_programs(struct build *b)
{
    for (size_t i = 0; i < b->nprograms; i++)
	free(b->programs[i].name);
    free(b->programs);
    for (size_t i = 0; i < b->ninsns; i++)
	free(b->insns[i].arg);
    free(b->insns);
}
