/*
 * mapsource - the postmap source format (virtual, transport, access,
 * canonical, texthash tables...): "key whitespace value" logical lines.
 * One parser for pfc map, the texthash table and everything after them.
 */
#ifndef PFC_MAPSOURCE_H
#define PFC_MAPSOURCE_H

#include <stddef.h>
#include <stdio.h>

struct diag_sink;

#define MAPSOURCE_UTF8	(1u << 0)	/* drop lines that are not UTF-8 */
#define MAPSOURCE_QUIET	(1u << 1)	/* no warnings: a second reading */
/* Postfix's texthash reader words one warning differently from postmap's. */
#define MAPSOURCE_TEXTHASH (1u << 2)

/*
 * on_entry - one record. The key keeps its quotes, as postmap stores it;
 * the value has its outer whitespace trimmed and its inner whitespace kept.
 */
typedef void (*mapsource_entry_fn)(void *ctx, const char *key, const char *value,
				   int line);

/*
 * A logical line as a record: the key is text[0, key_len), the value
 * text[value_start, value_end) (its outer whitespace trimmed).
 */
struct mapsource_record {
    size_t key_len, value_start, value_end;
    size_t open_quote;		/* MAPSOURCE_UNBALANCED: the '"' left open */
};

/* mapsource_split's verdicts: a record, or why the line is not one */
enum mapsource_split_status {
    MAPSOURCE_RECORD,
    MAPSOURCE_UNBALANCED,	/* a '"' without its partner */
    MAPSOURCE_NOT_KEY_VALUE,	/* no key or no value */
};

/*
 * mapsource_split - the record in a logical line of len bytes: the key
 * ends at the first whitespace outside double quotes (a backslash
 * protects the next byte), the value is the rest. The one splitter of
 * the format: mapsource_read's, and pfc build's for text in memory.
 */
enum mapsource_split_status mapsource_split(const char *text, size_t len,
					    struct mapsource_record *rec);

/*
 * postmap's warning about a record whose key ends in ':' (the record is
 * kept, ':' and all), for callers that tell it from the others.
 */
#define MAPSOURCE_ALIAS_FORMAT "record is in \"key: value\" format; is this an alias file?"

/*
 * mapsource_read_to - read fp and call on_entry for each record. Lines
 * that are not records are skipped with postmap's warning, "PATH, line N:
 * ...", reported to sink (NULL: the process's) with the column where the
 * reader knows it. Returns 0, or -1 on a read error.
 */
int mapsource_read_to(FILE *fp, const char *path, unsigned flags,
		      const struct diag_sink *sink, mapsource_entry_fn on_entry,
		      void *ctx);
/* mapsource_read - mapsource_read_to() with the process's sink */
int mapsource_read(FILE *fp, const char *path, unsigned flags,
		   mapsource_entry_fn on_entry, void *ctx);

#endif
