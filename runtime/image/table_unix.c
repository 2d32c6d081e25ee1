/* table_unix - unix:passwd.byname and unix:group.byname (see table_unix.h) */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strmap.h"
#include "table_unix.h"
#include "xalloc.h"

enum memo_mode {
    MEMO_PER_KEY,		/* each name asked of the host once */
    MEMO_SNAPSHOT_WANTED,	/* a snapshot is taken at the first lookup */
    MEMO_SNAPSHOT,		/* the map holds every name the host answers but asked_per_key()s */
};

struct unix_memo {
    struct strmap passwd;	/* name -> the passwd line, or not_found */
    enum memo_mode mode;
    int sources;		/* with a snapshot: UNIX_PW_* of nsswitch.conf */
};

static char not_found[] = "";

struct unix_memo *unix_memo_new(void)
{
    struct unix_memo *memo = xmalloc(sizeof(*memo));

    strmap_init(&memo->passwd);
    memo->mode = MEMO_PER_KEY;
    memo->sources = 0;
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

/* passwd_line - pw as the table answers it: "name:passwd:uid:gid:gecos:dir:shell" */
static void passwd_line(const struct passwd *pw, struct strbuf *answer)
{
    sb_reset(answer);
    sb_printf(answer, "%s:%s:%ld:%ld:%s:%s:%s", pw->pw_name, pw->pw_passwd,
	      (long) pw->pw_uid, (long) pw->pw_gid, pw->pw_gecos, pw->pw_dir, pw->pw_shell);
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
    passwd_line(pw, answer);
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

/* ------------------------------------------------------------ snapshot */

/*
 * next_word - the next word at *at (glibc's nsswitch.conf words: up to
 * white space or one of stops): *at set to its start, its length returned
 * (0 at the end)
 */
static size_t next_word(const char **at, const char *stops)
{
    const char *p = *at;

    while (isspace((unsigned char) *p))
	p++;
    const char *start = p;
    while (*p != '\0' && !isspace((unsigned char) *p) && strchr(stops, *p) == NULL)
	p++;
    *at = start;
    return (size_t) (p - start);
}

/*
 * passwd_line_sources - the sources of one "passwd:" line's service list
 * (after the colon), as UNIX_PW_* bits; 0 with *why for one that is not
 * known to list all it answers, or an action item.
 */
static int passwd_line_sources(const char *list, const char **why)
{
    int sources = UNIX_PW_ENUMERABLE;
    size_t len;

    while ((len = next_word(&list, "[")) > 0) {
	if (len == 5 && strncmp(list, "files", 5) == 0)
	    sources |= UNIX_PW_FILES;
	else if (len == 7 && strncmp(list, "systemd", 7) == 0)
	    sources |= UNIX_PW_SYSTEMD;
	else {
	    /* compat, nis, ldap, sss, winbind...: getpwent() may list less, or nothing. */
	    *why = "a passwd source other than files and systemd";
	    return 0;
	}
	list += len;
	while (isspace((unsigned char) *list))
	    list++;
	if (*list == '[') {
	    /* [NOTFOUND=return] and the like stop a lookup and a listing differently. */
	    *why = "an action item on the passwd line";
	    return 0;
	}
    }
    return sources;
}

int unix_passwd_sources(const char *nsswitch_conf, const char **why)
{
    FILE *fp = fopen(nsswitch_conf, "r");

    if (fp == NULL) {
	/* glibc ignores a file that is not there or not readable: passwd is "files". */
	if (errno == ENOENT || errno == EACCES || errno == ENOTDIR || errno == EISDIR
	    || errno == ELOOP || errno == EPERM)
	    return UNIX_PW_ENUMERABLE | UNIX_PW_FILES;
	*why = "nsswitch.conf could not be read";
	return 0;
    }
    /* glibc: without a passwd line, "files"; of several, the last one counts. */
    int sources = UNIX_PW_ENUMERABLE | UNIX_PW_FILES;
    const char *line_why = NULL;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, fp) > 0) {
	const char *at = line;
	size_t len = next_word(&at, ":");
	/* The database's name, then any run of white space and colons, then its list. */
	if (len != 6 || strncmp(at, "passwd", 6) != 0)
	    continue;
	at += len;
	if (*at == '\0')
	    continue;
	while (*at != '\0' && (isspace((unsigned char) *at) || *at == ':'))
	    at++;
	sources = passwd_line_sources(at, &line_why);
    }
    int failed = ferror(fp);
    free(line);
    fclose(fp);
    if (failed) {
	*why = "nsswitch.conf could not be read";
	return 0;
    }
    if (sources == 0)
	*why = line_why;
    return sources;
}

/* The userdb services nss-systemd asks for a name, and the one it lists: pid 1's. */
static const char *const listed_services[] = {
    "io.systemd.DynamicUser",	/* answers a name from the table it lists */
    "io.systemd.Multiplexer",	/* not asked by nss-systemd: it would ask NSS back */
    "io.systemd.NameServiceSwitch",	/* the same */
    "io.systemd.DropIn",	/* the drop-in records, checked apart */
    NULL
};

