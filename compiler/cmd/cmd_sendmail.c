/*
 * cmd_sendmail - pfc sendmail: Postfix's sendmail(1) for pfcd. It runs as
 * the user who submits, reads the message (or, with -bs, an SMTP session
 * on standard input through the smtpd_session engine, in smtpd's
 * stand-alone mode), and hands one maildrop file (maildrop.h) to
 * pfc-postdrop, the set-group-id helper that puts it in
 * queue_directory/maildrop on stable storage. pfcd's pickup does the rest.
 * Invoked as "sendmail" or "mailq" (a link to pfc), it behaves as
 * Postfix's command of that name: options as Postfix's (-t -i -oi -f -F -N
 * -bm -bs -bp -q; -oX and unknown -bX/-X forms as Postfix treats them),
 * the same messages and exit codes.
 */
#ifdef HAVE_CONFIG_H
#include "build_config.h"
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "addr822.h"
#include "cleanup_msg.h"
#include "commands.h"
#include "engine.h"
#include "fdio.h"
#include "loader.h"
#include "maildrop.h"
#include "matchlist.h"
#include "policy.h"
#include "queue_file.h"
#include "session.h"
#include "smtpd_session.h"
#include "strbuf.h"
#include "sysroot.h"
#include "xalloc.h"

#ifndef PFC_POSTDROP_PATH
#define PFC_POSTDROP_PATH "/usr/local/libexec/pfc/pfc-postdrop"
#endif

static const char *prog = "sendmail";

/* say - "sendmail: LEVEL: text", as Postfix's msg_vstream prints it */
static void say(const char *level, const char *fmt, va_list ap)
{
    fprintf(stderr, "%s: %s: ", prog, level);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
}

/*
 * fatal - Postfix's msg_fatal_status() in sendmail: its exit handler
 * turns every fatal error into EX_TEMPFAIL (75), whatever status was
 * asked for; pfc's sendmail does the same, so scripts see what they saw.
 */
static void __attribute__((noreturn, format(printf, 1, 2))) fatal(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    say("fatal", fmt, ap);
    va_end(ap);
    exit(EX_TEMPFAIL);
}

