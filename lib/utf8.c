/*
 * utf8 - validation and lowercase folding of UTF-8 text without depending
 * on the process locale: the decoder is ours, the case mapping is the C
 * library's towlower() under a private C.UTF-8 locale.
 */
#include <locale.h>
#include <stdint.h>
#include <string.h>
#include <wctype.h>

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

size_t utf8_sequence(const char *s, size_t len)
{
    uint32_t c;

    return len == 0 ? 0 : decode((const unsigned char *) s, len, &c);
}

int utf8_valid(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *) s;
    uint32_t c;

    while (len > 0) {
	size_t n = decode(p, len, &c);
	if (n == 0)
	    return 0;
	p += n;
	len -= n;
    }
    return 1;
}

void utf8_lowercase(struct strbuf *buf, const char *s)
{
    static locale_t utf8_locale;
    const unsigned char *p = (const unsigned char *) s;
    size_t len = strlen(s);
    uint32_t c;

    if (utf8_locale == (locale_t) 0)
	utf8_locale = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
    while (len > 0) {
	size_t n = decode(p, len, &c);
	if (n == 0) {		/* not UTF-8: copy the byte, fold ASCII only */
	    sb_addch(buf, *p);
	    p++;
	    len--;
	    continue;
	}
	if (c < 0x80)
	    c = (c >= 'A' && c <= 'Z') ? c + 32 : c;
	else if (utf8_locale != (locale_t) 0)
	    c = (uint32_t) towlower_l((wint_t) c, utf8_locale);
	encode(buf, c);
	p += n;
	len -= n;
    }
}
