/* smtp_server - the SMTP side of pfcd: sessions in one poll loop (see smtp_server.h) */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr822.h"
#include "bounce.h"
#include "cleanup_msg.h"
#include "content_checks.h"
#include "dns.h"
#include "engine.h"
#include "json.h"
#include "matchlist.h"
#include "pfcd_log.h"
#include "policy.h"
#include "queue_file.h"
#include "restriction.h"
#include "service_signal.h"
#include "session.h"
#include "smtp_server.h"
#include "smtpd_session.h"
#include "table_unix.h"
#include "trace.h"
#include "xalloc.h"

/*
 * A service's view of one image: its policy, engine and cleanup. Sessions
 * hold a reference; SIGHUP makes new views, and an old one (and its
 * image) goes when its last session ends.
 */
struct image_ref {
    struct image *img;
    int refs;
};

struct view {
    int refs;
    struct image_ref *image;
    struct policy policy;
    struct policy cleanup;
    int own_cleanup;		/* cleanup is a policy of its own (close it) */
    struct engine *engine;
    struct cleanup_config ccfg;
    long timeout;		/* smtpd_timeout, seconds */
    long conn_limit;		/* smtpd_client_connection_count_limit */
    long maxproc;		/* the service's process limit: sessions at once */
};

/*
 * The passwd answers (table_unix.h) of the sessions that start within
 * one second of the clock: one memo, so that a burst of sessions to the
 * same users asks the host for each name once (with nss-systemd a name
 * that is not there costs a dozen files opened), not once per session.
 * A memo is handed to no new session once the second is over or
 * /etc/passwd changed, and goes when its last session ends: a session
 * sees at most a second-old answer, the same for its whole length.
 */
struct accounts_ref {
    struct unix_memo *memo;
    int refs;
};

/* A memo of one second of the clock, made from one file (memo_stale()). */
struct memo_stamp {
    time_t made;
    struct stat file;		/* the file when the memo was made (zeroed: none) */
};

struct conn {
    int fd;
    struct accounts_ref *accounts;
    struct smtp_listener *listener;
    struct view *view;
    struct session s;
    struct smtpd_session *ss;
    struct cleanup_msg *cm;
    int sync_fd;		/* a queue file to fsync before the output goes, or -1 */
    int syncing;		/* sync_fd is in the committer's hands (its batch) */
    struct strbuf out;
    size_t out_off;
    time_t deadline;		/* smtpd_timeout */
    time_t hold_until;		/* tarpit: nothing read or written before */
    int hungup;			/* the engine ended it: close once out is sent */
    struct policy_trace trace;
    struct smtpd_message_ops ops;	/* the message sink: cleanup, then the queue */
};

/* Replies not yet taken by the client beyond which its input waits. */
#define OUTPUT_BACKLOG_MAX	(64 * 1024)

/* ------------------------------------------------------------ views */

static void log_line(const char *program, const char *text)
{
    pfcd_log(program, "%s", text);
}

static void view_release(struct view *v)
{
    if (v == NULL || --v->refs > 0)
	return;
    engine_close(v->engine);
    if (v->own_cleanup)
	policy_close(&v->cleanup);
    policy_close(&v->policy);
    if (--v->image->refs == 0) {
	image_close(v->image->img);
	free(v->image);
    }
    free(v);
}

/* view_open - the view of service in image ir; NULL with a log line when smtpd would not start */
static struct view *view_open(struct image_ref *ir, const char *service, const char *queue_dir)
{
    struct view *v = xcalloc(1, sizeof(*v));
    char *err = NULL;

    if (policy_open(&v->policy, ir->img, service, &err) < 0) {
	pfcd_log("master", "warning: service %s: %s", service, err);
	free(err);
	free(v);
	return NULL;
    }
    struct dns_resolver *dns = dns_system_resolver(NULL, &err);
    if (dns == NULL) {
	pfcd_log("smtpd", "warning: DNS resolver: %s", err);
	free(err);
	err = NULL;
    }
    if ((v->engine = engine_open(&v->policy, dns, &err)) == NULL) {
	pfcd_log("smtpd", "fatal: %s", err);
	free(err);
	policy_close(&v->policy);
	free(v);
	return NULL;
    }
    char *name = xconcat(policy_value(&v->policy, "cleanup_service_name"), "/unix", (char *) NULL);
    if (policy_open(&v->cleanup, ir->img, name, &err) < 0) {
	free(err);
	policy_open_main(&v->cleanup, ir->img);
    }
    v->own_cleanup = 1;
    free(name);
    v->ccfg.queue_dir = queue_dir;
    v->ccfg.cleanup = &v->cleanup;
    v->ccfg.smtpd = &v->policy;
    v->ccfg.log = log_line;
    v->timeout = policy_time(&v->policy, "smtpd_timeout", 's', 300);
    v->conn_limit = policy_int(&v->policy, "smtpd_client_connection_count_limit", 50);
    v->maxproc = policy_int(&v->policy, "default_process_limit", 100);
    for (uint32_t i = 0; i < ir->img->nservices; i++) {
	const struct img_service *sv = &ir->img->services[i];
	if (strcmp(image_str(ir->img, sv->name), service) == 0
	    && strcmp(image_str(ir->img, sv->type), "inet") == 0) {
	    const char *mp = image_str(ir->img, sv->maxproc);
	    if (strcmp(mp, "-") != 0)
		v->maxproc = atol(mp);
	}
    }
    v->refs = 1;
    v->image = ir;
    ir->refs++;
    return v;
}

