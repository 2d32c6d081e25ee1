/*
 * lookup_order - the keys Postfix 3.7 tries, in order, when a daemon looks
 * something up in a list of tables (SPEC 8), and the walk over the tables
 * that tries them.
 *
 * A search is a list of probe keys, each "full" (sent to every table) or
 * "partial" (sent only to fixed-key tables: regexp, pcre and cidr see only
 * the whole string). lo_run() tries each key in every table before the
 * next key (key-major, as Postfix's maps_find()), and the first table that
 * answers ends the search, whatever its answer: an access entry whose value
 * is DUNNO stops the search as firmly as REJECT does (SPEC 8.3), so a
 * client hostname entry hides every entry for its IP address.
 *
 * The key orders come from Postfix's mail_addr_find() (address tables),
 * transport_lookup() (transport_maps) and smtpd_check.c's
 * check_namadr_access(), check_domain_access() and check_mail_access()
 * (access tables). Not modelled: the retry with the internal (unquoted)
 * address form after the external one; callers pass addresses as they
 * appear in the tables.
 */
#ifndef PFC_LOOKUP_ORDER_H
#define PFC_LOOKUP_ORDER_H

#include <stddef.h>

#include "strbuf.h"

enum lo_kind {
    /*
     * mail_addr_find() with its default strategy: virtual_alias_maps,
     * canonical_maps, sender_/recipient_canonical_maps, relocated_maps,
     * sender_dependent_*_maps, sender_/recipient_bcc_maps.
     */
    LO_ADDRESS,
    LO_TRANSPORT,		/* transport_maps: address, domains, then "*" */
    LO_ACCESS_CLIENT,		/* check_client_access: "name[addr]" or "addr" */
    LO_ACCESS_DOMAIN,		/* check_helo_access, check_etrn_access */
    LO_ACCESS_SENDER,		/* check_sender_access: "" is the null sender */
    LO_ACCESS_RECIPIENT,	/* check_recipient_access */
    LO_ACCESS_EXACT,		/* check_sasl_access, check_ccert_access */
    LO_ACCESS_ADDRESS,		/* check_*_{mx,ns,a}_access hosts: an address and its networks */
};

/* The configuration a key order depends on. */
struct lo_settings {
    const char *recipient_delimiter;	/* a set of characters; "" for none */
    /*
     * The parameter is listed in parent_domain_matches_subdomains
     * (transport_maps for LO_TRANSPORT, smtpd_access_maps for access):
     * parent keys are "example.com" rather than ".example.com".
     */
    int parent_matches_subdomains;
    const char *null_access_key;	/* smtpd_null_access_lookup_key */
    /*
     * LO_ADDRESS: the key for the null sender (the sender_dependent_*
     * maps' empty_address_*_lookup_key), or NULL: no lookup at all.
     */
    const char *null_address_key;
    /* Access and transport addresses without @domain get "@" myorigin. */
    const char *myorigin;
    int owner_request_special;		/* owner-foo, foo-request stay whole */
    const char *double_bounce_sender;	/* never split at a delimiter */
    int utf8;				/* smtputf8_enable: UTF-8 case folding */
    /*
     * is_local - LO_ADDRESS: is the domain in $mydestination, or an
     * [address] of $inet_interfaces or $proxy_interfaces (Postfix's
     * resolve_local())? If so, or if it is $myorigin, the bare localpart
     * is tried too. NULL: only $myorigin counts.
     */
    int (*is_local)(const char *domain, void *ctx);
    void *local_ctx;
};

/* lo_settings_init - Postfix's defaults, no local domains */
void lo_settings_init(struct lo_settings *s);

struct lo_key {
    char *text;
    int partial;		/* only fixed-key tables see it */
};

struct lo_keys {
    struct lo_key *keys;
    size_t count;
    size_t cap;
    struct strbuf texts;	/* the keys' texts, one after another: one allocation */
};

#define LO_KEYS_INIT { NULL, 0, 0, STRBUF_INIT }

/*
 * lo_build - the probe keys for input, in order (appended to keys, which
 * starts as LO_KEYS_INIT). Returns 0, or -1 with *err (static text) for input that
 * the kind cannot take (a client that is neither "name[addr]" nor an
 * address). Empty keys are never produced: Postfix skips them.
 */
int lo_build(struct lo_keys *keys, enum lo_kind kind, const char *input,
	     const struct lo_settings *s, const char **err);
void lo_keys_free(struct lo_keys *keys);

enum lo_outcome {
    LO_MISS,			/* the table has no such key */
    LO_HIT,			/* found: the search ends */
    LO_SKIP,			/* a partial key, not sent to a pattern table */
    LO_FAIL,			/* the lookup failed: the search ends */
    LO_EMPTY,			/* found an empty value: Postfix's error */
};

/*
 * The tables of a search, as the caller holds them (dict handles for the
 * tools that read sources, image tables for the engine): count tables,
 * numbered from 0. pattern(ctx, i): table i sees whole strings only
 * (regexp, pcre, cidr). lookup(ctx, i, key, &value, &error): LO_HIT with
 * *value, LO_MISS, or LO_FAIL with *error.
 */
struct lo_tables {
    size_t count;
    int (*pattern)(void *ctx, size_t i);
    enum lo_outcome (*lookup)(void *ctx, size_t i, const char *key,
			      const char **value, const char **error);
    void *ctx;
};

struct lo_probe {
    const struct lo_key *key;
    size_t table;		/* its index in the search's tables */
    enum lo_outcome outcome;
    const char *value;		/* LO_HIT, LO_EMPTY: the table's value */
    const char *error;		/* LO_FAIL: the table's message */
};

typedef void (*lo_report_fn)(void *ctx, const struct lo_probe *probe);

/*
 * lo_run - try the keys over the tables, key-major, reporting every probe
 * (skips included). Returns the outcome that ended the search (LO_HIT,
 * LO_FAIL, LO_EMPTY) with *last set to that probe, or LO_MISS.
 */
enum lo_outcome lo_run(const struct lo_keys *keys, const struct lo_tables *tables,
		       lo_report_fn report, void *ctx, struct lo_probe *last);

/*
 * lo_strip_extension - the address without its extension (strip_addr():
 * from the first recipient_delimiter character to the '@', where
 * split_addr() allows it), or NULL when it has none. A new string.
 */
char *lo_strip_extension(const char *addr, const struct lo_settings *s);

/* lo_kind_name - "address", "transport", "access-client", ... */
const char *lo_kind_name(enum lo_kind kind);

/*
 * lo_name_in_list - Postfix's string_list match of a parameter name in a
 * list such as parent_domain_matches_subdomains: case-insensitive, the
 * first element that matches decides, "!name" excludes.
 */
int lo_name_in_list(const char *list, const char *name);

#endif
