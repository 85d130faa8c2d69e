"""
Calendar feeds as subscribers and their clients see them: the real ticd
serves GET /feeds/TOKEN.ics, and every feed it serves is parsed with
python3-icalendar (and with ical.js, Thunderbird's parser, when node is
there) and compared with what the API says the token's scope holds, and,
line for line, with `ticctl feed` offline on the same journal.

Also: feed tokens (made, listed with creation and last use, revoked; an
unknown or revoked one is a missing page), scopes, ETag and
If-None-Match, Last-Modified and If-Modified-Since, HEAD, SEQUENCE that
rises exactly when an obligation changes, the same bytes for the same
journal on the same day, the variants, bad input, and the day's change
at midnight under libfaketime (re-rendered once).
"""
import datetime
import http.client
import importlib.util
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import time
import urllib.parse

import icalendar
import pytest

from conftest import (FAKETIME_LIB, REPO, TICCTL, TICD, http_request,
                      post_demo)
from conftest import faketime_env as conftest_faketime

UNIT_A = "城区科技局"
UNIT_B = "郊区科技局"
RETENTION = 400
CN8 = datetime.timezone(datetime.timedelta(hours=8))
FEEDS_DIR = REPO / "tests" / "feeds"

_spec = importlib.util.spec_from_file_location("feeds_run",
                                               FEEDS_DIR / "run.py")
feeds_run = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(feeds_run)


# ---- helpers ----

def new_feed(t, kind, scope=None, token="bureau", label="e2e"):
    body = {"kind": kind, "label": label}
    if scope is not None:
        body["scope"] = scope
    r = t.post("/api/v1/feeds", body, token=token)
    assert r.status == 201, r
    return r.json()


def fetch(url, headers=None, method="GET"):
    return http_request(url, method=method, headers=headers)


def metric(t, name):
    r = http_request(t.url("/metrics"))
    m = re.search(r"^%s (\S+)$" % re.escape(name), r.body.decode(), re.M)
    assert m, name
    return float(m.group(1))


def parse(body, todo=False):
    """The feed through python3-icalendar, after the octet-level checks
    (CRLF, 75 octets, no split UTF-8 sequence); its VEVENTs or VTODOs."""
    why = feeds_run.check_lines(body)
    assert why is None, why
    assert b"X-LIC-ERROR" not in body
    cal = icalendar.Calendar.from_ical(body)
    assert str(cal["VERSION"]) == "2.0" and str(cal["PRODID"])
    assert str(cal["X-WR-TIMEZONE"]) == "Asia/Shanghai"
    assert str(cal["X-PUBLISHED-TTL"]) == "PT1H"
    assert cal["REFRESH-INTERVAL"].params.get("VALUE") == "DURATION"
    assert not cal.walk("VEVENT" if todo else "VTODO")
    return cal, cal.walk("VTODO" if todo else "VEVENT")


def key_of(comp, todo=False):
    uid = str(comp["UID"])
    suffix = "@todo.ticd" if todo else "@ticd"
    assert uid.endswith(suffix), uid
    return urllib.parse.unquote(uid[:-len(suffix)])


def by_key(comps, todo=False):
    return {key_of(c, todo): c for c in comps}


def kept(obligations, today):
    """What retention keeps: open and overdue always, done and void for
    RETENTION days after their due date."""
    t = datetime.date.fromisoformat(today)
    return [o for o in obligations if o["state"] in ("open", "overdue") or
            t <= datetime.date.fromisoformat(o["due"]) +
            datetime.timedelta(days=RETENTION)]


def utc(comp, prop):
    v = comp[prop].dt
    assert v.utcoffset() == datetime.timedelta(0), (prop, v)
    return v


def icaljs(tmp_path, bodies):
    """ical.js reads every feed: same UIDs and summaries."""
    node = shutil.which("node")
    if node is None or not (FEEDS_DIR / "node_modules" / "ical.js").exists():
        return
    files = []
    for i, body in enumerate(bodies):
        p = tmp_path / ("feed-%d.ics" % i)
        p.write_bytes(body)
        files.append(str(p))
    r = subprocess.run([node, str(FEEDS_DIR / "icaljs-check.mjs"), *files],
                       cwd=FEEDS_DIR, capture_output=True, timeout=120)
    assert r.returncode == 0, r.stdout.decode() + r.stderr.decode()
    for line, body in zip(r.stdout.decode().splitlines(), bodies):
        got = json.loads(line)
        cal = icalendar.Calendar.from_ical(body)
        comps = cal.walk("VEVENT") + cal.walk("VTODO")
        assert [(i["uid"], i["summary"]) for i in got["items"]] == \
            [(str(c["UID"]), str(c["SUMMARY"])) for c in comps]


def without_revision(body):
    """A feed's lines but the ones only ticd's store decides."""
    return [l for l in body.split(b"\r\n") if not
            l.startswith((b"DTSTAMP:", b"LAST-MODIFIED:", b"SEQUENCE:"))]


