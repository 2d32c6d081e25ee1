/*
 * matchlist - Postfix's match lists (util/match_list.c, match_ops.c and
 * their users domain_list, namadr_list, string_list, addr_match_list),
 * evaluated over a parameter's value as the session's policy has it:
 * elements left to right, the first match decides, "!" negates, a
 * type:table element is looked up (in the image), a domain matches its
 * subdomains when the parameter is listed in
 * parent_domain_matches_subdomains, a network is address/prefix.
 *
 * Each list is parsed once per policy view (patterns case-folded,
 * networks converted, tables found in the image) and kept in the view's
 * memo, shared by every session; a match costs no parsing and no
 * allocation. What the runtime cannot answer, it does not guess: a
 * /file/name element (pfc build does not compile the file's contents
 * into the image; Postfix reads it when the list is initialised) and a
 * table the image holds by name only make the match fail (MATCH_FAIL)
 * when the evaluation reaches them, as a table that cannot be read does
 * in Postfix.
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
 * (relay_domains, permit_mx_backup_networks, ...)? Postfix reads
 * mydestination, virtual_alias_domains and virtual_mailbox_domains as
 * string lists (no subdomains, ".domain" is not special, tables see the
 * whole name only); for those three this is match_string().
 */
int match_domain(struct session *s, const char *param, const char *domain);

/* match_string - string_list_match(): is name in the list param? */
int match_string(struct session *s, const char *param, const char *name);

/*
 * match_namadr - namadr_list_match(): does the client (name, addr) match
 * the list param (mynetworks, permit_mx_backup_networks,
 * smtpd_authorized_xclient_hosts, ...)? mynetworks holds its value as
 * the policy computed it; when main.cf leaves it unset, the image keeps
 * no value (it depends on the host) and this computes it here, as
 * Postfix's mynetworks_host() does from inet_interfaces,
 * mynetworks_style and inet_protocols.
 */
int match_namadr(struct session *s, const char *param, const char *name, const char *addr);

/* match_addr - addr_match_list_match(): is addr in the list param? */
int match_addr(struct session *s, const char *param, const char *addr);

/*
 * match_user_acl - Postfix's check_user_acl_byuid(): may the user with
 * uid use what the list param of p guards (authorized_submit_users, ...)?
 * A "static:..." list allows anyone without a look at the password file;
 * otherwise the login name ("unknown" for a uid without one) is matched
 * as a string list, and a failed table lookup refuses. NULL: allowed;
 * else the name refused (valid until the next call).
 */
const char *match_user_acl(const struct policy *p, const char *param, long uid);

/*
 * match_inet_interfaces - own_inet_addr(): is addr one of the addresses
 * of inet_interfaces ("all": every interface of this host that is up;
 * "loopback-only"; or the addresses and host names listed), for the
 * protocols of inet_protocols? What permit_inet_interfaces asks.
 */
int match_inet_interfaces(struct session *s, const char *addr);

/* ---------------------------------------------------------------------
 * For the rest of the engine: the same questions in a given view (the
 * trivial-rewrite or cleanup service the session's smtpd talks to).
 */

/* The kinds of list, as Postfix's list types. */
enum match_kind {
    MATCH_KIND_STRING,		/* string_list: match_string */
    MATCH_KIND_DOMAIN,		/* domain_list: match_hostname */
    MATCH_KIND_NAMADR,		/* namadr_list: match_hostname, then match_hostaddr */
    MATCH_KIND_ADDR,		/* addr_match_list: match_hostaddr */
};

/*
 * match_list_in - the list param of view, as a list of kind, against
 * name (and addr for MATCH_KIND_NAMADR).
 */
int match_list_in(struct session *s, const struct policy *view, const char *param,
		  enum match_kind kind, const char *name, const char *addr);

/*
 * match_local_domain - resolve_local(): is domain (one trailing dot
 * dropped) in view's mydestination, or an [address] of its
 * inet_interfaces or proxy_interfaces? 1 yes, 0 no, -1 a lookup failed.
 */
int match_local_domain(struct session *s, const struct policy *view, const char *domain);

/* match_own_addr - own_inet_addr() (proxy: or proxy_inet_addr()) in view */
int match_own_addr(struct session *s, const struct policy *view, const char *addr, int proxy);

/* match_casefold - Postfix's casefold() of text into out (UTF-8 with utf8) */
struct strbuf;
void match_casefold(struct strbuf *out, const char *text, int utf8);

#endif
