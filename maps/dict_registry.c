/*
 * dict_registry - every table type a configuration can name: the ones pfc
 * serves, one file each, and the ones it knows by name only, which
 * dict_open() refuses with one clear message instead of failing later.
 */
#include <string.h>

#include "dict.h"

extern const struct dict_type dict_type_hash, dict_type_btree, dict_type_texthash,
    dict_type_inline, dict_type_static, dict_type_fail, dict_type_unionmap,
    dict_type_pipemap, dict_type_regexp, dict_type_pcre, dict_type_cidr;

#define UNSUPPORTED(name) \
    static const struct dict_type unsupported_##name = \
	{ #name, DICT_CAP_UNSUPPORTED, NULL, NULL }

UNSUPPORTED(cdb);
UNSUPPORTED(environ);
UNSUPPORTED(internal);
UNSUPPORTED(ldap);
UNSUPPORTED(lmdb);
UNSUPPORTED(memcache);
UNSUPPORTED(mongodb);
UNSUPPORTED(mysql);
UNSUPPORTED(nis);
UNSUPPORTED(nisplus);
UNSUPPORTED(pgsql);
UNSUPPORTED(proxy);
UNSUPPORTED(randmap);
UNSUPPORTED(sdbm);
UNSUPPORTED(socketmap);
UNSUPPORTED(sqlite);
UNSUPPORTED(tcp);
UNSUPPORTED(unix);
UNSUPPORTED(dbm);

static const struct dict_type *const registry[] = {
    &dict_type_btree, &dict_type_cidr, &dict_type_fail, &dict_type_hash,
    &dict_type_inline, &dict_type_pcre, &dict_type_pipemap, &dict_type_regexp,
    &dict_type_static, &dict_type_texthash, &dict_type_unionmap,
    &unsupported_cdb, &unsupported_dbm, &unsupported_environ,
    &unsupported_internal, &unsupported_ldap, &unsupported_lmdb,
    &unsupported_memcache, &unsupported_mongodb, &unsupported_mysql,
    &unsupported_nis, &unsupported_nisplus, &unsupported_pgsql,
    &unsupported_proxy, &unsupported_randmap, &unsupported_sdbm,
    &unsupported_socketmap, &unsupported_sqlite, &unsupported_tcp,
    &unsupported_unix,
    NULL,
};

const struct dict_type *dict_type_find(const char *name)
{
    for (const struct dict_type *const *tp = registry; *tp; tp++)
	if (strcmp((*tp)->name, name) == 0)
	    return *tp;
    return NULL;
}
