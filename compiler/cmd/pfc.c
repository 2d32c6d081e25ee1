/* pfc - the command-line front end: dispatch to one subcommand */
#ifdef HAVE_CONFIG_H
#include "build_config.h"	/* autoconf's: PACKAGE_VERSION */
#endif
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "diag.h"
#include "help.h"
#include "sysroot.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* The commands; their summaries and usage are in help.c. */
static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"conf", cmd_conf},
    {"map", cmd_map},
    {"alias", cmd_alias},
    {"newaliases", cmd_newaliases},
    {"lookup", cmd_lookup},
    {"check", cmd_check},
    {"build", cmd_build},
    {"dump", cmd_dump},
    {"diff", cmd_diff},
    {"verify", cmd_verify},
    {"query", cmd_query},
    {"trace", cmd_trace},
    {"test", cmd_test},
    {"queue", cmd_queue},
    {"sendmail", cmd_sendmail},
};


/* help - "pfc help [command]" */
static int help(int argc, char **argv)
{
    if (argc < 2) {
	help_print_commands(stdout);
	return 0;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
	help_print(stdout, "help");
	return 0;
    }
    if (argv[1][0] == '-')
	return help_arg_error("help", "unknown option", argv[1], 2);
    if (argc > 2)
	return help_arg_error("help", "unexpected argument", argv[2], 2);
    if (help_find(argv[1]) == NULL) {
	fprintf(stderr, "pfc: help: unknown command '%s'; 'pfc help' lists the commands\n",
		argv[1]);
	return 2;
    }
    help_print(stdout, argv[1]);
    return 0;
}

/* wants_help - "pfc CMD --help", or -h where -h is no option of CMD */
static int wants_help(const char *name, int argc, char **argv)
{
    return argc >= 2 && (strcmp(argv[1], "--help") == 0
			 || (strcmp(argv[1], "-h") == 0 && !help_find(name)->h_is_option));
}

int main(int argc, char **argv)
{
    diag_set_program("pfc");
    /* Installed as /usr/sbin/sendmail or mailq (a link to pfc), it is that command. */
    const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    if (strcmp(base, "sendmail") == 0 || strcmp(base, "mailq") == 0) {
	int sub_argc = sysroot_take_option(argc, argv);
	return sub_argc < 0 ? 2 : cmd_sendmail(sub_argc, argv);
    }
    if (argc < 2) {
	help_print_commands(stderr);
	return 2;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
	help_print_commands(stdout);
	return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
	printf("pfc %s\n", PACKAGE_VERSION);
	return 0;
    }
    if (strcmp(argv[1], "help") == 0)
	return help(argc - 1, argv + 1);
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
	if (strcmp(argv[1], commands[i].name) == 0) {
	    /* --root DIR applies to every command, wherever it is given. */
	    int sub_argc = sysroot_take_option(argc - 1, argv + 1);
	    if (sub_argc < 0)
		return 2;
	    if (wants_help(commands[i].name, sub_argc, argv + 1)) {
		help_print(stdout, commands[i].name);
		return 0;
	    }
	    return commands[i].run(sub_argc, argv + 1);
	}
    }
    if (argv[1][0] == '-')
	fprintf(stderr, "pfc: unknown option '%s'; 'pfc help' lists the commands\n", argv[1]);
    else
	fprintf(stderr, "pfc: unknown command '%s'; 'pfc help' lists the commands\n", argv[1]);
    return 2;
}
