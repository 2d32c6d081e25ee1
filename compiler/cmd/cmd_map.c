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
#include "model.h"
#include "diag.h"
#include "dict.h"
#include "help.h"
#include "mapsource.h"
#include "msgscan.h"
#include "output.h"
#include "strbuf.h"
#include "tablecmd.h"
#include "sysroot.h"
#include "xalloc.h"

#define MAP_HEADER_KEY	(1 << 0)	/* -h */
#define MAP_BODY_KEY	(1 << 1)	/* -b */
#define MAP_MIME_KEY	(1 << 2)	/* -m */

struct map_run {
    struct table_run table;	/* first: what tablecmd needs */
    int map_flags;
    /* header_size_limit, mime_boundary_length_limit, mime_nesting_limit */
    size_t header_limit, bound_limit;
    long max_depth;
};

static void usage(void)
{
    diag_fatal("usage: %s", help_usage_line("map"));
}

static int on_message_text(void *ctx, const struct msgscan_item *item)
{
    table_batch_lookup(ctx, item->text);
    return 0;
}

/* query_message - -q - with -h/-b/-m: the strings header/body checks see */
static int query_message(const struct map_run *run, char **tables, int count)
{
    struct msgscan_opts opts = MSGSCAN_OPTS_INIT(0);
    struct table_batch b;

    if (run->map_flags & MAP_HEADER_KEY)
	opts.flags |= MSGSCAN_HEADERS;
    if (run->map_flags & MAP_BODY_KEY)
	opts.flags |= MSGSCAN_BODY;
    if (run->map_flags & MAP_MIME_KEY)
	opts.flags |= MSGSCAN_MIME;
    opts.header_limit = run->header_limit;
    opts.bound_limit = run->bound_limit;
    opts.max_depth = run->max_depth;
    table_batch_init(&b, &run->table, tables, count);
    if (msgscan_file(stdin, &opts, on_message_text, &b) == MSGSCAN_EREAD)
	diag_fatal("read stdin: %s", strerror(errno));
    return table_batch_end(&b);
}

static void store_entry(void *ctx, const char *key, const char *value, int line)
{
    struct dict *dict = ctx;

    (void) line;
    if (dict_update(dict, key, value) == DICT_FAIL)
	table_error(dict, "write");
}

/* build - create the table from its source file, or (-i) add stdin to it */
static void build(const struct map_run *run, const char *arg, int incremental)
{
    char *spec = table_spec(&run->table, arg);
    const char *name = strchr(spec, ':') + 1;
    FILE *fp = stdin;
    const char *path = "stdin";
    int saved_mask = -1;

    if (!incremental) {
	char *opened = sysroot_path(name);
	fp = fopen(opened, "r");
	free(opened);
	if (fp == NULL)
	    diag_fatal("open %s: %s", name, strerror(errno));
	path = name;
	saved_mask = table_protect(&run->table, fp);
    }
    struct dict *dict = table_open(&run->table, spec, incremental ? DICT_UPDATE : DICT_CREATE,
				   run->table.dict_flags | DICT_FLAG_BULK);
    unsigned long warnings = diag_warning_count();
    if (mapsource_read(fp, path, (run->table.dict_flags & DICT_FLAG_UTF8) ? MAPSOURCE_UTF8 : 0,
		       store_entry, dict) < 0)
	diag_fatal("read %s: %s", path, strerror(errno));
    if (fp != stdin) {
	table_stamp_source(dict, fp, path, diag_warning_count() - warnings);
	fclose(fp);
    }
    table_close(dict);
    table_unprotect(saved_mask);
    free(spec);
}

int cmd_map(int argc, char **argv)
{
    struct map_run run = {
	.table = { .dict_flags = DICT_FLAG_DUP_WARN | DICT_FLAG_FOLD, .entry_sep = "\t",
		   .keep_source_mode = 1 },
	.max_depth = -1,
    };
    int incremental = 0, ch;

    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "+:bc:d:fFhimnNopq:rsuUvw", table_long_options, NULL)) > 0) {
	switch (ch) {
	case HELP_OPTION: help_print(stdout, "map"); return 0;
	case '?': case ':': return help_option_error("map", ch, argv, 1);
	case 'b': run.map_flags |= MAP_BODY_KEY; break;
	case 'h': run.map_flags |= MAP_HEADER_KEY; break;
	case 'i': incremental = 1; break;
	case 'm': run.map_flags |= MAP_MIME_KEY; break;
	default:
	    if (!table_option(&run.table, ch, optarg))
		usage();
	}
    }

    /* The configuration decides the default type and UTF-8 handling. */
    struct model *cfg = model_load_main(NULL);
    char *db_type = model_value(cfg, NULL, "default_database_type", NULL);
    int utf8 = model_bool(cfg, "smtputf8_enable");
    run.table.default_type = db_type;
    run.header_limit = (size_t) model_long(cfg, "header_size_limit", 0);
    run.bound_limit = (size_t) model_long(cfg, "mime_boundary_length_limit", 0);
    run.max_depth = model_long(cfg, "mime_nesting_limit", -1);
    if (utf8 && !run.table.no_utf8)
	run.table.dict_flags |= DICT_FLAG_UTF8;
    diag_set_utf8(utf8);

    if ((run.table.query == NULL || strcmp(run.table.query, "-") != 0) && run.map_flags)
	diag_fatal("specify -b -h or -m only with \"-q -\"");
    if (run.map_flags == MAP_MIME_KEY)
	diag_warn("ignoring -m option without -b or -h");
    /* Header and body text is not looked up as UTF-8 (as postmap). */
    if (run.map_flags & (MAP_HEADER_KEY | MAP_BODY_KEY))
	run.table.dict_flags &= ~DICT_FLAG_UTF8;

    char **tables = argv + optind;
    int count = argc - optind;
    int status = 0;
    if (count < 1)
	usage();
    if (run.table.delkey != NULL) {
	status = table_delete(&run.table, run.table.delkey, tables, count);
    } else if (run.table.query != NULL) {
	if (strcmp(run.table.query, "-") != 0)
	    status = table_query_one(&run.table, run.table.query, tables, count);
	else if (run.map_flags & (MAP_HEADER_KEY | MAP_BODY_KEY))
	    status = query_message(&run, tables, count);
	else
	    status = table_query_lines(&run.table, tables, count);
    } else if (run.table.sequence) {
	status = table_sequence(&run.table, tables[0]);
    } else {
	for (int i = 0; i < count; i++)
	    build(&run, tables[i], incremental);
    }
    free(db_type);
    model_free(cfg);
    free(cfg);
    out_finish();
    return status;
}
