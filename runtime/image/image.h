/*
 * image - the policy image (.pfi): the one definition of its bytes.
 * pfc build writes it (compiler/emit/), the loader and verifier read it
 * (runtime/image/loader.c), pfc-image(5) describes it for anyone who
 * wants to write a second reader.
 *
 * Shape, in the spirit of cdb and LMDB: one file, little-endian, read in
 * place through mmap; no pointers, only offsets; every section starts on
 * an 8-byte boundary; every record is a fixed number of 32-bit words.
 *
 *   header (96 bytes) | section table | sections ... | SUMS (= file_size)
 *
 * Checksums cover every byte past the magic and the version, in pieces
 * a reader can check one at a time: the header's checksum covers the
 * rest of the header and the section table; the body after the section
 * table is cut into 64 KiB blocks, each with its own checksum in SUMS,
 * the last section; the header holds the checksum of SUMS. A full
 * reader checks them all before it follows a single offset; a reader
 * that looks one key up checks the header, SUMS and just the blocks it
 * reads. The content id (SHA-256 of the section table and the sections)
 * names the policy: the same inputs give the same bytes and the same id
 * on every machine.
 *
 * Shared by writer and reader: the layout, the section list, the masks
 * and limits, and the two hashes as inline functions.
 */
#ifndef PFC_IMAGE_H
#define PFC_IMAGE_H

#include <stddef.h>
#include <stdint.h>

/*
 * libxxhash's own implementation, inlined from its header: a lookup
 * hashes a short key, and the call into the shared library's generic
 * code cost pfc query - 13% of its time against the inlined hash.
 */
#define XXH_INLINE_ALL
#include <xxhash.h>

/*
 * The records are read in place: the file's byte order must be the
 * host's. pfc is built for little-endian hosts only (configure does not
 * look; this does, at compile time).
 */
#if !defined(__BYTE_ORDER__) || !defined(__ORDER_LITTLE_ENDIAN__)
#error "the compiler does not say the byte order; the image needs a little-endian host"
#endif
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__,
	       "the policy image is read in place: a big-endian host cannot read it");

/*
 * The magic: a byte with the high bit set (caught by 7-bit transfers),
 * "PFI", CR LF (caught by text-mode line-end conversion either way), ^Z
 * (stops a DOS "type"), LF. As PNG does.
 */
#define IMG_MAGIC		"\x89PFI\r\n\x1a\n"
#define IMG_MAGIC_SIZE		8

/*
 * Versions: a reader refuses any other major version ("version mismatch:
 * rebuild with pfc build") and accepts a minor version up to its own: a
 * newer minor only adds sections or records, which an image of an older
 * one does not have, so a newer reader reads it as its writer meant.
 * 2.1: OVRD also holds each service's derived values (IMG_SETTING_DERIVED);
 * TABL holds the /file/name elements of match lists (IMG_TABLE_LIST).
 */
#define IMG_VERSION_MAJOR	2
#define IMG_VERSION_MINOR	1

#define IMG_ALIGN		8
#define IMG_NONE		0xffffffffu	/* "no index" in any index field */
#define IMG_CHECKSUM_FROM	24		/* the header's checksum starts here */

/*
 * The blocks of the body, each with its checksum in SUMS: 64 KiB, so a
 * lookup checks a few hundred KiB of an image of any size, and the sums
 * of a 100 MB image are 12 KiB.
 */
#define IMG_BLOCK_SHIFT		16
#define IMG_BLOCK_SIZE		((uint64_t) 1 << IMG_BLOCK_SHIFT)

/*
 * How deep unionmap:{} and pipemap:{} may nest. Postfix sets no limit
 * (it recurses until its stack runs out); real configurations nest one
 * or two levels. pfc check stops following members at this depth and
 * reports it, pfc build compiles no deeper, and a reader refuses deeper
 * (or cyclic) nesting, so a lookup's recursion is bounded by it.
 */
#define IMG_MAX_NESTING		20

/* img_xxh64 - XXH64, seed 0: the one use of the hash library in pfc */
static inline uint64_t img_xxh64(const void *data, size_t len)
{
    return XXH64(data, len, 0);
}

