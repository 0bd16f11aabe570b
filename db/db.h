/*
 * PostgreSQL for every cxhook process: the workers, the booking courier
 * and `cxhook migrate`.  One libpq connection per struct db, opened after
 * fork on first use and remade after loss (but for migrate), every wait
 * bounded by the caller's deadline, the statements of db/stmt.c run by
 * their enum constant and logged by their name.
 */
#ifndef CXHOOK_DB_H
#define CXHOOK_DB_H

#include <stdint.h>

#include "db/stmt.h"
#include "handlers/wh.h"
#include "lib/clock.h"

/* A deadline that never comes: migrate waits for its lock and its files. */
#define DB_NO_DEADLINE	INT64_MAX

struct db;

/* The handlers' way in (struct wh_ctx): a worker's struct db. */
extern const struct db_ops db_pg_ops;

/*
 * 0 when libpq can parse conninfo, else -1 with what is wrong in err
 * (quoted parts left out: they may be a password).
 */
int		 db_conninfo_check(const char *conninfo, char *err,
		    size_t errsz);

/*
 * Never fails: the connection is made on first use.  who (one enum
 * db_user) names it on the server (application_name "cxhook",
 * "cxhook-outbox", "cxhook-migrate", unless conninfo says otherwise),
 * chooses the statements it may run, and whether a lost connection is
 * remade: not for migrate, whose lock and transaction die with it.
 */
struct db	*db_open(const char *conninfo, int64_t connect_timeout_ms,
		    enum db_user who);
void		 db_close(struct db *);
/* [database] statements = unnamed: nothing is prepared by name. */
void		 db_use_unnamed(struct db *);
/*
 * Connects now, within connect_timeout and deadline_ms, and (workers,
 * courier) prepares every statement of its user, so that the first
 * request pays for neither and a missing table shows at once; 0 or -1.
 */
int		 db_warm(struct db *, int64_t deadline_ms);
/*
 * Runs one statement of db/stmt.c with text parameters (nparams must be
 * its count).  WH_OK with the rows in *out (cleared by the caller with
 * db_rows_clear(); out may be NULL when they are not wanted);
 * WH_DB_UNAVAILABLE on an error, logged as "database: NAME: SQLSTATE
 * message"; WH_DEADLINE when deadline_ms came first, the statement then
 * cancelled on the server; WH_INTERNAL for a statement not of this user.
 * A connection lost mid-statement is remade, and the statement sent once
 * more, within the same deadline.
 */
enum wh_status	 db_run(struct db *, int stmt, const char *const *params,
		    int nparams, struct db_rows *out, int64_t deadline_ms);
/*
 * Runs SQL text as given (a migration file: several statements, no
 * parameters), logged as "database: NAME: ..." on an error; never sent
 * twice.
 */
enum wh_status	 db_run_script(struct db *, const char *name,
		    const char *sql, int64_t deadline_ms);
/*
 * Waits for a NOTIFY on a channel the connection LISTENs to, until
 * until_ms or a signal: 1 one came (every one waiting is taken), 0 not,
 * -1 no connection (then it has waited until until_ms all the same, so
 * that a caller looping on it does not spin while the server is away).
 */
int		 db_wait_notify(struct db *, int64_t until_ms);
/*
 * After each request: leaves no transaction open on the connection, and
 * collects the child that sent a cancel if it is done.
 */
void		 db_end_request(struct db *);

#endif
