/*
 * A fake struct db_ops for the unit tests, header-only (the Makefile links
 * each tests/unit/test_*.c alone with the core objects, so a shared fake
 * cannot be a separate object file).
 *
 * The fake answers every enum db_stmt from two small in-memory tables,
 * shaped like the result sets of the statements in db/stmt.c:
 *
 *   DB_PING                 one row, one cell "1"
 *   DB_ACCOUNT_BALANCE      $1 user_id -> (balance, currency), or no rows
 *   DB_RECENT_TRANSACTIONS  $1 user_id, $2 limit -> (currency, amount, day,
 *                           description) newest first; one row with NULL
 *                           amount/day/description for an account with no
 *                           transactions; no rows for an unknown account
 *
 * Other statements (the booking family) answer with whatever result set
 * the test set with fake_db_can().
 *
 * It records what it was called with, counts row sets handed out and
 * released (so a handler that forgets db_rows_clear() is caught), and can be
 * told to fail every call with a given enum wh_status.
 *
 * Also here: small json-c helpers for reading an encoded response back.
 * Everything is static inline so that a test file using only part of it
 * compiles without warnings.
 */
#ifndef CXHOOK_TEST_FAKE_DB_H
#define CXHOOK_TEST_FAKE_DB_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "cx/cx.h"
#include "cx/json_strict.h"
#include "handlers/wh.h"
#include "lib/buf.h"

struct fake_account {
	const char	*user_id;
	const char	*balance;	/* numeric text, NULL for SQL NULL */
	const char	*currency;
};

struct fake_txn {
	const char	*user_id;
	const char	*amount;
	const char	*day;		/* to_char(..., 'Mon FMDD') */
	const char	*description;
};

#define FAKE_MAX_PARAMS	12
#define FAKE_PARAM_MAX	128

struct fake_db {
	/* Set by the test. */
	enum wh_status			 fail;	/* != WH_OK: every call fails */
	const struct fake_account	*accounts;
	size_t				 naccounts;
	const struct fake_txn		*txns;	/* newest first */
	size_t				 ntxns;
	/*
	 * Any other statement answers with a canned result set:
	 * canned[stmt] holds rows x cols cells, row-major (NULL = SQL NULL).
	 */
	const char *const		*canned[DB_NSTMTS];
	int				 canned_rows[DB_NSTMTS];
	int				 canned_cols[DB_NSTMTS];

	/* Recorded by the fake. */
	int				 calls;
	int				 calls_by_stmt[DB_NSTMTS];
	enum db_stmt			 last_stmt;
	int				 last_nparams;
	char				 last_params[FAKE_MAX_PARAMS][FAKE_PARAM_MAX];
	int64_t				 last_deadline_ms;
	int				 handed_out;	/* row sets returned */
	int				 released;	/* ... and released */
};

static const struct fake_account fake_accounts_default[] = {
	{ "10042", "1250.75", "USD" },
	{ "20077", "98234.10", "EUR" },
	{ "30001", "0.00", "GBP" },		/* no transactions */
	{ "40404", NULL, "USD" },		/* a broken row */
};

static const struct fake_txn fake_txns_default[] = {
	{ "10042", "-8.75", "Nov 22", "Corner Cafe" },
	{ "10042", "2500.00", "Nov 21", "Payroll Deposit" },
	{ "10042", "-64.30", "Nov 20", "Grocery Mart" },
	{ "10042", "-1200.00", "Nov 1", "Rent" },
	{ "10042", "-15.99", "Oct 30", "Streaming Service" },
	{ "10042", "-42.50", "Oct 28", "Gas Station" },
	{ "10042", "-3.10", "Oct 27", "Bakery" },
	{ "20077", "-100.00", "Nov 2", "Transfer" },
};

static inline void
fake_db_init(struct fake_db *f)
{
	memset(f, 0, sizeof(*f));
	f->fail = WH_OK;
	f->accounts = fake_accounts_default;
	f->naccounts = sizeof(fake_accounts_default) /
	    sizeof(fake_accounts_default[0]);
	f->txns = fake_txns_default;
	f->ntxns = sizeof(fake_txns_default) / sizeof(fake_txns_default[0]);
}

