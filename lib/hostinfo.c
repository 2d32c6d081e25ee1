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
#include <sys/socket.h>
#include <unistd.h>

#include "hostinfo.h"
#include "strbuf.h"
#include "textutil.h"
#include "xalloc.h"

#define DEFAULT_DOMAIN "localdomain"

char *host_myhostname(char *(*mydomain)(void *ctx), void *ctx)
{
    char name[256];

    if (gethostname(name, sizeof(name) - 1) < 0)
	strcpy(name, "localhost");
    name[sizeof(name) - 1] = 0;
    if (strchr(name, '.') != NULL)
	return xstrdup(name);
    char *domain = mydomain(ctx);
    char *result = xconcat(name, ".", domain ? domain : DEFAULT_DOMAIN, (char *) NULL);
    free(domain);
    return result;
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

    GROW(list->v, list->n, list->cap);
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

/*
 * host_protocols - "all", "ipv4", "ipv6" in any combination. Like every
 * list of this file, words are split at separators whatever braces they
 * hold: Postfix reads these lists with mystrtok(), not mystrtokq().
 */
int host_protocols(const char *text, int *v4, int *v6, char **err)
{
    char *copy = xstrdup(text), *bp = copy, *word;

    *v4 = *v6 = 0;
    while ((word = strtok_r(bp, CHARS_COMMA_SP, &bp)) != NULL) {
	if (strcmp(word, "all") == 0) {
	    *v4 = *v6 = 1;
	} else if (strcmp(word, "ipv4") == 0) {
	    *v4 = 1;
	} else if (strcmp(word, "ipv6") == 0) {
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

/* addr_compare - qsort: Postfix's sock_addr_cmp_addr(), to sort as it does */
static int addr_compare(const void *a, const void *b)
{
    const struct sockaddr *sa = (const struct sockaddr *) &((const struct addr *) a)->addr;
    const struct sockaddr *sb = (const struct sockaddr *) &((const struct addr *) b)->addr;

    if (sa->sa_family != sb->sa_family)
	return sa->sa_family - sb->sa_family;
    if (sa->sa_family == AF_INET)
	/* Postfix returns the difference of the raw words, wrapped to int. */
	return (int) (((const struct sockaddr_in *) sa)->sin_addr.s_addr
		      - ((const struct sockaddr_in *) sb)->sin_addr.s_addr);
    return memcmp(&((const struct sockaddr_in6 *) sa)->sin6_addr,
		  &((const struct sockaddr_in6 *) sb)->sin6_addr, sizeof(struct in6_addr));
}

/* resolve - append the addresses of one inet_interfaces name; 0 if none */
static size_t resolve(struct addr_list *found, char *host, int v4, int v6)
{
    struct addrinfo hints = { .ai_flags = AI_NUMERICHOST }, *res, *ai;
    size_t before = found->n;

    if (host[0] == '[' && host[strlen(host) - 1] == ']') {
	host[strlen(host) - 1] = 0;
	host++;
    }
    hints.ai_family = v4 && v6 ? AF_UNSPEC : v4 ? AF_INET : AF_INET6;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, NULL, &hints, &res) != 0) {
	hints.ai_flags = 0;
	if (getaddrinfo(host, NULL, &hints, &res) != 0)
	    return 0;
    }
    for (ai = res; ai; ai = ai->ai_next)
	if ((ai->ai_family == AF_INET && v4) || (ai->ai_family == AF_INET6 && v6))
	    add_addr(found, ai->ai_addr, NULL);
    freeaddrinfo(res);
    return found->n - before;
}

/*
 * explicit_interfaces - the addresses of the names in inet_interfaces,
 * sorted and without duplicates as Postfix keeps them, each with the
 * netmask of the local interface that has it. Returns -1 with *err set
 * for the errors Postfix reports.
 */
static int explicit_interfaces(struct addr_list *list, const char *names,
			       int v4, int v6, char **err)
{
    struct addr_list found = { NULL, 0, 0 }, local = { NULL, 0, 0 };
    char *copy = xstrdup(names), *bp = copy, *host;
    struct strbuf msg = STRBUF_INIT;
    size_t kept = 0;

    while ((host = strtok_r(bp, " \t,", &bp)) != NULL) {
	if (resolve(&found, host, v4, v6) == 0) {
	    sb_printf(&msg, "config variable inet_interfaces: host not found: %s", host);
	    goto done;
	}
    }
    if (found.n > 0)
	qsort(found.v, found.n, sizeof(found.v[0]), addr_compare);
    for (size_t i = 0; i < found.n; i++)
	if (kept == 0 || addr_compare(&found.v[kept - 1], &found.v[i]) != 0)
	    found.v[kept++] = found.v[i];
    if (v4)
	interface_addrs(&local, AF_INET, 0);
    if (v6)
	interface_addrs(&local, AF_INET6, 0);
    for (size_t i = 0; i < kept; i++) {
	size_t j = 0;
	while (j < local.n && addr_compare(&found.v[i], &local.v[j]) != 0)
	    j++;
	if (j == local.n) {
	    char text[INET6_ADDRSTRLEN];
	    const struct sockaddr *sa = (const struct sockaddr *) &found.v[i].addr;
	    inet_ntop(sa->sa_family, sa->sa_family == AF_INET
		      ? (const void *) &((const struct sockaddr_in *) sa)->sin_addr
		      : (const void *) &((const struct sockaddr_in6 *) sa)->sin6_addr,
		      text, sizeof(text));
	    sb_printf(&msg, "parameter inet_interfaces: no local interface found for %s", text);
	    goto done;
	}
	add_addr(list, (const struct sockaddr *) &found.v[i].addr,
		 (const struct sockaddr *) &local.v[j].mask);
    }
  done:
    free(copy);
    free(found.v);
    free(local.v);
    if (msg.len == 0)
	return 0;
    *err = sb_detach(&msg);
    return -1;
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
    while ((word = strtok_r(bp, CHARS_COMMA_SP, &bp)) != NULL) {
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

    if (strcmp(inet_interfaces, "all") == 0 || strcmp(inet_interfaces, "loopback-only") == 0) {
	int loopback = strcmp(inet_interfaces, "loopback-only") == 0;
	if (v4)
	    interface_addrs(&list, AF_INET, loopback);
	if (v6)
	    interface_addrs(&list, AF_INET6, loopback);
    } else if (explicit_interfaces(&list, inet_interfaces, v4, v6, err) < 0) {
	free(list.v);
	return NULL;
    }

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
