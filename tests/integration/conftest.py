"""Integration fixtures: a private PostgreSQL, the cxhook pool and the three
web servers (lighttpd, Apache, nginx), all on loopback, all in one temporary
directory under /tmp that is removed at the end.

Run through tests/run-integration.sh; CXHOOK must name the binary.

Environment:
    CXHOOK            path to build/cxhook (required)
    CXHOOK_IT_KEEP=1  keep the temporary directory (logs, configs) afterwards

The web-server configurations are generated from the snippets shipped in
conf/ (lighttpd-cxhook.conf, apache-cxhook.conf, nginx-cxhook.conf) with only
the socket path substituted, so the shipped snippets are what is tested.
"""

import atexit
import contextlib
import http.client
import json
import math
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "corpus"
SNIPPET_SOCKET = "/run/cxhook/cxhook.sock"
SERVERS = ["lighttpd", "apache", "nginx"]
TIMEOUT = 5.0  # every HTTP request
CMD_TIMEOUT = 60  # every helper command (psql, migrate, pg.sh)
IS_ROOT = os.geteuid() == 0
WEB_USER = "www-data"

# tests/run-integration.sh with VALGRIND=1 runs every pool under memcheck,
# many times slower. A test whose guarantee is a bound on time (a deadline,
# idle_timeout) is marked with this and skipped there; elsewhere a test
# asserts order and counts, not how fast.
time_bound = pytest.mark.skipif(bool(os.environ.get("CXHOOK_VALGRIND_LOGS")),
                                reason="its guarantee is a bound on time, "
                                       "which memcheck's slowdown breaks")

TEXT_BALANCE_10042 = "Your current account balance is $1,250.75."
TEXT_DEFAULT = "I've received your request, but I'm not sure how to handle it."
ALLOWED_TOP_LEVEL = {"fulfillmentResponse", "pageInfo", "sessionInfo",
                     "payload", "targetPage", "targetFlow"}


# --------------------------------------------------------------------------
# Clean-up that happens even when pytest is interrupted or killed by SIGTERM.

_cleanups = []


def _register_cleanup(fn):
    _cleanups.append(fn)
    return fn


def _run_cleanups():
    while _cleanups:
        fn = _cleanups.pop()
        with contextlib.suppress(Exception):
            fn()


atexit.register(_run_cleanups)


def _sigterm(signum, frame):
    # KeyboardInterrupt makes pytest tear the fixtures down.
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_sessionstart(session):
    signal.signal(signal.SIGTERM, _sigterm)
    binary = os.environ.get("CXHOOK", "")
    if not binary or not os.access(binary, os.X_OK):
        pytest.exit(f"CXHOOK must name the cxhook binary (got {binary!r})",
                    returncode=4)


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session, exitstatus):
    # After the fixtures' own teardown: whatever is still registered.
    _run_cleanups()


# --------------------------------------------------------------------------
# No secret and no personal data in any line cxhook logs (at debug level,
# since every test pool logs at debug): checked over every pool log of the
# session when it ends. The values: what the pool configurations point at
# through *_file keys (tokens, keys), the database password, the caller's
# words and query strings planted in requests, and what the bookings made
# in the session's database hold about people.

_PERSONAL = set()
QUERY_MARK = "it-query-" + uuid.uuid4().hex[:10]


def plant_secret(value):
    """One more value no pool log may hold: a secret a test sent that is in
    no *_file (an ID token, say)."""
    _PERSONAL.add(value)


def _planted_secrets(workdir):
    found = {DB_PASSWORD, CALLER_WORDS.split(", ")[1], QUERY_MARK}
    for conf in Path(workdir).rglob("*.conf"):
        for m in re.finditer(r"(?m)^\s*\w+_file\s*=\s*(\S+)", conf.read_text(errors="replace")):
            with contextlib.suppress(OSError):
                secret = Path(m.group(1)).read_text().strip()
                if len(secret) >= 6:
                    found.add(secret)
    return found


@pytest.fixture(scope="session", autouse=True)
def logs_keep_no_secrets(workdir):
    yield
    planted = _planted_secrets(workdir) | _PERSONAL
    logs = list(Path(workdir).rglob("pool*.log"))
    lines = 0
    leaks = []
    for log in logs:
        for n, line in enumerate(log.read_text(errors="replace").splitlines(), 1):
            lines += 1
            leaks.extend(f"{log.name}:{n}: {v!r} in {line[:200]!r}"
                         for v in planted if v in line)
    print(f"\nlogs checked: {lines} lines in {len(logs)} pool logs, "
          f"{len(planted)} planted values, {len(leaks)} found")
    assert not leaks, "secrets or personal data in the logs:\n" + "\n".join(leaks[:20])


