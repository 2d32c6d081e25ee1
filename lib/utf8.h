/* utf8 - the UTF-8 checks and case folding Postfix applies with smtputf8 */
#ifndef PFC_UTF8_H
#define PFC_UTF8_H

#include <stddef.h>

struct strbuf;

/* utf8_sequence - length of the well-formed character at s, 0 if none */
size_t utf8_sequence(const char *s, size_t len);
/* utf8_valid - well-formed UTF-8 (no overlongs, no surrogates) */
int utf8_valid(const char *s, size_t len);
/* utf8_lowercase - append s to buf with every character lowercased */
void utf8_lowercase(struct strbuf *buf, const char *s);

#endif
