/*
 * What libfcgi's configure finds on Debian 12 amd64 (the
 * /usr/include/fcgi_config.h of libfcgi-dev 2.4.2-2+deb12u1), reduced to
 * the macros fcgiapp.c and os_unix.c test.  Debian's own file is not used
 * so that building needs no libfcgi-dev.
 */
#define HAVE_ARPA_INET_H 1
#define HAVE_LIMITS_H 1
#define HAVE_NETDB_H 1
#define HAVE_NETINET_IN_H 1
#define HAVE_SYS_PARAM_H 1
#define HAVE_SYS_SOCKET_H 1
#define HAVE_SYS_TIME_H 1
#define HAVE_UNISTD_H 1
#define HAVE_SOCKLEN 1
#define HAVE_FPOS 1
#define HAVE_FILENO_PROTO 1
