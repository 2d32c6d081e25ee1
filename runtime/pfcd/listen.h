/*
 * listen - the listening sockets of every inet smtpd service of the
 * image's master.cf: "127.0.0.1:2525" binds that address, a bare port or
 * service name ("smtp", "submission") binds each address of
 * inet_interfaces. pfcd binds them as root, before it drops privileges.
 */
#ifndef PFC_LISTEN_H
#define PFC_LISTEN_H

#include <stddef.h>

#include "loader.h"
#include "smtp_server.h"
#include "strbuf.h"

/* listen_services - bind them all; 0, or -1 with *err (nothing left open) */
int listen_services(const struct image *img, struct smtp_listener **out, size_t *n,
		    struct strbuf *err);
/* listen_free - close the sockets and free what listen_services made */
void listen_free(struct smtp_listener *l, size_t n);

#endif
