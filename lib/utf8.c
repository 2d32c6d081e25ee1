/*
 * utf8 - validation and case folding of UTF-8 text, independent of the
 * process locale: the decoder is ours, the folding is Unicode's full case
 * folding (casefold.h), as Postfix gets it from ICU.
 */
#include <stdint.h>
#include <string.h>

#include "casefold.h"
#include "strbuf.h"
#include "utf8.h"

/* decode - one code point at s (len bytes left); returns its length or 0 */
static size_t decode(const unsigned char *s, size_t len, uint32_t *cp)
{
    if (s[0] < 0x80) {
	*cp = s[0];
	return 1;
    }
    size_t n = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3
	: (s[0] & 0xf8) == 0xf0 ? 4 : 0;
    if (n == 0 || n > len)
	return 0;
    uint32_t c = s[0] & (0x7f >> n);
    for (size_t i = 1; i < n; i++) {
	if ((s[i] & 0xc0) != 0x80)
	    return 0;
	c = (c << 6) | (s[i] & 0x3f);
    }
    static const uint32_t min[] = { 0, 0, 0x80, 0x800, 0x10000 };
    if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
	return 0;
    *cp = c;
    return n;
}

static void encode(struct strbuf *buf, uint32_t c)
{
    if (c < 0x80) {
	sb_addch(buf, (int) c);
    } else if (c < 0x800) {
	sb_addch(buf, (int) (0xc0 | (c >> 6)));
	sb_addch(buf, (int) (0x80 | (c & 0x3f)));
    } else if (c < 0x10000) {
	sb_addch(buf, (int) (0xe0 | (c >> 12)));
	sb_addch(buf, (int) (0x80 | ((c >> 6) & 0x3f)));
	sb_addch(buf, (int) (0x80 | (c & 0x3f)));
    } else {
	sb_addch(buf, (int) (0xf0 | (c >> 18)));
	sb_addch(buf, (int) (0x80 | ((c >> 12) & 0x3f)));
	sb_addch(buf, (int) (0x80 | ((c >> 6) & 0x3f)));
	sb_addch(buf, (int) (0x80 | (c & 0x3f)));
    }
}

int utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *) s;
    uint32_t c;

    while (len > 0) {
	uint64_t w;
	if (len >= sizeof(w)) {	/* the common case: eight ASCII bytes */
	    memcpy(&w, p, sizeof(w));
	    if ((w & 0x8080808080808080ULL) == 0) {
		p += sizeof(w);
		len -= sizeof(w);
		continue;
	    }
	}
	if (*p < 0x80) {	/* without the decoder */
	    p++;
	    len--;
	    continue;
	}
	size_t n = decode(p, len, &c);
	if (n == 0)
	    return 0;
	p += n;
	len -= n;
    }
    return 1;
}

void utf8_casefold(struct strbuf *buf, const char *s)
{
    const unsigned char *p = (const unsigned char *) s;
    size_t len = strlen(s);
    uint32_t c;

    while (len > 0) {
	if (*p < 0x80) {	/* ASCII, most of the text: without the decoder */
	    sb_addch(buf, (*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
	    p++;
	    len--;
	    continue;
	}
	size_t n = decode(p, len, &c);
	if (n == 0) {		/* not UTF-8: copy the byte, fold ASCII only */
	    sb_addch(buf, *p);
	    p++;
	    len--;
	    continue;
	}
	const struct casefold *fold;
	if (c < 0x80) {
	    encode(buf, (c >= 'A' && c <= 'Z') ? c + 32 : c);
	} else if ((fold = casefold_find(c)) != NULL) {
	    for (int i = 0; i < 3 && fold->to[i] != 0; i++)
		encode(buf, fold->to[i]);
	} else {
	    encode(buf, c);
	}
	p += n;
	len -= n;
    }
}

size_t utf8_seqlen(unsigned char c)
{
    if (c < 0x80)
	return 1;
    if (c >= 0xc2 && c <= 0xdf)
	return 2;
    if (c >= 0xe0 && c <= 0xef)
	return 3;
    if (c >= 0xf0 && c <= 0xf4)
	return 4;
    return 0;
}
