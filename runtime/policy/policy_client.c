/*
 * policy_client - smtpd's policy delegation client (see policy_client.h),
 * as Postfix 3.7 builds it: policy_client_register() and attr_override()
 * read the server's options, auto_clnt.c keeps the connection,
 * attr_clnt.c retries, attr_print_plain.c and attr_scan_plain.c speak the
 * protocol. Each failure is worded as smtpd logs it.
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "hostaddr.h"
#include "policy_client.h"
#include "strbuf.h"
#include "textutil.h"
#include "utf8.h"
#include "xalloc.h"

struct policy_server {
    char *name;			/* the restriction's argument, as written */
    char *endpoint;		/* after "inet:" or "unix:": how messages name it */
    int is_unix;
    char *path;			/* unix: where to connect (under the queue directory) */
    int timeout, max_idle, max_ttl, retry_delay, try_limit, request_limit;
    char *default_action;
    char *policy_context;
    int smtputf8;
    unsigned families;
    /* The connection (auto_clnt's stream). */
    int fd;
    time_t opened, last_used;
    int req_count;
    char buf[4096];
    size_t buf_pos, buf_len;
    int bad;			/* a read failed: the stream stays at EOF */
    int timed_out;		/* ... because it timed out */
    int io_errno;		/* errno of the failure, 0 for EOF (Postfix's %m) */
};

/* A time to int seconds, as the daemons keep it. */
static int clamp_int(long value)
{
    return value > INT_MAX ? INT_MAX : value < INT_MIN ? INT_MIN : (int) value;
}

/* The per-server options, named as main.cf's less "smtpd_policy_service_". */
enum opt_kind { OPT_STR, OPT_INT, OPT_TIME };

/* set_option - one attr_override() assignment; NULL or the fatal text */
static char *set_option(struct policy_server *s, const char *key, const char *value)
{
    static const struct {
	const char *name;
	enum opt_kind kind;
	int min;
    } opts[] = {
	/* attr_override() tries the string table, then numbers, then times. */
	{"default_action", OPT_STR, 1}, {"policy_context", OPT_STR, 1},
	{"request_limit", OPT_INT, 0}, {"try_limit", OPT_INT, 1},
	{"timeout", OPT_TIME, 1}, {"max_idle", OPT_TIME, 1}, {"max_ttl", OPT_TIME, 1},
	{"retry_delay", OPT_TIME, 1},
    };
    struct strbuf msg = STRBUF_INIT;
    int number = 0;

    for (size_t i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
	if (strcmp(opts[i].name, key) != 0)
	    continue;
	switch (opts[i].kind) {
	case OPT_STR:
	    if ((long) strlen(value) < opts[i].min) {
		sb_printf(&msg, "bad string length %ld < %d: %s = %s", (long) strlen(value),
			  opts[i].min, key, value);
		return sb_detach(&msg);
	    }
	    if (strcmp(key, "default_action") == 0) {
		free(s->default_action);
		s->default_action = xstrdup(value);
	    } else {
		free(s->policy_context);
		s->policy_context = xstrdup(value);
	    }
	    return NULL;
	case OPT_INT: {
		char *end;
		errno = 0;
		long v = strtol(value, &end, 10);
		if (*value == 0 || *end != 0 || errno == ERANGE || v != (int) v) {
		    sb_printf(&msg, "bad numerical configuration: %s = %s", key, value);
		    return sb_detach(&msg);
		}
		number = (int) v;
		if (opts[i].min && number < opts[i].min) {
		    sb_printf(&msg, "invalid %s parameter value %d < %d", key, number, opts[i].min);
		    return sb_detach(&msg);
		}
		break;
	    }
	case OPT_TIME:
	    if (!conv_time(value, &number, 's')) {
		sb_printf(&msg, "%s: bad time value or unit: %s", key, value);
		return sb_detach(&msg);
	    }
	    if (number < opts[i].min) {
		sb_printf(&msg, "invalid %s: %d (min %d)", key, number, opts[i].min);
		return sb_detach(&msg);
	    }
	    break;
	}
	*(strcmp(key, "request_limit") == 0 ? &s->request_limit
	  : strcmp(key, "try_limit") == 0 ? &s->try_limit
	  : strcmp(key, "timeout") == 0 ? &s->timeout
	  : strcmp(key, "max_idle") == 0 ? &s->max_idle
	  : strcmp(key, "max_ttl") == 0 ? &s->max_ttl : &s->retry_delay) = number;
	return NULL;
    }
    sb_printf(&msg, "unknown option: \"%s = %s\"", key, value);
    return sb_detach(&msg);
}

