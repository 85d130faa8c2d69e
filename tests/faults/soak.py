#!/usr/bin/python3
"""make soak: ticd under steady load for a while (default 30 minutes);
its resident memory must grow less than 5% after the warm-up (the first
five minutes, or a sixth of a shorter run).

Steady load means a data set that does not grow: ticd keeps every
accepted event in memory by design (the journal and its plan), so a load
that adds events grows memory by exactly that; the soak is about leaks
and fragmentation, so its writes are refused events (unknown type, a date
after today, an id already used) and contacts added and removed, beside
reads of every route.  Tokens are made and revoked too, but rarely (one
every 25 s): a revoked token's row is kept in the store for the record,
and sqlite's page cache holds those pages (about 240 bytes a token, up to
its 2 MiB cache), which is data, not a leak.  A few events are
accepted during the warm-up so that the journal is not empty.

Pass rule: every request answered with its expected status; resident
memory (VmRSS) at every sample after the warm-up within 5% of the sample
at its end; ticd stops cleanly.  Prints the figures and writes them as
JSON to --out.
"""
import argparse
import json
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support import Conn, free_port, rss_kib, env_scrubbed  # noqa: E402

RATE = 60	# requests per second, all clients together
CLIENTS = 3


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ticd", default="build/bin/ticd")
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--out", default="build/soak.json")
    args = ap.parse_args()
    total = args.minutes * 60
    warm = min(300.0, total / 6)
    work = Path(tempfile.mkdtemp(prefix="ticd-soak-"))
    port = free_port()
    conf = work / "ticd.conf"
    conf.write_text("[ticd]\nlisten = 127.0.0.1:%d\ndatabase = %s\n"
                    "synchronous = normal\nlog_level = warning\n"
                    % (port, work / "ticd.db"))
    env = env_scrubbed()
    token = subprocess.run([args.ticd, "-c", str(conf), "-T"], env=env,
                           capture_output=True, check=True,
                           timeout=30).stdout.decode().strip()
    log = open(work / "ticd.log", "ab")
    proc = subprocess.Popen([args.ticd, "-c", str(conf)], stdout=log,
                            stderr=log, stdin=subprocess.DEVNULL, env=env)
    c = Conn(port)
    for _ in range(200):
        try:
            st, body, _ = c.request("GET", "/healthz")
            if st == 200:
                break
        except OSError:
            c.close()
        time.sleep(0.05)
    today = json.loads(body)["today"]
    for i in range(10):
        for ev in ({"type": "registered", "date": "2025-01-02",
                    "centre": "s%d" % i, "name": "浸泡中心 %d" % i,
                    "unit": "u%d" % (i % 3)},
                   {"type": "recognized", "date": "2025-02-03",
                    "centre": "s%d" % i}):
            st, body, _ = c.request("POST", "/api/v1/events", ev, token)
            assert st == 201, body
    st, body, _ = c.request("POST", "/api/v1/events",
                            {"type": "expert_meeting_held", "date": today,
                             "centre": "s0", "id": "soak-used"}, token)
    assert st == 201, body

    ops = [
        ("GET", "/api/v1/obligations", None, 200),
        ("GET", "/api/v1/obligations?state=open,overdue&centre=s1", None,
         200),
        ("GET", "/api/v1/centres", None, 200),
        ("GET", "/api/v1/centres/s2", None, 200),
        ("GET", "/api/v1/events?centre=s3", None, 200),
        ("GET", "/metrics", None, 200),
        ("GET", "/healthz", None, 200),
        ("POST", "/api/v1/events", {"type": "no_such_type", "date": today,
                                    "centre": "s1"}, 422),
        ("POST", "/api/v1/events", {"type": "expert_meeting_held",
                                    "date": "2999-01-01", "centre": "s1"},
         422),
        ("POST", "/api/v1/events", {"type": "expert_meeting_held",
                                    "date": today, "centre": "s0",
                                    "id": "soak-used"}, 422),
        ("POST", "/api/v1/events", b"{not json", 400),
        ("GET", "/api/v1/nowhere", None, 404),
    ]
    stop = threading.Event()
    counts = {"requests": 0, "errors": 0}
    errors = []
    lock = threading.Lock()

    def client(k):
        conn = Conn(port, timeout=10)
        interval = CLIENTS / RATE
        nxt = time.monotonic()
        i = k
        while not stop.is_set():
            try:
                if i % 50 == 7:		# a contact in and out
                    st, body, _ = conn.request(
                        "POST", "/api/v1/contacts",
                        {"kind": "centre", "scope": "s1",
                         "email": "soak%d@example.cn" % i, "name": "浸泡"},
                        token)
                    ok = st == 201
                    if ok:
                        cid = json.loads(body)["id"]
                        st, body, _ = conn.request(
                            "DELETE", "/api/v1/contacts/%d" % cid, None,
                            token)
                        ok = st == 200
                elif i % 1500 == 23:	# a token made and revoked
                    st, body, _ = conn.request(
                        "POST", "/api/v1/tokens",
                        {"role": "centre", "scope": "s2"}, token)
                    ok = st == 201
                    if ok:
                        tid = json.loads(body)["id"]
                        st, body, _ = conn.request(
                            "DELETE", "/api/v1/tokens/%d" % tid, None,
                            token)
                        ok = st == 200
                else:
                    m, path, b, want = ops[i % len(ops)]
                    st, body, _ = conn.request(m, path, b, token)
                    ok = st == want
            except OSError as e:
                ok, st, body = False, repr(e), b""
                conn.close()
            with lock:
                counts["requests"] += 1
                if not ok:
                    counts["errors"] += 1
                    errors.append((st, body[:200]))
            i += CLIENTS
            nxt += interval
            delay = nxt - time.monotonic()
            if delay > 0:
                stop.wait(delay)

    threads = [threading.Thread(target=client, args=(k,))
               for k in range(CLIENTS)]
    start = time.monotonic()
    for t in threads:
        t.start()
    samples = []
    baseline = None
    while True:
        now = time.monotonic() - start
        if now >= total or proc.poll() is not None:
            break
        rss = rss_kib(proc.pid)
        samples.append((round(now, 1), rss))
        if baseline is None and now >= warm:
            baseline = rss
        time.sleep(min(5.0, max(0.1, total - now)))
    stop.set()
    for t in threads:
        t.join(timeout=30)
    alive = proc.poll() is None
    final = rss_kib(proc.pid) if alive else 0
    samples.append((round(time.monotonic() - start, 1), final))
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(timeout=30)
    after = [r for t, r in samples if t >= warm]
    if baseline is None:
        baseline = after[0] if after else final
    worst = max(after) if after else final
    growth = (worst - baseline) / baseline * 100 if baseline else 0.0
    result = {
        "minutes": args.minutes, "warmup_s": warm, "rate": RATE,
        "requests": counts["requests"], "errors": counts["errors"],
        "rss_start_kib": samples[0][1], "rss_baseline_kib": baseline,
        "rss_max_after_kib": worst, "rss_final_kib": final,
        "growth_pct": round(growth, 2), "exit": rc,
        "samples": samples,
    }
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))
    print("soak: %.0f min, %d requests (%.1f/s), %d errors; RSS %d KiB at "
          "start, %d KiB after %.0f s warm-up, at most %d KiB after it "
          "(%+.2f%%), %d KiB at the end; exit %d"
          % (args.minutes, counts["requests"], counts["requests"] / total,
             counts["errors"], samples[0][1], baseline, warm, worst,
             growth, final, rc))
    ok = alive and rc == 0 and counts["errors"] == 0 and growth < 5.0
    if errors:
        print("first errors:", errors[:5])
    print("soak: %d passed, %d failed" % (1 if ok else 0, 0 if ok else 1))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
