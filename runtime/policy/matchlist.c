/*
 * matchlist - Postfix's match lists over the image (see matchlist.h).
 *
 * A list is parsed as match_list_init() parses it (elements split at
 * commas and white space, braces kept together, "!" counted, patterns
 * case-folded, type:name elements opened, the lines of a /file/name
 * element, which pfc build keeps in the image, parsed in its place) and
 * kept in the view's memo;
 * a match walks the elements as match_list_match() does, with
 * match_ops.c's string, hostname and address tests.
 */
#include <arpa/inet.h>
#include <netdb.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "addr822.h"
#include "cidr.h"
#include "hostaddr.h"
#include "hostinfo.h"
#include "maps.h"
#include "matchlist.h"
#include "strmap.h"
#include "textutil.h"
#include "trace.h"
#include "utf8.h"
#include "xalloc.h"

#define V4_ADDR_CHARS	"01234567890."
#define V6_ADDR_CHARS	V4_ADDR_CHARS "abcdefABCDEF:"

enum element_kind {
    EL_PATTERN,			/* text: the folded pattern */
    EL_TABLE,			/* table: its index in the image */
    EL_FILE,			/* a /file/name the build could not read */
    EL_NO_TABLE,		/* type:name the image does not hold */
};

/* How match_hostaddr() takes a pattern that is not an exact address. */
enum net_kind {
    NET_NONE,			/* never a network (names, IPv4 addresses) */
    NET_OK,			/* net holds it */
    NET_BAD,			/* cidr_match_parse() refuses it: error */
};

struct element {
    enum element_kind kind;
    int match;			/* 1, or 0 for a negated element */
    uint32_t table;
    char *text;			/* pattern, table spec or file name */
    size_t len;
    int has_colon;		/* the pattern has ':' (an IPv6 form) */
    enum net_kind net_kind;
    struct cidr_net net;
    char *error;		/* NET_BAD: why */
};

struct list {
    char *name;
    struct element *el;
    size_t count;
    int parent;			/* MATCH_FLAG_PARENT */
    char *error;		/* the list cannot be used at all: why */
    int host;			/* a host-dependent value the image left unexpanded */
};

/* A set of addresses (own_inet_addr(), proxy_inet_addr()). */
struct addr_set {
    int done;
    struct cidr_net *v;
    size_t n;
    char *error;
};

struct lists_memo {
    int ready;
    struct strmap lists;	/* name -> struct list */
    int utf8;			/* smtputf8_enable: casefold() is UTF-8 aware */
    struct addr_set own, proxy;
    struct strbuf folded[2];	/* match_list_in()'s arguments, case-folded: room kept */
    /*
     * match_local_domain()'s last domain and answer (NULL: none): smtpd
     * asks it of one recipient's domain several times (the resolver,
     * then each address table's search), and the answer cannot change.
     */
    char *local_domain;
    int local_rc;
};

void match_casefold(struct strbuf *out, const char *text, int utf8)
{
    if (utf8) {
	for (const char *cp = text; *cp; cp++) {
	    if (*cp & 0x80) {
		utf8_casefold(out, text);
		return;
	    }
	}
    }
    size_t len = strlen(text);
    sb_grow(out, len);
    char *dst = out->s + out->len;
    for (size_t i = 0; i <= len; i++)
	dst[i] = text[i] >= 'A' && text[i] <= 'Z' ? text[i] - 'A' + 'a' : text[i];
    out->len += len;
}

/* ---------------------------------------------------------------- memo */

static void list_free(void *ptr)
{
    struct list *l = ptr;

    for (size_t i = 0; i < l->count; i++) {
	free(l->el[i].text);
	free(l->el[i].error);
    }
    free(l->el);
    free(l->error);
    free(l->name);
    free(l);
}