def not_found_page(t):
    r = fetch(t.url("/no/such/page"))
    assert r.status == 404
    return r


# ---- a ticd with the demo journal, shared by the read-only tests ----

@pytest.fixture(scope="module")
def demo(module_factory, tmp_path_factory):
    t = module_factory.started("demo")
    t.journal = tmp_path_factory.mktemp("demo") / "journal.jsonl"
    post_demo(t, t.journal)
    t.feeds = {
        "bureau": new_feed(t, "bureau"),
        "unit": new_feed(t, "unit", UNIT_A),
        "centre": new_feed(t, "centre", "yq-001"),
    }
    return t


VARIANTS = [("", False), ("?alarms=1", False), ("?todo=1", True),
            ("?alarms=1&todo=1", True)]


def test_every_served_feed_parses_and_holds_its_scope(demo, tmp_path):
    today = demo.today()
    unit_tok = demo.new_token("unit", UNIT_A)["token"]
    centre_tok = demo.new_token("centre", "yq-001")["token"]
    want = {
        "bureau": demo.obligations()["obligations"],
        "unit": demo.obligations(token=unit_tok)["obligations"],
        "centre": demo.obligations(token=centre_tok)["obligations"],
    }
    assert any(o["centre"] is None for o in want["unit"])
    bodies = []
    for scope, feed in demo.feeds.items():
        for query, todo in VARIANTS:
            r = fetch(feed["url"] + query)
            assert r.status == 200, r
            assert r.headers["Content-Type"] == \
                "text/calendar; charset=utf-8"
            cal, comps = parse(r.body, todo)
            keys = [key_of(c, todo) for c in comps]
            assert keys == [o["key"] for o in kept(want[scope], today)], \
                (scope, query)
            alarms = sum(len(c.walk("VALARM")) for c in comps)
            assert (alarms > 0) == ("alarms" in query), (scope, query)
            for c in comps:
                assert utc(c, "DTSTAMP") == utc(c, "LAST-MODIFIED")
                assert c["SEQUENCE"] == 0
            bodies.append(r.body)
    icaljs(tmp_path, bodies)


def test_content_is_what_ticctl_renders_offline(demo):
    """Line for line what `ticctl feed` makes of the same journal, but for
    DTSTAMP, LAST-MODIFIED and SEQUENCE, which are the store's."""
    today = demo.today()
    cases = [("bureau", ["--bureau"]), ("unit", ["--unit", UNIT_A]),
             ("centre", ["--centre", "yq-001"])]
    for scope, args in cases:
        for query, extra in (("", []), ("?alarms=1&todo=1",
                                        ["--alarms", "--todo"])):
            p = subprocess.run([TICCTL, "feed", "--as-of", today, *args,
                                *extra, str(demo.journal)],
                               capture_output=True, timeout=60)
            assert p.returncode == 0, p.stderr.decode()
            served = fetch(demo.feeds[scope]["url"] + query).body
            assert without_revision(served) == without_revision(p.stdout), \
                (scope, query)


def test_feed_tokens_made_listed_and_their_links(demo):
    f = demo.feeds["unit"]
    assert f["token"].startswith("ticf_") and len(f["token"]) == 48
    assert f["url"] == demo.url("/feeds/%s.ics" % f["token"])
    assert f["webcal"] == "webcal://127.0.0.1:%d/feeds/%s.ics" % (
        demo.port, f["token"])
    assert (f["kind"], f["scope"], f["label"]) == ("unit", UNIT_A, "e2e")
    listed = {x["id"]: x for x in demo.get("/api/v1/feeds").json()["feeds"]}
    row = listed[f["id"]]
    assert "token" not in row and "url" not in row
    assert row["created_at"] == f["created_at"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00",
                        row["created_at"])
    # Fetched by the tests above (or now): the last use shows at once.
    assert fetch(f["url"]).status == 200
    row = {x["id"]: x for x in
           demo.get("/api/v1/feeds").json()["feeds"]}[f["id"]]
    assert row["last_used_at"] is not None and row["revoked_at"] is None


