"""No secret in any log or output but the one reply that hands it out.

Secrets configured and used: bureau tokens made with ticd -T, unit and
centre tokens made through the API, a token revoked, and wrong tokens
tried (a guess is a secret of whoever typed it).  ticd runs at debug
level, is reloaded (SIGHUP, which re-reads tokens) and stopped.

Pass rule: no secret appears in ticd's log (stderr, every level), in any
reply but the 201 that created it (token lists, metrics, errors), in the
store's files (ticd.db, its -wal and -shm: only SHA-256 hashes are kept),
or in ticctl's output and errors.  Secrets that later code configures
(SMTP passwords, webhook signing keys) are to be added to SECRETS_FROM
below.
"""
import os
import signal
import subprocess

from support import e2e

TICCTL = e2e.TICCTL


def everything_written(t):
    out = {}
    out["ticd.log"] = t.log.read_bytes()
    for name in ("ticd.db", "ticd.db-wal", "ticd.db-shm"):
        p = t.dir / name
        if p.exists():
            out[name] = p.read_bytes()
    return out


def test_no_secret_in_logs_store_or_replies(ticd_factory):
    t = ticd_factory("secrets", log_level="debug")
    t.token = t.make_token()
    second = t.make_token()
    t.start()
    secrets = {"bureau": t.token, "bureau-2": second}
    replies = []

    def keep(r):
        replies.append(r.body)
        return r

    r = keep(t.post("/api/v1/events", {
        "type": "registered", "date": "2025-01-02", "centre": "c1",
        "name": "秘密测试中心", "unit": "u1"}))
    assert r.status == 201, r
    made = {}
    for role, scope in (("unit", "u1"), ("centre", "c1"),
                        ("bureau", None)):
        r = t.post("/api/v1/tokens", {"role": role, "scope": scope,
                                      "label": "s"} if scope else
                   {"role": role, "label": "s"})
        assert r.status == 201, r
        made[role] = r.json()
        secrets["api-" + role] = r.json()["token"]
    guesses = ["tic_" + "A" * 43, "tic_guessedsecretvalue", "notatoken",
               secrets["bureau"][:-1] + ("x" if secrets["bureau"][-1] != "x"
                                         else "y")]
    for g in guesses:
        secrets["guess-" + g[:8]] = g
        keep(t.get("/api/v1/centres", token=g))
        keep(t.get("/api/v1/centres?token=" + g, token=None))
    for role in ("unit", "centre"):
        keep(t.get("/api/v1/obligations", token=made[role]["token"]))
        keep(t.get("/api/v1/centres/c1", token=made[role]["token"]))
        keep(t.post("/api/v1/contacts", {"kind": "bureau",
                                         "email": "a@b.cn"},
                    token=made[role]["token"]))
    keep(t.get("/api/v1/tokens"))
    keep(t.get("/metrics", token=None))
    keep(t.delete("/api/v1/tokens/%d" % made["centre"]["id"]))
    keep(t.get("/api/v1/centres", token=made["centre"]["token"]))
    # A token in a place it does not belong: the body of an event.
    keep(t.post("/api/v1/events", {"type": "no_such", "note":
                                   secrets["api-unit"]}))
    mark = t.log_size()
    t.send(signal.SIGHUP)
    t.wait_log("reloaded", offset=mark)
    keep(t.get("/api/v1/centres"))
    assert t.stop() == 0
    # ticctl as a client: its output and its errors.
    env = dict(os.environ, TICD_URL=t.url(""), TICD_TOKEN="tic_wrongwrong")
    t.start()
    p = subprocess.run([TICCTL, "obligations"], capture_output=True,
                       env=env, timeout=30)
    ctl = p.stdout + p.stderr
    env["TICD_TOKEN"] = secrets["bureau"]
    p = subprocess.run([TICCTL, "obligations"], capture_output=True,
                       env=env, timeout=30)
    ctl += p.stdout + p.stderr
    assert t.stop() == 0

    written = everything_written(t)
    written["replies"] = b"\n".join(replies)
    written["ticctl"] = ctl
    assert written["ticd.log"], "ticd logged nothing at debug level?"
    leaks = []
    for sname, secret in secrets.items():
        needle = secret.encode()
        for where, data in written.items():
            if needle in data:
                leaks.append("%s in %s" % (sname, where))
    assert not leaks, leaks
    # The hashes are there instead (the store is not empty of tokens).
    assert b"tokens" in written["ticd.db"] or \
        b"tokens" in written.get("ticd.db-wal", b"")
