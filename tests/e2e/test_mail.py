"""
Reminders that arrive (issue 5): the real ticd, under libfaketime, sends
the demo journal's reminders of Tue 2026-12-01 09:00 to a real SMTP server
(aiosmtpd, in this process on 127.0.0.1), and each message is read back
with Python's email package as a mail reader would: the Chinese subject
decoded, the items, the 补发 mark, the .ics parsed with python3-icalendar.
Outages, 4xx and 5xx replies, kill -9 in the middle of a send and an
obligation closed while its message waits are injected as they happen.

On 2026-12-01 the demo plans three messages: centres yq-006 and yq-009
(Art. 10's meeting for 2026, due 2026-12-31, 30 days before) and the
bureau (yq-011's publicity, due that day).  Every wait is bounded; the
only fixed waits are the few seconds that show that nothing happens.
"""
import email
import email.policy
import json
import os
import re
import signal
import sqlite3
import subprocess
import threading
import time

import pytest

from conftest import (DEMO_JOURNAL, FAKETIME_LIB, TICCTL, SmtpSink,
                      answered_under_lock, faketime_env)

icalendar = pytest.importorskip("icalendar")
pytest.importorskip("aiosmtpd")
pytestmark = pytest.mark.skipif(not os.path.exists(FAKETIME_LIB),
                                reason="libfaketime is missing")

DAY = "2026-12-01"
BEFORE_NINE = DAY + " 08:59:54"
FROM = "ticd@kjj.yq.example"
CONTACTS = [
    {"kind": "centre", "scope": "yq-006", "email": "a006@centre.example",
     "name": "王主任"},
    {"kind": "centre", "scope": "yq-009", "email": "b009@centre.example"},
    {"kind": "bureau", "email": "kjj@yq.example", "name": "科技局"},
]
ADDRESSES = {c["email"] for c in CONTACTS}


def mail_ticd(factory, url=None, start=BEFORE_NINE, contacts=CONTACTS,
              name="ticd"):
    """A ticd with the demo journal, mail to url (None: the spool), its
    clock started at "start", and the contacts recorded."""
    t = factory(name)
    mail = "[mail]\nfrom = %s\ntimeout = 10\n" % FROM
    if url:
        mail += "smtp_url = %s\nstarttls = no\n" % url
    t.write_conf(extra=mail)
    t.token = t.make_token()
    start_with_contacts(t, start, contacts)
    return t


def start_with_contacts(t, start, contacts=CONTACTS, journal=DEMO_JOURNAL):
    """t started on the journal at "start" with the contacts recorded.  A
    start seconds before 09:00 gets its contacts at 08:00 first, then
    restarts: 09:00 fixes the day's recipients, and on a loaded machine
    the start and the contacts could take longer than the seconds left."""
    early = start[:11] + "08:00:00"
    setup = early if early < start < start[:11] + "09:00:00" else start
    t.start(env=faketime_env(setup), extra_args=["-i", str(journal)])
    for c in contacts:
        r = t.post("/api/v1/contacts", c)
        assert r.status == 201, r
    if setup != start:
        assert t.stop() == 0, t.log_text()
        t.start(env=faketime_env(start))


def deliveries(t, query=""):
    r = t.get("/api/v1/deliveries" + query)
    assert r.status == 200, r
    return r.json()["deliveries"]


def ticctl_deliveries(t):
    """ticctl deliveries' table, as the bureau's operator sees it."""
    p = subprocess.run([TICCTL, "deliveries", "--url", t.url(""),
                        "--token", t.token], capture_output=True,
                       timeout=30)
    assert p.returncode == 0, p.stderr
    return p.stdout.decode()


def wait_deliveries(t, predicate, timeout=30.0):
    """Polls the outbox (bounded) until predicate(rows) holds."""
    deadline = time.monotonic() + timeout
    rows = []
    while time.monotonic() < deadline:
        rows = deliveries(t)
        if predicate(rows):
            return rows
        time.sleep(0.1)
    raise AssertionError("outbox never got there: %r\n%s"
                         % (rows, t.log_text()))


def recipient_words(t, recipient):
    """An outbox recipient as a notice names it: the centre's name and
    id, the unit's name, or 市科技局."""
    if recipient == "bureau":
        return "市科技局"
    kind, scope = recipient.split(":", 1)
    if kind == "unit":
        return scope
    name = t.get("/api/v1/centres/" + scope).json()["centre"]["name"]
    return "%s（%s）" % (name, scope)


def reminders(rows):
    """The outbox rows that are reminders, not notices about them."""
    return [r for r in rows if "|dead:" not in r["key"]]


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def by_rcpt(sink):
    out = {}
    for _, rcpts, raw in sink.received:
        for r in rcpts:
            out.setdefault(r, []).append(parse(raw))
    return out


