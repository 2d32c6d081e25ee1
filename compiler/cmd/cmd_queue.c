/*
 * queue - "pfc queue": pfcd's queue as Postfix's queue tools show and
 * change theirs: list (postqueue -p, and -j with --json), flush
 * (postqueue -f), delete, hold, release and requeue (postsuper -d, -h,
 * -H, -r), with their output, log lines and exit codes. The queue is
 * read directly (there is no showq daemon); changes follow the locking
 * discipline of queue_admin.h, so they are safe against a running pfcd.
 * postqueue's own forms, -p, -j and -f, are what mailq and sendmail -bp
 * and -q run (cmd_sendmail.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr822.h"
#include "commands.h"
#include "help.h"
#include "loader.h"
#include "maildrop.h"
#include "pfcd_log.h"
#include "policy.h"
#include "qmgr_trigger.h"
#include "queue_admin.h"
#include "queue_file.h"
#include "sysroot.h"
#include "textutil.h"
#include "xalloc.h"

#define EX_UNAVAILABLE_STATUS 69	/* sysexits.h's EX_UNAVAILABLE, as postqueue -f */

/* What the policy (or its absence) says about the queue. */
struct qconf {
    char *queue_dir;		/* as opened (under --root) */
    int long_ids;		/* enable_long_queue_ids */
    int utf8;			/* smtputf8_enable: UTF-8 stays in the listing */
    char *empty_sender;		/* empty_address_recipient: the null sender's name */
    char *mail_owner;		/* NULL: the owner of incoming/ (no image) */
};

