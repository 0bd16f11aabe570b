"""Bookings and cancellations raced: one request arriving on several
workers at the same instant (Dialogflow retrying, or two web servers in
front of one database), and many different requests for one slot.

Every race is a threading.Barrier releasing the requests together at a
pool of 4 workers, repeated over a few rounds, since a race that is lost
only sometimes must be given several chances to show. Each race runs
against two pools: one on the database's defaults, and one whose database
sessions default to REPEATABLE READ (as a DBA may set with ALTER DATABASE
or ALTER ROLE), where a statement sees only what committed before its
transaction began, not before it got its lock.

Both pools forward bookings (each a courier and a stub scheduler of its
own), so that every test can also count booking_outbox rows. The module's
pools are stopped before test_outbox.py starts its own.
"""

import concurrent.futures
import threading
import uuid

import pytest

from conftest import psql_rows, run, session_params, start_own_pool, texts_of
from stubs import SchedulingStub
from test_booking import (ask, book, booking_req, create_req, free_day,
                          request_key, session_path)

ROUNDS = 4


@pytest.fixture(scope="module", params=["default", "repeatable read"])
def rpool(request, cxhook_bin, workdir, database):
    stub = SchedulingStub().start()
    conninfo = database
    if request.param != "default":
        # libpq unquotes \\ to \, the server then reads "\ " as a space.
        level = request.param.replace(" ", "\\\\ ")
        conninfo += f" options='-c default_transaction_isolation={level}'"
        assert psql_rows(conninfo, "SHOW default_transaction_isolation") == [(request.param,)]
    name = "races-" + request.param.replace(" ", "-")
    p = start_own_pool(cxhook_bin, workdir, conninfo, name, workers=4, extra=f"""
[booking]
timezone = UTC
forward_url = {stub.url}
""")
    yield p
    p.proc.stop()
    stub.stop()


def race(pool, reqs):
    """Sends every request of reqs at the same instant; the answers, in
    order (each a 200 WebhookResponse with a text, or the test fails)."""
    barrier = threading.Barrier(len(reqs), timeout=10)

    def one(req):
        barrier.wait()
        return ask(pool, req, timeout=8)

    with concurrent.futures.ThreadPoolExecutor(len(reqs)) as ex:
        return list(ex.map(one, reqs, timeout=30))


def confirmations(docs):
    return [session_params(doc).get("confirmation_id") for doc in docs]


def error_codes(docs):
    return [session_params(doc)["error_code"] for doc in docs
            if session_params(doc).get("error_code")]


def bookings_by_key(database, req):
    return psql_rows(database, "SELECT confirmation_id, service, status FROM bookings "
                               f"WHERE request_key = '{request_key(req)}'")


def outbox_events(database, cid):
    return psql_rows(database, "SELECT event FROM booking_outbox "
                               f"WHERE confirmation_id = '{cid}' ORDER BY id")


def new_session():
    return "it-race-" + uuid.uuid4().hex[:12]


# --------------------------------------------------------------------------
# One request, many times at once: one booking, one answer.

@pytest.mark.parametrize("n", [2, 8])
def test_one_request_raced_books_once(database, rpool, n):
    for rnd in range(ROUNDS):
        d = free_day(database, "massage")
        req = create_req("massage", d, 10, 0, session=new_session())
        docs = race(rpool, [req] * n)
        ids = confirmations(docs)
        assert not error_codes(docs) and len(set(ids)) == 1 and ids[0], \
            (f"round {rnd}: one request sent {n} times at once: confirmations {ids}, "
             f"errors {error_codes(docs)}")
        assert len({tuple(texts_of(doc)) for doc in docs}) == 1, \
            f"round {rnd}: the copies were told different things: {[texts_of(x) for x in docs]}"
        assert bookings_by_key(database, req) == [(ids[0], "massage", "confirmed")], f"round {rnd}"
        assert outbox_events(database, ids[0]) == [("confirmed",)], f"round {rnd}"


def test_one_key_two_bodies_raced(database, rpool):
    """Two bodies under one request key (same session, same response id)
    are one request: whichever gets there first books, the other is told
    that booking. The services differ, so no service lock orders them."""
    for rnd in range(ROUNDS):
        sess, rid = new_session(), str(uuid.uuid4())
        a = create_req("massage", free_day(database, "massage"), 11, 0, session=sess,
                       resp_id=rid)
        b = create_req("consultation", free_day(database, "consultation"), 11, 0,
                       session=sess, resp_id=rid)
        docs = race(rpool, [a, b])
        ids = confirmations(docs)
        assert not error_codes(docs) and len(set(ids)) == 1 and ids[0], \
            f"round {rnd}: confirmations {ids}, errors {error_codes(docs)}"
        rows = bookings_by_key(database, a)
        assert len(rows) == 1 and rows[0][0] == ids[0], f"round {rnd}: {rows}"
        assert outbox_events(database, ids[0]) == [("confirmed",)], f"round {rnd}"


# --------------------------------------------------------------------------
# One response id in two sessions: two requests.

