#!/usr/bin/python3
"""make bench, the offline part: `ticctl plan` and `ticctl feed` on generated journals.

  bench/plan.py --ticctl PATH [--runs 5] [--sizes 1000,10000] [--seed 1]
                [--workloads plan,feed] [--baseline PATH] [--section plan]
                [--out docs/PERFORMANCE.md]

For each size N, bench/gen_journal.py writes a journal of N centres with about five
years of events each into a temporary directory (not timed).  For each workload one
untimed run checks the exit status, counts what was printed and warms the page cache;
then the command runs --runs times, each measured for wall time (from fork to
reaping), CPU time (user and system) and the child's peak resident set (ru_maxrss
from wait4).  The medians are reported, with how time and memory per centre grow
from the smallest size to the largest.  `make bench` runs 1,000 and 10,000 centres
into the section "plan"; `make bench-large` runs 1,000, 10,000 and 100,000 into
"plan-large".

With --baseline, another ticctl (an older build, say) runs the same commands, each of
its runs right after the measured one, and the tables give it as the anchor: on a
shared machine only figures taken side by side compare.

Nothing here is a test: it measures and writes the figures, with the machine and the
command, into its own section of docs/PERFORMANCE.md (see bench/perfdoc.py).
"""
import argparse
import os
import shlex
import sys
import tempfile

import perfdoc

AS_OF = "2026-11-28"
# What runs, by name: a title and ticctl's arguments before the journal.
# Reminder planning (scheduler/remind.c, issue 5) joins this table once ticctl
# has a command for it.
WORKLOADS = {
    "plan": ("Planning (`ticctl plan`)", ["plan", "--as-of", AS_OF]),
    "feed": ("Feed rendering (`ticctl feed`, the bureau's whole feed)",
             ["feed", "--as-of", AS_OF]),
    # Planning the obligations is most of it; the reminders of 30 days
    # over them are what issue 5 adds.
    "reminders": ("Reminder planning (`ticctl reminders`, 30 days, as JSON)",
                  ["reminders", "--as-of", AS_OF, "--days", "30", "--json"]),
}
# The target: plan 10,000 centres with five years of events each.
TARGET_N = 10000
TARGET_SECONDS = 1.0
TARGET_MB = 200


def count_events(path):
    n = 0
    with open(path, "rb") as f:
        for line in f:
            s = line.strip()
            if s and not s.startswith(b"#"):
                n += 1
    return n


def untimed(ticctl, args, journal):
    """Exit status 0, and the lines and bytes printed."""
    with tempfile.TemporaryFile() as out:
        rc = perfdoc.run_measured([ticctl] + args + [journal], stdout=out)["rc"]
        if rc != 0:
            sys.exit(f"bench/plan.py: {ticctl} {' '.join(args)} {journal} exited {rc}")
        out.seek(0)
        lines = nbytes = 0
        for chunk in iter(lambda: out.read(1 << 20), b""):
            lines += chunk.count(b"\n")
            nbytes += len(chunk)
    return lines, nbytes


def measure(binaries, args, journal, runs, label):
    """Each binary's runs, interleaved: {binary: {"wall": [...], ...}}."""
    got = {b: {"wall": [], "cpu": [], "rss": []} for b in binaries}
    for i in range(runs):
        for b in binaries:
            m = perfdoc.run_measured([b] + args + [journal])
            if m["rc"] != 0:
                sys.exit(f"bench/plan.py: {b} {label} exited {m['rc']}")
            for k in ("wall", "cpu", "rss"):
                got[b][k].append(m[k])
            print(f"  {label}, run {i + 1}/{runs}, {os.path.relpath(b)}: "
                  f"{m['wall']:.3f} s, CPU {m['cpu']:.3f} s, {m['rss'] / 1024:.1f} MiB",
                  file=sys.stderr, flush=True)
    return got


def table(rows, what, baseline):
    fi = perfdoc.fmt_int
    head = (f"| centres | events | {what} | time (median) | min – max | CPU (median) "
            "| µs / event | peak RSS (median) | KiB / centre |")
    rule = "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    if baseline:
        head += " baseline: time, CPU, peak RSS (medians) | ratio time, CPU, RSS |"
        rule += "---:|---:|"
    L = [head, rule]
    for r in rows:
        line = (f"| {fi(r['n'])} | {fi(r['events'])} | {r['out']} | {r['time']:.3f} s "
                f"| {min(r['times']):.3f} – {max(r['times']):.3f} s | {r['cpu']:.3f} s "
                f"| {r['time'] / r['events'] * 1e6:.2f} | {r['rss'] / 1024:.1f} MiB "
                f"| {r['rss'] / r['n']:.1f} |")
        if baseline:
            b = r["base"]
            line += (f" {b['time']:.3f} s, {b['cpu']:.3f} s, {b['rss'] / 1024:.1f} MiB "
                     f"| {r['time'] / b['time']:.2f}, {r['cpu'] / b['cpu']:.2f}, "
                     f"{r['rss'] / b['rss']:.2f} |")
        L.append(line)
    return L


def growth_lines(rows):
    fi = perfdoc.fmt_int
    L = []
    for key, what in (("time", "time"), ("rss", "peak memory")):
        ratio, steps = perfdoc.growth(rows, key)
        if ratio is None:
            continue
        step = ", ".join(f"{fi(b)} over {fi(a)}: {x:.2f}" for a, b, x in steps)
        L.append(f"- {what} per centre at {fi(rows[-1]['n'])} centres over "
                 f"{fi(rows[0]['n'])} (1 is linear; up to 1.2 counts as linear here): "
                 f"**{ratio:.2f}**, {perfdoc.verdict(ratio)}. Step by step: {step}.")
    return L


