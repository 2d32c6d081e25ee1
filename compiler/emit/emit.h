/*
 * emit - the parts of the image writer (image_write.h), one file each,
 * and what they share: the build being compiled and its string pool.
 *
 *   image_write.c    the driver: the model, the linter, then the parts in order
 *   emit_pool.c      the string pool, written in place
 *   emit_sources.c   the source manifest, digests beside the main thread
 *   emit_params.c    the model's resolver as the image needs it: values
 *                    as a daemon or a service sees them, host values
 *                    split out
 *   emit_settings.c  parameters, -o overrides, the tables they name
 *   emit_programs.c  restriction programs
 *   emit_tables.c    the table specs, numbered and dispatched by type
 *   emit_exact.c     exact tables: readers and hash indexes
 *   emit_rules.c     regexp, pcre and cidr tables
 *   emit_layout.c    the records, the sections, the checksums
 *
 * Private to compiler/emit.
 */
#ifndef PFC_EMIT_H
#define PFC_EMIT_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "check.h"
#include "image.h"
#include "strbuf.h"
#include "strmap.h"
#include "xalloc.h"		/* GROW */

/* The pool starts right after the header and the section table. */
#define POOL_BASE (sizeof(struct img_header) + IMG_S_COUNT * sizeof(struct img_section))

/*
 * The string pool, written straight into the image buffer at POOL_BASE.
 * Strings are interned: one open-addressing index of (hash << 32 |
 * offset) words, so the same bytes get the same offset and a million
 * strings cost no million allocations. The exceptions are the entries
 * of exact tables: their keys, unique in their table, are appended as
 * they come, their values shared through a cache of their own
 * (emit_exact.c).
 */
struct pool {
    struct strbuf *out;
    uint64_t *index;		/* 0: empty; offset 0 ("") is never indexed */
    size_t cap, used;		/* cap: a power of two */
};

void pool_init(struct pool *p, struct strbuf *out, size_t expect_strings);
void pool_free(struct pool *p);
/* pool_at - the string at offset off */
const char *pool_at(const struct pool *p, uint32_t off);
/* pool_append - s (len bytes) added without looking for it; its offset */
uint32_t pool_append(struct pool *p, const char *s, size_t len);
/* pool_intern_hashed - the offset of s (len bytes, img_hash h), added if new */
uint32_t pool_intern_hashed(struct pool *p, const char *s, size_t len, uint32_t h);
/* pool_intern - the offset of s (NULL: the empty string), added if new */
uint32_t pool_intern(struct pool *p, const char *s);

/* A file the build read, for SRCS. */
struct source {
    char *path;			/* as the configuration names it */
    uint64_t size;
    unsigned char sha256[32];
};

/* One piece of a host-dependent value (image.h, img_host_piece). */
struct host_piece_rec {
    uint32_t kind;		/* enum img_host_kind */
    char *text;
};

/* A parameter, -o override or derived value before its strings are interned. */
struct setting_rec {
    const char *name;
    char *raw;
    char *expanded;
    uint32_t origin, line, flags;
    size_t refs_first, refs_count;	/* in build.pending */
    struct host_piece_rec *host;	/* with IMG_SETTING_HOST */
    size_t nhost;
    int host_default;		/* a default the host computes: expanded as "$name" */
    int refused;		/* the image cannot hold it (reported) */
};

struct insn_rec {
    uint32_t op;		/* restriction id */
    /* table: the spec; domain, endpoint, refused (op 0): the word; class: its name */
    char *arg;
    uint32_t number;		/* number: the value */
    uint32_t line;
    uint32_t flags;		/* IMG_INSN_* */
};

struct program_rec {
    char *name;
    uint32_t service;		/* IMG_NONE: main.cf */
    uint32_t line;
    size_t first, count;	/* in build.insns */
};

struct build {
    const struct model *m;	/* the configuration, read once */
    struct check *cx;		/* the linter that judged it (its captures, its table roles) */
    struct strbuf *out;
    struct pool pool;
    int utf8;			/* smtputf8_enable */
    unsigned fold_flags;	/* dict flags exact tables fold keys with */

    struct source *sources;
    size_t nsources, sources_cap;
    struct strmap source_index;	/* path -> index + 1 (in nsources order) */

    struct setting_rec *params;
    size_t nparams, params_cap;
    struct setting_rec *overrides;	/* per service: its -o, then its derived values */
    size_t noverrides, overrides_cap;
    size_t *service_overrides;	/* per service: its first override */
    struct strmap users;	/* name -> struct name_users: the parameters naming it */

    char **pending;		/* table specs named by settings, TREF order */
    size_t npending, pending_cap;

    struct program_rec *programs;
    size_t nprograms, programs_cap;
    struct insn_rec *insns;
    size_t ninsns, insns_cap;

    struct strmap specs;	/* every table spec -> index + 1 once numbered */
    const char **table_specs;	/* sorted */
    size_t ntables;
    struct img_table *tables;
    uint32_t *table_source;	/* per table: index in sources, or IMG_NONE */

