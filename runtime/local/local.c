/*
 * local - the agent (the service's parameters, read once from the image),
 * the entry point that delivers one recipient, and the results it
 * reports (see local.h).
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "addr822.h"
#include "diag.h"
#include "fdio.h"
#include "local_int.h"
#include "textutil.h"
#include "xalloc.h"

/* ------------------------------------------------------------ results */

const char *keep(struct run *run, char *s)
{
    if (run->npool == run->cappool) {
	run->cappool = run->cappool ? 2 * run->cappool : 16;
	run->pool = xrealloc(run->pool, run->cappool * sizeof(*run->pool));
    }
    run->pool[run->npool++] = s;
    return s;
}

static int been_here_v(struct run *run, int remember, const char *fmt, va_list ap)
{
    struct strbuf key = STRBUF_INIT;
    int seen;

    sb_vprintf(&key, fmt, ap);
    /* BH_FLAG_FOLD: the filter ignores case. */
    for (size_t i = 0; i < key.len; i++)
	key.s[i] = (char) tolower((unsigned char) key.s[i]);
    seen = strmap_has(&run->dup, sb_str(&key));
    /* duplicate_filter_limit: past it, nothing more is remembered. */
    if (!seen && remember && (run->a->dup_limit <= 0 || run->dup.used < (size_t) run->a->dup_limit))
	strmap_put(&run->dup, sb_str(&key), NULL);
    sb_free(&key);
    return seen;
}

int been_here(struct run *run, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int seen = been_here_v(run, 1, fmt, ap);
    va_end(ap);
    return seen;
}

int been_here_check(struct run *run, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    int seen = been_here_v(run, 0, fmt, ap);
    va_end(ap);
    return seen;
}

static struct local_result *add_result(struct run *run, const struct attr *at,
				       enum local_action action, const char *dsn,
				       const char *dsn_action, const char *text)
{
    struct local_report *rep = run->report;

    if (rep->count == rep->cap) {
	rep->cap = rep->cap ? 2 * rep->cap : 4;
	rep->results = xrealloc(rep->results, rep->cap * sizeof(*rep->results));
    }
    struct local_result *r = &rep->results[rep->count++];
    memset(r, 0, sizeof(*r));
    r->action = action;
    r->address = xstrdup(at->rcpt.address);
    r->orig_addr = xstrdup(at->rcpt.orig_addr ? at->rcpt.orig_addr : "");
    r->dsn_orcpt = xstrdup(at->rcpt.dsn_orcpt ? at->rcpt.dsn_orcpt : "");
    r->dsn_notify = at->rcpt.dsn_notify;
    snprintf(r->dsn, sizeof(r->dsn), "%s", dsn);
    r->dsn_action = xstrdup(dsn_action);
    r->text = xstrdup(text);
    return r;
}

int r_sent(struct run *run, const struct attr *at, const char *dsn_action, const char *fmt, ...)
{
    struct strbuf text = STRBUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    sb_vprintf(&text, fmt, ap);
    va_end(ap);
    add_result(run, at, LOCAL_SENT, "2.0.0", dsn_action, sb_str(&text));
    sb_free(&text);
    return 0;
}

static void set_diag(struct local_result *r, const struct local_why *why)
{
    if (why->dtext.len > 0)
	r->diag_text = xstrdup(sb_str(&why->dtext));
}

int r_bounce(struct run *run, const struct attr *at, const struct local_why *why)
{
    set_diag(add_result(run, at, LOCAL_BOUNCED, why->dsn, "failed", sb_str(&why->reason)), why);
    return 0;
}

int r_defer(struct run *run, const struct attr *at, const struct local_why *why)
{
    set_diag(add_result(run, at, LOCAL_DEFERRED, why->dsn, "delayed", sb_str(&why->reason)),
	     why);
    run->report->retry = 1;
    return -1;
}

void r_expanded(struct run *run, const struct attr *at, int owner)
{
    /* A list (owner- alias) counts as delivered, an alias as expanded. */
    add_result(run, at, LOCAL_EXPANDED, "2.0.0", owner ? "delivered" : "expanded",
	       "alias expanded");
}

int r_simple(struct run *run, const struct attr *at, const char *dsn, const char *fmt, ...)
{
    struct local_why why = { 0 };
    va_list ap;

    snprintf(why.dsn, sizeof(why.dsn), "%s", dsn);
    va_start(ap, fmt);
    sb_vprintf(&why.reason, fmt, ap);
    va_end(ap);
    int status = dsn[0] == '4' ? r_defer(run, at, &why) : r_bounce(run, at, &why);
    why_free(&why);
    return status;
}

