"""
Bad input never crashes ticd and never stores anything: every case below
gets the status docs/api.md gives it, the event count stays the same, and
/healthz still answers.  Refusals carry ticctl plan's reason.
"""
import datetime
import json

import pytest

from conftest import raw_reply, raw_send, ticctl_refusal, write_journal

BASE = [
    {"type": "registered", "date": "2025-01-10", "centre": "c1", "name": "中心一",
     "unit": "城区科技局"},
    {"type": "recognized", "date": "2025-02-01", "centre": "c1"},
    {"type": "revoked", "date": "2026-03-15", "centre": "c1", "article": 14},
    {"type": "registered", "date": "2025-01-10", "centre": "c2", "name": "中心二",
     "unit": "城区科技局"},
]


@pytest.fixture(scope="module")
def shared(module_factory):
    """One ticd for the module: every case leaves its store as it found
    it (which each case checks), so they can share it."""
    t = module_factory.started()
    t.stored = [t.record(ev) for ev in BASE]
    t.tmp = module_factory.root
    return t


@pytest.fixture
def base(shared):
    assert shared.running(), "ticd died in an earlier case:\n" + \
        shared.log_text()
    return shared


def tomorrow(t):
    return (datetime.date.fromisoformat(t.today())
            + datetime.timedelta(days=1)).isoformat()


def unchanged(t, events_before):
    """Nothing stored, and ticd still answers."""
    h = t.healthz()
    assert h["status"] == "ok"
    assert h["events"] == len(events_before)
    assert t.events() == events_before


MALFORMED = {
    "truncated": b'{"type":"applied","date":"2026-05-05",',
    "trailing-garbage": b'{"type":"applied","date":"2026-05-05",'
                        b'"centre":"c2"} x',
    "two-objects": b'{"type":"applied"}{"type":"applied"}',
    "single-quotes": b"{'type':'applied'}",
    "empty": b"",
    "whitespace": b"   \n",
    "duplicate-key": b'{"type":"applied","date":"2026-05-05","centre":"c2",'
                     b'"centre":"c1"}',
    "bad-utf8": b'{"type":"applied","date":"2026-05-05","centre":"c\xff"}',
    "nul-byte": b'{"type":"applied","date":"2026-05-05","centre":"c\\u0000"}',
    "deep-nesting": b"[" * 2000,
    "form-encoded": b"type=applied&date=2026-05-05&centre=c2",
}
NON_OBJECT = {"array": b"[1,2]", "string": b'"applied"', "number": b"42",
              "null": b"null", "true": b"true",
              "array-of-event": b'[{"type":"applied","date":"2026-05-05",'
                                b'"centre":"c2"}]'}


@pytest.mark.parametrize("body", list(MALFORMED.values()) +
                         list(NON_OBJECT.values()),
                         ids=list(MALFORMED) + list(NON_OBJECT))
def test_malformed_or_non_object_body_400(base, body):
    before = base.events()
    r = base.post("/api/v1/events", body)
    # (A \u0000 is valid JSON, but no event field may hold it: 400 as
    # jansson refuses it, or 422 from the planner, would both do.)
    assert r.status == 400 or (body == MALFORMED["nul-byte"] and
                               r.status == 422), r
    assert r.code in ("bad_request", "refused")
    assert r.headers["Content-Type"] == "application/json; charset=utf-8"
    unchanged(base, before)