static void __attribute__((format(printf, 1, 2))) warning(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    say("warning", fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------ pfc-postdrop */

/*
 * A pfc-postdrop child: it names the file first (its queue ID, as
 * Postfix's postdrop reports it at once), then takes the bytes; closing
 * its input before they are complete makes it remove the file.
 */
struct drop {
    pid_t pid;
    int to;			/* its standard input */
    char id[32];
};

static const char *postdrop_path(void)
{
    const char *p = getenv("PFC_POSTDROP");

    return p && *p ? p : PFC_POSTDROP_PATH;
}

/* drop_start - run pfc-postdrop for queue_dir; 0, or -1 (it said why on stderr) */
static int drop_start(struct drop *d, const char *queue_dir)
{
    int in[2], out[2];
    const char *helper = postdrop_path();

    memset(d, 0, sizeof(*d));
    d->to = -1;
    if (pipe2(in, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0)
	fatal("pipe: %s", strerror(errno));
    fflush(stdout);
    if ((d->pid = fork()) < 0)
	fatal("fork: %s", strerror(errno));
    if (d->pid == 0) {
	dup2(in[0], 0);
	dup2(out[1], 1);
	execl(helper, "pfc-postdrop", queue_dir, (char *) NULL);
	fprintf(stderr, "%s: fatal: unable to execute %s: %s\n", prog, helper, strerror(errno));
	_exit(EX_TEMPFAIL);
    }
    close(in[0]);
    close(out[1]);
    d->to = in[1];
    size_t n = 0;
    char c;
    while (n + 1 < sizeof(d->id) && read(out[0], &c, 1) == 1 && c != '\n')
	d->id[n++] = c;
    d->id[n] = 0;
    close(out[0]);
    if (n == 0) {
	close(d->to);
	d->to = -1;
	waitpid(d->pid, NULL, 0);
	d->pid = 0;
	return -1;
    }
    return 0;
}

/* drop_finish - the file's bytes to pfc-postdrop; 0 when it is queued */
static int drop_finish(struct drop *d, const char *data, size_t len)
{
    int status = -1;

    int written = fd_write_all(d->to, data, len) == 0;
    close(d->to);
    d->to = -1;
    while (waitpid(d->pid, &status, 0) < 0 && errno == EINTR)
	;
    d->pid = 0;
    return written && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

/* drop_abort - no message after all: pfc-postdrop removes its file */
static void drop_abort(struct drop *d)
{
    if (d->pid <= 0)
	return;
    close(d->to);
    d->to = -1;
    waitpid(d->pid, NULL, 0);
    d->pid = 0;
}

/* ------------------------------------------------------------ who submits */

/* login_name - the user's login name (Postfix's username()) */
static const char *login_name(void)
{
    struct passwd *pw = getpwuid(getuid());

    if (pw == NULL)
	fatal("no login name found for user ID %lu", (unsigned long) getuid());
    return pw->pw_name;
}

/*
 * full_name - Postfix's fullname(): $NAME, else the GECOS field up to
 * its first ',', ';' or '%', each '&' the login name capitalized. NULL:
 * none. A new string.
 */
static char *full_name(void)
{
    const char *env = getenv("NAME");
    struct passwd *pw;

    if (env != NULL)
	return xstrdup(env);
    if ((pw = getpwuid(getuid())) == NULL || pw->pw_gecos == NULL)
	return NULL;
    struct strbuf out = STRBUF_INIT;
    for (const char *cp = pw->pw_gecos; *cp && !strchr(",;%", *cp); cp++) {
	if (*cp != '&')
	    sb_addch(&out, *cp);
	else if (pw->pw_name[0]) {
	    sb_addch(&out, (char) (pw->pw_name[0] >= 'a' && pw->pw_name[0] <= 'z'
				  ? pw->pw_name[0] - 'a' + 'A' : pw->pw_name[0]));
	    sb_adds(&out, pw->pw_name + 1);
	}
    }
    if (out.len == 0) {
	sb_free(&out);
	return NULL;
    }
    return sb_detach(&out);
}

/* add_addresses - each address of an RFC 822 address list, internalized, to list */
static size_t add_addresses(struct maildrop *md, const char *text, int notify)
{
    struct a822 a;
    struct strbuf buf = STRBUF_INIT;
    size_t n = 0;

    a822_init(&a);
    for (int32_t tp = a822_parse(&a, text); tp != A822_NONE; tp = a.tok[tp].next)
	if (a.tok[tp].type == A822_ADDR) {
	    sb_set(&buf, "");
	    a822_internalize(&a, &buf, a.tok[tp].head);
	    maildrop_add_rcpt(md, sb_str(&buf), notify);
	    n++;
	}
    sb_free(&buf);
    a822_free(&a);
    return n;
}

/*
 * extract_recipients - sendmail -t: the addresses of the primary To, Cc
 * and Bcc headers; once a Resent-To, -Cc or -Bcc is seen, those alone
 * (Postfix's HDR_OPT_EXTRACT and HDR_OPT_RR).
 */
static void extract_recipients(struct maildrop *md, const char *msg, size_t len, int notify)
{
    struct maildrop normal, resent;
    int is_resent = 0;
    size_t pos = 0;

    maildrop_init(&normal);
    maildrop_init(&resent);
    while (pos < len) {
	const char *line = msg + pos;
	size_t name_len = 0;
	while (pos + name_len < len && line[name_len] != ':' && line[name_len] > ' '
	       && line[name_len] < 127)
	    name_len++;
	if (name_len == 0 || pos + name_len >= len || line[name_len] != ':')
	    break;		/* the empty line, or the body */
	/* The logical header: the line and its continuation lines. */
	size_t end = pos;
	do {
	    const char *nl = memchr(msg + end, '\n', len - end);
	    end = nl ? (size_t) (nl - msg) + 1 : len;
	} while (end < len && (msg[end] == ' ' || msg[end] == '\t'));
	static const char *const names[] = { "To", "Cc", "Bcc", "Resent-To", "Resent-Cc",
	    "Resent-Bcc"
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
	    if (strlen(names[i]) != name_len || strncasecmp(line, names[i], name_len) != 0)
		continue;
	    int rr = i >= 3;
	    if (is_resent && !rr)
		break;
	    is_resent |= rr;
	    char *value = xstrndup(line + name_len + 1, end - pos - name_len - 1);
	    add_addresses(rr ? &resent : &normal, value, notify);
	    free(value);
	}
	pos = end;
    }
    struct maildrop *from = is_resent ? &resent : &normal;
    for (size_t i = 0; i < from->nrcpts; i++)
	maildrop_add_rcpt(md, from->rcpts[i].address, notify);
    maildrop_free(&normal);
    maildrop_free(&resent);
}

/* ------------------------------------------------------------ the modes */

struct options {
    const char *sender;		/* -f, -r */
    const char *full_name;	/* -F */
    int extract;		/* -t */
    int dot_ends;		/* a "." line ends the input, unless -i or -oi */
    int notify;			/* -N */
    const char *image_path;
};

/* read_message - standard input as sendmail reads it: leading From_ lines out, CRs per policy */
static void read_message(const struct options *o, const char *fix_eol, struct strbuf *out)
{
    struct strbuf in = STRBUF_INIT;
    char buf[65536];
    size_t n;

    while ((n = fread(buf, 1, sizeof(buf), stdin)) > 0)
	sb_addn(&in, buf, n);
    if (ferror(stdin))
	fatal("error reading input: %s", strerror(errno));
    /* sendmail_fix_line_endings: always strips, strict decides by the first line. */
    int strip = strcmp(fix_eol, "always") == 0 ? 1 : strcmp(fix_eol, "never") == 0 ? 0 : -1;
    int skip_from = 1;
    for (size_t pos = 0; pos < in.len;) {
	const char *line = in.s + pos;
	const char *nl = memchr(line, '\n', in.len - pos);
	size_t len = nl ? (size_t) (nl - line) : in.len - pos;
	pos += len + (nl != NULL);
	if (strip < 0)
	    strip = len > 0 && line[len - 1] == '\r';
	if (skip_from) {
	    size_t gt = 0;
	    while (gt < len && line[gt] == '>')
		gt++;
	    if (len - gt >= 5 && strncmp(line + gt, "From ", 5) == 0)
		continue;
	    skip_from = 0;
	}
	if (strip)
	    while (len > 0 && line[len - 1] == '\r')
		len--;
	if (o->dot_ends && len == 1 && line[0] == '.')
	    break;
	sb_addn(out, line, len);
	sb_addch(out, '\n');
    }
    sb_free(&in);
}

/* enqueue - the message on standard input, to the maildrop */
static int enqueue(const struct options *o, const struct policy *p, const char *queue_dir,
		   char **rcpts)
{
    struct maildrop md;
    struct strbuf buf = STRBUF_INIT;
    long uid = (long) getuid();

    maildrop_init(&md);
    if (o->sender != NULL) {
	struct a822 a;
	int naddr = 0;

	a822_init(&a);
	sb_set(&buf, "");
	for (int32_t tp = a822_parse(&a, o->sender); tp != A822_NONE; tp = a.tok[tp].next)
	    if (a.tok[tp].type == A822_ADDR && naddr++ == 0)
		a822_internalize(&a, &buf, a.tok[tp].head);
	a822_free(&a);
	md.sender = sb_detach(&buf);
	if (naddr > 1)
	    warning("-f option specified malformed sender: %s", o->sender);
    } else {
	md.sender = xstrdup(login_name());
    }
    md.full_name = o->full_name ? xstrdup(o->full_name) : full_name();
    /* Each argument is an address list, as MUAs give them; one without an address counts. */
    for (char **cp = rcpts; *cp; cp++)
	if (add_addresses(&md, *cp, o->notify) == 0)
	    maildrop_add_rcpt(&md, "", o->notify);

    struct strbuf msg = STRBUF_INIT;
    read_message(o, policy_value(p, "sendmail_fix_line_endings"), &msg);
    if (o->extract)
	extract_recipients(&md, msg.s ? msg.s : "", msg.len, o->notify);
    if (md.nrcpts == 0)
	fatal(o->extract ? "%s(%ld): No recipient addresses found in message header"
	      : "%s(%ld): Recipient addresses must be specified on the command line or via"
	      " the -t option", md.sender, uid);
    md.content_len = msg.len;
    md.content = sb_detach(&msg);

    struct drop d;
    if (drop_start(&d, queue_dir) < 0)
	fatal("%s(%ld): unable to queue the message (%s)", md.sender, uid, postdrop_path());
    maildrop_put(&md, &buf);
    if (drop_finish(&d, buf.s, buf.len) < 0)
	fatal("%s(%ld): unable to queue the message: queue file write error", md.sender, uid);
    sb_free(&buf);
    maildrop_free(&md);
    return 0;
}

/* The -bs session's message sink: one pfc-postdrop per message. */
struct standalone {
    struct session s;
    const char *queue_dir;
    const char *myhostname;
    struct drop d;
    struct maildrop md;
    struct strbuf content;
    int open;
};

static const char *bs_open(void *ctx, const struct session *s)
{
    struct standalone *bs = ctx;

    (void) s;
    maildrop_init(&bs->md);
    sb_reset(&bs->content);
    if (drop_start(&bs->d, bs->queue_dir) < 0)
	return "NOQUEUE";
    bs->open = 1;
    return bs->d.id;
}

static void bs_recipient(void *ctx, const char *addr, int notify, const char *orcpt)
{
    struct standalone *bs = ctx;

    (void) orcpt;
    maildrop_add_rcpt(&bs->md, addr, notify);
}

static void bs_content(void *ctx, int type, const char *data, size_t len)
{
    struct standalone *bs = ctx;

    sb_addn(&bs->content, data, len);
    if (type == SMTPD_REC_NORM)
	sb_addch(&bs->content, '\n');
}

static int bs_close(void *ctx, const struct session *s, struct strbuf *why)
{
    struct standalone *bs = ctx;
    struct strbuf file = STRBUF_INIT, msg = STRBUF_INIT;
    int rc = 0;

    if (!bs->open) {
	sb_set(why, "451 4.3.0 Error: queue file write error");
	maildrop_free(&bs->md);
	return 1;
    }
    bs->open = 0;
    /* smtpd's own Received header, as smtpd -S writes it into what postdrop takes. */
    cleanup_smtpd_received(&msg, s, bs->myhostname, bs->d.id,
			   bs->md.nrcpts == 1 ? bs->md.rcpts[0].address : NULL, time(NULL));
    sb_addn(&msg, bs->content.s ? bs->content.s : "", bs->content.len);
    bs->md.sender = xstrdup(s->sender ? s->sender : "");
    bs->md.content_len = msg.len;
    bs->md.content = sb_detach(&msg);
    maildrop_put(&bs->md, &file);
    if (drop_finish(&bs->d, file.s, file.len) < 0) {
	sb_set(why, "451 4.3.0 Error: queue file write error");
	rc = 1;
    }
    sb_free(&file);
    maildrop_free(&bs->md);
    return rc;
}

static void bs_abort(void *ctx)
{
    struct standalone *bs = ctx;

    if (bs->open)
	drop_abort(&bs->d);
    bs->open = 0;
    maildrop_free(&bs->md);
}

/* put_output - the session's replies to standard output */
static void put_output(struct smtpd_session *ss)
{
    struct strbuf *o = smtpd_session_output(ss);

    if (o->len > 0) {
	fwrite(o->s, 1, o->len, stdout);
	fflush(stdout);
	sb_reset(o);
    }
}

/* stand_alone - sendmail -bs: an SMTP session on standard input and output */
static int stand_alone(struct policy *p, const char *queue_dir)
{
    struct standalone bs = { 0 };
    char *err = NULL;
    struct engine *e = engine_open(p, NULL, &err);

    if (e == NULL)
	fatal("%s", err);
    bs.queue_dir = queue_dir;
    bs.myhostname = policy_value(p, "myhostname");
    engine_session(e, &bs.s);
    session_set_client(&bs.s, "127.0.0.1", "localhost", "localhost", "0");
    bs.s.flags |= SESSION_STAND_ALONE;
    struct smtpd_message_ops ops = {
	&bs, bs_open, bs_recipient, bs_content, bs_close, bs_abort, NULL
    };
    struct smtpd_session *ss = smtpd_session_open(e, &bs.s, &ops);
    long timeout = policy_time(p, "smtpd_timeout", 's', 300);
    put_output(ss);
    while (!smtpd_session_hungup(ss)) {
	struct pollfd pf = { 0, POLLIN, 0 };
	int r = poll(&pf, 1, (int) (timeout * 1000));
	if (r < 0 && errno == EINTR)
	    continue;
	if (r == 0) {
	    smtpd_session_timeout(ss);
	    put_output(ss);
	    break;
	}
	char buf[16384];
	ssize_t n = read(0, buf, sizeof(buf));
	if (n < 0 && errno == EINTR)
	    continue;
	if (n <= 0) {
	    smtpd_session_eof(ss);
	    put_output(ss);
	    break;
	}
	smtpd_session_input(ss, buf, (size_t) n);
	put_output(ss);
    }
    smtpd_session_close(ss);
    session_free(&bs.s);
    sb_free(&bs.content);
    engine_close(e);
    return 0;
}

/* run_pfc - another pfc command in this process's place (mailq: pfc queue -p) */
static int run_pfc(const char *cmd, const char *arg1, const char *arg2)
{
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    const char *argv[8];
    int i = 0;

    if (n <= 0)
	fatal("cannot find the pfc program: %s", strerror(errno));
    self[n] = 0;
    argv[i++] = "pfc";
    argv[i++] = cmd;
    if (sysroot_get()) {
	argv[i++] = "--root";
	argv[i++] = sysroot_get();
    }
    if (arg1)
	argv[i++] = arg1;
    if (arg2)
	argv[i++] = arg2;
    argv[i] = NULL;
    fflush(NULL);
    execv(self, (char *const *) argv);
    fatal("unable to execute %s: %s", self, strerror(errno));
}

enum mode { M_ENQUEUE, M_MAILQ, M_FLUSHQ, M_DAEMON, M_NEWALIAS, M_USER, M_IGNORE };

#define GETOPT_LIST "+A:B:C:F:GIL:N:O:R:UV:X:b:ce:f:h:imno:p:r:q:tvx"

/* notify_mask - -N's value: never, or a list of success, failure, delay; 0 when bad */
static int notify_mask(const char *value)
{
    char *copy = xstrdup(value), *cp = copy, *word;
    int mask = 0;

    while ((word = strsep(&cp, ", \t")) != NULL) {
	if (*word == 0)
	    continue;
	if (strcasecmp(word, "never") == 0)
	    mask |= QNOTIFY_NEVER;
	else if (strcasecmp(word, "success") == 0)
	    mask |= QNOTIFY_SUCCESS;
	else if (strcasecmp(word, "failure") == 0)
	    mask |= QNOTIFY_FAILURE;
	else if (strcasecmp(word, "delay") == 0)
	    mask |= QNOTIFY_DELAY;
	else {
	    mask = 0;
	    break;
	}
    }
    free(copy);
    return (mask & QNOTIFY_NEVER) && mask != QNOTIFY_NEVER ? 0 : mask;
}

/* image_path_for - -C FILE (an image) or -C DIR (DIR/policy.pfi); else $MAIL_CONFIG or /etc/postfix */
static char *image_path_for(const char *c_opt)
{
    const char *dir = c_opt ? c_opt : getenv("MAIL_CONFIG");
    size_t len = dir ? strlen(dir) : 0;

    if (dir == NULL || *dir == 0)
	dir = "/etc/postfix";
    else if (len > 4 && strcmp(dir + len - 4, ".pfi") == 0)
	return sysroot_path(dir);
    char *path = xconcat(dir, "/policy.pfi", (char *) NULL);
    char *rooted = sysroot_path(path);
    free(path);
    return rooted;
}

int cmd_sendmail(int argc, char **argv)
{
    struct options o = { 0 };
    const char *c_opt = NULL, *slash;
    enum mode mode = M_ENQUEUE;
    int c, verify = 0, qtime = 0;
    const char *site = NULL, *qid = NULL;

    if ((slash = strrchr(argv[0], '/')) != NULL && slash[1])
	argv[0] = (char *) slash + 1;
    prog = argv[0];
    umask(022);
    signal(SIGPIPE, SIG_IGN);
    o.dot_ends = 1;

    /* Postfix's pre-scan for -C (its getopt errors are said twice, as Postfix says them). */
    while (argv[optind] != NULL) {
	if (strcmp(argv[optind], "-q") == 0) {
	    optind++;
	    continue;
	}
	if ((c = getopt(argc, argv, GETOPT_LIST)) <= 0)
	    break;
	if (c == 'C')
	    c_opt = optarg;
    }
    optind = 0;

    if (strcmp(prog, "mailq") == 0)
	mode = M_MAILQ;
    else if (strcmp(prog, "newaliases") == 0)
	mode = M_NEWALIAS;
#define OPTIND (optind > 0 ? optind : 1)
    while (argv[OPTIND] != NULL) {
	if (strcmp(argv[OPTIND], "-q") == 0) {
	    if (mode == M_DAEMON)
		warning("ignoring -q option in daemon mode");
	    else
		mode = M_FLUSHQ;
	    optind = OPTIND + 1;
	    continue;
	}
	if ((c = getopt(argc, argv, GETOPT_LIST)) <= 0)
	    break;
	switch (c) {
	default:		/* -A -c -e -G -h -L -m -O -p -U -v -x: ignored, as Postfix does */
	    break;
	case 'n':
	    fatal("-%c option not supported", c);
	case 'B':
	    if (strcmp(optarg, "8BITMIME") != 0 && strcmp(optarg, "7BIT") != 0)
		fatal("-B option needs 8BITMIME or 7BIT");
	    break;
	case 'F':
	    o.full_name = optarg;
	    break;
	case 'I':
	    mode = M_NEWALIAS;
	    break;
	case 'N':
	    if ((o.notify = notify_mask(optarg)) == 0)
		warning("bad -N option value -- ignored");
	    break;
	case 'R':
	case 'V':
	    /* DSN RET and ENVID: pfcd's local submission does not keep them (yet). */
	    warning("-%c option ignored: pfc does not keep DSN %s for local submissions", c,
		    c == 'R' ? "RET" : "ENVID");
	    break;
	case 'X':
	    if (*optarg == 'V')
		fatal("-XV: VERP is not implemented in pfc");
	    fatal("unsupported: -%c%c", c, *optarg);
	case 'b':
	    switch (*optarg) {
	    default:
		fatal("unsupported: -%c%c", c, *optarg);
	    case 'd':
	    case 'l':
		if (mode == M_FLUSHQ)
		    warning("ignoring -q option in daemon mode");
		mode = M_DAEMON;
		break;
	    case 'h':
	    case 'H':
		mode = M_IGNORE;
		break;
	    case 'i':
		mode = M_NEWALIAS;
		break;
	    case 'm':
		mode = M_ENQUEUE;
		break;
	    case 'p':
		mode = M_MAILQ;
		break;
	    case 's':
		mode = M_USER;
		break;
	    case 'v':
		verify = 1;
		break;
	    }
	    break;
	case 'f':
	case 'r':
	    o.sender = optarg;
	    break;
	case 'i':
	    o.dot_ends = 0;
	    break;
	case 'o':
	    /* -oX: sendmail's options, ignored as Postfix ignores them, but -oi and -oA. */
	    if (*optarg == 'A' && optarg[1] == 0)
		fatal("-oA requires pathname");
	    if (*optarg == 'i')
		o.dot_ends = 0;
	    break;
	case 'q':
	    if (*optarg >= '0' && *optarg <= '9')
		qtime = 1;
	    else if (*optarg == 'R') {
		if (*(site = optarg + 1) == 0)
		    fatal("specify: -qRsitename");
	    } else if (*optarg == 'I') {
		if (*(qid = optarg + 1) == 0)
		    fatal("specify: -qIqueueid");
	    } else
		fatal("-q%c is not implemented", *optarg);
	    break;
	case 't':
	    o.extract = 1;
	    break;
	case '?':
	    fatal("usage: %s [options]", prog);
	}
    }
    if (o.extract && mode != M_ENQUEUE)
	fatal("-t can be used only in delivery mode");
    if (site && mode != M_ENQUEUE)
	fatal("-qR can be used only in delivery mode");
    if (qid && mode != M_ENQUEUE)
	fatal("-qI can be used only in delivery mode");
    if (verify) {
	if (o.extract)
	    fatal("-t option cannot be used with -bv");
	/*
	 * Postfix's -bv mails the sender a report of what delivery would
	 * do; pfcd's delivery agents have no such mode: refused, before
	 * anything is read or queued.
	 */
	fprintf(stderr, "%s: fatal: -bv (an address verification report by mail) is not"
		" implemented in pfc; nothing was sent. \"pfc trace\" and \"pfc lookup\" show"
		" where an address goes\n", prog);
	return EX_UNAVAILABLE;
    }
    if (qtime && mode != M_DAEMON)
	return 0;
    char **rest = argv + OPTIND;

    switch (mode) {
    case M_IGNORE:
	return 0;
    case M_MAILQ:
	if (*rest)
	    fatal("display queue mode requires no recipient");
	return run_pfc("queue", "-p", NULL);
    case M_FLUSHQ:
	if (*rest)
	    fatal("flush queue mode requires no recipient");
	return run_pfc("queue", "-f", NULL);
    case M_DAEMON:
	if (*rest)
	    fatal("daemon mode requires no recipient");
	fprintf(stderr, "%s: fatal: -bd: pfc sendmail does not start the mail system;"
		" start pfcd (pfcd(8))\n", prog);
	return EX_UNAVAILABLE;
    case M_NEWALIAS:
	if (*rest)
	    fatal("alias initialization mode requires no recipient");
	return run_pfc("newaliases", NULL, NULL);
    case M_ENQUEUE:
	if (site) {
	    if (*rest)
		fatal("flush site requires no recipient");
	    return run_pfc("queue", "-s", site);
	}
	if (qid) {
	    if (*rest)
		fatal("flush queue_id requires no recipient");
	    return run_pfc("queue", "-i", qid);
	}
	break;
    case M_USER:
	if (*rest)
	    fatal("stand-alone mode requires no recipient");
	break;
    }

    /* Submission: the image says where the queue is. */
    struct image *img;
    char *err = NULL;
    char *image = image_path_for(c_opt);
    if (image_open(image, &img, &err) != IMAGE_OK)
	fatal("%s", err);
    struct policy p;
    policy_open_main(&p, img);
    /* As Postfix's sendmail: refused here, before any input is read (pickup enforces it too). */
    const char *who = match_user_acl(&p, "authorized_submit_users", (long) getuid());
    if (who != NULL)
	fatal("User %s(%ld) is not allowed to submit mail", who, (long) getuid());
    char *queue_dir = sysroot_path(policy_value(&p, "queue_directory"));
    int rc = mode == M_USER ? stand_alone(&p, queue_dir) : enqueue(&o, &p, queue_dir, rest);
    free(queue_dir);
    policy_close(&p);
    image_close(img);
    free(image);
    return rc;
}
