"""A webhook receiver that accepts each request and never answers in time.

ticd (the demo journal, three reminders due Tue 2026-12-01 09:00 under
libfaketime, as in tests/e2e/test_webhooks.py) posts them to a Standard
Webhooks receiver on 127.0.0.1, one target per recipient (centres yq-006
and yq-009, the bureau), with `[webhooks] timeout = 2`.  The receiver reads
each of the first three requests and then holds it for 30 s without a
byte of answer; later requests get its real check and 204.  While the
three transfers hang, GET /healthz and GET /api/v1/deliveries are asked in
a loop.

Pass rule: during the hang every API request is answered 200 within 1 s
(the loop is never held by a transfer); the three rows go to `retrying`
with a timeout in last_error and attempts 1, and `ticctl deliveries`
shows them so; the retry (about 5 s later) delivers each message once,
signed, with the webhook-id of its first attempt; every row ends `sent`
with attempts 2; ticd is alive throughout.  Bounded: about 15 s, at most
90 s.
"""
import os
import subprocess
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "e2e"))
from support import e2e, poll_api_while  # noqa: E402
from test_webhooks import deliveries, hooks_of, wait_rows  # noqa: E402

pytestmark = pytest.mark.skipif(not os.path.exists(e2e.FAKETIME_LIB),
                                reason="libfaketime is missing")

DAY = "2026-12-01"
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
RECIPIENTS = [("centre", "yq-006"), ("centre", "yq-009"), ("bureau", None)]
HOLD = 30


def test_webhook_receiver_hangs(ticd_factory, receivers, tmp_path):
    clock = e2e.FakeClock()
    rx = receivers(e2e.StandardReceiver, WHSEC, clock)
    rx.script = [("hang", HOLD)] * len(RECIPIENTS)
    secret = tmp_path / "whsec"
    secret.write_text(WHSEC + "\n", encoding="utf-8")
    secret.chmod(0o600)
    start = DAY + " 08:59:56"
    t = ticd_factory("ticd")
    t.write_conf(extra="[webhooks]\ntimeout = 2\n")
    t.token = t.make_token()
    clock.set(start)
    t.start(env=e2e.faketime_env(start),
            extra_args=["-i", str(e2e.DEMO_JOURNAL)])
    for kind, scope in RECIPIENTS:
        body = {"kind": kind, "url": rx.url("/in"), "format": "standard",
                "secret_file": str(secret)}
        if scope:
            body["scope"] = scope
        assert t.post("/api/v1/webhooks", body).status == 201

    rows, worst, asked = poll_api_while(
        t, lambda t: hooks_of(deliveries(t)), lambda rs: len(rs) == 3 and
        all(r["state"] == "retrying" for r in rs))
    assert len(rows) == 3 and all(r["state"] == "retrying" for r in rows), \
        (rows, t.log_text())
    for r in rows:
        assert r["attempts"] == 1, r
        assert "time" in (r["last_error"] or "").lower(), r
    assert len(rx.received) == 3, "the receiver did not see the requests"
    assert worst < 1.0, worst
    assert t.proc.poll() is None
    first_ids = {r["key"]: r["message_id"] for r in rows}

    p = subprocess.run([e2e.TICCTL, "deliveries"], capture_output=True,
                       timeout=30, env=dict(
                           t.env(), TICD_TOKEN=t.token,
                           TICD_URL="http://127.0.0.1:%d" % t.port))
    shown = p.stdout.decode("utf-8", "replace")
    assert p.returncode == 0 and shown.count("retrying") >= 3, shown

    # The receiver still holds the first three; the retries get answers.
    assert rx.wait_for(3, timeout=40) == 3, t.log_text()
    rows = wait_rows(t, lambda rs: all(r["state"] == "sent" for r in rs),
                     timeout=20)
    assert all(r["state"] == "sent" and r["attempts"] == 2
               for r in rows), rows
    accepted = rx.accepted()
    assert sorted(a.headers["webhook-id"] for a in accepted) == \
        sorted(first_ids.values()), (accepted, first_ids)
    assert {r["message_id"] for r in rows} == set(first_ids.values())
    assert t.proc.poll() is None
    print("webhook hang: %d API requests during the hang, slowest %.1f ms; "
          "%d requests held %d s; %d delivered on the retry, one each"
          % (asked, worst * 1000, 3, HOLD, len(accepted)))
