"""
Webhooks and chat robots (issue 6): the real ticd, under libfaketime,
posts the demo journal's reminders of Tue 2026-12-01 09:00 to receivers
on 127.0.0.1 (conftest.py) that check what the real services check, with
their own signature code: a Standard Webhooks consumer, WeCom's, DingTalk's
(加签) and Feishu's (签名校验) robots, with their JSON error codes, size
limits and rate limits.  Outages, 5xx, hangs, throttling, kill -9 in a
burst and an endpoint that keeps failing are injected as they happen.

On 2026-12-01 the demo plans three messages: centres yq-006 and yq-009
(Art. 10's meeting for 2026) and the bureau (yq-011's publicity).  Every
wait is bounded.
"""
import email
import email.policy
import json
import os
import signal
import sqlite3
import subprocess
import threading
import time
import urllib.parse

import pytest

from conftest import (DEMO_JOURNAL, FAKETIME_LIB, REPO, TICCTL,
                      DingTalkReceiver, answered_under_lock,
                      FakeClock, FeishuReceiver, StandardReceiver,
                      WeComReceiver, dingtalk_sign, faketime_env,
                      feishu_sign, standard_signature, write_journal)

pytestmark = pytest.mark.skipif(not os.path.exists(FAKETIME_LIB),
                                reason="libfaketime is missing")

DAY = "2026-12-01"
EARLY = DAY + " 08:00:00"		# targets are added, then nine()
NINE_LEAD = DAY + " 08:59:58"
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
DING_SECRET = "SEC4f3a9b0c2d1e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4"
FEISHU_SECRET = "fs3cr3tValue0123456789"
WECOM_KEY = "693a91f6-7f3e-4c8a-9d2b-0a1b2c3d4e5f"


def secret_file(directory, name, value):
    path = directory / name
    path.write_text(value + "\n", encoding="utf-8")
    path.chmod(0o600)
    return str(path)


def hook_ticd(factory, clock, conf="", start=EARLY, journal=None,
              name="ticd"):
    """A ticd with the demo journal (or another), its clock started at
    start; mail goes to the spool."""
    t = factory(name)
    t.write_conf(extra="[webhooks]\n" + conf)
    t.token = t.make_token()
    # The receivers' clock first: ticd may post as soon as it is up.
    clock.set(start)
    t.start(env=faketime_env(start), extra_args=["-i", str(journal or
                                                           DEMO_JOURNAL)])
    return t


def nine(t, clock, speed=1):
    """ticd restarted two seconds before 09:00, once the test's targets are
    added at leisure (no wait for 09:00 that grows with what is added);
    its clock speed times as fast as ours from then."""
    assert t.stop() == 0, t.log_text()
    clock.set(NINE_LEAD, speed)
    t.start(env=faketime_env(NINE_LEAD, speed))


def add_target(t, kind, scope, url, fmt, secret=None, status=201):
    body = {"kind": kind, "url": url, "format": fmt}
    if scope is not None:
        body["scope"] = scope
    if secret is not None:
        body["secret_file"] = secret
    r = t.post("/api/v1/webhooks", body)
    assert r.status == status, r
    return r.json()


def deliveries(t):
    r = t.get("/api/v1/deliveries?limit=10000")
    assert r.status == 200, r
    return r.json()["deliveries"]


def hooks_of(rows):
    return [r for r in rows if r["channel"].startswith("webhook:")]


def wait_rows(t, predicate, timeout=30.0):
    """Polls the outbox's webhook rows (bounded) until predicate holds."""
    deadline = time.monotonic() + timeout
    rows = []
    while time.monotonic() < deadline:
        rows = hooks_of(deliveries(t))
        if predicate(rows):
            return rows
        time.sleep(0.1)
    raise AssertionError("the outbox never got there: %r\n%s"
                         % (rows, t.log_text()))


def no_secret_leaks(t, *secrets):
    """Neither the log nor what the API lists holds a secret."""
    shown = t.log_text() + t.get("/api/v1/webhooks").body.decode() + \
        json.dumps(deliveries(t), ensure_ascii=False)
    for s in secrets:
        assert s not in shown, s


# ---- the receivers' own code against the issue's vectors ----

def test_receivers_sign_as_the_issue_says():
    assert standard_signature(
        WHSEC, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330",
        b'{"test": 2432232314}') == \
        "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
    assert dingtalk_sign("SECabc123", "1700000000000") == \
        "N5P09a4+p1AMJIJWnIvQd2Yxw9+fu/oEBnPrjCcsLXk="
    assert feishu_sign("abc123", "1700000000") == \
        "J0suvZQ7pBIXibHw5hyQvuZiXVa3ct5lilLN472FoLk="


# ---- Standard Webhooks ----

def test_standard_webhooks_signed_once_per_recipient(ticd_factory,
                                                      receivers, tmp_path):
    clock = FakeClock()
    rx = receivers(StandardReceiver, WHSEC, clock)
    t = hook_ticd(ticd_factory, clock)
    sec = secret_file(tmp_path, "whsec", WHSEC)
    bureau = add_target(t, "bureau", None, rx.url("/in/bureau"), "standard",
                        sec)
    centre = add_target(t, "centre", "yq-006", rx.url("/in/006"),
                        "standard", sec)
    nine(t, clock)
    assert bureau["signed"] and bureau["secret_file"] == sec
    assert rx.wait_for(2, timeout=30) == 2, t.log_text()
    rows = wait_rows(t, lambda rs: len(rs) == 2 and
                     all(r["state"] == "sent" for r in rs))
    assert all(r.ok for r in rx.received), [r.why for r in rx.received]
    by_path = {r.path: r for r in rx.received}
    assert set(by_path) == {"/in/bureau", "/in/006"}
    plan = {o["key"]: o for o in t.obligations()["obligations"]}
    for row in rows:
        rec = by_path["/in/bureau" if row["target"] == bureau["id"] else
                      "/in/006"]
        # The idempotency key's webhook-id, the same the outbox shows.
        assert rec.headers["webhook-id"] == row["message_id"]
        assert row["message_id"].startswith("msg_")
        payload = rec.json()
        assert payload["type"] == "reminder.digest"
        assert payload["timestamp"].endswith("Z")
        data = payload["data"]
        assert data["day"] == DAY and data["late"] is False
        assert [i["key"] for i in data["items"]] == row["items"]
        for item in data["items"]:
            o = plan[item["key"]]
            for field in ("centre", "rule", "article", "due", "state",
                          "provisional"):
                assert item[field] == o[field], (field, item, o)
            assert item["article_cn"] and item["closed_by"]
            # December's working days wait on next year's holiday notice,
            # unpublished here: a count through any of them is a guess
            # (one due today counts no day).
            assert item["workdays_provisional"] is (item["due"] != DAY), \
                item
        if row["target"] == centre["id"]:
            assert data["recipient"] == {"kind": "centre", "scope": "yq-006",
                                         "name": data["recipient"]["name"]}
            assert data["recipient"]["name"]
            assert {i["rule"] for i in data["items"]} == {"expert_meeting"}
        else:
            assert data["recipient"]["kind"] == "bureau"
            assert "publicity" in {i["rule"] for i in data["items"]}
    # docs/webhooks.md shows this very post: its body byte for byte as
    # ticd sends it, and a signature a reader can check by hand (it went
    # stale once when the payload gained a field).
    doc = (REPO / "docs" / "webhooks.md").read_text(encoding="utf-8")
    head = doc.split("```http\n", 1)[1].split("```", 1)[0]
    body = doc.split("```json\n", 1)[1].split("\n```", 1)[0].encode()
    shown = dict(line.split(": ", 1) for line in head.strip().split("\n")[1:])
    assert body == by_path["/in/006"].body
    assert shown["webhook-signature"] == "v1," + standard_signature(
        WHSEC, shown["webhook-id"], shown["webhook-timestamp"], body)
    # Email went its way too (to the spool: no SMTP here).
    assert len([r for r in deliveries(t) if r["channel"] == "email"]) == 3
    no_secret_leaks(t, WHSEC, WHSEC[len("whsec_"):])
    # A restart the same morning posts nothing twice.
    t.stop()
    clock.set(DAY + " 09:00:40")
    t.start(env=faketime_env(DAY + " 09:00:40"))
    time.sleep(2)
    assert len(rx.received) == 2 and len(hooks_of(deliveries(t))) == 2


