"""The systemd side: the shipped units pass `systemd-analyze verify`, keep a
hardened sandbox, and the pool takes its socket from systemd (LISTEN_FDS)."""
import re
import subprocess

from conftest import (REPO, TEXT_BALANCE_10042, Proc, fcgi_post_json, texts_of,
                      unix_accepts, wait_until, webhook_request, write_pool_conf)

UNITS = ("cxhook.socket", "cxhook.service")


def units_for(tmp_path, cxhook_bin):
    """The shipped units, with the binary path pointed at this build."""
    for name in UNITS:
        text = (REPO / "systemd" / name).read_text()
        (tmp_path / name).write_text(text.replace("/usr/local/bin/cxhook", str(cxhook_bin)))
    return [str(tmp_path / n) for n in UNITS]


def test_units_verify_cleanly(tmp_path, cxhook_bin):
    r = subprocess.run(["systemd-analyze", "verify", "--man=no", *units_for(tmp_path, cxhook_bin)],
                       capture_output=True, text=True, timeout=60)
    # verify exits 0 on unknown keys and bad values; only its silence says OK.
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr


def test_service_sandbox_is_rated_ok(tmp_path, cxhook_bin):
    service = units_for(tmp_path, cxhook_bin)[1]
    r = subprocess.run(["systemd-analyze", "security", "--offline=true", "--threshold=20",
                        service], capture_output=True, text=True, timeout=60)
    score = re.search(r"Overall exposure level for \S+: ([0-9.]+)", r.stdout)
    assert score, r.stdout[-2000:] + r.stderr
    assert r.returncode == 0 and float(score.group(1)) <= 2.0, \
        f"exposure {score.group(1)}:\n{r.stdout[-3000:]}"


def test_socket_activation(tmp_path, cxhook_bin, database):
    """listen = systemd: the pool serves on a socket it did not open."""
    tmp_path.chmod(0o755)
    sock = tmp_path / "activated.sock"
    conf = write_pool_conf(tmp_path / "activated.conf", "systemd", database)
    proc = Proc("activated", ["systemd-socket-activate", "-l", sock,
                              cxhook_bin, "serve", "-c", conf], tmp_path / "activated.log")
    try:
        assert wait_until(lambda: unix_accepts(sock), timeout=10), proc.log.read_text()
        r = fcgi_post_json(f"unix:{sock}", webhook_request(
            tag="database-query", params={"query_type": "account_balance", "user_id": "10042"}),
            timeout=10)
        assert r.status == 200 and TEXT_BALANCE_10042 in texts_of(r.json()), r
        assert "listening on systemd" in proc.log.read_text()
    finally:
        proc.stop()


def test_notify_ready_watchdog_reload_stop(tmp_path, cxhook_bin, database):
    """Type=notify: READY=1 once workers run, WATCHDOG=1 at half of
    WATCHDOG_USEC, RELOADING=1 then READY=1 on SIGHUP, STOPPING=1 on
    SIGTERM, as systemd would read them from $NOTIFY_SOCKET."""
    import os
    import signal
    import socket
    import time

    tmp_path.chmod(0o755)
    nsock = tmp_path / "notify.sock"
    rx = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    rx.bind(str(nsock))
    rx.settimeout(0.2)
    got = []

    def drain(until, want):
        end = time.monotonic() + until
        while time.monotonic() < end:
            try:
                got.append(rx.recv(4096).decode())
            except socket.timeout:
                pass
            if any(want in m for m in got):
                return True
        return False

    conf = write_pool_conf(tmp_path / "notify.conf", f"unix:{tmp_path}/notify-pool.sock",
                           database)
    env = dict(os.environ, NOTIFY_SOCKET=str(nsock), WATCHDOG_USEC="1000000")
    proc = Proc("notify", [cxhook_bin, "serve", "-c", conf], tmp_path / "notify.log", env=env)
    try:
        assert drain(10, "READY=1"), f"no READY=1: {got}"
        ready = next(m for m in got if "READY=1" in m)
        assert f"MAINPID={proc.pid}" in ready, ready
        got.clear()
        assert drain(3, "WATCHDOG=1"), f"no WATCHDOG=1 within 3 s: {got}"
        assert any("STATUS=Workers active:" in m for m in got), got
        got.clear()
        os.kill(proc.pid, signal.SIGHUP)
        assert drain(10, "READY=1"), f"no READY=1 after the reload: {got}"
        assert any("RELOADING=1" in m for m in got), got
        assert [m for m in got if "RELOADING=1" in m or "READY=1" in m][0].startswith(
            "RELOADING=1"), f"READY=1 came before RELOADING=1: {got}"
        got.clear()
        os.kill(proc.pid, signal.SIGTERM)
        assert drain(10, "STOPPING=1"), f"no STOPPING=1: {got}"
    finally:
        proc.stop()
        rx.close()
