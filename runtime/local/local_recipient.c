/*
 * local_recipient - the inner nodes of local(8)'s delivery graph that
 * decide where a recipient goes: Delivered-To: loop detection, the
 * address split into user and extension, aliases before .forward before
 * the mailbox, a recipient that resolves elsewhere forwarded, unknown
 * users to luser_relay or back to the sender; and the owner- alias that
 * takes a bounce in the sender's place (bounce_workaround()).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "addr822.h"
#include "diag.h"
#include "expand.h"
#include "local_int.h"
#include "lookup_order.h"
#include "maps.h"
#include "matchlist.h"
#include "resolve.h"
#include "xalloc.h"

#define YES	1
#define NO	0

/* ------------------------------------------------------------ expansion */

struct expand_ctx {
    const struct local_agent *a;
    const struct attr *at;
    const struct usr *usr;
    const char *filter;
    int status;
    char delim[2];
    struct strbuf value;
};

/* The names local(8) knows in forward_path, luser_relay, command_execution_directory. */
static const char *expand_lookup(const char *name, int mode, void *ptr)
{
    struct expand_ctx *x = ptr;
    const char *value;

    if (strcmp(name, "user") == 0) {
	value = x->at->user;
    } else if (strcmp(name, "home") == 0) {
	value = x->usr->home;
    } else if (strcmp(name, "shell") == 0) {
	value = x->usr->shell;
    } else if (strcmp(name, "domain") == 0) {
	value = x->at->domain;
    } else if (strcmp(name, "local") == 0 || strcmp(name, "mailbox") == 0) {
	value = x->at->local;
    } else if (strcmp(name, "recipient") == 0) {
	value = x->at->rcpt.address;
    } else if (strcmp(name, "extension") == 0) {
	if (mode == EXPAND_MODE_USE)
	    x->status |= LOCAL_EXP_EXTENSION_MATCHED;
	value = x->at->extension;
    } else if (strcmp(name, "recipient_delimiter") == 0) {
	/* The delimiter this address has, else the first one configured. */
	x->delim[0] = x->at->local[strlen(x->at->user)];
	if (x->delim[0] == 0)
	    x->delim[0] = x->a->rcpt_delim[0];
	x->delim[1] = 0;
	value = x->delim[0] ? x->delim : NULL;
    } else {
	value = NULL;
    }
    /* Characters the filter does not list become '_' (not in the names). */
    if (value != NULL && x->filter != NULL) {
	sb_reset(&x->value);
	return expand_filter(&x->value, value, x->filter);
    }
    return value;
}

int local_expand(struct strbuf *out, const char *pattern, const struct attr *at,
		 const struct usr *usr, const struct local_agent *a, const char *filter)
{
    struct expand_ctx x = { a, at, usr, filter, 0, { 0, 0 }, STRBUF_INIT };
    char *copy = xstrdup(pattern);

    sb_reset(out);
    int status = expand(out, copy, 0, expand_lookup, &x);
    free(copy);
    sb_free(&x.value);
    return status | x.status;
}

/* ------------------------------------------------------------ helpers */

/* rewrite_local - canon_addr_internal(): the "local" context rewrite, internal form */
static const char *rewrite_local(struct run *run, const char *addr)
{
    struct strbuf out = STRBUF_INIT;

    resolve_rewrite(&run->a->session, addr, &out);
    return keep(run, sb_detach(&out));
}

int bounce_workaround(struct run *run, struct attr at, const struct local_why *why)
{
    struct local_agent *a = run->a;
    const char *canon_owner = NULL;

    if (a->ownreq_special) {
	const char *owner_expansion = NULL;
	char *owner_alias = xconcat("owner-", at.rcpt.address, (char *) NULL);
	char *at_sign = strrchr(owner_alias, '@');
	if (at_sign)
	    *at_sign = 0;
	int found = maps_find(&a->session, "alias_maps", owner_alias, &owner_expansion);
	if (found == MAPS_NOTFOUND) {
	    struct lo_settings settings;
	    maps_settings(&a->session, &settings, 0);
	    char *stripped = lo_strip_extension(at.rcpt.address, &settings);
	    if (stripped != NULL) {
		free(owner_alias);
		owner_alias = xconcat("owner-", stripped, (char *) NULL);
		if ((at_sign = strrchr(owner_alias, '@')) != NULL)
		    *at_sign = 0;
		found = maps_find(&a->session, "alias_maps", owner_alias, &owner_expansion);
		free(stripped);
	    }
	}
	if (found == MAPS_FOUND)
	    canon_owner = rewrite_local(run, a->exp_own_alias ? owner_expansion : owner_alias);
	free(owner_alias);
	if (found == MAPS_FAIL)
	    return r_simple(run, &at, "4.3.0", "alias database unavailable");
    }
    if (canon_owner != NULL && why->dsn[0] != '4') {
	/* A bounce for this recipient alone, to the owner, now. */
	at.sender = at.owner = canon_owner;
	r_bounce(run, &at, why);
	struct local_result *r = &run->report->results[run->report->count - 1];
	r->notify_to = xstrdup(canon_owner);
	return 0;
    }
    return why->dsn[0] == '4' ? r_defer(run, &at, why) : r_bounce(run, &at, why);
}

