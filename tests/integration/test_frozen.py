"""A frozen database or a stalled upstream is a slow answer, never a hang.

Every PostgreSQL process of a cluster frozen with SIGSTOP for FREEZE_S
seconds under load, a weather provider and a scheduling system that accept
a request and then never answer or answer one byte a second: every webhook
request is still answered 200 (a correct answer or a spoken apology) within
the deadline plus SLACK seconds, measured at the client; no worker is killed
as stuck or replaced; service is whole again within a second of SIGCONT; the
booking courier retries and delivers once the receiver recovers.

The frozen cluster is this module's own (scripts/pg.sh in the test's
workdir, migrated, with the demo data), never the session's, which other
tests use; the courier test uses it too, so that no other test's outbox rows
are in its way. Pools here have deadline DEADLINE_MS and speak FastCGI
straight to the test.
"""

import concurrent.futures
import contextlib
import json
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from conftest import (REPO, TEXT_BALANCE_10042, _register_cleanup,
                      check_webhook_response, children_of, proc_state, psql_holding,
                      psql_value, fcgi_post_json,
                      fcgi_request, pid_alive, psql_rows, run, session_params,
                      start_own_pool, tail, texts_of, time_bound, wait_until,
                      webhook_request, write_pool_conf)
from test_booking import booking_req, create_req, free_day

DEADLINE_MS = 1500
DEADLINE = DEADLINE_MS / 1000
SLACK = 0.1          # the promise: answered within DEADLINE + SLACK
FREEZE_S = 10
RECOVERY_S = 1.0     # full service again this long after SIGCONT
HELPER_S = 3.0       # the longest a process forked by a worker may live
APOLOGIES = {"database_unavailable", "deadline"}
BALANCE = webhook_request(tag="database-query",
                          params={"query_type": "account_balance", "user_id": "10042"})
LOCK_APP = "cxhook-it-frozen-lock"

# Answers within DEADLINE + SLACK, and RECOVERY_S, are what is tested here.
pytestmark = time_bound


# --------------------------------------------------------------------------
# The module's own PostgreSQL, and freezing it.

class Cluster:
    def __init__(self, pgdir, conninfo):
        self.pgdir = pgdir
        self.conninfo = conninfo

    def postmaster(self):
        with open(self.pgdir / "data" / "postmaster.pid") as f:
            return int(f.readline())

    def processes(self):
        """The postmaster and every process below it."""
        seen, todo = set(), [self.postmaster()]
        while todo:
            pid = todo.pop()
            if pid in seen:
                continue
            seen.add(pid)
            todo.extend(children_of(pid))
        return seen


def signal_all(pids, sig):
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)


def freeze(cluster):
    """SIGSTOP to the postmaster first (so it forks nothing more), then to
    every process below it, until no process of the cluster is left
    running. Returns the pids frozen."""
    frozen = {cluster.postmaster()}
    signal_all(frozen, signal.SIGSTOP)
    for _ in range(10):
        more = cluster.processes() - frozen
        if not more:
            break
        signal_all(more, signal.SIGSTOP)
        frozen |= more
    # Stopped, or gone (a backend that was exiting stays a zombie).
    stopped = wait_until(lambda: all(proc_state(p) in ("T", "t", "Z", "X", None)
                                     for p in frozen), 2)
    assert stopped and cluster.processes() <= frozen, \
        f"the cluster is not frozen: {[(p, proc_state(p)) for p in cluster.processes()]}"
    return frozen


def thaw(cluster):
    with contextlib.suppress(OSError, ValueError):
        signal_all(cluster.processes(), signal.SIGCONT)


