-- The benchmark's data set, deterministic: psql -v accounts=N -v transactions=M -f data.sql
-- on a migrated cxhook database (it replaces what accounts and transactions hold).
--
-- Account i is 'u' || lpad(i, 7, '0') with balance ((i * 104729) % 1000000) / 100,
-- so u0004242 holds 2604.18; transaction j belongs to account (j * 7919) % N + 1,
-- one an hour back from a fixed instant, so every run sees the same rows.
\set ON_ERROR_STOP on
BEGIN;
TRUNCATE transactions, accounts CASCADE;
INSERT INTO accounts (user_id, balance, currency)
SELECT 'u' || lpad(i::text, 7, '0'), ((i::bigint * 104729) % 1000000) / 100.0, 'USD'
  FROM generate_series(1, :accounts) AS i;
INSERT INTO transactions (user_id, amount, occurred_at, description)
SELECT 'u' || lpad(((j::bigint * 7919) % :accounts + 1)::text, 7, '0'),
       ((j::bigint * 7907) % 20000 - 10000) / 100.0,
       timestamptz '2026-11-01 00:00:00+00' - make_interval(hours => j % 50000),
       'purchase ' || (j % 997)
  FROM generate_series(1, :transactions) AS j;
COMMIT;
ANALYZE accounts;
ANALYZE transactions;
