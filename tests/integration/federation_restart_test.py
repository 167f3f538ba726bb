"""Peer killed and restarted mid-run (real Prosody 0.12, s2s).

A push flows; Prosody is killed (SIGKILL: no </stream:stream>) and started
again on the same data. Later pushes still flow, every publish gets exactly
one result (never two), and Herald's TCP connections and memory come back to
where they were.

Usage: federation_restart_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import asyncio
import secrets
import signal
import subprocess
import sys

import harness

TOPIC = "org.example.herald"
MODULE = "example-ios"


def results(prosody):
    return [l for l in prosody.log_text().splitlines()
            if "Received[s2s" in l and "<iq" in l and "type='result'" in l and "from='push.test'" in l]


def connections(pid):
    out = subprocess.run(["ss", "-Htnp", "state", "established"], capture_output=True, text=True).stdout
    return sum(1 for l in out.splitlines() if "pid=%d," % pid in l)


def rss_kb(pid):
    for line in open("/proc/%d/status" % pid):
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


async def push(prosody, sim, user, ca, n):
    token = secrets.token_hex(32)
    c = await harness.client(user + "/phone", prosody.ip, ca)
    await harness.enable_push(c, "push.test", token, MODULE)
    await c.disconnect()
    sender = await harness.client("bob@user.test/desktop", prosody.ip, ca)
    sender.send_message(mto=user, mbody="hello", mtype="chat")
    await harness.await_for(lambda: [r for r in sim.requests() if r["token"] == token], 20, "push %d" % n)
    await harness.await_for(lambda: results(prosody), 10, "Herald's result %d" % n)
    await sender.disconnect()


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("federation_restart: terminated"))
    td = harness.TestDir("federation-restart")
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        sim = harness.ApnsSim(procs, sys.argv[2], td.sub("apns-sim"), pki, [TOPIC])
        herald_ip = harness.free_loopback_ip(ports=(5269,))
        prosody_ip = harness.free_loopback_ip()
        herald = harness.Herald(procs, sys.argv[1], td.sub("herald"), "push.test", herald_ip, pki,
                                routes={"user.test": "%s:5269" % prosody_ip},
                                modules=[{"name": MODULE, "topic": TOPIC, "endpoint": "127.0.0.1:%d" % sim.port,
                                          "ca_file": pki.ca, "team_id": sim.team_id, "key_id": sim.key_id,
                                          "key_file": sim.p8}])
        prosody = harness.Prosody(procs, td.sub("prosody"), "user.test", prosody_ip, pki,
                                  hosts={"push.test": herald_ip})
        for u in ("alice", "carol", "dave", "bob"):
            prosody.register(u)
        asyncio.run(push(prosody, sim, "alice@user.test", pki.ca, 1))
        # Herald: 1 inbound s2s + 1 outbound s2s + its APNs connection.
        baseline_conns = connections(herald.proc.pid)
        baseline_rss = rss_kb(herald.proc.pid)

        procs.stop(prosody.proc, sig=signal.SIGKILL)
        harness.wait_for(lambda: herald.log_text().count(": closed") >= 2, 10, "Herald to see both streams end")
        prosody.start()
        for n, user in ((2, "carol"), (3, "dave")):
            asyncio.run(push(prosody, sim, user + "@user.test", pki.ca, n))

        publishes = herald.settled_log_text().count("publish from user.test")
        harness.wait_for(lambda: len(results(prosody)) >= publishes, 10, "a result for every publish")
        import time
        time.sleep(1.0)
        ids = [l.split("id='")[1].split("'")[0] for l in results(prosody)]
        assert len(ids) == len(set(ids)), "a result was sent twice: %s" % ids
        assert len(ids) == publishes, (len(ids), publishes)
        conns = connections(herald.proc.pid)
        assert conns <= baseline_conns, "connections: %d before the restart, %d after" % (baseline_conns, conns)
        rss = rss_kb(herald.proc.pid)
        assert rss < baseline_rss + 4096, "memory grew from %d kB to %d kB" % (baseline_rss, rss)
        print("federation_restart: passed (connections %d -> %d, RSS %d -> %d kB)"
              % (baseline_conns, conns, baseline_rss, rss))
        td.ok = True
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
