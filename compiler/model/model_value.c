/*
 * model_value - the resolver over a model (model.h): a parameter's value
 * as a Postfix daemon of one view sees it. A daemon reads main.cf, its
 * master.cf -o overrides go into the same dictionary, and then every
 * value, a default too, is expanded in that dictionary: so a value that
 * names an overridden parameter changes with it, service by service.
 *
 * The defaults Postfix computes on its host are computed here the same
 * way, for the view that asks: myhostname (the host's name; without a
 * dot, followed by the view's mydomain as set, expanded with what is set
 * alone, as mail_params.c reads it before any default exists),
 * mydomain (from the view's myhostname), mynetworks (from the view's
 * inet_interfaces, mynetworks_style and inet_protocols), process_name.
 * Each is computed once per input and kept in the model's memo.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "expand.h"
#include "hostinfo.h"
#include "model.h"
#include "strbuf.h"
#include "xalloc.h"

const char *model_override(const struct model_service *svc, const char *name)
{
    for (size_t i = svc->noverrides; i-- > 0;)
	if (strcmp(svc->overrides[i].name, name) == 0)
	    return svc->overrides[i].value;
    return NULL;
}

const char *model_set(const struct model *m, const struct model_service *svc,
		      const char *name)
{
    const char *value;

    if (svc != NULL) {
	if ((value = model_override(svc, name)) != NULL)
	    return value;
	if ((value = strmap_get(&svc->entry->ro_params, name)) != NULL)
	    return value;
    }
    return setting_value(&m->main, name);
}

/* ------------------------------------------------------------ host values */

/* remembered - the memo's value for key, or NULL */
static const char *remembered(const struct model *m, const char *key)
{
    return strmap_get(&m->memo->computed, key);
}

static const char *remember(const struct model *m, const char *key, char *value)
{
    free(strmap_put(&m->memo->computed, key, value));
    return value;
}

struct set_view {
    const struct model *m;
    const struct model_service *svc;
};

static const char *lookup_set(const char *name, int mode, void *ctx)
{
    const struct set_view *v = ctx;

    (void) mode;
    return model_set(v->m, v->svc, name);
}

char *model_set_value(const struct model *m, const struct model_service *svc,
		      const char *name)
{
    struct set_view v = { m, svc };
    const char *raw = model_set(m, svc, name);
    struct strbuf buf = STRBUF_INIT;

    if (raw == NULL)
	return NULL;
    if (expand(&buf, raw, EXPAND_RECURSE, lookup_set, &v) & EXPAND_ERROR)
	sb_set(&buf, raw);
    return sb_detach(&buf);
}

/* view_mydomain - for host_myhostname(): the view's mydomain as set */
static char *view_mydomain(void *ctx)
{
    const struct set_view *v = ctx;

    return model_set_value(v->m, v->svc, "mydomain");
}

/* host_default - the default of a PFLAG_HOST name the view leaves unset, or NULL */
static const char *host_default(const struct model *m, const struct model_service *svc,
				const char *name)
{
    struct set_view v = { m, svc };
    struct strbuf key = STRBUF_INIT;
    const char *value = NULL;
    int failed;			/* a value that does not expand is used as it is */

    if (strcmp(name, "myhostname") == 0) {
	char *domain = view_mydomain(&v);
	sb_printf(&key, "myhostname\n%s", domain ? domain : "\n");
	free(domain);
	if ((value = remembered(m, key.s)) == NULL)
	    value = remember(m, key.s, host_myhostname(view_mydomain, &v));
    } else if (strcmp(name, "mydomain") == 0) {
	char *hostname = model_value(m, svc, "myhostname", &failed);
	sb_printf(&key, "mydomain\n%s", hostname);
	if ((value = remembered(m, key.s)) == NULL)
	    value = remember(m, key.s, host_mydomain(hostname));
	free(hostname);
    } else if (strcmp(name, "mynetworks") == 0) {
	char *ifaces = model_value(m, svc, "inet_interfaces", &failed);
	char *style = model_value(m, svc, "mynetworks_style", &failed);
	char *protocols = model_value(m, svc, "inet_protocols", &failed);
	char *err;
	sb_printf(&key, "mynetworks\n%s\n%s\n%s", ifaces, style, protocols);
	if ((value = remembered(m, key.s)) == NULL) {
	    char *networks = host_mynetworks(ifaces, style, protocols, &err);
	    if (networks == NULL)
		diag_fatal("%s", err);
	    value = remember(m, key.s, networks);
	}
	free(ifaces);
	free(style);
	free(protocols);
    } else if (strcmp(name, "process_name") == 0) {
	value = diag_program();
    }
    sb_free(&key);
    return value;
}

/* ------------------------------------------------------------ values */

const char *model_raw(const struct model *m, const struct model_service *svc,
		      const char *name)
{
    const char *value = model_set(m, svc, name);
    const struct param_def *def;

    if (value != NULL)
	return value;
    if ((def = registry_find(name)) == NULL)
	return NULL;
    if ((def->flags & PFLAG_HOST) && (value = host_default(m, svc, name)) != NULL)
	return value;
    return def->defval;
}

static const char *lookup_raw(const char *name, int mode, void *ctx)
{
    const struct set_view *v = ctx;

    (void) mode;
    return model_raw(v->m, v->svc, name);
}

char *model_expand(const struct model *m, const struct model_service *svc,
		   const char *raw, int *failed)
{
    struct set_view v = { m, svc };
    struct strbuf buf = STRBUF_INIT;
    int status = expand(&buf, raw, EXPAND_RECURSE, lookup_raw, &v);

    if (status & EXPAND_ERROR) {
	if (failed == NULL)
	    diag_fatal("dictionary mail_dict: macro processing error");
	*failed = 1;
	sb_set(&buf, raw);
    } else if (failed != NULL) {
	*failed = 0;
    }
    return sb_detach(&buf);
}

char *model_value(const struct model *m, const struct model_service *svc,
		  const char *name, int *failed)
{
    const char *raw = model_raw(m, svc, name);
    const struct param_def *def = registry_find(name);

    if (failed != NULL)
	*failed = 0;
    if (raw == NULL)
	return NULL;
    if (def != NULL && (def->flags & PFLAG_RAW))
	return xstrdup(raw);
    return model_expand(m, svc, raw, failed);
}

int model_bool(const struct model *m, const char *name)
{
    char *value = model_value(m, NULL, name, NULL);
    int yes = value != NULL && strcasecmp(value, "yes") == 0;

    free(value);
    return yes;
}

long model_long(const struct model *m, const char *name, long fallback)
{
    char *value = model_value(m, NULL, name, NULL), *end;
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
