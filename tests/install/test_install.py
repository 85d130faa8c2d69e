"""
make install, checked in a scratch DESTDIR: the tree it writes, that the
installed ticd and ticctl find the installed data (conf/files.c: ../share/ticd
beside the binary), that the installed configuration checks, that the unit
passes systemd-analyze verify, that the man pages lint clean and document
every configuration key and ticctl command, that a second install keeps an
administrator's ticd.conf, and that make uninstall takes back what it put.

Run by `make install-check` (part of make test): MAKE and BUILD come from
the Makefile, so the ASan pass installs its own build.  Needs mandoc and
systemd-analyze (both in the Makefile's DEBS); a missing tool fails, it is
never skipped.
"""
import os
import re
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
MAKE = os.environ.get("MAKE", "make")
BUILD = os.environ.get("BUILD", "build")

# What make install writes under DESTDIR for a PREFIX, with each mode.
def expected_tree(prefix, sysconfdir="/etc"):
    p = prefix.lstrip("/")
    e = sysconfdir.lstrip("/")
    return {
        "%s/bin/ticctl" % p: 0o755,
        "%s/sbin/ticd" % p: 0o755,
        "%s/share/ticd/cn-holidays.tsv" % p: 0o644,
        "%s/share/ticd/rules.ini" % p: 0o644,
        "%s/lib/systemd/system/ticd.service" % p: 0o644,
        "%s/share/man/man1/ticctl.1" % p: 0o644,
        "%s/share/man/man5/ticd.conf.5" % p: 0o644,
        "%s/share/man/man8/ticd.8" % p: 0o644,
        "%s/share/doc/ticd/README.md" % p: 0o644,
        "%s/share/doc/ticd/docs/api.md" % p: 0o644,
        "%s/share/doc/ticd/docs/operations.md" % p: 0o644,
        "%s/share/doc/ticd/docs/rules.md" % p: 0o644,
        # What is sent when, and how to set up webhooks and robots: an
        # installed server's admin has no other copy.
        "%s/share/doc/ticd/docs/reminders.md" % p: 0o644,
        "%s/share/doc/ticd/docs/webhooks.md" % p: 0o644,
        "%s/share/doc/ticd/docs/PERFORMANCE.md" % p: 0o644,
        "%s/share/doc/ticd/docs/RELIABILITY.md" % p: 0o644,
        "%s/share/doc/ticd/conf/HOLIDAYS.md" % p: 0o644,
        "%s/share/doc/ticd/notify/README.md" % p: 0o644,
        "%s/share/doc/ticd/calendar/README.md" % p: 0o644,
        "%s/share/doc/ticd/ticd.conf.example" % p: 0o644,
        "%s/ticd/ticd.conf" % e: 0o644,
    }


def run(argv, **kw):
    kw.setdefault("timeout", 300)
    return subprocess.run(argv, capture_output=True, text=True, **kw)


def make(*args):
    p = run([MAKE, "-s", "--no-print-directory", "-C", str(REPO),
             "BUILD=" + BUILD] + list(args))
    assert p.returncode == 0, p.stdout + p.stderr
    return p


def clean_env():
    """The environment of an administrator's shell: no TICD_DATADIR."""
    return {k: v for k, v in os.environ.items()
            if k not in ("TICD_DATADIR", "NOTIFY_SOCKET", "WATCHDOG_USEC")}


def files_under(root):
    out = {}
    for dirpath, _, names in os.walk(root):
        for n in names:
            path = Path(dirpath) / n
            out[str(path.relative_to(root))] = \
                stat.S_IMODE(path.lstat().st_mode)
    return out


def tool(name):
    path = shutil.which(name)
    assert path is not None, "%s is not installed (make deps installs it)" \
        % name
    return path


class Install:
    def __init__(self, dest, prefix, sysconfdir="/etc"):
        self.dest = Path(dest)
        self.prefix = prefix
        self.sysconfdir = sysconfdir

    def path(self, rel):
        return self.dest / rel.lstrip("/")

    def under(self, rel):
        return self.path(self.prefix + "/" + rel)

    @property
    def ticd(self):
        return str(self.under("sbin/ticd"))

    @property
    def ticctl(self):
        return str(self.under("bin/ticctl"))

    @property
    def conf(self):
        return self.path(self.sysconfdir + "/ticd/ticd.conf")

    def make(self, target):
        return make(target, "DESTDIR=%s" % self.dest,
                    "PREFIX=%s" % self.prefix,
                    "SYSCONFDIR=%s" % self.sysconfdir)


@pytest.fixture(scope="module")
def usr_local(tmp_path_factory):
    inst = Install(tmp_path_factory.mktemp("destdir"), "/usr/local")
    inst.make("install")
    return inst


@pytest.fixture(scope="module")
def usr(tmp_path_factory):
    inst = Install(tmp_path_factory.mktemp("destdir-usr"), "/usr")
    inst.make("install")
    return inst


