/*
 * local-driver - runs pfcd's local delivery (runtime/local) on one
 * message from standard input, and stands in for the rest of the mail
 * system the way the e2e tests need it: the queue manager (each
 * recipient resolved, a local(8)-type service delivering it), the
 * queue (a forwarded message is delivered in turn), bounce(8) (a
 * non-delivery report, built by dsn_report_write(), goes to the sender
 * and is delivered too; success reports for NOTIFY=SUCCESS) and cleanup
 * (the Message-Id: of a notice). It prints one log line per delivery
 * attempt, as Postfix's maillog has them without the date and delays:
 *
 *   QUEUEID: to=<bob@example.com>, relay=local, dsn=2.0.0, status=sent (delivered to mailbox)
 *   QUEUEID: sender non-delivery notification: NEWID
 *
 * Linked from runtime/ and lib/ alone, as pfcd is. Not a test itself:
 * tests/e2e/local-*.sh run it (as root, with real users).
 *
 * usage: local-driver [--root DIR] [-i QUEUEID] [-f SENDER] [-o ORIG]
 *                     [-N NOTIFY] [-O ORCPT] [-R FULL|HDRS] [-E ENVID]
 *                     [-C NAME,ADDR,HELO,PROTO] IMAGE RCPT... < MESSAGE
 *
 * NOTIFY is Postfix's mask (1 NEVER, 2 SUCCESS, 4 FAILURE, 8 DELAY).
 * Exit 0, or 2 on a usage error or an image that does not open.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "diag.h"
#include "dsn_report.h"
#include "fdio.h"
#include "image_host.h"
#include "loader.h"
#include "local.h"
#include "policy.h"
#include "resolve.h"
#include "session.h"
#include "strbuf.h"
#include "sysroot.h"
#include "xalloc.h"

#define MAX_MESSAGES 200	/* a forwarding loop ends here */

struct qrcpt {
    char *address, *orig, *orcpt;
    int notify;
};

/* A queued message: its content in an unlinked temporary file. */
struct qmsg {
    char id[32];
    char *sender;
    int fd;
    off_t length;
    time_t arrival;
    char *envid;
    int ret;
    struct qrcpt *rcpts;
    size_t nrcpts;
    struct qmsg *next;
    char *client[4];
};

static struct qmsg *queue_head, **queue_tail = &queue_head;
static unsigned long next_id = 0x10001;
static const struct image *img;
static struct policy main_view;
static struct session session;
static struct image_host host;
static int messages;

/* The local(8)-type services, opened when first used. */
static struct agent_slot {
    char *service;
    struct local_agent *agent;
} agents[32];
static size_t nagents;

static char *param(const char *name)
{
    const struct img_setting *s = policy_setting(&main_view, name);
    char *err = NULL, *value;

    if (s == NULL)
	return xstrdup("");
    if ((value = image_setting_value(img, s, &host, &err)) == NULL) {
	free(err);
	return xstrdup(image_str(img, s->expanded));
    }
    return value;
}

static int temp_file(void)
{
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    char *path = xconcat(dir, "/local-driver.XXXXXX", (char *) NULL);
    int fd = mkstemp(path);

    if (fd < 0) {
	fprintf(stderr, "local-driver: mkstemp %s: %s\n", path, strerror(errno));
	exit(2);
    }
    unlink(path);
    free(path);
    return fd;
}

static struct qmsg *new_message(const char *sender)
{
    struct qmsg *m = xcalloc(1, sizeof(*m));

    snprintf(m->id, sizeof(m->id), "%05lX%06lX", next_id & 0xfffff, next_id * 7919 & 0xffffff);
    next_id++;
    m->sender = xstrdup(sender);
    m->fd = temp_file();
    m->arrival = time(NULL);
    m->envid = xstrdup("");
    return m;
}

static void add_rcpt(struct qmsg *m, const char *address, const char *orig, const char *orcpt,
		     int notify)
{
    m->rcpts = xrealloc(m->rcpts, (m->nrcpts + 1) * sizeof(*m->rcpts));
    struct qrcpt *r = &m->rcpts[m->nrcpts++];
    r->address = xstrdup(address);
    /* cleanup: a recipient without an original one is its own. */
    r->orig = xstrdup(orig && *orig ? orig : address);
    /* cleanup: no ORCPT given, "rfc822;" and the address. */
    r->orcpt = orcpt && *orcpt ? xstrdup(orcpt) : xconcat("rfc822;", address, (char *) NULL);
    r->notify = notify;
}

