"""The command line: check-config, migrate, send."""

import re

import pytest

from conftest import CORPUS, REPO, run

MIGRATIONS = sorted(p.stem for p in (REPO / "sql" / "migrations").glob("*.sql"))


def test_check_config_good(cxhook_bin, pool_conf):
    r = run([cxhook_bin, "check-config", "-c", pool_conf], check=False)
    assert r.returncode == 0, r


BAD_CONFIGS = {
    # name: (text, line numbers either of which may be named, word that must be named)
    "unknown-key": ("[pool]\nlisten = unix:/tmp/x.sock\nworkers = 2\n\n[log]\nlevel = info\n"
                    "frobnicate = 7\n", (7,), "frobnicate"),
    # The section header's line or its first key's.
    "unknown-section": ("[pool]\nlisten = unix:/tmp/x.sock\n\n[bogus]\nx = 1\n", (4, 5), "bogus"),
    "unknown-empty-section": ("[pool]\nlisten = unix:/tmp/x.sock\n[bogus]\n", (3,), "bogus"),
    "bad-duration": ("[pool]\nlisten = unix:/tmp/x.sock\ndeadline = soon\n", (3,), "deadline"),
    "bad-workers": ("[pool]\nworkers = many\n", (2,), "workers"),
    "nan-threshold": ("[handoff]\nsentiment_below = nan\n", (2,), "sentiment_below"),
    "timezone-typo": ("[booking]\ntimezone = Europe/Londn\n", (2,), "timezone"),
    "path-with-slash": ("[pool]\nstatus_path = /status/\n", (2,), "status_path"),
}

# Whole-file faults: the file and the key are named, no single line.
WHOLE_FILE = {
    "same-path": ("[pool]\nmetrics_path = /status\n", "metrics_path"),
    "body-vs-memory": ("[pool]\nmax_body = 64MiB\nmax_worker_memory = 64MiB\n", "max_body"),
    "bad-url": ("[weather]\nurl = http://exa mple.com/v1/current.json\n", "[weather] url"),
}


@pytest.mark.parametrize("case", WHOLE_FILE)
def test_check_config_whole_file(cxhook_bin, workdir, pool_conf, case):
    text, word = WHOLE_FILE[case]
    conninfo = [ln for ln in pool_conf.read_text().splitlines() if ln.startswith("conninfo")][0]
    path = workdir / f"whole-{case}.conf"
    path.write_text(text + f"\n[database]\n{conninfo}\n")
    for cmd in ("check-config", "serve"):
        r = run([cxhook_bin, cmd, "-c", path], check=False, timeout=10)
        assert r.returncode == 78, f"{cmd}: exit {r.returncode}, stderr {r.stderr!r}"
        assert str(path) in r.stderr and word in r.stderr, r.stderr


def test_check_config_bad_conninfo_keeps_the_password(cxhook_bin, workdir):
    path = workdir / "bad-conninfo.conf"
    for conninfo, word in (("host=/tmp dbnam=x password=s3cr3t-pw", "dbnam"),
                           ("postgresql://u:s3cr3t-pw%zz@localhost/db", "percent-encoded")):
        path.write_text(f"[database]\nconninfo = {conninfo}\n")
        r = run([cxhook_bin, "check-config", "-c", path], check=False)
        assert r.returncode == 78, r
        assert "conninfo" in r.stderr and word in r.stderr, r.stderr
        assert "s3cr3t" not in r.stderr, r.stderr


@pytest.mark.parametrize("case", BAD_CONFIGS)
def test_check_config_bad(cxhook_bin, workdir, pool_conf, case):
    text, lines, word = BAD_CONFIGS[case]
    # Keep a valid [database] so the only fault is the one under test.
    conninfo = [ln for ln in pool_conf.read_text().splitlines() if ln.startswith("conninfo")][0]
    text = text + f"\n[database]\n{conninfo}\n"
    path = workdir / f"bad-{case}.conf"
    path.write_text(text)
    r = run([cxhook_bin, "check-config", "-c", path], check=False)
    assert r.returncode == 78, f"exit {r.returncode}, stderr {r.stderr!r}"
    err = r.stderr
    assert str(path) in err, f"stderr does not name the file: {err!r}"
    assert any(re.search(rf"(?<!\d){n}(?!\d)", err) for n in lines), \
        f"stderr does not name line {' or '.join(map(str, lines))}: {err!r}"
    assert word in err, f"stderr does not name {word!r}: {err!r}"


def test_migrate_status_and_idempotence(cxhook_bin, pool_conf, database):
    run([cxhook_bin, "migrate", "-c", pool_conf])  # a second (third) time is fine
    r = run([cxhook_bin, "migrate", "-c", pool_conf, "--status"])
    out = r.stdout + r.stderr
    for m in MIGRATIONS:
        lines = [ln for ln in out.splitlines() if m in ln or m.split("_")[0] in ln]
        assert lines, f"migration {m} not listed:\n{out}"
        assert not any(re.search(r"pending|not applied|missing", ln, re.I) for ln in lines), \
            f"migration {m} not applied:\n{out}"
    n = run(["psql", "-X", "-Atq", "-d", database, "-c",
             "SELECT count(*) FROM schema_migrations"]).stdout.strip()
    assert n == str(len(MIGRATIONS)), f"schema_migrations has {n} rows"


def test_send_fastcgi_unix(cxhook_bin, pool):
    r = run([cxhook_bin, "send", f"unix:{pool.sock}", "--tag", "database-query",
             "--param", "query_type=account_balance", "--param", "user_id=10042"],
            timeout=15, check=False)
    assert r.returncode == 0, r
    assert "200" in r.stdout.splitlines()[0], r.stdout
    assert "$1,250.75" in r.stdout, r.stdout


def test_send_http_intent(cxhook_bin, lighttpd):
    r = run([cxhook_bin, "send", lighttpd.url, "--intent", "account.balance",
             "--param", "user_id=20001", "--session", "it-cli"], timeout=15, check=False)
    assert r.returncode == 0, r
    assert "€310.00" in r.stdout, r.stdout


def test_send_file_and_exit_status(cxhook_bin, lighttpd):
    good = CORPUS / "requests" / "07-dbquery-balance-user-id-string.json"
    r = run([cxhook_bin, "send", lighttpd.url, "--file", good], timeout=15, check=False)
    assert r.returncode == 0 and "$1,250.75" in r.stdout, r
    bad = CORPUS / "bad" / "top-level-array.json"
    r = run([cxhook_bin, "send", lighttpd.url, "--file", bad], timeout=15, check=False)
    assert r.returncode == 1, r
    assert "400" in r.stdout.splitlines()[0], r.stdout