# --------------------------------------------------------------------------
# Small helpers.

def _not_json(token):
    raise ValueError(f"{token} is not JSON")


def _finite(text):
    if not math.isfinite(float(text)):
        raise ValueError(f"{text} does not fit a double")
    return float(text)


def json_strict(text):
    """json.loads, refusing what Python takes but JSON lacks: NaN,
    Infinity, -Infinity and numbers no double holds (1e999)."""
    return json.loads(text, parse_constant=_not_json, parse_float=_finite)


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers  # name (lower case) -> value
        self.body = body

    def header(self, name, default=None):
        return self.headers.get(name.lower(), default)

    def json(self):
        return json_strict(self.body.decode("utf-8"))

    def __repr__(self):
        body = self.body[:600].decode("utf-8", "replace")
        return f"<HTTP {self.status} {self.headers.get('content-type')!r} {body!r}>"


def http_request(url, method="POST", body=None, headers=None, timeout=TIMEOUT,
                 chunked=False, source=None, tls=None):
    """One request on a fresh connection; never waits more than timeout.
    chunked: send the body with Transfer-Encoding: chunked (no Content-Length).
    source: the client's own address (e.g. "127.0.0.2", a client that is
    not this host as far as the web server's access rules go).
    tls: the ssl.SSLContext of an https:// URL."""
    scheme, _, rest = url.partition("://")
    assert scheme == ("https" if tls else "http"), url
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.rpartition(":")
    host = host.strip("[]")
    src = (source, 0) if source else None
    if tls:
        conn = http.client.HTTPSConnection(host, int(port), timeout=timeout,
                                           source_address=src, context=tls)
    else:
        conn = http.client.HTTPConnection(host, int(port), timeout=timeout,
                                          source_address=src)
    try:
        hdrs = {"Connection": "close"}
        hdrs.update(headers or {})
        if isinstance(body, str):
            body = body.encode("utf-8")
        if chunked and body is not None:
            data = body
            body = (data[i:i + 65536] for i in range(0, len(data), 65536))
            hdrs["Transfer-Encoding"] = "chunked"
        try:
            conn.request(method, "/" + path, body=body, headers=hdrs,
                         encode_chunked=chunked)
        except (BrokenPipeError, ConnectionResetError):
            # The server may answer (413) before it has read a large body.
            pass
        resp = conn.getresponse()
        data = resp.read()
        return Response(resp.status, resp.reason,
                        {k.lower(): v for k, v in resp.getheaders()}, data)
    finally:
        conn.close()


def post_json(url, obj, content_type="application/json", timeout=TIMEOUT):
    body = obj if isinstance(obj, (bytes, str)) else json.dumps(obj)
    headers = {"Content-Type": content_type} if content_type else {}
    return http_request(url, "POST", body, headers, timeout)


# Words a caller said: planted in every request's text, and never to be
# found in a log (see logs_keep_no_secrets).
CALLER_WORDS = "my account, it-caller-words-" + uuid.uuid4().hex[:10]


def webhook_request(tag=None, intent=None, params=None, intent_params=None,
                    text="what's my balance, " + CALLER_WORDS, session="it-session"):
    """A WebhookRequest as Dialogflow CX sends it. params go into
    sessionInfo.parameters, intent_params into intentInfo.parameters (as
    IntentParameterValue with originalValue and resolvedValue)."""
    agent = "projects/it-project/locations/global/agents/0f4c8b1e-it"
    req = {
        "detectIntentResponseId": str(uuid.uuid4()),
        "pageInfo": {"currentPage": agent + "/flows/00000000-0000-0000-0000-000000000000/pages/START_PAGE",
                     "displayName": "Start Page"},
        "sessionInfo": {"session": agent + "/sessions/" + session,
                        "parameters": dict(params or {})},
        "fulfillmentInfo": {"tag": tag} if tag else {},
        "text": text,
        "languageCode": "en",
    }
    if intent or intent_params:
        req["intentInfo"] = {
            "lastMatchedIntent": agent + "/intents/5b1e9c0d-it",
            "displayName": intent or "",
            "parameters": {k: {"originalValue": str(v), "resolvedValue": v}
                           for k, v in (intent_params or {}).items()},
            "confidence": 0.93,
        }
    return req


