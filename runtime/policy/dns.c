/*
 * dns - the DNS questions of smtpd's restrictions (see dns.h), asked as
 * Postfix 3.7 asks them: dns_lookup.c's statuses, the checks it makes on
 * every answer record, the order of multi-type lookups, and
 * smtpd_check.c's walks over MX and NS hosts and DNS lists.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "diag.h"
#include "dns.h"
#include "hostaddr.h"
#include "textutil.h"
#include "xalloc.h"

/* Postfix's DNS_NAME_LEN and reply buffer sizes. */
#define NAME_LEN	1024
#define REPLY_SIZE	4096
#define MAX_REPLY_SIZE	65536

/* dns_lookup_x() follows at most this many CNAMEs. */
#define CNAME_LIMIT	10

/* Internal status: a CNAME was found, ask again for its target. */
#define DNS_RECURSE	((enum dns_status) 100)

/* RBL_TXT_LIMIT: the most TXT text a DNS list's reply gets. */
#define RBL_TXT_LIMIT	500

void dns_answer_free(struct dns_answer *answer)
{
    for (size_t i = 0; i < answer->count; i++)
	free(answer->rrs[i].data);
    free(answer->rrs);
    free(answer->why);
    answer->rrs = NULL;
    answer->count = 0;
    answer->why = NULL;
    answer->herr = 0;
}

/* answer_add - append one record, taking data */
static void answer_add(struct dns_answer *answer, enum dns_type type, unsigned pref, char *data)
{
    answer->rrs = xrealloc(answer->rrs, (answer->count + 1) * sizeof(*answer->rrs));
    answer->rrs[answer->count++] = (struct dns_rr) { type, pref, data };
}

/* answer_move - append the records of from to answer; from keeps none */
static void answer_move(struct dns_answer *answer, struct dns_answer *from)
{
    for (size_t i = 0; i < from->count; i++)
	answer_add(answer, from->rrs[i].type, from->rrs[i].preference, from->rrs[i].data);
    free(from->rrs);
    from->rrs = NULL;
    from->count = 0;
}

