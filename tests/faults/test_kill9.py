"""kill -9 in a loop under mixed load.

100 times: ticd starts on the same store, 4 writers post events with ids
of their own and 2 readers ask for obligations, centres and events; after
a random 30-250 ms ticd is killed with SIGKILL.  A writer whose event got
no answer (the kill came first) sends the same event, same id, again
after the restart: ticd answers 201 (it was not stored) or 200 with the
stored event (it was: the same event under its id is recorded once).

Pass rule: every event answered 201 is in the store after the last
restart, exactly once; no id appears twice (duplicates only as the same
id, which ticd answers 200 without storing it again); the store holds
nothing but acknowledged events
and retried ones; PRAGMA integrity_check says ok.  FAULT_KILLS changes
the count (default 100).
"""
import os
import random
import signal
import threading
import time

from support import Conn, integrity, meeting, recognized, registered, \
    stored_ids

KILLS = int(os.environ.get("FAULT_KILLS", "100"))
WRITERS = 4
READERS = 2


class Load:
    def __init__(self, ticd, today, token):
        self.ticd = ticd
        self.today = today
        self.token = token
        self.acked = set()
        self.duplicate = set()	# retried, found already stored
        self.uncertain = {}	# id -> event, no answer yet
        self.next = 0
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.errors = []

    def new_id(self, w):
        with self.lock:
            self.next += 1
            return "k9-%d-%d" % (w, self.next)

    def writer(self, w):
        c = Conn(self.ticd.port, timeout=5)
        retry = [e for i, e in sorted(self.uncertain.items())
                 if int(i.split("-")[1]) == w]
        while not self.stop.is_set():
            ev = retry.pop(0) if retry else meeting(
                "k1", self.today, self.new_id(w))
            with self.lock:
                self.uncertain[ev["id"]] = ev
            try:
                st, body, _ = c.request("POST", "/api/v1/events", ev,
                                        self.token)
            except OSError:
                return	# killed: the event stays uncertain
            with self.lock:
                del self.uncertain[ev["id"]]
                if st == 201:
                    self.acked.add(ev["id"])
                elif st == 200 and ('"id":"%s"' % ev["id"]).encode() \
                        in body:
                    # Stored before the kill: the same event again is
                    # answered with the stored one, not stored twice.
                    self.duplicate.add(ev["id"])
                else:
                    self.errors.append((st, body[:200]))

    def reader(self):
        c = Conn(self.ticd.port, timeout=5)
        paths = ["/api/v1/obligations", "/api/v1/centres",
                 "/api/v1/events?centre=k1", "/metrics", "/healthz"]
        i = 0
        while not self.stop.is_set():
            try:
                st, _, _ = c.request("GET", paths[i % len(paths)], None,
                                     self.token)
            except OSError:
                return
            if st != 200:
                self.errors.append(("read", st))
            i += 1


def test_kill9_loop_loses_no_acknowledged_event(ticd):
    ticd.write_conf(ticd.conf_text().replace("synchronous = full",
                                             "synchronous = normal"))
    ticd.restart()
    ticd.record(registered("k1"))
    ticd.record(recognized("k1"))
    load = Load(ticd, ticd.today(), ticd.token)
    rng = random.Random(7)
    for k in range(KILLS):
        load.stop.clear()
        threads = [threading.Thread(target=load.writer, args=(w,))
                   for w in range(WRITERS)] + \
            [threading.Thread(target=load.reader) for _ in range(READERS)]
        for t in threads:
            t.start()
        time.sleep(rng.uniform(0.03, 0.25))
        ticd.proc.send_signal(signal.SIGKILL)
        ticd.proc.wait(timeout=10)
        load.stop.set()
        for t in threads:
            t.join(timeout=20)
            assert not t.is_alive()
        ticd.start()
    # The last round: no kill, every uncertain event settled.
    load.stop.clear()
    threads = [threading.Thread(target=load.writer, args=(w,))
               for w in range(WRITERS)]
    for t in threads:
        t.start()
    time.sleep(0.2)
    load.stop.set()
    for t in threads:
        t.join(timeout=20)
    assert not load.uncertain, load.uncertain
    assert not load.errors, load.errors[:5]
    assert ticd.stop() == 0
    ids = stored_ids(ticd.db)
    assert len(ids) == len(set(ids)), "an id stored twice"
    mine = [i for i in ids if i.startswith("k9-")]
    missing = load.acked - set(mine)
    assert not missing, "acknowledged but lost: %s" % sorted(missing)[:10]
    extra = set(mine) - load.acked - load.duplicate
    assert not extra, "stored but never acknowledged nor retried: %s" % \
        sorted(extra)[:10]
    assert integrity(ticd.db) == "ok"
    print("kill -9: %d kills, %d events acknowledged, %d retried and found "
          "stored (same id), store intact" % (KILLS, len(load.acked),
                                               len(load.duplicate)))
