/*
 * rewrite - cleanup(8)'s envelope address rewriting over the image (see
 * rewrite.h): cleanup_addr.c's order of steps, cleanup_map11.c (one to
 * one, canonical), cleanup_masquerade.c, cleanup_map1n.c (one to many,
 * virtual aliases), with mail_addr_map.c and mail_addr_crunch.c between
 * a table's answer and the addresses it stands for.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr822.h"
#include "maps.h"
#include "matchlist.h"
#include "resolve.h"
#include "rewrite.h"
#include "strmap.h"
#include "textutil.h"
#include "xalloc.h"

/* Address classes of canonical_classes and masquerade_classes. */
#define CLASS_ENV_FROM	(1u << 0)
#define CLASS_ENV_RCPT	(1u << 1)
#define CLASS_HDR_FROM	(1u << 2)
#define CLASS_HDR_RCPT	(1u << 3)

/* propagate_unmatched_extensions */
#define EXT_PROP_CANONICAL	(1u << 0)
#define EXT_PROP_VIRTUAL	(1u << 1)

/* cleanup_map11.c: how many times a canonical answer is looked up again */
#define MAX_RECURSION	10

struct name_bit {
    const char *name;
    unsigned bit;
};

/* What a cleanup process reads from its configuration, once. */
struct cleanup_settings {
    const struct policy *rw;	/* the trivial-rewrite service it asks */
    char *error;		/* cleanup would not start: why */
    unsigned comm_flags, send_flags, rcpt_flags, masq_flags, ext_prop;
    int comm_canon, send_canon, rcpt_canon, virt_alias, masq_exceptions;
    char **masq;		/* masquerade_domains, each folded, '!' kept */
    size_t nmasq;
    long recursion_limit, expansion_limit, addrlen_limit;
    const char *empty_rcpt;
    int utf8;
};

/* A view's memo: as cleanup its settings, as smtpd its cleanup service. */
struct rewrite_memo {
    struct cleanup_settings *settings;
    struct policy *cleanup;
    int map_ok;			/* smtpd: address mappings on (receive_override_options) */
    char *client_error;
};

static void memo_free(void *ptr)
{
    struct rewrite_memo *m = ptr;

    if (m->settings != NULL) {
	for (size_t i = 0; i < m->settings->nmasq; i++)
	    free(m->settings->masq[i]);
	free(m->settings->masq);
	free(m->settings->error);
	free(m->settings);
    }
    if (m->cleanup != NULL) {
	policy_close(m->cleanup);
	free(m->cleanup);
    }
    free(m->client_error);
    free(m);
}

static struct rewrite_memo *memo(const struct policy *view)
{
    return policy_memo(view, MEMO_REWRITE, sizeof(struct rewrite_memo), memo_free);
}

/*
 * name_mask - Postfix's name_mask(): the bits of the names in value,
 * case-sensitively; an unknown name is fatal to the process (*err).
 */
static unsigned name_mask(const char *param, const char *value, const struct name_bit *table,
			  char **err)
{
    char *copy = xstrdup(value), *bp = copy, *word;
    unsigned mask = 0;

    while (*err == NULL && (word = str_tokq(&bp, CHARS_COMMA_SP)) != NULL) {
	const struct name_bit *nb;
	for (nb = table; nb->name != NULL && strcmp(nb->name, word) != 0; nb++)
	     /* void */ ;
	if (nb->name != NULL)
	    mask |= nb->bit;
	else
	    *err = xconcat("unknown ", param, " value \"", word, "\" in \"", value, "\"",
			   (char *) NULL);
    }
    free(copy);
    return mask;
}

