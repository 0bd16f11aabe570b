/*
 * The routing table (docs/contract.md §4) and the default handler.
 *
 * The table is sorted by key and searched with bsearch(); a unit test
 * checks the order.  Keys are compared with their lengths, so a tag
 * carrying U+0000 ("weather\u0000x") never matches a shorter key.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/wh.h"

static const struct route routes[] = {
	/* Keep sorted by key (strcmp order). */
	{ "account.balance", h_account_balance, "account" },
	{ "account.transactions", h_account_transactions, "account" },
	{ "booking.cancel", h_booking_cancel, "booking" },
	{ "booking.create", h_booking_create, "booking" },
	{ "booking.status", h_booking_status, "booking" },
	{ "database-query", h_database_query, "account" },
	{ "triage", h_triage, "triage" },
	{ "weather", h_weather, "weather" },
	{ "weather.current", h_weather, "weather" },
};

static const struct route default_route = { "", h_default, "default" };

#define NROUTES	(sizeof(routes) / sizeof(routes[0]))

static int
route_cmp(const void *key, const void *elem)
{
	const struct cx_str	*k = key;
	const struct route	*r = elem;
	size_t			 n = strlen(r->key);
	int			 c;

	c = memcmp(k->p, r->key, k->len < n ? k->len : n);
	if (c != 0)
		return c;
	return (k->len > n) - (k->len < n);
}

static const struct route *
lookup(struct cx_str key)
{
	if (cx_str_empty(key))
		return NULL;
	return bsearch(&key, routes, NROUTES, sizeof(routes[0]), route_cmp);
}

const struct route *
route_find(const struct cx_request *req)
{
	const struct route	*r;

	if ((r = lookup(req->tag)) != NULL)
		return r;
	if ((r = lookup(req->intent_name)) != NULL)
		return r;
	return &default_route;
}

const struct route *
route_default(void)
{
	return &default_route;
}

bool
routes_valid(void)
{
	size_t	i;

	for (i = 0; i < NROUTES; i++) {
		if (routes[i].key[0] == '\0' || routes[i].fn == NULL)
			return false;
		if (i > 0 && strcmp(routes[i - 1].key, routes[i].key) >= 0)
			return false;
	}
	return true;
}

enum wh_status
h_default(struct wh_ctx *ctx)
{
	cx_resp_say(ctx->resp,
	    "I've received your request, but I'm not sure how to handle it.");
	return WH_OK;
}
