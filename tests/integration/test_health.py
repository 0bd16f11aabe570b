"""`cxhook health`: the pool's health endpoint over FastCGI, at a TARGET or
where the configuration file's listen says (a wildcard address asked on
loopback, at the file's healthz_path), and its exit status: 0 healthy, 1
any other answer (503 with the database down), 69 nothing answering, 64 a
target it cannot have, 78 a bad file."""

import json
import socket
import threading

from conftest import free_port, run, start_own_pool, write_pool_conf


def health(cxhook_bin, *args):
    return run([cxhook_bin, "health", *args], timeout=20, check=False)


def answer(r):
    """(status, body) of 'HTTP NNN' and the body on the lines after it."""
    first, _, rest = r.stdout.partition("\n")
    assert first.startswith("HTTP "), r
    return int(first[5:]), json.loads(rest)


def test_health_at_a_target_and_from_the_config(cxhook_bin, pool, pool_conf):
    for args in ([f"unix:{pool.sock}"], ["-c", pool_conf]):
        r = health(cxhook_bin, *args)
        assert r.returncode == 0, r
        assert answer(r) == (200, {"status": "ok", "database": "ok"}), r


def test_health_wildcard_listen_own_path_database_down(cxhook_bin, workdir):
    """A pool on 0.0.0.0 (letting only 127.0.0.1 in) with healthz_path =
    /hz and no database: asked from its file, on loopback at /hz, it says
    503; asked at the same address with no file, /healthz is not there."""
    port = free_port()
    p = start_own_pool(cxhook_bin, workdir, f"host={workdir}/no-such-db dbname=cxhook",
                       "health", workers=1, listen=f"0.0.0.0:{port}",
                       extra="\n[pool]\nhealthz_path = /hz\nallow = 127.0.0.1\n")
    try:
        r = health(cxhook_bin, "-c", p.conf)
        assert r.returncode == 1, r
        assert answer(r) == (503, {"status": "unavailable", "database": "unavailable"}), r
        r = health(cxhook_bin, f"tcp:127.0.0.1:{port}")
        assert r.returncode == 1 and answer(r)[0] == 404, r
    finally:
        p.proc.stop()


def test_health_exit_status(cxhook_bin, workdir):
    r = health(cxhook_bin, f"tcp:127.0.0.1:{free_port()}")
    assert r.returncode == 69 and "refused" in r.stderr, r
    r = health(cxhook_bin, "http://127.0.0.1/healthz")
    assert r.returncode == 64, r
    conf = write_pool_conf(workdir / "health-stdin.conf", "stdin", "dbname=cxhook")
    r = health(cxhook_bin, "-c", conf)
    assert r.returncode == 64 and "give TARGET" in r.stderr, r
    r = health(cxhook_bin, "-c", workdir / "no-such.conf")
    assert r.returncode == 78, r


def test_health_tells_silence_from_a_closed_connection(cxhook_bin):
    """A peer that accepts and says nothing costs --timeout and is named as
    such; one that hangs up is named as that."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(4)
        target = f"tcp:127.0.0.1:{s.getsockname()[1]}"
        r = health(cxhook_bin, "--timeout", "1", target)
        assert r.returncode == 69 and "no answer within the timeout" in r.stderr, r

    def hang_up(listener):
        c, _ = listener.accept()
        c.close()

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(4)
        t = threading.Thread(target=hang_up, args=(s,))
        t.start()
        r = health(cxhook_bin, "--timeout", "5", f"tcp:127.0.0.1:{s.getsockname()[1]}")
        t.join()
        assert r.returncode == 69 and "connection closed before the end" in r.stderr, r
