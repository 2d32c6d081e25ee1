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
 * --pipeline sends everything after the first EHLO (or HELO) at once
 * when that is answered, as a client that pipelines does; --format=json
 * writes one object with the replies and the explanation of each
 * exchange instead. --envelopes runs the engine alone on one envelope a
 * line.
 *
 * The session is read as it is sent, never whole: what pfc holds stays
 * bounded whatever comes on standard input (a line of 10 MB, no line end
 * at all), as smtpd's does.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "help.h"
#include "hostaddr.h"
#include "json.h"
#include "session_run.h"
#include "strbuf.h"
#include "xalloc.h"

#define EXIT_OK		0
#define EXIT_UNFINISHED	1	/* the session ends without QUIT */
#define EXIT_USAGE	2

/* The most the client sends in one write, and what pfc holds of the input. */
#define WRITE_MAX	65536
/* The most of one client line that --explain and --format=json show. */
#define ECHO_MAX	200
#define JSON_LINE_MAX	4096
/* The longest line of --envelopes. */
#define ENVELOPE_MAX	4096

static int usage(void)
{
    help_print_usage(stderr, "trace");
    return EXIT_USAGE;
}

/* ------------------------------------------------------------ the input */

/* Where the client's bytes come from: standard input or the shorthand's text. */
struct reader {
    FILE *fp;			/* NULL: text */
    const char *text;
    size_t text_len, text_pos;
    int mid_line;		/* bytes of a line were given, its end was not */
    int prev_cr;		/* the last byte given was a CR */
    int eof;
    int err;			/* errno of a read error */
};

static int reader_getc(struct reader *rd)
{
    if (rd->fp == NULL)
	return rd->text_pos < rd->text_len ? (unsigned char) rd->text[rd->text_pos++] : EOF;
    int c = getc(rd->fp);
    if (c == EOF && ferror(rd->fp))
	rd->err = errno ? errno : EIO;
    return c;
}

/*
 * read_write - the client's next write, into piece: with whole_lines, the
 * rest of the current line and its end, or WRITE_MAX bytes of a longer
 * line; else about WRITE_MAX bytes whatever the lines, cut inside a line,
 * so that every command of a pipelined stream but the last finds more
 * input waiting, as smtpd finds it after one large write. A line end is
 * sent as CRLF whether the input has CRLF or LF; a last line without one
 * gets it. Returns 1 when the piece ends a line; piece is empty at the end.
 */
static int read_write(struct reader *rd, struct strbuf *piece, int whole_lines)
{
    int c;

    sb_reset(piece);
    while (!rd->eof) {
	if (piece->len >= WRITE_MAX
	    && (whole_lines || piece->s[piece->len - 1] != '\n' || piece->len >= 2 * WRITE_MAX))
	    return 0;
	if ((c = reader_getc(rd)) == EOF) {
	    rd->eof = 1;
	    if (!rd->mid_line)
		break;
	    /* The last line, unterminated: the client sends it with its line end. */
	    c = '\n';
	}
	if (c == '\n' && !rd->prev_cr)
	    sb_addch(piece, '\r');
	sb_addch(piece, (char) c);
	rd->prev_cr = c == '\r';
	rd->mid_line = c != '\n';
	if (c == '\n' && whole_lines)
	    return 1;
    }
    return piece->len > 0 && piece->s[piece->len - 1] == '\n';
}

/* ------------------------------------------------------------ what to show */

/*
 * One exchange: what the client sent since the last one and what came
 * back. Text output writes the replies as they come; JSON output keeps
 * them, with the client's lines and the events, until the exchange ends.
 */
struct exchange {
    int json;
    FILE *explain;		/* text: where "> line" goes, or NULL */
    int at_line_start;		/* the next byte the client sends starts a line */
    struct strbuf line;		/* JSON: the client's line in progress (at most JSON_LINE_MAX) */
    size_t line_cut;		/* JSON: the bytes of it left out */
    struct strbuf client, replies, events;	/* JSON: the members being built */
    int first;			/* JSON: no exchange written yet */
};

