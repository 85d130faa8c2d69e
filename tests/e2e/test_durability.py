"""
No acknowledged event is lost: across a clean stop (SIGTERM), a stop in
the middle of a stream of writes, and a crash (kill -9).  docs/api.md:
"The event is acknowledged only after its transaction commits."
"""
import http.client
import json
import signal
import socket
import sqlite3
import threading
import time

from conftest import (http_request, raw_reply, raw_request, ticctl_plan,
                      write_journal)


def registration(name, i):
    return {"type": "registered", "date": "2026-01-05", "centre": name,
            "id": "ev-%s" % name, "name": "中心 %d" % i,
            "unit": "城区科技局" if i % 2 else "郊区科技局"}


class Writers:
    """Threads that post registrations one after another until told to
    stop or the daemon stops answering; they remember every reply."""

    def __init__(self, ticd, nthreads=4, per_thread=400):
        self.ticd = ticd
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acked = {}		# id -> the event as stored (201)
        self.unavailable = set()	# ids answered 503
        self.other = []		# (id, status) of anything else
        self.failed = set()	# ids whose request got no reply
        self.threads = [threading.Thread(target=self.run, args=(w,
                        per_thread), daemon=True) for w in range(nthreads)]

    def run(self, w, n):
        for i in range(n):
            if self.stop.is_set():
                return
            ev = registration("w%d-%04d" % (w, i), i)
            try:
                r = http_request(self.ticd.url("/api/v1/events"), "POST",
                                 ev, self.ticd.token, timeout=10)
            except (OSError, http.client.HTTPException):
                with self.lock:
                    self.failed.add(ev["id"])
                return
            with self.lock:
                if r.status == 201:
                    self.acked[ev["id"]] = r.json()["event"]
                elif r.status == 503:
                    self.unavailable.add(ev["id"])
                else:
                    self.other.append((ev["id"], r.status, r.body))
            if r.status != 201:
                return

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def wait_acked(self, n, timeout=15.0):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                if len(self.acked) >= n:
                    return
            if not any(t.is_alive() for t in self.threads):
                break
            time.sleep(0.01)
        raise AssertionError("only %d event(s) acknowledged, other replies "
                             "%r" % (len(self.acked), self.other[:3]))

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(timeout=20)
        assert not any(t.is_alive() for t in self.threads)


def test_sigterm_restart_keeps_every_event(ticd):
    stored = [ticd.record(registration("c-%03d" % i, i)) for i in range(40)]
    stored += [ticd.record({"type": "applied", "date": "2026-02-0%d" % (i + 1),
                            "centre": "c-%03d" % i}) for i in range(5)]
    before = ticd.obligations()
    assert ticd.stop() == 0
    health = ticd.start()
    assert health["events"] == len(stored)
    listed = ticd.events()
    assert [e["event"] for e in listed] == stored
    assert [e["seq"] for e in listed] == list(range(1, len(stored) + 1))
    assert ticd.obligations() == before
    # And it goes on recording after the restart, with fresh ids.
    ev = ticd.record({"type": "applied", "date": "2026-03-02",
                      "centre": "c-010"})
    assert ev["id"] not in {e["id"] for e in stored}
    assert ticd.count() == len(stored) + 1


def check_store(ticd, w):
    listed = ticd.events()
    by_id = {e["event"]["id"]: e["event"] for e in listed}
    assert len(by_id) == len(listed), "an event is stored twice"
    lost = sorted(set(w.acked) - set(by_id))
    assert not lost, "acknowledged (201) but not stored after the " \
        "restart: %s" % lost[:10]
    for i, ev in w.acked.items():
        assert by_id[i] == ev
    stored_503 = sorted(w.unavailable & set(by_id))
    assert not stored_503, "answered 503 yet stored: %s" % stored_503
    assert ticd.count() == len(listed)
    # Whatever got no reply is either stored whole or not at all, and
    # nothing else is there.
    assert set(by_id) <= set(w.acked) | w.failed
    return listed


def test_sigterm_under_load_loses_no_acknowledged_event(ticd):
    with Writers(ticd) as w:
        w.wait_acked(60)
        rc = ticd.stop(signal.SIGTERM)
    assert rc == 0, ticd.log_text()
    assert not w.other, w.other[:3]
    ticd.start()
    listed = check_store(ticd, w)
    assert len(listed) >= 60


def test_kill9_under_load_loses_no_acknowledged_event(ticd):
    with Writers(ticd) as w:
        w.wait_acked(60)
        rc = ticd.stop(signal.SIGKILL)
    assert rc == -signal.SIGKILL
    assert not w.other, w.other[:3]
    ticd.start()
    listed = check_store(ticd, w)
    assert len(listed) >= 60
    # Still writable, and a second crash right after a write keeps it too.
    ev = ticd.record(registration("after-crash", 1))
    assert ticd.stop(signal.SIGKILL) == -signal.SIGKILL
    ticd.start()
    assert ticd.events()[-1]["event"] == ev


