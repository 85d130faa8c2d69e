"""10,000 feed requests from 500 connections.

A bureau feed token is made through the API (POST /api/v1/feeds) over a
journal of 20 centres; one GET /feeds/TOKEN.ics gives the reference bytes
and ETag.  Then 500 connections, all open at once (asyncio, keep-alive),
make 20 requests each, 10,000 in all: every other one with
`If-None-Match` of the reference ETag.

Pass rule: no connection refused or reset; every request answered, 200
with exactly the reference bytes and ETag (without If-None-Match) or 304
with the same ETag and no body (with it); p99 latency under 2 s and the
whole run under 60 s; afterwards ticd is alive, the API answers
(GET /api/v1/centres 200) and the feed still gives the same bytes.
"""
import asyncio
import resource
import time

from support import recognized, registered  # noqa: E402

CONNS = 500
TOTAL = 10_000
EACH = TOTAL // CONNS


async def one_conn(port, path, etag, ref, lat, k):
    r, w = await asyncio.open_connection("127.0.0.1", port)
    n200 = n304 = 0
    try:
        for i in range(EACH):
            cond = (i + k) % 2 == 1
            head = "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n" % path
            if cond:
                head += "If-None-Match: %s\r\n" % etag
            t0 = time.monotonic()
            w.write((head + "\r\n").encode())
            await w.drain()
            raw = await r.readuntil(b"\r\n\r\n")
            lines = raw.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ")[1])
            hdrs = {}
            for line in lines[1:]:
                a, _, b = line.partition(":")
                hdrs[a.strip().lower()] = b.strip()
            length = int(hdrs.get("content-length", "0"))
            body = await r.readexactly(length) if length else b""
            lat.append(time.monotonic() - t0)
            assert hdrs.get("etag") == etag, (status, hdrs)
            if cond:
                assert status == 304 and body == b"", (status, hdrs)
                n304 += 1
            else:
                assert status == 200 and body == ref, (status, len(body))
                n200 += 1
            assert hdrs.get("connection", "").lower() != "close", hdrs
    finally:
        w.close()
    return n200, n304


async def drive(port, path, etag, ref):
    lat = []
    res = await asyncio.gather(*(one_conn(port, path, etag, ref, lat, k)
                                 for k in range(CONNS)))
    return res, lat


def test_feeds_10000_requests_500_connections(ticd):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 4 * CONNS:
        resource.setrlimit(resource.RLIMIT_NOFILE,
                           (min(hard, 8 * CONNS), hard))
    for i in range(20):
        ticd.record(registered("f%02d" % i, unit="u%d" % (i % 3)))
        if i % 2:
            ticd.record(recognized("f%02d" % i))
    r = ticd.post("/api/v1/feeds", {"kind": "bureau", "label": "load"})
    assert r.status == 201, r
    tok = r.json()["token"]
    path = "/feeds/%s.ics" % tok
    r = ticd.get(path, token=None)
    assert r.status == 200, r
    ref = r.body if isinstance(r.body, bytes) else r.body.encode()
    etag = r.headers["ETag"] if "ETag" in r.headers else r.headers["etag"]
    assert ref.startswith(b"BEGIN:VCALENDAR"), ref[:80]
    t0 = time.monotonic()
    res, lat = asyncio.run(asyncio.wait_for(drive(ticd.port, path, etag,
                                                  ref), 120))
    wall = time.monotonic() - t0
    n200 = sum(a for a, _ in res)
    n304 = sum(b for _, b in res)
    assert n200 + n304 == TOTAL == len(lat)
    lat.sort()
    p50, p99, worst = lat[len(lat) // 2], lat[int(len(lat) * .99)], lat[-1]
    print("feeds: %d requests over %d connections in %.2f s (%.0f/s): "
          "%d x 200 (%d bytes), %d x 304; p50 %.1f ms, p99 %.1f ms, "
          "max %.1f ms" % (TOTAL, CONNS, wall, TOTAL / wall, n200,
                           len(ref), n304, p50 * 1e3, p99 * 1e3,
                           worst * 1e3))
    assert p99 < 2.0 and wall < 60, (p99, wall)
    assert ticd.proc.poll() is None
    assert ticd.get("/api/v1/centres").status == 200
    r = ticd.get(path, token=None)
    assert r.status == 200 and (r.body if isinstance(r.body, bytes)
                                else r.body.encode()) == ref
