/*
 * dict_gdbm - hash:NAME and btree:NAME, indexed files NAME.db stored with
 * GDBM. Both types share the storage; btree differs only in that -s lists
 * its entries in key order, as a Postfix btree does.
 *
 * Layout (pfc's own; these files are not Berkeley DB files): GDBM writes
 * each record through to the file as it is stored, two or three system
 * calls a record, which makes a million-record build slower than
 * postmap's. So entries are grouped into buckets of about BUCKET_TARGET
 * entries by the FNV-1a hash of the key, and each bucket is one GDBM
 * record; a lookup fetches one bucket and scans it. One more record, under
 * a key no source line can produce (it starts with a NUL byte), holds the
 * format version and the bucket count.
 *
 *   bucket record key:   "\0b" + bucket number, 4 bytes big-endian
 *   bucket record value: entries, each u32 key length, u32 value length
 *                        (little-endian), key bytes, value bytes
 *   meta record key:     "\0pfc-hash"   value: "1 NBUCKETS"
 *   stamp record key:    "\0pfc-source" value: "sha256 HEX SIZE WARNINGS FLAGS"
 *                                               or "updated"
 *
 * The stamp names the source bytes a build read (SHA-256, size), so pfc
 * check can tell whether the table still matches its source, and how
 * many warnings reading it gave with which flags (FOLD, UTF8). A build
 * from a source file writes it; an update (-i, -d) writes "updated",
 * since the table then matches no file. Tables of a pfc that predates
 * stamps have no stamp record at all.
 *
 * A table is never modified in place: building writes NAME.db.tmp.PID from
 * entries held in memory, and close() fsyncs it and renames it over
 * NAME.db, so a reader sees the old table or the new one, and an
 * interrupted build leaves the old one intact. Updates (-i, -d) load the
 * table, change it in memory and write it anew the same way.
 *
 * Keys and values carry a trailing NUL by default, as Postfix's hash
 * tables on Linux do; -N forces it and -n drops it, and lookups try both
 * forms until one is found (DICT_FLAG_TRY1NULL/TRY0NULL).
 */
#include <errno.h>
#include <fcntl.h>
#include <gdbm.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "dict.h"
#include "strbuf.h"
#include "strmap.h"
#include "xalloc.h"

#define FORMAT_VERSION 1
#define BUCKET_TARGET 8		/* entries per bucket, on average */
#define META_KEY "\0pfc-hash"
#define META_KEY_LEN 9
#define STAMP_KEY "\0pfc-source"
#define STAMP_UPDATED "updated"	/* changed with -i or -d since its build */
#define STAMP_KEY_LEN 11
#define BUCKET_KEY_LEN 6

/* An entry as stored: the bytes of key and value, NUL included if any. */
struct entry {
    char *key;
    size_t key_len;
    char *value;
    size_t value_len;
};

struct gdbm_table {
    struct dict dict;
    GDBM_FILE db;
    char *path;			/* NAME.db */
    int sorted;			/* btree: sequence in key order */
    uint32_t nbuckets;
    char *stamp;		/* the stamp record's text, or NULL */
    int keep_mode;		/* updates keep the table's permissions */
    mode_t mode;
    struct strbuf fold_buf, key_buf, value_buf;
    /* writers: every entry, in memory until close */
    int writer;
    struct entry *entries;
    size_t count, cap;
    struct strmap index;	/* key text -> entry number + 1, as a pointer */
    /* sequence state */
    struct entry *seq;
    size_t seq_count, seq_next;
};

static struct entry *find_entry(struct gdbm_table *t, const char *text);

static uint32_t bucket_of(const char *key, size_t len, uint32_t nbuckets)
{
    return (uint32_t) (strmap_hash(key, len) % nbuckets);
}

static void bucket_key(char *buf, uint32_t bucket)
{
    buf[0] = 0;
    buf[1] = 'b';
    buf[2] = (char) (bucket >> 24);
    buf[3] = (char) (bucket >> 16);
    buf[4] = (char) (bucket >> 8);
    buf[5] = (char) bucket;
}

