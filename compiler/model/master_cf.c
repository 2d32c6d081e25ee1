/* masterconf - master.cf reader on top of the shared logical-line reader */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfline.h"
#include "diag.h"
#include "master_cf.h"
#include "strbuf.h"
#include "textutil.h"
#include "xalloc.h"

#define MASTER_BLANKS " \t\r\n"

const char *const master_field_names[MASTER_MIN_FIELDS] = {
    "service", "type", "private", "unprivileged", "chroot", "wakeup",
    "process_limit", "command",
};

struct load_state {
    const char *path;
    struct masterconf *mc;
    const struct masterconf_hooks *hooks;
    const struct cf_logical_line *line;	/* the line being read */
};

/* problem - hand a problem to the hooks, or say it as postconf does */
static void problem(const struct load_state *st, size_t offset, int fatal,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void problem(const struct load_state *st, size_t offset, int fatal,
		    const char *fmt, ...)
{
    struct strbuf msg = STRBUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    sb_vprintf(&msg, fmt, ap);
    va_end(ap);
    if (st->hooks && st->hooks->on_problem)
	st->hooks->on_problem(st->hooks->ctx, st->path, st->line, offset, fatal,
			      msg.s);
    else if (fatal)
	diag_fatal("%s", msg.s);
    else
	diag_warn("%s", msg.s);
    sb_free(&msg);
}

/* argv_insert - a new argument at, which starts at offset of raw */
static void argv_insert(struct master_entry *e, size_t at, const char *arg,
			size_t offset)
{
    e->argv = xrealloc(e->argv, (e->argc + 2) * sizeof(*e->argv));
    e->argoff = xrealloc(e->argoff, (e->argc + 2) * sizeof(*e->argoff));
    memmove(e->argv + at + 1, e->argv + at, (e->argc + 1 - at) * sizeof(*e->argv));
    memmove(e->argoff + at + 1, e->argoff + at, (e->argc + 1 - at) * sizeof(*e->argoff));
    e->argv[at] = xstrdup(arg);
    e->argoff[at] = offset;
    e->argc++;
}

static void argv_replace(struct master_entry *e, size_t at, const char *arg)
{
    char *copy = xstrdup(arg);	/* arg may point into the old value */

    free(e->argv[at]);
    e->argv[at] = copy;
}

/* bad_field - postconf's message for a bad field (fatal) */
static void bad_field(const struct load_state *st, const struct master_entry *e,
		      size_t field)
{
    problem(st, e->argoff[field], 1, "invalid %s field \"%s\" in \"%s\"",
	    master_field_names[field], e->argv[field], e->raw);
}

/* check_fields - the checks "postconf -M" makes on the first seven fields; 0 if good */
static int check_fields(const struct load_state *st, const struct master_entry *e)
{
    static const char *const types[] = { "unix", "fifo", "inet", "pass", "unix-dgram" };
    const char *cp = e->argv[MF_TYPE];
    size_t i, len;

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
	if (strcmp(types[i], cp) == 0)
	    break;
    if (i == sizeof(types) / sizeof(types[0]))
	return bad_field(st, e, MF_TYPE), -1;
    for (i = MF_PRIVATE; i <= MF_CHROOT; i++) {
	cp = e->argv[i];
	if (cp[1] != 0 || strchr("yn-", *cp) == NULL)
	    return bad_field(st, e, i), -1;
    }
    cp = e->argv[MF_WAKEUP];
    len = strlen(cp);
    if (len > 0 && cp[len - 1] == '?')
	len--;
    if (!(cp[0] == '-' && len == 1) && strspn(cp, "0123456789") != len)
	return bad_field(st, e, MF_WAKEUP), -1;
    cp = e->argv[MF_MAXPROC];
    if (strcmp("-", cp) != 0 && cp[strspn(cp, "0123456789")] != 0)
	return bad_field(st, e, MF_MAXPROC), -1;
    return 0;
}

/* extract_field - { text } to text, warning as postconf does */
static void extract_field(const struct load_state *st, struct master_entry *e,
			  size_t field)
{
    char *copy = xstrdup(e->argv[field]);
    char *arg = copy;
    char *err;

    if ((err = extract_braces(&arg, 1)) != NULL) {
	problem(st, e->argoff[field], 0, "master.cf: %s", err);
	free(err);
    }
    argv_replace(e, field, arg);
    free(copy);
}

/* normalize_nameval - "name = value" to "name=value" */
static void normalize_nameval(const struct load_state *st,
			      struct master_entry *e, size_t field)
{
    char *copy = xstrdup(e->argv[field]);
    char *name, *value;
    const char *err;

    if ((err = split_nameval(copy, &name, &value)) != NULL) {
	problem(st, e->argoff[field], 0, "master.cf: %s: \"%s\"", err,
		e->argv[field]);
    } else {
	char *joined = xconcat(name, "=", value, (char *) NULL);
	argv_replace(e, field, joined);
	free(joined);
    }
    free(copy);
}

/*
 * normalize_options - split "-ovalue" into "-o value", unwrap { } groups
 * and normalise -o { name = value }. Options stop at the first argument
 * that does not start with '-', or at "--", as getopt(3) does.
 */
static void normalize_options(const struct load_state *st, struct master_entry *e)
{
    size_t field;

    for (field = MASTER_MIN_FIELDS; e->argv[field] != NULL; field++) {
	char *arg = e->argv[field];
	int extract;
	if (arg[0] != '-' || strcmp(arg, "--") == 0)
	    break;
	for (char *cp = arg + 1; *cp; cp++) {
	    if (*cp == 'o' && cp > arg + 1) {
		/*
		 * Split "-stuffozz" into "-stuff" and "-ozz", as postconf
		 * does. The new word's "-" is not in the line: its offset
		 * is the byte before the "o", so that offset + i is still
		 * where byte i >= 1 of the word is, as for every word.
		 */
		char *split = xconcat("-", cp, (char *) NULL);
		size_t at = e->argoff[field] + (size_t) (cp - arg) - 1;
		*cp = 0;
		argv_insert(e, field + 1, split, at);
		free(split);
		arg = e->argv[field];
		break;
	    }
	}
	if (!MASTER_OPTION_TAKES_VALUE(arg))
	    continue;
	/* a lone "-" takes the next word too; it has no arg[2] */
	if (arg[1] != 0 && arg[2] != 0) {
	    argv_insert(e, field + 1, arg + 2, e->argoff[field] + 2);
	    e->argv[field][2] = 0;
	    field += 1;
	    extract = e->argv[field][0] == '{';
	} else if (e->argv[field + 1] != NULL) {
	    field += 1;
	    extract = e->argv[field][0] == '{';
	} else {
	    extract = 0;
	}
	if (extract) {
	    extract_field(st, e, field);
	    if (e->argv[field - 1][1] == 'o')
		normalize_nameval(st, e, field);
	}
    }
    for (; e->argv[field] != NULL; field++)
	if (e->argv[field][0] == '{')
	    extract_field(st, e, field);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

static void entry_free(struct master_entry *e)
{
    for (size_t j = 0; j < e->argc; j++)
	free(e->argv[j]);
    free(e->argv);
    free(e->argoff);
    free(e->raw);
    free(e->name_space);
    cf_line_free(e->where);
    if (e->ro_params.slots != NULL)
	strmap_free(&e->ro_params, free);
}

static void on_line(void *ctx, const struct cf_logical_line *line)
{
    struct load_state *st = ctx;
    struct masterconf *mc = st->mc;
    struct master_entry e;
    char *copy = xstrdup(line->text), *bp = copy, *word;
    size_t cap = 16;

    memset(&e, 0, sizeof(e));
    st->line = line;
    e.argv = xmalloc(cap * sizeof(*e.argv));
    e.argoff = xmalloc(cap * sizeof(*e.argoff));
    while ((word = str_tokq(&bp, MASTER_BLANKS)) != NULL) {
	if (e.argc + 1 >= cap) {
	    cap *= 2;
	    e.argv = xrealloc(e.argv, cap * sizeof(*e.argv));
	    e.argoff = xrealloc(e.argoff, cap * sizeof(*e.argoff));
	}
	e.argoff[e.argc] = (size_t) (word - copy);
	e.argv[e.argc++] = xstrdup(word);
    }
    e.argv[e.argc] = NULL;
    e.argoff[e.argc] = line->len;
    free(copy);
    e.raw = xstrdup(line->text);
    e.line = line->first_line;
    if (e.argc < MASTER_MIN_FIELDS) {
	problem(st, line->len, 1, "file %s: line %d: bad field count", st->path,
		line->first_line);
	entry_free(&e);
	return;
    }
    if (check_fields(st, &e) < 0) {
	entry_free(&e);
	return;
    }
    normalize_options(st, &e);
    e.where = cf_line_copy(line);
    e.name_space = xconcat(e.argv[MF_SERVICE], "/", e.argv[MF_TYPE], (char *) NULL);
    strmap_init(&e.ro_params);
    const char *process_name = base_name(e.argv[MF_COMMAND]);
    strmap_put(&e.ro_params, "process_name", xstrdup(process_name));
    strmap_put(&e.ro_params, "service_name",
	       xstrdup(strcmp(process_name, e.argv[MF_SERVICE]) != 0
		       ? e.argv[MF_SERVICE] : process_name));
    mc->entries = xrealloc(mc->entries, (mc->count + 1) * sizeof(*mc->entries));
    mc->entries[mc->count++] = e;
}


int masterconf_load(const char *path, struct masterconf *mc,
		    const struct masterconf_hooks *hooks)
{
    static const struct cf_reader_ops ops = { on_line, NULL };
    struct load_state st = { path, mc, hooks, NULL };
    FILE *fp;

    if ((fp = fopen(path, "r")) == NULL)
	return -1;
    int status = cf_read_stream(fp, st.path, &ops, &st);
    int saved = errno;
    fclose(fp);
    errno = saved;
    return status;
}

void masterconf_free(struct masterconf *mc)
{
    for (size_t i = 0; i < mc->count; i++)
	entry_free(&mc->entries[i]);
    free(mc->entries);
    mc->entries = NULL;
    mc->count = 0;
}
