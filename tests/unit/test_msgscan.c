/*
 * test_msgscan - the strings header/body checks see, as postmap -h/-b/-m
 * looks them up (SPEC 9.4). Expectations were taken from postmap 3.7.11
 * with a /^(.*)$/ table, except the class, offset and line_limit cases,
 * which follow mime_state.c (postmap does not show them).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "msgscan.h"
#include "strbuf.h"

#define H MSGSCAN_HEADERS
#define B MSGSCAN_BODY
#define M MSGSCAN_MIME

/* One line per call-back: class letter, '|', the string. */
static int record(void *ctx, const struct msgscan_item *item)
{
    static const char cls[] = "?PMNB";

    sb_printf(ctx, "%c|%s\n", cls[item->cls], item->text);
    assert_int_equal(item->len, strlen(item->text));
    return 0;
}

static void expect_opts(const char *msg, size_t len, const struct msgscan_opts *opts,
			const char *want)
{
    struct strbuf got = STRBUF_INIT;

    assert_int_equal(msgscan_buf(msg, len, opts, record, &got), 0);
    assert_string_equal(sb_str(&got), want);
    sb_free(&got);
}

static void expect(const char *msg, unsigned flags, const char *want)
{
    struct msgscan_opts opts = MSGSCAN_OPTS_INIT(flags);

    expect_opts(msg, strlen(msg), &opts, want);
}

static const char multipart[] =
    "Received: from a\n\tby b\n"
    "Subject: hi\n there\n"
    "Content-Type: multipart/mixed; boundary=\"BB\"\n"
    "\n"
    "preamble\n"
    "--BB\n"
    "Content-Type: application/octet-stream; name=\"evil.exe\"\n"
    "\n"
    "AAAA\n"
    "--BB\n"
    "Content-Type: message/rfc822\n"
    "\n"
    "Subject: inner\n"
    "\n"
    "inner body\n"
    "--BB--\n"
    "epilogue\n";

static void test_headers_only(void **state)
{
    (void) state;
    /* Folded headers keep newline and indent; -h stops at the first body. */
    expect(multipart, H,
	   "P|Received: from a\n\tby b\n"
	   "P|Subject: hi\n there\n"
	   "P|Content-Type: multipart/mixed; boundary=\"BB\"\n");
}

static void test_body_without_mime(void **state)
{
    (void) state;
    /* Without -m, everything after the primary headers is body. */
    expect(multipart, B,
	   "B|\nB|preamble\nB|--BB\n"
	   "B|Content-Type: application/octet-stream; name=\"evil.exe\"\n"
	   "B|\nB|AAAA\nB|--BB\nB|Content-Type: message/rfc822\nB|\n"
	   "B|Subject: inner\nB|\nB|inner body\nB|--BB--\nB|epilogue\n");
}

static void test_mime(void **state)
{
    (void) state;
    expect(multipart, H | M,
	   "P|Received: from a\n\tby b\n"
	   "P|Subject: hi\n there\n"
	   "P|Content-Type: multipart/mixed; boundary=\"BB\"\n"
	   "M|Content-Type: application/octet-stream; name=\"evil.exe\"\n"
	   "M|Content-Type: message/rfc822\n"
	   "N|Subject: inner\n");
    /* Part and nested headers are not body lines; the blank lines are. */
    expect(multipart, B | M,
	   "B|\nB|preamble\nB|--BB\nB|\nB|AAAA\nB|--BB\nB|\nB|\n"
	   "B|inner body\nB|--BB--\nB|epilogue\n");
    expect("A: 1\n\n--x\nB: 2\n", H | B | M,
	   "P|A: 1\nB|\nB|--x\nB|B: 2\n");
}

