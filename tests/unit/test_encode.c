/*
 * Unit tests for the response builder and cx_encode() (cx/encode.c): the
 * encoded bytes are parsed back with json-c and checked against the
 * WebhookResponse shape of docs/cx-protocol.md §4-§7; money is checked on the
 * raw bytes, since a parse back would hide a detour through a double.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cx/cx.h"
#include "cx/json.h"
#include "fake_db.h"
#include "lib/buf.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* Encodes r (which must succeed), keeps the raw bytes in raw. */
static json_object *
encode_ok(const struct cx_response *r, struct buf *raw)
{
	struct cx_err	 err;
	json_object	*o;

	buf_init(raw);
	memset(&err, 0, sizeof(err));
	if (cx_encode(r, raw, &err) != 0)
		fail_msg("cx_encode failed: %s", err.msg);
	assert_non_null(raw->p);
	assert_int_equal(strlen(raw->p), raw->len);
	if ((o = jparse(raw->p, raw->len)) == NULL)
		fail_msg("not JSON: %s", raw->p);
	assert_true(json_object_is_type(o, json_type_object));
	return o;
}

static size_t
nkeys(json_object *o)
{
	assert_non_null(o);
	assert_true(json_object_is_type(o, json_type_object));
	return (size_t)json_object_object_length(o);
}

static void
test_empty(void **state)
{
	struct cx_response	*r = cx_response_new();
	struct buf		 raw;
	json_object		*o;

	assert_int_equal(cx_resp_n_messages(r), 0);
	o = encode_ok(r, &raw);
	assert_string_equal(raw.p, "{}");
	assert_int_equal(nkeys(o), 0);
	json_object_put(o);
	buf_clear(&raw);
	cx_response_free(r);
	cx_response_free(NULL);
}

static void
test_text_messages(void **state)
{
	struct cx_response	*r = cx_response_new();
	struct buf		 raw;
	json_object		*o, *msgs;

	cx_resp_say(r, "Hello, %s!", "Ann");
	cx_resp_say(r, "It is %d\xc2\xb0" "C in Lisbon/Porto.", 21);
	cx_resp_say(r, "Quotes \"and\" back\\slash\ttab");
	assert_int_equal(cx_resp_n_messages(r), 3);
	o = encode_ok(r, &raw);

	assert_int_equal(nkeys(o), 1);
	assert_int_equal(nkeys(jget(o, "fulfillmentResponse")), 1);
	msgs = jget(o, "fulfillmentResponse.messages");
	assert_non_null(msgs);
	assert_int_equal(json_object_array_length(msgs), 3);
	assert_int_equal(nkeys(jget(o, "fulfillmentResponse.messages[0]")), 1);
	assert_int_equal(nkeys(jget(o,
	    "fulfillmentResponse.messages[0].text")), 1);
	assert_int_equal(json_object_array_length(jget(o,
	    "fulfillmentResponse.messages[0].text.text")), 1);
	assert_string_equal(jstr(o, "fulfillmentResponse.messages[0].text."
	    "text[0]"), "Hello, Ann!");
	assert_string_equal(jstr(o, "fulfillmentResponse.messages[1].text."
	    "text[0]"), "It is 21\xc2\xb0" "C in Lisbon/Porto.");
	assert_string_equal(jstr(o, "fulfillmentResponse.messages[2].text."
	    "text[0]"), "Quotes \"and\" back\\slash\ttab");
	/* No mergeBehavior unless asked for. */
	assert_false(jhas(o, "fulfillmentResponse.mergeBehavior"));
	/* UTF-8 and slashes go out as they are. */
	assert_non_null(strstr(raw.p, "21\xc2\xb0" "C in Lisbon/Porto."));
	assert_null(strstr(raw.p, "\\/"));

	json_object_put(o);
	buf_clear(&raw);
	cx_response_free(r);
}

