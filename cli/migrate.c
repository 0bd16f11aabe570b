/*
 * `cxhook migrate`: applies the pending migrations in name order, each in
 * its own transaction, and records it in schema_migrations with its
 * SHA-256 (computed by PostgreSQL, so no crypto library is linked).
 *
 * Safe to run twice and from two hosts at once: a session-level advisory
 * lock serialises runners, and the second one finds nothing pending.
 * A migration whose file changed after it was applied stops the run: the
 * database no longer matches what the files describe, and a person must
 * decide what to do.
 *
 * The database is reached through db/ like the workers' (application_name
 * "cxhook-migrate", errors logged by statement name; the statements are
 * the DB_MIGRATE_* rows of db/stmt.c).  The connection must be made
 * within [database] connect_timeout, and is never remade: the lock and an
 * open transaction would be lost with it.  The statements have no
 * deadline: the lock waits for another runner however long its
 * migrations take, and a migration takes what it takes (an interrupted
 * run leaves its transaction to be rolled back by PostgreSQL).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/migrate.h"
#include "config/config.h"
#include "db/db.h"

#define EX_DATAERR	65
#define EX_UNAVAILABLE	69
#define EX_SOFTWARE	70

static bool
run(struct db *db, int stmt, const char *const *params, int nparams,
    struct db_rows *out)
{
	return db_run(db, stmt, params, nparams, out, DB_NO_DEADLINE) == WH_OK;
}

static bool
checksum(struct db *db, const struct migration *mg, char *out, size_t outsz)
{
	const char	*params[1] = { mg->sql };
	struct db_rows	 rows;
	bool		 ok;

	if (!run(db, DB_MIGRATE_CHECKSUM, params, 1, &rows))
		return false;
	ok = rows.nrows == 1 && db_cell(&rows, 0, 0) != NULL;
	if (ok)
		snprintf(out, outsz, "%s", db_cell(&rows, 0, 0));
	db_rows_clear(&rows);
	return ok;
}

/* The recorded checksum of an applied migration, or "" when pending. */
static bool
recorded(struct db *db, const char *name, char *out, size_t outsz)
{
	const char	*params[1] = { name };
	struct db_rows	 rows;

	out[0] = '\0';
	if (!run(db, DB_MIGRATE_RECORDED, params, 1, &rows))
		return false;
	if (rows.nrows == 1)
		snprintf(out, outsz, "%s", db_cell(&rows, 0, 0));
	db_rows_clear(&rows);
	return true;
}

/*
 * The file and its bookkeeping row commit together or not at all, so a
 * crash can never leave a migration applied but unrecorded.
 */
static bool
apply(struct db *db, const struct migration *mg, const char *sum)
{
	const char	*params[2] = { mg->name, sum };
	bool		 ok;

	if (!run(db, DB_BEGIN, NULL, 0, NULL))
		return false;
	ok = db_run_script(db, mg->name, mg->sql, DB_NO_DEADLINE) == WH_OK &&
	    run(db, DB_MIGRATE_RECORD, params, 2, NULL);
	if (!ok) {
		run(db, DB_ROLLBACK, NULL, 0, NULL);
		fprintf(stderr, "cxhook migrate: %s was not applied\n",
		    mg->name);
		return false;
	}
	return run(db, DB_COMMIT, NULL, 0, NULL);
}

static int
migrate_all(struct db *db, bool status_only)
{
	char	sum[80], have[80];
	size_t	i;
	int	pending = 0;

	for (i = 0; i < n_migrations; i++) {
		const struct migration *mg = &migrations[i];

		if (!checksum(db, mg, sum, sizeof(sum)) ||
		    !recorded(db, mg->name, have, sizeof(have)))
			return EX_SOFTWARE;
		if (have[0] != '\0' && strcmp(have, sum) != 0) {
			fprintf(stderr, "cxhook migrate: %s was changed after "
			    "it was applied (checksum %s, recorded %s); "
			    "refusing to continue\n", mg->name, sum, have);
			return EX_DATAERR;
		}
		if (status_only) {
			printf("%-40s %s\n", mg->name, have[0] != '\0' ?
			    "applied" : "pending");
			pending += have[0] == '\0';
			continue;
		}
		if (have[0] != '\0')
			continue;
		printf("applying %s\n", mg->name);
		if (!apply(db, mg, sum))
			return EX_SOFTWARE;
	}
	if (status_only)
		printf("%zu migrations, %d pending\n", n_migrations, pending);
	else
		printf("database is up to date\n");
	return 0;
}

int
migrate_run(const struct config *cfg, bool status_only)
{
	struct db	*db;
	int		 rc;

	db = db_open(cfg->conninfo, cfg->connect_timeout_ms, DB_MIGRATE);
	/* Why it failed is in the log ("database: cannot connect: ..."). */
	if (db_warm(db, DB_NO_DEADLINE) == -1) {
		db_close(db);
		return EX_UNAVAILABLE;
	}
	if (!run(db, DB_MIGRATE_LOCK, NULL, 0, NULL) ||
	    !run(db, DB_MIGRATE_TABLE, NULL, 0, NULL)) {
		db_close(db);
		return EX_SOFTWARE;
	}
	rc = migrate_all(db, status_only);
	run(db, DB_MIGRATE_UNLOCK, NULL, 0, NULL);
	db_close(db);
	return rc;
}
