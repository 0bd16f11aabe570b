#!/usr/bin/python3
"""`make bench` and `make bench-large`: cxhook beside a bare libfcgi responder
and a FastAPI webhook, side by side in one run, on one data set.

For every cell (web server x workers x connections) and every pass, each target
is started fresh behind the web server, warmed up, then measured for DURATION
with wrk: requests/s, p50 and p99, the peak PSS of the target plus the web server,
and CPU time per request split into the target's processes, the web server's
and PostgreSQL's (utime + stime from /proc, before and after the window). Targets
alternate within a cell, so drift hits them alike; the ratios that matter are
taken within one pass. Absolute figures drift from machine to machine, ratios
measured this way less so.

Targets:
  cxhook    build/cxhook serve, the balance request through the whole pipeline
  cxhook-idtoken
            the same with [auth] checking a Google-style ID token on every
            request (RS256, keys from a JWKS served on 127.0.0.1)
  cxhook-pgbouncer
            the same through PgBouncer in transaction mode ([database]
            statements = unnamed); not in the default TARGETS
  bare      bench/yardstick/fcgi_balance -m db: libfcgi + json-c + libpq,
            nothing else (Debian's libfcgi, its defaults)
  fastapi   bench/peers/fastapi_app.py under uvicorn (Debian's packages),
            behind the same web server as an HTTP upstream
and, once per front, the FastCGI ceiling: cxhook answering a cached weather
request beside `fcgi_balance -m fixed`, which returns a constant body.

Everything runs on 127.0.0.1 and unix sockets in a temporary directory, and is
stopped and removed at the end, whatever happens.

Environment: DURATION=10 (seconds per window), PASSES=2, ACCOUNTS=100000,
TRANSACTIONS=1000000, FRONTS="lighttpd nginx", WORKERS="2 4", CONNS="16 64",
TARGETS="cxhook cxhook-idtoken bare fastapi", REQUESTS="balance", CEILING=1 (the weather /
fixed cells), DATASETS="ACCOUNTS:TRANSACTIONS" (several sizes, each in a
PostgreSQL of its own, measured side by side within each cell; the first is
the reference for the "large / small" lines).

`make bench-large` sets DATASETS="100000:1000000 10000000:20000000",
REQUESTS="balance transactions", CONNS="16 64 256", WORKERS=2, TARGETS="cxhook
bare" and CEILING=0: whether the cost per request stays flat as the data grows.
"""

import atexit
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BENCH = REPO / "bench"
CXHOOK = REPO / "build" / "cxhook"
YARDSTICK = REPO / "build" / "bench" / "fcgi_balance"
TICK = os.sysconf("SC_CLK_TCK")
WEB_USER = "www-data"
IS_ROOT = os.geteuid() == 0


def env_list(name, default):
    return os.environ.get(name, default).split()


DURATION = int(os.environ.get("DURATION", "10"))
PASSES = int(os.environ.get("PASSES", "2"))
ACCOUNTS = int(os.environ.get("ACCOUNTS", "100000"))
TRANSACTIONS = int(os.environ.get("TRANSACTIONS", "1000000"))
FRONTS = env_list("FRONTS", "lighttpd nginx")
WORKERS = [int(w) for w in env_list("WORKERS", "2 4")]
CONNS = [int(c) for c in env_list("CONNS", "16 64")]
TARGETS = env_list("TARGETS", "cxhook cxhook-idtoken bare fastapi")
REQUESTS = env_list("REQUESTS", "balance")
DATASETS = [tuple(int(n) for n in d.split(":"))
            for d in env_list("DATASETS", f"{ACCOUNTS}:{TRANSACTIONS}")]
CEILING = os.environ.get("CEILING", "1") == "1"
# Both pools' listen backlog: above the most connections a cell opens, so
# that a web server never finds the socket's queue full (a unix socket
# then refuses at once, and the cell would measure error pages).
BACKLOG = "1024"

EXPECT = {
    "balance": b"2,604.18",           # cxhook's words
    "balance-bare": b"2604.18",       # the peers print the number as it is
    "transactions": b"transactions",
    "weather": b"London",
    "fixed": b"2604.18",
}