/*
 * img_hash - the hash of an exact table's key: the low 32 bits of XXH64
 * (seed 0) of the key's bytes without the NUL. Fixed, never seeded, so
 * images are the same everywhere.
 */
static inline uint32_t img_hash(const char *key, size_t len)
{
    return (uint32_t) img_xxh64(key, len);
}

/* The header, at offset 0. All integers little-endian. */
struct img_header {
    uint8_t magic[IMG_MAGIC_SIZE];	/* IMG_MAGIC */
    uint16_t major;		/* IMG_VERSION_MAJOR */
    uint16_t minor;		/* IMG_VERSION_MINOR */
    uint32_t header_size;	/* sizeof(struct img_header) = 96 */
    /*
     * XXH64 (seed 0) of bytes [24, 96 + 24 * section_count): the rest of
     * the header (sums_checksum, so SUMS and so every block, included)
     * and the section table.
     */
    uint64_t checksum;
    uint64_t file_size;		/* the whole file, in bytes */
    uint64_t section_table;	/* offset of the section table (= 96) */
    uint32_t section_count;
    uint32_t flags;		/* IMG_HEADER_FLAGS (none) */
    uint8_t content_id[32];	/* SHA-256 of bytes [section_table, file_size) */
    uint64_t sums_checksum;	/* XXH64 (seed 0) of the SUMS section */
    uint8_t reserved[8];	/* zero */
};

/* Header flags: none yet; a reader refuses any bit. */
#define IMG_HEADER_FLAGS	0u

/*
 * The section table: section_count entries sorted by offset, sections
 * not overlapping, each tag at most once, each offset a multiple of
 * IMG_ALIGN, each section inside the file; SUMS is the last and ends the
 * file. Padding between sections is zero bytes. Tags are four ASCII
 * letters read as a little-endian u32.
 */
struct img_section {
    uint32_t tag;
    uint32_t reserved;		/* zero */
    uint64_t offset;
    uint64_t length;		/* bytes; a multiple of the record size */
};

#define IMG_TAG(a, b, c, d) \
    ((uint32_t) (a) | (uint32_t) (b) << 8 | (uint32_t) (c) << 16 | (uint32_t) (d) << 24)

/*
 * The sections of version 2.0, all required (possibly empty), in the
 * order pfc build lays them out: the string pool first (it is written
 * in place as the build goes), the small sections a reader needs at
 * once, the table contents, and SUMS last. A reader relies on the
 * offsets only. X(id, tag letters, record type, what).
 */
#define IMG_SECTIONS(X) \
    X(STRS, 'S', 'T', 'R', 'S', char, "string pool") \
    X(SRCS, 'S', 'R', 'C', 'S', struct img_source, "source manifest") \
    X(PARM, 'P', 'A', 'R', 'M', struct img_setting, "parameters") \
    X(SERV, 'S', 'E', 'R', 'V', struct img_service, "services") \
    X(OVRD, 'O', 'V', 'R', 'D', struct img_setting, "service overrides") \
    X(HOST, 'H', 'O', 'S', 'T', struct img_host_piece, "host-dependent values") \
    X(TABL, 'T', 'A', 'B', 'L', struct img_table, "tables") \
    X(TREF, 'T', 'R', 'E', 'F', uint32_t, "table references") \
    X(PROG, 'P', 'R', 'O', 'G', struct img_program, "restriction programs") \
    X(INSN, 'I', 'N', 'S', 'N', struct img_insn, "instructions") \
    X(RULE, 'R', 'U', 'L', 'E', struct img_rule, "pattern rules") \
    X(PIEC, 'P', 'I', 'E', 'C', struct img_piece, "rule result pieces") \
    X(NETS, 'N', 'E', 'T', 'S', struct img_net, "cidr networks") \
    X(ENTR, 'E', 'N', 'T', 'R', struct img_entry, "exact table entries") \
    X(SLOT, 'S', 'L', 'O', 'T', uint32_t, "hash index slots") \
    X(SUMS, 'S', 'U', 'M', 'S', uint64_t, "block checksums")

