/*
 * engine_dns - the restrictions that ask the DNS, as smtpd_check.c asks
 * it: DNS lists (reject_rbl_client, reject_rhsbl_*, permit_dnswl_client,
 * permit_rhswl_client, reject_maps_rbl), reject_unknown_helo_hostname and
 * reject_unknown_{sender,recipient}_domain, check_*_{ns,mx,a}_access and
 * permit_mx_backup. The questions themselves, with their statuses and
 * warnings, are dns.c's; here is what smtpd makes of the answers.
 */
#include <netdb.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "engine_int.h"
#include "hostinfo.h"
#include "maps.h"
#include "matchlist.h"
#include "resolve.h"
#include "textutil.h"
#include "xalloc.h"

/* ------------------------------------------------------------ the resolver */

/*
 * A resolver for which the DNS is down: every question fails
 * temporarily, as it does for smtpd when no name server answers.
 */
static enum dns_status down_query(struct dns_resolver *r, const char *name,
				  enum dns_type type, struct dns_answer *answer)
{
    (void) r, (void) name, (void) type;
    answer->herr = TRY_AGAIN;
    return DNS_RETRY;
}

static enum dns_status down_host_addrs(struct dns_resolver *r, const char *host,
				       struct dns_answer *answer)
{
    (void) r, (void) host;
    answer->why = xstrdup("Temporary failure in name resolution");
    return DNS_RETRY;
}

static void down_free(struct dns_resolver *r)
{
    (void) r;
}

static struct dns_resolver dns_down = {
    .query = down_query,
    .host_addrs = down_host_addrs,
    .free = down_free,
};

struct dns_resolver *engine_dns_open(const struct policy *p, struct dns_resolver *dns)
{
    int v4 = 1, v6 = 1;
    char *err = NULL;

    if (dns == NULL)
	dns = &dns_down;
    /* A bad inet_protocols stops smtpd at start; the session's start says so. */
    if (host_protocols(policy_value(p, "inet_protocols"), &v4, &v6, &err) < 0)
	free(err);
    dns->families = (v4 ? DNS_FAMILY_INET : 0) | (v6 ? DNS_FAMILY_INET6 : 0);
    if (dns->families == (DNS_FAMILY_INET | DNS_FAMILY_INET6))
	dns->families = 0;
    dns->rr_list_limit = (int) policy_int(p, "dns_rr_list_limit", 100);
    return dns;
}

/*
 * What dns.c warns (through diag_warn(), in smtpd's words) goes to the
 * session's trace while the engine asks.
 */
static void warn_to_session(void *ctx, const char *message)
{
    engine_warn(ctx, "%s", message);
}

#define ASKING(s)	diag_set_warning_hook(warn_to_session, (s))
#define ASKED()		diag_set_warning_hook(NULL, NULL)

/* ------------------------------------------------------------ DNS lists */

/* rbl_reject - rbl_reject_reply(): the reply to a listed client or domain */
static int rbl_reject(struct session *s, const struct dns_rbl *rbl, const char *rbl_domain,
		      const char *what, const char *reply_class)
{
    struct engine *e = engine_of(s);
    struct dns_rbl_reply how = {
	.default_template = policy_value(s->policy, "default_rbl_reply"),
	.rbl_code = e->maps_rbl_code,
	.filter = policy_value(s->policy, "smtpd_expand_filter"),
	.lookup = session_expand_lookup,
	.ctx = s,
    };
    char dsn[DSN_SIZE];
    struct strbuf text = STRBUF_INIT;
    char *err = NULL;
    int status;

    if (*policy_value(s->policy, "rbl_reply_maps")) {
	switch (maps_find(s, "rbl_reply_maps", rbl_domain, &how.template)) {
	case MAPS_FAIL:
	    return server_error(s);
	case MAPS_NOTFOUND:
	    how.template = NULL;
	    break;
	}
    }
    /* The template may live in the lookup's space, which expansion reuses. */
    char *template = how.template ? xstrdup(how.template) : NULL;
    how.template = template;
    ASKING(s);
    int code = dns_rbl_reply(rbl, rbl_domain, what, reply_class, &how, dsn, &text, &err);
    ASKED();
    if (code < 0) {
	/* smtpd exits: "fatal: rbl_reject_reply: bad default rbl reply template" */
	engine_warn(s, "fatal: %s", err);
	free(err);
	status = server_error(s);
    } else {
	status = check_reject(s, ERR_POLICY, code, dsn_fix(dsn, reply_class), "%s",
			      *sb_str(&text) ? sb_str(&text) : "Service unavailable");
    }
    free(template);
    sb_free(&text);
    return status;
}

