/*
 * policy_client - check_policy_service: Postfix's SMTP access policy
 * delegation protocol (SPEC 14) to a policy server (inet:host:port,
 * unix:/path, unix:private/name under the queue directory), with the
 * per-server options of "{ endpoint, timeout=10s, default_action=DUNNO,
 * try_limit=2, ... }" over the smtpd_policy_service_* parameters;
 * connections are kept and reused up to max_idle, max_ttl and
 * request_limit, as smtpd does.
 */
#ifndef PFC_POLICY_CLIENT_H
#define PFC_POLICY_CLIENT_H

#include <stddef.h>

/* One server, as a check_policy_service argument names it. */
struct policy_server;

/* The request's attributes, in order: name=value lines. */
struct policy_attr {
    const char *name;
    const char *value;
};

/*
 * The defaults of a policy server's options (the smtpd_policy_service_*
 * parameters): times in seconds.
 */
struct policy_server_defaults {
    long timeout, max_idle, max_ttl, retry_delay;
    int try_limit, request_limit;
    const char *default_action;
    const char *policy_context;
    const char *queue_directory;	/* unix:private/NAME is under it */
};

/*
 * policy_server_open - the server named by spec (the restriction's
 * argument: "inet:127.0.0.1:9998" or "{ inet:..., timeout=5s }"). NULL
 * with *err (Postfix's start-up wording) when the spec is bad.
 */
struct policy_server *policy_server_open(const char *spec,
					 const struct policy_server_defaults *defaults,
					 char **err);

/*
 * policy_server_query - send one request and read the answer. Returns the
 * action (a new string: the server's "action=" value, or the default
 * action after try_limit failures, with *warning set to what smtpd logs,
 * e.g. "problem talking to server 127.0.0.1:9998: Connection refused").
 */
char *policy_server_query(struct policy_server *server, const struct policy_attr *attrs,
			  size_t nattrs, char **warning);

void policy_server_close(struct policy_server *server);

#endif
