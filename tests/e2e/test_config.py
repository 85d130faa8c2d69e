"""
The configuration: ticd -n checks it (every error as file:line), SIGHUP
re-reads it, keeping the old one when the new one is broken.
"""
import json
import re
import signal
import subprocess

from conftest import REPO, TICD, free_port, post_demo, ticctl_plan


def check(conf):
    p = subprocess.run([TICD, "-n", "-c", str(conf)], capture_output=True,
                       timeout=30)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def test_check_good_configuration(ticd_factory):
    t = ticd_factory()
    rc, out, err = check(t.conf)
    assert (rc, out) == (0, "configuration OK\n"), err
    # The shipped example, every setting at its default, is good too.
    rc, out, err = check(REPO / "conf" / "ticd.conf")
    assert (rc, out) == (0, "configuration OK\n"), err


def ticd_conf_examples():
    """The ticd.conf examples of the docs (```ini blocks beginning with a
    section of ticd.conf): (file:line, text)."""
    sections = re.compile(r"\[(ticd|mail|webhooks|remind(\.[a-z_]+)?)\]")
    out = []
    for doc in ("docs/operations.md", "docs/reminders.md",
                "docs/webhooks.md", "README.md"):
        text = (REPO / doc).read_text(encoding="utf-8")
        for m in re.finditer(r"```ini\n(.*?)```", text, re.S):
            first = [x for x in m.group(1).splitlines()
                     if x.strip() and not x.lstrip().startswith("#")]
            if first and sections.fullmatch(first[0].strip()):
                out.append(("%s:%d" % (doc, text.count("\n", 0, m.start())
                                       + 2), m.group(1)))
    return out


def test_the_docs_configuration_examples_pass_the_check(ticd_factory):
    """What an admin copies from the docs into ticd.conf is taken (a
    comment after a value is part of the value in ticd.conf: the mail
    example of operations.md was refused)."""
    t = ticd_factory()
    secret = t.dir / "secret"
    secret.write_text("s3cret\n")
    examples = ticd_conf_examples()
    assert len(examples) >= 3, examples
    for where, text in examples:
        conf = t.dir / "example.conf"
        conf.write_text(t.conf.read_text(encoding="utf-8") + "\n" +
                        re.sub(r"/run/credentials/\S+", str(secret), text),
                        encoding="utf-8")
        rc, out, err = check(conf)
        assert (rc, out) == (0, "configuration OK\n"), (where, err)


def test_an_unreadable_mail_password_fails_the_check_and_the_start(
        ticd_factory):
    """ticd -n passed a password_file it cannot read, and ticd then said
    "ready" to systemd and exited once the journal had loaded (a restart
    loop under the unit).  Now both refuse, naming the setting."""
    t = ticd_factory()
    t.write_conf(extra="[mail]\nsmtp_url = smtp://127.0.0.1:9\n"
                 "password_file = %s/no-such-pw\n" % t.dir)
    rc, out, err = check(t.conf)
    assert rc == 1 and out == "", (out, err)
    assert err.startswith("[mail] password_file: %s/no-such-pw: " % t.dir)
    assert "LoadCredential=" in err, err
    t.start(wait=False)
    assert t.proc.wait(timeout=30) == 1
    log = t.log_text()
    assert "[mail] password_file" in log and " ready" not in log, log
    # -T makes a token whatever the mail settings: they are not its own.
    p = subprocess.run([TICD, "-c", str(t.conf), "-T"], capture_output=True,
                       timeout=30)
    assert p.returncode == 0 and p.stdout.startswith(b"tic_"), p
    # A credential (LoadCredential=) exists only while the service runs:
    # ticd -n beside it says it did not read it, and passes.
    t.write_conf(extra="[mail]\nsmtp_url = smtp://127.0.0.1:9\n"
                 "password_file = /run/credentials/ticd.service/smtp\n")
    rc, out, err = check(t.conf)
    assert (rc, out) == (0, "configuration OK\n"), err
    assert "credential the service has while it runs: not read" in err, err


