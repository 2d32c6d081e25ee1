/*
 * dict - the lookup-table layer. Every table type is one file behind this
 * small interface and one line in the registry (dict_registry.c). pfc map,
 * pfc alias, pfc lookup and, later, the linter and the image compiler all
 * open tables through dict_open() and nothing else.
 *
 * Semantics follow Postfix 3.7's dict(3): a lookup finds a value, finds
 * nothing, or fails; keys of fixed-key tables are lowercased unless the
 * table was opened without DICT_FLAG_FOLD; duplicates while building keep
 * the first entry with a warning unless told otherwise.
 */
#ifndef PFC_DICT_H
#define PFC_DICT_H

#include <stddef.h>

/* Results of lookup, update, remove and sequence. */
#define DICT_FOUND	0
#define DICT_NOTFOUND	1
#define DICT_FAIL	(-1)

/* How a table is opened (postmap's options map onto these). */
#define DICT_FLAG_FOLD		(1u << 0)	/* lowercase keys (not with -f) */
#define DICT_FLAG_DUP_WARN	(1u << 1)	/* duplicate: keep first, warn */
#define DICT_FLAG_DUP_IGNORE	(1u << 2)	/* -w: keep first quietly */
#define DICT_FLAG_DUP_REPLACE	(1u << 3)	/* -r: last one wins quietly */
#define DICT_FLAG_TRY1NULL	(1u << 4)	/* keys/values with a trailing NUL */
#define DICT_FLAG_TRY0NULL	(1u << 5)	/* ... without one */
#define DICT_FLAG_UTF8		(1u << 6)	/* smtputf8_enable: UTF-8 folding,
						 * non-UTF-8 keys refused */
#define DICT_FLAG_BULK		(1u << 7)	/* building a whole table at once */
#define DICT_FLAG_REPLACE_FOREIGN (1u << 8)	/* a build may replace a .db pfc
						 * did not write (--replace-foreign) */

/* Open modes. */
#define DICT_READ	0		/* an existing table */
#define DICT_CREATE	1		/* a new, empty table (pfc map build) */
#define DICT_UPDATE	2		/* a table to add to, created if need be (-i) */
#define DICT_MODIFY	3		/* an existing table to change (-d) */

/* What a table type can do; the linter refuses a table used out of place. */
#define DICT_CAP_FIXED		(1u << 0)	/* exact keys: partial keys allowed */
#define DICT_CAP_PATTERN	(1u << 1)	/* patterns: whole strings only */
#define DICT_CAP_BUILD		(1u << 2)	/* indexed file built by pfc map */
#define DICT_CAP_UNSUPPORTED	(1u << 3)	/* a Postfix type pfc does not serve */
#define DICT_CAP_FILE		(1u << 4)	/* names a file (opened under --root) */

struct dict;
struct diag_sink;

struct dict_type {
    const char *name;
    unsigned caps;
    /*
     * open - open the table named by name (the text after "type:"),
     * reporting what its source warns about to sink. On failure return
     * NULL and set *err to a message in Postfix's words, e.g. "open
     * database /x/f.db: No such file or directory".
     */
    struct dict *(*open)(const char *name, int mode, unsigned flags,
			 const struct diag_sink *sink, char **err);
    /* The file extension of an indexed table (".db"), or NULL. */
    const char *suffix;
};

struct dict {
    const struct dict_type *type;
    char *name;			/* the text after "type:" */
    /*
     * label - the name Postfix's messages use: the name, except for
     * indexed files, where it is the file itself (NAME.db).
     */
    const char *label;
    unsigned flags;
    /* sink - where the table's warnings go (NULL: the process's sink) */
    const struct diag_sink *sink;
    /*
     * caps - what this table can do: its type's caps, except for unionmap
     * and pipemap, which take DICT_CAP_FIXED or DICT_CAP_PATTERN from their
     * first table. Lookup orders decide on partial keys from this.
     */
    unsigned caps;
    /* lookup - *value stays valid until the next call on this table */
    int (*lookup)(struct dict *dict, const char *key, const char **value);
    /* update, remove - writers only (NULL: the type cannot) */
    int (*update)(struct dict *dict, const char *key, const char *value);
    int (*remove)(struct dict *dict, const char *key);
    /* sequence - first != 0 restarts; DICT_NOTFOUND at the end */
    int (*sequence)(struct dict *dict, int first, const char **key,
		    const char **value);
    /* close - commit what was written (atomically) and free; 0 or -1 */
    int (*close)(struct dict *dict, char **err);
    /*
     * error - the message for the last DICT_FAIL, owned by the table; ""
     * for a configuration error, which Postfix reports without details.
     */
    char *error;
    /*
     * match_line - the source line of the rule that answered the last
     * successful lookup, where the table knows it (pattern tables), else 0.
     */
    int match_line;
};

