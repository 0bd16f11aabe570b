/*
 * libpq behind struct db_ops (see handlers/wh.h).
 *
 * Everything here runs against a deadline: libpq's blocking calls have no
 * timeout, so connecting, preparing and executing all use the
 * asynchronous API and poll(2) on the connection's socket with the time
 * that is left, and the connection is in libpq's non-blocking mode, so
 * that no call (sending a statement, PQfinish's goodbye) can wait on a
 * full socket buffer either.  A statement still running at the deadline
 * is cancelled on the server, so it does not hold locks for a caller who
 * has gone; the cancel is sent by a short-lived child (see send_cancel),
 * so that a server that is stopped or unreachable costs a slow answer,
 * never a hung worker.
 *
 * A connection lost mid-request (a PostgreSQL restart) is remade once
 * within the same request; after any reconnect the prepared statements
 * are gone (SQLSTATE 26000) and are prepared again.
 */
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "db/db.h"
#include "lib/log.h"
#include "lib/xalloc.h"

/*
 * Statement text, indexed by enum db_stmt.  Checklist: a new statement
 * needs a row here and in enum db_stmt (handlers/wh.h).
 */
static const struct {
	const char	*sql;
	int		 nparams;
} stmts[DB_NSTMTS] = {
	[DB_PING] = { "SELECT 1", 0 },
	[DB_ACCOUNT_BALANCE] = {
	    "SELECT balance::text, currency FROM accounts WHERE user_id = $1",
	    1 },
	[DB_RECENT_TRANSACTIONS] = {
	    "SELECT a.currency, t.amount::text,"
	    "       to_char(t.occurred_at AT TIME ZONE 'UTC', 'Mon FMDD'),"
	    "       t.description"
	    "  FROM accounts a"
	    "  LEFT JOIN LATERAL ("
	    "       SELECT id, amount, occurred_at, description"
	    "         FROM transactions"
	    "        WHERE user_id = a.user_id"
	    "        ORDER BY occurred_at DESC, id DESC"
	    "        LIMIT $2::int) t ON true"
	    " WHERE a.user_id = $1"
	    " ORDER BY t.occurred_at DESC, t.id DESC", 2 },
	[DB_LIST_SERVICES] = {
	    "SELECT name, to_char(opens, 'FMHH12:MI AM'),"
	    "       to_char(closes, 'FMHH12:MI AM')"
	    "  FROM services ORDER BY name", 0 },
	[DB_BOOK] = {
	    "SELECT outcome, confirmation_id, service, slot_date::text,"
	    "       to_char(slot_time, 'HH24:MI'), say_date, say_time,"
	    "       to_char(opens, 'FMHH12:MI AM'),"
	    "       to_char(closes, 'FMHH12:MI AM'),"
	    "       array_to_string(free_slots, '|')"
	    "  FROM cxhook_book($1, $2::date, $3::time, $4, $5, $6, $7, $8,"
	    "       $9, $10, $11::boolean)", 11 },
	[DB_BOOKING_STATUS] = {
	    "SELECT b.confirmation_id, b.service, b.status,"
	    "       cxhook_say_date(b.starts_at AT TIME ZONE $2),"
	    "       cxhook_say_time(b.starts_at AT TIME ZONE $2),"
	    "       (b.starts_at AT TIME ZONE $2)::date::text,"
	    "       to_char(b.starts_at AT TIME ZONE $2, 'HH24:MI')"
	    "  FROM bookings b WHERE b.confirmation_id = upper(btrim($1))", 2 },
	[DB_BOOKING_CANCEL] = {
	    "SELECT outcome, service, say_date, say_time"
	    "  FROM cxhook_cancel($1, $2, $3::boolean)", 3 },
};

/* How long the clean-up after a request may wait for its ROLLBACK. */
#define ROLLBACK_MS	1000
/* How long the child sending a cancel may live (see send_cancel). */
#define CANCEL_LIFETIME_S	2

struct db {
	PGconn	*conn;
	char	*conninfo;
	int64_t	 connect_timeout_ms;
	bool	 prepared;
	pid_t	 canceller;	/* the child sending a cancel, or 0 */
};

