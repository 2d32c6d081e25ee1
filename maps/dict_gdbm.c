/*
 * dict_gdbm - hash:NAME and btree:NAME, indexed files NAME.db stored with
 * GDBM. Both types share the storage; btree differs only in that -s lists
 * its entries in key order, as a Postfix btree does.
 *
 * Layout (pfc's own; these files are not Berkeley DB files): entries are
 * grouped into buckets of about BUCKET_TARGET entries by the FNV-1a hash
 * of the key, and each bucket is one GDBM record (GDBM writes every record
 * through, several system calls each: few large records build fast); a
 * lookup fetches one bucket and scans it. Two more records, under keys no
 * source line can produce (they start with a NUL byte), hold the format
 * and the source stamp.
 *
 *   bucket record key:   "\0b" + bucket number, 4 bytes big-endian
 *   bucket record value: entries, each u32 key length, u32 value length
 *                        (little-endian), key bytes, value bytes
 *   meta record key:     "\0pfc-hash"   value: "1 NBUCKETS COUNT"
 *   stamp record key:    "\0pfc-source" value: "sha256 HEX SIZE WARNINGS FLAGS"
 *                                               or "updated"
 *
 * Every bucket has its record, empty or not, so that an update replaces
 * records and never adds one. COUNT (the number of entries) is missing in
 * tables of a pfc that wrote no empty buckets either. The stamp names the
 * source bytes a build read (SHA-256, size), so pfc check can tell whether
 * the table still matches its source, and how many warnings reading it
 * gave with which flags (FOLD, UTF8). An update (-i, -d) writes "updated",
 * since the table then matches no file. Tables of a pfc that predates
 * stamps have no stamp record at all.
 *
 * Concurrency, as postmap's: every reader holds a shared flock on the
 * file while it reads (kept from one lookup to the next, see lock()),
 * every writer an exclusive one, so writers take turns and no reader sees
 * a change half made. A lock is taken on the file a name leads to
 * (through symbolic links), and taken again if the name was given to a
 * new file meanwhile.
 *
 * Building (pfc map FILE) writes a new table in a temporary file beside
 * the old one and renames it over, under the lock (lib/publish): a
 * reader sees the old table or the new one, an interrupted build leaves
 * the old one intact. It refuses to replace a file that is not a pfc
 * table (Postfix's own Berkeley DB table, say) unless told to.
 *
 * Updating (-i, -d) changes the table in place: the buckets the keys fall
 * in are read, changed in memory, and at close replaced. GDBM does not
 * make that safe by itself (it writes the data, the bucket block and its
 * header one after the other, reuses space it just freed, and a file left
 * longer than its header says "needs recovery"), so first the old copies
 * of those records go to NAME.db.journal, synced; then the records are
 * replaced and the table synced; then the journal is removed. A writer
 * killed in the middle leaves the journal: readers read the saved records
 * instead of the table's, and the next writer rebuilds the table as it
 * was before (GDBM's free-space lists may be stale then: it is not
 * written to again). So an update is all or nothing. Records are only
 * replaced, never added, so GDBM splits no bucket and rewrites no
 * directory: what a killed update touched is what the journal saved. When an update would
 * touch many buckets, or the table has outgrown its bucket count, the
 * table is rebuilt instead, as a build is.
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
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>

#include "diag.h"
#include "dict.h"
#include "publish.h"
#include "strbuf.h"
#include "strmap.h"
#include "xalloc.h"

#define FORMAT_VERSION 1
#define BUCKET_TARGET 32	/* entries per bucket, on average, after a build */
#define BUCKET_LIMIT (4 * BUCKET_TARGET)	/* -i past this rebuilds */
#define META_KEY "\0pfc-hash"
#define META_KEY_LEN 9
#define STAMP_KEY "\0pfc-source"
#define STAMP_UPDATED "updated"	/* changed with -i or -d since its build */
#define STAMP_KEY_LEN 11
#define BUCKET_KEY_LEN 6
#define JOURNAL_SUFFIX ".journal"
#define JOURNAL_MAGIC "pfcjrnl1"	/* then device and inode of the table */
#define JOURNAL_END "pfcjend1"	/* then the XXH64 of all before it */
#define JOURNAL_HEAD 24
#define JOURNAL_TAIL 16
#define HOLD_NS 100000000L	/* a reader keeps its lock this long at most */

enum { MODE_READ, MODE_BUILD, MODE_CHANGE };

/* An entry as stored: the bytes of key and value, NUL included if any. */
struct entry {
    char *key;
    size_t key_len;
    char *value;
    size_t value_len;
};

/* A record as the journal saved it: GDBM key and value. */
struct saved {
    char *key;
    size_t key_len;
    char *value;
    size_t value_len;
};

/* A bucket an update (-i, -d) reads and changes. */
struct bucket {
    struct entry *entries;	/* each key and value one allocation */
    size_t count, cap;
    char *old;			/* the record as it was, for the journal */
    size_t old_len;
    int stored;			/* the table has the record */
    int changed;
};

