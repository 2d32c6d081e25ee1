/*
 * resolve - trivial-rewrite's rewrite.c, resolve.c and transport.c, and
 * smtpd_resolve.c around them, over the image (see resolve.h).
 *
 * The address is handled as Postfix handles it: as RFC 822 tokens
 * (addr822.c), local domains stripped one by one, routing operators
 * (user@a@b, user%b, b!user) turned into user@domain and tried again,
 * until a remote domain is left or none. The class, transport and next
 * hop follow resolve.c's order; transport_maps and relocated_maps come
 * last. Every decision is told to the trace.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr822.h"
#include "hostaddr.h"
#include "maps.h"
#include "matchlist.h"
#include "resolve.h"
#include "trace.h"
#include "utf8.h"
#include "xalloc.h"

/* What a trivial-rewrite process reads from its configuration, once. */
struct rw_settings {
    /* rewrite.c's local context */
    const char *myorigin, *mydomain, *myhostname;
    int swap_bangpath, percent_hack, append_at_myorigin, append_dot_mydomain;
    /* resolve.c */
    int resolve_dequoted, resolve_nulldom, resolve_num_dom, smtputf8, show_unk_rcpt_table;
    int allow_min_user, helpful_warnings;
    const char *empty_addr;
    const char *local_transport, *virt_transport, *relay_transport, *def_transport;
    const char *relayhost, *null_relay_maps_key, *null_def_xport_maps_key;
    int virt_alias_doms, virt_mailbox_doms, relay_domains;	/* the lists are set */
    int snd_def_xport_maps, snd_relay_maps, transport_maps, relocated_maps;
};

/*
 * resolve_addr()'s last answer, as smtpd_resolve.c's cache keeps
 * answers (a ctable of 100): smtpd asks the same question of one
 * recipient two or three times (reject_unauth_destination, the access
 * table, reject_unlisted_recipient), and the image does not change
 * under it. Failures are not kept: the next question asks again. Not
 * used while a trace shows every probe (trace_shows_probes()).
 */
struct resolve_last {
    char *sender, *addr;	/* the question; NULL: nothing kept */
    struct resolve_reply reply;
};

/* A view's memo: its settings as trivial-rewrite, its rewrite service as a client. */
struct resolve_memo {
    struct rw_settings *settings;
    struct policy *rewrite;
    int utf8;			/* the client's smtputf8_enable: how it folds case */
    struct resolve_last last;
};

static void memo_free(void *ptr)
{
    struct resolve_memo *m = ptr;

    free(m->last.sender);
    free(m->last.addr);
    resolve_reply_free(&m->last.reply);
    free(m->settings);
    if (m->rewrite != NULL) {
	policy_close(m->rewrite);
	free(m->rewrite);
    }
    free(m);
}

static struct resolve_memo *memo(const struct policy *view)
{
    return policy_memo(view, MEMO_RESOLVE, sizeof(struct resolve_memo), memo_free);
}

/* settings - view's parameters as trivial-rewrite reads them */
static const struct rw_settings *settings(const struct policy *view)
{
    struct resolve_memo *m = memo(view);

    if (m->settings != NULL)
	return m->settings;
    struct rw_settings *rw = xcalloc(1, sizeof(*rw));
    rw->myorigin = policy_value(view, "myorigin");
    rw->mydomain = policy_value(view, "mydomain");
    rw->myhostname = policy_value(view, "myhostname");
    rw->swap_bangpath = policy_bool(view, "swap_bangpath");
    rw->percent_hack = policy_bool(view, "allow_percent_hack");
    rw->append_at_myorigin = policy_bool(view, "append_at_myorigin");
    rw->append_dot_mydomain = policy_bool(view, "append_dot_mydomain");
    rw->resolve_dequoted = policy_bool(view, "resolve_dequoted_address");
    rw->resolve_nulldom = policy_bool(view, "resolve_null_domain");
    rw->resolve_num_dom = policy_bool(view, "resolve_numeric_domain");
    rw->smtputf8 = policy_bool(view, "smtputf8_enable");
    rw->show_unk_rcpt_table = policy_bool(view, "show_user_unknown_table_name");
    rw->allow_min_user = policy_bool(view, "allow_min_user");
    rw->helpful_warnings = policy_bool(view, "helpful_warnings");
    rw->empty_addr = policy_value(view, "empty_address_recipient");
    rw->local_transport = policy_value(view, "local_transport");
    rw->virt_transport = policy_value(view, "virtual_transport");
    rw->relay_transport = policy_value(view, "relay_transport");
    rw->def_transport = policy_value(view, "default_transport");
    rw->relayhost = policy_value(view, "relayhost");
    rw->null_relay_maps_key = policy_value(view, "empty_address_relayhost_maps_lookup_key");
    rw->null_def_xport_maps_key =
	policy_value(view, "empty_address_default_transport_maps_lookup_key");
    rw->virt_alias_doms = *policy_value(view, "virtual_alias_domains") != 0;
    rw->virt_mailbox_doms = *policy_value(view, "virtual_mailbox_domains") != 0;
    rw->relay_domains = *policy_value(view, "relay_domains") != 0;
    rw->snd_def_xport_maps = *policy_value(view, "sender_dependent_default_transport_maps") != 0;
    rw->snd_relay_maps = *policy_value(view, "sender_dependent_relayhost_maps") != 0;
    rw->transport_maps = *policy_value(view, "transport_maps") != 0;
    rw->relocated_maps = *policy_value(view, "relocated_maps") != 0;
    memo(view)->settings = rw;
    return rw;
}

