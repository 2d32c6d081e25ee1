/* dsn_report - Postfix's delivery status notifications (see dsn_report.h) */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr822.h"
#include "dsn_report.h"
#include "expand.h"
#include "mail_date.h"
#include "utf8.h"
#include "xalloc.h"

/*
 * The built-in templates, as `postconf -t` prints them: the text is
 * what the notices say, so it is data here, not prose.
 */
struct tmpl {
    const char *charset;
    const char *subject;
    const char *postmaster_subject;
    const char *const *text;
};

static const char *const failure_text[] = {
    "This is the mail system at host $myhostname.",
    "",
    "I'm sorry to have to inform you that your message could not",
    "be delivered to one or more recipients. It's attached below.",
    "",
    "For further assistance, please send mail to postmaster.",
    "",
    "If you do so, please include this problem report. You can",
    "delete your own text from the attached returned message.",
    "",
    "                   The mail system",
    NULL
};

static const char *const delay_text[] = {
    "This is the mail system at host $myhostname.",
    "",
    "####################################################################",
    "# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #",
    "####################################################################",
    "",
    "Your message could not be delivered for more than $delay_warning_time_hours hour(s).",
    "It will be retried until it is $maximal_queue_lifetime_days day(s) old.",
    "",
    "For further assistance, please send mail to postmaster.",
    "",
    "If you do so, please include this problem report. You can",
    "delete your own text from the attached returned message.",
    "",
    "                   The mail system",
    NULL
};

static const char *const success_text[] = {
    "This is the mail system at host $myhostname.",
    "",
    "Your message was successfully delivered to the destination(s)",
    "listed below. If the message was delivered to mailbox you will",
    "receive no further notifications. Otherwise you may still receive",
    "notifications of mail delivery errors from other systems.",
    "",
    "                   The mail system",
    NULL
};

static const struct tmpl templates[] = {
    [DSN_REPORT_FAILURE] = { "us-ascii", "Undelivered Mail Returned to Sender",
	"Postmaster Copy: Undelivered Mail", failure_text },
    [DSN_REPORT_DELAY] = { "us-ascii", "Delayed Mail (still being retried)",
	"Postmaster Warning: Delayed Mail", delay_text },
    [DSN_REPORT_SUCCESS] = { "us-ascii", "Successful Mail Delivery Report", NULL, success_text },
};

/* ------------------------------------------------------------ text */

void dsn_report_wrap(struct strbuf *out, const char *str, int len, int indent)
{
    int curr_indent = 0, curr_len = len;
    const char *start_line = str, *word, *next_word;

    if (indent < 0) {
	curr_indent = -indent;
	curr_len = len + indent;
    }
    for (word = str; word != NULL; word = next_word) {
	const char *next_space = word + strcspn(word, " \t");
	if (word > start_line && next_space - start_line > curr_len) {
	    int line_len = (int) (word - start_line);
	    while (line_len > 0 && isspace((unsigned char) start_line[line_len - 1]))
		line_len--;
	    sb_printf(out, "%*s%.*s\n", curr_indent, "", line_len, start_line);
	    while (*word && isspace((unsigned char) *word))
		word++;
	    if (start_line == str) {
		curr_indent += indent;
		curr_len -= indent;
	    }
	    start_line = word;
	}
	next_word = *next_space ? next_space + 1 : NULL;
    }
    int line_len = (int) strlen(start_line);
    while (line_len > 0 && isspace((unsigned char) start_line[line_len - 1]))
	line_len--;
    sb_printf(out, "%*s%.*s\n", curr_indent, "", line_len, start_line);
}

/* The $names of the templates: a few parameters, two of them scaled. */
struct tmpl_ctx {
    const struct dsn_report_conf *conf;
    char buf[32];
};