def test_debug_logging_asked_with_d_survives_a_reload(ticd_factory):
    """ticd -d logs debug lines whatever log_level says, after a reload
    too (the reload set the level from the file)."""
    t = ticd_factory()
    t.token = t.make_token()
    t.start(extra_args=["-d"])
    t.record({"type": "registered", "date": "2026-01-05", "centre": "d1",
              "name": "调试中心", "unit": "城区科技局"})
    t.wait_log("committed 1 event(s)")
    mark = t.log_size()
    t.send(signal.SIGHUP)
    t.wait_log("reloaded", mark)
    t.record({"type": "registered", "date": "2026-01-05", "centre": "d2",
              "name": "调试中心二", "unit": "城区科技局"})
    t.wait_log("committed 1 event(s)", mark)


def test_options_people_try_and_those_that_do_not_go_together():
    """ticd --help said "no option --"; -T -F made a feed only, and -n
    with -T or -i checked and ignored the rest, without a word."""
    p = subprocess.run([TICD, "--help"], capture_output=True, timeout=30)
    assert p.returncode == 0 and p.stdout.startswith("用法 / usage: ticd"
                                                     .encode()), p
    p = subprocess.run([TICD, "--version"], capture_output=True, timeout=30)
    assert p.returncode == 0 and p.stdout.startswith(b"ticd "), p
    for args, says in ((["-T", "-F"], "-T and -F go one at a time"),
                       (["-n", "-T"], "without -T, -F or -i"),
                       (["-n", "-i", "/dev/null"], "without -T, -F or -i")):
        p = subprocess.run([TICD, "-c", "/nonexistent.conf"] + args,
                           capture_output=True, timeout=30)
        assert p.returncode == 2 and says in p.stderr.decode(), (args, p)


def test_check_reports_every_error_with_its_line(ticd_factory):
    t = ticd_factory()
    conf = t.dir / "broken.conf"
    conf.write_text("# a comment\n"                        # 1
                    "[ticd]\n"                             # 2
                    "listen = 127.0.0.1:99999\n"           # 3
                    "this line is not a setting\n"         # 4
                    "max_body = 12\n"                      # 5
                    "log_level = loud\n"                   # 6
                    "colour = blue\n"                      # 7
                    "database = relative/ticd.db\n"        # 8
                    "public_url =\n"                       # 9 (fine)
                    "synchronous = sometimes\n"            # 10
                    # 11: fine from this directory, not from systemd's /
                    "holidays = /etc/ticd/a.tsv b.tsv\n",
                    encoding="utf-8")
    rc, out, err = check(conf)
    assert rc == 1
    assert "configuration OK" not in out + err
    lines = err.splitlines()
    want = {3: "must be 1-65535", 4: "expected name = value",
            5: "12 is outside 1024-16777216", 6: '"loud" must be one of',
            7: 'unknown setting "colour"', 8: "must be an absolute path",
            10: '"sometimes" must be one of full|normal',
            11: '"b.tsv" must be an absolute path'}
    assert len(lines) == len(want), err
    for (n, what), line in zip(sorted(want.items()), lines):
        assert line.startswith("%s:%d: " % (conf, n)), err
        assert what in line, line


def test_check_missing_holiday_table(ticd_factory):
    t = ticd_factory()
    conf = t.dir / "holidays.conf"
    conf.write_text("[ticd]\nholidays = %s/no-such.tsv\n" % t.dir,
                    encoding="utf-8")
    rc, out, err = check(conf)
    assert rc == 1 and out == ""
    assert "%s/no-such.tsv" % t.dir in err
    # Every data file that does not load at once, under its key.
    conf.write_text("[ticd]\nholidays = %s/a.tsv %s/b.tsv\nrules = %s/r.ini\n"
                    % (t.dir, t.dir, t.dir), encoding="utf-8")
    rc, out, err = check(conf)
    assert rc == 1 and out == ""
    assert err.splitlines() == [
        "holidays: %s/a.tsv: 无法打开 / cannot open: No such file or "
        "directory" % t.dir,
        "holidays: %s/b.tsv: 无法打开 / cannot open: No such file or "
        "directory" % t.dir,
        "rules: %s/r.ini: 无法打开 / cannot open: No such file or directory"
        % t.dir], err
    # ...with an unreadable password file too: both said (it stopped at
    # the password's).
    conf.write_text("[ticd]\nholidays = %s/a.tsv\n[mail]\nsmtp_url = "
                    "smtp://127.0.0.1:25\npassword_file = %s/no-such-pw\n"
                    % (t.dir, t.dir), encoding="utf-8")
    rc, out, err = check(conf)
    assert rc == 1 and out == ""
    assert "[mail] password_file: %s/no-such-pw" % t.dir in err, err
    assert "holidays: %s/a.tsv: 无法打开" % t.dir in err, err