const struct policy *resolve_rewrite_view(const struct policy *client)
{
    struct resolve_memo *m = memo(client);

    if (m->rewrite == NULL) {
	/* A private unix service: master.cf names it NAME with type unix. */
	char *service = xconcat(policy_value(client, "rewrite_service_name"), "/unix",
				(char *) NULL);
	char *err = NULL;
	m->utf8 = policy_bool(client, "smtputf8_enable");
	m->rewrite = xcalloc(1, sizeof(*m->rewrite));
	if (policy_open(m->rewrite, client->img, service, &err) < 0) {
	    free(err);
	    policy_open_main(m->rewrite, client->img);
	}
	free(service);
    }
    return m->rewrite;
}

const char *resolve_class_name(unsigned flags)
{
    switch (flags & RESOLVE_CLASS_MASK) {
    case RESOLVE_CLASS_LOCAL:
	return "local";
    case RESOLVE_CLASS_ALIAS:
	return "alias";
    case RESOLVE_CLASS_VIRTUAL:
	return "virtual";
    case RESOLVE_CLASS_RELAY:
	return "relay";
    case RESOLVE_CLASS_DEFAULT:
	return "default";
    }
    return "none";
}

void resolve_reply_init(struct resolve_reply *r)
{
    memset(r, 0, sizeof(*r));
}

void resolve_reply_free(struct resolve_reply *r)
{
    sb_free(&r->transport);
    sb_free(&r->nexthop);
    sb_free(&r->recipient);
    memset(r, 0, sizeof(*r));
}

/* ------------------------------------------------------------- rewrite */

#define T(i)	(a->tok[i])

/* append_scan - the tokens of text at the end of group tree (if any) */
static void append_scan(struct a822 *a, int32_t tree, const char *text)
{
    int32_t list = a822_scan(a, text, NULL);

    if (list != A822_NONE)
	a822_sub_append(a, tree, list);
}

/* drop_tail - tok822_sub_keep_before(tree, tree->tail) */
static void drop_tail(struct a822 *a, int32_t tree)
{
    a822_sub_keep_before(a, tree, T(tree).tail);
}

