/*
 * dns - the DNS questions the restrictions ask (reject_unknown_*,
 * reject_rbl_client and the other DNS lists, check_*_{a,mx,ns}_access,
 * permit_mx_backup), answered through a real resolver, with Postfix's
 * distinction between "no such name or record" (permanent) and "the DNS
 * failed, try later" (temporary). The resolver is an ops struct so the
 * engine can be run against a resolver that reads a fixed zone (tests)
 * and pfcd can keep one per process.
 */
#ifndef PFC_DNS_H
#define PFC_DNS_H

#include <stddef.h>

/* Lookup status, as Postfix's DNS_*. */
enum dns_status {
    DNS_OK = 0,
    DNS_NOTFOUND,		/* NXDOMAIN, or no record of that type */
    DNS_RETRY,			/* SERVFAIL, timeout: try again later */
    DNS_INVAL,			/* a malformed reply */
    DNS_NULLMX,			/* the domain publishes "MX 0 ." */
    DNS_FAIL,			/* any other permanent failure */
};

enum dns_type { DNS_A = 1, DNS_NS = 2, DNS_MX = 15, DNS_TXT = 16, DNS_AAAA = 28, DNS_PTR = 12 };

/* One answer record: a name (MX, NS, PTR target), an address, or text. */
struct dns_rr {
    enum dns_type type;
    unsigned preference;	/* MX */
    char *data;			/* target name, printable address, or TXT text */
};

struct dns_answer {
    struct dns_rr *rrs;
    size_t count;
};

struct dns_resolver {
    /* query - the records of type for name: a status, records in *answer */
    enum dns_status (*query)(struct dns_resolver *r, const char *name, enum dns_type type,
			     struct dns_answer *answer);
    void (*free)(struct dns_resolver *r);
};

void dns_answer_free(struct dns_answer *answer);

/*
 * dns_system_resolver - the system's resolver (resolv.conf); with
 * server ("127.0.0.1:5353", "[::1]:53"), that server only (tests, and a
 * local caching resolver). NULL with *err when it cannot start.
 */
struct dns_resolver *dns_system_resolver(const char *server, char **err);

/*
 * dns_lookup_addr_or_mx - reject_unknown_hostname's question: an A, AAAA
 * or MX record for name (DNS_OK as soon as one is there).
 */
enum dns_status dns_lookup_addr_or_mx(struct dns_resolver *r, const char *name);

/*
 * dns_lookup_mailhost - reject_unknown_*_domain's question: MX, else A or
 * AAAA; DNS_NULLMX for a null MX.
 */
enum dns_status dns_lookup_mailhost(struct dns_resolver *r, const char *name);

/*
 * dns_lookup_hosts - check_*_{a,mx,ns}_access: the host names of the MX
 * or NS records of name (for A: name itself) and each host's addresses,
 * in *answer as alternating names (type MX/NS/A) and addresses (type
 * A/AAAA), the way check_server_access() walks them.
 */
enum dns_status dns_lookup_hosts(struct dns_resolver *r, const char *name,
				 enum dns_type type, struct dns_answer *answer);

#endif