/* set_why - replace the answer's failure text and h_errno */
static void set_why(struct dns_answer *answer, int herr, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_why(struct dns_answer *answer, int herr, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    str_vreplace(&answer->why, fmt, ap);
    va_end(ap);
    answer->herr = herr;
}

const char *dns_strtype(enum dns_type type)
{
    switch (type) {
    case DNS_A: return "A";
    case DNS_NS: return "NS";
    case DNS_CNAME: return "CNAME";
    case DNS_PTR: return "PTR";
    case DNS_MX: return "MX";
    case DNS_TXT: return "TXT";
    case DNS_AAAA: return "AAAA";
    case DNS_NOTE: break;
    }
    return "unknown";
}

/* herr_text - Postfix's dns_strerror() of one h_errno value */
static const char *herr_text(int herr, struct strbuf *buf)
{
    switch (herr) {
    case HOST_NOT_FOUND: return "Host not found";
    case TRY_AGAIN: return "Host not found, try again";
    case NO_RECOVERY: return "Non-recoverable error";
    case NO_DATA: return "Host found but no data record of requested type";
    }
    sb_reset(buf);
    sb_printf(buf, "Unknown error %u", herr == DNS_HERR_NONE ? 0u : (unsigned) herr);
    return sb_str(buf);
}

/* status_herr - the h_errno a status implies when the resolver kept none */
static int status_herr(const struct dns_answer *answer, enum dns_status status)
{
    if (answer != NULL && answer->herr != 0)
	return answer->herr;
    switch (status) {
    case DNS_NOTFOUND: return HOST_NOT_FOUND;
    case DNS_RETRY: return TRY_AGAIN;
    case DNS_FAIL: return NO_RECOVERY;
    case DNS_NULLMX: return NO_DATA;
    default: return DNS_HERR_NONE;
    }
}

const char *dns_strerror(const struct dns_answer *answer, enum dns_status status,
			 struct strbuf *buf)
{
    return herr_text(status_herr(answer, status), buf);
}

const char *dns_why(const struct dns_answer *answer, const char *name, enum dns_type type,
		    enum dns_status status, struct strbuf *buf)
{
    struct strbuf err = STRBUF_INIT;

    if (answer != NULL && answer->why != NULL)
	return answer->why;
    sb_reset(buf);
    switch (status) {
    case DNS_OK:
	break;
    case DNS_NULLMX:
	sb_printf(buf, "Domain %s does not accept mail (nullMX)", name);
	break;
    case DNS_INVAL:
	sb_printf(buf, "Name service error for name=%s type=%s: "
		  "Malformed or unexpected name server reply", name, dns_strtype(type));
	break;
    default:
	sb_printf(buf, "Host or domain name not found. Name service error for name=%s"
		  " type=%s: %s", name, dns_strtype(type), dns_strerror(answer, status, &err));
	break;
    }
    sb_free(&err);
    return sb_str(buf);
}

/* ---------------------------------------------------------------- the system resolver */

struct sys_resolver {
    struct dns_resolver ops;
    struct __res_state res;
    unsigned char *buf;
    size_t buflen;
    int use_getaddrinfo;
};

/* The parts of one reply that dns_get_answer() keeps. */
struct reply {
    const unsigned char *buf, *end;
    const unsigned char *question;
    int qdcount, ancount;
};

/*
 * valid_rr_name - Postfix's valid_rr_name(): a name in a reply must be a
 * valid host name; a numeric one passes. Both complain, naming the
 * query.
 */
static int valid_rr_name(const char *name, const char *location, unsigned type,
			 const struct reply *reply)
{
    const char *gripe = NULL;
    int result = 1;
    char qname[NAME_LEN];

    if (valid_hostaddr(name, 0)) {
	gripe = "numeric domain name";
    } else if (!valid_hostname(name, HOST_GRIPE | HOST_WILDCARD)) {
	gripe = "malformed domain name";
	result = 0;
    }
    if (gripe != NULL) {
	int len = dn_expand(reply->buf, reply->end, reply->question, qname, sizeof(qname));
	diag_warn("%s in %s of %s record for %s: %.100s", gripe, location,
		  dns_strtype((enum dns_type) type), len < 0 ? "*unparsable*" : qname, name);
    }
    return result;
}

/* get_rr - one record of the wanted type (dns_get_rr()) */
static enum dns_status get_rr(struct dns_answer *answer, const struct reply *reply,
			      const unsigned char *pos, unsigned type, unsigned length)
{
    char temp[NAME_LEN];
    char addr[INET6_ADDRSTRLEN];
    unsigned pref = 0;

    switch (type) {
    case DNS_NS:
    case DNS_PTR:
    case DNS_CNAME:
	if (dn_expand(reply->buf, reply->end, pos, temp, sizeof(temp)) < 0)
	    return DNS_RETRY;
	if (!valid_rr_name(temp, "resource data", type, reply))
	    return DNS_INVAL;
	break;
    case DNS_MX:
	if (length < 2)
	    return DNS_RETRY;
	pref = (unsigned) pos[0] << 8 | pos[1];
	if (dn_expand(reply->buf, reply->end, pos + 2, temp, sizeof(temp)) < 0)
	    return DNS_RETRY;
	if (*temp == 0)
	    return DNS_NULLMX;
	if (!valid_rr_name(temp, "resource data", type, reply))
	    return DNS_INVAL;
	break;
    case DNS_A:
    case DNS_AAAA:
	if (length != (type == DNS_A ? 4u : 16u)) {
	    diag_warn("extract_answer: bad address length: %u", length);
	    return DNS_RETRY;
	}
	inet_ntop(type == DNS_A ? AF_INET : AF_INET6, pos, addr, sizeof(addr));
	snprintf(temp, sizeof(temp), "%s", addr);
	break;
    case DNS_TXT: {
	    /* The first string only; what is not printable becomes a space. */
	    size_t len = length > 0 ? pos[0] : 0;
	    if (length > 0 && len > length - 1)
		len = length - 1;
	    if (len > sizeof(temp) - 1)
		len = sizeof(temp) - 1;
	    for (size_t i = 0; i < len; i++) {
		int ch = pos[1 + i];
		temp[i] = ch >= 0x20 && ch < 0x7f ? (char) ch : ' ';
	    }
	    temp[len] = 0;
	    break;
	}
    default:
	return DNS_RETRY;
    }
    answer_add(answer, (enum dns_type) type, pref, xstrdup(temp));
    return DNS_OK;
}

/*
 * get_answer - dns_get_answer(): the records of type in the answer
 * section; DNS_RECURSE with the target in cname when there are none but
 * a CNAME.
 */
static enum dns_status get_answer(const struct reply *reply, const char *orig_name,
				  unsigned type, struct dns_answer *answer, char *cname)
{
    const unsigned char *pos = reply->question;
    char rr_name[NAME_LEN];
    int resource_found = 0, cname_found = 0;
    enum dns_status not_found = DNS_NOTFOUND, status = DNS_OK;

    for (int i = 0; i < reply->qdcount; i++) {
	int len;
	if (pos >= reply->end || (len = dn_skipname(pos, reply->end)) < 0)
	    return DNS_RETRY;
	pos += len + QFIXEDSZ;
    }
    for (int i = 0; i < reply->ancount; i++) {
	int len;
	if (pos >= reply->end
	    || (len = dn_expand(reply->buf, reply->end, pos, rr_name, sizeof(rr_name))) < 0) {
	    status = DNS_RETRY;
	    break;
	}
	pos += len;
	if (pos + RRFIXEDSZ > reply->end) {
	    status = DNS_RETRY;
	    break;
	}
	unsigned rtype = (unsigned) pos[0] << 8 | pos[1];
	unsigned rclass = (unsigned) pos[2] << 8 | pos[3];
	unsigned length = (unsigned) pos[8] << 8 | pos[9];
	if (rclass != C_IN) {
	    diag_warn("dns_get_fixed: bad class: %u", rclass);
	    status = DNS_RETRY;
	    break;
	}
	if (!(strcmp(orig_name, ".") == 0 && *rr_name == 0)
	    && !valid_rr_name(rr_name, "resource name", rtype, reply)) {
	    status = DNS_INVAL;
	    break;
	}
	pos += RRFIXEDSZ;
	if (pos + length > reply->end) {
	    status = DNS_RETRY;
	    break;
	}
	if (rtype == type) {
	    enum dns_status st = get_rr(answer, reply, pos, rtype, length);
	    if (st == DNS_OK) {
		resource_found++;
	    } else if (st == DNS_NULLMX) {
		status = DNS_NULLMX;
		break;
	    } else if (not_found != DNS_RETRY) {
		not_found = st;
	    }
	} else if (rtype == DNS_CNAME) {
	    cname_found++;
	    if (dn_expand(reply->buf, reply->end, pos, cname, NAME_LEN) < 0) {
		status = DNS_RETRY;
		break;
	    }
	    if (!valid_rr_name(cname, "resource data", rtype, reply)) {
		status = DNS_INVAL;
		break;
	    }
	}
	pos += length;
    }
    if (status != DNS_OK) {
	/* No partial answers. */
	for (size_t i = 0; i < answer->count; i++)
	    free(answer->rrs[i].data);
	answer->count = 0;
	return status;
    }
    if (resource_found)
	return DNS_OK;
    if (cname_found)
	return DNS_RECURSE;
    return not_found;
}

/* sys_query_once - dns_query() and dns_get_answer() for one name */
static enum dns_status sys_query_once(struct sys_resolver *sr, const char *name, unsigned type,
				      struct dns_answer *answer, char *cname)
{
    struct strbuf err = STRBUF_INIT;
    int len, herr;
    const HEADER *hp;

    for (;;) {
	/* No search list, no default domain: the name as it is. */
	unsigned long saved = sr->res.options & (RES_DNSRCH | RES_DEFNAMES);
	sr->res.options &= ~(unsigned long) (RES_DNSRCH | RES_DEFNAMES);
	len = res_nsearch(&sr->res, name, C_IN, (int) type, sr->buf, (int) sr->buflen);
	sr->res.options |= saved;
	herr = len > 0 ? 0 : sr->res.res_h_errno;
	if (len < 0 && herr == 0)
	    herr = TRY_AGAIN;
	if (herr != 0) {
	    set_why(answer, herr, "Host or domain name not found. Name service error for"
		    " name=%s type=%s: %s", name, dns_strtype((enum dns_type) type),
		    herr_text(herr, &err));
	    sb_free(&err);
	    return herr == NO_RECOVERY ? DNS_FAIL
		: herr == HOST_NOT_FOUND || herr == NO_DATA ? DNS_NOTFOUND : DNS_RETRY;
	}
	hp = (const HEADER *) sr->buf;
	if (hp->tc == 0 || sr->buflen >= MAX_REPLY_SIZE)
	    break;
	sr->buflen *= 2;
	sr->buf = xrealloc(sr->buf, sr->buflen);
    }
    if ((size_t) len > sr->buflen) {
	diag_warn("reply length %d > buffer length %d for name=%s type=%s",
		  len, (int) sr->buflen, name, dns_strtype((enum dns_type) type));
	len = (int) sr->buflen;
    }
    struct reply reply = {
	sr->buf, sr->buf + len, sr->buf + HFIXEDSZ, ntohs(hp->qdcount), ntohs(hp->ancount),
    };
    enum dns_status status = get_answer(&reply, name, type, answer, cname);
    if (status == DNS_NULLMX)
	set_why(answer, NO_DATA, "Domain %s does not accept mail (nullMX)", name);
    else if (status != DNS_OK && status != DNS_RECURSE)
	set_why(answer, DNS_HERR_NONE, "Name service error for name=%s type=%s: "
		"Malformed or unexpected name server reply", name,
		dns_strtype((enum dns_type) type));
    return status;
}

/* sys_query - dns_lookup_x() after its checks on the name: follow CNAMEs */
static enum dns_status sys_query(struct dns_resolver *r, const char *name, enum dns_type type,
				 struct dns_answer *answer)
{
    struct sys_resolver *sr = (struct sys_resolver *) r;
    char cname[NAME_LEN], current[NAME_LEN];

    snprintf(current, sizeof(current), "%s", name);
    for (int count = 0; count < CNAME_LIMIT; count++) {
	enum dns_status status = sys_query_once(sr, current, type, answer, cname);
	if (status != DNS_RECURSE)
	    return status;
	memcpy(current, cname, sizeof(current));
    }
    set_why(answer, DNS_HERR_NONE, "Name server loop for %s", current);
    diag_warn("dns_lookup: Name server loop for %s", current);
    return DNS_NOTFOUND;
}

/* sys_host_addrs - hostname_to_sockaddr(): getaddrinfo() as Postfix calls it */
static enum dns_status sys_host_addrs(struct dns_resolver *r, const char *host,
				      struct dns_answer *answer)
{
    struct addrinfo hints, *res0;
    unsigned families = r->families ? r->families : DNS_FAMILY_INET | DNS_FAMILY_INET6;
    int err;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = families == DNS_FAMILY_INET ? AF_INET
	: families == DNS_FAMILY_INET6 ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if ((err = getaddrinfo(host, NULL, &hints, &res0)) != 0) {
	set_why(answer, 0, "%s", err == EAI_SYSTEM ? "System error" : gai_strerror(err));
	return err == EAI_AGAIN ? DNS_RETRY : err == EAI_FAIL ? DNS_FAIL : DNS_NOTFOUND;
    }
    for (struct addrinfo *res = res0; res != NULL; res = res->ai_next) {
	char buf[INET6_ADDRSTRLEN];
	const void *addr = res->ai_family == AF_INET
	    ? (const void *) &((const struct sockaddr_in *) res->ai_addr)->sin_addr
	    : (const void *) &((const struct sockaddr_in6 *) res->ai_addr)->sin6_addr;
	if (res->ai_family != AF_INET && res->ai_family != AF_INET6)
	    continue;
	inet_ntop(res->ai_family, addr, buf, sizeof(buf));
	answer_add(answer, res->ai_family == AF_INET ? DNS_A : DNS_AAAA, 0, xstrdup(buf));
    }
    freeaddrinfo(res0);
    return DNS_OK;
}

static void sys_free(struct dns_resolver *r)
{
    struct sys_resolver *sr = (struct sys_resolver *) r;

    res_nclose(&sr->res);
    free(sr->buf);
    free(sr);
}

/* parse_server - "addr", "addr:port", "[addr]", "[addr]:port" */
static int parse_server(const char *server, struct sockaddr_storage *ss)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *port = NULL, *close;
    struct sockaddr_in *sin = (struct sockaddr_in *) ss;
    struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *) ss;
    long portnum = 53;
    char *end;
    size_t len;

    memset(ss, 0, sizeof(*ss));
    if (*server == '[') {
	if ((close = strchr(server, ']')) == NULL || (close[1] != 0 && close[1] != ':'))
	    return -1;
	len = (size_t) (close - server - 1);
	port = close[1] == ':' ? close + 2 : NULL;
	server++;
    } else if (strchr(server, ':') != strrchr(server, ':')) {
	len = strlen(server);		/* a bare IPv6 address */
    } else {
	len = (close = strchr(server, ':')) != NULL ? (size_t) (close - server) : strlen(server);
	port = close != NULL ? close + 1 : NULL;
    }
    if (len >= sizeof(host))
	return -1;
    memcpy(host, server, len);
    host[len] = 0;
    if (port != NULL) {
	portnum = strtol(port, &end, 10);
	if (!all_digits(port) || portnum < 1 || portnum > 65535 || *end != 0)
	    return -1;
    }
    if (inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
	sin->sin_family = AF_INET;
	sin->sin_port = htons((unsigned short) portnum);
    } else if (inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
	sin6->sin6_family = AF_INET6;
	sin6->sin6_port = htons((unsigned short) portnum);
    } else {
	return -1;
    }
    return 0;
}

