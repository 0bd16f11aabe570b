/*
 * Allocation that never returns NULL.  In a prefork pool a worker that runs
 * out of memory is cheaper to lose than to nurse through untested error
 * branches: we log and abort, and the master forks a fresh worker.
 */
#ifndef CXHOOK_XALLOC_H
#define CXHOOK_XALLOC_H

#include <stddef.h>

void	*xmalloc(size_t);
void	*xcalloc(size_t, size_t);
void	*xrealloc(void *, size_t);
void	*xreallocarray(void *, size_t, size_t);
char	*xstrdup(const char *);
char	*xstrndup(const char *, size_t);

#endif
