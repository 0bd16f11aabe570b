"""[auth] beyond the static bearer token: Google-signed ID tokens checked
against a JWKS, Basic, a constant header, any of them, and client
certificates over HTTPS, through lighttpd, Apache and nginx.

One pool per configuration, all started once for the module:
    idt      id_token (+ the header, which the tests scrape /metrics with)
    any      bearer + basic + header + id_token
    cert     client_cert = require + id_token (+ header), over HTTPS
    certdn   the same with client_cert_dn pinned (nginx and Apache write the
             subject as RFC 2253, lighttpd its own way: one pool each way)
    keys     rotation and a burst of unknown kids (no web server)
    nomaxage a JWKS with no Cache-Control (no web server)
    keyfail  a JWKS that fails after the first good load (no web server)
    nokeys   a JWKS that never answers (no web server)
Keys, tokens and certificates are made at test time (authkit.py); a
JWKS stub serves each pool its own route.
"""

import base64
import concurrent.futures
import json
import os
import re
import secrets
import time
import types
from pathlib import Path

import pytest

from authkit import (OTHER_SA_EMAIL, SA_EMAIL, JwksStub, Pki, RsaKey, accepted, forge,
                     https_request, mint, parse_metrics, refused, start_tls_web_server)
from conftest import (SERVERS, TEXT_BALANCE_10042, check_error, check_webhook_response,
                      fcgi_post_json, fcgi_request, http_request, plant_secret, run, start_pool,
                      start_web_server, texts_of, time_bound, wait_until, webhook_request,
                      write_pool_conf)

AUDIENCE = "https://hooks.cxhook.test/webhook"
HEADER_NAME = "X-Webhook-Secret"
HEADER_VALUE = "it-header-" + secrets.token_hex(8)
BASIC_USER = "dialogflow-it"
BASIC_PASSWORD = "it-basic-pw-" + secrets.token_hex(8)
BEARER_TOKEN = "it-bearer-" + secrets.token_hex(8)
OTHER_USER = "it-other-user-" + secrets.token_hex(6)
WRONG_PASSWORD = "it-wrong-pw-" + secrets.token_hex(6)
SCRAPE = {HEADER_NAME: HEADER_VALUE}
BALANCE = json.dumps(webhook_request(
    tag="database-query", params={"query_type": "account_balance", "user_id": "10042"}))

MODES = ("bearer", "basic", "header", "id_token", "client_cert")
REASONS = {"absent", "malformed", "bad_alg", "unknown_kid", "bad_signature", "expired",
           "not_yet_valid", "wrong_issuer", "wrong_audience", "wrong_email",
           "email_unverified", "no_keys", "wrong_token", "bad_basic", "bad_header",
           "no_client_cert", "bad_client_cert", "wrong_client_dn"}

# Every bad token authkit.forge makes: the answer and the id_token reason.
FORGED = {
    "alg-none": (403, "bad_alg"),
    "alg-lowercase": (403, "bad_alg"),
    "alg-hs256-pubkey": (403, "bad_alg"),
    "alg-es256": (403, "bad_alg"),
    "flip-signature": (403, "bad_signature"),
    "flip-payload": (403, "bad_signature"),
    "flip-header": (403, "bad_signature"),
    "unknown-kid": (403, "unknown_kid"),
    "expired": (403, "expired"),
    "issued-in-future": (403, "not_yet_valid"),
    "lives-over-24h": (403, "expired"),
    "wrong-aud": (403, "wrong_audience"),
    "wrong-aud-array": (403, "wrong_audience"),
    "wrong-iss": (403, "wrong_issuer"),
    "other-email": (403, "wrong_email"),
    "email-unverified": (403, "email_unverified"),
    "email-verified-string": (403, "email_unverified"),
    "over-4kib": (401, "malformed"),
    "two-parts": (401, "malformed"),
    "four-parts": (401, "malformed"),
    "bad-b64-char": (401, "malformed"),
    "b64-standard-alphabet": (401, "malformed"),
    "duplicate-key": (401, "malformed"),
    "trailing-garbage": (401, "malformed"),
}


def basic(user, password):
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# --------------------------------------------------------------------------
# What every pool shares: keys, certificates, the JWKS stub, secret files.

