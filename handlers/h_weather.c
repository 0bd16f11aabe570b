/*
 * The `weather` tag and the weather.current intent: current conditions
 * for `location` from a weatherapi.com-shaped provider
 * (GET url?key=KEY&q=LOCATION; location.name, current.temp_c,
 * current.condition.text).
 *
 * Answers are cached in a table shared by every worker of the pool, keyed
 * by the normalised location (NFKC case-folded, spaces collapsed: see
 * lib/textkey.h), for [weather] cache_ttl.  A miss is filled by exactly
 * one worker while the others asking for the same place wait for it
 * (single flight), so a burst for one city costs one upstream call.  A
 * place the provider does not know is cached too, briefly, so a burst of
 * a misspelt city does not become a burst upstream.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "handlers/wh.h"
#include "lib/buf.h"
#include "lib/shcache.h"
#include "lib/textkey.h"

#define LOCATION_MAX	200
/* How long "no such place" is remembered, at most. */
#define NOT_FOUND_TTL_MS	(5 * 60 * 1000)

/* An answer; what is cached is its encode_entry(). */
struct weather {
	bool	found;
	char	name[128];
	char	temp[32];
	char	condition[256];
};

/* location as a string, a number (a zip code) or an @sys.location object. */
static bool
location_of(const struct cx_request *req, char *buf, size_t bufsz)
{
	static const char *const members[] =
	    { "city", "original", "name", "admin-area", "country" };
	struct cx_value	 v = cx_param(req, "location"), m;
	struct cx_str	 s;
	size_t		 i;

	if (cx_value_type(v) != CX_OBJECT)
		return cx_param_text(req, "location", buf, bufsz);
	for (i = 0; i < sizeof(members) / sizeof(members[0]); i++) {
		m = cx_value_get(v, members[i]);
		if (!cx_value_str(m, &s))
			continue;
		/* A blank member says nothing: try the next one. */
		s = cx_str_trim(s);
		if (s.len > 0 && s.len < bufsz &&
		    memchr(s.p, '\0', s.len) == NULL) {
			memcpy(buf, s.p, s.len);
			buf[s.len] = '\0';
			return true;
		}
	}
	return false;
}

static void
url_escape(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s != '\0'; s++) {
		unsigned char	c = (unsigned char)*s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c) != NULL)
			buf_putc(b, (char)c);
		else {
			buf_putc(b, '%');
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 15]);
		}
	}
}

/* Copies a provider string, tabs and newlines flattened (the cache format). */
static bool
take_str(struct cx_value v, char *out, size_t outsz)
{
	struct cx_str	s;
	size_t		i;

	if (!cx_value_str(v, &s) || s.len == 0 || s.len >= outsz ||
	    memchr(s.p, '\0', s.len) != NULL)
		return false;
	for (i = 0; i < s.len; i++)
		out[i] = (s.p[i] == '\t' || s.p[i] == '\n' || s.p[i] == '\r') ?
		    ' ' : s.p[i];
	out[s.len] = '\0';
	return true;
}

/* 14 -> "14", 14.5 -> "14.5", -3.25 -> "-3.2" (one decimal is plenty). */
static void
temp_text(double t, char *out, size_t outsz)
{
	size_t	n;

	snprintf(out, outsz, "%.1f", t);
	n = strlen(out);
	if (n > 2 && strcmp(out + n - 2, ".0") == 0)
		out[n - 2] = '\0';
	if (strcmp(out, "-0") == 0)
		strcpy(out, "0");
}

static bool
parse_current(struct buf *body, struct weather *w)
{
	struct cx_doc	doc;
	struct cx_err	err;
	struct cx_value	root;
	double		t;
	bool		ok;

	if (cx_doc_parse(body->p, body->len, &doc, &err) == -1)
		return false;
	root = cx_doc_root(&doc);
	ok = take_str(cx_value_get(cx_value_get(root, "location"), "name"),
	    w->name, sizeof(w->name)) &&
	    cx_value_num(cx_value_get(cx_value_get(root, "current"), "temp_c"),
	    &t) &&
	    take_str(cx_value_get(cx_value_get(cx_value_get(root, "current"),
	    "condition"), "text"), w->condition, sizeof(w->condition));
	if (ok)
		temp_text(t, w->temp, sizeof(w->temp));
	cx_doc_free(&doc);
	w->found = ok;
	return ok;
}

