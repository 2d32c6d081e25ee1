/*
 * dict_cidr - cidr:FILE and cidr:{ {rule}, ... }, cidr_table(5): rules
 * "network/length result", "address result", "[ipv6]/length result",
 * "!network result" and "if network ... endif", IPv4 and IPv6. The first
 * rule that matches wins; a key that is not an IP address never matches.
 * Reading and the IF/ENDIF jumps are pattern_source's; the rule syntax and
 * its warnings ("cidr map NAME, line N: WHY: skipping this rule") follow
 * Postfix's dict_cidr.c and cidr_match.c.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "cfline.h"
#include "dict.h"
#include "pattern_source.h"
#include "strbuf.h"
#include "textutil.h"
#include "xalloc.h"

#define CIDR_MAX_BYTES 16

struct cidr_net {
    int family;			/* AF_INET or AF_INET6 */
    size_t nbytes;		/* 4 or 16 */
    unsigned char net[CIDR_MAX_BYTES];
    unsigned char mask[CIDR_MAX_BYTES];
};

struct cidr_table {
    struct dict dict;
    struct pat_list rules;
    int family;			/* of the key being looked up */
    unsigned char addr[CIDR_MAX_BYTES];
};

struct cidr_load {
    struct pat_list *list;
    const char *name;
    struct strbuf why;		/* why the current rule is skipped */
};

static int is_alnum(int ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
	|| (ch >= '0' && ch <= '9');
}

static int is_blank(int ch)
{
    return is_space((unsigned char) ch);
}

/* family_of - Postfix's rule: a colon makes it IPv6 */
static int family_of(const char *text)
{
    return strchr(text, ':') ? AF_INET6 : AF_INET;
}

/* mask_bits - keep the first bits bits of an address, clear the rest */
static void mask_bits(unsigned char *bytes, size_t nbytes, unsigned bits)
{
    for (size_t i = 0; i < nbytes; i++) {
	if (bits >= 8) {
	    bits -= 8;
	} else {
	    bytes[i] &= (unsigned char) (0xff00u >> bits);
	    bits = 0;
	}
    }
}

static int all_digits(const char *s)
{
    if (*s == 0)
	return 0;
    for (; *s; s++)
	if (*s < '0' || *s > '9')
	    return 0;
    return 1;
}

/*
 * parse_net - "addr", "addr/len", "[addr]", "[addr]/len" or "[addr/len]"
 * (destroying the text). Returns 0, or -1 with the reason in why.
 */
static int parse_net(char *pattern, struct cidr_net *net, struct strbuf *why)
{
    char *mask_search = pattern, *mask;

    if (*pattern == '[') {
	char *close = strchr(++pattern, ']');

	if (close == NULL) {
	    sb_printf(why, "missing ']' character after \"[%s\"", pattern);
	    return -1;
	}
	*close = 0;
	mask_search = close + 1;
	if (*mask_search != '/') {
	    if (*mask_search != 0) {
		sb_printf(why, "garbage after \"[%s]\"", pattern);
		return -1;
	    }
	    mask_search = pattern;
	}
    }
    net->family = family_of(pattern);
    net->nbytes = net->family == AF_INET6 ? 16 : 4;
    int nbits = (int) net->nbytes * 8;

    if ((mask = strchr(mask_search, '/')) == NULL) {
	/* A bare address is a network of all its bits. */
	if (inet_pton(net->family, pattern, net->net) != 1) {
	    sb_printf(why, "bad address pattern: \"%s\"", pattern);
	    return -1;
	}
	memset(net->mask, 0xff, net->nbytes);
	return 0;
    }
    *mask++ = 0;

    const char *error = NULL;
    int len = 0;

    if (!all_digits(mask))
	error = "bad mask value";
    /* Postfix converts with atoi(): huge numbers wrap as an int does. */
    else if ((len = (int) strtol(mask, NULL, 10)) > nbits)
	error = "bad mask length";
    else if (inet_pton(net->family, pattern, net->net) != 1)
	error = "bad network value";
    if (error != NULL) {
	sb_printf(why, "%s in \"%s/%s\"", error, pattern, mask);
	return -1;
    }
    if (len < 0)
	len = 0;
    memset(net->mask, 0xff, net->nbytes);
    mask_bits(net->mask, net->nbytes, (unsigned) len);
    for (size_t i = 0; i < net->nbytes; i++) {
	if (net->net[i] & ~net->mask[i]) {
	    char text[INET6_ADDRSTRLEN];

	    mask_bits(net->net, net->nbytes, (unsigned) len);
	    inet_ntop(net->family, net->net, text, sizeof(text));
	    sb_printf(why, "non-null host address bits in \"%s/%s\", "
		      "perhaps you should use \"%s/%d\" instead",
		      pattern, mask, text, len);
	    return -1;
	}
    }
    return 0;
}

