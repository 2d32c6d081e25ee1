/* test_htorder - Postfix's htable(3) order, checked against NORANDOMIZE=1 postconf */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "htorder.h"

static void test_size(void **state)
{
    (void) state;
    assert_int_equal(htorder_size(HTORDER_DICT_SIZE, 0), 13);
    assert_int_equal(htorder_size(HTORDER_DICT_SIZE, 13), 13);
    assert_int_equal(htorder_size(HTORDER_DICT_SIZE, 14), 27);
    assert_int_equal(htorder_size(HTORDER_DICT_SIZE, 28), 55);
    assert_int_equal(htorder_size(HTORDER_PARAM_TABLE_SIZE, 1001), 1001);
    assert_int_equal(htorder_size(HTORDER_PARAM_TABLE_SIZE, 1002), 2003);
}

/*
 * A main.cf that sets b, a, c, d, u1 ... u30 and b again, read with -c
 * (config_directory first): "NORANDOMIZE=1 postconf -c DIR -n" reports the
 * unused names in this order. 35 names: the table grows twice.
 */
static void test_main_cf_order(void **state)
{
    static const char *const want =
	"u12 u24 u23 c u10 u26 d u25 u9 u28 u30 u19 u27 u5 u7 u6 u17 u8 u29 "
	"u3 u18 u4 u15 a u1 u16 u20 u2 b u13 u14 u22 u11 u21";
    const char *keys[35];
    /* 16: room for any int's digits, or gcc -O1 warns of truncation */
    char names[30][16], got[256] = "";

    (void) state;
    keys[0] = "config_directory";
    keys[1] = "b", keys[2] = "a", keys[3] = "c", keys[4] = "d";
    for (int i = 0; i < 30; i++) {
	snprintf(names[i], sizeof(names[i]), "u%d", i + 1);
	keys[5 + i] = names[i];
    }
    htorder_sort(keys, 35, HTORDER_DICT_SIZE);
    for (int i = 0; i < 35; i++) {
	if (strcmp(keys[i], "config_directory") == 0)
	    continue;
	if (*got)
	    strcat(got, " ");
	strcat(got, keys[i]);
    }
    assert_string_equal(got, want);
}

/* The buckets of the host-derived names in postconf's table of about 1100 names */
static void test_hash(void **state)
{
    size_t size = htorder_size(HTORDER_PARAM_TABLE_SIZE, 1100);

    (void) state;
    assert_int_equal(htorder_hash("myhostname") % size, 1091);
    assert_int_equal(htorder_hash("mynetworks") % size, 1181);
    assert_int_equal(htorder_hash("mydomain") % size, 1451);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_size),
	cmocka_unit_test(test_main_cf_order),
	cmocka_unit_test(test_hash),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
