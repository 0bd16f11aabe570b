/*
 * libcurl behind struct http_ops (see upstream.h).
 *
 * CURLOPT_NOSIGNAL: a forked worker must never take SIGALRM from libcurl's
 * resolver timeouts.  The time budget is the request's remaining time, so a
 * slow provider costs an apology, never a missed Dialogflow deadline.
 * Answers are capped: a provider cannot make a worker hold more than
 * UPSTREAM_MAX_BODY bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "lib/clock.h"
#include "lib/log.h"
#include "lib/xalloc.h"
#include "upstream/upstream.h"

#define UPSTREAM_MAX_BODY	(256 * 1024)

struct upstream {
	CURL	*h;
};

struct sink {
	struct buf	*buf;
	bool		 overflow;
};

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	struct sink	*s = arg;

	if (s->buf->len + size * n > UPSTREAM_MAX_BODY) {
		s->overflow = true;
		return 0;	/* makes libcurl stop with CURLE_WRITE_ERROR */
	}
	buf_append(s->buf, p, size * n);
	return size * n;
}

const char *
upstream_url_error(const char *url)
{
	CURLU		*u;
	CURLUcode	 rc;
	const char	*why = NULL;

	if ((u = curl_url()) == NULL)
		return "out of memory";
	if ((rc = curl_url_set(u, CURLUPART_URL, url, 0)) != CURLUE_OK)
		why = curl_url_strerror(rc);
	curl_url_cleanup(u);
	return why;
}

struct upstream *
upstream_new(void)
{
	return xcalloc(1, sizeof(struct upstream));
}

/*
 * The easy handle, made for the first call and reset for each after it.
 * Not at worker start: initialising libcurl initialises OpenSSL, about a
 * megabyte of memory in every worker, and a pool whose workers never call
 * out (a bank's balance lookups) should not pay it.
 */
static CURL *
handle(struct upstream *u)
{
	static bool	initialised;

	if (u->h == NULL) {
		if (!initialised) {
			curl_global_init(CURL_GLOBAL_DEFAULT);
			initialised = true;
		}
		if ((u->h = curl_easy_init()) == NULL)
			fatalx("curl_easy_init failed");
	} else
		curl_easy_reset(u->h);
	return u->h;
}

void
upstream_free(struct upstream *u)
{
	if (u == NULL)
		return;
	curl_easy_cleanup(u->h);
	free(u);
}

static enum wh_status
perform(struct upstream *u, const char *url, int64_t deadline_ms,
    long *status, struct buf *body)
{
	struct sink	sink = { body, false };
	int64_t		left = deadline_ms - now_ms();
	CURLcode	rc;

	*status = 0;
	if (left <= 0)
		return WH_UPSTREAM_TIMEOUT;
	curl_easy_setopt(u->h, CURLOPT_URL, url);
	curl_easy_setopt(u->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(u->h, CURLOPT_TIMEOUT_MS, (long)left);
	curl_easy_setopt(u->h, CURLOPT_CONNECTTIMEOUT_MS, (long)left);
	curl_easy_setopt(u->h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(u->h, CURLOPT_USERAGENT, "cxhook/" CXHOOK_VERSION);
	curl_easy_setopt(u->h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(u->h, CURLOPT_WRITEDATA, &sink);
	rc = curl_easy_perform(u->h);
	if (rc == CURLE_OK) {
		curl_easy_getinfo(u->h, CURLINFO_RESPONSE_CODE, status);
		return WH_OK;
	}
	/* Never the URL: it carries the API key and the caller's words. */
	if (sink.overflow) {
		log_warnx("upstream: an answer over %d bytes, refused",
		    UPSTREAM_MAX_BODY);
		return WH_UPSTREAM_UNAVAILABLE;
	}
	log_warnx("upstream: %s", curl_easy_strerror(rc));
	return rc == CURLE_OPERATION_TIMEDOUT ? WH_UPSTREAM_TIMEOUT :
	    WH_UPSTREAM_UNAVAILABLE;
}

static enum wh_status
upstream_get(void *arg, const char *url, int64_t deadline_ms, long *status,
    struct buf *body)
{
	struct upstream	*u = arg;

	curl_easy_setopt(handle(u), CURLOPT_HTTPGET, 1L);
	return perform(u, url, deadline_ms, status, body);
}

const struct http_ops upstream_http_ops = { upstream_get };

static size_t
collect_header(char *p, size_t size, size_t n, void *arg)
{
	struct buf	*b = arg;

	/* Headers are small; a provider sending megabytes of them is cut. */
	if (b->len + size * n > UPSTREAM_MAX_BODY)
		return 0;
	buf_append(b, p, size * n);
	return size * n;
}

enum wh_status
upstream_get_with_headers(struct upstream *u, const char *url,
    int64_t deadline_ms, long *status, struct buf *body, struct buf *headers)
{
	curl_easy_setopt(handle(u), CURLOPT_HTTPGET, 1L);
	curl_easy_setopt(u->h, CURLOPT_HEADERFUNCTION, collect_header);
	curl_easy_setopt(u->h, CURLOPT_HEADERDATA, headers);
	return perform(u, url, deadline_ms, status, body);
}

enum wh_status
upstream_post(struct upstream *u, const char *url, const char *const *headers,
    const char *body, size_t len, int64_t deadline_ms, long *status,
    struct buf *resp)
{
	struct curl_slist	*list = NULL;
	enum wh_status		 st;

	handle(u);
	list = curl_slist_append(list, "Content-Type: application/json");
	for (; headers != NULL && *headers != NULL; headers++)
		list = curl_slist_append(list, *headers);
	curl_easy_setopt(u->h, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(u->h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(u->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	st = perform(u, url, deadline_ms, status, resp);
	curl_slist_free_all(list);
	return st;
}
