/*
 * hostaddr - Postfix's syntax checks for host names and numeric
 * addresses (valid_hostname.c): what smtpd, the DNS client and the table
 * lookups accept as a name or an address, with the warnings Postfix
 * gives when asked to complain.
 */
#ifndef PFC_HOSTADDR_H
#define PFC_HOSTADDR_H

#define HOST_GRIPE	(1 << 0)	/* warn (diag_warn) about what is wrong */
#define HOST_WILDCARD	(1 << 1)	/* allow "*" as the whole first label */

/* The limits of valid_hostname(). */
#define HOST_NAME_MAX_LEN	255
#define HOST_LABEL_MAX_LEN	63

/*
 * valid_hostname - letters, digits, '_' and inner '-' in labels of at
 * most 63 characters, 255 in all, not all numeric, no empty label.
 */
int valid_hostname(const char *name, int flags);

/*
 * valid_utf8_hostname - valid_utf8_hostname(): with utf8, a name that is
 * not all ASCII passes when it is well-formed UTF-8 (Postfix checks its
 * IDNA form; pfc has no IDNA converter); else valid_hostname().
 */
int valid_utf8_hostname(int utf8, const char *name, int flags);

/* valid_hostaddr - an IPv4 or IPv6 address (no brackets, no "IPv6:") */
int valid_hostaddr(const char *addr, int flags);

/* valid_ipv4_hostaddr - four decimal octets; 0.x.y.z only as 0.0.0.0 */
int valid_ipv4_hostaddr(const char *addr, int flags);

/*
 * valid_ipv6_hostaddr - eight hex fields of at most four digits, or
 * fewer with one "::", optionally ending in an IPv4 address.
 */
int valid_ipv6_hostaddr(const char *addr, int flags);

/*
 * valid_mailhost_addr - an address as mail names it: "IPv6:" and an IPv6
 * address, or an IPv4 address. The bare address, or NULL.
 */
const char *valid_mailhost_addr(const char *addr, int flags);

/* valid_mailhost_literal - "[addr]", addr as above, nothing after ']' */
int valid_mailhost_literal(const char *literal, int flags);

/*
 * normalize_mailhost_addr - Postfix's normalize_mailhost_addr(): addr as
 * valid_mailhost_addr() takes it, in the canonical printable form
 * (inet_ntop), an IPv4-mapped IPv6 address as IPv4 when IPv4 is on:
 * *bare (a new string) and *family (AF_INET or AF_INET6). -1 when addr is
 * not valid or its family is off (v4, v6: the inet_protocols families).
 */
int normalize_mailhost_addr(const char *addr, int v4, int v6, char **bare, int *family);

#endif
