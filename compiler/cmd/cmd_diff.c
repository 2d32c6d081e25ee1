/*
 * diff - "pfc diff A B": what changes in the policy from A to B, where
 * each is an image or a configuration directory (compiled in memory).
 * The comparison is by meaning, not bytes: parameters by name, services
 * by name and type, tables by spec and their entries by key, rules and
 * restriction programs as ordered lists with tables and classes named,
 * never by index. Where a thing is written (file:line) is shown but is
 * not itself a change, and neither is a source file whose new content
 * means the same policy (a comment, a reordered table): then pfc diff
 * prints nothing and exits 0, as diff(1) does for equal files. The
 * output format is in pfc(1), DIFF FORMAT; the notation is pfc dump's.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "commands.h"
#include "diag.h"
#include "dump.h"
#include "help.h"
#include "image_write.h"
#include "strbuf.h"
#include "sysroot.h"
#include "xalloc.h"

/* One side of the comparison. */
struct side {
    const char *arg;		/* as given */
    struct image *img;
    struct strbuf bytes;	/* a compiled directory's image */
};

struct differ {
    const struct image *a, *b;
    struct strbuf out;
    FILE *fp;
    int failed;			/* a write error */
    unsigned long changes;
    const char *group;		/* heading of the group being compared ... */
    int group_shown;		/* ... and whether it is out yet */
    struct strbuf sub;		/* a table's or program's heading, "" for none */
    int sub_shown;
};

/* ------------------------------------------------------------ output */

static void begin_group(struct differ *df, const char *group)
{
    df->group = group;
    df->group_shown = 0;
}

static void begin_sub(struct differ *df)
{
    sb_truncate(&df->sub, 0);
    df->sub_shown = 0;
}

/* change - a line of change follows: put out the headings it belongs under */
static struct strbuf *change(struct differ *df)
{
    if (!df->group_shown) {
	sb_adds(&df->out, df->group);
	sb_adds(&df->out, ":\n");
	df->group_shown = 1;
    }
    if (df->sub.len > 0 && !df->sub_shown) {
	sb_addn(&df->out, df->sub.s, df->sub.len);
	sb_addch(&df->out, '\n');
	df->sub_shown = 1;
    }
    df->changes++;
    return &df->out;
}

static void end_line(struct differ *df)
{
    sb_addch(&df->out, '\n');
    if (dump_flush(&df->out, df->fp, 0) < 0)
	df->failed = 1;
}

/* add_value - a value in the dump's notation; an empty one is "" */
static void add_value(struct strbuf *sb, const struct image *img, uint32_t off)
{
    const char *s = image_str(img, off);

    if (s[0] == 0)
	sb_adds(sb, "\"\"");
    else
	dump_escape(sb, s, 0);
}

/* add_where - "<TAB># file:line" (as pfc dump annotates), nothing for line 0 */
static void add_where(struct strbuf *sb, const char *file, uint32_t line)
{
    if (line != 0 && file[0] != 0)
	sb_printf(sb, "\t# %s:%u", file, (unsigned) line);
}

/* ------------------------------------------------------------ parameters */

/* same_refs - the tables two settings name are the same, by spec */
static int same_refs(const struct differ *df, const struct img_setting *x,
		     const struct img_setting *y)
{
    if (x->refs_count != y->refs_count)
	return 0;
    for (uint32_t i = 0; i < x->refs_count; i++) {
	uint32_t ta = df->a->refs[x->refs_first + i], tb = df->b->refs[y->refs_first + i];
	if (strcmp(image_str(df->a, df->a->tables[ta].spec),
		   image_str(df->b, df->b->tables[tb].spec)) != 0)
	    return 0;
    }
    return 1;
}

static void add_refs(struct strbuf *sb, const struct image *img, const struct img_setting *s)
{
    if (s->refs_count == 0)
	sb_adds(sb, "(none)");
    for (uint32_t i = 0; i < s->refs_count; i++) {
	if (i > 0)
	    sb_adds(sb, ", ");
	dump_escape(sb, image_str(img, img->tables[img->refs[s->refs_first + i]].spec), 0);
    }
}

/*
 * setting_origins - "<TAB># main.cf:12" (B's origin), or "<TAB># default
 * -> main.cf:12" when the kind of origin or the host flag changed.
 */
static void setting_origins(struct strbuf *sb, const struct img_setting *x,
			    const struct img_setting *y)
{
    struct strbuf ox = STRBUF_INIT, oy = STRBUF_INIT;

    dump_origin(&oy, y, 1);
    if (x->origin != y->origin || ((x->flags ^ y->flags) & IMG_SETTING_HOST)) {
	dump_origin(&ox, x, 1);
	sb_printf(sb, "\t# %s -> %s", sb_str(&ox), sb_str(&oy));
    } else if (oy.len > 0) {
	sb_printf(sb, "\t# %s", oy.s);
    }
    sb_free(&ox);
    sb_free(&oy);
}