def test_no_address_warning_for_a_recipient_reached_by_webhook(
        ticd_factory, receivers, tmp_path):
    """Mail over SMTP and no contacts: yq-006, which has a webhook target,
    gets its reminder there and no "no contact" warning; yq-009, which has
    neither, is still warned about."""
    clock = FakeClock()
    rx = receivers(StandardReceiver, WHSEC, clock)
    t = hook_ticd(ticd_factory, clock,
                  conf="[mail]\nsmtp_url = smtp://127.0.0.1:9\n")
    add_target(t, "centre", "yq-006", rx.url("/in/006"), "standard",
               secret_file(tmp_path, "whsec", WHSEC))
    nine(t, clock)
    assert rx.wait_for(1, timeout=30) == 1, t.log_text()
    log = t.log_text()
    assert "no contact for centre:yq-009" in log, log
    assert "no contact for centre:yq-006" not in log, log


def test_a_secret_rotated_signs_with_both(ticd_factory, receivers,
                                          tmp_path):
    """While a secret is rotated the file holds the old one and the new
    one, a line each (a second line was refused as white space): each
    post carries both signatures, so receivers still on the old secret
    and those already on the new one both take it."""
    new = "whsec_MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
    clock = FakeClock()
    old_rx = receivers(StandardReceiver, WHSEC, clock)
    new_rx = receivers(StandardReceiver, new, clock)
    t = hook_ticd(ticd_factory, clock)
    both = secret_file(tmp_path, "whsec", WHSEC + "\n" + new)
    add_target(t, "centre", "yq-006", old_rx.url("/in"), "standard", both)
    add_target(t, "centre", "yq-009", new_rx.url("/in"), "standard", both)
    nine(t, clock)
    assert old_rx.wait_for(1, timeout=30) == 1, t.log_text()
    assert new_rx.wait_for(1, timeout=30) == 1, t.log_text()
    for rec in old_rx.received + new_rx.received:
        assert rec.ok, rec.why
        assert len(rec.headers["webhook-signature"].split(" ")) == 2
    no_secret_leaks(t, WHSEC, new)


def test_500_then_200_retried_with_the_same_webhook_id(ticd_factory,
                                                       receivers, tmp_path):
    clock = FakeClock()
    rx = receivers(StandardReceiver, WHSEC, clock)
    rx.script = [(500, {"error": "upstream down"})]
    t = hook_ticd(ticd_factory, clock)
    add_target(t, "bureau", None, rx.url("/in"), "standard",
               secret_file(tmp_path, "whsec", WHSEC))
    nine(t, clock)
    rows = wait_rows(t, lambda rs: rs and rs[0]["state"] == "retrying")
    assert rows[0]["attempts"] == 1 and "HTTP 500" in rows[0]["last_error"]
    # Issue 5's schedule: again about 5 s later.
    assert rx.wait_for(1, timeout=20) == 1, t.log_text()
    rows = wait_rows(t, lambda rs: rs[0]["state"] == "sent")
    assert rows[0]["attempts"] == 2
    first, second = rx.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"] == \
        rows[0]["message_id"]
    assert first.body == second.body
    assert second.at - first.at >= 4.0


def test_a_hang_times_out_then_the_retry_arrives(ticd_factory, receivers,
                                                 tmp_path):
    clock = FakeClock()
    rx = receivers(StandardReceiver, WHSEC, clock)
    rx.script = [("hang", 6)]
    t = hook_ticd(ticd_factory, clock, conf="timeout = 2\n")
    add_target(t, "bureau", None, rx.url("/in"), "standard",
               secret_file(tmp_path, "whsec", WHSEC))
    nine(t, clock)
    rows = wait_rows(t, lambda rs: rs and rs[0]["state"] == "retrying")
    assert "timed out" in rows[0]["last_error"].lower(), rows
    assert rx.wait_for(1, timeout=20) == 1, t.log_text()
    rows = wait_rows(t, lambda rs: rs[0]["state"] == "sent")
    assert rows[0]["attempts"] == 2
    assert len({r.headers["webhook-id"] for r in rx.received}) == 1


def test_429_honours_retry_after_and_4xx_is_dead(ticd_factory, receivers,
                                                 tmp_path):
    clock = FakeClock()
    slow = receivers(StandardReceiver, WHSEC, clock)
    slow.script = [(429, {"error": "slow down"}, {"Retry-After": "40"})]
    gone = receivers(StandardReceiver, WHSEC, clock)
    gone.script = [(404, {"error": "no such hook"})]
    t = hook_ticd(ticd_factory, clock)
    sec = secret_file(tmp_path, "whsec", WHSEC)
    a = add_target(t, "bureau", None, slow.url("/in"), "standard", sec)
    b = add_target(t, "centre", "yq-006", gone.url("/in"), "standard", sec)
    nine(t, clock)
    rows = wait_rows(t, lambda rs: len(rs) == 2 and
                     {r["state"] for r in rs} == {"retrying", "dead"})
    st = {r["target"]: r for r in rows}
    assert "HTTP 429" in st[a["id"]]["last_error"]
    assert "HTTP 404" in st[b["id"]]["last_error"]
    assert st[b["id"]]["attempts"] == 1
    # Retry-After: 40 is later than the schedule's 5 s.
    nxt = st[a["id"]]["next_attempt"]
    assert nxt >= DAY + "T09:00:38", nxt
    time.sleep(7)
    assert len(slow.received) == 1 and len(gone.received) == 1


# ---- the robots ----

def test_each_robot_takes_what_ticd_sends(ticd_factory, receivers,
                                          tmp_path):
    clock = FakeClock()
    wecom = receivers(WeComReceiver, WECOM_KEY, clock)
    ding = receivers(DingTalkReceiver, "dtok123", DING_SECRET, clock)
    feishu = receivers(FeishuReceiver, "fs-hook-1", FEISHU_SECRET, clock)
    t = hook_ticd(ticd_factory, clock)
    w = add_target(t, "centre", "yq-006", wecom.url(wecom.path()), "wecom")
    add_target(t, "centre", "yq-009", ding.url(ding.path()), "dingtalk",
               secret_file(tmp_path, "ding", DING_SECRET))
    add_target(t, "bureau", None, feishu.url(feishu.path()), "feishu",
               secret_file(tmp_path, "feishu", FEISHU_SECRET))
    nine(t, clock)
    # The WeCom key is the credential: never shown.
    assert w["url"].endswith("key=***") and WECOM_KEY not in json.dumps(w)
    for rx in (wecom, ding, feishu):
        assert rx.wait_for(1, timeout=30) == 1, (rx, t.log_text())
    wait_rows(t, lambda rs: len(rs) == 3 and
              all(r["state"] == "sent" for r in rs))
    for rx in (wecom, ding, feishu):
        assert [r.ok for r in rx.received] == [True], \
            [r.why for r in rx.received]
    text = wecom.received[0].json()["markdown"]["content"]
    assert "yq-006" in text and "第十条" in text and "2026-12-31" in text
    md = ding.received[0].json()["markdown"]
    # The centre's name in the title a group chat shows, not its id.
    assert "特色农产品精深加工技术创新中心" in md["title"]
    assert "专家委员会年度会议" in md["text"]
    card = feishu.received[0].json()["card"]
    assert "第七条第（五）项" in card["elements"][0]["content"]
    # Every message holds the words a keyword-guarded robot may ask for.
    assert card["header"]["title"]["content"].startswith("技术创新中心义务提醒")
    assert "技术创新中心" in text and "提醒" in md["text"]
    no_secret_leaks(t, WECOM_KEY, DING_SECRET, FEISHU_SECRET,
                    "dtok123", "fs-hook-1")