# Refused by the planner.  TOMORROW and FIRST stand for the day after
# ticd's today and the id of the first stored event.
REFUSED = {
    "unknown-field": {"type": "applied", "date": "2026-05-05",
                      "centre": "c2", "colour": "red"},
    "field-of-another-type": {"type": "applied", "date": "2026-05-05",
                              "centre": "c2", "grade": "good"},
    "unknown-type": {"type": "exploded", "date": "2026-05-05",
                     "centre": "c2"},
    "no-type": {"date": "2026-05-05", "centre": "c2"},
    "no-date": {"type": "applied", "centre": "c2"},
    "date-not-a-day": {"type": "applied", "date": "2026-02-30",
                       "centre": "c2"},
    "date-slashes": {"type": "applied", "date": "2026/05/05",
                     "centre": "c2"},
    "date-short": {"type": "applied", "date": "2026-5-5", "centre": "c2"},
    "date-empty": {"type": "applied", "date": "", "centre": "c2"},
    "date-number": {"type": "applied", "date": 20260505, "centre": "c2"},
    "date-with-time": {"type": "applied", "date": "2026-05-05T10:00:00",
                       "centre": "c2"},
    "unknown-centre": {"type": "applied", "date": "2026-05-05",
                       "centre": "nowhere"},
    "centre-not-a-string": {"type": "applied", "date": "2026-05-05",
                            "centre": 7},
    "registered-twice": {"type": "registered", "date": "2026-05-05",
                         "centre": "c2", "name": "x", "unit": "y"},
    "before-registration": {"type": "applied", "date": "2024-12-31",
                            "centre": "c2"},
    "after-today": {"type": "applied", "date": "TOMORROW",
                    "centre": "c2"},
    "fail-without-rectify-by": {"type": "evaluation_result",
                                "date": "2026-01-05", "centre": "c1",
                                "year": 2025, "grade": "fail"},
    "bad-grade": {"type": "evaluation_result", "date": "2026-01-05",
                  "centre": "c1", "year": 2025, "grade": "superb"},
    "never-recognized": {"type": "evaluation_submitted",
                         "date": "2026-01-05", "centre": "c2",
                         "year": 2025},
    "duplicate-id": {"type": "applied", "date": "2026-05-05",
                     "centre": "c2", "id": "FIRST"},
    "retract-unknown": {"type": "retracted", "date": "2026-05-05",
                        "event": "no-such-event", "reason": "x"},
    "during-ban": {"type": "applied", "date": "2026-06-01",
                   "centre": "c1"},
}


@pytest.mark.parametrize("case", list(REFUSED))
def test_refused_event_422_with_ticctl_reason(base, case):
    ev = {k: {"TOMORROW": tomorrow(base), "FIRST": base.stored[0]["id"]}
          .get(v, v) if isinstance(v, str) else v
          for k, v in REFUSED[case].items()}
    before = base.events()
    r = base.post("/api/v1/events", ev)
    assert r.status == 422, r
    assert r.code == "refused"
    assert r.message
    unchanged(base, before)
    # ticctl plan refuses the same event, on the same journal and day,
    # for the same reason.
    journal = [e["event"] for e in before]
    path = base.tmp / "refused.jsonl"
    write_journal(path, journal + [ev])
    rc, out, err = ticctl_refusal(path, base.today())
    assert rc == 1 and out == "", err
    prefix = "ticctl plan: %s:%d: " % (path, len(journal) + 1)
    line = [x for x in err.splitlines() if x.startswith(prefix)]
    assert len(line) == 1, err
    assert line[0].endswith(": " + r.message), (line[0], r.message)


def test_application_during_ban_names_art16_and_first_day(base):
    before = base.events()
    for d in ("2026-03-15", "2026-06-01", base.today()):
        r = base.post("/api/v1/events", {"type": "applied", "date": d,
                                         "centre": "c1"})
        assert r.status == 422, r
        assert "Art. 16" in r.message and "第十六条" in r.message
        assert "the first day an application is accepted is 2029-03-16" \
            in r.message, r.message
    unchanged(base, before)
    # The bureau sees the ban on the centre.
    c = base.get("/api/v1/centres/c1").json()["centre"]
    assert (c["state"], c["ban_until"]) == ("revoked", "2029-03-15")


def test_event_dated_after_today_422(base):
    before = base.events()
    today = base.today()
    r = base.post("/api/v1/events", {"type": "applied", "date": tomorrow(base),
                                     "centre": "c2"})
    assert r.status == 422 and r.code == "refused", r
    assert "after today (%s)" % today in r.message
    unchanged(base, before)
    # Today itself is fine.
    base.record({"type": "expert_meeting_held", "date": today,
                 "centre": "c1"})


def test_oversized_body_413(base):
    before = base.events()
    ev = {"type": "expert_meeting_held", "date": "2025-05-05", "centre": "c1",
          "note": "x" * 3000}
    r = base.post("/api/v1/events", ev)
    assert r.status == 413, r
    # A body just within max_body (2048) is read and judged.
    ev["note"] = "x" * 1900
    assert len(json.dumps(ev)) <= 2048
    r = base.post("/api/v1/events", ev)
    assert r.status == 201, r
    assert base.count() == len(before) + 1


def test_oversized_token_request_413(base):
    r = base.post("/api/v1/tokens", {"role": "unit", "scope": "x" * 4000})
    assert r.status == 413, r
    tokens = base.get("/api/v1/tokens").json()["tokens"]
    assert [x["role"] for x in tokens] == ["bureau"]


