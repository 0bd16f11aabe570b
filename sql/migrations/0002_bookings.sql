-- Applied by `cxhook migrate` inside one transaction with its bookkeeping
-- row; by hand: psql -1 -f FILE (one transaction).
-- Services that can be booked, and the bookings themselves.

CREATE TABLE services (
	name		text PRIMARY KEY,
	duration	interval NOT NULL,
	capacity	int NOT NULL DEFAULT 1 CHECK (capacity > 0),
	opens		time NOT NULL DEFAULT '09:00',
	closes		time NOT NULL DEFAULT '17:00',
	CHECK (opens < closes)
);

CREATE TABLE bookings (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	confirmation_id	text UNIQUE NOT NULL,
	service		text NOT NULL REFERENCES services,
	starts_at	timestamptz NOT NULL,
	status		text NOT NULL
			CHECK (status IN ('confirmed', 'cancelled')),
	customer_name	text,
	customer_email	text,
	customer_phone	text,
	session_id	text,
	-- detectIntentResponseId + tag of the request that created it: a
	-- retried request finds its booking instead of making another.
	request_key	text UNIQUE,
	created_at	timestamptz NOT NULL DEFAULT now(),
	cancelled_at	timestamptz
);

CREATE INDEX bookings_slot ON bookings (service, starts_at)
	WHERE status = 'confirmed';

