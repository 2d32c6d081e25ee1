/*
 * test_local - the writers of runtime/local: the message copy local(8)
 * makes for an mbox, a Maildir or a command (From_ line, prepended
 * headers, >From quoting, the end), the header scan for Delivered-To:,
 * Postfix's date format, and the DSN reports, byte for byte against what
 * Postfix 3.7.11 wrote in the lab (SPEC-runtime.md section 4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "dsn_report.h"
#include "local_int.h"
#include "mail_date.h"
#include "strmap.h"

/* A message whose content is text, in a memory file. */
static struct local_message message(const char *text)
{
    struct local_message m;
    int fd = memfd_create("test_local", 0);

    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    memset(&m, 0, sizeof(m));
    m.queue_id = "21851A74011";
    m.fd = fd;
    m.offset = 0;
    m.length = (off_t) strlen(text);
    m.encoding = "";
    m.dsn_envid = "";
    return m;
}

static int to_strbuf(void *ctx, const char *data, size_t len)
{
    sb_addn(ctx, data, len);
    return 0;
}

/* copy - local_copy() of text with flags, the From_ line's date masked */
static char *copy(const char *text, unsigned flags, const char *sender, const char *orig,
		  const char *delivered, int enable_orcpt)
{
    struct local_message m = message(text);
    struct strbuf out = STRBUF_INIT;
    struct local_why why = { 0 };

    assert_int_equal(local_copy(&m, to_strbuf, &out, flags, sender, orig, delivered,
				enable_orcpt, &why), 0);
    close(m.fd);
    why_free(&why);
    /* "From SENDER  " then asctime()'s 24 characters: "Sun Dec  6 19:37:26 2026" */
    if (strncmp(out.s, "From ", 5) == 0) {
	char *two = strstr(out.s, "  ");
	assert_non_null(two);
	assert_true(strlen(two) > 27);
	assert_int_equal(two[26], '\n');
	memcpy(two + 2, "DDD MMM dd hh:mm:ss YYYY", 24);
    }
    return sb_detach(&out);
}

static void test_copy_mbox(void **state)
{
    (void) state;
    char *got = copy("Subject: s1\n\nhello\nFrom the body\n>From quoted\nFrom\n"
		     " From not at start\n",
		     COPY_MBOX, "alice@mail.pfxlab.test", "fwd@mail.pfxlab.test",
		     "bob@mail.pfxlab.test", 1);
    assert_string_equal(got,
			"From alice@mail.pfxlab.test  DDD MMM dd hh:mm:ss YYYY\n"
			"Return-Path: <alice@mail.pfxlab.test>\n"
			"X-Original-To: fwd@mail.pfxlab.test\n"
			"Delivered-To: bob@mail.pfxlab.test\n"
			"Subject: s1\n\nhello\n>From the body\n>From quoted\nFrom\n"
			" From not at start\n\n");
    free(got);
}

static void test_copy_null_sender_partial_line(void **state)
{
    (void) state;
    char *got = copy("Subject: s\n\nlast line", COPY_MBOX, "", "", "bob@x", 1);
    /* MAILER-DAEMON on the From_ line, <> as Return-Path, no X-Original-To, LF added. */
    assert_string_equal(got,
			"From MAILER-DAEMON  DDD MMM dd hh:mm:ss YYYY\n"
			"Return-Path: <>\n"
			"Delivered-To: bob@x\n"
			"Subject: s\n\nlast line\n\n");
    free(got);
}

static void test_copy_quoted_sender(void **state)
{
    (void) state;
    char *got = copy("Subject: q\n\nb\n", COPY_FROM | COPY_RETURN_PATH | COPY_ORIG_RCPT,
		     "a b@example.com", "c d@example.com", "", 1);
    assert_string_equal(got,
			"From \"a b\"@example.com  DDD MMM dd hh:mm:ss YYYY\n"
			"Return-Path: <\"a b\"@example.com>\n"
			"X-Original-To: \"c d\"@example.com\n"
			"Subject: q\n\nb\n");
    free(got);
}

