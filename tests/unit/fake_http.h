/*
 * A fake struct http_ops for the unit tests, header-only like fake_db.h
 * (the Makefile links each tests/unit/test_*.c alone with the core
 * objects, so a shared fake cannot be a separate object file).
 *
 * get() records every call (a count, the last URL and the last deadline)
 * and answers from what the test set:
 *
 *   - a table of struct fake_http_answer: the first row whose match is a
 *     substring of the URL answers (a NULL match answers any URL);
 *   - else the fallback set with fake_http_answer() (an HTTP answer:
 *     status and body) or fake_http_fail() (WH_UPSTREAM_TIMEOUT,
 *     WH_UPSTREAM_UNAVAILABLE, or any other enum wh_status).
 *
 * After fake_http_init() and nothing else, every call fails with
 * WH_UPSTREAM_UNAVAILABLE, so a test that forgot to say what upstream
 * answers fails loudly instead of passing on an empty 200.
 *
 * Everything is static inline so that a test file using only part of it
 * compiles without warnings.
 */
#ifndef CXHOOK_TEST_FAKE_HTTP_H
#define CXHOOK_TEST_FAKE_HTTP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "handlers/wh.h"
#include "lib/buf.h"

#define FAKE_URL_MAX	2048

struct fake_http_answer {
	const char	*match;		/* a substring of the URL; NULL: any */
	enum wh_status	 st;		/* WH_OK: status and body below */
	long		 status;
	const char	*body;		/* NUL-terminated; NULL: empty */
};

struct fake_http {
	/* Set by the test. */
	const struct fake_http_answer	*table;
	size_t				 ntable;
	struct fake_http_answer		 fallback;

	/* Recorded by the fake. */
	int				 calls;
	char				 last_url[FAKE_URL_MAX];
	int64_t				 last_deadline_ms;
	bool				 url_truncated;
};

static inline void
fake_http_init(struct fake_http *h)
{
	memset(h, 0, sizeof(*h));
	h->fallback.st = WH_UPSTREAM_UNAVAILABLE;
}

/* Every URL the table does not match gets this HTTP answer. */
static inline void
fake_http_answer(struct fake_http *h, long status, const char *body)
{
	h->fallback.match = NULL;
	h->fallback.st = WH_OK;
	h->fallback.status = status;
	h->fallback.body = body;
}

/* Every URL the table does not match fails with st. */
static inline void
fake_http_fail(struct fake_http *h, enum wh_status st)
{
	h->fallback.match = NULL;
	h->fallback.st = st;
	h->fallback.status = 0;
	h->fallback.body = NULL;
}

static inline void
fake_http_table(struct fake_http *h, const struct fake_http_answer *t,
    size_t n)
{
	h->table = t;
	h->ntable = n;
}

static inline enum wh_status
fake_http_get(void *arg, const char *url, int64_t deadline_ms, long *status,
    struct buf *body)
{
	struct fake_http		*h = arg;
	const struct fake_http_answer	*a = &h->fallback;
	size_t				 i;
	int				 n;

	h->calls++;
	h->last_deadline_ms = deadline_ms;
	n = snprintf(h->last_url, sizeof(h->last_url), "%s", url);
	h->url_truncated = n < 0 || (size_t)n >= sizeof(h->last_url);
	for (i = 0; i < h->ntable; i++) {
		if (h->table[i].match == NULL ||
		    strstr(url, h->table[i].match) != NULL) {
			a = &h->table[i];
			break;
		}
	}
	if (a->st != WH_OK)
		return a->st;
	*status = a->status;
	if (a->body != NULL)
		buf_append(body, a->body, strlen(a->body));
	return WH_OK;
}

static const struct http_ops fake_http_ops = { fake_http_get };

#endif