def test_a_bureau_feed_made_with_ticd_f(ticd_factory):
    """ticd -F (make run's): a link printed once, to a feed of the bureau's
    calendar once ticd starts, listed by the API as "ticd -F"; the store
    keeps only its hash."""
    t = ticd_factory("ticd")
    t.token = t.make_token()
    p = subprocess.run([TICD, "-c", str(t.conf), "-F"], capture_output=True,
                       timeout=30, env=t.env())
    assert p.returncode == 0, p.stderr.decode("utf-8", "replace")
    link = p.stdout.decode().strip()
    assert re.fullmatch(r"http://127\.0\.0\.1:%d/feeds/ticf_[A-Za-z0-9_-]{43}"
                        r"\.ics" % t.port, link), link
    secret = link.rsplit("/", 1)[1][:-len(".ics")]
    with sqlite3.connect(str(t.db)) as db:
        dump = "\n".join(db.iterdump())
    assert secret not in dump
    t.start(extra_args=["-i", str(REPO / "conf" / "demo" / "journal.jsonl")])
    r = fetch(link)
    assert r.status == 200, r
    cal = icalendar.Calendar.from_ical(r.body)
    assert len(cal.walk("VEVENT")) > 0
    assert r.body == t.get("/api/v1/feed?bureau=1").body
    feeds = t.get("/api/v1/feeds").json()["feeds"]
    assert [(f["kind"], f["scope"], f["label"]) for f in feeds] == \
        [("bureau", None, "ticd -F")]
    # One made beside the running daemon is served from its next reload;
    # the first link keeps working, and its last use stays known.
    p = subprocess.run([TICD, "-c", str(t.conf), "-F"], capture_output=True,
                       timeout=30, env=t.env())
    assert p.returncode == 0, p.stderr.decode("utf-8", "replace")
    late = p.stdout.decode().strip()
    assert fetch(late).status == 404
    mark = t.log_size()
    t.send(signal.SIGHUP)
    t.wait_log("reloaded", mark)
    assert fetch(late).status == 200
    assert fetch(link).status == 200
    feeds = {f["id"]: f for f in t.get("/api/v1/feeds").json()["feeds"]}
    assert len(feeds) == 2
    assert all(f["last_used_at"] is not None for f in feeds.values())


def test_api_feed_is_the_same_bytes(demo):
    """GET /api/v1/feed with an API token serves the very render the feed
    token's URL serves."""
    for scope, query in (("bureau", "?bureau=1"),
                         ("unit", "?unit=" + urllib.parse.quote(UNIT_A)),
                         ("centre", "?centre=yq-001")):
        a = fetch(demo.feeds[scope]["url"])
        b = demo.get("/api/v1/feed" + query)
        assert b.status == 200, b
        assert (a.body, a.headers["ETag"]) == (b.body, b.headers["ETag"])


def test_scopes_never_show_another_units_centre(demo):
    unit_body = fetch(demo.feeds["unit"]["url"]).body
    centres = {e["centre"]: e for e in (json.loads(l) for l in
               demo.journal.read_text(encoding="utf-8").splitlines())
               if e["type"] == "registered"}
    _, comps = parse(unit_body)
    others = [c for c, e in centres.items() if e["unit"] != UNIT_A]
    assert others
    for c in comps:
        k = key_of(c)
        owner = k.split("/")[0]
        assert owner.startswith("@") or centres[owner]["unit"] == UNIT_A, k
    for cid in others:
        assert centres[cid]["name"].encode() not in unit_body
    _, comps = parse(fetch(demo.feeds["centre"]["url"]).body)
    assert comps and all(key_of(c).startswith("yq-001/") for c in comps)


def test_unit_and_centre_tokens_stay_in_their_scope(demo):
    ua = demo.new_token("unit", UNIT_A)["token"]
    ca = demo.new_token("centre", "yq-001")["token"]
    other = next(json.loads(l)["centre"] for l in
                 demo.journal.read_text(encoding="utf-8").splitlines()
                 if json.loads(l).get("unit") == UNIT_B)
    missing = demo.get("/api/v1/centres/no-such", token=ua)
    # A unit makes feeds of itself and its centres, nothing more.
    mine = new_feed(demo, "unit", UNIT_A, token=ua)
    new_feed(demo, "centre", "yq-001", token=ua)
    r = demo.post("/api/v1/feeds", {"kind": "unit", "scope": UNIT_B},
                  token=ua)
    assert r.status == 403 and r.code == "forbidden", r
    r = demo.post("/api/v1/feeds", {"kind": "bureau"}, token=ua)
    assert r.status == 403, r
    r = demo.post("/api/v1/feeds", {"kind": "centre", "scope": other},
                  token=ua)
    assert (r.status, r.body) == (404, missing.body), r
    assert demo.get("/api/v1/feed?centre=" + other, token=ua).status == 404
    assert demo.get("/api/v1/feed?unit=" + urllib.parse.quote(UNIT_B),
                    token=ua).status == 403
    # A centre: its own only.
    new_feed(demo, "centre", "yq-001", token=ca)
    r = demo.post("/api/v1/feeds", {"kind": "unit", "scope": UNIT_A},
                  token=ca)
    assert r.status == 403, r
    # Listings stay in scope too; the bureau sees them all.
    units = {e["centre"]: e["unit"] for e in (json.loads(l) for l in
             demo.journal.read_text(encoding="utf-8").splitlines())
             if e["type"] == "registered"}
    seen_by_unit = demo.get("/api/v1/feeds", token=ua).json()["feeds"]
    assert mine["id"] in [x["id"] for x in seen_by_unit]
    for x in seen_by_unit:
        assert x["kind"] in ("unit", "centre"), x
        assert (x["scope"] if x["kind"] == "unit" else
                units[x["scope"]]) == UNIT_A, x
    seen_by_centre = demo.get("/api/v1/feeds", token=ca).json()["feeds"]
    assert seen_by_centre and all(x["scope"] == "yq-001"
                                  for x in seen_by_centre)
    r = demo.delete("/api/v1/feeds/%d" % demo.feeds["bureau"]["id"],
                    token=ua)
    assert r.status == 404, r
    # The unit's API token's own scope is the default.
    assert demo.get("/api/v1/feed", token=ua).body == \
        fetch(demo.feeds["unit"]["url"]).body


