/*
 * Unit tests for the weather handler (handlers/h_weather.c) through the
 * handler seam: decoded requests in, a fake struct http_ops (fake_http.h)
 * standing in for the provider, a real single-process shcache where the
 * cache is under test, and the encoded WebhookResponse out.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "cx/cx.h"
#include "fake_db.h"
#include "fake_http.h"
#include "handlers/wh.h"
#include "harness.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "lib/shcache.h"

#define BASE_URL	"https://api.weatherapi.example/v1/current.json"
#define PROMPT		"Which city would you like the weather for?"
#define LONDON_TEXT	"The current weather in London is Partly cloudy " \
			"with a temperature of 14\xc2\xb0" "C."

static const char london_body[] =
    "{\"location\":{\"name\":\"London\",\"region\":\"City of London, "
    "Greater London\",\"country\":\"United Kingdom\"},"
    "\"current\":{\"temp_c\":14,\"temp_f\":57.2,"
    "\"condition\":{\"text\":\"Partly cloudy\",\"code\":1003}}}";

static const char not_found_body[] =
    "{\"error\":{\"code\":1006,\"message\":\"No matching location found.\"}}";

static void
settings_init(struct wh_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->weather_url = BASE_URL;
	s->weather_key = "K";
	s->weather_ttl_ms = 30 * 60 * 1000;
	s->time_zone = "UTC";
}

/*
 * Runs one request through route_find() and dispatch().  The deadline is
 * a real one: the shcache compares it with the clock.
 */
static void
run_with(struct fake_http *h, const struct http_ops *ops,
    const struct wh_settings *s, struct shcache *cache, const char *json,
    struct result *res)
{
	struct wh_ctx	ctx;
	int64_t		deadline = now_ms() + 10000;
	int		calls = h->calls;

	memset(&ctx, 0, sizeof(ctx));
	ctx.http_ops = ops;
	ctx.http = h;
	ctx.weather_cache = cache;
	ctx.settings = s;
	ctx.deadline_ms = deadline;
	harness_run(&ctx, NULL, json, res);
	if (h->calls > calls && h->last_deadline_ms != deadline)
		fail_msg("upstream got deadline %lld, want %lld",
		    (long long)h->last_deadline_ms, (long long)deadline);
}

static void
run(struct fake_http *h, const struct wh_settings *s, struct shcache *cache,
    const char *json, struct result *res)
{
	run_with(h, &fake_http_ops, s, cache, json, res);
}

/* A weather request with location set to the JSON text loc. */
static const char *
loc_req(char *doc, size_t docsz, const char *loc)
{
	snprintf(doc, docsz, "{\"fulfillmentInfo\":{\"tag\":\"weather\"},"
	    "\"sessionInfo\":{\"session\":\"projects/p/locations/global/"
	    "agents/a/sessions/s1\",\"parameters\":{\"location\":%s}}}", loc);
	return doc;
}

/* A provider answer; each argument is JSON text. */
static const char *
provider_body(char *out, size_t outsz, const char *name, const char *temp,
    const char *condition)
{
	snprintf(out, outsz, "{\"location\":{\"name\":%s,\"country\":"
	    "\"United Kingdom\"},\"current\":{\"temp_c\":%s,\"temp_f\":0,"
	    "\"condition\":{\"text\":%s,\"code\":1003}}}", name, temp,
	    condition);
	return out;
}

static void
assert_no_weather(const struct result *res)
{
	if (jhas(res->o, PARAMS ".temperature") ||
	    jhas(res->o, PARAMS ".weather_condition") ||
	    jhas(res->o, PARAMS ".weather_location"))
		fail_msg("weather parameters in a failure: %s", res->raw.p);
}

/* ---- the request upstream ---- */