/*
 * compare_setting - print what changed between two settings of the same
 * name: "LABEL: OLD -> NEW", then the expansion when it changed too;
 * "LABEL expanded: OLD -> NEW" when only the expansion did; "LABEL =
 * VALUE<TAB># old origin -> new origin" when only the origin did.
 */
static void compare_setting(struct differ *df, const char *prefix, const char *label,
			    const struct img_setting *x, const struct img_setting *y)
{
    const struct image *a = df->a, *b = df->b;
    const char *xr = image_str(a, x->raw), *yr = image_str(b, y->raw);
    const char *xe = image_str(a, x->expanded), *ye = image_str(b, y->expanded);
    int raw_differs = strcmp(xr, yr) != 0;
    int exp_differs = strcmp(xe, ye) != 0;
    int origin_differs = x->origin != y->origin || ((x->flags ^ y->flags) & IMG_SETTING_HOST);
    int refs_differ = !same_refs(df, x, y);
    struct strbuf *sb;

    if (!raw_differs && !exp_differs && !origin_differs && !refs_differ)
	return;
    sb = change(df);
    sb_printf(sb, "%s~ %s", prefix, label);
    if (raw_differs) {
	sb_adds(sb, ": ");
	add_value(sb, a, x->raw);
	sb_adds(sb, " -> ");
	add_value(sb, b, y->raw);
    } else if (exp_differs) {
	sb_adds(sb, " expanded: ");
	add_value(sb, a, x->expanded);
	sb_adds(sb, " -> ");
	add_value(sb, b, y->expanded);
    } else if (origin_differs) {
	sb_adds(sb, " = ");
	add_value(sb, b, y->raw);
    } else {
	sb_adds(sb, " tables: ");
	add_refs(sb, a, x);
	sb_adds(sb, " -> ");
	add_refs(sb, b, y);
    }
    setting_origins(sb, x, y);
    end_line(df);
    /* the expansion too, where it is not just the raw value's change */
    if (raw_differs && exp_differs && (strcmp(xe, xr) != 0 || strcmp(ye, yr) != 0)) {
	sb = change(df);
	sb_printf(sb, "%s  expanded: ", prefix);
	add_value(sb, a, x->expanded);
	sb_adds(sb, " -> ");
	add_value(sb, b, y->expanded);
	end_line(df);
    }
}

/* one_setting - "+ LABEL = VALUE [origin]" for a setting on one side only */
static void one_setting(struct differ *df, const char *prefix, char mark, const char *label,
			const char *sep, const struct image *img, const struct img_setting *s)
{
    struct strbuf *sb = change(df);
    struct strbuf origin = STRBUF_INIT;

    sb_printf(sb, "%s%c %s%s", prefix, mark, label, sep);
    add_value(sb, img, s->raw);
    dump_origin(&origin, s, 1);
    if (origin.len > 0)
	sb_printf(sb, "\t# %s", origin.s);
    sb_free(&origin);
    end_line(df);
}

static void diff_params(struct differ *df)
{
    const struct image *a = df->a, *b = df->b;
    uint32_t *oa = dump_sorted_params(a), *ob = dump_sorted_params(b);
    uint32_t i = 0, j = 0;
    struct strbuf label = STRBUF_INIT;

    begin_group(df, "parameters");
    while (i < a->nparams || j < b->nparams) {
	const struct img_setting *x = i < a->nparams ? &a->params[oa[i]] : NULL;
	const struct img_setting *y = j < b->nparams ? &b->params[ob[j]] : NULL;
	int c = x == NULL ? 1 : y == NULL ? -1
	    : strcmp(image_str(a, x->name), image_str(b, y->name));
	sb_truncate(&label, 0);
	dump_escape(&label, image_str(c <= 0 ? a : b, c <= 0 ? x->name : y->name), DUMP_ESC_SPACE);
	if (c < 0) {
	    one_setting(df, "  ", '-', label.s, " = ", a, x);
	    i++;
	} else if (c > 0) {
	    one_setting(df, "  ", '+', label.s, " = ", b, y);
	    j++;
	} else {
	    compare_setting(df, "  ", label.s, x, y);
	    i++, j++;
	}
    }
    sb_free(&label);
    free(oa);
    free(ob);
}

/* ------------------------------------------------------------ services */

static const struct image *sort_img;	/* for the comparators below */

static int cmp_service(const void *p, const void *q)
{
    uint32_t x = *(const uint32_t *) p, y = *(const uint32_t *) q;
    const struct img_service *s = &sort_img->services[x], *t = &sort_img->services[y];
    int c = strcmp(image_str(sort_img, s->name), image_str(sort_img, t->name));

    if (c == 0)
	c = strcmp(image_str(sort_img, s->type), image_str(sort_img, t->type));
    return c ? c : (x > y) - (x < y);
}

