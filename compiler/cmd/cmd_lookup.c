/*
 * lookup - "pfc lookup [-c dir] [input options] PARAMETER [KEY]": which
 * keys a Postfix 3.7 daemon tries for one lookup, in which tables, in what
 * order, and which entry answers (file:line). No Postfix tool shows this;
 * the output is pfc's own, one record per line, fields separated by TAB:
 *
 *   search  PARAMETER  RESTRICTION  KIND  INPUT
 *   probe   KEY  full|partial  TABLE  hit|miss|skip|fail|empty
 *   found   KEY  TABLE  WHERE  VALUE
 *   notfound
 *   skip    PARAMETER  RESTRICTION  TABLE  REASON
 *
 * A maps parameter (virtual_alias_maps, transport_maps, ...) gives one
 * search over all its tables; RESTRICTION is "-". A restriction list
 * (smtpd_*_restrictions or a restriction class) gives one search per
 * check_*_access element, in list order, each over its one table. The
 * list goes on after a result that smtpd does not stop at (DUNNO and the
 * side-effect actions of access(5)) and ends at any other result, as smtpd
 * would if every restriction in between said nothing. "skip" records name
 * elements pfc cannot try: no input given for them, or DNS needed.
 *
 * probe: "skip" is a partial key that Postfix never sends to a pattern
 * table; "fail" and "empty" (an empty value, which Postfix treats as a
 * configuration error) end the search with exit status 2. WHERE is the
 * entry's source as FILE:LINE (the postmap source of hash/btree tables,
 * the rule of a regexp/pcre/cidr file, main.cf for inline: and static:
 * tables), or "-" when unknown.
 *
 * Exit status: 0 when some table answered, 1 when none did, 2 on usage,
 * configuration or I/O errors.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cfline.h"
#include "check.h"
#include "commands.h"
#include "model.h"
#include "diag.h"
#include "dict.h"
#include "help.h"
#include "lookup_order.h"
#include "main_cf.h"
#include "mapsource.h"
#include "output.h"
#include "restriction.h"
#include "strbuf.h"
#include "textutil.h"
#include "sysroot.h"
#include "xalloc.h"

#define EXIT_FOUND	0
#define EXIT_NOTFOUND	1
#define EXIT_ERROR	2

#define MAX_NESTING	100	/* restriction classes or /files naming each other */
#define OPT_INPUT	1000	/* getopt_long values of the input options */

/* The inputs a restriction list's check_*_access elements look up. */
enum input { IN_CLIENT, IN_HELO, IN_SENDER, IN_RECIPIENT, IN_ETRN, IN_SASL,
    IN_CCERT, IN_COUNT, IN_NONE = -1 };

static const char *const input_names[IN_COUNT] = {
    "client", "helo", "sender", "recipient", "etrn", "sasl", "ccert",
};

/* Maps parameters whose lookup order pfc knows (SPEC 8.1, 8.2, 8.4). */
static const struct maps_param {
    const char *name;
    enum lo_kind kind;
    const char *null_key_param;	/* the null sender's lookup key, if any */
} maps_params[] = {
    {"virtual_alias_maps", LO_ADDRESS, NULL},
    {"virtual_maps", LO_ADDRESS, NULL},
    {"canonical_maps", LO_ADDRESS, NULL},
    {"sender_canonical_maps", LO_ADDRESS, NULL},
    {"recipient_canonical_maps", LO_ADDRESS, NULL},
    {"relocated_maps", LO_ADDRESS, NULL},
    {"sender_bcc_maps", LO_ADDRESS, NULL},
    {"recipient_bcc_maps", LO_ADDRESS, NULL},
    {"virtual_mailbox_maps", LO_ADDRESS, NULL},
    {"virtual_uid_maps", LO_ADDRESS, NULL},
    {"virtual_gid_maps", LO_ADDRESS, NULL},
    {"relay_recipient_maps", LO_ADDRESS, NULL},
    {"smtpd_sender_login_maps", LO_ADDRESS, NULL},
    {"sender_dependent_relayhost_maps", LO_ADDRESS,
     "empty_address_relayhost_maps_lookup_key"},
    {"address_verify_sender_dependent_relayhost_maps", LO_ADDRESS,
     "empty_address_relayhost_maps_lookup_key"},
    {"sender_dependent_default_transport_maps", LO_ADDRESS,
     "empty_address_default_transport_maps_lookup_key"},
    {"address_verify_sender_dependent_default_transport_maps", LO_ADDRESS,
     "empty_address_default_transport_maps_lookup_key"},
    {"transport_maps", LO_TRANSPORT, NULL},
    {"address_verify_transport_maps", LO_TRANSPORT, NULL},
};

