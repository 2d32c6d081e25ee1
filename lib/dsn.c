/* dsn - enhanced status codes at the start of a reply text (see dsn.h) */
#include <string.h>

#include "dsn.h"
#include "textutil.h"

size_t dsn_valid(const char *text)
{
    const char *cp = text;
    size_t len;

    if ((cp[0] != '2' && cp[0] != '4' && cp[0] != '5') || cp[1] != '.')
	return 0;
    cp += 2;
    if ((len = strspn(cp, "0123456789")) < 1 || len > 3 || cp[len] != '.')
	return 0;
    cp += len + 1;
    if ((len = strspn(cp, "0123456789")) < 1 || len > 3
	|| (cp[len] != 0 && !is_space((unsigned char) cp[len])))
	return 0;
    return (size_t) (cp - text) + len;
}

const char *dsn_split(char dsn[DSN_SIZE], const char *def_dsn, const char *text)
{
    const char *cp = text;
    size_t len;

    while (is_space((unsigned char) *cp))
	cp++;
    if ((len = dsn_valid(cp)) > 0) {
	memcpy(dsn, cp, len);
	dsn[len] = 0;
	/* The space after the code goes; a code at the very end leaves "". */
	cp += cp[len] ? len + 1 : len;
    } else {
	len = dsn_valid(def_dsn);
	memcpy(dsn, def_dsn, len);
	dsn[len] = 0;
    }
    while (is_space((unsigned char) *cp))
	cp++;
    return cp;
}
