"""Exact paths (contract §3): each endpoint answers on its exact path and on
no other, through every web server as the shipped snippets mount it, and
/status and /metrics only for clients on this host. A client at 127.0.0.2
stands for a client elsewhere: the snippets admit 127.0.0.1 and ::1 only."""

import json

import pytest

from conftest import QUERY_MARK, fcgi_request, http_request, webhook_request

OUTSIDE = "127.0.0.2"

# Every way of spelling /status or /metrics that some layer might
# normalise, decode or route on a segment of; none may reach the pool's
# report from outside, and none but the exact path from inside.
TRICKS = [
    "/webhook/status", "/webhook/metrics", "/healthz/status", "/healthz/metrics",
    "/webhookfoo/status", "/webhook;/status", "/webhook;/metrics", "/status/",
    "/metrics/", "/status;", "/status;x=1", "/status/.", "/status/x",
    "/statusx", "/%73tatus", "/%6detrics", "/status%2F", "/%2Fstatus",
    "/webhook%2Fstatus", "/webhook%2F..%2Fstatus", "/webhook/..%2Fstatus",
    "//status", "//metrics", "/./status", "/x/../status", "/webhook/../status",
    "/status#frag", "/STATUS", "/Metrics", "/status%00", "/status%20",
    "/status%3Fx", "/webhook?/status", "/healthz?/metrics",
    "/webhook?/status&key=" + QUERY_MARK, "/status/?token=" + QUERY_MARK,
]
REPORT_MARKS = (b"masterPid", b"cxhook_requests_total", b"cxhook_workers")
# A query string means nothing: these are the webhook and /healthz.
QUERIES = ("/webhook?", "/healthz?")


def leaked(r):
    return any(m in r.body for m in REPORT_MARKS)


@pytest.mark.parametrize("path", TRICKS)
def test_no_trick_reaches_the_report_from_outside(server, path):
    for method in ("GET", "HEAD", "POST"):
        r = http_request(server.base + path, method, body=b"{}" if method == "POST" else None,
                         headers={"Content-Type": "application/json"}, source=OUTSIDE)
        want = (200, 405) if path.startswith(QUERIES) else (400, 403, 404)
        assert r.status in want, f"{server.name} {method} {path} from {OUTSIDE}: {r!r}"
        assert not leaked(r), f"{server.name} {method} {path}: {r!r}"


@pytest.mark.parametrize("path", TRICKS)
def test_tricks_from_this_host_are_not_the_report_either(server, path):
    r = http_request(server.base + path, "GET")
    if path.startswith(QUERIES):
        assert r.status in (200, 405), f"{server.name} GET {path}: {r!r}"
    else:
        assert r.status in (400, 403, 404), f"{server.name} GET {path}: {r!r}"
    assert not leaked(r), f"{server.name} GET {path}: {r!r}"


def test_exact_paths_from_outside(server):
    assert http_request(server.base + "/status", "GET", source=OUTSIDE).status == 403
    assert http_request(server.base + "/metrics", "GET", source=OUTSIDE).status == 403
    assert http_request(server.base + "/status?x=1", "GET", source=OUTSIDE).status == 403
    r = http_request(server.base + "/healthz", "GET", source=OUTSIDE)
    assert r.status == 200 and r.json()["status"] == "ok", r
    r = http_request(server.url, "POST", json.dumps(webhook_request(tag="nothing-here")),
                     {"Content-Type": "application/json"}, source=OUTSIDE)
    assert r.status == 200 and r.json()["fulfillmentResponse"], r


def test_exact_paths_from_this_host(server):
    r = http_request(server.base + "/status", "GET")
    assert r.status == 200 and "masterPid" in r.json()["pool"], r
    r = http_request(server.base + "/metrics?x=" + QUERY_MARK, "GET")
    assert r.status == 200 and b"cxhook_requests_total" in r.body, r


@pytest.mark.parametrize("path", ["/webhookfoo", "/webhook/", "/webhook/x", "/webhook;x",
                                  "//webhook", "/%77ebhook", "/hook/webhook"])
def test_webhook_on_its_path_only(server, path):
    r = http_request(server.base + path, "POST", json.dumps(webhook_request(tag="x")),
                     {"Content-Type": "application/json"})
    assert r.status in (400, 403, 404, 405), f"{server.name} POST {path}: {r!r}"
    assert b"fulfillmentResponse" not in r.body, f"{server.name} POST {path}: {r!r}"


def test_pool_itself_routes_exact_paths(pool):
    """Straight over FastCGI, past any web server: a peer on the socket
    gets 404 for every trick too."""
    target = f"unix:{pool.sock}"
    for path in TRICKS:
        r = fcgi_request(target, "GET", path, content_type=None)
        if path.startswith(QUERIES):
            continue
        assert r.status == 404, f"{path}: {r!r}"
        assert r.json()["error"]["code"] == 404, f"{path}: {r!r}"
    assert fcgi_request(target, "GET", "/status", content_type=None).status == 200
