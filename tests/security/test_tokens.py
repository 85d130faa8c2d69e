"""A revoked token stays refused, whatever takes its place.

ticd frees a revoked token and gives its slot to the next one made (the
soak found revoked tokens kept in memory for ever).  Pass rule: after
tokens are made and revoked in every order, each revoked secret answers
401 at once and after a reload; each live one keeps exactly its own role
and scope (a reused slot never hands a new token's rights to an old
secret, nor the other way round).
"""
import signal

from support import registered


def test_revoked_stays_refused_when_slots_are_reused(ticd):
    ticd.record(registered("c1", unit="u1"))
    ticd.record(registered("c2", unit="u2"))
    live, dead = {}, {}
    for round_ in range(3):
        made = [ticd.new_token("centre", "c1"),
                ticd.new_token("unit", "u2"),
                ticd.new_token("centre", "c2")]
        for i, m in enumerate(made):
            live[m["token"]] = m
        # Revoke the middle one and one made earlier.
        for m in (made[1],) + ((made[0],) if round_ % 2 else ()):
            assert ticd.delete("/api/v1/tokens/%d" % m["id"]).status == 200
            dead[m["token"]] = live.pop(m["token"])
    for check in ("now", "after reload"):
        for secret in dead:
            r = ticd.get("/api/v1/centres", token=secret)
            assert r.status == 401, (check, r)
        for secret, m in live.items():
            r = ticd.get("/api/v1/centres", token=secret)
            assert r.status == 200, (check, r)
            seen = sorted(c["id"] for c in r.json()["centres"])
            want = {"c1": ["c1"], "c2": ["c2"], "u2": ["c2"]}[m["scope"]]
            assert seen == want, (check, m, seen)
        mark = ticd.log_size()
        ticd.send(signal.SIGHUP)
        ticd.wait_log("reloaded", offset=mark)
