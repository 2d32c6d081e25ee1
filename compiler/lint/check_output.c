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
#include "xalloc.h"

#ifdef HAVE_CONFIG_H
#include "build_config.h"
#endif
#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

static const char *const level_text[] = { "note", "warning", "error" };

/* display_path - a path as findings show it: without a leading "./" */
static const char *display_path(const char *path)
{
    while (path[0] == '.' && path[1] == '/')
	path += 2;
    return path;
}

/* ------------------------------------------------------------ text */

/*
 * The file of the findings being printed, read once: findings come sorted
 * by file, and a file may have thousands of them.
 */
struct source_file {
    char *path;
    char *text;			/* NULL: unreadable */
    size_t len;
    size_t *starts;		/* offset of each line */
    size_t nlines;
};

static void source_load(struct source_file *sf, const char *path)
{
    struct strbuf text = STRBUF_INIT;

    free(sf->path);
    free(sf->text);
    free(sf->starts);
    memset(sf, 0, sizeof(*sf));
    sf->path = xstrdup(path);
    if (sb_read_file(&text, path) < 0) {
	sb_free(&text);
	return;
    }
    sf->len = text.len;
    sf->text = text.s ? sb_detach(&text) : xstrdup("");
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
static char *source_line(struct source_file *sf, const char *path, int lineno)
{
    if (sf->path == NULL || strcmp(sf->path, path) != 0)
	source_load(sf, path);
    if (sf->text == NULL || lineno < 1 || (size_t) lineno > sf->nlines)
	return NULL;
    size_t start = sf->starts[lineno - 1];
    size_t end = (size_t) lineno < sf->nlines ? sf->starts[lineno] : sf->len;
    while (end > start && (sf->text[end - 1] == '\n' || sf->text[end - 1] == '\r'))
	end--;
    return xstrndup(sf->text + start, end - start);
}

static void print_text(const struct check *cx)
{
    size_t count[3] = { 0, 0, 0 };
    struct source_file sf;

    memset(&sf, 0, sizeof(sf));
    for (size_t i = 0; i < cx->nfindings; i++) {
	const struct finding *f = &cx->findings[i];
	count[f->severity]++;
	if (f->path == NULL)
	    printf("pfc");
	else if (f->line == 0)
	    printf("%s", display_path(f->path));
	else if (f->column == 0)
	    printf("%s:%d", display_path(f->path), f->line);
	else
	    printf("%s:%d:%d", display_path(f->path), f->line, f->column);
	printf(": %s: %s [%s]\n", level_text[f->severity], f->message, f->rule);
	char *src = f->path && f->line > 0 ? source_line(&sf, f->path, f->line) : NULL;
	if (src != NULL) {
	    printf(" %s\n ", src);
	    /* Keep the tabs, so the caret lines up however tabs are shown. */
	    size_t srclen = strlen(src);
	    for (int c = 1; c < f->column; c++)
		putchar((size_t) c <= srclen && src[c - 1] == '\t' ? '\t' : ' ');
	    printf("^\n");
	    free(src);
	}
	if (f->fix != NULL)
	    printf(" fix: %s\n", f->fix);
    }
    free(sf.path);
    free(sf.text);
    free(sf.starts);
    if (cx->nfindings > 0)
	printf("%zu error%s, %zu warning%s, %zu note%s\n",
	       count[CHECK_ERROR], count[CHECK_ERROR] == 1 ? "" : "s",
	       count[CHECK_WARNING], count[CHECK_WARNING] == 1 ? "" : "s",
	       count[CHECK_NOTE], count[CHECK_NOTE] == 1 ? "" : "s");
}

/* ------------------------------------------------------------ json */

static void print_json(const struct check *cx)
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
    fwrite(out.s, 1, out.len, stdout);
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

static void print_sarif(const struct check *cx)
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
    fwrite(out.s, 1, out.len, stdout);
    sb_free(&out);
}

/* ------------------------------------------------------------ github */

/* github_escape - a workflow command's data (props: also ':' and ',') */
static void github_escape(const char *text, int property)
{
    for (const char *p = text; *p; p++) {
	if (*p == '%')
	    fputs("%25", stdout);
	else if (*p == '\r')
	    fputs("%0D", stdout);
	else if (*p == '\n')
	    fputs("%0A", stdout);
	else if (property && *p == ':')
	    fputs("%3A", stdout);
	else if (property && *p == ',')
	    fputs("%2C", stdout);
	else
	    putchar(*p);
    }
}

static void print_github(const struct check *cx)
{
    for (size_t i = 0; i < cx->nfindings; i++) {
	const struct finding *f = &cx->findings[i];
	printf("::%s ", f->severity == CHECK_NOTE ? "notice" : level_text[f->severity]);
	if (f->path != NULL) {
	    printf("file=");
	    github_escape(display_path(f->path), 1);
	    if (f->line > 0)
		printf(",line=%d", f->line);
	    if (f->column > 0)
		printf(",col=%d", f->column);
	    printf(",");
	}
	printf("title=");
	github_escape(f->rule, 1);
	printf("::");
	github_escape(f->message, 0);
	if (f->fix != NULL) {
	    github_escape("\nfix: ", 0);
	    github_escape(f->fix, 0);
	}
	putchar('\n');
    }
}

int check_print(const struct check *cx, const char *format)
{
    if (strcmp(format, "text") == 0)
	print_text(cx);
    else if (strcmp(format, "json") == 0)
	print_json(cx);
    else if (strcmp(format, "sarif") == 0)
	print_sarif(cx);
    else if (strcmp(format, "github") == 0)
	print_github(cx);
    else
	return -1;
    return 0;
}
