/*
 * Every SQL statement cxhook sends, in one table (db/stmt.c): what the
 * handlers run (enum db_stmt, handlers/wh.h), and, numbered after those,
 * what only the edges run (enum db_edge_stmt): the booking courier's,
 * `cxhook migrate`'s and the connection layer's own.  The migration files
 * are not here: their text is run as written (db_run_script).
 *
 * Pure data with no libpq, so that the unit tests can check the table
 * (tests/unit/test_stmt.c) without a database.
 */
#ifndef CXHOOK_DB_STMT_H
#define CXHOOK_DB_STMT_H

#include "handlers/wh.h"

enum db_edge_stmt {
	DB_READ_COMMITTED = DB_NSTMTS,
	DB_BEGIN,
	DB_COMMIT,
	DB_ROLLBACK,
	DB_OUTBOX_LISTEN,
	DB_OUTBOX_CLAIM,	/* $1 lease (s), $2 rows -> id, key, payload,
				 * attempts */
	DB_OUTBOX_DELIVERED,	/* $1 id */
	DB_OUTBOX_RETRY,	/* $1 id, $2 back-off (s), $3 why */
	DB_OUTBOX_NEXT_DUE,	/* -> ms until the next row is due, or NULL */
	DB_MIGRATE_QUIET,
	DB_MIGRATE_LOCK,
	DB_MIGRATE_UNLOCK,
	DB_MIGRATE_TABLE,
	DB_MIGRATE_CHECKSUM,	/* $1 text -> its SHA-256, hex */
	DB_MIGRATE_RECORDED,	/* $1 name -> checksum, applied_at */
	DB_MIGRATE_RECORD,	/* $1 name, $2 checksum */
	DB_ALL_STMTS
};

/* Who connects; a statement says which of them may run it. */
enum db_user {
	DB_WORKER = 1 << 0,
	DB_COURIER = 1 << 1,
	DB_MIGRATE = 1 << 2,
};

enum db_how {
	/* Prepared once per connection, then run by name. */
	DB_PREPARED,
	/* A command PostgreSQL cannot prepare (BEGIN, SET, CREATE): sent
	 * whole each time. */
	DB_AS_IS,
	/* Sent as is on every new connection, before anything else. */
	DB_ON_CONNECT,
};

struct db_sql {
	const char	*name;		/* for the log: "database: book: ..." */
	const char	*text;
	int		 nparams;	/* $1 .. $nparams, all text */
	unsigned	 users;		/* enum db_user bits */
	enum db_how	 how;
};

/* Indexed by enum db_stmt and enum db_edge_stmt. */
extern const struct db_sql	db_stmts[DB_ALL_STMTS];

#endif
