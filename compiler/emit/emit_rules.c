/*
 * emit_rules - the image's pattern tables (RULE, PIEC, NETS): regexp and
 * pcre tables through pattern_source's reader (pat_load_observed), cidr
 * tables through dict_cidr's (cidr_load), so that the image keeps the
 * rules Postfix keeps, with their if/endif structure made jumps, their
 * results cut into pieces, and each cidr rule's network in binary.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "diag.h"
#include "dict_cidr.h"
#include "emit.h"
#include "pattern_source.h"
#include "sysroot.h"
#include "xalloc.h"

/* What pat_load_observed() showed of each rule it kept. */
struct seen_rule {
    char *pattern[2];
    unsigned options[2];
};

struct rule_scan {
    struct seen_rule *v;
    size_t n, cap;
};

static void observe_rule(void *ctx, const struct pat_seen *seen)
{
    struct rule_scan *scan = ctx;

    if (!seen->kept)
	return;
    GROW(scan->v, scan->n, scan->cap);
    struct seen_rule *r = &scan->v[scan->n++];
    memset(r, 0, sizeof(*r));
    for (size_t i = 0; i < seen->npatterns && i < 2; i++) {
	r->pattern[i] = xstrndup(seen->where->text + seen->pattern[i].offset,
				 seen->pattern[i].len);
	r->options[i] = seen->pattern[i].options;
    }
}

/* image_options - the engine's option bits as the image's own */
static uint32_t image_options(const struct pat_syntax *syntax, unsigned options)
{
    static const struct {
	const char *kind;
	int letter;
	uint32_t bit;
    } letters[] = {
	{"regexp", 'i', IMG_REGEXP_ICASE}, {"regexp", 'x', IMG_REGEXP_EXTENDED},
	{"regexp", 'm', IMG_REGEXP_NEWLINE},
	{"pcre", 'i', IMG_PCRE_CASELESS}, {"pcre", 'm', IMG_PCRE_MULTILINE},
	{"pcre", 's', IMG_PCRE_DOTALL}, {"pcre", 'x', IMG_PCRE_EXTENDED},
	{"pcre", 'A', IMG_PCRE_ANCHORED}, {"pcre", 'E', IMG_PCRE_DOLLAR_ENDONLY},
	{"pcre", 'U', IMG_PCRE_UNGREEDY},
    };
    struct pat_where where = { syntax->kind, "", 0 };
    uint32_t result = 0;

    /* Each flag letter toggles one engine bit: ask the engine which. */
    for (size_t i = 0; i < sizeof(letters) / sizeof(letters[0]); i++) {
	unsigned bit = 0;
	if (strcmp(letters[i].kind, syntax->kind) == 0
	    && syntax->flag(&where, letters[i].letter, &bit) == 0 && (options & bit))
	    result |= letters[i].bit;
    }
    return result;
}

/* add_rules - the rules of list as RULE and PIEC records */
static void add_rules(struct build *b, struct img_table *rec, const struct pat_list *list,
		      const struct seen_rule *seen, const struct pat_syntax *syntax)
{
    rec->a = (uint32_t) b->nrules;
    rec->b = (uint32_t) list->nrules;
    for (size_t i = 0; i < list->nrules; i++) {
	const struct pat_rule *r = &list->rules[i];
	GROW(b->rules, b->nrules, b->rules_cap);
	struct img_rule *out = &b->rules[b->nrules++];
	memset(out, 0, sizeof(*out));
	out->line = (uint32_t) r->line;
	out->op = r->op == PAT_MATCH ? IMG_RULE_MATCH : r->op == PAT_IF ? IMG_RULE_IF
	    : IMG_RULE_ENDIF;
	if (r->op != PAT_ENDIF) {
	    out->flags = r->match ? 0 : IMG_RULE_NEGATE;
	    out->pattern = pool_intern(&b->pool, seen[i].pattern[0]);
	    out->options = syntax ? image_options(syntax, seen[i].options[0]) : 0;
	}
	if (r->op == PAT_MATCH && seen[i].pattern[1] != NULL) {
	    out->flags |= IMG_RULE_HAS2 | (r->match2 ? 0 : IMG_RULE_NEGATE2);
	    out->pattern2 = pool_intern(&b->pool, seen[i].pattern[1]);
	    out->options2 = image_options(syntax, seen[i].options[1]);
	}
	if (r->op == PAT_IF)
	    out->next = (uint32_t) (r->endif == PAT_NO_ENDIF ? list->nrules : r->endif + 1);
	if (r->op == PAT_MATCH) {
	    out->result = pool_intern(&b->pool, r->text ? r->text : "");
	    out->max_group = (uint32_t) r->max_sub;
	    out->pieces_first = (uint32_t) b->npieces;
	    out->pieces_count = (uint32_t) (r->pieces ? r->npieces : 0);
	    for (size_t k = 0; r->pieces && k < r->npieces; k++) {
		GROW(b->pieces, b->npieces, b->pieces_cap);
		b->pieces[b->npieces++] = (struct img_piece) {
		    (uint32_t) r->pieces[k].group, (uint32_t) r->pieces[k].offset,
		    (uint32_t) r->pieces[k].len,
		};
	    }
	    if (out->pieces_count == 0)
		out->pieces_first = 0;
	}
    }
}