struct dns_resolver *dns_system_resolver(const char *server, char **err)
{
    struct sys_resolver *sr = xcalloc(1, sizeof(*sr));
    struct sockaddr_storage ss;

    if (server != NULL && parse_server(server, &ss) != 0) {
	*err = xconcat("bad DNS server \"", server,
		       "\": need address, address:port, [address] or [address]:port",
		       (char *) NULL);
	free(sr);
	return NULL;
    }
    if (res_ninit(&sr->res) < 0) {
	*err = xstrdup("Name service initialization failure");
	free(sr);
	return NULL;
    }
    if (server != NULL) {
	/*
	 * One server. glibc reads IPv4 servers from nsaddr_list, IPv6 ones
	 * from the extension array where nsaddr_list's family is 0; both
	 * belong to the state and res_nclose() frees the extension ones.
	 */
	for (int i = 0; i < MAXNS; i++) {
	    free(sr->res._u._ext.nsaddrs[i]);
	    sr->res._u._ext.nsaddrs[i] = NULL;
	}
	memset(&sr->res.nsaddr_list[0], 0, sizeof(sr->res.nsaddr_list[0]));
	if (ss.ss_family == AF_INET) {
	    memcpy(&sr->res.nsaddr_list[0], &ss, sizeof(struct sockaddr_in));
	} else {
	    struct sockaddr_in6 *sin6 = xmalloc(sizeof(*sin6));
	    memcpy(sin6, &ss, sizeof(*sin6));
	    sr->res._u._ext.nsaddrs[0] = sin6;
	}
	sr->res.nscount = 1;
    }
    sr->buflen = REPLY_SIZE;
    sr->buf = xmalloc(sr->buflen);
    sr->ops.query = sys_query;
    /* With a server of its own, the hosts file and nsswitch are not asked. */
    sr->ops.host_addrs = server == NULL ? sys_host_addrs : NULL;
    sr->ops.free = sys_free;
    return &sr->ops;
}

