/*
 * dump - "pfc dump IMAGE": everything a policy image holds, as canonical
 * text meant to be committed and diffed: one fact per line, sorted where
 * the order means nothing (parameters by name, tables by spec, exact
 * entries by key) and in the image's order where it does (services,
 * rules, instructions). The format is described in pfc(1), DUMP FORMAT;
 * the notation helpers are shared with pfc diff (dump.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "dump.h"
#include "help.h"
#include "image_host.h"
#include "restriction.h"
#include "strbuf.h"
#include "utf8.h"
#include "xalloc.h"

#define DUMP_FLUSH_SIZE	(1u << 20)

/* ------------------------------------------------------------ notation */

/*
 * utf8_length - the length of the well-formed UTF-8 sequence at p (which
 * may end at any NUL or at end), 0 when there is none.
 */
static size_t utf8_length(const unsigned char *p, const unsigned char *end)
{
    size_t n;

    if (p[0] >= 0xc2 && p[0] <= 0xdf)
	n = 2;
    else if (p[0] >= 0xe0 && p[0] <= 0xef)
	n = 3;
    else if (p[0] >= 0xf0 && p[0] <= 0xf4)
	n = 4;
    else
	return 0;
    if ((size_t) (end - p) < n)
	return 0;
    for (size_t i = 1; i < n; i++)
	if ((p[i] & 0xc0) != 0x80)
	    return 0;
    return utf8_valid((const char *) p, n) ? n : 0;
}

/*
 * Private flags of escape_mem(): '$' doubled (a rule's literal result
 * text); more text follows (a piece of a result), so a last space is not
 * the end of the line.
 */
#define DUMP_ESC_DOLLAR_ (1 << 8)
#define DUMP_ESC_MORE_	(1 << 9)

/* needs_escape - bytes the fast path cannot copy as they are */
static int needs_escape(const unsigned char *p, const unsigned char *end, int flags)
{
    unsigned char ch = *p;

    if (ch == ' ')
	return (flags & DUMP_ESC_SPACE) || (p + 1 == end && !(flags & DUMP_ESC_MORE_));
    return ch < 0x20 || ch >= 0x7f || ch == '\\' || (ch == '$' && (flags & DUMP_ESC_DOLLAR_));
}

/* backslashed - is the byte at p written as a backslash escape? */
static int backslashed(const unsigned char *p, const unsigned char *end, int flags)
{
    if (!needs_escape(p, end, flags) || *p == '$')
	return 0;
    return *p < 0x80 || utf8_length(p, end) == 0;
}

/*
 * escape_mem - the notation of dump_escape() for len bytes. A backslash
 * is doubled only where it would otherwise start an escape (before \, t,
 * n, r, x or a byte that is escaped itself), so regular expressions stay
 * readable and the text can still be read back.
 */
static void escape_mem(struct strbuf *sb, const char *s, size_t len, int flags)
{
    const unsigned char *p = (const unsigned char *) s, *end = p + len;

    while (p < end) {
	const unsigned char *run = p;
	while (p < end && !needs_escape(p, end, flags))
	    p++;
	if (p > run)
	    sb_addn(sb, (const char *) run, (size_t) (p - run));
	if (p == end)
	    break;
	size_t n;
	switch (*p) {
	case '\\':
	    if (p + 1 < end && (strchr("\\tnrx", p[1]) != NULL || backslashed(p + 1, end, flags)))
		sb_addn(sb, "\\\\", 2);
	    else
		sb_addch(sb, '\\');
	    p++;
	    continue;
	case '\t':
	    sb_addn(sb, "\\t", 2);
	    p++;
	    continue;
	case '\n':
	    sb_addn(sb, "\\n", 2);
	    p++;
	    continue;
	case '\r':
	    sb_addn(sb, "\\r", 2);
	    p++;
	    continue;
	case '$':
	    sb_addn(sb, "$$", 2);
	    p++;
	    continue;
	case ' ':
	    sb_addn(sb, "\\x20", 4);
	    p++;
	    continue;
	default:
	    if (*p >= 0x80 && (n = utf8_length(p, end)) > 0) {
		sb_addn(sb, (const char *) p, n);
		p += n;
	    } else {
		sb_printf(sb, "\\x%02x", *p);
		p++;
	    }
	    continue;
	}
    }
}

void dump_escape(struct strbuf *sb, const char *s, int flags)
{
    escape_mem(sb, s, strlen(s), flags);
}

