/* Unit tests for address ranges (lib/cidr.c), the [pool] allow list. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "lib/cidr.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static bool
match(const char *range, const char *addr)
{
	struct sockaddr_storage	ss;
	struct sockaddr_in	*in4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6	*in6 = (struct sockaddr_in6 *)&ss;
	struct cidr		c;

	assert_int_equal(cidr_parse(range, &c), 0);
	memset(&ss, 0, sizeof(ss));
	if (inet_pton(AF_INET, addr, &in4->sin_addr) == 1)
		ss.ss_family = AF_INET;
	else {
		assert_int_equal(inet_pton(AF_INET6, addr, &in6->sin6_addr), 1);
		ss.ss_family = AF_INET6;
	}
	return cidr_match(&c, 1, (struct sockaddr *)&ss);
}

static void
test_parse(void **state)
{
	static const char *const good[] = {
		"127.0.0.1", "10.0.0.0/8", "0.0.0.0/0", "192.168.1.128/25",
		"::1", "fd00::/8", "::/0", "2001:db8::/32",
	};
	static const char *const bad[] = {
		"", "/8", "10.0.0.0/", "10.0.0.0/33", "10.0.0.0/-1", "10.0.0.0/8x",
		"10.1.2.3/8", "localhost", "10.0.0", "::1/129", "fd00::1/8",
		"10.0.0.0/ 8", " 10.0.0.1",
	};
	struct cidr	c;
	size_t		i;

	(void)state;
	for (i = 0; i < NITEMS(good); i++)
		if (cidr_parse(good[i], &c) != 0)
			fail_msg("\"%s\" refused", good[i]);
	for (i = 0; i < NITEMS(bad); i++)
		if (cidr_parse(bad[i], &c) != -1)
			fail_msg("\"%s\" accepted", bad[i]);
}

static void
test_match(void **state)
{
	(void)state;
	assert_true(match("127.0.0.1", "127.0.0.1"));
	assert_false(match("127.0.0.1", "127.0.0.2"));
	assert_true(match("10.0.0.0/8", "10.255.1.2"));
	assert_false(match("10.0.0.0/8", "11.0.0.1"));
	assert_true(match("192.168.1.128/25", "192.168.1.200"));
	assert_false(match("192.168.1.128/25", "192.168.1.127"));
	assert_true(match("0.0.0.0/0", "8.8.8.8"));
	assert_true(match("::1", "::1"));
	assert_false(match("::1", "::2"));
	assert_true(match("fd00::/8", "fd12:3456::1"));
	/* An IPv4 peer on an IPv6 socket is the IPv4 address. */
	assert_true(match("127.0.0.1", "::ffff:127.0.0.1"));
	assert_false(match("127.0.0.1", "::ffff:127.0.0.2"));
	/* And never matches an IPv6 range by accident. */
	assert_false(match("::/0", "127.0.0.1"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_match),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
