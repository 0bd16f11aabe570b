"""Bookings (booking.create, booking.status, booking.cancel) on a pool of
their own (workers = 4, no forwarding), against the demo services:
haircut (30 min, capacity 2, 09-17), consultation (1 h, capacity 1, 10-16)
and massage (1 h, capacity 1, 09-18).

Every booking is made on a day in the future on which the service has no
booking yet (free_day), so the tests do not depend on each other or on
other test files sharing the database. Bookings are made in UTC (the
default [booking] timezone).
"""

import concurrent.futures
import datetime
import hashlib
import json
import random
import re
import threading

import pytest

from conftest import (CORPUS, check_webhook_response, fcgi_post_json,
                      post_json, psql_rows, session_params, start_own_pool,
                      start_web_server, texts_of, webhook_request)

CONFIRMATION = re.compile(r"^[A-HJ-NP-Z2-9]{10}$")
SERVICES = {"haircut", "consultation", "massage"}


# --------------------------------------------------------------------------
# Helpers

def today_utc():
    return datetime.datetime.now(datetime.timezone.utc).date()


_next_offset = [random.randint(120, 900)]
_used_days = set()


def free_day(database, service):
    """A day at least 120 days ahead on which service has no booking at all
    (and which no other test of this module has used)."""
    for _ in range(400):
        _next_offset[0] += 1
        d = today_utc() + datetime.timedelta(days=_next_offset[0])
        if (service, d) in _used_days:
            continue
        n = psql_rows(database, f"SELECT count(*) FROM bookings WHERE service = '{service}' "
                                f"AND starts_at >= '{d}T00:00:00Z' "
                                f"AND starts_at < '{d + datetime.timedelta(days=1)}T00:00:00Z'")
        if n == [("0",)]:
            _used_days.add((service, d))
            return d
    raise AssertionError(f"no free day for {service} found")


def sys_date(d):
    return {"year": d.year, "month": d.month, "day": d.day}


def sys_time(h, m):
    return {"hours": h, "minutes": m, "seconds": 0, "nanos": 0}


def say_date(d):
    return f"{d:%A}, {d:%B} {d.day}, {d.year}"


def say_time(h, m):
    return f"{(h % 12) or 12}:{m:02d} {'AM' if h < 12 else 'PM'}"


def chip_label(d, h, m):
    """cxhook_book's free-slot label: to_char(f, 'Dy FMMon FMDD "at" FMHH12:MI AM')."""
    return f"{d:%a} {d:%b} {d.day} at {say_time(h, m)}"


def booking_req(tag="booking.create", resp_id=None, session="it-booking", **params):
    req = webhook_request(tag=tag, params={k: v for k, v in params.items() if v is not None},
                          text="I'd like to book an appointment", session=session)
    if resp_id is not None:
        req["detectIntentResponseId"] = resp_id
    return req


def create_req(service, d, h, m, **kw):
    return booking_req(service=service, date=sys_date(d) if isinstance(d, datetime.date) else d,
                       time=sys_time(h, m), customer_name={"name": "Ana Souza"},
                       customer_email="ana.souza@example.com", **kw)


def chips(doc):
    """Options of every chips item of every richContent payload."""
    out = []
    for m in (doc.get("fulfillmentResponse") or {}).get("messages") or []:
        rc = (m.get("payload") or {}).get("richContent")
        for card in rc or []:
            for item in card if isinstance(card, list) else [card]:
                if isinstance(item, dict) and item.get("type") == "chips":
                    out.append([o.get("text") for o in item.get("options") or []])
    return out


def form_state(doc, name):
    infos = (((doc.get("pageInfo") or {}).get("formInfo") or {}).get("parameterInfo")) or []
    states = [i.get("state") for i in infos if i.get("displayName") == name]
    return states[0] if len(states) == 1 else states or None


def session_path(req):
    return req["sessionInfo"]["session"]


def request_key(req):
    """bookings.request_key of a booking.create request: the SHA-256 of
    "<session path>/<detectIntentResponseId>:booking.create"."""
    key = f"{session_path(req)}/{req['detectIntentResponseId']}:booking.create"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def rows_for_key(database, req):
    return psql_rows(database, "SELECT confirmation_id, service, status FROM bookings "
                               f"WHERE request_key = '{request_key(req)}'")