@pytest.fixture(scope="module")
def cluster(cxhook_bin, workdir):
    pgdir = workdir / "pg-frozen"
    pg = REPO / "scripts" / "pg.sh"
    c = Cluster(pgdir, None)

    def stop():
        thaw(c)  # a test that failed mid-freeze must not leave it stopped
        subprocess.run([str(pg), "stop", str(pgdir)], timeout=60, capture_output=True)

    _register_cleanup(stop)
    try:
        run([pg, "start", pgdir], timeout=120)
    except AssertionError as e:
        pytest.fail(f"PostgreSQL did not start: {e}\n{tail(pgdir / 'postgres.log')}")
    c.conninfo = run([pg, "conninfo", pgdir]).stdout.strip()
    conf = write_pool_conf(workdir / "frozen-migrate.conf",
                           f"unix:{workdir}/frozen-migrate.sock", c.conninfo)
    run([cxhook_bin, "migrate", "-c", conf])
    run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", c.conninfo,
         "-f", REPO / "sql" / "demo" / "demo_data.sql"])
    yield c
    stop()


def psql(conninfo, sql):
    return psql_value(conninfo, sql, timeout=10)


def service_locked(conninfo, service, seconds):
    """Holds service's row FOR UPDATE for `seconds` of wall-clock time (a
    pg_sleep, which a freeze does not lengthen), so that a booking of it
    waits inside its statement."""
    return psql_holding(
        conninfo, f"SELECT 1 FROM services WHERE name = '{service}' FOR UPDATE",
        "SELECT count(*) FROM pg_stat_activity "
        f"WHERE application_name = '{LOCK_APP}' AND query LIKE '%pg_sleep%' AND state = 'active'",
        seconds, LOCK_APP, release="wait", wait_extra=FREEZE_S)


# --------------------------------------------------------------------------
# A receiver that stalls.

class StallingServer:
    """HTTP on 127.0.0.1 that reads each request whole, then, by the mode of
    that request: "silent" never answers (holds the connection until
    stop()), "drip" sends its answer one byte a second, "ok" answers at
    once. script: the modes of the first requests, in order; `mode` after
    that. Records each request's head (lower-cased header names) and the
    mode it got."""

    def __init__(self, mode="ok", script=(), status=200, body=b"{}"):
        self.mode = mode
        self.script = list(script)
        self.status = status
        self.body = body
        self.requests = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def set_mode(self, mode):
        with self.lock:
            self.mode = mode

    def stop(self):
        self.stopping.set()
        self.thread.join(timeout=5)
        self.sock.close()

    def got(self, key=None):
        with self.lock:
            return [r for r in self.requests
                    if key is None or r["headers"].get("idempotency-key") == key]

    def _serve(self):
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self._one, args=(conn,), daemon=True).start()

    def _read_request(self, conn):
        conn.settimeout(5)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        want = int(headers.get("content-length") or 0)
        while len(body) < want:
            chunk = conn.recv(65536)
            if not chunk:
                break
            body += chunk
        return {"line": lines[0], "headers": headers, "body": body}

    def _one(self, conn):
        with conn:
            try:
                req = self._read_request(conn)
            except OSError:
                return
            if req is None:
                return
            with self.lock:
                req["mode"] = self.script.pop(0) if self.script else self.mode
                req["time"] = time.monotonic()
                req["sent"] = 0
                self.requests.append(req)
            answer = (f"HTTP/1.1 {self.status} Whatever\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {len(self.body)}\r\nConnection: close\r\n\r\n"
                      ).encode() + self.body
            with contextlib.suppress(OSError):
                if req["mode"] == "silent":
                    self.stopping.wait(60)
                elif req["mode"] == "drip":
                    for i in range(len(answer)):
                        conn.sendall(answer[i:i + 1])
                        req["sent"] = i + 1
                        if self.stopping.wait(1.0):
                            return
                else:
                    conn.sendall(answer)


@pytest.fixture
def own_pool(cxhook_bin, workdir, cluster):
    """Starts pools of their own on the module's cluster (start_own_pool
    arguments from the name on); all are stopped when the test ends."""
    started = []

    def make(name, **kw):
        p = start_own_pool(cxhook_bin, workdir, cluster.conninfo, name,
                           deadline=f"{DEADLINE_MS}ms", **kw)
        started.append(p)
        return p

    yield make
    for p in started:
        p.proc.stop()


