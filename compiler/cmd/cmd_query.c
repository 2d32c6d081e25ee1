/*
 * query - "pfc query policy.pfi TABLE KEY" and "... TABLE -": look keys
 * up in a table of an image, answering, printing and exiting exactly as
 * "pfc map -q KEY TABLE" and "pfc map -q - TABLE" do from the table's
 * source (compiler/cmd/cmd_map.c, tablecmd.c): KEY prints the value; "-" reads
 * keys from stdin, one a line, and prints "key<TAB>value" for each one
 * found; exit 0 when something was found, 1 when nothing was. A lookup
 * failure is fatal and an empty answer is warned about, in pfc map's
 * words. (Unlike pfc map, a read error on stdin is reported, not taken
 * for the end of the keys.)
 *
 * Output reaches stdout in whole 4096-byte blocks, as pfc map's does, so
 * a failure half-way leaves the same bytes behind; the buffer itself is
 * larger, and the keys of "-" are pipelined (see query_lines), for
 * millions of keys a second.
 *
 * One KEY opens the image lazily (image_open_lazy()): what the lookup
 * reads is verified as it is read, so one lookup in a 100 MB image costs
 * about what starting the process does; "-" verifies the whole image
 * first, as pfcd does, since its keys read all of it anyway. Damage is
 * refused either way, with the verifier's message and exit status 2.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "commands.h"
#include "diag.h"
#include "help.h"
#include "loader.h"
#include "strbuf.h"
#include "xalloc.h"

#define BLOCK		4096		/* pfc map's (Postfix's) output block */
#define OUT_SIZE	(64 * BLOCK)
#define IN_SIZE		(256 * 1024)

struct query {
    struct image *img;
    const char *path;		/* the image, for messages */
    uint32_t table;
    const char *spec;
    struct image_lookup_buf buf;
    char *out;
    size_t used;
};

static int usage(FILE *fp)
{
    help_print_usage(fp, "query");
    return 2;
}

/* ---------------------------------------------------------------- output */

/* write_out - write len bytes of the buffer; fatal (status 2) on an error */
static void write_out(const char *data, size_t len)
{
    while (len > 0) {
	ssize_t n = write(STDOUT_FILENO, data, len);
	if (n < 0 && errno == EINTR)
	    continue;
	if (n <= 0) {
	    diag_set_fatal_status(2);
	    diag_fatal("write error on standard output: %s", n < 0 ? strerror(errno)
		       : strerror(ENOSPC));
	}
	data += n;
	len -= (size_t) n;
    }
}

static void put(struct query *q, const char *data, size_t len)
{
    while (len > 0) {
	if (q->used == OUT_SIZE) {
	    write_out(q->out, q->used);
	    q->used = 0;
	}
	size_t n = OUT_SIZE - q->used < len ? OUT_SIZE - q->used : len;
	memcpy(q->out + q->used, data, n);
	q->used += n;
	data += n;
	len -= n;
    }
}

static void flush_out(struct query *q)
{
    write_out(q->out, q->used);
    q->used = 0;
}

/* die - a fatal error after the whole blocks pfc map would have written */
static void die(struct query *q, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));

static void die(struct query *q, const char *fmt, ...)
{
    struct strbuf msg = STRBUF_INIT;
    va_list ap;

    write_out(q->out, q->used / BLOCK * BLOCK);
    va_start(ap, fmt);
    sb_vprintf(&msg, fmt, ap);
    va_end(ap);
    diag_fatal("%s", sb_str(&msg));
}

/* ---------------------------------------------------------------- lookup */

/*
 * lookup - one key, as table_query_one() and table_batch_lookup() see it:
 * a failure is fatal ("table TYPE:LABEL: query error: WHY"); an empty
 * answer is printed with Postfix's two warnings.
 */
