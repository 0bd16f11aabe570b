/*
 * Unit tests for the transport-free HTTP behaviour (request/http.c, contract
 * §3): http_handle() driven with CGI variables, an in-memory body reader
 * that hands out a few bytes at a time, and the fake database of
 * fake_db.h.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <json-c/json.h>

#include "config/config.h"
#include "cx/cx.h"
#include "fake_db.h"
#include "handlers/wh.h"
#include "lib/buf.h"
#include "lib/clock.h"
#include "request/http.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define MiB		(1024 * 1024)
#define JSON_CT		"application/json; charset=utf-8"

static const char balance_req[] =
    "{\"detectIntentResponseId\":\"d1\","
    "\"fulfillmentInfo\":{\"tag\":\"database-query\"},"
    "\"sessionInfo\":{\"session\":\"projects/p/locations/global/agents/a/"
    "sessions/s1\",\"parameters\":{\"query_type\":\"account_balance\","
    "\"user_id\":\"10042\"}},\"languageCode\":\"en\"}";

/* A body reader over memory, a few bytes per call. */
struct mem_reader {
	const char	*p;
	size_t		 len;
	size_t		 off;
	size_t		 chunk;
	int		 calls;
	bool		 fail;		/* -1 after the first chunk */
};

static ssize_t
mem_read(void *arg, char *dst, size_t n)
{
	struct mem_reader	*r = arg;
	size_t			 m;

	r->calls++;
	if (r->fail && r->off > 0)
		return -1;
	if (r->off >= r->len)
		return 0;
	m = r->len - r->off;
	if (m > r->chunk)
		m = r->chunk;
	if (m > n)
		m = n;
	memcpy(dst, r->p + r->off, m);
	r->off += m;
	return (ssize_t)m;
}

struct env {
	struct config		cfg;
	struct fake_db		db;
	struct http_app		app;
	struct mem_reader	rd;
	struct http_out		out;
	json_object		*body;		/* out.body parsed, or NULL */
	int64_t			 started_ms;	/* of the last request */
};

static int
env_setup(void **state)
{
	struct env	*e;

	e = calloc(1, sizeof(*e));
	if (e == NULL)
		return -1;
	e->cfg.max_body = MiB;
	e->cfg.deadline_ms = 4500;
	e->cfg.bearer_token = NULL;
	e->cfg.webhook_path = "/webhook";
	e->cfg.healthz_path = "/healthz";
	e->cfg.status_path = "/status";
	e->cfg.metrics_path = "/metrics";
	fake_db_init(&e->db);
	e->app.cfg = &e->cfg;
	e->app.db_ops = &fake_db_ops;
	e->app.db = &e->db;
	buf_init(&e->app.body);
	http_out_init(&e->out);
	*state = e;
	return 0;
}

static int
env_teardown(void **state)
{
	struct env	*e = *state;

	json_object_put(e->body);
	http_out_clear(&e->out);
	buf_clear(&e->app.body);
	free(e);
	return 0;
}

/* One request; the answer is in e->out (and e->body when it is JSON). */
static void
request(struct env *e, const char *method, const char *uri, const char *ct,
    const char *cl, const char *auth, const char *body, size_t len)
{
	struct http_in	in;

	json_object_put(e->body);
	e->body = NULL;
	http_out_clear(&e->out);
	http_out_init(&e->out);
	memset(&e->rd, 0, sizeof(e->rd));
	e->rd.p = body;
	e->rd.len = len;
	e->rd.chunk = 7;
	memset(&in, 0, sizeof(in));
	in.method = method;
	in.uri = uri;
	in.content_type = ct;
	in.content_length = cl;
	in.authorization = auth;
	in.read = mem_read;
	in.read_arg = &e->rd;
	in.started_ms = e->started_ms = now_ms();
	auth_settings_from(&e->app.auth, &e->cfg);
	http_handle(&e->app, &in, &e->out);
	if (e->out.body.len > 0)
		e->body = jparse(e->out.body.p, e->out.body.len);
}

static void
post(struct env *e, const char *body)
{
	request(e, "POST", "/webhook", JSON_CT, NULL, NULL, body, strlen(body));
}

static void
assert_status(const struct env *e, int status)
{
	if (e->out.status != status)
		fail_msg("status %d, want %d; body: %.*s", e->out.status,
		    status, (int)e->out.body.len,
		    e->out.body.p != NULL ? e->out.body.p : "");
}

