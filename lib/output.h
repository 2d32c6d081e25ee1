/*
 * output - buffered standard output with Postfix's VSTREAM behaviour: data
 * reaches stdout in whole 4096-byte blocks, and whatever is still buffered
 * when a fatal error ends the program is lost. Tools that must print exactly
 * what the Postfix tool prints, even when it dies half-way, write here.
 */
#ifndef PFC_OUTPUT_H
#define PFC_OUTPUT_H

#include <stddef.h>

void out_write(const char *data, size_t len);
void out_puts(const char *s);
void out_putc(int ch);
/* out_flush - write what is buffered; returns -1 on a write error */
int out_flush(void);
/*
 * out_finish - flush at the end of a command; a write error on the way is
 * an I/O failure: one message and exit status 2.
 */
void out_finish(void);

#endif
