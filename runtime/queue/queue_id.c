/* queue_id - Postfix's short and long queue IDs (see queue_id.h) */
#include <stdio.h>
#include <string.h>

#include "queue_id.h"

static const char base52[] = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxyz";

/* put_base - value in base radix, at least width digits, appended at *pos */
static void put_base(char *buf, size_t size, size_t *pos, unsigned long long value,
		     unsigned radix, int width)
{
    char tmp[32];
    int n = 0;

    do {
	tmp[n++] = base52[value % radix];
	value /= radix;
    } while (value > 0 && n < (int) sizeof(tmp));
    while (n < width)
	tmp[n++] = '0';
    while (n > 0 && *pos + 1 < size)
	buf[(*pos)++] = tmp[--n];
    buf[*pos] = 0;
}

void queue_id_make(char *buf, size_t size, time_t sec, long usec, ino_t ino, int long_ids)
{
    if (!long_ids) {
	snprintf(buf, size, "%05lX%lX", (unsigned long) usec, (unsigned long) ino);
	return;
    }
    size_t pos = 0;
    buf[0] = 0;
    put_base(buf, size, &pos, (unsigned long long) sec, 52, 6);
    put_base(buf, size, &pos, (unsigned long long) usec, 52, 4);
    if (pos + 1 < size) {
	buf[pos++] = 'z';
	buf[pos] = 0;
    }
    put_base(buf, size, &pos, (unsigned long long) ino, 51, 1);
}

int queue_id_ok(const char *name)
{
    size_t n = strlen(name);

    /* Short IDs are upper-case hex (A and E are vowels, not in base52). */
    return n >= 6 && n < 32
	&& (strspn(name, base52) == n || strspn(name, "0123456789ABCDEF") == n);
}