/*
 * Copies in to out with every double-quoted part replaced by "...", and
 * only up to the first newline: PostgreSQL quotes the values it
 * complains about ('invalid input syntax for type date: "..."') and puts
 * whole rows in its DETAIL lines, and those may be what a caller said.
 */
static void
elide_quoted(const char *in, char *out, size_t outsz)
{
	size_t	n = 0;
	bool	quoted = false;

	for (; in != NULL && *in != '\0' && *in != '\n' && n + 5 < outsz;
	    in++) {
		if (*in == '"') {
			quoted = !quoted;
			if (quoted) {
				memcpy(out + n, "\"...", 4);
				n += 4;
			}
		}
		if (!quoted)
			out[n++] = *in;
	}
	out[n] = '\0';
}

const char *
db_error(const PGresult *res, char *buf, size_t bufsz)
{
	const char	*state, *constraint;
	char		 primary[512];

	if (res == NULL)
		return "no result";
	state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	constraint = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
	elide_quoted(PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY), primary,
	    sizeof(primary));
	snprintf(buf, bufsz, "%s%s%s%s%s", state != NULL ? state : "",
	    state != NULL ? " " : "", primary[0] != '\0' ? primary :
	    PQresStatus(PQresultStatus(res)),
	    constraint != NULL ? ", constraint " : "",
	    constraint != NULL ? constraint : "");
	return buf;
}

/*
 * Notices and warnings from the server (libpq prints them on stderr by
 * default): into the log, at debug level, like any other server text.
 */
void
db_log_notice(void *arg, const PGresult *res)
{
	char	buf[640];

	log_debug("database: notice: %s", db_error(res, buf, sizeof(buf)));
}

/*
 * libpq's words on a conninfo it cannot parse quote the offending part,
 * which may be a password ("invalid percent-encoded token: ..."): only
 * an unknown option's name, which is what a typo needs, is kept.
 */
int
db_conninfo_check(const char *conninfo, char *err, size_t errsz)
{
	static const char	 unknown[] = "invalid connection option ";
	PQconninfoOption	*opts;
	char			*msg = NULL;

	if ((opts = PQconninfoParse(conninfo, &msg)) != NULL) {
		PQconninfoFree(opts);
		return 0;
	}
	if (msg == NULL)
		snprintf(err, errsz, "out of memory");
	else if (strncmp(msg, unknown, sizeof(unknown) - 1) == 0)
		snprintf(err, errsz, "%.*s", (int)strcspn(msg, "\n"), msg);
	else
		elide_quoted(msg, err, errsz);
	PQfreemem(msg);
	return -1;
}

struct db *
db_open(const char *conninfo, int64_t connect_timeout_ms)
{
	struct db	*db;

	db = xcalloc(1, sizeof(*db));
	db->conninfo = xstrdup(conninfo);
	db->connect_timeout_ms = connect_timeout_ms;
	return db;
}

/* Collects the canceller once it has exited; true when none is left. */
static bool
reap_canceller(struct db *db)
{
	if (db->canceller > 0 && waitpid(db->canceller, NULL, WNOHANG) == 0)
		return false;
	db->canceller = 0;
	return true;
}

void
db_close(struct db *db)
{
	if (db == NULL)
		return;
	if (db->canceller > 0) {
		kill(db->canceller, SIGKILL);
		while (waitpid(db->canceller, NULL, 0) == -1 && errno == EINTR)
			;
	}
	PQfinish(db->conn);
	free(db->conninfo);
	free(db);
}

/* Waits for the socket; 1 ready, 0 deadline reached, -1 error. */
static int
wait_socket(PGconn *conn, bool for_write, int64_t deadline_ms)
{
	struct pollfd	pfd;
	int64_t		left;
	int		rc;

	pfd.fd = PQsocket(conn);
	pfd.events = for_write ? POLLOUT : POLLIN;
	if (pfd.fd < 0)
		return -1;
	for (;;) {
		left = deadline_ms - now_ms();
		if (left <= 0)
			return 0;
		rc = poll(&pfd, 1, (int)left);
		if (rc > 0)
			return 1;
		if (rc == 0)
			return 0;
		if (errno != EINTR)
			return -1;
	}
}

