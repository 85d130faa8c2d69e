"""No delivery secret in any log or output.

The secrets of issues 5 and 6, all configured at once on one ticd at
debug level: the SMTP password (password_file, used for AUTH PLAIN with a
real aiosmtpd), a Standard Webhooks whsec_ secret (its text and the key it
decodes to), DingTalk's and Feishu's signing secrets (secret_file), and
the credentials that live in a robot's URL (WeCom's key, DingTalk's
access_token, Feishu's hook token).  The demo journal's three reminders
of Tue 2026-12-01 09:00 go by mail and to every target (libfaketime);
ticd is reloaded (SIGHUP re-reads the secret files) and stopped.

Pass rule: every delivery arrives and is accepted by its receiver's own
check (so each secret was really used); then none of the secrets appears
in ticd's log, in any API reply (webhooks, deliveries, metrics, errors),
or in ticctl's `webhooks` and `deliveries` output; the file-held secrets
(password, whsec, DingTalk and Feishu secrets) are not in the store's
files either (it keeps their file names).  The URL-held credentials are
in the store, as they must be to post, and shown everywhere else as ***.
"""
import base64
import os
import signal
import subprocess
import time

import pytest

from support import e2e

pytest.importorskip("aiosmtpd")
pytestmark = [pytest.mark.skipif(not os.path.exists(e2e.FAKETIME_LIB),
                                 reason="libfaketime is missing"),
              pytest.mark.filterwarnings("ignore:Requiring AUTH")]

DAY = "2026-12-01"
START = DAY + " 08:59:52"
USER, PASSWORD = "ticd@kjj.yq.example", "pw-7Qz!口令-9xK"
WHSEC = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
DING_SECRET = "SECd1n9s3cr3t0123456789abcdef0123456789abcdef0123456789abcdef"
DING_TOKEN = "dt0k-a9b8c7d6e5f4"
FEISHU_SECRET = "fsS3cr3t-5e6f7a8b"
FEISHU_TOKEN = "fsh00k-1c2d3e4f"
WECOM_KEY = "5d6e7f80-aaaa-bbbb-cccc-0123456789ab"
CONTACTS = [
    {"kind": "centre", "scope": "yq-006", "email": "a006@centre.example"},
    {"kind": "centre", "scope": "yq-009", "email": "b009@centre.example"},
    {"kind": "bureau", "email": "kjj@yq.example"},
]


def secret_file(d, name, value):
    p = d / name
    p.write_text(value + "\n", encoding="utf-8")
    p.chmod(0o600)
    return str(p)


def auth_sink(logins):
    from aiosmtpd.smtp import AuthResult

    def authenticator(server, session, envelope, mechanism, data):
        ok = data.login.decode() == USER and \
            data.password.decode() == PASSWORD
        logins.append(ok)
        return AuthResult(success=ok, auth_data=data)

    # AUTH without TLS: on loopback, so the test needs no certificates
    # (tests/e2e/test_mail.py does STARTTLS + AUTH).
    sink = e2e.SmtpSink(authenticator=authenticator, auth_required=True,
                        auth_require_tls=False)
    sink.up()
    return sink


def wait(predicate, what, t, timeout=40):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("never: %s\n%s" % (what, t.log_text()))