def texts_of(resp_json):
    """Every text of every fulfillmentResponse message, in order."""
    out = []
    fr = resp_json.get("fulfillmentResponse") or {}
    for m in fr.get("messages") or []:
        t = (m or {}).get("text")
        if isinstance(t, dict):
            out.extend(x for x in t.get("text") or [] if isinstance(x, str))
    return out


def session_params(resp_json):
    return ((resp_json.get("sessionInfo") or {}).get("parameters")) or {}


CAMEL = re.compile(r"^[a-z][A-Za-z0-9]*$")
# Values under these keys are free-form (Struct / map) and may use any key.
FREE_FORM = {"parameters", "payload", "metadata"}


def camel_case_violations(node, path="$"):
    bad = []
    if isinstance(node, dict):
        for k, v in node.items():
            p = f"{path}.{k}"
            if not CAMEL.match(k):
                bad.append(p)
            if k in FREE_FORM:
                continue
            bad.extend(camel_case_violations(v, p))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            bad.extend(camel_case_violations(v, f"{path}[{i}]"))
    return bad


def check_webhook_response(r, what):
    assert r.status == 200, f"{what}: {r!r}"
    ctype = (r.header("content-type") or "").replace(" ", "").lower()
    assert ctype == "application/json;charset=utf-8", f"{what}: Content-Type {ctype!r}"
    assert len(r.body) < 64 * 1024, f"{what}: response is {len(r.body)} bytes"
    doc = r.json()
    assert isinstance(doc, dict), f"{what}: not a JSON object: {r!r}"
    extra = set(doc) - ALLOWED_TOP_LEVEL
    assert not extra, f"{what}: top-level keys outside the WebhookResponse: {sorted(extra)}"
    bad = camel_case_violations(doc)
    assert not bad, f"{what}: keys that are not camelCase: {bad}"
    texts = texts_of(doc)
    assert any(t.strip() for t in texts), f"{what}: no text message: {r!r}"
    return doc


def check_error(r, status, what):
    assert r.status == status, f"{what}: expected {status}, got {r!r}"
    ctype = (r.header("content-type") or "").lower()
    assert ctype.startswith("application/json"), f"{what}: Content-Type {ctype!r}"
    doc = r.json()
    assert isinstance(doc, dict) and set(doc) == {"error"}, f"{what}: {r!r}"
    err = doc["error"]
    assert isinstance(err, dict), f"{what}: {r!r}"
    assert err.get("code") == status and not isinstance(err.get("code"), bool), f"{what}: {r!r}"
    assert isinstance(err.get("message"), str) and err["message"], f"{what}: {r!r}"
    return err["message"]


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(pred, timeout, interval=0.05):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() >= deadline:
            return v
        time.sleep(interval)


def unix_accepts(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(1)
    try:
        s.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        s.close()


def tcp_accepts(port, host="127.0.0.1"):
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def pid_alive(pid):
    """True while pid exists and is not a zombie."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False


def proc_state(pid):
    """The state letter of pid in /proc (R, S, T, Z...), or None if gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return None


def children_of(pid, zombies=False):
    """Direct children of pid (from /proc/PID/task/*/children); with
    zombies, those not yet collected by pid too."""
    kids = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            kids.update(int(x) for x in (task / "children").read_text().split())
    return kids if zombies else {k for k in kids if pid_alive(k)}


def tail(path, lines=40):
    try:
        return "\n".join(Path(path).read_text(errors="replace").splitlines()[-lines:])
    except OSError as e:
        return f"({path}: {e})"


def run(cmd, timeout=CMD_TIMEOUT, check=True, **kw):
    """subprocess.run with a timeout, text output and a readable failure."""
    r = subprocess.run([str(c) for c in cmd], capture_output=True, text=True,
                       timeout=timeout, **kw)
    if check and r.returncode != 0:
        raise AssertionError(f"{' '.join(map(str, cmd))} exited {r.returncode}\n"
                             f"stdout:\n{r.stdout}\nstderr:\n{r.stderr}")
    return r


class Proc:
    """A foreground daemon in its own process group, output to a log file.
    stop() sends SIGTERM, waits, then SIGKILLs the whole group."""

    def __init__(self, name, argv, log, cwd=None, env=None, pass_fds=()):
        self.name = name
        self.argv = [str(a) for a in argv]
        self.log = Path(log)
        self._logf = open(self.log, "ab")
        self.p = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                  stdout=self._logf, stderr=subprocess.STDOUT,
                                  cwd=cwd, env=env, start_new_session=True,
                                  pass_fds=pass_fds)
        self.pid = self.p.pid
        _register_cleanup(self.stop)

    def alive(self):
        return self.p.poll() is None

    def stop(self, timeout=10):
        if self.p.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pid, signal.SIGTERM)
            try:
                self.p.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        # Whatever is left in the group (stray workers) goes too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.p.wait(timeout=5)
        with contextlib.suppress(Exception):
            self._logf.close()


