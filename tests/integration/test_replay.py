"""`cxhook replay DIR`: golden conversations. Each NAME.json of DIR is sent
in name order, and its answer compared with NAME.expected.json; --update
writes those files; replay.volatile and --volatile name the paths compared
for presence and type only.

The corpus requests (tests/corpus/requests/, with their expected files) go
to a pool of their own ("replay", 2 workers) that wants a bearer token and
whose weather provider is a stand-in, as the corpus pool's is; every run
here passes the token, and no run may print it. Answers no pool gives (a
503, a body that is not JSON) come from a stubs.MirrorStub. test_corpus.py
replays the corpus through every web server."""

import json
import re
import shutil
import uuid
from pathlib import Path

import pytest

from conftest import CORPUS, free_port, run, start_own_pool
from stubs import MirrorStub, WeatherStub

TOKEN = "it-replay-" + uuid.uuid4().hex
REQUESTS = CORPUS / "requests"
GOOD = sorted(p.name for p in REQUESTS.glob("*.json") if not p.name.endswith(".expected.json"))
# Three of them, for the tests that need a few answers, not all.
SMALL = ["01-weather-city-in-session-and-intent.json", "07-dbquery-balance-user-id-string.json",
         "17-booking-intent-no-params.json"]
BALANCE = "07-dbquery-balance-user-id-string"


def expected_name(name):
    return name[:-len(".json")] + ".expected.json"


@pytest.fixture(scope="module")
def rpool(cxhook_bin, workdir, database):
    provider = WeatherStub().start()
    try:
        key = workdir / "replay-weather.key"
        key.write_text("it-replay-weather-key\n")
        token = workdir / "replay.token"
        token.write_text(TOKEN + "\n")
        p = start_own_pool(cxhook_bin, workdir, database, "replay", workers=2,
                           extra=f"\n[weather]\nurl = {provider.url}\napi_key_file = {key}\n"
                                 f"\n[auth]\nbearer_token_file = {token}\n")
        yield p
        p.proc.stop()
    finally:
        provider.stop()


@pytest.fixture
def mirror():
    s = MirrorStub().start()
    yield s
    s.stop()


def golden(d, names=SMALL, expected=True):
    """Copies corpus requests (and their expected files) into d."""
    d.mkdir(exist_ok=True)
    for name in names:
        shutil.copy(REQUESTS / name, d / name)
        if expected:
            shutil.copy(REQUESTS / expected_name(name), d / expected_name(name))
    return d


def replay(cxhook_bin, d, *args, target=None, token=TOKEN):
    argv = [cxhook_bin, "replay", d, *args]
    if target is not None:
        argv += ["--target", target]
    if token is not None:
        argv += ["--token", token]
    r = run(argv, timeout=60, check=False)
    assert TOKEN not in r.stdout and TOKEN not in r.stderr, f"the token was printed: {r}"
    return r


def summary(r):
    lines = r.stdout.splitlines()
    assert lines and lines[-1].startswith("replay: "), f"no summary line: {r}"
    return lines[-1]


def edit_json(path, change):
    """Rewrites a JSON file after change(doc), which edits doc in place."""
    doc = json.loads(path.read_text(encoding="utf-8"))
    change(doc)
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def params_of(doc):
    return doc["sessionInfo"]["parameters"]


# --------------------------------------------------------------------------

