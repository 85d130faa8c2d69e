"""Clients that hold every file descriptor ticd may open hold up nothing
else, and once they let go ticd answers again.

Pass rule: ticd run with at most 64 open files (prlimit) and 100 idle
connections to it, over 3 seconds: the log says so once, clearly (no
flood of libevent warnings), ticd does not spin (it used a full CPU
before: libevent 2.1's listener retried accept() at once), and when the
connections close a request is answered 200.
"""
import os
import shutil
import socket
import time

import pytest

from support import e2e

pytestmark = pytest.mark.skipif(shutil.which("prlimit") is None,
                                reason="prlimit (util-linux) is missing")

LIMIT = 64
CLIENTS = 100


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def open_files(pid):
    return len(os.listdir("/proc/%d/fd" % pid))


def test_out_of_file_descriptors_pauses_accepting(tmp_path):
    t = e2e.Ticd(tmp_path / "ticd")
    t.token = t.make_token()
    t.start(argv_prefix=["prlimit", "--nofile=%d:%d" % (LIMIT, LIMIT)])
    mark = t.log_size()
    clients = []
    try:
        for _ in range(CLIENTS):
            clients.append(socket.create_connection(("127.0.0.1", t.port),
                                                    timeout=5))
        deadline = time.monotonic() + 10
        while open_files(t.proc.pid) < LIMIT and \
                time.monotonic() < deadline:
            time.sleep(0.05)
        assert open_files(t.proc.pid) == LIMIT, "the limit was never reached"
        before = cpu_seconds(t.proc.pid)
        time.sleep(3)
        used = cpu_seconds(t.proc.pid) - before
        log = t.log_text(mark)
        warnings = [line for line in log.splitlines() if "accept" in line]
        assert len(warnings) == 1, log[-2000:]
        assert "Too many open files" in warnings[0] and \
            "no new connection for 1 s" in warnings[0], warnings[0]
        # A busy loop uses the whole 3 s; a paused listener next to none.
        assert used < 1.5, "ticd spun: %.2f s of CPU in 3 s" % used
    finally:
        for c in clients:
            c.close()
    deadline = time.monotonic() + 10
    status = None
    while time.monotonic() < deadline:
        try:
            status = t.get("/api/v1/centres").status
            break
        except OSError:
            time.sleep(0.1)
    assert status == 200
    assert t.proc.poll() is None
    t.stop()


def test_soft_limit_raised_to_the_hard_one(tmp_path):
    """systemd starts services with a soft limit of 1024 under a far higher
    hard one; ticd raises its own soft limit to the hard one."""
    t = e2e.Ticd(tmp_path / "ticd")
    t.start(argv_prefix=["prlimit", "--nofile=%d:%d" % (LIMIT, 4 * LIMIT)])
    try:
        with open("/proc/%d/limits" % t.proc.pid) as f:
            line = next(x for x in f if x.startswith("Max open files"))
        assert line.split()[3:5] == [str(4 * LIMIT)] * 2, line
    finally:
        t.stop()
