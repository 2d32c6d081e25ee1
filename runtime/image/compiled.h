/*
 * compiled - what the loader makes of a rule's pattern, shared by the
 * verifier (loader.c), which compiles every pattern once at load so that
 * one that does not compile refuses the image, and by the lookups
 * (lookup.c), which run them. Private to runtime/.
 */
#ifndef PFC_RUNTIME_COMPILED_H
#define PFC_RUNTIME_COMPILED_H

#include <regex.h>
#include <stddef.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "cidr.h"
#include "image.h"

struct regex_program {
    uint32_t kind;		/* IMG_TABLE_REGEXP, _PCRE or _CIDR */
    union {
	regex_t re;
	pcre2_code *code;
	struct cidr_net cidr;
    } u;
};

/* rule_has_pattern2 - does a regexp rule have "/a/!/b/"'s second pattern? */
static inline int rule_has_pattern2(const struct img_rule *rule)
{
    return (rule->flags & IMG_RULE_HAS2) != 0;
}

#endif
