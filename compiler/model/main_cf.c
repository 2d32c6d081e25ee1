/* mainconf - main.cf reader on top of the shared logical-line reader */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "main_cf.h"
#include "textutil.h"
#include "xalloc.h"

struct load_state {
    const char *path;
    struct strmap *dict;
    const struct mainconf_hooks *hooks;
};

void setting_free(void *ptr)
{
    struct setting *s = ptr;

    if (s != NULL) {
	free(s->value);
	free(s);
    }
}

void setting_put(struct strmap *dict, const char *name, const char *value,
		 int line)
{
    static unsigned long next_seq;
    struct setting *s = xmalloc(sizeof(*s));
    const struct setting *old = strmap_get(dict, name);

    s->value = xstrdup(value);
    s->line = line;
    s->seq = old != NULL ? old->seq : next_seq++;
    setting_free(strmap_put(dict, name, s));
}

const char *setting_value(const struct strmap *dict, const char *name)
{
    const struct setting *s = strmap_get(dict, name);

    return s ? s->value : NULL;
}

static void on_line(void *ctx, const struct cf_logical_line *line)
{
    struct load_state *st = ctx;
    char *copy = xstrdup(line->text);
    char *name, *value;
    const char *err;

    if ((err = split_nameval(copy, &name, &value)) != NULL) {
	if (st->hooks && st->hooks->on_syntax_error)
	    st->hooks->on_syntax_error(st->hooks->ctx, st->path, line, err);
	else
	    diag_fatal("%s, line %d: %s: \"%s\"", st->path, line->first_line,
		       err, line->text);
	free(copy);
	return;
    }
    const char *old = setting_value(st->dict, name);
    if (old != NULL && strcmp(old, value) != 0) {
	if (st->hooks && st->hooks->on_override)
	    st->hooks->on_override(st->hooks->ctx, st->path, line, name, old);
	else
	    diag_warn("%s, line %d: overriding earlier entry: %s=%s",
		      st->path, line->first_line, name, old);
    }
    if (st->hooks && st->hooks->on_setting)
	st->hooks->on_setting(st->hooks->ctx, st->path, line,
			      (size_t) (name - copy), (size_t) (value - copy));
    setting_put(st->dict, name, value, line->first_line);
    free(copy);
}


static void on_leading_space(void *ctx, const struct cf_logical_line *line)
{
    struct load_state *st = ctx;

    st->hooks->on_leading_space(st->hooks->ctx, st->path, line);
}

int mainconf_load(const char *path, struct strmap *dict,
		  const struct mainconf_hooks *hooks)
{
    static const struct cf_reader_ops ops = { on_line, NULL };
    static const struct cf_reader_ops hooked_ops = { on_line, on_leading_space };
    struct load_state st = { path, dict, hooks };
    FILE *fp;
    int status;

    if ((fp = fopen(path, "r")) == NULL)
	return -1;
    status = cf_read_stream(fp, st.path,
			    hooks && hooks->on_leading_space ? &hooked_ops : &ops, &st);
    int saved = errno;
    fclose(fp);
    errno = saved;
    return status;
}
