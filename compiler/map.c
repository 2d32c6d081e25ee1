/*
 * map - "pfc map": build and query lookup tables as Postfix's postmap(1)
 * does, with its options, output and exit codes: build from a source file
 * (atomically), -q KEY, -q - (keys on stdin, or with -h/-b/-m a message
 * fed to header/body checks), -s, -d KEY, -i, -f, -r, -w, -N, -n.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "config.h"
#include "diag.h"
#include "dict.h"
#include "mapsource.h"
#include "msgscan.h"
#include "output.h"
#include "strbuf.h"
#include "xalloc.h"

#define MAP_HEADER_KEY	(1 << 0)	/* -h */
#define MAP_BODY_KEY	(1 << 1)	/* -b */
#define MAP_MIME_KEY	(1 << 2)	/* -m */

struct map_run {
    const char *default_type;	/* default_database_type */
    unsigned dict_flags;
    int map_flags;
    /* header_size_limit, mime_boundary_length_limit, mime_nesting_limit */
    size_t header_limit, bound_limit;
    long max_depth;
};

static void usage(void)
{
    diag_fatal("usage: %s map [-bfhimnNoprsuvw] [-c config_dir] [-d key] [-q key] [map_type:]file...",
	       diag_program());
}

/* table_spec - "type:name", with default_database_type when no type is given */
static char *table_spec(const struct map_run *run, const char *arg)
{
    if (strchr(arg, ':') != NULL)
	return xstrdup(arg);
    return xconcat(run->default_type, ":", arg, (char *) NULL);
}

static struct dict *open_or_die(const struct map_run *run, const char *arg, int mode)
{
    char *spec = table_spec(run, arg), *err;
    struct dict *dict = dict_open(spec, mode, run->dict_flags, &err);

    if (dict == NULL)
	diag_fatal("%s", err);
    free(spec);
    return dict;
}

static void close_or_die(struct dict *dict)
{
    char *err;

    if (dict_close(dict, &err) != 0)
	diag_fatal("%s", err);
}

/* query_error - postmap's words; a configuration error has no details */
static void query_error(const struct dict *dict)
{
    if (dict->error == NULL || *dict->error == 0)
	diag_fatal("table %s:%s: query error", dict->type->name, dict->name);
    diag_fatal("table %s:%s: query error: %s", dict->type->name, dict->name, dict->error);
}

/* warn_empty - postmap's words for a table that returns an empty value */
static void warn_empty(const struct dict *dict, const char *key)
{
    diag_warn("table %s:%s: key %s: empty string result is not allowed",
	      dict->type->name, dict->name, key);
    diag_warn("table %s:%s should return NO RESULT in case of NOT FOUND",
	      dict->type->name, dict->name);
}

/* query_one - -q KEY: the first table that has the key answers */
static int query_one(const struct map_run *run, const char *key, char **tables, int count)
{
    for (int i = 0; i < count; i++) {
	struct dict *dict = open_or_die(run, tables[i], DICT_READ);
	const char *value;
	int status = dict_lookup(dict, key, &value);
	if (status == DICT_FAIL)
	    query_error(dict);
	if (status == DICT_FOUND) {
	    if (*value == 0)
		warn_empty(dict, key);
	    out_puts(value);
	    out_putc('\n');
	    out_flush();
	    close_or_die(dict);
	    return 0;
	}
	close_or_die(dict);
    }
    return 1;
}

struct batch {
    const struct map_run *run;
    char **tables;
    int count;
    struct dict **dicts;	/* opened on first use, as postmap does */
    int found;
};

/* lookup_any - look key up in each table in turn; print "key<TAB>value" */
static void lookup_any(struct batch *b, const char *key)
{
    for (int i = 0; i < b->count; i++) {
	const char *value;
	if (b->dicts[i] == NULL)
	    b->dicts[i] = open_or_die(b->run, b->tables[i], DICT_READ);
	int status = dict_lookup(b->dicts[i], key, &value);
	if (status == DICT_FOUND) {
	    if (*value == 0)
		warn_empty(b->dicts[i], key);
	    out_puts(key);
	    out_putc('\t');
	    out_puts(value);
	    out_putc('\n');
	    b->found = 1;
	    return;
	}
	if (status == DICT_FAIL)
	    query_error(b->dicts[i]);
    }
}

static int on_message_text(void *ctx, const struct msgscan_item *item)
{
    lookup_any(ctx, item->text);
    return 0;
}