def test_robot_refusals_dead_and_throttling_waits(ticd_factory, receivers,
                                                  tmp_path):
    clock = FakeClock()
    wecom = receivers(WeComReceiver, WECOM_KEY, clock)
    wecom.script = [(200, {"errcode": 45009,
                           "errmsg": "api freq out of limit"})]
    ding = receivers(DingTalkReceiver, "dtok123", DING_SECRET, clock)
    feishu = receivers(FeishuReceiver, "fs-hook-1", FEISHU_SECRET, clock)
    t = hook_ticd(ticd_factory, clock)
    w = add_target(t, "centre", "yq-006", wecom.url(wecom.path()), "wecom")
    # A secret that is not the robot's: DingTalk says 310000.
    d = add_target(t, "centre", "yq-009", ding.url(ding.path()), "dingtalk",
                   secret_file(tmp_path, "ding", "SECnotthesecret"))
    # Feishu with 签名校验 on, but the target set up without a secret.
    f = add_target(t, "bureau", None, feishu.url(feishu.path()), "feishu")
    nine(t, clock)
    rows = wait_rows(t, lambda rs: len(rs) == 3 and
                     sorted(r["state"] for r in rs) ==
                     ["dead", "dead", "retrying"])
    st = {r["target"]: r for r in rows}
    assert "45009" in st[w["id"]]["last_error"]
    # A robot's throttling waits its minute, not the schedule's 5 s.
    assert st[w["id"]]["next_attempt"] >= DAY + "T09:00:58"
    assert "310000" in st[d["id"]]["last_error"]
    assert "19021" in st[f["id"]]["last_error"]
    assert all(st[x["id"]]["attempts"] == 1 for x in (w, d, f))
    time.sleep(7)
    assert [len(x.received) for x in (wecom, ding, feishu)] == [1, 1, 1]


def evaluation_journal(path, n):
    """n centres of one unit, recognized in 2025, and the bureau's
    evaluation round for 2026 due 2026-12-31: on 2026-12-01 (30 days
    before) the unit's message names all n."""
    events = []
    for i in range(n):
        cid = "ev-%03d" % i
        events.append({"type": "registered", "date": "2025-01-06",
                       "centre": cid, "unit": "矿区科技局",
                       "name": "阳泉市第%d技术创新中心" % i})
        events.append({"type": "recognized", "date": "2025-06-03",
                       "centre": cid})
    events.append({"type": "evaluation_round", "date": "2026-11-02",
                   "year": 2026, "deadline": "2026-12-31"})
    write_journal(path, events)
    return path


def wecom_digest_waiting(ticd_factory, receivers, tmp_path, speed=1):
    """A unit's digest of 260 items to its WeCom group, at 09:00: 20 parts
    go, then the row waits (pending) for the robot's minute.  (ticd, the
    receiver, the clock, the webhook rows then.)  speed: of ticd's clock
    and the robot's windows from 08:59:58."""
    clock = FakeClock()
    wecom = receivers(WeComReceiver, WECOM_KEY, clock)
    journal = evaluation_journal(tmp_path / "journal.jsonl", 260)
    # A post's timeout is in ticd's seconds: a long one, however fast.
    t = hook_ticd(ticd_factory, clock, conf="timeout = %d\n" % (10 * speed),
                  journal=journal)
    add_target(t, "unit", "矿区科技局", wecom.url(wecom.path()), "wecom")
    nine(t, clock, speed)
    rows = wait_rows(t, lambda rs: rs and rs[0]["parts_sent"] >= 20 and
                     rs[0]["state"] == "pending", timeout=40)
    return t, wecom, clock, rows


def test_wecom_split_and_paced_under_its_limits(ticd_factory, receivers,
                                                tmp_path):
    """One unit's digest of 260 items is about two dozen WeCom messages:
    each under 4096 bytes, numbered, in order; 20 go at once, the rest a
    minute later, and the robot never has to say 45009.  ticd's clock
    and the robot's windows go four times as fast as ours (the minute, a
    real one before, is 15 s; ticd's second of margin, 250 ms, leaves a
    loaded machine room, where ten times as fast left 100 ms)."""
    t, wecom, clock, rows = wecom_digest_waiting(ticd_factory, receivers,
                                                 tmp_path, speed=4)
    first = [r for r in wecom.received if r.ok]
    assert len(first) == 20, [r.why for r in wecom.received]
    contents = [r.json()["markdown"]["content"] for r in first]
    total = int(contents[0].split("部分）")[0].split("/")[-1])
    assert total > 20, contents[0][:200]
    assert rows[0]["next_attempt"] >= DAY + "T09:00:59", rows[0]
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and len(wecom.accepted()) < total:
        time.sleep(0.2)
    got = wecom.accepted()
    assert len(got) == total, t.log_text()
    assert all(r.ok for r in wecom.received), [r.why for r in
                                               wecom.received if not r.ok]
    contents = [r.json()["markdown"]["content"] for r in got]
    for i, c in enumerate(contents):
        assert "（第 %d/%d 部分）" % (i + 1, total) in c
        assert len(c.encode("utf-8")) <= 4096
    # Every centre named once, in order, across the parts.
    text = "\n".join(contents)
    names = [text.index("ev-%03d" % i) for i in range(260)]
    assert names == sorted(names)
    assert got[20].at - got[0].at >= 59.0
    wait_rows(t, lambda rs: rs[0]["state"] == "sent" and
              rs[0]["parts_sent"] == total)


def test_a_robot_shared_by_many_centres_is_paced_across_their_messages(
        ticd_factory, receivers, tmp_path):
    """Thirty centres of a unit post to the unit's one WeCom group, a
    message each: twenty go at 09:00, the other ten wait for the robot's
    minute in the outbox, and the robot never has to say 45009.  (Each
    row was let go against the pace as the last post had left it: all
    thirty went at once, ten refused.)"""
    clock = FakeClock()
    wecom = receivers(WeComReceiver, WECOM_KEY, clock)
    journal = evaluation_journal(tmp_path / "journal.jsonl", 30)
    t = hook_ticd(ticd_factory, clock, journal=journal)
    for i in range(30):
        add_target(t, "centre", "ev-%03d" % i, wecom.url(wecom.path()),
                   "wecom")
    nine(t, clock)
    wait_rows(t, lambda rs: len(rs) == 30 and
              sum(r["state"] == "sent" for r in rs) == 20 and
              sum(r["state"] == "pending" for r in rs) == 10)
    time.sleep(1.0)	# nothing more goes before the minute is over
    assert len(wecom.received) == 20, [r.why for r in wecom.received]
    assert all(r.ok for r in wecom.received), [r.why for r in
                                               wecom.received]
    waiting = [r for r in hooks_of(deliveries(t)) if r["state"] != "sent"]
    assert len(waiting) == 10, waiting
    for r in waiting:
        assert r["attempts"] == 0, r
        assert r["next_attempt"] >= DAY + "T09:00:59", r