def check_rfc2047_limits(raw):
    """What a strict reader checks in the header: every encoded-word at
    most 75 characters, and the Subject's lines at most 76."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    for word in re.findall(r"=\?[^?\s]+\?[BbQq]\?[^?\s]*\?=", head):
        assert len(word) <= 75, word
    subject = re.search(r"^Subject:.*?(?=\r\n\S)", head,
                        re.M | re.S).group(0)
    for line in subject.split("\r\n"):
        assert len(line) <= 76, line


def ics_of(msg):
    for part in msg.walk():
        if part.get_content_type() == "text/calendar":
            assert part.get_param("method") == "PUBLISH"
            assert part.get_filename().endswith(".ics")
            return icalendar.Calendar.from_ical(part.get_payload(
                decode=True))
    raise AssertionError("no text/calendar part")


def test_digest_arrives_at_send_time_as_a_reader_sees_it(ticd_factory,
                                                         smtp_sink):
    t = mail_ticd(ticd_factory, smtp_sink.url())
    assert deliveries(t) == [] and smtp_sink.received == [], \
        "nothing may go before 09:00"
    assert smtp_sink.wait_for(3) == 3, t.log_text()
    got = by_rcpt(smtp_sink)
    assert set(got) == ADDRESSES
    for _, _, raw in smtp_sink.received:
        check_rfc2047_limits(raw)
    rows = wait_deliveries(t, lambda rs: len(rs) == 3 and
                           all(r["state"] == "sent" for r in rs))
    ids = {r["message_id"] for r in rows}
    for addr, msgs in got.items():
        assert len(msgs) == 1, addr
        m = msgs[0]
        subject = m["Subject"]
        assert subject.startswith("【技术创新中心提醒】"), subject
        assert "=?" not in subject
        assert m["From"].addresses[0].addr_spec == FROM
        assert m["Auto-Submitted"] == "auto-generated"
        assert m["Content-Language"] == "zh-CN"
        assert m["Date"].startswith("Tue, 01 Dec 2026 09:0"), m["Date"]
        assert m["Date"].endswith("+0800")
        assert m["Message-ID"].strip("<>") in ids
        assert m.get_content_type() == "multipart/mixed"
        text = m.get_body(("plain",)).get_content()
        html = m.get_body(("html",)).get_content()
        assert "补发" not in subject
        cal = ics_of(m)
        assert cal.get("method") == "PUBLISH"
        assert len(cal.walk("VEVENT")) + len(cal.walk("VTODO")) >= 1
        if addr == "a006@centre.example":
            assert m["To"].addresses[0].display_name == "王主任"
            assert "专家委员会年度会议" in text and "第十条" in text
            assert "2026-12-31" in text and "2026-12-31" in html
            ev = (cal.walk("VEVENT") + cal.walk("VTODO"))[0]
            when = ev.get("DTSTART") or ev.get("DUE")
            assert str(when.dt) == "2026-12-31"
        if addr == "kjj@yq.example":
            assert "认定结果公示期满" in text and "第七条第（五）项" in text
    for r in rows:
        assert (r["attempts"], r["day"]) == (1, DAY)
        assert r["last_response"].startswith("250"), r
    metrics = t.get("/metrics", token=None).body.decode()
    assert 'ticd_outbox{state="sent"} 3' in metrics, metrics
    # What a bureau operator types: each row's recipient and channel.
    table = ticctl_deliveries(t)
    assert table.count("sent") == 3 and "centre:yq-006" in table, table
    assert "渠道" in table and table.count(" 邮件 ") == 3, table
    # Other roles do not see the outbox at all.
    unit = t.new_token("unit", "城区科技局")["token"]
    assert t.get("/api/v1/deliveries", token=unit).status == 404
    # A restart the same morning plans nothing twice.
    t.stop()
    t.start(env=faketime_env(DAY + " 09:00:30"))
    time.sleep(2)
    assert len(deliveries(t)) == 3 and len(smtp_sink.received) == 3


def test_a_stored_contact_no_mail_can_go_to_is_named_each_day(ticd_factory,
                                                              smtp_sink):
    """A contact the API took before its rule grew stricter (here an "xn--"
    label that is not punycode: To: would show another domain) gets no
    mail, and the log says so when the day's reminders are queued, with
    what to do; the centre's other contact gets its mail."""
    t = mail_ticd(ticd_factory, smtp_sink.url(), start=DAY + " 08:00:00")
    assert t.stop() == 0
    with sqlite3.connect(str(t.db)) as db:
        cur = db.execute(
            "INSERT INTO contacts (kind, scope, email, name, created_at) "
            "VALUES ('centre', 'yq-009', 'z@c.xn--exampl', '', "
            "'2026-11-01T09:00:00+08:00')")
        bad = cur.lastrowid
        # An older ticd took UTF-8 too: U+202E would turn a log line
        # round, so the log names the contact by its id alone.
        cur = db.execute(
            "INSERT INTO contacts (kind, scope, email, name, created_at) "
            "VALUES ('bureau', NULL, 'evil\u202e@x.example', '', "
            "'2026-11-01T09:00:00+08:00')")
        evil = cur.lastrowid
    db.close()
    t.start(env=faketime_env(BEFORE_NINE))
    assert smtp_sink.wait_for(3) == 3, t.log_text()
    assert set(by_rcpt(smtp_sink)) == ADDRESSES
    t.wait_log("contact %d: no mail can go to its address" % bad)
    t.wait_log("contact %d: no mail can go to its address" % evil)
    assert "\u202e" not in t.log_text()
    # The list says which one, to the API and in ticctl's table.
    listed = {c["email"]: c["usable"]
              for c in t.get("/api/v1/contacts").json()["contacts"]}
    assert listed == dict({a: True for a in ADDRESSES},
                          **{"z@c.xn--exampl": False,
                             "evil\u202e@x.example": False})
    p = subprocess.run([TICCTL, "contacts", "--url", t.url(""), "--token",
                        t.token], capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode()
    assert "z@c.xn--exampl（不可用 / unusable）" in out, out
    assert "b009@centre.example（" not in out, out


def test_a_contact_stored_twice_is_mailed_once(ticd_factory, smtp_sink):
    """A centre's address stored twice (in another case), as the API took
    before it refused that: the message names it once."""
    t = mail_ticd(ticd_factory, smtp_sink.url(), start=DAY + " 08:00:00")
    assert t.post("/api/v1/contacts", {
        "kind": "centre", "scope": "yq-006", "email": "A006@Centre.Example"}
    ).status == 409
    assert t.stop() == 0
    with sqlite3.connect(str(t.db)) as db:
        db.execute("INSERT INTO contacts (kind, scope, email, name, "
                   "created_at) VALUES ('centre', 'yq-006', "
                   "'A006@Centre.Example', '', '2026-11-01T09:00:00+08:00')")
    db.close()
    t.start(env=faketime_env(BEFORE_NINE))
    assert smtp_sink.wait_for(3) == 3, t.log_text()
    mine = [(rcpts, parse(raw)) for _, rcpts, raw in smtp_sink.received
            if "a006@centre.example" in rcpts]
    assert len(mine) == 1 and mine[0][0] == ["a006@centre.example"], mine
    assert mine[0][1]["To"].count("@") == 1, mine[0][1]["To"]


def test_nothing_on_a_sunday(ticd_factory, smtp_sink):
    t = mail_ticd(ticd_factory, smtp_sink.url(), "2026-12-06 08:59:57")
    time.sleep(6)		# past 09:00 by the fake clock
    assert t.healthz()["today"] == "2026-12-06"
    assert deliveries(t) == [] and smtp_sink.received == []


def test_server_down_then_up_delivered_once(ticd_factory, smtp_sink):
    smtp_sink.down()
    t = mail_ticd(ticd_factory, smtp_sink.url())
    rows = wait_deliveries(t, lambda rs: len(rs) == 3 and
                           all(r["state"] == "retrying" for r in rs))
    for r in rows:
        assert r["attempts"] == 1 and r["next_attempt"], r
        assert "connect" in r["last_error"].lower(), r
    smtp_sink.up()
    assert smtp_sink.wait_for(3, timeout=30) == 3, t.log_text()
    rows = wait_deliveries(t, lambda rs: all(r["state"] == "sent"
                                             for r in rs))
    assert all(r["attempts"] == 2 for r in rows), rows
    time.sleep(1)
    got = by_rcpt(smtp_sink)
    assert set(got) == ADDRESSES and all(len(v) == 1 for v in got.values())


def test_4xx_then_accepted(ticd_factory, smtp_sink):
    smtp_sink.replies = ["451 4.3.0 mailbox busy, try later"] * 3
    t = mail_ticd(ticd_factory, smtp_sink.url())
    assert smtp_sink.wait_for(3, timeout=30) == 3, t.log_text()
    rows = wait_deliveries(t, lambda rs: len(rs) == 3 and
                           all(r["state"] == "sent" for r in rs))
    for r in rows:
        assert r["attempts"] == 2, r
        assert "451" in (r["last_error"] or ""), r
    assert set(by_rcpt(smtp_sink)) == ADDRESSES


class StallingSink(SmtpSink):
    """Takes each message whole, then sits on its answer to the final "."
    until release() (at most 20 s): what libcurl 7.88 waits for in
    blocking mode (smtp_done), which once held ticd's whole loop."""

    def __init__(self):
        super().__init__()
        self.released = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        import asyncio
        self.data_started += 1
        deadline = time.monotonic() + 20
        while not self.released.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos),
                              envelope.original_content))
        return "250 2.0.0 OK queued"


def test_server_sitting_on_the_final_dot_never_holds_the_api(ticd_factory):
    sink = StallingSink()
    sink.up()
    try:
        t = mail_ticd(ticd_factory, sink.url(), DAY + " 08:59:58")
        deadline = time.monotonic() + 10
        while sink.data_started < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sink.data_started == 1, t.log_text()
        # The first waits for the server's answer, and the others with it
        # (libcurl waits in blocking mode, holding the mail thread): the
        # API answers at once all the same.
        worst, n, until = 0.0, 0, time.monotonic() + 2
        while time.monotonic() < until:
            for path in ("/healthz", "/api/v1/deliveries"):
                a = time.monotonic()
                r = t.get(path)
                worst = max(worst, time.monotonic() - a)
                assert r.status == 200, r
                n += 1
            time.sleep(0.01)
        states = [r["state"] for r in deliveries(t)]
        assert "sending" in states and "sent" not in states, states
        # Held, they waited for the 10 s timeout; 2 s leaves room for a
        # loaded machine under ASan.
        assert worst < 2.0, (worst, n)
        # The server answers at last: each delivered once, first attempt.
        sink.released.set()
        rows = wait_deliveries(t, lambda rs: len(rs) == 3 and
                               all(r["state"] == "sent" for r in rs),
                               timeout=10)
        assert all(r["attempts"] == 1 for r in rows), rows
        got = by_rcpt(sink)
        assert set(got) == ADDRESSES and all(len(v) == 1
                                             for v in got.values())
    finally:
        sink.released.set()
        sink.down()