/*
 * dnsxl - find_dnsxl_addr() (by_addr) or find_dnsxl_domain(): the list's
 * answer for what, in *rbl. -1 when the list's reply filter is malformed:
 * smtpd exits ("fatal: RBL reply error: ..."), the session gets 451.
 */
static int dnsxl(struct session *s, const char *rbl_domain, const char *what, int by_addr,
		 struct dns_rbl *rbl)
{
    struct dns_resolver *r = engine_of(s)->dns;
    char *err = NULL;
    int status;

    memset(rbl, 0, sizeof(*rbl));
    ASKING(s);
    status = by_addr ? dns_rbl_addr(r, rbl_domain, what, rbl, &err)
	: dns_rbl_domain(r, rbl_domain, what, rbl, &err);
    ASKED();
    if (status < 0) {
	engine_warn(s, "fatal: %s", err);
	free(err);
	return -1;
    }
    return 0;
}

/* reject_dnsxl - reject_rbl_addr(), reject_rbl_domain() */
static int reject_dnsxl(struct session *s, const char *rbl_domain, const char *what,
			int by_addr, const char *reply_class)
{
    struct dns_rbl rbl;
    int status = CHECK_DUNNO;

    if (dnsxl(s, rbl_domain, what, by_addr, &rbl) < 0)
	return server_error(s);
    if (rbl.status == DNS_OK)
	status = rbl_reject(s, &rbl, rbl_domain, what, reply_class);
    dns_rbl_free(&rbl);
    return status;
}

/* permit_dnsxl - permit_dnswl_addr(), permit_dnswl_domain() */
static int permit_dnsxl(struct session *s, const char *dnswl_domain, const char *what,
			int by_addr, const char *reply_class)
{
    struct dns_rbl rbl;
    int status = CHECK_DUNNO, failed;

    /* An allow list must not open the relay: only for our destinations. */
    if (strcmp(s->where, "RCPT") == 0 && s->recipient != NULL
	&& permit_auth_destination(s, s->recipient, &failed) != CHECK_OK)
	return failed ? CHECK_REJECT : CHECK_DUNNO;
    if (dnsxl(s, dnswl_domain, what, by_addr, &rbl) < 0)
	return server_error(s);
    if (rbl.status == DNS_OK)
	status = CHECK_OK;
    else if (rbl.status == DNS_RETRY)
	defer_if(&s->defer_if_reject, ERR_POLICY, 450, "4.7.1",
		 "<%s>: %s rejected: %s", what, reply_class, "Service unavailable");
    dns_rbl_free(&rbl);
    return status;
}

int h_rbl_client(struct session *s, const struct step *st, const struct walk *w)
{
    (void) w;
    return reject_dnsxl(s, st->text, s->addr, 1, NAME_CLIENT);
}

int h_dnswl_client(struct session *s, const struct step *st, const struct walk *w)
{
    (void) w;
    return permit_dnsxl(s, st->text, s->addr, 1, NAME_CLIENT);
}

int h_rhswl_client(struct session *s, const struct step *st, const struct walk *w)
{
    (void) w;
    if (strcasecmp(s->name, "unknown") == 0)
	return CHECK_DUNNO;
    return permit_dnsxl(s, st->text, s->name, 0, NAME_CLIENT);
}

