/*
 * image - the policy image (.pfi): the one definition of its bytes.
 * pfc build writes it (compiler/emit/), the loader and verifier
 * read it (runtime/image/loader.c), pfc-image(5) describes it for anyone who
 * wants to write a second reader.
 *
 * Shape, in the spirit of cdb and LMDB: one file, little-endian, read in
 * place through mmap; no pointers, only offsets; every section starts on
 * an 8-byte boundary; every record is a fixed number of 32-bit words.
 *
 *   header (96 bytes) | section table | sections ... | (end = file_size)
 *
 * Everything after the checksum field is covered by the checksum, so a
 * flipped bit anywhere past the magic and version is caught before a
 * single offset is followed. The content id (SHA-256 of the section
 * table and the sections) names the policy: the same inputs give the
 * same bytes and the same id on every machine.
 *
 * This header is shared by writer and reader and holds no code.
 */
#ifndef PFC_IMAGE_H
#define PFC_IMAGE_H

#include <stdint.h>

/*
 * The magic: a byte with the high bit set (caught by 7-bit transfers),
 * "PFI", CR LF (caught by text-mode line-end conversion either way), ^Z
 * (stops a DOS "type"), LF. As PNG does.
 */
#define IMG_MAGIC		"\x89PFI\r\n\x1a\n"
#define IMG_MAGIC_SIZE		8

/*
 * Versions: a reader refuses any other major version ("version mismatch:
 * rebuild with pfc build") and accepts a minor version up to its own
 * (a newer minor only adds sections, which an older reader ignores).
 */
#define IMG_VERSION_MAJOR	2
#define IMG_VERSION_MINOR	0

#define IMG_ALIGN		8
#define IMG_NONE		0xffffffffu	/* "no index" in any index field */
#define IMG_CHECKSUM_FROM	24		/* the checksum covers [24, file_size) */

/*
 * The header, at offset 0. All integers little-endian (the struct is the
 * layout on a little-endian host; big-endian hosts are refused at build
 * time, see configure.ac).
 */
struct img_header {
    uint8_t magic[IMG_MAGIC_SIZE];	/* IMG_MAGIC */
    uint16_t major;		/* IMG_VERSION_MAJOR */
    uint16_t minor;		/* IMG_VERSION_MINOR */
    uint32_t header_size;	/* sizeof(struct img_header) = 96 */
    /* XXH64 (seed 0) of bytes [24, file_size): everything after this field. */
    uint64_t checksum;
    uint64_t file_size;		/* the whole file, in bytes */
    uint64_t section_table;	/* offset of the section table (= 96) */
    uint32_t section_count;
    uint32_t flags;		/* 0; a reader refuses other values */
    uint8_t content_id[32];	/* SHA-256 of bytes [section_table, file_size) */
    uint8_t reserved[16];	/* zero */
};

/*
 * The section table: section_count entries sorted by offset, sections
 * not overlapping, each tag at most once, each offset a multiple of
 * IMG_ALIGN, each section inside the file. Padding between sections is
 * zero bytes. Tags are four ASCII letters read as a little-endian u32.
 */
struct img_section {
    uint32_t tag;
    uint32_t reserved;		/* zero */
    uint64_t offset;
    uint64_t length;		/* bytes; a multiple of the record size */
};

#define IMG_TAG(a, b, c, d) \
    ((uint32_t) (a) | (uint32_t) (b) << 8 | (uint32_t) (c) << 16 | (uint32_t) (d) << 24)

