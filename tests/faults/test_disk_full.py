"""The disk full while recording.

ticd's store is on a small tmpfs of its own, mounted in a private mount
namespace (unshare -m) so that nothing of it is seen outside the test and
it goes away with the last process in it.  Events are recorded, then a
filler file takes every free block, and events go on arriving until the
store cannot grow.

Pass rule: every event is answered, 201 or 503 "the disk is full", never
anything else and never silence; ticd stays up and reads keep answering;
once the filler is removed events are accepted again without a restart;
after a clean stop PRAGMA integrity_check says ok and the store holds
exactly the events answered 201 (none answered 503, none lost).
"""
import os
import shutil
import signal
import subprocess
import time

import pytest

from support import Conn, TICD, integrity, stored_ids, env_scrubbed

FS_SIZE = "3m"
MAX_POSTS = 3000


def can_mount():
    if os.geteuid() != 0 or shutil.which("unshare") is None or \
            shutil.which("nsenter") is None:
        return False
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "sh",
                        "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"],
                       capture_output=True, timeout=20)
    return p.returncode == 0


class Namespace:
    """A holder process in a private mount namespace with a tmpfs at DIR;
    run() and popen() put commands inside it."""

    def __init__(self, where):
        self.dir = where
        where.mkdir(parents=True, exist_ok=True)
        self.holder = subprocess.Popen(
            ["unshare", "-m", "--propagation", "private", "sh", "-c",
             'mount -t tmpfs -o size=%s,mode=0700 tmpfs "$0" && '
             'echo mounted && exec sleep 600' % FS_SIZE, str(where)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        line = self.holder.stdout.readline()
        assert line.strip() == b"mounted", self.holder.stderr.read()

    def prefix(self):
        return ["nsenter", "-t", str(self.holder.pid), "-m", "--"]

    def run(self, argv, **kw):
        return subprocess.run(self.prefix() + argv, capture_output=True,
                              timeout=60, **kw)

    def popen(self, argv, **kw):
        return subprocess.Popen(self.prefix() + argv, **kw)

    def close(self):
        self.holder.kill()
        self.holder.wait(timeout=10)


@pytest.mark.skipif(not can_mount(), reason="needs root, unshare and "
                    "nsenter to mount a private tmpfs")
def test_disk_full_refuses_clearly_and_loses_nothing(tmp_path):
    ns = Namespace(tmp_path / "small")
    db = ns.dir / "ticd.db"
    log = tmp_path / "ticd.log"
    conf = tmp_path / "ticd.conf"
    port = __import__("support").free_port()
    conf.write_text("[ticd]\nlisten = 127.0.0.1:%d\ndatabase = %s\n"
                    "synchronous = full\nlog_level = info\n" % (port, db))
    proc = None
    try:
        p = ns.run([TICD, "-c", str(conf), "-T"], env=env_scrubbed())
        assert p.returncode == 0, p.stderr
        token = p.stdout.decode().strip()
        with open(log, "ab") as out:
            proc = ns.popen([TICD, "-c", str(conf)], stdout=out, stderr=out,
                            stdin=subprocess.DEVNULL, env=env_scrubbed())
        c = Conn(port)
        deadline = time.monotonic() + 10
        while True:
            try:
                status, body, _ = c.request("GET", "/healthz")
                if status == 200:
                    break
            except OSError:
                c.close()
            assert time.monotonic() < deadline, log.read_text()
            time.sleep(0.05)
        today = __import__("json").loads(body)["today"]
        acked, refused = [], []

        def post(i):
            ev = {"type": "registered", "date": today, "centre": "d%d" % i,
                  "name": "满盘测试中心 %d %s" % (i, "填" * 200),
                  "unit": "u1", "id": "full-%d" % i}
            status, body, _ = c.request("POST", "/api/v1/events", ev, token)
            if status == 201:
                acked.append(ev["id"])
            else:
                msg = __import__("json").loads(body)["error"]["message"]
                assert status == 503 and "disk is full" in msg, \
                    (status, body)
                refused.append(ev["id"])
            return status

        for i in range(20):
            assert post(i) == 201
        # Take every free block of the file system.
        filler = ns.dir / "filler"
        p = ns.run(["sh", "-c", 'dd if=/dev/zero of="$0" bs=4k 2>/dev/null;'
                    ' df -k "$1" | tail -1', str(filler), str(ns.dir)])
        i = 20
        while len(refused) < 5 and i < MAX_POSTS:
            post(i)
            i += 1
            if i % 50 == 0:
                status, _, _ = c.request("GET", "/api/v1/centres", None,
                                         token)
                assert status == 200
        assert refused, "the store never filled up (%d posts)" % i
        assert proc.poll() is None, "ticd died: " + log.read_text()
        assert c.request("GET", "/healthz")[0] == 200
        # Space again: accepted again, without a restart.
        assert ns.run(["rm", "-f", str(filler)]).returncode == 0
        more = [post(MAX_POSTS + k) for k in range(5)]
        assert more == [201] * 5, more
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0, log.read_text()
        proc = None
        assert integrity(db, ns.prefix()) == "ok"
        ids = stored_ids(db, ns.prefix())
        assert sorted(ids) == sorted(acked), \
            "stored %d, acknowledged %d" % (len(ids), len(acked))
        assert not set(refused) & set(ids)
        text = log.read_text()
        assert "database or disk is full" in text, text[-2000:]
        print("disk full: %d acknowledged, %d refused with 503, "
              "recovered after freeing space" % (len(acked), len(refused)))
    finally:
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
        ns.close()


@pytest.mark.skipif(not can_mount(), reason="needs root, unshare and "
                    "nsenter to mount a private tmpfs")
def test_a_start_on_a_full_or_read_only_disk_says_why(tmp_path):
    """A store that opens but cannot be set up (its WAL's files cannot be
    made) said only "disk I/O error" or "unable to open database file"
    (with an unrelated "No such file or directory"), every 5 s under
    Restart=on-failure: the system's reason is what the admin acts on."""
    ns = Namespace(tmp_path / "small")
    db = ns.dir / "ticd.db"
    conf = tmp_path / "ticd.conf"
    conf.write_text("[ticd]\nlisten = 127.0.0.1:%d\ndatabase = %s\n"
                    % (__import__("support").free_port(), db))
    try:
        assert ns.run([TICD, "-c", str(conf), "-T"],
                      env=env_scrubbed()).returncode == 0
        filler = ns.dir / "filler"
        ns.run(["sh", "-c", 'rm -f "$0-wal" "$0-shm"; dd if=/dev/zero '
                'of="$1" bs=4k 2>/dev/null; true', str(db), str(filler)])
        p = ns.run([TICD, "-c", str(conf)], env=env_scrubbed())
        assert p.returncode == 1
        assert "%s: disk I/O error: No space left on device" % db \
            in p.stderr.decode(), p.stderr
        assert ns.run(["sh", "-c", 'rm -f "$0" "$1-wal" "$1-shm" && '
                       'mount -o remount,ro "$2"', str(filler), str(db),
                       str(ns.dir)]).returncode == 0
        p = ns.run([TICD, "-c", str(conf)], env=env_scrubbed())
        assert p.returncode == 1
        assert "%s: unable to open database file: Read-only file system" \
            % db in p.stderr.decode(), p.stderr
    finally:
        ns.close()