/* rewrite_tree - rewrite.c's rewrite_tree() in the local context */
static void rewrite_tree(struct a822 *a, const struct rw_settings *rw, int32_t tree)
{
    int32_t colon, domain, bang, local;

    if (T(tree).head == A822_NONE)
	return;			/* Postfix panics: "empty tree" */
    /* An empty address stays empty; a lone @ becomes one. */
    if (T(tree).head == T(tree).tail && T(T(tree).tail).type == A822_QSTRING
	&& *a822_str(a, T(tree).tail) == 0)
	return;
    if (T(tree).head == T(tree).tail && T(T(tree).tail).type == '@') {
	drop_tail(a, tree);
	a822_sub_append(a, tree, a822_alloc(a, A822_QSTRING, ""));
	return;
    }
    /* A source route goes: @a,@b:user@c is user@c. */
    if (T(T(tree).head).type == '@'
	&& (colon = a822_find_type(a, T(tree).head, ':')) != A822_NONE
	&& colon != T(tree).tail)
	a822_sub_keep_after(a, tree, colon);

    /* Forms without @. */
    if (a822_rfind_type(a, T(tree).tail, '@') == A822_NONE) {
	if (rw->swap_bangpath && (bang = a822_find_type(a, T(tree).head, '!')) != A822_NONE) {
	    /* site!user is user@site */
	    a822_sub_keep_before(a, tree, bang);
	    local = a822_cut_after(a, bang);
	    a822_sub_prepend(a, tree, a822_alloc(a, '@', NULL));
	    if (local != A822_NONE)
		a822_sub_prepend(a, tree, local);
	} else if (rw->percent_hack
		   && (domain = a822_rfind_type(a, T(tree).tail, '%')) != A822_NONE) {
	    T(domain).type = '@';
	} else if (rw->append_at_myorigin && *rw->myorigin) {
	    a822_sub_append(a, tree, a822_alloc(a, '@', NULL));
	    append_scan(a, tree, rw->myorigin);
	}
    }
    /* user@host is user@host.$mydomain, unless it ends in @ or has a dot or literal. */
    if (rw->append_dot_mydomain && *rw->mydomain
	&& (domain = a822_rfind_type(a, T(tree).tail, '@')) != A822_NONE
	&& domain != T(tree).tail
	&& a822_find_type(a, domain, A822_DOMLIT) == A822_NONE
	&& a822_find_type(a, domain, '.') == A822_NONE) {
	a822_sub_append(a, tree, a822_alloc(a, '.', NULL));
	append_scan(a, tree, rw->mydomain);
    }
    /* A trailing dot goes, but not after another dot or an @. */
    int32_t tail = T(tree).tail;
    if (tail != A822_NONE && T(tail).type == '.' && T(tail).prev != A822_NONE
	&& T(T(tail).prev).type != '.' && T(T(tail).prev).type != '@')
	drop_tail(a, tree);
}

/*
 * plain_address - is addr "local@domain" with a local part of letters,
 * digits, '-', '_', '+' and '=' in dot-separated words, and a domain of
 * at least two dot-separated labels of letters, digits and '-'? Such an
 * address is its own quoted, unquoted and rewritten form (no operator
 * but '.' and one '@', the domain already has a dot), and resolve_in()
 * keeps it as it is: most addresses, spared the token machinery.
 */
static int plain_address(const char *addr, const char **at)
{
    const unsigned char *cp = (const unsigned char *) addr;
    int dots = 0;

    /* The local part: words joined by single dots. */
    for (;;) {
	const unsigned char *word = cp;
	while ((*cp >= 'a' && *cp <= 'z') || (*cp >= 'A' && *cp <= 'Z')
	       || (*cp >= '0' && *cp <= '9') || *cp == '-' || *cp == '_' || *cp == '+'
	       || *cp == '=')
	    cp++;
	if (cp == word)
	    return 0;
	if (*cp != '.')
	    break;
	cp++;
    }
    if (*cp != '@')
	return 0;
    *at = (const char *) cp++;
    /* The domain: labels joined by single dots, at least two of them. */
    for (;;) {
	const unsigned char *label = cp;
	while ((*cp >= 'a' && *cp <= 'z') || (*cp >= 'A' && *cp <= 'Z')
	       || (*cp >= '0' && *cp <= '9') || *cp == '-')
	    cp++;
	if (cp == label)
	    return 0;
	if (*cp != '.')
	    break;
	cp++;
	dots++;
    }
    return *cp == 0 && dots > 0;
}

/* rewrite_external - rewrite_proto(): an external-form address rewritten */
static void rewrite_external(const struct rw_settings *rw, const char *addr, struct strbuf *out)
{
    struct a822 a;
    const char *at;

    sb_reset(out);
    if (*addr == 0)
	return;
    if (plain_address(addr, &at)) {
	sb_adds(out, addr);
	return;
    }
    a822_init(&a);
    int32_t tree = a822_scan_addr(&a, addr);
    rewrite_tree(&a, rw, tree);
    a822_externalize(&a, out, tree);
    a822_free(&a);
}

