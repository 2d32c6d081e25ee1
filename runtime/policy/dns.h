/*
 * dns - the DNS questions the restrictions ask (reject_unknown_*,
 * reject_rbl_client and the other DNS lists, check_*_{a,mx,ns}_access,
 * permit_mx_backup), answered through a real resolver, with Postfix's
 * distinction between "no such name or record" (permanent) and "the DNS
 * failed, try later" (temporary). The resolver is an ops struct so the
 * engine can be run against a resolver that reads a fixed zone (tests)
 * and pfcd can keep one per process.
 *
 * What Postfix 3.7 does is the reference: src/dns/dns_lookup.c for the
 * statuses and the checks on each answer, src/smtpd/smtpd_check.c for
 * the questions. Warnings that Postfix logs while it asks are given
 * through diag_warn(), in Postfix's words, where Postfix gives them.
 */
#ifndef PFC_DNS_H
#define PFC_DNS_H

#include <stddef.h>

#include "dsn.h"
#include "expand.h"
#include "strbuf.h"

/* Lookup status, as Postfix's DNS_*. */
enum dns_status {
    DNS_OK = 0,
    DNS_NOTFOUND,		/* NXDOMAIN, or no record of that type */
    DNS_RETRY,			/* SERVFAIL, timeout: try again later */
    DNS_INVAL,			/* a malformed reply */
    DNS_NULLMX,			/* the domain publishes "MX 0 ." */
    DNS_FAIL,			/* any other permanent failure */
};

/* Record types; DNS_NOTE is none (see dns_rr). */
enum dns_type {
    DNS_NOTE = 0, DNS_A = 1, DNS_NS = 2, DNS_CNAME = 5, DNS_PTR = 12, DNS_MX = 15,
    DNS_TXT = 16, DNS_AAAA = 28,
};

/* One answer record: a name (MX, NS, PTR target), an address, or text. */
struct dns_rr {
    enum dns_type type;
    unsigned preference;	/* MX */
    char *data;			/* target name, printable address, or TXT text */
};

/* The resolver's h_errno when the query itself succeeded (Postfix: 0). */
#define DNS_HERR_NONE	(-1)

struct dns_answer {
    struct dns_rr *rrs;
    size_t count;
    /*
     * A failure, as Postfix words and numbers it: why (NULL: dns_why()
     * makes one from the status) and the resolver's h_errno (netdb.h's
     * HOST_NOT_FOUND, NO_DATA, TRY_AGAIN, NO_RECOVERY; DNS_HERR_NONE for
     * an answer that came but was unusable; 0: not recorded, the status
     * says). A resolver that reads a fixed zone may leave both unset.
     */
    char *why;
    int herr;
};

/* Address families, as inet_protocols names them. */
#define DNS_FAMILY_INET		(1u << 0)
#define DNS_FAMILY_INET6	(1u << 1)

struct dns_resolver {
    /*
     * query - the records of type for name: a status, records in *answer
     * (which the caller zeroed). CNAMEs are followed. Called only with a
     * name that is a valid host name and not an address (dns_lookup()).
     */
    enum dns_status (*query)(struct dns_resolver *r, const char *name, enum dns_type type,
			     struct dns_answer *answer);
    /*
     * host_addrs - a host's addresses as the system's getaddrinfo()
     * gives them (hosts file, then DNS), with the families below, as
     * DNS_A/DNS_AAAA records; why: gai_strerror()'s text. NULL: A and
     * AAAA queries through query().
     */
    enum dns_status (*host_addrs)(struct dns_resolver *r, const char *host,
				  struct dns_answer *answer);
    void (*free)(struct dns_resolver *r);
    /* inet_protocols (0: both), and var_dns_rr_list_limit (0: 100). */
    unsigned families;
    int rr_list_limit;
};

void dns_answer_free(struct dns_answer *answer);

/*
 * dns_system_resolver - the system's resolver (resolv.conf); with
 * server ("127.0.0.1:5353", "[::1]:53", "::1"; port 53 by default), that
 * server only (tests, and a local caching resolver). Its timeouts are
 * resolv.conf's (RES_OPTIONS in the environment overrides them). NULL
 * with *err when it cannot start or server is malformed.
 */
struct dns_resolver *dns_system_resolver(const char *server, char **err);

/*
 * dns_lookup - Postfix's dns_lookup(): the records of type for name.
 * A name that is an address or not a valid host name is not found, and
 * no query is sent.
 */
enum dns_status dns_lookup(struct dns_resolver *r, const char *name, enum dns_type type,
			   struct dns_answer *answer);

/* Stop flags of dns_lookup_types(), as DNS_REQ_FLAG_STOP_*. */
#define DNS_STOP_OK	(1u << 0)
#define DNS_STOP_INVAL	(1u << 1)
#define DNS_STOP_NULLMX	(1u << 2)

/*
 * dns_lookup_types - Postfix's dns_lookup_v(): each type of types[]
 * (ended by DNS_NOTE) in turn, records of all of them in *answer, until
 * a status named in stop; the status is the last one's unless an
 * earlier one ranks higher (OK > RETRY > INVAL > FAIL > NULLMX >
 * NOTFOUND), and answer's why is that status's.
 */
