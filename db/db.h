/*
 * PostgreSQL for one worker: one libpq connection, opened after fork,
 * every statement prepared once per connection (and again after any
 * reconnect), every call bounded by the request's deadline.
 */
#ifndef CXHOOK_DB_H
#define CXHOOK_DB_H

#include <stdint.h>

#include "handlers/wh.h"
#include "lib/clock.h"

struct db;

extern const struct db_ops db_pg_ops;

struct pg_result;

/*
 * What went wrong, for the log: the SQLSTATE, PostgreSQL's primary message
 * with its quoted parts left out (they may be what a caller said), and
 * the constraint's name; never the DETAIL, which can hold a whole row.
 */
const char	*db_error(const struct pg_result *, char *buf, size_t bufsz);
/* A notice processor (PQsetNoticeReceiver) that logs the same way. */
void		 db_log_notice(void *, const struct pg_result *);

/*
 * 0 when libpq can parse conninfo, else -1 with what is wrong in err
 * (quoted parts left out: they may be a password).
 */
int		 db_conninfo_check(const char *conninfo, char *err,
		    size_t errsz);

/* Never fails: the connection is made on first use, and remade after loss. */
struct db	*db_open(const char *conninfo, int64_t connect_timeout_ms);
void		 db_close(struct db *);
/*
 * Connects and prepares every statement now (at worker start), so the
 * first request pays for neither; 0 or -1 (then it happens on first use).
 */
int		 db_warm(struct db *, int64_t deadline_ms);
/*
 * After each request: leaves no transaction open on the connection, and
 * collects the child that sent a cancel if it is done.
 */
void		 db_end_request(struct db *);

#endif
