"""`cxhook send`: the request its flags build, --file, --token, the three
kinds of target (unix:, tcp:, http://), its output and its exit status.

Two pools of their own (workers = 4) with [auth] bearer_token_file: one on
a unix socket with lighttpd in front of it (for http://), one on
127.0.0.1:PORT (for tcp:). What the flags build is checked twice: by its
effect on a pool (the balance it answers, the session a booking records)
and byte for byte at a stubs.SchedulingStub standing in for a webhook.
"""

import datetime
import json
import uuid

import pytest

from conftest import (CORPUS, TEXT_BALANCE_10042, free_port, json_strict, psql_rows, run,
                      start_own_pool, start_web_server)
from stubs import SchedulingStub

TOKEN = "it-send-" + uuid.uuid4().hex
BALANCE_ARGS = ["--tag", "database-query", "--param", "query_type=account_balance",
                "--param", "user_id=10042"]
STUB_ANSWER = {"fulfillmentResponse": {"messages": [{"text": {"text": ["stub says hi"]}}]},
               "sessionInfo": {"parameters": {"n": 1, "ok": True, "u": "caf\u00e9"}}}


@pytest.fixture(scope="module")
def token_file(workdir):
    path = workdir / "send.token"
    path.write_text(TOKEN + "\n")
    return path


@pytest.fixture(scope="module")
def spool(cxhook_bin, workdir, database, token_file):
    p = start_own_pool(cxhook_bin, workdir, database, "send", workers=4,
                       extra=f"\n[auth]\nbearer_token_file = {token_file}\n")
    yield p
    p.proc.stop()


@pytest.fixture(scope="module")
def spool_tcp(cxhook_bin, workdir, database, token_file):
    p = start_own_pool(cxhook_bin, workdir, database, "send-tcp", workers=4,
                       listen=f"127.0.0.1:{free_port()}",
                       extra=f"\n[auth]\nbearer_token_file = {token_file}\n")
    yield p
    p.proc.stop()


@pytest.fixture(scope="module")
def slighttpd(workdir, spool):
    ws = start_web_server("lighttpd", workdir, spool.sock, tag="lighttpd-send")
    yield ws
    ws.proc.stop()


@pytest.fixture
def echo():
    """A POST receiver on /webhook that answers 200 STUB_ANSWER."""
    s = SchedulingStub(path="/webhook", status=200, answer=STUB_ANSWER).start()
    yield s
    s.stop()


@pytest.fixture
def targets(spool, spool_tcp, slighttpd):
    return {"unix": spool.target, "tcp": spool_tcp.target, "http": slighttpd.url}


def send(cxhook_bin, *args, timeout=20):
    return run([cxhook_bin, "send", *args], timeout=timeout, check=False)


def parse_output(r):
    """'HTTP NNN' on the first line, then the pretty-printed JSON answer."""
    first, _, rest = r.stdout.partition("\n")
    assert first.startswith("HTTP "), f"first line {first!r}: {r}"
    return int(first[5:]), first, rest


# --------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["unix", "tcp", "http"])
def test_targets_and_token(cxhook_bin, targets, kind):
    target = targets[kind]
    r = send(cxhook_bin, target, *BALANCE_ARGS)
    status, _, rest = parse_output(r)
    assert status == 401 and r.returncode == 1, \
        f"{kind}: without --token expected HTTP 401 and exit 1: exit {r.returncode}\n{r.stdout}"
    assert json_strict(rest)["error"]["code"] == 401

    r = send(cxhook_bin, target, *BALANCE_ARGS, "--token", "not-the-token")
    status, _, _ = parse_output(r)
    assert status == 403 and r.returncode == 1, f"{kind}: wrong token: {r}"

    r = send(cxhook_bin, target, *BALANCE_ARGS, "--token", TOKEN)
    assert r.returncode == 0, f"{kind}: with --token expected exit 0: {r}"
    status, first, rest = parse_output(r)
    assert first == "HTTP 200", first
    doc = json_strict(rest)
    texts = [t for m in doc["fulfillmentResponse"]["messages"] for t in m.get("text", {}).get("text", [])]
    assert texts == [TEXT_BALANCE_10042], doc
    assert "\n  " in rest.strip(), f"{kind}: the JSON is not pretty-printed:\n{rest}"