struct gdbm_table {
    struct dict dict;
    int mode;			/* MODE_READ, MODE_BUILD, MODE_CHANGE */
    char *path;			/* NAME.db */
    char *file;			/* NAME.db, or the file its links name */
    char *journal;		/* file + ".journal" */
    int fd;			/* open on file, for its lock; -1 */
    GDBM_FILE db;
    struct stat seen;		/* readers: the file as last read */
    int holding;		/* readers: the shared lock is held */
    struct timespec hold_since;
    struct gdbm_table *next_holder;	/* the list of readers holding theirs */
    struct saved *saved;	/* an interrupted update's journal, sorted */
    size_t nsaved;
    int sorted;			/* btree: sequence in key order */
    uint32_t nbuckets;
    long long count;		/* entries, -1: not recorded */
    char *stamp;		/* the stamp record's text, or NULL */
    int keep_mode;		/* a rebuild keeps the table's permissions */
    mode_t file_mode;
    struct strbuf fold_buf, key_buf, value_buf;
    /* builds: every entry, in memory until close */
    struct entry *entries;
    size_t nentries, cap;
    struct strmap index;	/* key text -> entry number + 1, as a pointer */
    /* updates: the buckets read, by number */
    struct bucket **buckets;
    size_t ntouched;
    int changed;
    int stamp_stored;		/* the table has a stamp record */
    char *meta_old;		/* the meta record as it was, for the journal */
    struct timespec locked_mtime;	/* when the lock was taken */
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

static uint64_t get64(const unsigned char *p)
{
    return (uint64_t) get32(p) | (uint64_t) get32(p + 4) << 32;
}

static void put32(struct strbuf *buf, uint32_t n)
{
    char b[4] = { (char) n, (char) (n >> 8), (char) (n >> 16), (char) (n >> 24) };

    sb_addn(buf, b, 4);
}

static void put64(struct strbuf *buf, uint64_t n)
{
    put32(buf, (uint32_t) n);
    put32(buf, (uint32_t) (n >> 32));
}

/* text_len - the length of stored bytes without their trailing NUL */
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

/* pack - append one entry to a bucket record */
static void pack(struct strbuf *rec, const struct entry *e)
{
    put32(rec, (uint32_t) e->key_len);
    put32(rec, (uint32_t) e->value_len);
    sb_addn(rec, e->key, e->key_len);
    sb_addn(rec, e->value, e->value_len);
}

/* new_entry - key and value in one allocation, each NUL-terminated too */
static void new_entry(struct entry *e, const char *key, size_t key_len, const char *value,
		      size_t value_len)
{
    e->key = xmalloc(key_len + value_len + 2);
    memcpy(e->key, key, key_len);
    e->key[key_len] = 0;
    e->key_len = key_len;
    e->value = e->key + key_len + 1;
    memcpy(e->value, value, value_len);
    e->value[value_len] = 0;
    e->value_len = value_len;
}

/* push_entry - a new entry, key and value copied, at the end of *v (*n, room for *cap) */
static struct entry *push_entry(struct entry **v, size_t *n, size_t *cap, const char *key,
				size_t key_len, const char *value, size_t value_len)
{
    GROW(*v, *n, *cap);
    struct entry *e = &(*v)[(*n)++];
    new_entry(e, key, key_len, value, value_len);
    return e;
}

/* gdbm_open_error - why a table could not be opened, in Postfix's words */
static char *gdbm_open_error(const char *path)
{
    return dict_format_error("open database %s: %s", path, gdbm_errno == GDBM_FILE_OPEN_ERROR
			     ? strerror(errno) : gdbm_strerror(gdbm_errno));
}

/* gdbm_error_text - the last failure of db: the system's words if it was a system call's */
static const char *gdbm_error_text(GDBM_FILE db)
{
    int sys = db != NULL ? gdbm_last_syserr(db) : 0;

    if (sys != 0)
	return strerror(sys);
    return gdbm_strerror(db != NULL ? gdbm_last_errno(db) : gdbm_errno);
}

static char *write_error(const struct gdbm_table *t, const char *why)
{
    return dict_format_error("table %s:%s: write error: %s", t->dict.type->name, t->dict.name,
			     why);
}

/* ---------------------------------------------------------------- */
/* Files and locks.                                                  */

/*
 * Readers keep their shared lock from one lookup to the next (a lock and
 * a check per lookup would cost more than the lookup), for HOLD_NS at
 * most, and until the process may wait for input (dict_gdbm_release).
 * A process never waits for a lock while it holds one as a reader: with
 * several tables open, that could deadlock with a writer of two of them.
 */
static struct gdbm_table *holders;

static void release(struct gdbm_table *t)
{
    if (!t->holding)
	return;
    (void) flock(t->fd, LOCK_UN);
    t->holding = 0;
    for (struct gdbm_table **p = &holders; *p != NULL; p = &(*p)->next_holder) {
	if (*p == t) {
	    *p = t->next_holder;
	    break;
	}
    }
}

void dict_gdbm_release(void)
{
    while (holders != NULL)
	release(holders);
}

/* lock - flock; waits only once this process holds no reader's lock */
static int lock(int fd, int op)
{
    if (flock(fd, op | LOCK_NB) == 0)
	return 0;
    if (errno != EWOULDBLOCK && errno != EINTR)
	return -1;
    dict_gdbm_release();
    while (flock(fd, op) != 0)
	if (errno != EINTR)
	    return -1;
    return 0;
}

/* hold - the reader t now holds its shared lock */
static void hold(struct gdbm_table *t)
{
    t->holding = 1;
    clock_gettime(CLOCK_MONOTONIC, &t->hold_since);
    t->next_holder = holders;
    holders = t;
}

/*
 * open_locked - path (through its links) opened and locked with op. A
 * writer may have renamed a new table over the name while we waited for
 * the lock: then the name is opened again. fd, or -1 with errno.
 */
static int open_locked(const char *path, int flags, int op)
{
    for (int tries = 0;; tries++) {
	int fd = open(path, flags | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	struct stat held, named;
	if (fd < 0)
	    return -1;
	if (fstat(fd, &held) == 0 && !S_ISREG(held.st_mode)) {
	    close(fd);
	    errno = S_ISDIR(held.st_mode) ? EISDIR : EINVAL;
	    return -1;
	}
	if (lock(fd, op) != 0) {
	    int saved = errno;
	    close(fd);
	    errno = saved;
	    return -1;
	}
	if (tries >= 100 || (stat(path, &named) == 0 && named.st_dev == held.st_dev
			     && named.st_ino == held.st_ino))
	    return fd;
	close(fd);
    }
}

/*
 * attach - a GDBM handle on the open file fd, through a descriptor of its
 * own (closing the handle must not drop the lock held on fd). The copy
 * shares fd's offset, which an earlier handle moved: GDBM reads the
 * header from wherever it is.
 */
static GDBM_FILE attach(int fd, const char *name, int flags)
{
    int own = fcntl(fd, F_DUPFD_CLOEXEC, 0);

    if (own < 0 || lseek(own, 0, SEEK_SET) != 0) {
	int saved = errno;
	if (own >= 0)
	    close(own);
	gdbm_set_errno(NULL, GDBM_FILE_OPEN_ERROR, 0);
	errno = saved;
	return NULL;
    }
    return gdbm_fd_open(own, name, 0, flags | GDBM_NOLOCK | GDBM_CLOERROR, NULL);
}

/*
 * foreign_kind - what a file pfc must not replace unasked is, for the
 * message: NULL for a pfc table, and for an empty file (nothing to lose).
 */
static const char *foreign_kind(int fd, const char *name)
{
    unsigned char head[32];
    struct stat st;
    ssize_t n;

    if (fstat(fd, &st) != 0)
	return "a file pfc cannot read";
    if (!S_ISREG(st.st_mode))
	return S_ISDIR(st.st_mode) ? "a directory" : "a special file";
    if (st.st_size == 0)
	return NULL;
    if ((n = pread(fd, head, sizeof(head), 0)) < 0)
	return "a file pfc cannot read";
    if (n >= 16) {
	/* Berkeley DB: hash, btree, queue magic at byte 12, either byte order. */
	uint32_t m = get32(head + 12), r = __builtin_bswap32(m);
	if (m == 0x061561 || m == 0x053162 || m == 0x042253
	    || r == 0x061561 || r == 0x053162 || r == 0x042253)
	    return "a Berkeley DB file";
    }
    if (n >= 20 && (get32(head + 16) == 0xBEEFC0DE || get32(head + 16) == 0xDEC0EFBE))
	return "an LMDB file";
    if (n >= 4) {
	uint32_t m = get32(head), r = __builtin_bswap32(m);
	if ((m & ~3u) == 0x13579acc || (r & ~3u) == 0x13579acc) {
	    GDBM_FILE db = attach(fd, name, GDBM_READER);
	    int ours = 0;
	    if (db != NULL) {
		/* Only an interrupted pfc update leaves a table needing recovery. */
		if (gdbm_needs_recovery(db))
		    gdbm_set_errno(db, GDBM_NO_ERROR, 0);
		datum k = { META_KEY, META_KEY_LEN }, v = gdbm_fetch(db, k);
		unsigned version, nbuckets;
		if (v.dptr != NULL) {
		    char text[64];
		    size_t len = (size_t) v.dsize < sizeof(text) - 1 ? (size_t) v.dsize
			: sizeof(text) - 1;
		    memcpy(text, v.dptr, len);
		    text[len] = 0;
		    ours = sscanf(text, "%u %u", &version, &nbuckets) == 2
			&& version == FORMAT_VERSION && nbuckets > 0;
		    free(v.dptr);
		}
		gdbm_close(db);
	    }
	    return ours ? NULL : "a GDBM file that pfc did not write";
	}
    }
    return "a file of unknown format";
}

/* refuse_foreign - the message that says what replacing the file would break */
static char *refuse_foreign(const struct gdbm_table *t, const char *kind)
{
    int bdb = strstr(kind, "Berkeley") != NULL;

    return dict_format_error("%s is %s, not a pfc table: %s could not read the GDBM table pfc"
			     " would write in its place; not replaced (--replace-foreign"
			     " replaces it)", t->path, kind,
			     bdb ? "Postfix reads it, and" : "what reads it now");
}

/* ---------------------------------------------------------------- */
/* The journal of an update.                                         */

static int compare_saved(const void *a, const void *b)
{
    const struct saved *x = a, *y = b;

    if (x->key_len != y->key_len)
	return x->key_len < y->key_len ? -1 : 1;
    return memcmp(x->key, y->key, x->key_len);
}

static void free_saved(struct gdbm_table *t)
{
    for (size_t i = 0; i < t->nsaved; i++)
	free(t->saved[i].key);	/* the value shares the allocation */
    free(t->saved);
    t->saved = NULL;
    t->nsaved = 0;
}

/*
 * journal_read - the records an interrupted update saved, into t->saved.
 * 1: a journal of this very file (its device and inode), whole; 0: none;
 * 2: one that does not apply (cut short before its update began, or left
 * by a table since replaced), which a writer removes; -1 with errno when
 * it cannot be read.
 */
static int journal_read(struct gdbm_table *t)
{
    struct strbuf j = STRBUF_INIT;
    struct stat st;
    int status = 2;

    free_saved(t);
    if (sb_read_file(&j, t->journal) != 0) {
	int saved = errno;
	sb_free(&j);
	errno = saved;
	return errno == ENOENT ? 0 : -1;
    }
    const unsigned char *p = (const unsigned char *) j.s, *end = p + j.len;
    if (j.len >= JOURNAL_HEAD + JOURNAL_TAIL && memcmp(p, JOURNAL_MAGIC, 8) == 0
	&& memcmp(end - JOURNAL_TAIL, JOURNAL_END, 8) == 0
	&& get64(end - 8) == XXH64(p, j.len - 8, 0)
	&& fstat(t->fd, &st) == 0 && get64(p + 8) == (uint64_t) st.st_dev
	&& get64(p + 16) == (uint64_t) st.st_ino) {
	size_t cap = 0;
	struct entry e;
	int more;
	p += JOURNAL_HEAD;
	end -= JOURNAL_TAIL;
	while ((more = unpack(&p, end, &e)) > 0) {
	    GROW(t->saved, t->nsaved, cap);
	    struct entry copy;
	    new_entry(&copy, e.key, e.key_len, e.value, e.value_len);
	    t->saved[t->nsaved++] = (struct saved) { copy.key, copy.key_len, copy.value,
						     copy.value_len };
	}
	if (more == 0) {
	    qsort(t->saved, t->nsaved, sizeof(*t->saved), compare_saved);
	    status = 1;
	} else {
	    free_saved(t);
	}
    }
    sb_free(&j);
    return status;
}

static const struct saved *saved_find(const struct gdbm_table *t, const char *key, size_t len)
{
    struct saved probe = { (char *) key, len, NULL, 0 };

    if (t->nsaved == 0)
	return NULL;
    return bsearch(&probe, t->saved, t->nsaved, sizeof(*t->saved), compare_saved);
}

/* journal_remove - drop the journal, durably; 0 or -1 with errno */
static int journal_remove(struct gdbm_table *t)
{
    if (unlink(t->journal) != 0)
	return errno == ENOENT ? 0 : -1;
    return publish_sync_dir(t->journal);
}

/* ---------------------------------------------------------------- */
/* Reading.                                                          */

/*
 * fetch_record - the value under a GDBM key, as the journal saved it if
 * an interrupted update did, else as stored. 1 with *value (malloc'd, to
 * free), 0 when there is no such record, -1 on a read error.
 */
static int fetch_record(struct gdbm_table *t, const char *key, size_t key_len,
			char **value, size_t *value_len)
{
    const struct saved *s = saved_find(t, key, key_len);

    if (s != NULL) {
	*value = xmalloc(s->value_len + 1);
	memcpy(*value, s->value, s->value_len);
	*value_len = s->value_len;
	return 1;
    }
    datum k = { (char *) key, (int) key_len }, v = gdbm_fetch(t->db, k);
    if (v.dptr == NULL)
	return gdbm_last_errno(t->db) == GDBM_ITEM_NOT_FOUND
	    || gdbm_last_errno(t->db) == GDBM_NO_ERROR ? 0 : -1;
    *value = v.dptr;
    *value_len = (size_t) v.dsize;
    return 1;
}

/*
 * read_meta - the bucket count (and entry count, if recorded) of a pfc
 * table; the old text for the journal. 0, or -1 and *err.
 */
static int read_meta(struct gdbm_table *t, char **err)
{
    char *v = NULL, text[64];
    size_t len = 0;
    unsigned version = 0, nbuckets = 0;
    long long count = -1;

    if (fetch_record(t, META_KEY, META_KEY_LEN, &v, &len) == 1) {
	size_t n = len < sizeof(text) - 1 ? len : sizeof(text) - 1;
	memcpy(text, v, n);
	text[n] = 0;
	free(v);
	if (sscanf(text, "%u %u %lld", &version, &nbuckets, &count) < 2)
	    version = 0;
    }
    if (version != FORMAT_VERSION || nbuckets == 0) {
	*err = dict_format_error("open database %s: not a pfc %s table (rebuild it with pfc map)",
				 t->path, t->dict.type->name);
	return -1;
    }
    t->nbuckets = nbuckets;
    t->count = count;
    free(t->meta_old);
    t->meta_old = xstrdup(text);
    return 0;
}

/* read_stamp - the stamp record's text into t->stamp (NULL: none) */
static int read_stamp(struct gdbm_table *t)
{
    char *v;
    size_t len;
    int status = fetch_record(t, STAMP_KEY, STAMP_KEY_LEN, &v, &len);

    free(t->stamp);
    t->stamp = NULL;
    if (status == 1) {
	t->stamp = xstrndup(v, len);
	free(v);
    }
    t->stamp_stored = status == 1;
    return status;
}

/*
 * reader_attach - under the shared lock: a GDBM handle on the file as it
 * is now, with the journal of an interrupted update if there is one.
 */
static int reader_attach(struct gdbm_table *t, char **err)
{
    if (t->db != NULL)
	gdbm_close(t->db);
    if ((t->db = attach(t->fd, t->file, GDBM_READER)) == NULL) {
	*err = gdbm_open_error(t->path);
	return -1;
    }
    int journal = journal_read(t);
    if (journal < 0) {
	*err = dict_format_error("read %s: %s", t->journal, strerror(errno));
	return -1;
    }
    /*
     * An update killed while it wrote may leave the file longer than its
     * GDBM header says, which GDBM takes as needing recovery. The records
     * it was changing are in the journal; the others are intact.
     */
    if (gdbm_needs_recovery(t->db)) {
	if (journal != 1) {
	    *err = dict_format_error("open database %s: %s", t->path,
				     gdbm_strerror(GDBM_NEED_RECOVERY));
	    return -1;
	}
	gdbm_set_errno(t->db, GDBM_NO_ERROR, 0);
    }
    if (read_meta(t, err) < 0)
	return -1;
    if (fstat(t->fd, &t->seen) != 0) {
	*err = dict_format_error("open database %s: %s", t->path, strerror(errno));
	return -1;
    }
    return 0;
}

/*
 * reader_begin - the shared lock for a read: still held, or taken again,
 * with a new handle if the table was changed in place meanwhile (a writer
 * leaves a new modification time): GDBM keeps parts of the file in memory.
 */
static int reader_begin(struct gdbm_table *t)
{
    struct timespec now;
    struct stat st;
    char *err = NULL;

    if (t->holding && t->db != NULL) {
	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - t->hold_since.tv_sec) * 1000000000L
	    + (now.tv_nsec - t->hold_since.tv_nsec) < HOLD_NS)
	    return 0;
	release(t);		/* let writers in */
    }
    if (lock(t->fd, LOCK_SH) != 0)
	return dict_set_error(&t->dict, "lock %s: %s", t->path, strerror(errno));
    if (fstat(t->fd, &st) != 0)
	err = dict_format_error("%s: %s", t->path, strerror(errno));
    else if (t->db == NULL || st.st_mtim.tv_sec != t->seen.st_mtim.tv_sec
	     || st.st_mtim.tv_nsec != t->seen.st_mtim.tv_nsec || st.st_size != t->seen.st_size)
	(void) reader_attach(t, &err);
    if (err != NULL) {
	(void) flock(t->fd, LOCK_UN);
	dict_set_error(&t->dict, "%s", err);
	free(err);
	return DICT_FAIL;
    }
    hold(t);
    return 0;
}

