"""The weather cache shared by the workers outlives any worker SIGKILLed
while it uses it: in bursts of concurrent requests for one place nobody has
asked for yet, the worker fetching it and workers waiting for that fetch
are killed, and every request on a worker that lived is still answered
within the deadline, and so is every later one.

One pool of its own (workers = 6, deadline 2500ms) and a stub provider
that answers every place after 0.5 s.
"""

import concurrent.futures
import os
import signal
import time
import uuid

import pytest

from conftest import (check_webhook_response, fcgi_post_json, fcgi_request,
                      texts_of, time_bound, wait_until)
from stubs import WeatherStub
from test_weather import weather_req, weather_section, weather_text

DEADLINE_S = 2.5
FETCH_S = 0.5           # the stub's answer time: fetches overlap the kills
WORKERS = 6
BURST = 5               # one fetches, four wait, one worker is left for /status
CITIES = ["Aberdeen", "Bilbao", "Cork", "Dakar"]
# The master backs off respawning a worker that dies younger than 1 s.
MIN_AGE_S = 1.2

# Every answer within the deadline is what is tested here.
pytestmark = time_bound


@pytest.fixture
def stub():
    s = WeatherStub(condition="Partly cloudy").start()
    s.set_mode(None, delay=FETCH_S)
    yield s
    s.stop()


@pytest.fixture
def kpool(make_pool, workdir, stub):
    key = workdir / "weather-kill.key"
    key.write_text("it-kill-" + uuid.uuid4().hex[:12] + "\n")
    return make_pool("weather-kill", workers=WORKERS,
                     deadline=f"{int(DEADLINE_S * 1000)}ms",
                     extra=weather_section(stub.url, key))


def busy_weather_workers(pool):
    r = fcgi_request(pool.target, "GET", "/status", content_type=None, timeout=2)
    assert r.status == 200, r
    return [w["pid"] for w in r.json()["workers"]
            if w["state"] == "busy" and w["tag"] == "weather"]


def wait_busy(pool, n, timeout):
    """The pids of the workers busy with weather once there are n of them,
    or None."""
    busy = []

    def all_busy():
        busy[:] = busy_weather_workers(pool)
        return len(busy) == n
    return busy if wait_until(all_busy, timeout) else None


def fetching(pids, port):
    """Those of pids with a connection established to 127.0.0.1:port: the
    stub closes each connection after its answer, so they are the ones
    whose fetch is under way."""
    inodes = set()
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            col = line.split()
            if col[3] == "01" and int(col[2].rsplit(":", 1)[1], 16) == port:
                inodes.add(f"socket:[{col[9]}]")
    found = []
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in fds}
        except OSError:
            continue
        if links & inodes:
            found.append(pid)
    return found


def timed_ask(pool, city):
    t0 = time.monotonic()
    try:
        r = fcgi_post_json(pool.target, weather_req(city),
                           timeout=DEADLINE_S + 2)
    except Exception as e:  # noqa: BLE001 - classified by the caller
        r = e
    return r, time.monotonic() - t0


def burst(pool, stub, city, kill_fetcher):
    """BURST requests for city at once; two of the workers waiting for the
    fetch are killed, then (kill_fetcher) the fetching one.  Returns the
    results, the number of waiters and of fetchers killed, and when the
    last was."""
    killed_waiters = killed_fetchers = 0
    with concurrent.futures.ThreadPoolExecutor(BURST) as ex:
        futs = [ex.submit(timed_ask, pool, city) for _ in range(BURST)]
        assert wait_until(lambda: stub.count(city) >= 1, DEADLINE_S), \
            f"{city}: the provider was never asked"
        busy = wait_busy(pool, BURST, 1.0)
        assert busy, f"{city}: not every request was taken up"
        time.sleep(0.03)    # the others are waiting for the fetch by now
        # Every worker busy now is older than MIN_AGE_S; those that
        # replace the killed ones are not, and are left alone.
        fetcher = fetching(busy, stub.port)
        assert len(fetcher) == 1, f"{city}: fetching {fetcher} of busy {busy}"
        for pid in [p for p in busy if p not in fetcher][:2]:
            time.sleep(0.03)
            os.kill(pid, signal.SIGKILL)
            killed_waiters += 1
        if kill_fetcher and fetching(fetcher, stub.port) == fetcher:
            os.kill(fetcher[0], signal.SIGKILL)
            killed_fetchers += 1
        last_kill = time.monotonic()
        done, _ = concurrent.futures.wait(futs, timeout=DEADLINE_S + 4)
        assert len(done) == BURST, f"{city}: requests still running"
    return ([f.result() for f in futs], killed_waiters, killed_fetchers,
            last_kill)


