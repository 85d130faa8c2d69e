"""The database locked by another process.

A sqlite3 CLI process (not ticd's own library, not this process) opens
ticd's store and holds BEGIN EXCLUSIVE.

Pass rule: while it holds the lock every event is answered 503 "locked by
another process" within 2 s (ticd waits 250 ms for a lock, so its one loop
is never held long) and reads answer 200 within 1 s; once the lock is
released the same events are accepted; the store then holds exactly the
events answered 201 and PRAGMA integrity_check says ok.  A reload (SIGHUP)
meanwhile, with no reminder due, takes no write lock: the outbox says
nothing and the loop is not held.
"""
import signal
import subprocess
import time

from support import Conn, integrity, meeting, recognized, registered, \
    stored_ids


class CliLock:
    def __init__(self, db):
        self.p = subprocess.Popen(["sqlite3", "-batch", str(db)],
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        self.p.stdin.write(b"BEGIN EXCLUSIVE;\nSELECT 'locked';\n")
        self.p.stdin.flush()
        assert self.p.stdout.readline().strip() == b"locked", \
            self.p.stderr.read()

    def release(self):
        self.p.stdin.write(b"COMMIT;\n.quit\n")
        self.p.stdin.flush()
        self.p.stdin.close()
        assert self.p.wait(timeout=10) == 0


def test_locked_store_refuses_writes_quickly_and_serves_reads(ticd):
    ticd.record(registered("k1"))
    ticd.record(recognized("k1"))
    today = ticd.today()
    c = Conn(ticd.port)
    lock = CliLock(ticd.db)
    worst_write = worst_read = 0.0
    try:
        for i in range(10):
            t0 = time.monotonic()
            status, body, _ = c.request("POST", "/api/v1/events",
                                        meeting("k1", today, "lk-%d" % i),
                                        ticd.token)
            took = time.monotonic() - t0
            assert status == 503, body
            assert b"locked by another process" in body, body
            assert took < 2.0, "a refused write took %.2f s" % took
            worst_write = max(worst_write, took)
            t0 = time.monotonic()
            status, _, _ = c.request("GET", "/api/v1/obligations", None,
                                     ticd.token)
            took = time.monotonic() - t0
            assert status == 200 and took < 1.0
            worst_read = max(worst_read, took)
        # A reload wakes the delivery engine (notify_kick): with nothing
        # due it must not wait for the write lock, nor warn.
        offset = ticd.log_size()
        ticd.send(signal.SIGHUP)
        ticd.wait_log("reloaded", offset)
        t0 = time.monotonic()
        status, _, _ = c.request("GET", "/healthz")
        after_reload = time.monotonic() - t0
        assert status == 200 and after_reload < 0.2, after_reload
        time.sleep(0.5)
        assert "not written yet" not in ticd.log_text(offset), \
            ticd.log_text(offset)
    finally:
        lock.release()
    for i in range(10):
        status, body, _ = c.request("POST", "/api/v1/events",
                                    meeting("k1", today, "lk-%d" % i),
                                    ticd.token)
        assert status == 201, body
    assert ticd.stop() == 0
    ids = stored_ids(ticd.db)
    assert ids[2:] == ["lk-%d" % i for i in range(10)], ids
    assert integrity(ticd.db) == "ok"
    print("locked store: 10 writes refused 503 (slowest %.0f ms), reads "
          "200 (slowest %.1f ms), a reload held nothing (/healthz %.1f ms "
          "after it), all 10 accepted after the lock"
          % (worst_write * 1000, worst_read * 1000, after_reload * 1000))
