"""Forwarding bookings to the outside scheduling system through the
booking_outbox table and the courier process, against
stubs.SchedulingStub.

Each test has a pool of its own (workers = 4) with [booking] forward_url
pointing at its own stub, forward_token_file, and a short back-off
(forward_retry_base = 100ms, forward_retry_max = 1s) so that retries happen
within seconds. Only one forwarding pool runs at a time: a courier delivers
every pending row of the database, whoever wrote it, so POSTs are always
picked out by their Idempotency-Key.
"""

import os
import signal
import time
import uuid

import pytest

from conftest import (free_port, pid_alive, psql_rows, start_pool, tail,
                      texts_of, wait_until)
from stubs import SchedulingStub
from test_booking import ask, book, booking_req

TOKEN = "it-calendar-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def token_file(workdir):
    path = workdir / "calendar.token"
    path.write_text(TOKEN + "\n")
    return path


@pytest.fixture
def forwarding_pool(make_pool, token_file):
    def make(name, url):
        return make_pool(name, workers=4, extra=f"""
[booking]
forward_url = {url}
forward_token_file = {token_file}
timezone = UTC
forward_retry_base = 100ms
forward_retry_max = 1s
""")
    return make


@pytest.fixture
def stubs():
    """Scheduling stubs made by the test, all stopped at its end."""
    made = []

    def make(**kw):
        s = SchedulingStub(**kw)
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()


def outbox_rows(database, cid):
    return psql_rows(database, "SELECT event, idempotency_key, attempts, "
                               "delivered_at IS NOT NULL, coalesce(last_error, '') "
                               f"FROM booking_outbox WHERE confirmation_id = '{cid}' ORDER BY id")


def delivered(database, cid, event):
    return any(r[0] == event and r[3] == "t" for r in outbox_rows(database, cid))


def check_post(post, cid, event):
    key = f"{cid}:{event}"
    h = post["headers"]
    assert h.get("idempotency-key") == key, h
    assert h.get("authorization") == f"Bearer {TOKEN}", \
        f"Authorization must be 'Bearer <forward_token_file>': {h.get('authorization')!r}"
    assert (h.get("content-type") or "").startswith("application/json"), h
    assert post["path"] == "/api/appointments", post["path"]
    body = post["json"]
    assert isinstance(body, dict), f"body is not a JSON object: {post['body'][:200]!r}"
    assert body.get("confirmation_id") == cid, body
    assert body.get("event") == f"booking.{event}", body


# --------------------------------------------------------------------------
# 17. A booking and a cancellation, each delivered once.

def test_booking_and_cancellation_forwarded_once(database, forwarding_pool, stubs):
    stub = stubs().start()
    p = forwarding_pool("outbox-once", stub.url)
    d, cid, _ = book(p, database, "massage", 15, 0)
    got = stub.wait_for(lambda posts: [x for x in posts
                                       if x["headers"].get("idempotency-key") == f"{cid}:confirmed"], 10)
    assert got, f"the booking never reached the scheduler: {stub.received()}\n{tail(p.log)}"
    check_post(got[0], cid, "confirmed")
    body = got[0]["json"]
    assert body.get("service") == "massage" and body.get("starts_at") == f"{d}T15:00:00Z", body

    doc = ask(p, booking_req(tag="booking.cancel", confirmation_id=cid))
    assert "is cancelled" in " ".join(texts_of(doc)), texts_of(doc)
    # A second cancellation is the same cancellation: no second event.
    again = ask(p, booking_req(tag="booking.cancel", confirmation_id=cid))
    assert texts_of(again) == texts_of(doc), \
        f"cancelling twice must give the same answer: {texts_of(doc)} / {texts_of(again)}"
    got = stub.wait_for(lambda posts: [x for x in posts
                                       if x["headers"].get("idempotency-key") == f"{cid}:cancelled"], 10)
    assert got, f"the cancellation never reached the scheduler: {stub.received()}\n{tail(p.log)}"
    check_post(got[0], cid, "cancelled")

    time.sleep(1.5)  # the courier polls every second: a duplicate would be here by now
    assert len(stub.received(f"{cid}:confirmed")) == 1, stub.received(f"{cid}:confirmed")
    assert len(stub.received(f"{cid}:cancelled")) == 1, stub.received(f"{cid}:cancelled")
    assert wait_until(lambda: delivered(database, cid, "cancelled"), 3)
    rows = outbox_rows(database, cid)
    assert [(r[0], r[1], r[3]) for r in rows] == [
        ("confirmed", f"{cid}:confirmed", "t"), ("cancelled", f"{cid}:cancelled", "t")], rows


