/*
 * queue_id - Postfix's queue IDs (SPEC-runtime 5.1): the short form,
 * microseconds as %05X then the inode number in upper-case hex, and the
 * long form (enable_long_queue_ids), seconds and microseconds in base 52,
 * 'z', the inode in base 51, over an alphabet without vowels.
 */
#ifndef PFC_QUEUE_ID_H
#define PFC_QUEUE_ID_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

void queue_id_make(char *buf, size_t size, time_t sec, long usec, ino_t ino, int long_ids);

/* queue_id_ok - does name look like a queue ID (so a scan skips other files)? */
int queue_id_ok(const char *name);

#endif