static void test_copy_maildir_and_command(void **state)
{
    (void) state;
    /* Maildir: no From_ line, no quoting, no empty line at the end. */
    char *got = copy("Subject: m\n\nFrom x\n", COPY_TOFILE | COPY_RETURN_PATH | COPY_ORIG_RCPT
		     | COPY_DELIVERED, "alice@x", "carol@x", "carol@x", 1);
    assert_string_equal(got, "Return-Path: <alice@x>\nX-Original-To: carol@x\n"
			"Delivered-To: carol@x\nSubject: m\n\nFrom x\n");
    free(got);
    /* A command: From_ line, no quoting, no empty line; enable_original_recipient = no. */
    got = copy("Subject: c\n\nFrom y\n", COPY_FROM | COPY_RETURN_PATH | COPY_ORIG_RCPT
	       | COPY_DELIVERED, "alice@x", "pipeit@x", "pipeit@x", 0);
    assert_string_equal(got, "From alice@x  DDD MMM dd hh:mm:ss YYYY\n"
			"Return-Path: <alice@x>\nDelivered-To: pipeit@x\n"
			"Subject: c\n\nFrom y\n");
    free(got);
}

static void test_copy_long_line(void **state)
{
    (void) state;
    /* A line longer than the reader's buffer, starting with "From ". */
    size_t n = 200000;
    char *text = malloc(n + 32);
    strcpy(text, "Subject: l\n\nFrom ");
    memset(text + strlen(text), 'x', n);
    strcpy(text + strlen("Subject: l\n\nFrom ") + n, "\nend\n");
    char *got = copy(text, COPY_QUOTE, "", "", "", 1);
    assert_int_equal(strlen(got), strlen(text) + 1);
    assert_memory_equal(got, "Subject: l\n\n>From xxx", 21);
    assert_string_equal(got + strlen(got) - 5, "\nend\n");
    free(text);
    free(got);
}

static void test_copy_short_file(void **state)
{
    (void) state;
    /* The queue says more than the file has: corrupt, deferred. */
    struct local_message m = message("Subject: s\n\nbody\n");
    struct strbuf out = STRBUF_INIT;
    struct local_why why = { 0 };

    m.length += 100;
    assert_int_equal(local_copy(&m, to_strbuf, &out, 0, "", "", "", 1, &why), KIND_CORRUPT);
    assert_string_equal(why.dsn, "4.3.0");
    close(m.fd);
    sb_free(&out);
    why_free(&why);
}

static void test_header_name_len(void **state)
{
    (void) state;
    assert_int_equal(header_name_len("Delivered-To: x", 15), 12);
    assert_int_equal(header_name_len("Subject : x", 11), 7);
    assert_int_equal(header_name_len(" Subject: x", 11), 0);
    assert_int_equal(header_name_len("Sub ject: x", 11), 0);
    assert_int_equal(header_name_len("no colon here", 13), 0);
    assert_int_equal(header_name_len(": x", 3), 0);
    assert_int_equal(header_name_len("X\x01Y: x", 6), 0);
}

static void test_scan_delivered(void **state)
{
    (void) state;
    struct local_message m = message("Received: from a\n\tby b\n"
				     "Delivered-To: Bob@Example.COM\n"
				     "delivered-to: carol@example.com\n"
				     "Subject: x\n\nDelivered-To: body@example.com\n");
    struct strmap set;

    strmap_init(&set);
    local_scan_delivered(&m, &set, 1);
    assert_int_equal(set.used, 2);
    assert_true(strmap_has(&set, "bob@example.com"));
    assert_true(strmap_has(&set, "carol@example.com"));
    assert_false(strmap_has(&set, "body@example.com"));
    strmap_free(&set, NULL);
    close(m.fd);
}

static void test_mail_date(void **state)
{
    (void) state;
    struct strbuf out = STRBUF_INIT;

    mail_date(1796586256, &out);
    assert_string_equal(sb_str(&out), "Sun,  6 Dec 2026 19:44:16 +0000 (UTC)");
    sb_free(&out);
}