/* The docs/contract.md §3 error body: {"error":{"code":N,"message":"..."}}. */
static void
assert_error_body(const struct env *e, int code)
{
	if (e->body == NULL)
		fail_msg("error body is not JSON: %.*s", (int)e->out.body.len,
		    e->out.body.p != NULL ? e->out.body.p : "");
	assert_int_equal(json_object_object_length(e->body), 1);
	assert_int_equal(json_object_object_length(jget(e->body, "error")), 2);
	assert_int_equal(json_object_get_int(jget(e->body, "error.code")),
	    code);
	assert_non_null(jstr(e->body, "error.message"));
	assert_string_equal(e->out.content_type, JSON_CT);
}

static bool
has_header(const struct env *e, const char *prefix)
{
	return e->out.headers.p != NULL &&
	    strstr(e->out.headers.p, prefix) != NULL;
}

/* ---- the webhook ---- */

static void
test_post_ok(void **state)
{
	struct env	*e = *state;

	post(e, balance_req);
	assert_status(e, 200);
	assert_string_equal(e->out.content_type, JSON_CT);
	assert_non_null(e->body);
	assert_string_equal(jstr(e->body, "fulfillmentResponse.messages[0]."
	    "text.text[0]"), "Your current account balance is $1,250.75.");
	assert_non_null(strstr(e->out.body.p, "\"balance\":1250.75"));
	assert_non_null(e->out.tag);
	/* The fake ran once, with the request's deadline. */
	assert_int_equal(e->db.calls, 1);
	assert_int_equal(e->db.last_deadline_ms, e->started_ms + 4500);
	assert_int_equal(e->db.handed_out, e->db.released);
	/* The whole body was read, through many small reads. */
	assert_int_equal(e->rd.off, strlen(balance_req));
	assert_true(e->rd.calls > 10);
}

/* Business failures are still 200s (docs/contract.md §3). */
static void
test_post_business_failure(void **state)
{
	struct env	*e = *state;

	e->db.fail = WH_DB_UNAVAILABLE;
	post(e, balance_req);
	assert_status(e, 200);
	assert_string_equal(jstr(e->body, "sessionInfo.parameters.error_code"),
	    "database_unavailable");

	e->db.fail = WH_OK;
	post(e, "{\"intentInfo\":{\"displayName\":\"smalltalk\"}}");
	assert_status(e, 200);
	assert_string_equal(jstr(e->body, "fulfillmentResponse.messages[0]."
	    "text.text[0]"), "I've received your request, but I'm not sure "
	    "how to handle it.");
}

static void
test_content_type(void **state)
{
	static const struct {
		const char	*ct;
		int		 status;
	} t[] = {
		{ "application/json", 200 },
		{ "application/json; charset=utf-8", 200 },
		{ "application/json; charset=UTF-8", 200 },
		{ "application/json;charset=utf-8", 200 },
		{ "application/json; charset=utf8", 200 },
		{ "application/json; charset=\"utf-8\"", 200 },
		{ "Application/JSON", 200 },
		{ "application/json ", 200 },
		{ "application/json; charset=latin1", 415 },
		{ "application/json; charset=iso-8859-1", 415 },
		{ "application/json; charset=utf-16", 415 },
		{ "text/plain", 415 },
		{ "text/json", 415 },
		{ "application/jsonp", 415 },
		{ "application/json-patch+json", 415 },
		{ "application/x-www-form-urlencoded", 415 },
		{ "multipart/form-data; boundary=x", 415 },
		{ "", 415 },
		{ NULL, 415 },
	};
	struct env	*e = *state;
	size_t		 i;

	for (i = 0; i < NITEMS(t); i++) {
		request(e, "POST", "/webhook", t[i].ct, NULL, NULL,
		    balance_req, strlen(balance_req));
		if (e->out.status != t[i].status)
			fail_msg("Content-Type \"%s\": %d, want %d",
			    t[i].ct != NULL ? t[i].ct : "(none)",
			    e->out.status, t[i].status);
		if (t[i].status == 415) {
			assert_error_body(e, 415);
			/* Refused before a byte of the body is read. */
			assert_int_equal(e->rd.calls, 0);
		}
	}
}