@pytest.fixture(scope="module")
def kit(workdir):
    d = workdir / "auth-modes"
    d.mkdir(mode=0o755, exist_ok=True)
    k = types.SimpleNamespace(dir=d, key_a=RsaKey(), key_b=RsaKey(), pki=Pki(d / "pki"))
    k.files = {}
    for name, value in (("header", HEADER_VALUE), ("password", BASIC_PASSWORD),
                        ("bearer", BEARER_TOKEN)):
        f = d / name
        f.write_text(value + "\n")
        f.chmod(0o600)
        k.files[name] = f
    k.good = mint(k.key_a, AUDIENCE)
    k.forged = forge(k.key_a, AUDIENCE)
    k.sent = set()  # every token sent: none may reach a log
    for v in (k.good, k.good.split(".")[2], OTHER_USER, WRONG_PASSWORD, k.pki.cn):
        plant_secret(v)
    k.jwks = JwksStub().start()
    k.pools = []
    yield k
    k.jwks.stop()


def id_token_lines(route):
    return (f"id_token_audience = {AUDIENCE}\n"
            f"id_token_email = {SA_EMAIL}\n"
            f"id_token_jwks_url = {route.url}\n")


def header_lines(kit):
    return f"header_name = {HEADER_NAME}\nheader_value_file = {kit.files['header']}\n"


class AuthPool:
    """A pool with an [auth] section, its JWKS route and its web servers."""

    def __init__(self, kit, cxhook_bin, workdir, database, name, auth, route,
                 workers=2):
        rundir = workdir / f"run-{name}"
        rundir.mkdir(mode=0o755, exist_ok=True)
        rundir.chmod(0o755)
        self.name = name
        self.kit = kit
        self.route = route
        self.target = f"unix:{rundir}/cxhook.sock"
        conf = write_pool_conf(workdir / f"{name}.conf", self.target, database,
                               workers=workers, extra="\n[auth]\n" + auth)
        # The key fetcher is one more child of the master.
        self.pool = start_pool(cxhook_bin, conf, self.target, workdir / f"pool-{name}.log",
                               workers=workers + (1 if route else 0))
        self.log = self.pool.log
        self.servers = {}
        self.scrape_via = None  # (server, client) when /metrics needs a certificate
        kit.pools.append(self)

    def add_servers(self, workdir, names, tls=False):
        for n in names:
            tag = f"{n}-{self.name}"
            self.servers[n] = (start_tls_web_server(n, workdir, self.pool.sock, tag, self.kit.pki)
                               if tls else start_web_server(n, workdir, self.pool.sock, tag=tag))

    def scrape(self):
        if self.scrape_via is None:
            r = fcgi_request(self.target, "GET", "/metrics", content_type=None,
                             headers=SCRAPE)
        else:
            ws, client = self.scrape_via
            r = https_request(ws.base + "/metrics", "GET", headers=SCRAPE,
                              cafile=self.kit.pki.ca_file, client=client)
        assert r.status == 200, f"/metrics of {self.name}: {r!r}"
        return parse_metrics(r.body.decode("utf-8"))

    def wait_counts(self, before, deltas, timeout=5):
        """Waits until each metric in deltas has moved by exactly that much
        since before (counters move once the answer is sent)."""
        seen = []

        def moved():
            seen.append(self.scrape())
            return all(seen[-1].get(k, 0) - before.get(k, 0) == d for k, d in deltas.items())

        ok = wait_until(moved, timeout, interval=0.1)
        got = {k: seen[-1].get(k, 0) - before.get(k, 0) for k in deltas}
        assert ok, f"{self.name}: metrics moved by {got}, expected {deltas}"
        return seen[-1]

    def wait_keys(self, timeout=10):
        ok = wait_until(lambda: self.scrape().get(("cxhook_auth_keys_loaded", "")) == 1,
                        timeout, interval=0.1)
        assert ok, f"{self.name}: no key set loaded within {timeout}s: {self.scrape()}"

    def log_text(self):
        return Path(self.log).read_text(errors="replace")

    def stop(self):
        for ws in self.servers.values():
            ws.proc.stop()
        self.pool.proc.stop()


@pytest.fixture(scope="module")
def auth_pool(kit, cxhook_bin, workdir, database):
    """Starts AuthPools for the module; stopped when it ends."""
    started = []

    def make(name, auth, route=None, workers=2):
        p = AuthPool(kit, cxhook_bin, workdir, database, name, auth, route, workers)
        started.append(p)
        return p

    yield make
    for p in started:
        p.stop()


@pytest.fixture(scope="module")
def idt(kit, auth_pool, workdir):
    route = kit.jwks.route("idt", [kit.key_a], max_age=3600)
    p = auth_pool("idt", id_token_lines(route) + header_lines(kit), route)
    p.add_servers(workdir, SERVERS)
    p.wait_keys()
    return p


@pytest.fixture(scope="module")
def anyp(kit, auth_pool, workdir):
    route = kit.jwks.route("any", [kit.key_a], max_age=999999)
    p = auth_pool("any", f"bearer_token_file = {kit.files['bearer']}\n"
                         f"basic_user = {BASIC_USER}\n"
                         f"basic_password_file = {kit.files['password']}\n"
                  + header_lines(kit) + id_token_lines(route), route)
    p.add_servers(workdir, SERVERS)
    p.wait_keys()
    return p


