/*
 * test_image - the loader, verifier and lookups on images written here
 * by hand, record by record from runtime/image/image.h (a writer independent
 * of pfc build's, so the two check each other): a good image verifies
 * and answers every table kind as Postfix would; each class of damage
 * is refused with its own status and a message saying what and where.
 * Damage that the checksum would catch first is written before the
 * checksum is computed (or the checksum is made again), so the deep
 * check itself is what refuses it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostinfo.h"
#include "image.h"
#include "image_host.h"
#include "loader.h"
#include "restriction.h"
#include "sha256.h"
#include "strbuf.h"
#include "xalloc.h"

/* ------------------------------------------------------------ the writer */

/*
 * The sections are image.h's list (IMG_S_*), laid out in its order; the
 * checksums are computed here, independently of image_sums.c.
 */
#define NSEC IMG_S_COUNT

struct writer {
    struct strbuf sec[NSEC];
};

static void w_init(struct writer *w)
{
    memset(w, 0, sizeof(*w));
    sb_addn(&w->sec[IMG_S_STRS], "", 1);	/* offset 0: the empty string */
}

static void w_free(struct writer *w)
{
    for (int i = 0; i < NSEC; i++)
	sb_free(&w->sec[i]);
}

/* w_str - a string in the pool (not shared: simple is enough here) */
static uint32_t w_str(struct writer *w, const char *s)
{
    uint32_t off;

    if (*s == 0)
	return 0;
    off = (uint32_t) w->sec[IMG_S_STRS].len;
    sb_addn(&w->sec[IMG_S_STRS], s, strlen(s) + 1);
    return off;
}

/* w_add - append a record; returns its index */
static uint32_t w_add(struct writer *w, int sec, const void *rec, size_t size)
{
    uint32_t index = (uint32_t) (w->sec[sec].len / size);

    sb_addn(&w->sec[sec], rec, size);
    return index;
}

#define W_COUNT(w, k, type) ((uint32_t) ((w)->sec[k].len / sizeof(type)))
#define W_REC(w, k, type, i) (&((type *) (void *) (w)->sec[k].s)[i])

/* find_section - the section table's entry of tag, or NULL */
static struct img_section *find_section(unsigned char *data, size_t size, uint32_t tag)
{
    struct img_header *h = (struct img_header *) (void *) data;
    struct img_section *s = (struct img_section *) (void *) (data + sizeof(*h));

    for (uint32_t i = 0; i < h->section_count && sizeof(*h) + (i + 1) * sizeof(*s) <= size; i++)
	if (s[i].tag == tag)
	    return &s[i];
    return NULL;
}

/*
 * reseal - the checksums made right for the bytes as they are: each
 * block's in SUMS, SUMS's own, the header's (over the section table)
 */
static void reseal(unsigned char *img, size_t size)
{
    struct img_header *h = (struct img_header *) (void *) img;
    uint64_t table_end = sizeof(*h) + (uint64_t) h->section_count * sizeof(struct img_section);
    struct img_section *sums = table_end <= size ? find_section(img, size, IMG_SEC_SUMS) : NULL;

    if (sums != NULL && sums->offset <= size && sums->length <= size - sums->offset
	&& sums->offset >= table_end) {
	uint64_t *sum = (uint64_t *) (void *) (img + sums->offset);
	for (uint64_t i = 0, at = table_end; at < sums->offset && i < sums->length / 8;
	     i++, at += IMG_BLOCK_SIZE) {
	    uint64_t len = sums->offset - at < IMG_BLOCK_SIZE ? sums->offset - at : IMG_BLOCK_SIZE;
	    sum[i] = img_xxh64(img + at, (size_t) len);
	}
	h->sums_checksum = img_xxh64(img + sums->offset, (size_t) sums->length);
    }
    if (table_end > size)
	table_end = size;
    h->checksum = img_xxh64(img + IMG_CHECKSUM_FROM, (size_t) table_end - IMG_CHECKSUM_FROM);
}

/*
 * w_finish - lay the image out: header, section table, each section on an
 * 8-byte boundary, SUMS last; then the content id and the checksums.
 * skip: a section to leave out, or -1.
 */
static unsigned char *w_finish(struct writer *w, int skip, size_t *sizep)
{
    uint32_t count = 0;
    uint64_t offsets[NSEC], lengths[NSEC];

    for (int i = 0; i < NSEC; i++)
	count += i != skip;
    uint64_t body = sizeof(struct img_header) + count * sizeof(struct img_section), off = body;
    for (int i = 0; i < NSEC; i++) {
	if (i == skip)
	    continue;
	off = (off + 7) & ~(uint64_t) 7;
	offsets[i] = off;
	lengths[i] = i == IMG_S_SUMS ? ((off - body + IMG_BLOCK_SIZE - 1) / IMG_BLOCK_SIZE) * 8
	    : w->sec[i].len;
	off += lengths[i];
    }
    size_t size = (size_t) off;
    unsigned char *img = xcalloc(1, size);
    struct img_header *h = (struct img_header *) (void *) img;
    struct img_section *s = (struct img_section *) (void *) (img + sizeof(*h));

    memcpy(h->magic, IMG_MAGIC, IMG_MAGIC_SIZE);
    h->major = IMG_VERSION_MAJOR;
    h->minor = IMG_VERSION_MINOR;
    h->header_size = sizeof(*h);
    h->file_size = size;
    h->section_table = sizeof(*h);
    h->section_count = count;
    for (int i = 0, n = 0; i < NSEC; i++) {
	if (i == skip)
	    continue;
	s[n].tag = img_section_kind(i)->tag;
	s[n].offset = offsets[i];
	s[n].length = lengths[i];
	n++;
	if (i != IMG_S_SUMS && w->sec[i].len > 0)
	    memcpy(img + offsets[i], w->sec[i].s, w->sec[i].len);
    }
    reseal(img, size);
    sha256_digest(img + h->section_table, size - h->section_table, h->content_id);
    reseal(img, size);
    *sizep = size;
    return img;
}

/* w_exact - an exact table's entries and hash index (keys as stored) */
static void w_exact(struct writer *w, struct img_table *t, const char *const *kv, size_t n)
{
    uint32_t d = 1;

    while (((uint32_t) 1 << d) < 2 * n)
	d++;
    t->kind = IMG_TABLE_EXACT;
    t->a = W_COUNT(w, IMG_S_ENTR, struct img_entry);
    t->b = (uint32_t) n;
    t->c = W_COUNT(w, IMG_S_SLOT, uint32_t);
    t->d = d;
    uint32_t *slots = xcalloc((size_t) 1 << d, sizeof(uint32_t));
    for (size_t i = 0; i < n; i++) {
	struct img_entry e = {
	    w_str(w, kv[2 * i]), w_str(w, kv[2 * i + 1]), (uint32_t) i + 1,
	    img_hash(kv[2 * i], strlen(kv[2 * i])),
	};
	w_add(w, IMG_S_ENTR, &e, sizeof(e));
	uint32_t mask = ((uint32_t) 1 << d) - 1;
	for (uint32_t s = e.hash & mask;; s = (s + 1) & mask)
	    if (slots[s] == 0) {
		slots[s] = (uint32_t) i + 1;
		break;
	    }
    }
    sb_addn(&w->sec[IMG_S_SLOT], (const char *) slots, ((size_t) 1 << d) * sizeof(uint32_t));
    free(slots);
}

/* A rule, as the tests spell one. */
struct r {
    uint32_t op;
    const char *pattern;
    uint32_t options;
    uint32_t flags;
    const char *pattern2;
    uint32_t next;
    const char *result;		/* text with $$ already made $ */
    const uint32_t *pieces;	/* group, offset, len triples */
    uint32_t npieces;
};

static void w_rules(struct writer *w, struct img_table *t, uint32_t kind,
		    const struct r *rules, size_t n)
{
    t->kind = kind;
    t->a = W_COUNT(w, IMG_S_RULE, struct img_rule);
    t->b = (uint32_t) n;
    for (size_t i = 0; i < n; i++) {
	const struct r *r = &rules[i];
	struct img_rule rule = {
	    .op = r->op, .line = (uint32_t) (10 + i),
	    .flags = r->flags | (r->pattern2 ? IMG_RULE_HAS2 : 0),
	    .pattern = r->pattern ? w_str(w, r->pattern) : 0, .options = r->options,
	    .pattern2 = r->pattern2 ? w_str(w, r->pattern2) : 0,
	    .options2 = r->pattern2 ? r->options : 0, .next = r->next,
	    .result = r->result ? w_str(w, r->result) : 0,
	    .pieces_first = W_COUNT(w, IMG_S_PIEC, struct img_piece), .pieces_count = r->npieces,
	};
	for (uint32_t p = 0; p < r->npieces; p++) {
	    struct img_piece piece = { r->pieces[3 * p], r->pieces[3 * p + 1],
				       r->pieces[3 * p + 2] };
	    if (piece.group > rule.max_group)
		rule.max_group = piece.group;
	    w_add(w, IMG_S_PIEC, &piece, sizeof(piece));
	}
	w_add(w, IMG_S_RULE, &rule, sizeof(rule));
    }
}

/* w_net - a cidr rule's network (text: its address) */
static void w_net(struct writer *w, uint8_t family, uint8_t prefix, const char *text)
{
    struct img_net n;

    memset(&n, 0, sizeof(n));
    n.family = family;
    n.prefix = prefix;
    if (inet_pton(family == IMG_NET_V6 ? AF_INET6 : AF_INET, text, n.addr) != 1)
	fail_msg("bad address %s", text);
    w_add(w, IMG_S_NETS, &n, sizeof(n));
}

/* w_host - a piece of a host-dependent value (text NULL: none) */
static void w_host(struct writer *w, uint32_t kind, const char *text)
{
    struct img_host_piece p = { kind, text ? w_str(w, text) : 0 };

    w_add(w, IMG_S_HOST, &p, sizeof(p));
}

/* The parameters of the fixture, in name order (their indexes). */
enum {
    P_ALIAS_MAPS, P_INET_INTERFACES, P_INET_PROTOCOLS, P_MYHOSTNAME, P_MYNETWORKS,
    P_MYNETWORKS_STYLE, P_SMTPD_BANNER, P_SMTPUTF8, NPARAMS
};

/* The tables of the fixture, in spec order (their indexes). */
enum {
    T_CIDR, T_FAIL, T_HASH, T_LMDB, T_PCRE, T_PIPE, T_REGEXP, T_STATIC, T_TEXTHASH,
    T_UNION1, T_UNION2, NTABLES
};

#define RE_DEFAULT (IMG_REGEXP_ICASE | IMG_REGEXP_EXTENDED)
#define PCRE_DEFAULT (IMG_PCRE_CASELESS | IMG_PCRE_DOTALL)

/*
 * fixture - an image of every kind of record: sources, parameters, a
 * service with an override, eleven tables of every kind, programs.
 */
