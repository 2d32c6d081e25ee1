/*
 * test_mapfile - a file mapped with a NUL after it, whatever its length
 * against the page size; and a file that shrinks while mapped ends the
 * process with one line and status 1, removing publish's temporary file,
 * instead of dying of SIGBUS.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "diag.h"
#include "mapfile.h"
#include "publish.h"
#include "scratch_dir.h"

static char dir[PATH_MAX];

static int setup(void **state)
{
    (void) state;
    return scratch_make(dir, sizeof(dir), "test_mapfile");
}

static int teardown(void **state)
{
    (void) state;
    return scratch_remove(dir);
}

/* make_file - a file of len bytes 'a'..'z' in turn; its open descriptor */
static int make_file(const char *name, size_t len, char *path, size_t size)
{
    int fd;

    snprintf(path, size, "%s/%s", dir, name);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    for (size_t i = 0; i < len; i++) {
	char ch = (char) ('a' + i % 26);
	assert_int_equal(write(fd, &ch, 1), 1);
    }
    return fd;
}

static void test_nul_after(void **state)
{
    size_t page = (size_t) sysconf(_SC_PAGESIZE);
    size_t lens[] = { 1, page - 1, page, page + 1, 3 * page };
    char path[PATH_MAX + 32];

    (void) state;
    for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
	int fd = make_file("f", lens[i], path, sizeof(path));
	char *text = mapfile_text(fd, lens[i], path);
	close(fd);
	assert_non_null(text);
	assert_int_equal(text[0], 'a');
	assert_int_equal(text[lens[i] - 1], 'a' + (lens[i] - 1) % 26);
	assert_int_equal(text[lens[i]], 0);
	assert_int_equal(strlen(text), lens[i]);
	mapfile_release(text, lens[i]);
    }
}

static void test_shrunk(void **state)
{
    size_t page = (size_t) sysconf(_SC_PAGESIZE);
    char path[PATH_MAX + 32], out[PATH_MAX + 32], err[PATH_MAX + 32];
    int fd = make_file("big", 4 * page, path, sizeof(path));
    int status;
    pid_t pid;

    (void) state;
    snprintf(out, sizeof(out), "%s/out", dir);
    snprintf(err, sizeof(err), "%s/err", dir);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
	struct publish p;
	int errfd = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	char *text;

	dup2(errfd, STDERR_FILENO);
	diag_set_program("pfc");
	if (publish_begin(&p, out, 0644) != 0)
	    _exit(3);
	text = mapfile_text(fd, 4 * page, path);
	if (text == NULL || ftruncate(fd, page) != 0)
	    _exit(4);
	/* Past the new end: SIGBUS, caught. */
	volatile char ch = text[3 * page];
	(void) ch;
	_exit(5);
    }
    close(fd);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);

    char want[PATH_MAX + 96], got[PATH_MAX + 96] = "";
    FILE *fp = fopen(err, "r");
    assert_non_null(fp);
    assert_non_null(fgets(got, sizeof(got), fp));
    fclose(fp);
    snprintf(want, sizeof(want), "pfc: fatal: %s: file truncated while it was being read\n", path);
    assert_string_equal(got, want);

    /* Nothing half-written is left: no out, no out.tmpXXXXXX. */
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof(cmd), "ls '%s' | grep -q '^out'", dir);
    assert_int_not_equal(system(cmd), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_nul_after),
	cmocka_unit_test(test_shrunk),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
