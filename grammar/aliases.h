/*
 * aliases - the aliases(5) source parser shared by every tool that reads
 * an aliases file (pfc alias, pfc newaliases, the linter). It does what
 * postalias(1) does to each logical line (SPEC 6.1):
 *
 *   - tokenize it as RFC 822 (tok822.h);
 *   - split it at the first ':' token: "name: value, value, ...";
 *   - refuse a line without a name or value, or with a ',' in the name
 *     ("need name:value pair"), and a name with a bare '@' or '%' in it
 *     ("name must be local");
 *   - give the key in internal form (quotes and backslashes gone) and the
 *     value in external form (re-quoted, whitespace normalised), exactly
 *     the bytes postalias stores.
 */
#ifndef PFC_ALIASES_H
#define PFC_ALIASES_H

#include <stddef.h>
#include <stdio.h>

struct diag_sink;
struct strbuf;

#define ALIASES_FOLD	(1u << 0)	/* lowercase keys (ASCII only) */
#define ALIASES_UTF8	(1u << 1)	/* smtputf8_enable: refuse a line that
					 * is not valid UTF-8, as postalias */

/* What became of one logical line. */
enum aliases_status {
    ALIASES_ENTRY,		/* key and value are set */
    ALIASES_EMPTY,		/* no tokens (text after a NUL byte only) */
    ALIASES_NEED_PAIR,		/* "need name:value pair" */
    ALIASES_NOT_LOCAL,		/* "name must be local" */
    ALIASES_NON_UTF8,		/* "non-UTF-8 input" (with ALIASES_UTF8) */
};

/*
 * aliases_parse_line - one logical line, as the logical-line reader gives
 * it (len may count bytes after a NUL; Postfix ignores them except in the
 * UTF-8 check). On ALIASES_ENTRY key and value hold the entry.
 */
enum aliases_status aliases_parse_line(const char *text, size_t len,
				       unsigned flags, struct strbuf *key,
				       struct strbuf *value);

/* aliases_entry_fn - one good entry; line is where its logical line starts */
typedef void (*aliases_entry_fn)(void *ctx, const char *key,
				 const char *value, int line);

/*
 * aliases_read_to - read every entry of fp. path names the source in
 * warnings, as postalias names it ("aliases", "/etc/aliases", "stdin"),
 * and they are reported to sink (NULL: the process's) with their line:
 *   PATH, line N: need name:value pair
 *   PATH, line N: name must be local
 *   PATH, line N: non-UTF-8 input "TEXT" -- ignoring this line
 *   PATH: logical line must not start with whitespace: "TEXT"
 * (the last one from the logical-line reader). Bad lines are skipped and
 * the rest still loads. Returns the number of entries refused (not
 * counting lines that start with whitespace), or -1 on a read error.
 */
int aliases_read_to(FILE *fp, const char *path, unsigned flags,
		    const struct diag_sink *sink, aliases_entry_fn fn, void *ctx);
/* aliases_read_stream - aliases_read_to() with the process's sink */
int aliases_read_stream(FILE *fp, const char *path, unsigned flags,
			aliases_entry_fn fn, void *ctx);

#endif