static void fixture(struct writer *w)
{
    struct img_table t[NTABLES];
    static char keys[100][32], values[100][32];
    static const char *kv[2 * 104];

    w_init(w);
    memset(t, 0, sizeof(t));

    struct img_source src[] = {
	{ w_str(w, "/etc/postfix/main.cf"), 0, 120, { 1 } },
	{ w_str(w, "/etc/postfix/virtual"), 0, 4000, { 2 } },
    };
    w_add(w, IMG_S_SRCS, &src[0], sizeof(src[0]));
    w_add(w, IMG_S_SRCS, &src[1], sizeof(src[1]));

    /* cidr: a v4 network, a v6 network, a negated v4 one */
    static const struct r cidr[] = {
	{ IMG_RULE_MATCH, "192.168.0.0/16", 0, 0, NULL, 0, "OK", NULL, 0 },
	{ IMG_RULE_MATCH, "[2001:db8::]/32", 0, 0, NULL, 0, "V6", NULL, 0 },
	{ IMG_RULE_MATCH, "10.0.0.0/8", 0, IMG_RULE_NEGATE, NULL, 0, "not-ten", NULL, 0 },
    };
    t[T_CIDR].spec = w_str(w, "cidr:/etc/postfix/clients");
    w_rules(w, &t[T_CIDR], IMG_TABLE_CIDR, cidr, 3);
    t[T_CIDR].c = W_COUNT(w, IMG_S_NETS, struct img_net);
    w_net(w, IMG_NET_V4, 16, "192.168.0.0");
    w_net(w, IMG_NET_V6, 32, "2001:db8::");
    w_net(w, IMG_NET_V4, 8, "10.0.0.0");

    t[T_FAIL].spec = w_str(w, "fail:down");
    t[T_FAIL].kind = IMG_TABLE_FAIL;

    /* hash: folding, UTF-8 aware; many keys, so probes run into each other */
    size_t n = 0;
    kv[n++] = "alice@example.com", kv[n++] = "alice";
    kv[n++] = "bob@example.com", kv[n++] = "bob";
    kv[n++] = "strasse@example.com", kv[n++] = "street";
    kv[n++] = "pipe@x", kv[n++] = "user-joe@site";
    for (int i = 0; i < 100; i++) {
	snprintf(keys[i], sizeof(keys[i]), "user%d@example.com", i);
	snprintf(values[i], sizeof(values[i]), "mbox %d", i);
	kv[n++] = keys[i], kv[n++] = values[i];
    }
    t[T_HASH].spec = w_str(w, "hash:/etc/postfix/virtual");
    t[T_HASH].flags = IMG_TABLE_FOLD | IMG_TABLE_UTF8;
    t[T_HASH].source = 1;
    w_exact(w, &t[T_HASH], kv, n / 2);

    t[T_LMDB].spec = w_str(w, "lmdb:/etc/postfix/big");
    t[T_LMDB].kind = IMG_TABLE_EXTERNAL;
    t[T_LMDB].source = IMG_NONE;

    /* pcre: "v$1-$2" and "REJECT $1" */
    static const uint32_t pp0[] = { 0, 0, 1, 1, 0, 0, 0, 1, 1, 2, 0, 0 };
    static const uint32_t pp1[] = { 0, 0, 7, 1, 0, 0 };
    static const struct r pcre[] = {
	{ IMG_RULE_MATCH, "^(\\d+)\\.(\\d+)$", PCRE_DEFAULT, 0, NULL, 0, "v-", pp0, 4 },
	{ IMG_RULE_MATCH, "^subject: (.*)", PCRE_DEFAULT, 0, NULL, 0, "REJECT ", pp1, 2 },
    };
    t[T_PCRE].spec = w_str(w, "pcre:/etc/postfix/checks.pcre");
    t[T_PCRE].source = IMG_NONE;
    w_rules(w, &t[T_PCRE], IMG_TABLE_PCRE, pcre, 2);

    t[T_PIPE].spec = w_str(w, "pipemap:{hash:/etc/postfix/virtual, regexp:/etc/postfix/rewrite}");
    t[T_PIPE].kind = IMG_TABLE_PIPE;
    t[T_PIPE].a = W_COUNT(w, IMG_S_TREF, uint32_t);
    t[T_PIPE].b = 2;
    uint32_t ref = T_HASH;
    w_add(w, IMG_S_TREF, &ref, sizeof(ref));
    ref = T_REGEXP;
    w_add(w, IMG_S_TREF, &ref, sizeof(ref));

    /*
     * regexp:
     *   if /^user/
     *   /^user-(.*)@(.*)$/  $2!$1
     *   endif
     *   /^a/!/^ab/          A-not-AB
     *   !/x/                no-x
     */
    static const uint32_t rp1[] = { 2, 0, 0, 0, 0, 1, 1, 0, 0 };
    static const struct r regexp[] = {
	{ IMG_RULE_IF, "^user", RE_DEFAULT, 0, NULL, 3, NULL, NULL, 0 },
	{ IMG_RULE_MATCH, "^user-(.*)@(.*)$", RE_DEFAULT, 0, NULL, 0, "!", rp1, 3 },
	{ IMG_RULE_ENDIF, NULL, 0, 0, NULL, 0, NULL, NULL, 0 },
	{ IMG_RULE_MATCH, "^a", RE_DEFAULT, IMG_RULE_NEGATE2, "^ab", 0, "A-not-AB", NULL, 0 },
	{ IMG_RULE_MATCH, "x", RE_DEFAULT, IMG_RULE_NEGATE, NULL, 0, "no-x", NULL, 0 },
    };
    t[T_REGEXP].spec = w_str(w, "regexp:/etc/postfix/rewrite");
    t[T_REGEXP].source = IMG_NONE;
    w_rules(w, &t[T_REGEXP], IMG_TABLE_REGEXP, regexp, 5);

    t[T_STATIC].spec = w_str(w, "static:OK");
    t[T_STATIC].kind = IMG_TABLE_STATIC;
    t[T_STATIC].a = w_str(w, "OK");
    t[T_STATIC].source = IMG_NONE;

    /* texthash: not folded, but UTF-8 checked (a value that is not: fails) */
    static const char *plain[] = { "Key", "v1", "empty", "", "latin1", "caf\xe9" };
    t[T_TEXTHASH].spec = w_str(w, "texthash:/etc/postfix/plain");
    t[T_TEXTHASH].flags = IMG_TABLE_UTF8;
    t[T_TEXTHASH].source = IMG_NONE;
    w_exact(w, &t[T_TEXTHASH], plain, 3);

    t[T_UNION1].spec = w_str(w, "unionmap:{hash:/etc/postfix/virtual, static:OK}");
    t[T_UNION1].kind = IMG_TABLE_UNION;
    t[T_UNION1].a = W_COUNT(w, IMG_S_TREF, uint32_t);
    t[T_UNION1].b = 2;
    t[T_UNION1].source = IMG_NONE;
    ref = T_HASH;
    w_add(w, IMG_S_TREF, &ref, sizeof(ref));
    ref = T_STATIC;
    w_add(w, IMG_S_TREF, &ref, sizeof(ref));

    t[T_UNION2].spec = w_str(w, "unionmap:{static:OK, fail:down}");
    t[T_UNION2].kind = IMG_TABLE_UNION;
    t[T_UNION2].a = W_COUNT(w, IMG_S_TREF, uint32_t);
    t[T_UNION2].b = 2;
    t[T_UNION2].source = IMG_NONE;
    ref = T_STATIC;
    w_add(w, IMG_S_TREF, &ref, sizeof(ref));
    ref = T_FAIL;
    w_add(w, IMG_S_TREF, &ref, sizeof(ref));

    t[T_CIDR].source = t[T_FAIL].source = IMG_NONE;
    for (int i = 0; i < NTABLES; i++)
	w_add(w, IMG_S_TABL, &t[i], sizeof(t[i]));

    /*
     * parameters (sorted): three the host decides, one that uses such a
     * value, the inputs of mynetworks; a service and its override
     */
    uint32_t alias_ref = W_COUNT(w, IMG_S_TREF, uint32_t);
    ref = T_HASH;
    w_add(w, IMG_S_TREF, &ref, sizeof(ref));
    uint32_t banner = w_str(w, "$myhostname ESMTP $process_name");
    uint32_t h_banner = W_COUNT(w, IMG_S_HOST, struct img_host_piece);
    w_host(w, IMG_HOST_MYHOSTNAME, "example.org");
    w_host(w, IMG_HOST_TEXT, " ESMTP ");
    w_host(w, IMG_HOST_PROCESS_NAME, NULL);
    uint32_t h_hostname = W_COUNT(w, IMG_S_HOST, struct img_host_piece);
    w_host(w, IMG_HOST_MYHOSTNAME, "");
    uint32_t h_networks = W_COUNT(w, IMG_S_HOST, struct img_host_piece);
    w_host(w, IMG_HOST_TEXT, "10.9.0.0/16 ");
    w_host(w, IMG_HOST_MYNETWORKS, NULL);
    uint32_t networks = w_str(w, "10.9.0.0/16 $mynetworks");
    struct img_setting params[] = {
	{ w_str(w, "alias_maps"), w_str(w, "hash:/etc/postfix/virtual"),
	  w_str(w, "hash:/etc/postfix/virtual"), IMG_ORIGIN_MAIN, 3, 0, alias_ref, 1, 0, 0 },
	{ w_str(w, "inet_interfaces"), w_str(w, "loopback-only"), w_str(w, "loopback-only"),
	  IMG_ORIGIN_MAIN, 4, 0, 0, 0, 0, 0 },
	{ w_str(w, "inet_protocols"), w_str(w, "ipv4"), w_str(w, "ipv4"),
	  IMG_ORIGIN_MAIN, 5, 0, 0, 0, 0, 0 },
	{ w_str(w, "myhostname"), 0, 0, IMG_ORIGIN_DEFAULT, 0, IMG_SETTING_HOST, 0, 0,
	  h_hostname, 1 },
	{ w_str(w, "mynetworks"), networks, networks, IMG_ORIGIN_MAIN, 6, IMG_SETTING_HOST,
	  0, 0, h_networks, 2 },
	{ w_str(w, "mynetworks_style"), w_str(w, "host"), w_str(w, "host"),
	  IMG_ORIGIN_MAIN, 7, 0, 0, 0, 0, 0 },
	{ w_str(w, "smtpd_banner"), banner, banner, IMG_ORIGIN_MAIN, 8, IMG_SETTING_HOST, 0, 0,
	  h_banner, 3 },
	{ w_str(w, "smtputf8_enable"), w_str(w, "yes"), w_str(w, "yes"),
	  IMG_ORIGIN_DEFAULT, 0, 0, 0, 0, 0, 0 },
    };
    for (size_t i = 0; i < NPARAMS; i++)
	w_add(w, IMG_S_PARM, &params[i], sizeof(params[i]));
    struct img_setting override = {
	w_str(w, "smtpd_client_restrictions"), w_str(w, "permit"), w_str(w, "permit"),
	IMG_ORIGIN_OVERRIDE, 12, 0, 0, 0, 0, 0,
    };
    w_add(w, IMG_S_OVRD, &override, sizeof(override));
    struct img_service smtp = {
	w_str(w, "smtp"), w_str(w, "inet"), w_str(w, "n"), w_str(w, "-"), w_str(w, "y"),
	w_str(w, "-"), w_str(w, "-"), w_str(w, "smtpd"), 11, 0, 1, 0,
    };
    w_add(w, IMG_S_SERV, &smtp, sizeof(smtp));

    /* programs (sorted by name): a class, and a list that calls it */
    struct img_insn insns[] = {
	{ RESTR_CALLER_ACCESS, T_CIDR, 5, IMG_INSN_IMPLICIT },
	{ RESTR_PERMIT_MYNETWORKS, 0, 7, 0 },
	{ RESTR_CHECK_SENDER_ACCESS, T_HASH, 7, 0 },
	{ RESTR_REJECT_RBL_CLIENT, w_str(w, "zen.example"), 7, 0 },
	{ RESTR_CLASS, 0, 7, 0 },
    };
    for (size_t i = 0; i < 5; i++)
	w_add(w, IMG_S_INSN, &insns[i], sizeof(insns[i]));
    struct img_program progs[] = {
	{ w_str(w, "restrictive"), IMG_NONE, 5, 0, 1, 0 },
	{ w_str(w, "smtpd_recipient_restrictions"), IMG_NONE, 7, 1, 4, 0 },
    };
    w_add(w, IMG_S_PROG, &progs[0], sizeof(progs[0]));
    w_add(w, IMG_S_PROG, &progs[1], sizeof(progs[1]));
}