static void enqueue(struct qmsg *m)
{
    *queue_tail = m;
    queue_tail = &m->next;
}

static void free_message(struct qmsg *m)
{
    close(m->fd);
    free(m->sender);
    free(m->envid);
    for (size_t i = 0; i < m->nrcpts; i++) {
	free(m->rcpts[i].address);
	free(m->rcpts[i].orig);
	free(m->rcpts[i].orcpt);
    }
    free(m->rcpts);
    for (int i = 0; i < 4; i++)
	free(m->client[i]);
    free(m);
}

/* ------------------------------------------------------------ the forward hook */

static void *fw_open(void *ctx, const struct local_message *msg, const char *sender,
		     const char **queue_id, struct strbuf *why)
{
    struct qmsg *m = new_message(sender);

    (void) ctx;
    (void) why;
    free(m->envid);
    m->envid = xstrdup(msg->dsn_envid);
    m->ret = msg->dsn_ret;
    *queue_id = m->id;
    return m;
}

static int fw_rcpt(void *handle, const struct local_rcpt *rcpt)
{
    add_rcpt(handle, rcpt->address, rcpt->orig_addr, rcpt->dsn_orcpt, rcpt->dsn_notify);
    return 0;
}

static int fw_write(void *handle, const char *data, size_t len)
{
    struct qmsg *m = handle;

    if (fd_write_all(m->fd, data, len) < 0)
	return -1;
    m->length += (off_t) len;
    return 0;
}

static int fw_close(void *handle, int commit, struct strbuf *why)
{
    (void) why;
    if (commit)
	enqueue(handle);
    else
	free_message(handle);
    return 0;
}

static const struct local_forward_ops forward_ops = { fw_open, fw_rcpt, fw_write, fw_close };

/* ------------------------------------------------------------ delivery */

/* agent_for - the agent of a local(8)-type master.cf service, or NULL */
static struct local_agent *agent_for(const char *service)
{
    for (size_t i = 0; i < nagents; i++)
	if (strcmp(agents[i].service, service) == 0)
	    return agents[i].agent;
    for (uint32_t i = 0; i < img->nservices; i++) {
	const struct img_service *s = &img->services[i];
	const char *command = image_str(img, s->command);
	if (strcmp(image_str(img, s->name), service) != 0
	    || strncmp(command, "local", 5) != 0 || (command[5] != 0 && command[5] != ' '))
	    continue;
	char *err = NULL;
	struct local_agent *agent = local_agent_open(img, service, &err);
	if (agent == NULL) {
	    fprintf(stderr, "local-driver: %s: %s\n", service, err);
	    free(err);
	    exit(2);
	}
	if (nagents < sizeof(agents) / sizeof(agents[0])) {
	    agents[nagents].service = xstrdup(service);
	    agents[nagents++].agent = agent;
	}
	return agent;
    }
    return NULL;
}

/* notify - a failure or success report about m for rcpts, queued */
static void notify(struct qmsg *m, enum dsn_report_kind kind, const char *to,
		   struct dsn_report_rcpt *rcpts, size_t n)
{
    struct dsn_report_conf conf;
    char *myhostname = param("myhostname"), *myorigin = param("myorigin");
    char *mail_name = param("mail_name");
    struct qmsg *notice = new_message("");
    struct strbuf out = STRBUF_INIT;
    time_t now = time(NULL);

    conf.myhostname = myhostname;
    conf.myorigin = myorigin;
    conf.mail_name = mail_name;
    conf.smtputf8_enable = policy_bool(&main_view, "smtputf8_enable");
    conf.bounce_size_limit = policy_int(&main_view, "bounce_size_limit", 50000);
    conf.threaded = policy_bool(&main_view, "enable_threaded_bounces");
    conf.delay_warning_time = policy_time(&main_view, "delay_warning_time", 'h', 0);
    conf.maximal_queue_lifetime = policy_time(&main_view, "maximal_queue_lifetime", 'd', 432000);

    /* Postfix's size: the content with CRLF line ends. */
    long size = (long) m->length;
    char buf[65536];
    ssize_t got;
    for (off_t pos = 0; (got = pread(m->fd, buf, sizeof(buf), pos)) > 0; pos += got)
	for (ssize_t i = 0; i < got; i++)
	    size += buf[i] == '\n';
    struct dsn_report_msg msg = { m->id, m->sender, m->arrival, size, "", 0, m->envid,
	m->fd, 0, m->length };

