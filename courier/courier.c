/*
 * The booking outbox courier: one process beside the workers, started by
 * the master when [booking] forward_url is set, that delivers every row of
 * booking_outbox to the outside scheduling system.
 *
 * Rows are written by cxhook_book()/cxhook_cancel() in the same
 * transaction as the booking itself, so nothing confirmed to a caller can
 * be lost, and the answer to Dialogflow never waits for the calendar.
 * Here each row is POSTed with an Idempotency-Key (the row's key, the same
 * on every attempt) until the receiver acknowledges it with a 2xx, with an
 * exponential back-off between attempts.  A pool restart loses nothing:
 * the rows are in PostgreSQL.
 *
 * Claiming a row leases it before the POST is made, so two couriers (two
 * hosts) never deliver one row at the same time, a courier that dies
 * mid-POST has its row retried after the lease, and the changes of one
 * booking are delivered in order (DB_OUTBOX_CLAIM in db/stmt.c says how).
 *
 * The database is reached through db/ like the workers' (application_name
 * "cxhook-outbox"): the connection LISTENs to cxhook_outbox and is remade
 * after loss, and each statement has STMT_MS: one still running then (a
 * lock held for long, a frozen server) is cancelled and the connection
 * replaced, and the courier goes on with its next round.  So a server
 * that stops answering holds it for STMT_MS at a time, and the POST for
 * POST_TIMEOUT_MS.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config/config.h"
#include "courier/courier.h"
#include "db/db.h"
#include "fcgi/child.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "upstream/upstream.h"

/*
 * Rows claimed at once.  A claim is a lease of [booking] forward_lease:
 * every POST of the batch must be over LEASE_MARGIN_MS before it ends, so
 * that another courier taking the row up after the lease never delivers
 * it beside us; rows left when the time is up wait for the next claim.
 */
#define BATCH		"10"
#define LEASE_MARGIN_MS	1000
#define POST_TIMEOUT_MS	10000
#define STMT_MS		10000
#define IDLE_POLL_MS	1000

/* Columns of DB_OUTBOX_CLAIM. */
enum { C_ID, C_KEY, C_PAYLOAD, C_ATTEMPTS };

static volatile sig_atomic_t	stop_requested;

static void
on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static void
mark(struct db *db, const char *id, bool delivered, const char *why,
    const struct config *cfg, int attempts)
{
	char		 backoff[32];
	const char	*params[3];
	double		 secs;

	params[0] = id;
	if (delivered) {
		db_run(db, DB_OUTBOX_DELIVERED, params, 1, NULL,
		    now_ms() + STMT_MS);
		return;
	}
	/* base * 2^(attempts - 1), at most max. */
	secs = (double)cfg->forward_retry_base_ms / 1000.0;
	while (--attempts > 0 && secs * 1000 < cfg->forward_retry_max_ms)
		secs *= 2;
	if (secs * 1000 > cfg->forward_retry_max_ms)
		secs = (double)cfg->forward_retry_max_ms / 1000.0;
	snprintf(backoff, sizeof(backoff), "%.3f", secs);
	params[1] = backoff;
	params[2] = why;
	db_run(db, DB_OUTBOX_RETRY, params, 3, NULL, now_ms() + STMT_MS);
}

static void
deliver_one(struct db *db, struct upstream *u, const struct config *cfg,
    const struct db_rows *rows, int i, int64_t until)
{
	char		 key[256], auth[4096], why[128];
	const char	*headers[3] = { key, NULL, NULL };
	const char	*id = db_cell(rows, i, C_ID);
	const char	*payload = db_cell(rows, i, C_PAYLOAD);
	struct buf	 resp;
	enum wh_status	 st;
	long		 status;

	snprintf(key, sizeof(key), "Idempotency-Key: %s",
	    db_cell(rows, i, C_KEY));
	if (cfg->booking_forward_token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
		    cfg->booking_forward_token);
		headers[1] = auth;
	}
	buf_init(&resp);
	st = upstream_post(u, cfg->booking_forward_url, headers, payload,
	    strlen(payload), now_ms() + POST_TIMEOUT_MS < until ?
	    now_ms() + POST_TIMEOUT_MS : until, &status, &resp);
	if (st == WH_OK && status >= 200 && status < 300) {
		mark(db, id, true, NULL, cfg, 0);
		/* The row's id, never its key: that holds a confirmation id. */
		log_info("outbox: delivered row %s", id);
	} else {
		if (st == WH_OK)
			snprintf(why, sizeof(why), "HTTP %ld", status);
		else
			snprintf(why, sizeof(why), "%s", st ==
			    WH_UPSTREAM_TIMEOUT ? "timeout" : "unreachable");
		mark(db, id, false, why, cfg,
		    atoi(db_cell(rows, i, C_ATTEMPTS)));
		log_warnx("outbox: row %s not delivered (%s); will retry", id,
		    why);
	}
	buf_clear(&resp);
}

/* Delivers what is due; returns how many rows were tried, -1 on failure. */
static int
deliver_batch(struct db *db, struct upstream *u, const struct config *cfg)
{
	const char	*params[2];
	char		 lease[32];
	struct db_rows	 rows;
	int64_t		 until = now_ms() + cfg->forward_lease_ms -
			    LEASE_MARGIN_MS;
	int		 i, n;

	snprintf(lease, sizeof(lease), "%.3f",
	    (double)cfg->forward_lease_ms / 1000.0);
	params[0] = lease;
	params[1] = BATCH;
	if (db_run(db, DB_OUTBOX_CLAIM, params, 2, &rows,
	    now_ms() + STMT_MS) != WH_OK)
		return -1;
	n = rows.nrows;
	for (i = 0; i < n && !stop_requested && now_ms() < until; i++)
		deliver_one(db, u, cfg, &rows, i, until);
	db_rows_clear(&rows);
	return n;
}

/* Milliseconds until the next undelivered row comes due (at most a second). */
static int
next_due_ms(struct db *db)
{
	struct db_rows	rows;
	int		ms = IDLE_POLL_MS;

	if (db_run(db, DB_OUTBOX_NEXT_DUE, NULL, 0, &rows,
	    now_ms() + STMT_MS) == WH_OK) {
		if (rows.nrows == 1 && db_cell(&rows, 0, 0) != NULL)
			ms = atoi(db_cell(&rows, 0, 0));
		db_rows_clear(&rows);
	}
	if (ms < 50)
		ms = 50;
	return ms < IDLE_POLL_MS ? ms : IDLE_POLL_MS;
}

void
courier_run(const struct config *cfg, int master_pid)
{
	struct upstream	*u;
	struct db	*db;
	int		 n;

	child_signals(on_stop, master_pid);

	u = upstream_new();
	db = db_open(cfg->conninfo, cfg->connect_timeout_ms, DB_COURIER);
	if (cfg->unnamed_statements)
		db_use_unnamed(db);
	/* Not the URL: it may hold credentials. */
	log_info("outbox: forwarding bookings");
	while (!stop_requested) {
		if ((n = deliver_batch(db, u, cfg)) > 0)
			continue;
		/*
		 * Until a NOTIFY (a row was written) or the next retry is
		 * due; after a failed claim (the database away), a second.
		 */
		db_wait_notify(db, now_ms() + (n == 0 ? next_due_ms(db) :
		    IDLE_POLL_MS));
	}
	db_close(db);
	upstream_free(u);
	_exit(0);
}
