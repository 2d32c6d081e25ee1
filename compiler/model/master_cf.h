/*
 * masterconf - read master.cf: one service per logical line, at least
 * eight fields, daemon options normalised as postconf does (SPEC 5).
 */
#ifndef PFC_MASTERCONF_H
#define PFC_MASTERCONF_H

#include <stddef.h>
#include <string.h>

#include "cfline.h"
#include "strmap.h"

#define MASTER_MIN_FIELDS 8
enum master_field {
    MF_SERVICE, MF_TYPE, MF_PRIVATE, MF_UNPRIV, MF_CHROOT, MF_WAKEUP,
    MF_MAXPROC, MF_COMMAND,
};

struct master_entry {
    char **argv;		/* fields, then command arguments; NULL-ended */
    size_t argc;
    size_t *argoff;		/* where each argument starts in raw (byte i of a word
				   split off "-stuffozz" is at argoff + i, i >= 1) */
    char *raw;			/* the logical line as read */
    int line;			/* its first physical line */
    struct cf_logical_line *where;	/* raw with its positions */
    char *name_space;		/* "service/type" */
    struct strmap ro_params;	/* process_name, service_name */
};

struct masterconf {
    struct master_entry *entries;
    size_t count;
};

/* The names of the eight fields, as -F prints them. */
extern const char *const master_field_names[MASTER_MIN_FIELDS];

struct masterconf_hooks {
    /*
     * A problem with the entry on line, at byte offset of line->text, in
     * postconf's words. fatal: postconf refuses the file (the entry is
     * left out); else it only warns. NULL: postconf's fatal error or
     * warning on stderr.
     */
    void (*on_problem)(void *ctx, const char *path,
		       const struct cf_logical_line *line, size_t offset,
		       int fatal, const char *message);
    void *ctx;
};

/*
 * masterconf_load - read path. Postfix's errors are fatal here, in
 * postconf's words, unless hooks take them; options errors (missing '}')
 * are warnings. Returns 0, or -1 with errno set when the file cannot be
 * opened.
 */
int masterconf_load(const char *path, struct masterconf *mc,
		    const struct masterconf_hooks *hooks);
void masterconf_free(struct masterconf *mc);

/*
 * MASTER_OPTION_TAKES_VALUE - does this daemon option take the next word as
 * its value? Only -o does; like postconf, a lone "-" counts too, because
 * strchr() finds the terminating NUL.
 */
#define MASTER_OPTION_TAKES_VALUE(arg) (strchr("o", (arg)[1]) != NULL)

#endif