    dsn_report_write(&out, &conf, kind, 0, to, m->ret, notice->id, now, &msg, rcpts, n);
    /* cleanup: a Message-Id: at the end of the headers. */
    char *end = strstr(out.s, "\n\n");
    struct tm tm;
    char date[32];
    strftime(date, sizeof(date), "%Y%m%d%H%M%S", localtime_r(&now, &tm));
    struct strbuf final = STRBUF_INIT;
    sb_addn(&final, out.s, (size_t) (end + 1 - out.s));
    sb_printf(&final, "Message-Id: <%s.%s@%s>\n", date, notice->id, myhostname);
    sb_adds(&final, end + 1);
    fd_write_all(notice->fd, final.s, final.len);
    notice->length = (off_t) final.len;
    add_rcpt(notice, to, to, "", 0);
    printf("%s: sender %s notification: %s\n", m->id,
	   kind == DSN_REPORT_SUCCESS ? "delivery status" : "non-delivery", notice->id);
    enqueue(notice);
    sb_free(&out);
    sb_free(&final);
    free(myhostname);
    free(myorigin);
    free(mail_name);
}

static void deliver_message(struct qmsg *m)
{
    struct local_message msg = {
	.queue_id = m->id, .sender = m->sender, .fd = m->fd, .offset = 0,
	.length = m->length, .arrival = m->arrival, .encoding = "",
	.dsn_envid = m->envid, .dsn_ret = m->ret,
	.client_name = m->client[0] ? m->client[0] : "",
	.client_addr = m->client[1] ? m->client[1] : "",
	.client_helo = m->client[2] ? m->client[2] : "",
	.client_proto = m->client[3] ? m->client[3] : "",
	.sasl_method = "", .sasl_username = "", .sasl_sender = "",
    };
    struct dsn_report_rcpt *failed = NULL, *success = NULL;
    size_t nfailed = 0, nsuccess = 0;
    struct local_report *rep = xcalloc(m->nrcpts + 1, sizeof(*rep));
    size_t nrep = 0;
    struct strbuf *texts = xcalloc(m->nrcpts * 8 + 1, sizeof(*texts));
    size_t ntexts = 0;

    for (size_t i = 0; i < m->nrcpts; i++) {
	struct qrcpt *r = &m->rcpts[i];
	struct resolve_reply reply;
	resolve_reply_init(&reply);
	resolve_query(&session, m->sender, r->address, &reply);
	struct local_agent *agent = agent_for(sb_str(&reply.transport));
	if (agent == NULL) {
	    printf("%s: to=<%s>, relay=none, dsn=4.3.0, status=deferred "
		   "(local-driver: transport %s is not emulated)\n", m->id, r->address,
		   sb_str(&reply.transport));
	    resolve_reply_free(&reply);
	    continue;
	}
	resolve_reply_free(&reply);
	struct local_rcpt rcpt = { r->address, r->orig, r->orcpt, r->notify };
	struct local_report *report = &rep[nrep++];
	memset(report, 0, sizeof(*report));
	local_deliver_rcpt(agent, &msg, &rcpt, &forward_ops, NULL, report);
	for (size_t k = 0; k < report->count; k++) {
	    struct local_result *res = &report->results[k];
	    struct strbuf line = STRBUF_INIT;
	    local_log_text(&line, agent, res, NULL);
	    if (line.len > 0)
		printf("%s: %s\n", m->id, sb_str(&line));
	    sb_free(&line);
	    struct dsn_report_rcpt d = { res->address, res->orig_addr, res->dsn_orcpt, res->dsn,
		res->dsn_action, res->text, res->diag_text ? "x-unix" : NULL, res->diag_text,
		NULL, NULL };
	    if (res->action == LOCAL_BOUNCED && res->notify_to != NULL) {
		/* An owner- alias takes this bounce, now, alone. */
		notify(m, DSN_REPORT_FAILURE, res->notify_to, &d, 1);
	    } else if (res->action == LOCAL_BOUNCED
		       && (res->dsn_notify == 0 || (res->dsn_notify & LOCAL_NOTIFY_FAILURE))) {
		failed = xrealloc(failed, (nfailed + 1) * sizeof(*failed));
		failed[nfailed++] = d;
	    } else if ((res->action == LOCAL_SENT || res->action == LOCAL_EXPANDED)
		       && (res->dsn_notify & LOCAL_NOTIFY_SUCCESS)) {
		if (ntexts == m->nrcpts * 8)
		    continue;
		struct strbuf *text = &texts[ntexts++];
		*text = (struct strbuf) STRBUF_INIT;
		if (res->action == LOCAL_SENT)
		    sb_printf(text, "delivery via %s: %s", local_agent_service(agent), res->text);
		else
		    sb_adds(text, res->text);
		d.reason = sb_str(text);
		success = xrealloc(success, (nsuccess + 1) * sizeof(*success));
		success[nsuccess++] = d;
	    }
	}
    }
    /* A bounce of a bounce goes nowhere (notify_classes has no bounce, 2bounce). */
    if (nfailed > 0 && *m->sender)
	notify(m, DSN_REPORT_FAILURE, m->sender, failed, nfailed);
    if (nsuccess > 0 && *m->sender)
	notify(m, DSN_REPORT_SUCCESS, m->sender, success, nsuccess);
    free(failed);
    free(success);
    for (size_t i = 0; i < nrep; i++)
	local_report_free(&rep[i]);
    for (size_t i = 0; i < ntexts; i++)
	sb_free(&texts[i]);
    free(rep);
    free(texts);
}

