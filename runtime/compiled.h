/*
 * compiled - what the loader makes of a rule's pattern, shared by the
 * verifier (loader.c), which compiles every pattern once at load so that
 * one that does not compile refuses the image, and by the lookups
 * (lookup.c), which run them. Private to runtime/.
 */
#ifndef PFC_RUNTIME_COMPILED_H
#define PFC_RUNTIME_COMPILED_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "image.h"

#define CIDR_MAX_BYTES 16

/* A cidr_table(5) network: an address ANDed with mask must equal net. */
struct cidr_net {
    int family;			/* AF_INET or AF_INET6 */
    unsigned nbytes;		/* 4 or 16 */
    unsigned char net[CIDR_MAX_BYTES];
    unsigned char mask[CIDR_MAX_BYTES];
};

struct regex_program {
    uint32_t kind;		/* IMG_TABLE_REGEXP, _PCRE or _CIDR */
    union {
	regex_t re;
	pcre2_code *code;
	struct cidr_net cidr;
    } u;
};

/*
 * cidr_parse - a cidr_table(5) pattern as dict_cidr.c accepts it: "addr",
 * "addr/len", "[addr]", "[addr]/len", "[addr/len]", with no host bits set
 * outside the mask. Returns 0, or -1 with Postfix's reason in why.
 */
int cidr_parse(const char *pattern, struct cidr_net *net, char *why, size_t size);

/* rule_has_pattern2 - does a regexp rule have "/a/!/b/"'s second pattern? */
static inline int rule_has_pattern2(const struct img_rule *rule)
{
    return (rule->flags & IMG_RULE_HAS2) != 0;
}

/* cidr_family - Postfix's rule for a key or a pattern: a colon makes it IPv6 */
int cidr_family(const char *text);

#endif
