/*
 * policy_client - check_policy_service: Postfix's SMTP access policy
 * delegation protocol (SPEC 14) to a policy server (inet:host:port,
 * unix:/path, unix:private/name under the queue directory), with the
 * per-server options of "{ endpoint, timeout=10s, default_action=DUNNO,
 * try_limit=2, ... }" over the smtpd_policy_service_* parameters;
 * connections are kept and reused up to max_idle, max_ttl and
 * request_limit, as smtpd does (attr_clnt.c, auto_clnt.c).
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
    int smtputf8;		/* smtputf8_enable: a reply must be UTF-8 */
    unsigned families;		/* inet_protocols: 1 ipv4, 2 ipv6, 0 both */
};

/*
 * policy_server_open - the server named by spec (the restriction's
 * argument: "inet:127.0.0.1:9998" or "{ inet:..., timeout=5s }"). NULL
 * with *err (Postfix's start-up wording: smtpd would not start) when the
 * spec is bad. Nothing is connected yet.
 */
struct policy_server *policy_server_open(const char *spec,
					 const struct policy_server_defaults *defaults,
					 char **err);

/* What policy_server_query() returns. */
#define POLICY_ANSWERED	1	/* *action is the server's "action=" value */
#define POLICY_DEFAULT	0	/* it failed try_limit times: *action is default_action */
#define POLICY_FATAL	(-1)	/* smtpd would exit ("fatal: ..." in *warning) */

/*
 * policy_server_query - send one request (attrs, then the empty line)
 * and read the answer, reusing the connection; retry as smtpd does
 * (try_limit tries, retry_delay seconds apart). *action is a new string
 * (NULL for POLICY_FATAL). *warning is NULL, or what smtpd logs while it
 * asks, one warning a line, in order ("connect to 127.0.0.1:9998:
 * Connection refused", "problem talking to server 127.0.0.1:9998:
 * Connection refused", "missing attribute action in input from
 * 127.0.0.1:9998", ...); a new string.
 */
int policy_server_query(struct policy_server *server, const struct policy_attr *attrs,
			size_t nattrs, char **action, char **warning);

/* policy_server_name - the spec as given (smtpd names the "table" so) */
const char *policy_server_name(const struct policy_server *server);

/* policy_server_context - the policy_context attribute to send */
const char *policy_server_context(const struct policy_server *server);

void policy_server_close(struct policy_server *server);

#endif