static uint32_t get32(const unsigned char *p)
{
    return (uint32_t) p[0] | (uint32_t) p[1] << 8 | (uint32_t) p[2] << 16
	| (uint32_t) p[3] << 24;
}

static void put32(struct strbuf *buf, uint32_t n)
{
    char b[4] = { (char) n, (char) (n >> 8), (char) (n >> 16), (char) (n >> 24) };

    sb_addn(buf, b, 4);
}

/* bytes_len - the length of stored bytes without their trailing NUL */
static size_t text_len(const char *bytes, size_t len)
{
    return len > 0 && bytes[len - 1] == 0 ? len - 1 : len;
}

/*
 * unpack - walk the entries of a bucket; returns 0 at the end, -1 if the
 * record is damaged.
 */
static int unpack(const unsigned char **pos, const unsigned char *end, struct entry *e)
{
    if (*pos == end)
	return 0;
    if (end - *pos < 8)
	return -1;
    e->key_len = get32(*pos);
    e->value_len = get32(*pos + 4);
    *pos += 8;
    if ((size_t) (end - *pos) < e->key_len || (size_t) (end - *pos) - e->key_len < e->value_len)
	return -1;
    e->key = (char *) *pos;
    e->value = (char *) *pos + e->key_len;
    *pos += e->key_len + e->value_len;
    return 1;
}

/* ---------------------------------------------------------------- */
/* Reading.                                                          */

/* check_meta - the bucket count of an existing pfc table, or -1 and *err */
static long check_meta(GDBM_FILE db, const struct gdbm_table *t, char **err)
{
    datum k = { META_KEY, META_KEY_LEN };
    datum v = gdbm_fetch(db, k);
    unsigned version = 0, nbuckets = 0;

    if (v.dptr != NULL) {
	char text[64];
	size_t n = (size_t) v.dsize < sizeof(text) - 1 ? (size_t) v.dsize : sizeof(text) - 1;
	memcpy(text, v.dptr, n);
	text[n] = 0;
	free(v.dptr);
	if (sscanf(text, "%u %u", &version, &nbuckets) != 2)
	    version = 0;
    }
    if (version != FORMAT_VERSION || nbuckets == 0) {
	*err = dict_format_error("open database %s: not a pfc %s table (rebuild it with pfc map)",
				 t->path, t->dict.type->name);
	return -1;
    }
    return (long) nbuckets;
}

/* gdbm_open_error - why a table could not be opened, in Postfix's words */
static char *gdbm_open_error(const char *path)
{
    return dict_format_error("open database %s: %s", path, gdbm_errno == GDBM_FILE_OPEN_ERROR
			     ? strerror(errno) : gdbm_strerror(gdbm_errno));
}

/* find - look for the key bytes, with or without a NUL, as flags allow */
static int find(struct gdbm_table *t, const char *key, const char **value)
{
    size_t len = strlen(key);
    char bkey[BUCKET_KEY_LEN];
    datum k = { bkey, BUCKET_KEY_LEN }, v;

    bucket_key(bkey, bucket_of(key, len, t->nbuckets));
    v = gdbm_fetch(t->db, k);
    if (v.dptr == NULL) {
	if (gdbm_errno != GDBM_NO_ERROR && gdbm_errno != GDBM_ITEM_NOT_FOUND)
	    return dict_set_error(&t->dict, "%s", gdbm_strerror(gdbm_errno));
	return DICT_NOTFOUND;
    }
    const unsigned char *pos = (const unsigned char *) v.dptr, *end = pos + v.dsize;
    struct entry e;
    int status = DICT_NOTFOUND, more;
    while ((more = unpack(&pos, end, &e)) > 0) {
	int with_nul = e.key_len == len + 1 && e.key[len] == 0;
	if ((with_nul ? (t->dict.flags & DICT_FLAG_TRY1NULL) : e.key_len == len
	     && (t->dict.flags & DICT_FLAG_TRY0NULL))
	    && memcmp(e.key, key, len) == 0) {
	    t->dict.flags &= with_nul ? ~DICT_FLAG_TRY0NULL : ~DICT_FLAG_TRY1NULL;
	    sb_reset(&t->value_buf);
	    sb_addn(&t->value_buf, e.value, text_len(e.value, e.value_len));
	    *value = sb_str(&t->value_buf);
	    status = DICT_FOUND;
	    break;
	}
    }
    free(v.dptr);
    if (more < 0)
	return dict_set_error(&t->dict, "%s: damaged record", t->path);
    return status;
}

