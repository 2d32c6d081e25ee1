/* lookup_order - Postfix's probe keys for each kind of lookup, and the walk */
#include <arpa/inet.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hostaddr.h"
#include "lookup_order.h"
#include "strbuf.h"
#include "textutil.h"
#include "utf8.h"
#include "xalloc.h"

/*
 * The steps of mail_addr_find(), in the order it takes them. Each caller
 * in Postfix picks a subset; the names follow Postfix's MA_FIND_* flags.
 */
#define FIND_FULL		(1u << 0)	/* user+ext@domain */
#define FIND_NOEXT		(1u << 1)	/* user@domain */
#define FIND_LOCALPART_IF_LOCAL	(1u << 2)	/* user+ext, user */
#define FIND_AT_DOMAIN		(1u << 3)	/* @domain */
#define FIND_DOMAIN		(1u << 4)	/* domain */
#define FIND_PDMS		(1u << 5)	/* ... then example.com */
#define FIND_PDDMDS		(1u << 6)	/* ... then .example.com */
#define FIND_LOCALPART_AT	(1u << 7)	/* user+ext@, user@ */

#define FIND_DEFAULT (FIND_FULL | FIND_NOEXT | FIND_LOCALPART_IF_LOCAL | FIND_AT_DOMAIN)

#define FULL	0
#define PARTIAL	1

void lo_settings_init(struct lo_settings *s)
{
    memset(s, 0, sizeof(*s));
    s->recipient_delimiter = "";
    s->parent_matches_subdomains = 1;
    s->null_access_key = "<>";
    s->myorigin = "";
    s->owner_request_special = 1;
    s->double_bounce_sender = "double-bounce";
}

/*
 * add_key - append text[0..len) unless empty: maps_find() skips "". The
 * text goes into keys->texts, which may move as it grows: the key holds
 * its offset there until lo_build() ends (texts_to_pointers()).
 */
static void add_key(struct lo_keys *keys, const char *text, size_t len, int partial)
{
    if (len == 0)
	return;
    if (keys->count == keys->cap) {
	keys->cap = keys->cap ? 2 * keys->cap : 16;
	keys->keys = xrealloc(keys->keys, keys->cap * sizeof(*keys->keys));
    }
    keys->keys[keys->count].text = (char *) (uintptr_t) keys->texts.len;
    keys->keys[keys->count].partial = partial;
    keys->count++;
    sb_addn(&keys->texts, text, len);
    sb_addn(&keys->texts, "", 1);
}

/* texts_to_offsets, texts_to_pointers - the keys' texts as offsets in keys->texts, and back */
static void texts_to_offsets(struct lo_keys *keys)
{
    for (size_t i = 0; i < keys->count; i++)
	keys->keys[i].text = (char *) (uintptr_t) (keys->keys[i].text - keys->texts.s);
}

static void texts_to_pointers(struct lo_keys *keys)
{
    for (size_t i = 0; i < keys->count; i++)
	keys->keys[i].text = keys->texts.s + (uintptr_t) keys->keys[i].text;
}

static void add_str(struct lo_keys *keys, const char *text, int partial)
{
    add_key(keys, text, strlen(text), partial);
}

void lo_keys_free(struct lo_keys *keys)
{
    free(keys->keys);
    sb_free(&keys->texts);
    memset(keys, 0, sizeof(*keys));
}

/*
 * extension_at - where the extension of localpart starts (at its
 * delimiter), or -1 when Postfix's split_addr() leaves it whole: the
 * special senders, owner-foo and foo-request when '-' delimits, and a
 * split that would leave the localpart empty.
 */
static long extension_at(const char *localpart, const struct lo_settings *s)
{
    const char *delim = s->recipient_delimiter;
    size_t len = strlen(localpart), n;

    if (strcasecmp(localpart, "postmaster") == 0
	|| strcasecmp(localpart, "mailer-daemon") == 0
	|| strcasecmp(localpart, s->double_bounce_sender) == 0)
	return -1;
    if (strchr(delim, '-') != NULL && s->owner_request_special) {
	if (strncasecmp(localpart, "owner-", 6) == 0)
	    return -1;
	if (len > 8 && strcasecmp(localpart + len - 8, "-request") == 0)
	    return -1;
    }
    n = strcspn(localpart, delim);
    if (n == 0 || localpart[n] == 0)
	return -1;
    return (long) n;
}

char *lo_strip_extension(const char *addr, const struct lo_settings *s)
{
    const char *delim = s->recipient_delimiter;
    const char *at = strrchr(addr, '@');
    size_t lp_len = at ? (size_t) (at - addr) : strlen(addr);
    char *localpart;
    long ext;

    if (*delim == 0 || addr[strcspn(addr, delim)] == 0)
	return NULL;
    localpart = xstrndup(addr, lp_len);
    ext = extension_at(localpart, s);
    free(localpart);
    if (ext < 0)
	return NULL;
    struct strbuf out = STRBUF_INIT;
    sb_addn(&out, addr, (size_t) ext);
    if (at != NULL)
	sb_adds(&out, at);
    return sb_detach(&out);
}