const char *local_status_name(enum local_action action)
{
    switch (action) {
    case LOCAL_SENT:
	return "sent";
    case LOCAL_BOUNCED:
	return "bounced";
    case LOCAL_DEFERRED:
	return "deferred";
    default:
	return NULL;
    }
}

void local_log_text(struct strbuf *out, const struct local_agent *agent,
		    const struct local_result *r, const char *delays)
{
    if (r->action == LOCAL_EXPANDED)
	return;
    /* info_log_address_format = external: addresses as a header has them. */
    sb_adds(out, "to=<");
    a822_quote_local(out, r->address, A822_QUOTE_8BITCLEAN);
    sb_adds(out, ">");
    if (*r->orig_addr && strcasecmp(r->orig_addr, r->address) != 0) {
	sb_adds(out, ", orig_to=<");
	a822_quote_local(out, r->orig_addr, A822_QUOTE_8BITCLEAN);
	sb_adds(out, ">");
    }
    sb_printf(out, ", relay=%s", agent->service);
    if (delays)
	sb_printf(out, ", %s", delays);
    sb_printf(out, ", dsn=%s, status=%s (%s)", r->dsn, local_status_name(r->action), r->text);
}

void local_report_free(struct local_report *report)
{
    for (size_t i = 0; i < report->count; i++) {
	struct local_result *r = &report->results[i];
	free(r->address);
	free(r->orig_addr);
	free(r->dsn_orcpt);
	free(r->dsn_action);
	free(r->text);
	free(r->diag_text);
	free(r->notify_to);
    }
    free(report->results);
    memset(report, 0, sizeof(*report));
}

/* ------------------------------------------------------------ the agent */

/* param - a setting's value on this host (host-dependent ones joined) */
static char *param(struct local_agent *a, const char *name)
{
    const struct img_setting *s = policy_setting(&a->policy, name);
    char *err = NULL;

    if (s == NULL)
	return xstrdup("");
    char *value = image_setting_value(a->img, s, &a->host, &err);
    if (value == NULL) {
	free(err);
	return xstrdup(image_str(a->img, s->expanded));
    }
    return value;
}

/* raw - a setting as written: local(8) expands these itself, per delivery */
static const char *raw(struct local_agent *a, const char *name)
{
    const struct img_setting *s = policy_setting(&a->policy, name);

    return s != NULL ? image_str(a->img, s->raw) : "";
}

/*
 * name_mask - Postfix's name_mask() of a list of names: the bits of the
 * names in table (case ignored); an unknown name is an error (*err).
 */
static unsigned name_mask(const char *param_name, const char *value,
			  const char *const *names, const unsigned *bits, char **err)
{
    char *copy = xstrdup(value), *bp = copy, *word;
    unsigned mask = 0;

    while (*err == NULL && (word = str_tokq(&bp, CHARS_COMMA_SP)) != NULL) {
	size_t i;
	for (i = 0; names[i]; i++)
	    if (strcasecmp(word, names[i]) == 0)
		break;
	if (names[i])
	    mask |= bits[i];
	else
	    *err = xconcat("unknown ", param_name, " value \"", word, "\"", (char *) NULL);
    }
    free(copy);
    return mask;
}

/* export_env - import_environment, then export_environment, as a command gets it */
static char **export_env(struct local_agent *a)
{
    char *import = param(a, "import_environment");
    char *export = param(a, "export_environment");
    struct strmap env;
    char *bp, *word;
    char **out;
    size_t n = 0;

    strmap_init(&env);
    /* What the master process keeps of its environment, and sets. */
    bp = import;
    while ((word = str_tokq(&bp, CHARS_COMMA_SP)) != NULL) {
	char *eq = strchr(word, '=');
	if (eq != NULL) {
	    *eq = 0;
	    free(strmap_put(&env, word, xstrdup(eq + 1)));
	} else if (getenv(word) != NULL) {
	    free(strmap_put(&env, word, xstrdup(getenv(word))));
	}
    }
    /* Every Postfix process has MAIL_CONFIG, from the configuration. */
    free(strmap_put(&env, "MAIL_CONFIG", xstrdup(a->config_dir)));
    out = xcalloc(env.used + 64, sizeof(*out));
    bp = export;
    while ((word = str_tokq(&bp, CHARS_COMMA_SP)) != NULL && n < env.used + 62) {
	char *eq = strchr(word, '=');
	if (eq != NULL) {
	    out[n++] = xstrdup(word);
	} else {
	    const char *value = strmap_get(&env, word);
	    if (value != NULL)
		out[n++] = xconcat(word, "=", value, (char *) NULL);
	}
    }
    strmap_free(&env, free);
    free(import);
    free(export);
    return out;
}

