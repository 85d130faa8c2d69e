#!/usr/bin/python3
"""make bench, the daemon's part: figures for docs/PERFORMANCE.md.

  bench/api.py --ticd PATH [--parts events,p99,startup] [--runs 3] [--seconds 10]
               [--startup-sizes 1000,10000] [--p99-centres 10000]
               [--baseline PATH] [--section api] [--out docs/PERFORMANCE.md]

  events    acknowledged events per second through POST /api/v1/events with 16
            concurrent keep-alive clients (wrk), synchronous=FULL, each run beside
            its anchor measured just before it: sqlite's own single-row transaction
            rate (WAL, synchronous=FULL, BEGIN IMMEDIATE … COMMIT per row)
  p99       GET /api/v1/obligations?centre=ID latency at 10,000 centres (wrk --latency)
  startup   from exec to the first obligations answer, with N centres stored, and
            ticd's peak resident set then; then, from the same exec, to the
            first answer of GET /metrics (which needs the whole journal and
            the city's plan), and the peak resident set then; for each of
            --startup-sizes

ticd runs pinned to core 0 and wrk to core 1.  Every figure is the median of --runs
runs.  With --baseline, another ticd (an older build, say) is measured for p99 and
start-up too, each of its runs right after the measured one.  `make bench` writes the section "api" (start-up at 1,000 and 10,000 centres);
`make bench-large` writes "startup-large" (start-up at 1,000, 10,000 and 100,000).
Nothing here is a test: it measures and writes the figures, with the machine and the
command, into its own section of docs/PERFORMANCE.md (see bench/perfdoc.py).
"""
import argparse
import json
import os
import re
import shlex
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request

import perfdoc

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
AS_OF = "2026-11-28"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def sqlite_anchor(n=2000):
    """Single-row INSERT transactions per second, as sqlite does them."""
    with tempfile.TemporaryDirectory() as d:
        db = sqlite3.connect(os.path.join(d, "a.db"), isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, "
                   "id TEXT UNIQUE, recorded_at TEXT, json TEXT)")
        t0 = time.perf_counter()
        for i in range(n):
            db.execute("BEGIN IMMEDIATE")
            db.execute("INSERT INTO events (id, recorded_at, json) VALUES (?,?,?)",
                       (f"e{i}", "2026-11-28T09:00:00+08:00",
                        '{"type":"expert_meeting_held","date":"2026-11-28","centre":"b"}'))
            db.execute("COMMIT")
        dt = time.perf_counter() - t0
        db.close()
    return n / dt


class Ticd:
    def __init__(self, ticd, workdir, journal=None, sync="full"):
        self.ticd, self.dir = ticd, workdir
        self.port = free_port()
        self.conf = os.path.join(workdir, "ticd.conf")
        with open(self.conf, "w") as f:
            f.write(f"[ticd]\nlisten = 127.0.0.1:{self.port}\n"
                    f"database = {workdir}/ticd.db\nsynchronous = {sync}\n"
                    "log_level = warning\nmax_body = 65536\n")
        self.token = subprocess.run([ticd, "-c", self.conf, "-T"], check=True,
                                    capture_output=True, text=True).stdout.strip()
        self.journal = journal
        self.proc = None

    def start(self, wait=True):
        args = ["taskset", "-c", "0", self.ticd, "-c", self.conf]
        if self.journal:
            args += ["-i", self.journal]
        self.t0 = time.perf_counter()
        self.proc = subprocess.Popen(args, stderr=subprocess.DEVNULL)
        if wait:
            self.wait_answer("/healthz", auth=False)

    def get(self, path, auth=True, raw=False):
        req = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}")
        if auth:
            req.add_header("Authorization", f"Bearer {self.token}")
        with urllib.request.urlopen(req, timeout=600) as r:
            body = r.read()
        return body if raw else json.loads(body)

    def wait_answer(self, path, auth=True, limit=600):
        deadline = time.perf_counter() + limit
        while time.perf_counter() < deadline:
            try:
                return self.get(path, auth)
            except OSError:
                time.sleep(0.005)
        raise RuntimeError(f"ticd did not answer {path}")

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=60)
            self.proc = None


def wrk(url, lua, seconds, conns, threads=2, latency=False):
    args = ["taskset", "-c", "1", "wrk", f"-t{threads}", f"-c{conns}",
            f"-d{seconds}s", "-s", lua]
    if latency:
        args.append("--latency")
    out = subprocess.run(args + [url], check=True, capture_output=True,
                         text=True).stdout
    return out


def parse_latency(out, pct):
    m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v


