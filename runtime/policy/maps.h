/*
 * maps - lookups in the tables a parameter names, as Postfix's maps_find()
 * and mail_addr_find() do them, answered from the image: the key orders
 * are lookup_order.h's, the tables the image's (image_lookup()), every
 * probe reported to the session's trace.
 *
 * Postfix semantics kept here: the first table that answers wins; a key
 * that is only part of the input (user@, the domain, a parent domain) is
 * never sent to a regexp, pcre or cidr table (DICT_FLAG_FIXED), nor to a
 * fail: table, nor to a unionmap or pipemap whose first member is one of
 * those; an empty answer is a configuration error, as a failed lookup:
 * the search stops with MAPS_FAIL. Address lookups try the external
 * (quoted) form of an address first and the internal form after it, as
 * mail_addr_find() does.
 *
 * Answers (*value, *matched_key, *extension) live in the session's
 * working space and stay valid until the session's next lookup.
 */
#ifndef PFC_MAPS_H
#define PFC_MAPS_H

#include <stdint.h>

#include "lookup_order.h"
#include "session.h"

/* Results, as Postfix's: found, not found, or the lookup failed. */
#define MAPS_FOUND	0
#define MAPS_NOTFOUND	1
#define MAPS_FAIL	(-1)

/*
 * maps_find_tables - look key up in tables[0..count) (image table
 * indexes) the way maps_find() does: each table in turn, the first that
 * answers wins. *value stays valid until the next lookup in the same
 * session. fixed_only: a partial key that pattern tables never see.
 */
int maps_find_tables(struct session *s, const uint32_t *tables, uint32_t count,
		     const char *key, int fixed_only, const char **value);

/*
 * maps_find - the same over the tables of parameter param as the
 * session's policy sees it (alias_maps, virtual_alias_maps, ...).
 */
int maps_find(struct session *s, const char *param, const char *key, const char **value);

/*
 * maps_addr_find - mail_addr_find() with kind's key order (LO_ADDRESS,
 * LO_TRANSPORT, LO_ACCESS_*) over the tables of param, or over tables[]
 * when param is NULL; lookup_order.h's settings come from the policy.
 * *matched_key, when not NULL, gets the key that answered (until the next
 * lookup). LO_ADDRESS and LO_TRANSPORT take the address in internal form
 * and try each key quoted, then as it is (mail_addr_find()'s query form);
 * the access kinds look keys up as they are, as smtpd's checks do.
 */
int maps_addr_find(struct session *s, const char *param, const uint32_t *tables,
		   uint32_t count, enum lo_kind kind, const char *address,
		   const char **value, const char **matched_key);

/* maps_settings - lookup_order.h's settings as the session's policy has them */
void maps_settings(struct session *s, struct lo_settings *settings, int parent_style);

/* ---------------------------------------------------------------------
 * For the rest of the engine (matchlist.c, resolve.c, rewrite.c).
 */

/*
 * maps_probe - one lookup of key in table, reported to the trace, with
 * no policy about empty answers (match lists count any answer as a
 * match). IMAGE_FOUND, IMAGE_NOTFOUND or IMAGE_FAIL (IMAGE_* of loader.h).
 */
int maps_probe(struct session *s, uint32_t table, const char *key, const char **value);

/* maps_table_is_pattern - does table see whole strings only (not DICT_FLAG_FIXED)? */
int maps_table_is_pattern(const struct image *img, uint32_t table);

/* mail_addr_find()'s query forms */
#define MAPS_QUERY_EXTERNAL_FIRST 0	/* mail_addr_find(): quoted, then as is */
#define MAPS_QUERY_EXTERNAL	1	/* canonical, virtual: quoted only */

/*
 * maps_addr_find_in - mail_addr_find() as the process whose view is view
 * does it (its recipient_delimiter, myorigin, mydestination ...) over the
 * tables of param in that view, with query form query. *extension, when
 * not NULL, gets the address extension (with its delimiter) when the key
 * that answered had it stripped, else NULL: what propagate_unmatched_
 * extensions carries over.
 */
int maps_addr_find_in(struct session *s, const struct policy *view, const char *param,
		      enum lo_kind kind, int query, const char *address,
		      const char **value, const char **extension);

/* maps_settings_in - lookup_order.h's settings of view */
void maps_settings_in(struct session *s, const struct policy *view,
		      struct lo_settings *settings, int parent_style);

/* maps_note - tell the trace (printf-style; nothing when nobody listens) */
void maps_note(struct session *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* maps_scratch_free - the session's working space (session_free() calls it) */
struct maps_scratch;
void maps_scratch_free(struct maps_scratch *scratch);

#endif