/* ---------------------------------------------------------------- lookups */

enum dns_status dns_lookup(struct dns_resolver *r, const char *name, enum dns_type type,
			   struct dns_answer *answer)
{
    memset(answer, 0, sizeof(*answer));
    /* DJBDNS answers a numeric name; the Linux resolver mishandles bad ones. */
    if (valid_hostaddr(name, 0)
	|| (strcmp(name, ".") != 0 && !valid_hostname(name, HOST_WILDCARD))) {
	set_why(answer, HOST_NOT_FOUND, "Name service error for %s: invalid host or domain name",
		name);
	return DNS_NOTFOUND;
    }
    return r->query(r, name, type, answer);
}

/* status_rank - Postfix's order of statuses (its DNS_* values) */
static int status_rank(enum dns_status status)
{
    switch (status) {
    case DNS_OK: return 6;
    case DNS_RETRY: return 4;
    case DNS_INVAL: return 3;
    case DNS_FAIL: return 2;
    case DNS_NULLMX: return 1;
    default: return 0;
    }
}

enum dns_status dns_lookup_types(struct dns_resolver *r, const char *name,
				 const enum dns_type *types, unsigned stop,
				 struct dns_answer *answer)
{
    enum dns_status status = DNS_NOTFOUND, best = DNS_NOTFOUND;
    struct dns_answer one;
    char *best_why = NULL;
    int best_herr = 0, have_best = 0;

