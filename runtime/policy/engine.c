/*
 * engine - the stage checks and the restriction list walk of Postfix
 * 3.7's smtpd_check.c (generic_checks(), smtpd_check_client() ...
 * smtpd_check_eod()), run over the image's restriction programs. A
 * restriction is dispatched on its id through one table of handlers; the
 * handlers of the plain restrictions are here, the table lookups and the
 * access(5) results in access.c, the DNS ones in engine_dns.c.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "engine_int.h"
#include "hostaddr.h"
#include "hostinfo.h"
#include "lookup_order.h"
#include "maps.h"
#include "matchlist.h"
#include "policy_client.h"
#include "resolve.h"
#include "table_unix.h"
#include "textutil.h"
#include "trace.h"
#include "xalloc.h"

/* Recursion beyond this is a loop in the configuration (check_table_result()). */
#define MAX_RECURSION 100

/* ------------------------------------------------------------ steps */


static int walk_program(struct session *s, uint32_t program, const struct walk *w);

/* ------------------------------------------------------------ tracing */

/* step_arg - a step's argument as written: table spec, domain, class, seconds */
static const char *step_arg(const struct session *s, const struct step *st, char num[16])
{
    const struct image *img = s->policy->img;

    if (st->table != IMG_NONE)
	return image_str(img, img->tables[st->table].spec);
    if (st->op == RESTR_SLEEP) {
	snprintf(num, 16, "%u", (unsigned) st->number);
	return num;
    }
    return st->text ? st->text : st->word ? st->word : "";
}

static void trace_step(struct session *s, const struct step *st, const char *result)
{
    if (s->trace == NULL || s->trace->restriction == NULL)
	return;
    char num[16];
    s->trace->restriction(s->trace->ctx, st->op, step_arg(s, st, num), st->source, st->line,
			  result, strcmp(result, "reject") == 0 ? sb_str(&s->reply) : NULL);
}

void engine_warn(struct session *s, const char *fmt, ...)
{
    va_list ap;
    struct strbuf text = STRBUF_INIT;

    if (s->trace == NULL || s->trace->note == NULL)
	return;
    sb_adds(&text, "warning: ");
    va_start(ap, fmt);
    sb_vprintf(&text, fmt, ap);
    va_end(ap);
    s->trace->note(s->trace->ctx, sb_str(&text));
    sb_free(&text);
}

/* ------------------------------------------------------------ generic */

static int h_refused(struct session *s, const struct step *st, const struct walk *w)
{
    (void) w;
    engine_warn(s, "unknown smtpd restriction: \"%s\"", st->word);
    return server_error(s);
}

static int h_permit(struct session *s, const struct step *st, const struct walk *w)
{
    (void) s, (void) st, (void) w;
    return CHECK_OK;
}

static int h_defer(struct session *s, const struct step *st, const struct walk *w)
{
    (void) st;
    return check_reject(s, ERR_POLICY, engine_of(s)->defer_code, "4.3.2",
			"<%s>: %s rejected: Try again later", w->reply_name, w->reply_class);
}

static int h_reject(struct session *s, const struct step *st, const struct walk *w)
{
    (void) st;
    return check_reject(s, ERR_POLICY, engine_of(s)->reject_code, "5.7.1",
			"<%s>: %s rejected: Access denied", w->reply_name, w->reply_class);
}

static int h_unauth_pipelining(struct session *s, const struct step *st, const struct walk *w)
{
    (void) st;
    if (s->flags & SESSION_ILL_PIPELINING)
	return check_reject(s, ERR_PROTOCOL, 503, "5.5.0",
			    "<%s>: %s rejected: Improper use of SMTP command pipelining",
			    w->reply_name, w->reply_class);
    return CHECK_DUNNO;
}

static int h_defer_if_permit(struct session *s, const struct step *st, const struct walk *w)
{
    (void) st;
    /* DEFER_IF_PERMIT2(DEFER_IF_PERMIT_ACT, ...) */
    if (s->warn_if_reject == 0)
	return defer_if(&s->defer_if_permit, ERR_POLICY, 450, "4.7.0",
			"<%s>: %s rejected: defer_if_permit requested",
			w->reply_name, w->reply_class);
    return check_reject(s, ERR_POLICY, 450, "4.7.0",
			"<%s>: %s rejected: defer_if_permit requested",
			w->reply_name, w->reply_class);
}

static int h_defer_if_reject(struct session *s, const struct step *st, const struct walk *w)
{
    (void) st;
    return defer_if(&s->defer_if_reject, ERR_POLICY, 450, "4.7.0",
		    "<%s>: %s rejected: defer_if_reject requested",
		    w->reply_name, w->reply_class);
}

static int h_sleep(struct session *s, const struct step *st, const struct walk *w)
{
    (void) w;
    /* pfc trace answers at once; pfcd's protocol layer does the waiting. */
    if (s->trace && s->trace->note) {
	char text[64];
	snprintf(text, sizeof(text), "sleep %u (not slept here)", (unsigned) st->number);
	s->trace->note(s->trace->ctx, text);
    }
    return CHECK_DUNNO;
}

static int h_plaintext(struct session *s, const struct step *st, const struct walk *w)
{
    (void) st, (void) w;
    if ((s->flags & SESSION_TLS) == 0)
	return check_reject(s, ERR_POLICY, engine_of(s)->plaintext_code, "4.7.1",
			    "Session encryption is required");
    return CHECK_DUNNO;
}

/* ------------------------------------------------------------ client */

static int h_unknown_client(struct session *s, const struct step *st, const struct walk *w)
{
    (void) st, (void) w;
    /* RFC 7372: Email Authentication Status Codes. */
    if (s->name_status != PEER_CODE_OK)
	return check_reject(s, ERR_POLICY, s->name_status >= PEER_CODE_PERM
			    ? engine_of(s)->unk_client_code : 450, "4.7.25",
			    "Client host rejected: cannot find your hostname, [%s]", s->addr);
    return CHECK_DUNNO;
}

static int h_unknown_reverse(struct session *s, const struct step *st, const struct walk *w)
{
    (void) st, (void) w;
    if (s->reverse_name_status != PEER_CODE_OK)
	return check_reject(s, ERR_POLICY, s->reverse_name_status == PEER_CODE_PERM
			    ? engine_of(s)->unk_client_code : 450, "4.7.1",
			    "Client host rejected: cannot find your reverse hostname, [%s]",
			    s->addr);
    return CHECK_DUNNO;
}

/* permit_result - a permit (or, for a lookup failure, a temporary reject) */
int permit_result(struct session *s, int match, const char *reply_name)
{
    if (match == MATCH_YES)
	return CHECK_OK;
    if (match == MATCH_FAIL)
	return lookup_retry(s, reply_name);
    return CHECK_DUNNO;
}

static int h_inet_interfaces(struct session *s, const struct step *st, const struct walk *w)
{
    (void) st, (void) w;
    /* The TCP peer, as smtpd's state->sockaddr: XCLIENT does not change it. */
    return permit_result(s, match_inet_interfaces(s, s->peer_addr), s->namaddr);
}

static int h_mynetworks(struct session *s, const struct step *st, const struct walk *w)
{
    (void) st, (void) w;
    return permit_result(s, match_namadr(s, "mynetworks", s->name, s->addr), s->namaddr);
}

/* forbid_allowlist - OK from a table keyed by what a client may choose is refused */
int forbid_allowlist(struct session *s, const char *name, int status, const char *target)
{
    if (s->discard == 0 && status == CHECK_OK) {
	engine_warn(s, "restriction %s returns OK for %s", name, target);
	engine_warn(s, "this is not allowed for security reasons");
	engine_warn(s, "use DUNNO instead of OK if you want to make an exception");
	return server_error(s);
    }
    return status;
}

static int h_client_access(struct session *s, const struct step *st, const struct walk *w)
{
    int found;

    return access_namadr(s, st->table, s->name, s->addr, &found, s->namaddr, NAME_CLIENT,
			 w->def_acl);
}

static int h_reverse_client_access(struct session *s, const struct step *st,
				   const struct walk *w)
{
    int found;
    int status = access_namadr(s, st->table, s->reverse_name, s->addr, &found,
			       s->reverse_name, NAME_REV_CLIENT, w->def_acl);

    return forbid_allowlist(s, restriction_name(st->op), status, s->reverse_name);
}

