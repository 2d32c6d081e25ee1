/*
 * test_sysroot - --root: absolute paths under the root, and what leads out
 * of it (links, "..", relative paths), by path and by open file.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysroot.h"
#include "scratch_dir.h"

/* A scratch tree: ROOT/etc/postfix/{main.cf, in -> main.cf, out -> OUTSIDE, up -> ../../../OUTSIDE} */
struct tree {
    char top[PATH_MAX], root[PATH_MAX + 16], outside[PATH_MAX + 16];
};

static void write_file(const char *path)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    fputs("x\n", fp);
    assert_int_equal(fclose(fp), 0);
}

static int setup(void **state)
{
    struct tree *t = calloc(1, sizeof(*t));
    char path[PATH_MAX + 96];

    if (scratch_make(t->top, sizeof(t->top), "test_sysroot") < 0)
	return -1;
    snprintf(t->root, sizeof(t->root), "%s/root", t->top);
    snprintf(t->outside, sizeof(t->outside), "%s/secret", t->top);
    snprintf(path, sizeof(path), "%s/etc/postfix", t->root);
    if (mkdir(t->root, 0700) < 0 || mkdir(strcat(strcpy(path, t->root), "/etc"), 0700) < 0
	|| mkdir(strcat(path, "/postfix"), 0700) < 0)
	return -1;
    write_file(t->outside);
    snprintf(path, sizeof(path), "%s/etc/postfix/main.cf", t->root);
    write_file(path);
    snprintf(path, sizeof(path), "%s/etc/postfix/in", t->root);
    if (symlink("main.cf", path) < 0)
	return -1;
    snprintf(path, sizeof(path), "%s/etc/postfix/out", t->root);
    if (symlink(t->outside, path) < 0)
	return -1;
    snprintf(path, sizeof(path), "%s/etc/postfix/up", t->root);
    if (symlink("../../../secret", path) < 0)
	return -1;
    snprintf(path, sizeof(path), "%s/etc/postfix/dangling", t->root);
    if (symlink("/nonexistent/pfc-test", path) < 0)
	return -1;
    sysroot_set(t->root);
    *state = t;
    return 0;
}

static int teardown(void **state)
{
    struct tree *t = *state;

    sysroot_set(NULL);
    int rc = scratch_remove(t->top);
    free(t);
    return rc;
}

/* outside - sysroot_outside of a deployed path, as the callers ask */
static char *outside(const char *deployed)
{
    char *opened = sysroot_path(deployed);
    char *where = sysroot_outside(opened);

    free(opened);
    return where;
}

static void test_path_under_root(void **state)
{
    struct tree *t = *state;
    char *p = sysroot_path("/etc/postfix/main.cf");
    char want[PATH_MAX + 64];

    snprintf(want, sizeof(want), "%s/etc/postfix/main.cf", t->root);
    assert_string_equal(p, want);
    free(p);
    p = sysroot_path("relative/x");
    assert_string_equal(p, "relative/x");
    free(p);
}

static void test_inside_is_fine(void **state)
{
    (void) state;
    assert_null(outside("/etc/postfix/main.cf"));
    assert_null(outside("/etc/postfix/in"));
    assert_null(outside("/etc/postfix/../postfix/main.cf"));
    /* Nothing there, or a link to nothing: nothing can be read. */
    assert_null(outside("/etc/postfix/nosuch"));
    assert_null(outside("/etc/postfix/dangling"));
}

static void test_links_out(void **state)
{
    struct tree *t = *state;
    char *where = outside("/etc/postfix/out");

    assert_non_null(where);
    assert_string_equal(where, t->outside);
    free(where);
    where = outside("/etc/postfix/up");
    assert_non_null(where);
    assert_string_equal(where, t->outside);
    free(where);
    /* ".." in the name itself climbs out too. */
    where = outside("/../secret");
    assert_non_null(where);
    free(where);
}

static void test_open_file(void **state)
{
    char *opened = sysroot_path("/etc/postfix/out");
    int fd = open(opened, O_RDONLY);
    char *where;

    (void) state;
    assert_true(fd >= 0);
    where = sysroot_fd_outside(fd);
    assert_non_null(where);
    free(where);
    close(fd);
    free(opened);
    opened = sysroot_path("/etc/postfix/in");
    fd = open(opened, O_RDONLY);
    assert_true(fd >= 0);
    assert_null(sysroot_fd_outside(fd));
    close(fd);
    free(opened);
}

static void test_no_root(void **state)
{
    (void) state;
    sysroot_set(NULL);
    assert_null(sysroot_outside("/etc/passwd"));
    assert_null(sysroot_fd_outside(0));
    sysroot_set("/");
    assert_null(sysroot_get());
}

/* One spelling of a configuration directory (issue 11, point 9). */
static void test_config_dir(void **state)
{
    struct tree *t = *state;
    char cwd[PATH_MAX], want[PATH_MAX + 32], *d;

    assert_non_null(getcwd(cwd, sizeof(cwd)));
    sysroot_set(NULL);
    static const char *const same[] = {"/etc/postfix", "/etc/postfix/", "//etc/./postfix//",
	"/etc/x/../postfix", "/../etc/postfix"};
    for (size_t i = 0; i < sizeof(same) / sizeof(same[0]); i++) {
	d = sysroot_config_dir(same[i]);
	assert_string_equal(d, "/etc/postfix");
	free(d);
    }
    d = sysroot_config_dir("/");
    assert_string_equal(d, "/");
    free(d);
    /* Relative: against the working directory. */
    snprintf(want, sizeof(want), "%s/cfg", strcmp(cwd, "/") == 0 ? "" : cwd);
    static const char *const rel[] = {"cfg", "cfg/", "./cfg", "x/../cfg"};
    for (size_t i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
	d = sysroot_config_dir(rel[i]);
	assert_string_equal(d, want);
	free(d);
    }
    /* Under a root, from a working directory inside it: the root's path. */
    char conf[PATH_MAX + 32];
    snprintf(conf, sizeof(conf), "%s/etc/postfix", t->root);
    assert_int_equal(chdir(conf), 0);
    sysroot_set(t->root);
    d = sysroot_config_dir(".");
    assert_string_equal(d, "/etc/postfix");
    free(d);
    d = sysroot_config_dir("../postfix/");
    assert_string_equal(d, "/etc/postfix");
    free(d);
    /* ... from outside it: only tidied. */
    assert_int_equal(chdir(t->top), 0);
    d = sysroot_config_dir("./root/etc//postfix/");
    assert_string_equal(d, "root/etc/postfix");
    free(d);
    assert_int_equal(chdir(cwd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_path_under_root, setup, teardown),
	cmocka_unit_test_setup_teardown(test_inside_is_fine, setup, teardown),
	cmocka_unit_test_setup_teardown(test_links_out, setup, teardown),
	cmocka_unit_test_setup_teardown(test_open_file, setup, teardown),
	cmocka_unit_test_setup_teardown(test_no_root, setup, teardown),
	cmocka_unit_test_setup_teardown(test_config_dir, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
