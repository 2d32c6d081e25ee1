/*
 * image_lookup - answer a key from a verified image exactly as Postfix's dict
 * layer answers it from the table's source (and as pfc map -q does,
 * maps/): folding (dict_fold), the hash index of exact tables, pattern
 * rules with IF/ENDIF jumps, "!" and "/a/!/b/", $n results, cidr rules,
 * static, fail, unionmap and pipemap, and dict_lookup()'s UTF-8 checks.
 *
 * Nothing here checks an image that image_open() verified. On a lazy
 * image (image_open_lazy()), a table's contents are verified before its
 * first lookup (lazy_table()), and an exact table's probe checks each
 * slot, entry and string before it reads it (lazy.h): the only checks
 * here, each behind "if (img->lazy)". Nothing here allocates on the
 * path of a plain lookup either: keys are folded and answers built in
 * the caller's image_lookup_buf, which only grows. Answers point into
 * the image whenever they can.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"
#include "compiled.h"
#include "diag.h"
#include "lazy.h"
#include "loader.h"
#include "strbuf.h"
#include "table_unix.h"
#include "textutil.h"
#include "utf8.h"
#include "xalloc.h"

#define UTF8_ERROR "malformed UTF-8 or invalid codepoint"

/*
 * find_sorted - the index of name among count records (size bytes each,
 * from base) sorted bytewise by the string at field, or IMG_NONE
 */
static uint32_t find_sorted(const struct image *img, const void *base, uint32_t count,
			    size_t size, size_t field, const char *name)
{
    uint32_t lo = 0, hi = count;

    while (lo < hi) {
	uint32_t mid = lo + (hi - lo) / 2, off;
	memcpy(&off, (const char *) base + (size_t) mid * size + field, sizeof(off));
	int c = strcmp(name, image_str(img, off));

	if (c == 0)
	    return mid;
	if (c < 0)
	    hi = mid;
	else
	    lo = mid + 1;
    }
    return IMG_NONE;
}

uint32_t image_table_find(const struct image *img, const char *spec)
{
    return find_sorted(img, img->tables, img->ntables, sizeof(*img->tables),
		       offsetof(struct img_table, spec), spec);
}

uint32_t image_param_find(const struct image *img, const char *name)
{
    return find_sorted(img, img->params, img->nparams, sizeof(*img->params),
		       offsetof(struct img_setting, name), name);
}

int image_table_indexed(const struct image *img, uint32_t table)
{
    const char *spec = image_str(img, img->tables[table].spec);

    return strncmp(spec, "hash:", 5) == 0 || strncmp(spec, "btree:", 6) == 0;
}

/* ------------------------------------------------------------- scratch */

/* reserve - room for need bytes in buf->data (which may move) */
static void reserve(struct image_lookup_buf *buf, size_t need)
{
    if (need > buf->cap) {
	size_t cap = buf->cap ? buf->cap : 256;

	while (cap < need)
	    cap *= 2;
	buf->data = xrealloc(buf->data, cap);
	buf->cap = cap;
    }
}

/* in_buf - does p point into buf->data, which the next reserve may move? */
static int in_buf(const struct image_lookup_buf *buf, const char *p)
{
    uintptr_t a = (uintptr_t) p, b = (uintptr_t) buf->data;

    return buf->data != NULL && a >= b && a < b + buf->cap;
}

