"""Header injection through any field is refused or encoded.

The API: CR, LF and NUL, raw or percent-encoded, in the method, the path,
the query, header values and the JSON body of every route; evhttp refuses
what is not HTTP, ticd answers what is.  The feed: names, notes, reasons
and rule titles with CR/LF and iCalendar syntax (rendered by ticctl feed,
the same calendar/ code the daemon's feed routes will use).

Pass rule (API): every reply's header block holds only the headers ticd
and evhttp write, each once where it must be, and nothing the request
carried; an e-mail address or name with CR/LF is refused with 400.
(Feed): every unfolded line is a property, and there are exactly as many
VEVENTs as obligations.
"""
import json
import socket
import subprocess

from support import e2e

ALLOWED = {"content-type", "cache-control", "x-content-type-options",
           "content-length", "date", "connection", "allow",
           "www-authenticate"}


def raw(port, data):
    """Every reply to the bytes sent (several requests may be in them)."""
    s = e2e.raw_send(port, data, timeout=5)
    s.shutdown(socket.SHUT_WR)
    return e2e.raw_read(s)


def header_names(reply):
    """The header names of every reply in a stream."""
    names = []
    for block in reply.split(b"HTTP/")[1:]:
        head = block.split(b"\r\n\r\n", 1)[0]
        for line in head.split(b"\r\n")[1:]:
            names.append(line.split(b":", 1)[0].strip().lower().decode(
                "latin-1"))
    return names


NASTY = ["%0d%0aX-Injected:%201", "%0aX-Injected:1", "%0dX-Injected:1",
         "%00X-Injected", "a%0d%0a%0d%0aHTTP/1.1%20200%20OK"]


def test_api_replies_carry_no_injected_header(ticd):
    hostile = {"type": "registered", "date": "2025-01-02", "centre": "c1",
               "name": "名\r\nX-Injected: 1", "unit": "u1\r\nX-Injected: 1"}
    # The API refuses such text now; a store from before, or an import,
    # may still hold it: put in that way, and served as before.
    assert ticd.post("/api/v1/events", hostile).status == 422
    assert ticd.stop() == 0
    journal = ticd.dir / "hostile.jsonl"
    journal.write_text(json.dumps(hostile) + "\n", encoding="utf-8")
    ticd.start(extra_args=["-i", str(journal)])
    assert ticd.count() == 1
    auth = b"Authorization: Bearer " + ticd.token.encode() + b"\r\n"
    requests = []
    for n in NASTY:
        for path in ("/api/v1/centres/" + n, "/api/v1/obligations?centre=" +
                     n, "/api/v1/events?centre=" + n + "&x=" + n,
                     "/" + n, "/api/v1/tokens/" + n,
                     "/api/v1/contacts/" + n):
            for method in (b"GET", b"DELETE", b"PUT"):
                requests.append(method + b" " + path.encode() +
                                b" HTTP/1.1\r\nHost: x\r\n" + auth + b"\r\n")
    # Raw CR/LF where HTTP does not allow them.
    requests += [
        b"GET /healthz\rX-Injected: 1 HTTP/1.1\r\nHost: x\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: x\rX-Injected: 1\r\n\r\n",
        b"GET /api/v1/centres HTTP/1.1\r\nAuthorization: Bearer x\rX-"
        b"Injected: 1\r\n\r\n",
        b"GET /api/v1/centres HTTP/1.1\r\nAuthorization: Bearer x\nX-"
        b"Injected: 1\r\n\r\n",
        b"GET\r\nX-Injected: 1\r\n /healthz HTTP/1.1\r\n\r\n",
        b"OPTIONS /api/v1/events HTTP/1.1\r\nHost: x\r\n" + auth + b"\r\n",
    ]
    for body in ({"kind": "bureau", "email": "a@b.cn\r\nBcc: x@y.cn"},
                 {"kind": "bureau", "email": "a@b.cn",
                  "name": "张\r\nBcc: x@y.cn"},
                 {"kind": "bureau", "email": "a@b.cn",
                  "name": "张\nX-Injected: 1"}):
        data = json.dumps(body).encode()
        requests.append(b"POST /api/v1/contacts HTTP/1.1\r\nHost: x\r\n" +
                        auth + b"Content-Length: %d\r\n\r\n" % len(data) +
                        data)
    statuses = []
    for req in requests:
        reply = raw(ticd.port, req)
        names = header_names(reply)
        bad = [n for n in names if n not in ALLOWED]
        assert not bad, (req, reply[:600])
        assert b"X-Injected" not in reply.split(b"\r\n\r\n", 1)[0], reply
        if reply.startswith(b"HTTP/1.1 "):
            statuses.append(int(reply[9:12]))
    # The three contacts are refused, not stored.
    assert statuses[-3:] == [400, 400, 400], statuses[-3:]
    r = ticd.get("/api/v1/contacts")
    assert r.json()["contacts"] == [], r
    # The hostile names come back JSON-encoded in bodies, never raw.
    r = ticd.get("/api/v1/centres/c1")
    assert r.status == 200 and b"\\r\\nX-Injected" in r.body, r


def unfold(text):
    return text.replace("\r\n ", "").replace("\r\n\t", "")


def test_feed_encodes_hostile_text(tmp_path):
    nasty = "名\r\nBEGIN:VEVENT\r\nSUMMARY:pwned\r\nEND:VEVENT\r\n;,:\\\"<>"
    events = [
        {"type": "round_announced", "date": "2025-09-22", "id": "r1",
         "round": "r\r\nX-EVIL:1", "application_deadline": "2025-10-31",
         "recommendation_deadline": "2025-11-14", "note": nasty},
        {"type": "registered", "date": "2025-09-01", "centre": "c\r\n1",
         "name": nasty, "unit": nasty, "note": nasty},
        {"type": "applied", "date": "2025-10-20", "centre": "c\r\n1",
         "note": nasty},
        {"type": "expert_meeting_held", "date": "2025-10-21",
         "centre": "c\r\n1", "id": "m"},
        {"type": "retracted", "date": "2025-10-22", "event": "m",
         "reason": nasty},
    ]
    journal = tmp_path / "j.jsonl"
    journal.write_text("".join(json.dumps(e) + "\n" for e in events))
    rules = tmp_path / "rules.ini"
    for variant in ([], ["--todo", "--alarms"], ["--centre", "c\r\n1"],
                    ["--unit", nasty]):
        p = subprocess.run([e2e.TICCTL, "feed", "--as-of", "2026-01-10",
                            "--public-url", "https://t.example.cn/a b\r\n"]
                           + variant + [str(journal)],
                           capture_output=True, timeout=30)
        assert p.returncode == 0, p.stderr.decode()
        text = p.stdout.decode("utf-8")
        assert "\r\n" in text and "\n" not in text.replace("\r\n", "")
        assert "\r" not in text.replace("\r\n", "")
        lines = unfold(text).split("\r\n")[:-1]
        for line in lines:
            name = line.split(":", 1)[0].split(";", 1)[0]
            assert name and all(c.isupper() or c.isdigit() or c == "-"
                                for c in name), line
        comp = "VTODO" if "--todo" in variant else "VEVENT"
        assert lines.count("BEGIN:" + comp) == lines.count("END:" + comp)
        assert "SUMMARY:pwned" not in lines and "X-EVIL:1" not in lines
    del rules
