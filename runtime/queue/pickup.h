/*
 * pickup - pfcd's pickup(8): it takes the files pfc sendmail left in
 * queue_directory/maildrop (maildrop.h), reads each as untrusted input,
 * and runs cleanup on it as Postfix's pickup feeds cleanup: pickup's
 * Received header ("by HOST (Postfix, from userid UID)"), the headers of
 * a local submission, the recipients canonicalized and expanded; the new
 * queue file is on stable storage before the maildrop file goes. A file
 * that is not a maildrop file is moved to corrupt/ with a log line; one
 * that cleanup does not take (a content check's 4.X.X REJECT, a write
 * error) stays in maildrop/ for the next scan, as Postfix's pickup keeps
 * it. It runs as mail_owner.
 */
#ifndef PFC_PICKUP_H
#define PFC_PICKUP_H

#include <sys/types.h>

#include "loader.h"
#include "strbuf.h"

struct pickup_config {
    const char *image_path;	/* mapped again on SIGHUP */
    const char *queue_dir;	/* queue_directory, as opened */
    int wake_fd;		/* written to when a message is queued (-1: none) */
};

/* pickup_run - serve until SIGTERM. Owns img. Returns the exit status. */
int pickup_run(const struct pickup_config *cfg, struct image *img);

/*
 * pickup_create_dir - queue_dir/maildrop as Postfix has it: mode 0730,
 * owned by mail_owner (uid) and setgid_group (gid), so that only
 * pfc-postdrop (set-group-id gid) can put files there and only mail_owner
 * can list them. An existing directory is brought to that. Then
 * queue_dir/MAILDROP_POLICY (maildrop.h) is made a link to image_path,
 * made absolute, replacing any older one, for pfc-postdrop. Run as root.
 */
int pickup_create_dir(const char *queue_dir, uid_t uid, gid_t gid, const char *image_path,
		      struct strbuf *err);

#endif
