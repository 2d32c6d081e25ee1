/*
 * verify - "pfc verify policy.pfi...": run the loader's verifier, the
 * very pass pfcd runs before it trusts an image (image_open()), and say
 * what the image holds. Exit 0 when every image is good; 1 when one is
 * not an image, of another version, truncated or corrupt; 2 when one
 * cannot be read at all (or on a usage error).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "help.h"
#include "loader.h"

static int usage(FILE *fp)
{
    help_print_usage(fp, "verify");
    return 2;
}

/* verify_one - one image: its summary line, or the verifier's message */
static int verify_one(const char *path)
{
    struct image *img;
    char *err;
    enum image_status status = image_open(path, &img, &err);

    if (status != IMAGE_OK) {
	fprintf(stderr, "pfc: %s\n", err);
	free(err);
	return status == IMAGE_ERR_IO ? 2 : 1;
    }
    char id[2 * sizeof(img->header->content_id) + 1];
    for (size_t i = 0; i < sizeof(img->header->content_id); i++)
	snprintf(id + 2 * i, 3, "%02x", img->header->content_id[i]);
    printf("%s: ok: image %u.%u, content id %s, %u parameters, %u services, %u tables,"
	   " %u entries, %u rules, %u programs\n", path, (unsigned) img->header->major,
	   (unsigned) img->header->minor, id, (unsigned) img->nparams,
	   (unsigned) img->nservices, (unsigned) img->ntables, (unsigned) img->nentries,
	   (unsigned) img->nrules, (unsigned) img->nprograms);
    image_close(img);
    return 0;
}

int cmd_verify(int argc, char **argv)
{
    int first = 1, status = 0;

    if (argc > 1 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
	help_print(stdout, "verify");
	return 0;
    }
    if (argc > 1 && strcmp(argv[1], "--") == 0)
	first = 2;
    else if (argc > 1 && argv[1][0] == '-' && argv[1][1] != 0)
	return help_arg_error("verify", "unknown option", argv[1], 2);
    if (first >= argc)
	return usage(stderr);
    for (int i = first; i < argc; i++) {
	int s = verify_one(argv[i]);
	if (s > status)
	    status = s;
    }
    if (fflush(stdout) != 0 || ferror(stdout)) {
	fprintf(stderr, "pfc: verify: write error on standard output: %s\n", strerror(errno));
	status = 2;
    }
    return status;
}
