/*
 * local_int - what the files of runtime/local share: the agent's settings
 * (read once from the image), the state of one delivery (local(8)'s
 * LOCAL_STATE, DELIVER_ATTR and USER_ATTR, passed by value down the
 * delivery graph so that no callee has to undo a change), the delivery
 * kinds behind one ops struct, and the child processes they run in.
 */
#ifndef PFC_LOCAL_INT_H
#define PFC_LOCAL_INT_H

#include <sys/types.h>
#include <time.h>

#include "image_host.h"
#include "local.h"
#include "policy.h"
#include "session.h"
#include "strbuf.h"
#include "strmap.h"
#include "textutil.h"

/* Expansion types (local(8)'s EXPAND_TYPE_*), the allow_mail_to_* bits. */
#define EXP_TYPE_ALIAS		(1u << 0)
#define EXP_TYPE_FWD		(1u << 1)
#define EXP_TYPE_INCL		(1u << 2)

/* prepend_delivered_header bits. */
#define DELIVER_HDR_CMD		(1u << 0)
#define DELIVER_HDR_FILE	(1u << 1)
#define DELIVER_HDR_FWD		(1u << 2)

/* propagate_unmatched_extensions bits that local(8) reads. */
#define EXT_PROP_ALIAS		(1u << 0)
#define EXT_PROP_FORWARD	(1u << 1)
#define EXT_PROP_INCLUDE	(1u << 2)

/* mailbox_delivery_lock bits. */
#define MBOX_FLOCK_LOCK		(1u << 0)
#define MBOX_FCNTL_LOCK		(1u << 1)
#define MBOX_DOT_LOCK		(1u << 2)
#define MBOX_DOT_LOCK_MAY_FAIL	(1u << 3)	/* /file: a dotlock it cannot make is no error */

/* What local_copy() puts around the content (Postfix's MAIL_COPY_*). */
#define COPY_QUOTE		(1u << 0)	/* ">" before "From " at a line start */
#define COPY_TOFILE		(1u << 1)	/* fsync; truncate back on failure */
#define COPY_FROM		(1u << 2)	/* the "From " line */
#define COPY_DELIVERED		(1u << 3)	/* Delivered-To: */
#define COPY_RETURN_PATH	(1u << 4)	/* Return-Path: */
#define COPY_BLANK		(1u << 6)	/* an empty line at the end */
#define COPY_ORIG_RCPT		(1u << 7)	/* X-Original-To: */
#define COPY_NOSYNC		(1u << 8)	/* with COPY_TOFILE: the caller syncs (a batch) */
#define COPY_MBOX		(COPY_FROM | COPY_QUOTE | COPY_TOFILE | COPY_DELIVERED \
				 | COPY_RETURN_PATH | COPY_BLANK | COPY_ORIG_RCPT)

/*
 * A delivery's outcome: a status code and the reason; dtext, when not
 * empty, the text of a "Diagnostic-Code: x-unix; TEXT" (Postfix's
 * dsb_unix(): command output, sysexits texts) that a bounce shows
 * instead of "X-Postfix; REASON".
 */
struct local_why {
    char dsn[DSN_SIZE];
    struct strbuf reason;
    struct strbuf dtext;
};

