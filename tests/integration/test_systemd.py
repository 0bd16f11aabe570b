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
