/*
 * matchlist - Postfix's match lists (util/match_list.c, match_ops.c and
 * their users domain_list, namadr_list, string_list, addr_match_list),
 * evaluated over a parameter's value as the session's policy has it:
 * elements left to right, the first match decides, "!" negates, a
 * type:table element is looked up (in the image), a domain matches its
 * subdomains when the parameter is listed in
 * parent_domain_matches_subdomains, a network is address/prefix.
 */
#ifndef PFC_MATCHLIST_H
#define PFC_MATCHLIST_H

#include "session.h"

/* Results: matched, no match, or a table lookup failed (Postfix: ->error). */
#define MATCH_YES	1
#define MATCH_NO	0
#define MATCH_FAIL	(-1)

/*
 * match_domain - domain_list_match(): is domain in the list param
 * (mydestination, relay_domains, virtual_alias_domains, ...)?
 */
int match_domain(struct session *s, const char *param, const char *domain);

/* match_string - string_list_match(): is name in the list param? */
int match_string(struct session *s, const char *param, const char *name);

/*
 * match_namadr - namadr_list_match(): does the client (name, addr) match
 * the list param (mynetworks, permit_mx_backup_networks,
 * smtpd_authorized_xclient_hosts, ...)? mynetworks holds its value as
 * the policy computed it (mynetworks_style included).
 */
int match_namadr(struct session *s, const char *param, const char *name, const char *addr);

/*
 * match_inet_interfaces - is addr one of this server's own addresses
 * (inet_interfaces, proxy_interfaces), as Postfix's own_inet_addr() and
 * proxy_inet_addr() say? Used by permit_inet_interfaces and by address
 * resolution of [addr] domains.
 */
int match_inet_interfaces(struct session *s, const char *addr);

#endif