static void test_garbage_and_crlf(void **state)
{
    (void) state;
    /* Text before the first header: no headers; "" comes first in body. */
    expect("From a@b Mon\nSubject: x\n\nbody\n", H | B,
	   "B|\nB|From a@b Mon\nB|Subject: x\nB|\nB|body\n");
    expect("From a@b Mon\nSubject: x\n", H, "");
    /* CR is data: "\r" is not an empty line. */
    expect("Subject: x\r\n\tb\r\n\r\nbody\r\n", H | B,
	   "P|Subject: x\r\n\tb\r\nB|\nB|\r\nB|body\r\n");
    /* Obsolete "Name :", names with blanks inside, continuation first. */
    expect("Subject : x\nSub ject: y\n", H | B, "P|Subject: x\nB|\nB|Sub ject: y\n");
    expect(" lead\nA: b\n", H | B, "B|\nB| lead\nB|A: b\n");
    expect(":x\n", B, "B|\nB|:x\n");
}

static void test_nul_and_end(void **state)
{
    static const char msg[] = "Subject: a\0b\n\tc\0d\nX\0Y: z\n\nbo\0dy\n";
    struct msgscan_opts opts = MSGSCAN_OPTS_INIT(H | B);

    (void) state;
    /* Each line counts up to its first NUL. */
    expect_opts(msg, sizeof(msg) - 1, &opts,
		"P|Subject: a\n\tc\nB|\nB|X\nB|\nB|bo\n");
    /* Headers only, no final newline: the header is flushed at the end. */
    expect("A: 1\nB: 2\n\tx", H | B, "P|A: 1\nP|B: 2\n\tx\n");
    expect("", H | B, "");
    expect("\n", B, "B|\n");
}

static void test_header_limit(void **state)
{
    struct msgscan_opts opts = MSGSCAN_OPTS_INIT(H);
    const char *msg = "Subject: 0123456789\n 0123456789\n 0123456789\nX: y\n\n";

    (void) state;
    /* Continuations stop once the header has reached the limit. */
    opts.header_limit = 30;
    expect_opts(msg, strlen(msg), &opts, "P|Subject: 0123456789\n 0123456789\nP|X: y\n");
    opts.header_limit = 32;
    expect_opts(msg, strlen(msg), &opts,
		"P|Subject: 0123456789\n 0123456789\n 0123456789\nP|X: y\n");
}

static void test_mime_quirks(void **state)
{
    (void) state;
    /* multipart/digest: a part of an unknown type stays message/rfc822. */
    expect("Content-Type: multipart/digest; boundary=D\n\n--D\n"
	   "Content-Type: application/octet-stream\n\nHdr: x\n\nbin\n--D--\n",
	   H | M,
	   "P|Content-Type: multipart/digest; boundary=D\n"
	   "M|Content-Type: application/octet-stream\nN|Hdr: x\n");
    /* message/global is nested, message/partial is not. */
    expect("Content-Type: message/global\n\nA: 1\n", H | M,
	   "P|Content-Type: message/global\nN|A: 1\n");
    expect("Content-Type: message/partial; id=x\n\nA: 1\n", H | M,
	   "P|Content-Type: message/partial; id=x\n");
    /* Boundary parameter folded, commented, in any case; trailing junk. */
    expect("content-type : Multipart/Mixed (c);\n\tBOUNDARY = \"q\\\"x\"\n\n"
	   "--q\"x junk\nA: 1\n", H | M,
	   "P|content-type: Multipart/Mixed (c);\n\tBOUNDARY = \"q\\\"x\"\n"
	   "M|A: 1\n");
}

static void test_limits(void **state)
{
    struct msgscan_opts opts = MSGSCAN_OPTS_INIT(H | M);
    const char *cut = "Content-Type: multipart/mixed; boundary=ABCDEF\n\n--ABCxyz\nP: 1\n";
    const char *deep = "Content-Type: multipart/mixed; boundary=a\n\n--a\n"
	"Content-Type: multipart/mixed; boundary=b\n\n--b\n"
	"Content-Type: multipart/mixed; boundary=c\n\n--c\n"
	"Content-Type: multipart/mixed; boundary=d\n\n--d\nX: 1\n";
    const char *levels = "P|Content-Type: multipart/mixed; boundary=a\n"
	"M|Content-Type: multipart/mixed; boundary=b\n"
	"M|Content-Type: multipart/mixed; boundary=c\n"
	"M|Content-Type: multipart/mixed; boundary=d\n";
    struct strbuf want = STRBUF_INIT;

    (void) state;
    /* Stored boundaries are cut to mime_boundary_length_limit. */
    opts.bound_limit = 3;
    expect_opts(cut, strlen(cut), &opts,
		"P|Content-Type: multipart/mixed; boundary=ABCDEF\nM|P: 1\n");
    /*
     * The depth starts at -1 and a push needs depth <= mime_nesting_limit
     * (whose minimum is 1): with 1, "d" is not pushed and "--d" is text.
     */
    opts.bound_limit = 0;
    opts.max_depth = 1;
    expect_opts(deep, strlen(deep), &opts, levels);
    opts.max_depth = 2;
    sb_printf(&want, "%sM|X: 1\n", levels);
    expect_opts(deep, strlen(deep), &opts, sb_str(&want));
    sb_free(&want);
}