static int cmp_override(const void *p, const void *q)
{
    uint32_t x = *(const uint32_t *) p, y = *(const uint32_t *) q;
    int c = strcmp(image_str(sort_img, sort_img->overrides[x].name),
		   image_str(sort_img, sort_img->overrides[y].name));

    return c ? c : (x > y) - (x < y);
}

static uint32_t *sorted_range(const struct image *img, uint32_t first, uint32_t n,
			      int (*cmp)(const void *, const void *))
{
    uint32_t *order = xmalloc((n ? n : 1) * sizeof(*order));

    for (uint32_t i = 0; i < n; i++)
	order[i] = first + i;
    sort_img = img;
    qsort(order, n, sizeof(*order), cmp);
    return order;
}

/* service_cmp - by name then type, across the two images */
static int service_cmp(const struct differ *df, uint32_t x, uint32_t y)
{
    const struct img_service *s = &df->a->services[x], *t = &df->b->services[y];
    int c = strcmp(image_str(df->a, s->name), image_str(df->b, t->name));

    return c ? c : strcmp(image_str(df->a, s->type), image_str(df->b, t->type));
}

/* one_service - "+ NAME FIELDS [master.cf:N]" and its overrides */
static void one_service(struct differ *df, char mark, const struct image *img, uint32_t svc)
{
    const struct img_service *s = &img->services[svc];
    struct strbuf key = STRBUF_INIT;
    struct strbuf *sb = change(df);

    sb_printf(sb, "  %c ", mark);
    dump_escape(sb, image_str(img, s->name), DUMP_ESC_SPACE);
    sb_addch(sb, ' ');
    dump_service_fields(sb, img, svc);
    add_where(sb, "master.cf", s->line);
    end_line(df);
    for (uint32_t k = 0; k < s->overrides_count; k++) {
	const struct img_setting *o = &img->overrides[s->overrides_first + k];
	sb_truncate(&key, 0);
	dump_service_key(&key, img, svc);
	sb_adds(&key, o->flags & IMG_SETTING_DERIVED ? ": derived " : ": -o ");
	dump_escape(&key, image_str(img, o->name), DUMP_ESC_SPACE);
	one_setting(df, "  ", mark, key.s, "=", img, o);
    }
    sb_free(&key);
}

static void compare_service(struct differ *df, uint32_t x, uint32_t y)
{
    const struct image *a = df->a, *b = df->b;
    const struct img_service *s = &a->services[x], *t = &b->services[y];
    struct strbuf fa = STRBUF_INIT, fb = STRBUF_INIT, key = STRBUF_INIT;

    dump_service_key(&key, b, y);
    dump_service_fields(&fa, a, x);
    dump_service_fields(&fb, b, y);
    if (strcmp(fa.s, fb.s) != 0) {
	struct strbuf *sb = change(df);
	sb_printf(sb, "  ~ %s: %s -> %s", key.s, fa.s, fb.s);
	add_where(sb, "master.cf", t->line);
	end_line(df);
    }
    /* overrides by name; a name given twice pairs up in order */
    uint32_t *oa = sorted_range(a, s->overrides_first, s->overrides_count, cmp_override);
    uint32_t *ob = sorted_range(b, t->overrides_first, t->overrides_count, cmp_override);
    struct strbuf label = STRBUF_INIT;
    uint32_t i = 0, j = 0;
    while (i < s->overrides_count || j < t->overrides_count) {
	const struct img_setting *u = i < s->overrides_count ? &a->overrides[oa[i]] : NULL;
	const struct img_setting *v = j < t->overrides_count ? &b->overrides[ob[j]] : NULL;
	int c = u == NULL ? 1 : v == NULL ? -1
	    : strcmp(image_str(a, u->name), image_str(b, v->name));
	sb_truncate(&label, 0);
	sb_printf(&label, "%s: %s ", key.s,
		  ((c <= 0 ? u : v)->flags & IMG_SETTING_DERIVED) ? "derived" : "-o");
	dump_escape(&label, image_str(c <= 0 ? a : b, c <= 0 ? u->name : v->name),
		    DUMP_ESC_SPACE);
	if (c < 0) {
	    one_setting(df, "  ", '-', label.s, "=", a, u);
	    i++;
	} else if (c > 0) {
	    one_setting(df, "  ", '+', label.s, "=", b, v);
	    j++;
	} else {
	    compare_setting(df, "  ", label.s, u, v);
	    i++, j++;
	}
    }
    free(oa);
    free(ob);
    sb_free(&label);
    sb_free(&fa);
    sb_free(&fb);
    sb_free(&key);
}

/*
 * moved_services - the services on both sides whose place in master.cf
 * changed: those outside a longest run that kept its order. pos_b[i] is
 * the B index of A's service i, or IMG_NONE.
 */
