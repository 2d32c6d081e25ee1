/*
 * alias - "pfc alias" and "pfc newaliases": alias tables as Postfix's
 * postalias(1) and newaliases(1) build and query them (SPEC 6, 7), with
 * their options, output and exit codes. The aliases(5) source is parsed
 * by grammar/aliases.c; tables are opened through maps/dict.h.
 *
 * What postalias adds to postmap: its own source format, "key:<TAB>value"
 * output for -q - and -s, and the signatures it stores after the entries
 * (the Sendmail "@" -> "@" sentinel, and the NIS YP_LAST_MODIFIED and
 * YP_MASTER_NAME keys that Debian's build writes too, without NULs and
 * without case folding).
 */
#include <errno.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "aliases.h"
#include "commands.h"
#include "model.h"
#include "diag.h"
#include "dict.h"
#include "help.h"
#include "main_cf.h"
#include "output.h"
#include "strbuf.h"
#include "tablecmd.h"
#include "textutil.h"
#include "sysroot.h"
#include "xalloc.h"

/* sendmail(1) ends every fatal error with EX_TEMPFAIL, newaliases too. */
#define NEWALIASES_FATAL_STATUS 75

struct alias_run {
    struct table_run table;	/* first: what tablecmd needs */
    struct model *cfg;
    int incremental;		/* -i: add stdin to the table */
};

static void usage(void)
{
    diag_fatal("usage: %s", help_usage_line("alias"));
}

/* store - one update; only a failure stops the run (a duplicate warns) */
static void store(struct dict *dict, const char *key, const char *value)
{
    if (dict_update(dict, key, value) == DICT_FAIL)
	table_error(dict, "write");
}

static void store_entry(void *ctx, const char *key, const char *value, int line)
{
    (void) line;
    store(ctx, key, value);
}

/*
 * store_signatures - what postalias writes after the entries. With -i the
 * signatures replace the old ones, whatever -r or -w said. The NIS keys
 * carry no NUL and keep their case, so they change the table's flags
 * (the table types read dict->flags at each update).
 */
static void store_signatures(const struct alias_run *run, struct dict *dict)
{
    char stamp[32];

    if (run->incremental) {
	dict->flags &= ~(DICT_FLAG_DUP_WARN | DICT_FLAG_DUP_IGNORE);
	dict->flags |= DICT_FLAG_DUP_REPLACE;
    }
    store(dict, "@", "@");

    dict->flags &= ~(DICT_FLAG_TRY1NULL | DICT_FLAG_FOLD);
    dict->flags |= DICT_FLAG_TRY0NULL;
    snprintf(stamp, sizeof(stamp), "%010ld", (long) time(NULL));
    store(dict, "YP_LAST_MODIFIED", stamp);
    char *myhostname = model_value(run->cfg, NULL, "myhostname", NULL);
    store(dict, "YP_MASTER_NAME", myhostname);
    free(myhostname);
}

/* build - create the table from its source file, or (-i) add stdin to it */
static void build(const struct alias_run *run, const char *arg)
{
    char *spec = table_spec(&run->table, arg);
    const char *name = strchr(spec, ':') + 1;
    FILE *fp = stdin;
    const char *path = "stdin";
    unsigned flags = run->table.dict_flags;
    int saved_mask = -1;

    if (!run->incremental) {
	char *opened = sysroot_path(name);
	fp = fopen(opened, "r");
	free(opened);
	if (fp == NULL)
	    diag_fatal("open %s: %s", name, strerror(errno));
	path = name;
	flags |= DICT_FLAG_BULK;
	saved_mask = table_protect(&run->table, fp);
    }
    struct dict *dict = table_open(&run->table, spec,
				   run->incremental ? DICT_UPDATE : DICT_CREATE, flags);
    /* Keys are folded by the table (ASCII or UTF-8 aware, or not with -f). */
    unsigned long warnings = diag_warning_count();
    if (aliases_read_stream(fp, path, (flags & DICT_FLAG_UTF8) ? ALIASES_UTF8 : 0,
			    store_entry, dict) < 0)
	diag_fatal("read %s: %s", path, strerror(errno));
    warnings = diag_warning_count() - warnings;
    store_signatures(run, dict);
    if (fp != stdin)
	table_stamp_source(dict, fp, path, warnings);
    table_close(dict);
    table_unprotect(saved_mask);
    if (fp != stdin)
	fclose(fp);
    free(spec);
}

/*
 * run_setup - read main.cf ($MAIL_CONFIG) for the default table type and
 * smtputf8_enable, which turns on UTF-8 checks and folding unless -u.
 */
static void run_setup(struct alias_run *run)
{
    run->cfg = model_load_main(NULL);
    run->table.default_type = model_value(run->cfg, NULL, "default_database_type", NULL);
    int utf8 = model_bool(run->cfg, "smtputf8_enable");
    if (utf8 && !run->table.no_utf8)
	run->table.dict_flags |= DICT_FLAG_UTF8;
    diag_set_utf8(utf8);
}

static void run_cleanup(struct alias_run *run)
{
    free((char *) run->table.default_type);
    model_free(run->cfg);
    free(run->cfg);
}