def test_stalled_clients_block_neither_others_nor_a_stop(ticd):
    """Half-sent requests (a client that stalls) do not hold up other
    clients, store nothing, and a SIGTERM still stops ticd promptly."""
    stalled = []
    for head in (b"POST /api/v1/events HTTP/1.1\r\nHost: x\r\n"
                 b"Authorization: Bearer " + ticd.token.encode() +
                 b"\r\nContent-Length: 200\r\n\r\n{\"type\":",
                 b"GET /healthz HTTP/1.1\r\nHost: x\r\n",
                 b"GE"):
        s = socket.create_connection(("127.0.0.1", ticd.port), timeout=5)
        s.sendall(head)
        stalled.append(s)
    try:
        for _ in range(3):
            assert ticd.healthz()["events"] == 0
        ticd.record(registration("while-stalled", 1))
        t0 = time.monotonic()
        assert ticd.stop() == 0, ticd.log_text()
        # Promptly: not after the stalled clients' timeouts (a minute);
        # 5 s leaves room for a loaded machine under ASan.
        assert time.monotonic() - t0 < 5
    finally:
        for s in stalled:
            s.close()
    ticd.start()
    assert [e["event"]["centre"] for e in ticd.events()] == ["while-stalled"]


class StoreLock:
    """Another process's write transaction on ticd's store (WAL): ticd's
    own commits find the store busy and fail, its reads go on."""

    def __init__(self, path):
        # Waits for ticd's own write if one is under way (a reminder's
        # top-up): the 503 under test is ticd's wait, not ours.
        self.db = sqlite3.connect(str(path), isolation_level=None,
                                  timeout=5)

    def __enter__(self):
        self.db.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *exc):
        self.db.execute("ROLLBACK")
        self.db.close()


def test_store_busy_503_stores_nothing(ticd):
    first = ticd.record(registration("s1", 1))
    events = ticd.events()
    plan = ticd.obligations()
    tokens = ticd.get("/api/v1/tokens").json()["tokens"]
    ev = {"type": "recognized", "date": "2026-02-02", "centre": "s1"}
    with StoreLock(ticd.db):
        r = ticd.post("/api/v1/events", ev)
        assert r.status == 503 and r.code == "unavailable", r
        # Reads still answer, and show nothing of it.
        assert ticd.events() == events
        assert ticd.count() == 1
        assert ticd.obligations() == plan
        r = ticd.post("/api/v1/tokens", {"role": "centre", "scope": "s1"})
        assert r.status == 503 and r.code == "unavailable", r
    assert ticd.get("/api/v1/tokens").json()["tokens"] == tokens
    # Once the store is free the same event is accepted, once.
    stored = ticd.record(ev)
    assert [e["event"] for e in ticd.events()] == [first, stored]
    ticd.restart()
    assert [e["event"] for e in ticd.events()] == [first, stored]
    assert ticd.get("/api/v1/centres/s1").json()["centre"]["state"] == \
        "recognized"


def together(ticd, requests):
    """The requests ({name: (method, event or None)}: an event POSTed, or
    GET /api/v1/obligations) sent while ticd is stopped (SIGSTOP), in
    order, so that it reads them in one turn when it goes on; their
    replies, by name."""
    ticd.send(signal.SIGSTOP)
    socks = {}
    try:
        for name, (method, event) in requests.items():
            if method == "POST":
                socks[name] = raw_request(ticd.port, "POST",
                                          "/api/v1/events", ticd.token,
                                          json.dumps(event).encode())
            else:
                socks[name] = raw_request(ticd.port, "GET",
                                          "/api/v1/obligations", ticd.token)
            time.sleep(0.05)
        time.sleep(0.2)
    finally:
        ticd.send(signal.SIGCONT)
    return {name: raw_reply(s) for name, s in socks.items()}


def test_failed_commit_leaves_no_trace_in_the_plan(ticd, tmp_path):
    """docs/api.md, 503: "the store could not commit; nothing was stored".
    A read served while the refused event waited for its commit must not
    leave that event in what ticd answers afterwards."""
    stored = [ticd.record(registration("p1", 1))]
    journal = tmp_path / "journal.jsonl"
    write_journal(journal, stored)
    want = ticctl_plan(journal, ticd.today())
    assert ticd.obligations()["obligations"] == want
    with StoreLock(ticd.db):
        # A reload makes ticd plan afresh on the next read.
        mark = ticd.log_size()
        ticd.send(signal.SIGHUP)
        ticd.wait_log("reloaded", mark)
        # Twice, ticd stopped while requests arrive, so that they are
        # read together when it goes on (two threads 50 ms apart made the
        # interleaving only on an idle machine): "a" and "x" (events) and
        # "g" (a read) in one turn, the events failing in one commit
        # after "g" was read with them pending; then, after that
        # rollback, "y" (an event) failing in a commit of its own with
        # "h" (a read) beside it.
        replies = together(ticd, {"a": ("POST", {
            "type": "applied", "date": "2026-02-02", "centre": "p1"}),
            "x": ("POST", {"type": "recognized", "date": "2026-02-03",
                           "centre": "p1"}), "g": ("GET", None)})
        replies.update(together(ticd, {"y": ("POST", {
            "type": "recognized", "date": "2026-02-04", "centre": "p1"}),
            "h": ("GET", None)}))
    for name in ("a", "x", "y"):
        assert replies[name][0] == 503, (name, replies[name])
    assert replies["g"][0] == 200 and replies["h"][0] == 200, replies
    assert [e["event"] for e in ticd.events()] == stored
    assert ticd.count() == 1
    got = ticd.obligations()["obligations"]
    assert got == want, "obligations after three 503s include an event " \
        "that was never stored: %r" % [o["key"] for o in got]
    centre = ticd.get("/api/v1/centres/p1").json()["centre"]
    assert centre["state"] != "recognized", centre


