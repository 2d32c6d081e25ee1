/*
 * maps - lookups in the tables a parameter names, as Postfix's maps_find()
 * and mail_addr_find() do them, answered from the image: the key orders
 * are lookup_order.h's, the tables the image's (image_lookup()), every
 * probe reported to the session's trace.
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
 * lookup).
 */
int maps_addr_find(struct session *s, const char *param, const uint32_t *tables,
		   uint32_t count, enum lo_kind kind, const char *address,
		   const char **value, const char **matched_key);

/* maps_settings - lookup_order.h's settings as the session's policy has them */
void maps_settings(struct session *s, struct lo_settings *settings, int parent_style);

#endif
