/*
 * fuzz - what the libFuzzer harnesses of tests/fuzz share. Each harness
 * defines LLVMFuzzerTestOneInput() and fuzz_name (its corpus directory
 * under tests/fuzz/corpus); it is linked either with libFuzzer (make fuzz,
 * clang -fsanitize=fuzzer) or with replay.c (make check, any compiler),
 * which feeds it the saved corpus.
 */
#ifndef PFC_FUZZ_H
#define PFC_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* the harness's name: its corpus is tests/fuzz/corpus/<fuzz_name> */
extern const char fuzz_name[];

/*
 * fuzz_init - once per process: warnings go to a hook that only measures
 * them (set PFC_FUZZ_VERBOSE=1 to see them on stderr), since a fuzzer
 * that writes a line per warning spends its time in write(2).
 */
void fuzz_init(void);

/* fuzz_verbose - PFC_FUZZ_VERBOSE=1: say more on stderr (to debug an input) */
int fuzz_verbose(void);

/* fuzz_cstring - a NUL-terminated copy of the input (free it) */
char *fuzz_cstring(const uint8_t *data, size_t size);

/* fuzz_stream - the input as a read-only stream (fclose it) */
FILE *fuzz_stream(const uint8_t *data, size_t size);

/*
 * fuzz_file - the input written to this process's scratch file (for the
 * readers that take a path); returns that path. The file is removed at
 * exit.
 */
const char *fuzz_file(const uint8_t *data, size_t size);

/*
 * fuzz_lines - up to max lines of the input (without NUL bytes, at most
 * 256 bytes each) as NUL-terminated strings, for use as lookup keys.
 * Returns how many; free them with fuzz_lines_free().
 */
size_t fuzz_lines(const uint8_t *data, size_t size, char **lines, size_t max);
void fuzz_lines_free(char **lines, size_t n);

/*
 * fuzz_regcomp_blowup - might glibc's regcomp() need far too much memory
 * for some regular expression in the input? It copies a subexpression
 * for each repetition it must unroll, so stacked quantifiers grow
 * exponentially: "a" and 22 "+" take 3 GB and 9 s, "a{0,255}{0,255}"
 * 0.5 GB. Postfix's regexp tables have the same limit; the harnesses
 * that compile POSIX patterns skip such inputs, or the fuzzer would stop
 * at its memory limit within a minute every time. The estimate is rough
 * and errs high: every line and every NUL-terminated string is scanned
 * as if it were one pattern.
 */
int fuzz_regcomp_blowup(const uint8_t *data, size_t size);

/* fuzz_use - read every byte of s, so a sanitizer sees a bad string */
void fuzz_use(const char *s);

/*
 * fuzz_entry - a table reader's entry callback (mapsource, aliases): a
 * line number from 1, and key and value read through
 */
void fuzz_entry(void *ctx, const char *key, const char *value, int line);

#endif
