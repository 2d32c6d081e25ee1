/*
 * check_output - the findings of pfc check as text (gcc's shape, with the
 * source line and a caret), json, sarif (2.1.0) or github (workflow
 * commands). The findings arrive sorted; every format prints them in that
 * order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "json.h"
#include "strbuf.h"
#include "sysroot.h"
#include "utf8.h"
#include "xalloc.h"

#ifdef HAVE_CONFIG_H
#include "build_config.h"
#endif
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

static const char *const level_text[] = { "note", "warning", "error" };

/* Notes in text and github output: 0, counted on the summary line only. */
static int show_notes;

void check_set_show_notes(int show)
{
    show_notes = show;
}

/* display_path - a path as findings show it: without a leading "./" */
static const char *display_path(const char *path)
{
    while (path[0] == '.' && path[1] == '/')
	path += 2;
    return path;
}

/* ------------------------------------------------------------ text */

/*
 * Text that comes from the input is printed so that it cannot drive the
 * terminal and does not flood it: control bytes (but tabs) and bytes that
 * are not well-formed UTF-8 become '?', as postconf prints them, and long
 * text is cut.
 */
#define TEXT_MAX 1024		/* bytes of a message or a fix */
#define ECHO_WIDTH 512		/* bytes of a source line around the caret */

/* clean_len - how many bytes of text (at most max) to print, ending on a character */
static size_t clean_len(const char *text, size_t len, size_t max)
{
    if (len <= max)
	return len;
    while (max > 0 && ((unsigned char) text[max] & 0xc0) == 0x80)
	max--;
    return max;
}

/* put_clean - len bytes of text, each unsafe byte as '?' (one byte, one column) */
static void put_clean(struct strbuf *out, const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *) text;

    for (size_t i = 0; i < len; i++) {
	if (p[i] < 0x80) {
	    sb_addch(out, (p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f ? '?' : (char) p[i]);
	    continue;
	}
	size_t n = utf8_seqlen(p[i]);
	if (n > 1 && i + n <= len && utf8_valid((const char *) p + i, n)) {
	    sb_addn(out, (const char *) p + i, n);
	    i += n - 1;
	} else {
	    sb_addch(out, '?');
	}
    }
}

/* print_clean - text made safe, cut after TEXT_MAX bytes */
static void print_clean(FILE *fp, const char *text)
{
    struct strbuf out = STRBUF_INIT;
    size_t len = strlen(text), n = clean_len(text, len, TEXT_MAX);

    put_clean(&out, text, n);
    if (n < len)
	sb_printf(&out, "... [%zu more bytes]", len - n);
    fwrite(out.s ? out.s : "", 1, out.len, fp);
    sb_free(&out);
}

/*
 * print_echo - the source line and a caret under column: a long line is
 * shown ECHO_WIDTH bytes around the column, with "..." where it is cut.
 */
static void print_echo(FILE *fp, const char *src, int column)
{
    struct strbuf out = STRBUF_INIT;
    size_t len = strlen(src), col = column > 0 ? (size_t) column - 1 : 0, start = 0;

    if (col > len)
	col = len;
    if (len > ECHO_WIDTH && col > ECHO_WIDTH / 2) {
	start = col - ECHO_WIDTH / 2;
	while (start < len && ((unsigned char) src[start] & 0xc0) == 0x80)
	    start++;
    }
    size_t n = clean_len(src + start, len - start, ECHO_WIDTH);
    sb_adds(&out, " ");
    if (start > 0)
	sb_adds(&out, "...");
    put_clean(&out, src + start, n);
    if (start + n < len)
	sb_adds(&out, "...");
    sb_adds(&out, "\n ");
    if (start > 0)
	sb_adds(&out, "   ");
    /* Keep the tabs, so the caret lines up however tabs are shown. */
    for (size_t c = start; c < col && c < start + n; c++)
	sb_addch(&out, src[c] == '\t' ? '\t' : ' ');
    sb_adds(&out, "^\n");
    fwrite(out.s, 1, out.len, fp);
    sb_free(&out);
}

