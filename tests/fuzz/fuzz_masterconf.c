/*
 * fuzz_masterconf - master.cf as postconf reads it (compiler/model/master_cf.h):
 * fields, daemon options, positions of every argument.
 */
#include <string.h>

#include "fuzz.h"
#include "master_cf.h"

const char fuzz_name[] = "masterconf";

static void on_problem(void *ctx, const char *path, const struct cf_logical_line *line,
		       size_t offset, int fatal, const char *message)
{
    int lineno, column;

    (void) ctx;
    (void) path;
    (void) fatal;
    fuzz_use(message);
    if (line != NULL) {
	if (offset > line->len)
	    __builtin_trap();
	cf_position(line, offset, &lineno, &column);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct masterconf_hooks hooks = { on_problem, NULL };
    struct masterconf mc = { NULL, 0 };
    int lineno, column;

    fuzz_init();
    masterconf_load(fuzz_file(data, size), &mc, &hooks);
    for (size_t i = 0; i < mc.count; i++) {
	const struct master_entry *e = &mc.entries[i];

	if (e->argc < MASTER_MIN_FIELDS || e->argv[e->argc] != NULL)
	    __builtin_trap();
	fuzz_use(e->raw);
	fuzz_use(e->name_space);
	for (size_t a = 0; a <= e->argc; a++) {
	    if (e->argoff[a] > e->where->len)
		__builtin_trap();
	    cf_position(e->where, e->argoff[a], &lineno, &column);
	    if (a < e->argc) {
		fuzz_use(e->argv[a]);
		if (e->argv[a][0] == '-')
		    (void) MASTER_OPTION_TAKES_VALUE(e->argv[a]);
	    }
	}
	fuzz_use(strmap_get(&e->ro_params, "process_name"));
	fuzz_use(strmap_get(&e->ro_params, "service_name"));
    }
    masterconf_free(&mc);
    return 0;
}
