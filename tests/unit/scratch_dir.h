/*
 * scratch_dir - a unit test's own directory: made by mkdtemp() under
 * $TMPDIR (else /tmp), removed whole by the test's teardown.
 */
#ifndef SCRATCH_DIR_H
#define SCRATCH_DIR_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>

/* scratch_make - dir (cap bytes) made as $TMPDIR/NAME.XXXXXX: 0, or -1 */
static inline int scratch_make(char *dir, size_t cap, const char *name)
{
    const char *base = getenv("TMPDIR");
    int n = snprintf(dir, cap, "%s/%s.XXXXXX", base && *base ? base : "/tmp", name);

    /* A name cut short would not end in XXXXXX: say so rather than make another. */
    if (n < 0 || (size_t) n >= cap)
	return -1;
    return mkdtemp(dir) == NULL ? -1 : 0;
}

/* scratch_remove - dir and everything under it: 0, or -1 */
static inline int scratch_remove(const char *dir)
{
    char cmd[PATH_MAX + 16];

    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

#endif