/* ------------------------------------------------------------- helpers */

static enum image_status load(const unsigned char *data, size_t size, struct image **img,
			      char **err)
{
    return image_from_memory(data, size, "test.pfi", img, err);
}

/* refused - the image is refused with status, and the message has want */
static void refused(const unsigned char *data, size_t size, enum image_status status,
		    const char *want)
{
    struct image *img = NULL;
    char *err = NULL;
    enum image_status got = load(data, size, &img, &err);

    if (got != status || err == NULL || strstr(err, want) == NULL)
	fail_msg("expected status %d with \"%s\", got %d: %s", status, want, got,
		 err ? err : "(no message)");
    assert_null(img);
    free(err);
}

/* damaged - the fixture with change() applied to its records, refused */
static void damaged(void (*change)(struct writer *w), enum image_status status,
		    const char *want)
{
    struct writer w;
    size_t size;

    fixture(&w);
    change(&w);
    unsigned char *data = w_finish(&w, -1, &size);
    refused(data, size, status, want);
    free(data);
    w_free(&w);
}

static unsigned char *good(size_t *size)
{
    struct writer w;

    fixture(&w);
    unsigned char *data = w_finish(&w, -1, size);
    w_free(&w);
    return data;
}

static struct img_section *section(unsigned char *data, uint32_t tag)
{
    struct img_section *s = find_section(data, SIZE_MAX, tag);

    if (s == NULL)
	fail_msg("no section %08x", (unsigned) tag);
    return s;
}

/* ------------------------------------------------------------ good ones */

static void test_good(void **state)
{
    size_t size;
    unsigned char *data = good(&size);
    struct image *img;
    char *err = NULL;

    (void) state;
    assert_int_equal(load(data, size, &img, &err), IMAGE_OK);
    assert_null(err);
    assert_int_equal(img->ntables, NTABLES);
    assert_int_equal(img->nparams, NPARAMS);
    assert_int_equal(img->nprograms, 2);
    assert_string_equal(image_str(img, img->params[P_SMTPUTF8].name), "smtputf8_enable");
    assert_int_equal(image_param_find(img, "smtputf8_enable"), P_SMTPUTF8);
    assert_int_equal(image_param_find(img, "alias_maps"), P_ALIAS_MAPS);
    assert_int_equal(image_param_find(img, "nosuch"), IMG_NONE);
    assert_int_equal(image_table_find(img, "hash:/etc/postfix/virtual"), T_HASH);
    assert_int_equal(image_table_find(img, "unionmap:{static:OK, fail:down}"), T_UNION2);
    assert_int_equal(image_table_find(img, "hash:/etc/postfix/nothing"), IMG_NONE);
    assert_int_equal(image_table_indexed(img, T_HASH), 1);
    assert_int_equal(image_table_indexed(img, T_TEXTHASH), 0);
    image_close(img);

    /* Misaligned memory is copied, not refused. */
    unsigned char *odd = xmalloc(size + 1);
    memcpy(odd + 1, data, size);
    assert_int_equal(load(odd + 1, size, &img, &err), IMAGE_OK);
    image_close(img);
    free(odd);

    /* From a file, as pfc verify and pfcd open it. */
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char path[4096];
    snprintf(path, sizeof(path), "%s/test_image.XXXXXX", dir);
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, data, size), (ssize_t) size);
    close(fd);
    assert_int_equal(image_open(path, &img, &err), IMAGE_OK);
    assert_int_equal(img->mapped, 1);
    image_close(img);
    unlink(path);
    assert_int_equal(image_open(path, &img, &err), IMAGE_ERR_IO);
    assert_non_null(strstr(err, "No such file"));
    free(err);
    assert_int_equal(image_open("/", &img, &err), IMAGE_ERR_IO);
    assert_non_null(strstr(err, "not a regular file"));
    free(err);
    /* A FIFO is refused at once: open() must not wait for a writer. */
    snprintf(path, sizeof(path), "%s/test_image.fifo.%ld", dir, (long) getpid());
    assert_int_equal(mkfifo(path, 0600), 0);
    alarm(10);
    assert_int_equal(image_open(path, &img, &err), IMAGE_ERR_IO);
    assert_non_null(strstr(err, "not a regular file"));
    free(err);
    assert_int_equal(image_open_lazy(path, &img, &err), IMAGE_ERR_IO);
    free(err);
    alarm(0);
    unlink(path);
    free(data);
}

/* ---------------------------------------------------- header and sizes */

static void test_header_damage(void **state)
{
    size_t size;
    unsigned char *data = good(&size), *copy = xmalloc(size + 16);
    struct img_header *h = (struct img_header *) (void *) copy;

    (void) state;
#define FRESH() memcpy(copy, data, size)
    refused(copy, 0, IMAGE_ERR_NOT_IMAGE, "not an image: the file is empty");
    memcpy(copy, "hello, world\n", 13);
    refused(copy, 13, IMAGE_ERR_NOT_IMAGE, "test.pfi: not an image");

    FRESH();
    copy[1] = 'X';
    refused(copy, size, IMAGE_ERR_NOT_IMAGE, "test.pfi: not an image");

    /* Text-mode damage, both ways, and a 7-bit transfer. */
    FRESH();
    memmove(copy + 4, copy + 5, size - 5);	/* CR LF -> LF */
    refused(copy, size - 1, IMAGE_ERR_NOT_IMAGE, "CR LF to LF");
    FRESH();
    memmove(copy + 8, copy + 7, size - 7);	/* LF -> CR LF */
    copy[7] = '\r';
    refused(copy, size + 1, IMAGE_ERR_NOT_IMAGE, "LF to CR LF");
    FRESH();
    copy[0] &= 0x7f;
    refused(copy, size, IMAGE_ERR_NOT_IMAGE, "7-bit");

    /* Short: inside the magic, inside the header, short of file_size. */
    FRESH();
    refused(copy, 5, IMAGE_ERR_TRUNCATED, "truncated: 5 bytes");
    refused(copy, 50, IMAGE_ERR_TRUNCATED, "truncated: 50 bytes, shorter than the 96-byte header");
    char want[100];
    snprintf(want, sizeof(want), "truncated: %zu bytes, the header says %zu", size - 1, size);
    refused(copy, size - 1, IMAGE_ERR_TRUNCATED, want);

    /* A file_size made smaller by damage is damage, not appended bytes. */
    FRESH();
    h->file_size -= 8;
    refused(copy, size, IMAGE_ERR_CORRUPT, "test.pfi: corrupt: checksum mismatch");

    /* Longer than it says. */
    FRESH();
    memset(copy + size, 0, 8);
    refused(copy, size + 8, IMAGE_ERR_CORRUPT, "bytes were added at the end");

    /* Versions: another major, a newer minor. */
    FRESH();
    h->major = 1;
    h->minor = 0;
    refused(copy, size, IMAGE_ERR_VERSION,
	    "test.pfi: version mismatch: image format 1.0, this pfc reads 2.1: rebuild with pfc build");
    FRESH();
    h->minor = IMG_VERSION_MINOR + 1;
    refused(copy, size, IMAGE_ERR_VERSION, "image format 2.2, this pfc reads 2.1");
    /* A version is recognized before the rest of the header is there. */
    refused(copy, 20, IMAGE_ERR_VERSION, "version mismatch");

    /* One flipped bit anywhere past the checksum field. */
    FRESH();
    copy[size / 2] ^= 0x10;
    snprintf(want, sizeof(want), "test.pfi: corrupt: checksum mismatch in bytes 480 to %zu",
	     (size_t) section(copy, IMG_SEC_SUMS)->offset - 1);
    refused(copy, size, IMAGE_ERR_CORRUPT, want);
    FRESH();
    copy[200] ^= 0x10;		/* the section table */
    refused(copy, size, IMAGE_ERR_CORRUPT,
	    "test.pfi: corrupt: checksum mismatch in the header or the section table");
    FRESH();
    copy[size - 3] ^= 0x10;	/* SUMS */
    refused(copy, size, IMAGE_ERR_CORRUPT,
	    "test.pfi: corrupt: checksum mismatch in the block checksums (SUMS)");
    FRESH();
    h->content_id[3] ^= 1;
    refused(copy, size, IMAGE_ERR_CORRUPT, "checksum mismatch");

    /* Header fields, resealed so that they are what is refused. */
    FRESH();
    h->flags = 1;
    reseal(copy, size);
    refused(copy, size, IMAGE_ERR_CORRUPT, "header flags");
    FRESH();
    h->reserved[5] = 1;
    reseal(copy, size);
    refused(copy, size, IMAGE_ERR_CORRUPT, "reserved byte 5");
    FRESH();
    h->header_size = 100;
    refused(copy, size, IMAGE_ERR_CORRUPT, "header size 100");
    FRESH();
    h->section_table = 104;
    reseal(copy, size);
    refused(copy, size, IMAGE_ERR_CORRUPT, "section table at 104");
#undef FRESH
    free(copy);
    free(data);
}

/* ------------------------------------------------------------- sections */