/* Restriction lists, with the input a plain KEY stands for. */
static const struct stage {
    const char *name;
    enum input natural;
} stages[] = {
    {"smtpd_client_restrictions", IN_CLIENT},
    {"smtpd_helo_restrictions", IN_HELO},
    {"smtpd_sender_restrictions", IN_SENDER},
    {"smtpd_relay_restrictions", IN_RECIPIENT},
    {"smtpd_recipient_restrictions", IN_RECIPIENT},
    {"smtpd_etrn_restrictions", IN_ETRN},
    {"smtpd_data_restrictions", IN_NONE},
    {"smtpd_end_of_data_restrictions", IN_NONE},
};

/* The input a restriction's table is looked up with (restriction.h's subject). */
static enum input subject_input(enum restriction_subject subject)
{
    switch (subject) {
    case SUBJ_CLIENT:
    case SUBJ_REVERSE_CLIENT:
	return IN_CLIENT;
    case SUBJ_HELO:
	return IN_HELO;
    case SUBJ_SENDER:
	return IN_SENDER;
    case SUBJ_RECIPIENT:
	return IN_RECIPIENT;
    case SUBJ_ETRN:
	return IN_ETRN;
    case SUBJ_SASL:
	return IN_SASL;
    case SUBJ_CCERT:
	return IN_CCERT;
    default:
	return IN_NONE;
    }
}

/*
 * access(5) results after which smtpd goes on with the restriction list
 * (SPEC 11): DUNNO and the actions that only record a side effect.
 */
static const char *const continuing_actions[] = {
    "DUNNO", "DEFER_IF_PERMIT", "DEFER_IF_REJECT", "HOLD", "REDIRECT",
    "FILTER", "PREPEND", "WARN", "INFO", "BCC",
};

struct lookup_run {
    struct model *cfg;
    char *main_cf;		/* DIR/main.cf, for entries of inline tables */
    unsigned dict_flags;
    struct lo_settings settings;
    const char *inputs[IN_COUNT];	/* NULL: not given */
    int searches;		/* search records printed */
    int any_hit;
    int error;
    /* resolve_local()'s view of the configuration */
    char *mydestination, *inet_interfaces, *proxy_interfaces;
    struct dict **tables;	/* the tables of the search under way */
};

static void usage(FILE *fp)
{
    help_print_usage(fp, "lookup");
}

/* out_fields - one output record: the fields joined by TAB */
static void out_fields(const char *first, ...) __attribute__((sentinel));

static void out_fields(const char *first, ...)
{
    va_list ap;
    const char *field;

    out_puts(first);
    va_start(ap, first);
    while ((field = va_arg(ap, const char *)) != NULL) {
	out_putc('\t');
	out_puts(field);
    }
    va_end(ap);
    out_putc('\n');
}

static char *table_label(const struct dict *dict)
{
    return xconcat(dict->type->name, ":", dict->name, (char *) NULL);
}

/* ------------------------------------------------------------ local domains */

/*
 * list_match - Postfix's string_list match of a folded name against a
 * list like mydestination: the first element that matches decides (and
 * sets *decided); "!" inverts; /file stands for the words in the file;
 * type:table matches the keys of the table.
 */
static int list_match(struct lookup_run *run, const char *list, const char *folded,
		      int init_match, int depth, int *decided);

static int file_match(struct lookup_run *run, const char *path, const char *folded,
		      int init_match, int depth, int *decided)
{
    char *opened = sysroot_path(path);
    FILE *fp = fopen(opened, "r");

    free(opened);
    char *line = NULL;
    size_t cap = 0;
    int result = 0;

    if (fp == NULL) {
	diag_warn("open file %s: %s", path, strerror(errno));
	return 0;
    }
    while (!*decided && getline(&line, &cap, fp) >= 0) {
	if (line[0] != '#')
	    result = list_match(run, line, folded, init_match, depth + 1, decided);
    }
    free(line);
    fclose(fp);
    return result;
}

