/*
 * Unit tests for the sentiment handoff of dispatch() (handlers/wh.c): a
 * caller whose sentimentAnalysisResult.score is at or below
 * [handoff] sentiment_below gets a liveAgentHandoff message and
 * handoff_suggested, on top of whatever the handler answered, an
 * apology included.  The account handlers and fake_db.h provide the
 * answers underneath.
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
#include "fake_db.h"
#include "handlers/wh.h"
#include "harness.h"
#include "lib/buf.h"

#define DEADLINE	55555

#define BALANCE		"Your current account balance is $1,250.75."
#define DB_DOWN		"Sorry, I can't reach our records right now. " \
			"Please try again in a moment."

static void
settings_init(struct wh_settings *s, bool threshold)
{
	memset(s, 0, sizeof(*s));
	s->has_sentiment_below = threshold;
	s->sentiment_below = -0.6;
	s->time_zone = "UTC";
}

static void
run(struct fake_db *f, const struct wh_settings *s, const char *json,
    struct result *res)
{
	struct wh_ctx	ctx;

	ctx_db(&ctx, f, s, DEADLINE);
	harness_run(&ctx, NULL, json, res);
}

/* A balance request for user_id, with sentiment (JSON members) or not. */
static const char *
req_with(char *doc, size_t docsz, const char *user_id, const char *sentiment)
{
	char	sent[256] = "";

	if (sentiment != NULL)
		snprintf(sent, sizeof(sent), "\"sentimentAnalysisResult\":{%s},",
		    sentiment);
	snprintf(doc, docsz, "{%s\"intentInfo\":{\"displayName\":"
	    "\"account.balance\"},\"sessionInfo\":{\"parameters\":{%s}}}",
	    sent, user_id);
	return doc;
}

/*
 * res is base (the same request without a low score) with, when handoff,
 * one liveAgentHandoff message appended and handoff_suggested set, and
 * nothing else changed.
 */
static void
assert_added(const struct result *res, const struct result *base,
    bool handoff, double score)
{
	json_object		*v, *bp, *rp;
	const char		*got;
	size_t			 i, n = nmsgs(base);
	struct json_object_iter	 it;

	if (!handoff) {
		if (!json_object_equal(res->o, base->o) ||
		    strstr(res->raw.p, "liveAgentHandoff") != NULL)
			fail_msg("unexpected change: %s, want %s", res->raw.p,
			    base->raw.p);
		return;
	}
	if (nmsgs(res) != n + 1)
		fail_msg("want %zu messages then a handoff: %s", n, res->raw.p);
	for (i = 0; i < n; i++)
		if (!json_object_equal(json_object_array_get_idx(jget(res->o,
		    MSGS), i), json_object_array_get_idx(jget(base->o, MSGS),
		    i)))
			fail_msg("message %zu changed: %s, want %s", i,
			    res->raw.p, base->raw.p);
	v = json_object_array_get_idx(jget(res->o, MSGS), n);
	if (!jhas(v, "liveAgentHandoff"))
		fail_msg("no liveAgentHandoff last: %s", res->raw.p);
	got = jstr(v, "liveAgentHandoff.metadata.reason");
	if (got == NULL || strcmp(got, "negative_sentiment") != 0)
		fail_msg("reason is not negative_sentiment: %s", res->raw.p);
	v = jget(v, "liveAgentHandoff.metadata.sentimentScore");
	if (v == NULL || fabs(json_object_get_double(v) - score) > 1e-9)
		fail_msg("sentimentScore is not %g: %s", score, res->raw.p);
	v = jget(res->o, PARAMS ".handoff_suggested");
	if (v == NULL || !json_object_is_type(v, json_type_boolean) ||
	    !json_object_get_boolean(v))
		fail_msg("handoff_suggested is not true: %s", res->raw.p);
	if (nparams(res) != nparams(base) + 1)
		fail_msg("want the parameters of %s and handoff_suggested: %s",
		    base->raw.p, res->raw.p);
	if ((bp = jget(base->o, PARAMS)) != NULL) {
		rp = jget(res->o, PARAMS);
		json_object_object_foreachC(bp, it) {
			if (!jlookup(rp, it.key, &v) ||
			    !json_object_equal(v, it.val))
				fail_msg("parameter %s changed: %s", it.key,
				    res->raw.p);
		}
	}
	if (jhas(res->o, "pageInfo") != jhas(base->o, "pageInfo"))
		fail_msg("pageInfo changed: %s", res->raw.p);
}

