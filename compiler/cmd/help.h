/*
 * help - the usage text of every pfc command, in one place. "pfc help",
 * "pfc help COMMAND" and "pfc COMMAND --help" print it on standard output;
 * a command's usage errors print its usage lines, the same text, on
 * standard error; an unknown option gets one line that names "pfc help".
 */
#ifndef PFC_HELP_H
#define PFC_HELP_H

#include <getopt.h>
#include <stdio.h>

struct command_help {
    const char *name;
    const char *summary;	/* one line, for the list of commands */
    const char *usage;		/* the synopsis, one form a line */
    const char *options;	/* one option a line: "-x arg\twhat it does" */
    int h_is_option;		/* -h means something else than help */
};

extern const struct command_help help_commands[];
extern const size_t help_command_count;

/* HELP_OPTION - getopt_long()'s value for --help */
#define HELP_OPTION 0x4000
/* help_long_options - for getopt_long(): --help alone */
extern const struct option help_long_options[];

/* help_find - the help of a command, or NULL */
const struct command_help *help_find(const char *name);

/* help_usage_line - the first synopsis line, for "usage: %s" messages */
const char *help_usage_line(const char *name);

/* help_print_usage - "usage: " and the synopsis lines */
void help_print_usage(FILE *fp, const char *name);

/* help_print - the usage, the summary and the options of a command */
void help_print(FILE *fp, const char *name);

/* help_print_commands - pfc's own usage and the list of commands */
void help_print_commands(FILE *fp);

/*
 * help_option_error - one line for an option getopt() refused (ch '?' or
 * ':', optopt and optind as getopt left them): "pfc: CMD: unknown option
 * '-Z'; see 'pfc help CMD'". Returns status, the command's exit status
 * for a usage error.
 */
int help_option_error(const char *name, int ch, char *const *argv, int status);

/* help_arg_error - the same for a hand-parsed argument: "pfc: CMD: WHAT 'ARG'; see ..." */
int help_arg_error(const char *name, const char *what, const char *arg, int status);

#endif
