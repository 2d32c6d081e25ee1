/* sysroot - resolve absolute paths under --root DIR, and keep reads inside it */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sysroot.h"
#include "xalloc.h"

static char *root;
static char *root_real;		/* realpath of root, once asked for */

void sysroot_set(const char *dir)
{
    free(root);
    free(root_real);
    root = root_real = NULL;
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

/* inside_root - is real (a resolved, absolute path) the root or below it? */
static int inside_root(const char *real)
{
    if (root_real == NULL) {
	/* A root that does not resolve holds nothing: compare with its name. */
	root_real = realpath(root, NULL);
	if (root_real == NULL)
	    root_real = xstrdup(root);
    }
    size_t len = strlen(root_real);
    return strncmp(real, root_real, len) == 0 && (real[len] == 0 || real[len] == '/');
}

/* tidy_path - path without "." or empty components, ".." taken off lexically */
static char *tidy_path(const char *path)
{
    size_t len = strlen(path), n = 0, kept = 0;	/* kept: components that ".." may take off */
    char *out = xmalloc(len + 2);
    int absolute = path[0] == '/';

    if (absolute)
	out[n++] = '/';
    for (const char *p = path; *p != 0;) {
	size_t clen = strcspn(p, "/");
	if (clen == 2 && p[0] == '.' && p[1] == '.' && kept > 0) {
	    while (n > (size_t) absolute && out[n - 1] != '/')
		n--;
	    if (n > (size_t) absolute)
		n--;
	    kept--;
	} else if (clen == 2 && p[0] == '.' && p[1] == '.' && absolute) {
	    /* "/.." is "/" */
	} else if (clen > 0 && !(clen == 1 && p[0] == '.')) {
	    if (n > (size_t) absolute)
		out[n++] = '/';
	    memcpy(out + n, p, clen);
	    n += clen;
	    /* a leading ".." of a relative path stays, and stays put */
	    if (!(clen == 2 && p[0] == '.' && p[1] == '.'))
		kept++;
	}
	p += clen;
	while (*p == '/')
	    p++;
    }
    if (n == 0)
	out[n++] = '.';
    out[n] = 0;
    return out;
}

char *sysroot_config_dir(const char *dir)
{
    if (dir == NULL && (dir = getenv("MAIL_CONFIG")) == NULL)
	dir = "/etc/postfix";
    if (dir[0] == '/' || dir[0] == 0)
	return tidy_path(dir[0] ? dir : ".");
    char *cwd = getcwd(NULL, 0);
    const char *base = cwd;
    if (cwd != NULL && root != NULL) {
	inside_root("/");	/* sets root_real */
	size_t len = strlen(root_real);
	base = inside_root(cwd) ? cwd + len : NULL;
	if (base != NULL && *base == 0)
	    base = "/";
    }
    char *joined = base ? xconcat(base, "/", dir, (char *) NULL) : xstrdup(dir);
    char *tidy = tidy_path(joined);
    free(joined);
    free(cwd);
    return tidy;
}

char *sysroot_outside(const char *path)
{
    if (root == NULL)
	return NULL;
    char *real = realpath(path, NULL);
    /* Nothing there (or a link to nothing): nothing can be read through it. */
    if (real == NULL || inside_root(real)) {
	free(real);
	return NULL;
    }
    return real;
}

char *sysroot_fd_outside(int fd)
{
    char link[64], target[PATH_MAX];

    if (root == NULL)
	return NULL;
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    ssize_t n = readlink(link, target, sizeof(target) - 1);
    /* Without /proc the opened file cannot be named: the path check stands. */
    if (n < 0 || (size_t) n >= sizeof(target) - 1)
	return NULL;
    target[n] = 0;
    return inside_root(target) ? NULL : xstrdup(target);
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
