"""
Every role boundary of docs/api.md ("Roles"): who is let in (401), what
each token sees (404 exactly as if it did not exist) and what it may do
(403).  Nothing refused is ever stored.
"""
import json

import pytest

from conftest import q

UNIT_A = "城区科技局"
UNIT_B = "郊区科技局"


@pytest.fixture
def world(ticd):
    """Centres a1, a2 of unit A and b1 of unit B; a1 recognized; a round
    (bureau-wide); tokens for unit A, unit B and centre a1."""
    for cid, unit in (("a1", UNIT_A), ("a2", UNIT_A), ("b1", UNIT_B)):
        ticd.record({"type": "registered", "date": "2025-03-03",
                     "centre": cid, "name": "中心 " + cid, "unit": unit,
                     "director_birth": "1970-05-05"})
    ticd.record({"type": "recognized", "date": "2025-06-02", "centre": "a1"})
    ticd.record({"type": "recognized", "date": "2025-06-02", "centre": "b1"})
    ticd.record({"type": "round_announced", "date": "2026-06-01",
                 "round": "2026-1", "application_deadline": "2026-07-10"})
    ticd.unit_a = ticd.new_token("unit", UNIT_A, "城区 张三")
    ticd.unit_b = ticd.new_token("unit", UNIT_B)
    ticd.centre_a1 = ticd.new_token("centre", "a1")
    ticd.ua = ticd.unit_a["token"]
    ticd.ub = ticd.unit_b["token"]
    ticd.ca1 = ticd.centre_a1["token"]
    ticd.base_count = ticd.count()
    return ticd


def not_found_body(t, token):
    """What a token gets for a centre that does not exist."""
    r = t.get("/api/v1/centres/no-such-centre", token=token)
    assert r.status == 404 and r.code == "not_found", r
    return r.body


def same_as(r, status, body):
    return (r.status, r.body) == (status, body)


# ---- 401 ----

ENDPOINTS = [("GET", "/api/v1/events"), ("POST", "/api/v1/events"),
             ("GET", "/api/v1/centres"), ("GET", "/api/v1/centres/a1"),
             ("GET", "/api/v1/obligations"), ("GET", "/api/v1/tokens"),
             ("POST", "/api/v1/tokens"), ("DELETE", "/api/v1/tokens/1"),
             ("GET", "/api/v1/contacts")]


def assert_401(r):
    assert r.status == 401, r
    assert r.code == "unauthorized", r
    assert r.headers.get("WWW-Authenticate", "").startswith("Bearer")


@pytest.mark.parametrize("header", [
    None, "Bearer", "Bearer ", "Bearer tic_", "Bearer tic_not-a-real-token",
    "Bearer not-even-prefixed", "Basic dXNlcjpwYXNz", "tic_bare",
], ids=["none", "empty-bearer", "bearer-space", "prefix-only", "unknown",
        "no-prefix", "basic", "no-scheme"])
def test_401_without_a_valid_token(world, header):
    headers = {"Authorization": header} if header is not None else {}
    for method, path in ENDPOINTS:
        body = {"type": "applied", "date": "2026-01-05", "centre": "a1"} \
            if method == "POST" else None
        assert_401(world.req(method, path, body, token=None,
                             headers=headers))
    assert world.count() == world.base_count


def test_401_with_an_altered_token(world):
    tok = world.token
    for bad in (tok[:-1], tok + "x", tok[:-1] + ("A" if tok[-1] != "A"
                                                 else "B"), tok.upper()):
        assert_401(world.get("/api/v1/centres", token=bad))
    assert world.get("/api/v1/centres").status == 200


