/*
 * Unit tests for cx_decode() (cx/decode.c): the proto3 JSON rules of
 * docs/cx-protocol.md §2 applied to a WebhookRequest (§3), field by field.
 * Requests are embedded in the source; nothing is read from disk.
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
#include "handlers/wh.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

static void
assert_str(struct cx_str s, const char *want)
{
	if (want == NULL) {
		if (s.p != NULL)
			fail_msg("expected absent, got \"%.*s\"", (int)s.len,
			    s.p);
		return;
	}
	if (!cx_str_eq(s, want))
		fail_msg("expected \"%s\", got %s%.*s%s", want,
		    s.p == NULL ? "(absent)" : "\"", s.p == NULL ? 0 :
		    (int)s.len, s.p == NULL ? "" : s.p, s.p == NULL ? "" : "\"");
}

static const char full_request[] =
"{\n"
"  \"detectIntentResponseId\": \"5b1c3e0a-7f2d-4a8e-9c61-2f4d8e9b0a11\",\n"
"  \"intentInfo\": {\n"
"    \"lastMatchedIntent\": \"projects/demo-bank/locations/global/agents/0f5e/intents/9a1b\",\n"
"    \"displayName\": \"account.balance\",\n"
"    \"parameters\": {\n"
"      \"user_id\": {\"originalValue\": \"ten oh oh four two\", \"resolvedValue\": 10042},\n"
"      \"date\": {\"originalValue\": \"next monday\",\n"
"                 \"resolvedValue\": {\"year\": 2026, \"month\": 9, \"day\": 14}}\n"
"    },\n"
"    \"confidence\": 0.87\n"
"  },\n"
"  \"pageInfo\": {\n"
"    \"currentPage\": \"projects/demo-bank/locations/global/agents/0f5e/flows/00000000-0000-0000-0000-000000000000/pages/START_PAGE\",\n"
"    \"displayName\": \"Start Page\",\n"
"    \"formInfo\": {\n"
"      \"parameterInfo\": [\n"
"        {\"displayName\": \"user_id\", \"required\": true, \"state\": \"FILLED\",\n"
"         \"value\": 10042, \"justCollected\": true},\n"
"        {\"displayName\": \"query_type\", \"required\": true, \"state\": 1},\n"
"        {\"displayName\": \"limit\", \"state\": \"INVALID\", \"value\": \"lots\"},\n"
"        {\"displayName\": \"note\", \"state\": 0, \"value\": null},\n"
"        {\"displayName\": \"memo\", \"state\": \"PARAMETER_STATE_UNSPECIFIED\"},\n"
"        {\"displayName\": \"pin\", \"state\": 3, \"required\": false}\n"
"      ]\n"
"    }\n"
"  },\n"
"  \"sessionInfo\": {\n"
"    \"session\": \"projects/demo-bank/locations/global/agents/0f5e/sessions/a1b2c3-d4e5\",\n"
"    \"parameters\": {\"user_id\": \"10042\", \"query_type\": \"account_balance\",\n"
"                   \"cleared\": null}\n"
"  },\n"
"  \"fulfillmentInfo\": {\"tag\": \"database-query\"},\n"
"  \"messages\": [\n"
"    {\"text\": {\"text\": [\"One moment.\"], \"redactedText\": [\"One moment.\"]},\n"
"     \"responseType\": \"ENTRY_PROMPT\", \"source\": \"VIRTUAL_AGENT\"},\n"
"    {\"payload\": {\"richContent\": []}}\n"
"  ],\n"
"  \"payload\": {\"telephony\": {\"caller_id\": \"+18555550100\"}},\n"
"  \"sentimentAnalysisResult\": {\"score\": -0.4, \"magnitude\": 0.9},\n"
"  \"text\": \"what's my balance\",\n"
"  \"languageCode\": \"en\",\n"
"  \"languageInfo\": {\"inputLanguageCode\": \"en-US\",\n"
"                   \"resolvedLanguageCode\": \"en\", \"confidenceScore\": 1}\n"
"}\n";

static void
test_full_request(void **state)
{
	struct cx_request	 req;
	struct cx_err		 err;
	struct cx_value		 v, w;
	struct cx_str		 s;
	double			 d;
	bool			 b;

	if (decode_str(full_request, &req, &err) != 0)
		fail_msg("refused: %s", err.msg);

	assert_non_null(req.root);
	assert_str(req.detect_intent_response_id,
	    "5b1c3e0a-7f2d-4a8e-9c61-2f4d8e9b0a11");
	assert_str(req.tag, "database-query");
	assert_str(req.intent_name, "account.balance");
	assert_str(req.last_matched_intent,
	    "projects/demo-bank/locations/global/agents/0f5e/intents/9a1b");
	assert_true(req.intent_confidence == 0.87);

	/* intentInfo.parameters: the map itself, both members of each. */
	assert_true(req.intent_params.present);
	assert_int_equal(cx_value_type(req.intent_params), CX_OBJECT);
	v = cx_value_get(req.intent_params, "user_id");
	assert_int_equal(cx_value_type(v), CX_OBJECT);
	assert_true(cx_value_str(cx_value_get(v, "originalValue"), &s));
	assert_true(cx_str_eq(s, "ten oh oh four two"));
	assert_true(cx_value_num(cx_value_get(v, "resolvedValue"), &d));
	assert_true(d == 10042.0);
	v = cx_value_get(cx_value_get(req.intent_params, "date"),
	    "resolvedValue");
	assert_int_equal(cx_value_type(v), CX_OBJECT);
	assert_true(cx_value_num(cx_value_get(v, "month"), &d));
	assert_true(d == 9.0);

	assert_str(req.current_page, "projects/demo-bank/locations/global/"
	    "agents/0f5e/flows/00000000-0000-0000-0000-000000000000/pages/"
	    "START_PAGE");
	assert_str(req.page_name, "Start Page");

	/* pageInfo.formInfo.parameterInfo, states as names and numbers. */
	assert_int_equal(req.n_form_params, 6);
	assert_non_null(req.form_params);
	assert_str(req.form_params[0].display_name, "user_id");
	assert_true(req.form_params[0].required);
	assert_int_equal(req.form_params[0].state, CX_PARAM_FILLED);
	assert_true(req.form_params[0].just_collected);
	assert_true(cx_value_num(req.form_params[0].value, &d));
	assert_true(d == 10042.0);

	assert_str(req.form_params[1].display_name, "query_type");
	assert_true(req.form_params[1].required);
	assert_int_equal(req.form_params[1].state, CX_PARAM_EMPTY);
	assert_false(req.form_params[1].just_collected);
	assert_int_equal(cx_value_type(req.form_params[1].value), CX_ABSENT);

	assert_str(req.form_params[2].display_name, "limit");
	assert_false(req.form_params[2].required);
	assert_int_equal(req.form_params[2].state, CX_PARAM_INVALID);
	assert_true(cx_value_str(req.form_params[2].value, &s));
	assert_true(cx_str_eq(s, "lots"));

	assert_str(req.form_params[3].display_name, "note");
	assert_int_equal(req.form_params[3].state, CX_PARAM_UNSPECIFIED);
	/* value is a google.protobuf.Value: null is a value, not absence. */
	assert_int_equal(cx_value_type(req.form_params[3].value), CX_NULL);

	assert_str(req.form_params[4].display_name, "memo");
	assert_int_equal(req.form_params[4].state, CX_PARAM_UNSPECIFIED);
	assert_str(req.form_params[5].display_name, "pin");
	assert_int_equal(req.form_params[5].state, CX_PARAM_FILLED);
	assert_false(req.form_params[5].required);

	/* sessionInfo */
	assert_str(req.session, "projects/demo-bank/locations/global/agents/"
	    "0f5e/sessions/a1b2c3-d4e5");
	assert_true(req.session_params.present);
	assert_true(cx_value_str(cx_value_get(req.session_params, "user_id"),
	    &s));
	assert_true(cx_str_eq(s, "10042"));
	assert_true(cx_value_str(cx_value_get(req.session_params,
	    "query_type"), &s));
	assert_true(cx_str_eq(s, "account_balance"));
	w = cx_value_get(req.session_params, "cleared");
	assert_true(w.present);
	assert_int_equal(cx_value_type(w), CX_NULL);
	assert_int_equal(cx_value_type(cx_value_get(req.session_params,
	    "nope")), CX_ABSENT);

	/* payload */
	assert_true(req.payload.present);
	assert_true(cx_value_str(cx_value_get(cx_value_get(req.payload,
	    "telephony"), "caller_id"), &s));
	assert_true(cx_str_eq(s, "+18555550100"));

	/* sentimentAnalysisResult */
	assert_true(req.has_sentiment);
	assert_true(req.sentiment_score == -0.4);
	assert_true(req.sentiment_magnitude == 0.9);

	/* query oneof, languageCode */
	assert_int_equal(req.query_kind, CX_QUERY_TEXT);
	assert_str(req.query, "what's my balance");
	assert_str(req.language_code, "en");

	s = cx_session_id(&req);
	assert_true(cx_str_eq(s, "a1b2c3-d4e5"));
	assert_false(cx_value_bool(w, &b));

	cx_request_free(&req);
	assert_null(req.root);
	assert_null(req.form_params);
}