static int list_match(struct lookup_run *run, const char *list, const char *folded,
		      int init_match, int depth, int *decided)
{
    char *copy = xstrdup(list), *cp = copy, *item;
    int result = 0;

    while (!*decided && (item = str_tokq(&cp, CHARS_COMMA_SP)) != NULL) {
	int match = init_match;
	for (; *item == '!'; item++)
	    match = !match;
	if (*item == '/' && depth < MAX_NESTING) {
	    result = file_match(run, item, folded, match, depth, decided);
	} else if (strchr(item, ':') != NULL) {
	    char *err;
	    struct dict *dict = dict_open(item, DICT_READ, run->dict_flags, &err);
	    const char *value;
	    if (dict == NULL) {
		diag_warn("%s", err);
		free(err);
		continue;
	    }
	    if (dict_lookup(dict, folded, &value) == DICT_FOUND) {
		*decided = 1;
		result = match;
	    }
	    dict_close(dict, &err);
	    free(err);
	} else {
	    char *pattern = xstrdup(item);
	    for (char *p = pattern; *p; p++)
		*p = (*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p;
	    if (strcmp(pattern, folded) == 0) {
		*decided = 1;
		result = match;
	    }
	    free(pattern);
	}
    }
    free(copy);
    return result;
}

/* same_addr - do two sockaddrs hold the same IP address? */
static int same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
    if (a == NULL || b == NULL || a->sa_family != b->sa_family)
	return 0;
    if (a->sa_family == AF_INET)
	return memcmp(&((const struct sockaddr_in *) a)->sin_addr,
		      &((const struct sockaddr_in *) b)->sin_addr, 4) == 0;
    if (a->sa_family == AF_INET6)
	return memcmp(&((const struct sockaddr_in6 *) a)->sin6_addr,
		      &((const struct sockaddr_in6 *) b)->sin6_addr, 16) == 0;
    return 0;
}

/* interface_match - is addr one of the addresses an interfaces list names? */
static int interface_match(const struct sockaddr *addr, const char *list)
{
    char *copy = xstrdup(list), *cp = copy, *item;
    int found = 0;

    while (!found && (item = str_tokq(&cp, CHARS_COMMA_SP)) != NULL) {
	if (strcasecmp(item, "all") == 0 || strcasecmp(item, "loopback-only") == 0) {
	    int loopback_only = strcasecmp(item, "loopback-only") == 0;
	    struct ifaddrs *ifap, *ifa;
	    if (getifaddrs(&ifap) < 0)
		continue;
	    for (ifa = ifap; !found && ifa != NULL; ifa = ifa->ifa_next)
		if (!loopback_only || (ifa->ifa_flags & IFF_LOOPBACK))
		    found = same_addr(addr, ifa->ifa_addr);
	    freeifaddrs(ifap);
	} else {
	    struct addrinfo hints = { 0 }, *res, *ai;
	    size_t len = strlen(item);
	    if (len > 1 && item[0] == '[' && item[len - 1] == ']') {
		item[len - 1] = 0;
		item++;
	    }
	    hints.ai_socktype = SOCK_STREAM;
	    if (getaddrinfo(item, NULL, &hints, &res) != 0)
		continue;
	    for (ai = res; !found && ai != NULL; ai = ai->ai_next)
		found = same_addr(addr, ai->ai_addr);
	    freeaddrinfo(res);
	}
    }
    free(copy);
    return found;
}

/*
 * is_local - Postfix's resolve_local(): the domain (one trailing dot
 * removed) is in mydestination, or is an [address] of this host's
 * inet_interfaces or proxy_interfaces.
 */