WRONG_METHODS = [
    ("PUT", "/api/v1/events", "GET, HEAD, POST"),
    ("DELETE", "/api/v1/events", "GET, HEAD, POST"),
    ("PATCH", "/api/v1/events", "GET, HEAD, POST"),
    ("POST", "/api/v1/centres", "GET, HEAD"),
    ("DELETE", "/api/v1/centres/c1", "GET, HEAD"),
    ("POST", "/api/v1/obligations", "GET, HEAD"),
    ("PUT", "/api/v1/tokens", "GET, HEAD, POST"),
    ("GET", "/api/v1/tokens/1", "DELETE"),
    ("PUT", "/api/v1/contacts", "GET, HEAD, POST"),
    ("GET", "/api/v1/contacts/1", "DELETE"),
    ("POST", "/healthz", "GET, HEAD"),
    ("DELETE", "/metrics", "GET, HEAD"),
    ("OPTIONS", "/api/v1/events", "GET, HEAD, POST"),
]


@pytest.mark.parametrize("method, path, allow", WRONG_METHODS,
                         ids=["%s %s" % m[:2] for m in WRONG_METHODS])
def test_wrong_method_405(base, method, path, allow):
    before = base.events()
    body = json.dumps(BASE[0]) if method in ("PUT", "POST", "PATCH") \
        else None
    r = base.req(method, path, body)
    assert r.status == 405, r
    assert r.code == "method_not_allowed"
    assert r.headers["Allow"] == allow
    unchanged(base, before)


UNKNOWN_PATHS = ["/", "/api", "/api/v1", "/api/v1/", "/api/v1/nothing",
                 "/api/v2/events", "/api/v1/events/ev-1",
                 "/api/v1/centres/c1/obligations", "/api/v1/centres/%00",
                 "/api/v1/obligations/1", "/healthz/x", "/favicon.ico",
                 "/api/v1/tokens/abc", "/api/v1/tokens/0",
                 "/api/v1/tokens/-1", "/api/v1/contacts/abc",
                 "/../etc/passwd", "/api/v1/centres/" + "x" * 1000,
                 # A centre ticd does not know, even to the bureau: an
                 # empty list read as "nothing due" for a mistyped id.
                 "/api/v1/obligations?centre=c9",
                 "/api/v1/obligations?centre=%FF",
                 "/api/v1/events?centre=c9"]


@pytest.mark.parametrize("path", UNKNOWN_PATHS)
def test_unknown_path_404(base, path):
    before = base.events()
    method = "DELETE" if "/tokens/" in path or "/contacts/" in path \
        else "GET"
    r = base.req(method, path)
    assert r.status == 404, r
    assert r.code == "not_found"
    unchanged(base, before)


BAD_QUERIES = ["due_from=2026-02-30", "due_to=tomorrow", "until=2026-13-01",
               "due_from=", "state=late", "state=open,later", "rule=nope",
               # a parameter without "=" is malformed too
               "state", "centre=c1&verbose",
               # a misspelt filter, or one given twice, is not dropped
               # (the whole list came back as if filtered)
               "status=overdue", "centre=c1&centre=c2",
               "due_from=2026-01-01&due_from=2026-02-01",
               # the city planned to a far horizon held ticd for seconds
               "until=2999-12-31",
               # an empty list that read as "nothing due": a range that
               # ends before it starts, a plan ending before today
               "due_from=2027-12-01&due_to=2027-01-01",
               "until=2001-01-01"]


@pytest.mark.parametrize("query", BAD_QUERIES)
def test_bad_query_400(base, query):
    r = base.get("/api/v1/obligations?" + query)
    assert r.status == 400, r
    assert r.code == "bad_request"
    unchanged(base, base.events())


@pytest.mark.parametrize("path, says", [
    ("/api/v1/obligations?status=overdue", "unknown parameter status"),
    ("/api/v1/events?limit=2", "unknown parameter limit"),
    ("/api/v1/deliveries?bogus=1", "unknown parameter bogus"),
    ("/api/v1/deliveries?state=sent&state=dead",
     "parameter state is given more than once")])
def test_a_filter_misspelt_or_repeated_is_named(base, path, says):
    r = base.get(path)
    assert r.status == 400 and r.code == "bad_request", r
    assert says in r.json()["error"]["message"], r
    # state may be repeated on obligations (documented), and a list
    # without filters ignores its query, as feeds do.
    assert base.get("/api/v1/obligations?state=open&state=done").status \
        == 200
    assert base.get("/api/v1/centres?_=1").status == 200