/* float fields take numbers or numeric strings (proto3 JSON). */
static void
test_sentiment_shapes(void **state)
{
	static const struct {
		const char	*json;
		double		 score, magnitude;
	} ok[] = {
		{ "{\"sentimentAnalysisResult\":{\"score\":-0.75,"
		    "\"magnitude\":1.5}}", -0.75, 1.5 },
		{ "{\"sentimentAnalysisResult\":{\"score\":\"-0.75\","
		    "\"magnitude\":\"1.5\"}}", -0.75, 1.5 },
		{ "{\"sentimentAnalysisResult\":{\"score\":1,"
		    "\"magnitude\":\"2\"}}", 1.0, 2.0 },
		{ "{\"sentiment_analysis_result\":{\"score\":\"0.25\"}}",
		    0.25, 0.0 },
		{ "{\"sentimentAnalysisResult\":{}}", 0.0, 0.0 },
	};
	static const char *const bad[] = {
		"{\"sentimentAnalysisResult\":{\"score\":\"abc\"}}",
		"{\"sentimentAnalysisResult\":{\"score\":\"\"}}",
		"{\"sentimentAnalysisResult\":{\"score\":\"0.5x\"}}",
		"{\"sentimentAnalysisResult\":{\"score\":\"0.5\\u00001\"}}",
		"{\"sentimentAnalysisResult\":{\"score\":true}}",
		"{\"sentimentAnalysisResult\":{\"magnitude\":[1]}}",
	};
	struct cx_request	req;
	struct cx_err		err;
	size_t			i;

	for (i = 0; i < NITEMS(ok); i++) {
		if (decode_str(ok[i].json, &req, &err) != 0)
			fail_msg("%s: refused: %s", ok[i].json, err.msg);
		if (!req.has_sentiment || req.sentiment_score != ok[i].score ||
		    req.sentiment_magnitude != ok[i].magnitude)
			fail_msg("%s: got %d %g %g", ok[i].json,
			    req.has_sentiment, req.sentiment_score,
			    req.sentiment_magnitude);
		cx_request_free(&req);
	}
	for (i = 0; i < NITEMS(bad); i++) {
		if (decode_str(bad[i], &req, &err) != -1)
			fail_msg("accepted: %s", bad[i]);
		if (strstr(err.msg, "sentimentAnalysisResult.") == NULL)
			fail_msg("%s: message \"%s\" names no field", bad[i],
			    err.msg);
	}
}