def test_a_robots_message_partly_posted_is_not_posted_again_when_an_item_closes(
        ticd_factory, receivers, tmp_path):
    """The unit's digest of 260 items is two dozen WeCom parts; 20 go,
    then a centre in a later part submits while the rest wait for the
    robot's minute: the rest go as built, and no part goes twice.  (The
    message was made again and posted from its first part.)"""
    t, wecom, clock, _ = wecom_digest_waiting(ticd_factory, receivers,
                                              tmp_path)
    t.record({"type": "evaluation_submitted", "date": DAY,
              "centre": "ev-259", "year": 2026})
    # The robot's minute over, without waiting for it: ticd restarted
    # at 09:01:05 (its pace is memory; the row's parts_sent is not), the
    # robot's window (real time here) emptied.
    assert t.stop() == 0, t.log_text()
    before = list(wecom.received)
    del wecom.received[:]
    clock.set(DAY + " 09:01:05")
    t.start(env=faketime_env(DAY + " 09:01:05"))
    rows = wait_rows(t, lambda rs: rs[0]["state"] == "sent", timeout=40)
    got = [r for r in before + list(wecom.received) if r.ok]
    total = rows[0]["parts_sent"]
    assert len(got) == total > 20, (len(got), rows[0])
    parts = [r.json()["markdown"]["content"].split(" 部分）")[0]
             .split("（第 ")[-1] for r in got]
    assert parts == ["%d/%d" % (i + 1, total) for i in range(total)], parts


def test_an_item_closed_before_the_retry_is_left_out_of_it(ticd_factory,
                                                          receivers,
                                                          tmp_path):
    """The unit's message names three centres' evaluations; the first post
    fails (500), one centre submits before the retry: the retry names the
    other two (same webhook-id), and so does the stored message."""
    clock = FakeClock()
    rx = receivers(StandardReceiver, WHSEC, clock)
    rx.script = [(500, {"error": "upstream down"})]
    journal = evaluation_journal(tmp_path / "journal.jsonl", 3)
    t = hook_ticd(ticd_factory, clock, journal=journal)
    add_target(t, "unit", "矿区科技局", rx.url("/in"), "standard",
               secret_file(tmp_path, "whsec", WHSEC))
    nine(t, clock)
    keys = ["ev-%03d/evaluation/2026" % i for i in range(3)]
    rows = wait_rows(t, lambda rs: rs and rs[0]["state"] == "retrying")
    assert rows[0]["items"] == keys, rows[0]
    t.record({"type": "evaluation_submitted", "date": DAY,
              "centre": "ev-000", "year": 2026})
    assert rx.wait_for(1, timeout=20) == 1, t.log_text()
    rows = wait_rows(t, lambda rs: rs[0]["state"] == "sent")
    first, second = rx.received
    assert first.headers["webhook-id"] == second.headers["webhook-id"]
    assert [i["key"] for i in first.json()["data"]["items"]] == keys
    assert [i["key"] for i in second.json()["data"]["items"]] == keys[1:]
    assert rows[0]["items"] == keys[1:], rows[0]
    assert "closed or void" in rows[0]["last_error"], rows[0]
    assert "transaction" not in t.log_text(), t.log_text()


def burst(ticd_factory, receivers, tmp_path, n, conf):
    """A ticd with n centres due at 09:00 (evaluation_journal), each with
    its own Standard Webhooks target on one receiver; (ticd, receiver,
    clock), before nine()."""
    clock = FakeClock()
    rx = receivers(StandardReceiver, WHSEC, clock)
    journal = evaluation_journal(tmp_path / "journal.jsonl", n)
    t = hook_ticd(ticd_factory, clock, journal=journal, conf=conf)
    sec = secret_file(tmp_path, "whsec", WHSEC)
    for i in range(n):
        add_target(t, "centre", "ev-%03d" % i, rx.url("/in/%d" % i),
                   "standard", sec)
    return t, rx, clock