# --------------------------------------------------------------------------
# Session fixtures: temp dir, PostgreSQL, the pool.

@pytest.fixture(scope="session")
def cxhook_bin():
    return os.path.abspath(os.environ["CXHOOK"])


@pytest.fixture(scope="session")
def workdir():
    d = Path(tempfile.mkdtemp(prefix="cxhook-it-", dir="/tmp"))
    d.chmod(0o755)  # the web servers' www-data workers must reach the socket
    yield d
    if os.environ.get("CXHOOK_IT_KEEP"):
        print(f"\ncxhook integration: kept {d}")
    else:
        _run_cleanups()  # processes must be gone before their directory is
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres(workdir):
    pgdir = workdir / "pg"
    pg = REPO / "scripts" / "pg.sh"

    def stop():
        subprocess.run([str(pg), "stop", str(pgdir)], timeout=CMD_TIMEOUT,
                       capture_output=True)

    _register_cleanup(stop)
    try:
        run([pg, "start", pgdir], timeout=120)
    except AssertionError as e:
        pytest.fail(f"PostgreSQL did not start: {e}\n{tail(pgdir / 'postgres.log')}")
    conninfo = run([pg, "conninfo", pgdir]).stdout.strip()
    yield conninfo
    stop()


# A database password no log may show: the test clusters trust local
# connections, so libpq is never asked for it, but it is in every conninfo.
DB_PASSWORD = "it-db-password-" + uuid.uuid4().hex[:10]


def write_pool_conf(path, listen, conninfo, workers=2, extra="", deadline="4500ms"):
    """Every pool logs at debug level, so that the check of its log
    (logs_keep_no_secrets) sees every line cxhook can write."""
    Path(path).write_text(f"""\
; generated by tests/integration/conftest.py
[pool]
listen = {listen}
socket_mode = 0666
workers = {workers}
deadline = {deadline}
max_body = 1MiB

[database]
conninfo = {conninfo} password={DB_PASSWORD}

[log]
level = debug
{extra}""")
    return Path(path)


@pytest.fixture(scope="session")
def pool_conf(workdir, postgres):
    rundir = workdir / "run"
    rundir.mkdir(mode=0o755, exist_ok=True)
    rundir.chmod(0o755)
    return write_pool_conf(workdir / "cxhook.conf", f"unix:{rundir}/cxhook.sock",
                           postgres)


@pytest.fixture(scope="session")
def database(cxhook_bin, pool_conf, postgres):
    """Migrated schema plus sql/demo/demo_data.sql. At the end, what the
    suite's bookings hold about people (names, e-mails, phones,
    confirmation ids) joins the values no log may show."""
    run([cxhook_bin, "migrate", "-c", pool_conf])
    run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", postgres,
         "-f", REPO / "sql" / "demo" / "demo_data.sql"])
    yield postgres
    r = run(["psql", "-X", "-Atq", "-d", postgres, "-c",
             "SELECT confirmation_id, customer_name, customer_email, customer_phone"
             "  FROM bookings"], check=False)
    for line in r.stdout.splitlines():
        _PERSONAL.update(v for v in line.split("|") if len(v) >= 6)


class Pool:
    def __init__(self, proc, sock, conf):
        self.proc = proc
        self.pid = proc.pid
        self.sock = Path(sock) if sock else None
        self.conf = conf
        self.log = proc.log

    def workers(self):
        return children_of(self.pid)

    def wait_workers(self, n, timeout=10):
        return wait_until(lambda: len(self.workers()) == n and self.workers(), timeout)