static inline void
fake_rows_release(struct db_rows *r)
{
	struct fake_db	*f = r->owner;

	free((void *)r->cells);
	f->released++;
}

/* Allocates an nrows x ncols result set owned by f. */
static inline void
fake_rows_new(struct fake_db *f, struct db_rows *out, int nrows, int ncols)
{
	size_t	n = (size_t)nrows * (size_t)ncols;

	out->nrows = nrows;
	out->ncols = ncols;
	out->cells = calloc(n == 0 ? 1 : n, sizeof(*out->cells));
	if (out->cells == NULL)
		abort();
	out->owner = f;
	out->release = fake_rows_release;
	f->handed_out++;
}

static inline const struct fake_account *
fake_find_account(const struct fake_db *f, const char *uid)
{
	size_t	i;

	for (i = 0; i < f->naccounts; i++)
		if (strcmp(f->accounts[i].user_id, uid) == 0)
			return &f->accounts[i];
	return NULL;
}

static inline enum wh_status
fake_exec(void *db, enum db_stmt stmt, const char *const *params,
    int nparams, struct db_rows *out, int64_t deadline_ms)
{
	struct fake_db			*f = db;
	const struct fake_account	*a;
	int				 i, n, limit;
	size_t				 t;

	f->calls++;
	if ((int)stmt >= 0 && stmt < DB_NSTMTS)
		f->calls_by_stmt[stmt]++;
	f->last_stmt = stmt;
	f->last_nparams = nparams;
	f->last_deadline_ms = deadline_ms;
	memset(f->last_params, 0, sizeof(f->last_params));
	for (i = 0; i < nparams && i < FAKE_MAX_PARAMS; i++)
		snprintf(f->last_params[i], sizeof(f->last_params[i]), "%s",
		    params[i] != NULL ? params[i] : "(null)");
	memset(out, 0, sizeof(*out));
	if (f->fail != WH_OK)
		return f->fail;

	switch (stmt) {
	case DB_PING:
		fake_rows_new(f, out, 1, 1);
		out->cells[0] = "1";
		return WH_OK;
	case DB_ACCOUNT_BALANCE:
		if (nparams != 1)
			return WH_INTERNAL;
		if ((a = fake_find_account(f, params[0])) == NULL) {
			fake_rows_new(f, out, 0, 2);
			return WH_OK;
		}
		fake_rows_new(f, out, 1, 2);
		out->cells[0] = a->balance;
		out->cells[1] = a->currency;
		return WH_OK;
	case DB_RECENT_TRANSACTIONS:
		if (nparams != 2)
			return WH_INTERNAL;
		limit = atoi(params[1]);
		if ((a = fake_find_account(f, params[0])) == NULL) {
			fake_rows_new(f, out, 0, 4);
			return WH_OK;
		}
		for (n = 0, t = 0; t < f->ntxns; t++)
			if (strcmp(f->txns[t].user_id, a->user_id) == 0)
				n++;
		if (n > limit)
			n = limit;
		if (n == 0) {
			/* The LEFT JOIN's one row of NULLs. */
			fake_rows_new(f, out, 1, 4);
			out->cells[0] = a->currency;
			return WH_OK;
		}
		fake_rows_new(f, out, n, 4);
		for (i = 0, t = 0; t < f->ntxns && i < n; t++) {
			if (strcmp(f->txns[t].user_id, a->user_id) != 0)
				continue;
			out->cells[i * 4 + 0] = a->currency;
			out->cells[i * 4 + 1] = f->txns[t].amount;
			out->cells[i * 4 + 2] = f->txns[t].day;
			out->cells[i * 4 + 3] = f->txns[t].description;
			i++;
		}
		return WH_OK;
	case DB_LIST_SERVICES:
	case DB_BOOK:
	case DB_BOOKING_STATUS:
	case DB_BOOKING_CANCEL:
		if (f->canned[stmt] == NULL && f->canned_rows[stmt] != 0)
			return WH_INTERNAL;
		fake_rows_new(f, out, f->canned_rows[stmt],
		    f->canned_cols[stmt]);
		for (i = 0; i < f->canned_rows[stmt] * f->canned_cols[stmt]; i++)
			out->cells[i] = f->canned[stmt][i];
		return WH_OK;
	case DB_NSTMTS:
		break;
	}
	return WH_INTERNAL;
}