/* ------------------------------------------------------------ the message sink */

static const char *msg_open(void *ctx, const struct session *s)
{
    struct conn *c = ctx;
    struct strbuf err = STRBUF_INIT;

    (void) s;
    c->cm = cleanup_open(&c->view->ccfg, &c->s, &err);
    if (c->cm == NULL) {
	pfcd_log("smtpd", "warning: queue file: %s", sb_str(&err));
	sb_free(&err);
	return "NOQUEUE";
    }
    sb_free(&err);
    pfcd_log("smtpd", "%s: client=%s", cleanup_id(c->cm), c->s.namaddr);
    return cleanup_id(c->cm);
}

static void msg_recipient(void *ctx, const char *addr, int notify, const char *orcpt)
{
    struct conn *c = ctx;

    if (c->cm)
	cleanup_recipient(c->cm, addr, notify, orcpt);
}

static void msg_content(void *ctx, int type, const char *data, size_t len)
{
    struct conn *c = ctx;

    if (c->cm)
	cleanup_content(c->cm, type, data, len);
}

static int msg_close(void *ctx, const struct session *s, struct strbuf *why)
{
    struct conn *c = ctx;

    (void) s;
    if (c->cm == NULL) {
	sb_set(why, "451 4.3.0 Error: queue file write error");
	return 1;
    }
    int fd = -1;
    enum cleanup_result r = cleanup_close(c->cm, &c->s, why, &fd);
    c->cm = NULL;
    if (r == CLEANUP_REFUSED)
	return 1;
    if (r == CLEANUP_QUEUED) {
	/*
	 * Pipelined messages may finish several in one read: sync the older
	 * one now (a session waiting for a commit is not read: see poll).
	 */
	if (c->sync_fd >= 0) {
	    fdatasync(c->sync_fd);
	    close(c->sync_fd);
	}
	c->sync_fd = fd;
    }
    return 0;
}

static void msg_abort(void *ctx)
{
    struct conn *c = ctx;

    cleanup_abort(c->cm);
    c->cm = NULL;
}

/* msg_notice - the session's transcript to the postmaster (notify_classes) */
static void msg_notice(void *ctx, const struct session *s, unsigned error_mask, const char *body)
{
    struct conn *c = ctx;

    bounce_smtpd_notice(&c->view->policy, c->view->ccfg.queue_dir, s->namaddr,
			(error_mask & ERR_BOUNCE) != 0, body);
}

/* ------------------------------------------------------------ trace: the engine's notes */

static void tr_stage(void *ctx, const char *list, const char *reply_class)
{
    (void) ctx, (void) list, (void) reply_class;
}

static void tr_restriction(void *ctx, uint32_t op, const char *arg, uint32_t program,
			   uint32_t line, const char *result, const char *reply)
{
    (void) ctx, (void) op, (void) arg, (void) program, (void) line, (void) result, (void) reply;
}

static void tr_probe(void *ctx, const char *table, const char *key,
		     enum trace_probe_result result, const char *value, uint32_t line)
{
    (void) ctx, (void) table, (void) key, (void) result, (void) value, (void) line;
}

/*
 * tr_note - the notes that are smtpd's and cleanup's own log lines go to
 * the log; the rest (which table matched, how an address resolved) are
 * pfc trace's explanation, not Postfix log lines.
 */
static void tr_note(void *ctx, const char *text)
{
    static const char *const smtpd_lines[] = {
	"warning: ", "improper command pipelining ", "too many errors ", "timeout after ",
	"lost connection after ", "discarding EHLO keywords",
    };
    struct conn *c = ctx;

    for (size_t i = 0; i < sizeof(smtpd_lines) / sizeof(smtpd_lines[0]); i++)
	if (strncmp(text, smtpd_lines[i], strlen(smtpd_lines[i])) == 0) {
	    pfcd_log("smtpd", "%s", text);
	    return;
	}
    if (checks_log_line(text))
	pfcd_log("cleanup", "%s: %s", c->cm ? cleanup_id(c->cm) : "NOQUEUE", text);
}

