-- Applied by `cxhook migrate` inside one transaction with its bookkeeping
-- row; by hand: psql -1 -f FILE (one transaction).
--
-- Booking, status and cancellation as functions, so that each is one
-- round trip and one transaction, and so that the rules that keep a
-- booking from being lost or doubled live next to the data:
--
--  * no overbooking: a booking locks its service's row, so bookings of one
--    service are serialised and the capacity count cannot race;
--  * idempotency: the request key (detectIntentResponseId + tag) is unique,
--    and a retried request gets the booking it made the first time;
--  * the outbox: when forwarding is on, every confirmation or cancellation
--    writes a booking_outbox row in the same transaction, and a separate
--    process delivers it later, so the answer to Dialogflow never waits
--    for the outside calendar and no change is lost if cxhook restarts.
--
-- Times: a booking is made in local time (p_tz, an IANA zone name) and
-- stored as timestamptz.  Two bookings of one service overlap when their
-- [starts_at, starts_at + duration) intervals intersect; a slot is full
-- when `capacity` confirmed bookings overlap it.

CREATE TABLE booking_outbox (
	id		bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	confirmation_id	text NOT NULL,
	event		text NOT NULL CHECK (event IN ('confirmed', 'cancelled')),
	payload		jsonb NOT NULL,
	idempotency_key	text NOT NULL UNIQUE,
	attempts	int NOT NULL DEFAULT 0,
	next_attempt_at	timestamptz NOT NULL DEFAULT now(),
	last_error	text,
	created_at	timestamptz NOT NULL DEFAULT now(),
	delivered_at	timestamptz
);

CREATE INDEX booking_outbox_pending ON booking_outbox (next_attempt_at)
	WHERE delivered_at IS NULL;

-- Confirmed bookings of a service overlapping [p_start, p_start + dur).
CREATE FUNCTION cxhook_overlapping(p_service text, p_start timestamptz,
    p_dur interval) RETURNS bigint
LANGUAGE sql STABLE AS $$
	SELECT count(*) FROM bookings b
	  JOIN services s ON s.name = b.service
	 WHERE b.service = p_service AND b.status = 'confirmed'
	   AND b.starts_at < p_start + p_dur
	   AND b.starts_at + s.duration > p_start
$$;

-- The next p_n free slots of a service at or after p_from (local time),
-- on the service's grid (opening time + k * duration), within 14 days.
CREATE FUNCTION cxhook_free_slots(p_service text, p_from timestamp,
    p_tz text, p_n int) RETURNS SETOF timestamp
LANGUAGE plpgsql STABLE AS $$
DECLARE
	svc	services%ROWTYPE;
	d	date;
	t	time;
	n_found	int := 0;
BEGIN
	SELECT * INTO svc FROM services WHERE name = p_service;
	IF NOT FOUND THEN
		RETURN;
	END IF;
	FOR i IN 0..13 LOOP
		d := p_from::date + i;
		t := svc.opens;
		-- "t + duration > t" stops at midnight, where time wraps.
		WHILE t + svc.duration <= svc.closes AND t + svc.duration > t
		LOOP
			IF d + t >= p_from
			    AND (d + t) AT TIME ZONE p_tz > now()
			    AND cxhook_overlapping(p_service,
			        (d + t) AT TIME ZONE p_tz, svc.duration)
			        < svc.capacity THEN
				RETURN NEXT d + t;
				n_found := n_found + 1;
				IF n_found >= p_n THEN
					RETURN;
				END IF;
			END IF;
			t := t + svc.duration;
		END LOOP;
	END LOOP;
END
$$;

-- A local timestamp as spoken: "Tuesday, December 1, 2026" and "10:00 AM".
CREATE FUNCTION cxhook_say_date(p timestamp) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT to_char(p, 'FMDay, FMMonth FMDD, YYYY')
$$;

CREATE FUNCTION cxhook_say_time(p timestamp) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
	SELECT to_char(p, 'FMHH12:MI AM')
$$;

-- outcome: booked | unknown_service | past_date | past_time | closed | full
-- For booked: the confirmation id (the one given, or the one made by an
-- earlier call with the same request key).  For closed: opening hours.
-- For full: up to three free slots.
CREATE FUNCTION cxhook_book(p_service text, p_date date, p_time time,
    p_tz text, p_name text, p_email text, p_phone text, p_session text,
    p_request_key text, p_confirmation text, p_forward boolean)
RETURNS TABLE (outcome text, confirmation_id text, service text,
    slot_date date, slot_time time, say_date text, say_time text,
    opens time, closes time, free_slots text[])
LANGUAGE plpgsql AS $$
DECLARE
	svc	services%ROWTYPE;
	v_prior	bookings%ROWTYPE;
	v_local	timestamp := p_date + p_time;
	v_start	timestamptz := (p_date + p_time) AT TIME ZONE p_tz;
