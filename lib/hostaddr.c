/*
 * hostaddr - host name and address syntax, as Postfix's valid_hostname.c
 * judges it; the warnings keep Postfix's wording ("valid_hostname: ...").
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "diag.h"
#include "hostaddr.h"
#include "utf8.h"
#include "xalloc.h"

#define GRIPE(flags, ...) do { if ((flags) & HOST_GRIPE) diag_warn(__VA_ARGS__); } while (0)

int valid_hostname(const char *name, int flags)
{
    const char *cp;
    int label_length = 0, label_count = 0, non_numeric = 0;
    int ch;

    if (*name == 0) {
	GRIPE(flags, "valid_hostname: empty hostname");
	return 0;
    }
    for (cp = name; (ch = *(const unsigned char *) cp) != 0; cp++) {
	if (isalnum(ch) || ch == '_') {
	    if (label_length == 0)
		label_count++;
	    if (++label_length > HOST_LABEL_MAX_LEN) {
		GRIPE(flags, "valid_hostname: hostname label too long: %.100s", name);
		return 0;
	    }
	    if (!isdigit(ch))
		non_numeric = 1;
	} else if ((flags & HOST_WILDCARD) && ch == '*') {
	    if (label_length || label_count || (cp[1] && cp[1] != '.')) {
		GRIPE(flags, "valid_hostname: '*' can be the first label only: %.100s", name);
		return 0;
	    }
	    label_count++;
	    label_length++;
	    non_numeric = 1;
	} else if (ch == '.') {
	    if (label_length == 0 || cp[1] == 0) {
		GRIPE(flags, "valid_hostname: misplaced delimiter: %.100s", name);
		return 0;
	    }
	    label_length = 0;
	} else if (ch == '-') {
	    non_numeric = 1;
	    label_length++;
	    if (label_length == 1 || cp[1] == 0 || cp[1] == '.') {
		GRIPE(flags, "valid_hostname: misplaced hyphen: %.100s", name);
		return 0;
	    }
	} else {
	    GRIPE(flags, "valid_hostname: invalid character %d(decimal): %.100s", ch, name);
	    return 0;
	}
    }
    if (non_numeric == 0) {
	GRIPE(flags, "valid_hostname: numeric hostname: %.100s", name);
	return 0;
    }
    if (cp - name > HOST_NAME_MAX_LEN) {
	GRIPE(flags, "valid_hostname: bad length %d for %.100s...", (int) (cp - name), name);
	return 0;
    }
    return 1;
}

int valid_utf8_hostname(int utf8, const char *name, int flags)
{
    if (*name == 0) {
	GRIPE(flags, "valid_utf8_hostname: empty domain name");
	return 0;
    }
    if (utf8) {
	for (const char *cp = name; *cp; cp++) {
	    if (*cp & 0x80) {
		if (utf8_valid(name, strlen(name)))
		    return 1;
		GRIPE(flags, "valid_utf8_hostname: malformed UTF-8 domain name");
		return 0;
	    }
	}
    }
    return valid_hostname(name, flags);
}

int valid_hostaddr(const char *addr, int flags)
{
    if (*addr == 0) {
	GRIPE(flags, "valid_hostaddr: empty address");
	return 0;
    }
    if (strchr(addr, ':') != NULL)
	return valid_ipv6_hostaddr(addr, flags);
    return valid_ipv4_hostaddr(addr, flags);
}

int valid_ipv4_hostaddr(const char *addr, int flags)
{
    int in_byte = 0, byte_count = 0, byte_val = 0;
    int ch;

    for (const char *cp = addr; (ch = *(const unsigned char *) cp) != 0; cp++) {
	if (isdigit(ch)) {
	    if (in_byte == 0) {
		in_byte = 1;
		byte_val = 0;
		byte_count++;
	    }
	    byte_val = byte_val * 10 + ch - '0';
	    if (byte_val > 255) {
		GRIPE(flags, "valid_ipv4_hostaddr: invalid octet value: %.100s", addr);
		return 0;
	    }
	} else if (ch == '.') {
	    if (in_byte == 0 || cp[1] == 0) {
		GRIPE(flags, "valid_ipv4_hostaddr: misplaced dot: %.100s", addr);
		return 0;
	    }
	    /* 0.0.0.0 is an address, 0.1.2.3 is not. */
	    if (byte_count == 1 && byte_val == 0 && addr[strspn(addr, "0.")]) {
		GRIPE(flags, "valid_ipv4_hostaddr: bad initial octet value: %.100s", addr);
		return 0;
	    }
	    in_byte = 0;
	} else {
	    GRIPE(flags, "valid_ipv4_hostaddr: invalid character %d(decimal): %.100s", ch, addr);
	    return 0;
	}
    }
    if (byte_count != 4) {
	GRIPE(flags, "valid_ipv4_hostaddr: invalid octet count: %.100s", addr);
	return 0;
    }
    return 1;
}

