/*
 * fuzz_cidr - cidr_table(5): networks (maps/dict_cidr.c over
 * maps/pattern_source.h), read and asked; see fuzz_table.h.
 */
#include "fuzz_table.h"

const char fuzz_name[] = "cidr";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_table("cidr", data, size);
}