/* IMG_S_STRS ... IMG_S_SUMS: a section's place in that list */
enum img_section_id {
#define IMG_SECTION_ID_(id, a, b, c, d, type, what) IMG_S_##id,
    IMG_SECTIONS(IMG_SECTION_ID_)
#undef IMG_SECTION_ID_
    IMG_S_COUNT
};

/* IMG_SEC_STRS ... IMG_SEC_SUMS: the tags */
enum {
#define IMG_SECTION_TAG_(id, a, b, c, d, type, what) IMG_SEC_##id = IMG_TAG(a, b, c, d),
    IMG_SECTIONS(IMG_SECTION_TAG_)
#undef IMG_SECTION_TAG_
};

/*
 * STRS - the string pool. A string is named by its byte offset in the
 * pool; it runs to the next NUL. Byte 0 is NUL (offset 0 is the empty
 * string) and the last byte is NUL, so every offset inside the pool
 * names a terminated string. Strings may be shared.
 */

/*
 * SRCS - the source manifest: every file the build read (main.cf,
 * master.cf, each table's source or .db), sorted by path. Paths are as
 * the configuration names them (without --root).
 */
struct img_source {
    uint32_t path;		/* string */
    uint32_t reserved;		/* zero */
    uint64_t size;		/* bytes read */
    uint8_t sha256[32];		/* of those bytes */
};

/* Where a setting's value comes from. */
enum img_origin {
    IMG_ORIGIN_DEFAULT = 0,	/* Postfix's built-in default */
    IMG_ORIGIN_MAIN = 1,	/* main.cf, at line */
    IMG_ORIGIN_OVERRIDE = 2,	/* a master.cf "-o name=value", at line */
};
#define IMG_ORIGIN_MAX		IMG_ORIGIN_OVERRIDE

/*
 * img_setting flags. HOST: the value depends on the host that runs the
 * image (myhostname, mydomain, mynetworks when main.cf leaves them to
 * the host, the process's own name and id, and what uses them): expanded
 * is then the raw value, and the expanded value is the setting's HOST run
 * joined on that host (see img_host_piece). Without it an image would
 * differ from machine to machine.
 */
#define IMG_SETTING_HOST	(1u << 0)
/*
 * DERIVED (OVRD only): not an -o of the service, but a value of main.cf
 * or a default (origin and line say which) that names, through $name at
 * any depth, a parameter the service overrides, expanded as that
 * service's daemon expands it (the -o goes into its dictionary first).
 */
#define IMG_SETTING_DERIVED	(1u << 1)
#define IMG_SETTING_FLAGS	(IMG_SETTING_HOST | IMG_SETTING_DERIVED)

/*
 * PARM - every parameter of main.cf and of Postfix's defaults, sorted by
 * name (bytewise), each name once. OVRD - what each service sees other
 * than PARM, each service's run contiguous: its -o overrides in master.cf
 * order (origin OVERRIDE), then its derived values sorted by name (flag
 * DERIVED, origin DEFAULT or MAIN), no name of those twice; the last -o
 * of a name is the one in force.
 */
struct img_setting {
    uint32_t name;		/* string */
    uint32_t raw;		/* string: as written (or the default) */
    uint32_t expanded;		/* string: $name expanded; with HOST, raw */
    uint32_t origin;		/* enum img_origin */
    uint32_t line;		/* main.cf or master.cf line; 0 for defaults */
    uint32_t flags;		/* IMG_SETTING_* */
    /*
     * The tables the value names, in order, when the parameter takes a
     * list of tables (alias_maps, virtual_alias_maps, header_checks...):
     * refs[first .. first+count) of TREF. count 0 otherwise.
     */
    uint32_t refs_first;
    uint32_t refs_count;
    /* With HOST: the value's pieces, HOST[first .. first+count); else 0, 0. */
    uint32_t host_first;
    uint32_t host_count;
};