static void
drop_connection(struct db *db)
{
	PQfinish(db->conn);
	db->conn = NULL;
	db->prepared = false;
}

/* Connects within deadline_ms (and connect_timeout); 0 or -1. */
static int
db_connect(struct db *db, int64_t deadline_ms)
{
	static const char *const kw[] =
	    { "client_encoding", "application_name", "dbname", NULL };
	const char	*vals[] = { "UTF8", "cxhook", db->conninfo, NULL };
	PostgresPollingStatusType ps = PGRES_POLLING_WRITING;
	const char	*why = NULL;
	int64_t		 until;
	int		 rc;

	drop_connection(db);
	until = now_ms() + db->connect_timeout_ms;
	if (until > deadline_ms)
		until = deadline_ms;
	/* Our defaults first: settings in the user's conninfo win. */
	db->conn = PQconnectStartParams(kw, vals, 1);
	if (db->conn == NULL || PQstatus(db->conn) == CONNECTION_BAD)
		goto fail;
	PQsetNoticeReceiver(db->conn, db_log_notice, NULL);
	while (ps != PGRES_POLLING_OK) {
		if (ps == PGRES_POLLING_FAILED)
			goto fail;
		rc = wait_socket(db->conn, ps == PGRES_POLLING_WRITING, until);
		if (rc == 0)
			why = "no answer in time";	/* libpq has nothing to say */
		if (rc <= 0)
			goto fail;
		ps = PQconnectPoll(db->conn);
	}
	if (PQsetnonblocking(db->conn, 1) == -1)
		goto fail;
	return 0;
fail:
	if (why == NULL)
		why = db->conn != NULL ? PQerrorMessage(db->conn) :
		    "out of memory";
	log_warnx("database: cannot connect: %s", why);
	drop_connection(db);
	return -1;
}

/*
 * In a child of the worker: sends the cancel request and exits.
 *
 * PQcancel blocks: it connects to the postmaster, sends the request, then
 * waits for the postmaster to close the connection, which a stopped
 * (SIGSTOP, a frozen VM) or unreachable server never does; libpq 15 has
 * no non-blocking cancel (PQcancelStart is PostgreSQL 17).  Doing without
 * the cancel is no answer either: a backend waiting on a lock, or busy
 * with a long statement, does not notice that we closed the connection
 * until it next writes to it.  So a child sends it and the worker does not
 * wait: its answer goes out at the deadline.  The child holds nothing of
 * the worker's (not the FastCGI connection, the listening socket or the
 * database connection: the peers of those must see them closed when the
 * worker closes them), lives at most CANCEL_LIFETIME_S (SIGALRM, with
 * its default action and unblocked), and leaves by _exit, so no atexit
 * handler or stdio buffer of the worker runs twice.  Between fork and
 * _exit it makes only async-signal-safe calls (the libpq manual makes
 * PQcancel safe in a signal handler), as a child of a process that may
 * have threads (libcurl's resolver) must.  A request already sent
 * reaches a stopped postmaster when it runs again, the child gone or not.
 */
static void __attribute__((noreturn))
send_cancel(PGcancel *c)
{
	struct sigaction	sa;
	sigset_t		none;
	char			errbuf[256];

	if (close_range(0, ~0U, 0) == -1)
		_exit(1);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	alarm(CANCEL_LIFETIME_S);
	(void)PQcancel(c, errbuf, sizeof(errbuf));
	_exit(0);
}

/*
 * Asks the server to stop the running statement, without waiting (best
 * effort).  One canceller at a time: while the last one is still there
 * the server is not answering, and another would only wait beside it.
 */
static void
cancel(struct db *db)
{
	PGcancel	*c;
	pid_t		 pid;

	if (!reap_canceller(db) || (c = PQgetCancel(db->conn)) == NULL)
		return;
	if ((pid = fork()) == 0)
		send_cancel(c);
	if (pid == -1)
		log_warn("database: cannot fork to cancel a statement");
	else
		db->canceller = pid;
	PQfreeCancel(c);
}