static int time_param(struct local_agent *a, const char *name, int def_unit, long fallback)
{
    long t = policy_time(&a->policy, name, def_unit, fallback);
    return t > 0x7fffffff ? 0x7fffffff : (int) t;
}

struct local_agent *local_agent_open(const struct image *img, const char *service, char **err)
{
    struct local_agent *a = xcalloc(1, sizeof(*a));
    static const char *const exp_names[] = { "alias", "forward", "include", NULL };
    static const unsigned exp_bits[] = { EXP_TYPE_ALIAS, EXP_TYPE_FWD, EXP_TYPE_INCL };
    static const char *const hdr_names[] = { "command", "file", "forward", NULL };
    static const unsigned hdr_bits[] = { DELIVER_HDR_CMD, DELIVER_HDR_FILE, DELIVER_HDR_FWD };
    /* propagate_unmatched_extensions also names what other daemons read */
    static const char *const ext_names[] = { "canonical", "virtual", "alias", "forward",
	"include", "generic", NULL };
    static const unsigned ext_bits[] = { 0, 0, EXT_PROP_ALIAS, EXT_PROP_FORWARD,
	EXT_PROP_INCLUDE, 0 };
    static const char *const lock_names[] = { "flock", "fcntl", "dotlock", NULL };
    static const unsigned lock_bits[] = { MBOX_FLOCK_LOCK, MBOX_FCNTL_LOCK, MBOX_DOT_LOCK };
    char *value;

    *err = NULL;
    a->img = img;
    a->service = xstrdup(service ? service : "local");
    if (policy_open(&a->policy, img, a->service, err) < 0) {
	free(a->service);
	free(a);
	return NULL;
    }
    session_init(&a->session, &a->policy);
    image_host_init(&a->host, "local", (long) getpid());

    a->myhostname = param(a, "myhostname");
    a->myorigin = param(a, "myorigin");
    a->mail_name = param(a, "mail_name");
    a->config_dir = param(a, "config_directory");
    value = param(a, "queue_directory");
    a->queue_dir = local_real_path(value);
    free(value);
    char host[256];
    if (gethostname(host, sizeof(host)) < 0)
	snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = 0;
    a->hostname = xstrdup(host);

    value = param(a, "allow_mail_to_commands");
    a->cmd_mask = name_mask("allow_mail_to_commands", value, exp_names, exp_bits, err);
    free(value);
    value = param(a, "allow_mail_to_files");
    a->file_mask = name_mask("allow_mail_to_files", value, exp_names, exp_bits, err);
    free(value);
    value = param(a, "prepend_delivered_header");
    a->hdr_mask = name_mask("prepend_delivered_header", value, hdr_names, hdr_bits, err);
    free(value);
    value = param(a, "propagate_unmatched_extensions");
    a->ext_prop_mask = name_mask("propagate_unmatched_extensions", value, ext_names, ext_bits,
				 err);
    free(value);
    value = param(a, "mailbox_delivery_lock");
    a->lock_mask = name_mask("mailbox_delivery_lock", value, lock_names, lock_bits, err);
    free(value);
    if (*err == NULL && a->lock_mask == 0)
	*err = xstrdup("parameter mailbox_delivery_lock specifies no applicable mailbox locking method");

    value = param(a, "default_privs");
    struct local_pw pw;
    if (*err == NULL) {
	if (local_getpwnam(value, &pw) <= 0) {
	    *err = xconcat("unknown default_privs configuration parameter value: ", value,
			   (char *) NULL);
	} else {
	    a->default_uid = pw.uid;
	    a->default_gid = pw.gid;
	    if (pw.uid == 0)
		*err = xconcat("default_privs: ", value, ": privileged user is not allowed",
			       (char *) NULL);
	    local_pw_free(&pw);
	}
    }
    free(value);

