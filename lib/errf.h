/*
 * Error text into a caller's buffer, for functions that return -1 and
 * leave the reason to the caller (Redis anet.c style).
 */
#ifndef CXHOOK_ERRF_H
#define CXHOOK_ERRF_H

#include <stddef.h>

/* Formats into err and returns -1, so that `return errf(...)` reads well. */
int	errf(char *err, size_t errsz, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

#endif
