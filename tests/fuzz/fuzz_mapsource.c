/*
 * fuzz_mapsource - the postmap source format (grammar/mapsource.h), as
 * pfc map and texthash read it: "key value" logical lines.
 */
#include <stdio.h>

#include "fuzz.h"
#include "mapsource.h"

const char fuzz_name[] = "mapsource";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned flags[] = { 0, MAPSOURCE_UTF8 | MAPSOURCE_TEXTHASH };

    fuzz_init();
    for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
	FILE *fp = fuzz_stream(data, size);
	mapsource_read(fp, "virtual", flags[i], fuzz_entry, NULL);
	fclose(fp);
    }
    return 0;
}
