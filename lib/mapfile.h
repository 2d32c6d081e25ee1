/* mapfile - a regular file's bytes mapped read-only, NUL after them */
#ifndef PFC_MAPFILE_H
#define PFC_MAPFILE_H

#include <stddef.h>

/*
 * mapfile_text - map len bytes of the open regular file fd read-only,
 * followed by a NUL byte (a page of zeros when len fills its last page),
 * or NULL when it cannot (no slot left, mmap failed): the caller then
 * reads the file instead. path names the file in the message printed if
 * the file shrinks while mapped: reading past its new end raises SIGBUS,
 * which ends the process with "PROGRAM: fatal: PATH: file truncated while
 * it was being read" and status 1, after removing the temporary files of
 * publish_begin(), instead of a crash.
 *
 * Why map at all: a source of tens of megabytes read() into fresh memory
 * costs a page fault per page for that memory (several times the copy on
 * a virtual machine), and pfc keeps every source for its whole run; the
 * mapping is the page cache's own pages.
 */
char *mapfile_text(int fd, size_t len, const char *path);

/* mapfile_release - unmap what mapfile_text() returned for len bytes */
void mapfile_release(char *text, size_t len);

#endif
