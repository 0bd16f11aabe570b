"""The weather handler (tag `weather`, intent `weather.current`) against a
stub provider (stubs.WeatherStub), on pools of its own: the answer and its
session parameters, where `location` may come from, upstream failures and
the deadline, the cache shared by the workers (single flight,
normalisation, TTL), and the sentiment handoff.

Pools here (all workers = 4, none is the session pool):
    weather            deadline 1500ms, [handoff] sentiment_below = -0.6;
                       lighttpd in front of it for the first test
    a fresh pool       for each test that needs a cold cache
"""

import concurrent.futures
import json
import threading
import time
import unicodedata
import uuid

import pytest

from conftest import (CORPUS, check_webhook_response, fcgi_post_json,
                      fcgi_request, post_json, session_params, start_own_pool,
                      start_web_server, texts_of, time_bound, webhook_request)
from stubs import WeatherStub

API_KEY = "it-weather-" + uuid.uuid4().hex[:12] + "+/=&x"  # must arrive intact: escaped
DEADLINE_MS = 1500
NAMES = {"10001": "New York", "são paulo": "São Paulo", "london": "London"}
CONDITION = "Partly cloudy"


def weather_text(city):
    return (f"The current weather in {city} is {CONDITION} with a temperature "
            "of 14\u00b0C.")


def weather_req(location=None, tag="weather", intent=None, where="session",
                sentiment=None):
    """A weather request with location in sessionInfo.parameters
    (where="session") or in intentInfo.parameters (where="intent")."""
    params, iparams = {}, None
    if location is not None:
        if where == "session":
            params["location"] = location
        else:
            iparams = {"location": location}
    req = webhook_request(tag=tag, intent=intent, params=params,
                          intent_params=iparams, text="what's the weather like")
    if sentiment is not None:
        req["sentimentAnalysisResult"] = {"score": sentiment, "magnitude": 0.9}
    return req


def ask(pool, req, timeout=5.0):
    r = fcgi_post_json(pool.target, req, timeout=timeout)
    return check_webhook_response(r, f"weather {json.dumps(req.get('sessionInfo'))[:120]}")


# --------------------------------------------------------------------------
# Fixtures

@pytest.fixture(scope="module")
def api_key_file(workdir):
    path = workdir / "weather.key"
    path.write_text(API_KEY + "\n")  # the trailing newline is not the key's
    return path


@pytest.fixture(scope="module")
def stub():
    s = WeatherStub(names=NAMES, condition=CONDITION).start()
    yield s
    s.stop()


@pytest.fixture
def weather(stub):
    """The module's stub, its counts and modes cleared for this test."""
    stub.reset()
    return stub


def weather_section(url, key_file, ttl="30m"):
    return f"""
[weather]
url = {url}
api_key_file = {key_file}
cache_ttl = {ttl}
"""


@pytest.fixture(scope="module")
def wpool(cxhook_bin, workdir, database, stub, api_key_file):
    p = start_own_pool(cxhook_bin, workdir, database, "weather", workers=4,
                       deadline=f"{DEADLINE_MS}ms",
                       extra=weather_section(stub.url, api_key_file)
                       + "\n[handoff]\nsentiment_below = -0.6\n")
    yield p
    p.proc.stop()


@pytest.fixture(scope="module")
def wlighttpd(workdir, wpool):
    ws = start_web_server("lighttpd", workdir, wpool.sock, tag="lighttpd-weather")
    yield ws
    ws.proc.stop()


@pytest.fixture
def fresh_pool(make_pool, stub, api_key_file):
    """A new pool (cold cache) pointed at the module's stub."""
    def make(name, deadline="4500ms", ttl="30m"):
        return make_pool(name, workers=4, deadline=deadline,
                         extra=weather_section(stub.url, api_key_file, ttl))
    return make


# --------------------------------------------------------------------------
# 1. The answer.

def test_london_through_lighttpd(weather, wpool, wlighttpd):
    r = post_json(wlighttpd.url, weather_req("London"))
    doc = check_webhook_response(r, "weather London via lighttpd")
    assert texts_of(doc) == [weather_text("London")], doc
    p = session_params(doc)
    assert p.get("weather_condition") == CONDITION, p
    t = p.get("temperature")
    assert isinstance(t, (int, float)) and not isinstance(t, bool) and t == 14, \
        f"temperature must be the JSON number 14, got {t!r}"
    assert p.get("weather_location") == "London", p
    assert "error_code" not in p and not p.get("error_occurred"), p
    snap = weather.snapshot()
    assert snap["total"] == 1, snap
    assert snap["queries"] == ["London"], snap
    assert snap["keys"] == [API_KEY], \
        f"the provider must get key=<content of api_key_file>: {snap['keys']}"


