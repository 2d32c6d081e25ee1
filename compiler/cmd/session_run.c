/* session_run - one image, one engine, SMTP conversations line by line (see session_run.h) */
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#include "content_checks.h"
#include "json.h"
#include "resolve.h"
#include "restriction.h"
#include "rewrite.h"
#include "session_run.h"
#include "smtpd_session.h"
#include "table_unix.h"
#include "trace.h"
#include "xalloc.h"

struct session_run {
    struct image *img;
    struct policy policy;
    struct policy cleanup;	/* the smtpd service's cleanup service */
    struct dns_resolver *dns;	/* NULL: none, the DNS is down */
    struct engine *engine;
    /*
     * The account database as this run reads it, and every session of
     * the run (each envelope, each test case) is answered from here: a
     * snapshot listed once when nsswitch.conf's passwd sources list all
     * they answer (table_unix.h), else each name asked once per run.
     */
    struct unix_memo *accounts;
    struct session s;
    int session_live;
    struct smtpd_session *smtpd;
    struct policy_trace trace;
    FILE *explain;
    struct run_event *events;
    size_t nevents, events_cap;
    struct strbuf message;
    char *last_rcpt;		/* the message's last recipient as cleanup rewrote it */
    unsigned long queue_count;
    char queue_id[32];
};

/* ------------------------------------------------------------ events */

static void clear_events(struct session_run *r)
{
    for (size_t i = 0; i < r->nevents; i++) {
	free(r->events[i].text);
	free(r->events[i].json);
	free(r->events[i].result);
    }
    r->nevents = 0;
}

/*
 * add_event - one event: its line of explanation (text) and the same as
 * a JSON object (json, made by the caller: its members without braces).
 */
static struct run_event *add_event(struct session_run *r, enum run_event_kind kind,
				   const char *text, struct strbuf *json)
{
    static const char *const kinds[] = { "stage", "restriction", "probe", "note", "route",
	"check" };
    static const char *const indent[] = { "", "  ", "    ", "", "", "" };

    if (r->nevents == r->events_cap) {
	r->events_cap = r->events_cap ? 2 * r->events_cap : 16;
	r->events = xrealloc(r->events, r->events_cap * sizeof(*r->events));
    }
    struct run_event *ev = &r->events[r->nevents++];
    memset(ev, 0, sizeof(*ev));
    ev->kind = kind;
    ev->text = xstrdup(text);
    struct strbuf obj = STRBUF_INIT;
    sb_addch(&obj, '{');
    json_field(&obj, "event", kinds[kind]);
    if (json != NULL && json->len > 0) {
	sb_addch(&obj, ',');
	sb_addn(&obj, json->s, json->len);
    }
    sb_addch(&obj, '}');
    ev->json = sb_detach(&obj);
    if (r->explain != NULL) {
	fprintf(r->explain, "# %s", indent[kind]);
	session_run_printable(r->explain, text, strlen(text));
	putc('\n', r->explain);
    }
    return ev;
}

void session_run_printable(FILE *fp, const char *text, size_t len)
{
    for (size_t i = 0; i < len; i++) {
	unsigned char c = (unsigned char) text[i];
	size_t n = c < 0x80 ? 1 : utf8_seqlen(c);
	if (c < 0x20 || c == 0x7f) {
	    putc('?', fp);
	} else if (n > 1 && n <= len - i && utf8_valid(text + i, n)) {
	    fwrite(text + i, 1, n, fp);
	    i += n - 1;
	} else {
	    putc(c < 0x80 ? c : '?', fp);
	}
    }
}

/* note_event - an event whose whole content is its text */
static void note_event(struct session_run *r, enum run_event_kind kind, const char *text)
{
    struct strbuf json = STRBUF_INIT;

    json_field(&json, "text", text);
    add_event(r, kind, text, &json);
    sb_free(&json);
}

/* program_file - where the setting behind a program was written */
static const char *program_file(const struct image *img, uint32_t program)
{
    if (program == IMG_NONE)
	return NULL;
    return img->programs[program].service != IMG_NONE ? "master.cf" : "main.cf";
}

