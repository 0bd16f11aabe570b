/*
 * Unit tests for the account handlers and dispatch() (handlers/h_account.c,
 * registry.c, wh.c), through the handler seam of handlers/wh.h: decoded
 * requests in, a fake struct db_ops underneath (fake_db.h), the encoded
 * WebhookResponse out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cx/cx.h"
#include "cx/json.h"
#include "fake_db.h"
#include "handlers/wh.h"
#include "harness.h"
#include "lib/buf.h"

#define DEADLINE	987654321

/* Runs one request through route_find() and dispatch() (or route r). */
static void
run_route(struct fake_db *f, const char *json, const struct route *r,
    struct result *res)
{
	struct wh_ctx	ctx;

	ctx_db(&ctx, f, NULL, DEADLINE);
	harness_run(&ctx, r, json, res);
}

static void
run(struct fake_db *f, const char *json, struct result *res)
{
	run_route(f, json, NULL, res);
}

/* ---- balance ---- */

static void
test_balance(void **state)
{
	static const char *const reqs[] = {
		/* the database-query tag, user_id in the three shapes */
		"{\"fulfillmentInfo\":{\"tag\":\"database-query\"},"
		"\"sessionInfo\":{\"parameters\":{\"query_type\":"
		"\"account_balance\",\"user_id\":\"10042\"}}}",
		"{\"fulfillmentInfo\":{\"tag\":\"database-query\"},"
		"\"sessionInfo\":{\"parameters\":{\"query_type\":"
		"\"account_balance\",\"user_id\":10042}}}",
		"{\"fulfillmentInfo\":{\"tag\":\"database-query\"},"
		"\"sessionInfo\":{\"parameters\":{\"query_type\":"
		"\"account_balance\",\"user_id\":10042.0}}}",
		/* this turn's intent parameter */
		"{\"fulfillmentInfo\":{\"tag\":\"database-query\"},"
		"\"intentInfo\":{\"displayName\":\"x\",\"parameters\":{"
		"\"user_id\":{\"originalValue\":\"one double oh four two\","
		"\"resolvedValue\":10042.0},\"query_type\":{\"resolvedValue\":"
		"\"account_balance\"}}},"
		"\"sessionInfo\":{\"parameters\":{\"user_id\":\"20077\"}}}",
		/* the intent route */
		"{\"intentInfo\":{\"displayName\":\"account.balance\"},"
		"\"sessionInfo\":{\"parameters\":{\"user_id\":10042}}}",
	};
	struct fake_db	f;
	struct result	res;
	size_t		i;

	for (i = 0; i < NITEMS(reqs); i++) {
		fake_db_init(&f);
		run(&f, reqs[i], &res);
		assert_int_equal(f.calls, 1);
		assert_int_equal(f.last_stmt, DB_ACCOUNT_BALANCE);
		assert_int_equal(f.last_nparams, 1);
		if (strcmp(f.last_params[0], "10042") != 0)
			fail_msg("request %zu: the fake got user_id \"%s\"", i,
			    f.last_params[0]);
		assert_int_equal(f.last_deadline_ms, DEADLINE);
		assert_string_equal(first_text(&res),
		    "Your current account balance is $1,250.75.");
		/* A JSON number with the exact digits. */
		if (strstr(res.raw.p, "\"balance\":1250.75") == NULL)
			fail_msg("balance not 1250.75: %s", res.raw.p);
		assert_true(json_object_is_type(jget(res.o, PARAMS ".balance"),
		    json_type_double));
		assert_string_equal(jstr(res.o, PARAMS ".currency"), "USD");
		/* The Messenger info card shows the same figure. */
		assert_string_equal(jstr(rich_at(&res, 1, 0), "type"), "info");
		assert_string_equal(jstr(rich_at(&res, 1, 0), "subtitle"),
		    "$1,250.75");
		assert_no_error(&res);
		assert_int_equal(nparams(&res), 2);
		result_free(&res);
	}
}