def start_pool(cxhook_bin, conf, listen, log, workers=2, timeout=15, env=None):
    """Start `cxhook serve -c conf`; listen is the [pool] listen value (a
    unix:PATH or a 127.0.0.1:PORT) and is waited for until it accepts."""
    listen = str(listen)
    if listen.startswith("unix:"):
        sock = listen[len("unix:"):]
        ready = lambda: unix_accepts(sock)  # noqa: E731
    else:
        host, _, port = listen.rpartition(":")
        sock = None
        ready = lambda: tcp_accepts(int(port), host.strip("[]"))  # noqa: E731
    argv = [cxhook_bin, "serve", "-c", conf]
    vg_logs = os.environ.get("CXHOOK_VALGRIND_LOGS")
    if vg_logs:
        # tests/run-integration.sh with VALGRIND=1: every pool process
        # (forked workers too) under memcheck, any report failing the run.
        argv = ["valgrind", "-q", "--error-limit=no", "--leak-check=no",
                f"--log-file={vg_logs}/vg.%p.log", *argv]
        timeout *= 4
    proc = Proc("cxhook", argv, log, env=env)
    ok = wait_until(lambda: not proc.alive() or ready(), timeout)
    if not proc.alive() or not ok:
        proc.stop()
        pytest.fail(f"cxhook serve did not accept on {listen} within {timeout}s "
                    f"(exit {proc.p.returncode})\n{tail(log)}")
    pool = Pool(proc, sock, conf)
    if not pool.wait_workers(workers, timeout=10):
        pytest.fail(f"cxhook serve: expected {workers} workers, have "
                    f"{sorted(pool.workers())}\n{tail(log)}")
    return pool


@pytest.fixture(scope="session")
def pool(cxhook_bin, workdir, pool_conf, database):
    p = start_pool(cxhook_bin, pool_conf, f"unix:{workdir}/run/cxhook.sock",
                   workdir / "pool.log")
    yield p
    p.proc.stop()


# --------------------------------------------------------------------------
# Web servers, generated from the shipped snippets, started on first use.

def _snippet(d, name, sock):
    """conf/NAME with the socket path substituted, written into d."""
    text = (REPO / "conf" / name).read_text()
    assert SNIPPET_SOCKET in text, f"conf/{name} does not mention {SNIPPET_SOCKET}"
    out = d / name
    out.write_text(text.replace(SNIPPET_SOCKET, str(sock)))
    return out


def lighttpd_config(workdir, port, sock, tag="lighttpd"):
    d = workdir / tag
    (d / "upload").mkdir(parents=True, exist_ok=True)
    (d / "upload").chmod(0o1777)
    if IS_ROOT:  # lighttpd opens its error log after dropping privileges
        shutil.chown(d, WEB_USER, WEB_USER)
    www = workdir / "www"
    www.mkdir(exist_ok=True)
    snippet = _snippet(d, "lighttpd-cxhook.conf", sock)
    user = (f'server.username = "{WEB_USER}"\nserver.groupname = "{WEB_USER}"\n'
            if IS_ROOT else "")
    conf = d / "lighttpd.conf"
    conf.write_text(f"""\
# generated by tests/integration/conftest.py
server.document-root = "{www}"
server.bind = "127.0.0.1"
server.port = {port}
server.errorlog = "{d}/error.log"
server.upload-dirs = ( "{d}/upload" )
server.max-worker = 0
{user}mimetype.assign = ( ".json" => "application/json; charset=utf-8" )
include "{snippet}"
""")
    return conf, ["lighttpd", "-D", "-f", conf], d / "error.log"