/* put - what is in out to standard output; -1 on a write error */
static int put(struct strbuf *out)
{
    if (out->len > 0 && fwrite(out->s, 1, out->len, stdout) != out->len)
	return -1;
    sb_reset(out);
    return fflush(stdout) == 0 ? 0 : -1;
}

/* end_client_line - JSON: the line in progress is one of the client's */
static void end_client_line(struct exchange *x)
{
    size_t len = x->line.len;

    if (len > 0 && x->line.s[len - 1] == '\r' && x->line_cut == 0)
	len--;
    if (x->client.len > 0)
	sb_addch(&x->client, ',');
    if (x->line_cut > 0) {
	sb_printf(&x->line, "... (%zu more bytes)", x->line_cut);
	len = x->line.len;
    }
    json_string_len(&x->client, x->line.s ? x->line.s : "", len);
    sb_reset(&x->line);
    x->line_cut = 0;
}

/*
 * sent - the client sends data: each line it starts is shown ("> " on
 * the explanation, or kept for JSON), cut to what a reader needs.
 */
static void sent(struct exchange *x, const char *data, size_t len)
{
    for (size_t i = 0; i < len;) {
	const char *nl = memchr(data + i, '\n', len - i);
	size_t end = nl ? (size_t) (nl - data) : len;
	size_t n = end - i;
	if (x->json) {
	    size_t room = x->line.len < JSON_LINE_MAX ? JSON_LINE_MAX - x->line.len : 0;
	    sb_addn(&x->line, data + i, n < room ? n : room);
	    x->line_cut += n < room ? 0 : n - room;
	    if (nl != NULL)
		end_client_line(x);
	} else if (x->explain != NULL && x->at_line_start) {
	    if (nl != NULL && n > 0 && data[end - 1] == '\r')
		n--;
	    fputs("> ", x->explain);
	    session_run_printable(x->explain, data + i, n > ECHO_MAX ? ECHO_MAX : n);
	    fputs(n > ECHO_MAX || nl == NULL ? "...\n" : "\n", x->explain);
	}
	x->at_line_start = nl != NULL;
	i = end + (nl != NULL);
    }
}

/* answered - what the server did with the last write: its replies and events */
static int answered(struct exchange *x, struct session_run *r, struct strbuf *out)
{
    if (!x->json)
	return put(out);
    sb_addn(&x->replies, out->s ? out->s : "", out->len);
    sb_reset(out);
    size_t count;
    const struct run_event *events = session_run_events(r, &count);
    for (size_t i = 0; i < count; i++) {
	sb_adds(&x->events, x->events.len > 0 ? ",\n      " : "\n      ");
	sb_adds(&x->events, events[i].json);
    }
    return 0;
}

/*
 * exchange_end - JSON: the exchange as one object of "exchanges": the
 * client's lines, the reply lines (without CRLF) and the events.
 */
static int exchange_end(struct exchange *x)
{
    struct strbuf obj = STRBUF_INIT;

    if (!x->json)
	return 0;
    if (x->line.len > 0 || x->line_cut > 0)
	end_client_line(x);
    sb_adds(&obj, x->first ? "\n    {\"client\":[" : ",\n    {\"client\":[");
    sb_addn(&obj, x->client.s ? x->client.s : "", x->client.len);
    sb_adds(&obj, "],\"replies\":[");
    for (size_t off = 0; off < x->replies.len;) {
	const char *start = x->replies.s + off;
	const char *crlf = strstr(start, "\r\n");
	size_t n = crlf ? (size_t) (crlf - start) : x->replies.len - off;
	if (off > 0)
	    sb_addch(&obj, ',');
	json_string_len(&obj, start, n);
	off += n + (crlf ? 2 : 0);
    }
    sb_adds(&obj, "],\"events\":[");
    sb_addn(&obj, x->events.s ? x->events.s : "", x->events.len);
    sb_adds(&obj, "]}");
    x->first = 0;
    sb_reset(&x->client);
    sb_reset(&x->replies);
    sb_reset(&x->events);
    int status = put(&obj);
    sb_free(&obj);
    return status;
}

/* ------------------------------------------------------------ the session */

/*
 * shorthand - the session the shorthand options describe, one line each,
 * into session; -1 when the message cannot be read (reported).
 */
