"""
Events recorded through the API give the obligations ticctl plan gives on
the same journal and day (docs/api.md, GET /api/v1/obligations), for every
filter and every role's view.
"""
import datetime
import re
import subprocess

import pytest

from conftest import (DEMO_JOURNAL, TICCTL, demo_events, post_demo, q,
                      ticctl_plan, write_journal)


@pytest.fixture
def demo(ticd, tmp_path):
    """The demo journal posted event by event; the journal file written
    from the events as ticd stored them."""
    ticd.journal = tmp_path / "journal.jsonl"
    ticd.replies = post_demo(ticd, ticd.journal)
    ticd.stored = [r["event"] for r in ticd.replies]
    return ticd


def test_obligations_equal_ticctl_plan(demo):
    today = demo.today()
    got = demo.obligations()
    assert got["as_of"] == today
    until = datetime.date.fromisoformat(today) + datetime.timedelta(days=400)
    assert got["until"] == until.isoformat()
    want = ticctl_plan(demo.journal, today)
    assert len(want) > 50
    assert got["obligations"] == want
    # The same fields in the same order, as ticctl prints them.
    assert [list(o) for o in got["obligations"]] == [list(o) for o in want]


def test_events_listed_as_recorded(demo):
    listed = demo.events()
    assert [e["event"] for e in listed] == demo.stored
    assert [e["seq"] for e in listed] == list(range(1, len(demo.stored) + 1))
    assert [e["seq"] for e in listed] == [r["seq"] for r in demo.replies]
    # An event without an id got one; one with an id kept it.
    for given, stored in zip(demo_events(), demo.stored):
        assert stored["id"] == given.get("id", stored["id"])
        assert {k: v for k, v in stored.items() if k != "id"} == \
            {k: v for k, v in given.items() if k != "id"}
    assert demo.count() == len(demo.stored)


def test_events_listing_has_recorded_at(demo):
    """docs/api.md: GET /api/v1/events lists {"seq","recorded_at","event"}."""
    listed = demo.events()
    stamp = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00$")
    assert all(stamp.match(r["recorded_at"]) for r in demo.replies)
    got = [e.get("recorded_at") for e in listed]
    assert got == [r["recorded_at"] for r in demo.replies], \
        "GET /api/v1/events: %r" % listed[0]


@pytest.mark.parametrize("query, keep", [
    ("centre=yq-001", lambda o: o["centre"] == "yq-001"),
    ("unit=" + q("城区科技局"), lambda o: o.get("unit") == "城区科技局"),
    ("rule=evaluation", lambda o: o["rule"] == "evaluation"),
    ("state=open", lambda o: o["state"] == "open"),
    ("state=open,overdue", lambda o: o["state"] in ("open", "overdue")),
    ("state=done&state=void", lambda o: o["state"] in ("done", "void")),
    ("due_from=2026-01-01&due_to=2026-12-31",
     lambda o: "2026-01-01" <= o["due"] <= "2026-12-31"),
    ("centre=yq-012&state=open",
     lambda o: o["centre"] == "yq-012" and o["state"] == "open"),
])
def test_obligation_filters(demo, query, keep):
    today = demo.today()
    want = [o for o in ticctl_plan(demo.journal, today) if keep(o)]
    assert want, "the filter should keep something of the demo"
    assert demo.obligations(query="?" + query)["obligations"] == want


def test_a_unit_no_centre_has_is_a_404_not_an_empty_list(demo):
    """A misspelt unit gave the bureau an empty list, which reads as
    "nothing due there"; ticctl upcoming printed 共 0 项."""
    r = demo.get("/api/v1/obligations?unit=" + q("城区科技晶"))
    assert r.status == 404, r
    assert "no registered centre has the unit 城区科技晶" in r.message, r
    p = subprocess.run([TICCTL, "upcoming", "--unit", "城区科技晶", "--url",
                        demo.url(""), "--token", demo.token],
                       capture_output=True, timeout=30)
    assert p.returncode == 1, p
    assert "城区科技晶" in p.stderr.decode() and p.stdout == b"", p


def test_obligations_until(demo):
    today = demo.today()
    until = (datetime.date.fromisoformat(today)
             + datetime.timedelta(days=1200)).isoformat()
    got = demo.obligations(query="?until=" + until)
    assert got["until"] == until
    want = ticctl_plan(demo.journal, today, until=until)
    assert got["obligations"] == want
    assert len(want) > len(ticctl_plan(demo.journal, today))