static void test_wrap(void **state)
{
    (void) state;
    struct strbuf out = STRBUF_INIT;

    dsn_report_wrap(&out, "<nosuchuser@mail.pfxlab.test> (expanded from "
		    "<ghost@mail.pfxlab.test>): unknown user: \"nosuchuser\"", 79, 4);
    assert_string_equal(sb_str(&out), "<nosuchuser@mail.pfxlab.test> (expanded from "
			"<ghost@mail.pfxlab.test>): unknown\n    user: \"nosuchuser\"\n");
    sb_reset(&out);
    dsn_report_wrap(&out, "Diagnostic-Code: X-Postfix; connect to 127.0.0.1[127.0.0.1]:2599: "
		    "Connection refused", 79, 4);
    assert_string_equal(sb_str(&out), "Diagnostic-Code: X-Postfix; connect to "
			"127.0.0.1[127.0.0.1]:2599: Connection\n    refused\n");
    sb_reset(&out);
    /* One word longer than the line stays whole. */
    dsn_report_wrap(&out, "short averyveryveryveryveryveryveryveryveryverylongword end", 20, 4);
    assert_string_equal(sb_str(&out), "short\n    averyveryveryveryveryveryveryveryveryverylongword\n"
			"    end\n");
    sb_free(&out);
}

/* The original of SPEC-runtime.md 4.1, as queued. */
static const char original[] =
    "Received: from client.example (localhost [127.0.0.1])\n"
    "\tby mail.pfxlab.test (Postfix) with ESMTP id B21CCA7404C\n"
    "\tfor <ghost@mail.pfxlab.test>; Sun,  6 Dec 2026 19:44:15 +0000 (UTC)\n"
    "Subject: s3 alias ghost\n"
    "From: Alice <alice@mail.pfxlab.test>\n"
    "To: undisclosed@mail.pfxlab.test\n"
    "Message-Id: <20261206194415.B21CCA7404C@mail.pfxlab.test>\n"
    "Date: Sun,  6 Dec 2026 19:44:15 +0000 (UTC)\n"
    "\n"
    "body line\n"
    "From the body\n"
    ">From quoted\n";

static const struct dsn_report_conf lab = {
    .myhostname = "mail.pfxlab.test", .myorigin = "mail.pfxlab.test", .mail_name = "Postfix",
    .smtputf8_enable = 1, .bounce_size_limit = 50000, .threaded = 0,
    .delay_warning_time = 60, .maximal_queue_lifetime = 432000,
};

