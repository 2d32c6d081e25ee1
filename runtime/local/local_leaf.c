/*
 * local_leaf - the leaves of local(8)'s delivery graph: the user's
 * mailbox, a /file, a Maildir and a |command. Each decides whose rights
 * the write uses (the recipient's; the spool directory's group for the
 * spool mbox; default_privs instead of root for files and commands),
 * what the message gets prepended (prepend_delivered_header), runs the
 * delivery kind in a child with those rights, and reports the outcome
 * with local(8)'s words.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag.h"
#include "expand.h"
#include "local_int.h"
#include "xalloc.h"

/*
 * job_init - a job for this delivery: the message, the envelope, the
 * agent; the destination (path as opened, shown as the user wrote it)
 * and whose rights it runs with
 */
static void job_init(struct local_job *job, struct run *run, const struct attr *at,
		     const char *path, const char *shown, struct usr usr)
{
    memset(job, 0, sizeof(*job));
    job->a = run->a;
    job->msg = run->msg;
    job->sender = at->sender;
    job->orig_rcpt = at->rcpt.orig_addr;
    job->delivered = at->delivered;
    job->user = at->user;
    job->path = path;
    job->shown = shown;
    job->uid = usr.uid;
    job->gid = usr.gid;
}

/* default_privs - no user context (a root-owned alias): default_privs, never root */
static void default_privs(struct usr *usr, const struct local_agent *a)
{
    if (usr->uid == 0)
	usr->uid = a->default_uid;
    if (usr->gid == 0)
	usr->gid = a->default_gid;
}

