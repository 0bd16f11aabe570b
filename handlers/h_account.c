/*
 * Account handlers: the `database-query` tag (by query_type) and the
 * account.balance / account.transactions intents.
 *
 * Money stays text from the numeric column to the sentence and to the
 * `balance` session parameter.  An unknown account is said plainly, never
 * as a zero balance.
 */
#include <stdio.h>
#include <string.h>

#include "cx/rich.h"
#include "handlers/wh.h"
#include "lib/buf.h"

#define USER_ID_MAX	64
#define TXN_DEFAULT	5
#define TXN_MAX		20

/* Reads user_id; asks for it (and returns false) when it is missing. */
static bool
want_user_id(struct wh_ctx *ctx, char *uid, size_t uidsz)
{
	if (cx_param_text(ctx->req, "user_id", uid, uidsz))
		return true;
	cx_resp_say(ctx->resp,
	    "To look up your account, I need your user ID. What is it?");
	return false;
}

static void
say_unknown_account(struct wh_ctx *ctx, const char *uid)
{
	wh_fail(ctx, "account_not_found",
	    "I couldn't find an account with user ID %s. "
	    "Please check the number and try again.", uid);
}

/* CHAR(3) comes back blank-padded when shorter; trim for lookups. */
static void
copy_currency(const char *s, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s", s != NULL ? s : "");
	out[strcspn(out, " ")] = '\0';
}

static enum wh_status
balance(struct wh_ctx *ctx)
{
	char		 uid[USER_ID_MAX + 1], cur[8], money[96];
	const char	*params[1];
	const char	*amount;
	struct db_rows	 rows;
	struct rich	*rc;
	enum wh_status	 st;

	if (!want_user_id(ctx, uid, sizeof(uid)))
		return WH_OK;
	params[0] = uid;
	st = ctx->db_ops->exec(ctx->db, DB_ACCOUNT_BALANCE, params, 1, &rows,
	    ctx->deadline_ms);
	if (st != WH_OK)
		return st;
	if (rows.nrows == 0) {
		db_rows_clear(&rows);
		say_unknown_account(ctx, uid);
		return WH_OK;
	}
	amount = db_cell(&rows, 0, 0);
	copy_currency(db_cell(&rows, 0, 1), cur, sizeof(cur));
	if (amount == NULL || money_format(amount, cur, money,
	    sizeof(money)) == -1) {
		db_rows_clear(&rows);
		return WH_INTERNAL;
	}
	cx_resp_say(ctx->resp, "Your current account balance is %s.", money);
	cx_resp_set_number_text(ctx->resp, "balance", amount);
	cx_resp_set_str(ctx->resp, "currency", cur);
	rc = rich_new();
	rich_info(rc, "Account balance", money, NULL);
	cx_resp_rich(ctx->resp, rc);
	db_rows_clear(&rows);
	return WH_OK;
}

/* limit: default 5, at most 20; "a lot" (1e300) means the most. */
static long
txn_limit(const struct cx_request *req)
{
	double	d;

	if (!cx_param_num(req, "limit", &d) || d < 1)
		return TXN_DEFAULT;
	return d > TXN_MAX ? TXN_MAX : (long)d;
}

/*
 * "Nov 22: Corner Cafe, -$8.75" for each row, joined by "; ", and the same
 * rows as a Messenger list (description, then day and amount).
 */
static enum wh_status
say_transactions(struct wh_ctx *ctx, const struct db_rows *rows,
    const char *cur)
{
	struct buf	 line;
	struct rich	*rc;
	char		 money[96], sub[160];
	int		 i, n = rows->nrows;
	enum wh_status	 st = WH_OK;

	buf_init(&line);
	rc = rich_new();
	if (n == 1)
		buf_puts(&line, "Your last transaction: ");
	else
		buf_printf(&line, "Your last %d transactions: ", n);
	for (i = 0; i < n && st == WH_OK; i++) {
		if (money_format(db_cell(rows, i, 1), cur, money,
		    sizeof(money)) == -1)
			st = WH_INTERNAL;
		else {
			buf_printf(&line, "%s%s: %s, %s", i > 0 ? "; " : "",
			    db_cell(rows, i, 2), db_cell(rows, i, 3), money);
			snprintf(sub, sizeof(sub), "%s \xc2\xb7 %s",
			    db_cell(rows, i, 2), money);
			if (i > 0)
				rich_divider(rc);
			rich_list(rc, db_cell(rows, i, 3), sub, NULL);
		}
	}
	if (st == WH_OK) {
		cx_resp_say(ctx->resp, "%s.", line.p);
		cx_resp_set_int(ctx->resp, "transaction_count", n);
		cx_resp_rich(ctx->resp, rc);
	} else
		rich_free(rc);
	buf_clear(&line);
	return st;
}

static enum wh_status
transactions(struct wh_ctx *ctx)
{
	char		 uid[USER_ID_MAX + 1], lim[16], cur[8];
	const char	*params[2];
	struct db_rows	 rows;
	enum wh_status	 st;

	if (!want_user_id(ctx, uid, sizeof(uid)))
		return WH_OK;
	snprintf(lim, sizeof(lim), "%ld", txn_limit(ctx->req));
	params[0] = uid;
	params[1] = lim;
	st = ctx->db_ops->exec(ctx->db, DB_RECENT_TRANSACTIONS, params, 2,
	    &rows, ctx->deadline_ms);
	if (st != WH_OK)
		return st;
	if (rows.nrows == 0) {
		say_unknown_account(ctx, uid);
	} else if (db_cell(&rows, 0, 1) == NULL) {
		/* The LEFT JOIN found the account but no transactions. */
		cx_resp_say(ctx->resp,
		    "You don't have any transactions yet.");
		cx_resp_set_int(ctx->resp, "transaction_count", 0);
	} else {
		copy_currency(db_cell(&rows, 0, 0), cur, sizeof(cur));
		st = say_transactions(ctx, &rows, cur);
	}
	db_rows_clear(&rows);
	return st;
}

enum wh_status
h_account_balance(struct wh_ctx *ctx)
{
	return balance(ctx);
}

enum wh_status
h_account_transactions(struct wh_ctx *ctx)
{
	return transactions(ctx);
}

enum wh_status
h_database_query(struct wh_ctx *ctx)
{
	char	qt[64];

	if (!cx_param_text(ctx->req, "query_type", qt, sizeof(qt))) {
		cx_resp_say(ctx->resp, "What would you like to know: your "
		    "account balance or your recent transactions?");
		return WH_OK;
	}
	if (strcmp(qt, "account_balance") == 0)
		return balance(ctx);
	if (strcmp(qt, "recent_transactions") == 0)
		return transactions(ctx);
	wh_fail(ctx, "unsupported_query", "Sorry, I can't look that up. "
	    "I can tell you your account balance or your recent "
	    "transactions.");
	return WH_OK;
}