int dump_flush(struct strbuf *sb, FILE *fp, int force)
{
    if (sb->len == 0 || (!force && sb->len < DUMP_FLUSH_SIZE))
	return 0;
    size_t n = fwrite(sb->s, 1, sb->len, fp);
    int ok = n == sb->len;
    sb_truncate(sb, 0);
    return ok ? 0 : -1;
}

const char *dump_basename(const char *path)
{
    const char *slash = strrchr(path, '/');

    return slash ? slash + 1 : path;
}

const char *dump_table_file(const struct image *img, uint32_t t)
{
    uint32_t src = img->tables[t].source;

    if (src == IMG_NONE || src >= img->nsources)
	return "";
    return dump_basename(image_str(img, img->sources[src].path));
}

const char *dump_kind_name(uint32_t kind)
{
    switch (kind) {
    case IMG_TABLE_EXACT:
	return "exact";
    case IMG_TABLE_REGEXP:
	return "regexp";
    case IMG_TABLE_PCRE:
	return "pcre";
    case IMG_TABLE_CIDR:
	return "cidr";
    case IMG_TABLE_STATIC:
	return "static";
    case IMG_TABLE_FAIL:
	return "fail";
    case IMG_TABLE_UNION:
	return "unionmap";
    case IMG_TABLE_PIPE:
	return "pipemap";
    case IMG_TABLE_EXTERNAL:
	return "external";
    case IMG_TABLE_LIST:
	return "list";
    default:
	return "unknown";
    }
}

void dump_table_summary(struct strbuf *sb, const struct image *img, uint32_t t)
{
    const struct img_table *tab = &img->tables[t];

    sb_adds(sb, dump_kind_name(tab->kind));
    if (tab->flags & IMG_TABLE_FOLD)
	sb_adds(sb, " fold");
    if (tab->flags & IMG_TABLE_UTF8)
	sb_adds(sb, " utf8");
    if (tab->flags & IMG_TABLE_ALIASES)
	sb_adds(sb, " aliases");
}

void dump_service_key(struct strbuf *sb, const struct image *img, uint32_t svc)
{
    const struct img_service *s = &img->services[svc];

    dump_escape(sb, image_str(img, s->name), DUMP_ESC_SPACE);
    sb_addch(sb, '/');
    dump_escape(sb, image_str(img, s->type), DUMP_ESC_SPACE);
}

void dump_service_fields(struct strbuf *sb, const struct image *img, uint32_t svc)
{
    const struct img_service *s = &img->services[svc];
    const uint32_t fields[] = { s->type, s->private_, s->unpriv, s->chroot,
	s->wakeup, s->maxproc };

    for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
	dump_escape(sb, image_str(img, fields[i]), DUMP_ESC_SPACE);
	sb_addch(sb, ' ');
    }
    dump_escape(sb, image_str(img, s->command), 0);
}

/* pattern_delimiter - '/' unless the pattern holds one, then another */
static char pattern_delimiter(const char *pattern)
{
    static const char candidates[] = "/#|%,;:@~^";

    for (const char *c = candidates; *c; c++)
	if (strchr(pattern, *c) == NULL)
	    return *c;
    return '/';
}

/*
 * add_flags - the shortest source flags that give options: each flag
 * letter toggles one option from the table type's default (regexp: icase
 * and extended on; pcre: caseless and dotall on), as regexp_table(5) and
 * pcre_table(5) say. pcre's UTF option is not a flag (it comes with
 * smtputf8_enable) and is noted apart.
 */
static void add_flags(struct strbuf *sb, uint32_t kind, uint32_t options)
{
    static const struct flag {
	uint32_t kind, bit;
	int on;			/* on by default */
	char letter;
    } flags[] = {
	{IMG_TABLE_REGEXP, IMG_REGEXP_ICASE, 1, 'i'},
	{IMG_TABLE_REGEXP, IMG_REGEXP_NEWLINE, 0, 'm'},
	{IMG_TABLE_REGEXP, IMG_REGEXP_EXTENDED, 1, 'x'},
	{IMG_TABLE_PCRE, IMG_PCRE_CASELESS, 1, 'i'},
	{IMG_TABLE_PCRE, IMG_PCRE_MULTILINE, 0, 'm'},
	{IMG_TABLE_PCRE, IMG_PCRE_DOTALL, 1, 's'},
	{IMG_TABLE_PCRE, IMG_PCRE_EXTENDED, 0, 'x'},
	{IMG_TABLE_PCRE, IMG_PCRE_ANCHORED, 0, 'A'},
	{IMG_TABLE_PCRE, IMG_PCRE_DOLLAR_ENDONLY, 0, 'E'},
	{IMG_TABLE_PCRE, IMG_PCRE_UNGREEDY, 0, 'U'},
    };

    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
	if (flags[i].kind == kind && ((options & flags[i].bit) != 0) != flags[i].on)
	    sb_addch(sb, flags[i].letter);
}

