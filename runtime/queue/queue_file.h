/*
 * queue_file - one queued message on disk, and the API that writes and
 * reads it (pfc-queue(5) describes the bytes). pfcd's cleanup writes a
 * queue file, the queue manager reads it and hands each recipient to a
 * delivery agent, and the agents report back through queue_msg_mark().
 *
 * A queue file is a sequence of records, each
 *
 *	TYPE LENGTH ':' DATA '\n'
 *
 * TYPE one letter, LENGTH the decimal byte count of DATA (which may hold
 * any byte, newlines included), so a reader never scans DATA. The
 * envelope comes first, then the message content as one record, then
 * QREC_END. The file is written under incoming/ with mode 0600 and made
 * 0700 once complete and on stable storage (fsync of the file and of
 * its directory): only a 0700 file is a message, as in Postfix.
 * Everything after QREC_END is appended later: one QREC_UPDATE per
 * delivery attempt of one recipient. Appending is the only change ever
 * made to a complete file, so a crash can leave at most a torn last
 * update, which readers ignore (the attempt is then made again: at
 * least once, never lost).
 */
#ifndef PFC_QUEUE_FILE_H
#define PFC_QUEUE_FILE_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "strbuf.h"

/* Record types. */
#define QREC_VERSION	'V'	/* first record: QUEUE_FILE_MAGIC */
#define QREC_ID		'I'	/* the queue ID */
#define QREC_TIME	'T'	/* arrival: "SECONDS.MICROSECONDS" */
#define QREC_SENDER	'S'	/* envelope sender; empty: the null sender */
#define QREC_ATTR	'A'	/* "name=value": a named attribute (QATTR_*) */
#define QREC_RCPT	'R'	/* a recipient; the O, D, N records after it belong to it */
#define QREC_ORIG	'O'	/* ...its original recipient, as first received */
#define QREC_ORCPT	'D'	/* ...its DSN ORCPT ("rfc822;addr"), as the client gave it */
#define QREC_NOTIFY	'N'	/* ...its DSN NOTIFY mask, decimal (QNOTIFY_*) */
#define QREC_CONTENT	'M'	/* headers and body, lines ended by LF */
#define QREC_END	'E'	/* end of the envelope: the file is complete */
#define QREC_UPDATE	'U'	/* "INDEX STATUS DSN REASON": one delivery attempt */
#define QREC_REPORT	'X'	/* "INDEX ACTION RELAY DIAGTYPE DIAGTEXT": the DSN of that attempt */
#define QREC_NOTICE	'B'	/* "KIND INDEX...": a notice was queued for those recipients */
#define QREC_EXPANDED	'Y'	/* an address recipient INDEX expanded to that bounced (queue_expanded) */

#define QUEUE_FILE_MAGIC "pfcq 1"

/* The queues: directories under queue_directory. */
#define QUEUE_INCOMING	"incoming"	/* new messages, not yet looked at */
#define QUEUE_ACTIVE	"active"	/* being delivered */
#define QUEUE_DEFERRED	"deferred"	/* waiting for a retry; mtime = next retry */
#define QUEUE_HOLD	"hold"		/* held (HOLD action, pfc queue -h) */
#define QUEUE_CORRUPT	"corrupt"	/* unreadable files, kept for a human */

/* DSN NOTIFY, as smtpd_session passes it; 0: not given (FAILURE|DELAY). */
#define QNOTIFY_SUCCESS	1
#define QNOTIFY_FAILURE	2
#define QNOTIFY_DELAY	4
#define QNOTIFY_NEVER	8

/* Named attributes (QREC_ATTR): names as Postfix's queue file uses them. */
#define QATTR_CLIENT_NAME	"client_name"
#define QATTR_REVERSE_NAME	"reverse_client_name"
#define QATTR_CLIENT_ADDR	"client_address"
#define QATTR_CLIENT_PORT	"client_port"
#define QATTR_HELO_NAME		"helo_name"
#define QATTR_PROTOCOL		"protocol_name"	/* SMTP, ESMTP, UTF8SMTP, ... */
#define QATTR_ENVID		"envid"		/* MAIL ... ENVID= */
#define QATTR_RET		"ret"		/* MAIL ... RET=: "FULL" or "HDRS" */
#define QATTR_ENCODING		"encoding"	/* MAIL ... BODY=: "7BIT", "8BITMIME" */
#define QATTR_SMTPUTF8		"smtputf8"	/* "1": MAIL ... SMTPUTF8 */
#define QATTR_ORIGIN		"log_message_origin"	/* "name[addr]", or "local" */

/* The notices (QREC_NOTICE's KIND letter, and queue_rcpt.notified's bits). */
#define QNOTICE_FAILURE	1	/* 'f': a non-delivery report (or its postmaster copy) */
#define QNOTICE_SUCCESS	2	/* 's': a success report */
#define QNOTICE_DELAY	4	/* 'd': the message's one delay warning (no INDEX) */
#define QNOTICE_EXPANDED 8	/* 'e': a non-delivery report, for those queue_expanded entries */