static void test_bounce_spec(void **state)
{
    (void) state;
    struct local_message m = message(original);
    struct dsn_report_msg msg = { "B21CCA7404C", "alice@mail.pfxlab.test", 1796586255, 500, "",
	0, "", m.fd, 0, m.length };
    struct dsn_report_rcpt r = { "nosuchuser@mail.pfxlab.test", "ghost@mail.pfxlab.test",
	"rfc822;ghost@mail.pfxlab.test", "5.1.1", "failed", "unknown user: \"nosuchuser\"",
	NULL, NULL, NULL, NULL };
    struct strbuf out = STRBUF_INIT;

    dsn_report_write(&out, &lab, DSN_REPORT_FAILURE, 0, "alice@mail.pfxlab.test", 0,
		     "10958A74085", 1796586256, &msg, &r, 1);
    /* SPEC-runtime.md 4.1, less local(8)'s lines and cleanup's Message-Id:. */
    assert_string_equal(sb_str(&out),
	"Received: by mail.pfxlab.test (Postfix)\n"
	"\tid 10958A74085; Sun,  6 Dec 2026 19:44:16 +0000 (UTC)\n"
	"Date: Sun,  6 Dec 2026 19:44:16 +0000 (UTC)\n"
	"From: Mail Delivery System <MAILER-DAEMON@mail.pfxlab.test>\n"
	"Subject: Undelivered Mail Returned to Sender\n"
	"To: alice@mail.pfxlab.test\n"
	"Auto-Submitted: auto-replied\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/report; report-type=delivery-status;\n"
	"\tboundary=\"B21CCA7404C.1796586256/mail.pfxlab.test\"\n"
	"Content-Transfer-Encoding: 8bit\n"
	"\n"
	"This is a MIME-encapsulated message.\n"
	"\n"
	"--B21CCA7404C.1796586256/mail.pfxlab.test\n"
	"Content-Description: Notification\n"
	"Content-Type: text/plain; charset=utf-8\n"
	"Content-Transfer-Encoding: 8bit\n"
	"\n"
	"This is the mail system at host mail.pfxlab.test.\n"
	"\n"
	"I'm sorry to have to inform you that your message could not\n"
	"be delivered to one or more recipients. It's attached below.\n"
	"\n"
	"For further assistance, please send mail to postmaster.\n"
	"\n"
	"If you do so, please include this problem report. You can\n"
	"delete your own text from the attached returned message.\n"
	"\n"
	"                   The mail system\n"
	"\n"
	"<nosuchuser@mail.pfxlab.test> (expanded from <ghost@mail.pfxlab.test>): unknown\n"
	"    user: \"nosuchuser\"\n"
	"\n"
	"--B21CCA7404C.1796586256/mail.pfxlab.test\n"
	"Content-Description: Delivery report\n"
	"Content-Type: message/delivery-status\n"
	"\n"
	"Reporting-MTA: dns; mail.pfxlab.test\n"
	"X-Postfix-Queue-ID: B21CCA7404C\n"
	"X-Postfix-Sender: rfc822; alice@mail.pfxlab.test\n"
	"Arrival-Date: Sun,  6 Dec 2026 19:44:15 +0000 (UTC)\n"
	"\n"
	"Final-Recipient: rfc822; nosuchuser@mail.pfxlab.test\n"
	"Original-Recipient: rfc822;ghost@mail.pfxlab.test\n"
	"Action: failed\n"
	"Status: 5.1.1\n"
	"Diagnostic-Code: X-Postfix; unknown user: \"nosuchuser\"\n"
	"\n"
	"--B21CCA7404C.1796586256/mail.pfxlab.test\n"
	"Content-Description: Undelivered Message\n"
	"Content-Type: message/rfc822\n"
	"Content-Transfer-Encoding: 8bit\n"
	"\n"
	"Return-Path: <alice@mail.pfxlab.test>\n"
	"Received: from client.example (localhost [127.0.0.1])\n"
	"\tby mail.pfxlab.test (Postfix) with ESMTP id B21CCA7404C\n"
	"\tfor <ghost@mail.pfxlab.test>; Sun,  6 Dec 2026 19:44:15 +0000 (UTC)\n"
	"Subject: s3 alias ghost\n"
	"From: Alice <alice@mail.pfxlab.test>\n"
	"To: undisclosed@mail.pfxlab.test\n"
	"Message-Id: <20261206194415.B21CCA7404C@mail.pfxlab.test>\n"
	"Date: Sun,  6 Dec 2026 19:44:15 +0000 (UTC)\n"
	"\n"
	"body line\n"
	"From the body\n"
	">From quoted\n"
	"\n"
	"--B21CCA7404C.1796586256/mail.pfxlab.test--\n");
    sb_free(&out);
    close(m.fd);
}

/* cut - the text of out from the line that starts with from, up to (not including) to */
static char *cut(const struct strbuf *out, const char *from, const char *to)
{
    const char *start = strstr(out->s, from);
    assert_non_null(start);
    const char *end = to ? strstr(start, to) : start + strlen(start);
    assert_non_null(end);
    return strndup(start, (size_t) (end - start));
}

static void test_bounce_ret_hdrs_envid(void **state)
{
    (void) state;
    struct local_message m = message(original);
    struct dsn_report_msg msg = { "E2FB9A74059", "alice@mail.pfxlab.test", 1796586435, 500, "",
	0, "env-12345", m.fd, 0, m.length };
    struct dsn_report_rcpt r = { "nosuchuser@mail.pfxlab.test", "ghost@mail.pfxlab.test",
	"rfc822;Ghost@Example.Org", "5.1.1", "failed", "unknown user: \"nosuchuser\"",
	NULL, NULL, NULL, NULL };
    struct strbuf out = STRBUF_INIT;

    dsn_report_write(&out, &lab, DSN_REPORT_FAILURE, 0, "alice@mail.pfxlab.test",
		     DSN_REPORT_RET_HDRS, NULL, 1796586435, &msg, &r, 1);
    /* No notice id: no Received:. */
    assert_memory_equal(out.s, "Date: ", 6);
    char *part = cut(&out, "Reporting-MTA", "X-Postfix-Queue-ID");
    assert_string_equal(part, "Reporting-MTA: dns; mail.pfxlab.test\n"
			"Original-Envelope-Id: env-12345\n");
    free(part);
    part = cut(&out, "Original-Recipient", "Action");
    assert_string_equal(part, "Original-Recipient: rfc822;Ghost@Example.Org\n");
    free(part);
    part = cut(&out, "--E2FB9A74059.1796586435/mail.pfxlab.test\nContent-Description: Undelivered",
	       NULL);
    assert_string_equal(part,
	"--E2FB9A74059.1796586435/mail.pfxlab.test\n"
	"Content-Description: Undelivered Message Headers\n"
	"Content-Type: text/rfc822-headers\n"
	"Content-Transfer-Encoding: 8bit\n"
	"\n"
	"Return-Path: <alice@mail.pfxlab.test>\n"
	"Received: from client.example (localhost [127.0.0.1])\n"
	"\tby mail.pfxlab.test (Postfix) with ESMTP id B21CCA7404C\n"
	"\tfor <ghost@mail.pfxlab.test>; Sun,  6 Dec 2026 19:44:15 +0000 (UTC)\n"
	"Subject: s3 alias ghost\n"
	"From: Alice <alice@mail.pfxlab.test>\n"
	"To: undisclosed@mail.pfxlab.test\n"
	"Message-Id: <20261206194415.B21CCA7404C@mail.pfxlab.test>\n"
	"Date: Sun,  6 Dec 2026 19:44:15 +0000 (UTC)\n"
	"\n"
	"--E2FB9A74059.1796586435/mail.pfxlab.test--\n");
    free(part);
    sb_free(&out);
    close(m.fd);
}