static void add_pattern(struct strbuf *sb, const struct image *img, uint32_t kind,
			uint32_t pattern, uint32_t options, int negate)
{
    const char *text = image_str(img, pattern);

    if (negate)
	sb_addch(sb, '!');
    if (kind == IMG_TABLE_CIDR) {
	dump_escape(sb, text, DUMP_ESC_SPACE);
	return;
    }
    char delim = pattern_delimiter(text);
    sb_addch(sb, delim);
    dump_escape(sb, text, 0);
    sb_addch(sb, delim);
    add_flags(sb, kind, options);
}

/* add_result - a MATCH rule's answer as its source writes it */
static void add_result(struct strbuf *sb, const struct image *img, const struct img_rule *rule)
{
    const char *result = image_str(img, rule->result);

    if (rule->pieces_count == 0) {
	escape_mem(sb, result, strlen(result), DUMP_ESC_DOLLAR_);
	return;
    }
    size_t result_len = strlen(result);
    for (uint32_t i = 0; i < rule->pieces_count; i++) {
	const struct img_piece *pc = &img->pieces[rule->pieces_first + i];
	if (pc->group == 0) {
	    if (pc->offset <= result_len && pc->len <= result_len - pc->offset)
		escape_mem(sb, result + pc->offset, pc->len, DUMP_ESC_DOLLAR_
			   | (i + 1 < rule->pieces_count ? DUMP_ESC_MORE_ : 0));
	    continue;
	}
	/* "${n}" where a digit follows or n has two digits: "$1" "2" is not "$12" */
	int braces = pc->group > 9;
	if (i + 1 < rule->pieces_count) {
	    const struct img_piece *next = pc + 1;
	    if (next->group == 0 && next->len > 0 && next->offset < result_len
		&& result[next->offset] >= '0' && result[next->offset] <= '9')
		braces = 1;
	}
	sb_printf(sb, braces ? "${%u}" : "$%u", (unsigned) pc->group);
    }
}

void dump_rule(struct strbuf *sb, const struct image *img, uint32_t kind,
	       const struct img_rule *rule)
{
    if (rule->op == IMG_RULE_ENDIF) {
	sb_adds(sb, "endif");
	return;
    }
    if (rule->op == IMG_RULE_IF)
	sb_adds(sb, "if ");
    add_pattern(sb, img, kind, rule->pattern, rule->options, rule->flags & IMG_RULE_NEGATE);
    if (kind != IMG_TABLE_CIDR && (rule->flags & IMG_RULE_HAS2))
	add_pattern(sb, img, kind, rule->pattern2, rule->options2,
		    rule->flags & IMG_RULE_NEGATE2);
    if (rule->op == IMG_RULE_MATCH) {
	sb_addch(sb, ' ');
	add_result(sb, img, rule);
    }
}

void dump_insn(struct strbuf *sb, const struct image *img, const struct img_insn *insn)
{
    const struct restriction_def *def = restriction_def(insn->op);

    if (insn->op == RESTR_NONE) {
	/* a word smtpd refuses, as written */
	dump_escape(sb, image_str(img, insn->arg), DUMP_ESC_SPACE);
	return;
    }
    if (insn->op == RESTR_CLASS) {
	sb_adds(sb, "class ");
	dump_escape(sb, image_str(img, img->programs[insn->arg].name), DUMP_ESC_SPACE);
	return;
    }
    dump_escape(sb, def->name, DUMP_ESC_SPACE);
    switch (def->arg) {
    case RARG_TABLE:
	sb_addch(sb, ' ');
	dump_escape(sb, image_str(img, img->tables[insn->arg].spec), 0);
	break;
    case RARG_DOMAIN:
    case RARG_ENDPOINT:
	sb_addch(sb, ' ');
	dump_escape(sb, image_str(img, insn->arg), 0);
	break;
    case RARG_NUMBER:
	sb_printf(sb, " %u", (unsigned) insn->arg);
	break;
    default:
	break;
    }
}

/* ------------------------------------------------------------ sorting */

