"""PostgreSQL frozen with SIGSTOP (the postmaster and its backends: connections still accepted by the
kernel, nothing answered) while publishes flow through Herald with backend = "postgresql" and v1
registration on.

v2 publishes (50/s on one s2s stream) need no store: they keep being answered at the same rate and
latency while PostgreSQL is frozen. v1 publishes (their node's registration is read from the store)
and a v1 registration over HTTP are answered `wait` / 503 within the store's documented bound
(docs/configuration.md "[store]": queue_timeout_ms + 1.25 x statement_timeout_ms, 4.5 s by default).
Tokens apns-sim reports dead during the freeze are refused, and their tombstones reach PostgreSQL
after SIGCONT. After SIGCONT v1 publishes are delivered again; every request is answered exactly once
and no push is sent twice.

Usage: fault_postgres_stall_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import secrets
import signal
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import harness
import paced
import raw_s2s as r

HTTP_PORT = 5280
RATE = 50            # v2 publishes per second
BOUND = 4.5          # s: the [store] answer bound with the default settings
SLACK = 1.0          # s: for a loaded test machine
DEAD = [secrets.token_hex(32) for _ in range(3)]  # apns-sim answers 410 for these


def body(run):
    pg = run.frozen = harness.Postgres(run.procs, run.td.sub("postgres"))
    http_ip = harness.free_loopback_ip(ports=(HTTP_PORT,))
    extra = ('rate_limit_window = 0\n\n[store]\nbackend = "postgresql"\npostgresql = "%s"\n'
             '\n[v1]\nenabled = true\nflush_interval = 1\nlisten = ["%s:%d"]\n'
             % (pg.conninfo, http_ip, HTTP_PORT))
    env = run.env = r.HostileEnv("fault-postgres-stall", sys.argv, extra=extra, td=run.td,
                       sim_args=sum((["--token", t + "=dead"] for t in DEAD), []))
    harness.wait_tcp(http_ip, HTTP_PORT, 10, env.herald.proc, "herald v1 http")
    register_url = "http://%s:%d/push_appserver/v1/register" % (http_ip, HTTP_PORT)

    def register():
        body = urllib.parse.urlencode({"type": "apns", "node": "st-" + secrets.token_hex(8),
                                       "token": r.token()}).encode()
        try:
            with urllib.request.urlopen(register_url, data=body, timeout=30) as resp:
                return resp.status, resp.read().decode().split("\n")
        except urllib.error.HTTPError as e:
            return e.code, []

    status, lines = register()
    assert status == 200 and lines[0] == "OK", (status, lines)
    node, secret = lines[1], lines[2]

    p = paced.Publisher(env.authenticated())

    def with_v1(phase):  # a v1 publish every 10th tick: 5 per second
        def each(tick):
            if tick % 10 == 0:
                p.publish(node, "v1", phase, module=None, extra_options=r.field("secret", secret))
        return each

    p.run(4, RATE, "before", with_v1("before"))
    p.drain(10)
    before = p.stats("before", "v2")
    run.check("before: v2 publishes answered result", p.kinds("before", "v2") == [("result", None)] * before["offered"],
              "%(answered)d/%(offered)d, p50 %(p50).3f s, p95 %(p95).3f s" % before)
    run.check("before: v1 publishes answered result", set(p.kinds("before", "v1")) == {("result", None)})

    # --- PostgreSQL frozen ---
    pg.freeze()
    frozen_at = time.monotonic()
    http_during = {}

    def register_during():
        t0 = time.monotonic()
        http_during["status"], _ = register()
        http_during["took"] = time.monotonic() - t0
    t = threading.Thread(target=register_during)
    t.start()
    for tok in DEAD:
        p.publish(tok, "dead", "frozen")
    p.run(8, RATE, "frozen", with_v1("frozen"))
    p.drain(BOUND + SLACK)
    t.join(BOUND + 2 * SLACK)
    frozen_for = time.monotonic() - frozen_at
    pg.thaw()

    frozen = p.stats("frozen", "v2")
    run.check("frozen: every v2 publish answered", frozen["answered"] == frozen["offered"],
              "%(answered)d/%(offered)d" % frozen)
    run.check("frozen: v2 all result", set(p.kinds("frozen", "v2")) == {("result", None)})
    run.check("frozen: v2 latency as before (p95 <= max(0.25 s, 3 x before))",
              frozen["p95"] <= max(0.25, 3 * before["p95"]),
              "p50 %.3f s p95 %.3f s max %.3f s (before p95 %.3f s)"
              % (frozen["p50"], frozen["p95"], frozen["max"], before["p95"]))
    v1_lat = p.latencies("frozen", "v1")
    run.check("frozen: v1 publishes answered wait", p.kinds("frozen", "v1")
              and set(p.kinds("frozen", "v1")) == {("wait", "internal-server-error")},
              str(sorted(set(p.kinds("frozen", "v1")))))
    run.check("frozen: every v1 publish answered", len(v1_lat) == p.stats("frozen", "v1")["offered"])
    run.check("frozen: each v1 answer within the bound (%.1f s + %.1f s)" % (BOUND, SLACK),
              v1_lat and v1_lat[-1] <= BOUND + SLACK, "slowest %.2f s of %d" % (v1_lat[-1] if v1_lat else -1,
                                                                                  len(v1_lat)))
    run.check("frozen: v1 registration over HTTP answered 503 within the bound",
              http_during.get("status") == 503 and http_during.get("took", 99) <= BOUND + SLACK,
              str(http_during))
    run.check("frozen: dead tokens refused (cancel)",
              p.kinds("frozen", "dead") == [("cancel", "item-not-found")] * len(DEAD))
    print("PostgreSQL was frozen for %.1f s" % frozen_for, flush=True)

    # --- thawed: the store serves again within its retry interval ---
    p.run(12, RATE, "after", with_v1("after"))
    p.drain(10)
    after_v1 = [k for i, k in sorted((p.sent[i]["at"], p.answers[i][0][1]) for i in p.answers
                                    if p.sent[i]["phase"] == "after" and p.sent[i]["kind"] == "v1")]
    run.check("after: v1 publishes delivered again", after_v1[-5:] == [("result", None)] * 5, str(after_v1[-5:]))
    run.check("after: v2 all result", set(p.kinds("after", "v2")) == {("result", None)})
    harness.wait_for(lambda: pg.query("SELECT count(*) FROM tombstones") == [[str(len(DEAD))]], 20,
                     "the freeze's tombstones in PostgreSQL")
    run.check("tombstones buried while frozen reach PostgreSQL", True)

    p.drain(2)
    run.exactly_once(p, env.sim, ("v2", "dead"))
    log = env.herald.settled_log_text()
    run.check("log: the outage named once", log.count("store: PostgreSQL unreachable") == 1,
              "%d times" % log.count("store: PostgreSQL unreachable"))
    run.check("log: the recovery named once", log.count("store: PostgreSQL reachable again") == 1,
              "%d times" % log.count("store: PostgreSQL reachable again"))


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("fault_postgres_stall: terminated"))
    paced.StallRun("fault-postgres-stall").main(body)