static void on_stage(void *ctx, const char *list, const char *reply_class)
{
    struct session_run *r = ctx;
    struct strbuf text = STRBUF_INIT, json = STRBUF_INIT;

    sb_printf(&text, "%s (%s)", list, reply_class);
    json_field(&json, "list", list);
    json_field(&json, "class", reply_class);
    add_event(r, EV_STAGE, sb_str(&text), &json);
    sb_free(&text);
    sb_free(&json);
}

static void on_restriction(void *ctx, uint32_t op, const char *arg, uint32_t program,
			   uint32_t line, const char *result, const char *reply)
{
    struct session_run *r = ctx;
    struct strbuf text = STRBUF_INIT, json = STRBUF_INIT, where = STRBUF_INIT;
    const char *name = op == RESTR_NONE ? arg : restriction_name(op);
    const char *file = program_file(r->img, program);

    /* Where it was written: a file and line, Postfix's default, or an access table's answer. */
    if (program == IMG_NONE)
	sb_adds(&where, "an access table");
    else if (line != 0)
	sb_printf(&where, "%s:%u", file, (unsigned) line);
    else
	sb_adds(&where, "default");
    sb_adds(&text, *name ? name : "(the caller's access table)");
    if (op != RESTR_NONE && *arg)
	sb_printf(&text, " %s", arg);
    sb_printf(&text, " [%s] -> %s", sb_str(&where), result);
    if (reply != NULL)
	sb_printf(&text, ": %s", reply);
    json_field(&json, "restriction", *name ? name : NULL);
    json_field(&json, "argument", op != RESTR_NONE && *arg ? arg : NULL);
    json_field(&json, "file", program != IMG_NONE && line != 0 ? file : NULL);
    if (program != IMG_NONE && line != 0)
	json_field_uint(&json, "line", line);
    json_field(&json, "from", program == IMG_NONE ? "access-table" : line ? "setting" : "default");
    json_field(&json, "result", result);
    json_field(&json, "reply", reply);
    struct run_event *ev = add_event(r, EV_RESTRICTION, sb_str(&text), &json);
    ev->op = op;
    ev->result = xstrdup(result);
    sb_free(&text);
    sb_free(&json);
    sb_free(&where);
}

static void on_probe(void *ctx, const char *table, const char *key,
		     enum trace_probe_result result, const char *value, uint32_t line)
{
    static const char *const names[] = { "miss", "hit", "skip", "fail" };
    struct session_run *r = ctx;
    struct strbuf text = STRBUF_INIT, json = STRBUF_INIT;

    sb_printf(&text, "probe %s %s: %s", table, key, names[result]);
    if (result == PROBE_HIT && value != NULL) {
	sb_printf(&text, " \"%s\"", value);
	if (line)
	    sb_printf(&text, " (line %u)", (unsigned) line);
    } else if (result == PROBE_FAIL && value != NULL && *value) {
	sb_printf(&text, " (%s)", value);
    }
    json_field(&json, "table", table);
    json_field(&json, "key", key);
    json_field(&json, "result", names[result]);
    if (result == PROBE_HIT || result == PROBE_FAIL)
	json_field(&json, result == PROBE_HIT ? "value" : "error", value);
    if (result == PROBE_HIT && line)
	json_field_uint(&json, "line", line);
    add_event(r, EV_PROBE, sb_str(&text), &json);
    sb_free(&text);
    sb_free(&json);
}

static void on_note(void *ctx, const char *text)
{
    struct session_run *r = ctx;
    static const char *const checks[] = {
	"reject: header", "reject: body", "hold: ", "discard: ", "prepend: ", "replace: ",
	"warning: header", "warning: body", "info: header", "info: body", "strip: ",
	"redirect: header", "redirect: body", "filter: header", "filter: body",
	"bcc: header", "bcc: body", "pass: ",
    };

    /* A header or body check's hit is its own kind of event. */
    for (size_t i = 0; i < sizeof(checks) / sizeof(checks[0]); i++)
	if (strncmp(text, checks[i], strlen(checks[i])) == 0
	    && (strstr(text, ": header ") || strstr(text, ": body "))) {
	    note_event(r, EV_CHECK, text);
	    return;
	}
    note_event(r, EV_NOTE, text);
}

/* ------------------------------------------------------------ the message */