static void test_section_damage(void **state)
{
    size_t size;
    unsigned char *data = good(&size), *copy = xmalloc(size);
    struct img_header *h = (struct img_header *) (void *) copy;

    (void) state;
#define FRESH() memcpy(copy, data, size)
    FRESH();
    section(copy, IMG_SEC_RULE)->length = (uint64_t) 1 << 62;
    reseal(copy, size);
    refused(copy, size, IMAGE_ERR_CORRUPT, "section RULE (offset");
    FRESH();
    section(copy, IMG_SEC_RULE)->offset = UINT64_MAX - 7;
    reseal(copy, size);
    refused(copy, size, IMAGE_ERR_CORRUPT, "runs past the end of the file");

    FRESH();
    section(copy, IMG_SEC_SRCS)->offset = section(copy, IMG_SEC_STRS)->offset;
    reseal(copy, size);
    refused(copy, size, IMAGE_ERR_CORRUPT, "section SRCS at offset");

    FRESH();
    section(copy, IMG_SEC_STRS)->offset += 4;
    reseal(copy, size);
    refused(copy, size, IMAGE_ERR_CORRUPT, "not a multiple of 8");

    FRESH();
    section(copy, IMG_SEC_ENTR)->length -= 4;
    reseal(copy, size);
    refused(copy, size, IMAGE_ERR_CORRUPT, "not a whole number of 16-byte records");

    FRESH();
    section(copy, IMG_SEC_ENTR)->tag = IMG_TAG('E', 'N', 'T', 'X');
    reseal(copy, size);
    refused(copy, size, IMAGE_ERR_CORRUPT, "unknown tag ENTX");

    FRESH();
    section(copy, IMG_SEC_ENTR)->tag = IMG_SEC_SLOT;
    reseal(copy, size);
    refused(copy, size, IMAGE_ERR_CORRUPT, "section SLOT appears twice");

    FRESH();
    section(copy, IMG_SEC_SUMS)->length -= 8;
    reseal(copy, size);
    refused(copy, size, IMAGE_ERR_CORRUPT, "section SUMS does not end the file");
    /* One checksum too many: SUMS 8 bytes longer, and the file. */
    unsigned char *longer = xcalloc(1, size + 8);
    memcpy(longer, data, size);
    section(longer, IMG_SEC_SUMS)->length += 8;
    ((struct img_header *) (void *) longer)->file_size += 8;
    reseal(longer, size + 8);
    refused(longer, size + 8, IMAGE_ERR_CORRUPT, "section SUMS: 2 checksums for 1 blocks");
    free(longer);

    FRESH();
    h->section_count = 1000000;
    reseal(copy, size);
    refused(copy, size, IMAGE_ERR_CORRUPT, "section table of 1000000 entries");

    /* A section left out altogether. */
    struct writer w;
    size_t size2;
    fixture(&w);
    unsigned char *no_pieces = w_finish(&w, IMG_S_PIEC, &size2);
    refused(no_pieces, size2, IMAGE_ERR_CORRUPT, "test.pfi: corrupt: section PIEC is missing");
    free(no_pieces);
    w_free(&w);
#undef FRESH
    free(copy);
    free(data);
}

/* -------------------------------------------------------------- strings */

static void pool_unterminated(struct writer *w)
{
    sb_adds(&w->sec[IMG_S_STRS], "tail");
}

static void pool_no_leading_nul(struct writer *w)
{
    w->sec[IMG_S_STRS].s[0] = 'x';
}

static void value_out_of_pool(struct writer *w)
{
    W_REC(w, IMG_S_ENTR, struct img_entry, 3)->value = (uint32_t) w->sec[IMG_S_STRS].len;
}

static void spec_out_of_pool(struct writer *w)
{
    W_REC(w, IMG_S_TABL, struct img_table, 2)->spec = 0xfffffff0u;
}

static void test_string_damage(void **state)
{
    (void) state;
    damaged(pool_unterminated, IMAGE_ERR_CORRUPT, "string pool does not end with a NUL");
    damaged(pool_no_leading_nul, IMAGE_ERR_CORRUPT, "string pool does not start with a NUL");
    damaged(value_out_of_pool, IMAGE_ERR_CORRUPT, "entry 3 (line 4): value string offset");
    damaged(spec_out_of_pool, IMAGE_ERR_CORRUPT, "table 2 spec: string offset 4294967280");
}

/* ---------------------------------------------------------------- tables */

static uint32_t *hash_slots(struct writer *w, uint32_t *count)
{
    struct img_table *t = W_REC(w, IMG_S_TABL, struct img_table, T_HASH);

    *count = (uint32_t) 1 << t->d;
    return W_REC(w, IMG_S_SLOT, uint32_t, t->c);
}

static void slot_out_of_range(struct writer *w)
{
    uint32_t n, *s = hash_slots(w, &n);

    for (uint32_t i = 0; i < n; i++)
	if (s[i] != 0) {
	    s[i] = 105;		/* 104 entries */
	    return;
	}
}

static void entry_in_two_slots(struct writer *w)
{
    uint32_t n, *s = hash_slots(w, &n), full = IMG_NONE;

    for (uint32_t i = 0; i < n; i++)
	if (s[i] != 0)
	    full = s[i];
	else if (full != IMG_NONE) {
	    s[i] = full;
	    return;
	}
}

/* entry_off_chain - move an entry to an empty slot its probe never reaches */
static void entry_off_chain(struct writer *w)
{
    uint32_t n, *s = hash_slots(w, &n);

    for (uint32_t i = 0; i < n; i++) {
	uint32_t j = (i + n / 2) % n;
	if (s[i] != 0 && s[j] == 0 && s[(j + n - 1) % n] == 0) {
	    s[j] = s[i];
	    s[i] = 0;
	    return;
	}
    }
}

static void no_empty_slot(struct writer *w)
{
    /* texthash: 3 entries in 8 slots; fill them all */
    struct img_table *t = W_REC(w, IMG_S_TABL, struct img_table, T_TEXTHASH);
    uint32_t *s = W_REC(w, IMG_S_SLOT, uint32_t, t->c);

    for (uint32_t i = 0; i < ((uint32_t) 1 << t->d); i++)
	s[i] = i % t->b + 1;
}

static void too_few_slots(struct writer *w)
{
    W_REC(w, IMG_S_TABL, struct img_table, T_HASH)->d = 7;	/* 128 < 2 * 104 */
}

static void unknown_kind(struct writer *w)
{
    W_REC(w, IMG_S_TABL, struct img_table, T_STATIC)->kind = 42;
}

static void list_with_count(struct writer *w)
{
    struct img_table *t = W_REC(w, IMG_S_TABL, struct img_table, T_STATIC);
    t->kind = IMG_TABLE_LIST;
    t->b = 1;
}

static void list_outside_pool(struct writer *w)
{
    struct img_table *t = W_REC(w, IMG_S_TABL, struct img_table, T_STATIC);
    t->kind = IMG_TABLE_LIST;
    t->a = 0x7fffffff;
}

static void unsorted_tables(struct writer *w)
{
    W_REC(w, IMG_S_TABL, struct img_table, T_FAIL)->spec = w_str(w, "zzz:last");
}

static void union_in_itself(struct writer *w)
{
    struct img_table *t = W_REC(w, IMG_S_TABL, struct img_table, T_UNION1);

    *W_REC(w, IMG_S_TREF, uint32_t, t->a) = T_UNION1;
}

static void ref_out_of_range(struct writer *w)
{
    *W_REC(w, IMG_S_TREF, uint32_t, 0) = NTABLES;
}

static void entries_out_of_range(struct writer *w)
{
    W_REC(w, IMG_S_TABL, struct img_table, T_TEXTHASH)->b = 0xffffffffu;
}

static void test_table_damage(void **state)
{
    (void) state;
    damaged(slot_out_of_range, IMAGE_ERR_CORRUPT,
	    "table 2 (hash:/etc/postfix/virtual): slot");
    damaged(slot_out_of_range, IMAGE_ERR_CORRUPT, "names entry 104 of 104");
    damaged(entry_in_two_slots, IMAGE_ERR_CORRUPT, "is in two slots");
    damaged(entry_off_chain, IMAGE_ERR_CORRUPT, "outside the probe chain");
    damaged(no_empty_slot, IMAGE_ERR_CORRUPT,
	    "table 8 (texthash:/etc/postfix/plain): no empty slot");
    damaged(too_few_slots, IMAGE_ERR_CORRUPT, "2^7 slots for 104 entries");
    damaged(unknown_kind, IMAGE_ERR_CORRUPT, "table 7 (static:OK): unknown kind 42");
    /* A match list's file: its lines are a string, and nothing else is used. */
    damaged(list_with_count, IMAGE_ERR_CORRUPT, "table 7 (static:OK): unused fields are not zero");
    damaged(list_outside_pool, IMAGE_ERR_CORRUPT, "table 7 (static:OK) lines: string offset");
    damaged(unsorted_tables, IMAGE_ERR_CORRUPT, "not sorted after");
    damaged(union_in_itself, IMAGE_ERR_CORRUPT, "nested in themselves");
    damaged(ref_out_of_range, IMAGE_ERR_CORRUPT, "table reference 0 names table 11 of 11");
    damaged(entries_out_of_range, IMAGE_ERR_CORRUPT, "entries 104..+4294967295 outside ENTR");
}

/* ----------------------------------------------------------------- rules */

static struct img_rule *regexp_rule(struct writer *w, uint32_t i)
{
    return W_REC(w, IMG_S_RULE, struct img_rule, W_REC(w, IMG_S_TABL, struct img_table, T_REGEXP)->a + i);
}

static void if_backwards(struct writer *w)
{
    regexp_rule(w, 0)->next = 0;
}

static void if_too_far(struct writer *w)
{
    regexp_rule(w, 0)->next = 6;
}

static void match_jumps(struct writer *w)
{
    regexp_rule(w, 3)->next = 4;
}

static void unknown_rule_op(struct writer *w)
{
    regexp_rule(w, 3)->op = 7;
}

static void bad_regexp(struct writer *w)
{
    regexp_rule(w, 3)->pattern = w_str(w, "(unclosed");
}

static void bad_pcre(struct writer *w)
{
    W_REC(w, IMG_S_RULE, struct img_rule, W_REC(w, IMG_S_TABL, struct img_table, T_PCRE)->a)->pattern
	= w_str(w, "a(?<");
}

static struct img_net *cidr_net(struct writer *w, uint32_t i)
{
    return W_REC(w, IMG_S_NETS, struct img_net, W_REC(w, IMG_S_TABL, struct img_table, T_CIDR)->c + i);
}

/* The pattern text is for people: nothing parses it (a bad one verifies). */
static void cidr_text_is_text(struct writer *w)
{
    W_REC(w, IMG_S_RULE, struct img_rule, 0)->pattern = w_str(w, "300.1.1.0/24");
}

static void net_family(struct writer *w)
{
    cidr_net(w, 0)->family = 5;
}

static void net_prefix(struct writer *w)
{
    cidr_net(w, 0)->prefix = 33;
}

static void net_host_bits(struct writer *w)
{
    cidr_net(w, 0)->addr[3] = 1;	/* 192.168.0.1/16 */
}

