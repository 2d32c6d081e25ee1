/*
 * smtpd_session - the protocol engine of the SMTP server: Postfix 3.7's
 * smtpd_proto() command loop and its command handlers (smtpd.c), driven
 * by bytes instead of a socket, with the replies, codes and texts smtpd
 * sends (SPEC-runtime 1). What a restriction decides is the engine's.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr822.h"
#include "dsn_report.h"
#include "hostaddr.h"
#include "hostinfo.h"
#include "maps.h"
#include "matchlist.h"
#include "resolve.h"
#include "reply_footer.h"
#include "smtpd_session.h"
#include "textutil.h"
#include "trace.h"
#include "utf8.h"
#include "xalloc.h"

/* EHLO keywords that smtpd_discard_ehlo_keywords can remove (ehlo_mask.c). */
/*
 * Stand-alone mode ("sendmail -bs", SESSION_STAND_ALONE): the client is
 * the local user on a pipe, as smtpd -S serves it: no restriction runs,
 * no ETRN, XCLIENT, XFORWARD, TLS or bare-LF policing.
 */
#define STAND_ALONE(ss)	(((ss)->s->flags & SESSION_STAND_ALONE) != 0)

#define EHLO_PIPELINING		(1u << 0)
#define EHLO_SIZE		(1u << 1)
#define EHLO_VRFY		(1u << 2)
#define EHLO_ETRN		(1u << 3)
#define EHLO_AUTH		(1u << 4)
#define EHLO_VERP		(1u << 5)
#define EHLO_STARTTLS		(1u << 6)
#define EHLO_XCLIENT		(1u << 7)
#define EHLO_XFORWARD		(1u << 8)
#define EHLO_ENHANCEDSTATUSCODES (1u << 9)
#define EHLO_8BITMIME		(1u << 10)
#define EHLO_DSN		(1u << 11)
#define EHLO_SMTPUTF8		(1u << 12)
#define EHLO_CHUNKING		(1u << 13)
#define EHLO_SILENT		(1u << 15)

/* A word of a list parameter and the bit it sets (name_mask()'s tables). */
struct word_bit {
    const char *name;
    unsigned mask;
};

static const struct word_bit ehlo_words[] = {
    {"8BITMIME", EHLO_8BITMIME}, {"AUTH", EHLO_AUTH}, {"ETRN", EHLO_ETRN},
    {"PIPELINING", EHLO_PIPELINING}, {"SIZE", EHLO_SIZE}, {"VERP", EHLO_VERP},
    {"VRFY", EHLO_VRFY}, {"XCLIENT", EHLO_XCLIENT}, {"XFORWARD", EHLO_XFORWARD},
    {"STARTTLS", EHLO_STARTTLS}, {"ENHANCEDSTATUSCODES", EHLO_ENHANCEDSTATUSCODES},
    {"DSN", EHLO_DSN}, {"SMTPUTF8", EHLO_SMTPUTF8}, {"CHUNKING", EHLO_CHUNKING},
    {"SILENT-DISCARD", EHLO_SILENT},
};

/* smtpd_forbid_bare_newline */
enum bare_lf { BARE_LF_NO, BARE_LF_NORMALIZE, BARE_LF_REJECT };

/* Where the input goes. */
enum input_mode { IN_COMMAND, IN_DATA, IN_BDAT };

/* BDAT state, as smtpd's SMTPD_BDAT_STAT_*. */
enum bdat_state { BDAT_NONE, BDAT_OK, BDAT_ERROR };

/* Cleanup status bits, as Postfix's CLEANUP_STAT_*. */
#define STAT_OK		0
#define STAT_SIZE	(1u << 0)
#define STAT_BARE_LF	(1u << 1)
#define STAT_WRITE	(1u << 2)

/* A command's token. */
struct token {
    char *text;
    int error;			/* an unterminated <...> or "..." */
};

struct smtpd_session {
    struct engine *engine;
    struct session *s;
    const struct smtpd_message_ops *ops;
    const struct policy *p;
    /* settings, read once */
    const char *myhostname;
    struct strbuf banner;
    long message_limit;
    long line_limit;
    long rcpt_limit, rcpt_overlim;
    long soft_erlim, hard_erlim, err_sleep, junk_limit;
    int disable_vrfy, helo_required, delay_reject, strict_rfc821, smtputf8;
    int forbid_unauth_pipe, soft_bounce, sasl_enable;
    int use_tls, enforce_tls, tls_auth_only;
    enum bare_lf bare_lf;
    int bare_lf_code;
    unsigned ehlo_discard;
    /* conversation state */
    struct strbuf in;		/* unread input */
    size_t in_pos;
    /*
     * A command line longer than line_length_limit: smtpd keeps its first
     * line_length_limit bytes and skips the rest up to the line end
     * (smtp_get()'s SMTP_GET_FLAG_SKIP), so the input held stays bounded
     * whatever the client sends. cmd_skip: the rest is still coming and
     * is dropped; cmd_cut: the kept part, at in_pos, is a complete line.
     */
    int cmd_skip, cmd_cut;
    struct strbuf out;		/* replies to send */
    enum input_mode mode;
    int hangup;
    int xclient_allowed, xforward_allowed;
    int v4, v6;			/* inet_protocols: the address families on */
    char *verp_delims;		/* MAIL FROM ... XVERP[=xy] */
    /* XFORWARD attributes, for the queued message (NULL: not sent) */
    char *xforward[7];
    int detect_bare_lf;		/* bare LF handling applies to this client */
    int got_bare_lf;		/* the last line ended in a bare LF */
    int error_count, junk_cmds, rcpt_overshoot;
    char *access_denied;
    int helo_seen;
    long msg_size, act_size;
    int size_rejected;		/* a MAIL SIZE= over the limit, kept until reset */
    unsigned err;		/* STAT_* of the message being received */
    char *queue_id;
    int message_open;
    /* DATA */
    int data_first;		/* the next data line is the first */
    int prev_rec_cont;
    int prev_bare_lf;
    /* BDAT */
    enum bdat_state bdat_state;
    long bdat_left;		/* bytes of the chunk still to come */
    long bdat_size;
    int bdat_last;
    struct strbuf bdat_line;	/* a line in progress across chunks */
    int bdat_prev_cont;
    long delay;			/* seconds smtpd would have slept */
    /*
     * The conversation as smtpd's chat history keeps it for the
     * postmaster's transcript (only when notify_classes names a class):
     * "In:  " and "Out: " lines, flushed (and mailed when an error of a
     * class named happened) at HELO/EHLO, RSET and the end of a message
     * past smtpd_history_flush_threshold lines, and at the end.
     */
    unsigned notify_mask;
    long hist_threshold;
    char **history;
    size_t nhistory, history_cap;
    const char *reason;		/* why the session was cut short ("lost connection") */
    /* Per command (commands[] order, then "unknown"): for the disconnect log line. */
    int cmd_ok[16], cmd_total[16];
    struct strbuf why;
    struct strbuf reply;	/* scratch for one reply */
};

/* ------------------------------------------------------------ replies */

