/*
 * test_table_unix - unix:passwd.byname through a memo: each name is asked
 * of the host once while the memo lives, found or not, with the answer
 * the host gave; a failed lookup is asked again; without a memo every
 * lookup asks. The host here is this file's getpwnam(), which the
 * linker takes before libc's: it counts the questions and its database
 * can change under the memo.
 */
#include <errno.h>
#include <pwd.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "strbuf.h"
#include "table_unix.h"

static int asked;		/* getpwnam() calls */
static int alice_exists = 1;	/* the database: alice, and ENOMEM for "oom" */

struct passwd *getpwnam(const char *name)
{
    static struct passwd alice = {
	"alice", "x", 1000, 1000, "Alice", "/home/alice", "/bin/sh"
    };

    asked++;
    if (strcmp(name, "oom") == 0) {
	errno = ENOMEM;
	return NULL;
    }
    return alice_exists && strcmp(name, "alice") == 0 ? &alice : NULL;
}

/* lookup - unix_table_lookup() of passwd.byname; the answer in out */
static int lookup(struct unix_memo *memo, const char *key, struct strbuf *out)
{
    const char *why = NULL;

    return unix_table_lookup(memo, "passwd.byname", key, out, &why);
}

static void test_without_memo(void **state)
{
    struct strbuf out = STRBUF_INIT;

    (void) state;
    asked = 0;
    assert_int_equal(lookup(NULL, "alice", &out), 1);
    assert_int_equal(lookup(NULL, "alice", &out), 1);
    assert_int_equal(lookup(NULL, "bob", &out), 0);
    assert_int_equal(asked, 3);
    sb_free(&out);
}

static void test_memo_asks_once(void **state)
{
    struct strbuf out = STRBUF_INIT;
    struct unix_memo *memo = unix_memo_new();

    (void) state;
    asked = 0;
    alice_exists = 1;
    assert_int_equal(lookup(memo, "alice", &out), 1);
    assert_string_equal(sb_str(&out), "alice:x:1000:1000:Alice:/home/alice:/bin/sh");
    sb_reset(&out);
    sb_adds(&out, "left over");
    assert_int_equal(lookup(memo, "alice", &out), 1);
    assert_string_equal(sb_str(&out), "alice:x:1000:1000:Alice:/home/alice:/bin/sh");
    assert_int_equal(lookup(memo, "bob", &out), 0);
    assert_int_equal(lookup(memo, "bob", &out), 0);
    assert_int_equal(asked, 2);

    /* A snapshot: alice leaves, bob stays unknown, the memo answers as before. */
    alice_exists = 0;
    assert_int_equal(lookup(memo, "alice", &out), 1);
    assert_int_equal(lookup(memo, "bob", &out), 0);
    assert_int_equal(asked, 2);
    unix_memo_free(memo);

    /* The next memo (a new session, a new run) sees the change. */
    memo = unix_memo_new();
    assert_int_equal(lookup(memo, "alice", &out), 0);
    assert_int_equal(asked, 3);
    unix_memo_free(memo);
    alice_exists = 1;
    sb_free(&out);
}

static void test_failure_not_kept(void **state)
{
    struct strbuf out = STRBUF_INIT;
    struct unix_memo *memo = unix_memo_new();
    const char *why = NULL;

    (void) state;
    asked = 0;
    assert_int_equal(unix_table_lookup(memo, "passwd.byname", "oom", &out, &why), -1);
    assert_string_equal(why, "out of memory");
    assert_int_equal(unix_table_lookup(memo, "passwd.byname", "oom", &out, &why), -1);
    assert_int_equal(asked, 2);
    unix_memo_free(memo);
    sb_free(&out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_without_memo),
	cmocka_unit_test(test_memo_asks_once),
	cmocka_unit_test(test_failure_not_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
