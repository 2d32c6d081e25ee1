/* config - main.cf over the registry defaults, with $name expansion */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "diag.h"
#include "expand.h"
#include "hostinfo.h"
#include "main_cf.h"
#include "registry.h"
#include "sysroot.h"
#include "xalloc.h"

#define DEFAULT_CONFIG_DIR "/etc/postfix"

struct config *config_load(const char *dir)
{
    struct config *cfg = xcalloc(1, sizeof(*cfg));

    if (dir == NULL && (dir = getenv("MAIL_CONFIG")) == NULL)
	dir = DEFAULT_CONFIG_DIR;
    cfg->dir = xstrdup(dir);
    strmap_init(&cfg->settings);
    char *deployed = xconcat(dir, "/main.cf", (char *) NULL);
    char *path = sysroot_path(deployed);
    if (mainconf_load(path, &cfg->settings, NULL) < 0)
	diag_fatal("open %s: %s", path, strerror(errno));
    free(path);
    free(deployed);
    if (strcmp(dir, DEFAULT_CONFIG_DIR) != 0)
	setting_put(&cfg->settings, "config_directory", dir, 0);
    return cfg;
}

/* main_value - a main.cf setting with $name expanded, or NULL */
static char *main_value(const struct config *cfg, const char *name)
{
    return setting_value(&cfg->settings, name) ? config_value(cfg, name) : NULL;
}

/* main_mydomain - for host_myhostname(): main.cf's mydomain, expanded */
static char *main_mydomain(void *cfg)
{
    return main_value(cfg, "mydomain");
}

/*
 * host_default - the defaults Postfix computes from the host. Like
 * Postfix, myhostname consults only a main.cf mydomain (never its
 * default, which is derived from myhostname).
 */
static const char *host_default(const struct config *cfg, const char *name)
{
    static char *hostname, *domain, *networks;

    if (strcmp(name, "myhostname") == 0) {
	if (hostname == NULL)
	    hostname = host_myhostname(main_mydomain, (void *) cfg);
	return hostname;
    }
    if (strcmp(name, "mydomain") == 0) {
	if (domain == NULL) {
	    char *myhostname = main_value(cfg, "myhostname");
	    domain = host_mydomain(myhostname ? myhostname : host_default(cfg, "myhostname"));
	    free(myhostname);
	}
	return domain;
    }
    if (strcmp(name, "mynetworks") == 0) {
	if (networks == NULL) {
	    char *ifaces = config_value(cfg, "inet_interfaces");
	    char *style = config_value(cfg, "mynetworks_style");
	    char *protocols = config_value(cfg, "inet_protocols");
	    char *err;
	    if ((networks = host_mynetworks(ifaces, style, protocols, &err)) == NULL)
		diag_fatal("%s", err);
	    free(ifaces);
	    free(style);
	    free(protocols);
	}
	return networks;
    }
    if (strcmp(name, "process_name") == 0)
	return diag_program();
    return NULL;
}

const char *config_raw(const struct config *cfg, const char *name)
{
    const char *value = setting_value(&cfg->settings, name);
    const struct param_def *def;

    if (value != NULL)
	return value;
    if ((def = registry_find(name)) == NULL)
	return NULL;
    if (def->flags & PFLAG_HOST) {
	const char *computed = host_default(cfg, name);
	if (computed != NULL)
	    return computed;
    }
    return def->defval;
}

static const char *lookup(const char *name, int mode, void *ctx)
{
    (void) mode;
    return config_raw(ctx, name);
}

char *config_value(const struct config *cfg, const char *name)
{
    const char *raw = config_raw(cfg, name);
    const struct param_def *def = registry_find(name);
    struct strbuf buf = STRBUF_INIT;

    if (raw == NULL)
	return NULL;
    if (def != NULL && (def->flags & PFLAG_RAW))
	return xstrdup(raw);
    if (expand(&buf, raw, EXPAND_RECURSE, lookup, (void *) cfg) & EXPAND_ERROR) {
	if (!cfg->keep_going)
	    diag_fatal("dictionary mail_dict: macro processing error");
	sb_set(&buf, raw);
    }
    return sb_detach(&buf);
}

int config_bool(const struct config *cfg, const char *name)
{
    char *value = config_value(cfg, name);
    int yes = value != NULL && strcasecmp(value, "yes") == 0;

    free(value);
    return yes;
}

long config_long(const struct config *cfg, const char *name, long fallback)
{
    char *value = config_value(cfg, name), *end;
    long result = fallback;

    if (value != NULL && *value != 0) {
	errno = 0;
	long n = strtol(value, &end, 10);
	if (*end == 0 && errno == 0)
	    result = n;
    }
    free(value);
    return result;
}

void config_free(struct config *cfg)
{
    if (cfg != NULL) {
	strmap_free(&cfg->settings, setting_free);
	free(cfg->dir);
	free(cfg);
    }
}
