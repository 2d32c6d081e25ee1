/* casefold - look code points up in the generated Unicode folding table */
#include <stdlib.h>

#include "casefold.h"

static int compare(const void *key, const void *entry)
{
    uint32_t c = *(const uint32_t *) key, from = ((const struct casefold *) entry)->from;

    return c < from ? -1 : c > from;
}

const struct casefold *casefold_find(uint32_t c)
{
    return bsearch(&c, casefold_table, casefold_table_size, sizeof(casefold_table[0]),
		   compare);
}