/*
 * HOST - the expanded value of each HOST setting, pre-split: its pieces
 * joined in order give the value on the host that runs the image, so a
 * runtime needs no $name expander, only the host's own values. A run
 * has at least one piece that is not TEXT.
 */
enum img_host_kind {
    IMG_HOST_TEXT = 0,		/* text: literal bytes */
    /*
     * myhostname's default on the host: its name (gethostname()); when
     * that has no dot, followed by "." and text (main.cf's mydomain, as
     * Postfix reads it for this, or "localdomain").
     */
    IMG_HOST_MYHOSTNAME = 1,
    /*
     * mydomain's default on the host: what follows the first dot of
     * IMG_HOST_MYHOSTNAME with the same text, or "localdomain".
     */
    IMG_HOST_MYDOMAIN = 2,
    /*
     * mynetworks' default on the host: the networks of its interfaces,
     * as mynetworks_style says, from the values of inet_interfaces,
     * mynetworks_style and inet_protocols as the process's service sees
     * them (its OVRD records of those names, else PARM's; on this host:
     * their own runs may use the kinds above, never this one). text 0.
     */
    IMG_HOST_MYNETWORKS = 3,
    IMG_HOST_PROCESS_NAME = 4,	/* the running process's name; text 0 */
    IMG_HOST_PROCESS_ID = 5,	/* its process id, in decimal; text 0 */
};
#define IMG_HOST_KIND_MAX	IMG_HOST_PROCESS_ID

struct img_host_piece {
    uint32_t kind;		/* enum img_host_kind */
    uint32_t text;		/* string, by kind */
};

/* SERV - master.cf services in file order, the fields as written. */
struct img_service {
    uint32_t name;		/* string: "smtp", "127.0.0.1:10025" */
    uint32_t type;		/* string: inet, unix, unix-dgram, fifo, pass */
    uint32_t private_;		/* strings: the five option fields */
    uint32_t unpriv;
    uint32_t chroot;
    uint32_t wakeup;
    uint32_t maxproc;
    uint32_t command;		/* string: the command and its arguments, -o removed, one space apart */
    uint32_t line;		/* master.cf line of the entry */
    uint32_t overrides_first;	/* OVRD[first .. first+count) */
    uint32_t overrides_count;
    uint32_t reserved;		/* zero */
};

/* What kind of table an img_table is, and so how it answers. */
enum img_table_kind {
    /* exact keys: a hash index (hash, btree, texthash, inline) */
    IMG_TABLE_EXACT = 1,
    IMG_TABLE_REGEXP = 2,	/* POSIX regexp_table(5) rules */
    IMG_TABLE_PCRE = 3,		/* pcre_table(5) rules */
    IMG_TABLE_CIDR = 4,		/* cidr_table(5) rules */
    IMG_TABLE_STATIC = 5,	/* static:VALUE - a: the value (string) */
    IMG_TABLE_FAIL = 6,		/* fail:NAME - every lookup fails */
    IMG_TABLE_UNION = 7,	/* unionmap:{...} - a, b: members in TREF */
    IMG_TABLE_PIPE = 8,		/* pipemap:{...} - a, b: members in TREF */
    /*
     * A table pfc does not compile (lmdb, cdb, ldap, mysql, proxy, ...):
     * only its spec is kept; the runtime must open it itself.
     */
    IMG_TABLE_EXTERNAL = 9,
    /*
     * A /file/name element of a match list (mynetworks, relay_domains,
     * ...): not a lookup table, but the file's lines, whose elements
     * Postfix puts in the list in its place (match_list_parse()). a: the
     * lines that do not start with '#', each ending in a newline (string).
     */
    IMG_TABLE_LIST = 10,
};

/* img_table flags: how keys are looked up, as Postfix opens the table. */
#define IMG_TABLE_FOLD		(1u << 0)	/* keys lowercased (ASCII) */
#define IMG_TABLE_UTF8		(1u << 1)	/* ... UTF-8 aware; non-UTF-8 keys fail */
#define IMG_TABLE_ALIASES	(1u << 2)	/* aliases(5) source (alias_maps) */
#define IMG_TABLE_FLAGS		(IMG_TABLE_FOLD | IMG_TABLE_UTF8 | IMG_TABLE_ALIASES)

