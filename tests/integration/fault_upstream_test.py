"""Faults of the push service (apns-sim): 500s, a hanging request, reset
streams, GOAWAY (per request and after N requests on every connection).

For each: the publish gets exactly one answer of the expected kind (`wait` for
anything whose outcome is transient or unknown), Herald never sends the same
push twice where the outcome is unknown, no token is buried by a fault (a later
publish is still tried: the registration is kept, and `herald --list-tombstones`
lists none), and a control publish still reaches apns-sim.

Usage: fault_upstream_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import secrets
import subprocess
import sys
import time

import harness
import raw_s2s as r

T500, THANG, TRESET, TGOAWAY, TREFUSE = (secrets.token_hex(32) for _ in range(5))


def goaway_module(env):
    """A second simulator that sends GOAWAY after every 2 requests on each connection."""
    pki2 = harness.Pki(env.td.sub("pki2"))  # its own signing key (Pki.apns_auth_key has one path)
    env.sim2 = harness.ApnsSim(env.procs, sys.argv[2], env.td.sub("apns-sim-goaway"), pki2, [r.TOPIC],
                               extra_args=["--no-token-update-limit", "--goaway-after", "2"])
    return {"name": "goaway", "topic": r.TOPIC, "endpoint": "127.0.0.1:%d" % env.sim2.port, "ca_file": pki2.ca,
            "team_id": env.sim2.team_id, "key_id": env.sim2.key_id, "key_file": env.sim2.p8}


def main():
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("fault_upstream: terminated"))
    env = r.HostileEnv("fault-upstream", sys.argv, more_modules=[goaway_module],
                       sim_args=["--token", T500 + "=500", "--token", THANG + "=slow:15000",
                                 "--token", TRESET + "=reset", "--token", TGOAWAY + "=goaway",
                                 "--token", TREFUSE + "=refuse"])
    ok = False
    results = []

    def check(name, cond, detail=""):
        results.append(cond)
        print("%s %-55s %s" % ("PASS" if cond else "FAIL", name, detail), flush=True)

    try:
        s = env.authenticated()
        expected = {T500: ("wait", "internal-server-error"), THANG: ("wait", "internal-server-error"),
                    TRESET: ("wait", "internal-server-error"), TGOAWAY: None, TREFUSE: None}
        ids = {}
        for tok in expected:
            ids[tok] = secrets.token_hex(6)
            s.send(r.publish_xml(tok, ids[tok]))
        gone = [secrets.token_hex(32) for _ in range(6)]
        gone_ids = {}
        for tok in gone:  # one at a time: the connection's GOAWAY lands between them
            gone_ids[tok] = secrets.token_hex(6)
            s.send(r.publish_xml(tok, gone_ids[tok], module="goaway"))
            rep = s.iq_reply(gone_ids[tok], timeout=20)
            check("goaway-after-2: publish answered result", r.iq_error(rep) == ("result", None), r.describe(rep))
        answers = {}
        end = time.monotonic() + 30
        while len(answers) < len(expected) and time.monotonic() < end:
            el = s.next(timeout=max(0.1, end - time.monotonic()))
            for tok, i in ids.items():
                if el.get("id") == i:
                    answers.setdefault(tok, []).append(r.iq_error(el))
        # At most once: nothing more for these ids in the next 3 s (late upstream outcomes).
        try:
            while True:
                el = s.next(timeout=3)
                for tok, i in ids.items():
                    if el.get("id") == i:
                        answers[tok].append(r.iq_error(el))
        except TimeoutError:
            pass
        names = {T500: "500", THANG: "hang (upstream timeout)", TRESET: "reset stream",
                 TGOAWAY: "GOAWAY before this stream", TREFUSE: "REFUSED_STREAM"}
        for tok, want in expected.items():
            got = answers.get(tok, [])
            if want:
                check("%s: one answer, %s" % (names[tok], "/".join(want)), got == [want], str(got))
            else:  # provably unprocessed: Herald may retry; one answer, result or wait
                check("%s: one answer (result or wait)" % names[tok],
                      len(got) == 1 and got[0][0] in ("result", "wait"), str(got))
        reqs = env.sim.requests()
        for tok in expected:
            delivered = [q for q in reqs if q["token"] == tok and q["status"] == 200]
            check("%s: delivered at most once" % names[tok], len(delivered) <= 1, "%d" % len(delivered))
        check("reset stream: not resent (outcome unknown)",
              len([q for q in reqs if q["token"] == TRESET]) == 1,
              str(len([q for q in reqs if q["token"] == TRESET])))
        reqs2 = env.sim2.requests()
        check("goaway-after-2: each push exactly once",
              all(len([q for q in reqs2 if q["token"] == t and q["status"] == 200]) == 1 for t in gone))
        # Registration kept: the 500 token is not refused for good (within the rate window the
        # publish is coalesced: result; otherwise tried again: wait), never cancel/item-not-found.
        rep = env.publish(s, T500)
        check("500: registration kept (next publish not cancel)",
              r.iq_error(rep) in (("result", None), ("wait", "internal-server-error")), r.describe(rep))
        s.close()
        env.control()
        check("control publish after the faults", True)
        out = subprocess.run([env.herald_binary, "tombstones", "list", "--config", env.herald.config],
                             capture_output=True, text=True, timeout=30).stdout
        check("no tombstone from a fault", "0 tombstone(s)" in out, out.strip()[-80:])
        ok = all(results)
    except Exception as e:  # noqa: BLE001
        import traceback
        traceback.print_exc()
        check("fault_upstream ran to the end", False, str(e))
    finally:
        print("fault_upstream: %d/%d checks passed" % (sum(results), len(results)), flush=True)
        env.close(ok)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