def test_stop_while_a_server_sits_on_the_final_dot(ticd_factory):
    # SIGTERM waits stop_wait (1 s) for the send, then cuts it: ticd ends
    # within a second more, the row goes back to pending, and the next
    # start sends it again with the same Message-ID.
    sink = StallingSink()
    sink.up()
    try:
        t = ticd_factory("ticd")
        t.write_conf(extra="[mail]\nfrom = %s\ntimeout = 10\nstop_wait = 1\n"
                     "smtp_url = %s\nstarttls = no\n" % (FROM, sink.url()))
        t.token = t.make_token()
        start_with_contacts(t, DAY + " 08:59:58")
        deadline = time.monotonic() + 10
        while sink.data_started < 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert sink.data_started == 1, t.log_text()
        a = time.monotonic()
        assert t.stop() == 0, t.log_text()
        # stop_wait (1 s) and the exit; it took the 10 s timeout before.
        # 5 s leaves room for a loaded machine under ASan.
        assert time.monotonic() - a < 5, t.log_text()
        with sqlite3.connect(str(t.db), timeout=5) as db:
            rows = db.execute("SELECT state, last_error FROM outbox").fetchall()
        assert {s for s, _ in rows} == {"pending"}, rows
        assert any("interrupted by ticd's stop" in (e or "")
                   for _, e in rows), rows
        sink.released.set()
        t.start(env=faketime_env(DAY + " 09:00:30"))
        rows = wait_deliveries(t, lambda rs: len(rs) == 3 and
                               all(r["state"] == "sent" for r in rs),
                               timeout=10)
        ids = {r["message_id"] for r in rows}
        got = by_rcpt(sink)
        assert set(got) == ADDRESSES, got
        for msgs in got.values():
            assert len({m["Message-ID"].strip("<>") for m in msgs}) == 1
            assert msgs[0]["Message-ID"].strip("<>") in ids
    finally:
        sink.released.set()
        sink.down()


def test_5xx_dead_at_once_then_redelivered(ticd_factory, smtp_sink):
    smtp_sink.replies = ["554 5.7.1 rejected by policy"] * 3
    t = mail_ticd(ticd_factory, smtp_sink.url())
    # The three reminders die; the bureau's notices of them (below) go.
    rows = wait_deliveries(t, lambda rs: len(reminders(rs)) == 3 and
                           all(r["state"] == "dead" for r in reminders(rs)))
    rows = reminders(rows)
    for r in rows:
        assert r["attempts"] == 1 and r["next_attempt"] is None, r
        assert "554" in r["last_error"], r
    time.sleep(6)		# past the first retry's 5 s: none comes
    assert all(r["attempts"] == 1 for r in reminders(deliveries(t)))
    assert smtp_sink.wait_for(3) == 3
    assert {rc for _, rcpts, _ in smtp_sink.received for rc in rcpts} == \
        {"kjj@yq.example"}
    smtp_sink.received.clear()
    # The bureau sends one again once the server takes it.
    target = rows[0]
    p = subprocess.run([TICCTL, "redeliver", str(target["id"]), "--url",
                        t.url(""), "--token", t.token], capture_output=True,
                       timeout=30)
    assert p.returncode == 0, p.stderr
    assert smtp_sink.wait_for(1) == 1
    msg = parse(smtp_sink.received[0][2])
    assert msg["Message-ID"].strip("<>") == target["message_id"]
    wait_deliveries(t, lambda rs: [r["state"] for r in rs
                                   if r["id"] == target["id"]] == ["sent"])
    assert t.post("/api/v1/deliveries/99999/redeliver", {}).status == 404


class RcptRefusingSink(SmtpSink):
    """Refuses every recipient for good, as a server with no such user."""

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        return "550 5.1.1 <%s>: no such user here" % address


def test_a_refused_recipient_is_told_with_the_servers_own_words(
        ticd_factory):
    """The bureau's notice and the outbox keep the server's refusal, not
    the "221 bye" that answers curl's QUIT after it."""
    sink = RcptRefusingSink()
    sink.up()
    try:
        t = mail_ticd(ticd_factory, sink.url())
        rows = wait_deliveries(t, lambda rs: len(reminders(rs)) == 3 and
                               all(r["state"] == "dead"
                                   for r in reminders(rs)))
        for r in reminders(rows):
            said = (r["last_error"] or "") + (r["last_response"] or "")
            assert "no such user here" in said, r
            assert "221" not in said, r
            # In the bureau's words, not curl's English "Weird server
            # reply" for what is a plain refusal.
            assert r["last_error"].startswith("邮件服务器答复 / the mail "
                                              "server answered: 550"), r
            assert "Weird" not in said, r
    finally:
        sink.down()


class HeldRefusingSink(RcptRefusingSink):
    """Refuses every recipient for good, once release() is called (at
    most 20 s): the test decides when the refusals come."""

    def __init__(self):
        super().__init__()
        self.released = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        import asyncio
        deadline = time.monotonic() + 20
        while not self.released.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        return await super().handle_RCPT(server, session, envelope, address,
                                         rcpt_options)


def test_a_message_refused_while_the_store_is_locked_is_still_dead(
        ticd_factory):
    """The server refuses the messages for good while an admin's sqlite3
    shell holds the store's lock: their dead state is written once the
    lock goes (it was dropped, the rows stuck "sending" until a restart,
    which sent them again)."""
    sink = HeldRefusingSink()
    sink.up()
    try:
        t = mail_ticd(ticd_factory, sink.url())
        wait_deliveries(t, lambda rs: len(rs) == 3 and
                        all(r["state"] == "sending" for r in rs))
        # The refusals come under the lock.
        answered_under_lock(t.db, sink.released.set)
        rows = wait_deliveries(t, lambda rs: len(reminders(rs)) == 3 and
                               all(r["state"] == "dead"
                                   for r in reminders(rs)), timeout=30)
        assert all("no such user here" in (r["last_error"] or "")
                   for r in reminders(rows)), rows
        assert "kept to be written again" in t.log_text(), t.log_text()
    finally:
        sink.down()


class HeldCentreRefusingSink(HeldRefusingSink):
    """Refuses the centres' addresses for good once released, and takes
    the bureau's (its notices of them)."""

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        if address.endswith("@centre.example"):
            return await super().handle_RCPT(server, session, envelope,
                                             address, rcpt_options)
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_the_bureau_is_told_of_a_message_that_died_while_the_store_was_locked(
        ticd_factory):
    """The refusals come while an admin's sqlite3 shell holds the store's
    lock: the dead states and the bureau's notices are written together
    once the lock goes, and the notices go (they were dropped: "the
    bureau's notice could not be stored and is not sent")."""
    sink = HeldCentreRefusingSink()
    sink.up()
    try:
        t = mail_ticd(ticd_factory, sink.url())

        def to_centres(rs):
            return [r for r in rs if
                    all(a.endswith("@centre.example") for a in r["to"])]
        # The bureau's own reminder goes; the centres' wait for the sink.
        rows = wait_deliveries(t, lambda rs: len(rs) == 3 and
                               len(to_centres(rs)) == 2 and
                               all(r["state"] == "sending"
                                   for r in to_centres(rs)))
        centres = to_centres(rows)
        # The refusals come under the lock.
        answered_under_lock(t.db, sink.released.set)
        log = t.log_text()
        assert "kept to be written again with the bureau's notice" in log, \
            log

        def told(rs):
            dead = [r for r in rs if r["state"] == "dead"]
            notices = [r for r in rs if "|dead:" in r["key"]]
            return len(dead) == len(centres) and \
                len(notices) == len(centres) and \
                all(r["state"] == "sent" for r in notices)
        rows = wait_deliveries(t, told, timeout=30)
        for dead in [r for r in rows if r["state"] == "dead"]:
            notice = [r for r in rows
                      if r["key"].endswith("|dead:%d" % dead["id"])]
            assert len(notice) == 1, rows
            assert notice[0]["to"] == ["kjj@yq.example"], notice
            mails = [parse(raw) for _, _, raw in sink.received
                     if "<%s>" % notice[0]["message_id"] in
                     raw.decode("ascii", "replace")]
            assert len(mails) == 1, sink.received
            assert mails[0]["Subject"].startswith("【技术创新中心提醒】投递失败")
            text = mails[0].get_body(("plain",)).get_content()
            assert "ticctl redeliver %d" % dead["id"] in text, text
            assert "no such user here" in text, text
        assert "the bureau is told (outbox" in t.log_text()
    finally:
        sink.down()


