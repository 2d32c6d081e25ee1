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
 * --pipeline sends everything after the first EHLO (or HELO) in one
 * write once that is answered, as a client that pipelines does; --format=json writes one object with the
 * replies and the explanation of each exchange instead.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "help.h"
#include "json.h"
#include "session_run.h"
#include "strbuf.h"
#include "xalloc.h"

#define EXIT_OK		0
#define EXIT_USAGE	2

static int usage(void)
{
    help_print_usage(stderr, "trace");
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
	if (nf != 4 || (cp != NULL && cp[strspn(cp, " \t")] != 0)) {
	    /* The answers so far first: they do not depend on the buffer's size. */
	    put(&out);
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

/*
 * exchange_json - one exchange as JSON: what the client sent (its lines),
 * what the server answered (reply lines, without CRLF), and the events.
 */
static void exchange_json(struct strbuf *json, struct session_run *r, const char *sent,
			  size_t sent_len, const struct strbuf *replies)
{
    size_t count;
    const struct run_event *events = session_run_events(r, &count);

    if (json->s[json->len - 1] != '[')
	sb_addch(json, ',');
    sb_adds(json, "\n    {\"client\":[");
    for (size_t off = 0, first = 1; off < sent_len; first = 0) {
	const char *nl = memchr(sent + off, '\n', sent_len - off);
	size_t n = nl ? (size_t) (nl - (sent + off)) : sent_len - off;
	char *line = xstrndup(sent + off, n && sent[off + n - 1] == '\r' ? n - 1 : n);
	if (!first)
	    sb_addch(json, ',');
	json_string(json, line);
	free(line);
	off += n + (nl != NULL);
    }
    sb_adds(json, "],\"replies\":[");
    for (size_t off = 0, first = 1; off < replies->len; first = 0) {
	const char *crlf = strstr(replies->s + off, "\r\n");
	size_t n = crlf ? (size_t) (crlf - (replies->s + off)) : replies->len - off;
	char *line = xstrndup(replies->s + off, n);
	if (!first)
	    sb_addch(json, ',');
	json_string(json, line);
	free(line);
	off += n + (crlf ? 2 : 0);
    }
    sb_adds(json, "],\"events\":[");
    for (size_t i = 0; i < count; i++) {
	if (i > 0)
	    sb_addch(json, ',');
	sb_adds(json, "\n      ");
	sb_adds(json, events[i].json);
    }
    sb_adds(json, "]}");
}

/*
 * read_all - the whole session from stdin. A session is small; a 10 MB
 * line is read as it is and refused by smtpd's line limit, not here.
 */
static int read_all(struct strbuf *in)
{
    char buf[65536];
    size_t n;

    while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
	sb_addn(in, buf, n);
    return ferror(stdin) ? -1 : 0;
}

int cmd_trace(int argc, char **argv)
{
    enum { OPT_SERVICE = 1000, OPT_CLIENT, OPT_SASL, OPT_DNS, OPT_EXPLAIN, OPT_HELO,
	OPT_FROM, OPT_TO, OPT_MESSAGE, OPT_FORMAT, OPT_ENVELOPES, OPT_PIPELINE };
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
	{"pipeline", no_argument, NULL, OPT_PIPELINE},
	{"help", no_argument, NULL, HELP_OPTION},
	{NULL, 0, NULL, 0},
    };
    const char *service = NULL, *client = "127.0.0.1,localhost", *sasl = NULL, *dns = NULL;
    const char *helo = NULL, *from = NULL, *message_file = NULL;
    char **to = NULL;
    size_t nto = 0;
    int explain = 0, opt, use_shorthand = 0, envelopes = 0, pipeline = 0, json = 0;
    int status = EXIT_OK;

    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
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
	case OPT_PIPELINE:
	    pipeline = 1;
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
	    if (strcmp(optarg, "text") != 0 && strcmp(optarg, "json") != 0) {
		fprintf(stderr, "pfc: trace: unknown format '%s' (text or json)\n", optarg);
		free(to);
		return EXIT_USAGE;
	    }
	    json = strcmp(optarg, "json") == 0;
	    break;
	case 'h':
	case HELP_OPTION:
	    help_print(stdout, "trace");
	    free(to);
	    return EXIT_OK;
	default:
	    free(to);
	    return help_option_error("trace", opt, argv, EXIT_USAGE);
	}
    }
    if (optind + 1 != argc) {
	free(to);
	return usage();
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
    struct strbuf raw = STRBUF_INIT, in = STRBUF_INIT;
    if (script != NULL) {
	sb_adds(&raw, script);
    } else if (read_all(&raw) < 0) {
	fprintf(stderr, "pfc: trace: read error on standard input: %s\n", strerror(errno));
	status = EXIT_USAGE;
    }
    /* The session's lines end in LF or CRLF; the client sends each with CRLF. */
    for (size_t i = 0; i < raw.len; i++) {
	if (raw.s[i] == '\n' && (i == 0 || raw.s[i - 1] != '\r'))
	    sb_addch(&in, '\r');
	sb_addch(&in, raw.s[i]);
    }
    sb_free(&raw);
    char *addr = xstrdup(client), *name = strchr(addr, ',');
    if (name != NULL)
	*name++ = 0;
    struct strbuf out = STRBUF_INIT, doc = STRBUF_INIT;
    if (json) {
	sb_adds(&doc, "{");
	json_field(&doc, "image", argv[optind]);
	json_field(&doc, "service", session_run_service(r));
	sb_adds(&doc, ",\"client\":{");
	json_field(&doc, "address", addr);
	json_field(&doc, "name", name ? name : "unknown");
	sb_adds(&doc, "},\"exchanges\":[");
    }
    session_run_start(r, addr, name, sasl, json ? NULL : explain ? stdout : stderr, &out);
    free(addr);
    if (json) {
	exchange_json(&doc, r, "", 0, &out);
	sb_reset(&out);
    } else if (put(&out) < 0) {
	status = EXIT_USAGE;
    }

    /*
     * Each line once the previous one is answered; with --pipeline, the
     * rest at once after the first EHLO or HELO.
     */
    size_t off = 0;
    int greeted = 0;
    while (status == EXIT_OK && off < in.len) {
	const char *line = in.s + off;
	const char *nl = memchr(line, '\n', in.len - off);
	size_t len = nl ? (size_t) (nl - line) + 1 : in.len - off;
	if (pipeline && greeted)
	    len = in.len - off;
	else if (len >= 4 && (strncasecmp(line, "EHLO", 4) == 0 || strncasecmp(line, "HELO", 4) == 0))
	    greeted = 1;
	int hungup;
	if (nl == NULL && !pipeline) {
	    /* The last line, unterminated: the client sends it with CRLF. */
	    struct strbuf one = STRBUF_INIT;
	    sb_addn(&one, line, len);
	    sb_adds(&one, "\r\n");
	    hungup = session_run_input(r, one.s, one.len, &out);
	    sb_free(&one);
	} else {
	    hungup = session_run_input(r, line, len, &out);
	}
	if (json) {
	    exchange_json(&doc, r, line, len, &out);
	    sb_reset(&out);
	} else if (put(&out) < 0) {
	    status = EXIT_USAGE;
	}
	off += len;
	if (hungup)
	    break;
    }
    session_run_end(r, &out);
    if (json) {
	if (out.len > 0 || session_run_event_count(r) > 0)
	    exchange_json(&doc, r, "", 0, &out);
	sb_adds(&doc, "\n  ]\n}\n");
	sb_reset(&out);
	sb_addn(&out, doc.s, doc.len);
    }
    if (put(&out) < 0) {
	fprintf(stderr, "pfc: trace: write error on standard output: %s\n", strerror(errno));
	status = EXIT_USAGE;
    }
    free(script);
    sb_free(&in);
    sb_free(&out);
    sb_free(&doc);
    session_run_close(r);
    free(to);
    return status;
}