/* addr_keys - mail_addr_find()'s keys for one strategy, all lookups missing */
static void addr_keys(struct lo_keys *keys, const char *addr, unsigned strategy,
		      const struct lo_settings *s)
{
    char *bare = (strategy & FIND_NOEXT) ? lo_strip_extension(addr, s) : NULL;
    const char *at = strrchr(addr, '@');
    const char *bare_at = bare ? strrchr(bare, '@') : NULL;

    /* Only the address as given is a full key; everything derived is partial. */
    if (strategy & FIND_FULL)
	add_str(keys, addr, FULL);
    if (bare != NULL)
	add_str(keys, bare, PARTIAL);
    if (at != NULL && (strategy & FIND_LOCALPART_IF_LOCAL)
	&& ((s->myorigin && strcasecmp(at + 1, s->myorigin) == 0)
	    || (s->is_local && s->is_local(at + 1, s->local_ctx) > 0))) {
	add_key(keys, addr, (size_t) (at - addr), PARTIAL);
	if (bare != NULL)
	    add_key(keys, bare, (size_t) (bare_at - bare), PARTIAL);
    }
    if (at != NULL && (strategy & FIND_AT_DOMAIN))
	add_str(keys, at, PARTIAL);
    if (at != NULL && (strategy & FIND_DOMAIN)) {
	const char *name, *next;
	for (name = at + 1; *name != 0; name = next) {
	    add_str(keys, name, PARTIAL);
	    if ((strategy & (FIND_PDMS | FIND_PDDMDS)) == 0
		|| (next = strchr(name + 1, '.')) == NULL)
		break;
	    if ((strategy & FIND_PDDMDS) == 0)
		next++;
	}
    }
    if (at != NULL && (strategy & FIND_LOCALPART_AT)) {
	add_key(keys, addr, (size_t) (at - addr) + 1, PARTIAL);
	if (bare != NULL)
	    add_key(keys, bare, (size_t) (bare_at - bare) + 1, PARTIAL);
    }
    free(bare);
}

/*
 * domain_keys - check_domain_access(): the name, then its parents, the
 * first key full and the parents partial. An IP address gets no parents;
 * anything else is cut at dots blindly, so "[192.0.2.1]" yields "0.2.1]".
 */
static void domain_keys(struct lo_keys *keys, const char *domain, int parent_style)
{
    int numeric = valid_hostaddr(domain, 0);
    int partial = FULL;

    for (const char *name = domain, *next; *name != 0; name = next) {
	add_str(keys, name, partial);
	partial = PARTIAL;
	if (numeric || (next = strchr(name + 1, '.')) == NULL)
	    break;
	if (parent_style)
	    next++;
    }
}

/*
 * ipaddr_keys - check_addr_access(): the address, then cut at its last
 * '.' (IPv4) or ':' (IPv6) until none is left. "2001:db8::5" thus gives
 * "2001:db8:" before "2001:db8".
 */
static void ipaddr_keys(struct lo_keys *keys, const char *addr)
{
    char *copy = xstrdup(addr), *cut;
    int delim = strchr(copy, ':') ? ':' : '.';

    add_str(keys, copy, FULL);
    while ((cut = strrchr(copy, delim)) != NULL) {
	*cut = 0;
	add_str(keys, copy, PARTIAL);
    }
    free(copy);
}

/*
 * client_keys - "name[addr]", "[addr]" or "addr"; a client whose name did
 * not resolve is known as "unknown", and its name is looked up as such.
 */
static int client_keys(struct lo_keys *keys, const char *input, int parent_style,
		       const char **err)
{
    size_t len = strlen(input);
    const char *open = strchr(input, '[');
    char *name, *addr;

    if (len > 0 && input[len - 1] == ']' && open != NULL) {
	name = open == input ? xstrdup("unknown") : xstrndup(input, (size_t) (open - input));
	addr = xstrndup(open + 1, len - (size_t) (open - input) - 2);
    } else if (valid_hostaddr(input, 0)) {
	name = xstrdup("unknown");
	addr = xstrdup(input);
    } else {
	*err = "a client is NAME[ADDRESS], [ADDRESS] or ADDRESS";
	return -1;
    }
    if (!valid_hostaddr(addr, 0)) {
	*err = "the client address is not an IPv4 or IPv6 address";
	free(name);
	free(addr);
	return -1;
    }
    domain_keys(keys, name, parent_style);
    ipaddr_keys(keys, addr);
    free(name);
    free(addr);
    return 0;
}

/*
 * qualify - an address as trivial-rewrite hands it on: "user" becomes
 * "user@$myorigin" (append_at_myorigin). A new string.
 */
static char *qualify(const char *addr, const struct lo_settings *s)
{
    if (strchr(addr, '@') != NULL || s->myorigin == NULL || *s->myorigin == 0)
	return xstrdup(addr);
    return xconcat(addr, "@", s->myorigin, (char *) NULL);
}

/* casefold - smtpd_resolve_addr() lowercases the whole address */
static char *casefold(const char *text, int utf8)
{
    struct strbuf out = STRBUF_INIT;

    if (utf8 && utf8_valid(text, strlen(text))) {
	utf8_casefold(&out, text);
    } else {
	for (const char *cp = text; *cp; cp++)
	    sb_addch(&out, (*cp >= 'A' && *cp <= 'Z') ? *cp - 'A' + 'a' : *cp);
    }
    return sb_detach(&out);
}

