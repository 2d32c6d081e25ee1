/* help - the usage text of every pfc command (see help.h) */
#ifdef HAVE_CONFIG_H
#include "build_config.h"	/* autoconf's: PACKAGE_VERSION */
#endif
#include <ctype.h>
#include <getopt.h>
#include <string.h>

#include "diag.h"
#include "help.h"

#ifndef PACKAGE_VERSION
#define PACKAGE_VERSION "unknown"
#endif

/* What every command takes; the dispatcher handles it (sysroot.h). */
#define ROOT_OPTION "--root dir\ttake every absolute path under dir, as a sysroot\n"
#define HELP_LINE "-h, --help\tprint this help and exit\n"
#define LONG_HELP_LINE "--help\tprint this help and exit\n"	/* -h is an option */
/* What pfc map and pfc alias share (tablecmd.c). */
#define TABLE_OPTIONS \
    "-c config_dir\tread main.cf from config_dir\n" \
    "-d key\tdelete key from each table; - reads keys from stdin\n" \
    "-f\tdo not fold keys to lower case\n" \
    "-i\tadd the entries read from stdin to an existing table\n" \
    "-n\tkeys and values without a terminating NUL\n" \
    "-N\tkeys and values with a terminating NUL\n" \
    "-o\taccepted, and ignored: pfc never changes a table's owner\n" \
    "-p\tdo not give the table the mode of its source file\n" \
    "-q key\tlook key up in the tables; - reads keys from stdin\n" \
    "-r\ta duplicate key replaces the earlier entry\n" \
    "-s\tlist every entry of the first table\n" \
    "-u\tno UTF-8 handling of keys (smtputf8_enable)\n" \
    "-v\taccepted, and ignored\n" \
    "-w\ta duplicate key is ignored without a warning\n" \
    "--replace-foreign\treplace a table file pfc did not write (a Berkeley DB .db, ...)\n"

