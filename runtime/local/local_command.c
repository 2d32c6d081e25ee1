/*
 * local_command - the command delivery kind (|command of an alias,
 * .forward or :include:, mailbox_command and mailbox_command_maps), as
 * local(8) runs it through Postfix's pipe_command(): in its own process
 * group, the message on standard input ("From " line, Return-Path:,
 * X-Original-To:, Delivered-To:, no quoting, no empty line at the end),
 * standard output and error captured (the first 4096 bytes, for the
 * bounce), PATH=/usr/bin:/bin, the export_environment variables and
 * local(8)'s own (HOME, USER, SENDER, RECIPIENT, ...), all of it within
 * command_time_limit. The command is executed directly when it has no
 * shell magic characters, else by /bin/sh -c (or local_command_shell).
 * The exit status maps as sysexits(3) says: 0 delivered, EX_TEMPFAIL
 * and signals deferred, others bounced; output that starts with an
 * enhanced status code ("5.1.1 text") decides instead.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "dsn.h"
#include "local_int.h"
#include "utf8.h"
#include "xalloc.h"

/* <sysexits.h>, with Postfix's status codes and texts (sys_exits.c) */
static const struct {
    const char *dsn;
    const char *text;
} sys_exits[] = {
    { "5.3.0", "command line usage error" },	/* 64 EX_USAGE */
    { "5.6.0", "data format error" },
    { "5.3.0", "cannot open input" },
    { "5.1.1", "user unknown" },
    { "5.1.2", "host name unknown" },
    { "5.3.0", "service unavailable" },
    { "5.3.0", "internal software error" },	/* 70 EX_SOFTWARE */
    { "4.3.0", "system resource problem" },
    { "5.3.0", "critical OS file missing" },
    { "5.2.0", "can't create user output file" },
    { "5.3.0", "input/output error" },
    { "4.3.0", "temporary failure" },		/* 75 EX_TEMPFAIL */
    { "5.5.0", "remote error in protocol" },
    { "5.7.0", "permission denied" },
    { "5.3.5", "local configuration error" },	/* 78 EX_CONFIG */
};

#define EX_BASE		64
#define EX_MAX		78
#define EX_SOFTWARE	70
#define EX_TEMPFAIL	75
#define OUTPUT_LIMIT	4096
#define PATH_DEFPATH	"/usr/bin:/bin"
#define PATH_BSHELL	"/bin/sh"

/* The characters that need no shell (Postfix's exec_command()). */
static const char ok_chars[] = "1234567890!@%-_=+:,./"
    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ \t";

/* split_words - command split at spaces and tabs, NULL-ended (a new array) */
static char **split_words(const char *command, const char *sep)
{
    char *copy = xstrdup(command), *save = NULL;
    char **argv = xcalloc(strlen(command) / 2 + 2, sizeof(*argv));
    size_t n = 0;

    for (char *w = strtok_r(copy, sep, &save); w; w = strtok_r(NULL, sep, &save))
	argv[n++] = xstrdup(w);
    free(copy);
    return argv;
}

/* exec_command - run command directly if it can be, else through the shell */
static void exec_command(const struct local_job *job)
{
    const char *command = job->path;
    const char *shell = job->a->local_cmd_shell;

    if (shell && *shell) {
	char **argv = split_words(shell, " \t\r\n");
	size_t n = 0;
	while (argv[n])
	    n++;
	argv = xrealloc(argv, (n + 2) * sizeof(*argv));
	argv[n] = xstrdup(command);
	argv[n + 1] = NULL;
	execvp(argv[0], argv);
	fprintf(stderr, "local: fatal: execvp %s: %s\n", argv[0], strerror(errno));
	_exit(EX_TEMPFAIL);
    }
    if (command[strspn(command, ok_chars)] == 0 && command[strspn(command, " \t")] != 0) {
	char **argv = split_words(command, " \t");
	execvp(argv[0], argv);
	if (errno != ENOENT || strchr(argv[0], '/') != NULL) {
	    fprintf(stderr, "local: fatal: execvp %s: %s\n", argv[0], strerror(errno));
	    _exit(EX_TEMPFAIL);
	}
	/* Perhaps a shell built-in. */
    }
    execl(PATH_BSHELL, "sh", "-c", command, (char *) NULL);
    fprintf(stderr, "local: fatal: execl %s: %s\n", PATH_BSHELL, strerror(errno));
    _exit(EX_TEMPFAIL);
}

