"""Herald sent SIGTERM during a burst of publishes.

It must stop accepting connections at once, answer every in-flight publish
exactly once (a result when the push service answers in time, else `wait`
handed back before the bound), answer publishes arriving meanwhile on open
streams with `wait`, exit 0 within [server] shutdown_timeout (5 s) plus a
small margin, never send a push twice, send a push held by the rate limit
at once instead of losing it, and keep its tombstones (store
flushed): `herald --list-tombstones` lists the one buried before.

Usage: fault_sigterm_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import secrets
import signal
import socket
import subprocess
import sys
import time

import harness
import raw_s2s as r

BOUND = 5  # [server] shutdown_timeout default
FAST = [secrets.token_hex(32) for _ in range(40)]
SOON = [secrets.token_hex(32) for _ in range(6)]   # answered by apns-sim 1.5 s after the request
NEVER = [secrets.token_hex(32) for _ in range(6)]  # answered after 30 s: must be handed back
DEAD = secrets.token_hex(32)
HELD = secrets.token_hex(32)  # coalesced by the rate limit: held when SIGTERM comes


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("fault_sigterm: terminated"))
    sim_args = []
    for t in SOON:
        sim_args += ["--token", t + "=slow:1500"]
    for t in NEVER:
        sim_args += ["--token", t + "=slow:30000"]
    sim_args += ["--token", DEAD + "=dead"]
    env = r.HostileEnv("fault-sigterm", sys.argv, sim_args=sim_args)
    results = []
    ok = False

    def check(name, cond, detail=""):
        results.append(cond)
        print("%s %-60s %s" % ("PASS" if cond else "FAIL", name, detail), flush=True)

    try:
        s = env.authenticated()
        rep = env.publish(s, DEAD)
        check("dead token buried first", r.iq_error(rep) == ("cancel", "item-not-found"), r.describe(rep))
        # A second publish inside the rate-limit window (20 s) is answered and its push held.
        held_replies = [r.iq_error(env.publish(s, HELD)) for _ in range(2)]
        check("coalesced publishes answered result", held_replies == [("result", None)] * 2, str(held_replies))
        check("the second push is held", len([q for q in env.sim.requests() if q["token"] == HELD]) == 1)
        ids = {}
        burst = ""
        for tok in FAST + SOON + NEVER:
            ids[secrets.token_hex(6)] = tok
        for i, tok in ids.items():
            burst += r.publish_xml(tok, i)
        s.send(burst)
        # Let part of the burst be answered, then SIGTERM while the rest is in flight.
        answers = {}

        def take(el):
            if not isinstance(el, str) and el.get("id") in ids:
                answers.setdefault(el.get("id"), []).append(r.iq_error(el))
        while len(answers) < 10:
            take(s.next(timeout=20))
        t0 = time.monotonic()
        env.herald.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        late_id = secrets.token_hex(6)
        s.send(r.publish_xml(secrets.token_hex(32), late_id))
        try:
            c = socket.create_connection((env.ip, 5269), timeout=2)
            c.close()
            refused = False
        except OSError:
            refused = True
        check("new connections refused once SIGTERM is handled", refused)
        late = []
        try:
            while True:
                el = s.next(timeout=BOUND + 5)
                take(el)
                if not isinstance(el, str) and el.get("id") == late_id:
                    late.append(r.iq_error(el))
        except (r.Closed, TimeoutError):
            pass
        try:
            code = env.herald.proc.wait(BOUND + 5)
        except subprocess.TimeoutExpired:
            code = None
        elapsed = time.monotonic() - t0
        check("exits 0 within the bound (%d s, +1 s for the test)" % BOUND, code == 0 and elapsed < BOUND + 1,
              "exit %s after %.1f s" % (code, elapsed))
        check("a publish arriving while draining: wait", late == [("wait", "internal-server-error")], str(late))
        check("every publish of the burst answered", len(answers) == len(ids), "%d/%d" % (len(answers), len(ids)))
        check("none answered twice", all(len(v) == 1 for v in answers.values()))
        by_tok = {ids[i]: v[0] for i, v in answers.items()}
        check("in flight and answered upstream in time: result",
              all(by_tok.get(t) == ("result", None) for t in SOON), str([by_tok.get(t) for t in SOON]))
        check("in flight past the bound: handed back with wait",
              all(by_tok.get(t) == ("wait", "internal-server-error") for t in NEVER),
              str([by_tok.get(t) for t in NEVER]))
        check("the rest: result", all(by_tok.get(t) == ("result", None) for t in FAST))
        reqs = env.sim.requests()
        check("no push sent twice", all(len([q for q in reqs if q["token"] == t]) <= 1 for t in ids.values()))
        check("the held push sent at shutdown, exactly once", len([q for q in reqs if q["token"] == HELD]) == 2,
              "%d pushes" % len([q for q in reqs if q["token"] == HELD]))
        log = env.herald.settled_log_text()
        check("log: hand-back counted", "request(s) handed back with wait" in log)
        out = subprocess.run([env.herald_binary, "tombstones", "list", "--config", env.herald.config],
                             capture_output=True, text=True, timeout=30).stdout
        check("tombstone kept across the restart", "1 tombstone(s)" in out, out.strip()[-60:])
        ok = all(results)
    except Exception as e:  # noqa: BLE001
        import traceback
        traceback.print_exc()
        check("fault_sigterm ran to the end", False, str(e))
    finally:
        print("fault_sigterm: %d/%d checks passed" % (sum(results), len(results)), flush=True)
        env.close(ok)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