static int gdbm_table_lookup(struct dict *dict, const char *key, const char **value)
{
    struct gdbm_table *t = (struct gdbm_table *) dict;

    *value = NULL;
    if (t->writer) {
	struct entry *e = find_entry(t, dict_fold(dict, key, &t->fold_buf));
	if (e == NULL)
	    return DICT_NOTFOUND;
	sb_reset(&t->value_buf);
	sb_addn(&t->value_buf, e->value, text_len(e->value, e->value_len));
	*value = sb_str(&t->value_buf);
	return DICT_FOUND;
    }
    return find(t, dict_fold(dict, key, &t->fold_buf), value);
}

/* ---------------------------------------------------------------- */
/* Writing: entries live in memory, indexed by their text key.       */

/* find_entry - the live entry with this key text, or NULL */
static struct entry *find_entry(struct gdbm_table *t, const char *text)
{
    uintptr_t n = (uintptr_t) strmap_get(&t->index, text);

    return n ? &t->entries[n - 1] : NULL;
}

/*
 * add_entry - append; the index maps the key text to the entry number.
 * Key and value share one allocation: a million entries, a million calls.
 */
static void add_entry(struct gdbm_table *t, const char *key, size_t key_len,
		      const char *value, size_t value_len)
{
    if (t->count == t->cap) {
	t->cap = t->cap ? 2 * t->cap : 1024;
	t->entries = xrealloc(t->entries, t->cap * sizeof(*t->entries));
    }
    struct entry *e = &t->entries[t->count++];
    e->key = xmalloc(key_len + value_len + 2);
    memcpy(e->key, key, key_len);
    e->key[key_len] = 0;
    e->key_len = key_len;
    e->value = e->key + key_len + 1;
    memcpy(e->value, value, value_len);
    e->value[value_len] = 0;
    e->value_len = value_len;
    /* As a C string the stored key is its text: a NUL ends both. */
    strmap_put(&t->index, e->key, (void *) (uintptr_t) t->count);
}

static int gdbm_table_update(struct dict *dict, const char *key, const char *value)
{
    struct gdbm_table *t = (struct gdbm_table *) dict;
    const char *folded = dict_fold(dict, key, &t->fold_buf);
    struct entry *e = find_entry(t, folded);

    /* With both forms allowed, new records get the NUL, as on Linux. */
    if ((dict->flags & DICT_FLAG_TRY1NULL) && (dict->flags & DICT_FLAG_TRY0NULL))
	dict->flags &= ~DICT_FLAG_TRY0NULL;
    int nul = (dict->flags & DICT_FLAG_TRY1NULL) != 0;

    if (e != NULL) {
	if (dict->flags & DICT_FLAG_DUP_REPLACE) {
	    /* A new value: a new record for both, the old key kept. */
	    size_t len = strlen(value) + (size_t) nul;
	    char *both = xmalloc(e->key_len + len + 2);
	    memcpy(both, e->key, e->key_len + 1);
	    memcpy(both + e->key_len + 1, value, len);
	    both[e->key_len + 1 + len] = 0;
	    free(e->key);
	    e->key = both;
	    e->value = both + e->key_len + 1;
	    e->value_len = len;
	} else if ((dict->flags & DICT_FLAG_DUP_IGNORE) == 0) {
	    diag_warn("%s: duplicate entry: \"%s\"", t->path, folded);
	}
	return DICT_FOUND;
    }
    add_entry(t, folded, strlen(folded) + (size_t) nul, value, strlen(value) + (size_t) nul);
    return DICT_FOUND;
}

