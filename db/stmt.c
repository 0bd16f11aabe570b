/*
 * Every SQL statement cxhook sends (see stmt.h), each with the short name
 * a database error is logged under ("database: book: 40001 ...").
 *
 * Checklist for a new statement:
 *  - a row here, its name unique (tests/unit/test_stmt.c checks the
 *    table: names, $n against nparams, who may run it);
 *  - its constant in enum db_stmt (handlers/wh.h) when a handler runs it,
 *    else in enum db_edge_stmt (stmt.h);
 *  - the schema it reads in sql/migrations/;
 *  - a statement of the workers or the courier may be sent twice: when
 *    the connection breaks mid-statement, db.c sends it once more on a
 *    new one, and it cannot know whether the first one committed.  So it
 *    is a read, or a write made idempotent in SQL (cxhook_book by request
 *    key, cxhook_cancel by state, the outbox by row id).
 */
#include <stddef.h>

#include "db/stmt.h"

/* Rows a courier may be delivering, left to it; see DB_OUTBOX_CLAIM. */
#define UNDELIVERED_BEFORE \
    "NOT EXISTS (SELECT 1 FROM booking_outbox p" \
    "       WHERE p.confirmation_id = o.confirmation_id" \
    "         AND p.id < o.id AND p.delivered_at IS NULL)"