def apache_config(workdir, port, sock, tag="apache"):
    d = workdir / tag
    (d / "run").mkdir(parents=True, exist_ok=True)
    www = workdir / "www"
    www.mkdir(exist_ok=True)
    snippet = _snippet(d, "apache-cxhook.conf", sock)
    mods = "/usr/lib/apache2/modules"
    user = f"User {WEB_USER}\nGroup {WEB_USER}\n" if IS_ROOT else ""
    conf = d / "apache2.conf"
    conf.write_text(f"""\
# generated by tests/integration/conftest.py
ServerRoot "{d}"
DefaultRuntimeDir "{d}/run"
PidFile "{d}/run/apache2.pid"
ErrorLog "{d}/error.log"
LogLevel warn
ServerName localhost
Listen 127.0.0.1:{port}
LoadModule mpm_event_module {mods}/mod_mpm_event.so
LoadModule authz_core_module {mods}/mod_authz_core.so
LoadModule authz_host_module {mods}/mod_authz_host.so
LoadModule setenvif_module {mods}/mod_setenvif.so
LoadModule proxy_module {mods}/mod_proxy.so
LoadModule proxy_fcgi_module {mods}/mod_proxy_fcgi.so
{user}StartServers 1
ServerLimit 2
MinSpareThreads 4
MaxSpareThreads 32
ThreadsPerChild 16
MaxRequestWorkers 32
DocumentRoot "{www}"
<Directory />
    Require all denied
</Directory>
Include "{snippet}"
""")
    return conf, ["/usr/sbin/apache2", "-f", conf, "-DFOREGROUND"], d / "error.log"


def nginx_config(workdir, port, sock, tag="nginx"):
    d = workdir / tag
    d.mkdir(parents=True, exist_ok=True)
    www = workdir / "www"
    www.mkdir(exist_ok=True)
    snippet = _snippet(d, "nginx-cxhook.conf", sock)
    user = f"user {WEB_USER};\n" if IS_ROOT else ""
    conf = d / "nginx.conf"
    conf.write_text(f"""\
# generated by tests/integration/conftest.py
{user}worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 256; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    fastcgi_temp_path {d}/fastcgi;
    proxy_temp_path {d}/proxy;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    keepalive_timeout 0;
    server {{
        listen 127.0.0.1:{port};
        server_name localhost;
        root {www};
        include {snippet};
    }}
}}
""")
    argv = ["nginx", "-p", d, "-e", d / "error.log", "-c", conf, "-g", "daemon off;"]
    return conf, argv, d / "error.log"


CONFIGS = {"lighttpd": lighttpd_config, "apache": apache_config, "nginx": nginx_config}


class WebServer:
    def __init__(self, name, proc, port, errlog):
        self.name = name
        self.proc = proc
        self.port = port
        self.errlog = errlog
        self.base = f"http://127.0.0.1:{port}"
        self.url = self.base + "/webhook"


def start_web_server(name, workdir, sock, tag=None, timeout=15):
    port = free_port()
    tag = tag or name
    conf, argv, errlog = CONFIGS[name](workdir, port, sock, tag)
    proc = Proc(name, argv, workdir / f"{tag}.out")
    ok = wait_until(lambda: not proc.alive() or tcp_accepts(port), timeout)
    if not ok or not proc.alive():
        proc.stop()
        raise RuntimeError(f"{name} did not start on port {port}\n"
                           f"output:\n{tail(proc.log)}\nerror log:\n{tail(errlog)}")
    return WebServer(name, proc, port, errlog)


class WebServers:
    def __init__(self, workdir, pool):
        self.workdir = workdir
        self.pool = pool
        self.started = {}
        self.failed = {}

    def get(self, name):
        if name in self.failed:
            pytest.fail(self.failed[name])
        if name not in self.started:
            try:
                self.started[name] = start_web_server(name, self.workdir, self.pool.sock)
            except RuntimeError as e:
                self.failed[name] = str(e)
                pytest.fail(str(e))
        return self.started[name]

    def stop(self):
        for s in self.started.values():
            s.proc.stop()


@pytest.fixture(scope="session")
def web(workdir, pool):
    ws = WebServers(workdir, pool)
    yield ws
    ws.stop()


@pytest.fixture(params=SERVERS)
def server(request, web):
    """Each web server in turn (tests using it run once per server)."""
    return web.get(request.param)


@pytest.fixture
def lighttpd(web):
    return web.get("lighttpd")


# --------------------------------------------------------------------------
# On failure, show the end of the pool's log.

@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call" and rep.failed:
        pool_fixture = item.funcargs.get("pool") if hasattr(item, "funcargs") else None
        wd = item.funcargs.get("workdir") if hasattr(item, "funcargs") else None
        log = None
        if pool_fixture is not None:
            log = pool_fixture.log
        elif wd is not None:
            log = wd / "pool.log"
        if log is not None and Path(log).exists():
            rep.sections.append(("cxhook pool log (tail)", tail(log, 30)))