static void
test_payload_message(void **state)
{
	static const char rich[] =
	    "{\"richContent\":[[{\"type\":\"info\",\"title\":\"Balance\","
	    "\"subtitle\":\"$1,250.75\",\"anchor\":{\"href\":"
	    "\"https://bank.example.com/a\"}}],[{\"type\":\"chips\","
	    "\"options\":[{\"text\":\"Transactions\"},{\"text\":\"Done\"}]}]]}";
	struct cx_response	*r = cx_response_new();
	struct buf		 raw;
	json_object		*o, *p;

	cx_resp_say(r, "Here you go.");
	p = json_tokener_parse(rich);
	assert_non_null(p);
	cx_resp_payload(r, p);
	assert_int_equal(cx_resp_n_messages(r), 2);
	o = encode_ok(r, &raw);

	assert_int_equal(nkeys(jget(o, "fulfillmentResponse.messages[1]")), 1);
	assert_string_equal(jstr(o, "fulfillmentResponse.messages[1].payload."
	    "richContent[0][0].type"), "info");
	assert_string_equal(jstr(o, "fulfillmentResponse.messages[1].payload."
	    "richContent[0][0].subtitle"), "$1,250.75");
	assert_string_equal(jstr(o, "fulfillmentResponse.messages[1].payload."
	    "richContent[0][0].anchor.href"), "https://bank.example.com/a");
	assert_string_equal(jstr(o, "fulfillmentResponse.messages[1].payload."
	    "richContent[1][0].options[1].text"), "Done");
	assert_null(strstr(raw.p, "\\/"));

	json_object_put(o);
	buf_clear(&raw);
	/* The response owns p; encoding twice gives the same bytes. */
	{
		struct buf	raw2;

		o = encode_ok(r, &raw2);
		json_object_put(o);
		o = encode_ok(r, &raw);
		assert_int_equal(raw.len, raw2.len);
		assert_memory_equal(raw.p, raw2.p, raw.len);
		json_object_put(o);
		buf_clear(&raw);
		buf_clear(&raw2);
	}
	cx_response_free(r);
}

static void
test_handoff(void **state)
{
	struct cx_response	*r = cx_response_new();
	struct buf		 raw;
	json_object		*o, *meta;

	cx_resp_say(r, "Let me get someone to help.");
	meta = json_object_new_object();
	json_object_object_add(meta, "reason",
	    json_object_new_string("negative_sentiment"));
	json_object_object_add(meta, "score", json_object_new_double(-0.8));
	cx_resp_handoff(r, meta);
	cx_resp_handoff(r, NULL);
	o = encode_ok(r, &raw);

	assert_int_equal(json_object_array_length(jget(o,
	    "fulfillmentResponse.messages")), 3);
	assert_int_equal(nkeys(jget(o, "fulfillmentResponse.messages[1]")), 1);
	assert_string_equal(jstr(o, "fulfillmentResponse.messages[1]."
	    "liveAgentHandoff.metadata.reason"), "negative_sentiment");
	assert_int_equal(nkeys(jget(o, "fulfillmentResponse.messages[2]."
	    "liveAgentHandoff")), 0);

	json_object_put(o);
	buf_clear(&raw);
	cx_response_free(r);
}

