#!/usr/bin/python3
"""make bench, the feeds' part (issue 4): figures for docs/PERFORMANCE.md.

  full feed   GET /feeds/TOKEN.ics of the bureau's feed of about 2,000 obligations, from
              ticd, beside the same bytes served as a static file by nginx (Debian's
              nginx-light: one worker, sendfile on, access log off) in the same run
  304         the same with If-None-Match carrying each server's own ETag
  render      ticd's own timing of one render of that feed (ticd_feed_render_seconds),
              and of bringing the revisions up to the journal (plan with explanations
              and every obligation's fingerprint, ticd_feed_update_seconds); each the
              median of several renders forced by SIGHUP

Both servers run pinned to core 0 and wrk (`-t2 -c50 -d10s --latency`) to core 1. nginx
runs as a child in the foreground (`daemon off`) with a configuration written to a temporary
directory, on a free loopback port. Nothing here is a test: it measures and writes the
figures, with the machine and the commands, between the markers <!-- bench:feeds --> and
<!-- /bench:feeds --> of docs/PERFORMANCE.md.
"""
import argparse
import hashlib
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
AS_OF = None            # ticd's today: the journal is generated up to it
TARGET_OBLIGATIONS = 2000
NO_PROXY = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    with NO_PROXY.open(req, timeout=60) as r:
        return r.status, dict(r.headers), r.read()


def wait_http(url, proc, what, limit=120):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            return get(url)
        except urllib.error.HTTPError as e:
            raise RuntimeError(f"{what} answers {e.code} for {url}") from e
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not answer {url}")


def shanghai_today():
    return time.strftime("%Y-%m-%d", time.gmtime(time.time() + 8 * 3600))


def generate(n, as_of, path):
    with open(path, "w") as f:
        subprocess.run([sys.executable, os.path.join(HERE, "gen_journal.py"), str(n),
                        "--seed", "1", "--as-of", as_of], stdout=f, check=True)


def vevents(ticctl, journal, as_of):
    out = subprocess.run([ticctl, "feed", "--as-of", as_of, journal], check=True,
                         capture_output=True).stdout
    return out.count(b"BEGIN:VEVENT")


def journal_of_size(ticctl, d, as_of):
    """A generated journal whose bureau feed holds about 2,000 obligations (what
    retention keeps), found in a few tries; its path and the count."""
    path = os.path.join(d, "journal.jsonl")
    n = 300
    for _ in range(4):
        generate(n, as_of, path)
        count = vevents(ticctl, path, as_of)
        if abs(count - TARGET_OBLIGATIONS) <= 40:
            break
        n = max(1, round(n * TARGET_OBLIGATIONS / max(count, 1)))
    return path, n, count