/*
 * Sorting a million keys that live scattered in the string pool: each
 * record caches 8 bytes of its key (big-endian, so integer order is
 * bytewise order), the records are sorted on that, and each run that
 * ties on all 8 bytes is sorted again on the next 8. Most keys differ
 * early, so nearly every comparison is one integer compare.
 */
struct sortrec {
    uint64_t prefix;
    const char *key;
    uint32_t index;
};

#define SORT_MAX_DEPTH	64	/* bytes refined by prefix; then strcmp */

static uint64_t key_prefix(const char *key, size_t depth)
{
    const unsigned char *p = (const unsigned char *) key + depth;
    uint64_t v = 0;
    int i;

    for (i = 0; i < 8 && p[i] != 0; i++)
	v = v << 8 | p[i];
    return i == 0 ? 0 : v << (8 * (8 - i));
}

static int cmp_prefix(const void *a, const void *b)
{
    const struct sortrec *x = a, *y = b;

    if (x->prefix != y->prefix)
	return x->prefix < y->prefix ? -1 : 1;
    return x->index < y->index ? -1 : x->index > y->index;
}

static size_t strcmp_depth;	/* for cmp_tail, set just before qsort */

static int cmp_tail(const void *a, const void *b)
{
    const struct sortrec *x = a, *y = b;
    int c = strcmp(x->key + strcmp_depth, y->key + strcmp_depth);

    if (c != 0)
	return c;
    return x->index < y->index ? -1 : x->index > y->index;
}

/*
 * radix_sort - sort by prefix, stably (so ties stay in entry order): an
 * LSD radix sort, 11 bits a pass, skipping the passes where every record
 * has the same digit. For the big runs, where qsort's comparisons cost.
 */
#define RADIX_BITS	11
#define RADIX_PASSES	6	/* 6 * 11 >= 64 */
#define RADIX_MIN	4096	/* below this, qsort */

static void radix_sort(struct sortrec *recs, size_t n)
{
    const uint64_t mask = (1u << RADIX_BITS) - 1;
    size_t (*count)[1u << RADIX_BITS] = xcalloc(RADIX_PASSES, sizeof(*count));
    struct sortrec *tmp = xmalloc(n * sizeof(*tmp)), *src = recs, *dst = tmp;

    for (size_t i = 0; i < n; i++)
	for (int p = 0; p < RADIX_PASSES; p++)
	    count[p][(recs[i].prefix >> (p * RADIX_BITS)) & mask]++;
    for (int p = 0; p < RADIX_PASSES; p++) {
	unsigned shift = (unsigned) p * RADIX_BITS;
	size_t *c = count[p], sum = 0;
	if (c[(src[0].prefix >> shift) & mask] == n)
	    continue;
	for (size_t d = 0; d <= mask; d++) {
	    size_t k = c[d];
	    c[d] = sum;
	    sum += k;
	}
	for (size_t i = 0; i < n; i++)
	    dst[c[(src[i].prefix >> shift) & mask]++] = src[i];
	struct sortrec *swap = src;
	src = dst;
	dst = swap;
    }
    if (src != recs)
	memcpy(recs, src, n * sizeof(*recs));
    free(tmp);
    free(count);
}

/* sort_refine - sort recs whose keys agree on their first depth bytes */
static void sort_refine(struct sortrec *recs, size_t n, size_t depth)
{
    if (n < 2)
	return;
    if (depth >= SORT_MAX_DEPTH) {
	strcmp_depth = depth;
	qsort(recs, n, sizeof(*recs), cmp_tail);
	return;
    }
    for (size_t i = 0; i < n; i++)
	recs[i].prefix = key_prefix(recs[i].key, depth);
    if (n >= RADIX_MIN)
	radix_sort(recs, n);	/* stable: ties keep their order, as cmp_prefix */
    else
	qsort(recs, n, sizeof(*recs), cmp_prefix);
    for (size_t i = 0; i < n;) {
	size_t j = i + 1;
	while (j < n && recs[j].prefix == recs[i].prefix)
	    j++;
	/* a low byte of 0 means the keys ended inside these 8 bytes: equal */
	if (j - i > 1 && (recs[i].prefix & 0xff) != 0)
	    sort_refine(recs + i, j - i, depth + 8);
	i = j;
    }
}