static void
test_merge_behavior(void **state)
{
	static const struct {
		enum cx_merge	 m;
		bool		 say;
		const char	*want;		/* NULL: no mergeBehavior */
	} t[] = {
		{ CX_MERGE_REPLACE, true, "REPLACE" },
		{ CX_MERGE_APPEND, true, "APPEND" },
		{ CX_MERGE_UNSPECIFIED, true, NULL },
		{ CX_MERGE_REPLACE, false, "REPLACE" },
	};
	struct cx_response	*r;
	struct buf		 raw;
	json_object		*o;
	size_t			 i;

	for (i = 0; i < NITEMS(t); i++) {
		r = cx_response_new();
		if (t[i].say)
			cx_resp_say(r, "x");
		cx_resp_merge(r, t[i].m);
		o = encode_ok(r, &raw);
		if (t[i].want == NULL) {
			assert_false(jhas(o,
			    "fulfillmentResponse.mergeBehavior"));
		} else {
			assert_non_null(jstr(o,
			    "fulfillmentResponse.mergeBehavior"));
			assert_string_equal(jstr(o,
			    "fulfillmentResponse.mergeBehavior"), t[i].want);
		}
		/* Messages are always a list when fulfillmentResponse is. */
		assert_true(json_object_is_type(jget(o,
		    "fulfillmentResponse.messages"), json_type_array));
		json_object_put(o);
		buf_clear(&raw);
		cx_response_free(r);
	}

	/* The last call wins. */
	r = cx_response_new();
	cx_resp_say(r, "x");
	cx_resp_merge(r, CX_MERGE_REPLACE);
	cx_resp_merge(r, CX_MERGE_UNSPECIFIED);
	o = encode_ok(r, &raw);
	assert_false(jhas(o, "fulfillmentResponse.mergeBehavior"));
	json_object_put(o);
	buf_clear(&raw);
	cx_response_free(r);
}

static void
test_session_params(void **state)
{
	struct cx_response	*r = cx_response_new();
	struct buf		 raw;
	json_object		*o, *v, *obj;

	cx_resp_set_str(r, "s", "caf\xc3\xa9 \"q\"");
	cx_resp_set_number_text(r, "balance", "1250.75");
	cx_resp_set_number_text(r, "fee", "0.10");
	cx_resp_set_number_text(r, "debt", "-42.50");
	cx_resp_set_number_text(r, "round", "100");
	cx_resp_set_int(r, "count", 3);
	cx_resp_set_int(r, "neg", -9007199254740993L);
	cx_resp_set_double(r, "ratio", 0.5);
	cx_resp_set_bool(r, "yes", true);
	cx_resp_set_bool(r, "no", false);
	cx_resp_set_null(r, "gone");
	obj = json_object_new_object();
	json_object_object_add(obj, "year", json_object_new_int(2026));
	cx_resp_set_json(r, "date", obj);
	cx_resp_set_json(r, "gone_too", NULL);
	/* Set twice: the last value, in the first one's place. */
	cx_resp_set_str(r, "twice", "first");
	cx_resp_set_int(r, "twice", 2);
	cx_resp_set_str(r, "revived", "x");
	cx_resp_set_null(r, "revived");
	cx_resp_set_null(r, "back");
	cx_resp_set_str(r, "back", "again");

	assert_true(cx_resp_has_param(r, "balance"));
	assert_true(cx_resp_has_param(r, "gone"));
	assert_false(cx_resp_has_param(r, "missing"));
	assert_false(cx_resp_has_param(r, "balanc"));
	assert_int_equal(cx_resp_n_messages(r), 0);

	o = encode_ok(r, &raw);
	assert_int_equal(nkeys(o), 1);
	assert_int_equal(nkeys(jget(o, "sessionInfo")), 1);
	assert_int_equal(nkeys(jget(o, "sessionInfo.parameters")), 16);

	assert_string_equal(jstr(o, "sessionInfo.parameters.s"),
	    "caf\xc3\xa9 \"q\"");
	v = jget(o, "sessionInfo.parameters.count");
	assert_true(json_object_is_type(v, json_type_int));
	assert_int_equal(json_object_get_int64(v), 3);
	v = jget(o, "sessionInfo.parameters.neg");
	assert_int_equal(json_object_get_int64(v), -9007199254740993L);
	v = jget(o, "sessionInfo.parameters.ratio");
	assert_true(json_object_is_type(v, json_type_double));
	assert_true(json_object_get_double(v) == 0.5);
	v = jget(o, "sessionInfo.parameters.yes");
	assert_true(json_object_is_type(v, json_type_boolean));
	assert_true(json_object_get_boolean(v));
	v = jget(o, "sessionInfo.parameters.no");
	assert_true(json_object_is_type(v, json_type_boolean));
	assert_false(json_object_get_boolean(v));
	assert_int_equal(json_object_get_int(jget(o,
	    "sessionInfo.parameters.date.year")), 2026);
	v = jget(o, "sessionInfo.parameters.twice");
	assert_true(json_object_is_type(v, json_type_int));
	assert_int_equal(json_object_get_int(v), 2);
	assert_string_equal(jstr(o, "sessionInfo.parameters.back"), "again");

	/* null: the key is there, with JSON null (delete semantics). */
	assert_true(jhas(o, "sessionInfo.parameters.gone"));
	assert_null(jget(o, "sessionInfo.parameters.gone"));
	assert_true(jhas(o, "sessionInfo.parameters.gone_too"));
	assert_null(jget(o, "sessionInfo.parameters.gone_too"));
	assert_true(jhas(o, "sessionInfo.parameters.revived"));
	assert_null(jget(o, "sessionInfo.parameters.revived"));
	assert_non_null(strstr(raw.p, "\"gone\":null"));

	/* Money: the exact decimal text, never through a double. */
	assert_non_null(strstr(raw.p, "\"balance\":1250.75,"));
	assert_non_null(strstr(raw.p, "\"fee\":0.10,"));
	assert_non_null(strstr(raw.p, "\"debt\":-42.50,"));
	assert_non_null(strstr(raw.p, "\"round\":100,"));
	v = jget(o, "sessionInfo.parameters.balance");
	assert_true(json_object_is_type(v, json_type_double));
	assert_true(json_object_get_double(v) == 1250.75);
	/* Only one "twice" on the wire. */
	assert_non_null(strstr(raw.p, "\"twice\":2"));
	assert_null(strstr(raw.p, "first"));

	json_object_put(o);
	buf_clear(&raw);
	cx_response_free(r);
}