static int h_sasl_access(struct session *s, const struct step *st, const struct walk *w)
{
    int found;

    if (!engine_of(s)->sasl_enable) {
	engine_warn(s, "restriction `%s' ignored: no SASL support", restriction_name(st->op));
	return CHECK_DUNNO;
    }
    if (s->sasl_username == NULL || *s->sasl_username == 0)
	return CHECK_DUNNO;
    char *sane = xstrdup(s->sasl_username);
    for (unsigned char *cp = (unsigned char *) sane; *cp; cp++)
	if (*cp < 0x20 || *cp >= 0x7f)
	    *cp = '_';
    int status = access_exact(s, st->table, s->sasl_username, &found, sane,
			      NAME_SASL_USER, w->def_acl);
    free(sane);
    return status;
}

static int h_ccert_access(struct session *s, const struct step *st, const struct walk *w)
{
    (void) st, (void) w;
    /* No TLS in this session: no certificate to look up. */
    if ((s->flags & SESSION_TLS) == 0)
	engine_warn(s, "%s is requested, but \"smtpd_tls_ask_ccert = no\"",
		    restriction_name(st->op));
    return CHECK_DUNNO;
}

static int h_tls_clientcerts(struct session *s, const struct step *st, const struct walk *w)
{
    (void) st, (void) w;
    /* Without TLS, permit_tls_*clientcerts have nothing to permit. */
    (void) s;
    return CHECK_DUNNO;
}

static int h_sasl_authenticated(struct session *s, const struct step *st, const struct walk *w)
{
    (void) st, (void) w;
    if (!engine_of(s)->sasl_enable)
	return CHECK_DUNNO;
    return s->sasl_username != NULL && *s->sasl_username ? CHECK_OK : CHECK_DUNNO;
}

/* ------------------------------------------------------------ HELO */

/* dup_if_truncate - a name ending in one dot, without it */
static char *dup_if_truncate(const char *name)
{
    size_t len = strlen(name);

    if (len > 1 && name[len - 1] == '.' && name[len - 2] != '.')
	return xstrndup(name, len - 1);
    return xstrdup(name);
}

/* reject_invalid_hostaddr - "[addr]" must hold a valid address */
int reject_invalid_hostaddr(struct session *s, const char *addr,
				   const char *reply_name, const char *reply_class)
{
    size_t len = strlen(addr);
    char *test = addr[0] == '[' && len > 2 && addr[len - 1] == ']'
	? xstrndup(addr + 1, len - 2) : xstrdup(addr);
    int status = valid_mailhost_addr(test, 0) != NULL ? CHECK_DUNNO
	: check_reject(s, ERR_POLICY, engine_of(s)->bad_name_code, "5.5.2",
		       "<%s>: %s rejected: invalid ip address", reply_name, reply_class);

    free(test);
    return status;
}

/*
 * helo_to_test - what both HELO name checks test: the name without a
 * trailing dot (a copy); or NULL, *status the verdict, when there is no
 * name (CHECK_DUNNO) or it is an address literal (checked as one)
 */
static char *helo_to_test(struct session *s, int *status)
{
    *status = CHECK_DUNNO;
    if (s->helo_name == NULL)
	return NULL;
    if (*s->helo_name == '[') {
	*status = reject_invalid_hostaddr(s, s->helo_name, s->helo_name, NAME_HELO);
	return NULL;
    }
    return dup_if_truncate(s->helo_name);
}

static int h_invalid_helo(struct session *s, const struct step *st, const struct walk *w)
{
    int status;
    char *test = helo_to_test(s, &status);

    (void) st, (void) w;
    if (test == NULL)
	return status;
    status = valid_hostname(test, 0) || valid_hostaddr(test, 0) ? CHECK_DUNNO
	: check_reject(s, ERR_POLICY, engine_of(s)->bad_name_code, "5.5.2",
		       "<%s>: %s rejected: Invalid name", s->helo_name, NAME_HELO);
    free(test);
    return status;
}

static int h_non_fqdn_helo(struct session *s, const struct step *st, const struct walk *w)
{
    int status;
    char *test = helo_to_test(s, &status);

    (void) st, (void) w;
    if (test == NULL)
	return status;
    int ok = valid_utf8_hostname((s->flags & SESSION_SMTPUTF8) != 0, test, 0)
	&& strchr(test, '.') != NULL;
    free(test);
    return ok ? CHECK_DUNNO
	: check_reject(s, ERR_POLICY, engine_of(s)->non_fqdn_code, "5.5.2",
		       "<%s>: %s rejected: need fully-qualified hostname",
		       s->helo_name, NAME_HELO);
}

static int h_naked_ip(struct session *s, const struct step *st, const struct walk *w)
{
    (void) st, (void) w;
    engine_warn(s, "restriction permit_naked_ip_address is deprecated. Use"
		" permit_mynetworks or permit_sasl_authenticated instead");
    if (s->helo_name == NULL)
	return CHECK_DUNNO;
    if (s->helo_name[strspn(s->helo_name, "0123456789.:")] == 0) {
	int status = reject_invalid_hostaddr(s, s->helo_name, s->helo_name, NAME_HELO);
	return status == CHECK_DUNNO ? CHECK_OK : status;
    }
    return CHECK_DUNNO;
}

static int h_helo_access(struct session *s, const struct step *st, const struct walk *w)
{
    int found;

    if (s->helo_name == NULL)
	return CHECK_DUNNO;
    return access_domain(s, st->table, s->helo_name, &found, s->helo_name, NAME_HELO,
			 w->def_acl);
}

/* ------------------------------------------------------------ addresses */

/* reject_non_fqdn_address - the domain of addr must be a fully-qualified name */
static int reject_non_fqdn_address(struct session *s, const char *addr,
				   const char *reply_name, const char *reply_class)
{
    const char *at = strrchr(addr, '@');
    const char *domain = at ? at + 1 : "";
    size_t dlen = strlen(domain);

    if (dlen > 0 && domain[0] == '[' && domain[dlen - 1] == ']')
	return CHECK_DUNNO;
    char *test = dup_if_truncate(domain);
    int ok = *test && valid_utf8_hostname((s->flags & SESSION_SMTPUTF8) != 0, test, 0)
	&& strchr(test, '.') != NULL;
    free(test);
    return ok ? CHECK_DUNNO
	: check_reject(s, ERR_POLICY, engine_of(s)->non_fqdn_code, "4.5.2",
		       "<%s>: %s rejected: need fully-qualified address",
		       reply_name, reply_class);
}

static int h_non_fqdn_sender(struct session *s, const struct step *st, const struct walk *w)
{
    (void) st, (void) w;
    if (s->sender == NULL || *s->sender == 0)
	return CHECK_DUNNO;
    return reject_non_fqdn_address(s, s->sender, s->sender, NAME_SENDER);
}

static int h_non_fqdn_recipient(struct session *s, const struct step *st, const struct walk *w)
{
    (void) st, (void) w;
    if (s->recipient == NULL)
	return CHECK_DUNNO;
    return reject_non_fqdn_address(s, s->recipient, s->recipient, NAME_RECIPIENT);
}

static int h_sender_access(struct session *s, const struct step *st, const struct walk *w)
{
    int found;

    if (s->sender == NULL)
	return CHECK_DUNNO;
    if (*s->sender)
	return access_mail(s, st->table, s->sender, &found, s->sender, NAME_SENDER,
			   w->def_acl);
    return access_exact(s, st->table, engine_of(s)->null_access_key, &found, s->sender,
			NAME_SENDER, w->def_acl);
}

static int h_recipient_access(struct session *s, const struct step *st, const struct walk *w)
{
    int found;

    if (s->recipient == NULL)
	return CHECK_DUNNO;
    return access_mail(s, st->table, s->recipient, &found, s->recipient, NAME_RECIPIENT,
		       w->def_acl);
}

static int h_etrn_access(struct session *s, const struct step *st, const struct walk *w)
{
    int found;

    if (s->etrn_name == NULL)
	return CHECK_DUNNO;
    return access_domain(s, st->table, s->etrn_name, &found, s->etrn_name, NAME_ETRN,
			 w->def_acl);
}

/* ------------------------------------------------------------ destinations */

