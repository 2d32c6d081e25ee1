/*
 * test_move_new - a file's final name, never in place of another: moved
 * when the name is free; refused with EEXIST, both files untouched, when
 * it is taken.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "move_new.h"
#include "scratch_dir.h"

struct dir {
    char top[PATH_MAX], a[PATH_MAX + 8], b[PATH_MAX + 8];
};

static void write_file(const char *path, const char *text)
{
    FILE *fp = fopen(path, "w");

    assert_non_null(fp);
    fputs(text, fp);
    assert_int_equal(fclose(fp), 0);
}

static void assert_file(const char *path, const char *text)
{
    char buf[64] = "";
    FILE *fp = fopen(path, "r");

    assert_non_null(fp);
    assert_non_null(fgets(buf, sizeof(buf), fp));
    fclose(fp);
    assert_string_equal(buf, text);
}

static int setup(void **state)
{
    struct dir *d = calloc(1, sizeof(*d));

    if (d == NULL || scratch_make(d->top, sizeof(d->top), "test_move_new") < 0)
	return -1;
    snprintf(d->a, sizeof(d->a), "%s/a", d->top);
    snprintf(d->b, sizeof(d->b), "%s/b", d->top);
    *state = d;
    return 0;
}

static int teardown(void **state)
{
    struct dir *d = *state;
    int rc = scratch_remove(d->top);

    free(d);
    return rc;
}

static void test_free_name(void **state)
{
    struct dir *d = *state;

    write_file(d->a, "message\n");
    assert_int_equal(move_new(d->a, d->b), 0);
    assert_int_equal(access(d->a, F_OK), -1);
    assert_file(d->b, "message\n");
}

static void test_taken_name(void **state)
{
    struct dir *d = *state;

    write_file(d->a, "new\n");
    write_file(d->b, "old\n");
    errno = 0;
    assert_int_equal(move_new(d->a, d->b), -1);
    assert_int_equal(errno, EEXIST);
    assert_file(d->a, "new\n");
    assert_file(d->b, "old\n");
}

static void test_missing_source(void **state)
{
    struct dir *d = *state;

    errno = 0;
    assert_int_equal(move_new(d->a, d->b), -1);
    assert_int_equal(errno, ENOENT);
    assert_int_equal(access(d->b, F_OK), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test_setup_teardown(test_free_name, setup, teardown),
	cmocka_unit_test_setup_teardown(test_taken_name, setup, teardown),
	cmocka_unit_test_setup_teardown(test_missing_source, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