/* log_addr - an address as info_log_address_format wants it in a log line */
static void log_addr(struct strbuf *out, const struct policy *p, const char *addr)
{
    if (strcmp(policy_value(p, "info_log_address_format"), "internal") == 0 || *addr == 0)
	sb_adds(out, addr);
    else
	a822_quote_local(out, addr, A822_QUOTE_8BITCLEAN);
}

/*
 * tr_whatsup - smtpd's log_whatsup(): "ID: reject: RCPT from name[addr]:
 * TEXT; from=<...> to=<...> proto=ESMTP helo=<...>", each part present
 * only when the session has it at that moment, as smtpd logs it.
 */
static void tr_whatsup(void *ctx, const char *action, const char *text,
		       const struct trace_origin *origin)
{
    struct conn *c = ctx;
    const struct session *s = &c->s;
    struct strbuf line = STRBUF_INIT, fields = STRBUF_INIT;

    sb_printf(&line, "%s: %s: %s from %s: %s;", c->cm ? cleanup_id(c->cm) : "NOQUEUE",
	      action, s->where, s->namaddr, text);
    if (s->sender) {
	sb_adds(&line, " from=<");
	log_addr(&line, &c->view->policy, s->sender);
	sb_adds(&line, ">");
    }
    if (s->recipient) {
	sb_adds(&line, " to=<");
	log_addr(&line, &c->view->policy, s->recipient);
	sb_adds(&line, ">");
    }
    if (s->protocol)
	sb_printf(&line, " proto=%s", s->protocol);
    if (s->helo_name)
	sb_printf(&line, " helo=<%s>", s->helo_name);
    /* JSON lines also say which restriction decided, and where it is written. */
    if (origin != NULL) {
	const struct image *img = c->view->policy.img;
	json_field(&fields, "restriction", restriction_name(origin->op));
	if (*origin->arg)
	    json_field(&fields, "argument", origin->arg);
	if (origin->line != 0) {
	    json_field(&fields, "file", img->programs[origin->program].service != IMG_NONE
		       ? "master.cf" : "main.cf");
	    json_field_uint(&fields, "line", origin->line);
	}
    }
    pfcd_log_json("smtpd", sb_str(&fields), "%s", sb_str(&line));
    sb_free(&line);
    sb_free(&fields);
}

/* ------------------------------------------------------------ connections */

struct server {
    const struct smtp_server_config *cfg;
    struct image_ref *image;
    struct view **views;	/* per listener, the current one */
    long *active;		/* per listener: sessions now */
    struct conn **conns;
    size_t nconns, cap;
    int draining;
    struct committer *committer;
    struct accounts_ref *accounts;	/* the memo new sessions get, or NULL */
    struct memo_stamp accounts_stamp;	/* of /etc/passwd */
    struct peer_memo *peers;	/* client names of this second (peer_names_shared()) */
    size_t npeers;
    struct memo_stamp peers_stamp;	/* of /etc/hosts */
};

/*
 * The client names of the connections from one address within one
 * second of the clock are looked up once (peer_names(): the reverse
 * lookup and the forward one that verifies it, each reading /etc/hosts
 * or asking DNS), and anew after /etc/hosts changed: a burst of
 * connections from one client costs one lookup a second, not one each.
 */
#define PEER_MEMO_MAX	16

struct peer_memo {
    char addr[INET6_ADDRSTRLEN];
    char name[NI_MAXHOST];
    char rev[NI_MAXHOST];
};

/*
 * memo_stale - whether a memo stamped *stamp from path is past: made in
 * another second of the clock, or path changed since (as far as stat()
 * says). Then *stamp is the new memo's, made now.
 */
static int memo_stale(struct memo_stamp *stamp, const char *path)
{
    struct stat st;
    time_t now = time(NULL);

    if (stat(path, &st) < 0)
	memset(&st, 0, sizeof(st));
    const struct stat *a = &stamp->file;
    if (stamp->made == now && a->st_ino == st.st_ino && a->st_dev == st.st_dev
	&& a->st_size == st.st_size
	&& a->st_mtim.tv_sec == st.st_mtim.tv_sec && a->st_mtim.tv_nsec == st.st_mtim.tv_nsec
	&& a->st_ctim.tv_sec == st.st_ctim.tv_sec && a->st_ctim.tv_nsec == st.st_ctim.tv_nsec)
	return 0;
    stamp->made = now;
    stamp->file = st;
    return 1;
}

