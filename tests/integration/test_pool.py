"""The prefork pool itself: a killed worker is replaced, silent clients do
not starve it, and SIGTERM / SIGINT stop everything."""

import concurrent.futures
import os
import re
import signal
import socket
import time

import pytest

from conftest import (TEXT_BALANCE_10042, check_webhook_response, children_of, free_port,
                      http_request, pid_alive, post_json, run, start_pool, tcp_accepts,
                      texts_of, time_bound, wait_until, webhook_request, write_pool_conf)

BALANCE = webhook_request(tag="database-query",
                          params={"query_type": "account_balance", "user_id": "10042"})


def assert_balance(server, timeout=5.0):
    r = post_json(server.url, BALANCE, timeout=timeout)
    doc = check_webhook_response(r, f"balance via {server.name}")
    assert TEXT_BALANCE_10042 in texts_of(doc), r


def test_more_callers_than_workers(server, pool):
    """48 requests from 12 threads at 2 workers: every one is answered
    correctly (they queue; nothing is dropped or mixed up)."""
    users = [("10042", "$1,250.75"), ("20001", "€310.00"), ("10043", "$98,234.10")]

    def one(i):
        uid, figure = users[i % len(users)]
        r = post_json(server.url, webhook_request(
            tag="database-query", params={"query_type": "account_balance", "user_id": uid}))
        return r.status == 200 and any(figure in t for t in texts_of(r.json())), (uid, r)

    with concurrent.futures.ThreadPoolExecutor(12) as ex:
        results = list(ex.map(one, range(48)))
    bad = [res for ok, res in results if not ok]
    assert not bad, f"{len(bad)} of 48 failed, e.g. {bad[:3]}"
    assert len(pool.workers()) == 2


def test_killed_worker_is_replaced(pool, lighttpd):
    before = pool.wait_workers(2)
    assert before, f"expected 2 workers, have {sorted(pool.workers())}"
    victim = min(before)
    os.kill(victim, signal.SIGKILL)
    after = wait_until(lambda: (lambda w: len(w) == 2 and victim not in w and w)(pool.workers()),
                       timeout=5)
    assert after, f"no replacement for worker {victim} within 5 s: {sorted(pool.workers())}"
    assert pool.proc.alive(), "the master died"
    assert after - before, f"no new worker pid: {sorted(after)}"
    for _ in range(6):
        assert_balance(lighttpd)


def worker_states(server):
    """The state of every worker, from /status through server."""
    r = http_request(server.base + "/status", "GET")
    return sorted(w["state"] for w in r.json()["workers"])


@time_bound
def test_silent_clients_do_not_starve_the_pool(pool, lighttpd):
    """Two connections that never send a byte (one per worker) must not stop
    the pool answering before lighttpd gives up on it (its read-timeout).
    The pool may take a few seconds to drop them."""
    assert pool.wait_workers(2)
    silent = []
    try:
        for _ in range(2):
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(2)
            s.connect(str(pool.sock))
            silent.append(s)
        time.sleep(0.3)  # let both workers accept them
        t0 = time.monotonic()
        # lighttpd's read-timeout (conf/lighttpd-cxhook.conf) is 10 s.
        assert_balance(lighttpd, timeout=9.5)
        elapsed = time.monotonic() - t0
        assert elapsed < 9.5, f"answered only after {elapsed:.1f}s"
    finally:
        for s in silent:
            s.close()
    assert pool.proc.alive()
    # And afterwards no worker is held by a connection any more.
    assert wait_until(lambda: "connected" not in worker_states(lighttpd), 5), \
        f"a worker still held by a closed connection: {worker_states(lighttpd)}"
    assert_balance(lighttpd)


def free_port6():
    with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
        s.bind(("::1", 0))
        return s.getsockname()[1]


@time_bound
@pytest.mark.parametrize("signo,transport", [(signal.SIGTERM, "unix"), (signal.SIGINT, "tcp"),
                                             (signal.SIGTERM, "tcp6")],
                         ids=["SIGTERM-unix", "SIGINT-tcp", "SIGTERM-tcp6"])
def test_signal_stops_master_and_workers(cxhook_bin, workdir, database, signo, transport):
    """On its own pool instance, not the session's; first one request
    straight over FastCGI (cxhook send unix:... / tcp:...)."""
    tag = f"stop-{transport}"
    rundir = workdir / f"run-{tag}"
    rundir.mkdir(mode=0o755, exist_ok=True)
    if transport == "unix":
        sock = rundir / "cxhook.sock"
        listen = target = f"unix:{sock}"
    elif transport == "tcp":
        host, port = "127.0.0.1", free_port()
        listen = f"{host}:{port}"
        target = f"tcp:{listen}"
    else:
        host, port = "::1", free_port6()
        listen = f"[{host}]:{port}"
        target = f"tcp:{listen}"
    conf = write_pool_conf(workdir / f"{tag}.conf", listen, database)
    p = start_pool(cxhook_bin, conf, listen, workdir / f"pool-{tag}.log")
    try:
        workers = p.workers()
        assert len(workers) == 2
        r = run([cxhook_bin, "send", target, "--tag", "database-query",
                 "--param", "query_type=account_balance", "--param", "user_id=10042"],
                timeout=15, check=False)
        assert r.returncode == 0 and "$1,250.75" in r.stdout, r
        os.kill(p.pid, signo)
        t0 = time.monotonic()
        try:
            rc = p.proc.p.wait(timeout=10)
        except Exception:
            pytest.fail(f"master {p.pid} still running 10 s after signal {signo}")
        left = 10 - (time.monotonic() - t0)
        gone = wait_until(lambda: not any(pid_alive(w) for w in workers), max(left, 0.5))
        assert gone, f"workers left behind: {[w for w in workers if pid_alive(w)]}"
        assert rc in (0, -signo), f"master exit status {rc} after signal {signo}"
        if transport == "unix":
            assert not sock.exists(), f"{sock} left behind"
        else:
            assert not tcp_accepts(port, host), f"{listen} still accepts"
    finally:
        p.proc.stop()


