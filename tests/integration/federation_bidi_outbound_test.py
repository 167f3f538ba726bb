"""Outbound bidirectional s2s (XEP-0288): Herald asks for bidi on the stream it
opens, and real Prosody 0.12 (mod_s2s_bidi) sends its publishes over it.

Prosody's hosts file sends push.test to an address where nothing listens, so
Prosody can never open a stream to Herald: every publish from Prosody must
come over the connection Herald opened. Herald does not offer bidi on its
own listener (`bidi = false`), so its first reply to user.test needs a stream
of its own. What makes Herald open it: herald-publish, acting as user.test,
publishes once; Herald's result goes to user.test, i.e. to Prosody. Then a
real push from Prosody (alice's phone, bob's message) must reach apns-sim and
its result must reach Prosody, and `ss` must show exactly one TCP connection
between Prosody and Herald.

Usage: federation_bidi_outbound_test.py HERALD_BINARY APNS_SIM_BINARY HERALD_PUBLISH_BINARY
"""
import asyncio
import os
import secrets
import signal
import subprocess
import sys

import harness

TOPIC = "org.example.herald"
MODULE = "example-ios"


def replies(prosody):
    return [l for l in prosody.log_text().splitlines()
            if "Received[s2s" in l and "<iq" in l and "from='push.test'" in l]


def accepted(ip, port):
    """Established TCP connections accepted on ip:port (the client side's source address is
    whatever the kernel picked, usually 127.0.0.1, so count the listening side)."""
    out = subprocess.run(["ss", "-Htn", "state", "established", "src", "%s:%d" % (ip, port)],
                         capture_output=True, text=True, check=True).stdout
    return len([l for l in out.splitlines() if l.strip()])


async def scenario(prosody, sim, ca):
    alice, bob = prosody.register("alice"), prosody.register("bob")
    token = secrets.token_hex(32)
    c = await harness.client(alice + "/phone", prosody.ip, ca)
    await harness.enable_push(c, "push.test", token, MODULE)
    await c.disconnect()
    sender = await harness.client(bob + "/desktop", prosody.ip, ca)
    sender.send_message(mto=alice, mbody="hello", mtype="chat")
    await harness.await_for(lambda: [r for r in sim.requests() if r["token"] == token], 20, "the push")
    await harness.await_for(lambda: len(replies(prosody)) == 2, 10, "Herald's reply to Prosody's publish")
    assert "type='result'" in replies(prosody)[1], replies(prosody)[1]
    await sender.disconnect()


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("federation_bidi_outbound: terminated"))
    td = harness.TestDir("federation-bidi-outbound")
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        sim = harness.ApnsSim(procs, sys.argv[2], td.sub("apns-sim"), pki, [TOPIC])
        herald_ip = harness.free_loopback_ip(ports=(5269,))
        prosody_ip = harness.free_loopback_ip()
        dead_ip = harness.free_loopback_ip(ports=(5269,))  # nothing listens there
        herald = harness.Herald(procs, sys.argv[1], td.sub("herald"), "push.test", herald_ip, pki,
                                routes={"user.test": "%s:5269" % prosody_ip},
                                modules=[{"name": MODULE, "topic": TOPIC, "endpoint": "127.0.0.1:%d" % sim.port,
                                          "ca_file": pki.ca, "team_id": sim.team_id, "key_id": sim.key_id,
                                          "key_file": sim.p8}],
                                s2s_extra="bidi = false\nbidi_outbound = true")
        prosody = harness.Prosody(procs, td.sub("prosody"), "user.test", prosody_ip, pki,
                                  hosts={"push.test": dead_ip}, extra_modules=["s2s_bidi"])
        # herald-publish as user.test (Prosody's certificate): Herald's result goes to Prosody.
        publish_ip = harness.free_loopback_ip(ports=())
        subprocess.run([sys.argv[3], "--domain", "user.test", "--listen", "%s:0" % publish_ip,
                        "--cert", os.path.join(pki.d, "user.test.crt"),
                        "--key", os.path.join(pki.d, "user.test.key"), "--ca", pki.ca, "--to", "push.test",
                        "--route", "push.test=%s:5269" % herald_ip, "--token", secrets.token_hex(32),
                        "--module", MODULE, "--timeout", "3"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=30)
        harness.wait_for(lambda: len(replies(prosody)) == 1, 15, "Herald's first reply at Prosody")
        asyncio.run(scenario(prosody, sim, pki.ca))
        log = herald.settled_log_text()
        assert "outbound to user.test: bidirectional stream requested" in log, log
        assert "outbound to user.test: the peer sends over this stream too (bidirectional)" in log
        assert log.count("outbound to user.test: TLS established") == 1, "one stream of Herald's own"
        assert "publish from user.test" in log
        to_prosody, to_herald = accepted(prosody_ip, 5269), accepted(herald_ip, 5269)
        assert (to_prosody, to_herald) == (1, 0), \
            "expected only Herald's connection to Prosody, ss shows %d to Prosody and %d to Herald" % (
                to_prosody, to_herald)
        td.ok = True
        print("federation_bidi_outbound: passed")
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