static void reply(struct smtpd_session *ss, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int refuse(struct smtpd_session *ss, int error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void chat_append(struct smtpd_session *ss, const char *direction, const char *text,
			size_t len);

/*
 * vreply - smtpd_chat_reply(): the error tarpit, the reject footer,
 * soft_bounce on each line, the lines out, and an orderly disconnect
 * after 421 or 521.
 */
static void vreply(struct smtpd_session *ss, const char *fmt, va_list ap)
{
    struct strbuf *r = &ss->reply;
    struct session *s = ss->s;
    const char *footer = NULL;

    if (ss->error_count >= ss->soft_erlim)
	ss->delay += ss->err_sleep;
    sb_reset(r);
    sb_vprintf(r, fmt, ap);
    if (r->len > 0 && (r->s[0] == '4' || r->s[0] == '5')) {
	if (!*policy_value(ss->p, "smtpd_reject_footer_maps")
	    || maps_find(s, "smtpd_reject_footer_maps", r->s, &footer) != MAPS_FOUND)
	    footer = policy_value(ss->p, "smtpd_reject_footer");
	if (*footer) {
	    char *template = xstrdup(footer);	/* the lookup's space is reused */
	    reply_footer(r, template, policy_value(ss->p, "smtpd_expand_filter"),
			 session_expand_lookup, s);
	    free(template);
	}
    }
    for (char *line = r->s ? r->s : "", *next;; line = next + 2) {
	if (ss->soft_bounce && line[0] == '5') {
	    line[0] = '4';
	    if (line[4] == '5')
		line[4] = '4';
	}
	next = strstr(line, "\r\n");
	size_t len = next ? (size_t) (next - line) : strlen(line);
	chat_append(ss, "Out: ", line, len);
	sb_addn(&ss->out, line, len);
	sb_addn(&ss->out, "\r\n", 2);
	if (next == NULL)
	    break;
    }
    if (strncmp(sb_str(r), "421", 3) == 0 || strncmp(sb_str(r), "521", 3) == 0)
	ss->hangup = 1;
}

static void reply(struct smtpd_session *ss, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vreply(ss, fmt, ap);
    va_end(ap);
}

/* refuse - a reply for a command that fails with error (ERR_*): -1 */
static int refuse(struct smtpd_session *ss, int error, const char *fmt, ...)
{
    va_list ap;

    ss->s->error_mask |= error;
    va_start(ap, fmt);
    vreply(ss, fmt, ap);
    va_end(ap);
    return -1;
}

/* chat_append - smtp_chat_append(): one line of the transcript */
static void chat_append(struct smtpd_session *ss, const char *direction, const char *text,
			size_t len)
{
    if (ss->notify_mask == 0)
	return;
    GROW(ss->history, ss->nhistory, ss->history_cap);
    struct strbuf line = STRBUF_INIT;
    sb_adds(&line, direction);
    sb_addn(&line, text, len);
    ss->history[ss->nhistory++] = sb_detach(&line);
}

/*
 * chat_notify - smtpd_chat_notify(): the transcript, each line made
 * printable and wrapped at 78 columns (continuations 4 more), after one
 * space (smtpd's mark of text from the client), to the postmaster.
 */
static void chat_notify(struct smtpd_session *ss)
{
    struct strbuf body = STRBUF_INIT, wrapped = STRBUF_INIT;

    sb_adds(&body, "Transcript of session follows.\n\n");
    for (size_t i = 0; i < ss->nhistory; i++) {
	char *line = xstrdup(ss->history[i]);
	printable(line, ss->smtputf8);
	sb_reset(&wrapped);
	dsn_report_wrap(&wrapped, line, 78, 4);
	free(line);
	for (char *cp = wrapped.s, *nl; cp && *cp; cp = nl + 1) {
	    nl = strchr(cp, '\n');
	    sb_addch(&body, ' ');
	    sb_addn(&body, cp, (size_t) (nl - cp) + 1);
	}
    }
    sb_addch(&body, '\n');
    if (ss->reason)
	sb_printf(&body, "Session aborted, reason: %s\n", ss->reason);
    sb_adds(&body, "\nFor other details, see the local mail logfile\n");
    ss->ops->notice(ss->ops->ctx, ss->s, ss->s->error_mask, sb_str(&body));
    sb_free(&body);
    sb_free(&wrapped);
}

/*
 * chat_reset - smtpd.c's chat_reset(): past threshold lines, mail the
 * transcript if an error of a class notify_classes names happened (not
 * in stand-alone mode: sendmail -bs), then start a new one.
 */
static void chat_reset(struct smtpd_session *ss, size_t threshold)
{
    if (ss->nhistory == 0 || ss->nhistory <= threshold)
	return;
    if (!STAND_ALONE(ss) && (ss->s->error_mask & ss->notify_mask) && ss->ops
	&& ss->ops->notice)
	chat_notify(ss);
    ss->s->error_mask = 0;
    for (size_t i = 0; i < ss->nhistory; i++)
	free(ss->history[i]);
    free(ss->history);
    ss->history = NULL;
    ss->nhistory = ss->history_cap = 0;
}

static void note(struct smtpd_session *ss, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* note - what smtpd logs, for the trace */
static void note(struct smtpd_session *ss, const char *fmt, ...)
{
    va_list ap;
    struct strbuf text = STRBUF_INIT;
    struct session *s = ss->s;

    if (s->trace == NULL || s->trace->note == NULL)
	return;
    va_start(ap, fmt);
    sb_vprintf(&text, fmt, ap);
    va_end(ap);
    s->trace->note(s->trace->ctx, sb_str(&text));
    sb_free(&text);
}

/* ------------------------------------------------------------ resets */

static void abort_message(struct smtpd_session *ss)
{
    if (ss->message_open && ss->ops && ss->ops->abort)
	ss->ops->abort(ss->ops->ctx);
    ss->message_open = 0;
}

/* mail_reset - the end of a transaction (smtpd.c's mail_reset()) */
static void mail_reset(struct smtpd_session *ss)
{
    struct session *s = ss->s;

    ss->msg_size = 0;
    ss->act_size = 0;
    ss->size_rejected = 0;
    free(ss->verp_delims);
    ss->verp_delims = NULL;
    abort_message(ss);
    ss->err = STAT_OK;
    free(ss->queue_id);
    ss->queue_id = NULL;
    session_set(&s->sender, NULL);
    session_set(&s->dsn_envid, NULL);
    s->dsn_ret = s->body_type = NULL;
    s->flags &= ~SESSION_SMTPUTF8;
    session_set(&s->saved_filter, NULL);
    session_set(&s->saved_redirect, NULL);
    for (size_t i = 0; i < s->nsaved_bcc; i++)
	free(s->saved_bcc[i]);
    free(s->saved_bcc);
    s->saved_bcc = NULL;
    s->nsaved_bcc = 0;
    for (size_t i = 0; i < s->nprepend; i++)
	free(s->prepend[i]);
    free(s->prepend);
    s->prepend = NULL;
    s->nprepend = 0;
    s->saved_flags = 0;
    s->discard = 0;
    ss->bdat_state = BDAT_NONE;
    sb_reset(&ss->bdat_line);
}

/* rcpt_reset - smtpd.c's rcpt_reset() */
static void rcpt_reset(struct smtpd_session *ss)
{
    session_set(&ss->s->recipient, NULL);
    ss->s->rcpt_count = 0;
    ss->rcpt_overshoot = 0;
}

static void helo_reset(struct smtpd_session *ss)
{
    session_set(&ss->s->helo_name, NULL);
}

#define IN_MAIL_TRANSACTION(ss) ((ss)->s->sender != NULL)
#define PROCESSING_BDAT(ss) ((ss)->bdat_state != BDAT_NONE)

/* ------------------------------------------------------------ tokens */

/* quoted - <...> or "..." with nesting as smtpd_token.c's smtp_quoted() */
static const char *quoted(const char *cp, struct strbuf *tok, int start, int last, int *error)
{
    char stack[256];
    size_t depth = 0;
    int wanted = last, c;

    stack[depth++] = (char) last;
    sb_addch(tok, start);
    for (;;) {
	if ((c = *cp) == 0)
	    break;
	cp++;
	sb_addch(tok, c);
	if (c == '\\') {
	    if ((c = *cp) == 0)
		break;
	    cp++;
	    sb_addch(tok, c);
	} else if (c == wanted) {
	    if (depth == 1)
		return cp;
	    wanted = stack[--depth - 1];
	} else if (c == '"') {
	    if (depth < sizeof(stack))
		stack[depth++] = '"';
	    wanted = '"';
	} else if (c == '<' && wanted == '>') {
	    if (depth < sizeof(stack))
		stack[depth++] = '>';
	    wanted = '>';
	}
    }
    *error = 1;
    return cp;
}

/* tokenize - smtpd_token(): a command line as words */
static size_t tokenize(const char *cp, struct token **argvp)
{
    struct token *argv = NULL;
    size_t n = 0;

    for (;;) {
	struct strbuf tok = STRBUF_INIT;
	int error = 0, c;
	while ((c = *cp) != 0) {
	    cp++;
	    if (isspace((unsigned char) c)) {
		while (*cp && isspace((unsigned char) *cp))
		    cp++;
		if (tok.len > 0)
		    break;
	    } else if (c == '<') {
		cp = quoted(cp, &tok, c, '>', &error);
	    } else if (c == '"') {
		cp = quoted(cp, &tok, c, c, &error);
	    } else if (c == ':') {
		sb_addch(&tok, c);
		if ((tok.len == 3 && strncasecmp(tok.s, "to:", 3) == 0)
		    || (tok.len == 5 && strncasecmp(tok.s, "from:", 5) == 0))
		    break;
	    } else {
		if (c == '\\') {
		    sb_addch(&tok, c);
		    if ((c = *cp) == 0)
			break;
		    cp++;
		}
		sb_addch(&tok, c);
	    }
	}
	if (tok.len == 0) {
	    sb_free(&tok);
	    break;
	}
	argv = xrealloc(argv, (n + 1) * sizeof(*argv));
	argv[n].text = sb_detach(&tok);
	argv[n].error = error;
	n++;
    }
    *argvp = argv;
    return n;
}

static void free_tokens(struct token *argv, size_t argc)
{
    for (size_t i = 0; i < argc; i++)
	free(argv[i].text);
    free(argv);
}

/* collapse_args - the words after the first as one (HELO a b) */
static void collapse_args(struct token *argv, size_t argc)
{
    struct strbuf joined = STRBUF_INIT;

    for (size_t i = 1; i < argc; i++) {
	if (i > 1)
	    sb_addch(&joined, ' ');
	sb_adds(&joined, argv[i].text);
    }
    free(argv[1].text);
    argv[1].text = sb_detach(&joined);
}

/* printable_q - Postfix's printable(s, '?'): non-printable bytes as ? */
static void printable_q(char *text, int utf8)
{
    for (unsigned char *cp = (unsigned char *) text; *cp; cp++) {
	if (*cp < 0x80 && isprint(*cp))
	    continue;
	if (utf8 && *cp >= 194 && *cp <= 254 && cp[1] >= 128 && cp[1] < 192) {
	    while (cp[1] >= 128 && cp[1] < 192)
		cp++;
	    continue;
	}
	*cp = '?';
    }
}

/* neuter - smtpd's neuter(): characters unsafe in log and queue records become ? */
static void neuter(char *text)
{
    for (char *cp = text; *cp; cp++)
	if (strchr(" <>()\\\";@", *cp) != NULL)
	    *cp = '?';
}

/* ------------------------------------------------------------ addresses */

/*
 * extract_addr - smtpd.c's extract_addr(): the address of a MAIL FROM or
 * RCPT TO argument in internal form, into *addr. Returns 0, or -1 for
 * "Bad ... address syntax".
 */
static int extract_addr(struct smtpd_session *ss, const char *arg, int allow_empty,
			int strict, char **addr)
{
    struct session *s = ss->s;
    size_t len = strlen(arg);
    char *text = len >= 2 && arg[0] == '<' && arg[len - 1] == '>'
	? xstrndup(arg + 1, len - 2) : xstrdup(arg);
    const char *start = text, *colon;
    struct strbuf buf = STRBUF_INIT;
    int err = 0, naddr = 0, non_addr = 0;

    if (*start == '@' && (colon = strchr(start, ':')) != NULL)
	start = colon + 1;
    struct a822 tok;
    int32_t addr_tok = A822_NONE;

    a822_init(&tok);
    for (int32_t tp = a822_parse(&tok, start); tp != A822_NONE; tp = tok.tok[tp].next) {
	if (tok.tok[tp].type == A822_ADDR) {
	    addr_tok = tp;
	    naddr++;
	} else if (tok.tok[tp].type != '<' && tok.tok[tp].type != '>') {
	    non_addr++;
	}
    }
    if (naddr > 1 || (strict && (non_addr || arg[0] != '<')))
	err = 1;
    sb_set(&buf, "");
    if (addr_tok != A822_NONE)
	a822_internalize(&tok, &buf, tok.tok[addr_tok].head);
    a822_free(&tok);
    if (err == 0) {
	const char *a = sb_str(&buf);
	if ((*a == 0 && !allow_empty) || (strict && *a == '@'))
	    err = 1;
	else if (*a != 0 && !STAND_ALONE(ss)) {
	    /* smtpd_check_addr(): the address must resolve, and an ASCII domain without SMTPUTF8 */
	    struct resolve_reply r;
	    resolve_reply_init(&r);
	    resolve_addr(s, strcmp(s->where, "MAIL") == 0
			 ? (s->recipient ? s->recipient : "") : (s->sender ? s->sender : ""),
			 a, &r);
	    if (r.flags & RESOLVE_FLAG_ERROR) {
		err = 1;
	    } else if ((s->flags & SESSION_SMTPUTF8) == 0) {
		const char *at = strrchr(sb_str(&r.recipient), '@');
		if (at != NULL)
		    for (const unsigned char *cp = (const unsigned char *) at + 1; *cp; cp++)
			if (*cp >= 0x80)
			    err = 1;
	    }
	    resolve_reply_free(&r);
	}
    }
    if (err) {
	char *shown = xstrdup(arg);
	printable_q(shown, 0);
	note(ss, "warning: Illegal address syntax from %s in %s command: %s", s->namaddr,
	     s->where, shown);
	free(shown);
    }
    free(text);
    *addr = sb_detach(&buf);
    return err ? -1 : 0;
}

/* ------------------------------------------------------------ commands */

typedef int command_fn(struct smtpd_session *ss, struct token *argv, size_t argc);

/*
 * sasl_active - is SASL on for this session? With smtpd_tls_auth_only
 * (or TLS enforced) only after STARTTLS. pfc has no SASL server of its own
 * yet: it announces PLAIN and LOGIN; a login given in advance (pfc trace
 * --sasl, XCLIENT LOGIN=) stands for a successful AUTH.
 */
static int sasl_active(const struct smtpd_session *ss)
{
    return ss->sasl_enable && (!ss->tls_auth_only || (ss->s->flags & SESSION_TLS));
}

/* helo_common - what HELO and EHLO share */
static int helo_common(struct smtpd_session *ss, struct token *argv, size_t argc,
		       const char *cmd)
{
    struct session *s = ss->s;
    const char *err;

    if (argc < 2)
	return refuse(ss, ERR_PROTOCOL, "501 Syntax: %s hostname", cmd);
    if (argc > 2)
	collapse_args(argv, argc);
    if (!STAND_ALONE(ss) && !ss->delay_reject
	&& (err = engine_check_helo(s, argv[1].text)) != NULL) {
	reply(ss, "%s", err);
	return -1;
    }
    helo_reset(ss);
    chat_reset(ss, (size_t) ss->hist_threshold);
    mail_reset(ss);
    rcpt_reset(ss);
    char *name = xstrdup(argv[1].text);
    printable_q(name, ss->smtputf8);
    neuter(name);
    free(s->helo_name);
    s->helo_name = name;
    return 0;
}

static int cmd_helo(struct smtpd_session *ss, struct token *argv, size_t argc)
{
    if (helo_common(ss, argv, argc, "HELO") < 0)
	return -1;
    if (strcasecmp(ss->s->protocol, "ESMTP") != 0 && strcasecmp(ss->s->protocol, "SMTP") != 0)
	ss->s->protocol = "SMTP";
    reply(ss, "250 %s", ss->myhostname);
    return 0;
}

/* verp_allowed - may this client ask for XVERP (smtpd_authorized_verp_clients)? */
static int verp_allowed(struct smtpd_session *ss)
{
    struct session *s = ss->s;

    return match_namadr(s, "smtpd_authorized_verp_clients", s->name, s->addr) == MATCH_YES;
}

static int cmd_ehlo(struct smtpd_session *ss, struct token *argv, size_t argc)
{
    const char *words[20];
    char size[40];
    size_t n = 0;
    unsigned discard = ss->ehlo_discard;

    if (helo_common(ss, argv, argc, "EHLO") < 0)
	return -1;
    ss->s->protocol = "ESMTP";
    if ((discard & EHLO_ENHANCEDSTATUSCODES) == 0 && discard && !(discard & EHLO_SILENT))
	note(ss, "discarding EHLO keywords");
    words[n++] = ss->myhostname;
    if ((discard & EHLO_PIPELINING) == 0)
	words[n++] = "PIPELINING";
    if ((discard & EHLO_SIZE) == 0) {
	if (ss->message_limit > 0) {
	    snprintf(size, sizeof(size), "SIZE %lu", (unsigned long) ss->message_limit);
	    words[n++] = size;
	} else {
	    words[n++] = "SIZE";
	}
    }
    if ((discard & EHLO_VRFY) == 0 && !ss->disable_vrfy)
	words[n++] = "VRFY";
    if ((discard & EHLO_ETRN) == 0)
	words[n++] = "ETRN";
    if ((discard & EHLO_STARTTLS) == 0 && ss->use_tls && !(ss->s->flags & SESSION_TLS))
	words[n++] = "STARTTLS";
    if ((discard & EHLO_AUTH) == 0 && sasl_active(ss))
	words[n++] = "AUTH PLAIN LOGIN";
    if ((discard & EHLO_VERP) == 0 && verp_allowed(ss))
	words[n++] = "XVERP";
    if ((discard & EHLO_XCLIENT) == 0 && ss->xclient_allowed)
	words[n++] = "XCLIENT NAME ADDR PROTO HELO REVERSE_NAME PORT LOGIN DESTADDR DESTPORT";
    if ((discard & EHLO_XFORWARD) == 0 && ss->xforward_allowed)
	words[n++] = "XFORWARD NAME ADDR PROTO HELO SOURCE PORT IDENT";
    if ((discard & EHLO_ENHANCEDSTATUSCODES) == 0)
	words[n++] = "ENHANCEDSTATUSCODES";
    if ((discard & EHLO_8BITMIME) == 0)
	words[n++] = "8BITMIME";
    if ((discard & EHLO_DSN) == 0)
	words[n++] = "DSN";
    if (ss->smtputf8 && (discard & EHLO_SMTPUTF8) == 0)
	words[n++] = "SMTPUTF8";
    if ((discard & EHLO_CHUNKING) == 0)
	words[n++] = "CHUNKING";
    for (size_t i = 0; i < n; i++)
	reply(ss, "250%c%s", i + 1 < n ? '-' : ' ', words[i]);
    return 0;
}

/* dsn_ret_ok - RET=FULL or RET=HDRS */
static int dsn_ret_ok(const char *value)
{
    return strcasecmp(value, "FULL") == 0 || strcasecmp(value, "HDRS") == 0;
}

/* xtext_ok - RFC 3461 xtext that decodes to printable text */
static int xtext_ok(const char *text)
{
    for (const char *cp = text; *cp; cp++) {
	if (*cp == '+') {
	    if (!isxdigit((unsigned char) cp[1]) || !isxdigit((unsigned char) cp[2]))
		return 0;
	    unsigned value;
	    sscanf(cp + 1, "%2x", &value);
	    if (value < 0x20 || value > 0x7e)
		return 0;
	    cp += 2;
	} else if ((unsigned char) *cp < 0x21 || (unsigned char) *cp > 0x7e || *cp == '=') {
	    return 0;
	}
    }
    return 1;
}

/* xtext_decode - RFC 3461 xtext, or the text itself when it is not xtext */
static char *xtext_decode(const char *raw)
{
    struct strbuf out = STRBUF_INIT;

    for (const char *cp = raw; *cp; cp++) {
	unsigned value;
	if (*cp == '+' && isxdigit((unsigned char) cp[1]) && isxdigit((unsigned char) cp[2])
	    && sscanf(cp + 1, "%2x", &value) == 1) {
	    sb_addch(&out, (int) value);
	    cp += 2;
	} else if (*cp == '+') {
	    sb_free(&out);
	    return xstrdup(raw);
	} else {
	    sb_addch(&out, *cp);
	}
    }
    sb_addn(&out, "", 0);
    return sb_detach(&out);
}

/*
 * uxtext_decode - RFC 6533's utf-8-addr-xtext and utf-8-addr-unitext, as
 * Postfix's smtpd decodes ORCPT=utf-8;ADDR (uxtext_unquote()): each
 * \x{HEX} a code point, written as UTF-8; any other byte as it is.
 * NULL when a \x{ has a byte that is not a hex digit before its } (or no
 * }), or a value over 0x10FFFF.
 */
static char *uxtext_decode(const char *raw)
{
    struct strbuf out = STRBUF_INIT;

    for (const char *cp = raw; *cp; cp++) {
	if (!(cp[0] == '\\' && cp[1] == 'x' && cp[2] == '{')) {
	    sb_addch(&out, *cp);
	    continue;
	}
	unsigned long code = 0;
	for (cp += 3; *cp != '}'; cp++) {
	    if (!isxdigit((unsigned char) *cp)) {
		sb_free(&out);
		return NULL;
	    }
	    code = code * 16 + (unsigned long) (isdigit((unsigned char) *cp) ? *cp - '0'
						: tolower((unsigned char) *cp) - 'a' + 10);
	    if (code > 0x10ffff) {
		sb_free(&out);
		return NULL;
	    }
	}
	/* UTF-8: one byte below 0x80, else a lead byte and 6 bits a byte. */
	int more = code < 0x80 ? 0 : code < 0x800 ? 1 : code < 0x10000 ? 2 : 3;
	static const unsigned char lead[] = { 0x00, 0xc0, 0xe0, 0xf0 };
	sb_addch(&out, (int) (lead[more] | (code >> (6 * more))));
	for (int k = more - 1; k >= 0; k--)
	    sb_addch(&out, (int) (0x80 | ((code >> (6 * k)) & 0x3f)));
    }
    sb_addn(&out, "", 0);
    return sb_detach(&out);
}

static int cmd_mail(struct smtpd_session *ss, struct token *argv, size_t argc)
{
    struct session *s = ss->s;
    const char *err;
    char *addr;
    const char *dsn_ret = NULL, *body_type = NULL;
    char *dsn_envid = NULL;

    s->flags &= ~SESSION_SMTPUTF8;
    if (ss->helo_required && s->helo_name == NULL)
	return refuse(ss, ERR_POLICY, "503 5.5.1 Error: send HELO/EHLO first");
    if (IN_MAIL_TRANSACTION(ss))
	return refuse(ss, ERR_PROTOCOL, "503 5.5.1 Error: nested MAIL command");
    if (PROCESSING_BDAT(ss))
	return refuse(ss, ERR_PROTOCOL, "503 5.5.1 Error: MAIL after BDAT");
    if (argc < 3 || strcasecmp(argv[1].text, "from:") != 0)
	return refuse(ss, ERR_PROTOCOL, "501 5.5.4 Syntax: MAIL FROM:<address>");
    if (argv[2].error)
	return refuse(ss, ERR_PROTOCOL, "501 5.1.7 Bad sender address syntax");
    if (ss->smtputf8 && (ss->ehlo_discard & EHLO_SMTPUTF8) == 0)
	for (size_t i = 3; i < argc; i++)
	    if (strcasecmp(argv[i].text, "SMTPUTF8") == 0)
		s->flags |= SESSION_SMTPUTF8;
    if (extract_addr(ss, argv[2].text, 1, ss->strict_rfc821, &addr) < 0) {
	free(addr);
	free(dsn_envid);
	return refuse(ss, ERR_PROTOCOL, "501 5.1.7 Bad sender address syntax");
    }
    for (size_t i = 3; i < argc; i++) {
	const char *arg = argv[i].text;
	if (strcasecmp(arg, "BODY=8BITMIME") == 0 || strcasecmp(arg, "BODY=7BIT") == 0) {
	    body_type = strcasecmp(arg + 5, "7BIT") == 0 ? "7BIT" : "8BITMIME";
	    continue;
	} else if (strncasecmp(arg, "SIZE=", 5) == 0) {
	    if (!all_digits(arg + 5)) {
		free(addr);
		free(dsn_envid);
		return refuse(ss, ERR_PROTOCOL, "501 5.5.4 Bad message size syntax");
	    }
	    errno = 0;
	    long long size = strtoll(arg + 5, NULL, 10);
	    if (errno != 0 || size > LONG_MAX) {
		free(addr);
		free(dsn_envid);
		return refuse(ss, ERR_POLICY,
			      "552 5.3.4 Message size exceeds file system imposed limit");
	    }
	    ss->msg_size = (long) size;
	} else if (ss->smtputf8 && (ss->ehlo_discard & EHLO_SMTPUTF8) == 0
		   && strcasecmp(arg, "SMTPUTF8") == 0) {
	    continue;
	} else if (strncasecmp(arg, "AUTH=", 5) == 0 && ss->sasl_enable) {
	    continue;
	} else if (strncasecmp(arg, "XVERP", 5) == 0 && (arg[5] == '=' || arg[5] == 0)
		   && verp_allowed(ss)) {
	    const char *delims = arg[5] ? arg + 6 : policy_value(ss->p, "default_verp_delimiters");
	    const char *filter = policy_value(ss->p, "verp_delimiter_filter");
	    if (strlen(delims) != 2 || delims[strspn(delims, filter)] != 0) {
		free(addr);
		free(dsn_envid);
		return refuse(ss, ERR_PROTOCOL, "501 5.5.4 Error: XVERP needs two characters from %s",
			      filter);
	    }
	    free(ss->verp_delims);
	    ss->verp_delims = xstrdup(delims);
	} else if ((ss->ehlo_discard & EHLO_DSN)
		   && (strncasecmp(arg, "RET=", 4) == 0 || strncasecmp(arg, "ENVID=", 6) == 0)) {
	    free(addr);
	    free(dsn_envid);
	    return refuse(ss, ERR_PROTOCOL, "501 5.7.1 DSN support is disabled");
	} else if (strncasecmp(arg, "RET=", 4) == 0) {
	    if (dsn_ret || !dsn_ret_ok(arg + 4)) {
		free(addr);
		free(dsn_envid);
		return refuse(ss, ERR_PROTOCOL, "501 5.5.4 Bad RET parameter syntax");
	    }
	    dsn_ret = strcasecmp(arg + 4, "HDRS") == 0 ? "HDRS" : "FULL";
	} else if (strncasecmp(arg, "ENVID=", 6) == 0) {
	    if (dsn_envid || !xtext_ok(arg + 6)) {
		free(addr);
		free(dsn_envid);
		return refuse(ss, ERR_PROTOCOL, "501 5.5.4 Bad ENVID parameter syntax");
	    }
	    dsn_envid = xtext_decode(arg + 6);
	} else {
	    free(addr);
	    free(dsn_envid);
	    return refuse(ss, ERR_PROTOCOL, "555 5.5.4 Unsupported option: %s", arg);
	}
    }
    /* The size check sees the new sender; a refused SIZE= sticks until reset (SPEC-runtime 1.3). */
    char *saved = s->sender;
    s->sender = addr;
    err = engine_check_size(s, ss->msg_size);
    s->sender = saved;
    if (err != NULL) {
	reply(ss, "%s", err);
	free(addr);
	free(dsn_envid);
	return -1;
    }
    if (!STAND_ALONE(ss) && !ss->delay_reject && (err = engine_check_mail(s, addr)) != NULL) {
	mail_reset(ss);
	reply(ss, "%s", err);
	free(addr);
	free(dsn_envid);
	return -1;
    }
    s->sender = addr;
    s->dsn_envid = dsn_envid;
    s->dsn_ret = dsn_ret;
    s->body_type = body_type;
    reply(ss, "250 2.1.0 Ok");
    return 0;
}

/* notify_ok - NOTIFY=NEVER, or a list of SUCCESS, FAILURE, DELAY */
static int notify_mask(const char *value)
{
    char *copy = xstrdup(value), *cp = copy, *word;
    int mask = 0, never = 0, count = 0;

    while ((word = strsep(&cp, ",")) != NULL) {
	count++;
	if (strcasecmp(word, "NEVER") == 0)
	    never = 1;
	else if (strcasecmp(word, "SUCCESS") == 0)
	    mask |= 1;
	else if (strcasecmp(word, "FAILURE") == 0)
	    mask |= 2;
	else if (strcasecmp(word, "DELAY") == 0)
	    mask |= 4;
	else
	    mask = -1000;
    }
    free(copy);
    if (never)
	return count == 1 ? 8 : 0;
    return mask > 0 ? mask : 0;
}

/* open_message - the first accepted recipient opens the queue file */
static int open_message(struct smtpd_session *ss)
{
    if (ss->message_open || ss->ops == NULL || ss->ops->open == NULL)
	return 0;
    const char *qid = ss->ops->open(ss->ops->ctx, ss->s);
    free(ss->queue_id);
    ss->queue_id = xstrdup(qid ? qid : "");
    ss->message_open = 1;
    return 0;
}

static int cmd_rcpt(struct smtpd_session *ss, struct token *argv, size_t argc)
{
    struct session *s = ss->s;
    const char *err;
    char *addr;
    int dsn_notify = 0;
    char *orcpt = NULL;

    if (!IN_MAIL_TRANSACTION(ss))
	return refuse(ss, ERR_PROTOCOL, "503 5.5.1 Error: need MAIL command");
    if (PROCESSING_BDAT(ss))
	return refuse(ss, ERR_PROTOCOL, "503 5.5.1 Error: RCPT after BDAT");
    if (argc < 3 || strcasecmp(argv[1].text, "to:") != 0)
	return refuse(ss, ERR_PROTOCOL, "501 5.5.4 Syntax: RCPT TO:<address>");
    if (argv[2].error)
	return refuse(ss, ERR_PROTOCOL, "501 5.1.3 Bad recipient address syntax");
    if (extract_addr(ss, argv[2].text, 0, ss->strict_rfc821, &addr) < 0) {
	free(addr);
	return refuse(ss, ERR_PROTOCOL, "501 5.1.3 Bad recipient address syntax");
    }
    for (size_t i = 3; i < argc; i++) {
	const char *arg = argv[i].text;
	if ((ss->ehlo_discard & EHLO_DSN)
	    && (strncasecmp(arg, "NOTIFY=", 7) == 0 || strncasecmp(arg, "ORCPT=", 6) == 0)) {
	    (void) refuse(ss, ERR_PROTOCOL, "501 5.7.1 DSN support is disabled");
	    goto fail;
	} else if (strncasecmp(arg, "NOTIFY=", 7) == 0) {
	    if (dsn_notify || (dsn_notify = notify_mask(arg + 7)) == 0) {
		note(ss, "warning: unknown DSN NOTIFY command value \"%s\" in \"%s\"",
		     arg + 7, arg + 7);
		(void) refuse(ss, ERR_PROTOCOL, "501 5.5.4 Error: Bad NOTIFY parameter syntax");
		goto fail;
	    }
	} else if (strncasecmp(arg, "ORCPT=", 6) == 0) {
	    const char *semi = strchr(arg + 6, ';');
	    /* TYPE utf-8: RFC 6533's encoding; any other: RFC 3461's xtext. */
	    int utf8 = semi == arg + 11 && strncasecmp(arg + 6, "utf-8", 5) == 0;
	    char *decoded = semi == NULL ? NULL
		: utf8 ? uxtext_decode(semi + 1) : xtext_ok(semi + 1) ? xtext_decode(semi + 1) : NULL;
	    if (orcpt != NULL || semi == NULL || semi == arg + 6 || decoded == NULL) {
		free(decoded);
		(void) refuse(ss, ERR_PROTOCOL, "501 5.5.4 Error: Bad ORCPT parameter syntax");
		goto fail;
	    }
	    /* Kept as TYPE;ADDRESS decoded, as Postfix's queue file has it. */
	    struct strbuf value = STRBUF_INIT;
	    sb_printf(&value, "%.*s%s", (int) (semi + 1 - (arg + 6)), arg + 6, decoded);
	    free(decoded);
	    orcpt = sb_detach(&value);
	} else {
	    (void) refuse(ss, ERR_PROTOCOL, "555 5.5.4 Unsupported option: %s", arg);
	    goto fail;
	}
    }
    if (ss->rcpt_limit && s->rcpt_count >= ss->rcpt_limit) {
	reply(ss, "452 4.5.3 Error: too many recipients");
	free(addr);
	free(orcpt);
	if (ss->rcpt_overshoot++ < ss->rcpt_overlim)
	    return 0;
	s->error_mask |= ERR_POLICY;
	return -1;
    }
    if (!STAND_ALONE(ss) && (err = engine_check_rcpt(s, addr)) != NULL) {
	reply(ss, "%s", err);
	goto fail;
    }
    open_message(ss);
    s->rcpt_count++;
    if (s->recipient == NULL)
	s->recipient = xstrdup(addr);
    if (orcpt == NULL) {
	/* No ORCPT: Postfix's smtpd records the address as the client gave it. */
	const char *given = argv[2].text;
	size_t len = strlen(given);
	if (len >= 2 && given[0] == '<' && given[len - 1] == '>')
	    given++, len -= 2;
	struct strbuf value = STRBUF_INIT;
	sb_printf(&value, "rfc822;%.*s", (int) len, given);
	orcpt = sb_detach(&value);
    }
    if (ss->ops && ss->ops->recipient)
	ss->ops->recipient(ss->ops->ctx, addr, dsn_notify, orcpt);
    reply(ss, "250 2.1.5 Ok");
    free(addr);
    free(orcpt);
    return 0;
  fail:
    free(addr);
    free(orcpt);
    return -1;
}

/* ------------------------------------------------------------ message content */

/* put_record - one content record, within message_size_limit */
static void put_record(struct smtpd_session *ss, int type, const char *data, size_t len)
{
    if (ss->err != STAT_OK)
	return;
    if (ss->message_limit > 0 && ss->message_limit - ss->act_size < (long) len + 2) {
	ss->err |= STAT_SIZE;
	note(ss, "warning: %s: queue file size limit exceeded",
	     ss->queue_id && *ss->queue_id ? ss->queue_id : "NOQUEUE");
	return;
    }
    ss->act_size += (long) len + 2;
    if (ss->ops && ss->ops->content)
	ss->ops->content(ss->ops->ctx, type, data, len);
}

/*
 * post_message - common_post_message_handling(): end-of-data restrictions,
 * the sink's verdict, and the reply.
 */
static int post_message(struct smtpd_session *ss, int bdat)
{
    struct session *s = ss->s;
    const char *err;

    s->where = "END-OF-MESSAGE";
    if (ss->err == STAT_OK && !STAND_ALONE(ss) && (err = engine_check_eod(s)) != NULL) {
	reply(ss, "%s", err);
	/* smtpd 3.7 keeps the transaction here (SPEC-runtime 0.4, 11). */
	abort_message(ss);
	return -1;
    }
    sb_reset(&ss->why);
    int rejected = 0;
    if (ss->err == STAT_OK) {
	if (ss->ops && ss->ops->close && ss->message_open)
	    rejected = ss->ops->close(ss->ops->ctx, s, &ss->why) != 0;
	ss->message_open = 0;
    } else {
	abort_message(ss);
    }
    int status = 0;
    if (ss->err == STAT_OK && !rejected) {
	ss->error_count = 0;
	s->error_mask = 0;
	ss->junk_cmds = 0;
	if (bdat)
	    reply(ss, "250 2.0.0 Ok: %ld bytes queued as %s", ss->act_size, ss->queue_id);
	else
	    reply(ss, "250 2.0.0 Ok: queued as %s", ss->queue_id);
    } else if (ss->err & STAT_BARE_LF) {
	(void) refuse(ss, ERR_PROTOCOL, "%d 5.5.2 %s Error: bare <LF> received",
		      ss->bare_lf_code, ss->myhostname);
	status = -1;
    } else if (ss->err & STAT_SIZE) {
	(void) refuse(ss, ERR_BOUNCE, "552 5.3.4 Error: message file too big");
	status = -1;
    } else if (ss->err & STAT_WRITE) {
	(void) refuse(ss, ERR_RESOURCE, "451 4.3.0 Error: queue file write error");
	status = -1;
    } else {
	(void) refuse(ss, ERR_POLICY, "%s",
		      ss->why.len ? sb_str(&ss->why) : "451 4.3.0 Error: internal error");
	status = -1;
    }
    chat_reset(ss, (size_t) ss->hist_threshold);
    mail_reset(ss);
    rcpt_reset(ss);
    return status;
}

/* data_line - one line of DATA content (receive_data_message()) */
static void data_line(struct smtpd_session *ss, const char *line, size_t len, int type)
{
    if (ss->data_first) {
	size_t skip = strspn(line, ">");
	if (len >= skip + 5 && strncmp(line + skip, "From ", 5) == 0) {
	    struct strbuf h = STRBUF_INIT;
	    sb_adds(&h, "X-Mailbox-Line: ");
	    sb_addn(&h, line, len);
	    put_record(ss, type, h.s, h.len);
	    sb_free(&h);
	    return;
	}
	ss->data_first = 0;
	if (len > 0 && (line[0] == ' ' || line[0] == '\t'))
	    put_record(ss, SMTPD_REC_NORM, "", 0);
    }
    put_record(ss, type, line, len);
}

static int cmd_data(struct smtpd_session *ss, struct token *argv, size_t argc)
{
    struct session *s = ss->s;
    const char *err;

    (void) argv;
    if (PROCESSING_BDAT(ss))
	return refuse(ss, ERR_PROTOCOL, "503 5.5.1 Error: DATA after BDAT");
    if (s->rcpt_count == 0) {
	if (!IN_MAIL_TRANSACTION(ss)) {
	    (void) refuse(ss, ERR_PROTOCOL, "503 5.5.1 Error: need RCPT command");
	} else {
	    reply(ss, "554 5.5.1 Error: no valid recipients");
	}
	return -1;
    }
    if (argc != 1)
	return refuse(ss, ERR_PROTOCOL, "501 5.5.4 Syntax: DATA");
    if (!STAND_ALONE(ss) && (err = engine_check_data(s)) != NULL) {
	reply(ss, "%s", err);
	return -1;
    }
    /* Access-table PREPEND headers go first. */
    for (size_t i = 0; i < s->nprepend; i++)
	put_record(ss, SMTPD_REC_NORM, s->prepend[i], strlen(s->prepend[i]));
    reply(ss, "354 End data with <CR><LF>.<CR><LF>");
    s->where = "DATA content";
    ss->mode = IN_DATA;
    ss->data_first = 1;
    ss->prev_rec_cont = 0;
    ss->prev_bare_lf = 0;
    return 0;
}

/* skip_bdat - refuse a chunk: its bytes are read and dropped */
static int skip_bdat(struct smtpd_session *ss, long size, int last, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int skip_bdat(struct smtpd_session *ss, long size, int last, const char *fmt, ...)
{
    va_list ap;
    struct strbuf text = STRBUF_INIT;

    va_start(ap, fmt);
    sb_vprintf(&text, fmt, ap);
    va_end(ap);
    reply(ss, "%s", sb_str(&text));
    sb_free(&text);
    if (last)
	mail_reset(ss);
    else
	ss->bdat_state = BDAT_ERROR;
    /* The chunk's bytes still come; they are dropped as they arrive. */
    ss->mode = IN_BDAT;
    ss->bdat_left = size;
    ss->bdat_size = -1;
    return -1;
}

static int cmd_bdat(struct smtpd_session *ss, struct token *argv, size_t argc)
{
    struct session *s = ss->s;
    const char *err;

    if (ss->ehlo_discard & EHLO_CHUNKING)
	return refuse(ss, ERR_PROTOCOL, "521 5.5.1 Error: command not implemented");
    int last = argc == 3;
    if (argc < 2 || argc > 3 || !all_digits(argv[1].text)
	|| (last && strcasecmp(argv[2].text, "LAST") != 0)) {
	s->error_mask |= ERR_PROTOCOL;
	note(ss, "warning: %s: malformed BDAT command syntax from %s",
	     ss->queue_id && *ss->queue_id ? ss->queue_id : "NOQUEUE", s->namaddr);
	reply(ss, "521 5.5.4 Syntax: BDAT count [LAST]");
	return -1;
    }
    errno = 0;
    long long chunk = strtoll(argv[1].text, NULL, 10);
    if (errno != 0 || chunk > LONG_MAX)
	return refuse(ss, ERR_PROTOCOL, "521 5.5.4 Syntax: BDAT count [LAST]");
    long size = (long) chunk;
    if (size == 0 && !last)
	return skip_bdat(ss, size, last, "551 5.7.1 Null BDAT request");
    if (ss->bdat_state == BDAT_ERROR)
	return skip_bdat(ss, size, last, "551 5.0.0 Discarded %ld bytes after earlier error",
			 size);
    if (!PROCESSING_BDAT(ss)) {
	if (s->rcpt_count == 0) {
	    if (!IN_MAIL_TRANSACTION(ss)) {
		s->error_mask |= ERR_PROTOCOL;
		return skip_bdat(ss, size, last, "503 5.5.1 Error: need RCPT command");
	    }
	    return skip_bdat(ss, size, last, "554 5.5.1 Error: no valid recipients");
	}
	if (!STAND_ALONE(ss) && (err = engine_check_data(s)) != NULL)
	    return skip_bdat(ss, size, last, "%s", err);
    }
    if (ss->message_limit > 0 && ss->act_size > ss->message_limit - size) {
	s->error_mask |= ERR_POLICY;
	return skip_bdat(ss, size, last, "552 5.3.4 Chunk exceeds message size limit");
    }
    if (!PROCESSING_BDAT(ss)) {
	for (size_t i = 0; i < s->nprepend; i++)
	    put_record(ss, SMTPD_REC_NORM, s->prepend[i], strlen(s->prepend[i]));
	sb_reset(&ss->bdat_line);
	ss->bdat_prev_cont = 0;
    }
    ss->bdat_state = BDAT_OK;
    s->where = "BDAT content";
    ss->mode = IN_BDAT;
    ss->bdat_left = size;
    ss->bdat_size = size;
    ss->bdat_last = last;
    return 0;
}

static int cmd_rset(struct smtpd_session *ss, struct token *argv, size_t argc)
{
    (void) argv;
    if (argc != 1) {
	ss->s->error_mask |= ERR_PROTOCOL;
	reply(ss, "501 5.5.4 Syntax: RSET");
	return -1;
    }
    chat_reset(ss, (size_t) ss->hist_threshold);
    mail_reset(ss);
    rcpt_reset(ss);
    reply(ss, "250 2.0.0 Ok");
    return 0;
}

static int cmd_noop(struct smtpd_session *ss, struct token *argv, size_t argc)
{
    (void) argv, (void) argc;
    reply(ss, "250 2.0.0 Ok");
    return 0;
}

static int cmd_vrfy(struct smtpd_session *ss, struct token *argv, size_t argc)
{
    struct session *s = ss->s;
    int smtputf8 = 0;
    char *addr;
    const char *err;

    if (ss->disable_vrfy)
	return refuse(ss, ERR_POLICY, "502 5.5.1 VRFY command is disabled");
    if (ss->smtputf8 && (ss->ehlo_discard & EHLO_SMTPUTF8) == 0 && argc > 1
	&& strcasecmp(argv[argc - 1].text, "SMTPUTF8") == 0) {
	argc--;
	smtputf8 = 1;
    }
    if (argc < 2)
	return refuse(ss, ERR_PROTOCOL, "501 5.5.4 Syntax: VRFY address%s",
		      ss->smtputf8 ? " [SMTPUTF8]" : "");
    if (argc > 2)
	collapse_args(argv, argc);
    unsigned saved_flags = s->flags;
    if (smtputf8)
	s->flags |= SESSION_SMTPUTF8;
    int bad = extract_addr(ss, argv[1].text, 0, 0, &addr) < 0;
    if (bad) {
	s->flags = saved_flags;
	free(addr);
	return refuse(ss, ERR_PROTOCOL, "501 5.1.3 Bad recipient address syntax");
    }
    err = STAND_ALONE(ss) ? NULL : engine_check_rcpt(s, addr);
    s->flags = saved_flags;
    free(addr);
    if (err != NULL) {
	reply(ss, "%s", err);
	return -1;
    }
    reply(ss, "252 2.0.0 %s", argv[1].text);
    return 0;
}


static int cmd_etrn(struct smtpd_session *ss, struct token *argv, size_t argc)
{
    struct session *s = ss->s;
    const char *err;

    if (ss->helo_required && s->helo_name == NULL)
	return refuse(ss, ERR_POLICY, "503 Error: send HELO/EHLO first");
    if (IN_MAIL_TRANSACTION(ss))
	return refuse(ss, ERR_PROTOCOL, "503 Error: MAIL transaction in progress");
    if (argc != 2)
	return refuse(ss, ERR_PROTOCOL, "500 Syntax: ETRN domain");
    char *domain = argv[1].text;
    if (domain[0] == '@' || domain[0] == '#')
	domain++;
    if (!valid_hostname(domain, 0) && !valid_mailhost_literal(domain, 0))
	return refuse(ss, ERR_PROTOCOL, "501 Error: invalid parameter syntax");
    if (STAND_ALONE(ss)) {
	note(ss, "warning: do not use ETRN in \"sendmail -bs\" mode");
	reply(ss, "458 Unable to queue messages");
	return -1;
    }
    if ((err = engine_check_etrn(s, domain)) != NULL) {
	reply(ss, "%s", err);
	return -1;
    }
    /* The fast flush service answers for fast_flush_domains only. */
    if (match_domain(s, "fast_flush_domains", domain) == MATCH_YES) {
	reply(ss, "250 Queuing started");
	return 0;
    }
    note(ss, "warning: reject: ETRN %.100s... from %s", domain, s->namaddr);
    reply(ss, "459 <%s>: service unavailable", domain);
    return -1;
}

static int cmd_quit(struct smtpd_session *ss, struct token *argv, size_t argc)
{
    (void) argv, (void) argc;
    reply(ss, "221 2.0.0 Bye");
    ss->hangup = 1;
    return 0;
}


static int cmd_starttls(struct smtpd_session *ss, struct token *argv, size_t argc)
{
    struct session *s = ss->s;

    (void) argv;
    if (argc != 1)
	return refuse(ss, ERR_PROTOCOL, "501 5.5.4 Syntax: STARTTLS");
    if (s->flags & SESSION_TLS)
	return refuse(ss, ERR_PROTOCOL, "554 5.5.1 Error: TLS already active");
    if (!ss->use_tls || (ss->ehlo_discard & EHLO_STARTTLS))
	return refuse(ss, ERR_PROTOCOL, "502 5.5.1 Error: command not implemented");
    reply(ss, "220 2.0.0 Ready to start TLS");
    /*
     * The handshake is the caller's (pfcd's). After it, smtpd forgets
     * everything the client said in the clear.
     */
    s->flags |= SESSION_TLS;
    helo_reset(ss);
    mail_reset(ss);
    rcpt_reset(ss);
    s->protocol = "SMTP";
    note(ss, "STARTTLS: the TLS handshake is taken to succeed here");
    return 0;
}

static int cmd_auth(struct smtpd_session *ss, struct token *argv, size_t argc)
{
    struct session *s = ss->s;

    (void) argv;
    if (ss->helo_required && s->helo_name == NULL)
	return refuse(ss, ERR_POLICY, "503 5.5.1 Error: send HELO/EHLO first");
    if (!ss->sasl_enable || (ss->ehlo_discard & EHLO_AUTH)
	|| (ss->tls_auth_only && !(s->flags & SESSION_TLS) && !ss->sasl_enable)) {
	return refuse(ss, ERR_PROTOCOL, "503 5.5.1 Error: authentication not enabled");
    }
    if (IN_MAIL_TRANSACTION(ss))
	return refuse(ss, ERR_PROTOCOL, "503 5.5.1 Error: MAIL transaction in progress");
    if (ss->tls_auth_only && !(s->flags & SESSION_TLS))
	return refuse(ss, ERR_PROTOCOL,
		      "504 5.5.4 Encryption required for requested authentication mechanism");
    if (s->sasl_username != NULL)
	return refuse(ss, ERR_PROTOCOL, "503 5.5.1 Error: already authenticated");
    if (argc < 2 || argc > 3)
	return refuse(ss, ERR_PROTOCOL, "501 5.5.4 Syntax: AUTH mechanism");
    /*
     * No SASL server here: a login is given in advance (pfc trace --sasl,
     * as XCLIENT LOGIN=), so an AUTH in the conversation fails.
     */
    reply(ss, "535 5.7.8 Error: authentication failed: authentication failure");
    return -1;
}

static void greet(struct smtpd_session *ss);

/*
 * x_command_refused - what XCLIENT and XFORWARD refuse before looking at
 * an attribute (replied; -1): inside a transaction, none given, a client
 * not allowed. 0: go on.
 */
static int x_command_refused(struct smtpd_session *ss, size_t argc, int allowed,
			     const char *command)
{
    if (IN_MAIL_TRANSACTION(ss))
	return refuse(ss, ERR_PROTOCOL, "503 5.5.1 Error: MAIL transaction in progress");
    if (argc < 2)
	return refuse(ss, ERR_PROTOCOL, "501 5.5.4 Syntax: %s attribute=value...", command);
    if (!allowed)
	return refuse(ss, ERR_POLICY, "550 5.7.0 Error: insufficient authorization");
    return 0;
}

/*
 * x_attribute - an XCLIENT or XFORWARD "name=value": name ends at the
 * '=' (in place); the value xtext-decoded, unprintable bytes made '?' (a
 * new string), or NULL once a malformed one is refused.
 */
static char *x_attribute(struct smtpd_session *ss, char *name)
{
    char *raw = strchr(name, '='), *value;

    if (raw == NULL || raw[1] == 0) {
	refuse(ss, ERR_PROTOCOL, "501 5.5.4 Error: attribute=value expected");
	return NULL;
    }
    *raw++ = 0;
    if (strlen(raw) > 255) {
	refuse(ss, ERR_PROTOCOL, "501 5.5.4 Error: attribute value too long");
	return NULL;
    }
    value = xtext_decode(raw);
    printable_q(value, 0);
    return value;
}

/* The attributes of XFORWARD, in xforward[] order. */
static const char *const xforward_names[] = {
    "NAME", "ADDR", "PORT", "PROTO", "HELO", "IDENT", "SOURCE",
};

/*
 * cmd_xforward - XFORWARD: what a content filter tells of the original
 * client, for the queued message (the restrictions never see it).
 */
static int cmd_xforward(struct smtpd_session *ss, struct token *argv, size_t argc)
{
    if (x_command_refused(ss, argc, ss->xforward_allowed, "XFORWARD"))
	return -1;
    for (size_t i = 1; i < argc; i++) {
	char *name = argv[i].text, *value = x_attribute(ss, name), *normal = NULL;
	if (value == NULL)
	    return -1;
	size_t which = 0;
	while (which < 7 && strcasecmp(name, xforward_names[which]) != 0)
	    which++;
	if (which == 7) {
	    free(value);
	    return refuse(ss, ERR_PROTOCOL, "501 5.5.4 Bad XFORWARD attribute name: %s", name);
	}
	int unavailable = strcasecmp(value, "[UNAVAILABLE]") == 0, bad = 0, family;
	switch (which) {
	case 0:			/* NAME */
	    if (!unavailable) {
		neuter(value);
		bad = !valid_hostname(value, 0);
	    }
	    break;
	case 1:			/* ADDR */
	    if (!unavailable) {
		neuter(value);
		bad = normalize_mailhost_addr(value, ss->v4, ss->v6, &normal, &family) < 0;
	    }
	    break;
	case 2:			/* PORT */
	    bad = !unavailable && (!all_digits(value) || strlen(value) > 5);
	    break;
	case 3:			/* PROTO */
	    bad = !unavailable && strlen(value) > 64;
	    /* FALLTHROUGH */
	case 4:			/* HELO */
	case 5:			/* IDENT */
	    if (!unavailable && !bad)
		neuter(value);
	    break;
	default:		/* SOURCE */
	    if (unavailable)
		strcpy(value, "LOCAL");
	    bad = strcasecmp(value, "LOCAL") != 0 && strcasecmp(value, "REMOTE") != 0;
	    break;
	}
	if (bad) {
	    (void) refuse(ss, ERR_PROTOCOL, "501 5.5.4 Bad %s syntax: %s", name, value);
	    free(value);
	    return -1;
	}
	free(ss->xforward[which]);
	if (normal != NULL)
	    ss->xforward[which] = normal;
	else if (unavailable && (which == 4 || which == 5))
	    ss->xforward[which] = NULL;	/* no HELO, no ident */
	else
	    ss->xforward[which] = xstrdup(unavailable && which != 6 ? "unknown" : value);
	free(value);
    }
    reply(ss, "250 2.0.0 Ok");
    return 0;
}

static int cmd_xclient(struct smtpd_session *ss, struct token *argv, size_t argc)
{
    struct session *s = ss->s;
    int got_helo = 0, got_proto = 0, update_namaddr = 0;

    if (x_command_refused(ss, argc, ss->xclient_allowed, "XCLIENT"))
	return -1;
    for (size_t i = 1; i < argc; i++) {
	char *name = argv[i].text, *value = x_attribute(ss, name);
	if (value == NULL)
	    return -1;
	int unavailable = strcasecmp(value, "[UNAVAILABLE]") == 0;
	int temporary = strcasecmp(value, "[TEMPUNAVAIL]") == 0;
	int bad = 0;
	if (strcasecmp(name, "NAME") == 0 || strcasecmp(name, "REVERSE_NAME") == 0) {
	    int reverse = toupper((unsigned char) name[0]) == 'R';
	    int status = unavailable ? PEER_CODE_PERM : temporary ? PEER_CODE_TEMP : PEER_CODE_OK;
	    const char *shown = value;
	    if (status != PEER_CODE_OK)
		shown = "unknown";
	    else if (!valid_hostname(value, 0))
		bad = 1;
	    if (!bad) {
		if (reverse) {
		    session_set(&s->reverse_name, shown);
		    s->reverse_name_status = status;
		} else {
		    session_set(&s->name, shown);
		    s->name_status = status;
		    update_namaddr = 1;
		    if (status == PEER_CODE_OK) {
			session_set(&s->reverse_name, shown);
			s->reverse_name_status = status;
		    }
		}
	    }
	} else if (strcasecmp(name, "ADDR") == 0) {
	    if (unavailable) {
		session_set(&s->addr, "unknown");
	    } else {
		neuter(value);
		char *normal;
		int family;
		if (normalize_mailhost_addr(value, ss->v4, ss->v6, &normal, &family) < 0) {
		    bad = 1;
		} else {
		    free(s->addr);
		    s->addr = normal;
		}
	    }
	    update_namaddr = 1;
	} else if (strcasecmp(name, "PORT") == 0) {
	    if (!unavailable && (!all_digits(value) || strlen(value) > 5))
		bad = 1;
	    else
		session_set(&s->port, unavailable ? "unknown" : value);
	    update_namaddr = 1;
	} else if (strcasecmp(name, "HELO") == 0) {
	    if (!unavailable && strlen(value) > 255) {
		bad = 1;
	    } else {
		if (!unavailable)
		    neuter(value);
		session_set(&s->helo_name, unavailable ? NULL : value);
		got_helo = 1;
	    }
	} else if (strcasecmp(name, "PROTO") == 0) {
	    if (strcasecmp(value, "SMTP") == 0)
		s->protocol = "SMTP";
	    else if (strcasecmp(value, "ESMTP") == 0)
		s->protocol = "ESMTP";
	    else
		bad = 1;
	    got_proto = 1;
	} else if (strcasecmp(name, "LOGIN") == 0) {
	    if (!unavailable)
		session_set(&s->sasl_username, value);
	} else if (strcasecmp(name, "DESTADDR") == 0) {
	    /* the server's own address: checked, nothing the restrictions read */
	    char *normal;
	    int family;
	    if (!unavailable) {
		neuter(value);
		if (normalize_mailhost_addr(value, ss->v4, ss->v6, &normal, &family) < 0)
		    bad = 1;
		else
		    free(normal);
	    }
	} else if (strcasecmp(name, "DESTPORT") == 0) {
	    bad = !unavailable && (!all_digits(value) || strlen(value) > 5);
	} else {
	    free(value);
	    return refuse(ss, ERR_PROTOCOL, "501 5.5.4 Bad XCLIENT attribute name: %s", name);
	}
	if (bad) {
	    (void) refuse(ss, ERR_PROTOCOL, "501 5.5.4 Bad %s syntax: %s", name, value);
	    free(value);
	    return -1;
	}
	free(value);
    }
    if (update_namaddr) {
	free(s->namaddr);
	s->namaddr = xconcat(s->name, "[", s->addr, "]", (char *) NULL);
    }
    ss->xclient_allowed = !STAND_ALONE(ss)
	&& match_namadr(s, "smtpd_authorized_xclient_hosts", s->name, s->addr) == MATCH_YES;
    if (!got_helo)
	helo_reset(ss);
    if (!got_proto)
	s->protocol = "SMTP";
    chat_reset(ss, 0);
    mail_reset(ss);
    rcpt_reset(ss);
    s->defer_if_permit_client = s->defer_if_permit_helo = s->defer_if_permit_sender = 0;
    /* smtpd starts over: a new greeting, the client restrictions again. */
    greet(ss);
    return 0;
}

/* ------------------------------------------------------------ the loop */

struct command {
    const char *name;
    command_fn *action;
    unsigned flags;
};

#define CMD_LIMIT	(1u << 0)	/* counts toward smtpd_junk_command_limit */
#define CMD_PRE_TLS	(1u << 1)	/* allowed before STARTTLS when TLS is enforced */
#define CMD_LAST	(1u << 2)	/* must end a PIPELINING group */

static const struct command commands[] = {
    {"HELO", cmd_helo, CMD_LIMIT | CMD_PRE_TLS | CMD_LAST},
    {"EHLO", cmd_ehlo, CMD_LIMIT | CMD_PRE_TLS | CMD_LAST},
    {"XCLIENT", cmd_xclient, CMD_PRE_TLS},
    {"XFORWARD", cmd_xforward, 0},
    {"STARTTLS", cmd_starttls, CMD_PRE_TLS},
    {"AUTH", cmd_auth, 0},
    {"MAIL", cmd_mail, 0},
    {"RCPT", cmd_rcpt, 0},
    {"DATA", cmd_data, CMD_LAST},
    {"BDAT", cmd_bdat, 0},
    {"RSET", cmd_rset, CMD_LIMIT},
    {"NOOP", cmd_noop, CMD_LIMIT | CMD_PRE_TLS | CMD_LAST},
    {"VRFY", cmd_vrfy, CMD_LIMIT | CMD_LAST},
    {"ETRN", cmd_etrn, CMD_LIMIT},
    {"QUIT", cmd_quit, CMD_PRE_TLS},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))
_Static_assert(NCOMMANDS < 16, "cmd_ok and cmd_total have room for commands[] and unknown");

/* pending_input - has the client sent more than this line already? */
static int pending_input(const struct smtpd_session *ss)
{
    return ss->in.len > ss->in_pos;
}

/*
 * command - one command line of len bytes (smtpd_proto()'s loop body).
 * The line may hold NUL bytes: the UTF-8 check sees all of it, as
 * smtpd's does, the tokens end at the first.
 */
static void command(struct smtpd_session *ss, char *line, size_t len)
{
    struct session *s = ss->s;
    struct token *argv;

    if (ss->detect_bare_lf && ss->bare_lf == BARE_LF_REJECT && ss->got_bare_lf) {
	(void) refuse(ss, ERR_PROTOCOL, "%d 5.5.2 %s Error: bare <LF> received",
		      ss->bare_lf_code, ss->myhostname);
	ss->hangup = 1;
	return;
    }
    if (ss->smtputf8 && !utf8_valid(line, len)) {
	(void) refuse(ss, ERR_PROTOCOL, "500 5.5.2 Error: bad UTF-8 syntax");
	ss->error_count++;
	return;
    }
    size_t argc = tokenize(line, &argv);
    if (argc == 0) {
	(void) refuse(ss, ERR_PROTOCOL, "500 5.5.2 Error: bad syntax");
	ss->error_count++;
	free_tokens(argv, argc);
	return;
    }
    if (*policy_value(ss->p, "smtpd_noop_commands")
	&& match_string(s, "smtpd_noop_commands", argv[0].text) == MATCH_YES) {
	reply(ss, "250 2.0.0 Ok");
	if (ss->junk_cmds++ > ss->junk_limit)
	    ss->error_count++;
	free_tokens(argv, argc);
	return;
    }
    const struct command *cmd = NULL;
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
	if (strcasecmp(argv[0].text, commands[i].name) == 0)
	    cmd = &commands[i];
    if (cmd == NULL) {
	s->where = "UNKNOWN";
	if (is_header_text(argv[0].text)
	    || (*policy_value(ss->p, "smtpd_forbidden_commands")
		&& match_string(s, "smtpd_forbidden_commands", argv[0].text) == MATCH_YES)) {
	    note(ss, "warning: non-SMTP command from %s: %.100s", s->namaddr, line);
	    reply(ss, "221 2.7.0 Error: I can break rules, too. Goodbye.");
	    ss->hangup = 1;
	    free_tokens(argv, argc);
	    return;
	}
    }
    if (ss->access_denied && (cmd == NULL || cmd->action != cmd_quit)) {
	if (strncmp(ss->access_denied + 1, "21", 2) == 0)
	    reply(ss, "%s", ss->access_denied);
	else {
	    reply(ss, "503 5.7.0 Error: access denied for %s", s->namaddr);
	    ss->error_count++;
	}
	free_tokens(argv, argc);
	return;
    }
    if (cmd == NULL) {
	reply(ss, "500 5.5.2 Error: command not recognized");
	s->error_mask |= ERR_PROTOCOL;
	ss->error_count++;
	ss->cmd_total[NCOMMANDS]++;
	free_tokens(argv, argc);
	return;
    }
    if (ss->enforce_tls && !(s->flags & SESSION_TLS) && (cmd->flags & CMD_PRE_TLS) == 0) {
	reply(ss, "530 5.7.0 Must issue a STARTTLS command first");
	ss->error_count++;
	free_tokens(argv, argc);
	return;
    }
    s->where = cmd->name;
    if ((strcasecmp(s->protocol, "ESMTP") != 0 || (cmd->flags & CMD_LAST))
	&& (s->flags & SESSION_ILL_PIPELINING) == 0 && pending_input(ss)) {
	note(ss, "improper command pipelining after %s from %s", s->where, s->namaddr);
	s->flags |= SESSION_ILL_PIPELINING;
	if (ss->forbid_unauth_pipe) {
	    reply(ss, "554 5.5.0 Error: SMTP protocol synchronization");
	    ss->hangup = 1;
	    free_tokens(argv, argc);
	    return;
	}
    }
    size_t idx = (size_t) (cmd - commands);
    ss->cmd_total[idx]++;
    if (cmd->action(ss, argv, argc) != 0)
	ss->error_count++;
    else
	ss->cmd_ok[idx]++;
    if ((cmd->flags & CMD_LIMIT) && ss->junk_cmds++ > ss->junk_limit)
	ss->error_count++;
    free_tokens(argv, argc);
}

/*
 * check_error_limit - smtpd checks before it reads the next command:
 * after the hard limit's error, "421 ... too many errors" follows at once.
 */
static void check_error_limit(struct smtpd_session *ss)
{
    if (!ss->hangup && ss->error_count >= ss->hard_erlim) {
	ss->s->error_mask |= ERR_PROTOCOL;
	reply(ss, "421 4.7.0 %s Error: too many errors", ss->myhostname);
	note(ss, "too many errors after %s from %s", ss->s->where, ss->s->namaddr);
	ss->reason = "too many errors";
	ss->hangup = 1;
    }
}

/* greet - the 220 greeting, or the client rejection that replaces it */
static void greet(struct smtpd_session *ss)
{
    struct session *s = ss->s;
    const char *err;

    s->where = "CONNECT";
    if (!STAND_ALONE(ss) && !ss->delay_reject && (err = engine_check_client(s)) != NULL) {
	s->error_mask |= ERR_POLICY;
	free(ss->access_denied);
	ss->access_denied = xstrdup(err);
	reply(ss, "%s", err);
	ss->error_count++;
	return;
    }
    reply(ss, "220 %s", sb_str(&ss->banner));
}

/*
 * next_line - the next complete line of input, its line end removed, at
 * most limit bytes (the rest of a longer command is dropped; data keeps
 * the rest for the next record: *cont). NULL when no line is complete.
 */
static char *next_line(struct smtpd_session *ss, long limit, int data, size_t *lenp, int *cont)
{
    const char *base = ss->in.s + ss->in_pos;
    size_t avail = ss->in.len - ss->in_pos;
    const char *nl = ss->cmd_cut || ss->cmd_skip ? NULL : memchr(base, '\n', avail);

    *cont = 0;
    if (!data && (ss->cmd_cut || (nl == NULL && avail > (size_t) limit))) {
	if (ss->cmd_skip)
	    return NULL;
	if (!ss->cmd_cut) {
	    /* Keep what smtpd keeps of the line; drop the rest as it comes. */
	    sb_truncate(&ss->in, ss->in_pos + (size_t) limit);
	    ss->cmd_skip = 1;
	    return NULL;
	}
	ss->cmd_cut = 0;
	ss->in_pos += (size_t) limit;
	ss->got_bare_lf = 0;
	note(ss, "warning: %s: request longer than %ld: %.30s...", ss->s->namaddr, limit, base);
	*lenp = (size_t) limit;
	return xstrndup(base, (size_t) limit);
    }
    if (nl == NULL) {
	/* A data record longer than the limit need not wait for its end. */
	if (data && avail > (size_t) limit) {
	    *cont = 1;
	    *lenp = (size_t) limit;
	    ss->in_pos += (size_t) limit;
	    ss->got_bare_lf = 0;
	    return xstrndup(base, (size_t) limit);
	}
	return NULL;
    }
    size_t len = (size_t) (nl - base);
    ss->in_pos += len + 1;
    ss->got_bare_lf = !(len > 0 && base[len - 1] == '\r');
    if (!ss->got_bare_lf)
	len--;
    if (data && len > (size_t) limit) {
	/* Records of at most limit bytes; the line's rest follows. */
	ss->in_pos -= (len - (size_t) limit) + (ss->got_bare_lf ? 1 : 2);
	*cont = 1;
	*lenp = (size_t) limit;
	return xstrndup(base, (size_t) limit);
    }
    if (!data && len > (size_t) limit) {
	note(ss, "warning: %s: request longer than %ld: %.30s...", ss->s->namaddr, limit, base);
	len = (size_t) limit;
    }
    *lenp = len;
    return xstrndup(base, len);
}

/* data_input - DATA content until the lone dot */
static int data_input(struct smtpd_session *ss)
{
    size_t len;
    int cont;
    char *line;

    while ((line = next_line(ss, ss->line_limit, 1, &len, &cont)) != NULL) {
	int type = cont ? SMTPD_REC_CONT : SMTPD_REC_NORM;
	int bare = ss->detect_bare_lf ? ss->got_bare_lf : 0;
	if (bare && ss->bare_lf == BARE_LF_REJECT)
	    ss->err |= STAT_BARE_LF;
	if (!ss->prev_rec_cont && line[0] == '.') {
	    if (len == 1) {
		/* With normalize, a dot line that a bare LF touches is dropped. */
		if (ss->detect_bare_lf && ss->bare_lf != BARE_LF_NO
		    && (ss->got_bare_lf || ss->prev_bare_lf)) {
		    ss->prev_rec_cont = cont;
		    ss->prev_bare_lf = ss->got_bare_lf;
		    free(line);
		    continue;
		}
		free(line);
		ss->mode = IN_COMMAND;
		return post_message(ss, 0);
	    }
	    /* dot-unstuffing */
	    if (ss->err == STAT_OK)
		data_line(ss, line + 1, len - 1, type);
	} else if (ss->err == STAT_OK) {
	    data_line(ss, line, len, type);
	} else {
	    ss->data_first = 0;
	}
	ss->prev_rec_cont = cont;
	ss->prev_bare_lf = ss->got_bare_lf;
	free(line);
    }
    return 0;
}

/* bdat_input - the bytes of a BDAT chunk; at its end, the reply */
static void bdat_input(struct smtpd_session *ss)
{
    size_t avail = ss->in.len - ss->in_pos;
    size_t take = avail < (size_t) ss->bdat_left ? avail : (size_t) ss->bdat_left;
    const char *data = ss->in.s + ss->in_pos;

    ss->in_pos += take;
    ss->bdat_left -= (long) take;
    if (ss->bdat_size < 0) {
	/* a refused chunk: drop its bytes */
	if (ss->bdat_left == 0)
	    ss->mode = IN_COMMAND;
	return;
    }
    /* Lines as records; a line may span chunks. BDAT content is not dot-unstuffed. */
    for (size_t i = 0; i < take; i++) {
	sb_addch(&ss->bdat_line, data[i]);
	if (data[i] == '\n' || ss->bdat_line.len > (size_t) ss->line_limit) {
	    int cont = data[i] != '\n';
	    size_t len = ss->bdat_line.len - (cont ? 0 : 1);
	    if (!cont && len > 0 && ss->bdat_line.s[len - 1] == '\r')
		len--;
	    put_record(ss, cont ? SMTPD_REC_CONT : SMTPD_REC_NORM, ss->bdat_line.s, len);
	    sb_reset(&ss->bdat_line);
	}
    }
    if (ss->bdat_left > 0)
	return;
    ss->mode = IN_COMMAND;
    if (ss->bdat_last) {
	if (ss->bdat_line.len > 0) {
	    put_record(ss, SMTPD_REC_NORM, ss->bdat_line.s, ss->bdat_line.len);
	    sb_reset(&ss->bdat_line);
	}
	if (post_message(ss, 1) != 0)
	    ss->error_count++;
	return;
    }
    if (ss->err != STAT_OK) {
	(void) post_message(ss, 1);
	ss->bdat_state = BDAT_ERROR;
	ss->error_count++;
	return;
    }
    reply(ss, "250 2.0.0 Ok: %ld bytes", ss->bdat_size);
}

int smtpd_session_input(struct smtpd_session *ss, const char *data, size_t len)
{
    size_t len_line;
    int cont;

    if (ss->cmd_skip) {
	/* The rest of an over-long command: dropped up to its line end. */
	const char *nl = memchr(data, '\n', len);
	if (nl == NULL)
	    return ss->hangup;
	ss->cmd_skip = 0;
	ss->cmd_cut = 1;
	len -= (size_t) (nl + 1 - data);
	data = nl + 1;
    }
    sb_addn(&ss->in, data, len);
    while (!ss->hangup && (ss->in_pos < ss->in.len || ss->cmd_cut)) {
	if (ss->mode == IN_DATA) {
	    if (data_input(ss) != 0)
		ss->error_count++;
	    if (ss->mode == IN_DATA)
		break;
	    check_error_limit(ss);
	    continue;
	}
	if (ss->mode == IN_BDAT) {
	    bdat_input(ss);
	    if (ss->mode == IN_BDAT)
		break;
	    check_error_limit(ss);
	    continue;
	}
	char *line = next_line(ss, ss->line_limit, 0, &len_line, &cont);
	if (line == NULL)
	    break;
	chat_append(ss, "In:  ", line, len_line);
	command(ss, line, len_line);
	free(line);
	check_error_limit(ss);
    }
    /* Keep only what is not read yet. */
    if (ss->in_pos > 0) {
	size_t rest = ss->in.len - ss->in_pos;
	memmove(ss->in.s, ss->in.s + ss->in_pos, rest);
	sb_truncate(&ss->in, rest);
	ss->in_pos = 0;
    }
    return ss->hangup;
}

void smtpd_session_eof(struct smtpd_session *ss)
{
    struct session *s = ss->s;

    if (ss->hangup)
	return;
    if (strcmp(s->where, "DATA content") == 0)
	note(ss, "lost connection after DATA (%ld bytes) from %s", ss->act_size, s->namaddr);
    else
	note(ss, "lost connection after %s from %s", s->where, s->namaddr);
    ss->reason = "lost connection";
    mail_reset(ss);
    rcpt_reset(ss);
    ss->hangup = 1;
}

void smtpd_session_timeout(struct smtpd_session *ss)
{
    if (ss->hangup)
	return;
    reply(ss, "421 4.4.2 %s Error: timeout exceeded", ss->myhostname);
    note(ss, "timeout after %s from %s", ss->s->where, ss->s->namaddr);
    ss->reason = "timeout";
    mail_reset(ss);
    rcpt_reset(ss);
    ss->hangup = 1;
}

struct strbuf *smtpd_session_output(struct smtpd_session *ss)
{
    return &ss->out;
}

int smtpd_session_in_message(const struct smtpd_session *ss)
{
    return ss->mode != IN_COMMAND;
}

int smtpd_session_hungup(const struct smtpd_session *ss)
{
    return ss->hangup;
}

long smtpd_session_delay(struct smtpd_session *ss)
{
    long delay = ss->delay;

    ss->delay = 0;
    return delay;
}

/* ------------------------------------------------------------ start */

/* words_mask - Postfix's name_mask(): the bits of the words of a list that table names */
static unsigned words_mask(const char *words, const struct word_bit *table, size_t n)
{
    char *copy = xstrdup(words), *cp = copy, *word;
    unsigned mask = 0;

    while ((word = str_tokq(&cp, CHARS_COMMA_SP)) != NULL)
	for (size_t i = 0; i < n; i++)
	    if (strcasecmp(word, table[i].name) == 0)
		mask |= table[i].mask;
    free(copy);
    return mask;
}

/* The notify_classes of smtpd's errors, as ERR_* bits (2bounce, delay: none of smtpd's). */
static const struct word_bit notify_words[] = {
    {"bounce", ERR_BOUNCE}, {"data", ERR_DATA}, {"policy", ERR_POLICY},
    {"protocol", ERR_PROTOCOL}, {"resource", ERR_RESOURCE}, {"software", ERR_SOFTWARE},
};

struct smtpd_session *smtpd_session_open(struct engine *e, struct session *s,
					 const struct smtpd_message_ops *ops)
{
    struct smtpd_session *ss = xcalloc(1, sizeof(*ss));
    const struct policy *p = s->policy;

    ss->engine = e;
    ss->s = s;
    ss->ops = ops;
    ss->p = p;
    ss->myhostname = policy_value(p, "myhostname");
    sb_set(&ss->banner, policy_value(p, "smtpd_banner"));
    ss->message_limit = policy_int(p, "message_size_limit", 10240000);
    ss->line_limit = policy_int(p, "line_length_limit", 2048);
    if (ss->line_limit < 512)
	ss->line_limit = 512;
    ss->rcpt_limit = policy_int(p, "smtpd_recipient_limit", 1000);
    ss->rcpt_overlim = policy_int(p, "smtpd_recipient_overshoot_limit", 1000);
    ss->soft_erlim = policy_int(p, "smtpd_soft_error_limit", 10);
    ss->hard_erlim = policy_int(p, "smtpd_hard_error_limit", 20);
    ss->err_sleep = policy_time(p, "smtpd_error_sleep_time", 's', 1);
    ss->junk_limit = policy_int(p, "smtpd_junk_command_limit", 100);
    ss->disable_vrfy = policy_bool(p, "disable_vrfy_command");
    ss->helo_required = policy_bool(p, "smtpd_helo_required");
    ss->delay_reject = engine_delay_reject(e);
    ss->strict_rfc821 = policy_bool(p, "strict_rfc821_envelopes");
    ss->smtputf8 = policy_bool(p, "smtputf8_enable");
    ss->forbid_unauth_pipe = policy_bool(p, "smtpd_forbid_unauth_pipelining");
    ss->soft_bounce = policy_bool(p, "soft_bounce");
    ss->sasl_enable = policy_bool(p, "smtpd_sasl_auth_enable");
    /* smtpd's start-up: the TLS level decides use and enforcement */
    const char *level = policy_value(p, "smtpd_tls_security_level");
    int wrapper = policy_bool(p, "smtpd_tls_wrappermode");
    ss->use_tls = policy_bool(p, "smtpd_use_tls");
    ss->enforce_tls = policy_bool(p, "smtpd_enforce_tls");
    if (!wrapper && *level) {
	if (strcasecmp(level, "none") == 0)
	    ss->use_tls = ss->enforce_tls = 0;
	else if (strcasecmp(level, "may") == 0)
	    ss->use_tls = 1, ss->enforce_tls = 0;
	else
	    ss->use_tls = ss->enforce_tls = 1;
    }
    ss->enforce_tls = wrapper || ss->enforce_tls;
    ss->tls_auth_only = policy_bool(p, "smtpd_tls_auth_only") || ss->enforce_tls;
    ss->use_tls = ss->use_tls || ss->enforce_tls;

    ss->ehlo_discard = words_mask(policy_value(p, "smtpd_discard_ehlo_keywords"), ehlo_words,
				  sizeof(ehlo_words) / sizeof(ehlo_words[0]));
    ss->notify_mask = words_mask(policy_value(p, "notify_classes"), notify_words,
				 sizeof(notify_words) / sizeof(notify_words[0]));
    ss->hist_threshold = policy_int(p, "smtpd_history_flush_threshold", 100);
    const char *bare = policy_value(p, "smtpd_forbid_bare_newline");
    ss->bare_lf = strcasecmp(bare, "reject") == 0 ? BARE_LF_REJECT
	: strcasecmp(bare, "normalize") == 0 || strcasecmp(bare, "yes") == 0
	? BARE_LF_NORMALIZE : BARE_LF_NO;
    ss->bare_lf_code = (int) policy_int(p, "smtpd_forbid_bare_newline_reject_code", 550);
    ss->detect_bare_lf = !STAND_ALONE(ss) && ss->bare_lf != BARE_LF_NO
	&& match_namadr(s, "smtpd_forbid_bare_newline_exclusions", s->name, s->addr)
	!= MATCH_YES;
    ss->xclient_allowed = !STAND_ALONE(ss)
	&& match_namadr(s, "smtpd_authorized_xclient_hosts", s->name, s->addr) == MATCH_YES;
    /* XFORWARD is judged once, by the client that connected (XCLIENT cannot grant it). */
    ss->xforward_allowed = !STAND_ALONE(ss)
	&& match_namadr(s, "smtpd_authorized_xforward_hosts", s->name, s->addr) == MATCH_YES;
    /* "sendmail -bs" has no TLS (smtpd.c turns it off in stand-alone mode). */
    if (STAND_ALONE(ss))
	ss->use_tls = ss->enforce_tls = ss->tls_auth_only = 0;
    char *err = NULL;
    ss->v4 = ss->v6 = 1;
    if (host_protocols(policy_value(p, "inet_protocols"), &ss->v4, &ss->v6, &err) < 0)
	free(err);		/* smtpd would not start; the engine says so */
    greet(ss);
    return ss;
}

void smtpd_session_close(struct smtpd_session *ss)
{
    if (ss == NULL)
	return;
    mail_reset(ss);
    rcpt_reset(ss);
    chat_reset(ss, 0);
    free(ss->access_denied);
    free(ss->queue_id);
    for (size_t i = 0; i < sizeof(ss->xforward) / sizeof(ss->xforward[0]); i++)
	free(ss->xforward[i]);
    sb_free(&ss->banner);
    sb_free(&ss->in);
    sb_free(&ss->out);
    sb_free(&ss->bdat_line);
    sb_free(&ss->why);
    sb_free(&ss->reply);
    free(ss);
}

void smtpd_session_counts(const struct smtpd_session *ss, struct strbuf *out)
{
    int ok = 0, total = 0;

    for (size_t i = 0; i <= NCOMMANDS; i++) {
	if (ss->cmd_total[i] == 0)
	    continue;
	char name[16];
	const char *src = i < NCOMMANDS ? commands[i].name : "unknown";
	size_t n = 0;
	for (; src[n] && n + 1 < sizeof(name); n++)
	    name[n] = (char) tolower((unsigned char) src[n]);
	name[n] = 0;
	if (ss->cmd_ok[i] == ss->cmd_total[i])
	    sb_printf(out, " %s=%d", name, ss->cmd_ok[i]);
	else
	    sb_printf(out, " %s=%d/%d", name, ss->cmd_ok[i], ss->cmd_total[i]);
	ok += ss->cmd_ok[i];
	total += ss->cmd_total[i];
    }
    if (ok == total)
	sb_printf(out, " commands=%d", ok);
    else
	sb_printf(out, " commands=%d/%d", ok, total);
}