void why_set(struct local_why *why, const char *dsn, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* why_unix - why_set() with an x-unix diagnostic text */
void why_unix(struct local_why *why, const char *dsn, const char *dtext, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void why_free(struct local_why *why);
/* why_prepend - put text before the reason */
void why_prepend(struct local_why *why, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* The agent: the service's parameters, read once. */
struct local_agent {
    const struct image *img;
    struct policy policy;
    struct session session;	/* for the engine's lookups and resolving */
    struct image_host host;
    char *service;
    char *myhostname;
    char *myorigin;
    char *mail_name;
    char *hostname;		/* the kernel's: Maildir file names */
    char *queue_dir;		/* as the process opens it (under --root) */
    char *config_dir;
    unsigned cmd_mask, file_mask;	/* EXP_TYPE_* allowed */
    unsigned hdr_mask;		/* DELIVER_HDR_* */
    unsigned ext_prop_mask;	/* EXT_PROP_* */
    unsigned lock_mask;		/* MBOX_* */
    uid_t default_uid;
    gid_t default_gid;
    int flock_tries, flock_delay, flock_stale;
    long mailbox_limit;		/* 0: none */
    int command_maxtime;
    int dup_limit;
    int line_limit;
    int frozen_delivered, reset_owner, exp_own_alias, ownreq_special;
    int strict_owner, enable_orcpt, stat_home_dir, biff, utf8;
    const char *rcpt_delim;
    const char *home_mailbox;
    const char *spool_dir;
    const char *mailbox_command;	/* raw: the shell expands it */
    const char *forward_path;		/* raw: $home etc. at delivery */
    const char *luser_relay;		/* raw */
    const char *exec_directory;		/* raw */
    const char *cmd_exp_filter, *fwd_exp_filter, *exec_exp_filter;
    const char *local_cmd_shell;
    const char *mailbox_transport, *fallback_transport;
    const uint32_t *alias_maps;
    uint32_t nalias_maps;
    char **export_env;		/* "NAME=value" the commands get, NULL-ended */
    struct local_plan *plan;	/* local_deliver_batch()'s first pass: leaves noted, not run */
};

/* USER_ATTR: whose rights a file or command delivery uses. uid 0: nobody's yet. */
struct usr {
    uid_t uid;
    gid_t gid;
    const char *home;		/* as passwd says (without --root), or NULL */
    const char *logname;
    const char *shell;
};

/* DELIVER_ATTR plus the nesting level: copied at each call. */
struct attr {
    int level;
    const char *sender;
    struct local_rcpt rcpt;
    const char *domain;		/* of the recipient */
    const char *local;		/* the whole local part, folded */
    const char *user;		/* the local part without its extension */
    const char *extension;
    const char *unmatched;	/* an extension not matched yet */
    const char *owner;		/* list owner / forwarder, or NULL */
    const char *delivered;	/* the Delivered-To: address */
    unsigned exp_type;		/* EXP_TYPE_* */
    const char *exp_from;
};

/* A recipient bundled for forwarding, and its (delivered, sender) group. */
struct fwd_group {
    char *delivered;
    char *sender;
    void *handle;		/* the queue's, until sent or dropped */
    char *queue_id;		/* a copy: the handle's dies at close() */
    time_t posting_time;
    int failed;			/* a recipient could not be added */
    struct fwd_group *next;
};

/* One top-level recipient's delivery. */
struct run {
    struct local_agent *a;
    const struct local_message *msg;
    struct local_report *report;
    const struct local_forward_ops *fwd;
    void *fwd_ctx;
    struct strmap dup;		/* been_here() */
    struct strmap loop;		/* Delivered-To: addresses of the message, folded */
    struct fwd_group *groups;
    char **pool;		/* strings that live until the end */
    size_t npool, cappool;
};

/* keep - s (a new string) lives until the end of the run */
const char *keep(struct run *run, char *s);
/* been_here - 1 when key was seen in this run; else remember it */
int been_here(struct run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int been_here_check(struct run *run, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What the delivery graph reports (local(8)'s sent, bounce_append, defer_append). */
int r_sent(struct run *run, const struct attr *at, const char *dsn_action,
	   const char *fmt, ...) __attribute__((format(printf, 4, 5)));
int r_bounce(struct run *run, const struct attr *at, const struct local_why *why);
int r_defer(struct run *run, const struct attr *at, const struct local_why *why);
/* r_expanded - a success-report entry for an expanded alias (owner: a list) */
void r_expanded(struct run *run, const struct attr *at, int owner);
/* r_simple - why_set, then bounce or defer by the code's class */
int r_simple(struct run *run, const struct attr *at, const char *dsn, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* bounce_workaround - r_bounce/r_defer, or a bounce to the owner- alias now */
int bounce_workaround(struct run *run, struct attr at, const struct local_why *why);

struct local_pw;

/* usr_from_pw - usr with pw's rights and names (pw's strings kept for the run) */
void usr_from_pw(struct run *run, struct local_pw *pw, struct usr *usr);
/*
 * lookup_user - name's passwd entry as *usr: 1 found, 0 no such user,
 * -1 the lookup failed (warned, and the recipient deferred: *statusp).
 */
int lookup_user(struct run *run, const struct attr *at, const char *name, struct usr *usr,
		int *statusp);

/* The delivery graph (local_recipient.c, local_alias.c). */
int deliver_recipient(struct run *run, struct attr at, struct usr usr);
int deliver_alias(struct run *run, struct attr at, struct usr usr, const char *name, int *status);
int deliver_dotforward(struct run *run, struct attr at, struct usr usr, int *status);
int deliver_include(struct run *run, struct attr at, struct usr usr, const char *path);
int deliver_token_string(struct run *run, struct attr at, struct usr usr, const char *string,
			 int *count);
/* deliver_resolve_addr - resolve an address (external form, as written) and deliver */
int deliver_resolve_addr(struct run *run, struct attr at, struct usr usr, const char *addr);
int deliver_indirect(struct run *run, struct attr at);
/* forward_finish - send (or with cancel, drop) what was forwarded; the status */
int forward_finish(struct run *run, struct attr at, int cancel);
int deliver_mailbox(struct run *run, struct attr at, struct usr usr, int *status);
int deliver_mailbox_file(struct run *run, struct attr at, struct usr usr);
/* deliver_resolve_token - an internal-form address of an alias or file: resolve, deliver */
int deliver_resolve_token(struct run *run, struct attr at, struct usr usr, const char *addr);
int deliver_unknown(struct run *run, struct attr at, struct usr usr);
int deliver_file(struct run *run, struct attr at, struct usr usr, const char *path);
int deliver_maildir(struct run *run, struct attr at, struct usr usr, const char *path);
int deliver_command(struct run *run, struct attr at, struct usr usr, const char *command);

/* local_expand - local(8)'s $name expansion (user, home, extension ...); EXPAND_* status */
#define LOCAL_EXP_EXTENSION_MATCHED (1 << 8)
int local_expand(struct strbuf *out, const char *pattern, const struct attr *at,
		 const struct usr *usr, const struct local_agent *a, const char *filter);

/* ---------------------------------------------------------------------
 * Delivery kinds: each writes in a child that runs as job->uid/gid.
 */

/* What a kind needs. */
struct local_job {
    const struct local_agent *a;
    const struct local_message *msg;
    const char *path;		/* as opened (under --root); a command: as given */
    const char *shown;		/* as named, for messages */
    const char *user;		/* the recipient's name, for messages */
    unsigned copy_flags;	/* COPY_* */
    unsigned lock_mask;		/* MBOX_* */
    const char *sender;
    const char *orig_rcpt;
    const char *delivered;
    uid_t uid;			/* the process's rights */
    gid_t gid;
    uid_t owner_uid;		/* the mailbox must be owned by this uid */
    int strict_owner;		/* ... or else it is deferred */
    int mailbox;		/* the user's own mailbox (spool or home_mailbox) */
    char *const *env;		/* a command's environment, NAME=value */
    const char *cwd;		/* a command's directory, or NULL */
    off_t end;			/* out: the mailbox size before the message (biff) */
};

/* Kind results. */
#define KIND_OK		0
#define KIND_FAIL	(-1)	/* why says how */
#define KIND_CORRUPT	(-2)	/* the message could not be read: defer quietly */

struct local_kind {
    const char *name;
    /* deliver - do it (in the child, as job->uid/gid) */
    int (*deliver)(struct local_job *job, struct local_why *why);
};

extern const struct local_kind local_kind_mbox;		/* mbox file: spool, home, /file */
extern const struct local_kind local_kind_maildir;	/* Maildir/ */
extern const struct local_kind local_kind_command;	/* |command, mailbox_command */

/*
 * local_run_kind - run kind for job in a child process with job->uid and
 * job->gid (never root): the kind's result, with why set on failure.
 */
int local_run_kind(const struct local_kind *kind, struct local_job *job, struct local_why *why);

/*
 * What a recipient's delivery comes to in local_deliver_batch()'s first
 * pass, where local_run_kind() notes the leaf instead of running it: a
 * recipient whose delivery is one Maildir write is written with the
 * batch's others; anything else spoils the plan, and the recipient is
 * delivered on its own.
 */
struct local_plan {
    int spoiled;
    size_t nleaves;
    struct local_job job;	/* the Maildir write; its strings are the plan's */
};

/*
 * local_maildir_batch - in a child with the jobs' rights (all the same):
 * each job's Maildir write, every file synced at once before any is
 * linked into new/; status[i] is KIND_OK or KIND_FAIL (the caller then
 * delivers that one on its own, for its reason).
 */
void local_maildir_batch(struct local_job *jobs, size_t n, int *status);

/*
 * local_batch_write - local_maildir_batch() of jobs[0..n) (all of uid
 * and gid, never root) in a writer, a child kept for that user from
 * batch to batch: 0 with status[] set, or -1 (every status KIND_FAIL:
 * the caller delivers each on its own) when no writer could do it.
 */
int local_batch_write(const struct local_agent *a, uid_t uid, gid_t gid,
		      const struct local_job *jobs, size_t n, int *status);

/*
 * local_run_as - call fn(ctx, why, out) in a child with uid and gid;
 * what it writes to out comes back in payload (up to limit bytes).
 * Returns fn's result (KIND_*), or KIND_FAIL with why when the child
 * could not run or died.
 */
int local_run_as(const struct local_agent *a, uid_t uid, gid_t gid,
		 int (*fn)(void *ctx, struct local_why *why, int out), void *ctx,
		 struct local_why *why, struct strbuf *payload, size_t limit);

/*
 * local_stat_as - stat() of path (as named) with uid's rights (a child;
 * root's: here): 0, or -1 with errno.
 */
int local_stat_as(const struct local_agent *a, uid_t uid, gid_t gid, const char *path);

/* What local_read_as() found. */
struct local_file {
    int index;			/* the path that exists (-1: none) */
    int err;			/* errno: of the last (l)stat when none, else of open/read */
    int opened;			/* the file was read: content holds it */
    int outside;		/* it leads out of --root: not opened */
    mode_t mode;		/* of the one found */
    uid_t uid;
    struct strbuf content;
};

#define READ_LSTAT	(1u << 0)	/* a symbolic link is found as such (.forward) */
#define READ_OWNER	(1u << 1)	/* open only when owned by root or uid (.forward) */

/*
 * local_read_as - with uid's rights (a child; root's: here), find the
 * first of paths (as named) that exists and, when it is a regular file
 * that nobody else may write (and with READ_OWNER, owned by root or
 * uid), read it. Returns 0, or -1 with why when the child failed.
 */
int local_read_as(const struct local_agent *a, uid_t uid, gid_t gid, const char *const *paths,
		  size_t npaths, unsigned flags, struct local_file *file, struct local_why *why);

/* ---------------------------------------------------------------------
 * The message copy (local_copy.c): mail_copy().
 */

/* A sink for bytes: 0, or -1 with errno set. */
typedef int (*local_sink_fn)(void *ctx, const char *data, size_t len);

/*
 * local_copy - the prepended lines flags ask for, then the content of
 * msg, to sink. Returns 0, KIND_CORRUPT when the content cannot be read
 * (why: "error reading message"), or KIND_FAIL after a sink error (why:
 * "error writing message: ...").
 */
int local_copy(const struct local_message *msg, local_sink_fn sink, void *ctx, unsigned flags,
	       const char *sender, const char *orig_rcpt, const char *delivered,
	       int enable_orcpt, struct local_why *why);

/*
 * local_copy_fd - local_copy() to fd; with COPY_TOFILE the file is
 * fsynced and, on failure, cut back to its size before. deadline: with a
 * time limit (a command's pipe), 0 without.
 */
int local_copy_fd(const struct local_message *msg, int fd, unsigned flags, const char *sender,
		  const char *orig_rcpt, const char *delivered, int enable_orcpt,
		  time_t deadline, int *timed_out, struct local_why *why);

/* mbox_dsn - the status for an errno of a mailbox write (Postfix's mbox_dsn()) */
const char *mbox_dsn(int err, const char *def_dsn);

/* ---------------------------------------------------------------------
 * The message's headers (local_copy.c).
 */

/*
 * local_scan_delivered - the Delivered-To: addresses in the headers of
 * msg, folded, into set (local(8)'s delivered_hdr_init()); at most 1000.
 */
void local_scan_delivered(const struct local_message *msg, struct strmap *set, int utf8);

/* ---------------------------------------------------------------------
 * Paths and users.
 */

/* local_real_path - path as the process opens it: under --root (a new string) */
char *local_real_path(const char *path);

/*
 * local_outside - with --root: where path (as opened) leads when its
 * deepest existing part resolves outside the root, every symbolic link
 * followed (a new string); NULL when it stays inside. Asked before a
 * file or directory is created, so that nothing is made outside.
 */
char *local_outside(const char *path);

/* A passwd entry, copied (getpwnam()'s is overwritten by the next call). */
struct local_pw {
    uid_t uid;
    gid_t gid;
    char *name;
    char *dir;
    char *shell;
};

/*
 * local_getpwnam, local_getpwuid - the passwd entry into pw: 1 found, 0
 * none, -1 a lookup error (errno). local_pw_free() frees a found one.
 */
int local_getpwnam(const char *name, struct local_pw *pw);
int local_getpwuid(uid_t uid, struct local_pw *pw);
void local_pw_free(struct local_pw *pw);

/*
 * local_pw_memo - on: local_getpwnam() answers each name from its first
 * answer until it is turned off (a batch: local_deliver_batch()); off:
 * forgets them all
 */
void local_pw_memo(int on);

#endif