static void
test_form_params(void **state)
{
	struct cx_response	*r = cx_response_new();
	struct buf		 raw;
	json_object		*o;

	cx_resp_form_param(r, "limit", CX_PARAM_INVALID, true);
	cx_resp_form_param(r, "note", CX_PARAM_FILLED, false);
	cx_resp_form_param(r, "date", CX_PARAM_EMPTY, false);
	cx_resp_form_param(r, "date", CX_PARAM_INVALID, false);	/* again */
	cx_resp_set_null(r, "limit");
	o = encode_ok(r, &raw);

	assert_int_equal(nkeys(jget(o, "pageInfo")), 1);
	assert_int_equal(nkeys(jget(o, "pageInfo.formInfo")), 1);
	assert_int_equal(json_object_array_length(jget(o,
	    "pageInfo.formInfo.parameterInfo")), 3);
	assert_int_equal(nkeys(jget(o, "pageInfo.formInfo.parameterInfo[0]")),
	    3);
	assert_string_equal(jstr(o, "pageInfo.formInfo.parameterInfo[0]."
	    "displayName"), "limit");
	assert_string_equal(jstr(o, "pageInfo.formInfo.parameterInfo[0]."
	    "state"), "INVALID");
	assert_true(json_object_get_boolean(jget(o,
	    "pageInfo.formInfo.parameterInfo[0].required")));
	assert_true(json_object_is_type(jget(o,
	    "pageInfo.formInfo.parameterInfo[0].required"), json_type_boolean));
	assert_string_equal(jstr(o, "pageInfo.formInfo.parameterInfo[1]."
	    "state"), "FILLED");
	/* required false is the default, so it is omitted (proto3 JSON) */
	assert_false(jhas(o, "pageInfo.formInfo.parameterInfo[1].required"));
	assert_string_equal(jstr(o, "pageInfo.formInfo.parameterInfo[2]."
	    "displayName"), "date");
	assert_string_equal(jstr(o, "pageInfo.formInfo.parameterInfo[2]."
	    "state"), "INVALID");
	/* and the session parameter cleared, so the form re-prompts */
	assert_true(jhas(o, "sessionInfo.parameters.limit"));
	assert_null(jget(o, "sessionInfo.parameters.limit"));

	json_object_put(o);
	buf_clear(&raw);
	cx_response_free(r);
}