@pytest.fixture(scope="module")
def certp(kit, auth_pool, workdir):
    route = kit.jwks.route("cert", [kit.key_a])
    p = auth_pool("cert", "client_cert = require\n" + id_token_lines(route)
                  + header_lines(kit), route)
    p.add_servers(workdir, SERVERS, tls=True)
    p.scrape_via = (p.servers["nginx"], kit.pki.client)
    p.wait_keys()
    return p


@pytest.fixture(scope="module")
def certdn(kit, auth_pool, workdir):
    """{server: AuthPool}: client_cert_dn pinned to the good client's DN as
    each server writes it (RFC 2253 for nginx and Apache; lighttpd's
    one-line form, in the certificate's order, for lighttpd)."""
    route = kit.jwks.route("certdn", [kit.key_a])
    forms = {"rfc2253": (kit.pki.dn_rfc2253, ["apache", "nginx"]),
             "lighttpd": (f"O = cxhook-test, CN = {kit.pki.cn}", ["lighttpd"])}
    out = {}
    for form, (dn, names) in forms.items():
        p = auth_pool(f"certdn-{form}", f"client_cert = require\nclient_cert_dn = {dn}\n"
                      + id_token_lines(route) + header_lines(kit), route)
        p.add_servers(workdir, names, tls=True)
        p.scrape_via = (p.servers[names[0]], kit.pki.client)
        p.wait_keys()
        out.update({n: p for n in names})
    return out


@pytest.fixture(scope="module")
def keys(kit, auth_pool):
    """Keys kept for max-age=10, which is clamped to 5 minutes."""
    route = kit.jwks.route("keys", [kit.key_a], max_age=10)
    p = auth_pool("keys", id_token_lines(route) + header_lines(kit), route)
    p.wait_keys()
    return p


@pytest.fixture(scope="module")
def nomaxage(kit, auth_pool):
    """A JWKS answered with no Cache-Control at all."""
    route = kit.jwks.route("nomaxage", [kit.key_a])
    route.set(cache_control=None)
    p = auth_pool("nomaxage", id_token_lines(route) + header_lines(kit), route, workers=1)
    p.wait_keys()
    return p


@pytest.fixture(scope="module")
def keyfail(kit, auth_pool):
    """Good keys once (max-age=3600 with Age: 600), then a JWKS that answers
    500; a token with an unknown kid makes the fetcher try at once, and it
    goes on trying with back-off while the other tests run."""
    route = kit.jwks.route("keyfail", [kit.key_a], max_age=3600, age=600)
    p = auth_pool("keyfail", id_token_lines(route) + header_lines(kit), route)
    p.wait_keys()
    p.initial = p.scrape()
    route.set(fail=500)
    token = mint(kit.key_a, AUDIENCE, hdr={"kid": secrets.token_hex(20)})
    kit.sent.add(token)
    r = fcgi_post_json(p.target, BALANCE, headers={"Authorization": f"Bearer {token}"})
    check_error(r, 403, "unknown kid while the JWKS fails")
    assert route.wait_hits(2, 5), f"no refetch for an unknown kid: {route.counts()}"
    p.failing_since = time.monotonic()
    return p


@pytest.fixture(scope="module")
def nokeys(kit, auth_pool):
    """A JWKS that closes every connection without a byte, from the start."""
    route = kit.jwks.route("nokeys", [kit.key_a])
    route.set(fail="close")
    p = auth_pool("nokeys", id_token_lines(route) + header_lines(kit), route)
    return p


@pytest.fixture(params=SERVERS)
def server_name(request):
    return request.param


# --------------------------------------------------------------------------
# Requests and answers

def post(ws, auth=None, headers=None, client=None, pki=None):
    hdrs = {"Content-Type": "application/json"}
    if auth is not None:
        hdrs["Authorization"] = auth
    hdrs.update(headers or {})
    if getattr(ws, "tls", False):
        return https_request(ws.url, "POST", BALANCE, hdrs, cafile=pki.ca_file, client=client)
    return http_request(ws.url, "POST", BALANCE, hdrs)


def bearer(kit, token):
    kit.sent.add(token)
    return f"Bearer {token}"


def check_balance(r, what):
    doc = check_webhook_response(r, what)
    assert TEXT_BALANCE_10042 in texts_of(doc), f"{what}: {r!r}"