def test_update_writes_files_that_replay_clean(cxhook_bin, rpool, tmp_path):
    d = golden(tmp_path / "g", GOOD, expected=False)
    r = replay(cxhook_bin, d, target=rpool.target)
    assert r.returncode == 1, f"requests without expected files must fail: {r}"
    assert summary(r) == f"replay: 0 passed, 0 failed, {len(GOOD)} new", r.stdout
    assert f"new     {GOOD[0]}: no {expected_name(GOOD[0])}" in r.stdout.splitlines(), r.stdout
    assert not list(d.glob("*.expected.json")), "written without --update"

    r = replay(cxhook_bin, d, "--update", target=rpool.target)
    assert r.returncode == 0, r
    assert summary(r) == f"replay: 0 passed, 0 failed, {len(GOOD)} new, 0 updated", r.stdout
    # The corpus's expected files are what --update writes, byte for byte.
    for name in GOOD:
        e = expected_name(name)
        assert (d / e).read_bytes() == (REQUESTS / e).read_bytes(), \
            f"{e}: --update wrote something else than tests/corpus/requests/{e}"

    r = replay(cxhook_bin, d, target=rpool.target)
    assert r.returncode == 0, r
    assert summary(r) == f"replay: {len(GOOD)} passed, 0 failed, 0 new", r.stdout

    # Nothing changed: nothing is rewritten (same inode, no rename).
    inodes = {p.name: p.stat().st_ino for p in d.glob("*.expected.json")}
    r = replay(cxhook_bin, d, "--update", target=rpool.target)
    assert r.returncode == 0 and summary(r) == \
        f"replay: {len(GOOD)} passed, 0 failed, 0 new, 0 updated", r
    assert {p.name: p.stat().st_ino for p in d.glob("*.expected.json")} == inodes

    # A changed answer is rewritten, and its differences shown.
    edit_json(d / f"{BALANCE}.expected.json",
              lambda doc: params_of(doc).update(balance=1250.5))
    r = replay(cxhook_bin, d, "--update", target=rpool.target)
    assert r.returncode == 0, r
    assert summary(r) == f"replay: {len(GOOD) - 1} passed, 0 failed, 0 new, 1 updated", r.stdout
    assert f"updated {BALANCE}.json" in r.stdout.splitlines(), r.stdout
    assert "  $.sessionInfo.parameters.balance: expected 1250.5, got 1250.75" in \
        r.stdout.splitlines(), r.stdout
    e = f"{BALANCE}.expected.json"
    assert (d / e).read_bytes() == (REQUESTS / e).read_bytes()


def test_mismatch_names_each_path_and_both_values(cxhook_bin, rpool, tmp_path):
    d = golden(tmp_path / "g")
    exp = d / f"{BALANCE}.expected.json"

    def tamper(doc):
        doc["fulfillmentResponse"]["messages"][0]["text"]["text"][0] = \
            "Your current account balance is $1,250.50."
        params_of(doc)["balance"] = 1250.5
        params_of(doc)["overdraft"] = False
        del params_of(doc)["currency"]

    edit_json(exp, tamper)
    tampered = exp.read_bytes()
    r = replay(cxhook_bin, d, target=rpool.target)
    assert r.returncode == 1, r
    lines = r.stdout.splitlines()
    assert lines == [
        f"ok      {SMALL[0]}",
        f"FAIL    {BALANCE}.json",
        '  $.fulfillmentResponse.messages[0].text.text[0]: expected '
        '"Your current account balance is $1,250.50.", got '
        '"Your current account balance is $1,250.75."',
        "  $.sessionInfo.parameters.balance: expected 1250.5, got 1250.75",
        "  $.sessionInfo.parameters.overdraft: expected false, got (absent)",
        '  $.sessionInfo.parameters.currency: expected (absent), got "USD"',
        f"ok      {SMALL[2]}",
        "replay: 2 passed, 1 failed, 0 new",
    ], r.stdout
    assert exp.read_bytes() == tampered, "replay without --update wrote the expected file"

    # A status other than 200 is expected as {"status": N, "body": ...}.
    body = json.loads((REQUESTS / f"{BALANCE}.expected.json").read_text())
    exp.write_text(json.dumps({"status": 400, "body": body}))
    r = replay(cxhook_bin, d, target=rpool.target)
    assert r.returncode == 1, r
    assert [ln for ln in r.stdout.splitlines() if ln.startswith("  ")] == \
        ["  status: expected 400, got 200"], r.stdout


