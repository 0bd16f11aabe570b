/*
 * Running a handler: the one place where an infrastructure failure
 * (database down, upstream timeout, deadline) becomes a spoken apology
 * with error_occurred and a stable error_code (docs/contract.md §3).
 */
#include <stdarg.h>
#include <stdio.h>

#include "handlers/wh.h"
#include "lib/log.h"

void
db_rows_clear(struct db_rows *r)
{
	if (r->release != NULL)
		r->release(r);
	r->nrows = r->ncols = 0;
	r->cells = NULL;
	r->owner = NULL;
	r->release = NULL;
}

static void
vfail(struct wh_ctx *ctx, const char *code, const char *fmt, va_list ap)
{
	char	msg[512];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	cx_resp_say(ctx->resp, "%s", msg);
	cx_resp_set_bool(ctx->resp, "error_occurred", true);
	cx_resp_set_str(ctx->resp, "error_code", code);
}

void
wh_fail(struct wh_ctx *ctx, const char *code, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vfail(ctx, code, fmt, ap);
	va_end(ap);
}

static const struct {
	const char	*code;
	const char	*say;
} apologies[] = {
	[WH_OK] = { NULL, NULL },
	[WH_DB_UNAVAILABLE] = { "database_unavailable",
	    "Sorry, I can't reach our records right now. "
	    "Please try again in a moment." },
	[WH_UPSTREAM_UNAVAILABLE] = { "upstream_unavailable",
	    "Sorry, that service isn't available right now. "
	    "Please try again later." },
	[WH_UPSTREAM_TIMEOUT] = { "upstream_timeout",
	    "Sorry, that service is taking too long to answer. "
	    "Please try again later." },
	[WH_DEADLINE] = { "deadline",
	    "Sorry, that took longer than it should. Please try again." },
	[WH_INTERNAL] = { "internal_error",
	    "Sorry, something went wrong on my side. Please try again." },
};

void
wh_apology(struct cx_response *resp, enum wh_status st)
{
	if (st == WH_OK || st >= sizeof(apologies) / sizeof(apologies[0]))
		st = WH_INTERNAL;
	cx_resp_say(resp, "%s", apologies[st].say);
	cx_resp_set_bool(resp, "error_occurred", true);
	cx_resp_set_str(resp, "error_code", apologies[st].code);
	/* With the request's context (lib/log.h): who heard it, and why. */
	log_info("answered with an apology: %s", apologies[st].code);
}

/*
 * A caller whose sentiment score is at or below the configured threshold
 * is offered a person, whatever the handler answered: the integration
 * decides what a liveAgentHandoff message does.
 */
static void
maybe_handoff(struct wh_ctx *ctx)
{
	const struct wh_settings	*s = ctx->settings;
	const struct cx_request		*req = ctx->req;

	if (s == NULL || !s->has_sentiment_below || !req->has_sentiment ||
	    req->sentiment_score > s->sentiment_below)
		return;
	cx_resp_handoff_reason(ctx->resp, "negative_sentiment",
	    req->sentiment_score);
	cx_resp_set_bool(ctx->resp, "handoff_suggested", true);
}

void
dispatch(struct wh_ctx *ctx, const struct route *r)
{
	enum wh_status	st;

	st = r->fn(ctx);
	if (st != WH_OK) {
		/*
		 * Whatever the handler had said before it failed is dropped:
		 * a half-built answer next to an apology would only confuse.
		 */
		cx_response_free(ctx->resp);
		ctx->resp = cx_response_new();
		wh_apology(ctx->resp, st);
	}
	maybe_handoff(ctx);
}