static void net_v4_tail(struct writer *w)
{
    cidr_net(w, 2)->addr[12] = 1;
}

static void net_reserved(struct writer *w)
{
    cidr_net(w, 1)->reserved[1] = 1;
}

static void net_missing(struct writer *w)
{
    memset(cidr_net(w, 1), 0, sizeof(struct img_net));
}

static void nets_out_of_range(struct writer *w)
{
    W_REC(w, IMG_S_TABL, struct img_table, T_CIDR)->c = 1;
}

static void group_too_big(struct writer *w)
{
    struct img_rule *r = regexp_rule(w, 1);

    W_REC(w, IMG_S_PIEC, struct img_piece, r->pieces_first)->group = 3;
    r->max_group = 3;
}

static void max_group_wrong(struct writer *w)
{
    regexp_rule(w, 1)->max_group = 1;
}

static void piece_outside_result(struct writer *w)
{
    struct img_rule *r = regexp_rule(w, 1);

    W_REC(w, IMG_S_PIEC, struct img_piece, r->pieces_first + 1)->len = 2;	/* result is "!" */
}

static void negated_with_groups(struct writer *w)
{
    regexp_rule(w, 1)->flags = IMG_RULE_NEGATE;
}

static void rule_in_two_tables(struct writer *w)
{
    W_REC(w, IMG_S_TABL, struct img_table, T_PCRE)->a = W_REC(w, IMG_S_TABL, struct img_table, T_REGEXP)->a;
}

static void test_rule_damage(void **state)
{
    (void) state;
    damaged(if_backwards, IMAGE_ERR_CORRUPT,
	    "table 6 (regexp:/etc/postfix/rewrite): rule 0 (line 10): IF jumps to rule 0");
    damaged(if_too_far, IMAGE_ERR_CORRUPT, "IF jumps to rule 6 (it must jump forward, to at most 5)");
    damaged(match_jumps, IMAGE_ERR_CORRUPT, "only an IF jumps");
    damaged(unknown_rule_op, IMAGE_ERR_CORRUPT, "rule 3 (line 13): unknown op 7");
    damaged(bad_regexp, IMAGE_ERR_CORRUPT,
	    "test.pfi: corrupt: table 6 (regexp:/etc/postfix/rewrite): rule 3 (line 13):"
	    " pattern does not compile: ");
    damaged(bad_pcre, IMAGE_ERR_CORRUPT,
	    "table 4 (pcre:/etc/postfix/checks.pcre): rule 0 (line 10): pattern does not"
	    " compile: error in regex at offset");
    damaged(net_family, IMAGE_ERR_CORRUPT,
	    "table 0 (cidr:/etc/postfix/clients): rule 0 (line 10): network 0: unknown family 5");
    damaged(net_prefix, IMAGE_ERR_CORRUPT,
	    "rule 0 (line 10): network 0: prefix /33 is longer than an IPv4 address");
    damaged(net_host_bits, IMAGE_ERR_CORRUPT,
	    "rule 0 (line 10): network 0: non-null host address bits past /16");
    damaged(net_v4_tail, IMAGE_ERR_CORRUPT,
	    "rule 2 (line 12): network 2: non-null host address bits past /8");
    damaged(net_reserved, IMAGE_ERR_CORRUPT, "network 1: reserved bytes are not zero");
    damaged(net_missing, IMAGE_ERR_CORRUPT,
	    "rule 1 (line 11): network 1: a rule without a network");
    damaged(nets_out_of_range, IMAGE_ERR_CORRUPT,
	    "table 0 (cidr:/etc/postfix/clients): networks 1..+3 outside NETS (3)");
    damaged(group_too_big, IMAGE_ERR_CORRUPT, "the result names group 3, the pattern has 2");
    damaged(max_group_wrong, IMAGE_ERR_CORRUPT, "largest group is 2, the rule says 1");
    damaged(piece_outside_result, IMAGE_ERR_CORRUPT, "is outside the result (1 bytes)");
    damaged(negated_with_groups, IMAGE_ERR_CORRUPT, "$2 in a rule that has no groups");
    damaged(rule_in_two_tables, IMAGE_ERR_CORRUPT, "also belongs to");
}

/* -------------------------------------------------------------- programs */

static void unknown_insn_op(struct writer *w)
{
    W_REC(w, IMG_S_INSN, struct img_insn, 1)->op = RESTR_COUNT;
}

static void implicit_without_table(struct writer *w)
{
    W_REC(w, IMG_S_INSN, struct img_insn, 1)->flags = IMG_INSN_IMPLICIT;
}

static void unknown_insn_flag(struct writer *w)
{
    W_REC(w, IMG_S_INSN, struct img_insn, 2)->flags = 2;
}

static void domain_outside_pool(struct writer *w)
{
    W_REC(w, IMG_S_INSN, struct img_insn, 3)->arg = 0xfffffff0u;
}

/* A number where a table goes: the op says table, so it is one. */
static void table_for_number(struct writer *w)
{
    W_REC(w, IMG_S_INSN, struct img_insn, 2)->op = RESTR_SLEEP;
    W_REC(w, IMG_S_INSN, struct img_insn, 3)->op = RESTR_CHECK_CLIENT_ACCESS;
}

static void table_arg_out_of_range(struct writer *w)
{
    W_REC(w, IMG_S_INSN, struct img_insn, 2)->arg = NTABLES;
}

static void class_out_of_range(struct writer *w)
{
    W_REC(w, IMG_S_INSN, struct img_insn, 4)->arg = 2;
}

static void plain_with_arg(struct writer *w)
{
    W_REC(w, IMG_S_INSN, struct img_insn, 1)->arg = 1;
}

static void insns_out_of_range(struct writer *w)
{
    W_REC(w, IMG_S_PROG, struct img_program, 1)->insns_count = 5;
}

static void service_out_of_range(struct writer *w)
{
    W_REC(w, IMG_S_PROG, struct img_program, 1)->service = 1;
}

static void unsorted_params(struct writer *w)
{
    W_REC(w, IMG_S_PARM, struct img_setting, 0)->name = w_str(w, "zzz");
}

static void bad_origin(struct writer *w)
{
    W_REC(w, IMG_S_OVRD, struct img_setting, 0)->origin = 3;
}

static void derived_parameter(struct writer *w)
{
    W_REC(w, IMG_S_PARM, struct img_setting, 0)->flags |= IMG_SETTING_DERIVED;
}

static void override_not_derived(struct writer *w)
{
    W_REC(w, IMG_S_OVRD, struct img_setting, 0)->origin = IMG_ORIGIN_MAIN;
}

static void derived_override(struct writer *w)
{
    W_REC(w, IMG_S_OVRD, struct img_setting, 0)->flags |= IMG_SETTING_DERIVED;
}

static void overrides_out_of_range(struct writer *w)
{
    W_REC(w, IMG_S_SERV, struct img_service, 0)->overrides_count = 2;
}

static void test_program_damage(void **state)
{
    (void) state;
    char msg[64];
    snprintf(msg, sizeof(msg), "instruction 1 (line 7): unknown restriction %u", RESTR_COUNT);
    damaged(unknown_insn_op, IMAGE_ERR_CORRUPT, msg);
    damaged(implicit_without_table, IMAGE_ERR_CORRUPT,
	    "instruction 1 (permit_mynetworks, line 7): flags 0x1");
    damaged(unknown_insn_flag, IMAGE_ERR_CORRUPT,
	    "instruction 2 (check_sender_access, line 7): flags 0x2");
    damaged(domain_outside_pool, IMAGE_ERR_CORRUPT,
	    "instruction 3 (reject_rbl_client, line 7) argument: string offset");
    damaged(table_for_number, IMAGE_ERR_CORRUPT,
	    "instruction 3 (check_client_access, line 7): table");
    damaged(table_arg_out_of_range, IMAGE_ERR_CORRUPT,
	    "instruction 2 (check_sender_access, line 7): table 11 of 11");
    damaged(class_out_of_range, IMAGE_ERR_CORRUPT, "program 2 of 2");
    damaged(plain_with_arg, IMAGE_ERR_CORRUPT, "an argument where there is none");
    damaged(insns_out_of_range, IMAGE_ERR_CORRUPT, "instructions 1..+5 outside INSN (5)");
    damaged(service_out_of_range, IMAGE_ERR_CORRUPT, "service 1 of 1");
    damaged(unsorted_params, IMAGE_ERR_CORRUPT, "parameter 1 (inet_interfaces): not sorted");
    damaged(bad_origin, IMAGE_ERR_CORRUPT, "override 0 (smtpd_client_restrictions): unknown origin 3");
    /* A derived value is main.cf's or a default's, in OVRD only; an -o is never one. */
    damaged(derived_parameter, IMAGE_ERR_CORRUPT, "with the DERIVED flag");
    damaged(override_not_derived, IMAGE_ERR_CORRUPT,
	    "override 0 (smtpd_client_restrictions): origin 1 without the DERIVED flag");
    damaged(derived_override, IMAGE_ERR_CORRUPT,
	    "override 0 (smtpd_client_restrictions): origin 2 with the DERIVED flag");
    damaged(overrides_out_of_range, IMAGE_ERR_CORRUPT, "service 0 (smtp): overrides 0..+2");
}

/* test_list - a match list's file (LIST: its lines) verifies, and is no lookup table */
static void test_list(void **state)
{
    struct writer w;
    size_t size;
    struct image *img;
    char *err = NULL;

    (void) state;
    fixture(&w);
    W_REC(&w, IMG_S_TABL, struct img_table, T_STATIC)->kind = IMG_TABLE_LIST;
    unsigned char *data = w_finish(&w, -1, &size);
    assert_int_equal(load(data, size, &img, &err), IMAGE_OK);
    assert_null(err);
    assert_int_equal(img->tables[T_STATIC].kind, IMG_TABLE_LIST);
    image_close(img);
    free(data);
    w_free(&w);
}

/* test_derived - a derived value (main.cf's, in a service's OVRD run) verifies */
static void test_derived(void **state)
{
    struct writer w;
    size_t size;
    struct image *img;
    char *err = NULL;

    (void) state;
    fixture(&w);
    derived_override(&w);
    W_REC(&w, IMG_S_OVRD, struct img_setting, 0)->origin = IMG_ORIGIN_MAIN;
    unsigned char *data = w_finish(&w, -1, &size);
    assert_int_equal(load(data, size, &img, &err), IMAGE_OK);
    assert_null(err);
    assert_true(img->overrides[0].flags & IMG_SETTING_DERIVED);
    image_close(img);
    free(data);
    w_free(&w);
}

/* ------------------------------------------------------ entries, host */

