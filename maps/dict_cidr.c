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
#include "dict_cidr.h"
#include "pattern_source.h"
#include "strbuf.h"
#include "textutil.h"
#include "xalloc.h"

struct cidr_table {
    struct dict dict;
    struct pat_list rules;
    int family;			/* of the key being looked up */
    unsigned char addr[CIDR_MAX_BYTES];
};

struct cidr_reading {
    struct pat_list *list;
    const char *name;
    const struct diag_sink *sink;
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

/* parse_pattern - a rule's network and its text; NULL with st->why set */
static struct cidr_rule *parse_pattern(struct cidr_reading *st, const char *pattern)
{
    size_t len = strlen(pattern);
    struct cidr_rule *r = xmalloc(sizeof(*r) + len + 1);
    char *scratch = xstrndup(pattern, len);

    memcpy(r->pattern, pattern, len + 1);
    if (cidr_parse(scratch, &r->net, 1, &st->why) != 0) {
	free(r);
	r = NULL;
    }
    free(scratch);
    return r;
}

/* add_net_rule - append an IF or MATCH rule for a parsed network */
static void add_net_rule(struct cidr_reading *st, enum pat_op op, int line, int match,
			 struct cidr_rule *r, const char *value)
{
    struct pat_rule *rule = pat_list_add(st->list, op, line);

    rule->expr = r;
    rule->match = match;
    if (value != NULL)
	rule->text = xstrdup(value);
}

/* parse_rule - one logical line; returns 0, or -1 with st->why set */
static int parse_rule(struct cidr_reading *st, char *p, int line)
{
    struct cidr_rule *r;
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
	if ((r = parse_pattern(st, p)) == NULL)
	    return -1;
	add_net_rule(st, PAT_IF, line, match, r, NULL);
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
	if ((r = parse_pattern(st, pattern)) == NULL)
	    return -1;
	if (*value == 0) {
	    free(r);
	    sb_adds(&st->why, "no lookup result");
	    return -1;
	}
	add_net_rule(st, PAT_MATCH, line, match, r, value);
    }
    return 0;
}

static void cidr_line(void *ctx, char *text, const struct cf_logical_line *logical)
{
    struct cidr_reading *st = ctx;
    int line = logical->first_line;

    sb_reset(&st->why);
    if (parse_rule(st, text, line) != 0) {
	struct pat_where where = { "cidr", st->name, line };

	pat_warn(&where, st->sink, "%s: skipping this rule", sb_str(&st->why));
    }
}

/* cidr_exec - a rule of another address family never matches, even with ! */
static int cidr_exec(void *ctx, const struct pat_rule *rule, const void *expr,
		     int want_groups)
{
    const struct cidr_table *t = ctx;
    const struct cidr_rule *r = expr;

    (void) rule;
    (void) want_groups;
    return cidr_match(&r->net, t->family, t->addr);
}

static int cidr_lookup(struct dict *dict, const char *key, const char **value)
{
    struct cidr_table *t = (struct cidr_table *) dict;
    const struct pat_rule *rule;

    t->family = cidr_family(key);
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

static struct dict *cidr_open(const char *name, int mode, unsigned flags,
			      const struct diag_sink *sink, char **err);

/* load_rules - cidr_load(), the warnings to sink */
static int load_rules(struct pat_list *list, const char *name, const struct diag_sink *sink,
		      char **err)
{
    struct cidr_reading st = { list, name, sink, STRBUF_INIT };
    int status = pat_read_source("cidr", name, 1, sink, cidr_line, &st, err);

    sb_free(&st.why);
    if (status == 0)
	pat_list_finish(list, "cidr", name, sink);
    return status;
}

int cidr_load(struct pat_list *list, const char *name, char **err)
{
    return load_rules(list, name, NULL, err);
}

const struct dict_type dict_type_cidr = {
    "cidr", DICT_CAP_PATTERN | DICT_CAP_FILE, cidr_open, NULL,
};

static struct dict *cidr_open(const char *name, int mode, unsigned flags,
			      const struct diag_sink *sink, char **err)
{
    struct cidr_table *t;

    if (mode != DICT_READ) {
	*err = dict_format_error("cidr:%s map requires O_RDONLY access mode", name);
	return NULL;
    }
    t = (struct cidr_table *) dict_alloc(&dict_type_cidr, name, flags, sizeof(*t));
    t->dict.lookup = cidr_lookup;
    t->dict.close = cidr_close;
    if (load_rules(&t->rules, name, sink, err) != 0) {
	cidr_close(&t->dict, NULL);
	return NULL;
    }
    return &t->dict;
}
