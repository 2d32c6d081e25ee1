/*
 * build - "pfc build [-c config_dir] [--root dir] -o policy.pfi": compile
 * the configuration into a policy image (image_write.c) and publish it
 * atomically (lib/publish): a temporary file beside the target (through
 * a symbolic link, beside the file it names), written, fsynced, renamed
 * over the target, the directory fsynced. On any failure, or SIGINT,
 * SIGTERM or SIGHUP, the temporary file is removed and an existing target
 * is left as it was.
 * Like a compiler it prints nothing when it succeeds.
 *
 * Exit status: 0 written; 1 pfc check found errors (their findings on
 * stderr, nothing written); 2 usage (a second -o too), I/O or internal
 * failure.
 */
#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "commands.h"
#include "diag.h"
#include "help.h"
#include "image.h"
#include "image_write.h"
#include "publish.h"
#include "strbuf.h"
#include "sysroot.h"

static int usage(void)
{
    help_print_usage(stderr, "build");
    return 2;
}

/* write_all - all of data to fd at offset; 0, or -1 with errno */
static int write_all(int fd, const char *data, size_t len, off_t offset)
{
    while (len > 0) {
	ssize_t n = pwrite(fd, data, len, offset);
	if (n < 0 && errno == EINTR)
	    continue;
	if (n < 0)
	    return -1;
	data += n;
	len -= (size_t) n;
	offset += n;
    }
    return 0;
}

/*
 * The body of the image (everything after the header) is written by a
 * thread while the image is sealed: copying 80 MB into the page cache
 * and hashing them twice take about as long, and need not wait for each
 * other.
 */
struct body_write {
    int fd;
    const char *data;
    size_t len;
    int error;			/* errno, 0 when written */
};

static void *body_write_run(void *arg)
{
    struct body_write *w = arg;

    w->error = write_all(w->fd, w->data + sizeof(struct img_header),
			 w->len - sizeof(struct img_header),
			 (off_t) sizeof(struct img_header)) < 0 ? errno : 0;
    return NULL;
}

/* write_image_file - the image, sealed as it is written; 0, or -1 with errno */
static int write_image_file(int fd, struct strbuf *image)
{
    struct body_write w = { fd, image->s, image->len, 0 };
    pthread_t thread;
    int threaded = pthread_create(&thread, NULL, body_write_run, &w) == 0;

    if (!threaded)
	body_write_run(&w);
    image_seal(image);
    if (threaded)
	pthread_join(thread, NULL);
    if (w.error != 0) {
	errno = w.error;
	return -1;
    }
    return write_all(fd, image->s, sizeof(struct img_header), 0);
}

/*
 * publish_image - image (its body compiled, sealed here) to path,
 * atomically (lib/publish). A new file gets 0644 less the umask; a file
 * being replaced keeps its mode. 0, or 2 with the message printed.
 */
static int publish_image(const char *path, struct strbuf *image)
{
    struct publish p;
    struct stat st;
    mode_t mask = umask(0);

    umask(mask);
    mode_t mode = stat(path, &st) == 0 ? st.st_mode & 07777 : 0644 & ~mask;
    if (publish_begin(&p, path, mode) == 0) {
	if (write_image_file(p.fd, image) != 0)
	    p.what = "write";
	else if (publish_commit(&p, 0) == 0)
	    p.what = NULL;
    }
    if (p.what != NULL) {
	int saved = errno;
	if (strcmp(p.what, "rename") == 0)
	    fprintf(stderr, "pfc: build: rename %s to %s: %s\n", p.tmp, p.target, strerror(saved));
	else
	    fprintf(stderr, "pfc: build: %s %s: %s\n", p.what, p.tmp ? p.tmp : p.target,
		    strerror(saved));
	publish_abort(&p);
    }
    int status = p.what != NULL ? 2 : 0;
    publish_free(&p);
    return status;
}

int cmd_build(int argc, char **argv)
{
    const char *dir = NULL, *output = NULL;
    struct strbuf image = STRBUF_INIT;
    int opt;

    /* An internal failure must not read as "the configuration has errors". */
    diag_set_fatal_status(2);
    optind = 1;
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":c:o:h", help_long_options, NULL)) != -1) {
	switch (opt) {
	case 'c':
	    dir = optarg;
	    break;
	case 'o':
	    /* Two outputs are a mistake in a script: taking the last hides it. */
	    if (output != NULL)
		return help_arg_error("build", "-o given twice, the second time with", optarg,
				      2);
	    output = optarg;
	    break;
	case 'h':
	case HELP_OPTION:
	    help_print(stdout, "build");
	    return 0;
	default:
	    return help_option_error("build", opt, argv, 2);
	}
    }
    if (optind < argc)
	return help_arg_error("build", "unexpected argument", argv[optind], 2);
    if (output == NULL || *output == 0) {
	fprintf(stderr, "pfc: build: no output file: name it with -o policy.pfi\n");
	return usage();
    }
    /* One spelling of the directory, one content id (dir/, ./dir, /abs/dir). */
    char *config_dir = sysroot_config_dir(dir);
    int status = image_compile_body(config_dir, &image);
    free(config_dir);
    if (status == 0)
	status = publish_image(output, &image);
    sb_free(&image);
    return status;
}