def test_volatile_paths_compare_presence_and_type(cxhook_bin, rpool, tmp_path):
    d = golden(tmp_path / "g")
    exp = d / f"{BALANCE}.expected.json"

    def tamper(doc):
        doc["fulfillmentResponse"]["messages"][0]["text"]["text"][0] = "changes every time"
        params_of(doc)["balance"] = 99.99

    edit_json(exp, tamper)
    r = replay(cxhook_bin, d, target=rpool.target)
    assert r.returncode == 1 and summary(r) == "replay: 2 passed, 1 failed, 0 new", r

    # Declared in DIR/replay.volatile: a path a line, "$" optional, [*] any element.
    (d / "replay.volatile").write_text(
        "# what changes from one run to the next\n\n"
        "$.sessionInfo.parameters.balance\n"
        "  fulfillmentResponse.messages[*].text.text[*]  \n")
    r = replay(cxhook_bin, d, target=rpool.target)
    assert r.returncode == 0 and summary(r) == "replay: 3 passed, 0 failed, 0 new", r

    # Or with --volatile; .* is any member.
    (d / "replay.volatile").unlink()
    r = replay(cxhook_bin, d, "--volatile", "$.sessionInfo.parameters.*",
               "--volatile", '$["fulfillmentResponse"].messages[0].*.text[0]',
               target=rpool.target)
    assert r.returncode == 0 and summary(r) == "replay: 3 passed, 0 failed, 0 new", r

    # Still compared: the type, and being there at all.
    (d / "replay.volatile").write_text("$.sessionInfo.parameters.balance\n"
                                       "$.fulfillmentResponse.messages[*].text.text[*]\n")
    edit_json(exp, lambda doc: params_of(doc).update(balance="99.99"))
    r = replay(cxhook_bin, d, target=rpool.target)
    assert r.returncode == 1, r
    assert "  $.sessionInfo.parameters.balance: expected a string (volatile), got 1250.75" in \
        r.stdout.splitlines(), r.stdout
    edit_json(exp, lambda doc: params_of(doc).pop("balance"))
    r = replay(cxhook_bin, d, target=rpool.target)
    assert r.returncode == 1, r
    assert "  $.sessionInfo.parameters.balance: expected (absent), got 1250.75" in \
        r.stdout.splitlines(), r.stdout

    # --update keeps a volatile value already in the file, and rewrites the rest.
    edit_json(exp, lambda doc: params_of(doc).update(balance=99.99, currency="EUR"))
    r = replay(cxhook_bin, d, "--update", target=rpool.target)
    assert r.returncode == 0, r
    assert summary(r) == "replay: 2 passed, 0 failed, 0 new, 1 updated", r.stdout
    doc = json.loads(exp.read_text())
    assert params_of(doc) == {"balance": 99.99, "currency": "USD"}, doc
    assert doc["fulfillmentResponse"]["messages"][0]["text"]["text"] == ["changes every time"]
    r = replay(cxhook_bin, d, target=rpool.target)
    assert r.returncode == 0, r

    # A line that is no path: exit 65, naming the file and line.
    (d / "replay.volatile").write_text("# fine\n$.a[x]\n")
    r = replay(cxhook_bin, d, target=rpool.target)
    assert r.returncode == 65, r
    assert "replay.volatile:2" in r.stderr and "$.a[x]" in r.stderr, r.stderr
    assert r.stdout == "", "nothing may be sent with a broken replay.volatile"