/* query_batch - -q -: keys from stdin, or a message with -h/-b/-m */
static int query_batch(const struct map_run *run, char **tables, int count)
{
    struct batch b = { run, tables, count, xcalloc((size_t) count, sizeof(struct dict *)), 0 };

    if (run->map_flags & (MAP_HEADER_KEY | MAP_BODY_KEY)) {
	struct msgscan_opts opts = MSGSCAN_OPTS_INIT(0);
	if (run->map_flags & MAP_HEADER_KEY)
	    opts.flags |= MSGSCAN_HEADERS;
	if (run->map_flags & MAP_BODY_KEY)
	    opts.flags |= MSGSCAN_BODY;
	if (run->map_flags & MAP_MIME_KEY)
	    opts.flags |= MSGSCAN_MIME;
	opts.header_limit = run->header_limit;
	opts.bound_limit = run->bound_limit;
	opts.max_depth = run->max_depth;
	if (msgscan_file(stdin, &opts, on_message_text, &b) == MSGSCAN_EREAD)
	    diag_fatal("read stdin: %s", strerror(errno));
    } else {
	struct strbuf line = STRBUF_INIT;
	char *buf = NULL;
	size_t cap = 0;
	ssize_t len;
	while ((len = getline(&buf, &cap, stdin)) >= 0) {
	    if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = 0;
	    lookup_any(&b, buf);
	}
	free(buf);
	sb_free(&line);
    }
    if (b.found)
	out_flush();
    for (int i = 0; i < count; i++)
	if (b.dicts[i] != NULL)
	    close_or_die(b.dicts[i]);
    free(b.dicts);
    return b.found ? 0 : 1;
}

/* sequence - -s: every entry of the first table, in the table's order */
static int sequence(const struct map_run *run, const char *table)
{
    struct dict *dict = open_or_die(run, table, DICT_READ);
    const char *key, *value;
    int status;

    if (dict->sequence == NULL)
	diag_fatal("table %s:%s: sequence is not supported", dict->type->name, dict->name);
    for (int first = 1; (status = dict->sequence(dict, first, &key, &value)) == DICT_FOUND;
	 first = 0) {
	if (*key == 0)
	    diag_warn("table %s:%s: empty lookup key value is not allowed",
		      dict->type->name, dict->name);
	else if (*value == 0)
	    warn_empty(dict, key);
	out_puts(key);
	out_putc('\t');
	out_puts(value);
	out_putc('\n');
    }
    if (status == DICT_FAIL)
	diag_fatal("table %s:%s: sequence error: %s", dict->type->name, dict->name,
		   dict->error ? dict->error : "unknown error");
    out_flush();
    close_or_die(dict);
    return 0;
}

/* delete_keys - -d KEY or -d -: remove from every table; 0 if any was found */
static int delete_keys(const struct map_run *run, const char *key, char **tables, int count)
{
    struct dict **dicts = xcalloc((size_t) count, sizeof(*dicts));
    int found = 0;

    for (int i = 0; i < count; i++) {
	dicts[i] = open_or_die(run, tables[i], DICT_UPDATE);
	if (dicts[i]->remove == NULL)
	    diag_fatal("table %s:%s: delete is not supported", dicts[i]->type->name,
		       dicts[i]->name);
    }
    char *buf = NULL;
    size_t cap = 0;
    ssize_t len;
    for (;;) {
	const char *k = key;
	if (strcmp(key, "-") == 0) {
	    if ((len = getline(&buf, &cap, stdin)) < 0)
		break;
	    if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = 0;
	    k = buf;
	}
	for (int i = 0; i < count; i++)
	    if (dicts[i]->remove(dicts[i], k) == DICT_FOUND)
		found = 1;
	if (strcmp(key, "-") != 0)
	    break;
    }
    free(buf);
    for (int i = 0; i < count; i++)
	close_or_die(dicts[i]);
    free(dicts);
    return found ? 0 : 1;
}

struct build {
    struct dict *dict;
};

static void store_entry(void *ctx, const char *key, const char *value, int line)
{
    struct build *b = ctx;

    (void) line;
    if (dict_update(b->dict, key, value) == DICT_FAIL)
	diag_fatal("%s", b->dict->error);
}

/* build - create the table from its source file, or (-i) add stdin to it */
static void build(const struct map_run *run, const char *arg, int incremental)
{
    char *spec = table_spec(run, arg);
    const char *name = strchr(spec, ':') + 1;
    FILE *fp = stdin;
    const char *path = "stdin";

    mode_t saved_mask = 0;
    int masked = 0;
    if (!incremental) {
	struct stat st;
	if ((fp = fopen(name, "r")) == NULL)
	    diag_fatal("open %s: %s", name, strerror(errno));
	path = name;
	/* As postmap: the table is no more readable than its source. */
	if (fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode)) {
	    saved_mask = umask(022 | (~st.st_mode & 077));
	    masked = 1;
	}
    }
    char *err;
    struct dict *dict = dict_open(spec, incremental ? DICT_UPDATE : DICT_CREATE,
				  run->dict_flags | DICT_FLAG_BULK, &err);
    if (dict == NULL)
	diag_fatal("%s", err);
    struct build b = { dict };
    if (mapsource_read(fp, path, (run->dict_flags & DICT_FLAG_UTF8) ? MAPSOURCE_UTF8 : 0,
		       store_entry, &b) < 0)
	diag_fatal("read %s: %s", path, strerror(errno));
    if (fp != stdin)
	fclose(fp);
    close_or_die(dict);
    if (masked)
	umask(saved_mask);
    free(spec);
}

