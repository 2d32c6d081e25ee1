/*
 * local - Postfix 3.7's local(8) for pfcd: deliver one recipient of a
 * queued message on this host, from the policy image. The recipient goes
 * through the same graph as in local(8): Delivered-To loop detection,
 * alias_maps (recursive, owner- lists, :include:, |command, /file, with
 * allow_mail_to_commands, allow_mail_to_files and the alias database
 * owner's rights, default_privs for root's), the user's .forward
 * (forward_path), then mailbox_command_maps, mailbox_command,
 * home_mailbox (Maildir/ or an mbox file) or the spool mbox in
 * mail_spool_directory, then luser_relay or "unknown user".
 *
 * Every write to a mailbox, file or command happens in a child process
 * that has given up root for good (setgid, setgroups, setuid) before it
 * touches anything: the recipient's uid and gid (the spool directory's
 * group for the spool mbox), or the alias database owner's, or
 * default_privs'. Nothing runs as root past a fork: a delivery that would
 * (root's own mailbox) is deferred with a message that says so. With
 * sysroot_set() (pfcd --root DIR), every absolute path the image, a table,
 * passwd or a .forward file names is taken under DIR, and a file that
 * leads out of DIR (a symbolic link) is refused.
 *
 * What the queue keeps: the message is read through its descriptor, from
 * offset for length bytes: the header and body as delivered, lines ending
 * in LF. What comes back is one result per delivery attempt (an alias
 * can make many), each with local(8)'s DSN status and text, and whether
 * the recipient must stay in the queue (a deferral anywhere). Forwarded
 * mail (aliases with an owner-, :include: lists, .forward to other
 * users, addresses of other transports) is handed back to the queue
 * through local_forward_ops as a new message, as local(8) resubmits it
 * to cleanup.
 *
 * (The name local_deliver is left to the queue side's adapter, which
 * maps its queue file onto these structs: queue_file.h's agreement.)
 */
#ifndef PFC_LOCAL_H
#define PFC_LOCAL_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "dsn.h"
#include "loader.h"
#include "strbuf.h"

/* DSN NOTIFY bits, as Postfix keeps them in the queue (DSN_NOTIFY_*). */
#define LOCAL_NOTIFY_NEVER	(1 << 0)
#define LOCAL_NOTIFY_SUCCESS	(1 << 1)
#define LOCAL_NOTIFY_FAILURE	(1 << 2)
#define LOCAL_NOTIFY_DELAY	(1 << 3)

/* DSN RET, as Postfix's DSN_RET_*. */
#define LOCAL_RET_FULL		1
#define LOCAL_RET_HDRS		2

/* One queued message, as the queue hands it over. */
struct local_message {
    const char *queue_id;
    const char *sender;		/* envelope sender, internal form; "" the null sender */
    int fd;			/* the content: header and body, LF line ends */
    off_t offset;		/* where it starts in fd */
    off_t length;		/* its length in bytes */
    time_t arrival;
    const char *encoding;	/* "7bit", "8bit", or "" when nobody said */
    int smtputf8;		/* SMTPUTF8 was requested */
    const char *dsn_envid;	/* ENVID=, or "" */
    int dsn_ret;		/* LOCAL_RET_*, or 0 */
    /* The client, for the environment of commands; "" when unknown. */
    const char *client_name;
    const char *client_addr;
    const char *client_helo;
    const char *client_proto;
    const char *sasl_method;
    const char *sasl_username;
    const char *sasl_sender;
};

/* One recipient of it. */
struct local_rcpt {
    const char *address;	/* internal form */
    const char *orig_addr;	/* the address as first received, or "" */
    const char *dsn_orcpt;	/* ORCPT= ("rfc822;addr"), or "" */
    int dsn_notify;		/* LOCAL_NOTIFY_*, or 0 (none given) */
};

enum local_action {
    LOCAL_SENT,			/* done: status=sent */
    LOCAL_BOUNCED,		/* failed for good: status=bounced */
    LOCAL_DEFERRED,		/* try again later: status=deferred */
    /*
     * No log line: an alias or .forward was expanded for a recipient
     * with NOTIFY=SUCCESS, which the success report lists as "expanded"
     * (Postfix's trace_append()).
     */
    LOCAL_EXPANDED,
};

/* One delivery attempt, as local(8) reports it to qmgr and the log. */
struct local_result {
    enum local_action action;
    char *address;		/* to=<...>: the recipient at that point */
    char *orig_addr;		/* orig_to=<...> when not "" and not address */
    char *dsn_orcpt;		/* for the DSN's Original-Recipient */
    int dsn_notify;		/* what the recipient asked for, at that point */
    char dsn[DSN_SIZE];		/* "2.0.0", "5.1.1", "4.2.0", ... */
    char *dsn_action;		/* RFC 3464: delivered, relayed, expanded, failed, delayed */
    char *text;			/* "delivered to mailbox", "unknown user: \"x\"", ... */
    /*
     * NULL, or the text of "Diagnostic-Code: x-unix; TEXT" for the DSN:
     * a command's output or its sysexits(3) text, an I/O error's text
     * (else the DSN says "X-Postfix; " and text).
     */
    char *diag_text;
    /*
     * LOCAL_BOUNCED only: when an owner- alias takes the bounce
     * (local(8)'s bounce_workaround()), the address that gets a bounce
     * for this one recipient now, from the null sender; NULL: the
     * message's sender, with the other bounces of the message.
     */
    char *notify_to;
};

