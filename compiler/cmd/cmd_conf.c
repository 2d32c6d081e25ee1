/*
 * conf - "pfc conf": main.cf and master.cf as Postfix 3.7's postconf(1)
 * shows them. The output is byte-identical to postconf's, and so are the
 * warnings (with "pfc:" as the prefix) and the exit codes, because
 * operators compare the two side by side. That is why this file follows
 * postconf's own order of work: read, register the names it knows
 * (built-in, per-service, user-defined, database client: postconf.h, in
 * the model layer, which the linter shares), print, then report unused
 * parameters.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "diag.h"
#include "help.h"
#include "master_cf.h"
#include "output.h"
#include "postconf.h"
#include "registry.h"
#include "strbuf.h"
#include "strmap.h"
#include "textutil.h"
#include "xalloc.h"


#define CONFIG_ENV "MAIL_CONFIG"
#define LINE_LIMIT 80		/* fold lines longer than this with -f */
#define INDENT "    "
#define INDENT_LEN 4
#define SEPARATORS " \t\r\n"

/* Option letters for the messages about incompatible options. */
static const struct { const char *name; int bit; } option_names[] = {
    {"-C", PARAM_CLASS}, {"-d", SHOW_DEFS}, {"-f", FOLD_LINE},
    {"-F", MASTER_FLD}, {"-h", HIDE_NAME}, {"-H", HIDE_VALUE},
    {"-M", MASTER_ENTRY}, {"-n", SHOW_NONDEF}, {"-o", MAIN_OVER},
    {"-p", MAIN_PARAM}, {"-P", MASTER_PARAM}, {"-x", SHOW_EVAL},
};


/* ---------------------------------------------------------------- */
/* Output with postconf's whitespace normalisation and folding.      */

/* print_line - words joined by one space; with -f folded at 80 columns */
static void print_line(int mode, const char *text)
{
    char *copy = xstrdup(text), *start, *next;
    size_t line_len = 0;

    for (start = copy; *(start += strspn(start, SEPARATORS)) != 0; start = next) {
	size_t word_len = strcspn(start, SEPARATORS);
	if (*(next = start + word_len) != 0)
	    *next++ = 0;
	if (word_len > 0 && line_len > 0) {
	    if ((mode & FOLD_LINE) == 0 || line_len + word_len < LINE_LIMIT) {
		out_putc(' ');
		line_len += 1;
	    } else {
		out_puts("\n" INDENT);
		line_len = INDENT_LEN;
	    }
	}
	out_puts(start);
	line_len += word_len;
    }
    out_putc('\n');
    free(copy);
}

/* ---------------------------------------------------------------- */
/* Showing main.cf parameters.                                       */

static void print_parameter(struct postconf *pc, int mode, const char *name, const struct pnode *node)
{
    const char *value = postconf_lookup(pc, mode, name, NO_SCOPE, node);
    struct strbuf line = STRBUF_INIT, exp = STRBUF_INIT;

    if (value == NULL)
	return;
    if (mode & HIDE_VALUE) {
	sb_adds(&line, name);
    } else {
	if ((mode & SHOW_EVAL) != 0 && (node->flags & PN_RAW) == 0)
	    value = postconf_expand(pc, &exp, mode, value, NO_SCOPE);
	if ((mode & HIDE_NAME) == 0)
	    sb_printf(&line, "%s = %s", name, value);
	else
	    sb_adds(&line, value);
    }
    print_line(mode, sb_str(&line));
    sb_free(&line);
    sb_free(&exp);
}