def test_tree(usr_local):
    assert files_under(usr_local.dest) == expected_tree("/usr/local")


def test_tree_debian_layout(usr):
    assert files_under(usr.dest) == expected_tree("/usr")


def test_installed_config_checks(usr_local):
    p = run([usr_local.ticd, "-n", "-c", str(usr_local.conf)],
            env=clean_env())
    assert (p.returncode, p.stdout, p.stderr) == \
        (0, "configuration OK\n", "")
    assert usr_local.conf.read_bytes() == \
        (REPO / "conf" / "ticd.conf").read_bytes()


def named_in(path, message):
    """Whether message names path, however the binary spelled it
    (ticd says PREFIX/sbin/../share/ticd/...)."""
    return any(os.path.normpath(word.rstrip(":")) == str(path)
               for word in message.split())


def hide(path):
    """Moves a data file aside for the duration of a with block."""
    class Hidden:
        def __enter__(self):
            path.rename(str(path) + ".hidden")

        def __exit__(self, *exc):
            Path(str(path) + ".hidden").rename(path)
    return Hidden()


@pytest.mark.parametrize("inst", ["usr_local", "usr"])
def test_ticd_reads_the_installed_data(inst, request):
    """Proves where the data comes from: with the installed table moved
    aside, ticd -n fails naming the file it looked for under DESTDIR."""
    inst = request.getfixturevalue(inst)
    table = inst.under("share/ticd/cn-holidays.tsv")
    with hide(table):
        p = run([inst.ticd, "-n", "-c", str(inst.conf)], env=clean_env())
    assert p.returncode == 1
    assert named_in(table, p.stderr), p.stderr
    p = run([inst.ticd, "-n", "-c", str(inst.conf)], env=clean_env())
    assert p.stdout == "configuration OK\n", p.stderr


def test_ticctl_reads_the_installed_data(usr_local):
    journal = str(REPO / "conf" / "demo" / "journal.jsonl")
    argv = ["plan", "--as-of", "2026-11-28", journal]
    installed = run([usr_local.ticctl] + argv, env=clean_env())
    built = run([str(REPO / BUILD / "bin" / "ticctl")] + argv,
                env=clean_env())
    assert installed.returncode == 0, installed.stderr
    assert installed.stdout == built.stdout and installed.stdout
    rules = usr_local.under("share/ticd/rules.ini")
    with hide(rules):
        p = run([usr_local.ticctl] + argv, env=clean_env())
    assert p.returncode != 0 and named_in(rules, p.stderr), p.stderr


# Links of the installed docs that point outside them, on purpose: the man
# pages (installed as man pages) and the shipped configuration (installed
# as /etc/ticd/ticd.conf and ticd.conf.example).
LINKS_ELSEWHERE = ("man/", "conf/ticd.conf")


def test_installed_docs_links_hold(usr_local):
    """Every relative link of an installed document leads to an installed
    file (they were installed flat, and README's docs/api.md, api.md's
    ../calendar/README.md and the others led nowhere)."""
    root = usr_local.under("share/doc/ticd")
    broken = []
    for doc in root.rglob("*.md"):
        for target in re.findall(r"\]\(([^)\s]+)\)", doc.read_text()):
            path = target.split("#")[0]
            if not path or re.match(r"[a-z]+:", path):
                continue	# an anchor, or http:, mailto:
            rel = os.path.relpath(doc.parent / path, root)
            if rel.startswith(LINKS_ELSEWHERE):
                continue
            if not (doc.parent / path).exists():
                broken.append("%s: %s" % (doc.relative_to(root), target))
    assert broken == [], broken


def unit_text(inst):
    return inst.under("lib/systemd/system/ticd.service").read_text()


def test_unit_paths(usr_local, usr):
    text = unit_text(usr_local)
    assert "ExecStart=/usr/local/sbin/ticd -c /etc/ticd/ticd.conf\n" in text
    assert "ExecStartPre=/usr/local/sbin/ticd -n -c /etc/ticd/ticd.conf\n" \
        in text
    text = unit_text(usr)
    assert "ExecStart=/usr/sbin/ticd -c /etc/ticd/ticd.conf\n" in text
    assert "/usr/local" not in text
    for page in ("man1/ticctl.1", "man5/ticd.conf.5", "man8/ticd.8"):
        body = usr.under("share/man/" + page).read_text()
        assert "/usr/local" not in body, page
        assert "/usr/share/ticd" in body, page


def test_unit_in_another_sysconfdir(tmp_path):
    inst = Install(tmp_path, "/opt/ticd", "/opt/ticd/etc")
    inst.make("install")
    text = unit_text(inst)
    assert "ExecStart=/opt/ticd/sbin/ticd -c /opt/ticd/etc/ticd/ticd.conf" \
        in text
    p = run([inst.ticd, "-n", "-c", str(inst.conf)], env=clean_env())
    assert p.stdout == "configuration OK\n", p.stderr


