/*
 * test_gdbm - hash tables are updated whole or not at all: -i and -d
 * change the table in place and leave it as it was when they cannot read
 * what they change; an update that dies half-way is undone from its
 * journal (readers read through it, the next writer restores the table);
 * a build refuses to replace a file that is not a pfc table.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <gdbm.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dict.h"
#include "scratch_dir.h"

#define FLAGS (DICT_FLAG_DUP_WARN | DICT_FLAG_FOLD)

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

static void assert_same_bytes(const char *path, const char *before, size_t before_len)
{
    size_t after_len;
    char *after = file_bytes(path, &after_len);

    assert_int_equal(before_len, after_len);
    assert_memory_equal(before, after, before_len);
    free(after);
}

/* build - name.db with keys k0..k(count-1), each with value "v" */
static void build(const char *name, int count)
{
    char *err = NULL, key[32];
    struct dict *dict = dict_open(name, DICT_CREATE, FLAGS, &err);

    assert_non_null(dict);
    for (int i = 0; i < count; i++) {
	snprintf(key, sizeof(key), "k%d", i);
	assert_int_equal(dict_update(dict, key, "v"), DICT_FOUND);
    }
    assert_int_equal(dict_close(dict, &err), 0);
}

/* value_of - the value of key in the table, or NULL (a new string) */
static char *value_of(const char *name, const char *key)
{
    char *err = NULL, *copy = NULL;
    const char *value;
    struct dict *dict = dict_open(name, DICT_READ, FLAGS, &err);

    assert_non_null(dict);
    int status = dict_lookup(dict, key, &value);
    assert_int_not_equal(status, DICT_FAIL);
    if (status == DICT_FOUND)
	copy = strdup(value);
    assert_int_equal(dict_close(dict, &err), 0);
    return copy;
}

static void test_foreign_gdbm_file(void **state)
{
    (void) state;
    char *err = NULL;
    size_t len;

    GDBM_FILE db = gdbm_open("foreign.db", 0, GDBM_NEWDB, 0644, NULL);
    assert_non_null(db);
    store(db, "foo", 4, "bar", 4);
    gdbm_close(db);
    char *before = file_bytes("foreign.db", &len);

    /* -i refuses it... */
    assert_null(dict_open("hash:foreign", DICT_UPDATE, FLAGS, &err));
    assert_non_null(strstr(err, "not a pfc hash table"));
    free(err);
    /* ... a build too, unless told to replace it. */
    assert_null(dict_open("hash:foreign", DICT_CREATE, FLAGS, &err));
    assert_non_null(strstr(err, "foreign.db is a GDBM file that pfc did not write"));
    free(err);
    assert_same_bytes("foreign.db", before, len);
    struct dict *dict = dict_open("hash:foreign", DICT_CREATE,
				  FLAGS | DICT_FLAG_REPLACE_FOREIGN, &err);
    assert_non_null(dict);
    assert_int_equal(dict_update(dict, "foo", "new"), DICT_FOUND);
    assert_int_equal(dict_close(dict, &err), 0);
    char *value = value_of("hash:foreign", "foo");
    assert_string_equal(value, "new");
    free(value);
    free(before);
}

static void test_damaged_bucket(void **state)
{
    (void) state;
    char *err = NULL;
    size_t len;

    build("hash:damaged", 1);
    /* Cut the one bucket record short in the middle of its entry. */
    GDBM_FILE db = gdbm_open("damaged.db", 0, GDBM_WRITER, 0644, NULL);
    assert_non_null(db);
    char bucket_key[6] = { 0, 'b', 0, 0, 0, 0 };
    datum k = { bucket_key, 6 }, v = gdbm_fetch(db, k);
    assert_non_null(v.dptr);
    store(db, bucket_key, 6, v.dptr, (size_t) v.dsize - 2);
    free(v.dptr);
    gdbm_close(db);
    char *before = file_bytes("damaged.db", &len);

    /* A change in the damaged bucket fails, and nothing is written. */
    struct dict *dict = dict_open("hash:damaged", DICT_UPDATE, FLAGS, &err);
    assert_non_null(dict);
    assert_int_equal(dict_update(dict, "k0", "x"), DICT_FAIL);
    assert_non_null(strstr(dict->error, "damaged record"));
    assert_int_equal(dict_close(dict, &err), 0);
    assert_same_bytes("damaged.db", before, len);
    free(before);
}

static void test_update_keeps_everything(void **state)
{
    (void) state;
    char *err = NULL, key[32];
    const char *value;
    struct stat before, after;

    build("hash:whole", 1000);
    assert_int_equal(stat("whole.db", &before), 0);
    struct dict *dict = dict_open("hash:whole", DICT_UPDATE, FLAGS, &err);
    assert_non_null(dict);
    dict_update(dict, "new", "n");
    assert_int_equal(dict_close(dict, &err), 0);
    /* In place: the same file, not a copy renamed over it. */
    assert_int_equal(stat("whole.db", &after), 0);
    assert_int_equal(before.st_ino, after.st_ino);
    dict = dict_open("hash:whole", DICT_READ, 0, &err);
    for (int i = 0; i < 1000; i++) {
	snprintf(key, sizeof(key), "k%d", i);
	assert_int_equal(dict_lookup(dict, key, &value), DICT_FOUND);
    }
    assert_int_equal(dict_lookup(dict, "new", &value), DICT_FOUND);
    dict_close(dict, &err);
}

/*
 * interrupted_update - in a child, an update that fails half-way: the
 * table may not grow (RLIMIT_FSIZE), so the records it replaces stop
 * fitting after the first few. It removes k0..k(count-1) and adds
 * "added".
 */
