/*
 * test_gdbm - hash tables are updated whole or not at all: -i and -d
 * refuse a table they cannot read completely, and leave it as it was.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <gdbm.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dict.h"

static char dir[64];

static void store(GDBM_FILE db, const char *key, size_t klen, const char *value, size_t vlen)
{
    datum k = { (char *) key, (int) klen }, v = { (char *) value, (int) vlen };

    assert_int_equal(gdbm_store(db, k, v, GDBM_REPLACE), 0);
}

/* file_bytes - the whole file, to compare before and after */
static char *file_bytes(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "rb");
    char *buf;

    assert_non_null(fp);
    fseek(fp, 0, SEEK_END);
    *len = (size_t) ftell(fp);
    rewind(fp);
    buf = malloc(*len + 1);
    assert_int_equal(fread(buf, 1, *len, fp), *len);
    fclose(fp);
    return buf;
}

/* refused_unchanged - DICT_UPDATE must fail and leave name.db as it was */
static void refused_unchanged(const char *name)
{
    char path[128], *err = NULL;
    size_t before_len, after_len;

    snprintf(path, sizeof(path), "%s.db", strchr(name, ':') + 1);
    char *before = file_bytes(path, &before_len);
    struct dict *dict = dict_open(name, DICT_UPDATE, DICT_FLAG_DUP_WARN | DICT_FLAG_FOLD, &err);
    assert_null(dict);
    assert_non_null(err);
    free(err);
    char *after = file_bytes(path, &after_len);
    assert_int_equal(before_len, after_len);
    assert_memory_equal(before, after, before_len);
    free(before);
    free(after);
}

static void test_foreign_gdbm_file(void **state)
{
    (void) state;
    GDBM_FILE db = gdbm_open("foreign.db", 0, GDBM_NEWDB, 0644, NULL);
    assert_non_null(db);
    store(db, "foo", 4, "bar", 4);
    gdbm_close(db);
    refused_unchanged("hash:foreign");
}

static void test_damaged_bucket(void **state)
{
    (void) state;
    char *err = NULL;
    struct dict *dict = dict_open("hash:damaged", DICT_CREATE, DICT_FLAG_DUP_WARN, &err);
    assert_non_null(dict);
    assert_int_equal(dict_update(dict, "good", "1"), DICT_FOUND);
    assert_int_equal(dict_close(dict, &err), 0);

    /* Cut the one bucket record short in the middle of its entry. */
    GDBM_FILE db = gdbm_open("damaged.db", 0, GDBM_WRITER, 0644, NULL);
    assert_non_null(db);
    char bucket_key[6] = { 0, 'b', 0, 0, 0, 0 };
    datum k = { bucket_key, 6 }, v = gdbm_fetch(db, k);
    assert_non_null(v.dptr);
    store(db, bucket_key, 6, v.dptr, (size_t) v.dsize - 2);
    free(v.dptr);
    gdbm_close(db);
    refused_unchanged("hash:damaged");
}

static void test_update_keeps_everything(void **state)
{
    (void) state;
    char *err = NULL, key[32];
    const char *value;
    struct dict *dict = dict_open("hash:whole", DICT_CREATE, DICT_FLAG_DUP_WARN, &err);

    for (int i = 0; i < 1000; i++) {
	snprintf(key, sizeof(key), "k%d", i);
	dict_update(dict, key, "v");
    }
    assert_int_equal(dict_close(dict, &err), 0);
    dict = dict_open("hash:whole", DICT_UPDATE, DICT_FLAG_DUP_WARN, &err);
    assert_non_null(dict);
    dict_update(dict, "new", "n");
    assert_int_equal(dict_close(dict, &err), 0);
    dict = dict_open("hash:whole", DICT_READ, 0, &err);
    for (int i = 0; i < 1000; i++) {
	snprintf(key, sizeof(key), "k%d", i);
	assert_int_equal(dict_lookup(dict, key, &value), DICT_FOUND);
    }
    assert_int_equal(dict_lookup(dict, "new", &value), DICT_FOUND);
    dict_close(dict, &err);
}

static int setup(void **state)
{
    const char *base = getenv("TMPDIR");

    (void) state;
    snprintf(dir, sizeof(dir), "%s/test_gdbm.XXXXXX", base && *base ? base : "/tmp");
    return mkdtemp(dir) == NULL || chdir(dir) != 0 ? -1 : 0;
}

static int teardown(void **state)
{
    (void) state;
    return system("rm -rf \"$PWD\"") == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_foreign_gdbm_file),
	cmocka_unit_test(test_damaged_bucket),
	cmocka_unit_test(test_update_keeps_everything),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