const struct command_help help_commands[] = {
    {"conf", "show main.cf and master.cf settings, as postconf(1)",
     "pfc conf [-dfhHnpvx] [-C class] [-c config_dir] [-o name=value] [parameter ...]\n"
     "pfc conf [-fvx] [-c config_dir] [-o name=value] -M [service[/type] ...]\n"
     "pfc conf [-fhHvx] [-c config_dir] [-o name=value] -F [service[/type[/field]] ...]\n"
     "pfc conf [-fhHvx] [-c config_dir] [-o name=value] -P [service[/type[/name]] ...]\n",
     "-c config_dir\tread main.cf and master.cf from config_dir\n"
     "-C class\twithout parameter names: only these classes (builtin, service, user, all)\n"
     "-d\tprint default values, ignoring main.cf\n"
     "-f\tfold long lines at 80 columns\n"
     "-F\tprint master.cf entries field by field\n"
     "-h\tprint values only, without names\n"
     "-H\tprint names only, without values\n"
     "-M\tprint master.cf entries\n"
     "-n\tprint only the parameters that main.cf sets\n"
     "-o name=value\toverride a main.cf value for this run; may be repeated\n"
     "-p\tprint main.cf parameters (the default)\n"
     "-P\tprint the -o overrides of master.cf entries\n"
     "-v\taccepted, and ignored\n"
     "-x\texpand $name in the values printed\n"
     LONG_HELP_LINE ROOT_OPTION
     "-a -A -b -e -l -m -t -T mode -X -#\tpostconf's, refused: pfc conf does not edit files\n",
     1},
    {"map", "build and query lookup tables, as postmap(1)",
     "pfc map [-bfhimnNoprsuvw] [--replace-foreign] [-c config_dir] [-d key] [-q key] [map_type:]file...\n",
     TABLE_OPTIONS
     "-b\twith -q -: look up the body lines of a message, as body_checks\n"
     "-h\twith -q -: look up the headers of a message, as header_checks\n"
     "-m\twith -b or -h: MIME processing of the message\n"
     LONG_HELP_LINE ROOT_OPTION
     "-F -U\tpostmap's, refused\n",
     1},
    {"alias", "build and query aliases(5) tables, as postalias(1)",
     "pfc alias [-Nfinoprsuvw] [-c config_dir] [-d key] [-q key] [map_type:]file...\n",
     TABLE_OPTIONS HELP_LINE ROOT_OPTION,
     0},
    {"newaliases", "rebuild every alias_database table, as newaliases(1)",
     "pfc newaliases [-v] [-C config_dir] [-c config_dir] [-oAtype:file]\n",
     "-C config_dir\tread main.cf from config_dir (or from the main.cf named)\n"
     "-c config_dir\tthe same\n"
     "-oAtype:file\tbuild this table instead of those of alias_database\n"
     "-o other\taccepted, and ignored, as sendmail does\n"
     "-v\taccepted, and ignored\n"
     "--replace-foreign\treplace a table file pfc did not write\n"
     HELP_LINE ROOT_OPTION,
     0},
    {"lookup", "show Postfix's lookup order for a parameter and a key",
     "pfc lookup [-c config_dir] [--client=name[addr]] [--helo=name] [--sender=addr]\n"
     "           [--recipient=addr] [--etrn=domain] [--sasl=login] [--ccert=fingerprint]\n"
     "           parameter [key]\n",
     "-c config_dir\tread main.cf from config_dir\n"
     "--client=name[addr]\tthe SMTP client, for the smtpd restriction lists\n"
     "--helo=name\tthe HELO or EHLO name\n"
     "--sender=addr\tthe envelope sender (<> for the null sender)\n"
     "--recipient=addr\tthe envelope recipient\n"
     "--etrn=domain\tthe ETRN domain\n"
     "--sasl=login\tthe SASL login name\n"
     "--ccert=fingerprint\tthe client certificate fingerprint\n"
     HELP_LINE ROOT_OPTION,
     0},
    {"check", "lint main.cf, master.cf and every table they name",
     "pfc check [-c config_dir] [--root dir] [--format text|json|sarif|github] [-v|--notes] [--werror] [-W rule] [-Wno-rule] [--list-rules]\n",
     "-c config_dir\tread main.cf and master.cf from config_dir\n"
     "--format format\tthe report: text (the default), json, sarif or github\n"
     "-v, --notes\tprint the notes too (text and github; json and sarif hold them always)\n"
     "--werror\ttreat warnings as errors\n"
     "-W rule\tturn a rule on\n"
     "-Wno-rule\tturn a rule off\n"
     "--list-rules\tlist the rules, their levels and summaries, and exit\n"
     HELP_LINE ROOT_OPTION,
     0},
    {"build", "compile the configuration into a policy image (.pfi)",
     "pfc build [-c config_dir] [--root dir] -o policy.pfi\n",
     "-c config_dir\tread main.cf and master.cf from config_dir\n"
     "-o policy.pfi\twrite the image here (atomically)\n"
     HELP_LINE ROOT_OPTION,
     0},
    {"dump", "print a policy image as canonical, sorted text",
     "pfc dump [--policy] [--host] image\n",
     "--policy\tonly what decides mail: no source manifest\n"
     "--host\tthe HOST section: what the image was built from, on which host\n"
     HELP_LINE ROOT_OPTION,
     0},
    {"diff", "show what changes between two images or configurations",
     "pfc diff [--root dir] image|config_dir image|config_dir\n",
     HELP_LINE ROOT_OPTION,
     0},
    {"verify", "verify a policy image as pfcd does before it trusts one",
     "pfc verify policy.pfi...\n",
     HELP_LINE ROOT_OPTION,
     0},
    {"query", "look keys up in a table of a policy image, as pfc map -q",
     "pfc query policy.pfi TABLE KEY\n"
     "pfc query policy.pfi TABLE - (keys on standard input)\n",
     HELP_LINE ROOT_OPTION,
     0},
    {"trace", "answer an SMTP session from a policy image, as smtpd would, and say why",
     "pfc trace policy.pfi [--service name] [--client addr[,name]] [--sasl user] [--dns server]\n"
     "          [--explain] [--pipeline] [--format text|json] < session\n"
     "pfc trace policy.pfi [options] [--helo name] [--from addr] --to addr [--to addr ...]\n"
     "          [--message file]\n"
     "pfc trace policy.pfi [--service name] [--sasl user] [--dns server] [--explain]\n"
     "          --envelopes < envelopes\n",
     "--service name\tthe master.cf service whose overrides apply, name or name/type\n"
     "\t(default: the first inet service that runs smtpd)\n"
     "--client addr[,name]\tthe SMTP client's address and name (default: 127.0.0.1,localhost)\n"
     "--sasl user\tthe client has logged in with SASL as user\n"
     "--dns server\tthe DNS server of the DNS-based checks (address[:port]), or system:\n"
     "\tresolv.conf's; default: none, every DNS lookup fails temporarily\n"
     "--explain\tthe reasons on standard output, between the replies\n"
     "--pipeline\tsend the rest of the session at once after the first EHLO or HELO\n"
     "--format format\ttext (the default), or json: one object with the replies and reasons\n"
     "--helo name\tthe session is made from these: EHLO name (default: client.example),\n"
     "--from addr\tMAIL FROM (default, and <>: the null sender),\n"
     "--to addr\tRCPT TO, at least one; may be repeated,\n"
     "--message file\tthe message after DATA (default: a Subject: line and a body line)\n"
     "--envelopes\tone envelope a line (client[,name] helo sender recipient): the answer\n"
     "\tof the RCPT stage a line, from the restrictions alone\n"
     HELP_LINE ROOT_OPTION,
     0},
    {"test", "run pfc-test(5) cases against a policy image",
     "pfc test [--service name] [--dns server] [-v] policy.pfi cases...\n",
     "--service name\tthe service of the cases that name none (default: the first inet\n"
     "\tservice that runs smtpd)\n"
     "--dns server\tthe DNS server of the DNS-based checks (address[:port]), or system;\n"
     "\tdefault: none, every DNS lookup fails temporarily\n"
     "-v\taccepted, and ignored\n"
     HELP_LINE ROOT_OPTION,
     0},
    {"queue", "list and change pfcd's mail queue, as postqueue(1) and postsuper(1)",
     "pfc queue [--log=where] policy.pfi|--queue-directory dir list [--json]\n"
     "pfc queue [--log=where] policy.pfi|--queue-directory dir flush\n"
     "pfc queue [--log=where] policy.pfi|--queue-directory dir delete|hold|release|requeue\n"
     "          queue_id...|ALL|- [queue...]\n"
     "pfc queue [-c config_dir] -p|-j|-f\n",
     "--queue-directory dir\tthe queue in dir (without an image: Postfix's defaults)\n"
     "--log=where\tthe log lines of changes: syslog (the default), stderr or a file\n"
     "list\tthe queue as postqueue -p shows it; --json: as postqueue -j\n"
     "flush\tretry every deferred message now, as postqueue -f\n"
     "delete\tremove messages, as postsuper -d\n"
     "hold\tput messages on hold, as postsuper -h\n"
     "release\trelease messages from hold, as postsuper -H\n"
     "requeue\tqueue messages again as new, as postsuper -r\n"
     "queue_id, ALL, -\tone message, every message, the IDs on standard input (one a line)\n"
     "queue\tincoming, active, deferred or hold: only these (default: all four)\n"
     "-p, -j, -f\tpostqueue's: list, list --json, flush; of config_dir/policy.pfi (-c),\n"
     "\telse of $MAIL_CONFIG/policy.pfi or /etc/postfix/policy.pfi\n"
     HELP_LINE ROOT_OPTION,
     0},
    {"sendmail", "submit mail to pfcd as Postfix's sendmail(1) does (also as sendmail, mailq)",
     "pfc sendmail [options] [recipient ...] < message\n"
     "pfc sendmail -bs [options]\n",
     "-t\ttake recipients from the To, Cc and Bcc headers too (Bcc is removed)\n"
     "-f sender\tthe envelope sender (default: the login name)\n"
     "-F name\tthe sender's full name (default: $NAME, or the GECOS field)\n"
     "-i, -oi\ta line with a single dot does not end the message\n"
     "-N notify\tDSN NOTIFY: never, or success, failure, delay\n"
     "-C path\tthe policy image, or the directory of policy.pfi (default: $MAIL_CONFIG,\n"
     "\telse /etc/postfix)\n"
     "-bm\tsubmit a message (the default)\n"
     "-bs\tan SMTP session on standard input and output, as smtpd's stand-alone mode\n"
     "-bp, -q\tlist or flush the queue (pfc queue)\n"
     "-bv\trefused: address verification reports are not implemented\n"
     "-oX\tsendmail's other options: accepted, and ignored, as Postfix does\n"
     LONG_HELP_LINE ROOT_OPTION,
     1},
    {"help", "show the usage and the options of a command",
     "pfc help [command]\n",
     HELP_LINE,
     0},
};