class Ticd:
    def __init__(self, ticd, d, journal):
        self.ticd, self.dir = ticd, d
        self.port = free_port()
        self.conf = os.path.join(d, "ticd.conf")
        with open(self.conf, "w") as f:
            f.write(f"[ticd]\nlisten = 127.0.0.1:{self.port}\n"
                    f"database = {d}/ticd.db\nsynchronous = normal\n"
                    "log_level = warning\n")
        self.token = subprocess.run([ticd, "-c", self.conf, "-T"], check=True,
                                    capture_output=True, text=True).stdout.strip()
        self.proc = subprocess.Popen(["taskset", "-c", "0", ticd, "-c", self.conf,
                                      "-i", journal], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        try:
            wait_http(self.url("/healthz"), self.proc, "ticd")
        except Exception:
            self.stop()
            raise

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def new_feed(self):
        req = urllib.request.Request(self.url("/api/v1/feeds"), method="POST",
                                     data=b'{"kind":"bureau","label":"bench"}',
                                     headers={"Authorization": f"Bearer {self.token}"})
        with NO_PROXY.open(req, timeout=60) as r:
            return json.loads(r.read())["url"]

    def metric(self, name):
        _, _, body = get(self.url("/metrics"))
        return float(re.search(rf"^{name} (\S+)$", body.decode(), re.M).group(1))

    def render_times(self, url, runs):
        """Render and update durations, each forced afresh by SIGHUP."""
        renders, cpus, updates = [], [], []
        for _ in range(runs):
            before = self.metric("ticd_feed_renders_total")
            self.proc.send_signal(signal.SIGHUP)
            deadline = time.monotonic() + 60
            while self.metric("ticd_feed_renders_total") == before:
                if time.monotonic() > deadline:
                    raise RuntimeError("ticd did not render after SIGHUP")
                get(url)
            renders.append(self.metric("ticd_feed_render_seconds") * 1e3)
            cpus.append(self.metric("ticd_feed_render_cpu_seconds") * 1e3)
            updates.append(self.metric("ticd_feed_update_seconds") * 1e3)
        return (statistics.median(renders), statistics.median(cpus),
                statistics.median(updates))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(timeout=60)


NGINX_CONF = """worker_processes 1;
daemon off;
pid {d}/nginx.pid;
error_log {d}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    types {{ text/calendar ics; }}
    default_type application/octet-stream;
    charset utf-8;
    charset_types text/calendar;
    client_body_temp_path {d}/tmp;
    proxy_temp_path {d}/tmp;
    fastcgi_temp_path {d}/tmp;
    uwsgi_temp_path {d}/tmp;
    scgi_temp_path {d}/tmp;
    server {{
        listen 127.0.0.1:{port};
        root {d}/www;
        add_header Cache-Control "private, max-age=300";
    }}
}}
"""


class Nginx:
    def __init__(self, d, body):
        self.dir = d
        self.port = free_port()
        os.makedirs(os.path.join(d, "www"))
        os.makedirs(os.path.join(d, "tmp"))
        with open(os.path.join(d, "www", "feed.ics"), "wb") as f:
            f.write(body)
        # The worker may run as another user (nobody): let it reach and
        # read the file, through the temporary directory above too.
        for p in (os.path.dirname(d), d, os.path.join(d, "www")):
            os.chmod(p, 0o755)
        os.chmod(os.path.join(d, "www", "feed.ics"), 0o644)
        conf = os.path.join(d, "nginx.conf")
        with open(conf, "w") as f:
            f.write(NGINX_CONF.format(d=d, port=self.port))
        self.proc = subprocess.Popen(["taskset", "-c", "0", "nginx", "-p", d, "-c",
                                      conf], stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        try:
            wait_http(self.url(), self.proc, "nginx")
        except Exception:
            self.stop()
            raise

    def url(self):
        return f"http://127.0.0.1:{self.port}/feed.ics"

    def stop(self):
        self.proc.send_signal(signal.SIGQUIT)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=30)


def wrk(url, seconds, d, etag=None):
    """Requests per second and p99 (ms) under wrk -t2 -c50, pinned to core 1."""
    args = ["taskset", "-c", "1", "wrk", "-t2", "-c50", f"-d{seconds}s", "--latency"]
    if etag is not None:
        lua = os.path.join(d, "inm.lua")
        with open(lua, "w") as f:
            f.write(f"wrk.headers[\"If-None-Match\"] = {json.dumps(etag)}\n")
        args += ["-s", lua]
    out = subprocess.run(args + [url], check=True, capture_output=True,
                         text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    m = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    v, unit = float(m.group(1)), m.group(2)
    p99 = v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if bad:
        raise RuntimeError(f"{url}: {bad.group(1)} error replies\n{out}")
    return rps, p99


def machine():
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo")
                if l.startswith("model name")), "?")
    mem = next(l.split()[1] for l in open("/proc/meminfo") if l.startswith("MemTotal"))
    deb = open("/etc/debian_version").read().strip()
    load = os.getloadavg()[0]
    ng = subprocess.run(["nginx", "-v"], capture_output=True, text=True).stderr.strip()
    return (f"{cpu}, {os.cpu_count()} cores, {int(mem) // 1024 // 1024} GiB, Debian {deb}, "
            f"kernel {os.uname().release}; {ng.replace('nginx version: ', '')}; "
            f"load average {load:.2f} at the start")


def write_section(out, text):
    start, end = "<!-- bench:feeds -->", "<!-- /bench:feeds -->"
    doc = open(out, encoding="utf-8").read() if os.path.exists(out) else \
        "# Performance\n\nFigures come from `make bench`; no test asserts a time.\n"
    block = f"{start}\n{text}\n{end}"
    if start in doc:
        doc = re.sub(re.escape(start) + ".*?" + re.escape(end), lambda _: block,
                     doc, flags=re.S)
    else:
        doc = doc.rstrip("\n") + "\n\n" + block + "\n"
    with open(out, "w", encoding="utf-8") as f:
        f.write(doc)


