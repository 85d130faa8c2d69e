"""
ticctl as ticd's HTTP client (issue 3, item 5): what each remote command
prints against the real ticd, compared with the API's own replies and
with ticctl plan offline; where the URL and token come from; the exit
statuses (0 ok, 1 refused or failed, 2 usage); and that no message ever
shows the token.
"""
import datetime
import json
import os
import re
import subprocess

import pytest

from conftest import DEMO_JOURNAL, TICCTL, TICD, free_port, post_demo, q

COMMANDS = ["centres", "centre", "record", "obligations", "upcoming",
            "tokens", "contacts"]


def _has_remote_commands():
    try:
        p = subprocess.run([TICCTL, "--help"], capture_output=True,
                           timeout=30)
    except OSError:
        return False
    return b"  centres " in p.stdout


pytestmark = pytest.mark.skipif(
    not _has_remote_commands(),
    reason="this ticctl is built without ctl/client.c and ctl/remote.c")


class Run:
    def __init__(self, p):
        self.rc = p.returncode
        self.out = p.stdout.decode("utf-8")
        self.err = p.stderr.decode("utf-8")

    def json(self):
        return json.loads(self.out)

    def __repr__(self):
        return "<rc %d\nstdout: %s\nstderr: %s>" % (self.rc, self.out[:2000],
                                                    self.err[:2000])


def ticctl(args, env=None, home=None, stdin=None):
    """ticctl with nothing of the caller's environment that could point it
    elsewhere: only what env gives, HOME an empty directory."""
    e = {k: v for k, v in os.environ.items()
         if k not in ("TICD_URL", "TICD_TOKEN", "TICCTL_CONFIG", "HOME")
         and "proxy" not in k.lower()}
    e["HOME"] = str(home) if home else "/nonexistent"
    e.update(env or {})
    p = subprocess.run([TICCTL] + list(args), capture_output=True,
                       timeout=120, env=e,
                       input=stdin.encode("utf-8") if stdin else None)
    r = Run(p)
    # Under make check's ASan build a sanitizer report is a failure even
    # where the test expects exit status 1.
    assert "Sanitizer" not in r.err and "runtime error:" not in r.err, r
    return r


@pytest.fixture
def demo(ticd, tmp_path):
    """The demo journal posted; ticctl pointed at this ticd by env."""
    ticd.journal = tmp_path / "journal.jsonl"
    post_demo(ticd, ticd.journal)
    ticd.env = {"TICD_URL": ticd.url(""), "TICD_TOKEN": ticd.token}
    return ticd


def run(t, *args, **kw):
    return ticctl(args, env=t.env, **kw)


# ---- help and usage ----

@pytest.mark.parametrize("cmd", COMMANDS)
def test_help_exits_0_in_chinese_and_english(cmd):
    r = ticctl([cmd, "--help"])
    assert r.rc == 0, r
    assert r.out.startswith("用法 / usage: ticctl " + cmd[:6]), r
    assert "--url" in r.out and "--token-file" in r.out and r.err == ""


def test_the_version_is_told_by_both_programs_and_the_start_log(
        ticd_factory):
    """An admin asks which build runs: ticd -V, ticctl --version (or -V)
    and ticd's "ready" line say the same version and commit."""
    mine = subprocess.run([TICD, "-V"], capture_output=True, timeout=30)
    assert mine.returncode == 0 and mine.stderr == b"", mine
    m = re.fullmatch(r"ticd (\d+\.\d+[^ ]* \([^)]+\))\n",
                     mine.stdout.decode())
    assert m, mine.stdout
    for flag in ("--version", "-V"):
        r = ticctl([flag])
        assert r.rc == 0 and r.out == "ticctl %s\n" % m.group(1), r
    t = ticd_factory.started()
    assert "ticd %s ready" % m.group(1) in t.log_text(), t.log_text()


