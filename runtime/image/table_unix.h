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
 * unix_table_lookup - look key up in the unix: table map ("passwd.byname"):
 * 1 with the answer in *answer, 0 when there is none, -1 with *why for a
 * map Postfix does not know or a lookup that failed.
 */
int unix_table_lookup(const char *map, const char *key, struct strbuf *answer,
		      const char **why);

#endif
