"""
conftest.py: the end-to-end harness.  Every test drives the real ticd
binary over HTTP on 127.0.0.1, with its own configuration and sqlite store
in a temporary directory, and compares what a user would see with
docs/api.md and with ticctl.

Binaries: TICD_BIN and TICCTL_BIN (default build/bin/ticd and
build/bin/ticctl, relative to the repository root).  Only the standard
library talks HTTP (urllib.request, with no proxy so nothing leaves
127.0.0.1).  Every wait is a bounded loop.
"""
import http.client
import json
import os
import signal
import socket
import sqlite3
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _binary(env, default):
    path = Path(os.environ.get(env) or default)
    if not path.is_absolute():
        path = REPO / path
    return str(path)


TICD = _binary("TICD_BIN", "build/bin/ticd")
TICCTL = _binary("TICCTL_BIN", "build/bin/ticctl")
DEMO_JOURNAL = REPO / "conf" / "demo" / "journal.jsonl"
FAKETIME_LIB = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"

# Nothing the environment says about proxies applies: 127.0.0.1 only.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))

# Variables of a surrounding service manager or of another test that must
# not leak into a ticd we start.
_SCRUB = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS",
          "LISTEN_PID", "FAKETIME", "FAKETIME_NO_CACHE", "http_proxy",
          "https_proxy", "HTTP_PROXY", "HTTPS_PROXY")


# ---- HTTP ----

