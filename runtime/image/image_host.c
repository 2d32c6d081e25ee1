/*
 * image_host - the values of host-dependent settings on this host
 * (image_host.h): the pieces of a HOST run joined, each host piece
 * computed here as Postfix computes the parameter's default.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostinfo.h"
#include "image_host.h"
#include "strbuf.h"
#include "xalloc.h"

void image_host_init(struct image_host *host, const char *process_name, long process_id)
{
    memset(host, 0, sizeof(*host));
    host->process_name = process_name;
    host->process_id = process_id;
    host->service = IMG_NONE;
}

void image_host_free(struct image_host *host)
{
    free(host->mynetworks);
    host->mynetworks = NULL;
}

/*
 * param_value - parameter name's value on this host, as the host's
 * service sees it (its OVRD record, the last of the name, else PARM);
 * NULL with *err
 */
static char *param_value(const struct image *img, const char *name, struct image_host *host,
			 char **err)
{
    if (host->service < img->nservices) {
	const struct img_service *svc = &img->services[host->service];
	for (uint32_t k = svc->overrides_count; k-- > 0;) {
	    const struct img_setting *o = &img->overrides[svc->overrides_first + k];
	    if (strcmp(image_str(img, o->name), name) == 0)
		return image_setting_value(img, o, host, err);
	}
    }
    uint32_t i = image_param_find(img, name);

    if (i == IMG_NONE) {
	struct strbuf msg = STRBUF_INIT;
	sb_printf(&msg, "mynetworks: the image has no %s to compute it from", name);
	*err = sb_detach(&msg);
	return NULL;
    }
    return image_setting_value(img, &img->params[i], host, err);
}

/* piece_mydomain - for host_myhostname(): the piece's mydomain, if main.cf set one */
static char *piece_mydomain(void *ctx)
{
    const char *text = ctx;

    return *text ? xstrdup(text) : NULL;
}

/*
 * mynetworks - mynetworks' default on this host, from the image's
 * inet_interfaces, mynetworks_style and inet_protocols (whose own host
 * pieces never need mynetworks: the verifier refuses that)
 */
static const char *mynetworks(const struct image *img, struct image_host *host, char **err)
{
    static const char *const inputs[] = { "inet_interfaces", "mynetworks_style",
					  "inet_protocols" };
    char *value[3] = { NULL, NULL, NULL };

    if (host->mynetworks != NULL)
	return host->mynetworks;
    for (int i = 0; i < 3; i++)
	if ((value[i] = param_value(img, inputs[i], host, err)) == NULL)
	    break;
    if (value[2] != NULL)
	host->mynetworks = host_mynetworks(value[0], value[1], value[2], err);
    for (int i = 0; i < 3; i++)
	free(value[i]);
    return host->mynetworks;
}

char *image_setting_value(const struct image *img, const struct img_setting *s,
			  struct image_host *host, char **err)
{
    struct strbuf value = STRBUF_INIT;

    *err = NULL;
    if (!(s->flags & IMG_SETTING_HOST))
	return xstrdup(image_str(img, s->expanded));
    for (uint32_t i = 0; i < s->host_count; i++) {
	const struct img_host_piece *p = &img->host_pieces[s->host_first + i];
	const char *text = image_str(img, p->text);
	char *computed = NULL;
	const char *networks;

	switch (p->kind) {
	case IMG_HOST_TEXT:
	    sb_adds(&value, text);
	    break;
	case IMG_HOST_MYHOSTNAME:
	    sb_adds(&value, computed = host_myhostname(piece_mydomain, (void *) text));
	    break;
	case IMG_HOST_MYDOMAIN: {
	    char *hostname = host_myhostname(piece_mydomain, (void *) text);
	    sb_adds(&value, computed = host_mydomain(hostname));
	    free(hostname);
	    break;
	}
	case IMG_HOST_MYNETWORKS:
	    if ((networks = mynetworks(img, host, err)) == NULL) {
		sb_free(&value);
		return NULL;
	    }
	    sb_adds(&value, networks);
	    break;
	case IMG_HOST_PROCESS_NAME:
	    sb_adds(&value, host->process_name ? host->process_name : "");
	    break;
	case IMG_HOST_PROCESS_ID:
	    sb_printf(&value, "%ld", host->process_id);
	    break;
	}
	free(computed);
    }
    return sb_detach(&value);
}