/* parse_options - attr_override(): "name = value" or "{ name = value }" items */
static char *parse_options(struct policy_server *s, char *cp)
{
    char *nameval, *key, *value, *msg;
    const char *err;

    while ((nameval = str_tokq(&cp, CHARS_COMMA_SP)) != NULL) {
	if (*nameval == '{' && (msg = extract_braces(&nameval, 0)) != NULL) {
	    char *full = xconcat(msg, " in \"", nameval, "\"", (char *) NULL);
	    free(msg);
	    return full;
	}
	if ((err = split_nameval(nameval, &key, &value)) != NULL)
	    return xconcat("malformed option: ", err, ": \"...", nameval, "...\"", (char *) NULL);
	if ((msg = set_option(s, key, value)) != NULL)
	    return msg;
    }
    return NULL;
}

struct policy_server *policy_server_open(const char *spec,
					 const struct policy_server_defaults *d, char **err)
{
    struct policy_server *s = xcalloc(1, sizeof(*s));
    char *copy = xstrdup(spec), *cp = copy, *service, *colon, *msg, *full;

    s->name = xstrdup(spec);
    s->timeout = clamp_int(d->timeout);
    s->max_idle = clamp_int(d->max_idle);
    s->max_ttl = clamp_int(d->max_ttl);
    s->retry_delay = clamp_int(d->retry_delay);
    s->try_limit = d->try_limit;
    s->request_limit = d->request_limit;
    s->default_action = xstrdup(d->default_action ? d->default_action : "");
    s->policy_context = xstrdup(d->policy_context ? d->policy_context : "");
    s->smtputf8 = d->smtputf8;
    s->families = d->families;
    s->fd = -1;

    if (*cp == '{') {
	if ((msg = extract_braces(&cp, 0)) != NULL) {
	    free(msg);
	    *err = xconcat("policy service syntax error: ", cp, (char *) NULL);
	    goto bad;
	}
	if ((service = strtok_r(cp, CHARS_COMMA_SP, &cp)) == NULL) {
	    *err = xconcat("empty policy service: \"", spec, "\"", (char *) NULL);
	    goto bad;
	}
	if (cp != NULL && (*err = parse_options(s, cp)) != NULL)
	    goto bad;
    } else {
	service = cp;
    }
    if (s->request_limit < 0) {
	struct strbuf sb = STRBUF_INIT;
	sb_printf(&sb, "attr_clnt_control: bad request limit: %d", s->request_limit);
	*err = sb_detach(&sb);
	goto bad;
    }
    /* auto_clnt_create(): transport:endpoint */
    full = xstrdup(service);
    if ((colon = strchr(service, ':')) == NULL || colon[1] == 0 || colon == service) {
	*err = xconcat("need service transport:endpoint instead of \"", service, "\"",
		       (char *) NULL);
	free(full);
	goto bad;
    }
    *colon = 0;
    s->endpoint = xstrdup(colon + 1);
    if (strcmp(service, "inet") == 0) {
	s->is_unix = 0;
    } else if (strcmp(service, "unix") == 0 || strcmp(service, "local") == 0) {
	s->is_unix = 1;
	/* smtpd runs in the queue directory: relative paths are under it. */
	s->path = s->endpoint[0] == '/' || d->queue_directory == NULL
	    ? xstrdup(s->endpoint)
	    : xconcat(d->queue_directory, "/", s->endpoint, (char *) NULL);
    } else {
	*err = xconcat("invalid transport name: ", service, " in service: ", full, (char *) NULL);
	free(full);
	goto bad;
    }
    free(full);
    free(copy);
    return s;
bad:
    free(copy);
    policy_server_close(s);
    return NULL;
}

const char *policy_server_name(const struct policy_server *s)
{
    return s->name;
}

const char *policy_server_context(const struct policy_server *s)
{
    return s->policy_context;
}

