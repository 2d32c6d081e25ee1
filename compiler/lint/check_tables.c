/*
 * check_tables - every table the configuration names: is the type one
 * Postfix knows and pfc serves, does its source exist, was its .db built
 * from that very source (the SHA-256 stamp pfc map records), is it the
 * kind of table the parameter needs, and does its source load without
 * postmap's warnings. regexp: and pcre: contents go to check_patterns.c.
 *
 * Decisions (documented in pfc-check(7)):
 *   - hash/btree: no source and no .db is table-source-missing; a source
 *     without .db is db-missing; a .db without its source (deployed
 *     without sources) is accepted: Postfix reads only the .db.
 *   - a .db pfc built and then changed with "pfc map -i" or "-d" has no
 *     stamp (it matches no source any more): db-stale; a .db pfc did not
 *     build (postmap's Berkeley DB) is db-foreign.
 *   - freshness is the source's bytes (SHA-256 and size), never mtime.
 *   - the source of a hash/btree table is read again (table-syntax) only
 *     when its stamp does not show a warning-free build from the same
 *     bytes with the same reader settings: a big, fresh, clean table
 *     costs one SHA-256 pass.
 *   - what a parameter needs (table-kind-mismatch) is checked at every
 *     use; everything else once per table spec.
 *   - for pfc build (CHECK_FOR_IMAGE), the .db files are ignored and the
 *     hash, btree and texthash sources are not scanned here: the image
 *     compiler reads them itself, the same bytes (model_source()).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aliases.h"
#include "check.h"
#include "diag.h"
#include "dict.h"
#include "expand.h"
#include "mapsource.h"
#include "sha256.h"
#include "strbuf.h"
#include "sysroot.h"
#include "textutil.h"
#include "xalloc.h"

/* Where a table spec is named, for findings about it. */
struct ref {
    const char *param;
    const char *path;
    const struct cf_logical_line *where;	/* NULL: at the parameter's default */
    size_t offset;
    const char *defval;		/* the default value that names it, or NULL */
    int relative;		/* a relative path: relative-path said so */
};

static struct finding *ref_report(struct check *cx, const char *rule, const struct ref *r,
				  const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * ref_report - a finding where the spec is named. A table that only a
 * default names has no line: the finding is about main.cf as a whole and
 * says which default opens the table.
 */
static struct finding *ref_report(struct check *cx, const char *rule, const struct ref *r,
				  const char *fmt, ...)
{
    struct strbuf msg = STRBUF_INIT;
    va_list ap;

    if (r->defval != NULL)
	sb_printf(&msg, "%s is not set, so Postfix uses its default \"%s\": ", r->param,
		  r->defval);
    va_start(ap, fmt);
    sb_vprintf(&msg, fmt, ap);
    va_end(ap);
    struct finding *f = check_report(cx, rule, r->path, r->where, r->offset, "%s", sb_str(&msg));
    sb_free(&msg);
    return f;
}

#define REPORT(cx, rule, r, ...) ref_report((cx), (rule), (r), __VA_ARGS__)

/* Postfix table types that postmap/postalias can build, pfc or not. */
static int buildable_type(const char *type)
{
    static const char *const types[] = { "hash", "btree", "lmdb", "cdb", "dbm", "sdbm", NULL };

    for (const char *const *t = types; *t; t++)
	if (strcmp(*t, type) == 0)
	    return 1;
    return 0;
}

/* file_kind - what a file that is not a regular file is, for messages */
static const char *file_kind(mode_t mode)
{
    if (S_ISDIR(mode))
	return "a directory, not a regular file";
    if (S_ISCHR(mode))
	return "a character device, not a regular file";
    if (S_ISBLK(mode))
	return "a block device, not a regular file";
    if (S_ISFIFO(mode))
	return "a FIFO, not a regular file";
    if (S_ISSOCK(mode))
	return "a socket, not a regular file";
    return "not a regular file";
}

/*
 * source_problem - why path cannot be read as a table source, or NULL:
 * it must be a readable regular file (a FIFO or a device would block or
 * never end). Opened without blocking, so a FIFO is refused, not waited on.
 * *present: something is there (a directory, a device, an unreadable file).
 */
static const char *source_problem(const char *path, int *present)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

    *present = fd >= 0 || errno != ENOENT;
    if (fd < 0)
	return strerror(errno);
    int ok = fstat(fd, &st) == 0;
    close(fd);
    if (!ok)
	return strerror(errno);
    return S_ISREG(st.st_mode) ? NULL : file_kind(st.st_mode);
}

/* fix_unreadable - the fix for a source that cannot be read (source_problem's problem) */
static void fix_unreadable(struct finding *f, const char *name, int present,
			   const char *problem)
{
    if (present && strstr(problem, "not a regular file") != NULL)
	finding_fix(f, "name the regular file that holds the table instead of %s", name);
    else if (present)
	finding_fix(f, "make %s readable", name);
    else
	finding_fix(f, "create %s as a readable file, or correct the name", name);
}

/*
 * outside_root - with --root: report root-escape when the file a table
 * names (opened as opened) leads outside the root, and return 1: nothing
 * there may be read, or a pull request could make pfc print, or pfc build
 * compile, any file of the machine that runs it.
 */
static int outside_root(struct check *cx, const struct ref *r, const char *spec,
			const char *name, const char *opened)
{
    char *target = sysroot_outside(opened);

    if (target == NULL)
	return 0;
    struct finding *f = REPORT(cx, "root-escape", r,
			       "%s: %s leads outside the --root directory (to %s);"
			       " pfc does not read it", spec, name, target);
    finding_fix(f, "keep the configuration's files inside the tree: make the link"
		" relative and pointing inside it, or copy the file in");
    free(target);
    return 1;
}

/* exists - anything at path (a .db that is not a file is still "there") */
static int exists(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0;
}