static void test_line_limit(void **state)
{
    struct msgscan_opts opts = MSGSCAN_OPTS_INIT(H | B);
    const char *msg = "Subject: abcdefgh\n\n0123456789AB\n0123456789ABCDE\n";

    (void) state;
    /* postmap never cuts lines; line_limit emulates smtpd's records. */
    opts.line_limit = 12;
    expect_opts(msg, strlen(msg), &opts,
		"P|Subject: abcdefgh\nB|\nB|0123456789AB\nB|\nB|0123456789AB\nB|CDE\n");
}

static int stop_at_second(void *ctx, const struct msgscan_item *item)
{
    int *calls = ctx;

    (void) item;
    return ++*calls == 2 ? 7 : 0;
}

struct meta {
    int mime_header[8];
    long offset[8];
    int n;
};

static int record_meta(void *ctx, const struct msgscan_item *item)
{
    struct meta *m = ctx;

    if (m->n < 8) {
	m->mime_header[m->n] = item->mime_header;
	m->offset[m->n] = item->offset;
	m->n++;
    }
    return 0;
}

static void test_api(void **state)
{
    struct msgscan_opts opts = MSGSCAN_OPTS_INIT(H | B);
    struct msgscan_opts none = MSGSCAN_OPTS_INIT(M);
    struct meta m = { { 0 }, { 0 }, 0 };
    struct strbuf got = STRBUF_INIT;
    int calls = 0;
    FILE *fp;

    (void) state;
    assert_int_equal(msgscan_buf("A: 1\nB: 2\nC: 3\n", 15, &opts, stop_at_second, &calls), 7);
    assert_int_equal(calls, 2);
    assert_int_equal(msgscan_buf("A: 1\n", 5, &none, record, &got), MSGSCAN_ENOSCAN);
    assert_int_equal(msgscan_buf("MIME-Version: 1.0\nX: 1\n\nab\ncd\n", 30, &opts,
				 record_meta, &m), 0);
    assert_int_equal(m.n, 5);
    assert_int_equal(m.mime_header[0], 1);
    assert_int_equal(m.mime_header[1], 0);
    assert_int_equal(m.offset[2], 0);	/* "" */
    assert_int_equal(m.offset[3], 1);	/* "ab" */
    assert_int_equal(m.offset[4], 4);	/* "cd" */
    fp = fmemopen((void *) multipart, sizeof(multipart) - 1, "r");
    assert_non_null(fp);
    opts.flags = H | M;
    assert_int_equal(msgscan_file(fp, &opts, record, &got), 0);
    fclose(fp);
    assert_string_equal(sb_str(&got),
			"P|Received: from a\n\tby b\n"
			"P|Subject: hi\n there\n"
			"P|Content-Type: multipart/mixed; boundary=\"BB\"\n"
			"M|Content-Type: application/octet-stream; name=\"evil.exe\"\n"
			"M|Content-Type: message/rfc822\n"
			"N|Subject: inner\n");
    sb_free(&got);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_headers_only),
	cmocka_unit_test(test_body_without_mime),
	cmocka_unit_test(test_mime),
	cmocka_unit_test(test_garbage_and_crlf),
	cmocka_unit_test(test_nul_and_end),
	cmocka_unit_test(test_header_limit),
	cmocka_unit_test(test_mime_quirks),
	cmocka_unit_test(test_limits),
	cmocka_unit_test(test_line_limit),
	cmocka_unit_test(test_api),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
