/*
 * trace - "pfc trace POLICY.pfi [options] < session": an SMTP session
 * given as the client's lines, answered from the image exactly as Postfix
 * 3.7's smtpd answers it, greeting first, byte for byte with CRLF line
 * ends on standard output; why, on standard error (or interleaved on
 * standard output with --explain): each restriction list, each
 * restriction with its result and the main.cf or master.cf line it came
 * from, each table probe, each warning smtpd or cleanup would log, and
 * for each accepted recipient its address class, transport and next hop.
 * The SMTP side is runtime/smtpd, the decisions runtime/policy's engine:
 * what pfcd runs (session_run.h).
 *
 * The shorthand (--helo, --from, --to, --message) writes the session for
 * the caller: EHLO, MAIL FROM, each RCPT TO, DATA with the message, QUIT.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "session_run.h"
#include "strbuf.h"
#include "xalloc.h"

#define EXIT_OK		0
#define EXIT_USAGE	2

static int usage(FILE *fp)
{
    fprintf(fp, "usage: pfc trace POLICY.pfi [--service NAME] [--client ADDR[,NAME]]"
	    " [--sasl USER]\n"
	    "           [--dns SERVER] [--explain] < session\n"
	    "       pfc trace POLICY.pfi [options] --helo NAME --from ADDR --to ADDR"
	    " [--to ADDR...]\n"
	    "           [--message FILE]\n");
    return EXIT_USAGE;
}

/* shorthand - the session the shorthand options describe, one line each */
static char *shorthand(const char *helo, const char *from, char **to, size_t nto,
		       const char *message_file)
{
    struct strbuf session = STRBUF_INIT, message = STRBUF_INIT;

    sb_printf(&session, "EHLO %s\n", helo ? helo : "client.example");
    sb_printf(&session, "MAIL FROM:<%s>\n", from ? from : "");
    for (size_t i = 0; i < nto; i++)
	sb_printf(&session, "RCPT TO:<%s>\n", to[i]);
    sb_adds(&session, "DATA\n");
    if (message_file != NULL) {
	if (sb_read_file(&message, message_file) < 0) {
	    fprintf(stderr, "pfc: trace: cannot read %s: %s\n", message_file, strerror(errno));
	    sb_free(&message);
	    sb_free(&session);
	    return NULL;
	}
	/* Dot-stuffed, as a client sends it. */
	const char *cp = sb_str(&message);
	while (*cp) {
	    size_t len = strcspn(cp, "\n");
	    if (*cp == '.')
		sb_addch(&session, '.');
	    sb_addn(&session, cp, len);
	    sb_addch(&session, '\n');
	    cp += len + (cp[len] == '\n');
	}
    } else {
	sb_adds(&session, "Subject: pfc trace\n\ntest message\n");
    }
    sb_adds(&session, ".\nQUIT\n");
    sb_free(&message);
    return sb_detach(&session);
}

/* put - replies to standard output, as they come */
static int put(struct strbuf *out)
{
    if (out->len > 0 && fwrite(out->s, 1, out->len, stdout) != out->len)
	return -1;
    sb_reset(out);
    return fflush(stdout) == 0 ? 0 : -1;
}

/*
 * run_envelopes - the batch mode: "CLIENT[,NAME] HELO SENDER RECIPIENT"
 * per line ("<>" the null sender), the RCPT stage's answer per line.
 */
static int run_envelopes(struct session_run *r, int explain)
{
    struct strbuf out = STRBUF_INIT;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    unsigned long lineno = 0;
    int status = EXIT_OK;

    (void) explain;
    while ((n = getline(&line, &cap, stdin)) > 0) {
	char *fields[4], *cp = line;
	int nf = 0;
	lineno++;
	line[strcspn(line, "\r\n")] = 0;
	while (nf < 4 && (fields[nf] = strsep(&cp, " \t")) != NULL)
	    if (*fields[nf] != 0)
		nf++;
	if (nf != 4) {
	    fprintf(stderr, "pfc: trace: stdin:%lu: need CLIENT HELO SENDER RECIPIENT\n",
		    lineno);
	    status = EXIT_USAGE;
	    break;
	}
	char *name = strchr(fields[0], ',');
	if (name != NULL)
	    *name++ = 0;
	const char *sender = strcmp(fields[2], "<>") == 0 ? "" : fields[2];
	const char *reply = session_run_envelope(r, fields[0], name, fields[1], sender,
						 fields[3]);
	sb_adds(&out, reply ? reply : "250 2.1.5 Ok");
	sb_addch(&out, '\n');
	if (out.len >= 65536 && put(&out) < 0) {
	    status = EXIT_USAGE;
	    break;
	}
    }
    if (status == EXIT_OK && put(&out) < 0)
	status = EXIT_USAGE;
    free(line);
    sb_free(&out);
    return status;
}