static void test_success_and_delay(void **state)
{
    (void) state;
    struct local_message m = message(original);
    struct dsn_report_msg msg = { "E913EA74076", "alice@mail.pfxlab.test", 1796586435, 500, "",
	0, "", m.fd, 0, m.length };
    struct dsn_report_rcpt r = { "bob@mail.pfxlab.test", "bob@mail.pfxlab.test",
	"rfc822;bob@mail.pfxlab.test", "2.0.0", "delivered",
	"delivery via local: delivered to mailbox", NULL, NULL, NULL, NULL };
    struct strbuf out = STRBUF_INIT;

    /* SPEC-runtime.md 4.3 */
    dsn_report_write(&out, &lab, DSN_REPORT_SUCCESS, 0, "alice@mail.pfxlab.test", 0, NULL,
		     1796586436, &msg, &r, 1);
    char *part = cut(&out, "Subject:", "To:");
    assert_string_equal(part, "Subject: Successful Mail Delivery Report\n");
    free(part);
    part = cut(&out, "This is the mail system", "--E913EA74076");
    assert_string_equal(part,
	"This is the mail system at host mail.pfxlab.test.\n\n"
	"Your message was successfully delivered to the destination(s)\n"
	"listed below. If the message was delivered to mailbox you will\n"
	"receive no further notifications. Otherwise you may still receive\n"
	"notifications of mail delivery errors from other systems.\n\n"
	"                   The mail system\n\n"
	"<bob@mail.pfxlab.test>: delivery via local: delivered to mailbox\n\n");
    free(part);
    part = cut(&out, "Final-Recipient", "\n--");
    assert_string_equal(part,
	"Final-Recipient: rfc822; bob@mail.pfxlab.test\n"
	"Original-Recipient: rfc822;bob@mail.pfxlab.test\n"
	"Action: delivered\n"
	"Status: 2.0.0\n"
	"Diagnostic-Code: X-Postfix; delivery via local: delivered to mailbox\n");
    free(part);
    part = cut(&out, "Content-Description: Message Headers", "\n\n");
    assert_string_equal(part, "Content-Description: Message Headers\n"
			"Content-Type: text/rfc822-headers\n"
			"Content-Transfer-Encoding: 8bit");
    free(part);

    /* SPEC-runtime.md 4.4: delay_warning_time 1m is "0 hour(s)". */
    struct dsn_report_rcpt d = { "u@defer.test", "u@defer.test", "rfc822;u@defer.test", "4.4.1",
	"delayed", "connect to 127.0.0.1[127.0.0.1]:2599: Connection refused", NULL, NULL,
	NULL, NULL };
    msg.queue_id = "DBCDFA74019";
    msg.arrival = 1796586435;
    sb_reset(&out);
    dsn_report_write(&out, &lab, DSN_REPORT_DELAY, 0, "alice@mail.pfxlab.test", 0, NULL,
		     1796586515, &msg, &d, 1);
    part = cut(&out, "Your message could not", "\n\nFor further");
    assert_string_equal(part, "Your message could not be delivered for more than 0 hour(s).\n"
			"It will be retried until it is 5 day(s) old.");
    free(part);
    part = cut(&out, "Final-Recipient", "\n--");
    assert_string_equal(part,
	"Final-Recipient: rfc822; u@defer.test\n"
	"Original-Recipient: rfc822;u@defer.test\n"
	"Action: delayed\n"
	"Status: 4.4.1\n"
	"Diagnostic-Code: X-Postfix; connect to 127.0.0.1[127.0.0.1]:2599: Connection\n"
	"    refused\n"
	"Will-Retry-Until: Fri, 11 Dec 2026 19:47:15 +0000 (UTC)\n");
    free(part);
    assert_non_null(strstr(out.s, "Subject: Delayed Mail (still being retried)\n"));
    assert_non_null(strstr(out.s, "Content-Description: Undelivered Message Headers\n"));
    sb_free(&out);
    close(m.fd);
}