/*
 * proto3 JSON spells NaN and the infinities "NaN", "Infinity" and
 * "-Infinity".  JSON has no such numbers, so nothing carrying them could
 * be answered, and none of these fields means anything by them: each
 * counts as absent.  Other spellings strtod(3) knows ("nan", "inf"), a
 * string number no double holds and anything outside the JSON number
 * grammar are refused, naming the field, as the same number unquoted is.
 */
static void
test_float_non_finite(void **state)
{
	static const char *const fields[] = {
		"sentimentAnalysisResult.score",
		"sentimentAnalysisResult.magnitude",
		"intentInfo.confidence",
	};
	static const char *const absent[] = {
		"\"NaN\"", "\"Infinity\"", "\"-Infinity\"",
	};
	static const char *const refused[] = {
		"\"nan\"", "\"NAN\"", "\"inf\"", "\"-inf\"", "\"infinity\"",
		"\"+Infinity\"", "\"nan(1)\"", "\"1e999\"", "\"-1e999\"",
		"\" 1\"", "\"1 \"", "\"+1\"", "\"0x10\"", "\".5\"", "\"01\"",
		"\"1.\"", "1e999",
	};
	struct cx_request	 req;
	struct cx_err		 err;
	char			 doc[256], obj[64];
	const char		*dot;
	size_t			 f, i;
	double			 got[3];

	for (f = 0; f < NITEMS(fields); f++) {
		dot = strchr(fields[f], '.');
		snprintf(obj, sizeof(obj), "%.*s", (int)(dot - fields[f]),
		    fields[f]);
		for (i = 0; i < NITEMS(absent); i++) {
			snprintf(doc, sizeof(doc), "{\"%s\":{\"%s\":%s}}", obj,
			    dot + 1, absent[i]);
			if (decode_str(doc, &req, &err) != 0)
				fail_msg("%s: refused: %s", doc, err.msg);
			got[0] = req.sentiment_score;
			got[1] = req.sentiment_magnitude;
			got[2] = req.intent_confidence;
			if (got[f] != 0.0)
				fail_msg("%s: %s is %g, want absent (0)", doc,
				    fields[f], got[f]);
			cx_request_free(&req);
		}
		for (i = 0; i < NITEMS(refused); i++) {
			snprintf(doc, sizeof(doc), "{\"%s\":{\"%s\":%s}}", obj,
			    dot + 1, refused[i]);
			if (decode_str(doc, &req, &err) != -1) {
				cx_request_free(&req);
				fail_msg("accepted: %s", doc);
			}
			/* 1e999 unquoted: the strict check names no field. */
			if (strcmp(refused[i], "1e999") != 0 &&
			    strstr(err.msg, fields[f]) == NULL)
				fail_msg("%s: message \"%s\" does not name %s",
				    doc, err.msg, fields[f]);
		}
	}

	/* Absent only where it was: the other field keeps its value. */
	if (decode_str("{\"sentimentAnalysisResult\":{\"score\":\"NaN\","
	    "\"magnitude\":\"1.5\"}}", &req, &err) != 0)
		fail_msg("refused: %s", err.msg);
	assert_true(req.has_sentiment);
	assert_true(req.sentiment_score == 0.0);
	assert_true(req.sentiment_magnitude == 1.5);
	cx_request_free(&req);
}

