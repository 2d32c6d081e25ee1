/*
 * postconf - a model as postconf(1) reads it (postconf.h): the names it
 * knows and how it registers them, its lookups with their modes, the
 * defaults it computes on its host, its warnings about unused and
 * undefined names. Its order of work is postconf's, because pfc conf's
 * warnings must come in the order NORANDOMIZE=1 postconf gives them.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "expand.h"
#include "hostinfo.h"
#include "htorder.h"
#include "main_cf.h"
#include "master_cf.h"
#include "output.h"
#include "postconf.h"
#include "registry.h"
#include "sysroot.h"
#include "textutil.h"
#include "xalloc.h"

#define CONFIG_ENV "MAIL_CONFIG"

/*
 * A master.cf name space: the -o settings of every entry with the same
 * service name and type, and the order in which postconf walks them.
 */
struct name_space {
    struct strmap params;	/* -o name -> value */
    char **order;		/* the names in htable order (htorder.h) */
    size_t count;
};


/*
 * postconf_find - the known name, or NULL. Built-in names live in an array
 * parallel to the registry (no copying of 800 names per run); the names
 * registered from master.cf and main.cf live in pc->params.
 */
struct pnode *postconf_find(struct postconf *pc, const char *name)
{
    const struct param_def *def;

    if (pc->builtins != NULL && (def = registry_find(name)) != NULL)
	return &pc->builtins[def - param_table];
    return strmap_get(&pc->params, name);
}

