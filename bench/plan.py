#!/usr/bin/python3
"""make bench, the planner's part: `ticctl plan` on generated journals.

  bench/plan.py --ticctl PATH [--runs 5] [--sizes 1000,10000,100000]
                [--seed 1] [--out docs/PERFORMANCE.md]

For each size N, bench/gen_journal.py writes a journal of N centres with about five
years of events each into a temporary directory (not timed). One untimed run checks
the exit status and counts the obligations (and warms the page cache); then
`ticctl plan --as-of 2026-11-28 FILE > /dev/null` runs --runs times, each measured
for wall time (from fork to reaping) and for the child's peak resident set
(ru_maxrss from wait4, KiB on Linux). The medians are reported, with µs per event,
and growth is checked by the time per centre at the largest size over the smallest.

Nothing here is a test: it measures and writes the figures, with the machine and the
command, between the markers <!-- bench:plan --> and <!-- /bench:plan --> of
docs/PERFORMANCE.md, leaving the rest of that file as it is.
"""
import argparse
import datetime as dt
import os
import platform
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
AS_OF = "2026-11-28"
BEGIN, END = "<!-- bench:plan -->", "<!-- /bench:plan -->"
PREFACE = """# Performance

The figures below are written by `make bench` (the scripts in `bench/`), each
benchmark in its own marked section, with the machine and the exact command that
produced them. They are measurements, never timed assertions: no test fails because
a machine is slow.
"""
# The target: plan 10,000 centres with five years of events each.
TARGET_N = 10000
TARGET_SECONDS = 1.0
TARGET_MB = 200
LINEAR_LIMIT = 1.2   # time per centre at the largest size over the smallest


def read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return ""


def machine():
    cpu = "unknown"
    for line in read("/proc/cpuinfo").splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = "unknown"
    for line in read("/proc/meminfo").splitlines():
        if line.startswith("MemTotal:"):
            mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
            break
    debian = read("/etc/debian_version").strip() or "unknown"
    pretty = ""
    for line in read("/etc/os-release").splitlines():
        if line.startswith("PRETTY_NAME="):
            pretty = line.split("=", 1)[1].strip('"')
    try:
        cc = subprocess.run([os.environ.get("CC", "cc"), "--version"], capture_output=True,
                            text=True, check=True).stdout.splitlines()[0]
    except (OSError, subprocess.CalledProcessError, IndexError):
        cc = "unknown"
    try:
        avail = len(os.sched_getaffinity(0))
    except AttributeError:
        avail = os.cpu_count()
    try:
        rev = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True, text=True,
                               check=True).stdout.strip()
        rev += " with uncommitted changes" if dirty else ""
    except (OSError, subprocess.CalledProcessError):
        rev = "unknown"
    return {"rev": rev, "cpu": cpu, "cores": f"{os.cpu_count()} logical ({avail} usable)", "memory": mem,
            "kernel": f"Linux {platform.release()} {platform.machine()}",
            "debian": f"{debian} ({pretty})" if pretty else debian, "cc": cc}


def count_lines(path):
    n = 0
    with open(path, "rb") as f:
        for line in f:
            s = line.strip()
            if s and not s.startswith(b"#"):
                n += 1
    return n


def generate(n, seed, path):
    with open(path, "wb") as f:
        subprocess.run([sys.executable, os.path.join(HERE, "gen_journal.py"), str(n),
                        "--seed", str(seed), "--as-of", AS_OF], stdout=f, check=True)