int valid_ipv6_hostaddr(const char *addr, int flags)
{
    const unsigned char *cp = (const unsigned char *) addr;
    int null_field = 0, field = 0;
    size_t len = 0;

    for (;;) {
	switch (*cp) {
	case 0:
	    if (field < 2) {
		GRIPE(flags, "valid_ipv6_hostaddr: too few `:' in IPv6 address: %.100s", addr);
		return 0;
	    }
	    if (len == 0 && null_field != field - 1) {
		GRIPE(flags, "valid_ipv6_hostaddr: bad null last field in IPv6 address: %.100s",
		      addr);
		return 0;
	    }
	    return 1;
	case '.':
	    if (field < 2 || field > 6) {
		GRIPE(flags, "valid_ipv6_hostaddr: malformed IPv4-in-IPv6 address: %.100s", addr);
		return 0;
	    }
	    return valid_ipv4_hostaddr((const char *) cp - len, flags);
	case ':':
	    if (field == 0 && len == 0 && isalnum(cp[1])) {
		GRIPE(flags, "valid_ipv6_hostaddr: bad null first field in IPv6 address: %.100s",
		      addr);
		return 0;
	    }
	    if (++field > 7) {
		GRIPE(flags, "valid_ipv6_hostaddr: too many `:' in IPv6 address: %.100s", addr);
		return 0;
	    }
	    cp++;
	    len = 0;
	    if (*cp == ':') {
		if (null_field > 0) {
		    GRIPE(flags, "valid_ipv6_hostaddr: too many `::' in IPv6 address: %.100s",
			  addr);
		    return 0;
		}
		null_field = field;
	    }
	    break;
	default:
	    len = strspn((const char *) cp, "0123456789abcdefABCDEF");
	    if (len > 4) {
		GRIPE(flags, "valid_ipv6_hostaddr: malformed IPv6 address: %.100s", addr);
		return 0;
	    }
	    if (len == 0) {
		GRIPE(flags, "valid_ipv6_hostaddr: invalid character %d(decimal) in IPv6 address:"
		      " %.100s", *cp, addr);
		return 0;
	    }
	    cp += len;
	    break;
	}
    }
}

const char *valid_mailhost_addr(const char *addr, int flags)
{
    if (strncasecmp(addr, "IPv6:", 5) == 0)
	return valid_ipv6_hostaddr(addr + 5, flags) ? addr + 5 : NULL;
    return valid_ipv4_hostaddr(addr, flags) ? addr : NULL;
}

int valid_mailhost_literal(const char *literal, int flags)
{
    const char *last;
    char buf[INET6_ADDRSTRLEN];
    size_t len;

    if (*literal != '[') {
	GRIPE(flags, "valid_mailhost_literal: '[' expected at start: %.100s", literal);
	return 0;
    }
    if ((last = strchr(literal, ']')) == NULL) {
	GRIPE(flags, "valid_mailhost_literal: ']' expected at end: %.100s", literal);
	return 0;
    }
    if (last[1]) {
	GRIPE(flags, "valid_mailhost_literal: unexpected text after ']': %.100s", literal);
	return 0;
    }
    if ((len = (size_t) (last - literal - 1)) >= sizeof(buf)) {
	GRIPE(flags, "valid_mailhost_literal: too much text: %.100s", literal);
	return 0;
    }
    memcpy(buf, literal + 1, len);
    buf[len] = 0;
    return valid_mailhost_addr(buf, flags) != NULL;
}

int normalize_mailhost_addr(const char *addr, int v4, int v6, char **bare, int *family)
{
    const char *valid = valid_mailhost_addr(addr, 0);
    unsigned char bin[sizeof(struct in6_addr)];
    char text[INET6_ADDRSTRLEN];
    int af = valid && strchr(valid, ':') ? AF_INET6 : AF_INET;

    if (valid == NULL || inet_pton(af, valid, bin) != 1 || inet_ntop(af, bin, text, sizeof(text)) == NULL)
	return -1;
    const char *normal = text;
    if (af == AF_INET6 && strncasecmp(text, "::ffff:", 7) == 0 && v4) {
	normal = text + 7;
	af = AF_INET;
    } else if ((af == AF_INET && !v4) || (af == AF_INET6 && !v6)) {
	return -1;
    }
    *bare = xstrdup(normal);
    *family = af;
    return 0;
}
