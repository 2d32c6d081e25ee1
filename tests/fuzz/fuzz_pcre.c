/*
 * fuzz_pcre - pcre_table(5): PCRE2 patterns (maps/dict_pcre.c over
 * maps/pattern_source.h), read and asked; see fuzz_table.h.
 */
#include "fuzz_table.h"

const char fuzz_name[] = "pcre";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_table("pcre", data, size);
}