struct local_report {
    struct local_result *results;
    size_t count, cap;
    /*
     * 1: the recipient is not done and stays in the queue (something was
     * deferred, or forwarding failed); 0: done, every result is final.
     */
    int retry;
};

void local_report_free(struct local_report *report);

/*
 * local_forward_ops - how the queue takes a forwarded message (local(8)'s
 * forward.c talks to cleanup): open() starts a new message from sender
 * with the attributes of msg (ENVID, RET, client), and gives its queue id
 * (valid until close()); rcpt() adds a recipient; write() appends content
 * bytes (LF line ends: header lines first, then the original content);
 * close() with commit queues the message durably (as cleanup does for a
 * forwarded message: its checks and rewriting, CLEANUP_FLAG_BOUNCE) or
 * with commit 0 throws it away. Each returns 0 (open: non-NULL) or -1
 * (open: NULL) with the reason in why.
 */
struct local_forward_ops {
    void *(*open)(void *ctx, const struct local_message *msg, const char *sender,
		  const char **queue_id, struct strbuf *why);
    int (*rcpt)(void *handle, const struct local_rcpt *rcpt);
    int (*write)(void *handle, const char *data, size_t len);
    int (*close)(void *handle, int commit, struct strbuf *why);
};

struct local_agent;

/*
 * local_agent_open - local delivery as the master.cf service named
 * service ("local", or a variant such as "localmd" with its own -o
 * overrides; NULL: "local") of the verified image img sees it. Its
 * name is the relay= of the log and the transport that counts as "this
 * one" when an alias resolves. Returns NULL with *err (the caller frees
 * it) when Postfix's local(8) would refuse to start: an unknown or
 * privileged default_privs, no usable mailbox_delivery_lock,
 * mailbox_size_limit below message_size_limit.
 */
struct local_agent *local_agent_open(const struct image *img, const char *service, char **err);
void local_agent_close(struct local_agent *agent);

/* local_agent_service - the service name (relay=) */
const char *local_agent_service(const struct local_agent *agent);

/*
 * local_deliver_rcpt - deliver rcpt of msg; the results are appended to report
 * (report->retry set when the recipient must stay queued). fwd (with its
 * ctx) takes forwarded mail; NULL: forwarding is deferred ("unable to
 * forward message"). Must run as root to deliver to other users; as
 * another user it delivers only to that user (and defers the rest).
 */
void local_deliver_rcpt(struct local_agent *agent, const struct local_message *msg,
		   const struct local_rcpt *rcpt, const struct local_forward_ops *fwd,
		   void *fwd_ctx, struct local_report *report);

/*
 * local_deliver_batch - local_deliver_rcpt() for n recipients (of the
 * same or other messages), reports[i] for rcpts[i] of msgs[i] and
 * fwd_ctxs[i] its forwarding context. Recipients whose delivery is one
 * Maildir write are written together, by the user's writer (a child kept
 * from batch to batch: local_writers_close()) with one sync of all the
 * files before any is linked into new/ (each still synced before it
 * counts); every other recipient, and one whose write failed, is
 * delivered on its own, as local_deliver_rcpt() does it. Each name is
 * looked up in the account database once for the whole batch.
 */
void local_deliver_batch(struct local_agent *agent, const struct local_message *msgs,
			 const struct local_rcpt *rcpts, size_t n,
			 const struct local_forward_ops *fwd, void *const *fwd_ctxs,
			 struct local_report *reports);

/*
 * local_writers_close - the writers local_deliver_batch() keeps (a child
 * per user, from batch to batch) are told to go, and reaped
 */
void local_writers_close(void);

/*
 * local_status_name - "sent", "bounced", "deferred" of a result, for
 * the log line (NULL for LOCAL_EXPANDED, which has none)
 */
const char *local_status_name(enum local_action action);

/*
 * local_log_text - the text of local(8)'s log line for a result, after
 * "QUEUEID: ", appended to out (nothing for LOCAL_EXPANDED):
 *   to=<ADDR>, orig_to=<ORIG>, relay=SERVICE, DELAYS, dsn=X.Y.Z, status=STATUS (TEXT)
 * DELAYS is what only the queue knows ("delay=0.06, delays=0.03/0.03/0/0"),
 * left out with its comma when NULL.
 */
void local_log_text(struct strbuf *out, const struct local_agent *agent,
		    const struct local_result *result, const char *delays);

#endif