def test_max_requests_recycles_workers(cxhook_bin, workdir, database):
    """max_requests = 3 with one worker: requests 1-3 are served by one
    worker, 4-6 by a second and 7-9 by a third (each exits after its 3rd
    answer and the master forks the next at once), and every request is
    answered. Who served a request is read from the pool's log, where
    the worker's line about it carries its pid and the request's id."""
    from conftest import fcgi_post_json
    listen = f"unix:{workdir}/run-recycle.sock"
    conf = write_pool_conf(workdir / "recycle.conf", listen, database, workers=1)
    conf.write_text(conf.read_text().replace("[database]", "max_requests = 3\n\n[database]"))
    log = workdir / "pool-recycle.log"
    p = start_pool(cxhook_bin, conf, listen, log, workers=1)
    try:
        first = p.workers()
        ids = []
        for i in range(9):
            req = webhook_request(tag="database-query",
                                  params={"query_type": "account_balance", "user_id": "10042"})
            ids.append(req["detectIntentResponseId"])
            r = fcgi_post_json(listen, req, timeout=5)
            assert r.status == 200 and TEXT_BALANCE_10042 in texts_of(r.json()), (i + 1, r)

        def served_by():
            pids = {}
            for line in log.read_text(errors="replace").splitlines():
                m = re.match(r"cxhook\[(\d+)\] debug: \[req (\S+)[^]]*\] POST ", line)
                if m:
                    pids[m.group(2)] = int(m.group(1))
            return [pids.get(x) for x in ids] if all(x in pids for x in ids) else None

        seen = wait_until(served_by, 5)
        assert seen, f"not every request is in the log: {served_by()}\n{log.read_text()[-2000:]}"
        assert {seen[0]} == first, f"the first worker {sorted(first)} did not serve: {seen}"
        assert seen[0:3] == [seen[0]] * 3 and seen[3:6] == [seen[3]] * 3 \
            and seen[6:9] == [seen[6]] * 3 and len({seen[0], seen[3], seen[6]}) == 3, \
            f"want the worker to change after requests 3 and 6 exactly: {seen}"
        # The first two are gone for good; the third has served its 3 too.
        assert wait_until(lambda: seen[6] not in p.workers() and len(p.workers()) == 1, 5), \
            f"after 9 requests: workers {sorted(p.workers())}, served by {seen}"
        assert not pid_alive(seen[0]) and not pid_alive(seen[3]), seen
        assert p.proc.alive(), "the master died"
    finally:
        p.proc.stop()


def cpu_seconds(pid):
    """User plus system CPU time of pid so far, in seconds."""
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@time_bound
@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to run the pool as another user")
def test_fork_failure_backs_off(cxhook_bin, workdir, database):
    """fork() failing (RLIMIT_NPROC of an unprivileged user lets the master
    fork 2 of its 4 workers): the master does not spin. It waits a doubling
    back-off between tries, logs once per try, goes on serving with the
    workers it has, replaces one that dies, and stops on SIGTERM."""
    from conftest import Proc, fcgi_post_json
    port = free_port()
    listen = f"127.0.0.1:{port}"
    conf = write_pool_conf(workdir / "nproc.conf", listen, database, workers=4)
    log = workdir / "pool-nproc.log"
    uid = "64999"  # no such user: nothing else runs under it
    p = Proc("cxhook", ["prlimit", "--nproc=3:3", "--", "setpriv", f"--reuid={uid}",
                        f"--regid={uid}", "--clear-groups", cxhook_bin, "serve", "-c", conf],
             log)
    try:
        assert wait_until(lambda: tcp_accepts(port), 10), open(log).read()
        master = p.pid
        assert wait_until(lambda: len(children_of(master)) == 2, 5), open(log).read()
        cpu0, t0 = cpu_seconds(master), time.monotonic()
        time.sleep(4)
        cpu = cpu_seconds(master) - cpu0
        tries = open(log).read().count("cannot fork a worker")
        assert cpu < 0.2 * (time.monotonic() - t0), f"master used {cpu:.2f}s of CPU in 4 s"
        assert 2 <= tries <= 12, f"{tries} fork-failure lines in about 4 s"
        print(f"\nfork failing: the master used {cpu * 1000:.0f} ms of CPU in 4 s and "
              f"logged {tries} tries")
        r = fcgi_post_json(f"tcp:{listen}", BALANCE, timeout=5)
        assert r.status == 200 and TEXT_BALANCE_10042 in texts_of(r.json()), r
        # A worker that dies frees a task: it is replaced (after the back-off).
        victim = min(children_of(master))
        os.kill(victim, signal.SIGKILL)
        assert wait_until(lambda: (lambda w: len(w) == 2 and victim not in w)(children_of(master)),
                          8), f"not replaced: {children_of(master)}"
        os.kill(master, signal.SIGTERM)
        p.p.wait(timeout=5)
    finally:
        p.stop()