static void moved_services(struct differ *df, const uint32_t *pos_b)
{
    uint32_t n = df->a->nservices, len = 0;
    /* tails[k]: the A index that ends the best ordered run of length k + 1 */
    uint32_t *tails = xmalloc((n + 1) * sizeof(*tails));
    uint32_t *prev = xmalloc((n + 1) * sizeof(*prev));
    char *kept = xcalloc(n + 1, 1);

    for (uint32_t i = 0; i < n; i++) {
	if (pos_b[i] == IMG_NONE)
	    continue;
	uint32_t lo = 0, hi = len;
	while (lo < hi) {
	    uint32_t mid = lo + (hi - lo) / 2;
	    if (pos_b[tails[mid]] < pos_b[i])
		lo = mid + 1;
	    else
		hi = mid;
	}
	prev[i] = lo > 0 ? tails[lo - 1] : IMG_NONE;
	tails[lo] = i;
	if (lo == len)
	    len++;
    }
    for (uint32_t i = len ? tails[len - 1] : IMG_NONE; i != IMG_NONE; i = prev[i])
	kept[i] = 1;
    for (uint32_t i = 0; i < n; i++) {
	if (pos_b[i] == IMG_NONE || kept[i])
	    continue;
	struct strbuf *sb = change(df);
	sb_adds(sb, "  ~ ");
	dump_service_key(sb, df->b, pos_b[i]);
	sb_adds(sb, ": moved");
	add_where(sb, "master.cf", df->b->services[pos_b[i]].line);
	end_line(df);
    }
    free(tails);
    free(prev);
    free(kept);
}

static void diff_services(struct differ *df)
{
    const struct image *a = df->a, *b = df->b;
    uint32_t *oa = sorted_range(a, 0, a->nservices, cmp_service);
    uint32_t *ob = sorted_range(b, 0, b->nservices, cmp_service);
    uint32_t *pos_b = xmalloc((a->nservices + 1) * sizeof(*pos_b));
    uint32_t i = 0, j = 0;

    begin_group(df, "services");
    for (uint32_t k = 0; k < a->nservices; k++)
	pos_b[k] = IMG_NONE;
    while (i < a->nservices || j < b->nservices) {
	int c = i == a->nservices ? 1 : j == b->nservices ? -1 : service_cmp(df, oa[i], ob[j]);
	if (c < 0) {
	    one_service(df, '-', a, oa[i++]);
	} else if (c > 0) {
	    one_service(df, '+', b, ob[j++]);
	} else {
	    pos_b[oa[i]] = ob[j];
	    compare_service(df, oa[i++], ob[j++]);
	}
    }
    moved_services(df, pos_b);
    free(pos_b);
    free(oa);
    free(ob);
}

/* ------------------------------------------------------------ tables */

static void table_line(struct differ *df, char mark, const struct image *img, uint32_t t)
{
    const struct img_table *tab = &img->tables[t];
    struct strbuf *sb = change(df);

    sb_printf(sb, "  %c table ", mark);
    dump_escape(sb, image_str(img, tab->spec), 0);
    sb_addch(sb, ' ');
    dump_table_summary(sb, img, t);
    if (tab->kind == IMG_TABLE_EXACT)
	sb_printf(sb, " entries %u", (unsigned) tab->b);
    else if (tab->kind == IMG_TABLE_REGEXP || tab->kind == IMG_TABLE_PCRE
	     || tab->kind == IMG_TABLE_CIDR)
	sb_printf(sb, " rules %u", (unsigned) tab->b);
    end_line(df);
}

static void entry_line(struct differ *df, char mark, const struct image *img, uint32_t t,
		       uint32_t e)
{
    const struct img_entry *ent = &img->entries[e];
    struct strbuf *sb = change(df);

    sb_printf(sb, "    %c ", mark);
    dump_escape(sb, image_str(img, ent->key), DUMP_ESC_SPACE);
    sb_adds(sb, " = ");
    add_value(sb, img, ent->value);
    add_where(sb, dump_table_file(img, t), ent->line);
    end_line(df);
}

/* diff_entries - two runs of entries, each sorted by key, merged */
static void diff_entries(struct differ *df, uint32_t ta, uint32_t tb)
{
    const struct image *a = df->a, *b = df->b;
    uint32_t na = a->tables[ta].b, nb = b->tables[tb].b;
    uint32_t *oa = dump_sorted_entries(a, ta), *ob = dump_sorted_entries(b, tb);
    uint32_t i = 0, j = 0;

    while (i < na || j < nb) {
	int c = i == na ? 1 : j == nb ? -1
	    : strcmp(image_str(a, a->entries[oa[i]].key), image_str(b, b->entries[ob[j]].key));
	if (c < 0) {
	    entry_line(df, '-', a, ta, oa[i++]);
	} else if (c > 0) {
	    entry_line(df, '+', b, tb, ob[j++]);
	} else {
	    const struct img_entry *x = &a->entries[oa[i++]], *y = &b->entries[ob[j++]];
	    if (strcmp(image_str(a, x->value), image_str(b, y->value)) == 0)
		continue;
	    struct strbuf *sb = change(df);
	    sb_adds(sb, "    ~ ");
	    dump_escape(sb, image_str(a, x->key), DUMP_ESC_SPACE);
	    sb_adds(sb, ": ");
	    add_value(sb, a, x->value);
	    sb_adds(sb, " -> ");
	    add_value(sb, b, y->value);
	    add_where(sb, dump_table_file(b, tb), y->line);
	    end_line(df);
	}
    }
    free(oa);
    free(ob);
}