/* scan - the entry of the key text in a bucket record, as flags allow */
static int scan(struct gdbm_table *t, const char *rec, size_t rec_len, const char *key,
		const char **value)
{
    const unsigned char *pos = (const unsigned char *) rec, *end = pos + rec_len;
    size_t len = strlen(key);
    struct entry e;
    int more;

    while ((more = unpack(&pos, end, &e)) > 0) {
	int with_nul = e.key_len == len + 1 && e.key[len] == 0;
	if ((with_nul ? (t->dict.flags & DICT_FLAG_TRY1NULL) : e.key_len == len
	     && (t->dict.flags & DICT_FLAG_TRY0NULL))
	    && memcmp(e.key, key, len) == 0) {
	    t->dict.flags &= with_nul ? ~DICT_FLAG_TRY0NULL : ~DICT_FLAG_TRY1NULL;
	    sb_reset(&t->value_buf);
	    sb_addn(&t->value_buf, e.value, text_len(e.value, e.value_len));
	    *value = sb_str(&t->value_buf);
	    return DICT_FOUND;
	}
    }
    if (more < 0)
	return dict_set_error(&t->dict, "%s: damaged record", t->path);
    return DICT_NOTFOUND;
}

/* find - look for the key bytes, with or without a NUL, as flags allow */
static int find(struct gdbm_table *t, const char *key, const char **value)
{
    char bkey[BUCKET_KEY_LEN], *rec;
    size_t len;
    int status;

    if ((status = reader_begin(t)) != 0)
	return status;
    bucket_key(bkey, bucket_of(key, strlen(key), t->nbuckets));
    status = fetch_record(t, bkey, BUCKET_KEY_LEN, &rec, &len);
    if (status < 0)
	return dict_set_error(&t->dict, "%s", gdbm_error_text(t->db));
    if (status == 0)
	return DICT_NOTFOUND;
    status = scan(t, rec, len, key, value);
    free(rec);
    return status;
}