static void
test_url(void **state)
{
	static const struct {
		const char	*loc;		/* JSON */
		const char	*base;
		const char	*key;
		const char	*want;
	} t[] = {
		{ "\"London\"", BASE_URL, "K", BASE_URL "?key=K&q=London" },
		/* trimmed like every text parameter */
		{ "\"  London \"", BASE_URL, "K", BASE_URL "?key=K&q=London" },
		{ "\"S\xc3\xa3o Paulo\"", BASE_URL, "K",
		    BASE_URL "?key=K&q=S%C3%A3o%20Paulo" },
		{ "{\"city\":\"S\xc3\xa3o Paulo\",\"country\":\"Brazil\"}",
		    BASE_URL, "K", BASE_URL "?key=K&q=S%C3%A3o%20Paulo" },
		{ "{\"original\":\"New York\"}", BASE_URL, "K",
		    BASE_URL "?key=K&q=New%20York" },
		/* city wins over original */
		{ "{\"original\":\"the big apple\",\"city\":\"New York\"}",
		    BASE_URL, "K", BASE_URL "?key=K&q=New%20York" },
		{ "{\"city\":\"\",\"original\":\"Paris\"}", BASE_URL, "K",
		    BASE_URL "?key=K&q=Paris" },
		{ "10001", BASE_URL, "K", BASE_URL "?key=K&q=10001" },
		{ "10001.0", BASE_URL, "K", BASE_URL "?key=K&q=10001" },
		{ "\"St. John's & Co/x?y=z+1\"", BASE_URL, "K",
		    BASE_URL "?key=K&q=St.%20John%27s%20%26%20Co%2Fx%3Fy%3Dz%2B1" },
		{ "\"London\"", BASE_URL, "a&b=c d+e%",
		    BASE_URL "?key=a%26b%3Dc%20d%2Be%25&q=London" },
		{ "\"London\"", BASE_URL "?lang=fr", "K",
		    BASE_URL "?lang=fr&key=K&q=London" },
		{ "\"London\"", BASE_URL, NULL, BASE_URL "?key=&q=London" },
	};
	struct fake_http	h;
	struct wh_settings	s;
	struct result		res;
	char			doc[512];
	size_t			i;

	for (i = 0; i < NITEMS(t); i++) {
		fake_http_init(&h);
		fake_http_answer(&h, 200, london_body);
		settings_init(&s);
		s.weather_url = t[i].base;
		s.weather_key = t[i].key;
		run(&h, &s, NULL, loc_req(doc, sizeof(doc), t[i].loc), &res);
		if (h.calls != 1)
			fail_msg("%s: %d upstream calls", t[i].loc, h.calls);
		if (strcmp(h.last_url, t[i].want) != 0)
			fail_msg("%s: GET %s, want %s", t[i].loc, h.last_url,
			    t[i].want);
		assert_string_equal(only_text(&res), LONDON_TEXT);
		result_free(&res);
	}
}

/* This turn's intent parameter, and the weather.current intent route. */
static void
test_url_intent_param(void **state)
{
	struct fake_http	h;
	struct wh_settings	s;
	struct result		res;

	fake_http_init(&h);
	fake_http_answer(&h, 200, london_body);
	settings_init(&s);
	run(&h, &s, NULL, "{\"intentInfo\":{\"displayName\":"
	    "\"weather.current\",\"parameters\":{\"location\":{"
	    "\"originalValue\":\"london\",\"resolvedValue\":{\"city\":"
	    "\"London\",\"country\":\"UK\"}}}},\"sessionInfo\":{"
	    "\"parameters\":{\"location\":\"Paris\"}}}", &res);
	assert_int_equal(h.calls, 1);
	assert_string_equal(h.last_url, BASE_URL "?key=K&q=London");
	assert_string_equal(only_text(&res), LONDON_TEXT);
	result_free(&res);
}

/* ---- answers ---- */

static void
test_answer(void **state)
{
	struct fake_http	 h;
	struct wh_settings	 s;
	struct result		 res;
	char			 doc[512], raw[64];
	json_object		*v;

	fake_http_init(&h);
	fake_http_answer(&h, 200, london_body);
	settings_init(&s);
	/* Asked one way, named by the provider another. */
	run(&h, &s, NULL, loc_req(doc, sizeof(doc), "\"london, uk\""), &res);
	assert_int_equal(h.calls, 1);
	assert_string_equal(only_text(&res), LONDON_TEXT);
	raw_param(&res, "temperature", raw, sizeof(raw));
	assert_string_equal(raw, "14");
	v = jget(res.o, PARAMS ".temperature");
	assert_non_null(v);
	assert_true(json_object_is_type(v, json_type_double) ||
	    json_object_is_type(v, json_type_int));
	assert_string_equal(jstr(res.o, PARAMS ".weather_condition"),
	    "Partly cloudy");
	assert_string_equal(jstr(res.o, PARAMS ".weather_location"), "London");
	assert_false(jhas(res.o, PARAMS ".error_occurred"));
	assert_false(jhas(res.o, PARAMS ".error_code"));
	assert_int_equal(nparams(&res), 3);
	assert_false(jhas(res.o, "pageInfo"));
	result_free(&res);
}

