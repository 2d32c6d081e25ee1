/*
 * dnsq - ask runtime/policy/dns.c one question and print its answer, for
 * tests/policy/dns.sh and dns-postfix.sh (not a test of its own).
 *
 *   dnsq [-s SERVER] [-4|-6] lookup TYPE NAME   records and status of one type
 *   dnsq ... addr_or_mx NAME | mailhost NAME | addrs NAME | host_addrs NAME
 *   dnsq ... walk a|mx|ns NAME                   check_*_{a,mx,ns}_access's walk
 *   dnsq ... rbl DOMAIN ADDR [CLASS]             reject_rbl_client (CLASS: Client host)
 *   dnsq ... rhsbl DOMAIN WHAT CLASS             reject_rhsbl_*
 *   dnsq ... filter DOMAIN                       the reply filter's error, if any
 *
 * rbl and rhsbl print "listed", "not listed" or "soft", the TXT text and
 * the reply smtpd's default_rbl_reply gives (-t TEMPLATE: rbl_reply_maps'
 * template). Warnings go to stderr as "dnsq: warning: ...".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "diag.h"
#include "dns.h"
#include "strbuf.h"

static const char *status_name(enum dns_status s)
{
    static const char *names[] = { "OK", "NOTFOUND", "RETRY", "INVAL", "NULLMX", "FAIL" };
    return (size_t) s < sizeof(names) / sizeof(names[0]) ? names[s] : "?";
}

static enum dns_type type_of(const char *s)
{
    static const struct { const char *name; enum dns_type type; } types[] = {
	{"a", DNS_A}, {"aaaa", DNS_AAAA}, {"mx", DNS_MX}, {"ns", DNS_NS}, {"txt", DNS_TXT},
	{"ptr", DNS_PTR}, {"cname", DNS_CNAME},
    };
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
	if (strcasecmp(types[i].name, s) == 0)
	    return types[i].type;
    fprintf(stderr, "dnsq: unknown type %s\n", s);
    exit(2);
}

static void print_answer(const struct dns_answer *a)
{
    for (size_t i = 0; i < a->count; i++) {
	if (a->rrs[i].type == DNS_MX)
	    printf("%s %u %s\n", dns_strtype(a->rrs[i].type), a->rrs[i].preference,
		   a->rrs[i].data);
	else
	    printf("%s %s\n", dns_strtype(a->rrs[i].type), a->rrs[i].data);
    }
}

static int visit(void *ctx, enum dns_type kind, const char *value)
{
    (void) ctx;
    printf("%s %s\n", kind == DNS_A || kind == DNS_AAAA ? "addr" : "name", value);
    return 0;
}

/* The lookup smtpd's other $names would have: a fixed client. */
static const char *smtpd_names(const char *name, int mode, void *ctx)
{
    (void) mode;
    (void) ctx;
    if (strcmp(name, "client_address") == 0)
	return "192.0.2.1";
    if (strcmp(name, "client_name") == 0)
	return "client.example";
    return NULL;
}