/* tool_command - "pfc map" or "pfc alias" with this run's --root and -c */
static char *tool_command(struct check *cx, int aliases)
{
    struct strbuf cmd = STRBUF_INIT;

    sb_printf(&cmd, "pfc %s", aliases ? "alias" : "map");
    if (sysroot_get() != NULL)
	sb_printf(&cmd, " --root %s", sysroot_get());
    if (strcmp(cx->m->config_dir, "/etc/postfix") != 0)
	sb_printf(&cmd, " -c %s", cx->m->config_dir);
    return sb_detach(&cmd);
}

/* ------------------------------------------------------------ sources */

/*
 * key_set - the keys of one source, for postmap's duplicate warning: one
 * arena of key text and an open-addressing index into it, so a source of
 * a million keys costs no million allocations.
 */
struct key_set {
    struct strbuf arena;	/* the keys, each with its NUL */
    size_t *slots;		/* offset in arena + 1; 0: empty */
    uint64_t *hashes;
    size_t cap, used;		/* cap: a power of two */
};

static void key_set_grow(struct key_set *set)
{
    size_t cap = set->cap ? 2 * set->cap : 1024;
    size_t *slots = xcalloc(cap, sizeof(*slots));
    uint64_t *hashes = xcalloc(cap, sizeof(*hashes));

    for (size_t i = 0; i < set->cap; i++) {
	if (set->slots[i] == 0)
	    continue;
	size_t j = (size_t) set->hashes[i] & (cap - 1);
	while (slots[j] != 0)
	    j = (j + 1) & (cap - 1);
	slots[j] = set->slots[i];
	hashes[j] = set->hashes[i];
    }
    free(set->slots);
    free(set->hashes);
    set->slots = slots;
    set->hashes = hashes;
    set->cap = cap;
}

/* key_set_add - add key; 0 if it was there already */
static int key_set_add(struct key_set *set, const char *key)
{
    size_t len = strlen(key);
    uint64_t hash = strmap_hash(key, len);

    if (2 * (set->used + 1) > set->cap)
	key_set_grow(set);
    size_t j = (size_t) hash & (set->cap - 1);
    for (; set->slots[j] != 0; j = (j + 1) & (set->cap - 1))
	if (set->hashes[j] == hash && strcmp(set->arena.s + set->slots[j] - 1, key) == 0)
	    return 0;
    set->slots[j] = set->arena.len + 1;
    set->hashes[j] = hash;
    sb_addn(&set->arena, key, len + 1);
    set->used++;
    return 1;
}

static void key_set_free(struct key_set *set)
{
    sb_free(&set->arena);
    free(set->slots);
    free(set->hashes);
}

/* How a source is read: as postmap, postalias or the texthash: loader does. */
enum source_kind { SOURCE_MAP, SOURCE_ALIASES, SOURCE_TEXTHASH };

/* The keys seen so far in one source: postmap's duplicate warning. */
struct dup_scan {
    struct check *cx;
    struct dict fold;		/* only its flags: how the table folds keys */
    struct strbuf buf;
    struct key_set seen;
    const char *source;		/* as opened */
    const char *db_label;	/* NAME.db, as Postfix names the table */
    enum source_kind kind;
};

static void note_key(struct dup_scan *scan, const char *key, int line)
{
    const char *folded = dict_fold(&scan->fold, key, &scan->buf);

    if (key_set_add(&scan->seen, folded))
	return;
    struct finding *f = check_report_at(scan->cx, "table-syntax", scan->source, line, 1,
					"duplicate entry \"%s\": the first one wins", folded);
    if (scan->kind == SOURCE_TEXTHASH)
	finding_postfix(f, "%s, line %d: duplicate entry: \"%s\"", scan->source, line,
			folded);
    else
	finding_postfix(f, "%s: duplicate entry: \"%s\"", scan->db_label, folded);
    finding_fix(f, "remove or merge the duplicate line");
}

static void on_map_entry(void *ctx, const char *key, const char *value, int line)
{
    (void) value;
    note_key(ctx, key, line);
}

static void on_alias_entry(void *ctx, const char *key, const char *value, int line)
{
    (void) value;
    note_key(ctx, key, line);
}

/* source_flags - how pfc map and pfc alias read sources with this main.cf */
static unsigned source_flags(struct check *cx)
{
    char *smtputf8 = check_value(cx, "smtputf8_enable");
    int utf8 = smtputf8 != NULL && strcasecmp(smtputf8, "yes") == 0;

    free(smtputf8);
    return DICT_FLAG_FOLD | (utf8 ? DICT_FLAG_UTF8 : 0);
}

/* The warnings of one reading of a source, held back to be sorted. */
struct held_warnings {
    struct diag *v;
    size_t n, cap;
};

/* hold_warning - keep a copy of what a reader reports */
static void hold_warning(void *ctx, const struct diag *d)
{
    struct held_warnings *held = ctx;

    GROW(held->v, held->n, held->cap);
    struct diag *copy = &held->v[held->n++];
    *copy = *d;
    copy->path = d->path != NULL ? xstrdup(d->path) : NULL;
    copy->message = xstrdup(d->message);
    copy->type = d->type != NULL ? xstrdup(d->type) : NULL;
}

/*
 * report_held - the reader's warnings as table-syntax findings, but for
 * postmap's "is this an alias file?" on every line whose key ends in ':':
 * those lines are kept, with the ':' in the key, so no lookup of an
 * address or domain finds them; the table is an aliases(5) file built
 * with postmap. One aliases-format finding says so, at the first of them.
 */