/* cleanup_settings - view's parameters as cleanup reads them */
static const struct cleanup_settings *settings(const struct policy *view)
{
    static const struct name_bit classes[] = {
	{ "envelope_sender", CLASS_ENV_FROM }, { "envelope_recipient", CLASS_ENV_RCPT },
	{ "header_sender", CLASS_HDR_FROM }, { "header_recipient", CLASS_HDR_RCPT },
	{ NULL, 0 },
    };
    static const struct name_bit send_classes[] = {
	{ "envelope_sender", CLASS_ENV_FROM }, { "header_sender", CLASS_HDR_FROM }, { NULL, 0 },
    };
    static const struct name_bit rcpt_classes[] = {
	{ "envelope_recipient", CLASS_ENV_RCPT }, { "header_recipient", CLASS_HDR_RCPT },
	{ NULL, 0 },
    };
    static const struct name_bit ext_prop[] = {
	{ "canonical", EXT_PROP_CANONICAL }, { "virtual", EXT_PROP_VIRTUAL },
	{ "alias", 1u << 2 }, { "forward", 1u << 3 }, { "include", 1u << 4 },
	{ "generic", 1u << 5 }, { NULL, 0 },
    };
    struct rewrite_memo *m = memo(view);

    if (m->settings != NULL)
	return m->settings;
    struct cleanup_settings *c = xcalloc(1, sizeof(*c));
    c->rw = resolve_rewrite_view(view);
    c->comm_canon = *policy_value(view, "canonical_maps") != 0;
    c->send_canon = *policy_value(view, "sender_canonical_maps") != 0;
    c->rcpt_canon = *policy_value(view, "recipient_canonical_maps") != 0;
    c->virt_alias = *policy_value(view, "virtual_alias_maps") != 0;
    c->masq_exceptions = *policy_value(view, "masquerade_exceptions") != 0;
    /* Postfix names canonical_classes in all three messages. */
    c->comm_flags = name_mask("canonical_classes", policy_value(view, "canonical_classes"),
			      classes, &c->error);
    c->send_flags = name_mask("canonical_classes",
			      policy_value(view, "sender_canonical_classes"), send_classes,
			      &c->error);
    c->rcpt_flags = name_mask("canonical_classes",
			      policy_value(view, "recipient_canonical_classes"), rcpt_classes,
			      &c->error);
    c->masq_flags = name_mask("masquerade_classes", policy_value(view, "masquerade_classes"),
			      classes, &c->error);
    c->ext_prop = name_mask("propagate_unmatched_extensions",
			    policy_value(view, "propagate_unmatched_extensions"), ext_prop,
			    &c->error);
    c->recursion_limit = policy_int(view, "virtual_alias_recursion_limit", 1000);
    c->expansion_limit = policy_int(view, "virtual_alias_expansion_limit", 1000);
    c->addrlen_limit = policy_int(view, "virtual_alias_address_length_limit", 1000);
    c->empty_rcpt = policy_value(view, "empty_address_recipient");
    c->utf8 = policy_bool(view, "smtputf8_enable");

    /* masquerade_domains: split as argv_split() does, each folded when used. */
    char *copy = xstrdup(policy_value(view, "masquerade_domains")), *bp = copy, *word;
    while ((word = strsep(&bp, CHARS_COMMA_SP)) != NULL) {
	if (*word == 0)
	    continue;
	struct strbuf folded = STRBUF_INIT;
	size_t bangs = strspn(word, "!");
	sb_addn(&folded, word, bangs);
	match_casefold(&folded, word + bangs, c->utf8);
	c->masq = xrealloc(c->masq, (c->nmasq + 1) * sizeof(*c->masq));
	c->masq[c->nmasq++] = sb_detach(&folded);
    }
    free(copy);
    m->settings = c;
    return c;
}

/* cleanup_view - the cleanup service the session's smtpd hands mail to */
static const struct policy *cleanup_view(struct session *s, int *map_ok, const char **err)
{
    struct rewrite_memo *m = memo(s->policy);

    if (m->cleanup == NULL) {
	static const struct name_bit transp[] = {
	    { "no_unknown_recipient_checks", 1 }, { "no_address_mappings", 2 },
	    { "no_header_body_checks", 4 }, { "no_milters", 8 }, { NULL, 0 },
	};
	char *service = xconcat(policy_value(s->policy, "cleanup_service_name"), "/unix",
				(char *) NULL);
	char *open_err = NULL;
	m->cleanup = xcalloc(1, sizeof(*m->cleanup));
	if (policy_open(m->cleanup, s->policy->img, service, &open_err) < 0) {
	    free(open_err);
	    policy_open_main(m->cleanup, s->policy->img);
	}
	free(service);
	unsigned mask = name_mask("receive_override_options",
				  policy_value(s->policy, "receive_override_options"), transp,
				  &m->client_error);
	m->map_ok = !(mask & 2);
    }
    *map_ok = m->map_ok;
    *err = m->client_error;
    return m->cleanup;
}

