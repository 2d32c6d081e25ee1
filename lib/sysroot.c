/* sysroot - resolve absolute paths under --root DIR */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sysroot.h"
#include "xalloc.h"

static char *root;

void sysroot_set(const char *dir)
{
    free(root);
    root = NULL;
    if (dir != NULL && *dir != 0) {
	size_t len = strlen(dir);
	/* "DIR/" and "DIR" name the same root; "/" is no root at all. */
	while (len > 1 && dir[len - 1] == '/')
	    len--;
	if (!(len == 1 && dir[0] == '/'))
	    root = xstrndup(dir, len);
    }
}

const char *sysroot_get(void)
{
    return root;
}

char *sysroot_path(const char *path)
{
    if (root == NULL || path[0] != '/')
	return xstrdup(path);
    return xconcat(root, path, (char *) NULL);
}

int sysroot_take_option(int argc, char **argv)
{
    int in = 1, out = 1;

    while (in < argc) {
	const char *arg = argv[in];
	if (strcmp(arg, "--") == 0)
	    break;
	if (strcmp(arg, "--root") == 0) {
	    if (in + 1 >= argc) {
		fprintf(stderr, "pfc: option '--root' requires a directory\n");
		return -1;
	    }
	    sysroot_set(argv[in + 1]);
	    in += 2;
	} else if (strncmp(arg, "--root=", 7) == 0) {
	    sysroot_set(arg + 7);
	    in += 1;
	} else {
	    argv[out++] = argv[in++];
	}
    }
    while (in < argc)
	argv[out++] = argv[in++];
    argv[out] = NULL;
    return out;
}