def events_run(ticd, seconds):
    """One run: acknowledged events per second into a fresh store."""
    with tempfile.TemporaryDirectory() as d:
        j = os.path.join(d, "j.jsonl")
        with open(j, "w") as f:
            f.write('{"type":"registered","date":"2025-01-02","centre":"b-1",'
                    '"name":"压测中心","unit":"城区科技局"}\n'
                    '{"type":"recognized","date":"2025-02-03","centre":"b-1"}\n')
        t = Ticd(ticd, d, j)
        t.start()
        today = t.get("/healthz", auth=False)["today"]
        lua = os.path.join(d, "post.lua")
        body = json.dumps({"type": "expert_meeting_held", "date": today, "centre": "b-1"})
        with open(lua, "w") as f:
            f.write('wrk.method = "POST"\n'
                    f'wrk.body = {json.dumps(body)}\n'
                    'wrk.headers["Content-Type"] = "application/json"\n'
                    f'wrk.headers["Authorization"] = "Bearer {t.token}"\n')
        before = t.get("/healthz", auth=False)["events"]
        t0 = time.perf_counter()
        out = wrk(f"http://127.0.0.1:{t.port}/api/v1/events", lua, seconds, 16)
        dt = time.perf_counter() - t0
        after = t.get("/healthz", auth=False)["events"]
        non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
        t.stop()
        if non2xx:
            raise RuntimeError(f"{non2xx.group(1)} requests were not acknowledged")
        return (after - before) / dt


def events(ticd, seconds, runs):
    """Per run: the anchor, then ticd; medians of each and of their ratios."""
    anchors, rates = [], []
    for i in range(runs):
        anchors.append(sqlite_anchor())
        rates.append(events_run(ticd, seconds))
        log(f"events run {i + 1}/{runs}: sqlite {anchors[-1]:,.0f}/s, "
            f"ticd {rates[-1]:,.0f}/s")
    return {"anchor": perfdoc.median(anchors), "rate": perfdoc.median(rates),
            "ratio": perfdoc.median([r / a for r, a in zip(rates, anchors)]),
            "rates": rates}


def generate(n, path):
    perfdoc.generate(n, path, 1, AS_OF)


def p99_lua(path, token, ids):
    with open(path, "w") as f:
        f.write(f'wrk.headers["Authorization"] = "Bearer {token}"\n'
                "local ids = {" + ",".join(json.dumps(i) for i in ids[:2000]) +
                "}\nrequest = function()\n"
                "  local id = ids[math.random(#ids)]\n"
                '  return wrk.format("GET", "/api/v1/obligations?centre=" .. id)\n'
                "end\n")


def query_p99(binaries, seconds, runs, centres):
    """For each binary (their runs interleaved): medians of p50, p99, requests/s."""
    got = {b: {"p50": [], "p99": [], "rps": []} for b in binaries}
    with tempfile.TemporaryDirectory() as d:
        j = os.path.join(d, "j.jsonl")
        generate(centres, j)
        ids = [json.loads(l)["centre"] for l in open(j, encoding="utf-8")
               if '"registered"' in l]
        daemons = {}
        for k, b in enumerate(binaries):
            os.mkdir(os.path.join(d, str(k)))
            daemons[b] = Ticd(b, os.path.join(d, str(k)), j)
        for i in range(runs):
            for b, t in daemons.items():
                t.start()
                t.wait_answer(f"/api/v1/obligations?centre={ids[0]}")
                lua = os.path.join(t.dir, "get.lua")
                p99_lua(lua, t.token, ids)
                out = wrk(f"http://127.0.0.1:{t.port}", lua, seconds, 4, threads=1,
                          latency=True)
                t.stop()
                t.journal = None
                g = got[b]
                g["p50"].append(parse_latency(out, 50))
                g["p99"].append(parse_latency(out, 99))
                g["rps"].append(float(re.search(r"Requests/sec:\s+([\d.]+)",
                                                out).group(1)))
                log(f"p99 run {i + 1}/{runs}, {os.path.relpath(b)}: p50 "
                    f"{g['p50'][-1]:.2f} ms, p99 {g['p99'][-1]:.2f} ms")
    return {b: {k: perfdoc.median(v) for k, v in g.items()} for b, g in got.items()}


def peak_rss_mib(pid):
    """The high-water mark of a running process's resident set."""
    try:
        with open(f"/proc/{pid}/status") as f:
            return next(int(l.split()[1]) for l in f if l.startswith("VmHWM")) / 1024
    except (OSError, StopIteration):
        return float("nan")