static void accounts_put(struct accounts_ref *a)
{
    if (a != NULL && --a->refs == 0) {
	unix_memo_free(a->memo);
	free(a);
    }
}

/* accounts_get - the memo of a session that starts now (accounts_put() when it ends) */
static struct accounts_ref *accounts_get(struct server *sv)
{
    struct accounts_ref *a = sv->accounts;

    if (memo_stale(&sv->accounts_stamp, "/etc/passwd") || a == NULL) {
	accounts_put(a);
	a = xcalloc(1, sizeof(*a));
	a->memo = unix_memo_new();
	a->refs = 1;		/* the server's */
	sv->accounts = a;
    }
    a->refs++;
    return a;
}

/* peer_names - the verified name and the reverse name of addr (blocking lookups) */
static void peer_names(const struct sockaddr *sa, socklen_t len, const char *addr,
		       char *name, size_t nsize, char *rev, size_t rsize)
{
    snprintf(name, nsize, "unknown");
    snprintf(rev, rsize, "unknown");
    if (getnameinfo(sa, len, rev, (socklen_t) rsize, NULL, 0, NI_NAMEREQD) != 0) {
	snprintf(rev, rsize, "unknown");
	return;
    }
    /* The name counts only when it resolves back to the address. */
    struct addrinfo hints = { 0 }, *res = NULL;
    hints.ai_family = sa->sa_family;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(rev, NULL, &hints, &res) != 0)
	return;
    for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
	char buf[INET6_ADDRSTRLEN];
	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, buf, sizeof(buf), NULL, 0,
			NI_NUMERICHOST) == 0 && strcmp(buf, addr) == 0) {
	    snprintf(name, nsize, "%s", rev);
	    break;
	}
    }
    freeaddrinfo(res);
}

/* peer_names_shared - peer_names(), shared by the connections from addr of this second */
static void peer_names_shared(struct server *sv, const struct sockaddr *sa, socklen_t len,
			      const char *addr, char *name, size_t nsize, char *rev, size_t rsize)
{
    if (memo_stale(&sv->peers_stamp, "/etc/hosts"))
	sv->npeers = 0;
    for (size_t i = 0; i < sv->npeers; i++)
	if (strcmp(sv->peers[i].addr, addr) == 0) {
	    snprintf(name, nsize, "%s", sv->peers[i].name);
	    snprintf(rev, rsize, "%s", sv->peers[i].rev);
	    return;
	}
    peer_names(sa, len, addr, name, nsize, rev, rsize);
    if (sv->npeers == PEER_MEMO_MAX || strlen(addr) >= sizeof(sv->peers[0].addr))
	return;
    if (sv->peers == NULL)
	sv->peers = xcalloc(PEER_MEMO_MAX, sizeof(*sv->peers));
    struct peer_memo *m = &sv->peers[sv->npeers++];
    snprintf(m->addr, sizeof(m->addr), "%s", addr);
    snprintf(m->name, sizeof(m->name), "%s", name);
    snprintf(m->rev, sizeof(m->rev), "%s", rev);
}

static long count_client(struct server *sv, const char *addr)
{
    long n = 0;

    for (size_t i = 0; i < sv->nconns; i++)
	if (strcmp(sv->conns[i]->s.addr, addr) == 0)
	    n++;
    return n;
}

static void conn_free(struct server *sv, struct conn *c)
{
    if (c->ss) {
	struct strbuf counts = STRBUF_INIT;
	smtpd_session_counts(c->ss, &counts);
	pfcd_log("smtpd", "disconnect from %s%s", c->s.namaddr, sb_str(&counts));
	sb_free(&counts);
	smtpd_session_close(c->ss);	/* aborts an open message */
    }
    cleanup_abort(c->cm);
    session_free(&c->s);
    accounts_put(c->accounts);
    close(c->fd);
    if (c->sync_fd >= 0)
	close(c->sync_fd);
    sb_free(&c->out);
    sv->active[c->listener - sv->cfg->listeners]--;
    view_release(c->view);
    free(c);
}

/* take_output - the engine's replies into c->out; a tarpit delay holds them */
static void take_output(struct conn *c)
{
    struct strbuf *o = smtpd_session_output(c->ss);

    sb_addn(&c->out, o->s ? o->s : "", o->len);
    sb_reset(o);
    long delay = smtpd_session_delay(c->ss);
    if (delay > 0)
	c->hold_until = time(NULL) + delay;
    if (smtpd_session_hungup(c->ss))
	c->hungup = 1;
}