static void
test_balance_other_currency(void **state)
{
	struct fake_db	f;
	struct result	res;

	fake_db_init(&f);
	run(&f, "{\"intentInfo\":{\"displayName\":\"account.balance\"},"
	    "\"sessionInfo\":{\"parameters\":{\"user_id\":\"20077\"}}}", &res);
	assert_string_equal(first_text(&res),
	    "Your current account balance is \xe2\x82\xac" "98,234.10.");
	assert_non_null(strstr(res.raw.p, "\"balance\":98234.10"));
	assert_string_equal(jstr(res.o, PARAMS ".currency"), "EUR");
	result_free(&res);

	fake_db_init(&f);
	run(&f, "{\"intentInfo\":{\"displayName\":\"account.balance\"},"
	    "\"sessionInfo\":{\"parameters\":{\"user_id\":\"30001\"}}}", &res);
	assert_string_equal(first_text(&res),
	    "Your current account balance is \xc2\xa3" "0.00.");
	assert_non_null(strstr(res.raw.p, "\"balance\":0.00"));
	result_free(&res);
}

static void
test_unknown_account(void **state)
{
	static const char *const reqs[] = {
		"{\"fulfillmentInfo\":{\"tag\":\"database-query\"},"
		"\"sessionInfo\":{\"parameters\":{\"query_type\":"
		"\"account_balance\",\"user_id\":\"99999\"}}}",
		"{\"intentInfo\":{\"displayName\":\"account.balance\"},"
		"\"sessionInfo\":{\"parameters\":{\"user_id\":99999}}}",
		"{\"intentInfo\":{\"displayName\":\"account.transactions\"},"
		"\"sessionInfo\":{\"parameters\":{\"user_id\":99999.0}}}",
	};
	struct fake_db	f;
	struct result	res;
	size_t		i;

	for (i = 0; i < NITEMS(reqs); i++) {
		fake_db_init(&f);
		run(&f, reqs[i], &res);
		assert_int_equal(f.calls, 1);
		assert_string_equal(f.last_params[0], "99999");
		if (strstr(first_text(&res), "99999") == NULL)
			fail_msg("text does not name the id: %s", res.raw.p);
		assert_error_code(&res, "account_not_found");
		/* Never a zero balance. */
		assert_false(jhas(res.o, PARAMS ".balance"));
		assert_false(jhas(res.o, PARAMS ".currency"));
		assert_false(jhas(res.o, PARAMS ".transaction_count"));
		assert_null(strstr(res.raw.p, "$0"));
		result_free(&res);
	}
}

static void
test_missing_user_id(void **state)
{
	static const char *const reqs[] = {
		"{\"fulfillmentInfo\":{\"tag\":\"database-query\"},"
		"\"sessionInfo\":{\"parameters\":{\"query_type\":"
		"\"account_balance\"}}}",
		"{\"fulfillmentInfo\":{\"tag\":\"database-query\"},"
		"\"sessionInfo\":{\"parameters\":{\"query_type\":"
		"\"recent_transactions\",\"user_id\":null}}}",
		"{\"intentInfo\":{\"displayName\":\"account.balance\"},"
		"\"sessionInfo\":{\"parameters\":{\"user_id\":\"\"}}}",
		"{\"intentInfo\":{\"displayName\":\"account.transactions\"}}",
		"{\"intentInfo\":{\"displayName\":\"account.balance\"},"
		"\"sessionInfo\":{\"parameters\":{\"user_id\":true}}}",
	};
	struct fake_db	f;
	struct result	res;
	size_t		i;

	for (i = 0; i < NITEMS(reqs); i++) {
		fake_db_init(&f);
		run(&f, reqs[i], &res);
		if (strstr(first_text(&res), "user ID") == NULL)
			fail_msg("does not ask for the user ID: %s",
			    res.raw.p);
		if (f.calls != 0)
			fail_msg("request %zu: %d database calls", i, f.calls);
		assert_false(jhas(res.o, PARAMS ".balance"));
		result_free(&res);
	}
}

