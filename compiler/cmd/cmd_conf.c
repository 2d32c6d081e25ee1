/*
 * conf - "pfc conf": main.cf and master.cf as Postfix 3.7's postconf(1)
 * shows them. The output is byte-identical to postconf's, and so are the
 * warnings (with "pfc:" as the prefix) and the exit codes, because
 * operators compare the two side by side. That is why this file follows
 * postconf's own order of work: read, register the names it knows
 * (built-in, per-service, user-defined, database client), print, then
 * report unused parameters.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "conf.h"
#include "diag.h"
#include "expand.h"
#include "help.h"
#include "hostinfo.h"
#include "htorder.h"
#include "main_cf.h"
#include "master_cf.h"
#include "model.h"
#include "output.h"
#include "registry.h"
#include "strbuf.h"
#include "strmap.h"
#include "textutil.h"
#include "sysroot.h"
#include "xalloc.h"

#define CONFIG_ENV "MAIL_CONFIG"
#define LINE_LIMIT 80		/* fold lines longer than this with -f */
#define INDENT "    "
#define INDENT_LEN 4
#define SEPARATORS " \t\r\n"

/* What to do: postconf's mode bits, in its option-table order. */
enum {
    SHOW_NONDEF = 1 << 0, SHOW_DEFS = 1 << 1, HIDE_NAME = 1 << 2,
    SHOW_EVAL = 1 << 3, MASTER_ENTRY = 1 << 4, FOLD_LINE = 1 << 5,
    MASTER_FLD = 1 << 6, MAIN_PARAM = 1 << 7, PARAM_CLASS = 1 << 8,
    MAIN_OVER = 1 << 9, MASTER_PARAM = 1 << 10, HIDE_VALUE = 1 << 11,
};