/* Warnings go to the log, as local(8)'s do. */
static void log_warning(void *ctx, const char *message)
{
    (void) ctx;
    printf("warning: %s\n", message);
}

static void usage(void)
{
    fprintf(stderr, "usage: local-driver [--root DIR] [-i QUEUEID] [-f SENDER] [-o ORIG] "
	    "[-N NOTIFY] [-O ORCPT] [-R FULL|HDRS] [-E ENVID] [-C NAME,ADDR,HELO,PROTO] "
	    "IMAGE RCPT... < MESSAGE\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *sender = "", *orig = NULL, *orcpt = "", *id = NULL, *envid = "", *client = NULL;
    int notify = 0, ret = 0, opt;
    struct image *image;
    char *err = NULL;

    if ((argc = sysroot_take_option(argc, argv)) < 0)
	usage();
    diag_set_warning_hook(log_warning, NULL);
    while ((opt = getopt(argc, argv, "i:f:o:N:O:R:E:C:")) != -1) {
	switch (opt) {
	case 'i': id = optarg; break;
	case 'f': sender = optarg; break;
	case 'o': orig = optarg; break;
	case 'N': notify = atoi(optarg); break;
	case 'O': orcpt = optarg; break;
	case 'R': ret = strcmp(optarg, "HDRS") == 0 ? LOCAL_RET_HDRS : LOCAL_RET_FULL; break;
	case 'E': envid = optarg; break;
	case 'C': client = optarg; break;
	default: usage();
	}
    }
    if (argc - optind < 2)
	usage();
    if (image_open(argv[optind], &image, &err) != IMAGE_OK) {
	fprintf(stderr, "local-driver: %s\n", err);
	return 2;
    }
    img = image;
    policy_open_main(&main_view, img);
    session_init(&session, &main_view);
    image_host_init(&host, "local-driver", (long) getpid());

    struct qmsg *m = new_message(sender);
    if (id != NULL)
	snprintf(m->id, sizeof(m->id), "%s", id);
    free(m->envid);
    m->envid = xstrdup(envid);
    m->ret = ret;
    if (client != NULL) {
	char *copy = xstrdup(client), *save = copy;
	for (int i = 0; i < 4; i++) {
	    char *comma = strchr(save, ',');
	    if (comma)
		*comma = 0;
	    m->client[i] = xstrdup(save);
	    save = comma ? comma + 1 : save + strlen(save);
	}
	free(copy);
    }
    char buf[65536];
    ssize_t n;
    while ((n = read(0, buf, sizeof(buf))) > 0) {
	fd_write_all(m->fd, buf, (size_t) n);
	m->length += n;
    }
    for (int i = optind + 1; i < argc; i++)
	add_rcpt(m, argv[i], orig ? orig : argv[i], orcpt, notify);
    enqueue(m);

    /* The queue manager: each message in turn, what it makes after it. */
    while (queue_head != NULL && messages++ < MAX_MESSAGES) {
	struct qmsg *next = queue_head;
	if ((queue_head = next->next) == NULL)
	    queue_tail = &queue_head;
	deliver_message(next);
	fflush(stdout);
	free_message(next);
    }
    for (size_t i = 0; i < nagents; i++) {
	local_agent_close(agents[i].agent);
	free(agents[i].service);
    }
    session_free(&session);
    policy_close(&main_view);
    image_host_free(&host);
    image_close(image);
    return 0;
}
