/*
 * image_write - the compiler behind pfc build: everything pfc check reads,
 * compiled into the bytes of runtime/image/image.h. The driver; each part
 * is a file of its own (emit.h lists them).
 *
 * The linter runs first (check.h, for_build): an error stops the build.
 * It keeps the bytes of the hash, btree and texthash sources it read, so
 * a big table is read once. Then, in this order:
 *
 *   1. parameters (registry and main.cf, sorted), services' -o overrides,
 *      restriction programs: their values expanded through the resolver,
 *      the tables they name collected as spec strings;
 *   2. the table specs sorted and numbered, each compiled by its type;
 *   3. the layout: header, section table, the string pool (built in place
 *      from the start, so a 50 MB pool is never copied), the other
 *      sections, the block checksums; then (image_seal()) the content id
 *      and the header's checksum.
 *
 * Determinism: everything is in file order or sorted bytewise; no
 * strmap is iterated; no time, pointer, locale or hash seed reaches the
 * bytes. Values that depend on the host (myhostname, mydomain,
 * mynetworks when main.cf leaves them unset) are kept as pieces and
 * flagged IMG_SETTING_HOST, so the image is the same on every machine.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dict.h"
#include "emit.h"
#include "image_write.h"
#include "loader.h"
#include "sha256.h"
#include "xalloc.h"

static void free_build(struct build *b)
{
    for (size_t i = 0; i < b->nsources; i++)
	free(b->sources[i].path);
    free(b->sources);
    strmap_free(&b->source_index, NULL);
    free_settings(b);
    free_programs(b);
    strmap_free(&b->specs, NULL);
    free(b->table_specs);
    free(b->tables);
    free(b->table_source);
    free(b->refs);
    free(b->entries);
    free(b->slots);
    free(b->rules);
    free(b->pieces);
    free(b->nets);
    pool_free(&b->pool);
    params_free(b);
}

/* print_findings - pfc check's text output, on stderr */
static void print_findings(const struct check *cx)
{
    int saved = dup(STDOUT_FILENO);

    fflush(stdout);
    if (saved < 0 || dup2(STDERR_FILENO, STDOUT_FILENO) < 0) {
	fprintf(stderr, "pfc: build: the configuration has errors; run pfc check\n");
	if (saved >= 0)
	    close(saved);
	return;
    }
    check_print(cx, "text");
    fflush(stdout);
    dup2(saved, STDOUT_FILENO);
    close(saved);
}

/* compile - everything after the linter found no error; 0, 1 (refused) or 2 */
static int compile(struct build *b)
{
    struct check *cx = b->cx;
    char *smtputf8 = check_value(cx, "smtputf8_enable");
    uint32_t index;

    b->utf8 = smtputf8 != NULL && strcasecmp(smtputf8, "yes") == 0;
    free(smtputf8);
    b->fold_flags = DICT_FLAG_FOLD | (b->utf8 ? DICT_FLAG_UTF8 : 0);

    /* The image's strings go straight into place after the section table. */
    sb_reset(b->out);
    sb_grow(b->out, POOL_BASE + 65536);
    memset(b->out->s, 0, POOL_BASE);
    b->out->len = POOL_BASE;
    pool_init(&b->pool, b->out, 4096);

    char *named = xconcat(cx->config_dir, "/main.cf", (char *) NULL);
    int status = add_source_file(b, named, cx->main_path, &index);
    free(named);
    if (status == 0 && cx->master_path != NULL) {
	named = xconcat(cx->config_dir, "/master.cf", (char *) NULL);
	status = add_source_file(b, named, cx->master_path, &index);
	free(named);
    }
    if (status < 0)
	return 2;

    collect_params(b);
    collect_overrides(b);
    if (b->refused == 0 && b->unplaced != NULL)
	fprintf(stderr, "%s\n", b->unplaced);
    if (b->refused > 0 || b->unplaced != NULL)
	return 1;
    collect_programs(b);
    if ((status = compile_tables(b)) != 0)
	return status;
    write_image(b);
    return 0;
}

void image_seal(struct strbuf *out)
{
    struct img_header h;

    memcpy(&h, out->s, sizeof(h));
    sha256_digest(out->s + h.section_table, out->len - h.section_table, h.content_id);
    memcpy(out->s, &h, sizeof(h));
    image_sum_header(out->s, out->len);
}

int image_compile(const char *config_dir, struct strbuf *out)
{
    int status = image_compile_body(config_dir, out);

    if (status == 0)
	image_seal(out);
    return status;
}

int image_compile_body(const char *config_dir, struct strbuf *out)
{
    static const char *const db_rules[] = { "db-missing", "db-stale", "db-foreign" };
    struct check cx;
    struct build b;
    int status;

    check_init(&cx);
    /* The image is compiled from the sources: Postfix's own .db files do not matter. */
    for (size_t i = 0; i < sizeof(db_rules) / sizeof(db_rules[0]); i++)
	strmap_put(&cx.rule_state, db_rules[i], (void *) "off");
    cx.for_build = 1;
    if (check_load(&cx, config_dir) < 0) {
	check_free(&cx);
	return 2;
    }
    check_run(&cx);
    if (check_errors(&cx) > 0) {
	print_findings(&cx);
	check_free(&cx);
	return 1;
    }

    memset(&b, 0, sizeof(b));
    b.cx = &cx;
    b.out = out;
    strmap_init(&b.source_index);
    strmap_init(&b.specs);
    status = compile(&b);
    free_build(&b);
    check_free(&cx);
    return status;
}
