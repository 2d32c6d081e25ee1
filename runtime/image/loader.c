/*
 * loader - map a policy image and verify it before anything reads it
 * (see loader.h). The verifier goes in the order a reader depends on
 * things: the header's magic and version, the sizes, the header's
 * checksum (which covers the section table and, through sums_checksum,
 * the block checksums), the section table, then every block of the body
 * against its checksum (before a single offset in it is followed, so
 * random damage stops here with a plain message), then the string pool
 * and every record of every section: each offset, index, run, hash,
 * slot, rule, network, jump and instruction in range, and every pattern
 * compiled. What passes is safe to read without another check, whatever
 * bytes a hostile writer chose.
 *
 * A lazy open (image_open_lazy()) runs the same checks on everything but
 * the tables' contents, checking only the blocks those records lie in;
 * a table's contents are checked on first use (lazy_table()), and an
 * exact table's slots, entries and strings by the probe that reads them
 * (image_lookup.c through lazy_bytes() and lazy_string()).
 *
 * Arithmetic on values from the file is done in uint64_t and compared
 * before it is added (cdb's "pos > size || size - pos < len"), so no
 * check can wrap. The checks are O(1) per reference and linear in all,
 * and the long sweeps of the full pass (the blocks, the entries, the
 * slots) are shared by a thread per processor, so a 1,000,000-entry
 * image loads in a few tens of milliseconds of processor time, spread.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compiled.h"
#include "lazy.h"
#include "loader.h"
#include "restriction.h"
#include "strbuf.h"
#include "xalloc.h"

#define HEADER_SIZE	((uint64_t) sizeof(struct img_header))
/* Longest piece of a string quoted in a message. */
#define QUOTE		"%.200s"

/* What a lazy image has checked so far. */
struct image_lazy {
    char *label;
    uint64_t body;		/* where block 0 starts: the end of the section table */
    uint64_t sums_at;		/* where the blocks end: SUMS */
    unsigned char *block_ok;	/* per block: its checksum matched */
    unsigned char *table_ok;	/* per table: its contents were checked */
};

struct verify {
    const unsigned char *base;
    uint64_t size;
    const char *label;
    char **err;
    struct image *img;
    struct image_lazy *lazy;	/* NULL: the full pass, every block checked first */
    uint32_t *rule_owner;	/* the table each rule belongs to, or IMG_NONE */
    uint64_t *where;		/* slots_linear(): where each entry is */
    unsigned char *depth;	/* unionmap/pipemap nesting, 0: not known yet */
};

/* ------------------------------------------------------------ messages */

static enum image_status vrefuse(struct verify *v, enum image_status status,
				 const char *fmt, va_list ap)
{
    struct strbuf msg = STRBUF_INIT;

    sb_printf(&msg, "%s: ", v->label);
    if (status == IMAGE_ERR_CORRUPT)
	sb_adds(&msg, "corrupt: ");
    sb_vprintf(&msg, fmt, ap);
    *v->err = sb_detach(&msg);
    return status;
}