/*
 * TABL - every table the configuration names (and the members of
 * unionmap/pipemap), sorted by spec, each spec once. Tables are named by
 * their index in this section everywhere else.
 *
 * For IMG_TABLE_EXACT: a = first entry in ENTR, b = entry count,
 * c = first slot in SLOT, d = log2 of the slot count.
 * For REGEXP, PCRE: a = first rule in RULE, b = rule count.
 * For CIDR: a, b as for REGEXP; c = first network in NETS, one per rule.
 * For STATIC: a = the value (string). UNION, PIPE: a, b = TREF run.
 * For LIST: a = the lines (string); the spec is the file's name, and a
 * file that could not be read is FAIL. Unused fields are zero.
 */
struct img_table {
    uint32_t spec;		/* string: "hash:/etc/postfix/virtual" as named */
    uint32_t kind;		/* enum img_table_kind */
    uint32_t flags;		/* IMG_TABLE_* */
    uint32_t source;		/* index in SRCS of what it was compiled from, or IMG_NONE */
    uint32_t a, b, c, d;
};

/*
 * ENTR - the entries of exact tables, each table's run contiguous and in
 * source order (the first of duplicate keys only, as postmap keeps).
 * key is the key as the table stores it (folded when the table folds).
 * hash is img_hash(key). line is the source line, 0 when compiled from a
 * .db without its source.
 */
struct img_entry {
    uint32_t key;		/* string */
    uint32_t value;		/* string */
    uint32_t line;
    uint32_t hash;
};

/*
 * SLOT - the hash index of each exact table: 2^d slots (d from 1 to 31),
 * with at least twice as many slots as entries, so some slot is empty
 * and every probe ends. A slot holds 0 (empty) or 1 + an entry's index
 * within its table's run. A key's probe starts at slot (hash & (2^d - 1))
 * and moves to the next slot (wrapping) until it finds the key or an
 * empty slot. Each entry is in exactly one slot.
 */

/* img_rule ops */
enum img_rule_op {
    IMG_RULE_MATCH = 1,		/* if the pattern(s) apply: answer result */
    IMG_RULE_IF = 2,		/* if they do not apply: go to rule "next" */
    IMG_RULE_ENDIF = 3,		/* nothing; the end of an IF block */
};

/* img_rule flags */
#define IMG_RULE_NEGATE		(1u << 0)	/* "!/pattern/": must not match */
/*
 * regexp's "/a/!/b/": the rule has a second pattern b (pattern2, options2;
 * pattern2 0 is the empty pattern), which must not match ("!!/b/": must).
 */
#define IMG_RULE_HAS2		(1u << 2)
#define IMG_RULE_NEGATE2	(1u << 1)	/* with HAS2: b must not match */
#define IMG_RULE_FLAGS		(IMG_RULE_NEGATE | IMG_RULE_NEGATE2 | IMG_RULE_HAS2)

/*
 * RULE - the rules of regexp, pcre and cidr tables, each table's run
 * contiguous and in source order. Rules Postfix skips with a warning
 * are not in the image.
 *
 * pattern: regexp, pcre - the text between the delimiters; cidr - the
 * network as written ("192.168.0.0/16", "[::1]/128", "10.0.0.1"), for
 * people: lookups use the rule's img_net.
 * options: regexp - REG_* bits after the flags (REG_ICASE 1, REG_EXTENDED
 * 2, REG_NEWLINE 4, as IMG_REGEXP_*), pcre - PCRE2 option bits
 * (IMG_PCRE_*); cidr - 0.
 * next: for IF, the index (within the table's run) of the rule after its
 * ENDIF, or the run's rule count when the IF has no ENDIF; it is always
 * greater than the IF's own index ("jumps only forward"). 0 otherwise.
 * result, pieces: MATCH only. result is the text with "$$" already made
 * "$"; pieces[first .. first+count) of PIEC say how to build the answer
 * when it has $n; count 0 means the answer is result itself.
 */