def test_systemd_analyze_verify(usr_local, tmp_path):
    """systemd-analyze verify needs the ExecStart= binary at its path, so
    the installed unit is verified with only its ticd paths pointed into
    DESTDIR, and the Documentation= man pages found through MANPATH.  Any
    message at all, even a warning systemd calls harmless, fails."""
    analyze = tool("systemd-analyze")
    text = unit_text(usr_local).replace(
        "/usr/local/sbin/ticd", usr_local.ticd)
    unit = tmp_path / "ticd.service"
    unit.write_text(text)
    env = clean_env()
    env["MANPATH"] = str(usr_local.under("share/man"))
    env["SYSTEMD_LOG_LEVEL"] = "notice"
    p = run([analyze, "verify", str(unit)], env=env, timeout=120)
    assert (p.returncode, p.stdout, p.stderr) == (0, "", ""), p.stderr


def test_man_pages_lint(usr_local):
    mandoc = tool("mandoc")
    for page in ("man1/ticctl.1", "man5/ticd.conf.5", "man8/ticd.8"):
        path = usr_local.under("share/man/" + page)
        p = run([mandoc, "-T", "lint", "-W", "warning", str(path)])
        assert (p.returncode, p.stdout, p.stderr) == (0, "", ""), \
            p.stdout + p.stderr
        text = path.read_text()
        assert "@KEYS@" not in text


def config_keys(inst):
    """(section, key) for every row of conf/config.c's table, as the
    installed ticd prints it."""
    p = run([inst.ticd, "-K"], env=clean_env())
    assert p.returncode == 0, p.stderr
    keys, section = [], None
    for line in p.stdout.splitlines():
        m = re.match(r'\.Ss "\[(.*)\]"$', line)
        if m:
            section = m.group(1)
        m = re.match(r'\.It Ic "(.*)"$', line)
        if m:
            keys.append((section, m.group(1)))
    return keys


def test_every_key_is_in_the_manual(usr_local):
    keys = config_keys(usr_local)
    assert ("ticd", "listen") in keys and len(keys) >= 8
    mandoc = tool("mandoc")
    page = usr_local.under("share/man/man5/ticd.conf.5")
    p = run([mandoc, "-T", "utf8", str(page)])
    assert p.returncode == 0, p.stderr
    plain = re.sub(r".\x08", "", p.stdout)
    for section, key in keys:
        assert "[%s]" % section in plain
        # A tag: the key alone, or followed by the start of its help.
        assert re.search(r"^ {5}%s( |$)" % re.escape(key), plain, re.M), \
            key


def test_every_key_is_in_the_example_config(usr_local):
    """conf/ticd.conf says it shows every setting with its default."""
    text = (REPO / "conf" / "ticd.conf").read_text()
    section, shown = None, set()
    for line in text.splitlines():
        m = re.match(r"\[(.+)\]\s*$", line)
        if m:
            section = m.group(1)
        m = re.match(r"#?\s*([a-z_0-9]+)\s*=", line)
        if m and section is not None:
            shown.add((section, m.group(1)))
    missing = [k for k in config_keys(usr_local) if k not in shown]
    assert not missing, "keys missing from conf/ticd.conf: %r" % missing


def test_every_ticctl_command_is_in_the_manual(usr_local):
    p = run([usr_local.ticctl, "--help"], env=clean_env())
    assert p.returncode == 0
    commands = re.findall(r"^  ([a-z][a-z-]*) ", p.stdout, re.M)
    assert "plan" in commands and "tokens" in commands
    page = usr_local.under("share/man/man1/ticctl.1").read_text()
    documented = set(re.findall(r"^\.It Cm ([a-z][a-z-]*)", page, re.M))
    missing = [c for c in commands if c not in documented]
    assert not missing, "ticctl commands missing from ticctl(1): %r" \
        % missing


def test_second_install_keeps_the_configuration(tmp_path):
    inst = Install(tmp_path, "/usr/local")
    inst.make("install")
    inst.conf.write_text("[ticd]\nlisten = 127.0.0.1:9999\n")
    p = inst.make("install")
    assert "kept " in p.stdout
    assert inst.conf.read_text() == "[ticd]\nlisten = 127.0.0.1:9999\n"
    assert inst.under("share/doc/ticd/ticd.conf.example").read_bytes() == \
        (REPO / "conf" / "ticd.conf").read_bytes()


def test_uninstall(tmp_path):
    inst = Install(tmp_path, "/usr/local")
    inst.make("install")
    inst.make("uninstall")
    assert files_under(tmp_path) == {"etc/ticd/ticd.conf": 0o644}
    assert not inst.under("share/ticd").exists()
    assert not inst.under("share/doc/ticd").exists()