static int shorthand(struct strbuf *session, const char *helo, const char *from, char **to,
		     size_t nto, const char *message_file)
{
    struct strbuf message = STRBUF_INIT;

    sb_printf(session, "EHLO %s\n", helo ? helo : "client.example");
    sb_printf(session, "MAIL FROM:<%s>\n", from && strcmp(from, "<>") != 0 ? from : "");
    for (size_t i = 0; i < nto; i++)
	sb_printf(session, "RCPT TO:<%s>\n", to[i]);
    sb_adds(session, "DATA\n");
    if (message_file != NULL) {
	if (sb_read_file(&message, message_file) < 0) {
	    fprintf(stderr, "pfc: trace: cannot read %s: %s\n", message_file, strerror(errno));
	    sb_free(&message);
	    return -1;
	}
	/* Dot-stuffed, as a client sends it; NUL bytes and all. */
	for (size_t off = 0; off < message.len;) {
	    const char *line = message.s + off;
	    const char *nl = memchr(line, '\n', message.len - off);
	    size_t len = nl ? (size_t) (nl - line) : message.len - off;
	    if (*line == '.')
		sb_addch(session, '.');
	    sb_addn(session, line, len);
	    sb_addch(session, '\n');
	    off += len + (nl != NULL);
	}
    } else {
	sb_adds(session, "Subject: pfc trace\n\ntest message\n");
    }
    sb_adds(session, ".\nQUIT\n");
    sb_free(&message);
    return 0;
}

/*
 * run_session - the conversation: the greeting, then each write of the
 * client once the previous one is answered; with pipeline, the rest at
 * once after the first EHLO or HELO.
 */
static int run_session(struct session_run *r, struct reader *rd, const char *image,
		       const char *client, const char *sasl, int explain, int pipeline, int json)
{
    struct exchange x = { json, NULL, 1, STRBUF_INIT, 0, STRBUF_INIT, STRBUF_INIT, STRBUF_INIT,
	1 };
    struct strbuf out = STRBUF_INIT, piece = STRBUF_INIT, doc = STRBUF_INIT;
    char *addr = xstrdup(client), *name = strchr(addr, ',');
    int status = EXIT_OK, io_error = 0, greeted = 0, hungup = 0;

    if (name != NULL)
	*name++ = 0;
    x.explain = json ? NULL : explain ? stdout : stderr;
    if (json) {
	sb_adds(&doc, "{");
	json_field(&doc, "image", image);
	json_field(&doc, "service", session_run_service(r));
	sb_adds(&doc, ",\"client\":{");
	json_field(&doc, "address", addr);
	json_field(&doc, "name", name ? name : "unknown");
	sb_adds(&doc, "},\"exchanges\":[");
	io_error |= put(&doc);
    }
    session_run_start(r, addr, name, sasl, x.explain, &out);
    io_error |= answered(&x, r, &out) | exchange_end(&x);

    while (!hungup && !io_error) {
	int whole_lines = !(pipeline && greeted);
	int line_end = read_write(rd, &piece, whole_lines);
	if (piece.len == 0)
	    break;
	if (x.at_line_start && piece.len >= 4
	    && (strncasecmp(piece.s, "EHLO", 4) == 0 || strncasecmp(piece.s, "HELO", 4) == 0))
	    greeted = 1;
	sent(&x, piece.s, piece.len);
	hungup = session_run_input(r, piece.s, piece.len, &out);
	io_error |= answered(&x, r, &out);
	/* A line comes in pieces of WRITE_MAX bytes; its exchange ends with it. */
	if (line_end || !whole_lines || hungup)
	    io_error |= exchange_end(&x);
    }
    if (rd->err != 0) {
	fprintf(stderr, "pfc: trace: read error on standard input: %s\n", strerror(rd->err));
	status = EXIT_USAGE;
    }
    int in_message = session_run_in_message(r);
    const char *lost = session_run_end(r, &out);
    io_error |= answered(&x, r, &out);
    if (json && (x.replies.len > 0 || x.events.len > 0))
	io_error |= exchange_end(&x);
    if (json) {
	sb_adds(&doc, "\n  ]\n}\n");
	io_error |= put(&doc);
    }
    if (io_error) {
	fprintf(stderr, "pfc: trace: write error on standard output: %s\n", strerror(errno));
	status = EXIT_USAGE;
    } else if (lost != NULL && status == EXIT_OK) {
	fprintf(stderr, "pfc: trace: the session ends %s (%s)\n",
		in_message ? "inside DATA, before the \".\" line" : "without QUIT", lost);
	status = EXIT_UNFINISHED;
    }
    free(addr);
    sb_free(&out);
    sb_free(&piece);
    sb_free(&doc);
    sb_free(&x.line);
    sb_free(&x.client);
    sb_free(&x.replies);
    sb_free(&x.events);
    return status;
}