def test_missing_expected_file_and_orphans(cxhook_bin, rpool, tmp_path):
    d = golden(tmp_path / "g")
    (d / expected_name(SMALL[2])).unlink()
    r = replay(cxhook_bin, d, target=rpool.target)
    assert r.returncode == 1, r
    assert f"new     {SMALL[2]}: no {expected_name(SMALL[2])}" in r.stdout.splitlines(), r.stdout
    assert summary(r) == "replay: 2 passed, 0 failed, 1 new", r.stdout
    assert not (d / expected_name(SMALL[2])).exists()

    # An expected file whose request is gone, and one that is not JSON.
    shutil.copy(REQUESTS / f"{BALANCE}.expected.json", d / "99-gone.expected.json")
    (d / expected_name(SMALL[0])).write_text('{"fulfillmentResponse": ')
    r = replay(cxhook_bin, d, target=rpool.target)
    assert r.returncode == 1, r
    lines = r.stdout.splitlines()
    assert f"FAIL    {SMALL[0]}: {expected_name(SMALL[0])}: not JSON" in lines, r.stdout
    assert "FAIL    99-gone.expected.json: no request 99-gone.json" in lines, r.stdout
    assert summary(r) == "replay: 1 passed, 2 failed, 1 new", r.stdout


def test_unreachable_target_exits_69(cxhook_bin, workdir, tmp_path):
    d = golden(tmp_path / "g")
    before = {p.name: p.read_bytes() for p in d.iterdir()}
    port = free_port()
    for target in (f"unix:{workdir}/no-such-dir/cxhook.sock", f"tcp:127.0.0.1:{port}",
                   f"http://127.0.0.1:{port}/webhook"):
        for update in ([], ["--update"]):
            r = replay(cxhook_bin, d, *update, target=target)
            assert r.returncode == 69, f"{target}: expected 69 (unavailable): {r}"
            assert f"{SMALL[0]}: no answer" in r.stderr, r.stderr
            assert summary(r).startswith("replay: 0 passed, 0 failed, 0 new"), r.stdout
    assert {p.name: p.read_bytes() for p in d.iterdir()} == before
    # The default target is the pool's default socket.
    if not Path("/run/cxhook/cxhook.sock").exists():
        r = replay(cxhook_bin, d)
        assert r.returncode == 69 and "/run/cxhook/cxhook.sock" in r.stderr, r


def test_token(cxhook_bin, rpool, tmp_path, mirror):
    d = golden(tmp_path / "g", [f"{BALANCE}.json"])
    r = replay(cxhook_bin, d, target=rpool.target)
    assert r.returncode == 0, r
    for token, status in ((None, 401), ("not-the-token", 403)):
        r = replay(cxhook_bin, d, target=rpool.target, token=token)
        assert r.returncode == 1, r
        assert f"  status: expected 200, got {status}" in r.stdout.splitlines(), r.stdout
    # Over HTTP, as an Authorization header.
    m = golden(tmp_path / "m", [], expected=False)
    (m / "a.json").write_text('{"reply": {"ok": true}}')
    r = replay(cxhook_bin, m, "--update", target=mirror.url)
    assert r.returncode == 0, r
    assert [p["headers"].get("authorization") for p in mirror.received()] == [f"Bearer {TOKEN}"]


def test_token_file(cxhook_bin, rpool, tmp_path):
    """--token-file: the token from a file, never on the command line."""
    d = golden(tmp_path / "g", [f"{BALANCE}.json"])
    f = tmp_path / "token"
    f.write_text(TOKEN + "\n")
    r = replay(cxhook_bin, d, "--token-file", f, target=rpool.target, token=None)
    assert r.returncode == 0 and summary(r) == "replay: 1 passed, 0 failed, 0 new", r
    f.write_text("not-the-token\n" + TOKEN + "\n")  # the first line only
    r = replay(cxhook_bin, d, "--token-file", f, target=rpool.target, token=None)
    assert r.returncode == 1, r
    f.write_text("\n")
    r = replay(cxhook_bin, d, "--token-file", f, target=rpool.target, token=None)
    assert r.returncode == 66 and "no token on its first line" in r.stderr, r


