#!/usr/bin/python3
"""Feeds: fixed journals through `ticctl feed`, checked three ways.

For each case of cases.txt (NAME, then the arguments of `ticctl feed`):

  1. the whole stdout must equal NAME.ics byte for byte (golden; --update
     rewrites them after a reviewed change);
  2. python3-icalendar (Debian's) parses it, and what a user sees is checked
     against `ticctl plan` on the same journal, derived here independently:
     one VEVENT (or VTODO) per obligation in scope and kept by retention, in
     the plan's order; its SUMMARY, all-day date, key-based UID, STATUS
     (CANCELLED for void), DTSTAMP at the as-of day's 00:00 +08:00, links,
     alarms; the calendar's names and refresh interval; and every physical
     line: CRLF, at most 75 octets, never a UTF-8 sequence split by a fold;
  3. ical.js (npm, tests/feeds/node_modules) parses it too and must read the
     same components, UIDs, summaries and dates (icaljs-check.mjs).

The cases together must cover each feature (retention drop, void, done,
provisional, alarms, VTODO, links, unit and centre scopes, flattened names).
"""
import argparse
import datetime
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
RETENTION = 400
CN8 = datetime.timezone(datetime.timedelta(hours=8))
STATE_MARK = {"open": "", "overdue": "（已逾期）", "done": "（已完成）",
              "void": "（已失效）"}

try:
    import icalendar
except ImportError:
    sys.exit("tests/feeds: python3-icalendar is missing (make deps installs it)")


def feed_args(args):
    """The options of `ticctl feed` that decide what the feed holds."""
    p = argparse.ArgumentParser(add_help=False)
    p.add_argument("--bureau", action="store_true")
    p.add_argument("--unit")
    p.add_argument("--centre")
    p.add_argument("--as-of", required=True)
    p.add_argument("--until")
    p.add_argument("--holidays", action="append", default=[])
    p.add_argument("--rules")
    p.add_argument("--retention", type=int, default=RETENTION)
    p.add_argument("--public-url")
    p.add_argument("--alarms", action="store_true")
    p.add_argument("--todo", action="store_true")
    p.add_argument("journal")
    return p.parse_args(args)


def read_cases():
    cases = []
    with open(os.path.join(HERE, "cases.txt"), encoding="utf-8") as f:
        for line in f:
            if not line.strip() or line.startswith("#"):
                continue
            words = shlex.split(line)
            cases.append((words[0], words[1:]))
    return cases


def plan_of(ticctl, a):
    cmd = [ticctl, "plan", "--as-of", a.as_of]
    if a.until:
        cmd += ["--until", a.until]
    for h in a.holidays:
        cmd += ["--holidays", h]
    if a.rules:
        cmd += ["--rules", a.rules]
    r = subprocess.run(cmd + [a.journal], cwd=HERE, capture_output=True,
                       timeout=60, check=True)
    return [json.loads(l) for l in r.stdout.decode().splitlines()]


def centre_names(journal):
    names = {}
    with open(os.path.join(HERE, journal), encoding="utf-8") as f:
        for line in f:
            if line.startswith("{"):
                ev = json.loads(line)
                if ev["type"] == "registered":
                    names[ev["centre"]] = ev["name"]
    return names


def day(s):
    return datetime.date.fromisoformat(s)


def flat(s):
    return s.replace(",", "，").replace(";", "；")


def expected(plan, a):
    """The obligations the feed must hold, and those retention dropped."""
    as_of = day(a.as_of)
    keep, dropped = [], []
    for o in plan:
        if a.unit is not None:
            ok = ("unit" in o["to"]) if o["centre"] is None \
                else o.get("unit") == a.unit
        elif a.centre is not None:
            ok = o["centre"] == a.centre
        else:
            ok = True
        if not ok:
            continue
        if o["state"] in ("done", "void") and \
                as_of > day(o["due"]) + datetime.timedelta(days=a.retention):
            dropped.append(o)
        else:
            keep.append(o)
    return keep, dropped


