/*
 * Money for speech, exact.  Amounts arrive as PostgreSQL numeric text
 * ("1250.75", "-42.50") and are formatted digit by digit, never through a
 * double, so $0.10 + $0.20 style rounding can never reach a caller.
 */
#include <stdio.h>
#include <string.h>

#include "handlers/wh.h"

struct currency {
	const char	*code;
	const char	*symbol;	/* UTF-8 */
};

static const struct currency currencies[] = {
	{ "USD", "$" }, { "EUR", "\xe2\x82\xac" }, { "GBP", "\xc2\xa3" },
	{ "CAD", "CA$" }, { "AUD", "A$" }, { "JPY", "\xc2\xa5" },
	{ "INR", "\xe2\x82\xb9" },
};

static const char *
symbol_for(const char *code)
{
	size_t	i;

	for (i = 0; i < sizeof(currencies) / sizeof(currencies[0]); i++)
		if (strcmp(currencies[i].code, code) == 0)
			return currencies[i].symbol;
	return NULL;
}

/* Checks "-?digits(.digits)?" and finds the integer part's length. */
static int
parse_amount(const char *s, int *neg, size_t *int_len, const char **frac)
{
	const char	*p = s;

	*neg = (*p == '-');
	if (*neg)
		p++;
	*int_len = strspn(p, "0123456789");
	if (*int_len == 0)
		return -1;
	*frac = p + *int_len;
	if (**frac == '.') {
		(*frac)++;
		if (strspn(*frac, "0123456789") != strlen(*frac) ||
		    **frac == '\0')
			return -1;
	} else if (**frac != '\0')
		return -1;
	return 0;
}

/*
 * "1250.75" USD -> "$1,250.75"; "-42.5" -> "-$42.50"; an unknown code
 * goes after the figure ("1,250.75 CHF").  Two decimals at least, more
 * when the amount has them.  Returns 0, or -1 when amount is not a
 * decimal number or out does not hold the result.
 */
int
money_format(const char *amount, const char *currency, char *out,
    size_t outsz)
{
	char		 digits[64];
	const char	*intp, *frac, *sym;
	size_t		 int_len, i, n = 0;
	int		 neg, w;

	if (parse_amount(amount, &neg, &int_len, &frac) == -1)
		return -1;
	intp = amount + neg;
	/* Strip leading zeros but keep one. */
	while (int_len > 1 && *intp == '0') {
		intp++;
		int_len--;
	}
	for (i = 0; i < int_len; i++) {
		if (n + 2 >= sizeof(digits))
			return -1;
		if (i > 0 && (int_len - i) % 3 == 0)
			digits[n++] = ',';
		digits[n++] = intp[i];
	}
	digits[n] = '\0';
	/* "-0.00" is said as "0.00". */
	if (neg && strspn(intp, "0") == int_len && strspn(frac, "0") ==
	    strlen(frac))
		neg = 0;
	sym = symbol_for(currency);
	if (sym != NULL)
		w = snprintf(out, outsz, "%s%s%s.%s%s", neg ? "-" : "", sym,
		    digits, frac, strlen(frac) == 0 ? "00" :
		    strlen(frac) == 1 ? "0" : "");
	else
		w = snprintf(out, outsz, "%s%s.%s%s %s", neg ? "-" : "",
		    digits, frac, strlen(frac) == 0 ? "00" :
		    strlen(frac) == 1 ? "0" : "", currency);
	return w < 0 || (size_t)w >= outsz ? -1 : 0;
}
