"""make bench, the mail part (issue 5): reminder mail per second from the
real ticd to a local SMTP sink (aiosmtpd, bench/smtpsink.py, in a process
of its own), beside a bare libcurl sender (bench/smtpsend.c: one easy
handle, one reused connection) sending the same bytes to the same kind of
sink in the same run; the API's p99 latency while ticd sends; and the CPU
time each sender spends per message.

N centres, each recognized in 2025, have Art. 10's meeting for 2026 due
2026-12-31, so each gets one reminder on Tue 2026-12-01 at 09:00: ticd is
started under libfaketime a few seconds before, with one contact per
centre.  Rate: messages over the time from the first to the last message
the sink received.  CPU: ticd's user + system time (/proc) from the
first to the last message (sending; the day's messages are planned and
built before the first leaves), the bare sender's (rusage) for its whole
run, each over the messages.
Writes <!-- bench:mail --> of docs/PERFORMANCE.md.
"""
import argparse
import json
import os
import resource
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

import conftest  # noqa: E402  (the e2e harness: Ticd, faketime)
import perfdoc  # noqa: E402  (the machine, sections of the document)

SINK = os.path.join(ROOT, "bench", "smtpsink.py")


class Sink:
    """bench/smtpsink.py, taking n messages, in a process of its own: the
    Python that receives shares no interpreter lock with the API probe."""

    def __init__(self, n, sample=None):
        self.port = conftest.free_port()
        self.proc = subprocess.Popen(
            [sys.executable, SINK, str(self.port), str(n)] +
            ([sample] if sample else []), stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout.readline().strip() == "ready"

    def url(self):
        return "smtp://127.0.0.1:%d" % self.port

    def result(self):
        """(messages received, their arrival times), once n came."""
        out, _ = self.proc.communicate(timeout=320)
        r = json.loads(out.strip().splitlines()[-1])
        return r["got"], r["times"]


def run_ticd(ticd_bin, n, work):
    conftest.TICD = ticd_bin
    sample = os.path.join(work, "sample.eml")
    sink = Sink(n, sample)
    t = conftest.Ticd(os.path.join(work, "ticd"))
    t.write_conf(extra="[mail]\nsmtp_url = %s\nstarttls = no\n"
                 "from = ticd@bench.example\n" % sink.url())
    t.token = t.make_token()
    jpath = os.path.join(work, "journal.jsonl")
    perfdoc.centres_journal(jpath, n, "b")
    t.start(env=conftest.faketime_env("2026-12-01 08:59:30"),
            extra_args=["-i", jpath])
    for i in range(n):
        r = t.post("/api/v1/contacts", {"kind": "centre", "scope":
                                        "b%05d" % i, "email":
                                        "c%05d@bench.example" % i})
        assert r.status == 201, r
    stop, lat, cpu = threading.Event(), [], []
    # Beside each request, ticd's CPU time so far, to read it at the
    # first and the last message.
    probe = threading.Thread(target=perfdoc.api_probe, args=(
        t, "/api/v1/centres/b00000", stop, lat, lambda: cpu.append(
            (time.monotonic(), perfdoc.cpu_seconds(t.proc.pid)))))
    probe.start()
    got, times = sink.result()
    stop.set()
    probe.join()
    t.stop()
    assert got == n, "ticd sent %d of %d" % (got, n)
    rate = (n - 1) / (times[-1] - times[0])
    return rate, sample, perfdoc.p99(lat), len(lat), \
        perfdoc.cpu_between(cpu, times[0], times[-1]) / (n - 1)


def run_bare(sender, n, sample):
    sink = Sink(n)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sender, sink.url(), "<ticd@bench.example>",
                    "<c00000@bench.example>", sample, str(n)], check=True,
                   timeout=300)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    got, times = sink.result()
    assert got == n, "the bare sender sent %d of %d" % (got, n)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime +
                                               before.ru_stime)
    return (n - 1) / (times[-1] - times[0]), cpu / n


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ticd", required=True)
    ap.add_argument("--n", type=int, default=500)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs",
                                                  "PERFORMANCE.md"))
    a = ap.parse_args()
    work = tempfile.mkdtemp(prefix="ticd-bench-mail-")
    sender = perfdoc.build_sender(work, "smtpsend.c")
    ticd_rates, bare_rates, p99s, ticd_cpu, bare_cpu = [], [], [], [], []
    for k in range(a.runs):
        d = os.path.join(work, "run%d" % k)
        os.makedirs(d)
        rate, sample, p99, probes, cpu = run_ticd(os.path.abspath(a.ticd),
                                                  a.n, d)
        bare, bcpu = run_bare(sender, a.n, sample)
        ticd_rates.append(rate)
        bare_rates.append(bare)
        p99s.append(p99)
        ticd_cpu.append(cpu)
        bare_cpu.append(bcpu)
        print("run %d: ticd %.0f msg/s (%.0f us CPU/msg), bare libcurl %.0f "
              "msg/s (%.0f us CPU/msg), ratio %.2f, API p99 %.1f ms over %d "
              "requests" % (k + 1, rate, cpu * 1e6, bare, bcpu * 1e6,
                            rate / bare, p99 * 1000, probes), flush=True)
    shutil.rmtree(work, ignore_errors=True)
    t, b = statistics.median(ticd_rates), statistics.median(bare_rates)
    ratios = [x / y for x, y in zip(ticd_rates, bare_rates)]
    text = (
        "## Reminder mail (`bench/mail.py`)\n\n"
        "Measured %s on:\n\n%s\n\n"
        "Command: `/usr/bin/python3 bench/mail.py --ticd %s --n %d "
        "--runs %d`\n\n"
        "%d centres each get one reminder at 09:00 on 2026-12-01 (ticd under "
        "libfaketime, one contact each); ticd sends them over SMTP (no TLS), "
        "`[mail] parallel = 4`, every attempt written to the store before and "
        "after (`synchronous = full`). The bare sender (`bench/smtpsend.c`) "
        "sends one of those messages' bytes %d times over one reused "
        "connection. Each sender has a fresh aiosmtpd sink of its own "
        "(`bench/smtpsink.py`, a separate process that only counts and "
        "answers). Rate: messages over the time from the first to the last "
        "the sink received. CPU: user + system time per message, ticd's from "
        "the first to the last message received (sending; the day's messages "
        "are planned and built before the first leaves; the API probe's "
        "requests of that second or so included), the bare sender's whole "
        "run. Medians of %d runs.\n\n"
        "| sender | messages/s (median) | runs | CPU per message (median) |\n"
        "|---|---:|---|---:|\n"
        "| ticd (outbox, store, SMTP on its mail thread) | %.0f | %s | "
        "%.0f µs |\n"
        "| bare libcurl (one easy handle) | %.0f | %s | %.0f µs |\n\n"
        "ticd / bare, the median of each run's ratio (the two senders run "
        "back to back, so a run's ratio sees the same machine): **%.2f** "
        "(%s; target ≥ 0.85); the ratio of the medians above: %.2f. API p99 "
        "during the burst (`GET /api/v1/centres/ID`): **%.1f ms** (target "
        "< 50 ms).\n"
        % (perfdoc.stamp(), "\n".join(perfdoc.machine_lines()),
           os.path.relpath(a.ticd, ROOT), a.n, a.runs, a.n, a.n, a.runs, t,
           ", ".join("%.0f" % r for r in ticd_rates),
           statistics.median(ticd_cpu) * 1e6, b,
           ", ".join("%.0f" % r for r in bare_rates),
           statistics.median(bare_cpu) * 1e6, statistics.median(ratios),
           ", ".join("%.2f" % r for r in ratios), t / b,
           statistics.median(p99s) * 1000))
    perfdoc.write_section("mail", text, a.out)
    print(text)


if __name__ == "__main__":
    main()