# --------------------------------------------------------------------------
# Added for test_weather, test_booking, test_outbox and test_send: a small
# FastCGI client (to talk to a pool with no web server in between), pools
# of their own (own configuration, own socket, beside the session pool)
# and a psql helper.

_FCGI_BEGIN_REQUEST, _FCGI_END_REQUEST, _FCGI_PARAMS, _FCGI_STDIN = 1, 3, 4, 5
_FCGI_STDOUT, _FCGI_STDERR = 6, 7


def _fcgi_record(rtype, content=b""):
    return (bytes([1, rtype, 0, 1, len(content) >> 8, len(content) & 0xFF, 0, 0])
            + content)


def _fcgi_stream(rtype, data):
    out = b"".join(_fcgi_record(rtype, data[i:i + 65535])
                   for i in range(0, len(data), 65535))
    return out + _fcgi_record(rtype)


def _fcgi_len(n):
    return bytes([n]) if n < 128 else (n | 0x80000000).to_bytes(4, "big")


def _fcgi_connect(target, timeout, source=None):
    target = str(target)
    if target.startswith("unix:"):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        addr = target[len("unix:"):]
    elif target.startswith("tcp:"):
        host, _, port = target[len("tcp:"):].rpartition(":")
        host = host.strip("[]")
        s = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET,
                          socket.SOCK_STREAM)
        addr = (host, int(port))
    else:
        raise ValueError(f"FastCGI target must be unix:PATH or tcp:HOST:PORT: {target!r}")
    s.settimeout(timeout)
    try:
        if source:  # a TCP source address of the test's choosing (127.0.0.2)
            s.bind((source, 0))
        s.connect(addr)
    except BaseException:
        s.close()
        raise
    return s


def fcgi_request(target, method="POST", path="/webhook", body=b"",
                 content_type="application/json", headers=None, timeout=TIMEOUT,
                 source=None):
    """One FastCGI request (responder role) to a pool at target (unix:PATH
    or tcp:HOST:PORT), as a web server would make it; never waits more
    than timeout in all. headers: HTTP request headers (become HTTP_*)."""
    if isinstance(body, str):
        body = body.encode("utf-8")
    body = body or b""
    params = {"GATEWAY_INTERFACE": "CGI/1.1", "SERVER_PROTOCOL": "HTTP/1.1",
              "REQUEST_METHOD": method, "REQUEST_URI": path, "SCRIPT_NAME": path,
              "SERVER_NAME": "localhost", "SERVER_PORT": "80",
              "REMOTE_ADDR": "127.0.0.1", "CONTENT_LENGTH": str(len(body))}
    if content_type:
        params["CONTENT_TYPE"] = content_type
    for k, v in (headers or {}).items():
        params["HTTP_" + k.upper().replace("-", "_")] = v
    pairs = b"".join(_fcgi_len(len(k.encode())) + _fcgi_len(len(v.encode()))
                     + k.encode() + v.encode() for k, v in params.items())
    msg = (_fcgi_record(_FCGI_BEGIN_REQUEST, bytes([0, 1, 0, 0, 0, 0, 0, 0]))
           + _fcgi_stream(_FCGI_PARAMS, pairs) + _fcgi_stream(_FCGI_STDIN, body))
    end = time.monotonic() + timeout
    s = _fcgi_connect(target, timeout, source)
    try:
        s.sendall(msg)
        buf, out = b"", b""
        while True:
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError(f"FastCGI {target}: no complete answer in {timeout}s")
            s.settimeout(left)
            chunk = s.recv(65536)
            if not chunk:
                raise ConnectionError(f"FastCGI {target}: closed before END_REQUEST")
            buf += chunk
            done = False
            while len(buf) >= 8:
                clen = buf[4] << 8 | buf[5]
                total = 8 + clen + buf[6]
                if len(buf) < total:
                    break
                rtype, content, buf = buf[1], buf[8:8 + clen], buf[total:]
                if rtype == _FCGI_STDOUT:
                    out += content
                elif rtype == _FCGI_END_REQUEST:
                    done = True
                    break
            if done:
                break
    finally:
        s.close()
    sep = out.find(b"\r\n\r\n")
    head, data = (out[:sep], out[sep + 4:]) if sep >= 0 else (out, b"")
    hdrs, status, reason = {}, 200, "OK"
    for line in head.decode("latin-1").split("\r\n"):
        name, _, value = line.partition(":")
        if not name:
            continue
        hdrs[name.strip().lower()] = value.strip()
    if "status" in hdrs:
        code, _, reason = hdrs["status"].partition(" ")
        status = int(code)
    return Response(status, reason, hdrs, data)