enum dns_status dns_lookup_types(struct dns_resolver *r, const char *name,
				 const enum dns_type *types, unsigned stop,
				 struct dns_answer *answer);

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
 * dns_lookup_addrs - permit_mx_backup_networks' question about an MX
 * host: its A and/or AAAA records (the resolver's families), as
 * dns_lookup_v() with inet_proto_info()->dns_atype_list.
 */
enum dns_status dns_lookup_addrs(struct dns_resolver *r, const char *host,
				 struct dns_answer *answer);

/*
 * dns_host_addrs - hostname_to_sockaddr(): the host's addresses (the
 * resolver's host_addrs, else A/AAAA queries), filtered by its families;
 * a failure's why is getaddrinfo's wording ("Name or service not known").
 */
enum dns_status dns_host_addrs(struct dns_resolver *r, const char *host,
			       struct dns_answer *answer);

/*
 * dns_why - why the lookup of name/type failed with status, in Postfix's
 * words: the answer's own why, or one made from the status ("Host or
 * domain name not found. Name service error for name=x type=A: Host not
 * found, try again").
 */
const char *dns_why(const struct dns_answer *answer, const char *name, enum dns_type type,
		    enum dns_status status, struct strbuf *buf);

/*
 * dns_strerror - Postfix's dns_strerror(dns_get_h_errno()) after a
 * lookup that ended in status: "Host not found", "Host not found, try
 * again", "Non-recoverable error", "Host found but no data record of
 * requested type", "Unknown error 0".
 */
const char *dns_strerror(const struct dns_answer *answer, enum dns_status status,
			 struct strbuf *buf);

/* dns_strtype - "A", "MX", ... as Postfix prints a type */
const char *dns_strtype(enum dns_type type);

/*
 * dns_walk_hosts - check_server_access(): for check_*_mx_access and
 * check_*_ns_access, the MX or NS hosts of the domain of name (the part
 * after the last '@'; a domain without MX is its own MX, NS records are
 * looked up in parent domains too), each host's name then its
 * addresses; for check_*_a_access, the addresses of the domain itself.
 * An address literal "[addr]" is its own MX or A host. visit is called
 * with DNS_MX/DNS_NS and a host name (not for A), or DNS_A/DNS_AAAA and
 * an address, in Postfix's order; a non-zero return stops the walk and
 * is returned. 0 when nothing stopped it (smtpd: DUNNO). Warnings as
 * smtpd logs them ("Unable to look up MX host for x: ..."), naming
 * reply_class and reply_name.
 */
typedef int (*dns_host_visit_fn)(void *ctx, enum dns_type kind, const char *value);

int dns_walk_hosts(struct dns_resolver *r, const char *name, enum dns_type type,
		   const char *reply_name, const char *reply_class,
		   dns_host_visit_fn visit, void *ctx);

/*
 * A DNS list's answer (reject_rbl_client, reject_rhsbl_*, permit_dnswl_client,
 * permit_rhswl_client): status DNS_OK when listed (an A record that the
 * reply filter, if any, accepts), DNS_NOTFOUND when not (or not asked),
 * DNS_RETRY when the lookup failed (Postfix's "soft" result: a list
 * does not block mail when it cannot be asked).
 */
struct dns_rbl {
    enum dns_status status;
    char *query;		/* the name asked, "2.0.0.127.zen.example"; NULL if none */
    char *txt;			/* the TXT records, " / " between them, at most 500 bytes */
    struct dns_answer a;	/* the A records */
};

void dns_rbl_free(struct dns_rbl *rbl);

/*
 * dns_rbl_filter_error - what is wrong with the reply filter of a list
 * argument "domain=127.0.0.[2..11]" (ip_match syntax), as a new string
 * ("RBL reply error: ..." is smtpd's fatal error), or NULL.
 */
char *dns_rbl_filter_error(const char *rbl_domain);

/*
 * dns_rbl_addr - find_dnsxl_addr(): addr (IPv4: reversed octets, IPv6:
 * reversed nibbles) under rbl_domain ("zen.example" or
 * "zen.example=127.0.0.[2..11]"). dns_rbl_domain - find_dnsxl_domain():
 * the domain of what (after its last '@'; nothing for an address
 * literal, a numeric last label or an invalid name) under rbl_domain.
 * 0, or -1 with *err when the reply filter is malformed (smtpd: fatal).
 */
int dns_rbl_addr(struct dns_resolver *r, const char *rbl_domain, const char *addr,
		 struct dns_rbl *rbl, char **err);
int dns_rbl_domain(struct dns_resolver *r, const char *rbl_domain, const char *what,
		   struct dns_rbl *rbl, char **err);

/* How smtpd words a DNS list's rejection (rbl_reject_reply()). */
struct dns_rbl_reply {
    const char *template;	/* rbl_reply_maps' answer for the domain, NULL if none */
    const char *default_template;	/* $default_rbl_reply */
    int rbl_code;		/* $maps_rbl_reject_code, for $rbl_code */
    const char *filter;		/* $smtpd_expand_filter: other bytes of values become '_' */
    /* smtpd's other $names ($client_address, $sender, ...): NULL when undefined */
    expand_lookup_fn lookup;
    void *ctx;
};

/*
 * dns_rbl_reply - the reply to a listed client or domain: the template
 * expanded with $rbl_code, $rbl_domain (rbl_domain without its filter),
 * $rbl_reason and $rbl_txt (the TXT text), $rbl_what (what was listed:
 * the address, or the name with its domain) and $rbl_class
 * (reply_class), then split as smtpd splits it: returns the code, with
 * the status code in dsn (default 4.7.1; the caller applies
 * smtpd_dsn_fix() for reply_class) and the text in *text. A bad
 * per-domain template is warned about and the default one used; a reply
 * that does not start with a 4xx or 5xx code becomes "450 4.7.1 Service
 * unavailable" with a warning. -1 with *err when the default template
 * is bad (smtpd: fatal).
 */
int dns_rbl_reply(const struct dns_rbl *rbl, const char *rbl_domain, const char *what,
		  const char *reply_class, const struct dns_rbl_reply *how,
		  char dsn[DSN_SIZE], struct strbuf *text, char **err);

#endif