/* h_rhsbl - reject_rhsbl_{client,reverse_client,helo,sender,recipient} */
int h_rhsbl(struct session *s, const struct step *st, const struct walk *w)
{
    const char *what = NULL, *reply_class = NULL;

    (void) w;
    switch (st->op) {
    case RESTR_REJECT_RHSBL_CLIENT:
	if (strcasecmp(s->name, "unknown") != 0)
	    what = s->name, reply_class = NAME_CLIENT;
	break;
    case RESTR_REJECT_RHSBL_REVERSE_CLIENT:
	if (strcasecmp(s->reverse_name, "unknown") != 0)
	    what = s->reverse_name, reply_class = NAME_REV_CLIENT;
	break;
    case RESTR_REJECT_RHSBL_HELO:
	what = s->helo_name, reply_class = NAME_HELO;
	break;
    case RESTR_REJECT_RHSBL_SENDER:
	if (s->sender && *s->sender)
	    what = s->sender, reply_class = NAME_SENDER;
	break;
    default:			/* RESTR_REJECT_RHSBL_RECIPIENT */
	what = s->recipient, reply_class = NAME_RECIPIENT;
	break;
    }
    if (what == NULL)
	return CHECK_DUNNO;
    return reject_dnsxl(s, st->text, what, 0, reply_class);
}

/* h_maps_rbl - reject_maps_rbl: reject_rbl_client over $maps_rbl_domains */
int h_maps_rbl(struct session *s, const struct step *st, const struct walk *w)
{
    struct engine *e = engine_of(s);
    char *domains = xstrdup(policy_value(s->policy, "maps_rbl_domains"));
    int status = CHECK_DUNNO;

    (void) st, (void) w;
    if (e->warned_maps_rbl == 0) {
	e->warned_maps_rbl = 1;
	engine_warn(s, "support for restriction \"reject_maps_rbl\" will be removed from %s; "
		    "use \"reject_rbl_client domain-name\" instead",
		    policy_value(s->policy, "mail_name"));
    }
    for (char *cp = domains, *domain; (domain = str_tokq(&cp, CHARS_COMMA_SP)) != NULL;)
	if ((status = reject_dnsxl(s, domain, s->addr, 1, NAME_CLIENT)) != CHECK_DUNNO)
	    break;
    free(domains);
    return status;
}

/* ------------------------------------------------------------ unknown names */

/* reject_unknown_hostname - the HELO name has no A, AAAA or MX record */
static int reject_unknown_hostname(struct session *s, const char *name,
				   const char *reply_name, const char *reply_class)
{
    struct engine *e = engine_of(s);

    ASKING(s);
    enum dns_status status = dns_lookup_addr_or_mx(e->dns, name);
    ASKED();
    /* A mail server's name may publish a null MX. */
    if (status == DNS_OK || status == DNS_NULLMX)
	return CHECK_DUNNO;
    if (status != DNS_RETRY)
	return check_reject(s, ERR_POLICY, e->unk_name_code, "4.7.1",
			    "<%s>: %s rejected: %s", reply_name, reply_class,
			    status == DNS_INVAL ? "Malformed DNS server reply" : "Host not found");
    if (s->warn_if_reject == 0 && e->unk_name_tf_act == TF_DEFER_IF_PERMIT)
	return defer_if(&s->defer_if_permit, ERR_POLICY, 450, "4.7.1",
			"<%s>: %s rejected: Host not found", reply_name, reply_class);
    return check_reject(s, ERR_POLICY, 450, "4.7.1", "<%s>: %s rejected: Host not found",
			reply_name, reply_class);
}

int h_unknown_helo(struct session *s, const struct step *st, const struct walk *w)
{
    (void) st, (void) w;
    if (s->helo_name == NULL)
	return CHECK_DUNNO;
    if (*s->helo_name == '[')
	return reject_invalid_hostaddr(s, s->helo_name, s->helo_name, NAME_HELO);
    return reject_unknown_hostname(s, s->helo_name, s->helo_name, NAME_HELO);
}

