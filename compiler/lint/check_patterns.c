/*
 * check_patterns - the rules for regexp: and pcre: table sources. The
 * table is read once by the maps' own reader (pattern_source), which
 * shows each rule line as parsed; what Postfix itself warns about while
 * loading becomes pattern-syntax, and the problems below get their own
 * rules, located in the table source:
 *
 *   regex-syntax        a pattern that does not compile
 *   regexp-pcre-syntax  PCRE-only syntax in a POSIX regexp: pattern
 *   substitution-range  a $n beyond the pattern's groups, or in a !/.../ rule
 *   unknown-action      a result that header/body checks or access(5) reject
 *   shadowed-rule       a rule that an earlier one always beats
 *   indented-if         an indented rule line, joined to the rule above
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "pattern_source.h"
#include "strbuf.h"
#include "strmap.h"
#include "xalloc.h"

/* An earlier rule that later ones are compared with. */
struct seen_rule {
    int line;
    size_t block;		/* the IF block instance it is in; 0: top level */
    size_t previous;		/* index + 1 of an earlier rule with the same key */
};

struct pattern_check {
    struct check *cx;
    const char *type;		/* "regexp" or "pcre" */
    const char *path;
    enum pattern_role role;
    /* The IF blocks open at this line: block instance ids, outermost first. */
    size_t *blocks;
    int *catch_all;		/* per open block: line of a rule that always matches */
    size_t depth, blocks_cap, next_block;
    struct seen_rule *rules;
    size_t nrules, rules_cap;
    struct strmap by_key;	/* pattern key -> index + 1 of its latest rule */
};

/* ------------------------------------------------------------ helpers */

static int is_blank(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n' || ch == '\v'
	|| ch == '\f';
}

