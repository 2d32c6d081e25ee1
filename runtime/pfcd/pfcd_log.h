/*
 * pfcd_log - pfcd's log lines in Postfix's shape (SPEC-runtime 6.1):
 * "Mon DD HH:MM:SS HOST syslog_name/PROGRAM[PID]: TEXT" to a file or
 * stderr, the same text to syslog(3), or one JSON object per line that
 * also names the content id of the image that was serving.
 */
#ifndef PFC_PFCD_LOG_H
#define PFC_PFCD_LOG_H

/*
 * pfcd_log_open - where lines go: "syslog", "stderr" or a file name
 * (opened for append); json: --log-format=json. Returns 0, or -1 with a
 * message on stderr.
 */
int pfcd_log_open(const char *where, int json);

/* pfcd_log_identity - the host field (first label of myhostname) and syslog_name */
void pfcd_log_identity(const char *myhostname, const char *syslog_name);

/* pfcd_log_image - the content id (hex) of the image now serving, for JSON lines */
void pfcd_log_image(const char *content_id);

/*
 * pfcd_log_hold - from now on this process's lines to a file or stderr
 * wait in memory until pfcd_log_flush() writes them with one write(2)
 * (so do PIPE_BUF bytes of them, and exit(3); a process that leaves by
 * _exit(2) flushes first): for a process that serves many sessions from
 * one loop and flushes once a pass. Lines stay whole and in order;
 * syslog lines are not held. A child forked after it holds nothing.
 */
void pfcd_log_hold(void);

/* pfcd_log_flush - the held lines, written */
void pfcd_log_flush(void);

/* pfcd_log - one line from program ("smtpd", "qmgr", ...) */
void pfcd_log(const char *program, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/*
 * pfcd_log_json - the same line; with --log-format=json, fields (JSON
 * members, '"name":value,...', or "") are added to its object: what the
 * Postfix-shaped line has no room for.
 */
void pfcd_log_json(const char *program, const char *fields, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
