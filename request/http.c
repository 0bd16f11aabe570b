/*
 * One HTTP request, transport-free (see http.h).
 *
 * The order of the checks is the order a caller can fix them in: wrong
 * method (405), missing or wrong credentials (401/403), wrong media type
 * (415), too large (413, decided from CONTENT_LENGTH before a byte is
 * read, or when the cap is crossed while reading), malformed (400).  Only
 * then does the request reach a handler, and from there every answer is
 * a 200 WebhookResponse, failures included (docs/contract.md §3).
 *
 * CONTENT_LENGTH is a hint, never trusted: web servers send "", "0" or
 * nothing for a streamed body, so the body is read to its end, capped.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "config/config.h"
#include "cx/cx.h"
#include "handlers/wh.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "request/http.h"

#define JSON_TYPE	"application/json; charset=utf-8"

/* How much of an oversized body is read and dropped before closing. */
#define DRAIN_MAX	(64 * 1024 * 1024)

void
http_settings(struct http_app *app, const struct config *cfg)
{
	struct wh_settings	*s = &app->settings;

	memset(s, 0, sizeof(*s));
	s->weather_url = cfg->weather_url;
	s->weather_key = cfg->weather_api_key;
	s->weather_ttl_ms = cfg->weather_cache_ttl_ms;
	s->has_sentiment_below = cfg->has_sentiment_below;
	s->sentiment_below = cfg->sentiment_below;
	s->time_zone = cfg->booking_timezone;
	s->forward_bookings = cfg->booking_forward_url != NULL;
	s->triage_text_param = cfg->triage_text_param;
	s->triage_routes = cfg->triage_routes;
	s->n_triage_routes = cfg->n_triage_routes;
	auth_settings_from(&app->auth, cfg);
}

void
auth_settings_from(struct auth_settings *a, const struct config *cfg)
{
	memset(a, 0, sizeof(*a));
	a->bearer_token = cfg->bearer_token;
	a->basic_user = cfg->basic_user;
	a->basic_password = cfg->basic_password;
	a->header_value = cfg->header_value;
	a->audiences = (const char *const *)cfg->id_token_audience;
	a->emails = (const char *const *)cfg->id_token_email;
	a->client_cert = cfg->client_cert;
	a->client_cert_dn = cfg->client_cert_dn;
}

void
http_out_init(struct http_out *out)
{
	memset(out, 0, sizeof(*out));
	buf_init(&out->headers);
	buf_init(&out->body);
	out->content_type = JSON_TYPE;
}

void
http_out_clear(struct http_out *out)
{
	buf_clear(&out->headers);
	buf_clear(&out->body);
}

const char *
http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

static void
error_out(struct http_out *out, int status, const char *message)
{
	out->status = status;
	buf_reset(&out->body);
	cx_encode_error(&out->body, status, message);
}

/*
 * Whether the path of REQUEST_URI (everything before '?') is exactly
 * path.  Nothing is decoded or normalised: "/%73tatus", "/status/" and
 * "/webhook;/status" are paths of their own, none of them an endpoint
 * (docs/contract.md §3), so no spelling a web server lets through can
 * reach an endpoint it meant to keep local.
 */
static bool
path_is(const char *uri, const char *path)
{
	size_t	n = strcspn(uri, "?");

	return path != NULL && strlen(path) == n && memcmp(uri, path, n) == 0;
}

/* "application/json", optionally with "; charset=utf-8". */
static bool
is_json_type(const char *ct)
{
	const char	*p, *semi;
	size_t		 n;

	if (ct == NULL)
		return false;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	semi = strchr(ct, ';');
	n = semi != NULL ? (size_t)(semi - ct) : strlen(ct);
	while (n > 0 && (ct[n - 1] == ' ' || ct[n - 1] == '\t'))
		n--;
	if (n != 16 || strncasecmp(ct, "application/json", 16) != 0)
		return false;
	if (semi == NULL)
		return true;
	/* JSON is UTF-8 (RFC 8259); any other declared charset is refused. */
	if ((p = strcasestr(semi, "charset")) == NULL)
		return true;
	p += 7;
	while (*p == ' ' || *p == '=' || *p == '"')
		p++;
	n = strcspn(p, " \t;\"");
	return (n == 5 && strncasecmp(p, "utf-8", 5) == 0) ||
	    (n == 4 && strncasecmp(p, "utf8", 4) == 0);
}

