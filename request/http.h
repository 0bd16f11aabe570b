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

#include "auth/auth.h"
#include "handlers/wh.h"
#include "lib/buf.h"

struct config;
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
	const char	*auth_header;		/* [auth] header_name's */
	const char	*client_verify;		/* SSL_CLIENT_VERIFY */
	const char	*client_dn;		/* SSL_CLIENT_S_DN */
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

/*
 * What the pipeline asks of whatever runs it (the pool's worker, or a
 * test): to hear which route a request takes (the pool names it if its
 * worker dies or is stuck), and the /status and /metrics reports.  Either
 * may be NULL: no one to tell, and 404 for the reports.
 */
struct http_host {
	void	(*route)(void *arg, const char *tag, const char *request_id);
	void	(*report)(void *arg, bool metrics, struct buf *out);
	/* An [auth] decision, to be counted (see auth_count()). */
	void	(*auth)(void *arg, const struct auth_settings *,
		    const struct auth_result *);
	void	*arg;
};

/* What a worker keeps across requests. */
struct http_app {
	const struct config	*cfg;
	const struct db_ops	*db_ops;
	void			*db;
	const struct http_ops	*http_ops;
	void			*http;
	struct shcache		*weather_cache;
	const struct triage_model *triage;	/* NULL: no model */
	void			(*random)(void *, size_t);
	struct wh_settings	 settings;
	struct auth_settings	 auth;
	struct auth_keys	*auth_keys;	/* NULL without ID tokens */
	struct http_host	 host;
	struct buf		 body;	/* reused request body buffer */
};

/* Fills app->settings and app->auth from the configuration. */
void	http_settings(struct http_app *, const struct config *);
void	auth_settings_from(struct auth_settings *, const struct config *);
void	http_out_init(struct http_out *);
void	http_out_clear(struct http_out *);
void	http_handle(struct http_app *, const struct http_in *,
	    struct http_out *);
const char *http_reason(int status);

#endif
