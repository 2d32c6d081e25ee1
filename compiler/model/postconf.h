/*
 * postconf - a model (model.h) as Postfix 3.7's postconf(1) reads it: the
 * names it knows (built-in, per-service, user-defined, database client),
 * its own lookups with its modes (-d, -n, -x), the defaults it computes
 * on its host, and its warnings about unused and undefined names, in its
 * order of work. pfc conf prints from it (compiler/cmd/cmd_conf.c); the
 * linter asks it which names postconf -n would warn about
 * (postconf_scan_names()).
 */
#ifndef PFC_POSTCONF_H
#define PFC_POSTCONF_H

#include <stddef.h>

#include "model.h"
#include "strbuf.h"
#include "strmap.h"

/* What to do: postconf's mode bits, in its option-table order. */
enum {
    SHOW_NONDEF = 1 << 0, SHOW_DEFS = 1 << 1, HIDE_NAME = 1 << 2,
    SHOW_EVAL = 1 << 3, MASTER_ENTRY = 1 << 4, FOLD_LINE = 1 << 5,
    MASTER_FLD = 1 << 6, MAIN_PARAM = 1 << 7, PARAM_CLASS = 1 << 8,
    MAIN_OVER = 1 << 9, MASTER_PARAM = 1 << 10, HIDE_VALUE = 1 << 11,
};

/* Name classes, as postconf's parameter table flags. */
enum {
    PN_RAW = 1 << 0, PN_BUILTIN = 1 << 1, PN_SERVICE = 1 << 2,
    PN_USER = 1 << 3, PN_LEGACY = 1 << 4, PN_READONLY = 1 << 5,
    PN_DBMS = 1 << 6,
};
#define PN_CLASS_MASK (PN_BUILTIN | PN_SERVICE | PN_USER)

/* A name postconf knows, and where its default comes from. */
struct pnode {
    unsigned flags;
    const struct param_def *def;	/* built-in: the registry entry */
    const char *service_default;	/* per-service: "default_..." */
};

/* Per-service parameter namespace of one master.cf entry. */
struct master_scope {
    struct strmap *all_params;	/* -o name=value, shared by equal names */
    char **order;		/* their names, in postconf's order */
    struct strmap valid_names;	/* user names made valid in this scope */
};

#define NO_SCOPE ((size_t) -1)	/* main.cf, not a master.cf entry */
#define CONF_MAIN_SCOPE NO_SCOPE

/* What postconf_scan_names() reports instead of warning. */
struct conf_name_hooks {
    /* scope: CONF_MAIN_SCOPE or the index of the master.cf entry */
    void (*unused)(void *ctx, size_t scope, const char *name, const char *value);
    void (*undefined)(void *ctx, size_t scope, const char *name);
    void *ctx;
};

struct postconf {
    int mode;			/* the mode bits above */
    int param_class;		/* -C: the PN_ classes shown */
    char *config_dir;
    /*
     * The configuration read: its own model (own, read with
     * postconf_read_main() and _master()), or the one
     * postconf_scan_names() was given. main_dict is a copy of its main.cf,
     * which postconf's way of working changes (-o, read-only names).
     */
    const struct model *m;
    struct model own;
    struct strmap main_dict;	/* main.cf, -o overrides, config_directory */
    char **main_order;		/* its names, in postconf's order */
    struct pnode *builtins;	/* parallel to param_table */
    struct strmap params;	/* other known names -> struct pnode */
    struct master_scope *scopes;	/* one per master.cf entry */
    struct strmap namespaces;	/* "service/type" -> its shared -o settings */
    struct strmap rest_classes;
    struct strmap dbms_visited;
    const struct conf_name_hooks *hooks;	/* report, never fatal */
    /* The defaults postconf computes on its host, once. */
    char *myhostname, *mydomain, *mynetworks;
    struct strbuf default_buf;	/* postconf_default()'s answer */
};

/* postconf_init - nothing read, every class shown */
void postconf_init(struct postconf *pc);
void postconf_free(struct postconf *pc);

/*
 * Reading, in postconf's order and with its fatal errors and warnings:
 * main.cf (fatal when it cannot be read), the -o NAME=VALUE overrides of
 * the command line, master.cf (fail_on_open_error: fatal, else a warning).
 */
void postconf_read_main(struct postconf *pc);
void postconf_set_overrides(struct postconf *pc, char **overrides, size_t count);
void postconf_read_master(struct postconf *pc, int fail_on_open_error);

/* The names postconf knows: built-in, per-service (master.cf), user-defined. */
void postconf_register_builtins(struct postconf *pc);
void postconf_register_services(struct postconf *pc);
void postconf_register_user(struct postconf *pc);

/* postconf_find - the known name, or NULL */
struct pnode *postconf_find(struct postconf *pc, const char *name);

/*
 * postconf_lookup - a parameter's value as postconf resolves it in mode:
 * the service's own settings (scope: a master.cf entry, or NO_SCOPE),
 * then main.cf, then (unless -n) the default; node: name's, or NULL
 */
const char *postconf_lookup(struct postconf *pc, int mode, const char *name, size_t scope,
			    const struct pnode *node);
/* postconf_expand - $name expansion as postconf -x does it, into buf; errors are fatal */
const char *postconf_expand(struct postconf *pc, struct strbuf *buf, int mode,
			    const char *value, size_t scope);

/* postconf_unused_main, _master - postconf's warnings about unused names */
void postconf_unused_main(struct postconf *pc);
void postconf_unused_master(struct postconf *pc);

/*
 * postconf_scan_names - postconf -n's name analysis of m into pc
 * (postconf_free() it): which main.cf and master.cf -o names Postfix does
 * not know or use, and which $names are undefined (SPEC 3.2), reported
 * through hooks instead of warned about. Expansion errors are not fatal
 * here; other warnings go to diag_warn().
 */
void postconf_scan_names(struct postconf *pc, const struct model *m,
			 const struct conf_name_hooks *hooks);

#endif