static int gdbm_table_remove(struct dict *dict, const char *key)
{
    struct gdbm_table *t = (struct gdbm_table *) dict;
    const char *folded = dict_fold(dict, key, &t->fold_buf);
    struct entry *e = find_entry(t, folded);

    if (e == NULL)
	return DICT_NOTFOUND;
    /* Only the stored form the flags allow (-N: with NUL, -n: without). */
    int with_nul = e->key_len > 0 && e->key[e->key_len - 1] == 0;
    if ((dict->flags & (with_nul ? DICT_FLAG_TRY1NULL : DICT_FLAG_TRY0NULL)) == 0)
	return DICT_NOTFOUND;
    strmap_del(&t->index, folded);
    /* Mark the entry dead; write_table() skips it. */
    free(e->key);
    e->key = NULL;
    return DICT_FOUND;
}

/*
 * load_entries - an update starts from every entry of the existing table.
 * Anything short of reading all of it (not a pfc table, a damaged record,
 * a read error) fails the update: rewriting the table from what could be
 * read would lose the rest.
 */
static int load_entries(struct gdbm_table *t, char **err)
{
    GDBM_FILE old = gdbm_open(t->path, 0, GDBM_READER | GDBM_NOLOCK, 0, NULL);
    int status = 0;

    if (old == NULL) {
	if (gdbm_errno == GDBM_FILE_OPEN_ERROR && errno == ENOENT)
	    return 0;
	*err = gdbm_open_error(t->path);
	return -1;
    }
    if (check_meta(old, t, err) < 0) {
	gdbm_close(old);
	return -1;
    }
    datum k = gdbm_firstkey(old);
    while (status == 0 && k.dptr != NULL) {
	if (k.dsize == BUCKET_KEY_LEN && k.dptr[0] == 0 && k.dptr[1] == 'b') {
	    datum v = gdbm_fetch(old, k);
	    const unsigned char *pos = (const unsigned char *) v.dptr;
	    const unsigned char *end = pos + (v.dptr ? v.dsize : 0);
	    struct entry e;
	    int more;
	    while ((more = unpack(&pos, end, &e)) > 0)
		add_entry(t, e.key, e.key_len, e.value, e.value_len);
	    if (v.dptr == NULL || more < 0) {
		*err = dict_format_error("table %s: %s", t->path, v.dptr == NULL
					 ? gdbm_strerror(gdbm_errno) : "damaged record");
		status = -1;
	    }
	    free(v.dptr);
	}
	datum next = gdbm_nextkey(old, k);
	free(k.dptr);
	k = next;
    }
    free(k.dptr);
    if (status == 0 && gdbm_errno != GDBM_NO_ERROR && gdbm_errno != GDBM_ITEM_NOT_FOUND) {
	*err = dict_format_error("table %s: %s", t->path, gdbm_strerror(gdbm_errno));
	status = -1;
    }
    gdbm_close(old);
    return status;
}

