/*
 * Unit tests for textkey_normalize(), driven by tables of byte strings.
 * Every input is copied into a malloc'd buffer of exactly its length, with
 * no NUL after it, so ASan catches a read past inlen.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "lib/textkey.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

struct good {
	const char	*in;
	size_t		 len;
	const char	*want;
};

struct bad {
	const char	*in;
	size_t		 len;
	const char	*why;
};

/* sizeof, not strlen: some inputs hold NUL bytes. */
#define GOOD(lit, want)	{ (lit), sizeof(lit) - 1, (want) }
#define BAD(lit, why)	{ (lit), sizeof(lit) - 1, (why) }

static const struct good goods[] = {
	GOOD("London", "london"),
	GOOD("london", "london"),
	GOOD(" LONDON ", "london"),
	GOOD("Lon  don", "lon don"),
	GOOD("New York", "new york"),
	/* NFC and NFD spellings of São Paulo. */
	GOOD("S\xc3\xa3o Paulo", "s\xc3\xa3o paulo"),
	GOOD("Sa\xcc\x83o Paulo", "s\xc3\xa3o paulo"),
	GOOD("SA\xcc\x83O PAULO", "s\xc3\xa3o paulo"),
	/* Fullwidth ＬＯＮＤＯＮ. */
	GOOD("\xef\xbc\xac\xef\xbc\xaf\xef\xbc\xae\xef\xbc\xa4\xef\xbc\xaf"
	    "\xef\xbc\xae", "london"),
	GOOD("Stra\xc3\x9f" "e", "strasse"),
	GOOD("STRASSE", "strasse"),
	/* The fi ligature U+FB01. */
	GOOD("\xef\xac\x81renze", "firenze"),
	/*
	 * No Turkish locale: İ (U+0130) folds to i + U+0307, the dotless ı
	 * stays, and only plain I gives plain i.
	 */
	GOOD("\xc4\xb0stanbul", "i\xcc\x87stanbul"),
	GOOD("\xc4\xb0STANBUL", "i\xcc\x87stanbul"),
	GOOD("Istanbul", "istanbul"),
	GOOD("\xc4\xb1stanbul", "\xc4\xb1stanbul"),
	/* Spaces: U+00A0, U+3000, U+2003, U+202F, U+1680, U+2028. */
	GOOD("New\xc2\xa0York", "new york"),
	GOOD("\xc2\xa0New \xc2\xa0 York\xc2\xa0", "new york"),
	GOOD("\xe3\x80\x80Tokyo\xe3\x80\x80", "tokyo"),
	GOOD("Rio\xe2\x80\x83" "de\xe2\x80\xaf" "Janeiro", "rio de janeiro"),
	GOOD("a\xe1\x9a\x80" "b\xe2\x80\xa8" "c", "a b c"),
	/* Tab, newline, CR, VT, FF and U+0085 are white space too. */
	GOOD("New\tYork\n", "new york"),
	GOOD("\r\nNew\r\n\t York\x0b\x0c", "new york"),
	GOOD("a\xc2\x85" "b", "a b"),
	/* Default-ignorables go: U+200B, U+00AD. */
	GOOD("Lon\xe2\x80\x8b" "don", "london"),
	GOOD("Lon\xc2\xad" "don", "london"),
	/* Nothing but space is the empty key. */
	GOOD("", ""),
	GOOD("  \t\xc2\xa0 ", ""),
	/* Non-BMP text survives the trip through UTF-16. */
	GOOD("\xf0\x9f\x8c\x8d Earth", "\xf0\x9f\x8c\x8d earth"),
	/* Deseret capital long I folds to its small form. */
	GOOD("\xf0\x90\x90\x80", "\xf0\x90\x90\xa8"),
};

static const struct bad bads[] = {
	BAD("\xff", "invalid byte"),
	BAD("Lond\xc3", "truncated sequence"),
	BAD("\xc3(", "bad continuation"),
	BAD("\xc0\xaf", "overlong"),
	BAD("\xe0\x80\xaf", "overlong, 3 bytes"),
	BAD("\xed\xa0\x80", "encoded surrogate"),
	BAD("\xf4\x90\x80\x80", "beyond U+10FFFF"),
	BAD("\x80", "lone continuation"),
	BAD("Lon\0don", "embedded NUL"),
	BAD("\0", "NUL alone"),
	BAD("Lon\x01" "don", "C0 control"),
	BAD("\x1b[31mred", "escape"),
	BAD("Lon\x7f" "don", "DEL"),
	BAD("Lon\xc2\x80" "don", "C1 control"),
	BAD("Lon\xc2\x9f" "don", "C1 control"),
};

