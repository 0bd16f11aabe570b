"""Triage through the command line and the pool: `cxhook train` and
`cxhook classify` on the small CLINC150 subset in tests/data/clinc150/ (its
README has the attribution), `check-config` and reloads refusing a damaged
model, and the `triage` handler answering through a pool whose workers
share the model's pages with their master."""
import json
import os
import re
import signal

import pytest

from conftest import (CALLER_WORDS, REPO, check_webhook_response, fcgi_post_json,
                      run, session_params, texts_of, wait_until, webhook_request)

DATA = REPO / "tests" / "data" / "clinc150"
TRAIN = DATA / "train-small.csv"
VAL = DATA / "validation-small.csv"
TINY = REPO / "tests" / "corpus" / "triage" / "tiny.csv"
AGENT = "projects/it-project/locations/global/agents/0f4c8b1e-it"
ALARM_PAGE = AGENT + "/flows/00000000-0000-0000-0000-000000000000/pages/alarm-page"


def train(cxhook_bin, out, data=TRAIN, *extra):
    return run([cxhook_bin, "train", "--data", data, "--model", out, *extra])


TRAINED = {}


@pytest.fixture(scope="module")
def model(cxhook_bin, workdir):
    """Trained once for this file, with the validation file reported."""
    path = workdir / "triage.model"
    TRAINED["output"] = train(cxhook_bin, path, TRAIN, "--validate", VAL).stdout
    return path


def test_train_prints_the_figures(model):
    out = TRAINED["output"]
    for what in ("in-scope accuracy", "out-of-scope recall", "out-of-scope precision",
                 "macro-F1", "most confused", "threshold", "unseen"):
        assert what in out, out
    acc = float(re.search(r"in-scope accuracy:\s+([\d.]+) %", out).group(1))
    assert acc >= 80, out   # ten intents: chance is under 10 %


def test_train_is_deterministic(cxhook_bin, workdir, model):
    again = workdir / "triage-again.model"
    train(cxhook_bin, again, TRAIN, "--validate", VAL)
    assert again.read_bytes() == model.read_bytes()
    # Written atomically: nothing is left beside it.
    assert not [p for p in workdir.iterdir() if p.name.startswith("triage-again.model.")]


def test_train_refuses_bad_input(cxhook_bin, workdir):
    bad = workdir / "bad.csv"
    bad.write_text("text,label\nhello,a b\nbye,c\n")
    r = run([cxhook_bin, "train", "--data", bad, "--model", workdir / "x.model"],
            check=False)
    assert r.returncode != 0 and "label" in r.stderr, r.stderr
    assert not (workdir / "x.model").exists()
    r = run([cxhook_bin, "train", "--model", workdir / "x.model"], check=False)
    assert r.returncode == 64


def test_classify_prints_json_lines(cxhook_bin, model):
    texts = ["set an alarm for seven tomorrow", "", "   ",
             "x" * 65536, "café \U0001F600 \u202eمرحبا\u202c e\u0301\u0301"]
    r = run([cxhook_bin, "classify", "--model", model, *texts])
    lines = r.stdout.splitlines()
    assert len(lines) == len(texts), r.stdout[:2000]
    for text, line in zip(texts, lines):
        o = json.loads(line)
        assert set(o) == {"text", "category", "confidence", "out_of_scope"}
        assert o["text"] == text
        assert 0 <= o["confidence"] <= 1
        assert isinstance(o["out_of_scope"], bool)
        assert o["category"] != "oos"
    assert json.loads(lines[0])["category"] == "alarm"
    assert json.loads(lines[0])["out_of_scope"] is False
    assert json.loads(lines[1])["out_of_scope"] is True


def test_classify_a_labelled_file_prints_the_summary(cxhook_bin, model):
    r = run([cxhook_bin, "classify", "--model", model, "--file", VAL])
    lines = r.stdout.splitlines()
    answers = [json.loads(ln) for ln in lines if ln.startswith("{")]
    assert len(answers) == 120
    rest = "\n".join(ln for ln in lines if not ln.startswith("{"))
    for what in ("in-scope accuracy", "out-of-scope recall", "macro-F1", "most confused"):
        assert what in rest, rest