/*
 * permit_auth_destination - OK when the recipient's domain is ours
 * (mydestination, virtual alias or mailbox domains) or in relay_domains.
 * *reply_status: CHECK_REJECT when a lookup failed (the reply is set).
 */
int permit_auth_destination(struct session *s, const char *recipient, int *failed)
{
    struct resolve_reply reply;
    int status = CHECK_DUNNO;

    *failed = 0;
    resolve_reply_init(&reply);
    resolve_addr(s, s->sender ? s->sender : "", recipient, &reply);
    if (reply.flags & RESOLVE_FLAG_FAIL) {
	*failed = 1;
	status = lookup_retry(s, recipient);
    } else if (strrchr(sb_str(&reply.recipient), '@') == NULL) {
	status = CHECK_OK;	/* "not supposed to happen" */
    } else if (!engine_of(s)->allow_untrusted_routing && (reply.flags & RESOLVE_FLAG_ROUTED)) {
	status = CHECK_DUNNO;
    } else if (reply.flags & (RESOLVE_CLASS_FINAL | RESOLVE_CLASS_RELAY)) {
	status = CHECK_OK;
    }
    resolve_reply_free(&reply);
    return status;
}

static int h_permit_auth_destination(struct session *s, const struct step *st,
				     const struct walk *w)
{
    int failed;

    (void) st, (void) w;
    if (s->recipient == NULL)
	return CHECK_DUNNO;
    return permit_auth_destination(s, s->recipient, &failed);
}

static int unauth_destination(struct session *s, int code, const char *dsn)
{
    int failed;

    if (s->recipient == NULL)
	return CHECK_DUNNO;
    int status = permit_auth_destination(s, s->recipient, &failed);
    if (failed)
	return status;
    if (status == CHECK_OK)
	return CHECK_DUNNO;
    return check_reject(s, ERR_POLICY, code, dsn, "<%s>: Relay access denied", s->recipient);
}

static int h_reject_unauth_destination(struct session *s, const struct step *st,
				       const struct walk *w)
{
    (void) st, (void) w;
    return unauth_destination(s, engine_of(s)->relay_code, "5.7.1");
}

static int h_defer_unauth_destination(struct session *s, const struct step *st,
				      const struct walk *w)
{
    (void) st, (void) w;
    return unauth_destination(s, engine_of(s)->relay_code - 100, "4.7.1");
}

static int h_check_relay_domains(struct session *s, const struct step *st,
				 const struct walk *w)
{
    int failed;

    (void) st;
    engine_warn(s, "support for restriction \"check_relay_domains\" will be removed from"
		" Postfix; use \"reject_unauth_destination\" instead");
    if (s->recipient == NULL)
	return CHECK_DUNNO;
    int match = match_domain(s, "relay_domains", s->name);
    if (match == MATCH_YES)
	return CHECK_OK;
    if (permit_auth_destination(s, s->recipient, &failed) == CHECK_OK)
	return CHECK_OK;
    if (failed)
	return CHECK_REJECT;
    return check_reject(s, ERR_POLICY, engine_of(s)->relay_code, "5.7.1",
			"<%s>: %s rejected: Relay access denied", w->reply_name, w->reply_class);
}

/* ------------------------------------------------------------ recipient tables */

/* match_left - addr starts with local@ (case-insensitively) */
static int match_left(const char *local, const char *addr)
{
    size_t n = strlen(local);

    return strncasecmp(local, addr, n) == 0 && addr[n] == '@';
}

/* rcpt_maps_find - one of the rcpt maps: FOUND, NOTFOUND, or CHECK_REJECT via *status */
static int rcpt_maps_find(struct session *s, const char *param, const char *addr,
			  const char *reply_name, int *status)
{
    const char *value;
    int r = maps_addr_find(s, param, NULL, 0, LO_ADDRESS, addr, &value, NULL);

    if (r == MAPS_FAIL) {
	*status = lookup_retry(s, reply_name);
	return MAPS_FAIL;
    }
    return r;
}

/*
 * check_rcpt_maps - is recipient (or the sender, as reply_class says) a
 * known address of its class? smtpd_check.c's check_rcpt_maps().
 */
static int check_rcpt_maps(struct session *s, const char *sender, const char *recipient,
			   const char *reply_class)
{
    struct engine *e = engine_of(s);
    struct resolve_reply reply;
    int is_sender = strcmp(reply_class, NAME_SENDER) == 0;
    int status = CHECK_DUNNO, r;
    char dsn[DSN_SIZE];

    resolve_reply_init(&reply);
    resolve_addr(s, sender ? sender : "", recipient, &reply);
    if (reply.flags & RESOLVE_FLAG_FAIL) {
	status = lookup_retry(s, recipient);
	goto done;
    }
    const char *rcpt = sb_str(&reply.recipient);
    /* An address that canonical or virtual alias maps know is fine. */
    static const char *const known[] = {
	"recipient_canonical_maps", "sender_canonical_maps", "canonical_maps",
	"virtual_alias_maps",
    };
    for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++) {
	if (i == 1 && !is_sender)
	    continue;
	if ((r = rcpt_maps_find(s, known[i], rcpt, recipient, &status)) == MAPS_FAIL)
	    goto done;
	if (r == MAPS_FOUND)
	    goto done;
    }
    const char *transport = sb_str(&reply.transport);
    if (strcmp(transport, "error") == 0 || strcmp(transport, "retry") == 0) {
	int error = transport[0] == 'e';
	const char *text = dsn_split(dsn, error ? (is_sender ? "5.1.0" : "5.1.1")
				     : (is_sender ? "4.1.0" : "4.1.1"), sb_str(&reply.nexthop));
	status = check_reject(s, ERR_BOUNCE, !error ? 450
			      : (reply.flags & RESOLVE_CLASS_ALIAS) ? e->virt_alias_code : 550,
			      dsn_fix(dsn, reply_class), "<%s>: %s rejected: %s",
			      recipient, reply_class, text);
	goto done;
    }
    const char *param = NULL, *table_name = NULL;
    int code = 0;
    switch (reply.flags & RESOLVE_CLASS_MASK) {
    case RESOLVE_CLASS_LOCAL:
	if (*policy_value(s->policy, "local_recipient_maps") == 0
	    || match_left(e->double_bounce_sender, rcpt) || match_left("postmaster", rcpt)
	    || match_left("MAILER-DAEMON", rcpt))
	    goto done;
	param = "local_recipient_maps", table_name = "local recipient", code = e->local_rcpt_code;
	break;
    case RESOLVE_CLASS_VIRTUAL:
	if (*policy_value(s->policy, "virtual_mailbox_maps") == 0)
	    goto done;
	param = "virtual_mailbox_maps", table_name = "virtual mailbox";
	code = e->virt_mailbox_code;
	break;
    case RESOLVE_CLASS_RELAY:
	if (*policy_value(s->policy, "relay_recipient_maps") == 0)
	    goto done;
	param = "relay_recipient_maps", table_name = "relay recipient";
	code = e->relay_rcpt_code;
	break;
    default:
	goto done;
    }
    if ((r = rcpt_maps_find(s, param, rcpt, recipient, &status)) == MAPS_NOTFOUND)
	status = check_reject(s, ERR_BOUNCE, code, is_sender ? "5.1.0" : "5.1.1",
			      "<%s>: %s rejected: User unknown%s%s%s", recipient, reply_class,
			      e->show_unknown_table ? " in " : "",
			      e->show_unknown_table ? table_name : "",
			      e->show_unknown_table ? " table" : "");
  done:
    resolve_reply_free(&reply);
    return status == CHECK_REJECT ? CHECK_REJECT : CHECK_DUNNO;
}

static int check_recipient_rcpt_maps(struct session *s, const char *recipient)
{
    if (s->recipient_rcptmap_checked)
	return CHECK_DUNNO;
    if (s->warn_if_reject == 0)
	s->recipient_rcptmap_checked = 1;
    return check_rcpt_maps(s, s->sender, recipient, NAME_RECIPIENT);
}

static int check_sender_rcpt_maps(struct session *s, const char *sender)
{
    if (s->sender_rcptmap_checked)
	return CHECK_DUNNO;
    if (s->warn_if_reject == 0)
	s->sender_rcptmap_checked = 1;
    return check_rcpt_maps(s, s->recipient, sender, NAME_SENDER);
}