static int
norm(const char *in, size_t len, char *out, size_t outsz)
{
	char	*copy;
	int	 rc;

	copy = malloc(len > 0 ? len : 1);
	assert_non_null(copy);
	memcpy(copy, in, len);
	rc = textkey_normalize(copy, len, out, outsz);
	free(copy);
	return rc;
}

static void
test_good(void **state)
{
	char	out[256], again[256];
	size_t	i;

	for (i = 0; i < NITEMS(goods); i++) {
		memset(out, 'x', sizeof(out));
		if (norm(goods[i].in, goods[i].len, out, sizeof(out)) != 0)
			fail_msg("goods[%zu] \"%s\" failed", i, goods[i].in);
		if (strcmp(out, goods[i].want) != 0)
			fail_msg("goods[%zu] \"%s\": got \"%s\", want \"%s\"",
			    i, goods[i].in, out, goods[i].want);
		/* A key is its own key. */
		assert_int_equal(norm(out, strlen(out), again, sizeof(again)),
		    0);
		assert_string_equal(again, out);
	}
}

static void
test_bad(void **state)
{
	char	out[256];
	size_t	i;

	for (i = 0; i < NITEMS(bads); i++) {
		memset(out, 'x', sizeof(out));
		if (norm(bads[i].in, bads[i].len, out, sizeof(out)) != -1)
			fail_msg("bads[%zu] (%s) accepted", i, bads[i].why);
		assert_string_equal(out, "");
	}
}

/* Only inlen bytes are read: the input needs no NUL. */
static void
test_inlen(void **state)
{
	char	out[64];

	assert_int_equal(norm("Londonderry", 6, out, sizeof(out)), 0);
	assert_string_equal(out, "london");
}

static void
test_input_bound(void **state)
{
	char	in[TEXTKEY_IN_MAX + 1], out[TEXTKEY_IN_MAX + 1];

	memset(in, 'A', sizeof(in));
	assert_int_equal(norm(in, TEXTKEY_IN_MAX, out, sizeof(out)), 0);
	assert_int_equal(strlen(out), TEXTKEY_IN_MAX);
	assert_int_equal(out[0], 'a');
	assert_int_equal(norm(in, TEXTKEY_IN_MAX + 1, out, sizeof(out)), -1);
	assert_string_equal(out, "");
}

static void
test_output_bound(void **state)
{
	char	out[8];

	/* The key and its NUL must fit. */
	assert_int_equal(norm("LONDON", 6, out, 7), 0);
	assert_string_equal(out, "london");
	assert_int_equal(norm("LONDON", 6, out, 6), -1);
	assert_string_equal(out, "");
	assert_int_equal(norm("  LONDON  ", 10, out, 7), 0);
	/* Straße grows by one byte. */
	assert_int_equal(norm("Stra\xc3\x9f" "e", 7, out, 8), 0);
	assert_int_equal(norm("Stra\xc3\x9f" "e", 7, out, 7), -1);
	assert_int_equal(norm("x", 1, out, 0), -1);
}

/*
 * The worst expansion NFKC_Casefold has: U+FDFA (3 bytes) becomes 18
 * characters.  A full input of it must neither overflow nor be cut.
 */
static void
test_expansion(void **state)
{
	static const char	fdfa[] = "\xef\xb7\xba";
	char			in[TEXTKEY_IN_MAX], *out;
	size_t			i, n = TEXTKEY_IN_MAX / 3, one;

	out = malloc(8192);
	assert_non_null(out);
	assert_int_equal(norm(fdfa, 3, out, 8192), 0);
	one = strlen(out);
	assert_true(one > 18);
	for (i = 0; i < n; i++)
		memcpy(in + 3 * i, fdfa, 3);
	assert_int_equal(norm(in, 3 * n, out, 8192), 0);
	assert_int_equal(strlen(out), one * n);
	assert_int_equal(norm(in, 3 * n, out, 128), -1);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_bad),
		cmocka_unit_test(test_inlen),
		cmocka_unit_test(test_input_bound),
		cmocka_unit_test(test_output_bound),
		cmocka_unit_test(test_expansion),
	};

	return cmocka_run_group_tests_name("textkey", tests, NULL, NULL);
}