def wait_accepted(t, rx, k, timeout=40):
    """Waits (bounded) until the receiver has taken k posts, mid-burst."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and len(rx.accepted()) < k:
        time.sleep(0.05)
    assert len(rx.accepted()) >= k, t.log_text()


def test_a_burst_posts_parallel_at_once_each_timed_from_its_start(
        ticd_factory, receivers, tmp_path):
    """24 centres, each with its own target on one slow receiver (0.4 s a
    request), `parallel = 2` and a 2 s timeout: the receiver never answers
    more than 2 requests at once, and the last of them, which waits about
    5 s for its turn, is not timed out for it: all 24 go at the first
    attempt, once each."""
    n = 24
    t, rx, clock = burst(ticd_factory, receivers, tmp_path, n,
                         "parallel = 2\ntimeout = 2\n")
    rx.script = [("hang", 0.4)] * n
    nine(t, clock)
    rows = wait_rows(t, lambda rs: len(rs) == n and
                     all(r["state"] == "sent" for r in rs), timeout=60)
    assert [r["attempts"] for r in rows] == [1] * n, rows
    assert rx.most_open == 2, rx.most_open
    assert sorted(r.path for r in rx.received) == \
        sorted("/in/%d" % i for i in range(n))
    assert all(r.ok for r in rx.received)
    # The queue was real: the burst took about n / 2 turns of 0.4 s.
    took = rx.received[-1].at - rx.received[0].at
    assert took >= (n / 2 - 1) * 0.4 - 0.2, took


def test_kill_9_in_a_burst_duplicates_only_with_the_same_id(ticd_factory,
                                                            receivers,
                                                            tmp_path):
    """120 centres, each with its own Standard Webhooks target, all due at
    09:00; ticd is killed while the receiver is slowly taking them."""
    n = 120
    t, rx, clock = burst(ticd_factory, receivers, tmp_path, n,
                         "parallel = 4\n")
    rx.script = [("hang", 0.3)] * 400	# slow, so the kill lands mid-way
    nine(t, clock)
    wait_accepted(t, rx, 10)
    t.proc.kill()
    t.proc.wait(timeout=10)
    before = len(rx.received)
    assert before < n, "the burst was over before the kill"
    rx.script = []
    clock.set(DAY + " 09:01:30")
    t.start(env=faketime_env(DAY + " 09:01:30"))
    rows = wait_rows(t, lambda rs: len(rs) == n and
                     all(r["state"] == "sent" for r in rs), timeout=60)
    ids = {r["message_id"] for r in rows}
    assert len(ids) == n
    # Requests that were hanging when ticd died are answered (to nobody)
    # a little later: wait for the receiver's last checks.
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and \
            any(r.ok is None for r in rx.received):
        time.sleep(0.05)
    seen = {}
    for r in rx.received:
        assert r.ok, r.why
        seen.setdefault(r.headers["webhook-id"], []).append(r)
    # Every message arrived; what arrived twice is the same message.
    assert set(seen) == ids
    for msg_id, copies in seen.items():
        assert len({c.body for c in copies}) == 1, msg_id
        assert len({c.path for c in copies}) == 1, msg_id
    # What went twice: at most what was on the wire (4 connections) and
    # what was answered in the loop turn before the kill (its states are
    # written on the next: here a whole wave of 4 can be).
    assert sum(len(c) for c in seen.values()) - n <= 2 * 4, \
        "more duplicates than transfers in flight"


def test_sigterm_in_a_burst_finishes_what_is_under_way_and_repeats_nothing(
        ticd_factory, receivers, tmp_path):
    """120 centres due at 09:00, a receiver taking 0.3 s a request; SIGTERM
    mid-burst: ticd lets the posts under way end (within stop_wait), stores
    their results, and exits 0; no row is left "sending", every message the
    receiver took is "sent", and after a restart the rest go: each
    webhook-id exactly once."""
    n = 120
    t, rx, clock = burst(ticd_factory, receivers, tmp_path, n,
                         "parallel = 4\n")
    rx.script = [("hang", 0.3)] * n
    nine(t, clock)
    wait_accepted(t, rx, 10)
    began = time.monotonic()
    assert t.stop() == 0, t.log_text()
    assert time.monotonic() - began < 7, "longer than stop_wait (5 s)"
    taken = {r.headers["webhook-id"] for r in rx.accepted()}
    assert len(taken) < n, "the burst was over before the stop"
    with sqlite3.connect(str(t.db), timeout=5) as db:
        states = dict(db.execute("SELECT message_id, state FROM outbox "
                                 "WHERE channel LIKE 'webhook:%'"))
    assert len(states) == n
    assert "sending" not in states.values()
    assert {m for m, s in states.items() if s == "sent"} == taken
    rx.script = []
    clock.set(DAY + " 09:01:30")
    t.start(env=faketime_env(DAY + " 09:01:30"))
    wait_rows(t, lambda rs: len(rs) == n and
              all(r["state"] == "sent" for r in rs), timeout=60)
    ids = [r.headers["webhook-id"] for r in rx.received]
    assert all(r.ok for r in rx.received), [r.why for r in rx.received]
    assert sorted(ids) == sorted(states), "each message exactly once"


def test_an_item_closed_mid_burst_is_left_out_of_its_first_post(
        ticd_factory, receivers, tmp_path):
    """120 centres due at 09:00, a receiver taking 0.3 s a request; after
    10 posts the last centre submits its evaluation.  Its message, still
    waiting its turn, goes without that item, at its first attempt; the
    others name theirs.  (A row queued from the plan as it stands goes
    without a last look at the plan; a recorded event makes a new plan,
    and the look is back.)"""
    n = 120
    t, rx, clock = burst(ticd_factory, receivers, tmp_path, n,
                         "parallel = 4\n")
    rx.script = [("hang", 0.3)] * n
    nine(t, clock)
    wait_accepted(t, rx, 10)
    last = "ev-%03d" % (n - 1)
    closed = last + "/evaluation/2026"
    t.record({"type": "evaluation_submitted", "date": DAY, "centre": last,
              "year": 2026})
    assert len(rx.received) < n - 1, "the burst was over before the event"
    rows = wait_rows(t, lambda rs: len(rs) == n and
                     all(r["state"] == "sent" for r in rs), timeout=60)
    assert [r["attempts"] for r in rows] == [1] * n, rows
    mine = [r for r in rows if r["recipient"] == "centre:" + last][0]
    assert mine["items"] and closed not in mine["items"], mine
    assert "closed or void" in mine["last_error"], mine
    posts = {r.path: r for r in rx.received}
    assert sorted(posts) == sorted("/in/%d" % i for i in range(n))
    assert len(rx.received) == n
    assert all(r.ok for r in rx.received), [r.why for r in rx.received]

    def keys(path):
        return [i["key"] for i in posts[path].json()["data"]["items"]]
    assert closed not in keys("/in/%d" % (n - 1))
    assert keys("/in/%d" % (n - 1)) == mine["items"]
    assert "ev-000/evaluation/2026" in keys("/in/0")


def test_a_failing_endpoint_is_disabled_and_the_bureau_told(
        ticd_factory, receivers, tmp_path):
    clock = FakeClock()
    broken = receivers(StandardReceiver, WHSEC, clock)
    broken.script = [500] * 50
    ops = receivers(StandardReceiver, WHSEC, clock)
    t = hook_ticd(ticd_factory, clock, conf="disable_after_days = 1\n")
    sec = secret_file(tmp_path, "whsec", WHSEC)
    bad = add_target(t, "centre", "yq-006", broken.url("/in"), "standard",
                     sec)
    add_target(t, "bureau", None, ops.url("/ops"), "standard", sec)
    nine(t, clock)
    assert ops.wait_for(1) == 1		# the bureau's own digest
    wait_rows(t, lambda rs: any(r["target"] == bad["id"] and
                                r["state"] == "retrying" for r in rs))
    listed = {w["id"]: w for w in t.get("/api/v1/webhooks").json()
              ["webhooks"]}
    assert listed[bad["id"]]["state"] == "failing"
    assert listed[bad["id"]]["failing_since"].startswith(DAY)
    # A day and more later the endpoint still fails: disabled, and the
    # bureau hears of it on its own webhook (and by mail, to the spool).
    t.stop()
    later = "2026-12-02 09:10:00"
    clock.set(later)
    t.start(env=faketime_env(later))
    # The day's digest and the notice (a bounded wait for the notice: a
    # wait for a third post that never comes cost 30 s a run).
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(
            r.json()["type"] == "webhook.disabled" for r in ops.accepted()):
        time.sleep(0.1)
    time.sleep(1)		# a second notice would come on its heels
    notices = [r.json() for r in ops.accepted()
               if r.json()["type"] == "webhook.disabled"]
    assert len(notices) == 1, [r.json()["type"] for r in ops.accepted()]
    assert notices[0]["data"]["target"] == bad["id"]
    listed = {w["id"]: w for w in t.get("/api/v1/webhooks").json()
              ["webhooks"]}
    assert listed[bad["id"]]["state"] == "disabled"
    assert "1" in listed[bad["id"]]["disabled_reason"]
    # The bureau's mail, as its reader shows it (the subject is
    # encoded-words: the raw bytes say nothing).
    told = [msg["Subject"] for msg in (
        email.message_from_bytes(f.read_bytes(), policy=email.policy.default)
        for f in (t.dir / "spool").glob("*.eml"))
        if "webhook 目标 %d（" % bad["id"] in
        msg.get_body(("plain",)).get_content()]
    assert told and all("webhook" in s for s in told), told
    # ticctl turns it back on.
    p = subprocess.run([TICCTL, "webhooks", "enable", str(bad["id"]),
                        "--url", t.url(""), "--token", t.token],
                       capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert "webhook %d enabled" % bad["id"] in p.stdout.decode(), p
    listed = {w["id"]: w for w in t.get("/api/v1/webhooks").json()
              ["webhooks"]}
    assert listed[bad["id"]]["state"] == "enabled"
    # Enabling it again changes nothing, and says so.
    p = subprocess.run([TICCTL, "webhooks", "enable", str(bad["id"]),
                        "--url", t.url(""), "--token", t.token],
                       capture_output=True, timeout=30)
    assert p.returncode == 0 and "was not disabled: nothing changed" in \
        p.stdout.decode(), p


def test_a_bureau_nobody_can_mail_is_said_in_the_log(ticd_factory,
                                                     receivers, tmp_path):
    """Mail over SMTP and no bureau contact: a post refused for good (400)
    and a target gone (410) cannot be told to the bureau by mail.  The log
    says so, once each, naming what to do, instead of the notice vanishing
    unseen; no notice row is queued."""
    clock = FakeClock()
    refused = receivers(StandardReceiver, WHSEC, clock)
    refused.script = [(400, {"error": "no"})]
    gone = receivers(StandardReceiver, WHSEC, clock)
    gone.script = [410]
    t = hook_ticd(ticd_factory, clock,
                  conf="[mail]\nsmtp_url = smtp://127.0.0.1:9\n")
    sec = secret_file(tmp_path, "whsec", WHSEC)
    a = add_target(t, "centre", "yq-006", refused.url("/in"), "standard", sec)
    b = add_target(t, "bureau", None, gone.url("/in"), "standard", sec)
    nine(t, clock)
    rows = wait_rows(t, lambda rs: len(rs) == 2 and
                     all(r["state"] == "dead" for r in rs))
    dead = [r for r in rows if r["target"] == a["id"]][0]
    t.wait_log("webhook %d" % b["id"])
    log = t.log_text()
    nobody = "the bureau cannot be told: no bureau contact has an address " \
        "mail can go to (ticctl contacts)"
    assert log.count("outbox %d: %s" % (dead["id"], nobody)) == 1, log
    assert log.count("webhook %d (" % b["id"]) == 1, log
    assert "disabled; %s, and it has no other webhook" % nobody in log, log
    assert "the bureau told" not in log and "the bureau is told" not in log
    assert not [r for r in deliveries(t) if r["recipient"] == "bureau" and
                r["channel"] == "email" and "webhook:" in r["key"]]


def test_410_gone_disables_at_once(ticd_factory, receivers, tmp_path):
    clock = FakeClock()
    rx = receivers(StandardReceiver, WHSEC, clock)
    rx.script = [410]
    t = hook_ticd(ticd_factory, clock)
    bad = add_target(t, "centre", "yq-006", rx.url("/in"), "standard",
                     secret_file(tmp_path, "whsec", WHSEC))
    nine(t, clock)
    rows = wait_rows(t, lambda rs: rs and rs[0]["state"] == "dead")
    assert "410" in rows[0]["last_error"]
    w = t.get("/api/v1/webhooks").json()["webhooks"][0]
    assert w["id"] == bad["id"] and w["state"] == "disabled"
    t.wait_log("webhook %d" % bad["id"])
    # The bureau's table says why and since when, before it re-enables.
    p = subprocess.run([TICCTL, "webhooks", "--url", t.url(""), "--token",
                        t.token], capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode()
    assert "已停用" in out and "%s 起：" % w["disabled_at"][:10] in out, out
    assert w["disabled_reason"][:20] in out, (w, out)


def test_a_reply_that_is_not_utf8_is_kept_readable(ticd_factory, receivers,
                                                   tmp_path):
    """A 410 answered with a GBK error page (common on intranets): its
    excerpt, kept raw, made the disabling's notice unencodable and ticd
    died (SIGSEGV) posting it to the bureau's other target; the target's
    last_error vanished from the listing.  Now the bytes that are not
    UTF-8 read as U+FFFD and the bureau's other target gets the notice."""
    clock = FakeClock()
    gone = receivers(StandardReceiver, WHSEC, clock)
    gone.script = [(410, "该页面已删除".encode("gbk"))]
    other = receivers(StandardReceiver, WHSEC, clock)
    t = hook_ticd(ticd_factory, clock)
    sec = secret_file(tmp_path, "whsec", WHSEC)
    bad = add_target(t, "centre", "yq-006", gone.url("/in"), "standard", sec)
    add_target(t, "bureau", None, other.url("/in"), "standard", sec)
    nine(t, clock)
    rows = wait_rows(t, lambda rs: any(r["state"] == "dead" for r in rs))
    assert t.running(), t.log_text()
    w = {x["id"]: x for x in t.get("/api/v1/webhooks").json()["webhooks"]}
    assert w[bad["id"]]["state"] == "disabled"
    assert "\ufffd" in w[bad["id"]]["last_error"], w[bad["id"]]
    dead = [r for r in rows if r["state"] == "dead"][0]
    assert "\ufffd" in dead["last_error"], dead
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(
            r.json().get("type") == "webhook.disabled"
            for r in other.received):
        time.sleep(0.1)
    assert any(r.json().get("type") == "webhook.disabled"
               for r in other.received), t.log_text()
    assert t.running(), t.log_text()