static void
test_temperature_text(void **state)
{
	static const struct {
		const char	*temp_c;	/* as the provider sends it */
		const char	*want;
	} t[] = {
		{ "14", "14" },
		{ "14.5", "14.5" },
		{ "-0.4", "-0.4" },
		{ "21.0", "21" },
		{ "0", "0" },
		{ "-3", "-3" },
		{ "-0.04", "0" },
		{ "35.25", "35.2" },
		{ "9.96", "10" },
		{ "1e1", "10" },
	};
	struct fake_http	h;
	struct wh_settings	s;
	struct result		res;
	char			doc[512], body[512], raw[64], want[256];
	size_t			i;

	for (i = 0; i < NITEMS(t); i++) {
		fake_http_init(&h);
		fake_http_answer(&h, 200, provider_body(body, sizeof(body),
		    "\"Oslo\"", t[i].temp_c, "\"Sunny\""));
		settings_init(&s);
		run(&h, &s, NULL, loc_req(doc, sizeof(doc), "\"oslo\""), &res);
		snprintf(want, sizeof(want), "The current weather in Oslo is "
		    "Sunny with a temperature of %s\xc2\xb0" "C.", t[i].want);
		assert_string_equal(only_text(&res), want);
		raw_param(&res, "temperature", raw, sizeof(raw));
		if (strcmp(raw, t[i].want) != 0)
			fail_msg("temp_c %s: temperature %s, want %s",
			    t[i].temp_c, raw, t[i].want);
		result_free(&res);
	}
}

static void
test_no_location(void **state)
{
	static const char *const reqs[] = {
		"{\"fulfillmentInfo\":{\"tag\":\"weather\"}}",
		"{\"fulfillmentInfo\":{\"tag\":\"weather\"},\"sessionInfo\":{"
		"\"parameters\":{\"location\":null}}}",
		"{\"fulfillmentInfo\":{\"tag\":\"weather\"},\"sessionInfo\":{"
		"\"parameters\":{\"location\":\"\"}}}",
		"{\"fulfillmentInfo\":{\"tag\":\"weather\"},\"sessionInfo\":{"
		"\"parameters\":{\"location\":\"   \"}}}",
		"{\"fulfillmentInfo\":{\"tag\":\"weather\"},\"sessionInfo\":{"
		"\"parameters\":{\"location\":{}}}}",
		"{\"fulfillmentInfo\":{\"tag\":\"weather\"},\"sessionInfo\":{"
		"\"parameters\":{\"location\":{\"city\":\"\"}}}}",
		"{\"intentInfo\":{\"displayName\":\"weather.current\","
		"\"parameters\":{\"location\":{\"originalValue\":\"\","
		"\"resolvedValue\":null}}}}",
	};
	struct fake_http	h;
	struct wh_settings	s;
	struct result		res;
	size_t			i, j;

	for (j = 0; j < 2; j++) {
		for (i = 0; i < NITEMS(reqs); i++) {
			fake_http_init(&h);
			fake_http_answer(&h, 200, london_body);
			settings_init(&s);
			/* Asking comes first, set up or not. */
			if (j == 1)
				s.weather_url = NULL;
			run(&h, &s, NULL, reqs[i], &res);
			assert_string_equal(only_text(&res), PROMPT);
			if (h.calls != 0)
				fail_msg("request %zu: %d upstream calls", i,
				    h.calls);
			assert_int_equal(nparams(&res), 0);
			result_free(&res);
		}
	}
}

/* Weather not set up: an apology, and nobody is called. */
static void
test_not_configured(void **state)
{
	struct fake_http	h;
	struct wh_settings	s;
	struct result		res;
	char			doc[512];
	int			i;

	for (i = 0; i < 3; i++) {
		fake_http_init(&h);
		fake_http_answer(&h, 200, london_body);
		settings_init(&s);
		s.weather_url = NULL;
		loc_req(doc, sizeof(doc), "\"London\"");
		if (i == 0)
			run(&h, &s, NULL, doc, &res);
		else if (i == 1)
			run(&h, NULL, NULL, doc, &res);
		else {
			s.weather_url = BASE_URL;
			run_with(&h, NULL, &s, NULL, doc, &res);
		}
		assert_int_equal(h.calls, 0);
		assert_string_equal(only_text(&res), "Sorry, that service "
		    "isn't available right now. Please try again later.");
		assert_error_code(&res, "upstream_unavailable");
		assert_int_equal(nparams(&res), 2);
		result_free(&res);
	}
}

