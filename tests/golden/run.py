#!/usr/bin/python3
"""Golden tests: journals through `ticctl plan` (or `ticctl reminders`), compared
with what a user sees.

Three kinds of case live under tests/golden/ (and its subfolders):

  NAME.jsonl + NAME.expected   the whole stdout of `ticctl plan`, byte for byte
                               (regenerate after a reviewed change with --update)
  NAME.jsonl + NAME.tsv        an independent hand derivation (tests/golden/indep):
                               centre, rule, due, state, provisional, year, in order
  NAME.jsonl + NAME.expect     a refused journal: line 1 is the refused line's
                               number, line 2 a text the error must contain

The first line of each journal is `# ticctl: ARGS...`, the arguments to pass to
`ticctl plan`, or `# ticctl reminders: ARGS...` for `ticctl reminders` (compared
with NAME.expected, or refused per NAME.expect).  In ARGS, {here} is the journal's
folder, for files beside it (a ticd.conf for --config, a holiday table).
"""
import argparse
import json
import os
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def args_of(journal):
    """The subcommand and its arguments, from the journal's first line."""
    with open(journal, encoding="utf-8") as f:
        first = f.readline()
    for prefix, command in (("# ticctl:", "plan"),
                            ("# ticctl reminders:", "reminders")):
        if first.startswith(prefix):
            here = os.path.dirname(os.path.abspath(journal))
            words = shlex.split(first[len(prefix):])
            return command, [w.replace("{here}", here) for w in words]
    raise ValueError(f"{journal}: first line must be '# ticctl: ARGS' "
                     "or '# ticctl reminders: ARGS'")


def run(ticctl, journal):
    command, args = args_of(journal)
    cmd = [ticctl, command, *args, journal]
    return subprocess.run(cmd, capture_output=True, timeout=60)


def project(stdout):
    rows = []
    for line in stdout.decode("utf-8").splitlines():
        o = json.loads(line)
        rows.append("\t".join([
            o["centre"] if o["centre"] is not None else "-",
            o["rule"], o["due"], o["state"],
            "true" if o["provisional"] else "false",
            str(o["year"]) if "year" in o else "-"]))
    return rows


def check_expected(ticctl, journal, expected, update):
    r = run(ticctl, journal)
    if r.returncode != 0:
        return f"exit {r.returncode}: {r.stderr.decode()}"
    if update:
        with open(expected, "wb") as f:
            f.write(r.stdout)
        return None
    with open(expected, "rb") as f:
        want = f.read()
    if r.stdout != want:
        got = r.stdout.decode().splitlines()
        exp = want.decode().splitlines()
        for i, (g, e) in enumerate(zip(got, exp)):
            if g != e:
                return f"line {i + 1} differs:\n  want {e}\n  got  {g}"
        return f"{len(exp)} lines expected, {len(got)} printed"
    return None


def check_tsv(ticctl, journal, tsv):
    r = run(ticctl, journal)
    if r.returncode != 0:
        return f"exit {r.returncode}: {r.stderr.decode()}"
    with open(tsv, encoding="utf-8") as f:
        want = [l.rstrip("\n") for l in f if l.strip()][1:]
    got = project(r.stdout)
    if got != want:
        missing = [w for w in want if w not in got]
        extra = [g for g in got if g not in want]
        msg = []
        if missing:
            msg.append("expected but not printed:\n    " + "\n    ".join(missing))
        if extra:
            msg.append("printed but not expected:\n    " + "\n    ".join(extra))
        if not msg:
            msg.append("same rows, different order")
        return "\n  ".join(msg)
    return None


def check_refused(ticctl, journal, expect):
    with open(expect, encoding="utf-8") as f:
        line, needle = [l.rstrip("\n") for l in f][:2]
    r = run(ticctl, journal)
    err = r.stderr.decode()
    if r.returncode != 1:
        return f"exit {r.returncode}, expected 1; stderr: {err}"
    if r.stdout:
        return "stdout must stay empty for a refused journal"
    lines = [l for l in err.splitlines() if "refused" in l]
    if len(lines) != 1:
        return f"expected one refusal line on stderr, got: {err}"
    if f":{line}: " not in lines[0]:
        return f"refusal should name line {line}: {lines[0]}"
    if needle not in lines[0]:
        return f"refusal should contain {needle!r}: {lines[0]}"
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ticctl", required=True)
    ap.add_argument("--update", action="store_true",
                    help="rewrite the .expected files from ticctl's output")
    a = ap.parse_args()
    ticctl = os.path.abspath(a.ticctl)
    passed = failed = 0
    for root, _, files in sorted(os.walk(HERE)):
        for name in sorted(files):
            if not name.endswith(".jsonl"):
                continue
            journal = os.path.join(root, name)
            base = journal[:-len(".jsonl")]
            rel = os.path.relpath(journal, HERE)
            if os.path.exists(base + ".expect"):
                why = check_refused(ticctl, journal, base + ".expect")
            elif os.path.exists(base + ".tsv"):
                why = check_tsv(ticctl, journal, base + ".tsv")
            elif os.path.exists(base + ".expected") or a.update:
                why = check_expected(ticctl, journal, base + ".expected",
                                     a.update)
            else:
                why = "no .expected, .tsv or .expect beside it"
            if why is None:
                passed += 1
                print(f"ok    {rel}")
            else:
                failed += 1
                print(f"FAIL  {rel}: {why}")
    print(f"golden: {passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