static int is_local(const char *domain, void *ctx)
{
    struct lookup_run *run = ctx;
    char *name = xstrdup(domain);
    size_t len = strlen(name);
    int decided = 0, local = 0;

    if (len > 0 && name[len - 1] == '.')
	name[--len] = 0;
    if (len == 0 || name[len - 1] == '.') {
	free(name);
	return 0;
    }
    for (char *p = name; *p; p++)
	*p = (*p >= 'A' && *p <= 'Z') ? *p - 'A' + 'a' : *p;
    local = list_match(run, run->mydestination, name, 1, 0, &decided);
    if (!local && len > 2 && name[0] == '[' && name[len - 1] == ']') {
	struct addrinfo hints = { 0 }, *res;
	char *literal = name + 1;
	name[len - 1] = 0;
	if (strncasecmp(literal, "ipv6:", 5) == 0)
	    literal += 5;
	hints.ai_flags = AI_NUMERICHOST;
	if (getaddrinfo(literal, NULL, &hints, &res) == 0) {
	    local = interface_match(res->ai_addr, run->inet_interfaces)
		|| interface_match(res->ai_addr, run->proxy_interfaces);
	    freeaddrinfo(res);
	}
    }
    free(name);
    return local;
}

/* ------------------------------------------------------------ where an entry is */

/* main_cf_where - "main.cf:LINE" of the setting that spells out spec */
static char *main_cf_where(struct lookup_run *run, const char *param, const char *spec)
{
    const struct setting *own = strmap_get(&run->cfg->main, param);
    struct strbuf out = STRBUF_INIT;
    int line = 0;

    if (own != NULL && strstr(own->value, spec) != NULL) {
	line = own->line;
    } else {
	/* Written in another parameter and reached through $name. */
	const char **names = strmap_sorted_keys(&run->cfg->main);
	for (size_t i = 0; names[i] != NULL && line == 0; i++) {
	    const struct setting *s = strmap_get(&run->cfg->main, names[i]);
	    if (s->line > 0 && strstr(s->value, spec) != NULL)
		line = s->line;
	}
	free((void *) names);
    }
    if (line <= 0)
	return xstrdup("-");
    sb_printf(&out, "%s:%d", run->main_cf, line);
    return sb_detach(&out);
}

struct source_scan {
    const struct dict *dict;
    const char *folded_key;
    const char *value;
    struct strbuf fold_buf;
    int key_line;		/* first entry with the key */
    int exact_line;		/* first entry with the key and the value */
};

static void scan_entry(void *ctx, const char *key, const char *value, int line)
{
    struct source_scan *scan = ctx;

    if (strcmp(dict_fold(scan->dict, key, &scan->fold_buf), scan->folded_key) != 0)
	return;
    if (scan->key_line == 0)
	scan->key_line = line;
    if (scan->exact_line == 0 && strcmp(value, scan->value) == 0)
	scan->exact_line = line;
}

/*
 * source_line - the line of a postmap source with this key. The entry
 * whose value is the one found wins, so a table built with -r (last
 * duplicate wins) still points at the right line. 0 if not there.
 */
static int source_line(const struct dict *dict, const char *key, const char *value)
{
    struct source_scan scan = { dict, NULL, value, STRBUF_INIT, 0, 0 };
    struct strbuf key_buf = STRBUF_INIT;
    FILE *fp = fopen(dict->name, "r");

    if (fp == NULL)
	return 0;
    scan.folded_key = dict_fold(dict, key, &key_buf);
    /* Quiet: this is a second reading, its warnings were given. */
    mapsource_read(fp, dict->name, MAPSOURCE_QUIET
		   | ((dict->flags & DICT_FLAG_UTF8) ? MAPSOURCE_UTF8 : 0), scan_entry, &scan);
    fclose(fp);
    sb_free(&scan.fold_buf);
    sb_free(&key_buf);
    return scan.exact_line ? scan.exact_line : scan.key_line;
}