static void report_held(struct check *cx, const struct ref *r, const char *spec,
			const char *source, struct held_warnings *held)
{
    const struct diag *first = NULL;
    size_t aliased = 0;

    const struct diag_sink *sink = check_capture_begin(cx, "table-syntax", source);
    for (size_t i = 0; i < held->n; i++) {
	if (strcmp(held->v[i].message, MAPSOURCE_ALIAS_FORMAT) == 0) {
	    if (aliased++ == 0)
		first = &held->v[i];
	} else {
	    sink->report(sink->ctx, &held->v[i]);
	}
    }
    check_capture_end(cx);
    if (aliased > 0) {
	struct strbuf text = STRBUF_INIT;
	diag_text(&text, first);
	struct finding *f = check_report_at(cx, "aliases-format", source, first->line,
					    first->column,
					    "%s: %zu line%s in aliases(5) form (key: value):"
					    " Postfix keeps the ':' in %s, so no lookup finds %s",
					    spec, aliased, aliased == 1 ? " is" : "s are",
					    aliased == 1 ? "its key" : "each key",
					    aliased == 1 ? "it" : "them");
	finding_postfix(f, "%s", sb_str(&text));
	finding_fix(f, "write the entries as postmap expects, \"key value\" without the ':'"
		    " (for %s: \"address target\"), or name the file in alias_maps and build"
		    " it with pfc alias", r->param);
	sb_free(&text);
    }
    for (size_t i = 0; i < held->n; i++) {
	free((char *) held->v[i].path);
	free((char *) held->v[i].message);
	free((char *) held->v[i].type);
    }
    free(held->v);
}

/*
 * scan_source - read text (the bytes of source) as pfc map or pfc alias
 * would, turning their warnings into findings (report_held).
 */
static void scan_source(struct check *cx, const struct ref *r, const char *spec,
			const char *source, const char *db_label, const char *text, size_t len,
			enum source_kind kind)
{
    struct dup_scan scan = { .cx = cx, .source = source, .db_label = db_label, .kind = kind };
    struct held_warnings held = { NULL, 0, 0 };
    struct diag_sink hold = { hold_warning, &held };
    /* Read only ("r"): the model's bytes stay as they are. */
    FILE *fp = len > 0 ? fmemopen((void *) text, len, "r") : fopen("/dev/null", "r");

    if (fp == NULL)
	return;
    scan.fold.flags = source_flags(cx);
    int utf8 = (scan.fold.flags & DICT_FLAG_UTF8) != 0;
    /* The reader's warnings are held; nothing else said meanwhile is wanted. */
    check_capture_begin(cx, NULL, source);
    if (kind == SOURCE_ALIASES)
	(void) aliases_read_to(fp, source, utf8 ? ALIASES_UTF8 : 0, &hold, on_alias_entry,
			       &scan);
    else
	(void) mapsource_read_to(fp, source, (utf8 ? MAPSOURCE_UTF8 : 0)
				 | (kind == SOURCE_TEXTHASH ? MAPSOURCE_TEXTHASH : 0), &hold,
				 on_map_entry, &scan);
    check_capture_end(cx);
    fclose(fp);
    report_held(cx, r, spec, source, &held);
    key_set_free(&scan.seen);
    sb_free(&scan.buf);
}

/*
 * One reading of a source from start to end: its digest, and whether a
 * '{' is anywhere in it (no template placeholder can be without one).
 */
struct source_pass {
    struct sha256 *digest;
    int brace;
};

static void pass_bytes(void *ctx, const char *bytes, size_t len)
{
    struct source_pass *pass = ctx;

    sha256_add(pass->digest, bytes, len);
    pass->brace |= memchr(bytes, '{', len) != NULL;
}

/* ------------------------------------------------------------ table kinds */

/*
 * berkeley_db - is path a Berkeley DB hash or btree file (postmap's .db),
 * by the magic number of its metadata page, in either byte order?
 */
static int berkeley_db(const char *path)
{
    static const uint32_t magics[] = { 0x00061561, 0x00053162 };
    unsigned char head[16];
    FILE *fp = fopen(path, "rb");
    int found = 0;

    if (fp == NULL)
	return 0;
    if (fread(head, 1, sizeof(head), fp) == sizeof(head)) {
	uint32_t le = (uint32_t) head[12] | (uint32_t) head[13] << 8
	    | (uint32_t) head[14] << 16 | (uint32_t) head[15] << 24;
	uint32_t be = (uint32_t) head[15] | (uint32_t) head[14] << 8
	    | (uint32_t) head[13] << 16 | (uint32_t) head[12] << 24;
	for (size_t i = 0; i < sizeof(magics) / sizeof(magics[0]); i++)
	    found |= le == magics[i] || be == magics[i];
    }
    fclose(fp);
    return found;
}

/*
 * check_db_alone - a .db deployed without its source: fine when pfc can
 * read it (pfc build compiles the table from it); db-unreadable when it is
 * no table pfc reads, since then pfc can neither check it nor build it.
 */
static void check_db_alone(struct check *cx, const struct ref *r, const char *spec,
			   const char *name, const char *db, const char *tool)
{
    struct dict_stamp stamp;
    char *err = NULL;

    if (dict_gdbm_source_stamp(db, &stamp, &err) >= 0) {
	free(err);
	return;
    }
    struct finding *f;
    if (berkeley_db(db)) {
	f = REPORT(cx, "db-unreadable", r, "%s: %s is missing and %s.db is a Berkeley DB"
		   " file (from Postfix's postmap), which pfc cannot read: pfc can neither"
		   " check the table nor compile it", spec, name, name);
	finding_fix(f, "keep the source %s beside %s.db, and build it with: %s %s", name, name,
		    tool, spec);
    } else {
	f = REPORT(cx, "db-unreadable", r, "%s: %s is missing and %s.db is not a database"
		   " (%s): neither Postfix nor pfc can read it", spec, name, name,
		   err ? err : "unreadable");
	finding_postfix(f, "open database %s.db: Invalid argument", name);
	finding_fix(f, "put the source %s back and run: %s %s", name, tool, spec);
    }
    free(err);
}

/*
 * check_indexed - hash:NAME and btree:NAME: NAME and NAME.db exist, the
 * .db's stamp names NAME's bytes, and NAME loads without warnings.
 */
