-- The benchmark's data set, deterministic: psql -v accounts=N -v transactions=M -f data.sql
-- on a migrated cxhook database (it replaces what accounts and transactions hold).
--
-- Account i is 'u' and i in at least 7 digits (u0004242, u10000000), with balance
-- ((i * 104729) % 1000000) / 100, so u0004242 holds 2604.18. Transaction j belongs
-- to account (j * 7919) % K + 1 where K = min(accounts, transactions / 10): ten
-- transactions per active account at any size, so a recent-transactions answer is
-- the same work on the small and the large set. Each is one hour back from a fixed
-- instant, so every run sees the same rows.
\set ON_ERROR_STOP on
BEGIN;
TRUNCATE transactions, accounts CASCADE;
INSERT INTO accounts (user_id, balance, currency)
SELECT 'u' || lpad(i::text, greatest(7, length(i::text)), '0'), ((i::bigint * 104729) % 1000000) / 100.0, 'USD'
  FROM generate_series(1, :accounts) AS i;
INSERT INTO transactions (user_id, amount, occurred_at, description)
SELECT 'u' || lpad(a::text, greatest(7, length(a::text)), '0'),
       ((j::bigint * 7907) % 20000 - 10000) / 100.0,
       timestamptz '2026-11-01 00:00:00+00' - make_interval(hours => j % 50000),
       'purchase ' || (j % 997)
  FROM generate_series(1, :transactions) AS j,
       LATERAL (SELECT (j::bigint * 7919) % least(:accounts, greatest(:transactions / 10, 1)) + 1 AS a) AS owner;
COMMIT;
-- Now, not during a measurement: autovacuum would otherwise take up the
-- freshly inserted rows (PostgreSQL 13+) while the bench runs.
VACUUM (ANALYZE) accounts;
VACUUM (ANALYZE) transactions;
