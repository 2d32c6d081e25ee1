/*
 * conf - the name analysis of "pfc conf" (postconf -n) for other commands:
 * which main.cf and master.cf -o names Postfix does not know or use, and
 * which $names are undefined, with postconf's own rules (SPEC 3.2).
 */
#ifndef PFC_CONF_H
#define PFC_CONF_H

#include <stddef.h>

#include "model.h"

#define CONF_MAIN_SCOPE ((size_t) -1)	/* main.cf, not a master.cf entry */

struct conf_name_hooks {
    /* scope: CONF_MAIN_SCOPE or the index of the master.cf entry */
    void (*unused)(void *ctx, size_t scope, const char *name, const char *value);
    void (*undefined)(void *ctx, size_t scope, const char *name);
    void *ctx;
};

/*
 * conf_scan_names - the names of m's main.cf and master.cf as postconf
 * -n judges them, reported through hooks instead of warned about.
 * Expansion errors are not fatal here; other warnings go to diag_warn().
 * A later call forgets the earlier one's state.
 */
void conf_scan_names(const struct model *m, const struct conf_name_hooks *hooks);

#endif
