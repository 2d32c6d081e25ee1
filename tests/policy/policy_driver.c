/*
 * policy_driver - asks the policy engine's lookups, match lists, address
 * resolution and rewriting questions about an image, one command per
 * line of standard input, one answer per line of standard output. Linked
 * from runtime/ and lib/ alone, as pfcd will be. The shell tests in
 * tests/policy and tests/compat drive it.
 *
 * usage: policy_driver IMAGE [SERVICE]
 *
 * Words are separated by blanks; "..." makes one word of what is inside
 * (\" and \\ escape; "" is the empty word). Lines starting with # and
 * empty lines are skipped. Commands, and what they print:
 *
 *   service NAME|-           the view of master.cf service NAME (- for
 *                            main.cf's); prints "ok" or the error
 *   trace on|off             also print each probe and note, indented
 *   value PARAM              the parameter's value in the view, as this host
 *                            joins a host value: "VALUE", "unknown", or
 *                            "fail REASON"
 *   find PARAM KEY           maps_find(): "found VALUE", "notfound", "fail"
 *   addr KIND PARAM ADDRESS  maps_addr_find() with the key order KIND
 *                            (address transport client helo sender
 *                            recipient exact): "found KEY VALUE" ...
 *   match KIND PARAM NAME [ADDR]
 *                            KIND domain string namadr addr: "yes", "no",
 *                            "fail"
 *   local DOMAIN             resolve_local(): "yes", "no", "fail"
 *   own ADDR                 own_inet_addr(): "yes", "no", "fail"
 *   resolve SENDER ADDR      smtpd's resolve: "CLASS<TAB>TRANSPORT<TAB>
 *                            NEXTHOP<TAB>RECIPIENT<TAB>FLAGS" (FLAGS as
 *                            the number trivial-rewrite sends)
 *   query SENDER ADDR        trivial-rewrite's resolve request, the same
 *   rewrite ADDR             the local-context rewrite, internal form
 *   rewrite-external ADDR    trivial-rewrite's rewrite request (external)
 *   sender ADDR              cleanup's envelope sender
 *   recipient ADDR           cleanup's envelope recipients, one per
 *                            <TAB>, or "fail<TAB>REASON<TAB>ADDR"
 *
 * Exit 0 at the end of input; 2 on a usage error or an image that does
 * not open, 1 on a command it does not know (with the line number).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "image_host.h"
#include "loader.h"
#include "maps.h"
#include "matchlist.h"
#include "resolve.h"
#include "rewrite.h"
#include "session.h"
#include "strbuf.h"
#include "trace.h"

#define MAX_WORDS 8

static void print_probe(void *ctx, const char *table, const char *key,
			enum trace_probe_result result, const char *value, uint32_t line)
{
    static const char *const names[] = { "miss", "hit", "skip", "fail" };

    (void) ctx;
    printf("  probe %s %s %s", table, key, names[result]);
    if (value != NULL)
	printf(" = %s", *value ? value : "\"\"");
    if (line != 0)
	printf(" (line %u)", (unsigned) line);
    printf("\n");
}

static void print_note(void *ctx, const char *text)
{
    (void) ctx;
    printf("  note %s\n", text);
}

/* split - the words of line, in place; their count, or -1 for bad quoting */
static int split(char *line, char **words)
{
    int n = 0;
    char *cp = line;

    for (;;) {
	while (*cp == ' ' || *cp == '\t')
	    cp++;
	if (*cp == 0 || *cp == '\n')
	    return n;
	if (n == MAX_WORDS)
	    return -1;
	if (*cp == '"') {
	    char *out = ++cp;
	    words[n++] = out;
	    while (*cp != '"') {
		if (*cp == 0 || *cp == '\n')
		    return -1;
		if (*cp == '\\' && cp[1] != 0)
		    cp++;
		*out++ = *cp++;
	    }
	    cp++;
	    *out = 0;
	    if (*cp != 0 && *cp != ' ' && *cp != '\t' && *cp != '\n')
		return -1;
	    if (*cp)
		cp++;
	} else {
	    words[n++] = cp;
	    cp += strcspn(cp, " \t\n");
	    if (*cp)
		*cp++ = 0;
	}
    }
}

static const char *match_word(int rc)
{
    return rc == MATCH_YES ? "yes" : rc == MATCH_NO ? "no" : "fail";
}

static int lookup_kind(const char *word, enum lo_kind *kind)
{
    static const struct {
	const char *name;
	enum lo_kind kind;
    } kinds[] = {
	{ "address", LO_ADDRESS }, { "transport", LO_TRANSPORT },
	{ "client", LO_ACCESS_CLIENT }, { "helo", LO_ACCESS_DOMAIN },
	{ "sender", LO_ACCESS_SENDER }, { "recipient", LO_ACCESS_RECIPIENT },
	{ "exact", LO_ACCESS_EXACT },
    };
    for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
	if (strcmp(word, kinds[i].name) == 0) {
	    *kind = kinds[i].kind;
	    return 0;
	}
    }
    return -1;
}

static void print_reply(const struct resolve_reply *r)
{
    printf("%s\t%s\t%s\t%s\t%u\n", resolve_class_name(r->flags), sb_str(&r->transport),
	   sb_str(&r->nexthop), sb_str(&r->recipient), r->flags);
}