def target_notices(t, target_id, row_id):
    """The bureau's mails (the spool) about one webhook target or its post
    row_id: their plain texts."""
    out = []
    for f in sorted((t.dir / "spool").glob("*.eml")):
        msg = email.message_from_bytes(f.read_bytes(),
                                       policy=email.policy.default)
        text = msg.get_body(("plain",)).get_content()
        if "webhook 目标 %d（" % target_id in text or \
                "投递编号 %d）" % row_id in text:
            out.append(text)
    return out


class HeldRefusingReceiver(StandardReceiver):
    """Refuses every post for good (400), once released is set (at most
    20 s): the test decides when the refusal comes."""

    def __init__(self, secret, clock=None):
        super().__init__(secret, clock)
        self.released = threading.Event()

    def answer(self, rec, step):
        self.released.wait(20)
        rec.ok, rec.why = False, "refused by the test"
        return 400, {"error": "no such hook"}, None


def test_a_post_refused_while_the_store_is_locked_is_told_to_the_bureau(
        ticd_factory, receivers, tmp_path):
    """The refusal comes while an admin's sqlite3 shell holds the store's
    lock: the post's dead state and the bureau's notice are written
    together once the lock goes, and the notice goes (it was dropped)."""
    clock = FakeClock()
    held = receivers(HeldRefusingReceiver, WHSEC, clock)
    t = hook_ticd(ticd_factory, clock)
    bad = add_target(t, "centre", "yq-006", held.url("/in"), "standard",
                     secret_file(tmp_path, "whsec", WHSEC))
    nine(t, clock)
    deadline = time.monotonic() + 30
    while not held.received and time.monotonic() < deadline:
        time.sleep(0.05)
    assert held.received, t.log_text()
    # The refusal comes under the lock.
    answered_under_lock(t.db, held.released.set)
    assert "kept to be written again with the bureau's notice" in \
        t.log_text(), t.log_text()
    row = wait_rows(t, lambda rs: any(r["target"] == bad["id"] and
                                      r["state"] == "dead" for r in rs))
    row = [r for r in row if r["target"] == bad["id"]][0]
    assert "HTTP 400" in row["last_error"], row
    deadline = time.monotonic() + 30
    while not target_notices(t, bad["id"], row["id"]) and \
            time.monotonic() < deadline:
        time.sleep(0.1)
    told = target_notices(t, bad["id"], row["id"])
    assert len(told) == 1, (told, t.log_text())
    assert "HTTP 400" in told[0], told[0]
    # The failure, refused by the store too, is written once it takes
    # writes: the target is failing since the refusal, and the notice
    # says so (it said since 00:00, and the target's later disabling
    # would have been keyed, and mailed, apart).
    assert "2026-12-01 09:00" in told[0], told[0]
    assert "2026-12-01 00:00" not in told[0], told[0]
    listed = {w["id"]: w for w in t.get("/api/v1/webhooks").json()
              ["webhooks"]}[bad["id"]]
    assert listed["state"] == "failing", listed
    assert listed["failing_since"].startswith(DAY + "T09:00"), listed


def redeliver(t, row_id):
    r = t.post("/api/v1/deliveries/%d/redeliver" % row_id, {})
    assert r.status == 200, r


