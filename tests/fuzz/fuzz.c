/*
 * fuzz - helpers shared by the harnesses of tests/fuzz: quiet warnings,
 * inputs as C strings, as lines and as a file.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "fuzz.h"
#include "xalloc.h"

static char *scratch_path;
static int scratch_fd = -1;

/* The sum of the warnings' bytes, so that the compiler keeps the reads. */
static volatile size_t warned_bytes;

/* on_warning - the warning hook: read the whole message, print nothing */
static void on_warning(void *ctx, const char *message)
{
    (void) ctx;
    warned_bytes += strlen(message);
}

static void remove_scratch(void)
{
    if (scratch_path != NULL)
	unlink(scratch_path);
}

int fuzz_verbose(void)
{
    const char *verbose = getenv("PFC_FUZZ_VERBOSE");

    return verbose != NULL && strcmp(verbose, "1") == 0;
}

void fuzz_init(void)
{
    static int done;

    if (done)
	return;
    done = 1;
    if (!fuzz_verbose())
	diag_set_warning_hook(on_warning, NULL);
}

char *fuzz_cstring(const uint8_t *data, size_t size)
{
    char *s = xmalloc(size + 1);

    if (size > 0)
	memcpy(s, data, size);
    s[size] = 0;
    return s;
}

/* fatal - a harness that cannot set itself up stops the run */
static void fatal(const char *what)
{
    fprintf(stderr, "fuzz: %s: %s\n", what, strerror(errno));
    abort();
}

FILE *fuzz_stream(const uint8_t *data, size_t size)
{
    /* glibc's fmemopen() refuses an empty buffer: an empty file instead */
    FILE *fp = size > 0 ? fmemopen((void *) data, size, "r") : tmpfile();

    if (fp == NULL)
	fatal(size > 0 ? "fmemopen" : "tmpfile");
    return fp;
}

const char *fuzz_file(const uint8_t *data, size_t size)
{
    if (scratch_fd < 0) {
	const char *dir = getenv("TMPDIR");
	size_t len;

	if (dir == NULL || *dir == 0)
	    dir = "/tmp";
	len = strlen(dir) + sizeof("/pfc-fuzz.XXXXXX");
	scratch_path = xmalloc(len);
	snprintf(scratch_path, len, "%s/pfc-fuzz.XXXXXX", dir);
	if ((scratch_fd = mkstemp(scratch_path)) < 0)
	    fatal("mkstemp");
	atexit(remove_scratch);
    }
    if (ftruncate(scratch_fd, 0) < 0)
	fatal("ftruncate");
    size_t off = 0;
    while (off < size) {
	ssize_t n = pwrite(scratch_fd, data + off, size - off, (off_t) off);
	if (n < 0 && errno == EINTR)
	    continue;
	if (n <= 0)
	    fatal("pwrite");
	off += (size_t) n;
    }
    return scratch_path;
}

size_t fuzz_lines(const uint8_t *data, size_t size, char **lines, size_t max)
{
    size_t n = 0, i = 0;

    while (i < size && n < max) {
	size_t start = i, len = 0;
	char buf[257];

	while (i < size && data[i] != '\n') {
	    if (data[i] != 0 && len < sizeof(buf) - 1)
		buf[len++] = (char) data[i];
	    i++;
	}
	i++;			/* the newline */
	if (i - 1 == start)
	    continue;		/* an empty line is no key worth trying */
	buf[len] = 0;
	lines[n++] = xstrdup(buf);
    }
    return n;
}

void fuzz_lines_free(char **lines, size_t n)
{
    for (size_t i = 0; i < n; i++)
	free(lines[i]);
}

void fuzz_use(const char *s)
{
    warned_bytes += strlen(s);
}

void fuzz_entry(void *ctx, const char *key, const char *value, int line)
{
    (void) ctx;
    if (line < 1)
	__builtin_trap();
    fuzz_use(key);
    fuzz_use(value);
}

/* The estimate's limit: about the tree regcomp() builds for "a{0,10000}". */
#define REGCOMP_LIMIT	10000.0
#define REGCOMP_DEPTH	64

int fuzz_regcomp_blowup(const uint8_t *data, size_t size)
{
    /* sum[d]: the copies of the atoms so far at group depth d */
    double sum[REGCOMP_DEPTH + 1], last = 0;
    int depth = 0;

    sum[0] = 0;
    for (size_t i = 0; i < size; i++) {
	uint8_t c = data[i];
	double times = 1;

	if (c == 0 || c == '\n') {
	    depth = 0, sum[0] = 0, last = 0;
	    continue;
	}
	switch (c) {
	case '(':
	    if (depth < REGCOMP_DEPTH)
		sum[++depth] = 0;
	    last = 0;
	    continue;
	case ')':
	    if (depth > 0) {
		last = sum[depth--] + 1;
		sum[depth] += last;
	    }
	    continue;
	case '+':
	    times = 2;
	    break;
	case '{': {
	    /* a{m}, a{m,}, a{m,n}: up to n (or m) + 1 copies */
	    double n = 0, bound = 0;
	    size_t j = i + 1;
	    for (; j < size && ((data[j] >= '0' && data[j] <= '9') || data[j] == ','); j++) {
		if (data[j] == ',')
		    n = 0;
		else if ((n = n * 10 + (data[j] - '0')) > bound)
		    bound = n;
	    }
	    times = bound + 2;
	    i = j < size && data[j] == '}' ? j : i;
	    break;
	}
	case '*':
	case '?':
	    times = 1;
	    break;
	case '[':
	    /* a bracket expression is one atom */
	    for (i++; i < size && data[i] != ']' && data[i] != '\n' && data[i] != 0; i++)
		;
	    if (i < size && data[i] != ']')
		i--;
	    last = 1;
	    sum[depth] += 1;
	    continue;
	case '\\':
	    i++;
	    /* FALLTHROUGH */
	default:
	    last = 1;
	    sum[depth] += 1;
	    continue;
	}
	/* a quantifier: the last atom (possibly a group) is copied */
	sum[depth] += last * (times - 1);
	last *= times;
	if (sum[depth] > REGCOMP_LIMIT || last > REGCOMP_LIMIT)
	    return 1;
    }
    return 0;
}