/* What became of a recipient (QREC_UPDATE's STATUS letter). */
enum qrcpt_status {
    QRCPT_TODO = 0,		/* no attempt yet */
    QRCPT_DEFERRED = 'd',	/* temporary failure: try again later */
    QRCPT_SENT = 's',		/* delivered (or forwarded, or discarded): done */
    QRCPT_BOUNCED = 'b',	/* permanent failure: done, the sender gets a bounce */
};

struct queue_rcpt {
    const char *address;	/* where to deliver (after cleanup's rewriting) */
    const char *orig;		/* the original recipient; "" when not known */
    const char *orcpt;		/* DSN ORCPT as given; "" when none */
    int notify;			/* QNOTIFY_* mask; 0: not given */
    /* The last QREC_UPDATE for it. */
    enum qrcpt_status status;
    const char *dsn;		/* "4.2.0", "" before the first attempt */
    const char *reason;		/* "delivered to mailbox", "" before the first attempt */
    /* The QREC_REPORT of that attempt ("" when none). */
    const char *action;		/* RFC 3464 Action: "delivered", "expanded", "relayed" */
    const char *relay;		/* the agent's relay= ("local"): success reports say "delivery via" it */
    const char *diag_type;	/* Diagnostic-Code type ("x-unix"), "": X-Postfix */
    const char *diag_text;
    int notified;		/* QNOTICE_* already queued for it */
};

struct queue_attr {
    const char *name;
    const char *value;
};

/*
 * An address that recipient rcpt expanded to (an alias, a .forward) that
 * bounced, or that was delivered or expanded and asked for a success
 * report (NOTIFY=SUCCESS): kept until the message's one non-delivery
 * report, or its one success report, lists it with the message's other
 * recipients, as bounce(8) keeps local(8)'s bounce_append() entries in
 * the message's bounce log, and its trace_append() entries in its trace
 * log, until qmgr flushes them. QREC_EXPANDED's data is its fields in
 * this order, each ended by a NUL: INDEX, NOTIFY (decimal), ADDRESS,
 * ORIG, ORCPT, STATUS, REASON, DIAGTYPE, DIAGTEXT, ACTION (absent in
 * older files: "failed").
 */
struct queue_expanded {
    size_t rcpt;
    int notify;			/* QNOTIFY_* mask; 0: not given */
    const char *address, *orig, *orcpt, *status, *reason, *diag_type, *diag_text;
    const char *action;		/* "failed": a bounce; "delivered", "expanded": a success */
    int notified;		/* QNOTICE_EXPANDED: its report was queued */
};

/* queue_expanded_put - one QREC_EXPANDED record for e, appended to out */
void queue_expanded_put(struct strbuf *out, const struct queue_expanded *e);

/*
 * A message as read from its queue file: every pointer points into the
 * file's read-only mapping and lives until queue_msg_close().
 */
struct queue_msg {
    char id[32];
    char *path;			/* as opened */
    int fd;			/* open read-write, for queue_msg_mark() */
    const char *map;		/* the file: read into memory, or mapped when large */
    size_t map_len;
    int map_copied;		/* map is a malloc()ed copy, not a mapping */
    time_t arrival;		/* seconds */
    long arrival_usec;
    const char *sender;		/* "" for the null sender */
    struct queue_attr *attrs;
    size_t nattrs;
    struct queue_rcpt *rcpts;
    size_t nrcpts;
    const char *content;	/* headers, empty line, body; every line ends in LF */
    size_t content_len;
    long size;			/* Postfix's message size: content with CRLF line ends */
    int warned;			/* the delay warning was queued (QNOTICE_DELAY) */
    struct queue_expanded *expanded;	/* bounced addresses of expansions, in file order */
    size_t nexpanded;
    struct queue_msg_own *own;	/* strings copied out of records */
};

/*
 * queue_msg_open - read the queue file at path. Returns 0, or -1 with
 * the reason in *err ("not a queue file", "truncated", ...): a file that
 * is not complete (no QREC_END) is not a message. A file whose mode is
 * not 0700 when opened is one still being written (or left by a crash
 * while it was): -2, with the reason in *err.
 */
int queue_msg_open(struct queue_msg *m, const char *path, struct strbuf *err);

/*
 * queue_msg_read - the same, read-only (pfc queue list): the message
 * cannot be marked, and the file needs only to be readable.
 */
int queue_msg_read(struct queue_msg *m, const char *path, struct strbuf *err);

/* queue_msg_attr - the value of a named attribute, or NULL */
const char *queue_msg_attr(const struct queue_msg *m, const char *name);

/*
 * queue_msg_mark - record an attempt for recipient index: append one
 * QREC_UPDATE (not synced: see queue_msg_sync()). Updates
 * m->rcpts[index]. Returns 0, or -1 with errno.
 */
int queue_msg_mark(struct queue_msg *m, size_t index, enum qrcpt_status status,
		   const char *dsn, const char *reason);

/*
 * queue_msg_report - queue_msg_mark() with what the notices need of the
 * attempt (st's action, relay and diagnostic), in one append.
 */