def test_tokens_do_not_cross(demo):
    """An API token never opens a feed, a feed token never the API."""
    page = not_found_page(demo)
    r = fetch(demo.url("/feeds/%s.ics" % demo.token))
    assert (r.status, r.body) == (404, page.body)
    r = demo.get("/api/v1/centres", token=demo.feeds["bureau"]["token"])
    assert r.status == 401, r


@pytest.mark.parametrize("path", [
    "/feeds/ticf_%s.ics" % ("A" * 43),                  # unknown
    "/feeds/ticf_%s.ics" % ("A" * 42),                  # too short
    "/feeds/ticf_%s" % ("A" * 43),                      # no .ics
    "/feeds/ticf_%s.ics" % ("!" * 43),
    "/feeds/" + "x" * 5000 + ".ics",
    "/feeds/",
    "/feeds/a/b.ics",
])
def test_unknown_token_is_a_missing_page(demo, path):
    page = not_found_page(demo)
    r = fetch(demo.url(path))
    assert (r.status, r.body) == (404, page.body), r
    assert r.headers["Content-Type"] == page.headers["Content-Type"]


def test_conditional_requests(demo):
    url = demo.feeds["centre"]["url"]
    r = fetch(url)
    etag, lm = r.headers["ETag"], r.headers["Last-Modified"]
    assert re.fullmatch(r'"[0-9a-f]{32}"', etag)      # strong
    assert r.headers["Cache-Control"].startswith("private, max-age=")
    assert 0 < int(r.headers["Cache-Control"].split("=")[1]) <= 3600
    lm_t = datetime.datetime.strptime(lm, "%a, %d %b %Y %H:%M:%S GMT")
    newest = max(utc(c, "LAST-MODIFIED") for c in parse(r.body)[1])
    assert lm_t.replace(tzinfo=datetime.timezone.utc) >= newest

    def status(**h):
        x = fetch(url, headers=h)
        if x.status == 304:
            assert x.body == b"" and x.headers["ETag"] == etag
            assert x.headers["Last-Modified"] == lm
        return x.status

    assert status(**{"If-None-Match": etag}) == 304
    assert status(**{"If-None-Match": "W/" + etag}) == 304
    assert status(**{"If-None-Match": '"x", ' + etag}) == 304
    assert status(**{"If-None-Match": "*"}) == 304
    assert status(**{"If-None-Match": '"other"'}) == 200
    assert status(**{"If-None-Match": "garbage"}) == 200
    assert status(**{"If-Modified-Since": lm}) == 304
    later = (lm_t + datetime.timedelta(days=1)).strftime(
        "%a, %d %b %Y %H:%M:%S GMT")
    earlier = (lm_t - datetime.timedelta(seconds=1)).strftime(
        "%a, %d %b %Y %H:%M:%S GMT")
    # A date after ticd's clock (a client's clock running fast) is
    # ignored: it would hide a change made within the skew.
    assert status(**{"If-Modified-Since": later}) == 200
    assert status(**{"If-Modified-Since": earlier}) == 200
    assert status(**{"If-Modified-Since": "yesterday"}) == 200
    # If-None-Match decides alone.
    assert status(**{"If-None-Match": '"other"',
                     "If-Modified-Since": lm}) == 200
    assert status(**{"If-None-Match": etag,
                     "If-Modified-Since": earlier}) == 304


def test_head_has_the_length_and_no_body(demo):
    """HEAD, then GET on the same connection: a stray body after HEAD
    would be read as the GET's reply."""
    url = urllib.parse.urlsplit(demo.feeds["bureau"]["url"])
    full = fetch(demo.feeds["bureau"]["url"]).body
    conn = http.client.HTTPConnection("127.0.0.1", demo.port, timeout=10)
    try:
        conn.request("HEAD", url.path)
        h = conn.getresponse()
        assert h.status == 200 and h.read() == b""
        assert int(h.getheader("Content-Length")) == len(full)
        assert h.getheader("ETag")
        conn.request("GET", url.path)
        g = conn.getresponse()
        assert g.status == 200 and g.read() == full
    finally:
        conn.close()