/* add_net_rule - append an IF or MATCH rule for a parsed network */
static void add_net_rule(struct cidr_load *st, enum pat_op op, int line, int match,
			 const struct cidr_net *net, const char *value)
{
    struct pat_rule *rule = pat_list_add(st->list, op, line);
    struct cidr_net *copy = xmalloc(sizeof(*copy));

    *copy = *net;
    rule->expr = copy;
    rule->match = match;
    if (value != NULL)
	rule->text = xstrdup(value);
}

/* parse_rule - one logical line; returns 0, or -1 with st->why set */
static int parse_rule(struct cidr_load *st, char *p, int line)
{
    struct cidr_net net;
    int match = 1;

    if (strncasecmp(p, "IF", 2) == 0 && !is_alnum(p[2])) {
	for (p += 2; *p == '!' || is_blank(*p); p++)
	    if (*p == '!')
		match = !match;
	if (*p == 0) {
	    sb_adds(&st->why, "no address pattern");
	    return -1;
	}
	trim_right(p);
	if (parse_net(p, &net, &st->why) != 0)
	    return -1;
	add_net_rule(st, PAT_IF, line, match, &net, NULL);
    } else if (strncasecmp(p, "ENDIF", 5) == 0 && !is_alnum(p[5])) {
	for (p += 5; is_blank(*p); p++)
	     /* void */ ;
	if (*p != 0) {
	    sb_adds(&st->why, "garbage after ENDIF");
	    return -1;
	}
	if (pat_list_depth(st->list) == 0) {
	    sb_adds(&st->why, "ENDIF without IF");
	    return -1;
	}
	pat_list_add(st->list, PAT_ENDIF, line);
    } else {
	char *pattern, *value;

	for (; *p == '!' || is_blank(*p); p++)
	    if (*p == '!')
		match = !match;
	for (pattern = p; *p && !is_blank(*p); p++)
	     /* void */ ;
	if (*p)
	    *p++ = 0;
	while (is_blank(*p))
	    p++;
	value = trim_right(p);
	if (*pattern == 0) {
	    sb_adds(&st->why, "no address pattern");
	    return -1;
	}
	if (parse_net(pattern, &net, &st->why) != 0)
	    return -1;
	if (*value == 0) {
	    sb_adds(&st->why, "no lookup result");
	    return -1;
	}
	add_net_rule(st, PAT_MATCH, line, match, &net, value);
    }
    return 0;
}

static void cidr_line(void *ctx, char *text, const struct cf_logical_line *logical)
{
    struct cidr_load *st = ctx;
    int line = logical->first_line;

    sb_reset(&st->why);
    if (parse_rule(st, text, line) != 0) {
	struct pat_where where = { "cidr", st->name, line };

	pat_warn(&where, "%s: skipping this rule", sb_str(&st->why));
    }
}

/* cidr_exec - a rule of another address family never matches, even with ! */
static int cidr_exec(void *ctx, const struct pat_rule *rule, const void *expr,
		     int want_groups)
{
    const struct cidr_table *t = ctx;
    const struct cidr_net *net = expr;

    (void) rule;
    (void) want_groups;
    if (net->family != t->family)
	return -1;
    for (size_t i = 0; i < net->nbytes; i++)
	if ((t->addr[i] & net->mask[i]) != net->net[i])
	    return 0;
    return 1;
}

static int cidr_lookup(struct dict *dict, const char *key, const char **value)
{
    struct cidr_table *t = (struct cidr_table *) dict;
    const struct pat_rule *rule;

    t->family = family_of(key);
    if (inet_pton(t->family, key, t->addr) != 1)
	return DICT_NOTFOUND;
    if ((rule = pat_list_find(&t->rules, cidr_exec, t)) == NULL)
	return DICT_NOTFOUND;
    *value = rule->text;
    dict->match_line = rule->line;
    return DICT_FOUND;
}

static int cidr_close(struct dict *dict, char **err)
{
    struct cidr_table *t = (struct cidr_table *) dict;

    (void) err;
    pat_list_free(&t->rules, free);
    dict_free(dict);
    return 0;
}

static struct dict *cidr_open(const char *name, int mode, unsigned flags, char **err);

const struct dict_type dict_type_cidr = {
    "cidr", DICT_CAP_PATTERN | DICT_CAP_FILE, cidr_open, NULL,
};

static struct dict *cidr_open(const char *name, int mode, unsigned flags, char **err)
{
    struct cidr_table *t;

    if (mode != DICT_READ) {
	*err = dict_format_error("cidr:%s map requires O_RDONLY access mode", name);
	return NULL;
    }
    t = (struct cidr_table *) dict_alloc(&dict_type_cidr, name, flags, sizeof(*t));
    t->dict.lookup = cidr_lookup;
    t->dict.close = cidr_close;

    struct cidr_load st = { &t->rules, name, STRBUF_INIT };
    int status = pat_read_source("cidr", name, 1, cidr_line, &st, err);

    sb_free(&st.why);
    if (status != 0) {
	cidr_close(&t->dict, NULL);
	return NULL;
    }
    pat_list_finish(&t->rules, "cidr", name);
    return &t->dict;
}
