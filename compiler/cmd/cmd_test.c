/*
 * test - "pfc test POLICY.pfi CASES...": run the cases of pfc-test(5)
 * files against an image: each case is an SMTP conversation (a client,
 * commands, a message) with expectations about the replies, the
 * restriction that decided, the route of a recipient and the header or
 * body checks that fired. Every failure is listed with what happened
 * instead (the trace of that command); the last line is "N passed, N
 * failed". Exit 0 when every case passed, 1 when one failed, 2 for a
 * usage error, an unreadable or malformed case file or a bad image.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "help.h"
#include "hostaddr.h"
#include "restriction.h"
#include "session_run.h"
#include "strbuf.h"
#include "xalloc.h"

#define EXIT_PASS	0
#define EXIT_FAIL	1
#define EXIT_USAGE	2

/* The longest line of a case file. */
#define CASE_LINE_MAX	65536

static int usage(void)
{
    help_print_usage(stderr, "test");
    return EXIT_USAGE;
}

/*
 * The image opened once for each service a case asks for: the first is
 * the default service (--service, else the first inet smtpd).
 */
struct runs {
    const char *image, *dns;
    size_t count;
    char **services;
    struct session_run **runs;
};

/* runs_get - the run for service (NULL: the default); NULL with *err */
static struct session_run *runs_get(struct runs *rs, const char *service, char **err)
{
    for (size_t i = 0; i < rs->count; i++)
	if (service == NULL ? i == 0
	    : rs->services[i] != NULL && strcmp(rs->services[i], service) == 0)
	    return rs->runs[i];
    struct session_run *run = session_run_open(rs->image, service, rs->dns, err);
    if (run == NULL)
	return NULL;
    rs->services = xrealloc(rs->services, (rs->count + 1) * sizeof(*rs->services));
    rs->runs = xrealloc(rs->runs, (rs->count + 1) * sizeof(*rs->runs));
    rs->services[rs->count] = service ? xstrdup(service) : NULL;
    rs->runs[rs->count++] = run;
    return run;
}

static void runs_close(struct runs *rs)
{
    for (size_t i = 0; i < rs->count; i++) {
	session_run_close(rs->runs[i]);
	free(rs->services[i]);
    }
    free(rs->runs);
    free(rs->services);
}

/* One case being run. */
struct test_case {
    const char *file;
    int line;			/* where "test" is */
    char *name;
    struct runs *runs;
    struct session_run *run;	/* the run of the case's service */
    int started, failed, hungup;
    char *client_addr, *client_name, *sasl;
    struct strbuf replies;	/* the replies to the last command */
    struct strbuf last_command;
    struct strbuf log;		/* the whole conversation, for a failure's report */
};

/* last_reply - the final line of the last command's replies (no CRLF) */
static const char *last_reply(struct test_case *tc, struct strbuf *buf)
{
    const char *text = sb_str(&tc->replies);
    size_t len = tc->replies.len;

    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r'))
	len--;
    size_t start = len;
    while (start > 0 && text[start - 1] != '\n')
	start--;
    sb_reset(buf);
    sb_addn(buf, text + start, len - start);
    return sb_str(buf);
}

static void start(struct test_case *tc)
{
    if (tc->started)
	return;
    sb_reset(&tc->replies);
    session_run_start(tc->run, tc->client_addr ? tc->client_addr : "127.0.0.1",
		      tc->client_addr ? tc->client_name : "localhost", tc->sasl, NULL,
		      &tc->replies);
    sb_adds(&tc->log, sb_str(&tc->replies));
    sb_set(&tc->last_command, "(connect)");
    tc->started = 1;
}

/* send - one client line */
static void send(struct test_case *tc, const char *line)
{
    start(tc);
    sb_reset(&tc->replies);
    sb_set(&tc->last_command, line);
    sb_printf(&tc->log, "> %s\n", line);
    if (tc->hungup) {
	sb_adds(&tc->replies, "(the server had hung up)\r\n");
	return;
    }
    tc->hungup = session_run_line(tc->run, line, &tc->replies);
    sb_adds(&tc->log, sb_str(&tc->replies));
}