static void
test_methods(void **state)
{
	static const char *const t[] = {
		"GET", "PUT", "DELETE", "HEAD", "PATCH", "OPTIONS", "post", "",
		NULL,
	};
	struct env	*e = *state;
	size_t		 i;

	for (i = 0; i < NITEMS(t); i++) {
		request(e, t[i], "/webhook", JSON_CT, NULL, NULL, balance_req,
		    strlen(balance_req));
		if (e->out.status != 405)
			fail_msg("method %s: %d, want 405",
			    t[i] != NULL ? t[i] : "(null)", e->out.status);
		if (!has_header(e, "Allow: POST\r\n"))
			fail_msg("method %s: no Allow: POST in \"%s\"",
			    t[i] != NULL ? t[i] : "(null)",
			    e->out.headers.p != NULL ? e->out.headers.p : "");
		assert_error_body(e, 405);
		assert_int_equal(e->rd.calls, 0);
		assert_int_equal(e->db.calls, 0);
	}
}

static void
test_healthz(void **state)
{
	static const char *const uris[] = { "/healthz", "/healthz?probe=1" };
	struct env	*e = *state;
	size_t		 i;

	for (i = 0; i < NITEMS(uris); i++) {
		e->db.fail = WH_OK;
		request(e, "GET", uris[i], NULL, NULL, NULL, "", 0);
		assert_status(e, 200);
		assert_string_equal(e->out.body.p,
		    "{\"status\":\"ok\",\"database\":\"ok\"}");
		assert_string_equal(e->out.content_type, JSON_CT);
		assert_int_equal(e->db.last_stmt, DB_PING);
		assert_int_equal(e->db.handed_out, e->db.released);

		e->db.fail = WH_DB_UNAVAILABLE;
		request(e, "GET", uris[i], NULL, NULL, NULL, "", 0);
		assert_status(e, 503);
		assert_non_null(e->body);
		assert_string_equal(jstr(e->body, "database"), "unavailable");
		assert_true(strcmp(jstr(e->body, "status"), "ok") != 0);
	}
	e->db.fail = WH_OK;
	request(e, "HEAD", "/healthz", NULL, NULL, NULL, "", 0);
	assert_status(e, 200);

	/* Only GET and HEAD. */
	request(e, "POST", "/healthz", JSON_CT, NULL, NULL,
	    balance_req, strlen(balance_req));
	assert_status(e, 405);
	assert_true(has_header(e, "Allow: GET"));
	assert_error_body(e, 405);
	request(e, "PUT", "/healthz", NULL, NULL, NULL, "", 0);
	assert_status(e, 405);
}

/*
 * Each endpoint answers on its exact path and nowhere else: no segment,
 * prefix, suffix, encoding or path trick reaches it (contract §3).
 */
static void
test_exact_paths(void **state)
{
	static const char *const tricks[] = {
		"/webhook/status", "/webhook/metrics", "/webhook/healthz",
		"/healthz/status", "/webhookfoo/status", "/webhook;/status",
		"/status/", "/status;", "/status;x=1", "/%73tatus",
		"/status%2F", "%2Fstatus", "/x%2F..%2Fstatus", "//status",
		"/x/../status", "/./status", "/status/.", "/status#x",
		"/STATUS", "/Status", "status", "/status%00", "/ status",
		"/healthz/", "/healthzz", "/healthz/webhook", "/metrics/x",
		"/webhook/", "//webhook", "/webhook;x", "/webhook/.",
		"/x/webhook", "/webhook%3Fx", "/webhook#frag", "", "/",
		"*", "http://localhost/status",
	};
	static const char *const methods[] = { "GET", "POST", "HEAD" };
	struct env	*e = *state;
	size_t		 i, j;

	for (i = 0; i < NITEMS(tricks); i++) {
		for (j = 0; j < NITEMS(methods); j++) {
			e->db.calls = 0;
			request(e, methods[j], tricks[i], JSON_CT, NULL, NULL,
			    balance_req, strlen(balance_req));
			if (e->out.status != 404)
				fail_msg("%s %s: status %d, want 404", methods[j],
				    tricks[i], e->out.status);
			assert_error_body(e, 404);
			assert_int_equal(e->db.calls, 0);
		}
	}
	request(e, "GET", NULL, NULL, NULL, NULL, "", 0);
	assert_status(e, 404);

	/* A query string is no part of the path, and gets no meaning. */
	request(e, "POST", "/webhook?x=1", JSON_CT, NULL, NULL, balance_req,
	    strlen(balance_req));
	assert_status(e, 200);
	request(e, "GET", "/webhook?x=/status", NULL, NULL, NULL, "", 0);
	assert_status(e, 405);
}

