/* tablecmd - the table operations pfc map and pfc alias have in common */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "help.h"
#include "output.h"
#include "sha256.h"
#include "sysroot.h"
#include "tablecmd.h"
#include "xalloc.h"

const struct option table_long_options[] = {
    { "replace-foreign", no_argument, NULL, TABLE_OPT_REPLACE_FOREIGN },
    { "help", no_argument, NULL, HELP_OPTION },
    { NULL, 0, NULL, 0 },
};

int table_option(struct table_run *run, int ch, const char *arg)
{
    switch (ch) {
    case TABLE_OPT_REPLACE_FOREIGN:
	run->dict_flags |= DICT_FLAG_REPLACE_FOREIGN;
	return 1;
    case 'c':
	if (setenv("MAIL_CONFIG", arg, 1) < 0)
	    diag_fatal("out of memory");
	return 1;
    case 'd':
    case 'q':
	if (run->sequence || run->query || run->delkey)
	    diag_fatal("specify only one of -s -q or -d");
	*(ch == 'd' ? &run->delkey : &run->query) = arg;
	return 1;
    case 's':
	/* Not the same words as for -q and -d: postmap's own. */
	if (run->query || run->delkey)
	    diag_fatal("specify only one of -s or -q or -d");
	run->sequence = 1;
	return 1;
    case 'u':
	run->no_utf8 = 1;
	return 1;
    case 'p':
	run->keep_source_mode = 0;
	return 1;
    case 'o': case 'v':
	return 1;		/* ownership (pfc never changes it), verbosity */
    case 'F': case 'U':
	diag_fatal("option -%c (%s) is not supported by %s", ch,
		   ch == 'F' ? "values read from files, base64-encoded"
		   : "UTF-8 checks on header and body text", diag_program());
    case 'f':
	run->dict_flags &= ~DICT_FLAG_FOLD;
	return 1;
    case 'n':
	run->dict_flags |= DICT_FLAG_TRY0NULL;
	run->dict_flags &= ~DICT_FLAG_TRY1NULL;
	return 1;
    case 'N':
	run->dict_flags |= DICT_FLAG_TRY1NULL;
	run->dict_flags &= ~DICT_FLAG_TRY0NULL;
	return 1;
    case 'r':
	run->dict_flags &= ~(DICT_FLAG_DUP_WARN | DICT_FLAG_DUP_IGNORE);
	run->dict_flags |= DICT_FLAG_DUP_REPLACE;
	return 1;
    case 'w':
	run->dict_flags &= ~(DICT_FLAG_DUP_WARN | DICT_FLAG_DUP_REPLACE);
	run->dict_flags |= DICT_FLAG_DUP_IGNORE;
	return 1;
    }
    return 0;
}

char *table_spec(const struct table_run *run, const char *arg)
{
    if (strchr(arg, ':') != NULL)
	return xstrdup(arg);
    return xconcat(run->default_type, ":", arg, (char *) NULL);
}

struct dict *table_open(const struct table_run *run, const char *arg, int mode,
			unsigned flags)
{
    char *spec = table_spec(run, arg), *err;
    struct dict *dict = dict_open(spec, mode, flags, &err);

    if (dict == NULL)
	diag_fatal("%s", err);
    free(spec);
    return dict;
}

void table_close(struct dict *dict)
{
    char *err;

    if (dict_close(dict, &err) != 0)
	diag_fatal("%s", err);
}

void table_error(const struct dict *dict, const char *what)
{
    /* A configuration error ("" ) has no details in Postfix's message. */
    if (dict->error == NULL || *dict->error == 0)
	diag_fatal("table %s:%s: %s error", dict->type->name, dict->label, what);
    diag_fatal("table %s:%s: %s error: %s", dict->type->name, dict->label, what,
	       dict->error);
}

