/*
 * hostinfo - the parameter defaults Postfix computes from the host:
 * myhostname, mydomain and mynetworks.
 */
#ifndef PFC_HOSTINFO_H
#define PFC_HOSTINFO_H

/*
 * host_myhostname - gethostname(), with "." and a domain added when it has
 * no dot: mydomain(ctx), which returns an allocated string or NULL for
 * localdomain. As in Postfix, mydomain is not asked for otherwise, so its
 * errors do not matter then.
 */
char *host_myhostname(char *(*mydomain)(void *ctx), void *ctx);
/* host_mydomain - what follows the first dot of myhostname, or localdomain */
char *host_mydomain(const char *myhostname);
/*
 * host_mynetworks - the networks of this host's interfaces, as Postfix
 * lists them for mynetworks_style class, subnet or host. Returns NULL with
 * a message in *err for values Postfix rejects.
 */
char *host_mynetworks(const char *inet_interfaces, const char *style,
		      const char *inet_protocols, char **err);

/*
 * host_protocols - the address families of inet_protocols ("all",
 * "ipv4", "ipv6"; IPv6 only where the kernel has it). Returns 0, or -1
 * with a message in *err for a value Postfix rejects.
 */
int host_protocols(const char *inet_protocols, int *v4, int *v6, char **err);

#endif