/* ---- failures ---- */

static void
test_not_found(void **state)
{
	static const struct {
		long		 status;
		const char	*body;
	} t[] = {
		{ 400, not_found_body },
		{ 404, "" },
		{ 400, "not json at all" },
	};
	struct fake_http	h;
	struct wh_settings	s;
	struct result		res;
	char			doc[512];
	size_t			i;

	for (i = 0; i < NITEMS(t); i++) {
		fake_http_init(&h);
		fake_http_answer(&h, t[i].status, t[i].body);
		settings_init(&s);
		run(&h, &s, NULL, loc_req(doc, sizeof(doc), "\"Atlantis\""),
		    &res);
		assert_int_equal(h.calls, 1);
		assert_string_equal(only_text(&res), "Sorry, I couldn't find "
		    "weather information for Atlantis.");
		assert_error_code(&res, "location_not_found");
		assert_no_weather(&res);
		assert_int_equal(nparams(&res), 2);
		result_free(&res);
	}
}

static void
test_upstream_failures(void **state)
{
	static const struct {
		enum wh_status	 st;
		long		 status;
		const char	*body;
		const char	*code;
	} t[] = {
		{ WH_OK, 500, "{\"error\":\"boom\"}", "upstream_unavailable" },
		{ WH_OK, 502, "", "upstream_unavailable" },
		{ WH_OK, 503, NULL, "upstream_unavailable" },
		{ WH_OK, 301, "", "upstream_unavailable" },
		{ WH_OK, 204, "", "upstream_unavailable" },
		{ WH_UPSTREAM_TIMEOUT, 0, NULL, "upstream_timeout" },
		{ WH_UPSTREAM_UNAVAILABLE, 0, NULL, "upstream_unavailable" },
		/* 200, but not an answer we can read */
		{ WH_OK, 200, "", "upstream_unavailable" },
		{ WH_OK, 200, "<html><body>Bad gateway</body></html>",
		    "upstream_unavailable" },
		{ WH_OK, 200, "[1,2,3]", "upstream_unavailable" },
		{ WH_OK, 200, "\"London\"", "upstream_unavailable" },
		{ WH_OK, 200, "{\"location\":{\"name\":\"London\"},"
		    "\"current\":{\"condition\":{\"text\":\"Sunny\"}}}",
		    "upstream_unavailable" },
		{ WH_OK, 200, "{\"location\":{\"name\":\"London\"},"
		    "\"current\":{\"temp_c\":\"14\",\"condition\":{\"text\":"
		    "\"Sunny\"}}}", "upstream_unavailable" },
		{ WH_OK, 200, "{\"location\":{\"name\":\"London\"},"
		    "\"current\":{\"temp_c\":14}}", "upstream_unavailable" },
		{ WH_OK, 200, "{\"current\":{\"temp_c\":14,\"condition\":{"
		    "\"text\":\"Sunny\"}}}", "upstream_unavailable" },
		{ WH_OK, 200, "{\"location\":{\"name\":\"\"},\"current\":{"
		    "\"temp_c\":14,\"condition\":{\"text\":\"Sunny\"}}}",
		    "upstream_unavailable" },
		{ WH_OK, 200, "{\"location\":{\"name\":\"London\"},"
		    "\"current\":{\"temp_c\":14,\"condition\":{\"text\":"
		    "\"Sunny\"}}", "upstream_unavailable" },	/* truncated */
		{ WH_OK, 200, "{\"location\":{\"name\":\"London\"},"
		    "\"current\":{\"temp_c\":1e999,\"condition\":{\"text\":"
		    "\"Sunny\"}}}", "upstream_unavailable" },
	};
	struct fake_http	 h;
	struct wh_settings	 s;
	struct result		 res;
	char			 doc[512];
	const char		*text;
	size_t			 i;

	for (i = 0; i < NITEMS(t); i++) {
		fake_http_init(&h);
		if (t[i].st == WH_OK)
			fake_http_answer(&h, t[i].status, t[i].body);
		else
			fake_http_fail(&h, t[i].st);
		settings_init(&s);
		run(&h, &s, NULL, loc_req(doc, sizeof(doc), "\"London\""),
		    &res);
		assert_int_equal(h.calls, 1);
		text = only_text(&res);
		if (strncmp(text, "Sorry, that service", 19) != 0)
			fail_msg("case %zu: not the apology: %s", i,
			    res.raw.p);
		assert_error_code(&res, t[i].code);
		assert_no_weather(&res);
		assert_int_equal(nparams(&res), 2);
		result_free(&res);
	}
}