def test_revoked_token_401_at_once(world):
    made = world.new_token("unit", UNIT_A, "to revoke")
    tok, tid = made["token"], made["id"]
    assert world.get("/api/v1/centres", token=tok).status == 200
    r = world.delete("/api/v1/tokens/%d" % tid)
    assert r.status == 200, r
    assert r.json()["id"] == tid
    for method, path in ENDPOINTS:
        body = {"type": "applied", "date": "2026-01-05", "centre": "a1"} \
            if method == "POST" else None
        assert_401(world.req(method, path, body, token=tok))
    assert world.count() == world.base_count
    # The listing says when; the other tokens still work.
    tokens = {x["id"]: x for x in world.get("/api/v1/tokens").json()["tokens"]}
    assert tokens[tid]["revoked_at"] is not None
    assert tokens[world.unit_a["id"]]["revoked_at"] is None
    assert all("token" not in x and "hash" not in x for x in tokens.values())
    assert world.get("/api/v1/centres", token=world.ua).status == 200
    # Unknown ids are 404; a revoked token stays revoked after a restart.
    assert world.delete("/api/v1/tokens/99999").status == 404
    world.restart()
    assert_401(world.get("/api/v1/centres", token=tok))
    assert world.get("/api/v1/centres", token=world.ua).status == 200


def test_the_only_bureau_token_is_not_revoked(ticd):
    """Revoking the only bureau token in force (ticctl tokens revoke 1 on
    a fresh install) left nobody able to manage ticd through the API:
    409, kept; with a second one made, either may go."""
    first = [x for x in ticd.get("/api/v1/tokens").json()["tokens"]
             if x["role"] == "bureau" and x["revoked_at"] is None]
    assert len(first) == 1
    r = ticd.delete("/api/v1/tokens/%d" % first[0]["id"])
    assert r.status == 409 and r.code == "conflict", r
    assert "make another first" in r.message, r
    assert ticd.get("/api/v1/centres").status == 200
    made = ticd.post("/api/v1/tokens", {"role": "bureau"}).json()
    assert ticd.delete("/api/v1/tokens/%d" % first[0]["id"]).status == 200
    ticd.token = made["token"]
    assert ticd.get("/api/v1/centres").status == 200
    assert ticd.delete("/api/v1/tokens/%d" % made["id"]).status == 409


def test_revocation_reply_names_revoked_at(world):
    """docs/api.md: DELETE /api/v1/tokens/ID -> 200 {"id":3,"revoked_at":"…"}"""
    made = world.new_token("centre", "a2")
    r = world.delete("/api/v1/tokens/%d" % made["id"])
    assert r.status == 200, r
    body = r.json()
    assert body.get("id") == made["id"]
    listed = {x["id"]: x for x in
              world.get("/api/v1/tokens").json()["tokens"]}
    assert body.get("revoked_at") == listed[made["id"]]["revoked_at"], body


def test_token_listing(world):
    r = world.get("/api/v1/tokens")
    assert r.status == 200
    tokens = r.json()["tokens"]
    by_id = {x["id"]: x for x in tokens}
    a = by_id[world.unit_a["id"]]
    assert (a["role"], a["scope"], a["label"], a["revoked_at"]) == \
        ("unit", UNIT_A, "城区 张三", None)
    assert by_id[world.centre_a1["id"]]["scope"] == "a1"
    bureau = [x for x in tokens if x["role"] == "bureau"]
    assert len(bureau) == 1 and bureau[0]["scope"] is None
    for x in tokens:
        assert world.token not in str(x) and world.ua not in str(x)


# ---- unit ----