struct img_rule {
    uint32_t op;		/* enum img_rule_op */
    uint32_t line;		/* source line */
    uint32_t flags;		/* IMG_RULE_* */
    uint32_t pattern;		/* string */
    uint32_t options;
    uint32_t pattern2;		/* string: with IMG_RULE_HAS2, b; else 0 */
    uint32_t options2;		/* with IMG_RULE_HAS2; else 0 */
    uint32_t next;
    uint32_t result;		/* string */
    uint32_t pieces_first;
    uint32_t pieces_count;
    uint32_t max_group;		/* the largest $n of the result, 0 if none */
};

/* regexp options (the image's own bits; the loader maps them to REG_*) */
#define IMG_REGEXP_ICASE	(1u << 0)
#define IMG_REGEXP_EXTENDED	(1u << 1)
#define IMG_REGEXP_NEWLINE	(1u << 2)
#define IMG_REGEXP_OPTIONS	(IMG_REGEXP_ICASE | IMG_REGEXP_EXTENDED | IMG_REGEXP_NEWLINE)

/* pcre options (the image's own bits; the loader maps them to PCRE2_*) */
#define IMG_PCRE_CASELESS	(1u << 0)	/* i */
#define IMG_PCRE_MULTILINE	(1u << 1)	/* m */
#define IMG_PCRE_DOTALL		(1u << 2)	/* s */
#define IMG_PCRE_EXTENDED	(1u << 3)	/* x */
#define IMG_PCRE_ANCHORED	(1u << 4)	/* A */
#define IMG_PCRE_DOLLAR_ENDONLY	(1u << 5)	/* E */
#define IMG_PCRE_UNGREEDY	(1u << 6)	/* U */
#define IMG_PCRE_OPTIONS	(IMG_PCRE_CASELESS | IMG_PCRE_MULTILINE | IMG_PCRE_DOTALL \
				 | IMG_PCRE_EXTENDED | IMG_PCRE_ANCHORED \
				 | IMG_PCRE_DOLLAR_ENDONLY | IMG_PCRE_UNGREEDY)
/* Never PCRE2_UTF: Postfix's pcre tables match bytes, smtputf8 or not. */

/*
 * PIEC - one piece of a MATCH rule's answer: group 0 is the literal
 * bytes result[offset .. offset+len); group n >= 1 is capture group n of
 * the match (nothing when it is unset). offset and len are 0 for groups.
 */
struct img_piece {
    uint32_t group;
    uint32_t offset;
    uint32_t len;
};

/*
 * NETS - the network of each rule of a cidr table, in binary, so that
 * nothing is parsed at load: each cidr table's run parallel to its rules
 * (NETS[c + i] is rule a + i's). family 4 or 6; prefix at most 32 or
 * 128; addr the network in network byte order, every bit past the prefix
 * zero (Postfix refuses "non-null host address bits"), an IPv4 network
 * in the first four bytes and the rest zero. An ENDIF rule's is all zero.
 */
struct img_net {
    uint8_t family;		/* IMG_NET_V4, IMG_NET_V6; 0 for ENDIF */
    uint8_t prefix;		/* bits of addr that must match */
    uint8_t reserved[2];	/* zero */
    uint8_t addr[16];
};
#define IMG_NET_V4		4
#define IMG_NET_V6		6

/*
 * PROG - restriction programs: each restriction list of main.cf
 * (smtpd_client_restrictions ... smtpd_end_of_data_restrictions), each
 * smtpd_restriction_classes class, and each list a service overrides
 * with -o, compiled. Sorted by (name, service) with IMG_NONE last.
 */
struct img_program {
    uint32_t name;		/* string: the parameter or class name */
    uint32_t service;		/* index in SERV whose -o sets it, or IMG_NONE */
    uint32_t line;		/* main.cf or master.cf line, 0 for a default */
    uint32_t insns_first;	/* INSN[first .. first+count) */
    uint32_t insns_count;
    uint32_t reserved;		/* zero */
};

