/*
 * Unit tests for parameter lookup and the typed views (cx/param.c):
 * docs/contract.md §4 precedence, and every shape a CX parameter value
 * arrives in (docs/cx-protocol.md §3, "Parameter value shapes").
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cx/cx.h"
#include "fake_db.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* A request whose session holds one parameter "p" with this JSON value. */
static void
decode_param(const char *value_json, struct cx_request *req)
{
	struct cx_err	 err;
	char		*doc;
	size_t		 n;

	n = strlen(value_json) + 64;
	doc = malloc(n);
	assert_non_null(doc);
	snprintf(doc, n, "{\"sessionInfo\":{\"parameters\":{\"p\":%s}}}",
	    value_json);
	if (decode_str(doc, req, &err) != 0)
		fail_msg("refused (%s): %s", err.msg, doc);
	free(doc);
}

/* ---- precedence ---- */

static const char precedence_doc[] =
"{\"intentInfo\":{\"parameters\":{"
"  \"a\":{\"originalValue\":\"orig-a\",\"resolvedValue\":\"res-a\"},"
"  \"b\":{\"originalValue\":\"orig-b\"},"
"  \"c\":{\"originalValue\":\"orig-c\",\"resolvedValue\":null},"
"  \"d\":{\"originalValue\":\"orig-d\",\"resolvedValue\":\"\"},"
"  \"e\":{\"resolvedValue\":null},"
"  \"f\":{\"originalValue\":\"\",\"resolvedValue\":\"\"},"
"  \"g\":null,"
"  \"i\":{},"
"  \"n\":{\"originalValue\":\"ten oh oh four two\",\"resolvedValue\":10042},"
"  \"o\":{\"originalValue\":\"next monday\","
"        \"resolvedValue\":{\"year\":2026,\"month\":9,\"day\":14}},"
"  \"z\":{\"originalValue\":\"zero\",\"resolvedValue\":0},"
"  \"fl\":{\"originalValue\":\"no\",\"resolvedValue\":false}"
"}},"
"\"sessionInfo\":{\"parameters\":{"
"  \"a\":\"sess-a\",\"b\":\"sess-b\",\"c\":\"sess-c\",\"d\":\"sess-d\","
"  \"e\":\"sess-e\",\"f\":\"sess-f\",\"g\":\"sess-g\",\"h\":\"sess-h\","
"  \"i\":\"sess-i\",\"n\":\"sess-n\",\"z\":\"sess-z\",\"fl\":\"sess-fl\","
"  \"nul\":null,\"empty\":\"\"}}}";

static void
test_precedence(void **state)
{
	static const struct {
		const char	*name;
		enum cx_type	 type;
		const char	*text;		/* cx_param_text, NULL: fails */
	} t[] = {
		/* resolvedValue beats originalValue beats the session */
		{ "a", CX_STRING, "res-a" },
		{ "b", CX_STRING, "orig-b" },
		/* null or "" resolvedValue falls through */
		{ "c", CX_STRING, "orig-c" },
		{ "d", CX_STRING, "orig-d" },
		{ "e", CX_STRING, "sess-e" },
		{ "f", CX_STRING, "sess-f" },
		{ "g", CX_STRING, "sess-g" },
		{ "i", CX_STRING, "sess-i" },
		/* only in the session */
		{ "h", CX_STRING, "sess-h" },
		/* a resolvedValue of any type wins */
		{ "n", CX_NUMBER, "10042" },
		{ "o", CX_OBJECT, NULL },
		{ "z", CX_NUMBER, "0" },
		{ "fl", CX_BOOL, NULL },
		/* null or "" in the session: not given */
		{ "nul", CX_ABSENT, NULL },
		{ "empty", CX_ABSENT, NULL },
		{ "missing", CX_ABSENT, NULL },
	};
	struct cx_request	req;
	struct cx_err		err;
	struct cx_value		v;
	char			buf[64];
	size_t			i;
	bool			ok;

	if (decode_str(precedence_doc, &req, &err) != 0)
		fail_msg("refused: %s", err.msg);
	for (i = 0; i < NITEMS(t); i++) {
		v = cx_param(&req, t[i].name);
		if (cx_value_type(v) != t[i].type)
			fail_msg("%s: type %d, want %d", t[i].name,
			    cx_value_type(v), t[i].type);
		memset(buf, 0, sizeof(buf));
		ok = cx_param_text(&req, t[i].name, buf, sizeof(buf));
		if (t[i].text == NULL && ok)
			fail_msg("%s: text \"%s\", want none", t[i].name, buf);
		if (t[i].text != NULL && (!ok || strcmp(buf, t[i].text) != 0))
			fail_msg("%s: text %s \"%s\", want \"%s\"", t[i].name,
			    ok ? "ok" : "failed", buf, t[i].text);
	}
	cx_request_free(&req);
}

