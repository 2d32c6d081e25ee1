/*
 * fuzz_table - the body of the pattern-table harnesses (fuzz_regexp.c,
 * fuzz_pcre.c, fuzz_cidr.c): the input is a table source, opened through
 * dict_open() as a file and, when it looks like one, as inline
 * "{ {rule}, ... }" text, then asked for fixed keys and for each of its
 * own first lines (a rule's text sometimes matches itself).
 */
#ifndef PFC_FUZZ_TABLE_H
#define PFC_FUZZ_TABLE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dict.h"
#include "fuzz.h"
#include "strbuf.h"

/* Short enough that "(a+)+$" backtracks in microseconds, not seconds. */
static const char *const fuzz_table_keys[] = {
    "", "a", "user@example.com", "User@Example.COM", "postmaster",
    "mail.example.com", "Subject: hello world", "From: <a@b.c>",
    "192.168.1.1", "10.0.0.1", "0.0.0.0", "255.255.255.255", "127.0.0.1",
    "::1", "2001:db8::1", "::ffff:192.168.1.1", "fe80::1", "[::1]",
    "1.2.3.4.5", "1.2.3", "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
    "caf\xc3\xa9@example.com", "\xff\xfe", "aaaaaaaaaaaa!",
};

/* fuzz_table_ask - every key of the list, and up to 8 lines of the input */
static void fuzz_table_ask(struct dict *dict, const uint8_t *data, size_t size)
{
    char *lines[8];
    size_t nlines = fuzz_lines(data, size, lines, 8);
    const char *value;

    for (size_t i = 0; i < sizeof(fuzz_table_keys) / sizeof(fuzz_table_keys[0]) + nlines; i++) {
	size_t nkeys = sizeof(fuzz_table_keys) / sizeof(fuzz_table_keys[0]);
	const char *key = i < nkeys ? fuzz_table_keys[i] : lines[i - nkeys];

	if (dict_lookup(dict, key, &value) == DICT_FOUND)
	    fuzz_use(value);
    }
    fuzz_lines_free(lines, nlines);
}

/* fuzz_table - the harness for tables of type kind */
static int fuzz_table(const char *kind, const uint8_t *data, size_t size)
{
    static const unsigned flags[] = { DICT_FLAG_FOLD, DICT_FLAG_FOLD | DICT_FLAG_UTF8 };
    struct strbuf spec = STRBUF_INIT;
    char *err = NULL;

    fuzz_init();
    /* A known limit of glibc's regcomp(), not ours to find again (fuzz.h). */
    if (strcmp(kind, "regexp") == 0 && fuzz_regcomp_blowup(data, size)) {
	if (fuzz_verbose())
	    fprintf(stderr, "fuzz_regexp: skipped: a pattern regcomp() may not afford\n");
	return 0;
    }
    sb_printf(&spec, "%s:%s", kind, fuzz_file(data, size));
    /* Inline text: the input when it starts with '{' and has no NUL. */
    int inline_too = size > 0 && data[0] == '{' && memchr(data, 0, size) == NULL;
    for (int pass = 0; pass < 2 + inline_too; pass++) {
	if (pass == 2) {
	    sb_reset(&spec);
	    sb_printf(&spec, "%s:", kind);
	    sb_addn(&spec, (const char *) data, size);
	}
	struct dict *dict = dict_open(sb_str(&spec), DICT_READ, flags[pass & 1], &err);
	if (dict == NULL) {
	    fuzz_use(err);
	    free(err);
	    err = NULL;
	    continue;
	}
	fuzz_table_ask(dict, data, size);
	dict_close(dict, &err);
	free(err);
	err = NULL;
    }
    sb_free(&spec);
    return 0;
}

#endif