/* write_table - every live entry into buckets, one GDBM record each */
static int write_table(struct gdbm_table *t, int fd, const char *tmp_path, char **err)
{
    size_t live = 0;

    for (size_t i = 0; i < t->count; i++)
	live += t->entries[i].key != NULL;
    uint32_t nbuckets = (uint32_t) (live / BUCKET_TARGET + 1);
    uint32_t *bucket = xmalloc((t->count + 1) * sizeof(*bucket));
    size_t *start = xcalloc((size_t) nbuckets + 1, sizeof(*start));
    size_t *order = xmalloc((live + 1) * sizeof(*order));

    /* Counting sort of the entries by bucket, keeping source order within. */
    for (size_t i = 0; i < t->count; i++) {
	if (t->entries[i].key == NULL)
	    continue;
	bucket[i] = bucket_of(t->entries[i].key,
			      text_len(t->entries[i].key, t->entries[i].key_len), nbuckets);
	start[bucket[i] + 1]++;
    }
    for (uint32_t b = 0; b < nbuckets; b++)
	start[b + 1] += start[b];
    for (size_t i = 0; i < t->count; i++)
	if (t->entries[i].key != NULL)
	    order[start[bucket[i]]++] = i;

    GDBM_FILE db = gdbm_fd_open(fd, tmp_path, 0, GDBM_NEWDB | GDBM_NOLOCK | GDBM_CLOERROR,
				NULL);
    int status = 0;
    if (db == NULL) {
	*err = gdbm_open_error(tmp_path);
	status = -1;
    }
    struct strbuf rec = STRBUF_INIT;
    size_t next = 0;
    for (uint32_t b = 0; status == 0 && b < nbuckets; b++) {
	/* After the sort, start[b] is the end of bucket b. */
	sb_reset(&rec);
	for (; next < start[b]; next++) {
	    const struct entry *e = &t->entries[order[next]];
	    put32(&rec, (uint32_t) e->key_len);
	    put32(&rec, (uint32_t) e->value_len);
	    sb_addn(&rec, e->key, e->key_len);
	    sb_addn(&rec, e->value, e->value_len);
	}
	if (rec.len == 0)
	    continue;
	char bkey[BUCKET_KEY_LEN];
	bucket_key(bkey, b);
	datum k = { bkey, BUCKET_KEY_LEN }, v = { rec.s, (int) rec.len };
	if (gdbm_store(db, k, v, GDBM_REPLACE) != 0) {
	    *err = dict_format_error("table %s:%s: write error: %s", t->dict.type->name,
				     t->dict.name, gdbm_strerror(gdbm_errno));
	    status = -1;
	}
    }
    if (status == 0) {
	sb_reset(&rec);
	sb_printf(&rec, "%d %u", FORMAT_VERSION, (unsigned) nbuckets);
	datum k = { META_KEY, META_KEY_LEN }, v = { rec.s, (int) rec.len };
	datum sk = { STAMP_KEY, STAMP_KEY_LEN };
	const char *stamp = t->stamp ? t->stamp : STAMP_UPDATED;
	datum sv = { (char *) stamp, (int) strlen(stamp) };
	if (gdbm_store(db, k, v, GDBM_REPLACE) != 0
	    || gdbm_store(db, sk, sv, GDBM_REPLACE) != 0
	    || gdbm_sync(db) != 0
	    || fsync(gdbm_fdesc(db)) != 0) {
	    *err = dict_format_error("table %s:%s: write error: %s", t->dict.type->name,
				     t->dict.name, strerror(errno));
	    status = -1;
	}
    }
    if (db != NULL)
	gdbm_close(db);
    sb_free(&rec);
    free(bucket);
    free(start);
    free(order);
    return status;
}

/* publish - write the table to a temporary file, then put it in place */
static int publish(struct gdbm_table *t, char **err)
{
    struct strbuf tmp = STRBUF_INIT;
    int status = -1, fd;

    /*
     * A new file, never an existing one or a symlink planted there. It gets
     * the table's own mode if it had one, else what the umask allows.
     */
    sb_printf(&tmp, "%s.tmpXXXXXX", t->path);
    if ((fd = mkstemp(tmp.s)) < 0) {
	*err = dict_format_error("create %s: %s", tmp.s, strerror(errno));
	sb_free(&tmp);
	return -1;
    }
    mode_t mask = umask(0);
    umask(mask);
    if (fchmod(fd, t->keep_mode ? t->mode : 0644 & ~mask) != 0) {
	*err = dict_format_error("chmod %s: %s", tmp.s, strerror(errno));
	close(fd);
    } else if ((status = write_table(t, fd, tmp.s, err)) == 0 && rename(tmp.s, t->path) != 0) {
	*err = dict_format_error("rename %s to %s: %s", tmp.s, t->path, strerror(errno));
	status = -1;
    }
    if (status != 0) {
	unlink(tmp.s);
    } else {
	/* The rename itself must survive a crash too. */
	char *dir = xstrdup(t->path), *slash = strrchr(dir, '/');
	const char *dirname = slash == NULL ? "." : slash == dir ? "/" : (*slash = 0, dir);
	int dfd = open(dirname, O_RDONLY | O_DIRECTORY);
	if (dfd >= 0) {
	    (void) fsync(dfd);
	    close(dfd);
	}
	free(dir);
    }
    sb_free(&tmp);
    return status;
}

/* ---------------------------------------------------------------- */
/* Listing.                                                          */

static int compare_entries(const void *a, const void *b)
{
    const struct entry *x = a, *y = b;
    size_t lx = text_len(x->key, x->key_len), ly = text_len(y->key, y->key_len);
    int c = memcmp(x->key, y->key, lx < ly ? lx : ly);

    return c != 0 ? c : (lx > ly) - (lx < ly);
}