def test_bad_token_and_contact_requests_store_nothing(base):
    tokens = base.get("/api/v1/tokens").json()["tokens"]
    for body in ({"role": "king"}, {"role": "unit"}, {"role": "unit",
                 "scope": ""}, {"role": "bureau", "scope": "x"}, [1],
                 "nope", {}):
        r = base.post("/api/v1/tokens", body)
        assert r.status == 400 and r.code == "bad_request", (body, r)
    assert base.get("/api/v1/tokens").json()["tokens"] == tokens
    # Each refusal names the field at fault.
    for body, says in (({"kind": "centre", "email": "a@b.cn"}, "scope"),
                       ({"kind": "bureau", "scope": "x", "email": "a@b.cn"},
                        "scope"),
                       ({"kind": "unit", "scope": "u"}, "email is missing"),
                       ({"kind": "unit", "scope": "u", "email": "a@b.cn",
                         "name": "x\r\nBcc: evil@example.com"},
                        "name must be a single line"),
                       ({"kind": "pigeon", "email": "a@b.cn"},
                        "kind must be bureau, unit or centre"),
                       ({"kind": "unit", "scope": "u",
                         "email": "李四@例子.中国"}, "xn-- form")):
        r = base.post("/api/v1/contacts", body)
        assert r.status == 400 and r.code == "bad_request", (body, r)
        assert says in r.json()["error"]["message"], (body, r)
    for body in ({"kind": "unit", "scope": "u", "email": "not-an-address"},
                 # Addresses no reminder could go to (ticd speaks no
                 # SMTPUTF8; ";" and ":" need quoting in a header): once
                 # stored, their reminders were dropped without a word.
                 {"kind": "unit", "scope": "u", "email": "张三@公司.中国"},
                 {"kind": "unit", "scope": "u", "email": "a;b@c.cn"},
                 {"kind": "unit", "scope": "u", "email": "a:b@c.cn"},
                 # Domains the mail's To: would show otherwise than the
                 # envelope has them: a label that is not punycode
                 # (xn--kxaki4e), one IDNA 2008 refuses (in UTF-8), a
                 # trailing dot (dropped).
                 {"kind": "unit", "scope": "u", "email": "z@c.xn--exampl"},
                 {"kind": "unit", "scope": "u", "email": "z@xn--ls8h.la"},
                 {"kind": "unit", "scope": "u", "email": "z@c.cn."},
                 # An encoded-word, which readers decode even there.
                 {"kind": "unit", "scope": "u",
                  "email": "=?UTF-8?B?5rWL?=@c.cn"}):
        r = base.post("/api/v1/contacts", body)
        assert r.status == 400 and r.code == "bad_request", (body, r)
        if "email" in body and "@" in body["email"] and "kind" in body \
                and body["kind"] == "unit" and "name" not in body:
            assert "ASCII" in r.json()["error"]["message"], r
    assert base.get("/api/v1/contacts").json()["contacts"] == []
    unchanged(base, base.events())
    # A Chinese domain in its ASCII form is an address like any other
    # (then removed: the module's ticd is shared).
    r = base.post("/api/v1/contacts", {"kind": "unit", "scope": "u",
                                       "email": "li@xn--55qx5d.xn--fiqs8s"})
    assert r.status == 201, r
    got = base.get("/api/v1/contacts").json()["contacts"]
    assert [c["email"] for c in got] == ["li@xn--55qx5d.xn--fiqs8s"]
    assert base.delete("/api/v1/contacts/%d" % got[0]["id"]).status == 200
    assert base.get("/api/v1/contacts").json()["contacts"] == []


def test_head_answers_headers_only_on_a_kept_connection(base):
    """HEAD gets the GET's status and Content-Length and no body: a body
    would be read by a keep-alive client as the start of its next reply."""
    import http.client
    c = http.client.HTTPConnection("127.0.0.1", base.port, timeout=5)
    auth = {"Authorization": "Bearer " + base.token}
    for path, headers in (("/healthz", {}), ("/metrics", {}),
                          ("/api/v1/centres", auth),
                          ("/api/v1/centres", {}),
                          ("/api/v1/obligations?state=nope", auth)):
        c.request("GET", path, headers=headers)
        got = c.getresponse()
        body = got.read()
        c.request("HEAD", path, headers=headers)
        head = c.getresponse()
        assert head.read() == b""
        assert head.status == got.status, path
        if path != "/metrics":		# counts requests: its length moves
            assert int(head.getheader("Content-Length")) == len(body), path
        # The same connection still reads the next reply right.
        c.request("GET", "/healthz")
        nxt = c.getresponse()
        assert nxt.status == 200 and json.loads(nxt.read())["status"] == "ok"
    c.close()