@pytest.mark.parametrize("kind", ["unix", "http"])
def test_token_file(cxhook_bin, targets, token_file, workdir, kind):
    """--token-file reads the token from a file (its first line), so that
    no process listing shows it."""
    r = send(cxhook_bin, targets[kind], *BALANCE_ARGS, "--token-file", token_file)
    assert r.returncode == 0 and parse_output(r)[1] == "HTTP 200", r
    wrong = workdir / f"send-wrong-{kind}.token"
    wrong.write_text("not-the-token\n")
    r = send(cxhook_bin, targets[kind], *BALANCE_ARGS, "--token-file", wrong)
    assert r.returncode == 1 and parse_output(r)[0] == 403, r
    r = send(cxhook_bin, targets[kind], *BALANCE_ARGS, "--token-file", workdir / "no-such")
    assert r.returncode == 66 and "--token-file" in r.stderr, r
    assert TOKEN not in r.stdout + r.stderr


def test_flags_build_the_request(cxhook_bin, echo):
    r = send(cxhook_bin, "http://127.0.0.1:%d/webhook" % echo.port,
             "--tag", "booking.create", "--intent", "booking.create.intent",
             "--param", "user_id=10042", "--param", 'sid="10042"',
             "--param", 'date={"year":2027,"month":9,"day":14}', "--param", "service=massage",
             "--param", "flag=true", "--session", "it-send-session",
             "--text", "book me a massage, please", "--token", "tok-123")
    assert r.returncode == 0, r
    posts = echo.received()
    assert len(posts) == 1, posts
    h, body = posts[0]["headers"], posts[0]["json"]
    assert posts[0]["path"] == "/webhook"
    assert (h.get("content-type") or "").startswith("application/json"), h
    assert h.get("authorization") == "Bearer tok-123", h
    assert isinstance(body, dict), posts[0]["body"]
    assert (body.get("fulfillmentInfo") or {}).get("tag") == "booking.create", body
    assert (body.get("intentInfo") or {}).get("displayName") == "booking.create.intent", body
    si = body.get("sessionInfo") or {}
    assert si.get("parameters") == {"user_id": 10042, "sid": "10042",
                                    "date": {"year": 2027, "month": 9, "day": 14},
                                    "service": "massage", "flag": True}, si
    assert str(si.get("session", "")).endswith("/sessions/it-send-session"), si
    assert body.get("text") == "book me a massage, please", body
    assert isinstance(body.get("detectIntentResponseId"), str) and body["detectIntentResponseId"], body
    # The answer is printed as it came, pretty.
    status, first, rest = parse_output(r)
    assert first == "HTTP 200"
    assert json_strict(rest) == STUB_ANSWER, rest
    assert "\n" in rest.strip()


def test_each_send_is_a_new_request(cxhook_bin, echo):
    url = "http://127.0.0.1:%d/webhook" % echo.port
    for _ in range(2):
        assert send(cxhook_bin, url, "--tag", "x").returncode == 0
    ids = [p["json"]["detectIntentResponseId"] for p in echo.received()]
    sessions = [p["json"]["sessionInfo"]["session"] for p in echo.received()]
    assert len(set(ids)) == 2, ids
    assert len(set(sessions)) == 2, f"without --session each send is its own session: {sessions}"