/* A NULL balance cell is an internal error, not a crash or "$". */
static void
test_broken_row(void **state)
{
	struct fake_db	f;
	struct result	res;

	fake_db_init(&f);
	run(&f, "{\"intentInfo\":{\"displayName\":\"account.balance\"},"
	    "\"sessionInfo\":{\"parameters\":{\"user_id\":\"40404\"}}}", &res);
	assert_error_code(&res, "internal_error");
	assert_false(jhas(res.o, PARAMS ".balance"));
	assert_int_equal(nparams(&res), 2);
	result_free(&res);
}

/* ---- transactions ---- */

static void
test_transactions_limit(void **state)
{
	static const struct {
		const char	*limit;		/* JSON, NULL: absent */
		const char	*want;
	} t[] = {
		{ "3", "3" },
		{ "\"3\"", "3" },
		{ "3.0", "3" },
		{ "50", "20" },
		{ "20", "20" },
		{ "21", "20" },
		{ NULL, "5" },
		{ "null", "5" },
		{ "0", "5" },
		{ "-2", "5" },
		{ "\"many\"", "5" },
		{ "1", "1" },
	};
	struct fake_db	f;
	struct result	res;
	char		doc[512];
	size_t		i;

	for (i = 0; i < NITEMS(t); i++) {
		if (t[i].limit == NULL)
			snprintf(doc, sizeof(doc), "{\"fulfillmentInfo\":{"
			    "\"tag\":\"database-query\"},\"sessionInfo\":{"
			    "\"parameters\":{\"query_type\":"
			    "\"recent_transactions\",\"user_id\":\"10042\"}}}");
		else
			snprintf(doc, sizeof(doc), "{\"fulfillmentInfo\":{"
			    "\"tag\":\"database-query\"},\"sessionInfo\":{"
			    "\"parameters\":{\"query_type\":"
			    "\"recent_transactions\",\"user_id\":\"10042\","
			    "\"limit\":%s}}}", t[i].limit);
		fake_db_init(&f);
		run(&f, doc, &res);
		assert_int_equal(f.calls, 1);
		assert_int_equal(f.last_stmt, DB_RECENT_TRANSACTIONS);
		assert_int_equal(f.last_nparams, 2);
		assert_string_equal(f.last_params[0], "10042");
		if (strcmp(f.last_params[1], t[i].want) != 0)
			fail_msg("limit %s: the fake got \"%s\", want \"%s\"",
			    t[i].limit != NULL ? t[i].limit : "(absent)",
			    f.last_params[1], t[i].want);
		assert_no_error(&res);
		result_free(&res);
	}
}