static const struct {
	const char	*sentiment;	/* JSON members; NULL: no result */
	double		 score;
	bool		 handoff;
} cases[] = {
	{ "\"score\":-0.8,\"magnitude\":0.9", -0.8, true },
	{ "\"score\":-0.6,\"magnitude\":0.9", -0.6, true },
	{ "\"score\":-1,\"magnitude\":3", -1.0, true },
	{ "\"score\":-0.8", -0.8, true },
	{ "\"score\":-0.59,\"magnitude\":0.9", -0.59, false },
	{ "\"score\":0,\"magnitude\":0", 0.0, false },
	{ "\"score\":0.7,\"magnitude\":0.9", 0.7, false },
	{ "\"magnitude\":2.5", 0.0, false },
	/* proto3's NaN and infinities: no score at all (absent). */
	{ "\"score\":\"-Infinity\",\"magnitude\":0.9", 0.0, false },
	{ "\"score\":\"NaN\",\"magnitude\":\"Infinity\"", 0.0, false },
	{ "\"score\":\"Infinity\"", 0.0, false },
	{ "\"score\":-0.8,\"magnitude\":\"NaN\"", -0.8, true },
	{ NULL, 0.0, false },
};

/*
 * Runs the request for user_id (JSON members) without a sentiment result,
 * then with each of cases[], and checks what the second run added.
 */
static void
run_cases(const struct wh_settings *s, const char *user_id,
    enum wh_status fail, const char *text, bool never)
{
	struct fake_db		 f;
	struct result		 base, res;
	char			 doc[1024];
	const char		*got;
	size_t			 i;

	fake_db_init(&f);
	f.fail = fail;
	run(&f, s, req_with(doc, sizeof(doc), user_id, NULL), &base);
	got = jstr(base.o, MSGS "[0].text.text[0]");
	if (got == NULL || strstr(got, text) == NULL)
		fail_msg("want \"%s\" first: %s", text, base.raw.p);
	for (i = 0; i < NITEMS(cases); i++) {
		fake_db_init(&f);
		f.fail = fail;
		run(&f, s, req_with(doc, sizeof(doc), user_id,
		    cases[i].sentiment), &res);
		assert_added(&res, &base, cases[i].handoff && !never,
		    cases[i].score);
		result_free(&res);
	}
	result_free(&base);
}

/* Added to the handler's own answer, which stays as it was. */
static void
test_normal_answer(void **state)
{
	struct wh_settings	s;

	settings_init(&s, true);
	run_cases(&s, "\"user_id\":\"10042\"", WH_OK, BALANCE, false);
}

/* Added to the apology too: an upset caller whose answer failed. */
static void
test_after_db_failure(void **state)
{
	struct wh_settings	s;

	settings_init(&s, true);
	run_cases(&s, "\"user_id\":\"10042\"", WH_DB_UNAVAILABLE, DB_DOWN,
	    false);
}

/* ... and to a question asked without touching the database. */
static void
test_prompt(void **state)
{
	struct wh_settings	s;

	settings_init(&s, true);
	run_cases(&s, "", WH_OK, "user ID", false);
}

/* No threshold configured, or no settings: never a handoff. */
static void
test_no_threshold(void **state)
{
	struct wh_settings	s;

	settings_init(&s, false);
	run_cases(&s, "\"user_id\":\"10042\"", WH_OK, BALANCE, true);
	run_cases(&s, "\"user_id\":\"10042\"", WH_DB_UNAVAILABLE, DB_DOWN,
	    true);
	run_cases(NULL, "\"user_id\":\"10042\"", WH_OK, BALANCE, true);
}