def fcgi_post_json(target, obj, timeout=TIMEOUT, headers=None):
    body = obj if isinstance(obj, (bytes, str)) else json.dumps(obj)
    return fcgi_request(target, "POST", "/webhook", body, headers=headers,
                        timeout=timeout)


def psql_value(conninfo, sql, timeout=CMD_TIMEOUT):
    """The one value (text) one SQL statement returns."""
    return run(["psql", "-X", "-Atq", "-d", conninfo, "-c", sql],
               timeout=timeout).stdout.strip()


@contextlib.contextmanager
def psql_holding(conninfo, lock_sql, held_sql, seconds, app, release="terminate",
                 wait_extra=0):
    """Runs `BEGIN; lock_sql; SELECT pg_sleep(seconds); COMMIT` in a psql of
    its own (application_name app), and enters once held_sql says 1. On the
    way out the holder is terminated (release="terminate"), or waited for
    until its sleep ends, plus wait_extra seconds (release="wait": the
    server may have been frozen, so nothing is asked of it)."""
    env = dict(os.environ, PGAPPNAME=app)
    p = subprocess.Popen(["psql", "-X", "-q", "-d", conninfo, "-c",
                          f"BEGIN; {lock_sql}; SELECT pg_sleep({seconds}); COMMIT;"],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        held = wait_until(lambda: psql_value(conninfo, held_sql, timeout=10) == "1", 10)
        assert held, f"could not take the lock: {lock_sql}"
        yield
    finally:
        wait = 10
        if release == "terminate":
            with contextlib.suppress(Exception):
                psql_value(conninfo, "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                                     f"WHERE application_name = '{app}'", timeout=10)
        else:
            wait += seconds + wait_extra
        try:
            p.wait(timeout=wait)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(timeout=5)


def psql_rows(conninfo, sql):
    """Rows of one SQL statement, each a tuple of text ('' for NULL)."""
    r = run(["psql", "-X", "-Atq", "-v", "ON_ERROR_STOP=1", "-F", "\x1f",
             "-d", conninfo, "-c", sql])
    return [tuple(ln.split("\x1f")) for ln in r.stdout.splitlines() if ln != ""]


def start_own_pool(cxhook_bin, workdir, conninfo, name, workers=4,
                   deadline="4500ms", extra="", listen=None):
    """A pool of its own beside the session pool: workdir/NAME.conf, socket
    workdir/run-NAME/cxhook.sock (or listen), log workdir/pool-NAME.log.
    extra: more INI sections ([weather], [booking], ...). Returns a Pool
    with .target (for fcgi_request and `cxhook send`) and .listen."""
    rundir = Path(workdir) / f"run-{name}"
    rundir.mkdir(mode=0o755, exist_ok=True)
    rundir.chmod(0o755)
    if listen is None:
        listen = f"unix:{rundir}/cxhook.sock"
    conf = write_pool_conf(Path(workdir) / f"{name}.conf", listen, conninfo,
                           workers=workers, extra=extra, deadline=deadline)
    # The booking courier is one more child of the master.
    children = workers + (1 if re.search(r"(?m)^\s*forward_url\s*=", extra) else 0)
    p = start_pool(cxhook_bin, conf, listen, Path(workdir) / f"pool-{name}.log",
                   workers=children)
    p.listen = listen
    p.target = listen if listen.startswith("unix:") else f"tcp:{listen}"
    p.n_workers = workers
    return p


def wait_for_busy_worker(pool, tag, timeout):
    """The pid of a worker of pool that /status shows busy with tag."""
    def busy():
        r = fcgi_request(pool.target, "GET", "/status", timeout=2)
        for w in r.json().get("workers", []):
            if w.get("state") == "busy" and w.get("tag") == tag:
                return w["pid"]
        return None
    return wait_until(busy, timeout)


@pytest.fixture
def make_pool(cxhook_bin, workdir, database):
    """Starts pools of their own for one test (start_own_pool arguments
    but the first three); all are stopped when the test ends."""
    started = []

    def make(name, **kw):
        p = start_own_pool(cxhook_bin, workdir, database, name, **kw)
        started.append(p)
        return p

    yield make
    for p in started:
        p.proc.stop()