def test_a_missed_preview_from_a_day_off_is_sent_on_the_next_working_day():
    """ticd sends what it missed at send_time on a working day only: the
    preview from Saturday 2026-12-12 dated the late messages that Saturday
    (with counts from it), when ticd sends them on Monday the 14th."""
    p = subprocess.run([TICCTL, "reminders", "--as-of", "2026-12-12",
                        "--days", "3", "--missed-from", "2026-12-02",
                        "--json", str(DEMO_JOURNAL)],
                       capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert "is not a working day: ticd sends the missed reminders on the " \
        "next one, 2026-12-14" in p.stderr.decode(), p.stderr
    late = [json.loads(line) for line in p.stdout.decode().splitlines()
            if json.loads(line)["late"] or json.loads(line)["catch_up"]]
    assert late and {m["day"] for m in late} == {"2026-12-14"}, late
    assert all("4天后到期" in m["subject"] for m in late
               if "2026-12-18" in m["subject"]), late


def test_a_provisional_warning_names_the_years_loaded(tmp_path):
    """History from before the shipped tables (2023) is provisional because
    its year is missing: the warning says which years are loaded and to
    load the missing ones (it said "through 2026" and to load next year's);
    a date in 2027 keeps the warning about next year's schedule."""
    early = tmp_path / "early.jsonl"
    early.write_text(
        '{"type":"registered","date":"2023-01-05","centre":"h1",'
        '"unit":"U","name":"N"}\n'
        '{"type":"publicity_started","date":"2023-09-28","centre":"h1"}\n',
        encoding="utf-8")
    r = ticctl(["plan", "--as-of", "2024-06-01", "--until", "2024-12-31",
                str(early)])
    assert r.rc == 0, r
    assert "已加载的放假安排为 2024 年至 2026 年" in r.err, r.err
    assert "load the missing years with --holidays" in r.err, r.err
    r = ticctl(["plan", "--as-of", "2026-12-20", str(DEMO_JOURNAL)])
    assert r.rc == 0, r
    assert "已加载的放假安排只到 2026 年" in r.err, r.err


def test_plan_explain_in_a_table_prints_the_derivations():
    """--explain with --format table printed the table alone, dropping
    the derivations without a word."""
    p = subprocess.run([TICCTL, "plan", "--as-of", "2026-12-01", "--explain",
                        "--format", "table", str(DEMO_JOURNAL)],
                       capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    out = p.stdout.decode()
    table, _, notes = out.partition("推算过程 / how each date was counted:")
    assert "yq-002/director_age/1975-03-09\n  【第九条第（三）项】" in notes
    assert "至61周岁生日的前一日2036-03-08止" in notes, notes
    assert "到期日" in table or "due" in table, table


def test_a_usage_mistake_keeps_its_reason_in_sight():
    """The reason, the command's synopsis and where its options are: the
    whole help (25-45 lines) scrolled the reason away."""
    r = ticctl(["tokens", "revoke", "abc"])
    assert r.rc == 2 and r.out == "", r
    lines = r.err.splitlines()
    assert "an id is a positive integer" in lines[0], r.err
    assert lines[1].startswith("用法 / usage: ticctl tokens"), r.err
    assert lines[-1] == "（ticctl tokens --help 列出全部选项 / lists " \
        "every option）", r.err
    assert len(lines) < 8 and "吊销令牌" not in r.err, r.err


def test_option_mistakes_are_said_in_chinese_and_english():
    """getopt's own complaints are English and name the command alone
    ("plan: option '--as-of' requires an argument")."""
    env = {"TICD_URL": "http://127.0.0.1:1", "TICD_TOKEN": "tic_x"}
    for args, want in (
            (["plan", "--as-of"], "ticctl plan: 选项 --as-of 需要一个值 / "
             "option --as-of needs a value"),
            (["record", "--bogus=1"], "ticctl record: 没有选项 --bogus / no "
             "option --bogus"),
            (["obligations", "-x"], "ticctl obligations: 没有选项 -x / no "
             "option -x")):
        r = ticctl(args, env=env)
        assert r.rc == 2 and r.err.splitlines()[0] == want, r
    p = subprocess.run([TICD, "-x"], capture_output=True, timeout=30)
    assert p.returncode == 2
    assert p.stderr.decode().splitlines()[0] == "ticd: 没有选项 -x / no " \
        "option -x", p.stderr


@pytest.mark.parametrize("args", [
    ["centres", "extra"], ["centre"], ["obligations", "--state", "soon"],
    ["obligations", "--from", "2026-02-30"], ["obligations", "--rule", "x"],
    ["upcoming", "--days", "-1"], ["tokens", "create", "unit"],
    ["tokens", "create", "bureau", "scope"], ["tokens", "revoke", "x"],
    ["tokens", "frob"], ["contacts", "add", "centre", "a@example.cn"],
    ["contacts", "remove"], ["centres", "--token", "a", "--token-file", "b"],
    ["record", "a", "b"], ["deliveries", "--state", "bogus"],
    ["deliveries", "--limit", "0"], ["deliveries", "--limit", "10001"],
    ["centres", "--url", "127.0.0.1:8470"]])
def test_bad_usage_exits_2_before_any_request(args):
    r = ticctl(args, env={"TICD_URL": "http://127.0.0.1:1",
                          "TICD_TOKEN": "tic_x"})
    assert r.rc == 2, r
    assert "cannot reach" not in r.err


# ---- reading ----

def test_centres_json_is_the_api_reply(demo):
    r = run(demo, "centres", "--json")
    assert r.rc == 0, r
    assert r.json() == demo.get("/api/v1/centres").json()


def test_centres_table(demo):
    r = run(demo, "centres")
    assert r.rc == 0, r
    lines = r.out.splitlines()
    assert lines[0].split() == ["编号", "名称", "组织管理单位", "状态",
                                "起始日", "登记日", "备注"]
    centres = demo.get("/api/v1/centres").json()["centres"]
    for c in centres:
        assert any(line.startswith(c["id"] + " ") and c["name"] in line
                   and c["state_cn"] in line for line in lines), c
    assert lines[-1] == "共 %d 个中心，截至 %s。" % (len(centres),
                                                   demo.today())
    # yq-007, revoked 2026-03-16: banned through 2029-03-16 (Art. 16).
    row = [line for line in lines if line.startswith("yq-007 ")]
    assert len(row) == 1 and row[0].endswith(
        "禁止申报至 2029-03-16，2029-03-17 起可申报"), row


def test_obligations_table_equals_ticctl_plan_table(demo):
    """The remote table is the offline one: same rows, days left counted
    from ticd's as_of, centre names from ticd."""
    r = run(demo, "obligations")
    assert r.rc == 0, r
    p = subprocess.run([TICCTL, "plan", "--as-of", demo.today(), "--format",
                        "table", str(demo.journal)], capture_output=True,
                       timeout=60)
    assert p.returncode == 0
    assert r.out == p.stdout.decode("utf-8")
    assert r.out.splitlines()[0].split()[:3] == ["到期日", "剩余", "状态"]


@pytest.mark.parametrize("args, query", [
    (["--centre", "yq-001"], "centre=yq-001"),
    (["--unit", "城区科技局"], "unit=" + q("城区科技局")),
    (["--rule", "evaluation"], "rule=evaluation"),
    (["--state", "open", "--state", "overdue"], "state=open,overdue"),
    (["--from", "2026-01-01", "--to", "2026-12-31"],
     "due_from=2026-01-01&due_to=2026-12-31"),
])
def test_obligations_json_filters(demo, args, query):
    r = run(demo, "obligations", "--json", *args)
    assert r.rc == 0, r
    assert r.json() == demo.obligations(query="?" + query)


def test_centre_shows_card_and_obligations(demo):
    r = run(demo, "centre", "yq-001")
    assert r.rc == 0, r
    assert "yq-001" in r.out.splitlines()[0]
    mine = demo.obligations(query="?centre=yq-001")["obligations"]
    assert "共 %d 项义务" % len(mine) in r.out
    j = run(demo, "centre", "yq-001", "--json")
    assert j.json() == demo.get("/api/v1/centres/yq-001").json()


def test_centre_unknown_is_the_servers_404(demo):
    r = run(demo, "centre", "no-such")
    assert r.rc == 1 and r.out == "", r
    want = demo.get("/api/v1/centres/no-such").message
    assert r.err == "ticctl centre: %s（或不在令牌的范围内 / or outside " \
        "the token's scope）\n" % want


def test_upcoming_overdue_first_within_days(demo):
    r = run(demo, "upcoming", "--days", "30", "--json")
    assert r.rc == 0, r
    got = r.json()
    api = demo.obligations(query="?state=open,overdue")
    horizon = (datetime.date.fromisoformat(api["as_of"]) +
               datetime.timedelta(days=30)).isoformat()
    want = [o for o in api["obligations"] if o["due"] <= horizon]
    want = [o for o in want if o["state"] == "overdue"] + \
        [o for o in want if o["state"] != "overdue"]
    assert got["obligations"] == want and want
    table = run(demo, "upcoming")
    assert table.rc == 0 and "共 %d 项义务" % len(want) in table.out


# ---- writing ----

def test_record_file_prints_ids_and_stops_at_a_refusal(demo, tmp_path):
    before = demo.count()
    f = tmp_path / "new.jsonl"
    f.write_text(
        "# two good events, then one ticd refuses, then one never sent\n"
        '{"type":"expert_meeting_held","date":"%s","centre":"yq-001"}\n'
        "\n"
        '{"type":"expert_meeting_held","date":"%s","centre":"yq-001",'
        '"id":"mine-1"}\n'
        '{"type":"applied","date":"%s","centre":"no-such-centre"}\n'
        '{"type":"expert_meeting_held","date":"%s","centre":"yq-001"}\n'
        % ((demo.today(),) * 4), encoding="utf-8")
    r = run(demo, "record", str(f))
    assert r.rc == 1, r
    ids = r.out.split()
    assert len(ids) == 2 and ids[1] == "mine-1"
    refusal = demo.post("/api/v1/events", {
        "type": "applied", "date": demo.today(), "centre": "no-such-centre"})
    assert refusal.status == 422
    assert r.err.splitlines()[0] == "ticctl record: %s:5: %s" % (
        f, refusal.message)
    assert demo.count() == before + 2


def test_record_checks_every_line_before_sending(demo):
    before = demo.count()
    r = run(demo, "record", "-", stdin='{"type":"expert_meeting_held",'
            '"date":"%s","centre":"yq-001"}\n{"type": oops}\n'
            % demo.today())
    assert r.rc == 1 and r.out == "", r
    assert "stdin:2:" in r.err
    assert demo.count() == before


def test_record_inline(demo):
    r = run(demo, "record", '{"type":"expert_meeting_held","date":"%s",'
            '"centre":"yq-001"}' % demo.today())
    assert r.rc == 0, r
    assert [e["event"]["id"] for e in demo.events()][-1] == r.out.strip()


def test_record_json_prints_each_reply_as_a_line(demo):
    """--json, as ticctl(1) promises for the commands that ask ticd: a
    script gets each event's seq and recorded_at, one line an event."""
    r = run(demo, "record", "--json", "-", stdin="".join(
        '{"type":"expert_meeting_held","date":"%s","centre":"yq-00%d"}\n'
        % (demo.today(), i) for i in (1, 5)))
    assert r.rc == 0, r
    lines = [json.loads(x) for x in r.out.splitlines()]
    stored = demo.events()[-2:]
    assert [x["id"] for x in lines] == [e["event"]["id"] for e in stored]
    assert [x["seq"] for x in lines] == [e["seq"] for e in stored]
    assert [x["recorded_at"] for x in lines] == \
        [e["recorded_at"] for e in stored]
    assert [x["event"]["centre"] for x in lines] == ["yq-001", "yq-005"]


def test_tokens_create_list_revoke(demo):
    r = run(demo, "tokens", "create", "unit", "城区科技局", "--label",
            "城区 张三")
    assert r.rc == 0, r
    secret = r.out.strip()
    assert secret.startswith("tic_") and r.out == secret + "\n"
    assert "shown this once" in r.err and secret not in r.err
    listed = run(demo, "tokens", "list")
    assert listed.rc == 0 and "城区 张三" in listed.out
    assert secret not in listed.out
    tid = [t["id"] for t in demo.get("/api/v1/tokens").json()["tokens"]
           if t["label"] == "城区 张三"][0]
    unit = ticctl(["centres", "--json"], env={"TICD_URL": demo.url(""),
                                              "TICD_TOKEN": secret})
    assert unit.rc == 0, unit
    assert {c["unit"] for c in unit.json()["centres"]} == {"城区科技局"}
    assert run(demo, "tokens", "revoke", str(tid)).rc == 0
    gone = ticctl(["centres"], env={"TICD_URL": demo.url(""),
                                    "TICD_TOKEN": secret})
    assert gone.rc == 1 and "TICD_TOKEN" in gone.err, gone
    assert secret not in gone.err + gone.out


def test_contacts_add_list_remove(demo):
    r = run(demo, "contacts", "add", "centre", "yq-001", "a@example.cn",
            "--name", "李四")
    assert r.rc == 0, r
    listed = run(demo, "contacts", "--json").json()["contacts"]
    cid = [c["id"] for c in listed if c["email"] == "a@example.cn"][0]
    assert "李四" in run(demo, "contacts").out
    # The same address again, whatever its case, is refused: every
    # reminder went to it twice.
    again = run(demo, "contacts", "add", "centre", "yq-001", "A@Example.CN")
    assert again.rc == 1 and "already a contact (id %d)" % cid in again.err, \
        again
    assert len(run(demo, "contacts", "--json").json()["contacts"]) == \
        len(listed)
    assert run(demo, "contacts", "add", "bureau", "b@example.cn").rc == 0
    bad = run(demo, "contacts", "add", "unit", "城区科技局", "not an address")
    assert bad.rc == 1 and bad.err.startswith("ticctl contacts: "), bad
    assert run(demo, "contacts", "remove", str(cid)).rc == 0
    again = run(demo, "contacts", "remove", str(cid))
    assert again.rc == 1 and "not found" in again.err


def test_a_scope_no_centre_answers_to_is_kept_with_a_note(demo, tmp_path):
    """A unit may be set up before its first centre, so a token, contact
    or webhook for an unknown scope is made; but a typo would see or get
    nothing, silently: ticctl says so, and the API's reply carries it."""
    unknown = (("tokens", "create", "unit", "不存在局"),
               ("contacts", "add", "centre", "yq-999", "x@example.cn"),
               ("webhooks", "add", "centre", "yq-999",
                "http://127.0.0.1:9/in?key=k", "--format", "wecom"),
               ("feeds", "create", "--unit", "不存在局"))
    for args in unknown:
        r = run(demo, *args)
        assert r.rc == 0, r
        assert "注意 / note: " in r.err and "(yet)" in r.err, r
    for args in (("tokens", "create", "unit", "城区科技局"),
                 ("contacts", "add", "centre", "yq-001", "y@example.cn"),
                 ("contacts", "add", "bureau", "z@example.cn")):
        r = run(demo, *args)
        assert r.rc == 0 and "note" not in r.err, r
    r = demo.post("/api/v1/tokens", {"role": "centre", "scope": "yq-99"})
    assert r.status == 201 and "no centre yq-99 is registered" in \
        r.json()["warning"], r
    r = demo.post("/api/v1/tokens", {"role": "centre", "scope": "yq-001"})
    assert r.status == 201 and "warning" not in r.json(), r


def test_not_found_says_what_it_may_mean(demo):
    """ticd answers 404 alike for what does not exist and for what the
    token may not see: ticctl says which two things that can be, and for
    the bureau's own commands that they need the bureau's token."""
    r = demo.post("/api/v1/tokens", {"role": "centre", "scope": "yq-001"})
    assert r.status == 201, r
    env = dict(demo.env, TICD_TOKEN=r.json()["token"])
    for args in (["tokens"], ["deliveries"], ["redeliver", "1"]):
        got = ticctl(args, env=env)
        assert got.rc == 1, got
        assert "not found" in got.err and "this command is the bureau's " \
            "only" in got.err and "bureau 令牌" in got.err, got
    for args in (["centre", "yq-999"], ["centre", "yq-006"]):
        got = ticctl(args, env=env)
        assert got.rc == 1, got
        assert "not found" in got.err and "or outside the token's scope" \
            in got.err and "bureau's only" not in got.err, got


# ---- where the URL and the token come from ----

def test_config_file_and_precedence(demo, tmp_path):
    tok = tmp_path / "token"
    tok.write_text(demo.token + "\n")
    conf = tmp_path / "ticctl.conf"
    conf.write_text("[ticctl]\nurl = %s\ntoken_file = token\n"
                    % demo.url(""))
    env = {"TICCTL_CONFIG": str(conf)}
    assert ticctl(["centres"], env=env).rc == 0
    # ~/.config/ticctl.conf when TICCTL_CONFIG is not set.
    home = tmp_path / "home"
    (home / ".config").mkdir(parents=True)
    (home / ".config" / "ticctl.conf").write_text(
        "[ticctl]\nurl = %s\ntoken_file = %s\n" % (demo.url(""), tok))
    assert ticctl(["centres"], home=home).rc == 0
    # The environment beats the file, the command line beats both.
    dead = "http://127.0.0.1:%d" % free_port()
    r = ticctl(["centres"], env=dict(env, TICD_URL=dead))
    assert r.rc == 1 and "cannot reach ticd at " + dead in r.err, r
    # It says where the address came from, and what to look at.
    assert "address from TICD_URL" in r.err and "is ticd running?" in r.err
    r = ticctl(["centres", "--url", dead], env=env)
    assert "address from --url" in r.err, r
    conf = tmp_path / "dead.conf"
    conf.write_text("[ticctl]\nurl = %s\ntoken_file = %s\n" % (dead, tok))
    r = ticctl(["centres"], env={"TICCTL_CONFIG": str(conf)})
    assert r.rc == 1 and "address from %s: url" % conf in r.err, r
    assert ticctl(["centres", "--url", demo.url("")],
                  env=dict(env, TICD_URL=dead)).rc == 0
    assert ticctl(["--url", demo.url(""), "centres"],
                  env=dict(env, TICD_URL=dead)).rc == 0
    r = ticctl(["centres"], env=dict(env, TICD_TOKEN="tic_wrong"))
    assert r.rc == 1 and "token from TICD_TOKEN" in r.err, r
    assert ticctl(["centres", "--token-file", str(tok)],
                  env=dict(env, TICD_TOKEN="tic_wrong")).rc == 0


def test_config_never_holds_the_token(tmp_path):
    conf = tmp_path / "ticctl.conf"
    conf.write_text("[ticctl]\nurl = http://127.0.0.1:1\n"
                    "token = tic_secret_in_config\ncolour = red\n")
    r = ticctl(["centres"], env={"TICCTL_CONFIG": str(conf)})
    assert r.rc == 1, r
    assert "%s:3: " % conf in r.err and "%s:4: " % conf in r.err
    assert "tic_secret_in_config" not in r.err


def test_no_token_and_unreachable(tmp_path):
    r = ticctl(["centres"], env={"TICD_URL": "http://127.0.0.1:1"})
    assert r.rc == 1 and "no API token" in r.err, r
    port = free_port()
    r = ticctl(["obligations", "--token", "tic_never_shown"],
               env={"TICD_URL": "http://127.0.0.1:%d" % port})
    assert r.rc == 1, r
    assert r.err.startswith("ticctl obligations: ")
    assert "cannot reach ticd at http://127.0.0.1:%d" % port in r.err
    assert "tic_never_shown" not in r.err + r.out


def test_token_never_printed_on_refusal(demo):
    for args in (["tokens", "revoke", "99999"],
                 ["record", '{"type":"nonsense"}'], ["centre", "nope"]):
        r = run(demo, *args)
        assert r.rc == 1, (args, r)
        assert demo.token not in r.err + r.out


@pytest.mark.parametrize("args", [
    ["plan", "--as-of", "2026-11-30", "--format", "table"],
    ["plan", "--as-of", "2026-11-30"],
    ["reminders", "--as-of", "2026-11-30"],
    ["reminders", "--as-of", "2026-11-30", "--json"],
    ["centres"],
    ["obligations", "--json"],
])
def test_a_full_disk_is_exit_1_with_the_reason(demo, args):
    """A script's `ticctl plan --format table > report.txt` on a full
    disk must not report success with an empty file (the table was exit
    0), nor fail without saying why (plan's JSON, reminders)."""
    if args[0] in ("plan", "reminders"):
        args = args + [str(demo.journal)]
    e = {k: v for k, v in os.environ.items() if k != "HOME"}
    e.update(demo.env)
    with open("/dev/full", "w") as full:
        p = subprocess.run([TICCTL] + args, stdout=full,
                           stderr=subprocess.PIPE, timeout=120, env=e)
    err = p.stderr.decode("utf-8")
    assert p.returncode == 1, err
    assert "ticctl %s: 写入失败 / cannot write: No space left on device" \
        % args[0] in err, err


def test_tables_count_working_days_with_ticds_holiday_tables(ticd_factory,
                                                              tmp_path):
    """After the yearly update ticd had next year's schedule, but ticctl
    counted on its own machine with the tables it ships: its tables still
    said 约…个工作日，暂定.  They show ticd's count (the reply's
    "workdays"), firm once ticd has the schedule."""
    from conftest import DEMO_JOURNAL, faketime_env
    table = tmp_path / "cn-holidays-2027.tsv"
    table.write_text("date\tkind\tname\n2027-01-01\tholiday\t元旦\n",
                     encoding="utf-8")
    t = ticd_factory()
    t.write_conf(extra="holidays = %s\n" % table)
    t.token = t.make_token()
    t.start(env=faketime_env("2026-11-30 10:00:00"),
            extra_args=["-i", str(DEMO_JOURNAL)])
    reply = t.get("/api/v1/obligations?centre=yq-003").json()
    assert reply["workdays"]["2026-12-18"] == {"left": 14,
                                               "provisional": False}
    env = {"TICD_URL": t.url(""), "TICD_TOKEN": t.token}
    r = ticctl(["obligations", "--centre", "yq-003"], env=env)
    assert r.rc == 0, r
    row = [x for x in r.out.splitlines() if x.startswith("2026-12-18")]
    assert row and "18天（14个工作日）" in row[0], r.out
    # Offline, with only the shipped tables, the same count is a guess.
    p = ticctl(["plan", "--as-of", "2026-11-30", "--format", "table",
                str(DEMO_JOURNAL)])
    assert "18天（约14个工作日，暂定）" in p.out, p.out