uint32_t *dump_sorted_entries(const struct image *img, uint32_t t)
{
    const struct img_table *tab = &img->tables[t];
    uint32_t n = tab->b;

    if (tab->kind != IMG_TABLE_EXACT || n == 0)
	return NULL;
    struct sortrec *recs = xmalloc((size_t) n * sizeof(*recs));
    for (uint32_t i = 0; i < n; i++) {
	recs[i].index = tab->a + i;
	recs[i].key = image_str(img, img->entries[tab->a + i].key);
    }
    sort_refine(recs, n, 0);
    uint32_t *order = xmalloc((size_t) n * sizeof(*order));
    for (uint32_t i = 0; i < n; i++)
	order[i] = recs[i].index;
    free(recs);
    return order;
}

/* ------------------------------------------------------------ the dump */

struct dumper {
    const struct image *img;
    int policy_only;
    struct strbuf out;
    FILE *fp;
    int failed;
    struct image_host *host;	/* --host: values on this host; else NULL */
};

static void end_line(struct dumper *d)
{
    sb_addch(&d->out, '\n');
    if (dump_flush(&d->out, d->fp, 0) < 0)
	d->failed = 1;
}

/*
 * annotation - "<TAB># a, b" from the parts given, nothing when all are
 * empty. A TAB never appears in a value (it is written "\t"), so it
 * ends the fact unambiguously, whatever brackets or '#' the value holds.
 */
static void annotation(struct strbuf *sb, const char *const *parts, size_t n)
{
    int first = 1;

    for (size_t i = 0; i < n; i++) {
	if (parts[i] == NULL || parts[i][0] == 0)
	    continue;
	sb_adds(sb, first ? "\t# " : ", ");
	sb_adds(sb, parts[i]);
	first = 0;
    }
}

/* where - "main.cf:12" (just "main.cf" without lines), "" for line 0 */
static const char *where(const struct dumper *d, char *buf, size_t size,
			 const char *file, uint32_t line)
{
    if (line == 0 || file[0] == 0)
	return "";
    if (d->policy_only)
	return "";
    snprintf(buf, size, "%s:%u", file, (unsigned) line);
    return buf;
}

void dump_origin(struct strbuf *sb, const struct img_setting *s, int lines)
{
    size_t start = sb->len;

    switch (s->origin) {
    case IMG_ORIGIN_DEFAULT:
	sb_adds(sb, "default");
	break;
    case IMG_ORIGIN_MAIN:
	sb_adds(sb, "main.cf");
	if (lines && s->line != 0)
	    sb_printf(sb, ":%u", (unsigned) s->line);
	break;
    case IMG_ORIGIN_OVERRIDE:
	if (lines && s->line != 0)
	    sb_printf(sb, "master.cf:%u", (unsigned) s->line);
	break;
    default:
	sb_printf(sb, "origin %u", (unsigned) s->origin);
	break;
    }
    if (s->flags & IMG_SETTING_HOST)
	sb_adds(sb, sb->len > start ? ", host" : "host");
}

/* setting_annotation - " [main.cf:12]", " [default, host]": see dump_origin() */
static void setting_annotation(struct dumper *d, const struct img_setting *s)
{
    struct strbuf origin = STRBUF_INIT;

    dump_origin(&origin, s, !d->policy_only);
    const char *part = sb_str(&origin);
    annotation(&d->out, &part, 1);
    sb_free(&origin);
}

/* setting_details - the indented lines under a setting: expansion, value here, tables */
static void setting_details(struct dumper *d, const struct img_setting *s, const char *indent)
{
    const struct image *img = d->img;

    if (s->expanded != s->raw && strcmp(image_str(img, s->expanded), image_str(img, s->raw)) != 0) {
	const char *expanded = image_str(img, s->expanded);
	sb_adds(&d->out, indent);
	sb_adds(&d->out, "expanded");
	if (expanded[0] != 0) {
	    sb_addch(&d->out, ' ');
	    dump_escape(&d->out, expanded, 0);
	}
	end_line(d);
    }
    if (d->host != NULL && (s->flags & IMG_SETTING_HOST)) {
	char *err, *value = image_setting_value(img, s, d->host, &err);
	if (value == NULL) {
	    fprintf(stderr, "pfc: dump: %s: %s\n", image_str(img, s->name), err);
	    free(err);
	} else {
	    sb_adds(&d->out, indent);
	    sb_adds(&d->out, "on-host");
	    if (*value != 0) {
		sb_addch(&d->out, ' ');
		dump_escape(&d->out, value, 0);
	    }
	    end_line(d);
	    free(value);
	}
    }
    for (uint32_t i = 0; i < s->refs_count; i++) {
	sb_adds(&d->out, indent);
	sb_adds(&d->out, "table ");
	dump_escape(&d->out, image_str(img, img->tables[img->refs[s->refs_first + i]].spec), 0);
	end_line(d);
    }
}

