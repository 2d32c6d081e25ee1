/*
 * access - the replies of the restriction engine and what an access(5)
 * table's answer means: smtpd_check.c's smtpd_check_reject(), defer_if(),
 * check_table_result() and the check_*_access lookups, with Postfix's
 * exact reply texts (SPEC 11, SPEC-runtime 1.20).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "engine_int.h"
#include "maps.h"
#include "resolve.h"
#include "textutil.h"
#include "trace.h"
#include "utf8.h"
#include "dsn.h"
#include "xalloc.h"

#define REPLY_MAX 510		/* RFC 5321: the reply line without CRLF */
#define MAX_RECURSION 100

/* ------------------------------------------------------------ status codes */

const char *dsn_fix(const char *status, const char *reply_class)
{
    static const struct {
	const char *micro, *sender, *rcpt;
    } map[] = {
	{"1", "4.1.7", "4.1.1"}, {"2", "4.1.8", "4.1.2"}, {"3", "4.1.7", "4.1.3"},
	{"4", "4.1.7", "4.1.4"}, {"5", "4.1.0", "4.1.5"}, {"6", "4.1.7", "4.1.6"},
	{"7", "4.1.7", "4.1.3"}, {"8", "4.1.8", "4.1.2"},
    };

    if (!isdigit((unsigned char) status[0]) || strncmp(status + 1, ".1.", 3) != 0)
	return status;
    int sender = strcmp(reply_class, NAME_SENDER) == 0;
    if (!sender && strcmp(reply_class, NAME_RECIPIENT) != 0)
	return "4.0.0";
    for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
	if (strcmp(status + 4, map[i].micro) == 0)
	    return sender ? map[i].sender : map[i].rcpt;
    return "4.1.0";
}

/* ------------------------------------------------------------ replies */

/* printable - Postfix's printable(): what is not printable ASCII (or UTF-8) becomes ' ' */
static void make_printable(char *text, int utf8)
{
    for (unsigned char *cp = (unsigned char *) text; *cp; cp++) {
	if (*cp >= 0x20 && *cp < 0x7f)	/* isprint() in the C locale, without its table */
	    continue;
	if (utf8 && *cp >= 194 && *cp <= 254 && cp[1] >= 128 && cp[1] < 192) {
	    while (cp[1] >= 128 && cp[1] < 192)
		cp++;
	    continue;
	}
	*cp = ' ';
    }
}

static int vcheck_reject(struct session *s, unsigned error_class, int code, const char *dsn,
			 const char *fmt, va_list ap)
{
    struct engine *e = engine_of(s);
    int warn = s->warn_if_reject
	&& (error_class & (ERR_SOFTWARE | ERR_RESOURCE | ERR_DATA)) == 0;
    struct strbuf *text = &s->reply;

    s->error_mask |= error_class;
    sb_reset(text);
    sb_printf(text, "%d %s ", code, dsn);
    sb_vprintf(text, fmt, ap);
    if (code < 400 || code > 599) {
	engine_warn(s, "SMTP reply code configuration error: %s", sb_str(text));
	sb_set(text, "450 4.7.1 Service unavailable");
    }
    if (!dsn_valid(sb_str(text) + 4)) {
	engine_warn(s, "DSN detail code configuration error: %s", sb_str(text));
	sb_set(text, "450 4.7.1 Service unavailable");
    }
    if (text->len > REPLY_MAX)
	sb_truncate(text, REPLY_MAX);
    make_printable(text->s, e->smtputf8);

    /* An earlier temporary problem turns this rejection into a deferral. */
    if (!warn && s->defer_if_reject.active && text->s[0] == '5') {
	s->warn_if_reject = s->defer_if_reject.active = 0;
	char *reason = xstrdup(sb_str(&s->defer_if_reject.reason));
	int status = check_reject(s, s->defer_if_reject.error_class, s->defer_if_reject.code,
				  s->defer_if_reject.dsn, "%s", reason);
	free(reason);
	return status;
    }
    if (e->soft_bounce && text->s[0] == '5')
	text->s[0] = '4';
    /* The DSN class follows the reply code. */
    text->s[4] = text->s[0];
    if (s->trace && s->trace->whatsup)
	s->trace->whatsup(s->trace->ctx, warn ? "reject_warning" : "reject", sb_str(text),
			  s->origin);
    if (warn && s->trace && s->trace->note) {
	struct strbuf note = STRBUF_INIT;
	sb_printf(&note, "reject_warning: %s", sb_str(text));
	s->trace->note(s->trace->ctx, sb_str(&note));
	sb_free(&note);
    }
    return warn ? CHECK_DUNNO : CHECK_REJECT;
}

int check_reject(struct session *s, unsigned error_class, int code, const char *dsn,
		 const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int status = vcheck_reject(s, error_class, code, dsn, fmt, ap);
    va_end(ap);
    return status;
}