    memset(answer, 0, sizeof(*answer));
    for (const enum dns_type *tp = types; *tp != DNS_NOTE; tp++) {
	status = dns_lookup(r, name, *tp, &one);
	answer_move(answer, &one);
	free(answer->why);
	answer->why = one.why;
	answer->herr = one.herr;
	if ((status == DNS_OK && (stop & DNS_STOP_OK))
	    || (status == DNS_INVAL && (stop & DNS_STOP_INVAL))
	    || (status == DNS_NULLMX && (stop & DNS_STOP_NULLMX))
	    || tp[1] == DNS_NOTE)
	    break;
	if (!have_best || status_rank(status) >= status_rank(best)) {
	    have_best = 1;
	    best = status;
	    free(best_why);
	    best_why = answer->why ? xstrdup(answer->why) : NULL;
	    best_herr = answer->herr;
	}
    }
    if (have_best && status_rank(status) < status_rank(best)) {
	status = best;
	free(answer->why);
	answer->why = best_why;
	answer->herr = best_herr;
	best_why = NULL;
    }
    free(best_why);
    return status;
}

enum dns_status dns_lookup_addr_or_mx(struct dns_resolver *r, const char *name)
{
    static const enum dns_type types[] = { DNS_A, DNS_AAAA, DNS_MX, DNS_NOTE };
    struct dns_answer answer;
    enum dns_status status = dns_lookup_types(r, name, types, DNS_STOP_OK, &answer);

    dns_answer_free(&answer);
    return status;
}

enum dns_status dns_lookup_mailhost(struct dns_resolver *r, const char *name)
{
    static const enum dns_type types[] = { DNS_MX, DNS_A, DNS_AAAA, DNS_NOTE };
    struct dns_answer answer;
    enum dns_status status = dns_lookup_types(r, name, types,
					      DNS_STOP_OK | DNS_STOP_INVAL | DNS_STOP_NULLMX,
					      &answer);

    dns_answer_free(&answer);
    return status;
}

/* address_types - the address record types of the resolver's families */
static const enum dns_type *address_types(const struct dns_resolver *r)
{
    static const enum dns_type both[] = { DNS_A, DNS_AAAA, DNS_NOTE };
    static const enum dns_type inet[] = { DNS_A, DNS_NOTE };
    static const enum dns_type inet6[] = { DNS_AAAA, DNS_NOTE };

    return r->families == DNS_FAMILY_INET ? inet : r->families == DNS_FAMILY_INET6 ? inet6 : both;
}

enum dns_status dns_lookup_addrs(struct dns_resolver *r, const char *host,
				 struct dns_answer *answer)
{
    return dns_lookup_types(r, host, address_types(r), 0, answer);
}

enum dns_status dns_host_addrs(struct dns_resolver *r, const char *host,
			       struct dns_answer *answer)
{
    enum dns_status status;
    int err;

    memset(answer, 0, sizeof(*answer));
    if (r->host_addrs != NULL)
	return r->host_addrs(r, host, answer);

    /* getaddrinfo() answers a numeric host itself. */
    if (valid_hostaddr(host, 0)) {
	int v6 = strchr(host, ':') != NULL;
	unsigned fam = r->families ? r->families : DNS_FAMILY_INET | DNS_FAMILY_INET6;
	if ((fam & (v6 ? DNS_FAMILY_INET6 : DNS_FAMILY_INET)) == 0) {
	    set_why(answer, 0, "%s", gai_strerror(EAI_ADDRFAMILY));
	    return DNS_NOTFOUND;
	}
	answer_add(answer, v6 ? DNS_AAAA : DNS_A, 0, xstrdup(host));
	return DNS_OK;
    }
    status = dns_lookup_addrs(r, host, answer);
    if (status == DNS_OK)
	return status;
    /* Worded as getaddrinfo() words the same failure. */
    if (status == DNS_RETRY)
	err = EAI_AGAIN;
    else if (status == DNS_FAIL)
	err = EAI_FAIL;
    else if (status_herr(answer, status) == NO_DATA)
	err = EAI_NODATA;
    else
	err = EAI_NONAME;
    set_why(answer, 0, "%s", gai_strerror(err));
    return status == DNS_RETRY || status == DNS_FAIL ? status : DNS_NOTFOUND;
}

/* ---------------------------------------------------------------- check_server_access */


/* addr_kind - DNS_A or DNS_AAAA for a printable address */
static enum dns_type addr_kind(const char *addr)
{
    return strchr(addr, ':') != NULL ? DNS_AAAA : DNS_A;
}