/* ------------------------------------------------------------ resolving */

/*
 * deliver_resolve_internal - deliver_resolve_tree(): rewrite the address
 * as cleanup would, resolve it as the queue manager would; this
 * service's own addresses are delivered here, others forwarded.
 */
static int deliver_resolve_internal(struct run *run, struct attr at, struct usr usr,
				    const char *addr)
{
    struct local_agent *a = run->a;
    struct resolve_reply reply;
    int status;

    at.level++;
    resolve_reply_init(&reply);
    resolve_query(&a->session, "", rewrite_local(run, addr), &reply);
    if (reply.flags & RESOLVE_FLAG_FAIL) {
	status = r_simple(run, &at, "4.3.0", "address resolver failure");
    } else if (reply.flags & RESOLVE_FLAG_ERROR) {
	status = r_simple(run, &at, "5.1.3", "bad recipient address syntax: %s",
			  sb_str(&reply.recipient));
    } else {
	/* Splice in an extension that no alias or .forward name matched. */
	if (at.unmatched) {
	    char delim = at.local[strlen(at.user)];
	    const char *rcpt = sb_str(&reply.recipient);
	    const char *ratsign = strrchr(rcpt, '@');
	    struct strbuf spliced = STRBUF_INIT;
	    if (ratsign == NULL) {
		sb_adds(&spliced, rcpt);
		sb_addch(&spliced, delim);
		sb_adds(&spliced, at.unmatched);
	    } else {
		sb_addn(&spliced, rcpt, (size_t) (ratsign - rcpt));
		sb_addch(&spliced, delim);
		sb_adds(&spliced, at.unmatched);
		sb_adds(&spliced, ratsign);
	    }
	    sb_set(&reply.recipient, sb_str(&spliced));
	    sb_free(&spliced);
	}
	at.rcpt.address = keep(run, xstrdup(sb_str(&reply.recipient)));
	if (strcmp(a->service, sb_str(&reply.transport)) == 0)
	    status = deliver_recipient(run, at, usr);
	else
	    status = deliver_indirect(run, at);
    }
    resolve_reply_free(&reply);
    return status;
}

int deliver_resolve_addr(struct run *run, struct attr at, struct usr usr, const char *addr)
{
    struct a822 tokens;
    struct strbuf internal = STRBUF_INIT;

    a822_init(&tokens);
    int32_t tree = a822_scan_addr(&tokens, addr);
    if (tree != A822_NONE)
	a822_internalize(&tokens, &internal, tokens.tok[tree].head);
    a822_free(&tokens);
    int status = deliver_resolve_internal(run, at, usr, keep(run, sb_detach(&internal)));
    return status;
}

/* deliver_resolve_token - for local_alias.c: an internal-form address from a list */
int deliver_resolve_token(struct run *run, struct attr at, struct usr usr, const char *addr)
{
    return deliver_resolve_internal(run, at, usr, addr);
}

/* ------------------------------------------------------------ users */

void usr_from_pw(struct run *run, struct local_pw *pw, struct usr *usr)
{
    usr->uid = pw->uid;
    usr->gid = pw->gid;
    usr->home = keep(run, pw->dir);
    usr->logname = keep(run, pw->name);
    usr->shell = keep(run, pw->shell);
}

int lookup_user(struct run *run, const struct attr *at, const char *name, struct usr *usr,
		int *statusp)
{
    struct local_pw pw;
    int found = local_getpwnam(name, &pw);

    if (found < 0) {
	diag_warn("error looking up passwd info for %s: %s", name, strerror(errno));
	*statusp = r_simple(run, at, "4.0.0", "user lookup error");
	return -1;
    }
    if (found > 0)
	usr_from_pw(run, &pw, usr);
    return found;
}