static enum image_status refuse(struct verify *v, enum image_status status,
				const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static enum image_status refuse(struct verify *v, enum image_status status,
				const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vrefuse(v, status, fmt, ap);
    va_end(ap);
    return status;
}

/* corrupt - "LABEL: corrupt: WHAT AND WHERE" */
static enum image_status corrupt(struct verify *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static enum image_status corrupt(struct verify *v, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vrefuse(v, IMAGE_ERR_CORRUPT, fmt, ap);
    va_end(ap);
    return IMAGE_ERR_CORRUPT;
}

#define CORRUPT(...) return corrupt(v, __VA_ARGS__)

/* tag_name - a section tag as its four letters, or in hex when not letters */
static const char *tag_name(uint32_t tag, char *buf, size_t size)
{
    unsigned char c[4] = { tag & 0xff, (tag >> 8) & 0xff, (tag >> 16) & 0xff, tag >> 24 };

    for (int i = 0; i < 4; i++)
	if (c[i] < 0x21 || c[i] > 0x7e) {
	    snprintf(buf, size, "0x%08x", (unsigned) tag);
	    return buf;
	}
    snprintf(buf, size, "%c%c%c%c", c[0], c[1], c[2], c[3]);
    return buf;
}

const char *image_status_name(enum image_status status)
{
    switch (status) {
    case IMAGE_OK:
	return "ok";
    case IMAGE_ERR_IO:
	return "I/O error";
    case IMAGE_ERR_NOT_IMAGE:
	return "not an image";
    case IMAGE_ERR_VERSION:
	return "version mismatch";
    case IMAGE_ERR_TRUNCATED:
	return "truncated";
    case IMAGE_ERR_CORRUPT:
	return "corrupt";
    }
    return "unknown status";
}

/* ------------------------------------------------------------- helpers */

/* in_run - is [first, first+count) inside [0, total)? Never wraps. */
static int in_run(uint32_t first, uint32_t count, uint32_t total)
{
    return (uint64_t) first + count <= total;
}

static const char *str(const struct verify *v, uint32_t off)
{
    return v->img->strings + off;
}

/* body_start - the end of the section table, where block 0 starts */
static uint64_t body_start(const struct img_header *h)
{
    return HEADER_SIZE + (uint64_t) h->section_count * sizeof(struct img_section);
}

/* --------------------------------------------------------------- sweeps */

/*
 * The full pass's three long sweeps - every block against its checksum,
 * every entry's hash, every slot of a large exact table - are cut into
 * chunks that a thread per processor takes in turn, so that a large
 * image is checked in the time its share of a processor takes. What is
 * refused is what the sweep done in one go would refuse, with its
 * message: each chunk refuses its first bad item, a thread stops at its
 * first refusal, and no chunk is skipped below the lowest refused one,
 * so that chunk's refusal is the first of all. The chunks only read the
 * image (each thread has its own verify context for its message, and
 * its own scratch space, "mine").
 */
struct sweep;
typedef enum image_status (*sweep_fn)(struct verify *v, const struct sweep *sw, void *mine,
				      uint64_t from, uint64_t to);

struct sweep {
    sweep_fn fn;
    const void *arg;		/* what fn sweeps */
    uint64_t items, chunk;	/* items from 0, chunk of them at a time */
    atomic_uint_fast64_t next;	/* the next chunk to take */
    atomic_uint_fast64_t lowest_refused;	/* UINT64_MAX: none yet */
};

struct sweeper {
    struct sweep *sw;
    const struct verify *v;
    void *mine;
    pthread_t thread;
    uint64_t refused;		/* the chunk it refused, UINT64_MAX: none */
    enum image_status st;
    char *err;
};

static void *sweeper_run(void *arg)
{
    struct sweeper *w = arg;
    struct sweep *sw = w->sw;
    struct verify v = *w->v;

    v.err = &w->err;
    for (;;) {
	uint64_t c = atomic_fetch_add(&sw->next, 1), from = c * sw->chunk;
	if (from >= sw->items || c > atomic_load(&sw->lowest_refused))
	    break;
	uint64_t to = sw->items - from < sw->chunk ? sw->items : from + sw->chunk;
	if ((w->st = sw->fn(&v, sw, w->mine, from, to)) != IMAGE_OK) {
	    uint_fast64_t low = atomic_load(&sw->lowest_refused);
	    while (c < low && !atomic_compare_exchange_weak(&sw->lowest_refused, &low, c))
		;
	    w->refused = c;
	    break;
	}
    }
    return NULL;
}

/* processors - how many this process may run on (its affinity mask), at least 1 */
static unsigned processors(void)
{
    cpu_set_t set;

    if (sched_getaffinity(0, sizeof(set), &set) != 0)
	return 1;
    int n = CPU_COUNT(&set);
    return n > 1 ? (unsigned) n : 1;
}

/* Threads a sweep uses at most: past a few, memory is the limit. */
#define SWEEP_THREADS_MAX	8

/*
 * sweep - fn over items [0, items) in chunks of chunk, on up to one
 * thread per processor (here alone when there is one chunk). mine[i],
 * if mine is not NULL, is thread i's scratch space, mine_size bytes each.
 * Returns IMAGE_OK or the first refusal, with *v->err its message.
 */
static enum image_status sweep(struct verify *v, sweep_fn fn, const void *arg, uint64_t items,
			       uint64_t chunk, void *mine, size_t mine_size)
{
    struct sweep sw = { fn, arg, items, chunk, 0, UINT64_MAX };
    struct sweeper w[SWEEP_THREADS_MAX];
    uint64_t chunks = (items + chunk - 1) / chunk;
    unsigned n = processors(), started = 1;
    enum image_status st = IMAGE_OK;

    if (n > SWEEP_THREADS_MAX)
	n = SWEEP_THREADS_MAX;
    if (n > chunks)
	n = chunks > 0 ? (unsigned) chunks : 1;
    for (unsigned i = 0; i < n; i++) {
	w[i] = (struct sweeper) {
	    &sw, v, mine == NULL ? NULL : (char *) mine + i * mine_size, 0, UINT64_MAX,
	    IMAGE_OK, NULL,
	};
	/* A thread that cannot be made leaves its chunks to the others. */
	if (i > 0 && pthread_create(&w[i].thread, NULL, sweeper_run, &w[i]) == 0)
	    started = i + 1;
	else if (i > 0)
	    break;
    }
    sweeper_run(&w[0]);
    for (unsigned i = 1; i < started; i++)
	pthread_join(w[i].thread, NULL);
    /* The refusal of the lowest chunk refused; no other counts. */
    uint64_t lowest = atomic_load(&sw.lowest_refused);
    for (unsigned i = 0; i < started; i++) {
	if (lowest != UINT64_MAX && w[i].refused == lowest) {
	    st = w[i].st;
	    *v->err = w[i].err;
	} else {
	    free(w[i].err);
	}
    }
    return st;
}

/* ------------------------------------------------------------ checksums */

/* check_block - block i of the body against its checksum */
static enum image_status check_block(struct verify *v, uint64_t body, uint64_t sums_at,
				     uint64_t i)
{
    uint64_t from = body + i * IMG_BLOCK_SIZE;
    uint64_t len = sums_at - from < IMG_BLOCK_SIZE ? sums_at - from : IMG_BLOCK_SIZE;

    if (img_xxh64(v->base + from, (size_t) len) != v->img->sums[i])
	CORRUPT("checksum mismatch in bytes %llu to %llu", (unsigned long long) from,
		(unsigned long long) (from + len - 1));
    return IMAGE_OK;
}

/*
 * need - on a lazy image, the blocks that hold bytes [off, off+len) of
 * the file, checked (once each); bytes before the body or in SUMS are
 * covered by the checks at open. Nothing to do in the full pass.
 */
static enum image_status need(struct verify *v, uint64_t off, uint64_t len)
{
    struct image_lazy *lz = v->lazy;
    enum image_status st;

    if (lz == NULL || len == 0)
	return IMAGE_OK;
    uint64_t end = off + len;
    if (off < lz->body)
	off = lz->body;
    if (end > lz->sums_at)
	end = lz->sums_at;
    if (off >= end)
	return IMAGE_OK;
    for (uint64_t i = (off - lz->body) >> IMG_BLOCK_SHIFT;
	 i <= (end - 1 - lz->body) >> IMG_BLOCK_SHIFT; i++) {
	if (lz->block_ok[i])
	    continue;
	if ((st = check_block(v, lz->body, lz->sums_at, i)) != IMAGE_OK)
	    return st;
	lz->block_ok[i] = 1;
    }
    return IMAGE_OK;
}

/* need_at - need() for len bytes at p, a pointer into the image */
static enum image_status need_at(struct verify *v, const void *p, uint64_t len)
{
    return need(v, (uint64_t) ((const unsigned char *) p - v->base), len);
}

/*
 * need_string - on a lazy image, string off of the pool (in range)
 * checked block by block up to its NUL; the pool's last byte is a NUL
 * (check_strings), so the walk ends inside it.
 */
static enum image_status need_string(struct verify *v, uint32_t off)
{
    const struct image *img = v->img;
    uint64_t at, pool_end;
    enum image_status st;

    if (v->lazy == NULL)
	return IMAGE_OK;
    at = (uint64_t) ((const unsigned char *) img->strings + off - v->base);
    pool_end = (uint64_t) ((const unsigned char *) img->strings + img->strings_size - v->base);
    for (;;) {
	uint64_t block_end = v->lazy->body
	    + (((at - v->lazy->body) >> IMG_BLOCK_SHIFT) + 1) * IMG_BLOCK_SIZE;
	if (block_end > pool_end)
	    block_end = pool_end;
	if ((st = need(v, at, block_end - at)) != IMAGE_OK)
	    return st;
	if (memchr(v->base + at, 0, (size_t) (block_end - at)) != NULL)
	    return IMAGE_OK;
	at = block_end;
    }
}

/* ---------------------------------------------------------- the header */

/* not_image - "not an image", with the likely cause when it is known */
static enum image_status not_image(struct verify *v)
{
    const unsigned char *p = v->base;
    uint64_t n = v->size;

    if (n == 0)
	return refuse(v, IMAGE_ERR_NOT_IMAGE, "not an image: the file is empty");
    if (n >= 7 && memcmp(p, "\x89PFI\n\x1a\n", 7) == 0)
	return refuse(v, IMAGE_ERR_NOT_IMAGE, "not an image: it looks like one whose line"
		      " ends were converted (CR LF to LF): copy it in binary mode");
    if (n >= 8 && memcmp(p, "\x89PFI\r\n\x1a\r", 8) == 0)
	return refuse(v, IMAGE_ERR_NOT_IMAGE, "not an image: it looks like one whose line"
		      " ends were converted (LF to CR LF): copy it in binary mode");
    if (n >= 4 && memcmp(p, "\x09PFI", 4) == 0)
	return refuse(v, IMAGE_ERR_NOT_IMAGE, "not an image: it looks like one that lost"
		      " the high bit of its bytes (a 7-bit transfer)");
    return refuse(v, IMAGE_ERR_NOT_IMAGE, "not an image");
}

/*
 * check_header - magic, version, sizes and the fixed header fields, then
 * the header's checksum. The version is checked as soon as it can be
 * read, so that a future format gets "rebuild" rather than a complaint
 * about a header it does not have.
 */
static enum image_status check_header(struct verify *v)
{
    const struct img_header *h = (const struct img_header *) v->base;

    if (v->size < IMG_MAGIC_SIZE || memcmp(v->base, IMG_MAGIC, IMG_MAGIC_SIZE) != 0) {
	if (v->size > 0 && v->size < IMG_MAGIC_SIZE
	    && memcmp(v->base, IMG_MAGIC, (size_t) v->size) == 0)
	    return refuse(v, IMAGE_ERR_TRUNCATED, "truncated: %llu bytes, shorter than"
			  " the %llu-byte header", (unsigned long long) v->size,
			  (unsigned long long) HEADER_SIZE);
	return not_image(v);
    }
    if (v->size < 12)
	return refuse(v, IMAGE_ERR_TRUNCATED, "truncated: %llu bytes, shorter than the"
		      " %llu-byte header", (unsigned long long) v->size,
		      (unsigned long long) HEADER_SIZE);
    if (h->major != IMG_VERSION_MAJOR || h->minor > IMG_VERSION_MINOR)
	return refuse(v, IMAGE_ERR_VERSION, "version mismatch: image format %u.%u,"
		      " this pfc reads %u.%u: rebuild with pfc build", (unsigned) h->major,
		      (unsigned) h->minor, IMG_VERSION_MAJOR, IMG_VERSION_MINOR);
    if (v->size < HEADER_SIZE)
	return refuse(v, IMAGE_ERR_TRUNCATED, "truncated: %llu bytes, shorter than the"
		      " %llu-byte header", (unsigned long long) v->size,
		      (unsigned long long) HEADER_SIZE);
    if (h->header_size != HEADER_SIZE)
	CORRUPT("header size %u, expected %llu", (unsigned) h->header_size,
		(unsigned long long) HEADER_SIZE);
    if (h->file_size > v->size)
	return refuse(v, IMAGE_ERR_TRUNCATED, "truncated: %llu bytes, the header says %llu",
		      (unsigned long long) v->size, (unsigned long long) h->file_size);
    if (h->file_size < v->size) {
	/* Appended bytes, if what the header covers is intact; else damage. */
	if (!image_sums_match(v->base, (size_t) h->file_size))
	    CORRUPT("checksum mismatch");
	CORRUPT("%llu bytes, the header says %llu: bytes were added at the end",
		(unsigned long long) v->size, (unsigned long long) h->file_size);
    }
    if ((h->flags & ~IMG_HEADER_FLAGS) != 0)
	CORRUPT("header flags 0x%x, expected 0", (unsigned) h->flags);
    for (size_t i = 0; i < sizeof(h->reserved); i++)
	if (h->reserved[i] != 0)
	    CORRUPT("header reserved byte %zu is not zero", i);
    if (h->section_table != HEADER_SIZE)
	CORRUPT("section table at %llu, expected %llu",
		(unsigned long long) h->section_table, (unsigned long long) HEADER_SIZE);
    if (h->section_count > (h->file_size - HEADER_SIZE) / sizeof(struct img_section))
	CORRUPT("section table of %llu entries runs past the end of the file",
		(unsigned long long) h->section_count);
    if (img_xxh64(v->base + IMG_CHECKSUM_FROM, (size_t) (body_start(h) - IMG_CHECKSUM_FROM))
	!= h->checksum)
	CORRUPT("checksum mismatch in the header or the section table");
    return IMAGE_OK;
}

/* ------------------------------------------------------ section table */

static int all_zero(const unsigned char *p, uint64_t len)
{
    for (uint64_t i = 0; i < len; i++)
	if (p[i] != 0)
	    return 0;
    return 1;
}

/*
 * check_sections - the table's bounds, order, alignment, tags and record
 * sizes, SUMS last and sized for the body, its checksum. Sets the
 * image's arrays. Reads nothing of the body.
 */
static enum image_status check_sections(struct verify *v)
{
    const struct img_header *h = (const struct img_header *) v->base;
    uint64_t file_size = h->file_size;
    uint64_t count = h->section_count;
    const struct img_section *sec = (const struct img_section *) (v->base + HEADER_SIZE);
    const struct img_section *found[IMG_S_COUNT] = { NULL };
    uint64_t end = body_start(h);	/* no wrap: check_header bounded count */
    char tag[16];

    for (uint64_t i = 0; i < count; i++) {
	const struct img_section *s = &sec[i];
	int kind = -1;

	for (int k = 0; k < IMG_S_COUNT; k++)
	    if (img_section_kind(k)->tag == s->tag)
		kind = k;
	tag_name(s->tag, tag, sizeof(tag));
	/* Version 2.0 knows every section; a newer minor is refused above. */
	if (kind < 0)
	    CORRUPT("section %llu: unknown tag %s", (unsigned long long) i, tag);
	if (found[kind] != NULL)
	    CORRUPT("section %s appears twice", tag);
	found[kind] = s;
	if (s->reserved != 0)
	    CORRUPT("section %s: reserved field is not zero", tag);
	if (s->offset % IMG_ALIGN != 0)
	    CORRUPT("section %s at offset %llu: not a multiple of %d", tag,
		    (unsigned long long) s->offset, IMG_ALIGN);
	if (s->offset < end)
	    CORRUPT("section %s at offset %llu overlaps %s ending at %llu", tag,
		    (unsigned long long) s->offset, i == 0 ? "the section table"
		    : "the section before it", (unsigned long long) end);
	if (s->offset > file_size || s->length > file_size - s->offset)
	    CORRUPT("section %s (offset %llu, %llu bytes) runs past the end of the file"
		    " (%llu bytes)", tag, (unsigned long long) s->offset,
		    (unsigned long long) s->length, (unsigned long long) file_size);
	uint32_t record = img_section_kind(kind)->record;
	if (s->length % record != 0)
	    CORRUPT("section %s: %llu bytes is not a whole number of %u-byte records",
		    tag, (unsigned long long) s->length, (unsigned) record);
	if (s->length / record > UINT32_MAX)
	    CORRUPT("section %s: more than %u records", tag, (unsigned) UINT32_MAX);
	end = s->offset + s->length;
    }
    for (int k = 0; k < IMG_S_COUNT; k++)
	if (found[k] == NULL)
	    CORRUPT("section %s is missing", tag_name(img_section_kind(k)->tag, tag,
						      sizeof(tag)));

    /* SUMS: last, up to the end of the file, a checksum for every block. */
    const struct img_section *sums = found[IMG_S_SUMS];
    if (sums != &sec[count - 1] || end != file_size)
	CORRUPT("section SUMS does not end the file (it ends at %llu of %llu bytes)",
		(unsigned long long) (sums->offset + sums->length),
		(unsigned long long) file_size);
    uint64_t blocks = (sums->offset - body_start(h) + IMG_BLOCK_SIZE - 1) >> IMG_BLOCK_SHIFT;
    if (sums->length / sizeof(uint64_t) != blocks)
	CORRUPT("section SUMS: %llu checksums for %llu blocks",
		(unsigned long long) (sums->length / sizeof(uint64_t)),
		(unsigned long long) blocks);
    if (img_xxh64(v->base + sums->offset, (size_t) sums->length) != h->sums_checksum)
	CORRUPT("checksum mismatch in the block checksums (SUMS)");

    struct image *img = v->img;
#define SECTION(k, type, ptr, n) \
    (img->ptr = (type) (const void *) (v->base + found[k]->offset), \
     img->n = (uint32_t) (found[k]->length / img_section_kind(k)->record))
    SECTION(IMG_S_STRS, const char *, strings, strings_size);
    SECTION(IMG_S_SRCS, const struct img_source *, sources, nsources);
    SECTION(IMG_S_PARM, const struct img_setting *, params, nparams);
    SECTION(IMG_S_SERV, const struct img_service *, services, nservices);
    SECTION(IMG_S_OVRD, const struct img_setting *, overrides, noverrides);
    SECTION(IMG_S_HOST, const struct img_host_piece *, host_pieces, nhost_pieces);
    SECTION(IMG_S_TABL, const struct img_table *, tables, ntables);
    SECTION(IMG_S_TREF, const uint32_t *, refs, nrefs);
    SECTION(IMG_S_PROG, const struct img_program *, programs, nprograms);
    SECTION(IMG_S_INSN, const struct img_insn *, insns, ninsns);
    SECTION(IMG_S_RULE, const struct img_rule *, rules, nrules);
    SECTION(IMG_S_PIEC, const struct img_piece *, pieces, npieces);
    SECTION(IMG_S_NETS, const struct img_net *, nets, nnets);
    SECTION(IMG_S_ENTR, const struct img_entry *, entries, nentries);
    SECTION(IMG_S_SLOT, const uint32_t *, slots, nslots);
    SECTION(IMG_S_SUMS, const uint64_t *, sums, nsums);
#undef SECTION
    return IMAGE_OK;
}

/* blocks_from - blocks [from, to) against their checksums (a sweep's chunk) */
static enum image_status blocks_from(struct verify *v, const struct sweep *sw, void *mine,
				     uint64_t from, uint64_t to)
{
    uint64_t body = body_start((const struct img_header *) v->base);
    uint64_t sums_at = (uint64_t) ((const unsigned char *) v->img->sums - v->base);
    enum image_status st;

    (void) sw;
    (void) mine;
    for (uint64_t i = from; i < to; i++)
	if ((st = check_block(v, body, sums_at, i)) != IMAGE_OK)
	    return st;
    return IMAGE_OK;
}

/* Blocks a chunk of the sweep checks: 512 KiB, a few tens of microseconds. */
#define BLOCKS_CHUNK	8

/* check_blocks - the full pass: every block against its checksum */
static enum image_status check_blocks(struct verify *v)
{
    return sweep(v, blocks_from, NULL, v->img->nsums, BLOCKS_CHUNK, NULL, 0);
}

/* check_padding - the full pass: the bytes between sections are zero */
static enum image_status check_padding(struct verify *v)
{
    const struct img_header *h = (const struct img_header *) v->base;
    const struct img_section *sec = (const struct img_section *) (v->base + HEADER_SIZE);
    uint64_t end = body_start(h);
    char tag[16];

    for (uint32_t i = 0; i < h->section_count; i++) {
	if (!all_zero(v->base + end, sec[i].offset - end))
	    CORRUPT("padding before section %s is not zero",
		    tag_name(sec[i].tag, tag, sizeof(tag)));
	end = sec[i].offset + sec[i].length;
    }
    return IMAGE_OK;
}

/*
 * need_small - a lazy open: the blocks of the sections checked whole at
 * open (everything but the pool and the tables' contents)
 */
static enum image_status need_small(struct verify *v)
{
    static const enum img_section_id small[] = {
	IMG_S_SRCS, IMG_S_PARM, IMG_S_SERV, IMG_S_OVRD, IMG_S_HOST, IMG_S_TABL, IMG_S_TREF,
	IMG_S_PROG, IMG_S_INSN,
    };
    const struct image *img = v->img;
    const void *at[] = {
	img->sources, img->params, img->services, img->overrides, img->host_pieces,
	img->tables, img->refs, img->programs, img->insns,
    };
    const uint32_t n[] = {
	img->nsources, img->nparams, img->nservices, img->noverrides, img->nhost_pieces,
	img->ntables, img->nrefs, img->nprograms, img->ninsns,
    };
    enum image_status st;

    for (size_t i = 0; i < sizeof(small) / sizeof(small[0]); i++)
	if ((st = need_at(v, at[i], (uint64_t) n[i] * img_section_kind(small[i])->record))
	    != IMAGE_OK)
	    return st;
    return IMAGE_OK;
}

/* check_strings - the pool starts and ends with a NUL, so every offset
 * inside it names a terminated string and a reference needs one compare */
static enum image_status check_strings(struct verify *v)
{
    const struct image *img = v->img;
    enum image_status st;

    if (img->strings_size == 0)
	CORRUPT("string pool is empty (it must hold at least the empty string)");
    if ((st = need_at(v, img->strings, 1)) != IMAGE_OK
	|| (st = need_at(v, img->strings + img->strings_size - 1, 1)) != IMAGE_OK)
	return st;
    if (img->strings[0] != 0)
	CORRUPT("string pool does not start with a NUL");
    if (img->strings[img->strings_size - 1] != 0)
	CORRUPT("string pool does not end with a NUL");
    return IMAGE_OK;
}

/*
 * A string reference: WHAT is the field, for the message. On a lazy
 * image, the string's blocks are checked too, before anything reads it.
 */
#define STRING(off, ...) do { \
	if ((off) >= v->img->strings_size) { \
	    struct strbuf where_ = STRBUF_INIT; \
	    sb_printf(&where_, __VA_ARGS__); \
	    enum image_status st_ = corrupt(v, "%s: string offset %u is outside the" \
					    " string pool (%u bytes)", sb_str(&where_), \
					    (unsigned) (off), \
					    (unsigned) v->img->strings_size); \
	    sb_free(&where_); \
	    return st_; \
	} \
	if (v->lazy != NULL) { \
	    enum image_status st_ = need_string(v, (off)); \
	    if (st_ != IMAGE_OK) \
		return st_; \
	} \
    } while (0)

/* ------------------------------------------------------------- records */

static enum image_status check_sources(struct verify *v)
{
    const struct image *img = v->img;

    for (uint32_t i = 0; i < img->nsources; i++) {
	const struct img_source *s = &img->sources[i];

	STRING(s->path, "source %u path", i);
	if (s->reserved != 0)
	    CORRUPT("source %u (" QUOTE "): reserved field is not zero", i, str(v, s->path));
	if (i > 0 && strcmp(str(v, img->sources[i - 1].path), str(v, s->path)) >= 0)
	    CORRUPT("source %u (" QUOTE "): not sorted after source %u (" QUOTE ")", i,
		    str(v, s->path), i - 1, str(v, img->sources[i - 1].path));
    }
    return IMAGE_OK;
}

/* host_kind_name - an img_host_piece kind, for messages */
static const char *host_kind_name(uint32_t kind)
{
    static const char *const names[] = {
	"text", "myhostname", "mydomain", "mynetworks", "process_name", "process_id",
    };

    return kind <= IMG_HOST_KIND_MAX ? names[kind] : "unknown";
}

/*
 * check_host_run - the HOST run of a setting with the HOST flag: pieces
 * of known kinds, strings where the kind has one, at least one piece
 * that comes from the host; no_networks: the setting is one mynetworks
 * is computed from, so its run cannot need mynetworks
 */
static enum image_status check_host_run(struct verify *v, const struct img_setting *s,
					const char *what, uint32_t i, int no_networks)
{
    const struct image *img = v->img;
    int from_host = 0;

    for (uint32_t k = s->host_first; k < s->host_first + s->host_count; k++) {
	const struct img_host_piece *p = &img->host_pieces[k];

	if (p->kind > IMG_HOST_KIND_MAX)
	    CORRUPT("%s %u (" QUOTE "): host piece %u: unknown kind %u", what, i,
		    str(v, s->name), (unsigned) k, (unsigned) p->kind);
	if (p->kind == IMG_HOST_TEXT || p->kind == IMG_HOST_MYHOSTNAME
	    || p->kind == IMG_HOST_MYDOMAIN)
	    STRING(p->text, "%s %u (" QUOTE ") host piece %u", what, i, str(v, s->name),
		   (unsigned) k);
	else if (p->text != 0)
	    CORRUPT("%s %u (" QUOTE "): host piece %u (%s) has text", what, i,
		    str(v, s->name), (unsigned) k, host_kind_name(p->kind));
	if (p->kind == IMG_HOST_MYNETWORKS && no_networks)
	    CORRUPT("%s %u (" QUOTE "): host piece %u: mynetworks is computed from this"
		    " parameter, it cannot use mynetworks", what, i, str(v, s->name),
		    (unsigned) k);
	from_host |= p->kind != IMG_HOST_TEXT;
    }
    if (!from_host)
	CORRUPT("%s %u (" QUOTE "): HOST, but none of its pieces comes from the host",
		what, i, str(v, s->name));
    return IMAGE_OK;
}

/* mynetworks_input - is name one of the parameters mynetworks is computed from? */
static int mynetworks_input(const char *name)
{
    return strcmp(name, "inet_interfaces") == 0 || strcmp(name, "mynetworks_style") == 0
	|| strcmp(name, "inet_protocols") == 0;
}

/*
 * check_setting - one record of PARM ("parameter") or OVRD ("override";
 * ovrd set)
 */
static enum image_status check_setting(struct verify *v, const struct img_setting *s,
				       const char *what, uint32_t i, int ovrd)
{
    const struct image *img = v->img;

    STRING(s->name, "%s %u name", what, i);
    STRING(s->raw, "%s %u (" QUOTE ") raw value", what, i, str(v, s->name));
    STRING(s->expanded, "%s %u (" QUOTE ") expanded value", what, i, str(v, s->name));
    if (s->origin > IMG_ORIGIN_MAX)
	CORRUPT("%s %u (" QUOTE "): unknown origin %u", what, i, str(v, s->name),
		(unsigned) s->origin);
    if ((s->flags & ~IMG_SETTING_FLAGS) != 0)
	CORRUPT("%s %u (" QUOTE "): unknown flags 0x%x", what, i, str(v, s->name),
		(unsigned) s->flags);
    /* In OVRD an -o is an override, a derived value main.cf's or a default's. */
    int derived = (s->flags & IMG_SETTING_DERIVED) != 0;
    if (ovrd ? derived != (s->origin != IMG_ORIGIN_OVERRIDE) : derived)
	CORRUPT("%s %u (" QUOTE "): origin %u with%s the DERIVED flag", what, i,
		str(v, s->name), (unsigned) s->origin, derived ? "" : "out");
    if (!in_run(s->refs_first, s->refs_count, img->nrefs))
	CORRUPT("%s %u (" QUOTE "): table references %u..+%u outside TREF (%u)", what, i,
		str(v, s->name), (unsigned) s->refs_first, (unsigned) s->refs_count,
		(unsigned) img->nrefs);
    if (!in_run(s->host_first, s->host_count, img->nhost_pieces))
	CORRUPT("%s %u (" QUOTE "): host pieces %u..+%u outside HOST (%u)", what, i,
		str(v, s->name), (unsigned) s->host_first, (unsigned) s->host_count,
		(unsigned) img->nhost_pieces);
    if (!(s->flags & IMG_SETTING_HOST)) {
	if ((s->host_first | s->host_count) != 0)
	    CORRUPT("%s %u (" QUOTE "): host pieces without the HOST flag", what, i,
		    str(v, s->name));
	return IMAGE_OK;
    }
    if (s->host_count == 0)
	CORRUPT("%s %u (" QUOTE "): HOST without host pieces", what, i, str(v, s->name));
    if (s->expanded != s->raw)
	CORRUPT("%s %u (" QUOTE "): HOST, but the expanded value is not the raw one",
		what, i, str(v, s->name));
    return check_host_run(v, s, what, i, mynetworks_input(str(v, s->name)));
}

static enum image_status check_settings(struct verify *v)
{
    const struct image *img = v->img;
    enum image_status st;

    for (uint32_t i = 0; i < img->nparams; i++) {
	const struct img_setting *s = &img->params[i];

	if ((st = check_setting(v, s, "parameter", i, 0)) != IMAGE_OK)
	    return st;
	if (i > 0 && strcmp(str(v, img->params[i - 1].name), str(v, s->name)) >= 0)
	    CORRUPT("parameter %u (" QUOTE "): not sorted after parameter %u (" QUOTE ")",
		    i, str(v, s->name), i - 1, str(v, img->params[i - 1].name));
    }
    for (uint32_t i = 0; i < img->noverrides; i++)
	if ((st = check_setting(v, &img->overrides[i], "override", i, 1)) != IMAGE_OK)
	    return st;
    for (uint32_t i = 0; i < img->nservices; i++) {
	const struct img_service *s = &img->services[i];

	STRING(s->name, "service %u name", i);
	STRING(s->type, "service %u (" QUOTE ") type", i, str(v, s->name));
	STRING(s->private_, "service %u (" QUOTE ") private field", i, str(v, s->name));
	STRING(s->unpriv, "service %u (" QUOTE ") unpriv field", i, str(v, s->name));
	STRING(s->chroot, "service %u (" QUOTE ") chroot field", i, str(v, s->name));
	STRING(s->wakeup, "service %u (" QUOTE ") wakeup field", i, str(v, s->name));
	STRING(s->maxproc, "service %u (" QUOTE ") maxproc field", i, str(v, s->name));
	STRING(s->command, "service %u (" QUOTE ") command", i, str(v, s->name));
	if (!in_run(s->overrides_first, s->overrides_count, img->noverrides))
	    CORRUPT("service %u (" QUOTE "): overrides %u..+%u outside OVRD (%u)", i,
		    str(v, s->name), (unsigned) s->overrides_first,
		    (unsigned) s->overrides_count, (unsigned) img->noverrides);
	if (s->reserved != 0)
	    CORRUPT("service %u (" QUOTE "): reserved field is not zero", i, str(v, s->name));
    }
    return IMAGE_OK;
}

static enum image_status check_refs(struct verify *v)
{
    const struct image *img = v->img;

    for (uint32_t i = 0; i < img->nrefs; i++)
	if (img->refs[i] >= img->ntables)
	    CORRUPT("table reference %u names table %u of %u", i, (unsigned) img->refs[i],
		    (unsigned) img->ntables);
    return IMAGE_OK;
}

/*
 * check_entries - the full pass: every entry's strings in the pool, and
 * its stored hash the hash of its key, which a probe for that key
 * follows: a wrong one would hide the entry from lookups and not from
 * pfc dump. Keys are in the pool in entry order, so this reads it in
 * one sweep. entries_from() checks entries [from, to) (a sweep's chunk).
 */
static enum image_status entries_from(struct verify *v, const struct sweep *sw, void *mine,
				      uint64_t from, uint64_t to)
{
    const struct image *img = v->img;
    const struct img_entry *e = img->entries;
    uint32_t limit = img->strings_size;

    (void) sw;
    (void) mine;
    for (uint32_t i = (uint32_t) from; i < to; i++) {
	if (e[i].key >= limit || e[i].value >= limit)
	    CORRUPT("entry %u (line %u): %s string offset %u is outside the string pool"
		    " (%u bytes)", i, (unsigned) e[i].line, e[i].key >= limit ? "key" : "value",
		    (unsigned) (e[i].key >= limit ? e[i].key : e[i].value), (unsigned) limit);
	const char *key = img->strings + e[i].key;
	uint32_t hash = img_hash(key, strlen(key));
	if (hash != e[i].hash)
	    CORRUPT("entry %u (line %u): hash 0x%08x, but its key " QUOTE " hashes to 0x%08x",
		    i, (unsigned) e[i].line, (unsigned) e[i].hash, key, (unsigned) hash);
    }
    return IMAGE_OK;
}

/* Entries a chunk of a sweep checks: a millisecond's worth at most. */
#define ENTRIES_CHUNK	4096

static enum image_status check_entries(struct verify *v)
{
    return sweep(v, entries_from, NULL, v->img->nentries, ENTRIES_CHUNK, NULL, 0);
}

/* A table, for messages: "table 3 (hash:/etc/postfix/virtual)". */
#define TFMT "table %u (" QUOTE ")"
#define TARG(i) (unsigned) (i), str(v, img->tables[i].spec)

/*
 * slots_not_one_to_one - the refusal when some entry is in no slot or in
 * two: find which, for the message (an error path: its cost is free).
 */
static enum image_status slots_not_one_to_one(struct verify *v, uint32_t t)
{
    const struct image *img = v->img;
    const struct img_table *tb = &img->tables[t];
    const uint32_t *slot = img->slots + tb->c;
    uint64_t nslots = (uint64_t) 1 << tb->d;
    uint32_t *first = xmalloc(((size_t) tb->b + 1) * sizeof(uint32_t));

    memset(first, 0xff, ((size_t) tb->b + 1) * sizeof(uint32_t));
    for (uint64_t s = 0; s < nslots; s++) {
	uint32_t e = slot[s] - 1;

	if (slot[s] == 0)
	    continue;
	if (first[e] != IMG_NONE) {
	    uint32_t before = first[e];
	    free(first);
	    CORRUPT(TFMT ": entry %u (line %u) is in two slots, %u and %llu", TARG(t),
		    (unsigned) e, (unsigned) img->entries[tb->a + e].line, (unsigned) before,
		    (unsigned long long) s);
	}
	first[e] = (uint32_t) s;
    }
    uint32_t missing = 0;
    for (uint32_t e = 0; e < tb->b; e++)
	missing += first[e] == IMG_NONE;
    free(first);
    CORRUPT(TFMT ": %u of its %u entries are in no slot", TARG(t), (unsigned) missing,
	    (unsigned) tb->b);
}

/*
 * slots_linear - check_slots() in a time linear in the slots, whatever
 * the table, and with the refusal's words: the way taken when the fast
 * check refuses, or meets chains too long for it. Two linear passes,
 * no random reads: the slots are swept starting just after an empty
 * one, so "how many full slots end here" is a counter, and each entry's
 * slot and that count are noted; then the entries are
 * read in order, each one's home slot is compared, and each must have
 * been noted (as many full slots as entries, each entry in one: no entry
 * is in two). Reading each entry's hash during the sweep instead costs a
 * cache and TLB miss per entry: three times slower on a 1,000,000-entry
 * table.
 */
static enum image_status slots_linear(struct verify *v, uint32_t t)
{
    const struct image *img = v->img;
    const struct img_table *tb = &img->tables[t];
    const uint32_t *slot = img->slots + tb->c;
    const struct img_entry *entry = img->entries + tb->a;
    uint32_t count = tb->b;
    uint64_t nslots = (uint64_t) 1 << tb->d, mask = nslots - 1, empty, run = 0, filled = 0;
    uint64_t *where;		/* entry -> slot << 32 | full slots ending there */
    uint32_t bad = 0;

    for (empty = 0; empty < nslots && slot[empty] != 0; empty++)
	;
    if (empty == nslots)
	CORRUPT(TFMT ": no empty slot, so a probe for a missing key never ends", TARG(t));
    free(v->where);
    where = v->where = xmalloc(((size_t) count + 1) * sizeof(*where));
    memset(where, 0xff, (size_t) count * sizeof(*where));
    for (uint64_t k = 1; k <= nslots; k++) {
	uint64_t s = (empty + k) & mask;
	uint32_t val = slot[s];

	if (val == 0) {
	    run = 0;
	    continue;
	}
	run++;
	filled++;
	if (val > count) {
	    bad = val;
	    break;
	}
	where[val - 1] = s << 32 | run;	/* s < 2^31, run <= 2^31 */
    }
    if (bad != 0) {
	for (uint64_t s = 0; s < nslots; s++)
	    if (slot[s] > count)
		CORRUPT(TFMT ": slot %llu names entry %u of %u", TARG(t),
			(unsigned long long) s, (unsigned) (slot[s] - 1), (unsigned) count);
    }
    if (filled != count)
	return slots_not_one_to_one(v, t);
    for (uint32_t e = 0; e < count; e++) {
	uint64_t s = where[e] >> 32, home = entry[e].hash & mask;

	if (where[e] == UINT64_MAX)
	    return slots_not_one_to_one(v, t);
	if (((s - home) & mask) >= (where[e] & 0xffffffffu))
	    CORRUPT(TFMT ": entry %u (line %u) in slot %llu is outside the probe chain"
		    " from its home slot %llu", TARG(t), (unsigned) e,
		    (unsigned) entry[e].line, (unsigned long long) s,
		    (unsigned long long) home);
    }
    return IMAGE_OK;
}

/* What the fast check of an exact table's slots reads. */
struct slots_probe {
    const uint32_t *slot;
    const struct img_entry *entry;
    uint32_t count;		/* entries */
    uint64_t mask;		/* slots - 1 */
};

/* Slots a chunk of slots_filled()'s sweep reads. */
#define SLOTS_CHUNK	16384

/*
 * slots_filled - slots [from, to) each empty or naming an entry of the
 * table (a sweep's chunk, refused without words); adds the full ones to
 * *mine
 */
static enum image_status slots_filled(struct verify *v, const struct sweep *sw, void *mine,
				      uint64_t from, uint64_t to)
{
    const struct slots_probe *p = sw->arg;
    uint64_t filled = 0;

    (void) v;
    for (uint64_t s = from; s < to; s++) {
	if (p->slot[s] > p->count)
	    return IMAGE_ERR_CORRUPT;
	filled += p->slot[s] != 0;
    }
    *(uint64_t *) mine += filled;
    return IMAGE_OK;
}

/*
 * Probe steps past its home slot an entry may take, on average over a
 * chunk, before the fast check leaves the table to slots_linear(): a
 * table at most half full takes one or two.
 */
#define PROBE_BUDGET	8
/* How far ahead of the sweep an entry's home slot starts loading: a memory latency's worth. */
#define PROBE_AHEAD	64

/*
 * slots_found - entries [from, to) each found by a lookup's probe: in its
 * home slot or in a full one after it (a sweep's chunk, refused without
 * words, or past the budget)
 */
static enum image_status slots_found(struct verify *v, const struct sweep *sw, void *mine,
				     uint64_t from, uint64_t to)
{
    const struct slots_probe *p = sw->arg;
    uint64_t budget = PROBE_BUDGET * (to - from);

    (void) v;
    (void) mine;
    for (uint64_t e = from; e < to; e++) {
	if (e + PROBE_AHEAD < to)
	    __builtin_prefetch(&p->slot[p->entry[e + PROBE_AHEAD].hash & p->mask]);
	uint64_t s = p->entry[e].hash & p->mask;
	uint32_t val;
	while ((val = p->slot[s]) != e + 1) {
	    if (val == 0 || budget-- == 0)
		return IMAGE_ERR_CORRUPT;
	    s = (s + 1) & p->mask;
	}
    }
    return IMAGE_OK;
}

/*
 * check_slots - the hash index of an exact table: every slot empty or
 * naming an entry of the table, every entry in exactly one slot, some
 * slot empty, and each entry inside the probe chain of its hash (no
 * empty slot between its home slot and its own), which is what a lookup
 * needs to find it and to stop. check_entries() has checked each hash.
 *
 * The fast way, in two sweeps the threads share, no memory written: the
 * slots are read in order, each empty or naming an entry, as many full
 * as there are entries; then each entry is looked for as a lookup would,
 * from its home slot to the next empty one. Each entry found in a slot
 * of its own, and no slot left over: each is in exactly one, inside its
 * chain. Anything else, or chains too long to walk in linear time, is
 * left to slots_linear(), which says what is wrong.
 */
static enum image_status check_slots(struct verify *v, uint32_t t)
{
    const struct img_table *tb = &v->img->tables[t];
    struct slots_probe p = {
	v->img->slots + tb->c, v->img->entries + tb->a, tb->b, ((uint64_t) 1 << tb->d) - 1,
    };
    uint64_t filled[SWEEP_THREADS_MAX] = { 0 }, total = 0;

    if (sweep(v, slots_filled, &p, p.mask + 1, SLOTS_CHUNK, filled, sizeof(filled[0]))
	== IMAGE_OK) {
	for (int i = 0; i < SWEEP_THREADS_MAX; i++)
	    total += filled[i];
	if (total == p.count && total <= p.mask
	    && sweep(v, slots_found, &p, p.count, ENTRIES_CHUNK, NULL, 0) == IMAGE_OK)
	    return IMAGE_OK;
    }
    return slots_linear(v, t);
}

/* composite_depth - how deep unionmap/pipemap t nests; a cycle never ends
 * and so is refused as too deep (memoized: a shared member counts once) */
static int composite_depth(struct verify *v, uint32_t t, int level)
{
    const struct image *img = v->img;
    const struct img_table *tb = &img->tables[t];
    int deepest = 0;

    if (tb->kind != IMG_TABLE_UNION && tb->kind != IMG_TABLE_PIPE)
	return 0;
    if (v->depth[t] != 0)
	return v->depth[t];
    if (level >= IMG_MAX_NESTING)
	return IMG_MAX_NESTING + 1;
    for (uint32_t i = 0; i < tb->b; i++) {
	int d = composite_depth(v, img->refs[tb->a + i], level + 1);
	if (d > deepest)
	    deepest = d;
    }
    v->depth[t] = (unsigned char) (deepest + 1 > IMG_MAX_NESTING + 1 ? IMG_MAX_NESTING + 1
				   : deepest + 1);
    return v->depth[t];
}

/*
 * check_tables - every table record, in the context of the sections its
 * fields point into; in the full pass, each exact table's slots too
 */
static enum image_status check_tables(struct verify *v)
{
    const struct image *img = v->img;
    enum image_status st;

    for (uint32_t i = 0; i < img->ntables; i++) {
	const struct img_table *tb = &img->tables[i];

	STRING(tb->spec, "table %u spec", i);
	if (i > 0 && strcmp(str(v, img->tables[i - 1].spec), str(v, tb->spec)) >= 0)
	    CORRUPT(TFMT ": not sorted after " TFMT, TARG(i), TARG(i - 1));
	if ((tb->flags & ~IMG_TABLE_FLAGS) != 0)
	    CORRUPT(TFMT ": unknown flags 0x%x", TARG(i), (unsigned) tb->flags);
	if (tb->source != IMG_NONE && tb->source >= img->nsources)
	    CORRUPT(TFMT ": source %u of %u", TARG(i), (unsigned) tb->source,
		    (unsigned) img->nsources);
	switch (tb->kind) {
	case IMG_TABLE_EXACT:
	    if (!in_run(tb->a, tb->b, img->nentries))
		CORRUPT(TFMT ": entries %u..+%u outside ENTR (%u)", TARG(i), (unsigned) tb->a,
			(unsigned) tb->b, (unsigned) img->nentries);
	    if (tb->d < 1 || tb->d > 31)
		CORRUPT(TFMT ": 2^%u slots (from 2^1 to 2^31)", TARG(i), (unsigned) tb->d);
	    if (!in_run(tb->c, (uint32_t) 1 << tb->d, img->nslots))
		CORRUPT(TFMT ": slots %u..+%u outside SLOT (%u)", TARG(i), (unsigned) tb->c,
			(unsigned) 1u << tb->d, (unsigned) img->nslots);
	    if (((uint64_t) 1 << tb->d) < 2 * (uint64_t) tb->b)
		CORRUPT(TFMT ": 2^%u slots for %u entries (at least twice as many)", TARG(i),
			(unsigned) tb->d, (unsigned) tb->b);
	    break;
	case IMG_TABLE_REGEXP:
	case IMG_TABLE_PCRE:
	case IMG_TABLE_CIDR:
	    if (!in_run(tb->a, tb->b, img->nrules))
		CORRUPT(TFMT ": rules %u..+%u outside RULE (%u)", TARG(i), (unsigned) tb->a,
			(unsigned) tb->b, (unsigned) img->nrules);
	    if (tb->kind == IMG_TABLE_CIDR && !in_run(tb->c, tb->b, img->nnets))
		CORRUPT(TFMT ": networks %u..+%u outside NETS (%u)", TARG(i),
			(unsigned) tb->c, (unsigned) tb->b, (unsigned) img->nnets);
	    if ((tb->kind != IMG_TABLE_CIDR && tb->c != 0) || tb->d != 0)
		CORRUPT(TFMT ": unused fields are not zero", TARG(i));
	    for (uint32_t r = tb->a; r < tb->a + tb->b; r++) {
		/* One compiled pattern per rule: a rule serves one table. */
		if (v->rule_owner[r] != IMG_NONE)
		    CORRUPT(TFMT ": rule %u also belongs to " TFMT, TARG(i), (unsigned) r,
			    TARG(v->rule_owner[r]));
		v->rule_owner[r] = i;
	    }
	    break;
	case IMG_TABLE_STATIC:
	case IMG_TABLE_LIST:
	    STRING(tb->a, TFMT " %s", TARG(i), tb->kind == IMG_TABLE_LIST ? "lines" : "value");
	    if (tb->b != 0 || tb->c != 0 || tb->d != 0)
		CORRUPT(TFMT ": unused fields are not zero", TARG(i));
	    break;
	case IMG_TABLE_UNION:
	case IMG_TABLE_PIPE:
	    if (tb->b == 0 || !in_run(tb->a, tb->b, img->nrefs))
		CORRUPT(TFMT ": member tables %u..+%u outside TREF (%u)", TARG(i),
			(unsigned) tb->a, (unsigned) tb->b, (unsigned) img->nrefs);
	    if (tb->c != 0 || tb->d != 0)
		CORRUPT(TFMT ": unused fields are not zero", TARG(i));
	    break;
	case IMG_TABLE_FAIL:
	case IMG_TABLE_EXTERNAL:
	    if (tb->a != 0 || tb->b != 0 || tb->c != 0 || tb->d != 0)
		CORRUPT(TFMT ": unused fields are not zero", TARG(i));
	    break;
	default:
	    CORRUPT(TFMT ": unknown kind %u", TARG(i), (unsigned) tb->kind);
	}
    }
    /* Refs are checked (< ntables) before the tables: nesting can be followed. */
    for (uint32_t i = 0; i < img->ntables; i++)
	if (composite_depth(v, i, 0) > IMG_MAX_NESTING)
	    CORRUPT(TFMT ": tables nested more than %d deep, or nested in themselves",
		    TARG(i), IMG_MAX_NESTING);
    if (v->lazy != NULL)
	return IMAGE_OK;	/* the slots: probe by probe */
    for (uint32_t i = 0; i < img->ntables; i++)
	if (img->tables[i].kind == IMG_TABLE_EXACT && (st = check_slots(v, i)) != IMAGE_OK)
	    return st;
    return IMAGE_OK;
}

/* ---------------------------------------------------------------- rules */

/* rule_where - "table 3 (regexp:/x): rule 4 (line 17)" or "rule 9 (line 2)" */
static const char *rule_where(const struct verify *v, uint32_t r, uint32_t t, char *buf,
			      size_t size)
{
    const struct image *img = v->img;

    if (t == IMG_NONE)
	snprintf(buf, size, "rule %u (line %u)", (unsigned) r, (unsigned) img->rules[r].line);
    else
	snprintf(buf, size, TFMT ": rule %u (line %u)", TARG(t),
		 (unsigned) (r - img->tables[t].a), (unsigned) img->rules[r].line);
    return buf;
}

/* RCORRUPT - a refusal about rule r of table t */
#define RCORRUPT(fmt, ...) do { \
	char where_[300]; \
	CORRUPT("%s: " fmt, rule_where(v, r, t, where_, sizeof(where_)), __VA_ARGS__); \
    } while (0)