def test_unit_sees_only_its_centres(world):
    ua = world.ua
    r = world.get("/api/v1/centres", token=ua)
    assert r.status == 200
    assert [c["id"] for c in r.json()["centres"]] == ["a1", "a2"]
    nf = not_found_body(world, ua)
    assert same_as(world.get("/api/v1/centres/b1", token=ua), 404, nf)
    # The same for the obligations of a centre not seen.
    r1 = world.get("/api/v1/obligations?centre=b1", token=ua)
    r2 = world.get("/api/v1/obligations?centre=no-such-centre", token=ua)
    assert (r1.status, r1.body) == (r2.status, r2.body) == (404, nf)
    # Events: its centres' and the bureau-wide ones, nothing of b1.
    events = world.events(token=ua)
    assert {e["event"].get("centre") for e in events} == {"a1", "a2", None}
    r1 = world.get("/api/v1/events?centre=b1", token=ua)
    r2 = world.get("/api/v1/events?centre=no-such-centre", token=ua)
    assert (r1.status, r1.body) == (r2.status, r2.body)
    obs = world.obligations(token=ua)["obligations"]
    assert obs and all(o["centre"] in ("a1", "a2", None) for o in obs)
    # Another unit's list: refused, not an empty list that reads as
    # "nothing due there" (as a feed of another unit is refused).
    r = world.get("/api/v1/obligations?unit=" + q(UNIT_B), token=ua)
    assert r.status == 403 and r.code == "forbidden", r
    assert world.get("/api/v1/obligations?unit=" + q(UNIT_A),
                     token=ua).status == 200
    # A centre's token likewise, for any unit but its own (which exists
    # or not: neither is told); its own unit is a filter like any.
    for unit in (UNIT_B, "不存在局"):
        r = world.get("/api/v1/obligations?unit=" + q(unit),
                      token=world.ca1)
        assert r.status == 403 and r.code == "forbidden", r
    assert world.get("/api/v1/obligations?unit=" + q(UNIT_A),
                     token=world.ca1).status == 200
    # Unit B sees b1 and not a1.
    r = world.get("/api/v1/centres", token=world.ub)
    assert [c["id"] for c in r.json()["centres"]] == ["b1"]
    assert same_as(world.get("/api/v1/centres/a1", token=world.ub), 404,
                   not_found_body(world, world.ub))
    # Bureau sees all three.
    r = world.get("/api/v1/centres")
    assert [c["id"] for c in r.json()["centres"]] == ["a1", "a2", "b1"]


def test_unit_records_allowed_events_for_its_centres(world):
    ua = world.ua
    allowed = [
        {"type": "registered", "date": "2026-02-02", "centre": "a3",
         "name": "新中心", "unit": UNIT_A},
        {"type": "applied", "date": "2026-02-03", "centre": "a2"},
        {"type": "recommended", "date": "2026-02-04", "centre": "a2"},
        {"type": "committee_formed", "date": "2026-02-05", "centre": "a1",
         "members": 7, "host_members": 2},
        {"type": "expert_meeting_held", "date": "2026-02-06",
         "centre": "a1"},
        {"type": "evaluation_submitted", "date": "2026-02-09",
         "centre": "a1", "year": 2025},
        {"type": "rectification_completed", "date": "2026-02-10",
         "centre": "a1"},
        {"type": "director_changed", "date": "2026-02-11", "centre": "a1",
         "director_birth": "1980-01-01"},
        {"type": "applied", "date": "2026-02-12", "centre": "a3"},
    ]
    stored = [world.record(ev, token=ua) for ev in allowed]
    assert world.count() == world.base_count + len(allowed)
    seen = [e["event"] for e in world.events(token=ua)]
    assert seen[-len(allowed):] == stored
    r = world.get("/api/v1/centres/a3", token=ua)
    assert r.status == 200 and r.json()["centre"]["unit"] == UNIT_A
    # Unit B never sees the new centre.
    assert same_as(world.get("/api/v1/centres/a3", token=world.ub), 404,
                   not_found_body(world, world.ub))


FORBIDDEN_FOR_UNIT = [
    {"type": "recognized", "date": "2026-02-02", "centre": "a2"},
    {"type": "not_recognized", "date": "2026-02-02", "centre": "a2"},
    {"type": "publicity_started", "date": "2026-02-02", "centre": "a2"},
    {"type": "objection_received", "date": "2026-02-02", "centre": "a2"},
    {"type": "objection_resolved", "date": "2026-02-02", "centre": "a2",
     "outcome": "recognized"},
    {"type": "evaluation_result", "date": "2026-02-02", "centre": "a1",
     "year": 2025, "grade": "good"},
    {"type": "revoked", "date": "2026-02-02", "centre": "a1", "article": 14},
    {"type": "abandoned", "date": "2026-02-02", "centre": "a1"},
    {"type": "lapsed", "date": "2026-02-02", "centre": "a1"},
    {"type": "transition_met", "date": "2026-02-02", "centre": "a1"},
    {"type": "round_announced", "date": "2026-02-02", "round": "x",
     "application_deadline": "2026-03-01"},
    {"type": "evaluation_round", "date": "2026-02-02", "year": 2026,
     "deadline": "2026-12-18"},
    {"type": "retracted", "date": "2026-02-02", "event": "ev-1",
     "reason": "mistake"},
]