/* ---------------------------------------------------------------- */
/* Building: entries live in memory, indexed by their text key.      */

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
    struct entry *e = push_entry(&t->entries, &t->nentries, &t->cap, key, key_len, value,
				 value_len);

    /* As a C string the stored key is its text: a NUL ends both. */
    strmap_put(&t->index, e->key, (void *) (uintptr_t) t->nentries);
}

/* new_value - e's value replaced, its key kept */
static void new_value(struct entry *e, const char *value, size_t len)
{
    struct entry both;

    new_entry(&both, e->key, e->key_len, value, len);
    free(e->key);
    *e = both;
}

/* store_flags - with both forms allowed, new records get the NUL, as on Linux */
static int store_nul(struct dict *dict)
{
    if ((dict->flags & DICT_FLAG_TRY1NULL) && (dict->flags & DICT_FLAG_TRY0NULL))
	dict->flags &= ~DICT_FLAG_TRY0NULL;
    return (dict->flags & DICT_FLAG_TRY1NULL) != 0;
}

/*
 * existing_entry - what a duplicate key does to the entry e already
 * there: -r replaces its value, -w keeps it quietly, else a warning.
 */
static void existing_entry(struct gdbm_table *t, struct entry *e, const char *folded,
			   const char *value, int nul)
{
    struct diag at = { .severity = DIAG_WARNING, .path = t->path, .wording = DIAG_SAY_PATH };

    if (t->dict.flags & DICT_FLAG_DUP_REPLACE)
	new_value(e, value, strlen(value) + (size_t) nul);
    else if ((t->dict.flags & DICT_FLAG_DUP_IGNORE) == 0)
	diag_reportf(t->dict.sink, &at, "duplicate entry: \"%s\"", folded);
}

/* removable - whether -d may remove e: only the stored form the flags allow */
static int removable(const struct dict *dict, const struct entry *e)
{
    int with_nul = e->key_len > 0 && e->key[e->key_len - 1] == 0;

    return (dict->flags & (with_nul ? DICT_FLAG_TRY1NULL : DICT_FLAG_TRY0NULL)) != 0;
}

static int build_update(struct gdbm_table *t, const char *folded, const char *value)
{
    struct entry *e = find_entry(t, folded);
    int nul = store_nul(&t->dict);

    if (e != NULL)
	existing_entry(t, e, folded, value, nul);
    else
	add_entry(t, folded, strlen(folded) + (size_t) nul, value, strlen(value) + (size_t) nul);
    return DICT_FOUND;
}

static int build_remove(struct gdbm_table *t, const char *folded)
{
    struct entry *e = find_entry(t, folded);

    if (e == NULL || !removable(&t->dict, e))
	return DICT_NOTFOUND;
    strmap_del(&t->index, folded);
    /* Mark the entry dead; write_table() skips it. */
    free(e->key);
    e->key = NULL;
    return DICT_FOUND;
}

/*
 * write_table - every live entry of t->entries into buckets, one GDBM
 * record each, the empty ones too, then the meta and stamp records.
 */