static int lookup(struct query *q, const char *key, const uint32_t *hash, const char **value)
{
    int status = hash ? image_lookup_prefetched(q->img, q->table, key, *hash, value, &q->buf)
	: image_lookup(q->img, q->table, key, value, &q->buf);

    if (status == IMAGE_REFUSED) {
	/* The image, not the table: refused as image_open() would have. */
	write_out(q->out, q->used / BLOCK * BLOCK);
	fprintf(stderr, "pfc: %s\n", q->buf.error);
	exit(2);
    }
    if (status == IMAGE_FAIL) {
	const char *why = q->buf.error ? q->buf.error : "";
	const char *db = image_table_indexed(q->img, q->table) ? ".db" : "";

	if (q->img->tables[q->table].kind == IMG_TABLE_EXTERNAL)
	    die(q, "%s", why);
	if (*why == 0)
	    die(q, "table %s%s: query error", q->spec, db);
	die(q, "table %s%s: query error: %s", q->spec, db, why);
    }
    if (status == IMAGE_FOUND && **value == 0) {
	diag_warn("table %s: key %s: empty string result is not allowed", q->spec, key);
	diag_warn("table %s should return NO RESULT in case of NOT FOUND", q->spec);
    }
    return status;
}

static int query_one(struct query *q, const char *key)
{
    const char *value;

    if (lookup(q, key, NULL, &value) != IMAGE_FOUND)
	return 1;
    put(q, value, strlen(value));
    put(q, "\n", 1);
    flush_out(q);
    return 0;
}

/*
 * answer - look one key of "-" up, its hash known from the prefetch;
 * print "key<TAB>value" when found
 */
static int answer(struct query *q, const char *key, uint32_t hash)
{
    const char *value;

    if (lookup(q, key, &hash, &value) != IMAGE_FOUND)
	return 0;
    /* A key with a NUL in it is the key up to the NUL, as getline's. */
    put(q, key, strlen(key));
    put(q, "\t", 1);
    put(q, value, strlen(value));
    put(q, "\n", 1);
    return 1;
}

/*
 * The keys of "-" go through a pipeline (image_prefetch_*): each is
 * hashed as it is read, its slot, entry and key loaded STAGE keys apart,
 * and it is looked up 3 * STAGE keys after it was read, in input order,
 * so the answers, the warnings and the output are pfc map's.
 */
#define STAGE	8
#define RING	(4 * STAGE)

struct pending {
    size_t off;			/* the key, in the input buffer */
    uint32_t hash;
};

/* query_lines - keys from stdin, one a line (without its newline) */
static int query_lines(struct query *q)
{
    size_t cap = IN_SIZE, start = 0, end = 0;
    char *in = xmalloc(cap + 1);
    struct pending ring[RING];
    size_t head = 0, count = 0;
    int found = 0, eof = 0;

    for (;;) {
	char *nl = memchr(in + start, '\n', end - start);
	if (nl == NULL && !eof) {
	    /* Keep the partial line and the keys still pending; read more. */
	    size_t keep = count > 0 ? ring[head].off : start;
	    if (keep > 0) {
		memmove(in, in + keep, end - keep);
		end -= keep;
		start -= keep;
		for (size_t i = 0; i < count; i++)
		    ring[(head + i) % RING].off -= keep;
	    }
	    if (end == cap) {
		cap *= 2;
		in = xrealloc(in, cap + 1);
	    }
	    ssize_t n = read(STDIN_FILENO, in + end, cap - end);
	    if (n < 0 && errno == EINTR)
		continue;
	    if (n < 0)
		die(q, "read stdin: %s", strerror(errno));
	    if (n == 0)
		eof = 1;
	    end += (size_t) n;
	    continue;
	}
	if (nl == NULL && start == end)
	    break;		/* end of input, after the last whole line */
	size_t len = nl ? (size_t) (nl - (in + start)) : end - start;
	struct pending *p = &ring[(head + count++) % RING];
	p->off = start;
	in[start + len] = 0;	/* in[cap] is spare for a last line without newline */
	start += len + (nl != NULL);
	p->hash = image_prefetch_start(q->img, q->table, in + p->off, &q->buf);
	if (count > STAGE)
	    image_prefetch_step(q->img, q->table, ring[(head + count - 1 - STAGE) % RING].hash, 1);
	if (count > 2 * STAGE)
	    image_prefetch_step(q->img, q->table,
				ring[(head + count - 1 - 2 * STAGE) % RING].hash, 2);
	if (count > 3 * STAGE) {
	    found |= answer(q, in + ring[head].off, ring[head].hash);
	    head = (head + 1) % RING;
	    count--;
	}
    }
    for (; count > 0; count--, head = (head + 1) % RING)
	found |= answer(q, in + ring[head].off, ring[head].hash);
    free(in);
    flush_out(q);
    return found ? 0 : 1;
}

