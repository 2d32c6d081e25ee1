/*
 * dsn - RFC 3463 enhanced status codes in reply texts, as Postfix's
 * dsn_util.c reads them: "5.7.1 text" splits into the code and the text,
 * and text without a code takes the default one.
 */
#ifndef PFC_DSN_H
#define PFC_DSN_H

#include <stddef.h>

/* Room for the longest code, "5.999.999", and its NUL. */
#define DSN_SIZE 10

/*
 * dsn_valid - the length of the status code that starts text (a 2, 4 or
 * 5, a dot, one to three digits, a dot, one to three digits, then the
 * end or a space), or 0 when there is none.
 */
size_t dsn_valid(const char *text);

/*
 * dsn_split - the status code at the start of text (after spaces), or
 * def_dsn when there is none, into dsn; returns the rest of the text,
 * leading spaces skipped. def_dsn must be a valid code.
 */
const char *dsn_split(char dsn[DSN_SIZE], const char *def_dsn, const char *text);

#endif