/* Without intentInfo (event and form-filling turns): the session alone. */
static void
test_session_only(void **state)
{
	struct cx_request	req;
	struct cx_err		err;
	char			buf[16];

	if (decode_str("{\"sessionInfo\":{\"parameters\":{\"user_id\":"
	    "\"10042\"}},\"triggerEvent\":\"WELCOME\"}", &req, &err) != 0)
		fail_msg("refused: %s", err.msg);
	assert_true(cx_param_text(&req, "user_id", buf, sizeof(buf)));
	assert_string_equal(buf, "10042");
	assert_false(cx_param_text(&req, "userId", buf, sizeof(buf)));
	assert_false(cx_param_text(&req, "user_i", buf, sizeof(buf)));
	cx_request_free(&req);

	/* Neither intentInfo nor sessionInfo */
	if (decode_str("{}", &req, &err) != 0)
		fail_msg("refused: %s", err.msg);
	assert_int_equal(cx_value_type(cx_param(&req, "user_id")), CX_ABSENT);
	assert_false(cx_param_text(&req, "user_id", buf, sizeof(buf)));
	cx_request_free(&req);
}

/* ---- cx_param_text ---- */

static void
test_text(void **state)
{
	static const struct {
		const char	*json;
		const char	*want;		/* NULL: fails */
	} t[] = {
		{ "\"10042\"", "10042" },
		{ "10042", "10042" },
		{ "10042.0", "10042" },
		{ "1.5", "1.5" },
		{ "-7", "-7" },
		{ "0", "0" },
		{ "9007199254740992", "9007199254740992" },
		{ "{\"name\":\"Ann\"}", "Ann" },
		{ "{\"original\":\"london\"}", "london" },
		{ "{\"city\":\"Paris\"}", "Paris" },
		/* "name", then "original", then "city" */
		{ "{\"city\":\"Paris\",\"original\":\"paris\",\"name\":\"P\"}",
		    "P" },
		{ "{\"city\":\"Paris\",\"original\":\"paris\"}", "paris" },
		{ "{\"name\":\"\",\"city\":\"Paris\"}", "Paris" },
		{ "{\"name\":null,\"city\":\"Paris\"}", "Paris" },
		{ "\"caf\xc3\xa9\"", "caf\xc3\xa9" },
		{ "true", NULL },
		{ "false", NULL },
		{ "[]", NULL },
		{ "[\"a\"]", NULL },
		{ "{}", NULL },
		{ "{\"amount\":50,\"currency\":\"EUR\"}", NULL },
		{ "\"a\\u0000b\"", NULL },
		{ "\"\\u0000\"", NULL },
		{ "\"\"", NULL },
		{ "null", NULL },
	};
	struct cx_request	req;
	char			buf[64];
	size_t			i;
	bool			ok;

	for (i = 0; i < NITEMS(t); i++) {
		decode_param(t[i].json, &req);
		memset(buf, 0, sizeof(buf));
		ok = cx_param_text(&req, "p", buf, sizeof(buf));
		if (t[i].want == NULL && ok)
			fail_msg("%s: got \"%s\", want failure", t[i].json,
			    buf);
		if (t[i].want != NULL && !ok)
			fail_msg("%s: failed, want \"%s\"", t[i].json,
			    t[i].want);
		if (t[i].want != NULL && strcmp(buf, t[i].want) != 0)
			fail_msg("%s: got \"%s\", want \"%s\"", t[i].json, buf,
			    t[i].want);
		cx_request_free(&req);
	}
}

