/*
 * What the handler tests share, header-only like fake_db.h (the Makefile
 * links each tests/unit/test_*.c alone with the core objects, so shared
 * code cannot be a separate object file): running one request the way a
 * worker does, through cx_decode(), dispatch() with a struct wh_ctx of
 * fakes and cx_encode(), and reading the encoded WebhookResponse back.
 *
 * The checks fail the test with fail_msg() and quote the response as it
 * was sent, which is what one needs to see when a handler goes wrong.
 *
 * Everything is static inline so that a test file using only part of it
 * compiles without warnings.
 */
#ifndef CXHOOK_TEST_HARNESS_H
#define CXHOOK_TEST_HARNESS_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "cx/cx.h"
#include "fake_db.h"
#include "handlers/wh.h"
#include "lib/buf.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))

#define MSGS		"fulfillmentResponse.messages"
#define TEXT0		MSGS "[0].text.text[0]"
#define PARAMS		"sessionInfo.parameters"
#define FORMS		"pageInfo.formInfo.parameterInfo"

/* One answer: as sent, parsed back, and the route dispatch() was given. */
struct result {
	json_object		*o;
	struct buf		 raw;
	const struct route	*route;
};

static inline void
result_free(struct result *res)
{
	json_object_put(res->o);
	buf_clear(&res->raw);
	memset(res, 0, sizeof(*res));
}

/* A context over the fake database f, filled as a worker fills it. */
static inline void
ctx_db(struct wh_ctx *ctx, struct fake_db *f, const struct wh_settings *s,
    int64_t deadline_ms)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->db_ops = &fake_db_ops;
	ctx->db = f;
	ctx->settings = s;
	ctx->deadline_ms = deadline_ms;
}

/*
 * Runs one request through dispatch() to route r (NULL: the one
 * route_find() picks) with what the test put in ctx; the decoded request
 * and the response live only for this call.
 *
 * Over the fake database, every row set it handed out must have been
 * given back: a handler that forgets db_rows_clear() leaks a libpq result
 * in production, where nothing would notice.
 */
static inline void
harness_run(struct wh_ctx *ctx, const struct route *r, const char *json,
    struct result *res)
{
	struct cx_request	 req;
	struct cx_err		 err;
	struct fake_db		*f;

	memset(res, 0, sizeof(*res));
	if (decode_str(json, &req, &err) != 0)
		fail_msg("refused (%s): %s", err.msg, json);
	ctx->req = &req;
	ctx->resp = cx_response_new();
	res->route = r != NULL ? r : route_find(&req);
	dispatch(ctx, res->route);
	buf_init(&res->raw);
	if (cx_encode(ctx->resp, &res->raw, &err) != 0)
		fail_msg("%s: cx_encode: %s", json, err.msg);
	cx_response_free(ctx->resp);
	cx_request_free(&req);
	ctx->req = NULL;
	ctx->resp = NULL;
	if ((res->o = jparse(res->raw.p, res->raw.len)) == NULL)
		fail_msg("not JSON: %s", res->raw.p);
	if (ctx->db_ops == &fake_db_ops) {
		f = ctx->db;
		if (f->handed_out != f->released)
			fail_msg("%s: %d row sets handed out, %d released",
			    json, f->handed_out, f->released);
	}
}

/* ---- messages ---- */

static inline size_t
nmsgs(const struct result *res)
{
	json_object	*m = jget(res->o, MSGS);

	return m == NULL ? 0 : json_object_array_length(m);
}

/* The one text message of the response (other kinds may be there too). */
static inline const char *
the_text(const struct result *res)
{
	const char	*found = NULL, *s;
	char		 path[96];
	size_t		 i;

	for (i = 0; i < nmsgs(res); i++) {
		snprintf(path, sizeof(path), MSGS "[%zu].text.text[0]", i);
		if ((s = jstr(res->o, path)) == NULL)
			continue;
		if (found != NULL)
			fail_msg("two text messages: %s", res->raw.p);
		found = s;
	}
	if (found == NULL)
		fail_msg("no text message: %s", res->raw.p);
	return found;
}

/*
 * The one text message of the response: it comes first, and any other
 * message is a rich payload (checked by the tests that expect one).
 */
static inline const char *
first_text(const struct result *res)
{
	json_object	*msgs = jget(res->o, MSGS);
	size_t		 i, texts = 0;

	if (msgs == NULL || json_object_array_length(msgs) == 0)
		fail_msg("no messages: %s", res->raw.p);
	for (i = 0; i < json_object_array_length(msgs); i++) {
		json_object	*m = json_object_array_get_idx(msgs, i), *x;

		if (json_object_object_get_ex(m, "text", &x))
			texts++;
		else if (!json_object_object_get_ex(m, "payload", &x))
			fail_msg("message %zu is neither text nor payload: %s",
			    i, res->raw.p);
	}
	if (texts != 1 || jstr(res->o, TEXT0) == NULL)
		fail_msg("want exactly one text message, first: %s",
		    res->raw.p);
	return jstr(res->o, TEXT0);
}

/* The text of the response's only message, for answers without cards. */
static inline const char *
only_text(const struct result *res)
{
	if (nmsgs(res) != 1)
		fail_msg("want exactly one message: %s", res->raw.p);
	return the_text(res);
}

/* ---- rich payloads ---- */