/* The paths come from [pool] *_path; the defaults then mean nothing. */
static void
test_configured_paths(void **state)
{
	struct env	*e = *state;

	e->cfg.webhook_path = "/cx/v1/hook";
	e->cfg.healthz_path = "/ops/ready";
	request(e, "POST", "/cx/v1/hook", JSON_CT, NULL, NULL, balance_req,
	    strlen(balance_req));
	assert_status(e, 200);
	request(e, "GET", "/ops/ready", NULL, NULL, NULL, "", 0);
	assert_status(e, 200);
	assert_int_equal(e->db.last_stmt, DB_PING);
	request(e, "POST", "/webhook", JSON_CT, NULL, NULL, balance_req,
	    strlen(balance_req));
	assert_status(e, 404);
	request(e, "GET", "/healthz", NULL, NULL, NULL, "", 0);
	assert_status(e, 404);
	request(e, "POST", "/cx/v1/hook/", JSON_CT, NULL, NULL, balance_req,
	    strlen(balance_req));
	assert_status(e, 404);
}

/* ---- body size ---- */

static char *
padded_body(const char *json, size_t total)
{
	char	*b;
	size_t	 n = strlen(json);

	assert_true(n <= total);
	b = malloc(total + 1);
	assert_non_null(b);
	memcpy(b, json, n);
	memset(b + n, ' ', total - n);
	b[total] = '\0';
	return b;
}

static void
test_content_length_too_large(void **state)
{
	static const char *const t[] = {
		"2000000", "1048577", "99999999999999999999999",
	};
	struct env	*e = *state;
	size_t		 i;

	for (i = 0; i < NITEMS(t); i++) {
		request(e, "POST", "/webhook", JSON_CT, t[i], NULL,
		    balance_req, strlen(balance_req));
		if (e->out.status != 413)
			fail_msg("CONTENT_LENGTH %s: %d", t[i], e->out.status);
		assert_error_body(e, 413);
		/*
		 * Decided before reading; the body is then read only to be
		 * dropped (a web server still sending it would not read the
		 * answer), and nothing of it is kept.
		 */
		assert_int_equal(e->rd.off, e->rd.len);
		assert_int_equal(e->app.body.len, 0);
		assert_int_equal(e->db.calls, 0);
	}
}

static void
test_streamed_body_too_large(void **state)
{
	struct env	*e = *state;
	char		*b = padded_body("{}", MiB + 1);

	/* No CONTENT_LENGTH, or one that lies. */
	request(e, "POST", "/webhook", JSON_CT, NULL, NULL, b, MiB + 1);
	assert_status(e, 413);
	assert_error_body(e, 413);
	assert_int_equal(e->db.calls, 0);

	request(e, "POST", "/webhook", JSON_CT, "100", NULL, b, MiB + 1);
	assert_status(e, 413);
	assert_error_body(e, 413);

	request(e, "POST", "/webhook", JSON_CT, "", NULL, b, MiB + 1);
	assert_status(e, 413);
	free(b);
}

static void
test_body_at_limit(void **state)
{
	struct env	*e = *state;
	char		*b = padded_body(balance_req, MiB);
	static const char *const cl[] = { NULL, "1048576", "", "0" };
	size_t		 i;

	for (i = 0; i < NITEMS(cl); i++) {
		request(e, "POST", "/webhook", JSON_CT, cl[i], NULL, b, MiB);
		if (e->out.status != 200)
			fail_msg("CONTENT_LENGTH %s: %d: %.*s",
			    cl[i] != NULL ? cl[i] : "(none)", e->out.status,
			    (int)e->out.body.len, e->out.body.p);
		assert_string_equal(jstr(e->body, "fulfillmentResponse."
		    "messages[0].text.text[0]"),
		    "Your current account balance is $1,250.75.");
		assert_int_equal(e->rd.off, MiB);
	}
	free(b);
}

/* CONTENT_LENGTH is a hint: the body is read to its end either way. */
static void
test_content_length_is_a_hint(void **state)
{
	static const char *const cl[] = { "10", "5000", "abc", "-5", " 12" };
	struct env	*e = *state;
	size_t		 i;

	for (i = 0; i < NITEMS(cl); i++) {
		request(e, "POST", "/webhook", JSON_CT, cl[i], NULL,
		    balance_req, strlen(balance_req));
		if (e->out.status != 200)
			fail_msg("CONTENT_LENGTH %s: %d", cl[i], e->out.status);
		assert_int_equal(e->rd.off, strlen(balance_req));
	}
}