/* command_child - the command's process: plumbing, environment, exec */
static void command_child(const struct local_job *job, int in, int out)
{
    (void) setsid();
    if (dup2(in, STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0
	|| dup2(out, STDERR_FILENO) < 0)
	_exit(EX_TEMPFAIL);
    /* Nothing of ours leaks into the command: the queue file, pipes, sockets. */
    if (close_range(3, ~0U, 0) < 0)
	for (int fd = 3; fd < 1024; fd++)
	    (void) close(fd);
    signal(SIGPIPE, SIG_DFL);
    signal(SIGXFSZ, SIG_DFL);
    if (job->cwd && chdir(job->cwd) < 0) {
	fprintf(stderr, "local: fatal: cannot change directory to \"%s\" for uid=%lu gid=%lu: %s\n",
		job->cwd, (unsigned long) job->uid, (unsigned long) job->gid, strerror(errno));
	_exit(EX_TEMPFAIL);
    }
    /* clean_env(export_environment), then PATH, then local(8)'s variables. */
    clearenv();
    for (char *const *e = job->a->export_env; e && *e; e++)
	putenv((char *) *e);
    setenv("PATH", PATH_DEFPATH, 1);
    for (char *const *e = job->env; e && *e; e++)
	putenv((char *) *e);
    exec_command(job);
}

/* clean_output - tabs and newlines to spaces, other unprintable bytes to '_' */
static void clean_output(char *buf, size_t len, int utf8)
{
    for (size_t i = 0; i < len;) {
	unsigned char c = (unsigned char) buf[i];
	if (c == '\t' || c == '\n') {
	    buf[i++] = ' ';
	} else if (c >= 0x80 && utf8) {
	    size_t n = utf8_seqlen(c);
	    if (n > 1 && i + n <= len && utf8_valid(buf + i, n)) {
		i += n;
	    } else {
		buf[i++] = '_';
	    }
	} else if (c < 0x20 || c >= 0x7f) {
	    buf[i++] = '_';
	} else {
	    i++;
	}
    }
}

/* read_output - up to OUTPUT_LIMIT bytes of the command's output, by the deadline */
static size_t read_output(int fd, char *buf, time_t deadline, int *timed_out)
{
    size_t len = 0;

    while (len < OUTPUT_LIMIT) {
	time_t left = deadline - time(NULL);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	int n = left > 0 ? poll(&p, 1, (int) (left * 1000)) : 0;
	if (n < 0 && errno == EINTR)
	    continue;
	if (n <= 0) {
	    *timed_out = 1;
	    break;
	}
	ssize_t got = read(fd, buf + len, OUTPUT_LIMIT - len);
	if (got < 0 && (errno == EINTR || errno == EAGAIN))
	    continue;
	if (got <= 0)
	    break;
	len += (size_t) got;
    }
    return len;
}

/*
 * wait_command - the command's status, killing it and its process group
 * at the deadline. The wait is a poll() on a pidfd where the kernel has
 * them, so that a command that ends at once costs no sleep.
 */
static int wait_command(pid_t pid, time_t deadline, int *timed_out, int *wstatus)
{
    int pidfd = (int) syscall(SYS_pidfd_open, pid, 0);

    for (;;) {
	pid_t got = waitpid(pid, wstatus, *timed_out ? 0 : WNOHANG);
	if (got == pid)
	    break;
	if (got < 0 && errno != EINTR) {
	    if (pidfd >= 0)
		close(pidfd);
	    return -1;
	}
	if (got < 0)
	    continue;
	time_t left = deadline - time(NULL);
	if (!*timed_out && left <= 0)
	    *timed_out = 1;
	if (*timed_out) {
	    if (kill(-pid, SIGKILL) < 0)
		(void) kill(pid, SIGKILL);
	    continue;
	}
	if (pidfd >= 0) {
	    struct pollfd p = { .fd = pidfd, .events = POLLIN };
	    (void) poll(&p, 1, left > 1 ? 1000 : (int) left * 1000);
	} else {
	    struct timespec ts = { 0, 10 * 1000 * 1000 };
	    nanosleep(&ts, NULL);
	}
    }
    if (pidfd >= 0)
	close(pidfd);
    return 0;
}

static int command_deliver(struct local_job *job, struct local_why *why)
{
    const char *command = job->path;
    int in_pipe[2], out_pipe[2];
    time_t deadline = time(NULL) + job->a->command_maxtime;
    int timed_out = 0;
    char log_buf[OUTPUT_LIMIT + 1];

    if (pipe(in_pipe) < 0 || pipe(out_pipe) < 0) {
	why_unix(why, "4.3.0", sys_exits[71 - EX_BASE].text, "Delivery failed: %s",
		 strerror(errno));
	return KIND_FAIL;
    }
    /* As Postfix: the command's output does not block it; what does not fit is lost. */
    (void) fcntl(out_pipe[1], F_SETFL, fcntl(out_pipe[1], F_GETFL) | O_NONBLOCK);

    pid_t pid = fork();
    if (pid < 0) {
	why_unix(why, "4.3.0", sys_exits[71 - EX_BASE].text, "Delivery failed: %s",
		 strerror(errno));
	return KIND_FAIL;
    }
    if (pid == 0) {
	close(in_pipe[1]);
	close(out_pipe[0]);
	command_child(job, in_pipe[0], out_pipe[1]);
	_exit(EX_TEMPFAIL);
    }
    close(in_pipe[0]);
    close(out_pipe[1]);

    struct local_why copy_why = { 0 };
    int write_status = local_copy_fd(job->msg, in_pipe[1], job->copy_flags, job->sender,
				     job->orig_rcpt, job->delivered, job->a->enable_orcpt,
				     deadline, &timed_out, &copy_why);
    int write_errno = errno;
    close(in_pipe[1]);

    size_t log_len = timed_out ? 0 : read_output(out_pipe[0], log_buf, deadline, &timed_out);
    close(out_pipe[0]);
    log_buf[log_len] = 0;
    log_len = strlen(log_buf);
    clean_output(log_buf, log_len, job->a->utf8);

    int wstatus = 0;
    if (wait_command(pid, deadline, &timed_out, &wstatus) < 0) {
	why_unix(why, "4.3.0", sys_exits[71 - EX_BASE].text, "Delivery failed: wait: %s",
		 strerror(errno));
	why_free(&copy_why);
	return KIND_FAIL;
    }
    const char *sep = log_len ? ". Command output: " : "";
    int status;
    if (timed_out) {
	why_unix(why, "5.3.0", log_len ? log_buf : sys_exits[EX_SOFTWARE - EX_BASE].text,
		 "Command time limit exceeded: \"%s\"%s%s", command, sep, log_buf);
	status = KIND_FAIL;
    } else if (WIFSIGNALED(wstatus)) {
	why_unix(why, "4.3.0", log_len ? log_buf : sys_exits[EX_SOFTWARE - EX_BASE].text,
		 "Command died with signal %d: \"%s\"%s%s", WTERMSIG(wstatus), command, sep,
		 log_buf);
	status = KIND_FAIL;
    } else if (WEXITSTATUS(wstatus) != 0) {
	int code = WEXITSTATUS(wstatus);
	char dsn[DSN_SIZE];
	if (dsn_valid(log_buf) > 0) {
	    /* "D.S.N text" output decides. */
	    const char *text = dsn_split(dsn, "5.3.0", log_buf);
	    why_unix(why, dsn, text, "%s", text);
	} else if (code >= EX_BASE && code <= EX_MAX) {
	    why_unix(why, sys_exits[code - EX_BASE].dsn,
		     log_len ? log_buf : sys_exits[code - EX_BASE].text, "%s%s%s",
		     sys_exits[code - EX_BASE].text, sep, log_buf);
	} else {
	    char text[64];
	    snprintf(text, sizeof(text), "unknown mail system error %d", code);
	    why_unix(why, "5.3.0", log_len ? log_buf : text,
		     "Command died with status %d: \"%s\"%s%s", code, command, sep, log_buf);
	}
	status = KIND_FAIL;
    } else if (write_status == KIND_CORRUPT) {
	status = KIND_CORRUPT;
	why_set(why, copy_why.dsn, "%s", sb_str(&copy_why.reason));
    } else if (write_status != 0 && write_errno != EPIPE) {
	why_unix(why, copy_why.dsn, sb_str(&copy_why.dtext), "Command failed: %s: \"%s\"",
		 sb_str(&copy_why.reason), command);
	status = KIND_FAIL;
    } else {
	why_set(why, "2.0.0", "%s", log_buf);
	status = KIND_OK;
    }
    why_free(&copy_why);
    return status;
}

const struct local_kind local_kind_command = {
    .name = "command",
    .deliver = command_deliver,
};
