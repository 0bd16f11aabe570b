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
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>

#include "cli/migrate.h"
#include "config/config.h"

/* pg_advisory_lock key: "cxhook" in ASCII, as a decimal bigint. */
#define MIGRATE_LOCK	"27998412518420331"

#define EX_DATAERR	65
#define EX_UNAVAILABLE	69
#define EX_SOFTWARE	70

static const char create_table[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    "  name text PRIMARY KEY,"
    "  checksum text NOT NULL,"
    "  applied_at timestamptz NOT NULL DEFAULT now())";

static bool
run_ok(PGconn *conn, const char *sql)
{
	PGresult	*res = PQexec(conn, sql);
	ExecStatusType	 st = PQresultStatus(res);
	bool		 ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "cxhook migrate: %s", PQresultErrorMessage(res));
	PQclear(res);
	return ok;
}

static bool
checksum(PGconn *conn, const struct migration *mg, char *out, size_t outsz)
{
	const char	*params[1] = { mg->sql };
	PGresult	*res;
	bool		 ok;

	res = PQexecParams(conn, "SELECT encode(sha256(convert_to($1, "
	    "'UTF8')), 'hex')", 1, NULL, params, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	if (ok)
		snprintf(out, outsz, "%s", PQgetvalue(res, 0, 0));
	else
		fprintf(stderr, "cxhook migrate: %s", PQresultErrorMessage(res));
	PQclear(res);
	return ok;
}

/* The recorded checksum of an applied migration, or "" when pending. */
static bool
recorded(PGconn *conn, const char *name, char *out, size_t outsz)
{
	const char	*params[1] = { name };
	PGresult	*res;
	bool		 ok;

	res = PQexecParams(conn, "SELECT checksum, applied_at::text FROM "
	    "schema_migrations WHERE name = $1", 1, NULL, params, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	out[0] = '\0';
	if (ok && PQntuples(res) == 1)
		snprintf(out, outsz, "%s", PQgetvalue(res, 0, 0));
	if (!ok)
		fprintf(stderr, "cxhook migrate: %s", PQresultErrorMessage(res));
	PQclear(res);
	return ok;
}

/*
 * The file and its bookkeeping row commit together or not at all, so a
 * crash can never leave a migration applied but unrecorded.
 */
static bool
apply(PGconn *conn, const struct migration *mg, const char *sum)
{
	const char	*params[2] = { mg->name, sum };
	PGresult	*res;
	bool		 ok;

	if (!run_ok(conn, "BEGIN"))
		return false;
	ok = run_ok(conn, mg->sql);
	if (ok) {
		res = PQexecParams(conn, "INSERT INTO schema_migrations (name, "
		    "checksum) VALUES ($1, $2)", 2, NULL, params, NULL, NULL,
		    0);
		ok = PQresultStatus(res) == PGRES_COMMAND_OK;
		if (!ok)
			fprintf(stderr, "cxhook migrate: %s",
			    PQresultErrorMessage(res));
		PQclear(res);
	}
	if (!ok) {
		run_ok(conn, "ROLLBACK");
		fprintf(stderr, "cxhook migrate: %s was not applied\n",
		    mg->name);
		return false;
	}
	return run_ok(conn, "COMMIT");
}

static int
migrate_all(PGconn *conn, bool status_only)
{
	char	sum[80], have[80];
	size_t	i;
	int	pending = 0;

	for (i = 0; i < n_migrations; i++) {
		const struct migration *mg = &migrations[i];

		if (!checksum(conn, mg, sum, sizeof(sum)) ||
		    !recorded(conn, mg->name, have, sizeof(have)))
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
		if (!apply(conn, mg, sum))
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
	PGconn	*conn;
	int	 rc;

	conn = PQconnectdb(cfg->conninfo);
	if (PQstatus(conn) != CONNECTION_OK) {
		fprintf(stderr, "cxhook migrate: %s", PQerrorMessage(conn));
		PQfinish(conn);
		return EX_UNAVAILABLE;
	}
	if (!run_ok(conn, "SET client_min_messages = warning") ||
	    !run_ok(conn, "SELECT pg_advisory_lock(" MIGRATE_LOCK ")") ||
	    !run_ok(conn, create_table)) {
		PQfinish(conn);
		return EX_SOFTWARE;
	}
	rc = migrate_all(conn, status_only);
	run_ok(conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK ")");
	PQfinish(conn);
	return rc;
}