static void
assert_all_absent(const struct cx_request *req)
{
	assert_null(req->detect_intent_response_id.p);
	assert_null(req->tag.p);
	assert_null(req->intent_name.p);
	assert_null(req->last_matched_intent.p);
	assert_true(req->intent_confidence == 0.0);
	assert_false(req->intent_params.present);
	assert_null(req->current_page.p);
	assert_null(req->page_name.p);
	assert_int_equal(req->n_form_params, 0);
	assert_null(req->session.p);
	assert_false(req->session_params.present);
	assert_false(req->payload.present);
	assert_false(req->has_sentiment);
	assert_int_equal(req->query_kind, CX_QUERY_NONE);
	assert_null(req->query.p);
	assert_null(req->language_code.p);
	assert_int_equal(cx_value_type(cx_param(req, "user_id")), CX_ABSENT);
	assert_null(cx_session_id(req).p);
	assert_ptr_equal(route_find(req), route_default());
}

static void
test_nulls_are_absent(void **state)
{
	static const char *const docs[] = {
		"{}",
		"{\"detectIntentResponseId\":null,\"intentInfo\":null,"
		"\"pageInfo\":null,\"sessionInfo\":null,\"fulfillmentInfo\":null,"
		"\"messages\":null,\"payload\":null,"
		"\"sentimentAnalysisResult\":null,\"text\":null,"
		"\"triggerIntent\":null,\"transcript\":null,"
		"\"triggerEvent\":null,\"dtmfDigits\":null,"
		"\"languageCode\":null,\"languageInfo\":null}",
		/* one level down */
		"{\"intentInfo\":{\"lastMatchedIntent\":null,"
		"\"displayName\":null,\"parameters\":null,\"confidence\":null},"
		"\"pageInfo\":{\"currentPage\":null,\"displayName\":null,"
		"\"formInfo\":null},"
		"\"sessionInfo\":{\"session\":null,\"parameters\":null},"
		"\"fulfillmentInfo\":{\"tag\":null}}",
		"{\"pageInfo\":{\"formInfo\":{\"parameterInfo\":null}}}",
		"{\"pageInfo\":{\"formInfo\":{}}}",
		"{\"pageInfo\":{\"formInfo\":{\"parameterInfo\":[]}}}",
		"{\"fulfillmentInfo\":{}}",
		"{\"messages\":[]}",
	};
	struct cx_request	req;
	struct cx_err		err;
	size_t			i;

	for (i = 0; i < NITEMS(docs); i++) {
		if (decode_str(docs[i], &req, &err) != 0)
			fail_msg("refused (%s): %s", err.msg, docs[i]);
		assert_all_absent(&req);
		cx_request_free(&req);
	}
}

struct bad_case {
	const char	*json;
	const char	*want[2];	/* substrings of err.msg */
};