def test_any_answer_and_the_files_update_writes(cxhook_bin, mirror, tmp_path):
    d = tmp_path / "m"
    d.mkdir()
    requests = {
        "1-c.json": {"reply": {"n": None, "b": 1, "f": 14.0, "a": [1, 2, {"x.y": "z"}]}},
        "10-a.json": {"status": 503, "reply": {"error": "down"}},
        "2-b.json": {"raw": "plain text, not JSON"},
        "3-d.json": {"reply": {"status": 201, "body": {"id": 1}}},
    }
    for name, doc in requests.items():
        (d / name).write_text(json.dumps(dict(doc, name=name)))
    (d / "notes.txt").write_text("not a request")
    r = replay(cxhook_bin, d, "--update", target=mirror.url)
    assert r.returncode == 0, r
    assert summary(r) == "replay: 0 passed, 0 failed, 4 new, 0 updated", r.stdout
    # In name order (bytes, not numbers: a conversation is named to sort).
    assert [p["json"]["name"] for p in mirror.received()] == \
        ["1-c.json", "10-a.json", "2-b.json", "3-d.json"]
    assert all(p["path"] == "/webhook" for p in mirror.received())
    # Sorted keys, two spaces, numbers as they came.
    assert (d / "1-c.expected.json").read_text() == (
        '{\n  "a": [\n    1,\n    2,\n    {\n      "x.y": "z"\n    }\n  ],\n'
        '  "b": 1,\n  "f": 14.0,\n  "n": null\n}\n')
    assert json.loads((d / "10-a.expected.json").read_text()) == \
        {"status": 503, "body": {"error": "down"}}
    assert json.loads((d / "2-b.expected.json").read_text()) == "plain text, not JSON"
    # A 200 body that looks like {"status", "body"} is written wrapped.
    assert json.loads((d / "3-d.expected.json").read_text()) == \
        {"status": 200, "body": {"status": 201, "body": {"id": 1}}}
    r = replay(cxhook_bin, d, target=mirror.url)
    assert r.returncode == 0 and summary(r) == "replay: 4 passed, 0 failed, 0 new", r

    # Member order and 14 against 14.0 make no difference; null is not absent.
    exp = d / "1-c.expected.json"
    exp.write_text('{"f": 14, "b": 1, "a": [1, 2, {"x.y": "w"}, 3]}')
    (d / "10-a.expected.json").write_text('{"status": 500, "body": {"error": "down"}}')
    r = replay(cxhook_bin, d, target=mirror.url)
    assert r.returncode == 1, r
    assert r.stdout.splitlines() == [
        "FAIL    1-c.json",
        '  $.a[2]["x.y"]: expected "w", got "z"',
        "  $.a[3]: expected 3, got (absent)",
        "  $.n: expected (absent), got null",
        "FAIL    10-a.json",
        "  status: expected 500, got 503",
        "ok      2-b.json",
        "ok      3-d.json",
        "replay: 2 passed, 2 failed, 0 new",
    ], r.stdout
    r = replay(cxhook_bin, d, "--volatile", '$.a[2]["x.y"]', target=mirror.url)
    assert '$.a[2]["x.y"]' not in r.stdout and "  $.a[3]: expected 3, got (absent)" in r.stdout, r


def test_usage(cxhook_bin, tmp_path):
    d = golden(tmp_path / "g", SMALL[:1])
    assert run([cxhook_bin, "replay"], check=False).returncode == 64
    assert replay(cxhook_bin, d, d).returncode == 64
    assert replay(cxhook_bin, d, "--bogus").returncode == 64
    r = replay(cxhook_bin, d, "--volatile", "$.a..b")
    assert r.returncode == 64 and "$.a..b" in r.stderr, r
    r = replay(cxhook_bin, tmp_path / "no-such-dir")
    assert r.returncode == 66, r
    (tmp_path / "empty").mkdir()
    r = replay(cxhook_bin, tmp_path / "empty")
    assert r.returncode == 66 and re.search(r"no request", r.stderr), r
    r = run([cxhook_bin, "replay", "--help"])
    assert "--update" in r.stdout and "unix:/run/cxhook/cxhook.sock" in r.stdout, r