static int write_table(struct gdbm_table *t, int fd, const char *tmp_path, char **err)
{
    size_t live = 0;

    for (size_t i = 0; i < t->nentries; i++)
	live += t->entries[i].key != NULL;
    uint32_t nbuckets = (uint32_t) (live / BUCKET_TARGET + 1);
    uint32_t *bucket = xmalloc((t->nentries + 1) * sizeof(*bucket));
    size_t *start = xcalloc((size_t) nbuckets + 1, sizeof(*start));
    size_t *order = xmalloc((live + 1) * sizeof(*order));

    /* Counting sort of the entries by bucket, keeping source order within. */
    for (size_t i = 0; i < t->nentries; i++) {
	if (t->entries[i].key == NULL)
	    continue;
	bucket[i] = bucket_of(t->entries[i].key,
			      text_len(t->entries[i].key, t->entries[i].key_len), nbuckets);
	start[bucket[i] + 1]++;
    }
    for (uint32_t b = 0; b < nbuckets; b++)
	start[b + 1] += start[b];
    for (size_t i = 0; i < t->nentries; i++)
	if (t->entries[i].key != NULL)
	    order[start[bucket[i]]++] = i;

    /*
     * No memory mapping: GDBM would map the growing file anew at every
     * extension, thousands of times for a large table.
     */
    int dup_fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
    GDBM_FILE db = dup_fd < 0 ? NULL
	: gdbm_fd_open(dup_fd, tmp_path, 0, GDBM_NEWDB | GDBM_NOLOCK | GDBM_NOMMAP
		       | GDBM_CLOERROR, NULL);
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
	for (; next < start[b]; next++)
	    pack(&rec, &t->entries[order[next]]);
	char bkey[BUCKET_KEY_LEN];
	bucket_key(bkey, b);
	datum k = { bkey, BUCKET_KEY_LEN }, v = { rec.s ? rec.s : bkey, (int) rec.len };
	if (gdbm_store(db, k, v, GDBM_REPLACE) != 0) {
	    *err = write_error(t, gdbm_error_text(db));
	    status = -1;
	}
    }
    if (status == 0) {
	sb_reset(&rec);
	sb_printf(&rec, "%d %u %zu", FORMAT_VERSION, (unsigned) nbuckets, live);
	datum k = { META_KEY, META_KEY_LEN }, v = { rec.s, (int) rec.len };
	datum sk = { STAMP_KEY, STAMP_KEY_LEN };
	const char *stamp = t->stamp ? t->stamp : STAMP_UPDATED;
	datum sv = { (char *) stamp, (int) strlen(stamp) };
	if (gdbm_store(db, k, v, GDBM_REPLACE) != 0
	    || gdbm_store(db, sk, sv, GDBM_REPLACE) != 0 || gdbm_sync(db) != 0) {
	    *err = write_error(t, gdbm_error_text(db));
	    status = -1;
	} else if (fsync(fd) != 0) {
	    *err = write_error(t, strerror(errno));
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

/* new_file_mode - a new table's permissions: the old one's, else 0644 less the umask */
static mode_t new_file_mode(const struct gdbm_table *t)
{
    mode_t mask = umask(0);

    umask(mask);
    return t->keep_mode ? t->file_mode : 0644 & ~mask;
}

/*
 * publish_table - t->entries as a new table in place of the old one, if
 * any. held: the caller holds the old table's lock (t->fd); else it is
 * taken here, for the rename only, and the file is checked again to be
 * pfc's (or absent) unless DICT_FLAG_REPLACE_FOREIGN. With flags
 * PUBLISH_NO_REPLACE, a table that appeared meanwhile is left alone.
 */
static int publish_table(struct gdbm_table *t, int held, int flags, char **err)
{
    struct publish p;
    int status = -1, fd = -1;

    if (publish_begin(&p, t->path, new_file_mode(t)) < 0) {
	*err = dict_format_error("%s %s: %s", p.what, p.tmp ? p.tmp : p.target, strerror(errno));
	publish_free(&p);
	return -1;
    }
    if (write_table(t, p.fd, p.tmp, err) < 0)
	goto done;
    /* Not when creating only: a table that appeared meanwhile stays. */
    if (!held && !(flags & PUBLISH_NO_REPLACE)
	&& (fd = open_locked(t->path, O_RDONLY, LOCK_EX)) < 0 && errno != ENOENT) {
	*err = dict_format_error("open database %s: %s", t->path, strerror(errno));
	goto done;
    }
    const char *kind;
    if (fd >= 0 && !(t->dict.flags & DICT_FLAG_REPLACE_FOREIGN)
	&& (kind = foreign_kind(fd, t->file)) != NULL) {
	*err = refuse_foreign(t, kind);
	goto done;
    }
    if (publish_commit(&p, flags) < 0) {
	if ((flags & PUBLISH_NO_REPLACE) && errno == EEXIST)
	    status = 0;
	else
	    *err = dict_format_error("%s %s to %s: %s", p.what, p.tmp, p.target, strerror(errno));
	goto done;
    }
    status = 0;
    /* A journal there belongs to the file just replaced. */
    if (held || fd >= 0)
	(void) journal_remove(t);
  done:
    publish_abort(&p);		/* after a commit: only closes */
    publish_free(&p);
    if (fd >= 0)
	close(fd);
    return status;
}

/* ---------------------------------------------------------------- */
/* Updating (-i, -d): the table changed in place.                    */

static void free_bucket(struct bucket *b)
{
    if (b == NULL)
	return;
    for (size_t i = 0; i < b->count; i++)
	free(b->entries[i].key);
    free(b->entries);
    free(b->old);
    free(b);
}


/* touch - the bucket of the key text, read from the table on first use */
static struct bucket *touch(struct gdbm_table *t, const char *text)
{
    uint32_t n = bucket_of(text, strlen(text), t->nbuckets);
    struct bucket *b = t->buckets[n];
    char bkey[BUCKET_KEY_LEN];

    if (b != NULL)
	return b;
    b = xcalloc(1, sizeof(*b));
    bucket_key(bkey, n);
    int status = fetch_record(t, bkey, BUCKET_KEY_LEN, &b->old, &b->old_len);
    if (status < 0) {
	dict_set_error(&t->dict, "%s", gdbm_error_text(t->db));
	free(b);
	return NULL;
    }
    b->stored = status == 1;
    const unsigned char *pos = (const unsigned char *) b->old, *end = pos + b->old_len;
    struct entry e;
    int more;
    while ((more = unpack(&pos, end, &e)) > 0)
	push_entry(&b->entries, &b->count, &b->cap, e.key, e.key_len, e.value, e.value_len);
    if (more < 0) {
	dict_set_error(&t->dict, "%s: damaged record", t->path);
	free_bucket(b);
	return NULL;
    }
    t->buckets[n] = b;
    t->ntouched++;
    return b;
}

/* bucket_find - the entry of a key text in a bucket, or NULL */
static struct entry *bucket_find(struct bucket *b, const char *text)
{
    size_t len = strlen(text);

    for (size_t i = 0; i < b->count; i++)
	if (text_len(b->entries[i].key, b->entries[i].key_len) == len
	    && memcmp(b->entries[i].key, text, len) == 0)
	    return &b->entries[i];
    return NULL;
}

static int change_update(struct gdbm_table *t, const char *folded, const char *value)
{
    struct bucket *b = touch(t, folded);
    int nul = store_nul(&t->dict);

    if (b == NULL)
	return DICT_FAIL;
    struct entry *e = bucket_find(b, folded);
    if (e != NULL) {
	existing_entry(t, e, folded, value, nul);
	if ((t->dict.flags & DICT_FLAG_DUP_REPLACE) == 0)
	    return DICT_FOUND;
    } else {
	push_entry(&b->entries, &b->count, &b->cap, folded, strlen(folded) + (size_t) nul,
		   value, strlen(value) + (size_t) nul);
	if (t->count >= 0)
	    t->count++;
    }
    b->changed = t->changed = 1;
    return DICT_FOUND;
}

static int change_remove(struct gdbm_table *t, const char *folded)
{
    struct bucket *b = touch(t, folded);

    if (b == NULL)
	return DICT_FAIL;
    struct entry *e = bucket_find(b, folded);
    if (e == NULL || !removable(&t->dict, e))
	return DICT_NOTFOUND;
    free(e->key);
    *e = b->entries[--b->count];
    if (t->count > 0)
	t->count--;
    b->changed = t->changed = 1;
    return DICT_FOUND;
}

/*
 * load_all - every entry of the table as it will be (the buckets read
 * with their changes, the others from the file) into t->entries, for a
 * rebuild.
 */
static int load_all(struct gdbm_table *t, char **err)
{
    for (uint32_t n = 0; n < t->nbuckets; n++) {
	struct bucket *b = t->buckets ? t->buckets[n] : NULL;
	if (b != NULL) {
	    for (size_t i = 0; i < b->count; i++)
		push_entry(&t->entries, &t->nentries, &t->cap, b->entries[i].key,
			   b->entries[i].key_len, b->entries[i].value, b->entries[i].value_len);
	    continue;
	}
	char bkey[BUCKET_KEY_LEN], *rec;
	size_t len;
	bucket_key(bkey, n);
	int status = fetch_record(t, bkey, BUCKET_KEY_LEN, &rec, &len);
	if (status < 0) {
	    *err = dict_format_error("table %s: %s", t->path, gdbm_error_text(t->db));
	    return -1;
	}
	if (status == 0)
	    continue;
	const unsigned char *pos = (const unsigned char *) rec, *end = pos + len;
	struct entry e;
	int more;
	while ((more = unpack(&pos, end, &e)) > 0)
	    push_entry(&t->entries, &t->nentries, &t->cap, e.key, e.key_len, e.value, e.value_len);
	free(rec);
	if (more < 0) {
	    *err = dict_format_error("table %s: damaged record", t->path);
	    return -1;
	}
    }
    return 0;
}

/*
 * journal_write - before any record changes: the records about to change,
 * as they are, durably in NAME.db.journal (readable by whoever can read
 * the table), which names the table file by device and inode.
 */
static int journal_write(struct gdbm_table *t, char **err)
{
    struct strbuf j = STRBUF_INIT;
    struct stat st;
    int fd = -1, status = -1;

    if (fstat(t->fd, &st) != 0)
	goto fail;
    sb_addn(&j, JOURNAL_MAGIC, 8);
    put64(&j, (uint64_t) st.st_dev);
    put64(&j, (uint64_t) st.st_ino);
    for (uint32_t n = 0; n < t->nbuckets; n++) {
	struct bucket *b = t->buckets[n];
	if (b != NULL && b->changed) {
	    char bkey[BUCKET_KEY_LEN];
	    bucket_key(bkey, n);
	    struct entry e = { bkey, BUCKET_KEY_LEN, b->old ? b->old : bkey, b->old_len };
	    pack(&j, &e);
	}
    }
    struct entry meta = { META_KEY, META_KEY_LEN, t->meta_old, strlen(t->meta_old) };
    struct entry stamp = { STAMP_KEY, STAMP_KEY_LEN, t->stamp, strlen(t->stamp) };
    pack(&j, &meta);
    pack(&j, &stamp);
    sb_addn(&j, JOURNAL_END, 8);
    put64(&j, XXH64(j.s, j.len, 0));
    /* As readable as the table, whatever the umask: its readers read it. */
    if ((fd = open(t->journal, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
		   st.st_mode & 0666)) < 0 || fchmod(fd, st.st_mode & 0666) != 0)
	goto fail;
    for (size_t done = 0; done < j.len;) {
	ssize_t n = write(fd, j.s + done, j.len - done);
	if (n < 0 && errno != EINTR)
	    goto fail;
	done += n > 0 ? (size_t) n : 0;
    }
    if (fdatasync(fd) != 0 || publish_sync_dir(t->journal) != 0)
	goto fail;
    status = 0;
  fail:
    if (status != 0) {
	*err = dict_format_error("write %s: %s", t->journal, strerror(errno));
	(void) unlink(t->journal);
    }
    if (fd >= 0)
	close(fd);
    sb_free(&j);
    return status;
}

/*
 * bump_mtime - give the table a modification time no reader has seen, so
 * that each takes a new handle on its next read (writes alone may leave
 * it as it was, timestamps being coarse).
 */
static void bump_mtime(struct gdbm_table *t)
{
    struct timespec now, ts[2];

    clock_gettime(CLOCK_REALTIME, &now);
    ts[0].tv_sec = 0;
    ts[0].tv_nsec = UTIME_OMIT;
    ts[1] = t->locked_mtime;
    if (++ts[1].tv_nsec >= 1000000000L) {
	ts[1].tv_sec++;
	ts[1].tv_nsec = 0;
    }
    if (now.tv_sec > ts[1].tv_sec || (now.tv_sec == ts[1].tv_sec && now.tv_nsec > ts[1].tv_nsec))
	ts[1] = now;
    (void) futimens(t->fd, ts);
}

/*
 * apply - replace the changed records in the table, journal first. A
 * failure after the journal is written leaves the journal: the table
 * reads as it was, and the next writer rebuilds it so.
 */
static int apply(struct gdbm_table *t, char **err)
{
    struct strbuf rec = STRBUF_INIT;

    if (journal_write(t, err) < 0)
	return -1;
    for (uint32_t n = 0; n < t->nbuckets && *err == NULL; n++) {
	struct bucket *b = t->buckets[n];
	if (b == NULL || !b->changed)
	    continue;
	char bkey[BUCKET_KEY_LEN];
	bucket_key(bkey, n);
	sb_reset(&rec);
	for (size_t i = 0; i < b->count; i++)
	    pack(&rec, &b->entries[i]);
	datum k = { bkey, BUCKET_KEY_LEN }, v = { rec.s ? rec.s : bkey, (int) rec.len };
	if (gdbm_store(t->db, k, v, GDBM_REPLACE) != 0)
	    *err = write_error(t, gdbm_error_text(t->db));
    }
    if (*err == NULL) {
	sb_reset(&rec);
	sb_printf(&rec, "%d %u %lld", FORMAT_VERSION, (unsigned) t->nbuckets, t->count);
	datum k = { META_KEY, META_KEY_LEN }, v = { rec.s, (int) rec.len };
	datum sk = { STAMP_KEY, STAMP_KEY_LEN };
	datum sv = { STAMP_UPDATED, (int) strlen(STAMP_UPDATED) };
	if (gdbm_store(t->db, k, v, GDBM_REPLACE) != 0
	    || (strcmp(t->stamp, STAMP_UPDATED) != 0
		&& gdbm_store(t->db, sk, sv, GDBM_REPLACE) != 0) || gdbm_sync(t->db) != 0)
	    *err = write_error(t, gdbm_error_text(t->db));
	else if (fsync(t->fd) != 0)
	    *err = write_error(t, strerror(errno));
    }
    sb_free(&rec);
    if (*err != NULL)
	return -1;
    bump_mtime(t);
    if (journal_remove(t) != 0) {
	*err = dict_format_error("remove %s: %s", t->journal, strerror(errno));
	return -1;
    }
    return 0;
}

/*
 * in_place - whether the changes can replace records in place: every
 * record to replace exists (tables of an older pfc lack empty buckets and
 * the entry count), the table keeps a sensible bucket size, and not so
 * many buckets change that a rebuild would cost less.
 */
static int in_place(const struct gdbm_table *t)
{
    if (t->count < 0 || !t->stamp_stored
	|| (unsigned long long) t->count > (unsigned long long) t->nbuckets * BUCKET_LIMIT
	|| t->ntouched > t->nbuckets / 4 + 1)
	return 0;
    for (uint32_t n = 0; n < t->nbuckets; n++)
	if (t->buckets[n] != NULL && t->buckets[n]->changed && !t->buckets[n]->stored)
	    return 0;
    return 1;
}

/* commit - at close: the changes of -i or -d into the table */
static int commit(struct gdbm_table *t, char **err)
{
    sigset_t saved;
    int status;

    *err = NULL;
    if (!t->changed)
	return 0;
    if (!in_place(t)) {
	free(t->stamp);
	t->stamp = NULL;	/* "updated" */
	if (load_all(t, err) < 0)
	    return -1;
	return publish_table(t, 1, 0, err);
    }
    /* As postmap: signals wait until the table is whole again. */
    publish_defer_signals(&saved);
    status = apply(t, err);
    publish_resume_signals(&saved);
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
    for (size_t i = 0; i < t->seq_count; i++)
	free(t->seq[i].key);
    free(t->seq);
    t->seq = NULL;
    t->seq_count = t->seq_next = 0;
}

/* collect - every entry of the table, in bucket order (or key order) */
static int collect(struct gdbm_table *t)
{
    size_t cap = 0;
    int status = 0;

    free_seq(t);
    if ((status = reader_begin(t)) != 0)
	return status;
    for (uint32_t n = 0; n < t->nbuckets && status == 0; n++) {
	char bkey[BUCKET_KEY_LEN], *rec;
	size_t len;
	bucket_key(bkey, n);
	int found = fetch_record(t, bkey, BUCKET_KEY_LEN, &rec, &len);
	if (found < 0) {
	    status = dict_set_error(&t->dict, "%s", gdbm_error_text(t->db));
	    break;
	}
	if (found == 0)
	    continue;
	const unsigned char *pos = (const unsigned char *) rec, *end = pos + len;
	struct entry e;
	int more;
	while ((more = unpack(&pos, end, &e)) > 0) {
	    GROW(t->seq, t->seq_count, cap);
	    new_entry(&t->seq[t->seq_count++], e.key, e.key_len, e.value, e.value_len);
	}
	free(rec);
	if (more < 0)
	    status = dict_set_error(&t->dict, "%s: damaged record", t->path);
    }
    release(t);			/* all of it is in memory now */
    if (status == 0 && t->sorted && t->seq_count > 1)
	qsort(t->seq, t->seq_count, sizeof(*t->seq), compare_entries);
    return status;
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
/* The methods.                                                      */

static int gdbm_table_lookup(struct dict *dict, const char *key, const char **value)
{
    struct gdbm_table *t = (struct gdbm_table *) dict;
    const char *folded = dict_fold(dict, key, &t->fold_buf);
    struct entry *e = NULL;

    *value = NULL;
    if (t->mode == MODE_READ)
	return find(t, folded, value);
    if (t->mode == MODE_BUILD) {
	e = find_entry(t, folded);
    } else {
	struct bucket *b = touch(t, folded);
	if (b == NULL)
	    return DICT_FAIL;
	e = bucket_find(b, folded);
    }
    if (e == NULL)
	return DICT_NOTFOUND;
    sb_reset(&t->value_buf);
    sb_addn(&t->value_buf, e->value, text_len(e->value, e->value_len));
    *value = sb_str(&t->value_buf);
    return DICT_FOUND;
}

static int gdbm_table_update(struct dict *dict, const char *key, const char *value)
{
    struct gdbm_table *t = (struct gdbm_table *) dict;
    const char *folded = dict_fold(dict, key, &t->fold_buf);

    return t->mode == MODE_BUILD ? build_update(t, folded, value)
	: change_update(t, folded, value);
}

static int gdbm_table_remove(struct dict *dict, const char *key)
{
    struct gdbm_table *t = (struct gdbm_table *) dict;
    const char *folded = dict_fold(dict, key, &t->fold_buf);

    return t->mode == MODE_BUILD ? build_remove(t, folded) : change_remove(t, folded);
}

/* ---------------------------------------------------------------- */
/* Opening and closing.                                              */

static void free_entries(struct gdbm_table *t)
{
    for (size_t i = 0; i < t->nentries; i++)
	free(t->entries[i].key);	/* the value shares the allocation */
    free(t->entries);
    t->entries = NULL;
    t->nentries = t->cap = 0;
}

static void free_buckets(struct gdbm_table *t)
{
    if (t->buckets != NULL)
	for (uint32_t n = 0; n < t->nbuckets; n++)
	    free_bucket(t->buckets[n]);
    free(t->buckets);
    t->buckets = NULL;
    t->ntouched = 0;
}

/* detach - close the GDBM handle and the file (its lock goes with it) */
static void detach(struct gdbm_table *t)
{
    release(t);
    if (t->db != NULL)
	gdbm_close(t->db);
    t->db = NULL;
    if (t->fd >= 0)
	close(t->fd);
    t->fd = -1;
    free_saved(t);
}

static void free_table(struct gdbm_table *t)
{
    detach(t);
    free_entries(t);
    free_buckets(t);
    strmap_free(&t->index, NULL);
    free_seq(t);
    free(t->path);
    free(t->file);
    free(t->journal);
    free(t->stamp);
    free(t->meta_old);
    sb_free(&t->fold_buf);
    sb_free(&t->key_buf);
    sb_free(&t->value_buf);
    dict_free(&t->dict);
}

static int gdbm_table_close(struct dict *dict, char **err)
{
    struct gdbm_table *t = (struct gdbm_table *) dict;
    int status = 0;

    *err = NULL;
    if (t->mode == MODE_BUILD)
	status = publish_table(t, 0, 0, err);
    else if (t->mode == MODE_CHANGE)
	status = commit(t, err);
    free_table(t);
    return status;
}

static int open_reader(struct gdbm_table *t, char **err)
{
    if ((t->fd = open_locked(t->path, O_RDONLY, LOCK_SH)) < 0) {
	*err = dict_format_error("open database %s: %s", t->path, strerror(errno));
	return -1;
    }
    int status = reader_attach(t, err);
    if (status == 0)
	hold(t);
    else
	(void) flock(t->fd, LOCK_UN);
    t->dict.sequence = gdbm_table_sequence;
    return status;
}

/*
 * recover - under the lock, with the journal of an interrupted update
 * read: rebuild the table as it was before that update, and drop the
 * journal.
 */
static int recover(struct gdbm_table *t, char **err)
{
    struct stat st;

    if (read_meta(t, err) < 0 || read_stamp(t) < 0 || load_all(t, err) < 0)
	return -1;
    if (fstat(t->fd, &st) == 0) {
	t->keep_mode = 1;
	t->file_mode = st.st_mode & 07777;
    }
    int status = publish_table(t, 1, 0, err);
    free_entries(t);
    return status;
}

/*
 * open_changer - -i and -d: the table opened for writing and locked for
 * as long as it is open, as postmap does. A table that does not exist is
 * first created empty (-i), one left by an interrupted update is first
 * put back as it was.
 */
static int open_changer(struct gdbm_table *t, int mode, char **err)
{
    struct stat st;

    publish_clean_stale(t->file);
    for (;;) {
	if ((t->fd = open_locked(t->path, O_RDWR, LOCK_EX)) < 0) {
	    if (errno == ENOENT && mode == DICT_UPDATE) {
		if (publish_table(t, 0, PUBLISH_NO_REPLACE, err) < 0)
		    return -1;
		continue;
	    }
	    *err = dict_format_error("open database %s: %s", t->path, strerror(errno));
	    return -1;
	}
	if ((t->db = attach(t->fd, t->file, GDBM_WRITER | GDBM_NOMMAP)) == NULL) {
	    *err = gdbm_open_error(t->path);
	    return -1;
	}
	int journal = journal_read(t);
	if (journal < 0) {
	    *err = dict_format_error("read %s: %s", t->journal, strerror(errno));
	    return -1;
	}
	if (journal == 1) {
	    gdbm_set_errno(t->db, GDBM_NO_ERROR, 0);
	    if (recover(t, err) < 0)
		return -1;
	    detach(t);
	    continue;
	}
	if (journal == 2 && journal_remove(t) != 0) {
	    *err = dict_format_error("remove %s: %s", t->journal, strerror(errno));
	    return -1;
	}
	if (gdbm_needs_recovery(t->db)) {
	    *err = dict_format_error("open database %s: %s", t->path,
				     gdbm_strerror(GDBM_NEED_RECOVERY));
	    return -1;
	}
	break;
    }
    if (read_meta(t, err) < 0 || read_stamp(t) < 0 || fstat(t->fd, &st) != 0) {
	if (*err == NULL)
	    *err = dict_format_error("open database %s: %s", t->path,
				     errno ? strerror(errno) : gdbm_error_text(t->db));
	return -1;
    }
    if (t->stamp == NULL)
	t->stamp = xstrdup("");
    t->keep_mode = 1;
    t->file_mode = st.st_mode & 07777;
    t->locked_mtime = st.st_mtim;
    t->buckets = xcalloc(t->nbuckets, sizeof(*t->buckets));
    return 0;
}

/* open_builder - a build: refused up front over a file that is not a pfc table */
static int open_builder(struct gdbm_table *t, char **err)
{
    struct stat st;

    if (stat(t->path, &st) == 0) {
	/* A table that exists keeps its permissions, as one rewritten in place. */
	t->keep_mode = 1;
	t->file_mode = st.st_mode & 07777;
	int fd = open(t->path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	const char *kind = NULL;
	if (fd >= 0 && !(t->dict.flags & DICT_FLAG_REPLACE_FOREIGN))
	    kind = foreign_kind(fd, t->file);
	if (fd >= 0)
	    close(fd);
	if (kind != NULL) {
	    *err = refuse_foreign(t, kind);
	    return -1;
	}
    }
    return 0;
}

static struct dict *open_table(const struct dict_type *type, const char *name,
			       int mode, unsigned flags, char **err)
{
    struct gdbm_table *t = (struct gdbm_table *) dict_alloc(type, name, flags, sizeof(*t));
    int status;

    *err = NULL;
    t->fd = -1;
    t->path = xconcat(name, ".db", (char *) NULL);
    t->file = publish_target(t->path);
    t->journal = xconcat(t->file, JOURNAL_SUFFIX, (char *) NULL);
    t->dict.label = t->path;
    t->sorted = strcmp(type->name, "btree") == 0;
    strmap_init(&t->index);
    t->dict.lookup = gdbm_table_lookup;
    t->dict.close = gdbm_table_close;
    if ((flags & (DICT_FLAG_TRY0NULL | DICT_FLAG_TRY1NULL)) == 0)
	t->dict.flags |= DICT_FLAG_TRY0NULL | DICT_FLAG_TRY1NULL;

    if (mode == DICT_READ) {
	t->mode = MODE_READ;
	status = open_reader(t, err);
    } else if (mode == DICT_CREATE) {
	t->mode = MODE_BUILD;
	status = open_builder(t, err);
    } else {
	t->mode = MODE_CHANGE;
	status = open_changer(t, mode, err);
    }
    if (status < 0) {
	free_table(t);
	return NULL;
    }
    if (mode != DICT_READ) {
	t->dict.update = gdbm_table_update;
	t->dict.remove = gdbm_table_remove;
    }
    return &t->dict;
}

static struct dict *hash_open(const char *name, int mode, unsigned flags,
			      const struct diag_sink *sink, char **err)
{
    extern const struct dict_type dict_type_hash;

    (void) sink;
    return open_table(&dict_type_hash, name, mode, flags, err);
}

static struct dict *btree_open(const char *name, int mode, unsigned flags,
			       const struct diag_sink *sink, char **err)
{
    extern const struct dict_type dict_type_btree;

    (void) sink;
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

    if ((dict->type != &dict_type_hash && dict->type != &dict_type_btree)
	|| t->mode != MODE_BUILD)
	return;
    sb_printf(&text, "sha256 %s %lld %lu %u", stamp->sha256, stamp->size, stamp->warnings,
	      stamp->flags & (DICT_FLAG_FOLD | DICT_FLAG_UTF8));
    free(t->stamp);
    t->stamp = sb_detach(&text);
}

int dict_gdbm_source_stamp(const char *db_path, struct dict_stamp *stamp, char **err)
{
    struct gdbm_table *t = (struct gdbm_table *) dict_alloc(&dict_type_hash, db_path, 0,
							     sizeof(*t));
    int status = -1, found;

    *err = NULL;
    t->fd = -1;
    t->path = xstrdup(db_path);
    t->file = publish_target(t->path);
    t->journal = xconcat(t->file, JOURNAL_SUFFIX, (char *) NULL);
    strmap_init(&t->index);
    if (open_reader(t, err) < 0)
	goto done;
    if (reader_begin(t) != 0) {
	*err = xstrdup(t->dict.error);
	goto done;
    }
    found = read_stamp(t);
    if (found < 0)
	*err = dict_format_error("table %s: %s", db_path, gdbm_error_text(t->db));
    else if (found == 0)
	status = 2;
    else if (sscanf(t->stamp, "sha256 %64[0-9a-f] %lld %lu %u", stamp->sha256, &stamp->size,
		    &stamp->warnings, &stamp->flags) == 4 && strlen(stamp->sha256) == 64)
	status = 1;
    else
	status = 0;
  done:
    free_table(t);
    return status;
}
