"""HTTP semantics of the webhook, the same behind every web server:
405 / 415 / 413, and the health endpoint."""

import json
import math
import re

import pytest

from conftest import (TEXT_BALANCE_10042, check_error, check_webhook_response,
                      http_request, post_json, start_own_pool, start_web_server,
                      texts_of, wait_until, webhook_request)

BALANCE = json.dumps(webhook_request(
    tag="database-query", params={"query_type": "account_balance", "user_id": "10042"}))


@pytest.mark.parametrize("method", ["GET", "PUT"])
def test_method_not_allowed(server, method):
    body = BALANCE if method == "PUT" else None
    headers = {"Content-Type": "application/json"} if body else {}
    r = http_request(server.url, method, body, headers)
    check_error(r, 405, f"{method} via {server.name}")
    allow = [m.strip() for m in (r.header("allow") or "").split(",")]
    assert "POST" in allow, f"405 without 'Allow: POST': {r.headers}"


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded", None],
                         ids=["text-plain", "form-urlencoded", "missing"])
def test_unsupported_media_type(server, ctype):
    r = post_json(server.url, BALANCE, content_type=ctype)
    check_error(r, 415, f"Content-Type {ctype!r} via {server.name}")


@pytest.mark.parametrize("ctype", ["application/json; charset=utf-8",
                                   "application/json;charset=UTF-8",
                                   "Application/JSON"])
def test_json_content_type_variants(server, ctype):
    r = post_json(server.url, BALANCE, content_type=ctype)
    check_webhook_response(r, f"Content-Type {ctype!r} via {server.name}")


def test_body_too_large(server):
    big = json.dumps(webhook_request(tag="database-query",
                                     params={"query_type": "account_balance",
                                             "user_id": "10042",
                                             "padding": "x" * (2 << 20)}))
    assert len(big) > 2 << 20
    r = post_json(server.url, big)
    check_error(r, 413, f"2 MiB body via {server.name}")


def test_body_just_under_limit(server):
    """A body a little below max_body (1 MiB) is still accepted."""
    req = webhook_request(tag="database-query",
                          params={"query_type": "account_balance", "user_id": "10042",
                                  "padding": "x" * (1000 * 1024)})
    body = json.dumps(req)
    assert len(body) < 1 << 20
    r = post_json(server.url, body)
    check_webhook_response(r, f"{len(body)} byte body via {server.name}")


@pytest.mark.parametrize("size,status", [(300 * 1024, 200), (1500 * 1024, 413)],
                         ids=["300KiB", "1500KiB"])
def test_chunked_body(server, size, status):
    """A chunked body may reach the pool with no CONTENT_LENGTH (Apache
    streams large ones): it is read to the end, and max_body still holds."""
    body = json.dumps(webhook_request(tag="database-query",
                                      params={"query_type": "account_balance",
                                              "user_id": "10042", "padding": "x" * size}))
    r = http_request(server.url, "POST", body, {"Content-Type": "application/json"},
                     chunked=True)
    what = f"{len(body)} byte chunked body via {server.name}"
    if status == 200:
        check_webhook_response(r, what)
    else:
        check_error(r, status, what)


def test_webhook_on_its_exact_path_only(server):
    """The exact path is the webhook, with or without a query string;
    /webhook/anything is not (contract §3)."""
    r = post_json(server.url + "?x=1", BALANCE)
    check_webhook_response(r, f"/webhook?x=1 via {server.name}")
    r = post_json(server.url + "/projects/x/agent?x=1", BALANCE)
    # 404 from the pool or nginx and lighttpd, 403 from the test Apache
    # (its document root is "Require all denied").
    assert r.status in (403, 404), f"/webhook/... via {server.name}: {r!r}"


def test_healthz(server):
    r = http_request(server.base + "/healthz", "GET")
    assert r.status == 200, r
    assert r.json() == {"status": "ok", "database": "ok"}, r


# Every metric the pool reports (fcgi/scoreboard.c; README names
# cxhook_workers_killed_total), its TYPE and the label sets of its samples.
METRICS = {
    "cxhook_workers": ("gauge", {'state="idle"', 'state="busy"'}),
    "cxhook_requests_total": ("counter", {""}),
    "cxhook_responses_total": ("counter", {f'class="{c}xx"' for c in range(2, 6)}),
    "cxhook_request_duration_seconds_total": ("counter", {""}),
    "cxhook_workers_respawned_total": ("counter", {""}),
    "cxhook_workers_killed_total": ("counter", {""}),
    "cxhook_uptime_seconds": ("gauge", {""}),
}
# Prometheus text format 0.0.4: name{label="value",...} number
_LABEL = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
SAMPLE = re.compile(r"([a-zA-Z_:][a-zA-Z0-9_:]*)"
                    rf"(?:\{{((?:{_LABEL})(?:,{_LABEL})*)?\}})? (\S+)")


