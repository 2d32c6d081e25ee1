/* session - one SMTP session as the restriction engine sees it (see session.h) */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "maps.h"
#include "session.h"
#include "table_unix.h"
#include "trace.h"
#include "xalloc.h"

void session_set(char **field, const char *value)
{
    /* The same value again (a batch's next envelope from the same client): kept. */
    if (*field != NULL && value != NULL && strcmp(*field, value) == 0)
	return;
    free(*field);
    *field = value != NULL ? xstrdup(value) : NULL;
}

void session_init(struct session *s, const struct policy *p)
{
    memset(s, 0, sizeof(*s));
    s->policy = p;
    s->protocol = "SMTP";
    s->where = "CONNECT";
    session_set_client(s, "127.0.0.1", "localhost", NULL, "0");
}

void session_set_client(struct session *s, const char *addr, const char *name,
			const char *reverse_name, const char *port)
{
    if (name == NULL || *name == 0)
	name = "unknown";
    session_set(&s->addr, addr);
    session_set(&s->peer_addr, addr);
    session_set(&s->name, name);
    session_set(&s->reverse_name, reverse_name ? reverse_name : name);
    session_set(&s->port, port ? port : "0");
    free(s->namaddr);
    s->namaddr = xconcat(s->name, "[", s->addr, "]", (char *) NULL);
    s->name_status = strcmp(s->name, "unknown") == 0 ? PEER_CODE_PERM : PEER_CODE_OK;
    s->reverse_name_status = strcmp(s->reverse_name, "unknown") == 0
	? PEER_CODE_PERM : PEER_CODE_OK;
    s->defer_if_permit_client = s->defer_if_permit_helo = s->defer_if_permit_sender = 0;
}

static void free_list(char ***list, size_t *count)
{
    for (size_t i = 0; i < *count; i++)
	free((*list)[i]);
    free(*list);
    *list = NULL;
    *count = 0;
}

void session_reset_transaction(struct session *s)
{
    session_set(&s->sender, NULL);
    session_set(&s->dsn_envid, NULL);
    s->dsn_ret = s->body_type = NULL;
    session_set(&s->recipient, NULL);
    s->rcpt_count = 0;
    s->flags &= ~SESSION_SMTPUTF8;
    s->discard = 0;
    s->saved_flags = 0;
    session_set(&s->saved_filter, NULL);
    session_set(&s->saved_redirect, NULL);
    free_list(&s->saved_bcc, &s->nsaved_bcc);
    free_list(&s->prepend, &s->nprepend);
    s->defer_if_permit_sender = 0;
}

void session_free(struct session *s)
{
    session_reset_transaction(s);
    free(s->name);
    free(s->reverse_name);
    free(s->addr);
    free(s->peer_addr);
    free(s->port);
    free(s->namaddr);
    free(s->helo_name);
    free(s->etrn_name);
    free(s->sasl_username);
    free(s->sasl_method);
    free(s->sasl_sender);
    sb_free(&s->defer_if_reject.reason);
    sb_free(&s->defer_if_permit.reason);
    sb_free(&s->reply);
    sb_free(&s->expand_buf);
    maps_scratch_free(s->scratch);
    s->scratch = NULL;
    if (!s->accounts_lent)
	unix_memo_free(s->accounts);
    s->accounts = NULL;
    s->accounts_lent = 0;
}

void session_lend_accounts(struct session *s, struct unix_memo *memo)
{
    if (!s->accounts_lent)
	unix_memo_free(s->accounts);
    s->accounts = memo;
    s->accounts_lent = 1;
}

/* expand_addr - $sender, $sender_name, $sender_domain (and recipient's) */
static const char *expand_addr(struct session *s, const char *addr, const char *suffix)
{
    const char *at;

    if (addr == NULL)
	return "";
    if (*suffix == 0)
	return *addr ? addr : "<>";
    if (strcmp(suffix, "_name") == 0) {
	if (*addr == 0)
	    return "<>";
	if ((at = strrchr(addr, '@')) == NULL)
	    return addr;
	sb_reset(&s->expand_buf);
	sb_addn(&s->expand_buf, addr, (size_t) (at - addr));
	return sb_str(&s->expand_buf);
    }
    if (strcmp(suffix, "_domain") == 0)
	return *addr && (at = strrchr(addr, '@')) != NULL ? at + 1 : "";
    return NULL;
}

const char *session_expand_lookup(const char *name, int mode, void *ctx)
{
    struct session *s = ctx;
    const char *value = NULL;

    (void) mode;
    /* main.cf is never asked: a reply must not show the configuration. */
    if (strcmp(name, "server_name") == 0)
	value = policy_value(s->policy, "myhostname");
    else if (strcmp(name, "client") == 0)
	value = s->namaddr;
    else if (strcmp(name, "client_port") == 0)
	value = s->port;
    else if (strcmp(name, "client_address") == 0)
	value = s->addr;
    else if (strcmp(name, "client_name") == 0)
	value = s->name;
    else if (strcmp(name, "reverse_client_name") == 0)
	value = s->reverse_name;
    else if (strcmp(name, "helo_name") == 0)
	value = s->helo_name ? s->helo_name : "";
    else if (strncmp(name, "sender", 6) == 0)
	value = expand_addr(s, s->sender, name + 6);
    else if (strncmp(name, "recipient", 9) == 0)
	value = expand_addr(s, s->recipient, name + 9);
    else if (strcmp(name, "localtime") == 0) {
	char buf[64];
	time_t now = time(NULL);
	struct tm tm;
	size_t len = strftime(buf, sizeof(buf), "%b %d %H:%M:%S", localtime_r(&now, &tm));
	sb_reset(&s->expand_buf);
	sb_addn(&s->expand_buf, buf, len);
	value = sb_str(&s->expand_buf);
    }
    if (value == NULL && s->trace != NULL && s->trace->note != NULL) {
	struct strbuf text = STRBUF_INIT;
	sb_printf(&text, "warning: unknown macro name \"%s\" in expansion request", name);
	s->trace->note(s->trace->ctx, sb_str(&text));
	sb_free(&text);
    }
    return value;
}