/* members - a unionmap's or pipemap's member specs, a static value, a list file's lines */
static void table_contents(struct strbuf *sb, const struct image *img, uint32_t t)
{
    const struct img_table *tab = &img->tables[t];

    if (tab->kind == IMG_TABLE_STATIC || tab->kind == IMG_TABLE_LIST) {
	dump_escape(sb, image_str(img, tab->a), 0);
    } else if (tab->kind == IMG_TABLE_UNION || tab->kind == IMG_TABLE_PIPE) {
	for (uint32_t k = 0; k < tab->b; k++) {
	    if (k > 0)
		sb_adds(sb, ", ");
	    dump_escape(sb, image_str(img, img->tables[img->refs[tab->a + k]].spec), 0);
	}
    }
}

static int is_rule_table(uint32_t kind)
{
    return kind == IMG_TABLE_REGEXP || kind == IMG_TABLE_PCRE || kind == IMG_TABLE_CIDR;
}

/*
 * for_each_table_pair - merge the two images' tables by spec: call one()
 * for a table on one side only, both() for a spec on both sides.
 */
static void for_each_table_pair(struct differ *df,
				void (*one)(struct differ *, char, const struct image *, uint32_t),
				void (*both)(struct differ *, uint32_t, uint32_t))
{
    const struct image *a = df->a, *b = df->b;
    uint32_t *oa = dump_sorted_tables(a), *ob = dump_sorted_tables(b);
    uint32_t i = 0, j = 0;

    while (i < a->ntables || j < b->ntables) {
	int c = i == a->ntables ? 1 : j == b->ntables ? -1
	    : strcmp(image_str(a, a->tables[oa[i]].spec), image_str(b, b->tables[ob[j]].spec));
	if (c < 0) {
	    if (one)
		one(df, '-', a, oa[i]);
	    i++;
	} else if (c > 0) {
	    if (one)
		one(df, '+', b, ob[j]);
	    j++;
	} else {
	    both(df, oa[i++], ob[j++]);
	}
    }
    free(oa);
    free(ob);
}

static void table_sub_heading(struct differ *df, const struct image *img, uint32_t t)
{
    begin_sub(df);
    sb_adds(&df->sub, "  ~ table ");
    dump_escape(&df->sub, image_str(img, img->tables[t].spec), 0);
    sb_addch(&df->sub, ':');
}

static void compare_table(struct differ *df, uint32_t ta, uint32_t tb)
{
    const struct image *a = df->a, *b = df->b;
    const struct img_table *x = &a->tables[ta], *y = &b->tables[tb];
    struct strbuf sa = STRBUF_INIT, sb2 = STRBUF_INIT;

    table_sub_heading(df, b, tb);
    dump_table_summary(&sa, a, ta);
    dump_table_summary(&sb2, b, tb);
    if (strcmp(sa.s, sb2.s) != 0) {
	struct strbuf *sb = change(df);
	sb_printf(sb, "    ~ kind: %s -> %s", sa.s, sb2.s);
	end_line(df);
    }
    if (x->kind == y->kind) {
	if (x->kind == IMG_TABLE_EXACT) {
	    diff_entries(df, ta, tb);
	} else if (!is_rule_table(x->kind)) {
	    sb_truncate(&sa, 0);
	    sb_truncate(&sb2, 0);
	    table_contents(&sa, a, ta);
	    table_contents(&sb2, b, tb);
	    if (strcmp(sa.s, sb2.s) != 0) {
		struct strbuf *sb = change(df);
		sb_printf(sb, "    ~ %s: %s -> %s",
			  x->kind == IMG_TABLE_STATIC ? "value"
			  : x->kind == IMG_TABLE_LIST ? "lines" : "members", sa.s, sb2.s);
		end_line(df);
	    }
	}
    }
    begin_sub(df);
    sb_free(&sa);
    sb_free(&sb2);
}

static void diff_tables(struct differ *df)
{
    begin_group(df, "tables");
    for_each_table_pair(df, table_line, compare_table);
}

/* ------------------------------------------------------------ rules */

