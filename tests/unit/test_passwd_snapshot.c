/*
 * test_passwd_snapshot - the batch runs' snapshot of the account
 * database (table_unix.h): nsswitch.conf's passwd line read as glibc
 * reads it, the systemd source's listing judged complete or not, and,
 * on this host, the snapshot's answer to every name it lists, to names
 * it does not (misses, names with '@', root, nobody, +name) equal to the
 * answer getpwnam() gives for that name, with the real C library.
 */
#include <ctype.h>
#include <limits.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "strbuf.h"
#include "table_unix.h"
#include "xalloc.h"
#include "scratch_dir.h"

static char dir[PATH_MAX];

/* conf_path - dir/name, in a static buffer */
static const char *conf_path(const char *name)
{
    static char path[PATH_MAX + 64];

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return path;
}

/* sources_of - unix_passwd_sources() of an nsswitch.conf holding text (NULL: none) */
static int sources_of(const char *text, const char **why)
{
    const char *path = conf_path("nsswitch.conf");

    unlink(path);
    if (text != NULL) {
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs(text, fp);
	assert_int_equal(fclose(fp), 0);
    }
    *why = NULL;
    return unix_passwd_sources(path, why);
}

static void test_nsswitch_as_glibc_reads_it(void **state)
{
    static const struct {
	const char *text;
	int sources;
    } cases[] = {
	{ NULL, UNIX_PW_FILES },	/* no file: glibc's default */
	{ "", UNIX_PW_FILES },
	{ "hosts: files dns\n", UNIX_PW_FILES },	/* no passwd line: the default */
	{ "passwd:         files systemd\n", UNIX_PW_FILES | UNIX_PW_SYSTEMD },
	{ "passwd: systemd files\n", UNIX_PW_FILES | UNIX_PW_SYSTEMD },
	{ "  passwd:files\n", UNIX_PW_FILES },
	{ "passwd files systemd\n", UNIX_PW_FILES | UNIX_PW_SYSTEMD },	/* white space ends the name */
	{ "passwd ::\t: files\n", UNIX_PW_FILES },
	{ "passwd: ldap\npasswd: files\n", UNIX_PW_FILES },	/* the last line counts */
	{ "# passwd: ldap\n#passwd: sss\npasswd: files\n", UNIX_PW_FILES },
	{ "passwd_compat: nis\npasswd: files\n", UNIX_PW_FILES },
	{ "Passwd: ldap\n", UNIX_PW_FILES },	/* not the passwd database */
	{ "passwd:\n", 0 },	/* no source: nothing answers, nothing to list */
	{ "passwd\n", 0 },	/* the same: the newline separates an empty list */
	{ "passwd", UNIX_PW_FILES },	/* no separator at all: no line */
    };
    const char *why;

    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
	int got = sources_of(cases[i].text, &why);
	if (got != (UNIX_PW_ENUMERABLE | cases[i].sources))
	    fail_msg("case %zu (%s): %d", i, cases[i].text ? cases[i].text : "no file", got);
    }
}

static void test_sources_not_listed(void **state)
{
    static const struct {
	const char *text;
	const char *why;
    } cases[] = {
	{ "passwd: compat\n", "a passwd source other than files and systemd" },
	{ "passwd: files ldap\n", "a passwd source other than files and systemd" },
	{ "passwd: sss files systemd\n", "a passwd source other than files and systemd" },
	{ "passwd: files winbind\n", "a passwd source other than files and systemd" },
	{ "passwd: files nis\n", "a passwd source other than files and systemd" },
	{ "passwd: files extrausers\n", "a passwd source other than files and systemd" },
	{ "passwd: files\npasswd: ldap\n", "a passwd source other than files and systemd" },
	/* no comment after the list for glibc: "#" is a source */
	{ "passwd: files # local\n", "a passwd source other than files and systemd" },
	{ "passwd: files [NOTFOUND=return] systemd\n", "an action item on the passwd line" },
	{ "passwd: files[SUCCESS=return]\n", "an action item on the passwd line" },
    };
    const char *why;

    (void) state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
	assert_int_equal(sources_of(cases[i].text, &why), 0);
	assert_non_null(why);
	assert_string_equal(why, cases[i].why);
    }
    /* a memo refused its snapshot asks name by name, and says why */
    struct unix_memo *memo = unix_memo_new();
    const char *const none[] = { NULL };
    char conf[PATH_MAX + 64];
    sources_of("passwd: ldap\n", &why);
    snprintf(conf, sizeof(conf), "%s", conf_path("nsswitch.conf"));
    why = NULL;
    assert_int_equal(unix_memo_snapshot(memo, conf, conf_path("userdb"), none, &why), 0);
    assert_string_equal(why, "a passwd source other than files and systemd");
    unix_memo_free(memo);
}

