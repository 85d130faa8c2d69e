"""
The day turns at midnight in Asia/Shanghai: an obligation due that day is
"open" through it and "overdue" from the next, without a restart or a
write.  The clock is libfaketime's, started ten seconds before midnight;
ticd looks at the day every 30 s and just after midnight, so the turn
comes about ten seconds after the start (it came up to 30 s later).
"""
import os
import time

import pytest

from conftest import FAKETIME_LIB, ticctl_plan, write_journal
from conftest import faketime_env as faketime_at

FAKE_START = "@2026-12-31 23:59:50"


def faketime_env():
    asan = os.environ.get("ASAN_OPTIONS", "")
    asan = (asan + ":" if asan else "") + "verify_asan_link_order=0"
    return {"LD_PRELOAD": FAKETIME_LIB, "FAKETIME": FAKE_START,
            "FAKETIME_NO_CACHE": "1", "TZ": "Asia/Shanghai",
            "ASAN_OPTIONS": asan}


def meeting_2026(obligations):
    found = [o for o in obligations if o["centre"] == "m1" and
             o["rule"] == "expert_meeting" and o.get("year") == 2026]
    assert len(found) == 1, obligations
    return found[0]


@pytest.mark.skipif(not os.path.exists(FAKETIME_LIB),
                    reason="libfaketime (Debian's faketime) is missing")
def test_due_today_open_then_overdue_after_midnight(ticd_factory, tmp_path):
    # Recognized in 2025: Art. 10's meeting for 2026 is due 2026-12-31.
    # The events are recorded on that day's morning, on a fake clock too:
    # on the real one, from 2027 ticd would see its clock go back.
    ticd = ticd_factory.started(env=faketime_at("2026-12-31 10:00:00"))
    assert ticd.today() == "2026-12-31"
    stored = [ticd.record(ev) for ev in (
        {"type": "registered", "date": "2025-03-03", "centre": "m1",
         "name": "午夜中心", "unit": "城区科技局"},
        {"type": "recognized", "date": "2025-06-02", "centre": "m1"})]
    journal = tmp_path / "journal.jsonl"
    write_journal(journal, stored)
    assert ticd.stop() == 0

    # The same store, on the last day of 2026, ten seconds before midnight.
    t0 = time.monotonic()
    health = ticd.start(env=faketime_env())
    assert health["today"] == "2026-12-31", health
    got = ticd.obligations()
    assert got["as_of"] == "2026-12-31"
    o = meeting_2026(got["obligations"])
    assert (o["due"], o["state"]) == ("2026-12-31", "open")
    assert got["obligations"] == ticctl_plan(journal, "2026-12-31")
    # Tomorrow's event is still in the future.
    early = {"type": "expert_meeting_held", "date": "2027-01-01",
             "centre": "m1"}
    r = ticd.post("/api/v1/events", early)
    assert r.status == 422 and r.code == "refused", r
    assert time.monotonic() - t0 < 9, "ticd took too long to start"

    # After midnight: overdue, with no restart and no write.
    deadline = time.monotonic() + 70
    while time.monotonic() < deadline:
        got = ticd.obligations()
        if meeting_2026(got["obligations"])["state"] != "open":
            break
        time.sleep(0.5)
    assert got["as_of"] == "2027-01-01", got["as_of"]
    # At midnight, not at the next of the 30 s looks (00:00:20 here):
    # ten seconds from the start, with room for a loaded machine.
    assert time.monotonic() - t0 < 25, time.monotonic() - t0
    o = meeting_2026(got["obligations"])
    assert (o["due"], o["state"]) == ("2026-12-31", "overdue")
    assert ticd.healthz()["today"] == "2027-01-01"
    assert got["obligations"] == ticctl_plan(journal, "2027-01-01")
    c = ticd.get("/api/v1/centres/m1").json()
    assert c["centre"]["state"] == "recognized"
    assert meeting_2026(c["obligations"])["state"] == "overdue"
    # And what was tomorrow is today now; it does not undo 2026's duty.
    ticd.record(early)
    assert meeting_2026(ticd.obligations()["obligations"])["state"] == \
        "overdue"