/*
 * cx.h promises "a number as an integer when it is integral, else
 * shortest %g": 19.99 is spoken as "19.99" and 0.1 as "0.1", not as the
 * "19.989999999999998" and "0.10000000000000001" of "%.17g".
 */
static void
test_text_shortest_fraction(void **state)
{
	static const struct {
		const char	*json;
		const char	*want;
	} t[] = {
		{ "19.99", "19.99" },
		{ "0.1", "0.1" },
		{ "1250.75", "1250.75" },
	};
	struct cx_request	req;
	char			buf[64], why[256] = "";
	size_t			i;

	for (i = 0; i < NITEMS(t); i++) {
		decode_param(t[i].json, &req);
		memset(buf, 0, sizeof(buf));
		if ((!cx_param_text(&req, "p", buf, sizeof(buf)) ||
		    strcmp(buf, t[i].want) != 0) && why[0] == '\0')
			snprintf(why, sizeof(why), "%s: got \"%s\", want \"%s\"",
			    t[i].json, buf, t[i].want);
		/* Freed before failing, so leak checkers stay quiet. */
		cx_request_free(&req);
	}
	if (why[0] != '\0')
		fail_msg("%s", why);
}

/* Too long for the buffer: fails, and never writes past bufsz. */
static void
test_text_buffer(void **state)
{
	static const struct {
		const char	*json;
		size_t		 need;		/* strlen of the text + 1 */
	} t[] = {
		{ "\"Ann\"", 4 },
		{ "10042", 6 },
		{ "{\"name\":\"Ann\"}", 4 },
		{ "1.5", 4 },
	};
	struct cx_request	req;
	char			buf[32];
	size_t			i, j, sz;

	for (i = 0; i < NITEMS(t); i++) {
		decode_param(t[i].json, &req);
		for (sz = 1; sz <= t[i].need; sz++) {
			memset(buf, '#', sizeof(buf));
			if (cx_param_text(&req, "p", buf, sz) !=
			    (sz == t[i].need))
				fail_msg("%s: bufsz %zu: wrong outcome",
				    t[i].json, sz);
			for (j = sz; j < sizeof(buf); j++)
				if (buf[j] != '#')
					fail_msg("%s: bufsz %zu: wrote byte %zu",
					    t[i].json, sz, j);
		}
		cx_request_free(&req);
	}
	/* A 200-character string into a 65-byte buffer. */
	{
		char	val[210], big[65];

		val[0] = '"';
		memset(val + 1, 'x', 200);
		val[201] = '"';
		val[202] = '\0';
		decode_param(val, &req);
		assert_false(cx_param_text(&req, "p", big, sizeof(big)));
		cx_request_free(&req);
	}
}

/* ---- cx_param_int ---- */

static void
test_int(void **state)
{
	static const struct {
		const char	*json;
		bool		 ok;
		long		 want;
	} t[] = {
		{ "5", true, 5 },
		{ "5.0", true, 5 },
		{ "\"5\"", true, 5 },
		{ "\" 5 \"", true, 5 },		/* surrounding blanks allowed */
		{ "-3", true, -3 },
		{ "\"-3\"", true, -3 },
		{ "0", true, 0 },
		{ "\"20\"", true, 20 },
		{ "9007199254740992", true, 9007199254740992L },
		{ "5.5", false, 0 },
		{ "\"5.5\"", false, 0 },
		{ "\"abc\"", false, 0 },
		{ "\"5abc\"", false, 0 },
		{ "\"\"", false, 0 },
		{ "1e300", false, 0 },
		{ "\"1e300\"", false, 0 },
		{ "-1e300", false, 0 },
		{ "9007199254740994", false, 0 },
		{ "\"nan\"", false, 0 },
		{ "\"inf\"", false, 0 },
		{ "\"5\\u00007\"", false, 0 },
		{ "true", false, 0 },
		{ "null", false, 0 },
		{ "[5]", false, 0 },
		{ "{\"amount\":5}", false, 0 },
	};
	struct cx_request	req;
	size_t			i;
	long			n;
	bool			ok;

	for (i = 0; i < NITEMS(t); i++) {
		decode_param(t[i].json, &req);
		n = -424242;
		ok = cx_param_int(&req, "p", &n);
		if (ok != t[i].ok)
			fail_msg("%s: %s, want %s", t[i].json,
			    ok ? "ok" : "failed", t[i].ok ? "ok" : "failure");
		if (ok && n != t[i].want)
			fail_msg("%s: got %ld, want %ld", t[i].json, n,
			    t[i].want);
		cx_request_free(&req);
	}
}

