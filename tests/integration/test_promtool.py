"""/metrics follows Prometheus' conventions, as its own linter sees them
(`promtool check metrics`, Debian's prometheus package): for a plain pool,
and for one whose every [auth] counter and key gauge has samples."""

import json
import re
import subprocess

from conftest import fcgi_request, webhook_request

BALANCE = webhook_request(tag="database-query",
                          params={"query_type": "account_balance", "user_id": "10042"})


def promtool(text):
    return subprocess.run(["promtool", "check", "metrics"], input=text, capture_output=True,
                          text=True, timeout=30)


def scrape(target, headers=None):
    r = fcgi_request(target, "GET", "/metrics", headers=headers)
    assert r.status == 200, r
    return r.body.decode()


def test_plain_pool(pool):
    fcgi_request(f"unix:{pool.sock}", "POST", "/webhook", json.dumps(BALANCE))
    text = scrape(f"unix:{pool.sock}")
    assert "cxhook_requests_total" in text
    r = promtool(text)
    assert r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(), \
        (r.stdout, r.stderr)


def test_pool_with_auth_series(make_pool, workdir):
    token = workdir / "promtool.token"
    token.write_text("promtool-token-0123456789\n")
    p = make_pool("promtool", workers=1, extra=f"\n[auth]\nbearer_token_file = {token}\n")
    target = p.target
    for auth in ("Bearer promtool-token-0123456789", "Bearer wrong", None):
        fcgi_request(target, "POST", "/webhook", json.dumps(BALANCE),
                     headers={"Authorization": auth} if auth else None)
    text = scrape(target, {"Authorization": "Bearer promtool-token-0123456789"})
    assert re.search(r'(?m)^cxhook_auth_refused_total\{mode="bearer",reason="wrong_token"\} 1$',
                     text), text
    r = promtool(text)
    assert r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(), \
        (r.stdout, r.stderr)
