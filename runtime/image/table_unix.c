/* table_unix - unix:passwd.byname and unix:group.byname (see table_unix.h) */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>

#include "table_unix.h"

static int passwd_byname(const char *key, struct strbuf *answer, const char **why)
{
    struct passwd *pw;

    errno = 0;
    if ((pw = getpwnam(key)) == NULL) {
	/* Only running out of memory is a failure; anything else is "no such user". */
	if (errno == ENOMEM) {
	    *why = "out of memory";
	    return -1;
	}
	return 0;
    }
    sb_reset(answer);
    sb_printf(answer, "%s:%s:%ld:%ld:%s:%s:%s", pw->pw_name, pw->pw_passwd,
	      (long) pw->pw_uid, (long) pw->pw_gid, pw->pw_gecos, pw->pw_dir, pw->pw_shell);
    return 1;
}

static int group_byname(const char *key, struct strbuf *answer, const char **why)
{
    struct group *gr;

    errno = 0;
    if ((gr = getgrnam(key)) == NULL) {
	if (errno == ENOMEM) {
	    *why = "out of memory";
	    return -1;
	}
	return 0;
    }
    sb_reset(answer);
    sb_printf(answer, "%s:%s:%ld:", gr->gr_name, gr->gr_passwd, (long) gr->gr_gid);
    for (char **member = gr->gr_mem; *member; member++) {
	if (member != gr->gr_mem)
	    sb_addch(answer, ',');
	sb_adds(answer, *member);
    }
    return 1;
}

int unix_table_lookup(const char *map, const char *key, struct strbuf *answer,
		      const char **why)
{
    if (strcmp(map, "passwd.byname") == 0)
	return passwd_byname(key, answer, why);
    if (strcmp(map, "group.byname") == 0)
	return group_byname(key, answer, why);
    *why = "unknown table";
    return -1;
}
