/*
 * cmd_check - "pfc check [-c config_dir] [--format F] [-W rule] ...": the
 * linter (compiler/lint) over the model of one configuration, its
 * findings on standard output; exit 1 when one is an error, 2 on a usage
 * or I/O failure.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "commands.h"
#include "diag.h"
#include "help.h"
#include "model.h"

static int usage(void)
{
    help_print_usage(stderr, "check");
    return 2;
}

/* set_rule - -W RULE (on) or -Wno-RULE (off); -1 for an unknown rule */
static int set_rule(struct check *cx, const char *arg)
{
    if (check_set_rule(cx, arg) == 0)
	return 0;
    fprintf(stderr, "pfc: check: unknown rule '%s'; 'pfc check --list-rules' lists them\n",
	    strncmp(arg, "no-", 3) == 0 ? arg + 3 : arg);
    return -1;
}

static void list_rules(void)
{
    static const char *const level[] = { "note", "warning", "error" };

    for (size_t i = 0; i < check_rules_count; i++)
	printf("%-24s %-8s %s\n", check_rules[i].id, level[check_rules[i].severity],
	       check_rules[i].summary);
}

int cmd_check(int argc, char **argv)
{
    struct check cx;
    struct model m;
    const char *format = "text";
    const char *dir = NULL;
    int status = 0;

    /* An internal failure must not read as "the configuration has errors". */
    diag_set_fatal_status(2);
    check_init(&cx);
    for (int i = 1; i < argc; i++) {
	const char *arg = argv[i];
	if (strcmp(arg, "-c") == 0 && i + 1 < argc) {
	    dir = argv[++i];
	} else if (strncmp(arg, "-c", 2) == 0 && arg[2] != 0) {
	    dir = arg + 2;
	} else if (strcmp(arg, "--format") == 0 && i + 1 < argc) {
	    format = argv[++i];
	} else if (strncmp(arg, "--format=", 9) == 0) {
	    format = arg + 9;
	} else if (strcmp(arg, "--werror") == 0) {
	    cx.werror = 1;
	} else if (strcmp(arg, "-v") == 0 || strcmp(arg, "--notes") == 0) {
	    check_set_show_notes(1);
	} else if (strcmp(arg, "-W") == 0 && i + 1 < argc) {
	    if (set_rule(&cx, argv[++i]) < 0)
		status = 2;
	} else if (strncmp(arg, "-W", 2) == 0 && arg[2] != 0) {
	    if (set_rule(&cx, arg + 2) < 0)
		status = 2;
	} else if (strcmp(arg, "--list-rules") == 0) {
	    list_rules();
	    check_free(&cx);
	    return 0;
	} else {
	    fprintf(stderr, "pfc: check: unknown option or argument '%s'\n", arg);
	    status = 2;
	}
    }
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0
	&& strcmp(format, "sarif") != 0 && strcmp(format, "github") != 0) {
	fprintf(stderr, "pfc: check: unknown format '%s' (text, json, sarif or github)\n",
		format);
	status = 2;
    }
    if (status != 0) {
	check_free(&cx);
	return usage();
    }
    if (check_load(&cx, &m, dir) < 0) {
	check_free(&cx);
	model_free(&m);
	return 2;
    }
    check_run(&cx, CHECK_FOR_POSTFIX);
    check_print(&cx, format, stdout);
    if (check_errors(&cx) > 0)
	status = 1;
    if (fflush(stdout) != 0 || ferror(stdout)) {
	fprintf(stderr, "pfc: check: write error on standard output: %s\n", strerror(errno));
	status = 2;
    }
    check_free(&cx);
    model_free(&m);
    return status;
}
