/* mail_date - RFC 822 dates as Postfix writes them (see mail_date.h) */
#include <stdlib.h>

#include "mail_date.h"

void mail_date(time_t when, struct strbuf *out)
{
    struct tm gmt, lt;
    char buf[128];
    int gmtoff;

    gmtime_r(&when, &gmt);
    localtime_r(&when, &lt);
    /* tm_gmtoff is not POSIX: the offset from the two broken-down times. */
    gmtoff = (lt.tm_hour - gmt.tm_hour) * 60 + lt.tm_min - gmt.tm_min;
    if (lt.tm_year < gmt.tm_year)
	gmtoff -= 24 * 60;
    else if (lt.tm_year > gmt.tm_year)
	gmtoff += 24 * 60;
    else if (lt.tm_yday < gmt.tm_yday)
	gmtoff -= 24 * 60;
    else if (lt.tm_yday > gmt.tm_yday)
	gmtoff += 24 * 60;
    if (lt.tm_sec <= gmt.tm_sec - 60)
	gmtoff -= 1;
    else if (lt.tm_sec >= gmt.tm_sec + 60)
	gmtoff += 1;
    strftime(buf, sizeof(buf), "%a, %e %b %Y %H:%M:%S ", &lt);
    sb_adds(out, buf);
    sb_printf(out, "%+03d%02d", gmtoff / 60, abs(gmtoff) % 60);
    strftime(buf, sizeof(buf), " (%Z)", &lt);
    sb_adds(out, buf);
}
