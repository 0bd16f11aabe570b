"""The pool when the database is slow, down, or comes back: business
failures are 200 answers with error_occurred / error_code, sent within the
deadline, and the workers recover by themselves."""

import concurrent.futures
import contextlib
import os
import re
import time
import uuid

import pytest

from conftest import (CMD_TIMEOUT, psql_holding, psql_value, REPO, TEXT_BALANCE_10042, TEXT_DEFAULT,
                      check_webhook_response, fcgi_post_json, free_port, http_request,
                      post_json, run, start_own_pool, wait_for_busy_worker,
                      session_params, start_pool, start_web_server, tail, texts_of,
                      time_bound, wait_until, webhook_request, write_pool_conf)

DEADLINE = 4.5  # [pool] deadline in the generated configs
SLACK = 1.0
BALANCE = webhook_request(tag="database-query",
                          params={"query_type": "account_balance", "user_id": "10042"})
LOCK_APP = "cxhook-it-lock"


def psql(conninfo, sql):
    return psql_value(conninfo, sql)


def locked_accounts(conninfo, seconds=15):
    """Hold an ACCESS EXCLUSIVE lock on accounts, so balance queries block."""
    return psql_holding(
        conninfo, "LOCK TABLE accounts IN ACCESS EXCLUSIVE MODE",
        "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation "
        "WHERE c.relname = 'accounts' AND l.mode = 'AccessExclusiveLock' AND l.granted",
        seconds, LOCK_APP)


def timed_post(url, obj, timeout=DEADLINE + 4):
    t0 = time.monotonic()
    r = post_json(url, obj, timeout=timeout)
    return r, time.monotonic() - t0


def assert_balance_ok(server):
    r = post_json(server.url, BALANCE)
    doc = check_webhook_response(r, f"balance via {server.name}")
    assert TEXT_BALANCE_10042 in texts_of(doc), r


@time_bound
def test_deadline_with_a_blocked_query(database, web):
    """Both workers stuck behind a table lock: each caller still gets a 200
    apology with error_code "deadline" within the deadline, and the workers
    are fine afterwards."""
    servers = [web.get("lighttpd"), web.get("apache")]
    with locked_accounts(database):
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            results = list(ex.map(lambda s: (s, timed_post(s.url, BALANCE)), servers))
    for s, (r, elapsed) in results:
        doc = check_webhook_response(r, f"blocked balance via {s.name}")
        params = session_params(doc)
        assert params.get("error_occurred") is True, r
        assert params.get("error_code") == "deadline", r
        assert "balance" not in params, r
        assert elapsed < DEADLINE + SLACK, f"{s.name}: answered after {elapsed:.2f}s"
    for s in servers:
        for _ in range(2):
            assert_balance_ok(s)


@time_bound
def test_deadline_counts_from_nginx_request_start(database, web):
    """Three callers, two workers, the table locked: the third request waits
    in the pool's queue. nginx passes REQUEST_START (conf/nginx-cxhook.conf),
    so that caller too must be answered within the deadline it was promised
    (contract section 2: "every webhook answer is sent within this")."""
    nginx = web.get("nginx")
    with locked_accounts(database):
        with concurrent.futures.ThreadPoolExecutor(3) as ex:
            results = list(ex.map(lambda _: timed_post(nginx.url, BALANCE), range(3)))
    seen = [(r.status, r.body[:120].decode("utf-8", "replace"), round(e, 2)) for r, e in results]
    assert all(e < DEADLINE + SLACK for r, e in results), \
        f"answers later than the {DEADLINE} s deadline: {seen}"
    for r, elapsed in results:
        # A caller still waiting gets the spoken apology, not an HTTP error
        # (contract section 3: "deadline reached" is a business failure).
        doc = check_webhook_response(r, f"blocked balance via nginx (all: {seen})")
        assert session_params(doc).get("error_code") == "deadline", f"{r!r} (all: {seen})"
    assert_balance_ok(nginx)