static void
test_transactions_text(void **state)
{
	struct fake_db	 f;
	struct result	 res;
	json_object	*v;

	fake_db_init(&f);
	run(&f, "{\"fulfillmentInfo\":{\"tag\":\"database-query\"},"
	    "\"sessionInfo\":{\"parameters\":{\"query_type\":"
	    "\"recent_transactions\",\"user_id\":\"10042\",\"limit\":3}}}",
	    &res);
	assert_string_equal(first_text(&res),
	    "Your last 3 transactions: Nov 22: Corner Cafe, -$8.75; "
	    "Nov 21: Payroll Deposit, $2,500.00; "
	    "Nov 20: Grocery Mart, -$64.30.");
	v = jget(res.o, PARAMS ".transaction_count");
	assert_non_null(v);
	assert_true(json_object_is_type(v, json_type_int));
	assert_int_equal(json_object_get_int(v), 3);
	/* The Messenger list: the same rows, newest first, with dividers. */
	assert_string_equal(jstr(rich_at(&res, 1, 0), "type"), "list");
	assert_string_equal(jstr(rich_at(&res, 1, 0), "title"),
	    "Corner Cafe");
	assert_string_equal(jstr(rich_at(&res, 1, 0), "subtitle"),
	    "Nov 22 \xc2\xb7 -$8.75");
	assert_string_equal(jstr(rich_at(&res, 1, 1), "type"), "divider");
	assert_string_equal(jstr(rich_at(&res, 1, 4), "title"),
	    "Grocery Mart");
	assert_null(rich_at(&res, 1, 5));
	assert_no_error(&res);
	result_free(&res);

	/* One: singular. */
	fake_db_init(&f);
	run(&f, "{\"intentInfo\":{\"displayName\":\"account.transactions\","
	    "\"parameters\":{\"limit\":{\"resolvedValue\":1}}},"
	    "\"sessionInfo\":{\"parameters\":{\"user_id\":10042}}}", &res);
	assert_string_equal(first_text(&res),
	    "Your last transaction: Nov 22: Corner Cafe, -$8.75.");
	assert_int_equal(json_object_get_int(jget(res.o,
	    PARAMS ".transaction_count")), 1);
	result_free(&res);

	/* Fewer than asked for: the count is what there is. */
	fake_db_init(&f);
	run(&f, "{\"intentInfo\":{\"displayName\":\"account.transactions\"},"
	    "\"sessionInfo\":{\"parameters\":{\"user_id\":\"10042\","
	    "\"limit\":50}}}", &res);
	assert_int_equal(json_object_get_int(jget(res.o,
	    PARAMS ".transaction_count")), 7);
	assert_true(strncmp(first_text(&res), "Your last 7 transactions: ",
	    26) == 0);
	assert_non_null(strstr(first_text(&res),
	    "Oct 27: Bakery, -$3.10."));
	result_free(&res);

	/* Another currency in the list. */
	fake_db_init(&f);
	run(&f, "{\"intentInfo\":{\"displayName\":\"account.transactions\"},"
	    "\"sessionInfo\":{\"parameters\":{\"user_id\":\"20077\"}}}", &res);
	assert_string_equal(first_text(&res), "Your last transaction: "
	    "Nov 2: Transfer, -\xe2\x82\xac" "100.00.");
	result_free(&res);
}

static void
test_no_transactions(void **state)
{
	static const char *const reqs[] = {
		"{\"intentInfo\":{\"displayName\":\"account.transactions\"},"
		"\"sessionInfo\":{\"parameters\":{\"user_id\":\"30001\"}}}",
		"{\"fulfillmentInfo\":{\"tag\":\"database-query\"},"
		"\"sessionInfo\":{\"parameters\":{\"query_type\":"
		"\"recent_transactions\",\"user_id\":30001,\"limit\":3}}}",
	};
	struct fake_db	 f;
	struct result	 res;
	json_object	*v;
	size_t		 i;

	for (i = 0; i < NITEMS(reqs); i++) {
		fake_db_init(&f);
		run(&f, reqs[i], &res);
		assert_int_equal(f.calls, 1);
		assert_string_equal(first_text(&res),
		    "You don't have any transactions yet.");
		v = jget(res.o, PARAMS ".transaction_count");
		assert_non_null(v);
		assert_int_equal(json_object_get_int(v), 0);
		assert_no_error(&res);
		result_free(&res);
	}
}

/* ---- the database-query tag's query_type ---- */

static void
test_query_type(void **state)
{
	struct fake_db	f;
	struct result	res;

	fake_db_init(&f);
	run(&f, "{\"fulfillmentInfo\":{\"tag\":\"database-query\"},"
	    "\"sessionInfo\":{\"parameters\":{\"query_type\":\"loan_rates\","
	    "\"user_id\":\"10042\"}}}", &res);
	assert_error_code(&res, "unsupported_query");
	assert_int_equal(f.calls, 0);
	assert_non_null(first_text(&res));
	assert_false(jhas(res.o, PARAMS ".balance"));
	result_free(&res);

	/* Names are exact. */
	fake_db_init(&f);
	run(&f, "{\"fulfillmentInfo\":{\"tag\":\"database-query\"},"
	    "\"sessionInfo\":{\"parameters\":{\"query_type\":"
	    "\"account_balance\\u0000x\",\"user_id\":\"10042\"}}}", &res);
	assert_int_equal(f.calls, 0);
	assert_false(jhas(res.o, PARAMS ".balance"));
	result_free(&res);

	/* No query_type: a question, no database call, no error. */
	fake_db_init(&f);
	run(&f, "{\"fulfillmentInfo\":{\"tag\":\"database-query\"},"
	    "\"sessionInfo\":{\"parameters\":{\"user_id\":\"10042\"}}}", &res);
	assert_int_equal(f.calls, 0);
	assert_non_null(strstr(first_text(&res), "balance"));
	assert_no_error(&res);
	result_free(&res);
}