def target_lines(rows):
    t = next((r for r in rows if r["n"] == TARGET_N), None)
    L = [f"Target (issue 2): plan {perfdoc.fmt_int(TARGET_N)} centres with five years of "
         f"events each in under {TARGET_SECONDS:g} s and {TARGET_MB} MB.", "",
         "| target | measured (median) | result |", "|---|---:|---|"]
    if t is None:
        L.append(f"| time < {TARGET_SECONDS:g} s | not measured | — |")
        return L
    mb = t["rss"] * 1024 / 1e6
    L.append(f"| time < {TARGET_SECONDS:g} s | {t['time']:.3f} s | "
             f"{'PASS' if t['time'] < TARGET_SECONDS else 'MISS'} |")
    L.append(f"| (for comparison) CPU time < {TARGET_SECONDS:g} s | {t['cpu']:.3f} s | "
             f"{'pass' if t['cpu'] < TARGET_SECONDS else 'miss'} |")
    L.append(f"| peak RSS < {TARGET_MB} MB | {mb:.1f} MB ({t['rss'] / 1024:.1f} MiB) | "
             f"{'PASS' if mb < TARGET_MB else 'MISS'} |")
    return L


def section(cmd, a, ticctl_rel, results):
    what = {"plan": "planning", "feed": "feeds", "reminders": "reminders"}
    L = [f"## Offline: {', '.join(what[w] for w in a.workloads)}, "
         f"{', '.join(perfdoc.fmt_int(n) for n in a.sizes)} centres", "", f"Measured {perfdoc.stamp()} on:", ""]
    L += perfdoc.machine_lines()
    L += ["", f"Command: `{cmd}`", "",
          f"Each journal is generated once, untimed, by `bench/gen_journal.py N --seed {a.seed} "
          f"--as-of {AS_OF}` (N centres, about five years of events each: application, "
          "publicity, objections, recognition, committees, yearly meetings, evaluations "
          "2021–2025 with fails, rectifications and revocations, legacy centres and "
          "transitions; centre after centre, not sorted by date as a whole). Each command "
          f"below then runs once untimed (exit status, output, page cache) and {a.runs} times "
          "measured, output to /dev/null; the tables give the medians of the wall time "
          "(fork to reaping), of the CPU time (user and system: less disturbed than the "
          "wall time by the others sharing the machine) and of the child's peak resident "
          "set (`ru_maxrss` from `wait4`)."]
    if a.baseline:
        L += [f"The baseline, `{os.path.relpath(a.baseline)}`, ran the same commands, each "
              "of its runs right after the one measured here; a ratio below 1 is faster or "
              "smaller than the baseline."]
    L.append("")
    for name in a.workloads:
        title, args = WORKLOADS[name]
        rows = results[name]
        L += [f"### {title}", "",
              f"`{ticctl_rel} {' '.join(args)} FILE > /dev/null`", ""]
        L += table(rows, "output", a.baseline) + [""]
        L += growth_lines(rows)
        L.append("")
        if name == "plan":
            L += target_lines(rows) + [""]
    return "\n".join(L)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--ticctl", required=True)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--workloads", default=",".join(WORKLOADS))
    ap.add_argument("--baseline", help="another ticctl, measured side by side")
    ap.add_argument("--section", default="plan")
    ap.add_argument("--out", default=perfdoc.DOC)
    a = ap.parse_args()
    a.sizes = sorted({int(s.replace("_", "")) for s in a.sizes.split(",") if s.strip()})
    a.workloads = [w for w in a.workloads.split(",") if w]
    if not a.sizes or a.runs < 1 or any(w not in WORKLOADS for w in a.workloads):
        ap.error(f"need sizes, at least one run, and workloads among {', '.join(WORKLOADS)}")
    ticctl = os.path.abspath(a.ticctl)
    a.baseline = os.path.abspath(a.baseline) if a.baseline else None
    binaries = [ticctl] + ([a.baseline] if a.baseline else [])
    ticctl_rel = os.path.relpath(ticctl, os.getcwd())
    cmd = " ".join(shlex.quote(x) for x in ["/usr/bin/python3"] + sys.argv)

    results = {w: [] for w in a.workloads}
    with tempfile.TemporaryDirectory(prefix="ticd-bench-") as tmp:
        for n in a.sizes:
            journal = os.path.join(tmp, f"journal-{n}.jsonl")
            print(f"bench/plan.py: generating {n} centres", file=sys.stderr, flush=True)
            perfdoc.generate(n, journal, a.seed, AS_OF)
            events = count_events(journal)
            for w in a.workloads:
                args = WORKLOADS[w][1]
                lines, nbytes = untimed(ticctl, args, journal)
                out = (f"{perfdoc.fmt_int(lines)} obligations" if w == "plan"
                       else f"{nbytes / 1e6:.1f} MB")
                got = measure(binaries, args, journal, a.runs, f"{w} {n}")
                row = {"n": n, "events": events, "out": out}
                for b in binaries:
                    m = {"times": got[b]["wall"], "time": perfdoc.median(got[b]["wall"]),
                         "cpu": perfdoc.median(got[b]["cpu"]),
                         "rss": perfdoc.median(got[b]["rss"])}
                    if b == ticctl:
                        row.update(m)
                    else:
                        row["base"] = m
                results[w].append(row)
            os.unlink(journal)

    text = section(cmd, a, ticctl_rel, results)
    perfdoc.write_section(a.section, text, a.out)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