static void show_parameters(struct postconf *pc, int mode, char **names, int count)
{
    if (count == 0) {
	/* Merge the sorted registry with the sorted other names. */
	const char **keys = strmap_sorted_keys(&pc->params);
	const char **kp = keys;
	size_t i = 0;
	while (i < param_table_size || *kp != NULL) {
	    const char *name;
	    if (*kp == NULL || (i < param_table_size && strcmp(param_table[i].name, *kp) < 0))
		name = param_table[i++].name;
	    else
		name = *kp++;
	    const struct pnode *node = postconf_find(pc, name);
	    if (pc->param_class & node->flags)
		print_parameter(pc, mode, name, node);
	}
	free(keys);
	return;
    }
    for (int i = 0; i < count; i++) {
	const struct pnode *node = postconf_find(pc, names[i]);
	if (node == NULL)
	    diag_warn("%s: unknown parameter", names[i]);
	else
	    print_parameter(pc, mode, names[i], node);
    }
}

/* ---------------------------------------------------------------- */
/* Showing master.cf.                                                */

/* A selector: service[/type[/field-or-name]], "*" matching anything. */
struct selector {
    const char *raw;
    char *parts[3];
    int field;			/* -F: field index, -1 for "*" */
    int matches;
};

#define MATCH_ANY(p) ((p)[0] == '*' && (p)[1] == 0)
#define MATCH_STRING(p, s) (MATCH_ANY(p) || strcmp((p), (s)) == 0)

static int parse_selector(struct selector *sel, const char *raw, int min, int max)
{
    char *copy = xstrdup(raw), *bp = copy, *word;
    int n = 0;

    memset(sel, 0, sizeof(*sel));
    sel->raw = raw;
    if (*raw == '/') {
	free(copy);
	return -1;
    }
    while ((word = strtok_r(bp, "/", &bp)) != NULL) {
	if (n >= max || (!MATCH_ANY(word) && strchr(word, '*') != NULL)) {
	    n = max + 1;
	    break;
	}
	sel->parts[n++] = xstrdup(word);
    }
    free(copy);
    if (n < min || n > max) {
	for (int i = 0; i < 3; i++)
	    free(sel->parts[i]);
	return -1;
    }
    while (n < max)
	sel->parts[n++] = xstrdup("*");
    return 0;
}

static void free_selector(struct selector *sel)
{
    for (int i = 0; i < 3; i++)
	free(sel->parts[i]);
}

static int selector_matches(const struct selector *sel, const struct master_entry *e)
{
    return MATCH_STRING(sel->parts[0], e->argv[MF_SERVICE])
	&& MATCH_STRING(sel->parts[1], e->argv[MF_TYPE]);
}

/*
 * print_arguments - the command and its arguments, with -o values
 * expanded under -x, braces around values with spaces, and -f folding.
 * postconf -M and -F share this layout.
 */
static void print_arguments(struct postconf *pc, int mode, size_t index, size_t field, size_t line_len,
			    int value_sep_len)
{
    const struct master_entry *e = &pc->m->master.entries[index];
    struct strbuf exp = STRBUF_INIT;
    int in_options = 1;
    const char *arg;

    for (; (arg = e->argv[field]) != NULL; field++) {
	size_t arg_len = strlen(arg);
	const char *aval = NULL;
	int need_braces = 0;
	if (in_options) {
	    /* The argument that ends the options gets no braces (as postconf). */
	    if (arg[0] != '-' || strcmp(arg, "--") == 0) {
		in_options = 0;
	    } else if (MASTER_OPTION_TAKES_VALUE(arg) && (aval = e->argv[field + 1]) != NULL) {
		line_len = LINE_LIMIT;
		if (strcmp(arg, "-o") == 0 && (mode & SHOW_EVAL) != 0)
		    aval = postconf_expand(pc, &exp, mode, aval, index);
		arg_len += strlen(aval) + (size_t) value_sep_len;
		if ((need_braces = aval[strcspn(aval, SEPARATORS)] != 0))
		    arg_len += 2;
	    }
	} else {
	    need_braces = arg[strcspn(arg, SEPARATORS)] != 0;
	}
	if (line_len > INDENT_LEN) {
	    if ((mode & FOLD_LINE) == 0 || line_len + 1 + arg_len < LINE_LIMIT) {
		out_putc(' ');
		line_len += 1;
	    } else {
		out_puts("\n" INDENT);
		line_len = INDENT_LEN;
	    }
	}
	if (!in_options && need_braces)
	    out_putc('{');
	out_puts(arg);
	if (!in_options && need_braces)
	    out_putc('}');
	line_len += strlen(arg) + (!in_options && need_braces ? 2 : 0);
	if (aval != NULL) {
	    out_putc(' ');
	    if (need_braces)
		out_putc('{');
	    out_puts(aval);
	    if (need_braces)
		out_putc('}');
	    field += 1;
	    line_len = LINE_LIMIT;
	}
    }
    out_putc('\n');
    sb_free(&exp);
}