int cmd_alias(int argc, char **argv)
{
    struct alias_run run = {
	.table = { .dict_flags = DICT_FLAG_DUP_WARN | DICT_FLAG_FOLD, .entry_sep = ":\t",
		   .keep_source_mode = 1 },
    };
    int ch;

    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "+:Nc:d:fhinopq:rsuvw", table_long_options, NULL)) > 0) {
	switch (ch) {
	case 'h': case HELP_OPTION: help_print(stdout, "alias"); return 0;
	case '?': case ':': return help_option_error("alias", ch, argv, 1);
	case 'i':
	    run.incremental = 1;
	    break;
	default:
	    if (!table_option(&run.table, ch, optarg))
		usage();
	}
    }
    /* As postalias: main.cf is read (and must exist) before the operands count. */
    run_setup(&run);

    char **tables = argv + optind;
    int count = argc - optind;
    int status = 0;
    if (run.table.sequence) {
	/* postalias shows the first table only, and without one just fails. */
	if (count < 1)
	    status = 1;
	else
	    table_sequence(&run.table, tables[0]);
    } else if (count < 1) {
	usage();
    } else if (run.table.delkey != NULL) {
	status = table_delete(&run.table, run.table.delkey, tables, count);
    } else if (run.table.query != NULL) {
	status = strcmp(run.table.query, "-") == 0 ? table_query_lines(&run.table, tables, count)
	    : table_query_one(&run.table, run.table.query, tables, count);
    } else {
	for (int i = 0; i < count; i++)
	    build(&run, tables[i]);
    }
    run_cleanup(&run);
    out_finish();
    return status;
}

/*
 * newaliases_fatal - a fatal error of the sendmail side of newaliases,
 * which exits with EX_TEMPFAIL where diag_fatal() exits 1. Same shape as
 * diag's messages (the texts here are plain ASCII).
 */
static void newaliases_fatal(const char *fmt, ...)
    __attribute__((format(printf, 1, 2), noreturn));

static void newaliases_fatal(const char *fmt, ...)
{
    struct strbuf msg = STRBUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    sb_vprintf(&msg, fmt, ap);
    va_end(ap);
    diag_set_fatal_status(NEWALIASES_FATAL_STATUS);
    diag_fatal("%s", sb_str(&msg));
}

/* config_dir_arg - sendmail's -C takes a directory or a main.cf path */
static char *config_dir_arg(const char *arg)
{
    const char *slash = strrchr(arg, '/');
    const char *base = slash ? slash + 1 : arg;

    if (strcmp(base, "main.cf") != 0)
	return xstrdup(arg);
    if (slash == NULL)
	return xstrdup(".");
    if (slash == arg)
	return xstrdup("/");
    return xstrndup(arg, (size_t) (slash - arg));
}

int cmd_newaliases(int argc, char **argv)
{
    struct alias_run run = {
	.table = { .dict_flags = DICT_FLAG_DUP_WARN | DICT_FLAG_FOLD, .entry_sep = ":\t",
		   .keep_source_mode = 1 },
    };
    const char *override = NULL;
    int ch;

    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "+:C:c:ho:v", table_long_options, NULL)) > 0) {
	switch (ch) {
	case 'h': case HELP_OPTION: help_print(stdout, "newaliases"); return 0;
	case TABLE_OPT_REPLACE_FOREIGN:
	    run.table.dict_flags |= DICT_FLAG_REPLACE_FOREIGN;
	    break;
	case 'C':
	case 'c': {
	    char *dir = config_dir_arg(optarg);
	    if (setenv("MAIL_CONFIG", dir, 1) < 0)
		newaliases_fatal("out of memory");
	    free(dir);
	    break;
	}
	case 'o':
	    /* sendmail ignores the -o options it does not know. */
	    if (optarg[0] == 'A') {
		if (optarg[1] == 0)
		    newaliases_fatal("-oA requires pathname");
		override = optarg + 1;
	    }
	    break;
	case 'v':
	    break;
	default:
	    return help_option_error("newaliases", ch, argv, NEWALIASES_FATAL_STATUS);
	}
    }
    if (optind < argc)
	newaliases_fatal("alias initialization mode requires no recipient");

    /* sendmail reads main.cf first: a missing one is its fatal error. */
    const char *dir = getenv("MAIL_CONFIG") ? getenv("MAIL_CONFIG") : "/etc/postfix";
    char *deployed = xconcat(dir, "/main.cf", (char *) NULL);
    char *main_cf = sysroot_path(deployed);
    if (access(main_cf, R_OK) != 0)
	newaliases_fatal("open %s: %s", main_cf, strerror(errno));
    free(main_cf);
    free(deployed);

    /* From here on the work is postalias's, with its exit status 1. */
    run_setup(&run);
    char *maps = NULL;
    if (override == NULL) {
	maps = model_value(run.cfg, NULL, "alias_database", NULL);
	if (maps == NULL || *maps == 0) {
	    free(maps);
	    run_cleanup(&run);
	    return 0;
	}
    }
    /* -oA names one table, unsplit; alias_database is a list. */
    char **tables = xcalloc(strlen(maps ? maps : "") / 2 + 2, sizeof(*tables));
    int count = 0;
    if (override != NULL) {
	tables[count++] = (char *) override;
    } else {
	for (char *cursor = maps, *table; (table = strsep(&cursor, CHARS_COMMA_SP)) != NULL;)
	    if (*table != 0)
		tables[count++] = table;
    }
    if (count == 0)
	usage();		/* postalias run without a table */
    for (int i = 0; i < count; i++)
	build(&run, tables[i]);
    free(tables);
    free(maps);
    run_cleanup(&run);
    return 0;
}