/* fatal - "pfc: fatal: ..." and the exit status, as Postfix's msg_fatal() */
static int fatal(int status, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fatal(int status, const char *fmt, ...)
{
    va_list ap;

    fputs("pfc: fatal: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return status;
}

/* ------------------------------------------------------------ list */

/* show_addr - an address as showq sends it: quoted local part, printable */
static void show_addr(struct strbuf *out, const char *addr, const struct qconf *qc)
{
    sb_set(out, "");
    a822_quote_local(out, *addr ? addr : qc->empty_sender, A822_QUOTE_8BITCLEAN);
    printable(out->s, qc->utf8);
}

/* json_text - postqueue -j's quoting: \b \f \n \r \t, other controls \uXXXX, then printable */
static void json_text(struct strbuf *out, const char *s, int utf8)
{
    size_t start = out->len;

    for (const unsigned char *cp = (const unsigned char *) s; *cp; cp++) {
	static const char short_esc[] = "\bb\ff\nn\rr\tt";
	const char *e = *cp < 0x20 ? strchr(short_esc, *cp) : NULL;
	if (e != NULL && (e - short_esc) % 2 == 0)
	    sb_printf(out, "\\%c", e[1]);
	else if (*cp < 0x20 || *cp == 0x7f)
	    sb_printf(out, "\\u%04X", *cp);
	else {
	    if (*cp == '\\' || *cp == '"')
		sb_addch(out, '\\');
	    sb_addch(out, *cp);
	}
    }
    if (out->len > start)
	printable(out->s + start, utf8);
}

/* One recipient as showq reports it: the address and why it waits ("" when not known). */
struct shown_rcpt {
    const struct queue_rcpt *r;
    const char *why;
};

/*
 * shown_rcpts - the recipients still to deliver, in showq's order: those
 * with a deferral reason first (its defer logfile), then the others.
 */
static size_t shown_rcpts(const struct queue_msg *m, struct shown_rcpt *out)
{
    size_t n = 0;

    for (int pass = 0; pass < 2; pass++)
	for (size_t i = 0; i < m->nrcpts; i++) {
	    const struct queue_rcpt *r = &m->rcpts[i];
	    int deferred = r->status == QRCPT_DEFERRED && *r->reason;
	    if (r->status == QRCPT_SENT || r->status == QRCPT_BOUNCED || deferred != (pass == 0))
		continue;
	    out[n].r = r;
	    out[n].why = deferred ? r->reason : "";
	    n++;
	}
    return n;
}

/* list_text - one message in postqueue -p's table (showq_compat.c's format) */
static void list_text(struct strbuf *out, const char *queue, const struct queue_msg *m,
		      const struct qconf *qc)
{
    struct strbuf addr = STRBUF_INIT, idst = STRBUF_INIT;
    char when[32];
    struct tm tm;
    time_t t = m->arrival;
    const char *reason = "";

    sb_set(&idst, m->id);
    if (strcmp(queue, QUEUE_ACTIVE) == 0)
	sb_addch(&idst, '*');
    else if (strcmp(queue, QUEUE_HOLD) == 0)
	sb_addch(&idst, '!');
    /* asctime()'s first 20 characters: "Sun Dec  6 19:46:07 ". */
    localtime_r(&t, &tm);
    strftime(when, sizeof(when), "%a %b %e %H:%M:%S ", &tm);
    show_addr(&addr, m->sender, qc);
    sb_printf(out, qc->long_ids ? "%-17s %8ld %19.19s %s\n" : "%-11s %7ld %20.20s %s\n",
	      idst.s, m->size, when, addr.s);
    struct shown_rcpt *rs = xcalloc(m->nrcpts + 1, sizeof(*rs));
    size_t n = shown_rcpts(m, rs);
    for (size_t i = 0; i < n; i++) {
	/* A reason line when it changes; "reason unavailable" after one that had one. */
	if (strcmp(reason, rs[i].why) != 0) {
	    reason = rs[i].why;
	    struct strbuf why = STRBUF_INIT;
	    sb_set(&why, *reason ? reason : "reason unavailable");
	    printable(why.s, qc->utf8);
	    int pad = 76 - (int) why.len;
	    sb_printf(out, "%*s(%s)\n", pad > 0 ? pad : 0, "", why.s);
	    sb_free(&why);
	}
	sb_reset(&addr);
	show_addr(&addr, rs[i].r->address, qc);
	sb_printf(out, qc->long_ids ? "%-17s %8s %-19s %s\n" : "%-11s %7s %-20s %s\n", "", "", "",
		  addr.s);
    }
    free(rs);
    sb_free(&addr);
    sb_free(&idst);
}

/* list_json - one message as postqueue -j's object */
static void list_json(struct strbuf *out, const char *queue, const struct queue_msg *m,
		      const struct qconf *qc)
{
    struct strbuf addr = STRBUF_INIT;

    sb_adds(out, "{\"queue_name\": \"");
    json_text(out, queue, qc->utf8);
    sb_adds(out, "\", \"queue_id\": \"");
    json_text(out, m->id, qc->utf8);
    sb_printf(out, "\", \"arrival_time\": %lld, \"message_size\": %ld, "
	      "\"forced_expire\": false, \"sender\": \"", (long long) m->arrival, m->size);
    show_addr(&addr, m->sender, qc);
    json_text(out, addr.s, qc->utf8);
    sb_adds(out, "\", \"recipients\": [");
    struct shown_rcpt *rs = xcalloc(m->nrcpts + 1, sizeof(*rs));
    size_t n = shown_rcpts(m, rs);
    for (size_t i = 0; i < n; i++) {
	sb_adds(out, i ? ", {\"address\": \"" : "{\"address\": \"");
	sb_reset(&addr);
	show_addr(&addr, rs[i].r->address, qc);
	json_text(out, addr.s, qc->utf8);
	if (*rs[i].why) {
	    sb_adds(out, "\", \"delay_reason\": \"");
	    json_text(out, rs[i].why, qc->utf8);
	}
	sb_adds(out, "\"}");
    }
    sb_adds(out, "]}\n");
    free(rs);
    sb_free(&addr);
}

/* unreadable - the message for a queue this user may not read */
static int unreadable(const char *what, const struct qconf *qc)
{
    return fatal(1, "%s: the queue is readable by root and mail_owner%s%s%s only",
		 what, qc->mail_owner ? " (" : "", qc->mail_owner ? qc->mail_owner : "",
		 qc->mail_owner ? ")" : "");
}

/*
 * maildrop_msg - a file of maildrop/ as showq reports one: it has no
 * size or arrival record, so the file's size and its time (when
 * pfc-postdrop wrote it); the sender and recipients as submitted. m's
 * strings point into *md (maildrop_free() and free(m->rcpts) after).
 * 0; 1 when it is not a complete maildrop file (not listed: showq skips
 * a file mail_open_ok() refuses, and pickup sets a bad one aside); -1
 * with errno when it cannot be read.
 */
static int maildrop_msg(const char *path, const char *id, struct queue_msg *m,
			struct maildrop *md)
{
    struct stat st;
    struct strbuf data = STRBUF_INIT, err = STRBUF_INIT;
    char buf[65536];
    ssize_t n;
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0)
	return errno == ENOENT || errno == ELOOP ? 1 : -1;
    /* Complete files only: regular, made 0744 by pfc-postdrop (Postfix's mail_open_ok()). */
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_mode & S_IRWXU) != S_IRWXU) {
	close(fd);
	return 1;
    }
    while ((n = read(fd, buf, sizeof(buf))) > 0)
	sb_addn(&data, buf, (size_t) n);
    int saved = errno;
    close(fd);
    if (n < 0) {
	sb_free(&data);
	errno = saved;
	return -1;
    }
    int rc = maildrop_parse(data.s ? data.s : "", data.len, md, &err);
    sb_free(&data);
    sb_free(&err);
    if (rc < 0)
	return 1;
    memset(m, 0, sizeof(*m));
    snprintf(m->id, sizeof(m->id), "%s", id);
    m->arrival = st.st_mtime;
    m->size = (long) st.st_size;
    m->sender = md->sender;
    struct queue_rcpt *rs = xcalloc(md->nrcpts + 1, sizeof(*rs));
    for (size_t i = 0; i < md->nrcpts; i++) {
	rs[i].address = md->rcpts[i].address;
	rs[i].orig = rs[i].orcpt = rs[i].dsn = rs[i].reason = "";
	rs[i].status = QRCPT_TODO;
    }
    m->rcpts = rs;
    m->nrcpts = md->nrcpts;
    return 0;
}

