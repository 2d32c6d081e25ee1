/*
 * model - one configuration, read once: main.cf's settings with their
 * places (file, line, column), master.cf's services with their -o
 * overrides, and the bytes of every source file read through it; and
 * the one resolver over it, which answers "what is parameter X for
 * service Y" as a Postfix daemon would: Y's last -o, its read-only
 * names, main.cf, else the built-in default, with $name expanded in
 * that same view.
 *
 * pfc check and pfc build read one model (the linter reports on it, the
 * image writer compiles it); pfc conf, map, alias and lookup read their
 * configuration through it too. A model is filled by model_init() and
 * the model_read_*() steps, in the order the caller's Postfix tool reads
 * its files, and is not changed after that: what the resolver computes
 * once (the values the host decides, the source bytes) is kept beside
 * it, never in a process-wide static, so two models in one process (pfc
 * diff of two directories) do not see each other's.
 */
#ifndef PFC_MODEL_H
#define PFC_MODEL_H

#include <stddef.h>

#include "cfline.h"
#include "main_cf.h"
#include "master_cf.h"
#include "registry.h"
#include "strmap.h"

/* A main.cf setting as read, in file order; duplicates included. */
struct model_setting {
    char *name;
    char *value;
    const struct param_def *def;	/* the registry's entry, or NULL */
    struct cf_logical_line *where;	/* its logical line, for positions */
    size_t name_off;		/* byte offsets of name and value in where->text */
    size_t value_off;
    int effective;		/* 0: a later line sets the same name */
};

/* A "-o name=value" of a master.cf service. */
struct model_override {
    char *name;
    char *value;
    size_t name_off;		/* byte offsets in entry->where->text */
    size_t value_off;
};

/* A master.cf service: its entry and its -o overrides, in order. */
struct model_service {
    struct master_entry *entry;	/* its fields: entry->argv, entry->argoff */
    struct model_override *overrides;
    size_t noverrides;
};

/* The bytes of a file read through the model, NUL-terminated. */
struct model_source {
    char *text;
    size_t len;
    int fd;			/* text is mapfile_text()'s of this open file; -1: malloc'd */
};

/*
 * What a model computes once and keeps for its lifetime: the bytes of
 * the files read through it, and the values the host decides (per view
 * input, model_value.c). Kept apart so that a model handed around as
 * const can still remember.
 */
struct model_memo {
    struct strmap sources;	/* path as opened -> struct model_source */
    struct strmap computed;	/* model_value.c's key -> char * */
};

struct model {
    char *config_dir;		/* as given (-c, $MAIL_CONFIG or /etc/postfix) */
    char *main_path;		/* main.cf as opened (under --root) */
    char *master_path;		/* master.cf as opened; NULL when not read or unreadable */
    int master_errno;		/* why master.cf could not be read, or 0 */

    /* main.cf as read, and the effective value of each name */
    struct model_setting *settings;
    size_t nsettings, settings_cap;
    struct strmap setting_index;	/* name -> index + 1 of its last setting */
    struct strmap main;		/* name -> struct setting (main_cf.h), with model_put()'s */

    struct masterconf master;
    struct model_service *services;	/* one per master.cf entry */
    size_t nservices;

    struct model_memo *memo;
};

/* ------------------------------------------------------------ building */

/*
 * model_init - an empty model of config_dir (NULL: $MAIL_CONFIG, else
 * /etc/postfix). Nothing is read yet.
 */
void model_init(struct model *m, const char *config_dir);

/*
 * model_read_main - read DIR/main.cf (under --root). hooks: the reader's
 * (main_cf.h); NULL gives postconf's own errors and warnings. Returns 0,
 * or -1 with errno set when the file cannot be opened.
 */
int model_read_main(struct model *m, const struct mainconf_hooks *hooks);

/*
 * model_read_master - read DIR/master.cf and collect each service's -o
 * overrides. hooks as for masterconf_load(); NULL gives postconf's.
 * Returns 0, or -1 with errno (also in master_errno) when it cannot be
 * opened: the model then has no services and no master_path.
 */
int model_read_master(struct model *m, const struct masterconf_hooks *hooks);

/*
 * model_put - set name=value as a command line does (line 0): the
 * configuration directory given, pfc conf -o. Part of building a model.
 */