def test_same_response_id_in_two_sessions_books_twice(database, rpool):
    rid = str(uuid.uuid4())
    d = free_day(database, "haircut")  # capacity 2
    first = create_req("haircut", d, 9, 30, session=new_session(), resp_id=rid)
    second = create_req("haircut", d, 9, 30, session=new_session(), resp_id=rid)
    assert request_key(first) != request_key(second)
    ids = [session_params(ask(rpool, r)).get("confirmation_id") for r in (first, second)]
    assert all(ids) and ids[0] != ids[1], \
        f"two sessions with one detectIntentResponseId got {ids}: one booking for two callers"
    for req, cid in zip((first, second), ids):
        assert bookings_by_key(database, req) == [(cid, "haircut", "confirmed")]
        sess = psql_rows(database, "SELECT session_id FROM bookings "
                                   f"WHERE confirmation_id = '{cid}'")
        assert sess == [(session_path(req).rsplit("/", 1)[1],)], sess


def test_same_response_id_in_two_sessions_raced(database, rpool):
    for rnd in range(ROUNDS):
        rid = str(uuid.uuid4())
        reqs = [create_req("massage", free_day(database, "massage"), 14, 0,
                           session=new_session(), resp_id=rid),
                create_req("consultation", free_day(database, "consultation"), 14, 0,
                           session=new_session(), resp_id=rid)]
        docs = race(rpool, reqs)
        ids = confirmations(docs)
        assert not error_codes(docs) and all(ids) and ids[0] != ids[1], \
            f"round {rnd}: confirmations {ids}, errors {error_codes(docs)}"
        assert bookings_by_key(database, reqs[0]) == [(ids[0], "massage", "confirmed")]
        assert bookings_by_key(database, reqs[1]) == [(ids[1], "consultation", "confirmed")]


# --------------------------------------------------------------------------
# Capacity under a rush of different requests, each also retried.

def test_capacity_one_slot_raced(database, rpool):
    for rnd in range(ROUNDS):
        d = free_day(database, "consultation")  # capacity 1
        distinct = [create_req("consultation", d, 13, 0, session=new_session())
                    for _ in range(4)]
        docs = race(rpool, distinct + distinct)  # every request twice
        assert not error_codes(docs), f"round {rnd}: {error_codes(docs)}"
        booked = {cid for cid in confirmations(docs) if cid}
        assert len(booked) == 1, f"round {rnd}: {len(booked)} bookings of a capacity-1 slot"
        rows = psql_rows(database, "SELECT confirmation_id FROM bookings WHERE "
                                   "service = 'consultation' AND status = 'confirmed' "
                                   f"AND starts_at = '{d}T13:00:00Z'")
        assert rows == [(booked.pop(),)], f"round {rnd}: {rows}"
        # Both copies of a request are told the same.
        for i in range(len(distinct)):
            assert confirmations(docs)[i] == confirmations(docs)[i + len(distinct)], \
                f"round {rnd}: request {i} and its copy: {confirmations(docs)}"
            for doc in (docs[i], docs[i + len(distinct)]):
                if not session_params(doc).get("confirmation_id"):
                    assert "fully booked" in " ".join(texts_of(doc)), texts_of(doc)


# --------------------------------------------------------------------------
# Cancellations raced: one cancellation.

@pytest.mark.parametrize("n", [2, 8])
def test_cancel_raced_cancels_once(database, rpool, n):
    for rnd in range(ROUNDS):
        _, cid, _ = book(rpool, database, "massage", 15, 0)
        docs = race(rpool, [booking_req(tag="booking.cancel", confirmation_id=cid,
                                        session=new_session()) for _ in range(n)])
        assert not error_codes(docs), f"round {rnd}: {error_codes(docs)}"
        for doc in docs:
            assert "is cancelled" in " ".join(texts_of(doc)), f"round {rnd}: {texts_of(doc)}"
            assert session_params(doc).get("booking_status") == "cancelled", session_params(doc)
        assert len({tuple(texts_of(doc)) for doc in docs}) == 1, [texts_of(x) for x in docs]
        rows = psql_rows(database, "SELECT status, cancelled_at IS NOT NULL FROM bookings "
                                   f"WHERE confirmation_id = '{cid}'")
        assert rows == [("cancelled", "t")], f"round {rnd}: {rows}"
        assert outbox_events(database, cid) == [("confirmed",), ("cancelled",)], f"round {rnd}"


# --------------------------------------------------------------------------
# The rules above need READ COMMITTED; under another level the booking
# function refuses rather than double-book or overbook.

@pytest.mark.parametrize("level", ["repeatable read", "serializable"])
def test_book_refuses_other_isolation_levels(database, level):
    d = free_day(database, "massage")
    r = run(["psql", "-X", "-Atq", "-d", database, "-c",
             f"BEGIN ISOLATION LEVEL {level}; SELECT outcome FROM cxhook_book("
             f"'massage', '{d}', '10:00', 'UTC', NULL, NULL, NULL, 's', 'k-{uuid.uuid4()}', "
             "'ZZZZZZZZZ2', false); COMMIT"], check=False)
    assert r.returncode != 0 and "READ COMMITTED" in r.stderr, (r.returncode, r.stdout, r.stderr)
    assert psql_rows(database, "SELECT count(*) FROM bookings "
                               "WHERE confirmation_id = 'ZZZZZZZZZ2'") == [("0",)]