static const char *class_name(unsigned flags)
{
    switch (flags & RESOLVE_CLASS_MASK) {
    case RESOLVE_CLASS_LOCAL:
	return "local";
    case RESOLVE_CLASS_ALIAS:
	return "virtual-alias";
    case RESOLVE_CLASS_VIRTUAL:
	return "virtual-mailbox";
    case RESOLVE_CLASS_RELAY:
	return "relay";
    default:
	return "default";
    }
}

static const char *msg_open(void *ctx, const struct session *s)
{
    struct session_run *r = ctx;

    (void) s;
    r->queue_count++;
    /* A short queue ID of Postfix's shape. */
    snprintf(r->queue_id, sizeof(r->queue_id), "%05lX%06lX", 0x1A2B3UL + r->queue_count,
	     0xC4D5E6UL + r->queue_count);
    sb_reset(&r->message);
    free(r->last_rcpt);
    r->last_rcpt = NULL;
    return r->queue_id;
}

/* msg_recipient - an accepted recipient: its rewrites, class, transport and next hop */
static void msg_recipient(void *ctx, const char *addr, int notify, const char *orcpt)
{
    struct session_run *r = ctx;
    struct rewrite_list list = { NULL, 0, 0, NULL };
    char *err = NULL;

    (void) notify, (void) orcpt;
    int rc = rewrite_recipient(&r->s, addr, &list, &err);
    /* The recipient cleanup's log lines name (content_checks()). */
    free(r->last_rcpt);
    r->last_rcpt = xstrdup(list.clean ? list.clean : list.count ? list.addrs[0] : addr);
    if (rc < 0) {
	struct strbuf text = STRBUF_INIT;
	struct strbuf json = STRBUF_INIT;
	sb_printf(&text, "%s: cleanup would refuse it: %s", addr, err);
	json_field(&json, "recipient", addr);
	json_field(&json, "refused", err);
	add_event(r, EV_ROUTE, sb_str(&text), &json);
	sb_free(&text);
	sb_free(&json);
	free(err);
	rewrite_list_free(&list);
	return;
    }
    for (size_t i = 0; i < list.count; i++) {
	struct resolve_reply reply;
	struct strbuf text = STRBUF_INIT, json = STRBUF_INIT;
	resolve_reply_init(&reply);
	resolve_addr(&r->s, r->s.sender ? r->s.sender : "", list.addrs[i], &reply);
	if (strcmp(list.addrs[i], addr) != 0)
	    sb_printf(&text, "%s -> ", addr);
	sb_printf(&text, "%s: %s %s:%s", sb_str(&reply.recipient), class_name(reply.flags),
		  sb_str(&reply.transport), sb_str(&reply.nexthop));
	json_field(&json, "recipient", addr);
	json_field(&json, "rewritten", sb_str(&reply.recipient));
	json_field(&json, "class", class_name(reply.flags));
	json_field(&json, "transport", sb_str(&reply.transport));
	json_field(&json, "nexthop", sb_str(&reply.nexthop));
	add_event(r, EV_ROUTE, sb_str(&text), &json);
	sb_free(&text);
	sb_free(&json);
	resolve_reply_free(&reply);
    }
    rewrite_list_free(&list);
}

static void msg_content(void *ctx, int type, const char *data, size_t len)
{
    struct session_run *r = ctx;

    sb_addn(&r->message, data, len);
    if (type == SMTPD_REC_NORM)
	sb_addch(&r->message, '\n');
}

static int msg_close(void *ctx, const struct session *s, struct strbuf *why)
{
    struct session_run *r = ctx;
    struct checks_result cr;
    int refused = 0;

    (void) s;
    checks_result_init(&cr);
    content_checks(&r->s, &r->cleanup, r->last_rcpt, r->message.s ? r->message.s : "",
		   r->message.len, &cr);
    if (cr.flags & (CHECKS_REJECT | CHECKS_DEFER)) {
	checks_reply(&cr, why);
	refused = 1;
    } else {
	struct strbuf text = STRBUF_INIT;
	sb_printf(&text, "%s: message of %zu bytes %s", r->queue_id, r->message.len,
		  (cr.flags & CHECKS_DISCARD) ? "accepted and discarded"
		  : (cr.flags & CHECKS_HOLD) ? "accepted and held" : "accepted");
	note_event(r, EV_NOTE, sb_str(&text));
	sb_free(&text);
    }
    checks_result_free(&cr);
    return refused;
}