static int h_unlisted_sender(struct session *s, const struct step *st, const struct walk *w)
{
    (void) st, (void) w;
    if (s->sender == NULL || *s->sender == 0)
	return CHECK_DUNNO;
    return check_sender_rcpt_maps(s, s->sender);
}

static int h_unlisted_recipient(struct session *s, const struct step *st,
				const struct walk *w)
{
    (void) st, (void) w;
    if (s->recipient == NULL || *s->recipient == 0)
	return CHECK_DUNNO;
    return check_recipient_rcpt_maps(s, s->recipient);
}

static int h_multi_recipient_bounce(struct session *s, const struct step *st,
				    const struct walk *w)
{
    (void) st;
    if (s->sender != NULL && *s->sender == 0
	&& s->rcpt_count > (strcmp(s->where, "RCPT") != 0))
	return check_reject(s, ERR_POLICY, engine_of(s)->mul_rcpt_code, "5.5.3",
			    "<%s>: %s rejected: Multi-recipient bounce",
			    w->reply_name, w->reply_class);
    return CHECK_DUNNO;
}

/*
 * unverified - reject_unverified_*: pfc has no verify service, so every
 * address is in the state Postfix's first probe leaves it: verification
 * in progress, answered with the defer code.
 */
static int unverified(struct session *s, const char *addr, const char *reply_class,
		      int dcode, int tf_act, const char *alt_reply)
{
    const char *dsn = strcmp(reply_class, NAME_SENDER) == 0 ? "4.1.7" : "4.1.1";
    const char *why = *alt_reply ? alt_reply : "Address verification in progress";

    if (dcode / 100 == 2)
	return CHECK_DUNNO;
    if (s->warn_if_reject == 0 && tf_act == TF_DEFER_IF_PERMIT)
	return defer_if(&s->defer_if_permit, ERR_POLICY, dcode, dsn,
			"<%s>: %s rejected: unverified address: %.250s", addr, reply_class, why);
    return check_reject(s, ERR_POLICY, dcode, dsn,
			"<%s>: %s rejected: unverified address: %.250s", addr, reply_class, why);
}

static int h_unverified_sender(struct session *s, const struct step *st, const struct walk *w)
{
    struct engine *e = engine_of(s);

    (void) st, (void) w;
    if (s->sender == NULL || *s->sender == 0)
	return CHECK_DUNNO;
    return unverified(s, s->sender, NAME_SENDER, e->unv_from_dcode, e->unv_from_tf_act,
		      policy_value(s->policy, "unverified_sender_reject_reason"));
}

static int h_unverified_recipient(struct session *s, const struct step *st,
				  const struct walk *w)
{
    struct engine *e = engine_of(s);

    (void) st, (void) w;
    if (s->recipient == NULL || *s->recipient == 0)
	return CHECK_DUNNO;
    return unverified(s, s->recipient, NAME_RECIPIENT, e->unv_rcpt_dcode, e->unv_rcpt_tf_act,
		      policy_value(s->policy, "unverified_recipient_reject_reason"));
}

/* ------------------------------------------------------------ SASL senders */

/* login_owns - the sender's owners (smtpd_sender_login_maps) include the login */
static int sender_owners(struct session *s, const char *sender, const char **owners,
			 int *status)
{
    struct resolve_reply reply;
    int r;

    resolve_reply_init(&reply);
    resolve_addr(s, s->recipient ? s->recipient : "", sender, &reply);
    if (reply.flags & RESOLVE_FLAG_FAIL) {
	*status = lookup_retry(s, sender);
	r = MAPS_FAIL;
    } else {
	r = maps_addr_find(s, "smtpd_sender_login_maps", NULL, 0, LO_ADDRESS,
			   sb_str(&reply.recipient), owners, NULL);
	if (r == MAPS_FAIL)
	    *status = lookup_retry(s, sender);
    }
    resolve_reply_free(&reply);
    return r;
}

static int auth_sender_mismatch(struct session *s, const char *sender, int allow_unknown)
{
    const char *owners;
    int status = CHECK_DUNNO;

    if (*policy_value(s->policy, "smtpd_sender_login_maps") == 0 || s->sasl_username == NULL)
	return CHECK_DUNNO;
    int r = sender_owners(s, sender, &owners, &status);
    if (r == MAPS_FAIL)
	return status;
    if (r == MAPS_NOTFOUND && allow_unknown)
	return CHECK_DUNNO;
    if (r == MAPS_FOUND) {
	char *copy = xstrdup(owners), *cp = copy, *name;
	int found = 0;
	while (!found && (name = str_tokq(&cp, CHARS_COMMA_SP)) != NULL)
	    found = strcasecmp(s->sasl_username, name) == 0;
	free(copy);
	if (found)
	    return CHECK_DUNNO;
    }
    return check_reject(s, ERR_POLICY, 553, "5.7.1",
			"<%s>: Sender address rejected: not owned by user %s", sender,
			s->sasl_username);
}

static int unauth_sender_mismatch(struct session *s, const char *sender)
{
    const char *owners;
    int status = CHECK_DUNNO;

    if (*policy_value(s->policy, "smtpd_sender_login_maps") == 0 || s->sasl_username != NULL)
	return CHECK_DUNNO;
    int r = sender_owners(s, sender, &owners, &status);
    if (r == MAPS_FAIL)
	return status;
    if (r == MAPS_FOUND)
	return check_reject(s, ERR_POLICY, 553, "5.7.1",
			    "<%s>: Sender address rejected: not logged in", sender);
    return CHECK_DUNNO;
}

/* sasl_sender_check - the three login-mismatch restrictions, as generic_checks() guards them */
static int h_login_mismatch(struct session *s, const struct step *st, const struct walk *w)
{
    (void) w;
    if (!engine_of(s)->sasl_enable) {
	engine_warn(s, "restriction `%s' ignored: no SASL support", restriction_name(st->op));
	return CHECK_DUNNO;
    }
    if (s->sender == NULL || *s->sender == 0)
	return CHECK_DUNNO;
    switch (st->op) {
    case RESTR_REJECT_AUTHENTICATED_SENDER_LOGIN_MISMATCH:
	return auth_sender_mismatch(s, s->sender, 0);
    case RESTR_REJECT_KNOWN_SENDER_LOGIN_MISMATCH:
	return s->sasl_username ? auth_sender_mismatch(s, s->sender, 1)
	    : unauth_sender_mismatch(s, s->sender);
    case RESTR_REJECT_UNAUTHENTICATED_SENDER_LOGIN_MISMATCH:
	return unauth_sender_mismatch(s, s->sender);
    default:			/* the built-in class: authenticated, then unauthenticated */
	{
	    int status = auth_sender_mismatch(s, s->sender, 0);
	    return status != CHECK_DUNNO ? status : unauth_sender_mismatch(s, s->sender);
	}
    }
}

/* ------------------------------------------------------------ policy service */

/* server_of - the policy server of spec, opened at engine start */
static struct policy_server *server_of(struct engine *e, const char *spec)
{
    for (size_t i = 0; i < e->nservers; i++)
	if (strcmp(e->server_specs[i], spec) == 0)
	    return e->servers[i];
    return NULL;
}

static int h_policy_service(struct session *s, const struct step *st, const struct walk *w)
{
    struct engine *e = engine_of(s);
    struct policy_server *server = server_of(e, st->text);
    char rcpt_count[16], size[24];
    const char *where = s->where;

    if (server == NULL)
	return server_error(s);
    int counting = strcasecmp(where, "DATA") == 0 || strcasecmp(where, "BDAT") == 0
	|| strcasecmp(where, "END-OF-MESSAGE") == 0;
    snprintf(rcpt_count, sizeof(rcpt_count), "%d", counting ? s->rcpt_count : 0);
    snprintf(size, sizeof(size), "%ld", 0L);
    const struct policy_attr attrs[] = {
	{"request", "smtpd_access_policy"},
	{"protocol_state", strcmp(where, "BDAT") == 0 ? "DATA" : where},
	{"protocol_name", s->protocol},
	{"client_address", s->addr},
	{"client_name", s->name},
	{"client_port", s->port},
	{"reverse_client_name", s->reverse_name},
	{"server_address", "127.0.0.1"},
	{"server_port", "25"},
	{"helo_name", s->helo_name ? s->helo_name : ""},
	{"sender", s->sender ? s->sender : ""},
	{"recipient", s->recipient ? s->recipient : ""},
	{"recipient_count", rcpt_count},
	{"queue_id", ""},
	{"instance", ""},
	{"size", size},
	{"etrn_domain", s->etrn_name ? s->etrn_name : ""},
	{"stress", ""},
	{"sasl_method", s->sasl_method ? s->sasl_method : ""},
	{"sasl_username", s->sasl_username ? s->sasl_username : ""},
	{"sasl_sender", s->sasl_sender ? s->sasl_sender : ""},
    };
    char *warning = NULL, *action = NULL;
    int answer = policy_server_query(server, attrs, sizeof(attrs) / sizeof(attrs[0]),
				     &action, &warning);
    if (warning != NULL) {
	/* One warning a line, each as smtpd logs it. */
	for (char *line = warning, *nl; *line; line = nl) {
	    if ((nl = strchr(line, '\n')) != NULL)
		*nl++ = 0;
	    else
		nl = line + strlen(line);
	    engine_warn(s, "%s", line);
	}
	free(warning);
    }
    if (answer == POLICY_FATAL)
	return server_error(s);
    int status = table_result(s, st->text, action ? action : "", "policy query",
			      w->reply_name, w->reply_class, w->def_acl);
    free(action);
    return status;
}

