"""What every benchmark script shares: docs/PERFORMANCE.md's sections, the
machine, medians, and running a child for its wall time and peak memory.

docs/PERFORMANCE.md is made of sections, each between its own markers

    <!-- bench:NAME -->
    ...
    <!-- /bench:NAME -->

and each written by one script through write_section(), which replaces that
section in place (or appends it) and leaves every other line of the file as it
was.  A new benchmark picks a NAME no other script uses, and may import this
module (bench/ is on sys.path when a script in it runs) or copy the marker
convention.  Text outside the markers is for people and is never rewritten.

Nothing here is a test: the scripts measure and write; no figure is asserted.
"""
import datetime as dt
import json
import os
import platform
import socket
import statistics
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
DOC = os.path.join(ROOT, "docs", "PERFORMANCE.md")
PREFACE = """# Performance

The figures below are written by `make bench` and `make bench-large` (the
scripts in `bench/`), each benchmark in its own section between
`<!-- bench:NAME -->` markers, with the machine, the versions and the exact
command that produced it.  A script rewrites only its own section; text outside
the markers is written by hand and kept.  They are measurements, never timed
assertions: no test fails because a machine is slow.
"""
LIBS = ["jansson", "sqlite3", "libevent", "libcurl", "libical", "inih"]


def read(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.read()
    except OSError:
        return ""


def run_text(args, check=True):
    """What a command prints, or "" if it cannot run (or fails, with check)."""
    try:
        return subprocess.run(args, capture_output=True, text=True,
                              check=check).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return ""


def machine():
    """The machine, its software and the source, as a dict of strings."""
    cpu = next((l.split(":", 1)[1].strip() for l in read("/proc/cpuinfo").splitlines()
                if l.startswith("model name")), "unknown")
    mem = next((f"{int(l.split()[1]) / 1024 / 1024:.1f} GiB"
                for l in read("/proc/meminfo").splitlines() if l.startswith("MemTotal:")),
               "unknown")
    pretty = next((l.split("=", 1)[1].strip('"') for l in read("/etc/os-release").splitlines()
                   if l.startswith("PRETTY_NAME=")), "")
    debian = read("/etc/debian_version").strip() or "unknown"
    try:
        avail = len(os.sched_getaffinity(0))
    except AttributeError:
        avail = os.cpu_count()
    rev = run_text(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"]) or "unknown"
    # The document itself does not count: make bench rewrites it a section
    # at a time, so every section after the first read it as a change.
    if run_text(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no",
                 "--", ".", ":(exclude)docs/PERFORMANCE.md"]):
        rev += " with uncommitted changes"
    libs = ", ".join(f"{p} {run_text(['pkg-config', '--modversion', p]) or '?'}" for p in LIBS)
    return {
        "cpu": f"{cpu}, {os.cpu_count()} logical ({avail} usable)",
        "memory": mem,
        "os": f"Linux {platform.release()} {platform.machine()}; Debian {debian}"
              + (f" ({pretty})" if pretty else ""),
        "cc": (run_text([os.environ.get("CC", "cc"), "--version"]).splitlines() or ["unknown"])[0],
        "libs": libs,
        "python": platform.python_version(),
        "rev": rev,
        "load": "%.1f %.1f %.1f" % os.getloadavg(),
    }


def machine_lines(extra=None):
    """The machine as Markdown list items."""
    m = machine()
    lines = [f"- CPU: {m['cpu']}; memory {m['memory']}",
             f"- system: {m['os']}",
             f"- compiler: {m['cc']} (the Makefile's `CFLAGS ?= -O2 -g`); libraries: {m['libs']}; "
             f"Python {m['python']}",
             f"- source: commit {m['rev']}",
             f"- load average when it started (1, 5, 15 min): {m['load']} — the machine is "
             "shared, so every figure is a median of several runs"]
    return lines + (extra or [])


def build_sender(work, source):
    """Compiles bench/SOURCE (a bare libcurl sender, the anchor) into work;
    returns the program's path."""
    prog = os.path.join(work, os.path.splitext(source)[0])
    subprocess.run(["sh", "-c", "cc -std=c11 -O2 -o %s %s "
                    "$(pkg-config --cflags --libs libcurl)" % (
                        prog, os.path.join(HERE, source))], check=True)
    return prog


def centres_journal(path, n, prefix, extra=()):
    """A journal of n recognized centres PREFIX00000…, then the events of
    extra (dicts)."""
    with open(path, "w", encoding="utf-8") as f:
        for i in range(n):
            c = "%s%05d" % (prefix, i)
            f.write(json.dumps({"type": "registered", "date": "2025-03-03",
                                "centre": c, "name": "基准中心%d" % i,
                                "unit": "城区科技局"}, ensure_ascii=False)
                    + "\n")
            f.write(json.dumps({"type": "recognized", "date": "2025-06-02",
                                "centre": c}) + "\n")
        for ev in extra:
            f.write(json.dumps(ev, ensure_ascii=False) + "\n")


def _get_once(port, path, token):
    """One GET over a connection of its own (as a client's would be),
    written and read with a bare socket: the probe runs in the same 2 CPUs
    as the burst, and urllib cost about 1 ms of this process's CPU a
    request.  The status, or None when the reply is cut short."""
    req = ("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
           "%s\r\nConnection: close\r\n\r\n" % (path, token)).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        s.sendall(req)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, sep, body = data.partition(b"\r\n\r\n")
    if not sep or not head.startswith(b"HTTP/1.1 "):
        return None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and \
                int(value) != len(body):
            return None
    return int(head[9:12])


def api_probe(t, path, stop, lat, each=None):
    """GETs path of a running ticd (tests/e2e's Ticd) at a client's pace,
    not a load test, until stop is set; the latency of each 200 (connect
    to the last byte) goes to lat, and each() is called after every
    request."""
    while not stop.is_set():
        a = time.perf_counter()
        status = _get_once(t.port, path, t.token)
        if status == 200:
            lat.append(time.perf_counter() - a)
        if each is not None:
            each()
        time.sleep(0.01)


def faketime_env(start):
    """conftest's libfaketime environment, made cheaper for a measurement:
    the fixed start is read once (no FAKETIME_NO_CACHE, which makes every
    clock call re-read the environment) and the monotonic clock is the
    real one (curl and libevent read it several times a request).  ticd
    runs under no preload in production: this keeps the preload's cost
    (about 10% of ticd's CPU in a webhook burst with the test settings)
    out of the figures."""
    import conftest	# tests/e2e's, on the caller's path

    env = conftest.faketime_env(start)
    del env["FAKETIME_NO_CACHE"]
    env["FAKETIME_DONT_FAKE_MONOTONIC"] = "1"
    return env


def cpu_seconds(pid):
    """User + system CPU time so far of a process (/proc/PID/stat)."""
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def thread_run_seconds(pid, tid):
    """Seconds a thread has run on a CPU so far, to the nanosecond
    (/proc/PID/task/TID/schedstat; /proc's stat counts 10 ms ticks)."""
    with open("/proc/%d/task/%d/schedstat" % (pid, tid)) as f:
        return int(f.read().split()[0]) / 1e9


def sample_threads(pid, tids, stop, out, every=0.01):
    """Until stop is set: (wall clock, [run seconds of each of tids]) into
    out, every few ms, beside the process rather than through it (a busy
    loop answers no request, so an API probe would miss its start).  The
    files stay open and are read again from the start (a /proc file is
    made anew at each read): opening them each time cost several times
    more of the 2 CPUs the burst runs on."""
    fds = [os.open("/proc/%d/task/%d/schedstat" % (pid, t), os.O_RDONLY)
           for t in tids]
    try:
        while not stop.is_set():
            out.append((time.time(), [int(os.pread(fd, 128, 0).split()[0])
                                      / 1e9 for fd in fds]))
            time.sleep(every)
    finally:
        for fd in fds:
            os.close(fd)


def thread_id(pid, name, timeout=30):
    """The thread of a process whose name (comm) is name, once it has one
    (a thread is named just after it starts)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for tid in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/comm" % (pid, tid)) as f:
                if f.read().strip() == name:
                    return int(tid)
        time.sleep(0.01)
    raise RuntimeError("no thread %s in process %d" % (name, pid))


def cpu_between(samples, t0, t1):
    """CPU seconds from the last sample at or before t0 to the first at or
    after t1 (a slightly wider window).  samples: (time, CPU seconds so
    far), in order."""
    before = [c for at, c in samples if at <= t0]
    after = [c for at, c in samples if at >= t1]
    return (after[0] if after else samples[-1][1]) - \
        (before[-1] if before else samples[0][1])


def p99(lat):
    """The 99th percentile of latencies, NaN for none."""
    lat = sorted(lat)
    return lat[int(len(lat) * 0.99) - 1] if lat else float("nan")


def stamp():
    return f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}"


def median(xs):
    return statistics.median(xs) if xs else float("nan")


def run_measured(args, stdout=None, env=None):
    """Runs a command to its end: its wall seconds (fork to reaping), CPU seconds
    (user and system), peak RSS in KiB (ru_maxrss from wait4) and exit code."""
    with open(os.devnull, "wb") as null:
        t0 = time.perf_counter()
        p = subprocess.Popen(args, stdout=stdout or null, stderr=null, env=env)
        _, status, ru = os.wait4(p.pid, 0)
        t = time.perf_counter() - t0
    return {"wall": t, "cpu": ru.ru_utime + ru.ru_stime, "rss": ru.ru_maxrss,
            "rc": os.waitstatus_to_exitcode(status)}


def fmt_int(n):
    return f"{n:,}"


def generate(n, path, seed=1, as_of="2026-11-28"):
    """bench/gen_journal.py's journal of n centres, into path."""
    import sys
    with open(path, "wb") as f:
        subprocess.run([sys.executable, os.path.join(HERE, "gen_journal.py"), str(n),
                        "--seed", str(seed), "--as-of", as_of], stdout=f, check=True)


def growth(rows, key, per="n"):
    """Per-centre cost at the largest size over the smallest, and step by step."""
    if len(rows) < 2:
        return None, []
    f = [r[key] / r[per] for r in rows]
    steps = [(rows[i][per], rows[i + 1][per], f[i + 1] / f[i]) for i in range(len(rows) - 1)]
    return f[-1] / f[0], steps


def verdict(ratio, linear=1.2):
    if ratio is None:
        return ""
    if ratio < 0.8:
        return "less than linear (a fixed cost weighs on the smallest size)"
    if ratio <= linear:
        return "linear"
    return "**slightly worse than linear**" if ratio <= 2 else "**worse than linear**"


def write_section(name, text, path=DOC):
    """Puts text between <!-- bench:NAME --> and <!-- /bench:NAME --> of path,
    replacing what was there (or appending), and keeps the rest of the file."""
    begin, end = f"<!-- bench:{name} -->", f"<!-- /bench:{name} -->"
    block = f"{begin}\n{text.strip()}\n\n{end}\n"
    old = read(path)
    if not old:
        new = PREFACE + "\n" + block
    else:
        b = old.find(begin)
        e = old.find(end, b + 1) if b >= 0 else -1
        if b >= 0 and e > b:
            after = old[e + len(end):]
            new = old[:b] + block + (after[1:] if after.startswith("\n") else after)
        else:
            new = old.rstrip("\n") + "\n\n" + block
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=d, prefix=".PERFORMANCE.")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(new)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)
