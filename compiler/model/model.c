/*
 * model - reading a configuration into one model (model.h): main.cf's
 * settings in file order with their places, master.cf's services with
 * their -o overrides, and the source bytes read through it. The
 * resolver over it is model_value.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "mapfile.h"
#include "model.h"
#include "sysroot.h"
#include "textutil.h"
#include "xalloc.h"

#define DEFAULT_CONFIG_DIR "/etc/postfix"

void model_init(struct model *m, const char *config_dir)
{
    memset(m, 0, sizeof(*m));
    if (config_dir == NULL && (config_dir = getenv("MAIL_CONFIG")) == NULL)
	config_dir = DEFAULT_CONFIG_DIR;
    m->config_dir = xstrdup(config_dir);
    strmap_init(&m->setting_index);
    strmap_init(&m->main);
    m->memo = xcalloc(1, sizeof(*m->memo));
    strmap_init(&m->memo->sources);
    strmap_init(&m->memo->computed);
}

char *model_path(const struct model *m, const char *name)
{
    char *deployed = xconcat(m->config_dir, "/", name, (char *) NULL);
    char *path = sysroot_path(deployed);

    free(deployed);
    return path;
}

/* ------------------------------------------------------------ main.cf */

/*
 * The reader's hooks, as the caller gave them, and the model's own:
 * every setting is kept with its place; the rest goes to the caller's
 * hook, or to the reader's default (postconf's words) when it has none.
 */
struct main_read {
    struct model *m;
    const struct mainconf_hooks *caller;
};

static void fwd_syntax_error(void *ctx, const char *path, const struct cf_logical_line *line,
			     const char *err)
{
    const struct mainconf_hooks *h = ((struct main_read *) ctx)->caller;

    h->on_syntax_error(h->ctx, path, line, err);
}

static void fwd_override(void *ctx, const char *path, const struct cf_logical_line *line,
			 const char *name, const char *old_value)
{
    const struct mainconf_hooks *h = ((struct main_read *) ctx)->caller;

    h->on_override(h->ctx, path, line, name, old_value);
}

static void fwd_leading_space(void *ctx, const char *path, const struct cf_logical_line *line)
{
    const struct mainconf_hooks *h = ((struct main_read *) ctx)->caller;

    h->on_leading_space(h->ctx, path, line);
}

/* keep_setting - one name = value line, kept with its place */
static void keep_setting(void *ctx, const char *path, const struct cf_logical_line *line,
			 size_t name_off, size_t value_off)
{
    struct main_read *rd = ctx;
    struct model *m = rd->m;
    const char *text = line->text;
    size_t name_len = strcspn(text + name_off, " \t\r\n=");
    size_t value_len = strlen(text + value_off);

    /* The reader split the line already: the value ends before trailing space. */
    while (value_len > 0 && strchr(" \t\r\n", text[value_off + value_len - 1]) != NULL)
	value_len--;
    if (m->nsettings == m->settings_cap) {
	m->settings_cap = m->settings_cap ? 2 * m->settings_cap : 64;
	m->settings = xrealloc(m->settings, m->settings_cap * sizeof(*m->settings));
    }
    struct model_setting *s = &m->settings[m->nsettings++];
    s->name = xstrndup(text + name_off, name_len);
    s->value = xstrndup(text + value_off, value_len);
    s->def = registry_find(s->name);
    s->where = cf_line_copy(line);
    s->name_off = name_off;
    s->value_off = value_off;
    s->effective = 1;
    size_t earlier = (size_t) (uintptr_t) strmap_get(&m->setting_index, s->name);
    if (earlier != 0)
	m->settings[earlier - 1].effective = 0;
    strmap_put(&m->setting_index, s->name, (void *) (uintptr_t) m->nsettings);
    if (rd->caller != NULL && rd->caller->on_setting != NULL)
	rd->caller->on_setting(rd->caller->ctx, path, line, name_off, value_off);
}

int model_read_main(struct model *m, const struct mainconf_hooks *hooks)
{
    struct main_read rd = { m, hooks };
    struct mainconf_hooks own = {
	hooks && hooks->on_syntax_error ? fwd_syntax_error : NULL,
	keep_setting,
	hooks && hooks->on_override ? fwd_override : NULL,
	hooks && hooks->on_leading_space ? fwd_leading_space : NULL,
	&rd,
    };

    free(m->main_path);
    m->main_path = model_path(m, "main.cf");
    return mainconf_load(m->main_path, &m->main, &own);
}