/*
 * The batch reads envelopes ahead of the one it answers: an envelope's
 * table loads start when it is read (session_run_hint_start()), go on
 * HINT_STAGE and 2 * HINT_STAGE envelopes later, and it is answered
 * AHEAD envelopes after it was read, in input order, when what it looks
 * up is in the cache. With --explain, each envelope is answered as soon
 * as it is read, for a reader who types them.
 */
#define HINT_STAGE	4
#define AHEAD		(3 * HINT_STAGE)

struct envelope {
    char line[ENVELOPE_MAX + 1];
    char *fields[4];		/* client, HELO, sender, recipient, in line */
    char *name;			/* the client's name, or NULL */
    struct engine_hint hint;
};

/*
 * read_envelope - the next line of --envelopes into env: 1, 0 at the
 * end, -1 for a line that is too long, holds a NUL byte or lacks a field
 * (the message in err).
 */
static int read_envelope(struct envelope *env, unsigned long lineno, struct strbuf *err)
{
    char *line = env->line, *field[5], *cp = line;
    size_t len = 0;
    int c, nul = 0, nf = 0;

    /* Unlocked: one thread reads, and a lock per byte is a tenth of an envelope's time. */
    while ((c = getc_unlocked(stdin)) != EOF && c != '\n') {
	if (len == ENVELOPE_MAX) {
	    sb_printf(err, "pfc: trace: stdin:%lu: line longer than %d bytes\n", lineno,
		      ENVELOPE_MAX);
	    return -1;
	}
	nul |= c == 0;
	line[len++] = (char) c;
    }
    if (c == EOF && len == 0)
	return 0;
    if (nul) {
	sb_printf(err, "pfc: trace: stdin:%lu: a NUL byte in the line\n", lineno);
	return -1;
    }
    if (len > 0 && line[len - 1] == '\r')
	len--;
    line[len] = 0;
    while (nf < 5 && (field[nf] = strsep(&cp, " \t")) != NULL)
	if (*field[nf] != 0)
	    nf++;
    if (nf != 4) {
	sb_printf(err, "pfc: trace: stdin:%lu: need CLIENT HELO SENDER RECIPIENT\n", lineno);
	return -1;
    }
    memcpy(env->fields, field, sizeof(env->fields));
    if ((env->name = strchr(field[0], ',')) != NULL)
	*env->name++ = 0;
    return 1;
}

/* answer_envelope - env's answer, and with explain the envelope first */
static void answer_envelope(struct session_run *r, const struct envelope *env, int explain,
			    struct strbuf *out)
{
    char *const *f = env->fields;

    if (explain)
	printf("> %s%s%s %s %s %s\n", f[0], env->name ? "," : "", env->name ? env->name : "",
	       f[1], f[2], f[3]);
    const char *sender = strcmp(f[2], "<>") == 0 ? "" : f[2];
    const char *reply = session_run_envelope(r, f[0], env->name, f[1], sender, f[3]);
    sb_adds(out, reply ? reply : "250 2.1.5 Ok");
    sb_addch(out, '\n');
}

/*
 * run_envelopes - the batch mode: "CLIENT[,NAME] HELO SENDER RECIPIENT"
 * per line ("<>" the null sender), the RCPT stage's answer per line.
 */