@pytest.mark.parametrize("event", FORBIDDEN_FOR_UNIT,
                         ids=[e["type"] for e in FORBIDDEN_FOR_UNIT])
def test_unit_may_not_record_other_types(world, event):
    r = world.post("/api/v1/events", event, token=world.ua)
    assert r.status == 403, r
    assert r.code == "forbidden"
    # Says who records it instead (before: "this role may not record
    # this event", whatever the role and the event).
    assert "the bureau records this kind of event" in r.message, r
    assert world.count() == world.base_count
    # The bureau may (the same event is fine for it).
    if event["type"] != "retracted":
        assert world.post("/api/v1/events", event).status == 201


def test_unit_gets_404_for_another_units_centre(world):
    ua = world.ua
    other = world.post("/api/v1/events", {"type": "applied",
                       "date": "2026-02-02", "centre": "b1"}, token=ua)
    missing = world.post("/api/v1/events", {"type": "applied",
                         "date": "2026-02-02", "centre": "no-such"},
                         token=ua)
    assert other.status == 404, other
    assert (other.status, other.body) == (missing.status, missing.body)
    assert other.body == not_found_body(world, ua)
    # Even a type it may not record: the centre is not seen, so 404.
    r = world.post("/api/v1/events", {"type": "recognized",
                   "date": "2026-02-02", "centre": "b1"}, token=ua)
    assert same_as(r, 404, other.body)
    # Registering an existing centre of another unit under its own name
    # does not reveal it either.
    r = world.post("/api/v1/events", {"type": "registered",
                   "date": "2026-02-02", "centre": "b1", "name": "x",
                   "unit": UNIT_A}, token=ua)
    assert same_as(r, 404, other.body)
    assert world.count() == world.base_count


def test_an_id_in_use_out_of_sight_is_not_described(world):
    """Ids are the city's, so one in use is refused; but the refusal
    of an id another unit's event holds does not name that event (it gave
    its type and date: with ticd's ev-1, ev-2… a unit could read the whole
    journal).  One in the token's own sight is still described."""
    theirs = [e for e in world.events() if e["event"].get("centre") == "b1"]
    ours = [e for e in world.events() if e["event"].get("centre") == "a1"]
    assert theirs and ours
    for e in theirs:
        r = world.post("/api/v1/events", {
            "type": "expert_meeting_held", "date": "2026-02-02",
            "centre": "a1", "id": e["event"]["id"]}, token=world.ua)
        assert r.status == 422 and r.code == "refused", r
        assert "already used" in r.message, r
        assert e["event"]["type"] not in r.message, r
        assert e["event"]["date"] not in r.message, r
    r = world.post("/api/v1/events", {
        "type": "expert_meeting_held", "date": "2026-02-02",
        "centre": "a1", "id": ours[0]["event"]["id"]}, token=world.ua)
    assert r.status == 422 and ours[0]["event"]["type"] in r.message, r
    assert world.count() == world.base_count
    # Asking for another unit's centre's events is a 404, as for its
    # obligations (before: 200 and an empty list).
    nf = not_found_body(world, world.ua)
    assert same_as(world.get("/api/v1/events?centre=b1", token=world.ua),
                   404, nf)
    assert world.get("/api/v1/events?centre=a1", token=world.ua).status \
        == 200