/* render_rules - each rule of table t as dump_rule() writes it */
static char **render_rules(const struct image *img, uint32_t t)
{
    const struct img_table *tab = &img->tables[t];
    char **text = xmalloc((tab->b + 1) * sizeof(*text));
    struct strbuf sb = STRBUF_INIT;

    for (uint32_t i = 0; i < tab->b; i++) {
	const struct img_rule *r = &img->rules[tab->a + i];
	sb_truncate(&sb, 0);
	dump_rule(&sb, img, tab->kind, r);
	text[i] = xstrdup(sb_str(&sb));
    }
    sb_free(&sb);
    return text;
}

static void rule_line(struct differ *df, char mark, const struct image *img, uint32_t t,
		      char **text, uint32_t i)
{
    struct strbuf *sb = change(df);

    uint32_t line = img->rules[img->tables[t].a + i].line;
    const char *file = dump_table_file(img, t);

    sb_printf(sb, "    %c %s", mark, text[i]);
    if (strstr(text[i], "\t# ") != NULL && line != 0 && file[0] != 0)
	sb_printf(sb, ", %s:%u", file, (unsigned) line);
    else
	add_where(sb, file, line);
    end_line(df);
}

/*
 * Largest middle part (after the common head and tail) compared rule by
 * rule with a longest common subsequence; a bigger one is shown as all
 * removed, then all added.
 */
#define LCS_MAX_CELLS	(1u << 22)

static void compare_rules(struct differ *df, uint32_t ta, uint32_t tb)
{
    const struct image *a = df->a, *b = df->b;
    uint32_t na = a->tables[ta].b, nb = b->tables[tb].b;

    if (a->tables[ta].kind != b->tables[tb].kind || !is_rule_table(a->tables[ta].kind))
	return;
    char **ra = render_rules(a, ta), **rb = render_rules(b, tb);
    uint32_t head = 0, tail = 0;
    while (head < na && head < nb && strcmp(ra[head], rb[head]) == 0)
	head++;
    while (tail < na - head && tail < nb - head
	   && strcmp(ra[na - 1 - tail], rb[nb - 1 - tail]) == 0)
	tail++;
    uint32_t n = na - head - tail, m = nb - head - tail;

    table_sub_heading(df, b, tb);
    if (n > 0 && m > 0 && (uint64_t) (n + 1) * (m + 1) <= LCS_MAX_CELLS) {
	/* len[i][j]: the LCS of a's middle from i and b's from j */
	uint32_t *len = xcalloc((size_t) (n + 1) * (m + 1), sizeof(*len));
#define LEN(i, j) len[(size_t) (i) * (m + 1) + (j)]
	for (uint32_t i = n; i-- > 0;)
	    for (uint32_t j = m; j-- > 0;)
		LEN(i, j) = strcmp(ra[head + i], rb[head + j]) == 0 ? LEN(i + 1, j + 1) + 1
		    : LEN(i + 1, j) > LEN(i, j + 1) ? LEN(i + 1, j) : LEN(i, j + 1);
	uint32_t i = 0, j = 0;
	while (i < n || j < m) {
	    if (i < n && j < m && strcmp(ra[head + i], rb[head + j]) == 0) {
		i++, j++;
	    } else if (j == m || (i < n && LEN(i + 1, j) >= LEN(i, j + 1))) {
		rule_line(df, '-', a, ta, ra, head + i++);
	    } else {
		rule_line(df, '+', b, tb, rb, head + j++);
	    }
	}
#undef LEN
	free(len);
    } else {
	for (uint32_t i = 0; i < n; i++)
	    rule_line(df, '-', a, ta, ra, head + i);
	for (uint32_t j = 0; j < m; j++)
	    rule_line(df, '+', b, tb, rb, head + j);
    }
    begin_sub(df);
    for (uint32_t i = 0; i < na; i++)
	free(ra[i]);
    for (uint32_t j = 0; j < nb; j++)
	free(rb[j]);
    free(ra);
    free(rb);
}

static void diff_rules(struct differ *df)
{
    begin_group(df, "rules");
    for_each_table_pair(df, NULL, compare_rules);
}

/* ------------------------------------------------------------ programs */

/* A program named across images: its name and its service's name/type. */
struct prog_key {
    const char *name;
    char *service;		/* "" for main.cf's */
    uint32_t index;
};

static int cmp_prog_key(const void *p, const void *q)
{
    const struct prog_key *x = p, *y = q;
    int c = strcmp(x->name, y->name);

    if (c == 0)
	c = strcmp(x->service, y->service);
    return c ? c : (x->index > y->index) - (x->index < y->index);
}

static struct prog_key *program_keys(const struct image *img)
{
    struct prog_key *keys = xmalloc((img->nprograms + 1) * sizeof(*keys));
    struct strbuf sb = STRBUF_INIT;