static int rbl_print(int rc, struct dns_rbl *rbl, const char *domain, const char *what,
		     const char *class, const char *template, char **errp)
{
    char *err = *errp;

    if (rc != 0) {
	printf("fatal: %s\n", err);
	free(err);
	return 1;
    }
    printf("%s\n", rbl->status == DNS_OK ? "listed" : rbl->status == DNS_RETRY ? "soft"
	   : "not listed");
    if (rbl->txt)
	printf("txt: %s\n", rbl->txt);
    if (rbl->status == DNS_OK) {
	struct dns_rbl_reply how = {
	    .template = template,
	    .default_template = "$rbl_code Service unavailable; $rbl_class [$rbl_what] blocked"
		" using $rbl_domain${rbl_reason?; $rbl_reason}",
	    .rbl_code = 554,
	    .filter = "\t !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"[\\]^_`abcdefghijklmnopqrstuvwxyz{|}~",
	    .lookup = smtpd_names,
	};
	struct strbuf text = STRBUF_INIT;
	char dsn[DSN_SIZE];
	int code = dns_rbl_reply(rbl, domain, what, class, &how, dsn, &text, &err);
	if (code < 0) {
	    printf("fatal: %s\n", err);
	    free(err);
	} else {
	    printf("reply: %d %s %s\n", code, dsn, sb_str(&text));
	}
	sb_free(&text);
    }
    dns_rbl_free(rbl);
    return 0;
}

int main(int argc, char **argv)
{
    const char *server = NULL, *template = NULL;
    unsigned families = 0;
    struct dns_resolver *r;
    struct dns_answer a;
    struct dns_rbl rbl;
    enum dns_status st;
    char *err = NULL;
    int ch, rc = 0;

    diag_set_program("dnsq");
    while ((ch = getopt(argc, argv, "46s:t:")) != -1) {
	switch (ch) {
	case '4': families = DNS_FAMILY_INET; break;
	case '6': families = DNS_FAMILY_INET6; break;
	case 's': server = optarg; break;
	case 't': template = optarg; break;
	default: return 2;
	}
    }
    argv += optind;
    argc -= optind;
    if (argc < 2) {
	fprintf(stderr, "usage: dnsq [-s server] [-4|-6] [-t template] command args...\n");
	return 2;
    }
    if ((r = dns_system_resolver(server, &err)) == NULL) {
	fprintf(stderr, "dnsq: %s\n", err);
	free(err);
	return 2;
    }
    r->families = families;
    const char *cmd = argv[0];
    if (strcmp(cmd, "lookup") == 0 && argc == 3) {
	enum dns_type type = type_of(argv[1]);
	struct strbuf why = STRBUF_INIT;
	st = dns_lookup(r, argv[2], type, &a);
	print_answer(&a);
	printf("%s", status_name(st));
	if (st != DNS_OK)
	    printf(": %s", dns_why(&a, argv[2], type, st, &why));
	printf("\n");
	sb_free(&why);
	dns_answer_free(&a);
    } else if (strcmp(cmd, "addr_or_mx") == 0) {
	printf("%s\n", status_name(dns_lookup_addr_or_mx(r, argv[1])));
    } else if (strcmp(cmd, "mailhost") == 0) {
	printf("%s\n", status_name(dns_lookup_mailhost(r, argv[1])));
    } else if (strcmp(cmd, "addrs") == 0 || strcmp(cmd, "host_addrs") == 0) {
	st = cmd[0] == 'a' ? dns_lookup_addrs(r, argv[1], &a) : dns_host_addrs(r, argv[1], &a);
	print_answer(&a);
	printf("%s%s%s\n", status_name(st), a.why ? ": " : "", a.why ? a.why : "");
	dns_answer_free(&a);
    } else if (strcmp(cmd, "walk") == 0 && argc == 3) {
	printf("result %d\n", dns_walk_hosts(r, argv[2], type_of(argv[1]), argv[2],
					     "Recipient address", visit, NULL));
    } else if (strcmp(cmd, "rbl") == 0 && argc >= 3) {
	const char *class = argc > 3 ? argv[3] : "Client host";
	rc = rbl_print(dns_rbl_addr(r, argv[1], argv[2], &rbl, &err), &rbl, argv[1], argv[2],
		       class, template, &err);
    } else if (strcmp(cmd, "rhsbl") == 0 && argc == 4) {
	rc = rbl_print(dns_rbl_domain(r, argv[1], argv[2], &rbl, &err), &rbl, argv[1], argv[2],
		       argv[3], template, &err);
    } else if (strcmp(cmd, "filter") == 0) {
	char *msg = dns_rbl_filter_error(argv[1]);
	printf("%s\n", msg ? msg : "ok");
	free(msg);
    } else {
	fprintf(stderr, "dnsq: bad command\n");
	rc = 2;
    }
    r->free(r);
    return rc;
}