static void
run_bad(const struct bad_case *t, size_t n)
{
	struct cx_request	req;
	struct cx_err		err;
	size_t			i, j;

	for (i = 0; i < n; i++) {
		if (decode_str(t[i].json, &req, &err) != -1) {
			cx_request_free(&req);
			fail_msg("accepted: %s", t[i].json);
		}
		for (j = 0; j < 2; j++)
			if (t[i].want[j] != NULL &&
			    strstr(err.msg, t[i].want[j]) == NULL)
				fail_msg("%s: message \"%s\" lacks \"%s\"",
				    t[i].json, err.msg, t[i].want[j]);
		/* A failed decode leaves nothing to free. */
		assert_null(req.root);
		assert_null(req.form_params);
	}
}

static void
test_wrong_types(void **state)
{
	static const struct bad_case t[] = {
		{ "{\"intentInfo\":{\"parameters\":\"user_id=10042\"}}",
		    { "intentInfo.parameters:", "expected an object" } },
		{ "{\"sessionInfo\":{\"parameters\":[1,2]}}",
		    { "sessionInfo.parameters:", "expected an object" } },
		{ "{\"fulfillmentInfo\":{\"tag\":42}}",
		    { "fulfillmentInfo.tag:", "expected a string" } },
		{ "{\"text\":{\"text\":\"hi\"}}",
		    { "text:", "expected a string" } },
		{ "{\"pageInfo\":{\"formInfo\":{\"parameterInfo\":["
		    "{\"displayName\":\"a\",\"required\":true},"
		    "{\"displayName\":\"b\",\"required\":\"yes\"}]}}}",
		    { "pageInfo.formInfo.parameterInfo[1].required", NULL } },
		{ "{\"messages\":[null]}",
		    { "messages[0]", NULL } },
		/* more of the same family */
		{ "{\"messages\":[{},5]}", { "messages[1]", NULL } },
		{ "{\"messages\":{}}", { "messages", "expected an array" } },
		{ "{\"intentInfo\":\"account.balance\"}",
		    { "intentInfo", "expected an object" } },
		{ "{\"intentInfo\":{\"displayName\":7}}",
		    { "intentInfo.displayName", NULL } },
		{ "{\"intentInfo\":{\"confidence\":true}}",
		    { "intentInfo.confidence", NULL } },
		{ "{\"intentInfo\":{\"parameters\":{\"user_id\":10042}}}",
		    { "intentInfo.parameters[\"user_id\"]", NULL } },
		{ "{\"intentInfo\":{\"parameters\":{\"user_id\":"
		    "{\"originalValue\":10042}}}}",
		    { "intentInfo.parameters[\"user_id\"].originalValue",
		    NULL } },
		{ "{\"pageInfo\":{\"formInfo\":{\"parameterInfo\":{}}}}",
		    { "pageInfo.formInfo.parameterInfo", NULL } },
		{ "{\"pageInfo\":{\"formInfo\":{\"parameterInfo\":[null]}}}",
		    { "pageInfo.formInfo.parameterInfo[0]", NULL } },
		{ "{\"pageInfo\":{\"formInfo\":{\"parameterInfo\":["
		    "{\"state\":\"BOGUS\"}]}}}",
		    { "pageInfo.formInfo.parameterInfo[0].state", NULL } },
		{ "{\"pageInfo\":{\"formInfo\":{\"parameterInfo\":["
		    "{\"state\":4}]}}}",
		    { "pageInfo.formInfo.parameterInfo[0].state", NULL } },
		{ "{\"pageInfo\":{\"formInfo\":{\"parameterInfo\":["
		    "{\"state\":-1}]}}}",
		    { "pageInfo.formInfo.parameterInfo[0].state", NULL } },
		{ "{\"pageInfo\":{\"formInfo\":{\"parameterInfo\":["
		    "{\"justCollected\":1}]}}}",
		    { "pageInfo.formInfo.parameterInfo[0].justCollected",
		    NULL } },
		{ "{\"pageInfo\":{\"currentPage\":[]}}",
		    { "pageInfo.currentPage", NULL } },
		{ "{\"pageInfo\":{\"formInfo\":\"x\"}}",
		    { "pageInfo.formInfo", NULL } },
		{ "{\"sessionInfo\":{\"session\":{}}}",
		    { "sessionInfo.session", NULL } },
		{ "{\"sessionInfo\":true}", { "sessionInfo", NULL } },
		{ "{\"fulfillmentInfo\":[]}", { "fulfillmentInfo", NULL } },
		{ "{\"payload\":\"x\"}", { "payload", NULL } },
		{ "{\"languageCode\":[\"en\"]}", { "languageCode", NULL } },
		{ "{\"languageInfo\":\"en\"}", { "languageInfo", NULL } },
		{ "{\"detectIntentResponseId\":1}",
		    { "detectIntentResponseId", NULL } },
		{ "{\"triggerEvent\":false}", { "triggerEvent", NULL } },
		{ "{\"dtmf_digits\":12}", { "dtmfDigits", NULL } },
		/* and not JSON objects at all */
		{ "[]", { NULL, NULL } },
		{ "\"x\"", { NULL, NULL } },
		{ "", { NULL, NULL } },
		{ "{\"a\":1,\"a\":2}", { NULL, NULL } },
	};

	run_bad(t, NITEMS(t));
}