void table_warn_empty(const struct dict *dict, const char *key)
{
    diag_warn("table %s:%s: key %s: empty string result is not allowed",
	      dict->type->name, dict->name, key);
    diag_warn("table %s:%s should return NO RESULT in case of NOT FOUND",
	      dict->type->name, dict->name);
}

static void print_entry(const struct table_run *run, const char *key, const char *value)
{
    out_puts(key);
    out_puts(run->entry_sep);
    out_puts(value);
    out_putc('\n');
}

int table_query_one(const struct table_run *run, const char *key, char **tables,
		    int count)
{
    for (int i = 0; i < count; i++) {
	struct dict *dict = table_open(run, tables[i], DICT_READ, run->dict_flags);
	const char *value;
	int status = dict_lookup(dict, key, &value);
	if (status == DICT_FAIL)
	    table_error(dict, "query");
	if (status == DICT_FOUND) {
	    if (*value == 0)
		table_warn_empty(dict, key);
	    out_puts(value);
	    out_putc('\n');
	}
	out_flush();
	table_close(dict);
	if (status == DICT_FOUND)
	    return 0;
    }
    return 1;
}

void table_batch_init(struct table_batch *b, const struct table_run *run,
		      char **tables, int count)
{
    b->run = run;
    b->tables = tables;
    b->count = count;
    b->dicts = xcalloc((size_t) count + 1, sizeof(*b->dicts));
    b->found = 0;
}

void table_batch_lookup(struct table_batch *b, const char *key)
{
    for (int i = 0; i < b->count; i++) {
	const char *value;
	if (b->dicts[i] == NULL)
	    b->dicts[i] = table_open(b->run, b->tables[i], DICT_READ, b->run->dict_flags);
	int status = dict_lookup(b->dicts[i], key, &value);
	if (status == DICT_FOUND) {
	    if (*value == 0)
		table_warn_empty(b->dicts[i], key);
	    print_entry(b->run, key, value);
	    b->found = 1;
	    return;
	}
	if (status == DICT_FAIL)
	    table_error(b->dicts[i], "query");
    }
}

int table_batch_end(struct table_batch *b)
{
    if (b->found)
	out_flush();
    for (int i = 0; i < b->count; i++)
	if (b->dicts[i] != NULL)
	    table_close(b->dicts[i]);
    free(b->dicts);
    return b->found ? 0 : 1;
}

/*
 * Keys on standard input, read by hand rather than through stdio: before
 * a read that may wait for input, the tables let their locks go, so that
 * a writer need not wait for the next key (which takes them again).
 */
struct line_reader {
    int fd;
    char *buf;
    size_t start, end, cap;
    int eof;
};

/* read_line - the next line, its newline replaced by a NUL; NULL at the end */
static char *read_line(struct line_reader *r)
{
    for (;;) {
	char *line = r->buf + r->start;
	char *nl = r->end > r->start ? memchr(line, '\n', r->end - r->start) : NULL;
	if (nl != NULL || (r->eof && r->start < r->end)) {
	    if (nl == NULL)
		nl = r->buf + r->end;	/* a last line without its newline */
	    *nl = 0;
	    r->start = (size_t) (nl - r->buf) + (nl < r->buf + r->end);
	    return line;
	}
	if (r->eof)
	    return NULL;
	if (r->start > 0) {
	    memmove(r->buf, line, r->end - r->start);
	    r->end -= r->start;
	    r->start = 0;
	}
	if (r->end + 1 >= r->cap)
	    r->buf = xrealloc(r->buf, r->cap = r->cap ? 2 * r->cap : 65536);
	dict_gdbm_release();
	ssize_t n = read(r->fd, r->buf + r->end, r->cap - r->end - 1);
	if (n < 0 && errno == EINTR)
	    continue;
	if (n <= 0)
	    r->eof = 1;		/* a read error ends the keys, as for getline */
	else
	    r->end += (size_t) n;
    }
}

