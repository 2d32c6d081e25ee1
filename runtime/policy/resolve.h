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
 * resolve_addr - resolve addr (internal form, as smtpd has it: without
 * <>, unquoted) for sender ("" for the null sender), as
 * smtpd_resolve_addr() does: both rewritten in the "local" context, the
 * address resolved, the recipient case-folded. The parameters are those
 * of the trivial-rewrite service the session's smtpd talks to (the
 * master.cf service named by its rewrite_service_name, with that
 * service's -o overrides; main.cf's when master.cf has none): an smtpd
 * -o relay_domains=... changes nothing here, as in Postfix.
 */
void resolve_addr(struct session *s, const char *sender, const char *addr,
		  struct resolve_reply *reply);

/*
 * resolve_query - trivial-rewrite's answer to a resolve request as it
 * comes (resolve_clnt_query_from(): sender and addr in internal form,
 * already rewritten; the recipient not case-folded), from the
 * trivial-rewrite service of the session's policy. What the queue
 * manager asks.
 */
void resolve_query(struct session *s, const char *sender, const char *addr,
		   struct resolve_reply *reply);

/*
 * resolve_rewrite - trivial-rewrite's "local" context rewrite of addr
 * (internal form in, internal form out, as rewrite_clnt_internal()):
 * a source route stripped, site!user and user%site made user@site,
 * @$myorigin appended to a bare user, .$mydomain to user@host when
 * append_dot_mydomain, a trailing dot stripped; into out (replaced).
 */
void resolve_rewrite(struct session *s, const char *addr, struct strbuf *out);

/* resolve_class_name - "local", "alias", "virtual", "relay", "default" of flags */
const char *resolve_class_name(unsigned flags);

/* ---------------------------------------------------------------------
 * For cleanup's side (rewrite.c): the same in the view of another
 * client of trivial-rewrite.
 */

/*
 * resolve_rewrite_view - the view of the trivial-rewrite service that
 * client (smtpd's or cleanup's view) talks to, through its
 * rewrite_service_name; kept in client's memo.
 */
const struct policy *resolve_rewrite_view(const struct policy *client);

/*
 * resolve_rewrite_in - rewrite_clnt() in view rw (a rewrite view):
 * external form in and out when external, else internal form in and out;
 * into out (replaced).
 */
void resolve_rewrite_in(struct session *s, const struct policy *rw, const char *addr,
			int external, struct strbuf *out);

#endif
