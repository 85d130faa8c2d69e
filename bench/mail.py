"""make bench, the mail part (issue 5): reminder mail per second from the
real ticd to a local SMTP sink (aiosmtpd, in this process), beside a bare
libcurl sender (bench/smtpsend.c: one easy handle, one reused connection)
sending the same bytes to the same sink in the same run; and the API's
p99 latency while ticd sends.

N centres, each recognized in 2025, have Art. 10's meeting for 2026 due
2026-12-31, so each gets one reminder on Tue 2026-12-01 at 09:00: ticd is
started under libfaketime a few seconds before, with one contact per
centre.  Rate: messages over the time from the first to the last message
the sink received.  Writes <!-- bench:mail --> of docs/PERFORMANCE.md.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "e2e"))
sys.path.insert(0, os.path.join(ROOT, "bench"))

import conftest  # noqa: E402  (the e2e harness: Ticd, SmtpSink, faketime)
from perfdoc import machine as machine_info  # noqa: E402


class TimedSink(conftest.SmtpSink):
    """The sink, remembering when each message arrived."""

    def __init__(self):
        super().__init__()
        self.times = []

    async def handle_DATA(self, server, session, envelope):
        self.times.append(time.monotonic())
        return await super().handle_DATA(server, session, envelope)


def journal(path, n):
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            c = "b%05d" % i
            f.write(json.dumps({"type": "registered", "date": "2025-03-03",
                                "centre": c, "name": "基准中心%d" % i,
                                "unit": "城区科技局"}, ensure_ascii=False)
                    + "\n")
            f.write(json.dumps({"type": "recognized", "date": "2025-06-02",
                                "centre": c}) + "\n")


def api_probe(t, stop, lat):
    while not stop.is_set():
        a = time.perf_counter()
        r = t.get("/api/v1/centres/b00000")
        if r.status == 200:
            lat.append(time.perf_counter() - a)
        time.sleep(0.01)	# a client's pace, not a load test


def run_ticd(ticd_bin, n, work):
    conftest.TICD = ticd_bin
    sink = TimedSink()
    sink.up()
    t = conftest.Ticd(os.path.join(work, "ticd"))
    t.write_conf(extra="[mail]\nsmtp_url = %s\nstarttls = no\n"
                 "from = ticd@bench.example\n" % sink.url())
    t.token = t.make_token()
    jpath = os.path.join(work, "journal.jsonl")
    journal(jpath, n)
    t.start(env=conftest.faketime_env("2026-12-01 08:59:30"),
            extra_args=["-i", jpath])
    for i in range(n):
        r = t.post("/api/v1/contacts", {"kind": "centre", "scope":
                                        "b%05d" % i, "email":
                                        "c%05d@bench.example" % i})
        assert r.status == 201, r
    stop, lat = threading.Event(), []
    probe = threading.Thread(target=api_probe, args=(t, stop, lat))
    probe.start()
    got = sink.wait_for(n, timeout=300)
    stop.set()
    probe.join()
    t.stop()
    sink.down()
    assert got == n, "ticd sent %d of %d" % (got, n)
    rate = (n - 1) / (sink.times[-1] - sink.times[0])
    sample = sink.received[0][2]
    lat.sort()
    p99 = lat[int(len(lat) * 0.99) - 1] if lat else float("nan")
    return rate, sample, p99, len(lat)


def run_bare(sender, n, sample, work):
    sink = TimedSink()
    sink.up()
    path = os.path.join(work, "sample.eml")
    with open(path, "wb") as f:
        f.write(sample)
    a = time.perf_counter()
    subprocess.run([sender, sink.url(), "<ticd@bench.example>",
                    "<c00000@bench.example>", path, str(n)], check=True,
                   timeout=300)
    wall = time.perf_counter() - a
    sink.down()
    assert len(sink.received) == n
    return (n - 1) / (sink.times[-1] - sink.times[0]), wall


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ticd", required=True)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs",
                                                  "PERFORMANCE.md"))
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="ticd-bench-mail-")
    sender = os.path.join(work, "smtpsend")
    subprocess.run(["sh", "-c", "cc -std=c11 -O2 -o %s %s "
                    "$(pkg-config --cflags --libs libcurl)" % (
                        sender, os.path.join(ROOT, "bench", "smtpsend.c"))],
                   check=True)
    ticd_rates, bare_rates, p99s = [], [], []
    for k in range(a.runs):
        d = os.path.join(work, "run%d" % k)
        os.makedirs(d)
        rate, sample, p99, probes = run_ticd(os.path.abspath(a.ticd), a.n, d)
        bare, _ = run_bare(sender, a.n, sample, d)
        ticd_rates.append(rate)
        bare_rates.append(bare)
        p99s.append(p99)
        print("run %d: ticd %.0f msg/s, bare libcurl %.0f msg/s, API p99 "
              "%.1f ms over %d requests" % (k + 1, rate, bare, p99 * 1000,
                                            probes), flush=True)
    shutil.rmtree(work, ignore_errors=True)
    t, b = statistics.median(ticd_rates), statistics.median(bare_rates)
    text = (
        "## Reminder mail (`bench/mail.py`)\n\n"
        "Measured %s on: %s.\n\n"
        "Command: `/usr/bin/python3 bench/mail.py --ticd %s --n %d "
        "--runs %d`\n\n"
        "%d centres each get one reminder at 09:00 on 2026-12-01 (ticd under "
        "libfaketime, one contact each); ticd sends them over SMTP to an "
        "aiosmtpd sink in the bench's process (no TLS), `[mail] parallel = 4`, "
        "every attempt written to the store before and after (`synchronous = "
        "full`). The bare sender (`bench/smtpsend.c`) sends one of those "
        "messages' bytes %d times over one reused connection to the same kind "
        "of sink. Rate: messages over the time from the first to the last the "
        "sink received. Medians of %d runs.\n\n"
        "| sender | messages/s (median) | runs |\n|---|---:|---|\n"
        "| ticd (outbox, store, curl multi on libevent) | %.0f | %s |\n"
        "| bare libcurl (one easy handle) | %.0f | %s |\n\n"
        "ticd / bare: **%.2f** (target ≥ 0.85). API p99 during the burst "
        "(`GET /api/v1/centres/ID`): **%.1f ms** (target < 50 ms).\n"
        % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), machine(),
           os.path.relpath(a.ticd, ROOT), a.n, a.runs, a.n, a.n, a.runs, t,
           ", ".join("%.0f" % r for r in ticd_rates), b,
           ", ".join("%.0f" % r for r in bare_rates), t / b,
           statistics.median(p99s) * 1000))
    write_section(a.out, text)
    print(text)


def machine():
    """One line: the machine the figures were measured on."""
    m = machine_info()
    return "%s; %s; %s; load %s" % (m["cpu"], m["memory"], m["os"], m["load"])


def write_section(out, text):
    import re
    start, end = "<!-- bench:mail -->", "<!-- /bench:mail -->"
    doc = open(out, encoding="utf-8").read()
    block = "%s\n%s\n%s" % (start, text, end)
    if start in doc:
        doc = re.sub(re.escape(start) + ".*?" + re.escape(end),
                     lambda _: block, doc, flags=re.S)
    else:
        doc = doc.rstrip("\n") + "\n\n" + block + "\n"
    with open(out, "w", encoding="utf-8") as f:
        f.write(doc)


if __name__ == "__main__":
    main()
