/*
 * sysroot - "--root DIR": a configuration kept in a repository names its
 * files by their deployed paths (hash:/etc/postfix/virtual); with a root,
 * every absolute path pfc opens is taken under DIR, as a compiler's
 * --sysroot does. Relative paths are left alone. For a tree that is not
 * trusted (a pull request), sysroot_outside() tells what leads out of it.
 */
#ifndef PFC_SYSROOT_H
#define PFC_SYSROOT_H

/* sysroot_set - the root directory (NULL: none, the default) */
void sysroot_set(const char *dir);
const char *sysroot_get(void);

/* sysroot_path - path as pfc opens it (a new string) */
char *sysroot_path(const char *path);

/*
 * sysroot_config_dir - the configuration directory named by -c dir (NULL:
 * $MAIL_CONFIG, else /etc/postfix) in one spelling, so that "dir",
 * "dir/", "./dir" and its absolute path give the same config_directory,
 * source paths and image content id: absolute ("/etc/postfix" under a
 * root when the working directory is inside it), no "." or empty
 * components, ".." taken off lexically (as Postfix joins the names it
 * opens, no link is followed), no trailing "/". A relative name whose
 * working directory is outside the root is only tidied. A new string.
 */
char *sysroot_config_dir(const char *dir);

/*
 * sysroot_outside - with a root: where path (as pfc opens it, absolute
 * under the root or relative to the working directory) leads when it
 * leads outside the root, every symbolic link and ".." followed as the
 * kernel follows them (a new string); NULL when it stays inside, leads
 * nowhere (nothing is there to read) or no root is set. A link inside the
 * tree to a file inside the tree is fine; "../../etc/passwd" and
 * "/etc/passwd" as link targets are outside. It describes the tree as it
 * is now: a caller that then opens path by name trusts the tree not to
 * change in between (see sysroot_fd_outside).
 */
char *sysroot_outside(const char *path);
/*
 * sysroot_fd_outside - the same for a file already open: where fd leads
 * when that is outside the root (from /proc/self/fd; NULL without /proc).
 * Checked after the open, it cannot be raced.
 */
char *sysroot_fd_outside(int fd);

/*
 * sysroot_take_option - remove "--root DIR" and "--root=DIR" from argv
 * (up to a "--") and set the root. Returns the new argc, or -1 with a
 * message on stderr when --root has no value.
 */
int sysroot_take_option(int argc, char **argv);

#endif
