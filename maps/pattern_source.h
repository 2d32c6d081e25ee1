/*
 * pattern_source - the one reader of regexp_table(5), pcre_table(5) and
 * cidr_table(5) sources. It opens a file or an inline "{ {rule}, {rule} }"
 * text, hands every logical line to the table type, and keeps the rules
 * as a flat list in which each IF knows the index of its ENDIF, so a
 * lookup is one forward scan with jumps and no nesting stack.
 *
 * For regexp and pcre it also parses "/pattern/flags result",
 * "!/pattern/flags result" and "if /pattern/flags" lines and the result's
 * $n, ${n}, $(n) and $$ forms, through a small table of engine hooks. The
 * warnings are Postfix 3.7's, word for word: "KIND map NAME, line N: ...".
 */
#ifndef PFC_PATTERN_SOURCE_H
#define PFC_PATTERN_SOURCE_H

#include <stddef.h>

#include "dict.h"
#include "strbuf.h"

struct cf_logical_line;
struct diag_sink;

/* Where a warning is about: "KIND map MAP, line LINE: ...". */
struct pat_where {
    const char *kind;		/* "regexp", "pcre" or "cidr" */
    const char *map;		/* the table name as written after "type:" */
    int line;
};

/*
 * pat_warn - one warning about a table line, in Postfix's words, to sink
 * (NULL: the process's)
 */
void pat_warn(const struct pat_where *where, const struct diag_sink *sink,
	      const char *fmt, ...) __attribute__((format(printf, 3, 4)));

enum pat_op { PAT_MATCH, PAT_IF, PAT_ENDIF };

#define PAT_NO_ENDIF ((size_t) -1)

/* One piece of a result: literal text, or capture group n (n >= 1). */
struct pat_piece {
    size_t group;		/* 0: literal text */
    size_t offset;		/* literal: where in the rule's text */
    size_t len;
};

struct pat_rule {
    enum pat_op op;
    int line;			/* first physical line of the rule */
    int match;			/* 1: expr must match; 0: must not */
    void *expr;			/* the type's compiled pattern */
    int match2;			/* regexp's "/a/!/b/" second pattern, */
    void *expr2;		/* ... or NULL */
    size_t endif;		/* IF: index of its ENDIF, or PAT_NO_ENDIF */
    char *text;			/* MATCH: the result ($$ already made $) */
    struct pat_piece *pieces;	/* NULL when text needs no substitution */
    size_t npieces;
    size_t max_sub;		/* largest $n in the result, 0 if none */
};

/* The rules of one table, IF/ENDIF already resolved into jumps. */
struct pat_list {
    struct pat_rule *rules;
    size_t nrules;
    size_t cap;
    size_t *open_ifs;		/* indexes of IFs still waiting for ENDIF */
    size_t depth;
    size_t open_cap;
    size_t max_sub;		/* largest max_sub of any rule */
};

/*
 * pat_list_add - append a rule. An IF opens a block; an ENDIF closes the
 * innermost one (the caller checks pat_list_depth() first). The returned
 * pointer is valid until the next pat_list_add().
 */
struct pat_rule *pat_list_add(struct pat_list *list, enum pat_op op, int line);
size_t pat_list_depth(const struct pat_list *list);
/* pat_list_finish - warn "IF has no matching ENDIF" for each open block */
void pat_list_finish(struct pat_list *list, const char *kind, const char *map,
		     const struct diag_sink *sink);
/* pat_list_free - free the list; free_expr gets each non-NULL expr */
void pat_list_free(struct pat_list *list, void (*free_expr)(void *expr));

/*
 * pat_exec_fn - does expr match the key being looked up? 1 yes, 0 no, -1
 * on an engine error (already warned; the rule then fails either way, as
 * in Postfix). want_groups says the rule's result needs the groups.
 */
typedef int (*pat_exec_fn)(void *ctx, const struct pat_rule *rule,
			   const void *expr, int want_groups);
/* pat_list_find - the first MATCH rule that applies, or NULL */
const struct pat_rule *pat_list_find(const struct pat_list *list,
				     pat_exec_fn exec, void *ctx);

/* pat_group_fn - where group n of the last match is; 0 if it is unset */
typedef int (*pat_group_fn)(void *ctx, size_t n, size_t *start, size_t *end);
/*
 * pat_result - the result of a found rule with its $n filled in from key
 * (a group that is unset or empty gives nothing). Points into buf, or to
 * the rule's own text when there is nothing to substitute.
 */
const char *pat_result(const struct pat_rule *rule, const char *key,
		       struct strbuf *buf, pat_group_fn group, void *ctx);


/*
 * pat_line_fn - one logical line: text is a writable copy of line->text
 * (trailing whitespace kept).
 */
typedef void (*pat_line_fn)(void *ctx, char *text, const struct cf_logical_line *line);

/*
 * pat_read_source - read a table: a file, or inline text when name starts
 * with '{', the reader's warnings to sink. Returns 0, or -1 with *err set
 * to Postfix's fatal message ("open NAME: No such file or directory",
 * "regexp map: missing '}' in ..."). A directory reads as an empty file,
 * as Postfix's does, unless dir_is_error (cidr: "cidr map NAME: read
 * error: Is a directory").
 */
