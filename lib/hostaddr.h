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

/* valid_hostaddr - an IPv4 or IPv6 address (no brackets, no "IPv6:") */
int valid_hostaddr(const char *addr, int flags);

/* valid_ipv4_hostaddr - four decimal octets; 0.x.y.z only as 0.0.0.0 */
int valid_ipv4_hostaddr(const char *addr, int flags);

/*
 * valid_ipv6_hostaddr - eight hex fields of at most four digits, or
 * fewer with one "::", optionally ending in an IPv4 address.
 */
int valid_ipv6_hostaddr(const char *addr, int flags);

#endif
