/*
 * Outside HTTP APIs through libcurl: one easy handle per process, reused
 * so that connections to a provider stay open between requests, and every
 * call bounded by the caller's deadline.
 */
#ifndef CXHOOK_UPSTREAM_H
#define CXHOOK_UPSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "handlers/wh.h"

struct upstream;

extern const struct http_ops upstream_http_ops;

/* NULL when libcurl can use url, else what is wrong with it. */
const char	*upstream_url_error(const char *url);

struct upstream	*upstream_new(void);
void		 upstream_free(struct upstream *);

/* GETs url; the answer's header lines ("Name: value\r\n") go to headers. */
enum wh_status	 upstream_get_with_headers(struct upstream *, const char *url,
		    int64_t deadline_ms, long *status, struct buf *body,
		    struct buf *headers);

/* POSTs a JSON body with extra "Name: value" headers (NULL-terminated). */
enum wh_status	 upstream_post(struct upstream *, const char *url,
		    const char *const *headers, const char *body, size_t len,
		    int64_t deadline_ms, long *status, struct buf *resp);

#endif