static void free_seq(struct gdbm_table *t)
{
    for (size_t i = 0; i < t->seq_count; i++) {
	free(t->seq[i].key);
	free(t->seq[i].value);
    }
    free(t->seq);
    t->seq = NULL;
    t->seq_count = t->seq_next = 0;
}

/* collect - every entry of the table, in bucket order (or key order) */
static int collect(struct gdbm_table *t)
{
    size_t cap = 0;

    free_seq(t);
    for (datum k = gdbm_firstkey(t->db); k.dptr != NULL;) {
	if (k.dsize == BUCKET_KEY_LEN && k.dptr[0] == 0 && k.dptr[1] == 'b') {
	    datum v = gdbm_fetch(t->db, k);
	    const unsigned char *pos = (const unsigned char *) v.dptr;
	    const unsigned char *end = pos + (v.dptr ? v.dsize : 0);
	    struct entry e;
	    int more;
	    while ((more = unpack(&pos, end, &e)) > 0) {
		if (t->seq_count == cap)
		    t->seq = xrealloc(t->seq, (cap = cap ? 2 * cap : 256) * sizeof(*t->seq));
		struct entry *copy = &t->seq[t->seq_count++];
		copy->key = xstrndup(e.key, e.key_len);
		copy->key_len = e.key_len;
		copy->value = xstrndup(e.value, e.value_len);
		copy->value_len = e.value_len;
	    }
	    free(v.dptr);
	    if (more < 0) {
		free(k.dptr);
		return dict_set_error(&t->dict, "%s: damaged record", t->path);
	    }
	}
	datum next = gdbm_nextkey(t->db, k);
	free(k.dptr);
	k = next;
    }
    if (t->sorted && t->seq_count > 1)
	qsort(t->seq, t->seq_count, sizeof(*t->seq), compare_entries);
    return 0;
}

static int gdbm_table_sequence(struct dict *dict, int first, const char **key,
			       const char **value)
{
    struct gdbm_table *t = (struct gdbm_table *) dict;

    if (first && collect(t) < 0)
	return DICT_FAIL;
    if (t->seq_next >= t->seq_count)
	return DICT_NOTFOUND;
    const struct entry *e = &t->seq[t->seq_next++];
    sb_reset(&t->key_buf);
    sb_addn(&t->key_buf, e->key, text_len(e->key, e->key_len));
    sb_reset(&t->value_buf);
    sb_addn(&t->value_buf, e->value, text_len(e->value, e->value_len));
    *key = sb_str(&t->key_buf);
    *value = sb_str(&t->value_buf);
    return DICT_FOUND;
}

/* ---------------------------------------------------------------- */
/* Opening and closing.                                              */

static void free_table(struct gdbm_table *t)
{
    if (t->db != NULL)
	gdbm_close(t->db);
    for (size_t i = 0; i < t->count; i++)
	free(t->entries[i].key);	/* the value shares the allocation */
    free(t->entries);
    strmap_free(&t->index, NULL);
    free_seq(t);
    free(t->path);
    free(t->stamp);
    sb_free(&t->fold_buf);
    sb_free(&t->key_buf);
    sb_free(&t->value_buf);
    dict_free(&t->dict);
}

static int gdbm_table_close(struct dict *dict, char **err)
{
    struct gdbm_table *t = (struct gdbm_table *) dict;
    int status = t->writer ? publish(t, err) : 0;

    free_table(t);
    return status;
}

