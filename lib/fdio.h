/* fdio - whole writes to a file descriptor */
#ifndef PFC_FDIO_H
#define PFC_FDIO_H

#include <stddef.h>

/*
 * fd_write_all - all len bytes of data to fd, write(2) after write(2),
 * again after a signal; 0, or -1 when write(2) fails (errno) or writes
 * nothing.
 */
int fd_write_all(int fd, const void *data, size_t len);

#endif
