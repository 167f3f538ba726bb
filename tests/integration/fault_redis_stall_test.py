"""Redis frozen with SIGSTOP (connections still accepted by the kernel, nothing answered) while
publishes flow through Herald in Redis rate-limit mode ([redis], the per-token limit shared by
nodes).

Herald never waits for Redis on its event loop: pings (which need no Redis) keep being answered at
once throughout; every publish is answered, those whose Redis call was in flight within the Redis
timeout (the per-node limiter decides instead), the rest at once while Redis is known down; the log
says so once, and once more when Redis answers again after SIGCONT. Every request is answered
exactly once and no push is sent twice. The Redis timeout is 500 ms here (50 ms by default), so that
a loop that did wait for Redis would show it in the pings.

Usage: fault_redis_stall_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import secrets
import signal
import sys
import time

import harness
import paced
import raw_s2s as r

RATE = 50           # publishes per second
TIMEOUT = 0.5       # s, [redis] timeout_ms below
SLACK = 0.3         # s, for a loaded test machine


def body(run):
    redis = run.frozen = harness.Redis(run.procs, run.td.sub("redis"))
    extra = ('\n[redis]\naddress = "%s"\nkey_secret = "%s"\ntimeout_ms = %d\n'
             % (redis.address, secrets.token_hex(16), int(TIMEOUT * 1000)))
    env = run.env = r.HostileEnv("fault-redis-stall", sys.argv, extra=extra, td=run.td)
    p = paced.Publisher(env.authenticated())

    def with_pings(phase):  # a ping every 5th tick: 10 per second
        def each(tick):
            if tick % 5 == 0:
                p.ping(phase)
        return each

    p.run(4, RATE, "before", with_pings("before"))
    p.drain(5)
    before = p.stats("before", "v2")
    run.check("before: publishes answered result", p.kinds("before", "v2") == [("result", None)] * before["offered"],
              "%(answered)d/%(offered)d, p95 %(p95).3f s" % before)
    run.check("before: Redis holds the windows (keyed hashes)", len(redis.keys("herald:rl:*")) >= before["offered"])

    redis.freeze()
    p.run(8, RATE, "frozen", with_pings("frozen"))
    p.drain(TIMEOUT + 2)
    redis.thaw()
    frozen = p.stats("frozen", "v2")
    pings = p.stats("frozen", "ping")
    run.check("frozen: pings answered at once throughout (max <= 0.25 s)",
              pings["answered"] == pings["offered"] and pings["max"] <= 0.25,
              "%(answered)d/%(offered)d, p50 %(p50).3f s max %(max).3f s" % pings)
    run.check("frozen: every publish answered result", p.kinds("frozen", "v2") == [("result", None)] * frozen["offered"],
              "%(answered)d/%(offered)d" % frozen)
    run.check("frozen: each within the Redis timeout (%.1f s + %.1f s)" % (TIMEOUT, SLACK),
              frozen["max"] <= TIMEOUT + SLACK, "p50 %(p50).3f s p95 %(p95).3f s max %(max).3f s" % frozen)
    log = env.herald.settled_log_text()
    run.check("log: Redis unreachable said once", log.count("Redis unreachable") == 1,
              "%d times" % log.count("Redis unreachable"))

    # After SIGCONT Redis is used again (retried every 5 s).
    deadline = time.monotonic() + 15
    while "Redis reachable again" not in env.herald.log_text() and time.monotonic() < deadline:
        p.run(1, RATE, "after", with_pings("after"))
    p.run(2, RATE, "after", with_pings("after"))
    p.drain(5)
    log = env.herald.settled_log_text()
    run.check("after: Redis reachable again said once", log.count("Redis reachable again") == 1,
              "%d times" % log.count("Redis reachable again"))
    run.check("after: publishes answered result", set(p.kinds("after", "v2")) == {("result", None)})

    run.exactly_once(p, env.sim, ("v2",))


if __name__ == "__main__":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("fault_redis_stall: terminated"))
    paced.StallRun("fault-redis-stall").main(body)
