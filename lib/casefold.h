/*
 * casefold - Unicode full case folding (CaseFolding.txt, status C and F),
 * the folding Postfix applies to UTF-8 keys through ICU: "Straße" and
 * "STRASSE" both fold to "strasse".
 */
#ifndef PFC_CASEFOLD_H
#define PFC_CASEFOLD_H

#include <stdint.h>

struct casefold {
    uint32_t from;
    uint32_t to[3];		/* 0-terminated when shorter */
};

extern const struct casefold casefold_table[];
extern const unsigned casefold_table_size;

/* casefold_find - the folding of code point c, or NULL when it folds to itself */
const struct casefold *casefold_find(uint32_t c);

#endif