/* ------------------------------------------------------------ the list */

void rewrite_list_free(struct rewrite_list *list)
{
    for (size_t i = 0; i < list->count; i++)
	free(list->addrs[i]);
    free(list->addrs);
    free(list->clean);
    memset(list, 0, sizeof(*list));
}

static void list_add(struct rewrite_list *list, const char *addr)
{
    if (list->count == list->cap) {
	list->cap = list->cap ? 2 * list->cap : 4;
	list->addrs = xrealloc(list->addrs, list->cap * sizeof(*list->addrs));
    }
    list->addrs[list->count++] = xstrdup(addr);
}

static void list_reset(struct rewrite_list *list)
{
    for (size_t i = 0; i < list->count; i++)
	free(list->addrs[i]);
    list->count = 0;
}

/* ------------------------------------------------------- table answers */

/*
 * not_accepted - cleanup's words for a message it will not take,
 * "BEFORE PARAM AFTER ADDR -- message not accepted, try again later",
 * a new string.
 */
static char *not_accepted(const char *before, const char *param, const char *after,
			  const char *addr)
{
    return xconcat(before, param, after, addr, " -- message not accepted, try again later",
		   (char *) NULL);
}

/*
 * crunch - mail_addr_crunch(): a table's answer (external form) as the
 * addresses it names, each rewritten in the local context, extension
 * (when not NULL) put before its '@'; into out in internal form, or
 * external form when external.
 */
static void crunch(struct session *s, const struct cleanup_settings *c, const char *string,
		   const char *extension, int external, struct rewrite_list *out)
{
    struct a822 a;
    struct strbuf ext = STRBUF_INIT, canon = STRBUF_INIT, internal = STRBUF_INIT,
	quoted = STRBUF_INIT;

    if (*string == 0 || strcmp(string, "<>") == 0)
	string = "\"\"";
    a822_init(&a);
    for (int32_t tp = a822_parse(&a, string); tp != A822_NONE; tp = a.tok[tp].next) {
	if (a.tok[tp].type != A822_ADDR)
	    continue;
	sb_reset(&ext);
	a822_externalize(&a, &ext, a.tok[tp].head);
	resolve_rewrite_in(s, c->rw, sb_str(&ext), 1, &canon);
	sb_reset(&internal);
	a822_unquote_local(&internal, sb_str(&canon));
	if (extension != NULL) {
	    char *at = strrchr(internal.s, '@');
	    if (at == NULL) {
		sb_adds(&internal, extension);
	    } else {
		char *domain = xstrdup(at);
		sb_truncate(&internal, (size_t) (at - internal.s));
		sb_adds(&internal, extension);
		sb_adds(&internal, domain);
		free(domain);
	    }
	}
	if (external) {
	    sb_reset(&quoted);
	    a822_quote_local(&quoted, sb_str(&internal), A822_QUOTE_8BITCLEAN);
	    list_add(out, sb_str(&quoted));
	} else {
	    list_add(out, sb_str(&internal));
	}
    }
    a822_free(&a);
    sb_free(&ext);
    sb_free(&canon);
    sb_free(&internal);
    sb_free(&quoted);
}

/*
 * addr_map - mail_addr_map_opt(): the addresses the tables of param map
 * addr (internal form) to, with the query in external form; out in
 * internal or external form. MAPS_FOUND, MAPS_NOTFOUND or MAPS_FAIL.
 */