int cmd_map(int argc, char **argv)
{
    struct map_run run = { NULL, DICT_FLAG_DUP_WARN | DICT_FLAG_FOLD, 0, 0, 0, -1 };
    const char *query = NULL, *delkey = NULL;
    int sequence_mode = 0, incremental = 0, ch;
    int no_utf8 = 0;

    optind = 1;
    opterr = 1;
    argv[0] = (char *) diag_program();
    while ((ch = getopt(argc, argv, "+bc:d:fhimnNopq:rsuvw")) > 0) {
	switch (ch) {
	case 'b': run.map_flags |= MAP_BODY_KEY; break;
	case 'c':
	    if (setenv("MAIL_CONFIG", optarg, 1) < 0)
		diag_fatal("out of memory");
	    break;
	case 'd':
	    if (sequence_mode || query || delkey)
		diag_fatal("specify only one of -s -q or -d");
	    delkey = optarg;
	    break;
	case 'f': run.dict_flags &= ~DICT_FLAG_FOLD; break;
	case 'h': run.map_flags |= MAP_HEADER_KEY; break;
	case 'i': incremental = 1; break;
	case 'm': run.map_flags |= MAP_MIME_KEY; break;
	case 'n':
	    run.dict_flags |= DICT_FLAG_TRY0NULL;
	    run.dict_flags &= ~DICT_FLAG_TRY1NULL;
	    break;
	case 'N':
	    run.dict_flags |= DICT_FLAG_TRY1NULL;
	    run.dict_flags &= ~DICT_FLAG_TRY0NULL;
	    break;
	case 'o': case 'p': case 'v':
	    break;		/* ownership, permissions, verbosity: no effect here */
	case 'q':
	    if (sequence_mode || query || delkey)
		diag_fatal("specify only one of -s -q or -d");
	    query = optarg;
	    break;
	case 'r':
	    run.dict_flags &= ~(DICT_FLAG_DUP_WARN | DICT_FLAG_DUP_IGNORE);
	    run.dict_flags |= DICT_FLAG_DUP_REPLACE;
	    break;
	case 's':
	    if (query || delkey)
		diag_fatal("specify only one of -s or -q or -d");
	    sequence_mode = 1;
	    break;
	case 'u': no_utf8 = 1; break;
	case 'w':
	    run.dict_flags &= ~(DICT_FLAG_DUP_WARN | DICT_FLAG_DUP_REPLACE);
	    run.dict_flags |= DICT_FLAG_DUP_IGNORE;
	    break;
	default:
	    usage();
	}
    }

    /* The configuration decides the default type and UTF-8 handling. */
    struct config *cfg = config_load(NULL);
    char *db_type = config_value(cfg, "default_database_type");
    int utf8 = config_bool(cfg, "smtputf8_enable");
    run.default_type = db_type;
    run.header_limit = (size_t) config_long(cfg, "header_size_limit", 0);
    run.bound_limit = (size_t) config_long(cfg, "mime_boundary_length_limit", 0);
    run.max_depth = config_long(cfg, "mime_nesting_limit", -1);
    if (utf8 && !no_utf8)
	run.dict_flags |= DICT_FLAG_UTF8;
    diag_set_utf8(utf8);

    if ((query == NULL || strcmp(query, "-") != 0) && run.map_flags)
	diag_fatal("specify -b -h or -m only with \"-q -\"");
    if (run.map_flags == MAP_MIME_KEY)
	diag_warn("ignoring -m option without -b or -h");
    /* Header and body text is not looked up as UTF-8 (as postmap). */
    if (run.map_flags & (MAP_HEADER_KEY | MAP_BODY_KEY))
	run.dict_flags &= ~DICT_FLAG_UTF8;

    char **tables = argv + optind;
    int count = argc - optind;
    int status = 0;
    if (count < 1)
	usage();
    if (delkey != NULL) {
	status = delete_keys(&run, delkey, tables, count);
    } else if (query != NULL) {
	if (strcmp(query, "-") == 0)
	    status = query_batch(&run, tables, count);
	else
	    status = query_one(&run, query, tables, count);
    } else if (sequence_mode) {
	status = sequence(&run, tables[0]);
    } else {
	for (int i = 0; i < count; i++)
	    build(&run, tables[i], incremental);
    }
    free(db_type);
    config_free(cfg);
    if (out_flush() < 0)
	diag_fatal("write error on standard output: %s", strerror(errno));
    return status;
}