/*
 * The [auth] decision (auth/auth.h); 0 when the request may go on, else
 * the 401/403/503 answer is in out.  Why is said to the operator only:
 * the log line names each configured mode's reason, the caller hears the
 * status.  The report endpoints (/status, /metrics) are the operator's:
 * they take the operator's static credentials (bearer, basic, header)
 * when one is configured, and are otherwise left to the web server's
 * local-only rule, since a scraper can neither mint a Google ID token nor
 * present the agent's client certificate.
 */
static int
check_auth(struct http_app *app, const struct http_in *in, bool report,
    struct http_out *out)
{
	struct auth_settings	 s = app->auth;
	struct auth_result	 res;
	struct auth_in		 ai;
	struct buf		 why;

	if (report) {
		s.audiences = NULL;
		s.emails = NULL;
		s.client_cert = false;
	}
	if (!auth_configured(&s))
		return 0;
	ai.authorization = in->authorization;
	ai.header = in->auth_header;
	ai.client_verify = in->client_verify;
	ai.client_dn = in->client_dn;
	ai.deadline_ms = in->started_ms + app->cfg->deadline_ms;
	auth_check(&s, app->auth_keys, &ai, (int64_t)time(NULL), &res);
	if (app->host.auth != NULL)
		app->host.auth(app->host.arg, &s, &res);
	if (res.status == 0)
		return 0;
	buf_init(&why);
	auth_explain(&s, &res, &why);
	log_warnx("auth refused (%d): %s", res.status, why.p);
	buf_clear(&why);
	switch (res.status) {
	case 401:
		buf_printf(&out->headers, "WWW-Authenticate: %s\r\n",
		    auth_challenge(&s));
		error_out(out, 401, "credentials required");
		break;
	case 503:
		buf_puts(&out->headers, "Retry-After: 5\r\n");
		error_out(out, 503, "cannot check credentials yet");
		break;
	default:
		error_out(out, 403, "invalid credentials");
		break;
	}
	return -1;
}

static void
drain(const struct http_in *in)
{
	char	scratch[16384];
	size_t	total = 0;
	ssize_t	n;

	while (total < DRAIN_MAX &&
	    (n = in->read(in->read_arg, scratch, sizeof(scratch))) > 0)
		total += (size_t)n;
}

/* Reads the body into app->body; 0, or -1 with the answer in out. */
static int
read_body(struct http_app *app, const struct http_in *in,
    struct http_out *out)
{
	struct buf	*b = &app->body;
	size_t		 max = (size_t)app->cfg->max_body;
	char		*end;
	unsigned long long hint = 0;
	ssize_t		 n;

	if (in->content_length != NULL && *in->content_length != '\0') {
		hint = strtoull(in->content_length, &end, 10);
		if (*end != '\0' || !isdigit((unsigned char)*in->content_length))
			hint = 0;
		else if (hint > max) {
			/*
			 * Read and dropped all the same: a web server that is
			 * still sending the body would not read the answer.
			 */
			drain(in);
			error_out(out, 413, "request body too large");
			return -1;
		}
	}
	buf_reset(b);
	buf_reserve(b, hint > 0 ? (size_t)hint : 4096);
	for (;;) {
		if (b->cap - b->len < 2)
			buf_reserve(b, b->len < max ? b->len : 4096);
		n = in->read(in->read_arg, b->p + b->len,
		    b->cap - b->len - 1);
		if (n == 0)
			break;
		if (n < 0) {
			error_out(out, 400, "could not read the request body");
			return -1;
		}
		b->len += (size_t)n;
		b->p[b->len] = '\0';
		if (b->len > max) {
			drain(in);
			error_out(out, 413, "request body too large");
			return -1;
		}
	}
	return 0;
}

/* A 200 apology for an infrastructure failure (docs/contract.md §3). */
static void
answer_status(struct http_out *out, enum wh_status st)
{
	struct cx_response	*resp = cx_response_new();
	struct cx_err		 err;

	wh_apology(resp, st);
	out->status = 200;
	buf_reset(&out->body);
	if (cx_encode(resp, &out->body, &err) == -1)
		buf_puts(&out->body, "{}");
	cx_response_free(resp);
}

