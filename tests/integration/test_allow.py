"""[pool] allow: a pool listening on TCP takes connections only from the
web servers it names; anyone else is closed at accept, before a byte is
read, and counted in /metrics."""

import re

from conftest import fcgi_request, free_port, tail, wait_until


def refused_total(pool):
    r = fcgi_request(pool.target, "GET", "/metrics")
    assert r.status == 200, r
    m = re.search(r"(?m)^cxhook_connections_refused_total (\d+)$", r.body.decode())
    assert m, r.body[:400]
    return int(m.group(1))


def refused(pool, source):
    """True when the pool closed a connection from source unanswered."""
    try:
        fcgi_request(pool.target, "GET", "/healthz", timeout=3, source=source)
    except (ConnectionError, EOFError, OSError):
        return True
    return False


def test_allow_by_source_address(make_pool):
    port = free_port()
    pool = make_pool("allow", workers=2, listen=f"127.0.0.1:{port}",
                     extra="\n[pool]\nallow = 127.0.0.1, 10.0.0.0/8\n")
    before = refused_total(pool)
    # 127.0.0.2 is this machine too, but not on the list.
    for _ in range(3):
        assert refused(pool, "127.0.0.2")
    r = fcgi_request(pool.target, "GET", "/healthz", source="127.0.0.1")
    assert r.status == 200, r
    assert refused_total(pool) - before == 3
    assert wait_until(lambda: "refused: not in [pool] allow" in pool.log.read_text(), 5), \
        tail(pool.log)
    # Refused peers cost no worker: the pool still answers at once.
    assert fcgi_request(pool.target, "GET", "/healthz").status == 200


def test_allow_ranges(make_pool):
    port = free_port()
    pool = make_pool("allow-range", workers=1, listen=f"127.0.0.1:{port}",
                     extra="\n[pool]\nallow = 127.0.0.0/30\n")
    for ok in ("127.0.0.1", "127.0.0.2", "127.0.0.3"):
        r = fcgi_request(pool.target, "GET", "/healthz", source=ok)
        assert r.status == 200, (ok, r)
    assert refused(pool, "127.0.0.4")


def test_allow_needs_tcp(cxhook_bin, workdir, database):
    from conftest import run, write_pool_conf
    conf = write_pool_conf(workdir / "allow-unix.conf", f"unix:{workdir}/x.sock", database,
                           extra="\n[pool]\nallow = 127.0.0.1\n")
    r = run([cxhook_bin, "check-config", "-c", conf], check=False)
    assert r.returncode != 0 and "allow" in r.stderr, r