struct delivery_status;
int queue_msg_report(struct queue_msg *m, size_t index, const struct delivery_status *st);

/*
 * queue_msg_noticed - record that a notice of kind (QNOTICE_*) was
 * queued for the recipients whose index is in idx (none for the delay
 * warning; QNOTICE_EXPANDED: indexes of m->expanded), so that it is not
 * sent again. Returns 0, or -1 with errno.
 */
int queue_msg_noticed(struct queue_msg *m, int kind, const size_t *idx, size_t n);

/*
 * queue_msg_sync - the marks so far on stable storage (fdatasync), so
 * that what was delivered is not delivered again after a crash. The
 * queue manager calls it once per attempt, when the file stays in the
 * queue; a file removed at once needs none (a crash before the removal
 * delivers it again: at least once). Returns 0, or -1 with errno.
 */
int queue_msg_sync(struct queue_msg *m);

/* queue_msg_done - has every recipient a final status (sent or bounced)? */
int queue_msg_done(const struct queue_msg *m);

void queue_msg_close(struct queue_msg *m);

/*
 * Writing a new message. queue_writer_open() creates the file in
 * queue_dir/incoming (mode 0600) and names it by its queue ID (Postfix's
 * short form, microseconds and inode in hex, or the long form when
 * long_ids); the caller then adds the envelope and the content in any
 * order of calls (the writer keeps records in the order pfc-queue(5)
 * gives), and queue_writer_finish() writes them, makes the file 0700 and,
 * unless the caller syncs it itself (queue_writer_fd(), group commit),
 * fsyncs the file and its directory.
 */
struct queue_writer;

struct queue_writer *queue_writer_open(const char *queue_dir, int long_ids, struct strbuf *err);
const char *queue_writer_id(const struct queue_writer *w);
void queue_writer_time(struct queue_writer *w, time_t sec, long usec);
void queue_writer_sender(struct queue_writer *w, const char *sender);
void queue_writer_attr(struct queue_writer *w, const char *name, const char *value);
void queue_writer_rcpt(struct queue_writer *w, const char *address, const char *orig,
		       const char *orcpt, int notify);
/* queue_writer_content - append bytes of the content (LF line ends) */
void queue_writer_content(struct queue_writer *w, const char *data, size_t len);

#define QW_SYNC		1	/* fsync the file and its directory before returning */
/*
 * queue_writer_finish - write and close. Returns 0 with the final path
 * in *path (the caller frees it) when path is not NULL, or -1 with *err
 * (the file is removed). Without QW_SYNC the caller must fsync the file
 * (queue_writer_fd() before finish, or open the path) and its directory
 * before it tells anyone the message is queued.
 */
int queue_writer_finish(struct queue_writer *w, int flags, char **path, struct strbuf *err);
int queue_writer_fd(const struct queue_writer *w);
void queue_writer_abort(struct queue_writer *w);

/*
 * The record syntax, for the other files written in it (maildrop.h):
 * queue_rec_put() appends one record to out; queue_rec_get() reads the
 * record at *pos of map[0..size) (its type, data and length) and moves
 * *pos past it: 0, or -1 when no whole record is there (end of file, a
 * torn append, damage). It never reads outside map[0..size).
 */
void queue_rec_put(struct strbuf *out, int type, const char *data, size_t len);
int queue_rec_get(const char *map, size_t size, size_t *pos, int *type,
		  const char **data, size_t *len);

/* queue_sync_dir - fsync a directory (its new names survive a crash); 0 or -1 */
int queue_sync_dir(const char *dir);

/*
 * What a delivery agent reports for one recipient: the outcome, the
 * enhanced status code, and the text of Postfix's log line and bounce
 * ("delivered to mailbox", "unknown user: \"x\"", "forwarded as ID").
 * relay is the log's relay= ("local", "none", a transport name).
 */
struct delivery_status {
    enum qrcpt_status status;	/* QRCPT_SENT, QRCPT_DEFERRED or QRCPT_BOUNCED */
    char dsn[16];		/* "2.0.0", "4.2.0", "5.1.1" */
    struct strbuf reason;
    char relay[64];
    int logged;			/* the agent logged its own lines (local: one per result) */
    /* For the notices; "": the defaults (failed or delivered; X-Postfix). */
    char action[16];		/* RFC 3464 Action: "expanded", "relayed" */
    char diag_type[16];		/* "x-unix" for a command's output */
    char diag_text[1024];
    int noticed;		/* the agent sent this attempt's notices itself (an alias) */
    struct strbuf expanded;	/* QREC_EXPANDED records, appended with the update */
};

/*
 * The queue manager hands each recipient whose transport is a local(8)
 * service to qmgr_local_deliver() (qmgr_local.h), which maps the queue
 * file onto runtime/local/'s local_deliver_rcpt() and records the
 * outcome in a delivery_status. Aliases and .forward that make new
 * messages submit them with queue_writer_*() (QW_SYNC) and report
 * "forwarded as ID".
 */

#endif