static void print_master_entry(struct postconf *pc, int mode, size_t index)
{
    static const size_t column_goal[] = { 0, 11, 17, 25, 33, 41, 49, 57 };
    const struct master_entry *e = &pc->m->master.entries[index];
    size_t line_len = 0;

    for (size_t field = 0; field < MASTER_MIN_FIELDS; field++) {
	if (line_len > 0) {
	    do {
		out_putc(' ');
		line_len++;
	    } while (line_len < column_goal[field]);
	}
	out_puts(e->argv[field]);
	line_len += strlen(e->argv[field]);
    }
    print_arguments(pc, mode, index, MASTER_MIN_FIELDS, line_len, 3);
}

static void show_master_entries(struct postconf *pc, int mode, char **args, int count)
{
    struct selector *sels = xcalloc((size_t) count + 1, sizeof(*sels));

    for (int i = 0; i < count; i++)
	if (parse_selector(&sels[i], args[i], 1, 2) < 0)
	    diag_fatal("-M option requires service_name[/type]");
    for (size_t e = 0; e < pc->m->master.count; e++) {
	if (count == 0) {
	    print_master_entry(pc, mode, e);
	    continue;
	}
	for (int i = 0; i < count; i++) {
	    if (selector_matches(&sels[i], &pc->m->master.entries[e])) {
		sels[i].matches++;
		print_master_entry(pc, mode, e);
	    }
	}
    }
    for (int i = 0; i < count; i++) {
	if (sels[i].matches == 0)
	    diag_warn("unmatched request: \"%s\"", sels[i].raw);
	free_selector(&sels[i]);
    }
    free(sels);
}

static void print_master_field(struct postconf *pc, int mode, size_t index, int field)
{
    const struct master_entry *e = &pc->m->master.entries[index];
    size_t line_len = 0;

    if ((mode & HIDE_NAME) == 0) {
	out_puts(e->argv[MF_SERVICE]);
	out_putc('/');
	out_puts(e->argv[MF_TYPE]);
	out_putc('/');
	out_puts(master_field_names[field]);
	line_len = strlen(e->argv[MF_SERVICE]) + strlen(e->argv[MF_TYPE])
	    + strlen(master_field_names[field]) + 2;
    }
    if ((mode & (HIDE_NAME | HIDE_VALUE)) == 0) {
	out_puts(" = ");
	line_len += 3;
    }
    if ((mode & HIDE_VALUE) == 0) {
	if (line_len > 0 && line_len + strlen(e->argv[field]) > LINE_LIMIT) {
	    out_puts("\n" INDENT);
	    line_len = INDENT_LEN;
	}
	out_puts(e->argv[field]);
	line_len += strlen(e->argv[field]);
    }
    if (field == MF_COMMAND && (mode & HIDE_VALUE) == 0)
	print_arguments(pc, mode, index, MF_COMMAND + 1, line_len, 1);
    else
	out_putc('\n');
}

static int parse_field_name(const char *name)
{
    if (strcmp(name, "*") == 0)
	return -1;
    for (int i = 0; i < MASTER_MIN_FIELDS; i++)
	if (strcmp(master_field_names[i], name) == 0)
	    return i;
    diag_fatal("invalid service attribute name: \"%s\"", name);
}