/* dict_type_find - the registered type of that name, or NULL */
const struct dict_type *dict_type_find(const char *name);

/*
 * dict_open_to - open "type:name". A name without a type uses
 * default_database_type (hash). The table reports its warnings (about
 * its source as it opens, about keys later) to sink, NULL: the process's;
 * sink must outlive the table. Returns NULL with *err set ("unsupported
 * dictionary type: bogus", or the type's own open error).
 */
struct dict *dict_open_to(const char *spec, int mode, unsigned flags,
			  const struct diag_sink *sink, char **err);
/* dict_open - dict_open_to() with the process's sink */
struct dict *dict_open(const char *spec, int mode, unsigned flags, char **err);
int dict_close(struct dict *dict, char **err);

/*
 * dict_lookup, dict_update - what callers use instead of the methods: with
 * DICT_FLAG_UTF8 they refuse keys and values that are not UTF-8, with
 * Postfix's warnings, as its UTF-8 layer over every table does.
 */
int dict_lookup(struct dict *dict, const char *key, const char **value);
int dict_update(struct dict *dict, const char *key, const char *value);

/* dict_alloc - a struct dict for a type's open function; size >= sizeof */
struct dict *dict_alloc(const struct dict_type *type, const char *name,
			unsigned flags, size_t size);
void dict_free(struct dict *dict);
/* dict_format_error - a new message string, for open functions' *err */
char *dict_format_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* dict_set_error - record the message of a DICT_FAIL; returns DICT_FAIL */
int dict_set_error(struct dict *dict, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * dict_fold - the key as a fixed-key table sees it: lowercased when the
 * table folds (ASCII, or UTF-8 aware with DICT_FLAG_UTF8). Returns a
 * pointer to a buffer owned by the caller's strbuf.
 */
struct strbuf;
const char *dict_fold(const struct dict *dict, const char *key, struct strbuf *buf);

/*
 * The source stamp of hash: and btree: tables (dict_gdbm.c): pfc map and
 * pfc alias record the SHA-256 and size of the source bytes a table was
 * built from, so pfc check can tell a stale table by content, not mtime;
 * and whether that build warned, and with which reader settings, so a
 * clean table's source need not be read twice. An update (-i, -d) puts
 * "updated" in place of the stamp: the table then matches no source file.
 */
struct dict_stamp {
    char sha256[65];		/* lowercase hex */
    long long size;		/* bytes */
    unsigned long warnings;	/* warnings while reading the source */
    unsigned flags;		/* DICT_FLAG_FOLD, DICT_FLAG_UTF8 of the build */
};

/*
 * dict_gdbm_set_source_stamp - stamp a hash/btree table being built
 * (ignored for other types); written at close.
 */
void dict_gdbm_set_source_stamp(struct dict *dict, const struct dict_stamp *stamp);
/*
 * dict_gdbm_source_stamp - read the stamp of the table file db_path
 * (NAME.db) without loading the table: 1 with *stamp set; 0 for a pfc
 * table updated with -i or -d since its build; 2 for a pfc table without
 * a stamp (built by a pfc that predates stamps); -1 with *err when it is
 * not a pfc table or cannot be read.
 */
int dict_gdbm_source_stamp(const char *db_path, struct dict_stamp *stamp, char **err);

/*
 * dict_gdbm_release - hash and btree readers keep their table's shared
 * lock from one lookup to the next: a process that may wait (for input)
 * calls this first, so that writers need not wait for it. The next
 * lookup takes the lock again.
 */
void dict_gdbm_release(void);

#endif