def db_services(database):
    return {r[0] for r in psql_rows(database, "SELECT name FROM services")}


# --------------------------------------------------------------------------
# Fixtures

@pytest.fixture(scope="module")
def bpool(cxhook_bin, workdir, database):
    p = start_own_pool(cxhook_bin, workdir, database, "booking", workers=4,
                       extra="\n[booking]\ntimezone = UTC\n")
    yield p
    p.proc.stop()


@pytest.fixture(scope="module")
def blighttpd(workdir, bpool):
    ws = start_web_server("lighttpd", workdir, bpool.sock, tag="lighttpd-booking")
    yield ws
    ws.proc.stop()


def ask(pool, req, timeout=5.0):
    r = fcgi_post_json(pool.target, req, timeout=timeout)
    return check_webhook_response(r, f"{req['fulfillmentInfo'].get('tag')} "
                                     f"{json.dumps(req['sessionInfo']['parameters'])[:160]}")


def book(pool, database, service, h, m, d=None):
    d = d or free_day(database, service)
    doc = ask(pool, create_req(service, d, h, m))
    cid = session_params(doc).get("confirmation_id")
    assert cid and session_params(doc).get("booking_status") == "confirmed", \
        f"{service} {d} {h}:{m:02d} not booked: {texts_of(doc)}"
    return d, cid, doc


# --------------------------------------------------------------------------
# 10. A booking.

def test_booking_through_lighttpd(database, bpool, blighttpd):
    d = free_day(database, "haircut")
    req = create_req("haircut", d, 14, 30)
    r = post_json(blighttpd.url, req)
    doc = check_webhook_response(r, "booking.create via lighttpd")
    p = session_params(doc)
    cid = p.get("confirmation_id")
    assert isinstance(cid, str) and CONFIRMATION.match(cid), \
        f"confirmation_id {cid!r} is not 10 of [A-Z2-9] without I, O, 0, 1"
    assert p.get("booking_status") == "confirmed", p
    assert p.get("appointment_service") == "haircut", p
    assert p.get("appointment_date") == d.isoformat(), p
    assert str(p.get("appointment_time", "")).startswith("14:30"), p
    text = " ".join(texts_of(doc))
    for part in ("haircut", say_date(d), say_time(14, 30), cid):
        assert part in text, f"the confirmation does not say {part!r}: {text!r}"
    rows = psql_rows(database, "SELECT service, status, "
                               "to_char(starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), "
                               "customer_email, request_key "
                               f"FROM bookings WHERE confirmation_id = '{cid}'")
    assert rows == [("haircut", "confirmed", f"{d} 14:30", "ana.souza@example.com",
                     request_key(req))], rows


def test_booking_with_string_date_and_time(database, bpool):
    d = free_day(database, "massage")
    doc = ask(bpool, booking_req(service="Massage", date=d.isoformat(), time="09:00"))
    p = session_params(doc)
    assert p.get("booking_status") == "confirmed" and CONFIRMATION.match(p.get("confirmation_id", "")), \
        texts_of(doc)
    assert p.get("appointment_service") == "massage", p
    assert psql_rows(database, "SELECT service FROM bookings WHERE confirmation_id = "
                               f"'{p['confirmation_id']}'") == [("massage",)]


# --------------------------------------------------------------------------
# 11. Missing parameters.

def test_nothing_given_one_prompt_for_all(database, bpool):
    doc = ask(bpool, booking_req())
    texts = texts_of(doc)
    assert len(texts) == 1, f"expected one prompt: {texts}"
    t = texts[0]
    assert "the service" in t and "the date" in t and "the time" in t, t
    assert "confirmation_id" not in session_params(doc)


def test_only_service_missing(database, bpool):
    d = free_day(database, "haircut")
    doc = ask(bpool, booking_req(date=sys_date(d), time=sys_time(10, 0)))
    texts = texts_of(doc)
    assert len(texts) == 1, texts
    t = texts[0]
    assert "the service" in t, t
    assert "the date" not in t and "the time" not in t, \
        f"only the service is missing, but the prompt asks for more: {t!r}"
    offered = chips(doc)
    assert len(offered) == 1 and set(offered[0]) == db_services(database), \
        f"expected one chips item offering {sorted(db_services(database))}: {offered}"
    assert SERVICES <= set(offered[0])