def test_bad_input_changes_nothing(demo):
    before = demo.get("/api/v1/feeds").json()["feeds"]
    for body in ({}, {"kind": "everyone"}, {"kind": "unit"},
                 {"kind": "unit", "scope": ""},
                 {"kind": "bureau", "scope": "x"},
                 {"kind": "unit", "scope": 5},
                 {"kind": "unit", "scope": "x" * 300},
                 {"kind": "unit", "scope": UNIT_A, "label": "a\nb"},
                 {"kind": "unit", "scope": UNIT_A, "label": 7}, [],
                 "not json {"):
        r = demo.post("/api/v1/feeds", body)
        assert r.status == 400 and r.code == "bad_request", (body, r)
    assert demo.get("/api/v1/feeds").json()["feeds"] == before
    url = demo.feeds["centre"]["url"]
    for query in ("?alarms=maybe", "?todo=2", "?alarms"):
        r = fetch(url + query)
        assert r.status == 400 and r.code == "bad_request", (query, r)
    for query in ("?unit=a&centre=b", "?bureau=1&unit=a", "?centre=",
                  "?unit=%FF"):
        r = demo.get("/api/v1/feed" + query)
        assert r.status == 400, (query, r)
    for sid in ("abc", "0", "-1", "99999", "1x"):
        assert demo.delete("/api/v1/feeds/" + sid).status == 404
    r = demo.post(urllib.parse.urlsplit(url).path, {}, token=None)
    assert r.status == 405 and r.headers["Allow"] == "GET, HEAD"
    assert demo.req("PUT", "/api/v1/feeds", {}).status == 405
    assert demo.get("/api/v1/feeds").json()["feeds"] == before
    assert fetch(url).status == 200


def test_a_refused_fetch_is_not_a_use(demo):
    """A feed link fetched only with a query it refuses still reads
    'never used'; the first good fetch is its first use."""
    made = demo.post("/api/v1/feeds", {"kind": "unit", "scope": UNIT_A,
                                       "label": "refused"}).json()

    def last_use():
        return {x["id"]: x for x in demo.get("/api/v1/feeds").json()[
            "feeds"]}[made["id"]]["last_used_at"]
    for query in ("?alarms=maybe", "?todo=2", "?alarms"):
        assert fetch(made["url"] + query).status == 400
    assert last_use() is None
    assert fetch(made["url"]).status == 200
    assert last_use() is not None
    assert demo.delete("/api/v1/feeds/%d" % made["id"]).status == 200


# ---- tests that change the journal: a ticd each ----

TWO_UNITS = [
    {"type": "registered", "date": "2025-03-03", "centre": "a1",
     "name": "甲一中心", "unit": UNIT_A},
    {"type": "registered", "date": "2025-03-03", "centre": "b1",
     "name": "乙一中心", "unit": UNIT_B},
    {"type": "recognized", "date": "2025-06-02", "centre": "a1"},
    {"type": "recognized", "date": "2025-06-02", "centre": "b1"},
    {"type": "committee_formed", "date": "2025-07-01", "centre": "b1",
     "members": 7, "host_members": 2},
    {"type": "evaluation_round", "date": "2026-03-02", "year": 2025,
     "deadline": "2026-12-15"},
]


@pytest.fixture
def two(ticd):
    for ev in TWO_UNITS:
        ticd.record(ev)
    ticd.fa = new_feed(ticd, "centre", "a1")
    ticd.fb = new_feed(ticd, "centre", "b1")
    ticd.fu = new_feed(ticd, "unit", UNIT_B)
    ticd.fw = new_feed(ticd, "bureau")
    return ticd


def seqs(body):
    return {key_of(c): (c["SEQUENCE"], utc(c, "DTSTAMP"),
                        c["DTSTART"].dt) for c in parse(body)[1]}


def test_sequence_rises_when_a_date_moves_and_only_then(two):
    before = {n: fetch(f["url"]) for n, f in
              (("a", two.fa), ("b", two.fb), ("w", two.fw))}
    s0 = seqs(before["a"].body)
    assert s0["a1/evaluation/2025"][2] == datetime.date(2026, 12, 15)
    # A second round for the same year moves the deadline.
    two.record({"type": "evaluation_round", "date": two.today(),
                "year": 2025, "deadline": "2026-12-18"})
    after = fetch(two.fa["url"])
    assert after.headers["ETag"] != before["a"].headers["ETag"]
    s1 = seqs(after.body)
    assert s1["a1/evaluation/2025"][0] == s0["a1/evaluation/2025"][0] + 1
    assert s1["a1/evaluation/2025"][2] == datetime.date(2026, 12, 18)
    assert s1["a1/evaluation/2025"][1] >= s0["a1/evaluation/2025"][1]
    for k in s0:
        if k != "a1/evaluation/2025":
            assert s1[k] == s0[k], k
    # The old ETag is a full reply now, the new one a 304.
    r = fetch(two.fa["url"], headers={"If-None-Match":
                                      before["a"].headers["ETag"]})
    assert r.status == 200
    r = fetch(two.fa["url"], headers={"If-None-Match":
                                      after.headers["ETag"]})
    assert r.status == 304
    # Nothing that does not alter an obligation raises anything.
    two.record({"type": "expert_meeting_held", "date": two.today(),
                "centre": "b1"})
    assert seqs(fetch(two.fa["url"]).body) == s1


