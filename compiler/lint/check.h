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

#include <stdio.h>

#include "cfline.h"
#include "model.h"
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

struct finding;

/*
 * What reads the tables the configuration names, and so what the table
 * rules judge: Postfix (pfc check: hash and btree tables are read from
 * their .db, which must be built from the source beside it) or the
 * image compiler (pfc build: every table is compiled from its source,
 * which it reads itself with postmap's rules, so the .db files do not
 * matter and the sources of exact tables are not scanned twice).
 */
enum check_target { CHECK_FOR_POSTFIX, CHECK_FOR_IMAGE };

struct check {
    /* The configuration, read once (check_load()); pfc build compiles the same. */
    const struct model *m;
    enum check_target target;

    /* Findings, and what the options asked for. */
    struct finding *findings;
    size_t nfindings, findings_cap;
    struct strmap rule_state;	/* rule id -> "on" / "off" (-W, -Wno-) */
    int werror;
    struct strmap tables_seen;	/* table spec -> NULL: each table is checked once */
};

/*
 * The linter's driver, for pfc check and pfc build: check_init, then
 * check_load (the model of main.cf and master.cf), then check_run (every
 * group of rules; the findings sorted and deduplicated), check_print,
 * then check_free (the model is the caller's).
 */
void check_init(struct check *cx);
/*
 * check_load - read config_dir's main.cf and master.cf (NULL: $MAIL_CONFIG
 * or /etc/postfix) into m, what Postfix would say about them as findings;
 * the linter then reads m. Returns -1, with the message printed, when
 * main.cf cannot be read.
 */
int check_load(struct check *cx, struct model *m, const char *config_dir);
/* check_run - every rule, for the reader of the tables target names */
void check_run(struct check *cx, enum check_target target);
/* check_set_rule - -W RULE (on) or -Wno-RULE (off); -1 for an unknown rule */
int check_set_rule(struct check *cx, const char *arg);
/* check_errors - how many findings are errors */
size_t check_errors(const struct check *cx);
void check_free(struct check *cx);

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
 * check_value - model_value() of main.cf's view, quietly: never fatal,
 * no warning (a value that does not expand is returned raw; the
 * parameter rules report it). NULL when name is neither set nor built in.
 */
char *check_value(struct check *cx, const char *name);
/* check_setting_find - the effective main.cf setting of name, or NULL */
const struct model_setting *check_setting_find(const struct check *cx,
					       const char *name);
/*
 * check_raw_value - model_raw() of svc's view (NULL: main.cf's); what
 * computing a host default warns goes wherever warnings go (a caller
 * expanding with it keeps them)
 */
const char *check_raw_value(const struct check *cx, const struct model_service *svc,
			    const char *name);
/* check_service_value - check_value() of svc's view */
char *check_service_value(struct check *cx, const struct model_service *svc,
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


/*
 * check_print - the findings in format (text, json, sarif, github) on
 * out: pfc check's standard output, pfc build's standard error. Returns
 * 0, or -1 for an unknown format. Defined in check_output.c.
 */
int check_print(const struct check *cx, const char *format, FILE *out);
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