/*
 * The lines of the file of the findings being printed, found once:
 * findings come sorted by file, and a file may have thousands of them.
 * The bytes are the model's (model_source()), the very bytes the rules
 * read.
 */
struct source_file {
    char *path;
    const char *text;		/* NULL: unreadable */
    size_t len;
    size_t *starts;		/* offset of each line */
    size_t nlines;
};

static void source_load(struct source_file *sf, const struct model *m, const char *path)
{
    free(sf->path);
    free(sf->starts);
    memset(sf, 0, sizeof(*sf));
    sf->path = xstrdup(path);
    /* A file that leads outside --root is not shown (root-escape says so). */
    const struct model_source *src = model_source(m, path);
    if (src == NULL)
	return;
    sf->len = src->len;
    sf->text = src->text;
    size_t cap = 64;
    sf->starts = xmalloc(cap * sizeof(*sf->starts));
    for (size_t off = 0; off < sf->len;) {
	if (sf->nlines == cap)
	    sf->starts = xrealloc(sf->starts, (cap *= 2) * sizeof(*sf->starts));
	sf->starts[sf->nlines++] = off;
	const char *nl = memchr(sf->text + off, '\n', sf->len - off);
	off = nl ? (size_t) (nl - sf->text) + 1 : sf->len;
    }
}

/* source_line - line lineno of path (a new string), or NULL */
static char *source_line(struct source_file *sf, const struct model *m, const char *path,
			 int lineno)
{
    if (sf->path == NULL || strcmp(sf->path, path) != 0)
	source_load(sf, m, path);
    if (sf->text == NULL || lineno < 1 || (size_t) lineno > sf->nlines)
	return NULL;
    size_t start = sf->starts[lineno - 1];
    size_t end = (size_t) lineno < sf->nlines ? sf->starts[lineno] : sf->len;
    while (end > start && (sf->text[end - 1] == '\n' || sf->text[end - 1] == '\r'))
	end--;
    return xstrndup(sf->text + start, end - start);
}

/*
 * message_text - the message less a location it repeats: a table reader's
 * warning reads "PATH, line N: ..." (or "TYPE map PATH, line N: ..."), and
 * text and github output already show PATH:N before it.
 */
static const char *message_text(const struct finding *f)
{
    const char *at = strstr(f->message, ", line ");

    if (f->line <= 0 || at == NULL || memchr(f->message, ':', (size_t) (at - f->message)))
	return f->message;
    char *end;
    long line = strtol(at + strlen(", line "), &end, 10);
    if (line != f->line || end[0] != ':' || end[1] != ' ')
	return f->message;
    return end + 2;
}

static void print_text(const struct check *cx, FILE *fp)
{
    size_t count[3] = { 0, 0, 0 };
    struct source_file sf;

    memset(&sf, 0, sizeof(sf));
    for (size_t i = 0; i < cx->nfindings; i++) {
	const struct finding *f = &cx->findings[i];
	count[f->severity]++;
	if (f->severity == CHECK_NOTE && !show_notes)
	    continue;
	if (f->path == NULL) {
	    fputs("pfc", fp);
	} else {
	    print_clean(fp, display_path(f->path));
	    if (f->line > 0)
		fprintf(fp, ":%d", f->line);
	    if (f->line > 0 && f->column > 0)
		fprintf(fp, ":%d", f->column);
	}
	fprintf(fp, ": %s: ", level_text[f->severity]);
	print_clean(fp, message_text(f));
	fprintf(fp, " [%s]\n", f->rule);
	char *src = f->path && f->line > 0 ? source_line(&sf, cx->m, f->path, f->line) : NULL;
	if (src != NULL) {
	    print_echo(fp, src, f->column);
	    free(src);
	}
	if (f->fix != NULL) {
	    fputs(" fix: ", fp);
	    print_clean(fp, f->fix);
	    fputc('\n', fp);
	}
    }
    free(sf.path);
    free(sf.starts);
    if (cx->nfindings > 0)
	fprintf(fp, "%zu error%s, %zu warning%s, %zu note%s%s\n",
	       count[CHECK_ERROR], count[CHECK_ERROR] == 1 ? "" : "s",
	       count[CHECK_WARNING], count[CHECK_WARNING] == 1 ? "" : "s",
	       count[CHECK_NOTE], count[CHECK_NOTE] == 1 ? "" : "s",
	       count[CHECK_NOTE] > 0 && !show_notes ? " (not shown: pfc check --notes shows them)"
	       : "");
}