def test_an_event_touches_only_its_feeds(two):
    a0, b0, u0, w0 = (fetch(f["url"]) for f in
                      (two.fa, two.fb, two.fu, two.fw))
    renders = metric(two, "ticd_feed_renders_total")
    # b1 holds its 2026 meeting: b1's, its unit's and the bureau's feeds
    # change; a1's keeps its bytes, ETag and Last-Modified, unrendered.
    two.record({"type": "expert_meeting_held", "date": two.today(),
                "centre": "b1"})
    a1 = fetch(two.fa["url"])
    assert metric(two, "ticd_feed_renders_total") == renders
    assert (a1.body, a1.headers["ETag"], a1.headers["Last-Modified"]) == \
        (a0.body, a0.headers["ETag"], a0.headers["Last-Modified"])
    for f, old in ((two.fb, b0), (two.fu, u0), (two.fw, w0)):
        new = fetch(f["url"])
        assert new.headers["ETag"] != old.headers["ETag"]
        assert fetch(f["url"], headers={
            "If-Modified-Since": old.headers["Last-Modified"]}).status == 200
    assert metric(two, "ticd_feed_renders_total") == renders + 3
    # Fetching again renders nothing: once per change.
    for f in (two.fa, two.fb, two.fu, two.fw):
        fetch(f["url"])
    assert metric(two, "ticd_feed_renders_total") == renders + 3


def test_a_centre_moved_to_another_unit_leaves_the_old_units_feed(two):
    """m1's registration under unit B is retracted and made again under
    unit A, between two fetches: B's feed no longer shows it (it kept it,
    with its old words, until the day changed), A's unit sees it."""
    two.record({"type": "registered", "date": "2025-03-03", "centre": "m1",
                "name": "迁移中心", "unit": UNIT_B, "id": "reg-m1",
                "director_birth": "1970-05-05"})
    fa_unit = new_feed(two, "unit", UNIT_A)
    assert "m1/" in fetch(two.fu["url"]).body.decode()
    assert "m1/" not in fetch(fa_unit["url"]).body.decode()
    two.record({"type": "retracted", "date": two.today(),
                "event": "reg-m1", "reason": "组织管理单位登记错误"})
    two.record({"type": "registered", "date": "2025-03-03", "centre": "m1",
                "name": "迁移中心", "unit": UNIT_A,
                "director_birth": "1970-05-05"})
    assert "m1/" not in fetch(two.fu["url"]).body.decode()
    assert "m1/" in fetch(fa_unit["url"]).body.decode()


def test_a_units_feed_of_its_centre_stops_when_the_centre_moves(two):
    """Unit A's staff made a feed of their centre m2; the bureau registers
    m2 again under unit B.  A's feed now answers 404 (it showed B's centre,
    its name and its director's birth date, to A's staff), and B's list
    does not show A's feed and its label; the bureau's does, to revoke."""
    ua = two.new_token("unit", UNIT_A)["token"]
    ub = two.new_token("unit", UNIT_B)["token"]
    two.record({"type": "registered", "date": "2025-03-03", "centre": "m2",
                "name": "迁移中心二", "unit": UNIT_A, "id": "reg-m2",
                "director_birth": "1970-05-05"})
    f = new_feed(two, "centre", "m2", token=ua, label="城区 张三 手机")
    assert fetch(f["url"]).status == 200
    two.record({"type": "retracted", "date": two.today(), "event": "reg-m2",
                "reason": "登记错单位"})
    two.record({"type": "registered", "date": "2025-03-03", "centre": "m2",
                "name": "郊区中心", "unit": UNIT_B,
                "director_birth": "1966-01-15"})
    assert fetch(f["url"]).status == 404
    listed = two.get("/api/v1/feeds", token=ub).json()["feeds"]
    assert f["id"] not in [x["id"] for x in listed], listed
    assert "城区 张三 手机" not in json.dumps(listed, ensure_ascii=False)
    mine = [x for x in two.get("/api/v1/feeds").json()["feeds"]
            if x["id"] == f["id"]]
    assert len(mine) == 1 and mine[0]["stopped"] is True and \
        mine[0]["made_by_unit"] == UNIT_A, mine
    # A feed B makes of its centre works, as the bureau's does.
    assert fetch(new_feed(two, "centre", "m2", token=ub)["url"]).status == 200


def test_same_journal_same_day_same_bytes(two):
    urls = [f["url"] + v for f in (two.fa, two.fb, two.fu, two.fw)
            for v in ("", "?alarms=1", "?todo=1")]
    first = [fetch(u) for u in urls]
    assert two.restart()["status"] == "ok"
    again = [fetch(u) for u in urls]
    for u, a, b in zip(urls, first, again):
        assert (a.body, a.headers["ETag"]) == (b.body, b.headers["ETag"])
        # What a client holds from before the restart is still current.
        assert fetch(u, headers={"If-None-Match": a.headers["ETag"]}
                     ).status == 304


