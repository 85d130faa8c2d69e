#!/usr/bin/python3
"""A generated journal for benchmarks: N centres, about five years of events each.

  bench/gen_journal.py N [--seed S] [--as-of 2026-11-28] > journal.jsonl

The output is deterministic for a given N, seed and as-of day, and valid for
`ticctl plan --as-of AS-OF` (no refused line): every centre's `registered` comes
before its other events, no event is dated before its registration or after the
as-of day, evaluations, results and revocations only follow a recognition,
`rectify_by` goes with `fail` and only with it, and a revoked centre does not
apply again.

Layout: the bureau-wide events (a `round_announced` for each year 2022..2026 and
an `evaluation_round` for each year 2021..2025, dated in the first quarter of the
next year) come first, then each centre's events in date order, centre after
centre. The file is therefore not sorted by date as a whole, which the planner
must accept.

Per centre (shares are approximate):
  * 20 % legacy centres (`legacy: true`, recognized under the 2022 measures,
    registered 2022-01..2023-12), half of them later `transition_met`;
  * the others register in a cohort year 2021..2025 (mostly 2021), then
    `applied`, `recommended`, `publicity_started`; 8 % draw an
    `objection_received` settled by `objection_resolved` (one in eight of those
    `not_recognized`, which ends the centre); the rest are `recognized`;
  * a `committee_formed` after recognition (12 % non-compliant: fewer than 5
    members or host members over half, most re-formed compliantly a few months
    later), re-formed when its five-year term runs out;
  * an `expert_meeting_held` in most years after recognition;
  * for each evaluation round the centre was recognized by: an
    `evaluation_submitted` (a few late, a very few never) and an
    `evaluation_result` (about 5 % `fail`, with `rectify_by`, mostly followed by
    `rectification_completed`); a second consecutive fail leads to `revoked`
    (Art. 14) and the centre's events stop there;
  * a `director_changed` for about 12 % of the centres.
"""
import argparse
import datetime as dt
import json
import random
import sys

UNITS = ["城区科技局", "矿区科技局", "郊区科技局", "平定县科技局", "盂县科技局",
         "高新区科技局", "市工业和信息化局", "市能源局"]
FIELDS = ["智能矿山装备", "铝镁轻合金材料", "绿色陶瓷建材", "光伏组件回收", "耐火材料",
          "煤层气装备制造", "数字化工控", "硅基新材料", "特色农产品精深加工", "氢能储运",
          "高端轴承", "固废资源化利用", "新能源汽车零部件", "生物医药", "储能材料"]

# Bureau-wide calendar: (round name, announced, application deadline, recommendation deadline)
ROUNDS = [
    ("2022-1", "2022-03-01", "2022-04-15", "2022-05-13"),
    ("2023-1", "2023-03-01", "2023-04-14", "2023-05-12"),
    ("2024-1", "2024-03-01", "2024-04-15", "2024-05-15"),
    ("2025-1", "2025-09-22", "2025-10-31", "2025-11-14"),
    ("2026-1", "2026-11-02", "2026-12-11", "2026-12-25"),
]
# Evaluation rounds: year Y is announced in the first quarter of Y+1, deadline weeks later.
EVAL_ROUNDS = {
    2021: ("2022-02-21", "2022-03-25"),
    2022: ("2023-02-20", "2023-03-24"),
    2023: ("2024-02-26", "2024-03-29"),
    2024: ("2025-02-24", "2025-03-28"),
    2025: ("2026-02-23", "2026-03-27"),
}
# Non-legacy cohorts: the year a centre registers and applies, with its weight.
COHORTS = [(2021, 55), (2022, 18), (2023, 12), (2024, 9), (2025, 6)]
COHORT_START = {2021: "2021-03-01", 2022: "2022-03-01", 2023: "2023-03-01",
                2024: "2024-03-01", 2025: "2025-09-22"}

D = dt.date.fromisoformat


def iso(d):
    return d.isoformat()


class Centre:
    """Collects one centre's events, dropping those after the as-of day."""

    def __init__(self, cid, as_of):
        self.cid, self.as_of, self.events, self.n = cid, as_of, [], 0

    def add(self, date, typ, **extra):
        if date > self.as_of:
            return False
        self.n += 1
        ev = {"type": typ, "date": iso(date), "centre": self.cid,
              "id": f"{self.cid}-{self.n}"}
        ev.update(extra)
        self.events.append((date, self.n, ev))
        return True


def plus(d, lo, hi, rng):
    return d + dt.timedelta(days=rng.randint(lo, hi))