    a->flock_tries = (int) policy_int(&a->policy, "deliver_lock_attempts", 20);
    a->flock_delay = time_param(a, "deliver_lock_delay", 's', 1);
    a->flock_stale = time_param(a, "stale_lock_time", 's', 500);
    a->mailbox_limit = policy_int(&a->policy, "mailbox_size_limit", 51200000);
    long message_limit = policy_int(&a->policy, "message_size_limit", 10240000);
    if (*err == NULL && a->mailbox_limit > 0) {
	if (message_limit <= 0)
	    *err = xstrdup("configuration error: mailbox_size_limit is limited but "
			   "message_size_limit is unlimited");
	else if (a->mailbox_limit < message_limit)
	    *err = xstrdup("configuration error: mailbox_size_limit is smaller than "
			   "message_size_limit");
    }
    a->command_maxtime = time_param(a, "command_time_limit", 's', 1000);
    a->dup_limit = (int) policy_int(&a->policy, "duplicate_filter_limit", 1000);
    a->line_limit = (int) policy_int(&a->policy, "line_length_limit", 2048);
    if (a->line_limit < 1)
	a->line_limit = 2048;

    a->frozen_delivered = policy_bool(&a->policy, "frozen_delivered_to");
    a->reset_owner = policy_bool(&a->policy, "reset_owner_alias");
    a->exp_own_alias = policy_bool(&a->policy, "expand_owner_alias");
    a->ownreq_special = policy_bool(&a->policy, "owner_request_special");
    a->strict_owner = policy_bool(&a->policy, "strict_mailbox_ownership");
    a->enable_orcpt = policy_bool(&a->policy, "enable_original_recipient");
    a->stat_home_dir = policy_bool(&a->policy, "require_home_directory");
    a->biff = policy_bool(&a->policy, "biff");
    a->utf8 = policy_bool(&a->policy, "smtputf8_enable");

    a->rcpt_delim = policy_value(&a->policy, "recipient_delimiter");
    a->home_mailbox = policy_value(&a->policy, "home_mailbox");
    a->spool_dir = policy_value(&a->policy, "mail_spool_directory");
    a->mailbox_command = raw(a, "mailbox_command");
    a->forward_path = raw(a, "forward_path");
    a->luser_relay = raw(a, "luser_relay");
    a->exec_directory = raw(a, "command_execution_directory");
    a->cmd_exp_filter = policy_value(&a->policy, "command_expansion_filter");
    a->fwd_exp_filter = policy_value(&a->policy, "forward_expansion_filter");
    a->exec_exp_filter = policy_value(&a->policy, "execution_directory_expansion_filter");
    a->local_cmd_shell = policy_value(&a->policy, "local_command_shell");
    a->mailbox_transport = policy_value(&a->policy, "mailbox_transport");
    a->fallback_transport = policy_value(&a->policy, "fallback_transport");
    a->alias_maps = policy_tables(&a->policy, "alias_maps", &a->nalias_maps);
    a->export_env = export_env(a);

    if (*err != NULL) {
	local_agent_close(a);
	return NULL;
    }
    return a;
}

void local_agent_close(struct local_agent *a)
{
    if (a == NULL)
	return;
    session_free(&a->session);
    policy_close(&a->policy);
    image_host_free(&a->host);
    free(a->service);
    free(a->myhostname);
    free(a->myorigin);
    free(a->mail_name);
    free(a->hostname);
    free(a->queue_dir);
    free(a->config_dir);
    for (char **e = a->export_env; e && *e; e++)
	free(*e);
    free(a->export_env);
    free(a);
}

const char *local_agent_service(const struct local_agent *agent)
{
    return agent->service;
}

/* ------------------------------------------------------------ delivery */

void local_deliver_rcpt(struct local_agent *a, const struct local_message *msg,
		   const struct local_rcpt *rcpt, const struct local_forward_ops *fwd,
		   void *fwd_ctx, struct local_report *report)
{
    struct run run = { 0 };
    struct attr at = { 0 };
    struct usr usr = { 0 };

    run.a = a;
    run.msg = msg;
    run.report = report;
    run.fwd = fwd;
    run.fwd_ctx = fwd_ctx;
    strmap_init(&run.dup);
    strmap_init(&run.loop);
    local_scan_delivered(msg, &run.loop, a->utf8);

    at.sender = msg->sender;
    at.rcpt = *rcpt;
    if (at.rcpt.orig_addr == NULL)
	at.rcpt.orig_addr = "";
    if (at.rcpt.dsn_orcpt == NULL)
	at.rcpt.dsn_orcpt = "";

    int status = deliver_recipient(&run, at, usr);
    status |= forward_finish(&run, at, status);
    if (status != 0)
	report->retry = 1;

    strmap_free(&run.dup, NULL);
    strmap_free(&run.loop, NULL);
    for (size_t i = 0; i < run.npool; i++)
	free(run.pool[i]);
    free(run.pool);
}

/* ------------------------------------------------------------ batches */