def test_no_delivery_secret_leaks(ticd_factory, receivers, tmp_path):
    clock = e2e.FakeClock()
    std = receivers(e2e.StandardReceiver, WHSEC, clock)
    wecom = receivers(e2e.WeComReceiver, WECOM_KEY, clock)
    ding = receivers(e2e.DingTalkReceiver, DING_TOKEN, DING_SECRET, clock)
    feishu = receivers(e2e.FeishuReceiver, FEISHU_TOKEN, FEISHU_SECRET,
                       clock)
    logins = []
    sink = auth_sink(logins)
    try:
        t = ticd_factory("ticd", log_level="debug")
        t.write_conf(extra="[mail]\nfrom = %s\nsmtp_url = %s\n"
                     "starttls = no\nusername = %s\npassword_file = %s\n"
                     % (USER, sink.url(), USER,
                        secret_file(tmp_path, "smtp.pw", PASSWORD)))
        t.token = t.make_token()
        clock.set(START)
        t.start(env=e2e.faketime_env(START),
                extra_args=["-i", str(e2e.DEMO_JOURNAL)])
        replies = []

        def keep(r, status=None):
            replies.append(r.body)
            if status is not None:
                assert r.status == status, r
            return r

        for c in CONTACTS:
            keep(t.post("/api/v1/contacts", c), 201)
        for kind, scope, url, fmt, secret in (
                ("bureau", None, std.url("/in"), "standard",
                 secret_file(tmp_path, "whsec", WHSEC)),
                ("centre", "yq-006", wecom.url(wecom.path()), "wecom", None),
                ("centre", "yq-009", ding.url(ding.path()), "dingtalk",
                 secret_file(tmp_path, "ding", DING_SECRET)),
                ("bureau", None, feishu.url(feishu.path()), "feishu",
                 secret_file(tmp_path, "feishu", FEISHU_SECRET))):
            body = {"kind": kind, "url": url, "format": fmt}
            if scope:
                body["scope"] = scope
            if secret:
                body["secret_file"] = secret
            keep(t.post("/api/v1/webhooks", body), 201)
        # A secret file that is not one is refused without echoing it.
        keep(t.post("/api/v1/webhooks", {
            "kind": "bureau", "url": std.url("/x"), "format": "standard",
            "secret_file": secret_file(tmp_path, "bad", PASSWORD)}), 422)

        wait(lambda: sink.wait_for(3, timeout=0.1) == 3, "3 mails", t)
        for rx in (std, wecom, ding, feishu):
            wait(lambda: len(rx.accepted()) >= 1, "a post to %r" % rx, t)
            assert all(r.ok for r in rx.received), \
                [r.why for r in rx.received]
        assert logins and all(logins), logins
        for path in ("/api/v1/webhooks", "/api/v1/deliveries?limit=1000",
                     "/api/v1/contacts"):
            keep(t.get(path), 200)
        keep(t.get("/metrics", token=None))
        mark = t.log_size()
        t.send(signal.SIGHUP)
        t.wait_log("reloaded", offset=mark)
        env = dict(t.env(), TICD_TOKEN=t.token, TICD_URL=t.url(""))
        ctl = b""
        for args in (["webhooks"], ["deliveries"], ["webhooks", "--json"]):
            p = subprocess.run([e2e.TICCTL] + args, capture_output=True,
                               env=env, timeout=30)
            assert p.returncode == 0, (args, p.stderr)
            ctl += p.stdout + p.stderr
        assert t.stop() == 0
    finally:
        sink.down()

    logged = t.log.read_bytes()
    assert b"queued" in logged and b"reloaded" in logged, logged
    store = b""
    for name in ("ticd.db", "ticd.db-wal", "ticd.db-shm"):
        p = t.dir / name
        if p.exists():
            store += p.read_bytes()
    whsec_key = base64.b64decode(WHSEC[len("whsec_"):])
    in_files = {"smtp password": PASSWORD.encode(),
                "whsec": WHSEC.encode(),
                "whsec base64": WHSEC[len("whsec_"):].encode(),
                "whsec key": whsec_key,
                "dingtalk secret": DING_SECRET.encode(),
                "feishu secret": FEISHU_SECRET.encode()}
    in_urls = {"wecom key": WECOM_KEY.encode(),
               "dingtalk token": DING_TOKEN.encode(),
               "feishu token": FEISHU_TOKEN.encode()}
    places = {"log": logged, "replies": b"\n".join(replies), "ticctl": ctl}
    leaks = ["%s in %s" % (s, where)
             for s, v in list(in_files.items()) + list(in_urls.items())
             for where, data in places.items() if v in data]
    leaks += ["%s in the store" % s for s, v in in_files.items()
              if v in store]
    assert not leaks, leaks
    # The URL-held credentials are kept (to post) and shown as ***.
    assert all(v in store for v in in_urls.values())
    assert b"***" in b"\n".join(replies) and b"***" in ctl