static void
test_targets(void **state)
{
	static const char page[] = "projects/p/locations/global/agents/a/"
	    "flows/f/pages/p1";
	static const char flow[] = "projects/p/locations/global/agents/a/"
	    "flows/f2";
	struct cx_response	*r;
	struct buf		 raw;
	struct cx_err		 err;
	json_object		*o;

	r = cx_response_new();
	cx_resp_target_page(r, "projects/old");
	cx_resp_target_page(r, page);
	o = encode_ok(r, &raw);
	assert_string_equal(jstr(o, "targetPage"), page);
	assert_false(jhas(o, "targetFlow"));
	json_object_put(o);
	buf_clear(&raw);
	cx_response_free(r);

	r = cx_response_new();
	cx_resp_target_flow(r, flow);
	o = encode_ok(r, &raw);
	assert_string_equal(jstr(o, "targetFlow"), flow);
	assert_false(jhas(o, "targetPage"));
	assert_null(strstr(raw.p, "\\/"));
	json_object_put(o);
	buf_clear(&raw);

	/* Both: a oneof, refused, and nothing is appended. */
	cx_resp_target_page(r, page);
	cx_resp_say(r, "x");
	buf_init(&raw);
	buf_puts(&raw, "prefix");
	memset(&err, 0, sizeof(err));
	assert_int_equal(cx_encode(r, &raw, &err), -1);
	assert_true(err.msg[0] != '\0');
	assert_non_null(strstr(err.msg, "targetPage"));
	assert_non_null(strstr(err.msg, "targetFlow"));
	assert_string_equal(raw.p, "prefix");
	buf_clear(&raw);
	cx_response_free(r);
}

static void
test_webhook_payload(void **state)
{
	struct cx_response	*r = cx_response_new();
	struct buf		 raw;
	json_object		*o, *p;

	p = json_object_new_object();
	json_object_object_add(p, "old", json_object_new_int(1));
	cx_resp_webhook_payload(r, p);
	p = json_object_new_object();
	json_object_object_add(p, "snake_key", json_object_new_string("v"));
	cx_resp_webhook_payload(r, p);		/* replaces the first */
	o = encode_ok(r, &raw);
	assert_int_equal(nkeys(o), 1);
	assert_string_equal(jstr(o, "payload.snake_key"), "v");
	assert_false(jhas(o, "payload.old"));
	json_object_put(o);
	buf_clear(&raw);
	cx_response_free(r);
}

/*
 * JSON has no NaN or infinities (json-c would print a bare NaN, and the
 * answer would not be JSON at all): the constructors turn them into null
 * or leave them out.
 */
