/*
 * check_rules - every rule of pfc check: its stable id, default severity
 * and one-line summary. pfc-check(7) documents each one with an example
 * (tests/cli/check-manpage.sh runs them); keep the two in step.
 */
#include <string.h>

#include "check.h"

const struct check_rule check_rules[] = {
    /* main.cf syntax and parameter names (check_params.c) */
    {"main-syntax", CHECK_ERROR, "a main.cf line that is not name = value"},
    {"leading-whitespace", CHECK_WARNING, "a main.cf line that starts with whitespace is ignored"},
    {"overriding-entry", CHECK_WARNING, "a parameter set twice in main.cf; the last one wins"},
    {"unknown-parameter", CHECK_ERROR, "a parameter name Postfix does not know, close to one it does"},
    {"unused-parameter", CHECK_WARNING, "a parameter Postfix does not know and nothing uses"},
    {"newer-parameter", CHECK_WARNING, "a parameter that only a newer Postfix knows"},
    {"undefined-variable", CHECK_WARNING, "$name of a parameter that is not defined"},
    {"expansion-syntax", CHECK_ERROR, "a $name expression Postfix cannot expand"},
    {"expansion-nesting", CHECK_ERROR, "$name references that loop or nest over 100 deep: Postfix stops"},
    {"template-placeholder", CHECK_ERROR, "an unrendered template placeholder ({{ x }}, {% x %}, ${X})"},
    {"glued-line", CHECK_ERROR, "two settings run together on one line"},
    /* value types (check_params.c) */
    {"bad-boolean", CHECK_ERROR, "a boolean parameter that is not yes or no"},
    {"bad-number", CHECK_ERROR, "an integer parameter that is not a number"},
    {"out-of-range", CHECK_ERROR, "a number outside the bounds Postfix allows"},
    {"bad-time", CHECK_ERROR, "a time parameter that is not a number with a unit (s, m, h, d, w)"},
    {"time-units", CHECK_WARNING, "a time with more than one unit: Postfix reads only the first"},
    {"bad-size", CHECK_ERROR, "a size parameter that is not a number of bytes"},
    {"bad-enum", CHECK_ERROR, "a value outside the parameter's set of choices"},
    {"address-class-overlap", CHECK_WARNING, "a domain listed in two address classes"},
    {"bad-hostname", CHECK_ERROR, "myhostname or mydomain is not a valid host name: Postfix stops"},
    {"parameter-file", CHECK_ERROR, "a file a parameter names (myorigin = /etc/mailname) is missing or empty"},
    /* smtpd restriction lists (check_restrictions.c) */
    {"unknown-restriction", CHECK_ERROR, "a restriction name the SMTP server does not know"},
    {"restriction-argument", CHECK_ERROR, "a restriction without the argument it needs, or with a wrong one"},
    {"undefined-class", CHECK_ERROR, "a restriction class used but not defined"},
    {"class-cycle", CHECK_ERROR, "restriction classes that name each other: smtpd recurses until it crashes"},
    {"unreachable-restriction", CHECK_WARNING, "a restriction after permit or reject that can never run"},
    {"relay-guard", CHECK_ERROR, "no reject_unauth_destination (or equivalent): Postfix refuses to start"},
    {"rbl-domain-missing", CHECK_ERROR, "a DNS list restriction without the list's domain"},
    /* tables (check_tables.c) */
    {"unknown-table-type", CHECK_ERROR, "a table type Postfix does not know"},
    {"unsupported-table-type", CHECK_NOTE, "a table type pfc cannot read, so cannot check"},
    {"table-source-missing", CHECK_ERROR, "the source file of a table does not exist"},
    {"db-missing", CHECK_ERROR, "an indexed table (hash, btree) that was never built"},
    {"db-stale", CHECK_ERROR, "an indexed table built from a different source than the one beside it"},
    {"db-foreign", CHECK_WARNING, "an indexed table pfc did not build, so its freshness is unknown"},
    {"db-unreadable", CHECK_ERROR, "an indexed table without its source whose .db pfc cannot read"},
    {"table-kind-mismatch", CHECK_ERROR, "an exact-match table where patterns are needed, or the reverse"},
    {"alias-database-mismatch", CHECK_WARNING, "an aliases file in alias_maps that alias_database does not build"},
    {"table-syntax", CHECK_WARNING, "a table source line that postmap warns about"},
    {"aliases-format", CHECK_WARNING, "an aliases(5) file (name: value) read as a postmap table: no key matches"},
    {"relative-path", CHECK_WARNING, "a table named by a relative path, which Postfix daemons resolve elsewhere"},
    {"root-escape", CHECK_ERROR, "a file of the configuration that leads outside --root"},
    /* regexp and pcre tables (check_patterns.c) */
    {"regex-syntax", CHECK_ERROR, "a regular expression that does not compile"},
    {"regexp-pcre-syntax", CHECK_ERROR, "PCRE-only syntax in a regexp: (POSIX) table"},
    {"unknown-action", CHECK_ERROR, "a header_checks or body_checks action that does not exist"},
    {"substitution-range", CHECK_ERROR, "$n beyond the pattern's parenthesized groups"},
    {"shadowed-rule", CHECK_WARNING, "a rule that can never match: an earlier rule always matches first"},
    {"indented-if", CHECK_WARNING, "an indented line inside if/endif, joined to the line before"},
    {"pattern-syntax", CHECK_WARNING, "a regexp or pcre table line that Postfix ignores"},
    /* master.cf (check_master.c) */
    {"master-missing", CHECK_ERROR, "master.cf does not exist"},
    {"master-syntax", CHECK_ERROR, "a master.cf entry Postfix refuses"},
    {"master-options", CHECK_WARNING, "a master.cf option postconf warns about"},
    {"duplicate-service", CHECK_WARNING, "two master.cf entries for the same service"},
    {"override-shadows", CHECK_NOTE, "a -o override that replaces a main.cf setting"},
    {"override-unknown", CHECK_WARNING, "a -o override of a parameter Postfix does not know"},
    {"undefined-transport", CHECK_ERROR, "a transport named in main.cf or a table that master.cf does not define"},
    {"orphaned-override", CHECK_WARNING, "-o lines after a commented-out service attach to the service before"},
};

const size_t check_rules_count = sizeof(check_rules) / sizeof(check_rules[0]);

const struct check_rule *check_rule_find(const char *id)
{
    for (size_t i = 0; i < check_rules_count; i++)
	if (strcmp(check_rules[i].id, id) == 0)
	    return &check_rules[i];
    return NULL;
}
