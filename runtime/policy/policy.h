/*
 * policy - one service's view of a verified image, as the engine reads
 * it: the value of each parameter as that service sees it (its master.cf
 * -o overrides over main.cf over the defaults, already expanded by pfc
 * build), the tables a parameter names, and the restriction program of
 * each list. Nothing here parses the configuration: the image holds the
 * values; typed getters convert them the way Postfix's mail_conf_*()
 * does, and say so when a value is bad.
 */
#ifndef PFC_POLICY_H
#define PFC_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "loader.h"

/*
 * What the engine derives from a view's values once, on first use,
 * rather than once per lookup: parsed lists, settings, the views of the
 * services it asks (trivial-rewrite, cleanup). Each module of the engine
 * keeps its own slot and says how to free it. Shared by every session
 * under the view; not locked: a view serves one thread.
 */
enum policy_memo_slot { MEMO_MAPS, MEMO_LISTS, MEMO_RESOLVE, MEMO_REWRITE, MEMO_SLOTS };

struct policy_memo {
    void *slot[MEMO_SLOTS];
    void (*release[MEMO_SLOTS])(void *);
};

struct policy {
    const struct image *img;
    uint32_t service;		/* index in SERV, or IMG_NONE: main.cf's view */
    const char *service_name;	/* "smtp", "127.0.0.1:2525", or "" */
    struct policy_memo *memo;	/* policy_open() makes it, policy_close() frees it */
};

/*
 * policy_open - the view of service (its master.cf name, or "name/type";
 * NULL: the first inet smtpd service, or main.cf's view when there is
 * none). Returns 0, or -1 with *err (the caller frees it).
 */
int policy_open(struct policy *p, const struct image *img, const char *service, char **err);

/* policy_open_main - main.cf's view, as a process that no -o reaches sees it */
void policy_open_main(struct policy *p, const struct image *img);

/* policy_close - free what the engine derived (the image stays open) */
void policy_close(struct policy *p);

/*
 * policy_memo - the memo slot of p: made on first use (size bytes, zero),
 * freed with release when the policy closes.
 */
void *policy_memo(const struct policy *p, enum policy_memo_slot slot, size_t size,
		  void (*release)(void *));

/* policy_setting - the setting of name as the view sees it, or NULL */
const struct img_setting *policy_setting(const struct policy *p, const char *name);

/*
 * policy_value - the expanded value of name as the view sees it; "" when
 * the image does not know it (an undefined $name expands to nothing).
 */
const char *policy_value(const struct policy *p, const char *name);

/* policy_bool - a yes/no parameter (any case); anything else is "no" */
int policy_bool(const struct policy *p, const char *name);

/* policy_int - a numeric parameter; fallback when it is not a number */
long policy_int(const struct policy *p, const char *name, long fallback);

/*
 * policy_time - a time parameter in seconds: digits and one unit letter
 * (s m h d w; def_unit when there is none), as Postfix's conv_time();
 * fallback when it is malformed.
 */
long policy_time(const struct policy *p, const char *name, int def_unit, long fallback);

/*
 * policy_tables - the tables a parameter's value names (TREF), in order:
 * *count of them starting at the returned pointer.
 */
const uint32_t *policy_tables(const struct policy *p, const char *name, uint32_t *count);

/*
 * policy_program - the restriction program named name (a list parameter
 * or a class) for the view's service, else main.cf's; IMG_NONE if none.
 */
uint32_t policy_program(const struct policy *p, const char *name);

#endif