static int lookup_fail(struct image_lookup_buf *buf, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int lookup_fail(struct image_lookup_buf *buf, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    str_vreplace(&buf->error, fmt, ap);
    va_end(ap);
    return IMAGE_FAIL;
}

/* refused - a lazy image's damage, found by a lookup: err (from lazy.h) is the message */
static int refused(struct image_lookup_buf *buf, char *err)
{
    free(buf->error);
    buf->error = err;
    return IMAGE_REFUSED;
}

/* spec_name - the part of a spec after "type:" */
static const char *spec_name(const char *spec)
{
    const char *colon = strchr(spec, ':');

    return colon ? colon + 1 : spec;
}

/* ---------------------------------------------------------------- exact */

/*
 * fold - the key as a folding table stores it: the key itself when
 * folding changes nothing (most keys), else written at buf->data + base:
 * ASCII lowercase, or Unicode full case folding for a UTF-8 table when
 * the key is not all ASCII (dict_fold()).
 */
static const char *fold(uint32_t flags, const char *key, struct image_lookup_buf *buf,
			size_t base, size_t *lenp)
{
    size_t len = strlen(key);
    unsigned char high = 0;

    *lenp = len;
    if (!fold_may_change(key, len))
	return key;
    reserve(buf, base + len + 1);
    char *out = buf->data + base;
    for (size_t i = 0; i <= len; i++) {
	unsigned char c = (unsigned char) key[i];
	high |= c;
	out[i] = (char) (c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
    }
    if ((high & 0x80) && (flags & IMG_TABLE_UTF8)) {
	/* Rare: not worth a folder of our own that writes in place. */
	struct strbuf folded = STRBUF_INIT;

	utf8_casefold(&folded, key);
	len = folded.len;
	reserve(buf, base + len + 1);
	memcpy(buf->data + base, sb_str(&folded), len + 1);
	sb_free(&folded);
    }
    *lenp = len;
    return buf->data + base;
}

/*
 * lazy_entry - on a lazy image, slot i of exact table t (the probes-th
 * of this probe) and the entry it names, checked before they are read,
 * and the entry's key string when its hash is the key's (it is compared
 * then); 0, or -1 with *err
 */
static int lazy_entry(const struct image *img, uint32_t t, uint64_t i, uint64_t probes,
		      uint32_t hash, char **err)
{
    const struct img_table *tb = &img->tables[t];
    const uint32_t *slot = &img->slots[tb->c + i];
    const char *spec = image_str(img, tb->spec);

    if (probes > ((uint64_t) 1 << tb->d)) {
	*err = lazy_corrupt(img, "table %u (%.200s): no empty slot, so a probe for a"
			    " missing key never ends", (unsigned) t, spec);
	return -1;
    }
    if (lazy_bytes(img, slot, sizeof(*slot), err) < 0)
	return -1;
    if (*slot == 0)
	return 0;
    if (*slot > tb->b) {
	*err = lazy_corrupt(img, "table %u (%.200s): slot %llu names entry %u of %u",
			    (unsigned) t, spec, (unsigned long long) i, (unsigned) (*slot - 1),
			    (unsigned) tb->b);
	return -1;
    }
    uint32_t index = tb->a + *slot - 1;
    const struct img_entry *e = &img->entries[index];
    if (lazy_bytes(img, e, sizeof(*e), err) < 0)
	return -1;
    if (e->key >= img->strings_size || e->value >= img->strings_size) {
	int bad_key = e->key >= img->strings_size;
	*err = lazy_corrupt(img, "entry %u (line %u): %s string offset %u is outside the"
			    " string pool (%u bytes)", (unsigned) index, (unsigned) e->line,
			    bad_key ? "key" : "value", (unsigned) (bad_key ? e->key : e->value),
			    (unsigned) img->strings_size);
	return -1;
    }
    if (e->hash == hash && lazy_string(img, e->key, err) < 0)
	return -1;
    return 0;
}

/*
 * find_exact - key in exact table t; known: its hash, when the caller has
 * it. The verifier saw an empty slot in every table, so the probe ends;
 * on a lazy image, lazy_entry() counts the probes instead.
 */
static int find_exact(const struct image *img, uint32_t t, const char *key,
		      struct image_lookup_buf *buf, size_t base, const char **value,
		      const uint32_t *known)
{
    const struct img_table *tb = &img->tables[t];
    size_t len;
    char *err;

    if (tb->flags & IMG_TABLE_FOLD)
	key = fold(tb->flags, key, buf, base, &len);
    else
	len = strlen(key);

    uint32_t hash = known ? *known : img_hash(key, len);
    uint32_t mask = (uint32_t) (((uint64_t) 1 << tb->d) - 1);
    const uint32_t *slot = img->slots + tb->c;
    const struct img_entry *entry = img->entries + tb->a;

    for (uint64_t i = hash & mask, probes = 1;; i = (i + 1) & mask, probes++) {
	if (img->lazy && lazy_entry(img, t, i, probes, hash, &err) < 0)
	    return refused(buf, err);
	uint32_t s = slot[i];
	if (s == 0)
	    return IMAGE_NOTFOUND;
	const struct img_entry *e = &entry[s - 1];
	if (e->hash == hash && strcmp(img->strings + e->key, key) == 0) {
	    if (img->lazy && lazy_string(img, e->value, &err) < 0)
		return refused(buf, err);
	    *value = img->strings + e->value;
	    buf->line = e->line;
	    return IMAGE_FOUND;
	}
    }
}

uint32_t image_prefetch_start(const struct image *img, uint32_t table, const char *key,
			      struct image_lookup_buf *buf)
{
    const struct img_table *tb = &img->tables[table];
    size_t len;

    if (tb->kind != IMG_TABLE_EXACT)
	return 0;
    if (tb->flags & IMG_TABLE_FOLD)
	key = fold(tb->flags, key, buf, 0, &len);
    else
	len = strlen(key);
    uint32_t hash = img_hash(key, len);
    if (img->lazy)
	return hash;		/* nothing is read before it is checked */
    __builtin_prefetch(img->slots + tb->c + (hash & (uint32_t) (((uint64_t) 1 << tb->d) - 1)));
    return hash;
}

void image_prefetch_step(const struct image *img, uint32_t table, uint32_t hash, int stage)
{
    const struct img_table *tb = &img->tables[table];

    if (tb->kind != IMG_TABLE_EXACT || img->lazy)
	return;
    uint32_t s = img->slots[tb->c + (hash & (uint32_t) (((uint64_t) 1 << tb->d) - 1))];
    if (s == 0)
	return;
    const struct img_entry *e = &img->entries[tb->a + s - 1];
    if (stage == 1) {
	__builtin_prefetch(e);
    } else {
	__builtin_prefetch(img->strings + e->key);
	__builtin_prefetch(img->strings + e->value);
    }
}

/* -------------------------------------------------------------- patterns */

/* The key of a pattern table's lookup, as each engine wants it. */
struct pattern_key {
    const char *text;
    size_t len;
    unsigned family;		/* cidr: IMG_NET_V4 or IMG_NET_V6 */
    unsigned char addr[16];
};

/*
 * net_match - is the key's address in network n? 1 yes, 0 no, -1 an
 * address of the other family, which no rule matches, negated or not
 * (Postfix's cidr_match)
 */
static int net_match(const struct img_net *n, const struct pattern_key *k)
{
    unsigned whole = n->prefix / 8, bits = n->prefix % 8;

    if (n->family != k->family)
	return -1;
    if (memcmp(n->addr, k->addr, whole) != 0)
	return 0;
    return bits == 0 || ((n->addr[whole] ^ k->addr[whole]) & (0xff00u >> bits)) == 0;
}

/* match_warn - an engine error, in Postfix's "KIND map NAME, line N: ..." */
static void match_warn(const struct image *img, const struct img_table *tb,
		       const struct img_rule *rule, const char *kind, const char *text)
{
    diag_warn("%s map %s, line %u: %s", kind, spec_name(image_str(img, tb->spec)),
	      (unsigned) rule->line, text);
}

/*
 * exec - does pattern p of rule r (its network, in a cidr table) apply
 * to the key? 1 yes, 0 no, -1 neither (an engine error, or a cidr rule
 * of the other address family): such a rule fails whether or not it is
 * negated, as in Postfix. want_groups asks for the capture groups of
 * the rule's $n.
 */
static int exec(const struct image *img, const struct img_table *tb, uint32_t r,
		const struct regex_program *p, const struct pattern_key *k, int want_groups,
		struct image_lookup_buf *buf)
{
    const struct img_rule *rule = &img->rules[r];

    if (tb->kind == IMG_TABLE_CIDR)
	return net_match(&img->nets[tb->c + (r - tb->a)], k);
    switch (p->kind) {
    case IMG_TABLE_REGEXP: {
	size_t nmatch = want_groups ? (size_t) rule->max_group + 1 : 0;
	if (nmatch > buf->nregmatch) {
	    free(buf->regmatch);
	    buf->regmatch = xcalloc(nmatch, sizeof(regmatch_t));
	    buf->nregmatch = nmatch;
	}
	int error = regexec(&p->u.re, k->text, nmatch, nmatch ? buf->regmatch : NULL, 0);
	if (error == 0)
	    return 1;
	if (error == REG_NOMATCH)
	    return 0;
	char text[256];
	regerror(error, &p->u.re, text, sizeof(text));
	match_warn(img, tb, rule, "regexp", text);
	return -1;
    }
    case IMG_TABLE_PCRE: {
	uint32_t pairs = rule->max_group + 1;
	if (buf->pcre_match == NULL || pairs > buf->pcre_pairs) {
	    if (pairs < 16)
		pairs = 16;
	    pcre2_match_data_free(buf->pcre_match);
	    if ((buf->pcre_match = pcre2_match_data_create(pairs, NULL)) == NULL)
		diag_fatal("out of memory");
	    buf->pcre_pairs = pairs;
	}
	int rc = pcre2_match(p->u.code, (PCRE2_SPTR) k->text, k->len, 0, 0,
			     buf->pcre_match, NULL);
	/* rc 0: a match with more groups than the match data holds. */
	if (rc >= 0)
	    return 1;
	if (rc == PCRE2_ERROR_NOMATCH)
	    return 0;
	char text[256];
	if (pcre2_get_error_message(rc, (PCRE2_UCHAR *) text, sizeof(text)) <= 0)
	    snprintf(text, sizeof(text), "unexpected pcre2 error code %d", rc);
	match_warn(img, tb, rule, "pcre", text);
	return -1;
    }
    }
    return -1;
}

/* group - where capture group n of the last match is; 0 when it is unset */
static int group(const struct img_table *tb, const struct image_lookup_buf *buf, uint32_t n,
		 size_t *start, size_t *end)
{
    if (tb->kind == IMG_TABLE_REGEXP) {
	const regmatch_t *m = (const regmatch_t *) buf->regmatch + n;
	if (m->rm_so < 0)
	    return 0;
	*start = (size_t) m->rm_so;
	*end = (size_t) m->rm_eo;
	return 1;
    }
    PCRE2_SIZE *ovector = pcre2_get_ovector_pointer(buf->pcre_match);
    if (n >= pcre2_get_ovector_count(buf->pcre_match) || ovector[2 * n] == PCRE2_UNSET)
	return 0;
    *start = ovector[2 * n];
    *end = ovector[2 * n + 1];
    return 1;
}

/* answer - a MATCH rule's result, its $n filled in from the key */
static const char *answer(const struct image *img, const struct img_table *tb,
			  const struct img_rule *rule, const char *key,
			  struct image_lookup_buf *buf, size_t base)
{
    const char *result = img->strings + rule->result;
    size_t len = 0, start, end;

    if (rule->pieces_count == 0)
	return result;
    for (uint32_t i = 0; i < rule->pieces_count; i++) {
	const struct img_piece *piece = &img->pieces[rule->pieces_first + i];
	const char *from;
	size_t n;

	if (piece->group == 0) {
	    from = result + piece->offset;
	    n = piece->len;
	} else if (group(tb, buf, piece->group, &start, &end) && end > start) {
	    from = key + start;
	    n = end - start;
	} else {
	    continue;
	}
	reserve(buf, base + len + n + 1);
	memcpy(buf->data + base + len, from, n);
	len += n;
    }
    reserve(buf, base + len + 1);
    buf->data[base + len] = 0;
    return buf->data + base;
}

/*
 * find_rules - Postfix's lookup loop over a table's rules: the first
 * MATCH that applies answers; an IF whose test fails jumps to the rule
 * after its ENDIF (or past the end when it has none).
 */
static int find_rules(const struct image *img, const struct img_table *tb, const char *key,
		      struct image_lookup_buf *buf, size_t base, const char **value)
{
    struct pattern_key k = { key, strlen(key), 0, { 0 } };

    if (tb->kind == IMG_TABLE_CIDR) {
	/* A key that is not an address matches no rule, not even a "!" one. */
	int family = cidr_family(key);
	if (inet_pton(family, key, k.addr) != 1)
	    return IMAGE_NOTFOUND;
	k.family = family == AF_INET6 ? IMG_NET_V6 : IMG_NET_V4;
    }
    for (uint32_t i = 0; i < tb->b; i++) {
	uint32_t r = tb->a + i;
	const struct img_rule *rule = &img->rules[r];

	switch (rule->op) {
	case IMG_RULE_MATCH:
	    if (exec(img, tb, r, img->compiled[r], &k, rule->max_group > 0, buf)
		!= !(rule->flags & IMG_RULE_NEGATE))
		continue;
	    if (img->compiled2[r] != NULL
		&& exec(img, tb, r, img->compiled2[r], &k, 0, buf)
		!= !(rule->flags & IMG_RULE_NEGATE2))
		continue;
	    *value = answer(img, tb, rule, key, buf, base);
	    buf->line = rule->line;
	    return IMAGE_FOUND;
	case IMG_RULE_IF:
	    if (exec(img, tb, r, img->compiled[r], &k, 0, buf)
		== !(rule->flags & IMG_RULE_NEGATE))
		continue;
	    i = rule->next - 1;	/* the loop's i++ lands on next */
	    continue;
	default:
	    continue;
	}
    }
    return IMAGE_NOTFOUND;
}

/* ----------------------------------------------------------- composites */

static int find(const struct image *img, uint32_t table, const char *key,
		struct image_lookup_buf *buf, size_t base, const char **value);

/*
 * external - a table the image holds only by name: a type pfc does not
 * read, one whose source pfc build could not read (a hash: table of the
 * defaults, /etc/aliases, on a build host without one), or one the host
 * answers (unix:, also through proxy:, as proxymap only forwards).
 */
static int external(const struct image *img, const struct img_table *tb, const char *key,
		    struct image_lookup_buf *buf, size_t base, const char **value)
{
    static const char *const compiled[] = {
	"hash", "btree", "texthash", "inline", "regexp", "pcre", "cidr", "static",
	"fail", "unionmap", "pipemap",
    };
    const char *spec = image_str(img, tb->spec);
    const char *type = strncmp(spec, "proxy:", 6) == 0 ? spec + 6 : spec;
    int type_len = (int) (spec_name(spec) - spec) - 1;

    if (strncmp(type, "unix:", 5) == 0) {
	struct strbuf answer = STRBUF_INIT;
	const char *why = NULL;
	size_t len;
	/* Postfix opens every table with DICT_FLAG_FOLD_FIX; dict_unix honours it. */
	char *folded = xstrdup(fold(tb->flags, key, buf, base, &len));
	int found = unix_table_lookup(buf->accounts, type + 5, folded, &answer, &why);
	free(folded);
	if (found > 0) {
	    size_t n = strlen(sb_str(&answer));
	    reserve(buf, base + n + 1);
	    memcpy(buf->data + base, sb_str(&answer), n + 1);
	    *value = buf->data + base;
	    buf->line = 0;
	}
	sb_free(&answer);
	if (found < 0)
	    return lookup_fail(buf, "%s: %s", spec, why);
	return found > 0 ? IMAGE_FOUND : IMAGE_NOTFOUND;
    }
    if (type_len < 0)
	type_len = (int) strlen(spec);
    for (size_t i = 0; i < sizeof(compiled) / sizeof(compiled[0]); i++)
	if (strlen(compiled[i]) == (size_t) type_len && strncmp(spec, compiled[i], (size_t) type_len) == 0)
	    return lookup_fail(buf, "table %s is not compiled into the image (pfc build"
			       " could not read it)", spec);
    return lookup_fail(buf, "table %s is not compiled into the image (pfc does not read"
		       " %.*s tables)", spec, type_len, spec);
}

/*
 * find_union - every member's answer, joined with commas (an empty answer
 * adds nothing at the start, a comma after); a failing member fails it.
 * The answer is built at base; each member works just past it.
 */
static int find_union(const struct image *img, const struct img_table *tb, const char *key,
		      struct image_lookup_buf *buf, size_t base, const char **value)
{
    size_t len = 0;
    uint32_t line = 0, answers = 0;

    for (uint32_t i = 0; i < tb->b; i++) {
	const char *found;
	int status = find(img, img->refs[tb->a + i], key, buf, base + len + 1, &found);

	if (status == IMAGE_FAIL || status == IMAGE_REFUSED)
	    return status;
	if (status != IMAGE_FOUND)
	    continue;
	line = answers++ == 0 ? buf->line : 0;
	size_t n = strlen(found);
	/* A member's answer in buf is past ours: find it again after a move. */
	int moved = in_buf(buf, found);
	size_t off = moved ? (size_t) (found - buf->data) : 0;
	reserve(buf, base + len + 1 + n + 1);
	if (moved)
	    found = buf->data + off;
	if (len > 0)
	    buf->data[base + len++] = ',';
	memmove(buf->data + base + len, found, n);
	len += n;
    }
    if (len == 0)
	return IMAGE_NOTFOUND;
    buf->data[base + len] = 0;
    *value = buf->data + base;
    buf->line = line;
    return IMAGE_FOUND;
}

/* find_pipe - each member's answer is the next member's key */
static int find_pipe(const struct image *img, const struct img_table *tb, const char *key,
		     struct image_lookup_buf *buf, size_t base, const char **value)
{
    char *own = NULL;		/* a key that would not survive the next lookup */
    const char *found = NULL;
    int status = IMAGE_NOTFOUND;

    for (uint32_t i = 0; i < tb->b; i++) {
	status = find(img, img->refs[tb->a + i], key, buf, base, &found);
	if (status != IMAGE_FOUND || i + 1 == tb->b)
	    break;
	if (in_buf(buf, found)) {
	    char *next = xstrdup(found);
	    free(own);
	    key = own = next;
	} else {
	    key = found;	/* in the image: stays put */
	}
    }
    if (status == IMAGE_FOUND) {
	/* No table answers with its key, but an answer must outlive own. */
	if (own != NULL && found >= own && found <= own + strlen(own)) {
	    size_t n = strlen(found);
	    reserve(buf, base + n + 1);
	    memcpy(buf->data + base, found, n + 1);
	    found = buf->data + base;
	}
	*value = found;
    }
    free(own);
    return status;
}

/*
 * find - look key up in table; key must not point into buf. On FOUND,
 * *value points into the image or into buf->data at base or after.
 */
static int find(const struct image *img, uint32_t table, const char *key,
		struct image_lookup_buf *buf, size_t base, const char **value)
{
    const struct img_table *tb = &img->tables[table];

    switch (tb->kind) {
    case IMG_TABLE_EXACT:
	return find_exact(img, table, key, buf, base, value, NULL);
    case IMG_TABLE_REGEXP:
    case IMG_TABLE_PCRE:
    case IMG_TABLE_CIDR:
	return find_rules(img, tb, key, buf, base, value);
    case IMG_TABLE_STATIC:
	*value = img->strings + tb->a;
	buf->line = 0;
	return IMAGE_FOUND;
    case IMG_TABLE_FAIL:
	return lookup_fail(buf, "Application error");
    case IMG_TABLE_LIST:
	/* A match list's file is read, not looked up (nothing names it as a table). */
	return lookup_fail(buf, "a match list file, not a lookup table");
    case IMG_TABLE_UNION:
	return find_union(img, tb, key, buf, base, value);
    case IMG_TABLE_PIPE:
	return find_pipe(img, tb, key, buf, base, value);
    default:
	return external(img, tb, key, buf, base, value);
    }
}

/* lookup - image_lookup(), with the key's hash when known (an exact table) */
static int lookup(const struct image *img, uint32_t table, const char *key,
		  const uint32_t *known, const char **value, struct image_lookup_buf *buf)
{
    const struct img_table *tb = &img->tables[table];
    char *own = NULL, *err;
    int status;

    *value = NULL;
    if (img->lazy && lazy_table(img, table, &err) < 0)
	return refused(buf, err);
    /* A key from the last answer (a caller's own pipemap) moves with buf. */
    if (in_buf(buf, key))
	key = own = xstrdup(key);
    if ((tb->flags & IMG_TABLE_UTF8) && !utf8_valid(key, strlen(key))) {
	/* dict_lookup(): the warning, and no lookup at all. */
	diag_warn("%s%s: non-UTF-8 key \"%s\": %s", image_str(img, tb->spec),
		  image_table_indexed(img, table) ? ".db" : "", key, UTF8_ERROR);
	status = IMAGE_NOTFOUND;
    } else {
	status = known && tb->kind == IMG_TABLE_EXACT
	    ? find_exact(img, table, key, buf, 0, value, known)
	    : find(img, table, key, buf, 0, value);
	if (status == IMAGE_FOUND && (tb->flags & IMG_TABLE_UTF8)
	    && !utf8_valid(*value, strlen(*value))) {
	    diag_warn("%s%s: key \"%s\": non-UTF-8 value \"%s\": %s", image_str(img, tb->spec),
		      image_table_indexed(img, table) ? ".db" : "", key, *value, UTF8_ERROR);
	    *value = NULL;
	    status = lookup_fail(buf, "%s", "");	/* a configuration error */
	}
    }
    free(own);
    return status;
}

int image_lookup(const struct image *img, uint32_t table, const char *key,
		 const char **value, struct image_lookup_buf *buf)
{
    return lookup(img, table, key, NULL, value, buf);
}

int image_lookup_prefetched(const struct image *img, uint32_t table, const char *key,
			    uint32_t hash, const char **value, struct image_lookup_buf *buf)
{
    return lookup(img, table, key, &hash, value, buf);
}

void image_lookup_done(struct image_lookup_buf *buf)
{
    free(buf->data);
    free(buf->error);
    pcre2_match_data_free(buf->pcre_match);
    free(buf->regmatch);
    memset(buf, 0, sizeof(*buf));
}
