/*
 * emit_sources - the image's source manifest (SRCS): every file the build
 * read, its size and SHA-256. A big source is hashed in a thread while
 * it is parsed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emit.h"
#include "sha256.h"
#include "xalloc.h"

static void *digest_run(void *arg)
{
    struct digest_job *job = arg;

    sha256_digest(job->data, job->len, job->sha256);
    return NULL;
}

#define DIGEST_THREAD_MIN (1u << 20)	/* smaller sources are hashed in line */

void digest_start(struct digest_job *job, const void *data, size_t len)
{
    job->data = data;
    job->len = len;
    job->started = len >= DIGEST_THREAD_MIN
	&& pthread_create(&job->thread, NULL, digest_run, job) == 0;
    if (!job->started)
	digest_run(job);
}

void digest_wait(struct digest_job *job)
{
    if (job->started)
	pthread_join(job->thread, NULL);
    job->started = 0;
}

uint32_t add_source(struct build *b, const char *path, size_t len,
		    const unsigned char sha256[32])
{
    size_t at = (size_t) (uintptr_t) strmap_get(&b->source_index, path);

    if (at != 0)
	return (uint32_t) (at - 1);
    GROW(b->sources, b->nsources, b->sources_cap);
    struct source *src = &b->sources[b->nsources];

    src->path = xstrdup(path);
    src->size = len;
    memcpy(src->sha256, sha256, 32);
    strmap_put(&b->source_index, path, (void *) (uintptr_t) ++b->nsources);
    return (uint32_t) (b->nsources - 1);
}

int add_source_file(struct build *b, const char *named, const char *opened, uint32_t *index)
{
    const struct model_source *src = model_source(b->m, opened);

    if (src == NULL) {
	fprintf(stderr, "pfc: build: read %s: %s\n", opened, strerror(errno));
	b->failed = 1;
	return -1;
    }
    struct digest_job job = { .data = src->text, .len = src->len };
    digest_run(&job);
    *index = add_source(b, named, src->len, job.sha256);
    return 0;
}
