/* session - one SMTP session as the restriction engine sees it (see session.h) */
#include <stdlib.h>
#include <string.h>

#include "maps.h"
#include "session.h"
#include "xalloc.h"

void session_set(char **field, const char *value)
{
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
    maps_scratch_free(s->scratch);
    s->scratch = NULL;
}