static const struct image *sort_img;	/* for the comparators below */

static int cmp_param(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
    int c = strcmp(image_str(sort_img, sort_img->params[x].name),
		   image_str(sort_img, sort_img->params[y].name));

    return c ? c : (x > y) - (x < y);
}

static int cmp_table(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
    int c = strcmp(image_str(sort_img, sort_img->tables[x].spec),
		   image_str(sort_img, sort_img->tables[y].spec));

    return c ? c : (x > y) - (x < y);
}

static int cmp_program(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *) a, y = *(const uint32_t *) b;
    const struct img_program *p = &sort_img->programs[x], *q = &sort_img->programs[y];
    int c = strcmp(image_str(sort_img, p->name), image_str(sort_img, q->name));

    if (c != 0)
	return c;
    /* the main.cf list first, then the services' in master.cf order */
    uint32_t ps = p->service == IMG_NONE ? 0 : p->service + 1;
    uint32_t qs = q->service == IMG_NONE ? 0 : q->service + 1;
    if (ps != qs)
	return ps < qs ? -1 : 1;
    return (x > y) - (x < y);
}

static uint32_t *sorted_indexes(const struct image *img, uint32_t n,
				int (*cmp)(const void *, const void *))
{
    uint32_t *order = xmalloc((n ? n : 1) * sizeof(*order));

    for (uint32_t i = 0; i < n; i++)
	order[i] = i;
    sort_img = img;
    qsort(order, n, sizeof(*order), cmp);
    return order;
}

uint32_t *dump_sorted_params(const struct image *img)
{
    return sorted_indexes(img, img->nparams, cmp_param);
}

uint32_t *dump_sorted_tables(const struct image *img)
{
    return sorted_indexes(img, img->ntables, cmp_table);
}

uint32_t *dump_sorted_programs(const struct image *img)
{
    return sorted_indexes(img, img->nprograms, cmp_program);
}

void dump_hex(struct strbuf *sb, const uint8_t *bytes, size_t n)
{
    static const char digits[] = "0123456789abcdef";

    for (size_t i = 0; i < n; i++) {
	sb_addch(sb, digits[bytes[i] >> 4]);
	sb_addch(sb, digits[bytes[i] & 15]);
    }
}

static void dump_head(struct dumper *d)
{
    const struct image *img = d->img;

    sb_printf(&d->out, "# pfc policy image %u.%u", (unsigned) img->header->major,
	      (unsigned) img->header->minor);
    end_line(d);
    if (d->policy_only)
	return;
    sb_adds(&d->out, "content-id ");
    dump_hex(&d->out, img->header->content_id, sizeof(img->header->content_id));
    end_line(d);
    for (uint32_t i = 0; i < img->nsources; i++) {
	const struct img_source *src = &img->sources[i];
	sb_adds(&d->out, "source ");
	dump_escape(&d->out, image_str(img, src->path), 0);
	sb_printf(&d->out, " size %llu sha256 ", (unsigned long long) src->size);
	dump_hex(&d->out, src->sha256, sizeof(src->sha256));
	end_line(d);
    }
}

static void dump_params(struct dumper *d)
{
    const struct image *img = d->img;
    uint32_t *order = dump_sorted_params(img);

    for (uint32_t i = 0; i < img->nparams; i++) {
	const struct img_setting *s = &img->params[order[i]];
	sb_adds(&d->out, "param ");
	dump_escape(&d->out, image_str(img, s->name), DUMP_ESC_SPACE);
	sb_adds(&d->out, " =");
	if (image_str(img, s->raw)[0] != 0) {
	    sb_addch(&d->out, ' ');
	    dump_escape(&d->out, image_str(img, s->raw), 0);
	}
	setting_annotation(d, s);
	end_line(d);
	setting_details(d, s, "  ");
    }
    free(order);
}

static void dump_services(struct dumper *d)
{
    const struct image *img = d->img;
    char buf[64];

    for (uint32_t i = 0; i < img->nservices; i++) {
	const struct img_service *svc = &img->services[i];
	sb_adds(&d->out, "service ");
	dump_escape(&d->out, image_str(img, svc->name), DUMP_ESC_SPACE);
	sb_addch(&d->out, ' ');
	dump_service_fields(&d->out, img, i);
	const char *part = where(d, buf, sizeof(buf), "master.cf", svc->line);
	annotation(&d->out, &part, 1);
	end_line(d);
	for (uint32_t k = 0; k < svc->overrides_count; k++) {
	    const struct img_setting *o = &img->overrides[svc->overrides_first + k];
	    sb_adds(&d->out, o->flags & IMG_SETTING_DERIVED ? "  derived " : "  -o ");
	    dump_escape(&d->out, image_str(img, o->name), DUMP_ESC_SPACE);
	    sb_addch(&d->out, '=');
	    dump_escape(&d->out, image_str(img, o->raw), 0);
	    setting_annotation(d, o);
	    end_line(d);
	    setting_details(d, o, "    ");
	}
    }
}