def say(msg):
    print(f"bench: {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Processes, stopped whatever happens.

_procs = []


def spawn(argv, log, env=None):
    p = subprocess.Popen([str(a) for a in argv], stdin=subprocess.DEVNULL,
                         stdout=open(log, "ab"), stderr=subprocess.STDOUT,
                         env=env, start_new_session=True)
    _procs.append(p)
    return p


def stop(p, timeout=10):
    if p.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(p.pid, signal.SIGTERM)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            pass
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(p.pid, signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        p.wait(5)


@atexit.register
def _stop_all():
    while _procs:
        stop(_procs.pop())


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def size(n):
    for unit, div in (("M", 1000000), ("k", 1000)):
        if n >= div and n % div == 0:
            return f"{n // div}{unit}"
    return str(n)


def run(argv, **kw):
    return subprocess.run([str(a) for a in argv], check=True, capture_output=True,
                          text=True, **kw)


# --------------------------------------------------------------------------
# /proc: CPU time and PSS by process kind.

def snapshot():
    """pid -> (comm, session id, utime + stime in ticks, parent pid)."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            st = open(f"/proc/{d}/stat").read()
        except OSError:
            continue
        comm = st[st.index("(") + 1:st.rindex(")")]
        f = st[st.rindex(")") + 2:].split()
        out[int(d)] = (comm, int(f[3]), int(f[11]) + int(f[12]), int(f[1]))
    return out


def cpu_split(snap, target_sid, web_sid, postmaster):
    """Ticks of CPU: (target, web server, the data set's PostgreSQL: its
    postmaster and the processes it forked, not another data set's)."""
    target = web = pg = 0
    for pid, (comm, sid, t, ppid) in snap.items():
        if pid == postmaster or ppid == postmaster:
            pg += t
        elif sid == target_sid:
            target += t
        elif sid == web_sid:
            web += t
    return target, web, pg


def pss_kib(sids):
    total = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            st = open(f"/proc/{d}/stat").read()
            if int(st[st.rindex(")") + 2:].split()[3]) not in sids:
                continue
            m = re.search(r"^Pss:\s+(\d+)", open(f"/proc/{d}/smaps_rollup").read(), re.M)
            total += int(m.group(1)) if m else 0
        except (OSError, ValueError, IndexError):
            continue
    return total


class PeakPss(threading.Thread):
    """Samples the PSS of the given sessions every 100 ms; .peak in KiB."""

    def __init__(self, sids):
        super().__init__(daemon=True)
        self.sids, self.peak, self.done = set(sids), 0, threading.Event()

    def run(self):
        while not self.done.wait(0.1):
            self.peak = max(self.peak, pss_kib(self.sids))


# --------------------------------------------------------------------------
# The database.

class Database:
    def __init__(self, tmp, accounts, transactions):
        self.accounts, self.transactions = accounts, transactions
        self._bouncer = None
        self.name = f"{size(accounts)} accounts, {size(transactions)} transactions"
        self.dir = tmp / f"pg-{accounts}-{transactions}"
        run([REPO / "scripts" / "pg.sh", "start", self.dir], timeout=300)
        atexit.register(lambda: subprocess.run([str(REPO / "scripts" / "pg.sh"), "stop",
                                                str(self.dir)], capture_output=True))
        self.conninfo = run([REPO / "scripts" / "pg.sh", "conninfo", self.dir]).stdout.strip()
        self.postmaster = int((self.dir / "data" / "postmaster.pid").read_text().split()[0])
        self.superuser = self.conninfo.replace("user=cxhook", "user=postgres")

    def bouncer(self):
        """The conninfo of a PgBouncer in transaction mode in front of this
        database (started on first use, 8 server connections)."""
        if self._bouncer:
            return self._bouncer
        d = self.dir / "pgbouncer"
        d.mkdir(exist_ok=True)
        d.chmod(0o777)
        port = free_port()
        (d / "users.txt").write_text('"cxhook" ""\n')
        ini = d / "pgbouncer.ini"
        ini.write_text(f"""[databases]
cxhook = host={self.dir} port={self.conninfo.split("port=")[1].split()[0]} dbname=cxhook
[pgbouncer]
listen_addr =
listen_port = {port}
unix_socket_dir = {d}
auth_type = trust
auth_file = {d}/users.txt
pool_mode = transaction
default_pool_size = 8
max_client_conn = 1000
ignore_startup_parameters = extra_float_digits
logfile = {d}/pgbouncer.log
pidfile = {d}/pgbouncer.pid
""")
        for f in d.iterdir():
            f.chmod(0o666)
        spawn(["/usr/sbin/pgbouncer"] + (["-u", "postgres"] if IS_ROOT else []) + [ini],
              d / "out.log")
        for _ in range(100):
            if (d / f".s.PGSQL.{port}").exists():
                break
            time.sleep(0.05)
        self._bouncer = f"host={d} port={port} dbname=cxhook user=cxhook"
        return self._bouncer

    def load(self, conf):
        say(f"loading {self.name}")
        t0 = time.monotonic()
        run([CXHOOK, "migrate", "-c", conf], timeout=300)
        # As the superuser: the rows are valid by construction, so the
        # foreign-key triggers are skipped (session_replication_role).
        run(["psql", "-X", "-q", "-d", self.superuser, "-v", f"accounts={self.accounts}",
             "-v", f"transactions={self.transactions}", "-c", "SET session_replication_role = replica",
             "-f", BENCH / "data.sql"], timeout=7200)
        say(f"loaded in {time.monotonic() - t0:.0f}s")


# --------------------------------------------------------------------------
# Targets: each serves /webhook behind a web server and starts in a session
# of its own, so that its processes can be told from the rest.

def write_pool_conf(path, sock, conninfo, workers, weather_url=None, key_file=None,
                    jwks_url=None, unnamed=False):
    database = "statements = unnamed\n" if unnamed else ""
    extra = ""
    if weather_url:
        extra += f"\n[weather]\nurl = {weather_url}\napi_key_file = {key_file}\ncache_ttl = 1h\n"
    if jwks_url:
        extra += (f"\n[auth]\nid_token_audience = {ID_AUDIENCE}\nid_token_email = {ID_EMAIL}\n"
                  f"id_token_jwks_url = {jwks_url}\n")
    path.write_text(f"""[pool]
listen = unix:{sock}
socket_mode = 0666
workers = {workers}
backlog = {BACKLOG}

[database]
conninfo = {conninfo}
{database}
[log]
level = warn
{extra}""")
    return path


class Target:
    """kind: cxhook, bare, fastapi, fixed (bare -m fixed), cxhook-weather."""

    def __init__(self, kind, tmp, db, workers, weather=None, idtoken=None):
        self.kind = kind
        self.dir = Path(tempfile.mkdtemp(prefix=f"{kind}-", dir=tmp))
        self.dir.chmod(0o755)
        self.sock = self.dir / "fcgi.sock"
        self.port = None
        log = self.dir / "target.log"
        if kind.startswith("cxhook"):
            bounced = kind == "cxhook-pgbouncer"
            conf = write_pool_conf(self.dir / "cxhook.conf", self.sock,
                                   db.bouncer() if bounced else db.conninfo, workers,
                                   *(weather or (None, None)),
                                   jwks_url=idtoken.url if kind == "cxhook-idtoken" else None,
                                   unnamed=bounced)
            self.proc = spawn([CXHOOK, "serve", "-c", conf], log)
        elif kind in ("bare", "fixed"):
            mode = "db" if kind == "bare" else "fixed"
            self.proc = spawn([YARDSTICK, "-s", self.sock, "-n", workers, "-m", mode,
                               "-c", db.conninfo, "-b", BACKLOG], log)
        elif kind == "fastapi":
            self.port = free_port()
            env = dict(os.environ, BENCH_PG_DSN=db.conninfo, PYTHONPATH=str(BENCH / "peers"))
            self.proc = spawn(["/usr/bin/python3", "-m", "uvicorn", "fastapi_app:app",
                               "--host", "127.0.0.1", "--port", self.port, "--workers", workers,
                               "--loop", "uvloop", "--http", "httptools", "--log-level",
                               "warning", "--no-access-log"], log, env=env)
        else:
            raise ValueError(kind)

    def stop(self):
        stop(self.proc)


def lighttpd_conf(d, port, target):
    d.mkdir(parents=True, exist_ok=True)
    if IS_ROOT:
        shutil.chown(d, WEB_USER, WEB_USER)
    if target.port:
        mount = f"""server.modules += ( "mod_proxy" )
proxy.server = ( "/webhook" => (( "host" => "127.0.0.1", "port" => {target.port} )) )
"""
    else:
        snippet = (REPO / "conf" / "lighttpd-cxhook.conf").read_text()
        (d / "cxhook.conf").write_text(snippet.replace("/run/cxhook/cxhook.sock", str(target.sock)))
        mount = f'include "{d}/cxhook.conf"\n'
    user = f'server.username = "{WEB_USER}"\nserver.groupname = "{WEB_USER}"\n' if IS_ROOT else ""
    conf = d / "lighttpd.conf"
    conf.write_text(f"""server.document-root = "{d}"
server.bind = "127.0.0.1"
server.port = {port}
server.errorlog = "{d}/error.log"
server.max-worker = 0
{user}{mount}""")
    return ["lighttpd", "-D", "-f", conf]


def nginx_conf(d, port, target):
    d.mkdir(parents=True, exist_ok=True)
    if target.port:
        mount = f"location = /webhook {{ proxy_pass http://127.0.0.1:{target.port}; }}\n"
    else:
        snippet = (REPO / "conf" / "nginx-cxhook.conf").read_text()
        (d / "cxhook.conf").write_text(snippet.replace("/run/cxhook/cxhook.sock", str(target.sock)))
        mount = f"include {d}/cxhook.conf;\n"
    user = f"user {WEB_USER};\n" if IS_ROOT else ""
    conf = d / "nginx.conf"
    conf.write_text(f"""{user}worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    fastcgi_temp_path {d}/fastcgi;
    proxy_temp_path {d}/proxy;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    server {{
        listen 127.0.0.1:{port};
        root {d};
        {mount}    }}
}}
""")
    return ["nginx", "-p", d, "-e", d / "error.log", "-c", conf, "-g", "daemon off;"]


FRONT = {"lighttpd": lighttpd_conf, "nginx": nginx_conf}


# --------------------------------------------------------------------------
# One measurement.

def post(url, body, timeout=5, auth=None):
    import urllib.request
    headers = {"Content-Type": "application/json"}
    if auth:
        headers["Authorization"] = auth
    req = urllib.request.Request(url, body, headers)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        return r.status, r.read()


def wait_ready(url, body, expect, tries=200, auth=None):
    last = None
    for _ in range(tries):
        try:
            status, data = post(url, body, auth=auth)
            if status == 200 and expect in data:
                return
            last = (status, data[:200])
        except Exception as e:  # noqa: BLE001 -- anything means "not yet"
            last = e
        time.sleep(0.05)
    raise RuntimeError(f"{url} never answered as expected: {last!r}")


def wrk(url, body_file, conns, seconds, auth=None):
    env = dict(os.environ, BENCH_BODY=str(body_file), BENCH_AUTH=auth or "")
    out = subprocess.run(["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "--timeout", "10s",
                          "-s", BENCH / "post.lua", url], env=env, capture_output=True,
                         text=True, check=True).stdout
    m = re.search(r"^WRKJSON (\{.*\})$", out, re.M)
    if not m:
        raise RuntimeError(f"wrk said:\n{out}")
    return json.loads(m.group(1))


def measure(tmp, db, front, kind, workers, conns, request, weather=None, idtoken=None):
    target = Target(kind, tmp, db, workers, weather, idtoken)
    port = free_port()
    web = spawn(FRONT[front](target.dir / front, port, target), target.dir / f"{front}.out")
    url = f"http://127.0.0.1:{port}/webhook"
    body_file = BENCH / f"request-{request}.json"
    body = body_file.read_bytes()
    expect = EXPECT[request if kind.startswith("cxhook") else
                    ("fixed" if kind == "fixed" else "balance-bare")]
    auth = f"Bearer {idtoken.token()}" if kind == "cxhook-idtoken" else None
    try:
        wait_ready(url, body, expect, auth=auth)
        wrk(url, body_file, conns, 2, auth)  # warm-up: connections, caches, plans
        sids = (os.getsid(target.proc.pid), os.getsid(web.pid))
        pss = PeakPss(sids)
        pss.start()
        before = cpu_split(snapshot(), *sids, db.postmaster)
        w = wrk(url, body_file, conns, DURATION, auth)
        after = cpu_split(snapshot(), *sids, db.postmaster)
        pss.done.set()
        pss.join()
        errors = sum(w[k] for k in w if k.startswith("err_"))
        n = max(w["requests"], 1)
        us = [(b - a) * 1e6 / TICK / n for a, b in zip(before, after)]
        return {"rps": w["requests"] / (w["duration_us"] / 1e6), "p50": w["p50_us"] / 1000,
                "p99": w["p99_us"] / 1000, "errors": errors, "pss_mib": pss.peak / 1024,
                "us_pool": us[0], "us_web": us[1], "us_pg": us[2]}
    finally:
        stop(web)
        target.stop()


# --------------------------------------------------------------------------
# A weather provider for the ceiling cells: one answer, then the cache.

def weather_stub(tmp):
    import http.server

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = json.dumps({"location": {"name": "London"},
                               "current": {"temp_c": 14, "condition": {"text": "Sunny"}}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    key = tmp / "weather.key"
    key.write_text("bench-key\n")
    return f"http://127.0.0.1:{srv.server_address[1]}/v1/current.json", key


# --------------------------------------------------------------------------
# ID tokens for the cxhook-idtoken target: an RSA key made here, its JWKS
# served on 127.0.0.1, and tokens as Dialogflow's service agent would carry.

ID_AUDIENCE = "https://bench.example/webhook"
ID_EMAIL = "service-1@gcp-sa-dialogflow.iam.gserviceaccount.com"


class IdTokens:
    def __init__(self):
        import base64
        import http.server
        from cryptography.hazmat.primitives.asymmetric import rsa
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pub = self.key.public_key().public_numbers()

        def b64(n):
            raw = n.to_bytes((n.bit_length() + 7) // 8, "big")
            return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

        doc = json.dumps({"keys": [{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": "bench",
                                    "n": b64(pub.n), "e": b64(pub.e)}]}).encode()

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Cache-Control", "public, max-age=21600")
                self.send_header("Content-Length", str(len(doc)))
                self.end_headers()
                self.wfile.write(doc)

            def log_message(self, *a):
                pass

        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{srv.server_address[1]}/oauth2/v3/certs"

    def token(self):
        import jwt
        now = int(time.time())
        return jwt.encode({"iss": "https://accounts.google.com", "aud": ID_AUDIENCE,
                           "email": ID_EMAIL, "email_verified": True, "sub": "1", "azp": "1",
                           "iat": now, "exp": now + 3600}, self.key, algorithm="RS256",
                          headers={"kid": "bench"})


# --------------------------------------------------------------------------

def fmt_row(name, r):
    return (f"  {name:<16}{r['rps']:>10.0f}{r['p50']:>8.2f}{r['p99']:>8.2f}{r['pss_mib']:>9.1f}"
            f"{r['us_pool']:>9.1f}{r['us_web']:>8.1f}{r['us_pg']:>8.1f}"
            f"{'  ' + str(r['errors']) + ' errors' if r['errors'] else ''}")


HEADER = (f"  {'target':<16}{'req/s':>10}{'p50 ms':>8}{'p99 ms':>8}{'PSS MiB':>9}"
          f"{'pool µs':>9}{'web µs':>8}{'pg µs':>8}")


def main():
    for tool in ("wrk", "lighttpd", "nginx", "psql"):
        if shutil.which(tool) is None:
            sys.exit(f"bench: {tool} is not installed (scripts/deps.sh bench)")
    tmp = Path(tempfile.mkdtemp(prefix="cxhook-bench-", dir="/tmp"))
    tmp.chmod(0o755)
    atexit.register(lambda: shutil.rmtree(tmp, ignore_errors=True))
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    dbs = []
    for accounts, transactions in DATASETS:
        db = Database(tmp, accounts, transactions)
        db.load(write_pool_conf(tmp / "migrate.conf", tmp / "none.sock", db.conninfo, 1))
        dbs.append(db)
    db = dbs[0]  # the ceiling cells read no data
    weather = weather_stub(tmp) if CEILING else None
    idtoken = IdTokens() if "cxhook-idtoken" in TARGETS else None

    say(f"{PASSES} passes x {len(FRONTS)} fronts x {len(WORKERS)} worker counts x "
        f"{len(CONNS)} connection counts x {len(dbs)} data sets x {TARGETS}, {DURATION}s each")
    results = {}
    for p in range(1, PASSES + 1):
        for request in REQUESTS:
            for front in FRONTS:
                for workers in WORKERS:
                    for conns in CONNS:
                        cell = (request, front, workers, conns)
                        for d in dbs:
                            print(f"\npass {p}: {request}, {front}, {workers} workers, "
                                  f"{conns} connections"
                                  f"{', ' + d.name if len(dbs) > 1 else ''}", flush=True)
                            print(HEADER, flush=True)
                            for kind in TARGETS:
                                if request != "balance" and not kind.startswith("cxhook"):
                                    continue  # the peers answer the balance only
                                r = measure(tmp, d, front, kind, workers, conns, request,
                                            idtoken=idtoken)
                                results[(p, cell, d.name, kind)] = r
                                print(fmt_row(kind, r), flush=True)
                            ratios(results, p, cell, d.name)
                        growth(results, p, cell, dbs)
        if CEILING:
            for front in FRONTS:
                workers, conns = WORKERS[-1], CONNS[0]
                print(f"\npass {p}: the FastCGI ceiling, {front}, {workers} workers, "
                      f"{conns} connections", flush=True)
                print(HEADER, flush=True)
                c = measure(tmp, db, front, "cxhook-weather", workers, conns, "weather", weather)
                f = measure(tmp, db, front, "fixed", workers, conns, "balance")
                print(fmt_row("cxhook weather", c), flush=True)
                print(fmt_row("fixed body", f), flush=True)
                print(f"  cached weather / fixed body: {c['rps'] / f['rps']:.2f}x req/s", flush=True)


def ratios(results, p, cell, data):
    me = results.get((p, cell, data, "cxhook"))
    if not me:
        return
    for other in ("bare", "fastapi"):
        o = results.get((p, cell, data, other))
        if not o:
            continue
        print(f"  cxhook / {other}: {me['rps'] / o['rps']:.2f}x req/s, "
              f"p99 {me['p99'] / o['p99']:.2f}x, pool CPU {me['us_pool'] / o['us_pool']:.2f}x, "
              f"PSS {me['pss_mib'] - o['pss_mib']:+.1f} MiB", flush=True)
    bounced = results.get((p, cell, data, "cxhook-pgbouncer"))
    if bounced:
        print(f"  through PgBouncer / direct: {bounced['rps'] / me['rps']:.2f}x req/s, "
              f"p99 {bounced['p99'] / me['p99']:.2f}x, pool CPU "
              f"{bounced['us_pool'] - me['us_pool']:+.1f} µs, PostgreSQL "
              f"{bounced['us_pg'] - me['us_pg']:+.1f} µs per request", flush=True)
    idt = results.get((p, cell, data, "cxhook-idtoken"))
    if idt:
        print(f"  ID tokens on / off: {idt['rps'] / me['rps']:.2f}x req/s, "
              f"pool CPU {idt['us_pool'] - me['us_pool']:+.1f} µs per request", flush=True)


def growth(results, p, cell, dbs):
    """Each larger data set against the first: the cost per request, same pass."""
    for kind in TARGETS:
        small = results.get((p, cell, dbs[0].name, kind))
        for d in dbs[1:]:
            big = results.get((p, cell, d.name, kind))
            if not small or not big:
                continue
            total = [r["us_pool"] + r["us_web"] + r["us_pg"] for r in (small, big)]
            print(f"  {kind}, {d.name} / {dbs[0].name}: pool CPU "
                  f"{big['us_pool'] / small['us_pool']:.2f}x, PostgreSQL "
                  f"{big['us_pg'] / small['us_pg']:.2f}x, all CPU {total[1] / total[0]:.2f}x, "
                  f"req/s {big['rps'] / small['rps']:.2f}x, p99 {big['p99'] / small['p99']:.2f}x",
                  flush=True)


if __name__ == "__main__":
    main()