int table_query_lines(const struct table_run *run, char **tables, int count)
{
    struct table_batch b;
    struct line_reader r = { .fd = STDIN_FILENO };
    char *line;

    table_batch_init(&b, run, tables, count);
    while ((line = read_line(&r)) != NULL)
	table_batch_lookup(&b, line);
    free(r.buf);
    return table_batch_end(&b);
}

int table_sequence(const struct table_run *run, const char *table)
{
    struct dict *dict = table_open(run, table, DICT_READ, run->dict_flags);
    const char *key, *value;
    int status;

    if (dict->sequence == NULL)
	diag_fatal("table %s:%s: sequence operation is not supported", dict->type->name,
		   dict->name);
    for (int first = 1; (status = dict->sequence(dict, first, &key, &value)) == DICT_FOUND;
	 first = 0) {
	if (*key == 0)
	    diag_warn("table %s:%s: empty lookup key value is not allowed",
		      dict->type->name, dict->name);
	else if (*value == 0)
	    table_warn_empty(dict, key);
	print_entry(run, key, value);
    }
    if (status == DICT_FAIL)
	table_error(dict, "sequence");
    out_flush();
    table_close(dict);
    return 0;
}

int table_delete(const struct table_run *run, const char *key, char **tables, int count)
{
    struct dict **dicts = xcalloc((size_t) count + 1, sizeof(*dicts));
    int from_stdin = strcmp(key, "-") == 0, found = 0;
    char *line = NULL;
    size_t cap = 0;

    /* Every table is opened before the first key is read, as postmap does. */
    for (int i = 0; i < count; i++) {
	dicts[i] = table_open(run, tables[i], DICT_MODIFY, run->dict_flags);
	if (dicts[i]->remove == NULL)
	    diag_fatal("table %s:%s: delete is not supported", dicts[i]->type->name,
		       dicts[i]->name);
    }
    for (;;) {
	const char *k = key;
	if (from_stdin) {
	    ssize_t len = getline(&line, &cap, stdin);
	    if (len < 0)
		break;
	    if (len > 0 && line[len - 1] == '\n')
		line[--len] = 0;
	    k = line;
	}
	for (int i = 0; i < count; i++) {
	    int status = dicts[i]->remove(dicts[i], k);
	    if (status == DICT_FAIL)
		table_error(dicts[i], "delete");
	    found |= status == DICT_FOUND;
	}
	if (!from_stdin)
	    break;
    }
    free(line);
    for (int i = 0; i < count; i++)
	table_close(dicts[i]);
    free(dicts);
    return found ? 0 : 1;
}

int table_protect(const struct table_run *run, FILE *source)
{
    struct stat st;

    if (!run->keep_source_mode || fstat(fileno(source), &st) != 0 || !S_ISREG(st.st_mode))
	return -1;
    return (int) umask(022 | (~st.st_mode & 077));
}

void table_unprotect(int saved_mask)
{
    if (saved_mask >= 0)
	umask((mode_t) saved_mask);
}

FILE *table_source(const struct table_run *run, const char *name, int incremental,
		   const char **path, int *saved_mask)
{
    *path = "stdin";
    *saved_mask = -1;
    if (incremental)
	return stdin;

    char *opened = sysroot_path(name);
    FILE *fp = fopen(opened, "r");

    free(opened);
    if (fp == NULL)
	diag_fatal("open %s: %s", name, strerror(errno));
    *path = name;
    *saved_mask = table_protect(run, fp);
    return fp;
}

void table_stamp_source(struct dict *dict, FILE *fp, const char *path,
			unsigned long warnings)
{
    struct dict_stamp stamp = { .warnings = warnings, .flags = dict->flags };

    if (fseek(fp, 0L, SEEK_SET) != 0 || sha256_stream(fp, stamp.sha256, &stamp.size) != 0)
	diag_fatal("read %s: %s", path, strerror(errno));
    dict_gdbm_set_source_stamp(dict, &stamp);
}