def measure(ticd_bin, ticctl, seconds, runs, render_runs):
    with tempfile.TemporaryDirectory() as d:
        as_of = shanghai_today()
        journal, centres, count = journal_of_size(ticctl, d, as_of)
        os.makedirs(os.path.join(d, "ticd"))
        t = Ticd(ticd_bin, os.path.join(d, "ticd"), journal)
        ng = None
        try:
            url = t.new_feed()
            _, th, body = get(url)
            ng = Nginx(os.path.join(d, "nginx"), body)
            _, nh, nbody = get(ng.url())
            if hashlib.sha256(nbody).digest() != hashlib.sha256(body).digest():
                raise RuntimeError("nginx does not serve the same bytes")
            for etag, u in ((th["ETag"], url), (nh["ETag"], ng.url())):
                st = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w",
                                     "%{http_code}", "-H", f"If-None-Match: {etag}",
                                     u], capture_output=True, text=True).stdout
                if st != "304":
                    raise RuntimeError(f"{u} answers {st} to its own ETag")
            res = {}
            for name, fn in (("ticd full", lambda: wrk(url, seconds, d)),
                             ("nginx full", lambda: wrk(ng.url(), seconds, d)),
                             ("ticd 304", lambda: wrk(url, seconds, d, th["ETag"])),
                             ("nginx 304", lambda: wrk(ng.url(), seconds, d,
                                                       nh["ETag"]))):
                got = [fn() for _ in range(runs)]
                res[name] = (statistics.median(g[0] for g in got),
                             statistics.median(g[1] for g in got))
            render_ms, cpu_ms, update_ms = t.render_times(url, render_runs)
        finally:
            if ng is not None:
                ng.stop()
            t.stop()
    return as_of, centres, count, len(body), res, render_ms, cpu_ms, update_ms


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ticd", required=True)
    ap.add_argument("--ticctl", default=None)
    ap.add_argument("--out", default=os.path.join(ROOT, "docs", "PERFORMANCE.md"))
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--runs", type=int, default=1,
                    help="wrk runs per figure (the median is kept)")
    ap.add_argument("--render-runs", type=int, default=7)
    a = ap.parse_args()
    ticd = os.path.abspath(a.ticd)
    ticctl = os.path.abspath(a.ticctl or os.path.join(os.path.dirname(ticd), "ticctl"))
    where = machine()
    as_of, centres, count, size, res, render_ms, cpu_ms, update_ms = measure(
        ticd, ticctl, a.seconds, a.runs, a.render_runs)
    ok = lambda c: "PASS" if c else "MISS"
    full = res["ticd full"][0] / res["nginx full"][0]
    nm = res["ticd 304"][0] / res["nginx 304"][0]
    text = f"""## Calendar feeds (issue 4)

Measured {time.strftime('%Y-%m-%d %H:%M')} UTC on {where}.
Command: `make bench` (`/usr/bin/python3 bench/feeds.py --ticd build/bin/ticd`).

The bureau's feed of a generated journal (`bench/gen_journal.py {centres} --seed 1 --as-of {as_of}`)
holds **{count:,} obligations** (those retention keeps), **{size / 1e6:.2f} MB**. ticd serves it from
memory by reference; nginx serves the same bytes as a static file (one worker, `sendfile on`).
Each server is pinned to core 0 and `wrk -t2 -c50 -d{a.seconds}s --latency` to core 1, one after
the other in one run{'' if a.runs == 1 else f'; medians of {a.runs} wrk runs'}. The 304 rows send
`If-None-Match` with each server's own ETag.

| figure | ticd | nginx | ticd / nginx | target | |
|---|---:|---:|---:|---|---|
| full feed, requests/s | {res['ticd full'][0]:,.0f} | {res['nginx full'][0]:,.0f} | {full:.2f}× | ≥ 1.0× | {ok(full >= 1.0)} |
| full feed, p99 | {res['ticd full'][1]:.2f} ms | {res['nginx full'][1]:.2f} ms | | | |
| 304, requests/s | {res['ticd 304'][0]:,.0f} | {res['nginx 304'][0]:,.0f} | {nm:.2f}× | ≥ 0.6× | {ok(nm >= 0.6)} |
| 304, p99 | {res['ticd 304'][1]:.2f} ms | {res['nginx 304'][1]:.2f} ms | | | |
| render of the feed (libical, median of {a.render_runs}): CPU time | {cpu_ms:.1f} ms | | | < 50 ms | {ok(cpu_ms < 50)} |
| the same render, wall time | {render_ms:.1f} ms | | | < 50 ms | {ok(render_ms < 50)} |
| revisions brought up to the journal (plan with explanations, fingerprints) | {update_ms:.1f} ms | | | | |

A render happens once per change (an event that touches the feed, the day's change, a reload);
every other request is served from the rendered bytes, with no copy. Render and update times are
ticd's own (`ticd_feed_render_cpu_seconds`, `ticd_feed_render_seconds`, `ticd_feed_update_seconds`
in `/metrics`): the CPU time is the work, the wall time adds whatever wait for core 0 the machine's
other load imposed (its load average is above). The two cores are shared: figures move from run to
run by tens of per cent, more on a busy machine; the ratios, taken in one run, move less."""
    write_section(a.out, text)
    print(text)


if __name__ == "__main__":
    main()