/* queue_list - postqueue -p (json: -j): showq's queues in its order */
static int queue_list(const struct qconf *qc, int json)
{
    static const char *const order[] = { MAILDROP_DIR, QUEUE_ACTIVE, QUEUE_INCOMING,
	QUEUE_DEFERRED, QUEUE_HOLD
    };
    struct strbuf out = STRBUF_INIT, err = STRBUF_INIT;
    unsigned long count = 0, bytes = 0;
    int status = 0;

    for (size_t q = 0; q < sizeof(order) / sizeof(order[0]) && status == 0; q++) {
	char **ids = queue_admin_ids(qc->queue_dir, order[q], &err);
	if (ids == NULL) {
	    status = errno == EACCES ? unreadable(sb_str(&err), qc) : fatal(1, "%s", sb_str(&err));
	    break;
	}
	for (size_t i = 0; ids[i] && status == 0; i++) {
	    char *path = xconcat(qc->queue_dir, "/", order[q], "/", ids[i], (char *) NULL);
	    struct queue_msg m;
	    struct maildrop md;
	    int is_drop = strcmp(order[q], MAILDROP_DIR) == 0;
	    sb_reset(&err);
	    errno = 0;
	    int rc = is_drop ? maildrop_msg(path, ids[i], &m, &md) : queue_msg_read(&m, path, &err);
	    int saved = errno;
	    if (is_drop && rc == -1)
		sb_printf(&err, "open %s: %s", path, strerror(saved));
	    free(path);
	    if (rc == -1 && saved == EACCES)
		status = unreadable(sb_str(&err), qc);
	    else if (rc == -1 && saved != ENOENT)
		fprintf(stderr, "pfc: warning: %s\n", sb_str(&err));
	    if (rc != 0)
		continue;	/* moved meanwhile, or still being written: not listed */
	    if (json) {
		list_json(&out, order[q], &m, qc);
	    } else {
		if (count == 0)
		    sb_printf(&out, qc->long_ids ? "%-17s %8s %-19s %s\n" : "%-11s %7s %-20s %s\n",
			      qc->long_ids ? "----Queue ID-----" : "-Queue ID-", "--Size--",
			      qc->long_ids ? "---Arrival Time----" : "----Arrival Time----",
			      qc->long_ids ? "--Sender/Recipient------" : "-Sender/Recipient-------");
		else
		    sb_addch(&out, '\n');
		list_text(&out, order[q], &m, qc);
	    }
	    count++;
	    bytes += (unsigned long) m.size;
	    if (is_drop) {
		free(m.rcpts);
		maildrop_free(&md);
	    } else {
		queue_msg_close(&m);
	    }
	}
	queue_admin_ids_free(ids);
    }
    if (status == 0 && !json) {
	if (count == 0)
	    sb_adds(&out, "Mail queue is empty\n");
	else
	    sb_printf(&out, "\n-- %lu Kbytes in %lu Request%s.\n", bytes / 1024, count,
		      count == 1 ? "" : "s");
    }
    if (status == 0 && out.len)
	fwrite(out.s, 1, out.len, stdout);
    if (status == 0 && (fflush(stdout) != 0 || ferror(stdout)) && errno != EPIPE)
	status = fatal(1, "output write error: %s", strerror(errno));
    sb_free(&out);
    sb_free(&err);
    return status;
}