static const char *tmpl_lookup(const char *name, int mode, void *ptr)
{
    struct tmpl_ctx *x = ptr;
    static const struct {
	const char *suffix;
	long divisor;
    } units[] = {
	{ "seconds", 1 }, { "minutes", 60 }, { "hours", 3600 }, { "days", 86400 },
	{ "weeks", 604800 },
    };
    static const char *const scaled[] = { "delay_warning_time", "maximal_queue_lifetime" };

    (void) mode;
    for (size_t i = 0; i < 2; i++) {
	size_t n = strlen(scaled[i]);
	if (strncmp(name, scaled[i], n) != 0 || name[n] != '_')
	    continue;
	long value = i == 0 ? x->conf->delay_warning_time : x->conf->maximal_queue_lifetime;
	for (size_t u = 0; u < sizeof(units) / sizeof(units[0]); u++) {
	    if (strcmp(name + n + 1, units[u].suffix) == 0) {
		/* Integer division: 1m of delay_warning_time is "0 hour(s)". */
		snprintf(x->buf, sizeof(x->buf), "%ld", value / units[u].divisor);
		return x->buf;
	    }
	}
	return NULL;
    }
    if (strcmp(name, "myhostname") == 0)
	return x->conf->myhostname;
    if (strcmp(name, "mail_name") == 0)
	return x->conf->mail_name;
    return NULL;
}

/* line - one line with its end */
static void line(struct strbuf *out, const char *text)
{
    sb_adds(out, text);
    sb_addch(out, '\n');
}

/* qualify - addr with "@myorigin" when it has no domain (what cleanup would do) */
static void qualify(struct strbuf *out, const char *addr, const char *myorigin)
{
    a822_quote_local(out, addr, A822_QUOTE_8BITCLEAN);
    if (strchr(addr, '@') == NULL && *myorigin)
	sb_printf(out, "@%s", myorigin);
}

/* utf8_address - an address that is not ASCII: type "utf-8" when SMTPUTF8 was asked */
static const char *addr_type(const struct dsn_report_msg *msg, const char *addr)
{
    if (msg->smtputf8 && *addr) {
	for (const char *cp = addr; *cp; cp++)
	    if ((unsigned char) *cp >= 0x80)
		return "utf-8";
    }
    return "rfc822";
}

/*
 * logged - a value as bounce(8) reads it back from its log (bounce_log.c):
 * control characters, and bytes that are not UTF-8 (or with SMTPUTF8
 * off, not ASCII), made '?'; with quote, the address quoted as a header
 * has it. A new string.
 */
static char *logged(const char *value, int quote, int utf8)
{
    struct strbuf out = STRBUF_INIT;

    if (quote)
	a822_quote_local(&out, value, A822_QUOTE_8BITCLEAN);
    else
	sb_adds(&out, value);
    for (size_t i = 0; i < out.len;) {
	unsigned char c = (unsigned char) out.s[i];
	if (c >= 0x80 && utf8) {
	    size_t n = utf8_seqlen(c);
	    if (n > 1 && i + n <= out.len && utf8_valid(out.s + i, n)) {
		i += n;
		continue;
	    }
	}
	if (c < 0x20 || c >= 0x7f)
	    out.s[i] = '?';
	i++;
    }
    return sb_detach(&out);
}

/* ------------------------------------------------------------ the original */

/* content_line - the next line of the original, with its LF, or 0 at the end */
struct original {
    const struct dsn_report_msg *msg;
    off_t pos, end;
    char buf[8192];
    size_t head, tail;
};

static int next_line(struct original *o, struct strbuf *text)
{
    sb_reset(text);
    for (;;) {
	char *nl = memchr(o->buf + o->head, '\n', o->tail - o->head);
	if (nl != NULL) {
	    size_t n = (size_t) (nl + 1 - (o->buf + o->head));
	    sb_addn(text, o->buf + o->head, n);
	    o->head += n;
	    return 1;
	}
	sb_addn(text, o->buf + o->head, o->tail - o->head);
	o->head = o->tail = 0;
	if (o->pos >= o->end)
	    return text->len > 0;
	size_t want = sizeof(o->buf);
	if ((off_t) want > o->end - o->pos)
	    want = (size_t) (o->end - o->pos);
	ssize_t got = pread(o->msg->fd, o->buf, want, o->pos);
	if (got <= 0)
	    return text->len > 0;
	o->tail = (size_t) got;
	o->pos += got;
    }
}

/* is_header - a header line: "Name:" (printable ASCII name), or a continuation */
static int is_header(const char *text, size_t len)
{
    if (len > 0 && (text[0] == ' ' || text[0] == '\t'))
	return 1;
    size_t i = 0;
    while (i < len && text[i] > ' ' && text[i] < 0x7f && text[i] != ':')
	i++;
    if (i == 0)
	return 0;
    while (i < len && (text[i] == ' ' || text[i] == '\t'))
	i++;
    return i < len && text[i] == ':';
}