def check_refusal(r, status, what, schemes=("bearer",)):
    """status with cxhook's JSON error; a 401 names every scheme in one
    WWW-Authenticate line, a 503 says when to come back."""
    check_error(r, status, what)
    www = r.header("www-authenticate")
    if status == 401:
        assert www, f"{what}: 401 without WWW-Authenticate: {r.headers}"
        for s in schemes:
            assert re.search(rf'(^|,\s*){s}\s+realm="cxhook"', www, re.I), \
                f"{what}: WWW-Authenticate {www!r} does not name {s}"
    if status == 503:
        assert r.header("retry-after") == "5", f"{what}: {r.headers}"


# --------------------------------------------------------------------------
# Key sets: loaded, kept as long as the JWKS says (clamped), counted.

@pytest.mark.parametrize("name", ["idt", "any", "keys", "keyfail"])
def test_keys_loaded(request, kit, name):
    p = request.getfixturevalue({"any": "anyp"}.get(name, name))
    m = p.initial if name == "keyfail" else p.scrape()
    assert m.get(("cxhook_auth_keys_loaded", "")) == 1, m
    assert m.get(("cxhook_auth_key_fetches_total", ""), 0) >= 1, m
    assert m.get(("cxhook_auth_key_fetch_failures_total", "")) == 0, m
    assert 0 <= m.get(("cxhook_auth_keys_age_seconds", ""), -1) < 120, m
    if name != "keyfail":
        assert m[("cxhook_auth_key_fetches_total", "")] == p.route.counts()[0], \
            (m, p.route.counts())


# Cache-Control max-age minus Age, clamped to [5 min, 24 h].
@pytest.mark.parametrize("name, low, high", [
    ("idt", 3400, 3600),       # max-age=3600, no Age
    ("keyfail", 2900, 3000),   # max-age=3600, Age: 600
    ("keys", 200, 300),        # max-age=10: 5 minutes
    ("any", 86300, 86400),     # max-age=999999: 24 hours
    ("nomaxage", 200, 300),    # no Cache-Control: 5 minutes
], ids=["max-age-3600", "age-600", "max-age-10", "max-age-999999", "no-cache-control"])
def test_keys_kept_for(request, name, low, high):
    p = request.getfixturevalue({"any": "anyp"}.get(name, name))
    m = p.initial if name == "keyfail" else p.scrape()
    left = m.get(("cxhook_auth_keys_expires_in_seconds", ""))
    print(f"{name}: expires in {left} s")
    assert left is not None and low <= left <= high, f"{name}: expires in {left}, want [{low}, {high}]"


def test_no_keys_yet(kit, nokeys):
    """No set ever loaded: an ID token gets 503 + Retry-After (the caller
    did nothing wrong), a request with no credentials still 401."""
    assert wait_until(lambda: nokeys.route.counts()[0] >= 1, 10), "the JWKS was never asked"
    before = nokeys.scrape()
    assert before.get(("cxhook_auth_keys_loaded", "")) == 0, before
    r = ask(nokeys, kit, kit.good)
    check_refusal(r, 503, "token before any key set")
    r = fcgi_post_json(nokeys.target, BALANCE)
    check_refusal(r, 401, "no credentials before any key set")
    # 503 beats 403: the header is wrong, but the token could not be checked.
    r = fcgi_post_json(nokeys.target, BALANCE, headers={
        "Authorization": bearer(kit, kit.good), HEADER_NAME: HEADER_VALUE + "x"})
    check_refusal(r, 503, "token before any key set, wrong header")
    m = nokeys.wait_counts(before, {refused("id_token", "no_keys"): 2,
                                    refused("id_token", "absent"): 1,
                                    refused("header", "bad_header"): 1})
    assert m.get(("cxhook_auth_key_fetch_failures_total", ""), 0) >= 1, m


# --------------------------------------------------------------------------
# The [auth] keys that must come together or may not be: check-config
# (exit 78, the key named) or accepted (exit 0).

AUTH_CONFIGS = {
    # case: ([auth] lines, None for good or the keys either of which is named)
    "basic-user-alone": ("basic_user = dialogflow\n", ("basic_password_file", "basic_user")),
    "header-name-alone": ("header_name = X-Webhook-Secret\n", ("header_value_file", "header_name")),
    "header-authorization": ("header_name = Authorization\nheader_value_file = {secret}\n",
                             ("header_name",)),
    "audience-alone": (f"id_token_audience = {AUDIENCE}\n", ("id_token_email", "id_token_audience")),
    "email-alone": (f"id_token_email = {SA_EMAIL}\n", ("id_token_audience", "id_token_email")),
    "jwks-plain-http": (f"id_token_audience = {AUDIENCE}\nid_token_email = {SA_EMAIL}\n"
                        "id_token_jwks_url = http://keys.example.com/certs\n",
                        ("id_token_jwks_url",)),
    "client-cert-maybe": ("client_cert = maybe\n", ("client_cert",)),
    "dn-without-cert": ("client_cert_dn = CN=x\n", ("client_cert_dn",)),
    "jwks-loopback": (f"id_token_audience = {AUDIENCE}, https://other.example/x\n"
                      f"id_token_email = {SA_EMAIL}, {OTHER_SA_EMAIL}\n"
                      "id_token_jwks_url = http://localhost:1/certs\n", None),
    "credentials-directory": ("basic_user = dialogflow\nbasic_password_file = basic.password\n"
                              "client_cert = require\nclient_cert_dn = CN=x,O=y\n", None),
}