/* reject_unknown_mailhost - the domain has no MX, A or AAAA record */
static int reject_unknown_mailhost(struct session *s, const char *name,
				   const char *reply_name, const char *reply_class)
{
    struct engine *e = engine_of(s);
    int sender = strcmp(reply_class, NAME_SENDER) == 0;

    ASKING(s);
    enum dns_status status = dns_lookup_mailhost(e->dns, name);
    ASKED();
    if (status == DNS_OK)
	return CHECK_DUNNO;
    if (status == DNS_NULLMX)
	return check_reject(s, ERR_POLICY, sender ? 550 : 556, sender ? "4.7.27" : "4.1.10",
			    "<%s>: %s rejected: Domain %s does not accept mail (nullMX)",
			    reply_name, reply_class, name);
    const char *dsn = sender ? "4.1.8" : "4.1.2";
    if (status != DNS_RETRY)
	return check_reject(s, ERR_POLICY, e->unk_addr_code, dsn, "<%s>: %s rejected: %s",
			    reply_name, reply_class, status == DNS_INVAL
			    ? "Malformed DNS server reply" : "Domain not found");
    if (s->warn_if_reject == 0 && e->unk_addr_tf_act == TF_DEFER_IF_PERMIT)
	return defer_if(&s->defer_if_permit, ERR_POLICY, 450, dsn,
			"<%s>: %s rejected: Domain not found", reply_name, reply_class);
    return check_reject(s, ERR_POLICY, 450, dsn, "<%s>: %s rejected: Domain not found",
			reply_name, reply_class);
}

/*
 * reject_unknown_address - the address's domain, as trivial-rewrite
 * resolves it, must exist unless it is ours or an address literal.
 */
static int reject_unknown_address(struct session *s, const char *addr,
				  const char *reply_name, const char *reply_class)
{
    struct resolve_reply reply;
    const char *domain;
    int status = CHECK_DUNNO;

    resolve_reply_init(&reply);
    resolve_addr(s, strcmp(reply_class, NAME_SENDER) == 0
		 ? (s->recipient ? s->recipient : "") : (s->sender ? s->sender : ""),
		 addr, &reply);
    if (reply.flags & RESOLVE_FLAG_FAIL)
	status = lookup_retry(s, addr);
    else if ((domain = strrchr(sb_str(&reply.recipient), '@')) != NULL
	     && !(reply.flags & RESOLVE_CLASS_FINAL)
	     && !(domain[1] == '[' && domain[strlen(domain) - 1] == ']'))
	status = reject_unknown_mailhost(s, domain + 1, reply_name, reply_class);
    resolve_reply_free(&reply);
    return status;
}

int h_unknown_sender_domain(struct session *s, const struct step *st, const struct walk *w)
{
    (void) st, (void) w;
    if (s->sender == NULL || *s->sender == 0)
	return CHECK_DUNNO;
    return reject_unknown_address(s, s->sender, s->sender, NAME_SENDER);
}

int h_unknown_recipient_domain(struct session *s, const struct step *st,
			       const struct walk *w)
{
    (void) st, (void) w;
    if (s->recipient == NULL)
	return CHECK_DUNNO;
    return reject_unknown_address(s, s->recipient, s->recipient, NAME_RECIPIENT);
}

/* ------------------------------------------------------------ server access */

/* One check_server_access() walk: the table, and the first decision. */
struct server_walk {
    struct session *s;
    uint32_t table;
    const char *reply_name, *reply_class;
    enum restriction_id def_acl;
    int status;
};

/* visit_server - a host name (domain keys) or address (network keys) */
static int visit_server(void *ctx, enum dns_type kind, const char *value)
{
    struct server_walk *sw = ctx;
    int found = 0;

    ASKED();
    if (kind == DNS_A || kind == DNS_AAAA)
	sw->status = access_addr(sw->s, sw->table, value, &found, sw->reply_name,
				 sw->reply_class, sw->def_acl);
    else
	sw->status = access_domain(sw->s, sw->table, value, &found, sw->reply_name,
				   sw->reply_class, sw->def_acl);
    ASKING(sw->s);
    return sw->status != CHECK_DUNNO || found;
}

/*
 * h_server_access - check_{client,reverse_client_hostname,helo,sender,
 * recipient}_{ns,mx,a}_access: the name's DNS servers, mail hosts or
 * addresses looked up in the table. An OK from it is refused, as the
 * client chooses the name.
 */
