"""The shared request corpus (tests/corpus/, see its README) through every
web server: good requests get the answer of the expected file beside each
(NAME.expected.json, written by `cxhook replay --update`), bad ones their
documented status, and none of them hurts a worker. `cxhook replay` itself
checks the good requests through every web server and over FastCGI.

The good requests go to a pool of their own ("corpus", 2 workers) whose
weather provider is a stand-in (stubs.WeatherStub), so that the weather
samples get a forecast; everything else goes to the session pool."""

import json

import pytest

from conftest import (CORPUS, SERVERS, TEXT_BALANCE_10042, TEXT_DEFAULT,
                      check_error, check_webhook_response, json_strict, post_json,
                      run, session_params, start_own_pool, start_web_server,
                      texts_of, webhook_request)
from stubs import WeatherStub

REQUESTS = CORPUS / "requests"
GOOD = sorted(p for p in REQUESTS.glob("*.json") if not p.name.endswith(".expected.json"))
BAD = sorted((CORPUS / "bad").glob("*.json"))


def expected_of(path):
    """The answer NAME.expected.json holds for NAME.json, or None."""
    exp = path.with_name(path.name[:-len(".json")] + ".expected.json")
    return json_strict(exp.read_text(encoding="utf-8")) if exp.exists() else None

# Expected status for tests/corpus/bad/*; anything not listed: 400.
BAD_STATUS = {
    "oversized-2MiB-one-string.json": 413,
    # null means "absent" under the proto3 JSON mapping (corpus README,
    # contract section 3: "null counts as absent").
    "wrong-type-everything-null.json": 200,
    "wrong-type-tag-null.json": 200,
    # "\u0000" inside a key is legal JSON.
    "nul-escaped-in-key.json": 200,
}

# For these the 400 message must name the offending field (any one of).
BAD_FIELD = {
    "wrong-type-intent-parameters-string.json": ["parameters"],
    "wrong-type-parameters-array.json": ["parameters"],
    "wrong-type-text-object.json": ["text"],
    "oneof-text-and-trigger-event-both-set.json": ["text", "triggerEvent"],
    "float-string-nan-lowercase.json": ["sentimentAnalysisResult.score"],
}

@pytest.fixture(scope="module")
def workers_before(pool):
    pids = pool.workers()
    assert len(pids) == 2, f"expected 2 workers, have {sorted(pids)}"
    return pids


@pytest.fixture(scope="module")
def corpus_pool(cxhook_bin, workdir, database):
    """The pool the good requests go to. Its weather provider knows every
    place and names it as asked, title-cased: Partly cloudy, 14 °C."""
    provider = WeatherStub().start()
    try:
        key = workdir / "corpus-weather.key"
        key.write_text("it-corpus-weather-key\n")
        p = start_own_pool(cxhook_bin, workdir, database, "corpus", workers=2,
                           extra=f"\n[weather]\nurl = {provider.url}\napi_key_file = {key}\n")
        yield p
        p.proc.stop()
    finally:
        provider.stop()


@pytest.fixture(scope="module")
def corpus_web(workdir, corpus_pool):
    """Each web server in front of the corpus pool, started on first use."""
    started = {}

    def get(name):
        if name not in started:
            started[name] = start_web_server(name, workdir, corpus_pool.sock,
                                             tag=f"{name}-corpus")
        return started[name]

    yield get
    for s in started.values():
        s.proc.stop()


@pytest.fixture(params=SERVERS)
def corpus_server(request, corpus_web):
    return corpus_web(request.param)


@pytest.fixture(scope="module")
def corpus_workers_before(corpus_pool):
    pids = corpus_pool.workers()
    assert len(pids) == 2, f"expected 2 workers, have {sorted(pids)}"
    return pids


def rich_of(doc):
    """The richContent of every payload message, in order."""
    return [m["payload"]["richContent"]
            for m in (doc.get("fulfillmentResponse") or {}).get("messages") or []
            if isinstance(m, dict) and "richContent" in (m.get("payload") or {})]


def form_of(doc):
    """pageInfo.formInfo.parameterInfo as display name -> state."""
    info = ((doc.get("pageInfo") or {}).get("formInfo") or {}).get("parameterInfo") or []
    return {p.get("displayName"): p.get("state") for p in info}


