/*
 * mail_date - the date as Postfix writes it in Received:, Date: and
 * delivery status notifications (mail_date()): "Sun,  6 Dec 2026
 * 19:37:26 +0000 (UTC)", local time, the day padded with a space, the
 * UTC offset computed by hand and the zone's name. One writer for
 * cleanup's headers, local(8)'s forwarded mail and the notices.
 */
#ifndef PFC_MAIL_DATE_H
#define PFC_MAIL_DATE_H

#include <time.h>

#include "strbuf.h"

/* mail_date - the date of when, appended to out */
void mail_date(time_t when, struct strbuf *out);

#endif
