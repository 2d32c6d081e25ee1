/*
 * loader - open a policy image, verify it, then answer from it. The
 * verifier trusts nothing: every checksum, offset, index, string, slot,
 * rule, network, instruction and pattern is checked before any is
 * followed, so a damaged or hostile image is refused with a message,
 * never a crash. Two ways to open one:
 *
 *   image_open()       all of it, once (pfc verify, dump, diff, query of
 *                      many keys, pfcd); then the accessors and
 *                      image_lookup() do no further checks;
 *   image_open_lazy()  for a lookup or two (pfc query of one key): all
 *                      but the tables' contents at once, and each table's
 *                      contents when a lookup first reads them - a pattern
 *                      table whole, an exact table probe by probe - so a
 *                      lookup in a 100 MB image checks a few blocks of it.
 *
 * It never includes anything from compiler/ or grammar/.
 */
#ifndef PFC_LOADER_H
#define PFC_LOADER_H

#include <stddef.h>
#include <stdint.h>

#include "image.h"

/* Why an image was refused: distinct codes, distinct messages. */
enum image_status {
    IMAGE_OK = 0,
    IMAGE_ERR_IO,		/* cannot open, stat or map the file */
    IMAGE_ERR_NOT_IMAGE,	/* "not an image": the magic is wrong */
    IMAGE_ERR_VERSION,		/* "version mismatch: rebuild with pfc build" */
    IMAGE_ERR_TRUNCATED,	/* "truncated": shorter than the header says */
    IMAGE_ERR_CORRUPT,		/* "corrupt: <what and where>" */
};

struct regex_program;		/* a compiled rule pattern (loader-private) */
struct image_lazy;		/* what a lazy image has checked so far (loader-private) */

/*
 * A verified image. The arrays point into the mapping; counts are record
 * counts. Read-only for everyone but the loader.
 */
struct image {
    const unsigned char *base;
    size_t size;
    int mapped;			/* 1: base is an mmap of a file; 2: a copy
				 * image_from_memory() made to align it */
    const struct img_header *header;
    const char *strings;
    uint32_t strings_size;
    const struct img_source *sources;
    uint32_t nsources;
    const struct img_setting *params;
    uint32_t nparams;
    const struct img_service *services;
    uint32_t nservices;
    const struct img_setting *overrides;
    uint32_t noverrides;
    const struct img_table *tables;
    uint32_t ntables;
    const uint32_t *refs;
    uint32_t nrefs;
    const struct img_entry *entries;
    uint32_t nentries;
    const uint32_t *slots;
    uint32_t nslots;
    const struct img_rule *rules;
    uint32_t nrules;
    const struct img_piece *pieces;
    uint32_t npieces;
    const struct img_program *programs;
    uint32_t nprograms;
    const struct img_insn *insns;
    uint32_t ninsns;
    const struct img_host_piece *host_pieces;
    uint32_t nhost_pieces;
    const struct img_net *nets;
    uint32_t nnets;
    const uint64_t *sums;
    uint32_t nsums;
    /* one compiled pattern per rule pattern (NULL where none) */
    struct regex_program **compiled;
    struct regex_program **compiled2;
    /* NULL when all of it was verified at open; else image_open_lazy()'s state */
    struct image_lazy *lazy;
};

/*
 * image_open - map path read-only and verify it. Returns IMAGE_OK with
 * *img set, or a status with *err set to the whole message, e.g.
 * "policy.pfi: corrupt: table 3 (hash:/etc/postfix/virtual): slot 17
 * names entry 900 of 12". The caller frees *err.
 */
enum image_status image_open(const char *path, struct image **img, char **err);

/*
 * image_from_memory - verify an image held in memory (not copied: data
 * must outlive the image). label names it in messages. For pfc diff of
 * two config dirs and for the fuzzers.
 */
enum image_status image_from_memory(const void *data, size_t size, const char *label,
				    struct image **img, char **err);

/*
 * image_open_lazy, image_from_memory_lazy - the same, verifying at once
 * everything but the contents of the tables (ENTR, SLOT, RULE, PIEC,
 * NETS and the strings they name), which a lookup verifies as it first
 * reads them: the blocks it reads against their checksums, and each
 * record and string it reads as image_open() would. A lookup that meets
 * damage answers IMAGE_REFUSED. Only for the tables, parameters and
 * lookups: image_open() is for reading everything.
 */