const size_t help_command_count = sizeof(help_commands) / sizeof(help_commands[0]);

const struct option help_long_options[] = {
    {"help", no_argument, NULL, HELP_OPTION},
    {NULL, 0, NULL, 0},
};

const struct command_help *help_find(const char *name)
{
    for (size_t i = 0; i < help_command_count; i++)
	if (strcmp(help_commands[i].name, name) == 0)
	    return &help_commands[i];
    return NULL;
}

const char *help_usage_line(const char *name)
{
    static char line[256];
    const char *usage = help_find(name)->usage;
    size_t len = strcspn(usage, "\n");

    if (len >= sizeof(line))
	len = sizeof(line) - 1;
    memcpy(line, usage, len);
    line[len] = 0;
    return line;
}

void help_print_usage(FILE *fp, const char *name)
{
    const char *cp = help_find(name)->usage;

    for (const char *prefix = "usage: "; *cp; prefix = "       ") {
	size_t len = strcspn(cp, "\n");
	fprintf(fp, "%s%.*s\n", prefix, (int) len, cp);
	cp += len + (cp[len] == '\n');
    }
}

void help_print(FILE *fp, const char *name)
{
    const struct command_help *h = help_find(name);

    help_print_usage(fp, name);
    fprintf(fp, "\n%c%s.\n\noptions:\n", toupper((unsigned char) h->summary[0]),
	    h->summary + 1);
    for (const char *cp = h->options; *cp;) {
	size_t len = strcspn(cp, "\n"), tab = strcspn(cp, "\t");
	const char *text = tab < len ? cp + tab + 1 : "";
	int text_len = tab < len ? (int) (len - tab - 1) : 0;
	/* A long option gets its text on a line of its own. */
	if (tab > 18)
	    fprintf(fp, "  %.*s\n  %-18s %.*s\n", (int) tab, cp, "", text_len, text);
	else
	    fprintf(fp, "  %-18.*s %.*s\n", (int) tab, cp, text_len, text);
	cp += len + (cp[len] == '\n');
    }
    fprintf(fp, "\nSee pfc(1).\n");
}

void help_print_commands(FILE *fp)
{
    fprintf(fp, "usage: pfc command [options]\n"
	    "       pfc help [command]\n"
	    "       pfc command --help\n"
	    "       pfc --version\n\ncommands:\n");
    for (size_t i = 0; i < help_command_count; i++)
	fprintf(fp, "  %-11s %s\n", help_commands[i].name, help_commands[i].summary);
    fprintf(fp, "\nEvery command takes --root dir. See pfc(1). pfc %s\n", PACKAGE_VERSION);
}

int help_arg_error(const char *name, const char *what, const char *arg, int status)
{
    fprintf(stderr, "%s: %s: %s '%s'; see '%s help %s'\n", diag_program(), name, what,
	    arg, diag_program(), name);
    return status;
}

int help_option_error(const char *name, int ch, char *const *argv, int status)
{
    char opt[3] = { '-', (char) optopt, 0 };
    /* A letter, or a long option: the argument getopt() has moved past. */
    const char *arg = optopt > ' ' && optopt < 127 ? opt : argv[optind - 1];

    if (ch == ':')
	return help_arg_error(name, "missing value for option", arg, status);
    return help_arg_error(name, "unknown option", arg, status);
}
