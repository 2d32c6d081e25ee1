/*
 * table_unix - the unix: table type, as Postfix's dict_unix.c answers it
 * from the host itself: unix:passwd.byname (getpwnam(): the passwd line
 * "name:passwd:uid:gid:gecos:dir:shell") and unix:group.byname
 * (getgrnam(): "name:passwd:gid:member,member"). An image holds such a
 * table by name only; the runtime asks the host it runs on, as smtpd
 * does for local_recipient_maps' default proxy:unix:passwd.byname.
 */
#ifndef PFC_TABLE_UNIX_H
#define PFC_TABLE_UNIX_H

#include "strbuf.h"

/*
 * The passwd answers already had from the host, found and not found:
 * each name is asked of the host once while a memo lives. Its owner
 * decides how long that is (a session, or a batch run that reads the
 * account database as a snapshot); a change to the database meanwhile
 * is not seen. getpwnam() costs a name service's round (over 100 us
 * with nsswitch's systemd module), a memo hit a hash probe.
 */
struct unix_memo;

struct unix_memo *unix_memo_new(void);
void unix_memo_free(struct unix_memo *memo);

/*
 * unix_table_lookup - look key up in the unix: table map ("passwd.byname"):
 * 1 with the answer in *answer, 0 when there is none, -1 with *why for a
 * map Postfix does not know or a lookup that failed. memo (NULL: none)
 * answers passwd.byname keys it has seen and keeps those it has not;
 * a failed lookup is not kept.
 */
int unix_table_lookup(struct unix_memo *memo, const char *map, const char *key,
		      struct strbuf *answer, const char **why);

#endif