static void
test_non_finite_constructors(void **state)
{
	static const char *const texts[] = {
		"nan", "NaN", "inf", "-Infinity", "1e999", "-1e999",
	};
	struct cx_response	*r = cx_response_new();
	struct buf		 raw;
	json_object		*o;
	char			 name[16];
	size_t			 i;

	cx_resp_set_double(r, "not_a_number", NAN);
	cx_resp_set_double(r, "inf", INFINITY);
	cx_resp_set_double(r, "minus_inf", -INFINITY);
	cx_resp_set_double(r, "fine", -0.25);
	for (i = 0; i < NITEMS(texts); i++) {
		snprintf(name, sizeof(name), "text%zu", i);
		cx_resp_set_number_text(r, name, texts[i]);
	}
	cx_resp_handoff_reason(r, "negative_sentiment", NAN);
	cx_resp_handoff_reason(r, "negative_sentiment", -INFINITY);
	cx_resp_handoff_reason(r, "negative_sentiment", -0.75);
	o = encode_ok(r, &raw);
	if (strstr(raw.p, "nan") != NULL || strstr(raw.p, "NaN") != NULL ||
	    strstr(raw.p, "nfinity") != NULL || strstr(raw.p, "e999") != NULL)
		fail_msg("a non-finite number left: %s", raw.p);
	assert_true(jhas(o, "sessionInfo.parameters.not_a_number"));
	assert_null(jget(o, "sessionInfo.parameters.not_a_number"));
	assert_null(jget(o, "sessionInfo.parameters.inf"));
	assert_null(jget(o, "sessionInfo.parameters.minus_inf"));
	assert_true(json_object_get_double(jget(o,
	    "sessionInfo.parameters.fine")) == -0.25);
	for (i = 0; i < NITEMS(texts); i++) {
		snprintf(name, sizeof(name), "text%zu", i);
		if (!jhas(jget(o, "sessionInfo.parameters"), name) ||
		    jget(jget(o, "sessionInfo.parameters"), name) != NULL)
			fail_msg("%s (\"%s\") is not null: %s", name, texts[i],
			    raw.p);
	}
	/* The handoff without a score it cannot say; the reason stays. */
	assert_string_equal(jstr(o, "fulfillmentResponse.messages[0]."
	    "liveAgentHandoff.metadata.reason"), "negative_sentiment");
	assert_false(jhas(o, "fulfillmentResponse.messages[0]."
	    "liveAgentHandoff.metadata.sentimentScore"));
	assert_false(jhas(o, "fulfillmentResponse.messages[1]."
	    "liveAgentHandoff.metadata.sentimentScore"));
	assert_true(json_object_get_double(jget(o,
	    "fulfillmentResponse.messages[2].liveAgentHandoff.metadata."
	    "sentimentScore")) == -0.75);
	json_object_put(o);
	buf_clear(&raw);
	cx_response_free(r);
}

/*
 * Whatever the constructors do, cx_encode refuses a tree holding a number
 * JSON cannot carry, wherever it is (the worker then answers its
 * internal-error apology): a handler's own json-c objects go in as they
 * are.
 */
static json_object *
nested(json_object *leaf)
{
	json_object	*outer = json_object_new_object();
	json_object	*list = json_object_new_array();

	json_object_array_add(list, json_object_new_int(1));
	json_object_array_add(list, leaf);
	json_object_object_add(outer, "deep", list);
	return outer;
}

static void
test_non_finite_refused(void **state)
{
	struct cx_response	*r;
	struct buf		 raw;
	struct cx_err		 err;
	int			 how, v;
	static const double	 bad[] = { NAN, INFINITY, -INFINITY };
	json_object		*leaf;

	for (how = 0; how < 5; how++) {
		for (v = 0; v < (int)NITEMS(bad) + 2; v++) {
			r = cx_response_new();
			cx_resp_say(r, "hello");
			if (v < (int)NITEMS(bad))
				leaf = json_object_new_double(bad[v]);
			else	/* finite, but printed as what JSON lacks */
				leaf = json_object_new_double_s(1.0,
				    v == (int)NITEMS(bad) ? "NaN" : "1e999");
			switch (how) {
			case 0:
				cx_resp_set_json(r, "x", leaf);
				break;
			case 1:
				cx_resp_set_json(r, "x", nested(leaf));
				break;
			case 2:
				cx_resp_payload(r, nested(leaf));
				break;
			case 3:
				cx_resp_handoff(r, nested(leaf));
				break;
			case 4:
				cx_resp_webhook_payload(r, nested(leaf));
				break;
			}
			buf_init(&raw);
			buf_puts(&raw, "kept");
			memset(&err, 0, sizeof(err));
			if (cx_encode(r, &raw, &err) != -1)
				fail_msg("way %d, value %d: encoded %s", how, v,
				    raw.p);
			assert_true(err.msg[0] != '\0');
			assert_string_equal(raw.p, "kept");
			buf_clear(&raw);
			cx_response_free(r);
		}
	}
}

