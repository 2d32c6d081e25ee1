/* hostinfo - host-derived defaults, computed the way Postfix computes them */
#include <arpa/inet.h>
#include <ctype.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "hostinfo.h"
#include "strbuf.h"
#include "textutil.h"
#include "xalloc.h"

#define DEFAULT_DOMAIN "localdomain"

char *host_myhostname(const char *mydomain)
{
    char name[256];

    if (gethostname(name, sizeof(name) - 1) < 0)
	strcpy(name, "localhost");
    name[sizeof(name) - 1] = 0;
    if (strchr(name, '.') != NULL)
	return xstrdup(name);
    return xconcat(name, ".", mydomain ? mydomain : DEFAULT_DOMAIN, (char *) NULL);
}

char *host_mydomain(const char *myhostname)
{
    const char *dot = strchr(myhostname, '.');

    return xstrdup(dot ? dot + 1 : DEFAULT_DOMAIN);
}

struct addr {
    struct sockaddr_storage addr, mask;
};

struct addr_list {
    struct addr *v;
    size_t n, cap;
};

static void add_addr(struct addr_list *list, const struct sockaddr *sa,
		     const struct sockaddr *mask)
{
    size_t len = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
	: sizeof(struct sockaddr_in);

    if (list->n == list->cap) {
	list->cap = list->cap ? 2 * list->cap : 8;
	list->v = xrealloc(list->v, list->cap * sizeof(*list->v));
    }
    memset(&list->v[list->n], 0, sizeof(list->v[0]));
    memcpy(&list->v[list->n].addr, sa, len);
    if (mask)
	memcpy(&list->v[list->n].mask, mask, len);
    list->v[list->n].mask.ss_family = sa->sa_family;
    list->n++;
}

/* interface_addrs - addresses of interfaces that are up, one family */
static void interface_addrs(struct addr_list *list, int family, int loopback_only)
{
    struct ifaddrs *ifap, *ifa;

    if (getifaddrs(&ifap) < 0)
	return;
    for (ifa = ifap; ifa; ifa = ifa->ifa_next) {
	const struct sockaddr *sa = ifa->ifa_addr;
	if (!(ifa->ifa_flags & IFF_UP) || sa == NULL || sa->sa_family != family
	    || ifa->ifa_netmask == NULL)
	    continue;
	if (family == AF_INET) {
	    in_addr_t a = ntohl(((const struct sockaddr_in *) sa)->sin_addr.s_addr);
	    if (a == INADDR_ANY || (loopback_only && (a >> 24) != 127))
		continue;
	} else {
	    const struct in6_addr *a6 = &((const struct sockaddr_in6 *) sa)->sin6_addr;
	    if (IN6_IS_ADDR_UNSPECIFIED(a6) || (loopback_only && !IN6_IS_ADDR_LOOPBACK(a6)))
		continue;
	}
	add_addr(list, sa, ifa->ifa_netmask);
    }
    freeifaddrs(ifap);
}

static int prefix_length(const unsigned char *mask, size_t len)
{
    int bits = 0;

    for (size_t i = 0; i < len; i++) {
	unsigned char ch = mask[i];
	if (ch == 0xff) {
	    bits += 8;
	    continue;
	}
	while (ch & 0x80) {
	    bits++;
	    ch <<= 1;
	}
	break;
    }
    return bits;
}

int host_protocols(const char *text, int *v4, int *v6, char **err)
{
    char *copy = xstrdup(text), *bp = copy, *word;

    *v4 = *v6 = 0;
    while ((word = str_tokq(&bp, CHARS_COMMA_SP)) != NULL) {
	if (strcasecmp(word, "all") == 0) {
	    *v4 = *v6 = 1;
	} else if (strcasecmp(word, "ipv4") == 0) {
	    *v4 = 1;
	} else if (strcasecmp(word, "ipv6") == 0) {
	    *v6 = 1;
	} else {
	    struct strbuf msg = STRBUF_INIT;
	    sb_printf(&msg, "unknown inet_protocols value \"%s\" in \"%s\"", word, text);
	    *err = sb_detach(&msg);
	    free(copy);
	    return -1;
	}
    }
    free(copy);
    if (*v6) {
	/* "all" means IPv6 only where the kernel has it. */
	int fd = socket(AF_INET6, SOCK_STREAM, 0);
	if (fd < 0)
	    *v6 = 0;
	else
	    close(fd);
    }
    return 0;
}