def test_revoked_token_stops_at_once_and_last_use_is_kept(two):
    t0 = time.monotonic()
    page = not_found_page(two)
    f = two.fb
    assert fetch(f["url"]).status == 200
    # In memory at once; in the store only by the minute's flush (or the
    # stop), never by the fetch itself: unless this machine was so slow
    # that the first minute has passed.
    db = sqlite3.connect(str(two.db))
    stored = db.execute("SELECT last_used_at FROM feed_tokens WHERE id=?",
                        (f["id"],)).fetchone()[0]
    db.close()
    assert stored is None or time.monotonic() - t0 > 30
    listed = {x["id"]: x for x in two.get("/api/v1/feeds").json()["feeds"]}
    used = listed[f["id"]]["last_used_at"]
    assert used is not None
    r = two.delete("/api/v1/feeds/%d" % f["id"])
    assert r.status == 200 and r.json()["id"] == f["id"], r
    r = fetch(f["url"])
    assert (r.status, r.body) == (404, page.body)
    assert fetch(f["url"] + "?todo=1").status == 404
    assert two.delete("/api/v1/feeds/%d" % f["id"]).status == 404
    assert two.stop() == 0
    db = sqlite3.connect(str(two.db))
    row = db.execute("SELECT last_used_at, revoked_at, hash FROM feed_tokens "
                     "WHERE id=?", (f["id"],)).fetchone()
    db.close()
    assert row[0] == used and row[1] is not None
    assert f["token"] not in row[2] and len(row[2]) == 64
    two.start()
    listed = {x["id"]: x for x in two.get("/api/v1/feeds").json()["feeds"]}
    assert listed[f["id"]]["last_used_at"] == used
    assert fetch(f["url"]).status == 404


def test_public_url_makes_the_links(ticd_factory):
    t = ticd_factory("pub")
    t.write_conf(extra="public_url = https://cal.example.cn/yq/\n")
    t.token = t.make_token()
    t.start()
    t.record(TWO_UNITS[0])
    f = new_feed(t, "centre", "a1")
    assert f["url"] == "https://cal.example.cn/yq/feeds/%s.ics" % f["token"]
    # webcals://: clients read webcal:// as plain http, which would send
    # the link's secret in clear to an https service.
    assert f["webcal"] == "webcals://cal.example.cn/yq/feeds/%s.ics" % \
        f["token"]
    body = fetch(t.url("/feeds/%s.ics" % f["token"])).body
    for c in parse(body)[1]:
        assert str(c["URL"]).startswith("https://cal.example.cn/yq/"
                                        "obligations/")


def test_an_entrys_link_opens_its_rule_and_nothing_of_the_centre(
        ticd_factory):
    """The URL a calendar entry carries answers (behind the public_url, the
    same path on ticd): a page with the rule's article, title, what to do
    and who acts; the same page for any key of that rule, so a guessed key
    says nothing of a centre."""
    t = ticd_factory("page")
    t.write_conf(extra="public_url = https://cal.example.cn/yq/\n")
    t.token = t.make_token()
    t.start()
    for ev in TWO_UNITS:
        t.record(ev)
    f = new_feed(t, "centre", "b1")
    seen = {}
    for c in parse(fetch(t.url("/feeds/%s.ics" % f["token"])).body)[1]:
        link = str(c["URL"])
        path = link[len("https://cal.example.cn/yq"):]
        r = fetch(t.url(path))
        assert r.status == 200, (link, r.status)
        assert r.headers["Content-Type"] == "text/html; charset=utf-8"
        assert r.headers["Content-Security-Policy"] == "default-src 'none'"
        page = r.body.decode()
        h1 = re.search(r"<h1>(.*)</h1>", page).group(1)
        # "【第十四条】年度绩效评价资料提交截止" heads the entry's SUMMARY too.
        assert h1.startswith("【第") and str(c["SUMMARY"]).startswith(h1)
        assert "应办事项" in page and "办理方" in page
        assert "b1" not in page and "乙一中心" not in page
        assert "<script" not in page
        seen[path] = r.body
    assert len(seen) >= 3
    # A key of the same rule for a centre that does not exist: same page.
    path, body = next(iter(seen.items()))
    rule = urllib.parse.unquote(path.split("/")[-1]).split("/")[1]
    other = "/obligations/" + urllib.parse.quote("zz-404/%s/2031" % rule,
                                                  safe="")
    assert fetch(t.url(other)).body == body
    head = fetch(t.url(path), method="HEAD")
    assert head.status == 200
    assert int(head.headers["Content-Length"]) == len(body)
    for bad in ("/obligations/" + urllib.parse.quote("b1/no_such_rule",
                                                      safe=""),
                "/obligations/b1", "/obligations/%2Fcommittee_meeting"):
        assert fetch(t.url(bad)).status == 404, bad
    assert fetch(t.url(path), method="POST").status == 405


