#!/usr/bin/python3
"""make valgrind's end-to-end part: one ticd session under valgrind.

ticd -T makes a token, ticd starts with the demo journal imported, then
every route is asked with every role (reads, events accepted and refused,
a retraction, tokens and contacts made and removed, malformed requests, a
body over the limit), the configuration is reloaded (SIGHUP) and ticd is
stopped with SIGTERM.  $VALGRIND is the valgrind command line (the
Makefile's, with --error-exitcode=99 and definite leaks as errors).

Pass rule: both runs exit 0, so valgrind found no error and no definite
leak; its summary lines are printed.
"""
import argparse
import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from support import REPO, free_port, http_request, env_scrubbed  # noqa


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ticd", required=True)
    args = ap.parse_args()
    vg = shlex.split(os.environ.get("VALGRIND", "valgrind"))
    work = Path(tempfile.mkdtemp(prefix="ticd-valgrind-"))
    port = free_port()
    conf = work / "ticd.conf"
    conf.write_text("[ticd]\nlisten = 127.0.0.1:%d\ndatabase = %s\n"
                    "log_level = debug\nmax_body = 4096\n"
                    % (port, work / "ticd.db"))
    env = env_scrubbed()
    failed = 0
    vlog1 = work / "valgrind-T.log"
    p = subprocess.run(vg + ["--log-file=%s" % vlog1, args.ticd, "-c",
                             str(conf), "-T"], capture_output=True,
                       env=env, timeout=300)
    token = p.stdout.decode().strip()
    print("ticd -T under valgrind: exit %d" % p.returncode)
    failed += p.returncode != 0
    vlog2 = work / "valgrind-ticd.log"
    log = open(work / "ticd.log", "ab")
    proc = subprocess.Popen(vg + ["--log-file=%s" % vlog2, args.ticd, "-c",
                                  str(conf), "-i",
                                  str(REPO / "conf/demo/journal.jsonl")],
                            stdout=log, stderr=log, env=env)
    url = "http://127.0.0.1:%d" % port
    deadline = time.monotonic() + 120
    while True:
        try:
            if http_request(url + "/healthz", timeout=5).status == 200:
                break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            print((work / "ticd.log").read_text()[-3000:])
            print("ticd did not start under valgrind")
            return 1
        time.sleep(0.2)

    def call(method, path, body=None, tok=token, want=None):
        r = http_request(url + path, method, body, tok, timeout=60)
        if want is not None and r.status != want:
            raise AssertionError("%s %s: %d, wanted %d: %r" % (
                method, path, r.status, want, r))
        return r

    today = call("GET", "/healthz", tok=None, want=200).json()["today"]
    unit = call("POST", "/api/v1/tokens", {"role": "unit",
                "scope": "城区科技局"}, want=201).json()
    centre = call("POST", "/api/v1/tokens", {"role": "centre",
                  "scope": "yq-001"}, want=201).json()
    for tok in (token, unit["token"], centre["token"]):
        for path in ("/api/v1/obligations", "/api/v1/obligations?state=open,"
                     "overdue&until=2028-01-01", "/api/v1/centres",
                     "/api/v1/centres/yq-001", "/api/v1/events",
                     "/api/v1/events?centre=yq-001", "/api/v1/contacts"):
            call("GET", path, tok=tok)
    call("GET", "/metrics", tok=None, want=200)
    call("GET", "/api/v1/tokens", want=200)
    ev = call("POST", "/api/v1/events", {"type": "expert_meeting_held",
              "date": today, "centre": "yq-001"}, want=201).json()
    call("POST", "/api/v1/events", {"type": "retracted", "date": today,
         "event": ev["id"], "reason": "valgrind"}, want=201)
    call("POST", "/api/v1/events", {"type": "expert_meeting_held",
         "date": today, "centre": "yq-001"}, tok=unit["token"], want=201)
    call("POST", "/api/v1/events", {"type": "no_such"}, want=422)
    call("POST", "/api/v1/events", b"{broken", want=400)
    call("POST", "/api/v1/events", b"[" * 5000, want=None)
    call("POST", "/api/v1/events", {"type": "recognized", "date": today,
         "centre": "yq-001"}, tok=centre["token"], want=403)
    c = call("POST", "/api/v1/contacts", {"kind": "centre", "scope":
             "yq-001", "email": "a@b.cn", "name": "张三"}, want=201).json()
    call("DELETE", "/api/v1/contacts/%d" % c["id"], want=200)
    call("DELETE", "/api/v1/tokens/%d" % centre["id"], want=200)
    call("GET", "/api/v1/centres", tok=centre["token"], want=401)
    call("GET", "/api/v1/obligations?due_from=2026-13-01", want=400)
    call("PATCH", "/api/v1/centres", want=405)
    call("GET", "/nowhere", want=404)
    proc.send_signal(signal.SIGHUP)
    time.sleep(2)
    call("GET", "/api/v1/centres", want=200)
    proc.send_signal(signal.SIGTERM)
    rc = proc.wait(timeout=300)
    print("ticd under valgrind: exit %d" % rc)
    failed += rc != 0
    for vlog in (vlog1, vlog2):
        text = vlog.read_text()
        lines = [l for l in text.splitlines() if "ERROR SUMMARY" in l or
                 "definitely lost" in l or "indirectly lost" in l or
                 "possibly lost" in l]
        print("%s:\n  %s" % (vlog.name, "\n  ".join(lines) or
                             "(quiet: no error, no definite leak)"))
        if rc != 0 or "Invalid" in text or "uninitialised" in text:
            print(text[-5000:])
    print("valgrind session: %d passed, %d failed"
          % (2 - failed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