static struct pnode *enter_param(struct postconf *pc, const char *name, unsigned flags,
				 const struct param_def *def,
				 const char *service_default)
{
    struct pnode *node = xmalloc(sizeof(*node));

    node->flags = flags;
    node->def = def;
    node->service_default = service_default;
    free(strmap_put(&pc->params, name, node));
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
static char *main_mydomain(void *ctx)
{
    struct postconf *pc = ctx;

    return lookup_eval(&pc->main_dict, "mail_dict", "mydomain");
}

static const char *host_myhostname_value(struct postconf *pc)
{
    if (pc->myhostname == NULL)
	pc->myhostname = host_myhostname(main_mydomain, pc);
    return pc->myhostname;
}

static const char *host_mydomain_value(struct postconf *pc)
{
    if (pc->mydomain == NULL) {
	char *hostname = lookup_eval(&pc->main_dict, "mail_dict", "myhostname");
	pc->mydomain = host_mydomain(hostname ? hostname : host_myhostname_value(pc));
	free(hostname);
    }
    return pc->mydomain;
}

/* host_input - a main.cf setting, or its expanded default under -d */
static char *host_input(struct postconf *pc, const char *name)
{
    char *value = NULL;

    if ((pc->mode & SHOW_DEFS) == 0)
	value = lookup_eval(&pc->main_dict, "mail_dict", name);
    if (value == NULL) {
	struct strbuf buf = STRBUF_INIT;
	value = xstrdup(postconf_expand(pc, &buf, pc->mode, registry_find(name)->defval,
				     NO_SCOPE));
	sb_free(&buf);
    }
    return value;
}

static const char *host_mynetworks_value(struct postconf *pc)
{
    if (pc->mynetworks == NULL) {
	char *interfaces = host_input(pc, "inet_interfaces");
	char *style = host_input(pc, "mynetworks_style");
	char *protocols = host_input(pc, "inet_protocols");
	char *err;
	if ((pc->mynetworks = host_mynetworks(interfaces, style, protocols, &err)) == NULL)
	    diag_fatal("%s", err);
	free(interfaces);
	free(style);
	free(protocols);
    }
    return pc->mynetworks;
}

/* default_value - what postconf -d shows for a known name */
static const char *default_value(struct postconf *pc, const char *name, const struct pnode *node)
{
    struct strbuf *buf = &pc->default_buf;

    if (node->def == NULL) {
	if (node->service_default == NULL)
	    return "";		/* user-defined names have no default */
	sb_set(buf, "$");
	sb_adds(buf, node->service_default);
	return sb_str(buf);
    }
    if (node->def->flags & PFLAG_HOST) {
	if (strcmp(name, "myhostname") == 0)
	    return host_myhostname_value(pc);
	if (strcmp(name, "mydomain") == 0)
	    return host_mydomain_value(pc);
	if (strcmp(name, "mynetworks") == 0)
	    return host_mynetworks_value(pc);
	if (strcmp(name, "process_name") == 0)
	    return diag_program();
	if (strcmp(name, "process_id") == 0) {
	    sb_reset(buf);
	    sb_printf(buf, "%ld", (long) getpid());
	    return sb_str(buf);
	}
    }
    return node->def->defval;
}

/*
 * postconf_lookup - a parameter's value as postconf resolves it: the
 * service's own settings, then main.cf, then (unless -n) the default.
 */
const char *postconf_lookup(struct postconf *pc, int mode, const char *name, size_t scope,
				const struct pnode *node)
{
    const char *value = NULL;

    if ((mode & SHOW_DEFS) != 0
	|| ((scope == NO_SCOPE
	     || ((value = strmap_get(&pc->m->master.entries[scope].ro_params, name)) == NULL
		 && (pc->scopes[scope].all_params == NULL
		     || (value = strmap_get(pc->scopes[scope].all_params, name)) == NULL)))
	    && (value = setting_value(&pc->main_dict, name)) == NULL
	    && (mode & SHOW_NONDEF) == 0)) {
	if (node != NULL || (node = postconf_find(pc, name)) != NULL)
	    value = default_value(pc, name, node);
    }
    return value;
}

struct eval_ctx {
    struct postconf *pc;
    int mode;
    size_t scope;
};

static const char *eval_lookup(const char *name, int how, void *ptr)
{
    struct eval_ctx *ctx = ptr;

    (void) how;
    return postconf_lookup(ctx->pc, ctx->mode, name, ctx->scope, NULL);
}

/* postconf_expand - $name expansion as postconf -x does it; errors are fatal */
const char *postconf_expand(struct postconf *pc, struct strbuf *buf, int mode, const char *value,
				size_t scope)
{
    struct eval_ctx ctx = { pc, mode & ~SHOW_NONDEF, scope };

    if ((expand(buf, value, EXPAND_RECURSE, eval_lookup, &ctx) & EXPAND_ERROR)
	&& pc->hooks == NULL)
	diag_fatal("macro processing error");
    return sb_str(buf);
}

/* ---------------------------------------------------------------- */
/* Reading the files.                                                */

/* copy_main - main_dict: a copy of the model's main.cf, which conf may change */
static void copy_main(struct postconf *pc)
{
    strmap_free(&pc->main_dict, setting_free);
    strmap_init(&pc->main_dict);
    model_copy_main(pc->m, &pc->main_dict);
}

/*
 * own_model - pfc conf's model, made on first use (after -c has set
 * $MAIL_CONFIG): config_directory is set before main.cf is read, as
 * postconf sets it from $MAIL_CONFIG.
 */
static struct model *own_model(struct postconf *pc)
{
    const char *dir = getenv(CONFIG_ENV);

    if (pc->m == NULL) {
	model_init(&pc->own, NULL);
	pc->m = &pc->own;
	pc->config_dir = xstrdup(pc->own.config_dir);
	if (dir != NULL)
	    model_put(&pc->own, "config_directory", dir);
	copy_main(pc);
    }
    return &pc->own;
}

void postconf_read_main(struct postconf *pc)
{
    struct model *m = own_model(pc);

    if (model_read_main(m, NULL) < 0)
	diag_fatal("open %s: %s", m->main_path, strerror(errno));
    copy_main(pc);
}

void postconf_set_overrides(struct postconf *pc, char **overrides, size_t count)
{
    for (size_t i = 0; i < count; i++) {
	char *copy = xstrdup(overrides[i]), *name, *value;
	const char *err = split_nameval(copy, &name, &value);
	if (err != NULL)
	    diag_fatal("invalid parameter override: %s: %s", overrides[i], err);
	setting_put(&pc->main_dict, name, value, 0);
	free(copy);
    }
}

void postconf_read_master(struct postconf *pc, int fail_on_open_error)
{
    struct model *m = own_model(pc);

    if (model_read_master(m, NULL) < 0) {
	char *path = model_path(m, "master.cf");
	if (fail_on_open_error)
	    diag_fatal("open %s: %s", path, strerror(m->master_errno));
	diag_warn("open %s: %s", path, strerror(m->master_errno));
	free(path);
    }
    pc->scopes = xcalloc(m->master.count + 1, sizeof(*pc->scopes));
}

/* ---------------------------------------------------------------- */
/* The names postconf knows.                                         */

void postconf_register_builtins(struct postconf *pc)
{
    pc->builtins = xcalloc(param_table_size, sizeof(*pc->builtins));
    for (size_t i = 0; i < param_table_size; i++) {
	const struct param_def *def = &param_table[i];
	unsigned flags = (def->flags & PFLAG_LEGACY) ? PN_LEGACY : PN_BUILTIN;
	if (def->flags & PFLAG_RAW)
	    flags |= PN_RAW;
	if (def->flags & PFLAG_READONLY)
	    flags |= PN_READONLY;
	pc->builtins[i].flags = flags;
	pc->builtins[i].def = def;
    }
}

/*
 * postconf_register_services - delivery agents named in master.cf get
 * per-service names: "relay unix ... smtp" makes relay_destination_rate_delay
 * known, with $default_destination_rate_delay as its default.
 */
void postconf_register_services(struct postconf *pc)
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

    for (size_t i = 0; i < pc->m->master.count; i++) {
	const struct master_entry *e = &pc->m->master.entries[i];
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
	    struct pnode *node = postconf_find(pc, name);
	    if (node != NULL)
		class_override(node, PN_SERVICE);
	    else
		enter_param(pc, name, PN_SERVICE, NULL, delivery_params[j][1]);
	    free(name);
	}
    }
}