/*
 * The first pass's warnings wait: they are said once the pass's result
 * stands, and dropped when the recipient is delivered again on its own
 * (which says them itself).
 */
struct held_diags {
    enum diag_severity *severity;
    char **text;
    size_t n;
};

static void hold_diag(void *ctx, const struct diag *d)
{
    struct held_diags *h = ctx;
    struct strbuf text = STRBUF_INIT;

    diag_text(&text, d);
    h->severity = xrealloc(h->severity, (h->n + 1) * sizeof(*h->severity));
    h->text = xrealloc(h->text, (h->n + 1) * sizeof(*h->text));
    h->severity[h->n] = d->severity;
    h->text[h->n++] = sb_detach(&text);
}

static void held_release(struct held_diags *h, int say)
{
    for (size_t i = 0; i < h->n; i++) {
	if (say) {
	    struct diag d = { h->severity[i], NULL, 0, 0, h->text[i], DIAG_SAY_NOTHING, NULL };
	    diag_report(NULL, &d);
	}
	free(h->text[i]);
    }
    free(h->severity);
    free(h->text);
    memset(h, 0, sizeof(*h));
}

static void plan_free(struct local_plan *plan)
{
    /* The strings are copied when a Maildir write is noted (the plan may spoil later). */
    if (plan->job.path != NULL) {
	free((char *) plan->job.path);
	free((char *) plan->job.shown);
	free((char *) plan->job.user);
	free((char *) plan->job.sender);
	free((char *) plan->job.orig_rcpt);
	free((char *) plan->job.delivered);
    }
    memset(plan, 0, sizeof(*plan));
}

void local_deliver_batch(struct local_agent *a, const struct local_message *msgs,
			 const struct local_rcpt *rcpts, size_t n,
			 const struct local_forward_ops *fwd, void *const *fwd_ctxs,
			 struct local_report *reports)
{
    if (n == 1) {
	local_deliver_rcpt(a, &msgs[0], &rcpts[0], fwd, fwd_ctxs[0], &reports[0]);
	return;
    }
    struct local_plan *plans = xcalloc(n, sizeof(*plans));
    struct held_diags *held = xcalloc(n, sizeof(*held));
    int *ok = xcalloc(n, sizeof(int));

    local_pw_memo(1);

    /* First pass: each recipient through the graph, its leaf noted, no forwarding. */
    for (size_t i = 0; i < n; i++) {
	struct diag_sink hold = { hold_diag, &held[i] };
	const struct diag_sink *was = diag_set_sink(&hold);
	a->plan = &plans[i];
	local_deliver_rcpt(a, &msgs[i], &rcpts[i], NULL, NULL, &reports[i]);
	a->plan = NULL;
	diag_set_sink(was);
	const struct local_report *r = &reports[i];
	ok[i] = !plans[i].spoiled && plans[i].nleaves == 1 && !r->retry && r->count == 1
	    && r->results[0].action == LOCAL_SENT;
    }

    /* The Maildir writes: one writer (and one sync) per uid and gid. */
    struct local_job *jobs = xcalloc(n, sizeof(*jobs));
    size_t *which = xcalloc(n, sizeof(size_t));
    int *done = xcalloc(n, sizeof(int));
    int *status = xcalloc(n, sizeof(int));
    for (size_t i = 0; i < n; i++) {
	if (!ok[i] || done[i])
	    continue;
	size_t k = 0;
	for (size_t j = i; j < n; j++)
	    if (ok[j] && !done[j] && plans[j].job.uid == plans[i].job.uid
		&& plans[j].job.gid == plans[i].job.gid) {
		jobs[k] = plans[j].job;
		which[k++] = j;
		done[j] = 1;
	    }
	(void) local_batch_write(a, plans[i].job.uid, plans[i].job.gid, jobs, k, status);
	for (size_t m = 0; m < k; m++)
	    ok[which[m]] = status[m] == KIND_OK;
    }

    /* What stands is reported; the rest is delivered on its own, as if alone. */
    for (size_t i = 0; i < n; i++) {
	held_release(&held[i], ok[i]);
	plan_free(&plans[i]);
	if (ok[i])
	    continue;
	local_report_free(&reports[i]);
	memset(&reports[i], 0, sizeof(reports[i]));
	local_deliver_rcpt(a, &msgs[i], &rcpts[i], fwd, fwd_ctxs[i], &reports[i]);
    }
    local_pw_memo(0);
    free(jobs);
    free(which);
    free(done);
    free(status);
    free(ok);
    free(held);
    free(plans);
}
