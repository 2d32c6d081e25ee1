/*
 * policyq - ask a policy server through runtime/policy/policy_client.c,
 * for tests/policy/policy.sh and policy-postfix.sh (not a test of its own).
 *
 *   policyq [-o name=value]... [-w SECS] SPEC RECIPIENT...
 *
 * SPEC is check_policy_service's argument; -o sets the defaults (the
 * smtpd_policy_service_* parameters, named without that prefix, plus
 * queue_directory and smtputf8=1; Postfix's defaults otherwise, with
 * retry_delay 1s). One request per recipient, over the same client, -w
 * seconds apart; for each it prints "RECIPIENT: answered|default|fatal:
 * ACTION", after the warnings smtpd would log ("warning: ...").
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "policy_client.h"

int main(int argc, char **argv)
{
    struct policy_server_defaults d = {
	.timeout = 100, .max_idle = 300, .max_ttl = 1000, .retry_delay = 1,
	.try_limit = 2, .request_limit = 0,
	.default_action = "451 4.3.5 Server configuration problem",
	.policy_context = "",
    };
    struct policy_server *s;
    char *err, *action, *warning;
    int ch, wait = 0;

    while ((ch = getopt(argc, argv, "o:w:")) != -1) {
	if (ch == 'w') {
	    wait = atoi(optarg);
	    continue;
	}
	if (ch != 'o')
	    return 2;
	char *eq = strchr(optarg, '=');
	if (eq == NULL)
	    return 2;
	*eq++ = 0;
	if (strcmp(optarg, "timeout") == 0) d.timeout = atol(eq);
	else if (strcmp(optarg, "max_idle") == 0) d.max_idle = atol(eq);
	else if (strcmp(optarg, "max_ttl") == 0) d.max_ttl = atol(eq);
	else if (strcmp(optarg, "retry_delay") == 0) d.retry_delay = atol(eq);
	else if (strcmp(optarg, "try_limit") == 0) d.try_limit = atoi(eq);
	else if (strcmp(optarg, "request_limit") == 0) d.request_limit = atoi(eq);
	else if (strcmp(optarg, "default_action") == 0) d.default_action = eq;
	else if (strcmp(optarg, "policy_context") == 0) d.policy_context = eq;
	else if (strcmp(optarg, "queue_directory") == 0) d.queue_directory = eq;
	else if (strcmp(optarg, "smtputf8") == 0) d.smtputf8 = atoi(eq);
	else return 2;
    }
    if (optind >= argc) {
	fprintf(stderr, "usage: policyq [-o name=value]... [-w secs] spec recipient...\n");
	return 2;
    }
    if ((s = policy_server_open(argv[optind], &d, &err)) == NULL) {
	printf("fatal: %s\n", err);
	free(err);
	return 1;
    }
    for (int i = optind + 1; i < argc; i++) {
	/* What smtpd 3.7 sends at RCPT, in its order (SPEC 14). */
	struct policy_attr attrs[] = {
	    {"request", "smtpd_access_policy"}, {"protocol_state", "RCPT"},
	    {"protocol_name", "ESMTP"}, {"client_address", "127.0.0.1"},
	    {"client_name", "localhost"}, {"client_port", "54321"},
	    {"reverse_client_name", "localhost"}, {"server_address", "127.0.0.1"},
	    {"server_port", "25"}, {"helo_name", "client.example"},
	    {"sender", "s@client.example"}, {"recipient", argv[i]},
	    {"recipient_count", "0"}, {"queue_id", ""}, {"instance", "1.2.3"},
	    {"size", "0"}, {"etrn_domain", ""}, {"stress", ""},
	    {"policy_context", policy_server_context(s)},
	};
	if (i > optind + 1 && wait > 0)
	    sleep((unsigned) wait);
	int rc = policy_server_query(s, attrs, sizeof(attrs) / sizeof(attrs[0]), &action,
				     &warning);
	if (warning != NULL) {
	    for (char *line = strtok(warning, "\n"); line; line = strtok(NULL, "\n"))
		printf("warning: %s\n", line);
	    free(warning);
	}
	printf("%s: %s: %s\n", argv[i], rc == POLICY_ANSWERED ? "answered"
	       : rc == POLICY_DEFAULT ? "default" : "fatal", action ? action : "");
	fflush(stdout);
	free(action);
	if (rc == POLICY_FATAL)
	    break;
    }
    policy_server_close(s);
    return 0;
}