static void dump_entries(struct dumper *d, uint32_t t)
{
    const struct image *img = d->img;
    const char *file = dump_table_file(img, t);
    uint32_t *order = dump_sorted_entries(img, t);
    char buf[64];

    uint32_t n = img->tables[t].b;

    for (uint32_t i = 0; i < n; i++) {
	const struct img_entry *e = &img->entries[order[i]];
	/*
	 * In key order the entries and their strings are all over the
	 * image: ask for them well before they are needed, or the dump
	 * waits on memory a million times.
	 */
	if (i + 16 < n)
	    __builtin_prefetch(&img->entries[order[i + 16]]);
	if (i + 8 < n) {
	    const struct img_entry *ahead = &img->entries[order[i + 8]];
	    __builtin_prefetch(image_str(img, ahead->key));
	    __builtin_prefetch(image_str(img, ahead->value));
	}
	sb_adds(&d->out, "  entry ");
	dump_escape(&d->out, image_str(img, e->key), DUMP_ESC_SPACE);
	sb_adds(&d->out, " =");
	if (image_str(img, e->value)[0] != 0) {
	    sb_addch(&d->out, ' ');
	    dump_escape(&d->out, image_str(img, e->value), 0);
	}
	const char *part = where(d, buf, sizeof(buf), file, e->line);
	annotation(&d->out, &part, 1);
	end_line(d);
    }
    free(order);
}

static void dump_rules(struct dumper *d, uint32_t t)
{
    const struct image *img = d->img;
    const struct img_table *tab = &img->tables[t];
    const char *file = dump_table_file(img, t);
    unsigned depth = 0;
    char buf[64];

    for (uint32_t i = 0; i < tab->b; i++) {
	const struct img_rule *r = &img->rules[tab->a + i];
	if (r->op == IMG_RULE_ENDIF && depth > 0)
	    depth--;
	for (unsigned k = 0; k < depth + 1; k++)
	    sb_adds(&d->out, "  ");
	if (r->op == IMG_RULE_MATCH)
	    sb_adds(&d->out, "rule ");
	dump_rule(&d->out, img, tab->kind, r);
	const char *parts[1] = { where(d, buf, sizeof(buf), file, r->line) };
	annotation(&d->out, parts, 1);
	end_line(d);
	if (r->op == IMG_RULE_IF)
	    depth++;
    }
}

static void dump_tables(struct dumper *d)
{
    const struct image *img = d->img;
    uint32_t *order = dump_sorted_tables(img);

    for (uint32_t i = 0; i < img->ntables; i++) {
	uint32_t t = order[i];
	const struct img_table *tab = &img->tables[t];
	sb_adds(&d->out, "table ");
	dump_escape(&d->out, image_str(img, tab->spec), 0);
	sb_addch(&d->out, ' ');
	dump_table_summary(&d->out, img, t);
	if (!d->policy_only && tab->source != IMG_NONE && tab->source < img->nsources) {
	    sb_adds(&d->out, " source ");
	    dump_escape(&d->out, image_str(img, img->sources[tab->source].path), 0);
	}
	switch (tab->kind) {
	case IMG_TABLE_EXACT:
	    sb_printf(&d->out, " entries %u", (unsigned) tab->b);
	    end_line(d);
	    dump_entries(d, t);
	    break;
	case IMG_TABLE_REGEXP:
	case IMG_TABLE_PCRE:
	case IMG_TABLE_CIDR:
	    sb_printf(&d->out, " rules %u", (unsigned) tab->b);
	    end_line(d);
	    dump_rules(d, t);
	    break;
	case IMG_TABLE_STATIC:
	    end_line(d);
	    sb_adds(&d->out, "  value ");
	    dump_escape(&d->out, image_str(img, tab->a), 0);
	    end_line(d);
	    break;
	case IMG_TABLE_LIST:
	    end_line(d);
	    for (const char *line = image_str(img, tab->a); *line != 0;) {
		size_t len = strcspn(line, "\n");
		char *one = xstrndup(line, len);
		sb_adds(&d->out, "  line ");
		dump_escape(&d->out, one, 0);
		end_line(d);
		free(one);
		line += len + (line[len] == '\n');
	    }
	    break;
	case IMG_TABLE_UNION:
	case IMG_TABLE_PIPE:
	    end_line(d);
	    for (uint32_t k = 0; k < tab->b; k++) {
		sb_adds(&d->out, "  member ");
		dump_escape(&d->out, image_str(img, img->tables[img->refs[tab->a + k]].spec), 0);
		end_line(d);
	    }
	    break;
	default:
	    end_line(d);
	    break;
	}
    }
    free(order);
}