/*
 * The provider refusing us is not the provider not knowing the place.
 * weatherapi.com answers 400 (code 1006) for an unknown place, but 401
 * for a bad key, 403 for an exhausted quota or a disabled key, and 429
 * when rate limited.  Those are upstream_unavailable, not
 * location_not_found, and are not cached: once the provider serves us
 * again, London is found at once, not up to 5 minutes later.
 */
static void
test_provider_refusal(void **state)
{
	static const long	 codes[] = { 401, 403, 429 };
	struct fake_http	 h;
	struct wh_settings	 s;
	struct shcache		*cache;
	struct result		 res;
	const char		*code;
	char			 doc[512], why[1024];
	size_t			 i;

	why[0] = '\0';
	for (i = 0; i < NITEMS(codes); i++) {
		cache = shcache_create(16);
		fake_http_init(&h);
		fake_http_answer(&h, codes[i], "{\"error\":{\"code\":2007,"
		    "\"message\":\"API key has exceeded calls per month "
		    "quota.\"}}");
		settings_init(&s);
		run(&h, &s, cache, loc_req(doc, sizeof(doc), "\"London\""),
		    &res);
		assert_int_equal(h.calls, 1);
		code = jstr(res.o, PARAMS ".error_code");
		if (why[0] == '\0' && (code == NULL ||
		    strcmp(code, "upstream_unavailable") != 0))
			snprintf(why, sizeof(why), "HTTP %ld: want "
			    "upstream_unavailable, got %s", codes[i],
			    res.raw.p);
		result_free(&res);

		/* Once the provider is back, London is found. */
		fake_http_answer(&h, 200, london_body);
		run(&h, &s, cache, loc_req(doc, sizeof(doc), "\"London\""),
		    &res);
		if (why[0] == '\0' && h.calls != 2)
			snprintf(why, sizeof(why), "HTTP %ld was cached: %s",
			    codes[i], res.raw.p);
		result_free(&res);
		shcache_destroy(cache);
	}
	/* Reported only now, so that a failure leaks nothing. */
	if (why[0] != '\0')
		fail_msg("%s", why);
}

/* Tabs and line breaks from the provider: flattened, also via the cache. */
static void
test_provider_control_chars(void **state)
{
	static const char *const want = "The current weather in New York "
	    "City is Partly  cloudy with a temperature of 3\xc2\xb0" "C.";
	struct fake_http	 h;
	struct wh_settings	 s;
	struct shcache		*cache;
	struct result		 res;
	char			 doc[512], body[512];
	int			 i;

	cache = shcache_create(16);
	fake_http_init(&h);
	fake_http_answer(&h, 200, provider_body(body, sizeof(body),
	    "\"New\\tYork\\nCity\"", "3", "\"Partly\\r\\ncloudy\""));
	settings_init(&s);
	for (i = 0; i < 3; i++) {
		/* no cache, then a cache miss, then a cache hit */
		run(&h, &s, i == 0 ? NULL : cache,
		    loc_req(doc, sizeof(doc), "\"New York\""), &res);
		assert_int_equal(h.calls, i == 2 ? 2 : i + 1);
		assert_string_equal(only_text(&res), want);
		assert_string_equal(jstr(res.o, PARAMS ".weather_location"),
		    "New York City");
		assert_string_equal(jstr(res.o, PARAMS ".weather_condition"),
		    "Partly  cloudy");
		assert_false(jhas(res.o, PARAMS ".error_code"));
		result_free(&res);
	}
	shcache_destroy(cache);
}

/* ---- the shared cache ---- */

