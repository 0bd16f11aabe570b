-- Demo data for `make run` and the tests.  Safe to load twice.
BEGIN;

INSERT INTO accounts (user_id, balance, currency) VALUES
	('10042', 1250.75, 'USD'),
	('10043', 98234.10, 'USD'),
	('10044', -42.50, 'USD'),
	('20001', 310.00, 'EUR'),
	('20002', 0.00, 'GBP')
ON CONFLICT (user_id) DO NOTHING;

INSERT INTO transactions (user_id, amount, occurred_at, description)
SELECT v.user_id, v.amount, v.occurred_at, v.description
FROM (VALUES
	('10042', -54.20, timestamptz '2026-11-20 10:15:00+00', 'Grocery Mart'),
	('10042', 2500.00, timestamptz '2026-11-15 08:00:00+00', 'Salary'),
	('10042', -1200.00, timestamptz '2026-11-01 09:30:00+00', 'Rent'),
	('10042', -8.75, timestamptz '2026-11-22 17:45:00+00', 'Corner Cafe'),
	('10042', -64.99, timestamptz '2026-11-18 12:00:00+00', 'City Power & Light'),
	('10042', -19.99, timestamptz '2026-11-10 00:00:00+00', 'Streaming Service'),
	('10043', 15000.00, timestamptz '2026-11-03 09:00:00+00', 'Wire transfer'),
	('20001', -12.40, timestamptz '2026-11-21 14:10:00+00', 'Bäckerei Müller')
) AS v(user_id, amount, occurred_at, description)
WHERE NOT EXISTS (SELECT 1 FROM transactions t WHERE t.user_id = v.user_id
	AND t.occurred_at = v.occurred_at AND t.description = v.description);

INSERT INTO services (name, duration, capacity, opens, closes) VALUES
	('haircut', '30 minutes', 2, '09:00', '17:00'),
	('consultation', '1 hour', 1, '10:00', '16:00'),
	('massage', '1 hour', 1, '09:00', '18:00')
ON CONFLICT (name) DO NOTHING;

COMMIT;
