-- Applied by `cxhook migrate` inside one transaction with its bookkeeping
-- row; by hand: psql -1 -f FILE (one transaction).
--
-- One request key, one booking, however many copies of the request race.
--
-- 0003 looked the request key up under the service's row lock.  That lock
-- orders bookings of one service, not requests with one key: two bodies
-- under one key naming different services (or two sessions whose
-- Dialogflow response ids are equal, when the key did not name the
-- session) both missed the key, both inserted, and the loser hit the
-- unique index, which the caller heard as "database unavailable".  Now:
--
--  * the key is what cxhook sends (session path, response id and tag)
--    hashed with SHA-256, so it has a fixed length and shows no session
--    id in clear;
--  * an advisory transaction lock on the key orders every call with that
--    key, whatever it books, before the key is looked up; a later call
--    finds the booking of the first and answers with it;
--  * the insert does nothing on a conflicting key and answers with the
--    row that holds it, so the unique index never becomes an error, even
--    for a row put there without the lock (by hand, say).
--
-- The function is written for READ COMMITTED, where each statement sees
-- what committed before it began: the key lookup and the capacity count
-- that follow a lock wait see the booking that was waited for.  Under
-- REPEATABLE READ or SERIALIZABLE they would see the snapshot taken before
-- the wait, miss it, and book twice or overbook; so it refuses to run
-- there.  cxhook sets READ COMMITTED on its own connections (fcgi/db.c),
-- whatever the database or role default says.

COMMENT ON COLUMN bookings.request_key IS
    'SHA-256 (hex) of the key of the request that made the booking: '
    '"<session path>/<detectIntentResponseId>:booking.create"; before '
    'migration 0004 the response id and tag in clear.';

-- The first booking made under a request key, as cxhook_book answers it.
CREATE FUNCTION cxhook_booked(p_key text, p_tz text)
RETURNS TABLE (outcome text, confirmation_id text, service text,
    slot_date date, slot_time time, say_date text, say_time text,
    opens time, closes time, free_slots text[])
LANGUAGE sql STABLE AS $$
	SELECT 'booked', b.confirmation_id, b.service,
	    (b.starts_at AT TIME ZONE p_tz)::date,
	    (b.starts_at AT TIME ZONE p_tz)::time,
	    cxhook_say_date(b.starts_at AT TIME ZONE p_tz),
	    cxhook_say_time(b.starts_at AT TIME ZONE p_tz),
	    s.opens, s.closes, NULL::text[]
	  FROM bookings b JOIN services s ON s.name = b.service
	 WHERE b.request_key = p_key
$$;

-- As in 0003, but p_request_key is hashed before it is stored or looked
-- up, and every call with one key is serialised (see above).
CREATE OR REPLACE FUNCTION cxhook_book(p_service text, p_date date,
    p_time time, p_tz text, p_name text, p_email text, p_phone text,
    p_session text, p_request_key text, p_confirmation text,
    p_forward boolean)
RETURNS TABLE (outcome text, confirmation_id text, service text,
    slot_date date, slot_time time, say_date text, say_time text,
    opens time, closes time, free_slots text[])
LANGUAGE plpgsql AS $$
DECLARE
	svc	services%ROWTYPE;
	v_key	text;
	v_local	timestamp := p_date + p_time;
	v_start	timestamptz := (p_date + p_time) AT TIME ZONE p_tz;
BEGIN
	IF current_setting('transaction_isolation') <> 'read committed' THEN
		RAISE EXCEPTION 'cxhook_book needs READ COMMITTED, not %',
		    current_setting('transaction_isolation')
		    USING ERRCODE = 'invalid_transaction_state';
	END IF;
	IF p_request_key IS NOT NULL THEN
		v_key := encode(sha256(convert_to(p_request_key, 'UTF8')),
		    'hex');
		-- Held to the end of the transaction.  The first number keeps
		-- these locks apart from any other user of the two-int form.
		PERFORM pg_advisory_xact_lock(1668835426, hashtext(v_key));
		-- A retry, or a copy that got here first: its answer.
		RETURN QUERY SELECT * FROM cxhook_booked(v_key, p_tz);
		IF FOUND THEN
			RETURN;
		END IF;
	END IF;

	-- The row lock serialises bookings of this service (no overbooking).
	SELECT * INTO svc FROM services s
	 WHERE s.name = lower(btrim(p_service)) FOR UPDATE;
	IF NOT FOUND THEN
		RETURN QUERY SELECT 'unknown_service', NULL::text, NULL::text,
		    NULL::date, NULL::time, NULL::text, NULL::text,
		    NULL::time, NULL::time, NULL::text[];
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
	    p_email, p_phone, p_session, v_key)
	ON CONFLICT (request_key) DO NOTHING;
	IF NOT FOUND THEN
		-- Taken by a caller that did not take the lock: its answer.
		RETURN QUERY SELECT * FROM cxhook_booked(v_key, p_tz);
		RETURN;
	END IF;
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