/* cx_encode appends to what the buffer holds. */
static void
test_appends(void **state)
{
	struct cx_response	*r = cx_response_new();
	struct buf		 raw;
	struct cx_err		 err;

	cx_resp_say(r, "hi");
	buf_init(&raw);
	buf_puts(&raw, "HTTP-ish:");
	assert_int_equal(cx_encode(r, &raw, &err), 0);
	assert_string_equal(raw.p,
	    "HTTP-ish:{\"fulfillmentResponse\":{\"messages\":"
	    "[{\"text\":{\"text\":[\"hi\"]}}]}}");
	buf_clear(&raw);
	cx_response_free(r);
}

static void
test_too_large(void **state)
{
	struct cx_response	*r;
	struct buf		 raw;
	struct cx_err		 err;
	char			*line;
	int			 i;

	line = malloc(1001);
	assert_non_null(line);
	memset(line, 'a', 1000);
	line[1000] = '\0';

	/* 70 messages of 1000 bytes: over 64 KiB. */
	r = cx_response_new();
	for (i = 0; i < 70; i++)
		cx_resp_say(r, "%s", line);
	buf_init(&raw);
	memset(&err, 0, sizeof(err));
	assert_int_equal(cx_encode(r, &raw, &err), -1);
	assert_true(err.msg[0] != '\0');
	assert_non_null(strstr(err.msg, "65536"));
	assert_int_equal(raw.len, 0);
	buf_clear(&raw);
	cx_response_free(r);

	/* 60 of them fit. */
	r = cx_response_new();
	for (i = 0; i < 60; i++)
		cx_resp_say(r, "%s", line);
	buf_init(&raw);
	assert_int_equal(cx_encode(r, &raw, &err), 0);
	assert_true(raw.len <= CX_MAX_RESPONSE);
	assert_true(raw.len > 60000);
	buf_clear(&raw);
	cx_response_free(r);

	/* One big session parameter counts as well. */
	r = cx_response_new();
	{
		char	*big = malloc(70000);

		assert_non_null(big);
		memset(big, 'b', 69999);
		big[69999] = '\0';
		cx_resp_set_str(r, "blob", big);
		free(big);
	}
	buf_init(&raw);
	assert_int_equal(cx_encode(r, &raw, &err), -1);
	assert_int_equal(raw.len, 0);
	buf_clear(&raw);
	cx_response_free(r);
	free(line);
}

/*
 * Every key outside sessionInfo.parameters and the payload Structs
 * (message payloads, liveAgentHandoff.metadata, the response payload) is a
 * proto field name: camelCase, so no '_'.
 */
static int
walk_keys(json_object *o, const char *path, int depth, char *bad,
    size_t badsz)
{
	size_t	i, n;
	char	sub[512];
	int	seen = 0;

	if (o == NULL)
		return 0;
	if (json_object_is_type(o, json_type_array)) {
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			snprintf(sub, sizeof(sub), "%s[%zu]", path, i);
			seen += walk_keys(json_object_array_get_idx(o, i), sub,
			    depth + 1, bad, badsz);
		}
		return seen;
	}
	if (!json_object_is_type(o, json_type_object))
		return 0;
	json_object_object_foreach(o, key, val) {
		seen++;
		snprintf(sub, sizeof(sub), "%s.%s", path, key);
		if (strchr(key, '_') != NULL && bad[0] == '\0')
			snprintf(bad, badsz, "%s", sub);
		if (strcmp(sub, ".sessionInfo.parameters") == 0 ||
		    strcmp(key, "payload") == 0 ||
		    strcmp(key, "metadata") == 0)
			continue;
		seen += walk_keys(val, sub, depth + 1, bad, badsz);
	}
	return seen;
}

