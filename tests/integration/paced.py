"""Publishes at a steady rate on one raw s2s stream (raw_s2s.py), recording when each request was
sent and every answer it got, for the stall tests (a store or Redis frozen while publishes flow).

    p = paced.Publisher(stream)
    p.run(seconds=5, rate=50, phase="before", extra=lambda t: ...)  # extra: other requests to send
    p.stats("before", kind="v2")  # answered, offered, latency quantiles
"""
import secrets
import sys
import time

import harness
import raw_s2s as r


class Publisher:
    def __init__(self, stream):
        self.s = stream
        self.sent = {}  # id -> dict(kind, phase, token, at)
        self.answers = {}  # id -> [(time, (type, condition))]

    def send(self, xml_for_id, kind, phase, token=None):
        i = secrets.token_hex(6)
        self.sent[i] = {"kind": kind, "phase": phase, "token": token, "at": time.monotonic()}
        self.s.send(xml_for_id(i))
        return i

    def publish(self, token, kind, phase, **kw):
        return self.send(lambda i: r.publish_xml(token, i, **kw), kind, phase, token)

    def ping(self, phase):
        return self.send(lambda i: "<iq type='get' from='%s' to='%s' id='%s'><ping xmlns='urn:xmpp:ping'/></iq>"
                         % (r.PEER, r.PUSH, i), "ping", phase)

    def read(self, until):
        """Reads answers until the monotonic time `until`."""
        while True:
            left = until - time.monotonic()
            if left <= 0:
                return
            try:
                el = self.s.next(timeout=max(left, 0.001))
            except TimeoutError:
                return
            if isinstance(el, str):
                raise r.Closed("stream closed: " + el)
            if el.get("id") in self.sent:
                self.answers.setdefault(el.get("id"), []).append((time.monotonic(), r.iq_error(el)))

    def run(self, seconds, rate, phase, each=None):
        """v2 publishes (fresh tokens) at `rate` per second for `seconds`; `each(tick)` may send more."""
        start = time.monotonic()
        tick = 0
        while time.monotonic() < start + seconds:
            due = start + tick / rate
            self.read(due)
            self.publish(r.token(), "v2", phase)
            if each:
                each(tick)
            tick += 1

    def drain(self, seconds):
        end = time.monotonic() + seconds
        while time.monotonic() < end and len(self.answers) < len(self.sent):
            self.read(min(end, time.monotonic() + 0.2))

    def latencies(self, phase, kind):
        out = []
        for i, m in self.sent.items():
            if m["phase"] == phase and m["kind"] == kind and i in self.answers:
                out.append(self.answers[i][0][0] - m["at"])
        return sorted(out)

    def stats(self, phase, kind):
        ids = [i for i, m in self.sent.items() if m["phase"] == phase and m["kind"] == kind]
        lat = self.latencies(phase, kind)

        def q(p):
            return lat[min(len(lat) - 1, int(p * len(lat)))] if lat else float("inf")
        return {"offered": len(ids), "answered": len([i for i in ids if i in self.answers]),
                "p50": q(0.5), "p95": q(0.95), "max": lat[-1] if lat else float("inf")}

    def kinds(self, phase, kind):
        """The answer kinds (type, condition) of the requests of one phase and kind."""
        return [self.answers[i][0][1] for i, m in self.sent.items()
                if m["phase"] == phase and m["kind"] == kind and i in self.answers]

    def answered_twice(self):
        return [i for i, a in self.answers.items() if len(a) > 1]

    def unanswered(self):
        return [i for i in self.sent if i not in self.answers]


class StallRun:
    """What the stall tests share: PASS/FAIL lines for their checks, the exactly-once checks, and a
    teardown that thaws the frozen server before stopping anything (a stopped process would hold
    the rest up).

        run = paced.StallRun("fault-x-stall")
        run.main(body)  # body(run): sets run.env and run.frozen (an object with thaw()), checks
    """

    def __init__(self, name):
        self.name = name
        self.td = harness.TestDir(name)
        self.procs = harness.Procs()
        self.env = None
        self.frozen = None
        self.results = []

    def check(self, what, cond, detail=""):
        self.results.append(bool(cond))
        print("%s %-66s %s" % ("PASS" if cond else "FAIL", what, detail), flush=True)

    def exactly_once(self, p, sim, kinds):
        """Every request answered once, and each token of `kinds` pushed to the simulator once."""
        p.read(time.monotonic() + 1)  # anything answered twice would arrive now
        self.check("every request answered", not p.unanswered(), "%d unanswered" % len(p.unanswered()))
        self.check("none answered twice", not p.answered_twice(), "%d twice" % len(p.answered_twice()))
        count = {}
        for q in sim.requests():
            count[q["token"]] = count.get(q["token"], 0) + 1
        tokens = [m["token"] for m in p.sent.values() if m["kind"] in kinds]
        self.check("each %s token pushed exactly once" % "/".join(kinds),
                   all(count.get(t) == 1 for t in tokens),
                   "%d not once" % len([t for t in tokens if count.get(t) != 1]))

    def main(self, body):
        ok = False
        try:
            body(self)
            ok = all(self.results)
        except Exception as e:  # noqa: BLE001
            import traceback
            traceback.print_exc()
            self.check("%s ran to the end" % self.name, False, str(e))
        finally:
            print("%s: %d/%d checks passed" % (self.name, sum(self.results), len(self.results)), flush=True)
            if self.frozen:
                try:
                    self.frozen.thaw()
                except OSError:
                    pass
            self.procs.stop_all()
            if self.env:
                self.env.close(ok)
            else:
                self.td.close()
        sys.exit(0 if ok else 1)