/* command - run one command; 0, or -1 when it is not one */
static int command(struct session *s, struct policy *p, const struct image *img,
		   char **w, int n, struct policy_trace *trace)
{
    const char *value, *key;
    enum lo_kind kind;
    int rc;

#define IS(name, args) (strcmp(w[0], name) == 0 && n == (args) + 1)
    if (IS("service", 1)) {
	char *err = NULL;
	struct policy_trace *listening = s->trace;
	session_free(s);
	policy_close(p);
	if (strcmp(w[1], "-") == 0) {
	    policy_open_main(p, img);
	    printf("ok\n");
	} else if (policy_open(p, img, w[1], &err) < 0) {
	    printf("%s\n", err);
	    free(err);
	    policy_open_main(p, img);
	} else {
	    printf("ok\n");
	}
	session_init(s, p);
	s->trace = listening;
    } else if (IS("trace", 1)) {
	s->trace = strcmp(w[1], "on") == 0 ? trace : NULL;
    } else if (IS("value", 1)) {
	const struct img_setting *set = policy_setting(p, w[1]);
	struct image_host host;
	char *err = NULL, *joined = NULL;
	image_host_init(&host, "policy_driver", 1);
	host.service = p->service;
	if (set == NULL)
	    printf("unknown\n");
	else if ((joined = image_setting_value(img, set, &host, &err)) == NULL)
	    printf("fail %s\n", err);
	else
	    printf("%s\n", joined);
	free(joined);
	free(err);
	image_host_free(&host);
    } else if (IS("find", 2)) {
	rc = maps_find(s, w[1], w[2], &value);
	if (rc == MAPS_FOUND)
	    printf("found %s\n", value);
	else
	    printf("%s\n", rc == MAPS_NOTFOUND ? "notfound" : "fail");
    } else if (IS("addr", 3) && lookup_kind(w[1], &kind) == 0) {
	rc = maps_addr_find(s, w[2], NULL, 0, kind, w[3], &value, &key);
	if (rc == MAPS_FOUND)
	    printf("found %s %s\n", key, value);
	else
	    printf("%s\n", rc == MAPS_NOTFOUND ? "notfound" : "fail");
    } else if (strcmp(w[0], "match") == 0 && (n == 4 || n == 5)) {
	if (strcmp(w[1], "domain") == 0 && n == 4)
	    rc = match_domain(s, w[2], w[3]);
	else if (strcmp(w[1], "string") == 0 && n == 4)
	    rc = match_string(s, w[2], w[3]);
	else if (strcmp(w[1], "namadr") == 0 && n == 5)
	    rc = match_namadr(s, w[2], w[3], w[4]);
	else if (strcmp(w[1], "addr") == 0 && n == 4)
	    rc = match_addr(s, w[2], w[3]);
	else
	    return -1;
	printf("%s\n", match_word(rc));
    } else if (IS("local", 1)) {
	rc = match_local_domain(s, s->policy, w[1]);
	printf("%s\n", rc > 0 ? "yes" : rc == 0 ? "no" : "fail");
    } else if (IS("own", 1)) {
	printf("%s\n", match_word(match_inet_interfaces(s, w[1])));
    } else if (IS("resolve", 2) || IS("query", 2)) {
	struct resolve_reply r;
	resolve_reply_init(&r);
	if (w[0][0] == 'r')
	    resolve_addr(s, w[1], w[2], &r);
	else
	    resolve_query(s, w[1], w[2], &r);
	print_reply(&r);
	resolve_reply_free(&r);
    } else if (IS("rewrite", 1) || IS("rewrite-external", 1)) {
	struct strbuf out = STRBUF_INIT;
	if (strcmp(w[0], "rewrite") == 0)
	    resolve_rewrite(s, w[1], &out);
	else
	    resolve_rewrite_in(s, resolve_rewrite_view(s->policy), w[1], 1, &out);
	printf("%s\n", sb_str(&out));
	sb_free(&out);
    } else if (IS("sender", 1)) {
	char *out = rewrite_sender(s, w[1]);
	printf("%s\n", out);
	free(out);
    } else if (IS("recipient", 1)) {
	struct rewrite_list list = { NULL, 0, 0, NULL };
	char *err = NULL;
	if (rewrite_recipient(s, w[1], &list, &err) < 0)
	    printf("fail\t%s\t", err);
	for (size_t i = 0; i < list.count; i++)
	    printf("%s%s", i ? "\t" : "", list.addrs[i]);
	printf("\n");
	free(err);
	rewrite_list_free(&list);
    } else {
	return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct image *img;
    struct policy p;
    struct session s;
    struct policy_trace trace = { .probe = print_probe, .note = print_note };
    char *err = NULL, line[4096], *words[MAX_WORDS];
    unsigned long lineno = 0;
    int status = 0;

    if (argc < 2 || argc > 3) {
	fprintf(stderr, "usage: policy_driver IMAGE [SERVICE]\n");
	return 2;
    }
    if (image_open(argv[1], &img, &err) != IMAGE_OK) {
	fprintf(stderr, "policy_driver: %s\n", err);
	free(err);
	return 2;
    }
    if (policy_open(&p, img, argc == 3 ? argv[2] : NULL, &err) < 0) {
	fprintf(stderr, "policy_driver: %s\n", err);
	free(err);
	image_close(img);
	return 2;
    }
    session_init(&s, &p);
    while (fgets(line, sizeof(line), stdin) != NULL) {
	lineno++;
	if (line[strspn(line, " \t")] == '#')
	    continue;
	int n = split(line, words);
	if (n == 0)
	    continue;
	if (n < 0 || command(&s, &p, img, words, n, &trace) < 0) {
	    fflush(stdout);
	    fprintf(stderr, "policy_driver: line %lu: bad command\n", lineno);
	    status = 1;
	    break;
	}
    }
    session_free(&s);
    policy_close(&p);
    image_close(img);
    return status;
}