static void
test_oneof(void **state)
{
	static const struct bad_case bad[] = {
		{ "{\"text\":\"hi\",\"triggerEvent\":\"WELCOME\"}",
		    { "text", "triggerEvent" } },
		{ "{\"transcript\":\"hi\",\"dtmfDigits\":\"12\"}",
		    { "transcript", "dtmfDigits" } },
		{ "{\"triggerIntent\":\"projects/p/intents/1\","
		    "\"trigger_event\":\"WELCOME\"}",
		    { "triggerIntent", "triggerEvent" } },
		{ "{\"text\":\"\",\"transcript\":\"x\"}",
		    { "text", "transcript" } },
	};
	static const struct {
		const char	*json;
		enum cx_query	 kind;
		const char	*query;
	} ok[] = {
		{ "{\"text\":\"hello\"}", CX_QUERY_TEXT, "hello" },
		{ "{\"triggerIntent\":\"projects/p/intents/1\"}",
		    CX_QUERY_TRIGGER_INTENT, "projects/p/intents/1" },
		{ "{\"transcript\":\"hello there\"}", CX_QUERY_TRANSCRIPT,
		    "hello there" },
		{ "{\"triggerEvent\":\"WELCOME\"}", CX_QUERY_TRIGGER_EVENT,
		    "WELCOME" },
		{ "{\"trigger_event\":\"WELCOME\"}", CX_QUERY_TRIGGER_EVENT,
		    "WELCOME" },
		{ "{\"dtmfDigits\":\"1234#\"}", CX_QUERY_DTMF, "1234#" },
		{ "{\"dtmf_digits\":\"9\"}", CX_QUERY_DTMF, "9" },
		/* null members count as absent */
		{ "{\"text\":null,\"triggerEvent\":\"WELCOME\"}",
		    CX_QUERY_TRIGGER_EVENT, "WELCOME" },
	};
	struct cx_request	req;
	struct cx_err		err;
	size_t			i;

	run_bad(bad, NITEMS(bad));
	for (i = 0; i < NITEMS(ok); i++) {
		if (decode_str(ok[i].json, &req, &err) != 0)
			fail_msg("refused (%s): %s", err.msg, ok[i].json);
		if (req.query_kind != ok[i].kind)
			fail_msg("%s: kind %d", ok[i].json, req.query_kind);
		assert_str(req.query, ok[i].query);
		cx_request_free(&req);
	}
}

static void
test_snake_case(void **state)
{
	static const char doc[] =
	    "{\"detect_intent_response_id\":\"id-1\","
	    "\"fulfillment_info\":{\"tag\":\"database-query\"},"
	    "\"intent_info\":{\"display_name\":\"account.balance\","
	    "\"last_matched_intent\":\"projects/p/intents/1\","
	    "\"parameters\":{\"user_id\":{\"original_value\":\"10042\"}}},"
	    "\"page_info\":{\"current_page\":\"projects/p/pages/START_PAGE\","
	    "\"display_name\":\"Start\",\"form_info\":{\"parameter_info\":"
	    "[{\"display_name\":\"user_id\",\"just_collected\":true,"
	    "\"state\":\"FILLED\"}]}},"
	    "\"session_info\":{\"session\":\"a/sessions/s1\","
	    "\"parameters\":{\"x\":1}},"
	    "\"language_code\":\"es\"}";
	static const struct bad_case twice[] = {
		{ "{\"fulfillmentInfo\":{\"tag\":\"a\"},"
		    "\"fulfillment_info\":{\"tag\":\"b\"}}",
		    { "fulfillmentInfo", "fulfillment_info" } },
		{ "{\"languageCode\":\"en\",\"language_code\":\"en\"}",
		    { "languageCode", "language_code" } },
		{ "{\"pageInfo\":{\"displayName\":\"a\","
		    "\"display_name\":\"a\"}}",
		    { "pageInfo.displayName", "display_name" } },
		{ "{\"intentInfo\":{\"parameters\":{\"p\":{"
		    "\"originalValue\":\"a\",\"original_value\":\"b\"}}}}",
		    { "originalValue", "original_value" } },
		{ "{\"text\":\"x\",\"trigger_event\":\"y\",\"triggerEvent\":\"y\"}",
		    { "triggerEvent", "trigger_event" } },
	};
	struct cx_request	req;
	struct cx_err		err;

	if (decode_str(doc, &req, &err) != 0)
		fail_msg("refused: %s", err.msg);
	assert_str(req.detect_intent_response_id, "id-1");
	assert_str(req.tag, "database-query");
	assert_str(req.intent_name, "account.balance");
	assert_str(req.last_matched_intent, "projects/p/intents/1");
	assert_str(req.current_page, "projects/p/pages/START_PAGE");
	assert_str(req.page_name, "Start");
	assert_int_equal(req.n_form_params, 1);
	assert_str(req.form_params[0].display_name, "user_id");
	assert_true(req.form_params[0].just_collected);
	assert_int_equal(req.form_params[0].state, CX_PARAM_FILLED);
	assert_str(req.session, "a/sessions/s1");
	assert_true(req.session_params.present);
	assert_str(req.language_code, "es");
	cx_request_free(&req);

	run_bad(twice, NITEMS(twice));
}