@pytest.fixture
def stalling():
    """Makes StallingServers (arguments as its own), all stopped when the
    test ends."""
    made = []

    def make(**kw):
        s = StallingServer(**kw)
        made.append(s)
        return s

    yield make
    for s in made:
        s.stop()


# --------------------------------------------------------------------------
# Load, and what the pool says about itself.

def outcome(r):
    """"balance", an error_code, or what went wrong."""
    if r.status != 200:
        return f"HTTP {r.status}"
    try:
        doc = check_webhook_response(r, "load")
    except AssertionError as e:
        return f"bad answer: {e}"
    if TEXT_BALANCE_10042 in texts_of(doc):
        return "balance"
    return session_params(doc).get("error_code") or f"other: {texts_of(doc)}"


def timed(target, req, timeout=5.0):
    """(start, seconds, outcome or the exception's text, response or None)."""
    t0 = time.monotonic()
    try:
        r = fcgi_post_json(target, req, timeout=timeout)
    except Exception as e:  # noqa: BLE001 -- recorded and asserted on below
        return t0, time.monotonic() - t0, f"{type(e).__name__}: {e}", None
    return t0, time.monotonic() - t0, outcome(r), r


class Load:
    """`threads` clients, each sending balance requests one after another
    with `pause` seconds between them, until stop()."""

    def __init__(self, target, threads=2, pause=0.05):
        self.target = target
        self.pause = pause
        self.records = []
        self.lock = threading.Lock()
        self.done = threading.Event()
        self.threads = [threading.Thread(target=self._run, daemon=True)
                        for _ in range(threads)]
        for t in self.threads:
            t.start()

    def _run(self):
        while not self.done.is_set():
            rec = timed(self.target, BALANCE)
            with self.lock:
                self.records.append(rec[:3])
            self.done.wait(self.pause)

    def stop(self):
        self.done.set()
        for t in self.threads:
            t.join(timeout=10)
        return list(self.records)


def pool_status(pool):
    return fcgi_request(pool.target, "GET", "/status", timeout=5).json()


def worker_requests(pool):
    return {w["pid"]: w["requests"] for w in pool_status(pool)["workers"]}


def metrics(pool):
    text = fcgi_request(pool.target, "GET", "/metrics", timeout=5).body.decode()
    out = {}
    for line in text.splitlines():
        if line and not line.startswith("#"):
            name, _, value = line.rpartition(" ")
            out[name] = float(value)
    return out


def check_no_restart(pool, children, pids):
    m = metrics(pool)
    assert m.get("cxhook_workers_killed_total") == 0, \
        f"workers killed as stuck: {m}\n{tail(pool.log)}"
    assert m.get("cxhook_workers_respawned_total") == 0, \
        f"workers respawned: {m}\n{tail(pool.log)}"
    assert pool.workers() == children, \
        f"the pool's children changed: {sorted(children)} -> {sorted(pool.workers())}"
    assert set(worker_requests(pool)) == pids, "the workers in /status changed"
    assert pool.proc.alive()
    assert " stuck " not in pool.log.read_text(), tail(pool.log)


def summary(records):
    """Counts by outcome and the slowest answer, for failure messages and
    the run's record."""
    counts = {}
    for _, _, o in records:
        counts[o] = counts.get(o, 0) + 1
    slowest = max((e for _, e, _ in records), default=0)
    return f"{len(records)} requests {counts}, slowest {slowest * 1000:.0f} ms"


# --------------------------------------------------------------------------
# 1. The database frozen for FREEZE_S seconds.

def scheduling_section(url, retry_base="100ms"):
    return f"""
[booking]
timezone = UTC
forward_url = {url}
forward_retry_base = {retry_base}
forward_retry_max = 1s
"""