static void check_indexed(struct check *cx, const char *type, const char *name,
			  const struct ref *r, int aliases)
{
    char *source = sysroot_path(name);
    char *db = xconcat(source, ".db", (char *) NULL);
    char *db_name = xconcat(name, ".db", (char *) NULL);
    char *spec = xconcat(type, ":", name, (char *) NULL);
    char *tool = tool_command(cx, aliases);
    int have_source = exists(source), have_db = exists(db), present;
    const char *problem = have_source ? source_problem(source, &present) : NULL;

    /* Either file may be a link out of the tree: neither is read then. */
    int escaped = outside_root(cx, r, spec, name, source);
    escaped |= outside_root(cx, r, spec, db_name, db);
    if (escaped)
	goto done;
    /* The image is compiled from the source: the .db does not matter. */
    if (cx->target == CHECK_FOR_IMAGE && have_source)
	have_db = 1;
    if (!have_source && have_db)
	check_db_alone(cx, r, spec, name, db, tool);
    if (!have_source && !have_db && r->relative)
	goto done;
    if (!have_source && !have_db) {
	struct finding *f = REPORT(cx, "table-source-missing", r,
				   "%s:%s: neither %s nor %s.db exists", type, name, name, name);
	finding_postfix(f, "open database %s.db: No such file or directory", name);
	finding_fix(f, "create %s, then run: %s %s:%s", name, tool, type, name);
    } else if (!have_db) {
	struct finding *f = REPORT(cx, "db-missing", r,
				   "%s:%s: %s.db was never built from %s", type, name, name, name);
	finding_postfix(f, "open database %s.db: No such file or directory", name);
	finding_fix(f, "run: %s %s:%s", tool, type, name);
    }
    if (problem != NULL) {
	struct finding *f = REPORT(cx, "table-source-missing", r, "%s:%s: cannot read %s: %s",
				   type, name, name, problem);
	fix_unreadable(f, name, present, problem);
    }
    if (!have_source || problem != NULL)
	goto done;

    const struct model_source *src = model_source(cx->m, source);
    if (src == NULL) {
	int err = errno;
	REPORT(cx, err == EXDEV ? "root-escape" : "table-source-missing", r,
	       "%s:%s: cannot read %s: %s", type, name, name,
	       err == EXDEV ? "it leads outside the --root directory" : strerror(err));
	goto done;
    }
    /*
     * A .db built by pfc from these very bytes, without a warning, with
     * the reader settings this configuration has: reading the source
     * again would find nothing.
     */
    const char *text = src->text;
    size_t len = src->len;
    int clean = 0, brace = 1;
    if (cx->target == CHECK_FOR_IMAGE) {
	check_template_text(cx, source, text, len);
	goto done;
    }
    if (have_db) {
	char hex[SHA256_HEX_SIZE], *err = NULL;
	unsigned char digest[SHA256_DIGEST_SIZE];
	struct dict_stamp stamp;
	int status = dict_gdbm_source_stamp(db, &stamp, &err);
	struct source_pass pass = { sha256_begin(), 0 };

	/* One pass for the digest and the template check's first question. */
	model_source_chunks(src, pass_bytes, &pass);
	sha256_end(pass.digest, digest);
	sha256_to_hex(digest, hex);
	brace = pass.brace;
	if (status < 0) {
	    struct finding *f = REPORT(cx, "db-foreign", r,
				       "%s:%s: %s.db was not built by pfc, so whether it "
				       "matches %s is unknown", type, name, name, name);
	    finding_fix(f, "rebuild it with: %s %s:%s", tool, type, name);
	} else if (status == 2) {
	    struct finding *f = REPORT(cx, "db-foreign", r,
				       "%s:%s: %s.db has no source stamp (an older pfc built it),"
				       " so whether it matches %s is unknown", type, name, name, name);
	    finding_fix(f, "rebuild it with: %s %s:%s", tool, type, name);
	} else if (status == 0) {
	    struct finding *f = REPORT(cx, "db-stale", r,
				       "%s:%s: %s.db was changed after it was built "
				       "(pfc map -i or -d), so it no longer matches %s",
				       type, name, name, name);
	    finding_fix(f, "put the changes in %s and run: %s %s:%s", name, tool, type, name);
	} else if (stamp.size != (long long) len || strcmp(stamp.sha256, hex) != 0) {
	    struct finding *f = REPORT(cx, "db-stale", r,
				       "%s:%s: %s.db was built from a different %s "
				       "(%lld bytes then, %zu now)", type, name, name, name,
				       stamp.size, len);
	    finding_fix(f, "run: %s %s:%s", tool, type, name);
	} else {
	    clean = stamp.warnings == 0
		&& (stamp.flags & DICT_FLAG_UTF8) == (source_flags(cx) & DICT_FLAG_UTF8);
	}
	free(err);
    }
    if (!clean)
	scan_source(cx, r, spec, source, db, text, len, aliases ? SOURCE_ALIASES : SOURCE_MAP);
    /* A clean table's bytes are not read again unless the pass saw a '{'. */
    if (!clean || brace)
	check_template_text(cx, source, text, len);
  done:
    free(tool);
    free(source);
    free(db);
    free(db_name);
    free(spec);
}