/*
 * check_rule - one rule on its own: op, flags, strings, options, jump,
 * result and its pieces, in the context of its table (t, or IMG_NONE for
 * a rule no table uses).
 */
static enum image_status check_rule(struct verify *v, uint32_t r, uint32_t t)
{
    const struct image *img = v->img;
    const struct img_rule *rule = &img->rules[r];
    uint32_t kind = t == IMG_NONE ? 0 : img->tables[t].kind;
    uint32_t index = t == IMG_NONE ? 0 : r - img->tables[t].a;
    uint32_t run_count = t == IMG_NONE ? 0 : img->tables[t].b;
    enum image_status st;

    if (rule->op < IMG_RULE_MATCH || rule->op > IMG_RULE_ENDIF)
	RCORRUPT("unknown op %u", (unsigned) rule->op);
    if ((rule->flags & ~IMG_RULE_FLAGS) != 0)
	RCORRUPT("unknown flags 0x%x", (unsigned) rule->flags);
    STRING(rule->pattern, "rule %u (line %u) pattern", (unsigned) r, (unsigned) rule->line);
    STRING(rule->pattern2, "rule %u (line %u) second pattern", (unsigned) r,
	   (unsigned) rule->line);
    STRING(rule->result, "rule %u (line %u) result", (unsigned) r, (unsigned) rule->line);
    if (rule->op == IMG_RULE_ENDIF
	&& (rule->flags | rule->pattern | rule->options | rule->pattern2 | rule->options2) != 0)
	RCORRUPT("%s", "ENDIF with a pattern");
    if (rule->op == IMG_RULE_IF) {
	if (t != IMG_NONE && (rule->next <= index || rule->next > run_count))
	    RCORRUPT("IF jumps to rule %u (it must jump forward, to at most %u)",
		     (unsigned) rule->next, (unsigned) run_count);
    } else if (rule->next != 0) {
	RCORRUPT("only an IF jumps (next is %u)", (unsigned) rule->next);
    }
    if (rule->op != IMG_RULE_MATCH
	&& (rule->result | rule->pieces_count | rule->max_group) != 0)
	RCORRUPT("%s", "only a MATCH rule has a result");
    if (rule_has_pattern2(rule)
	&& (rule->op != IMG_RULE_MATCH || (t != IMG_NONE && kind != IMG_TABLE_REGEXP)))
	RCORRUPT("%s", "a second pattern where there can be none");
    if (!rule_has_pattern2(rule)
	&& ((rule->flags & IMG_RULE_NEGATE2) || rule->pattern2 != 0 || rule->options2 != 0))
	RCORRUPT("%s", "a second pattern's fields without IMG_RULE_HAS2");
    if (t != IMG_NONE) {
	uint32_t allowed = kind == IMG_TABLE_REGEXP ? IMG_REGEXP_OPTIONS
	    : kind == IMG_TABLE_PCRE ? IMG_PCRE_OPTIONS : 0u;
	if ((rule->options | rule->options2) & ~allowed)
	    RCORRUPT("unknown options 0x%x", (unsigned) (rule->options | rule->options2));
    }
    if (!in_run(rule->pieces_first, rule->pieces_count, img->npieces))
	RCORRUPT("pieces %u..+%u outside PIEC (%u)", (unsigned) rule->pieces_first,
		 (unsigned) rule->pieces_count, (unsigned) img->npieces);
    if (rule->pieces_count > 0) {
	size_t len = strlen(str(v, rule->result));
	uint32_t max_group = 0;

	if ((st = need_at(v, &img->pieces[rule->pieces_first],
			  (uint64_t) rule->pieces_count * sizeof(struct img_piece))) != IMAGE_OK)
	    return st;
	for (uint32_t p = rule->pieces_first; p < rule->pieces_first + rule->pieces_count; p++) {
	    const struct img_piece *piece = &img->pieces[p];

	    if (piece->group == 0) {
		if (piece->offset > len || piece->len > len - piece->offset)
		    RCORRUPT("piece %u (bytes %u..+%u) is outside the result (%zu bytes)",
			     (unsigned) p, (unsigned) piece->offset, (unsigned) piece->len, len);
	    } else if (piece->offset != 0 || piece->len != 0) {
		RCORRUPT("piece %u: a group with an offset", (unsigned) p);
	    } else if (piece->group > max_group) {
		max_group = piece->group;
	    }
	}
	if (max_group != rule->max_group)
	    RCORRUPT("largest group is %u, the rule says %u", (unsigned) max_group,
		     (unsigned) rule->max_group);
    } else if (rule->max_group != 0) {
	RCORRUPT("largest group %u without pieces", (unsigned) rule->max_group);
    }
    if (rule->max_group > 0 && ((rule->flags & IMG_RULE_NEGATE)
				|| (t != IMG_NONE && kind == IMG_TABLE_CIDR)))
	RCORRUPT("$%u in a rule that has no groups", (unsigned) rule->max_group);
    return IMAGE_OK;
}

