/*
 * engine - the restriction engine: Postfix 3.7's smtpd_check.c, run from
 * a verified image. Each stage check takes the session, runs that
 * stage's restriction programs (restriction ids dispatched through one
 * table, tables looked up in the image's indexes), updates the session's
 * restriction state, and returns NULL to go on or the reply that refuses
 * ("554 5.7.1 <x@y>: Recipient address rejected: Access denied"), exactly
 * as smtpd_check_client() ... smtpd_check_eod() return it. The SMTP
 * server (runtime/smtpd) and pfc trace call the same functions.
 */
#ifndef PFC_ENGINE_H
#define PFC_ENGINE_H

#include <stdint.h>
#include <sys/types.h>

#include "dns.h"
#include "policy.h"
#include "session.h"

/*
 * What the engine computes once per policy: the reply codes, switches and
 * programs of smtpd's configuration (smtpd_check_init()), and the outside
 * world it talks to (a resolver, policy servers).
 */
struct engine;

/*
 * engine_open - an engine over policy p (which must outlive it). dns is
 * the resolver for the DNS restrictions (NULL: every DNS question fails
 * temporarily, as when the DNS is down). Returns NULL with *err when
 * smtpd would not start with this configuration (no relay guard, a bad
 * policy server, an undefined class), in smtpd's words.
 */
struct engine *engine_open(const struct policy *p, struct dns_resolver *dns, char **err);
void engine_close(struct engine *e);

/*
 * engine_session - start s under e (session_init() plus the engine, and
 * the session's memo of passwd answers: a name is asked of the host once
 * per session)
 */
void engine_session(struct engine *e, struct session *s);

/*
 * The stage checks, as smtpd_check_*(): NULL, or the reply text (valid
 * until the next check on the same session). helo, sender, recipient and
 * domain are as the client sent them (without <>).
 */
const char *engine_check_client(struct session *s);
const char *engine_check_helo(struct session *s, const char *helo);
const char *engine_check_mail(struct session *s, const char *sender);
const char *engine_check_rcpt(struct session *s, const char *recipient);
const char *engine_check_etrn(struct session *s, const char *domain);
const char *engine_check_data(struct session *s);
const char *engine_check_eod(struct session *s);
/* engine_check_size - MAIL FROM SIZE= against message_size_limit */
const char *engine_check_size(struct session *s, off_t size);

/* engine_delay_reject - smtpd_delay_reject: client, HELO and MAIL checks wait for RCPT */
int engine_delay_reject(const struct engine *e);

/*
 * Hints for a batch of envelopes (pfc trace --envelopes): an envelope's
 * first lookups in the big tables (the client address in
 * check_client_access's, the recipient in check_recipient_access's and
 * virtual_alias_maps' exact tables) each wait for three cache misses
 * (image_prefetch_start()), a third of a batch's time. A batch that
 * reads some envelopes ahead starts an envelope's loads with
 * engine_hint_start() when it reads it, goes on with engine_hint_step()
 * (stage 1, then 2) some envelopes later, and checks it later again,
 * when they have arrived. Hints only: no answer, trace or lookup
 * changes.
 */
#define ENGINE_HINTS	8
struct engine_hint {
    uint32_t hash[ENGINE_HINTS];
};
void engine_hint_start(struct engine *e, struct engine_hint *h, const char *addr,
		       const char *recipient);
void engine_hint_step(const struct engine *e, const struct engine_hint *h, int stage);

#endif