def test_every_request_has_an_expected_answer():
    expected = sorted(p.name for p in REQUESTS.glob("*.expected.json"))
    assert expected == [p.name[:-len(".json")] + ".expected.json" for p in GOOD], \
        "tests/corpus/requests/: every NAME.json needs NAME.expected.json, and no other"


@pytest.mark.parametrize("path", GOOD, ids=[p.name for p in GOOD])
def test_good_request(corpus_server, path, corpus_workers_before):
    what = f"{path.name} via {corpus_server.name}"
    want = expected_of(path)
    assert want is not None, f"{path.name} has no expected file beside it"
    # Every good request is answered 200: its expected file is the body.
    assert set(want) <= {"fulfillmentResponse", "pageInfo", "sessionInfo", "payload",
                         "targetPage", "targetFlow"}, f"{path.name}: {want}"
    r = post_json(corpus_server.url, path.read_bytes())
    doc = check_webhook_response(r, what)
    assert texts_of(doc) == texts_of(want), f"{what}: {r!r}"
    assert session_params(doc) == session_params(want), f"{what}: {r!r}"
    assert form_of(doc) == form_of(want), f"{what}: {r!r}"
    assert rich_of(doc) == rich_of(want), f"{what}: {r!r}"
    assert doc == want, f"{what}: the whole answer: {r!r}"


@pytest.mark.parametrize("via", ["unix"] + SERVERS)
def test_replay_corpus(cxhook_bin, corpus_pool, corpus_web, via):
    """`cxhook replay` finds every answer as its expected file says."""
    target = corpus_pool.target if via == "unix" else corpus_web(via).url
    r = run([cxhook_bin, "replay", REQUESTS, "--target", target], timeout=60, check=False)
    assert r.returncode == 0, f"via {via}: {r}"
    lines = r.stdout.splitlines()
    assert lines[-1] == f"replay: {len(GOOD)} passed, 0 failed, 0 new", r.stdout
    assert lines[:-1] == [f"ok      {p.name}" for p in GOOD], r.stdout


@pytest.mark.parametrize("path", BAD, ids=[p.name for p in BAD])
def test_bad_request(server, path, workers_before):
    what = f"{path.name} via {server.name}"
    status = BAD_STATUS.get(path.name, 400)
    r = post_json(server.url, path.read_bytes())
    if status == 200:
        check_webhook_response(r, what)
        return
    message = check_error(r, status, what)
    fields = BAD_FIELD.get(path.name)
    if fields:
        assert any(f in message for f in fields), \
            f"{what}: the message should name {' or '.join(fields)}: {message!r}"