def test_killed_waiters_and_fetchers(kpool, stub):
    figures = {"sent": 0, "answered": 0, "on_killed": 0, "killed_waiters": 0,
               "killed_fetchers": 0, "max_latency": 0.0}
    last_kill = time.monotonic()
    for i, city in enumerate(CITIES):
        time.sleep(max(0.0, last_kill + MIN_AGE_S - time.monotonic()))
        results, kw, kf, last_kill = burst(kpool, stub, city,
                                           kill_fetcher=i % 2 == 1)
        ok, dropped, bad = [], [], []
        for r, took in results:
            if isinstance(r, ConnectionError):
                dropped.append(r)
            elif (not isinstance(r, Exception) and r.status == 200
                  and texts_of(r.json()) == [weather_text(city)]
                  and took <= DEADLINE_S):
                ok.append(took)
            else:
                bad.append((r, round(took, 3)))
        figures["sent"] += len(results)
        figures["answered"] += len(ok)
        figures["on_killed"] += len(dropped)
        figures["killed_waiters"] += kw
        figures["killed_fetchers"] += kf
        figures["max_latency"] = max([figures["max_latency"], *ok])
        assert not bad, (f"{city} (killed {kw} waiters, {kf} fetchers): "
                         f"{len(bad)} of {BURST} answers wrong, late or missing, "
                         f"e.g. {bad[:3]}")
        assert len(dropped) == kw + kf, \
            f"{city}: {len(dropped)} requests lost, {kw + kf} workers killed"
        # A killed fetch is fetched once more; a killed waiter costs nothing.
        assert stub.count(city) == 1 + kf, \
            f"{city}: {stub.count(city)} upstream calls with {kf} fetchers killed"
    print(f"\nkill bursts: {figures}")
    assert figures["killed_waiters"] == 2 * len(CITIES), figures
    assert figures["killed_fetchers"] == len(CITIES) // 2, figures

    # Afterwards: the places are cached, a burst for a new one costs one
    # fetch, and nothing was ever stuck.
    for city in CITIES:
        calls = stub.count(city)
        r, took = timed_ask(kpool, city)
        doc = check_webhook_response(r, f"weather {city} after the kills")
        assert texts_of(doc) == [weather_text(city)] and stub.count(city) == calls, \
            (f"{city}: not from the cache ({stub.count(city) - calls} more upstream "
             f"calls, {took:.3f}s): {texts_of(doc)}")
    with concurrent.futures.ThreadPoolExecutor(BURST) as ex:
        results = list(ex.map(lambda _: timed_ask(kpool, "Gdansk"),
                              range(BURST), timeout=DEADLINE_S + 4))
    for r, took in results:
        doc = check_webhook_response(r, "weather Gdansk after the kills")
        assert texts_of(doc) == [weather_text("Gdansk")] and took < DEADLINE_S, \
            (round(took, 3), texts_of(doc))
    assert stub.count("Gdansk") == 1, stub.snapshot()
    r = fcgi_request(kpool.target, "GET", "/healthz", content_type=None)
    assert r.status == 200, r
    assert kpool.proc.alive(), "the master died"
    assert kpool.wait_workers(WORKERS), kpool.workers()
    log = kpool.log.read_text(errors="replace")
    assert "stuck" not in log, \
        "the master found stuck workers:\n" + "\n".join(
            ln for ln in log.splitlines() if "stuck" in ln)