def test_frozen_database(cluster, own_pool, stalling):
    """SIGSTOP to every process of the cluster for FREEZE_S seconds, with
    balance requests flowing and a booking whose statement is waiting on a
    row lock when the freeze lands (so the statement in flight has to be
    given up on, and cancelled, while the postmaster cannot answer)."""
    calendar = stalling(status=201, body=b'{"id": 1}')
    pool = own_pool("frozen", workers=4,
                    extra=scheduling_section(calendar.url("/api/appointments")))
    children = pool.workers()
    pids = set(worker_requests(pool))
    assert len(pids) == 4, pids
    day = free_day(cluster.conninfo, "massage")

    load = Load(pool.target)
    try:
        time.sleep(1.0)
        with service_locked(cluster.conninfo, "massage", seconds=3), \
                concurrent.futures.ThreadPoolExecutor(1) as ex:
            victim = ex.submit(timed, pool.target, create_req("massage", day, 10, 0))
            waiting = wait_until(lambda: psql(cluster.conninfo, (
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cxhook' "
                "AND wait_event_type = 'Lock'")) == "1", timeout=1.0, interval=0.02)
            assert waiting, "the booking's statement is not waiting on the lock"
            frozen = freeze(cluster)
            t_freeze = time.monotonic()
            helpers = {}  # whatever the workers fork meanwhile: pid -> [first, last seen]
            while time.monotonic() < t_freeze + FREEZE_S:
                now = time.monotonic()
                for w in pids:
                    for h in children_of(w):
                        helpers.setdefault(h, [now, now])[1] = now
                time.sleep(0.1)
            signal_all(frozen, signal.SIGCONT)
            t_thaw = time.monotonic()
            _, v_took, v_outcome, _ = victim.result(timeout=10)
        # Every worker answers requests made after the recovery time: those
        # still in flight then are all answered by DEADLINE + SLACK later.
        time.sleep(max(0.0, t_thaw + RECOVERY_S + DEADLINE + SLACK - time.monotonic()))
        before = worker_requests(pool)
        time.sleep(1.5)
        after = worker_requests(pool)
    finally:
        thaw(cluster)  # at once if anything above failed mid-freeze
        records = load.stop()

    during = [r for r in records if r[0] < t_thaw and r[0] + r[1] > t_freeze]
    after_thaw = [r for r in records if r[0] >= t_thaw]
    recovered = [r for r in records if r[0] >= t_thaw + RECOVERY_S]
    first_ok = min((r[0] + r[1] - t_thaw for r in after_thaw if r[2] == "balance"), default=None)
    print(f"\nfrozen database: all {summary(records)}; overlapping the freeze "
          f"{summary(during)}; from SIGCONT+{RECOVERY_S}s {summary(recovered)}; "
          f"first balance {first_ok if first_ok is None else round(first_ok * 1000)} ms "
          f"after SIGCONT; the booking in flight: {v_outcome} in {v_took * 1000:.0f} ms; "
          f"children of workers seen during the freeze: {len(helpers)}, the longest-lived "
          f"for {max((b - a for a, b in helpers.values()), default=0):.1f}s")

    assert v_outcome == "deadline" and v_took <= DEADLINE + SLACK, \
        (f"the booking whose statement was in flight: {v_outcome} after {v_took:.3f}s "
         f"(want a 'deadline' apology within {DEADLINE + SLACK}s)\n{tail(pool.log)}")
    bad = [(round(s - t_freeze, 2), round(e, 3), o) for s, e, o in records
           if not (o == "balance" or o in APOLOGIES) or e > DEADLINE + SLACK]
    assert not bad, (f"answers not within {DEADLINE + SLACK}s or not a balance or an apology "
                     f"(start after the freeze, seconds, outcome): {bad[:20]}; "
                     f"{summary(records)}\n{tail(pool.log)}")
    assert len(during) >= 6 and any(o in APOLOGIES for _, _, o in during), \
        f"the load did not meet the freeze: {summary(during)}"
    late = [(round(s - t_thaw, 2), o) for s, _, o in recovered if o != "balance"]
    assert recovered and not late, \
        f"not a balance {RECOVERY_S}s after SIGCONT (seconds after, outcome): {late}"
    served = {pid: after.get(pid, 0) - before.get(pid, 0) for pid in pids}
    # /status counts a request once answered: the one that read `before`
    # adds one to its worker, so 2 means at least one balance each.
    assert all(n >= 2 for n in served.values()), \
        f"workers that answered nothing after the thaw: {served}"
    check_no_restart(pool, children, pids)
    # Nothing a worker forks may wait on the frozen server for long, and
    # it is collected (the load went on after the thaw).
    lived = {h: round(b - a, 1) for h, (a, b) in helpers.items()}
    assert all(t <= HELPER_S for t in lived.values()), \
        f"children of workers alive for longer than {HELPER_S}s in the freeze: {lived}"
    left = {w: [(k, proc_state(k)) for k in children_of(w, zombies=True)] for w in pids}
    assert not any(left.values()), f"children of workers left (Z: not collected): {left}"

    # The courier kept its connection through the freeze and delivers.
    d2 = free_day(cluster.conninfo, "haircut")
    r = fcgi_post_json(pool.target, create_req("haircut", d2, 11, 0))
    cid = session_params(check_webhook_response(r, "booking after the thaw")).get("confirmation_id")
    assert cid, r
    assert wait_until(lambda: calendar.got(f"{cid}:confirmed"), 5), \
        f"the courier did not deliver after the thaw: {calendar.got()}\n{tail(pool.log)}"
    assert wait_until(lambda: psql(cluster.conninfo, "SELECT count(*) FROM booking_outbox "
                                                     "WHERE delivered_at IS NULL") == "0", 5), \
        psql_rows(cluster.conninfo, "SELECT * FROM booking_outbox WHERE delivered_at IS NULL")