/* ------------------------------------------------------------ changes */

static const struct {
    const char *name;
    enum queue_admin_op op;
    const char *done;		/* the per-message log text */
    const char *summary;	/* the count's */
} ops[] = {
    {"delete", QADMIN_DELETE, "removed", "Deleted"},
    {"hold", QADMIN_HOLD, "placed on hold", "Placed on hold"},
    {"release", QADMIN_RELEASE, "released from hold", "Released from hold"},
    {"requeue", QADMIN_REQUEUE, "requeued", "Requeued"},
};

/* say - a postsuper msg_info(): on standard error and in the log */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    struct strbuf text = STRBUF_INIT;
    va_list ap;

    va_start(ap, fmt);
    sb_vprintf(&text, fmt, ap);
    va_end(ap);
    fprintf(stderr, "pfc: %s\n", text.s);
    pfcd_log("postsuper", "%s", text.s);
    sb_free(&text);
}

/* may_change - postsuper's check: root, or (unlike postsuper) mail_owner */
static int may_change(const struct qconf *qc)
{
    uid_t uid = getuid(), owner = 0;
    struct passwd *pw;
    struct stat st;
    char *incoming = xconcat(qc->queue_dir, "/" QUEUE_INCOMING, (char *) NULL);

    if (qc->mail_owner && (pw = getpwnam(qc->mail_owner)) != NULL)
	owner = pw->pw_uid;
    else if (qc->mail_owner == NULL && stat(incoming, &st) == 0)
	owner = st.st_uid;
    free(incoming);
    return uid == 0 || (owner != 0 && uid == owner);
}

/* change_one - one ID; counts what was done (quiet: ALL, whose messages postsuper does not name) */
static int change_one(struct queue_admin *qa, size_t k, const char *const *queues,
		      const char *id, int quiet, int *count)
{
    struct strbuf err = STRBUF_INIT;

    if (!queue_admin_id_ok(id)) {
	fprintf(stderr, "pfc: warning: invalid mail queue id: %s\n", id);
	pfcd_log("postsuper", "warning: invalid mail queue id: %s", id);
	return 0;
    }
    int rc = queue_admin_one(qa, ops[k].op, queues, id, &err);
    if (rc < 0) {
	fprintf(stderr, "pfc: warning: %s\n", sb_str(&err));
	pfcd_log("postsuper", "warning: %s", sb_str(&err));
    } else if (rc > 0) {
	if (!quiet)
	    say("%s: %s", id, ops[k].done);
	/* Postfix's pickup logs the new copy of a requeued message so. */
	if (ops[k].op == QADMIN_REQUEUE && qa->new_id[0])
	    pfcd_log("pickup", "%s: uid=%ld from=<%s> orig_id=%s", qa->new_id, (long) getuid(),
		     sb_str(&qa->sender), id);
	(*count)++;
    }
    sb_free(&err);
    return rc < 0;
}