/*
 * net_problem - what is wrong with a network on its own, or NULL: a known
 * family, a prefix that fits it, the address bits past the prefix zero
 * (Postfix's "non-null host address bits"), reserved bytes zero. A net
 * of family 0 (an ENDIF's) is all zero.
 */
static const char *net_problem(const struct img_net *n, char *buf, size_t size)
{
    unsigned bytes = n->family == IMG_NET_V4 ? 4 : 16;

    if (n->reserved[0] != 0 || n->reserved[1] != 0)
	return "reserved bytes are not zero";
    if (n->family == 0) {
	if (n->prefix != 0 || !all_zero(n->addr, sizeof(n->addr)))
	    return "a network without a family";
	return NULL;
    }
    if (n->family != IMG_NET_V4 && n->family != IMG_NET_V6) {
	snprintf(buf, size, "unknown family %u", (unsigned) n->family);
	return buf;
    }
    if (n->prefix > bytes * 8) {
	snprintf(buf, size, "prefix /%u is longer than an IPv%u address", (unsigned) n->prefix,
		 (unsigned) n->family);
	return buf;
    }
    for (unsigned i = 0; i < sizeof(n->addr); i++) {
	unsigned keep = n->prefix >= 8 * (i + 1) ? 8 : n->prefix > 8 * i ? n->prefix - 8 * i : 0;
	if (i >= bytes ? n->addr[i] != 0 : (n->addr[i] & (0xffu >> keep)) != 0) {
	    snprintf(buf, size, "non-null host address bits past /%u", (unsigned) n->prefix);
	    return buf;
	}
    }
    return NULL;
}