@pytest.mark.parametrize("case", list(AUTH_CONFIGS))
def test_auth_config(cxhook_bin, workdir, kit, case):
    lines, named = AUTH_CONFIGS[case]
    creds = kit.dir / "credentials"
    creds.mkdir(exist_ok=True)
    (creds / "basic.password").write_text(BASIC_PASSWORD + "\n")
    path = workdir / f"auth-config-{case}.conf"
    path.write_text("[database]\nconninfo = host=/tmp dbname=cxhook\n\n[auth]\n"
                    + lines.format(secret=kit.files["header"]))
    env = dict(os.environ, CREDENTIALS_DIRECTORY=str(creds))
    r = run([cxhook_bin, "check-config", "-c", path], check=False, timeout=10, env=env)
    if named is None:
        assert r.returncode == 0, r
    else:
        assert r.returncode == 78, r
        assert str(path) in r.stderr and any(k in r.stderr for k in named), r.stderr


# --------------------------------------------------------------------------
# ID tokens (pool idt: id_token and the scrape header)

def test_refusal_logged(kit, idt):
    """One warn line per refusal: each configured mode's outcome, got= for
    aud and email, never the token. (Lines are rate-limited per call site,
    so this looks at the pool's first few refusals.)"""
    cases = [("wrong-aud", 403, r"id_token=wrong_audience got=https://other\.example/x(\s|$)"),
             ("other-email", 403, rf"id_token=wrong_email got={re.escape(OTHER_SA_EMAIL)}(\s|$)"),
             ("flip-signature", 403, r"id_token=bad_signature(\s|$)"),
             ("expired", 403, r"id_token=expired(\s|$)")]
    ws = idt.servers["lighttpd"]
    for name, status, _ in cases:
        r = post(ws, bearer(kit, kit.forged[name]))
        check_refusal(r, status, name)

    def logged():
        text = idt.log_text()
        return all(re.search(rf"auth refused \({st}\): .*{pat}", text, re.M)
                   for _, st, pat in cases)

    assert wait_until(logged, 3), "refusal lines missing:\n" + "\n".join(
        ln for ln in idt.log_text().splitlines() if "auth" in ln)
    for line in idt.log_text().splitlines():
        if "id_token=wrong_audience" in line:
            assert "header=absent" in line, line
    text = idt.log_text()
    for name, _, _ in cases:
        assert kit.forged[name] not in text and kit.forged[name].split(".")[2] not in text


def test_good_token(kit, idt, server_name):
    ws = idt.servers[server_name]
    before = idt.scrape()
    check_balance(post(ws, bearer(kit, kit.good)), f"good token via {server_name}")
    idt.wait_counts(before, {accepted("id_token"): 1})


@pytest.mark.parametrize("variant", ["iss-without-scheme", "aud-array", "lowercase-scheme",
                                     "expired-30s-ago", "issued-30s-ahead"])
def test_good_token_variants(kit, idt, server_name, variant):
    """What the spec also accepts: iss without https://, aud as an array
    holding ours, the scheme in any case, 60 s of clock skew either way."""
    now = int(time.time())
    a, key = AUDIENCE, kit.key_a
    token = {"iss-without-scheme": lambda: mint(key, a, iss="accounts.google.com"),
             "aud-array": lambda: mint(key, a, aud=["https://other.example/x", a]),
             "lowercase-scheme": lambda: mint(key, a),
             "expired-30s-ago": lambda: mint(key, a, iat=now - 3630, exp=now - 30),
             "issued-30s-ahead": lambda: mint(key, a, iat=now + 30, exp=now + 3630)}[variant]()
    auth = bearer(kit, token)
    if variant == "lowercase-scheme":
        auth = "bearer " + token
    check_balance(post(idt.servers[server_name], auth), f"{variant} via {server_name}")


@pytest.mark.parametrize("variant", list(FORGED))
def test_forged_token(kit, idt, server_name, variant):
    status, reason = FORGED[variant]
    token = kit.forged[variant]
    before = idt.scrape()
    r = post(idt.servers[server_name], bearer(kit, token))
    check_refusal(r, status, f"{variant} via {server_name}")
    # Every configured mode's outcome is counted, the absent one too.
    idt.wait_counts(before, {refused("id_token", reason): 1, refused("header", "absent"): 1,
                             accepted("id_token"): 0})
    assert token not in idt.log_text()