/*
 * Sends what is queued and reads until a result can be taken without
 * blocking (PQgetResult itself would wait without a limit): 1 ready, 0
 * deadline reached, -1 broken connection.
 */
static int
wait_readable(PGconn *conn, int64_t deadline_ms)
{
	int	rc;

	while (PQflush(conn) == 1) {
		if ((rc = wait_socket(conn, true, deadline_ms)) <= 0)
			return rc;
	}
	while (PQisBusy(conn)) {
		if ((rc = wait_socket(conn, false, deadline_ms)) <= 0)
			return rc;
		if (!PQconsumeInput(conn))
			return -1;
	}
	return 1;
}

/*
 * Reads the result of the statement sent last.  Returns it (or NULL with
 * *timed_out set when the deadline came first, or on a broken connection).
 */
static PGresult *
wait_result(struct db *db, int64_t deadline_ms, bool *timed_out)
{
	PGresult	*res, *extra;
	int		 rc;

	*timed_out = false;
	if ((rc = wait_readable(db->conn, deadline_ms)) == -1)
		return NULL;
	if (rc == 0) {
		*timed_out = true;
		cancel(db);
		/* The connection is mid-statement; a fresh one is simpler. */
		drop_connection(db);
		return NULL;
	}
	res = PQgetResult(db->conn);
	/* One statement, one result: drain up to the terminating NULL. */
	while ((rc = wait_readable(db->conn, deadline_ms)) == 1 &&
	    (extra = PQgetResult(db->conn)) != NULL)
		PQclear(extra);
	/* The statement is done, but its last message has not come. */
	if (rc == 0)
		drop_connection(db);
	return res;
}

static void
stmt_name(enum db_stmt s, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "cxhook_%d", (int)s);
}

/*
 * The booking functions rely on READ COMMITTED: after waiting for a lock,
 * a statement must see what the holder committed (the booking it made,
 * the capacity it took).  A database or role default of REPEATABLE READ
 * would double-book or overbook, so each connection says what it needs.
 */
static int
set_isolation(struct db *db, int64_t deadline_ms, bool *timed_out)
{
	PGresult	*res;
	char		 msg[640];
	bool		 ok;

	if (!PQsendQuery(db->conn, "SET SESSION CHARACTERISTICS AS "
	    "TRANSACTION ISOLATION LEVEL READ COMMITTED"))
		return -1;
	res = wait_result(db, deadline_ms, timed_out);
	ok = res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK;
	if (res != NULL && !ok)
		log_warnx("database: set isolation: %s",
		    db_error(res, msg, sizeof(msg)));
	PQclear(res);
	return ok ? 0 : -1;
}

static int
prepare_all(struct db *db, int64_t deadline_ms, bool *timed_out)
{
	PGresult	*res;
	char		 name[32], msg[640];
	int		 i;
	bool		 ok;

	*timed_out = false;
	if (set_isolation(db, deadline_ms, timed_out) == -1)
		return -1;
	for (i = 0; i < DB_NSTMTS; i++) {
		stmt_name((enum db_stmt)i, name, sizeof(name));
		if (!PQsendPrepare(db->conn, name, stmts[i].sql,
		    stmts[i].nparams, NULL))
			return -1;
		res = wait_result(db, deadline_ms, timed_out);
		ok = res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK;
		if (res != NULL && !ok)
			log_warnx("database: prepare %s: %s", name,
			    db_error(res, msg, sizeof(msg)));
		PQclear(res);
		if (!ok)
			return -1;
	}
	db->prepared = true;
	return 0;
}

/* A connection with every statement prepared, or an error status. */
static enum wh_status
ready(struct db *db, int64_t deadline_ms)
{
	bool	timed_out;

	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK) {
		if (db_connect(db, deadline_ms) == -1)
			return now_ms() >= deadline_ms ? WH_DEADLINE :
			    WH_DB_UNAVAILABLE;
	}
	if (!db->prepared && prepare_all(db, deadline_ms, &timed_out) == -1) {
		if (!timed_out)
			drop_connection(db);
		return timed_out ? WH_DEADLINE : WH_DB_UNAVAILABLE;
	}
	return WH_OK;
}

