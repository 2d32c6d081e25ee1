/* registry - look up built-in parameters in the generated, sorted table */
#include <stdlib.h>
#include <string.h>

#include "registry.h"

static int compare(const void *key, const void *entry)
{
    return strcmp((const char *) key, ((const struct param_def *) entry)->name);
}

const struct param_def *registry_find(const char *name)
{
    return bsearch(name, param_table, param_table_size, sizeof(param_table[0]),
		   compare);
}