static void memo_free(void *ptr)
{
    struct lists_memo *m = ptr;

    strmap_free(&m->lists, list_free);
    sb_free(&m->folded[0]);
    sb_free(&m->folded[1]);
    free(m->local_domain);
    free(m->own.v);
    free(m->own.error);
    free(m->proxy.v);
    free(m->proxy.error);
    free(m);
}

static struct lists_memo *memo(const struct policy *view)
{
    struct lists_memo *m = policy_memo(view, MEMO_LISTS, sizeof(*m), memo_free);

    if (!m->ready) {
	m->ready = 1;
	strmap_init(&m->lists);
	m->utf8 = policy_bool(view, "smtputf8_enable");
    }
    return m;
}

/* --------------------------------------------------------------- parse */

/* add_element - a new element of l */
static struct element *add_element(struct list *l, enum element_kind kind, int match,
				   const char *text)
{
    l->el = xrealloc(l->el, (l->count + 1) * sizeof(*l->el));
    struct element *e = &l->el[l->count++];
    memset(e, 0, sizeof(*e));
    e->kind = kind;
    e->match = match;
    e->text = xstrdup(text);
    e->len = strlen(text);
    return e;
}

/*
 * prepare_net - what match_hostaddr() does with a pattern that is not
 * the address itself, worked out once: only patterns with ':' or '/',
 * not plain IPv4, made of address characters and [ ] / go on to
 * cidr_match_parse(), whose verdict is kept.
 */
static void prepare_net(struct element *e)
{
    const char *p = e->text;

    e->has_colon = strchr(p, ':') != NULL;
    if (p[strcspn(p, ":/")] == 0 || p[strspn(p, V4_ADDR_CHARS)] == 0
	|| p[strspn(p, V6_ADDR_CHARS "[]/")] != 0) {
	e->net_kind = NET_NONE;
	return;
    }
    char *copy = xstrdup(p);
    struct strbuf why = STRBUF_INIT;
    if (cidr_parse(copy, &e->net, 0, &why) == 0) {
	e->net_kind = NET_OK;
    } else {
	e->net_kind = NET_BAD;
	e->error = sb_detach(&why);
    }
    sb_free(&why);
    free(copy);
}

/*
 * list_value - the value of param in view. mynetworks left unset in
 * main.cf has no value in the image (it depends on the host the policy
 * runs on): it is computed here, as mynetworks_host() does.
 */
static char *list_value(const struct policy *view, const char *param, struct list *l)
{
    const struct img_setting *set = policy_setting(view, param);

    if (set == NULL)
	return xstrdup("");
    if (!(set->flags & IMG_SETTING_HOST))
	return xstrdup(image_str(view->img, set->expanded));
    if (strcmp(param, "mynetworks") == 0 && *image_str(view->img, set->raw) == 0) {
	char *err = NULL;
	char *value = host_mynetworks(policy_value(view, "inet_interfaces"),
				      policy_value(view, "mynetworks_style"),
				      policy_value(view, "inet_protocols"), &err);
	if (value == NULL) {
	    l->error = err;
	    return xstrdup("");
	}
	return value;
    }
    l->host = 1;
    return xstrdup(image_str(view->img, set->expanded));
}

/*
 * parse_items - match_list_parse() of text (a value, or a line of a
 * /file) into l, each element's polarity starting from init_match. A
 * /file/name's lines are parsed in its place with the polarity its '!'s
 * give, as Postfix does; a file the build could not read (or nested past
 * IMG_MAX_NESTING) stays a /file element, whose tests fail.
 */
