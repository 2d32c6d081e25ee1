/*
 * flat - the physical limit for bench/image.sh: the simplest mmapped
 * open-addressing table (FNV-1a, linear probing, keys and values inline),
 * with none of the image's checks, folding or provenance. "flat build SRC
 * OUT" writes it from a "key value" file; "flat query OUT < keys" answers
 * each key as "postmap -q -" does (key TAB value for a hit), its memory
 * loads overlapped as pfc query's are.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static uint64_t fnv1a(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ULL;

    for (size_t i = 0; i < len; i++)
	h = (h ^ (unsigned char) s[i]) * 0x100000001b3ULL;
    return h;
}

static int build(const char *src, const char *out)
{
    FILE *in = fopen(src, "r");
    char *line = NULL;
    size_t cap = 0, n = 0, ncap = 1024, dlen = 0, dcap = 1 << 20;
    uint64_t *offs = malloc(ncap * sizeof *offs);
    char *data = malloc(dcap);
    ssize_t len;

    if (in == NULL || offs == NULL || data == NULL)
	return 1;
    while ((len = getline(&line, &cap, in)) > 0) {
	char *k = line, *v;
	k[strcspn(k, "\n")] = 0;
	v = k + strcspn(k, " \t");
	if (*v)
	    *v++ = 0;
	v += strspn(v, " \t");
	size_t need = strlen(k) + strlen(v) + 2;
	while (dlen + need > dcap)
	    data = realloc(data, dcap *= 2);
	if (n == ncap)
	    offs = realloc(offs, (ncap *= 2) * sizeof *offs);
	offs[n++] = dlen;
	strcpy(data + dlen, k);
	dlen += strlen(k) + 1;
	strcpy(data + dlen, v);
	dlen += strlen(v) + 1;
    }
    uint64_t nslots = 2;
    while (nslots < 2 * n)
	nslots *= 2;
    uint64_t *slots = calloc(nslots, sizeof *slots);
    uint64_t base = 8 + nslots * 8;
    for (size_t i = 0; i < n; i++) {
	const char *k = data + offs[i];
	uint64_t s = fnv1a(k, strlen(k)) & (nslots - 1);
	while (slots[s])
	    s = (s + 1) & (nslots - 1);
	slots[s] = base + offs[i];
    }
    FILE *o = fopen(out, "w");
    if (o == NULL)
	return 1;
    fwrite(&nslots, 8, 1, o);
    fwrite(slots, 8, nslots, o);
    fwrite(data, 1, dlen, o);
    return fclose(o) != 0;
}

/*
 * query - stdin read whole, then each key looked up with its slot and
 * its key fetched PREFETCH keys ahead (as pfc query pipelines), so the
 * limit is memory's parallelism, not its latency.
 */
#define PREFETCH 16

static int query(const char *file)
{
    int fd = open(file, O_RDONLY);
    struct stat st;
    static char obuf[1 << 16];
    size_t cap = 1 << 20, len = 0, nkeys = 0, kcap = 1 << 16;
    char *in = malloc(cap);
    size_t *keys = malloc(kcap * sizeof *keys);
    uint64_t *hashes;
    ssize_t n;

    if (fd < 0 || fstat(fd, &st) < 0 || in == NULL || keys == NULL)
	return 1;
    const char *map = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
    if (map == MAP_FAILED)
	return 1;
    while ((n = read(0, in + len, cap - len - 1)) > 0)
	if ((len += (size_t) n) == cap - 1 && (in = realloc(in, cap *= 2)) == NULL)
	    return 1;
    in[len] = '\n';
    for (size_t i = 0; i < len; i++) {
	if (nkeys == kcap && (keys = realloc(keys, (kcap *= 2) * sizeof *keys)) == NULL)
	    return 1;
	keys[nkeys++] = i;
	i += strcspn(in + i, "\n");
	in[i] = 0;
    }
    if ((hashes = malloc((nkeys + 1) * sizeof *hashes)) == NULL)
	return 1;
    uint64_t nslots;
    memcpy(&nslots, map, 8);
    const uint64_t *slots = (const uint64_t *) (map + 8);
    setvbuf(stdout, obuf, _IOFBF, sizeof obuf);
    for (size_t j = 0; j < nkeys + 2 * PREFETCH; j++) {
	if (j < nkeys) {		/* stage 1: its slot */
	    const char *k = in + keys[j];
	    hashes[j] = fnv1a(k, strlen(k)) & (nslots - 1);
	    __builtin_prefetch(&slots[hashes[j]]);
	}
	if (j >= PREFETCH && j - PREFETCH < nkeys && slots[hashes[j - PREFETCH]])
	    __builtin_prefetch(map + slots[hashes[j - PREFETCH]]);	/* stage 2: its key */
	if (j < 2 * PREFETCH || j - 2 * PREFETCH >= nkeys)
	    continue;
	const char *line = in + keys[j - 2 * PREFETCH];
	size_t klen = strlen(line);
	for (uint64_t s = hashes[j - 2 * PREFETCH]; slots[s]; s = (s + 1) & (nslots - 1)) {
	    const char *k = map + slots[s];
	    if (strcmp(k, line) == 0) {
		fputs(line, stdout);
		putchar('\t');
		puts(k + klen + 1);
		break;
	    }
	}
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 4 && strcmp(argv[1], "build") == 0)
	return build(argv[2], argv[3]);
    if (argc == 3 && strcmp(argv[1], "query") == 0)
	return query(argv[2]);
    fprintf(stderr, "usage: flat build SRC OUT | flat query OUT < keys\n");
    return 2;
}