/* ------------------------------------------------------------ classes */

static int h_class(struct session *s, const struct step *st, const struct walk *w)
{
    if (s->recursion > MAX_RECURSION) {
	engine_warn(s, "restriction class %s: unreasonable recursion", st->word);
	return server_error(s);
    }
    if (st->program == IMG_NONE) {
	/* A class named at run time (an access table's answer). */
	uint32_t program = policy_program(s->policy, st->word);
	if (program == IMG_NONE)
	    return h_refused(s, st, w);
	return walk_program(s, program, w);
    }
    return walk_program(s, st->program, w);
}

/* ------------------------------------------------------------ dispatch */

/* The handlers, one per restriction id (the engine's only dispatch). */
static handler_fn *const handlers[RESTR_COUNT] = {
    [RESTR_NONE] = h_refused,
    [RESTR_WARN_IF_REJECT] = NULL,	/* handled by the walk */
    [RESTR_PERMIT] = h_permit,
    [RESTR_DEFER] = h_defer,
    [RESTR_REJECT] = h_reject,
    [RESTR_REJECT_UNAUTH_PIPELINING] = h_unauth_pipelining,
    [RESTR_CHECK_POLICY_SERVICE] = h_policy_service,
    [RESTR_DEFER_IF_PERMIT] = h_defer_if_permit,
    [RESTR_DEFER_IF_REJECT] = h_defer_if_reject,
    [RESTR_SLEEP] = h_sleep,
    [RESTR_REJECT_PLAINTEXT_SESSION] = h_plaintext,
    [RESTR_REJECT_UNKNOWN_CLIENT_HOSTNAME] = h_unknown_client,
    [RESTR_REJECT_UNKNOWN_CLIENT] = h_unknown_client,
    [RESTR_REJECT_UNKNOWN_REVERSE_CLIENT_HOSTNAME] = h_unknown_reverse,
    [RESTR_PERMIT_INET_INTERFACES] = h_inet_interfaces,
    [RESTR_PERMIT_MYNETWORKS] = h_mynetworks,
    [RESTR_CHECK_CLIENT_ACCESS] = h_client_access,
    [RESTR_CHECK_REVERSE_CLIENT_HOSTNAME_ACCESS] = h_reverse_client_access,
    [RESTR_REJECT_MAPS_RBL] = h_maps_rbl,
    [RESTR_REJECT_RBL_CLIENT] = h_rbl_client,
    [RESTR_REJECT_RBL] = h_rbl_client,
    [RESTR_PERMIT_DNSWL_CLIENT] = h_dnswl_client,
    [RESTR_REJECT_RHSBL_CLIENT] = h_rhsbl,
    [RESTR_PERMIT_RHSWL_CLIENT] = h_rhswl_client,
    [RESTR_REJECT_RHSBL_REVERSE_CLIENT] = h_rhsbl,
    [RESTR_CHECK_CCERT_ACCESS] = h_ccert_access,
    [RESTR_CHECK_SASL_ACCESS] = h_sasl_access,
    [RESTR_CHECK_CLIENT_NS_ACCESS] = h_server_access,
    [RESTR_CHECK_CLIENT_MX_ACCESS] = h_server_access,
    [RESTR_CHECK_CLIENT_A_ACCESS] = h_server_access,
    [RESTR_CHECK_REVERSE_CLIENT_HOSTNAME_NS_ACCESS] = h_server_access,
    [RESTR_CHECK_REVERSE_CLIENT_HOSTNAME_MX_ACCESS] = h_server_access,
    [RESTR_CHECK_REVERSE_CLIENT_HOSTNAME_A_ACCESS] = h_server_access,
    [RESTR_CHECK_HELO_ACCESS] = h_helo_access,
    [RESTR_REJECT_INVALID_HELO_HOSTNAME] = h_invalid_helo,
    [RESTR_REJECT_INVALID_HOSTNAME] = h_invalid_helo,
    [RESTR_REJECT_UNKNOWN_HELO_HOSTNAME] = h_unknown_helo,
    [RESTR_REJECT_UNKNOWN_HOSTNAME] = h_unknown_helo,
    [RESTR_PERMIT_NAKED_IP_ADDRESS] = h_naked_ip,
    [RESTR_CHECK_HELO_NS_ACCESS] = h_server_access,
    [RESTR_CHECK_HELO_MX_ACCESS] = h_server_access,
    [RESTR_CHECK_HELO_A_ACCESS] = h_server_access,
    [RESTR_REJECT_NON_FQDN_HELO_HOSTNAME] = h_non_fqdn_helo,
    [RESTR_REJECT_NON_FQDN_HOSTNAME] = h_non_fqdn_helo,
    [RESTR_REJECT_RHSBL_HELO] = h_rhsbl,
    [RESTR_CHECK_SENDER_ACCESS] = h_sender_access,
    [RESTR_REJECT_UNKNOWN_ADDRESS] = h_unknown_sender_domain,
    [RESTR_REJECT_UNKNOWN_SENDER_DOMAIN] = h_unknown_sender_domain,
    [RESTR_REJECT_UNVERIFIED_SENDER] = h_unverified_sender,
    [RESTR_REJECT_NON_FQDN_SENDER] = h_non_fqdn_sender,
    [RESTR_REJECT_AUTHENTICATED_SENDER_LOGIN_MISMATCH] = h_login_mismatch,
    [RESTR_REJECT_KNOWN_SENDER_LOGIN_MISMATCH] = h_login_mismatch,
    [RESTR_REJECT_UNAUTHENTICATED_SENDER_LOGIN_MISMATCH] = h_login_mismatch,
    [RESTR_REJECT_SENDER_LOGIN_MISMATCH] = h_login_mismatch,
    [RESTR_CHECK_SENDER_NS_ACCESS] = h_server_access,
    [RESTR_CHECK_SENDER_MX_ACCESS] = h_server_access,
    [RESTR_CHECK_SENDER_A_ACCESS] = h_server_access,
    [RESTR_REJECT_RHSBL_SENDER] = h_rhsbl,
    [RESTR_REJECT_UNLISTED_SENDER] = h_unlisted_sender,
    [RESTR_CHECK_RECIPIENT_ACCESS] = h_recipient_access,
    [RESTR_PERMIT_MX_BACKUP] = h_mx_backup,
    [RESTR_PERMIT_AUTH_DESTINATION] = h_permit_auth_destination,
    [RESTR_REJECT_UNAUTH_DESTINATION] = h_reject_unauth_destination,
    [RESTR_DEFER_UNAUTH_DESTINATION] = h_defer_unauth_destination,
    [RESTR_CHECK_RELAY_DOMAINS] = h_check_relay_domains,
    [RESTR_PERMIT_SASL_AUTHENTICATED] = h_sasl_authenticated,
    [RESTR_PERMIT_TLS_ALL_CLIENTCERTS] = h_tls_clientcerts,
    [RESTR_PERMIT_TLS_CLIENTCERTS] = h_tls_clientcerts,
    [RESTR_REJECT_UNKNOWN_RECIPIENT_DOMAIN] = h_unknown_recipient_domain,
    [RESTR_REJECT_NON_FQDN_RECIPIENT] = h_non_fqdn_recipient,
    [RESTR_CHECK_RECIPIENT_NS_ACCESS] = h_server_access,
    [RESTR_CHECK_RECIPIENT_MX_ACCESS] = h_server_access,
    [RESTR_CHECK_RECIPIENT_A_ACCESS] = h_server_access,
    [RESTR_REJECT_RHSBL_RECIPIENT] = h_rhsbl,
    [RESTR_CHECK_RECIPIENT_MAPS] = h_unlisted_recipient,
    [RESTR_REJECT_UNLISTED_RECIPIENT] = h_unlisted_recipient,
    [RESTR_REJECT_MULTI_RECIPIENT_BOUNCE] = h_multi_recipient_bounce,
    [RESTR_REJECT_UNVERIFIED_RECIPIENT] = h_unverified_recipient,
    [RESTR_CHECK_ETRN_ACCESS] = h_etrn_access,
    [RESTR_CLASS] = h_class,
    [RESTR_CALLER_ACCESS] = NULL,	/* resolved to the caller's access restriction */
};