def test_answer_does_not_wait_for_the_scheduler(database, forwarding_pool, stubs):
    """The scheduler holds every POST for 3 s: the booking and the
    cancellation are answered before their deliveries are done, however
    long the answers take (the order is the promise, not the speed)."""
    stub = stubs(delay=3.0).start()
    p = forwarding_pool("outbox-slow", stub.url)
    d, cid, _ = book(p, database, "massage", 16, 0)
    assert not delivered(database, cid, "confirmed"), \
        f"the booking was answered only once delivered: {outbox_rows(database, cid)}"
    doc = ask(p, booking_req(tag="booking.cancel", confirmation_id=cid))
    assert "is cancelled" in " ".join(texts_of(doc)), texts_of(doc)
    assert not delivered(database, cid, "cancelled"), \
        f"the cancellation was answered only once delivered: {outbox_rows(database, cid)}"
    stub.set_delay(0)  # the POST under way keeps its 3 s
    assert wait_until(lambda: delivered(database, cid, "confirmed")
                      and delivered(database, cid, "cancelled"), 10), \
        f"not delivered: {outbox_rows(database, cid)}\n{tail(p.log)}"
    assert len(stub.received(f"{cid}:confirmed")) == 1
    assert len(stub.received(f"{cid}:cancelled")) == 1


# --------------------------------------------------------------------------
# 18. Retries.

def test_retries_keep_the_idempotency_key(database, forwarding_pool, stubs):
    stub = stubs(fail_first=3, per_key=True).start()
    p = forwarding_pool("outbox-retry", stub.url)
    d, cid, _ = book(p, database, "haircut", 16, 30)
    assert wait_until(lambda: delivered(database, cid, "confirmed"), 15), \
        (f"not delivered after 3 failures: {outbox_rows(database, cid)}; "
         f"posts {[(x['headers'].get('idempotency-key'), x['answered']) for x in stub.received()]}"
         f"\n{tail(p.log)}")
    mine = [x for x in stub.received() if (x["json"] or {}).get("confirmation_id") == cid]
    assert [x["answered"] for x in mine] == [500, 500, 500, 201], \
        f"expected 3 failed attempts then one delivery: {[x['answered'] for x in mine]}"
    for x in mine:
        check_post(x, cid, "confirmed")
    assert mine[0]["body"] == mine[-1]["body"], "the payload changed between attempts"
    rows = outbox_rows(database, cid)
    assert len(rows) == 1 and rows[0][2] == "4" and rows[0][3] == "t" and rows[0][4] == "", \
        f"expected attempts 4, delivered_at set, last_error cleared: {rows}"


# --------------------------------------------------------------------------
# 19. A restart loses nothing.

def test_delivery_survives_a_restart(cxhook_bin, workdir, database, forwarding_pool, stubs):
    stub = stubs(port=free_port())  # not listening yet: connections refused
    p = forwarding_pool("outbox-restart", stub.url)
    d, cid, _ = book(p, database, "massage", 17, 0)
    assert wait_until(lambda: any(int(r[2]) >= 1 and r[4] for r in outbox_rows(database, cid)), 5), \
        f"the courier did not try while the scheduler was down: {outbox_rows(database, cid)}"
    children = p.workers()
    os.kill(p.pid, signal.SIGTERM)
    try:
        p.proc.p.wait(timeout=10)
    except Exception:
        pytest.fail(f"the pool did not stop within 10 s of SIGTERM\n{tail(p.log)}")
    assert wait_until(lambda: not any(pid_alive(c) for c in children), 5), \
        f"children left behind: {[c for c in children if pid_alive(c)]}"
    assert not delivered(database, cid, "confirmed")

    stub.start()
    p2 = start_pool(cxhook_bin, p.conf, p.listen, workdir / "pool-outbox-restart-2.log",
                    workers=p.n_workers + 1)
    try:
        got = stub.wait_for(lambda posts: [x for x in posts
                                           if x["headers"].get("idempotency-key") == f"{cid}:confirmed"],
                            10)
        assert got, f"not delivered within 10 s of the restart: {outbox_rows(database, cid)}\n{tail(p2.log)}"
        check_post(got[0], cid, "confirmed")
        assert wait_until(lambda: delivered(database, cid, "confirmed"), 3), outbox_rows(database, cid)
        time.sleep(1.2)
        assert len(stub.received(f"{cid}:confirmed")) == 1, stub.received(f"{cid}:confirmed")
    finally:
        p2.proc.stop()