/* where_found - FILE:LINE of the entry a table answered with, or "-" */
static char *where_found(struct lookup_run *run, const char *param,
			 const struct dict *dict, const char *key, const char *value)
{
    static const char *const sourced[] = { "hash", "btree", "texthash", "lmdb", "cdb" };
    static const char *const patterns[] = { "regexp", "pcre", "cidr" };
    const char *type = dict->type->name;
    struct strbuf out = STRBUF_INIT;
    int line = 0;

    for (size_t i = 0; i < sizeof(sourced) / sizeof(sourced[0]); i++)
	if (strcmp(type, sourced[i]) == 0)
	    line = source_line(dict, key, value);
    for (size_t i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
	if (strcmp(type, patterns[i]) != 0)
	    continue;
	if (dict->name[0] != '{')
	    line = dict->match_line;
	else
	    type = "inline";	/* regexp:{ {rule}, ... } lives in main.cf */
    }
    if (strcmp(type, "inline") == 0 || strcmp(type, "static") == 0) {
	char *spec = table_label(dict);
	char *where = main_cf_where(run, param, spec);
	free(spec);
	return where;
    }
    if (line <= 0)
	return xstrdup("-");
    sb_printf(&out, "%s:%d", dict->name, line);
    return sb_detach(&out);
}

/* ------------------------------------------------------------ searches */

static void report_probe(void *ctx, const struct lo_probe *probe)
{
    static const char *const outcome[] = { "miss", "hit", "skip", "fail", "empty" };
    struct lookup_run *run = ctx;
    char *label = table_label(run->tables[probe->table]);

    out_fields("probe", probe->key->text, probe->key->partial ? "partial" : "full",
	       label, outcome[probe->outcome], (char *) NULL);
    free(label);
}

/* The search's tables for lo_run(): dict handles. */
static int dict_is_pattern(void *ctx, size_t i)
{
    const struct lookup_run *run = ctx;

    return (run->tables[i]->caps & DICT_CAP_PATTERN) != 0;
}

static enum lo_outcome dict_probe(void *ctx, size_t i, const char *key,
				  const char **value, const char **error)
{
    struct dict *dict = ((struct lookup_run *) ctx)->tables[i];

    switch (dict_lookup(dict, key, value)) {
    case DICT_FOUND:
	return LO_HIT;
    case DICT_FAIL:
	*error = dict->error;
	return LO_FAIL;
    default:
	return LO_MISS;
    }
}

/*
 * open_tables - the tables of a maps-style list; NULL after a warning when
 * one cannot be opened (Postfix would fail every lookup in it).
 */
static struct dict **open_tables(struct lookup_run *run, const char *list, size_t *count)
{
    char *copy = xstrdup(list), *cp = copy, *item;
    struct dict **tables = NULL;
    size_t n = 0;
    int ok = 1;

    while (ok && (item = str_tokq(&cp, CHARS_COMMA_SP)) != NULL) {
	char *err = NULL;
	struct dict *dict = NULL;
	/* Postfix's dict_open() takes no default type inside main.cf. */
	if (strchr(item, ':') == NULL)
	    diag_warn("open dictionary: expecting \"type:name\" form instead of \"%s\"", item);
	else if ((dict = dict_open(item, DICT_READ, run->dict_flags, &err)) == NULL)
	    diag_warn("%s", err);
	free(err);
	if ((ok = dict != NULL) == 0)
	    break;
	tables = xrealloc(tables, (n + 1) * sizeof(*tables));
	tables[n++] = dict;
    }
    free(copy);
    if (ok && tables == NULL)
	tables = xmalloc(sizeof(*tables));	/* an empty list: no table answers */
    if (!ok) {
	for (size_t i = 0; i < n; i++) {
	    char *err;
	    dict_close(tables[i], &err);
	    free(err);
	}
	free(tables);
	return NULL;
    }
    *count = n;
    return tables;
}

/*
 * search - one lookup: print its probes and its result. Returns the
 * outcome; *value gets a copy of the value found (the caller frees it).
 */
