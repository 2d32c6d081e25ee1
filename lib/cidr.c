/* cidr - cidr_table(5) network patterns, as Postfix's cidr_match.c reads them */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cidr.h"
#include "strbuf.h"
#include "textutil.h"

int cidr_family(const char *text)
{
    return strchr(text, ':') ? AF_INET6 : AF_INET;
}

/* mask_bits - keep the first bits bits of an address, clear the rest */
static void mask_bits(unsigned char *bytes, unsigned nbytes, unsigned bits)
{
    for (unsigned i = 0; i < nbytes; i++) {
	if (bits >= 8) {
	    bits -= 8;
	} else {
	    bytes[i] &= (unsigned char) (0xff00u >> bits);
	    bits = 0;
	}
    }
}

int cidr_parse(char *pattern, struct cidr_net *net, int suggest, struct strbuf *why)
{
    char *mask_search = pattern, *mask;

    if (*pattern == '[') {
	char *close = strchr(++pattern, ']');

	if (close == NULL) {
	    sb_printf(why, "missing ']' character after \"[%s\"", pattern);
	    return -1;
	}
	*close = 0;
	mask_search = close + 1;
	if (*mask_search != '/') {
	    if (*mask_search != 0) {
		sb_printf(why, "garbage after \"[%s]\"", pattern);
		return -1;
	    }
	    mask_search = pattern;
	}
    }
    memset(net, 0, sizeof(*net));
    net->family = cidr_family(pattern);
    net->nbytes = net->family == AF_INET6 ? 16 : 4;
    if ((mask = strchr(mask_search, '/')) == NULL) {
	/* A bare address is a network of all its bits. */
	if (inet_pton(net->family, pattern, net->net) != 1) {
	    sb_printf(why, "bad address pattern: \"%s\"", pattern);
	    return -1;
	}
	memset(net->mask, 0xff, net->nbytes);
	return 0;
    }
    *mask++ = 0;

    const char *error = NULL;
    int len = 0;

    if (!all_digits(mask))
	error = "bad mask value";
    /* Postfix converts with atoi(): huge numbers wrap as an int does. */
    else if ((len = (int) strtol(mask, NULL, 10)) > (int) net->nbytes * 8)
	error = "bad mask length";
    else if (inet_pton(net->family, pattern, net->net) != 1)
	error = "bad network value";
    if (error != NULL) {
	sb_printf(why, "%s in \"%s/%s\"", error, pattern, mask);
	return -1;
    }
    if (len < 0)
	len = 0;
    memset(net->mask, 0xff, net->nbytes);
    mask_bits(net->mask, net->nbytes, (unsigned) len);
    for (unsigned i = 0; i < net->nbytes; i++) {
	if (net->net[i] & ~net->mask[i]) {
	    sb_printf(why, "non-null host address bits in \"%s/%s\"", pattern, mask);
	    if (suggest) {
		char text[INET6_ADDRSTRLEN];

		mask_bits(net->net, net->nbytes, (unsigned) len);
		inet_ntop(net->family, net->net, text, sizeof(text));
		sb_printf(why, ", perhaps you should use \"%s/%d\" instead", text, len);
	    }
	    return -1;
	}
    }
    return 0;
}

int cidr_match(const struct cidr_net *net, int family, const unsigned char *addr)
{
    if (net->family != family)
	return -1;
    for (unsigned i = 0; i < net->nbytes; i++)
	if ((addr[i] & net->mask[i]) != net->net[i])
	    return 0;
    return 1;
}
