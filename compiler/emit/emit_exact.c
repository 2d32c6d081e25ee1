/*
 * emit_exact - the image's exact tables (ENTR, SLOT): hash, btree and
 * texthash tables from their source, read as pfc map (or pfc alias, for
 * alias_maps and alias_database) reads it; a .db without its source and
 * inline: tables through dict_open(). Exact tables keep the first of
 * duplicate keys, fold keys as the daemons open them, and get the hash
 * index image.h defines, built as the entries come.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aliases.h"
#include "diag.h"
#include "dict.h"
#include "emit.h"
#include "mapsource.h"
#include "sysroot.h"
#include "textutil.h"
#include "utf8.h"
#include "xalloc.h"

/* One exact table being compiled: its entries are the run from first. */
struct exact {
    struct build *b;
    size_t first, count;
    /* Its hash index is built in place: SLOT from b->nslots on. */
    size_t nslots;		/* a power of two */
    struct dict fold;		/* only its flags: how keys are folded */
    struct strbuf key_buf, fold_buf;
    /* Recent values, for exact_value. */
    uint64_t *value_cache;
    /* Entries waiting to be added (see exact_queue). */
    struct pending_entry *queue;
    size_t nqueue;
    struct strbuf queue_keys;	/* folded keys of the queue */
};

/* An entry exact_queue() holds back until its memory has been fetched. */
struct pending_entry {
    const char *key;		/* NULL: the folded key is in queue_keys at key_off */
    size_t key_off, klen;
    const char *value;
    size_t vlen;
    int line;
    uint32_t khash, vhash;
};

#define QUEUE_SIZE 64
#define VALUE_CACHE 65536	/* 512 KiB: stays in the cache */

size_t slots_for(size_t count)
{
    size_t n = 2;

    while (n < 2 * count)
	n *= 2;
    return n;
}

/*
 * exact_index - (re)build the hash index with nslots slots, the entries
 * inserted in their order: the layout is the one any writer gets.
 */
static void exact_index(struct exact *t, size_t nslots)
{
    struct build *b = t->b;
    const struct img_entry *entries = b->entries + t->first;

    if (b->nslots + nslots > UINT32_MAX)
	diag_fatal("build: the hash indexes would pass the image's limit");
    if (b->slots_cap < b->nslots + nslots) {
	b->slots_cap = b->nslots + nslots > 2 * b->slots_cap ? b->nslots + nslots
	    : 2 * b->slots_cap;
	b->slots = xrealloc(b->slots, b->slots_cap * sizeof(*b->slots));
    }
    uint32_t *slots = b->slots + b->nslots;
    memset(slots, 0, nslots * sizeof(*slots));
    t->nslots = nslots;
    for (size_t i = 0; i < t->count; i++) {
	size_t j = entries[i].hash & (nslots - 1);
	while (slots[j] != 0)
	    j = (j + 1) & (nslots - 1);
	slots[j] = (uint32_t) (i + 1);
    }
}

static void exact_begin(struct exact *t, struct build *b, size_t expect)
{
    memset(t, 0, sizeof(*t));
    t->b = b;
    t->first = b->nentries;
    t->fold.flags = b->fold_flags;
    t->queue = xcalloc(QUEUE_SIZE, sizeof(*t->queue));
    t->value_cache = xcalloc(VALUE_CACHE, sizeof(*t->value_cache));
    exact_index(t, slots_for(expect));
}

/* fold_key - the key as the table stores it, in t->fold_buf when it changes */
static const char *fold_key(struct exact *t, const char *key, size_t *klen)
{
    if (!fold_may_change(key, *klen))
	return key;
    sb_reset(&t->key_buf);
    sb_addn(&t->key_buf, key, *klen);
    key = dict_fold(&t->fold, sb_str(&t->key_buf), &t->fold_buf);
    *klen = strlen(key);
    return key;
}

/*
 * exact_value - the offset of an entry's value (hash vh) in the pool.
 * Values are shared through a small direct-mapped cache of the last
 * value of each hash bucket, not the pool's whole index: a repeated
 * value is most often one of a few (the mailboxes behind many aliases),
 * and a million distinct values would cost a million random probes of
 * an index far larger than the processor's cache. A value the cache
 * has lost is stored again; the image is the same for the same input.
 */