void model_put(struct model *m, const char *name, const char *value)
{
    setting_put(&m->main, name, value, 0);
}

struct model *model_load_main(const char *config_dir)
{
    struct model *m = xmalloc(sizeof(*m));

    model_init(m, config_dir);
    if (model_read_main(m, NULL) < 0)
	diag_fatal("open %s: %s", m->main_path, strerror(errno));
    if (strcmp(m->config_dir, DEFAULT_CONFIG_DIR) != 0)
	model_put(m, "config_directory", m->config_dir);
    return m;
}

void model_copy_main(const struct model *m, struct strmap *dict)
{
    size_t pos = 0;
    struct strmap_slot *slot;

    while ((slot = strmap_next(&m->main, &pos)) != NULL) {
	const struct setting *from = slot->value;
	struct setting *to = xmalloc(sizeof(*to));
	/* seq too: the order in which Postfix's dictionary got the names */
	*to = *from;
	to->value = xstrdup(from->value);
	setting_free(strmap_put(dict, slot->key, to));
    }
}

const struct model_setting *model_setting_find(const struct model *m, const char *name)
{
    size_t at = (size_t) (uintptr_t) strmap_get(&m->setting_index, name);

    return at ? &m->settings[at - 1] : NULL;
}

/* ------------------------------------------------------------ master.cf */

/* read_overrides - the -o name=value options of one entry, in order */
static void read_overrides(struct model_service *svc)
{
    const struct master_entry *e = svc->entry;

    for (size_t a = MASTER_MIN_FIELDS; a < e->argc; a++) {
	const char *arg = e->argv[a];
	if (arg[0] != '-' || strcmp(arg, "--") == 0)
	    break;
	if (!MASTER_OPTION_TAKES_VALUE(arg) || a + 1 >= e->argc)
	    continue;
	a++;
	if (strcmp(arg, "-o") != 0)
	    continue;
	const char *eq = strchr(e->argv[a], '=');
	if (eq == NULL)
	    continue;
	svc->overrides = xrealloc(svc->overrides,
				  (svc->noverrides + 1) * sizeof(*svc->overrides));
	struct model_override *o = &svc->overrides[svc->noverrides++];
	o->name = xstrndup(e->argv[a], (size_t) (eq - e->argv[a]));
	o->value = xstrdup(eq + 1);
	o->name_off = e->argoff[a];
	/* "-o { name = value }" was normalized; point at the value if we can. */
	const char *raw_eq = strchr(e->raw + e->argoff[a], '=');
	size_t raw_len = strlen(e->raw);
	o->value_off = raw_eq ? (size_t) (raw_eq - e->raw) + 1 : e->argoff[a];
	while (o->value_off < raw_len && strchr(" \t", e->raw[o->value_off]))
	    o->value_off++;
    }
}

int model_read_master(struct model *m, const struct masterconf_hooks *hooks)
{
    free(m->master_path);
    m->master_path = model_path(m, "master.cf");
    int status = masterconf_load(m->master_path, &m->master, hooks);

    if (status < 0) {
	m->master_errno = errno;
	free(m->master_path);
	m->master_path = NULL;
    }
    m->nservices = m->master.count;
    m->services = xcalloc(m->nservices + 1, sizeof(*m->services));
    for (size_t i = 0; i < m->nservices; i++) {
	m->services[i].entry = &m->master.entries[i];
	read_overrides(&m->services[i]);
    }
    if (status < 0)
	errno = m->master_errno;
    return status;
}

/* ------------------------------------------------------------ sources */

#define SOURCE_MAPPED	(1u << 20)

/*
 * read_source - the whole regular file, NUL-terminated, or NULL with
 * errno. Sized from fstat and read straight into place; from
 * SOURCE_MAPPED bytes up (a table source may be tens of megabytes, and
 * the model keeps every source) mapped instead, its file kept open in
 * *mapped_fd (else -1) for model_source_chunks(): a file
 * rewritten in place while mapped may then be seen part old, part new,
 * as by any reader that does not copy. Opened without waiting (a FIFO
 * is refused, not read), and refused when what was opened is outside
 * --root (the tree changed since the path was looked at).
 */