def test_database_restart(pool, lighttpd, workdir):
    """PostgreSQL goes away and comes back: database_unavailable and a 503
    health check meanwhile, then normal answers without restarting the pool."""
    pg = REPO / "scripts" / "pg.sh"
    pgdir = workdir / "pg"
    workers = pool.workers()
    run([pg, "stop", pgdir], timeout=CMD_TIMEOUT)
    try:
        r = post_json(lighttpd.url, BALANCE)
        doc = check_webhook_response(r, "balance with the database down")
        params = session_params(doc)
        assert params.get("error_occurred") is True, r
        assert params.get("error_code") == "database_unavailable", r
        assert "balance" not in params, r
        h = http_request(lighttpd.base + "/healthz", "GET")
        assert h.status == 503, h
        assert h.json().get("database") != "ok", h
        # Requests that need no database still work.
        r = post_json(lighttpd.url, webhook_request(tag="no-such-tag"))
        assert TEXT_DEFAULT in texts_of(check_webhook_response(r, "default, database down")), r
    finally:
        run([pg, "start", pgdir], timeout=120)

    def recovered():
        r = post_json(lighttpd.url, BALANCE)
        return r.status == 200 and TEXT_BALANCE_10042 in texts_of(r.json())

    assert wait_until(recovered, timeout=5, interval=0.2), "no recovery within 5 s"
    for _ in range(4):  # both workers, not just one
        assert_balance_ok(lighttpd)
    assert http_request(lighttpd.base + "/healthz", "GET").status == 200
    assert pool.workers() == workers, "workers were replaced instead of reconnecting"


def test_database_down_at_start(cxhook_bin, workdir):
    """A pool whose database does not exist yet starts and answers."""
    rundir = workdir / "run-nodb"
    rundir.mkdir(mode=0o755, exist_ok=True)
    sock = rundir / "cxhook.sock"
    conf = write_pool_conf(workdir / "nodb.conf", f"unix:{sock}",
                           f"host={workdir}/no-such-pg port=5432 dbname=cxhook user=cxhook")
    p = start_pool(cxhook_bin, conf, f"unix:{sock}", workdir / "pool-nodb.log")
    ws = None
    try:
        ws = start_web_server("lighttpd", workdir, sock, tag="lighttpd-nodb")
        r = post_json(ws.url, BALANCE)
        params = session_params(check_webhook_response(r, "balance, no database"))
        assert params.get("error_code") == "database_unavailable", r
        assert params.get("error_occurred") is True, r
        h = http_request(ws.base + "/healthz", "GET")
        assert h.status == 503, h
        r = post_json(ws.url, webhook_request(tag="no-such-tag"))
        assert TEXT_DEFAULT in texts_of(check_webhook_response(r, "default, no database")), r
        # The request's context is on its lines: its id, its session (as a
        # hash), its route; and the master's and the idle workers' lines
        # carry none.
        rid = BALANCE["detectIntentResponseId"]
        lines = [ln for ln in p.log.read_text().splitlines()
                 if "database: cannot connect" in ln and f"[req {rid} " in ln]
        assert lines, p.log.read_text()[-2000:]
        assert re.search(rf"\[req {rid} sess [0-9a-f]{{8}} tag database-query\] ", lines[0]), lines[0]
        assert "it-session" not in lines[0], lines[0]
        # And the apology the caller heard is tied to the same turn.
        assert re.search(rf"\[req {rid} sess [0-9a-f]{{8}} tag database-query\] "
                         r"answered with an apology: database_unavailable", p.log.read_text())
        h_lines = [ln for ln in p.log.read_text().splitlines() if "[tag healthz]" in ln]
        assert h_lines, "the /healthz probe's database error names its route"
    finally:
        if ws:
            ws.proc.stop()
        p.proc.stop()


@pytest.fixture(autouse=True)
def _no_lock_left(database):
    yield
    with contextlib.suppress(Exception):
        psql(database, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                       f"WHERE application_name = '{LOCK_APP}'")