    for (uint32_t i = 0; i < img->nprograms; i++) {
	const struct img_program *p = &img->programs[i];
	sb_truncate(&sb, 0);
	if (p->service != IMG_NONE)
	    dump_service_key(&sb, img, p->service);
	keys[i].name = image_str(img, p->name);
	keys[i].service = xstrdup(sb_str(&sb));
	keys[i].index = i;
    }
    sb_free(&sb);
    qsort(keys, img->nprograms, sizeof(*keys), cmp_prog_key);
    return keys;
}

/* program_text - "permit_mynetworks, reject_unauth_destination" */
static void program_text(struct strbuf *sb, const struct image *img, uint32_t prog)
{
    const struct img_program *p = &img->programs[prog];

    if (p->insns_count == 0)
	sb_adds(sb, "(empty)");
    for (uint32_t k = 0; k < p->insns_count; k++) {
	if (k > 0)
	    sb_adds(sb, ", ");
	dump_insn(sb, img, &img->insns[p->insns_first + k]);
    }
}

static void program_label(struct strbuf *sb, const struct image *img, uint32_t prog)
{
    const struct img_program *p = &img->programs[prog];

    sb_adds(sb, "program ");
    dump_escape(sb, image_str(img, p->name), DUMP_ESC_SPACE);
    if (p->service != IMG_NONE) {
	sb_adds(sb, " service ");
	dump_service_key(sb, img, p->service);
    }
}

static const char *program_file(const struct img_program *p)
{
    return p->service == IMG_NONE ? "main.cf" : "master.cf";
}

static void diff_programs(struct differ *df)
{
    const struct image *a = df->a, *b = df->b;
    struct prog_key *ka = program_keys(a), *kb = program_keys(b);
    struct strbuf ta = STRBUF_INIT, tb = STRBUF_INIT;
    uint32_t i = 0, j = 0;

    begin_group(df, "programs");
    while (i < a->nprograms || j < b->nprograms) {
	int c = i == a->nprograms ? 1 : j == b->nprograms ? -1 : cmp_prog_key(&ka[i], &kb[j]);
	if (c != 0 && i < a->nprograms && j < b->nprograms
	    && strcmp(ka[i].name, kb[j].name) == 0 && strcmp(ka[i].service, kb[j].service) == 0)
	    c = 0;		/* same key: the index tie-break does not count */
	if (c != 0) {
	    const struct image *img = c < 0 ? a : b;
	    uint32_t prog = c < 0 ? ka[i++].index : kb[j++].index;
	    struct strbuf *sb = change(df);
	    sb_printf(sb, "  %c ", c < 0 ? '-' : '+');
	    program_label(sb, img, prog);
	    sb_adds(sb, ": ");
	    program_text(sb, img, prog);
	    add_where(sb, program_file(&img->programs[prog]), img->programs[prog].line);
	    end_line(df);
	    continue;
	}
	uint32_t pa = ka[i++].index, pb = kb[j++].index;
	sb_truncate(&ta, 0);
	sb_truncate(&tb, 0);
	program_text(&ta, a, pa);
	program_text(&tb, b, pb);
	if (strcmp(ta.s, tb.s) == 0)
	    continue;
	begin_sub(df);
	sb_adds(&df->sub, "  ~ ");
	program_label(&df->sub, b, pb);
	sb_addch(&df->sub, ':');
	add_where(&df->sub, program_file(&b->programs[pb]), b->programs[pb].line);
	sb_printf(change(df), "    - %s", ta.s);
	end_line(df);
	sb_printf(change(df), "    + %s", tb.s);
	end_line(df);
	begin_sub(df);
    }
    for (uint32_t k = 0; k < a->nprograms; k++)
	free(ka[k].service);
    for (uint32_t k = 0; k < b->nprograms; k++)
	free(kb[k].service);
    free(ka);
    free(kb);
    sb_free(&ta);
    sb_free(&tb);
}

/* ------------------------------------------------------------ sources */

static int cmp_source(const void *p, const void *q)
{
    uint32_t x = *(const uint32_t *) p, y = *(const uint32_t *) q;
    int c = strcmp(image_str(sort_img, sort_img->sources[x].path),
		   image_str(sort_img, sort_img->sources[y].path));

    return c ? c : (x > y) - (x < y);
}

static void source_line(struct differ *df, char mark, const struct image *img, uint32_t s)
{
    const struct img_source *src = &img->sources[s];
    struct strbuf *sb = change(df);

    sb_printf(sb, "  %c ", mark);
    dump_escape(sb, image_str(img, src->path), 0);
    sb_printf(sb, " size %llu sha256 ", (unsigned long long) src->size);
    dump_hex(sb, src->sha256, sizeof(src->sha256));
    end_line(df);
}