/* check_nets - the networks of cidr table t, one per rule: an ENDIF's is empty */
static enum image_status check_nets(struct verify *v, uint32_t t)
{
    const struct image *img = v->img;
    const struct img_table *tb = &img->tables[t];
    enum image_status st;
    char why[80];

    if ((st = need_at(v, &img->nets[tb->c], (uint64_t) tb->b * sizeof(struct img_net)))
	!= IMAGE_OK)
	return st;
    for (uint32_t i = 0; i < tb->b; i++) {
	const struct img_net *n = &img->nets[tb->c + i];
	uint32_t r = tb->a + i;
	const char *problem = net_problem(n, why, sizeof(why));

	if (problem != NULL)
	    RCORRUPT("network %u: %s", (unsigned) (tb->c + i), problem);
	if ((n->family == 0) != (img->rules[r].op == IMG_RULE_ENDIF))
	    RCORRUPT("network %u: %s", (unsigned) (tb->c + i), n->family == 0
		     ? "a rule without a network" : "an ENDIF with a network");
    }
    return IMAGE_OK;
}

/* regexp_flags - the image's options as regcomp() flags, with REG_NOSUB
 * when no $n will ask for the groups (as dict_regexp.c compiles) */
static int regexp_flags(uint32_t options, int need_groups)
{
    int flags = 0;

    if (options & IMG_REGEXP_ICASE)
	flags |= REG_ICASE;
    if (options & IMG_REGEXP_EXTENDED)
	flags |= REG_EXTENDED;
    if (options & IMG_REGEXP_NEWLINE)
	flags |= REG_NEWLINE;
    if (!need_groups)
	flags |= REG_NOSUB;
    return flags;
}

