/* textutil - the small text operations every Postfix file format uses */
#ifndef PFC_TEXTUTIL_H
#define PFC_TEXTUTIL_H

#include <stddef.h>

/* Postfix's separators: list elements and words. */
#define CHARS_COMMA_SP	", \t\r\n"
#define CHARS_SPACE	" \t\r\n"

/* is_space - C isspace() in the C locale, as Postfix's ISSPACE() */
int is_space(int ch);

/*
 * split_nameval - split "name = value" in place: whitespace around '=' and
 * trailing whitespace go. Returns NULL, or Postfix's error text:
 * "missing attribute name" or "missing '=' after attribute name".
 */
const char *split_nameval(char *buf, char **name, char **value);

/*
 * str_tokq - next token of *src separated by any of sep, where text in
 * balanced braces may hold separators (Postfix's mystrtokq with "{}").
 * Modifies the string; returns NULL at the end.
 */
char *str_tokq(char **src, const char *sep);

/*
 * extract_braces - strip the outer { } of *bp in place (Postfix's extpar).
 * With strip, whitespace inside the braces goes too. Returns NULL, or an
 * error text the caller must free ("missing '}' in \"{a = b\"").
 */
char *extract_braces(char **bp, int strip);

/*
 * brace_group - is s exactly one balanced "{...}" group (Postfix's
 * balpar() covering the whole string)?
 */
int brace_group(const char *s);

/*
 * fold_may_change - could case folding change these len bytes: is one
 * an ASCII capital or a byte >= 0x80? Eight bytes at a time: every
 * lookup and every entry of a table asks.
 */
int fold_may_change(const char *s, size_t len);

/* all_digits - Postfix's alldig(): s is not empty and only digits */
int all_digits(const char *s);

/*
 * conv_time - Postfix's conv_time(): a time in seconds from digits and
 * an optional unit letter (s m h d w; def_unit when none; anything after
 * the letter is ignored) that fits an int. 1 on success, else 0.
 */
int conv_time(const char *s, int *seconds, int def_unit);

/*
 * header_name_len - Postfix's is_header_buf(): for a message header line
 * "Name: value" (a name of printable ASCII but ':', blanks allowed before
 * the ':', as RFC 822 did), the length of the name; 0 for anything else.
 */
size_t header_name_len(const char *text, size_t len);

/* is_header_text - Postfix's is_header(): is text a "Name: value" header line? */
int is_header_text(const char *text);

/*
 * printable - Postfix's printable() in place: every byte that is neither
 * printable ASCII nor (utf8) part of a UTF-8 sequence becomes '?'.
 */
void printable(char *s, int utf8);

/* trim_right - drop trailing whitespace in place; returns s */
char *trim_right(char *s);

/*
 * composite_split - the member tables of a unionmap: or pipemap: table
 * whose name (after "type:") is name, as Postfix's dict_union and
 * dict_pipe split it: one balanced "{...}" group, its elements separated
 * by commas and white space ({ } keep theirs), each a "type:name". A new
 * NULL-ended array of new strings (strv_free() frees it), or NULL when
 * name is not such a list of at least one table.
 */
char **composite_split(const char *name);
void strv_free(char **v);

#endif
