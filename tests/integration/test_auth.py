"""[auth] bearer_token_file, through every web server: the shipped snippets
must pass the Authorization header on (Apache only does with CGIPassAuth)."""

import json

import pytest

from conftest import (SERVERS, TEXT_BALANCE_10042, check_error,
                      check_webhook_response, http_request, post_json, run,
                      start_pool, start_web_server, texts_of, webhook_request,
                      write_pool_conf)

TOKEN = "it-secret-0123456789abcdef"
BALANCE = webhook_request(tag="database-query",
                          params={"query_type": "account_balance", "user_id": "10042"})


def post_auth(server, value):
    return http_request(server.url, "POST", json.dumps(BALANCE),
                        {"Content-Type": "application/json", "Authorization": value})


@pytest.fixture(scope="module")
def auth_setup(cxhook_bin, workdir, database):
    rundir = workdir / "run-auth"
    rundir.mkdir(mode=0o755, exist_ok=True)
    sock = rundir / "cxhook.sock"
    token_file = workdir / "token"
    token_file.write_text(TOKEN + "\n")
    token_file.chmod(0o600)
    conf = write_pool_conf(workdir / "auth.conf", f"unix:{sock}", database,
                           extra=f"\n[auth]\nbearer_token_file = {token_file}\n")
    pool = start_pool(cxhook_bin, conf, f"unix:{sock}", workdir / "pool-auth.log")
    servers = {}
    try:
        for name in SERVERS:
            servers[name] = start_web_server(name, workdir, sock, tag=f"{name}-auth")
        yield pool, servers
    finally:
        for s in servers.values():
            s.proc.stop()
        pool.proc.stop()


@pytest.fixture(params=SERVERS)
def auth_server(request, auth_setup):
    return auth_setup[1][request.param]


def test_no_credentials(auth_server):
    r = post_json(auth_server.url, BALANCE)
    check_error(r, 401, f"no Authorization via {auth_server.name}")
    assert (r.header("www-authenticate") or "").lower().startswith("bearer"), r.headers


@pytest.mark.parametrize("value", ["Bearer wrong-token", f"Bearer {TOKEN}x"],
                         ids=["wrong-token", "token-prefix"])
def test_wrong_credentials(auth_server, value):
    r = post_auth(auth_server, value)
    check_error(r, 403, f"Authorization {value!r} via {auth_server.name}")


def test_scheme_no_mode_accepts(auth_server):
    """Basic to a pool that takes only a bearer token: no configured mode
    found its credential, so 401 naming the scheme that is taken."""
    r = post_auth(auth_server, "Basic dXNlcjpwYXNz")
    check_error(r, 401, f"Basic via {auth_server.name}")
    assert (r.header("www-authenticate") or "").lower().startswith("bearer"), r.headers


def test_right_token(auth_server):
    r = post_auth(auth_server, f"Bearer {TOKEN}")
    doc = check_webhook_response(r, f"right token via {auth_server.name}")
    assert TEXT_BALANCE_10042 in texts_of(doc), r


def test_healthz_needs_no_token(auth_server):
    r = http_request(auth_server.base + "/healthz", "GET")
    assert r.status == 200, r


def test_send_token(cxhook_bin, auth_setup):
    pool, servers = auth_setup
    url = servers["apache"].url
    r = run([cxhook_bin, "send", url, "--token", TOKEN, "--tag", "database-query",
             "--param", "query_type=account_balance", "--param", "user_id=10042"],
            timeout=15, check=False)
    assert r.returncode == 0 and "$1,250.75" in r.stdout, r
    r = run([cxhook_bin, "send", url, "--tag", "database-query"], timeout=15, check=False)
    assert r.returncode == 1 and "401" in r.stdout.splitlines()[0], r

