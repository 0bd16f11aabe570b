/*
 * A growable byte buffer, always NUL-terminated so that its contents can be
 * handed to C string functions; the length is authoritative, since bodies
 * may legally contain NUL bytes.  Init/clear pairs live on the caller's
 * stack: struct buf b; buf_init(&b); ... buf_clear(&b);
 */
#ifndef CXHOOK_BUF_H
#define CXHOOK_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*p;
	size_t	 len;
	size_t	 cap;
};

void	buf_init(struct buf *);
void	buf_clear(struct buf *);	/* frees the memory */
void	buf_reset(struct buf *);	/* keeps the memory, len = 0 */
void	buf_reserve(struct buf *, size_t);
void	buf_append(struct buf *, const void *, size_t);
void	buf_puts(struct buf *, const char *);
void	buf_putc(struct buf *, char);
void	buf_printf(struct buf *, const char *, ...)
	    __attribute__((format(printf, 2, 3)));
void	buf_vprintf(struct buf *, const char *, va_list)
	    __attribute__((format(printf, 2, 0)));

#endif