/* The access restriction a bare table means in each list, by def_acl. */
static handler_fn *access_handler(enum restriction_id def_acl)
{
    return def_acl < RESTR_COUNT ? handlers[def_acl] : NULL;
}

/* ------------------------------------------------------------ the walk */

/* result_name - how the trace calls a handler's answer */
static const char *result_name(const struct session *s, int status, int defer_before)
{
    if (status == CHECK_OK)
	return "permit";
    if (status == CHECK_REJECT)
	return "reject";
    if (s->defer_if_permit.active && !defer_before)
	return "defer_if_permit";
    return "dunno";
}

/*
 * walk_steps - generic_checks(): the elements of one list in order,
 * until one decides. next(ctx, i, &step) gives element i (0 at the end).
 */
static int walk_steps(struct session *s, int (*next)(void *, size_t, struct step *), void *ctx,
		      const struct walk *w)
{
    int status = CHECK_DUNNO;
    int saved_recursion = s->recursion++;
    struct step st;

    for (size_t i = 0; next(ctx, i, &st); i++) {
	if (s->discard != 0)
	    break;
	if (st.op == RESTR_WARN_IF_REJECT) {
	    if (s->warn_if_reject == 0)
		s->warn_if_reject = s->recursion;
	    trace_step(s, &st, "warn_if_reject");
	    continue;
	}
	handler_fn *h = NULL;
	if (st.bad) {
	    h = h_refused;
	} else if (st.implicit || st.op == RESTR_CALLER_ACCESS) {
	    if (w->def_acl == RESTR_NONE) {
		engine_warn(s, "specify one of (check_client_access,"
			    " check_reverse_client_hostname_access, check_helo_access,"
			    " check_sender_access, check_recipient_access, check_etrn_access)"
			    " before %s restriction \"%s\"", w->reply_class,
			    image_str(s->policy->img, s->policy->img->tables[st.table].spec));
		status = server_error(s);
		trace_step(s, &st, "reject");
		break;
	    }
	    h = access_handler(w->def_acl);
	    st.op = w->def_acl;
	} else {
	    h = handlers[st.op];
	}
	int defer_before = s->defer_if_permit.active;
	/*
	 * The configured step is what decided, for the log: a list an
	 * access table answered with runs inside the step that asked it.
	 */
	const struct trace_origin *outer = s->origin;
	struct trace_origin here;
	char num[16];
	if (s->trace != NULL && s->trace->whatsup != NULL && st.source != IMG_NONE) {
	    here = (struct trace_origin) { st.op, step_arg(s, &st, num), st.source, st.line };
	    s->origin = &here;
	}
	status = h != NULL ? h(s, &st, w) : CHECK_DUNNO;
	s->origin = outer;
	trace_step(s, &st, result_name(s, status, defer_before));
	if (s->warn_if_reject >= s->recursion)
	    s->warn_if_reject = 0;
	if (status != CHECK_DUNNO)
	    break;
	if (s->defer_if_permit.active && s->defer_if_reject.active)
	    break;
    }
    s->recursion = saved_recursion;
    if (s->warn_if_reject >= s->recursion)
	s->warn_if_reject = 0;
    return status;
}

/* An image program as steps. */
struct program_walk {
    const struct image *img;
    uint32_t program;
    const struct img_insn *insns;
    uint32_t count;
};

static int program_next(void *ctx, size_t i, struct step *st)
{
    const struct program_walk *pw = ctx;

    if (i >= pw->count)
	return 0;
    const struct img_insn *in = &pw->insns[i];
    const struct restriction_def *def = restriction_def(in->op);
    memset(st, 0, sizeof(*st));
    st->op = in->op;
    st->line = in->line;
    st->source = pw->program;
    st->table = IMG_NONE;
    st->program = IMG_NONE;
    st->implicit = (in->flags & IMG_INSN_IMPLICIT) != 0;
    if (in->op == RESTR_NONE) {
	st->word = image_str(pw->img, in->arg);
	return 1;
    }
    switch (def->arg) {
    case RARG_TABLE:
	st->table = in->arg;
	break;
    case RARG_DOMAIN:
    case RARG_ENDPOINT:
	st->text = image_str(pw->img, in->arg);
	break;
    case RARG_NUMBER:
	st->number = in->arg;
	break;
    case RARG_CLASS:
	st->program = in->arg;
	st->word = image_str(pw->img, pw->img->programs[in->arg].name);
	break;
    default:
	break;
    }
    return 1;
}

static int walk_program(struct session *s, uint32_t program, const struct walk *w)
{
    const struct image *img = s->policy->img;
    const struct img_program *prog = &img->programs[program];
    struct program_walk pw = { img, program, img->insns + prog->insns_first,
	prog->insns_count };

    return walk_steps(s, program_next, &pw, w);
}

/* A list given at run time as steps. */
struct list_walk {
    char **words;
    struct restriction_step *steps;
    size_t count;
};

static int list_next(void *ctx, size_t i, struct step *st)
{
    const struct list_walk *lw = ctx;

    if (i >= lw->count)
	return 0;
    const struct restriction_step *rs = &lw->steps[i];
    memset(st, 0, sizeof(*st));
    st->op = rs->id;
    st->word = lw->words[rs->word];
    st->table = IMG_NONE;
    st->program = IMG_NONE;
    st->source = IMG_NONE;
    st->bad = rs->problem != RP_NONE || rs->implicit;
    const char *arg = rs->arg != RESTRICTION_NO_WORD ? lw->words[rs->arg] : NULL;
    if (!st->bad && rs->id != RESTR_NONE) {
	switch (restriction_def(rs->id)->arg) {
	case RARG_DOMAIN:
	case RARG_ENDPOINT:
	    st->text = arg;
	    break;
	case RARG_NUMBER:
	    st->number = (uint32_t) strtoul(arg, NULL, 10);
	    break;
	case RARG_TABLE:
	    /* a table cannot be named at run time: smtpd refused the value already */
	    st->bad = 1;
	    break;
	default:
	    break;
	}
    }
    if (rs->problem == RP_BAD_ARG && rs->id != RESTR_NONE
	&& restriction_def(rs->id)->arg == RARG_DOMAIN) {
	/* A DNS list without its domain: smtpd warns and goes on. */
	st->bad = 0;
	st->op = RESTR_SLEEP;	/* a no-op step */
	st->number = 0;
    }
    return 1;
}

static int is_runtime_class(void *ctx, const char *word)
{
    const struct engine *e = ctx;

    for (size_t i = 0; i < e->nclasses; i++)
	if (strcmp(e->classes[i], word) == 0)
	    return 1;
    return 0;
}

int run_list(struct session *s, const char *value, const char *reply_name,
	     const char *reply_class, enum restriction_id def_acl)
{
    struct walk w = { reply_name, reply_class, def_acl };
    char *copy = xstrdup(value), *cp = copy, *word;
    char **words = NULL;
    size_t n = 0;

    while ((word = str_tokq(&cp, CHARS_COMMA_SP)) != NULL) {
	words = xrealloc(words, (n + 1) * sizeof(*words));
	words[n++] = word;
    }
    struct restriction_step *steps = xcalloc(n + 1, sizeof(*steps));
    struct list_walk lw = { words, steps, 0 };
    lw.count = restriction_parse(words, n, def_acl, 0, is_runtime_class, engine_of(s), steps);
    int status = walk_steps(s, list_next, &lw, &w);
    free(steps);
    free(words);
    free(copy);
    return status;
}