/* disconnect - auto_clnt_recover() */
static void disconnect(struct policy_server *s)
{
    if (s->fd >= 0)
	close(s->fd);
    s->fd = -1;
    s->buf_pos = s->buf_len = 0;
    s->bad = 0;
}

void policy_server_close(struct policy_server *s)
{
    if (s == NULL)
	return;
    disconnect(s);
    free(s->name);
    free(s->endpoint);
    free(s->path);
    free(s->default_action);
    free(s->policy_context);
    free(s);
}

/* warn - add one warning line */
static void warn(struct strbuf *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void warn(struct strbuf *w, const char *fmt, ...)
{
    va_list ap;

    if (w->len > 0)
	sb_addch(w, '\n');
    va_start(ap, fmt);
    sb_vprintf(w, fmt, ap);
    va_end(ap);
}

/* errtext - Postfix's %m */
static const char *errtext(int err)
{
    return err ? strerror(err) : "Application error";
}

/* wait_fd - poll_fd(): 0 when ready, -1 with errno ETIMEDOUT or other */
static int wait_fd(int fd, short events, int timeout)
{
    struct pollfd pfd = { fd, events, 0 };
    int n;

    do {
	n = poll(&pfd, 1, timeout > 0 ? (timeout > INT_MAX / 1000 ? INT_MAX : timeout * 1000) : 0);
    } while (n < 0 && errno == EINTR);
    if (n < 0)
	return -1;
    if (n == 0) {
	errno = ETIMEDOUT;
	return -1;
    }
    return 0;
}

/* timed_connect - non-blocking connect, at most timeout seconds */
static int timed_connect(const struct sockaddr *sa, socklen_t len, int timeout)
{
    int fd, err = 0;
    socklen_t err_len = sizeof(err);

    if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
	return -1;
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    if (connect(fd, sa, len) < 0) {
	if (errno != EINPROGRESS)
	    goto fail;
	if (wait_fd(fd, POLLOUT, timeout) < 0)
	    goto fail;
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &err_len) < 0)
	    goto fail;
	if (err) {
	    errno = err;
	    goto fail;
	}
    }
    /* Blocking from here on; every read and write waits at most timeout. */
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
    return fd;
fail:
    err = errno;
    close(fd);
    errno = err;
    return -1;
}

/* valid_host_port - host_port()'s checks on "[host]:port", "host:port", "port" */
static const char *split_host_port(char *buf, char **host, char **port)
{
    char *cp = buf;

    if (*cp == '[') {
	int ipv6 = strncasecmp(cp + 1, "ipv6:", 5) == 0;
	*host = cp + 1 + (ipv6 ? 5 : 0);
	if ((cp = strchr(*host, ']')) == NULL)
	    return "missing \"]\"";
	*cp++ = 0;
	if (*cp && *cp++ != ':')
	    return "garbage after \"]\"";
	if (ipv6 && !valid_ipv6_hostaddr(*host, 0))
	    return "malformed IPv6 address";
	*port = *cp ? cp : NULL;
    } else if ((cp = strrchr(buf, ':')) != NULL) {
	*cp++ = 0;
	*host = *buf ? buf : "localhost";
	*port = *cp ? cp : NULL;
    } else {
	*host = "localhost";
	*port = *buf ? buf : NULL;
    }
    if (*port == NULL)
	return "missing service information";
    if (strcmp(*host, "localhost") != 0 && !valid_hostname(*host, 0) && !valid_hostaddr(*host, 0))
	return "valid hostname or network address required";
    if (**port >= '0' && **port <= '9' && !all_digits(*port))
	return "garbage after numerical service";
    return NULL;
}

/*
 * inet_open - inet_connect(): each address of the host in turn. -1 with
 * errno, or -2 with *fatal when smtpd would exit.
 */