def startup(binaries, runs, centres):
    """For each binary (their runs interleaved), over its own store imported
    beforehand: the medians of the time to the first answer and of peak RSS
    then, and of the time (from the same exec) until GET /metrics answers,
    which needs the whole journal read back and the city planned, and of
    peak RSS then."""
    got = {b: {"times": [], "rss": [], "wholes": [], "whole_rss": []}
           for b in binaries}
    with tempfile.TemporaryDirectory() as d:
        j = os.path.join(d, "j.jsonl")
        generate(centres, j)
        first = next(json.loads(l)["centre"] for l in open(j, encoding="utf-8")
                     if '"registered"' in l)
        events = sum(1 for l in open(j, encoding="utf-8") if l.startswith("{"))
        daemons = {}
        for k, b in enumerate(binaries):
            os.mkdir(os.path.join(d, str(k)))
            t = daemons[b] = Ticd(b, os.path.join(d, str(k)), j)
            t.start()          # imports into the store: not timed
            t.wait_answer(f"/api/v1/obligations?centre={first}")
            t.stop()
            t.journal = None
        for i in range(runs):
            for b, t in daemons.items():
                t.start(wait=False)
                t.wait_answer(f"/api/v1/obligations?centre={first}")
                got[b]["times"].append(time.perf_counter() - t.t0)
                got[b]["rss"].append(peak_rss_mib(t.proc.pid))
                t.get("/metrics", auth=False, raw=True)
                got[b]["wholes"].append(time.perf_counter() - t.t0)
                got[b]["whole_rss"].append(peak_rss_mib(t.proc.pid))
                t.stop()
                log(f"start-up {centres} run {i + 1}/{runs}, {os.path.relpath(b)}: "
                    f"{got[b]['times'][-1]:.3f} s, {got[b]['rss'][-1]:.1f} MiB; "
                    f"whole: {got[b]['wholes'][-1]:.3f} s, "
                    f"{got[b]['whole_rss'][-1]:.1f} MiB")
    return {b: {"n": centres, "events": events, "times": g["times"],
                "time": perfdoc.median(g["times"]), "rss": perfdoc.median(g["rss"]),
                "wholes": g["wholes"], "whole": perfdoc.median(g["wholes"]),
                "whole_rss": perfdoc.median(g["whole_rss"])}
            for b, g in got.items()}


def log(msg):
    print(f"bench/api.py: {msg}", file=sys.stderr, flush=True)


def ok(c):
    return "PASS" if c else "MISS"