def test_dead_message_told_to_the_bureau_once(ticd_factory, smtp_sink):
    # The first message the server takes is refused for good; the others
    # and the notice go.  The notice names the recipient, the day, the
    # reason and the command; it is queued once, and a notice that dies
    # itself is not noticed (no loop).
    smtp_sink.replies = ["554 5.1.1 mailbox unavailable"]
    t = mail_ticd(ticd_factory, smtp_sink.url())
    rows = wait_deliveries(t, lambda rs: len(rs) == 4 and
                           all(r["state"] in ("sent", "dead") for r in rs))
    dead = [r for r in rows if r["state"] == "dead"]
    notice = [r for r in rows if "|dead:" in r["key"]]
    assert len(dead) == 1 and len(notice) == 1, rows
    dead, notice = dead[0], notice[0]
    assert notice["state"] == "sent" and notice["recipient"] == "bureau"
    assert notice["key"].endswith("|dead:%d" % dead["id"])
    assert notice["to"] == ["kjj@yq.example"]
    msg = [parse(raw) for _, rcpts, raw in smtp_sink.received
           if "<%s>" % notice["message_id"] in raw.decode("ascii", "replace")]
    assert len(msg) == 1, smtp_sink.received
    msg = msg[0]
    assert msg["Subject"].startswith("【技术创新中心提醒】投递失败"), msg["Subject"]
    # The recipient in words, as the reminders name it (before: the
    # outbox's own "centre:yq-006").
    who = recipient_words(t, dead["recipient"])
    assert who in msg["Subject"] and DAY in msg["Subject"], msg["Subject"]
    assert dead["recipient"] not in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    assert who in text and DAY in text
    for a in dead["to"]:
        assert a in text
    # One bracket after the name (it read "中心（yq-006）（a@b）的").
    assert "发给 %s 的 %s 提醒（投递编号 %d，收件邮箱 %s）" % (
        who, DAY, dead["id"], ", ".join(dead["to"])) in text, text
    assert "554 5.1.1 mailbox unavailable" in text
    assert "ticctl redeliver %d" % dead["id"] in text
    # Redelivering the dead message does not queue a second notice, and a
    # dying notice queues none: four rows, however long we look.
    time.sleep(1)
    assert len(deliveries(t)) == 4


def test_dead_message_without_a_bureau_contact_is_said_in_the_log(
        ticd_factory, smtp_sink):
    # No bureau contact: the notice of a dead message has nowhere to go
    # over SMTP.  The log names the message and what to do, once; no
    # notice row is queued.  With a bureau contact, the next one is told.
    smtp_sink.replies = ["554 5.1.1 mailbox unavailable"]
    t = mail_ticd(ticd_factory, smtp_sink.url(),
                  contacts=[c for c in CONTACTS if c["kind"] != "bureau"])
    rows = wait_deliveries(t, lambda rs: len(rs) == 2 and
                           all(r["state"] in ("sent", "dead") for r in rs))
    dead = [r for r in rows if r["state"] == "dead"]
    assert len(dead) == 1, rows
    line = "outbox %d: the bureau cannot be told: no bureau contact has " \
        "an address mail can go to (ticctl contacts)" % dead[0]["id"]
    t.wait_log(line)
    time.sleep(0.5)
    assert t.log_text().count(line) == 1, t.log_text()
    assert not [r for r in deliveries(t) if "|dead:" in r["key"]]
    r = t.post("/api/v1/contacts", CONTACTS[2])
    assert r.status == 201, r
    smtp_sink.replies = ["554 5.1.1 mailbox unavailable"]
    assert t.post("/api/v1/deliveries/%d/redeliver" % dead[0]["id"],
                  {}).status == 200
    rows = wait_deliveries(t, lambda rs: any("|dead:" in r["key"] and
                                             r["state"] == "sent"
                                             for r in rs))
    assert t.log_text().count("the bureau cannot be told") == 1


def test_row_edited_unreadable_goes_dead_and_the_bureau_is_told(
        ticd_factory, smtp_sink):
    # A stored message whose recipients were edited by hand into something
    # ticd cannot read (an element without "email") once stopped ticd at
    # every start.  Now it goes dead, is not sent, and the bureau is told;
    # the others go, and ticd keeps running.
    smtp_sink.down()
    t = mail_ticd(ticd_factory, smtp_sink.url())
    rows = wait_deliveries(t, lambda rs: len(rs) == 3 and
                           all(r["state"] == "retrying" for r in rs))
    victim = next(r for r in rows if r["recipient"] != "bureau")
    t.stop()
    with sqlite3.connect(str(t.db), timeout=5) as db:
        db.execute("UPDATE outbox SET rcpt = ? WHERE id = ?",
                   ('[{"name": "王主任"}]', victim["id"]))
    smtp_sink.up()
    t.start(env=faketime_env(DAY + " 09:01:00"))
    rows = wait_deliveries(t, lambda rs: len(rs) == 4 and
                           all(r["state"] in ("sent", "dead") for r in rs))
    dead = [r for r in rows if r["state"] == "dead"]
    assert [r["id"] for r in dead] == [victim["id"]], rows
    assert dead[0]["attempts"] == victim["attempts"], "no attempt counted"
    assert "收件人列表无法读取" in dead[0]["last_error"], dead[0]
    notice = [r for r in rows if "|dead:" in r["key"]]
    assert len(notice) == 1, rows
    assert notice[0]["state"] == "sent" and notice[0]["to"] == \
        ["kjj@yq.example"]
    assert notice[0]["key"].endswith("|dead:%d" % victim["id"])
    assert smtp_sink.wait_for(3) == 3, t.log_text()
    got = by_rcpt(smtp_sink)
    assert victim["to"][0] not in got, "the unreadable message went"
    text = next(m for m in got["kjj@yq.example"]
                if m["Subject"].startswith("【技术创新中心提醒】投递失败"))
    body = text.get_body(("plain",)).get_content()
    assert recipient_words(t, victim["recipient"]) in body and \
        "收件人列表无法读取" in body
    assert "ticctl redeliver %d" % victim["id"] in body
    assert t.proc.poll() is None, t.log_text()


def test_kill_9_mid_send_resends_with_the_same_message_id(ticd_factory,
                                                         smtp_sink):
    # The server keeps each message, then sits on its answer: ticd is
    # killed after the bytes left and before the 250 came back.
    smtp_sink.delay = 30.0
    t = mail_ticd(ticd_factory, smtp_sink.url())
    assert smtp_sink.wait_for(1, timeout=30) >= 1, t.log_text()
    # Read from the store itself: the row is "sending" while the bytes are
    # out and no answer came (libcurl holds the loop meanwhile: smtp.c).
    with sqlite3.connect(str(t.db), timeout=5) as db:
        states = {s for (s,) in db.execute("SELECT state FROM outbox")}
    assert "sending" in states, states
    t.proc.kill()		# kill -9
    t.proc.wait(timeout=10)
    first = len(smtp_sink.received)
    smtp_sink.delay = 0.0
    t.start(env=faketime_env(DAY + " 09:01:00"))
    rows = wait_deliveries(t, lambda rs: len(rs) == 3 and
                           all(r["state"] == "sent" for r in rs))
    ids = {r["message_id"] for r in rows}
    assert len(ids) == 3
    time.sleep(1)
    got = by_rcpt(smtp_sink)
    assert set(got) == ADDRESSES, "nothing lost"
    assert sum(len(v) for v in got.values()) <= 3 + first
    for addr, msgs in got.items():
        # Sent twice at most, both times the very same message: a
        # reader's client shows it once.
        assert 1 <= len(msgs) <= 2, addr
        assert len({m["Message-ID"] for m in msgs}) == 1, addr
        assert msgs[0]["Message-ID"].strip("<>") in ids
        assert len({m.as_bytes() for m in msgs}) == 1
    assert any(len(v) == 2 for v in got.values()), \
        "the message in flight was sent again"