static uint32_t pcre_options(uint32_t options)
{
    static const struct { uint32_t img, pcre; } map[] = {
	{ IMG_PCRE_CASELESS, PCRE2_CASELESS },
	{ IMG_PCRE_MULTILINE, PCRE2_MULTILINE },
	{ IMG_PCRE_DOTALL, PCRE2_DOTALL },
	{ IMG_PCRE_EXTENDED, PCRE2_EXTENDED },
	{ IMG_PCRE_ANCHORED, PCRE2_ANCHORED },
	{ IMG_PCRE_DOLLAR_ENDONLY, PCRE2_DOLLAR_ENDONLY },
	{ IMG_PCRE_UNGREEDY, PCRE2_UNGREEDY },
    };
    uint32_t out = 0;

    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
	if (options & map[i].img)
	    out |= map[i].pcre;
    return out;
}

/* free_program - a compiled pattern (NULL: none) */
static void free_program(struct regex_program *prog)
{
    if (prog == NULL)
	return;
    if (prog->kind == IMG_TABLE_REGEXP)
	regfree(&prog->u.re);
    else if (prog->kind == IMG_TABLE_PCRE)
	pcre2_code_free(prog->u.code);
    free(prog);
}

/*
 * compile - one pattern of rule r of regexp or pcre table t into *progp
 * (allocated here, so that image_close() frees what a failure half-way
 * leaves; what a lazy image's earlier refused try left is freed first).
 * need_groups: the rule's $n will ask for groups. Returns IMAGE_OK or
 * the refusal.
 */