/* The apology's wording and flags, with the handoff after it. */
static void
test_apology_exact(void **state)
{
	struct fake_db		f;
	struct wh_settings	s;
	struct result		res;
	char			doc[1024];

	settings_init(&s, true);
	fake_db_init(&f);
	f.fail = WH_DB_UNAVAILABLE;
	run(&f, &s, req_with(doc, sizeof(doc), "\"user_id\":\"10042\"",
	    "\"score\":-0.8,\"magnitude\":0.9"), &res);
	assert_int_equal(f.calls, 1);
	assert_int_equal(nmsgs(&res), 2);
	assert_string_equal(jstr(res.o, MSGS "[0].text.text[0]"), DB_DOWN);
	assert_string_equal(jstr(res.o,
	    MSGS "[1].liveAgentHandoff.metadata.reason"), "negative_sentiment");
	assert_true(json_object_get_boolean(jget(res.o,
	    PARAMS ".error_occurred")));
	assert_string_equal(jstr(res.o, PARAMS ".error_code"),
	    "database_unavailable");
	assert_true(json_object_get_boolean(jget(res.o,
	    PARAMS ".handoff_suggested")));
	assert_int_equal(nparams(&res), 3);
	assert_false(jhas(res.o, PARAMS ".balance"));
	result_free(&res);
}

/* The proto's snake_case name is read too, and other handlers get it. */
static void
test_other_shapes(void **state)
{
	struct fake_db		f;
	struct wh_settings	s;
	struct result		res;

	settings_init(&s, true);
	fake_db_init(&f);
	run(&f, &s, "{\"sentiment_analysis_result\":{\"score\":-0.9,"
	    "\"magnitude\":1},\"intentInfo\":{\"displayName\":"
	    "\"account.balance\"},\"sessionInfo\":{\"parameters\":{"
	    "\"user_id\":10042}}}", &res);
	assert_string_equal(jstr(res.o, MSGS "[0].text.text[0]"), BALANCE);
	assert_string_equal(jstr(res.o, MSGS "[2].liveAgentHandoff.metadata."
	    "reason"), "negative_sentiment");
	assert_true(json_object_get_boolean(jget(res.o,
	    PARAMS ".handoff_suggested")));
	result_free(&res);

	fake_db_init(&f);
	run(&f, &s, "{\"sentimentAnalysisResult\":{\"score\":-0.7,"
	    "\"magnitude\":1},\"text\":\"this is useless\"}", &res);
	assert_int_equal(f.calls, 0);
	assert_int_equal(nmsgs(&res), 2);
	assert_string_equal(jstr(res.o, MSGS "[0].text.text[0]"), "I've "
	    "received your request, but I'm not sure how to handle it.");
	assert_true(jhas(res.o, MSGS "[1].liveAgentHandoff"));
	assert_int_equal(nparams(&res), 1);
	result_free(&res);

	/* A stricter threshold moves the line. */
	s.sentiment_below = -0.9;
	fake_db_init(&f);
	run(&f, &s, "{\"sentimentAnalysisResult\":{\"score\":-0.8},"
	    "\"text\":\"meh\"}", &res);
	assert_int_equal(nmsgs(&res), 1);
	assert_null(strstr(res.raw.p, "liveAgentHandoff"));
	assert_int_equal(nparams(&res), 0);
	result_free(&res);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_normal_answer),
		cmocka_unit_test(test_after_db_failure),
		cmocka_unit_test(test_prompt),
		cmocka_unit_test(test_no_threshold),
		cmocka_unit_test(test_apology_exact),
		cmocka_unit_test(test_other_shapes),
	};

	return cmocka_run_group_tests_name("sentiment", tests, NULL, NULL);
}
