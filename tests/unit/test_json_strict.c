/*
 * Unit tests for json_strict_check(), one test per category of
 * json_strict.h, each driven by a table of embedded byte strings (the
 * tests never read files, so they do not depend on the working directory).
 * Every input is copied into a malloc'd buffer of exactly len + 1 bytes,
 * so ASan catches any read past the NUL the contract promises.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "cx/cx.h"
#include "cx/json_strict.h"

#define DEPTH		64

struct doc {
	const char	*s;
	size_t		 len;
};

struct bad {
	const char	*s;
	size_t		 len;
	const char	*want;		/* a substring of the message */
};

/* sizeof, not strlen: some inputs hold NUL bytes. */
#define DOC(lit)		{ (lit), sizeof(lit) - 1 }
#define BAD(lit, want)		{ (lit), sizeof(lit) - 1, (want) }
#define NITEMS(a)		(sizeof(a) / sizeof((a)[0]))

/* The halfway point between DBL_MAX and 2^1024, as an integer. */
static const char dbl_overflow[] =
	"179769313486231580793728971405303415079934132710037826936173"
	"778980444968292764750946649017977587207096330286416692887910"
	"946555547851940402630657488671505820681908902000708383676273"
	"854845817711531764475730270069855571366959622842914819860834"
	"936475292719074168444365510704342711559699508093042880177904"
	"174497792";

static char *
body_dup(const char *s, size_t len)
{
	char	*b;

	b = malloc(len + 1);
	assert_non_null(b);
	if (len > 0)
		memcpy(b, s, len);
	b[len] = '\0';
	return b;
}

static int
check(const char *s, size_t len, int max_depth, struct cx_err *err)
{
	char	*b;
	int	 rc;

	b = body_dup(s, len);
	memset(err->msg, 0, sizeof(err->msg));
	rc = json_strict_check(b, len, max_depth, err);
	free(b);
	return rc;
}

static void
expect_ok(const char *s, size_t len, int max_depth)
{
	struct cx_err	err;

	if (check(s, len, max_depth, &err) != 0)
		fail_msg("refused (%s): %.*s", err.msg, len > 200 ? 200 :
		    (int)len, s);
}