def test_a_centre_moved_to_another_unit_keeps_its_past_from_the_new_unit(
        world):
    """Unit A registers m-1 with an internal note; the bureau retracts it
    and registers m-1 for unit B.  B sees m-1's events from its own
    registration on: not A's registration, its note, nor the retraction
    and its reason (before: all of them)."""
    r = world.post("/api/v1/events", {"type": "registered",
                   "date": "2026-02-02", "centre": "m-1", "name": "迁移",
                   "unit": UNIT_A, "id": "reg-m-1",
                   "note": "城区内部：联系人 13900000000"}, token=world.ua)
    assert r.status == 201, r
    world.record({"type": "retracted", "date": "2026-02-03",
                  "event": "reg-m-1", "reason": "登记错单位"})
    world.record({"type": "registered", "date": "2026-02-02",
                  "centre": "m-1", "name": "迁移", "unit": UNIT_B,
                  "id": "reg-m-1b"})
    seen = world.get("/api/v1/events", token=world.ub).json()["events"]
    text = json.dumps(seen, ensure_ascii=False)
    assert "13900000000" not in text and "登记错单位" not in text, text
    mine = [e["event"] for e in seen if e["event"].get("centre") == "m-1"]
    assert [e["id"] for e in mine] == ["reg-m-1b"], mine
    r = world.get("/api/v1/events?centre=m-1", token=world.ub)
    assert [e["event"]["id"] for e in r.json()["events"]] == ["reg-m-1b"]
    # The bureau sees the whole history; A no longer sees m-1 at all.
    ids = [e["event"].get("id") for e in world.events()]
    assert "reg-m-1" in ids and "reg-m-1b" in ids
    assert world.get("/api/v1/events?centre=m-1",
                     token=world.ua).status == 404


def test_unit_may_not_register_for_another_unit(world):
    r = world.post("/api/v1/events", {"type": "registered",
                   "date": "2026-02-02", "centre": "new-b",
                   "name": "x", "unit": UNIT_B}, token=world.ua)
    assert r.status == 403 and r.code == "forbidden", r
    assert world.count() == world.base_count
    assert same_as(world.get("/api/v1/centres/new-b"), 404,
                   not_found_body(world, world.token))


# ---- centre ----

def test_centre_token_reads_its_centre_only(world):
    ca1 = world.ca1
    r = world.get("/api/v1/centres", token=ca1)
    assert r.status == 200
    assert [c["id"] for c in r.json()["centres"]] == ["a1"]
    r = world.get("/api/v1/centres/a1", token=ca1)
    assert r.status == 200 and r.json()["centre"]["id"] == "a1"
    assert r.json()["centre"]["state"] == "recognized"
    nf = not_found_body(world, ca1)
    for cid in ("a2", "b1"):
        assert same_as(world.get("/api/v1/centres/" + cid, token=ca1), 404,
                       nf)
        r = world.get("/api/v1/obligations?centre=" + cid, token=ca1)
        assert same_as(r, 404, nf)
    obs = world.obligations(token=ca1)["obligations"]
    assert obs and all(o["centre"] == "a1" for o in obs)
    assert {e["event"].get("centre") for e in world.events(token=ca1)} \
        <= {"a1", None}


def test_centre_token_records_nothing(world):
    """Refused, naming who records it instead: its unit or the bureau, or
    the bureau alone for the bureau's own kinds; for another centre too
    (a 404 read as a wrong id, and a centre records nothing anyway)."""
    ca1 = world.ca1
    for ev in ({"type": "applied", "date": "2026-02-02", "centre": "a1"},
               {"type": "expert_meeting_held", "date": "2026-02-02",
                "centre": "a1"},
               {"type": "applied", "date": "2026-02-02", "centre": "a2"}):
        r = world.post("/api/v1/events", ev, token=ca1)
        assert r.status == 403 and r.code == "forbidden", (ev, r)
        assert "its unit or the bureau records it" in r.message, r
    for ev in ({"type": "round_announced", "date": "2026-02-02",
                "round": "x", "application_deadline": "2026-03-01"},
               {"type": "publicity_started", "date": "2026-02-02",
                "centre": "a1"}):
        r = world.post("/api/v1/events", ev, token=ca1)
        assert r.status == 403 and "the bureau records this kind" in \
            r.message, (ev, r)
    assert world.count() == world.base_count


def test_a_unit_may_not_register_a_legacy_centre(world):
    """legacy (recognized under the old measures) is the bureau's to say:
    it puts the centre into evaluations and the transition."""
    r = world.post("/api/v1/events", {"type": "registered",
                   "date": "2023-01-01", "centre": "old-a", "name": "x",
                   "unit": UNIT_A, "legacy": True}, token=world.ua)
    assert r.status == 403 and "legacy" in r.message, r
    assert world.count() == world.base_count


# ---- tokens and contacts ----