static void print_master_fields(struct postconf *pc, int mode, size_t index, int field)
{
    if (field < 0) {
	for (int f = 0; f < MASTER_MIN_FIELDS; f++)
	    print_master_field(pc, mode, index, f);
    } else {
	print_master_field(pc, mode, index, field);
    }
}

static void show_master_fields(struct postconf *pc, int mode, char **args, int count)
{
    struct selector *sels = xcalloc((size_t) count + 1, sizeof(*sels));

    for (int i = 0; i < count; i++) {
	if (parse_selector(&sels[i], args[i], 1, 3) < 0)
	    diag_fatal("-F option requires service_name[/type[/field]]");
	sels[i].field = parse_field_name(sels[i].parts[2]);
    }
    for (size_t e = 0; e < pc->m->master.count; e++) {
	if (count == 0) {
	    print_master_fields(pc, mode, e, -1);
	    continue;
	}
	for (int i = 0; i < count; i++) {
	    if (selector_matches(&sels[i], &pc->m->master.entries[e])) {
		sels[i].matches++;
		print_master_fields(pc, mode, e, sels[i].field);
	    }
	}
    }
    for (int i = 0; i < count; i++) {
	if (sels[i].matches == 0)
	    diag_warn("unmatched request: \"%s\"", sels[i].raw);
	free_selector(&sels[i]);
    }
    free(sels);
}

static void print_master_param(struct postconf *pc, int mode, size_t index, const char *name,
			       const char *value)
{
    const char *ns = pc->m->master.entries[index].name_space;
    struct strbuf line = STRBUF_INIT, exp = STRBUF_INIT;

    if (mode & HIDE_VALUE) {
	sb_printf(&line, "%s/%s", ns, name);
    } else {
	if (mode & SHOW_EVAL)
	    value = postconf_expand(pc, &exp, mode, value, index);
	if ((mode & HIDE_NAME) == 0)
	    sb_printf(&line, "%s/%s = %s", ns, name, value);
	else
	    sb_adds(&line, value);
    }
    print_line(mode, sb_str(&line));
    sb_free(&line);
    sb_free(&exp);
}

static void print_master_any_param(struct postconf *pc, int mode, size_t index)
{
    struct strmap *dict = pc->scopes[index].all_params;
    const char **names = strmap_sorted_keys(dict);

    for (const char **np = names; *np; np++)
	print_master_param(pc, mode, index, *np, strmap_get(dict, *np));
    free(names);
}

static void show_master_params(struct postconf *pc, int mode, char **args, int count)
{
    struct selector *sels = xcalloc((size_t) count + 1, sizeof(*sels));

    for (int i = 0; i < count; i++)
	if (parse_selector(&sels[i], args[i], 1, 3) < 0)
	    diag_fatal("-P option requires service_name[/type[/parameter]]");
    for (size_t e = 0; e < pc->m->master.count; e++) {
	struct strmap *dict = pc->scopes[e].all_params;
	if (dict == NULL)
	    continue;
	if (count == 0) {
	    print_master_any_param(pc, mode, e);
	    continue;
	}
	for (int i = 0; i < count; i++) {
	    const char *value;
	    if (!selector_matches(&sels[i], &pc->m->master.entries[e]))
		continue;
	    if (MATCH_ANY(sels[i].parts[2])) {
		print_master_any_param(pc, mode, e);
		sels[i].matches++;
	    } else if ((value = strmap_get(dict, sels[i].parts[2])) != NULL) {
		print_master_param(pc, mode, e, sels[i].parts[2], value);
		sels[i].matches++;
	    }
	}
    }
    for (int i = 0; i < count; i++) {
	if (sels[i].matches == 0)
	    diag_warn("unmatched request: \"%s\"", sels[i].raw);
	free_selector(&sels[i]);
    }
    free(sels);
}

