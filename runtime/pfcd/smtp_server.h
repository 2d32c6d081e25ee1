/*
 * smtp_server - pfcd's SMTP side: one process, one poll(2) loop, many
 * sessions, each driven by the protocol engine (smtpd_session.h) that
 * pfc trace also runs. The loop reads, lets the engine answer, and holds
 * every answer back until the messages finished in that round are on
 * stable storage: one round's queue files are synced together (one syncfs,
 * or fdatasync and an fsync of incoming/ for one: group commit), then
 * the 250s go out.
 */
#ifndef PFC_SMTP_SERVER_H
#define PFC_SMTP_SERVER_H

#include "loader.h"

/* One inet smtpd service of master.cf, bound by pfcd before it drops privileges. */
struct smtp_listener {
    char *service;		/* master.cf name: "smtp", "127.0.0.1:2525" */
    int fd;
};

struct smtp_server_config {
    const char *image_path;	/* mapped again on SIGHUP */
    const char *queue_dir;	/* queue_directory, as opened */
    struct smtp_listener *listeners;
    size_t nlisteners;
    int wake_fd;		/* written to when a message is queued (-1: none) */
    int ready_fd;		/* closed once it serves (-1: none) */
};

/*
 * smtp_server_run - serve until SIGTERM (stop accepting, end every
 * session with 421, exit). img is the verified image to start with; the
 * server owns it. SIGHUP maps cfg->image_path again and serves new
 * sessions from it when it verifies. Returns the exit status.
 */
int smtp_server_run(const struct smtp_server_config *cfg, struct image *img);

#endif
