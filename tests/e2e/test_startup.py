"""
Start-up with a large store (docs/api.md, "While ticd starts"): ticd
listens before it has read the journal back, answers one centre's
obligations and page from that centre's stored events meanwhile, and
those answers equal ticctl plan; whatever needs the whole journal (a
list, a unit's token, recording an event) waits for it and is right.
"""
import datetime
import json
import subprocess
import sys
import time
import urllib.parse

import pytest

from conftest import REPO, http_request, ticctl_plan

CENTRES = 20000		# about 350,000 events: a second or more to read back
LOADING = "while the journal loads"


# The big store's tests on one worker (make e2e's --dist loadgroup): the
# module's fixture would otherwise import it on each worker they land on,
# twice at once on two CPUs.
BIG_GROUP = pytest.mark.xdist_group("big")


def shanghai_today():
    return (datetime.datetime.now(datetime.timezone.utc) +
            datetime.timedelta(hours=8)).date().isoformat()


@pytest.fixture(scope="module")
def big(module_factory, tmp_path_factory):
    """A store of CENTRES generated centres, with retractions of one
    centre's event and of another's added, imported once; ticd stopped."""
    d = tmp_path_factory.mktemp("big")
    today = shanghai_today()
    journal = d / "journal.jsonl"
    out = subprocess.run([sys.executable, str(REPO / "bench" /
                          "gen_journal.py"), str(CENTRES), "--as-of", today],
                         check=True, capture_output=True).stdout
    lines = out.decode("utf-8").splitlines()
    events = [json.loads(x) for x in lines if x.startswith("{")]
    first = next(e["centre"] for e in events if e["type"] == "registered")
    other = next(e["centre"] for e in events if e["type"] == "registered"
                 and e["centre"] != first)
    meeting = [e for e in events if e.get("centre") == first and
               e["type"] == "expert_meeting_held"][-1]
    theirs = [e for e in events if e.get("centre") == other and
              e["type"] == "expert_meeting_held"][-1]
    for ev, n in ((meeting, 1), (theirs, 2)):
        events.append({"type": "retracted", "date": today, "id": "x%d" % n,
                       "event": ev["id"], "reason": "录入错误"})
    with open(journal, "w", encoding="utf-8") as f:
        for ev in events:
            f.write(json.dumps(ev, ensure_ascii=False) + "\n")
    t = module_factory("big", log_level="debug")
    t.token = t.make_token()
    # The import takes a while (tens of seconds under ASan): /healthz is
    # waited for from this ticd, once it says it listens (conftest).
    t.start(extra_args=["-i", str(journal)], timeout=300)
    assert t.stop() == 0
    t.journal, t.first, t.other, t.today_ = journal, first, other, today
    return t


def wait_answer(t, path, token="bureau", limit=60.0):
    """The first answer to path, polled from the moment ticd starts."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            if token is None:
                r = http_request(t.url(path), timeout=limit)
            else:
                r = t.get(path, token=token, timeout=limit)
            return r
        except OSError:
            time.sleep(0.005)
    raise AssertionError("no answer to %s\n%s" % (path, t.log_text()))


def want_for(t, centre):
    return [o for o in ticctl_plan(t.journal, t.today_)
            if o["centre"] == centre]


@BIG_GROUP
def test_a_centre_is_answered_before_the_journal_is_read(big):
    mark = big.log_size()
    big.new_port()
    big.start(wait=False)
    r = wait_answer(big, "/api/v1/obligations?centre=" + big.first)
    assert r.status == 200, r
    early = r.json()
    page = big.get("/api/v1/centres/" + big.first)
    assert page.status == 200, page
    # So is the page a calendar entry's link opens (the rule pack is read
    # before the server starts).
    rule_page = http_request(big.url("/obligations/" + urllib.parse.quote(
        early["obligations"][0]["key"], safe="")))
    assert rule_page.status == 200, rule_page
    assert b"<h1>" in rule_page.body
    # A monitor's probe is answered at once, and leaves the load alone.
    # (The log read first: the load may end between the two reads, so
    # what holds is "read" in the log, then not loading.)
    loaded = "event(s) read from" in big.log_text(mark)
    health = big.healthz()
    stored = sum(1 for x in open(big.journal, encoding="utf-8")
                 if x.startswith("{"))
    assert health["status"] == "ok" and health["events"] == stored
    if loaded:
        assert not health["loading"], health
    # Both came from the centre's own events, before the journal was read.
    log = big.log_text(mark)
    assert LOADING in log, log
    big.wait_log("event(s) read from", offset=mark, timeout=120)
    assert log.index(LOADING) < big.log_text(mark).index("event(s) read from")
    want = want_for(big, big.first)
    assert len(want) > 5
    assert early["as_of"] == big.today_
    assert early["obligations"] == want
    assert page.json()["obligations"] == want
    # And once the journal is whole, the same answer.
    late = big.obligations(query="?centre=" + big.first)
    assert late["obligations"] == want
    assert big.healthz()["loading"] is False
    assert big.stop() == 0


@BIG_GROUP
def test_what_needs_the_whole_journal_waits_for_it(big):
    mark = big.log_size()
    big.new_port()
    big.start(wait=False)
    # Whatever comes first gets the whole journal's answer.
    r = wait_answer(big, "/api/v1/centres")
    assert r.status == 200
    assert len(r.json()["centres"]) == CENTRES
    assert "event(s) read from" in big.log_text(mark)
    listed = big.events(query="?centre=" + big.other)
    assert listed and listed[0]["event"]["type"] == "registered"
    unit = listed[0]["event"]["unit"]
    token = big.new_token("unit", unit)["token"]
    assert big.stop() == 0
    # A unit's token needs the centre's unit: read from the journal.
    mark = big.log_size()
    big.new_port()
    big.start(wait=False)
    r = wait_answer(big, "/api/v1/obligations?centre=" + big.other,
                    token=token)
    assert r.status == 200, r
    assert r.json()["obligations"] == want_for(big, big.other)
    # Recording an event checks it against the whole journal.
    ev = {"type": "expert_meeting_held", "date": big.today_,
          "centre": big.other}
    assert big.post("/api/v1/events", ev).status == 201
    assert big.post("/api/v1/events", {"type": "applied",
                    "date": big.today_, "centre": "nobody"}).status == 422
    assert big.stop() == 0
