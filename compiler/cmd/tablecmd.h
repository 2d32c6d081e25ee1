/*
 * tablecmd - what pfc map and pfc alias share, as postmap and postalias
 * share it: opening "type:file" arguments, -q KEY, -q -, -s, -d, building
 * with the source's permissions, and the exact diagnostics of each.
 */
#ifndef PFC_TABLECMD_H
#define PFC_TABLECMD_H

#include <getopt.h>
#include <stdio.h>
#include <sys/types.h>

#include "dict.h"

struct table_run {
    const char *default_type;	/* default_database_type */
    unsigned dict_flags;
    const char *entry_sep;	/* between key and value: "\t" or ":\t" */
    int keep_source_mode;	/* not -p: a new table is as private as its source */
    /* What to do, from the options: */
    const char *query;		/* -q KEY, or "-" */
    const char *delkey;		/* -d KEY, or "-" */
    int sequence;		/* -s */
    int no_utf8;		/* -u */
};

/*
 * --replace-foreign: a build may replace a .db that pfc did not write
 * (pfc's own option, for pfc map, pfc alias and pfc newaliases).
 */
#define TABLE_OPT_REPLACE_FOREIGN 256
extern const struct option table_long_options[];

/*
 * table_option - the options postmap and postalias share: -c, -d, -q,
 * -s, -u, how a table folds, stores NULs and handles duplicates (-f -n
 * -N -r -w -p), and --replace-foreign. Returns 1 when ch was one of them.
 */
int table_option(struct table_run *run, int ch, const char *arg);

/* table_spec - "type:name", with the default type when none is given */
char *table_spec(const struct table_run *run, const char *arg);
/* table_open, table_close - open or close, or die with the table's error */
struct dict *table_open(const struct table_run *run, const char *arg, int mode,
			unsigned flags);
void table_close(struct dict *dict);
/* table_error - fatal "table TYPE:NAME: WHAT error[: details]" */
void table_error(const struct dict *dict, const char *what)
    __attribute__((noreturn));
/* table_warn_empty - the two warnings for a table that answers "" */
void table_warn_empty(const struct dict *dict, const char *key);

/* table_query_one - -q KEY: the first table with the key prints its value */
int table_query_one(const struct table_run *run, const char *key, char **tables,
		    int count);

/* A -q - run: tables opened on first use, as postmap and postalias do. */
struct table_batch {
    const struct table_run *run;
    char **tables;
    struct dict **dicts;
    int count;
    int found;
};
void table_batch_init(struct table_batch *b, const struct table_run *run,
		      char **tables, int count);
/* table_batch_lookup - try each table; the first hit prints "key SEP value" */
void table_batch_lookup(struct table_batch *b, const char *key);
/* table_batch_end - close the tables; returns the exit status (0: found) */
int table_batch_end(struct table_batch *b);
/* table_query_lines - -q -: each line of stdin is a key */
int table_query_lines(const struct table_run *run, char **tables, int count);

/* table_sequence - -s: every entry of the table, in its own order */
int table_sequence(const struct table_run *run, const char *table);
/* table_delete - -d KEY or -d - (keys on stdin): 0 if any was found */
int table_delete(const struct table_run *run, const char *key, char **tables,
		 int count);

/*
 * table_source - the source of a build of table name: the file, opened
 * under --root (fatal in the tools' words when it cannot be), the table
 * as private as it (table_protect: *saved_mask); for an incremental run
 * (-i), stdin. *path is how warnings name it ("stdin" for stdin).
 */
FILE *table_source(const struct table_run *run, const char *name, int incremental,
		   const char **path, int *saved_mask);

/*
 * table_stamp_source - after a build from fp, record in the table the
 * SHA-256 and size of fp's bytes (read again from the start of the same
 * open file, so no other file can be hashed), and the number of warnings
 * reading it gave, for pfc check (db-stale, table-syntax). Fatal on a
 * read error, in the build's words.
 */
void table_stamp_source(struct dict *dict, FILE *fp, const char *path,
			unsigned long warnings);

/*
 * table_protect - as postmap: a table built from source is no more
 * readable than its source. Returns the umask to restore, or -1.
 */
int table_protect(const struct table_run *run, FILE *source);
void table_unprotect(int saved_mask);

#endif