def big_event(i, size):
    """A registration whose body is about size bytes."""
    ev = {"type": "registered", "date": "2026-01-05", "centre": "big-%d" % i,
          "name": "n", "unit": "城区科技局", "note": ""}
    base = len(json.dumps(ev, ensure_ascii=False).encode("utf-8"))
    ev["note"] = "x" * (size - base)
    return ev


def test_sighup_broken_keeps_old_good_takes_effect(ticd):
    # max_body is 2048 in the harness's configuration.
    r = ticd.post("/api/v1/events", big_event(1, 3000))
    assert r.status == 413, r
    assert ticd.count() == 0

    # A broken file: a bad line beside a change.  The old configuration
    # stays, and ticd keeps answering.
    good = ticd.conf_text(max_body=8192)
    ticd.write_conf(good + "this line is not a setting\n")
    assert check(ticd.conf)[0] == 1
    mark = ticd.log_size()
    ticd.send(signal.SIGHUP)
    ticd.wait_log("reload failed", mark)
    assert re.search(r"%s:\d+: " % re.escape(str(ticd.conf)),
                     ticd.log_text(mark)), ticd.log_text(mark)
    assert ticd.healthz()["status"] == "ok"
    assert ticd.post("/api/v1/events", big_event(2, 3000)).status == 413
    assert ticd.events() == []
    ev = ticd.record(big_event(3, 1500))

    # The same change, now well written: it takes effect on SIGHUP.
    ticd.write_conf(good)
    # And a token made beside the running daemon is read with it.
    late = ticd.make_token()
    mark = ticd.log_size()
    ticd.send(signal.SIGHUP)
    ticd.wait_log("reloaded", mark)
    r = ticd.post("/api/v1/events", big_event(4, 3000))
    assert r.status == 201, r
    assert [e["event"]["centre"] for e in ticd.events()] == [ev["centre"],
                                                             "big-4"]
    assert ticd.post("/api/v1/events", big_event(5, 9000)).status == 413
    assert ticd.get("/api/v1/centres", token=late).status == 200
    # Still the same process, still answering.
    assert ticd.running()
    assert ticd.count() == 2


def test_sighup_loads_a_new_holiday_table(ticd, tmp_path):
    """Once 2027's schedule is published: a table loaded on SIGHUP makes
    provisional dates final and moves those it changes, as ticctl does
    with --holidays."""
    journal = tmp_path / "journal.jsonl"
    post_demo(ticd, journal)
    today = ticd.today()
    before = ticd.obligations()["obligations"]
    assert before == ticctl_plan(journal, today)
    table = tmp_path / "cn-holidays-2027.tsv"
    table.write_text("date\tkind\tname\n"
                     "2026-12-14\tholiday\t测试（虚构）\n"
                     "2027-01-01\tholiday\t元旦\n", encoding="utf-8")
    want = ticctl_plan(journal, today, holidays=[table])
    assert want != before

    # A table that does not exist: the reload fails, nothing changes.
    ticd.write_conf(extra="holidays = %s/missing.tsv\n" % tmp_path)
    mark = ticd.log_size()
    ticd.send(signal.SIGHUP)
    ticd.wait_log("reload failed", mark)
    assert "missing.tsv" in ticd.log_text(mark)
    assert ticd.obligations()["obligations"] == before

    ticd.write_conf(extra="holidays = %s\n" % table)
    assert check(ticd.conf)[0] == 0
    mark = ticd.log_size()
    ticd.send(signal.SIGHUP)
    ticd.wait_log("reloaded", mark)
    assert ticd.obligations()["obligations"] == want
    # It lasts across a restart, the table being in the configuration.
    ticd.restart()
    assert ticd.obligations()["obligations"] == want