int defer_if(struct session_defer *defer, unsigned error_class, int code, const char *dsn,
	     const char *fmt, ...)
{
    va_list ap;

    /* The first reason of each kind is kept. */
    if (defer->active == 0) {
	defer->active = 1;
	defer->error_class = error_class;
	defer->code = code;
	snprintf(defer->dsn, sizeof(defer->dsn), "%s", dsn);
	sb_reset(&defer->reason);
	va_start(ap, fmt);
	sb_vprintf(&defer->reason, fmt, ap);
	va_end(ap);
    }
    return CHECK_DUNNO;
}

int server_error(struct session *s)
{
    return check_reject(s, ERR_SOFTWARE, 451, "4.3.5", "Server configuration error");
}

int lookup_retry(struct session *s, const char *reply_name)
{
    return check_reject(s, ERR_DATA, 451, "4.3.0", "<%s>: Temporary lookup failure", reply_name);
}

/* ------------------------------------------------------------ access results */

/* word_is - the first cmd_len bytes of value are word, in any case */
static int word_is(const char *value, size_t cmd_len, const char *word)
{
    return strncasecmp(value, word, cmd_len) == 0 && word[cmd_len] == 0;
}

/* not_in_client_helo - with smtpd_delay_reject=no, these actions mean nothing before MAIL */
static int not_in_client_helo(struct session *s, const char *table, const char *action)
{
    if (s->sender == NULL) {
	engine_warn(s, "access table %s: with smtpd_delay_reject=no, action %s is always"
		    " skipped in %s or %s restrictions", table, action, NAME_CLIENT, NAME_HELO);
	return 0;
    }
    return 1;
}

/* can_delegate - can the action reach the message (not ETRN, not before MAIL)? */
static int can_delegate(struct session *s, const char *table, const char *action)
{
    if (strcmp(s->where, "ETRN") == 0) {
	engine_warn(s, "access table %s: action %s is unavailable in smtpd_etrn_restrictions",
		    table, action);
	return 0;
    }
    return not_in_client_helo(s, table, action);
}