/* w_reindex - table t's slots made again from its entries' stored hashes */
static void w_reindex(struct writer *w, uint32_t t)
{
    struct img_table *tb = W_REC(w, IMG_S_TABL, struct img_table, t);
    uint32_t *slots = W_REC(w, IMG_S_SLOT, uint32_t, tb->c), mask = (1u << tb->d) - 1;

    memset(slots, 0, ((size_t) mask + 1) * sizeof(uint32_t));
    for (uint32_t i = 0; i < tb->b; i++) {
	uint32_t s = W_REC(w, IMG_S_ENTR, struct img_entry, tb->a + i)->hash & mask;
	while (slots[s] != 0)
	    s = (s + 1) & mask;
	slots[s] = i + 1;
    }
}

/*
 * A crafted image: an entry whose stored hash is not its key's, placed
 * consistently with the wrong one. The slots are all in order, so only
 * hashing the key again shows that no lookup of "Key" can find it.
 */
static void entry_wrong_hash(struct writer *w)
{
    struct img_table *t = W_REC(w, IMG_S_TABL, struct img_table, T_TEXTHASH);

    W_REC(w, IMG_S_ENTR, struct img_entry, t->a)->hash ^= 0x5a5a5a5au;
    w_reindex(w, T_TEXTHASH);
}

static struct img_setting *param(struct writer *w, uint32_t i)
{
    return W_REC(w, IMG_S_PARM, struct img_setting, i);
}

static struct img_host_piece *piece_of(struct writer *w, uint32_t p, uint32_t k)
{
    return W_REC(w, IMG_S_HOST, struct img_host_piece, param(w, p)->host_first + k);
}

static void host_without_pieces(struct writer *w)
{
    param(w, P_MYHOSTNAME)->host_count = 0;
}

static void pieces_without_host(struct writer *w)
{
    param(w, P_SMTPUTF8)->host_first = param(w, P_MYHOSTNAME)->host_first;
    param(w, P_SMTPUTF8)->host_count = 1;
}

static void host_unknown_kind(struct writer *w)
{
    piece_of(w, P_SMTPD_BANNER, 2)->kind = 9;
}

static void host_text_outside(struct writer *w)
{
    piece_of(w, P_SMTPD_BANNER, 1)->text = 0xfffffff0u;
}

static void host_networks_text(struct writer *w)
{
    piece_of(w, P_MYNETWORKS, 1)->text = 1;
}

static void host_only_text(struct writer *w)
{
    piece_of(w, P_MYHOSTNAME, 0)->kind = IMG_HOST_TEXT;
}

static void host_expanded(struct writer *w)
{
    param(w, P_SMTPD_BANNER)->expanded = w_str(w, "mail.example.org ESMTP");
}

/* mynetworks computed from a parameter that needs mynetworks: a loop */
static void host_networks_loop(struct writer *w)
{
    struct img_setting *s = param(w, P_INET_INTERFACES);

    s->flags = IMG_SETTING_HOST;
    s->expanded = s->raw;
    s->host_first = param(w, P_MYNETWORKS)->host_first;
    s->host_count = 2;
}

static void host_run_outside(struct writer *w)
{
    param(w, P_MYHOSTNAME)->host_count = 99;
}

static void test_entry_and_host_damage(void **state)
{
    (void) state;
    damaged(entry_wrong_hash, IMAGE_ERR_CORRUPT,
	    "entry 104 (line 1): hash 0x");
    damaged(entry_wrong_hash, IMAGE_ERR_CORRUPT, ", but its key Key hashes to 0x");
    damaged(host_without_pieces, IMAGE_ERR_CORRUPT,
	    "parameter 3 (myhostname): HOST without host pieces");
    damaged(pieces_without_host, IMAGE_ERR_CORRUPT,
	    "parameter 7 (smtputf8_enable): host pieces without the HOST flag");
    damaged(host_unknown_kind, IMAGE_ERR_CORRUPT,
	    "parameter 6 (smtpd_banner): host piece 2: unknown kind 9");
    damaged(host_text_outside, IMAGE_ERR_CORRUPT,
	    "parameter 6 (smtpd_banner) host piece 1: string offset 4294967280 is outside");
    damaged(host_networks_text, IMAGE_ERR_CORRUPT,
	    "parameter 4 (mynetworks): host piece 5 (mynetworks) has text");
    damaged(host_only_text, IMAGE_ERR_CORRUPT,
	    "parameter 3 (myhostname): HOST, but none of its pieces comes from the host");
    damaged(host_expanded, IMAGE_ERR_CORRUPT,
	    "parameter 6 (smtpd_banner): HOST, but the expanded value is not the raw one");
    damaged(host_networks_loop, IMAGE_ERR_CORRUPT,
	    "parameter 1 (inet_interfaces): host piece 5: mynetworks is computed from this"
	    " parameter, it cannot use mynetworks");
    damaged(host_run_outside, IMAGE_ERR_CORRUPT,
	    "parameter 3 (myhostname): host pieces 3..+99 outside HOST (6)");
}

/* --------------------------------------------------------------- lookups */

struct fixture_image {
    unsigned char *data;
    struct image *img;
    struct image_lookup_buf buf;
};

/* setup - the fixture image, verified whole (lazy 0) or for lookups (lazy 1) */
static int setup(void **state, int lazy)
{
    struct fixture_image *f = xcalloc(1, sizeof(*f));
    size_t size;
    char *err = NULL;

    f->data = good(&size);
    if ((lazy ? image_from_memory_lazy(f->data, size, "test.pfi", &f->img, &err)
	 : load(f->data, size, &f->img, &err)) != IMAGE_OK) {
	fprintf(stderr, "%s\n", err);
	return -1;
    }
    *state = f;
    return 0;
}

static int setup_full(void **state)
{
    return setup(state, 0);
}

static int setup_lazy(void **state)
{
    return setup(state, 1);
}

static int teardown_lookups(void **state)
{
    struct fixture_image *f = *state;

    image_lookup_done(&f->buf);
    image_close(f->img);
    free(f->data);
    free(f);
    return 0;
}

/*
 * answers - key finds want in table (want NULL: not found), the same
 * through image_lookup() and through the prefetch pipeline's calls
 */
static void answers(struct fixture_image *f, uint32_t table, const char *key, const char *want)
{
    const char *value = NULL;
    uint32_t hash = image_prefetch_start(f->img, table, key, &f->buf);
    int status = image_lookup_prefetched(f->img, table, key, hash, &value, &f->buf);
    char *prefetched = value ? strdup(value) : NULL;

    if (image_lookup(f->img, table, key, &value, &f->buf) != status
	|| (status == IMAGE_FOUND && strcmp(prefetched, value) != 0))
	fail_msg("%s: \"%s\": image_lookup_prefetched() answers otherwise",
		 image_str(f->img, f->img->tables[table].spec), key);
    free(prefetched);

    if (want == NULL) {
	if (status != IMAGE_NOTFOUND)
	    fail_msg("%s: \"%s\": expected not found, got %d (%s)",
		     image_str(f->img, f->img->tables[table].spec), key, status,
		     value ? value : "");
	return;
    }
    if (status != IMAGE_FOUND || strcmp(value, want) != 0)
	fail_msg("%s: \"%s\": expected \"%s\", got %d (%s)",
		 image_str(f->img, f->img->tables[table].spec), key, want, status,
		 value ? value : "");
}

static void fails(struct fixture_image *f, uint32_t table, const char *key, const char *why)
{
    const char *value = "x";

    assert_int_equal(image_lookup(f->img, table, key, &value, &f->buf), IMAGE_FAIL);
    assert_null(value);
    assert_non_null(f->buf.error);
    assert_string_equal(f->buf.error, why);
}

static void test_exact(void **state)
{
    struct fixture_image *f = *state;

    answers(f, T_HASH, "alice@example.com", "alice");
    answers(f, T_HASH, "ALICE@Example.COM", "alice");	/* folded */
    answers(f, T_HASH, "Stra\xc3\x9f" "e@example.com", "street");	/* UTF-8 folded */
    answers(f, T_HASH, "carol@example.com", NULL);
    answers(f, T_HASH, "", NULL);
    for (int i = 0; i < 100; i++) {
	char key[40], value[40];
	snprintf(key, sizeof(key), "USER%d@example.com", i);
	snprintf(value, sizeof(value), "mbox %d", i);
	answers(f, T_HASH, key, value);
    }
    answers(f, T_HASH, "\xff@example.com", NULL);	/* not UTF-8: not looked up */
    answers(f, T_TEXTHASH, "Key", "v1");
    answers(f, T_TEXTHASH, "key", NULL);	/* not folded */
    answers(f, T_TEXTHASH, "empty", "");
    fails(f, T_TEXTHASH, "latin1", "");	/* a configuration error: no details */
    answers(f, T_TEXTHASH, "\xe9", NULL);
}

static void test_regexp(void **state)
{
    struct fixture_image *f = *state;

    answers(f, T_REGEXP, "user-bob@example.com", "example.com!bob");
    answers(f, T_REGEXP, "USER-Bob@X", "X!Bob");	/* case-insensitive by default */
    answers(f, T_REGEXP, "abc", "no-x");	/* IF fails: jumps past ENDIF */
    answers(f, T_REGEXP, "axe", "A-not-AB");	/* /a/!/b/ */
    answers(f, T_REGEXP, "abx", NULL);
    answers(f, T_REGEXP, "user-x", NULL);	/* inside the IF, no rule; then x */
    answers(f, T_REGEXP, "user-y", "no-x");
    /* The answer survives in the buffer until the next lookup. */
    const char *value;
    assert_int_equal(image_lookup(f->img, T_REGEXP, "user-a@b", &value, &f->buf), IMAGE_FOUND);
    assert_string_equal(value, "b!a");
}

static void test_pcre(void **state)
{
    struct fixture_image *f = *state;

    answers(f, T_PCRE, "10.20", "v10-20");
    answers(f, T_PCRE, "Subject: hello there", "REJECT hello there");
    answers(f, T_PCRE, "10.x", NULL);
}

static void test_cidr(void **state)
{
    struct fixture_image *f = *state;

    answers(f, T_CIDR, "192.168.1.2", "OK");
    answers(f, T_CIDR, "2001:db8::1", "V6");
    answers(f, T_CIDR, "10.1.2.3", NULL);
    answers(f, T_CIDR, "8.8.8.8", "not-ten");
    answers(f, T_CIDR, "::1", NULL);	/* another family: even "!" fails */
    answers(f, T_CIDR, "not an address", NULL);
    answers(f, T_CIDR, "192.168.1", NULL);
}

static void test_composites(void **state)
{
    struct fixture_image *f = *state;

    answers(f, T_STATIC, "anything", "OK");
    answers(f, T_UNION1, "ALICE@example.com", "alice,OK");
    answers(f, T_UNION1, "nobody", "OK");
    fails(f, T_UNION2, "x", "Application error");
    fails(f, T_FAIL, "x", "Application error");
    answers(f, T_PIPE, "PIPE@x", "site!joe");	/* hash, then regexp with $n */
    answers(f, T_PIPE, "alice@example.com", "A-not-AB");
    answers(f, T_PIPE, "nobody", NULL);
    fails(f, T_LMDB, "x", "table lmdb:/etc/postfix/big is not compiled into the image"
	  " (pfc does not read lmdb tables)");

    /* A key that is the last answer, in the buffer that will hold the next. */
    const char *value;
    assert_int_equal(image_lookup(f->img, T_HASH, "pipe@x", &value, &f->buf), IMAGE_FOUND);
    assert_int_equal(image_lookup(f->img, T_UNION1, "alice@example.com", &value, &f->buf),
		     IMAGE_FOUND);
    assert_int_equal(image_lookup(f->img, T_UNION1, value, &value, &f->buf), IMAGE_FOUND);
    assert_string_equal(value, "OK");
}