static void
test_cache_hit(void **state)
{
	static const char *const locs[] = {
		"\" LONDON \"",
		"\"london\"",
		("\"L\xef\xbc\xaf" "ndon\""),	/* a fullwidth O */
		"{\"city\":\"London\"}",
	};
	struct fake_http	 h;
	struct wh_settings	 s;
	struct shcache		*cache;
	struct result		 res;
	char			 doc[512], raw[64];
	size_t			 i;

	cache = shcache_create(16);
	fake_http_init(&h);
	fake_http_answer(&h, 200, london_body);
	settings_init(&s);
	run(&h, &s, cache, loc_req(doc, sizeof(doc), "\"London\""), &res);
	assert_int_equal(h.calls, 1);
	assert_string_equal(only_text(&res), LONDON_TEXT);
	result_free(&res);

	/* The provider is gone now: only the cache can answer. */
	fake_http_fail(&h, WH_UPSTREAM_UNAVAILABLE);
	for (i = 0; i < NITEMS(locs); i++) {
		run(&h, &s, cache, loc_req(doc, sizeof(doc), locs[i]), &res);
		if (h.calls != 1)
			fail_msg("%s: called upstream", locs[i]);
		assert_string_equal(only_text(&res), LONDON_TEXT);
		raw_param(&res, "temperature", raw, sizeof(raw));
		assert_string_equal(raw, "14");
		assert_string_equal(jstr(res.o, PARAMS ".weather_location"),
		    "London");
		assert_string_equal(jstr(res.o, PARAMS ".weather_condition"),
		    "Partly cloudy");
		assert_int_equal(nparams(&res), 3);
		result_free(&res);
	}

	/* Another place is another entry. */
	fake_http_answer(&h, 200, london_body);
	run(&h, &s, cache, loc_req(doc, sizeof(doc), "\"Londonderry\""), &res);
	assert_int_equal(h.calls, 2);
	result_free(&res);
	shcache_destroy(cache);
}

static void
test_cache_not_found(void **state)
{
	struct fake_http	 h;
	struct wh_settings	 s;
	struct shcache		*cache;
	struct result		 res;
	char			 doc[512];

	cache = shcache_create(16);
	fake_http_init(&h);
	fake_http_answer(&h, 400, not_found_body);
	settings_init(&s);
	run(&h, &s, cache, loc_req(doc, sizeof(doc), "\"Atlantis\""), &res);
	assert_int_equal(h.calls, 1);
	assert_error_code(&res, "location_not_found");
	result_free(&res);

	fake_http_answer(&h, 200, london_body);
	run(&h, &s, cache, loc_req(doc, sizeof(doc), "\" atlantis\""), &res);
	assert_int_equal(h.calls, 1);
	/* Said with the place as this caller asked for it. */
	assert_string_equal(only_text(&res),
	    "Sorry, I couldn't find weather information for atlantis.");
	assert_error_code(&res, "location_not_found");
	assert_no_weather(&res);
	result_free(&res);
	shcache_destroy(cache);
}

static void
test_cache_failure_not_cached(void **state)
{
	static const struct {
		enum wh_status	 st;
		long		 status;
		const char	*body;
	} t[] = {
		{ WH_OK, 500, "" },
		{ WH_OK, 200, "{\"location\":{\"name\":\"London\"}}" },
		{ WH_UPSTREAM_TIMEOUT, 0, NULL },
		{ WH_UPSTREAM_UNAVAILABLE, 0, NULL },
	};
	struct fake_http	 h;
	struct wh_settings	 s;
	struct shcache		*cache;
	struct result		 res;
	char			 doc[512];
	size_t			 i;

	for (i = 0; i < NITEMS(t); i++) {
		cache = shcache_create(16);
		fake_http_init(&h);
		if (t[i].st == WH_OK)
			fake_http_answer(&h, t[i].status, t[i].body);
		else
			fake_http_fail(&h, t[i].st);
		settings_init(&s);
		run(&h, &s, cache, loc_req(doc, sizeof(doc), "\"London\""),
		    &res);
		assert_int_equal(h.calls, 1);
		assert_true(jhas(res.o, PARAMS ".error_code"));
		result_free(&res);

		/* The same failure again: asked again, not remembered. */
		run(&h, &s, cache, loc_req(doc, sizeof(doc), "\"London\""),
		    &res);
		if (h.calls != 2)
			fail_msg("case %zu: %d calls, want 2", i, h.calls);
		result_free(&res);

		fake_http_answer(&h, 200, london_body);
		run(&h, &s, cache, loc_req(doc, sizeof(doc), "\"London\""),
		    &res);
		assert_int_equal(h.calls, 3);
		assert_string_equal(only_text(&res), LONDON_TEXT);
		result_free(&res);
		shcache_destroy(cache);
	}
}

