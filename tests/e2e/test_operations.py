"""
What docs/operations.md tells an administrator to do, done to a real ticd:
an online backup of the store with the sqlite3 shell while ticd runs and
records events (`.backup`, and `VACUUM INTO`), a restore by stopping ticd
and copying the backup back, and a bureau token made with `ticd -T` beside
a running daemon, which takes it on the next SIGHUP.
"""
import shutil
import signal
import sqlite3
import subprocess
from pathlib import Path

import pytest

from conftest import TICD, demo_events
from test_durability import Writers

SQLITE3 = shutil.which("sqlite3")


def sqlite3_shell(db, command, timeout=120):
    assert SQLITE3 is not None, "the sqlite3 shell is not installed " \
        "(make deps installs it)"
    p = subprocess.run([SQLITE3, str(db), command], capture_output=True,
                       text=True, timeout=timeout)
    assert p.returncode == 0 and p.stderr == "", p.stderr
    return p.stdout


def stored(db):
    """(seq, id) of every event in a store file, its schema version and
    the result of its integrity check."""
    con = sqlite3.connect("file:%s?mode=ro" % db, uri=True)
    try:
        rows = con.execute("SELECT seq, id FROM events ORDER BY seq") \
            .fetchall()
        version = con.execute("PRAGMA user_version").fetchone()[0]
        check = con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()
    return rows, version, check


def restore(ticd, backup):
    """docs/operations.md's restore: stop ticd, make sure no -wal or -shm
    of the old store is left, copy the backup over the store, start."""
    assert ticd.stop() == 0, ticd.log_text()
    for suffix in ("-wal", "-shm"):
        side = Path(str(ticd.db) + suffix)
        # A clean stop leaves none; after a crash they would have to go.
        assert not side.exists(), side
    shutil.copyfile(backup, ticd.db)
    return ticd.start()


@pytest.mark.parametrize("how", [".backup", "VACUUM INTO"])
def test_online_backup_while_recording_then_restore(ticd, tmp_path, how):
    demo_ids = {ticd.record(ev)["id"] for ev in demo_events()}
    backup = tmp_path / "ticd-backup.db"
    command = ".backup %s" % backup if how == ".backup" else \
        "VACUUM INTO '%s'" % backup
    with Writers(ticd, nthreads=2, per_thread=150) as w:
        w.wait_acked(20)
        with w.lock:
            acked_before = set(w.acked)
        sqlite3_shell(ticd.db, command)
        with w.lock:
            acked_after = len(w.acked)
        w.wait_acked(acked_after + 10)
    assert not w.other, w.other[:3]
    rows, version, check = stored(backup)
    assert check == "ok"
    live_rows, live_version, _ = stored(ticd.db)
    assert version == live_version and version > 0
    # A snapshot: a prefix of the journal, holding every event acknowledged
    # before the backup began, and only events that were acknowledged.
    assert rows == live_rows[:len(rows)]
    ids = {i for _, i in rows}
    assert demo_ids | acked_before <= ids
    assert ids - demo_ids <= set(w.acked)
    assert len(live_rows) > len(rows), "nothing was recorded after the " \
        "backup: the test proves nothing"

    health = restore(ticd, backup)
    assert health["events"] == len(rows)
    assert [(e["seq"], e["event"]["id"]) for e in ticd.events()] == rows
    # The tokens are in the store too: the old bureau token still works,
    # and recording goes on after the restored journal's last event.
    ev = ticd.record({"type": "registered", "date": "2026-01-05",
                      "centre": "after-restore", "name": "恢复后",
                      "unit": "城区科技局"})
    assert ticd.events()[-1]["seq"] == rows[-1][0] + 1
    assert ticd.events()[-1]["event"] == ev


def test_token_made_beside_a_running_ticd(ticd):
    """ticd -T on the live store; the daemon honours it after SIGHUP."""
    p = subprocess.run([TICD, "-c", str(ticd.conf), "-T"],
                       capture_output=True, text=True, timeout=30,
                       env=ticd.env())
    assert p.returncode == 0, p.stderr
    token = p.stdout.strip()
    assert token.startswith("tic_")
    assert ticd.get("/api/v1/centres", token=token).status == 401
    mark = ticd.log_size()
    ticd.send(signal.SIGHUP)
    ticd.wait_log("reloaded", mark)
    assert ticd.get("/api/v1/centres", token=token).status == 200
    labels = [t["label"] for t in ticd.get("/api/v1/tokens").json()["tokens"]]
    assert labels.count("ticd -T") == 2


def test_a_terminal_reads_ticd_without_journald_prefixes(ticd_factory):
    """journald's <N> level prefixes go where journald reads (a pipe or a
    file); an admin running ticd -T at a terminal reads plain lines."""
    import os
    import pty
    t = ticd_factory()
    master, slave = pty.openpty()
    try:
        p = subprocess.run([TICD, "-c", str(t.conf), "-T"],
                           stdout=subprocess.PIPE, stderr=slave, timeout=30,
                           env=t.env())
        os.close(slave)
        slave = None
        seen = b""
        for _ in range(100):		# bounded: the line is short
            try:
                chunk = os.read(master, 4096)
            except OSError:		# EIO once the terminal is drained
                break
            if not chunk:
                break
            seen += chunk
    finally:
        if slave is not None:
            os.close(slave)
        os.close(master)
    assert p.returncode == 0 and p.stdout.startswith(b"tic_")
    assert seen.decode().splitlines() == ["token 1 created (bureau)"], seen
    p = subprocess.run([TICD, "-c", str(t.conf), "-T"], capture_output=True,
                       timeout=30, env=t.env())
    assert p.stderr.decode().splitlines() == ["<6>token 2 created (bureau)"]


def test_the_store_and_spool_are_ticds_own(ticd_factory):
    """Run by hand, as under the unit (UMask=0077): the store (token
    hashes, contacts' addresses) is readable by ticd's user only, whatever
    the shell's umask (before: 0644, as sqlite creates it)."""
    import os
    import stat
    t = ticd_factory()
    t.start(argv_prefix=["sh", "-c", 'umask 022; exec "$@"', "sh"])
    t.stop()
    found = sorted(t.db.parent.glob("ticd.db*"))
    assert t.db in found, found
    for p in found:
        mode = stat.S_IMODE(os.stat(p).st_mode)
        assert mode & 0o077 == 0, (p, oct(mode))