int dns_walk_hosts(struct dns_resolver *r, const char *name, enum dns_type type,
		   const char *reply_name, const char *reply_class,
		   dns_host_visit_fn visit, void *ctx)
{
    const char *domain = strrchr(name, '@');
    struct dns_answer servers, addrs;
    struct strbuf err = STRBUF_INIT;
    int limit = r->rr_list_limit > 0 ? r->rr_list_limit : 100;
    int result = 0, addr_count = 0;

    domain = domain != NULL ? domain + 1 : name;

    /* An address literal is its own MX host (and A record); it has no NS. */
    if (*domain == '[') {
	size_t len = strlen(domain);
	if ((type != DNS_A && type != DNS_MX) || domain[len - 1] != ']')
	    return 0;
	char *saved = xstrndup(domain + 1, len - 2);
	const char *bare = valid_mailhost_addr(saved, 0);
	result = bare != NULL ? visit(ctx, addr_kind(bare), bare) : 0;
	free(saved);
	return result;
    }

    memset(&servers, 0, sizeof(servers));
    if (type == DNS_A || type == DNS_AAAA) {
	answer_add(&servers, DNS_MX, 0, xstrdup(domain));
    } else {
	enum dns_status status = dns_lookup(r, domain, type, &servers);
	if (status == DNS_NULLMX) {
	    dns_answer_free(&servers);
	    return 0;
	}
	if (status == DNS_NOTFOUND) {
	    if (type == DNS_MX) {
		/* A domain without MX is its own mail host. */
		answer_add(&servers, type, 0, xstrdup(domain));
		status = DNS_OK;
	    } else if (type == DNS_NS) {
		/* NS records may sit at a parent domain. */
		while ((domain = strchr(domain, '.')) != NULL && domain[1]) {
		    domain += 1;
		    dns_answer_free(&servers);
		    status = dns_lookup(r, domain, type, &servers);
		    if (status != DNS_NOTFOUND)
			break;
		}
	    }
	}
	if (status != DNS_OK) {
	    diag_warn("Unable to look up %s host for %s: %s", dns_strtype(type),
		      domain && domain[1] ? domain : name, dns_strerror(&servers, status, &err));
	    dns_answer_free(&servers);
	    sb_free(&err);
	    return 0;
	}
    }

    /* The host names first, then their addresses. */
    for (size_t i = 0; i < servers.count && result == 0; i++) {
	const char *host = servers.rrs[i].data;
	if (valid_hostaddr(host, 0)) {
	    result = visit(ctx, addr_kind(host), host);
	    continue;
	}
	if (type != DNS_A && type != DNS_AAAA && (result = visit(ctx, type, host)) != 0)
	    break;
	if (dns_host_addrs(r, host, &addrs) != DNS_OK) {
	    if (type != DNS_A && type != DNS_AAAA)
		diag_warn("Unable to look up %s host %s for %s %s: %s", dns_strtype(type),
			  host, reply_class, reply_name, addrs.why ? addrs.why : "");
	    dns_answer_free(&addrs);
	    continue;
	}
	for (size_t j = 0; j < addrs.count && result == 0; j++) {
	    if (++addr_count > limit) {
		diag_warn("check_server_access: %s server address count limit (%d) exceeded"
			  " for %s %s -- ignoring the remainder", dns_strtype(type), limit,
			  reply_class, reply_name);
		dns_answer_free(&addrs);
		dns_answer_free(&servers);
		return 0;
	    }
	    result = visit(ctx, addrs.rrs[j].type, addrs.rrs[j].data);
	}
	dns_answer_free(&addrs);
    }
    dns_answer_free(&servers);
    sb_free(&err);
    return result;
}

/* ---------------------------------------------------------------- DNS lists */

/*
 * The reply filter of a DNS list, "127.0.0.[2..11]" (Postfix's ip_match):
 * four fields, each an octet or a "[...]" of octets and ranges split by
 * ";". Compiled to four sets of 256 bits.
 */
struct ip_filter {
    unsigned char bits[4][32];
};

/* filter_error - Postfix's ip_match_parse() message with its context */
static char *filter_error(const char *pattern, const char *here, const char *next,
			  const char *what)
{
    struct strbuf sb = STRBUF_INIT;

    sb_printf(&sb, "%s at \"%.*s>%.*s<%s\"", what, (int) (here - pattern), pattern,
	      (int) (next - here), here, next);
    return sb_detach(&sb);
}

/* next_token - ip_match_next_token(): an octet ('N'), a character, or 0 */
static int next_token(const char **cp, const char **start, int *value)
{
    const char *p = *cp;

    *start = p;
    if (*p >= '0' && *p <= '9') {
	int v = 0, type = 'N';
	for (; *p >= '0' && *p <= '9'; p++)
	    if (v <= 255 && (v = v * 10 + (*p - '0')) > 255)
		type = -1;
	*value = v;
	*cp = p;
	return type;
    }
    *cp = *p ? p + 1 : p;
    return (unsigned char) *p;
}

