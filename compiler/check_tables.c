/* check_tables - placeholder until the rules land */
#include "check.h"

void check_tables(struct check *cx)
{
    (void) cx;
}

void check_table_ref(struct check *cx, const char *spec, enum table_need need,
		     enum pattern_role role, const char *param, const char *path,
		     const struct cf_logical_line *where, size_t offset)
{
    (void) cx, (void) spec, (void) need, (void) role, (void) param, (void) path;
    (void) where, (void) offset;
}