static struct dict *open_table(const struct dict_type *type, const char *name,
			       int mode, unsigned flags, char **err)
{
    struct gdbm_table *t = (struct gdbm_table *) dict_alloc(type, name, flags, sizeof(*t));

    t->path = xconcat(name, ".db", (char *) NULL);
    t->dict.label = t->path;
    t->sorted = strcmp(type->name, "btree") == 0;
    strmap_init(&t->index);
    t->dict.lookup = gdbm_table_lookup;
    t->dict.close = gdbm_table_close;
    if ((flags & (DICT_FLAG_TRY0NULL | DICT_FLAG_TRY1NULL)) == 0)
	t->dict.flags |= DICT_FLAG_TRY0NULL | DICT_FLAG_TRY1NULL;

    if (mode == DICT_READ) {
	t->db = gdbm_open(t->path, 0, GDBM_READER | GDBM_NOLOCK, 0, NULL);
	long nbuckets;
	if (t->db == NULL) {
	    *err = gdbm_open_error(t->path);
	    free_table(t);
	    return NULL;
	}
	if ((nbuckets = check_meta(t->db, t, err)) < 0) {
	    free_table(t);
	    return NULL;
	}
	t->nbuckets = (uint32_t) nbuckets;
	t->dict.sequence = gdbm_table_sequence;
	return &t->dict;
    }
    /* Writers keep the table in memory and publish it at close. */
    t->writer = 1;
    /* A table that exists keeps its permissions, as one rewritten in place. */
    struct stat st;
    if (stat(t->path, &st) == 0) {
	t->keep_mode = 1;
	t->mode = st.st_mode & 07777;
    } else if (mode == DICT_MODIFY) {
	*err = dict_format_error("open database %s: %s", t->path, strerror(errno));
	free_table(t);
	return NULL;
    }
    if (mode != DICT_CREATE && load_entries(t, err) < 0) {
	free_table(t);
	return NULL;
    }
    t->dict.update = gdbm_table_update;
    t->dict.remove = gdbm_table_remove;
    return &t->dict;
}

static struct dict *hash_open(const char *name, int mode, unsigned flags, char **err)
{
    extern const struct dict_type dict_type_hash;
    return open_table(&dict_type_hash, name, mode, flags, err);
}

static struct dict *btree_open(const char *name, int mode, unsigned flags, char **err)
{
    extern const struct dict_type dict_type_btree;
    return open_table(&dict_type_btree, name, mode, flags, err);
}

const struct dict_type dict_type_hash = {
    "hash", DICT_CAP_FIXED | DICT_CAP_BUILD | DICT_CAP_FILE, hash_open, ".db",
};

const struct dict_type dict_type_btree = {
    "btree", DICT_CAP_FIXED | DICT_CAP_BUILD | DICT_CAP_FILE, btree_open, ".db",
};

/* ---------------------------------------------------------------- */
/* The source stamp.                                                 */

void dict_gdbm_set_source_stamp(struct dict *dict, const struct dict_stamp *stamp)
{
    struct gdbm_table *t = (struct gdbm_table *) dict;
    struct strbuf text = STRBUF_INIT;

    if ((dict->type != &dict_type_hash && dict->type != &dict_type_btree) || !t->writer)
	return;
    sb_printf(&text, "sha256 %s %lld %lu %u", stamp->sha256, stamp->size, stamp->warnings,
	      stamp->flags & (DICT_FLAG_FOLD | DICT_FLAG_UTF8));
    free(t->stamp);
    t->stamp = sb_detach(&text);
}

int dict_gdbm_source_stamp(const char *db_path, struct dict_stamp *stamp, char **err)
{
    GDBM_FILE db = gdbm_open(db_path, 0, GDBM_READER | GDBM_NOLOCK, 0, NULL);
    struct gdbm_table probe = { .path = (char *) db_path, .dict.type = &dict_type_hash };
    int status = -1;

    if (db == NULL) {
	*err = gdbm_open_error(db_path);
	return -1;
    }
    if (check_meta(db, &probe, err) >= 0) {
	datum k = { STAMP_KEY, STAMP_KEY_LEN };
	datum v = gdbm_fetch(db, k);
	char text[160];

	status = v.dptr == NULL ? 2 : 0;
	if (v.dptr != NULL && (size_t) v.dsize < sizeof(text)) {
	    memcpy(text, v.dptr, (size_t) v.dsize);
	    text[v.dsize] = 0;
	    if (sscanf(text, "sha256 %64[0-9a-f] %lld %lu %u", stamp->sha256, &stamp->size,
		       &stamp->warnings, &stamp->flags) == 4 && strlen(stamp->sha256) == 64)
		status = 1;
	}
	free(v.dptr);
    }
    gdbm_close(db);
    return status;
}