/* report - a finding at byte offset of the rule's logical line */
static struct finding *report(struct pattern_check *pc, const char *rule,
			      const struct pat_seen *seen, size_t offset,
			      const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static struct finding *report(struct pattern_check *pc, const char *rule,
			      const struct pat_seen *seen, size_t offset,
			      const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    struct finding *f = check_vreport(pc->cx, rule, pc->path, seen->where, offset, fmt, ap);
    va_end(ap);
    return f;
}

/* flag_count - how often letter appears among a pattern's flags */
static int flag_count(const struct pat_seen *seen, const struct pat_seen_pattern *pat,
		      int letter)
{
    const char *flags = seen->where->text + pat->offset + pat->len + 1;
    int n = 0;

    for (size_t i = 0; i < pat->flags_len; i++)
	n += flags[i] == letter;
    return n;
}

/* ------------------------------------------------ regexp-pcre-syntax */

/* A PCRE-only construct in a POSIX pattern. */
struct pcre_only {
    size_t at;			/* byte offset in the pattern */
    char what[16];		/* as written: "\d", "(?", "*?" */
    const char *meaning;	/* what POSIX makes of it */
};

/* closes_bound - does the "}" at re[at] end a bound such as {2} or {1,3}? */
static int closes_bound(const char *re, size_t at)
{
    size_t j = at;

    while (j > 0 && (isdigit((unsigned char) re[j - 1]) || re[j - 1] == ','))
	j--;
    return j > 0 && j < at && re[j - 1] == '{' && isdigit((unsigned char) re[j]);
}

/*
 * quantifier_meaning - what POSIX makes of the quantifier first followed by
 * second ('?': PCRE's lazy form, '+': its possessive form). POSIX reads the
 * second as a quantifier of the first: "x+?" is "(x+)?", so the repeat
 * becomes optional and the rule matches keys PCRE's would not (with
 * nothing around it, every key); "x*?" and "x??" match what they did, but
 * greedily, so only the text of the $n changes; "x++" is "(x+)+", which
 * gives back characters where PCRE's possessive repeat would not.
 */
static const char *quantifier_meaning(char first, char second, int groups_used)
{
    if (second == '+')
	return "POSIX has no possessive quantifiers: it repeats the repeat, which"
	    " gives characters back where PCRE's would not, so other keys match";
    if (first == '+' || first == '}')
	return "POSIX has no lazy quantifiers: it makes the repeat optional,"
	    " so the rule also matches keys without it";
    if (groups_used)
	return "POSIX has no lazy or possessive quantifiers: it makes the "
	    "repeat optional and stays greedy, so this rule's $n get other text";
    return "POSIX has no lazy quantifiers: it reads this as an optional greedy"
	" repeat, which may match nothing";
}

/*
 * find_pcre_only - the first PCRE-only construct of a POSIX pattern, or 0.
 * glibc's own extensions (\w \W \s \S \b \B \< \> \` \') mean what they
 * mean in PCRE and are left alone; every other backslash-letter means
 * something else in POSIX (glibc matches nothing or the letter). Inside a
 * bracket expression a backslash is an ordinary character, so "[\d]" is a
 * backslash or a "d". In ERE, "(?" and "(*" do not compile, and a second
 * quantifier ("*?", "+?", "??", "}?", "*+", "++", "?+", "}+") quantifies
 * the first: see quantifier_meaning().
 */
static int find_pcre_only(const char *re, size_t len, int extended, int groups_used,
			  struct pcre_only *out)
{
    static const char gnu_escapes[] = "wWsSbB";

    for (size_t i = 0; i < len; i++) {
	char ch = re[i];

	if (ch == '\\' && i + 1 < len) {
	    unsigned char next = (unsigned char) re[i + 1];
	    if (isalpha(next) && strchr(gnu_escapes, next) == NULL) {
		out->at = i;
		snprintf(out->what, sizeof(out->what), "\\%c", next);
		out->meaning = "POSIX has no such escape (glibc takes it to match "
		    "nothing, or just the letter)";
		return 1;
	    }
	    i++;
	    continue;
	}
	if (ch == '[') {
	    size_t j = i + 1;
	    if (j < len && re[j] == '^')
		j++;
	    if (j < len && re[j] == ']')
		j++;
	    for (; j < len && re[j] != ']'; j++) {
		if (re[j] == '[' && j + 1 < len && strchr(":.=", re[j + 1]) != NULL) {
		    /* [:class:], [.coll.], [=equiv=]: skip to its closing pair */
		    const char *end = NULL;
		    for (size_t k = j + 2; k + 1 < len; k++)
			if (re[k] == re[j + 1] && re[k + 1] == ']') {
			    end = re + k + 1;
			    break;
			}
		    if (end != NULL)
			j = (size_t) (end - re);
		    continue;
		}
		if (re[j] == '\\' && j + 1 < len && isalpha((unsigned char) re[j + 1])) {
		    out->at = j;
		    snprintf(out->what, sizeof(out->what), "\\%c", re[j + 1]);
		    out->meaning = "inside [...] POSIX reads it as a backslash and a letter";
		    return 1;
		}
	    }
	    i = j;
	    continue;
	}
	if (!extended)
	    continue;
	if (ch == '(' && i + 1 < len && (re[i + 1] == '?' || re[i + 1] == '*')) {
	    out->at = i;
	    snprintf(out->what, sizeof(out->what), "(%c", re[i + 1]);
	    out->meaning = "POSIX has no (?...) or (*...) groups";
	    return 1;
	}
	if (i > 0 && i + 1 < len && (re[i + 1] == '?' || re[i + 1] == '+')
	    && (strchr("*+?", ch) != NULL || (ch == '}' && closes_bound(re, i)))) {
	    out->at = i;
	    snprintf(out->what, sizeof(out->what), "%c%c", ch, re[i + 1]);
	    out->meaning = quantifier_meaning(ch, re[i + 1], groups_used);
	    return 1;
	}
    }
    return 0;
}

/* ------------------------------------------------ substitution-range */

/*
 * bad_index_offset - where in the result the first $n is that the rule
 * cannot fill: beyond ngroups, or any $n when ngroups is 0. Returns the
 * byte offset in text and *index, or (size_t) -1.
 */
static size_t bad_index_offset(const char *text, size_t ngroups, long *index)
{
    for (const char *p = text; *p; p++) {
	if (*p != '$')
	    continue;
	if (p[1] == '$') {
	    p++;
	    continue;
	}
	const char *q = p + 1;
	if (*q == '{' || *q == '(')
	    q++;
	if (!isdigit((unsigned char) *q))
	    continue;
	long n = strtol(q, NULL, 10);
	if (n > (long) ngroups) {
	    *index = n;
	    return (size_t) (p - text);
	}
    }
    return (size_t) -1;
}

static void check_substitution(struct pattern_check *pc, const struct pat_seen *seen)
{
    const char *value = seen->where->text + seen->value_offset;
    const struct pat_seen_pattern *pat = &seen->pattern[0];
    size_t ngroups = pat->match ? pat->ngroups : 0;
    long index = (long) seen->max_sub;
    size_t at = bad_index_offset(value, ngroups, &index);
    struct finding *f;

    at = at == (size_t) -1 ? seen->value_offset : seen->value_offset + at;
    if (!pat->match) {
	f = report(pc, "substitution-range", seen, at,
		   "$%ld in the result of a negated rule: a pattern that does not match"
		   " has no groups, so Postfix skips this rule", index);
	finding_fix(f, "remove the $n, or turn the rule into a positive match");
    } else {
	f = report(pc, "substitution-range", seen, at,
		   "$%ld refers to group %ld, but the pattern has %s%zu parenthesized"
		   " group%s; Postfix skips this rule", index, index,
		   ngroups == 0 ? "" : "only ", ngroups, ngroups == 1 ? "" : "s");
	finding_fix(f, "add the missing (...) group to the pattern, or use a lower $n");
    }
    finding_postfix(f, "%s", seen->postfix);
}

/* ------------------------------------------------ regex-syntax */

static void check_compile_error(struct pattern_check *pc, const struct pat_seen *seen)
{
    const struct pat_seen_pattern *pat = &seen->pattern[seen->bad_pattern];
    size_t at = pat->offset;
    struct pcre_only pcre;
    struct finding *f;

    if (seen->error.offset >= 0 && (size_t) seen->error.offset <= pat->len)
	at += (size_t) seen->error.offset;
    f = report(pc, "regex-syntax", seen, at, "the pattern does not compile: %s;"
	       " Postfix skips this %s", seen->error.text,
	       seen->op == PAT_IF ? "IF line, and its block applies to every key"
	       : "rule");
    finding_postfix(f, "%s", seen->postfix);
    if (strcmp(pc->type, "regexp") == 0
	&& find_pcre_only(seen->where->text + pat->offset, pat->len,
			  flag_count(seen, pat, 'x') % 2 == 0, 1, &pcre))
	finding_fix(f, "%s is PCRE syntax: make this a pcre: table, or write"
		    " the pattern in POSIX syntax", pcre.what);
    else
	finding_fix(f, "correct the pattern (\"postmap -q KEY %s:FILE\" tries it)", pc->type);
}

static void check_posix_pattern(struct pattern_check *pc, const struct pat_seen *seen,
				const struct pat_seen_pattern *pat)
{
    struct pcre_only pcre;

    if (!find_pcre_only(seen->where->text + pat->offset, pat->len,
			flag_count(seen, pat, 'x') % 2 == 0, seen->max_sub > 0, &pcre))
	return;
    struct finding *f = report(pc, "regexp-pcre-syntax", seen, pat->offset + pcre.at,
			       "%s is PCRE syntax, but this is a POSIX regexp: table;"
			       " %s", pcre.what, pcre.meaning);
    if (strchr("*+?}", pcre.what[0]) != NULL)
	finding_fix(f, "make this a pcre: table, or write the repeat without its"
		    " second \"%c\"", pcre.what[1]);
    else
	finding_fix(f, "make this a pcre: table, or use POSIX syntax"
		    " ([[:digit:]] for \\d, [[:space:]] for \\s)");
}

/* ------------------------------------------------ unknown-action */

static const char *const checks_actions[] = {
    "BCC", "DISCARD", "DUNNO", "FILTER", "HOLD", "IGNORE", "INFO", "OK", "PASS",
    "PREPEND", "REDIRECT", "REJECT", "REPLACE", "STRIP", "WARN",
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/*
 * checks_argument_problem - what cleanup says when the action runs with
 * this argument (cleanup_message.c), or NULL. An argument with $n in it
 * is only known at run time.
 */
static const char *checks_argument_problem(const char *action, const char *arg)
{
    if (strchr(arg, '$') != NULL)
	return NULL;
    if (strcmp(action, "FILTER") == 0 && *arg == 0)
	return "FILTER needs transport:destination";
    if (strcmp(action, "FILTER") == 0 && strchr(arg, ':') == NULL)
	return "FILTER needs transport:destination, and this has no \":\"";
    if ((strcmp(action, "REDIRECT") == 0 || strcmp(action, "BCC") == 0)
	&& strchr(arg, '@') == NULL)
	return "this action needs a user@domain address";
    if ((strcmp(action, "PREPEND") == 0 || strcmp(action, "REPLACE") == 0) && *arg == 0)
	return "this action needs the text to add";
    return NULL;
}

static void check_checks_action(struct pattern_check *pc, const struct pat_seen *seen,
				const char *value)
{
    size_t len = strcspn(value, " \t");
    const char *arg = value + len;
    char action[32];

    while (is_blank(*arg))
	arg++;
    if (len == 0 || memchr(value, '$', len) != NULL)
	return;
    if (len >= sizeof(action)) {
	len = sizeof(action) - 1;
    }
    for (size_t i = 0; i < len; i++)
	action[i] = (char) toupper((unsigned char) value[i]);
    action[len] = 0;

    size_t i;
    for (i = 0; i < COUNT(checks_actions); i++)
	if (strcmp(action, checks_actions[i]) == 0)
	    break;
    if (i == COUNT(checks_actions)) {
	struct finding *f = report(pc, "unknown-action", seen, seen->value_offset,
				   "\"%.*s\" is not a header/body checks action; when the"
				   " rule matches, Postfix logs a warning and passes the line",
				   (int) strcspn(value, " \t"), value);
	const char *near = check_suggest(action, checks_actions, COUNT(checks_actions));
	if (near != NULL)
	    finding_fix(f, "did you mean %s?", near);
	else
	    finding_fix(f, "use one of REJECT, WARN, INFO, HOLD, DISCARD, IGNORE, STRIP,"
			" PREPEND, REPLACE, REDIRECT, BCC, FILTER, PASS or DUNNO");
	return;
    }
    const char *problem = checks_argument_problem(action, arg);
    if (problem != NULL) {
	struct finding *f = report(pc, "unknown-action", seen, seen->value_offset,
				   "%s %s: %s; Postfix logs a warning and does nothing",
				   action, *arg ? arg : "without argument", problem);
	finding_fix(f, "give %s its argument, as header_checks(5) shows", action);
    }
}

/*
 * check_access_action - only what is certainly wrong in an access(5)
 * result: a reply code that is not 4XX or 5XX, or a header_checks-only
 * action. Anything else may be a restriction or a restriction class.
 */
static void check_access_action(struct pattern_check *pc, const struct pat_seen *seen,
				const char *value)
{
    static const char *const checks_only[] = { "IGNORE", "REPLACE", "STRIP", "PASS" };
    size_t len = strcspn(value, " \t");
    struct finding *f;

    if (len == 0 || memchr(value, '$', len) != NULL)
	return;
    if (isdigit((unsigned char) value[0])) {
	size_t digits = strspn(value, "0123456789");
	if (digits == strlen(value))
	    return;			/* all digits: treated as OK */
	/* smtpd_check.c: a code counts only with text after it. */
	int has_text = value[len + strspn(value + len, " \t")] != 0;
	if (digits == 3 && len == 3 && (value[0] == '4' || value[0] == '5') && has_text)
	    return;
	f = report(pc, "unknown-action", seen, seen->value_offset,
		   "\"%.*s\" is not an access(5) reply: that takes a 4XX or 5XX code"
		   " and text; Postfix answers \"451 4.3.5 Server configuration error\"",
		   (int) len, value);
	finding_postfix(f, "unknown smtpd restriction: \"%.*s\"", (int) len, value);
	finding_fix(f, "use a 4XX or 5XX code followed by text, or OK, REJECT, DUNNO");
	return;
    }
    for (size_t i = 0; i < COUNT(checks_only); i++) {
	if (strlen(checks_only[i]) != len || strncasecmp(value, checks_only[i], len) != 0)
	    continue;
	/* A restriction class of that name would make it valid. */
	char *classes = check_value(pc->cx, "smtpd_restriction_classes");
	int is_class = 0;
	if (classes != NULL) {
	    for (char *word = strtok(classes, ", \t\r\n"); word; word = strtok(NULL, ", \t\r\n"))
		if (strlen(word) == len && strncmp(word, value, len) == 0)
		    is_class = 1;
	    free(classes);
	}
	if (is_class)
	    return;
	f = report(pc, "unknown-action", seen, seen->value_offset,
		   "%s is a header_checks action, not an access(5) result;"
		   " Postfix answers \"451 4.3.5 Server configuration error\"",
		   checks_only[i]);
	finding_postfix(f, "unknown smtpd restriction: \"%.*s\"", (int) len, value);
	finding_fix(f, "use an access(5) result: OK, REJECT, DUNNO, DISCARD, HOLD, ...");
	return;
    }
}

/* ------------------------------------------------ shadowed-rule */

/*
 * matches_everything - does a pattern match every key? Only forms that
 * are certain: an empty pattern, "^", ".*"; "$" unless anchored (pcre A);
 * "^.*$" only when "." matches a newline (folded headers have them).
 */
static int matches_everything(const struct pattern_check *pc, const struct pat_seen *seen,
			      const struct pat_seen_pattern *pat)
{
    static const char *const always[] = { "", "^", ".*", "^.*", "(.*)", "^(.*)" };
    static const char *const unanchored[] = { "$", ".*$", "(.*)$" };
    static const char *const dotall[] = { "^.*$", "^(.*)$", ".*$", "(.*)$" };
    char *text = xstrndup(seen->where->text + pat->offset, pat->len);
    int pcre = strcmp(pc->type, "pcre") == 0;
    int groups_ok = pcre || flag_count(seen, pat, 'x') % 2 == 0;	/* not BRE */
    int anchored = pcre && flag_count(seen, pat, 'A') % 2 == 1;
    int dot_newline = pcre ? flag_count(seen, pat, 's') % 2 == 0
	: flag_count(seen, pat, 'm') % 2 == 0;
    int result = 0;

    for (size_t i = 0; i < COUNT(always); i++)
	if (strcmp(text, always[i]) == 0)
	    result = 1;
    for (size_t i = 0; i < COUNT(unanchored); i++)
	if (!anchored && strcmp(text, unanchored[i]) == 0)
	    result = 1;
    for (size_t i = 0; i < COUNT(dotall); i++)
	if (dot_newline && strcmp(text, dotall[i]) == 0)
	    result = 1;
    if (!groups_ok && strchr(text, '(') != NULL)
	result = 0;
    free(text);
    return result;
}

/* rule_key - what makes two rules match the same keys: patterns and options */
static void rule_key(const struct pat_seen *seen, struct strbuf *key)
{
    sb_reset(key);
    for (size_t i = 0; i < seen->npatterns; i++) {
	const struct pat_seen_pattern *pat = &seen->pattern[i];
	sb_printf(key, "%c%u/", pat->match ? '+' : '!', pat->options);
	sb_addn(key, seen->where->text + pat->offset, pat->len);
	sb_addch(key, 0x1f);
    }
}

/* block_open - is block instance id one of the blocks open now? */
static int block_open(const struct pattern_check *pc, size_t id)
{
    for (size_t d = 0; d <= pc->depth; d++)
	if (pc->blocks[d] == id)
	    return 1;
    return 0;
}

static void check_shadowed(struct pattern_check *pc, const struct pat_seen *seen)
{
    struct strbuf key = STRBUF_INIT;
    struct finding *f;

    for (size_t d = 0; d <= pc->depth; d++) {
	if (pc->catch_all[d] == 0)
	    continue;
	f = report(pc, "shadowed-rule", seen, seen->pattern[0].offset,
		   "this rule can never match: the rule on line %d matches every key first",
		   pc->catch_all[d]);
	finding_fix(f, "move this rule above line %d, or remove it", pc->catch_all[d]);
	return;
    }
    rule_key(seen, &key);
    size_t latest = (size_t) (uintptr_t) strmap_get(&pc->by_key, sb_str(&key));
    for (size_t i = latest; i > 0; i = pc->rules[i - 1].previous) {
	if (!block_open(pc, pc->rules[i - 1].block))
	    continue;
	f = report(pc, "shadowed-rule", seen, seen->pattern[0].offset,
		   "this rule can never match: line %d has the same pattern and flags,"
		   " and the first match wins", pc->rules[i - 1].line);
	finding_fix(f, "remove this rule, or merge its result into line %d",
		    pc->rules[i - 1].line);
	break;
    }
    /* Remember it, whether shadowed or not. */
    if (pc->nrules == pc->rules_cap) {
	pc->rules_cap = pc->rules_cap ? 2 * pc->rules_cap : 32;
	pc->rules = xrealloc(pc->rules, pc->rules_cap * sizeof(*pc->rules));
    }
    pc->rules[pc->nrules++] = (struct seen_rule) {
	seen->where->first_line, pc->blocks[pc->depth], latest
    };
    strmap_put(&pc->by_key, sb_str(&key), (void *) (uintptr_t) pc->nrules);
    sb_free(&key);
    if (seen->npatterns == 1 && seen->pattern[0].match
	&& pc->catch_all[pc->depth] == 0 && matches_everything(pc, seen, &seen->pattern[0]))
	pc->catch_all[pc->depth] = seen->where->first_line;
}

static void open_block(struct pattern_check *pc)
{
    if (pc->depth + 2 > pc->blocks_cap) {
	pc->blocks_cap = pc->blocks_cap ? 2 * pc->blocks_cap : 8;
	pc->blocks = xrealloc(pc->blocks, pc->blocks_cap * sizeof(*pc->blocks));
	pc->catch_all = xrealloc(pc->catch_all, pc->blocks_cap * sizeof(*pc->catch_all));
    }
    pc->depth++;
    pc->blocks[pc->depth] = ++pc->next_block;
    pc->catch_all[pc->depth] = 0;
}

/* ------------------------------------------------ indented-if */

/* looks_like_rule - does this text read as a rule line of its own? */
static int looks_like_rule(const char *p)
{
    while (*p == '!')
	p++;
    if (*p == '/') {
	/* "/pattern/flags" and then a blank or the end */
	for (p++; *p && *p != '/'; p++)
	    if (*p == '\\' && p[1])
		p++;
	if (*p != '/')
	    return 0;
	for (p++; isalpha((unsigned char) *p); p++)
	     /* flags */ ;
	return *p == 0 || is_blank(*p);
    }
    if (strncasecmp(p, "if", 2) == 0 && is_blank(p[2]))
	return 1;
    return strncasecmp(p, "endif", 5) == 0 && (p[5] == 0 || is_blank(p[5]));
}

/*
 * check_indented - the physical lines joined to a rule: one that reads as
 * a rule, IF or ENDIF is silently part of this rule's result. (Joined to
 * an IF or ENDIF line, Postfix warns itself: pattern-syntax.)
 */
static void check_indented(struct pattern_check *pc, const struct pat_seen *seen)
{
    const struct cf_logical_line *where = seen->where;

    for (size_t s = 1; s < where->nsegs; s++) {
	const char *p = where->text + where->segs[s].offset;
	while (is_blank(*p))
	    p++;
	if (!looks_like_rule(p))
	    continue;
	struct finding *f = report(pc, "indented-if", seen, (size_t) (p - where->text),
				   "this indented line continues line %d, so it is part of"
				   " that rule's result, not a rule of its own",
				   where->first_line);
	finding_fix(f, "remove the indentation: lines inside if/endif must start in column 1");
    }
}

/* ------------------------------------------------ driver */

static void observe(void *ctx, const struct pat_seen *seen)
{
    struct pattern_check *pc = ctx;
    int posix = strcmp(pc->type, "regexp") == 0;

    if (seen->problem == PAT_BAD_PATTERN)
	check_compile_error(pc, seen);
    else if (posix)
	for (size_t i = 0; i < seen->npatterns; i++)
	    check_posix_pattern(pc, seen, &seen->pattern[i]);
    if (seen->problem == PAT_BAD_INDEX)
	check_substitution(pc, seen);
    if (seen->op == PAT_MATCH)
	check_indented(pc, seen);
    if (!seen->kept)
	return;
    switch (seen->op) {
    case PAT_IF:
	open_block(pc);
	break;
    case PAT_ENDIF:
	if (pc->depth > 0)
	    pc->depth--;
	break;
    case PAT_MATCH:
	check_shadowed(pc, seen);
	if (pc->role == ROLE_CHECKS)
	    check_checks_action(pc, seen, seen->where->text + seen->value_offset);
	else if (pc->role == ROLE_ACCESS)
	    check_access_action(pc, seen, seen->where->text + seen->value_offset);
	break;
    }
}

void check_pattern_table(struct check *cx, const char *type, const char *path,
			 enum pattern_role role)
{
    const struct pat_syntax *syntax;
    struct pattern_check pc;
    struct pat_list list;
    char *err = NULL;

    if (strcmp(type, "regexp") == 0)
	syntax = &dict_regexp_syntax;
    else if (strcmp(type, "pcre") == 0)
	syntax = &dict_pcre_syntax;
    else
	return;
    memset(&pc, 0, sizeof(pc));
    memset(&list, 0, sizeof(list));
    pc.cx = cx;
    pc.type = type;
    pc.path = path;
    pc.role = role;
    strmap_init(&pc.by_key);
    pc.blocks_cap = 8;
    pc.blocks = xcalloc(pc.blocks_cap, sizeof(*pc.blocks));
    pc.catch_all = xcalloc(pc.blocks_cap, sizeof(*pc.catch_all));

    check_capture_begin(cx, "pattern-syntax", path);
    int status = pat_load_observed(&list, syntax, path, observe, &pc, &err);
    check_capture_end(cx);
    if (status != 0) {
	/* check_tables saw a readable file; it went away or cannot be read. */
	struct finding *f = check_report_at(cx, "table-source-missing", path, 0, 0,
					    "%s:%s: %s", type, path, err ? err : "cannot be read");
	finding_postfix(f, "%s", err ? err : "");
	finding_fix(f, "make %s a readable file", path);
	free(err);
    }

    pat_list_free(&list, syntax->free_expr);
    strmap_free(&pc.by_key, NULL);
    free(pc.rules);
    free(pc.blocks);
    free(pc.catch_all);
}