/* filter_parse - ip_match_parse(); NULL, or the error text (new string) */
static char *filter_parse(const char *text, struct ip_filter *f)
{
    char *copy = xstrdup(text), *pattern = copy, *msg = NULL;
    const char *cp, *start;
    int value, saved;

    memset(f, 0, sizeof(*f));
    /* Brackets around the whole pattern go. */
    if (*pattern == '[') {
	int level = 0;
	char *ep;
	for (ep = pattern; *ep; ep++) {
	    if (*ep == '[')
		level++;
	    if (*ep == ']' && --level == 0)
		break;
	}
	if (*ep == 0) {
	    free(copy);
	    return xstrdup("missing \"]\" character");
	}
	if (ep[1] == 0) {
	    *ep = 0;
	    pattern++;
	}
    }
    if (*pattern == 0) {
	free(copy);
	return xstrdup("empty address pattern");
    }
    cp = pattern;
    for (int octet = 0;; octet++) {
	int tok = next_token(&cp, &start, &value);
	if (tok == 'N') {
	    f->bits[octet][value / 8] |= (unsigned char) (1u << (value % 8));
	} else if (tok == '[') {
	    for (;;) {
		if (next_token(&cp, &start, &value) != 'N') {
		    msg = filter_error(pattern, start, cp, "need decimal number 0..255");
		    goto out;
		}
		saved = value;
		int look = next_token(&cp, &start, &value);
		int low = saved, high = saved;
		if (look == '.') {
		    if (next_token(&cp, &start, &value) == '.'
			&& next_token(&cp, &start, &value) == 'N' && saved <= value) {
			high = value;
			look = next_token(&cp, &start, &value);
		    } else {
			msg = filter_error(pattern, start, cp, "numeric range error");
			goto out;
		    }
		}
		for (int v = low; v <= high; v++)
		    f->bits[octet][v / 8] |= (unsigned char) (1u << (v % 8));
		if (look == ';')
		    continue;
		if (look == ']')
		    break;
		msg = filter_error(pattern, start, cp, "need \";\" or \"]\"");
		goto out;
	    }
	} else {
	    msg = filter_error(pattern, start, cp, "need decimal number 0..255 or \"[\"");
	    goto out;
	}
	if (octet == 3) {
	    if (*cp != 0) {
		next_token(&cp, &start, &value);
		msg = filter_error(pattern, start, cp, "garbage after pattern");
	    }
	    goto out;
	}
	if (next_token(&cp, &start, &value) != '.') {
	    msg = filter_error(pattern, start, cp, "need \".\"");
	    goto out;
	}
    }
out:
    free(copy);
    return msg;
}

/* filter_match - ip_match_execute() on a printable IPv4 address */
static int filter_match(const struct ip_filter *f, const char *addr)
{
    unsigned char b[4];

    if (inet_pton(AF_INET, addr, b) != 1)
	return 0;
    for (int i = 0; i < 4; i++)
	if ((f->bits[i][b[i] / 8] & (1u << (b[i] % 8))) == 0)
	    return 0;
    return 1;
}

char *dns_rbl_filter_error(const char *rbl_domain)
{
    const char *eq = strchr(rbl_domain, '=');
    struct ip_filter f;
    char *msg, *full;

    if (eq == NULL || (msg = filter_parse(eq + 1, &f)) == NULL)
	return NULL;
    full = xconcat("RBL reply error: ", msg, (char *) NULL);
    free(msg);
    return full;
}

void dns_rbl_free(struct dns_rbl *rbl)
{
    free(rbl->query);
    free(rbl->txt);
    dns_answer_free(&rbl->a);
    memset(rbl, 0, sizeof(*rbl));
}

/*
 * rbl_find - rbl_pagein() and the filter of find_dnsxl_*(): query is
 * "name.domain[=filter]".
 */
static int rbl_find(struct dns_resolver *r, char *query, struct dns_rbl *rbl, char **err)
{
    char *filter_text = strchr(query, '=');
    struct ip_filter filter;
    struct dns_answer txt;
    struct strbuf why = STRBUF_INIT;
    enum dns_status status;

    if (filter_text != NULL) {
	*filter_text++ = 0;
	char *msg = filter_parse(filter_text, &filter);
	if (msg != NULL) {
	    *err = xconcat("RBL reply error: ", msg, (char *) NULL);
	    free(msg);
	    free(query);
	    return -1;
	}
    }
    rbl->query = query;
    status = dns_lookup(r, query, DNS_A, &rbl->a);
    if (status != DNS_OK && status != DNS_NOTFOUND) {
	/* A list that cannot be asked does not block mail. */
	diag_warn("%s: RBL lookup error: %s", query, dns_why(&rbl->a, query, DNS_A, status, &why));
	rbl->status = DNS_RETRY;
	sb_free(&why);
	return 0;
    }
    sb_free(&why);
    if (status != DNS_OK) {
	rbl->status = DNS_NOTFOUND;
	return 0;
    }
    if (dns_lookup(r, query, DNS_TXT, &txt) == DNS_OK) {
	struct strbuf sb = STRBUF_INIT;
	size_t space_left = RBL_TXT_LIMIT;
	for (size_t i = 0; i < txt.count && space_left > 0; i++) {
	    size_t len = strlen(txt.rrs[i].data);
	    sb_addn(&sb, txt.rrs[i].data, len > space_left ? space_left : len);
	    space_left = RBL_TXT_LIMIT - sb.len;
	    if (i + 1 < txt.count && space_left > 3) {
		sb_adds(&sb, " / ");
		space_left -= 3;
	    }
	}
	rbl->txt = sb_detach(&sb);
    }
    dns_answer_free(&txt);
    rbl->status = DNS_OK;
    if (filter_text != NULL) {
	int matched = 0;
	for (size_t i = 0; i < rbl->a.count && !matched; i++)
	    matched = rbl->a.rrs[i].type == DNS_A && filter_match(&filter, rbl->a.rrs[i].data);
	if (!matched)
	    rbl->status = DNS_NOTFOUND;
    }
    return 0;
}