@time_bound
def test_stuck_worker_is_killed_and_replaced(make_pool, database):
    """A worker frozen in the middle of a request (SIGSTOP while its query
    waits on a lock) is killed by the master once it is past the deadline
    plus the 2 s grace, named with its tag, and replaced."""
    pool = make_pool("stuck", workers=2, deadline="1000ms")
    before = pool.wait_workers(2)
    assert before
    with locked_accounts(database):
        with concurrent.futures.ThreadPoolExecutor(1) as ex:
            fut = ex.submit(fcgi_post_json, pool.target, BALANCE, 10)
            victim = wait_for_busy_worker(pool, "database-query", timeout=5)
            assert victim in before, f"no worker busy with the request: {victim}"
            os.kill(victim, 19)  # SIGSTOP: frozen, as by a hung library call
            t0 = time.monotonic()
            gone = wait_until(lambda: victim not in pool.workers(), timeout=8)
            took = time.monotonic() - t0
            assert gone, f"worker {victim} still there after 8 s"
            with contextlib.suppress(Exception):
                fut.result(timeout=10)
    assert took > 0.5, f"killed after only {took:.1f}s: before its deadline"
    assert pool.wait_workers(2), f"no replacement: {sorted(pool.workers())}"
    log = pool.log.read_text()
    assert f"worker {victim} stuck" in log and "database-query" in log, log[-2000:]
    r = fcgi_post_json(pool.target, BALANCE, timeout=5)
    assert r.status == 200 and TEXT_BALANCE_10042 in texts_of(r.json()), r


@pytest.fixture
def own_database(cxhook_bin, postgres, workdir):
    """A migrated database of the test's own, which it may alter (the
    session's is shared); its conninfo, and a superuser's."""
    name = "stmt_" + uuid.uuid4().hex[:10]
    admin = f"{postgres} dbname=postgres user=postgres"
    run(["psql", "-X", "-q", "-d", admin, "-c", f"CREATE DATABASE {name} OWNER cxhook"])
    conninfo = f"{postgres} dbname={name}"
    try:
        conf = write_pool_conf(workdir / f"{name}-migrate.conf",
                               f"unix:{workdir}/{name}.sock", conninfo)
        run([cxhook_bin, "migrate", "-c", conf])
        yield conninfo, f"{postgres} dbname={name} user=postgres"
    finally:
        run(["psql", "-X", "-q", "-d", admin, "-c",
             f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"], check=False)


def test_a_failing_statement_is_logged_by_its_name(cxhook_bin, workdir, own_database):
    """A statement that fails is named in the log by its row in db/stmt.c,
    whichever process ran it: a worker's balance query and the courier's
    claim, both made to fail by privileges revoked in a database of the
    test's own."""
    conninfo, superuser = own_database
    run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", superuser, "-c",
         "REVOKE SELECT ON accounts FROM cxhook; "
         "REVOKE UPDATE ON booking_outbox FROM cxhook"])
    # The courier fails at its claim, before any POST: nobody need listen.
    pool = start_own_pool(cxhook_bin, workdir, conninfo, "stmt-names", workers=1, extra=f"""
[booking]
forward_url = http://127.0.0.1:{free_port()}/api/appointments
""")
    try:
        r = fcgi_post_json(pool.target, BALANCE)
        params = session_params(check_webhook_response(r, "balance, SELECT revoked"))
        assert params.get("error_code") == "database_unavailable", r
        claim = "database: outbox claim: 42501 permission denied for table booking_outbox"
        assert wait_until(lambda: claim in pool.log.read_text(), 5), tail(pool.log)
        log = pool.log.read_text()
        assert "database: account balance: 42501 permission denied for table accounts" \
            in log, tail(pool.log)
        # Never by the name the server knows it by.
        assert not re.search(r"database: (prepare )?cxhook_", log), tail(pool.log)
    finally:
        pool.proc.stop()