def test_corpus_booking_intent_no_params(bpool):
    body = (CORPUS / "requests" / "17-booking-intent-no-params.json").read_bytes()
    r = fcgi_post_json(bpool.target, body)
    doc = check_webhook_response(r, "corpus 17")
    texts = texts_of(doc)
    assert len(texts) == 1, texts
    assert all(w in texts[0] for w in ("the service", "the date", "the time")), texts
    assert chips(doc) and SERVICES <= set(chips(doc)[0]), chips(doc)


# --------------------------------------------------------------------------
# 12. A service we do not offer.

def test_unknown_service(database, bpool):
    d = free_day(database, "haircut")
    req = create_req("yoga", d, 10, 0)
    doc = ask(bpool, req)
    text = " ".join(texts_of(doc))
    for s in db_services(database):
        assert s in text, f"the prompt does not name {s!r}: {text!r}"
    offered = chips(doc)
    assert len(offered) == 1 and set(offered[0]) == db_services(database), offered
    assert form_state(doc, "service") == "INVALID", doc.get("pageInfo")
    p = session_params(doc)
    assert "service" in p and p["service"] is None, \
        f"sessionInfo.parameters.service must be JSON null: {p}"
    assert rows_for_key(database, req) == []


# --------------------------------------------------------------------------
# 13. Dates and times that cannot be booked.

def _past():
    return today_utc() - datetime.timedelta(days=1)


REJECTS = {
    # name: (service, date, hours, minutes, form parameter, words of the reason)
    "past-date": ("haircut", "past", 10, 0, "date", "already passed"),
    "feb-30": ("haircut", {"year": 2027, "month": 2, "day": 30}, 10, 0, "date",
               "February 30, 2027 isn't a date"),
    "before-opening": ("consultation", "future", 8, 0, "time", "between 10:00 AM and 4:00 PM"),
    "after-closing": ("consultation", "future", 15, 30, "time", "between 10:00 AM and 4:00 PM"),
    "month-13": ("haircut", {"year": 2027, "month": 13, "day": 1}, 10, 0, "date", None),
    "hour-25": ("haircut", "future", 25, 0, "time", None),
}


@pytest.mark.parametrize("case", REJECTS)
def test_rejected_date_or_time(database, bpool, case):
    service, d, h, m, param, words = REJECTS[case]
    if d == "past":
        d = _past()
    elif d == "future":
        d = free_day(database, service)
    req = create_req(service, d, h, m)
    doc = ask(bpool, req)
    p = session_params(doc)
    assert p.get("booking_status") != "confirmed" and "confirmation_id" not in p, \
        f"{case}: booked anyway: {texts_of(doc)}"
    assert form_state(doc, param) == "INVALID", f"{case}: {doc.get('pageInfo')}"
    assert param in p and p[param] is None, f"{case}: session {param} must be null: {p}"
    texts = texts_of(doc)
    assert texts and texts[0].strip(), doc
    if words:
        assert words in " ".join(texts), f"{case}: no reason given: {texts}"
    assert rows_for_key(database, req) == [], f"{case}: a row was inserted"


# --------------------------------------------------------------------------
# 14. Idempotency.

def test_same_request_twice_books_once(database, bpool):
    d = free_day(database, "massage")
    req = create_req("massage", d, 11, 0)
    a = ask(bpool, req)
    b = ask(bpool, req)
    ida, idb = session_params(a).get("confirmation_id"), session_params(b).get("confirmation_id")
    assert ida and ida == idb, f"a retried request got {ida!r} then {idb!r}"
    assert texts_of(a) == texts_of(b), (texts_of(a), texts_of(b))
    rows = rows_for_key(database, req)
    assert rows == [(ida, "massage", "confirmed")], rows
    n = psql_rows(database, "SELECT count(*) FROM bookings WHERE service = 'massage' "
                            f"AND starts_at = '{d}T11:00:00Z'")
    assert n == [("1",)], n


# --------------------------------------------------------------------------
# 15. No overbooking.