static uint32_t exact_value(struct exact *t, const char *value, size_t vlen, uint32_t vh)
{
    uint64_t *cached = &t->value_cache[vh & (VALUE_CACHE - 1)];

    if (*cached != 0 && (uint32_t) (*cached >> 32) == vh) {
	const char *have = pool_at(&t->b->pool, (uint32_t) *cached);
	if (memcmp(have, value, vlen) == 0 && have[vlen] == 0)
	    return (uint32_t) *cached;
    }
    uint32_t off = pool_append(&t->b->pool, value, vlen);
    *cached = (uint64_t) vh << 32 | off;
    return off;
}

/*
 * exact_insert - one entry, its key already folded and hashed: the first
 * of duplicate keys is kept, as postmap keeps it.
 */
static void exact_insert(struct exact *t, const char *key, size_t klen, uint32_t kh,
			 const char *value, size_t vlen, uint32_t vh, int line)
{
    struct build *b = t->b;

    if (2 * (t->count + 1) > t->nslots)
	exact_index(t, 2 * t->nslots);
    uint32_t *slots = b->slots + b->nslots;
    size_t mask = t->nslots - 1, j = kh & mask;
    for (uint32_t s; (s = slots[j]) != 0; j = (j + 1) & mask) {
	const struct img_entry *e = &b->entries[t->first + s - 1];
	if (e->hash != kh)
	    continue;
	const char *have = pool_at(&b->pool, e->key);
	if (memcmp(have, key, klen) == 0 && have[klen] == 0)
	    return;
    }
    if (t->count >= UINT32_MAX / 2)
	diag_fatal("build: a table has more entries than an image can hold");
    GROW(b->entries, b->nentries, b->entries_cap);
    struct img_entry *e = &b->entries[b->nentries++];
    e->key = pool_append(&b->pool, key, klen);
    e->value = exact_value(t, value, vlen, vh);
    e->line = (uint32_t) (line > 0 ? line : 0);
    e->hash = kh;
    slots[j] = (uint32_t) ++t->count;
}

/* exact_add - one entry as a reader gives it */
static void exact_add(struct exact *t, const char *key, size_t klen, const char *value,
		      size_t vlen, int line)
{
    key = fold_key(t, key, &klen);
    exact_insert(t, key, klen, img_hash(key, klen), value, vlen, img_hash(value, vlen), line);
}

/*
 * exact_flush - add the queued entries, in order. Their hashes are known,
 * so the slots and pool index words they will probe are fetched first,
 * all at once, then the entries those slots name: a million random
 * probes then wait for memory in parallel, not one after the other.
 */
static void exact_flush(struct exact *t)
{
    struct build *b = t->b;
    const uint32_t *slots = b->slots + b->nslots;
    size_t mask = t->nslots - 1;

    for (size_t i = 0; i < t->nqueue; i++)
	__builtin_prefetch(&slots[t->queue[i].khash & mask]);
    for (size_t i = 0; i < t->nqueue; i++) {
	uint32_t s = slots[t->queue[i].khash & mask];
	if (s != 0)
	    __builtin_prefetch(&b->entries[t->first + s - 1]);
    }
    for (size_t i = 0; i < t->nqueue; i++) {
	const struct pending_entry *q = &t->queue[i];
	const char *key = q->key ? q->key : t->queue_keys.s + q->key_off;
	exact_insert(t, key, q->klen, q->khash, q->value, q->vlen, q->vhash, q->line);
    }
    t->nqueue = 0;
    sb_reset(&t->queue_keys);
}

/*
 * exact_queue - exact_add() for a reader whose key and value bytes stay
 * in place until exact_flush() (the source text in memory).
 */
static void exact_queue(struct exact *t, const char *key, size_t klen, const char *value,
			size_t vlen, int line)
{
    struct pending_entry *q = &t->queue[t->nqueue];
    const char *folded = fold_key(t, key, &klen);

    q->key = folded == key ? key : NULL;
    if (q->key == NULL) {
	q->key_off = t->queue_keys.len;
	sb_addn(&t->queue_keys, folded, klen);
    }
    q->klen = klen;
    q->value = value;
    q->vlen = vlen;
    q->line = line;
    q->khash = img_hash(folded, klen);
    q->vhash = img_hash(value, vlen);
    if (++t->nqueue == QUEUE_SIZE)
	exact_flush(t);
}