/* ------------------------------------------------------------ json */

static void print_json(const struct check *cx, FILE *fp)
{
    struct strbuf out = STRBUF_INIT;
    size_t count[3] = { 0, 0, 0 };

    sb_adds(&out, "{\n  \"findings\": [");
    for (size_t i = 0; i < cx->nfindings; i++) {
	const struct finding *f = &cx->findings[i];
	count[f->severity]++;
	sb_adds(&out, i ? ",\n    {" : "\n    {");
	sb_adds(&out, "\"rule\": ");
	json_string(&out, f->rule);
	sb_printf(&out, ", \"severity\": \"%s\", \"file\": ", level_text[f->severity]);
	json_nullable(&out, f->path ? display_path(f->path) : NULL);
	sb_printf(&out, ", \"line\": %d, \"column\": %d, \"message\": ", f->line, f->column);
	json_string(&out, f->message);
	sb_adds(&out, ", \"fix\": ");
	json_nullable(&out, f->fix);
	sb_adds(&out, ", \"postfix\": ");
	json_nullable(&out, f->postfix);
	sb_adds(&out, "}");
    }
    sb_printf(&out, "%s],\n  \"summary\": {\"errors\": %zu, \"warnings\": %zu, \"notes\": %zu}\n}\n",
	      cx->nfindings ? "\n  " : "", count[CHECK_ERROR], count[CHECK_WARNING],
	      count[CHECK_NOTE]);
    fwrite(out.s, 1, out.len, fp);
    sb_free(&out);
}

/* ------------------------------------------------------------ sarif */

/* sarif_uri - a path as a relative URI reference: %-encode what must be */
static void sarif_uri(struct strbuf *out, const char *path)
{
    struct strbuf uri = STRBUF_INIT;

    for (const unsigned char *p = (const unsigned char *) path; *p; p++) {
	if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
	    || (*p >= '0' && *p <= '9') || strchr("-._~/", *p) != NULL)
	    sb_addch(&uri, (char) *p);
	else
	    sb_printf(&uri, "%%%02X", *p);
    }
    json_string(out, uri.s ? uri.s : "");
    sb_free(&uri);
}