static void interrupted_update(const char *name, const char *db, int count)
{
    struct stat st;
    pid_t pid;
    int status;

    assert_int_equal(stat(db, &st), 0);
    if ((pid = fork()) == 0) {
	/* Room for one more GDBM block and a little: a few records fit. */
	rlim_t room = (rlim_t) st.st_size + 4096 + 1024;
	struct rlimit lim = { room, room };
	char *err = NULL, key[32];
	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &lim);
	struct dict *dict = dict_open(name, DICT_UPDATE, FLAGS | DICT_FLAG_DUP_REPLACE, &err);
	if (dict == NULL)
	    _exit(2);
	for (int i = 0; i < count; i++) {
	    snprintf(key, sizeof(key), "k%d", i);
	    dict_update(dict, key, "a much longer value than the one before, to need new room");
	}
	dict_update(dict, "added", "x");
	_exit(dict_close(dict, &err) == 0 ? 0 : 1);
    }
    assert_true(pid > 0);
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 1);
}

/* raw_changed - buckets of name.db (read as stored) holding the new longer value */
static int raw_changed(const char *db_path, int nbuckets)
{
    GDBM_FILE db = gdbm_open(db_path, 0, GDBM_READER | GDBM_NOLOCK, 0, NULL);
    int changed = 0;

    assert_non_null(db);
    if (gdbm_needs_recovery(db))
	gdbm_set_errno(db, GDBM_NO_ERROR, 0);
    for (int b = 0; b < nbuckets; b++) {
	char bkey[6] = { 0, 'b', 0, 0, (char) (b >> 8), (char) b };
	datum k = { bkey, 6 }, v = gdbm_fetch(db, k);
	if (v.dptr != NULL && memmem(v.dptr, (size_t) v.dsize, "much longer", 11) != NULL)
	    changed++;
	free(v.dptr);
    }
    gdbm_close(db);
    return changed;
}

static void test_interrupted_update(void **state)
{
    (void) state;
    char *err = NULL, key[32], *value;
    struct stat st;

    /* 3000 entries in 94 buckets: 21 keys touch fewer than a quarter of them. */
    build("hash:crash", 3000);
    interrupted_update("hash:crash", "crash.db", 20);
    assert_int_equal(stat("crash.db.journal", &st), 0);
    /* It did change some records in place before it failed. */
    assert_true(raw_changed("crash.db", 94) > 0);

    /* Readers see the table as it was. */
    for (int i = 0; i < 3000; i += 7) {
	snprintf(key, sizeof(key), "k%d", i);
	value = value_of("hash:crash", key);
	assert_non_null(value);
	assert_string_equal(value, "v");
	free(value);
    }
    assert_null(value_of("hash:crash", "added"));
    struct dict_stamp stamp;
    assert_int_equal(dict_gdbm_source_stamp("crash.db", &stamp, &err), 0);

    /* The next writer puts it back, then makes its own change. */
    struct dict *dict = dict_open("hash:crash", DICT_UPDATE, FLAGS, &err);
    assert_non_null(dict);
    assert_int_equal(stat("crash.db.journal", &st), -1);
    assert_int_equal(dict_update(dict, "later", "y"), DICT_FOUND);
    assert_int_equal(dict_close(dict, &err), 0);
    dict = dict_open("hash:crash", DICT_READ, FLAGS, &err);
    assert_non_null(dict);
    const char *key_out, *value_out;
    int n = 0;
    for (int first = 1; dict->sequence(dict, first, &key_out, &value_out) == DICT_FOUND;
	 first = 0, n++)
	assert_string_equal(value_out, strcmp(key_out, "later") == 0 ? "y" : "v");
    assert_int_equal(n, 3001);
    dict_close(dict, &err);
}

static void test_stale_journal(void **state)
{
    (void) state;
    char *err = NULL, *value;
    struct stat st;

    build("hash:stale", 3000);
    interrupted_update("hash:stale", "stale.db", 20);
    assert_int_equal(rename("stale.db.journal", "saved.journal"), 0);
    /* A journal cut short: its update never began, it is ignored. */
    size_t len;
    char *bytes = file_bytes("saved.journal", &len);
    FILE *fp = fopen("stale.db.journal", "wb");
    assert_non_null(fp);
    assert_int_equal(fwrite(bytes, 1, len - 1, fp), len - 1);
    fclose(fp);
    free(bytes);
    build("hash:stale", 10);	/* a build replaces the file, and drops the journal */
    assert_int_equal(stat("stale.db.journal", &st), -1);
    /* A whole journal of the file the build replaced: ignored too. */
    assert_int_equal(rename("saved.journal", "stale.db.journal"), 0);
    value = value_of("hash:stale", "k5");
    assert_string_equal(value, "v");
    free(value);
    assert_null(value_of("hash:stale", "k20"));
    struct dict *dict = dict_open("hash:stale", DICT_MODIFY, FLAGS, &err);
    assert_non_null(dict);
    assert_int_equal(stat("stale.db.journal", &st), -1);
    assert_int_equal(dict->remove(dict, "k5"), DICT_FOUND);
    assert_int_equal(dict_close(dict, &err), 0);
    assert_null(value_of("hash:stale", "k5"));
    value = value_of("hash:stale", "k6");
    assert_string_equal(value, "v");
    free(value);
}

static int setup(void **state)
{
    (void) state;
    return scratch_make(dir, sizeof(dir), "test_gdbm") < 0 || chdir(dir) != 0 ? -1 : 0;
}

static int teardown(void **state)
{
    (void) state;
    return chdir("/") != 0 ? -1 : scratch_remove(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_foreign_gdbm_file),
	cmocka_unit_test(test_damaged_bucket),
	cmocka_unit_test(test_update_keeps_everything),
	cmocka_unit_test(test_interrupted_update),
	cmocka_unit_test(test_stale_journal),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