/* fail - one failed expectation, with what happened instead */
static void fail(struct test_case *tc, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void fail(struct test_case *tc, int line, const char *fmt, ...)
{
    va_list ap;
    size_t count;

    tc->failed = 1;
    printf("FAIL: %s:%d: test \"%s\": ", tc->file, line, tc->name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n  after: %s\n", sb_str(&tc->last_command));
    const struct run_event *ev = session_run_events(tc->run, &count);
    for (size_t i = 0; i < count; i++)
	printf("  trace: %s\n", ev[i].text);
    printf("  conversation:\n");
    const char *cp = sb_str(&tc->log);
    while (*cp) {
	size_t len = strcspn(cp, "\n");
	printf("    %.*s\n", (int) (len > 0 && cp[len - 1] == '\r' ? len - 1 : len), cp);
	cp += len + (cp[len] == '\n');
    }
}

/* decided_by - the restriction that decided the last command, or "" */
static const char *decided_by(const struct test_case *tc)
{
    size_t count;
    const struct run_event *ev = session_run_events(tc->run, &count);
    const char *decided = "";

    for (size_t i = 0; i < count; i++)
	if (ev[i].kind == EV_RESTRICTION && ev[i].result != NULL
	    && (strcmp(ev[i].result, "reject") == 0 || strcmp(ev[i].result, "permit") == 0))
	    decided = ev[i].op == RESTR_NONE ? ev[i].text : restriction_name(ev[i].op);
    return decided;
}

/*
 * has_event - an event of kind whose text starts with want. A rewritten
 * recipient's route, "addr -> rewritten: class transport:nexthop", is
 * also "addr: class ..." and "rewritten: class ...".
 */
static int has_event(const struct test_case *tc, enum run_event_kind kind, const char *want)
{
    size_t count, len = strlen(want);
    const struct run_event *ev = session_run_events(tc->run, &count);
    struct strbuf alt = STRBUF_INIT;
    int found = 0;

    for (size_t i = 0; i < count && !found; i++) {
	if (ev[i].kind != kind)
	    continue;
	const char *text = ev[i].text;
	const char *arrow = kind == EV_ROUTE ? strstr(text, " -> ") : NULL;
	const char *colon = arrow ? strstr(arrow, ": ") : NULL;
	sb_reset(&alt);
	if (colon != NULL) {
	    sb_addn(&alt, text, (size_t) (arrow - text));
	    sb_adds(&alt, colon);
	}
	found = strncasecmp(text, want, len) == 0
	    || (colon != NULL && (strncasecmp(arrow + 4, want, len) == 0
				  || strncasecmp(sb_str(&alt), want, len) == 0));
    }
    sb_free(&alt);
    return found;
}

static void end_case(struct test_case *tc, int *passed, int *failed)
{
    struct strbuf rest = STRBUF_INIT;

    if (tc->name == NULL)
	return;
    if (tc->started)
	session_run_end(tc->run, &rest);
    if (tc->failed) {
	(*failed)++;
    } else {
	(*passed)++;
	printf("ok - %s: %s\n", tc->file, tc->name);
    }
    sb_free(&rest);
    free(tc->name);
    free(tc->client_addr);
    free(tc->client_name);
    free(tc->sasl);
    sb_free(&tc->replies);
    sb_free(&tc->last_command);
    sb_free(&tc->log);
    struct runs *runs = tc->runs;
    const char *file = tc->file;
    memset(tc, 0, sizeof(*tc));
    tc->runs = runs;
    tc->run = runs->runs[0];
    tc->file = file;
}

/*
 * syntax - a malformed case file: file:line:col and exit 2; the word it
 * names is shown as smtpd's log shows client text, its first 40 bytes.
 */
static int syntax(const char *file, int line, int col, const char *msg, const char *word)
{
    fprintf(stderr, "pfc: test: %s:%d:%d: %s", file, line, col, msg);
    if (word != NULL) {
	size_t len = strlen(word);
	fputs(" \"", stderr);
	session_run_printable(stderr, word, len > 40 ? 40 : len);
	fputs(len > 40 ? "...\"" : "\"", stderr);
    }
    fputc('\n', stderr);
    return -1;
}

/*
 * case_line - the next line of fp into line, without its line end: its
 * length, -1 at the end, -2 for a line that cannot be one (too long, a
 * NUL byte; reported).
 */
static long case_line(FILE *fp, struct strbuf *line, const char *file, int lineno)
{
    int c;

    sb_reset(line);
    while ((c = getc(fp)) != EOF && c != '\n') {
	if (line->len == CASE_LINE_MAX)
	    return syntax(file, lineno, CASE_LINE_MAX + 1, "line longer than 65536 bytes", NULL) - 1;
	if (c == 0)
	    return syntax(file, lineno, (int) line->len + 1, "a NUL byte", NULL) - 1;
	sb_addch(line, (char) c);
    }
    if (c == EOF && line->len == 0)
	return -1;
    while (line->len > 0 && line->s[line->len - 1] == '\r')
	sb_truncate(line, line->len - 1);
    return (long) line->len;
}

/*
 * run_file - every case of one file. Returns 0, or -1 after a syntax
 * error (reported).
 */
static int run_file(struct runs *runs, const char *file, int *passed, int *failed)
{
    FILE *fp = strcmp(file, "-") == 0 ? stdin : fopen(file, "r");
    struct strbuf text = STRBUF_INIT;
    long n;
    int lineno = 0, status = 0, in_data = 0, data_line = 0, send_message = 0;
    struct test_case tc;
    struct strbuf buf = STRBUF_INIT;

    if (fp == NULL) {
	fprintf(stderr, "pfc: test: cannot open %s: %s\n", file, strerror(errno));
	return -1;
    }
    memset(&tc, 0, sizeof(tc));
    tc.runs = runs;
    tc.run = runs->runs[0];
    tc.file = file;
    while (status == 0 && (n = case_line(fp, &text, file, lineno + 1)) >= -1) {
	if (n == -1)
	    break;
	lineno++;
	char *line = text.s ? text.s : (char *) "";
	if (in_data) {
	    /*
	     * The message, up to a line with a lone ".": sent as written
	     * when DATA was answered 354, as a client that listens does.
	     */
	    if (send_message)
		send(&tc, line);
	    if (strcmp(line, ".") == 0)
		in_data = 0;
	    continue;
	}
	char *cp = line + strspn(line, " \t");
	if (*cp == 0 || *cp == '#')
	    continue;
	int col = (int) (cp - line) + 1;
	char *word = cp;
	size_t wlen = strcspn(cp, " \t");
	char *arg = cp + wlen;
	if (*arg)
	    *arg++ = 0;
	arg += strspn(arg, " \t");
	if (strcmp(word, "test") == 0) {
	    end_case(&tc, passed, failed);
	    if (*arg == 0) {
		status = syntax(file, lineno, col, "\"test\" needs a name", NULL);
		break;
	    }
	    tc.name = xstrdup(arg);
	    tc.line = lineno;
	    continue;
	}
	if (tc.name == NULL) {
	    status = syntax(file, lineno, col, "expected \"test NAME\" before", word);
	    break;
	}
	int needs_arg = strcmp(word, "data") != 0 && strcmp(word, "quit") != 0;
	if (needs_arg && *arg == 0) {
	    status = syntax(file, lineno, col, "missing argument after", word);
	    break;
	}
	if (strcmp(word, "client") == 0) {
	    if (tc.started) {
		status = syntax(file, lineno, col, "\"client\" must come before the first command",
				NULL);
		break;
	    }
	    char *name = arg + strcspn(arg, " \t");
	    if (*name)
		*name++ = 0;
	    name += strspn(name, " \t");
	    if (!valid_hostaddr(arg, 0)) {
		status = syntax(file, lineno, col + 7, "not an IPv4 or IPv6 address", arg);
		break;
	    }
	    tc.client_addr = xstrdup(arg);
	    tc.client_name = *name && strcmp(name, "unknown") != 0 ? xstrdup(name) : NULL;
	} else if (strcmp(word, "service") == 0) {
	    if (tc.started) {
		status = syntax(file, lineno, col, "\"service\" must come before the first command",
				NULL);
		break;
	    }
	    char *err = NULL;
	    if ((tc.run = runs_get(runs, arg, &err)) == NULL) {
		status = syntax(file, lineno, col + 8, err, NULL);
		free(err);
		break;
	    }
	} else if (strcmp(word, "sasl") == 0) {
	    free(tc.sasl);
	    tc.sasl = xstrdup(arg);
	} else if (strcmp(word, "send") == 0) {
	    send(&tc, arg);
	} else if (strcmp(word, "ehlo") == 0 || strcmp(word, "helo") == 0) {
	    sb_reset(&buf);
	    sb_printf(&buf, "%s %s", word[0] == 'e' ? "EHLO" : "HELO", arg);
	    send(&tc, sb_str(&buf));
	} else if (strcmp(word, "mail") == 0 || strcmp(word, "rcpt") == 0) {
	    sb_reset(&buf);
	    sb_printf(&buf, "%s:<%s>", word[0] == 'm' ? "MAIL FROM" : "RCPT TO",
		      strcmp(arg, "<>") == 0 ? "" : arg);
	    send(&tc, sb_str(&buf));
	} else if (strcmp(word, "data") == 0) {
	    /* The message follows in the file whatever the server answers. */
	    send(&tc, "DATA");
	    send_message = strncmp(sb_str(&tc.replies), "354", 3) == 0;
	    in_data = 1;
	    data_line = lineno;
	} else if (strcmp(word, "quit") == 0) {
	    send(&tc, "QUIT");
	} else if (strcmp(word, "expect") == 0) {
	    start(&tc);
	    const char *got = last_reply(&tc, &buf);
	    if (strncmp(got, arg, strlen(arg)) != 0)
		fail(&tc, lineno, "expected a reply starting \"%s\", got \"%s\"", arg, got);
	} else if (strcmp(word, "decided-by") == 0) {
	    const char *got = decided_by(&tc);
	    if (strcasecmp(got, strcmp(arg, "none") == 0 ? "" : arg) != 0)
		fail(&tc, lineno, "expected the decision of \"%s\", got %s%s%s", arg,
		     *got ? "\"" : "none", got, *got ? "\"" : "");
	} else if (strcmp(word, "route") == 0) {
	    /* route ADDR CLASS TRANSPORT:NEXTHOP (a prefix of the route) */
	    sb_reset(&buf);
	    char *rest = arg + strcspn(arg, " \t");
	    if (*rest)
		*rest++ = 0;
	    sb_printf(&buf, "%s: %s", arg, rest + strspn(rest, " \t"));
	    if (!has_event(&tc, EV_ROUTE, sb_str(&buf)))
		fail(&tc, lineno, "expected the route \"%s\"", sb_str(&buf));
	} else if (strcmp(word, "check") == 0) {
	    sb_reset(&buf);
	    sb_printf(&buf, "%s: ", arg);
	    if (!has_event(&tc, EV_CHECK, sb_str(&buf)))
		fail(&tc, lineno, "expected a header or body check to %s", arg);
	} else {
	    status = syntax(file, lineno, col, "unknown keyword", word);
	}
    }
    if (n < -1)
	status = -1;
    if (status == 0 && in_data)
	status = syntax(file, data_line, 1, "the message of \"data\" has no \".\" line", NULL);
    if (status == 0 && ferror(fp)) {
	fprintf(stderr, "pfc: test: read error on %s: %s\n", file, strerror(errno));
	status = -1;
    }
    if (status == 0)
	end_case(&tc, passed, failed);
    else {
	free(tc.name);
	tc.name = NULL;
	if (tc.started)
	    session_run_end(tc.run, &buf);
	free(tc.client_addr);
	free(tc.client_name);
	free(tc.sasl);
	sb_free(&tc.replies);
	sb_free(&tc.last_command);
	sb_free(&tc.log);
    }
    if (fp != stdin)
	fclose(fp);
    sb_free(&text);
    sb_free(&buf);
    return status;
}

int cmd_test(int argc, char **argv)
{
    static const struct option options[] = {
	{"service", required_argument, NULL, 's'},
	{"dns", required_argument, NULL, 'd'},
	{"help", no_argument, NULL, HELP_OPTION},
	{NULL, 0, NULL, 0},
    };
    const char *service = NULL, *dns = NULL;
    int opt, passed = 0, failed = 0, status = EXIT_PASS;

    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":hv", options, NULL)) != -1) {
	switch (opt) {
	case 's':
	    service = optarg;
	    break;
	case 'd':
	    dns = optarg;
	    break;
	case 'v':
	    break;
	case 'h':
	case HELP_OPTION:
	    help_print(stdout, "test");
	    return EXIT_PASS;
	default:
	    return help_option_error("test", opt, argv, EXIT_USAGE);
	}
    }
    if (argc - optind < 2)
	return usage();
    char *err = NULL;
    struct runs runs = { argv[optind], dns, 0, NULL, NULL };
    if (runs_get(&runs, service, &err) == NULL) {
	fprintf(stderr, "pfc: test: %s\n", err);
	free(err);
	return EXIT_USAGE;
    }
    for (int i = optind + 1; i < argc && status == EXIT_PASS; i++)
	if (run_file(&runs, argv[i], &passed, &failed) < 0)
	    status = EXIT_USAGE;
    runs_close(&runs);
    printf("%d passed, %d failed\n", passed, failed);
    if (fflush(stdout) != 0) {
	fprintf(stderr, "pfc: test: write error on standard output: %s\n", strerror(errno));
	return EXIT_USAGE;
    }
    return status != EXIT_PASS ? status : failed > 0 ? EXIT_FAIL : EXIT_PASS;
}