def test_ticctl_feeds_and_feed_from_ticd(two, tmp_path):
    env = dict(os.environ, TICD_URL=two.url(""), TICD_TOKEN=two.token)
    env.pop("TICCTL_CONFIG", None)

    def ticctl(*args):
        return subprocess.run([TICCTL, *args], capture_output=True,
                              timeout=60, env=env)

    p = ticctl("feeds", "create", "--unit", UNIT_A, "--label", "张三")
    assert p.returncode == 0, p.stderr.decode()
    url, webcal = p.stdout.decode().splitlines()
    assert url.startswith(two.url("/feeds/ticf_")) and url.endswith(".ics")
    assert webcal == "webcal://" + url.split("://", 1)[1]
    assert fetch(url).status == 200
    p = ticctl("feeds", "--json")
    assert p.returncode == 0
    listed = json.loads(p.stdout)["feeds"]
    mine = [x for x in listed if x["label"] == "张三"]
    assert len(mine) == 1 and mine[0]["last_used_at"]
    p = ticctl("feed-token", "list")
    assert p.returncode == 0 and "张三" in p.stdout.decode()
    p = ticctl("feed", "--centre", "a1", "--alarms")
    assert p.returncode == 0, p.stderr.decode()
    assert p.stdout == fetch(two.fa["url"] + "?alarms=1").body
    p = ticctl("feed", "--centre", "nope")
    assert p.returncode == 1 and b"not found" in p.stderr
    p = ticctl("feed", "--as-of", "2026-01-01")
    assert p.returncode == 2 and b"--as-of" in p.stderr
    p = ticctl("feeds", "revoke", str(mine[0]["id"]))
    assert p.returncode == 0
    assert fetch(url).status == 404
    p = ticctl("feeds", "create")
    assert p.returncode == 2


# ---- midnight ----

FAKE_START = "@2026-12-31 23:59:50"


def faketime_env():
    asan = os.environ.get("ASAN_OPTIONS", "")
    asan = (asan + ":" if asan else "") + "verify_asan_link_order=0"
    return {"LD_PRELOAD": FAKETIME_LIB, "FAKETIME": FAKE_START,
            "FAKETIME_NO_CACHE": "1", "TZ": "Asia/Shanghai",
            "ASAN_OPTIONS": asan}


@pytest.mark.skipif(not os.path.exists(FAKETIME_LIB),
                    reason="libfaketime (Debian's faketime) is missing")
def test_midnight_rerenders_once(ticd_factory):
    # The feeds are made that morning on a fake clock too: on the real
    # one, from 2027 ticd would see its clock go back.
    ticd = ticd_factory.started(env=conftest_faketime("2026-12-31 10:00:00"))
    assert ticd.today() == "2026-12-31"
    for ev in TWO_UNITS[:3]:
        ticd.record(ev)
    fa = new_feed(ticd, "centre", "a1")
    fw = new_feed(ticd, "bureau")
    assert ticd.stop() == 0
    t0 = time.monotonic()
    ticd.start(env=faketime_env())
    assert ticd.today() == "2026-12-31"
    key = "a1/expert_meeting/2026"
    old = {u: fetch(u) for u in (fa["url"], fw["url"])}
    # Fetched before midnight (the clock started ten seconds before it).
    assert time.monotonic() - t0 < 9, "ticd took too long to start"
    meeting = by_key(parse(old[fa["url"]].body)[1])[key]
    assert "已逾期" not in str(meeting["SUMMARY"])
    renders = metric(ticd, "ticd_feed_renders_total")
    deadline = time.monotonic() + 75
    while time.monotonic() < deadline:
        r = fetch(fa["url"])
        if r.headers["ETag"] != old[fa["url"]].headers["ETag"]:
            break
        time.sleep(1)
    assert ticd.today() == "2027-01-01"
    comps = by_key(parse(r.body)[1])
    now = comps[key]
    assert "已逾期" in str(now["SUMMARY"])
    assert now["SEQUENCE"] == meeting["SEQUENCE"] + 1
    midnight = datetime.datetime(2027, 1, 1, tzinfo=CN8)
    assert utc(now, "DTSTAMP") == midnight
    assert utc(now, "LAST-MODIFIED") == midnight
    assert r.headers["Last-Modified"] == "Thu, 31 Dec 2026 16:00:00 GMT"
    # Others kept their SEQUENCE and dates.
    before = by_key(parse(old[fa["url"]].body)[1])
    for k, c in comps.items():
        if k != key and k in before and \
                str(c["SUMMARY"]) == str(before[k]["SUMMARY"]):
            assert c["SEQUENCE"] == before[k]["SEQUENCE"], k
            assert utc(c, "DTSTAMP") == utc(before[k], "DTSTAMP"), k
    # Each feed is rendered once for the new day, however often fetched.
    for _ in range(3):
        for u in old:
            assert fetch(u).status == 200
        assert fetch(fa["url"], headers={
            "If-None-Match": r.headers["ETag"]}).status == 304
    assert metric(ticd, "ticd_feed_renders_total") == renders + 2