static void parse_items(const struct policy *view, struct list *l, const char *text,
			int init_match, int utf8, int depth, struct strbuf *fold)
{
    char *copy = xstrdup(text), *bp = copy, *item;

    while (l->error == NULL && (item = str_tokq(&bp, CHARS_COMMA_SP)) != NULL) {
	int match = init_match;
	if (*item == '#')
	    break;		/* Postfix warns: no comments at the end of a line */
	for (; *item == '!'; item++)
	    match = !match;
	if (*item == 0) {
	    l->error = xconcat(l->name, ": no pattern after '!'", (char *) NULL);
	} else if (*item == '/') {
	    uint32_t file = image_table_find(view->img, item);
	    if (file == IMG_NONE || view->img->tables[file].kind != IMG_TABLE_LIST
		|| depth >= IMG_MAX_NESTING) {
		add_element(l, EL_FILE, match, item);
		continue;
	    }
	    const char *line = image_str(view->img, view->img->tables[file].a);
	    for (size_t len; *line != 0; line += len + (line[len] == '\n')) {
		len = strcspn(line, "\n");
		char *one = xstrndup(line, len);
		parse_items(view, l, one, match, utf8, depth + 1, fold);
		free(one);
	    }
	} else if (*item != '[' && strchr(item, ':') != NULL) {
	    uint32_t table = image_table_find(view->img, item);
	    add_element(l, table == IMG_NONE ? EL_NO_TABLE : EL_TABLE, match, item)->table = table;
	} else {
	    sb_reset(fold);
	    match_casefold(fold, item, utf8);
	    prepare_net(add_element(l, EL_PATTERN, match, sb_str(fold)));
	}
    }
    free(copy);
}

/* parse - match_list_parse() of param's value in view */
static struct list *parse(const struct policy *view, const char *param, int utf8)
{
    struct list *l = xcalloc(1, sizeof(*l));
    char *value = list_value(view, param, l);
    struct strbuf fold = STRBUF_INIT;

    l->name = xstrdup(param);
    l->parent = lo_name_in_list(policy_value(view, "parent_domain_matches_subdomains"), param);
    if (l->error == NULL)
	parse_items(view, l, value, 1, utf8, 0, &fold);
    sb_free(&fold);
    free(value);
    return l;
}

/* get_list - param's list in view, parsed on first use */
static struct list *get_list(const struct policy *view, const char *param)
{
    struct lists_memo *m = memo(view);
    struct list *l = strmap_get(&m->lists, param);

    if (l == NULL) {
	l = parse(view, param, m->utf8);
	strmap_put(&m->lists, param, l);
    }
    return l;
}

/* --------------------------------------------------------------- match */

/* A match test's verdict on one element. */
#define EL_NO	0
#define EL_YES	1
#define EL_FAIL	(-1)

/* table_test - look key up in the element's table: any answer matches */
static int table_test(struct session *s, const struct list *l, const struct element *e,
		      const char *key)
{
    const char *value;

    switch (maps_probe(s, e->table, key, &value)) {
    case IMAGE_FOUND:
	return EL_YES;
    case IMAGE_NOTFOUND:
	return EL_NO;
    default:
	maps_note(s, "%s: %s: table lookup problem", l->name, e->text);
	return EL_FAIL;
    }
}

/* unusable - an element the runtime cannot evaluate */
static int unusable(struct session *s, const struct list *l, const struct element *e)
{
    if (e->kind == EL_FILE)
	maps_note(s, "%s: %s: the file could not be read when the policy image was built",
		  l->name, e->text);
    else
	maps_note(s, "%s: %s: the policy image has no such table", l->name, e->text);
    return EL_FAIL;
}

/* string_test - match_string() */
static int string_test(struct session *s, const struct list *l, const struct element *e,
		       const char *string)
{
    if (e->kind == EL_TABLE)
	return table_test(s, l, e, string);
    if (e->kind != EL_PATTERN)
	return unusable(s, l, e);
    return strcmp(string, e->text) == 0;
}

