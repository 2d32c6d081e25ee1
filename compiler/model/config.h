/*
 * config - a configuration as Postfix daemons see it: main.cf settings
 * over the built-in defaults, $name expanded. For the tools that use a
 * configuration (pfc alias, newaliases, lookup) rather than show it.
 */
#ifndef PFC_CONFIG_H
#define PFC_CONFIG_H

#include "strmap.h"

struct config {
    char *dir;			/* the configuration directory */
    struct strmap settings;	/* main.cf: name -> struct setting */
    /*
     * keep_going - a value that does not expand is used as it is, instead
     * of Postfix's fatal error (the linter reports it, and goes on).
     */
    int keep_going;
};

/*
 * config_load - read DIR/main.cf ($MAIL_CONFIG or /etc/postfix when dir is
 * NULL). A missing main.cf is fatal, in postmap's words.
 */
struct config *config_load(const char *dir);
/* config_raw - the unexpanded value: main.cf, else the default; NULL if unknown */
const char *config_raw(const struct config *cfg, const char *name);
/*
 * config_value - the expanded value (a new string), as a daemon uses it:
 * undefined names expand to nothing; a syntax error is fatal. NULL when
 * the parameter is neither set nor built in.
 */
char *config_value(const struct config *cfg, const char *name);
/* config_bool - a boolean parameter is "yes" (in any case) */
int config_bool(const struct config *cfg, const char *name);
/* config_long - a numeric parameter, or fallback when it is not a number */
long config_long(const struct config *cfg, const char *name, long fallback);
void config_free(struct config *cfg);

#endif
