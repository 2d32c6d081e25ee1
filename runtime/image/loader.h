/*
 * loader - open a policy image, verify all of it once, then answer from
 * it. The verifier trusts nothing: every offset, index, string, slot,
 * rule, instruction and pattern is checked before any is followed, so a
 * damaged or hostile image is refused with a message, never a crash.
 * After image_open() succeeds, the accessors and image_lookup() do no
 * further checks. This is what pfc verify, pfc dump, pfc diff, pfc query
 * and pfcd use; it never includes anything from compiler/ or grammar/.
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
    /* one compiled pattern per rule pattern (NULL where none) */
    struct regex_program **compiled;
    struct regex_program **compiled2;
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
 * Batch lookups in an exact table cost a cache miss at each of three
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

#endif