/* ---------------------------------------------------------------- */
/* Options.                                                          */

static void option_list(struct strbuf *buf, int bits)
{
    for (size_t i = 0; i < sizeof(option_names) / sizeof(option_names[0]); i++) {
	if (bits & option_names[i].bit) {
	    if (buf->len)
		sb_addch(buf, ' ');
	    sb_adds(buf, option_names[i].name);
	}
    }
}

/* check_options - postconf's rules for options that exclude each other */
static void check_options(int mode)
{
    static const int exclusive[] = {
	MAIN_PARAM | MASTER_ENTRY | MASTER_FLD | MASTER_PARAM,
	SHOW_DEFS | SHOW_NONDEF,
	FOLD_LINE,
	SHOW_EVAL,
	MAIN_OVER | SHOW_DEFS,
	HIDE_NAME | HIDE_VALUE,
    };
    static const int compatible[][2] = {
	{MAIN_PARAM, FOLD_LINE | HIDE_NAME | PARAM_CLASS | SHOW_EVAL | SHOW_DEFS
	 | SHOW_NONDEF | MAIN_OVER | HIDE_VALUE},
	{MASTER_ENTRY, FOLD_LINE | MAIN_OVER | SHOW_EVAL},
	{MASTER_FLD, FOLD_LINE | HIDE_NAME | MAIN_OVER | SHOW_EVAL | HIDE_VALUE},
	{MASTER_PARAM, FOLD_LINE | HIDE_NAME | MAIN_OVER | SHOW_EVAL | HIDE_VALUE},
	{PARAM_CLASS, MAIN_PARAM | SHOW_DEFS | SHOW_NONDEF},
    };
    struct strbuf a = STRBUF_INIT, b = STRBUF_INIT;

    for (size_t i = 0; i < sizeof(exclusive) / sizeof(exclusive[0]); i++) {
	int bits = exclusive[i] & mode;
	if (bits & (bits - 1)) {
	    option_list(&a, bits);
	    diag_fatal("specify one of %s", a.s);
	}
    }
    for (size_t i = 0; i < sizeof(compatible) / sizeof(compatible[0]); i++) {
	int excess = mode & ~(compatible[i][0] | compatible[i][1]);
	if ((mode & compatible[i][0]) && excess) {
	    option_list(&a, compatible[i][0]);
	    option_list(&b, excess);
	    diag_fatal("with option %s, do not specify %s", a.s, b.s);
	}
    }
}

static int parse_param_class(const char *text)
{
    static const struct { const char *name; int bits; } classes[] = {
	{"builtin", PN_BUILTIN}, {"service", PN_SERVICE}, {"user", PN_USER},
	{"all", PN_CLASS_MASK},
    };
    char *copy = xstrdup(text), *bp = copy, *word;
    int mask = 0;

    while ((word = strtok_r(bp, CHARS_COMMA_SP "|", &bp)) != NULL) {
	size_t i;
	for (i = 0; i < sizeof(classes) / sizeof(classes[0]); i++)
	    if (strcasecmp(classes[i].name, word) == 0)
		break;
	if (i == sizeof(classes) / sizeof(classes[0]))
	    diag_fatal("unknown -C option value \"%s\" in \"%s\"", word, text);
	mask |= classes[i].bits;
    }
    free(copy);
    return mask;
}

/* refuse_postconf_option - postconf's options that pfc conf does not have */
static void refuse_postconf_option(int ch)
{
    static const struct { int ch; const char *what; } options[] = {
	{'a', "server SASL types"}, {'A', "client SASL types"},
	{'b', "bounce templates"}, {'t', "bounce templates"},
	{'e', "editing main.cf or master.cf"}, {'X', "removing parameters"},
	{'#', "commenting out parameters"}, {'l', "mailbox lock types"},
	{'m', "lookup table types"}, {'T', "TLS introspection"},
    };
    for (size_t i = 0; i < sizeof(options) / sizeof(options[0]); i++)
	if (options[i].ch == ch)
	    diag_fatal("option -%c (%s) is not supported by %s conf; use postconf(1)",
		       ch, options[i].what, diag_program());
    diag_fatal("option -%c is not supported by %s conf", ch, diag_program());
}