static int build(struct lo_keys *keys, enum lo_kind kind, const char *input,
		 const struct lo_settings *s, const char **err)
{
    unsigned parent = s->parent_matches_subdomains ? FIND_PDMS : FIND_PDDMDS;
    char *addr, *folded;

    *err = NULL;
    switch (kind) {
    case LO_ADDRESS:
	if (*input == 0)
	    input = s->null_address_key ? s->null_address_key : "";
	addr_keys(keys, input, FIND_DEFAULT, s);
	return 0;
    case LO_TRANSPORT:
	/* transport_lookup() refuses the null address; "*" comes last. */
	if (*input == 0)
	    return 0;
	addr = qualify(input, s);
	addr_keys(keys, addr, FIND_FULL | FIND_NOEXT | FIND_DOMAIN | parent, s);
	add_str(keys, "*", FULL);
	free(addr);
	return 0;
    case LO_ACCESS_CLIENT:
	return client_keys(keys, input, s->parent_matches_subdomains, err);
    case LO_ACCESS_DOMAIN:
	domain_keys(keys, input, s->parent_matches_subdomains);
	return 0;
    case LO_ACCESS_SENDER:
    case LO_ACCESS_RECIPIENT:
	if (*input == 0) {
	    /* check_sender_access looks the null sender up once, by name. */
	    if (kind == LO_ACCESS_RECIPIENT) {
		*err = "the null address is a sender only";
		return -1;
	    }
	    add_str(keys, s->null_access_key, FULL);
	    return 0;
	}
	addr = qualify(input, s);
	folded = casefold(addr, s->utf8);
	addr_keys(keys, folded, FIND_FULL | FIND_NOEXT | FIND_DOMAIN
		  | FIND_LOCALPART_AT | parent, s);
	free(folded);
	free(addr);
	return 0;
    case LO_ACCESS_EXACT:
	add_str(keys, input, FULL);
	return 0;
    case LO_ACCESS_ADDRESS:
	if (!valid_hostaddr(input, 0)) {
	    *err = "not an IPv4 or IPv6 address";
	    return -1;
	}
	ipaddr_keys(keys, input);
	return 0;
    }
    *err = "unknown lookup kind";
    return -1;
}

int lo_build(struct lo_keys *keys, enum lo_kind kind, const char *input,
	     const struct lo_settings *s, const char **err)
{
    texts_to_offsets(keys);
    int rc = build(keys, kind, input, s, err);
    texts_to_pointers(keys);
    return rc;
}

enum lo_outcome lo_run(const struct lo_keys *keys, const struct lo_tables *tables,
		       lo_report_fn report, void *ctx, struct lo_probe *last)
{
    for (size_t k = 0; k < keys->count; k++) {
	for (size_t t = 0; t < tables->count; t++) {
	    struct lo_probe probe = { &keys->keys[k], t, LO_MISS, NULL, NULL };

	    if (probe.key->partial && tables->pattern(tables->ctx, t)) {
		probe.outcome = LO_SKIP;
	    } else {
		probe.outcome = tables->lookup(tables->ctx, t, probe.key->text,
					       &probe.value, &probe.error);
		/* maps_find() calls an empty result a configuration error. */
		if (probe.outcome == LO_HIT && *probe.value == 0)
		    probe.outcome = LO_EMPTY;
		if (probe.outcome == LO_FAIL && probe.error == NULL)
		    probe.error = "lookup error";
		if (probe.outcome != LO_HIT && probe.outcome != LO_EMPTY)
		    probe.value = NULL;
	    }
	    if (report != NULL)
		report(ctx, &probe);
	    if (probe.outcome == LO_HIT || probe.outcome == LO_FAIL
		|| probe.outcome == LO_EMPTY) {
		if (last != NULL)
		    *last = probe;
		return probe.outcome;
	    }
	}
    }
    return LO_MISS;
}

const char *lo_kind_name(enum lo_kind kind)
{
    switch (kind) {
    case LO_ADDRESS:
	return "address";
    case LO_TRANSPORT:
	return "transport";
    case LO_ACCESS_CLIENT:
	return "access-client";
    case LO_ACCESS_DOMAIN:
	return "access-domain";
    case LO_ACCESS_SENDER:
	return "access-sender";
    case LO_ACCESS_RECIPIENT:
	return "access-recipient";
    case LO_ACCESS_EXACT:
	return "access-exact";
    case LO_ACCESS_ADDRESS:
	return "access-address";
    }
    return "unknown";
}

int lo_name_in_list(const char *list, const char *name)
{
    char *copy = xstrdup(list), *cp = copy, *item;
    int found = 0;

    while ((item = str_tokq(&cp, CHARS_COMMA_SP)) != NULL) {
	int match = 1;
	for (; *item == '!'; item++)
	    match = !match;
	if (strcasecmp(item, name) == 0) {
	    found = match;
	    break;
	}
    }
    free(copy);
    return found;
}