/* "/^a/!//": an empty second pattern (pool offset 0) matches every key */
static void test_empty_second_pattern(void **state)
{
    struct writer w;
    struct fixture_image f = { NULL, NULL, { 0 } };
    size_t size;
    char *err = NULL;

    (void) state;
    fixture(&w);
    regexp_rule(&w, 3)->pattern2 = 0;
    f.data = w_finish(&w, -1, &size);
    assert_int_equal(load(f.data, size, &f.img, &err), IMAGE_OK);
    answers(&f, T_REGEXP, "axe", NULL);	/* "^a" matches, "" too: never */
    answers(&f, T_REGEXP, "abc", "no-x");
    image_lookup_done(&f.buf);
    image_close(f.img);
    free(f.data);
    w_free(&w);
}

/* The cidr rules' text is for people; lookups use the binary networks. */
static void test_cidr_binary(void **state)
{
    struct writer w;
    struct fixture_image f = { NULL, NULL, { 0 } };
    size_t size;
    char *err = NULL;

    (void) state;
    fixture(&w);
    cidr_text_is_text(&w);
    f.data = w_finish(&w, -1, &size);
    assert_int_equal(load(f.data, size, &f.img, &err), IMAGE_OK);
    answers(&f, T_CIDR, "192.168.1.2", "OK");
    answers(&f, T_CIDR, "10.1.2.3", NULL);
    image_lookup_done(&f.buf);
    image_close(f.img);
    free(f.data);
    w_free(&w);
}

/* setting_value - a parameter's value on this host, as image_host.h computes it */
static char *setting_value(const struct image *img, uint32_t p, struct image_host *host,
			   char **err)
{
    return image_setting_value(img, &img->params[p], host, err);
}

/* domain_of - for host_myhostname(): the domain ctx names ("": none) */
static char *domain_of(void *ctx)
{
    const char *domain = ctx;

    return *domain ? xstrdup(domain) : NULL;
}

static void test_host_values(void **state)
{
    struct fixture_image *f = *state;
    struct image_host host;
    char *err, *value, *hostname, *networks;
    struct strbuf want = STRBUF_INIT;

    image_host_init(&host, "smtpd", 4242);
    hostname = host_myhostname(domain_of, (void *) "example.org");
    sb_printf(&want, "%s ESMTP smtpd", hostname);
    value = setting_value(f->img, P_SMTPD_BANNER, &host, &err);
    assert_string_equal(value, sb_str(&want));
    free(value);
    free(hostname);

    hostname = host_myhostname(domain_of, (void *) "");	/* text "": localdomain */
    value = setting_value(f->img, P_MYHOSTNAME, &host, &err);
    assert_string_equal(value, hostname);
    free(value);
    free(hostname);

    networks = host_mynetworks("loopback-only", "host", "ipv4", &err);
    assert_non_null(networks);
    sb_reset(&want);
    sb_printf(&want, "10.9.0.0/16 %s", networks);
    value = setting_value(f->img, P_MYNETWORKS, &host, &err);
    assert_string_equal(value, sb_str(&want));
    free(value);
    free(networks);

    /* Not from the host: the expanded value. */
    value = setting_value(f->img, P_ALIAS_MAPS, &host, &err);
    assert_string_equal(value, "hash:/etc/postfix/virtual");
    free(value);
    image_host_free(&host);
    sb_free(&want);
}

/* mynetworks from values Postfix refuses, or from none: an error, no value */
static void no_interfaces(struct writer *w)
{
    param(w, P_INET_INTERFACES)->name = w_str(w, "inet_interfacez");
}

static void bad_style(struct writer *w)
{
    param(w, P_MYNETWORKS_STYLE)->expanded = w_str(w, "bogus");
}

static void host_error(void (*change)(struct writer *w), const char *want)
{
    struct writer w;
    struct image *img;
    struct image_host host;
    size_t size;
    char *err = NULL;

    fixture(&w);
    change(&w);
    unsigned char *data = w_finish(&w, -1, &size);
    assert_int_equal(load(data, size, &img, &err), IMAGE_OK);
    image_host_init(&host, "smtpd", 1);
    assert_null(setting_value(img, P_MYNETWORKS, &host, &err));
    assert_non_null(err);
    if (strstr(err, want) == NULL)
	fail_msg("expected \"%s\", got \"%s\"", want, err);
    free(err);
    image_host_free(&host);
    image_close(img);
    free(data);
    w_free(&w);
}

static void test_host_errors(void **state)
{
    (void) state;
    host_error(no_interfaces, "mynetworks: the image has no inet_interfaces to compute it from");
    host_error(bad_style, "unknown mynetworks mask style value \"bogus\" in \"bogus\"");
}

/* ------------------------------------------------------------- lazy */

#define BIG 30000		/* entries: the body spans a few dozen blocks */

/*
 * big_image - a table of BIG entries ("key00042" = a long value), a
 * regexp table whose only pattern does not compile, and their union;
 * change() (NULL: none) alters it before the layout
 */
static unsigned char *big_image(size_t *size, void (*change)(struct writer *w))
{
    struct writer w;
    struct img_table t[3];
    static char keys[BIG][16], values[BIG][64];
    static const char *kv[2 * BIG];

    w_init(&w);
    memset(t, 0, sizeof(t));
    t[0].spec = w_str(&w, "hash:/big");
    t[1].spec = w_str(&w, "regexp:/bad");
    t[2].spec = w_str(&w, "unionmap:{hash:/big, regexp:/bad}");
    for (int i = 0; i < BIG; i++) {
	snprintf(keys[i], sizeof(keys[i]), "key%05d", i);
	snprintf(values[i], sizeof(values[i]), "value %05d, long enough to fill blocks", i);
	kv[2 * i] = keys[i];
	kv[2 * i + 1] = values[i];
    }
    t[0].source = t[1].source = t[2].source = IMG_NONE;
    w_exact(&w, &t[0], kv, BIG);
    static const struct r bad[] = {
	{ IMG_RULE_MATCH, "(unclosed", RE_DEFAULT, 0, NULL, 0, "x", NULL, 0 },
    };
    w_rules(&w, &t[1], IMG_TABLE_REGEXP, bad, 1);
    t[2].kind = IMG_TABLE_UNION;
    t[2].a = 0;
    t[2].b = 2;
    uint32_t refs[] = { 0, 1 };
    w_add(&w, IMG_S_TREF, &refs[0], sizeof(refs[0]));
    w_add(&w, IMG_S_TREF, &refs[1], sizeof(refs[1]));
    for (int i = 0; i < 3; i++)
	w_add(&w, IMG_S_TABL, &t[i], sizeof(t[i]));
    if (change != NULL)
	change(&w);
    unsigned char *data = w_finish(&w, -1, size);
    w_free(&w);
    return data;
}

/* lazy_lookup - key in table t of a lazy image: the status, the answer or the refusal */
static int lazy_lookup(const struct image *img, uint32_t t, const char *key, char **out)
{
    struct image_lookup_buf buf;
    const char *value = NULL;

    memset(&buf, 0, sizeof(buf));
    int status = image_lookup(img, t, key, &value, &buf);
    *out = xstrdup(status == IMAGE_FOUND ? value : buf.error ? buf.error : "");
    image_lookup_done(&buf);
    return status;
}

/* lazy_answers - key in table t of a lazy image: status, and the answer or refusal has want */
static void lazy_answers(const struct image *img, uint32_t t, const char *key, int status,
			 const char *want)
{
    char *got;
    int st = lazy_lookup(img, t, key, &got);

    if (st != status || strstr(got, want) == NULL)
	fail_msg("%s: expected %d with \"%s\", got %d: %s", key, status, want, st, got);
    free(got);
}

static struct img_entry *big_entry(struct writer *w, const char *key)
{
    for (uint32_t i = 0; i < BIG; i++) {
	struct img_entry *e = W_REC(w, IMG_S_ENTR, struct img_entry, i);
	if (strcmp(w->sec[IMG_S_STRS].s + e->key, key) == 0)
	    return e;
    }
    fail_msg("no entry %s", key);
    return NULL;
}

static uint32_t *home_slot(struct writer *w, const char *key)
{
    const struct img_table *t = W_REC(w, IMG_S_TABL, struct img_table, 0);

    return W_REC(w, IMG_S_SLOT, uint32_t,
		 t->c + (img_hash(key, strlen(key)) & ((1u << t->d) - 1)));
}

static void slot_too_far(struct writer *w)
{
    *home_slot(w, "key20000") = BIG + 5;
}

static void key_outside_pool(struct writer *w)
{
    big_entry(w, "key20000")->key = 0xfffffff0u;
}

static void all_slots_full(struct writer *w)
{
    const struct img_table *t = W_REC(w, IMG_S_TABL, struct img_table, 0);

    for (uint32_t i = 0; i < (1u << t->d); i++)
	*W_REC(w, IMG_S_SLOT, uint32_t, t->c + i) = i % BIG + 1;
}

/*
 * A lazy image checks what a lookup reads, as it reads it: a table
 * whose pattern does not compile is refused when it is first asked (the
 * full pass refuses the whole image), damage in one block refuses the
 * lookups that read it and not the others, and a crafted slot or entry
 * is refused by the probe that reaches it.
 */