/* exact_end - the table's TABL fields; its slots appended to SLOT */
static void exact_end(struct exact *t, struct img_table *rec)
{
    struct build *b = t->b;
    size_t want = slots_for(t->count);
    unsigned bits = 0;

    exact_flush(t);
    if (t->nslots != want)
	exact_index(t, want);
    while (((size_t) 1 << bits) < want)
	bits++;
    rec->kind = IMG_TABLE_EXACT;
    rec->flags |= IMG_TABLE_FOLD;
    rec->a = (uint32_t) t->first;
    rec->b = (uint32_t) t->count;
    rec->c = (uint32_t) b->nslots;
    rec->d = bits;
    b->nslots += want;
    free(t->queue);
    free(t->value_cache);
    sb_free(&t->queue_keys);
    sb_free(&t->key_buf);
    sb_free(&t->fold_buf);
}

/* The readers hand entries over as C strings. */
static void on_source_entry(void *ctx, const char *key, const char *value, int line)
{
    exact_add(ctx, key, strlen(key), value, strlen(value), line);
}

static int is_ws(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\v' || c == '\f' || c == '\r';
}

/*
 * map_line - one logical line of a postmap source, as mapsource's
 * on_line() reads it (with its splitter), without a copy of a line of
 * the text: a line of the text is queued, a joined line (in a buffer
 * that the next one reuses) added at once.
 */
static void map_line(struct exact *t, const char *s, size_t n, int line, int check_utf8,
		     int joined)
{
    struct mapsource_record rec;

    if (check_utf8) {
	size_t i = 0;
	while (i < n && (unsigned char) s[i] < 0x80)
	    i++;
	if (i < n && !utf8_valid(s, n))
	    return;
    }
    if (mapsource_split(s, n, &rec) != MAPSOURCE_RECORD)
	return;
    if (joined) {
	exact_flush(t);
	exact_add(t, s, rec.key_len, s + rec.value_start, rec.value_end - rec.value_start, line);
    } else {
	exact_queue(t, s, rec.key_len, s + rec.value_start, rec.value_end - rec.value_start,
		    line);
    }
}

size_t count_lines(const char *text, size_t len)
{
    const char *end = text + len, *nl;
    size_t n = 0;

    for (const char *p = text; p < end && (nl = memchr(p, '\n', (size_t) (end - p))); p = nl + 1)
	n++;
    return n + (len > 0 && text[len - 1] != '\n');
}

/* any_high_byte - a byte >= 0x80 anywhere in text (eight at a time) */
static int any_high_byte(const char *text, size_t len)
{
    uint64_t any = 0, word;
    size_t i = 0;

    for (; i + sizeof(word) <= len; i += sizeof(word)) {
	memcpy(&word, text + i, sizeof(word));
	any |= word;
    }
    for (; i < len; i++)
	any |= (unsigned char) text[i];
    return (any & 0x8080808080808080u) != 0;
}

/*
 * read_map_fast - mapsource_read() over text already in memory, with
 * cfline's logical lines (a line that starts with text, joined with the
 * indented lines after it; blank and comment lines dropped even between
 * them; indented text before the first such line dropped), and no copy
 * of a line that is not joined: the same entries, without the lexer,
 * the parser and two allocations a line (0.4 s less for a million
 * lines, most of a build). Records are split by mapsource_split(), the
 * format's one splitter. Returns -1 for text with a NUL byte, which the
 * shared reader gets instead. PFC_BUILD_SLOW_READER (tests) sends
 * everything there, to prove both read the same.
 *
 * XXX The logical-line rule is cfline's, written a second time here: the
 * flex/bison reader copies every line twice and cannot go this fast.
 */
