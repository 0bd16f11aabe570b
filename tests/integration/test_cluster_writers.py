"""Two pool instances (two hosts, as far as the database can tell) booking
against one database at once: a capacity-1 slot rushed through both gets
one booking, one request arriving at both books once and both are told
the same confirmation, cancellations raced across them cancel once, and
with a courier on each instance every outbox row is delivered once, the
changes of one booking in order."""

import collections
import concurrent.futures
import os
import signal
import threading
import uuid

import pytest

from conftest import (fcgi_request, psql_rows, session_params, start_own_pool, texts_of,
                      wait_until)
from stubs import SchedulingStub
from test_booking import ask, book, booking_req, create_req, free_day, request_key

ROUNDS = 3


@pytest.fixture(scope="module")
def cluster(cxhook_bin, workdir, database):
    stub = SchedulingStub().start()
    pools = []
    try:
        for name in ("host-a", "host-b"):
            pools.append(start_own_pool(cxhook_bin, workdir, database, f"cluster-{name}",
                                        workers=3, extra=f"""
[booking]
timezone = UTC
forward_url = {stub.url}
forward_retry_base = 100ms
forward_retry_max = 1s
forward_lease = 3s
"""))
        yield pools, stub
    finally:
        for p in pools:
            p.proc.stop()
        stub.stop()


def race(pools, reqs):
    """Request i goes to pools[i % 2], all released at the same instant."""
    barrier = threading.Barrier(len(reqs), timeout=10)

    def one(i):
        barrier.wait()
        return ask(pools[i % len(pools)], reqs[i], timeout=8)

    with concurrent.futures.ThreadPoolExecutor(len(reqs)) as ex:
        return list(ex.map(one, range(len(reqs)), timeout=30))


def confirmations(docs):
    return [session_params(d).get("confirmation_id") for d in docs]


def errors(docs):
    return [session_params(d)["error_code"] for d in docs if session_params(d).get("error_code")]


def new_session():
    return "it-cluster-" + uuid.uuid4().hex[:12]


def test_capacity_one_slot_across_instances(database, cluster):
    pools, _ = cluster
    for rnd in range(ROUNDS):
        d = free_day(database, "consultation")  # capacity 1
        reqs = [create_req("consultation", d, 13, 0, session=new_session()) for _ in range(20)]
        docs = race(pools, reqs)
        assert not errors(docs), f"round {rnd}: {errors(docs)}"
        booked = {c for c in confirmations(docs) if c}
        assert len(booked) == 1, f"round {rnd}: {len(booked)} bookings of a capacity-1 slot"
        rows = psql_rows(database, "SELECT confirmation_id FROM bookings WHERE service = "
                                   f"'consultation' AND status = 'confirmed' "
                                   f"AND starts_at = '{d}T13:00:00Z'")
        assert rows == [(booked.pop(),)], f"round {rnd}: {rows}"


def test_one_response_id_at_both_instances(database, cluster):
    pools, _ = cluster
    for rnd in range(ROUNDS):
        req = create_req("massage", free_day(database, "massage"), 10, 0,
                         session=new_session(), resp_id=str(uuid.uuid4()))
        docs = race(pools, [req] * 4)
        ids = confirmations(docs)
        assert not errors(docs) and len(set(ids)) == 1 and ids[0], \
            f"round {rnd}: one request at two instances: {ids}, {errors(docs)}"
        assert len({tuple(texts_of(d)) for d in docs}) == 1
        rows = psql_rows(database, "SELECT confirmation_id FROM bookings "
                                   f"WHERE request_key = '{request_key(req)}'")
        assert rows == [(ids[0],)], f"round {rnd}: {rows}"


def test_cancel_raced_across_instances(database, cluster):
    pools, _ = cluster
    for rnd in range(ROUNDS):
        _, cid, _ = book(pools[rnd % 2], database, "massage", 15, 0)
        docs = race(pools, [booking_req(tag="booking.cancel", confirmation_id=cid,
                                        session=new_session()) for _ in range(6)])
        assert not errors(docs), f"round {rnd}: {errors(docs)}"
        assert all(session_params(d).get("booking_status") == "cancelled" for d in docs)
        rows = psql_rows(database, "SELECT status FROM bookings "
                                   f"WHERE confirmation_id = '{cid}'")
        assert rows == [("cancelled",)], f"round {rnd}: {rows}"


def test_two_couriers_deliver_each_row_once_in_order(database, cluster):
    pools, stub = cluster
    stub.reset()
    booked = []
    for i in range(8):
        _, cid, _ = book(pools[i % 2], database, "haircut", 9 + i % 8, 0)
        ask(pools[(i + 1) % 2], booking_req(tag="booking.cancel", confirmation_id=cid,
                                             session=new_session()))
        booked.append(cid)

    def all_delivered(posts):
        keys = {p["headers"].get("idempotency-key") for p in posts}
        return all(f"{c}:confirmed" in keys and f"{c}:cancelled" in keys for c in booked)

    assert stub.wait_for(all_delivered, 20), f"{len(stub.received())} deliveries"
    per_key = collections.Counter(p["headers"].get("idempotency-key") for p in stub.received())
    mine = {k: n for k, n in per_key.items() if k and k.split(":")[0] in booked}
    assert len(mine) == 16 and set(mine.values()) == {1}, mine
    # The cancellation of a booking never overtakes its confirmation.
    order = [p["headers"]["idempotency-key"] for p in stub.received()]
    for c in booked:
        assert order.index(f"{c}:confirmed") < order.index(f"{c}:cancelled"), order
    # And the database knows every row delivered.
    ids = ", ".join(f"'{c}'" for c in booked)
    pending = psql_rows(database, "SELECT count(*) FROM booking_outbox WHERE "
                                  f"delivered_at IS NULL AND confirmation_id IN ({ids})")
    assert pending == [("0",)], pending


def courier_pid(pool):
    """The master's child that is not a worker of /status."""
    workers = {w["pid"] for w in fcgi_request(pool.target, "GET", "/status").json()["workers"]}
    others = [pid for pid in pool.workers() if pid not in workers]
    assert len(others) == 1, (others, workers)
    return others[0]


def test_courier_killed_mid_delivery(database, cluster):
    """Both couriers are SIGKILLed while the receiver holds the first POST
    of a row: the row is delivered again after the lease (3 s here), by a
    courier the masters started anew, with the same Idempotency-Key."""
    pools, stub = cluster
    stub.reset(delay=2.0)
    _, cid, _ = book(pools[0], database, "massage", 11, 0)
    key = f"{cid}:confirmed"
    assert stub.wait_for(lambda posts: any(p["headers"].get("idempotency-key") == key
                                           for p in posts), 10), stub.received()
    first = stub.received(key)[0]["time"]
    old = [courier_pid(p) for p in pools]
    for pid in old:
        os.kill(pid, signal.SIGKILL)
    stub.set_delay(0)
    assert wait_until(lambda: psql_rows(database, "SELECT delivered_at IS NOT NULL FROM "
                                                  f"booking_outbox WHERE idempotency_key = "
                                                  f"'{key}'") == [("t",)], 15)
    posts = stub.received(key)
    assert len(posts) == 2, [p["headers"].get("idempotency-key") for p in posts]
    # Not before the killed courier's lease was over.
    assert posts[1]["time"] - first >= 3.0 - 1.0 - 0.2, posts[1]["time"] - first
    assert all(courier_pid(p) not in old for p in pools)
