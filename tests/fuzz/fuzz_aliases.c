/*
 * fuzz_aliases - the aliases(5) source as postalias reads it
 * (grammar/aliases.h): RFC 822 tokens, "name: value, value".
 */
#include <stdio.h>

#include "aliases.h"
#include "fuzz.h"

const char fuzz_name[] = "aliases";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned flags[] = { 0, ALIASES_FOLD | ALIASES_UTF8 };

    fuzz_init();
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
	FILE *fp = fuzz_stream(data, size);
	aliases_read_stream(fp, "aliases", flags[i], fuzz_entry, NULL);
	fclose(fp);
    }
    return 0;
}
