/*
 * Unit tests for the routing table (handlers/registry.c, docs/contract.md §4):
 * fulfillmentInfo.tag first, intentInfo.displayName when the tag is absent,
 * empty or unknown, else the default; keys compared with their lengths.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "cx/cx.h"
#include "fake_db.h"
#include "handlers/wh.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static void
test_routes_valid(void **state)
{
	const struct route	*d = route_default();

	assert_true(routes_valid());
	assert_non_null(d);
	assert_ptr_equal(d->fn, h_default);
	assert_string_equal(d->family, "default");
}

static void
test_route_find(void **state)
{
	static const struct {
		const char	*json;
		const char	*key;		/* NULL: the default route */
		handler_fn	 fn;
	} t[] = {
		/* by tag */
		{ "{\"fulfillmentInfo\":{\"tag\":\"database-query\"}}",
		    "database-query", h_database_query },
		{ "{\"fulfillmentInfo\":{\"tag\":\"database-query\"},"
		    "\"intentInfo\":{\"displayName\":\"account.balance\"}}",
		    "database-query", h_database_query },
		{ "{\"fulfillment_info\":{\"tag\":\"account.transactions\"}}",
		    "account.transactions", h_account_transactions },
		/* by intent when the tag is absent, null or empty */
		{ "{\"intentInfo\":{\"displayName\":\"account.balance\"}}",
		    "account.balance", h_account_balance },
		{ "{\"fulfillmentInfo\":{},"
		    "\"intentInfo\":{\"displayName\":\"account.transactions\"}}",
		    "account.transactions", h_account_transactions },
		{ "{\"fulfillmentInfo\":{\"tag\":null},"
		    "\"intentInfo\":{\"displayName\":\"account.balance\"}}",
		    "account.balance", h_account_balance },
		{ "{\"fulfillmentInfo\":{\"tag\":\"\"},"
		    "\"intentInfo\":{\"displayName\":\"account.transactions\"}}",
		    "account.transactions", h_account_transactions },
		/* unknown tag, known intent: the intent's route */
		{ "{\"fulfillmentInfo\":{\"tag\":\"no-such-tag\"},"
		    "\"intentInfo\":{\"displayName\":\"account.balance\"}}",
		    "account.balance", h_account_balance },
		/* unknown both, or nothing */
		{ "{\"fulfillmentInfo\":{\"tag\":\"no-such-tag\"},"
		    "\"intentInfo\":{\"displayName\":\"no.such.intent\"}}",
		    NULL, h_default },
		{ "{}", NULL, h_default },
		{ "{\"fulfillmentInfo\":{\"tag\":\"\"}}", NULL, h_default },
		{ "{\"intentInfo\":{\"displayName\":\"\"}}", NULL, h_default },
		/* exact, case-sensitive, whole-key matches only */
		{ "{\"fulfillmentInfo\":{\"tag\":\"Database-Query\"}}", NULL,
		    h_default },
		{ "{\"fulfillmentInfo\":{\"tag\":\"database-quer\"}}", NULL,
		    h_default },
		{ "{\"fulfillmentInfo\":{\"tag\":\"database-query \"}}", NULL,
		    h_default },
		{ "{\"fulfillmentInfo\":{\"tag\":\"database-queryx\"}}", NULL,
		    h_default },
		{ "{\"intentInfo\":{\"displayName\":\"account\"}}", NULL,
		    h_default },
		{ "{\"intentInfo\":{\"displayName\":\"account.balances\"}}",
		    NULL, h_default },
		/* the length counts: U+0000 never shortens a key */
		{ "{\"fulfillmentInfo\":{\"tag\":\"database-query\\u0000\"}}",
		    NULL, h_default },
		{ "{\"fulfillmentInfo\":{\"tag\":\"database-query\\u0000x\"}}",
		    NULL, h_default },
		{ "{\"fulfillmentInfo\":{\"tag\":\"database-query\\u0000\"},"
		    "\"intentInfo\":{\"displayName\":\"account.transactions\"}}",
		    "account.transactions", h_account_transactions },
		{ "{\"intentInfo\":{\"displayName\":"
		    "\"account.balance\\u0000\"}}", NULL, h_default },
		{ "{\"fulfillmentInfo\":{\"tag\":\"\\u0000\"}}", NULL,
		    h_default },
		/* a route's family is not a key */
		{ "{\"fulfillmentInfo\":{\"tag\":\"account\"}}", NULL,
		    h_default },
	};
	struct cx_request	 req;
	struct cx_err		 err;
	const struct route	*r;
	size_t			 i;

	for (i = 0; i < NITEMS(t); i++) {
		if (decode_str(t[i].json, &req, &err) != 0)
			fail_msg("refused (%s): %s", err.msg, t[i].json);
		r = route_find(&req);
		if (r == NULL)
			fail_msg("%s: no route", t[i].json);
		if (t[i].key == NULL && r != route_default())
			fail_msg("%s: route \"%s\", want the default",
			    t[i].json, r->key);
		if (t[i].key != NULL && strcmp(r->key, t[i].key) != 0)
			fail_msg("%s: route \"%s\", want \"%s\"", t[i].json,
			    r->key, t[i].key);
		if (r->fn != t[i].fn)
			fail_msg("%s: wrong handler", t[i].json);
		cx_request_free(&req);
	}
}

/* Every key of the table finds itself, as a tag and as an intent. */
static void
test_keys_find_themselves(void **state)
{
	static const char *const keys[] = {
		"account.balance", "account.transactions", "database-query",
	};
	struct cx_request	 req;
	struct cx_err		 err;
	const struct route	*r;
	char			 doc[256];
	size_t			 i;

	for (i = 0; i < NITEMS(keys); i++) {
		snprintf(doc, sizeof(doc),
		    "{\"fulfillmentInfo\":{\"tag\":\"%s\"}}", keys[i]);
		assert_int_equal(decode_str(doc, &req, &err), 0);
		r = route_find(&req);
		assert_string_equal(r->key, keys[i]);
		assert_string_equal(r->family, "account");
		cx_request_free(&req);
		snprintf(doc, sizeof(doc),
		    "{\"intentInfo\":{\"displayName\":\"%s\"}}", keys[i]);
		assert_int_equal(decode_str(doc, &req, &err), 0);
		assert_ptr_equal(route_find(&req), r);
		cx_request_free(&req);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_routes_valid),
		cmocka_unit_test(test_route_find),
		cmocka_unit_test(test_keys_find_themselves),
	};

	return cmocka_run_group_tests_name("routing", tests, NULL, NULL);
}