def test_start_waits_for_a_store_another_process_holds(ticd):
    """An administrator's sqlite3 shell holds the store (BEGIN EXCLUSIVE)
    while ticd starts: ticd waits for it instead of exiting, then serves
    every event it had."""
    import subprocess
    first = ticd.record(registration("w1", 1))
    assert ticd.stop() == 0
    shell = subprocess.Popen(["sqlite3", "-batch", str(ticd.db)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
    shell.stdin.write(b"BEGIN EXCLUSIVE;\nSELECT 'locked';\n")
    shell.stdin.flush()
    assert shell.stdout.readline().strip() == b"locked"
    ticd.new_port()
    ticd.start(wait=False)
    time.sleep(2)
    assert ticd.running(), "ticd gave up on a held store:\n" + \
        ticd.log_text()
    shell.stdin.write(b"COMMIT;\n.quit\n")
    shell.stdin.close()
    assert shell.wait(timeout=10) == 0
    ticd.wait_healthy()
    assert [e["event"] for e in ticd.events()] == [first]
    # Started, it waits only briefly again: a held store answers 503.
    with StoreLock(ticd.db):
        r = ticd.post("/api/v1/events", registration("w2", 2))
        assert r.status == 503, r


def test_events_read_in_the_same_turn_as_a_post_are_the_stored_ones(ticd):
    """A GET /events read in the same turn of ticd's loop as a POST (both
    waiting while ticd was stopped) ran before the POST's commit and read
    past the table of stored events: a garbage recorded_at, or a crash.
    64 events fill that table's first allocation exactly."""
    stored = [ticd.record(registration("c-%03d" % i, i)) for i in range(64)]
    ticd.send(signal.SIGSTOP)
    try:
        post = raw_request(ticd.port, "POST", "/api/v1/events", ticd.token,
                           json.dumps(registration("c-new", 99)).encode())
        time.sleep(0.2)
        get = raw_request(ticd.port, "GET", "/api/v1/events", ticd.token)
        time.sleep(0.2)
    finally:
        ticd.send(signal.SIGCONT)
    status, body = raw_reply(get)
    assert status == 200, (body, ticd.running(), ticd.log_text()[-2000:])
    assert raw_reply(post)[0] == 201
    listed = json.loads(body)["events"]
    # What was stored when the GET was answered: 64, or 65 if the
    # commit came first; each with its own seq and stamp.
    assert [e["event"] for e in listed][:64] == stored
    assert [e["seq"] for e in listed] == list(range(1, len(listed) + 1))
    assert all(e["recorded_at"].startswith("20") for e in listed)
    assert ticd.running() and ticd.count() == 65


def test_the_same_event_posted_again_is_200_and_stored_once(ticd):
    """A client retrying after a lost reply (its event may be committed)
    could not tell "already recorded" from a conflict: both were 422.
    The same event again under its id is 200 with the stored one; a
    different one under that id is still refused."""
    ev = registration("c-once", 1)
    first = ticd.post("/api/v1/events", ev)
    assert first.status == 201, first
    # The order of its fields does not matter.
    again = ticd.post("/api/v1/events", dict(reversed(list(ev.items()))))
    assert again.status == 200, again
    assert again.json() == first.json()
    assert ticd.count() == 1
    other = ticd.post("/api/v1/events", dict(ev, name="另一个中心"))
    assert other.status == 422 and "already used" in other.message, other
    # A retracted one is not "recorded": its id stays used.
    ticd.record({"type": "retracted", "date": ev["date"],
                 "event": ev["id"], "reason": "录入错误"})
    gone = ticd.post("/api/v1/events", ev)
    assert gone.status == 422, gone
    assert ticd.count() == 2


def test_a_retracted_registration_stays_listed_by_centre(ticd):
    """events?centre= answers 404 for a centre ticd does not know; one
    whose registration was retracted is known (its events are the audit
    trail) and still listed, marked retracted."""
    ev = ticd.record(registration("c-gone", 1))
    ticd.record({"type": "retracted", "date": ev["date"], "event": ev["id"],
                 "reason": "登记错误"})
    r = ticd.get("/api/v1/events?centre=c-gone")
    assert r.status == 200, r
    assert [(e["event"]["id"], e["retracted"]) for e in
            r.json()["events"]] == [(ev["id"], True)]
    assert ticd.get("/api/v1/events?centre=c-none").status == 404
