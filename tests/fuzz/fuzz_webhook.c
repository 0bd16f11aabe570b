/*
 * libFuzzer target: any bytes as a webhook body, through the whole
 * pipeline a worker runs (strict check, decode, routing, the handler with
 * fake database and provider, encode), so the fuzzer reaches the handlers'
 * parameter parsing as well as the JSON layers.  Built by `make fuzz`
 * with clang -fsanitize=fuzzer,address,undefined; seeded from
 * tests/corpus.
 *
 * Besides "no crash, no leak, no sanitizer report", it checks the
 * promises a caller relies on: a decoded request always gets an answer
 * that encodes, within Dialogflow's size limit, as a JSON object that
 * cx/json_strict.h accepts (so no NaN, no Infinity, nothing malformed).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cx/cx.h"
#include "cx/json_strict.h"
#include "handlers/wh.h"
#include "lib/buf.h"
#include "tests/unit/fake_db.h"
#include "tests/unit/fake_http.h"

static const char *const services[] = {
	"consultation", "10:00 AM", "4:00 PM",
	"haircut", "9:00 AM", "5:00 PM",
};
static const char *const booked[] = {
	"booked", "ABCDEFGH23", "haircut", "2026-12-01", "10:00",
	"Tuesday, December 1, 2026", "10:00 AM", "9:00 AM", "5:00 PM", NULL,
};

static void
fixed_random(void *p, size_t n)
{
	memset(p, 0x5a, n);
}

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	struct wh_settings	 settings = { 0 };
	struct cx_request	 req;
	struct cx_err		 err;
	struct wh_ctx		 ctx;
	struct fake_db		 db;
	struct fake_http	 http;
	struct buf		 out;
	char			*body;

	body = malloc(len + 1);
	memcpy(body, data, len);
	body[len] = '\0';
	if (cx_decode(body, len, &req, &err) == -1) {
		/* A refusal must say why. */
		if (err.msg[0] == '\0')
			abort();
		free(body);
		return 0;
	}
	fake_db_init(&db);
	fake_db_can(&db, DB_LIST_SERVICES, 2, 3, services);
	fake_db_can(&db, DB_BOOK, 1, 10, booked);
	fake_http_init(&http);
	fake_http_answer(&http, 200, "{\"location\":{\"name\":\"London\"},"
	    "\"current\":{\"temp_c\":14,\"condition\":{\"text\":\"Sunny\"}}}");
	settings.weather_url = "http://127.0.0.1:1/v1/current.json";
	settings.weather_key = "k";
	settings.has_sentiment_below = true;
	settings.sentiment_below = -0.6;
	memset(&ctx, 0, sizeof(ctx));
	ctx.req = &req;
	ctx.resp = cx_response_new();
	ctx.db_ops = &fake_db_ops;
	ctx.db = &db;
	ctx.http_ops = &fake_http_ops;
	ctx.http = &http;
	ctx.settings = &settings;
	ctx.deadline_ms = INT64_MAX;
	ctx.random = fixed_random;
	dispatch(&ctx, route_find(&req));
	buf_init(&out);
	if (cx_encode(ctx.resp, &out, &err) == -1 || out.len > CX_MAX_RESPONSE ||
	    db.handed_out != db.released)
		abort();
	/* What Dialogflow gets is JSON by our own strict reading (no NaN). */
	if (json_strict_check(out.p, out.len, CX_MAX_DEPTH, &err) == -1)
		abort();
	buf_clear(&out);
	cx_response_free(ctx.resp);
	cx_request_free(&req);
	free(body);
	return 0;
}