def section(cmd, a, ev, q, ups, qbase, upsbase):
    fi = perfdoc.fmt_int
    title = ("## The daemon's start-up as centres grow (ticd)" if not (ev or q) else
             "## The daemon (ticd)")
    if qbase or upsbase:
        title += f", beside `{os.path.relpath(a.baseline)}`"
    L = [title, "",
         f"Measured {perfdoc.stamp()} on:", ""]
    wrk_version = perfdoc.run_text(["wrk", "-v"], check=False).split(" [")[0]
    L += perfdoc.machine_lines([f"- load generator: {wrk_version or 'wrk'}"])
    L += ["", f"Command: `{cmd}`; ticd pinned to core 0, wrk to core 1; medians of "
          f"{a.runs} runs.", ""]
    if ev or q:
        L += ["| figure | measured (median) | anchor or target | |", "|---|---|---|---|"]
    if ev:
        L.append(f"| events acknowledged per second, 16 clients, `synchronous=FULL`, "
                 f"{a.seconds} s a run | {ev['rate']:,.0f}/s | anchor: sqlite single-row "
                 f"transactions (WAL, FULL), each run just before ticd's: "
                 f"{ev['anchor']:,.0f}/s; ticd / sqlite **{ev['ratio']:.2f}×** (median of "
                 f"the runs' ratios); target ≥ 2,000/s | {ok(ev['rate'] >= 2000)} |")
    if q:
        anchor = ""
        if qbase:
            anchor = (f"baseline, side by side: p50 {qbase['p50']:.2f} ms, p99 "
                      f"{qbase['p99']:.2f} ms ({qbase['rps']:,.0f} requests/s); ")
        L.append(f"| `GET /api/v1/obligations?centre=ID` at {fi(a.p99_centres)} centres, "
                 f"4 clients, {a.seconds} s a run | p50 {q['p50']:.2f} ms, p99 "
                 f"{q['p99']:.2f} ms ({q['rps']:,.0f} requests/s) | {anchor}target p99 "
                 f"< 50 ms | {ok(q['p99'] < 50)} |")
    if ev or q:
        L.append("")
    if ev:
        L += ["Group commit is what lets the API outrun sqlite's own single-row rate: the "
              "requests that arrive in one turn of the loop share one `BEGIN IMMEDIATE … "
              "COMMIT`, so one fsync acknowledges many events.", ""]
    if ups:
        L += ["Start-up: from exec to the first `GET /api/v1/obligations?centre=ID` answer, "
              "over a store imported beforehand, untimed, from `bench/gen_journal.py N`. "
              "ticd listens before it reads the journal back (a slice a turn of the loop) "
              "and answers one centre from that centre's stored events meanwhile, planning "
              "it alone. Then, from the same exec, until `GET /metrics` answers: it needs "
              "the whole journal read back (what is left of it is read at once) and the "
              "city planned, as a list, a feed, recording an event or the reminders do. "
              "Peak RSS is ticd's high-water mark (`VmHWM`) at each answer; µs / event and "
              "KiB / centre are the whole journal's.", "",
              "| centres | events | first answer (median) | min – max | peak RSS then "
              "| whole journal and plan: `/metrics` (median) | min – max | µs / event "
              "| peak RSS then | KiB / centre |"
              + (" baseline: start-up, peak RSS | ratio time, RSS |" if upsbase else ""),
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
              + ("---:|---:|" if upsbase else "")]
        for k, r in enumerate(ups):
            line = (f"| {fi(r['n'])} | {fi(r['events'])} | {r['time']:.3f} s "
                    f"| {min(r['times']):.3f} – {max(r['times']):.3f} s "
                    f"| {r['rss']:.1f} MiB | {r['whole']:.3f} s "
                    f"| {min(r['wholes']):.3f} – {max(r['wholes']):.3f} s "
                    f"| {r['whole'] / r['events'] * 1e6:.2f} | {r['whole_rss']:.1f} MiB "
                    f"| {r['whole_rss'] * 1024 / r['n']:.1f} |")
            if upsbase:
                b = upsbase[k]
                line += (f" {b['time']:.3f} s, {b['rss']:.1f} MiB | "
                         f"{r['time'] / b['time']:.2f}, {r['rss'] / b['rss']:.2f} |")
            L.append(line)
        L.append("")
        for key, what in (("time", "time to the first answer"),
                          ("whole", "time to the whole journal and plan"),
                          ("whole_rss", "peak memory")):
            ratio, steps = perfdoc.growth(ups, key)
            if ratio is not None:
                step = ", ".join(f"{fi(b)} over {fi(x)}: {y:.2f}" for x, b, y in steps)
                L.append(f"- {what} per centre at {fi(ups[-1]['n'])} centres over "
                         f"{fi(ups[0]['n'])}: **{ratio:.2f}**, {perfdoc.verdict(ratio)}. "
                         f"Step by step: {step}.")
        big = next((r for r in ups if r["n"] == 100000), None)
        L += ["", "Target (issue 3): start-up to the first obligations answer with 100,000 "
              "centres under 2 s: " + (f"{big['time']:.2f} s, **{ok(big['time'] < 2)}**; "
                                       f"the whole journal and the city's plan follow at "
                                       f"{big['whole']:.2f} s."
                                       if big else "measured by `make bench-large`."), ""]
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ticd", required=True)
    ap.add_argument("--parts", default="events,p99,startup")
    ap.add_argument("--out", default=perfdoc.DOC)
    ap.add_argument("--section", default="api")
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--p99-centres", type=int, default=10000)
    ap.add_argument("--startup-sizes", default="1000,10000")
    ap.add_argument("--baseline", help="another ticd, measured side by side "
                    "(p99 and start-up)")
    a = ap.parse_args()
    parts = set(p for p in a.parts.split(",") if p)
    if not parts <= {"events", "p99", "startup"} or a.runs < 1:
        ap.error("--parts among events, p99, startup; at least one run")
    sizes = sorted({int(s.replace("_", "")) for s in a.startup_sizes.split(",") if s.strip()})
    ticd = os.path.abspath(a.ticd)
    base = os.path.abspath(a.baseline) if a.baseline else None
    binaries = [ticd] + ([base] if base else [])
    cmd = " ".join(shlex.quote(x) for x in ["/usr/bin/python3"] + sys.argv)

    ev = events(ticd, a.seconds, a.runs) if "events" in parts else None
    q = query_p99(binaries, a.seconds, a.runs, a.p99_centres) if "p99" in parts else {}
    ups = [startup(binaries, a.runs, n) for n in sizes] if "startup" in parts else []
    text = section(cmd, a, ev, q.get(ticd), [u[ticd] for u in ups], q.get(base),
                   [u[base] for u in ups] if base else [])
    perfdoc.write_section(a.section, text, a.out)
    print(text)


if __name__ == "__main__":
    main()