/* hostname_test - match_hostname(): the name, its parent domains */
static int hostname_test(struct session *s, const struct list *l, const struct element *e,
			 const char *name)
{
    if (e->kind == EL_TABLE) {
	/* Parent domains only to tables of fixed keys. */
	int fixed = !maps_table_is_pattern(s->policy->img, e->table);
	for (const char *entry = name, *next; *entry != 0; entry = next) {
	    if (entry == name || fixed) {
		int rc = table_test(s, l, e, entry);
		if (rc != EL_NO)
		    return rc;
	    }
	    if ((next = strchr(entry + 1, '.')) == NULL)
		break;
	    if (l->parent)
		next += 1;
	}
	return EL_NO;
    }
    if (e->kind != EL_PATTERN)
	return unusable(s, l, e);
    if (strcmp(name, e->text) == 0)
	return EL_YES;
    size_t len = strlen(name);
    if (len <= e->len)
	return EL_NO;
    const char *pd = name + len - e->len;
    if (l->parent)
	return pd[-1] == '.' && strcmp(pd, e->text) == 0;
    return e->text[0] == '.' && strcmp(pd, e->text) == 0;
}

/* hostaddr_test - match_hostaddr(): the address, or a network holding it */
static int hostaddr_test(struct session *s, const struct list *l, const struct element *e,
			 const char *addr)
{
    if (addr[strspn(addr, V6_ADDR_CHARS)] != 0)
	return EL_NO;
    if (e->kind == EL_TABLE)
	return table_test(s, l, e, addr);
    if (e->kind != EL_PATTERN)
	return unusable(s, l, e);
    if (e->text[0] != '[') {
	if (strcmp(addr, e->text) == 0)
	    return EL_YES;
    } else {
	size_t len = strlen(addr);
	if (strncmp(addr, e->text + 1, len) == 0 && strcmp(e->text + 1 + len, "]") == 0)
	    return EL_YES;
    }
    if ((strchr(addr, ':') == NULL) != !e->has_colon || e->net_kind == NET_NONE)
	return EL_NO;
    if (e->net_kind == NET_BAD) {
	maps_note(s, "%s: %s", l->name, e->error);
	return EL_FAIL;
    }
    unsigned char bytes[CIDR_MAX_BYTES];
    int family = cidr_family(addr);
    if (inet_pton(family, addr, bytes) != 1)
	return EL_NO;
    return cidr_match(&e->net, family, bytes) == 1;
}

/* element_test - the list kind's test of argument arg against e */
static int element_test(struct session *s, const struct list *l, const struct element *e,
			enum match_kind kind, int arg, const char *text)
{
    switch (kind) {
    case MATCH_KIND_STRING:
	return string_test(s, l, e, text);
    case MATCH_KIND_DOMAIN:
	return hostname_test(s, l, e, text);
    case MATCH_KIND_NAMADR:
	return arg == 0 ? hostname_test(s, l, e, text) : hostaddr_test(s, l, e, text);
    case MATCH_KIND_ADDR:
	return hostaddr_test(s, l, e, text);
    }
    return EL_NO;
}

int match_list_in(struct session *s, const struct policy *view, const char *param,
		  enum match_kind kind, const char *name, const char *addr)
{
    const struct list *l = get_list(view, param);
    struct lists_memo *m = memo(view);
    struct strbuf *folded = m->folded;
    const char *args[2] = { name, addr };
    int nargs = kind == MATCH_KIND_NAMADR ? 2 : 1, result = MATCH_NO, decided = 0;

    if (l->error != NULL) {
	maps_note(s, "%s", l->error);
	return MATCH_FAIL;
    }
    if (l->host)
	maps_note(s, "%s: its value depends on the host and is not expanded in the"
		  " policy image: \"%s\"", l->name, policy_value(view, param));
    for (int i = 0; i < nargs; i++) {
	sb_reset(&folded[i]);
	match_casefold(&folded[i], args[i] ? args[i] : "", m->utf8);
    }
    /* The first element that matches decides; a failed lookup ends it. */
    for (size_t i = 0; i < l->count && !decided; i++) {
	const struct element *e = &l->el[i];
	for (int a = 0; a < nargs && !decided; a++) {
	    int rc = element_test(s, l, e, kind, a, sb_str(&folded[a]));
	    if (rc == EL_FAIL) {
		result = MATCH_FAIL;
		decided = 1;
	    } else if (rc == EL_YES) {
		maps_note(s, "%s: %s matches %s%s", l->name, sb_str(&folded[a]),
			  e->match ? "" : "!", e->text);
		result = e->match ? MATCH_YES : MATCH_NO;
		decided = 1;
	    }
	}
    }
    return result;
}