/* ---- malformed bodies ---- */

/* sizeof, not strlen: some bodies hold NUL bytes. */
#define B(lit)	(lit), sizeof(lit) - 1

static void
test_bad_bodies(void **state)
{
	static const struct {
		const char	*body;
		size_t		 len;
		const char	*want;		/* in error.message, or NULL */
	} t[] = {
		{ B(""), NULL },
		{ B("   \n"), NULL },
		{ B("{"), NULL },
		{ B("not json"), NULL },
		{ B("<html><body>502</body></html>"), NULL },
		{ B("[]"), NULL },
		{ B("null"), NULL },
		{ B("{\"a\":1}x"), NULL },
		{ B("{}{}"), NULL },
		{ B("{\"a\":1,}"), NULL },
		{ B("{}\0"), NULL },
		{ B("{\"text\":\"\xff\"}"), NULL },
		{ B("{\"fulfillmentInfo\":{\"tag\":5}}"),
		    "fulfillmentInfo.tag" },
		{ B("{\"intentInfo\":{\"parameters\":\"x\"}}"),
		    "intentInfo.parameters" },
		{ B("{\"text\":\"a\",\"triggerEvent\":\"b\"}"),
		    "triggerEvent" },
	};
	struct env	*e = *state;
	size_t		 i;

	for (i = 0; i < NITEMS(t); i++) {
		request(e, "POST", "/webhook", JSON_CT, NULL, NULL, t[i].body,
		    t[i].len);
		if (e->out.status != 400)
			fail_msg("body %zu \"%.*s\": %d, want 400", i,
			    (int)t[i].len, t[i].body, e->out.status);
		assert_error_body(e, 400);
		if (t[i].want != NULL &&
		    strstr(jstr(e->body, "error.message"), t[i].want) == NULL)
			fail_msg("body %zu: message \"%s\" lacks \"%s\"", i,
			    jstr(e->body, "error.message"), t[i].want);
		assert_int_equal(e->db.calls, 0);
	}
}

static void
test_read_error(void **state)
{
	struct env	*e = *state;
	struct http_in	 in;

	json_object_put(e->body);
	e->body = NULL;
	http_out_clear(&e->out);
	http_out_init(&e->out);
	memset(&e->rd, 0, sizeof(e->rd));
	e->rd.p = balance_req;
	e->rd.len = strlen(balance_req);
	e->rd.chunk = 7;
	e->rd.fail = true;
	memset(&in, 0, sizeof(in));
	in.method = "POST";
	in.uri = "/webhook";
	in.content_type = JSON_CT;
	in.read = mem_read;
	in.read_arg = &e->rd;
	in.started_ms = now_ms();
	http_handle(&e->app, &in, &e->out);
	assert_int_equal(e->out.status, 400);
	e->body = jparse(e->out.body.p, e->out.body.len);
	assert_error_body(e, 400);
	assert_int_equal(e->db.calls, 0);
}

/*
 * A request that waited in the queue past the deadline: answered at once
 * with the spoken "deadline" apology (docs/contract.md §3: business failures,
 * the deadline included, are 200s), without running the handler.
 */
static void
test_expired(void **state)
{
	struct env	*e = *state;
	struct http_in	 in;
	json_object	*v;

	http_out_clear(&e->out);
	http_out_init(&e->out);
	memset(&e->rd, 0, sizeof(e->rd));
	e->rd.p = balance_req;
	e->rd.len = strlen(balance_req);
	e->rd.chunk = 7;
	memset(&in, 0, sizeof(in));
	in.method = "POST";
	in.uri = "/webhook";
	in.content_type = JSON_CT;
	in.read = mem_read;
	in.read_arg = &e->rd;
	in.started_ms = now_ms() - 4600;
	http_handle(&e->app, &in, &e->out);
	assert_int_equal(e->db.calls, 0);
	assert_status(e, 200);
	e->body = jparse(e->out.body.p, e->out.body.len);
	assert_non_null(e->body);
	assert_string_equal(jstr(e->body, "sessionInfo.parameters.error_code"),
	    "deadline");
	v = jget(e->body, "sessionInfo.parameters.error_occurred");
	assert_true(v != NULL && json_object_get_boolean(v));
	assert_non_null(jstr(e->body, "fulfillmentResponse.messages[0].text."
	    "text[0]"));
	assert_null(strstr(e->out.body.p, "1,250.75"));
}