def test_no_credentials(kit, idt, server_name):
    before = idt.scrape()
    r = post(idt.servers[server_name])
    check_refusal(r, 401, f"no credentials via {server_name}")
    idt.wait_counts(before, {refused("id_token", "absent"): 1, refused("header", "absent"): 1})


def test_healthz_needs_no_credentials(idt, server_name):
    r = http_request(idt.servers[server_name].base + "/healthz", "GET")
    assert r.status == 200, r


def test_metrics_only_for_configured_modes(idt, pool):
    m = idt.scrape()
    modes = {re.search(r'mode="(\w+)"', labels).group(1)
             for (name, labels) in m if name.startswith("cxhook_auth_") and labels}
    assert modes <= {"id_token", "header"} and "id_token" in modes, modes
    r = fcgi_request(f"unix:{pool.sock}", "GET", "/metrics", content_type=None)
    assert r.status == 200, r
    samples = [ln for ln in r.body.decode().splitlines() if ln.startswith("cxhook_auth_")]
    assert not samples, f"auth metrics on a pool without [auth]: {samples}"


# --------------------------------------------------------------------------
# Any of bearer, basic, header, id_token (pool any)

def each_mode(kit):
    return {"bearer": {"Authorization": f"Bearer {BEARER_TOKEN}"},
            "basic": {"Authorization": basic(BASIC_USER, BASIC_PASSWORD)},
            "header": {HEADER_NAME: HEADER_VALUE},
            "id_token": {"Authorization": bearer(kit, kit.good)}}


@pytest.mark.parametrize("mode", ["bearer", "basic", "header", "id_token"])
def test_any_mode_alone(kit, anyp, server_name, mode):
    before = anyp.scrape()
    r = post(anyp.servers[server_name], headers=each_mode(kit)[mode])
    check_balance(r, f"{mode} alone via {server_name}")
    if mode != "header":  # the scrapes are counted as header passes too
        anyp.wait_counts(before, {accepted(mode): 1})


ANY_REFUSED = {
    # case: (headers, status, {(mode, reason): 1, ...})
    "basic-wrong-password": ({"Authorization": basic(BASIC_USER, WRONG_PASSWORD)}, 403,
                             [("basic", "bad_basic")]),
    "basic-other-user": ({"Authorization": basic(OTHER_USER, BASIC_PASSWORD)}, 403,
                         [("basic", "bad_basic")]),
    "basic-not-base64": ({"Authorization": "Basic %%%not-base64%%%"}, 401,
                         [("basic", "malformed")]),
    "basic-no-colon": ({"Authorization": "Basic "
                        + base64.b64encode(BASIC_USER.encode()).decode()}, 401,
                       [("basic", "malformed")]),
    "header-wrong-value": ({HEADER_NAME: HEADER_VALUE + "x"}, 403, [("header", "bad_header")]),
    "bearer-wrong-token": ({"Authorization": "Bearer wrong-token"}, 403,
                           [("bearer", "wrong_token")]),
    "other-scheme": ({"Authorization": "Digest username=\"dialogflow-it\""}, 401, []),
    "nothing": ({}, 401, [(m, "absent") for m in ("bearer", "basic", "header", "id_token")]),
    "403-beats-401": ({HEADER_NAME: "wrong", "Authorization": "Basic %%%"}, 403,
                      [("header", "bad_header"), ("basic", "malformed")]),
}


@pytest.mark.parametrize("case", list(ANY_REFUSED))
def test_any_refused(anyp, server_name, case):
    headers, status, counts = ANY_REFUSED[case]
    before = anyp.scrape()
    r = post(anyp.servers[server_name], headers=headers)
    check_refusal(r, status, f"{case} via {server_name}", schemes=("bearer", "basic"))
    anyp.wait_counts(before, {refused(m, why): 1 for m, why in counts})


# --------------------------------------------------------------------------
# Client certificate AND ID token, over HTTPS (pool cert)

CERT_CASES = {
    # case: (client, token, status, client_cert reason or None)
    "cert-and-token": ("client", "good", 200, None),
    "other-dn-same-ca": ("other_dn", "good", 200, None),
    "cert-no-token": ("client", None, 401, None),
    "cert-bad-token": ("client", "flip-signature", 403, None),
    "no-cert-token": (None, "good", 403, "no_client_cert"),
    "no-cert-no-token": (None, None, 403, "no_client_cert"),
    "other-ca-token": ("rogue", "good", 403, "bad_client_cert"),
}