void resolve_rewrite_in(struct session *s, const struct policy *rw, const char *addr,
			int external, struct strbuf *out)
{
    const struct rw_settings *set = settings(rw);
    const char *at;

    if (external || plain_address(addr, &at)) {
	/* A plain address needs no quoting: its internal form is its external form. */
	rewrite_external(set, addr, out);
    } else {
	/* rewrite_clnt_internal(): quoted, rewritten, unquoted. */
	struct strbuf src = STRBUF_INIT, dst = STRBUF_INIT;
	a822_quote_local(&src, addr, A822_QUOTE_8BITCLEAN);
	rewrite_external(set, sb_str(&src), &dst);
	sb_reset(out);
	a822_unquote_local(out, sb_str(&dst));
	sb_free(&src);
	sb_free(&dst);
    }
    if (strcmp(addr, sb_str(out)) != 0)
	maps_note(s, "rewrite %s: %s", addr, sb_str(out));
}

void resolve_rewrite(struct session *s, const char *addr, struct strbuf *out)
{
    resolve_rewrite_in(s, resolve_rewrite_view(s->policy), addr, 0, out);
}

/* ------------------------------------------------------------- resolve */

/* local_domain - RESOLVE_LOCAL(): the tokens from t on, as a domain */
static int local_domain(struct session *s, const struct policy *rw, struct a822 *a, int32_t t,
			struct strbuf *buf)
{
    sb_reset(buf);
    a822_internalize(a, buf, t);
    return match_local_domain(s, rw, sb_str(buf));
}

/*
 * update_entry - transport.c's update_entry() of a transport table
 * answer: "channel:nexthop", either part empty meaning "as it was".
 */
static void update_entry(const char *value, const char *rcpt_domain, struct resolve_reply *r)
{
    const char *colon = strchr(value, ':');
    size_t chan_len = colon ? (size_t) (colon - value) : strlen(value);
    const char *host = colon ? colon + 1 : "";

    if (chan_len == 0) {
	if (*host)
	    sb_set(&r->nexthop, host);
	return;
    }
    sb_reset(&r->transport);
    sb_addn(&r->transport, value, chan_len);
    if (*host)
	sb_set(&r->nexthop, host);
    else if (strcmp(sb_str(&r->transport), "error") != 0
	     && strcmp(sb_str(&r->transport), "retry") != 0)
	sb_set(&r->nexthop, rcpt_domain);
    else
	sb_set(&r->nexthop, "Address is undeliverable");
}

/*
 * nag - helpful_warnings: "do not list domain X in BOTH first and param"
 * when the list param (set: it has a value) holds domain too.
 */
static void nag(struct session *s, const struct policy *rw, int set, const char *param,
		enum match_kind kind, const char *domain, const char *first)
{
    if (set && match_list_in(s, rw, param, kind, domain, NULL) == MATCH_YES)
	maps_note(s, "do not list domain %s in BOTH %s and %s", domain, first, param);
}

/* sender_lookup - mail_addr_find() of the sender in one of the sender-dependent maps */
static int sender_lookup(struct session *s, const struct policy *rw, const char *param,
			 const char *sender, const char *null_key, const char **value)
{
    const char *key = *sender ? sender : null_key;
    int status = maps_addr_find_in(s, rw, param, LO_ADDRESS, MAPS_QUERY_EXTERNAL_FIRST, key,
				   value, NULL);

    if (status == MAPS_FAIL)
	maps_note(s, "%s lookup failure", param);
    return status;
}

/*
 * resolve_in - resolve.c's resolve_addr() in view rw: sender and addr
 * in internal form, as trivial-rewrite receives them.
 */