def test_tokens_endpoints_404_for_non_bureau(world):
    before = world.get("/api/v1/tokens").json()["tokens"]
    for tok in (world.ua, world.ca1):
        nf = not_found_body(world, tok)
        calls = [("GET", "/api/v1/tokens", None),
                 ("POST", "/api/v1/tokens", {"role": "bureau",
                                             "label": "escalate"}),
                 ("POST", "/api/v1/tokens", {"role": "unit",
                                             "scope": UNIT_B}),
                 ("DELETE", "/api/v1/tokens/1", None),
                 ("DELETE", "/api/v1/tokens/%d" % world.unit_b["id"], None),
                 ("PUT", "/api/v1/tokens", None)]
        for method, path, body in calls:
            r = world.req(method, path, body, token=tok)
            assert same_as(r, 404, nf), (method, path, r)
    assert world.get("/api/v1/tokens").json()["tokens"] == before
    assert world.get("/api/v1/centres").status == 200
    assert world.get("/api/v1/centres", token=world.ub).status == 200


@pytest.fixture
def contacts(world):
    ids = {}
    for i, (kind, scope) in enumerate((("centre", "a1"), ("centre", "b1"),
                                       ("unit", UNIT_A), ("unit", UNIT_B),
                                       ("bureau", None))):
        body = {"kind": kind, "email": "contact%d@example.cn" % i,
                "name": "联系人 %d" % i}
        if scope is not None:
            body["scope"] = scope
        r = world.post("/api/v1/contacts", body)
        assert r.status == 201, r
        ids[(kind, scope)] = r.json()["id"]
    world.contact_ids = ids
    return world


def test_contacts_within_scope(contacts):
    w = contacts
    ids = w.contact_ids

    def listed(tok):
        r = w.get("/api/v1/contacts", token=tok)
        assert r.status == 200
        return {c["id"] for c in r.json()["contacts"]}

    assert listed(w.token) == set(ids.values())
    assert listed(w.ua) == {ids[("centre", "a1")], ids[("unit", UNIT_A)]}
    assert listed(w.ub) == {ids[("centre", "b1")], ids[("unit", UNIT_B)]}
    assert listed(w.ca1) == {ids[("centre", "a1")]}
    # Others may not add contacts (403), nor delete one they do not see
    # (404, as if it did not exist).
    r = w.post("/api/v1/contacts", {"kind": "centre", "scope": "a1",
               "email": "x@example.cn"}, token=w.ua)
    assert r.status == 403 and r.code == "forbidden", r
    nf = not_found_body(w, w.ua)
    assert same_as(w.delete("/api/v1/contacts/%d" % ids[("centre", "b1")],
                            token=w.ua), 404, nf)
    assert same_as(w.delete("/api/v1/contacts/99999", token=w.ua), 404, nf)
    assert listed(w.token) == set(ids.values())
    r = w.delete("/api/v1/contacts/%d" % ids[("centre", "b1")])
    assert r.status == 200
    assert listed(w.ub) == {ids[("unit", UNIT_B)]}


def test_contact_delete_in_scope_is_403(contacts):
    """docs/api.md: "An action the role may not take on something it can
    see: 403".  Unit A lists the contact of its centre a1 but may not
    delete it."""
    w = contacts
    cid = w.contact_ids[("centre", "a1")]
    r = w.delete("/api/v1/contacts/%d" % cid, token=w.ua)
    assert r.status == 403 and r.code == "forbidden", r
    assert cid in {c["id"] for c in
                   w.get("/api/v1/contacts").json()["contacts"]}


def test_awkward_ids_and_scopes(world):
    """Centre ids and unit names are any non-empty strings: a slash, a
    space, ?, & and # in them travel percent-encoded in paths and
    queries, and scopes still hold."""
    cid, unit = "城区/001 甲?&#", "新区 科技局/二"
    ev = world.record({"type": "registered", "date": "2025-03-03",
                       "centre": cid, "name": "n", "unit": unit})
    tok = world.new_token("unit", unit)["token"]
    for t in (world.token, tok):
        r = world.get("/api/v1/centres/" + q(cid), token=t)
        assert r.status == 200 and r.json()["centre"]["id"] == cid, r
        assert world.obligations(token=t, query="?centre=" + q(cid))[
            "obligations"] == []
        assert [e["event"] for e in world.events(
            token=t, query="?centre=" + q(cid))] == [ev]
    r = world.get("/api/v1/centres", token=tok)
    assert [c["id"] for c in r.json()["centres"]] == [cid]
    nf = not_found_body(world, world.ua)
    assert same_as(world.get("/api/v1/centres/" + q(cid), token=world.ua),
                   404, nf)
    assert same_as(world.get("/api/v1/centres/a1", token=tok), 404,
                   not_found_body(world, tok))