/* Option letters for the messages about incompatible options. */
static const struct { const char *name; int bit; } option_names[] = {
    {"-C", PARAM_CLASS}, {"-d", SHOW_DEFS}, {"-f", FOLD_LINE},
    {"-F", MASTER_FLD}, {"-h", HIDE_NAME}, {"-H", HIDE_VALUE},
    {"-M", MASTER_ENTRY}, {"-n", SHOW_NONDEF}, {"-o", MAIN_OVER},
    {"-p", MAIN_PARAM}, {"-P", MASTER_PARAM}, {"-x", SHOW_EVAL},
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

/*
 * A master.cf name space: the -o settings of every entry with the same
 * service name and type, and the order in which postconf walks them.
 */
struct name_space {
    struct strmap params;	/* -o name -> value */
    char **order;		/* the names in htable order (htorder.h) */
    size_t count;
};

/* Per-service parameter namespace of one master.cf entry. */
struct master_scope {
    struct strmap *all_params;	/* -o name=value, shared by equal names */
    char **order;		/* their names, in postconf's order */
    struct strmap valid_names;	/* user names made valid in this scope */
};

static struct {
    int mode;
    int param_class;
    char *config_dir;
    struct strmap main_dict;	/* main.cf, -o overrides, config_directory */
    char **main_order;		/* its names, in postconf's order */
    struct pnode *builtins;	/* parallel to param_table */
    struct strmap params;	/* other known names -> struct pnode */
    /*
     * The configuration read: pfc conf's own model (own), or the one
     * conf_scan_names() was given. main_dict is a copy of its main.cf,
     * which postconf's way of working changes (-o, read-only names).
     */
    const struct model *m;
    struct model own;
    struct master_scope *scopes;
    struct strmap namespaces;	/* "service/type" -> struct name_space */
    struct strmap rest_classes;
    struct strmap dbms_visited;
    const struct conf_name_hooks *hooks;	/* conf_scan_names(): report, never fatal */
} pc;

static const char *lookup_value(int mode, const char *name, size_t scope,
				const struct pnode *node);
static const char *expand_value(struct strbuf *buf, int mode, const char *value,
				size_t scope);

#define NO_SCOPE ((size_t) -1)

/* ---------------------------------------------------------------- */
/* Output with postconf's whitespace normalisation and folding.      */

/* print_line - words joined by one space; with -f folded at 80 columns */
static void print_line(int mode, const char *text)
{
    char *copy = xstrdup(text), *start, *next;
    size_t line_len = 0;

    for (start = copy; *(start += strspn(start, SEPARATORS)) != 0; start = next) {
	size_t word_len = strcspn(start, SEPARATORS);
	if (*(next = start + word_len) != 0)
	    *next++ = 0;
	if (word_len > 0 && line_len > 0) {
	    if ((mode & FOLD_LINE) == 0 || line_len + word_len < LINE_LIMIT) {
		out_putc(' ');
		line_len += 1;
	    } else {
		out_puts("\n" INDENT);
		line_len = INDENT_LEN;
	    }
	}
	out_puts(start);
	line_len += word_len;
    }
    out_putc('\n');
    free(copy);
}

/* flush_output - postconf flushes stdout before its unused-parameter warnings */
static void flush_output(void)
{
    out_flush();
}

/* ---------------------------------------------------------------- */
/* Parameter names and their defaults.                               */

/*
 * find_param - the known name, or NULL. Built-in names live in an array
 * parallel to the registry (no copying of 800 names per run); the names
 * registered from master.cf and main.cf live in pc.params.
 */
static struct pnode *find_param(const char *name)
{
    const struct param_def *def;

    if (pc.builtins != NULL && (def = registry_find(name)) != NULL)
	return &pc.builtins[def - param_table];
    return strmap_get(&pc.params, name);
}

static struct pnode *enter_param(const char *name, unsigned flags,
				 const struct param_def *def,
				 const char *service_default)
{
    struct pnode *node = xmalloc(sizeof(*node));

    node->flags = flags;
    node->def = def;
    node->service_default = service_default;
    free(strmap_put(&pc.params, name, node));
    return node;
}

static void class_override(struct pnode *node, unsigned class)
{
    node->flags = (node->flags & ~PN_CLASS_MASK) | class;
}

/* lookup_eval - a main.cf value with $name expanded from main.cf alone */
static const char *main_lookup(const char *name, int mode, void *ctx)
{
    (void) mode;
    return setting_value(ctx, name);
}

static char *lookup_eval(struct strmap *dict, const char *dict_name,
			 const char *name)
{
    const char *value = setting_value(dict, name);
    struct strbuf buf = STRBUF_INIT;

    if (value == NULL)
	return NULL;
    if (expand(&buf, value, EXPAND_RECURSE, main_lookup, dict) & EXPAND_ERROR)
	diag_fatal("dictionary %s: macro processing error", dict_name);
    return sb_detach(&buf);
}

/* main_mydomain - for host_myhostname(): main.cf's mydomain, expanded */
static char *main_mydomain(void *unused)
{
    (void) unused;
    return lookup_eval(&pc.main_dict, "mail_dict", "mydomain");
}

static const char *host_myhostname_value(void)
{
    static char *name;

    if (name == NULL)
	name = host_myhostname(main_mydomain, NULL);
    return name;
}

static const char *host_mydomain_value(void)
{
    static char *domain;

    if (domain == NULL) {
	char *hostname = lookup_eval(&pc.main_dict, "mail_dict", "myhostname");
	domain = host_mydomain(hostname ? hostname : host_myhostname_value());
	free(hostname);
    }
    return domain;
}

/* host_input - a main.cf setting, or its expanded default under -d */
static char *host_input(const char *name)
{
    char *value = NULL;

    if ((pc.mode & SHOW_DEFS) == 0)
	value = lookup_eval(&pc.main_dict, "mail_dict", name);
    if (value == NULL) {
	struct strbuf buf = STRBUF_INIT;
	value = xstrdup(expand_value(&buf, pc.mode, registry_find(name)->defval,
				     NO_SCOPE));
	sb_free(&buf);
    }
    return value;
}

static const char *host_mynetworks_value(void)
{
    static char *networks;

    if (networks == NULL) {
	char *interfaces = host_input("inet_interfaces");
	char *style = host_input("mynetworks_style");
	char *protocols = host_input("inet_protocols");
	char *err;
	if ((networks = host_mynetworks(interfaces, style, protocols, &err)) == NULL)
	    diag_fatal("%s", err);
	free(interfaces);
	free(style);
	free(protocols);
    }
    return networks;
}

/* default_value - what postconf -d shows for a known name */
static const char *default_value(const char *name, const struct pnode *node)
{
    static struct strbuf buf = STRBUF_INIT;

    if (node->def == NULL) {
	if (node->service_default == NULL)
	    return "";		/* user-defined names have no default */
	sb_set(&buf, "$");
	sb_adds(&buf, node->service_default);
	return sb_str(&buf);
    }
    if (node->def->flags & PFLAG_HOST) {
	if (strcmp(name, "myhostname") == 0)
	    return host_myhostname_value();
	if (strcmp(name, "mydomain") == 0)
	    return host_mydomain_value();
	if (strcmp(name, "mynetworks") == 0)
	    return host_mynetworks_value();
	if (strcmp(name, "process_name") == 0)
	    return diag_program();
	if (strcmp(name, "process_id") == 0) {
	    sb_reset(&buf);
	    sb_printf(&buf, "%ld", (long) getpid());
	    return sb_str(&buf);
	}
    }
    return node->def->defval;
}

/*
 * lookup_value - a parameter's value as postconf resolves it: the
 * service's own settings, then main.cf, then (unless -n) the default.
 */
static const char *lookup_value(int mode, const char *name, size_t scope,
				const struct pnode *node)
{
    const char *value = NULL;

    if ((mode & SHOW_DEFS) != 0
	|| ((scope == NO_SCOPE
	     || ((value = strmap_get(&pc.m->master.entries[scope].ro_params, name)) == NULL
		 && (pc.scopes[scope].all_params == NULL
		     || (value = strmap_get(pc.scopes[scope].all_params, name)) == NULL)))
	    && (value = setting_value(&pc.main_dict, name)) == NULL
	    && (mode & SHOW_NONDEF) == 0)) {
	if (node != NULL || (node = find_param(name)) != NULL)
	    value = default_value(name, node);
    }
    return value;
}

struct eval_ctx {
    int mode;
    size_t scope;
};

static const char *eval_lookup(const char *name, int how, void *ptr)
{
    struct eval_ctx *ctx = ptr;

    (void) how;
    return lookup_value(ctx->mode, name, ctx->scope, NULL);
}

/* expand_value - $name expansion as postconf -x does it; errors are fatal */
static const char *expand_value(struct strbuf *buf, int mode, const char *value,
				size_t scope)
{
    struct eval_ctx ctx = { mode & ~SHOW_NONDEF, scope };

    if ((expand(buf, value, EXPAND_RECURSE, eval_lookup, &ctx) & EXPAND_ERROR)
	&& pc.hooks == NULL)
	diag_fatal("macro processing error");
    return sb_str(buf);
}

/* ---------------------------------------------------------------- */
/* Reading the files.                                                */

/* copy_main - main_dict: a copy of the model's main.cf, which conf may change */
static void copy_main(void)
{
    strmap_free(&pc.main_dict, setting_free);
    strmap_init(&pc.main_dict);
    model_copy_main(pc.m, &pc.main_dict);
}

/*
 * own_model - pfc conf's model, made on first use (after -c has set
 * $MAIL_CONFIG): config_directory is set before main.cf is read, as
 * postconf sets it from $MAIL_CONFIG.
 */
static struct model *own_model(void)
{
    const char *dir = getenv(CONFIG_ENV);

    if (pc.m == NULL) {
	model_init(&pc.own, NULL);
	pc.m = &pc.own;
	pc.config_dir = xstrdup(pc.own.config_dir);
	if (dir != NULL)
	    model_put(&pc.own, "config_directory", dir);
	copy_main();
    }
    return &pc.own;
}

static void read_parameters(void)
{
    struct model *m = own_model();

    if (model_read_main(m, NULL) < 0)
	diag_fatal("open %s: %s", m->main_path, strerror(errno));
    copy_main();
}

static void set_parameters(char **overrides, size_t count)
{
    for (size_t i = 0; i < count; i++) {
	char *copy = xstrdup(overrides[i]), *name, *value;
	const char *err = split_nameval(copy, &name, &value);
	if (err != NULL)
	    diag_fatal("invalid parameter override: %s: %s", overrides[i], err);
	setting_put(&pc.main_dict, name, value, 0);
	free(copy);
    }
}

static void read_master(int fail_on_open_error)
{
    struct model *m = own_model();

    if (model_read_master(m, NULL) < 0) {
	char *path = model_path(m, "master.cf");
	if (fail_on_open_error)
	    diag_fatal("open %s: %s", path, strerror(m->master_errno));
	diag_warn("open %s: %s", path, strerror(m->master_errno));
	free(path);
    }
    pc.scopes = xcalloc(m->master.count + 1, sizeof(*pc.scopes));
}

/* ---------------------------------------------------------------- */
/* The names postconf knows.                                         */

static void register_builtin_parameters(void)
{
    pc.builtins = xcalloc(param_table_size, sizeof(*pc.builtins));
    for (size_t i = 0; i < param_table_size; i++) {
	const struct param_def *def = &param_table[i];
	unsigned flags = (def->flags & PFLAG_LEGACY) ? PN_LEGACY : PN_BUILTIN;
	if (def->flags & PFLAG_RAW)
	    flags |= PN_RAW;
	if (def->flags & PFLAG_READONLY)
	    flags |= PN_READONLY;
	pc.builtins[i].flags = flags;
	pc.builtins[i].def = def;
    }
}

/*
 * register_service_parameters - delivery agents named in master.cf get
 * per-service names: "relay unix ... smtp" makes relay_destination_rate_delay
 * known, with $default_destination_rate_delay as its default.
 */
static void register_service_parameters(void)
{
    static const char *const delivery_params[][2] = {
	{"_time_limit", "command_time_limit"},	/* pipe and spawn only */
	{"_recipient_limit", "default_recipient_limit"},
	{"_extra_recipient_limit", "default_extra_recipient_limit"},
	{"_recipient_refill_limit", "default_recipient_refill_limit"},
	{"_recipient_refill_delay", "default_recipient_refill_delay"},
	{"_delivery_slot_cost", "default_delivery_slot_cost"},
	{"_delivery_slot_loan", "default_delivery_slot_loan"},
	{"_delivery_slot_discount", "default_delivery_slot_discount"},
	{"_minimum_delivery_slots", "default_minimum_delivery_slots"},
	{"_initial_destination_concurrency", "initial_destination_concurrency"},
	{"_destination_concurrency_limit", "default_destination_concurrency_limit"},
	{"_destination_recipient_limit", "default_destination_recipient_limit"},
	{"_destination_concurrency_positive_feedback", "default_destination_concurrency_positive_feedback"},
	{"_destination_concurrency_negative_feedback", "default_destination_concurrency_negative_feedback"},
	{"_destination_concurrency_failed_cohort_limit", "default_destination_concurrency_failed_cohort_limit"},
	{"_destination_rate_delay", "default_destination_rate_delay"},
	{"_transport_rate_delay", "default_transport_rate_delay"},
    };
    static const size_t count = sizeof(delivery_params) / sizeof(delivery_params[0]);

    for (size_t i = 0; i < pc.m->master.count; i++) {
	const struct master_entry *e = &pc.m->master.entries[i];
	const char *prog = e->argv[MF_COMMAND];
	size_t first, last;
	if (strcmp(prog, "local") == 0 || strcmp(prog, "error") == 0
	    || strcmp(prog, "virtual") == 0 || strcmp(prog, "smtp") == 0
	    || strcmp(prog, "lmtp") == 0) {
	    first = 1, last = count;
	} else if (strcmp(prog, "pipe") == 0) {
	    first = 0, last = count;
	} else if (strcmp(prog, "spawn") == 0) {
	    first = 0, last = 1;
	} else {
	    continue;
	}
	for (size_t j = first; j < last; j++) {
	    char *name = xconcat(e->argv[MF_SERVICE], delivery_params[j][0], (char *) NULL);
	    struct pnode *node = find_param(name);
	    if (node != NULL)
		class_override(node, PN_SERVICE);
	    else
		enter_param(name, PN_SERVICE, NULL, delivery_params[j][1]);
	    free(name);
	}
    }
}

/*
 * flag_user_parameter - $name was seen in a value (of a service when scope
 * is set): a name with a setting becomes a valid user-defined parameter;
 * one without a setting that postconf does not know is "undefined".
 */
static void flag_user_parameter(const char *name, unsigned class, size_t scope)
{
    const char *source = scope != NO_SCOPE ? "master.cf" : "main.cf";
    int user_supplied = 0;

    if (scope != NO_SCOPE && pc.scopes[scope].all_params != NULL
	&& strmap_has(pc.scopes[scope].all_params, name)) {
	user_supplied = 1;
	if (!strmap_has(&pc.scopes[scope].valid_names, name))
	    strmap_put(&pc.scopes[scope].valid_names, name, NULL);
    } else if (setting_value(&pc.main_dict, name) != NULL) {
	user_supplied = 1;
	if (find_param(name) == NULL)
	    enter_param(name, class, NULL, NULL);
    }
    if (scope == NO_SCOPE) {
	for (size_t i = 0; i < pc.m->master.count; i++) {
	    if (pc.scopes[i].all_params != NULL
		&& strmap_has(pc.scopes[i].all_params, name)) {
		user_supplied = 1;
		if (!strmap_has(&pc.scopes[i].valid_names, name))
		    strmap_put(&pc.scopes[i].valid_names, name, NULL);
	    }
	}
    }
    if (!user_supplied && (class & PN_DBMS) == 0 && find_param(name) == NULL) {
	if (pc.hooks != NULL)
	    pc.hooks->undefined(pc.hooks->ctx, scope, name);
	else
	    diag_warn("%s/%s: undefined parameter: %s", pc.config_dir, source, name);
    }
}

struct scan_ctx {
    unsigned class;
    size_t scope;
};

static const char *scan_lookup(const char *name, int how, void *ptr)
{
    struct scan_ctx *ctx = ptr;

    (void) how;
    flag_user_parameter(name, ctx->class, ctx->scope);
    return NULL;
}

static void scan_value(const char *value, unsigned class, size_t scope)
{
    struct scan_ctx ctx = { class, scope };

    if (strchr(value, '$') != NULL)
	(void) expand(NULL, value, EXPAND_SCAN, scan_lookup, &ctx);
}

/* check_dbms_client - report unknown settings in a database client file */
static void check_dbms_client(const char *type, const char *file)
{
    char *spec = xconcat(type, ":", file, (char *) NULL);
    struct strmap dict;
    struct stat st;
    FILE *fp;

    if (strmap_has(&pc.dbms_visited, spec)) {
	free(spec);
	return;
    }
    strmap_put(&pc.dbms_visited, spec, NULL);
    char *opened = sysroot_path(file);
    fp = fopen(opened, "r");
    if (fp == NULL) {
	if (errno != EACCES)
	    diag_warn("open \"%s\" configuration \"%s\": %s", type, file, strerror(errno));
	free(opened);
	free(spec);
	return;
    }
    if (fstat(fileno(fp), &st) == 0 && !S_ISREG(st.st_mode)) {
	diag_warn("open \"%s\" configuration \"%s\": not a regular file", type, file);
	fclose(fp);
	free(opened);
	free(spec);
	return;
    }
    fclose(fp);
    strmap_init(&dict);
    int status = mainconf_load(opened, &dict, NULL);
    free(opened);
    if (status < 0) {
	diag_warn("read \"%s\" configuration \"%s\": %s", type, file, strerror(errno));
    } else {
	for (size_t i = 0; i < dbms_suffix_table_size; i++)
	    if (strcmp(dbms_suffix_table[i].type, type) == 0)
		setting_free(strmap_del(&dict, dbms_suffix_table[i].suffix));
	size_t pos = 0;
	struct strmap_slot *slot;
	while ((slot = strmap_next(&dict, &pos)) != NULL)
	    diag_warn("%s: unused parameter: %s=%s", spec, slot->key,
		      ((struct setting *) slot->value)->value);
    }
    strmap_free(&dict, setting_free);
    free(spec);
}

static int is_dbms_type(const char *type)
{
    for (size_t i = 0; i < dbms_suffix_table_size; i++)
	if (strcmp(dbms_suffix_table[i].type, type) == 0)
	    return 1;
    return 0;
}

static void warn_brace_error(size_t scope, const char *err)
{
    if (scope != NO_SCOPE)
	diag_warn("master.cf:%s: %s", pc.m->master.entries[scope].name_space, err);
    else
	diag_warn("main.cf: %s", err);
}

/*
 * register_dbms_helper - find ldap:name, mysql:name ... in a value. A
 * name that is not a path makes name_suffix parameters known; a path is a
 * client configuration file whose unknown settings postconf reports.
 * Nesting past DBMS_MAX_DEPTH is not looked into (postconf recurses until
 * its stack runs out).
 */
#define DBMS_MAX_DEPTH 100

static void register_dbms_helper(char *value, size_t scope, int depth)
{
    char *db_type, *prefix, *err;

    if (depth > DBMS_MAX_DEPTH)
	return;
    while ((db_type = str_tokq(&value, CHARS_COMMA_SP)) != NULL) {
	if (*db_type == '{') {
	    if ((err = extract_braces(&db_type, 0)) != NULL) {
		warn_brace_error(scope, err);
		free(err);
	    }
	    register_dbms_helper(db_type, scope, depth + 1);
	    continue;
	}
	/* Look through proxy: as proxymap(8) would. */
	while ((prefix = strchr(db_type, ':')) != NULL) {
	    *prefix++ = 0;
	    if (strcmp(db_type, "proxy") != 0)
		break;
	    db_type = prefix;
	}
	if (prefix == NULL)
	    continue;
	if (*prefix == '/') {
	    if (is_dbms_type(db_type))
		check_dbms_client(db_type, prefix);
	    continue;
	}
	if (*prefix == '.')
	    continue;
	if (*prefix == '{') {
	    if ((err = extract_braces(&prefix, 0)) != NULL) {
		warn_brace_error(scope, err);
		free(err);
	    }
	    register_dbms_helper(prefix, scope, depth + 1);
	    continue;
	}
	for (size_t i = 0; i < dbms_suffix_table_size; i++) {
	    if (strcmp(dbms_suffix_table[i].type, db_type) == 0) {
		char *candidate = xconcat(prefix, "_", dbms_suffix_table[i].suffix,
					  (char *) NULL);
		flag_user_parameter(candidate, PN_DBMS | PN_USER, scope);
		free(candidate);
	    }
	}
    }
}

static void register_dbms_parameters(const char *value, size_t scope)
{
    struct strbuf buf = STRBUF_INIT;
    char *copy = xstrdup(expand_value(&buf, SHOW_EVAL, value, scope));

    register_dbms_helper(copy, scope, 0);
    free(copy);
    sb_free(&buf);
}

/* by_seq - qsort: main.cf's names in the order they were first set */
static int by_seq(const void *a, const void *b)
{
    const struct setting *x = (*(struct strmap_slot *const *) a)->value;
    const struct setting *y = (*(struct strmap_slot *const *) b)->value;

    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/*
 * main_order - main.cf's names in the order postconf walks them, taken
 * before any read-only name is deleted (a deletion moves no other name).
 */
static char **main_order(void)
{
    size_t count = pc.main_dict.used, i = 0, pos = 0;
    struct strmap_slot *slot, **slots;

    if (pc.main_order != NULL)
	return pc.main_order;
    slots = xcalloc(count + 1, sizeof(*slots));
    while ((slot = strmap_next(&pc.main_dict, &pos)) != NULL)
	slots[i++] = slot;
    qsort(slots, count, sizeof(*slots), by_seq);
    pc.main_order = xcalloc(count + 1, sizeof(*pc.main_order));
    for (i = 0; i < count; i++)
	pc.main_order[i] = xstrdup(slots[i]->key);
    htorder_sort((const char **) pc.main_order, count, HTORDER_DICT_SIZE);
    free(slots);
    return pc.main_order;
}

/* scope_dict - the settings of a namespace: main.cf, or a service's -o */
struct dict_view {
    struct strmap *dict;
    int is_setting;		/* values are struct setting, not char * */
    char **order;		/* the names, in postconf's order */
};

static const char *view_value(const struct dict_view *v, const char *name)
{
    if (v->is_setting)
	return setting_value(v->dict, name);
    return strmap_get(v->dict, name);
}

static const char *view_lookup(const char *name, int how, void *ptr)
{
    (void) how;
    return view_value(ptr, name);
}

/*
 * scan_namespace - scan every value of one namespace for $name, register
 * restriction classes, and reject assignments to read-only names.
 */
static void scan_namespace(struct dict_view *view, const char *dict_name,
			   size_t scope)
{
    const char *source = scope != NO_SCOPE ? "master.cf" : "main.cf";
    const char *classes = view_value(view, "smtpd_restriction_classes");

    if (classes != NULL) {
	struct strbuf buf = STRBUF_INIT;
	if ((expand(&buf, classes, EXPAND_RECURSE, view_lookup, view) & EXPAND_ERROR)
	    && pc.hooks == NULL)
	    diag_fatal("dictionary %s: macro processing error", dict_name);
	char *bp = buf.s ? buf.s : "", *name;
	while ((name = strtok_r(bp, CHARS_COMMA_SP, &bp)) != NULL) {
	    if (scope == NO_SCOPE && !strmap_has(&pc.rest_classes, name))
		strmap_put(&pc.rest_classes, name, NULL);
	    flag_user_parameter(name, PN_USER, scope);
	}
	sb_free(&buf);
    }
    for (char **np = view->order; *np != NULL; np++) {
	const char *name = *np;
	const char *value = view_value(view, name);
	if (value == NULL)
	    continue;		/* a read-only name, deleted */
	if (scope != NO_SCOPE && !strmap_has(&pc.scopes[scope].valid_names, name)
	    && strmap_has(&pc.rest_classes, name))
	    strmap_put(&pc.scopes[scope].valid_names, name, NULL);
	struct pnode *node = find_param(name);
	if (node != NULL) {
	    if (node->flags & PN_READONLY) {
		diag_warn("%s/%s: read-only parameter assignment: %s=%s",
			  pc.config_dir, source, name, value);
		if (view->is_setting)
		    setting_free(strmap_del(view->dict, name));
		else
		    free(strmap_del(view->dict, name));
		continue;
	    }
	    if (node->flags & PN_LEGACY)
		class_override(node, PN_USER);
	    if (node->flags & PN_RAW)
		continue;
	}
	scan_value(value, PN_USER, scope);
	if (node != NULL && (node->flags & (PN_BUILTIN | PN_SERVICE)))
	    register_dbms_parameters(value, scope);
    }
}

/* by_bucket - qsort: names by their bucket in postconf's table of names */
static size_t name_table_size;

static int by_bucket(const void *a, const void *b)
{
    size_t x = htorder_hash((*(const struct param_def *const *) a)->name) % name_table_size;
    size_t y = htorder_hash((*(const struct param_def *const *) b)->name) % name_table_size;

    return x < y ? -1 : x > y;
}

/*
 * scan_defaults - postconf scans the default value of every name main.cf
 * does not set, for $name, in the order of its table of known names.
 * Built-in defaults name only built-in parameters (gen-params.awk refuses
 * a registry where one does not), so that scan can neither define nor
 * flag a name; what remains observable is computing the host-derived
 * defaults, which evaluate main.cf's mydomain, myhostname, inet_interfaces,
 * mynetworks_style and inet_protocols and fail on them as postconf fails,
 * the first in that order first. No two host-derived names share a bucket.
 */
static void scan_defaults(void)
{
    const struct param_def *host[8];
    size_t count = 0;

    for (size_t i = 0; i < param_table_size; i++) {
	const struct param_def *def = &param_table[i];
	if ((def->flags & PFLAG_HOST) && setting_value(&pc.main_dict, def->name) == NULL
	    && count < sizeof(host) / sizeof(host[0]))
	    host[count++] = def;
    }
    name_table_size = htorder_size(HTORDER_PARAM_TABLE_SIZE,
				   param_table_size + pc.params.used);
    qsort(host, count, sizeof(host[0]), by_bucket);
    for (size_t i = 0; i < count; i++)
	(void) default_value(host[i]->name, &pc.builtins[host[i] - param_table]);
}

static void register_user_parameters(void)
{
    strmap_init(&pc.rest_classes);
    strmap_init(&pc.namespaces);
    for (size_t i = 0; i < pc.m->master.count; i++) {
	struct master_entry *e = &pc.m->master.entries[i];
	for (size_t field = MASTER_MIN_FIELDS; e->argv[field] != NULL; field++) {
	    const char *arg = e->argv[field];
	    const char *aval;
	    if (arg[0] != '-' || strcmp(arg, "--") == 0)
		break;
	    if (!MASTER_OPTION_TAKES_VALUE(arg) || (aval = e->argv[field + 1]) == NULL)
		continue;
	    if (strcmp(arg, "-o") == 0) {
		char *copy = xstrdup(aval), *name, *value;
		if (split_nameval(copy, &name, &value) == NULL) {
		    struct name_space *ns = strmap_get(&pc.namespaces, e->name_space);
		    if (ns == NULL) {
			ns = xcalloc(1, sizeof(*ns));
			strmap_init(&ns->params);
			strmap_put(&pc.namespaces, e->name_space, ns);
		    }
		    char *old = strmap_put(&ns->params, name, xstrdup(value));
		    if (old == NULL) {
			ns->order = xrealloc(ns->order, (ns->count + 2) * sizeof(*ns->order));
			ns->order[ns->count++] = xstrdup(name);
			ns->order[ns->count] = NULL;
		    }
		    free(old);
		}
		free(copy);
	    }
	    field += 1;
	}
	/* An entry before the first -o of its name space has none (as postconf). */
	struct name_space *ns = strmap_get(&pc.namespaces, e->name_space);
	if (ns != NULL) {
	    pc.scopes[i].all_params = &ns->params;
	    strmap_init(&pc.scopes[i].valid_names);
	}
    }
    /* The names of each name space in the order postconf walks them. */
    size_t pos = 0;
    struct strmap_slot *slot;
    while ((slot = strmap_next(&pc.namespaces, &pos)) != NULL) {
	struct name_space *ns = slot->value;
	htorder_sort((const char **) ns->order, ns->count, HTORDER_DICT_SIZE);
    }
    for (size_t i = 0; i < pc.m->master.count; i++) {
	if (pc.scopes[i].all_params != NULL) {
	    struct name_space *ns = strmap_get(&pc.namespaces,
					       pc.m->master.entries[i].name_space);
	    pc.scopes[i].order = ns->order;
	    struct dict_view view = { pc.scopes[i].all_params, 0, pc.scopes[i].order };
	    scan_namespace(&view, pc.m->master.entries[i].name_space, i);
	}
    }
    if (pc.hooks == NULL)	/* a bad host default is not a name problem */
	scan_defaults();
    struct dict_view main_view = { &pc.main_dict, 1, main_order() };
    scan_namespace(&main_view, "mail_dict", NO_SCOPE);
}

/* ---------------------------------------------------------------- */
/* Showing main.cf parameters.                                       */

static void print_parameter(int mode, const char *name, const struct pnode *node)
{
    const char *value = lookup_value(mode, name, NO_SCOPE, node);
    struct strbuf line = STRBUF_INIT, exp = STRBUF_INIT;

    if (value == NULL)
	return;
    if (mode & HIDE_VALUE) {
	sb_adds(&line, name);
    } else {
	if ((mode & SHOW_EVAL) != 0 && (node->flags & PN_RAW) == 0)
	    value = expand_value(&exp, mode, value, NO_SCOPE);
	if ((mode & HIDE_NAME) == 0)
	    sb_printf(&line, "%s = %s", name, value);
	else
	    sb_adds(&line, value);
    }
    print_line(mode, sb_str(&line));
    sb_free(&line);
    sb_free(&exp);
}

static void show_parameters(int mode, char **names, int count)
{
    if (count == 0) {
	/* Merge the sorted registry with the sorted other names. */
	const char **keys = strmap_sorted_keys(&pc.params);
	const char **kp = keys;
	size_t i = 0;
	while (i < param_table_size || *kp != NULL) {
	    const char *name;
	    if (*kp == NULL || (i < param_table_size && strcmp(param_table[i].name, *kp) < 0))
		name = param_table[i++].name;
	    else
		name = *kp++;
	    const struct pnode *node = find_param(name);
	    if (pc.param_class & node->flags)
		print_parameter(mode, name, node);
	}
	free(keys);
	return;
    }
    for (int i = 0; i < count; i++) {
	const struct pnode *node = find_param(names[i]);
	if (node == NULL)
	    diag_warn("%s: unknown parameter", names[i]);
	else
	    print_parameter(mode, names[i], node);
    }
}

static void flag_unused_main_parameters(void)
{
    for (char **np = main_order(); *np != NULL; np++) {
	const char *value = setting_value(&pc.main_dict, *np);
	if (value == NULL || find_param(*np) != NULL)
	    continue;
	if (pc.hooks != NULL) {
	    pc.hooks->unused(pc.hooks->ctx, CONF_MAIN_SCOPE, *np, value);
	} else {
	    flush_output();
	    diag_warn("%s/main.cf: unused parameter: %s=%s", pc.config_dir, *np, value);
	}
    }
}

static void flag_unused_master_parameters(void)
{
    for (size_t i = 0; i < pc.m->master.count; i++) {
	struct strmap *dict = pc.scopes[i].all_params;
	if (dict == NULL)
	    continue;
	for (char **np = pc.scopes[i].order; *np != NULL; np++) {
	    const char *value = strmap_get(dict, *np);
	    if (value == NULL || find_param(*np) != NULL
		|| strmap_has(&pc.scopes[i].valid_names, *np))
		continue;
	    if (pc.hooks != NULL) {
		pc.hooks->unused(pc.hooks->ctx, i, *np, value);
	    } else {
		flush_output();
		diag_warn("%s/master.cf: unused parameter: %s=%s", pc.config_dir, *np, value);
	    }
	}
    }
}

/* free_names - a NULL-terminated array of names */
static void free_names(char **names)
{
    if (names != NULL)
	for (char **np = names; *np != NULL; np++)
	    free(*np);
    free(names);
}

/* free_namespace - one service's shared -o dictionary */
static void free_namespace(void *ptr)
{
    struct name_space *ns = ptr;

    strmap_free(&ns->params, free);
    free_names(ns->order);
    free(ns);
}

/*
 * conf_state_free - forget an earlier conf_scan_names(): pfc diff of two
 * configuration directories scans twice in one process.
 */
static void conf_state_free(void)
{
    strmap_free(&pc.main_dict, setting_free);
    free_names(pc.main_order);
    strmap_free(&pc.params, free);
    free(pc.builtins);
    if (pc.scopes != NULL)
	for (size_t i = 0; i < pc.m->master.count; i++)
	    strmap_free(&pc.scopes[i].valid_names, NULL);
    free(pc.scopes);
    strmap_free(&pc.namespaces, free_namespace);
    strmap_free(&pc.rest_classes, NULL);
    strmap_free(&pc.dbms_visited, NULL);
    if (pc.m == &pc.own)
	model_free(&pc.own);
    free(pc.config_dir);
}

/* conf_scan_names - see conf.h: postconf -n's name analysis of m, reported */
void conf_scan_names(const struct model *m, const struct conf_name_hooks *hooks)
{
    if (pc.config_dir != NULL)
	conf_state_free();
    memset(&pc, 0, sizeof(pc));
    pc.param_class = PN_CLASS_MASK;
    pc.hooks = hooks;
    strmap_init(&pc.main_dict);
    strmap_init(&pc.params);
    strmap_init(&pc.dbms_visited);
    pc.m = m;
    pc.config_dir = xstrdup(m->config_dir);
    copy_main();
    pc.scopes = xcalloc(m->master.count + 1, sizeof(*pc.scopes));
    register_builtin_parameters();
    register_service_parameters();
    register_user_parameters();
    flag_unused_main_parameters();
    flag_unused_master_parameters();
    /* pc is kept for the process (postconf's way), or freed by the next scan. */
}

/* ---------------------------------------------------------------- */
/* Showing master.cf.                                                */

/* A selector: service[/type[/field-or-name]], "*" matching anything. */
struct selector {
    const char *raw;
    char *parts[3];
    int field;			/* -F: field index, -1 for "*" */
    int matches;
};

#define MATCH_ANY(p) ((p)[0] == '*' && (p)[1] == 0)
#define MATCH_STRING(p, s) (MATCH_ANY(p) || strcmp((p), (s)) == 0)

static int parse_selector(struct selector *sel, const char *raw, int min, int max)
{
    char *copy = xstrdup(raw), *bp = copy, *word;
    int n = 0;

    memset(sel, 0, sizeof(*sel));
    sel->raw = raw;
    if (*raw == '/') {
	free(copy);
	return -1;
    }
    while ((word = strtok_r(bp, "/", &bp)) != NULL) {
	if (n >= max || (!MATCH_ANY(word) && strchr(word, '*') != NULL)) {
	    n = max + 1;
	    break;
	}
	sel->parts[n++] = xstrdup(word);
    }
    free(copy);
    if (n < min || n > max) {
	for (int i = 0; i < 3; i++)
	    free(sel->parts[i]);
	return -1;
    }
    while (n < max)
	sel->parts[n++] = xstrdup("*");
    return 0;
}

static void free_selector(struct selector *sel)
{
    for (int i = 0; i < 3; i++)
	free(sel->parts[i]);
}

static int selector_matches(const struct selector *sel, const struct master_entry *e)
{
    return MATCH_STRING(sel->parts[0], e->argv[MF_SERVICE])
	&& MATCH_STRING(sel->parts[1], e->argv[MF_TYPE]);
}

/*
 * print_arguments - the command and its arguments, with -o values
 * expanded under -x, braces around values with spaces, and -f folding.
 * postconf -M and -F share this layout.
 */
static void print_arguments(int mode, size_t index, size_t field, size_t line_len,
			    int value_sep_len)
{
    const struct master_entry *e = &pc.m->master.entries[index];
    struct strbuf exp = STRBUF_INIT;
    int in_options = 1;
    const char *arg;

    for (; (arg = e->argv[field]) != NULL; field++) {
	size_t arg_len = strlen(arg);
	const char *aval = NULL;
	int need_braces = 0;
	if (in_options) {
	    /* The argument that ends the options gets no braces (as postconf). */
	    if (arg[0] != '-' || strcmp(arg, "--") == 0) {
		in_options = 0;
	    } else if (MASTER_OPTION_TAKES_VALUE(arg) && (aval = e->argv[field + 1]) != NULL) {
		line_len = LINE_LIMIT;
		if (strcmp(arg, "-o") == 0 && (mode & SHOW_EVAL) != 0)
		    aval = expand_value(&exp, mode, aval, index);
		arg_len += strlen(aval) + (size_t) value_sep_len;
		if ((need_braces = aval[strcspn(aval, SEPARATORS)] != 0))
		    arg_len += 2;
	    }
	} else {
	    need_braces = arg[strcspn(arg, SEPARATORS)] != 0;
	}
	if (line_len > INDENT_LEN) {
	    if ((mode & FOLD_LINE) == 0 || line_len + 1 + arg_len < LINE_LIMIT) {
		out_putc(' ');
		line_len += 1;
	    } else {
		out_puts("\n" INDENT);
		line_len = INDENT_LEN;
	    }
	}
	if (!in_options && need_braces)
	    out_putc('{');
	out_puts(arg);
	if (!in_options && need_braces)
	    out_putc('}');
	line_len += strlen(arg) + (!in_options && need_braces ? 2 : 0);
	if (aval != NULL) {
	    out_putc(' ');
	    if (need_braces)
		out_putc('{');
	    out_puts(aval);
	    if (need_braces)
		out_putc('}');
	    field += 1;
	    line_len = LINE_LIMIT;
	}
    }
    out_putc('\n');
    sb_free(&exp);
}

static void print_master_entry(int mode, size_t index)
{
    static const size_t column_goal[] = { 0, 11, 17, 25, 33, 41, 49, 57 };
    const struct master_entry *e = &pc.m->master.entries[index];
    size_t line_len = 0;

    for (size_t field = 0; field < MASTER_MIN_FIELDS; field++) {
	if (line_len > 0) {
	    do {
		out_putc(' ');
		line_len++;
	    } while (line_len < column_goal[field]);
	}
	out_puts(e->argv[field]);
	line_len += strlen(e->argv[field]);
    }
    print_arguments(mode, index, MASTER_MIN_FIELDS, line_len, 3);
}

static void show_master_entries(int mode, char **args, int count)
{
    struct selector *sels = xcalloc((size_t) count + 1, sizeof(*sels));

    for (int i = 0; i < count; i++)
	if (parse_selector(&sels[i], args[i], 1, 2) < 0)
	    diag_fatal("-M option requires service_name[/type]");
    for (size_t e = 0; e < pc.m->master.count; e++) {
	if (count == 0) {
	    print_master_entry(mode, e);
	    continue;
	}
	for (int i = 0; i < count; i++) {
	    if (selector_matches(&sels[i], &pc.m->master.entries[e])) {
		sels[i].matches++;
		print_master_entry(mode, e);
	    }
	}
    }
    for (int i = 0; i < count; i++) {
	if (sels[i].matches == 0)
	    diag_warn("unmatched request: \"%s\"", sels[i].raw);
	free_selector(&sels[i]);
    }
    free(sels);
}

static void print_master_field(int mode, size_t index, int field)
{
    const struct master_entry *e = &pc.m->master.entries[index];
    size_t line_len = 0;

    if ((mode & HIDE_NAME) == 0) {
	out_puts(e->argv[MF_SERVICE]);
	out_putc('/');
	out_puts(e->argv[MF_TYPE]);
	out_putc('/');
	out_puts(master_field_names[field]);
	line_len = strlen(e->argv[MF_SERVICE]) + strlen(e->argv[MF_TYPE])
	    + strlen(master_field_names[field]) + 2;
    }
    if ((mode & (HIDE_NAME | HIDE_VALUE)) == 0) {
	out_puts(" = ");
	line_len += 3;
    }
    if ((mode & HIDE_VALUE) == 0) {
	if (line_len > 0 && line_len + strlen(e->argv[field]) > LINE_LIMIT) {
	    out_puts("\n" INDENT);
	    line_len = INDENT_LEN;
	}
	out_puts(e->argv[field]);
	line_len += strlen(e->argv[field]);
    }
    if (field == MF_COMMAND && (mode & HIDE_VALUE) == 0)
	print_arguments(mode, index, MF_COMMAND + 1, line_len, 1);
    else
	out_putc('\n');
}

static int parse_field_name(const char *name)
{
    if (strcmp(name, "*") == 0)
	return -1;
    for (int i = 0; i < MASTER_MIN_FIELDS; i++)
	if (strcmp(master_field_names[i], name) == 0)
	    return i;
    diag_fatal("invalid service attribute name: \"%s\"", name);
}

static void print_master_fields(int mode, size_t index, int field)
{
    if (field < 0) {
	for (int f = 0; f < MASTER_MIN_FIELDS; f++)
	    print_master_field(mode, index, f);
    } else {
	print_master_field(mode, index, field);
    }
}

static void show_master_fields(int mode, char **args, int count)
{
    struct selector *sels = xcalloc((size_t) count + 1, sizeof(*sels));

    for (int i = 0; i < count; i++) {
	if (parse_selector(&sels[i], args[i], 1, 3) < 0)
	    diag_fatal("-F option requires service_name[/type[/field]]");
	sels[i].field = parse_field_name(sels[i].parts[2]);
    }
    for (size_t e = 0; e < pc.m->master.count; e++) {
	if (count == 0) {
	    print_master_fields(mode, e, -1);
	    continue;
	}
	for (int i = 0; i < count; i++) {
	    if (selector_matches(&sels[i], &pc.m->master.entries[e])) {
		sels[i].matches++;
		print_master_fields(mode, e, sels[i].field);
	    }
	}
    }
    for (int i = 0; i < count; i++) {
	if (sels[i].matches == 0)
	    diag_warn("unmatched request: \"%s\"", sels[i].raw);
	free_selector(&sels[i]);
    }
    free(sels);
}

static void print_master_param(int mode, size_t index, const char *name,
			       const char *value)
{
    const char *ns = pc.m->master.entries[index].name_space;
    struct strbuf line = STRBUF_INIT, exp = STRBUF_INIT;

    if (mode & HIDE_VALUE) {
	sb_printf(&line, "%s/%s", ns, name);
    } else {
	if (mode & SHOW_EVAL)
	    value = expand_value(&exp, mode, value, index);
	if ((mode & HIDE_NAME) == 0)
	    sb_printf(&line, "%s/%s = %s", ns, name, value);
	else
	    sb_adds(&line, value);
    }
    print_line(mode, sb_str(&line));
    sb_free(&line);
    sb_free(&exp);
}

static void print_master_any_param(int mode, size_t index)
{
    struct strmap *dict = pc.scopes[index].all_params;
    const char **names = strmap_sorted_keys(dict);

    for (const char **np = names; *np; np++)
	print_master_param(mode, index, *np, strmap_get(dict, *np));
    free(names);
}

static void show_master_params(int mode, char **args, int count)
{
    struct selector *sels = xcalloc((size_t) count + 1, sizeof(*sels));

    for (int i = 0; i < count; i++)
	if (parse_selector(&sels[i], args[i], 1, 3) < 0)
	    diag_fatal("-P option requires service_name[/type[/parameter]]");
    for (size_t e = 0; e < pc.m->master.count; e++) {
	struct strmap *dict = pc.scopes[e].all_params;
	if (dict == NULL)
	    continue;
	if (count == 0) {
	    print_master_any_param(mode, e);
	    continue;
	}
	for (int i = 0; i < count; i++) {
	    const char *value;
	    if (!selector_matches(&sels[i], &pc.m->master.entries[e]))
		continue;
	    if (MATCH_ANY(sels[i].parts[2])) {
		print_master_any_param(mode, e);
		sels[i].matches++;
	    } else if ((value = strmap_get(dict, sels[i].parts[2])) != NULL) {
		print_master_param(mode, e, sels[i].parts[2], value);
		sels[i].matches++;
	    }
	}
    }
    for (int i = 0; i < count; i++) {
	if (sels[i].matches == 0)
	    diag_warn("unmatched request: \"%s\"", sels[i].raw);
	free_selector(&sels[i]);
    }
    free(sels);
}

/* ---------------------------------------------------------------- */
/* Options.                                                          */

static void option_list(struct strbuf *buf, int bits)
{
    for (size_t i = 0; i < sizeof(option_names) / sizeof(option_names[0]); i++) {
	if (bits & option_names[i].bit) {
	    if (buf->len)
		sb_addch(buf, ' ');
	    sb_adds(buf, option_names[i].name);
	}
    }
}

/* check_options - postconf's rules for options that exclude each other */
static void check_options(int mode)
{
    static const int exclusive[] = {
	MAIN_PARAM | MASTER_ENTRY | MASTER_FLD | MASTER_PARAM,
	SHOW_DEFS | SHOW_NONDEF,
	FOLD_LINE,
	SHOW_EVAL,
	MAIN_OVER | SHOW_DEFS,
	HIDE_NAME | HIDE_VALUE,
    };
    static const int compatible[][2] = {
	{MAIN_PARAM, FOLD_LINE | HIDE_NAME | PARAM_CLASS | SHOW_EVAL | SHOW_DEFS
	 | SHOW_NONDEF | MAIN_OVER | HIDE_VALUE},
	{MASTER_ENTRY, FOLD_LINE | MAIN_OVER | SHOW_EVAL},
	{MASTER_FLD, FOLD_LINE | HIDE_NAME | MAIN_OVER | SHOW_EVAL | HIDE_VALUE},
	{MASTER_PARAM, FOLD_LINE | HIDE_NAME | MAIN_OVER | SHOW_EVAL | HIDE_VALUE},
	{PARAM_CLASS, MAIN_PARAM | SHOW_DEFS | SHOW_NONDEF},
    };
    struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;

    for (size_t i = 0; i < sizeof(exclusive) / sizeof(exclusive[0]); i++) {
	int bits = exclusive[i] & mode;
	if (bits & (bits - 1)) {
	    option_list(&a, bits);
	    diag_fatal("specify one of %s", a.s);
	}
    }
    for (size_t i = 0; i < sizeof(compatible) / sizeof(compatible[0]); i++) {
	int excess = mode & ~(compatible[i][0] | compatible[i][1]);
	if ((mode & compatible[i][0]) && excess) {
	    option_list(&a, compatible[i][0]);
	    option_list(&b, excess);
	    diag_fatal("with option %s, do not specify %s", a.s, b.s);
	}
    }
}

static int parse_param_class(const char *text)
{
    static const struct { const char *name; int bits; } classes[] = {
	{"builtin", PN_BUILTIN}, {"service", PN_SERVICE}, {"user", PN_USER},
	{"all", PN_CLASS_MASK},
    };
    char *copy = xstrdup(text), *bp = copy, *word;
    int mask = 0;

    while ((word = strtok_r(bp, CHARS_COMMA_SP "|", &bp)) != NULL) {
	size_t i;
	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
	    if (strcasecmp(classes[i].name, word) == 0)
		break;
	if (i == sizeof(classes) / sizeof(classes[0]))
	    diag_fatal("unknown -C option value \"%s\" in \"%s\"", word, text);
	mask |= classes[i].bits;
    }
    free(copy);
    return mask;
}

/* refuse_postconf_option - postconf's options that pfc conf does not have */
static void refuse_postconf_option(int ch)
{
    static const struct { int ch; const char *what; } options[] = {
	{'a', "server SASL types"}, {'A', "client SASL types"},
	{'b', "bounce templates"}, {'t', "bounce templates"},
	{'e', "editing main.cf or master.cf"}, {'X', "removing parameters"},
	{'#', "commenting out parameters"}, {'l', "mailbox lock types"},
	{'m', "lookup table types"}, {'T', "TLS introspection"},
    };
    for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
	if (options[i].ch == ch)
	    diag_fatal("option -%c (%s) is not supported by %s conf; use postconf(1)",
		       ch, options[i].what, diag_program());
    diag_fatal("option -%c is not supported by %s conf", ch, diag_program());
}

int cmd_conf(int argc, char **argv)
{
    char **overrides = xcalloc((size_t) argc + 1, sizeof(*overrides));
    size_t override_count = 0;
    int ch;

    memset(&pc, 0, sizeof(pc));
    pc.param_class = PN_CLASS_MASK;
    strmap_init(&pc.main_dict);
    strmap_init(&pc.params);
    strmap_init(&pc.dbms_visited);
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "+:aAbc:C:defFhHlmMno:pPtT:vxX#",
			     help_long_options, NULL)) > 0) {
	switch (ch) {
	case HELP_OPTION:
	    help_print(stdout, "conf");
	    free(overrides);
	    return 0;
	case 'c':
	    if (setenv(CONFIG_ENV, optarg, 1) < 0)
		diag_fatal("out of memory");
	    break;
	case 'C':
	    pc.mode |= PARAM_CLASS;
	    pc.param_class = parse_param_class(optarg);
	    break;
	case 'd': pc.mode |= SHOW_DEFS; break;
	case 'f': pc.mode |= FOLD_LINE; break;
	case 'F': pc.mode |= MASTER_FLD; break;
	case 'h': pc.mode |= HIDE_NAME; break;
	case 'H': pc.mode |= HIDE_VALUE; break;
	case 'M': pc.mode |= MASTER_ENTRY; break;
	case 'n': pc.mode |= SHOW_NONDEF; break;
	case 'o':
	    pc.mode |= MAIN_OVER;
	    overrides[override_count++] = optarg;
	    break;
	case 'p': pc.mode |= MAIN_PARAM; break;
	case 'P': pc.mode |= MASTER_PARAM; break;
	case 'v': break;
	case 'x': pc.mode |= SHOW_EVAL; break;
	case '?':
	case ':':
	    free(overrides);
	    return help_option_error("conf", ch, argv, 1);
	default:
	    refuse_postconf_option(ch);
	}
    }
    if ((pc.mode & (MAIN_PARAM | MASTER_ENTRY | MASTER_FLD | MASTER_PARAM)) == 0)
	pc.mode |= MAIN_PARAM;
    if (argv[optind] != NULL && strchr(argv[optind], '=') != NULL)
	diag_fatal("%s conf does not edit configuration files: \"%s\"; use postconf -e",
		   diag_program(), argv[optind]);
    check_options(pc.mode);

    char **names = argv + optind;
    int name_count = argc - optind;
    if (pc.mode & (MASTER_ENTRY | MASTER_FLD | MASTER_PARAM)) {
	read_master(1);
	read_parameters();
	set_parameters(overrides, override_count);
	register_builtin_parameters();
	register_service_parameters();
	register_user_parameters();
	if (pc.mode & MASTER_FLD)
	    show_master_fields(pc.mode, names, name_count);
	else if (pc.mode & MASTER_PARAM)
	    show_master_params(pc.mode, names, name_count);
	else
	    show_master_entries(pc.mode, names, name_count);
	flag_unused_master_parameters();
    } else {
	if ((pc.mode & SHOW_DEFS) == 0) {
	    read_parameters();
	    set_parameters(overrides, override_count);
	}
	register_builtin_parameters();
	read_master(0);
	register_service_parameters();
	if ((pc.mode & SHOW_DEFS) == 0)
	    register_user_parameters();
	show_parameters(pc.mode, names, name_count);
	if ((pc.mode & SHOW_DEFS) == 0) {
	    flag_unused_main_parameters();
	    flag_unused_master_parameters();
	}
    }
    free(overrides);
    out_finish();
    return 0;
}