int dns_rbl_addr(struct dns_resolver *r, const char *rbl_domain, const char *addr,
		 struct dns_rbl *rbl, char **err)
{
    struct strbuf query = STRBUF_INIT;
    unsigned char bytes[16];

    memset(rbl, 0, sizeof(*rbl));
    if (valid_ipv6_hostaddr(addr, 0) && inet_pton(AF_INET6, addr, bytes) == 1) {
	for (int i = 15; i >= 0; i--)
	    sb_printf(&query, "%x.%x.", bytes[i] & 0xf, bytes[i] >> 4);
    } else {
	/* The octets of the printable address, last first. */
	const char *end = addr + strlen(addr), *dot;
	while (end > addr) {
	    for (dot = end; dot > addr && dot[-1] != '.'; dot--)
		;
	    if (dot < end) {
		sb_addn(&query, dot, (size_t) (end - dot));
		sb_addch(&query, '.');
	    }
	    end = dot > addr ? dot - 1 : addr;
	}
    }
    sb_adds(&query, rbl_domain);
    return rbl_find(r, sb_detach(&query), rbl, err);
}

int dns_rbl_domain(struct dns_resolver *r, const char *rbl_domain, const char *what,
		   struct dns_rbl *rbl, char **err)
{
    const char *domain = strrchr(what, '@'), *suffix;

    memset(rbl, 0, sizeof(*rbl));
    rbl->status = DNS_NOTFOUND;
    domain = domain != NULL ? domain + 1 : what;
    if (domain[0] == '[' || domain[0] == 0)
	return 0;
    /* Some lists refuse names ending in a number: skip those. */
    suffix = strrchr(domain, '.');
    if (all_digits(suffix == NULL ? domain : suffix + 1))
	return 0;
    if (!valid_hostname(domain, 0))
	return 0;
    return rbl_find(r, xconcat(domain, ".", rbl_domain, (char *) NULL), rbl, err);
}

/* What $name means in a DNS list's reply template. */
struct rbl_expand {
    const struct dns_rbl_reply *how;
    const char *domain, *what, *class, *txt;
    char code[16];
    struct strbuf value;
};

/* rbl_lookup - rbl_expand_lookup(), with smtpd_expand_filter applied */
static const char *rbl_lookup(const char *name, int mode, void *context)
{
    struct rbl_expand *x = context;
    const char *value;

    if (strcmp(name, "rbl_code") == 0)
	value = x->code;
    else if (strcmp(name, "rbl_domain") == 0)
	value = x->domain;
    else if (strcmp(name, "rbl_reason") == 0 || strcmp(name, "rbl_txt") == 0)
	value = x->txt;
    else if (strcmp(name, "rbl_what") == 0)
	value = x->what;
    else if (strcmp(name, "rbl_class") == 0)
	value = x->class;
    else
	value = x->how->lookup != NULL ? x->how->lookup(name, mode, x->how->ctx) : NULL;
    /* A tested value only counts as empty or not; a used one is filtered. */
    if (value == NULL || *value == 0 || mode != EXPAND_MODE_USE || x->how->filter == NULL)
	return value;
    return expand_filter(&x->value, value, x->how->filter);
}

int dns_rbl_reply(const struct dns_rbl *rbl, const char *rbl_domain, const char *what,
		  const char *reply_class, const struct dns_rbl_reply *how,
		  char dsn[DSN_SIZE], struct strbuf *text, char **err)
{
    struct rbl_expand x = { .how = how, .what = what, .class = reply_class,
	.txt = rbl->txt ? rbl->txt : "", .value = STRBUF_INIT };
    struct strbuf why = STRBUF_INIT;
    const char *template = how->template;
    char *domain = xstrdup(rbl_domain), *eq;
    int code;

    if ((eq = strchr(domain, '=')) != NULL)
	*eq = 0;
    x.domain = domain;
    snprintf(x.code, sizeof(x.code), "%d", how->rbl_code);
    for (;;) {
	if (template == NULL)
	    template = how->default_template;
	if (expand(&why, template, 0, rbl_lookup, &x) == 0)
	    break;
	if (template == how->default_template) {
	    *err = xconcat("rbl_reject_reply: bad default rbl reply template: ", template,
			   (char *) NULL);
	    code = -1;
	    goto out;
	}
	diag_warn("rbl_reject_reply: bad rbl reply template for domain %s: %s", rbl_domain,
		  template);
	template = NULL;
    }
    const char *s = sb_str(&why);
    sb_reset(text);
    if ((s[0] != '4' && s[0] != '5') || s[1] < '0' || s[1] > '9' || s[2] < '0' || s[2] > '9'
	|| s[3] != ' ') {
	diag_warn("rbl response code configuration error: %s", s);
	code = 450;
	snprintf(dsn, DSN_SIZE, "4.7.1");
	sb_adds(text, "Service unavailable");
    } else {
	code = atoi(s);
	const char *rest = dsn_split(dsn, "4.7.1", s + 4);
	sb_adds(text, *rest ? rest : "Service unavailable");
    }
out:
    free(domain);
    sb_free(&why);
    sb_free(&x.value);
    return code;
}