void model_put(struct model *m, const char *name, const char *value);

/*
 * model_load_main - for the tools that read main.cf alone, as postmap
 * does (pfc map, alias, lookup): a new model of config_dir's main.cf,
 * config_directory set when config_dir is not the default. A main.cf
 * that cannot be read is fatal, in postmap's words. The caller frees it
 * with model_free(), then free().
 */
struct model *model_load_main(const char *config_dir);

void model_free(struct model *m);

/* ------------------------------------------------------------ reading */

/* model_path - DIR/name as pfc opens it (under --root): a new string */
char *model_path(const struct model *m, const char *name);

/*
 * model_copy_main - add main.cf's effective settings (model_put()'s too)
 * to dict (name -> struct setting), for a caller that changes its copy
 * as postconf changes its dictionary (pfc conf: -o, read-only names).
 */
void model_copy_main(const struct model *m, struct strmap *dict);

/* model_setting_find - the effective main.cf line of name, or NULL */
const struct model_setting *model_setting_find(const struct model *m, const char *name);

/*
 * model_source - the bytes of the file opened as path, read once for the
 * model's lifetime and shared by whoever asks (the linter scans a table
 * source, the image writer compiles and hashes the same bytes). Only a
 * regular file inside --root is read (never waiting on a FIFO). NULL with
 * errno: EISDIR, EINVAL another file that is not regular, EXDEV it leads
 * outside --root.
 */
const struct model_source *model_source(const struct model *m, const char *path);

/*
 * model_source_chunks - src's len bytes to fn in order, a piece at a
 * time, for a caller that reads them once from start to end (a digest).
 * A mapped source is read from its file (the same pages) into one
 * buffer, not through the mapping: on a virtual machine the first touch
 * of each mapped page costs about 2 us, five times the kernel's copy of
 * it (20 tables of 100,000 entries: some 40 ms of pfc check's 0.4 s).
 * Should the file have shrunk since it was mapped, the rest comes from
 * the mapping, which then ends the program as mapfile_text() says.
 */
void model_source_chunks(const struct model_source *src,
			 void (*fn)(void *ctx, const char *bytes, size_t len), void *ctx);

/* ------------------------------------------------------------ the resolver */

/*
 * The view of a parameter: svc NULL is main.cf's (a process no -o
 * reaches); else what that master.cf service sees.
 */

/*
 * model_set - name as the view's files set it: svc's last -o, its
 * read-only names (process_name, service_name), main.cf (model_put's
 * included); NULL when they leave it unset.
 */
const char *model_set(const struct model *m, const struct model_service *svc,
		      const char *name);

/*
 * model_set_value - model_set() expanded with what the view sets alone,
 * no default (a new string; raw when it does not expand), or NULL: how
 * Postfix reads mydomain for myhostname before any default exists
 * (mail_params.c, check_myhostname()).
 */
char *model_set_value(const struct model *m, const struct model_service *svc,
		      const char *name);

/* model_override - svc's last -o of name, or NULL */
const char *model_override(const struct model_service *svc, const char *name);

/*
 * model_raw - the unexpanded value of name in the view: model_set(),
 * else the built-in default, the defaults the host decides (myhostname,
 * mydomain, mynetworks, process_name) computed on this host as Postfix
 * computes them for that view; NULL when name is neither set nor built in.
 */
const char *model_raw(const struct model *m, const struct model_service *svc,
		      const char *name);

/*
 * model_expand - raw with $name expanded in the view, each name read
 * with model_raw(). On a syntax error (warned about through diag_warn())
 * *failed is set and a copy of raw returned; failed NULL makes that
 * fatal, in Postfix's words.
 */
char *model_expand(const struct model *m, const struct model_service *svc,
		   const char *raw, int *failed);

/*
 * model_value - name's value in the view, $name expanded (a parameter
 * Postfix never expands as it is): a new string, NULL when name is
 * neither set nor built in. failed as for model_expand().
 */
char *model_value(const struct model *m, const struct model_service *svc,
		  const char *name, int *failed);

/* model_bool - a boolean parameter of main.cf's view is "yes" (any case) */
int model_bool(const struct model *m, const char *name);

/* model_long - a number of main.cf's view, or fallback when it is not one */
long model_long(const struct model *m, const char *name, long fallback);

#endif