def client_of(kit, which):
    return None if which is None else getattr(kit.pki, which)


def token_of(kit, which):
    if which is None:
        return None
    return bearer(kit, kit.good if which == "good" else kit.forged[which])


@pytest.mark.parametrize("case", list(CERT_CASES))
def test_client_cert(kit, certp, server_name, case):
    client, token, status, reason = CERT_CASES[case]
    before = certp.scrape()
    r = post(certp.servers[server_name], token_of(kit, token), client=client_of(kit, client),
             pki=kit.pki)
    what = f"{case} via {server_name} (HTTPS)"
    if status == 200:
        check_balance(r, what)
    else:
        check_refusal(r, status, what)
    if reason:
        certp.wait_counts(before, {refused("client_cert", reason): 1})


DN_CASES = {
    "pinned-dn": ("client", 200, None),
    "other-dn": ("other_dn", 403, "wrong_client_dn"),
    "same-dn-other-ca": ("rogue", 403, "bad_client_cert"),
}


@pytest.mark.parametrize("case", list(DN_CASES))
def test_client_cert_dn(kit, certdn, server_name, case):
    client, status, reason = DN_CASES[case]
    p = certdn[server_name]
    before = p.scrape()
    r = post(p.servers[server_name], bearer(kit, kit.good), client=client_of(kit, client),
             pki=kit.pki)
    what = f"{case} via {server_name} (HTTPS)"
    if status == 200:
        check_balance(r, what)
    else:
        check_refusal(r, status, what)
        p.wait_counts(before, {refused("client_cert", reason): 1})


# --------------------------------------------------------------------------
# Key rotation, refetch limits, a failing JWKS (straight to the pools)

def ask(p, kit, token):
    return fcgi_post_json(p.target, BALANCE, headers={"Authorization": bearer(kit, token)})


def test_rotation_refuses_no_good_call(kit, keys):
    """Tokens by A pass; the JWKS now serves A and B (slowly: 1 s) and the
    first token by B passes too, after one refetch; A still passes."""
    check_balance(ask(keys, kit, mint(kit.key_a, AUDIENCE)), "key A")
    hits = keys.route.counts()[0]
    keys.route.set(keys=[kit.key_a, kit.key_b], delay=1.0)
    t0 = time.monotonic()
    r = ask(keys, kit, mint(kit.key_b, AUDIENCE))
    took = time.monotonic() - t0
    keys.route.set(delay=0.0)
    check_balance(r, "first token by the new key B")
    print(f"first call with key B answered in {took:.2f} s")
    assert keys.route.counts()[0] == hits + 1, keys.route.counts()
    check_balance(ask(keys, kit, mint(kit.key_b, AUDIENCE)), "key B again")
    check_balance(ask(keys, kit, mint(kit.key_a, AUDIENCE)), "key A after the rotation")
    keys.wait_counts({}, {("cxhook_auth_key_fetches_total", ""): hits + 1})


@time_bound
def test_refetch_wait_is_bounded(kit, nomaxage):
    """A JWKS slower than the 2 s a worker waits for a refetch: the call
    with the new key is decided (refused) after those 2 s, and once the
    slow answer lands the new key passes."""
    p = nomaxage
    hits, served = p.route.counts()
    p.route.set(keys=[kit.key_a, kit.key_b], delay=4.0)
    t0 = time.monotonic()
    r = ask(p, kit, mint(kit.key_b, AUDIENCE))
    took = time.monotonic() - t0
    print(f"unknown kid with a 4 s JWKS: {r.status} after {took:.2f} s")
    check_refusal(r, 403, "new key while the JWKS is slow")
    assert 1.5 <= took <= 3.5, f"decided after {took:.2f} s"
    assert wait_until(lambda: p.route.counts()[1] == served + 1, 6), p.route.counts()
    p.route.set(delay=0.0)
    assert wait_until(lambda: ask(p, kit, mint(kit.key_b, AUDIENCE)).status == 200, 3), \
        "the slow set never came into use"
    assert p.route.counts()[0] == hits + 1, p.route.counts()


def test_unknown_kid_burst(kit, keys):
    """30 tokens with unknown kids at once: each refused, and the JWKS
    sees at most one extra fetch for all of them."""
    hits = keys.route.counts()[0]
    before = keys.scrape()
    tokens = [mint(kit.key_b, AUDIENCE, hdr={"kid": secrets.token_hex(20)}) for _ in range(30)]
    t0 = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(6) as ex:
        answers = list(ex.map(lambda t: ask(keys, kit, t), tokens))
    took = time.monotonic() - t0
    bad = [r for r in answers if r.status != 403]
    assert not bad, f"{len(bad)} of 30 not 403, e.g. {bad[:2]}"
    time.sleep(1)
    extra = keys.route.counts()[0] - hits
    print(f"30 unknown kids: answered in {took:.2f} s, {extra} extra JWKS fetch(es)")
    assert extra <= 1, f"{extra} JWKS fetches for one burst"
    keys.wait_counts(before, {refused("id_token", "unknown_kid"): 30})
    check_balance(ask(keys, kit, mint(kit.key_b, AUDIENCE)), "key B after the burst")