def test_closed_obligation_dropped_from_queued_message(ticd_factory,
                                                       smtp_sink):
    smtp_sink.down()
    t = mail_ticd(ticd_factory, smtp_sink.url())
    wait_deliveries(t, lambda rs: len(rs) == 3 and
                    all(r["state"] == "retrying" for r in rs))
    # yq-006 holds its meeting: its queued reminder must not go.
    t.record({"type": "expert_meeting_held", "date": DAY,
              "centre": "yq-006"})
    smtp_sink.up()
    rows = wait_deliveries(t, lambda rs: sorted(r["state"] for r in rs) ==
                           ["dropped", "sent", "sent"])
    dropped = [r for r in rows if r["state"] == "dropped"][0]
    assert dropped["recipient"] == "centre:yq-006"
    assert "closed or void" in dropped["last_error"], dropped
    assert dropped["items"][0] in dropped["last_error"]
    time.sleep(1)
    assert set(by_rcpt(smtp_sink)) == ADDRESSES - {"a006@centre.example"}
    assert 'ticd_outbox{state="dropped"} 1' in \
        t.get("/metrics", token=None).body.decode()


def test_a_mail_waiting_for_a_slow_server_is_looked_at_again(ticd_factory,
                                                             smtp_sink):
    """One message at a time to a server that takes 3 s each: the mails
    marked to go wait their turn.  Both centres hold their meeting while
    the first mail is on the wire: what had not left yet is dropped (it
    went, reminding what was closed, while the unit's group was told
    without it)."""
    smtp_sink.delay = 3.0
    t = ticd_factory("ticd")
    t.write_conf(extra="[mail]\nfrom = %s\ntimeout = 30\nparallel = 1\n"
                 "smtp_url = %s\nstarttls = no\n" % (FROM, smtp_sink.url()))
    t.token = t.make_token()
    start_with_contacts(t, BEFORE_NINE)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and smtp_sink.data_started == 0:
        time.sleep(0.02)
    assert smtp_sink.data_started == 1, t.log_text()
    for centre in ("yq-006", "yq-009"):
        t.record({"type": "expert_meeting_held", "date": DAY,
                  "centre": centre})
    rows = wait_deliveries(t, lambda rs: len(rs) == 3 and all(
        r["state"] in ("sent", "dropped") for r in rs), timeout=40)
    first = smtp_sink.received[0][1]
    for r in rows:
        if r["to"] == first or r["recipient"] == "bureau":
            assert r["state"] == "sent", r
        else:
            assert r["state"] == "dropped", r
            assert "closed or void" in r["last_error"], r
            assert r["attempts"] == 0, r
    time.sleep(1)
    sent = [r for r in rows if r["state"] == "sent"]
    assert sorted(rc for _, rc, _ in smtp_sink.received) == \
        sorted(r["to"] for r in sent), smtp_sink.received
    assert len(sent) < 3


def test_redelivering_what_has_nothing_left_is_refused_and_keeps_the_record(
        ticd_factory, smtp_sink):
    """yq-006's reminder went; then it holds its meeting.  Sending the
    reminder again would send nothing: ticd refuses (409, saying why)
    and the row still says sent (it was rewritten as dropped, its record
    lost, while ticctl said it would be sent again)."""
    t = mail_ticd(ticd_factory, smtp_sink.url())
    rows = wait_deliveries(t, lambda rs: len(rs) == 3 and
                           all(r["state"] == "sent" for r in rs))
    sent = [r for r in rows if r["recipient"] == "centre:yq-006"][0]
    t.record({"type": "expert_meeting_held", "date": DAY,
              "centre": "yq-006"})
    r = t.post("/api/v1/deliveries/%d/redeliver" % sent["id"], {})
    assert r.status == 409 and r.code == "nothing_to_send", r
    assert sent["items"][0] in r.message, r.message
    p = subprocess.run([TICCTL, "redeliver", str(sent["id"]), "--url",
                        t.url(""), "--token", t.token], capture_output=True,
                       timeout=30)
    assert p.returncode == 1 and "nothing left to send" in \
        p.stderr.decode(), p
    assert p.stdout == b"", p
    after = [r for r in deliveries(t) if r["id"] == sent["id"]][0]
    assert after == sent, (after, sent)


def test_missed_while_down_sent_late_marked_and_folded(ticd_factory,
                                                       smtp_sink):
    # Planned through Mon 30 Nov; down until Thu 3 Dec, 10:00.
    t = mail_ticd(ticd_factory, smtp_sink.url(), "2026-11-30 10:00:00")
    assert t.stop() == 0
    t.start(env=faketime_env("2026-12-03 10:00:00"))
    assert smtp_sink.wait_for(2, timeout=30) >= 2, t.log_text()
    rows = wait_deliveries(t, lambda rs: rs and all(r["state"] == "sent"
                                                    for r in rs))
    # The centres hear late of their meeting; the bureau's publicity ran
    # out on 1 Dec (a period: done), so nobody is told of it late.
    late = [r for r in rows if r["planned"] == DAY]
    assert sorted(r["recipient"] for r in late) == \
        ["centre:yq-006", "centre:yq-009"], rows
    assert all(r["day"] == "2026-12-03" for r in late)
    assert all(r["key"].endswith("|late") for r in late), late
    msgs = by_rcpt(smtp_sink)["a006@centre.example"]
    late_mail = [m for m in msgs if "补发" in m["Subject"]]
    assert late_mail, [m["Subject"] for m in msgs]
    assert "补发（原定 2026-12-01" in late_mail[0].get_body(
        ("plain",)).get_content() + late_mail[0]["Subject"]
    # ticctl's table says so too, as the mail does.
    assert "2026-12-03 补发（原定 2026-12-01）" in ticctl_deliveries(t)

    # Down for longer than fold_after (7 days): one catch-up message.
    u = mail_ticd(ticd_factory, smtp_sink.url(), "2026-11-30 10:00:00",
                  name="folded")
    assert u.stop() == 0
    u.start(env=faketime_env("2026-12-15 10:00:00"))
    rows = wait_deliveries(u, lambda rs: any(r["catch_up"] for r in rs))
    folded = [r for r in rows if r["catch_up"]]
    assert {r["day"] for r in folded} == {"2026-12-15"}
    assert all(r["planned"] <= "2026-12-07" for r in folded), folded
    assert "2026-12-15 补发汇总" in ticctl_deliveries(u)


def test_missed_reminders_wait_for_send_time_on_a_working_day(ticd_factory,
                                                              smtp_sink):
    """Started at 03:00 on a Saturday after days down, ticd sends nothing
    then (before: every missed reminder, at once, to every mailbox and
    group); the missed days go with Monday's own at 09:00."""
    t = mail_ticd(ticd_factory, smtp_sink.url(), "2026-11-30 10:00:00")
    assert t.stop() == 0
    smtp_sink.received.clear()
    t.start(env=faketime_env("2026-12-05 03:00:00"))
    t.wait_log("reminders missed since 2026-12-01 wait for 09:00 on a "
               "working day")
    time.sleep(2)
    assert smtp_sink.received == [] and deliveries(t) == [], t.log_text()
    assert t.stop() == 0
    t.start(env=faketime_env("2026-12-07 08:59:57"))
    rows = wait_deliveries(t, lambda rs: rs and all(r["state"] == "sent"
                                                    for r in rs))
    assert {r["day"] for r in rows} == {"2026-12-07"}, rows
    # Nothing before 09:00 (by ticd's clock, not by a sleep of ours).
    assert all(r["created_at"] >= "2026-12-07T09:00:00" for r in rows), rows
    assert any(r["key"].endswith("|late") for r in rows), rows
    # Said once a start, not at every minute's look.
    assert t.log_text().count("wait for 09:00") == 2, t.log_text()