BEGIN
	-- The row lock serialises bookings of this service (no overbooking).
	SELECT * INTO svc FROM services s
	 WHERE s.name = lower(btrim(p_service)) FOR UPDATE;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 'unknown_service', NULL::text, NULL::text,
		    NULL::date, NULL::time, NULL::text, NULL::text,
		    NULL::time, NULL::time, NULL::text[];
		RETURN;
	END IF;

	-- A retry of a request that already booked: the same answer.
	SELECT * INTO v_prior FROM bookings b
	 WHERE b.request_key = p_request_key;
	IF FOUND THEN
		v_local := v_prior.starts_at AT TIME ZONE p_tz;
		RETURN QUERY SELECT 'booked', v_prior.confirmation_id,
		    v_prior.service, v_local::date, v_local::time,
		    cxhook_say_date(v_local), cxhook_say_time(v_local),
		    svc.opens, svc.closes, NULL::text[];
		RETURN;
	END IF;

	IF v_start <= now() THEN
		RETURN QUERY SELECT CASE WHEN p_date < (now() AT TIME ZONE p_tz)::date
		    THEN 'past_date' ELSE 'past_time' END, NULL::text, svc.name,
		    p_date, p_time,
		    cxhook_say_date(v_local), cxhook_say_time(v_local),
		    svc.opens, svc.closes, NULL::text[];
		RETURN;
	END IF;
	IF p_time < svc.opens OR p_time + svc.duration > svc.closes
	    OR p_time + svc.duration < p_time THEN
		RETURN QUERY SELECT 'closed', NULL::text, svc.name, p_date,
		    p_time, cxhook_say_date(v_local), cxhook_say_time(v_local),
		    svc.opens, svc.closes, NULL::text[];
		RETURN;
	END IF;
	IF cxhook_overlapping(svc.name, v_start, svc.duration) >= svc.capacity
	THEN
		RETURN QUERY SELECT 'full', NULL::text, svc.name, p_date, p_time,
		    cxhook_say_date(v_local), cxhook_say_time(v_local),
		    svc.opens, svc.closes,
		    ARRAY(SELECT to_char(f, 'Dy FMMon FMDD "at" FMHH12:MI AM')
		      FROM cxhook_free_slots(svc.name, v_local, p_tz, 3) f);
		RETURN;
	END IF;

	INSERT INTO bookings (confirmation_id, service, starts_at, status,
	    customer_name, customer_email, customer_phone, session_id,
	    request_key)
	VALUES (p_confirmation, svc.name, v_start, 'confirmed', p_name,
	    p_email, p_phone, p_session, p_request_key);
	IF p_forward THEN
		INSERT INTO booking_outbox (confirmation_id, event, payload,
		    idempotency_key)
		VALUES (p_confirmation, 'confirmed', jsonb_build_object(
		    'event', 'booking.confirmed',
		    'confirmation_id', p_confirmation,
		    'service', svc.name,
		    'starts_at', to_char(v_start AT TIME ZONE 'UTC',
		        'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
		    'duration_minutes', (extract(epoch FROM svc.duration) / 60)::int,
		    'customer', jsonb_build_object('name', p_name,
		        'email', p_email, 'phone', p_phone)),
		    p_confirmation || ':confirmed');
		NOTIFY cxhook_outbox;
	END IF;
	RETURN QUERY SELECT 'booked', p_confirmation, svc.name, p_date, p_time,
	    cxhook_say_date(v_local), cxhook_say_time(v_local), svc.opens,
	    svc.closes, NULL::text[];
END
$$;

-- outcome: cancelled | already_cancelled | not_found.  Idempotent: a
-- second cancellation changes nothing and writes no second outbox row.
CREATE FUNCTION cxhook_cancel(p_confirmation text, p_tz text,
    p_forward boolean)
RETURNS TABLE (outcome text, service text, say_date text, say_time text)
LANGUAGE plpgsql AS $$
DECLARE
	b	bookings%ROWTYPE;
	v_local	timestamp;
BEGIN
	UPDATE bookings x SET status = 'cancelled', cancelled_at = now()
	 WHERE x.confirmation_id = upper(btrim(p_confirmation))
	   AND x.status = 'confirmed'
	RETURNING * INTO b;
	IF FOUND THEN
		IF p_forward THEN
			INSERT INTO booking_outbox (confirmation_id, event,
			    payload, idempotency_key)
			VALUES (b.confirmation_id, 'cancelled',
			    jsonb_build_object('event', 'booking.cancelled',
			        'confirmation_id', b.confirmation_id,
			        'service', b.service,
			        'starts_at', to_char(b.starts_at AT TIME ZONE
			            'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
			    b.confirmation_id || ':cancelled');
			NOTIFY cxhook_outbox;
		END IF;
		v_local := b.starts_at AT TIME ZONE p_tz;
		RETURN QUERY SELECT 'cancelled', b.service,
		    cxhook_say_date(v_local), cxhook_say_time(v_local);
		RETURN;
	END IF;
	SELECT * INTO b FROM bookings x
	 WHERE x.confirmation_id = upper(btrim(p_confirmation));
	IF FOUND THEN
		v_local := b.starts_at AT TIME ZONE p_tz;
		RETURN QUERY SELECT 'already_cancelled', b.service,
		    cxhook_say_date(v_local), cxhook_say_time(v_local);
	ELSE
		RETURN QUERY SELECT 'not_found', NULL::text, NULL::text,
		    NULL::text;
	END IF;
END
$$;