def test_one_notice_per_failing_target(ticd_factory, receivers, tmp_path):
    """A target refusing every post (400: each dead at once) is failing
    from its first refusal.  Its dead posts and, a day later, its
    disabling make one mail to the bureau, not one each; the bureau's own
    webhook hears once that it was disabled."""
    clock = FakeClock()
    bad = receivers(StandardReceiver, WHSEC, clock)
    bad.script = [(400, {"error": "no"})] * 50
    ops = receivers(StandardReceiver, WHSEC, clock)
    t = hook_ticd(ticd_factory, clock, conf="disable_after_days = 1\n")
    sec = secret_file(tmp_path, "whsec", WHSEC)
    b = add_target(t, "centre", "yq-006", bad.url("/in"), "standard", sec)
    add_target(t, "bureau", None, ops.url("/ops"), "standard", sec)
    nine(t, clock)
    rows = wait_rows(t, lambda rs: any(r["target"] == b["id"] and
                                       r["state"] == "dead" for r in rs))
    row = [r for r in rows if r["target"] == b["id"]][0]
    # The same post dead a second time, in the same failure streak.
    redeliver(t, row["id"])
    died = "outbox %d (centre:yq-006, %s) dead" % (row["id"], DAY)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and t.log_text().count(died) < 2:
        time.sleep(0.05)
    assert t.log_text().count(died) == 2, t.log_text()
    assert t.log_text().count("the bureau is told") == 1, t.log_text()
    texts = target_notices(t, b["id"], row["id"])
    assert len(texts) == 1, texts
    assert "持续失败" in texts[0] and "ticctl redeliver %d" % row["id"] in \
        texts[0]
    # A day later it still refuses: disabled, told on the bureau's own
    # webhook, and no second mail.
    t.stop()
    later = "2026-12-02 09:10:00"
    clock.set(later)
    t.start(env=faketime_env(later))
    redeliver(t, row["id"])
    t.wait_log("webhook %d (" % b["id"])
    wait_rows(t, lambda rs: [r for r in rs if r["id"] == row["id"]][0]
              ["state"] == "dead" and all(r["state"] in ("sent", "dead")
                                          for r in rs))
    listed = {w["id"]: w for w in t.get("/api/v1/webhooks").json()
              ["webhooks"]}
    assert listed[b["id"]]["state"] == "disabled"
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not any(
            r.json()["type"] == "webhook.disabled" for r in ops.accepted()):
        time.sleep(0.05)
    kinds = [r.json()["type"] for r in ops.accepted()]
    assert kinds.count("webhook.disabled") == 1, kinds
    assert len(target_notices(t, b["id"], row["id"])) == 1


# ---- subscriptions ----