def check_lines(data):
    """Every physical line: CRLF, <= 75 octets, UTF-8 on its own."""
    if not data.endswith(b"\r\n"):
        return "the feed does not end with CRLF"
    lines = data[:-2].split(b"\r\n")
    for i, line in enumerate(lines, 1):
        if b"\n" in line or b"\r" in line:
            return f"line {i}: a bare CR or LF"
        if len(line) > 75:
            return f"line {i}: {len(line)} octets"
        try:
            line.decode("utf-8")
        except UnicodeDecodeError:
            return f"line {i}: a fold splits a UTF-8 sequence: {line!r}"
        if i > 1 and not line.startswith(b" ") and b":" not in line:
            return f"line {i}: neither a property nor a continuation"
    return None


def text(v):
    return None if v is None else str(v)


def categories(comp):
    cats = comp.get("CATEGORIES")
    if cats is None:
        return []
    if not isinstance(cats, list):
        cats = [cats]
    return [str(c) for cat in cats for c in cat.cats]


def check_feed(data, a, plan, names, seen):
    why = check_lines(data)
    if why:
        return why
    cal = icalendar.Calendar.from_ical(data)
    as_of = day(a.as_of)
    stamp = datetime.datetime.combine(as_of, datetime.time(), CN8)

    # The calendar.
    if a.unit is not None:
        label = a.unit
        seen.add("unit scope")
    elif a.centre is not None:
        label = names[a.centre]
        seen.add("centre scope")
    else:
        label = "全市"
    want_name = f"阳泉市技术创新中心义务（{label}）" + (" · 待办" if a.todo else "")
    if text(cal.get("NAME")) != want_name:
        return f"NAME is {cal.get('NAME')!r}, expected {want_name!r}"
    if text(cal.get("X-WR-CALNAME")) != flat(want_name):
        return f"X-WR-CALNAME is {cal.get('X-WR-CALNAME')!r}"
    if flat(want_name) != want_name:
        seen.add("flattened name")
    for prop, want in (("VERSION", "2.0"), ("CALSCALE", "GREGORIAN"),
                       ("X-WR-TIMEZONE", "Asia/Shanghai"),
                       ("X-PUBLISHED-TTL", "PT1H")):
        if text(cal.get(prop)) != want:
            return f"{prop} is {cal.get(prop)!r}, expected {want!r}"
    if not text(cal.get("PRODID")):
        return "no PRODID"
    ri = cal.get("REFRESH-INTERVAL")
    if ri is None or ri.params.get("VALUE") != "DURATION" or \
            ri.to_ical() != b"PT1H":
        return f"REFRESH-INTERVAL is {ri!r}"
    zones = {text(z.get("TZID")) for z in cal.walk("VTIMEZONE")}
    for comp in cal.walk():
        for name, value in comp.property_items(recursive=False):
            tzid = getattr(value, "params", {}).get("TZID")
            if tzid and tzid not in zones:
                return f"{name} names TZID {tzid} without a VTIMEZONE"

    # The obligations.
    keep, dropped = expected(plan, a)
    if dropped:
        seen.add("retention drop")
    kind = "VTODO" if a.todo else "VEVENT"
    other = "VEVENT" if a.todo else "VTODO"
    comps = cal.walk(kind)
    if cal.walk(other):
        return f"a {other} in a feed of {kind}s"
    if len(comps) != len(keep):
        return f"{len(comps)} {kind}s, expected {len(keep)}"
    if a.todo:
        seen.add("VTODO")
    suffix = "@todo.ticd" if a.todo else "@ticd"
    for c, o in zip(comps, keep):
        key, due = o["key"], day(o["due"])
        uid = text(c.get("UID"))
        if not uid.endswith(suffix) or \
                urllib.parse.unquote(uid[:-len(suffix)]) != key:
            return f"UID {uid!r} is not key {key!r}"
        if any(ord(ch) > 126 for ch in uid):
            return f"UID {uid!r} is not ASCII"
        who = "全市" if o["centre"] is None else names[o["centre"]]
        summary = re.escape(o["title"])
        # The year a title reads: a yearly rule's own, or the evaluation
        # year in the key of what a year's result or deadline started
        # (rules.md section 4: CENTRE/RULE/YEAR).
        year = o.get("year")
        if year is None and o["rule"] in ("rectification", "revocation",
                                          "abandonment"):
            year = int(key.split("/")[2].split("#")[0])
        if year is not None:
            summary += re.escape(f"（{year}年度）")
        if o["provisional"]:
            summary += "（暂定）"
            seen.add("provisional")
        summary += re.escape(STATE_MARK[o["state"]]) + " · " + re.escape(who)
        got = text(c.get("SUMMARY"))
        if not re.fullmatch("【第[^】]+】" + summary, got):
            return f"{key}: SUMMARY {got!r}"
        if a.todo:
            d = c.get("DUE")
            if d is None or type(d.dt) is not datetime.date or d.dt != due:
                return f"{key}: DUE {d and d.dt!r}, expected the date {due}"
            if c.get("DTSTART") is not None:
                return f"{key}: a VTODO with DTSTART"
        else:
            s, e = c.get("DTSTART"), c.get("DTEND")
            if type(s.dt) is not datetime.date or s.dt != due or \
                    s.params.get("VALUE") != "DATE":
                return f"{key}: DTSTART {s.dt!r}, expected the date {due}"
            if type(e.dt) is not datetime.date or \
                    e.dt != due + datetime.timedelta(days=1):
                return f"{key}: DTEND {e.dt!r}, expected the day after {due}"
            if text(c.get("TRANSP")) != "TRANSPARENT":
                return f"{key}: TRANSP {c.get('TRANSP')!r}"
        status = text(c.get("STATUS"))
        if o["state"] == "void":
            want = "CANCELLED"
            seen.add("void")
        elif a.todo:
            want = "COMPLETED" if o["state"] == "done" else "NEEDS-ACTION"
        elif o["provisional"] and o["state"] in ("open", "overdue"):
            want = "TENTATIVE"
        else:
            want = "CONFIRMED"
        if o["state"] == "done":
            seen.add("done")
        if status != want:
            return f"{key}: STATUS {status}, expected {want}"
        for prop in ("DTSTAMP", "LAST-MODIFIED"):
            v = c.get(prop)
            if v is None or v.dt != stamp or v.dt.utcoffset() != \
                    datetime.timedelta(0):
                return f"{key}: {prop} {v and v.dt!r}, expected {stamp} in UTC"
        if c.get("SEQUENCE") != 0:
            return f"{key}: SEQUENCE {c.get('SEQUENCE')!r}"
        desc = text(c.get("DESCRIPTION"))
        for part in (f"到期日：{o['due']}", f"义务编号：{key}", "日期推算：【",
                     "状态："):
            if part not in desc:
                return f"{key}: DESCRIPTION lacks {part!r}"
        if flat(o["title"]) not in categories(c):
            return f"{key}: CATEGORIES {categories(c)} lack the rule's title"
        url = text(c.get("URL"))
        if a.public_url:
            want = a.public_url.rstrip("/") + "/obligations/" + \
                urllib.parse.quote(key, safe="-._~")
            if url != want:
                return f"{key}: URL {url!r}, expected {want!r}"
            seen.add("links")
        elif url is not None:
            return f"{key}: a URL without --public-url"
        triggers = sorted(str(al.get("TRIGGER").dt) for al in c.walk("VALARM"))
        want = []
        if a.alarms and o["state"] == "open":
            for n in (7, 1):
                if due - datetime.timedelta(days=n) >= as_of:
                    want.append(str(-datetime.timedelta(days=n, hours=-9)))
        if triggers != sorted(want):
            return f"{key}: alarms {triggers}, expected {sorted(want)}"
        if want:
            seen.add("alarms")
        for al in c.walk("VALARM"):
            if text(al.get("ACTION")) != "DISPLAY" or \
                    not text(al.get("DESCRIPTION")):
                return f"{key}: an alarm without ACTION:DISPLAY or text"
            rel = al.get("TRIGGER").params.get("RELATED")
            if (rel == "END") != a.todo:
                return f"{key}: TRIGGER RELATED={rel} in a {kind}"
    return None


