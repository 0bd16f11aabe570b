/*
 * PostgreSQL for every cxhook process (see db.h): the workers, whose
 * handlers reach it through struct db_ops (handlers/wh.h), the booking
 * courier and `cxhook migrate`.  The statements are db/stmt.c's; this
 * file connects, sends them and reads their answers.
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
 * never a hung process.
 *
 * A connection lost mid-statement (a PostgreSQL restart) is remade once
 * within the same call and the statement sent again (stmt.c says why
 * that is safe); on every new connection the DB_ON_CONNECT statements go
 * first, and the prepared statements, gone with the old one, are
 * prepared again (so too after SQLSTATE 26000, when the server dropped
 * them itself).  migrate's connection is never remade: its advisory lock
 * and its open transaction die with the old one, and going on without
 * them is exactly what must not happen.
 */
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
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

/* How long the clean-up after a request may wait for its ROLLBACK. */
#define ROLLBACK_MS	1000
/* How long the child sending a cancel may live (see send_cancel). */
#define CANCEL_LIFETIME_S	2

/*
 * Who connects.  Each gets our connection defaults, which settings in the
 * conninfo override: client_encoding UTF8 (all the text we send and read
 * is UTF-8) and an application_name that operators (and the tests) look
 * for in pg_stat_activity.
 */
static const struct user {
	enum db_user	 who;
	const char	*application_name;
	bool		 reconnect;	/* remake a lost connection */
	/*
	 * Prepare every statement at connect, so that a missing table shows
	 * at once; migrate prepares on first use, since schema_migrations
	 * does not exist before it says so.
	 */
	bool		 prepare_early;
} users[] = {
	{ DB_WORKER, "cxhook", true, true },
	{ DB_COURIER, "cxhook-outbox", true, true },
	{ DB_MIGRATE, "cxhook-migrate", false, false },
};

struct db {
	PGconn			*conn;
	char			*conninfo;
	int64_t			 connect_timeout_ms;
	const struct user	*user;
	bool			 connected;	/* ever: see reconnect */
	bool			 prepared[DB_ALL_STMTS];	/* on this conn */
	bool			 unnamed;	/* no named statements */
	pid_t			 canceller;	/* a child sending a cancel */
};

/*
 * Whether statement s is prepared once per connection under its name:
 * not behind a transaction-pooling PgBouncer ([database] statements =
 * unnamed), where the next transaction may run on another server
 * connection that never saw the PREPARE.  There each statement goes with
 * its text in the extended protocol (PQsendQueryParams: the unnamed
 * statement, parsed each time), which PgBouncer passes through.
 */
static bool
named(const struct db *db, int s)
{
	return db_stmts[s].how == DB_PREPARED && !db->unnamed;
}

void
db_use_unnamed(struct db *db)
{
	db->unnamed = true;
}

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

/*
 * What went wrong, for the log: the SQLSTATE, PostgreSQL's primary message
 * with its quoted parts left out (they may be what a caller said), and
 * the constraint's name; never the DETAIL, which can hold a whole row.
 * Callers put the statement's name in front ("database: book: ...").
 */
