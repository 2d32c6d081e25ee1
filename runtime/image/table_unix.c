/* table_unix - unix:passwd.byname and unix:group.byname (see table_unix.h) */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "table_unix.h"
#include "xalloc.h"

/* name -> the passwd line, or not_found */
struct unix_memo {
    struct strmap passwd;
};

static char not_found[] = "";

struct unix_memo *unix_memo_new(void)
{
    struct unix_memo *memo = xmalloc(sizeof(*memo));

    strmap_init(&memo->passwd);
    return memo;
}

static void free_answer(void *answer)
{
    if (answer != not_found)
	free(answer);
}

void unix_memo_free(struct unix_memo *memo)
{
    if (memo == NULL)
	return;
    strmap_free(&memo->passwd, free_answer);
    free(memo);
}

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

/* passwd_memo - passwd_byname(), each key asked of the host once while memo lives */
static int passwd_memo(struct unix_memo *memo, const char *key, struct strbuf *answer,
		       const char **why)
{
    char *known = strmap_get(&memo->passwd, key);

    if (known == not_found)
	return 0;
    if (known != NULL) {
	sb_reset(answer);
	sb_adds(answer, known);
	return 1;
    }
    int found = passwd_byname(key, answer, why);
    if (found >= 0)
	strmap_put(&memo->passwd, key, found ? xstrdup(sb_str(answer)) : not_found);
    return found;
}

int unix_table_lookup(struct unix_memo *memo, const char *map, const char *key,
		      struct strbuf *answer, const char **why)
{
    if (strcmp(map, "passwd.byname") == 0)
	return memo ? passwd_memo(memo, key, answer, why) : passwd_byname(key, answer, why);
    if (strcmp(map, "group.byname") == 0)
	return group_byname(key, answer, why);
    *why = "unknown table";
    return -1;
}