int cmd_conf(int argc, char **argv)
{
    char **overrides = xcalloc((size_t) argc + 1, sizeof(*overrides));
    size_t override_count = 0;
    struct postconf conf, *pc = &conf;
    int ch;

    postconf_init(pc);
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "+:aAbc:C:defFhHlmMno:pPtT:vxX#",
			     help_long_options, NULL)) > 0) {
	switch (ch) {
	case HELP_OPTION:
	    help_print(stdout, "conf");
	    free(overrides);
	    return 0;
	case 'c':
	    if (setenv(CONFIG_ENV, optarg, 1) < 0)
		diag_fatal("out of memory");
	    break;
	case 'C':
	    pc->mode |= PARAM_CLASS;
	    pc->param_class = parse_param_class(optarg);
	    break;
	case 'd': pc->mode |= SHOW_DEFS; break;
	case 'f': pc->mode |= FOLD_LINE; break;
	case 'F': pc->mode |= MASTER_FLD; break;
	case 'h': pc->mode |= HIDE_NAME; break;
	case 'H': pc->mode |= HIDE_VALUE; break;
	case 'M': pc->mode |= MASTER_ENTRY; break;
	case 'n': pc->mode |= SHOW_NONDEF; break;
	case 'o':
	    pc->mode |= MAIN_OVER;
	    overrides[override_count++] = optarg;
	    break;
	case 'p': pc->mode |= MAIN_PARAM; break;
	case 'P': pc->mode |= MASTER_PARAM; break;
	case 'v': break;
	case 'x': pc->mode |= SHOW_EVAL; break;
	case '?':
	case ':':
	    free(overrides);
	    return help_option_error("conf", ch, argv, 1);
	default:
	    refuse_postconf_option(ch);
	}
    }
    if ((pc->mode & (MAIN_PARAM | MASTER_ENTRY | MASTER_FLD | MASTER_PARAM)) == 0)
	pc->mode |= MAIN_PARAM;
    if (argv[optind] != NULL && strchr(argv[optind], '=') != NULL)
	diag_fatal("%s conf does not edit configuration files: \"%s\"; use postconf -e",
		   diag_program(), argv[optind]);
    check_options(pc->mode);

    char **names = argv + optind;
    int name_count = argc - optind;
    if (pc->mode & (MASTER_ENTRY | MASTER_FLD | MASTER_PARAM)) {
	postconf_read_master(pc, 1);
	postconf_read_main(pc);
	postconf_set_overrides(pc, overrides, override_count);
	postconf_register_builtins(pc);
	postconf_register_services(pc);
	postconf_register_user(pc);
	if (pc->mode & MASTER_FLD)
	    show_master_fields(pc, pc->mode, names, name_count);
	else if (pc->mode & MASTER_PARAM)
	    show_master_params(pc, pc->mode, names, name_count);
	else
	    show_master_entries(pc, pc->mode, names, name_count);
	postconf_unused_master(pc);
    } else {
	if ((pc->mode & SHOW_DEFS) == 0) {
	    postconf_read_main(pc);
	    postconf_set_overrides(pc, overrides, override_count);
	}
	postconf_register_builtins(pc);
	postconf_read_master(pc, 0);
	postconf_register_services(pc);
	if ((pc->mode & SHOW_DEFS) == 0)
	    postconf_register_user(pc);
	show_parameters(pc, pc->mode, names, name_count);
	if ((pc->mode & SHOW_DEFS) == 0) {
	    postconf_unused_main(pc);
	    postconf_unused_master(pc);
	}
    }
    free(overrides);
    out_finish();
    postconf_free(pc);
    return 0;
}
