"""PostgreSQL restarted (fast shutdown) while publishes flow through Herald with
backend = "postgresql".

Before: three v1 registrations over HTTP. Then publishes on one s2s stream in three bursts:
before the outage, while PostgreSQL is down (including tokens apns-sim reports dead, so
tombstones are written during the outage), and after it is back. Asserts: every publish answered
exactly once, no push sent twice (apns-sim's recorder), the tombstones buried during the outage
reach PostgreSQL once it is back, the v1 registrations are still there and usable, and the log
names the outage once and the recovery once.

Usage: fault_postgres_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import secrets
import signal
import sys
import time
import urllib.parse
import urllib.request

import harness
import raw_s2s as r

HTTP_PORT = 5280
DEAD = [secrets.token_hex(32) for _ in range(3)]  # buried while PostgreSQL is down


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("fault_postgres: terminated"))
    td = harness.TestDir("fault-postgres")
    pg_procs = harness.Procs()
    env = None
    results = []
    ok = False

    def check(name, cond, detail=""):
        results.append(cond)
        print("%s %-60s %s" % ("PASS" if cond else "FAIL", name, detail), flush=True)

    try:
        pg = harness.Postgres(pg_procs, td.sub("postgres"))
        http_ip = harness.free_loopback_ip(ports=(HTTP_PORT,))
        extra = ('rate_limit_window = 0\n\n[store]\nbackend = "postgresql"\npostgresql = "%s"\n'
                 '\n[v1]\nenabled = true\nflush_interval = 1\nlisten = ["%s:%d"]\n'
                 % (pg.conninfo, http_ip, HTTP_PORT))
        env = r.HostileEnv("fault-postgres", sys.argv, extra=extra, td=td,
                           sim_args=sum((["--token", t + "=dead"] for t in DEAD), []))
        harness.wait_tcp(http_ip, HTTP_PORT, 10, env.herald.proc, "herald v1 http")

        regs = {}
        for _ in range(3):
            node = "fp-" + secrets.token_hex(8)
            body = urllib.parse.urlencode({"type": "apns", "node": node, "token": r.token()}).encode()
            with urllib.request.urlopen("http://%s:%d/push_appserver/v1/register" % (http_ip, HTTP_PORT),
                                        data=body, timeout=20) as resp:
                lines = resp.read().decode().split("\n")
            assert resp.status == 200 and lines[0] == "OK", lines
            regs[lines[1]] = lines[2]

        s = env.authenticated()
        sent = {}      # iq id -> token
        answers = {}   # iq id -> [reply kinds]

        def take(timeout=20):
            el = s.next(timeout=timeout)
            if not isinstance(el, str) and el.get("id") in sent:
                answers.setdefault(el.get("id"), []).append(r.iq_error(el))

        def burst(tokens, **kw):
            xml = ""
            for tok in tokens:
                i = secrets.token_hex(6)
                sent[i] = tok
                xml += r.publish_xml(tok, i, **kw)
            s.send(xml)

        def drain():
            deadline = time.monotonic() + 30
            while len(answers) < len(sent) and time.monotonic() < deadline:
                take()

        before = [r.token() for _ in range(20)]
        burst(before)
        while len(answers) < 5:
            take()
        pg.stop()  # fast shutdown with the burst still in flight
        during = [r.token() for _ in range(20)]
        burst(during + DEAD)
        drain()
        check("publishes before and during the outage answered", len(answers) == len(sent),
              "%d/%d" % (len(answers), len(sent)))
        by_tok = {sent[i]: v[0] for i, v in answers.items()}
        check("dead tokens refused during the outage", all(by_tok.get(t) == ("cancel", "item-not-found")
                                                            for t in DEAD), str([by_tok.get(t) for t in DEAD]))
        check("live tokens delivered during the outage",
              all(by_tok.get(t) == ("result", None) for t in before + during))
        log = env.herald.settled_log_text()
        check("log: outage named", log.count("PostgreSQL unreachable") == 1,
              "%d times" % log.count("PostgreSQL unreachable"))

        pg.start()
        # The store retries every 5 s; publishes keep flowing meanwhile (v1 ones look up their node).
        after = []
        deadline = time.monotonic() + 25
        while "PostgreSQL reachable again" not in env.herald.log_text() and time.monotonic() < deadline:
            node, secret = next(iter(regs.items()))
            batch = [r.token() for _ in range(3)]
            after += batch
            burst(batch)
            burst([node], module=None, extra_options=r.field("secret", secret))
            drain()
            time.sleep(1)
        check("log: recovery named once", env.herald.settled_log_text().count("PostgreSQL reachable again") == 1)
        harness.wait_for(lambda: pg.query("SELECT count(*) FROM tombstones") == [[str(len(DEAD))]], 20,
                         "the outage's tombstones in PostgreSQL")
        check("tombstones of the outage in PostgreSQL", True)
        check("v1 registrations kept", pg.query("SELECT count(*) FROM registrations") == [[str(len(regs))]])
        v1_ids = []
        for node, secret in regs.items():
            i = secrets.token_hex(6)
            sent[i] = node
            v1_ids.append(i)
            s.send(r.publish_xml(node, i, module=None, extra_options=r.field("secret", secret)))
        drain()
        check("v1 publishes after the restart: result", all(answers.get(i) == [("result", None)] for i in v1_ids),
              str([answers.get(i) for i in v1_ids]))
        try:  # anything answered twice would arrive now
            while True:
                take(timeout=1)
        except (r.Closed, TimeoutError, OSError):
            pass
        check("every publish answered", len(answers) == len(sent), "%d/%d" % (len(answers), len(sent)))
        check("none answered twice", all(len(v) == 1 for v in answers.values()))
        reqs = env.sim.requests()
        twice = [t for t in set(before + during + after) if len([q for q in reqs if q["token"] == t]) != 1]
        check("each live v2 token pushed exactly once", not twice, "%d not once" % len(twice))
        check("dead tokens pushed at most once", all(len([q for q in reqs if q["token"] == t]) <= 1 for t in DEAD))
        ok = all(results)
    except Exception as e:  # noqa: BLE001
        import traceback
        traceback.print_exc()
        check("fault_postgres ran to the end", False, str(e))
    finally:
        print("fault_postgres: %d/%d checks passed" % (sum(results), len(results)), flush=True)
        pg_procs.stop_all()
        if env:
            env.close(ok)
        else:
            td.close()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