# --------------------------------------------------------------------------
# 2. Where the location comes from.

def test_location_as_sys_location_object(weather, wpool):
    doc = ask(wpool, weather_req({"city": "Paris", "country": "France"}))
    assert texts_of(doc) == [weather_text("Paris")], doc
    assert weather.snapshot()["queries"] == ["Paris"], \
        f"expected one upstream call with q=Paris: {weather.snapshot()}"
    # {"original": ...} alone names the place too (Paris is cached by now).
    doc = ask(wpool, weather_req({"original": "paris"}))
    assert texts_of(doc) == [weather_text("Paris")], doc
    assert weather.count("paris") == 1, weather.snapshot()


def test_location_original_only_goes_upstream(weather, wpool):
    doc = ask(wpool, weather_req({"original": "Valparaiso"}))
    assert texts_of(doc) == [weather_text("Valparaiso")], doc
    assert weather.snapshot()["queries"] == ["Valparaiso"], weather.snapshot()


def test_location_as_number_is_a_zip(weather, wpool):
    # By intent name (weather.current) with no tag, the number in this
    # turn's intentInfo.parameters.
    doc = ask(wpool, weather_req(10001, tag=None, intent="weather.current", where="intent"))
    assert texts_of(doc) == [weather_text("New York")], doc
    assert weather.snapshot()["queries"] == ["10001"], \
        f"a numeric location must go upstream as q=10001: {weather.snapshot()}"
    # 10001.0 in the session parameters is the same zip (and the same entry).
    doc = ask(wpool, weather_req(10001.0))
    assert texts_of(doc) == [weather_text("New York")], doc
    assert weather.snapshot()["queries"] == ["10001"], \
        f"10001.0 must be the zip 10001, not another place: {weather.snapshot()}"


# --------------------------------------------------------------------------
# 3. No location.

def test_no_location_asks_for_a_city(weather, wpool):
    for req in (weather_req(None),
                weather_req(None, tag=None, intent="weather.current"),
                json.loads((CORPUS / "requests" / "06-weather-no-location-anywhere.json")
                           .read_text())):
        doc = ask(wpool, req)
        texts = texts_of(doc)
        assert len(texts) == 1 and "city" in texts[0].lower() and texts[0].rstrip().endswith("?"), \
            f"expected a prompt for a city: {texts}"
        assert not session_params(doc).get("error_occurred"), doc
    assert weather.snapshot()["total"] == 0, \
        f"no location must mean no upstream call: {weather.snapshot()}"


def test_blank_city_in_location_object_asks_for_a_city(weather, wpool):
    """An @sys.location whose only member is blank names no place: like a
    blank string (which is asked about), it must not go upstream."""
    doc = ask(wpool, weather_req("   "))
    assert texts_of(doc) == ["Which city would you like the weather for?"], doc
    doc = ask(wpool, weather_req({"city": "   "}))
    texts = texts_of(doc)
    assert weather.snapshot()["total"] == 0 and len(texts) == 1 and "city" in texts[0].lower(), \
        (f"location {{\"city\": \"   \"}} should prompt for a city without an upstream call; "
         f"got {texts} {session_params(doc)} after upstream queries "
         f"{weather.snapshot()['queries']!r}")


# --------------------------------------------------------------------------
# 4. A place the provider does not know.

def test_unknown_place(weather, wpool):
    for i in range(2):  # the second is answered from the negative cache
        doc = ask(wpool, weather_req("Atlantis"))
        assert texts_of(doc) == ["Sorry, I couldn't find weather information for Atlantis."], doc
        p = session_params(doc)
        assert p.get("error_code") == "location_not_found", p
        assert p.get("error_occurred") is True, p
        assert "weather_location" not in p and "temperature" not in p, p
    assert weather.count("atlantis") == 1, weather.snapshot()


# --------------------------------------------------------------------------
# 5. Upstream failures and the deadline.

@pytest.mark.parametrize("mode,place", [({"status": 500}, "Madrid"),
                                        ({"status": 503}, "Lyon"),
                                        ({"drop": True}, "Porto")],
                         ids=["500", "503", "dropped"])
def test_provider_failure_is_an_apology(weather, wpool, mode, place):
    weather.set_mode(place, **mode)
    r = fcgi_post_json(wpool.target, weather_req(place))
    assert r.status == 200, r
    doc = check_webhook_response(r, f"weather {place} {mode}")
    p = session_params(doc)
    assert p.get("error_occurred") is True, p
    assert p.get("error_code") == "upstream_unavailable", p
    texts = texts_of(doc)
    assert len(texts) == 1 and texts[0].startswith("Sorry"), texts
    assert "weather_location" not in p, p
    assert weather.count(place) == 1, weather.snapshot()
    # A failure is not cached: once the provider is well, the next caller
    # gets the weather.
    weather.clear_mode(place)
    doc = ask(wpool, weather_req(place))
    assert texts_of(doc) == [weather_text(place)], doc
    assert weather.count(place) == 2, weather.snapshot()