/* is_directory - is path a directory (some readers fail on one, some read nothing) */
static int is_directory(const char *path)
{
    struct stat st;

    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/*
 * check_texthash - texthash:NAME is read as its loader reads it, with the
 * same warnings, without building the table in memory.
 */
static void check_texthash(struct check *cx, const char *name, const struct ref *r)
{
    char *source = sysroot_path(name);
    char *spec = xconcat("texthash:", name, (char *) NULL);
    int present = 0;

    if (outside_root(cx, r, spec, name, source))
	goto done;
    const char *problem = source_problem(source, &present);
    const struct model_source *src = problem == NULL ? model_source(cx->m, source) : NULL;
    if (src == NULL && !present && r->relative) {
	/* Not in the current directory: the daemons look elsewhere anyway. */
    } else if (src == NULL) {
	if (problem == NULL)
	    problem = errno == EXDEV ? "it leads outside the --root directory" : strerror(errno);
	struct finding *f = REPORT(cx, "table-source-missing", r, "texthash:%s: cannot read %s: %s",
				   name, name, problem);
	if (is_directory(source))
	    finding_postfix(f, "read %s: Is a directory", name);
	else if (!present)
	    finding_postfix(f, "open database %s: %s", name, problem);
	fix_unreadable(f, name, present, problem);
    } else if (cx->target == CHECK_FOR_IMAGE) {
	check_template_text(cx, source, src->text, src->len);
    } else {
	scan_source(cx, r, spec, source, NULL, src->text, src->len, SOURCE_TEXTHASH);
	check_template_text(cx, source, src->text, src->len);
    }
  done:
    free(spec);
    free(source);
}

/* check_loaded - cidr: loads through dict_open itself */
static void check_loaded(struct check *cx, const char *spec, const char *type,
			 const char *name, const struct ref *r)
{
    char *source = sysroot_path(name), *err = NULL;
    int present = 0;

    if (*name != '{' && outside_root(cx, r, spec, name, source)) {
	free(source);
	return;
    }
    const char *problem = *name != '{' ? source_problem(source, &present) : NULL;
    if (problem != NULL && !present && r->relative) {
	free(source);
	return;
    }
    if (problem != NULL) {
	struct finding *f = REPORT(cx, "table-source-missing", r, "%s:%s: cannot read %s: %s",
				   type, name, name, problem);
	if (is_directory(source))
	    finding_postfix(f, "%s map %s: read error: Is a directory", type, name);
	else if (!present)
	    finding_postfix(f, "open %s: %s", name, problem);
	fix_unreadable(f, name, present, problem);
	free(source);
	return;
    }
    if (*name != '{')
	check_template_file(cx, source);
    const struct diag_sink *sink = check_capture_begin(cx, "table-syntax", source);
    struct dict *dict = dict_open_to(spec, DICT_READ, DICT_FLAG_FOLD | DICT_FLAG_DUP_WARN,
				     sink, &err);
    check_capture_end(cx);
    if (dict != NULL) {
	char *close_err = NULL;
	(void) dict_close(dict, &close_err);
	free(close_err);
    } else {
	struct finding *f = check_report_at(cx, "table-syntax", source, 0, 0, "%s", err);
	finding_postfix(f, "%s", err);
    }
    free(err);
    free(source);
}

static void check_pattern_file(struct check *cx, const char *type, const char *name,
			       enum pattern_role role, const struct ref *r)
{
    /* An inline "{ {rule}, ... }" table has no file. */
    char *source = *name == '{' ? xstrdup(name) : sysroot_path(name);
    char *spec = xconcat(type, ":", name, (char *) NULL);
    int present = 0;

    if (*name != '{' && outside_root(cx, r, spec, name, source))
	goto done;
    const char *problem = *name != '{' ? source_problem(source, &present) : NULL;
    if (problem != NULL && !present && r->relative)
	goto done;
    if (problem != NULL) {
	struct finding *f = REPORT(cx, "table-source-missing", r, "%s:%s: cannot read %s: %s",
				   type, name, name, problem);
	/* A directory: Postfix's regexp and pcre readers find no rules, silently. */
	if (!present)
	    finding_postfix(f, "%s:%s: open %s: %s", type, name, name, problem);
	fix_unreadable(f, name, present, problem);
    } else {
	if (*name != '{')
	    check_template_pattern_file(cx, source);
	check_pattern_table(cx, type, source, role);
    }
  done:
    free(spec);
    free(source);
}

/*
 * check_table_file_ok - may the file of a table spec be opened by name: a
 * readable regular file inside --root, or a type without a file? Other
 * rules that open a table through the maps layer ask first, so that a
 * FIFO, /dev/zero or a link out of the tree is never read (check_ref
 * reports those).
 */
int check_table_file_ok(const char *spec)
{
    const char *colon = strchr(spec, ':');
    int present, ok = 1;

    if (colon == NULL || colon[1] == '{')
	return 1;
    char *type = xstrndup(spec, (size_t) (colon - spec));
    const struct dict_type *def = dict_type_find(type);
    if (def != NULL && (def->caps & DICT_CAP_FILE)) {
	char *opened = sysroot_path(colon + 1), *outside = sysroot_outside(opened);
	ok = outside == NULL && source_problem(opened, &present) == NULL;
	free(outside);
	free(opened);
    }
    free(type);
    return ok;
}

/* check_kind - is an exact-match table named where patterns are needed? */
static void check_kind(struct check *cx, const struct dict_type *def, const char *spec,
		       enum table_need need, const struct ref *r)
{
    int exact = ((def->caps & DICT_CAP_FIXED) && (def->caps & DICT_CAP_FILE))
	|| strcmp(def->name, "inline") == 0;
    int pattern = (def->caps & DICT_CAP_PATTERN) != 0;

    if (r->param != NULL && strcmp(r->param, "alias_database") == 0) {
	if (!buildable_type(def->name)) {
	    struct finding *f = REPORT(cx, "table-kind-mismatch", r,
				       "alias_database: %s is not a table newaliases can build",
				       spec);
	    finding_fix(f, "name an indexed table (hash:, btree:, lmdb:, cdb:) of an aliases file");
	}
	return;
    }
    if (need == TABLE_PATTERN && exact) {
	struct finding *f = REPORT(cx, "table-kind-mismatch", r,
				   "%s: %s is an exact-match table, but %s needs patterns: "
				   "a key would have to equal a whole line", r->param, spec, r->param);
	finding_fix(f, "use a regexp: or pcre: table");
    } else if (need == TABLE_FIXED && pattern) {
	struct finding *f = REPORT(cx, "table-kind-mismatch", r,
				   "%s: %s is a pattern table where an exact-match table is needed",
				   r->param, spec);
	finding_fix(f, "use an exact-match table (hash:, texthash:, inline:)");
    }
}

static const char *const known_types[] = {
    "btree", "cdb", "cidr", "dbm", "environ", "fail", "hash", "inline", "internal", "ldap",
    "lmdb", "memcache", "mongodb", "mysql", "nis", "nisplus", "pcre", "pgsql", "pipemap",
    "proxy", "randmap", "regexp", "sdbm", "socketmap", "sqlite", "static", "tcp", "texthash",
    "unionmap", "unix",
};

static void check_ref(struct check *cx, const char *spec, enum table_need need,
		      enum pattern_role role, const struct ref *r);

/* in_list - is word one of the elements of list? */
static int in_list(const char *list, const char *word)
{
    char *copy = xstrdup(list), *bp = copy, *tok;

    while ((tok = str_tokq(&bp, CHARS_COMMA_SP)) != NULL && strcmp(tok, word) != 0)
	;
    free(copy);
    return tok != NULL;
}

/*
 * check_is_alias_table - is spec an aliases(5) file, read as postalias reads
 * it: named by alias_maps or alias_database (wherever else it is named
 * too, e.g. through $alias_maps in local_recipient_maps)?
 */
int check_is_alias_table(struct check *cx, const char *spec)
{
    static const char *const params[] = { "alias_maps", "alias_database" };
    int found = 0;

    for (size_t i = 0; i < 2 && !found; i++) {
	char *value = check_value(cx, params[i]);
	found = value != NULL && in_list(value, spec);
	free(value);
    }
    return found;
}

/* The database clients whose "type:/file" names a client configuration file. */
static int client_file_type(const char *type)
{
    static const char *const types[] = { "ldap", "memcache", "mysql", "pgsql", "sqlite", NULL };

    for (const char *const *t = types; *t; t++)
	if (strcmp(*t, type) == 0)
	    return 1;
    return 0;
}

/*
 * check_client_file - mysql:/etc/postfix/x.cf and the other database
 * clients read their settings from the file named (a name that is no
 * path names main.cf parameters instead). A missing or unreadable file
 * is table-source-missing: postconf warns, and the daemons find the table
 * unavailable. Returns 1 when it reported.
 */
static int check_client_file(struct check *cx, const char *type, const char *name,
			     const struct ref *r)
{
    if (!client_file_type(type) || (*name != '/' && *name != '.'))
	return 0;
    char *opened = sysroot_path(name), *spec = xconcat(type, ":", name, (char *) NULL);
    int present = 0, reported = outside_root(cx, r, spec, name, opened);
    const char *problem = reported ? NULL : source_problem(opened, &present);

    /* Unreadable to pfc's user (EACCES) is no proof: the daemons read it as root. */
    if (problem != NULL && !(present && strcmp(problem, strerror(EACCES)) == 0)) {
	struct finding *f = REPORT(cx, "table-source-missing", r,
				   "%s: cannot read its client configuration %s: %s", spec, name,
				   problem);
	/* postconf looks at absolute names only, and is silent about EACCES. */
	if (*name == '/')
	    finding_postfix(f, "open \"%s\" configuration \"%s\": %s", type, name,
			    present && strstr(problem, "not a regular file") ? "not a regular file"
			    : problem);
	fix_unreadable(f, name, present, problem);
	reported = 1;
    }
    free(opened);
    free(spec);
    return reported;
}

/*
 * check_relative - a table file named by a relative path: pfc (as
 * postmap) opens it from the current directory, but the Postfix daemons
 * run in queue_directory, so they open another file, or none. A path that
 * is relative only because -c named the configuration directory so
 * ($config_directory/virtual with -c .) is the caller's, not the
 * configuration's. Returns 1 for a relative path: the file is then
 * checked when it is in the current directory, and its absence there
 * means nothing (the daemons look elsewhere).
 */
static int check_relative(struct check *cx, const char *spec, const char *name,
			  const struct ref *r)
{
    size_t dirlen = strlen(cx->m->config_dir);

    if (*name == '/' || (cx->m->config_dir[0] != '/' && strncmp(name, cx->m->config_dir, dirlen) == 0
			 && name[dirlen] == '/'))
	return 0;
    char *queue = check_value(cx, "queue_directory");
    const char *colon = strchr(spec, ':');
    struct finding *f = REPORT(cx, "relative-path", r,
			       "%s: %s is a relative path: pfc and postmap open it in the current"
			       " directory, but the Postfix daemons in their working directory,"
			       " queue_directory (%s)", spec, name, queue ? queue : "?");
    finding_fix(f, "write the absolute path, such as %.*s:$config_directory/%s",
		(int) (colon - spec), spec, name);
    free(queue);
    return 1;
}

/* How deep unionmap:{} and pipemap:{} may nest before pfc stops looking. */
#define MEMBERS_MAX_DEPTH 20

/* check_members - unionmap:{a, b} and pipemap:{a, b}: each member */
static void check_members(struct check *cx, const char *type, const char *name,
			  enum table_need need, enum pattern_role role, const struct ref *r)
{
    static int depth;
    char *copy = xstrdup(name), *bp = copy, *err;

    if (depth >= MEMBERS_MAX_DEPTH) {
	struct finding *f = REPORT(cx, "table-syntax", r,
				   "%s: tables nested more than %d deep; pfc stops looking here",
				   type, MEMBERS_MAX_DEPTH);
	finding_fix(f, "name the tables one after another instead of nesting them");
	free(copy);
	return;
    }
    if (!brace_group(copy) || (err = extract_braces(&bp, 1)) != NULL) {
	struct finding *f = REPORT(cx, "unknown-table-type", r,
				   "%s:%s: expected a list of tables in { }", type, name);
	finding_postfix(f, "malformed %s table: %s:%s", type, type, name);
	free(copy);
	return;
    }
    depth++;
    for (char *tok; (tok = str_tokq(&bp, CHARS_COMMA_SP)) != NULL;) {
	struct ref inner = *r;
	/* tok points into copy, the name after "type:". */
	inner.offset = r->offset + strlen(type) + 1 + (size_t) (tok - copy);
	check_ref(cx, tok, need, role, &inner);
    }
    depth--;
    free(copy);
}

static void check_ref(struct check *cx, const char *spec, enum table_need need,
		      enum pattern_role role, const struct ref *r)
{
    const char *colon = strchr(spec, ':');
    char *type = colon ? xstrndup(spec, (size_t) (colon - spec)) : NULL;
    const char *name = colon ? colon + 1 : spec;
    const struct dict_type *def = type ? dict_type_find(type) : NULL;
    int proxied = def != NULL && strcmp(type, "proxy") == 0 && strchr(name, ':') != NULL;

    /* What the parameter needs is checked at every use; the rest once. */
    if (def != NULL && !proxied && (def->caps & DICT_CAP_UNSUPPORTED) == 0)
	check_kind(cx, def, spec, need, r);
    if (proxied) {
	/* proxymap serves the inner table; check that one. */
	struct ref inner = *r;
	inner.offset += strlen("proxy:");
	check_ref(cx, name, need, role, &inner);
	goto done;
    }
    if (strmap_has(&cx->tables_seen, spec))
	goto done;
    strmap_put(&cx->tables_seen, spec, NULL);

    if (colon == NULL || *type == 0 || *name == 0) {
	struct finding *f = REPORT(cx, "unknown-table-type", r,
				   "%s: \"%s\" is not a table: expected type:name", r->param, spec);
	finding_postfix(f, "open dictionary: expecting \"type:name\" form instead of \"%s\"",
			spec);
	const char *slash = strchr(spec, '/');
	int head = slash ? (int) (slash - spec) : (int) strlen(spec);
	if (colon != NULL && strspn(spec, "0123456789abcdefABCDEF:.") == (size_t) head)
	    /* "::1/128": an IPv6 address reads as a table unless in [ ]. */
	    finding_fix(f, "write an IPv6 address in brackets: [%.*s]%s", head, spec,
			slash ? slash : "");
	else if (colon == NULL)
	    finding_fix(f, "write it as hash:%s, or the type it has", spec);
    } else if (def == NULL) {
	struct finding *f = REPORT(cx, "unknown-table-type", r,
				   "%s: unknown table type \"%s\"", r->param, type);
	finding_postfix(f, "unsupported dictionary type: %s", type);
	const char *near = check_suggest(type, known_types,
					 sizeof(known_types) / sizeof(known_types[0]));
	if (near != NULL)
	    finding_fix(f, "did you mean %s:%s?", near, name);
    } else if (def->caps & DICT_CAP_UNSUPPORTED) {
	/*
	 * A default's nis:mail.aliases: without a NIS domain Postfix skips
	 * it with a warning of its own, and pfc cannot read it either way.
	 */
	if (r->defval == NULL && !check_client_file(cx, type, name, r)) {
	    struct finding *f = REPORT(cx, "unsupported-table-type", r,
				       "%s: pfc does not read %s: tables, so cannot check %s",
				       r->param, type, spec);
	    finding_fix(f, "none needed; check this table with Postfix's own tools");
	}
    } else {
	int aliases = (def->caps & DICT_CAP_BUILD) && check_is_alias_table(cx, spec);
	struct ref rel = *r;
	if ((def->caps & DICT_CAP_FILE) && *name != '{')
	    rel.relative = check_relative(cx, spec, name, r);
	r = &rel;
	if (strcmp(type, "unionmap") == 0 || strcmp(type, "pipemap") == 0)
	    check_members(cx, type, name, need, role, r);
	else if (def->caps & DICT_CAP_BUILD)
	    check_indexed(cx, type, name, r, aliases);
	else if (strcmp(type, "regexp") == 0 || strcmp(type, "pcre") == 0)
	    check_pattern_file(cx, type, name, role, r);
	else if (strcmp(type, "texthash") == 0)
	    check_texthash(cx, name, r);
	else if (def->caps & DICT_CAP_FILE)
	    check_loaded(cx, spec, type, name, r);
    }
  done:
    free(type);
}

void check_table_ref(struct check *cx, const char *spec, enum table_need need,
		     enum pattern_role role, const char *param, const char *path,
		     const struct cf_logical_line *where, size_t offset)
{
    struct ref r = { param ? param : "table", path, where, offset, NULL, 0 };

    check_ref(cx, spec, need, role, &r);
}

/* ------------------------------------------------------------ parameters */

/*
 * Parameters of kind "maps" that are not tables to check: caches the
 * daemons create and write themselves, and proxymap's lists of names.
 */
static int skipped_param(const char *name)
{
    static const char *const names[] = {
	"address_verify_map", "postscreen_cache_map", "smtp_sasl_auth_cache_name",
	"lmtp_sasl_auth_cache_name", "smtp_tls_session_cache_database",
	"lmtp_tls_session_cache_database", "smtpd_tls_session_cache_database",
	"proxy_read_maps", "proxy_write_maps", NULL,
    };

    for (const char *const *n = names; *n; n++)
	if (strcmp(*n, name) == 0)
	    return 1;
    return 0;
}

/*
 * match_list_param - lists where a word without ':' is a host, network,
 * domain or file and only type:name words are tables (Postfix's
 * match_list: not "[...", with a ':').
 */
static int match_list_param(const struct param_def *def)
{
    return def->kind == PKIND_DOMAINLIST || strcmp(def->name, "postscreen_access_list") == 0;
}

/* need_of - what the parameter looks up in its tables, and what results mean */
static enum table_need need_of(const char *name, enum pattern_role *role)
{
    size_t len = strlen(name);

    *role = ROLE_VALUE;
    if (strcmp(name, "postscreen_access_list") == 0)
	*role = ROLE_ACCESS;
    if ((len >= 13 && strcmp(name + len - 13, "header_checks") == 0)
	|| (len >= 11 && strcmp(name + len - 11, "body_checks") == 0)) {
	*role = ROLE_CHECKS;
	return TABLE_PATTERN;
    }
    if (strcmp(name, "alias_database") == 0)
	return TABLE_FIXED;
    return TABLE_ANY;
}

static const char *lookup_cfg(const char *name, int mode, void *ctx)
{
    (void) mode;
    return model_raw(ctx, NULL, name);
}

struct list_walk {
    struct check *cx;
    const struct param_def *def;
    const char *path;
    const struct cf_logical_line *where;	/* NULL: the default */
};

/* check_word - one list element, $names expanded, each table checked */
static void check_word(const struct list_walk *w, const char *word, size_t offset,
		       int depth)
{
    enum pattern_role role;
    enum table_need need = need_of(w->def->name, &role);

    /*
     * A default's $name: a parameter main.cf sets is checked at its
     * setting, one it does not at its own default.
     */
    if (strchr(word, '$') != NULL && w->where == NULL)
	return;
    if (strchr(word, '$') != NULL && depth == 0) {
	struct strbuf buf = STRBUF_INIT;
	check_capture_begin(w->cx, NULL, NULL);
	int status = expand(&buf, word, EXPAND_RECURSE, lookup_cfg, (void *) w->cx->m);
	check_capture_end(w->cx);
	if ((status & EXPAND_ERROR) == 0 && buf.len > 0) {
	    char *bp = buf.s;
	    for (char *tok; (tok = str_tokq(&bp, CHARS_COMMA_SP)) != NULL;)
		check_word(w, tok, offset, depth + 1);
	}
	sb_free(&buf);
	return;
    }
    if (match_list_param(w->def)) {
	while (*word == '!')
	    word++, offset++;
	if (*word == '[' || strchr(word, ':') == NULL)
	    return;
    }
    struct ref r = { w->def->name, w->path, w->where, offset,
	w->where == NULL ? w->def->defval : NULL, 0 };
    check_ref(w->cx, word, need, role, &r);
}

/* check_list - every table of a value at value_off of where */
static void check_list(struct check *cx, const struct param_def *def, const char *value,
		       const char *path, const struct cf_logical_line *where,
		       size_t value_off)
{
    struct list_walk w = { cx, def, path, where };
    char *copy = xstrdup(value), *bp = copy;

    for (char *tok; (tok = str_tokq(&bp, CHARS_COMMA_SP)) != NULL;) {
	/* A match list ends at a "#" (Postfix warns; the params rules say so). */
	if (*tok == '#' && match_list_param(def))
	    break;
	check_word(&w, tok, value_off + (size_t) (tok - copy), 0);
    }
    free(copy);
}

static int table_param(const struct param_def *def)
{
    return def != NULL && (def->kind == PKIND_MAPS || match_list_param(def))
	&& !skipped_param(def->name);
}

enum check_list_kind check_table_list(const struct param_def *def)
{
    if (!table_param(def))
	return CHECK_LIST_NONE;
    return match_list_param(def) ? CHECK_LIST_MATCH : CHECK_LIST_MAPS;
}

/*
 * check_alias_database - newaliases builds the tables of alias_database;
 * an indexed aliases file in alias_maps that is not among them is never
 * rebuilt by it.
 */
static void check_alias_database(struct check *cx)
{
    char *maps = check_value(cx, "alias_maps"), *database = check_value(cx, "alias_database");
    const struct model_setting *set = check_setting_find(cx, "alias_maps");
    const struct model_setting *dbset = check_setting_find(cx, "alias_database");

    if (maps == NULL || database == NULL || (set == NULL && dbset == NULL))
	goto done;
    char *copy = xstrdup(maps), *bp = copy;
    for (char *tok; (tok = str_tokq(&bp, CHARS_COMMA_SP)) != NULL;) {
	if (strncmp(tok, "hash:", 5) != 0 && strncmp(tok, "btree:", 6) != 0)
	    continue;
	if (in_list(database, tok))
	    continue;
	/* Locate it in alias_maps when written there, else at alias_database. */
	const char *at = set ? strstr(set->value, tok) : NULL;
	const struct model_setting *s = at ? set : dbset ? dbset : set;
	size_t off = s->value_off + (at ? (size_t) (at - set->value) : 0);
	struct finding *f = check_report(cx, "alias-database-mismatch", cx->m->main_path, s->where,
					 off, "alias_maps: %s is not in alias_database, so "
					 "newaliases does not rebuild it", tok);
	finding_fix(f, "add %s to alias_database", tok);
    }
    free(copy);
  done:
    free(maps);
    free(database);
}

/*
 * check_defaults - the tables of every table parameter main.cf leaves at
 * its default: the daemons open those as well (alias_maps is
 * hash:/etc/aliases, nis:mail.aliases), so a missing /etc/aliases.db is
 * the same error whether main.cf names it or not. The findings have no
 * line; they name the parameter and its default. Types pfc cannot read
 * are not reported there (without a NIS domain Postfix skips nis: itself).
 */
static void check_defaults(struct check *cx)
{
    for (size_t i = 0; i < param_table_size; i++) {
	const struct param_def *def = &param_table[i];
	/* alias_database is newaliases' list, not a daemon's (alias-database-mismatch). */
	if (!table_param(def) || *def->defval == 0 || check_setting_find(cx, def->name) != NULL
	    || (def->flags & PFLAG_HOST) || strcmp(def->name, "alias_database") == 0)
	    continue;
	check_list(cx, def, def->defval, cx->m->main_path, NULL, 0);
    }
}

void check_tables(struct check *cx)
{
    for (size_t i = 0; i < cx->m->nsettings; i++) {
	const struct model_setting *s = &cx->m->settings[i];
	if (s->effective && table_param(s->def))
	    check_list(cx, s->def, s->value, cx->m->main_path, s->where, s->value_off);
    }
    for (size_t i = 0; i < cx->m->nservices; i++) {
	const struct model_service *svc = &cx->m->services[i];
	for (size_t j = 0; j < svc->noverrides; j++) {
	    const struct model_override *o = &svc->overrides[j];
	    const struct param_def *def = registry_find(o->name);
	    if (table_param(def))
		check_list(cx, def, o->value, cx->m->master_path, svc->entry->where, o->value_off);
	}
    }
    check_defaults(cx);
    check_alias_database(cx);
}
