/*
 * cidr - cidr_table(5) networks: the pattern syntax Postfix's dict_cidr
 * accepts and its match, shared by the cidr: table (maps/dict_cidr.c) and
 * the image's verifier and lookups (runtime/), which read the patterns
 * pfc build stored.
 */
#ifndef PFC_CIDR_H
#define PFC_CIDR_H

struct strbuf;

#define CIDR_MAX_BYTES 16

/* A network: an address ANDed with mask must equal net. */
struct cidr_net {
    int family;			/* AF_INET or AF_INET6 */
    unsigned nbytes;		/* 4 or 16 */
    unsigned char net[CIDR_MAX_BYTES];
    unsigned char mask[CIDR_MAX_BYTES];
};

/* cidr_family - Postfix's rule for a key or a pattern: a colon makes it IPv6 */
int cidr_family(const char *text);

/*
 * cidr_parse - "addr", "addr/len", "[addr]", "[addr]/len" or
 * "[addr/len]", with no host bits set outside the mask (destroying the
 * text). Returns 0, or -1 with Postfix's reason in why; suggest adds
 * its "perhaps you should use ..." to the host-bits reason, as its
 * table warnings do.
 */
int cidr_parse(char *pattern, struct cidr_net *net, int suggest, struct strbuf *why);

/*
 * cidr_match - is address addr (of family) in net? 1 yes, 0 no, -1 an
 * address of the other family, which no rule matches, negated or not.
 */
int cidr_match(const struct cidr_net *net, int family, const unsigned char *addr);

#endif