def _generated():
    """Hostile inputs by category, beyond the corpus files:
    id -> (body, status, fields the 400 message may name, text expected)."""
    base = webhook_request(tag="database-query",
                           params={"query_type": "account_balance", "user_id": "10042"})
    b = json.dumps(base)

    def with_payload(raw):  # raw JSON text as the value of payload.x
        return b[:-1] + ', "payload": {"x": ' + raw + '}}'

    def nest(n):
        return "[" * n + "]" * n

    snake = dict(base)
    snake["fulfillment_info"] = snake.pop("fulfillmentInfo")
    # proto3 JSON's "NaN", "Infinity" and "-Infinity" count as absent; other
    # spellings, and a string number no double holds, are refused.
    floats = {}
    for obj, field in (("sentimentAnalysisResult", "score"),
                       ("sentimentAnalysisResult", "magnitude"),
                       ("intentInfo", "confidence")):
        for v in ("NaN", "Infinity", "-Infinity", "nan", "1e999"):
            absent = v in ("NaN", "Infinity", "-Infinity")
            floats[f"{field}-string-{v}"] = (
                json.dumps(dict(base, **{obj: {field: v}})), 200 if absent else 400,
                None if absent else [f"{obj}.{field}"], TEXT_BALANCE_10042 if absent else None)
    return floats | {
        "bom": (b"\xef\xbb\xbf" + b.encode(), 400, None, None),
        "trailing-comma": (b[:-1] + ",}", 400, None, None),
        "top-level-string": ('"hello"', 400, None, None),
        "top-level-null": ("null", 400, None, None),
        "empty-object": ("{}", 200, None, TEXT_DEFAULT),
        # 64 levels in all (request object, payload, 62 arrays) is the limit.
        "depth-64": (with_payload(nest(62)), 200, None, TEXT_BALANCE_10042),
        "depth-65": (with_payload(nest(63)), 400, None, None),
        "depth-5000": (with_payload(nest(5000)), 400, None, None),
        "lone-surrogate": (with_payload('"\\ud800"'), 400, None, None),
        "surrogate-pair": (with_payload('"\\ud83d\\ude00"'), 200, None, TEXT_BALANCE_10042),
        "number-1e308": (with_payload("1e308"), 200, None, TEXT_BALANCE_10042),
        "number-minus-1e999": (with_payload("-1e999"), 400, None, None),
        "duplicate-top-level-key": (b[:-1] + ', "text": "again"}', 400, None, None),
        "unknown-field": (json.dumps(dict(base, somethingNew={"a": 1})), 200, None,
                          TEXT_BALANCE_10042),
        "snake-case-field-name": (json.dumps(snake), 200, None, TEXT_BALANCE_10042),
        "field-under-both-names": (json.dumps(dict(base, fulfillment_info={"tag": "x"})), 400,
                                   ["fulfillmentInfo", "fulfillment_info"], None),
        "tag-number": (json.dumps(dict(base, fulfillmentInfo={"tag": 5})), 400, ["tag"], None),
        "fulfillmentInfo-array": (json.dumps(dict(base, fulfillmentInfo=[])), 400,
                                  ["fulfillmentInfo"], None),
        "languageCode-number": (json.dumps(dict(base, languageCode=5)), 400,
                                ["languageCode"], None),
        "null-in-messages": (json.dumps(dict(base, messages=[None])), 400, ["messages"], None),
        "oneof-text-transcript": (json.dumps(dict(base, transcript="x")), 400,
                                  ["text", "transcript"], None),
        "oneof-null-member": (json.dumps(dict(base, triggerEvent=None)), 200, None,
                              TEXT_BALANCE_10042),
        "score-numeric-string": (json.dumps(dict(base, sentimentAnalysisResult={
            "score": "-0.5", "magnitude": 1})), 200, None, TEXT_BALANCE_10042),
        "score-not-a-number": (json.dumps(dict(base, sentimentAnalysisResult={
            "score": "abc"})), 400, ["score"], None),
        "enum-unknown-name": (json.dumps(dict(base, pageInfo={"formInfo": {"parameterInfo": [
            {"displayName": "a", "state": "NOPE"}]}})), 400, ["state"], None),
    }


GENERATED = _generated()


@pytest.mark.parametrize("case", GENERATED)
def test_generated_request(server, case, workers_before):
    body, status, fields, text = GENERATED[case]
    what = f"{case} via {server.name}"
    r = post_json(server.url, body)
    if status == 200:
        doc = check_webhook_response(r, what)
        if text:
            assert text in texts_of(doc), f"{what}: {r!r}"
        return
    message = check_error(r, status, what)
    if fields:
        assert any(f in message for f in fields), \
            f"{what}: the message should name {' or '.join(fields)}: {message!r}"


def test_nul_in_tag_is_not_the_tag(server):
    """"database-query\\u0000x" is a different tag: the default handler."""
    req = webhook_request(tag="database-query\u0000x",
                          params={"query_type": "account_balance", "user_id": "10042"})
    r = post_json(server.url, json.dumps(req))
    doc = check_webhook_response(r, server.name)
    assert TEXT_BALANCE_10042 not in texts_of(doc), r


def test_pool_survived_the_corpus(pool, lighttpd, workers_before, corpus_pool,
                                  corpus_web, corpus_workers_before):
    """After everything above both pools still answer correctly, with the
    very same workers (none crashed and was replaced)."""
    for p, ws, before in ((pool, lighttpd, workers_before),
                          (corpus_pool, corpus_web("lighttpd"), corpus_workers_before)):
        r = post_json(ws.url, webhook_request(
            tag="database-query", params={"query_type": "account_balance", "user_id": "10042"}))
        doc = check_webhook_response(r, "balance after the corpus")
        assert TEXT_BALANCE_10042 in texts_of(doc), r
        assert session_params(doc).get("balance") == 1250.75, r
        assert p.workers() == before, \
            f"workers changed: before {sorted(before)}, now {sorted(p.workers())}"
