/*
 * check - "pfc check", the linter. The driver (check.c) reads main.cf and
 * master.cf once into a struct check; each group of rules is one file
 * that walks that model and reports findings through check_report():
 *
 *   check_params.c        parameters: names, $name, value types, classes
 *   check_restrictions.c  smtpd restriction lists
 *   check_tables.c        every table named: type, source, .db, role
 *   check_patterns.c      regexp and pcre tables, header/body checks
 *   check_master.c        master.cf services, -o overrides, transports
 *
 * check_rules.c lists every rule id; pfc-check(7) documents each one.
 * check_output.c prints the findings as text, json, sarif or github.
 */
#ifndef PFC_CHECK_H
#define PFC_CHECK_H

#include <stdarg.h>
#include <stddef.h>

#include "cfline.h"
#include "config.h"
#include "master_cf.h"
#include "registry.h"
#include "strmap.h"

enum check_severity { CHECK_NOTE, CHECK_WARNING, CHECK_ERROR };

struct check_rule {
    const char *id;		/* stable: documented, used by -W/-Wno- */
    enum check_severity severity;
    const char *summary;	/* one line, for SARIF and --list-rules */
};

extern const struct check_rule check_rules[];
extern const size_t check_rules_count;

/* check_rule_find - the rule of that id, or NULL */
const struct check_rule *check_rule_find(const char *id);

/* A main.cf setting as read, in file order; duplicates included. */
struct check_setting {
    char *name;
    char *value;
    const struct param_def *def;	/* the registry's entry, or NULL */
    struct cf_logical_line *where;	/* its logical line, for positions */
    size_t name_off;		/* byte offsets of name and value in where->text */
    size_t value_off;
    int effective;		/* 0: a later line sets the same name */
};

/* A "-o name=value" of a master.cf service. */
struct check_override {
    char *name;
    char *value;
    size_t name_off;		/* byte offsets in entry->where->text */
    size_t value_off;
};

struct check_service {
    struct master_entry *entry;	/* its fields: entry->argv, entry->argoff */
    struct check_override *overrides;
    size_t noverrides;
};

struct finding;

struct check {
    /* Inputs, read once by the driver. */
    const char *config_dir;	/* as given (-c, $MAIL_CONFIG or /etc/postfix) */
    char *main_path;		/* main.cf as opened (under --root) */
    char *master_path;		/* master.cf as opened, NULL when absent */
    struct check_setting *settings;
    size_t nsettings, settings_cap;
    struct strmap setting_index;	/* name -> index + 1 of its last setting */
    /*
     * cfg - main.cf over the built-in defaults, for check_value(); its
     * settings map holds the effective value of each name.
     */
    struct config *cfg;
    struct masterconf master;
    struct check_service *services;	/* one per master.cf entry */
    size_t nservices;

    /* Findings, and what the options asked for. */
    struct finding *findings;
    size_t nfindings, findings_cap;
    struct strmap rule_state;	/* rule id -> "on" / "off" (-W, -Wno-) */
    int werror;
    struct strmap tables_seen;	/* table spec -> NULL: each table is checked once */

    /*
     * for_build - the run is pfc build's (image_write.c): the sources of
     * hash, btree and texthash tables are not scanned for postmap's
     * warnings (the image compiler reads them itself), their .db files
     * are not looked at, and their bytes are kept in sources (path as
     * opened -> struct check_source), so a big table is read only once.
     */
    int for_build;
    struct strmap sources;
};

/* The bytes of a table source the linter read (for_build). */
struct check_source {
    char *text;			/* NUL-terminated */
    size_t len;
};

/*
 * The linter's driver, for pfc check and pfc build: check_init, then
 * check_load (main.cf and master.cf), then check_run (every group of
 * rules; the findings sorted and deduplicated), then check_free.
 */
void check_init(struct check *cx);
/*
 * check_load - read config_dir's main.cf and master.cf (NULL: $MAIL_CONFIG
 * or /etc/postfix). Returns -1, with the message printed, when main.cf
 * cannot be read.
 */
int check_load(struct check *cx, const char *config_dir);
void check_run(struct check *cx);
/* check_errors - how many findings are errors */
size_t check_errors(const struct check *cx);
void check_free(struct check *cx);
/* check_source_find - the kept bytes of the source opened as path, or NULL */
const struct check_source *check_source_find(const struct check *cx, const char *path);

/*
 * check_report - report a problem of rule at byte offset of the logical
 * line where (read from path). Returns the finding, to which a fix and
 * Postfix's own words can be added, or NULL when the rule is turned off
 * (the setters accept NULL).
 */
struct finding *check_report(struct check *cx, const char *rule, const char *path,
			     const struct cf_logical_line *where, size_t offset,
			     const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* check_vreport - check_report with a va_list */
struct finding *check_vreport(struct check *cx, const char *rule, const char *path,
			      const struct cf_logical_line *where, size_t offset,
			      const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));