/* biff - tell comsat(8) "user@offset", as local(8) does with biff = yes */
static void biff(const char *logname, off_t offset)
{
    struct servent *sp = getservbyname("biff", "udp");
    struct sockaddr_in sin = { .sin_family = AF_INET };
    char text[512];
    int sock;

    sin.sin_port = sp ? (in_port_t) sp->s_port : htons(512);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int len = snprintf(text, sizeof(text), "%s@%ld", logname, (long) offset);
    if (len < 0 || (size_t) len >= sizeof(text))
	return;
    if ((sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
	return;
    /* The NUL goes too. */
    if (sendto(sock, text, (size_t) len + 1, 0, (struct sockaddr *) &sin, sizeof(sin)) < 0)
	diag_warn("biff_notify: %s", strerror(errno));
    close(sock);
}

/* refuse_root - why a mailbox of root is not written */
static void refuse_root(struct local_why *why, const char *user)
{
    why_set(why, "4.3.0", "pfcd does not deliver as root: give %s an alias "
	    "(\"%s: someone\" in aliases(5))", user, user);
}

int deliver_mailbox_file(struct run *run, struct attr at, struct usr usr)
{
    struct local_agent *a = run->a;
    struct local_job job;
    struct local_why why = { 0 };
    const char *mailbox;
    int status;

    at.level++;
    if (!a->frozen_delivered)
	at.delivered = at.rcpt.address;
    if (*a->home_mailbox)
	mailbox = keep(run, xconcat(usr.home, "/", a->home_mailbox, (char *) NULL));
    else
	mailbox = keep(run, xconcat(a->spool_dir, "/", at.user, (char *) NULL));

    job_init(&job, run, &at, keep(run, local_real_path(mailbox)), mailbox, usr);
    job.mailbox = 1;
    job.owner_uid = usr.uid;
    job.strict_owner = a->strict_owner;
    job.lock_mask = a->lock_mask;
    job.copy_flags = COPY_MBOX;
    if (!(a->hdr_mask & DELIVER_HDR_FILE))
	job.copy_flags &= ~COPY_DELIVERED;

    /*
     * Whose rights: the recipient's, with the spool directory's group
     * when the spool directory is writable by its group only (Debian's
     * /var/mail is root:mail 2775). local(8) would use root for a
     * directory only root may write, and chown the new file; pfcd never
     * writes as root.
     */
    if (*a->home_mailbox == 0) {
	char *spool = local_real_path(a->spool_dir);
	struct stat st;
	if (stat(spool, &st) == 0 && !(st.st_mode & S_IWOTH)) {
	    if (st.st_mode & S_IWGRP) {
		job.gid = st.st_gid;
	    } else {
		free(spool);
		why_set(&why, "4.3.0", "%s is writable by root only: pfcd delivers as the "
			"recipient and cannot create mailboxes there (make it group-writable, "
			"as Debian's root:mail 2775)", a->spool_dir);
		goto failed;
	    }
	}
	free(spool);
    }
    if (usr.uid == 0) {
	refuse_root(&why, at.user);
	goto failed;
    }

    status = local_run_kind(&local_kind_mbox, &job, &why);
    if (status == KIND_OK) {
	why_free(&why);
	if (a->biff)
	    biff(usr.logname, job.end);
	return r_sent(run, &at, "delivered", "delivered to mailbox");
    }
    if (status == KIND_CORRUPT) {
	status = r_defer(run, &at, &why);
	why_free(&why);
	return status;
    }
  failed:
    why_prepend(&why, "cannot update mailbox %s for user %s. ", mailbox, at.user);
    status = why.dsn[0] == '4' ? r_defer(run, &at, &why) : r_bounce(run, &at, &why);
    why_free(&why);
    return status;
}

int deliver_maildir(struct run *run, struct attr at, struct usr usr, const char *path)
{
    struct local_agent *a = run->a;
    struct local_job job;
    struct local_why why = { 0 };
    int status;

    at.level++;
    if (!a->frozen_delivered)
	at.delivered = at.rcpt.address;
    job_init(&job, run, &at, keep(run, local_real_path(path)), path, usr);
    job.copy_flags = COPY_TOFILE | COPY_RETURN_PATH | COPY_ORIG_RCPT;
    if (a->hdr_mask & DELIVER_HDR_FILE)
	job.copy_flags |= COPY_DELIVERED;

    if (usr.uid == 0)
	refuse_root(&why, at.user);
    status = usr.uid == 0 ? KIND_FAIL : local_run_kind(&local_kind_maildir, &job, &why);
    if (status == KIND_OK) {
	why_free(&why);
	return r_sent(run, &at, "delivered", "delivered to maildir");
    }
    if (status == KIND_FAIL) {
	if (strstr(sb_str(&why.reason), strerror(EACCES)) != NULL) {
	    diag_warn("maildir access problem for UID/GID=%lu/%lu: %s", (unsigned long) usr.uid,
		      (unsigned long) usr.gid, sb_str(&why.reason));
	    diag_warn("perhaps you need to create the maildirs in advance");
	}
	why_prepend(&why, "maildir delivery failed: ");
    }
    status = why.dsn[0] == '4' || status == KIND_CORRUPT ? r_defer(run, &at, &why)
	: r_bounce(run, &at, &why);
    why_free(&why);
    return status;
}

int deliver_file(struct run *run, struct attr at, struct usr usr, const char *path)
{
    struct local_agent *a = run->a;
    struct local_job job;
    struct local_why why = { 0 };
    int status;

    at.level++;
    if (been_here(run, "file %ld %s", (long) usr.uid, path))
	return 0;
    if ((a->file_mask & at.exp_type) == 0) {
	why_set(&why, "5.7.1", "mail to file is restricted");
	status = bounce_workaround(run, at, &why);
	why_free(&why);
	return status;
    }
    default_privs(&usr, a);
    if (path[strlen(path) - 1] == '/')
	return deliver_maildir(run, at, usr, path);

    job_init(&job, run, &at, keep(run, local_real_path(path)), path, usr);
    job.lock_mask = a->lock_mask | MBOX_DOT_LOCK_MAY_FAIL;
    job.copy_flags = COPY_MBOX;
    if (!(a->hdr_mask & DELIVER_HDR_FILE))
	job.copy_flags &= ~COPY_DELIVERED;

    status = local_run_kind(&local_kind_mbox, &job, &why);
    if (status == KIND_OK) {
	why_free(&why);
	return r_sent(run, &at, "delivered", "delivered to file: %s", path);
    }
    if (status == KIND_CORRUPT) {
	status = r_defer(run, &at, &why);
    } else {
	why_prepend(&why, "cannot append message to file %s: ", path);
	status = bounce_workaround(run, at, &why);
    }
    why_free(&why);
    return status;
}

/* env_add - NAME=value, the value censored by command_expansion_filter */
static void env_add(char ***env, size_t *n, const char *filter, const char *name,
		    const char *value)
{
    struct strbuf out = STRBUF_INIT;

    sb_adds(&out, name);
    sb_addch(&out, '=');
    size_t start = out.len;
    sb_adds(&out, value);
    for (size_t i = start; i < out.len; i++)
	if (strchr(filter, out.s[i]) == NULL || out.s[i] == 0)
	    out.s[i] = '_';
    *env = xrealloc(*env, (*n + 2) * sizeof(**env));
    (*env)[(*n)++] = sb_detach(&out);
    (*env)[*n] = NULL;
}

int deliver_command(struct run *run, struct attr at, struct usr usr, const char *command)
{
    struct local_agent *a = run->a;
    const struct local_message *msg = run->msg;
    struct local_job job;
    struct local_why why = { 0 };
    char **env = NULL;
    size_t n = 0;
    int status;

    at.level++;
    if (been_here(run, "command %s:%ld %s", at.user, (long) usr.uid, command))
	return 0;
    default_privs(&usr, a);

    job_init(&job, run, &at, command, command, usr);
    job.copy_flags = COPY_FROM | COPY_RETURN_PATH | COPY_ORIG_RCPT;
    if (a->hdr_mask & DELIVER_HDR_CMD)
	job.copy_flags |= COPY_DELIVERED;

    /* What local(8) tells a command. */
    const char *f = a->cmd_exp_filter;
    char *home = usr.home ? local_real_path(usr.home) : NULL;
    if (home)
	env_add(&env, &n, f, "HOME", home);
    free(home);
    env_add(&env, &n, f, "LOGNAME", at.user);
    env_add(&env, &n, f, "USER", at.user);
    env_add(&env, &n, f, "SENDER", at.sender);
    env_add(&env, &n, f, "RECIPIENT", at.rcpt.address);
    env_add(&env, &n, f, "LOCAL", at.local);
    if (usr.shell)
	env_add(&env, &n, f, "SHELL", usr.shell);
    if (at.domain)
	env_add(&env, &n, f, "DOMAIN", at.domain);
    if (at.extension)
	env_add(&env, &n, f, "EXTENSION", at.extension);
    if (at.rcpt.orig_addr && *at.rcpt.orig_addr)
	env_add(&env, &n, f, "ORIGINAL_RECIPIENT", at.rcpt.orig_addr);
    static const struct {
	const char *name;
	size_t offset;
    } client[] = {
	{ "CLIENT_HOSTNAME", offsetof(struct local_message, client_name) },
	{ "CLIENT_ADDRESS", offsetof(struct local_message, client_addr) },
	{ "CLIENT_HELO", offsetof(struct local_message, client_helo) },
	{ "CLIENT_PROTOCOL", offsetof(struct local_message, client_proto) },
	{ "SASL_METHOD", offsetof(struct local_message, sasl_method) },
	{ "SASL_SENDER", offsetof(struct local_message, sasl_sender) },
	{ "SASL_USERNAME", offsetof(struct local_message, sasl_username) },
    };
    for (size_t i = 0; i < sizeof(client) / sizeof(client[0]); i++) {
	const char *value = *(const char *const *) ((const char *) msg + client[i].offset);
	if (value && *value)
	    env_add(&env, &n, f, client[i].name, value);
    }
    job.env = env;

    /* command_execution_directory, expanded; a bad one defers. */
    struct strbuf exec_dir = STRBUF_INIT;
    int expand_status = local_expand(&exec_dir, a->exec_directory, &at, &usr, a,
				     a->exec_exp_filter);
    if (expand_status & EXPAND_ERROR) {
	diag_warn("bad parameter value syntax for command_execution_directory: %s",
		  a->exec_directory);
	why_set(&why, "4.3.5", "mail system configuration error");
	status = KIND_FAIL;
    } else {
	if (exec_dir.len > 0)
	    job.cwd = keep(run, local_real_path(sb_str(&exec_dir)));
	status = local_run_kind(&local_kind_command, &job, &why);
    }
    sb_free(&exec_dir);
    for (size_t i = 0; i < n; i++)
	free(env[i]);
    free(env);

    if (status == KIND_OK) {
	status = r_sent(run, &at, "delivered", "delivered to command: %s", command);
    } else if (status == KIND_CORRUPT || (expand_status & EXPAND_ERROR)) {
	status = r_defer(run, &at, &why);
    } else {
	status = bounce_workaround(run, at, &why);
    }
    why_free(&why);
    return status;
}