def test_classify_refuses_a_damaged_model(cxhook_bin, workdir, model):
    bad = workdir / "flipped.model"
    data = bytearray(model.read_bytes())
    data[len(data) // 2] ^= 1
    bad.write_bytes(bytes(data))
    r = run([cxhook_bin, "classify", "--model", bad, "hello"], check=False)
    assert r.returncode == 78 and "checksum" in r.stderr, r.stderr


def conf_with(workdir, name, triage):
    path = workdir / f"{name}.conf"
    path.write_text(f"[pool]\nlisten = unix:{workdir}/{name}.sock\n"
                    f"[database]\nconninfo = dbname=x\n[triage]\n{triage}")
    return path


def test_check_config_reads_the_model(cxhook_bin, workdir, model):
    good = conf_with(workdir, "triage-good",
                     f"model = {model}\ntext_param = utterance\n"
                     f"route.alarm = {ALARM_PAGE}\n")
    r = run([cxhook_bin, "check-config", "-c", good])
    assert "configuration OK" in r.stdout

    data = model.read_bytes()
    truncated = workdir / "truncated.model"
    truncated.write_bytes(data[: len(data) - 100])
    corrupted = workdir / "corrupted.model"
    corrupted.write_bytes(data[:200] + bytes([data[200] ^ 0xFF]) + data[201:])
    cases = [
        (f"model = {workdir}/missing.model\n", "No such file"),
        (f"model = {truncated}\n", "checksum"),
        (f"model = {corrupted}\n", "checksum"),
        (f"model = {TRAIN}\n", "not a cxhook triage model"),
        (f"model = {model}\nroute.alrm = {ALARM_PAGE}\n", "no such category"),
    ]
    for i, (triage, why) in enumerate(cases):
        conf = conf_with(workdir, f"triage-bad{i}", triage)
        r = run([cxhook_bin, "check-config", "-c", conf], check=False)
        assert r.returncode == 78, (triage, r.stdout, r.stderr)
        assert why in r.stderr, (triage, r.stderr)


def triage_request(text=None, params=None):
    req = webhook_request(tag="triage", params=params, text=text)
    if text is None:
        del req["text"]
    return req


def post(pool, req):
    r = fcgi_post_json(pool.target, req)
    check_webhook_response(r, f"triage {str(req.get('text'))[:40]!r}")
    return r.json()


@pytest.fixture(scope="module")
def triage_pool(cxhook_bin, workdir, database, model):
    from conftest import start_own_pool
    live = workdir / "live.model"
    live.write_bytes(model.read_bytes())
    p = start_own_pool(cxhook_bin, workdir, database, "triage", workers=2,
                       extra=f"\n[triage]\nmodel = {live}\nroute.alarm = {ALARM_PAGE}\n")
    p.model = live
    yield p
    p.proc.stop()


def test_pool_routes_in_scope_requests(triage_pool):
    o = post(triage_pool, triage_request("please set an alarm for 6 am, " + CALLER_WORDS))
    p = session_params(o)
    assert p["category"] == "alarm", o
    assert p["out_of_scope"] is False
    assert isinstance(p["category_confidence"], (int, float))
    assert 0 < p["category_confidence"] <= 100
    assert o.get("targetPage") == ALARM_PAGE
    assert "handoff_suggested" not in p

    o = post(triage_pool, triage_request("what is the weather going to be in boston"))
    assert session_params(o)["category"] == "weather"
    assert "targetPage" not in o


def test_pool_hands_out_of_scope_requests_to_a_person(triage_pool):
    o = post(triage_pool, triage_request("?? !!"))
    p = session_params(o)
    assert p["out_of_scope"] is True and p["handoff_suggested"] is True, o
    msgs = o["fulfillmentResponse"]["messages"]
    assert any("liveAgentHandoff" in m for m in msgs), o
    assert texts_of(o), o
    assert "targetPage" not in o


def test_pool_asks_when_there_is_no_text(triage_pool):
    for req in (triage_request(None), triage_request("   ")):
        o = post(triage_pool, req)
        assert "category" not in session_params(o)
        assert any("help you with" in t for t in texts_of(o)), o


def test_pool_takes_hostile_text(triage_pool):
    for text in ("", "x" * 65536, "weather\u0000in\u0000paris", "\U0001F600" * 500,
                 "\u05e9\u05dc\u05d5\u05dd \u202e abc", "a" + "\u0301" * 3000,
                 "\ufdfa" * 2000):
        o = post(triage_pool, triage_request(text))
        assert texts_of(o) or "category" in session_params(o), o


def smaps_of(pid):
    """(header, fields) for each mapping of pid."""
    maps, cur = [], None
    for line in open(f"/proc/{pid}/smaps"):
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            cur = (line.split(), {})
            maps.append(cur)
        elif ":" in line and cur is not None:
            k, _, v = line.partition(":")
            if v.strip().endswith("kB"):
                cur[1][k] = int(v.split()[0])
    return maps


def pss_kb(pid):
    for line in open(f"/proc/{pid}/smaps_rollup"):
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def test_workers_share_the_model_pages(triage_pool):
    """The master mapped the model read-only before it forked: each worker
    sees the same pages, shared, none copied."""
    log = triage_pool.log.read_text()
    m = re.search(r"triage model \S+: (\d+) categories, (\d+) terms, (\d+) bytes", log)
    assert m, log[-2000:]
    size_kb = (int(m.group(3)) + 4095) // 4096 * 4
    post(triage_pool, triage_request("set an alarm for noon"))
    for pid in [triage_pool.pid, *triage_pool.workers()]:
        found = [f for h, f in smaps_of(pid)
                 if h[1] == "r--p" and len(h) == 5 and f.get("Size") == size_kb]
        assert len(found) == 1, f"pid {pid}: no read-only mapping of {size_kb} kB"
        f = found[0]
        assert f["Private_Dirty"] == 0, f"pid {pid} holds a private copy: {f}"
        assert f["Shared_Dirty"] + f["Shared_Clean"] > 0, f
    workers = sorted(triage_pool.workers())
    print(f"\ntriage model: {size_kb} kB mapped; PSS kB: master {pss_kb(triage_pool.pid)}, "
          + ", ".join(f"worker {pss_kb(w)}" for w in workers))


def test_reload_takes_a_new_model_and_refuses_a_damaged_one(cxhook_bin, workdir,
                                                            triage_pool):
    pool = triage_pool
    good = pool.model.read_bytes()
    before = pool.wait_workers(2)
    # A damaged file: refused, and the running model answers on.
    pool.model.write_bytes(good[:-1])
    os.kill(pool.pid, signal.SIGHUP)
    assert wait_until(lambda: "reload refused" in pool.log.read_text(), 5)
    refusal = [ln for ln in pool.log.read_text().splitlines() if "reload refused" in ln]
    assert "[triage] model" in refusal[-1] and "checksum" in refusal[-1], refusal
    assert pool.workers() == before
    assert session_params(post(pool, triage_request("set an alarm")))["category"] == "alarm"

    # A new model (three labels only): the next generation answers with it.
    tiny = workdir / "tiny.model"
    train(cxhook_bin, tiny, TINY, "--folds", "3")
    pool.model.write_bytes(tiny.read_bytes())
    os.kill(pool.pid, signal.SIGHUP)
    assert wait_until(lambda: (lambda w: len(w) == 2 and not (w & before))(pool.workers()),
                      10), "the reload did not replace the workers"
    o = post(pool, triage_request("is it going to rain in paris"))
    assert session_params(o)["category"] == "weather", o
    o = post(pool, triage_request("play some jazz music"))
    assert session_params(o)["category"] in ("alarm", "weather"), o
    # The route to a category the new model still has keeps working.
    o = post(pool, triage_request("wake me up at seven with an alarm"))
    assert session_params(o)["category"] == "alarm"
