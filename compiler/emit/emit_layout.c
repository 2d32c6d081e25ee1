/*
 * emit_layout - the image's bytes, once everything is compiled: the
 * records whose strings are interned last (so that what a reader needs
 * at once - parameters, services, specs, sources, programs - ends the
 * pool together), then the sections after the pool in the order of
 * image.h's list, the section table, the header, and the block
 * checksums (SUMS, last). The content id and the header's checksum are
 * image_seal()'s (image_write.c).
 */
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "loader.h"
#include "master_cf.h"
#include "xalloc.h"

static void align8(struct strbuf *out)
{
    static const char zeros[IMG_ALIGN];

    if (out->len % IMG_ALIGN)
	sb_addn(out, zeros, IMG_ALIGN - out->len % IMG_ALIGN);
}

static int compare_sources(const void *a, const void *b)
{
    return strcmp(((const struct source *) a)->path, ((const struct source *) b)->path);
}

/* sources_out - SRCS sorted by path; the tables name their source by its new index */
static struct img_source *sources_out(struct build *b)
{
    uint32_t *renumber = xcalloc(b->nsources + 1, sizeof(*renumber));
    struct source *sorted = xcalloc(b->nsources + 1, sizeof(*sorted));
    struct img_source *srcs = xcalloc(b->nsources + 1, sizeof(*srcs));

    memcpy(sorted, b->sources, b->nsources * sizeof(*sorted));
    if (b->nsources > 1)
	qsort(sorted, b->nsources, sizeof(*sorted), compare_sources);
    for (size_t i = 0; i < b->nsources; i++)
	renumber[(size_t) (uintptr_t) strmap_get(&b->source_index, sorted[i].path) - 1]
	    = (uint32_t) i;
    for (size_t i = 0; i < b->nsources; i++) {
	srcs[i].path = pool_intern(&b->pool, sorted[i].path);
	srcs[i].size = sorted[i].size;
	memcpy(srcs[i].sha256, sorted[i].sha256, 32);
    }
    for (size_t i = 0; i < b->ntables; i++)
	b->tables[i].source = b->table_source[i] == IMG_NONE ? IMG_NONE
	    : renumber[b->table_source[i]];
    free(renumber);
    free(sorted);
    return srcs;
}

/*
 * command_of - a service's command and its arguments without the -o
 * options (the daemon options end at the first word that is not one, or
 * at "--", as master.cf's reader normalized them), one space apart
 */
static void command_of(struct strbuf *command, const struct master_entry *e)
{
    int options = 1;

    sb_reset(command);
    sb_adds(command, e->argv[MF_COMMAND]);
    for (size_t a = MASTER_MIN_FIELDS; a < e->argc; a++) {
	const char *arg = e->argv[a];
	if (options && (arg[0] != '-' || strcmp(arg, "--") == 0))
	    options = 0;
	if (options && strcmp(arg, "-o") == 0 && a + 1 < e->argc) {
	    a++;
	    continue;
	}
	sb_addch(command, ' ');
	sb_adds(command, arg);
    }
}

/* services_out - SERV: master.cf's entries as written, each with its OVRD run */
static struct img_service *services_out(struct build *b)
{
    const struct model *m = b->m;
    struct img_service *services = xcalloc(m->nservices + 1, sizeof(*services));
    struct strbuf command = STRBUF_INIT;

    for (size_t i = 0; i < m->nservices; i++) {
	const struct master_entry *e = m->services[i].entry;
	struct img_service *s = &services[i];
	s->name = pool_intern(&b->pool, e->argv[MF_SERVICE]);
	s->type = pool_intern(&b->pool, e->argv[MF_TYPE]);
	s->private_ = pool_intern(&b->pool, e->argv[MF_PRIVATE]);
	s->unpriv = pool_intern(&b->pool, e->argv[MF_UNPRIV]);
	s->chroot = pool_intern(&b->pool, e->argv[MF_CHROOT]);
	s->wakeup = pool_intern(&b->pool, e->argv[MF_WAKEUP]);
	s->maxproc = pool_intern(&b->pool, e->argv[MF_MAXPROC]);
	command_of(&command, e);
	s->command = pool_intern(&b->pool, sb_str(&command));
	s->line = (uint32_t) e->line;
	s->overrides_first = (uint32_t) b->service_overrides[i];
	s->overrides_count = (uint32_t) (b->service_overrides[i + 1] - b->service_overrides[i]);
	if (s->overrides_count == 0)
	    s->overrides_first = 0;
    }
    sb_free(&command);
    return services;
}