static int addr_map(struct session *s, const struct policy *view,
		    const struct cleanup_settings *c, const char *param, const char *addr,
		    int propagate, int external, struct rewrite_list *out)
{
    const char *value, *extension;
    char *ext = NULL, *string;
    int status = maps_addr_find_in(s, view, param, LO_ADDRESS, MAPS_QUERY_EXTERNAL, addr,
				   &value, &extension);

    list_reset(out);
    if (status != MAPS_FOUND)
	return status;
    /* Both live in the session's space until the next lookup: keep them. */
    string = xstrdup(value);
    if (extension != NULL)
	ext = xstrdup(extension);
    if (*string == '@') {
	/* @other keeps the user, less the extension it did not match. */
	const char *at = strrchr(addr, '@');
	struct strbuf user = STRBUF_INIT, quoted = STRBUF_INIT;
	sb_addn(&user, addr, at ? (size_t) (at - addr) : strlen(addr));
	if (ext != NULL)
	    sb_truncate(&user, user.len - strlen(ext));
	sb_adds(&user, string);
	a822_quote_local(&quoted, sb_str(&user), A822_QUOTE_8BITCLEAN);
	free(string);
	string = sb_detach(&quoted);
	sb_free(&user);
    }
    crunch(s, c, string, propagate ? ext : NULL, external, out);
    if (out->count == 0) {
	maps_note(s, "%s lookup of %s returns non-address result \"%s\"", param, addr, string);
	status = MAPS_FAIL;
    }
    free(string);
    free(ext);
    return status;
}

/*
 * map11 - cleanup_map11_internal(): one-to-one mapping of addr (internal
 * form, replaced) by the tables of param, again and again while it
 * changes. Returns 0, or -1 with *err when a lookup failed.
 */
static int map11(struct session *s, const struct policy *view, const struct cleanup_settings *c,
		 const char *param, struct strbuf *addr, char **err)
{
    struct strbuf ext = STRBUF_INIT, saved = STRBUF_INIT;
    struct rewrite_list found = { NULL, 0, 0, NULL };
    int propagate = (c->ext_prop & EXT_PROP_CANONICAL) != 0, rc = 0, count;

    a822_quote_local(&ext, sb_str(addr), A822_QUOTE_8BITCLEAN);
    for (count = 0; count < MAX_RECURSION; count++) {
	/* mail_addr_map_opt(EXTERNAL, EXTERNAL, EXTERNAL): unquoted for the search. */
	struct strbuf internal = STRBUF_INIT;
	a822_unquote_local(&internal, sb_str(&ext));
	int status = addr_map(s, view, c, param, sb_str(&internal), propagate, 1, &found);
	sb_free(&internal);
	if (status == MAPS_FOUND) {
	    if (found.count > 1)
		maps_note(s, "multi-valued %s entry for %s", param, sb_str(&ext));
	    sb_set(&saved, sb_str(&ext));
	    sb_set(&ext, found.addrs[0]);
	    maps_note(s, "%s: %s -> %s", param, sb_str(&saved), sb_str(&ext));
	    if (strcasecmp(sb_str(&saved), sb_str(&ext)) == 0)
		break;
	} else if (status == MAPS_FAIL) {
	    *err = not_accepted("", param, " map lookup problem for ", sb_str(&ext));
	    maps_note(s, "%s", *err);
	    rc = -1;
	    break;
	} else {
	    break;
	}
    }
    if (count == MAX_RECURSION)
	maps_note(s, "unreasonable %s map nesting for %s -- message not accepted, try again later",
		  param, sb_str(&ext));
    sb_reset(addr);
    a822_unquote_local(addr, sb_str(&ext));
    rewrite_list_free(&found);
    sb_free(&ext);
    sb_free(&saved);
    return rc;
}

/*
 * masquerade - cleanup_masquerade_internal(): addr (internal form,
 * replaced) with its domain cut to the first masquerade domain that is a
 * parent of it. Returns 0, or -1 with *err when masquerade_exceptions
 * could not be looked up.
 */