def test_role_views_are_the_plan_within_scope(demo):
    today = demo.today()
    plan = ticctl_plan(demo.journal, today)
    unit = demo.new_token("unit", "郊区科技局")["token"]
    centre = demo.new_token("centre", "yq-003")["token"]
    unit_centres = {e["centre"] for e in demo.stored
                    if e["type"] == "registered" and e["unit"] == "郊区科技局"}
    assert unit_centres == {"yq-002", "yq-012"}
    want_unit = [o for o in plan if o["centre"] in unit_centres or
                 (o["centre"] is None and "unit" in o["to"])]
    assert demo.obligations(token=unit)["obligations"] == want_unit
    want_centre = [o for o in plan if o["centre"] == "yq-003"]
    assert demo.obligations(token=centre)["obligations"] == want_centre
    # Centres: exactly the scope's, with their obligations.
    r = demo.get("/api/v1/centres", token=unit)
    assert r.status == 200
    assert {c["id"] for c in r.json()["centres"]} == unit_centres
    r = demo.get("/api/v1/centres/yq-003", token=centre)
    assert r.status == 200
    assert r.json()["centre"]["id"] == "yq-003"
    assert r.json()["obligations"] == want_centre


def test_plan_and_journal_survive_restart(demo):
    before = demo.obligations()
    events = demo.events()
    demo.restart()
    assert demo.events() == events
    assert demo.obligations() == before
    assert demo.obligations()["obligations"] == ticctl_plan(
        demo.journal, demo.today())


def test_metrics_agree(demo):
    r = demo.get("/metrics", token=None)
    assert r.status == 200
    text = r.body.decode()
    plan = demo.obligations()["obligations"]
    assert "ticd_events_total %d\n" % len(demo.stored) in text
    for state in ("open", "overdue", "done", "void"):
        n = sum(1 for o in plan if o["state"] == state)
        assert 'ticd_obligations{state="%s"} %d\n' % (state, n) in text
    assert "ticd_centres 12\n" in text


def test_centres_listing(demo):
    r = demo.get("/api/v1/centres")
    assert r.status == 200
    body = r.json()
    assert body["today"] == demo.today()
    centres = {c["id"]: c for c in body["centres"]}
    assert sorted(centres) == ["yq-%03d" % i for i in range(1, 13)]
    assert list(centres["yq-001"]) == ["id", "name", "unit", "state",
                                       "state_cn", "since", "registered",
                                       "legacy", "ban_until"]
    c = centres["yq-001"]
    assert (c["unit"], c["state"], c["since"], c["registered"], c["legacy"],
            c["ban_until"]) == ("城区科技局", "recognized", "2025-10-20",
                                "2025-09-01", False, None)
    c = centres["yq-007"]
    assert (c["state"], c["legacy"], c["ban_until"]) == \
        ("revoked", True, "2029-03-16")
    assert centres["yq-004"]["state"] == "not_recognized"
    one = demo.get("/api/v1/centres/yq-007").json()
    assert one["centre"] == c
    assert one["obligations"] == [o for o in demo.obligations()[
        "obligations"] if o["centre"] == "yq-007"]


def test_replies_are_utf8_json(demo):
    r = demo.get("/api/v1/obligations")
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    assert "城区科技局".encode("utf-8") in r.body
    assert b"\\u" not in r.body
    r = demo.post("/api/v1/events", {"type": "applied", "date": "2026-01-01",
                                     "centre": "nowhere"})
    assert r.status == 422
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    assert "未登记".encode("utf-8") in r.body and b"\\u" not in r.body


def test_today_is_the_day_in_shanghai(ticd):
    cst = datetime.timezone(datetime.timedelta(hours=8))
    before = datetime.datetime.now(cst)
    today = ticd.today()
    after = datetime.datetime.now(cst)
    assert today in (before.date().isoformat(), after.date().isoformat())
    r = ticd.post("/api/v1/events", {"type": "registered", "date": today,
                  "centre": "t1", "name": "今天", "unit": "城区科技局"})
    assert r.status == 201, r
    stamp = datetime.datetime.fromisoformat(r.json()["recorded_at"])
    assert r.json()["recorded_at"].endswith("+08:00")
    assert abs((stamp - datetime.datetime.now(cst)).total_seconds()) < 120


def test_import_at_start(ticd_factory, tmp_path):
    """ticd -i JOURNAL fills an empty store once; the plan is ticctl's on
    that journal."""
    t = ticd_factory()
    t.token = t.make_token()
    health = t.start(extra_args=["-i", str(DEMO_JOURNAL)])
    n = len(demo_events())
    assert health["events"] == n
    stored = [e["event"] for e in t.events()]
    write_journal(tmp_path / "journal.jsonl", stored)
    today = t.today()
    assert t.obligations()["obligations"] == \
        ticctl_plan(tmp_path / "journal.jsonl", today) == \
        ticctl_plan(DEMO_JOURNAL, today)
    # Not again into a store that has events, and the log says so.
    assert t.stop() == 0
    mark = t.log_size()
    assert t.start(extra_args=["-i", str(DEMO_JOURNAL)])["events"] == n
    assert "%s not imported: -i imports into an empty store only" % \
        DEMO_JOURNAL in t.log_text(mark), t.log_text(mark)