static enum image_status compile(struct verify *v, uint32_t t, uint32_t r,
				 uint32_t pattern, uint32_t options, int need_groups,
				 struct regex_program **progp)
{
    const struct image *img = v->img;
    const struct img_rule *rule = &img->rules[r];
    const char *text = str(v, pattern);

    free_program(*progp);
    struct regex_program *prog = *progp = xcalloc(1, sizeof(*prog));
    char why[256];
    uint32_t ngroups = 0;

    if (img->tables[t].kind == IMG_TABLE_REGEXP) {
	int status = regcomp(&prog->u.re, text, regexp_flags(options, need_groups));
	if (status != 0) {
	    regerror(status, &prog->u.re, why, sizeof(why));
	    RCORRUPT("pattern does not compile: %s", why);
	}
	prog->kind = IMG_TABLE_REGEXP;
	ngroups = prog->u.re.re_nsub > UINT32_MAX ? UINT32_MAX : (uint32_t) prog->u.re.re_nsub;
    } else {
	int status;
	PCRE2_SIZE offset;
	prog->u.code = pcre2_compile((PCRE2_SPTR) text, PCRE2_ZERO_TERMINATED,
				     pcre_options(options), &status, &offset, NULL);
	if (prog->u.code == NULL) {
	    if (pcre2_get_error_message(status, (PCRE2_UCHAR *) why, sizeof(why)) <= 0)
		snprintf(why, sizeof(why), "unexpected pcre2 error code %d", status);
	    RCORRUPT("pattern does not compile: error in regex at offset %lu: %s",
		     (unsigned long) offset, why);
	}
	prog->kind = IMG_TABLE_PCRE;
	if (pcre2_pattern_info(prog->u.code, PCRE2_INFO_CAPTURECOUNT, &ngroups) != 0)
	    ngroups = 0;
    }
    if (need_groups && rule->max_group > ngroups)
	RCORRUPT("the result names group %u, the pattern has %u", (unsigned) rule->max_group,
		 (unsigned) ngroups);
    return IMAGE_OK;
}

/* compile_table - every pattern of regexp or pcre table t, kept for the lookups */
static enum image_status compile_table(struct verify *v, uint32_t t)
{
    struct image *img = v->img;
    const struct img_table *tb = &img->tables[t];
    enum image_status st;

    for (uint32_t r = tb->a; r < tb->a + tb->b; r++) {
	const struct img_rule *rule = &img->rules[r];

	if (rule->op == IMG_RULE_ENDIF)
	    continue;
	if ((st = compile(v, t, r, rule->pattern, rule->options,
			  rule->op == IMG_RULE_MATCH && rule->max_group > 0,
			  &img->compiled[r])) != IMAGE_OK)
	    return st;
	if (rule_has_pattern2(rule)
	    && (st = compile(v, t, r, rule->pattern2, rule->options2, 0,
			     &img->compiled2[r])) != IMAGE_OK)
	    return st;
    }
    return IMAGE_OK;
}

/*
 * table_rules - pattern table t's contents: each rule, its pieces and
 * (cidr) networks, then its patterns compiled
 */
static enum image_status table_rules(struct verify *v, uint32_t t)
{
    const struct img_table *tb = &v->img->tables[t];
    enum image_status st;

    if ((st = need_at(v, &v->img->rules[tb->a], (uint64_t) tb->b * sizeof(struct img_rule)))
	!= IMAGE_OK)
	return st;
    for (uint32_t r = tb->a; r < tb->a + tb->b; r++)
	if ((st = check_rule(v, r, t)) != IMAGE_OK)
	    return st;
    if (tb->kind == IMG_TABLE_CIDR)
	return check_nets(v, t);
    return compile_table(v, t);
}

/*
 * check_rules - the full pass: every rule on its own (those no table
 * uses too), then each pattern table's rules, networks and patterns
 */
static enum image_status check_rules(struct verify *v)
{
    struct image *img = v->img;
    enum image_status st;

    for (uint32_t r = 0; r < img->nrules; r++)
	if (v->rule_owner[r] == IMG_NONE && (st = check_rule(v, r, IMG_NONE)) != IMAGE_OK)
	    return st;
    for (uint32_t t = 0; t < img->ntables; t++) {
	uint32_t kind = img->tables[t].kind;
	if ((kind == IMG_TABLE_REGEXP || kind == IMG_TABLE_PCRE || kind == IMG_TABLE_CIDR)
	    && (st = table_rules(v, t)) != IMAGE_OK)
	    return st;
    }
    return IMAGE_OK;
}

/* ------------------------------------------------------------- programs */

static enum image_status check_programs(struct verify *v)
{
    const struct image *img = v->img;

    for (uint32_t i = 0; i < img->nprograms; i++) {
	const struct img_program *p = &img->programs[i];

	STRING(p->name, "program %u name", i);
	if (p->service != IMG_NONE && p->service >= img->nservices)
	    CORRUPT("program %u (" QUOTE "): service %u of %u", i, str(v, p->name),
		    (unsigned) p->service, (unsigned) img->nservices);
	if (!in_run(p->insns_first, p->insns_count, img->ninsns))
	    CORRUPT("program %u (" QUOTE "): instructions %u..+%u outside INSN (%u)", i,
		    str(v, p->name), (unsigned) p->insns_first, (unsigned) p->insns_count,
		    (unsigned) img->ninsns);
	if (p->reserved != 0)
	    CORRUPT("program %u (" QUOTE "): reserved field is not zero", i, str(v, p->name));
	if (i > 0) {
	    const struct img_program *q = &img->programs[i - 1];
	    int c = strcmp(str(v, q->name), str(v, p->name));
	    if (c > 0 || (c == 0 && q->service >= p->service))
		CORRUPT("program %u (" QUOTE "): not sorted after program %u (" QUOTE ")",
			i, str(v, p->name), i - 1, str(v, q->name));
	}
    }
    for (uint32_t i = 0; i < img->ninsns; i++) {
	const struct img_insn *in = &img->insns[i];

	if (in->op >= RESTR_COUNT)
	    CORRUPT("instruction %u (line %u): unknown restriction %u", i,
		    (unsigned) in->line, (unsigned) in->op);
	const struct restriction_def *def = restriction_def(in->op);
	const char *name = in->op == RESTR_NONE ? "a refused word" : def->name;
	if ((in->flags & ~IMG_INSN_FLAGS) != 0
	    || ((in->flags & IMG_INSN_IMPLICIT) && def->arg != RARG_TABLE))
	    CORRUPT("instruction %u (%s, line %u): flags %#x", i, name,
		    (unsigned) in->line, (unsigned) in->flags);
	if (in->op == RESTR_NONE) {
	    STRING(in->arg, "instruction %u (a refused word, line %u)", i, (unsigned) in->line);
	    continue;
	}
	switch (def->arg) {
	case RARG_NONE:
	    if (in->arg != 0)
		CORRUPT("instruction %u (%s, line %u): an argument where there is none", i,
			name, (unsigned) in->line);
	    break;
	case RARG_TABLE:
	    if (in->arg >= img->ntables)
		CORRUPT("instruction %u (%s, line %u): table %u of %u", i, name,
			(unsigned) in->line, (unsigned) in->arg, (unsigned) img->ntables);
	    break;
	case RARG_DOMAIN:
	case RARG_ENDPOINT:
	    STRING(in->arg, "instruction %u (%s, line %u) argument", i, name,
		   (unsigned) in->line);
	    break;
	case RARG_NUMBER:
	    break;
	case RARG_CLASS:
	    if (in->arg >= img->nprograms)
		CORRUPT("instruction %u (class, line %u): program %u of %u", i,
			(unsigned) in->line, (unsigned) in->arg, (unsigned) img->nprograms);
	    break;
	}
    }
    return IMAGE_OK;
}