def test_deadline_still_cancels_the_statement(cluster, own_pool):
    """Outside a freeze the statement given up on at the deadline is
    cancelled on the server at once: it stops waiting on the lock rather
    than queueing behind it for the caller who has gone."""
    pool = own_pool("cancel", workers=2, extra="\n[booking]\ntimezone = UTC\n")
    day = free_day(cluster.conninfo, "consultation")
    with service_locked(cluster.conninfo, "consultation", seconds=8):
        _, took, got, _ = timed(pool.target, create_req("consultation", day, 11, 0))
        assert got == "deadline" and took <= DEADLINE + SLACK, (got, took)
        t0 = time.monotonic()
        gone = wait_until(lambda: psql(cluster.conninfo, (
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'cxhook' "
            "AND wait_event_type = 'Lock'")) == "0", timeout=1.0, interval=0.02)
        print(f"\nstatement gone from the lock queue {(time.monotonic() - t0) * 1000:.0f} ms "
              "after the deadline answer")
        assert gone, "the statement given up on still waits on the lock"
        psql(cluster.conninfo, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                               f"WHERE application_name = '{LOCK_APP}'")
    r = fcgi_post_json(pool.target, BALANCE)
    assert outcome(r) == "balance", r


# --------------------------------------------------------------------------
# 2. A weather provider that stalls.

WEATHER = json.dumps({"location": {"name": "Oslo", "country": "Testland"},
                      "current": {"temp_c": 3.0, "condition": {"text": "Snow"}}}).encode()


def weather_req(place):
    return webhook_request(tag="weather", params={"location": place},
                           text="what's the weather like")


@pytest.mark.parametrize("mode", ["silent", "drip"])
def test_stalled_weather_provider(workdir, own_pool, stalling, mode):
    provider = stalling(mode=mode, body=WEATHER)
    key = workdir / "frozen-weather.key"
    key.write_text("it-key\n")
    pool = own_pool(f"weather-{mode}", workers=3, extra=f"""
[weather]
url = {provider.url("/v1/current.json")}
api_key_file = {key}
""")
    children, pids = pool.workers(), set(worker_requests(pool))
    places = ["Bergen", "Tromso", "Bergen"]  # the third waits on the first's fetch
    with concurrent.futures.ThreadPoolExecutor(3) as ex:
        got = list(ex.map(lambda p: timed(pool.target, weather_req(p)), places))
    got.append(timed(pool.target, weather_req("Narvik")))
    print(f"\nweather provider {mode}: "
          f"{[(o, round(e * 1000)) for _, e, o, _ in got]} (outcome, ms)")
    for _, took, o, _ in got:
        assert o == "upstream_timeout" and took <= DEADLINE + SLACK, \
            f"{o} after {took:.3f}s (want upstream_timeout within {DEADLINE + SLACK}s)"
    asked = provider.got()
    assert len(asked) >= 3, f"the provider was asked {len(asked)} times"
    if mode == "drip":
        assert all(r["sent"] >= 1 for r in asked), "nothing was dripped"
    provider.set_mode("ok")
    _, took, o, r = timed(pool.target, weather_req("Oslo"))
    assert o not in ("upstream_timeout", "upstream_unavailable") and r is not None, o
    assert texts_of(r.json()) == ["The current weather in Oslo is Snow with a "
                                  "temperature of 3\u00b0C."], r
    assert took < 1.0, f"the recovered provider's answer took {took:.3f}s"
    check_no_restart(pool, children, pids)