/* Sets the canned answer for stmt. */
static inline void
fake_db_can(struct fake_db *f, enum db_stmt stmt, int rows, int cols,
    const char *const *cells)
{
	f->canned[stmt] = cells;
	f->canned_rows[stmt] = rows;
	f->canned_cols[stmt] = cols;
}

static const struct db_ops fake_db_ops = { fake_exec };

/* ---- reading JSON back ---- */

/*
 * Looks up "a.b[2].c" in o.  Returns true when the member exists; *out is
 * then the value (NULL for a JSON null).
 */
static inline bool
jlookup(json_object *o, const char *path, json_object **out)
{
	const char	*p = path;
	char		 key[256], *end;
	size_t		 n;
	long		 idx;

	*out = NULL;
	while (*p != '\0') {
		if (*p == '.') {
			p++;
			continue;
		}
		if (*p == '[') {
			idx = strtol(p + 1, &end, 10);
			if (*end != ']' || o == NULL ||
			    !json_object_is_type(o, json_type_array) ||
			    idx < 0 || (size_t)idx >= json_object_array_length(o))
				return false;
			o = json_object_array_get_idx(o, (size_t)idx);
			p = end + 1;
			continue;
		}
		n = strcspn(p, ".[");
		if (n >= sizeof(key) || o == NULL ||
		    !json_object_is_type(o, json_type_object))
			return false;
		memcpy(key, p, n);
		key[n] = '\0';
		if (!json_object_object_get_ex(o, key, &o))
			return false;
		p += n;
	}
	*out = o;
	return true;
}

static inline json_object *
jget(json_object *o, const char *path)
{
	json_object	*v;

	return jlookup(o, path, &v) ? v : NULL;
}

static inline bool
jhas(json_object *o, const char *path)
{
	json_object	*v;

	return jlookup(o, path, &v);
}

/* The string at path, or NULL when absent or not a string. */
static inline const char *
jstr(json_object *o, const char *path)
{
	json_object	*v = jget(o, path);

	return v != NULL && json_object_is_type(v, json_type_string) ?
	    json_object_get_string(v) : NULL;
}

/*
 * Parses exactly len bytes as one JSON object, or returns NULL.  The
 * project's own strict check comes first, on a copy (it may rewrite
 * escapes): json-c alone would take a bare NaN, which no client could.
 */
static inline json_object *
jparse(const char *s, size_t len)
{
	struct json_tokener	*tok;
	struct cx_err		 err;
	json_object		*o;
	char			*copy;
	int			 strict;

	if ((copy = malloc(len + 1)) == NULL)
		return NULL;
	memcpy(copy, s, len);
	copy[len] = '\0';
	strict = json_strict_check(copy, len, CX_MAX_DEPTH, &err);
	free(copy);
	if (strict != 0 || (tok = json_tokener_new()) == NULL)
		return NULL;
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, s, (int)len);
	if (json_tokener_get_error(tok) != json_tokener_success ||
	    json_tokener_get_parse_end(tok) != len) {
		json_object_put(o);
		o = NULL;
	}
	json_tokener_free(tok);
	return o;
}

/* Decodes a request from a literal (cx_decode wants a writable body). */
static inline int
decode_str(const char *json, struct cx_request *req, struct cx_err *err)
{
	size_t	 len = strlen(json);
	char	*body;
	int	 rc;

	if ((body = malloc(len + 1)) == NULL)
		abort();
	memcpy(body, json, len + 1);
	memset(err, 0, sizeof(*err));
	rc = cx_decode(body, len, req, err);
	/* Nothing in the request may borrow from the body. */
	memset(body, 'X', len);
	free(body);
	return rc;
}

#endif