/* ---- cx_param_num ---- */

static void
test_num(void **state)
{
	static const struct {
		const char	*json;
		bool		 ok;
		double		 want;
	} t[] = {
		{ "5", true, 5.0 },
		{ "5.5", true, 5.5 },
		{ "-0.25", true, -0.25 },
		{ "\"5.5\"", true, 5.5 },
		{ "\" 7 \"", true, 7.0 },
		{ "1e300", true, 1e300 },
		{ "\"abc\"", false, 0 },
		{ "\"5x\"", false, 0 },
		{ "\"\"", false, 0 },
		{ "\"nan\"", false, 0 },
		{ "\"inf\"", false, 0 },
		{ "\"1e999\"", false, 0 },
		{ "\"5\\u00007\"", false, 0 },
		{ "true", false, 0 },
		{ "null", false, 0 },
		{ "[1]", false, 0 },
		{ "{\"amount\":5}", false, 0 },
	};
	struct cx_request	req;
	size_t			i;
	double			d;
	bool			ok;

	for (i = 0; i < NITEMS(t); i++) {
		decode_param(t[i].json, &req);
		d = -4242;
		ok = cx_param_num(&req, "p", &d);
		if (ok != t[i].ok)
			fail_msg("%s: %s, want %s", t[i].json,
			    ok ? "ok" : "failed", t[i].ok ? "ok" : "failure");
		if (ok && d != t[i].want)
			fail_msg("%s: got %g, want %g", t[i].json, d,
			    t[i].want);
		cx_request_free(&req);
	}
}

/*
 * A string of blanks ("  ", "\t") is no number for cx_param_int() and
 * cx_param_num(), not 0: that strtod() consumed something is checked
 * before trailing blanks are skipped.  (given() does not treat "  " as
 * empty, so the value reaches them.)
 */
static void
test_blank_string_is_no_number(void **state)
{
	static const char *const t[] = { "\"  \"", "\" \"", "\"\\t\"" };
	struct cx_request	req;
	char			why[256] = "";
	size_t			i;
	long			n;
	double			d;

	for (i = 0; i < NITEMS(t); i++) {
		decode_param(t[i], &req);
		n = -424242;
		if (cx_param_int(&req, "p", &n) && why[0] == '\0')
			snprintf(why, sizeof(why), "cx_param_int(%s): read as "
			    "%ld, want failure", t[i], n);
		d = -424242;
		if (cx_param_num(&req, "p", &d) && why[0] == '\0')
			snprintf(why, sizeof(why), "cx_param_num(%s): read as "
			    "%g, want failure", t[i], d);
		/* Freed before failing, so leak checkers stay quiet. */
		cx_request_free(&req);
	}
	if (why[0] != '\0')
		fail_msg("%s", why);
}

/* ---- cx_param_date, cx_date_valid ---- */