static void resolve_in(struct session *s, const struct policy *rw, const char *sender,
		       const char *addr, struct resolve_reply *r)
{
    const struct rw_settings *set = settings(rw);
    struct strbuf buf = STRBUF_INIT, junk = STRBUF_INIT;
    struct a822 a_store, *a = &a_store;
    int32_t tree, domain = A822_NONE, saved_domain = A822_NONE;
    const char *rcpt_domain, *blame = NULL, *value;
    size_t loop_max = strlen(addr) + 100;
    int rc, remote;

    r->flags = 0;
    sb_set(&r->transport, "CHANNEL NOT UPDATED");
    sb_set(&r->nexthop, "NEXTHOP NOT UPDATED");
    sb_set(&r->recipient, "NEXTRCPT NOT UPDATED");
    a822_init(a);

    /*
     * A plain address comes out of the loop below as it went in, its
     * domain looked at once: stripped and put back when local, kept when
     * remote.
     */
    const char *plain_at;
    if (plain_address(addr, &plain_at)) {
	if ((rc = match_local_domain(s, rw, plain_at + 1)) < 0) {
	    r->flags |= RESOLVE_FLAG_FAIL;
	    goto done;
	}
	remote = rc == 0;
	sb_set(&r->recipient, addr);
	goto resolved;
    }

    /* The quoted form, then local-part routing looked at unquoted where needed. */
    a822_quote_local(&buf, addr, A822_QUOTE_8BITCLEAN);
    tree = a822_scan_addr(a, sb_str(&buf));

    for (size_t loop = 0;; loop++) {
	if (loop > loop_max) {
	    maps_note(s, "resolve_addr: <%s>: giving up after %zu iterations", addr, loop);
	    r->flags |= RESOLVE_FLAG_FAIL;
	    goto done;
	}
	int32_t tail = T(tree).tail;
	/* A trailing dot after the domain goes, not dot-dot or at-dot. */
	if (tail != A822_NONE && T(tail).type == '.'
	    && a822_rfind_type(a, tail, '@') != A822_NONE
	    && T(T(tail).prev).type != '.' && T(T(tail).prev).type != '@')
	    drop_tail(a, tree);
	/* A trailing @ goes (resolve_null_domain). */
	if (set->resolve_nulldom && T(tree).tail != A822_NONE && T(T(tree).tail).type == '@')
	    drop_tail(a, tree);

	/* Strip and keep @domain when it is local; stop at a remote one. */
	if ((domain = a822_rfind_type(a, T(tree).tail, '@')) != A822_NONE) {
	    if (T(domain).next != A822_NONE
		&& (rc = local_domain(s, rw, a, T(domain).next, &junk)) <= 0) {
		if (rc < 0) {
		    r->flags |= RESOLVE_FLAG_FAIL;
		    goto done;
		}
		break;
	    }
	    a822_sub_keep_before(a, tree, domain);
	    saved_domain = domain;
	    domain = A822_NONE;
	}

	/* foo%bar, site!user, user@domain left over: rewrite and try again. */
	if (a822_rfind_type(a, T(tree).tail, '@') != A822_NONE
	    || (set->swap_bangpath && a822_rfind_type(a, T(tree).tail, '!') != A822_NONE)
	    || (set->percent_hack && a822_rfind_type(a, T(tree).tail, '%') != A822_NONE)) {
	    rewrite_tree(a, set, tree);
	    continue;
	}

	/* A quoted local part with routing operators inside is opened up. */
	int32_t head = T(tree).head;
	char *local, *oper = NULL;
	if (set->resolve_dequoted && head != A822_NONE && head == T(tree).tail
	    && T(head).type == A822_QSTRING
	    && ((oper = strrchr(local = a822_str(a, head), '@')) != NULL
		|| (set->percent_hack && (oper = strrchr(local, '%')) != NULL)
		|| (set->swap_bangpath && (oper = strrchr(local, '!')) != NULL))) {
	    if (*oper == '%')
		*oper = '@';
	    sb_reset(&buf);
	    a822_internalize(a, &buf, head);
	    if (*oper == '@') {
		sb_set(&junk, sb_str(&buf));
		sb_reset(&buf);
		a822_quote_local(&buf, sb_str(&junk), A822_QUOTE_8BITCLEAN);
	    }
	    int32_t new_tail;
	    T(tree).head = a822_scan(a, sb_str(&buf), &new_tail);
	    T(tree).tail = new_tail;
	    if (T(tree).head != A822_NONE)
		rewrite_tree(a, set, tree);
	    continue;
	}

	/* An empty local part is the local MAILER-DAEMON. */
	if (head != A822_NONE && head == T(tree).tail && T(head).type == A822_QSTRING
	    && *a822_str(a, head) == 0)
	    T(tree).head = A822_NONE;
	if (T(tree).head == A822_NONE) {
	    int32_t new_tail;
	    T(tree).head = a822_scan(a, set->empty_addr, &new_tail);
	    T(tree).tail = new_tail;
	    if (T(tree).head == A822_NONE) {
		r->flags |= RESOLVE_FLAG_FAIL;	/* Postfix loops to its limit */
		goto done;
	    }
	    continue;
	}
	/* No domain at all: @$myhostname, and once more. */
	if (saved_domain == A822_NONE) {
	    a822_sub_append(a, tree, a822_alloc(a, '@', NULL));
	    append_scan(a, tree, set->myhostname);
	    continue;
	}
	domain = A822_NONE;
	break;
    }

    /* user@domain: the local domain put back, or @$myhostname. */
    if (domain == A822_NONE) {
	if (saved_domain != A822_NONE) {
	    a822_sub_append(a, tree, saved_domain);
	} else {
	    a822_sub_append(a, tree, a822_alloc(a, '@', NULL));
	    append_scan(a, tree, set->myhostname);
	}
    }
    sb_reset(&r->recipient);
    a822_internalize(a, &r->recipient, tree);
    remote = domain != A822_NONE;

  resolved:;
    const char *at = strrchr(sb_str(&r->recipient), '@');
    if (at == NULL) {
	r->flags |= RESOLVE_FLAG_FAIL;	/* Postfix panics: no @ in address */
	goto done;
    }
    rcpt_domain = at + 1;
    if (*rcpt_domain == '[') {
	if (!valid_mailhost_literal(rcpt_domain, 0))
	    r->flags |= RESOLVE_FLAG_ERROR;
    } else if (set->smtputf8 && !utf8_valid(sb_str(&r->recipient), r->recipient.len)) {
	r->flags |= RESOLVE_FLAG_ERROR;
    } else if (!valid_utf8_hostname(set->smtputf8, rcpt_domain, 0)) {
	if (set->resolve_num_dom && valid_hostaddr(rcpt_domain, 0)) {
	    /* user@1.2.3.4 is user@[1.2.3.4], local if it is ours. */
	    size_t pos = (size_t) (rcpt_domain - r->recipient.s);
	    sb_set(&buf, rcpt_domain);
	    sb_truncate(&r->recipient, pos);
	    sb_addch(&r->recipient, '[');
	    sb_adds(&r->recipient, sb_str(&buf));
	    sb_addch(&r->recipient, ']');
	    rcpt_domain = r->recipient.s + pos;
	    if ((rc = match_local_domain(s, rw, rcpt_domain)) > 0) {
		remote = 0;
	    } else if (rc < 0) {
		r->flags |= RESOLVE_FLAG_FAIL;
		goto done;
	    }
	} else {
	    r->flags |= RESOLVE_FLAG_ERROR;
	}
    }
    if (r->flags & RESOLVE_FLAG_ERROR) {
	maps_note(s, "resolve %s: malformed address %s", addr, sb_str(&r->recipient));
	r->flags |= RESOLVE_CLASS_DEFAULT;
	goto done;
    }

    /* Routing operators in the local part, whatever this host makes of them. */
    const char *rcpt = sb_str(&r->recipient);
    if (strcmp(rcpt + strcspn(rcpt, "@!%") + 1, rcpt_domain) != 0)
	r->flags |= RESOLVE_FLAG_ROUTED;

    if (remote) {
	int alias = set->virt_alias_doms
	    ? match_list_in(s, rw, "virtual_alias_domains", MATCH_KIND_STRING, rcpt_domain, NULL)
	    : MATCH_NO;
	int mailbox = MATCH_NO, relay = MATCH_NO;
	if (alias == MATCH_YES) {
	    if (set->helpful_warnings) {
		nag(s, rw, set->virt_mailbox_doms, "virtual_mailbox_domains", MATCH_KIND_STRING,
		    rcpt_domain, "virtual_alias_domains");
		nag(s, rw, set->relay_domains, "relay_domains", MATCH_KIND_DOMAIN, rcpt_domain,
		    "virtual_alias_domains");
	    }
	    sb_set(&r->transport, "error");
	    sb_set(&r->nexthop, set->show_unk_rcpt_table
		   ? "5.1.1 User unknown in virtual alias table" : "5.1.1 User unknown");
	    r->flags |= RESOLVE_CLASS_ALIAS;
	} else if (alias == MATCH_FAIL) {
	    maps_note(s, "virtual_alias_domains lookup failure");
	    r->flags |= RESOLVE_FLAG_FAIL;
	    goto done;
	} else if (set->virt_mailbox_doms
		   && (mailbox = match_list_in(s, rw, "virtual_mailbox_domains",
					       MATCH_KIND_STRING, rcpt_domain,
					       NULL)) == MATCH_YES) {
	    if (set->helpful_warnings)
		nag(s, rw, set->relay_domains, "relay_domains", MATCH_KIND_DOMAIN, rcpt_domain,
		    "virtual_mailbox_domains");
	    sb_set(&r->transport, set->virt_transport);
	    sb_set(&r->nexthop, rcpt_domain);
	    blame = "virtual_transport";
	    r->flags |= RESOLVE_CLASS_VIRTUAL;
	} else if (mailbox == MATCH_FAIL) {
	    maps_note(s, "virtual_mailbox_domains lookup failure");
	    r->flags |= RESOLVE_FLAG_FAIL;
	    goto done;
	} else {
	    if (set->relay_domains
		&& (relay = match_list_in(s, rw, "relay_domains", MATCH_KIND_DOMAIN,
					  rcpt_domain, NULL)) == MATCH_YES) {
		sb_set(&r->transport, set->relay_transport);
		blame = "relay_transport";
		r->flags |= RESOLVE_CLASS_RELAY;
	    } else if (relay == MATCH_FAIL) {
		maps_note(s, "relay_domains lookup failure");
		r->flags |= RESOLVE_FLAG_FAIL;
		goto done;
	    } else {
		/* Elsewhere: the sender may pick the transport. */
		int status = set->snd_def_xport_maps
		    ? sender_lookup(s, rw, "sender_dependent_default_transport_maps", sender,
				    set->null_def_xport_maps_key, &value)
		    : MAPS_NOTFOUND;
		if (status == MAPS_FOUND) {
		    sb_set(&r->transport, strcasecmp(value, "DUNNO") == 0 ? set->def_transport
			   : value);
		    blame = "sender_dependent_default_transport_maps";
		} else if (status == MAPS_FAIL) {
		    r->flags |= RESOLVE_FLAG_FAIL;
		    goto done;
		} else {
		    sb_set(&r->transport, set->def_transport);
		    blame = "default_transport";
		}
		r->flags |= RESOLVE_CLASS_DEFAULT;
	    }
	    /* Off-host: the sender's relayhost, relayhost, or the domain. */
	    int status = set->snd_relay_maps
		? sender_lookup(s, rw, "sender_dependent_relayhost_maps", sender,
				set->null_relay_maps_key, &value)
		: MAPS_NOTFOUND;
	    if (status == MAPS_FAIL) {
		r->flags |= RESOLVE_FLAG_FAIL;
		goto done;
	    }
	    if (status == MAPS_FOUND && strcasecmp(value, "DUNNO") != 0)
		sb_set(&r->nexthop, value);
	    else if (*set->relayhost)
		sb_set(&r->nexthop, set->relayhost);
	    else
		sb_set(&r->nexthop, rcpt_domain);
	}
    } else {
	if (set->helpful_warnings) {
	    nag(s, rw, set->virt_alias_doms, "virtual_alias_domains", MATCH_KIND_STRING,
		rcpt_domain, "mydestination");
	    nag(s, rw, set->virt_mailbox_doms, "virtual_mailbox_domains", MATCH_KIND_STRING,
		rcpt_domain, "mydestination");
	}
	sb_set(&r->transport, set->local_transport);
	sb_set(&r->nexthop, rcpt_domain);
	blame = "local_transport";
	r->flags |= RESOLVE_CLASS_LOCAL;
    }

    /* transport:nexthop in main.cf: the next hop given there wins. */
    char *colon = strchr(r->transport.s, ':');
    if (colon != NULL) {
	if (colon[1] != 0)
	    sb_set(&r->nexthop, colon + 1);
	sb_truncate(&r->transport, (size_t) (colon - r->transport.s));
    }
    if (r->transport.len == 0) {
	maps_note(s, "parameter %s: null transport is not allowed", blame);
	r->flags |= RESOLVE_FLAG_FAIL;
	goto done;
    }
    maps_note(s, "resolve %s: %s class: %s:%s", sb_str(&r->recipient),
	      resolve_class_name(r->flags), sb_str(&r->transport), sb_str(&r->nexthop));

    /* transport_maps may change either part; never the virtual alias "User unknown". */
    if (set->transport_maps && !(r->flags & RESOLVE_CLASS_ALIAS)) {
	sb_set(&buf, rcpt_domain);	/* the recipient is not changed below */
	int status = maps_addr_find_in(s, rw, "transport_maps", LO_TRANSPORT,
				       MAPS_QUERY_EXTERNAL_FIRST, sb_str(&r->recipient),
				       &value, NULL);
	if (status == MAPS_FOUND) {
	    update_entry(value, sb_str(&buf), r);
	    maps_note(s, "transport_maps: %s:%s", sb_str(&r->transport), sb_str(&r->nexthop));
	} else if (status == MAPS_FAIL) {
	    maps_note(s, "transport_maps lookup failure");
	    r->flags |= RESOLVE_FLAG_FAIL;
	    goto done;
	}
    }

    /* Recipients that moved bounce, whatever their class. */
    if (set->relocated_maps) {
	int status = maps_addr_find_in(s, rw, "relocated_maps", LO_ADDRESS,
				       MAPS_QUERY_EXTERNAL_FIRST, sb_str(&r->recipient),
				       &value, NULL);
	if (status == MAPS_FOUND) {
	    sb_set(&r->transport, "error");
	    sb_reset(&r->nexthop);
	    sb_printf(&r->nexthop, "5.1.6 User has moved to %s", value);
	} else if (status == MAPS_FAIL) {
	    maps_note(s, "relocated_maps lookup failure");
	    r->flags |= RESOLVE_FLAG_FAIL;
	    goto done;
	}
    }

    /* Addresses that start with '-' could pass for command options. */
    if (!set->allow_min_user && sb_str(&r->recipient)[0] == '-')
	r->flags |= RESOLVE_FLAG_ERROR;

  done:
    sb_free(&buf);
    sb_free(&junk);
    a822_free(a);
}

