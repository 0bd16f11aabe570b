/*
 * The pool's listening socket, opened once by the master and inherited by
 * every worker: a unix socket with a configured mode, TCP on IPv4 or IPv6,
 * a socket from systemd (LISTEN_FDS), or one inherited on fd 0 as
 * lighttpd's bin-path and spawn-fcgi hand it over.
 */
#ifndef CXHOOK_LISTEN_H
#define CXHOOK_LISTEN_H

#include <stddef.h>

struct config;

/*
 * Returns the listening fd, or -1 with err set.  *unix_path is set to a
 * malloc'd path when this call created a unix socket that the master
 * should remove on exit (NULL otherwise).
 */
int	listen_open(const struct config *, char **unix_path, char *err,
	    size_t errsz);

#endif
