"""kill -9 again and again while reminders are being sent.

1,000 centres, each with a contact, each due one reminder at 09:00 on
2026-12-01 (the burst journal of tests/e2e/test_mail.py, under
libfaketime); a real aiosmtpd (10 ms per DATA, so that the burst lasts)
and `parallel = 4`.  ticd is killed with SIGKILL each time about 150 more
messages have arrived, up to 5 times, and restarted (at 09:00:30); then
it is left to finish.

Pass rule: every one of the 1,000 rows of the outbox ends `sent`; every
centre got its message; a centre that got it more than once got the same
Message-ID each time; the Message-IDs received are exactly those of the
outbox; duplicates at most 4 (`parallel`) per kill.  Bounded: about 40 s,
at most 4 minutes.
"""
import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from support import e2e  # noqa: E402

pytest.importorskip("aiosmtpd")
pytestmark = pytest.mark.skipif(not os.path.exists(e2e.FAKETIME_LIB),
                                reason="libfaketime is missing")
from test_mail import DAY, burst_delivered_once, burst_ticd  # noqa: E402

BURST = 1000
KILLS = 5
STEP = 150


def test_kill_9_in_a_loop_while_sending_loses_no_reminder(
        ticd_factory, smtp_sink, tmp_path):
    smtp_sink.delay = 0.01
    t = burst_ticd(ticd_factory, smtp_sink, tmp_path, BURST,
                   "timeout = 10\nparallel = 4\n")
    t.start(env=e2e.faketime_env(DAY + " 08:59:58"))
    kills = []
    for k in range(KILLS):
        target = len(smtp_sink.received) + STEP
        if target >= BURST:
            break
        smtp_sink.wait_for(target, timeout=60)
        if len(smtp_sink.received) >= BURST:
            break
        t.proc.kill()		# kill -9, mid-burst
        t.proc.wait(timeout=10)
        kills.append(len(smtp_sink.received))
        t.start(env=e2e.faketime_env(DAY + " 09:00:30"))
    assert kills, "the burst ended before any kill"
    dups = burst_delivered_once(t, smtp_sink, BURST, timeout=150, settle=1)
    print("kill -9 with reminders: %d kills (at %s messages received), "
          "%d messages received for %d rows, %d duplicates (same "
          "Message-ID), none lost" % (len(kills), kills,
                                      len(smtp_sink.received), BURST, dups))
    assert 0 <= dups <= 4 * len(kills), dups
    assert t.proc.poll() is None
