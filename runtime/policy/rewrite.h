/*
 * rewrite - what cleanup(8) does to envelope addresses before a message
 * is queued, from the image: canonical_maps, sender_canonical_maps and
 * recipient_canonical_maps (one-to-one, with canonical_classes and
 * friends), masquerade_domains, and virtual alias expansion (one-to-many,
 * recursive up to virtual_alias_recursion_limit, expansion_limit, with
 * address extensions carried over when propagate_unmatched_extensions
 * says so), as cleanup_map11.c, cleanup_map1n.c and cleanup_masquerade.c
 * do it.
 */
#ifndef PFC_REWRITE_H
#define PFC_REWRITE_H

#include <stddef.h>

#include "session.h"

/*
 * The addresses a recipient expands to, in order, without duplicates;
 * clean: the recipient before virtual alias expansion (cleanup's
 * clean_addr, which its DSN original recipient defaults to).
 */
struct rewrite_list {
    char **addrs;
    size_t count, cap;
    char *clean;
};

void rewrite_list_free(struct rewrite_list *list);

/*
 * rewrite_sender - the envelope sender after cleanup's local-context
 * rewrite, MAILER-DAEMON@$myorigin made the null sender, canonical
 * mapping and masquerading (a new string). A lookup that fails leaves
 * the address as far as it got (cleanup would then refuse the message:
 * the trace says so).
 *
 * The parameters are those of the cleanup service the session's smtpd
 * hands mail to (its cleanup_service_name in master.cf, with that
 * service's -o overrides), and of the trivial-rewrite service that
 * cleanup asks; receive_override_options=no_address_mappings of the
 * smtpd turns mapping and masquerading off, as in Postfix.
 */
char *rewrite_sender(struct session *s, const char *sender);

/*
 * rewrite_recipient - the envelope recipients one recipient (internal
 * form) becomes: the local-context rewrite, canonical mapping,
 * masquerading, then virtual alias expansion, duplicates (ignoring case)
 * dropped. Returns 0, or -1 with the reason in *err (a table failed, a
 * loop, too many addresses: cleanup's own words; the caller frees it)
 * when cleanup would not accept the message; out then holds the
 * recipient as it was before expansion.
 */
int rewrite_recipient(struct session *s, const char *recipient,
		      struct rewrite_list *out, char **err);

#endif
