/*
 * cmd_check - "pfc check [-c config_dir] [--format F] [-W rule] ...": the
 * linter (compiler/lint) over the model of one configuration, its
 * findings on standard output; exit 1 when one is an error, 2 on a usage
 * or I/O failure.
 */
#include <errno.h>
#include <getopt.h>
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
    enum { OPT_FORMAT = 256, OPT_WERROR, OPT_NOTES, OPT_LIST_RULES };
    static const struct option longopts[] = {
	{"help", no_argument, NULL, HELP_OPTION},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"werror", no_argument, NULL, OPT_WERROR},
	{"notes", no_argument, NULL, OPT_NOTES},
	{"list-rules", no_argument, NULL, OPT_LIST_RULES},
	{NULL, 0, NULL, 0},
    };
    int opt;
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":c:hvW:", longopts, NULL)) != -1) {
	switch (opt) {
	case 'c':
	    dir = optarg;
	    break;
	case OPT_FORMAT:
	    format = optarg;
	    break;
	case OPT_WERROR:
	    cx.werror = 1;
	    break;
	case 'v':
	case OPT_NOTES:
	    check_set_show_notes(1);
	    break;
	case 'W':
	    if (set_rule(&cx, optarg) < 0)
		status = 2;
	    break;
	case OPT_LIST_RULES:
	    list_rules();
	    check_free(&cx);
	    return 0;
	case 'h':
	case HELP_OPTION:
	    help_print(stdout, "check");
	    check_free(&cx);
	    return 0;
	default:
	    check_free(&cx);
	    return help_option_error("check", opt, argv, 2);
	}
    }
    if (optind < argc) {
	check_free(&cx);
	return help_arg_error("check", "unexpected argument", argv[optind], 2);
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