/* touch - an empty file dir/name */
static void touch(const char *name)
{
    FILE *fp = fopen(conf_path(name), "w");

    assert_non_null(fp);
    assert_int_equal(fclose(fp), 0);
}

static void test_systemd_listed(void **state)
{
    char userdb[PATH_MAX + 64], dropin[PATH_MAX + 64];
    const char *const dropins[] = { dropin, NULL };
    const char *why = NULL;

    (void) state;
    snprintf(userdb, sizeof(userdb), "%s", conf_path("userdb"));
    snprintf(dropin, sizeof(dropin), "%s", conf_path("dropin"));
    /* no systemd running: nothing but root and nobody */
    assert_int_equal(unix_systemd_listed(userdb, dropins, &why), 1);
    assert_int_equal(mkdir(userdb, 0755), 0);
    assert_int_equal(mkdir(dropin, 0755), 0);
    touch("userdb/io.systemd.DynamicUser");
    touch("userdb/io.systemd.Multiplexer");
    touch("userdb/io.systemd.NameServiceSwitch");
    touch("userdb/io.systemd.DropIn");
    touch("dropin/README");
    assert_int_equal(unix_systemd_listed(userdb, dropins, &why), 1);

    /* machined does not list its containers' users */
    touch("userdb/io.systemd.Machine");
    assert_int_equal(unix_systemd_listed(userdb, dropins, &why), 0);
    assert_string_equal(why, "a systemd userdb service other than pid 1's");
    unlink(conf_path("userdb/io.systemd.Machine"));

    /* alice.user is answered by name; only 1000.user is listed */
    touch("dropin/alice.user");
    why = NULL;
    assert_int_equal(unix_systemd_listed(userdb, dropins, &why), 0);
    assert_string_equal(why, "a systemd userdb drop-in record");
    unlink(conf_path("dropin/alice.user"));
    assert_int_equal(unix_systemd_listed(userdb, dropins, &why), 1);
}

/* answer - the table's answer for key through memo (NULL: getpwnam() itself) */
static int answer(struct unix_memo *memo, const char *key, struct strbuf *out)
{
    const char *why = NULL;

    sb_reset(out);
    return unix_table_lookup(memo, "passwd.byname", key, out, &why);
}

/*
 * same_answer - whether the snapshot answers key as getpwnam() does; the
 * first difference is kept in *diff
 */
static int same_answer(struct unix_memo *memo, const char *key, struct strbuf *diff)
{
    struct strbuf snap = STRBUF_INIT, host = STRBUF_INIT;
    int from_snap = answer(memo, key, &snap);
    int from_host = answer(NULL, key, &host);
    int same = from_snap == from_host
	&& (from_host != 1 || strcmp(sb_str(&snap), sb_str(&host)) == 0);

    if (!same && diff->len == 0)
	sb_printf(diff, "\"%s\": snapshot %d \"%s\", getpwnam() %d \"%s\"", key, from_snap,
		  from_snap == 1 ? sb_str(&snap) : "", from_host,
		  from_host == 1 ? sb_str(&host) : "");
    sb_free(&snap);
    sb_free(&host);
    return same;
}

