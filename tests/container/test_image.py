"""The container image, built and run with podman and no registry.

The base images are made here from scripts/rootfs.sh's Debian 12 minbase
tarball (CXHOOK_ROOTFS): `localhost/cxhook-base:bookworm` as it is, and
`:bookworm-slim` with what debian:bookworm-slim leaves out (documentation,
manual pages, translations, and dpkg told not to install them), both kept
across runs. The Dockerfile is built with them as --build-arg, then:

- a private PostgreSQL (scripts/pg.sh) on 127.0.0.1 that wants a password
  from the role cxhook over TCP, the password given to the container only
  as a libpq password file in the secrets mounted read-only at /run/secrets;
- `cxhook migrate` as a one-shot container, then the pool's container with
  the configuration mounted (listen = 0.0.0.0:PORT, only 127.0.0.1 allowed),
  its bearer token taken from /run/secrets/bearer-token through the image's
  CREDENTIALS_DIRECTORY;
- its health check (cxhook health, over FastCGI inside the container)
  until podman calls it healthy; its processes' user; a webhook answered
  from the host with `cxhook send tcp:...` and through a host nginx running
  deploy/nginx.conf; its log (stderr, the runtime's log) holding the
  pool's lines and no secret; then `podman stop` (SIGTERM): exit 0, well
  within the time allowed.

deploy/compose.yaml is checked offline: `docker-compose config` validates
it, and its services, ports, files and secrets agree with the Dockerfile,
deploy/cxhook.conf and conf/nginx-cxhook.conf.

Every container and the built image are removed on any exit; the base
images stay (their label says which tarball they came from). podman runs
rootful here with runc and explicit ulimits (PODMAN below says why).
"""

import contextlib
import fcntl
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests" / "integration"))
from conftest import (TEXT_BALANCE_10042, Proc, check_webhook_response,  # noqa: E402
                      free_port, http_request, run, tail, tcp_accepts, texts_of,
                      wait_until, webhook_request)

ROOTFS = Path(os.environ.get("CXHOOK_ROOTFS",
                             REPO / "build" / "rootfs" / "bookworm-minbase.tar"))
BASE = "localhost/cxhook-base"
UID = 10001
RUN_ID = uuid.uuid4().hex[:8]
IMAGE = f"localhost/cxhook-test:{RUN_ID}"
# crun fails on this kind of host (cgroups v1/hybrid), and podman's default
# ulimits are above the hard limits some sandboxes set (setrlimit EPERM):
# runc and limits every host allows, said on every call rather than in a
# containers.conf the machine may not have.
PODMAN = ["podman", "--runtime", "runc"]
ULIMITS = ["--ulimit", "nofile=1024:20000", "--ulimit", "nproc=1024:1024"]
STOP_TIMEOUT = 20
SLIM_EXCLUDES = """\
# As in debian:bookworm-slim: no documentation, manual pages or translations.
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
"""
FIGURES = {}

if os.geteuid() != 0 or not shutil.which("podman"):
    pytest.skip("the container test runs podman as root", allow_module_level=True)