static void
test_cache_ttl(void **state)
{
	struct timespec		 ts = { 0, 20 * 1000 * 1000 };
	struct fake_http	 h;
	struct wh_settings	 s;
	struct shcache		*cache;
	struct result		 res;
	char			 doc[512];
	int			 i;

	cache = shcache_create(16);
	fake_http_init(&h);
	fake_http_answer(&h, 200, london_body);
	settings_init(&s);
	s.weather_ttl_ms = 1;
	for (i = 1; i <= 3; i++) {
		run(&h, &s, cache, loc_req(doc, sizeof(doc), "\"London\""),
		    &res);
		assert_int_equal(h.calls, i);
		assert_string_equal(only_text(&res), LONDON_TEXT);
		result_free(&res);
		nanosleep(&ts, NULL);
	}

	/* A not-found answer expires too. */
	fake_http_answer(&h, 400, not_found_body);
	run(&h, &s, cache, loc_req(doc, sizeof(doc), "\"Atlantis\""), &res);
	assert_int_equal(h.calls, 4);
	result_free(&res);
	nanosleep(&ts, NULL);
	run(&h, &s, cache, loc_req(doc, sizeof(doc), "\"Atlantis\""), &res);
	assert_int_equal(h.calls, 5);
	result_free(&res);
	shcache_destroy(cache);
}

/*
 * A fresh entry the handler cannot read (a format it does not know) is
 * fetched again and replaced.
 */
static void
test_cache_unreadable_entry(void **state)
{
	static const char	 old[] = "V2\tLondon\t14\tPartly cloudy";
	struct fake_http	 h;
	struct wh_settings	 s;
	struct shcache		*cache;
	struct result		 res;
	char			 doc[512];
	int			 i;

	cache = shcache_create(16);
	shcache_put(cache, "london", old, strlen(old), 60000);
	fake_http_init(&h);
	fake_http_answer(&h, 200, london_body);
	settings_init(&s);
	for (i = 0; i < 2; i++) {
		run(&h, &s, cache, loc_req(doc, sizeof(doc), "\"London\""),
		    &res);
		assert_int_equal(h.calls, 1);
		assert_string_equal(only_text(&res), LONDON_TEXT);
		result_free(&res);
		/* The second answer can only come from the new entry. */
		fake_http_fail(&h, WH_UPSTREAM_UNAVAILABLE);
	}
	shcache_destroy(cache);
}

/* A place too long to be a cache key is answered, and never cached. */
static void
test_cache_uncacheable_place(void **state)
{
	struct fake_http	 h;
	struct wh_settings	 s;
	struct shcache		*cache;
	struct shcache_stats	 st;
	struct result		 res;
	char			 doc[512], loc[SHCACHE_KEY_MAX + 8];
	int			 i;

	memset(loc, 'a', sizeof(loc));
	loc[0] = '"';
	loc[sizeof(loc) - 2] = '"';
	loc[sizeof(loc) - 1] = '\0';
	cache = shcache_create(16);
	fake_http_init(&h);
	fake_http_answer(&h, 200, london_body);
	settings_init(&s);
	for (i = 1; i <= 2; i++) {
		run(&h, &s, cache, loc_req(doc, sizeof(doc), loc), &res);
		assert_int_equal(h.calls, i);
		assert_string_equal(only_text(&res), LONDON_TEXT);
		result_free(&res);
	}
	shcache_stats(cache, &st);
	assert_int_equal(st.entries_used, 0);
	assert_int_equal(st.fills + st.hits, 0);
	shcache_destroy(cache);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_url_intent_param),
		cmocka_unit_test(test_answer),
		cmocka_unit_test(test_temperature_text),
		cmocka_unit_test(test_no_location),
		cmocka_unit_test(test_not_configured),
		cmocka_unit_test(test_not_found),
		cmocka_unit_test(test_upstream_failures),
		cmocka_unit_test(test_provider_refusal),
		cmocka_unit_test(test_provider_control_chars),
		cmocka_unit_test(test_cache_hit),
		cmocka_unit_test(test_cache_not_found),
		cmocka_unit_test(test_cache_failure_not_cached),
		cmocka_unit_test(test_cache_ttl),
		cmocka_unit_test(test_cache_unreadable_entry),
		cmocka_unit_test(test_cache_uncacheable_place),
	};

	return cmocka_run_group_tests_name("weather", tests, NULL, NULL);
}