static enum wh_status
fetch(struct wh_ctx *ctx, const char *location, struct weather *w)
{
	const struct wh_settings	*s = ctx->settings;
	struct buf			 url, body;
	enum wh_status			 st;
	long				 status;

	buf_init(&url);
	buf_init(&body);
	buf_puts(&url, s->weather_url);
	buf_putc(&url, strchr(s->weather_url, '?') != NULL ? '&' : '?');
	buf_puts(&url, "key=");
	url_escape(&url, s->weather_key != NULL ? s->weather_key : "");
	buf_puts(&url, "&q=");
	url_escape(&url, location);
	st = ctx->http_ops->get(ctx->http, url.p, ctx->deadline_ms, &status,
	    &body);
	memset(w, 0, sizeof(*w));
	if (st == WH_OK) {
		if (status == 200 && body.len > 0) {
			if (!parse_current(&body, w))
				st = WH_UPSTREAM_UNAVAILABLE;
		} else if (status == 400 || status == 404)
			w->found = false;	/* the provider's "no such place" */
		else	/* a bad key, a quota, rate limiting, an outage */
			st = WH_UPSTREAM_UNAVAILABLE;
	}
	buf_clear(&url);
	buf_clear(&body);
	return st;
}

/*
 * "W\tname\ttemp\tcondition" or "F\t"; *len is the length the entry
 * needs, which is over outsz - 1 if it did not fit (it is then not
 * cached: see shcache_fetch).
 */
static void
encode_entry(const struct weather *w, char *out, size_t outsz, size_t *len)
{
	int	n;

	if (w->found)
		n = snprintf(out, outsz, "W\t%s\t%s\t%s", w->name, w->temp,
		    w->condition);
	else
		n = snprintf(out, outsz, "F\t");
	*len = n < 0 ? outsz : (size_t)n;
}

static bool
decode_entry(const char *val, struct weather *w)
{
	memset(w, 0, sizeof(*w));
	if (strncmp(val, "F\t", 2) == 0)
		return true;
	w->found = sscanf(val, "W\t%127[^\t]\t%31[^\t]\t%255[^\t]", w->name,
	    w->temp, w->condition) == 3;
	return w->found;
}

/* One lookup, for the shared cache's fill and use (weather_filler). */
struct lookup {
	struct wh_ctx	*ctx;
	const char	*location;
	struct weather	*w;
	enum wh_status	 st;		/* why the fill failed */
};

/* A place the provider does not know is kept for NOT_FOUND_TTL_MS at most. */
static bool
lookup_fill(void *arg, char *val, size_t valsz, size_t *vallen,
    int64_t *ttl_ms)
{
	struct lookup	*l = arg;

	if ((l->st = fetch(l->ctx, l->location, l->w)) != WH_OK)
		return false;
	encode_entry(l->w, val, valsz, vallen);
	*ttl_ms = l->ctx->settings->weather_ttl_ms;
	if (!l->w->found && *ttl_ms > NOT_FOUND_TTL_MS)
		*ttl_ms = NOT_FOUND_TTL_MS;
	return true;
}

static bool
lookup_use(void *arg, const char *val, size_t vallen)
{
	struct lookup	*l = arg;

	return decode_entry(val, l->w);
}

static const struct shcache_filler weather_filler = {
	.fill = lookup_fill,
	.use = lookup_use,
};

/*
 * Through the shared cache when there is one.  A place that gives no key
 * (too long once normalised, or not text) is fetched uncached.
 */
static enum wh_status
lookup(struct wh_ctx *ctx, const char *location, struct weather *w)
{
	struct lookup	l = { ctx, location, w, WH_OK };
	char		key[SHCACHE_KEY_MAX];
	bool		keyed;

	keyed = ctx->weather_cache != NULL && textkey_normalize(location,
	    strlen(location), key, sizeof(key)) == 0;
	switch (shcache_fetch(ctx->weather_cache, keyed ? key : NULL,
	    ctx->deadline_ms, &weather_filler, &l)) {
	case SHCACHE_FETCH_CACHED:
	case SHCACHE_FETCH_FILLED:
		return WH_OK;
	case SHCACHE_FETCH_FAILED:
		return l.st;
	case SHCACHE_FETCH_TIMEOUT:
		break;
	}
	return WH_UPSTREAM_TIMEOUT;
}

enum wh_status
h_weather(struct wh_ctx *ctx)
{
	char		location[LOCATION_MAX + 1];
	struct weather	w;
	enum wh_status	st;

	if (!location_of(ctx->req, location, sizeof(location))) {
		cx_resp_say(ctx->resp,
		    "Which city would you like the weather for?");
		return WH_OK;
	}
	if (ctx->settings == NULL || ctx->settings->weather_url == NULL ||
	    ctx->http_ops == NULL)
		return WH_UPSTREAM_UNAVAILABLE;
	if ((st = lookup(ctx, location, &w)) != WH_OK)
		return st;
	if (!w.found) {
		wh_fail(ctx, "location_not_found", "Sorry, I couldn't find "
		    "weather information for %s.", location);
		return WH_OK;
	}
	cx_resp_say(ctx->resp, "The current weather in %s is %s with a "
	    "temperature of %s\xc2\xb0" "C.", w.name, w.condition, w.temp);
	cx_resp_set_str(ctx->resp, "weather_condition", w.condition);
	cx_resp_set_number_text(ctx->resp, "temperature", w.temp);
	cx_resp_set_str(ctx->resp, "weather_location", w.name);
	return WH_OK;
}