def test_retractions_within_scope(world):
    """A retraction (bureau-wide) of an event a unit sees is listed for
    that unit; the plan is made as if the event had never been recorded.
    Only the bureau may retract."""
    ua = world.ua
    before = world.obligations(token=ua)["obligations"]
    ev = world.record({"type": "committee_formed", "date": "2026-02-02",
                       "centre": "a1", "members": 3, "host_members": 2})
    during = world.obligations(token=ua)["obligations"]
    assert any(o["rule"] == "expert_composition" for o in during)
    r = world.post("/api/v1/events", {"type": "retracted",
                   "date": "2026-02-03", "event": ev["id"],
                   "reason": "误录"}, token=ua)
    assert r.status == 403 and r.code == "forbidden", r
    ret = world.record({"type": "retracted", "date": "2026-02-03",
                        "event": ev["id"], "reason": "误录"})
    listed = world.events(token=ua)
    assert [e["event"] for e in listed[-2:]] == [ev, ret]
    assert world.obligations(token=ua)["obligations"] == before
    # Unit B sees neither the event nor anything about a1.
    assert all(e["event"].get("centre") != "a1"
               for e in world.events(token=world.ub))


def test_a_unit_cannot_take_over_an_id_another_unit_registered(world):
    """Unit B registers a centre, the bureau retracts it; unit A then
    registered the same id and saw B's retracted events (notes, the
    director's birth date) and inherited the centre's contacts and
    tokens.  Only the bureau may register such an id again."""
    ev = world.post("/api/v1/events", {
        "type": "registered", "date": "2026-01-05", "centre": "b9",
        "name": "乙的中心", "unit": UNIT_B, "note": "B 内部：预算 500 万"},
        token=world.ub).json()
    world.record({"type": "retracted", "date": "2026-01-06",
                  "event": ev["id"], "reason": "登记错误"})
    r = world.post("/api/v1/events", {
        "type": "registered", "date": "2026-01-07", "centre": "b9",
        "name": "甲的中心", "unit": UNIT_A}, token=world.ua)
    assert r.status == 403 and "only the bureau" in r.message, r
    assert world.get("/api/v1/events?centre=b9", token=world.ua).status \
        == 404
    # B itself may register it again; so may the bureau, for anyone.
    r = world.post("/api/v1/events", {
        "type": "registered", "date": "2026-01-07", "centre": "b9",
        "name": "乙的中心", "unit": UNIT_B}, token=world.ub)
    assert r.status == 201, r


def test_feeds_in_force_of_one_scope_are_capped(world):
    """A token holder could make feed tokens without end (30,000 in 30 s,
    each listing then holding ticd's loop for seconds): 100 in force for
    one scope; one revoked makes room again."""
    made = []
    for i in range(100):
        r = world.post("/api/v1/feeds", {"kind": "centre", "scope": "a1",
                                         "label": "f%d" % i}, token=world.ua)
        assert r.status == 201, (i, r)
        made.append(r.json()["id"])
    r = world.post("/api/v1/feeds", {"kind": "centre", "scope": "a1"},
                   token=world.ua)
    assert r.status == 409 and "revoke unused ones first" in r.message, r
    # Another scope is not affected.
    assert world.post("/api/v1/feeds", {"kind": "centre", "scope": "a2"},
                      token=world.ua).status == 201
    assert world.delete("/api/v1/feeds/%d" % made[0],
                        token=world.ua).status == 200
    assert world.post("/api/v1/feeds", {"kind": "centre", "scope": "a1"},
                      token=world.ua).status == 201
    assert len(world.get("/api/v1/feeds").json()["feeds"]) == 102
