"""The API (and the feeds, served by the same listener) are on loopback
unless configured otherwise.

Pass rule: a ticd.conf without "listen" binds 127.0.0.1:8470 (or, if
another process holds that port here, fails naming 127.0.0.1:8470) and
nothing on another address; the shipped example ticd.conf and make run's
configuration say 127.0.0.1; the systemd unit allows only localhost.
"""
import re
import subprocess
import time

from support import REPO, TICD, env_scrubbed


def listeners(pid):
    """Addresses the process listens on, from ss."""
    p = subprocess.run(["ss", "-Hltnp"], capture_output=True, timeout=10)
    out = []
    for line in p.stdout.decode().splitlines():
        if "pid=%d," % pid in line:
            out.append(line.split()[3])
    return out


def test_default_listen_is_loopback(tmp_path):
    conf = tmp_path / "ticd.conf"
    conf.write_text("[ticd]\ndatabase = %s\n" % (tmp_path / "ticd.db"))
    log = tmp_path / "ticd.log"
    with open(log, "ab") as out:
        proc = subprocess.Popen([TICD, "-c", str(conf)], stdout=out,
                                stderr=out, env=env_scrubbed())
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            text = log.read_text()
            if "listening on" in text or "cannot listen" in text:
                break
            time.sleep(0.05)
        text = log.read_text()
        if "cannot listen" in text:
            assert "cannot listen on 127.0.0.1:8470" in text, text
            return
        assert "listening on 127.0.0.1:8470" in text, text
        found = listeners(proc.pid)
        assert found == ["127.0.0.1:8470"], found
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_shipped_configurations_say_loopback():
    conf = (REPO / "conf" / "ticd.conf").read_text()
    listen = re.findall(r"^\s*#?\s*listen\s*=\s*(\S+)", conf, re.M)
    assert listen and all(v.startswith("127.0.0.1:") for v in listen), listen
    mk = (REPO / "Makefile").read_text()
    assert "listen = 127.0.0.1:$(PORT)" in mk
    # The unit itself lets reminders out (a relay, robots on the internet):
    # an IPAddressDeny=any there refused every one; who connects in is
    # listen's business.
    unit = (REPO / "conf" / "systemd" / "ticd.service").read_text()
    active = [line.strip() for line in unit.splitlines()
              if not line.lstrip().startswith("#")]
    assert not [line for line in active if line.startswith("IPAddress")], \
        active