static void
test_date(void **state)
{
	static const struct {
		const char	*json;
		bool		 ok;
		int		 y, m, d;
	} t[] = {
		{ "{\"year\":2026,\"month\":9,\"day\":14}", true, 2026, 9, 14 },
		{ "{\"year\":2026.0,\"month\":9.0,\"day\":14.0}", true,
		    2026, 9, 14 },
		{ "{\"day\":14,\"month\":9,\"year\":2026,\"future\":true}", true,
		    2026, 9, 14 },
		{ "\"2026-09-14\"", true, 2026, 9, 14 },
		{ "\"2026-09-14T15:30:00-03:00\"", true, 2026, 9, 14 },
		{ "\"2026-09-14 15:30\"", true, 2026, 9, 14 },
		{ "\"2024-02-29\"", true, 2024, 2, 29 },
		{ "{\"year\":2026,\"month\":13,\"day\":1}", false, 0, 0, 0 },
		{ "{\"year\":2026,\"month\":0,\"day\":1}", false, 0, 0, 0 },
		{ "{\"year\":2026,\"month\":1,\"day\":32}", false, 0, 0, 0 },
		{ "{\"year\":2026,\"month\":2}", false, 0, 0, 0 },
		{ "{\"year\":2026,\"day\":2}", false, 0, 0, 0 },
		{ "{\"month\":2,\"day\":2}", false, 0, 0, 0 },
		{ "{\"year\":2026,\"month\":9.5,\"day\":14}", false, 0, 0, 0 },
		{ "{\"year\":\"2026\",\"month\":9,\"day\":14}", false, 0, 0, 0 },
		{ "\"2026-13-01\"", false, 0, 0, 0 },
		{ "\"2026-9-14\"", false, 0, 0, 0 },
		{ "\"2026-09-14x\"", false, 0, 0, 0 },
		{ "\"14/09/2026\"", false, 0, 0, 0 },
		{ "\"next monday\"", false, 0, 0, 0 },
		{ "\"\"", false, 0, 0, 0 },
		{ "20260914", false, 0, 0, 0 },
		{ "true", false, 0, 0, 0 },
		{ "[2026,9,14]", false, 0, 0, 0 },
	};
	struct cx_request	req;
	struct cx_date		d;
	size_t			i;
	bool			ok;

	for (i = 0; i < NITEMS(t); i++) {
		decode_param(t[i].json, &req);
		memset(&d, 0, sizeof(d));
		ok = cx_param_date(&req, "p", &d);
		if (ok != t[i].ok)
			fail_msg("%s: %s, want %s", t[i].json,
			    ok ? "ok" : "failed", t[i].ok ? "ok" : "failure");
		if (ok && (d.year != t[i].y || d.month != t[i].m ||
		    d.day != t[i].d))
			fail_msg("%s: got %d-%d-%d", t[i].json, d.year,
			    d.month, d.day);
		cx_request_free(&req);
	}
}

static void
test_date_valid(void **state)
{
	static const struct {
		struct cx_date	d;
		bool		ok;
	} t[] = {
		{ { 2024, 2, 29 }, true },
		{ { 2026, 2, 29 }, false },
		{ { 2026, 2, 28 }, true },
		{ { 2026, 2, 30 }, false },
		{ { 2026, 4, 31 }, false },
		{ { 2026, 4, 30 }, true },
		{ { 2026, 12, 31 }, true },
		{ { 2026, 1, 31 }, true },
		{ { 2000, 2, 29 }, true },	/* divisible by 400 */
		{ { 1900, 2, 29 }, false },	/* by 100, not 400 */
		{ { 2026, 13, 1 }, false },
		{ { 2026, 0, 1 }, false },
		{ { 2026, 1, 0 }, false },
		{ { 0, 1, 1 }, false },
	};
	size_t	i;

	for (i = 0; i < NITEMS(t); i++)
		if (cx_date_valid(&t[i].d) != t[i].ok)
			fail_msg("%d-%d-%d: want %s", t[i].d.year, t[i].d.month,
			    t[i].d.day, t[i].ok ? "valid" : "invalid");
}

/* ---- cx_param_time ---- */