def test_start_failures_say_their_cause(ticd_factory, tmp_path):
    """What stops ticd at start names the system's reason, so the admin
    knows what to fix: a port another process holds, a store in a
    directory that does not exist, a journal to import that is not
    there."""
    import socket
    t = ticd_factory()
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen()
    port = held.getsockname()[1]
    cases = [
        ("listen = 127.0.0.1:%d\ndatabase = %s/a.db\n" % (port, tmp_path),
         [], "无法监听 / cannot listen on 127.0.0.1:%d: Address already in "
         "use" % port),
        ("listen = 127.0.0.1:%d\ndatabase = %s/nodir/a.db\n"
         % (free_port(), tmp_path), [],
         "%s/nodir/a.db: unable to open database file: No such file or "
         "directory" % tmp_path),
        ("listen = 127.0.0.1:%d\ndatabase = %s/b.db\n"
         % (free_port(), tmp_path), ["-i", "%s/none.jsonl" % tmp_path],
         "%s/none.jsonl: 无法打开 / cannot open: No such file or directory"
         % tmp_path),
    ]
    try:
        for text, args, want in cases:
            conf = tmp_path / "start.conf"
            conf.write_text("[ticd]\n" + text, encoding="utf-8")
            p = subprocess.run([TICD, "-c", str(conf)] + args,
                               capture_output=True, timeout=30,
                               env=t.env(None))
            assert p.returncode == 1, p
            assert want in p.stderr.decode(), p.stderr.decode()
        # The journal did not load: no store is left behind either, so
        # the next start (the file mended) imports it.
        assert sorted(x.name for x in tmp_path.iterdir()
                      if x.name.startswith("b.db")) == []
    finally:
        held.close()


def test_failed_import_leaves_no_store(ticd_factory, tmp_path):
    """A journal that does not load stops ticd without a store made
    for it (an empty store would be kept by the next start and the
    journal never imported); a store that was there stays as it was."""
    t = ticd_factory()
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"type":"registered","date":"2025-01-02",'
                   '"centre":"yq-1","name":"甲","unit":"u"}\n'
                   '{"type":"nonsense","date":"2025-01-03"}\n',
                   encoding="utf-8")
    conf = tmp_path / "start.conf"
    conf.write_text("[ticd]\nlisten = 127.0.0.1:%d\ndatabase = %s/c.db\n"
                    % (free_port(), tmp_path), encoding="utf-8")
    p = subprocess.run([TICD, "-c", str(conf), "-i", str(bad)],
                       capture_output=True, timeout=30, env=t.env(None))
    assert p.returncode == 1, p
    assert "%s:2:" % bad in p.stderr.decode(), p.stderr.decode()
    assert not any(x.name.startswith("c.db") for x in tmp_path.iterdir())
    # A store that was there (empty: it imports only into an empty one)
    # is not the import's to take away: its tokens still open it.
    t.token = t.make_token()
    t.start()
    r = t.get("/api/v1/events")
    assert r.status == 200 and r.json()["events"] == [], r
    assert t.stop() == 0
    p = subprocess.run([TICD, "-c", str(t.conf), "-i", str(bad)],
                       capture_output=True, timeout=30, env=t.env(None))
    assert p.returncode == 1, p
    t.start()
    assert t.get("/api/v1/events").status == 200


def test_check_missing_file(ticd_factory):
    t = ticd_factory()
    rc, out, err = check(t.dir / "nowhere.conf")
    assert rc == 1 and out == ""
    assert "%s/nowhere.conf" % t.dir in err


def test_sighup_leaves_restart_settings_for_a_restart(ticd):
    """listen is marked (restart): SIGHUP keeps the old address while
    applying the reloadable settings of the same file."""
    old_port = ticd.port
    new_port = free_port()
    ticd.port = new_port
    ticd.write_conf(max_body=8192)
    ticd.port = old_port
    mark = ticd.log_size()
    ticd.send(signal.SIGHUP)
    ticd.wait_log("reloaded", mark)
    # The log says which, and what stays in force.
    assert 'listen changes only on a restart: "127.0.0.1:%d" stays in ' \
        'force until then, not "127.0.0.1:%d"' % (old_port, new_port) in \
        ticd.log_text(mark), ticd.log_text(mark)
    assert ticd.healthz()["status"] == "ok"
    ticd.record(big_event(1, 3000))		# max_body took effect
    # The new address is taken on a restart.
    assert ticd.stop() == 0
    ticd.port = new_port
    assert ticd.start()["events"] == 1