static void
test_camel_case_only(void **state)
{
	struct cx_response	*r = cx_response_new();
	struct buf		 raw;
	json_object		*o, *p, *meta;
	char			 bad[512] = "";
	int			 seen;

	cx_resp_say(r, "text with snake_case words");
	p = json_object_new_object();
	json_object_object_add(p, "rich_content", json_object_new_array());
	cx_resp_payload(r, p);
	meta = json_object_new_object();
	json_object_object_add(meta, "handoff_reason",
	    json_object_new_string("x"));
	cx_resp_handoff(r, meta);
	cx_resp_merge(r, CX_MERGE_REPLACE);
	cx_resp_set_str(r, "error_code", "database_unavailable");
	cx_resp_set_bool(r, "error_occurred", true);
	cx_resp_set_null(r, "user_id");
	cx_resp_form_param(r, "user_id", CX_PARAM_INVALID, true);
	cx_resp_target_page(r, "projects/p/flows/f/pages/my_page");
	p = json_object_new_object();
	json_object_object_add(p, "api_caller_key", json_object_new_int(1));
	cx_resp_webhook_payload(r, p);
	o = encode_ok(r, &raw);

	seen = walk_keys(o, "", 0, bad, sizeof(bad));
	if (bad[0] != '\0')
		fail_msg("snake_case key in the response: %s", bad);
	/* The walk really went everywhere it should. */
	assert_true(seen >= 15);
	assert_true(jhas(o, "fulfillmentResponse.messages[1].payload."
	    "rich_content"));
	assert_true(jhas(o, "sessionInfo.parameters.error_code"));
	assert_true(jhas(o, "pageInfo.formInfo.parameterInfo[0].displayName"));
	assert_true(jhas(o, "targetPage"));
	assert_true(jhas(o, "payload.api_caller_key"));
	json_object_put(o);
	buf_clear(&raw);
	cx_response_free(r);
}

static void
test_encode_error(void **state)
{
	static const struct {
		int		 code;
		const char	*message;
	} t[] = {
		{ 400, "intentInfo.parameters: expected an object, got a string" },
		{ 413, "request body too large" },
		{ 415, "quotes \" and \\ and / and caf\xc3\xa9" },
		{ 405, "" },
	};
	struct buf	 raw;
	json_object	*o;
	size_t		 i;

	for (i = 0; i < NITEMS(t); i++) {
		buf_init(&raw);
		cx_encode_error(&raw, t[i].code, t[i].message);
		if ((o = jparse(raw.p, raw.len)) == NULL)
			fail_msg("not JSON: %s", raw.p);
		assert_int_equal(nkeys(o), 1);
		assert_int_equal(nkeys(jget(o, "error")), 2);
		assert_true(json_object_is_type(jget(o, "error.code"),
		    json_type_int));
		assert_int_equal(json_object_get_int(jget(o, "error.code")),
		    t[i].code);
		assert_string_equal(jstr(o, "error.message"), t[i].message);
		json_object_put(o);
		buf_clear(&raw);
	}
	buf_init(&raw);
	cx_encode_error(&raw, 400, "bad");
	assert_string_equal(raw.p,
	    "{\"error\":{\"code\":400,\"message\":\"bad\"}}");
	buf_clear(&raw);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_text_messages),
		cmocka_unit_test(test_payload_message),
		cmocka_unit_test(test_handoff),
		cmocka_unit_test(test_merge_behavior),
		cmocka_unit_test(test_session_params),
		cmocka_unit_test(test_form_params),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_webhook_payload),
		cmocka_unit_test(test_appends),
		cmocka_unit_test(test_too_large),
		cmocka_unit_test(test_camel_case_only),
		cmocka_unit_test(test_encode_error),
		cmocka_unit_test(test_non_finite_constructors),
		cmocka_unit_test(test_non_finite_refused),
	};

	return cmocka_run_group_tests_name("encode", tests, NULL, NULL);
}