char *host_mynetworks(const char *inet_interfaces, const char *style,
		      const char *inet_protocols, char **err)
{
    struct addr_list list = { NULL, 0, 0 };
    struct strbuf result = STRBUF_INIT;
    int v4, v6, mask_style;

    *err = NULL;
    if (host_protocols(inet_protocols, &v4, &v6, err) < 0)
	return NULL;
    if (!v4 && !v6)
	return xstrdup("");
    /* The style is a set of words; exactly one of them is allowed. */
    char *styles = xstrdup(style), *bp = styles, *word;
    unsigned bits = 0;
    mask_style = 0;
    while ((word = str_tokq(&bp, CHARS_COMMA_SP)) != NULL) {
	int this = strcmp(word, "class") == 0 ? 'c' : strcmp(word, "subnet") == 0 ? 's'
	    : strcmp(word, "host") == 0 ? 'h' : 0;
	if (this == 0) {
	    sb_printf(&result, "unknown mynetworks mask style value \"%s\" in \"%s\"", word, style);
	    *err = sb_detach(&result);
	    free(styles);
	    return NULL;
	}
	bits |= this == 'c' ? 1u : this == 's' ? 2u : 4u;
	mask_style = this;
    }
    free(styles);
    if (bits != 1 && bits != 2 && bits != 4) {
	sb_printf(&result, "bad mynetworks_style value: %s; specify exactly one value", style);
	*err = sb_detach(&result);
	return NULL;
    }

    char *ifaces = xstrdup(inet_interfaces);
    trim_right(ifaces);
    const char *start = ifaces + strspn(ifaces, " \t\r\n");
    if (strcasecmp(start, "all") == 0 || strcasecmp(start, "loopback-only") == 0) {
	int loopback = strcasecmp(start, "loopback-only") == 0;
	if (v4)
	    interface_addrs(&list, AF_INET, loopback);
	if (v6)
	    interface_addrs(&list, AF_INET6, loopback);
    } else {
	/* Explicit addresses or names: each with the mask of its interface. */
	struct addr_list local = { NULL, 0, 0 };
	char *bp = ifaces, *host;
	if (v4)
	    interface_addrs(&local, AF_INET, 0);
	if (v6)
	    interface_addrs(&local, AF_INET6, 0);
	while ((host = str_tokq(&bp, " \t,")) != NULL) {
	    struct addrinfo hints = { .ai_flags = AI_NUMERICHOST }, *res, *ai;
	    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		host[strlen(host) - 1] = 0;
		host++;
	    }
	    hints.ai_family = v4 && v6 ? AF_UNSPEC : v4 ? AF_INET : AF_INET6;
	    hints.ai_socktype = SOCK_STREAM;
	    if (getaddrinfo(host, NULL, &hints, &res) != 0) {
		hints.ai_flags = 0;
		if (getaddrinfo(host, NULL, &hints, &res) != 0) {
		    sb_printf(&result, "config variable inet_interfaces: host not found: %s", host);
		    *err = sb_detach(&result);
		    free(local.v);
		    free(list.v);
		    free(ifaces);
		    return NULL;
		}
	    }
	    for (ai = res; ai; ai = ai->ai_next) {
		for (size_t i = 0; i < local.n; i++) {
		    const struct sockaddr *la = (const struct sockaddr *) &local.v[i].addr;
		    if (la->sa_family != ai->ai_family)
			continue;
		    int same = la->sa_family == AF_INET
			? memcmp(&((const struct sockaddr_in *) la)->sin_addr,
				 &((const struct sockaddr_in *) ai->ai_addr)->sin_addr, 4) == 0
			: memcmp(&((const struct sockaddr_in6 *) la)->sin6_addr,
				 &((const struct sockaddr_in6 *) ai->ai_addr)->sin6_addr, 16) == 0;
		    if (same) {
			add_addr(&list, la, (const struct sockaddr *) &local.v[i].mask);
			break;
		    }
		}
	    }
	    freeaddrinfo(res);
	}
	free(local.v);
    }
    free(ifaces);

    struct strbuf seen = STRBUF_INIT;	/* " net1 net2 " for duplicate checks */
    sb_addch(&seen, ' ');
    for (size_t i = 0; i < list.n; i++) {
	char text[INET6_ADDRSTRLEN + 8], item[INET6_ADDRSTRLEN + 32];
	const struct sockaddr *sa = (const struct sockaddr *) &list.v[i].addr;
	const struct sockaddr *ma = (const struct sockaddr *) &list.v[i].mask;
	if (sa->sa_family == AF_INET) {
	    uint32_t addr = ntohl(((const struct sockaddr_in *) sa)->sin_addr.s_addr);
	    int bits;
	    if (mask_style == 'c') {
		bits = (addr >> 31) == 0 ? 8 : (addr >> 30) == 2 ? 16
		    : (addr >> 29) == 6 ? 24 : 4;
	    } else if (mask_style == 's') {
		bits = prefix_length((const unsigned char *)
				     &((const struct sockaddr_in *) ma)->sin_addr, 4);
	    } else {
		bits = 32;
	    }
	    uint32_t net = bits == 0 ? 0 : addr & (0xffffffffu << (32 - bits));
	    struct in_addr in = { htonl(net) };
	    inet_ntop(AF_INET, &in, text, sizeof(text));
	    snprintf(item, sizeof(item), "%s/%d", text, bits);
	} else {
	    struct in6_addr net = ((const struct sockaddr_in6 *) sa)->sin6_addr;
	    int bits = mask_style == 'h' ? 128 : prefix_length(
		(const unsigned char *) &((const struct sockaddr_in6 *) ma)->sin6_addr, 16);
	    for (int b = bits; b < 128; b++)
		net.s6_addr[b / 8] &= (unsigned char) ~(0x80 >> (b % 8));
	    inet_ntop(AF_INET6, &net, text, sizeof(text));
	    snprintf(item, sizeof(item), "[%s]/%d", text, bits);
	}
	struct strbuf probe = STRBUF_INIT;
	sb_printf(&probe, " %s ", item);
	if (strstr(seen.s, probe.s) == NULL) {
	    sb_adds(&seen, item);
	    sb_addch(&seen, ' ');
	    /* Postfix leaves a space after every network, the last one too. */
	    sb_adds(&result, item);
	    sb_addch(&result, ' ');
	}
	sb_free(&probe);
    }
    sb_free(&seen);
    free(list.v);
    return sb_detach(&result);
}