static void accept_one(struct server *sv, size_t li)
{
    struct smtp_listener *l = &sv->cfg->listeners[li];
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int fd = accept4(l->fd, (struct sockaddr *) &ss, &len, SOCK_NONBLOCK | SOCK_CLOEXEC);

    if (fd < 0)
	return;
    char addr[INET6_ADDRSTRLEN] = "", port[16] = "0";
    getnameinfo((struct sockaddr *) &ss, len, addr, sizeof(addr), port, sizeof(port),
		NI_NUMERICHOST | NI_NUMERICSERV);
    /* An IPv4-mapped IPv6 peer is shown as IPv4, as Postfix does. */
    const char *shown = strncmp(addr, "::ffff:", 7) == 0 && strchr(addr + 7, '.') ? addr + 7 : addr;
    char name[NI_MAXHOST], rev[NI_MAXHOST];
    peer_names_shared(sv, (struct sockaddr *) &ss, len, addr, name, sizeof(name), rev,
		      sizeof(rev));

    struct conn *c = xcalloc(1, sizeof(*c));
    c->fd = fd;
    c->sync_fd = -1;
    c->listener = l;
    c->view = sv->views[li];
    c->view->refs++;
    sv->active[li]++;
    engine_session(c->view->engine, &c->s);
    c->accounts = accounts_get(sv);
    session_lend_accounts(&c->s, c->accounts->memo);
    c->trace.ctx = c;
    c->trace.stage = tr_stage;
    c->trace.restriction = tr_restriction;
    c->trace.probe = tr_probe;
    c->trace.note = tr_note;
    c->trace.whatsup = tr_whatsup;
    c->s.trace = &c->trace;
    session_set_client(&c->s, shown, name, rev, port);
    c->deadline = time(NULL) + c->view->timeout;
    if (sv->nconns == sv->cap) {
	sv->cap = sv->cap ? 2 * sv->cap : 64;
	sv->conns = xrealloc(sv->conns, sv->cap * sizeof(*sv->conns));
    }
    sv->conns[sv->nconns++] = c;
    pfcd_log("smtpd", "connect from %s", c->s.namaddr);

    long limit = c->view->conn_limit;
    if (limit > 0 && count_client(sv, c->s.addr) > limit
	&& match_list_in(&c->s, &c->view->policy, "smtpd_client_event_limit_exceptions",
			 MATCH_KIND_NAMADR, c->s.name, c->s.addr) != MATCH_YES) {
	pfcd_log("smtpd", "warning: Connection concurrency limit exceeded: %ld from %s for service %s",
		 count_client(sv, c->s.addr), c->s.namaddr, l->service);
	sb_printf(&c->out, "421 4.7.0 %s Error: too many connections from %s\r\n",
		  policy_value(&c->view->policy, "myhostname"), c->s.addr);
	c->hungup = 1;
	return;
    }
    static const struct smtpd_message_ops ops_template = {
	NULL, msg_open, msg_recipient, msg_content, msg_close, msg_abort, msg_notice,
    };
    c->ops = ops_template;
    c->ops.ctx = c;
    c->ss = smtpd_session_open(c->view->engine, &c->s, &c->ops);
    take_output(c);
}

static void drop_conn(struct server *sv, size_t i)
{
    conn_free(sv, sv->conns[i]);
    sv->conns[i] = sv->conns[--sv->nconns];
}

/* read_input - what the client sent, to the engine */
static void read_input(struct conn *c)
{
    char buf[16384];
    ssize_t n = read(c->fd, buf, sizeof(buf));

    if (n < 0 && (errno == EAGAIN || errno == EINTR))
	return;
    if (n <= 0) {
	if (c->ss)
	    smtpd_session_eof(c->ss);
	c->hungup = 1;
	c->out.len = c->out_off = 0;	/* nobody reads it */
	return;
    }
    c->deadline = time(NULL) + c->view->timeout;
    if (c->ss) {
	smtpd_session_input(c->ss, buf, (size_t) n);
	take_output(c);
    }
}

