-- Applied by `cxhook migrate` inside one transaction with its bookkeeping
-- row; by hand: psql -1 -f FILE (one transaction).
-- Accounts and their transactions: what account.balance and
-- account.transactions read.  Money is numeric(14,2), exact from here to
-- the sentence the caller hears.

CREATE TABLE accounts (
	user_id		text PRIMARY KEY,
	balance		numeric(14,2) NOT NULL,
	currency	char(3) NOT NULL DEFAULT 'USD'
);

CREATE TABLE transactions (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	user_id		text NOT NULL REFERENCES accounts,
	amount		numeric(14,2) NOT NULL,
	occurred_at	timestamptz NOT NULL,
	description	text NOT NULL
);

-- recent_transactions: newest first, per account.
CREATE INDEX transactions_user_recent
	ON transactions (user_id, occurred_at DESC, id DESC);

