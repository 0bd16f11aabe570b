"""`cxhook migrate` on fresh databases: pending status, two runners at once,
a refusal when an applied migration no longer matches its file, and a
server that never answers."""
import socket
import subprocess
import time
import uuid

import pytest

from conftest import REPO, CMD_TIMEOUT, run, write_pool_conf

MIGRATIONS = sorted(p.name for p in (REPO / "sql" / "migrations").glob("*.sql"))


@pytest.fixture
def fresh_db(postgres, workdir):
    """A new, empty database owned by cxhook; a config pointing at it."""
    name = "mig_" + uuid.uuid4().hex[:10]
    admin = f"{postgres} dbname=postgres user=postgres"
    run(["psql", "-X", "-q", "-d", admin, "-c",
         f"CREATE DATABASE {name} OWNER cxhook"])
    conninfo = f"{postgres} dbname={name}"
    conf = write_pool_conf(workdir / f"{name}.conf",
                           f"unix:{workdir}/{name}.sock", conninfo)
    yield conf, conninfo
    run(["psql", "-X", "-q", "-d", admin, "-c",
         f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=False)


def psql_value(conninfo, sql):
    return run(["psql", "-X", "-Atq", "-d", conninfo, "-c", sql]).stdout.strip()


def test_status_on_a_fresh_database_lists_everything_pending(cxhook_bin, fresh_db):
    conf, _ = fresh_db
    r = run([cxhook_bin, "migrate", "-c", conf, "--status"])
    for m in MIGRATIONS:
        line = [ln for ln in r.stdout.splitlines() if ln.startswith(m)]
        assert line and "pending" in line[0], f"{m} not pending:\n{r.stdout}"
    assert f"{len(MIGRATIONS)} pending" in r.stdout, r.stdout


def test_two_runners_at_once_apply_each_migration_once(cxhook_bin, fresh_db):
    conf, conninfo = fresh_db
    procs = [subprocess.Popen([str(cxhook_bin), "migrate", "-c", str(conf)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    outs = [p.communicate(timeout=CMD_TIMEOUT) for p in procs]
    for p, (out, err) in zip(procs, outs):
        assert p.returncode == 0, f"a runner failed ({p.returncode}):\n{out}\n{err}"
    applied = sum(out.count("applying ") for out, _ in outs)
    assert applied == len(MIGRATIONS), \
        f"{applied} applications for {len(MIGRATIONS)} migrations: {outs}"
    assert psql_value(conninfo, "SELECT count(*) FROM schema_migrations") == \
        str(len(MIGRATIONS))
    # The schema is really there, with the functions of the last migration.
    assert psql_value(conninfo, "SELECT count(*) FROM pg_proc "
                      "WHERE proname = 'cxhook_book'") == "1"


def test_a_changed_migration_stops_the_run(cxhook_bin, fresh_db):
    conf, conninfo = fresh_db
    run([cxhook_bin, "migrate", "-c", conf])
    first = MIGRATIONS[0]
    run(["psql", "-X", "-q", "-d", conninfo, "-c",
         f"UPDATE schema_migrations SET checksum = 'edited' WHERE name = '{first}'"])
    for args in (["migrate", "-c", conf], ["migrate", "-c", conf, "--status"]):
        r = run([cxhook_bin, *args], check=False)
        assert r.returncode == 65, f"{args}: exit {r.returncode}\n{r.stdout}{r.stderr}"
        assert first in r.stderr and "changed" in r.stderr, r.stderr


def test_migrate_without_a_database_says_so(cxhook_bin, workdir):
    conf = write_pool_conf(workdir / "nodb.conf", f"unix:{workdir}/nodb.sock",
                           f"host={workdir}/nowhere port=1 dbname=x connect_timeout=2")
    r = run([cxhook_bin, "migrate", "-c", conf], check=False)
    assert r.returncode == 69, f"exit {r.returncode}: {r.stderr}"
    assert "nowhere" in r.stderr or "connect" in r.stderr.lower(), r.stderr


def test_migrate_gives_up_on_a_silent_server(cxhook_bin, workdir):
    """A server that takes the connection and never says a word: migrate
    gives up after [database] connect_timeout (2 s by default), it does
    not wait for ever."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(4)  # the kernel completes the handshake; nobody answers
        port = silent.getsockname()[1]
        conf = write_pool_conf(workdir / "silent.conf", f"unix:{workdir}/silent.sock",
                               f"host=127.0.0.1 port={port} dbname=x")
        t0 = time.monotonic()
        r = run([cxhook_bin, "migrate", "-c", conf], check=False, timeout=20)
        took = time.monotonic() - t0
    assert r.returncode == 69, f"exit {r.returncode}: {r.stderr}"
    assert 1.5 <= took < 5, f"gave up after {took:.1f}s, not after connect_timeout (2 s)"
    assert "database: cannot connect: no answer in time" in r.stderr, r.stderr
