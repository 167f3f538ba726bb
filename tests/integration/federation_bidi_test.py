"""Bidirectional s2s (XEP-0288) with real Prosody 0.12 (its bundled mod_s2s_bidi).

Herald offers bidi after TLS; Prosody asks for it on the stream it opens, so
Herald's result goes back over that same stream. Herald's static route to
Prosody points at a closed port: a reply can only arrive over the bidi stream.

Usage: federation_bidi_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import asyncio
import secrets
import signal
import sys

import harness

TOPIC = "org.example.herald"
MODULE = "example-ios"


def results(prosody):
    return [l for l in prosody.log_text().splitlines()
            if "Received[s2s" in l and "<iq" in l and "type='result'" in l and "from='push.test'" in l]


async def scenario(prosody, sim, ca):
    alice, bob = prosody.register("alice"), prosody.register("bob")
    sender = await harness.client(bob + "/desktop", prosody.ip, ca)
    for n in (1, 2):
        token = secrets.token_hex(32)
        c = await harness.client(alice + "/phone", prosody.ip, ca)
        await harness.enable_push(c, "push.test", token, MODULE)
        await c.disconnect()
        sender.send_message(mto=alice, mbody="hello", mtype="chat")
        await harness.await_for(lambda: [r for r in sim.requests() if r["token"] == token], 20, "push %d" % n)
        await harness.await_for(lambda: len(results(prosody)) >= n, 10, "Herald's result %d" % n)
    await sender.disconnect()


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("federation_bidi: terminated"))
    td = harness.TestDir("federation-bidi")
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        sim = harness.ApnsSim(procs, sys.argv[2], td.sub("apns-sim"), pki, [TOPIC])
        herald_ip = harness.free_loopback_ip(ports=(5269,))
        prosody_ip = harness.free_loopback_ip()
        closed_port = harness.free_tcp_port(prosody_ip)
        herald = harness.Herald(procs, sys.argv[1], td.sub("herald"), "push.test", herald_ip, pki,
                                routes={"user.test": "%s:%d" % (prosody_ip, closed_port)},
                                modules=[{"name": MODULE, "topic": TOPIC, "endpoint": "127.0.0.1:%d" % sim.port,
                                          "ca_file": pki.ca, "team_id": sim.team_id, "key_id": sim.key_id,
                                          "key_file": sim.p8}])
        prosody = harness.Prosody(procs, td.sub("prosody"), "user.test", prosody_ip, pki,
                                  hosts={"push.test": herald_ip}, extra_modules=["s2s_bidi"])
        asyncio.run(scenario(prosody, sim, pki.ca))
        publishes = lambda: herald.log_text().count("publish from user.test")
        harness.wait_for(lambda: len(results(prosody)) == publishes(), 10, "one result per publish")
        log = herald.settled_log_text()
        assert "s2s: stanzas to user.test go over its bidirectional stream" in log
        assert "outbound to user.test" not in log, "Herald should not have opened a stream of its own"
        assert log.count("inbound from user.test: TLS established") == 1, "one connection for both directions"
        td.ok = True
        print("federation_bidi: passed")
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