def committee(c, rng, start, end_bound):
    """committee_formed at start, a compliant re-formation if not compliant, and a new
    committee whenever a five-year term runs out before end_bound."""
    d = start
    while d <= end_bound:
        if rng.random() < 0.12:
            if rng.random() < 0.5:
                m = rng.randint(3, 4)
                h = rng.randint(0, m // 2)
            else:
                m = rng.randint(5, 9)
                h = rng.randint(m // 2 + 1, m)
            c.add(d, "committee_formed", members=m, host_members=h)
            if rng.random() < 0.85:
                d = plus(d, 30, 150, rng)
                if d > end_bound:
                    return
            else:
                d = d.replace(year=d.year + 5) - dt.timedelta(days=rng.randint(0, 20))
                continue
        m = rng.randint(5, 11)
        h = rng.randint(0, m // 2)
        c.add(d, "committee_formed", members=m, host_members=h)
        # The term runs five years from d; re-formed shortly before it ends.
        d = d.replace(year=d.year + 5, day=min(d.day, 28)) - dt.timedelta(days=rng.randint(1, 20))


def centre_events(i, rng, as_of):
    cid = f"c{i:06d}"
    c = Centre(cid, as_of)
    unit = UNITS[rng.randrange(len(UNITS))]
    name = f"阳泉市{FIELDS[rng.randrange(len(FIELDS))]}技术创新中心（{i}号）"
    legacy = rng.random() < 0.20
    reg = {"name": name, "unit": unit}

    def birth():
        return iso(dt.date(rng.randint(1962, 1982), rng.randint(1, 12), rng.randint(1, 28)))

    if legacy:
        registered = plus(D("2022-01-04"), 0, 700, rng)
        reg["legacy"] = True
        reg["director_birth"] = birth()
        reg["note"] = "按旧办法（阳科发〔2022〕21号）认定"
        if not c.add(registered, "registered", **reg):
            return c
        recognized = registered
    else:
        cohort = rng.choices([y for y, _ in COHORTS], [w for _, w in COHORTS])[0]
        registered = plus(D(COHORT_START[cohort]), 0, 25, rng)
        if rng.random() < 0.6:
            reg["director_birth"] = birth()
        if not c.add(registered, "registered", **reg):
            return c
        applied = plus(registered, 0, 14, rng)
        recommended = plus(applied, 10, 30, rng)
        pub = plus(recommended, 20, 60, rng)
        c.add(applied, "applied")
        c.add(recommended, "recommended")
        c.add(pub, "publicity_started")
        if rng.random() < 0.08:
            obj = plus(pub, 0, 4, rng)
            res = plus(obj, 7, 20, rng)
            c.add(obj, "objection_received")
            outcome = "not_recognized" if rng.random() < 0.125 else "recognized"
            c.add(res, "objection_resolved", outcome=outcome)
            if outcome == "not_recognized":
                return c
            recognized = res
        else:
            recognized = plus(pub, 10, 30, rng)
            c.add(recognized, "recognized", note=f"阳科发〔{recognized.year}〕{i}号")
        if recognized > as_of:
            return c

    # Evaluations first: they decide whether (and when) the centre is revoked.
    end = as_of
    failed_last = False
    revoked = None
    for year in sorted(EVAL_ROUNDS):
        rdate, deadline = map(D, EVAL_ROUNDS[year])
        if recognized > rdate or rdate > as_of:
            continue
        r = rng.random()
        if r < 0.01:
            failed_last = False   # nothing submitted: abandonment is the bureau's call
            continue
        sub = plus(deadline, 1, 20, rng) if r < 0.04 else plus(rdate, 1, (deadline - rdate).days, rng)
        c.add(sub, "evaluation_submitted", year=year)
        res = plus(max(sub, deadline), 21, 56, rng)
        fail = rng.random() < (0.12 if failed_last else 0.05)
        if fail:
            rectify_by = plus(res, 60, 120, rng)
            c.add(res, "evaluation_result", year=year, grade="fail", rectify_by=iso(rectify_by))
            if failed_last:
                revoked = plus(res, 14, 45, rng)
                c.add(revoked, "revoked", article=14, note="连续2次评价不合格")
                break
            if rng.random() < 0.9:
                c.add(plus(res, 20, (rectify_by - res).days + (15 if rng.random() < 0.1 else 0), rng),
                      "rectification_completed")
        else:
            grade = rng.choices(["excellent", "good", "pass"], [20, 45, 35])[0]
            c.add(res, "evaluation_result", year=year, grade=grade)
        failed_last = fail
    if revoked is not None:
        end = min(end, revoked - dt.timedelta(days=1))

    committee(c, rng, plus(recognized, 10, 90, rng), end)

    for year in range(recognized.year + 1, end.year + 1):
        if rng.random() < 0.93:
            c.add(min(plus(dt.date(year, 3, 1), 0, 270, rng), end), "expert_meeting_held")

    if "director_birth" in reg and rng.random() < 0.15:
        changed = plus(recognized, 200, max(200, (end - recognized).days), rng)
        if changed <= end:
            c.add(changed, "director_changed", director_birth=birth())
    if legacy and revoked is None and rng.random() < 0.5:
        c.add(plus(D("2025-09-08"), 0, 440, rng), "transition_met")
    return c


def bureau_events(as_of):
    out = []
    for k, (name, date, app, rec) in enumerate(ROUNDS, 1):
        if D(date) <= as_of:
            out.append({"type": "round_announced", "date": date, "id": f"round-{k}",
                        "round": name, "application_deadline": app,
                        "recommendation_deadline": rec})
    for year, (date, deadline) in sorted(EVAL_ROUNDS.items()):
        if D(date) <= as_of:
            out.append({"type": "evaluation_round", "date": date, "id": f"eval-{year}",
                        "year": year, "deadline": deadline})
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int, help="number of centres")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--as-of", default="2026-11-28", type=D)
    a = ap.parse_args()
    rng = random.Random(a.seed)
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    out = sys.stdout
    w = out.write
    for ev in bureau_events(a.as_of):
        w(dumps(ev) + "\n")
    for i in range(1, a.n + 1):
        c = centre_events(i, rng, a.as_of)
        c.events.sort(key=lambda t: (t[0], t[1]))
        w("".join(dumps(ev) + "\n" for _, _, ev in c.events))
    out.flush()


if __name__ == "__main__":
    main()
