/*
 * mainconf - read main.cf (and any "name = value" file of that format)
 * into a parameter dictionary, with Postfix's rules: the last duplicate
 * wins with a warning, a line without '=' is an error.
 */
#ifndef PFC_MAINCONF_H
#define PFC_MAINCONF_H

#include "cfline.h"
#include "strmap.h"

/*
 * One setting: its value and where it came from (line 0: not a file).
 * seq orders the names as first set (a later value keeps it), which is
 * the order in which Postfix's dictionary received them (htorder.h).
 */
struct setting {
    char *value;
    int line;
    unsigned long seq;
};

struct mainconf_hooks {
    /*
     * A logical line that is not name=value. err is Postfix's text; the
     * default (NULL hook) is postconf's fatal error.
     */
    void (*on_syntax_error)(void *ctx, const char *path,
			    const struct cf_logical_line *line, const char *err);
    /*
     * A setting, as read: name and value are at these byte offsets of
     * line->text (for file:line:col). NULL: not wanted.
     */
    void (*on_setting)(void *ctx, const char *path,
		       const struct cf_logical_line *line, size_t name_off,
		       size_t value_off);
    /*
     * A second setting of a name with a different value. NULL gives
     * postconf's warning "PATH, line N: overriding earlier entry: NAME=OLD".
     */
    void (*on_override)(void *ctx, const char *path,
			const struct cf_logical_line *line, const char *name,
			const char *old_value);
    /*
     * A logical line that starts with whitespace (Postfix ignores it).
     * NULL gives postconf's warning.
     */
    void (*on_leading_space)(void *ctx, const char *path,
			     const struct cf_logical_line *line);
    void *ctx;
};

/*
 * mainconf_load - add the settings of path to dict (name -> struct setting).
 * Returns 0, or -1 with errno set when the file cannot be read.
 */
int mainconf_load(const char *path, struct strmap *dict,
		  const struct mainconf_hooks *hooks);

/* setting_put - set name=value in dict (line 0 for command-line values) */
void setting_put(struct strmap *dict, const char *name, const char *value,
		 int line);
/* setting_value - the value of name in dict, or NULL */
const char *setting_value(const struct strmap *dict, const char *name);
void setting_free(void *setting);

#endif