    uint32_t *refs;
    size_t nrefs, refs_cap;
    struct img_entry *entries;
    size_t nentries, entries_cap;
    uint32_t *slots;
    size_t nslots, slots_cap;
    struct img_rule *rules;
    size_t nrules, rules_cap;
    struct img_piece *pieces;
    size_t npieces, pieces_cap;
    struct img_net *nets;
    size_t nnets, nets_cap;

    int failed;			/* an I/O problem was reported: exit 2 */
    /* Values the image cannot hold (exit 1): reported, and a default's refusal. */
    int refused;
    char *unplaced;		/* reported only when no setting's was */
};

/* emit_sources.c */
/* add_source - note a file read (path as named), its size and digest; its index */
uint32_t add_source(struct build *b, const char *path, size_t len,
		    const unsigned char sha256[32]);
/*
 * add_source_file - the same for a file read through the model (its bytes
 * stay there); -1, reported, if unreadable
 */
int add_source_file(struct build *b, const char *named, const char *opened, uint32_t *index);

/*
 * A SHA-256 computed beside the main thread: a big source is hashed while
 * it is parsed (two cores, half the wait).
 */
struct digest_job {
    const void *data;
    size_t len;
    unsigned char sha256[32];
    pthread_t thread;
    int started;
};
/* digest_start - hash data, in a thread when it is big and one can start */
void digest_start(struct digest_job *job, const void *data, size_t len);
void digest_wait(struct digest_job *job);

/* emit_params.c: the parameter resolver (the one place that expands $name) */

/* A value expanded in a view, with what the host decides split out. */
struct split_value {
    char *text;			/* expanded, the host's values as empty strings */
    struct host_piece_rec *pieces;	/* non-NULL: it depends on the host */
    size_t npieces;
    char *problem;		/* why the image cannot hold it, or NULL */
};

/*
 * params_default - the raw value of a name main.cf does not set, as the
 * image records it: what the configuration model holds for it (the
 * config_directory given), else the registry's default, or mydomain
 * derived from a main.cf myhostname; NULL when name has none. *host is
 * set when the host computes it (then "" is returned: the value is its
 * host piece).
 */
const char *params_default(struct build *b, const char *name, int *host);
/*
 * params_value - name's value in main.cf's view (svc NULL) or service
 * svc's, expanded, the host's values as empty strings; NULL if undefined
 */
char *params_value(struct build *b, const struct model_service *svc, const char *name);
/* params_split - raw expanded in the view, the host's values as pieces */
void params_split(struct build *b, const struct model_service *svc, const char *raw,
		  struct split_value *out);
void split_value_free(struct split_value *sv);

/* emit_settings.c */
/* compare_strings - qsort()'s strcmp, for arrays of strings */
int compare_strings(const void *a, const void *b);
/* override_line - the master.cf line an -o option is written on */
uint32_t override_line(const struct model_service *svc, const struct model_override *o);
void collect_params(struct build *b);
void collect_overrides(struct build *b);
/* note_spec - a table spec the configuration names, its members too */
void note_spec(struct build *b, const char *spec, int depth);
/* setting_out - a setting's record, its strings interned and host pieces added */
void setting_out(struct build *b, const struct setting_rec *rec, struct img_setting *out,
		 struct img_host_piece **host, size_t *nhost, size_t *host_cap);
void free_settings(struct build *b);

/* emit_programs.c */
void collect_programs(struct build *b);
/* programs_out - PROG and INSN, sorted, their strings interned (new arrays) */
void programs_out(struct build *b, struct img_program **programs, struct img_insn **insns,
		  size_t *ninsns);
void free_programs(struct build *b);

/* emit_tables.c */
/* table_index - the index of a table spec the build collected */
uint32_t table_index(const struct build *b, const char *spec);
/* compile_tables - number the specs collected, then compile each; 0 or 2 */
int compile_tables(struct build *b);

/* emit_exact.c */
/* count_lines - how many lines: at most one entry each, so sizes are known at once */
size_t count_lines(const char *text, size_t len);
/* slots_for - the slots of an exact table of count entries */
size_t slots_for(size_t count);
/* compile_file_table - hash, btree, texthash from source or .db (else EXTERNAL) */
int compile_file_table(struct build *b, struct img_table *rec, uint32_t *source,
		       const char *spec, const char *type, const char *name);
/* compile_dict - an exact table through dict_open() (an inline: table, a .db) */
int compile_dict(struct build *b, struct img_table *rec, const char *spec, int report);
/* discard_warning - readers' warnings are pfc check's to give: none in a build */
void discard_warning(void *ctx, const char *message);

/* emit_rules.c */
int compile_patterns(struct build *b, struct img_table *rec, uint32_t *source,
		     const char *spec, const char *type, const char *name);
int compile_cidr(struct build *b, struct img_table *rec, uint32_t *source,
		 const char *spec, const char *name);

/* emit_layout.c */
/*
 * write_image - the records of everything compiled, their strings
 * interned, the sections after the pool, the section table, the block
 * checksums and the header without its content id and checksum
 * (image_seal()'s)
 */
void write_image(struct build *b);

#endif