/* ------------------------------------------------------------ stages */

static void check_reset(struct session *s)
{
    s->recursion = 0;
    s->warn_if_reject = 0;
    s->defer_if_reject.active = 0;
}

static int run_stage(struct session *s, enum engine_list list, const char *reply_name)
{
    struct engine *e = engine_of(s);
    const struct restriction_list_def *def = &restriction_lists[list];
    struct walk w = { reply_name, def->reply_class, def->default_access };

    if (e->programs[list] == IMG_NONE)
	return CHECK_DUNNO;
    if (s->trace && s->trace->stage)
	s->trace->stage(s->trace->ctx, def->param, def->reply_class);
    return walk_program(s, e->programs[list], &w);
}

static const char *stage_reply(struct session *s, int status)
{
    return status == CHECK_REJECT ? sb_str(&s->reply) : NULL;
}

/* force_defer - DEFER_IF_PERMIT settled: a permit becomes the deferral */
static int force_defer(struct session *s, int status)
{
    if (status != CHECK_REJECT && s->defer_if_permit.active)
	return check_reject(s, s->defer_if_permit.error_class, s->defer_if_permit.code,
			    s->defer_if_permit.dsn, "%s", sb_str(&s->defer_if_permit.reason));
    return status;
}

/*
 * stage_name - a stage's name (HELO name, sender, ...) into *field, a
 * copy, for the stage's restrictions to see; returns what it replaces,
 * for stage_name_done() to put back
 */
static char *stage_name(char **field, const char *name)
{
    char *saved = *field;

    *field = xstrdup(name);
    return saved;
}

static void stage_name_done(char **field, char *saved)
{
    free(*field);
    *field = saved;
}

/*
 * earlier_stages - smtpd_delay_reject: the client and HELO stages (and
 * with sender, the MAIL stage), run again at RCPT or ETRN: the first
 * refusal, or NULL
 */
static const char *earlier_stages(struct session *s, int sender)
{
    const char *err;

    if ((err = engine_check_client(s)) != NULL
	|| (err = engine_check_helo(s, s->helo_name)) != NULL
	|| (sender && (err = engine_check_mail(s, s->sender)) != NULL))
	return err;
    return NULL;
}

const char *engine_check_client(struct session *s)
{
    if (s->name == NULL || s->addr == NULL)
	return NULL;
    s->defer_if_permit.active = 0;
    check_reset(s);
    int status = run_stage(s, LIST_CLIENT, s->namaddr);
    s->defer_if_permit_client = s->defer_if_permit.active;
    return stage_reply(s, status);
}

const char *engine_check_helo(struct session *s, const char *helo)
{
    if (helo == NULL)
	return NULL;
    char *saved = stage_name(&s->helo_name, helo);
    s->defer_if_permit.active = s->defer_if_permit_client;
    check_reset(s);
    int status = run_stage(s, LIST_HELO, s->helo_name);
    s->defer_if_permit_helo = s->defer_if_permit.active;
    stage_name_done(&s->helo_name, saved);
    return stage_reply(s, status);
}

const char *engine_check_mail(struct session *s, const char *sender)
{
    struct engine *e = engine_of(s);

    if (sender == NULL)
	return NULL;
    char *saved = stage_name(&s->sender, sender);
    s->defer_if_permit.active = s->defer_if_permit_client | s->defer_if_permit_helo;
    s->sender_rcptmap_checked = 0;
    check_reset(s);
    int status = run_stage(s, LIST_SENDER, s->sender);
    s->defer_if_permit_sender = s->defer_if_permit.active;
    if (e->reject_unlisted_sender && status != CHECK_REJECT && s->sender_rcptmap_checked == 0
	&& s->discard == 0 && *s->sender)
	status = check_sender_rcpt_maps(s, s->sender);
    stage_name_done(&s->sender, saved);
    return stage_reply(s, status);
}

const char *engine_check_rcpt(struct session *s, const char *recipient)
{
    struct engine *e = engine_of(s);
    const char *err;

    if (recipient == NULL)
	return NULL;
    /* RFC 2821 3.6: "postmaster" is accepted, qualified or not. */
    if (strcasecmp(recipient, "postmaster") == 0)
	return NULL;
    char *saved = stage_name(&s->recipient, recipient);
    s->recipient_rcptmap_checked = 0;
    if (e->delay_reject && (err = earlier_stages(s, 1)) != NULL) {
	stage_name_done(&s->recipient, saved);
	return err;
    }
    s->defer_if_permit.active = s->defer_if_permit_sender;
    check_reset(s);
    enum engine_list order[2];
    order[0] = e->relay_before_rcpt ? LIST_RELAY : LIST_RECIPIENT;
    order[1] = e->relay_before_rcpt ? LIST_RECIPIENT : LIST_RELAY;
    int status = CHECK_DUNNO;
    for (int n = 0; n < 2; n++) {
	status = run_stage(s, order[n], s->recipient);
	if (status == CHECK_REJECT)
	    break;
    }
    status = force_defer(s, status);
    if (e->reject_unlisted_recipient && status != CHECK_REJECT
	&& s->recipient_rcptmap_checked == 0 && s->discard == 0)
	status = check_recipient_rcpt_maps(s, s->recipient);
    stage_name_done(&s->recipient, saved);
    return stage_reply(s, status);
}

const char *engine_check_etrn(struct session *s, const char *domain)
{
    struct engine *e = engine_of(s);
    const char *err;

    if (domain == NULL)
	return NULL;
    char *saved = stage_name(&s->etrn_name, domain);
    if (e->delay_reject && (err = earlier_stages(s, 0)) != NULL) {
	stage_name_done(&s->etrn_name, saved);
	return err;
    }
    s->defer_if_permit.active = s->defer_if_permit_client | s->defer_if_permit_helo;
    check_reset(s);
    int status = force_defer(s, run_stage(s, LIST_ETRN, domain));
    stage_name_done(&s->etrn_name, saved);
    return stage_reply(s, status);
}

/* data_stage - DATA and end of data: no recipient named when there are several */
static const char *data_stage(struct session *s, enum engine_list list, const char *name)
{
    char *saved = NULL;

    if (s->rcpt_count > 1) {
	saved = s->recipient;
	s->recipient = NULL;
    }
    s->defer_if_permit.active = 0;
    check_reset(s);
    int status = force_defer(s, run_stage(s, list, name));
    if (s->rcpt_count > 1)
	s->recipient = saved;
    return stage_reply(s, status);
}

const char *engine_check_data(struct session *s)
{
    return data_stage(s, LIST_DATA, "DATA");
}

const char *engine_check_eod(struct session *s)
{
    return data_stage(s, LIST_EOD, "END-OF-MESSAGE");
}

const char *engine_check_size(struct session *s, off_t size)
{
    struct engine *e = engine_of(s);

    check_reset(s);
    if (e->message_size_limit > 0 && size > e->message_size_limit) {
	check_reject(s, ERR_POLICY, 552, "5.3.4", "Message size exceeds fixed limit");
	return sb_str(&s->reply);
    }
    return NULL;
}

int engine_delay_reject(const struct engine *e)
{
    return e->delay_reject;
}

/* ------------------------------------------------------------ start */

/* tempfail_action - a *_tempfail_action value as TF_* */
static int tempfail_action(const struct policy *p, const char *name)
{
    return strcasecmp(policy_value(p, name), "defer") == 0 ? TF_DEFER : TF_DEFER_IF_PERMIT;
}