/* ------------------------------------------------------------ unknown users */

int deliver_unknown(struct run *run, struct attr at, struct usr usr)
{
    struct local_agent *a = run->a;

    at.level++;
    if (been_here(run, "%s %s", "deliver_unknown", at.local))
	return 0;

    uint32_t n;
    if ((policy_tables(&a->policy, "fallback_transport_maps", &n), n > 0) || *a->fallback_transport)
	return r_simple(run, &at, "4.3.5", "fallback_transport%s is not supported by pfcd",
			n > 0 ? "_maps" : "");

    /* luser_relay: expanded, re-injected; "|stuff" and /stuff are addresses here. */
    if (*a->luser_relay) {
	struct strbuf expanded = STRBUF_INIT, canon = STRBUF_INIT;
	int status;
	at.unmatched = NULL;
	local_expand(&expanded, a->luser_relay, &at, &usr, a, NULL);
	resolve_rewrite_in(&a->session, resolve_rewrite_view(&a->policy), sb_str(&expanded), 1,
			   &canon);
	if (strcasecmp(sb_str(&canon), at.rcpt.address) == 0)
	    status = r_simple(run, &at, "5.1.1", "unknown user: \"%s\"", at.user);
	else
	    status = deliver_resolve_addr(run, at, usr, sb_str(&expanded));
	sb_free(&expanded);
	sb_free(&canon);
	return status;
    }

    /* A required alias that is missing: the mail goes nowhere, with a warning. */
    if (strcasecmp(at.user, "MAILER-DAEMON") == 0 || strcasecmp(at.user, "postmaster") == 0) {
	diag_warn("required alias not found: %s", at.user);
	return r_sent(run, &at, "delivered", "discarded");
    }
    return r_simple(run, &at, "5.1.1", "unknown user: \"%s\"", at.user);
}

/* ------------------------------------------------------------ the mailbox */

int deliver_mailbox(struct run *run, struct attr at, struct usr usr, int *statusp)
{
    struct local_agent *a = run->a;
    const char *map_command = NULL;
    int status, found;
    uint32_t n;

    at.level++;
    if (been_here(run, "mailbox %s", at.local))
	return YES;

    /* Mailbox delivery by another transport: not in pfcd (yet). */
    if ((policy_tables(&a->policy, "mailbox_transport_maps", &n), n > 0) || *a->mailbox_transport) {
	*statusp = r_simple(run, &at, "4.3.5", "mailbox_transport%s is not supported by pfcd",
			    n > 0 ? "_maps" : "");
	return YES;
    }

    /* No such user: let the caller try the next thing. With one: the recipient's rights. */
    if ((found = lookup_user(run, &at, at.user, &usr, statusp)) <= 0)
	return found < 0 ? YES : NO;

    size_t len_home = strlen(a->home_mailbox), len_spool = strlen(a->spool_dir);
    found = maps_find(&a->session, "mailbox_command_maps", at.user, &map_command);
    if (found == MAPS_FOUND) {
	status = deliver_command(run, at, usr, keep(run, xstrdup(map_command)));
    } else if (found == MAPS_FAIL) {
	status = r_simple(run, &at, "4.3.0", "table lookup failure");
    } else if (*a->mailbox_command) {
	status = deliver_command(run, at, usr, a->mailbox_command);
    } else if (len_home > 0 && a->home_mailbox[len_home - 1] == '/') {
	char *path = xconcat(usr.home, "/", a->home_mailbox, (char *) NULL);
	status = deliver_maildir(run, at, usr, keep(run, path));
    } else if (len_spool > 0 && a->spool_dir[len_spool - 1] == '/') {
	char *path = xconcat(a->spool_dir, at.user, "/", (char *) NULL);
	status = deliver_maildir(run, at, usr, keep(run, path));
    } else {
	status = deliver_mailbox_file(run, at, usr);
    }
    *statusp = status;
    return YES;
}

/* ------------------------------------------------------------ the switch */