/* The rich item at richContent[0][idx] of the payload message msg. */
static inline json_object *
rich_at(const struct result *res, int msg, int idx)
{
	char	path[128];

	snprintf(path, sizeof(path),
	    MSGS "[%d].payload.richContent[0][%d]", msg, idx);
	return jget(res->o, path);
}

/* The first rich item of this type in any payload message, or NULL. */
static inline json_object *
rich_item(const struct result *res, const char *type)
{
	json_object	*cards, *card, *item;
	const char	*t;
	char		 path[96];
	size_t		 i, c, k;

	for (i = 0; i < nmsgs(res); i++) {
		snprintf(path, sizeof(path), MSGS "[%zu].payload.richContent",
		    i);
		if ((cards = jget(res->o, path)) == NULL ||
		    !json_object_is_type(cards, json_type_array))
			continue;
		for (c = 0; c < json_object_array_length(cards); c++) {
			card = json_object_array_get_idx(cards, c);
			for (k = 0; k < json_object_array_length(card); k++) {
				item = json_object_array_get_idx(card, k);
				t = jstr(item, "type");
				if (t != NULL && strcmp(t, type) == 0)
					return item;
			}
		}
	}
	return NULL;
}

/* The chips item offers exactly want[0..n-1], in that order. */
static inline void
assert_chips(const struct result *res, const char *const *want, size_t n)
{
	json_object	*chips = rich_item(res, "chips"), *opts;
	const char	*text;
	size_t		 i;

	if (chips == NULL || (opts = jget(chips, "options")) == NULL)
		fail_msg("no chips: %s", res->raw.p);
	if (json_object_array_length(opts) != n)
		fail_msg("want %zu chips: %s", n, res->raw.p);
	for (i = 0; i < n; i++) {
		text = jstr(json_object_array_get_idx(opts, i), "text");
		if (text == NULL || strcmp(text, want[i]) != 0)
			fail_msg("chip %zu is not \"%s\": %s", i, want[i],
			    res->raw.p);
	}
}

/* ---- session parameters ---- */

static inline size_t
nparams(const struct result *res)
{
	json_object	*p = jget(res->o, PARAMS);

	return p == NULL ? 0 : (size_t)json_object_object_length(p);
}

static inline void
assert_param(const struct result *res, const char *name, const char *want)
{
	char		 path[128];
	const char	*got;

	snprintf(path, sizeof(path), PARAMS ".%s", name);
	got = jstr(res->o, path);
	if (got == NULL || strcmp(got, want) != 0)
		fail_msg("%s is not \"%s\": %s", name, want, res->raw.p);
}

/*
 * The bytes of a session parameter's value as encoded, e.g. "14.5": a
 * number read back through json-c would hide how it was written.
 */
static inline void
raw_param(const struct result *res, const char *name, char *out,
    size_t outsz)
{
	char		 key[128];
	const char	*p;
	size_t		 n;

	snprintf(key, sizeof(key), "\"%s\":", name);
	if ((p = strstr(res->raw.p, key)) == NULL)
		fail_msg("no %s in %s", name, res->raw.p);
	p += strlen(key);
	n = strcspn(p, ",}");
	if (n >= outsz)
		fail_msg("%s too long in %s", name, res->raw.p);
	memcpy(out, p, n);
	out[n] = '\0';
}

/* dispatch() turned a failure into an apology flagged with code. */
static inline void
assert_error_code(const struct result *res, const char *code)
{
	json_object	*v = jget(res->o, PARAMS ".error_occurred");

	if (v == NULL || !json_object_is_type(v, json_type_boolean) ||
	    !json_object_get_boolean(v))
		fail_msg("error_occurred is not true: %s", res->raw.p);
	if (jstr(res->o, PARAMS ".error_code") == NULL ||
	    strcmp(jstr(res->o, PARAMS ".error_code"), code) != 0)
		fail_msg("error_code is not \"%s\": %s", code, res->raw.p);
}

static inline void
assert_no_error(const struct result *res)
{
	if (jhas(res->o, PARAMS ".error_occurred") ||
	    jhas(res->o, PARAMS ".error_code"))
		fail_msg("unexpected error params: %s", res->raw.p);
}

/* ---- form parameters ---- */

static inline size_t
nforms(const struct result *res)
{
	json_object	*l = jget(res->o, FORMS);

	return l == NULL ? 0 : json_object_array_length(l);
}

/*
 * name is INVALID in the form and null in the session, and only it: what
 * makes CX prompt for name again.
 */
static inline void
assert_invalid(const struct result *res, const char *name)
{
	json_object	*pi, *v;

	if (nforms(res) != 1)
		fail_msg("want one parameterInfo (%s): %s", name, res->raw.p);
	pi = jget(res->o, FORMS "[0]");
	if (jstr(pi, "displayName") == NULL ||
	    strcmp(jstr(pi, "displayName"), name) != 0 ||
	    jstr(pi, "state") == NULL ||
	    strcmp(jstr(pi, "state"), "INVALID") != 0)
		fail_msg("%s is not INVALID: %s", name, res->raw.p);
	if ((v = jget(pi, "required")) == NULL || !json_object_get_boolean(v))
		fail_msg("%s is not required: %s", name, res->raw.p);
	if (!jlookup(res->o, PARAMS, &v) || !jlookup(v, name, &v) || v != NULL)
		fail_msg("session %s is not null: %s", name, res->raw.p);
}

#endif