def test_a_clock_that_was_ahead_and_went_back_plans_today_again(
        ticd_factory, smtp_sink):
    """A machine started with its clock months ahead, then set right:
    the store said the reminders were planned through that future day,
    and nothing was sent, without a word, until it came again (and not
    after a restart either)."""
    t = mail_ticd(ticd_factory, smtp_sink.url(), "2027-03-01 10:00:00")
    assert t.stop() == 0
    with sqlite3.connect(str(t.db)) as db:
        assert db.execute("SELECT value FROM outbox_meta WHERE name = "
                          "'remind_last_day'").fetchall() == [("2027-03-01",)]
    smtp_sink.received.clear()
    t.start(env=faketime_env(BEFORE_NINE))
    t.wait_log("reminders were planned through 2027-03-01, after today "
               "2026-12-01: the clock was ahead and went back; planning "
               "again from today")
    rows = wait_deliveries(t, lambda rs: any(r["day"] == DAY for r in rs))
    today = [r for r in rows if r["day"] == DAY]
    assert sorted(r["recipient"] for r in today) == \
        ["bureau", "centre:yq-006", "centre:yq-009"], today
    assert smtp_sink.wait_for(3, timeout=30) >= 3, t.log_text()
    # Said once, not at every minute's look.
    assert t.log_text().count("the clock was ahead") == 1, t.log_text()


def test_spool_writes_eml_files(ticd_factory):
    t = mail_ticd(ticd_factory, None, contacts=CONTACTS[:1])
    spool = t.dir / "spool"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and \
            len(list(spool.glob("*.eml"))) < 3:
        time.sleep(0.1)
    files = sorted(spool.glob("*.eml"))
    assert len(files) == 3, t.log_text()
    assert all(f.name.startswith(DAY) for f in files)
    seen = []
    for f in files:
        m = parse(f.read_bytes())
        assert m["Subject"].startswith("【技术创新中心提醒】")
        seen.append(str(m["To"]))
        ics_of(m)
    # The one recipient with a contact is addressed; the others show
    # what would go, to nobody yet.
    assert "王主任 <a006@centre.example>" in seen
    assert sum(1 for k in seen if "undisclosed-recipients" in k) == 2
    rows = deliveries(t)
    assert {r["state"] for r in rows} == {"sent"}
    assert {r["last_response"] for r in rows} == {"spool"}


# ---- STARTTLS and AUTH ----

def openssl(cwd, *args):
    """openssl under libfaketime at 2000-01-01, so that what it makes is
    valid from long ago (ticd's clock is faked too, maybe before today)."""
    env = dict(os.environ, LD_PRELOAD=FAKETIME_LIB,
               FAKETIME="@2000-01-01 00:00:00", TZ="UTC")
    p = subprocess.run(["openssl"] + list(args), cwd=str(cwd), env=env,
                       capture_output=True, timeout=60)
    assert p.returncode == 0, p.stderr


def make_certs(d):
    """A self-signed CA and a server certificate it signed for 127.0.0.1
    and localhost; returns (ca.pem, server.pem, server.key)."""
    d.mkdir()
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
           "-nodes"]
    openssl(d, "req", "-x509", *key, "-keyout", "ca.key", "-out", "ca.pem",
            "-days", "36500", "-subj", "/CN=ticd test CA")
    openssl(d, "req", "-new", *key, "-keyout", "server.key",
            "-out", "server.csr", "-subj", "/CN=localhost")
    (d / "ext").write_text("subjectAltName = IP:127.0.0.1, DNS:localhost\n"
                           "extendedKeyUsage = serverAuth\n")
    openssl(d, "x509", "-req", "-in", "server.csr", "-CA", "ca.pem",
            "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem",
            "-days", "36500", "-extfile", "ext")
    return d / "ca.pem", d / "server.pem", d / "server.key"


USER, PASSWORD = "ticd@kjj.yq.example", "s3cret 口令"


def tls_sink(certs, logins):
    """aiosmtpd that offers STARTTLS, requires it before anything else,
    and accepts AUTH PLAIN/LOGIN (only over TLS) for USER/PASSWORD."""
    import ssl
    from aiosmtpd.smtp import AuthResult
    from conftest import SmtpSink

    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(certs[1]), str(certs[2]))

    def authenticator(server, session, envelope, mechanism, data):
        logins.append((mechanism, data.login.decode(), session.ssl
                       is not None))
        ok = (data.login.decode() == USER and
              data.password.decode() == PASSWORD)
        return AuthResult(success=ok, auth_data=data)

    sink = SmtpSink(tls_context=ctx, require_starttls=True,
                    authenticator=authenticator, auth_require_tls=True,
                    auth_required=True)
    sink.up()
    return sink


def tls_ticd(factory, url, tmp_path, ca_file=None, starttls="required"):
    (tmp_path / "smtp.pw").write_text(PASSWORD + "\n")
    t = factory("ticd")
    mail = ("[mail]\nfrom = %s\ntimeout = 10\nsmtp_url = %s\n"
            "starttls = %s\nusername = %s\npassword_file = %s\n"
            % (FROM, url, starttls, USER, tmp_path / "smtp.pw"))
    if ca_file:
        mail += "ca_file = %s\n" % ca_file
    t.write_conf(extra=mail)
    t.token = t.make_token()
    start_with_contacts(t, BEFORE_NINE)
    return t


def test_starttls_and_auth(ticd_factory, tmp_path):
    certs = make_certs(tmp_path / "pki")
    logins = []
    sink = tls_sink(certs, logins)
    try:
        t = tls_ticd(ticd_factory, sink.url(), tmp_path, ca_file=certs[0])
        assert sink.wait_for(3) == 3, t.log_text()
        wait_deliveries(t, lambda rs: len(rs) == 3 and
                        all(r["state"] == "sent" for r in rs))
        assert set(by_rcpt(sink)) == ADDRESSES
        # Every message went inside TLS, as USER; AUTH came after STARTTLS.
        assert sink.sessions == [(True, USER)] * 3, sink.sessions
        assert logins and all(m in ("PLAIN", "LOGIN") and u == USER and tls
                              for m, u, tls in logins), logins
        assert PASSWORD not in t.log_text()
    finally:
        sink.down()


def test_starttls_required_but_not_offered_sends_nothing_in_clear(
        ticd_factory, smtp_sink, tmp_path):
    # smtp_sink offers no STARTTLS: ticd must not fall back to clear text.
    t = tls_ticd(ticd_factory, smtp_sink.url(), tmp_path)
    rows = wait_deliveries(t, lambda rs: len(rs) == 3 and
                           all(r["attempts"] >= 1 and
                               r["state"] in ("retrying", "dead")
                               for r in rs))
    for r in rows:
        assert "STARTTLS" in r["last_error"], r
    assert smtp_sink.data_started == 0 and smtp_sink.received == []


def test_untrusted_server_certificate_refused(ticd_factory, tmp_path):
    # STARTTLS offered, but by a certificate no CA ticd knows: no AUTH, no
    # message, and the reason is in last_error.
    certs = make_certs(tmp_path / "pki")
    logins = []
    sink = tls_sink(certs, logins)
    try:
        t = tls_ticd(ticd_factory, sink.url(), tmp_path)
        rows = wait_deliveries(t, lambda rs: len(rs) == 3 and
                               all(r["attempts"] >= 1 and
                                   r["state"] == "retrying" for r in rs))
        for r in rows:
            assert "certificate" in r["last_error"].lower(), r
        assert logins == [] and sink.received == []
    finally:
        sink.down()