static enum lo_outcome search(struct lookup_run *run, const char *param,
			      const char *restriction, enum lo_kind kind,
			      const char *table_list, const char *input, char **value)
{
    struct lo_keys keys = LO_KEYS_INIT;
    struct lo_probe last = { NULL, 0, LO_MISS, NULL, NULL };
    struct dict **tables;
    size_t ntables = 0;
    const char *err;
    enum lo_outcome outcome;

    *value = NULL;
    if ((tables = open_tables(run, table_list, &ntables)) == NULL) {
	run->error = 1;
	return LO_FAIL;
    }
    if (lo_build(&keys, kind, input, &run->settings, &err) < 0) {
	diag_warn("%s: bad %s input \"%s\": %s", param, lo_kind_name(kind), input, err);
	run->error = 1;
	outcome = LO_FAIL;
    } else {
	/* The null sender shows as "<>", the way it is typed. */
	out_fields("search", param, restriction, lo_kind_name(kind),
		   *input ? input : "<>", (char *) NULL);
	run->searches++;
	struct lo_tables search_tables = { ntables, dict_is_pattern, dict_probe, run };
	run->tables = tables;
	outcome = lo_run(&keys, &search_tables, report_probe, run, &last);
	if (outcome == LO_HIT) {
	    char *label = table_label(tables[last.table]);
	    char *where = where_found(run, param, tables[last.table], last.key->text, last.value);
	    out_fields("found", last.key->text, label, where, last.value, (char *) NULL);
	    *value = xstrdup(last.value);
	    run->any_hit = 1;
	    free(label);
	    free(where);
	} else if (outcome == LO_MISS) {
	    out_fields("notfound", (char *) NULL);
	} else {
	    char *label = table_label(tables[last.table]);
	    if (outcome == LO_EMPTY)
		diag_warn("%s lookup of %s returns an empty string result", label, last.key->text);
	    else
		diag_warn("%s lookup error for \"%s\": %s", label, last.key->text, last.error);
	    run->error = 1;
	    free(label);
	}
    }
    for (size_t i = 0; i < ntables; i++) {
	char *close_err;
	dict_close(tables[i], &close_err);
	free(close_err);
    }
    free(tables);
    lo_keys_free(&keys);
    return outcome;
}

/* continues_list - smtpd goes on with the list after this access result */
static int continues_list(const char *value)
{
    size_t len = strcspn(value, CHARS_SPACE);

    for (size_t i = 0; i < sizeof(continuing_actions) / sizeof(continuing_actions[0]); i++)
	if (strlen(continuing_actions[i]) == len
	    && strncasecmp(value, continuing_actions[i], len) == 0)
	    return 1;
    return 0;
}

static int is_class(void *ctx, const char *name)
{
    struct lookup_run *run = ctx;
    char *classes = model_value(run->cfg, NULL, "smtpd_restriction_classes", NULL);
    char *copy = classes ? classes : xstrdup(""), *cp = copy, *item;
    int found = 0;

    while (!found && (item = str_tokq(&cp, CHARS_COMMA_SP)) != NULL)
	found = strcmp(item, name) == 0;
    free(copy);
    return found;
}

/*
 * run_list - the check_*_access elements of a restriction list, in order.
 * Returns 1 when a result ends the list, 0 when the list ran out.
 */
static int run_list(struct lookup_run *run, const char *param, const char *list, int depth)
{
    const struct restriction_list_def *stage = restriction_list_find(param);
    struct words w;
    int ended = 0;

    words_split(&w, list, 1);
    struct restriction_step *steps = xcalloc(w.n + 1, sizeof(*steps));
    size_t nsteps = restriction_parse(w.v, w.n, stage ? stage->default_access
				      : RESTR_CALLER_ACCESS, 0, is_class, run, steps);
    for (size_t i = 0; i < nsteps && !ended && !run->error; i++) {
	const struct restriction_step *st = &steps[i];
	const char *item = w.v[st->word];
	const struct restriction_def *def = restriction_def(st->id);

	if (st->id == RESTR_CLASS) {
	    if (depth >= MAX_NESTING) {
		diag_warn("%s: restriction class nesting is too deep", item);
		run->error = 1;
		break;
	    }
	    char *class_list = model_value(run->cfg, NULL, item, NULL);
	    ended = run_list(run, item, class_list ? class_list : "", depth + 1);
	    free(class_list);
	    continue;
	}
	/* The tables of check_*_access, as written after it. */
	if (st->id == RESTR_NONE || def->arg != RARG_TABLE || st->implicit)
	    continue;
	const char *table = st->arg != RESTRICTION_NO_WORD ? w.v[st->arg] : NULL;
	if (st->problem != RP_NONE) {
	    diag_warn("restriction %s: bad argument \"%s\": need maptype:mapname",
		      item, table ? table : "");
	    run->error = 1;
	    break;
	}
	if (def->dns != RDNS_NONE) {
	    out_fields("skip", param, item, table, "needs DNS", (char *) NULL);
	    continue;
	}
	enum input in = subject_input(def->subject);
	const char *input = run->inputs[in];
	if (input == NULL) {
	    struct strbuf why = STRBUF_INIT;
	    sb_printf(&why, "no --%s given", input_names[in]);
	    out_fields("skip", param, item, table, sb_str(&why), (char *) NULL);
	    sb_free(&why);
	    continue;
	}
	char *value;
	enum lo_outcome outcome = search(run, param, item, def->lookup, table, input, &value);
	ended = outcome != LO_MISS && (outcome != LO_HIT || !continues_list(value));
	free(value);
    }
    free(steps);
    words_free(&w);
    return ended;
}