def test_no_overbooking(database, bpool):
    d = free_day(database, "consultation")
    n = 20
    reqs = [create_req("consultation", d, 11, 0, session=f"it-rush-{i}") for i in range(n)]
    assert len({r["detectIntentResponseId"] for r in reqs}) == n
    barrier = threading.Barrier(n, timeout=10)

    def one(req):
        barrier.wait()
        return ask(bpool, req, timeout=8)

    with concurrent.futures.ThreadPoolExecutor(n) as ex:
        docs = list(ex.map(one, reqs, timeout=40))
    booked = [doc for doc in docs if session_params(doc).get("confirmation_id")]
    full = [doc for doc in docs if doc not in booked]
    assert len(booked) == 1, \
        f"{len(booked)} of {n} requests for one consultation slot were confirmed"
    rows = psql_rows(database, "SELECT confirmation_id FROM bookings WHERE service = 'consultation' "
                               f"AND status = 'confirmed' AND starts_at = '{d}T11:00:00Z'")
    assert rows == [(session_params(booked[0])["confirmation_id"],)], rows
    taken = chip_label(d, 11, 0)
    expected = [chip_label(d, 12, 0), chip_label(d, 13, 0), chip_label(d, 14, 0)]
    for doc in full:
        text = " ".join(texts_of(doc))
        assert "fully booked" in text, text
        offered = chips(doc)
        assert len(offered) == 1 and offered[0], f"no chips of free slots: {doc}"
        assert taken not in offered[0], f"the full slot is offered: {offered}"
        assert offered[0] == expected, f"expected the next free slots {expected}: {offered}"
        assert form_state(doc, "time") == "INVALID", doc.get("pageInfo")


# --------------------------------------------------------------------------
# 16. Status and cancellation.

def test_status_cancel_and_rebook(database, bpool):
    d, cid, _ = book(bpool, database, "consultation", 14, 0)

    doc = ask(bpool, booking_req(tag="booking.status", confirmation_id=cid))
    text = " ".join(texts_of(doc))
    assert "is confirmed" in text and "consultation" in text and say_time(14, 0) in text, text
    assert session_params(doc).get("booking_status") == "confirmed"

    # Typed in lower case, it is the same booking.
    doc = ask(bpool, booking_req(tag="booking.status", confirmation_id=cid.lower()))
    assert "is confirmed" in " ".join(texts_of(doc)), texts_of(doc)

    first = ask(bpool, booking_req(tag="booking.cancel", confirmation_id=cid))
    assert "is cancelled" in " ".join(texts_of(first)), texts_of(first)
    assert session_params(first).get("booking_status") == "cancelled"
    row1 = psql_rows(database, "SELECT status, cancelled_at FROM bookings "
                               f"WHERE confirmation_id = '{cid}'")
    assert len(row1) == 1 and row1[0][0] == "cancelled" and row1[0][1], row1

    again = ask(bpool, booking_req(tag="booking.cancel", confirmation_id=cid))
    assert texts_of(again) == texts_of(first), \
        f"cancelling twice must give the same answer: {texts_of(first)} / {texts_of(again)}"
    assert not session_params(again).get("error_occurred"), session_params(again)
    row2 = psql_rows(database, "SELECT status, cancelled_at FROM bookings "
                               f"WHERE confirmation_id = '{cid}'")
    assert row2 == row1, f"a second cancellation changed the row: {row1} -> {row2}"

    doc = ask(bpool, booking_req(tag="booking.status", confirmation_id=cid))
    assert "is confirmed" not in " ".join(texts_of(doc)), texts_of(doc)
    assert session_params(doc).get("booking_status") == "cancelled"

    # The slot (capacity 1) is free again.
    _, cid2, _ = book(bpool, database, "consultation", 14, 0, d=d)
    assert cid2 != cid


@pytest.mark.parametrize("tag", ["booking.status", "booking.cancel"])
def test_unknown_confirmation_id(bpool, tag):
    doc = ask(bpool, booking_req(tag=tag, confirmation_id="ZZZZZZZZZZ"))
    p = session_params(doc)
    assert p.get("error_code") == "booking_not_found", p
    assert p.get("error_occurred") is True, p
    assert "ZZZZZZZZZZ" in " ".join(texts_of(doc)), texts_of(doc)


def test_status_without_id_asks_for_it(bpool):
    doc = ask(bpool, booking_req(tag="booking.status"))
    assert "confirmation" in " ".join(texts_of(doc)).lower(), texts_of(doc)
    assert not session_params(doc).get("error_occurred")
