/* utf8 - the UTF-8 checks and case folding Postfix applies with smtputf8 */
#ifndef PFC_UTF8_H
#define PFC_UTF8_H

#include <stddef.h>

struct strbuf;

/* utf8_valid - well-formed UTF-8 (no overlongs, no surrogates) */
int utf8_valid(const char *s, size_t len);
/* utf8_seqlen - the length a UTF-8 lead byte announces, or 0 if it is no lead byte */
size_t utf8_seqlen(unsigned char c);
/*
 * utf8_casefold - append s to buf with Unicode full case folding; bytes
 * that are not UTF-8 are copied, with ASCII letters lowercased.
 */
void utf8_casefold(struct strbuf *buf, const char *s);

#endif
