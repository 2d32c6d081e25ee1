/*
 * resolve - Postfix's trivial-rewrite address resolution (resolve.c,
 * rewrite.c, transport.c) from the image: an address is rewritten to
 * user@domain form, classified (local, virtual alias, virtual mailbox,
 * relay, default: SPEC 13.3) and given its transport, next hop and final
 * recipient, with transport_maps, relayhost and the sender-dependent
 * maps applied. smtpd asks this for every recipient (reject_unauth_
 * destination, reject_unlisted_*, check_*_access), pfc trace shows it for
 * each accepted recipient, and the queue manager will route with it.
 */
#ifndef PFC_RESOLVE_H
#define PFC_RESOLVE_H

#include "session.h"
#include "strbuf.h"

/* reply flags, as Postfix's RESOLVE_FLAG_* and RESOLVE_CLASS_* */
#define RESOLVE_FLAG_FINAL	(1u << 0)	/* final delivery here */
#define RESOLVE_FLAG_ROUTED	(1u << 1)	/* source-routed (user@a@b, %, !) */
#define RESOLVE_FLAG_ERROR	(1u << 2)	/* bad address syntax */
#define RESOLVE_FLAG_FAIL	(1u << 3)	/* a table lookup failed: try later */
#define RESOLVE_CLASS_LOCAL	(1u << 8)	/* mydestination, inet_interfaces */
#define RESOLVE_CLASS_ALIAS	(1u << 9)	/* virtual_alias_domains */
#define RESOLVE_CLASS_VIRTUAL	(1u << 10)	/* virtual_mailbox_domains */
#define RESOLVE_CLASS_RELAY	(1u << 11)	/* relay_domains */
#define RESOLVE_CLASS_DEFAULT	(1u << 12)	/* everything else */
#define RESOLVE_CLASS_MASK	(0x1fu << 8)
/* local, alias, virtual: Postfix's RESOLVE_CLASS_FINAL */
#define RESOLVE_CLASS_FINAL	(RESOLVE_CLASS_LOCAL | RESOLVE_CLASS_ALIAS | RESOLVE_CLASS_VIRTUAL)

struct resolve_reply {
    struct strbuf transport;	/* "local", "smtp", "error", ... */
    struct strbuf nexthop;	/* "mail.example.com", "[relay]:587", error text */
    struct strbuf recipient;	/* the address, rewritten: user@domain */
    unsigned flags;
};

void resolve_reply_init(struct resolve_reply *r);
void resolve_reply_free(struct resolve_reply *r);

/*
 * resolve_addr - resolve addr (as the client gave it, without <>) for
 * sender ("" for the null sender), as smtpd_resolve_addr() does.
 */
void resolve_addr(struct session *s, const char *sender, const char *addr,
		  struct resolve_reply *reply);

/*
 * resolve_rewrite - trivial-rewrite's "local" context rewrite of addr
 * (append @$myorigin to a bare user, @$mydomain to user@host when
 * append_dot_mydomain, strip a trailing dot ...) into out.
 */
void resolve_rewrite(struct session *s, const char *addr, struct strbuf *out);

#endif