int h_server_access(struct session *s, const struct step *st, const struct walk *w)
{
    const struct restriction_def *def = restriction_def(st->op);
    const char *name = NULL, *reply_name = NULL, *reply_class = NULL;
    enum dns_type type;

    switch (def->subject) {
    case SUBJ_CLIENT:
	if (strcasecmp(s->name, "unknown") != 0)
	    name = s->name, reply_name = s->namaddr, reply_class = NAME_CLIENT;
	break;
    case SUBJ_REVERSE_CLIENT:
	if (strcasecmp(s->reverse_name, "unknown") != 0)
	    name = reply_name = s->reverse_name, reply_class = NAME_REV_CLIENT;
	break;
    case SUBJ_HELO:
	name = reply_name = s->helo_name, reply_class = NAME_HELO;
	break;
    case SUBJ_SENDER:
	if (s->sender && *s->sender)
	    name = reply_name = s->sender, reply_class = NAME_SENDER;
	break;
    default:			/* SUBJ_RECIPIENT */
	if (s->recipient && *s->recipient)
	    name = reply_name = s->recipient, reply_class = NAME_RECIPIENT;
	break;
    }
    if (name == NULL)
	return CHECK_DUNNO;
    size_t len = strlen(def->name);
    type = strcmp(def->name + len - 10, "_ns_access") == 0 ? DNS_NS
	: strcmp(def->name + len - 10, "_mx_access") == 0 ? DNS_MX : DNS_A;

    struct server_walk sw = { s, st->table, reply_name, reply_class, w->def_acl, CHECK_DUNNO };
    ASKING(s);
    int stopped = dns_walk_hosts(engine_of(s)->dns, name, type, reply_name, reply_class,
				 visit_server, &sw);
    ASKED();
    return forbid_allowlist(s, def->name, stopped ? sw.status : CHECK_DUNNO, name);
}

/* ------------------------------------------------------------ permit_mx_backup */

/*
 * has_my_addr - does host have one of this machine's addresses
 * (inet_interfaces or proxy_interfaces)? A failed lookup defers a reject.
 */
static int has_my_addr(struct session *s, const char *host, const char *reply_name,
		       const char *reply_class)
{
    struct dns_answer addrs;
    int yes = 0;

    memset(&addrs, 0, sizeof(addrs));
    if (dns_host_addrs(engine_of(s)->dns, host, &addrs) != DNS_OK) {
	defer_if(&s->defer_if_reject, ERR_POLICY, 450, "4.4.4",
		 "<%s>: %s rejected: Unable to look up mail exchanger host %s: %s",
		 reply_name, reply_class, host, addrs.why ? addrs.why : "");
	dns_answer_free(&addrs);
	return 0;
    }
    for (size_t i = 0; i < addrs.count && !yes; i++)
	yes = match_own_addr(s, s->policy, addrs.rrs[i].data, 0) > 0
	    || match_own_addr(s, s->policy, addrs.rrs[i].data, 1) > 0;
    dns_answer_free(&addrs);
    return yes;
}

/* i_am_mx - is this machine one of the hosts (by name, else by address)? */
static int i_am_mx(struct session *s, const struct dns_rr *mx, size_t count,
		   const char *reply_name, const char *reply_class)
{
    for (size_t i = 0; i < count; i++)
	if (match_local_domain(s, s->policy, mx[i].data) > 0)
	    return 1;
    for (size_t i = 0; i < count; i++)
	if (has_my_addr(s, mx[i].data, reply_name, reply_class))
	    return 1;
    return 0;
}

/* all_auth_mx_addr - every address of host is in permit_mx_backup_networks */
static int all_auth_mx_addr(struct session *s, const char *host, const char *reply_name,
			    const char *reply_class)
{
    struct dns_answer addrs;
    struct strbuf why = STRBUF_INIT;
    int yes = 1;

    memset(&addrs, 0, sizeof(addrs));
    enum dns_status status = dns_lookup_addrs(engine_of(s)->dns, host, &addrs);
    if (status != DNS_OK) {
	defer_if(&s->defer_if_reject, ERR_POLICY, 450, "4.4.4",
		 "<%s>: %s rejected: Unable to look up host %s as mail exchanger: %s",
		 reply_name, reply_class, host, dns_strerror(&addrs, status, &why));
	yes = 0;
    }
    for (size_t i = 0; yes && i < addrs.count; i++) {
	int match = match_namadr(s, "permit_mx_backup_networks", host, addrs.rrs[i].data);
	if (match == MATCH_YES)
	    continue;
	if (match == MATCH_FAIL) {
	    engine_warn(s, "all_auth_mx_addr: permit_mx_backup_networks lookup error"
			" for address %s for %s", addrs.rrs[i].data, host);
	    defer_if(&s->defer_if_reject, ERR_POLICY, 450, "4.4.4",
		     "<%s>: %s rejected: Unable to verify host %s as mail exchanger",
		     reply_name, reply_class, host);
	}
	yes = 0;
    }
    dns_answer_free(&addrs);
    sb_free(&why);
    return yes;
}