def check_icaljs(files, parsed):
    """ical.js must read what python3-icalendar read."""
    node = shutil.which("node")
    if node is None:
        return {f: "node is missing (make deps installs nodejs)" for f in files}
    r = subprocess.run([node, os.path.join(HERE, "icaljs-check.mjs"), *files],
                       cwd=HERE, capture_output=True, timeout=120)
    out = {}
    results = {}
    for line in r.stdout.decode().splitlines():
        j = json.loads(line)
        results[j["file"]] = j
    for f in files:
        j = results.get(f)
        if j is None:
            out[f] = "ical.js: no result: " + r.stderr.decode()[-2000:]
        elif "error" in j:
            out[f] = "ical.js: " + j["error"]
        else:
            mine = parsed[f]
            theirs = [(i["uid"], i["summary"], i["date"]) for i in j["items"]]
            if theirs != mine:
                out[f] = f"ical.js read {len(theirs)} items, not the same " \
                         f"as python3-icalendar's {len(mine)}"
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ticctl", required=True)
    ap.add_argument("--update", action="store_true",
                    help="rewrite the .ics files from ticctl's output")
    a = ap.parse_args()
    ticctl = os.path.abspath(a.ticctl)
    passed = failed = 0
    seen = set()
    tmp = tempfile.mkdtemp(prefix="ticd-feeds-")
    files, parsed, why_of = [], {}, {}
    try:
        for name, args in read_cases():
            fa = feed_args(args)
            r = subprocess.run([ticctl, "feed", *args], cwd=HERE,
                               capture_output=True, timeout=60)
            golden = os.path.join(HERE, name + ".ics")
            why = None
            if r.returncode != 0:
                why = f"exit {r.returncode}: {r.stderr.decode()}"
            elif a.update:
                with open(golden, "wb") as f:
                    f.write(r.stdout)
            elif not os.path.exists(golden):
                why = f"no {name}.ics (run with --update after review)"
            else:
                with open(golden, "rb") as f:
                    want = f.read()
                if r.stdout != want:
                    got_l, want_l = r.stdout.split(b"\r\n"), want.split(b"\r\n")
                    for i, (g, w) in enumerate(zip(got_l, want_l)):
                        if g != w:
                            why = (f"differs from {name}.ics at line {i + 1}:"
                                   f"\n  want {w.decode(errors='replace')}"
                                   f"\n  got  {g.decode(errors='replace')}")
                            break
                    else:
                        why = f"{len(want_l)} lines expected, " \
                              f"{len(got_l)} printed"
            if why is None:
                try:
                    why = check_feed(r.stdout, fa, plan_of(ticctl, fa),
                                     centre_names(fa.journal), seen)
                except Exception as e:  # a parse error is a failure too
                    why = f"python3-icalendar: {type(e).__name__}: {e}"
            if why is None:
                path = os.path.join(tmp, name + ".ics")
                with open(path, "wb") as f:
                    f.write(r.stdout)
                cal = icalendar.Calendar.from_ical(r.stdout)
                parsed[path] = [
                    (str(c["UID"]), str(c["SUMMARY"]),
                     (c["DUE"] if fa.todo else c["DTSTART"]).dt.isoformat())
                    for c in cal.walk("VTODO" if fa.todo else "VEVENT")]
                files.append(path)
                why_of[path] = name
            else:
                failed += 1
                print(f"FAIL  {name}: {why}")
        for path, why in check_icaljs(files, parsed).items():
            failed += 1
            print(f"FAIL  {why_of[path]}: {why}")
            files.remove(path)
        for path in files:
            passed += 1
            print(f"ok    {why_of[path]}")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    needed = {"retention drop", "void", "done", "provisional", "alarms",
              "VTODO", "links", "unit scope", "centre scope", "flattened name"}
    if failed == 0 and needed - seen:
        failed += 1
        print("FAIL  coverage: no case shows " + ", ".join(sorted(needed - seen)))
    print(f"feeds: {passed} passed, {failed} failed")
    return 1 if failed or not passed else 0


if __name__ == "__main__":
    sys.exit(main())
