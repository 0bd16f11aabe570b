/*
 * The handler seam.  A handler turns a decoded request into a response
 * and reaches the outside world only through struct wh_ctx: the database
 * through struct db_ops, the clock through the deadline.  fcgi/ fills the
 * context with libpq; the unit tests fill it with fakes.  This header must
 * not include fcgiapp.h, libpq-fe.h or curl/curl.h.
 *
 * Adding an intent: write handlers/h_<family>.c with functions of type
 * handler_fn, and add one row per tag or intent name to the table in
 * handlers/registry.c.
 */
#ifndef CXHOOK_WH_H
#define CXHOOK_WH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cx/cx.h"
#include "lib/buf.h"

struct config_route;
struct shcache;
struct triage_model;

/*
 * Infrastructure outcomes.  Business outcomes (an unknown account, a full
 * slot) are answers, said by the handler itself; these are failures that
 * dispatch() turns into a spoken apology with error_occurred/error_code,
 * in one place (registry.c).
 */
enum wh_status {
	WH_OK,
	WH_DB_UNAVAILABLE,	/* error_code database_unavailable */
	WH_UPSTREAM_UNAVAILABLE,	/* upstream_unavailable */
	WH_UPSTREAM_TIMEOUT,	/* upstream_timeout */
	WH_DEADLINE,		/* deadline */
	WH_INTERNAL,		/* internal_error */
};

/*
 * The statements a handler may run, each with its text, name and
 * parameter count in the table of every SQL statement, db/stmt.c (which
 * numbers the courier's and migrate's after these).  Checklist: a new
 * statement needs a constant here and a row there, and the schema it
 * reads lives in sql/migrations/.
 */
enum db_stmt {
	DB_PING,
	DB_ACCOUNT_BALANCE,	/* $1 user_id -> balance, currency */
	DB_RECENT_TRANSACTIONS,	/* $1 user_id, $2 limit -> currency,
				 * amount, day, description (amount NULL
				 * when the account has none) */
	DB_LIST_SERVICES,	/* -> name, opens, closes */
	DB_BOOK,		/* see cxhook_book() in sql/migrations */
	DB_BOOKING_STATUS,	/* $1 confirmation_id, $2 time zone */
	DB_BOOKING_CANCEL,	/* see cxhook_cancel() */
	DB_NSTMTS
};

/* A result set: text cells, row-major; a NULL cell is SQL NULL. */
struct db_rows {
	int		  nrows;
	int		  ncols;
	const char	**cells;
	void		 *owner;
	void		(*release)(struct db_rows *);
};

static inline const char *
db_cell(const struct db_rows *r, int row, int col)
{
	return r->cells[row * r->ncols + col];
}

void	db_rows_clear(struct db_rows *);

struct db_ops {
	/*
	 * Runs a prepared statement with text parameters.  Must return by
	 * deadline_ms (CLOCK_MONOTONIC milliseconds).  On WH_OK, *out holds
	 * the rows and the caller clears it with db_rows_clear().
	 */
	enum wh_status	(*exec)(void *db, enum db_stmt, const char *const *params,
			    int nparams, struct db_rows *out, int64_t deadline_ms);
};

struct http_ops {
	/*
	 * GET url, within deadline_ms.  WH_OK means an HTTP answer came:
	 * *status holds its code and body its bytes (capped at 256 KiB).
	 * No answer in time is WH_UPSTREAM_TIMEOUT; a refused or broken
	 * connection is WH_UPSTREAM_UNAVAILABLE.
	 */
	enum wh_status	(*get)(void *http, const char *url, int64_t deadline_ms,
			    long *status, struct buf *body);
};

/* What handlers read from the configuration. */
struct wh_settings {
	const char	*weather_url;		/* NULL: weather not set up */
	const char	*weather_key;
	int64_t		 weather_ttl_ms;
	bool		 has_sentiment_below;
	double		 sentiment_below;
	const char	*time_zone;		/* bookings' local time */
	bool		 forward_bookings;	/* an outbox row per change */
	/* [triage]: the parameter holding the text (NULL: the query's) */
	const char	*triage_text_param;
	const struct config_route *triage_routes;	/* targetPage per
							 * category */
	size_t		 n_triage_routes;
};

struct wh_ctx {
	const struct cx_request		*req;
	struct cx_response		*resp;
	const struct db_ops		*db_ops;
	void				*db;
	const struct http_ops		*http_ops;
	void				*http;
	struct shcache			*weather_cache;	/* NULL: no cache */
	const struct triage_model	*triage;	/* NULL: no model */
	const struct wh_settings	*settings;
	int64_t				 deadline_ms;
	/* Fills n bytes with unguessable randomness (booking ids). */
	void				(*random)(void *, size_t);
};

typedef enum wh_status (*handler_fn)(struct wh_ctx *);

struct route {
	const char	*key;		/* a fulfillment tag or intent name */
	handler_fn	 fn;
	const char	*family;	/* for logs and metrics */
};

/* The route for a request: by tag, else by intent name, else default. */
const struct route	*route_find(const struct cx_request *);
/* Checks the table is sorted and unique (for the unit tests). */
bool			 routes_valid(void);
const struct route	*route_default(void);

/*
 * Runs the handler for the request.  On failure the response is replaced
 * by an apology, so read ctx->resp only after dispatch() returns.
 */
void	dispatch(struct wh_ctx *, const struct route *);

/* The fixed apology for an infrastructure failure, with its error_code. */
void	wh_apology(struct cx_response *, enum wh_status);

/* A business failure: say it, and set error_occurred and error_code. */
void	wh_fail(struct wh_ctx *, const char *code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Handlers (one family per file). */
enum wh_status	h_default(struct wh_ctx *);
enum wh_status	h_database_query(struct wh_ctx *);
enum wh_status	h_account_balance(struct wh_ctx *);
enum wh_status	h_account_transactions(struct wh_ctx *);
enum wh_status	h_weather(struct wh_ctx *);
enum wh_status	h_booking_create(struct wh_ctx *);
enum wh_status	h_booking_status(struct wh_ctx *);
enum wh_status	h_booking_cancel(struct wh_ctx *);
enum wh_status	h_triage(struct wh_ctx *);

/* Money, exact: formats a numeric's text ("-1250.7") for speech. */
int	money_format(const char *amount, const char *currency, char *out,
	    size_t outsz);

#endif