class Reply:
    """What a client sees: status, headers, body."""

    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    @property
    def code(self):
        """The error code of an error body, else None."""
        try:
            return self.json()["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return None

    @property
    def message(self):
        try:
            return self.json()["error"]["message"]
        except (ValueError, KeyError, TypeError):
            return None

    def __repr__(self):
        return "<%d %s>" % (self.status, self.body[:300].decode(
            "utf-8", "replace"))


def encode_body(body):
    if body is None or isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


def http_request(url, method="GET", body=None, token=None, headers=None,
                 timeout=10):
    req = urllib.request.Request(url, data=encode_body(body), method=method)
    if token is not None:
        req.add_header("Authorization", "Bearer " + token)
    for k, v in (headers or {}).items():
        req.add_header(k, v)
    try:
        with _OPENER.open(req, timeout=timeout) as r:
            return Reply(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        try:
            data = e.read()
        except (OSError, http.client.HTTPException):
            data = b""
        return Reply(e.code, e.headers, data)


def raw_send(port, data, timeout=10):
    """A socket to ticd with these bytes written: a request no well-behaved
    client would send, or one whose reply is read later."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.sendall(data)
    return s


def raw_request(port, method, path, token, body=b""):
    """raw_send of a whole request, the connection to close after it."""
    return raw_send(port, (
        "%s %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
        "Content-Type: application/json\r\nContent-Length: %d\r\n"
        "Connection: close\r\n\r\n" % (method, path, token, len(body))
    ).encode() + body)


def raw_read(s):
    """Everything ticd sends on s until it closes; s is closed."""
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return data


def raw_reply(s):
    """The status and body of the one reply on s; status 0 when ticd
    closed the connection without one (or died)."""
    head, _, body = raw_read(s).partition(b"\r\n\r\n")
    return (int(head.split()[1]) if head else 0), body


def answered_under_lock(db_path, release, seconds=4):
    """The store locked as an admin's sqlite3 shell would (BEGIN
    IMMEDIATE), release() called (a held server answers), the lock kept
    `seconds` more and let go: what the answer makes ticd write waits."""
    lock = sqlite3.connect(str(db_path), timeout=5, isolation_level=None)
    try:
        lock.execute("BEGIN IMMEDIATE")
        release()
        time.sleep(seconds)
    finally:
        lock.execute("ROLLBACK")
        lock.close()


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---- ticctl ----

def write_journal(path, events):
    with open(path, "w", encoding="utf-8") as f:
        for ev in events:
            f.write(json.dumps(ev, ensure_ascii=False) + "\n")


def ticctl_plan(journal_path, as_of, until=None, holidays=()):
    """ticctl plan's obligations, as a list of dicts."""
    args = [TICCTL, "plan", "--as-of", as_of]
    if until is not None:
        args += ["--until", until]
    for h in holidays:
        args += ["--holidays", str(h)]
    args.append(str(journal_path))
    p = subprocess.run(args, capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr.decode("utf-8", "replace")
    return [json.loads(line) for line in
            p.stdout.decode("utf-8").splitlines() if line.strip()]


def ticctl_refusal(journal_path, as_of):
    """ticctl plan on a journal it refuses: (exit status, stderr)."""
    p = subprocess.run([TICCTL, "plan", "--as-of", as_of,
                        str(journal_path)], capture_output=True, timeout=30)
    return p.returncode, p.stdout.decode("utf-8"), \
        p.stderr.decode("utf-8")


def demo_events():
    """The demo journal's events, comments left out."""
    out = []
    for line in DEMO_JOURNAL.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.append(json.loads(line))
    return out


def post_demo(t, journal_path):
    """Posts the demo journal event by event (bureau); writes the journal
    file from the events as ticd stored them; returns the 201 replies."""
    replies = []
    for ev in demo_events():
        r = t.post("/api/v1/events", ev)
        assert r.status == 201, (ev, r)
        replies.append(r.json())
    write_journal(journal_path, [r["event"] for r in replies])
    return replies


# ---- the daemon ----

class Ticd:
    """One ticd: its directory, configuration, store, log and process."""

    def __init__(self, workdir, max_body=2048, log_level="info"):
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.conf = self.dir / "ticd.conf"
        self.db = self.dir / "ticd.db"
        self.log = self.dir / "ticd.log"
        self.port = free_port()
        self.max_body = max_body
        self.log_level = log_level
        self.proc = None
        self.start_mark = 0
        self.token = None
        self.write_conf()

    # configuration

    def conf_text(self, max_body=None, log_level=None, extra=""):
        return ("# written by tests/e2e\n"
                "[ticd]\n"
                "listen = 127.0.0.1:%d\n"
                "database = %s\n"
                "synchronous = full\n"
                "log_level = %s\n"
                "max_body = %d\n"
                "%s" % (self.port, self.db, log_level or self.log_level,
                        max_body or self.max_body, extra))

    def write_conf(self, text=None, **kw):
        self.conf.write_text(text if text is not None
                             else self.conf_text(**kw), encoding="utf-8")

    def make_token(self):
        """A bureau token made with ticd -c CONF -T."""
        p = subprocess.run([TICD, "-c", str(self.conf), "-T"],
                           capture_output=True, timeout=30,
                           env=self.env())
        assert p.returncode == 0, p.stderr.decode("utf-8", "replace")
        out = p.stdout.decode().strip()
        assert out.startswith("tic_") and "\n" not in out, out
        return out

    # process

    def env(self, extra=None):
        env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
        env.update(extra or {})
        return env

    def start(self, env=None, argv_prefix=None, wait=True, extra_args=(),
              timeout=10.0):
        """Starts ticd (optionally under a wrapper) and waits for /healthz.
        A port taken meanwhile by someone else is replaced by another."""
        for attempt in range(5):
            mark = self.start_mark = self.log_size()
            argv = list(argv_prefix or []) + [TICD, "-c", str(self.conf)] \
                + list(extra_args)
            with open(self.log, "ab") as log:
                self.proc = subprocess.Popen(
                    argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                    env=self.env(env))
            if not wait:
                return None
            try:
                return self.wait_healthy(timeout)
            except DaemonDied:
                if "cannot listen" not in self.log_text(mark) or \
                        attempt == 4:
                    raise
                self.new_port()
        raise AssertionError("unreachable")

    def new_port(self):
        """Listens on a port free now.  Before a start that does not wait
        (and so cannot try again): the port this ticd had may have gone
        to another test's process since it stopped."""
        self.port = free_port()
        text = self.conf.read_text(encoding="utf-8")
        self.write_conf("\n".join(
            "listen = 127.0.0.1:%d" % self.port
            if line.startswith("listen =") else line
            for line in text.split("\n")))

    def wait_healthy(self, timeout=10.0):
        """/healthz from this ticd: not before it says it listens, since
        until then its port may be answered by another test's ticd (one
        that took the same free port), and a SIGTERM sent then would find
        this one still starting, with no handler yet."""
        deadline = time.monotonic() + timeout
        last = None
        listening = False
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise DaemonDied("ticd exited with %d before answering:\n%s"
                                 % (self.proc.returncode, self.log_text()))
            listening = listening or \
                "listening on" in self.log_text(self.start_mark)
            if not listening:
                time.sleep(0.05)
                continue
            try:
                r = http_request(self.url("/healthz"), timeout=2)
                if r.status == 200:
                    return r.json()
                last = r
            except (OSError, http.client.HTTPException) as e:
                last = e
            time.sleep(0.05)
        raise AssertionError("no /healthz within %.0f s (last: %r)\n%s"
                             % (timeout, last, self.log_text()))

    def running(self):
        return self.proc is not None and self.proc.poll() is None

    def send(self, sig):
        self.proc.send_signal(sig)

    def stop(self, sig=signal.SIGTERM, timeout=10):
        """Signals ticd and returns its exit status."""
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
            raise AssertionError("ticd did not stop within %d s of signal "
                                 "%d\n%s" % (timeout, sig, self.log_text()))

    def restart(self, **kw):
        assert self.stop() == 0, self.log_text()
        return self.start(**kw)

    def log_size(self):
        try:
            return self.log.stat().st_size
        except FileNotFoundError:
            return 0

    def log_text(self, offset=0):
        try:
            with open(self.log, "rb") as f:
                f.seek(offset)
                return f.read().decode("utf-8", "replace")
        except FileNotFoundError:
            return ""

    def wait_log(self, text, offset=0, timeout=10.0):
        """Waits (bounded) until the log, from offset, says text."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log_text(offset):
                return
            time.sleep(0.05)
        raise AssertionError("ticd never logged %r:\n%s"
                             % (text, self.log_text(offset)))

    # HTTP

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def req(self, method, path, body=None, token="bureau", **kw):
        if token == "bureau":
            token = self.token
        return http_request(self.url(path), method, body, token, **kw)

    def get(self, path, token="bureau", **kw):
        return self.req("GET", path, token=token, **kw)

    def post(self, path, body, token="bureau", **kw):
        return self.req("POST", path, body, token=token, **kw)

    def delete(self, path, token="bureau", **kw):
        return self.req("DELETE", path, token=token, **kw)

    def healthz(self):
        r = http_request(self.url("/healthz"))
        assert r.status == 200, r
        return r.json()

    def today(self):
        return self.healthz()["today"]

    def count(self):
        return self.healthz()["events"]

    def record(self, event, token="bureau"):
        """Posts an event that must be acknowledged; returns it as stored."""
        r = self.post("/api/v1/events", event, token=token)
        assert r.status == 201, (event, r)
        body = r.json()
        assert body["event"]["id"] == body["id"]
        return body["event"]

    def events(self, token="bureau", query=""):
        r = self.get("/api/v1/events" + query, token=token)
        assert r.status == 200, r
        return r.json()["events"]

    def obligations(self, token="bureau", query=""):
        r = self.get("/api/v1/obligations" + query, token=token)
        assert r.status == 200, r
        return r.json()

    def new_token(self, role, scope=None, label="e2e"):
        body = {"role": role, "label": label}
        if scope is not None:
            body["scope"] = scope
        r = self.post("/api/v1/tokens", body)
        assert r.status == 201, r
        out = r.json()
        assert out["token"].startswith("tic_")
        assert out["role"] == role and out["scope"] == scope
        return out


class DaemonDied(AssertionError):
    pass


def q(value):
    """A query-string value, percent-encoded (UTF-8)."""
    return urllib.parse.quote(value, safe="")


class Factory:
    """Makes ticd instances under one directory; stop_all() stops those
    still running with SIGTERM, each of which must exit 0."""

    def __init__(self, root):
        self.root = Path(root)
        self.made = []

    def __call__(self, name="ticd", **kw):
        t = Ticd(self.root / name, **kw)
        self.made.append(t)
        return t

    def started(self, name="ticd", env=None, **kw):
        """A running ticd with an empty store and a bureau token made with
        ticd -T; env: its environment's additions (a fake clock)."""
        t = self(name, **kw)
        t.token = t.make_token()
        health = t.start(env=env)
        assert health["status"] == "ok" and health["events"] == 0
        return t

    def stop_all(self):
        problems = []
        for t in self.made:
            if t.running():
                rc = t.stop()
                if rc != 0:
                    problems.append("ticd in %s exited %d on SIGTERM:\n%s"
                                    % (t.dir, rc, t.log_text()))
        assert not problems, "\n".join(problems)


@pytest.fixture
def ticd_factory(tmp_path):
    f = Factory(tmp_path)
    yield f
    f.stop_all()


@pytest.fixture
def ticd(ticd_factory):
    """A running ticd of its own for one test."""
    return ticd_factory.started()


@pytest.fixture(scope="module")
def module_factory(tmp_path_factory, request):
    f = Factory(tmp_path_factory.mktemp(request.module.__name__))
    yield f
    f.stop_all()


# ---- time and mail (issue 5) ----

def faketime_env(start, speed=1):
    """libfaketime from "YYYY-MM-DD HH:MM:SS" (Asia/Shanghai), ticking;
    speed times as fast as ours (its sleeps and waits shortened alike)."""
    asan = os.environ.get("ASAN_OPTIONS", "")
    asan = (asan + ":" if asan else "") + "verify_asan_link_order=0"
    fake = "@" + start + (" x%d" % speed if speed != 1 else "")
    return {"LD_PRELOAD": FAKETIME_LIB, "FAKETIME": fake,
            "FAKETIME_NO_CACHE": "1", "TZ": "Asia/Shanghai",
            "ASAN_OPTIONS": asan}


class SmtpSink:
    """A real SMTP server (aiosmtpd) on 127.0.0.1, in this process.

    received: (mail_from, [rcpt], bytes) of every message accepted.
    replies: what DATA answers next, one entry per message, e.g.
    "451 4.3.0 try later" (empty: "250 OK").  delay: seconds DATA sleeps
    after keeping a message and before answering.  down()/up() stop and
    start listening on the same port.  sessions: for every message
    accepted, (TLS in use, the login it authenticated as or None)."""

    def __init__(self, port=None, **controller_kw):
        self.port = port or free_port()
        self.received = []
        self.sessions = []
        self.replies = []
        self.delay = 0.0
        self.data_started = 0
        self.kw = controller_kw
        self.controller = None
        self.held = None	# the port's socket while down

    async def handle_DATA(self, server, session, envelope):
        import asyncio
        self.data_started += 1
        if self.replies:
            return self.replies.pop(0)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos),
                              envelope.original_content))
        login = None
        if session.authenticated:
            login = session.auth_data.login.decode()
        self.sessions.append((session.ssl is not None, login))
        if self.delay:
            await asyncio.sleep(self.delay)
        return "250 2.0.0 OK queued"

    def up(self):
        from aiosmtpd.controller import Controller
        if self.held is not None:
            self.held.close()
            self.held = None
        self.controller = Controller(self, hostname="127.0.0.1",
                                     port=self.port, **self.kw)
        self.controller.start()

    def down(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
            # The port kept while down: bound, not listening, it refuses
            # connections as a server that is down does, and no outgoing
            # connection of the machine's is given it before up().
            held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            held.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                held.bind(("127.0.0.1", self.port))
                self.held = held
            except OSError:
                held.close()

    def url(self):
        return "smtp://127.0.0.1:%d" % self.port

    def wait_for(self, n, timeout=30.0):
        """Waits (bounded) until n messages were received."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.received) < n:
            time.sleep(0.05)
        return len(self.received)


@pytest.fixture
def smtp_sink():
    sink = SmtpSink()
    sink.up()
    yield sink
    sink.down()


# ---- webhooks and chat robots (issue 6) ----
#
# Receivers on 127.0.0.1 that check what the real services check, each
# with its own implementation of the signature (hmac, hashlib, base64:
# nothing of ticd's), and answer as the services document: HTTP 200 with
# a JSON error code.  The real services are out of reach from a test.

import base64
import hashlib
import hmac
import json as _json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

WHSEC_TOLERANCE = 300		# Standard Webhooks: five minutes
ROBOT_TOLERANCE = 3600		# DingTalk and Feishu: an hour


def standard_signature(secret, msg_id, timestamp, body):
    """v1 of Standard Webhooks, from the specification."""
    key = base64.b64decode(secret[len("whsec_"):])
    signed = ("%s.%s." % (msg_id, timestamp)).encode() + body
    return base64.b64encode(hmac.new(key, signed, hashlib.sha256)
                            .digest()).decode()


def dingtalk_sign(secret, timestamp_ms):
    """DingTalk 加签: HMAC-SHA256 keyed by the secret over
    "timestamp\\nsecret", base64 (the caller URL-encodes it)."""
    mac = hmac.new(secret.encode(), ("%s\n%s" % (timestamp_ms, secret))
                   .encode(), hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


def feishu_sign(secret, timestamp):
    """Feishu 签名校验: HMAC-SHA256 keyed by "timestamp\\nsecret" over an
    empty message, base64."""
    mac = hmac.new(("%s\n%s" % (timestamp, secret)).encode(), b"",
                   hashlib.sha256)
    return base64.b64encode(mac.digest()).decode()


class FakeClock:
    """ticd's libfaketime clock as seen from here: its start, ticking with
    ours (speed times as fast, as faketime_env's) from the moment ticd was
    started."""

    def __init__(self, start=None):
        self.base = None
        self.speed = 1
        self.t0 = time.monotonic()
        self.tick0 = self.t0
        if start is not None:
            self.set(start)

    def set(self, start, speed=1):
        import datetime
        d = datetime.datetime.strptime(start, "%Y-%m-%d %H:%M:%S")
        d = d.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
        self.tick0 = self.ticks()	# ticks go on across a change of speed
        self.base = d.timestamp()
        self.speed = speed
        self.t0 = time.monotonic()

    def now(self):
        if self.base is None:
            return time.time()
        return self.base + (time.monotonic() - self.t0) * self.speed

    def ticks(self):
        """A monotonic reading in ticd's seconds (a receiver's windows)."""
        return self.tick0 + (time.monotonic() - self.t0) * self.speed


class Received:
    """One request as it arrived, and what the receiver thought of it."""

    def __init__(self, path, query, headers, body, at):
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.at = at			# FakeClock.ticks(): ticd's seconds
        self.ok = None			# the receiver's own check passed
        self.why = None
        self.answer = None

    def json(self):
        return _json.loads(self.body.decode("utf-8"))


class Receiver:
    """An HTTP server on 127.0.0.1 in threads of this process.

    script: what to do with the next requests, one entry each, before the
    receiver's own answer: an int status (with an empty body), a tuple
    (status, body, headers), or ("hang", seconds) to answer only after that
    long.  Every request is kept in received, checks and all; most_open:
    the most requests it was answering at once."""

    def __init__(self, clock=None):
        self.clock = clock or FakeClock()
        self.received = []
        self.script = []
        self.lock = threading.Lock()
        self.open = 0
        self.most_open = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                path, _, qs = self.path.partition("?")
                rec = Received(path, urllib.parse.parse_qs(
                    qs, keep_blank_values=True), self.headers, body,
                    receiver.clock.ticks())
                status, out, headers = receiver.respond(rec)
                data = out if isinstance(out, bytes) else \
                    _json.dumps(out, ensure_ascii=False).encode()
                rec.answer = (status, data)
                try:
                    self.send_response(status)
                    for k, v in (headers or {}).items():
                        self.send_header(k, v)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass	# the client gave up (a timeout)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever,
                                       kwargs={"poll_interval": 0.1},
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def respond(self, rec):
        with self.lock:
            self.received.append(rec)
            step = self.script.pop(0) if self.script else None
            self.open += 1
            self.most_open = max(self.most_open, self.open)
        try:
            return self.answer(rec, step)
        finally:
            with self.lock:
                self.open -= 1

    def answer(self, rec, step):
        if isinstance(step, tuple) and step[0] == "hang":
            time.sleep(step[1])
            step = None
        if isinstance(step, int):
            return step, b"", None
        if isinstance(step, tuple):
            return step[0], step[1], step[2] if len(step) > 2 else None
        return self.check(rec)

    def check(self, rec):
        raise NotImplementedError

    def accepted(self):
        return [r for r in self.received if r.ok]

    def wait_for(self, n, timeout=30.0):
        """Waits (bounded) until n requests were accepted."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and len(self.accepted()) < n:
            time.sleep(0.05)
        return len(self.accepted())


class StandardReceiver(Receiver):
    """A Standard Webhooks consumer: webhook-id, -timestamp within five
    minutes of its clock, a v1 signature; 204 when all hold, else 400."""

    def __init__(self, secret, clock=None):
        super().__init__(clock)
        self.secret = secret

    def check(self, rec):
        h = rec.headers
        msg_id = h.get("webhook-id")
        ts = h.get("webhook-timestamp")
        sigs = h.get("webhook-signature") or ""
        if not msg_id or not ts or not ts.isdigit():
            rec.ok, rec.why = False, "missing headers"
        elif abs(self.clock.now() - int(ts)) > WHSEC_TOLERANCE:
            rec.ok, rec.why = False, "timestamp out of tolerance"
        else:
            want = standard_signature(self.secret, msg_id, ts, rec.body)
            rec.ok = any(s.startswith("v1,") and hmac.compare_digest(
                s[3:], want) for s in sigs.split(" "))
            rec.why = None if rec.ok else "bad signature"
        if rec.ok and h.get("Content-Type", "").split(";")[0] != \
                "application/json":
            rec.ok, rec.why = False, "not JSON"
        return (204, b"", None) if rec.ok else (400, {"error": rec.why},
                                                None)


class RobotReceiver(Receiver):
    """What every robot shares: a rate limit per window, answered with its
    throttling code; a size limit; a JSON body."""

    limits = ()			# (count, seconds) pairs
    throttle = None		# the JSON answer when over a limit

    def over_limit(self, rec):
        for count, seconds in self.limits:
            recent = [r for r in self.received if r is not rec and
                      r.ok is not False and rec.at - r.at < seconds]
            if len(recent) >= count:
                return True
        return False

    def refuse(self, rec, why, answer):
        rec.ok, rec.why = False, why
        return 200, answer, None

    def check(self, rec):
        try:
            body = rec.json()
        except ValueError:
            return self.refuse(rec, "not JSON", self.bad_json())
        if self.over_limit(rec):
            return self.refuse(rec, "throttled", self.throttle)
        return self.check_robot(rec, body)


class WeComReceiver(RobotReceiver):
    """企业微信群机器人: ?key=KEY, msgtype markdown, content at most 4096
    bytes, 20 messages a minute (errcode 45009)."""

    limits = ((20, 60),)
    throttle = {"errcode": 45009, "errmsg": "api freq out of limit"}

    def __init__(self, key, clock=None):
        super().__init__(clock)
        self.key = key

    def bad_json(self):
        return {"errcode": 40000, "errmsg": "invalid json"}

    def path(self):
        return "/cgi-bin/webhook/send?key=" + self.key

    def check_robot(self, rec, body):
        if rec.query.get("key") != [self.key]:
            return self.refuse(rec, "key", {"errcode": 93000,
                                            "errmsg": "invalid webhook url"})
        md = body.get("markdown") or {}
        content = md.get("content")
        if body.get("msgtype") != "markdown" or not isinstance(content, str):
            return self.refuse(rec, "msgtype", {"errcode": 40008,
                                                "errmsg": "invalid msgtype"})
        if len(content.encode("utf-8")) > 4096:
            return self.refuse(rec, "too long", {
                "errcode": 40058, "errmsg": "markdown.content exceed max "
                "length 4096"})
        rec.ok = True
        return 200, {"errcode": 0, "errmsg": "ok"}, None


class DingTalkReceiver(RobotReceiver):
    """钉钉自定义机器人 with 加签: ?access_token=T&timestamp=MS&sign=S, the
    timestamp within an hour, the sign HMAC'd from the secret; msgtype
    markdown with title and text; 20 a minute (errcode 130101)."""

    limits = ((20, 60),)
    throttle = {"errcode": 130101, "errmsg": "send too fast, exceed 20 "
                "times per minute"}

    def __init__(self, token, secret, clock=None):
        super().__init__(clock)
        self.token = token
        self.secret = secret

    def bad_json(self):
        return {"errcode": 300001, "errmsg": "param error"}

    def path(self):
        return "/robot/send?access_token=" + self.token

    def check_robot(self, rec, body):
        q = rec.query
        if q.get("access_token") != [self.token]:
            return self.refuse(rec, "token", {"errcode": 300001,
                                              "errmsg": "token is not exist"})
        ts = (q.get("timestamp") or [""])[0]
        sign = (q.get("sign") or [""])[0]	# parse_qs URL-decoded it
        if not ts.isdigit() or abs(self.clock.now() * 1000 - int(ts)) > \
                ROBOT_TOLERANCE * 1000:
            return self.refuse(rec, "timestamp", {
                "errcode": 310000, "errmsg": "invalid timestamp"})
        if not hmac.compare_digest(sign, dingtalk_sign(self.secret, ts)):
            return self.refuse(rec, "sign", {"errcode": 310000,
                                             "errmsg": "sign not match"})
        md = body.get("markdown") or {}
        if body.get("msgtype") != "markdown" or not md.get("title") or \
                not md.get("text"):
            return self.refuse(rec, "msgtype", {"errcode": 400105,
                                                "errmsg": "msgtype error"})
        if len(rec.body) > 20000:
            return self.refuse(rec, "too long", {
                "errcode": 460101, "errmsg": "message too long"})
        rec.ok = True
        return 200, {"errcode": 0, "errmsg": "ok"}, None


class FeishuReceiver(RobotReceiver):
    """飞书自定义机器人 with 签名校验: timestamp (seconds, a string) and sign
    in the body, the timestamp within an hour; msg_type with its content or
    card; a body of at most 20 KB; 5 a second and 100 a minute (11232)."""

    limits = ((5, 1), (100, 60))
    throttle = {"code": 11232, "msg": "frequency limited", "data": {}}

    def __init__(self, token, secret, clock=None):
        super().__init__(clock)
        self.token = token
        self.secret = secret

    def bad_json(self):
        return {"code": 9499, "msg": "Bad Request", "data": {}}

    def path(self):
        return "/open-apis/bot/v2/hook/" + self.token

    def check_robot(self, rec, body):
        if rec.path != "/open-apis/bot/v2/hook/" + self.token:
            return self.refuse(rec, "token", {"code": 19001, "msg":
                                              "param invalid: incoming "
                                              "webhook access token invalid",
                                              "data": {}})
        ts = body.get("timestamp")
        if not isinstance(ts, str) or not ts.isdigit() or \
                abs(self.clock.now() - int(ts)) > ROBOT_TOLERANCE or \
                not hmac.compare_digest(body.get("sign") or "",
                                        feishu_sign(self.secret, ts)):
            return self.refuse(rec, "sign", {
                "code": 19021, "msg": "sign match fail or timestamp is not "
                "within one hour from current time", "data": {}})
        card = body.get("card") or {}
        if body.get("msg_type") != "interactive" or \
                not card.get("elements"):
            return self.refuse(rec, "msg_type", {"code": 9499,
                                                 "msg": "Bad Request",
                                                 "data": {}})
        if len(rec.body) > 20 * 1024:
            return self.refuse(rec, "too long", {
                "code": 9499, "msg": "request body too large", "data": {}})
        rec.ok = True
        return 200, {"code": 0, "msg": "success", "data": {}}, None


@pytest.fixture
def receivers():
    """Receivers made by the test, closed after it."""
    made = []

    def make(cls, *args, **kw):
        r = cls(*args, **kw)
        made.append(r)
        return r
    yield make
    for r in made:
        r.close()
