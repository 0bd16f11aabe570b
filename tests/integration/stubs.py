"""Stand-ins for the outside services cxhook calls, for the integration
tests: small HTTP servers (http.server.ThreadingHTTPServer in a background
thread, on 127.0.0.1, port 0 unless a port is given) that record what they
were sent and can be told to misbehave.

WeatherStub      a weatherapi.com-shaped current-weather provider
                 (GET /v1/current.json?key=K&q=LOC)
SchedulingStub   an outside scheduling system that bookings are forwarded
                 to (POST, answers 201), or any POST receiver
MirrorStub       a webhook whose every answer the request itself chooses

Every wait here is bounded, and stop() ends every delay at once.
"""

import contextlib
import json
import socket
import threading
import time
import unicodedata
import urllib.parse
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from conftest import json_strict

HANDLER_TIMEOUT = 10  # seconds a stub waits on a silent client
MAX_DELAY = 30        # no mode may hold a request longer than this


def normalise(text):
    """What the stub counts calls by: NFKC case-folded, spaces collapsed
    (the same idea as cxhook's lib/textkey.h, so "London", " LONDON "
    and fullwidth "ＬＯＮＤＯＮ" are one place)."""
    t = unicodedata.normalize("NFKC", text)
    t = unicodedata.normalize("NFKC", t.casefold())
    return " ".join(t.split())


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # A client that gave up (cxhook's deadline) is expected: stay quiet.
        pass


class _Handler(BaseHTTPRequestHandler):
    timeout = HANDLER_TIMEOUT
    protocol_version = "HTTP/1.0"
    server_version = "cxhook-it-stub/1"

    def log_message(self, fmt, *args):
        pass

    def do_GET(self):
        self.server.stub.on_get(self)

    def do_POST(self):
        self.server.stub.on_post(self)

    def send_json(self, status, obj, extra_headers=None):
        body = json.dumps(obj).encode("utf-8")
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra_headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


class _StubBase:
    def __init__(self, port=0):
        self.port = port
        self.lock = threading.Lock()
        self._stop = threading.Event()
        self._server = None
        self._thread = None

    def start(self):
        assert self._server is None, "already running"
        self._stop.clear()
        srv = _Server(("127.0.0.1", self.port), _Handler)
        srv.stub = self
        self.port = srv.server_address[1]
        self._server = srv
        self._thread = threading.Thread(target=srv.serve_forever,
                                        kwargs={"poll_interval": 0.05},
                                        name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    def stop(self):
        """Stops listening (connections are refused from now on) and ends
        every request still being delayed."""
        self._stop.set()
        srv, self._server = self._server, None
        if srv is not None:
            srv.shutdown()
            srv.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    @property
    def running(self):
        return self._server is not None

    def sleep(self, seconds):
        """A delay that stop() cuts short; True if it ran its course."""
        return not self._stop.wait(min(max(seconds, 0), MAX_DELAY))

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# --------------------------------------------------------------------------

class WeatherStub(_StubBase):
    """GET /v1/current.json?key=K&q=LOC, weatherapi.com's shape:

        200 {"location":{"name":NAME},
             "current":{"temp_c":14.0,"condition":{"text":"Partly cloudy"}}}

    NAME is names[normalise(LOC)] or LOC title-cased. A LOC containing
    "atlantis" (or listed in unknown) gets weatherapi's
    400 {"error":{"code":1006,"message":"No matching location found."}}.

    Counts calls per normalise(q) (calls) and in all (total); records every
    key and raw q. Misbehaviour per place (set_mode(place, ...)) or for
    all (set_mode(None, ...)):
        delay=S    wait S seconds before answering
        status=N   answer N (500, 503, 401, ...) with an error body
                   (error={"code":..,"message":..} to choose it)
        drop=True  close the connection without a byte
        slow=S     send the headers, then the body a byte at a time over
                   about S seconds
    """

    PATH = "/v1/current.json"

    def __init__(self, port=0, names=None, temp_c=14.0, condition="Partly cloudy",
                 unknown=("atlantis",)):
        super().__init__(port)
        self.names = {normalise(k): v for k, v in (names or {}).items()}
        self.temp_c = temp_c
        self.condition = condition
        self.unknown = tuple(normalise(u) for u in unknown)
        self.modes = {}
        self.reset()

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}{self.PATH}"

    def reset(self):
        with self.lock:
            self.calls = Counter()
            self.total = 0
            self.keys = []
            self.queries = []
            self.paths = []
            self.modes = {}

    def set_mode(self, place=None, delay=0.0, status=None, drop=False, slow=0.0,
                 error=None):
        """error: the {"code":..,"message":..} sent with status (default
        a generic 9999 "Internal application error.")."""
        with self.lock:
            self.modes[None if place is None else normalise(place)] = {
                "delay": delay, "status": status, "drop": drop, "slow": slow,
                "error": error}

    def clear_mode(self, place=None):
        with self.lock:
            self.modes.pop(None if place is None else normalise(place), None)

    def count(self, place):
        with self.lock:
            return self.calls[normalise(place)]

    def snapshot(self):
        with self.lock:
            return {"total": self.total, "calls": dict(self.calls),
                    "keys": list(self.keys), "queries": list(self.queries)}

    def on_get(self, h):
        url = urllib.parse.urlsplit(h.path)
        qs = urllib.parse.parse_qs(url.query, keep_blank_values=True)
        q = (qs.get("q") or [""])[0]
        key = (qs.get("key") or [None])[0]
        n = normalise(q)
        with self.lock:
            self.total += 1
            self.calls[n] += 1
            self.keys.append(key)
            self.queries.append(q)
            self.paths.append(url.path)
            mode = self.modes.get(n) or self.modes.get(None) or {}
        if url.path != self.PATH:
            h.send_json(404, {"error": {"code": 404, "message": "no such path"}})
            return
        if mode.get("delay") and not self.sleep(mode["delay"]):
            return
        if mode.get("drop"):
            with contextlib.suppress(OSError):
                h.connection.shutdown(socket.SHUT_RDWR)
            h.close_connection = True
            return
        if mode.get("status"):
            h.send_json(mode["status"], {"error": mode.get("error") or {
                "code": 9999, "message": "Internal application error."}})
            return
        if any(u in n for u in self.unknown):
            h.send_json(400, {"error": {"code": 1006,
                                        "message": "No matching location found."}})
            return
        name = self.names.get(n) or q.strip().title()
        body = json.dumps({"location": {"name": name, "country": "Testland"},
                           "current": {"temp_c": self.temp_c,
                                       "condition": {"text": self.condition,
                                                     "code": 1003}}}).encode("utf-8")
        if mode.get("slow"):
            self._trickle(h, body, mode["slow"])
            return
        h.send_json(200, json.loads(body))

    def _trickle(self, h, body, seconds):
        step = seconds / max(len(body), 1)
        try:
            h.send_response(200)
            h.send_header("Content-Type", "application/json")
            h.send_header("Content-Length", str(len(body)))
            h.end_headers()
            h.wfile.flush()
            for i in range(len(body)):
                h.wfile.write(body[i:i + 1])
                h.wfile.flush()
                if not self.sleep(step):
                    return
        except OSError:
            pass