int
db_warm(struct db *db, int64_t deadline_ms)
{
	return ready(db, deadline_ms) == WH_OK ? 0 : -1;
}

static void
release_rows(struct db_rows *r)
{
	PQclear(r->owner);
	free(r->cells);
}

static void
fill_rows(PGresult *res, struct db_rows *out)
{
	int	row, col, nr = PQntuples(res), nc = PQnfields(res);

	out->nrows = nr;
	out->ncols = nc;
	out->cells = xcalloc((size_t)nr * (size_t)nc + 1, sizeof(char *));
	for (row = 0; row < nr; row++)
		for (col = 0; col < nc; col++)
			out->cells[row * nc + col] =
			    PQgetisnull(res, row, col) ? NULL :
			    PQgetvalue(res, row, col);
	out->owner = res;
	out->release = release_rows;
}

/* One attempt; *retry is set when a fresh connection may succeed. */
static enum wh_status
exec_once(struct db *db, enum db_stmt s, const char *const *params,
    int nparams, struct db_rows *out, int64_t deadline_ms, bool *retry)
{
	PGresult	*res;
	const char	*state;
	char		 name[32], msg[640];
	enum wh_status	 st;
	bool		 timed_out;

	*retry = false;
	if ((st = ready(db, deadline_ms)) != WH_OK)
		return st;
	stmt_name(s, name, sizeof(name));
	if (!PQsendQueryPrepared(db->conn, name, nparams, params, NULL, NULL,
	    0)) {
		*retry = true;
		drop_connection(db);
		return WH_DB_UNAVAILABLE;
	}
	res = wait_result(db, deadline_ms, &timed_out);
	if (timed_out)
		return WH_DEADLINE;
	if (res != NULL && PQresultStatus(res) == PGRES_TUPLES_OK) {
		fill_rows(res, out);
		return WH_OK;
	}
	state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	log_warnx("database: %s: %s", name, res != NULL ?
	    db_error(res, msg, sizeof(msg)) : PQerrorMessage(db->conn));
	/* Lost connection, or statements gone after a server-side reset. */
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK ||
	    (state != NULL && strcmp(state, "26000") == 0)) {
		*retry = true;
		drop_connection(db);
	}
	PQclear(res);
	return WH_DB_UNAVAILABLE;
}

static enum wh_status
pg_exec(void *arg, enum db_stmt s, const char *const *params, int nparams,
    struct db_rows *out, int64_t deadline_ms)
{
	struct db	*db = arg;
	enum wh_status	 st;
	bool		 retry;

	memset(out, 0, sizeof(*out));
	if (s < 0 || s >= DB_NSTMTS || nparams != stmts[s].nparams)
		return WH_INTERNAL;
	/*
	 * One retry on a fresh connection is safe: the statements are reads,
	 * or writes made idempotent in SQL (cxhook_book by request key,
	 * cxhook_cancel by state), so a write that committed before the
	 * connection broke is found, not repeated.
	 */
	st = exec_once(db, s, params, nparams, out, deadline_ms, &retry);
	if (st != WH_OK && retry && now_ms() < deadline_ms)
		st = exec_once(db, s, params, nparams, out, deadline_ms,
		    &retry);
	return st;
}

const struct db_ops db_pg_ops = { pg_exec };

void
db_end_request(struct db *db)
{
	PGresult	*res;
	bool		 timed_out;

	reap_canceller(db);
	if (db->conn == NULL || PQstatus(db->conn) != CONNECTION_OK)
		return;
	if (PQtransactionStatus(db->conn) == PQTRANS_IDLE)
		return;
	/*
	 * Never let one request's failed transaction poison the next; and
	 * never wait long for it either: a connection that cannot roll back
	 * within a second is replaced.
	 */
	if (!PQsendQuery(db->conn, "ROLLBACK")) {
		drop_connection(db);
		return;
	}
	res = wait_result(db, now_ms() + ROLLBACK_MS, &timed_out);
	if (!timed_out && (res == NULL ||
	    PQresultStatus(res) != PGRES_COMMAND_OK))
		drop_connection(db);
	PQclear(res);
}