static void
test_unknown_fields_ignored(void **state)
{
	static const char doc[] =
	    "{\"fooBar\":1,\"alternativeQueryResults\":[{\"x\":null}],"
	    "\"version\":\"2\","
	    "\"fulfillmentInfo\":{\"tag\":\"database-query\","
	    "\"unknownThing\":[1,2,{}]},"
	    "\"intentInfo\":{\"displayName\":\"account.balance\","
	    "\"newField\":{\"deep\":{\"er\":true}}},"
	    "\"pageInfo\":{\"formInfo\":{\"parameterInfo\":[{"
	    "\"displayName\":\"a\",\"somethingNew\":5}],\"extra\":1}},"
	    "\"sessionInfo\":{\"session\":\"s\",\"sessionTtl\":\"3600s\"},"
	    "\"messages\":[{\"text\":{\"text\":[\"x\"],"
	    "\"allowPlaybackInterruption\":false},\"source\":\"VIRTUAL_AGENT\"}],"
	    "\"languageInfo\":{\"whatever\":[]},"
	    "\"TEXT\":5,\"Text\":{}}";
	struct cx_request	req;
	struct cx_err		err;

	if (decode_str(doc, &req, &err) != 0)
		fail_msg("refused: %s", err.msg);
	assert_str(req.tag, "database-query");
	assert_str(req.intent_name, "account.balance");
	assert_int_equal(req.n_form_params, 1);
	assert_str(req.form_params[0].display_name, "a");
	assert_str(req.session, "s");
	/* Field names are case-sensitive: "TEXT" and "Text" are unknown. */
	assert_int_equal(req.query_kind, CX_QUERY_NONE);
	cx_request_free(&req);
}

/* The route a request with this intent name and no tag takes. */
static const struct route *
route_by_intent(const char *intent)
{
	struct cx_request	 req;
	struct cx_err		 err;
	const struct route	*r;
	char			 doc[256];

	if (intent == NULL)
		snprintf(doc, sizeof(doc), "{}");
	else
		snprintf(doc, sizeof(doc),
		    "{\"intentInfo\":{\"displayName\":\"%s\"}}", intent);
	if (decode_str(doc, &req, &err) != 0)
		fail_msg("refused (%s): %s", err.msg, doc);
	r = route_find(&req);
	cx_request_free(&req);
	return r;
}