void write_image(struct build *b)
{
    struct strbuf *out = b->out;
    struct img_host_piece *host = NULL;
    size_t nhost = 0, host_cap = 0, ninsns;
    struct img_program *programs;
    struct img_insn *insns;

    for (size_t i = 0; i < b->ntables; i++)
	b->tables[i].spec = pool_intern(&b->pool, b->table_specs[i]);
    struct img_source *srcs = sources_out(b);
    struct img_setting *params = xcalloc(b->nparams + 1, sizeof(*params));
    for (size_t i = 0; i < b->nparams; i++)
	setting_out(b, &b->params[i], &params[i], &host, &nhost, &host_cap);
    struct img_setting *overrides = xcalloc(b->noverrides + 1, sizeof(*overrides));
    for (size_t i = 0; i < b->noverrides; i++)
	setting_out(b, &b->overrides[i], &overrides[i], &host, &nhost, &host_cap);
    struct img_service *services = services_out(b);
    programs_out(b, &programs, &insns, &ninsns);

    /* The pool is complete: it ends with a NUL, as every string does. */
    struct { const void *data; size_t len; } body[IMG_S_COUNT] = {
	[IMG_S_SRCS] = { srcs, b->nsources * sizeof(*srcs) },
	[IMG_S_PARM] = { params, b->nparams * sizeof(*params) },
	[IMG_S_SERV] = { services, b->m->nservices * sizeof(*services) },
	[IMG_S_OVRD] = { overrides, b->noverrides * sizeof(*overrides) },
	[IMG_S_HOST] = { host, nhost * sizeof(*host) },
	[IMG_S_TABL] = { b->tables, b->ntables * sizeof(*b->tables) },
	[IMG_S_TREF] = { b->refs, b->nrefs * sizeof(*b->refs) },
	[IMG_S_PROG] = { programs, b->nprograms * sizeof(*programs) },
	[IMG_S_INSN] = { insns, ninsns * sizeof(*insns) },
	[IMG_S_RULE] = { b->rules, b->nrules * sizeof(*b->rules) },
	[IMG_S_PIEC] = { b->pieces, b->npieces * sizeof(*b->pieces) },
	[IMG_S_NETS] = { b->nets, b->nnets * sizeof(*b->nets) },
	[IMG_S_ENTR] = { b->entries, b->nentries * sizeof(*b->entries) },
	[IMG_S_SLOT] = { b->slots, b->nslots * sizeof(*b->slots) },
    };
    struct img_section sections[IMG_S_COUNT];
    sections[IMG_S_STRS] = (struct img_section) {
	IMG_SEC_STRS, 0, POOL_BASE, out->len - POOL_BASE,
    };
    for (int k = IMG_S_STRS + 1; k < IMG_S_COUNT; k++) {
	align8(out);
	sections[k] = (struct img_section) { img_section_kind(k)->tag, 0, out->len, 0 };
	if (k == IMG_S_SUMS) {
	    /* A checksum for each block from the pool (the end of the table) to here. */
	    uint64_t blocks = (out->len - POOL_BASE + IMG_BLOCK_SIZE - 1) >> IMG_BLOCK_SHIFT;
	    sections[k].length = blocks * sizeof(uint64_t);
	    sb_grow(out, sections[k].length);
	    memset(out->s + out->len, 0, sections[k].length);
	    out->len += sections[k].length;
	} else if (body[k].len > 0) {
	    sections[k].length = body[k].len;
	    sb_addn(out, body[k].data, body[k].len);
	}
    }

    struct img_header h;
    memset(&h, 0, sizeof(h));
    memcpy(h.magic, IMG_MAGIC, IMG_MAGIC_SIZE);
    h.major = IMG_VERSION_MAJOR;
    h.minor = IMG_VERSION_MINOR;
    h.header_size = sizeof(h);
    h.file_size = out->len;
    h.section_table = sizeof(h);
    h.section_count = IMG_S_COUNT;
    h.flags = 0;
    memcpy(out->s + sizeof(h), sections, sizeof(sections));
    memcpy(out->s, &h, sizeof(h));
    image_sum_body(out->s, out->len);

    free(srcs);
    free(params);
    free(overrides);
    free(host);
    free(services);
    free(programs);
    free(insns);
}