# weatherapi.com: 401 = key missing or invalid (1002, 2006), 403 = quota
# exceeded or key disabled (2007, 2008); only 400/1006 means no such place.
@pytest.mark.parametrize("status,error,place", [
    (401, {"code": 2006, "message": "API key is invalid."}, "Hamburg"),
    (403, {"code": 2007, "message": "API key has exceeded calls per month quota."}, "Munich"),
], ids=["401-bad-key", "403-quota"])
def test_provider_refusing_the_key_is_not_an_unknown_place(weather, wpool, status, error, place):
    weather.set_mode(place, status=status, error=error)
    doc = ask(wpool, weather_req(place))
    p = session_params(doc)
    assert p.get("error_code") == "upstream_unavailable", \
        (f"provider answered {status} {error}: expected error_code upstream_unavailable, got "
         f"{p.get('error_code')!r} and {texts_of(doc)}")
    weather.clear_mode(place)
    doc = ask(wpool, weather_req(place))
    assert texts_of(doc) == [weather_text(place)], \
        (f"the provider is well again, but the {status} is still being served from the cache: "
         f"{texts_of(doc)} (upstream calls {weather.count(place)})")


@time_bound
def test_provider_not_listening(make_pool, api_key_file):
    gone = WeatherStub(names=NAMES).start()
    url = gone.url
    p = make_pool("weather-refused", deadline=f"{DEADLINE_MS}ms",
                  extra=weather_section(url, api_key_file))
    gone.stop()
    t0 = time.monotonic()
    r = fcgi_post_json(p.target, weather_req("Vienna"))
    elapsed = time.monotonic() - t0
    doc = check_webhook_response(r, "weather, provider refusing connections")
    pr = session_params(doc)
    assert pr.get("error_occurred") is True and pr.get("error_code") == "upstream_unavailable", pr
    assert elapsed < DEADLINE_MS / 1000, f"a refused connection took {elapsed:.2f}s"


@time_bound
@pytest.mark.parametrize("mode,place", [({"delay": 3.0}, "Reykjavik"),
                                        ({"slow": 3.0}, "Tromso")],
                         ids=["delay-3s", "trickle-3s"])
def test_provider_slower_than_the_deadline(weather, wpool, mode, place):
    weather.set_mode(place, **mode)
    t0 = time.monotonic()
    r = fcgi_post_json(wpool.target, weather_req(place), timeout=6)
    elapsed = time.monotonic() - t0
    assert r.status == 200, r
    doc = check_webhook_response(r, f"weather {place} {mode}")
    p = session_params(doc)
    assert p.get("error_occurred") is True, p
    assert p.get("error_code") == "upstream_timeout", p
    limit = DEADLINE_MS / 1000 + 0.5
    assert elapsed <= limit, \
        f"answer took {elapsed:.2f}s: the pool waited for the provider (deadline {DEADLINE_MS}ms)"
    assert weather.count(place) == 1, weather.snapshot()


# --------------------------------------------------------------------------
# 6-9. The shared cache.

def status_requests(pool):
    r = fcgi_request(pool.target, "GET", "/status", content_type=None)
    assert r.status == 200, r
    doc = r.json()
    return {w["pid"]: w["requests"] for w in doc["workers"]}