def _sigterm(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")  # the fixtures then clean up


signal.signal(signal.SIGTERM, _sigterm)


def podman(*args, timeout=120, check=True):
    return run([*PODMAN, *args], timeout=timeout, check=check)


# --------------------------------------------------------------------------
# Base images, from the minbase tarball, made once.

def _slim_tar(src):
    """src's tree as debian:bookworm-slim trims it, as a tar in memory."""
    out = io.BytesIO()
    dropped = set()
    with tarfile.open(src) as tin, tarfile.open(fileobj=out, mode="w") as tout:
        for m in tin:
            name = m.name[2:] if m.name.startswith("./") else m.name
            if (not m.isdir() and re.match(
                    r"usr/share/(doc|man|locale|info|groff|linda|lintian/overrides)/", name)
                    and not re.match(r"usr/share/doc/[^/]+/copyright$", name)) \
                    or (m.islnk() and m.linkname in dropped):
                dropped.add(m.name)
                continue
            tout.addfile(m, tin.extractfile(m) if m.isreg() else None)
        data = SLIM_EXCLUDES.encode()
        info = tarfile.TarInfo("./etc/dpkg/dpkg.cfg.d/slim")
        info.size, info.mode, info.mtime = len(data), 0o644, int(time.time())
        tout.addfile(info, io.BytesIO(data))
    return out.getvalue()


def _base_image(tag, key, tar):
    """BASE:tag imported from tar (a path, or a function returning the
    bytes of one), unless it is there already, from the same tarball."""
    ref = f"{BASE}:{tag}"
    r = podman("image", "inspect", "--format",
               '{{.Id}} {{index .Config.Labels "cxhook.rootfs"}}', ref, check=False)
    old_id, _, old_key = r.stdout.strip().partition(" ")
    if r.returncode == 0 and old_key == key:
        return ref
    src, data = (str(tar), None) if isinstance(tar, Path) else ("-", tar())
    subprocess.run([*PODMAN, "import", "--change", f"LABEL cxhook.rootfs={key}",
                    src, ref], input=data, capture_output=True, check=True,
                   timeout=300)
    if r.returncode == 0:  # made from an older tarball: untagged now
        podman("rmi", old_id, check=False)
    return ref


@pytest.fixture(scope="module")
def bases():
    if not ROOTFS.is_file():
        pytest.fail(f"{ROOTFS} is missing: run scripts/rootfs.sh (make test-container does)")
    st = ROOTFS.stat()
    key = f"{st.st_size}-{int(st.st_mtime)}"
    t0 = time.monotonic()
    # Two runs at once make the base images once.
    with open(ROOTFS.parent / "podman-base.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        full = _base_image("bookworm", key, ROOTFS)
        slim = _base_image("bookworm-slim", key, lambda: _slim_tar(ROOTFS))
    FIGURES["base images"] = time.monotonic() - t0
    return full, slim


# --------------------------------------------------------------------------
# The image.

@pytest.fixture(scope="module")
def workdir():
    d = Path(tempfile.mkdtemp(prefix="cxhook-ct-", dir="/tmp"))
    d.chmod(0o755)  # PostgreSQL's user reaches its directory in here
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def image(bases, workdir):
    full, slim = bases
    t0 = time.monotonic()
    log = workdir / "build.log"
    # --format docker: an OCI image has no HEALTHCHECK.  --layers=false:
    # no intermediate image is left behind to clean up.  --network=host:
    # apt in the build needs nothing of podman's networks.
    before = _build_containers()
    with open(log, "wb") as f:
        p = subprocess.Popen([*PODMAN, "build", "--format", "docker", "--layers=false",
                              "--network=host", *ULIMITS,
                              "--build-arg", f"BUILD_IMAGE={full}",
                              "--build-arg", f"RUNTIME_IMAGE={slim}",
                              "-t", IMAGE, str(REPO)],
                             stdout=f, stderr=subprocess.STDOUT, start_new_session=True)
    try:
        assert p.wait(timeout=600) == 0, f"podman build failed:\n{tail(log, 40)}"
        FIGURES["build"] = time.monotonic() - t0
        yield IMAGE
    finally:
        if p.poll() is None:  # interrupted: the build must not tag it later
            with contextlib.suppress(ProcessLookupError):
                os.killpg(p.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                p.wait(timeout=30)
            # ... and podman 4.3 leaves the stage it was building behind.
            for c in _build_containers() - before:
                podman("rm", "--force", c, check=False)
        podman("rmi", "--force", IMAGE, check=False)


def _build_containers():
    """The ids of the containers podman build is working in on our base
    images (podman ps --external lists them beside its own)."""
    r = podman("ps", "--all", "--external", "--format", "{{.ID}} {{.Image}}", check=False)
    return {c for c, _, img in (ln.partition(" ") for ln in r.stdout.splitlines())
            if img.startswith(BASE + ":")}


# --------------------------------------------------------------------------
# PostgreSQL on 127.0.0.1, wanting cxhook's password over TCP.

DB_PASSWORD = "ct-db-" + uuid.uuid4().hex
TOKEN = "ct-token-" + uuid.uuid4().hex


@pytest.fixture(scope="module")
def postgres(workdir):
    pgdir = workdir / "pg"
    pg = REPO / "scripts" / "pg.sh"
    port = free_port()
    stop = lambda: subprocess.run([str(pg), "stop", str(pgdir)],  # noqa: E731
                                  capture_output=True, timeout=60)
    try:
        run([pg, "start", pgdir, port], timeout=120)
        su = ["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", pgdir, "-p", port,
              "-U", "postgres", "-d", "cxhook"]
        run([*su, "-c", f"ALTER ROLE cxhook PASSWORD '{DB_PASSWORD}'"])
        run([*su, "-c", "ALTER SYSTEM SET listen_addresses = '127.0.0.1'"])
        hba = pgdir / "data" / "pg_hba.conf"
        hba.write_text("host all cxhook 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
        stop()
        run([pg, "start", pgdir, port], timeout=120)
        yield {"port": port, "dir": pgdir, "su": su}
    finally:
        stop()


@pytest.fixture(scope="module")
def deployment(workdir, postgres):
    """The configuration and the secrets the containers get, and the
    arguments that mount them."""
    port = free_port()
    conf = workdir / "cxhook.conf"
    conf.write_text(f"""\
; generated by tests/container/test_image.py
[pool]
listen = 0.0.0.0:{port}
allow = 127.0.0.1
workers = 2

[database]
conninfo = host=127.0.0.1 port={postgres['port']} dbname=cxhook user=cxhook passfile=/run/secrets/pgpass

[log]
level = debug
""")
    conf.chmod(0o644)
    secrets = workdir / "secrets"
    secrets.mkdir(mode=0o500)
    (secrets / "pgpass").write_text(f"*:*:*:cxhook:{DB_PASSWORD}\n")
    (secrets / "pgpass").chmod(0o600)  # libpq reads no other
    (secrets / "bearer-token").write_text(TOKEN + "\n")
    (secrets / "bearer-token").chmod(0o400)
    for p in (secrets, secrets / "pgpass", secrets / "bearer-token"):
        os.chown(p, UID, UID)
    return {"port": port, "conf": conf, "mounts": [
        "-v", f"{conf}:/etc/cxhook/cxhook.conf:ro", "-v", f"{secrets}:/run/secrets:ro"]}


@pytest.fixture(scope="module")
def migrated(image, deployment, postgres):
    # The password is needed: without the secret, the role cannot connect.
    r = run(["psql", "-X", "-h", "127.0.0.1", "-p", postgres["port"], "-U", "cxhook",
             "-d", "cxhook", "-w", "-c", "SELECT 1"], check=False,
            env={"PATH": os.environ["PATH"], "PGPASSFILE": "/nonexistent"})
    assert r.returncode != 0 and "password" in r.stderr, r
    name = f"cxhook-test-{RUN_ID}-migrate"
    try:
        r = podman("run", "--rm", "--name", name, "--network=host", *ULIMITS,
                   "--health-cmd=none", *deployment["mounts"], image, "migrate",
                   check=False)
        assert r.returncode == 0, f"migrate: {r.stdout}\n{r.stderr}"
    finally:
        podman("rm", "--force", "--ignore", name, check=False)
    n = run([*postgres["su"], "-Atc", "SELECT count(*) FROM schema_migrations"]).stdout
    assert int(n) == len(list((REPO / "sql" / "migrations").glob("*.sql")))
    run([*postgres["su"], "-f", REPO / "sql" / "demo" / "demo_data.sql"])


@pytest.fixture(scope="module")
def pool(image, deployment, migrated):
    name = f"cxhook-test-{RUN_ID}-pool"
    try:
        r = podman("run", "--detach", "--name", name, "--network=host", *ULIMITS,
                   *deployment["mounts"], image, check=False)
        assert r.returncode == 0, r
        # podman runs health checks from systemd timers; with no systemd
        # they run when asked, which is what is measured here.
        t0 = time.monotonic()
        ok = wait_until(lambda: podman("healthcheck", "run", name, check=False,
                                       timeout=30).returncode == 0, 30, interval=0.5)
        FIGURES["healthy after"] = time.monotonic() - t0
        assert ok, f"never healthy:\n{podman('logs', name, check=False).stderr[-3000:]}"
        yield {"name": name, "target": f"tcp:127.0.0.1:{deployment['port']}",
               "port": deployment["port"]}
    finally:
        podman("rm", "--force", "--ignore", "--time", "1", name, check=False)


def inspect(name, fmt):
    return podman("inspect", "--format", fmt, name).stdout.strip()


# --------------------------------------------------------------------------
# The tests, in order: the last stops the pool.

def test_image_config(image):
    cfg = json.loads(podman("image", "inspect", image).stdout)[0]["Config"]
    assert cfg["User"] == f"{UID}:{UID}", cfg
    assert cfg["Entrypoint"] == ["cxhook"] and cfg["Cmd"] == ["serve"], cfg
    assert "9000/tcp" in cfg["ExposedPorts"], cfg
    assert cfg["Env"] and "CREDENTIALS_DIRECTORY=/run/secrets" in cfg["Env"], cfg
    assert cfg["Labels"]["org.opencontainers.image.title"] == "cxhook", cfg
    hc = json.loads(podman("image", "inspect", "--format", "{{json .HealthCheck}}",
                           image).stdout)
    assert hc["Test"] == ["CMD", "cxhook", "health"], hc
    # Only what runs the pool: every library the binary links, no
    # compiler, no apt lists or downloaded packages.
    r = podman("run", "--rm", *ULIMITS, "--health-cmd=none", "--user=0",
               "--entrypoint", "/bin/sh", image, "-c",
               "ldd /usr/local/bin/cxhook; echo ==; command -v cc gcc make; echo ==; "
               "find /var/lib/apt/lists /var/cache/apt -type f ! -name lock")
    libs, tools, apt_files = r.stdout.split("==\n")
    assert "not found" not in libs and "libpq.so.5" in libs, libs
    assert tools.strip() == "" and apt_files.strip() == "", r.stdout


def test_triage_in_the_image(image, workdir):
    """ICU, which cxhook loads only when it first needs it, is there: a
    model trained on the host classifies in the container as on the host.
    liblinear is not: `cxhook train` is refused there, and says why."""
    cxhook = os.environ.get("CXHOOK", str(REPO / "build" / "cxhook"))
    d = workdir / "triage"
    d.mkdir()
    shutil.copy(REPO / "tests" / "corpus" / "triage" / "tiny.csv", d)
    run([cxhook, "train", "--data", d / "tiny.csv", "--folds", "3",
         "--model", d / "tiny.model"])
    (d / "tiny.model").chmod(0o644)
    d.chmod(0o755)
    texts = ["Wake me up at SEVEN", "ｗｈａｔ ｉｓ ｔｈｅ ｗｅａｔｈｅｒ"]
    want = run([cxhook, "classify", "--model", d / "tiny.model", *texts]).stdout
    box = [*PODMAN, "run", "--rm", *ULIMITS, "--health-cmd=none", "-v", f"{d}:/m:ro", image]
    got = run([*box, "classify", "--model", "/m/tiny.model", *texts]).stdout
    assert got == want and len(got.splitlines()) == 2, (got, want)
    r = run([*box, "train", "--data", "/m/tiny.csv", "--model", "/tmp/x.model"], check=False)
    assert r.returncode != 0 and "liblinear" in r.stderr, r


def test_healthy(pool):
    status = inspect(pool["name"], "{{.State.Health.Status}}")
    assert status == "healthy", status
    r = podman("exec", pool["name"], "cxhook", "health")
    assert r.stdout.splitlines()[0] == "HTTP 200", r


def test_runs_as_its_own_user(pool):
    pid = int(inspect(pool["name"], "{{.State.Pid}}"))
    procs = [pid] + [int(x) for x in
                     Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    assert len(procs) >= 3, procs  # the master and two workers
    for p in procs:
        uids = re.search(r"(?m)^Uid:\s+(.*)$", Path(f"/proc/{p}/status").read_text())
        assert uids.group(1).split() == [str(UID)] * 4, (p, uids.group(0))
    assert podman("exec", pool["name"], "id", "-u").stdout.strip() == str(UID)


BALANCE = ["--tag", "database-query", "--param", "query_type=account_balance",
           "--param", "user_id=10042"]


def test_webhook_from_the_host(pool):
    cxhook = os.environ.get("CXHOOK", str(REPO / "build" / "cxhook"))
    r = run([cxhook, "send", pool["target"], "--token", TOKEN, *BALANCE],
            timeout=20, check=False)
    assert r.returncode == 0 and TEXT_BALANCE_10042 in r.stdout, r
    # The token is the secret's, found through CREDENTIALS_DIRECTORY.
    r = run([cxhook, "send", pool["target"], *BALANCE], timeout=20, check=False)
    assert r.returncode == 1 and r.stdout.startswith("HTTP 401"), r


def _nginx_conf(d, port, pool_port):
    """deploy/nginx.conf as it is but for its listen and its fastcgi_pass,
    in a main configuration of the host's nginx."""
    server = (REPO / "deploy" / "nginx.conf").read_text()
    assert "fastcgi_pass cxhook:9000;" in server and "listen 80;" in server
    server = server.replace("fastcgi_pass cxhook:9000;",
                            f"fastcgi_pass 127.0.0.1:{pool_port};")
    server = server.replace("listen 80;", f"listen 127.0.0.1:{port};")
    (d / "server.conf").write_text(server)
    conf = d / "nginx.conf"
    conf.write_text(f"""\
user www-data;
worker_processes 1;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
    client_body_temp_path {d}/body;
    fastcgi_temp_path {d}/fastcgi;
    proxy_temp_path {d}/proxy;
    uwsgi_temp_path {d}/uwsgi;
    scgi_temp_path {d}/scgi;
    include {d}/server.conf;
}}
""")
    return conf


def test_webhook_through_nginx(pool, workdir):
    d = workdir / "nginx"
    d.mkdir()
    port = free_port()
    conf = _nginx_conf(d, port, pool["port"])
    proc = Proc("nginx", ["nginx", "-p", d, "-e", d / "error.log", "-c", conf,
                          "-g", "daemon off;"], d / "nginx.out")
    try:
        assert wait_until(lambda: not proc.alive() or tcp_accepts(port), 15) \
            and proc.alive(), tail(d / "error.log")
        base = f"http://127.0.0.1:{port}"
        req = webhook_request(tag="database-query",
                              params={"query_type": "account_balance", "user_id": "10042"})
        r = http_request(base + "/webhook", "POST", json.dumps(req),
                         {"Content-Type": "application/json",
                          "Authorization": f"Bearer {TOKEN}"})
        doc = check_webhook_response(r, "nginx -> container")
        assert texts_of(doc) == [TEXT_BALANCE_10042], doc
        r = http_request(base + "/healthz", "GET")
        assert r.status == 200 and r.json() == {"status": "ok", "database": "ok"}, r
        assert http_request(base + "/other", "GET").status == 404
    finally:
        proc.stop()


def test_log_on_stderr_without_secrets(pool, deployment):
    r = podman("logs", pool["name"])
    log = r.stdout + r.stderr
    assert f"listening on 0.0.0.0:{deployment['port']} with 2 workers" in log, log[-2000:]
    assert "GET healthz 200" in log, log[-2000:]  # debug: the health checks
    for secret in (DB_PASSWORD, TOKEN):
        assert secret not in log


def test_stops_on_sigterm(pool):
    t0 = time.monotonic()
    podman("stop", "--time", str(STOP_TIMEOUT), pool["name"], timeout=STOP_TIMEOUT + 30)
    took = time.monotonic() - t0
    FIGURES["stop"] = took
    assert inspect(pool["name"], "{{.State.ExitCode}}") == "0"
    assert took < STOP_TIMEOUT / 2, f"podman stop took {took:.1f}s"
    r = podman("logs", pool["name"])
    log = r.stdout + r.stderr
    assert "received signal 15 (Terminated): stopping" in log, log[-2000:]
    assert re.search(r"(?m)^cxhook\[1\] info: stopped$", log), log[-2000:]


def test_image_size(image, capsys):
    size = int(podman("image", "inspect", "--format", "{{.Size}}", image).stdout)
    slim = int(podman("image", "inspect", "--format", "{{.Size}}",
                      f"{BASE}:bookworm-slim").stdout)
    listing = podman("images", "--filter", f"reference={IMAGE}").stdout
    with capsys.disabled():
        print(f"\ncontainer image {IMAGE}: {size / 1e6:.1f} MB "
              f"({slim / 1e6:.1f} MB of it the slim base)\n{listing.rstrip()}")
        print("seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in FIGURES.items()))
    # The pool's libraries on the base, not a build tree or apt's caches.
    assert size - slim < 100e6, f"{(size - slim) / 1e6:.1f} MB over the base"


# --------------------------------------------------------------------------
# deploy/compose.yaml, offline.

def _locations(text):
    """{path: [directive lines, comments and blank lines out]} of each
    `location = PATH { ... }` in an nginx configuration."""
    out = {}
    for m in re.finditer(r"(?ms)^\s*location = (\S+) \{\n(.*?)^\s*\}", text):
        out[m.group(1)] = [ln.strip() for ln in m.group(2).splitlines()
                           if ln.strip() and not ln.strip().startswith("#")]
    return out


def test_compose_file():
    deploy = REPO / "deploy"
    r = run(["docker-compose", "-f", deploy / "compose.yaml", "config", "-q"],
            check=False, cwd=deploy)
    assert r.returncode == 0, r
    doc = yaml.safe_load((deploy / "compose.yaml").read_text())
    s = doc["services"]
    assert set(s) == {"db", "migrate", "cxhook", "nginx"}, s
    for name in ("migrate", "cxhook"):
        svc = s[name]
        assert (deploy / svc["build"]["context"] / "Dockerfile").resolve() \
            == REPO / "Dockerfile"
        assert "./cxhook.conf:/etc/cxhook/cxhook.conf:ro" in svc["volumes"]
        assert set(svc["secrets"]) == {"pgpass", "bearer-token"}
    assert s["migrate"]["command"] == ["migrate"]
    assert s["cxhook"]["command"] == ["serve"]
    assert s["cxhook"]["depends_on"]["migrate"]["condition"] == \
        "service_completed_successfully"
    assert s["migrate"]["depends_on"]["db"]["condition"] == "service_healthy"
    assert s["nginx"]["depends_on"]["cxhook"]["condition"] == "service_healthy"
    assert s["db"]["image"] == "postgres:15"
    env = s["db"]["environment"]
    assert env["POSTGRES_PASSWORD_FILE"] == "/run/secrets/db-password"
    assert "db-password" in s["db"]["secrets"]
    assert set(doc["secrets"]) == {"db-password", "pgpass", "bearer-token"}
    assert "./nginx.conf:/etc/nginx/conf.d/default.conf:ro" in s["nginx"]["volumes"]

    # deploy/cxhook.conf: the port nginx passes to and the image exposes,
    # the password file a secret of the pool's, the database the db service.
    conf = (deploy / "cxhook.conf").read_text()
    listen = re.search(r"(?m)^listen\s*=\s*(\S+)", conf).group(1)
    assert listen == "0.0.0.0:9000", listen
    assert "EXPOSE 9000" in (REPO / "Dockerfile").read_text()
    conninfo = re.search(r"(?m)^conninfo\s*=\s*(.+)$", conf).group(1)
    assert f"user={env['POSTGRES_USER']}" in conninfo and "host=db " in conninfo
    assert f"dbname={env['POSTGRES_DB']}" in conninfo
    assert "passfile=/run/secrets/pgpass" in conninfo

    # deploy/nginx.conf: conf/nginx-cxhook.conf's locations, the socket
    # turned into the cxhook service's port.
    snippet = (REPO / "conf" / "nginx-cxhook.conf").read_text()
    want = _locations(snippet.replace("fastcgi_pass unix:/run/cxhook/cxhook.sock;",
                                      "fastcgi_pass cxhook:9000;"))
    assert set(want) == {"/webhook", "/healthz", "/metrics", "/status"}, want
    assert _locations((deploy / "nginx.conf").read_text()) == want
