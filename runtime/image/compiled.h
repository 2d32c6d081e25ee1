/*
 * compiled - what the loader makes of a regexp or pcre rule's pattern,
 * shared by the verifier (loader.c), which compiles every pattern it
 * checks so that one that does not compile refuses the image, and by the
 * lookups (image_lookup.c), which run them. (A cidr rule needs nothing:
 * its network is stored in binary, NETS.) Private to runtime/.
 */
#ifndef PFC_RUNTIME_COMPILED_H
#define PFC_RUNTIME_COMPILED_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "image.h"

struct regex_program {
    uint32_t kind;		/* IMG_TABLE_REGEXP or _PCRE; 0 while being compiled */
    union {
	regex_t re;
	pcre2_code *code;
    } u;
};

/* rule_has_pattern2 - does a regexp rule have "/a/!/b/"'s second pattern? */
static inline int rule_has_pattern2(const struct img_rule *rule)
{
    return (rule->flags & IMG_RULE_HAS2) != 0;
}

#endif
