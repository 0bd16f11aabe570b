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
 * Claiming a row pushes its next attempt a lease into the future before
 * the POST is made, under FOR UPDATE SKIP LOCKED, so two couriers (two
 * hosts) never deliver one row at the same time, and a courier that dies
 * mid-POST has its row retried after the lease.  The changes of one
 * booking are delivered in order: a row waits while an older row of the
 * same booking is undelivered.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "config/config.h"
#include "courier/courier.h"
#include "db/db.h"
#include "fcgi/child.h"
#include "lib/clock.h"
#include "lib/log.h"
#include "upstream/upstream.h"

/* Rows claimed at once, and how long a claimed row is ours. */
#define BATCH		"10"
#define LEASE		"60 seconds"
#define POST_TIMEOUT_MS	10000
#define IDLE_POLL_MS	1000

static volatile sig_atomic_t	stop_requested;

static void
on_stop(int sig)
{
	(void)sig;
	stop_requested = 1;
}

static const char claim_sql[] =
    "UPDATE booking_outbox SET attempts = attempts + 1,"
    "       next_attempt_at = now() + interval '" LEASE "'"
    " WHERE id IN ("
    "   SELECT o.id FROM booking_outbox o"
    "    WHERE o.delivered_at IS NULL AND o.next_attempt_at <= now()"
    "      AND NOT EXISTS (SELECT 1 FROM booking_outbox p"
    "            WHERE p.confirmation_id = o.confirmation_id"
    "              AND p.id < o.id AND p.delivered_at IS NULL)"
    "    ORDER BY o.id LIMIT " BATCH " FOR UPDATE SKIP LOCKED)"
    " RETURNING id, idempotency_key, payload::text, attempts";

static PGconn *
connect_db(const struct config *cfg)
{
	static const char *const kw[] =
	    { "client_encoding", "application_name", "dbname", NULL };
	const char	*vals[] = { "UTF8", "cxhook-outbox", cfg->conninfo, NULL };
	PGconn		*conn;
	PGresult	*res;
	char		 msg[640];

	conn = PQconnectdbParams(kw, vals, 1);
	if (PQstatus(conn) != CONNECTION_OK) {
		log_warnx("outbox: cannot connect: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return NULL;
	}
	PQsetNoticeReceiver(conn, db_log_notice, NULL);
	/*
	 * Woken by NOTIFY cxhook_outbox as soon as a row is written; and no
	 * statement of ours may hang the courier on a wedged server.
	 */
	res = PQexec(conn, "SET statement_timeout = '10s'; LISTEN cxhook_outbox");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		log_warnx("outbox: LISTEN: %s", db_error(res, msg, sizeof(msg)));
		PQclear(res);
		PQfinish(conn);
		return NULL;
	}
	PQclear(res);
	return conn;
}

static void
mark(PGconn *conn, const char *id, bool delivered, const char *why,
    const struct config *cfg, int attempts)
{
	char		 backoff[32], msg[640];
	const char	*params[3];
	PGresult	*res;
	double		 secs;

	params[0] = id;
	if (delivered) {
		res = PQexecParams(conn, "UPDATE booking_outbox SET delivered_at "
		    "= now(), last_error = NULL WHERE id = $1", 1, NULL, params,
		    NULL, NULL, 0);
	} else {
		/* base * 2^(attempts - 1), at most max. */
		secs = (double)cfg->forward_retry_base_ms / 1000.0;
		while (--attempts > 0 && secs * 1000 < cfg->forward_retry_max_ms)
			secs *= 2;
		if (secs * 1000 > cfg->forward_retry_max_ms)
			secs = (double)cfg->forward_retry_max_ms / 1000.0;
		snprintf(backoff, sizeof(backoff), "%.3f", secs);
		params[1] = backoff;
		params[2] = why;
		res = PQexecParams(conn, "UPDATE booking_outbox SET "
		    "next_attempt_at = now() + make_interval(secs => $2::float8),"
		    " last_error = $3 WHERE id = $1", 3, NULL, params, NULL, NULL,
		    0);
	}
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		log_warnx("outbox: update: %s", db_error(res, msg, sizeof(msg)));
	PQclear(res);
}