def test_flags_by_their_effect(cxhook_bin, database, spool):
    r = send(cxhook_bin, spool.target, "--intent", "account.balance",
             "--param", "user_id=20001", "--token", TOKEN)
    assert r.returncode == 0 and "\u20ac310.00" in r.stdout, r
    # A string id works as well as a number.
    r = send(cxhook_bin, spool.target, "--tag", "database-query", "--param",
             "query_type=account_balance", "--param", 'user_id="10043"', "--token", TOKEN)
    assert r.returncode == 0 and "$98,234.10" in r.stdout, r
    # --session: the booking records the session it was made in.
    d = datetime.date.today() + datetime.timedelta(days=700 + uuid.uuid4().int % 300)
    session = "it-send-" + uuid.uuid4().hex[:8]
    r = send(cxhook_bin, spool.target, "--tag", "booking.create", "--param", "service=haircut",
             "--param", "date=" + json.dumps({"year": d.year, "month": d.month, "day": d.day}),
             "--param", 'time={"hours":9,"minutes":30}', "--session", session, "--token", TOKEN)
    assert r.returncode == 0, r
    _, _, rest = parse_output(r)
    cid = json_strict(rest)["sessionInfo"]["parameters"].get("confirmation_id")
    assert cid, rest
    rows = psql_rows(database, f"SELECT session_id FROM bookings WHERE confirmation_id = '{cid}'")
    assert rows == [(session,)], f"the booking should record session {session!r}: {rows}"


def test_file_is_sent_verbatim(cxhook_bin, workdir, echo, spool):
    # Odd spacing, escapes and key order: sent as it is, byte for byte.
    raw = ('{ "sessionInfo" : {"parameters":{"query_type":"account_balance",'
           '"user_id":"10042"}},\n\t"fulfillmentInfo":{"tag":"database-query"},'
           '"text":"caf\\u00e9 \u00e9", "detectIntentResponseId":"fixed-id-1" }\n').encode()
    path = workdir / "send-verbatim.json"
    path.write_bytes(raw)
    r = send(cxhook_bin, "http://127.0.0.1:%d/webhook" % echo.port, "--file", path)
    assert r.returncode == 0, r
    assert [p["body"] for p in echo.received()] == [raw], \
        f"--file must send the file byte for byte: {echo.received()[0]['body']!r}"
    # The same file to the pool.
    r = send(cxhook_bin, spool.target, "--file", path, "--token", TOKEN)
    assert r.returncode == 0 and TEXT_BALANCE_10042 in r.stdout, r
    good = CORPUS / "requests" / "08-dbquery-balance-user-id-integer.json"
    r = send(cxhook_bin, spool.target, "--file", good, "--token", TOKEN)
    assert r.returncode == 0 and TEXT_BALANCE_10042 in r.stdout, r


def test_exit_status_not_200(cxhook_bin, spool, echo):
    bad = CORPUS / "bad" / "top-level-array.json"
    r = send(cxhook_bin, spool.target, "--file", bad, "--token", TOKEN)
    status, _, rest = parse_output(r)
    assert status == 400 and r.returncode == 1, r
    assert json_strict(rest)["error"]["code"] == 400
    echo.reset(status=201, answer={"id": 1})
    r = send(cxhook_bin, "http://127.0.0.1:%d/webhook" % echo.port, "--tag", "x")
    status, _, _ = parse_output(r)
    assert status == 201 and r.returncode == 1, f"only 200 is success: {r}"


def test_exit_69_when_nothing_listens(cxhook_bin, workdir):
    port = free_port()
    for target in (f"unix:{workdir}/no-such-dir/cxhook.sock", f"tcp:127.0.0.1:{port}",
                   f"http://127.0.0.1:{port}/webhook"):
        r = send(cxhook_bin, target, *BALANCE_ARGS)
        assert r.returncode == 69, f"{target}: expected exit 69 (unavailable): {r}"
        assert r.stderr.strip(), f"{target}: no message on stderr"
        assert "HTTP" not in r.stdout, r.stdout


def test_usage_errors(cxhook_bin, workdir):
    assert send(cxhook_bin).returncode == 64
    assert send(cxhook_bin, "unix:/x", "--param", "novalue").returncode == 64
    r = send(cxhook_bin, "unix:/x", "--file", workdir / "no-such-file.json")
    assert r.returncode == 66, r