/* message_id - the original's Message-Id: value, <...>, for threading; a new string or NULL */
static char *message_id(const struct dsn_report_msg *msg)
{
    struct original *o = xcalloc(1, sizeof(*o));
    struct strbuf text = STRBUF_INIT;
    char *id = NULL;

    o->msg = msg;
    o->pos = msg->offset;
    o->end = msg->offset + msg->length;
    while (id == NULL && next_line(o, &text)) {
	size_t len = text.len;
	while (len > 0 && isspace((unsigned char) text.s[len - 1]))
	    len--;
	if (len > 0 && (text.s[0] == ' ' || text.s[0] == '\t'))
	    continue;
	if (!is_header(text.s, len))
	    break;
	if (len > 11 && strncasecmp(text.s, "Message-Id:", 11) == 0) {
	    const char *cp = text.s + 11;
	    while (*cp == ' ' || *cp == '\t')
		cp++;
	    if (*cp == '<' && text.s[len - 1] == '>')
		id = xstrndup(cp, (size_t) (text.s + len - cp));
	}
    }
    sb_free(&text);
    free(o);
    return id;
}

/* original - the returned message: Return-Path:, then all of it or its headers */
static void original(struct strbuf *out, const struct dsn_report_msg *msg,
		     const char *sender, int headers_only)
{
    struct original *o = xcalloc(1, sizeof(*o));
    struct strbuf text = STRBUF_INIT;

    sb_printf(out, "Return-Path: <%s>\n", sender);
    o->msg = msg;
    o->pos = msg->offset;
    o->end = msg->offset + msg->length;
    while (next_line(o, &text)) {
	size_t len = text.len > 0 && text.s[text.len - 1] == '\n' ? text.len - 1 : text.len;
	if (headers_only && !is_header(text.s, len))
	    break;
	sb_addn(out, text.s, len);
	sb_addch(out, '\n');
    }
    sb_free(&text);
    free(o);
}

/* ------------------------------------------------------------ the notice */

