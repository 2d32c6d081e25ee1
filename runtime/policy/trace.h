/*
 * trace - what the engine tells a listener while it decides: each stage,
 * each restriction with its result and where it was written, each table
 * probe with its answer, each rewrite and resolution. pfc trace prints
 * these as the explanation (text or JSON); pfcd's JSON log names the
 * restriction that decided. The engine calls these through
 * session->trace; a NULL trace costs one test per event.
 */
#ifndef PFC_TRACE_H
#define PFC_TRACE_H

#include <stdint.h>

struct session;

/* What one table probe found. */
enum trace_probe_result {
    PROBE_MISS, PROBE_HIT, PROBE_SKIP, PROBE_FAIL,
};

/*
 * Where a decision was written: the restriction (its id and argument
 * text), the program it is in and the line of the setting (main.cf, or
 * master.cf when the program's service sets it; line 0: a default).
 */
struct trace_origin {
    uint32_t op;
    const char *arg;
    uint32_t program;
    uint32_t line;
};

struct policy_trace {
    void *ctx;
    /* A restriction list starts: list is its parameter (or class) name. */
    void (*stage)(void *ctx, const char *list, const char *reply_class);
    /*
     * One restriction ran: its id and argument text (the table spec, a
     * domain, a class name; "" for none), the program it belongs to
     * (IMG_NONE: a list an access table answered with) and the line of
     * the setting it came from (main.cf, or master.cf when the program's
     * service sets it; 0 for a default), and its result: "permit",
     * "reject", "dunno", "defer_if_permit", ...; reply: the reply it
     * produced, or NULL.
     */
    void (*restriction)(void *ctx, uint32_t op, const char *arg, uint32_t program,
			uint32_t line, const char *result, const char *reply);
    /*
     * One lookup: table spec, key, result, value (HIT: the answer; FAIL:
     * the table's message), source line of the entry or rule (0: unknown).
     */
    void (*probe)(void *ctx, const char *table, const char *key,
		  enum trace_probe_result result, const char *value, uint32_t line);
    /* Anything else worth a line ("resolve <a@b>: local:mail.example"). */
    void (*note)(void *ctx, const char *text);
    /*
     * What smtpd's log_whatsup() logs when a restriction rejects:
     * action "reject" or "reject_warning" and the reply text, at the
     * moment the session's where, sender and recipient are the logged
     * ones; origin: the configured restriction that decided (for an
     * access table's answer, the check_*_access that asked it), or NULL
     * outside a restriction list. NULL: not wanted (pfc trace shows the
     * reply itself).
     */
    void (*whatsup)(void *ctx, const char *action, const char *text,
		    const struct trace_origin *origin);
};

/*
 * trace_shows_probes - does the listener t (NULL: none) want each probe
 * and note? Then the engine answers nothing from what it kept of an
 * earlier question (the resolver's and mydestination's last answers),
 * so that the explanation shows every lookup a decision rests on.
 */
static inline int trace_shows_probes(const struct policy_trace *t)
{
    return t != NULL && (t->probe != NULL || t->note != NULL);
}

#endif
