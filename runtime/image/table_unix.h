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
 * unix_memo_want_snapshot - a batch run's memo: at its first passwd
 * lookup, the whole account database is read at once by listing it
 * (setpwent()/getpwent()), when that listing is known to hold every name
 * getpwnam() answers (unix_passwd_sources(), unix_systemd_listed()); a
 * name not listed is then not found without asking the host. Otherwise,
 * or when the listing fails, each name is asked as before. Never for
 * pfcd: a listing costs more than a session's few names.
 */
void unix_memo_want_snapshot(struct unix_memo *memo);

/*
 * unix_memo_snapshot - take that snapshot now, reading nsswitch_conf and,
 * for the systemd source, userdb_dir and dropin_dirs (NULL-terminated);
 * 1 when taken, 0 with *why when not (the memo then asks per key).
 */
int unix_memo_snapshot(struct unix_memo *memo, const char *nsswitch_conf,
		       const char *userdb_dir, const char *const *dropin_dirs, const char **why);

/* The sources of nsswitch.conf's passwd line, as glibc reads it */
#define UNIX_PW_ENUMERABLE	1	/* the listing holds every name... */
#define UNIX_PW_FILES		2	/* "files": ...but those starting with + or - */
#define UNIX_PW_SYSTEMD		4	/* "systemd": ...and root and nobody */

/*
 * unix_passwd_sources - UNIX_PW_* for nsswitch_conf's passwd line, read as
 * glibc reads it (no file or no line: "files"; the last line counts);
 * 0 with *why when a source may answer names it does not list (compat,
 * nis, ldap, sss, winbind, any other) or the line has an action item.
 */
int unix_passwd_sources(const char *nsswitch_conf, const char **why);

/*
 * unix_systemd_listed - whether nss-systemd lists every name it answers
 * but root and nobody: userdb_dir (/run/systemd/userdb) offers no
 * service but pid 1's dynamic users (and those nss-systemd does not ask),
 * and no dropin_dirs directory holds a user record. 0 with *why if not.
 */
int unix_systemd_listed(const char *userdb_dir, const char *const *dropin_dirs,
			const char **why);

/* systemd's user record drop-in directories, NULL-terminated */
extern const char *const unix_userdb_dropin_dirs[];

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