static void test_bounce_limits_and_postmaster(void **state)
{
    (void) state;
    struct local_message m = message(original);
    struct dsn_report_msg msg = { "B21CCA7404C", "alice@mail.pfxlab.test", 1796586255, 60000,
	"", 0, "", m.fd, 0, m.length };
    struct dsn_report_rcpt r = { "x@err.test", "x@err.test", "", "5.1.2", "failed",
	"custom error text", NULL, NULL, NULL, NULL };
    struct strbuf out = STRBUF_INIT;

    /* Over bounce_size_limit: the headers only. */
    dsn_report_write(&out, &lab, DSN_REPORT_FAILURE, 0, "alice@mail.pfxlab.test", 0, NULL,
		     1796586256, &msg, &r, 1);
    assert_non_null(strstr(out.s, "Content-Description: Undelivered Message Headers\n"));
    assert_null(strstr(out.s, "body line"));
    /* The same orig and final recipient: no "expanded from". */
    assert_non_null(strstr(out.s, "\n<x@err.test>: custom error text\n"));
    /* The postmaster's copy: its subject, no template text, a bare To: qualified. */
    msg.size = 500;
    sb_reset(&out);
    dsn_report_write(&out, &lab, DSN_REPORT_FAILURE, 1, "postmaster", 0, NULL, 1796586256, &msg,
		     &r, 1);
    assert_non_null(strstr(out.s, "Subject: Postmaster Copy: Undelivered Mail\n"
			   "To: postmaster@mail.pfxlab.test\nAuto-Submitted: auto-generated\n"));
    assert_null(strstr(out.s, "I'm sorry"));
    assert_non_null(strstr(out.s, "Content-Description: Undelivered Message Headers\n"));
    /* An x-unix diagnostic, as a command's failure gives. */
    struct dsn_report_rcpt c = { "cmd67@x", "", "", "5.1.1", "failed",
	"user unknown. Command output: no such mailbox here ", "x-unix",
	"no such mailbox here ", NULL, NULL };
    sb_reset(&out);
    dsn_report_write(&out, &lab, DSN_REPORT_FAILURE, 0, "alice@x", 0, NULL, 1796586256, &msg,
		     &c, 1);
    assert_non_null(strstr(out.s, "\nDiagnostic-Code: x-unix; no such mailbox here\n"));
    sb_free(&out);
    close(m.fd);
}

int main(void)
{
    /* The lab's clock: UTC. */
    setenv("TZ", "UTC", 1);
    tzset();
    const struct CMUnitTest tests[] = {
	cmocka_unit_test(test_copy_mbox),
	cmocka_unit_test(test_copy_null_sender_partial_line),
	cmocka_unit_test(test_copy_quoted_sender),
	cmocka_unit_test(test_copy_maildir_and_command),
	cmocka_unit_test(test_copy_long_line),
	cmocka_unit_test(test_copy_short_file),
	cmocka_unit_test(test_header_name_len),
	cmocka_unit_test(test_scan_delivered),
	cmocka_unit_test(test_mail_date),
	cmocka_unit_test(test_wrap),
	cmocka_unit_test(test_bounce_spec),
	cmocka_unit_test(test_bounce_ret_hdrs_envid),
	cmocka_unit_test(test_success_and_delay),
	cmocka_unit_test(test_bounce_limits_and_postmaster),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