const struct db_sql db_stmts[DB_ALL_STMTS] = {
	/* ---- The handlers' (and /healthz's), through struct db_ops. */
	[DB_PING] = { "ping", "SELECT 1", 0, DB_WORKER, DB_PREPARED },
	[DB_ACCOUNT_BALANCE] = { "account balance",
	    "SELECT balance::text, currency FROM accounts WHERE user_id = $1",
	    1, DB_WORKER, DB_PREPARED },
	[DB_RECENT_TRANSACTIONS] = { "recent transactions",
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
	    " ORDER BY t.occurred_at DESC, t.id DESC", 2, DB_WORKER,
	    DB_PREPARED },
	[DB_LIST_SERVICES] = { "list services",
	    "SELECT name, to_char(opens, 'FMHH12:MI AM'),"
	    "       to_char(closes, 'FMHH12:MI AM')"
	    "  FROM services ORDER BY name", 0, DB_WORKER, DB_PREPARED },
	[DB_BOOK] = { "book",
	    "SELECT outcome, confirmation_id, service, slot_date::text,"
	    "       to_char(slot_time, 'HH24:MI'), say_date, say_time,"
	    "       to_char(opens, 'FMHH12:MI AM'),"
	    "       to_char(closes, 'FMHH12:MI AM'),"
	    "       array_to_string(free_slots, '|')"
	    "  FROM cxhook_book($1, $2::date, $3::time, $4, $5, $6, $7, $8,"
	    "       $9, $10, $11::boolean)", 11, DB_WORKER, DB_PREPARED },
	[DB_BOOKING_STATUS] = { "booking status",
	    "SELECT b.confirmation_id, b.service, b.status,"
	    "       cxhook_say_date(b.starts_at AT TIME ZONE $2),"
	    "       cxhook_say_time(b.starts_at AT TIME ZONE $2),"
	    "       (b.starts_at AT TIME ZONE $2)::date::text,"
	    "       to_char(b.starts_at AT TIME ZONE $2, 'HH24:MI')"
	    "  FROM bookings b WHERE b.confirmation_id = upper(btrim($1))", 2,
	    DB_WORKER, DB_PREPARED },
	[DB_BOOKING_CANCEL] = { "cancel booking",
	    "SELECT outcome, service, say_date, say_time"
	    "  FROM cxhook_cancel($1, $2, $3::boolean)", 3, DB_WORKER,
	    DB_PREPARED },

	/* ---- The connection's own, and transactions. */
	/*
	 * The booking functions rely on READ COMMITTED: after waiting for a
	 * lock, a statement must see what the holder committed (the booking
	 * it made, the capacity it took).  A database or role default of
	 * REPEATABLE READ would double-book or overbook, so each worker
	 * connection says what it needs.
	 */
	[DB_READ_COMMITTED] = { "read committed",
	    "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL "
	    "READ COMMITTED", 0, DB_WORKER, DB_ON_CONNECT },
	[DB_BEGIN] = { "begin", "BEGIN", 0, DB_MIGRATE, DB_AS_IS },
	[DB_COMMIT] = { "commit", "COMMIT", 0, DB_MIGRATE, DB_AS_IS },
	/* Also what a worker sends after a request that left one open. */
	[DB_ROLLBACK] = { "rollback", "ROLLBACK", 0, DB_WORKER | DB_MIGRATE,
	    DB_AS_IS },

	/* ---- The booking courier's (courier/courier.c). */
	/* Woken as soon as cxhook_book() or cxhook_cancel() writes a row. */
	[DB_OUTBOX_LISTEN] = { "outbox listen", "LISTEN cxhook_outbox", 0,
	    DB_COURIER, DB_ON_CONNECT },
	/*
	 * Claiming pushes a row's next attempt a lease into the future before
	 * it is POSTed, under FOR UPDATE SKIP LOCKED, so two couriers (two
	 * hosts) never deliver one row at the same time, and a courier that
	 * dies mid-POST has its row retried after the lease.  A row waits
	 * while an older row of its booking is undelivered: the changes of
	 * one booking arrive in order.
	 */
	[DB_OUTBOX_CLAIM] = { "outbox claim",
	    "UPDATE booking_outbox SET attempts = attempts + 1,"
	    "       next_attempt_at = now() + make_interval(secs => $1::float8)"
	    " WHERE id IN ("
	    "   SELECT o.id FROM booking_outbox o"
	    "    WHERE o.delivered_at IS NULL AND o.next_attempt_at <= now()"
	    "      AND " UNDELIVERED_BEFORE
	    "    ORDER BY o.id LIMIT $2::int FOR UPDATE SKIP LOCKED)"
	    " RETURNING id, idempotency_key, payload::text, attempts", 2,
	    DB_COURIER, DB_PREPARED },
	[DB_OUTBOX_DELIVERED] = { "outbox delivered",
	    "UPDATE booking_outbox SET delivered_at = now(), last_error = NULL"
	    " WHERE id = $1", 1, DB_COURIER, DB_PREPARED },
	[DB_OUTBOX_RETRY] = { "outbox retry",
	    "UPDATE booking_outbox"
	    "   SET next_attempt_at = now() + make_interval(secs => $2::float8),"
	    "       last_error = $3"
	    " WHERE id = $1", 3, DB_COURIER, DB_PREPARED },
	/* Rows waiting behind an older change of their booking do not count. */
	[DB_OUTBOX_NEXT_DUE] = { "outbox next due",
	    "SELECT ceil(extract(epoch FROM min(o.next_attempt_at) - now())"
	    "       * 1000)"
	    "  FROM booking_outbox o"
	    " WHERE o.delivered_at IS NULL AND " UNDELIVERED_BEFORE, 0,
	    DB_COURIER, DB_PREPARED },

	/* ---- `cxhook migrate`'s (cli/migrate.c). */
	/* CREATE TABLE IF NOT EXISTS and the like say NOTICEs nobody needs. */
	[DB_MIGRATE_QUIET] = { "migrate quiet",
	    "SET client_min_messages = warning", 0, DB_MIGRATE,
	    DB_ON_CONNECT },
	/*
	 * A session-level lock, so that runners on two hosts take turns; the
	 * key is "cxhook" in ASCII, as a decimal bigint.
	 */
	[DB_MIGRATE_LOCK] = { "migrate lock",
	    "SELECT pg_advisory_lock(27998412518420331)", 0, DB_MIGRATE,
	    DB_PREPARED },
	[DB_MIGRATE_UNLOCK] = { "migrate unlock",
	    "SELECT pg_advisory_unlock(27998412518420331)", 0, DB_MIGRATE,
	    DB_PREPARED },
	[DB_MIGRATE_TABLE] = { "migrate table",
	    "CREATE TABLE IF NOT EXISTS schema_migrations ("
	    "  name text PRIMARY KEY,"
	    "  checksum text NOT NULL,"
	    "  applied_at timestamptz NOT NULL DEFAULT now())", 0, DB_MIGRATE,
	    DB_AS_IS },
	/* Computed by PostgreSQL, so that no crypto library is linked. */
	[DB_MIGRATE_CHECKSUM] = { "migration checksum",
	    "SELECT encode(sha256(convert_to($1, 'UTF8')), 'hex')", 1,
	    DB_MIGRATE, DB_PREPARED },
	[DB_MIGRATE_RECORDED] = { "migration recorded",
	    "SELECT checksum, applied_at::text FROM schema_migrations"
	    " WHERE name = $1", 1, DB_MIGRATE, DB_PREPARED },
	[DB_MIGRATE_RECORD] = { "record migration",
	    "INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)",
	    2, DB_MIGRATE, DB_PREPARED },
};