/* queue_change - postsuper -d/-h/-H/-r: IDs, "ALL" or "-" (IDs on stdin), then queue names */
static int queue_change(const struct qconf *qc, size_t k, int argc, char **argv)
{
    /* Room for the names given, or for the default ones. */
    const char **queues = xcalloc((size_t) argc + 8, sizeof(*queues));
    const char **ids = xcalloc((size_t) argc + 1, sizeof(*ids));
    size_t nq = 0, nid = 0;
    int count = 0, status = 0;

    /* Queue IDs are never lower-case words (pfc-queue(5)); queue names are. */
    for (int i = 0; i < argc; i++) {
	if (*argv[i] && strspn(argv[i], "abcdefghijklmnopqrstuvwxyz") == strlen(argv[i]))
	    queues[nq++] = argv[i];
	else
	    ids[nid++] = argv[i];
    }
    for (size_t i = 0; i < nq; i++) {
	if (!queue_admin_queue_ok(queues[i])) {
	    int rc = fatal(1, "invalid directory name: %s", queues[i]);
	    free(queues);
	    free(ids);
	    return rc;
	}
    }
    if (nid == 0) {
	free(queues);
	free(ids);
	return help_arg_error("queue", "missing queue ID, ALL or - after", ops[k].name, 2);
    }
    if (!may_change(qc)) {
	free(queues);
	free(ids);
	return fatal(1, "use of this command is reserved for the superuser and mail_owner%s%s%s",
		     qc->mail_owner ? " (" : "", qc->mail_owner ? qc->mail_owner : "",
		     qc->mail_owner ? ")" : "");
    }
    if (nq == 0)
	for (; queue_admin_queues[nq]; nq++)
	    queues[nq] = queue_admin_queues[nq];
    struct queue_admin qa = { qc->queue_dir, qc->long_ids, "", STRBUF_INIT };
    for (size_t i = 0; i < nid && status == 0; i++) {
	if (strcmp(ids[i], "ALL") == 0) {
	    for (size_t q = 0; q < nq && status == 0; q++) {
		struct strbuf err = STRBUF_INIT;
		char **all = queue_admin_ids(qc->queue_dir, queues[q], &err);
		const char *one[] = { queues[q], NULL };
		if (all == NULL)
		    status = errno == EACCES ? unreadable(sb_str(&err), qc) : fatal(1, "%s",
										    sb_str(&err));
		for (size_t j = 0; all && all[j]; j++)
		    change_one(&qa, k, one, all[j], 1, &count);
		queue_admin_ids_free(all);
		sb_free(&err);
	    }
	} else if (strcmp(ids[i], "-") == 0) {
	    char *line = NULL;
	    size_t cap = 0;
	    ssize_t len;
	    while ((len = getline(&line, &cap, stdin)) > 0) {
		if (line[len - 1] == '\n')
		    line[len - 1] = 0;
		change_one(&qa, k, queues, line, 0, &count);
	    }
	    free(line);
	} else {
	    change_one(&qa, k, queues, ids[i], 0, &count);
	}
    }
    if (status == 0)
	say("%s: %d message%s", ops[k].summary, count, count != 1 ? "s" : "");
    sb_free(&qa.sender);
    free(queues);
    free(ids);
    return status;
}