/* The sections of version 1.0; all are required (possibly empty). */
#define IMG_SEC_STRINGS		IMG_TAG('S', 'T', 'R', 'S')	/* bytes */
#define IMG_SEC_SOURCES		IMG_TAG('S', 'R', 'C', 'S')	/* img_source */
#define IMG_SEC_PARAMS		IMG_TAG('P', 'A', 'R', 'M')	/* img_setting */
#define IMG_SEC_SERVICES	IMG_TAG('S', 'E', 'R', 'V')	/* img_service */
#define IMG_SEC_OVERRIDES	IMG_TAG('O', 'V', 'R', 'D')	/* img_setting */
#define IMG_SEC_TABLES		IMG_TAG('T', 'A', 'B', 'L')	/* img_table */
#define IMG_SEC_REFS		IMG_TAG('T', 'R', 'E', 'F')	/* uint32_t */
#define IMG_SEC_ENTRIES		IMG_TAG('E', 'N', 'T', 'R')	/* img_entry */
#define IMG_SEC_SLOTS		IMG_TAG('S', 'L', 'O', 'T')	/* uint32_t */
#define IMG_SEC_RULES		IMG_TAG('R', 'U', 'L', 'E')	/* img_rule */
#define IMG_SEC_PIECES		IMG_TAG('P', 'I', 'E', 'C')	/* img_piece */
#define IMG_SEC_PROGRAMS	IMG_TAG('P', 'R', 'O', 'G')	/* img_program */
#define IMG_SEC_INSNS		IMG_TAG('I', 'N', 'S', 'N')	/* img_insn */

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

/* img_setting flags */
/*
 * The expanded value depends on the build host (myhostname, mydomain,
 * mynetworks and what uses them, when main.cf leaves them unset): the
 * image keeps expanded = raw, and the runtime expands it on its host.
 * Without this an image would differ from machine to machine.
 */
#define IMG_SETTING_HOST	(1u << 0)

/*
 * PARM - every parameter of main.cf and of Postfix's defaults, sorted by
 * name (bytewise), each name once. OVRD - the -o overrides of services,
 * each service's run contiguous and in master.cf order.
 */
struct img_setting {
    uint32_t name;		/* string */
    uint32_t raw;		/* string: as written (or the default) */
    uint32_t expanded;		/* string: $name expanded */
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
};

/* img_table flags: how keys are looked up, as Postfix opens the table. */
#define IMG_TABLE_FOLD		(1u << 0)	/* keys lowercased (ASCII) */
#define IMG_TABLE_UTF8		(1u << 1)	/* ... UTF-8 aware; non-UTF-8 keys fail */
#define IMG_TABLE_ALIASES	(1u << 2)	/* aliases(5) source (alias_maps) */

/*
 * TABL - every table the configuration names (and the members of
 * unionmap/pipemap), sorted by spec, each spec once. Tables are named by
 * their index in this section everywhere else.
 *
 * For IMG_TABLE_EXACT: a = first entry in ENTR, b = entry count,
 * c = first slot in SLOT, d = log2 of the slot count.
 * For REGEXP, PCRE, CIDR: a = first rule in RULE, b = rule count.
 * For STATIC: a = the value (string). UNION, PIPE: a, b = TREF run.
 * Unused fields are zero.
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

/*
 * img_hash - the hash of an exact table's key: the low 32 bits of XXH64
 * (seed 0) of the key's bytes without the NUL. Fixed, never seeded, so
 * images are the same everywhere.
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

/*
 * RULE - the rules of regexp, pcre and cidr tables, each table's run
 * contiguous and in source order. Rules Postfix skips with a warning
 * are not in the image.
 *
 * pattern: regexp, pcre - the text between the delimiters; cidr - the
 * network as written ("192.168.0.0/16", "[::1]/128", "10.0.0.1").
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

/* pcre options (the image's own bits; the loader maps them to PCRE2_*) */
#define IMG_PCRE_CASELESS	(1u << 0)	/* i */
#define IMG_PCRE_MULTILINE	(1u << 1)	/* m */
#define IMG_PCRE_DOTALL		(1u << 2)	/* s */
#define IMG_PCRE_EXTENDED	(1u << 3)	/* x */
#define IMG_PCRE_ANCHORED	(1u << 4)	/* A */
#define IMG_PCRE_DOLLAR_ENDONLY	(1u << 5)	/* E */
#define IMG_PCRE_UNGREEDY	(1u << 6)	/* U */
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

#endif
