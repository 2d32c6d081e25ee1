/* policy - one service's view of a verified image (see policy.h) */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "diag.h"
#include "policy.h"
#include "strbuf.h"
#include "xalloc.h"

/* is_smtpd - does the service run smtpd (its command's first word)? */
static int is_smtpd(const struct image *img, const struct img_service *s)
{
    const char *cmd = image_str(img, s->command);
    size_t len = strcspn(cmd, " \t");

    return len == 5 && strncmp(cmd, "smtpd", 5) == 0;
}

/* service_matches - name is "NAME" or "NAME/TYPE" of s */
static int service_matches(const struct image *img, const struct img_service *s,
			   const char *name)
{
    const char *sname = image_str(img, s->name);
    size_t len = strlen(sname);

    if (strcmp(name, sname) == 0)
	return 1;
    return strncmp(name, sname, len) == 0 && name[len] == '/'
	&& strcmp(name + len + 1, image_str(img, s->type)) == 0;
}

int policy_open(struct policy *p, const struct image *img, const char *service, char **err)
{
    policy_open_main(p, img);
    for (uint32_t i = 0; i < img->nservices; i++) {
	const struct img_service *s = &img->services[i];
	int match = service != NULL ? service_matches(img, s, service)
	    : strcmp(image_str(img, s->type), "inet") == 0 && is_smtpd(img, s);
	if (match) {
	    p->service = i;
	    p->service_name = image_str(img, s->name);
	    return 0;
	}
    }
    if (service != NULL) {
	struct strbuf msg = STRBUF_INIT;
	sb_printf(&msg, "no service \"%s\" in master.cf (services:", service);
	for (uint32_t i = 0; i < img->nservices; i++)
	    sb_printf(&msg, " %s/%s", image_str(img, img->services[i].name),
		      image_str(img, img->services[i].type));
	sb_adds(&msg, ")");
	*err = sb_detach(&msg);
	policy_close(p);
	return -1;
    }
    return 0;
}

void policy_open_main(struct policy *p, const struct image *img)
{
    p->img = img;
    p->service = IMG_NONE;
    p->service_name = "";
    p->memo = xcalloc(1, sizeof(*p->memo));
}

void *policy_memo(const struct policy *p, enum policy_memo_slot slot, size_t size,
		  void (*release)(void *))
{
    /* A view built by hand has nowhere to keep what the engine derives. */
    if (p->memo == NULL)
	diag_fatal("policy_memo: the policy view was not made by policy_open()");
    if (p->memo->slot[slot] == NULL) {
	p->memo->slot[slot] = xcalloc(1, size);
	p->memo->release[slot] = release;
    }
    return p->memo->slot[slot];
}

void policy_close(struct policy *p)
{
    if (p->memo == NULL)
	return;
    for (int i = 0; i < MEMO_SLOTS; i++)
	if (p->memo->slot[i] != NULL)
	    p->memo->release[i](p->memo->slot[i]);
    free(p->memo);
    p->memo = NULL;
}

const struct img_setting *policy_setting(const struct policy *p, const char *name)
{
    const struct image *img = p->img;

    if (p->service != IMG_NONE) {
	const struct img_service *s = &img->services[p->service];
	/* The last -o of a name wins, as in the daemons. */
	for (uint32_t i = s->overrides_count; i-- > 0;) {
	    const struct img_setting *o = &img->overrides[s->overrides_first + i];
	    if (strcmp(image_str(img, o->name), name) == 0)
		return o;
	}
    }
    /* PARM is sorted by name, each name once. */
    uint32_t lo = 0, hi = img->nparams;
    while (lo < hi) {
	uint32_t mid = lo + (hi - lo) / 2;
	int c = strcmp(name, image_str(img, img->params[mid].name));
	if (c == 0)
	    return &img->params[mid];
	if (c < 0)
	    hi = mid;
	else
	    lo = mid + 1;
    }
    return NULL;
}

const char *policy_value(const struct policy *p, const char *name)
{
    const struct img_setting *s = policy_setting(p, name);

    return s != NULL ? image_str(p->img, s->expanded) : "";
}

int policy_bool(const struct policy *p, const char *name)
{
    return strcasecmp(policy_value(p, name), "yes") == 0;
}

long policy_int(const struct policy *p, const char *name, long fallback)
{
    const char *value = policy_value(p, name);
    char *end;

    if (*value == 0 || !isdigit((unsigned char) *value))
	return fallback;
    errno = 0;
    long n = strtol(value, &end, 10);
    return *end == 0 && errno == 0 ? n : fallback;
}

long policy_time(const struct policy *p, const char *name, int def_unit, long fallback)
{
    const char *value = policy_value(p, name);
    char *end;

    if (!isdigit((unsigned char) *value))
	return fallback;
    errno = 0;
    long n = strtol(value, &end, 10);
    if (errno != 0)
	return fallback;
    /* conv_time(): one unit letter, and whatever follows it is ignored. */
    int unit = *end ? *end : def_unit;
    long scale = unit == 's' ? 1 : unit == 'm' ? 60 : unit == 'h' ? 3600
	: unit == 'd' ? 86400 : unit == 'w' ? 604800 : 0;
    if (scale == 0 || n > LONG_MAX / scale)
	return fallback;
    return n * scale;
}

const uint32_t *policy_tables(const struct policy *p, const char *name, uint32_t *count)
{
    const struct img_setting *s = policy_setting(p, name);

    if (s == NULL || s->refs_count == 0) {
	*count = 0;
	return NULL;
    }
    *count = s->refs_count;
    return p->img->refs + s->refs_first;
}

uint32_t policy_program(const struct policy *p, const char *name)
{
    const struct image *img = p->img;
    uint32_t found = IMG_NONE;

    /* PROG is sorted by (name, service), main.cf's (IMG_NONE) last. */
    for (uint32_t i = 0; i < img->nprograms; i++) {
	const struct img_program *prog = &img->programs[i];
	if (strcmp(image_str(img, prog->name), name) != 0)
	    continue;
	if (prog->service == p->service && p->service != IMG_NONE)
	    return i;
	if (prog->service == IMG_NONE)
	    found = i;
    }
    return found;
}
