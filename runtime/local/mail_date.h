/*
 * mail_date - the date as Postfix writes it in Received:, Date: and
 * delivery reports (mail_date()): "Sun,  6 Dec 2026 19:37:26 +0000 (UTC)",
 * local time, the day padded with a space, the UTC offset computed by
 * hand and the zone's name.
 */
#ifndef PFC_MAIL_DATE_H
#define PFC_MAIL_DATE_H

#include <time.h>

#include "strbuf.h"

/*
 * local_mail_date - the date of when, appended to out. (pfcd's cleanup
 * has the same function as mail_date(): one of the two should go to lib/
 * when both are in one tree.)
 */
void local_mail_date(time_t when, struct strbuf *out);

#endif
