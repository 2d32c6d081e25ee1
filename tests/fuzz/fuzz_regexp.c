/*
 * fuzz_regexp - regexp_table(5): POSIX regular expressions (maps/dict_regexp.c over
 * maps/pattern_source.h), read and asked; see fuzz_table.h.
 */
#include "fuzz_table.h"

const char fuzz_name[] = "regexp";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_table("regexp", data, size);
}