/* diff_sources - which inputs changed: only shown beside changes of policy */
static void diff_sources(struct differ *df)
{
    const struct image *a = df->a, *b = df->b;
    uint32_t *oa = sorted_range(a, 0, a->nsources, cmp_source);
    uint32_t *ob = sorted_range(b, 0, b->nsources, cmp_source);
    uint32_t i = 0, j = 0;

    begin_group(df, "sources");
    while (i < a->nsources || j < b->nsources) {
	int c = i == a->nsources ? 1 : j == b->nsources ? -1
	    : strcmp(image_str(a, a->sources[oa[i]].path), image_str(b, b->sources[ob[j]].path));
	if (c < 0) {
	    source_line(df, '-', a, oa[i++]);
	} else if (c > 0) {
	    source_line(df, '+', b, ob[j++]);
	} else {
	    const struct img_source *x = &a->sources[oa[i++]], *y = &b->sources[ob[j++]];
	    if (x->size == y->size && memcmp(x->sha256, y->sha256, sizeof(x->sha256)) == 0)
		continue;
	    struct strbuf *sb = change(df);
	    sb_adds(sb, "  ~ ");
	    dump_escape(sb, image_str(b, y->path), 0);
	    sb_adds(sb, ": sha256 ");
	    dump_hex(sb, x->sha256, sizeof(x->sha256));
	    sb_adds(sb, " -> ");
	    dump_hex(sb, y->sha256, sizeof(y->sha256));
	    end_line(df);
	}
    }
    free(oa);
    free(ob);
}

/* ------------------------------------------------------------ pfc diff */

static int usage(void)
{
    help_print_usage(stderr, "diff");
    return 2;
}

/*
 * load_side - compile a configuration directory (with --root, a path
 * under the root, as pfc build -c takes it), or open an image (as given,
 * as pfc build -o writes it). 0, or an exit status.
 */
static int load_side(struct side *s)
{
    char *rooted = sysroot_path(s->arg);
    struct stat st;
    char *err = NULL;
    enum image_status status;
    int is_dir = stat(rooted, &st) == 0 && S_ISDIR(st.st_mode);

    free(rooted);
    if (is_dir) {
	/* Two spellings of one directory compile to one image. */
	char *config_dir = sysroot_config_dir(s->arg);
	int rc = image_compile(config_dir, &s->bytes);
	free(config_dir);
	if (rc != 0) {
	    if (rc == 1)
		fprintf(stderr, "pfc: diff: %s: not compiled: pfc check found errors\n",
			s->arg);
	    return 2;
	}
	status = image_from_memory(s->bytes.s, s->bytes.len, s->arg, &s->img, &err);
    } else {
	status = image_open(s->arg, &s->img, &err);
    }
    if (status != IMAGE_OK) {
	/* for diff, 1 means "different": any image it cannot read is 2 */
	fprintf(stderr, "pfc: diff: %s\n", err ? err : image_status_name(status));
	free(err);
	s->img = NULL;
	return 2;
    }
    return 0;
}

int cmd_diff(int argc, char **argv)
{
    struct side sides[2] = { {NULL, NULL, STRBUF_INIT}, {NULL, NULL, STRBUF_INIT} };
    int nargs = 0, rc = 0, i;

    /* a compile that dies must not read as "different" */
    diag_set_fatal_status(2);
    for (i = 1; i < argc; i++) {
	if (strcmp(argv[i], "--") == 0) {
	    i++;
	    break;
	}
	if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
	    help_print(stdout, "diff");
	    return 0;
	}
	if (argv[i][0] == '-' && argv[i][1] != 0)
	    return help_arg_error("diff", "unknown option", argv[i], 2);
	if (nargs == 2)
	    return usage();
	sides[nargs++].arg = argv[i];
    }
    for (; i < argc; i++) {
	if (nargs == 2)
	    return usage();
	sides[nargs++].arg = argv[i];
    }
    if (nargs != 2)
	return usage();
    for (int k = 0; k < 2 && rc == 0; k++)
	rc = load_side(&sides[k]);
    if (rc == 0
	&& memcmp(sides[0].img->header->content_id, sides[1].img->header->content_id,
		  sizeof(sides[0].img->header->content_id)) != 0) {
	struct differ df;
	memset(&df, 0, sizeof(df));
	df.a = sides[0].img;
	df.b = sides[1].img;
	df.fp = stdout;
	diff_params(&df);
	diff_services(&df);
	diff_tables(&df);
	diff_rules(&df);
	diff_programs(&df);
	if (df.changes > 0)
	    diff_sources(&df);
	if (dump_flush(&df.out, stdout, 1) < 0 || fflush(stdout) != 0)
	    df.failed = 1;
	sb_free(&df.out);
	sb_free(&df.sub);
	if (df.failed) {
	    fprintf(stderr, "pfc: diff: write error on standard output: %s\n",
		    strerror(errno));
	    rc = 2;
	} else {
	    rc = df.changes > 0;
	}
    }
    for (int k = 0; k < 2; k++) {
	if (sides[k].img != NULL)
	    image_close(sides[k].img);
	sb_free(&sides[k].bytes);
    }
    return rc;
}