static void free_seen(struct rule_scan *scan)
{
    for (size_t i = 0; i < scan->n; i++) {
	free(scan->v[i].pattern[0]);
	free(scan->v[i].pattern[1]);
    }
    free(scan->v);
}

/*
 * rule_source - what a rule table's reader opens for name: an inline
 * "{...}" as it is, a file under --root (noted in SRCS); NULL, reported,
 * when the file cannot be read
 */
static char *rule_source(struct build *b, const char *name, uint32_t *source)
{
    char *opened = *name == '{' ? xstrdup(name) : sysroot_path(name);

    if (*name != '{' && add_source_file(b, name, opened, source) < 0) {
	free(opened);
	return NULL;
    }
    return opened;
}

/*
 * read_rules - the rules of a regexp:, pcre: (syntax) or cidr: (syntax
 * NULL) table into list, their warnings left to pfc check; the pattern
 * reader's view of each rule into scan. 0, or -1 when reported.
 */
static int read_rules(struct build *b, uint32_t *source, const char *spec, const char *name,
		      const struct pat_syntax *syntax, struct pat_list *list,
		      struct rule_scan *scan)
{
    char *opened, *err = NULL;
    int loaded;

    memset(list, 0, sizeof(*list));
    if ((opened = rule_source(b, name, source)) == NULL)
	return -1;
    diag_set_warning_hook(discard_warning, NULL);
    loaded = syntax != NULL ? pat_load_observed(list, syntax, opened, observe_rule, scan, &err)
	: cidr_load(list, opened, &err);
    diag_set_warning_hook(NULL, NULL);
    if (loaded != 0) {
	fprintf(stderr, "pfc: build: %s: %s\n", spec, err ? err : "cannot be read");
	b->failed = 1;
    }
    free(err);
    free(opened);
    return loaded != 0 ? -1 : 0;
}

/* compile_patterns - regexp: and pcre: through pattern_source's reader */
int compile_patterns(struct build *b, struct img_table *rec, uint32_t *source,
		     const char *spec, const char *type, const char *name)
{
    const struct pat_syntax *syntax = strcmp(type, "regexp") == 0 ? &dict_regexp_syntax
	: &dict_pcre_syntax;
    struct pat_list list;
    struct rule_scan scan = { NULL, 0, 0 };
    int status = 0;

    if (read_rules(b, source, spec, name, syntax, &list, &scan) != 0) {
	status = -1;
    } else if (scan.n != list.nrules) {
	diag_fatal("internal error: %s:%s: %zu rules seen, %zu kept", type, name, scan.n,
		   list.nrules);
    } else {
	rec->kind = strcmp(type, "regexp") == 0 ? IMG_TABLE_REGEXP : IMG_TABLE_PCRE;
	add_rules(b, rec, &list, scan.v, syntax);
    }
    pat_list_free(&list, syntax->free_expr);
    free_seen(&scan);
    return status;
}

/* net_of - a cidr rule's network as the image holds it (image.h, NETS) */
static struct img_net net_of(const struct cidr_net *net)
{
    struct img_net n;
    unsigned prefix = 0;

    memset(&n, 0, sizeof(n));
    n.family = net->family == AF_INET6 ? IMG_NET_V6 : IMG_NET_V4;
    memcpy(n.addr, net->net, net->nbytes);
    /* cidr_parse() made the mask: leading ones, then zeros. */
    for (unsigned i = 0; i < net->nbytes; i++)
	for (unsigned bit = 0x80; bit != 0 && (net->mask[i] & bit); bit >>= 1)
	    prefix++;
    n.prefix = (uint8_t) prefix;
    return n;
}

/*
 * compile_cidr - cidr: through dict_cidr's reader, which keeps each rule's
 * text and network: the rules, and the networks beside them in NETS
 */
int compile_cidr(struct build *b, struct img_table *rec, uint32_t *source,
		 const char *spec, const char *name)
{
    struct pat_list list;
    struct rule_scan seen = { NULL, 0, 0 };
    int status = 0;

    if (read_rules(b, source, spec, name, NULL, &list, &seen) != 0) {
	status = -1;
    } else {
	for (size_t i = 0; i < list.nrules; i++) {
	    const struct cidr_rule *r = list.rules[i].expr;
	    GROW(seen.v, seen.n, seen.cap);
	    memset(&seen.v[seen.n], 0, sizeof(seen.v[seen.n]));
	    if (r != NULL)
		seen.v[seen.n].pattern[0] = xstrdup(r->pattern);
	    seen.n++;
	}
	rec->kind = IMG_TABLE_CIDR;
	add_rules(b, rec, &list, seen.v, NULL);
	rec->c = (uint32_t) b->nnets;
	for (size_t i = 0; i < list.nrules; i++) {
	    const struct cidr_rule *r = list.rules[i].expr;
	    GROW(b->nets, b->nnets, b->nets_cap);
	    if (r != NULL)
		b->nets[b->nnets++] = net_of(&r->net);
	    else
		memset(&b->nets[b->nnets++], 0, sizeof(struct img_net));	/* ENDIF */
	}
    }
    pat_list_free(&list, free);
    free_seen(&seen);
    return status;
}