/* listed - the names getpwent() lists now, in *names (n of them), and their lines in *lines */
static size_t listed(char ***names, struct strbuf *lines)
{
    size_t n = 0, cap = 0;
    struct passwd *pw;

    *names = NULL;
    sb_reset(lines);
    setpwent();
    while ((pw = getpwent()) != NULL) {
	if (n == cap) {
	    cap = cap ? 2 * cap : 64;
	    *names = xrealloc(*names, cap * sizeof(**names));
	}
	(*names)[n++] = xstrdup(pw->pw_name);
	sb_printf(lines, "%s:%s:%ld:%ld:%s:%s:%s\n", pw->pw_name, pw->pw_passwd,
		  (long) pw->pw_uid, (long) pw->pw_gid, pw->pw_gecos, pw->pw_dir, pw->pw_shell);
    }
    endpwent();
    return n;
}

/*
 * compare_all - take a snapshot and ask it and getpwnam() every listed
 * name, names near each, and others; the first difference in *diff
 */
static void compare_all(char **names, size_t n, struct strbuf *diff)
{
    static const char *const others[] = {
	"root", "nobody", "root@example.com", "nobody@localhost", "", "+", "-", "@",
	"@example.com", "user1", "user1@example.com", "no-such-user-at-all",
	"postmaster", "mailer-daemon", "ROOT", "0", "65534",
    };
    static const char *const near[] = { "%s@example.com", "%s@", "+%s", "-%s", "%sx", "%s " };
    struct unix_memo *memo = unix_memo_new();
    struct strbuf key = STRBUF_INIT;
    const char *why = NULL;

    /* Without a snapshot (skip() fails under TAP), the memo asks name by name. */
    if (!unix_memo_snapshot(memo, "/etc/nsswitch.conf", "/run/systemd/userdb",
			    unix_userdb_dropin_dirs, &why))
	print_message("no snapshot on this host: %s\n", why);
    for (size_t i = 0; i < n; i++) {
	same_answer(memo, names[i], diff);
	for (size_t j = 0; j < sizeof(near) / sizeof(near[0]); j++) {
	    sb_reset(&key);
	    sb_printf(&key, near[j], names[i]);
	    same_answer(memo, sb_str(&key), diff);
	}
	sb_reset(&key);
	for (const char *c = names[i]; *c; c++)
	    sb_addch(&key, (char) toupper((unsigned char) *c));
	same_answer(memo, sb_str(&key), diff);
    }
    for (size_t i = 0; i < sizeof(others) / sizeof(others[0]); i++)
	same_answer(memo, others[i], diff);
    sb_free(&key);
    unix_memo_free(memo);
}

static void test_snapshot_answers_as_getpwnam(void **state)
{
    struct strbuf before = STRBUF_INIT, after = STRBUF_INIT, diff = STRBUF_INIT;
    char **names, **names_after;
    int settled = 0;

    (void) state;
    /*
     * Another program may add or remove an account meanwhile (tests that
     * create users): a comparison counts when the listing did not change.
     */
    for (int attempt = 0; attempt < 5 && !settled; attempt++) {
	size_t n = listed(&names, &before);
	sb_reset(&diff);
	compare_all(names, n, &diff);
	size_t n_after = listed(&names_after, &after);
	settled = strcmp(sb_str(&before), sb_str(&after)) == 0;
	for (size_t i = 0; i < n; i++)
	    free(names[i]);
	for (size_t i = 0; i < n_after; i++)
	    free(names_after[i]);
	free(names);
	free(names_after);
    }
    if (!settled)
	fail_msg("the account database kept changing");
    if (diff.len > 0)
	fail_msg("%s", sb_str(&diff));
    sb_free(&before);
    sb_free(&after);
    sb_free(&diff);
}

static int setup(void **state)
{
    (void) state;
    return scratch_make(dir, sizeof(dir), "test_passwd_snapshot");
}

static int teardown(void **state)
{
    (void) state;
    return scratch_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_nsswitch_as_glibc_reads_it),
	cmocka_unit_test(test_sources_not_listed),
	cmocka_unit_test(test_systemd_listed),
	cmocka_unit_test(test_snapshot_answers_as_getpwnam),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