static void test_lazy(void **state)
{
    size_t size;
    unsigned char *data = big_image(&size, NULL);
    struct image *img;
    char *err = NULL, *got;

    (void) state;
    assert_true(size > 10 * IMG_BLOCK_SIZE);
    refused(data, size, IMAGE_ERR_CORRUPT, "table 1 (regexp:/bad): rule 0 (line 10):"
	    " pattern does not compile");
    assert_int_equal(image_from_memory_lazy(data, size, "big.pfi", &img, &err), IMAGE_OK);
    lazy_answers(img, 0, "key12345", IMAGE_FOUND, "value 12345, long");
    lazy_answers(img, 0, "KEY00001", IMAGE_NOTFOUND, "");
    lazy_answers(img, 1, "x", IMAGE_REFUSED, "big.pfi: corrupt: table 1 (regexp:/bad): rule 0"
		 " (line 10): pattern does not compile");
    lazy_answers(img, 2, "key00007", IMAGE_REFUSED, "pattern does not compile");
    /* Refused again, as long as it is asked (and nothing of the tries leaks). */
    lazy_answers(img, 1, "y", IMAGE_REFUSED, "pattern does not compile");
    image_close(img);

    /* A byte of one entry's value flipped, no checksum made again. */
    const char *value = memmem(data, size, "value 20000,", 12);
    assert_non_null(value);
    data[value - (const char *) data + 6] ^= 1;
    refused(data, size, IMAGE_ERR_CORRUPT, "test.pfi: corrupt: checksum mismatch in bytes");
    assert_int_equal(image_from_memory_lazy(data, size, "big.pfi", &img, &err), IMAGE_OK);
    lazy_answers(img, 0, "key00001", IMAGE_FOUND, "value 00001");
    lazy_answers(img, 0, "key20000", IMAGE_REFUSED, "big.pfi: corrupt: checksum mismatch in bytes");
    assert_int_equal(lazy_lookup(img, 0, "key20000", &got), IMAGE_REFUSED);
    free(got);
    image_close(img);
    free(data);

    /* Crafted, the checksums made right: the probe refuses what it reads. */
    static const struct {
	void (*change)(struct writer *w);
	const char *key, *want;
    } crafted[] = {
	{ slot_too_far, "key20000", "table 0 (hash:/big): slot " },
	{ key_outside_pool, "key20000", ": key string offset 4294967280 is outside" },
	{ all_slots_full, "nokey", "table 0 (hash:/big): no empty slot" },
    };
    for (size_t i = 0; i < sizeof(crafted) / sizeof(crafted[0]); i++) {
	data = big_image(&size, crafted[i].change);
	assert_int_equal(image_from_memory_lazy(data, size, "big.pfi", &img, &err), IMAGE_OK);
	lazy_answers(img, 0, "key00001", IMAGE_FOUND, "value 00001");
	lazy_answers(img, 0, crafted[i].key, IMAGE_REFUSED, crafted[i].want);
	image_close(img);
	free(data);
    }
}

/* -------------------------------------------------------- the sweeps */

/* sound_pattern - big_image()'s regexp made one that compiles: a good image */
static void sound_pattern(struct writer *w)
{
    W_REC(w, IMG_S_RULE, struct img_rule, 0)->pattern = w_str(w, "^x$");
}

static void early_hash(struct writer *w)
{
    sound_pattern(w);
    big_entry(w, "key00100")->hash ^= 1;
}

static void late_hash(struct writer *w)
{
    sound_pattern(w);
    big_entry(w, "key29000")->hash ^= 1;
}

static void both_hashes(struct writer *w)
{
    early_hash(w);
    big_entry(w, "key29000")->hash ^= 1;
}

static void big_slot_too_far(struct writer *w)
{
    sound_pattern(w);
    slot_too_far(w);
}

/* big_off_chain - the last entry moved to an empty slot its probe never reaches */
static void big_off_chain(struct writer *w)
{
    const struct img_table *t = W_REC(w, IMG_S_TABL, struct img_table, 0);
    uint32_t n = 1u << t->d, *s = W_REC(w, IMG_S_SLOT, uint32_t, t->c);

    sound_pattern(w);
    for (uint32_t i = 0; i < n; i++) {
	if (s[i] != BIG)
	    continue;
	for (uint32_t k = n / 2; k < n; k++) {
	    uint32_t j = (i + k) % n;
	    if (s[j] == 0 && s[(j + n - 1) % n] == 0) {
		s[j] = s[i];
		s[i] = 0;
		return;
	    }
	}
    }
    fail_msg("no empty slot far from entry %u's", BIG - 1);
}

/* refusal - the message image_from_memory() refuses data with (the caller frees it) */
static char *refusal(const unsigned char *data, size_t size)
{
    struct image *img = NULL;
    char *err = NULL;

    assert_int_not_equal(load(data, size, &img, &err), IMAGE_OK);
    assert_non_null(err);
    return err;
}

/* value_at - where the text value is in the image */
static size_t value_at(const unsigned char *data, size_t size, const char *value)
{
    const char *at = memmem(data, size, value, strlen(value));

    assert_non_null(at);
    return (size_t) (at - (const char *) data);
}

/*
 * The full pass over a large image shares its sweeps (blocks, entries,
 * slots) between threads, in chunks; what it refuses, and in what
 * words, is what one sweep in order refuses: the first damage.
 */
static void test_sweeps(void **state)
{
    size_t size;
    unsigned char *data = big_image(&size, sound_pattern);
    struct image *img = NULL;
    struct image_lookup_buf buf;
    const char *value = NULL;
    char *err = NULL, *first, *late, *both;

    (void) state;
    assert_true(size > 32 * IMG_BLOCK_SIZE);
    assert_int_equal(load(data, size, &img, &err), IMAGE_OK);
    memset(&buf, 0, sizeof(buf));
    assert_int_equal(image_lookup(img, 0, "key29999", &value, &buf), IMAGE_FOUND);
    assert_string_equal(value, "value 29999, long enough to fill blocks");
    image_lookup_done(&buf);
    image_close(img);

    /* Two damaged blocks, one near each end (no checksum made again): the first is named. */
    size_t early = value_at(data, size, "value 00100,"), end = value_at(data, size, "value 29000,");
    data[early] ^= 1;
    first = refusal(data, size);
    data[end] ^= 1;
    both = refusal(data, size);
    data[early] ^= 1;
    late = refusal(data, size);
    assert_non_null(strstr(first, "test.pfi: corrupt: checksum mismatch in bytes"));
    assert_string_equal(both, first);
    assert_string_not_equal(late, first);
    free(first);
    free(both);
    free(late);
    free(data);

    /* Two entries whose hash is not their key's: the first is named. */
    static const struct {
	void (*change)(struct writer *w);
	const char *want;
    } damage[] = {
	{ early_hash, "test.pfi: corrupt: entry 100 (line 101): hash 0x" },
	{ both_hashes, "test.pfi: corrupt: entry 100 (line 101): hash 0x" },
	{ late_hash, "test.pfi: corrupt: entry 29000 (line 29001): hash 0x" },
	{ big_slot_too_far, "test.pfi: corrupt: table 0 (hash:/big): slot " },
	{ big_slot_too_far, " names entry 30004 of 30000" },
	{ big_off_chain, "test.pfi: corrupt: table 0 (hash:/big): entry 29999 (line 30000)"
	  " in slot " },
    };
    for (size_t i = 0; i < sizeof(damage) / sizeof(damage[0]); i++) {
	data = big_image(&size, damage[i].change);
	refused(data, size, IMAGE_ERR_CORRUPT, damage[i].want);
	free(data);
    }
}

#define CHAIN 1500		/* entries whose home slots are all among the first 8 */

/*
 * chain_image - one exact table of CHAIN keys in 4096 slots, all with
 * their home slot among the first 8: a valid table whose probe chains
 * are far longer than a table of random keys has (the fast check of
 * the slots leaves it to the linear one); off_chain: the last entry
 * moved out of its chain
 */
static unsigned char *chain_image(size_t *size, int off_chain)
{
    static char keys[CHAIN][16];
    static const char *kv[2 * CHAIN];
    struct writer w;
    struct img_table t;
    uint32_t n = 0;

    for (uint32_t i = 0; n < CHAIN; i++) {
	snprintf(keys[n], sizeof(keys[n]), "c%u", (unsigned) i);
	if ((img_hash(keys[n], strlen(keys[n])) & 4095) < 8) {
	    kv[2 * n] = keys[n];
	    kv[2 * n + 1] = "v";
	    n++;
	}
    }
    w_init(&w);
    memset(&t, 0, sizeof(t));
    t.spec = w_str(&w, "hash:/chain");
    t.source = IMG_NONE;
    w_exact(&w, &t, kv, CHAIN);
    assert_int_equal(t.d, 12);
    if (off_chain) {
	uint32_t *s = W_REC(&w, IMG_S_SLOT, uint32_t, t.c);
	for (uint32_t i = 0; i < 4096; i++)
	    if (s[i] == CHAIN) {
		s[3000] = s[i];
		s[i] = 0;
		break;
	    }
    }
    w_add(&w, IMG_S_TABL, &t, sizeof(t));
    unsigned char *data = w_finish(&w, -1, size);
    w_free(&w);
    return data;
}

static void test_long_chains(void **state)
{
    size_t size;
    unsigned char *data = chain_image(&size, 0);
    struct image *img = NULL;
    struct image_lookup_buf buf;
    const char *value = NULL;
    char *err = NULL;

    (void) state;
    assert_int_equal(load(data, size, &img, &err), IMAGE_OK);
    memset(&buf, 0, sizeof(buf));
    assert_int_equal(image_lookup(img, 0, image_str(img, img->entries[CHAIN - 1].key), &value,
				  &buf), IMAGE_FOUND);
    image_lookup_done(&buf);
    image_close(img);
    free(data);
    data = chain_image(&size, 1);
    refused(data, size, IMAGE_ERR_CORRUPT, "test.pfi: corrupt: table 0 (hash:/chain): entry 1499"
	    " (line 1500) in slot 3000 is outside the probe chain from its home slot ");
    free(data);
}

/*
 * write_seed - with PFC_IMAGE_SEED=FILE, write the hand-made image there
 * for the image fuzzer's corpus (tests/fuzz/make-image-seeds.sh).
 */
static int write_seed(const char *path)
{
    size_t size;
    unsigned char *data = good(&size);
    FILE *fp = fopen(path, "wb");
    int ok = fp != NULL && fwrite(data, 1, size, fp) == size;

    if (fp != NULL && fclose(fp) != 0)
	ok = 0;
    free(data);
    return ok ? 0 : 1;
}

/* Each lookup test runs on the image verified whole and on a lazy one. */
#define BOTH(test) \
    cmocka_unit_test_setup_teardown(test, setup_full, teardown_lookups), \
    cmocka_unit_test_setup_teardown(test, setup_lazy, teardown_lookups)

int main(void)
{
    if (getenv("PFC_IMAGE_SEED") != NULL)
	return write_seed(getenv("PFC_IMAGE_SEED"));
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_good),
	cmocka_unit_test(test_derived),
	cmocka_unit_test(test_list),
	cmocka_unit_test(test_header_damage),
	cmocka_unit_test(test_section_damage),
	cmocka_unit_test(test_string_damage),
	cmocka_unit_test(test_table_damage),
	cmocka_unit_test(test_rule_damage),
	cmocka_unit_test(test_program_damage),
	cmocka_unit_test(test_entry_and_host_damage),
	BOTH(test_exact),
	BOTH(test_regexp),
	BOTH(test_pcre),
	BOTH(test_cidr),
	BOTH(test_composites),
	BOTH(test_host_values),
	cmocka_unit_test(test_empty_second_pattern),
	cmocka_unit_test(test_cidr_binary),
	cmocka_unit_test(test_host_errors),
	cmocka_unit_test(test_lazy),
	cmocka_unit_test(test_sweeps),
	cmocka_unit_test(test_long_chains),
    };

    return cmocka_run_group_tests(tests, NULL, NULL) != 0;
}