static void
webhook(struct http_app *app, const struct http_in *in, struct http_out *out)
{
	struct cx_request	 req;
	struct cx_err		 err;
	struct wh_ctx		 ctx;
	const struct route	*route;

	if (now_ms() >= in->started_ms + app->cfg->deadline_ms) {
		/*
		 * Queued past the deadline: answer at once, without doing
		 * work whose result would come too late anyway.
		 */
		answer_status(out, WH_DEADLINE);
		return;
	}
	if (read_body(app, in, out) == -1)
		return;
	if (app->body.len == 0) {
		error_out(out, 400, "empty body");
		return;
	}
	if (cx_decode(app->body.p, app->body.len, &req, &err) == -1) {
		error_out(out, 400, err.msg);
		return;
	}
	/* Every line logged from here on names this conversation turn. */
	log_request_ids(req.detect_intent_response_id.p,
	    req.detect_intent_response_id.len, req.session.p, req.session.len);
	route = route_find(&req);
	out->tag = route->key[0] != '\0' ? route->key : "default";
	log_request_tag(out->tag);
	if (app->host.route != NULL)
		app->host.route(app->host.arg, out->tag, log_request());
	memset(&ctx, 0, sizeof(ctx));
	ctx.req = &req;
	ctx.resp = cx_response_new();
	ctx.db_ops = app->db_ops;
	ctx.db = app->db;
	ctx.http_ops = app->http_ops;
	ctx.http = app->http;
	ctx.weather_cache = app->weather_cache;
	ctx.triage = app->triage;
	ctx.settings = &app->settings;
	ctx.random = app->random;
	ctx.deadline_ms = in->started_ms + app->cfg->deadline_ms;
	dispatch(&ctx, route);
	out->status = 200;
	if (cx_encode(ctx.resp, &out->body, &err) == -1) {
		/* A handler built something Dialogflow would refuse. */
		log_warnx("%s: %s", route->family, err.msg);
		answer_status(out, WH_INTERNAL);
	}
	cx_response_free(ctx.resp);
	cx_request_free(&req);
}

static void
healthz(struct http_app *app, const struct http_in *in, struct http_out *out)
{
	struct db_rows	rows;
	enum wh_status	st;

	st = app->db_ops->exec(app->db, DB_PING, NULL, 0, &rows,
	    in->started_ms + app->cfg->deadline_ms);
	if (st == WH_OK) {
		db_rows_clear(&rows);
		out->status = 200;
		buf_puts(&out->body, "{\"status\":\"ok\",\"database\":\"ok\"}");
	} else {
		out->status = 503;
		buf_puts(&out->body,
		    "{\"status\":\"unavailable\",\"database\":\"unavailable\"}");
	}
}

/* GET /status and /metrics: the pool as its host reports it. */
static void
pool_report(struct http_app *app, const struct http_in *in, bool metrics,
    struct http_out *out)
{
	if (check_auth(app, in, true, out) == -1)
		return;
	if (app->host.report == NULL) {
		error_out(out, 404, "no pool to report on");
		return;
	}
	out->status = 200;
	if (metrics)
		out->content_type = "text/plain; version=0.0.4; charset=utf-8";
	app->host.report(app->host.arg, metrics, &out->body);
}

static bool
is_get(const char *m, struct http_out *out)
{
	if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
		return true;
	buf_puts(&out->headers, "Allow: GET, HEAD\r\n");
	error_out(out, 405, "method not allowed: use GET");
	return false;
}

/* Names the endpoint in the answer and to the host. */
static void
endpoint(struct http_app *app, struct http_out *out, const char *name)
{
	out->tag = name;
	log_request_tag(name);
	if (app->host.route != NULL)
		app->host.route(app->host.arg, name, "");
}

void
http_handle(struct http_app *app, const struct http_in *in,
    struct http_out *out)
{
	const struct config	*cfg = app->cfg;
	const char		*m = in->method != NULL ? in->method : "";
	const char		*uri = in->uri != NULL ? in->uri : "";
	bool			 metrics;

	if (path_is(uri, cfg->healthz_path)) {
		endpoint(app, out, "healthz");
		if (is_get(m, out))
			healthz(app, in, out);
	} else if ((metrics = path_is(uri, cfg->metrics_path)) ||
	    path_is(uri, cfg->status_path)) {
		endpoint(app, out, metrics ? "metrics" : "status");
		if (is_get(m, out))
			pool_report(app, in, metrics, out);
	} else if (path_is(uri, cfg->webhook_path)) {
		endpoint(app, out, "webhook");
		if (strcmp(m, "POST") != 0) {
			buf_puts(&out->headers, "Allow: POST\r\n");
			error_out(out, 405, "method not allowed: use POST");
		} else if (check_auth(app, in, false, out) == 0) {
			if (!is_json_type(in->content_type))
				error_out(out, 415,
				    "Content-Type must be application/json");
			else
				webhook(app, in, out);
		}
	} else {
		endpoint(app, out, "-");
		error_out(out, 404, "not found");
	}
}
