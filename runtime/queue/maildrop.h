/*
 * maildrop - a message submitted on this host (pfc sendmail), as it waits
 * in queue_directory/maildrop for pfcd's pickup (pfc-queue(5), MAILDROP
 * FILES). The file is written by pfc-postdrop on behalf of any local user,
 * so pickup reads it as untrusted input: maildrop_parse() checks every
 * record and refuses what is not exactly this format.
 *
 * Records, in the queue file's syntax (queue_file.h), in this order:
 *
 *	V "pfcm 1"
 *	S the envelope sender, as given (-f) or the login name
 *	F the sender's full name (-F, NAME, the GECOS field); optional
 *	A "name=value": envid (-V), ret (-R: FULL or HDRS); optional
 *	R a recipient, N its DSN NOTIFY mask after it (optional); one or more
 *	M the message: headers, empty line, body, LF line ends
 *	E the end: a file without it is not complete
 */
#ifndef PFC_MAILDROP_H
#define PFC_MAILDROP_H

#include <stddef.h>

#include "strbuf.h"

#define MAILDROP_MAGIC	"pfcm 1"
#define MAILDROP_DIR	"maildrop"	/* under queue_directory */
#define MAILDROP_END	"E0:\n"		/* the last bytes of every complete file */
/*
 * Under queue_directory: a symbolic link, made by pfcd (root) when it
 * starts, to the image it serves that queue with. pfc-postdrop takes the
 * policy it enforces (authorized_submit_users) from there, and from
 * nowhere a user could choose: only a link owned by root counts.
 */
#define MAILDROP_POLICY	"pfcd.pfi"
#define QREC_FULLNAME	'F'

struct maildrop_rcpt {
    char *address;
    int notify;			/* QNOTIFY_* mask; 0: not given */
};

struct maildrop {
    char *sender;
    char *full_name;		/* NULL: none */
    char *envid;		/* NULL: none */
    char *ret;			/* NULL: none */
    struct maildrop_rcpt *rcpts;
    size_t nrcpts, cap;
    char *content;
    size_t content_len;
};

void maildrop_init(struct maildrop *m);
void maildrop_add_rcpt(struct maildrop *m, const char *address, int notify);
void maildrop_free(struct maildrop *m);

/* maildrop_put - the file's bytes for m, into out */
void maildrop_put(const struct maildrop *m, struct strbuf *out);

/*
 * maildrop_parse - a file's bytes into m (initialized here). Returns 0,
 * or -1 with the reason in *err: not this format, a record out of place
 * or unknown, no recipient, no end. Strings are copied out of data.
 */
int maildrop_parse(const char *data, size_t len, struct maildrop *m, struct strbuf *err);

#endif
