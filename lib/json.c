/* json - JSON strings and fields (see json.h) */
#include <inttypes.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

void json_string(struct strbuf *out, const char *text)
{
    json_string_len(out, text, strlen(text));
}

void json_string_len(struct strbuf *out, const char *text, size_t len)
{
    const unsigned char *end = (const unsigned char *) text + len;

    sb_addch(out, '"');
    for (const unsigned char *p = (const unsigned char *) text; p < end; p++) {
	switch (*p) {
	case '"':
	    sb_adds(out, "\\\"");
	    break;
	case '\\':
	    sb_adds(out, "\\\\");
	    break;
	case '\n':
	    sb_adds(out, "\\n");
	    break;
	case '\t':
	    sb_adds(out, "\\t");
	    break;
	case '\r':
	    sb_adds(out, "\\r");
	    break;
	default:
	    if (*p < 0x20 || *p == 0x7f) {
		sb_printf(out, "\\u%04x", *p);
	    } else if (*p < 0x80) {
		sb_addch(out, (char) *p);
	    } else {
		size_t n = utf8_seqlen(*p);
		if (n > 1 && n <= (size_t) (end - p) && utf8_valid((const char *) p, n)) {
		    sb_addn(out, (const char *) p, n);
		    p += n - 1;
		} else {
		    sb_adds(out, "\\ufffd");
		}
	    }
	}
    }
    sb_addch(out, '"');
}

void json_nullable(struct strbuf *out, const char *text)
{
    if (text == NULL)
	sb_adds(out, "null");
    else
	json_string(out, text);
}

/* separate - the comma before a member, unless it is the first */
static void separate(struct strbuf *out)
{
    if (out->len > 0 && out->s[out->len - 1] != '{' && out->s[out->len - 1] != '[')
	sb_addch(out, ',');
}

void json_field(struct strbuf *out, const char *name, const char *value)
{
    separate(out);
    json_string(out, name);
    sb_addch(out, ':');
    json_nullable(out, value);
}

void json_field_uint(struct strbuf *out, const char *name, uint64_t value)
{
    separate(out);
    json_string(out, name);
    sb_printf(out, ":%" PRIu64, value);
}
