/*
 * bounce - the notices bounce(8) sends (SPEC-runtime 4): a non-delivery
 * report for the recipients that bounced, a success report for those
 * that asked for one (NOTIFY=SUCCESS), as RFC 3464 multipart/report
 * messages shaped byte for byte as Postfix's, queued as new messages
 * from the null sender to the original sender.
 */
#ifndef PFC_BOUNCE_H
#define PFC_BOUNCE_H

#include "policy.h"
#include "queue_file.h"

enum bounce_kind {
    BOUNCE_FAILURE,		/* "Undelivered Mail Returned to Sender" */
    BOUNCE_SUCCESS,		/* "Successful Mail Delivery Report" */
};

/*
 * bounce_send - the notice of kind about m's recipients for which
 * want[i] is set, queued (fsynced) under queue_dir. Returns 0 with the
 * new queue ID in id, or -1 with *err.
 */
int bounce_send(const struct policy *p, const char *queue_dir, const struct queue_msg *m,
		enum bounce_kind kind, const int *want, char *id, size_t idsize,
		struct strbuf *err);

#endif
