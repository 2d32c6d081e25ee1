/*
 * sysroot - "--root DIR": a configuration kept in a repository names its
 * files by their deployed paths (hash:/etc/postfix/virtual); with a root,
 * every absolute path pfc opens is taken under DIR, as a compiler's
 * --sysroot does. Relative paths are left alone.
 */
#ifndef PFC_SYSROOT_H
#define PFC_SYSROOT_H

/* sysroot_set - the root directory (NULL: none, the default) */
void sysroot_set(const char *dir);
const char *sysroot_get(void);

/* sysroot_path - path as pfc opens it (a new string) */
char *sysroot_path(const char *path);

/*
 * sysroot_take_option - remove "--root DIR" and "--root=DIR" from argv
 * (up to a "--") and set the root. Returns the new argc, or -1 with a
 * message on stderr when --root has no value.
 */
int sysroot_take_option(int argc, char **argv);

#endif