static int by_preference(const void *a, const void *b)
{
    const struct dns_rr *x = a, *y = b;

    return x->preference < y->preference ? -1 : x->preference > y->preference;
}

/*
 * mx_backup - permit_mx_backup(): relay for a domain whose backup MX
 * hosts (not primary ones) include this machine.
 */
static int mx_backup(struct session *s, const char *recipient, const char *reply_name,
		     const char *reply_class)
{
    struct engine *e = engine_of(s);
    struct resolve_reply reply;
    struct dns_answer mx;
    struct strbuf why = STRBUF_INIT;
    const char *at;
    char *domain;
    int status = CHECK_DUNNO;

    resolve_reply_init(&reply);
    resolve_addr(s, s->sender ? s->sender : "", recipient, &reply);
    if (reply.flags & RESOLVE_FLAG_FAIL) {
	resolve_reply_free(&reply);
	return lookup_retry(s, recipient);
    }
    /* Our own and relayed destinations pass, as permit_auth_destination. */
    if ((at = strrchr(sb_str(&reply.recipient), '@')) == NULL) {
	resolve_reply_free(&reply);
	return CHECK_OK;
    }
    domain = xstrdup(at + 1);
    unsigned flags = reply.flags;
    resolve_reply_free(&reply);
    if (!e->allow_untrusted_routing && (flags & RESOLVE_FLAG_ROUTED))
	goto done;
    if (flags & (RESOLVE_CLASS_FINAL | RESOLVE_CLASS_RELAY)) {
	status = CHECK_OK;
	goto done;
    }
    if (domain[0] == '[' && domain[strlen(domain) - 1] == ']')
	goto done;

    memset(&mx, 0, sizeof(mx));
    ASKING(s);
    enum dns_status dstatus = dns_lookup(e->dns, domain, DNS_MX, &mx);
    if (dstatus != DNS_OK) {
	/* A null MX is no special case here. */
	if (dstatus == DNS_RETRY)
	    defer_if(&s->defer_if_reject, ERR_POLICY, 450, "4.4.4",
		     "<%s>: %s rejected: Unable to look up mail exchanger information: %s",
		     reply_name, reply_class, dns_strerror(&mx, dstatus, &why));
    } else if (mx.count > 0) {
	/* The primaries (the best preference), then the backups. */
	qsort(mx.rrs, mx.count, sizeof(*mx.rrs), by_preference);
	size_t primaries = 1;
	while (primaries < mx.count && mx.rrs[primaries].preference == mx.rrs[0].preference)
	    primaries++;
	if (!i_am_mx(s, mx.rrs, primaries, reply_name, reply_class)
	    && primaries < mx.count
	    && i_am_mx(s, mx.rrs + primaries, mx.count - primaries, reply_name, reply_class)) {
	    status = CHECK_OK;
	    if (*policy_value(s->policy, "permit_mx_backup_networks"))
		for (size_t i = 0; i < primaries && status == CHECK_OK; i++)
		    if (!all_auth_mx_addr(s, mx.rrs[i].data, reply_name, reply_class))
			status = CHECK_DUNNO;
	}
    }
    ASKED();
    dns_answer_free(&mx);
  done:
    free(domain);
    sb_free(&why);
    return status;
}

int h_mx_backup(struct session *s, const struct step *st, const struct walk *w)
{
    (void) st, (void) w;
    if (s->recipient == NULL)
	return CHECK_DUNNO;
    return mx_backup(s, s->recipient, s->recipient, NAME_RECIPIENT);
}
