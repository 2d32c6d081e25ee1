/*
 * fuzz_expand - Postfix's $name expansion (lib/expand.h): the input
 * is the text to expand, against a fixed set of parameters, in every
 * mode (one level, recursive, scan); and as a compatibility level.
 */
#include <stdlib.h>
#include <string.h>

#include "expand.h"
#include "fuzz.h"
#include "strbuf.h"

const char fuzz_name[] = "expand";

/*
 * The parameters. No value is all digits, so that the input alone
 * decides how long a number "{A} == {B}" compares (see below).
 */
static const char *const params[][2] = {
    { "full_p", "yes" },
    { "empty_p", "" },
    { "myhostname", "mail.example.com" },
    { "mydomain", "example.com" },
    { "myorigin", "$myhostname" },
    { "mydestination", "$myhostname, localhost.$mydomain, localhost" },
    { "loop", "$loop" },
    { "loop_a", "${loop_b}" },
    { "loop_b", "$(loop_a)" },
    { "chain", "$full_p-$myhostname" },
    { "cond", "${full_p?{$chain}:{no}}" },
    { "rel", "${{$full_p} == {yes}?{eq}:{ne}}" },
    { "compatibility_level", "3.6" },
    { "level", "${{$compatibility_level} <level {3.6}?{old}:{new}}" },
    { "broken", "${full_p" },
};

static const char *lookup(const char *name, int mode, void *ctx)
{
    (void) mode;
    (void) ctx;
    for (size_t i = 0; i < sizeof(params) / sizeof(params[0]); i++)
	if (strcmp(name, params[i][0]) == 0)
	    return params[i][1];
    return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const int modes[] = { 0, EXPAND_RECURSE, EXPAND_SCAN, EXPAND_SCAN | EXPAND_RECURSE };
    char *text = fuzz_cstring(data, size);
    struct strbuf out = STRBUF_INIT;

    fuzz_init();
    /*
     * "{A} == {B}" with a number past LONG_MAX is fatal in Postfix and in
     * pfc (mac_exp_eval: bad conversion), and would end the fuzzer. With
     * digit-free parameters an operand has no more digits than the input:
     * keep 18 of them.
     */
    size_t digits = 0;
    for (char *p = text; *p; p++)
	if (*p >= '0' && *p <= '9' && ++digits > 18)
	    *p = 'x';
    for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
	sb_reset(&out);
	expand(&out, text, modes[i], lookup, NULL);
	fuzz_use(sb_str(&out));
    }
    compat_level_parse(text);
    sb_free(&out);
    free(text);
    return 0;
}
