/*
 * fuzz_image - the loader and verifier of policy images (runtime/image/loader.h).
 * Each input is verified twice: as it is, and with its checksums and
 * content id made right, since a mutated image almost never has them
 * right and the verifier would stop at a checksum every time. When an
 * input verifies, everything it holds is walked as pfc dump would walk it,
 * with the format's rules checked again here (a rule the verifier let
 * through is a bug), and each table is asked for its own keys and for
 * fixed ones, as pfc query would. Each is also opened lazily, as pfc
 * query of one key opens it: what verifies whole must open so, and none
 * of its lookups may be refused; the lookups of what opens only lazily
 * may be, and must not crash.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "fuzz.h"
#include "image.h"
#include "image_host.h"
#include "loader.h"
#include "restriction.h"
#include "sha256.h"

const char fuzz_name[] = "image";

/* REQUIRE - a rule of image.h that a verified image must keep */
#define REQUIRE(cond) \
    do { \
	if (!(cond)) { \
	    fprintf(stderr, "fuzz_image: verified image breaks: %s (line %d)\n", #cond, __LINE__); \
	    abort(); \
	} \
    } while (0)

static const char *const fixed_keys[] = {
    "", "root", "postmaster", "user@example.com", "USER@EXAMPLE.COM", "example.com",
    "@example.com", "192.168.1.1", "::1", "Subject: viagra", "X-Mailer: x",
    "caf\xc3\xa9@example.com", "\xff\xfe",
};

/* str - a string reference, read whole */
static const char *str(const struct image *img, uint32_t off)
{
    REQUIRE(off < img->strings_size);
    const char *s = image_str(img, off);
    fuzz_use(s);
    return s;
}

/* ask - key in table t; refusable: a lazy image that did not verify whole */
static void ask(const struct image *img, uint32_t t, const char *key,
		struct image_lookup_buf *buf, int refusable)
{
    const char *value = NULL;
    /* The batch path's hints first: they must be safe on any table. */
    uint32_t hash = image_prefetch_start(img, t, key, buf);
    image_prefetch_step(img, t, hash, 1);
    image_prefetch_step(img, t, hash, 2);
    int status = image_lookup(img, t, key, &value, buf);

    REQUIRE(status == IMAGE_FOUND || status == IMAGE_NOTFOUND || status == IMAGE_FAIL
	    || (status == IMAGE_REFUSED && refusable));
    if (status == IMAGE_FOUND)
	fuzz_use(value);
    else if (status == IMAGE_FAIL && buf->error != NULL)
	fuzz_use(buf->error);
}

static void walk_settings(const struct image *img, const struct img_setting *s, uint32_t n)
{
    struct image_host host;

    image_host_init(&host, "fuzz", 1);
    for (uint32_t i = 0; i < n; i++) {
	str(img, s[i].name);
	str(img, s[i].raw);
	str(img, s[i].expanded);
	REQUIRE(s[i].host_first <= img->nhost_pieces
		&& s[i].host_count <= img->nhost_pieces - s[i].host_first);
	REQUIRE(((s[i].flags & IMG_SETTING_HOST) != 0) == (s[i].host_count > 0));
	for (uint32_t k = 0; k < s[i].host_count; k++) {
	    const struct img_host_piece *p = &img->host_pieces[s[i].host_first + k];
	    REQUIRE(p->kind <= IMG_HOST_KIND_MAX);
	    str(img, p->text);
	}
	/* Not mynetworks: it asks the host's interfaces, too slow for a fuzzer. */
	int networks = 0;
	for (uint32_t k = 0; k < s[i].host_count; k++)
	    networks |= img->host_pieces[s[i].host_first + k].kind == IMG_HOST_MYNETWORKS;
	if (!networks) {
	    char *err = NULL, *value = image_setting_value(img, &s[i], &host, &err);
	    REQUIRE(value != NULL);
	    fuzz_use(value);
	    free(value);
	}
	REQUIRE(s[i].refs_first <= img->nrefs && s[i].refs_count <= img->nrefs - s[i].refs_first);
	for (uint32_t r = 0; r < s[i].refs_count; r++) {
	    REQUIRE(img->refs[s[i].refs_first + r] < img->ntables);
	    str(img, img->tables[img->refs[s[i].refs_first + r]].spec);
	}
    }
    image_host_free(&host);
}

/*
 * walk_tables - every table: asked for fixed keys and, on an image
 * verified whole, its contents read and asked for their own keys
 */
static void walk_tables(const struct image *img, struct image_lookup_buf *buf, int refusable)
{
    for (uint32_t t = 0; t < img->ntables; t++) {
	const struct img_table *tab = &img->tables[t];
	const char *spec = str(img, tab->spec);

	/* Tables are sorted by spec, each once: the search finds each. */
	REQUIRE(image_table_find(img, spec) == t);
	REQUIRE(tab->source == IMG_NONE || tab->source < img->nsources);
	if (t >= 32)
	    continue;		/* enough lookups for one input */
	for (size_t k = 0; k < sizeof(fixed_keys) / sizeof(fixed_keys[0]); k++)
	    ask(img, t, fixed_keys[k], buf, refusable);
	if (img->lazy != NULL)
	    continue;		/* its contents are the lookups' to check */
	switch (tab->kind) {
	case IMG_TABLE_EXACT:
	    REQUIRE(tab->a <= img->nentries && tab->b <= img->nentries - tab->a);
	    /*
	     * Not "each key is found": the verifier does not rehash keys, so a
	     * wrong stored hash or an unfolded key only goes unanswered.
	     */
	    for (uint32_t e = 0; e < tab->b && e < 4; e++) {
		const struct img_entry *entry = &img->entries[tab->a + e];
		ask(img, t, str(img, entry->key), buf, 0);
		str(img, entry->value);
	    }
	    break;
	case IMG_TABLE_REGEXP:
	case IMG_TABLE_PCRE:
	case IMG_TABLE_CIDR:
	    REQUIRE(tab->a <= img->nrules && tab->b <= img->nrules - tab->a);
	    if (tab->kind == IMG_TABLE_CIDR)
		REQUIRE(tab->c <= img->nnets && tab->b <= img->nnets - tab->c);
	    for (uint32_t r = 0; r < tab->b; r++) {
		const struct img_rule *rule = &img->rules[tab->a + r];
		REQUIRE(rule->op >= IMG_RULE_MATCH && rule->op <= IMG_RULE_ENDIF);
		if (rule->op == IMG_RULE_IF)
		    REQUIRE(rule->next > r && rule->next <= tab->b);
		REQUIRE(rule->pieces_first <= img->npieces
			&& rule->pieces_count <= img->npieces - rule->pieces_first);
		const char *result = str(img, rule->result);
		size_t rlen = strlen(result);
		for (uint32_t p = 0; p < rule->pieces_count; p++) {
		    const struct img_piece *piece = &img->pieces[rule->pieces_first + p];
		    if (piece->group == 0)
			REQUIRE(piece->offset <= rlen && piece->len <= rlen - piece->offset);
		}
		const char *pattern = str(img, rule->pattern);
		str(img, rule->pattern2);
		if (r < 4)
		    ask(img, t, pattern, buf, 0);
	    }
	    break;
	case IMG_TABLE_STATIC:
	case IMG_TABLE_LIST:
	    str(img, tab->a);
	    break;
	case IMG_TABLE_UNION:
	case IMG_TABLE_PIPE:
	    REQUIRE(tab->a <= img->nrefs && tab->b <= img->nrefs - tab->a);
	    for (uint32_t r = 0; r < tab->b; r++)
		REQUIRE(img->refs[tab->a + r] < img->ntables);
	    break;
	case IMG_TABLE_FAIL:
	case IMG_TABLE_EXTERNAL:
	    break;
	default:
	    REQUIRE(!"a known table kind");
	}
    }
    REQUIRE(image_table_find(img, "no:such-table") == IMG_NONE
	    || strcmp(image_str(img, img->tables[image_table_find(img, "no:such-table")].spec),
		      "no:such-table") == 0);
}

static void walk(const struct image *img, int refusable)
{
    struct image_lookup_buf buf;

    memset(&buf, 0, sizeof(buf));
    REQUIRE(img->strings_size > 0 && img->strings[img->strings_size - 1] == 0);
    for (uint32_t i = 0; i < img->nsources; i++)
	str(img, img->sources[i].path);
    walk_settings(img, img->params, img->nparams);
    walk_settings(img, img->overrides, img->noverrides);
    for (uint32_t i = 0; i < img->nservices; i++) {
	const struct img_service *s = &img->services[i];
	str(img, s->name);
	str(img, s->type);
	str(img, s->private_);
	str(img, s->unpriv);
	str(img, s->chroot);
	str(img, s->wakeup);
	str(img, s->maxproc);
	str(img, s->command);
	REQUIRE(s->overrides_first <= img->noverrides
		&& s->overrides_count <= img->noverrides - s->overrides_first);
    }
    for (uint32_t i = 0; i < img->nprograms; i++) {
	const struct img_program *p = &img->programs[i];
	str(img, p->name);
	REQUIRE(p->service == IMG_NONE || p->service < img->nservices);
	REQUIRE(p->insns_first <= img->ninsns && p->insns_count <= img->ninsns - p->insns_first);
	for (uint32_t k = 0; k < p->insns_count; k++) {
	    const struct img_insn *insn = &img->insns[p->insns_first + k];
	    REQUIRE(insn->op < RESTR_COUNT);
	    REQUIRE((insn->flags & ~IMG_INSN_FLAGS) == 0);
	    switch (insn->op == RESTR_NONE ? RARG_DOMAIN : restriction_def(insn->op)->arg) {
	    case RARG_NONE:
		REQUIRE(insn->arg == 0);
		break;
	    case RARG_TABLE:
		REQUIRE(insn->arg < img->ntables);
		break;
	    case RARG_DOMAIN:
	    case RARG_ENDPOINT:
		str(img, insn->arg);
		break;
	    case RARG_NUMBER:
		break;
	    case RARG_CLASS:
		REQUIRE(insn->arg < img->nprograms);
		break;
	    }
	}
    }
    walk_tables(img, &buf, refusable);
    image_lookup_done(&buf);
}

/*
 * verify - one verification, whole and lazy, and the walk of what
 * passes: what verifies whole opens lazily and answers every lookup
 */
static void verify(const uint8_t *data, size_t size)
{
    struct image *img = NULL;
    char *err = NULL;
    enum image_status status = image_from_memory(data, size, "fuzz.pfi", &img, &err);

    fuzz_use(image_status_name(status));
    if (fuzz_verbose())
	fprintf(stderr, "fuzz_image: %s\n", status == IMAGE_OK ? "verified" : err);
    if (status == IMAGE_OK) {
	REQUIRE(img != NULL);
	walk(img, 0);
	image_close(img);
    } else {
	REQUIRE(err != NULL);
	fuzz_use(err);
    }
    free(err);

    err = NULL;
    enum image_status lazy = image_from_memory_lazy(data, size, "fuzz.pfi", &img, &err);
    REQUIRE(status != IMAGE_OK || lazy == IMAGE_OK);
    if (lazy == IMAGE_OK) {
	walk(img, status != IMAGE_OK);
	image_close(img);
    } else {
	fuzz_use(err);
    }
    free(err);
}

static uint64_t get64(const uint8_t *p)
{
    uint64_t v = 0;

    for (int i = 7; i >= 0; i--)
	v = v << 8 | p[i];
    return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_init();
    /* A known limit of glibc's regcomp(), not ours to find again (fuzz.h). */
    if (fuzz_regcomp_blowup(data, size)) {
	if (fuzz_verbose())
	    fprintf(stderr, "fuzz_image: skipped: a pattern regcomp() may not afford\n");
	return 0;
    }
    verify(data, size);
    if (size < sizeof(struct img_header))
	return 0;

    /* The same bytes with the block checksums, the content id and the header's made right. */
    uint8_t *copy = malloc(size);
    if (copy == NULL)
	return 0;
    memcpy(copy, data, size);
    image_sum_body(copy, size);
    uint64_t end = get64(copy + offsetof(struct img_header, file_size));
    uint64_t table = get64(copy + offsetof(struct img_header, section_table));
    if (end > size)
	end = size;
    if (table <= end)
	sha256_digest(copy + table, (size_t) (end - table),
		      copy + offsetof(struct img_header, content_id));
    image_sum_header(copy, size);
    if (memcmp(copy, data, size) != 0)
	verify(copy, size);
    free(copy);
    return 0;
}