/* open_servers - every policy server the programs name, as smtpd opens them at start */
static int open_servers(struct engine *e, char **err)
{
    const struct image *img = e->p->img;
    struct policy_server_defaults d = {
	.timeout = policy_time(e->p, "smtpd_policy_service_timeout", 's', 100),
	.max_idle = policy_time(e->p, "smtpd_policy_service_max_idle", 's', 300),
	.max_ttl = policy_time(e->p, "smtpd_policy_service_max_ttl", 's', 1000),
	.retry_delay = policy_time(e->p, "smtpd_policy_service_retry_delay", 's', 1),
	.try_limit = (int) policy_int(e->p, "smtpd_policy_service_try_limit", 2),
	.request_limit = (int) policy_int(e->p, "smtpd_policy_service_request_limit", 0),
	.default_action = policy_value(e->p, "smtpd_policy_service_default_action"),
	.policy_context = policy_value(e->p, "smtpd_policy_service_policy_context"),
	.queue_directory = policy_value(e->p, "queue_directory"),
	.smtputf8 = policy_bool(e->p, "smtputf8_enable"),
    };
    int v4 = 1, v6 = 1;
    char *perr = NULL;

    if (host_protocols(policy_value(e->p, "inet_protocols"), &v4, &v6, &perr) < 0)
	free(perr);		/* the session's own start reports it */
    d.families = v4 && !v6 ? 1 : v6 && !v4 ? 2 : 0;

    for (uint32_t i = 0; i < img->ninsns; i++) {
	if (img->insns[i].op != RESTR_CHECK_POLICY_SERVICE)
	    continue;
	const char *spec = image_str(img, img->insns[i].arg);
	if (server_of(e, spec) != NULL)
	    continue;
	struct policy_server *server = policy_server_open(spec, &d, err);
	if (server == NULL)
	    return -1;
	e->servers = xrealloc(e->servers, (e->nservers + 1) * sizeof(*e->servers));
	e->server_specs = xrealloc(e->server_specs,
				   (e->nservers + 1) * sizeof(*e->server_specs));
	e->servers[e->nservers] = server;
	e->server_specs[e->nservers++] = xstrdup(spec);
    }
    return 0;
}

/* ------------------------------------------------------------ hints */

/* add_hint - table, looked up by the recipient or the client address, once */
static void add_hint(struct engine *e, uint32_t table, int recipient)
{
    if (e->p->img->tables[table].kind != IMG_TABLE_EXACT || e->nhints == ENGINE_HINTS)
	return;
    for (unsigned i = 0; i < e->nhints; i++)
	if (e->hint_tables[i] == table && e->hint_recipient[i] == recipient)
	    return;
    e->hint_tables[e->nhints] = table;
    e->hint_recipient[e->nhints++] = (unsigned char) recipient;
}

/* find_hints - the tables engine_hint_start() loads ahead, from the lists' programs */
static void find_hints(struct engine *e)
{
    const struct image *img = e->p->img;
    uint32_t count;
    const uint32_t *tables;

    for (int list = 0; list < LIST_COUNT; list++) {
	if (e->programs[list] == IMG_NONE)
	    continue;
	const struct img_program *prog = &img->programs[e->programs[list]];
	for (uint32_t i = 0; i < prog->insns_count; i++) {
	    const struct img_insn *in = &img->insns[prog->insns_first + i];
	    if (in->op == RESTR_CHECK_CLIENT_ACCESS)
		add_hint(e, in->arg, 0);
	    else if (in->op == RESTR_CHECK_RECIPIENT_ACCESS)
		add_hint(e, in->arg, 1);
	}
    }
    tables = policy_tables(e->p, "virtual_alias_maps", &count);
    for (uint32_t i = 0; i < count; i++)
	add_hint(e, tables[i], 1);
}

void engine_hint_start(struct engine *e, struct engine_hint *h, const char *addr,
		       const char *recipient)
{
    for (unsigned i = 0; i < e->nhints; i++)
	h->hash[i] = image_prefetch_start(e->p->img, e->hint_tables[i],
					  e->hint_recipient[i] ? recipient : addr, &e->hint_buf);
}

void engine_hint_step(const struct engine *e, const struct engine_hint *h, int stage)
{
    for (unsigned i = 0; i < e->nhints; i++)
	image_prefetch_step(e->p->img, e->hint_tables[i], h->hash[i], stage);
}

struct engine *engine_open(const struct policy *p, struct dns_resolver *dns, char **err)
{
    struct engine *e = xcalloc(1, sizeof(*e));

    e->p = p;
    e->dns = engine_dns_open(p, dns);
    for (int i = 0; i < LIST_COUNT; i++)
	e->programs[i] = policy_program(p, restriction_lists[i].param);
    e->delay_reject = policy_bool(p, "smtpd_delay_reject");
    e->reject_unlisted_sender = policy_bool(p, "smtpd_reject_unlisted_sender");
    e->reject_unlisted_recipient = policy_bool(p, "smtpd_reject_unlisted_recipient");
    e->relay_before_rcpt = policy_bool(p, "smtpd_relay_before_recipient_restrictions");
    e->show_unknown_table = policy_bool(p, "show_user_unknown_table_name");
    e->soft_bounce = policy_bool(p, "soft_bounce");
    e->allow_untrusted_routing = policy_bool(p, "allow_untrusted_routing");
    e->smtputf8 = policy_bool(p, "smtputf8_enable");
    e->sasl_enable = policy_bool(p, "smtpd_sasl_auth_enable");
    e->parent_style = lo_name_in_list(policy_value(p, "parent_domain_matches_subdomains"),
				      "smtpd_access_maps");
#define CODE(field, name, def) e->field = (int) policy_int(p, name, def)
    CODE(map_reject_code, "access_map_reject_code", 554);
    CODE(map_defer_code, "access_map_defer_code", 450);
    CODE(reject_code, "reject_code", 554);
    CODE(defer_code, "defer_code", 450);
    CODE(relay_code, "relay_domains_reject_code", 554);
    CODE(local_rcpt_code, "unknown_local_recipient_reject_code", 550);
    CODE(virt_alias_code, "unknown_virtual_alias_reject_code", 550);
    CODE(virt_mailbox_code, "unknown_virtual_mailbox_reject_code", 550);
    CODE(relay_rcpt_code, "unknown_relay_recipient_reject_code", 550);
    CODE(unk_client_code, "unknown_client_reject_code", 450);
    CODE(unk_name_code, "unknown_hostname_reject_code", 450);
    CODE(unk_addr_code, "unknown_address_reject_code", 450);
    CODE(non_fqdn_code, "non_fqdn_reject_code", 504);
    CODE(bad_name_code, "invalid_hostname_reject_code", 501);
    CODE(mul_rcpt_code, "multi_recipient_bounce_reject_code", 550);
    CODE(plaintext_code, "plaintext_reject_code", 450);
    CODE(maps_rbl_code, "maps_rbl_reject_code", 554);
    CODE(unv_rcpt_dcode, "unverified_recipient_defer_code", 450);
    CODE(unv_rcpt_rcode, "unverified_recipient_reject_code", 450);
    CODE(unv_from_dcode, "unverified_sender_defer_code", 450);
    CODE(unv_from_rcode, "unverified_sender_reject_code", 450);
#undef CODE
    e->unk_name_tf_act = tempfail_action(p, "unknown_helo_hostname_tempfail_action");
    e->unk_addr_tf_act = tempfail_action(p, "unknown_address_tempfail_action");
    e->unv_rcpt_tf_act = tempfail_action(p, "unverified_recipient_tempfail_action");
    e->unv_from_tf_act = tempfail_action(p, "unverified_sender_tempfail_action");
    e->message_size_limit = policy_int(p, "message_size_limit", 10240000);
    e->null_access_key = policy_value(p, "smtpd_null_access_lookup_key");
    e->double_bounce_sender = policy_value(p, "double_bounce_sender");
    e->classes_buf = xstrdup(policy_value(p, "smtpd_restriction_classes"));
    for (char *cp = e->classes_buf, *word; (word = str_tokq(&cp, CHARS_COMMA_SP)) != NULL;) {
	e->classes = xrealloc(e->classes, (e->nclasses + 1) * sizeof(*e->classes));
	e->classes[e->nclasses++] = word;
    }
    find_hints(e);
    if (open_servers(e, err) < 0) {
	engine_close(e);
	return NULL;
    }
    return e;
}

void engine_close(struct engine *e)
{
    if (e == NULL)
	return;
    for (size_t i = 0; i < e->nservers; i++) {
	policy_server_close(e->servers[i]);
	free(e->server_specs[i]);
    }
    free(e->servers);
    free(e->server_specs);
    free(e->classes);
    free(e->classes_buf);
    image_lookup_done(&e->hint_buf);
    free(e);
}

void engine_session(struct engine *e, struct session *s)
{
    session_init(s, e->p);
    s->engine = e;
    s->accounts = unix_memo_new();
}