/* queue_flush - postqueue -f: wake the queue manager to retry every deferred message */
static int queue_flush(const struct qconf *qc)
{
    /* Postfix's mail_flush_deferred(): forget dead hosts, every time stamp, both queues. */
    static const char requests[] = {
	QMGR_REQ_FLUSH_DEAD, QMGR_REQ_SCAN_ALL, QMGR_REQ_SCAN_DEFERRED, QMGR_REQ_SCAN_INCOMING, 0
    };

    if (qmgr_trigger_send(qc->queue_dir, requests) == 0)
	return 0;
    if (errno == EACCES)
	return fatal(1, "open %s/%s: %s", qc->queue_dir, QMGR_TRIGGER_FIFO, strerror(errno));
    return fatal(EX_UNAVAILABLE_STATUS, "Cannot flush mail queue - mail system is down"
		 " (no pfcd queue manager listens on %s/%s)", qc->queue_dir, QMGR_TRIGGER_FIFO);
}

/* ------------------------------------------------------------ main */

static void qconf_free(struct qconf *qc)
{
    free(qc->queue_dir);
    free(qc->empty_sender);
    free(qc->mail_owner);
}

/* qconf_load - the queue's settings from the image at path (NULL: the defaults, qdir) */
static int qconf_load(struct qconf *qc, const char *image_path, const char *qdir,
		      const char *log_where)
{
    memset(qc, 0, sizeof(*qc));
    if (image_path == NULL) {
	/* No image: Postfix's defaults (compatibility level 3.6 and later). */
	qc->queue_dir = sysroot_path(qdir);
	qc->utf8 = 1;
	qc->empty_sender = xstrdup("MAILER-DAEMON");
	return pfcd_log_open(log_where, 0) < 0 ? 1 : 0;
    }
    struct image *img;
    char *err = NULL;
    enum image_status st = image_open(image_path, &img, &err);
    if (st != IMAGE_OK) {
	fprintf(stderr, "pfc: %s\n", err);
	free(err);
	return st == IMAGE_ERR_IO ? 2 : 1;
    }
    struct policy p;
    policy_open_main(&p, img);
    qc->queue_dir = sysroot_path(qdir ? qdir : policy_value(&p, "queue_directory"));
    qc->long_ids = policy_bool(&p, "enable_long_queue_ids");
    qc->utf8 = policy_bool(&p, "smtputf8_enable");
    qc->empty_sender = xstrdup(policy_value(&p, "empty_address_recipient"));
    qc->mail_owner = xstrdup(policy_value(&p, "mail_owner"));
    int rc = pfcd_log_open(log_where, 0) < 0 ? 1 : 0;
    pfcd_log_identity(policy_value(&p, "myhostname"), policy_value(&p, "syslog_name"));
    policy_close(&p);
    image_close(img);
    return rc;
}

/* is_subcommand - list, flush, or one of ops[] */
static int is_subcommand(const char *word)
{
    if (strcmp(word, "list") == 0 || strcmp(word, "flush") == 0)
	return 1;
    for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
	if (strcmp(word, ops[k].name) == 0)
	    return 1;
    return 0;
}

static int queue_sub(int argc, char **argv, int i, const char *image_path, const char *qdir,
		     const char *log_where, const char *sub, int json);

/* default_image - postqueue's -c dir, else $MAIL_CONFIG or /etc/postfix: its policy.pfi, under --root */
static char *default_image(const char *config_dir)
{
    const char *dir = config_dir ? config_dir : getenv("MAIL_CONFIG");
    char *path = xconcat(dir && *dir ? dir : "/etc/postfix", "/policy.pfi", (char *) NULL);
    char *rooted = sysroot_path(path);

    free(path);
    return rooted;
}

/*
 * queue_run - "[options] [POLICY|--queue-directory DIR] SUBCOMMAND [args]",
 * or postqueue's forms "[-c config_dir] -p|-j|-f" (which mailq and
 * sendmail -bp/-q run), and run it
 */
