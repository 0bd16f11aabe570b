/*
 * Unit tests for money_format() (handlers/money.c): exact decimal text in,
 * spoken money out, digit by digit, never through a double.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "handlers/wh.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

#define EURO	"\xe2\x82\xac"
#define POUND	"\xc2\xa3"

static void
test_format(void **state)
{
	static const struct {
		const char	*amount, *currency, *want;
	} t[] = {
		{ "1250.75", "USD", "$1,250.75" },
		{ "98234.10", "USD", "$98,234.10" },
		{ "-42.50", "USD", "-$42.50" },
		{ "0.00", "GBP", POUND "0.00" },
		{ "310.00", "EUR", EURO "310.00" },
		{ "1234567.5", "USD", "$1,234,567.50" },
		{ "100", "USD", "$100.00" },
		{ "-0.00", "USD", "$0.00" },
		{ "-0", "USD", "$0.00" },
		{ "12.345", "USD", "$12.345" },
		{ "1250.75", "CHF", "1,250.75 CHF" },
		{ "-1250.75", "CHF", "-1,250.75 CHF" },
		{ "0.1", "USD", "$0.10" },
		{ "0.10", "USD", "$0.10" },
		{ "-0.01", "USD", "-$0.01" },
		{ "-0.001", "USD", "-$0.001" },
		{ "1", "USD", "$1.00" },
		{ "12", "USD", "$12.00" },
		{ "123", "USD", "$123.00" },
		{ "1234", "USD", "$1,234.00" },
		{ "12345", "USD", "$12,345.00" },
		{ "123456", "USD", "$123,456.00" },
		{ "1000000", "USD", "$1,000,000.00" },
		{ "007.5", "USD", "$7.50" },
		{ "000", "USD", "$0.00" },
		{ "999999999999.99", "USD", "$999,999,999,999.99" },
		{ "-8.75", "USD", "-$8.75" },
		{ "2500.00", "CAD", "CA$2,500.00" },
		{ "5", "AUD", "A$5.00" },
		{ "5.5", "INR", "\xe2\x82\xb9" "5.50" },
	};
	char	out[64];
	size_t	i;

	for (i = 0; i < NITEMS(t); i++) {
		memset(out, 0, sizeof(out));
		if (money_format(t[i].amount, t[i].currency, out,
		    sizeof(out)) != 0)
			fail_msg("%s %s: failed", t[i].amount, t[i].currency);
		if (strcmp(out, t[i].want) != 0)
			fail_msg("%s %s: got \"%s\", want \"%s\"", t[i].amount,
			    t[i].currency, out, t[i].want);
	}
}

static void
test_bad_input(void **state)
{
	static const char *const t[] = {
		"abc", "", "1.2.3", "1e5", "--1", "-", ".", "1.", ".5", "+5",
		" 5", "5 ", "1,250.75", "0x10", "NaN", "Infinity", "-.5",
		"1.-5", "1..2", "5$",
	};
	char	out[64];
	size_t	i;

	for (i = 0; i < NITEMS(t); i++)
		if (money_format(t[i], "USD", out, sizeof(out)) != -1)
			fail_msg("\"%s\": accepted as \"%s\"", t[i], out);
}

static void
test_buffer_size(void **state)
{
	static const struct {
		const char	*amount, *currency, *want;
	} t[] = {
		{ "1250.75", "USD", "$1,250.75" },
		{ "-42.5", "EUR", "-" EURO "42.50" },
		{ "1250.75", "CHF", "1,250.75 CHF" },
	};
	char	out[64];
	size_t	i, sz, need, j;

	for (i = 0; i < NITEMS(t); i++) {
		need = strlen(t[i].want) + 1;
		for (sz = 0; sz <= need; sz++) {
			memset(out, '#', sizeof(out));
			if (money_format(t[i].amount, t[i].currency,
			    out, sz) != (sz == need ? 0 : -1))
				fail_msg("%s in %zu bytes: wrong outcome",
				    t[i].amount, sz);
			for (j = sz; j < sizeof(out); j++)
				if (out[j] != '#')
					fail_msg("%s in %zu bytes: wrote byte "
					    "%zu", t[i].amount, sz, j);
		}
		assert_string_equal(out, t[i].want);
	}
}

/* Amounts longer than any numeric(14,2) are refused, not overrun. */
static void
test_huge_amount(void **state)
{
	char	amount[128], out[256];

	memset(amount, '9', 100);
	amount[100] = '\0';
	assert_int_equal(money_format(amount, "USD", out, sizeof(out)), -1);
	memset(amount, '9', 30);
	strcpy(amount + 30, ".99");
	assert_int_equal(money_format(amount, "USD", out, sizeof(out)), 0);
	assert_int_equal(strlen(out), 1 + 30 + 9 + 3);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_bad_input),
		cmocka_unit_test(test_buffer_size),
		cmocka_unit_test(test_huge_amount),
	};

	return cmocka_run_group_tests_name("money", tests, NULL, NULL);
}