static void dump_programs(struct dumper *d)
{
    const struct image *img = d->img;
    uint32_t *order = dump_sorted_programs(img);
    char buf[64];

    for (uint32_t i = 0; i < img->nprograms; i++) {
	const struct img_program *p = &img->programs[order[i]];
	const char *file = p->service == IMG_NONE ? "main.cf" : "master.cf";
	sb_adds(&d->out, "program ");
	dump_escape(&d->out, image_str(img, p->name), DUMP_ESC_SPACE);
	if (p->service != IMG_NONE) {
	    sb_adds(&d->out, " service ");
	    dump_service_key(&d->out, img, p->service);
	}
	const char *part = p->line == 0 ? "default" : where(d, buf, sizeof(buf), file, p->line);
	annotation(&d->out, &part, 1);
	end_line(d);
	for (uint32_t k = 0; k < p->insns_count; k++) {
	    const struct img_insn *in = &img->insns[p->insns_first + k];
	    sb_adds(&d->out, "  ");
	    dump_insn(&d->out, img, in);
	    /* each word's own line only where the list spans lines */
	    part = in->line != p->line ? where(d, buf, sizeof(buf), file, in->line) : "";
	    annotation(&d->out, &part, 1);
	    end_line(d);
	}
    }
    free(order);
}

int dump_image(const struct image *img, int policy_only, struct image_host *host, FILE *fp)
{
    struct dumper d = { img, policy_only, STRBUF_INIT, fp, 0, host };

    dump_head(&d);
    dump_params(&d);
    dump_services(&d);
    dump_tables(&d);
    dump_programs(&d);
    if (dump_flush(&d.out, fp, 1) < 0 || fflush(fp) != 0)
	d.failed = 1;
    sb_free(&d.out);
    return d.failed ? -1 : 0;
}

/* ------------------------------------------------------------ pfc dump */

static int usage(void)
{
    help_print_usage(stderr, "dump");
    return 2;
}

int cmd_dump(int argc, char **argv)
{
    const char *path = NULL;
    int policy_only = 0, on_host = 0;
    int i;

    for (i = 1; i < argc; i++) {
	if (strcmp(argv[i], "--") == 0) {
	    i++;
	    break;
	}
	if (strcmp(argv[i], "--policy") == 0) {
	    policy_only = 1;
	} else if (strcmp(argv[i], "--host") == 0) {
	    on_host = 1;
	} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
	    help_print(stdout, "dump");
	    return 0;
	} else if (argv[i][0] == '-' && argv[i][1] != 0) {
	    return help_arg_error("dump", "unknown option", argv[i], 2);
	} else if (path == NULL)
	    path = argv[i];
	else
	    return usage();
    }
    for (; i < argc; i++) {
	if (path != NULL)
	    return usage();
	path = argv[i];
    }
    if (path == NULL)
	return usage();

    struct image *img;
    char *err = NULL;
    /* as pfc build -o writes it: --root is for configuration paths only */
    enum image_status st = image_open(path, &img, &err);
    if (st != IMAGE_OK) {
	fprintf(stderr, "pfc: dump: %s\n", err ? err : image_status_name(st));
	free(err);
	/* a refused image is "no" (1); not being able to read it is I/O (2) */
	return st == IMAGE_ERR_IO ? 2 : 1;
    }
    /* dump_image() buffers a megabyte at a time: a million entries are some 50 MB */
    struct image_host host;
    image_host_init(&host, "pfc", (long) getpid());
    int rc = dump_image(img, policy_only, on_host ? &host : NULL, stdout);
    image_host_free(&host);
    image_close(img);
    if (rc < 0) {
	fprintf(stderr, "pfc: dump: write error on standard output: %s\n", strerror(errno));
	return 2;
    }
    return 0;
}