static int inet_open(struct policy_server *s, struct strbuf *w, char **fatal)
{
    char *buf = xstrdup(s->endpoint), *host, *port;
    const char *perr;
    struct addrinfo hints, *res0;
    int fd = -1, found = 0, err;

    if ((perr = split_host_port(buf, &host, &port)) != NULL) {
	*fatal = xconcat(s->endpoint, ": ", perr, (char *) NULL);
	free(buf);
	return -2;
    }
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = s->families == 1 ? AF_INET : s->families == 2 ? AF_INET6 : AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    if ((err = getaddrinfo(host, port, &hints, &res0)) != 0) {
	warn(w, "host or service %s not found: %s", s->endpoint,
	     err == EAI_SYSTEM ? strerror(errno) : gai_strerror(err));
	free(buf);
	errno = EADDRNOTAVAIL;
	return -1;
    }
    free(buf);
    errno = 0;
    for (struct addrinfo *res = res0; res != NULL && fd < 0; res = res->ai_next) {
	if (res->ai_family != AF_INET && res->ai_family != AF_INET6)
	    continue;
	found++;
	fd = timed_connect(res->ai_addr, res->ai_addrlen, s->timeout);
    }
    err = errno;
    freeaddrinfo(res0);
    if (found == 0) {
	*fatal = xconcat("host not found: ", s->endpoint, (char *) NULL);
	return -2;
    }
    errno = err;
    return fd;
}

/* unix_open - unix_connect() */
static int unix_open(struct policy_server *s, char **fatal)
{
    struct sockaddr_un sun;

    if (strlen(s->path) >= sizeof(sun.sun_path)) {
	*fatal = xconcat("unix-domain name too long: ", s->endpoint, (char *) NULL);
	return -2;
    }
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    memcpy(sun.sun_path, s->path, strlen(s->path) + 1);
    return timed_connect((const struct sockaddr *) &sun, sizeof(sun), s->timeout);
}

/*
 * access_stream - auto_clnt_access(): the open connection, or a new one;
 * a connection idle max_idle seconds or open max_ttl seconds is closed
 * first, as smtpd's timers would have closed it. -1, or -2 with *fatal.
 */
static int access_stream(struct policy_server *s, struct strbuf *w, char **fatal)
{
    time_t now = time(NULL);

    if (s->fd >= 0 && ((s->max_idle > 0 && now - s->last_used >= s->max_idle)
		       || (s->max_ttl > 0 && now - s->opened >= s->max_ttl)))
	disconnect(s);
    if (s->fd < 0) {
	int fd = s->is_unix ? unix_open(s, fatal) : inet_open(s, w, fatal);
	if (fd == -2)
	    return -2;
	if (fd < 0) {
	    int err = errno;
	    warn(w, "connect to %s: %s", s->endpoint, errtext(err));
	    errno = err;
	    return -1;
	}
	s->fd = fd;
	s->opened = now;
	s->buf_pos = s->buf_len = 0;
    }
    s->last_used = now;
    return s->fd;
}

/* readable - poll with no wait: has the server written (or closed)? */
static int readable(int fd)
{
    struct pollfd pfd = { fd, POLLIN, 0 };

    return poll(&pfd, 1, 0) > 0;
}

/* send_request - attr_print_plain() and vstream_fflush(); 0 or -1 with errno */
static int send_request(struct policy_server *s, const struct policy_attr *attrs, size_t n)
{
    struct strbuf req = STRBUF_INIT;
    size_t off = 0;
    int rc = 0;

    for (size_t i = 0; i < n; i++)
	sb_printf(&req, "%s=%s\n", attrs[i].name, attrs[i].value ? attrs[i].value : "");
    sb_addch(&req, '\n');
    while (off < req.len) {
	if (wait_fd(s->fd, POLLOUT, s->timeout) < 0) {
	    rc = -1;
	    break;
	}
	ssize_t k = send(s->fd, req.s + off, req.len - off, MSG_NOSIGNAL);
	if (k < 0) {
	    if (errno == EINTR)
		continue;
	    rc = -1;
	    break;
	}
	off += (size_t) k;
    }
    sb_free(&req);
    return rc;
}

/* get_char - VSTREAM_GETC() with the stream's timeout; -1 at EOF or error */
static int get_char(struct policy_server *s)
{
    if (s->buf_pos == s->buf_len) {
	ssize_t k;
	if (s->bad)
	    return -1;
	if (wait_fd(s->fd, POLLIN, s->timeout) < 0) {
	    s->bad = 1;
	    s->io_errno = errno;
	    s->timed_out = errno == ETIMEDOUT;
	    return -1;
	}
	do {
	    k = read(s->fd, s->buf, sizeof(s->buf));
	} while (k < 0 && errno == EINTR);
	if (k <= 0) {
	    s->bad = 1;
	    s->io_errno = k < 0 ? errno : 0;
	    return -1;
	}
	s->buf_pos = 0;
	s->buf_len = (size_t) k;
    }
    return (unsigned char) s->buf[s->buf_pos++];
}

