/*
 * move_new - give a file its final name, never in place of another
 * file: what link(2) then unlink(2) of the old name do (a queue file's
 * ID, a Maildir file into new/), in one step where the file system can
 * (renameat2 with RENAME_NOREPLACE: one directory operation and one
 * system call fewer per file).
 */
#ifndef PFC_MOVE_NEW_H
#define PFC_MOVE_NEW_H

/*
 * move_new - rename from to to unless to exists: 0, or -1 with errno
 * (EEXIST: to exists, from is left as it was). Where the file system
 * refuses RENAME_NOREPLACE, link() and unlink(): the same outcome, with
 * from and to both present for a moment.
 */
int move_new(const char *from, const char *to);

#endif