def test_targets_checked_scoped_and_allow_listed(ticd_factory, receivers,
                                                 tmp_path):
    clock = FakeClock()
    rx = receivers(StandardReceiver, WHSEC, clock)
    t = hook_ticd(ticd_factory, clock, start="2026-12-02 12:00:00",
                  conf="allow_hosts = hooks.example.gov.cn *.example.cn\n")
    sec = secret_file(tmp_path, "whsec", WHSEC)
    # Outside the allow-list, another scheme, a secret that is not one.
    r = t.post("/api/v1/webhooks", {"kind": "bureau", "url": rx.url("/in"),
                                    "format": "standard",
                                    "secret_file": sec})
    assert r.status == 422 and "allow_hosts" in r.message, r
    for body in ({"kind": "bureau", "url": "ftp://hooks.example.gov.cn/x",
                  "format": "standard", "secret_file": sec},
                 {"kind": "bureau", "url": "https://a.example.cn/x",
                  "format": "standard",
                  "secret_file": secret_file(tmp_path, "bad", "hunter2")},
                 {"kind": "bureau", "url": "https://a.example.cn/x",
                  "format": "standard",
                  "secret_file": str(tmp_path / "missing")}):
        r = t.post("/api/v1/webhooks", body)
        assert r.status == 422, (body, r)
        assert "hunter2" not in r.body.decode()
    for body in ({"kind": "unit", "url": "https://a.example.cn/x",
                  "format": "standard", "secret_file": sec},
                 {"kind": "bureau", "url": "https://a.example.cn/x",
                  "format": "slack"},
                 {"kind": "bureau", "url": "https://a.example.cn/x",
                  "format": "standard"},
                 {"kind": "bureau", "url": "https://qyapi.example.cn/"
                  "cgi-bin/webhook/send?key=K", "format": "wecom",
                  "secret_file": sec}):
        assert t.post("/api/v1/webhooks", body).status == 400, body
    ok = add_target(t, "centre", "yq-006", "https://a.example.cn/hook",
                    "standard", sec)
    # The same URL for the same recipient again: every post went twice.
    r = t.post("/api/v1/webhooks", {"kind": "centre", "scope": "yq-006",
                                    "url": "https://a.example.cn/hook",
                                    "format": "standard", "secret_file": sec})
    assert r.status == 409 and r.code == "duplicate", r
    assert "(id %d)" % ok["id"] in r.message, r.message
    add_target(t, "unit", "城区科技局", "https://b.example.cn/hook",
               "standard", sec)
    # A centre's token sees its own target, not the secret's file, and
    # may not change targets; a unit sees its centres' and its own.
    centre = t.new_token("centre", "yq-006")["token"]
    mine = t.get("/api/v1/webhooks", token=centre).json()["webhooks"]
    assert [w["id"] for w in mine] == [ok["id"]]
    assert "secret_file" not in mine[0]
    assert t.post("/api/v1/webhooks", {"kind": "centre", "scope": "yq-006",
                                       "url": "https://a.example.cn/x",
                                       "format": "standard"},
                  token=centre).status == 403
    assert t.delete("/api/v1/webhooks/%d" % ok["id"],
                    token=centre).status == 403
    other = t.new_token("centre", "yq-009")["token"]
    assert t.delete("/api/v1/webhooks/%d" % ok["id"],
                    token=other).status == 404
    # ticctl, as the bureau: the table and removal.
    p = subprocess.run([TICCTL, "webhooks", "--url", t.url(""), "--token",
                        t.token], capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert "a.example.cn" in p.stdout.decode() and "standard" in \
        p.stdout.decode()
    p = subprocess.run([TICCTL, "webhooks", "add", "centre", "yq-009",
                        "https://c.example.cn/hook", "--format", "standard",
                        "--secret-file", sec, "--url", t.url(""),
                        "--token", t.token], capture_output=True,
                       timeout=30)
    assert p.returncode == 0, p.stderr
    p = subprocess.run([TICCTL, "webhooks", "remove", str(ok["id"]),
                        "--url", t.url(""), "--token", t.token],
                       capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert len(t.get("/api/v1/webhooks").json()["webhooks"]) == 2


def test_an_allowed_host_on_another_port_is_refused_until_listed_with_it(
        ticd_factory, receivers, tmp_path):
    """allow_hosts = 127.0.0.1 covers that host's ports 80 and 443, not
    whatever else listens there: the receiver's port is refused, naming
    the entry that would allow it; once listed so (a reload), the target
    is added and posted to."""
    clock = FakeClock()
    rx = receivers(StandardReceiver, WHSEC, clock)
    port = urllib.parse.urlsplit(rx.url("/")).port
    t = hook_ticd(ticd_factory, clock, conf="allow_hosts = 127.0.0.1\n")
    sec = secret_file(tmp_path, "whsec", WHSEC)
    body = {"kind": "bureau", "url": rx.url("/in"), "format": "standard",
            "secret_file": sec}
    r = t.post("/api/v1/webhooks", body)
    assert r.status == 422, r
    assert "listed as 127.0.0.1:%d" % port in r.message, r.message
    assert "应写作 127.0.0.1:%d" % port in r.message, r.message
    assert t.get("/api/v1/webhooks").json()["webhooks"] == []
    t.write_conf(extra="[webhooks]\nallow_hosts = 127.0.0.1:%d\n" % port)
    mark = t.log_size()
    t.send(signal.SIGHUP)
    t.wait_log("reloaded", mark)
    add_target(t, "bureau", None, rx.url("/in"), "standard", sec)
    nine(t, clock)
    assert rx.wait_for(1, timeout=30) == 1, t.log_text()
    assert rx.received[0].ok, rx.received[0].why


def test_a_post_whose_target_is_gone_is_not_redelivered(ticd_factory,
                                                        receivers, tmp_path):
    """Redelivering a sent post after its target was removed, or while it
    is disabled, is refused (409, saying which and what to do) and the
    row keeps its record (it was rewritten as dead)."""
    clock = FakeClock()
    rx = receivers(StandardReceiver, WHSEC, clock)
    gone = receivers(StandardReceiver, WHSEC, clock)
    gone.script = [410]
    t = hook_ticd(ticd_factory, clock)
    sec = secret_file(tmp_path, "whsec", WHSEC)
    target = add_target(t, "bureau", None, rx.url("/in"), "standard", sec)
    off = add_target(t, "centre", "yq-006", gone.url("/in"), "standard",
                     sec)
    nine(t, clock)
    # The bureau's target gets its reminder and the notice of the other
    # one's disabling.
    assert rx.wait_for(2, timeout=30) == 2, t.log_text()
    rows = wait_rows(t, lambda rs: len(rs) == 3 and
                     all(r["state"] in ("sent", "dead") for r in rs))
    dead = [r for r in rows if r["channel"] == "webhook:%d" % off["id"]][0]
    row = [r for r in rows if r["channel"] == "webhook:%d" % target["id"]
           and r["items"]][0]
    assert t.delete("/api/v1/webhooks/%d" % target["id"]).status == 200
    r = t.post("/api/v1/deliveries/%d/redeliver" % row["id"], {})
    assert r.status == 409 and r.code == "nothing_to_send", r
    assert "target %d was removed" % target["id"] in r.message, r.message
    assert [x for x in wait_rows(t, lambda rs: True)
            if x["id"] == row["id"]] == [row]
    # The 410 disabled the other target: its post is refused until the
    # bureau enables it again, and then goes.
    assert dead["state"] == "dead", dead
    r = t.post("/api/v1/deliveries/%d/redeliver" % dead["id"], {})
    assert r.status == 409 and "ticctl webhooks enable %d" % off["id"] in \
        r.message, r
    assert t.post("/api/v1/webhooks/%d/enable" % off["id"], {}).status == 200
    assert t.post("/api/v1/deliveries/%d/redeliver" % dead["id"],
                  {}).status == 200
    assert gone.wait_for(1, timeout=30) == 1, t.log_text()	# taken now


def test_a_unit_or_centre_sees_where_a_target_posts_not_its_path(
        ticd_factory, tmp_path):
    """Services keep their secret in a hook's path (Slack's, Discord's)
    as well as in the query: a unit's or centre's listing shows the
    scheme, host and port only; the bureau, who added it, sees the path
    (its query values masked, as before).  A user name in the URL (a
    token sent as Basic authorization) is refused, not shown."""
    clock = FakeClock()
    t = hook_ticd(ticd_factory, clock)
    sec = secret_file(tmp_path, "whsec", WHSEC)
    r = add_target(t, "centre", "yq-006", "http://sk_T0KEN@127.0.0.1:9/in",
                   "standard", sec, status=422)
    assert "T0KEN" not in json.dumps(r, ensure_ascii=False), r
    assert "user name" in r["error"]["message"], r
    url = "http://127.0.0.1:9/services/T0SECRET/B0SECRET?key=k"
    add_target(t, "centre", "yq-006", url, "standard", sec)
    bureau = t.get("/api/v1/webhooks").json()["webhooks"][0]
    assert "/services/T0SECRET/B0SECRET" in bureau["url"], bureau
    unit = [c["unit"] for c in t.get("/api/v1/centres").json()["centres"]
            if c["id"] == "yq-006"][0]
    for role, scope in (("centre", "yq-006"), ("unit", unit)):
        token = t.new_token(role, scope)["token"]
        seen = t.get("/api/v1/webhooks", token=token).json()["webhooks"]
        assert [w["url"] for w in seen] == ["http://127.0.0.1:9/…"], seen
        assert "SECRET" not in json.dumps(seen), seen


def error_as_seen(t, clock):
    """Nine o'clock's post to yq-006's one target dies: the target as the
    bureau lists it, and as yq-006's own token does."""
    nine(t, clock)
    wait_rows(t, lambda rs: rs and rs[0]["state"] == "dead")
    bureau = t.get("/api/v1/webhooks").json()["webhooks"][0]
    centre = t.new_token("centre", "yq-006")["token"]
    return bureau, t.get("/api/v1/webhooks",
                         token=centre).json()["webhooks"][0]


def test_a_unit_or_centre_sees_a_targets_error_without_the_reply(
        ticd_factory, receivers, tmp_path):
    """An endpoint's error page may echo the path and query the masked URL
    hides: a unit's or centre's listing shows the HTTP status alone; the
    bureau sees the reply's excerpt."""
    clock = FakeClock()
    rx = receivers(StandardReceiver, WHSEC, clock)
    rx.script = [(400, b'{"error":"bad path /in/SECRETKEY123?token=zzz"}')]
    t = hook_ticd(ticd_factory, clock)
    add_target(t, "centre", "yq-006", rx.url("/in/SECRETKEY123?token=zzz"),
               "standard", secret_file(tmp_path, "whsec", WHSEC))
    bureau, seen = error_as_seen(t, clock)
    assert "SECRETKEY123" in bureau["last_error"], bureau
    assert seen["last_error"].endswith("HTTP 400"), seen
    assert "SECRETKEY123" not in json.dumps(seen, ensure_ascii=False), seen


def test_a_robots_error_is_shown_to_a_unit_or_centre_by_its_code(
        ticd_factory, receivers, tmp_path):
    """A robot answers 200 with an error code and a message: a unit or
    centre sees the code ("errcode 93000"), not the message."""
    clock = FakeClock()
    wecom = receivers(WeComReceiver, WECOM_KEY, clock)
    t = hook_ticd(ticd_factory, clock)
    add_target(t, "centre", "yq-006", wecom.url(
        "/cgi-bin/webhook/send?key=wrong-key"), "wecom")
    bureau, seen = error_as_seen(t, clock)
    assert "invalid webhook url" in bureau["last_error"], bureau
    assert seen["last_error"].endswith("errcode 93000"), seen
    assert "invalid webhook url" not in json.dumps(seen), seen


def test_a_fifo_as_secret_file_is_refused_at_once(ticd_factory, tmp_path):
    """A FIFO named as a secret file held ticd's loop in open() until
    something wrote to it: /healthz stopped answering.  It is refused as
    not a regular file, at once."""
    clock = FakeClock()
    t = hook_ticd(ticd_factory, clock)
    fifo = tmp_path / "fifo.whsec"
    os.mkfifo(fifo)
    start = time.monotonic()
    r = t.post("/api/v1/webhooks", {"kind": "bureau", "format": "standard",
                                    "url": "http://127.0.0.1:9/in",
                                    "secret_file": str(fifo)})
    assert r.status == 422 and "not a regular file" in r.message, r
    assert time.monotonic() - start < 5
    assert t.healthz()["status"] == "ok"