/* U+0000 inside the tag: kept, length-checked, never a shorter route. */
static void
test_nul_in_tag(void **state)
{
	static const struct {
		const char	*json;
		const char	*intent;
	} t[] = {
		{ "{\"fulfillmentInfo\":{\"tag\":\"weather\\u0000x\"}}", NULL },
		{ "{\"fulfillmentInfo\":{\"tag\":\"weather\\u0000x\"},"
		    "\"intentInfo\":{\"displayName\":\"account.balance\"}}",
		    "account.balance" },
		{ "{\"fulfillmentInfo\":{\"tag\":\"weather\\u0000x\"},"
		    "\"intentInfo\":{\"displayName\":\"no.such.intent\"}}",
		    "no.such.intent" },
	};
	struct cx_request	 req;
	struct cx_err		 err;
	const struct route	*r, *want;
	size_t			 i;

	/* The fall-back this test relies on is a real route. */
	assert_string_equal(route_by_intent("account.balance")->key,
	    "account.balance");
	for (i = 0; i < NITEMS(t); i++) {
		want = route_by_intent(t[i].intent);
		if (decode_str(t[i].json, &req, &err) != 0)
			fail_msg("refused (%s): %s", err.msg, t[i].json);
		assert_non_null(req.tag.p);
		assert_int_equal(req.tag.len, 9);
		assert_memory_equal(req.tag.p, "weather\0x", 9);
		assert_false(cx_str_eq(req.tag, "weather"));
		assert_false(cx_str_empty(req.tag));
		r = route_find(&req);
		assert_non_null(r);
		/* Not the tag's route: the intent's, or the default. */
		assert_false(strcmp(r->key, "weather") == 0);
		assert_ptr_equal(r, want);
		cx_request_free(&req);
	}
	assert_ptr_equal(route_by_intent(NULL), route_default());
	assert_ptr_equal(route_by_intent("no.such.intent"), route_default());
}

/* Other strings keep embedded NULs too, with their full length. */
static void
test_nul_in_other_strings(void **state)
{
	static const char doc[] =
	    "{\"text\":\"a\\u0000b\",\"languageCode\":\"en\\u0000\","
	    "\"sessionInfo\":{\"session\":\"x/sessions/ab\\u0000cd\"}}";
	struct cx_request	req;
	struct cx_err		err;
	struct cx_str		s;

	if (decode_str(doc, &req, &err) != 0)
		fail_msg("refused: %s", err.msg);
	assert_int_equal(req.query.len, 3);
	assert_memory_equal(req.query.p, "a\0b", 3);
	assert_int_equal(req.language_code.len, 3);
	assert_false(cx_str_eq(req.language_code, "en"));
	s = cx_session_id(&req);
	assert_int_equal(s.len, 5);
	assert_memory_equal(s.p, "ab\0cd", 5);
	cx_request_free(&req);
}

static void
test_session_id(void **state)
{
	static const struct {
		const char	*session;	/* JSON text of the member */
		const char	*id;		/* NULL: absent */
	} t[] = {
		{ "\"projects/demo/locations/global/agents/a1/sessions/"
		    "abc-123\"", "abc-123" },
		{ "\"projects/demo/locations/us-central1/agents/a1/"
		    "environments/prod/sessions/9f8e7d\"", "9f8e7d" },
		{ "\"plain-session\"", "plain-session" },
		{ "\"a/sessions/\"", "" },
		{ "\"\"", "" },
		{ "null", NULL },
	};
	struct cx_request	req;
	struct cx_err		err;
	struct cx_str		s;
	char			doc[512];
	size_t			i;

	for (i = 0; i < NITEMS(t); i++) {
		snprintf(doc, sizeof(doc),
		    "{\"sessionInfo\":{\"session\":%s}}", t[i].session);
		if (decode_str(doc, &req, &err) != 0)
			fail_msg("refused (%s): %s", err.msg, doc);
		s = cx_session_id(&req);
		if (t[i].id == NULL)
			assert_null(s.p);
		else if (!cx_str_eq(s, t[i].id))
			fail_msg("%s: got \"%.*s\"", doc, (int)s.len,
			    s.p != NULL ? s.p : "");
		cx_request_free(&req);
	}
}

/* A decoded request owns its tree: the body buffer may go right away. */
static void
test_decode_reuse(void **state)
{
	struct cx_request	req;
	struct cx_err		err;
	int			i;

	for (i = 0; i < 3; i++) {
		if (decode_str(full_request, &req, &err) != 0)
			fail_msg("refused: %s", err.msg);
		assert_str(req.tag, "database-query");
		cx_request_free(&req);
	}
	/* Freeing twice is harmless: free() zeroes the struct. */
	cx_request_free(&req);
	assert_null(req.root);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_full_request),
		cmocka_unit_test(test_sentiment_shapes),
		cmocka_unit_test(test_float_non_finite),
		cmocka_unit_test(test_nulls_are_absent),
		cmocka_unit_test(test_wrong_types),
		cmocka_unit_test(test_oneof),
		cmocka_unit_test(test_snake_case),
		cmocka_unit_test(test_unknown_fields_ignored),
		cmocka_unit_test(test_nul_in_tag),
		cmocka_unit_test(test_nul_in_other_strings),
		cmocka_unit_test(test_session_id),
		cmocka_unit_test(test_decode_reuse),
	};

	return cmocka_run_group_tests_name("decode", tests, NULL, NULL);
}
