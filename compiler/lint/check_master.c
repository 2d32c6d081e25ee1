/*
 * check_master - the master.cf rules: two entries for one service, -o
 * overrides that replace a main.cf setting, transports that master.cf
 * does not define, and -o lines that a commented-out service left to the
 * service before it. The driver reports what postconf itself refuses
 * (master-syntax, master-options).
 */
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "check.h"
#include "dict.h"
#include "strbuf.h"
#include "sysroot.h"
#include "textutil.h"
#include "xalloc.h"

/* ------------------------------------------------------------ services */

/* is_private - is the service private? "-" means yes (master(5)) */
static int is_private(const struct master_entry *e)
{
    return e->argv[MF_PRIVATE][0] != 'n';
}

/*
 * inet_endpoint - the name master(8) gives an inet service, so that
 * "smtp" and "25" are one service: the port as a number, after
 * "[host]:" when a host is given, numeric hosts in canonical form. As
 * in master_ent.c, what does not resolve stays as written.
 */
static char *inet_endpoint(const char *service)
{
    char *copy = xstrdup(service), *host, *port, *colon;
    struct addrinfo hints, *res;
    char hbuf[NI_MAXHOST], sbuf[NI_MAXSERV];
    char *name = NULL;

    /* host_port(): [host]:port, [ipv6:addr]:port, host:port, port */
    if (copy[0] == '[' && (colon = strchr(copy, ']')) != NULL) {
	*colon = 0;
	host = copy + 1;
	if (strncasecmp(host, "ipv6:", 5) == 0)
	    host += 5;
	port = colon[1] == ':' ? colon + 2 : colon + 1;
    } else if ((colon = strrchr(copy, ':')) != NULL) {
	*colon = 0;
	host = copy;
	port = colon + 1;
    } else {
	host = copy + strlen(copy);
	port = copy;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICHOST;
    /* A numeric host and any port; then a named host: keep it, resolve the port. */
    if (*host && getaddrinfo(host, port, &hints, &res) == 0) {
	if (getnameinfo(res->ai_addr, res->ai_addrlen, hbuf, sizeof(hbuf), sbuf,
			sizeof(sbuf), NI_NUMERICHOST | NI_NUMERICSERV) == 0)
	    name = xconcat("[", hbuf, "]:", sbuf, (char *) NULL);
	freeaddrinfo(res);
    } else if (getaddrinfo(NULL, port, &hints, &res) == 0) {
	if (getnameinfo(res->ai_addr, res->ai_addrlen, NULL, 0, sbuf, sizeof(sbuf),
			NI_NUMERICSERV) == 0)
	    name = *host ? xconcat("[", host, "]:", sbuf, (char *) NULL) : xstrdup(sbuf);
	freeaddrinfo(res);
    }
    free(copy);
    return name ? name : xstrdup(service);
}

/*
 * service_endpoint - what master(8) tells services apart by, besides
 * their type: the canonical address of an inet service, else the socket
 * under private/ or public/.
 */
static char *service_endpoint(const struct master_entry *e)
{
    if (strcmp(e->argv[MF_TYPE], "inet") == 0)
	return inet_endpoint(e->argv[MF_SERVICE]);
    return xconcat(is_private(e) ? "private/" : "public/", e->argv[MF_SERVICE],
		   (char *) NULL);
}

/*
 * check_duplicates - two entries for one service: master(8) warns and
 * uses the last one, so the earlier entry is dead text.
 */
static void check_duplicates(struct check *cx)
{
    struct strmap seen;		/* "type endpoint" -> its first service */
    char **endpoints = xcalloc(cx->m->nservices + 1, sizeof(*endpoints));

    strmap_init(&seen);
    for (size_t i = 0; i < cx->m->nservices; i++) {
	const struct master_entry *e = cx->m->services[i].entry;
	endpoints[i] = service_endpoint(e);
	char *key = xconcat(e->argv[MF_TYPE], " ", endpoints[i], (char *) NULL);
	const struct master_entry *first = strmap_get(&seen, key);
	if (first != NULL) {
	    struct finding *f;
	    if (strcmp(first->argv[MF_SERVICE], e->argv[MF_SERVICE]) == 0)
		f = check_report(cx, "duplicate-service", cx->m->master_path, e->where,
				 e->argoff[MF_SERVICE], "service %s is defined again;"
				 " master(8) uses this entry and ignores the one on line %d",
				 e->name_space, first->line);
	    else
		f = check_report(cx, "duplicate-service", cx->m->master_path, e->where,
				 e->argoff[MF_SERVICE], "service %s is the same service as %s"
				 " on line %d (both are %s); master(8) uses this entry and"
				 " ignores that one", e->name_space, first->name_space,
				 first->line, endpoints[i]);
	    finding_postfix(f, "duplicate master.cf entry for service \"%s\" (%s)"
			    " -- using the last entry", first->argv[MF_SERVICE],
			    endpoints[i]);
	    finding_fix(f, "delete one of the two entries, or merge their options");
	}
	strmap_put(&seen, key, (void *) e);
	free(key);
    }
    for (size_t i = 0; i < cx->m->nservices; i++)
	free(endpoints[i]);
    free(endpoints);
    strmap_free(&seen, NULL);
}

/*
 * check_private_inet - postconf accepts "inet" with private = y, but
 * master(8) refuses to start (master_ent.c).
 */
static void check_private_inet(struct check *cx)
{
    for (size_t i = 0; i < cx->m->nservices; i++) {
	const struct master_entry *e = cx->m->services[i].entry;
	if (strcmp(e->argv[MF_TYPE], "inet") != 0 || !is_private(e))
	    continue;
	struct finding *f = check_report(cx, "master-syntax", cx->m->master_path, e->where,
					 e->argoff[MF_PRIVATE],
					 "inet service \"%s\" cannot be private; master(8)"
					 " refuses to start", e->argv[MF_SERVICE]);
	finding_postfix(f, "%s: line %d: inet service cannot be private",
			cx->m->master_path, e->line);
	finding_fix(f, "write n in the private field (the fourth column) of inet services");
    }
}

/* ------------------------------------------------------------ overrides */

/* one_line - value with each run of whitespace as one space (a new string) */
static char *one_line(const char *value)
{
    char *copy = xstrdup(value), *out = copy;

    for (const char *cp = value; *cp; cp++) {
	if (is_space((unsigned char) *cp)) {
	    if (out > copy && out[-1] != ' ')
		*out++ = ' ';
	} else {
	    *out++ = *cp;
	}
    }
    *out = 0;
    return copy;
}

/*
 * check_shadowing - a -o that replaces a value main.cf sets explicitly:
 * often intended (submission requires TLS), but the reader of main.cf
 * does not see it.
 */
static void check_shadowing(struct check *cx)
{
    for (size_t i = 0; i < cx->m->nservices; i++) {
	const struct model_service *svc = &cx->m->services[i];
	for (size_t j = 0; j < svc->noverrides; j++) {
	    const struct model_override *o = &svc->overrides[j];
	    const struct model_setting *s = check_setting_find(cx, o->name);
	    int line, column;
	    if (s == NULL || strcmp(s->value, o->value) == 0)
		continue;
	    cf_position(s->where, s->name_off, &line, &column);
	    char *main_value = one_line(s->value);
	    struct finding *f = check_report(cx, "override-shadows", cx->m->master_path,
					     svc->entry->where, o->name_off,
					     "-o %s=%s overrides main.cf %s = %s (main.cf:%d)"
					     " for service %s", o->name, o->value,
					     s->name, main_value, line, svc->entry->name_space);
	    free(main_value);
	    finding_fix(f, "nothing to do if the service should differ; else delete the -o");
	}
    }
}

/* ------------------------------------------------------------ transports */

/* Parameters whose value is "transport[:nexthop]". */
static const char *const transport_params[] = {
    "default_transport", "relay_transport", "local_transport", "virtual_transport",
    "mailbox_transport", "fallback_transport", "content_filter", "best_mx_transport",
    "address_verify_default_transport", "address_verify_local_transport",
    "address_verify_relay_transport", "address_verify_virtual_transport",
};

/* Parameters whose tables give "transport[:nexthop]" results. */
static const char *const transport_table_params[] = {
    "transport_maps", "sender_dependent_default_transport_maps",
    "mailbox_transport_maps", "fallback_transport_maps",
    "address_verify_transport_maps",
    "address_verify_sender_dependent_default_transport_maps",
};

/*
 * Built-in transports used without being set: the parameter, and the one
 * whose non-empty value means mail goes there (NULL: always).
 */
static const struct {
    const char *param, *needed_by;
} default_transports[] = {
    {"default_transport", NULL},
    {"local_transport", "mydestination"},
    {"relay_transport", "relay_domains"},
    {"virtual_transport", "virtual_mailbox_domains"},
};

static int in_list(const char *name, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
	if (strcmp(list[i], name) == 0)
	    return 1;
    return 0;
}

#define IN_LIST(name, list) in_list((name), (list), sizeof(list) / sizeof((list)[0]))

/*
 * transport_of - the transport part of "transport:nexthop" (a new
 * string), or NULL when there is none to check: empty (keep the default),
 * DUNNO, or an unexpanded $name.
 */
static char *transport_of(const char *value)
{
    size_t len = strcspn(value, ":");

    while (len > 0 && is_space((unsigned char) value[len - 1]))
	len--;
    while (len > 0 && is_space((unsigned char) *value))
	value++, len--;
    if (len == 0 || memchr(value, '$', len) != NULL
	|| (len == 5 && strncasecmp(value, "DUNNO", 5) == 0))
	return NULL;
    return xstrndup(value, len);
}


/* Where a transport was named: a logical line and offset, or a physical line. */
struct place {
    const char *path;
    const struct cf_logical_line *where;	/* NULL: line and column */
    size_t offset;
    int line, column;
};

/* unix_service - the unix service named transport, private ones first */
static const struct master_entry *unix_service(const struct check *cx,
					       const char *transport, int *is_private_unix)
{
    const struct master_entry *found = NULL;

    *is_private_unix = 0;
    for (size_t i = 0; i < cx->m->nservices; i++) {
	const struct master_entry *e = cx->m->services[i].entry;
	if (strcmp(e->argv[MF_SERVICE], transport) != 0)
	    continue;
	if (strcmp(e->argv[MF_TYPE], "unix") == 0 && is_private(e)) {
	    *is_private_unix = 1;
	    return e;
	}
	if (found == NULL || strcmp(e->argv[MF_TYPE], "unix") == 0)
	    found = e;
    }
    return found;
}

/*
 * check_transport - the transport part of value, named by what (a
 * parameter, "-o name" or a table), must be a private unix service:
 * the queue manager connects to private/TRANSPORT.
 */
/* transport_usable - does value name no transport, or one master.cf has? */
static int transport_usable(const struct check *cx, const char *value)
{
    char *transport = transport_of(value);
    int usable = 1;

    if (transport != NULL)
	(void) unix_service(cx, transport, &usable);
    free(transport);
    return usable;
}

static void check_transport(struct check *cx, const char *value, const char *what,
			    const struct place *at)
{
    char *transport = transport_of(value);
    struct strbuf msg = STRBUF_INIT;
    int usable;

    if (transport == NULL)
	return;
    const struct master_entry *e = unix_service(cx, transport, &usable);
    if (usable) {
	free(transport);
	return;
    }
    if (e == NULL)
	sb_printf(&msg, "transport \"%s\" (%s) is not defined in master.cf", transport,
		  what);
    else if (strcmp(e->argv[MF_TYPE], "unix") == 0)
	sb_printf(&msg, "transport \"%s\" (%s) is a public service in master.cf"
		  " (line %d, private = n); the queue manager connects to private/%s",
		  transport, what, e->line, transport);
    else
	sb_printf(&msg, "transport \"%s\" (%s) is defined in master.cf only as"
		  " \"%s %s\" (line %d); transports are unix services", transport, what,
		  transport, e->argv[MF_TYPE], e->line);
    struct finding *f = at->where
	? check_report(cx, "undefined-transport", at->path, at->where, at->offset, "%s",
		       msg.s)
	: check_report_at(cx, "undefined-transport", at->path, at->line, at->column, "%s",
			  msg.s);
    if (e == NULL || !is_private(e))
	finding_postfix(f, "connect to transport private/%s: No such file or directory",
			transport);

    /* Did you mean: the private unix services master.cf has. */
    const char **names = xcalloc(cx->m->nservices + 1, sizeof(*names));
    size_t count = 0;
    for (size_t i = 0; i < cx->m->nservices; i++) {
	const struct master_entry *s = cx->m->services[i].entry;
	if (strcmp(s->argv[MF_TYPE], "unix") == 0 && is_private(s))
	    names[count++] = s->argv[MF_SERVICE];
    }
    const char *close = check_suggest(transport, names, count);
    if (close != NULL)
	finding_fix(f, "did you mean \"%s\"? Else add a unix service named \"%s\" to"
		    " master.cf", close, transport);
    else if (e != NULL && strcmp(e->argv[MF_TYPE], "unix") == 0)
	finding_fix(f, "write - or y in the private field of the %s service", transport);
    else
	finding_fix(f, "add a unix service named \"%s\" to master.cf (a pipe(8) or"
		    " smtp(8) client, say), or name one it defines", transport);
    free(names);
    sb_free(&msg);
    free(transport);
}

/* Where each key of a table's source is: key -> struct key_place. */
struct key_place {
    int line, column;		/* of the value */
};

/* on_index_line - the first line of each key; note where its value starts */
static void on_index_line(void *ctx, const struct cf_logical_line *line)
{
    struct strmap *index = ctx;
    size_t klen = strcspn(line->text, CHARS_SPACE);
    char *key = xstrndup(line->text, klen);

    for (char *p = key; *p; p++)
	if (*p >= 'A' && *p <= 'Z')
	    *p += 'a' - 'A';
    if (!strmap_has(index, key)) {
	struct key_place *kp = xmalloc(sizeof(*kp));
	cf_position(line, klen + strspn(line->text + klen, CHARS_SPACE), &kp->line,
		    &kp->column);
	strmap_put(index, key, kp);
    }
    free(key);
}

/* on_table_leading_space - say nothing: the table rules report such lines */
static void on_table_leading_space(void *ctx, const struct cf_logical_line *line)
{
    (void) ctx;
    (void) line;
}

/*
 * table_key_index - where each key is in the source file of a table that
 * has one (hash, btree, texthash), read once; returns the source path as
 * opened (NULL: no source to point into; index left empty).
 */
static char *table_key_index(const char *spec, struct strmap *index)
{
    static const struct cf_reader_ops ops = { on_index_line, on_table_leading_space };
    const char *colon = strchr(spec, ':');
    const struct dict_type *type;
    char *source;
    FILE *fp;

    if (colon == NULL)
	return NULL;
    char *type_name = xstrndup(spec, (size_t) (colon - spec));
    type = dict_type_find(type_name);
    free(type_name);
    if (type == NULL || (type->caps & DICT_CAP_FILE) == 0
	|| (type->caps & DICT_CAP_PATTERN) != 0)
	return NULL;
    source = sysroot_path(colon + 1);
    if ((fp = fopen(source, "r")) == NULL) {
	free(source);
	return NULL;
    }
    cf_read_stream(fp, source, &ops, index);
    fclose(fp);
    return source;
}

/*
 * check_transport_table - every result of one table. Tables pfc cannot
 * read are skipped quietly: the table rules report them.
 */
static void check_transport_table(struct check *cx, const char *spec, const char *param,
				  const struct place *setting)
{
    unsigned flags = DICT_FLAG_FOLD | DICT_FLAG_TRY0NULL | DICT_FLAG_TRY1NULL;
    const char *key, *value;
    char *err = NULL;
    struct dict *dict;

    /* A FIFO, a device or a link out of --root is not read: the table rules say so. */
    if (!check_table_file_ok(spec))
	return;
    check_capture_begin(cx, NULL, NULL);
    dict = dict_open(spec, DICT_READ, flags, &err);
    check_capture_end(cx);
    if (dict == NULL) {
	free(err);
	return;
    }
    if (dict->sequence != NULL) {
	struct strmap index;
	char *source = NULL;
	int indexed = 0;
	strmap_init(&index);
	check_capture_begin(cx, NULL, NULL);
	for (int first = 1; dict->sequence(dict, first, &key, &value) == DICT_FOUND;
	     first = 0) {
	    if (transport_usable(cx, value))
		continue;
	    /*
	     * Findings point at the table's source line where there is one;
	     * the source is read for that at the first finding only.
	     */
	    if (!indexed) {
		source = table_key_index(spec, &index);
		indexed = 1;
	    }
	    struct place at = *setting;
	    const struct key_place *kp = strmap_get(&index, key);
	    char *what = xconcat(param, ", key ", key, (char *) NULL);
	    if (kp != NULL) {
		at.path = source;
		at.where = NULL;
		at.line = kp->line;
		at.column = kp->column;
	    }
	    check_capture_end(cx);
	    check_transport(cx, value, what, &at);
	    check_capture_begin(cx, NULL, NULL);
	    free(what);
	}
	check_capture_end(cx);
	strmap_free(&index, free);
	free(source);
    }
    dict_close(dict, &err);
    free(err);
}

/* check_transport_tables - each table of a list-of-tables value, once */
static void check_transport_tables(struct check *cx, const char *value, const char *param,
				   const struct place *setting, struct strmap *seen)
{
    char *copy = xstrdup(value), *bp = copy, *spec;

    while ((spec = str_tokq(&bp, CHARS_COMMA_SP)) != NULL) {
	if (strchr(spec, '$') != NULL || strmap_has(seen, spec))
	    continue;
	strmap_put(seen, spec, NULL);
	check_transport_table(cx, spec, param, setting);
    }
    free(copy);
}

/* is_empty - no value, or only separators */
static int is_empty(const char *value)
{
    return value == NULL || value[strspn(value, CHARS_COMMA_SP)] == 0;
}

/*
 * check_transports - main.cf's transports, those of -o overrides, those
 * of transport tables, and the built-in ones that mail would reach.
 */
static void check_transports(struct check *cx)
{
    struct strmap seen;
    struct place at;

    strmap_init(&seen);
    for (size_t i = 0; i < cx->m->nsettings; i++) {
	const struct model_setting *s = &cx->m->settings[i];
	if (!s->effective)
	    continue;
	at = (struct place) { cx->m->main_path, s->where, s->value_off, 0, 0 };
	if (IN_LIST(s->name, transport_params)) {
	    char *value = check_value(cx, s->name);
	    check_transport(cx, value ? value : "", s->name, &at);
	    free(value);
	} else if (IN_LIST(s->name, transport_table_params)) {
	    char *value = check_value(cx, s->name);
	    check_transport_tables(cx, value ? value : "", s->name, &at, &seen);
	    free(value);
	}
    }
    for (size_t i = 0; i < cx->m->nservices; i++) {
	const struct model_service *svc = &cx->m->services[i];
	for (size_t j = 0; j < svc->noverrides; j++) {
	    const struct model_override *o = &svc->overrides[j];
	    at = (struct place) { cx->m->master_path, svc->entry->where, o->value_off, 0, 0 };
	    char *what = xconcat("-o ", o->name, (char *) NULL);
	    if (IN_LIST(o->name, transport_params)) {
		char *value = check_service_value(cx, svc, o->name);
		check_transport(cx, value ? value : "", what, &at);
		free(value);
	    } else if (IN_LIST(o->name, transport_table_params)) {
		char *value = check_service_value(cx, svc, o->name);
		check_transport_tables(cx, value ? value : "", what, &at, &seen);
		free(value);
	    }
	    free(what);
	}
    }
    /* Built-in values count only where mail reaches them. */
    for (size_t i = 0; i < sizeof(default_transports) / sizeof(default_transports[0]); i++) {
	const char *param = default_transports[i].param;
	const char *needed_by = default_transports[i].needed_by;
	if (check_setting_find(cx, param) != NULL)
	    continue;
	char *used = needed_by ? check_value(cx, needed_by) : NULL;
	if (needed_by == NULL || !is_empty(used)) {
	    char *value = check_value(cx, param);
	    char *what = xconcat(param, ", by default", (char *) NULL);
	    at = (struct place) { cx->m->master_path, NULL, 0, 0, 0 };
	    check_transport(cx, value ? value : "", what, &at);
	    free(what);
	    free(value);
	}
	free(used);
    }
    strmap_free(&seen, NULL);
}

/* ------------------------------------------------------------ orphans */

/* field_ok - does a commented-out word fit master.cf field f? */
static int field_ok(const char *word, enum master_field f)
{
    static const char *const types[] = { "unix", "fifo", "inet", "pass", "unix-dgram" };
    size_t len = strlen(word);

    switch (f) {
    case MF_TYPE:
	return IN_LIST(word, types);
    case MF_PRIVATE:
    case MF_UNPRIV:
    case MF_CHROOT:
	return len == 1 && strchr("yn-", word[0]) != NULL;
    case MF_WAKEUP:
	if (len > 0 && word[len - 1] == '?')
	    len--;
	return len > 0 && (strncmp(word, "-", len) == 0 || strspn(word, "0123456789") >= len);
    case MF_MAXPROC:
	return strcmp(word, "-") == 0 || (len > 0 && strspn(word, "0123456789") == len);
    default:
	return 1;
    }
}

/*
 * commented_service - "#name type private unpriv chroot wakeup maxproc
 * command": the "name/type" of a service line that was commented out (a
 * new string), or NULL for any other comment.
 */
static char *commented_service(const char *line)
{
    char *copy = xstrdup(line + strspn(line, CHARS_SPACE) + 1), *bp = copy, *word;
    char *fields[MASTER_MIN_FIELDS];
    size_t n = 0;
    char *name = NULL;

    while (n < MASTER_MIN_FIELDS && (word = str_tokq(&bp, CHARS_SPACE)) != NULL) {
	if (!field_ok(word, (enum master_field) n))
	    break;
	fields[n++] = word;
    }
    if (n == MASTER_MIN_FIELDS)
	name = xconcat(fields[MF_SERVICE], "/", fields[MF_TYPE], (char *) NULL);
    free(copy);
    return name;
}

/*
 * check_orphans - the reader drops comment lines, even inside a logical
 * line (SPEC 1.1): comment out a service but not its indented -o lines,
 * and those lines join the service above. Read master.cf again, by
 * physical line, to see the comments.
 */
static void check_orphans(struct check *cx)
{
    char *line = NULL, *previous = NULL, *commented = NULL;
    int commented_line = 0, previous_line = 0, lineno = 0;
    size_t cap = 0;
    ssize_t len;
    FILE *fp;

    if ((fp = fopen(cx->m->master_path, "r")) == NULL)
	return;
    while ((len = getline(&line, &cap, fp)) >= 0) {
	size_t lead = strspn(line, CHARS_SPACE);
	lineno++;
	if (line[lead] == 0)
	    continue;			/* blank lines are transparent */
	if (line[lead] == '#') {
	    char *service = commented_service(line);
	    if (service != NULL) {
		free(commented);
		commented = service;
		commented_line = lineno;
	    }
	    continue;
	}
	if (lead == 0) {		/* a service of its own */
	    size_t n = strcspn(line, CHARS_SPACE);
	    size_t t = n + strspn(line + n, CHARS_SPACE);
	    char *name = xstrndup(line, n);
	    char *type = xstrndup(line + t, strcspn(line + t, CHARS_SPACE));
	    free(previous);
	    previous = xconcat(name, "/", type, (char *) NULL);
	    free(name);
	    free(type);
	    previous_line = lineno;
	    free(commented);
	    commented = NULL;
	    continue;
	}
	if (commented != NULL && previous != NULL) {
	    struct finding *f = check_report_at(cx, "orphaned-override", cx->m->master_path,
						lineno, (int) lead + 1,
						"this line belonged to %s, commented out on"
						" line %d; it now continues %s (line %d)",
						commented, commented_line, previous,
						previous_line);
	    finding_fix(f, "comment out the indented lines of %s too, or delete them",
			commented);
	}
	free(commented);
	commented = NULL;
    }
    free(line);
    free(previous);
    free(commented);
    fclose(fp);
}

void check_master(struct check *cx)
{
    if (cx->m->master_path == NULL)
	return;			/* master-missing says it all */
    check_private_inet(cx);
    check_duplicates(cx);
    check_shadowing(cx);
    check_transports(cx);
    check_orphans(cx);
}