static void note(struct session *s, const char *what, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* note - what smtpd logs for an action (hold, discard, warn, ...), told to the trace */
static void note(struct session *s, const char *what, const char *fmt, ...)
{
    va_list ap;
    struct strbuf text = STRBUF_INIT;

    if (s->trace == NULL || s->trace->note == NULL)
	return;
    sb_printf(&text, "%s: %s from %s: ", what, s->where, s->namaddr);
    va_start(ap, fmt);
    sb_vprintf(&text, fmt, ap);
    va_end(ap);
    s->trace->note(s->trace->ctx, sb_str(&text));
    sb_free(&text);
}

static void add_string(char ***list, size_t *count, const char *value)
{
    *list = xrealloc(*list, (*count + 2) * sizeof(**list));
    (*list)[(*count)++] = xstrdup(value);
    (*list)[*count] = NULL;
}

int table_result(struct session *s, const char *table, const char *value,
		 const char *datum, const char *reply_name, const char *reply_class,
		 enum restriction_id def_acl)
{
    struct engine *e = engine_of(s);
    size_t cmd_len = strcspn(value, " \t");
    const char *cmd_text = value + cmd_len;
    char dsn[DSN_SIZE], def_dsn[8];
    const char *text;

    while (*cmd_text && is_space((unsigned char) *cmd_text))
	cmd_text++;

    if (word_is(value, cmd_len, "DUNNO"))
	return CHECK_DUNNO;
    if (word_is(value, cmd_len, "REJECT") || word_is(value, cmd_len, "DEFER")) {
	int reject = toupper((unsigned char) value[0]) == 'R';
	text = dsn_split(dsn, reject ? "5.7.1" : "4.7.1", cmd_text);
	return check_reject(s, ERR_POLICY, reject ? e->map_reject_code : e->map_defer_code,
			    dsn_fix(dsn, reply_class), "<%s>: %s rejected: %s",
			    reply_name, reply_class, *text ? text : "Access denied");
    }
    if (word_is(value, cmd_len, "INFO")) {
	note(s, "info", "%s", cmd_text);
	return CHECK_DUNNO;
    }
    if (word_is(value, cmd_len, "WARN")) {
	note(s, "warn", "%s", cmd_text);
	return CHECK_DUNNO;
    }
    if (word_is(value, cmd_len, "FILTER")) {
	if (!can_delegate(s, table, "FILTER"))
	    return CHECK_DUNNO;
	if (*cmd_text == 0) {
	    engine_warn(s, "access table %s entry \"%s\" has FILTER entry without value",
			table, datum);
	} else if (strchr(cmd_text, ':') == NULL) {
	    engine_warn(s, "access table %s entry \"%s\" requires transport:destination",
			table, datum);
	} else {
	    note(s, "filter", "<%s>: %s triggers FILTER %s", reply_name, reply_class, cmd_text);
	    session_set(&s->saved_filter, cmd_text);
	}
	return CHECK_DUNNO;
    }
    if (word_is(value, cmd_len, "HOLD")) {
	if (!can_delegate(s, table, "HOLD") || (s->saved_flags & SESSION_HOLD))
	    return CHECK_DUNNO;
	note(s, "hold", "<%s>: %s %s", reply_name, reply_class,
	     *cmd_text ? cmd_text : "triggers HOLD action");
	s->saved_flags |= SESSION_HOLD;
	return CHECK_DUNNO;
    }
    if (word_is(value, cmd_len, "DISCARD")) {
	if (!can_delegate(s, table, "DISCARD"))
	    return CHECK_DUNNO;
	note(s, "discard", "<%s>: %s %s", reply_name, reply_class,
	     *cmd_text ? cmd_text : "triggers DISCARD action");
	s->saved_flags |= SESSION_DISCARD;
	s->discard = 1;
	return CHECK_OK;
    }
    if (word_is(value, cmd_len, "REDIRECT") || word_is(value, cmd_len, "BCC")) {
	int redirect = toupper((unsigned char) value[0]) == 'R';
	const char *action = redirect ? "REDIRECT" : "BCC";
	if (!can_delegate(s, table, action))
	    return CHECK_DUNNO;
	if (strchr(cmd_text, '@') == NULL) {
	    engine_warn(s, "access table %s entry \"%s\" requires user@domain target",
			table, datum);
	    return CHECK_DUNNO;
	}
	note(s, redirect ? "redirect" : "bcc", "<%s>: %s triggers %s %s", reply_name,
	     reply_class, action, cmd_text);
	if (redirect)
	    session_set(&s->saved_redirect, cmd_text);
	else
	    add_string(&s->saved_bcc, &s->nsaved_bcc, cmd_text);
	return CHECK_DUNNO;
    }
    if (word_is(value, cmd_len, "DEFER_IF_PERMIT")) {
	text = dsn_split(dsn, "4.7.1", cmd_text);
	const char *fixed = dsn_fix(dsn, reply_class);
	if (s->warn_if_reject == 0)
	    return defer_if(&s->defer_if_permit, ERR_POLICY, e->map_defer_code, fixed,
			    "<%s>: %s rejected: %s", reply_name, reply_class,
			    *text ? text : "Service unavailable");
	return check_reject(s, ERR_POLICY, e->map_defer_code, fixed, "<%s>: %s rejected: %s",
			    reply_name, reply_class, *text ? text : "Service unavailable");
    }
    if (word_is(value, cmd_len, "DEFER_IF_REJECT")) {
	text = dsn_split(dsn, "4.7.1", cmd_text);
	return defer_if(&s->defer_if_reject, ERR_POLICY, e->map_defer_code,
			dsn_fix(dsn, reply_class), "<%s>: %s rejected: %s", reply_name,
			reply_class, *text ? text : "Service unavailable");
    }
    if (word_is(value, cmd_len, "PREPEND")) {
	if (!not_in_client_helo(s, table, "PREPEND"))
	    return CHECK_DUNNO;
	if (strcmp(s->where, "END-OF-MESSAGE") == 0) {
	    engine_warn(s, "access table %s: action PREPEND must be used before"
			" smtpd_end_of_data_restrictions", table);
	    return CHECK_DUNNO;
	}
	if (*cmd_text == 0 || !is_header_text(cmd_text)) {
	    engine_warn(s, "access table %s entry \"%s\" requires header: text", table, datum);
	    return CHECK_DUNNO;
	}
	add_string(&s->prepend, &s->nprepend, cmd_text);
	return CHECK_DUNNO;
    }
    /* All digits: an out-of-band authentication's time stamp, taken as OK. */
    if (all_digits(value))
	return CHECK_OK;
    /* 4xx or 5xx text */
    if (cmd_len == 3 && *cmd_text && (value[0] == '4' || value[0] == '5')
	&& isdigit((unsigned char) value[1]) && isdigit((unsigned char) value[2])) {
	snprintf(def_dsn, sizeof(def_dsn), "%c.7.1", value[0]);
	text = dsn_split(dsn, def_dsn, cmd_text);
	return check_reject(s, ERR_POLICY, atoi(value), dsn_fix(dsn, reply_class),
			    "<%s>: %s rejected: %s", reply_name, reply_class,
			    *text ? text : "Access denied");
    }
    if (word_is(value, cmd_len, "OK") || word_is(value, cmd_len, "RELAY"))
	return CHECK_OK;
    if (strchr(value, ':') != NULL) {
	engine_warn(s, "access table %s has entry with lookup table: %s", table, value);
	engine_warn(s, "do not specify lookup tables inside SMTPD access maps");
	engine_warn(s, "define a restriction class and specify its name instead.");
	return server_error(s);
    }
    if (s->recursion > MAX_RECURSION) {
	engine_warn(s, "access table %s entry %s causes unreasonable recursion", table, value);
	return server_error(s);
    }
    /* The rest is a list of restrictions, evaluated in place. */
    char *copy = xstrdup(value), *cp = copy;
    int empty = str_tokq(&cp, CHARS_COMMA_SP) == NULL;
    free(copy);
    if (empty) {
	engine_warn(s, "access table %s entry %s has empty value", table, value);
	return CHECK_OK;
    }
    return run_list(s, value, reply_name, reply_class, def_acl);
}

/* ------------------------------------------------------------ lookups */

/*
 * access_find - one check_*_access search in table t: the keys of kind
 * for input, the first hit's value through table_result(); a failed
 * lookup is "451 4.3.5 Server configuration error".
 */
static int access_find(struct session *s, uint32_t t, enum lo_kind kind, const char *input,
		       const char *datum, int *found, const char *reply_name,
		       const char *reply_class, enum restriction_id def_acl)
{
    const struct image *img = s->policy->img;
    const char *table = image_str(img, img->tables[t].spec);
    const char *value;

    *found = 0;
    switch (maps_addr_find(s, NULL, &t, 1, kind, input, &value, NULL)) {
    case MAPS_FOUND:
	*found = 1;
	break;
    case MAPS_FAIL:
	*found = 1;
	value = "451 4.3.5 Server configuration error";
	break;
    default:
	return CHECK_DUNNO;
    }
    /* The value may live in the lookup's scratch space: keep a copy. */
    char *copy = xstrdup(value);
    int status = table_result(s, table, copy, datum, reply_name, reply_class, def_acl);
    free(copy);
    return status;
}

int access_exact(struct session *s, uint32_t t, const char *name, int *found,
		 const char *reply_name, const char *reply_class, enum restriction_id def_acl)
{
    return access_find(s, t, LO_ACCESS_EXACT, name, name, found, reply_name, reply_class,
		       def_acl);
}

int access_domain(struct session *s, uint32_t t, const char *domain, int *found,
		  const char *reply_name, const char *reply_class, enum restriction_id def_acl)
{
    return access_find(s, t, LO_ACCESS_DOMAIN, domain, domain, found, reply_name,
		       reply_class, def_acl);
}

int access_namadr(struct session *s, uint32_t t, const char *name, const char *addr,
		  int *found, const char *reply_name, const char *reply_class,
		  enum restriction_id def_acl)
{
    char *input = xconcat(name, "[", addr, "]", (char *) NULL);
    int status = access_find(s, t, LO_ACCESS_CLIENT, input, name, found, reply_name,
			     reply_class, def_acl);

    free(input);
    return status;
}

int access_addr(struct session *s, uint32_t t, const char *addr, int *found,
		const char *reply_name, const char *reply_class, enum restriction_id def_acl)
{
    return access_find(s, t, LO_ACCESS_ADDRESS, addr, addr, found, reply_name, reply_class,
		       def_acl);
}

int access_mail(struct session *s, uint32_t t, const char *addr, int *found,
		const char *reply_name, const char *reply_class, enum restriction_id def_acl)
{
    struct engine *e = engine_of(s);
    struct resolve_reply reply;
    int is_sender = strcmp(reply_class, NAME_SENDER) == 0;
    int status;

    *found = 0;
    resolve_reply_init(&reply);
    resolve_addr(s, is_sender ? (s->recipient ? s->recipient : "")
		 : (s->sender ? s->sender : ""), addr, &reply);
    if (reply.flags & RESOLVE_FLAG_FAIL) {
	status = lookup_retry(s, addr);
    } else if (strrchr(sb_str(&reply.recipient), '@') == NULL) {
	engine_warn(s, "check_mail_access: no @domain in address: %s", sb_str(&reply.recipient));
	status = CHECK_DUNNO;
    } else {
	status = access_find(s, t, is_sender ? LO_ACCESS_SENDER : LO_ACCESS_RECIPIENT,
			     sb_str(&reply.recipient), sb_str(&reply.recipient), found,
			     reply_name, reply_class, def_acl);
	/* A source-routed recipient is too suspicious for an OK. */
	if (status == CHECK_OK && !e->allow_untrusted_routing
	    && (reply.flags & RESOLVE_FLAG_ROUTED) && !is_sender)
	    status = CHECK_DUNNO;
    }
    resolve_reply_free(&reply);
    return status;
}