/* ------------------------------------------------------------ settings */

/* Strings the settings point at, kept until the run ends. */
struct owned {
    char *delim, *null_access, *myorigin, *double_bounce, *pdms, *null_address;
};

static void load_settings(struct lookup_run *run, struct owned *own)
{
    struct lo_settings *s = &run->settings;
    struct model *cfg = run->cfg;

    lo_settings_init(s);
    if ((own->delim = model_value(cfg, NULL, "recipient_delimiter", NULL)) != NULL)
	s->recipient_delimiter = own->delim;
    if ((own->null_access = model_value(cfg, NULL, "smtpd_null_access_lookup_key", NULL)) != NULL)
	s->null_access_key = own->null_access;
    if ((own->myorigin = model_value(cfg, NULL, "myorigin", NULL)) != NULL)
	s->myorigin = own->myorigin;
    if ((own->double_bounce = model_value(cfg, NULL, "double_bounce_sender", NULL)) != NULL)
	s->double_bounce_sender = own->double_bounce;
    s->owner_request_special = model_bool(cfg, "owner_request_special");
    s->utf8 = model_bool(cfg, "smtputf8_enable");
    own->pdms = model_value(cfg, NULL, "parent_domain_matches_subdomains", NULL);
    s->is_local = is_local;
    s->local_ctx = run;
    run->mydestination = model_value(cfg, NULL, "mydestination", NULL);
    run->inet_interfaces = model_value(cfg, NULL, "inet_interfaces", NULL);
    run->proxy_interfaces = model_value(cfg, NULL, "proxy_interfaces", NULL);
    run->dict_flags = DICT_FLAG_FOLD | DICT_FLAG_TRY0NULL | DICT_FLAG_TRY1NULL
	| (s->utf8 ? DICT_FLAG_UTF8 : 0);
}

static void free_settings(struct lookup_run *run, struct owned *own)
{
    free(own->delim);
    free(own->null_access);
    free(own->myorigin);
    free(own->double_bounce);
    free(own->pdms);
    free(own->null_address);
    free(run->mydestination);
    free(run->inet_interfaces);
    free(run->proxy_interfaces);
}

/* null_sender - "<>" and "" both name the null sender on the command line */
static const char *null_sender(const char *input)
{
    return strcmp(input, "<>") == 0 ? "" : input;
}

