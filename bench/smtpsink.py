"""The SMTP sink of bench/mail.py, in a process of its own: aiosmtpd on
127.0.0.1:PORT taking N messages, answering each "250" at once and keeping
only when it arrived (and the first message's bytes, in SAMPLE if given).

Its own process so that the Python interpreter that receives the mail
shares no lock with the bench's API probe, and so that ticd and the bare
sender are both measured against the same, otherwise idle, receiver.

usage: smtpsink.py PORT N [SAMPLE]
Prints "ready" once listening; then, when N messages have come (or after
300 s), one line of JSON: {"got": count, "times": [monotonic seconds]}.
"""
import json
import sys
import threading
import time

from aiosmtpd.controller import Controller


class Sink:
    def __init__(self, n, sample):
        self.n = n
        self.sample = sample
        self.times = []
        self.done = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        self.times.append(time.monotonic())
        if len(self.times) == 1 and self.sample:
            with open(self.sample, "wb") as f:
                f.write(envelope.original_content)
        if len(self.times) >= self.n:
            self.done.set()
        return "250 2.0.0 OK queued"


def main():
    port, n = int(sys.argv[1]), int(sys.argv[2])
    sink = Sink(n, sys.argv[3] if len(sys.argv) > 3 else None)
    c = Controller(sink, hostname="127.0.0.1", port=port)
    c.start()
    print("ready", flush=True)
    sink.done.wait(300)
    time.sleep(0.2)		# a duplicate after the last would show
    c.stop()
    print(json.dumps({"got": len(sink.times), "times": sink.times}),
          flush=True)


if __name__ == "__main__":
    main()
