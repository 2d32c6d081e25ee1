/*
 * dict_inline - inline:{name=value, {name = value with spaces}, ...}, a
 * table written in main.cf itself. Read-only, no duplicate checks (as in
 * Postfix: the last setting wins).
 */
#include <stdlib.h>
#include <string.h>

#include "memtable.h"
#include "textutil.h"
#include "utf8.h"
#include "xalloc.h"

static struct dict *inline_open(const char *name, int mode, unsigned flags,
				const struct diag_sink *sink, char **err);

const struct dict_type dict_type_inline = {
    "inline", DICT_CAP_FIXED, inline_open, NULL,
};

/*
 * split_quoted_nameval - name=value where the name may hold quoted
 * whitespace or '='. Returns NULL or Postfix's error text.
 */
static const char *split_quoted_nameval(char *buf, char **name, char **value)
{
    char *key = buf, *end, *vp;
    int in_quotes = 0;

    while (*key && is_space((unsigned char) *key))
	key++;
    if (*key == 0)
	return "no key found; expected format: key = value";
    for (end = key; *end; end++) {
	if (*end == '\\') {
	    if (*++end == 0)
		break;
	} else if (is_space((unsigned char) *end) || *end == '=') {
	    if (!in_quotes)
		break;
	} else if (*end == '"') {
	    in_quotes = !in_quotes;
	}
    }
    if (in_quotes)
	return "unbalanced '\"'";
    for (vp = end; is_space((unsigned char) *vp); vp++)
	;
    if (*vp != '=')
	return "missing '=' after attribute name";
    *end = 0;
    do
	vp++;
    while (is_space((unsigned char) *vp));
    trim_right(vp);
    *name = key;
    *value = vp;
    return NULL;
}

static struct dict *inline_open(const char *name, int mode, unsigned flags,
				const struct diag_sink *sink, char **err)
{
    size_t len = strlen(name);
    char *inner, *cp, *item;
    const char *problem = NULL;
    char *free_me = NULL;
    int count = 0;

    (void) mode;
    (void) sink;
    if ((flags & DICT_FLAG_UTF8) && !utf8_valid(name, len)) {
	*err = dict_format_error("bad UTF-8 syntax: \"inline:%s\"; need \"inline:{name=value...}\"", name);
	return NULL;
    }
    if (!brace_group(name) || len == 2) {
	*err = dict_format_error("bad syntax: \"inline:%s\"; need \"inline:{name=value...}\"", name);
	return NULL;
    }
    inner = xstrndup(name + 1, len - 2);
    struct memtable *mt = memtable_open(&dict_type_inline, name, flags);
    cp = inner;
    while ((item = str_tokq(&cp, CHARS_COMMA_SP)) != NULL) {
	char *key, *value;
	if (item[0] == '{' && (problem = free_me = extract_braces(&item, 1)) != NULL)
	    break;
	if ((problem = split_quoted_nameval(item, &key, &value)) != NULL)
	    break;
	memtable_put(mt, key, value, 1);
	count++;
    }
    if (problem != NULL || count == 0) {
	*err = dict_format_error("%s: \"inline:%s\"; need \"inline:{name=value...}\"",
				 problem ? problem : "empty table", name);
	free(free_me);
	free(inner);
	mt->dict.close(&mt->dict, NULL);
	return NULL;
    }
    free(inner);
    return &mt->dict;
}
