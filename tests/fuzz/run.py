#!/usr/bin/python3
"""Runs the libFuzzer targets one after another, each for its share of a
time budget, over its seeds and regressions (tests/fuzz/NAME/, replayed
first: any crash there fails at once) and what earlier runs found
(build/fuzz/corpus/NAME/).

  run.py --build build/fuzz --seconds 600 event config ...   make fuzz
  run.py --build build/fuzz --smoke --seconds 4 event ...    make fuzz-smoke

--seconds is the whole budget for make fuzz (split evenly), and the time
of each target with --smoke.  A crash, a leak, a timeout or a broken
invariant stops the run: the input is kept in build/fuzz/crashes/NAME/
and the command to replay it is printed.  Prints one line per target and
a closing 'N passed, N failed'.
"""
import argparse
import os
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

# Per target: the longest input, and the time one input may take.
LIMITS = {
    "event": (8192, 10),
    "config": (4096, 10),
    "holidays": (8192, 10),
    "rules": (8192, 10),
    "http": (8192, 10),
    "feed": (4096, 20),
}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build/fuzz")
    ap.add_argument("--seconds", type=float, default=600)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("targets", nargs="+")
    args = ap.parse_args()
    build = Path(args.build).resolve()
    each = args.seconds if args.smoke else args.seconds / len(args.targets)
    each = max(1, int(each))
    passed = failed = 0
    for name in args.targets:
        binary = build / f"fuzz_{name}"
        seeds = HERE / name
        corpus = build / "corpus" / name
        crashes = build / "crashes" / name
        corpus.mkdir(parents=True, exist_ok=True)
        crashes.mkdir(parents=True, exist_ok=True)
        max_len, timeout = LIMITS.get(name, (4096, 10))
        cmd = [str(binary), f"-max_total_time={each}",
               f"-max_len={max_len}", f"-timeout={timeout}",
               "-rss_limit_mb=2048", "-print_final_stats=1",
               f"-artifact_prefix={crashes}/",
               str(corpus), str(seeds)]
        env = dict(os.environ)
        env.setdefault("ASAN_OPTIONS", "detect_leaks=1")
        env.setdefault("UBSAN_OPTIONS", "print_stacktrace=1")
        start = time.monotonic()
        log = build / f"fuzz_{name}.log"
        with open(log, "w") as out:
            rc = subprocess.call(cmd, stdout=out, stderr=subprocess.STDOUT,
                                 env=env, cwd=build)
        took = time.monotonic() - start
        text = log.read_text(errors="replace")
        runs = re.findall(r"stat::number_of_executed_units:\s*(\d+)", text)
        cov = re.findall(r"cov: (\d+)", text)
        summary = (f"{name}: {runs[-1] if runs else '?'} inputs in "
                   f"{took:.0f} s, coverage {cov[-1] if cov else '?'} "
                   f"edges, corpus {len(list(corpus.iterdir()))} files")
        if rc == 0:
            passed += 1
            print("ok   " + summary, flush=True)
        else:
            failed += 1
            found = re.findall(r"Test unit written to (\S+)", text)
            print(f"FAIL {summary} (exit {rc}); log {log}", flush=True)
            tail = text[-3000:]
            print(tail, flush=True)
            if found:
                print(f"replay: {binary} {found[-1]}", flush=True)
    print(f"fuzz: {passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