def scrape(server):
    """/metrics as {(name, labels): value}, each line checked: a comment
    (# HELP or # TYPE, TYPE before its samples) or a sample with a finite
    value no counter or gauge of ours can have below 0."""
    r = http_request(server.base + "/metrics", "GET")
    assert r.status == 200, r
    assert (r.header("content-type") or "").startswith("text/plain"), r.headers
    samples, types = {}, {}
    for line in r.body.decode("utf-8").splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ")
            types[name] = kind
            continue
        if line.startswith("# HELP "):
            continue
        m = SAMPLE.fullmatch(line)
        assert m, f"not a sample line: {line!r}"
        name, labels, value = m.group(1), m.group(2) or "", float(m.group(3))
        assert name in types, f"{name}: a sample before its # TYPE"
        assert math.isfinite(value) and value >= 0, f"{line!r}"
        assert (name, labels) not in samples, f"{line!r} twice"
        samples[(name, labels)] = value
    for name, (kind, labels) in METRICS.items():
        assert types.get(name) == kind, f"{name}: TYPE {types.get(name)!r}, want {kind}"
        have = {lab for n, lab in samples if n == name}
        assert have == labels, f"{name}: samples {sorted(have)}, want {sorted(labels)}"
    return samples


def test_metrics(server):
    """Two answers and a 400 through the web server move the pool's
    counters by exactly that much, and by the scrapes (each 200): a scrape
    is counted once answered, so the k-th one after `before` counts
    `before` and the k - 1 between."""
    total, c2, c4, c5 = (("cxhook_requests_total", ""),
                         *(("cxhook_responses_total", f'class="{c}xx"') for c in (2, 4, 5)))
    before = scrape(server)
    for body, status in ((BALANCE, 200), (BALANCE, 200), ("{", 400)):
        r = post_json(server.url, body)
        assert r.status == status, r
    seen = []

    def moved():
        seen.append(scrape(server))
        return seen[-1][total] >= before[total] + 3 + len(seen)

    assert wait_until(moved, 5), f"{total[0]} did not move: {before} -> {seen[-1]}"
    k, after = len(seen), seen[-1]
    got = tuple(after[m] - before[m] for m in (total, c2, c4, c5))
    assert got == (3 + k, 2 + k, 1, 0), \
        f"requests, 2xx, 4xx, 5xx moved by {got} after {k} scrapes"
    assert after[("cxhook_request_duration_seconds_total", "")] > \
        before[("cxhook_request_duration_seconds_total", "")], (before, after)


def test_status(server, pool):
    r = http_request(server.base + "/status", "GET")
    assert r.status == 200, r
    doc = r.json()
    assert isinstance(doc, dict), r
    text = json.dumps(doc)
    assert str(pool.pid) in text, f"master pid {pool.pid} not in {text[:400]}"
    for pid in pool.workers():
        assert str(pid) in text, f"worker pid {pid} not in {text[:400]}"


# --------------------------------------------------------------------------
# Numbers JSON cannot hold never leave: proto3 JSON's "NaN", "Infinity" and
# "-Infinity" in a float field count as absent (no score, so no handoff);
# other spellings and a string number no double holds are a 400 naming the
# field. Behind lighttpd, on a pool that hands off at a score of -0.6 or
# below, where a score reaches the answer (liveAgentHandoff.metadata).

@pytest.fixture(scope="module")
def handoff_lighttpd(cxhook_bin, workdir, database):
    p = start_own_pool(cxhook_bin, workdir, database, "handoff", workers=2,
                       extra="\n[handoff]\nsentiment_below = -0.6\n")
    ws = start_web_server("lighttpd", workdir, p.sock, tag="lighttpd-handoff")
    yield ws
    ws.proc.stop()
    p.proc.stop()


def handoffs(doc):
    return [m["liveAgentHandoff"] for m in doc.get("fulfillmentResponse", {}).get("messages", [])
            if "liveAgentHandoff" in m]


def balance_with(obj, field, value):
    req = webhook_request(tag="database-query",
                          params={"query_type": "account_balance", "user_id": "10042"})
    req[obj] = {field: value}
    if obj == "sentimentAnalysisResult" and field == "magnitude":
        req[obj]["score"] = -0.8  # a handoff, whose metadata must stay JSON
    return req


def test_score_reaches_the_answer(handoff_lighttpd):
    """The pool does hand off, and says the score."""
    r = post_json(handoff_lighttpd.url, balance_with("sentimentAnalysisResult", "score", "-0.8"))
    doc = check_webhook_response(r, "score -0.8")
    assert [h.get("metadata", {}).get("sentimentScore") for h in handoffs(doc)] == [-0.8], doc


@pytest.mark.parametrize("value", ["NaN", "Infinity", "-Infinity", "nan", "1e999"])
@pytest.mark.parametrize("obj,field", [("sentimentAnalysisResult", "score"),
                                       ("sentimentAnalysisResult", "magnitude"),
                                       ("intentInfo", "confidence")])
def test_non_finite_numbers(handoff_lighttpd, obj, field, value):
    what = f"{obj}.{field} = {value!r}"
    r = post_json(handoff_lighttpd.url, balance_with(obj, field, value))
    if value not in ("NaN", "Infinity", "-Infinity"):
        message = check_error(r, 400, what)
        assert f"{obj}.{field}" in message, f"{what}: the message names no field: {message!r}"
        return
    doc = check_webhook_response(r, what)  # parsed strictly: no NaN, no Infinity
    assert TEXT_BALANCE_10042 in texts_of(doc), f"{what}: {r!r}"
    want = [-0.8] if field == "magnitude" else []
    assert [h.get("metadata", {}).get("sentimentScore") for h in handoffs(doc)] == want, \
        f"{what}: {r!r}"