static int run_envelopes(struct session_run *r, const char *sasl, int explain)
{
    struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    const size_t ahead = explain ? 0 : AHEAD, ring_size = ahead + 1;
    struct envelope *ring = xmalloc(ring_size * sizeof(*ring));
    size_t head = 0, count = 0;
    unsigned long lineno = 0;
    int status = EXIT_OK, more = 1, written = 0;

    session_run_batch(r, sasl, explain ? stdout : NULL);
    for (;;) {
	while (more > 0 && count <= ahead) {
	    struct envelope *env = &ring[(head + count) % ring_size];
	    if ((more = read_envelope(env, ++lineno, &err)) <= 0)
		break;
	    session_run_hint_start(r, &env->hint, env->fields[0], env->fields[3]);
	    count++;
	    if (count > HINT_STAGE)
		session_run_hint_step(r, &ring[(head + count - 1 - HINT_STAGE) % ring_size].hint, 1);
	    if (count > 2 * HINT_STAGE)
		session_run_hint_step(r, &ring[(head + count - 1 - 2 * HINT_STAGE) % ring_size].hint,
				      2);
	}
	if (count == 0)
	    break;
	answer_envelope(r, &ring[head], explain, &out);
	head = (head + 1) % ring_size;
	count--;
	if ((explain || out.len >= WRITE_MAX) && (written = put(&out)) < 0)
	    break;
    }
    if (written < 0 || put(&out) < 0) {
	fprintf(stderr, "pfc: trace: write error on standard output: %s\n", strerror(errno));
	status = EXIT_USAGE;
    } else if (more < 0) {
	fputs(sb_str(&err), stderr);
	status = EXIT_USAGE;
    } else if (ferror(stdin)) {
	fprintf(stderr, "pfc: trace: read error on standard input: %s\n", strerror(errno));
	status = EXIT_USAGE;
    }
    free(ring);
    sb_free(&err);
    sb_free(&out);
    return status;
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
    const char *helo = NULL, *from = NULL, *message_file = NULL, *conflict = NULL;
    char **to = NULL;
    size_t nto = 0;
    int explain = 0, opt, use_shorthand = 0, envelopes = 0, pipeline = 0, json = 0;
    int client_given = 0;

    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":h", options, NULL)) != -1) {
	switch (opt) {
	case OPT_SERVICE:
	    service = optarg;
	    break;
	case OPT_CLIENT:
	    client = optarg, client_given = 1;
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
    /* Options that ask for two things at once. */
    if (use_shorthand && nto == 0)
	conflict = "the shorthand (--helo, --from, --message) needs --to";
    else if (envelopes && use_shorthand)
	conflict = "--envelopes reads its envelopes from standard input, not from --helo, --from, --to or --message";
    else if (envelopes && (json || pipeline || client_given))
	conflict = "--envelopes takes neither --format=json, --pipeline nor --client (each line names its client)";
    else if (json && explain)
	conflict = "--format=json holds the explanation; --explain goes with text";
    if (conflict != NULL) {
	fprintf(stderr, "pfc: trace: %s\n", conflict);
	free(to);
	return EXIT_USAGE;
    }
    size_t addr_len = strcspn(client, ",");
    char *addr = xstrndup(client, addr_len);
    int addr_ok = valid_hostaddr(addr, 0);
    free(addr);
    if (!addr_ok) {
	fprintf(stderr, "pfc: trace: --client %.*s: not an IPv4 or IPv6 address\n",
		(int) addr_len, client);
	free(to);
	return EXIT_USAGE;
    }

    char *err = NULL;
    struct session_run *r = session_run_open(argv[optind], service, dns, &err);
    if (r == NULL) {
	fprintf(stderr, "pfc: trace: %s\n", err);
	free(err);
	free(to);
	return EXIT_USAGE;
    }
    int status;
    if (envelopes) {
	status = run_envelopes(r, sasl, explain);
    } else {
	struct reader rd = { stdin, NULL, 0, 0, 0, 0, 0, 0 };
	struct strbuf script = STRBUF_INIT;
	if (use_shorthand && shorthand(&script, helo, from, to, nto, message_file) < 0) {
	    status = EXIT_USAGE;
	} else {
	    if (use_shorthand) {
		rd.fp = NULL;
		rd.text = script.s;
		rd.text_len = script.len;
	    }
	    status = run_session(r, &rd, argv[optind], client, sasl, explain, pipeline, json);
	}
	sb_free(&script);
    }
    session_run_close(r);
    free(to);
    return status;
}
