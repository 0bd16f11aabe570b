/*
 * Schema migrations: the files of sql/migrations/, compiled into the
 * binary in name order (scripts/embed-sql.sh), applied by `cxhook migrate`.
 */
#ifndef CXHOOK_MIGRATE_H
#define CXHOOK_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>

struct migration {
	const char	*name;		/* "0001_accounts.sql" */
	const char	*sql;
	size_t		 len;
};

extern const struct migration	migrations[];
extern const size_t		n_migrations;

struct config;

/* Applies what is pending (or, with status_only, lists); an exit code. */
int	migrate_run(const struct config *, bool status_only);

#endif
