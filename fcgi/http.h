/*
 * HTTP behaviour (docs/contract.md §3), kept apart from libfcgi: a request
 * comes in as its CGI variables and a body reader, a status, headers and
 * body go out.  The FastCGI worker is a thin adapter around http_handle(), and
 * the unit tests drive it directly.
 */
#ifndef CXHOOK_HTTP_H
#define CXHOOK_HTTP_H

#include <stdint.h>
#include <sys/types.h>

#include "handlers/wh.h"
#include "lib/buf.h"

struct config;
struct scoreboard;
struct sb_slot;
struct shcache;
struct http_ops;
struct db;
struct db_ops;

struct http_in {
	const char	*method;		/* REQUEST_METHOD */
	const char	*uri;			/* REQUEST_URI */
	const char	*content_type;		/* CONTENT_TYPE, may be NULL */
	const char	*content_length;	/* CONTENT_LENGTH, may be NULL */
	const char	*authorization;		/* HTTP_AUTHORIZATION */
	/* Reads body bytes: count, 0 at the end, -1 on error. */
	ssize_t		(*read)(void *, char *, size_t);
	void		*read_arg;
	int64_t		 started_ms;		/* now_ms() when the web
						 * server took the request */
};

struct http_out {
	int		 status;
	struct buf	 headers;	/* extra "Name: value\r\n" lines */
	struct buf	 body;
	const char	*content_type;
	const char	*tag;		/* the route taken, for logs */
};

/* What a worker keeps across requests. */
struct http_app {
	const struct config	*cfg;
	const struct db_ops	*db_ops;
	void			*db;
	const struct http_ops	*http_ops;
	void			*http;
	struct shcache		*weather_cache;
	void			(*random)(void *, size_t);
	struct wh_settings	 settings;
	struct scoreboard	*sb;	/* NULL outside a pool */
	struct sb_slot		*slot;	/* this worker's, or NULL */
	struct buf		 body;	/* reused request body buffer */
};

/* Fills app->settings from the configuration. */
void	http_settings(struct http_app *, const struct config *);
void	http_out_init(struct http_out *);
void	http_out_clear(struct http_out *);
void	http_handle(struct http_app *, const struct http_in *,
	    struct http_out *);
const char *http_reason(int status);

#endif