/* -------------------------------------------------------------- driver */

/*
 * verify - the checks at open, in order: all of them in the full pass;
 * on a lazy image all but the tables' contents, each record's blocks
 * checked as it is read
 */
static enum image_status verify(struct verify *v)
{
    struct image *img = v->img;
    enum image_status st;

    if ((st = check_header(v)) != IMAGE_OK || (st = check_sections(v)) != IMAGE_OK)
	return st;
    if (v->lazy != NULL) {
	struct image_lazy *lz = v->lazy;
	lz->body = body_start((const struct img_header *) v->base);
	lz->sums_at = (uint64_t) ((const unsigned char *) img->sums - v->base);
	lz->block_ok = xcalloc((size_t) img->nsums + 1, 1);
	lz->table_ok = xcalloc((size_t) img->ntables + 1, 1);
	st = need_small(v);
    } else if ((st = check_blocks(v)) == IMAGE_OK) {
	st = check_padding(v);
    }
    if (st != IMAGE_OK
	|| (st = check_strings(v)) != IMAGE_OK
	|| (st = check_sources(v)) != IMAGE_OK
	|| (st = check_settings(v)) != IMAGE_OK
	|| (st = check_refs(v)) != IMAGE_OK
	|| (v->lazy == NULL && (st = check_entries(v)) != IMAGE_OK))
	return st;
    v->rule_owner = xmalloc(((size_t) img->nrules + 1) * sizeof(uint32_t));
    memset(v->rule_owner, 0xff, ((size_t) img->nrules + 1) * sizeof(uint32_t));
    v->depth = xcalloc((size_t) img->ntables + 1, 1);
    img->compiled = xcalloc((size_t) img->nrules + 1, sizeof(*img->compiled));
    img->compiled2 = xcalloc((size_t) img->nrules + 1, sizeof(*img->compiled2));
    if ((st = check_tables(v)) != IMAGE_OK
	|| (v->lazy == NULL && (st = check_rules(v)) != IMAGE_OK)
	|| (st = check_programs(v)) != IMAGE_OK)
	return st;
    return IMAGE_OK;
}

/* load - verify base[0..size) as img (already holding base, size, mapped) */
static enum image_status load(struct image *img, const char *label, int lazy,
			      struct image **out, char **err)
{
    struct verify v = { img->base, img->size, label, err, img, NULL, NULL, NULL, NULL };

    if (lazy) {
	img->lazy = v.lazy = xcalloc(1, sizeof(*v.lazy));
	img->lazy->label = xstrdup(label);
    }
    enum image_status st = verify(&v);

    free(v.rule_owner);
    free(v.where);
    free(v.depth);
    if (st != IMAGE_OK) {
	image_close(img);
	return st;
    }
    img->header = (const struct img_header *) (const void *) img->base;
    *out = img;
    return IMAGE_OK;
}

static enum image_status from_memory(const void *data, size_t size, const char *label,
				     int lazy, struct image **out, char **err)
{
    struct image *img = xcalloc(1, sizeof(*img));

    *out = NULL;
    *err = NULL;
    img->base = data;
    img->size = size;
    /* The records are read in place: they need 8-byte alignment. */
    if (((uintptr_t) data % IMG_ALIGN) != 0 && size > 0) {
	unsigned char *copy = xmalloc(size);
	memcpy(copy, data, size);
	img->base = copy;
	img->mapped = 2;
    }
    return load(img, label, lazy, out, err);
}

enum image_status image_from_memory(const void *data, size_t size, const char *label,
				    struct image **out, char **err)
{
    return from_memory(data, size, label, 0, out, err);
}

enum image_status image_from_memory_lazy(const void *data, size_t size, const char *label,
					 struct image **out, char **err)
{
    return from_memory(data, size, label, 1, out, err);
}

/*
 * open_file - map path and load it. The file is opened without waiting
 * (a FIFO would block open() until a writer came) and refused unless it
 * is a regular file. The full pass reads all of it, so it is mapped with
 * MAP_POPULATE; a lazy image is left to fault in the pages it reads.
 */
static enum image_status open_file(const char *path, int lazy, struct image **out, char **err)
{
    struct strbuf msg = STRBUF_INIT;
    struct stat st;
    int fd;

    *out = NULL;
    *err = NULL;
    if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
	sb_printf(&msg, "open %s: %s", path, strerror(errno));
    } else if (fstat(fd, &st) != 0) {
	sb_printf(&msg, "stat %s: %s", path, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
	sb_printf(&msg, "%s: not a regular file", path);
    } else if ((uint64_t) st.st_size > SIZE_MAX) {
	sb_printf(&msg, "%s: too large to map", path);
    } else {
	struct image *img = xcalloc(1, sizeof(*img));
	img->size = (size_t) st.st_size;
	if (img->size > 0) {
	    void *base = mmap(NULL, img->size, PROT_READ,
			      MAP_PRIVATE | (lazy ? 0 : MAP_POPULATE), fd, 0);
	    if (base == MAP_FAILED) {
		sb_printf(&msg, "mmap %s: %s", path, strerror(errno));
		free(img);
		close(fd);
		*err = sb_detach(&msg);
		return IMAGE_ERR_IO;
	    }
	    img->base = base;
	    img->mapped = 1;
	} else {
	    static const unsigned char empty[1];
	    img->base = empty;
	}
	close(fd);
	return load(img, path, lazy, out, err);
    }
    if (fd >= 0)
	close(fd);
    *err = sb_detach(&msg);
    return IMAGE_ERR_IO;
}

enum image_status image_open(const char *path, struct image **out, char **err)
{
    return open_file(path, 0, out, err);
}

enum image_status image_open_lazy(const char *path, struct image **out, char **err)
{
    return open_file(path, 1, out, err);
}

void image_close(struct image *img)
{
    if (img == NULL)
	return;
    for (uint32_t r = 0; img->compiled != NULL && r < img->nrules; r++) {
	free_program(img->compiled[r]);
	free_program(img->compiled2[r]);
    }
    free(img->compiled);
    free(img->compiled2);
    if (img->lazy != NULL) {
	free(img->lazy->label);
	free(img->lazy->block_ok);
	free(img->lazy->table_ok);
	free(img->lazy);
    }
    if (img->mapped == 1)
	munmap((void *) img->base, img->size);
    else if (img->mapped == 2)
	free((void *) img->base);
    free(img);
}

/* ------------------------------------------------------- lazy lookups */

/*
 * lazy_verify - a verify context for a lazy image after its open. The
 * image is const to its readers; only its lazy state and its compiled
 * patterns are written.
 */
static struct verify lazy_verify(const struct image *img, char **err)
{
    struct verify v = {
	img->base, img->size, img->lazy->label, err, (struct image *) img, img->lazy,
	NULL, NULL, NULL,
    };

    return v;
}

/* table_contents - lazy_table() of t, with its members */
static enum image_status table_contents(struct verify *v, uint32_t t)
{
    const struct img_table *tb = &v->img->tables[t];
    enum image_status st = IMAGE_OK;

    if (v->lazy->table_ok[t])
	return IMAGE_OK;
    switch (tb->kind) {
    case IMG_TABLE_REGEXP:
    case IMG_TABLE_PCRE:
    case IMG_TABLE_CIDR:
	st = table_rules(v, t);
	break;
    case IMG_TABLE_UNION:
    case IMG_TABLE_PIPE:
	/* The nesting was bounded at open: this recursion ends. */
	for (uint32_t i = 0; i < tb->b && st == IMAGE_OK; i++)
	    st = table_contents(v, v->img->refs[tb->a + i]);
	break;
    default:
	break;			/* exact: probe by probe; the rest has no contents */
    }
    if (st == IMAGE_OK)
	v->lazy->table_ok[t] = 1;
    return st;
}

int lazy_table(const struct image *img, uint32_t t, char **err)
{
    struct verify v = lazy_verify(img, err);

    return table_contents(&v, t) == IMAGE_OK ? 0 : -1;
}

int lazy_bytes(const struct image *img, const void *p, size_t len, char **err)
{
    struct verify v = lazy_verify(img, err);

    return need_at(&v, p, len) == IMAGE_OK ? 0 : -1;
}

int lazy_string(const struct image *img, uint32_t off, char **err)
{
    struct verify v = lazy_verify(img, err);

    return need_string(&v, off) == IMAGE_OK ? 0 : -1;
}

char *lazy_corrupt(const struct image *img, const char *fmt, ...)
{
    struct strbuf msg = STRBUF_INIT;
    va_list ap;

    sb_printf(&msg, "%s: corrupt: ", img->lazy->label);
    va_start(ap, fmt);
    sb_vprintf(&msg, fmt, ap);
    va_end(ap);
    return sb_detach(&msg);
}
