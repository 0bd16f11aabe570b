/*
 * triage: which category the caller's utterance belongs to (README
 * "Triage").  The model was loaded by the pool's master before it forked
 * (ctx->triage, read-only); classifying takes tens of microseconds and
 * no I/O.
 *
 * The utterance is the request's text (text or transcript), or the
 * session parameter [triage] text_param names.  The answer sets
 * category, category_confidence (a percentage, two decimals) and
 * out_of_scope; an in-scope category is acknowledged ("Got it.") and,
 * with a [triage] route.CATEGORY, sent to that page; an utterance out of scope, or whose best category is
 * below the model's threshold, is offered a person (liveAgentHandoff,
 * handoff_suggested).  Nothing of the text is logged.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "handlers/wh.h"
#include "lib/log.h"
#include "triage/triage.h"

/* The utterance, pointing into the request (or into buf). */
static bool
utterance(const struct wh_ctx *ctx, char *buf, size_t bufsz,
    struct cx_str *out)
{
	const struct wh_settings	*s = ctx->settings;
	const struct cx_request		*req = ctx->req;

	if (s != NULL && s->triage_text_param != NULL) {
		if (cx_value_str(cx_param(req, s->triage_text_param), out))
			return true;
		/* A number or an object with a name, as text. */
		if (!cx_param_text(req, s->triage_text_param, buf, bufsz))
			return false;
		out->p = buf;
		out->len = strlen(buf);
		return true;
	}
	if (req->query_kind != CX_QUERY_TEXT &&
	    req->query_kind != CX_QUERY_TRANSCRIPT)
		return false;
	*out = req->query;
	return true;
}

static const char *
route_for(const struct wh_settings *s, const char *category)
{
	size_t	i;

	for (i = 0; s != NULL && i < s->n_triage_routes; i++)
		if (strcmp(s->triage_routes[i].category, category) == 0)
			return s->triage_routes[i].page;
	return NULL;
}

static void
offer_person(struct wh_ctx *ctx, const char *reason)
{
	cx_resp_handoff_reason(ctx->resp, reason, NAN);
	cx_resp_set_bool(ctx->resp, "handoff_suggested", true);
}

enum wh_status
h_triage(struct wh_ctx *ctx)
{
	struct triage_result	 r;
	struct cx_str		 text;
	const char		*page;
	char			 buf[256], pct[16];

	if (ctx->triage == NULL) {
		log_warnx("triage: no [triage] model is configured");
		wh_fail(ctx, "triage_unavailable", "Let me connect you with "
		    "someone who can help.");
		offer_person(ctx, "triage_unavailable");
		return WH_OK;
	}
	if (!utterance(ctx, buf, sizeof(buf), &text) ||
	    cx_str_empty(cx_str_trim(text))) {
		cx_resp_say(ctx->resp, "What can I help you with today?");
		return WH_OK;
	}
	if (triage_classify(ctx->triage, text.p, text.len, &r, NULL) == -1)
		return WH_INTERNAL;

	snprintf(pct, sizeof(pct), "%.2f", 100 * r.confidence);
	cx_resp_set_str(ctx->resp, "category", r.category);
	cx_resp_set_number_text(ctx->resp, "category_confidence", pct);
	cx_resp_set_bool(ctx->resp, "out_of_scope", r.out_of_scope);
	log_debug("triage: %s, %s %%%s", r.category, pct,
	    r.out_of_scope ? ", out of scope" : "");
	if (r.out_of_scope) {
		cx_resp_say(ctx->resp, "I'm not sure I can help with that "
		    "myself. Let me connect you with someone who can.");
		offer_person(ctx, "out_of_scope");
		return WH_OK;
	}
	/* Every answer speaks; the page routed to goes on from here. */
	cx_resp_say(ctx->resp, "Got it.");
	if ((page = route_for(ctx->settings, r.category)) != NULL)
		cx_resp_target_page(ctx->resp, page);
	return WH_OK;
}
