/*
 * replay - run a fuzz harness without libFuzzer: feed it each file named
 * on the command line (a directory stands for the files in it), or, with
 * no argument, each file of its saved corpus, $srcdir/tests/fuzz/corpus/
 * <fuzz_name>. make check runs one replay program per harness this way,
 * under the sanitizers when configured with --enable-sanitizers, so an
 * input that once crashed stays fixed. TAP output, one case per file; a
 * crash ends the run, which the TAP driver reports.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"
#include "strbuf.h"
#include "xalloc.h"

struct names {
    char **v;
    size_t n, cap;
};

static void add_name(struct names *names, const char *name)
{
    if (names->n == names->cap) {
	names->cap = names->cap ? 2 * names->cap : 64;
	names->v = xrealloc(names->v, names->cap * sizeof(*names->v));
    }
    names->v[names->n++] = xstrdup(name);
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *) a, *(char *const *) b);
}

/* add_path - a file, or the files of a directory in name order */
static int add_path(struct names *names, const char *path)
{
    struct stat st;

    if (stat(path, &st) < 0) {
	printf("Bail out! %s: %s\n", path, strerror(errno));
	return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
	add_name(names, path);
	return 0;
    }
    DIR *dir = opendir(path);
    if (dir == NULL) {
	printf("Bail out! %s: %s\n", path, strerror(errno));
	return -1;
    }
    size_t first = names->n;
    struct dirent *de;
    struct strbuf file = STRBUF_INIT;
    while ((de = readdir(dir)) != NULL) {
	if (de->d_name[0] == '.')
	    continue;
	sb_reset(&file);
	sb_printf(&file, "%s/%s", path, de->d_name);
	add_name(names, sb_str(&file));
    }
    closedir(dir);
    sb_free(&file);
    qsort(names->v + first, names->n - first, sizeof(*names->v), by_name);
    return 0;
}

int main(int argc, char **argv)
{
    struct names names = { NULL, 0, 0 };
    struct strbuf corpus = STRBUF_INIT;

    if (argc > 1) {
	for (int i = 1; i < argc; i++)
	    if (add_path(&names, argv[i]) < 0)
		return 1;
    } else {
	const char *srcdir = getenv("srcdir");

	sb_printf(&corpus, "%s/tests/fuzz/corpus/%s", srcdir ? srcdir : ".", fuzz_name);
	if (add_path(&names, sb_str(&corpus)) < 0)
	    return 1;
	if (names.n == 0) {
	    printf("Bail out! %s: no inputs\n", sb_str(&corpus));
	    return 1;
	}
    }
    printf("1..%zu\n", names.n);
    fflush(stdout);
    int failed = 0;
    struct strbuf data = STRBUF_INIT;
    for (size_t i = 0; i < names.n; i++) {
	sb_reset(&data);
	if (sb_read_file(&data, names.v[i]) < 0) {
	    printf("not ok %zu - %s: %s\n", i + 1, names.v[i], strerror(errno));
	    failed = 1;
	    continue;
	}
	/* An allocation of exactly the input's size, as libFuzzer gives. */
	uint8_t *copy = xmalloc(data.len ? data.len : 1);
	if (data.len > 0)
	    memcpy(copy, data.s, data.len);
	LLVMFuzzerTestOneInput(copy, data.len);
	free(copy);
	printf("ok %zu - %s %s\n", i + 1, fuzz_name, names.v[i]);
	fflush(stdout);
	free(names.v[i]);
    }
    free(names.v);
    sb_free(&data);
    sb_free(&corpus);
    return failed;
}