def test_failing_jwks_keeps_last_set(kit, keyfail):
    """The set loaded before the JWKS began to fail stays in use, and the
    fetcher keeps trying (back-off from 10 s)."""
    check_balance(ask(keyfail, kit, mint(kit.key_a, AUDIENCE)), "key A while the JWKS fails")
    key = ("cxhook_auth_key_fetch_failures_total", "")
    seen = []

    def grown():
        # Each failed JWKS answer counted once (the first load was good).
        hits, served = keyfail.route.counts()
        seen.append((keyfail.scrape(), hits, served))
        return seen[-1][0].get(key, 0) >= 2 and seen[-1][0][key] == hits - served

    ok = wait_until(grown, 25, interval=0.5)
    m, hits, served = seen[-1]
    print(f"keyfail: {m.get(key)} failures counted, {hits} JWKS hits ({served} good), "
          f"{time.monotonic() - keyfail.failing_since:.0f} s after the first failure")
    assert ok, f"fetch failures did not grow as the JWKS saw them: {m}, {hits} hits, {served} good"
    assert m.get(("cxhook_auth_keys_loaded", "")) == 1, m
    check_balance(ask(keyfail, kit, mint(kit.key_a, AUDIENCE)), "key A, still")


def gaps(times):
    return [round(b - a, 1) for a, b in zip(times, times[1:])]


@time_bound
def test_fetch_backoff(kit, nokeys, keyfail):
    """A failed fetch is retried after 5 s, then 10 s (doubling): seen
    from the JWKS, on the pool that never got a set (first try at its
    start) and on the one that lost its JWKS after a good load (the failed
    refetch an unknown kid asked for, then the retries)."""
    assert wait_until(lambda: nokeys.route.counts()[0] >= 3, 25, interval=0.5), \
        f"nokeys: JWKS asked at {gaps(nokeys.route.times)} s intervals"
    assert wait_until(lambda: keyfail.route.counts()[0] >= 3, 15, interval=0.5), \
        f"keyfail: JWKS asked at {gaps(keyfail.route.times)} s intervals"
    n, f = gaps(nokeys.route.times), gaps(keyfail.route.times)[1:]
    print(f"retry intervals: nokeys {n} s, keyfail (after its good load) {f} s")
    # The first gap may be shorter by the first fetch's own time.
    assert 3.5 <= n[0] <= 7 and 9 <= n[1] <= 13, f"nokeys retried after {n} s"
    assert 3.5 <= f[0] <= 7, f"keyfail retried after {f} s"


# --------------------------------------------------------------------------
# Last: what the pools of this module logged.

def test_logs_hold_no_token(kit):
    line_re = re.compile(r"auth refused \((\d{3})\): (.*?)(\s*\[repeated .*\])?$")
    refusals = 0
    for p in kit.pools:
        text = p.log_text()
        leaked = [t[:40] for t in kit.sent
                  if any(part in text for part in [t] + [x for x in t.split(".")[1:]
                                                         if len(x) >= 40])]
        assert not leaked, f"{p.name}: tokens in the log: {leaked[:3]}"
        for s in (HEADER_VALUE, BASIC_PASSWORD, BEARER_TOKEN, WRONG_PASSWORD, OTHER_USER,
                  kit.pki.cn):
            assert s not in text, f"{p.name}: {s!r} in the log"
        for line in text.splitlines():
            if "auth refused" not in line:
                continue
            m = line_re.search(line)
            assert m and m.group(1) in ("401", "403", "503"), line
            refusals += 1
            prev, outcome = None, {}
            for item in m.group(2).split(" "):
                mode, _, why = item.partition("=")
                if mode == "got":
                    assert prev in ("wrong_audience", "wrong_email") and len(why) <= 96, line
                else:
                    assert mode in MODES and (why in REASONS or why == "ok"), \
                        f"{item!r} in {line!r}"
                    outcome[mode] = why
                prev = why
            # A mode that accepted ("ok") in a refusal: either the good
            # certificate beside refused credentials, or good credentials
            # and a refused certificate.
            oks = {md for md, why in outcome.items() if why == "ok"}
            if oks - {"client_cert"}:
                assert outcome.get("client_cert", "ok") != "ok", line
    assert refusals, "no refusal logged at all"
