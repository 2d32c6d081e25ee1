/* pfcd_log - log lines in Postfix's shape, or JSON (see pfcd_log.h) */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "json.h"
#include "pfcd_log.h"
#include "strbuf.h"

/*
 * A file or stderr: one write(2) of each whole line to a descriptor in
 * append mode, so that the lines of every process (each delivery process
 * logs its own) stay whole and in order, at one system call a line; or,
 * held (pfcd_log_hold()), of each pass's whole lines together.
 */
static int log_fd = -1;		/* -1: syslog */
static pid_t log_pid;		/* getpid(), cached: a fork clears it (log_forked) */
static int log_holding;
static struct strbuf log_held = STRBUF_INIT;

static void log_forked(void)
{
    log_pid = 0;
    /* The parent's held lines are the parent's to write. */
    log_holding = 0;
    sb_reset(&log_held);
}

static void log_write(const char *data, size_t len)
{
    ssize_t n;

    while ((n = write(log_fd, data, len)) < 0 && errno == EINTR)
	continue;
}

void pfcd_log_flush(void)
{
    if (log_held.len > 0 && log_fd >= 0)
	log_write(log_held.s, log_held.len);
    sb_reset(&log_held);
}

static void log_held_free(void)
{
    pfcd_log_flush();
    sb_free(&log_held);
}

void pfcd_log_hold(void)
{
    static int registered;

    if (!registered++)
	atexit(log_held_free);
    log_holding = 1;
}

static long pid(void)
{
    if (log_pid == 0)
	log_pid = getpid();
    return (long) log_pid;
}
static int log_json;
static char log_host[64] = "localhost";
static char log_name[64] = "postfix";
static char log_image[80];

int pfcd_log_open(const char *where, int json)
{
    static int registered;

    log_json = json;
    if (!registered++)
	pthread_atfork(NULL, NULL, log_forked);
    if (strcmp(where, "syslog") == 0) {
	log_fd = -1;
	openlog("pfcd", LOG_NDELAY, LOG_MAIL);
	return 0;
    }
    if (strcmp(where, "stderr") == 0) {
	log_fd = STDERR_FILENO;
	return 0;
    }
    int fd = open(where, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0666);
    if (fd < 0) {
	fprintf(stderr, "pfcd: fatal: open log file %s: %m\n", where);
	return -1;
    }
    log_fd = fd;
    return 0;
}

void pfcd_log_identity(const char *myhostname, const char *syslog_name)
{
    size_t n = strcspn(myhostname, ".");

    snprintf(log_host, sizeof(log_host), "%.*s", (int) n, myhostname);
    if (syslog_name && *syslog_name)
	snprintf(log_name, sizeof(log_name), "%s", syslog_name);
}

void pfcd_log_image(const char *content_id)
{
    snprintf(log_image, sizeof(log_image), "%s", content_id);
}

static void vlog(const char *program, const char *fields, const char *fmt, va_list ap)
{
    struct strbuf text = STRBUF_INIT, line = STRBUF_INIT;
    char ident[160];

    sb_vprintf(&text, fmt, ap);
    snprintf(ident, sizeof(ident), "%s/%s", log_name, program);
    if (log_fd < 0 && !log_json) {
	syslog(LOG_INFO, "%s[%ld]: %s", ident, pid(), text.s ? text.s : "");
    } else if (log_json) {
	struct timeval tv;
	char stamp[64];
	gettimeofday(&tv, NULL);
	struct tm tm;
	gmtime_r(&tv.tv_sec, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%S", &tm);
	char when[80];
	snprintf(when, sizeof(when), "%s.%06ldZ", stamp, (long) tv.tv_usec);
	sb_addch(&line, '{');
	json_field(&line, "time", when);
	json_field(&line, "host", log_host);
	json_field(&line, "program", ident);
	json_field_uint(&line, "pid", (uint64_t) pid());
	json_field(&line, "image", log_image);
	json_field(&line, "text", text.s ? text.s : "");
	if (fields != NULL && *fields)
	    sb_printf(&line, ",%s", fields);
	sb_adds(&line, "}\n");
    } else {
	time_t now = time(NULL);
	struct tm tm;
	char stamp[32];
	localtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%b %d %H:%M:%S", &tm);
	sb_printf(&line, "%s %s %s[%ld]: %s\n", stamp, log_host, ident, pid(),
		  text.s ? text.s : "");
    }
    if (line.len) {
	if (log_json && log_fd < 0) {
	    syslog(LOG_INFO, "%.*s", (int) line.len - 1, line.s);
	} else if (log_holding) {
	    /* At most PIPE_BUF a write: whole on a pipe shared with other writers too. */
	    if (log_held.len + line.len > PIPE_BUF)
		pfcd_log_flush();
	    sb_addn(&log_held, line.s, line.len);
	} else {
	    log_write(line.s, line.len);
	}
    }
    sb_free(&text);
    sb_free(&line);
}

void pfcd_log(const char *program, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(program, NULL, fmt, ap);
    va_end(ap);
}

void pfcd_log_json(const char *program, const char *fields, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vlog(program, fields, fmt, ap);
    va_end(ap);
}