void resolve_query(struct session *s, const char *sender, const char *addr,
		   struct resolve_reply *reply)
{
    resolve_in(s, resolve_rewrite_view(s->policy), sender, addr, reply);
}

/* reply_copy - dst (initialized) made the same as src */
static void reply_copy(struct resolve_reply *dst, const struct resolve_reply *src)
{
    sb_set(&dst->transport, sb_str(&src->transport));
    sb_set(&dst->nexthop, sb_str(&src->nexthop));
    sb_set(&dst->recipient, sb_str(&src->recipient));
    dst->flags = src->flags;
}

void resolve_addr(struct session *s, const char *sender, const char *addr,
		  struct resolve_reply *reply)
{
    const struct policy *rw = resolve_rewrite_view(s->policy);
    struct resolve_last *last = &memo(s->policy)->last;
    struct strbuf rsender = STRBUF_INIT, query = STRBUF_INIT;

    /* The last answer again, unless a trace shows every probe. */
    if (!trace_shows_probes(s->trace) && last->addr != NULL && strcmp(last->addr, addr) == 0
	&& strcmp(last->sender, sender ? sender : "") == 0) {
	reply_copy(reply, &last->reply);
	return;
    }
    /* smtpd_resolve_addr(): both rewritten in the local context first. */
    resolve_rewrite_in(s, rw, sender ? sender : "", 0, &rsender);
    resolve_rewrite_in(s, rw, addr, 0, &query);
    resolve_in(s, rw, sb_str(&rsender), sb_str(&query), reply);
    /* ... and the recipient case-folded, as smtpd keeps it. */
    if (!(reply->flags & RESOLVE_FLAG_FAIL)) {
	sb_set(&query, sb_str(&reply->recipient));
	sb_reset(&reply->recipient);
	match_casefold(&reply->recipient, sb_str(&query), memo(s->policy)->utf8);
    }
    maps_note(s, "resolve <%s>: %s %s:%s <%s>%s%s", addr, resolve_class_name(reply->flags),
	      sb_str(&reply->transport), sb_str(&reply->nexthop), sb_str(&reply->recipient),
	      reply->flags & RESOLVE_FLAG_ERROR ? " (malformed)" : "",
	      reply->flags & RESOLVE_FLAG_FAIL ? " (lookup failed: try later)" : "");
    if (!trace_shows_probes(s->trace) && !(reply->flags & RESOLVE_FLAG_FAIL)) {
	session_set(&last->sender, sender ? sender : "");
	session_set(&last->addr, addr);
	reply_copy(&last->reply, reply);
    }
    sb_free(&rsender);
    sb_free(&query);
}