static int queue_run(int argc, char **argv)
{
    const char *image_path = NULL, *qdir = NULL, *log_where = "syslog", *config_dir = NULL;
    const char *sub = NULL;
    char *fallback = NULL;
    int i = 1, json = 0;

    for (; i < argc; i++) {
	const char *a = argv[i];
	if (strcmp(a, "--queue-directory") == 0 || strcmp(a, "-c") == 0) {
	    if (++i >= argc)
		return help_arg_error("queue", "missing value of option", a, 2);
	    *(a[1] == 'c' ? &config_dir : &qdir) = argv[i];
	} else if (strncmp(a, "--queue-directory=", 18) == 0) {
	    qdir = a + 18;
	} else if (strncmp(a, "--log=", 6) == 0) {
	    log_where = a + 6;
	} else if (strcmp(a, "-p") == 0 || strcmp(a, "-j") == 0 || strcmp(a, "-f") == 0) {
	    sub = a[1] == 'f' ? "flush" : "list";
	    json = a[1] == 'j';
	} else if (strcmp(a, "--") == 0) {
	    i++;
	    break;
	} else if (a[0] == '-' && a[1] != 0) {
	    return help_arg_error("queue", "unknown option", a, 2);
	} else {
	    break;
	}
    }
    /* The image, unless --queue-directory names the queue and a subcommand follows. */
    if (i < argc && !(qdir != NULL && is_subcommand(argv[i])) && sub == NULL)
	image_path = argv[i++];
    if (image_path == NULL && qdir == NULL && (sub != NULL || config_dir != NULL))
	image_path = fallback = default_image(config_dir);
    if (image_path == NULL && qdir == NULL) {
	help_print_usage(stderr, "queue");
	return 2;
    }
    int status = queue_sub(argc, argv, i, image_path, qdir, log_where, sub, json);
    free(fallback);
    return status;
}

/* queue_sub - the subcommand at argv[i] (or sub, of a postqueue form) */
static int queue_sub(int argc, char **argv, int i, const char *image_path, const char *qdir,
		     const char *log_where, const char *sub, int json)
{
    if (sub == NULL && i < argc)
	sub = argv[i++];
    if (sub && sub[0] == '-' && strchr("pjf", sub[1]) && sub[1] && sub[2] == 0) {
	json = sub[1] == 'j';
	sub = sub[1] == 'f' ? "flush" : "list";
    }
    if (sub == NULL) {
	help_print_usage(stderr, "queue");
	return 2;
    }
    size_t k = sizeof(ops) / sizeof(ops[0]);
    if (strcmp(sub, "list") == 0) {
	for (; i < argc; i++) {
	    if (strcmp(argv[i], "--json") != 0)
		return help_arg_error("queue", "unexpected argument", argv[i], 2);
	    json = 1;
	}
    } else if (strcmp(sub, "flush") == 0) {
	if (i < argc)
	    return help_arg_error("queue", "unexpected argument", argv[i], 2);
    } else {
	for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
	    if (strcmp(sub, ops[k].name) == 0)
		break;
	if (k == sizeof(ops) / sizeof(ops[0]))
	    return help_arg_error("queue", "unknown subcommand", sub, 2);
    }

    struct qconf qc;
    int status = qconf_load(&qc, image_path, qdir, log_where);
    if (status != 0) {
	qconf_free(&qc);
	return status;
    }
    struct stat st;
    if (stat(qc.queue_dir, &st) < 0 || !S_ISDIR(st.st_mode))
	status = fatal(1, "chdir %s: %s", qc.queue_dir,
		       errno == 0 || S_ISREG(st.st_mode) ? "Not a directory" : strerror(errno));
    else if (strcmp(sub, "flush") == 0)
	status = queue_flush(&qc);
    else if (k < sizeof(ops) / sizeof(ops[0]))
	status = queue_change(&qc, k, argc - i, argv + i);
    else
	status = queue_list(&qc, json);
    qconf_free(&qc);
    return status;
}

int cmd_queue(int argc, char **argv)
{
    return queue_run(argc, argv);
}
