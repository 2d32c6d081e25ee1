/*
 * registry - every parameter Postfix 3.7 knows: name, default, class, type
 * and bounds. The data lives in params.tsv (the single source of truth);
 * gen-params.awk turns it into params_table.c at build time.
 */
#ifndef PFC_REGISTRY_H
#define PFC_REGISTRY_H

#include <stddef.h>

/* How Postfix declares the parameter (its CONFIG_*_TABLE). */
enum param_class {
    PCLASS_BOOL, PCLASS_INT, PCLASS_LONG, PCLASS_STR, PCLASS_RAW,
    PCLASS_TIME, PCLASS_NINT, PCLASS_NBOOL,
};

/* What the value means, for type checks. */
enum param_kind {
    PKIND_BOOL, PKIND_INT, PKIND_LONG, PKIND_SIZE, PKIND_TIME, PKIND_STRING,
    PKIND_LIST, PKIND_DOMAINLIST, PKIND_MAPS, PKIND_RESTRICTIONS, PKIND_ENUM,
};

#define PFLAG_HOST	(1u << 0)	/* default computed from the host */
#define PFLAG_RAW	(1u << 1)	/* never $-expanded */
#define PFLAG_LEGACY	(1u << 2)	/* postconf's legacy table */
#define PFLAG_READONLY	(1u << 3)	/* set by the program, not main.cf */

struct param_def {
    const char *name;
    enum param_class pclass;
    enum param_kind kind;
    const char *arg;		/* time: default unit; enum: a|b|c; else "" */
    long min, max;		/* 0: no bound, as in Postfix's tables */
    unsigned flags;
    const char *defval;		/* as "postconf -d" prints it */
};

extern const struct param_def param_table[];
extern const size_t param_table_size;

/* registry_find - the built-in parameter of that name, or NULL */
const struct param_def *registry_find(const char *name);

/* Suffixes of the legacy database client parameters (ldap:name ...). */
struct dbms_suffix {
    const char *type;
    const char *suffix;
};
extern const struct dbms_suffix dbms_suffix_table[];
extern const size_t dbms_suffix_table_size;

#endif