int cmd_trace(int argc, char **argv)
{
    enum { OPT_SERVICE = 1000, OPT_CLIENT, OPT_SASL, OPT_DNS, OPT_EXPLAIN, OPT_HELO,
	OPT_FROM, OPT_TO, OPT_MESSAGE, OPT_FORMAT, OPT_ENVELOPES };
    static const struct option options[] = {
	{"service", required_argument, NULL, OPT_SERVICE},
	{"client", required_argument, NULL, OPT_CLIENT},
	{"sasl", required_argument, NULL, OPT_SASL},
	{"dns", required_argument, NULL, OPT_DNS},
	{"explain", no_argument, NULL, OPT_EXPLAIN},
	{"helo", required_argument, NULL, OPT_HELO},
	{"from", required_argument, NULL, OPT_FROM},
	{"to", required_argument, NULL, OPT_TO},
	{"message", required_argument, NULL, OPT_MESSAGE},
	{"format", required_argument, NULL, OPT_FORMAT},
	{"envelopes", no_argument, NULL, OPT_ENVELOPES},
	{NULL, 0, NULL, 0},
    };
    const char *service = NULL, *client = "127.0.0.1,localhost", *sasl = NULL, *dns = NULL;
    const char *helo = NULL, *from = NULL, *message_file = NULL;
    char **to = NULL;
    size_t nto = 0;
    int explain = 0, opt, use_shorthand = 0, envelopes = 0, status = EXIT_OK;

    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, "", options, NULL)) != -1) {
	switch (opt) {
	case OPT_SERVICE:
	    service = optarg;
	    break;
	case OPT_CLIENT:
	    client = optarg;
	    break;
	case OPT_SASL:
	    sasl = optarg;
	    break;
	case OPT_DNS:
	    dns = optarg;
	    break;
	case OPT_EXPLAIN:
	    explain = 1;
	    break;
	case OPT_ENVELOPES:
	    envelopes = 1;
	    break;
	case OPT_HELO:
	    helo = optarg, use_shorthand = 1;
	    break;
	case OPT_FROM:
	    from = optarg, use_shorthand = 1;
	    break;
	case OPT_TO:
	    to = xrealloc(to, (nto + 1) * sizeof(*to));
	    to[nto++] = optarg;
	    use_shorthand = 1;
	    break;
	case OPT_MESSAGE:
	    message_file = optarg, use_shorthand = 1;
	    break;
	case OPT_FORMAT:
	    if (strcmp(optarg, "text") != 0) {
		fprintf(stderr, "pfc: trace: --format=%s is not in this release (text only)\n",
			optarg);
		free(to);
		return EXIT_USAGE;
	    }
	    break;
	default:
	    fprintf(stderr, "pfc: trace: unknown option or missing argument: %s\n",
		    argv[optind - 1]);
	    free(to);
	    return usage(stderr);
	}
    }
    if (optind + 1 != argc) {
	free(to);
	return usage(stderr);
    }

    char *err = NULL;
    struct session_run *r = session_run_open(argv[optind], service, dns, &err);
    if (r == NULL) {
	fprintf(stderr, "pfc: trace: %s\n", err);
	free(err);
	free(to);
	return EXIT_USAGE;
    }
    if (envelopes) {
	status = run_envelopes(r, explain);
	session_run_close(r);
	free(to);
	return status;
    }
    char *script = use_shorthand ? shorthand(helo, from, to, nto, message_file) : NULL;
    if (use_shorthand && script == NULL) {
	session_run_close(r);
	free(to);
	return EXIT_USAGE;
    }
    char *addr = xstrdup(client), *name = strchr(addr, ',');
    if (name != NULL)
	*name++ = 0;
    struct strbuf out = STRBUF_INIT;
    session_run_start(r, addr, name, sasl, explain ? stdout : stderr, &out);
    free(addr);
    if (put(&out) < 0)
	status = EXIT_USAGE;

    const char *sp = script;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    struct strbuf one = STRBUF_INIT;
    while (status == EXIT_OK) {
	if (script != NULL) {
	    if (*sp == 0)
		break;
	    size_t len = strcspn(sp, "\n");
	    sb_set(&one, "");
	    sb_addn(&one, sp, len);
	    sp += len + (sp[len] == '\n');
	} else {
	    if ((n = getline(&line, &cap, stdin)) <= 0)
		break;
	    size_t len = (size_t) n;
	    if (line[len - 1] == '\n')
		len--;
	    if (len > 0 && line[len - 1] == '\r')
		len--;
	    sb_set(&one, "");
	    sb_addn(&one, line, len);
	}
	int hungup = session_run_line(r, sb_str(&one), &out);
	if (put(&out) < 0)
	    status = EXIT_USAGE;
	if (hungup)
	    break;
    }
    if (ferror(stdin)) {
	fprintf(stderr, "pfc: trace: read error on standard input: %s\n", strerror(errno));
	status = EXIT_USAGE;
    }
    session_run_end(r, &out);
    if (put(&out) < 0) {
	fprintf(stderr, "pfc: trace: write error on standard output: %s\n", strerror(errno));
	status = EXIT_USAGE;
    }
    free(line);
    free(script);
    sb_free(&one);
    sb_free(&out);
    session_run_close(r);
    free(to);
    return status;
}