# ---- kill -9 in a burst ----

BURST = 1000


def burst_journal(path, n):
    """n centres recognized in 2025: each has Art. 10's meeting for 2026
    due 2026-12-31, so each gets one reminder at 09:00 on DAY."""
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            c = "k%05d" % i
            f.write(json.dumps({"type": "registered", "date": "2025-03-03",
                                "centre": c, "name": "压测中心%d" % i,
                                "unit": "城区科技局"}, ensure_ascii=False)
                    + "\n")
            f.write(json.dumps({"type": "recognized", "date": "2025-06-02",
                                "centre": c}) + "\n")


def burst_ticd(ticd_factory, smtp_sink, tmp_path, n, mail):
    """A ticd, stopped, with burst_journal's n centres and an address for
    each (added at 08:00, when nothing is due), mailing smtp_sink with the
    [mail] lines in mail besides from, smtp_url and starttls: start it a
    little before 09:00 and the burst comes."""
    jpath = tmp_path / "burst.jsonl"
    burst_journal(jpath, n)
    t = ticd_factory("ticd")
    t.write_conf(extra="[mail]\nfrom = %s\nsmtp_url = %s\nstarttls = no\n%s"
                 % (FROM, smtp_sink.url(), mail))
    t.token = t.make_token()
    t.start(env=faketime_env(DAY + " 08:00:00"), extra_args=["-i",
                                                              str(jpath)])
    for i in range(n):
        assert t.post("/api/v1/contacts", {
            "kind": "centre", "scope": "k%05d" % i,
            "email": "k%05d@centre.example" % i}).status == 201
    t.stop()
    return t


def burst_delivered_once(t, sink, n, timeout, settle=0.0):
    """Waits (bounded) until the outbox's n rows are all sent (and settle
    seconds more, for a copy still on its way), then checks
    that every recipient got its message, and one that got it more than
    once got the same Message-ID each time, the outbox's.  Returns the
    number of duplicates."""
    deadline = time.monotonic() + timeout
    rows = []
    while time.monotonic() < deadline:
        with sqlite3.connect(str(t.db), timeout=5) as db:
            rows = db.execute("SELECT recipient, message_id, state "
                              "FROM outbox").fetchall()
        if len(rows) == n and all(s == "sent" for _, _, s in rows):
            break
        time.sleep(0.2)
    else:
        raise AssertionError("not all sent: %d rows, states %r" % (
            len(rows), {s for _, _, s in rows}))
    time.sleep(settle)
    want = {"<%s>" % m for _, m, _ in rows}
    got = {}
    for _, rcpts, raw in sink.received:
        assert len(rcpts) == 1
        got.setdefault(rcpts[0], set()).add(parse(raw)["Message-ID"])
    assert len(got) == n
    assert all(len(ids) == 1 for ids in got.values())
    assert set().union(*got.values()) == want
    return len(sink.received) - n


