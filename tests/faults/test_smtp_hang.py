"""An SMTP server that accepts the connection and never answers.

ticd (the demo journal, three reminders due Tue 2026-12-01 09:00 under
libfaketime, as in tests/e2e/test_mail.py) sends to a raw socket server on
127.0.0.1 that accepts every connection and holds it without a byte of
greeting; `[mail] timeout = 5` (the smallest allowed).  While the three
sends hang, GET /healthz and GET /api/v1/deliveries are asked in a loop.
Then the hanging server is closed and a real aiosmtpd listens on the same
port.

Pass rule: during the hang every API request is answered 200 within 1 s
(the event loop is never held by the transfer); the three messages end in
`retrying` with a timeout error (last_error says so, attempts 1) in
GET /api/v1/deliveries and in `ticctl deliveries`; ticd is alive; once
aiosmtpd listens, each of the three recipients gets its message exactly
once and every row is `sent`.  Bounded: about 25 s, at most 90 s.
"""
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from support import e2e, poll_api_while  # noqa: E402

pytest.importorskip("aiosmtpd")
pytestmark = pytest.mark.skipif(not os.path.exists(e2e.FAKETIME_LIB),
                                reason="libfaketime is missing")

DAY = "2026-12-01"
FROM = "ticd@kjj.yq.example"
CONTACTS = [
    {"kind": "centre", "scope": "yq-006", "email": "a006@centre.example"},
    {"kind": "centre", "scope": "yq-009", "email": "b009@centre.example"},
    {"kind": "bureau", "email": "kjj@yq.example"},
]


class Hanger:
    """Accepts every connection on 127.0.0.1:port and never answers."""

    def __init__(self, port):
        self.lsock = socket.socket()
        self.lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsock.bind(("127.0.0.1", port))
        self.lsock.listen(64)
        self.held = []
        self.stop = False
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        self.lsock.settimeout(0.2)
        while not self.stop:
            try:
                s, _ = self.lsock.accept()
                self.held.append(s)
            except socket.timeout:
                continue
            except OSError:
                return

    def close(self):
        self.stop = True
        self.thread.join(5)
        self.lsock.close()
        for s in self.held:
            s.close()


def rows(t):
    r = t.get("/api/v1/deliveries")
    assert r.status == 200, r
    return [d for d in r.json()["deliveries"] if "|dead:" not in d["key"]]


def test_smtp_accepts_and_never_answers(ticd_factory):
    port = e2e.free_port()
    hang = Hanger(port)
    t = ticd_factory("ticd")
    t.write_conf(extra="[mail]\nfrom = %s\ntimeout = 5\nsmtp_url = "
                 "smtp://127.0.0.1:%d\nstarttls = no\n" % (FROM, port))
    t.token = t.make_token()
    t.start(env=e2e.faketime_env(DAY + " 08:59:56"),
            extra_args=["-i", str(e2e.DEMO_JOURNAL)])
    for c in CONTACTS:
        assert t.post("/api/v1/contacts", c).status == 201
    got, worst, hang_requests = poll_api_while(
        t, rows, lambda rs: len(rs) == 3 and
        all(r["state"] == "retrying" for r in rs))
    assert hang.held, "ticd never connected to the hanging server\n" \
        + t.log_text()
    assert len(got) == 3 and all(r["state"] == "retrying" for r in got), \
        (got, t.log_text())
    for r in got:
        assert r["attempts"] == 1, r
        assert "time" in (r["last_error"] or "").lower(), r
    assert worst < 1.0, worst
    assert t.proc.poll() is None
    p = subprocess.run([e2e.TICCTL,
                        "deliveries"], capture_output=True, timeout=30,
                       env=dict(t.env(), TICD_TOKEN=t.token, TICD_URL="http://127.0.0.1:%d" % t.port))
    ctl = p.stdout.decode("utf-8", "replace")
    print("ticctl deliveries rc=%d:\n%s%s" % (p.returncode, ctl,
                                             p.stderr.decode()))
    assert p.returncode == 0 and ctl.count("retrying") == 3 \
        and "Timeout" in ctl, ctl
    # A real server on the same port: the retry (about 5 s later) delivers.
    hang.close()
    sink = e2e.SmtpSink(port=port)
    sink.up()
    try:
        assert sink.wait_for(3, timeout=40) == 3, t.log_text()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            got = rows(t)
            if all(r["state"] == "sent" for r in got):
                break
            time.sleep(0.1)
        assert all(r["state"] == "sent" for r in got), got
        time.sleep(2)
        rcpts = [r for _, rs, _ in sink.received for r in rs]
        assert sorted(rcpts) == sorted(c["email"] for c in CONTACTS), rcpts
    finally:
        sink.down()
    assert t.proc.poll() is None
    print("smtp hang: %d API requests during the hang, slowest %.1f ms; "
          "held connections %d; errors %s; attempts at delivery %s"
          % (hang_requests, worst * 1000, len(hang.held),
             sorted({r["last_error"] for r in rows(t)} - {None}) or
             [r["last_error"] for r in got],
             [r["attempts"] for r in got]))