static int read_map_fast(struct exact *t, const char *text, size_t len, int utf8)
{
    const char *end = text + len, *cur = NULL;
    size_t cur_len = 0;
    int cur_line = 0, lineno = 0, joined = 0, started = 0;
    struct strbuf join = STRBUF_INIT;

    if (getenv("PFC_BUILD_SLOW_READER") != NULL || memchr(text, 0, len) != NULL)
	return -1;
    /* Without a byte >= 0x80 no line needs the UTF-8 check. */
    int check_utf8 = utf8 && any_high_byte(text, len);

    for (const char *p = text; p < end;) {
	const char *eol = memchr(p, '\n', (size_t) (end - p));
	const char *le = eol ? eol : end, *q = p;
	lineno++;
	while (q < le && is_ws((unsigned char) *q))
	    q++;
	if (q == le || *q == '#') {
	    /* blank or comment: gone, even inside a logical line */
	} else if (q > p) {
	    /* indented text: continues the logical line, if one started */
	    if (started) {
		if (!joined) {
		    sb_reset(&join);
		    sb_addn(&join, cur, cur_len);
		    joined = 1;
		}
		sb_addn(&join, p, (size_t) (le - p));
	    }
	} else {
	    if (started)
		map_line(t, joined ? join.s : cur, joined ? join.len : cur_len, cur_line,
			 check_utf8, joined);
	    started = 1;
	    joined = 0;
	    cur = p;
	    cur_len = (size_t) (le - p);
	    cur_line = lineno;
	}
	p = eol ? eol + 1 : end;
    }
    if (started)
	map_line(t, joined ? join.s : cur, joined ? join.len : cur_len, cur_line, check_utf8,
		 joined);
    exact_flush(t);
    sb_free(&join);
    return 0;
}

void discard_warning(void *ctx, const char *message)
{
    (void) ctx;
    (void) message;
}

/*
 * read_source_text - the entries of a source's bytes: aliases(5) as
 * pfc alias reads them, else postmap's format as pfc map (or texthash)
 * reads it. Returns -1 on a read error.
 */
static int read_source_text(struct build *b, struct exact *t, const char *path,
			    const char *text, size_t len, int aliases, int texthash)
{
    int status = 0;

    if (!aliases && read_map_fast(t, text, len, b->utf8) == 0)
	return 0;
    FILE *fp = len > 0 ? fmemopen((void *) text, len, "r") : fopen("/dev/null", "r");
    if (fp == NULL)
	return -1;
    diag_set_warning_hook(discard_warning, NULL);
    if (aliases)
	status = aliases_read_stream(fp, path, b->utf8 ? ALIASES_UTF8 : 0,
				     on_source_entry, t) < 0 ? -1 : 0;
    else
	status = mapsource_read(fp, path, MAPSOURCE_QUIET | (b->utf8 ? MAPSOURCE_UTF8 : 0)
				| (texthash ? MAPSOURCE_TEXTHASH : 0), on_source_entry, t);
    diag_set_warning_hook(NULL, NULL);
    fclose(fp);
    return status;
}

/* compile_source - an exact table from the bytes of its source */
static int compile_source(struct build *b, struct img_table *rec, const char *path,
			  const char *text, size_t len, int aliases, int texthash)
{
    struct exact t;
    size_t lines = count_lines(text, len);

    /* An entry a line: room for them at once, not by doubling. */
    if (b->entries_cap < b->nentries + lines + 1) {
	b->entries_cap = b->nentries + lines + 1;
	b->entries = xrealloc(b->entries, b->entries_cap * sizeof(*b->entries));
    }
    exact_begin(&t, b, lines + (aliases ? 1 : 0));
    if (read_source_text(b, &t, path, text, len, aliases, texthash) < 0) {
	fprintf(stderr, "pfc: build: read %s: %s\n", path, strerror(errno));
	b->failed = 1;
    }
    if (aliases) {
	/* postalias stores this sentinel after the entries. */
	exact_add(&t, "@", 1, "@", 1, 0);
	rec->flags |= IMG_TABLE_ALIASES;
    }
    exact_end(&t, rec);
    return b->failed ? -1 : 0;
}

/* A .db entry, for sorting. */
struct pair {
    char *key;
    char *value;
};

static int compare_pairs(const void *a, const void *b)
{
    return strcmp(((const struct pair *) a)->key, ((const struct pair *) b)->key);
}

