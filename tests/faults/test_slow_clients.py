"""200 slow clients holding connections while others are served.

100 clients send half a request and then one header byte every 0.5 s
(slowloris); 100 connect and send nothing.  Meanwhile 4 ordinary clients
make 400 requests (reads and writes).

Pass rule: every ordinary request is answered correctly, none takes more
than 1 s, the 200 slow connections are still open at the end (ticd did
not drop them early to cope, nor crash), and ticd stops cleanly.
"""
import socket
import threading
import time

from support import Conn, meeting, recognized, registered

SLOW = 200
ORDINARY = 4
EACH = 100


def test_slow_clients_do_not_starve_others(ticd):
    ticd.record(registered("s1"))
    ticd.record(recognized("s1"))
    today = ticd.today()
    slow = []
    for i in range(SLOW):
        s = socket.create_connection(("127.0.0.1", ticd.port), timeout=5)
        if i % 2 == 0:
            s.sendall(b"GET /api/v1/centres HTTP/1.1\r\nHost: x\r\n")
        slow.append(s)
    stop = threading.Event()

    def drip():
        n = 0
        while not stop.wait(0.5):
            for s in slow[::2]:
                try:
                    s.sendall(b"X-Slow-%d: 1\r\n" % n)
                except OSError:
                    pass
            n += 1

    dripper = threading.Thread(target=drip, daemon=True)
    dripper.start()
    worst = []
    errors = []

    def ordinary(k):
        c = Conn(ticd.port, timeout=5)
        slowest = 0.0
        try:
            for i in range(EACH):
                t0 = time.monotonic()
                if i % 4 == 0:
                    st, body, _ = c.request(
                        "POST", "/api/v1/events",
                        meeting("s1", today, "ok-%d-%d" % (k, i)),
                        ticd.token)
                    ok = st == 201
                else:
                    st, body, _ = c.request("GET", "/api/v1/obligations",
                                            None, ticd.token)
                    ok = st == 200
                slowest = max(slowest, time.monotonic() - t0)
                if not ok:
                    errors.append((st, body[:200]))
        except OSError as e:
            errors.append(repr(e))
        worst.append(slowest)

    threads = [threading.Thread(target=ordinary, args=(k,))
               for k in range(ORDINARY)]
    t0 = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    took = time.monotonic() - t0
    stop.set()
    dripper.join(timeout=5)
    assert not errors, errors[:5]
    assert len(worst) == ORDINARY
    assert max(worst) < 1.0, "slowest ordinary request %.3f s" % max(worst)
    # The slow ones are still connected: nothing was answered to them yet
    # (and ticd has not closed them).
    still = 0
    for s in slow:
        s.setblocking(False)
        try:
            data = s.recv(1)
            still += 0 if data == b"" else 1
        except BlockingIOError:
            still += 1
        except OSError:
            pass
    assert still == SLOW, "%d of %d slow connections left" % (still, SLOW)
    for s in slow:
        s.close()
    print("slow clients: %d held, %d ordinary requests in %.2f s, slowest "
          "%.1f ms" % (SLOW, ORDINARY * EACH, took, max(worst) * 1000))