def test_422_is_named_unprocessable_content(base):
    """The status line says what 422 is (RFC 9110 §15.5.21); libevent 2.1
    called it "Client Error", which curl -i and proxies' logs show."""
    import http.client
    body = json.dumps({"type": "applied", "date": "2026-11-20",
                       "centre": "no-such-centre"}).encode()
    conn = http.client.HTTPConnection("127.0.0.1", base.port, timeout=30)
    try:
        conn.request("POST", "/api/v1/events", body, {
            "Authorization": "Bearer " + base.token,
            "Content-Type": "application/json"})
        r = conn.getresponse()
        r.read()
    finally:
        conn.close()
    assert (r.status, r.reason) == (422, "Unprocessable Content")


CREATE = {
    "/api/v1/tokens": ({"role": "unit", "scope": "u"}, "tokens"),
    "/api/v1/contacts": ({"kind": "unit", "scope": "u",
                          "email": "a@b.cn"}, "contacts"),
    "/api/v1/feeds": ({"kind": "unit", "scope": "u"}, "feeds"),
    "/api/v1/webhooks": ({"kind": "unit", "scope": "u", "format": "wecom",
                          "url": "http://127.0.0.1:9/cgi-bin/"
                                 "webhook/send?key=k"}, "webhooks"),
}


@pytest.mark.parametrize("path", list(CREATE))
def test_a_field_mistyped_or_unknown_is_named_not_dropped(base, path):
    """A label of 5 was stored as "" and a misspelt "lable" ignored,
    with a 201: the caller never learnt its label was not set."""
    good, listed = CREATE[path]
    before = base.get(path).json()[listed]
    for extra, says in (({"label": 5}, 'field "label" must be a string'),
                        ({"lable": "x"}, 'unknown field "lable"'),
                        ({"scope": ["u"]}, 'field "scope" must be a string')):
        body = dict(good, **extra)
        if path == "/api/v1/contacts" and "label" in extra:
            body = dict(good, name=5)
            says = 'field "name" must be a string'
        r = base.post(path, body)
        assert r.status == 400 and r.code == "bad_request", (body, r)
        assert says in r.json()["error"]["message"], (body, r)
    assert base.get(path).json()[listed] == before
    unchanged(base, base.events())


def test_a_parameter_name_that_is_not_utf8_is_a_400(base):
    """Quoted in the refusal, a parameter's name that is not UTF-8 made
    the reply one jansson would not encode, and ticd exited ("out of
    memory encoding a reply"): one request stopped the service.  Found
    by fuzz_http; sent raw, as no well-behaved client would."""
    status, body = raw_reply(raw_send(base.port, (
        b"GET /api/v1/obligations?d\x91e_to=2026-01-01 HTTP/1.1\r\n"
        b"Host: x\r\nAuthorization: Bearer " + base.token.encode() +
        b"\r\nConnection: close\r\n\r\n")))
    assert status == 400, body
    assert b"not UTF-8" in body, body
    unchanged(base, base.events())


@pytest.mark.parametrize("field, value", [
    ("centre", "c9\r\nX: y"), ("name", "中心\x1b[31m红"), ("name", "a\nb"),
    ("unit", "城区\tB"), ("name", "C1\u0085"), ("note", "a\x07b")])
def test_control_characters_in_a_new_event_are_refused(base, field, value):
    """A centre id or name with CR, LF or ESC printed fake rows and
    terminal escapes in ticctl's tables and put characters RFC 5545
    forbids into every feed: refused, naming the field; a note may hold
    line breaks and tabs."""
    before = base.events()
    ev = {"type": "registered", "date": "2026-01-05", "centre": "c9",
          "name": "中心九", "unit": "u"}
    ev[field] = value
    r = base.post("/api/v1/events", ev)
    want = 'field "%s" holds a control character' % field
    assert r.status == 422 and want in r.message, r
    unchanged(base, before)


def test_a_note_may_hold_line_breaks_and_tabs(base):
    before = base.events()
    r = base.post("/api/v1/events", {
        "type": "registered", "date": "2026-01-05", "centre": "c8",
        "name": "中心八", "unit": "u", "note": "文号：\t阳科发\n第二行"})
    assert r.status == 201, r
    # The module's ticd is shared: the event is retracted again.
    base.record({"type": "retracted", "date": "2026-01-05",
                 "event": r.json()["id"], "reason": "测试\n用后撤回"})
