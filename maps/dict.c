/* dict - open tables by "type:name", the shared parts of every table type */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"
#include "dict.h"
#include "strbuf.h"
#include "utf8.h"
#include "sysroot.h"
#include "xalloc.h"

#define DEFAULT_DATABASE_TYPE "hash"
#define UTF8_ERROR "malformed UTF-8 or invalid codepoint"

struct dict *dict_alloc(const struct dict_type *type, const char *name,
			unsigned flags, size_t size)
{
    struct dict *dict = xcalloc(1, size);

    dict->type = type;
    dict->caps = type->caps;
    dict->name = xstrdup(name);
    dict->label = dict->name;
    dict->flags = flags;
    return dict;
}

void dict_free(struct dict *dict)
{
    if (dict != NULL) {
	free(dict->name);
	free(dict->error);
	free(dict);
    }
}

char *dict_format_error(const char *fmt, ...)
{
    struct strbuf msg = STRBUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    sb_vprintf(&msg, fmt, ap);
    va_end(ap);
    return sb_detach(&msg);
}

int dict_set_error(struct dict *dict, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    str_vreplace(&dict->error, fmt, ap);
    va_end(ap);
    return DICT_FAIL;
}

const char *dict_fold(const struct dict *dict, const char *key, struct strbuf *buf)
{
    if ((dict->flags & DICT_FLAG_FOLD) == 0)
	return key;
    sb_reset(buf);
    const char *cp;
    for (cp = key; *cp && (unsigned char) *cp < 0x80; cp++)
	;
    if (*cp != 0 && (dict->flags & DICT_FLAG_UTF8)) {
	utf8_casefold(buf, key);
    } else {
	/* ASCII (or not UTF-8): copy once, lowercase in place. */
	sb_adds(buf, key);
	for (char *p = buf->s; *p; p++)
	    if (*p >= 'A' && *p <= 'Z')
		*p += 'a' - 'A';
    }
    return sb_str(buf);
}

struct dict *dict_open_to(const char *spec, int mode, unsigned flags,
			  const struct diag_sink *sink, char **err)
{
    const char *colon = strchr(spec, ':');
    char *type_name = colon ? xstrndup(spec, (size_t) (colon - spec))
	: xstrdup(DEFAULT_DATABASE_TYPE);
    const char *name = colon ? colon + 1 : spec;
    const struct dict_type *type = dict_type_find(type_name);
    struct strbuf msg = STRBUF_INIT;
    struct dict *dict = NULL;

    *err = NULL;
    if (*type_name == 0 || *name == 0) {
	sb_printf(&msg, "open dictionary: expecting \"type:name\" form instead of \"%s:%s\"",
		  type_name, name);
	*err = sb_detach(&msg);
    } else if (type == NULL) {
	sb_printf(&msg, "unsupported dictionary type: %s", type_name);
	*err = sb_detach(&msg);
    } else if (type->caps & DICT_CAP_UNSUPPORTED) {
	sb_printf(&msg, "unsupported dictionary type: %s: pfc does not serve %s tables"
		  " (it serves hash, btree, texthash, inline, static, regexp, pcre,"
		  " cidr, unionmap, pipemap and fail)", type_name, type_name);
	*err = sb_detach(&msg);
    } else if (mode == DICT_CREATE && (type->caps & DICT_CAP_BUILD) == 0) {
	/* Postfix's words, for the table types that are read from their source. */
	sb_printf(&msg, "unsupported dictionary type: %s does not support bulk-mode creation.",
		  type_name);
	*err = sb_detach(&msg);
    } else if (mode == DICT_UPDATE && (type->caps & DICT_CAP_BUILD) == 0) {
	sb_printf(&msg, "unsupported dictionary type: %s does not support bulk-mode creation.",
		  type_name);
	*err = sb_detach(&msg);
    } else if (mode == DICT_MODIFY && (type->caps & DICT_CAP_BUILD) == 0) {
	sb_printf(&msg, "%s:%s map requires O_RDONLY access mode", type_name, name);
	*err = sb_detach(&msg);
    } else {
	/* File-based tables are opened under --root. */
	char *opened = (type->caps & DICT_CAP_FILE) ? sysroot_path(name) : xstrdup(name);
	dict = type->open(opened, mode, flags, sink, err);
	free(opened);
	if (dict != NULL)
	    dict->sink = sink;
    }
    free(type_name);
    return dict;
}

struct dict *dict_open(const char *spec, int mode, unsigned flags, char **err)
{
    return dict_open_to(spec, mode, flags, NULL, err);
}

/* utf8_warn - Postfix's UTF-8 layer's warning, "TYPE:LABEL: ..." */
static void utf8_warn(const struct dict *dict, const char *key, const char *value)
{
    struct diag at = {
	.severity = DIAG_WARNING, .path = dict->label, .wording = DIAG_SAY_TABLE,
	.type = dict->type->name,
    };

    if (value == NULL)
	diag_reportf(dict->sink, &at, "non-UTF-8 key \"%s\": %s", key, UTF8_ERROR);
    else
	diag_reportf(dict->sink, &at, "key \"%s\": non-UTF-8 value \"%s\": %s", key, value,
		     UTF8_ERROR);
}

int dict_lookup(struct dict *dict, const char *key, const char **value)
{
    *value = NULL;
    if ((dict->flags & DICT_FLAG_UTF8) && !utf8_valid(key, strlen(key))) {
	utf8_warn(dict, key, NULL);
	return DICT_NOTFOUND;
    }
    int status = dict->lookup(dict, key, value);
    if (status == DICT_FOUND && (dict->flags & DICT_FLAG_UTF8)
	&& !utf8_valid(*value, strlen(*value))) {
	utf8_warn(dict, key, *value);
	*value = NULL;
	free(dict->error);
	dict->error = xstrdup("");	/* a configuration error */
	return DICT_FAIL;
    }
    return status;
}

int dict_update(struct dict *dict, const char *key, const char *value)
{
    if (dict->flags & DICT_FLAG_UTF8) {
	if (!utf8_valid(key, strlen(key))) {
	    utf8_warn(dict, key, NULL);
	    return DICT_NOTFOUND;
	}
	if (!utf8_valid(value, strlen(value))) {
	    utf8_warn(dict, key, value);
	    return DICT_NOTFOUND;
	}
    }
    return dict->update(dict, key, value);
}

int dict_close(struct dict *dict, char **err)
{
    *err = NULL;
    return dict->close(dict, err);
}