/* scan_string - attr_scan_plain_string(): up to '\n' or term; -1 at EOF */
static int scan_string(struct policy_server *s, struct strbuf *sb, int term, const char *context,
		       struct strbuf *w)
{
    int ch;

    sb_reset(sb);
    while ((ch = get_char(s)) != '\n' && (term == 0 || ch != term)) {
	if (ch < 0) {
	    warn(w, "%s on %s while reading %s", s->timed_out ? "timeout" : "premature end-of-input",
		 s->endpoint, context);
	    return -1;
	}
	sb_addch(sb, (char) ch);
    }
    return ch;
}

/*
 * read_reply - attr_vscan_plain() asked for "action" then the end, with
 * ATTR_FLAG_MISSING: 1 with the action, 0 when it is missing (or the
 * server said nothing at all), -1 on a broken reply.
 */
static int read_reply(struct policy_server *s, struct strbuf *action, struct strbuf *w)
{
    struct strbuf name = STRBUF_INIT;
    int ch, conversions = 0, rc;

    s->timed_out = 0;
    s->io_errno = 0;
    if ((ch = get_char(s)) < 0)
	return 0;
    s->buf_pos--;
    for (;;) {
	if ((ch = scan_string(s, &name, '=', "input attribute name", w)) < 0) {
	    rc = -1;
	    break;
	}
	if (ch == '\n' && name.len == 0) {
	    if (conversions == 0)
		warn(w, "missing attribute action in input from %s", s->endpoint);
	    rc = conversions;
	    break;
	}
	if (conversions == 0 && strcmp(sb_str(&name), "action") == 0) {
	    if (ch != '=') {
		warn(w, "missing value for string attribute action from %s", s->endpoint);
		rc = -1;
		break;
	    }
	    if (scan_string(s, action, 0, "input attribute value", w) < 0) {
		rc = -1;
		break;
	    }
	    conversions = 1;
	    continue;
	}
	/* An attribute not asked for: skip it. */
	while (ch != '\n' && (ch = get_char(s)) >= 0)
	    ;
    }
    sb_free(&name);
    return rc;
}

int policy_server_query(struct policy_server *s, const struct policy_attr *attrs, size_t nattrs,
			char **action, char **warning)
{
    struct strbuf w = STRBUF_INIT, act = STRBUF_INIT;
    char *fatal = NULL;
    int count = 0, answered = 0;

    *action = NULL;
    for (;;) {
	int fd;
	errno = 0;
	if ((fd = access_stream(s, &w, &fatal)) == -2)
	    break;
	if (fd >= 0 && !readable(fd)) {
	    errno = 0;
	    if (send_request(s, attrs, nattrs) < 0) {
		/* errno says why */
	    } else if (read_reply(s, &act, &w) > 0) {
		if (s->request_limit > 0 && ++s->req_count >= s->request_limit) {
		    disconnect(s);
		    s->req_count = 0;
		}
		answered = 1;
		break;
	    } else {
		errno = s->io_errno;
	    }
	}
	int err = errno;
	if ((++count >= s->try_limit && s->try_limit > 0)
	    || (err && err != EPIPE && err != ENOENT && err != ECONNRESET))
	    warn(&w, "problem talking to server %s: %s", s->endpoint, errtext(err));
	if (count >= s->try_limit && s->try_limit > 0)
	    break;
	sleep((unsigned) s->retry_delay);
	disconnect(s);
	s->req_count = 0;
    }
    if (fatal != NULL) {
	warn(&w, "fatal: %s", fatal);
	free(fatal);
	sb_free(&act);
	*warning = sb_detach(&w);
	return POLICY_FATAL;
    }
    if (answered && s->smtputf8 && !utf8_valid(sb_str(&act), act.len)) {
	warn(&w, "malformed UTF-8 in policy server %s response: \"%s\"", s->name, sb_str(&act));
	answered = 0;
    }
    *action = answered ? sb_detach(&act) : xstrdup(s->default_action);
    sb_free(&act);
    *warning = w.len > 0 ? sb_detach(&w) : NULL;
    sb_free(&w);
    return answered ? POLICY_ANSWERED : POLICY_DEFAULT;
}
