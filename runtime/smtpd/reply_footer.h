/*
 * reply_footer - Postfix's smtp_reply_footer(): smtpd_reject_footer (or
 * the smtpd_reject_footer_maps answer) added to a 4xx or 5xx reply, one
 * more reply line per "\n" of the template, each with the reply's code
 * and enhanced status code, $names expanded (a template that starts with
 * "\c" goes on the reply's last line instead).
 */
#ifndef PFC_REPLY_FOOTER_H
#define PFC_REPLY_FOOTER_H

#include "expand.h"
#include "strbuf.h"

/*
 * reply_footer - append template to reply (lines separated by CRLF, no
 * CRLF at the end). 0; -1 when reply is not a well-formed SMTP reply;
 * -2 when the template does not expand (the reply is left as it was).
 * Looked-up values are filtered through filter (smtpd_expand_filter).
 */
int reply_footer(struct strbuf *reply, const char *template, const char *filter,
		 expand_lookup_fn lookup, void *ctx);

#endif