enum image_status image_open_lazy(const char *path, struct image **img, char **err);
enum image_status image_from_memory_lazy(const void *data, size_t size, const char *label,
					 struct image **img, char **err);

void image_close(struct image *img);

/* image_status_name - "not an image", "truncated", ... for a status */
const char *image_status_name(enum image_status status);

/* image_str - the string at offset off of the pool (verified) */
static inline const char *image_str(const struct image *img, uint32_t off)
{
    return img->strings + off;
}

/* image_table_find - the index of the table named spec, or IMG_NONE */
uint32_t image_table_find(const struct image *img, const char *spec);

/*
 * image_table_indexed - 1 when Postfix names the table by its file,
 * NAME.db, in its messages (hash:, btree:), as pfc map does; else 0.
 */
int image_table_indexed(const struct image *img, uint32_t table);

/* Lookup results, as maps/dict.h's. */
#define IMAGE_FOUND	0
#define IMAGE_NOTFOUND	1
#define IMAGE_FAIL	(-1)
/*
 * A lazy image is damaged where the lookup read it: the error is the
 * refusal, "LABEL: corrupt: ...", as image_open() would have given it.
 */
#define IMAGE_REFUSED	(-2)

struct unix_memo;

/*
 * A lookup's scratch space: the answer may be built here (pattern
 * results with $n, unionmap and pipemap), and a failure's message.
 * Zero it before first use; image_lookup_done() frees it.
 */
struct image_lookup_buf {
    char *data;
    size_t len, cap;
    char *error;		/* the message of the last IMAGE_FAIL */
    /*
     * The source line of the entry or rule that gave the last
     * IMAGE_FOUND (0: unknown, or several: a unionmap that joined
     * answers), for the engine's explanations.
     */
    uint32_t line;
    /* The lookups' own: room for the capture groups of a match. */
    void *pcre_match;		/* pcre2_match_data */
    uint32_t pcre_pairs;
    void *regmatch;		/* regmatch_t[] */
    size_t nregmatch;
    /*
     * The caller's memo of unix:passwd.byname answers (table_unix.h),
     * NULL: the host is asked at each lookup. Not the buffer's own:
     * image_lookup_done() leaves it alone.
     */
    struct unix_memo *accounts;
};

/*
 * image_lookup - look key up in table the way Postfix's dict layer does
 * for that table (folding, pattern rules with IF/ENDIF, $n, cidr,
 * unionmap, pipemap), which is what pfc map -q does from the source.
 * *value stays valid until the next lookup with the same buf.
 */
int image_lookup(const struct image *img, uint32_t table, const char *key,
		 const char **value, struct image_lookup_buf *buf);
void image_lookup_done(struct image_lookup_buf *buf);

/*
 * Batch lookups (on an image verified whole) in an exact table cost a cache miss at each of three
 * places (its slot, its entry, the entry's key); spread over a batch,
 * the misses of different keys overlap. image_prefetch_start() folds and
 * hashes a key and starts loading its home slot; some keys later,
 * image_prefetch_step(stage 1) starts loading the entry there, and some
 * keys later again, stage 2 that entry's key and value; then
 * image_lookup() finds them in the cache. Only hints: they change no
 * answer, and do nothing for a table that is not an exact one.
 */
uint32_t image_prefetch_start(const struct image *img, uint32_t table, const char *key,
			      struct image_lookup_buf *buf);
void image_prefetch_step(const struct image *img, uint32_t table, uint32_t hash, int stage);

/*
 * image_lookup_prefetched - image_lookup() of a key whose hash
 * image_prefetch_start() returned: the same answer, without hashing the
 * key a second time.
 */
int image_lookup_prefetched(const struct image *img, uint32_t table, const char *key,
			    uint32_t hash, const char **value, struct image_lookup_buf *buf);

/*
 * image_param_find - the index in PARM of the parameter name, or IMG_NONE
 * (parameters are sorted by name)
 */
uint32_t image_param_find(const struct image *img, const char *name);

/*
 * image_sum_body - SUMS and the header's sums_checksum for the bytes of
 * an image laid out in memory (pfc build, once the body is final; a test
 * that damages an image on purpose, so the damage gets past them).
 * image_sum_header - then the header's own checksum. Both do nothing
 * where the header or the section table does not say where things are.
 */
void image_sum_body(void *data, size_t size);
void image_sum_header(void *data, size_t size);

/* image_sums_match - do all its checksums match the bytes? (1 or 0) */
int image_sums_match(const void *data, size_t size);

#endif