# --------------------------------------------------------------------------

class SchedulingStub(_StubBase):
    """The outside scheduling system: records every POST (path, headers,
    body as bytes and as JSON) and answers 201 {"id": N}.

    fail_first=N  answers the first N POSTs with fail_status (500); with
                  per_key=True, the first N of each Idempotency-Key
    delay=S       waits S seconds before answering each POST
    status=N      the success status (201; 200 to stand in for a webhook)
    Constructed with a fixed port and not started, it stands for a
    receiver that is down (connections refused)."""

    def __init__(self, port=0, path="/api/appointments", fail_first=0,
                 fail_status=500, delay=0.0, status=201, answer=None, per_key=False):
        super().__init__(port)
        self.path = path
        self.reset(fail_first=fail_first, fail_status=fail_status, delay=delay,
                   status=status, answer=answer, per_key=per_key)

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}{self.path}"

    def reset(self, fail_first=0, fail_status=500, delay=0.0, status=201, answer=None,
              per_key=False):
        with self.lock:
            self.posts = []
            self.per_key = per_key
            self.fail_first = fail_first
            self.fail_status = fail_status
            self.delay = delay
            self.status = status
            self.answer = answer

    def on_get(self, h):
        h.send_json(405, {"error": "POST only"}, {"Allow": "POST"})

    def on_post(self, h):
        try:
            n = int(h.headers.get("Content-Length") or 0)
        except ValueError:
            n = 0
        raw = h.rfile.read(min(n, 1 << 20)) if n > 0 else b""
        try:
            doc = json_strict(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            doc = None
        key = h.headers.get("Idempotency-Key")
        with self.lock:
            i = len(self.posts)
            seen = (sum(1 for p in self.posts if p["headers"].get("idempotency-key") == key)
                    if self.per_key else i)
            fail = seen < self.fail_first
            rec = {"path": h.path, "headers": {k.lower(): v for k, v in h.headers.items()},
                   "body": raw, "json": doc, "time": time.monotonic(),
                   "answered": self.fail_status if fail else self.status}
            self.posts.append(rec)
            delay, status, answer = self.delay, self.status, self.answer
        if delay and not self.sleep(delay):
            return
        if fail:
            h.send_json(self.fail_status, {"error": "scheduler is having a bad day"})
        else:
            h.send_json(status, answer if answer is not None else {"id": i + 1})

    def set_delay(self, seconds):
        """From the next POST on (one being delayed keeps its delay)."""
        with self.lock:
            self.delay = seconds

    def received(self, key=None):
        """The POSTs so far, or those with Idempotency-Key key."""
        with self.lock:
            return [p for p in self.posts
                    if key is None or p["headers"].get("idempotency-key") == key]

    def wait_for(self, pred, timeout):
        """Polls pred(posts) until true or timeout seconds; returns its last value."""
        end = time.monotonic() + timeout
        while True:
            v = pred(self.received())
            if v or time.monotonic() >= end:
                return v
            time.sleep(0.05)


# --------------------------------------------------------------------------

class MirrorStub(_StubBase):
    """A stand-in webhook on POST /webhook whose answer each request chooses,
    so that a test can have any answer it likes: the request's "reply"
    (sent as JSON), or its "raw" text (sent as text/plain), with the
    request's "status" (200 when absent). Records every request (path,
    headers, JSON) in order."""

    def __init__(self, port=0):
        super().__init__(port)
        self.posts = []

    @property
    def url(self):
        return f"http://127.0.0.1:{self.port}/webhook"

    def on_get(self, h):
        h.send_json(405, {"error": "POST only"}, {"Allow": "POST"})

    def on_post(self, h):
        n = int(h.headers.get("Content-Length") or 0)
        doc = json_strict(h.rfile.read(n).decode("utf-8")) if n > 0 else {}
        with self.lock:
            self.posts.append({"path": h.path, "json": doc,
                               "headers": {k.lower(): v for k, v in h.headers.items()}})
        status = doc.get("status", 200)
        if "raw" not in doc:
            h.send_json(status, doc.get("reply"))
            return
        body = doc["raw"].encode("utf-8")
        h.send_response(status)
        h.send_header("Content-Type", "text/plain")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body)

    def received(self):
        with self.lock:
            return list(self.posts)
