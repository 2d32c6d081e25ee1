/*
 * cleanup_msg - what cleanup(8) does to a message smtpd received, before
 * it is queued (SPEC-runtime 2): smtpd's Received header, header_checks
 * and body_checks (content_checks.h), the Message-Id, Date and From that
 * a trusted client left out (local_header_rewrite_clients,
 * always_add_missing_headers; Resent- variants), message_drop_headers,
 * canonical and virtual rewriting of the envelope (rewrite.h), access and
 * content-check HOLD, DISCARD, REDIRECT and BCC; then the queue file
 * (queue_file.h). pfcd's SMTP server feeds it through smtpd_session's
 * message sink.
 */
#ifndef PFC_CLEANUP_MSG_H
#define PFC_CLEANUP_MSG_H

#include <stddef.h>
#include <time.h>

#include "session.h"
#include "strbuf.h"

struct cleanup_config {
    const char *queue_dir;	/* queue_directory, as opened (under --root) */
    const struct policy *cleanup;	/* the cleanup service's view */
    const struct policy *smtpd;	/* the smtpd service's view */
    /* Where cleanup's log lines go ("cleanup", "QUEUEID: message-id=<...>"). */
    void (*log)(const char *program, const char *text);
};

struct cleanup_msg;

/*
 * cleanup_open - a new message from session s: its queue file is created
 * (and so its queue ID known). NULL with *err when the queue is not
 * writable.
 */
struct cleanup_msg *cleanup_open(const struct cleanup_config *cfg, struct session *s,
				 struct strbuf *err);
const char *cleanup_id(const struct cleanup_msg *cm);

/*
 * cleanup_local - the message is a local submission (pfcd's pickup): the
 * Received header is pickup's ("by HOST (Postfix, from userid UID)",
 * dated posted), the missing Message-Id, Date and From are always added,
 * From with the submitter's full name (NULL or "": none), no client
 * attributes are recorded, and a recipient given twice is queued once.
 */
void cleanup_local(struct cleanup_msg *cm, long uid, const char *full_name, time_t posted);

/*
 * cleanup_smtpd_received - smtpd's Received header (SPEC-runtime 2.1)
 * for the session's client, queue ID id, "for <only_rcpt>" when there is
 * one recipient (NULL: several), dated when; appended to out.
 */
void cleanup_smtpd_received(struct strbuf *out, const struct session *s, const char *myhostname,
			    const char *id, const char *only_rcpt, time_t when);

/* cleanup_recipient - an accepted RCPT (as given, without <>), its NOTIFY and ORCPT */
void cleanup_recipient(struct cleanup_msg *cm, const char *addr, int notify, const char *orcpt);

/* cleanup_content - one record of content (SMTPD_REC_NORM or SMTPD_REC_CONT) */
void cleanup_content(struct cleanup_msg *cm, int type, const char *data, size_t len);

/* What cleanup_close() did. */
enum cleanup_result {
    CLEANUP_QUEUED,		/* written; *sync_fd must be fsynced before the 250 */
    CLEANUP_DISCARDED,		/* accepted and dropped: no file */
    CLEANUP_REFUSED,		/* not accepted: the reply is in *why */
    CLEANUP_BOUNCED,		/* a local submission refused by a content check: returned */
};

/*
 * cleanup_close - finish the message: checks, headers, queue file
 * (a local submission that a header or body check rejects is returned
 * to its sender instead, as cleanup's CLEANUP_FLAG_BOUNCE does: one
 * non-delivery report for every recipient, with the headers cleanup had
 * written when the check hit; CLEANUP_BOUNCED once it is queued)
 * (written and made ready, not yet fsynced: the caller syncs many at
 * once). *sync_fd: the file, open, for the caller to fsync and close
 * (by descriptor: the queue manager may rename it meanwhile). Frees cm.
 */
enum cleanup_result cleanup_close(struct cleanup_msg *cm, struct session *s, struct strbuf *why,
				  int *sync_fd);

/*
 * cleanup_message_id - the Message-Id: value cleanup gives a message
 * queued as id at when: <YYYYMMDDHHMMSS.ID@myhostname> (UTC), or
 * <ID@myhostname> with long queue ids.
 */
void cleanup_message_id(struct strbuf *out, const char *id, time_t when, const char *myhostname,
			int long_ids);

/* cleanup_abort - the transaction went away: the file is removed. Frees cm. */
void cleanup_abort(struct cleanup_msg *cm);

#endif