/* domain_kind - the three domain parameters Postfix reads as string lists */
static enum match_kind domain_kind(const char *param)
{
    return strcmp(param, "mydestination") == 0 || strcmp(param, "virtual_alias_domains") == 0
	|| strcmp(param, "virtual_mailbox_domains") == 0 ? MATCH_KIND_STRING : MATCH_KIND_DOMAIN;
}

int match_domain(struct session *s, const char *param, const char *domain)
{
    return match_list_in(s, s->policy, param, domain_kind(param), domain, NULL);
}

int match_string(struct session *s, const char *param, const char *name)
{
    return match_list_in(s, s->policy, param, MATCH_KIND_STRING, name, NULL);
}

int match_namadr(struct session *s, const char *param, const char *name, const char *addr)
{
    return match_list_in(s, s->policy, param, MATCH_KIND_NAMADR, name, addr);
}

int match_addr(struct session *s, const char *param, const char *addr)
{
    return match_list_in(s, s->policy, param, MATCH_KIND_ADDR, addr, NULL);
}

const char *match_user_acl(const struct policy *p, const char *param, long uid)
{
    static char who[256];
    const char *acl = policy_value(p, param);

    if (acl != NULL && strncmp(acl, "static:", 7) == 0)
	return NULL;
    struct passwd *pw = getpwuid((uid_t) uid);
    snprintf(who, sizeof(who), "%s", pw ? pw->pw_name : "unknown");
    struct session s;
    session_init(&s, p);
    int matched = match_string(&s, param, who) == MATCH_YES;
    session_free(&s);
    return matched ? NULL : who;
}

/* ----------------------------------------------------- own addresses */

/* set_add - one address into a set */
static void set_add(struct addr_set *set, int family, const void *bytes)
{
    struct cidr_net net;

    memset(&net, 0, sizeof(net));
    net.family = family;
    net.nbytes = family == AF_INET6 ? 16 : 4;
    memcpy(net.net, bytes, net.nbytes);
    memset(net.mask, 0xff, net.nbytes);
    set->v = xrealloc(set->v, (set->n + 1) * sizeof(*set->v));
    set->v[set->n++] = net;
}

/*
 * own_set - own_inet_addr_init(): the addresses of inet_interfaces,
 * through the host's interfaces (lib/hostinfo's mynetworks of style
 * "host" is exactly that list, one /32 or /128 per address).
 */
static void own_set(const struct policy *view, struct addr_set *set)
{
    char *err = NULL;
    char *nets = host_mynetworks(policy_value(view, "inet_interfaces"), "host",
				 policy_value(view, "inet_protocols"), &err);

    if (nets == NULL) {
	set->error = err;
	return;
    }
    char *bp = nets, *item;
    while ((item = str_tokq(&bp, CHARS_COMMA_SP)) != NULL) {
	struct cidr_net net;
	struct strbuf why = STRBUF_INIT;
	if (cidr_parse(item, &net, 0, &why) == 0)
	    set_add(set, net.family, net.net);
	sb_free(&why);
    }
    free(nets);
}