int pat_read_source(const char *kind, const char *name, int dir_is_error,
		    const struct diag_sink *sink, pat_line_fn on_line, void *ctx,
		    char **err);

/* Why a pattern did not compile, in the engine's words. */
struct pat_error {
    char text[384];		/* the warning, as Postfix words it */
    long offset;		/* byte offset in the pattern, or -1: unknown */
};

struct pat_table;

/* The engine hooks of a "/pattern/flags result" table type. */
struct pat_syntax {
    const char *kind;		/* "regexp" or "pcre" */
    unsigned default_options;
    int second_pattern;		/* regexp: "/a/!/b/"; flags stop at '!' */
    int trailing_backslash_closes; /* regexp: a final '\' ends the pattern */
    const char *unclosed_verb;	/* "skipping" or "ignoring" this rule */
    const char *zero_index;	/* "out-of-range" or "out of range" */
    /*
     * flag - apply option letter ch to *options: 0; 1 for a letter
     * Postfix ignores with a warning (the caller gives it); -1 if unknown
     */
    int (*flag)(const struct pat_where *where, int ch, unsigned *options);
    /*
     * compile - compile one pattern, or fill *error and return NULL.
     * need_groups is 0 when no $n will ask for groups; *ngroups gets the
     * group count.
     */
    void *(*compile)(const struct pat_where *where, const char *pattern,
		     unsigned options, int need_groups, size_t *ngroups,
		     struct pat_error *error);
    void (*free_expr)(void *expr);
    /* The engine's side of a lookup, with the table as ctx: */
    void (*start)(struct pat_table *table, const char *key); /* new key */
    pat_exec_fn exec;
    pat_group_fn group;
    /* ready - after the rules load: 0, or -1 with *err set */
    int (*ready)(struct pat_table *table, char **err);
    void (*close)(struct pat_table *table);	/* the engine's own parts */
};

/*
 * pat_load - read a regexp or pcre table into list, warning (to sink)
 * about and skipping every bad rule. Returns 0, or -1 with *err as
 * pat_read_source.
 */
int pat_load(struct pat_list *list, const struct pat_syntax *syntax,
	     const char *name, const struct diag_sink *sink, char **err);

/*
 * The part of a regexp: or pcre: table that does not depend on the
 * engine: each engine's table struct starts with it, and its dict's
 * lookup and close are pattern_source's, calling the syntax's hooks.
 */
struct pat_table {
    struct dict dict;
    const struct pat_syntax *syntax;
    struct pat_list rules;
    struct strbuf result;
};

/*
 * pat_table_open - a dict_type's open function for a table of syntax:
 * size bytes (the engine's struct), the rules loaded, syntax->ready run.
 * NULL with *err set as Postfix words it.
 */
struct dict *pat_table_open(const struct dict_type *type, const struct pat_syntax *syntax,
			    size_t size, const char *name, int mode, unsigned flags,
			    const struct diag_sink *sink, char **err);

/* The two table types, for pat_load_observed() (dict_regexp.c, dict_pcre.c). */
extern const struct pat_syntax dict_regexp_syntax;
extern const struct pat_syntax dict_pcre_syntax;

/*
 * What pat_load_observed() shows of each rule line whose patterns could
 * be read (rules skipped earlier, for a missing delimiter or an unknown
 * flag, are only warned about). Offsets are bytes in where->text.
 */
struct pat_seen_pattern {
    size_t offset, len;		/* the text between the delimiters */
    size_t flags_len;		/* the flag letters after the closing one */
    unsigned options;		/* after the flags */
    int match;			/* 0: negated with "!" */
    size_t ngroups;		/* parenthesized groups, once compiled */
};

enum pat_problem {
    PAT_FINE,
    PAT_BAD_PATTERN,		/* pattern[bad_pattern] does not compile */
    PAT_BAD_INDEX,		/* a $n beyond the groups, or in a negated rule */
};

struct pat_seen {
    enum pat_op op;
    const struct cf_logical_line *where;	/* the logical line as read */
    size_t depth;		/* IFs open before this line */
    struct pat_seen_pattern pattern[2];	/* MATCH and IF; regexp "/a/!/b/" */
    size_t npatterns;		/* 0 for ENDIF */
    size_t value_offset;	/* MATCH: where the result starts */
    size_t max_sub;		/* MATCH: the largest $n of the result */
    int kept;			/* 0: Postfix skips this rule */
    enum pat_problem problem;
    size_t bad_pattern;		/* PAT_BAD_PATTERN: which one */
    struct pat_error error;	/* PAT_BAD_PATTERN: the engine's words */
    const char *postfix;	/* not PAT_FINE: Postfix's whole warning */
};

/*
 * pat_load_observed - pat_load() for pfc check: observe(ctx, seen) gets
 * every rule, IF and ENDIF line as read. The problems of enum pat_problem
 * are handed to observe (seen->postfix) instead of being warned, so that
 * the caller reports them under its own rules; every other warning goes
 * to the process's sink.
 */
typedef void (*pat_observe_fn)(void *ctx, const struct pat_seen *seen);
int pat_load_observed(struct pat_list *list, const struct pat_syntax *syntax,
		      const char *name, pat_observe_fn observe, void *ctx,
		      char **err);

#endif