/* The reused body buffer carries nothing from one request to the next. */
static void
test_buffer_reuse(void **state)
{
	struct env	*e = *state;
	char		*big = padded_body(balance_req, 300000);

	request(e, "POST", "/webhook", JSON_CT, NULL, NULL, big, 300000);
	assert_status(e, 200);
	post(e, "{}");
	assert_status(e, 200);
	assert_false(jhas(e->body, "sessionInfo"));
	assert_null(strstr(e->out.body.p, "1,250.75"));
	post(e, "");
	assert_status(e, 400);
	post(e, "{}");
	assert_status(e, 200);
	free(big);
}

/* ---- auth ---- */

static void
test_auth(void **state)
{
	static const struct {
		const char	*auth;
		int		 status;
	} t[] = {
		{ NULL, 401 },
		{ "", 401 },
		{ "Bearer wrong", 403 },
		{ "Bearer s3cre", 403 },
		{ "Bearer s3crett", 403 },
		{ "Bearer ", 403 },
		/* No credential of a configured scheme: as good as none. */
		{ "Bearer", 401 },
		{ "Basic czNjcmV0Og==", 401 },
		{ "s3cret", 401 },
		{ "Bearers3cret", 401 },
		{ "Bearer S3CRET", 403 },
		{ "Bearer s3cret", 200 },
		{ "bearer s3cret", 200 },
		{ "BEARER s3cret", 200 },
		{ "Bearer  s3cret", 200 },
	};
	struct env	*e = *state;
	size_t		 i;

	e->cfg.bearer_token = "s3cret";
	for (i = 0; i < NITEMS(t); i++) {
		request(e, "POST", "/webhook", JSON_CT, NULL, t[i].auth,
		    balance_req, strlen(balance_req));
		if (e->out.status != t[i].status)
			fail_msg("Authorization \"%s\": %d, want %d",
			    t[i].auth != NULL ? t[i].auth : "(none)",
			    e->out.status, t[i].status);
		if (t[i].status == 401) {
			if (!has_header(e, "WWW-Authenticate: Bearer"))
				fail_msg("401 without WWW-Authenticate: "
				    "\"%s\"", e->out.headers.p != NULL ?
				    e->out.headers.p : "");
			assert_error_body(e, 401);
		}
		if (t[i].status == 403) {
			assert_error_body(e, 403);
			assert_false(has_header(e, "WWW-Authenticate"));
		}
		if (t[i].status != 200) {
			assert_int_equal(e->rd.calls, 0);
			assert_int_equal(e->db.calls, 0);
		}
		/* The token never appears in an answer. */
		assert_null(strstr(e->out.body.p != NULL ? e->out.body.p : "",
		    "s3cret"));
	}
	/* Without a configured token anything goes. */
	e->cfg.bearer_token = NULL;
	request(e, "POST", "/webhook", JSON_CT, NULL, "Bearer wrong",
	    balance_req, strlen(balance_req));
	assert_status(e, 200);
}

static void
test_reason(void **state)
{
	static const struct {
		int		 status;
		const char	*reason;
	} t[] = {
		{ 200, "OK" }, { 400, "Bad Request" }, { 401, "Unauthorized" },
		{ 403, "Forbidden" }, { 405, "Method Not Allowed" },
		{ 413, "Payload Too Large" },
		{ 415, "Unsupported Media Type" },
		{ 503, "Service Unavailable" },
	};
	size_t	i;

	for (i = 0; i < NITEMS(t); i++)
		assert_string_equal(http_reason(t[i].status), t[i].reason);
}

#define T(f)	cmocka_unit_test_setup_teardown(f, env_setup, env_teardown)

int
main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_post_ok),
		T(test_post_business_failure),
		T(test_content_type),
		T(test_methods),
		T(test_healthz),
		T(test_exact_paths),
		T(test_configured_paths),
		T(test_content_length_too_large),
		T(test_streamed_body_too_large),
		T(test_body_at_limit),
		T(test_content_length_is_a_hint),
		T(test_bad_bodies),
		T(test_read_error),
		T(test_expired),
		T(test_buffer_reuse),
		T(test_auth),
		T(test_reason),
	};

	return cmocka_run_group_tests_name("http", tests, NULL, NULL);
}
