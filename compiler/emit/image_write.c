/*
 * image_write - the compiler behind pfc build: everything pfc check reads,
 * compiled into the bytes of runtime/image/image.h. The driver; each part
 * is a file of its own (emit.h lists them).
 *
 * The configuration is read once into a model (model.h), and the linter
 * judges it first (check.h, for the image: the tables are compiled from
 * their sources, so their .db files do not matter): an error stops the
 * build, its findings printed on stderr as pfc check prints them. The
 * bytes of every source the linter read stay in the model, so a big
 * table is read once. Then, in this order:
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
}

/* compile - everything after the linter found no error; 0, 1 (refused) or 2 */
static int compile(struct build *b)
{
    const struct model *m = b->m;
    char *smtputf8 = params_value(b, NULL, "smtputf8_enable");
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

    char *named = xconcat(m->config_dir, "/main.cf", (char *) NULL);
    int status = add_source_file(b, named, m->main_path, &index);
    free(named);
    if (status == 0 && m->master_path != NULL) {
	named = xconcat(m->config_dir, "/master.cf", (char *) NULL);
	status = add_source_file(b, named, m->master_path, &index);
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
    struct model m;
    struct check cx;
    struct build b;
    int status;

    check_init(&cx);
    if (check_load(&cx, &m, config_dir) < 0) {
	status = 2;
	goto done;
    }
    check_run(&cx, CHECK_FOR_IMAGE);
    if (check_errors(&cx) > 0) {
	check_print(&cx, "text", stderr);
	status = 1;
	goto done;
    }

    memset(&b, 0, sizeof(b));
    b.m = &m;
    b.cx = &cx;
    b.out = out;
    strmap_init(&b.source_index);
    strmap_init(&b.specs);
    status = compile(&b);
    free_build(&b);
  done:
    check_free(&cx);
    model_free(&m);
    return status;
}
