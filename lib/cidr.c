/* Address ranges (cidr.h). */
#include <netinet/in.h>
#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/cidr.h"

int
cidr_parse(const char *s, struct cidr *c)
{
	char		 host[INET6_ADDRSTRLEN + 1], *end;
	const char	*slash = strchr(s, '/');
	size_t		 n = slash != NULL ? (size_t)(slash - s) : strlen(s);
	long		 bits;
	int		 max, i;

	if (n == 0 || n >= sizeof(host))
		return -1;
	memcpy(host, s, n);
	host[n] = '\0';
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, host, c->addr) == 1) {
		c->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, host, c->addr) == 1) {
		c->family = AF_INET6;
		max = 128;
	} else
		return -1;
	bits = max;
	if (slash != NULL) {
		if (slash[1] < '0' || slash[1] > '9')
			return -1;
		bits = strtol(slash + 1, &end, 10);
		if (*end != '\0' || bits < 0 || bits > max)
			return -1;
	}
	/* Host bits set ("10.1.2.3/8") are a typo more often than not. */
	for (i = (int)bits; i < max; i++)
		if (c->addr[i / 8] & (0x80 >> (i % 8)))
			return -1;
	c->bits = (int)bits;
	return 0;
}

static bool
prefix_eq(const unsigned char *a, const unsigned char *b, int bits)
{
	int	full = bits / 8, rest = bits % 8;

	if (memcmp(a, b, (size_t)full) != 0)
		return false;
	return rest == 0 ||
	    ((a[full] ^ b[full]) & (unsigned char)(0xff << (8 - rest))) == 0;
}

bool
cidr_match(const struct cidr *c, size_t n, const struct sockaddr *sa)
{
	static const unsigned char mapped[12] = {
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
	};
	const unsigned char	*a;
	int			 family;
	size_t			 i;

	if (sa->sa_family == AF_INET) {
		family = AF_INET;
		a = (const unsigned char *)
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
	} else if (sa->sa_family == AF_INET6) {
		family = AF_INET6;
		a = ((const struct sockaddr_in6 *)(const void *)sa)->
		    sin6_addr.s6_addr;
		if (memcmp(a, mapped, sizeof(mapped)) == 0) {
			family = AF_INET;
			a += 12;
		}
	} else
		return false;
	for (i = 0; i < n; i++)
		if (c[i].family == family && prefix_eq(c[i].addr, a, c[i].bits))
			return true;
	return false;
}
