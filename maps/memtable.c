/* memtable - a strmap dressed as a read-only fixed-key table */
#include <stdlib.h>

#include "memtable.h"
#include "xalloc.h"

static int memtable_lookup(struct dict *dict, const char *key, const char **value)
{
    struct memtable *mt = (struct memtable *) dict;

    *value = strmap_get(&mt->entries, dict_fold(dict, key, &mt->fold_buf));
    return *value ? DICT_FOUND : DICT_NOTFOUND;
}

static int memtable_sequence(struct dict *dict, int first, const char **key,
			     const char **value)
{
    struct memtable *mt = (struct memtable *) dict;
    struct strmap_slot *slot;

    if (first)
	mt->seq_pos = 0;
    if ((slot = strmap_next(&mt->entries, &mt->seq_pos)) == NULL)
	return DICT_NOTFOUND;
    *key = slot->key;
    *value = slot->value;
    return DICT_FOUND;
}

static int memtable_close(struct dict *dict, char **err)
{
    struct memtable *mt = (struct memtable *) dict;

    (void) err;
    strmap_free(&mt->entries, free);
    sb_free(&mt->fold_buf);
    dict_free(dict);
    return 0;
}

struct memtable *memtable_open(const struct dict_type *type, const char *name,
			       unsigned flags)
{
    struct memtable *mt = (struct memtable *) dict_alloc(type, name, flags, sizeof(*mt));

    strmap_init(&mt->entries);
    mt->dict.lookup = memtable_lookup;
    mt->dict.sequence = memtable_sequence;
    mt->dict.close = memtable_close;
    return mt;
}

int memtable_put(struct memtable *mt, const char *key, const char *value, int replace)
{
    const char *folded = dict_fold(&mt->dict, key, &mt->fold_buf);

    if (strmap_has(&mt->entries, folded) && !replace)
	return 1;
    free(strmap_put(&mt->entries, folded, xstrdup(value)));
    return 0;
}
