/*
 * dump - the text notation of a policy image, shared by pfc dump (the
 * whole image, canonical and sorted) and pfc diff (what changed), so that
 * both show a value, a service, a rule or a restriction the same way.
 * Everything here reads an image the loader has verified.
 */
#ifndef PFC_DUMP_H
#define PFC_DUMP_H

#include <stdint.h>
#include <stdio.h>

#include "loader.h"

struct strbuf;

/*
 * dump_escape - append s in the dump's notation: TAB, LF and CR are
 * "\t", "\n", "\r"; every other control character, DEL and each byte
 * that is not part of well-formed UTF-8 is "\xHH"; well-formed UTF-8 is
 * kept; a space at the very end is "\x20" (no line ends in white space);
 * a backslash is "\\" where it would otherwise start one of these
 * escapes (before \, t, n, r or x) and is kept as it is elsewhere, so
 * regular expressions read as written. With DUMP_ESC_SPACE every space
 * is "\x20" (names and keys: "KEY = VALUE" splits at the first " = ").
 */
#define DUMP_ESC_SPACE	(1 << 0)
void dump_escape(struct strbuf *sb, const char *s, int flags);

/*
 * dump_flush - write sb to fp and empty it once it holds a megabyte or
 * more (always with force); -1 on a write error.
 */
int dump_flush(struct strbuf *sb, FILE *fp, int force);

/*
 * dump_sorted_entries - the indexes in ENTR of exact table t's entries,
 * sorted by key bytewise (unsigned), ties in entry order; a new array of
 * img->tables[t].b elements (NULL when there are none).
 */
uint32_t *dump_sorted_entries(const struct image *img, uint32_t t);

/*
 * dump_sorted_params, _tables, _programs - record indexes in canonical
 * order: parameters by name, tables by spec, programs by name with the
 * main.cf list first and then each service's in master.cf order. New
 * arrays (of at least one element).
 */
uint32_t *dump_sorted_params(const struct image *img);
uint32_t *dump_sorted_tables(const struct image *img);
uint32_t *dump_sorted_programs(const struct image *img);

/*
 * dump_origin - where a setting comes from: "default", "main.cf:12",
 * "master.cf:14", then "host" when its expansion is left to the host
 * that runs the image ("default, host"). Without lines: "default",
 * "main.cf", or nothing for an override (always master.cf).
 */
void dump_origin(struct strbuf *sb, const struct img_setting *s, int lines);

/* dump_hex - bytes in lowercase hex */
void dump_hex(struct strbuf *sb, const uint8_t *bytes, size_t n);

/* dump_kind_name - "exact", "regexp", "pcre", ... for an img_table kind */
const char *dump_kind_name(uint32_t kind);

/* dump_service_key - "smtp/inet": how a service is named in messages */
void dump_service_key(struct strbuf *sb, const struct image *img, uint32_t svc);

/* dump_service_fields - "inet n - y - - smtpd": the entry after its name */
void dump_service_fields(struct strbuf *sb, const struct image *img, uint32_t svc);

/*
 * dump_rule - one rule of a regexp, pcre or cidr table as its source would
 * write it: "if /pattern/flags", "endif", "!/a/!/b/ RESULT" ("$" doubled,
 * "$n" for groups), or for cidr "192.168.0.0/16 RESULT".
 */
void dump_rule(struct strbuf *sb, const struct image *img, uint32_t kind,
	       const struct img_rule *rule);


/*
 * dump_insn - one instruction of a restriction program: the word, then
 * its table spec or text; a restriction class is "class NAME".
 */
void dump_insn(struct strbuf *sb, const struct image *img, const struct img_insn *insn);

/* dump_table_summary - "exact fold aliases": a table's kind and flags */
void dump_table_summary(struct strbuf *sb, const struct image *img, uint32_t t);

/* dump_basename - the last component of a source path, for "[virtual:3]" */
const char *dump_basename(const char *path);

/* dump_table_file - the basename of table t's source, "" when it has none */
const char *dump_table_file(const struct image *img, uint32_t t);

/*
 * dump_image - the canonical text of img on fp (see pfc(1), DUMP FORMAT).
 * With policy_only, no content id, no source manifest and no file:line:
 * two configurations that mean the same policy dump the same. With host,
 * each setting that depends on the host gets an "on-host VALUE" line: its
 * value on this host. Returns 0, or -1 on a write error.
 */
struct image_host;
int dump_image(const struct image *img, int policy_only, struct image_host *host, FILE *fp);

#endif