static int masquerade(struct session *s, const struct policy *view,
		      const struct cleanup_settings *c, struct strbuf *addr, char **err)
{
    struct strbuf ext = STRBUF_INIT, domain = STRBUF_INIT;
    char *at;
    int rc = 0;

    a822_quote_local(&ext, sb_str(addr), A822_QUOTE_8BITCLEAN);
    if ((at = strrchr(ext.s, '@')) == NULL)
	goto done;
    size_t name_len = (size_t) (at - ext.s);
    match_casefold(&domain, at + 1, c->utf8);
    if (c->masq_exceptions) {
	char *name = xstrndup(ext.s, name_len);
	int match = match_list_in(s, view, "masquerade_exceptions", MATCH_KIND_STRING, name, NULL);
	free(name);
	if (match == MATCH_FAIL) {
	    *err = not_accepted("", "masquerade_exceptions", " map lookup problem", "");
	    rc = -1;
	}
	if (match == MATCH_YES)
	    goto done;
    }
    for (size_t i = 0; i < c->nmasq; i++) {
	const char *masq = c->masq[i];
	int truncate = 1;
	for (; *masq == '!'; masq++)
	    truncate = !truncate;
	size_t masq_len = strlen(masq);
	if (masq_len == 0)
	    continue;
	if (masq_len == domain.len) {
	    if (strcmp(masq, domain.s) == 0)
		break;
	} else if (masq_len < domain.len) {
	    const char *parent = domain.s + domain.len - masq_len;
	    if (parent[-1] == '.' && strcmp(masq, parent) == 0) {
		if (truncate) {
		    maps_note(s, "masquerade: %s -> %s", domain.s, masq);
		    sb_truncate(&ext, name_len + 1);
		    sb_adds(&ext, masq);
		}
		break;
	    }
	}
    }
  done:
    sb_reset(addr);
    a822_unquote_local(addr, sb_str(&ext));
    sb_free(&ext);
    sb_free(&domain);
    return rc;
}

/* -------------------------------------------------------- the envelope */

char *rewrite_sender(struct session *s, const char *sender)
{
    int map_ok;
    const char *client_err;
    const struct policy *view = cleanup_view(s, &map_ok, &client_err);
    const struct cleanup_settings *c = settings(view);
    struct strbuf addr = STRBUF_INIT, daemon = STRBUF_INIT;
    char *err = NULL;

    if (c->error != NULL || client_err != NULL)
	maps_note(s, "%s", c->error ? c->error : client_err);
    resolve_rewrite_in(s, c->rw, sender, 0, &addr);
    /* MAILER-DAEMON@$myorigin is the null sender. */
    if (strncasecmp(sb_str(&addr), "MAILER-DAEMON@", 14) == 0) {
	resolve_rewrite_in(s, c->rw, "MAILER-DAEMON", 0, &daemon);
	if (strcasecmp(sb_str(&addr), sb_str(&daemon)) == 0)
	    sb_reset(&addr);
    }
    if (map_ok) {
	if (c->send_canon && (c->send_flags & CLASS_ENV_FROM) && err == NULL)
	    map11(s, view, c, "sender_canonical_maps", &addr, &err);
	if (c->comm_canon && (c->comm_flags & CLASS_ENV_FROM) && err == NULL)
	    map11(s, view, c, "canonical_maps", &addr, &err);
	if (c->nmasq && (c->masq_flags & CLASS_ENV_FROM) && err == NULL)
	    masquerade(s, view, c, &addr, &err);
    }
    free(err);
    sb_free(&daemon);
    return sb_detach(&addr);
}

/*
 * map1n - cleanup_map1n_internal(): addr expanded by virtual_alias_maps,
 * each answer expanded again, up to the limits. Returns 0, or -1 with
 * *err (out then holds addr alone).
 */