void dsn_report_write(struct strbuf *out, const struct dsn_report_conf *conf,
		      enum dsn_report_kind kind, int postmaster_copy, const char *to, int ret,
		      const char *notice_id, time_t now, const struct dsn_report_msg *msg,
		      const struct dsn_report_rcpt *rcpts, size_t nrcpts)
{
    const struct tmpl *t = &templates[kind];
    struct strbuf tmp = STRBUF_INIT, sender = STRBUF_INIT, boundary = STRBUF_INIT;
    const char *mime_encoding;
    char *mail_name = xstrdup(conf->mail_name);

    /* The boundary and X-Postfix-*: mail_name made an RFC 822 atom. */
    for (char *cp = mail_name; *cp; cp++)
	if (strchr(" \t\r\n()<>@,;:\\\".[]", *cp))
	    *cp = '-';
    sb_printf(&boundary, "%s.%lu/%s", msg->queue_id, (unsigned long) now, conf->myhostname);
    /* The null sender is named as bounce(8) names it: MAILER-DAEMON@myhostname. */
    if (*msg->sender)
	a822_quote_local(&sender, msg->sender, 0);
    else
	sb_printf(&sender, "MAILER-DAEMON@%s", conf->myhostname);
    /* Addresses may be 8-bit: with SMTPUTF8 on, the notice is 8bit. */
    if (conf->smtputf8_enable || strcmp(msg->encoding, "8bit") == 0)
	mime_encoding = "8bit";
    else if (strcmp(msg->encoding, "7bit") == 0)
	mime_encoding = "7bit";
    else
	mime_encoding = NULL;
    int not_7bit = mime_encoding != NULL && strcmp(mime_encoding, "7bit") != 0;
    /*
     * What is returned: a bounce returns the message (unless RET=HDRS);
     * a postmaster's copy of it, a delay or success report the headers;
     * a postmaster's copy of a double bounce the message. Over
     * bounce_size_limit, the headers only, so the MIME stays whole.
     */
    if (ret == 0)
	ret = kind == DSN_REPORT_FAILURE && (!postmaster_copy || *msg->sender == 0)
	    ? DSN_REPORT_RET_FULL : DSN_REPORT_RET_HDRS;
    if (conf->bounce_size_limit > 0 && msg->fd >= 0
	&& (msg->size <= 0 || msg->size > conf->bounce_size_limit))
	ret = DSN_REPORT_RET_HDRS;

    /* post_mail()'s headers, then the template's. */
    sb_reset(&tmp);
    mail_date(now, &tmp);
    if (notice_id != NULL)
	sb_printf(out, "Received: by %s (%s)\n\tid %s; %s\n", conf->myhostname, conf->mail_name,
		  notice_id, sb_str(&tmp));
    sb_printf(out, "Date: %s\n", sb_str(&tmp));
    sb_printf(out, "From: Mail Delivery System <MAILER-DAEMON@%s>\n", conf->myorigin);
    sb_printf(out, "Subject: %s\n", postmaster_copy && t->postmaster_subject
	      ? t->postmaster_subject : t->subject);
    sb_adds(out, "To: ");
    qualify(out, to, conf->myorigin);
    sb_addch(out, '\n');
    char *msgid = conf->threaded && msg->fd >= 0 ? message_id(msg) : NULL;
    if (msgid != NULL) {
	sb_printf(out, "References: %s\nIn-Reply-To: %s\n", msgid, msgid);
	free(msgid);
    }
    sb_printf(out, "Auto-Submitted: %s\n", postmaster_copy ? "auto-generated" : "auto-replied");
    line(out, "MIME-Version: 1.0");
    line(out, "Content-Type: multipart/report; report-type=delivery-status;");
    sb_printf(out, "\tboundary=\"%s\"\n", sb_str(&boundary));
    if (mime_encoding)
	sb_printf(out, "Content-Transfer-Encoding: %s\n",
		  strcmp(mime_encoding, "7bit") == 0 ? "7bit" : mime_encoding);
    line(out, "");
    line(out, "This is a MIME-encapsulated message.");

    /* Part 1: the notification, for people. */
    line(out, "");
    sb_printf(out, "--%s\n", sb_str(&boundary));
    line(out, "Content-Description: Notification");
    sb_printf(out, "Content-Type: text/plain; charset=%s\n",
	      strcasecmp(t->charset, "us-ascii") != 0 ? t->charset : not_7bit ? "utf-8" : "us-ascii");
    if (not_7bit)
	sb_printf(out, "Content-Transfer-Encoding: %s\n", mime_encoding);
    line(out, "");
    if (!postmaster_copy) {
	struct tmpl_ctx x = { conf, "" };
	for (const char *const *cp = t->text; *cp; cp++) {
	    char *copy = xstrdup(*cp);
	    sb_reset(&tmp);
	    expand(&tmp, copy, 0, tmpl_lookup, &x);
	    free(copy);
	    line(out, sb_str(&tmp));
	}
    }
    /* The recipients as the bounce log keeps them. */
    struct logged_rcpt {
	char *address, *orig, *reason, *dtext;
    } *lr = xcalloc(nrcpts + 1, sizeof(*lr));
    int utf8 = conf->smtputf8_enable;
    for (size_t i = 0; i < nrcpts; i++) {
	const struct dsn_report_rcpt *r = &rcpts[i];
	lr[i].address = *r->address ? logged(r->address, 1, utf8) : xstrdup("(MAILER-DAEMON)");
	/* An original recipient the same as the final one is not logged. */
	lr[i].orig = r->orig_addr && *r->orig_addr && strcasecmp(r->orig_addr, r->address) != 0
	    ? logged(r->orig_addr, 1, utf8) : NULL;
	lr[i].reason = logged(r->reason, 0, utf8);
	lr[i].dtext = r->diag_text ? logged(r->diag_text, 0, utf8) : NULL;
    }
    for (size_t i = 0; i < nrcpts; i++) {
	line(out, "");
	sb_reset(&tmp);
	if (lr[i].orig)
	    sb_printf(&tmp, "<%s> (expanded from <%s>): %s", lr[i].address, lr[i].orig,
		      lr[i].reason);
	else
	    sb_printf(&tmp, "<%s>: %s", lr[i].address, lr[i].reason);
	dsn_report_wrap(out, sb_str(&tmp), 79, 4);
    }

    /* Part 2: the delivery report, for programs. */
    line(out, "");
    sb_printf(out, "--%s\n", sb_str(&boundary));
    line(out, "Content-Description: Delivery report");
    sb_printf(out, "Content-Type: message/%sdelivery-status\n", msg->smtputf8 ? "global-" : "");
    if (not_7bit && msg->smtputf8)
	sb_printf(out, "Content-Transfer-Encoding: %s\n", mime_encoding);
    line(out, "");
    sb_printf(out, "Reporting-MTA: dns; %s\n", conf->myhostname);
    if (msg->dsn_envid && *msg->dsn_envid)
	sb_printf(out, "Original-Envelope-Id: %s\n", msg->dsn_envid);
    sb_printf(out, "X-%s-Queue-ID: %s\n", mail_name, msg->queue_id);
    sb_printf(out, "X-%s-Sender: %s; %s\n", mail_name, addr_type(msg, sb_str(&sender)),
	      sb_str(&sender));
    if (msg->arrival > 0) {
	sb_reset(&tmp);
	mail_date(msg->arrival, &tmp);
	sb_printf(out, "Arrival-Date: %s\n", sb_str(&tmp));
    }
    for (size_t i = 0; i < nrcpts; i++) {
	const struct dsn_report_rcpt *r = &rcpts[i];
	line(out, "");
	sb_printf(out, "Final-Recipient: %s; %s\n", addr_type(msg, lr[i].address), lr[i].address);
	if (r->dsn_orcpt && *r->dsn_orcpt)
	    sb_printf(out, "Original-Recipient: %s\n", r->dsn_orcpt);
	else if (lr[i].orig)
	    sb_printf(out, "Original-Recipient: %s; %s\n", addr_type(msg, lr[i].orig), lr[i].orig);
	sb_printf(out, "Action: %s\n", kind == DSN_REPORT_FAILURE ? "failed" : r->action);
	sb_printf(out, "Status: %s\n", r->status);
	if (r->mta_type && *r->mta_type && r->mta_name && *r->mta_name) {
	    sb_reset(&tmp);
	    sb_printf(&tmp, "Remote-MTA: %s; %s", r->mta_type, r->mta_name);
	    dsn_report_wrap(out, sb_str(&tmp), 79, 4);
	}
	sb_reset(&tmp);
	if (r->diag_type && *r->diag_type && lr[i].dtext && *lr[i].dtext)
	    sb_printf(&tmp, "Diagnostic-Code: %s; %s", r->diag_type, lr[i].dtext);
	else
	    sb_printf(&tmp, "Diagnostic-Code: X-%s; %s", mail_name, lr[i].reason);
	dsn_report_wrap(out, sb_str(&tmp), 79, 4);
	if (kind == DSN_REPORT_DELAY) {
	    sb_reset(&tmp);
	    mail_date(msg->arrival + conf->maximal_queue_lifetime, &tmp);
	    sb_printf(out, "Will-Retry-Until: %s\n", sb_str(&tmp));
	}
    }

    /* Part 3: the message, or its headers. */
    line(out, "");
    sb_printf(out, "--%s\n", sb_str(&boundary));
    sb_printf(out, "Content-Description: %s%s\n",
	      kind != DSN_REPORT_SUCCESS ? "Undelivered " : "",
	      ret == DSN_REPORT_RET_HDRS ? "Message Headers" : "Message");
    if (msg->smtputf8)
	sb_printf(out, "Content-Type: message/%s\n",
		  ret == DSN_REPORT_RET_HDRS ? "global-headers" : "global");
    else
	sb_printf(out, "Content-Type: %s\n",
		  ret == DSN_REPORT_RET_HDRS ? "text/rfc822-headers" : "message/rfc822");
    if (not_7bit)
	sb_printf(out, "Content-Transfer-Encoding: %s\n", mime_encoding);
    line(out, "");
    if (msg->fd < 0)
	line(out, "\t--- Undelivered message unavailable ---");
    else
	original(out, msg, sb_str(&sender), ret == DSN_REPORT_RET_HDRS);
    line(out, "");
    sb_printf(out, "--%s--\n", sb_str(&boundary));

    for (size_t i = 0; i < nrcpts; i++) {
	free(lr[i].address);
	free(lr[i].orig);
	free(lr[i].reason);
	free(lr[i].dtext);
    }
    free(lr);
    free(mail_name);
    sb_free(&tmp);
    sb_free(&sender);
    sb_free(&boundary);
}