static void
deliver_one(PGconn *conn, struct upstream *u, const struct config *cfg,
    PGresult *rows, int i)
{
	char		 key[256], auth[4096], why[128];
	const char	*headers[3] = { key, NULL, NULL };
	const char	*payload = PQgetvalue(rows, i, 2);
	struct buf	 resp;
	enum wh_status	 st;
	long		 status;

	snprintf(key, sizeof(key), "Idempotency-Key: %s",
	    PQgetvalue(rows, i, 1));
	if (cfg->booking_forward_token != NULL) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s",
		    cfg->booking_forward_token);
		headers[1] = auth;
	}
	buf_init(&resp);
	st = upstream_post(u, cfg->booking_forward_url, headers, payload,
	    strlen(payload), now_ms() + POST_TIMEOUT_MS, &status, &resp);
	if (st == WH_OK && status >= 200 && status < 300) {
		mark(conn, PQgetvalue(rows, i, 0), true, NULL, cfg, 0);
		/* The row's id, never its key: that holds a confirmation id. */
		log_info("outbox: delivered row %s", PQgetvalue(rows, i, 0));
	} else {
		if (st == WH_OK)
			snprintf(why, sizeof(why), "HTTP %ld", status);
		else
			snprintf(why, sizeof(why), "%s", st ==
			    WH_UPSTREAM_TIMEOUT ? "timeout" : "unreachable");
		mark(conn, PQgetvalue(rows, i, 0), false, why, cfg,
		    atoi(PQgetvalue(rows, i, 3)));
		log_warnx("outbox: row %s not delivered (%s); will retry",
		    PQgetvalue(rows, i, 0), why);
	}
	buf_clear(&resp);
}

/* Delivers what is due; returns how many rows were tried, -1 on DB loss. */
static int
deliver_batch(PGconn *conn, struct upstream *u, const struct config *cfg)
{
	PGresult	*rows;
	char		 msg[640];
	int		 i, n;

	rows = PQexec(conn, claim_sql);
	if (PQresultStatus(rows) != PGRES_TUPLES_OK) {
		log_warnx("outbox: claim: %s", db_error(rows, msg, sizeof(msg)));
		PQclear(rows);
		return PQstatus(conn) == CONNECTION_OK ? 0 : -1;
	}
	n = PQntuples(rows);
	for (i = 0; i < n && !stop_requested; i++)
		deliver_one(conn, u, cfg, rows, i);
	PQclear(rows);
	return n;
}

/* Milliseconds until the next undelivered row comes due (at most a second). */
static int
next_due_ms(PGconn *conn)
{
	PGresult	*res;
	int		 ms = IDLE_POLL_MS;

	/* Rows waiting behind an older change of their booking do not count. */
	res = PQexec(conn, "SELECT ceil(extract(epoch FROM min(o.next_attempt_at)"
	    " - now()) * 1000) FROM booking_outbox o"
	    " WHERE o.delivered_at IS NULL"
	    "   AND NOT EXISTS (SELECT 1 FROM booking_outbox p"
	    "         WHERE p.confirmation_id = o.confirmation_id"
	    "           AND p.id < o.id AND p.delivered_at IS NULL)");
	if (PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1 &&
	    !PQgetisnull(res, 0, 0))
		ms = atoi(PQgetvalue(res, 0, 0));
	PQclear(res);
	if (ms < 50)
		ms = 50;
	return ms < IDLE_POLL_MS ? ms : IDLE_POLL_MS;
}

/* Sleeps until a NOTIFY arrives or the next retry comes due. */
static int
wait_for_work(PGconn *conn)
{
	struct pollfd	 pfd = { PQsocket(conn), POLLIN, 0 };
	PGnotify	*n;

	if (poll(&pfd, 1, next_due_ms(conn)) == -1 && errno != EINTR)
		return -1;
	if (!PQconsumeInput(conn))
		return -1;
	while ((n = PQnotifies(conn)) != NULL)
		PQfreemem(n);
	return 0;
}

void
courier_run(const struct config *cfg, int master_pid)
{
	struct upstream	*u;
	PGconn		*conn = NULL;

	child_signals(on_stop, master_pid);

	u = upstream_new();
	/* Not the URL: it may hold credentials. */
	log_info("outbox: forwarding bookings");
	while (!stop_requested) {
		if (conn == NULL && (conn = connect_db(cfg)) == NULL) {
			sleep(1);
			continue;
		}
		if (deliver_batch(conn, u, cfg) > 0)
			continue;
		if (PQstatus(conn) != CONNECTION_OK || wait_for_work(conn) == -1) {
			PQfinish(conn);
			conn = NULL;
		}
	}
	PQfinish(conn);
	upstream_free(u);
	_exit(0);
}