/* ---- failures become apologies (dispatch) ---- */

static void
test_infrastructure_failures(void **state)
{
	static const struct {
		enum wh_status	 st;
		const char	*code;
	} t[] = {
		{ WH_DB_UNAVAILABLE, "database_unavailable" },
		{ WH_DEADLINE, "deadline" },
		{ WH_UPSTREAM_UNAVAILABLE, "upstream_unavailable" },
		{ WH_UPSTREAM_TIMEOUT, "upstream_timeout" },
		{ WH_INTERNAL, "internal_error" },
	};
	static const char *const reqs[] = {
		"{\"fulfillmentInfo\":{\"tag\":\"database-query\"},"
		"\"sessionInfo\":{\"parameters\":{\"query_type\":"
		"\"account_balance\",\"user_id\":\"10042\"}}}",
		"{\"intentInfo\":{\"displayName\":\"account.transactions\"},"
		"\"sessionInfo\":{\"parameters\":{\"user_id\":\"10042\"}}}",
	};
	struct fake_db	 f;
	struct result	 res;
	const char	*text;
	size_t		 i, j;

	for (j = 0; j < NITEMS(reqs); j++) {
		for (i = 0; i < NITEMS(t); i++) {
			fake_db_init(&f);
			f.fail = t[i].st;
			run(&f, reqs[j], &res);
			assert_int_equal(f.calls, 1);
			text = first_text(&res);
			if (strncmp(text, "Sorry", 5) != 0)
				fail_msg("not an apology: %s", res.raw.p);
			assert_error_code(&res, t[i].code);
			/* Nothing but the two error parameters. */
			assert_int_equal(nparams(&res), 2);
			assert_false(jhas(res.o, PARAMS ".balance"));
			assert_null(strstr(text, "$"));
			result_free(&res);
		}
	}

	fake_db_init(&f);
	f.fail = WH_DB_UNAVAILABLE;
	run(&f, reqs[0], &res);
	assert_string_equal(first_text(&res), "Sorry, I can't reach our "
	    "records right now. Please try again in a moment.");
	result_free(&res);
}

/* A handler that builds half an answer and then fails. */
static enum wh_status
h_half_then_fail(struct wh_ctx *ctx)
{
	const char	*params[1] = { "10042" };
	struct db_rows	 rows;
	enum wh_status	 st;

	cx_resp_say(ctx->resp, "Your balance is");
	cx_resp_set_number_text(ctx->resp, "balance", "1250.75");
	cx_resp_set_str(ctx->resp, "currency", "USD");
	cx_resp_form_param(ctx->resp, "user_id", CX_PARAM_INVALID, true);
	cx_resp_merge(ctx->resp, CX_MERGE_REPLACE);
	cx_resp_target_page(ctx->resp, "projects/p/flows/f/pages/next");
	cx_resp_webhook_payload(ctx->resp, json_object_new_object());
	wh_fail(ctx, "account_not_found", "An earlier complaint.");
	st = ctx->db_ops->exec(ctx->db, DB_ACCOUNT_BALANCE, params, 1, &rows,
	    ctx->deadline_ms);
	if (st == WH_OK)
		db_rows_clear(&rows);
	return st;
}