/* check_report_at - the same, at a physical line and column (0: unknown) */
struct finding *check_report_at(struct check *cx, const char *rule, const char *path,
				int line, int column, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* finding_fix - how to fix it: "fix: TEXT" under the finding */
void finding_fix(struct finding *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/*
 * finding_postfix - the message real Postfix gives for the same problem,
 * without "program: warning: " (json "postfix"); the side-by-side test
 * matches Postfix's warnings against these.
 */
void finding_postfix(struct finding *f, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * check_capture_begin, check_capture_end - between them, the warnings
 * that shared readers (table loaders, the master.cf reader) report to the
 * sink begin returns, or to the process's sink, become findings of rule
 * (NULL: none) in path, at the line and column the reader gives. Postfix's
 * text is the finding's message and its "postfix" text.
 */
const struct diag_sink *check_capture_begin(struct check *cx, const char *rule,
					    const char *path);
void check_capture_end(struct check *cx);

/*
 * check_value - the expanded value of a parameter as a daemon would see it
 * (main.cf over the defaults), or NULL when it is neither set nor built
 * in. Never fatal: a value that does not expand is returned raw (the
 * parameter rules report it).
 */
char *check_value(struct check *cx, const char *name);
/* check_setting_find - the effective main.cf setting of name, or NULL */
const struct check_setting *check_setting_find(const struct check *cx,
					       const char *name);
/*
 * check_raw_value - the unexpanded value of name as svc sees it (its -o,
 * else main.cf, else the default; svc NULL: main.cf), or NULL. A default
 * computed from the host is computed here.
 */
const char *check_raw_value(const struct check *cx, const struct check_service *svc,
			    const char *name);
/* check_service_value - name as service sees it: its -o, else main.cf */
char *check_service_value(struct check *cx, const struct check_service *svc,
			  const char *name);

/* The groups of rules; each reports through check_report(). */
void check_parameters(struct check *cx);
void check_restrictions(struct check *cx);
void check_tables(struct check *cx);
void check_master(struct check *cx);

/*
 * What a parameter or restriction needs from a table it names:
 * exact-match keys (postmap-style), whole-string patterns, or either.
 */
enum table_need { TABLE_ANY, TABLE_FIXED, TABLE_PATTERN };

/*
 * words_split - a restriction list split as smtpd splits it (separators
 * CHARS_COMMA_SP; with braces, "{ ... }" groups kept whole, as for
 * restriction lists; without, plain words, as smtpd_restriction_classes).
 * The words point into w->buf. Defined in check_restrictions.c.
 */
struct words {
    char *buf;
    char **v;
    size_t n;
};
void words_split(struct words *w, const char *text, int braces);
void words_free(struct words *w);

/*
 * What a regexp/pcre table's results mean, for check_pattern_table():
 * header/body_checks actions, access(5) actions, or plain values.
 */
enum pattern_role { ROLE_VALUE, ROLE_CHECKS, ROLE_ACCESS };

/*
 * check_table_ref - check one table spec ("hash:/etc/postfix/virtual",
 * or a list for unionmap/pipemap) named by param at offset of where (in
 * path): type, source, .db, need, then its contents. Each spec is
 * checked once, the first time it is named. Defined in check_tables.c.
 */
void check_table_ref(struct check *cx, const char *spec, enum table_need need,
		     enum pattern_role role, const char *param, const char *path,
		     const struct cf_logical_line *where, size_t offset);

/*
 * check_table_file_ok - may the file of spec be opened by name: a readable
 * regular file inside --root, or a type without a file? For rules that
 * open tables through the maps layer. Defined in check_tables.c.
 */
int check_table_file_ok(const char *spec);

/*
 * check_pattern_table - the rules for a regexp or pcre table's source
 * file (path as opened). Defined in check_patterns.c.
 */
void check_pattern_table(struct check *cx, const char *type, const char *path,
			 enum pattern_role role);

/*
 * check_template_file - report "{{ x }}" and "{% x %}" template leftovers
 * outside the comments of a file (main.cf, master.cf or a table source).
 * Defined in check_params.c.
 */
void check_template_file(struct check *cx, const char *path);
/* check_template_text - the same for the bytes of path already in memory */
void check_template_text(struct check *cx, const char *path, const char *text, size_t len);
/*
 * check_template_pattern_file - the same for a regexp: or pcre: table: the
 * /pattern/ that starts a line is regex text, not looked at.
 */
void check_template_pattern_file(struct check *cx, const char *path);

/*
 * check_table_list - how a parameter names tables: CHECK_LIST_NONE, every
 * element a table (CHECK_LIST_MAPS), or only the type:name elements of a
 * host, network or domain list (CHECK_LIST_MATCH: not "[...", leading
 * "!" dropped, a "#" element ends the list). Caches and proxymap's name
 * lists are not tables to read. Defined in check_tables.c.
 */
enum check_list_kind { CHECK_LIST_NONE, CHECK_LIST_MAPS, CHECK_LIST_MATCH };
enum check_list_kind check_table_list(const struct param_def *def);
/*
 * check_is_alias_table - is spec (hash: or btree:) an aliases(5) file, as
 * named by alias_maps or alias_database? Defined in check_tables.c.
 */
int check_is_alias_table(struct check *cx, const char *spec);

/* check_suggest - the registry name closest to name (typo distance), or NULL */
const char *check_suggest(const char *name, const char *const *candidates,
			  size_t count);


/* check_output.c: print the findings in format; returns 0, or -1 if unknown */
int check_print(const struct check *cx, const char *format);
/*
 * check_set_show_notes - print notes in text and github output too (-v,
 * --notes); by default they are only counted there. json and sarif always
 * hold every finding: their readers filter by level themselves.
 */
void check_set_show_notes(int show);

/* The parts of a finding, for check_output.c. */
struct finding {
    const char *rule;
    enum check_severity severity;	/* after --werror */
    char *path;			/* NULL: about the configuration as a whole */
    int line, column;		/* 0: unknown */
    char *message;
    char *fix;			/* NULL: none */
    char *postfix;		/* NULL: Postfix says nothing */
    size_t seq;			/* report order, for a stable sort */
};

#endif
