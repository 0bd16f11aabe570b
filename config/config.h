/*
 * The configuration file (INI, docs/contract.md §2).  Every key is a row
 * of one table in config.c with its type, bounds and default; unknown
 * sections or keys, bad values and unreadable secret files are refused
 * with the file, line and key named.
 */
#ifndef CXHOOK_CONFIG_H
#define CXHOOK_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "lib/log.h"

#define CONFIG_DEFAULT_PATH	"/etc/cxhook/cxhook.conf"

/* [triage] route.CATEGORY = PAGE: one per category. */
struct config_route {
	char		*category;
	char		*page;		/* a CX page resource name */
};

struct config {
	char		*path;

	/* [pool] */
	char		*listen;	/* unix:PATH, HOST:PORT, [V6]:PORT,
					 * systemd, stdin */
	int		 socket_mode;	/* unix socket permission bits */
	int		 workers;
	int64_t		 deadline_ms;	/* every answer is sent within this */
	int64_t		 max_body;
	int		 backlog;
	int		 max_requests;	/* recycle a worker after N; 0 never */
	int		 max_requests_jitter;	/* + up to this many, at random */
	int64_t		 idle_timeout_ms;	/* read/write timeout of every
						 * accepted connection */
	int64_t		 max_worker_memory;	/* bytes of heap a worker may use */
	/* The exact REQUEST_URI paths of the endpoints (query removed). */
	char		*webhook_path;
	char		*healthz_path;
	char		*status_path;
	char		*metrics_path;
	char		**allow;	/* TCP peers allowed: "10.0.0.0/8"... */

	/* [database] */
	char		*conninfo;
	int64_t		 connect_timeout_ms;
	bool		 unnamed_statements;	/* statements = unnamed */

	/* [auth] (auth/auth.h): each NULL turns its mode off */
	char		*bearer_token;
	char		*basic_user;
	char		*basic_password;
	char		*header_name;	/* as sent: X-Webhook-Secret */
	char		*header_value;
	char		**id_token_audience;	/* NULL-terminated lists */
	char		**id_token_email;
	char		*id_token_jwks_url;
	bool		 client_cert;	/* "require" */
	char		*client_cert_dn;

	/* [weather] */
	char		*weather_url;
	char		*weather_api_key;
	int64_t		 weather_cache_ttl_ms;

	/* [booking] */
	char		*booking_forward_url;
	char		*booking_forward_token;
	char		*booking_timezone;	/* IANA name, e.g. Europe/London */
	int64_t		 forward_retry_base_ms;	/* first back-off */
	int64_t		 forward_retry_max_ms;	/* longest back-off */
	int64_t		 forward_lease_ms;	/* a claimed row is ours */

	/* [handoff] */
	double		 sentiment_below;
	bool		 has_sentiment_below;

	/* [triage] */
	char		*triage_model;		/* the model file; NULL: off */
	char		*triage_text_param;	/* NULL: the request's text */
	struct config_route *triage_routes;
	size_t		 n_triage_routes;

	/* [log] */
	enum log_level	 log_level;
};

/*
 * Loads path into cfg (defaults first).  Returns 0, or -1 with err set to
 * "FILE:LINE: [section] key: what is wrong".
 */
int	config_load(const char *path, struct config *cfg, char *err,
	    size_t errsz);
void	config_free(struct config *);

/* Parses "250ms", "5s", "30m", "2h" into milliseconds. */
int	parse_duration_ms(const char *, int64_t *);
/* Parses "512KiB", "1MiB", "64B" into bytes. */
int	parse_size(const char *, int64_t *);

#endif