static void print_sarif(const struct check *cx, FILE *fp)
{
    struct strbuf out = STRBUF_INIT;

    sb_adds(&out, "{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n"
	    "  \"version\": \"2.1.0\",\n  \"runs\": [\n    {\n"
	    "      \"tool\": {\n        \"driver\": {\n"
	    "          \"name\": \"pfc\",\n");
    sb_printf(&out, "          \"version\": \"%s\",\n", PACKAGE_VERSION);
    sb_adds(&out, "          \"rules\": [");
    for (size_t i = 0; i < check_rules_count; i++) {
	const struct check_rule *r = &check_rules[i];
	sb_adds(&out, i ? ",\n            {" : "\n            {");
	sb_adds(&out, "\"id\": ");
	json_string(&out, r->id);
	sb_adds(&out, ", \"shortDescription\": {\"text\": ");
	json_string(&out, r->summary);
	sb_printf(&out, "}, \"defaultConfiguration\": {\"level\": \"%s\"}}",
		  level_text[r->severity]);
    }
    sb_adds(&out, "\n          ]\n        }\n      },\n      \"results\": [");
    for (size_t i = 0; i < cx->nfindings; i++) {
	const struct finding *f = &cx->findings[i];
	size_t index = (size_t) (check_rule_find(f->rule) - check_rules);
	struct strbuf text = STRBUF_INIT;
	sb_adds(&text, f->message);
	if (f->fix)
	    sb_printf(&text, "\nfix: %s", f->fix);
	sb_adds(&out, i ? ",\n        {" : "\n        {");
	sb_adds(&out, "\"ruleId\": ");
	json_string(&out, f->rule);
	sb_printf(&out, ", \"ruleIndex\": %zu, \"level\": \"%s\", \"message\": {\"text\": ",
		  index, level_text[f->severity]);
	json_string(&out, text.s);
	sb_adds(&out, "}");
	if (f->path != NULL) {
	    sb_adds(&out, ", \"locations\": [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": ");
	    sarif_uri(&out, display_path(f->path));
	    sb_adds(&out, "}");
	    if (f->line > 0) {
		sb_printf(&out, ", \"region\": {\"startLine\": %d", f->line);
		if (f->column > 0)
		    sb_printf(&out, ", \"startColumn\": %d", f->column);
		sb_adds(&out, "}");
	    }
	    sb_adds(&out, "}}]");
	}
	sb_adds(&out, "}");
	sb_free(&text);
    }
    sb_adds(&out, cx->nfindings ? "\n      ]\n    }\n  ]\n}\n" : "]\n    }\n  ]\n}\n");
    fwrite(out.s, 1, out.len, fp);
    sb_free(&out);
}

/* ------------------------------------------------------------ github */

/*
 * github_escape - a workflow command's data (props: also ':' and ','),
 * made safe and cut as the text output's is.
 */
static void github_escape(FILE *fp, const char *text, int property)
{
    struct strbuf safe = STRBUF_INIT;
    size_t len = strlen(text), n = clean_len(text, len, TEXT_MAX);

    put_clean(&safe, text, n);
    if (n < len)
	sb_printf(&safe, "... [%zu more bytes]", len - n);
    for (const char *p = sb_str(&safe); *p; p++) {
	if (*p == '%')
	    fputs("%25", fp);
	else if (*p == '\r')
	    fputs("%0D", fp);
	else if (*p == '\n')
	    fputs("%0A", fp);
	else if (property && *p == ':')
	    fputs("%3A", fp);
	else if (property && *p == ',')
	    fputs("%2C", fp);
	else
	    fputc(*p, fp);
    }
    sb_free(&safe);
}

static void print_github(const struct check *cx, FILE *fp)
{
    size_t hidden = 0;

    for (size_t i = 0; i < cx->nfindings; i++) {
	const struct finding *f = &cx->findings[i];
	if (f->severity == CHECK_NOTE && !show_notes) {
	    hidden++;
	    continue;
	}
	fprintf(fp, "::%s ", f->severity == CHECK_NOTE ? "notice" : level_text[f->severity]);
	if (f->path != NULL) {
	    fprintf(fp, "file=");
	    github_escape(fp, display_path(f->path), 1);
	    if (f->line > 0)
		fprintf(fp, ",line=%d", f->line);
	    if (f->column > 0)
		fprintf(fp, ",col=%d", f->column);
	    fprintf(fp, ",");
	}
	fprintf(fp, "title=");
	github_escape(fp, f->rule, 1);
	fprintf(fp, "::");
	github_escape(fp, message_text(f), 0);
	if (f->fix != NULL) {
	    fprintf(fp, "%%0Afix: ");
	    github_escape(fp, f->fix, 0);
	}
	fputc('\n', fp);
    }
    /* One annotation instead of one per -o override: a pull request stays readable. */
    if (hidden > 0)
	fprintf(fp, "::notice title=pfc check::%zu note%s not shown (pfc check --notes shows them)\n",
	       hidden, hidden == 1 ? "" : "s");
}

int check_print(const struct check *cx, const char *format, FILE *fp)
{
    if (strcmp(format, "text") == 0)
	print_text(cx, fp);
    else if (strcmp(format, "json") == 0)
	print_json(cx, fp);
    else if (strcmp(format, "sarif") == 0)
	print_sarif(cx, fp);
    else if (strcmp(format, "github") == 0)
	print_github(cx, fp);
    else
	return -1;
    return 0;
}