/* The drop-in user records' directories (systemd's userdb-dropin.h) */
const char *const unix_userdb_dropin_dirs[] = {
    "/etc/userdb", "/run/userdb", "/run/host/userdb", "/usr/local/lib/userdb",
    "/usr/lib/userdb", "/lib/userdb", NULL
};

/* dir_has - whether dir holds an entry that is not in allowed nor "."/"..", or ends in suffix */
static int dir_has(const char *dir, const char *const *allowed, const char *suffix)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int found = 0;

    if (d == NULL)
	return errno != ENOENT && errno != ENOTDIR;	/* unreadable: assume the worst */
    while (!found && (de = readdir(d)) != NULL) {
	const char *name = de->d_name;
	size_t len = strlen(name);
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
	    continue;
	if (suffix != NULL) {
	    size_t slen = strlen(suffix);
	    found = len >= slen && strcmp(name + len - slen, suffix) == 0;
	    continue;
	}
	found = 1;
	for (const char *const *a = allowed; *a != NULL; a++)
	    if (strcmp(name, *a) == 0)
		found = 0;
    }
    closedir(d);
    return found;
}

int unix_systemd_listed(const char *userdb_dir, const char *const *dropin_dirs,
			const char **why)
{
    if (dir_has(userdb_dir, listed_services, NULL)) {
	/* machined's and homed's users, and anyone's: not all list what they answer */
	*why = "a systemd userdb service other than pid 1's";
	return 0;
    }
    for (const char *const *d = dropin_dirs; *d != NULL; d++)
	if (dir_has(*d, NULL, ".user")) {
	    /* NAME.user is answered by name, only UID.user is listed */
	    *why = "a systemd userdb drop-in record";
	    return 0;
	}
    return 1;
}

/*
 * asked_per_key - the names a snapshot does not answer: the files source
 * never matches a name that starts with + or - (NIS compat lines), which
 * getpwent() lists; nss-systemd answers root and nobody, made up when no
 * source before it has them, and lists neither.
 */
static int asked_per_key(int sources, const char *name)
{
    if (name[0] == '+' || name[0] == '-')
	return 1;
    return (sources & UNIX_PW_SYSTEMD)
	&& (strcmp(name, "root") == 0 || strcmp(name, "nobody") == 0);
}

int unix_memo_snapshot(struct unix_memo *memo, const char *nsswitch_conf,
		       const char *userdb_dir, const char *const *dropin_dirs, const char **why)
{
    int sources = unix_passwd_sources(nsswitch_conf, why);

    if (sources == 0 || ((sources & UNIX_PW_SYSTEMD)
			 && !unix_systemd_listed(userdb_dir, dropin_dirs, why)))
	return 0;

    struct strbuf line = STRBUF_INIT;
    struct passwd *pw;
    int err;
    setpwent();
    for (;;) {
	errno = 0;
	if ((pw = getpwent()) == NULL) {
	    err = errno;
	    break;
	}
	/* As getpwnam() answers: the first source, the first line, has the name. */
	if (asked_per_key(sources, pw->pw_name) || strmap_has(&memo->passwd, pw->pw_name))
	    continue;
	passwd_line(pw, &line);
	strmap_put(&memo->passwd, pw->pw_name, xstrdup(sb_str(&line)));
    }
    endpwent();
    sb_free(&line);
    if (err != 0 && err != ENOENT) {
	/* A listing cut short lists less than getpwnam() answers. */
	strmap_free(&memo->passwd, free_answer);
	strmap_init(&memo->passwd);
	*why = "the account database could not be listed";
	return 0;
    }
    memo->mode = MEMO_SNAPSHOT;
    memo->sources = sources;
    return 1;
}

void unix_memo_want_snapshot(struct unix_memo *memo)
{
    memo->mode = MEMO_SNAPSHOT_WANTED;
}

/* passwd_memo - passwd_byname(), each key asked of the host once while memo lives */
static int passwd_memo(struct unix_memo *memo, const char *key, struct strbuf *answer,
		       const char **why)
{
    if (memo->mode == MEMO_SNAPSHOT_WANTED) {
	/* The host's files, never under --root: they are what getpwnam() reads. */
	const char *ignored;
	memo->mode = MEMO_PER_KEY;
	(void) unix_memo_snapshot(memo, "/etc/nsswitch.conf", "/run/systemd/userdb",
				  unix_userdb_dropin_dirs, &ignored);
    }
    char *known = strmap_get(&memo->passwd, key);

    if (known == not_found)
	return 0;
    if (known != NULL) {
	sb_reset(answer);
	sb_adds(answer, known);
	return 1;
    }
    if (memo->mode == MEMO_SNAPSHOT && !asked_per_key(memo->sources, key))
	return 0;
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
