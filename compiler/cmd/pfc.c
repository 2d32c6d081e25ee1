/* pfc - the command-line front end: dispatch to one subcommand */
#ifdef HAVE_CONFIG_H
#include "build_config.h"	/* autoconf's: PACKAGE_VERSION */
#endif
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "diag.h"
#include "sysroot.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} commands[] = {
    {"conf", cmd_conf, "show main.cf and master.cf settings, as postconf(1)"},
    {"map", cmd_map, "build and query lookup tables, as postmap(1)"},
    {"alias", cmd_alias, "build and query aliases(5) tables, as postalias(1)"},
    {"newaliases", cmd_newaliases, "rebuild every alias_database table, as newaliases(1)"},
    {"lookup", cmd_lookup, "show Postfix's lookup order for a parameter and a key"},
    {"check", cmd_check, "lint main.cf, master.cf and every table they name"},
    {"build", cmd_build, "compile the configuration into a policy image (.pfi)"},
    {"dump", cmd_dump, "print a policy image as canonical, sorted text"},
    {"diff", cmd_diff, "show what changes between two images or configurations"},
    {"verify", cmd_verify, "verify a policy image as pfcd does before it trusts one"},
    {"query", cmd_query, "look keys up in a table of a policy image, as pfc map -q"},
    {"trace", cmd_trace, "answer an SMTP session from a policy image, as smtpd would, and say why"},
    {"test", cmd_test, "run pfc-test(5) cases against a policy image"},
};

/* Commands of pfc's design that this release does not have yet. */
static const char *const planned[] = {
    "sendmail", "queue",
};

static int usage(FILE *fp)
{
    fprintf(fp, "usage: pfc COMMAND [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
	fprintf(fp, "  %-11s %s\n", commands[i].name, commands[i].summary);
    fprintf(fp, "\nSee pfc(1). pfc %s\n", PACKAGE_VERSION);
    return 2;
}

int main(int argc, char **argv)
{
    diag_set_program("pfc");
    if (argc < 2)
	return usage(stderr);
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
	usage(stdout);
	return 0;
    }
    if (strcmp(argv[1], "--version") == 0) {
	printf("pfc %s\n", PACKAGE_VERSION);
	return 0;
    }
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
	if (strcmp(argv[1], commands[i].name) == 0) {
	    /* --root DIR applies to every command, wherever it is given. */
	    int sub_argc = sysroot_take_option(argc - 1, argv + 1);
	    if (sub_argc < 0)
		return 2;
	    return commands[i].run(sub_argc, argv + 1);
	}
    }
    for (size_t i = 0; i < sizeof(planned) / sizeof(planned[0]); i++) {
	if (strcmp(argv[1], planned[i]) == 0) {
	    fprintf(stderr, "pfc: '%s' is not in this release of pfc; "
		    "see 'pfc --help' for the commands it has\n", argv[1]);
	    return 2;
	}
    }
    fprintf(stderr, "pfc: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