static const char *
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
 * default): into the log like any other server text, a WARNING at warn
 * level (what migrate's files may say), the rest at debug level.
 */
static void
log_notice(void *arg, const PGresult *res)
{
	const char	*severity;
	char		 buf[640];

	severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	if (severity != NULL && strcmp(severity, "WARNING") == 0)
		log_warnx("database: warning: %s",
		    db_error(res, buf, sizeof(buf)));
	else
		log_debug("database: notice: %s",
		    db_error(res, buf, sizeof(buf)));
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
db_open(const char *conninfo, int64_t connect_timeout_ms, enum db_user who)
{
	struct db	*db;
	size_t		 i;

	db = xcalloc(1, sizeof(*db));
	db->conninfo = xstrdup(conninfo);
	db->connect_timeout_ms = connect_timeout_ms;
	for (i = 0; i < sizeof(users) / sizeof(users[0]); i++)
		if (users[i].who == who)
			db->user = &users[i];
	if (db->user == NULL)
		fatalx("database: no such user %d", (int)who);
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

/* What poll(2) may wait for of the time left (DB_NO_DEADLINE is more). */
static int
poll_ms(int64_t left)
{
	return left > INT_MAX ? INT_MAX : (int)left;
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
		rc = poll(&pfd, 1, poll_ms(left));
		if (rc > 0)
			return 1;
		if (rc == 0 && left <= INT_MAX)
			return 0;
		if (rc == -1 && errno != EINTR)
			return -1;
	}
}

static void
drop_connection(struct db *db)
{
	PQfinish(db->conn);
	db->conn = NULL;
	memset(db->prepared, 0, sizeof(db->prepared));
}

static bool
alive(const struct db *db)
{
	return db->conn != NULL && PQstatus(db->conn) == CONNECTION_OK;
}

/* Alive, and not left in the middle of something by a failed read. */
static bool
usable(const struct db *db)
{
	PGTransactionStatusType	ts;

	if (!alive(db))
		return false;
	ts = PQtransactionStatus(db->conn);
	return ts != PQTRANS_ACTIVE && ts != PQTRANS_UNKNOWN;
}

/* Connects within deadline_ms (and connect_timeout); 0 or -1. */
static int
db_connect(struct db *db, int64_t deadline_ms)
{
	static const char *const kw[] =
	    { "client_encoding", "application_name", "dbname", NULL };
	const char	*vals[] = { "UTF8", db->user->application_name,
			    db->conninfo, NULL };
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
	PQsetNoticeReceiver(db->conn, log_notice, NULL);
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
	db->connected = true;
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
 * In a child of the process: sends the cancel request and exits.
 *
 * PQcancel blocks: it connects to the postmaster, sends the request, then
 * waits for the postmaster to close the connection, which a stopped
 * (SIGSTOP, a frozen VM) or unreachable server never does; libpq 15 has
 * no non-blocking cancel (PQcancelStart is PostgreSQL 17).  Doing without
 * the cancel is no answer either: a backend waiting on a lock, or busy
 * with a long statement, does not notice that we closed the connection
 * until it next writes to it.  So a child sends it and the process (a
 * worker, the courier) does not wait: a worker's answer goes out at the
 * deadline.  The child holds nothing of the process's (not the FastCGI
 * connection, the listening socket or the database connection: the peers
 * of those must see them closed when the process closes them), lives at
 * most CANCEL_LIFETIME_S (SIGALRM, with its default action and
 * unblocked), and leaves by _exit, so no atexit handler or stdio buffer
 * of the process runs twice.  Between fork and _exit it makes only
 * async-signal-safe calls (the libpq manual makes PQcancel safe in a
 * signal handler), as a child of a process that may have threads
 * (libcurl's resolver) must.  A request already sent
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

static bool
failed(const PGresult *res)
{
	ExecStatusType	st = PQresultStatus(res);

	return st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK;
}

/*
 * Reads the results of what was sent last, up to libpq's terminating NULL:
 * one for a statement, one per statement for a script (whole).  Returns
 * the first that failed, else the last (as PQexec would); or NULL with
 * *timed_out set when the deadline came first, or NULL on a broken
 * connection.
 *
 * A lone statement's result is whole once it has come: a deadline or a
 * broken connection before the rest of its answer costs only the
 * connection.  In a script, the statements still to come may not have
 * run, so it is a deadline or a failure like any other.
 */
static PGresult *
wait_result(struct db *db, int64_t deadline_ms, bool whole, bool *timed_out)
{
	PGresult	*res = NULL, *next;
	int		 rc;

	*timed_out = false;
	while ((rc = wait_readable(db->conn, deadline_ms)) == 1 &&
	    (next = PQgetResult(db->conn)) != NULL) {
		if (res != NULL && failed(res)) {
			PQclear(next);
			continue;
		}
		PQclear(res);
		res = next;
	}
	if (rc == 1)
		return res;
	if (rc == 0) {
		if (res == NULL || whole) {
			*timed_out = true;
			cancel(db);
		}
		/* Mid-statement or mid-answer: a fresh connection is simpler. */
		drop_connection(db);
	}
	if (whole || *timed_out) {
		PQclear(res);
		res = NULL;
	}
	return res;
}

static void
stmt_name(int s, char *buf, size_t bufsz)
{
	snprintf(buf, bufsz, "cxhook_%d", s);
}

/* Sends statement s (prepared already when it is DB_PREPARED); 0 or -1. */
static int
send_stmt(struct db *db, int s, const char *const *params)
{
	const struct db_sql	*q = &db_stmts[s];
	char			 name[32];

	if (!named(db, s))
		return PQsendQueryParams(db->conn, q->text, q->nparams, NULL,
		    params, NULL, NULL, 0) ? 0 : -1;
	stmt_name(s, name, sizeof(name));
	return PQsendQueryPrepared(db->conn, name, q->nparams, params, NULL,
	    NULL, 0) ? 0 : -1;
}

/* Why there is no result: libpq's words, or the connection's absence. */
static const char *
conn_error(const struct db *db)
{
	return db->conn != NULL ? PQerrorMessage(db->conn) :
	    "connection lost";
}

/* A statement given up on at the deadline (and cancelled by wait_result). */
static void
log_late(const char *what, const char *name)
{
	log_warnx("database: %s%s: no answer in time", what, name);
}

/* Prepares statement s on the connection; 0 or -1 (*timed_out set). */
static int
prepare(struct db *db, int s, int64_t deadline_ms, bool *timed_out)
{
	const struct db_sql	*q = &db_stmts[s];
	PGresult		*res;
	char			 name[32], msg[640];

	*timed_out = false;
	stmt_name(s, name, sizeof(name));
	if (!PQsendPrepare(db->conn, name, q->text, q->nparams, NULL)) {
		log_warnx("database: prepare %s: %s", q->name, conn_error(db));
		return -1;
	}
	res = wait_result(db, deadline_ms, false, timed_out);
	if (res != NULL && PQresultStatus(res) == PGRES_COMMAND_OK)
		db->prepared[s] = true;
	else if (*timed_out)
		log_late("prepare ", q->name);
	else
		log_warnx("database: prepare %s: %s", q->name, res != NULL ?
		    db_error(res, msg, sizeof(msg)) : conn_error(db));
	PQclear(res);
	return db->prepared[s] ? 0 : -1;
}

/*
 * On a new connection: its DB_ON_CONNECT statements, then (prepare_early)
 * every statement it may run, prepared.  The connection is dropped unless
 * all went well.
 */
static enum wh_status
set_up(struct db *db, int64_t deadline_ms)
{
	const struct db_sql	*q;
	PGresult		*res;
	char			 msg[640];
	bool			 timed_out = false;
	int			 s;

	for (s = 0; s < DB_ALL_STMTS; s++) {
		q = &db_stmts[s];
		if (!(q->users & db->user->who) || q->how != DB_ON_CONNECT)
			continue;
		if (send_stmt(db, s, NULL) == -1)
			goto fail;
		res = wait_result(db, deadline_ms, false, &timed_out);
		if (res == NULL || failed(res)) {
			if (timed_out)
				log_late("", q->name);
			else
				log_warnx("database: %s: %s", q->name,
				    res != NULL ? db_error(res, msg,
				    sizeof(msg)) : conn_error(db));
			PQclear(res);
			goto fail;
		}
		PQclear(res);
	}
	for (s = 0; s < DB_ALL_STMTS && db->user->prepare_early; s++) {
		q = &db_stmts[s];
		if ((q->users & db->user->who) && named(db, s) &&
		    prepare(db, s, deadline_ms, &timed_out) == -1)
			goto fail;
	}
	return WH_OK;
fail:
	drop_connection(db);
	return timed_out ? WH_DEADLINE : WH_DB_UNAVAILABLE;
}

/* A connection that is set up, or an error status. */
static enum wh_status
ready(struct db *db, int64_t deadline_ms)
{
	if (alive(db))
		return WH_OK;
	/* A lost connection of migrate's: see the top of this file. */
	if (db->connected && !db->user->reconnect)
		return WH_DB_UNAVAILABLE;
	if (db_connect(db, deadline_ms) == -1)
		return now_ms() >= deadline_ms ? WH_DEADLINE :
		    WH_DB_UNAVAILABLE;
	return set_up(db, deadline_ms);
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
exec_once(struct db *db, int s, const char *const *params,
    struct db_rows *out, int64_t deadline_ms, bool *retry)
{
	const struct db_sql	*q = &db_stmts[s];
	PGresult		*res;
	const char		*state;
	char			 msg[640];
	enum wh_status		 st;
	bool			 timed_out;

	*retry = false;
	if ((st = ready(db, deadline_ms)) != WH_OK)
		return st;
	if (named(db, s) && !db->prepared[s] &&
	    prepare(db, s, deadline_ms, &timed_out) == -1) {
		if (timed_out)
			return WH_DEADLINE;
		if (!usable(db)) {
			*retry = true;
			drop_connection(db);
		}
		return WH_DB_UNAVAILABLE;
	}
	if (send_stmt(db, s, params) == -1) {
		log_warnx("database: %s: %s", q->name, conn_error(db));
		*retry = true;
		drop_connection(db);
		return WH_DB_UNAVAILABLE;
	}
	res = wait_result(db, deadline_ms, false, &timed_out);
	if (timed_out) {
		log_late("", q->name);
		return WH_DEADLINE;
	}
	if (res != NULL && !failed(res)) {
		if (out != NULL)
			fill_rows(res, out);
		else
			PQclear(res);
		return WH_OK;
	}
	state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	log_warnx("database: %s: %s", q->name, res != NULL ?
	    db_error(res, msg, sizeof(msg)) : conn_error(db));
	/* Lost connection, or statements gone after a server-side reset. */
	if (!usable(db) || (state != NULL && strcmp(state, "26000") == 0)) {
		*retry = true;
		drop_connection(db);
	}
	PQclear(res);
	return WH_DB_UNAVAILABLE;
}

enum wh_status
db_run(struct db *db, int s, const char *const *params, int nparams,
    struct db_rows *out, int64_t deadline_ms)
{
	enum wh_status	st;
	bool		retry;

	if (out != NULL)
		memset(out, 0, sizeof(*out));
	if (s < 0 || s >= DB_ALL_STMTS)
		return WH_INTERNAL;
	/* A mistake in the calling code: say which statement it was. */
	if (nparams != db_stmts[s].nparams ||
	    !(db_stmts[s].users & db->user->who)) {
		log_warnx("database: %s: not for %s with %d parameters",
		    db_stmts[s].name, db->user->application_name, nparams);
		return WH_INTERNAL;
	}
	reap_canceller(db);
	st = exec_once(db, s, params, out, deadline_ms, &retry);
	if (st != WH_OK && retry && db->user->reconnect &&
	    now_ms() < deadline_ms)
		st = exec_once(db, s, params, out, deadline_ms, &retry);
	return st;
}

static enum wh_status
pg_exec(void *arg, enum db_stmt s, const char *const *params, int nparams,
    struct db_rows *out, int64_t deadline_ms)
{
	/* Handlers run their own statements, none of the edges'. */
	if ((int)s < 0 || s >= DB_NSTMTS) {
		memset(out, 0, sizeof(*out));
		return WH_INTERNAL;
	}
	return db_run(arg, (int)s, params, nparams, out, deadline_ms);
}

const struct db_ops db_pg_ops = { pg_exec };

enum wh_status
db_run_script(struct db *db, const char *name, const char *sql,
    int64_t deadline_ms)
{
	PGresult	*res;
	char		 msg[640];
	enum wh_status	 st;
	bool		 timed_out;

	reap_canceller(db);
	if ((st = ready(db, deadline_ms)) != WH_OK)
		return st;
	/* The simple protocol: the only one that takes several statements. */
	if (!PQsendQuery(db->conn, sql)) {
		log_warnx("database: %s: %s", name, conn_error(db));
		return WH_DB_UNAVAILABLE;
	}
	res = wait_result(db, deadline_ms, true, &timed_out);
	if (timed_out) {
		log_late("", name);
		return WH_DEADLINE;
	}
	st = res != NULL && !failed(res) ? WH_OK : WH_DB_UNAVAILABLE;
	if (st != WH_OK)
		log_warnx("database: %s: %s", name, res != NULL ?
		    db_error(res, msg, sizeof(msg)) : conn_error(db));
	PQclear(res);
	return st;
}

/* Frees the notifications libpq holds; how many there were. */
static int
take_notifies(PGconn *conn)
{
	PGnotify	*n;
	int		 got = 0;

	while ((n = PQnotifies(conn)) != NULL) {
		PQfreemem(n);
		got++;
	}
	return got;
}

int
db_wait_notify(struct db *db, int64_t until_ms)
{
	struct pollfd	pfd;
	int64_t		left = until_ms - now_ms();

	if (!alive(db)) {
		if (left > 0)
			(void)poll(NULL, 0, poll_ms(left));
		return -1;
	}
	/* Those that came with the answers to the last statements. */
	if (take_notifies(db->conn) > 0)
		return 1;
	pfd.fd = PQsocket(db->conn);
	pfd.events = POLLIN;
	pfd.revents = 0;
	/* A signal ends the wait: the caller looks at its flags. */
	if (left > 0 && poll(&pfd, 1, poll_ms(left)) == -1 && errno != EINTR)
		goto lost;
	if (!PQconsumeInput(db->conn))
		goto lost;
	return take_notifies(db->conn) > 0 ? 1 : 0;
lost:
	drop_connection(db);
	return -1;
}

void
db_end_request(struct db *db)
{
	PGresult	*res;
	bool		 timed_out;

	reap_canceller(db);
	if (!alive(db) || PQtransactionStatus(db->conn) == PQTRANS_IDLE)
		return;
	/*
	 * Never let one request's failed transaction poison the next; and
	 * never wait long for it either: a connection that cannot roll back
	 * within a second is replaced.
	 */
	if (send_stmt(db, DB_ROLLBACK, NULL) == -1) {
		drop_connection(db);
		return;
	}
	res = wait_result(db, now_ms() + ROLLBACK_MS, false, &timed_out);
	if (!timed_out && (res == NULL || failed(res)))
		drop_connection(db);
	PQclear(res);
}
