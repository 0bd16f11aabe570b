/*
 * Address ranges ("127.0.0.1", "10.0.0.0/8", "::1", "fd00::/8") and
 * whether a peer's address falls in one: the [pool] allow list of web
 * servers that may connect to a pool listening on TCP.
 */
#ifndef CXHOOK_CIDR_H
#define CXHOOK_CIDR_H

#include <stdbool.h>
#include <sys/socket.h>

struct cidr {
	int		family;		/* AF_INET or AF_INET6 */
	unsigned char	addr[16];	/* network order, host bits zero */
	int		bits;		/* prefix length */
};

/* 0, or -1 if s is not an address or address/prefix. */
int	cidr_parse(const char *s, struct cidr *);
/*
 * Whether sa (AF_INET or AF_INET6; an IPv4-mapped IPv6 address counts as
 * the IPv4 one) is in one of the n ranges.
 */
bool	cidr_match(const struct cidr *, size_t n, const struct sockaddr *sa);

#endif