/*
 * flag_user_parameter - $name was seen in a value (of a service when scope
 * is set): a name with a setting becomes a valid user-defined parameter;
 * one without a setting that postconf does not know is "undefined".
 */
static void flag_user_parameter(struct postconf *pc, const char *name, unsigned class, size_t scope)
{
    const char *source = scope != NO_SCOPE ? "master.cf" : "main.cf";
    int user_supplied = 0;

    if (scope != NO_SCOPE && pc->scopes[scope].all_params != NULL
	&& strmap_has(pc->scopes[scope].all_params, name)) {
	user_supplied = 1;
	if (!strmap_has(&pc->scopes[scope].valid_names, name))
	    strmap_put(&pc->scopes[scope].valid_names, name, NULL);
    } else if (setting_value(&pc->main_dict, name) != NULL) {
	user_supplied = 1;
	if (postconf_find(pc, name) == NULL)
	    enter_param(pc, name, class, NULL, NULL);
    }
    if (scope == NO_SCOPE) {
	for (size_t i = 0; i < pc->m->master.count; i++) {
	    if (pc->scopes[i].all_params != NULL
		&& strmap_has(pc->scopes[i].all_params, name)) {
		user_supplied = 1;
		if (!strmap_has(&pc->scopes[i].valid_names, name))
		    strmap_put(&pc->scopes[i].valid_names, name, NULL);
	    }
	}
    }
    if (!user_supplied && (class & PN_DBMS) == 0 && postconf_find(pc, name) == NULL) {
	if (pc->hooks != NULL)
	    pc->hooks->undefined(pc->hooks->ctx, scope, name);
	else
	    diag_warn("%s/%s: undefined parameter: %s", pc->config_dir, source, name);
    }
}

struct scan_ctx {
    struct postconf *pc;
    unsigned class;
    size_t scope;
};

static const char *scan_lookup(const char *name, int how, void *ptr)
{
    struct scan_ctx *ctx = ptr;

    (void) how;
    flag_user_parameter(ctx->pc, name, ctx->class, ctx->scope);
    return NULL;
}

static void scan_value(struct postconf *pc, const char *value, unsigned class, size_t scope)
{
    struct scan_ctx ctx = { pc, class, scope };

    if (strchr(value, '$') != NULL)
	(void) expand(NULL, value, EXPAND_SCAN, scan_lookup, &ctx);
}