static int map1n(struct session *s, const struct policy *view, const struct cleanup_settings *c,
		 const char *addr, struct rewrite_list *out, char **err)
{
    struct strmap been_here;	/* folded addresses that expanded into themselves */
    struct rewrite_list found = { NULL, 0, 0, NULL };
    struct strbuf folded = STRBUF_INIT;
    int propagate = (c->ext_prop & EXT_PROP_VIRTUAL) != 0;
    const char *param = "virtual_alias_maps";

    strmap_init(&been_here);
    list_add(out, addr);
    for (size_t arg = 0; arg < out->count && *err == NULL; arg++) {
	if ((long) out->count > c->expansion_limit) {
	    *err = not_accepted("unreasonable ", param, " map expansion size for ", addr);
	    break;
	}
	for (long count = 0; *err == NULL; count++) {
	    /* An address that expanded into itself is not expanded again. */
	    sb_reset(&folded);
	    match_casefold(&folded, out->addrs[arg], c->utf8);
	    if (strmap_has(&been_here, sb_str(&folded)))
		break;
	    if (count >= c->recursion_limit) {
		*err = not_accepted("unreasonable ", param, " map nesting for ", addr);
		break;
	    }
	    int status = addr_map(s, view, c, param, out->addrs[arg], propagate, 0, &found);
	    if (status == MAPS_FAIL) {
		*err = not_accepted("", param, " map lookup problem for ", addr);
		break;
	    }
	    if (status != MAPS_FOUND)
		break;
	    char *lhs = out->addrs[arg];
	    for (size_t i = 0; i < found.count && *err == NULL; i++) {
		if ((long) strlen(found.addrs[i]) > c->addrlen_limit) {
		    char *cut = xstrndup(found.addrs[i], 300);
		    char *shown = xconcat(cut, "...", (char *) NULL);
		    *err = not_accepted("unreasonable ", param, " result ", shown);
		    free(shown);
		    free(cut);
		    break;
		}
		if (i == 0)
		    out->addrs[arg] = xstrdup(found.addrs[0]);
		else
		    list_add(out, found.addrs[i]);
		/* An address may expand into itself, once. */
		struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;
		match_casefold(&a, lhs, c->utf8);
		match_casefold(&b, found.addrs[i], c->utf8);
		if (strcmp(a.s ? a.s : "", b.s ? b.s : "") == 0)
		    strmap_put(&been_here, sb_str(&a), NULL);
		sb_free(&a);
		sb_free(&b);
	    }
	    if (out->addrs[arg] != lhs) {
		maps_note(s, "%s: %s -> %s%s", param, lhs, out->addrs[arg],
			  found.count > 1 ? " ..." : "");
		free(lhs);
	    }
	}
    }
    if (*err != NULL) {
	maps_note(s, "%s", *err);
	list_reset(out);
	list_add(out, addr);
    }
    strmap_free(&been_here, NULL);
    rewrite_list_free(&found);
    sb_free(&folded);
    return *err ? -1 : 0;
}

int rewrite_recipient(struct session *s, const char *recipient,
		      struct rewrite_list *out, char **err)
{
    int map_ok;
    const char *client_err;
    const struct policy *view = cleanup_view(s, &map_ok, &client_err);
    const struct cleanup_settings *c = settings(view);
    struct strbuf addr = STRBUF_INIT;
    struct rewrite_list expanded = { NULL, 0, 0, NULL };
    int rc = 0;

    *err = NULL;
    list_reset(out);
    if (c->error != NULL || client_err != NULL) {
	*err = xstrdup(c->error ? c->error : client_err);
	list_add(out, recipient);
	return -1;
    }
    resolve_rewrite_in(s, c->rw, *recipient ? recipient : c->empty_rcpt, 0, &addr);
    if (map_ok) {
	if (c->rcpt_canon && (c->rcpt_flags & CLASS_ENV_RCPT) && *err == NULL)
	    map11(s, view, c, "recipient_canonical_maps", &addr, err);
	if (c->comm_canon && (c->comm_flags & CLASS_ENV_RCPT) && *err == NULL)
	    map11(s, view, c, "canonical_maps", &addr, err);
	if (c->nmasq && (c->masq_flags & CLASS_ENV_RCPT) && *err == NULL)
	    masquerade(s, view, c, &addr, err);
    }
    if (*err != NULL) {
	list_add(out, sb_str(&addr));
	sb_free(&addr);
	return -1;
    }
    free(out->clean);
    out->clean = xstrdup(sb_str(&addr));
    if (!map_ok || !c->virt_alias) {
	list_add(out, sb_str(&addr));
    } else {
	rc = map1n(s, view, c, sb_str(&addr), &expanded, err);
	/* cleanup_out_recipient(): each address once, case ignored. */
	struct strmap seen;
	struct strbuf folded = STRBUF_INIT;
	strmap_init(&seen);
	for (size_t i = 0; i < expanded.count; i++) {
	    sb_reset(&folded);
	    match_casefold(&folded, expanded.addrs[i], c->utf8);
	    if (!strmap_has(&seen, sb_str(&folded))) {
		strmap_put(&seen, sb_str(&folded), NULL);
		list_add(out, expanded.addrs[i]);
	    }
	}
	strmap_free(&seen, NULL);
	sb_free(&folded);
	rewrite_list_free(&expanded);
    }
    sb_free(&addr);
    return rc;
}
