/*
 * json - JSON text for machine-readable output (pfc check --format=json,
 * pfc trace --format=json): strings escaped so that the output is valid
 * JSON whatever bytes the input holds.
 */
#ifndef PFC_JSON_H
#define PFC_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "strbuf.h"

/*
 * json_string - text as a JSON string: well-formed UTF-8 is copied as is,
 * control characters are escaped, and each byte that is not part of
 * well-formed UTF-8 becomes U+FFFD.
 */
void json_string(struct strbuf *out, const char *text);
/* json_string_len - the same for len bytes, NUL bytes included (as \u0000) */
void json_string_len(struct strbuf *out, const char *text, size_t len);

/* json_nullable - json_string(), or null for NULL */
void json_nullable(struct strbuf *out, const char *text);

/*
 * json_field - "name":"value" (null for a NULL value) in the object or
 * array being written to out, with the comma it needs before it.
 * json_field_uint - the same with a number.
 */
void json_field(struct strbuf *out, const char *name, const char *value);
void json_field_uint(struct strbuf *out, const char *name, uint64_t value);

#endif
