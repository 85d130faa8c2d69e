"""
systemd notification (Type=notify, WatchdogSec): READY=1 once serving,
WATCHDOG=1 at half the watchdog interval, RELOADING=1 then READY=1 around
a SIGHUP, STOPPING=1 on SIGTERM.  The notify socket is emulated with a
Unix datagram socket bound here.
"""
import os
import signal
import socket
import tempfile
import time

import pytest

# Starts ticd through sh so that WATCHDOG_PID can name the process that
# ticd will be: sh execs it, keeping the pid.
WRAPPER = ["sh", "-c", 'export WATCHDOG_PID=$$; exec "$0" "$@"']


class NotifySocket:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ticd-notify-", dir="/tmp")
        self.path = os.path.join(self.dir, "notify.sock")
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.messages = []	# (monotonic time, {field: value})

    def close(self):
        self.sock.close()
        os.unlink(self.path)
        os.rmdir(self.dir)

    def receive(self, timeout):
        self.sock.settimeout(max(timeout, 0.001))
        try:
            data = self.sock.recv(4096)
        except socket.timeout:
            return None
        fields = dict(line.split("=", 1) for line in
                      data.decode("utf-8").split("\n") if "=" in line)
        self.messages.append((time.monotonic(), fields))
        return fields

    def wait_for(self, predicate, timeout=10.0):
        """Messages until one satisfies predicate (bounded)."""
        deadline = time.monotonic() + timeout
        seen = []
        while time.monotonic() < deadline:
            m = self.receive(deadline - time.monotonic())
            if m is None:
                break
            seen.append(m)
            if predicate(m):
                return seen
        raise AssertionError("no such notification within %.0f s; got %r"
                             % (timeout, seen))


@pytest.fixture
def notify():
    n = NotifySocket()
    yield n
    n.close()


def not_watchdog(seen):
    return [m for m in seen if m.get("WATCHDOG") != "1"]


def test_ready_watchdog_reload_stopping(ticd_factory, notify):
    t = ticd_factory()
    t.token = t.make_token()
    t.start(env={"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "1000000"},
            argv_prefix=WRAPPER, wait=False)
    seen = notify.wait_for(lambda m: m.get("READY") == "1")
    # READY=1 comes once ticd answers, with a status line.
    assert t.healthz()["status"] == "ok"
    assert "STATUS" in seen[-1] and "listening on 127.0.0.1:%d" % t.port \
        in seen[-1]["STATUS"], seen
    assert not_watchdog(seen[:-1]) == []

    # WATCHDOG=1 about every 0.5 s (half of WATCHDOG_USEC): counted over
    # 3 s, since the gaps this process reads them at are its own under
    # load (two pings queued read back to back, one read late).
    ticks = 0
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        m = notify.receive(deadline - time.monotonic())
        if m is not None:
            assert m == {"WATCHDOG": "1"}, m
            ticks += 1
    assert 4 <= ticks <= 8, "watchdog pings: %d in 3 s" % ticks

    # SIGHUP: RELOADING=1, then READY=1.
    t.send(signal.SIGHUP)
    seen = not_watchdog(notify.wait_for(lambda m: m.get("READY") == "1"))
    assert [m.get("RELOADING") for m in seen[:1]] == ["1"], seen
    assert seen[-1].get("READY") == "1" and len(seen) == 2, seen
    assert "reloaded at " in seen[-1].get("STATUS", ""), seen
    assert t.healthz()["status"] == "ok"

    # A broken reload still ends with READY=1 (the old one is kept), and
    # says so in the status systemctl status shows: systemctl reload
    # itself says nothing (its kill -HUP went).
    t.write_conf(t.conf_text() + "not a setting\n")
    t.send(signal.SIGHUP)
    seen = not_watchdog(notify.wait_for(lambda m: m.get("READY") == "1"))
    assert [m.get("RELOADING") for m in seen] == ["1", None], seen
    assert "reload failed at " in seen[-1].get("STATUS", "") and \
        "the old configuration stays" in seen[-1]["STATUS"], seen
    t.write_conf()

    # SIGTERM: STOPPING=1, then a clean exit.
    t.send(signal.SIGTERM)
    notify.wait_for(lambda m: m.get("STOPPING") == "1")
    assert t.proc.wait(timeout=10) == 0


def test_no_watchdog_for_another_pid(ticd_factory, notify):
    """WATCHDOG_PID naming another process: READY=1 but no pings."""
    t = ticd_factory()
    t.token = t.make_token()
    t.start(env={"NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000",
                 "WATCHDOG_PID": str(os.getpid())}, wait=False)
    notify.wait_for(lambda m: m.get("READY") == "1")
    t.wait_healthy()
    assert notify.receive(1.0) is None
    t.send(signal.SIGTERM)
    notify.wait_for(lambda m: m.get("STOPPING") == "1")
    assert t.proc.wait(timeout=10) == 0