def obligations(ticctl, journal):
    """One untimed run: exit status 0 and the number of obligations printed."""
    p = subprocess.run([ticctl, "plan", "--as-of", AS_OF, journal],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if p.returncode != 0:
        sys.exit(f"bench/plan.py: {ticctl} plan {journal} exited {p.returncode}:\n"
                 + p.stderr.decode("utf-8", "replace")[-2000:])
    return p.stdout.count(b"\n")


def timed_run(ticctl, journal):
    """Wall seconds and peak RSS (KiB) of one `ticctl plan ... > /dev/null`."""
    with open(os.devnull, "wb") as null:
        t0 = time.perf_counter()
        p = subprocess.Popen([ticctl, "plan", "--as-of", AS_OF, journal],
                             stdout=null, stderr=null)
        _, status, ru = os.wait4(p.pid, 0)
        t = time.perf_counter() - t0
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        sys.exit(f"bench/plan.py: {ticctl} plan {journal} exited {p.returncode}")
    return t, ru.ru_maxrss


def fmt_int(n):
    return f"{n:,}"


def section(m, cmd, runs, seed, rows, ticctl_rel):
    today = dt.datetime.now().astimezone()
    L = [BEGIN, "## Planning (`ticctl plan`)", ""]
    L.append(f"Measured {today:%Y-%m-%d %H:%M %Z} on:")
    L.append("")
    L.append(f"- CPU: {m['cpu']}, {m['cores']}")
    L.append(f"- memory: {m['memory']}")
    L.append(f"- kernel: {m['kernel']}; Debian {m['debian']}")
    L.append(f"- compiler: {m['cc']} (the Makefile's `CFLAGS ?= -O2 -g`); "
             f"source: commit {m['rev']}")
    L.append("")
    L.append(f"Command: `{cmd}`")
    L.append("")
    L.append(f"Each journal is generated once, untimed, by `bench/gen_journal.py N --seed {seed} "
             f"--as-of {AS_OF}` (N centres, about five years of events each: application, "
             "publicity, objections, recognition, committees, yearly meetings, evaluations "
             "2021–2025 with fails, rectifications and revocations, legacy centres and "
             "transitions; centre after centre, not sorted by date as a whole). Then "
             f"`{ticctl_rel} plan --as-of {AS_OF} FILE > /dev/null` runs {runs} times per size; "
             "the table gives the medians of the wall time (fork to reaping) and of the "
             "child's peak resident set (`ru_maxrss` from `wait4`). Obligations are counted "
             "once, in an untimed run that also warms the page cache.")
    L.append("")
    L.append("| centres | events | obligations | journal | time (median) | min – max "
             "| µs / event | peak RSS (median) |")
    L.append("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        L.append(f"| {fmt_int(r['n'])} | {fmt_int(r['events'])} | {fmt_int(r['obligations'])} "
                 f"| {r['bytes'] / 1e6:.1f} MB | {r['time']:.3f} s "
                 f"| {min(r['times']):.3f} – {max(r['times']):.3f} s "
                 f"| {r['time'] / r['events'] * 1e6:.2f} | {r['rss'] / 1024:.1f} MiB |")
    L.append("")
    small, large = rows[0], rows[-1]
    if large["n"] > small["n"]:
        def per_centre(r):
            return r["time"] / r["n"]
        ratio = per_centre(large) / per_centre(small)
        if ratio <= LINEAR_LIMIT:
            verdict = "linear"
        elif ratio <= 2:
            verdict = "**slightly worse than linear**"
        else:
            verdict = "**worse than linear**"
        steps = ", ".join(f"{fmt_int(b['n'])} over {fmt_int(a['n'])}: "
                          f"{per_centre(b) / per_centre(a):.2f}"
                          for a, b in zip(rows, rows[1:]))
        L.append(f"Growth: time per centre at {fmt_int(large['n'])} centres over "
                 f"{fmt_int(small['n'])} is **{ratio:.2f}**: {verdict} (1 is linear; up to "
                 f"{LINEAR_LIMIT} counts as linear here). Step by step: {steps}.")
        L.append("")
    L.append(f"Target (the issue): plan {fmt_int(TARGET_N)} centres with five years of events "
             f"each: under {TARGET_SECONDS:g} s and {TARGET_MB} MB.")
    L.append("")
    L.append("| target | measured | result |")
    L.append("|---|---:|---|")
    t = next((r for r in rows if r["n"] == TARGET_N), None)
    if t is None:
        L.append(f"| time < {TARGET_SECONDS:g} s | not measured | — |")
        L.append(f"| peak RSS < {TARGET_MB} MB | not measured | — |")
    else:
        mb = t["rss"] * 1024 / 1e6
        L.append(f"| time < {TARGET_SECONDS:g} s | {t['time']:.3f} s | "
                 f"{'PASS' if t['time'] < TARGET_SECONDS else 'MISS'} |")
        L.append(f"| peak RSS < {TARGET_MB} MB | {mb:.1f} MB ({t['rss'] / 1024:.1f} MiB) | "
                 f"{'PASS' if mb < TARGET_MB else 'MISS'} |")
    L.append("")
    L.append(END)
    return "\n".join(L) + "\n"


def write_section(path, text):
    old = read(path)
    if not old:
        new = PREFACE + "\n" + text
    else:
        b, e = old.find(BEGIN), old.find(END)
        if b >= 0 and e > b:
            after = old[e + len(END):]
            if after.startswith("\n"):
                after = after[1:]
            new = old[:b] + text + after
        else:
            new = old.rstrip("\n") + "\n\n" + text
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".PERFORMANCE.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(new)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ticctl", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sizes", default="1000,10000,100000")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "PERFORMANCE.md"))
    a = ap.parse_args()
    sizes = sorted({int(s.replace("_", "")) for s in a.sizes.split(",") if s.strip()})
    if not sizes or a.runs < 1:
        ap.error("need at least one size and one run")
    ticctl = os.path.abspath(a.ticctl)
    try:
        ticctl_rel = os.path.relpath(ticctl, os.getcwd())
    except ValueError:
        ticctl_rel = ticctl
    cmd = " ".join(shlex.quote(x) for x in [sys.executable] + sys.argv)

    rows = []
    with tempfile.TemporaryDirectory(prefix="ticd-bench-") as tmp:
        for n in sizes:
            journal = os.path.join(tmp, f"journal-{n}.jsonl")
            print(f"bench/plan.py: generating {n} centres", file=sys.stderr, flush=True)
            generate(n, a.seed, journal)
            events = count_lines(journal)
            obl = obligations(ticctl, journal)
            times, rss = [], []
            for i in range(a.runs):
                t, r = timed_run(ticctl, journal)
                times.append(t)
                rss.append(r)
                print(f"  {n} centres, run {i + 1}/{a.runs}: {t:.3f} s, {r / 1024:.1f} MiB",
                      file=sys.stderr, flush=True)
            rows.append({"n": n, "events": events, "obligations": obl,
                         "bytes": os.path.getsize(journal), "times": times,
                         "time": statistics.median(times), "rss": statistics.median(rss)})
            os.unlink(journal)

    text = section(machine(), cmd, a.runs, a.seed, rows, ticctl_rel)
    write_section(a.out, text)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