/*
 * compile_dict - an exact table read through dict_open(): a .db whose
 * source is not there, or an inline: table. Its entries sorted by key
 * (a .db has no source order); keys a folding lookup cannot reach (the
 * NIS keys postalias stores unfolded) are left out, as are keys and
 * values a UTF-8 lookup refuses.
 */
int compile_dict(struct build *b, struct img_table *rec, const char *spec, int report)
{
    char *err = NULL;
    struct pair *pairs = NULL;
    size_t npairs = 0, cap = 0;
    const char *key, *value;
    struct strbuf fold_buf = STRBUF_INIT;
    struct dict fold = { .flags = b->fold_flags };
    int status;

    diag_set_warning_hook(discard_warning, NULL);
    struct dict *dict = dict_open(spec, DICT_READ, b->fold_flags, &err);
    diag_set_warning_hook(NULL, NULL);
    if (dict == NULL) {
	if (report) {
	    fprintf(stderr, "pfc: build: %s: %s\n", spec, err);
	    b->failed = 1;
	}
	free(err);
	return -1;
    }
    if (dict->sequence != NULL) {
	for (int first = 1; (status = dict->sequence(dict, first, &key, &value)) == DICT_FOUND;
	     first = 0) {
	    if (*key == 0 || strcmp(dict_fold(&fold, key, &fold_buf), key) != 0)
		continue;
	    if (b->utf8 && (!utf8_valid(key, strlen(key)) || !utf8_valid(value, strlen(value))))
		continue;
	    GROW(pairs, npairs, cap);
	    pairs[npairs].key = xstrdup(key);
	    pairs[npairs++].value = xstrdup(value);
	}
	if (status == DICT_FAIL) {
	    fprintf(stderr, "pfc: build: %s: %s\n", spec,
		    dict->error && *dict->error ? dict->error : "read error");
	    b->failed = 1;
	}
    }
    (void) dict_close(dict, &err);
    free(err);
    if (npairs > 1)
	qsort(pairs, npairs, sizeof(*pairs), compare_pairs);
    struct exact t;
    exact_begin(&t, b, npairs);
    for (size_t i = 0; i < npairs; i++) {
	exact_add(&t, pairs[i].key, strlen(pairs[i].key), pairs[i].value,
		  strlen(pairs[i].value), 0);
	free(pairs[i].key);
	free(pairs[i].value);
    }
    free(pairs);
    sb_free(&fold_buf);
    exact_end(&t, rec);
    return b->failed ? -1 : 0;
}

/*
 * compile_file_table - hash, btree, texthash: from the source (the
 * model's bytes, which the linter read already); a hash or btree without
 * source from its .db; EXTERNAL when there is neither (only a default
 * names it, and the linter does not look at defaults).
 */
int compile_file_table(struct build *b, struct img_table *rec, uint32_t *source,
		       const char *spec, const char *type, const char *name)
{
    char *opened = sysroot_path(name);
    const struct model_source *src = model_source(b->m, opened);
    int texthash = strcmp(type, "texthash") == 0;
    int aliases = !texthash && check_is_alias_table(b->cx, spec);
    int status = 0;

    if (src != NULL) {
	struct digest_job job;
	digest_start(&job, src->text, src->len);
	status = compile_source(b, rec, name, src->text, src->len, aliases, texthash);
	digest_wait(&job);
	*source = add_source(b, name, src->len, job.sha256);
    } else if (!texthash) {
	char *db = xconcat(opened, ".db", (char *) NULL), *db_named;
	uint32_t index;
	if (access(db, F_OK) == 0) {
	    db_named = xconcat(name, ".db", (char *) NULL);
	    if ((status = add_source_file(b, db_named, db, &index)) == 0) {
		*source = index;
		status = compile_dict(b, rec, spec, 1);
		if (aliases)
		    rec->flags |= IMG_TABLE_ALIASES;
	    }
	    free(db_named);
	} else {
	    rec->kind = IMG_TABLE_EXTERNAL;
	}
	free(db);
    } else {
	rec->kind = IMG_TABLE_EXTERNAL;
    }
    free(opened);
    return status;
}