/* deliver_switch - aliases, then forwarding, then .forward, the mailbox, unknown */
static int deliver_switch(struct run *run, struct attr at, struct usr usr)
{
    struct local_agent *a = run->a;
    int status = 0;

    at.level++;

    /* \user: no alias or .forward, straight to the mailbox. */
    if (at.rcpt.address[0] == '\\') {
	at.rcpt.address++;
	at.local++;
	at.user++;
	if (deliver_mailbox(run, at, usr, &status) == NO)
	    status = deliver_unknown(run, at, usr);
	return status;
    }

    /* Aliases first: the whole local part, then the user without extension. */
    at.unmatched = NULL;
    if (deliver_alias(run, at, usr, at.local, &status))
	return status;
    if (at.extension != NULL) {
	if (a->ext_prop_mask & EXT_PROP_ALIAS)
	    at.unmatched = at.extension;
	if (deliver_alias(run, at, usr, at.user, &status))
	    return status;
	at.unmatched = at.extension;
    }

    /*
     * A list member or a .forward target that is another local user: a
     * new message, so that each gets its own queue status.
     */
    if (at.owner != NULL && strcasecmp(at.owner, at.user) != 0)
	return deliver_indirect(run, at);
    /* Recipients in :include: files are always forwarded. */
    if (at.exp_type == EXP_TYPE_INCL)
	return deliver_indirect(run, at);

    if (a->stat_home_dir) {
	struct usr home = { 0 };
	int found = lookup_user(run, &at, at.user, &home, &status);
	if (found < 0)
	    return status;
	if (found > 0 && local_stat_as(a, home.uid, home.gid, home.home) < 0)
	    return r_simple(run, &at, "4.3.0", "cannot access home directory %s: %s",
			    home.home, strerror(errno));
    }
    if (deliver_dotforward(run, at, usr, &status) == NO
	&& deliver_mailbox(run, at, usr, &status) == NO)
	status = deliver_unknown(run, at, usr);
    return status;
}

/*
 * split_extension - split_addr(): cut user at its first
 * recipient_delimiter character and return the extension after it; NULL
 * when Postfix keeps the name whole (postmaster, MAILER-DAEMON,
 * double-bounce, owner-foo and foo-request when '-' delimits, an empty
 * name before the delimiter).
 */
static char *split_extension(struct run *run, char *user)
{
    struct lo_settings settings;

    maps_settings(&run->a->session, &settings, 0);
    char *bare = lo_strip_extension(user, &settings);
    if (bare == NULL)
	return NULL;
    size_t n = strlen(bare);
    free(bare);
    user[n] = 0;
    return user + n + 1;
}

int deliver_recipient(struct run *run, struct attr at, struct usr usr)
{
    struct local_agent *a = run->a;
    struct strbuf folded = STRBUF_INIT;

    at.level++;
    if (been_here(run, "recipient %d %s", at.level, at.rcpt.address))
	return 0;

    /* A Delivered-To: this address already has: a loop. */
    struct strbuf key = STRBUF_INIT, quoted = STRBUF_INIT;
    a822_quote_local(&quoted, at.rcpt.address, A822_QUOTE_8BITCLEAN);
    match_casefold(&key, sb_str(&quoted), a->utf8);
    int loop = strmap_has(&run->loop, sb_str(&key));
    sb_free(&key);
    sb_free(&quoted);
    if (loop) {
	struct local_why why = { 0 };
	why_set(&why, "5.4.6", "mail forwarding loop for %s", at.rcpt.address);
	int status = bounce_workaround(run, at, &why);
	why_free(&why);
	return status;
    }

    /* Forwarded mail keeps the Delivered-To: of whoever forwarded it. */
    if (at.delivered == NULL)
	at.delivered = at.rcpt.address;
    match_casefold(&folded, at.rcpt.address, a->utf8);
    char *local = sb_detach(&folded);
    keep(run, local);
    char *ratsign = strrchr(local, '@');
    if (ratsign != NULL) {
	*ratsign = 0;
	at.domain = ratsign + 1;
    } else {
	diag_warn("no @ in recipient address: %s", local);
	at.domain = NULL;
    }
    at.local = local;

    /* The extension, unless it is not a valid one (a '/' in it). */
    char *user = (char *) keep(run, xstrdup(local));
    at.extension = NULL;
    if (*a->rcpt_delim) {
	char *ext = split_extension(run, user);
	if (ext != NULL && strchr(ext, '/') != NULL) {
	    diag_warn("%s: address with illegal extension: %s", run->msg->queue_id, local);
	    ext = NULL;
	    local[strlen(user)] = 0;
	}
	at.extension = ext;
    }
    at.user = user;
    at.unmatched = at.extension;

    if (user[0] == 0)
	return r_simple(run, &at, "5.1.3", "null username in \"%s\"", at.rcpt.address);
    return deliver_switch(run, at, usr);
}
