"""What the fault suite, the soak and the security tests share.

tests/e2e/conftest.py is the one place that knows how to start a ticd,
write its configuration, make tokens and speak HTTP; it is loaded here
under another module name (two modules called conftest would collide) and
its names are re-exported.  What is added: a raw HTTP/1.1 client for load
(one socket, keep-alive, its own timeouts), reading a process's resident
memory, and sqlite checks with the sqlite3 CLI.
"""
import importlib.util
import json
import os
import socket
import subprocess
import time
from pathlib import Path

_E2E = Path(__file__).resolve().parents[1] / "e2e" / "conftest.py"
_spec = importlib.util.spec_from_file_location("ticd_e2e_support", _E2E)
e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e)

Ticd = e2e.Ticd
Factory = e2e.Factory
http_request = e2e.http_request
TICD = e2e.TICD
REPO = e2e.REPO
free_port = e2e.free_port


class Conn:
    """One keep-alive HTTP/1.1 connection to ticd, with a deadline per
    request.  request() returns (status, body bytes, headers dict) or
    raises OSError/TimeoutError when ticd does not answer in time."""

    def __init__(self, port, timeout=5.0):
        self.port = port
        self.timeout = timeout
        self.sock = None
        self.buf = b""

    def connect(self):
        self.close()
        self.sock = socket.create_connection(("127.0.0.1", self.port),
                                             timeout=self.timeout)
        self.buf = b""

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None

    def _read_until(self, marker):
        while marker not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("ticd closed the connection")
            self.buf += chunk

    def request(self, method, path, body=None, token=None, headers=None):
        if self.sock is None:
            self.connect()
        data = b"" if body is None else (
            body if isinstance(body, bytes) else
            json.dumps(body, ensure_ascii=False).encode())
        head = ["%s %s HTTP/1.1" % (method, path), "Host: 127.0.0.1"]
        if token:
            head.append("Authorization: Bearer " + token)
        if body is not None:
            head.append("Content-Type: application/json")
            head.append("Content-Length: %d" % len(data))
        for k, v in (headers or {}).items():
            head.append("%s: %s" % (k, v))
        self.sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        self._read_until(b"\r\n\r\n")
        raw, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = raw.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        hdrs = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            hdrs[k.strip().lower()] = v.strip()
        n = int(hdrs.get("content-length", "0"))
        if method == "HEAD":
            n = 0
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("ticd closed the connection mid-body")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        if hdrs.get("connection", "").lower() == "close":
            self.close()
        return status, out, hdrs


def poll_api_while(t, rows, done, timeout=40):
    """Asks GET /healthz and GET /api/v1/deliveries, each answered 200, on
    one kept connection in a loop until done(rows(t)) holds (or timeout
    seconds pass): the API as a client sees it while deliveries are held
    up.  Returns (the last rows, the slowest answer in s, requests)."""
    c = Conn(t.port, timeout=5)
    worst, asked, got = 0.0, 0, []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for path, tok in (("/healthz", None),
                          ("/api/v1/deliveries", t.token)):
            t0 = time.monotonic()
            st, _, _ = c.request("GET", path, token=tok)
            worst = max(worst, time.monotonic() - t0)
            asked += 1
            assert st == 200, (path, st)
        got = rows(t)
        if done(got):
            break
        time.sleep(0.02)
    return got, worst, asked


def rss_kib(pid):
    """Resident memory of a process, KiB (VmRSS)."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for %d" % pid)


def sqlite(db, sql, prefix=()):
    """Runs SQL with the sqlite3 CLI (optionally inside a namespace via
    prefix) and returns its output."""
    p = subprocess.run(list(prefix) + ["sqlite3", "-batch", str(db), sql],
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr.decode(errors="replace")
    return p.stdout.decode().strip()


def stored_ids(db, prefix=()):
    out = sqlite(db, "SELECT id FROM events ORDER BY seq", prefix)
    return out.split("\n") if out else []


def integrity(db, prefix=()):
    return sqlite(db, "PRAGMA integrity_check", prefix)


def meeting(centre, day, eid=None):
    ev = {"type": "expert_meeting_held", "date": day, "centre": centre}
    if eid is not None:
        ev["id"] = eid
    return ev


def registered(centre, day="2025-01-02", unit="u1"):
    return {"type": "registered", "date": day, "centre": centre,
            "name": "中心 " + centre, "unit": unit}


def recognized(centre, day="2025-02-03"):
    return {"type": "recognized", "date": day, "centre": centre}


class Timer:
    def __init__(self):
        self.t0 = time.monotonic()

    def __call__(self):
        return time.monotonic() - self.t0


def env_scrubbed():
    return {k: v for k, v in os.environ.items() if k not in e2e._SCRUB}
