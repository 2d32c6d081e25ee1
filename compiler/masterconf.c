/* masterconf - master.cf reader on top of the shared logical-line reader */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cfline.h"
#include "diag.h"
#include "masterconf.h"
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
};

static void argv_insert(struct master_entry *e, size_t at, const char *arg)
{
    e->argv = xrealloc(e->argv, (e->argc + 2) * sizeof(*e->argv));
    memmove(e->argv + at + 1, e->argv + at, (e->argc + 1 - at) * sizeof(*e->argv));
    e->argv[at] = xstrdup(arg);
    e->argc++;
}

static void argv_replace(struct master_entry *e, size_t at, const char *arg)
{
    char *copy = xstrdup(arg);	/* arg may point into the old value */

    free(e->argv[at]);
    e->argv[at] = copy;
}

/* fatal_entry - postconf's message for a bad field; newlines become spaces */
static void fatal_entry(const char *field, const char *value, const char *raw)
{
    diag_fatal("invalid %s field \"%s\" in \"%s\"", field, value, raw);
}

/* check_fields - the checks "postconf -M" makes on the first seven fields */
static void check_fields(const struct master_entry *e)
{
    static const char *const types[] = { "unix", "fifo", "inet", "pass", "unix-dgram" };
    const char *cp = e->argv[MF_TYPE];
    size_t i, len;

    for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
	if (strcmp(types[i], cp) == 0)
	    break;
    if (i == sizeof(types) / sizeof(types[0]))
	fatal_entry("type", cp, e->raw);
    for (i = MF_PRIVATE; i <= MF_CHROOT; i++) {
	cp = e->argv[i];
	if (cp[1] != 0 || strchr("yn-", *cp) == NULL)
	    fatal_entry(master_field_names[i], cp, e->raw);
    }
    cp = e->argv[MF_WAKEUP];
    len = strlen(cp);
    if (len > 0 && cp[len - 1] == '?')
	len--;
    if (!(cp[0] == '-' && len == 1) && strspn(cp, "0123456789") != len)
	fatal_entry("wakeup", cp, e->raw);
    cp = e->argv[MF_MAXPROC];
    if (strcmp("-", cp) != 0 && cp[strspn(cp, "0123456789")] != 0)
	fatal_entry("process_limit", cp, e->raw);
}

/* extract_field - { text } to text, warning as postconf does */
static void extract_field(struct master_entry *e, size_t field)
{
    char *copy = xstrdup(e->argv[field]);
    char *arg = copy;
    char *err;

    if ((err = extract_braces(&arg, 1)) != NULL) {
	diag_warn("master.cf: %s", err);
	free(err);
    }
    argv_replace(e, field, arg);
    free(copy);
}

/* normalize_nameval - "name = value" to "name=value" */
static void normalize_nameval(struct master_entry *e, size_t field)
{
    char *copy = xstrdup(e->argv[field]);
    char *name, *value;
    const char *err;

    if ((err = split_nameval(copy, &name, &value)) != NULL) {
	diag_warn("master.cf: %s: \"%s\"", err, e->argv[field]);
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
static void normalize_options(struct master_entry *e)
{
    size_t field;

    for (field = MASTER_MIN_FIELDS; e->argv[field] != NULL; field++) {
	char *arg = e->argv[field];
	int extract;
	if (arg[0] != '-' || strcmp(arg, "--") == 0)
	    break;
	for (char *cp = arg + 1; *cp; cp++) {
	    if (*cp == 'o' && cp > arg + 1) {
		/* Split "-stuffozz" into "-stuff" and "-ozz", as postconf does. */
		char *split = xconcat("-", cp, (char *) NULL);
		*cp = 0;
		argv_insert(e, field + 1, split);
		free(split);
		arg = e->argv[field];
		break;
	    }
	}
	if (!MASTER_OPTION_TAKES_VALUE(arg))
	    continue;
	if (arg[2] != 0) {
	    argv_insert(e, field + 1, arg + 2);
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
	    extract_field(e, field);
	    if (e->argv[field - 1][1] == 'o')
		normalize_nameval(e, field);
	}
    }
    for (; e->argv[field] != NULL; field++)
	if (e->argv[field][0] == '{')
	    extract_field(e, field);
}

static const char *base_name(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

static void on_line(void *ctx, const struct cf_logical_line *line)
{
    struct load_state *st = ctx;
    struct masterconf *mc = st->mc;
    struct master_entry e;
    char *copy = xstrdup(line->text), *bp = copy, *word;
    size_t cap = 16;

    memset(&e, 0, sizeof(e));
    e.argv = xmalloc(cap * sizeof(*e.argv));
    while ((word = str_tokq(&bp, MASTER_BLANKS)) != NULL) {
	if (e.argc + 1 >= cap)
	    e.argv = xrealloc(e.argv, (cap *= 2) * sizeof(*e.argv));
	e.argv[e.argc++] = xstrdup(word);
    }
    e.argv[e.argc] = NULL;
    free(copy);
    if (e.argc < MASTER_MIN_FIELDS)
	diag_fatal("file %s: line %d: bad field count", st->path, line->first_line);
    e.raw = xstrdup(line->text);
    e.line = line->first_line;
    check_fields(&e);
    normalize_options(&e);
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


int masterconf_load(const char *path, struct masterconf *mc)
{
    static const struct cf_reader_ops ops = { on_line, NULL };
    struct load_state st = { path, mc };
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
    for (size_t i = 0; i < mc->count; i++) {
	struct master_entry *e = &mc->entries[i];
	for (size_t j = 0; j < e->argc; j++)
	    free(e->argv[j]);
	free(e->argv);
	free(e->raw);
	free(e->name_space);
	strmap_free(&e->ro_params, free);
    }
    free(mc->entries);
    mc->entries = NULL;
    mc->count = 0;
}