/*
 * INSN - the instructions of every program, each program's run
 * contiguous. A program runs its instructions in order; none jumps.
 *
 * op is a restriction id of runtime/policy/restriction.h (the table
 * pfc-image(5) lists), whose argument kind says what arg is:
 *   none: 0;  table: an index in TABL;  domain, endpoint: a string (the
 *   word as written: "zen.example=127.0.0.2", "{inet:host:port, timeout=5s}");
 *   number: the value (sleep);  class (RESTR_CLASS): an index in PROG, the
 *   class's program, whose name is the word.
 * op 0 is a word smtpd does not know, or a restriction without the
 * argument it needs: arg is the word (a string); smtpd answers "451
 * 4.3.5 Server configuration error" when it gets there.
 * A restriction class may name itself or another class that names it:
 * the runtime bounds the nesting (as smtpd does), the image does not
 * forbid it.
 */
struct img_insn {
    uint32_t op;		/* restriction id */
    uint32_t arg;		/* by the id's argument kind */
    uint32_t line;		/* line of the setting the restriction came from */
    uint32_t flags;		/* IMG_INSN_* */
};

/*
 * img_insn flags: a bare type:table, which smtpd reads as the list's own
 * check_*_access (or, in a class, its caller's: op RESTR_CALLER_ACCESS).
 */
#define IMG_INSN_IMPLICIT	(1u << 0)
#define IMG_INSN_FLAGS		IMG_INSN_IMPLICIT

/*
 * SUMS - the checksum of each block of the body: block i is bytes
 * [start + i * IMG_BLOCK_SIZE, start + (i + 1) * IMG_BLOCK_SIZE) cut at
 * the start of SUMS, where start is the end of the section table (96 +
 * 24 * section_count); SUMS[i] is XXH64 (seed 0) of its bytes. There are
 * as many as the body has blocks (none for an empty body).
 */

struct img_section_kind {
    uint32_t tag;
    uint32_t record;		/* record size in bytes */
    const char *what;
};

/* img_section_kind - tag, record size and description of section id (IMG_SECTIONS) */
static inline const struct img_section_kind *img_section_kind(enum img_section_id id)
{
    static const struct img_section_kind kinds[IMG_S_COUNT] = {
#define IMG_SECTION_KIND_(id, a, b, c, d, type, what) { IMG_TAG(a, b, c, d), sizeof(type), what },
	IMG_SECTIONS(IMG_SECTION_KIND_)
#undef IMG_SECTION_KIND_
    };

    return &kinds[id];
}

/* The sizes every reader relies on: the records are read in place. */
_Static_assert(sizeof(struct img_header) == 96, "img_header is 96 bytes");
_Static_assert(offsetof(struct img_header, checksum) == 16, "checksum at 16");
_Static_assert(offsetof(struct img_header, file_size) == IMG_CHECKSUM_FROM,
	       "the checksum covers what follows it");
_Static_assert(offsetof(struct img_header, content_id) == 48, "content id at 48");
_Static_assert(offsetof(struct img_header, sums_checksum) == 80, "sums_checksum at 80");
_Static_assert(sizeof(struct img_section) == 24, "img_section is 24 bytes");
_Static_assert(sizeof(struct img_source) == 48, "img_source is 48 bytes");
_Static_assert(sizeof(struct img_setting) == 40, "img_setting is 40 bytes");
_Static_assert(sizeof(struct img_host_piece) == 8, "img_host_piece is 8 bytes");
_Static_assert(sizeof(struct img_service) == 48, "img_service is 48 bytes");
_Static_assert(sizeof(struct img_table) == 32, "img_table is 32 bytes");
_Static_assert(sizeof(struct img_entry) == 16, "img_entry is 16 bytes");
_Static_assert(sizeof(struct img_rule) == 48, "img_rule is 48 bytes");
_Static_assert(sizeof(struct img_piece) == 12, "img_piece is 12 bytes");
_Static_assert(sizeof(struct img_net) == 20, "img_net is 20 bytes");
_Static_assert(sizeof(struct img_program) == 24, "img_program is 24 bytes");
_Static_assert(sizeof(struct img_insn) == 16, "img_insn is 16 bytes");

#endif