def test_kill_9_in_a_burst_of_1000_loses_nothing(ticd_factory, smtp_sink,
                                                 tmp_path):
    t = burst_ticd(ticd_factory, smtp_sink, tmp_path, BURST,
                   "timeout = 10\nparallel = 4\n")
    t.start(env=faketime_env(DAY + " 08:59:58"))
    assert smtp_sink.wait_for(BURST // 4, timeout=60) >= BURST // 4, \
        t.log_text()
    t.proc.kill()		# kill -9, mid-burst
    t.proc.wait(timeout=10)
    before = len(smtp_sink.received)
    assert before < BURST, "the burst ended before the kill"
    t.start(env=faketime_env(DAY + " 09:00:30"))
    # Every centre got its message; one that got two got the same twice.
    dups = burst_delivered_once(t, smtp_sink, BURST, timeout=120)
    assert 0 <= dups <= 4, dups	# at most what was in flight (parallel)


def test_store_locked_mid_burst_holds_mail_only_while_locked(ticd_factory,
                                                            smtp_sink,
                                                            tmp_path):
    # Another process holds the store's write lock for 2 s in a burst: the
    # results of the mail sent meanwhile cannot be written, and a mail's
    # slot waits for its result to be written; once the lock goes they are
    # written and the burst goes on (each message once), not stuck until
    # something else wakes ticd.  The store's refusals are said once, and
    # their end; the refused batch is asked for again in 5 s, not at once
    # (which held the loop in sqlite's wait for the lock, 4 times a second,
    # a log line each).
    n = 60
    smtp_sink.delay = 0.02
    t = burst_ticd(ticd_factory, smtp_sink, tmp_path, n,
                   "timeout = 10\nparallel = 1\n")
    t.start(env=faketime_env(DAY + " 08:59:58"))
    assert smtp_sink.wait_for(10, timeout=60) >= 10, t.log_text()
    lock = sqlite3.connect(str(t.db), timeout=5, isolation_level=None)
    try:
        lock.execute("BEGIN EXCLUSIVE")
        time.sleep(2)
        held = len(smtp_sink.received)
        assert held < n, "the burst ended under the lock"
    finally:
        lock.execute("COMMIT")
        lock.close()
    assert burst_delivered_once(t, smtp_sink, n, timeout=30) == 0
    log = t.log_text()
    assert log.count("not written yet") == 1, log
    assert "tried again every 5 s" in log, log
    assert "the store takes writes again" in log, log


def test_a_store_locked_when_a_retry_falls_due_is_said_once_not_spun_on(
        ticd_factory, tmp_path):
    """The mail server down at 09:00: the message is to be tried again in
    about 5 s; an admin's sqlite3 shell holds the store's lock across that
    time.  ticd says once that it cannot write, asks again every 5 s (it
    asked at once, each time after sqlite's wait for the lock: the loop
    held, four log lines a second), and says when the store takes writes
    again; the retry then happens."""
    jpath = tmp_path / "one.jsonl"
    burst_journal(jpath, 1)
    t = ticd_factory("ticd")
    t.write_conf(extra="[mail]\nfrom = %s\nsmtp_url = smtp://127.0.0.1:9\n"
                 "starttls = no\n" % FROM)
    t.token = t.make_token()
    start_with_contacts(t, DAY + " 08:59:59", [{
        "kind": "centre", "scope": "k00000",
        "email": "k00000@centre.example"}], jpath)
    rows = wait_deliveries(t, lambda rs: rs and rs[0]["state"] == "retrying",
                           timeout=30)
    lock = sqlite3.connect(str(t.db), timeout=5, isolation_level=None)
    try:
        lock.execute("BEGIN IMMEDIATE")
        time.sleep(9)		# past the retry's 5 s (±10%)
    finally:
        lock.execute("ROLLBACK")
        lock.close()
    wait_deliveries(t, lambda rs: rs[0]["attempts"] >= 2, timeout=30)
    log = t.log_text()
    assert log.count("not written yet") == 1, log
    assert "tried again every 5 s" in log, log
    # Asked again every 5 s over the 9 s lock, not at once after each
    # wait for it (about 36 tries).
    m = re.search(r"the store takes writes again \((\d+) tries refused\)",
                  log)
    assert m and int(m.group(1)) <= 4, log
    assert rows[0]["attempts"] == 1


def test_something_an_event_makes_due_today_after_send_time_is_sent(
        ticd_factory):
    """At 09:00:07 on Monday 2026-12-14, after the day's reminders went, a
    committee of 4 is recorded for yq-010: its composition is due today.
    Its reminder was never sent, not that day nor later (the day had been
    planned).  Now today's reminders are planned again a few seconds after
    the commit: yq-010, which had no message today, gets one."""
    contacts = CONTACTS + [{"kind": "centre", "scope": "yq-010",
                            "email": "a010@centre.example"}]
    t = mail_ticd(ticd_factory, None, start="2026-12-14 08:59:58",
                  contacts=contacts)
    rows = wait_deliveries(t, lambda rs: rs and all(
        r["state"] == "sent" for r in rs))
    assert not [r for r in rows if r["recipient"] == "centre:yq-010"], rows
    t.record({"type": "committee_formed", "date": "2026-12-14",
              "centre": "yq-010", "members": 4, "host_members": 1})
    rows = wait_deliveries(t, lambda rs: any(
        r["recipient"] == "centre:yq-010" and r["state"] == "sent"
        for r in rs), timeout=30)
    mine = [r for r in rows if r["recipient"] == "centre:yq-010"]
    assert len(mine) == 1 and mine[0]["day"] == "2026-12-14", mine
    assert "yq-010/expert_composition" in " ".join(mine[0]["items"]), mine
    # Those that had their message today are not sent another.
    assert len([r for r in rows if r["recipient"] == "bureau"
                and "|dead:" not in r["key"]]) == 1, rows


def test_mail_goes_parallel_at_a_time_each_timed_from_its_start(
        ticd_factory, smtp_sink, tmp_path):
    """10 messages due at once, `parallel = 1`, a server taking 1 s a
    message and a 5 s timeout: the last waits about 9 s for its turn and
    is not timed out for it; each goes once, at the first attempt.  (Mail
    handed to the mail thread beyond `parallel` waited in curl's own
    queue, its timeout running.)"""
    n = 10
    t = burst_ticd(ticd_factory, smtp_sink, tmp_path, n,
                   "timeout = 5\nparallel = 1\n")
    smtp_sink.delay = 1.0
    t.start(env=faketime_env(DAY + " 08:59:58"))
    rows = wait_deliveries(t, lambda rs: len(rs) == n and
                           all(r["state"] == "sent" for r in rs), timeout=60)
    assert [r["attempts"] for r in rows] == [1] * n, rows
    assert len(smtp_sink.received) == n


# ---- a reload moves a provisional date ----

# In the demo, yq-012's objection review (Art. 7(6), the bureau's) is due
# 2026-12-18, counted in working days that are still provisional; a table
# with a (fictional) holiday on 2026-12-14 moves it to 12-21.
MOVED_KEY = "yq-012/objection_review/2026-11-27"


def moving_table(t, tmp_path, smtp_sink):
    """The demo's date checked provisional; then ticd.conf names the
    table that moves it (read at the next reload or start)."""
    table = tmp_path / "cn-holidays-2027.tsv"
    table.write_text("date\tkind\tname\n"
                     "2026-12-14\tholiday\t测试（虚构）\n"
                     "2027-01-01\tholiday\t元旦\n", encoding="utf-8")
    o = [o for o in t.obligations()["obligations"]
         if o["key"] == MOVED_KEY][0]
    assert o["due"] == "2026-12-18" and o["provisional"], o
    t.write_conf(extra="holidays = %s\n" % table +
                 "[mail]\nfrom = %s\ntimeout = 10\nsmtp_url = %s\n"
                 "starttls = no\n" % (FROM, smtp_sink.url()))


def test_reload_moving_a_provisional_date_tells_its_recipients(
        ticd_factory, smtp_sink, tmp_path):
    key = MOVED_KEY
    t = mail_ticd(ticd_factory, smtp_sink.url(), start=DAY + " 08:00:00")
    moving_table(t, tmp_path, smtp_sink)
    mark = t.log_size()
    t.send(signal.SIGHUP)
    t.wait_log("reloaded", mark)
    assert smtp_sink.wait_for(1) == 1, t.log_text(mark)
    rows = wait_deliveries(t, lambda rs: len(rs) == 1 and
                           rs[0]["state"] == "sent")
    row = rows[0]
    assert row["recipient"] == "bureau" and row["to"] == ["kjj@yq.example"]
    assert row["key"] == ("bureau|email|%s|moved:%s:2026-12-18:2026-12-21"
                          % (DAY, key))
    msg = parse(smtp_sink.received[0][2])
    assert "2026-12-18" in msg["Subject"] and "2026-12-21" in msg["Subject"]
    assert msg["Subject"].startswith("【技术创新中心提醒】日期变更"), \
        msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    assert "由 2026-12-18 改为 2026-12-21" in text and key in text
    # The same table again moves nothing: nothing more is told.
    mark = t.log_size()
    t.send(signal.SIGHUP)
    t.wait_log("reloaded", mark)
    time.sleep(1)
    assert len(deliveries(t)) == 1 and len(smtp_sink.received) == 1


def test_holiday_data_that_comes_with_a_restart_is_told_too(
        ticd_factory, smtp_sink, tmp_path):
    """An upgrade ships next year's table, or an admin restarts instead
    of reloading: the date moved while ticd was down and nobody was told
    (only a reload compared).  The start compares with the dates it
    remembered, and tells the move once."""
    key = MOVED_KEY
    t = mail_ticd(ticd_factory, smtp_sink.url(), start=DAY + " 08:00:00")
    moving_table(t, tmp_path, smtp_sink)
    assert t.stop() == 0
    t.start(env=faketime_env(DAY + " 08:10:00"))
    assert smtp_sink.wait_for(1) == 1, t.log_text()
    rows = wait_deliveries(t, lambda rs: len(rs) == 1 and
                           rs[0]["state"] == "sent")
    assert rows[0]["key"] == ("bureau|email|%s|moved:%s:2026-12-18:"
                              "2026-12-21" % (DAY, key)), rows
    # Started again with the same table: nothing more is told.
    assert t.stop() == 0
    t.start(env=faketime_env(DAY + " 08:20:00"))
    time.sleep(1.5)
    assert len(deliveries(t)) == 1 and len(smtp_sink.received) == 1


def test_moved_date_told_only_to_those_its_rule_names(
        ticd_factory, smtp_sink, tmp_path):
    """The objection review is the bureau's alone (its rule's `to`): its
    move is told to the bureau, not to the centre under review nor its
    unit, even with ticd.conf's remind_to naming the centre (remind_to
    chooses among those `to` names, as for the reminders themselves).
    Left to the default, every recipient kind was told: the centre and
    its unit heard of an objection against it."""
    key = MOVED_KEY
    table = tmp_path / "cn-holidays-2027.tsv"
    table.write_text("date\tkind\tname\n"
                     "2026-12-14\tholiday\t测试（虚构）\n", encoding="utf-8")
    remind = "[remind.objection_review]\nremind_to = bureau, centre\n"
    mail = ("[mail]\nfrom = %s\ntimeout = 10\nsmtp_url = %s\n"
            "starttls = no\n" % (FROM, smtp_sink.url()))
    t = ticd_factory("ticd")
    t.write_conf(extra=mail + remind)
    t.token = t.make_token()
    t.start(env=faketime_env(DAY + " 08:00:00"),
            extra_args=["-i", str(DEMO_JOURNAL)])
    for c in CONTACTS + [{"kind": "centre", "scope": "yq-012",
                          "email": "c012@centre.example", "name": "王五"},
                         {"kind": "unit", "scope": "城区科技局",
                          "email": "cq@unit.example"}]:
        assert t.post("/api/v1/contacts", c).status == 201
    t.write_conf(extra="holidays = %s\n" % table + mail + remind)
    mark = t.log_size()
    t.send(signal.SIGHUP)
    t.wait_log("reloaded", mark)
    assert smtp_sink.wait_for(1) == 1, t.log_text(mark)
    rows = wait_deliveries(t, lambda rs: len(rs) == 1 and
                           all(r["state"] == "sent" for r in rs))
    moved = "moved:%s:2026-12-18:2026-12-21" % key
    assert [r["key"] for r in rows] == ["bureau|email|%s|%s" % (DAY, moved)]
    time.sleep(1)		# nothing else on its way
    assert [rs for _, rs, _ in smtp_sink.received] == [["kjj@yq.example"]]
    msg = parse(smtp_sink.received[0][2])
    assert msg["Subject"].startswith("【技术创新中心提醒】日期变更"), \
        msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    assert "由 2026-12-18 改为 2026-12-21" in text and key in text