static void msg_abort(void *ctx)
{
    sb_reset(&((struct session_run *) ctx)->message);
}

static const struct smtpd_message_ops message_ops_template = {
    NULL, msg_open, msg_recipient, msg_content, msg_close, msg_abort, NULL,
};

/* ------------------------------------------------------------ the run */

struct session_run *session_run_open(const char *image, const char *service,
				     const char *dns_server, char **err)
{
    struct session_run *r = xcalloc(1, sizeof(*r));

    if (image_open(image, &r->img, err) != IMAGE_OK) {
	free(r);
	return NULL;
    }
    if (policy_open(&r->policy, r->img, service, err) < 0)
	goto fail;
    if (r->policy.service != IMG_NONE) {
	const struct img_service *svc = &r->img->services[r->policy.service];
	const char *command = image_str(r->img, svc->command);
	size_t len = strcspn(command, " \t");
	if (len != 5 || strncmp(command, "smtpd", 5) != 0) {
	    *err = xconcat("service ", r->policy.service_name, "/", image_str(r->img, svc->type),
			   " runs ", command, ", not smtpd", (char *) NULL);
	    goto fail;
	}
    }
    /* "system": resolv.conf's servers; an address: that server alone. */
    if (dns_server != NULL
	&& (r->dns = dns_system_resolver(strcmp(dns_server, "system") == 0 ? NULL : dns_server,
					 err)) == NULL)
	goto fail;
    char *start_err = NULL;
    if ((r->engine = engine_open(&r->policy, r->dns, &start_err)) == NULL) {
	*err = xconcat("smtpd would not start: ", start_err, (char *) NULL);
	free(start_err);
	goto fail;
    }
    /* Content checks are the cleanup service's, as cleanup_service_name names it. */
    char *name = xconcat(policy_value(&r->policy, "cleanup_service_name"), "/unix",
			 (char *) NULL);
    char *ignored = NULL;
    if (policy_open(&r->cleanup, r->img, name, &ignored) < 0) {
	free(ignored);
	r->cleanup = r->policy;
	r->cleanup.service = IMG_NONE;
    }
    free(name);
    r->trace.ctx = r;
    r->trace.stage = on_stage;
    r->trace.restriction = on_restriction;
    r->trace.probe = on_probe;
    r->trace.note = on_note;
    r->accounts = unix_memo_new();
    unix_memo_want_snapshot(r->accounts);
    return r;
  fail:
    if (r->dns)
	r->dns->free(r->dns);
    policy_close(&r->policy);
    image_close(r->img);
    free(r);
    return NULL;
}

/* start_session - a new session of the run's engine, with the run's accounts */
static void start_session(struct session_run *r)
{
    engine_session(r->engine, &r->s);
    session_lend_accounts(&r->s, r->accounts);
    r->session_live = 1;
}

static void end_conversation(struct session_run *r)
{
    if (r->smtpd != NULL) {
	smtpd_session_close(r->smtpd);
	r->smtpd = NULL;
    }
    if (r->session_live) {
	session_free(&r->s);
	r->session_live = 0;
    }
}

static void take_output(struct session_run *r, struct strbuf *out)
{
    struct strbuf *o = smtpd_session_output(r->smtpd);

    sb_addn(out, o->s ? o->s : "", o->len);
    sb_reset(o);
    long delay = smtpd_session_delay(r->smtpd);
    if (delay > 0) {
	char text[64];
	snprintf(text, sizeof(text), "(smtpd would wait %ld s before answering)", delay);
	note_event(r, EV_NOTE, text);
    }
}

void session_run_start(struct session_run *r, const char *addr, const char *name,
		       const char *sasl, FILE *explain, struct strbuf *out)
{
    static struct smtpd_message_ops ops;

    end_conversation(r);
    clear_events(r);
    r->explain = explain;
    start_session(r);
    r->s.trace = &r->trace;
    session_set_client(&r->s, addr, name, NULL, "0");
    if (sasl != NULL) {
	session_set(&r->s.sasl_username, sasl);
	session_set(&r->s.sasl_method, "PLAIN");
    }
    ops = message_ops_template;
    ops.ctx = r;
    r->smtpd = smtpd_session_open(r->engine, &r->s, &ops);
    /* What smtpd would ask its milters is not here: say so, not nothing. */
    const char *milters = policy_value(&r->policy, "smtpd_milters");
    if (*milters) {
	char *text = xconcat("warning: smtpd_milters are not run here: ", milters,
			     (char *) NULL);
	note_event(r, EV_NOTE, text);
	free(text);
    }
    take_output(r, out);
}

