/* Opening the listening socket (see listen.h). */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "config/config.h"
#include "fcgi/listen.h"
#include "lib/errf.h"
#include "lib/xalloc.h"

/*
 * Refuses to unlink a socket somebody still listens on: two pools on one
 * path would silently split the traffic (PHP-FPM does the same check).
 */
static int
socket_in_use(const struct sockaddr_un *sun)
{
	int	fd, rc;

	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return 0;
	rc = connect(fd, (const struct sockaddr *)sun, sizeof(*sun));
	close(fd);
	return rc == 0;
}

static int
open_unix(const struct config *cfg, const char *path, char **unix_path,
    char *err, size_t errsz)
{
	struct sockaddr_un	sun;
	mode_t			old;
	int			fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path))
		return errf(err, errsz, "%s: socket path too long", path);
	strcpy(sun.sun_path, path);
	if (socket_in_use(&sun))
		return errf(err, errsz, "%s: another process is listening "
		    "on this socket", path);
	if (unlink(path) == -1 && errno != ENOENT)
		return errf(err, errsz, "%s: %s", path, strerror(errno));
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return errf(err, errsz, "socket: %s", strerror(errno));
	/* Created with no access, then opened up to exactly socket_mode. */
	old = umask(0777);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		umask(old);
		errf(err, errsz, "%s: bind: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	umask(old);
	if (chmod(path, (mode_t)cfg->socket_mode) == -1 ||
	    listen(fd, cfg->backlog) == -1) {
		errf(err, errsz, "%s: %s", path, strerror(errno));
		unlink(path);
		close(fd);
		return -1;
	}
	*unix_path = xstrdup(path);
	return fd;
}

static int
open_tcp(const struct config *cfg, const char *spec, char *err, size_t errsz)
{
	struct addrinfo	 hints, *res = NULL;
	char		 host[256];
	const char	*colon, *port;
	size_t		 hlen;
	int		 fd = -1, one = 1, rc;

	colon = strrchr(spec, ':');
	port = colon + 1;
	hlen = (size_t)(colon - spec);
	if (spec[0] == '[') {
		spec++;
		hlen -= 2;
	}
	if (hlen >= sizeof(host))
		return errf(err, errsz, "%s: host name too long", spec);
	memcpy(host, spec, hlen);
	host[hlen] = '\0';

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	if ((rc = getaddrinfo(hlen > 0 ? host : NULL, port, &hints,
	    &res)) != 0)
		return errf(err, errsz, "%s: %s", cfg->listen,
		    gai_strerror(rc));
	fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC,
	    res->ai_protocol);
	if (fd == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) == -1 ||
	    bind(fd, res->ai_addr, res->ai_addrlen) == -1 ||
	    listen(fd, cfg->backlog) == -1) {
		errf(err, errsz, "%s: %s", cfg->listen, strerror(errno));
		if (fd != -1)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	return fd;
}

static int
check_inherited(int fd, const char *what, char *err, size_t errsz)
{
	if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0)
		return errf(err, errsz, "%s: fd %d is not a listening stream "
		    "socket", what, fd);
	fcntl(fd, F_SETFD, FD_CLOEXEC);
	return fd;
}

int
listen_open(const struct config *cfg, char **unix_path, char *err,
    size_t errsz)
{
	int	n;

	*unix_path = NULL;
	if (strcmp(cfg->listen, "stdin") == 0)
		return check_inherited(0, "stdin", err, errsz);
	if (strcmp(cfg->listen, "systemd") == 0) {
		n = sd_listen_fds(1);
		if (n != 1)
			return errf(err, errsz, "systemd: expected 1 socket "
			    "in LISTEN_FDS, got %d", n < 0 ? 0 : n);
		return check_inherited(SD_LISTEN_FDS_START, "systemd", err,
		    errsz);
	}
	if (strncmp(cfg->listen, "unix:", 5) == 0)
		return open_unix(cfg, cfg->listen + 5, unix_path, err, errsz);
	return open_tcp(cfg, cfg->listen, err, errsz);
}
