/* textutil - name=value splitting, brace-aware tokens, brace extraction, fold test, composite members */
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "strbuf.h"
#include "textutil.h"
#include "xalloc.h"

int is_space(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\v'
	|| ch == '\f' || ch == '\r';
}

char *trim_right(char *s)
{
    char *end = s + strlen(s);

    while (end > s && is_space((unsigned char) end[-1]))
	end--;
    *end = 0;
    return s;
}

size_t header_name_len(const char *text, size_t len)
{
    size_t name = 0;
    int in_space = 0;

    for (size_t i = 0; i < len; i++) {
	unsigned char c = (unsigned char) text[i];

	if (c == ':')
	    return name;
	if (c == ' ' || c == '\t') {
	    if (name == 0)
		return 0;
	    in_space = 1;
	} else if (c < 0x20 || c > 0x7e || in_space) {
	    return 0;
	} else {
	    name++;
	}
    }
    return 0;
}

int is_header_text(const char *text)
{
    return header_name_len(text, strlen(text)) > 0;
}

const char *split_nameval(char *buf, char **name, char **value)
{
    char *np = buf, *ep, *cp, *vp;

    while (*np && is_space((unsigned char) *np))
	np++;
    if (*np == 0 || *np == '=')
	return "missing attribute name";
    for (ep = np; *ep && !is_space((unsigned char) *ep) && *ep != '='; ep++)
	;
    for (cp = ep; *cp && is_space((unsigned char) *cp); cp++)
	;
    if (*cp != '=')
	return "missing '=' after attribute name";
    *ep = 0;
    for (vp = cp + 1; *vp && is_space((unsigned char) *vp); vp++)
	;
    trim_right(vp);
    *name = np;
    *value = vp;
    return NULL;
}

char *str_tokq(char **src, const char *sep)
{
    char *start = *src + strspn(*src, sep);
    char *cp;
    int level = 0;

    if (*start == 0) {
	*src = start;
	return NULL;
    }
    for (cp = start; *cp; cp++) {
	if (*cp == '{') {
	    level++;
	} else if (level > 0 && *cp == '}') {
	    level--;
	} else if (level == 0 && strchr(sep, *cp) != NULL) {
	    *cp++ = 0;
	    break;
	}
    }
    *src = cp;
    return start;
}

/* balanced_length - length of the balanced {...} at s, 0 if unbalanced */
static size_t balanced_length(const char *s)
{
    int level = 1;

    if (*s != '{')
	return 0;
    for (const char *cp = s + 1; *cp; cp++) {
	if (*cp == '}') {
	    if (--level == 0)
		return (size_t) (cp - s + 1);
	} else if (*cp == '{') {
	    level++;
	}
    }
    return 0;
}

int brace_group(const char *s)
{
    size_t len = balanced_length(s);

    return len > 0 && s[len] == 0;
}

char *extract_braces(char **bp, int strip)
{
    char *cp = *bp;
    struct strbuf err = STRBUF_INIT;
    size_t len;
    int failed = 0;

    if (cp[0] != '{') {
	sb_printf(&err, "no '{' at start of text in \"%s\"", cp);
	failed = 1;
	len = 0;
    } else if ((len = balanced_length(cp)) == 0) {
	sb_printf(&err, "missing '}' in \"%s\"", cp);
	failed = 1;
	cp += 1;
    } else {
	if (cp[len] != 0) {
	    sb_printf(&err, "syntax error after '}' in \"%s\"", cp);
	    failed = 1;
	}
	cp += 1;
	cp[len -= 2] = 0;
    }
    if (strip) {
	char *end = len ? cp + len : cp + strlen(cp);
	while (end > cp && is_space((unsigned char) end[-1]))
	    end--;
	*end = 0;
	while (is_space((unsigned char) *cp))
	    cp++;
    }
    *bp = cp;
    return failed ? sb_detach(&err) : NULL;
}

/*
 * ascii_capitals - the bytes 'A' to 'Z' of w, as 0x80 in each such byte
 * (a byte >= 0x80 is never one of them). Adding 0x3f sets the top bit
 * of a byte >= 'A', adding 0x25 that of a byte > 'Z'; seven-bit bytes
 * never carry into the next.
 */
static uint64_t ascii_capitals(uint64_t w)
{
    const uint64_t low7 = 0x7f7f7f7f7f7f7f7fULL, top = 0x8080808080808080ULL;
    uint64_t b = w & low7;

    return (b + 0x3f3f3f3f3f3f3f3fULL) & ~(b + 0x2525252525252525ULL) & ~w & top;
}

int all_digits(const char *s)
{
    if (*s == 0)
	return 0;
    for (; *s; s++)
	if (*s < '0' || *s > '9')
	    return 0;
    return 1;
}

int conv_time(const char *s, int *seconds, int def_unit)
{
    static const struct { int unit; int scale; } units[] = {
	{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}, {'w', 604800},
    };
    char *end;
    long value;

    errno = 0;
    value = strtol(s, &end, 10);
    if (*s == 0 || errno == ERANGE || value < 0 || value > INT_MAX)
	return 0;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
	if (units[i].unit != (*end ? *end : def_unit))
	    continue;
	/* Postfix refuses value * scale >= INT_MAX, not only > INT_MAX. */
	if (units[i].scale > 1 && value >= INT_MAX / units[i].scale)
	    return 0;
	*seconds = (int) value * units[i].scale;
	return 1;
    }
    return 0;
}

int fold_may_change(const char *s, size_t len)
{
    uint64_t w, any = 0;
    size_t i = 0;

    if (len < sizeof(w)) {
	for (; i < len; i++)
	    any |= ascii_capitals((unsigned char) s[i]) | ((unsigned char) s[i] & 0x80);
	return any != 0;
    }
    for (; i + sizeof(w) <= len; i += sizeof(w)) {
	memcpy(&w, s + i, sizeof(w));
	any |= ascii_capitals(w) | (w & 0x8080808080808080ULL);
    }
    /* The tail: the last eight bytes, some of them seen already. */
    memcpy(&w, s + len - sizeof(w), sizeof(w));
    any |= ascii_capitals(w) | (w & 0x8080808080808080ULL);
    return any != 0;
}

char **composite_split(const char *name)
{
    size_t len = strlen(name), n = 0;
    char **v;

    if (!brace_group(name))
	return NULL;
    char *inner = xstrndup(name + 1, len - 2), *cp = inner, *item;
    v = xcalloc(len / 2 + 2, sizeof(*v));	/* a member takes at least 2 bytes */
    while ((item = str_tokq(&cp, CHARS_COMMA_SP)) != NULL) {
	if (strchr(item, ':') == NULL) {
	    n = 0;
	    break;
	}
	v[n++] = xstrdup(item);
    }
    free(inner);
    if (n == 0) {
	strv_free(v);
	return NULL;
    }
    return v;
}

void strv_free(char **v)
{
    for (size_t i = 0; v != NULL && v[i] != NULL; i++)
	free(v[i]);
    free(v);
}

/* printable - see textutil.h */
void printable(char *s, int utf8)
{
    for (unsigned char *cp = (unsigned char *) s; *cp; cp++) {
	if (*cp >= 0x20 && *cp < 0x7f)
	    continue;
	if (utf8 && *cp >= 194 && *cp <= 254 && cp[1] >= 128 && cp[1] < 192) {
	    while (cp[1] >= 128 && cp[1] < 192)
		cp++;
	    continue;
	}
	*cp = '?';
    }
}
