/*
 * fuzz_mainconf - main.cf as postconf reads it (compiler/model/main_cf.h),
 * then every value $-expanded against the others, as postconf -x does
 * (one level, so that a hostile file cannot ask for exponential output).
 */
#include <stdlib.h>
#include <string.h>

#include "expand.h"
#include "fuzz.h"
#include "main_cf.h"
#include "strbuf.h"
#include "strmap.h"

const char fuzz_name[] = "mainconf";

/* check_at - an offset the reader hands out is inside its line */
static void check_at(const struct cf_logical_line *line, size_t offset)
{
    int lineno, column;

    if (offset > line->len)
	__builtin_trap();
    cf_position(line, offset, &lineno, &column);
    if (lineno < line->first_line || lineno > line->last_line || column < 1)
	__builtin_trap();
}

static void on_syntax_error(void *ctx, const char *path,
			    const struct cf_logical_line *line, const char *err)
{
    (void) ctx;
    (void) path;
    fuzz_use(err);
    fuzz_use(line->text);
}

static void on_setting(void *ctx, const char *path, const struct cf_logical_line *line,
		       size_t name_off, size_t value_off)
{
    (void) ctx;
    (void) path;
    check_at(line, name_off);
    check_at(line, value_off);
    fuzz_use(line->text + value_off);
}

static void on_override(void *ctx, const char *path, const struct cf_logical_line *line,
			const char *name, const char *old_value)
{
    (void) ctx;
    (void) path;
    (void) line;
    fuzz_use(name);
    fuzz_use(old_value);
}

static void on_leading_space(void *ctx, const char *path,
			     const struct cf_logical_line *line)
{
    (void) ctx;
    (void) path;
    fuzz_use(line->text);
}

static size_t count_digits(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
	n += (*s >= '0' && *s <= '9');
    return n;
}

static size_t count_dollars(const char *s)
{
    size_t n = 0;

    for (; *s; s++)
	n += (*s == '$');
    return n;
}

/* lookup - a parameter's raw value, as postconf -x uses them */
static const char *lookup(const char *name, int mode, void *ctx)
{
    (void) mode;
    return setting_value(ctx, name);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mainconf_hooks hooks = {
	on_syntax_error, on_setting, on_override, on_leading_space, NULL
    };
    struct strmap dict;

    fuzz_init();
    strmap_init(&dict);
    /* The second reading uses the default (postconf's) override warning. */
    for (int pass = 0; pass < 2; pass++) {
	if (pass == 1)
	    hooks.on_override = NULL, hooks.on_leading_space = NULL;
	mainconf_load(fuzz_file(data, size), &dict, &hooks);
    }
    const char **names = strmap_sorted_keys(&dict);
    size_t most_digits = 0;
    for (size_t i = 0; names[i] != NULL; i++) {
	size_t n = count_digits(setting_value(&dict, names[i]));
	if (n > most_digits)
	    most_digits = n;
    }
    struct strbuf out = STRBUF_INIT;
    for (size_t i = 0; names[i] != NULL; i++) {
	const char *value = setting_value(&dict, names[i]);
	/*
	 * "{A} == {B}" with numbers past LONG_MAX is fatal in Postfix and
	 * pfc (mac_exp_eval: bad conversion), which would end the fuzzer:
	 * only scan a value whose operands could reach 19 digits.
	 */
	int flags = count_digits(value) + count_dollars(value) * most_digits >= 19
	    ? EXPAND_SCAN : 0;
	sb_reset(&out);
	expand(&out, value, flags, lookup, &dict);
	fuzz_use(sb_str(&out));
    }
    sb_free(&out);
    free(names);
    strmap_free(&dict, setting_free);
    return 0;
}