static void
expect_bad(const char *s, size_t len, int max_depth, const char *want)
{
	struct cx_err	err;
	int		rc;

	rc = check(s, len, max_depth, &err);
	if (rc != -1)
		fail_msg("accepted (rc %d): %.*s", rc, len > 200 ? 200 :
		    (int)len, s);
	if (err.msg[0] == '\0' || strstr(err.msg, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\" for: %.*s", err.msg,
		    want, len > 200 ? 200 : (int)len, s);
}

static void
run_ok(const struct doc *t, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		expect_ok(t[i].s, t[i].len, DEPTH);
}

static void
run_bad(const struct bad *t, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		expect_bad(t[i].s, t[i].len, DEPTH, t[i].want);
}

/* A growable string for generated inputs. */
struct sbuf {
	char	*p;
	size_t	 len, cap;
};

static void
sb_add(struct sbuf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		b->p = realloc(b->p, b->cap);
		assert_non_null(b->p);
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
sb_puts(struct sbuf *b, const char *s)
{
	sb_add(b, s, strlen(s));
}

static void
sb_rep(struct sbuf *b, const char *s, size_t times)
{
	while (times-- > 0)
		sb_puts(b, s);
}

static void
sb_free(struct sbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static void
test_accepts(void **state)
{
	static const struct doc t[] = {
		DOC("{}"),
		DOC(" \t\r\n{ \t\r\n} \t\r\n"),
		DOC("{\"a\":1}"),
		DOC("{\"\":\"\"}"),
		DOC("{\"a\":{},\"b\":[],\"c\":[[]],\"d\":[{}]}"),
		DOC("{\"a\":{\"b\":[1,2,{\"c\":null}]},\"d\":[true,false]}"),
		DOC("{\"t\":true,\"f\":false,\"n\":null,\"s\":\"x\",\"i\":-12,"
		    "\"d\":1.5e-3,\"a\":[\"\",0,{}]}"),
		DOC("{ \"a\" : [ 1 , 2 ] , \"b\" : { } }"),
		/* escapes */
		DOC("{\"s\":\"\\\" \\\\ \\/ \\b \\f \\n \\r \\t\"}"),
		DOC("{\"s\":\"\\u00e9\\u20AC\\uFFFF\\u0041\\u007f\"}"),
		DOC("{\"s\":\"\\ud83d\\ude00\"}"),
		DOC("{\"s\":\"\\uD83D\\uDE00\"}"),
		DOC("{\"s\":\"\\uD800\\uDC00 \\uDBFF\\uDFFF\"}"),
		DOC("{\"s\":\"\\u0000\"}"),
		DOC("{\"s\":\"a\\u0000b\",\"t\":[\"\\u0000\"]}"),
		DOC("{\"\\ud83d\\ude00\":1}"),
		/* raw UTF-8 at each boundary of RFC 3629 */
		DOC("{\"s\":\"\xc2\x80\"}"),
		DOC("{\"s\":\"\xdf\xbf\"}"),
		DOC("{\"s\":\"\xe0\xa0\x80\"}"),
		DOC("{\"s\":\"\xed\x9f\xbf\"}"),
		DOC("{\"s\":\"\xee\x80\x80\"}"),
		DOC("{\"s\":\"\xef\xbf\xbf\"}"),
		DOC("{\"s\":\"\xf0\x90\x80\x80\"}"),
		DOC("{\"s\":\"\xf4\x8f\xbf\xbf\"}"),
		DOC("{\"s\":\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"}"),
		DOC("{\"\xef\xbf\xbd\":1}"),
		DOC("{\"s\":\"\x7f\"}"),
		/* numbers */
		DOC("{\"n\":[0,-0,0.0,-0.0,1,-1,10,0.5,-0.5,123.456e-7]}"),
		DOC("{\"n\":[1e0,1E0,1e+0,1e-0,1E+2,1.0e+10,0e999999999999]}"),
		DOC("{\"n\":[1e308,1E+308,-1e308,1.7976931348623157e308]}"),
		DOC("{\"n\":[-1.7976931348623157e308,1.7976931348623158e308]}"),
		DOC("{\"n\":[1e-999,-1e-999,1e-400,4.9e-324,2.2250738585072014e-308]}"),
		DOC("{\"n\":[0.000e99999,0.0e-99999999999999999999]}"),
		DOC("{\"n\":[-9223372036854775808,9223372036854775807]}"),
		DOC("{\"n\":[18446744073709551615,18446744073709551614]}"),
		DOC("{\"n\":[1e20,1.8446744073709551616e19,-9.3e18]}"),
		DOC("{\"n\":0.1e309,\"m\":17976931348623157e292}"),
		/* keys that only look alike */
		DOC("{\"a\":1,\"A\":2,\"a \":3,\"ab\":4,\"b\":5}"),
		DOC("{\"\\u0061b\":1,\"a\":2}"),
		DOC("{\"a\\u0000\":1,\"a\":2,\"a\\u0001\":3}"),
	};

	(void)state;
	run_ok(t, NITEMS(t));
}

static void
test_refuses_structure(void **state)
{
	static const struct bad t[] = {
		BAD("", "empty body"),
		BAD(" \r\n\t \n", "empty body"),
		BAD("[]", "not a JSON object"),
		BAD("[{}]", "not a JSON object"),
		BAD("\"x\"", "not a JSON object"),
		BAD("42", "not a JSON object"),
		BAD("-1", "not a JSON object"),
		BAD("true", "not a JSON object"),
		BAD("false", "not a JSON object"),
		BAD("null", "not a JSON object"),
		BAD("<html><body>502 Bad Gateway</body></html>",
		    "not a JSON object"),
		BAD("a=1&b=2", "not a JSON object"),
		BAD("\xef\xbb\xbf{}", "byte order mark"),
		BAD("\xff\xfe{\0}\0", "not a JSON object"),
		BAD("{\0\"\0a\0\"\0:\0001\0}\0", "expected a key or '}' at byte 1"),
		BAD("{} x", "trailing data after the JSON object at byte 3"),
		BAD("{}{}", "trailing data"),
		BAD("{}\n{}", "trailing data"),
		BAD("{}\0", "trailing data after the JSON object at byte 2"),
		BAD("{}\n\0", "trailing data"),
		BAD("{}]", "trailing data"),
		BAD("{\"a\":1}//c", "trailing data"),
		BAD("{", "unexpected end of input at byte 1"),
		BAD("{\"a\"", "unexpected end of input"),
		BAD("{\"a\":", "unexpected end of input"),
		BAD("{\"a\":1", "unexpected end of input"),
		BAD("{\"a\":1,", "unexpected end of input"),
		BAD("{\"a\":[1,2", "unexpected end of input"),
		BAD("{\"a\":\"abc", "unexpected end of input"),
		BAD("{\"a\":\"abc\\", "unexpected end of input"),
		BAD("{\"a", "unexpected end of input"),
		BAD("{,}", "expected a key or '}'"),
		BAD("{\"a\":1,}", "expected a key at"),
		BAD("{\"a\":1,,\"b\":2}", "expected a key at"),
		BAD("{\"a\" 1}", "expected ':'"),
		BAD("{\"a\"::1}", "expected a value"),
		BAD("{\"a\":}", "expected a value"),
		BAD("{\"a\":[1,]}", "expected a value"),
		BAD("{\"a\":[,1]}", "expected a value"),
		BAD("{\"a\":[}", "expected a value"),
		BAD("{\"a\":1 \"b\":2}", "expected ',' or '}'"),
		BAD("{\"a\":[1 2]}", "expected ',' or ']'"),
		BAD("{\"a\":[1}", "expected ',' or ']'"),
		BAD("{\"a\":{]}", "expected a key or '}'"),
		BAD("{\"a\":1]", "expected ',' or '}'"),
		BAD("{'a':1}", "expected a key"),
		BAD("{a:1}", "expected a key"),
		BAD("{\"a\":'x'}", "expected a value"),
		BAD("{/*c*/}", "expected a key"),
		BAD("{\"a\":undefined}", "expected a value"),
		BAD("{\0}", "expected a key"),
		BAD("{\"a\":\0}", "expected a value"),
		BAD("{\"a\"\0:1}", "expected ':'"),
		BAD("{\"a\":1\f}", "expected ','"),
		BAD("{\"a\":1\v}", "expected ','"),
		BAD("{\"a\":1\xc2\xa0}", "expected ','"),
	};

	(void)state;
	run_bad(t, NITEMS(t));
}

static void
test_refuses_utf8(void **state)
{
	static const struct bad t[] = {
		BAD("{\"s\":\"\xc0\xaf\"}", "invalid UTF-8 at byte 6"),
		BAD("{\"s\":\"\xc1\xbf\"}", "invalid UTF-8"),
		BAD("{\"s\":\"\xe0\x80\xaf\"}", "invalid UTF-8"),
		BAD("{\"s\":\"\xe0\x9f\xbf\"}", "invalid UTF-8"),
		BAD("{\"s\":\"\xf0\x80\x80\xaf\"}", "invalid UTF-8"),
		BAD("{\"s\":\"\xf0\x8f\xbf\xbf\"}", "invalid UTF-8"),
		BAD("{\"s\":\"\xed\xa0\x80\"}", "invalid UTF-8"),
		BAD("{\"s\":\"\xed\xbf\xbf\"}", "invalid UTF-8"),
		BAD("{\"s\":\"\xed\xa0\xbd\xed\xb8\x80\"}", "invalid UTF-8"),
		BAD("{\"s\":\"\xf4\x90\x80\x80\"}", "invalid UTF-8"),
		BAD("{\"s\":\"\xf5\x80\x80\x80\"}", "invalid UTF-8"),
		BAD("{\"s\":\"\xf8\x88\x80\x80\x80\"}", "invalid UTF-8"),
		BAD("{\"s\":\"\xfe\"}", "invalid UTF-8"),
		BAD("{\"s\":\"\xff\"}", "invalid UTF-8"),
		BAD("{\"s\":\"\x80\"}", "invalid UTF-8"),
		BAD("{\"s\":\"\xbf\"}", "invalid UTF-8"),
		BAD("{\"s\":\"\xc3\xa9\xa9\"}", "invalid UTF-8 at byte 8"),
		BAD("{\"s\":\"\xe2\x82\"}", "invalid UTF-8"),
		BAD("{\"s\":\"\xf0\x9f\x98\"}", "invalid UTF-8"),
		BAD("{\"s\":\"\xc3\x28\"}", "invalid UTF-8"),
		BAD("{\"s\":\"\xe2\x28\xa1\"}", "invalid UTF-8"),
		BAD("{\"s\":\"\xc3", "invalid UTF-8"),
		BAD("{\"s\":\"\xc3\0\"}", "invalid UTF-8"),
		BAD("{\"s\":\"caf\xe9\"}", "invalid UTF-8 at byte 9"),
		BAD("{\"\xc0\xaf\":1}", "invalid UTF-8 at byte 2"),
		BAD("{\"s\":[\"ok\",\"ab\xff\"]}", "invalid UTF-8 at byte 14"),
	};

	(void)state;
	run_bad(t, NITEMS(t));
}

static void
test_refuses_strings(void **state)
{
	static const struct bad t[] = {
		BAD("{\"s\":\"\x01\"}", "control character in string at byte 6"),
		BAD("{\"s\":\"\x1f\"}", "control character"),
		BAD("{\"s\":\"a\tb\"}", "control character"),
		BAD("{\"s\":\"a\nb\"}", "control character"),
		BAD("{\"s\":\"a\rb\"}", "control character"),
		BAD("{\"s\":\"a\0b\"}", "control character in string at byte 7"),
		BAD("{\"a\nb\":1}", "control character"),
		BAD("{\"s\":\"\\x41\"}", "invalid escape at byte 6"),
		BAD("{\"s\":\"\\'\"}", "invalid escape"),
		BAD("{\"s\":\"\\a\"}", "invalid escape"),
		BAD("{\"s\":\"\\U0041\"}", "invalid escape"),
		BAD("{\"s\":\"\\0\"}", "invalid escape"),
		BAD("{\"s\":\"\\ \"}", "invalid escape"),
		BAD("{\"s\":\"\\\n\"}", "invalid escape"),
		BAD("{\"s\":\"\\\0\"}", "invalid escape"),
		BAD("{\"s\":\"\\u12\"}", "invalid \\u escape"),
		BAD("{\"s\":\"\\u12G4\"}", "invalid \\u escape"),
		BAD("{\"s\":\"\\u\"}", "invalid \\u escape"),
		BAD("{\"s\":\"\\u 123\"}", "invalid \\u escape"),
		BAD("{\"s\":\"\\u+123\"}", "invalid \\u escape"),
		BAD("{\"s\":\"\\u12", "invalid \\u escape"),
		BAD("{\"s\":\"\\uD800\"}", "unpaired surrogate escape at byte 6"),
		BAD("{\"s\":\"\\uDBFF\"}", "unpaired surrogate"),
		BAD("{\"s\":\"\\uDC00\"}", "unpaired surrogate"),
		BAD("{\"s\":\"\\udfff\"}", "unpaired surrogate"),
		BAD("{\"s\":\"\\uD800\\u0041\"}", "unpaired surrogate"),
		BAD("{\"s\":\"\\uD800x\"}", "unpaired surrogate"),
		BAD("{\"s\":\"\\uD800\\n\"}", "unpaired surrogate"),
		BAD("{\"s\":\"\\uDBFF\\uDBFF\"}", "unpaired surrogate"),
		BAD("{\"s\":\"\\uDC00\\uD800\"}", "unpaired surrogate"),
		BAD("{\"s\":\"\\uD800\\uE000\"}", "unpaired surrogate"),
		BAD("{\"s\":\"\\uD800\\uDC0\"}", "unpaired surrogate"),
		BAD("{\"s\":\"\\uD800\\", "unpaired surrogate"),
		BAD("{\"\\uD800\":1}", "unpaired surrogate escape at byte 2"),
		BAD("{\"s\":\"abc}", "unexpected end of input at byte 10"),
	};

	(void)state;
	run_bad(t, NITEMS(t));
}

static void
test_refuses_literals(void **state)
{
	static const struct bad t[] = {
		BAD("{\"a\":tru}", "invalid literal at byte 5"),
		BAD("{\"a\":True}", "expected a value"),
		BAD("{\"a\":nul}", "invalid literal"),
		BAD("{\"a\":fals}", "invalid literal"),
		BAD("{\"a\":nu", "invalid literal"),
		BAD("{\"a\":nulll}", "expected ','"),
		BAD("{\"a\":truex}", "expected ','"),
		BAD("{\"a\":[false0]}", "expected ','"),
		BAD("{\"a\":None}", "expected a value"),
	};

	(void)state;
	run_bad(t, NITEMS(t));
}

static void
test_refuses_numbers(void **state)
{
	static const struct bad t[] = {
		BAD("{\"n\":01}", "invalid number at byte 5"),
		BAD("{\"n\":-01}", "invalid number"),
		BAD("{\"n\":00}", "invalid number"),
		BAD("{\"n\":0123}", "invalid number"),
		BAD("{\"n\":-}", "invalid number"),
		BAD("{\"n\":--1}", "invalid number"),
		BAD("{\"n\":-a}", "invalid number"),
		BAD("{\"n\":1.}", "invalid number"),
		BAD("{\"n\":1.e5}", "invalid number"),
		BAD("{\"n\":-.5}", "invalid number"),
		BAD("{\"n\":1e}", "invalid number"),
		BAD("{\"n\":1e+}", "invalid number"),
		BAD("{\"n\":1E-}", "invalid number"),
		BAD("{\"n\":1ee5}", "invalid number"),
		BAD("{\"n\":1.5e}", "invalid number"),
		BAD("{\"n\":-Infinity}", "invalid number"),
		BAD("{\"n\":+1}", "expected a value"),
		BAD("{\"n\":.5}", "expected a value"),
		BAD("{\"n\":NaN}", "expected a value"),
		BAD("{\"n\":Infinity}", "expected a value"),
		BAD("{\"n\":0x10}", "expected ','"),
		BAD("{\"n\":1.5.5}", "expected ','"),
		BAD("{\"n\":1e5.5}", "expected ','"),
		BAD("{\"n\":1,000}", "expected a key"),
		BAD("{\"n\":1e999}", "number out of range at byte 5"),
		BAD("{\"n\":-1e999}", "number out of range"),
		BAD("{\"n\":1E+999}", "number out of range"),
		BAD("{\"n\":1e309}", "number out of range"),
		BAD("{\"n\":2e308}", "number out of range"),
		BAD("{\"n\":10e308}", "number out of range"),
		BAD("{\"n\":0.1e310}", "number out of range"),
		BAD("{\"n\":1.7976931348623159e308}", "number out of range"),
		BAD("{\"n\":[1,1e99999999999999999999999]}", "number out of range"),
		BAD("{\"n\":-9223372036854775809}", "number out of range"),
		BAD("{\"n\":-10000000000000000000}", "number out of range"),
		BAD("{\"n\":18446744073709551616}", "number out of range"),
		BAD("{\"n\":99999999999999999999}", "number out of range"),
		BAD("{\"n\":100000000000000000000}", "number out of range"),
	};

	(void)state;
	run_bad(t, NITEMS(t));
}

/* Long digit spans: no truncation to a fixed buffer anywhere. */
static void
test_number_spans(void **state)
{
	static const struct {
		const char	*head;
		char		 fill;
		size_t		 times;
		const char	*tail;
		int		 ok;
	} t[] = {
		{ "1", '0', 399, "", 0 },		/* 400-digit integer */
		{ "-1", '0', 399, "", 0 },
		{ "9", '9', 399, ".0", 0 },
		{ "1", '0', 300, ".5", 1 },		/* 1e300 */
		{ "1", '0', 308, ".0", 1 },		/* 1e308 */
		{ "1", '0', 309, ".0", 0 },		/* 1e309 */
		{ "0.", '0', 400, "1", 1 },		/* 1e-401 */
		{ "0.", '0', 400, "1e500", 1 },		/* 1e99 */
		{ "0.", '0', 10, "1e320", 0 },		/* 1e309 */
		{ "0.", '0', 10, "1e319", 1 },		/* 1e308 */
		{ "1.", '0', 1000, "1e308", 1 },
		{ "1.", '0', 1000, "1e309", 0 },
		{ "0.", '0', 1000, "", 1 },
		{ "0.", '0', 1000, "e999999", 1 },
	};
	struct sbuf	b = { NULL, 0, 0 };
	char		fill[2] = { 0, 0 };
	size_t		i;

	(void)state;
	for (i = 0; i < NITEMS(t); i++) {
		b.len = 0;
		sb_puts(&b, "{\"n\":");
		sb_puts(&b, t[i].head);
		fill[0] = t[i].fill;
		sb_rep(&b, fill, t[i].times);
		sb_puts(&b, t[i].tail);
		sb_puts(&b, "}");
		if (t[i].ok)
			expect_ok(b.p, b.len, DEPTH);
		else
			expect_bad(b.p, b.len, DEPTH, "number out of range");
	}
	sb_free(&b);
}

/*
 * Near DBL_MAX the answer must agree with a correctly rounding strtod
 * (glibc's), which is what json-c uses.
 */
static void
test_number_overflow_edge(void **state)
{
	static const char *const t[] = {
		"1.7976931348623157e308",
		"1.7976931348623158e308",
		"1.79769313486231580793e308",
		"1.79769313486231580794e308",
		"1.797693134862315807937e308",
		"17976931348623158079e289",
		"0.17976931348623158079e309",
		"0.0017976931348623158e311",
		"179.76931348623158e306",
		"-1.797693134862315807937289714053e308",
		"1.797693134862315807937289714052e308",
		"1.79769313486231580793728971405304e308",
		"17976931348623158080e289",
		"0.17976931348623158080e309",
		"179.7693134862315808e306",
		"-0.0000000017976931348623158079372897140531e317",
		"9.99999999999999999999e307",
		"1.0e308",
		"1.8e308",
	};
	struct sbuf	b = { NULL, 0, 0 };
	struct sbuf	num = { NULL, 0, 0 };
	struct cx_err	err;
	size_t		i, k;
	int		rc;
	char		last[2] = { 0, 0 };

	(void)state;
	/* The threshold itself (infinite), and 1 below and above it. */
	for (k = 0; k < NITEMS(t) + 3; k++) {
		num.len = 0;
		if (k < NITEMS(t)) {
			sb_puts(&num, t[k]);
		} else {
			sb_add(&num, dbl_overflow, sizeof(dbl_overflow) - 2);
			last[0] = (char)(dbl_overflow[sizeof(dbl_overflow) - 2] +
			    (int)(k - NITEMS(t)) - 1);
			sb_puts(&num, last);
			sb_puts(&num, ".0");
		}
		b.len = 0;
		sb_puts(&b, "{\"n\":");
		sb_puts(&b, num.p);
		sb_puts(&b, "}");
		rc = check(b.p, b.len, DEPTH, &err);
		i = isfinite(strtod(num.p, NULL)) ? 0 : 1;
		if (rc != (i ? -1 : 0))
			fail_msg("%s: rc %d (%s), strtod says %s", num.p, rc,
			    err.msg, i ? "inf" : "finite");
	}
	sb_free(&b);
	sb_free(&num);
}

/* Nest levels containers: an object, then objects or arrays inside. */
static void
nest(struct sbuf *b, int levels, int alternate, int close)
{
	int	k;

	b->len = 0;
	for (k = 0; k < levels; k++)
		sb_puts(b, k == 0 || (alternate && k % 2 == 0) ? "{\"a\":" : "[");
	if (!close)
		return;
	sb_puts(b, "1");
	for (k = levels - 1; k >= 0; k--)
		sb_puts(b, k == 0 || (alternate && k % 2 == 0) ? "}" : "]");
}

static void
test_depth(void **state)
{
	struct sbuf	b = { NULL, 0, 0 };
	int		alt;

	(void)state;
	for (alt = 0; alt < 2; alt++) {
		nest(&b, 1, alt, 1);
		expect_ok(b.p, b.len, DEPTH);
		nest(&b, 63, alt, 1);
		expect_ok(b.p, b.len, DEPTH);
		nest(&b, 64, alt, 1);
		expect_ok(b.p, b.len, DEPTH);
		nest(&b, 65, alt, 1);
		expect_bad(b.p, b.len, DEPTH, "nesting deeper than 64 at byte");
		nest(&b, 65, alt, 0);
		expect_bad(b.p, b.len, DEPTH, "nesting deeper than 64");
	}
	expect_ok("{}", 2, 1);
	expect_bad("{\"a\":[]}", 8, 1, "nesting deeper than 1 at byte 5");
	expect_bad("{}", 2, 0, "nesting deeper than 0");
	expect_bad("{}", 2, -1, "nesting deeper");

	/* 100,000 deep: refused at the limit, and never recursed into. */
	nest(&b, 100000, 0, 0);
	expect_bad(b.p, b.len, DEPTH, "nesting deeper than 64");
	nest(&b, 100000, 1, 0);
	expect_bad(b.p, b.len, DEPTH, "nesting deeper than 64");
	expect_bad(b.p, b.len, 1000000, "unexpected end of input");
	nest(&b, 100000, 1, 1);
	expect_ok(b.p, b.len, 100000);
	expect_bad(b.p, b.len, 99999, "nesting deeper than 99999");

	/* A bare array is refused before its depth matters. */
	b.len = 0;
	sb_rep(&b, "[", 100000);
	expect_bad(b.p, b.len, DEPTH, "not a JSON object");
	sb_free(&b);
}

static void
test_key_rewrite(void **state)
{
	static const struct {
		const char	*in;
		const char	*out;
	} t[] = {
		{ "{\"a\\u0000b\":\"x\\u0000y\"}",
		  "{\"a\\ufffdb\":\"x\\u0000y\"}" },
		{ "{\"\\u0000\":{\"\\u0000\\u0000\":[{\"k\\u0000\":\"\\u0000\"}]}}",
		  "{\"\\ufffd\":{\"\\ufffd\\ufffd\":[{\"k\\ufffd\":\"\\u0000\"}]}}" },
		{ "{\"\\n\\u0000\\u00e9\\u0000\":1}",
		  "{\"\\n\\ufffd\\u00e9\\ufffd\":1}" },
		{ "{\"a\\u0000\":1,\"a\":2}",
		  "{\"a\\ufffd\":1,\"a\":2}" },
		/* an escaped backslash, then plain text: not an escape */
		{ "{\"\\\\u0000\":\"\\u0000\"}",
		  "{\"\\\\u0000\":\"\\u0000\"}" },
		{ "{\"s\":[\"\\u0000\",{\"\\u0001\":\"\\u0000\"}]}",
		  "{\"s\":[\"\\u0000\",{\"\\u0001\":\"\\u0000\"}]}" },
	};
	static const struct bad dups[] = {
		BAD("{\"a\\u0000\":1,\"a\\ufffd\":2}", "duplicate key"),
		BAD("{\"a\\u0000\":1,\"a\\uFFFD\":2}", "duplicate key"),
		BAD("{\"a\\u0000\":1,\"a\xef\xbf\xbd\":2}", "duplicate key"),
		BAD("{\"a\xef\xbf\xbd\":1,\"a\\u0000\":2}", "duplicate key"),
		BAD("{\"\\u0000\":1,\"\\u0000\":2}", "duplicate key"),
	};
	struct cx_err	err;
	size_t		i, len;
	char		*b;

	(void)state;
	for (i = 0; i < NITEMS(t); i++) {
		len = strlen(t[i].in);
		assert_int_equal(len, strlen(t[i].out));
		b = body_dup(t[i].in, len);
		if (json_strict_check(b, len, DEPTH, &err) != 0)
			fail_msg("%s: refused: %s", t[i].in, err.msg);
		assert_string_equal(b, t[i].out);
		free(b);
	}
	run_bad(dups, NITEMS(dups));
}

static void
test_duplicates(void **state)
{
	static const struct bad t[] = {
		BAD("{\"a\":1,\"a\":2}", "duplicate key \"a\" at byte 7"),
		BAD("{\"a\":1,\"b\":2,\"a\":3}", "duplicate key \"a\" at byte 13"),
		BAD("{\"a\":1,\"\\u0061\":2}", "duplicate key \"a\""),
		BAD("{\"\\u0061\":1,\"a\":2}", "duplicate key \"a\""),
		BAD("{\"\\/\":1,\"/\":2}", "duplicate key \"/\""),
		BAD("{\"\\n\":1,\"\\u000a\":2}", "duplicate key at byte"),
		BAD("{\"\\u00e9\":1,\"\xc3\xa9\":2}", "duplicate key at byte"),
		BAD("{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}",
		    "duplicate key at byte"),
		BAD("{\"\":1,\"\":2}", "duplicate key \"\""),
		BAD("{\"a\":{\"x\":1,\"x\":2}}", "duplicate key \"x\""),
		BAD("{\"a\":[{\"x\":1,\"x\":2}]}", "duplicate key \"x\""),
		BAD("{\"a\":{\"b\":1},\"a\":2}", "duplicate key \"a\""),
		BAD("{\"a\":{},\"b\":[],\"a\":null}", "duplicate key \"a\""),
		BAD("{\"a\\\"b\":1,\"a\\u0022b\":2}", "duplicate key at byte"),
		/* more keys than the pairwise check takes: sorted */
		BAD("{\"k1\":1,\"k2\":1,\"k3\":1,\"k4\":1,\"k5\":1,\"k6\":1,"
		    "\"k7\":1,\"k8\":1,\"k9\":1,\"k3\":1,\"k2\":1}",
		    "duplicate key \"k3\" at byte 64"),
		BAD("{\"location\":\"London\",\"location\":\"Tokyo\"}",
		    "duplicate key \"location\" at byte 21"),
		BAD("{\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\":1,"
		    "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\":2}",
		    "duplicate key \"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx...\""),
	};
	static const struct doc ok[] = {
		DOC("{\"a\":{\"a\":1},\"b\":{\"a\":2}}"),
		DOC("{\"a\":{\"a\":{\"a\":{}}}}"),
		DOC("{\"a\":[{\"a\":1},{\"a\":1}]}"),
		DOC("{\"a\":{\"b\":1,\"c\":2},\"b\":3,\"c\":4}"),
		DOC("{\"a\":{\"b\":1},\"b\":{\"a\":1}}"),
		DOC("{\"k1\":1,\"k2\":1,\"k3\":1,\"k4\":1,\"k5\":1,\"k6\":1,"
		    "\"k7\":1,\"k8\":1,\"k9\":1,\"k10\":1,\"k\":1,\"\":1}"),
	};
	struct sbuf	b = { NULL, 0, 0 };
	char		key[64];
	int		k, dup;

	(void)state;
	run_bad(t, NITEMS(t));
	run_ok(ok, NITEMS(ok));

	/*
	 * An escaped parent key, then a child whose many escaped keys move
	 * the decode buffer, then the parent key again.
	 */
	for (dup = 0; dup < 2; dup++) {
		b.len = 0;
		sb_puts(&b, "{\"\\u0061\\u0062\":{");
		for (k = 0; k < 500; k++) {
			snprintf(key, sizeof(key), "%s\"\\u0062%d\\n\":%d",
			    k > 0 ? "," : "", k, k);
			sb_puts(&b, key);
		}
		sb_puts(&b, dup ? "},\"ab\":1}" : "},\"ba\":1}");
		if (dup)
			expect_bad(b.p, b.len, DEPTH, "duplicate key \"ab\"");
		else
			expect_ok(b.p, b.len, DEPTH);
	}
	sb_free(&b);
}

static void
test_many_keys(void **state)
{
	struct sbuf	b = { NULL, 0, 0 };
	char		item[32];
	int		k;

	(void)state;
	sb_puts(&b, "{");
	for (k = 0; k < 200000; k++) {
		snprintf(item, sizeof(item), "%s\"k%d\":%d", k > 0 ? "," : "",
		    k, k);
		sb_puts(&b, item);
	}
	sb_puts(&b, "}");
	expect_ok(b.p, b.len, DEPTH);
	b.p[--b.len] = '\0';
	sb_puts(&b, ",\"k123\":0}");
	expect_bad(b.p, b.len, DEPTH, "duplicate key \"k123\"");
	sb_free(&b);
}

/* Representative bodies after tests/corpus, embedded. */
static void
test_corpus_samples(void **state)
{
	static const struct doc ok[] = {
		DOC("{\n"
		    "  \"detectIntentResponseId\": \"7d9f1b3d-5f7b-4d9f-8b3d\",\n"
		    "  \"intentInfo\": {\n"
		    "    \"lastMatchedIntent\": \"projects/p/locations/l/agents/a"
		    "/intents/i\",\n"
		    "    \"parameters\": {\n"
		    "      \"date\": {\"originalValue\": \"september 14th\",\n"
		    "        \"resolvedValue\": {\"year\": 2026, \"month\": 9,"
		    " \"day\": 14}}\n"
		    "    },\n"
		    "    \"displayName\": \"booking.create\",\n"
		    "    \"confidence\": 0.9538\n"
		    "  },\n"
		    "  \"pageInfo\": {\"formInfo\": {\"parameterInfo\": [\n"
		    "    {\"displayName\": \"service\", \"required\": true,"
		    " \"state\": \"FILLED\", \"value\": \"haircut\","
		    " \"justCollected\": true},\n"
		    "    {\"displayName\": \"customer_phone\", \"state\": \"FILLED\","
		    " \"value\": \"+1 650-555-0142\"}\n"
		    "  ]}},\n"
		    "  \"sessionInfo\": {\"session\": \"projects/p/sessions/s\","
		    " \"parameters\": {\"service\": \"haircut\", \"x\": null}},\n"
		    "  \"fulfillmentInfo\": {\"tag\": \"booking.create\"},\n"
		    "  \"text\": \"\xc2\xbfreservar un corte a las 3:30?\",\n"
		    "  \"languageCode\": \"es\"\n"
		    "}\n"),
		DOC("{\"sessionInfo\": {\"parameters\": {\"loca\\u0000tion\":"
		    " \"London\"}}, \"fulfillmentInfo\": {\"tag\": \"weather\"}}"),
		DOC("{\"detectIntentResponseId\": null, \"intentInfo\": null,"
		    " \"fulfillmentInfo\": {\"tag\": null}, \"text\": \"hi\","
		    " \"triggerEvent\": \"WELCOME\"}"),
	};
	static const struct bad bad[] = {
		BAD("{\"sessionInfo\": {\"parameters\": {\"location\": \"London\","
		    " \"location\": \"Tokyo\"}}, \"languageCode\": \"en\"}",
		    "duplicate key \"location\" at byte 54"),
		BAD("{\"intentInfo\": {\"parameters\": {\"location\":"
		    " {\"originalValue\": \"lon\xc3(don \x7f\xfe\","
		    " \"resolvedValue\": \"Lon\xc0\xaf" "don\"}}}}",
		    "invalid UTF-8 at byte 65"),
		BAD("{\"text\": \"caf\xe9 cr\xe8me\", \"languageCode\": \"fr\"}",
		    "invalid UTF-8 at byte 13"),
		BAD("{\"text\": \"line\x01two\"}", "control character"),
		BAD("{\"intentInfo\": {\"confidence\": -1e999}}",
		    "number out of range at byte 30"),
		BAD("{\"p\": 12345678901234567890123456789012345678901234567890}",
		    "number out of range"),
		BAD("{\"text\": \"hi\", \"languageCode\": \"en\"} xyz",
		    "trailing data after the JSON object at byte 37"),
		BAD("{\"text\": \"hi\"}\n{\"text\": \"hi\"}\n", "trailing data"),
		BAD("{\"text\": \"hi\"}\0", "trailing data"),
		BAD("{\"text\": \"hi\", \"intentInfo\": {\"parameters\": {",
		    "unexpected end of input at byte 45"),
		BAD("<html><head><title>502 Bad Gateway</title></head></html>\n",
		    "body is not a JSON object"),
		BAD("[{\"text\": \"hi\"}]", "body is not a JSON object"),
		BAD("{\0\"\0t\0e\0x\0t\0\"\0:\0 \0\"\0h\0i\0\"\0}\0",
		    "expected a key or '}'"),
	};

	(void)state;
	run_ok(ok, NITEMS(ok));
	run_bad(bad, NITEMS(bad));
}

static void
test_contract_edges(void **state)
{
	struct cx_err	err;
	char		*b;

	(void)state;
	/* body[len] must be the NUL the contract promises. */
	b = body_dup("{}x", 3);
	memset(err.msg, 0, sizeof(err.msg));
	assert_int_equal(json_strict_check(b, 2, DEPTH, &err), -1);
	assert_true(err.msg[0] != '\0');
	/* len is authoritative: the document is what lies in [0, len). */
	b[2] = '\0';
	assert_int_equal(json_strict_check(b, 2, DEPTH, &err), 0);
	free(b);
	b = body_dup("{}\0{}", 5);
	assert_int_equal(json_strict_check(b, 5, DEPTH, &err), -1);
	assert_string_equal(err.msg,
	    "trailing data after the JSON object at byte 2");
	free(b);
	/* A long refused body: the message stays short. */
	expect_bad("{\"\\u0001xxxxxxxxxxxxxxxxxxxxxxxxx\":1,"
	    "\"\\u0001xxxxxxxxxxxxxxxxxxxxxxxxx\":1}",
	    sizeof("{\"\\u0001xxxxxxxxxxxxxxxxxxxxxxxxx\":1,"
	    "\"\\u0001xxxxxxxxxxxxxxxxxxxxxxxxx\":1}") - 1, DEPTH,
	    "duplicate key at byte 37");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts),
		cmocka_unit_test(test_refuses_structure),
		cmocka_unit_test(test_refuses_utf8),
		cmocka_unit_test(test_refuses_strings),
		cmocka_unit_test(test_refuses_literals),
		cmocka_unit_test(test_refuses_numbers),
		cmocka_unit_test(test_number_spans),
		cmocka_unit_test(test_number_overflow_edge),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_key_rewrite),
		cmocka_unit_test(test_duplicates),
		cmocka_unit_test(test_many_keys),
		cmocka_unit_test(test_corpus_samples),
		cmocka_unit_test(test_contract_edges),
	};

	return cmocka_run_group_tests_name("json_strict", tests, NULL, NULL);
}
