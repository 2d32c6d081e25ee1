/*
 * mutate - the loader against damage: make COUNT mutated copies of a real
 * image (bits flipped, cut short, a run of bytes copied over another),
 * half of them with the checksums recomputed so the damage reaches the
 * deep checks instead of stopping at a checksum, and hand each to the
 * verifier, whole and lazily. A copy must be refused or, if it verifies,
 * answer lookups on every table (a lazy one may refuse a lookup, never
 * when the whole image verified); under ASan/UBSan any bad read aborts
 * the run.
 *
 * usage: mutate IMAGE [COUNT [SEED]]   (TAP on stdout, one case per 1000)
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "loader.h"

static uint64_t rng_state;

/* rng - xorshift64*: the same mutants on every run and machine */
static uint64_t rng(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545F4914F6CDD1DULL;
}

static size_t below(size_t n)
{
    return n ? (size_t) (rng() % n) : 0;
}

static unsigned char *read_image(const char *path, size_t *size)
{
    FILE *fp = fopen(path, "rb");
    unsigned char *data = NULL;
    size_t cap = 0, len = 0, n;

    if (fp == NULL)
	return NULL;
    do {
	if (len == cap) {
	    cap = cap ? 2 * cap : 65536;
	    data = realloc(data, cap);
	    if (data == NULL)
		abort();
	}
	n = fread(data + len, 1, cap - len, fp);
	len += n;
    } while (n > 0);
    fclose(fp);
    *size = len;
    return data;
}

/* fix_checksum - make the checksums match the damaged bytes again */
static void fix_checksum(unsigned char *data, size_t size)
{
    image_sum_body(data, size);
    image_sum_header(data, size);
}

/* mutate - damage copy (of size *size) one way or another */
static void mutate(unsigned char *copy, size_t *size)
{
    switch (below(4)) {
    case 0:			/* flip a few bits */
	for (size_t n = 1 + below(8); n > 0; n--)
	    copy[below(*size)] ^= (unsigned char) (1u << below(8));
	break;
    case 1:			/* cut short */
	*size = below(*size);
	break;
    case 2:{			/* splice: copy a run of bytes over another */
	    size_t len = 1 + below(64);
	    if (len > *size)
		len = *size;
	    size_t from = below(*size - len + 1), to = below(*size - len + 1);
	    memmove(copy + to, copy + from, len);
	    break;
	}
    default:			/* set a 32-bit word past the header to an edge value */
	if (*size >= 100) {
	    static const uint32_t edges[] = { 0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe };
	    size_t at = 96 + below((*size - 96) / 4) * 4;
	    memcpy(copy + at, &edges[below(6)], 4);
	}
	break;
    }
}

/*
 * exercise - lookups on every table of an image (a lazy one: the keys
 * only, its entries are not read here); whole: none may be refused
 */
static void exercise(const struct image *img, int whole)
{
    static const char *const keys[] = {
	"", "postmaster", "root@example.com", "user@example.org", "192.168.1.1",
	"10.0.0.1", "::1", "Subject: hello", "From: x@y", "a.b.c", "EXAMPLE.COM",
    };
    struct image_lookup_buf buf = { 0 };
    const char *value;

    for (uint32_t t = 0; t < img->ntables; t++) {
	for (size_t k = 0; k < sizeof(keys) / sizeof(keys[0]); k++)
	    if (image_lookup(img, t, keys[k], &value, &buf) == IMAGE_REFUSED && whole)
		abort();
	if (img->lazy == NULL && img->tables[t].kind == IMG_TABLE_EXACT) {
	    uint32_t first = img->tables[t].a, count = img->tables[t].b;
	    for (uint32_t e = 0; e < count && e < 16; e++)
		(void) image_lookup(img, t, image_str(img, img->entries[first + e].key),
				    &value, &buf);
	}
    }
    image_lookup_done(&buf);
}

int main(int argc, char **argv)
{
    size_t size, count = 10000;
    unsigned long counts[IMAGE_ERR_CORRUPT + 1] = { 0 };

    if (argc < 2 || argc > 4) {
	fprintf(stderr, "usage: mutate IMAGE [COUNT [SEED]]\n");
	return 2;
    }
    if (argc > 2)
	count = strtoul(argv[2], NULL, 10);
    rng_state = argc > 3 ? strtoull(argv[3], NULL, 10) : 20261122;
    if (rng_state == 0)
	rng_state = 1;
    unsigned char *orig = read_image(argv[1], &size);
    if (orig == NULL || size < 96) {
	fprintf(stderr, "mutate: cannot read an image from %s\n", argv[1]);
	return 2;
    }

    struct image *img;
    char *err = NULL;
    size_t batches = (count + 999) / 1000;
    printf("1..%zu\n", batches + 1);
    if (image_from_memory(orig, size, argv[1], &img, &err) != IMAGE_OK) {
	printf("not ok 1 - the original image verifies: %s\n", err);
	return 1;
    }
    image_close(img);
    printf("ok 1 - the original image verifies (%zu bytes)\n", size);

    unsigned char *copy = malloc(size);
    if (copy == NULL)
	abort();
    for (size_t b = 0; b < batches; b++) {
	size_t verified = 0;
	for (size_t i = b * 1000; i < count && i < (b + 1) * 1000; i++) {
	    size_t len = size;
	    memcpy(copy, orig, size);
	    mutate(copy, &len);
	    if (i % 2 == 1)
		fix_checksum(copy, len);
	    /* the loader must not read past len: give it exactly that much */
	    unsigned char *exact = malloc(len ? len : 1);
	    if (exact == NULL)
		abort();
	    memcpy(exact, copy, len);
	    enum image_status st = image_from_memory(exact, len, "mutant", &img, &err);
	    counts[st]++;
	    if (st == IMAGE_OK) {
		verified++;
		exercise(img, 1);
		image_close(img);
	    } else {
		free(err);
	    }
	    /* Lazily: what verifies whole opens, and its lookups are never refused. */
	    enum image_status lazy = image_from_memory_lazy(exact, len, "mutant", &img, &err);
	    if (lazy == IMAGE_OK) {
		exercise(img, st == IMAGE_OK);
		image_close(img);
	    } else {
		if (st == IMAGE_OK)
		    abort();
		free(err);
	    }
	    free(exact);
	}
	printf("ok %zu - mutants %zu..%zu: refused or verified and answered (%zu verified)\n",
	       b + 2, b * 1000, (b + 1) * 1000 - 1, verified);
    }
    printf("# verified %lu, not an image %lu, version %lu, truncated %lu, corrupt %lu\n",
	   counts[IMAGE_OK], counts[IMAGE_ERR_NOT_IMAGE], counts[IMAGE_ERR_VERSION],
	   counts[IMAGE_ERR_TRUNCATED], counts[IMAGE_ERR_CORRUPT]);
    free(copy);
    free(orig);
    return 0;
}