/* check_dbms_client - report unknown settings in a database client file */
static void check_dbms_client(struct postconf *pc, const char *type, const char *file)
{
    char *spec = xconcat(type, ":", file, (char *) NULL);
    struct strmap dict;
    struct stat st;
    FILE *fp;

    if (strmap_has(&pc->dbms_visited, spec)) {
	free(spec);
	return;
    }
    strmap_put(&pc->dbms_visited, spec, NULL);
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

static void warn_brace_error(struct postconf *pc, size_t scope, const char *err)
{
    if (scope != NO_SCOPE)
	diag_warn("master.cf:%s: %s", pc->m->master.entries[scope].name_space, err);
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

static void register_dbms_helper(struct postconf *pc, char *value, size_t scope, int depth)
{
    char *db_type, *prefix, *err;

    if (depth > DBMS_MAX_DEPTH)
	return;
    while ((db_type = str_tokq(&value, CHARS_COMMA_SP)) != NULL) {
	if (*db_type == '{') {
	    if ((err = extract_braces(&db_type, 0)) != NULL) {
		warn_brace_error(pc, scope, err);
		free(err);
	    }
	    register_dbms_helper(pc, db_type, scope, depth + 1);
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
		check_dbms_client(pc, db_type, prefix);
	    continue;
	}
	if (*prefix == '.')
	    continue;
	if (*prefix == '{') {
	    if ((err = extract_braces(&prefix, 0)) != NULL) {
		warn_brace_error(pc, scope, err);
		free(err);
	    }
	    register_dbms_helper(pc, prefix, scope, depth + 1);
	    continue;
	}
	for (size_t i = 0; i < dbms_suffix_table_size; i++) {
	    if (strcmp(dbms_suffix_table[i].type, db_type) == 0) {
		char *candidate = xconcat(prefix, "_", dbms_suffix_table[i].suffix,
					  (char *) NULL);
		flag_user_parameter(pc, candidate, PN_DBMS | PN_USER, scope);
		free(candidate);
	    }
	}
    }
}

static void register_dbms_parameters(struct postconf *pc, const char *value, size_t scope)
{
    struct strbuf buf = STRBUF_INIT;
    char *copy = xstrdup(postconf_expand(pc, &buf, SHOW_EVAL, value, scope));

    register_dbms_helper(pc, copy, scope, 0);
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
static char **main_order(struct postconf *pc)
{
    size_t count = pc->main_dict.used, i = 0, pos = 0;
    struct strmap_slot *slot, **slots;

    if (pc->main_order != NULL)
	return pc->main_order;
    slots = xcalloc(count + 1, sizeof(*slots));
    while ((slot = strmap_next(&pc->main_dict, &pos)) != NULL)
	slots[i++] = slot;
    qsort(slots, count, sizeof(*slots), by_seq);
    pc->main_order = xcalloc(count + 1, sizeof(*pc->main_order));
    for (i = 0; i < count; i++)
	pc->main_order[i] = xstrdup(slots[i]->key);
    htorder_sort((const char **) pc->main_order, count, HTORDER_DICT_SIZE);
    free(slots);
    return pc->main_order;
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
static void scan_namespace(struct postconf *pc, struct dict_view *view, const char *dict_name,
			   size_t scope)
{
    const char *source = scope != NO_SCOPE ? "master.cf" : "main.cf";
    const char *classes = view_value(view, "smtpd_restriction_classes");

    if (classes != NULL) {
	struct strbuf buf = STRBUF_INIT;
	if ((expand(&buf, classes, EXPAND_RECURSE, view_lookup, view) & EXPAND_ERROR)
	    && pc->hooks == NULL)
	    diag_fatal("dictionary %s: macro processing error", dict_name);
	char *bp = buf.s ? buf.s : "", *name;
	while ((name = strtok_r(bp, CHARS_COMMA_SP, &bp)) != NULL) {
	    if (scope == NO_SCOPE && !strmap_has(&pc->rest_classes, name))
		strmap_put(&pc->rest_classes, name, NULL);
	    flag_user_parameter(pc, name, PN_USER, scope);
	}
	sb_free(&buf);
    }
    for (char **np = view->order; *np != NULL; np++) {
	const char *name = *np;
	const char *value = view_value(view, name);
	if (value == NULL)
	    continue;		/* a read-only name, deleted */
	if (scope != NO_SCOPE && !strmap_has(&pc->scopes[scope].valid_names, name)
	    && strmap_has(&pc->rest_classes, name))
	    strmap_put(&pc->scopes[scope].valid_names, name, NULL);
	struct pnode *node = postconf_find(pc, name);
	if (node != NULL) {
	    if (node->flags & PN_READONLY) {
		diag_warn("%s/%s: read-only parameter assignment: %s=%s",
			  pc->config_dir, source, name, value);
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
	scan_value(pc, value, PN_USER, scope);
	if (node != NULL && (node->flags & (PN_BUILTIN | PN_SERVICE)))
	    register_dbms_parameters(pc, value, scope);
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
static void scan_defaults(struct postconf *pc)
{
    const struct param_def *host[8];
    size_t count = 0;

    for (size_t i = 0; i < param_table_size; i++) {
	const struct param_def *def = &param_table[i];
	if ((def->flags & PFLAG_HOST) && setting_value(&pc->main_dict, def->name) == NULL
	    && count < sizeof(host) / sizeof(host[0]))
	    host[count++] = def;
    }
    name_table_size = htorder_size(HTORDER_PARAM_TABLE_SIZE,
				   param_table_size + pc->params.used);
    qsort(host, count, sizeof(host[0]), by_bucket);
    for (size_t i = 0; i < count; i++)
	(void) default_value(pc, host[i]->name, &pc->builtins[host[i] - param_table]);
}

void postconf_register_user(struct postconf *pc)
{
    strmap_init(&pc->rest_classes);
    strmap_init(&pc->namespaces);
    for (size_t i = 0; i < pc->m->master.count; i++) {
	struct master_entry *e = &pc->m->master.entries[i];
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
		    struct name_space *ns = strmap_get(&pc->namespaces, e->name_space);
		    if (ns == NULL) {
			ns = xcalloc(1, sizeof(*ns));
			strmap_init(&ns->params);
			strmap_put(&pc->namespaces, e->name_space, ns);
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
	struct name_space *ns = strmap_get(&pc->namespaces, e->name_space);
	if (ns != NULL) {
	    pc->scopes[i].all_params = &ns->params;
	    strmap_init(&pc->scopes[i].valid_names);
	}
    }
    /* The names of each name space in the order postconf walks them. */
    size_t pos = 0;
    struct strmap_slot *slot;
    while ((slot = strmap_next(&pc->namespaces, &pos)) != NULL) {
	struct name_space *ns = slot->value;
	htorder_sort((const char **) ns->order, ns->count, HTORDER_DICT_SIZE);
    }
    for (size_t i = 0; i < pc->m->master.count; i++) {
	if (pc->scopes[i].all_params != NULL) {
	    struct name_space *ns = strmap_get(&pc->namespaces,
					       pc->m->master.entries[i].name_space);
	    pc->scopes[i].order = ns->order;
	    struct dict_view view = { pc->scopes[i].all_params, 0, pc->scopes[i].order };
	    scan_namespace(pc, &view, pc->m->master.entries[i].name_space, i);
	}
    }
    if (pc->hooks == NULL)	/* a bad host default is not a name problem */
	scan_defaults(pc);
    struct dict_view main_view = { &pc->main_dict, 1, main_order(pc) };
    scan_namespace(pc, &main_view, "mail_dict", NO_SCOPE);
}

void postconf_unused_main(struct postconf *pc)
{
    for (char **np = main_order(pc); *np != NULL; np++) {
	const char *value = setting_value(&pc->main_dict, *np);
	if (value == NULL || postconf_find(pc, *np) != NULL)
	    continue;
	if (pc->hooks != NULL) {
	    pc->hooks->unused(pc->hooks->ctx, CONF_MAIN_SCOPE, *np, value);
	} else {
	    /* postconf flushes its output before these warnings */
	    out_flush();
	    diag_warn("%s/main.cf: unused parameter: %s=%s", pc->config_dir, *np, value);
	}
    }
}

void postconf_unused_master(struct postconf *pc)
{
    for (size_t i = 0; i < pc->m->master.count; i++) {
	struct strmap *dict = pc->scopes[i].all_params;
	if (dict == NULL)
	    continue;
	for (char **np = pc->scopes[i].order; *np != NULL; np++) {
	    const char *value = strmap_get(dict, *np);
	    if (value == NULL || postconf_find(pc, *np) != NULL
		|| strmap_has(&pc->scopes[i].valid_names, *np))
		continue;
	    if (pc->hooks != NULL) {
		pc->hooks->unused(pc->hooks->ctx, i, *np, value);
	    } else {
		out_flush();
		diag_warn("%s/master.cf: unused parameter: %s=%s", pc->config_dir, *np, value);
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

void postconf_init(struct postconf *pc)
{
    memset(pc, 0, sizeof(*pc));
    pc->param_class = PN_CLASS_MASK;
    strmap_init(&pc->main_dict);
    strmap_init(&pc->params);
    strmap_init(&pc->dbms_visited);
}

void postconf_free(struct postconf *pc)
{
    strmap_free(&pc->main_dict, setting_free);
    free_names(pc->main_order);
    strmap_free(&pc->params, free);
    free(pc->builtins);
    if (pc->scopes != NULL && pc->m != NULL)
	for (size_t i = 0; i < pc->m->master.count; i++)
	    strmap_free(&pc->scopes[i].valid_names, NULL);
    free(pc->scopes);
    strmap_free(&pc->namespaces, free_namespace);
    strmap_free(&pc->rest_classes, NULL);
    strmap_free(&pc->dbms_visited, NULL);
    if (pc->m == &pc->own)
	model_free(&pc->own);
    free(pc->config_dir);
    free(pc->myhostname);
    free(pc->mydomain);
    free(pc->mynetworks);
    sb_free(&pc->default_buf);
    memset(pc, 0, sizeof(*pc));
}

void postconf_scan_names(struct postconf *pc, const struct model *m,
			 const struct conf_name_hooks *hooks)
{
    postconf_init(pc);
    pc->hooks = hooks;
    pc->m = m;
    pc->config_dir = xstrdup(m->config_dir);
    copy_main(pc);
    pc->scopes = xcalloc(m->master.count + 1, sizeof(*pc->scopes));
    postconf_register_builtins(pc);
    postconf_register_services(pc);
    postconf_register_user(pc);
    postconf_unused_main(pc);
    postconf_unused_master(pc);
}