static char *read_source(const char *path, size_t *len, int *mapped_fd)
{
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    char *text = NULL, *outside;
    size_t cap = 0, used = 0;

    if (fd < 0)
	return NULL;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
	int saved = errno;
	close(fd);
	errno = S_ISDIR(st.st_mode) ? EISDIR : S_ISREG(st.st_mode) ? saved : EINVAL;
	return NULL;
    }
    if ((outside = sysroot_fd_outside(fd)) != NULL) {
	free(outside);
	close(fd);
	errno = EXDEV;
	return NULL;
    }
    cap = (size_t) st.st_size;
    if (cap >= SOURCE_MAPPED && (text = mapfile_text(fd, cap, path)) != NULL) {
	*len = cap;
	*mapped_fd = fd;
	return text;
    }
    text = xmalloc(cap + 1);
    for (;;) {
	char probe[1];
	/* At the size fstat gave: read one byte more to see the end. */
	ssize_t n = read(fd, used < cap ? text + used : probe,
			 used < cap ? cap - used : sizeof(probe));
	if (n > 0 && used == cap) {
	    /* The file grew since fstat. */
	    cap = cap ? 2 * cap : 65536;
	    text = xrealloc(text, cap + 1);
	    text[used] = probe[0];
	}
	if (n < 0 && errno == EINTR)
	    continue;
	if (n < 0) {
	    int saved = errno;
	    free(text);
	    close(fd);
	    errno = saved;
	    return NULL;
	}
	if (n == 0)
	    break;
	used += (size_t) n;
    }
    close(fd);
    text[used] = 0;
    *len = used;
    return text;
}

const struct model_source *model_source(const struct model *m, const char *path)
{
    struct model_source *src = strmap_get(&m->memo->sources, path);
    size_t len = 0;
    int fd = -1;
    char *text;

    if (src != NULL)
	return src;
    if ((text = read_source(path, &len, &fd)) == NULL)
	return NULL;
    src = xmalloc(sizeof(*src));
    src->text = text;
    src->len = len;
    src->fd = fd;
    strmap_put(&m->memo->sources, path, src);
    return src;
}

void model_source_chunks(const struct model_source *src,
			 void (*fn)(void *ctx, const char *bytes, size_t len), void *ctx)
{
    size_t off = 0;

    if (src->fd >= 0) {
	char buf[65536];

	while (off < src->len) {
	    size_t want = src->len - off < sizeof(buf) ? src->len - off : sizeof(buf);
	    ssize_t n = pread(src->fd, buf, want, (off_t) off);
	    if (n < 0 && errno == EINTR)
		continue;
	    if (n <= 0)
		break;
	    fn(ctx, buf, (size_t) n);
	    off += (size_t) n;
	}
    }
    if (off < src->len)
	fn(ctx, src->text + off, src->len - off);
}

static void free_source(void *ptr)
{
    struct model_source *src = ptr;

    if (src->fd >= 0) {
	mapfile_release(src->text, src->len);
	close(src->fd);
    } else
	free(src->text);
    free(src);
}

/* ------------------------------------------------------------ free */

void model_free(struct model *m)
{
    if (m == NULL)
	return;
    for (size_t i = 0; i < m->nsettings; i++) {
	free(m->settings[i].name);
	free(m->settings[i].value);
	cf_line_free(m->settings[i].where);
    }
    free(m->settings);
    strmap_free(&m->setting_index, NULL);
    strmap_free(&m->main, setting_free);
    for (size_t i = 0; i < m->nservices; i++) {
	for (size_t j = 0; j < m->services[i].noverrides; j++) {
	    free(m->services[i].overrides[j].name);
	    free(m->services[i].overrides[j].value);
	}
	free(m->services[i].overrides);
    }
    free(m->services);
    masterconf_free(&m->master);
    if (m->memo != NULL) {
	strmap_free(&m->memo->sources, free_source);
	strmap_free(&m->memo->computed, free);
	free(m->memo);
    }
    free(m->config_dir);
    free(m->main_path);
    free(m->master_path);
    memset(m, 0, sizeof(*m));
}