/* write_output - send what can be sent; 1 when all of it is gone */
static int write_output(struct conn *c)
{
    while (c->out_off < c->out.len) {
	ssize_t n = send(c->fd, c->out.s + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
	if (n < 0 && errno == EINTR)
	    continue;
	if (n < 0 && errno == EAGAIN)
	    return 0;
	if (n <= 0) {
	    c->out.len = c->out_off = 0;
	    c->hungup = 1;
	    return 1;
	}
	c->out_off += (size_t) n;
    }
    sb_reset(&c->out);
    c->out_off = 0;
    return 1;
}

/*
 * The committer: a thread that puts batches of queue files on stable
 * storage while the loop goes on serving every other session. A batch is
 * every queue file finished since the last batch was handed over: one
 * file by its fdatasync and an fsync of incoming/, several by one
 * syncfs() (one journal commit and one cache flush for all, where an
 * fdatasync each costs a flush each). A session whose file waits for a
 * batch is neither read nor answered until that batch is done; then its
 * 250 goes out (a 451 in its place when the sync failed) and the queue
 * manager is woken. While one batch is synced the next one gathers: the
 * slower the disk, the more messages each sync covers.
 */
struct committer {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int *fds;			/* the batch handed over */
    size_t nfds, cap;
    int busy;			/* a batch is handed over and not yet collected */
    int finished;		/* ... and synced: failed and err say how */
    int failed, err;
    int stop;
    int done[2];		/* the thread writes a byte when a batch is finished */
    char *incoming;		/* queue_dir/incoming, for the one-file case */
};

static void *commit_thread(void *arg)
{
    struct committer *cm = arg;

    pthread_mutex_lock(&cm->lock);
    for (;;) {
	while (!(cm->busy && !cm->finished) && !cm->stop)
	    pthread_cond_wait(&cm->cond, &cm->lock);
	if (cm->stop)
	    break;
	pthread_mutex_unlock(&cm->lock);
	int rc = cm->nfds == 1
	    ? (fdatasync(cm->fds[0]) < 0 || queue_sync_dir(cm->incoming) < 0 ? -1 : 0)
	    : syncfs(cm->fds[0]);
	int err = errno;
	pthread_mutex_lock(&cm->lock);
	cm->failed = rc < 0;
	cm->err = err;
	cm->finished = 1;
	ssize_t w = write(cm->done[1], "d", 1);
	(void) w;		/* the pipe holds one byte per batch, one batch at a time */
    }
    pthread_mutex_unlock(&cm->lock);
    return NULL;
}

static int committer_start(struct committer *cm, const char *queue_dir)
{
    memset(cm, 0, sizeof(*cm));
    if (pipe2(cm->done, O_CLOEXEC | O_NONBLOCK) < 0)
	return -1;
    cm->incoming = xconcat(queue_dir, "/" QUEUE_INCOMING, (char *) NULL);
    pthread_mutex_init(&cm->lock, NULL);
    pthread_cond_init(&cm->cond, NULL);
    errno = pthread_create(&cm->thread, NULL, commit_thread, cm);
    if (errno != 0) {
	close(cm->done[0]);
	close(cm->done[1]);
	free(cm->incoming);
	return -1;
    }
    return 0;
}

static void committer_stop(struct committer *cm)
{
    pthread_mutex_lock(&cm->lock);
    cm->stop = 1;
    pthread_cond_signal(&cm->cond);
    pthread_mutex_unlock(&cm->lock);
    pthread_join(cm->thread, NULL);
    pthread_mutex_destroy(&cm->lock);
    pthread_cond_destroy(&cm->cond);
    close(cm->done[0]);
    close(cm->done[1]);
    free(cm->fds);
    free(cm->incoming);
}

/* commit_hand_over - the files waiting, to the committer, when it is free */
static void commit_hand_over(struct server *sv)
{
    struct committer *cm = sv->committer;

    if (cm->busy)
	return;
    cm->nfds = 0;
    for (size_t i = 0; i < sv->nconns; i++) {
	struct conn *c = sv->conns[i];
	if (c->sync_fd < 0)
	    continue;
	if (cm->nfds == cm->cap) {
	    cm->cap = cm->cap ? 2 * cm->cap : 32;
	    cm->fds = xrealloc(cm->fds, cm->cap * sizeof(*cm->fds));
	}
	cm->fds[cm->nfds++] = c->sync_fd;
	c->syncing = 1;
    }
    if (cm->nfds == 0)
	return;
    pthread_mutex_lock(&cm->lock);
    cm->busy = 1;
    cm->finished = 0;
    pthread_cond_signal(&cm->cond);
    pthread_mutex_unlock(&cm->lock);
}

/* refuse_queued - a 451 in place of the session's "250 2.0.0 Ok: queued" */
static void refuse_queued(struct conn *c)
{
    char *ok = c->out.s ? strstr(c->out.s + c->out_off, "250 2.0.0 Ok:") : NULL;

    if (ok == NULL)
	return;
    char *eol = strstr(ok, "\r\n");
    struct strbuf rest = STRBUF_INIT;
    sb_adds(&rest, eol ? eol + 2 : "");
    sb_truncate(&c->out, (size_t) (ok - c->out.s));
    sb_adds(&c->out, "451 4.3.0 Error: queue file write error\r\n");
    sb_addn(&c->out, rest.s ? rest.s : "", rest.len);
    sb_free(&rest);
}

/* commit_collect - the committer finished its batch: answer its sessions */
static void commit_collect(struct server *sv)
{
    struct committer *cm = sv->committer;
    char buf[16];

    while (read(cm->done[0], buf, sizeof(buf)) > 0)
	continue;
    pthread_mutex_lock(&cm->lock);
    int finished = cm->busy && cm->finished, failed = cm->failed;
    errno = cm->err;
    pthread_mutex_unlock(&cm->lock);
    if (!finished)
	return;
    if (failed)
	pfcd_log("smtpd", "warning: %s queue: %m", cm->nfds == 1 ? "fsync" : "syncfs");
    for (size_t i = 0; i < sv->nconns; i++) {
	struct conn *c = sv->conns[i];
	if (!c->syncing)
	    continue;
	if (failed)
	    refuse_queued(c);
	close(c->sync_fd);
	c->sync_fd = -1;
	c->syncing = 0;
    }
    cm->busy = 0;
    if (!failed && sv->cfg->wake_fd >= 0) {
	ssize_t w = write(sv->cfg->wake_fd, "m", 1);
	(void) w;		/* a full pipe already says "look" */
    }
}

/* reload - SIGHUP: img, the image again (verified), serves new sessions */
static void reload(struct server *sv, struct image *img)
{
    struct image_ref *ir = xcalloc(1, sizeof(*ir));
    ir->img = img;
    ir->refs = 1;
    struct view **views = xcalloc(sv->cfg->nlisteners, sizeof(*views));
    for (size_t i = 0; i < sv->cfg->nlisteners; i++) {
	if ((views[i] = view_open(ir, sv->cfg->listeners[i].service, sv->cfg->queue_dir)) == NULL) {
	    pfcd_log("master", "warning: reload refused, the old image keeps serving: "
		     "service %s does not start with it", sv->cfg->listeners[i].service);
	    for (size_t j = 0; j < i; j++)
		view_release(views[j]);
	    free(views);
	    if (--ir->refs == 0) {
		image_close(ir->img);
		free(ir);
	    }
	    return;
	}
    }
    for (size_t i = 0; i < sv->cfg->nlisteners; i++) {
	view_release(sv->views[i]);
	sv->views[i] = views[i];
    }
    free(views);
    if (--sv->image->refs == 0) {
	image_close(sv->image->img);
	free(sv->image);
    }
    sv->image = ir;
    pfcd_log("master", "reload -- image %s", sv->cfg->image_path);
}

int smtp_server_run(const struct smtp_server_config *cfg, struct image *img)
{
    struct server sv = { 0 };

    service_signal_init();
    signal(SIGPIPE, SIG_IGN);

    sv.cfg = cfg;
    sv.image = xcalloc(1, sizeof(*sv.image));
    sv.image->img = img;
    sv.image->refs = 1;
    sv.views = xcalloc(cfg->nlisteners, sizeof(*sv.views));
    sv.active = xcalloc(cfg->nlisteners, sizeof(*sv.active));
    for (size_t i = 0; i < cfg->nlisteners; i++)
	if ((sv.views[i] = view_open(sv.image, cfg->listeners[i].service, cfg->queue_dir)) == NULL)
	    return 1;
    char *incoming = xconcat(cfg->queue_dir, "/" QUEUE_INCOMING, (char *) NULL);
    if (access(incoming, W_OK | X_OK) < 0) {
	pfcd_log("smtpd", "fatal: queue directory %s is not writable by mail_owner: %m"
		 " (each directory above it must be searchable by mail_owner)", incoming);
	free(incoming);
	return 1;
    }
    free(incoming);
    struct committer committer;
    if (committer_start(&committer, cfg->queue_dir) < 0) {
	pfcd_log("smtpd", "fatal: start the queue file committer: %m");
	return 1;
    }
    sv.committer = &committer;
    /* Serving from here on: pfcd starts the rest of its processes. */
    if (cfg->ready_fd >= 0)
	close(cfg->ready_fd);
    /*
     * Each pass's log lines with one write (flushed below, and at the
     * end): write(2), most of it log lines, was 9% of this process's time.
     */
    pfcd_log_hold();

    struct pollfd *pfd = NULL;
    size_t pcap = 0;
    /* pfd: the listeners, the committer's pipe, then one per session */
    const size_t first_conn = cfg->nlisteners + 1;
    while (!(service_stopping() && sv.nconns == 0)) {
	struct image *nimg = service_reload("master", cfg->image_path);
	if (nimg != NULL)
	    reload(&sv, nimg);
	if (service_stopping() && !sv.draining) {
	    /* Stop accepting; end the sessions as smtpd does on shutdown. */
	    sv.draining = 1;
	    for (size_t i = 0; i < cfg->nlisteners; i++)
		close(cfg->listeners[i].fd);
	    for (size_t i = 0; i < sv.nconns; i++) {
		struct conn *c = sv.conns[i];
		if (!c->hungup) {
		    sb_printf(&c->out, "421 4.3.2 %s Service shutting down, closing transmission channel\r\n",
			      policy_value(&c->view->policy, "myhostname"));
		    c->hungup = 1;
		}
	    }
	}
	time_t now = time(NULL);
	size_t need = first_conn + sv.nconns;
	if (need > pcap) {
	    pcap = need * 2;
	    pfd = xrealloc(pfd, pcap * sizeof(*pfd));
	}
	size_t np = 0;
	for (size_t i = 0; i < cfg->nlisteners; i++) {
	    pfd[np].fd = sv.draining || sv.active[i] >= sv.views[i]->maxproc ? -1
		: cfg->listeners[i].fd;
	    pfd[np].events = POLLIN;
	    pfd[np++].revents = 0;
	}
	pfd[np].fd = committer.done[0];
	pfd[np].events = POLLIN;
	pfd[np++].revents = 0;
	long wait_ms = 1000;
	for (size_t i = 0; i < sv.nconns; i++) {
	    struct conn *c = sv.conns[i];
	    short ev = 0;
	    if (c->sync_fd >= 0) {
		/* Its message waits for the committer: nothing in or out until then. */
		pfd[np].fd = -1;
		pfd[np].events = 0;
		pfd[np++].revents = 0;
		continue;
	    }
	    if (c->hold_until > now) {
		long ms = (long) (c->hold_until - now) * 1000;
		if (ms < wait_ms)
		    wait_ms = ms;
	    } else {
		/*
		 * A client that sends without reading (a pipelining flood)
		 * is not read further while its replies pile up: smtpd
		 * blocks in write() there, and memory stays bounded.
		 */
		if (!c->hungup && c->out.len - c->out_off < OUTPUT_BACKLOG_MAX)
		    ev |= POLLIN;
		if (c->out_off < c->out.len)
		    ev |= POLLOUT;
		long ms = (long) (c->deadline - now) * 1000;
		if (ms < wait_ms)
		    wait_ms = ms < 0 ? 0 : ms;
	    }
	    pfd[np].fd = c->fd;
	    pfd[np].events = ev;
	    pfd[np++].revents = 0;
	}
	pfcd_log_flush();
	int rc = poll(pfd, np, (int) wait_ms);
	if (rc < 0 && errno != EINTR)
	    break;
	now = time(NULL);
	if (rc > 0 && (pfd[cfg->nlisteners].revents & POLLIN))
	    commit_collect(&sv);
	size_t nconns_before = sv.nconns;
	/* Input first, for every session: the round's messages are committed together. */
	for (size_t i = 0; i < nconns_before; i++) {
	    struct conn *c = sv.conns[i];
	    short re = pfd[first_conn + i].revents;
	    if (c->hold_until > now || c->sync_fd >= 0)
		continue;
	    if (re & (POLLIN | POLLHUP | POLLERR))
		read_input(c);
	    else if (!c->hungup && now >= c->deadline && c->ss) {
		smtpd_session_timeout(c->ss);
		take_output(c);
	    }
	}
	commit_hand_over(&sv);
	/* The lines of what was read before its replies go (a client that has its reply sees them logged). */
	pfcd_log_flush();
	for (size_t i = 0; i < sv.nconns;) {
	    struct conn *c = sv.conns[i];
	    if (c->sync_fd < 0 && c->hold_until <= now && c->out_off < c->out.len)
		write_output(c);
	    if (c->hungup && c->out_off >= c->out.len && c->sync_fd < 0)
		drop_conn(&sv, i);
	    else
		i++;
	}
	size_t accepted = sv.nconns;
	if (rc > 0)
	    for (size_t i = 0; i < cfg->nlisteners; i++)
		if (pfd[i].fd >= 0 && (pfd[i].revents & POLLIN))
		    for (int k = 0; k < 16 && sv.active[i] < sv.views[i]->maxproc; k++) {
			size_t before = sv.nconns;
			accept_one(&sv, i);
			if (sv.nconns == before)
			    break;
		    }
	/* The new sessions' greetings, their "connect from" lines first. */
	pfcd_log_flush();
	for (size_t i = accepted; i < sv.nconns; i++)
	    write_output(sv.conns[i]);
    }
    committer_stop(&committer);
    pfcd_log_flush();
    free(pfd);
    for (size_t i = 0; i < cfg->nlisteners; i++)
	view_release(sv.views[i]);
    if (--sv.image->refs == 0) {
	image_close(sv.image->img);
	free(sv.image);
    }
    free(sv.views);
    free(sv.active);
    free(sv.conns);
    accounts_put(sv.accounts);
    free(sv.peers);
    return 0;
}
