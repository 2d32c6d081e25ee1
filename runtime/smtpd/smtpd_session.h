/*
 * smtpd_session - the SMTP server's side of one conversation, as Postfix
 * 3.7's smtpd(8) holds it (smtpd.c): bytes from the client in, replies
 * out, byte for byte as smtpd sends them (SPEC-runtime 1). No socket, no
 * clock, no queue: pfcd feeds it what a socket reads and writes what it
 * answers; pfc trace feeds it a session from a file. A message's content
 * goes to the caller's message sink (cleanup and the queue in pfcd, a
 * buffer in pfc trace); the restrictions are the engine's (engine.h).
 */
#ifndef PFC_SMTPD_SESSION_H
#define PFC_SMTPD_SESSION_H

#include <stddef.h>
#include <sys/types.h>

#include "engine.h"
#include "session.h"
#include "strbuf.h"

/* Record types of message content, as Postfix's REC_TYPE_NORM/CONT. */
#define SMTPD_REC_NORM	'N'	/* a line (without its line end) */
#define SMTPD_REC_CONT	'C'	/* the first part of a line too long for one record */

/*
 * Where a message goes. open() is called when the first recipient is
 * accepted and names the queue ID; recipient() for each accepted
 * recipient; content() for each record of the message (headers and body
 * as received, dot-unstuffed); close() at the end: 0, or non-zero with a
 * reply in *why ("550 5.7.1 ..." from header_checks, say); abort() when
 * the transaction goes away before close().
 */
struct smtpd_message_ops {
    void *ctx;
    const char *(*open)(void *ctx, const struct session *s);
    void (*recipient)(void *ctx, const char *addr, int dsn_notify, const char *orcpt);
    void (*content)(void *ctx, int type, const char *data, size_t len);
    int (*close)(void *ctx, const struct session *s, struct strbuf *why);
    void (*abort)(void *ctx);
    /*
     * notice - smtpd_chat_notify(): mail the postmaster the transcript
     * (body: the notice's text after its headers) of a session whose
     * errors (ERR_*, error_mask) notify_classes names; NULL: none is sent.
     */
    void (*notice)(void *ctx, const struct session *s, unsigned error_mask, const char *body);
};

struct smtpd_session;

/*
 * smtpd_session_open - a conversation with the client of s (its address
 * and names already set with session_set_client()), under engine e. The
 * greeting (or the rejection that replaces it) is in the output already.
 */
struct smtpd_session *smtpd_session_open(struct engine *e, struct session *s,
					 const struct smtpd_message_ops *ops);

/*
 * smtpd_session_input - bytes from the client. Everything that makes a
 * complete command or data line is acted upon now; replies are appended
 * to the output. Returns 1 once the server has hung up (after QUIT, a 421
 * or 521, a protocol violation it disconnects for), else 0.
 */
int smtpd_session_input(struct smtpd_session *sess, const char *data, size_t len);

/* smtpd_session_eof - the client went away (or the input ended) */
void smtpd_session_eof(struct smtpd_session *sess);

/* smtpd_session_timeout - nothing came for smtpd_timeout: "421 4.4.2 ..." */
void smtpd_session_timeout(struct smtpd_session *sess);

/* smtpd_session_output - the replies so far (the caller sends and resets it) */
struct strbuf *smtpd_session_output(struct smtpd_session *sess);

/*
 * smtpd_session_in_message - is the client sending message content (after
 * DATA's 354, or inside a BDAT chunk)? A client that goes away then ends
 * the session in the middle of a message.
 */
int smtpd_session_in_message(const struct smtpd_session *sess);

/* smtpd_session_hungup - has the server ended the conversation? */
int smtpd_session_hungup(const struct smtpd_session *sess);

/*
 * smtpd_session_delay - how long smtpd would have slept before the
 * replies so far (error tarpit, "sleep" restrictions), in seconds; reset
 * by the call. pfcd waits that long; pfc trace reports it.
 */
long smtpd_session_delay(struct smtpd_session *sess);

/*
 * smtpd_session_counts - the command counts of smtpd's disconnect log
 * line (" ehlo=1 mail=1 rcpt=0/1 quit=1 commands=3/4"), appended to out.
 */
void smtpd_session_counts(const struct smtpd_session *sess, struct strbuf *out);

void smtpd_session_close(struct smtpd_session *sess);

#endif