static void
test_time(void **state)
{
	static const struct {
		const char	*json;
		bool		 ok;
		int		 h, m, s;
	} t[] = {
		{ "{\"hours\":15,\"minutes\":30}", true, 15, 30, 0 },
		{ "{\"hours\":9}", true, 9, 0, 0 },
		{ "{\"hours\":15,\"minutes\":30,\"seconds\":5,\"nanos\":0}", true,
		    15, 30, 5 },
		{ "{\"hours\":0,\"minutes\":0,\"seconds\":0}", true, 0, 0, 0 },
		{ "{\"hours\":15.0,\"minutes\":30.0}", true, 15, 30, 0 },
		{ "{\"hours\":15,\"minutes\":null}", true, 15, 0, 0 },
		{ "\"15:30\"", true, 15, 30, 0 },
		{ "\"15:30:45\"", true, 15, 30, 45 },
		{ "\"3:30 PM\"", true, 15, 30, 0 },
		{ "\"3:30pm\"", true, 15, 30, 0 },
		{ "\"12:00 am\"", true, 0, 0, 0 },
		{ "\"12:15 PM\"", true, 12, 15, 0 },
		{ "\"11:59:59 p.m.\"", true, 23, 59, 59 },
		{ "\"00:00\"", true, 0, 0, 0 },
		{ "\"23:59:59\"", true, 23, 59, 59 },
		{ "\"2026-09-14T15:30:00-03:00\"", true, 15, 30, 0 },
		{ "\"2026-09-14T09:05:07Z\"", true, 9, 5, 7 },
		{ "\"25:00\"", false, 0, 0, 0 },
		{ "\"24:00\"", false, 0, 0, 0 },
		{ "\"15:60\"", false, 0, 0, 0 },
		{ "\"15:30:60\"", false, 0, 0, 0 },
		{ "\"13:00 pm\"", false, 0, 0, 0 },
		{ "\"0:30 am\"", false, 0, 0, 0 },
		{ "\"3 pm\"", false, 0, 0, 0 },
		{ "\"15:30 tomorrow\"", false, 0, 0, 0 },
		{ "\"noon\"", false, 0, 0, 0 },
		{ "\"\"", false, 0, 0, 0 },
		{ "{\"hours\":25}", false, 0, 0, 0 },
		{ "{\"hours\":-1}", false, 0, 0, 0 },
		{ "{\"hours\":9,\"minutes\":60}", false, 0, 0, 0 },
		{ "{\"hours\":9.5}", false, 0, 0, 0 },
		{ "{\"hours\":\"9\"}", false, 0, 0, 0 },
		{ "1530", false, 0, 0, 0 },
		{ "true", false, 0, 0, 0 },
	};
	struct cx_request	req;
	struct cx_time		tm;
	size_t			i;
	bool			ok;

	for (i = 0; i < NITEMS(t); i++) {
		decode_param(t[i].json, &req);
		memset(&tm, 0, sizeof(tm));
		ok = cx_param_time(&req, "p", &tm);
		if (ok != t[i].ok)
			fail_msg("%s: %s, want %s", t[i].json,
			    ok ? "ok" : "failed", t[i].ok ? "ok" : "failure");
		if (ok && (tm.hours != t[i].h || tm.minutes != t[i].m ||
		    tm.seconds != t[i].s))
			fail_msg("%s: got %02d:%02d:%02d", t[i].json, tm.hours,
			    tm.minutes, tm.seconds);
		cx_request_free(&req);
	}
}

/* The typed views read the same precedence as cx_param(). */
static void
test_typed_views_use_precedence(void **state)
{
	struct cx_request	req;
	struct cx_err		err;
	struct cx_date		d;
	struct cx_time		tm;
	long			n;

	if (decode_str("{\"intentInfo\":{\"parameters\":{"
	    "\"limit\":{\"originalValue\":\"three\",\"resolvedValue\":3},"
	    "\"date\":{\"originalValue\":\"2026-01-02\"},"
	    "\"time\":{\"originalValue\":\"9am\",\"resolvedValue\":"
	    "{\"hours\":9}}}},"
	    "\"sessionInfo\":{\"parameters\":{\"limit\":10,"
	    "\"date\":\"2025-05-05\",\"time\":\"18:00\"}}}", &req, &err) != 0)
		fail_msg("refused: %s", err.msg);
	assert_true(cx_param_int(&req, "limit", &n));
	assert_int_equal(n, 3);
	assert_true(cx_param_date(&req, "date", &d));
	assert_int_equal(d.year, 2026);
	assert_int_equal(d.month, 1);
	assert_int_equal(d.day, 2);
	assert_true(cx_param_time(&req, "time", &tm));
	assert_int_equal(tm.hours, 9);
	assert_int_equal(tm.minutes, 0);
	cx_request_free(&req);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_precedence),
		cmocka_unit_test(test_session_only),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_text_shortest_fraction),
		cmocka_unit_test(test_text_buffer),
		cmocka_unit_test(test_int),
		cmocka_unit_test(test_num),
		cmocka_unit_test(test_blank_string_is_no_number),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_date_valid),
		cmocka_unit_test(test_time),
		cmocka_unit_test(test_typed_views_use_precedence),
	};

	return cmocka_run_group_tests_name("param", tests, NULL, NULL);
}