def test_cache_is_shared_by_all_workers(weather, fresh_pool):
    p = fresh_pool("weather-shared")
    before = status_requests(p)
    n, threads = 1000, 8
    expected = weather_text("London")
    counter = iter(range(n))
    lock = threading.Lock()
    bad, done = [], [0]
    end = time.monotonic() + 30

    def worker():
        while time.monotonic() < end:
            with lock:
                i = next(counter, None)
            if i is None:
                return
            try:
                r = fcgi_post_json(p.target, weather_req("London"))
                ok = r.status == 200 and texts_of(r.json()) == [expected]
            except Exception as e:  # noqa: BLE001 - collected, reported below
                ok, r = False, e
            with lock:
                done[0] += 1
                if not ok and len(bad) < 5:
                    bad.append(r)

    ts = [threading.Thread(target=worker) for _ in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(timeout=40)
    assert done[0] == n, f"only {done[0]} of {n} requests done within 30 s"
    assert not bad, f"wrong answers, e.g. {bad}"
    snap = weather.snapshot()
    assert snap["total"] == 1, \
        f"{n} requests for London with 4 workers cost {snap['total']} upstream calls: {snap['calls']}"
    after = status_requests(p)
    served = {pid: after.get(pid, 0) - before.get(pid, 0) for pid in after}
    busy = [pid for pid, k in served.items() if k > 0]
    assert len(busy) >= 2, f"only {busy} served the {n} requests: {served}"
    assert sum(served.values()) >= n, served


@time_bound
def test_single_flight(weather, fresh_pool):
    p = fresh_pool("weather-flight", deadline="4500ms")
    weather.set_mode("Oslo", delay=1.0)
    n = 50
    barrier = threading.Barrier(n, timeout=10)

    def one(_):
        barrier.wait()
        t0 = time.monotonic()
        try:
            r = fcgi_post_json(p.target, weather_req("Oslo"), timeout=6)
        except Exception as e:  # noqa: BLE001 - reported below
            r = e
        return r, time.monotonic() - t0

    with concurrent.futures.ThreadPoolExecutor(n) as ex:
        results = list(ex.map(one, range(n), timeout=30))
    calls = weather.snapshot()["total"]
    wrong = [r for r, _ in results
             if isinstance(r, Exception) or r.status != 200
             or texts_of(r.json()) != [weather_text("Oslo")]]
    assert not wrong, (f"{len(wrong)} of {n} answers wrong or missing ({calls} upstream calls), "
                       f"e.g. {wrong[:2]}")
    slow = sorted(round(t, 2) for _, t in results if t > 4.5)
    assert not slow, f"answers past the 4.5 s deadline: {slow}"
    assert weather.count("Oslo") == 1 and calls == 1, \
        f"{n} concurrent requests for Oslo cost {calls} upstream calls"


def test_cache_key_is_normalised(weather, fresh_pool):
    p = fresh_pool("weather-norm")
    for loc in ["london", " LONDON ", "London", "\uff2c\uff2f\uff2e\uff24\uff2f\uff2e",
                "london\u00a0", "Lon\u00addon"]:
        doc = ask(p, weather_req(loc))
        assert texts_of(doc) == [weather_text("London")], (loc, doc)
    snap = weather.snapshot()
    assert snap["total"] == 1, f"one place, {snap['total']} upstream calls: {snap['queries']}"
    nfc = unicodedata.normalize("NFC", "São Paulo")
    nfd = unicodedata.normalize("NFD", "São Paulo")
    assert nfc != nfd
    for loc in [nfc, nfd, "SÃO PAULO"]:
        doc = ask(p, weather_req(loc))
        assert texts_of(doc) == [weather_text("São Paulo")], (ascii(loc), doc)
    snap = weather.snapshot()
    assert snap["total"] == 2, \
        f"NFC and NFD São Paulo must share one entry: {[ascii(q) for q in snap['queries']]}"
    # And different places stay different.
    doc = ask(p, weather_req("Londonderry"))
    assert texts_of(doc) == [weather_text("Londonderry")], doc
    assert weather.snapshot()["total"] == 3


@time_bound
def test_cache_ttl(weather, fresh_pool):
    p = fresh_pool("weather-ttl", ttl="1s")
    ask(p, weather_req("Bergen"))
    ask(p, weather_req("Bergen"))
    assert weather.count("Bergen") == 1, weather.snapshot()
    time.sleep(1.5)
    doc = ask(p, weather_req("Bergen"))
    assert texts_of(doc) == [weather_text("Bergen")], doc
    assert weather.count("Bergen") == 2, \
        f"cache_ttl = 1s, but 1.5 s later no second upstream call: {weather.snapshot()}"


# --------------------------------------------------------------------------
# 20. Sentiment handoff ([handoff] sentiment_below = -0.6 on this pool).

def handoffs(doc):
    msgs = (doc.get("fulfillmentResponse") or {}).get("messages") or []
    return [m["liveAgentHandoff"] for m in msgs if "liveAgentHandoff" in m]


@pytest.mark.parametrize("score,expect", [(-0.8, True), (-0.6, True), (-1.0, True),
                                          (-0.2, False), (-0.59, False), (None, False)])
def test_sentiment_handoff(weather, wpool, score, expect):
    doc = ask(wpool, weather_req("Rome", sentiment=score))
    assert weather_text("Rome") in texts_of(doc), \
        f"the normal answer must stay: {texts_of(doc)}"
    h = handoffs(doc)
    p = session_params(doc)
    if expect:
        assert len(h) == 1, f"score {score}: expected one liveAgentHandoff message: {doc}"
        assert p.get("handoff_suggested") is True, p
        assert p.get("weather_location") == "Rome", p
    else:
        assert not h, f"score {score}: unexpected liveAgentHandoff: {doc}"
        assert "handoff_suggested" not in p, p
