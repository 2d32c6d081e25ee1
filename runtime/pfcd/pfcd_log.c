/* pfcd_log - log lines in Postfix's shape, or JSON (see pfcd_log.h) */
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

static FILE *log_fp;		/* NULL: syslog */
static int log_json;
static char log_host[64] = "localhost";
static char log_name[64] = "postfix";
static char log_image[80];

int pfcd_log_open(const char *where, int json)
{
    log_json = json;
    if (strcmp(where, "syslog") == 0) {
	log_fp = NULL;
	openlog("pfcd", LOG_NDELAY, LOG_MAIL);
	return 0;
    }
    if (strcmp(where, "stderr") == 0) {
	log_fp = stderr;
	return 0;
    }
    FILE *fp = fopen(where, "a");
    if (fp == NULL) {
	fprintf(stderr, "pfcd: fatal: open log file %s: %m\n", where);
	return -1;
    }
    setvbuf(fp, NULL, _IOLBF, 0);
    log_fp = fp;
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
    if (log_fp == NULL && !log_json) {
	syslog(LOG_INFO, "%s[%ld]: %s", ident, (long) getpid(), text.s ? text.s : "");
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
	json_field_uint(&line, "pid", (uint64_t) getpid());
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
	sb_printf(&line, "%s %s %s[%ld]: %s\n", stamp, log_host, ident, (long) getpid(),
		  text.s ? text.s : "");
    }
    if (line.len) {
	if (log_json && log_fp == NULL)
	    syslog(LOG_INFO, "%.*s", (int) line.len - 1, line.s);
	else
	    fwrite(line.s, 1, line.len, log_fp);
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