int session_run_input(struct session_run *r, const char *data, size_t len, struct strbuf *out)
{
    clear_events(r);
    if (smtpd_session_hungup(r->smtpd))
	return 1;
    smtpd_session_input(r->smtpd, data, len);
    take_output(r, out);
    return smtpd_session_hungup(r->smtpd);
}

int session_run_line(struct session_run *r, const char *line, struct strbuf *out)
{
    struct strbuf wire = STRBUF_INIT;

    sb_adds(&wire, line);
    sb_addn(&wire, "\r\n", 2);
    int hungup = session_run_input(r, wire.s, wire.len, out);
    sb_free(&wire);
    return hungup;
}

int session_run_in_message(const struct session_run *r)
{
    return r->smtpd != NULL && !smtpd_session_hungup(r->smtpd)
	&& smtpd_session_in_message(r->smtpd);
}

const struct run_event *session_run_events(const struct session_run *r, size_t *count)
{
    *count = r->nevents;
    return r->events;
}

const char *session_run_service(const struct session_run *r)
{
    return r->policy.service_name;
}

const char *session_run_end(struct session_run *r, struct strbuf *out)
{
    const char *lost = NULL;

    if (r->smtpd == NULL)
	return NULL;
    clear_events(r);
    if (!smtpd_session_hungup(r->smtpd)) {
	/* smtpd_session_eof() notes one line: "lost connection after ..." */
	smtpd_session_eof(r->smtpd);
	for (size_t i = 0; i < r->nevents; i++)
	    if (r->events[i].kind == EV_NOTE)
		lost = r->events[i].text;
    }
    take_output(r, out);
    end_conversation(r);
    return lost;
}

void session_run_batch(struct session_run *r, const char *sasl, FILE *explain)
{
    if (!r->session_live)
	start_session(r);
    r->explain = explain;
    session_set(&r->s.sasl_username, sasl);
    session_set(&r->s.sasl_method, sasl ? "PLAIN" : NULL);
}

const char *session_run_envelope(struct session_run *r, const char *addr, const char *name,
				 const char *helo, const char *sender, const char *recipient)
{
    const char *err;

    if (!r->session_live)
	start_session(r);
    clear_events(r);
    r->s.trace = r->explain ? &r->trace : NULL;
    session_set_client(&r->s, addr, name, NULL, "0");
    session_reset_transaction(&r->s);
    r->s.protocol = "ESMTP";
    if (!engine_delay_reject(r->engine)) {
	r->s.where = "CONNECT";
	if ((err = engine_check_client(&r->s)) != NULL)
	    return err;
	r->s.where = "EHLO";
	if ((err = engine_check_helo(&r->s, helo)) != NULL)
	    return err;
    }
    session_set(&r->s.helo_name, helo);
    if (!engine_delay_reject(r->engine)) {
	r->s.where = "MAIL";
	if ((err = engine_check_mail(&r->s, sender)) != NULL)
	    return err;
    }
    session_set(&r->s.sender, sender);
    r->s.where = "RCPT";
    return engine_check_rcpt(&r->s, recipient);
}

void session_run_hint_start(struct session_run *r, struct engine_hint *h, const char *addr,
			    const char *recipient)
{
    engine_hint_start(r->engine, h, addr, recipient);
}

void session_run_hint_step(struct session_run *r, const struct engine_hint *h, int stage)
{
    engine_hint_step(r->engine, h, stage);
}

void session_run_close(struct session_run *r)
{
    if (r == NULL)
	return;
    end_conversation(r);
    clear_events(r);
    free(r->events);
    sb_free(&r->message);
    free(r->last_rcpt);
    engine_close(r->engine);
    unix_memo_free(r->accounts);
    if (r->dns != NULL)
	r->dns->free(r->dns);
    if (r->cleanup.memo != r->policy.memo)
	policy_close(&r->cleanup);
    policy_close(&r->policy);
    image_close(r->img);
    free(r);
}