static void
test_failure_drops_partial_answer(void **state)
{
	static const struct route half = {
		"half", h_half_then_fail, "test",
	};
	struct fake_db	f;
	struct result	res;

	fake_db_init(&f);
	f.fail = WH_DB_UNAVAILABLE;
	run_route(&f, "{}", &half, &res);
	assert_int_equal(f.calls, 1);
	assert_string_equal(first_text(&res), "Sorry, I can't reach our "
	    "records right now. Please try again in a moment.");
	assert_error_code(&res, "database_unavailable");
	assert_int_equal(nparams(&res), 2);
	assert_false(jhas(res.o, "pageInfo"));
	assert_false(jhas(res.o, "targetPage"));
	assert_false(jhas(res.o, "payload"));
	assert_false(jhas(res.o, "fulfillmentResponse.mergeBehavior"));
	assert_null(strstr(res.raw.p, "Your balance is"));
	assert_null(strstr(res.raw.p, "earlier"));
	assert_null(strstr(res.raw.p, "1250.75"));
	result_free(&res);

	/* When the same handler succeeds, everything it built stays. */
	fake_db_init(&f);
	run_route(&f, "{}", &half, &res);
	assert_int_equal(json_object_array_length(jget(res.o,
	    "fulfillmentResponse.messages")), 2);
	assert_true(jhas(res.o, "pageInfo"));
	assert_true(jhas(res.o, "targetPage"));
	assert_non_null(strstr(res.raw.p, "\"balance\":1250.75"));
	assert_error_code(&res, "account_not_found");
	result_free(&res);
}

static void
test_default_handler(void **state)
{
	static const char *const reqs[] = {
		"{}",
		"{\"intentInfo\":{\"displayName\":\"smalltalk.greeting\"}}",
		"{\"fulfillmentInfo\":{\"tag\":\"no-such-tag\"},"
		"\"sessionInfo\":{\"parameters\":{\"user_id\":\"10042\"}}}",
		"{\"triggerEvent\":\"WELCOME\"}",
	};
	struct fake_db	f;
	struct result	res;
	size_t		i;

	for (i = 0; i < NITEMS(reqs); i++) {
		fake_db_init(&f);
		run(&f, reqs[i], &res);
		assert_ptr_equal(res.route, route_default());
		assert_string_equal(first_text(&res), "I've received your "
		    "request, but I'm not sure how to handle it.");
		assert_int_equal(f.calls, 0);
		assert_int_equal(nparams(&res), 0);
		result_free(&res);
	}
}

/* wh_fail: said, flagged, and a second failure's code wins. */
static void
test_wh_fail(void **state)
{
	struct cx_request	 req;
	struct cx_err		 err;
	struct wh_ctx		 ctx;
	struct buf		 raw;
	json_object		*o;

	assert_int_equal(decode_str("{}", &req, &err), 0);
	memset(&ctx, 0, sizeof(ctx));
	ctx.req = &req;
	ctx.resp = cx_response_new();
	wh_fail(&ctx, "slot_taken", "Sorry, %s is taken.", "9:00");
	wh_fail(&ctx, "account_not_found", "No account %d.", 7);
	buf_init(&raw);
	assert_int_equal(cx_encode(ctx.resp, &raw, &err), 0);
	o = jparse(raw.p, raw.len);
	assert_non_null(o);
	assert_string_equal(jstr(o, TEXT0), "Sorry, 9:00 is taken.");
	assert_string_equal(jstr(o, "fulfillmentResponse.messages[1].text."
	    "text[0]"), "No account 7.");
	assert_string_equal(jstr(o, PARAMS ".error_code"),
	    "account_not_found");
	assert_true(json_object_get_boolean(jget(o, PARAMS ".error_occurred")));
	json_object_put(o);
	buf_clear(&raw);
	cx_response_free(ctx.resp);
	cx_request_free(&req);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_balance),
		cmocka_unit_test(test_balance_other_currency),
		cmocka_unit_test(test_unknown_account),
		cmocka_unit_test(test_missing_user_id),
		cmocka_unit_test(test_broken_row),
		cmocka_unit_test(test_transactions_limit),
		cmocka_unit_test(test_transactions_text),
		cmocka_unit_test(test_no_transactions),
		cmocka_unit_test(test_query_type),
		cmocka_unit_test(test_infrastructure_failures),
		cmocka_unit_test(test_failure_drops_partial_answer),
		cmocka_unit_test(test_default_handler),
		cmocka_unit_test(test_wh_fail),
	};

	return cmocka_run_group_tests_name("handlers", tests, NULL, NULL);
}