# --------------------------------------------------------------------------
# 3. A scheduling system that stalls: the courier.

def outbox(conninfo, cid):
    return psql_rows(conninfo, "SELECT event, attempts, delivered_at IS NOT NULL, "
                               "coalesce(last_error, '') FROM booking_outbox "
                               f"WHERE confirmation_id = '{cid}' ORDER BY id")


def test_stalled_scheduling_system(cluster, own_pool, stalling):
    """The first delivery attempt meets a receiver that never answers, the
    second one that answers a byte a second; the third is answered. The
    booking and its cancellation are answered at once meanwhile, the rows
    stay pending and are retried, and both arrive, in order."""
    # Rows left by another test of this cluster would be delivered first.
    psql(cluster.conninfo, "UPDATE booking_outbox SET delivered_at = now() "
                           "WHERE delivered_at IS NULL")
    calendar = stalling(script=["silent", "drip"], status=201, body=b'{"id": 7}')
    pool = own_pool("stalled-calendar", workers=2,
                    extra=scheduling_section(calendar.url("/api/appointments")))
    children, pids = pool.workers(), set(worker_requests(pool))
    day = free_day(cluster.conninfo, "massage")
    _, took, _, r = timed(pool.target, create_req("massage", day, 14, 0))
    cid = session_params(check_webhook_response(r, "booking")).get("confirmation_id")
    assert cid and took < 1.0, f"booked {cid!r} in {took:.3f}s"
    assert wait_until(lambda: calendar.got(f"{cid}:confirmed"), 5), calendar.got()
    _, took, _, r = timed(pool.target, booking_req(tag="booking.cancel", confirmation_id=cid))
    assert "is cancelled" in " ".join(texts_of(r.json())) and took < 1.0, (took, r)
    _, took, o, _ = timed(pool.target, BALANCE)
    assert o == "balance" and took < 1.0, (o, took)
    rows = outbox(cluster.conninfo, cid)
    assert [(e, d) for e, _, d, _ in rows] == [("confirmed", "f"), ("cancelled", "f")], rows

    seen_errors = set()

    def delivered():
        rows = outbox(cluster.conninfo, cid)
        seen_errors.update(x[3] for x in rows if x[3])
        return all(x[2] == "t" for x in rows) and rows

    t0 = time.monotonic()
    rows = wait_until(delivered, 30, interval=0.2)
    took = time.monotonic() - t0
    posts = [(x["headers"].get("idempotency-key"), x["mode"]) for x in calendar.got()]
    print(f"\nstalled scheduling system: delivered after {took:.1f}s more; "
          f"outbox {rows}; posts {posts}; errors seen {sorted(seen_errors)}")
    assert rows, f"not delivered: {outbox(cluster.conninfo, cid)}; posts {posts}\n{tail(pool.log)}"
    assert posts == [(f"{cid}:confirmed", "silent"), (f"{cid}:confirmed", "drip"),
                     (f"{cid}:confirmed", "ok"), (f"{cid}:cancelled", "ok")], posts
    assert [r[1] for r in rows] == ["3", "1"], rows
    assert "timeout" in seen_errors, seen_errors
    check_no_restart(pool, children, pids)
    assert all(pid_alive(c) for c in children), "the courier was restarted"