int cmd_lookup(int argc, char **argv)
{
    static const struct option options[] = {
	{"client", required_argument, NULL, OPT_INPUT + IN_CLIENT},
	{"helo", required_argument, NULL, OPT_INPUT + IN_HELO},
	{"sender", required_argument, NULL, OPT_INPUT + IN_SENDER},
	{"recipient", required_argument, NULL, OPT_INPUT + IN_RECIPIENT},
	{"etrn", required_argument, NULL, OPT_INPUT + IN_ETRN},
	{"sasl", required_argument, NULL, OPT_INPUT + IN_SASL},
	{"ccert", required_argument, NULL, OPT_INPUT + IN_CCERT},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
    };
    struct lookup_run run;
    struct owned own = { NULL, NULL, NULL, NULL, NULL, NULL };
    const char *config_dir = NULL, *param, *key;
    int ch, given = 0, status;

    memset(&run, 0, sizeof(run));
    diag_set_fatal_status(EXIT_ERROR);	/* 1 means "not found" here */
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "+:c:h", options, NULL)) != -1) {
	if (ch == 'c') {
	    config_dir = optarg;
	} else if (ch == 'h') {
	    help_print(stdout, "lookup");
	    return EXIT_FOUND;
	} else if (ch >= OPT_INPUT && ch < OPT_INPUT + IN_COUNT) {
	    run.inputs[ch - OPT_INPUT] = optarg;
	    given = 1;
	} else {
	    return help_option_error("lookup", ch, argv, EXIT_ERROR);
	}
    }
    if (argc - optind < 1 || argc - optind > 2) {
	usage(stderr);
	return EXIT_ERROR;
    }
    param = argv[optind];
    key = argc - optind == 2 ? argv[optind + 1] : NULL;
    if (run.inputs[IN_SENDER] != NULL)
	run.inputs[IN_SENDER] = null_sender(run.inputs[IN_SENDER]);

    run.cfg = model_load_main(config_dir);
    run.main_cf = xconcat(run.cfg->config_dir, "/main.cf", (char *) NULL);
    load_settings(&run, &own);

    const struct maps_param *mp = NULL;
    const struct stage *stage = NULL;
    for (size_t i = 0; i < sizeof(maps_params) / sizeof(maps_params[0]); i++)
	if (strcmp(param, maps_params[i].name) == 0)
	    mp = &maps_params[i];
    for (size_t i = 0; i < sizeof(stages) / sizeof(stages[0]); i++)
	if (strcmp(param, stages[i].name) == 0)
	    stage = &stages[i];

    if (mp != NULL) {
	if (key == NULL || given) {
	    fprintf(stderr, "%s: lookup: %s takes one KEY and no input options\n",
		    diag_program(), param);
	    status = EXIT_ERROR;
	    goto done;
	}
	run.settings.parent_matches_subdomains =
	    lo_name_in_list(own.pdms ? own.pdms : "", "transport_maps");
	if (mp->null_key_param != NULL) {
	    own.null_address = model_value(run.cfg, NULL, mp->null_key_param, NULL);
	    run.settings.null_address_key = own.null_address;
	    key = null_sender(key);
	}
	char *list = model_value(run.cfg, NULL, param, NULL), *value;
	search(&run, param, "-", mp->kind, list ? list : "", key, &value);
	free(value);
	free(list);
    } else if (stage != NULL || is_class(&run, param)) {
	enum input natural = stage ? stage->natural : IN_NONE;
	if (key != NULL) {
	    if (natural == IN_NONE) {
		fprintf(stderr, "%s: lookup: %s has no natural KEY; give --client, --helo, "
			"--sender, --recipient, --etrn, --sasl or --ccert\n", diag_program(), param);
		status = EXIT_ERROR;
		goto done;
	    }
	    run.inputs[natural] = natural == IN_SENDER ? null_sender(key) : key;
	} else if (!given) {
	    usage(stderr);
	    status = EXIT_ERROR;
	    goto done;
	}
	run.settings.parent_matches_subdomains =
	    lo_name_in_list(own.pdms ? own.pdms : "", "smtpd_access_maps");
	char *list = model_value(run.cfg, NULL, param, NULL);
	run_list(&run, param, list ? list : "", 0);
	/* A list without a table lookup for these inputs still answers. */
	if (run.searches == 0 && !run.error)
	    out_fields("notfound", (char *) NULL);
	free(list);
    } else {
	fprintf(stderr, "%s: lookup: %s: pfc knows no lookup order for this parameter "
		"(see pfc(1) for the parameters it knows)\n", diag_program(), param);
	status = EXIT_ERROR;
	goto done;
    }
    status = run.error ? EXIT_ERROR : run.any_hit ? EXIT_FOUND : EXIT_NOTFOUND;

  done:
    if (out_flush() < 0 && status != EXIT_ERROR) {
	fprintf(stderr, "%s: lookup: write error: %s\n", diag_program(), strerror(errno));
	status = EXIT_ERROR;
    }
    free_settings(&run, &own);
    free(run.main_cf);
    model_free(run.cfg);
    free(run.cfg);
    return status;
}