/* ---------------------------------------------------------------- tables */

/*
 * resolve - the table as the configuration names it; else the one table
 * whose spec ends in ":NAME" or whose name (after "type:") is NAME.
 */
static uint32_t resolve(struct query *q, const char *name)
{
    const struct image *img = q->img;
    uint32_t t = image_table_find(img, name), found = IMG_NONE, matches = 0;
    size_t len = strlen(name);
    struct strbuf which = STRBUF_INIT;

    if (t != IMG_NONE)
	return t;
    for (uint32_t i = 0; i < img->ntables; i++) {
	const char *spec = image_str(img, img->tables[i].spec);
	const char *colon = strchr(spec, ':');
	size_t slen = strlen(spec);

	if ((slen > len && spec[slen - len - 1] == ':' && strcmp(spec + slen - len, name) == 0)
	    || (colon != NULL && strcmp(colon + 1, name) == 0)) {
	    if (matches++ < 5)
		sb_printf(&which, "%s%s", matches > 1 ? ", " : "", spec);
	    found = i;
	}
    }
    if (matches == 1) {
	sb_free(&which);
	return found;
    }
    if (matches == 0)
	fprintf(stderr, "pfc: table %s is not in %s\n", name, q->path);
    else
	fprintf(stderr, "pfc: table %s is ambiguous in %s: it could be %s%s\n", name, q->path,
		sb_str(&which), matches > 5 ? ", ..." : "");
    sb_free(&which);
    return IMG_NONE;
}

/* set_utf8 - show messages as pfc map would under the image's smtputf8_enable */
static void set_utf8(const struct image *img)
{
    uint32_t p = image_param_find(img, "smtputf8_enable");

    if (p != IMG_NONE)
	diag_set_utf8(strcasecmp(image_str(img, img->params[p].expanded), "yes") == 0);
}

int cmd_query(int argc, char **argv)
{
    struct query q;
    char *err;
    int status;

    if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
	help_print(stdout, "query");
	return 0;
    }
    if (argc > 1 && strcmp(argv[1], "--") == 0) {
	argc--;
	argv++;
    } else if (argc > 1 && argv[1][0] == '-' && argv[1][1] != 0) {
	return help_arg_error("query", "unknown option", argv[1], 2);
    }
    if (argc != 4)
	return usage(stderr);
    memset(&q, 0, sizeof(q));
    q.path = argv[1];
    int one_key = strcmp(argv[3], "-") != 0;
    if ((one_key ? image_open_lazy(q.path, &q.img, &err)
	 : image_open(q.path, &q.img, &err)) != IMAGE_OK) {
	/* Not "not found": a bad image is an error whatever its kind. */
	fprintf(stderr, "pfc: %s\n", err);
	free(err);
	return 2;
    }
    if ((q.table = resolve(&q, argv[2])) == IMG_NONE) {
	image_close(q.img);
	return 2;
    }
    q.spec = image_str(q.img, q.img->tables[q.table].spec);
    set_utf8(q.img);
    q.out = xmalloc(OUT_SIZE);
    if (one_key)
	status = query_one(&q, argv[3]);
    else
	status = query_lines(&q);
    free(q.out);
    image_lookup_done(&q.buf);
    image_close(q.img);
    return status;
}