/* proxy_set - proxy_inet_addr_init(): the hosts of proxy_interfaces */
static void proxy_set(const struct policy *view, struct addr_set *set)
{
    char *copy = xstrdup(policy_value(view, "proxy_interfaces")), *bp = copy, *host;
    int v4, v6;

    if (host_protocols(policy_value(view, "inet_protocols"), &v4, &v6, &set->error) < 0) {
	free(copy);
	return;
    }
    while ((host = str_tokq(&bp, " \t,")) != NULL) {
	struct addrinfo hints, *res, *ai;
	size_t len = strlen(host);
	int found = 0;

	if (host[0] == '[' && len > 1 && host[len - 1] == ']') {
	    host[len - 1] = 0;
	    host++;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = v4 && v6 ? AF_UNSPEC : v6 ? AF_INET6 : AF_INET;
	hints.ai_socktype = SOCK_STREAM;
	if ((v4 || v6) && getaddrinfo(host, NULL, &hints, &res) == 0) {
	    for (ai = res; ai; ai = ai->ai_next) {
		if (ai->ai_family == AF_INET)
		    set_add(set, AF_INET, &((struct sockaddr_in *) ai->ai_addr)->sin_addr);
		else if (ai->ai_family == AF_INET6)
		    set_add(set, AF_INET6, &((struct sockaddr_in6 *) ai->ai_addr)->sin6_addr);
		else
		    continue;
		found = 1;
	    }
	    freeaddrinfo(res);
	}
	if (!found && set->error == NULL)
	    set->error = xconcat("config variable proxy_interfaces: host not found: ", host,
				 (char *) NULL);
    }
    free(copy);
}

int match_own_addr(struct session *s, const struct policy *view, const char *addr, int proxy)
{
    struct lists_memo *m = memo(view);
    struct addr_set *set = proxy ? &m->proxy : &m->own;
    unsigned char bytes[CIDR_MAX_BYTES];
    int family = cidr_family(addr);

    if (!set->done) {
	set->done = 1;
	if (proxy)
	    proxy_set(view, set);
	else
	    own_set(view, set);
    }
    if (set->error != NULL) {
	maps_note(s, "%s", set->error);
	return MATCH_FAIL;
    }
    if (inet_pton(family, addr, bytes) != 1)
	return MATCH_NO;
    for (size_t i = 0; i < set->n; i++)
	if (cidr_match(&set->v[i], family, bytes) == 1)
	    return MATCH_YES;
    return MATCH_NO;
}

int match_inet_interfaces(struct session *s, const char *addr)
{
    return match_own_addr(s, s->policy, addr, 0);
}

int match_local_domain(struct session *s, const struct policy *view, const char *domain)
{
    struct lists_memo *m = memo(view);
    size_t len = strlen(domain);
    char *copy = NULL;
    int rc;

    /* The last answer again, unless a trace shows every test. */
    if (!trace_shows_probes(s->trace) && m->local_domain != NULL
	&& strcmp(m->local_domain, domain) == 0)
	return m->local_rc;

    /* One trailing dot goes, but not two. */
    if (len == 0)
	return 0;
    if (domain[len - 1] == '.')
	len--;
    if (len == 0 || domain[len - 1] == '.')
	return 0;
    /* A copy only when the name is cut (most domains are not). */
    const char *name = domain[len] == 0 ? domain : (copy = xstrndup(domain, len));
    rc = match_list_in(s, view, "mydestination", MATCH_KIND_STRING, name, NULL);
    if (rc == MATCH_NO && name[0] == '[' && name[len - 1] == ']') {
	const char *bare;
	if (copy == NULL)
	    copy = xstrndup(domain, len);
	copy[len - 1] = 0;
	if ((bare = valid_mailhost_addr(copy + 1, 0)) != NULL) {
	    rc = match_own_addr(s, view, bare, 0);
	    if (rc == MATCH_NO && *policy_value(view, "proxy_interfaces"))
		rc = match_own_addr(s, view, bare, 1);
	}
    }
    free(copy);
    rc = rc == MATCH_YES ? 1 : rc == MATCH_FAIL ? -1 : 0;
    if (!trace_shows_probes(s->trace) && rc >= 0) {
	free(m->local_domain);
	m->local_domain = xstrdup(domain);
	m->local_rc = rc;
    }
    return rc;
}
