"""Component mode (XEP-0114) behind real Prosody 0.12.

Prosody serves push.test as an external component (component_secret) and
does all federation; Herald connects to Prosody's component port instead of
using s2s. A push must reach apns-sim and Herald's result must reach
Prosody. Then Prosody is restarted: Herald reconnects (with backoff) and the
next push flows again.

Usage: federation_component_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import asyncio
import secrets
import signal
import sys

import harness

TOPIC = "org.example.herald"
MODULE = "example-ios"
COMPONENT_PORT = 5347


def results(prosody):
    return [l for l in prosody.log_text().splitlines()
            if "<iq" in l and "type='result'" in l and "from='push.test'" in l and "Received[component]" in l]


async def push(prosody, sim, user, sender, ca):
    token = secrets.token_hex(32)
    c = await harness.client(user + "/phone", prosody.ip, ca)
    await harness.enable_push(c, "push.test", token, MODULE)
    await c.disconnect()
    sender.send_message(mto=user, mbody="hello", mtype="chat")
    await harness.await_for(lambda: [r for r in sim.requests() if r["token"] == token], 20, "the push")


async def first(prosody, sim, ca):
    alice, bob = prosody.register("alice"), prosody.register("bob")
    sender = await harness.client(bob + "/desktop", prosody.ip, ca)
    await push(prosody, sim, alice, sender, ca)
    await harness.await_for(lambda: results(prosody), 10, "Herald's result through the component stream")
    await sender.disconnect()


async def second(prosody, sim, ca):
    sender = await harness.client("bob@user.test/desktop", prosody.ip, ca)
    await push(prosody, sim, "carol@user.test", sender, ca)
    await sender.disconnect()


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("federation_component: terminated"))
    td = harness.TestDir("federation-component")
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        sim = harness.ApnsSim(procs, sys.argv[2], td.sub("apns-sim"), pki, [TOPIC])
        herald_ip = harness.free_loopback_ip(ports=(5269,))
        prosody_ip = harness.free_loopback_ip(ports=(5222, 5269, COMPONENT_PORT))
        secret = secrets.token_hex(16)
        prosody = harness.Prosody(
            procs, td.sub("prosody"), "user.test", prosody_ip, pki, hosts={},
            extra_global='component_ports = { %d }\ncomponent_interfaces = { "%s" }\n' % (COMPONENT_PORT, prosody_ip),
            extra_hosts='Component "push.test"\n    component_secret = "%s"\n' % secret)
        herald = harness.Herald(procs, sys.argv[1], td.sub("herald"), "push.test", herald_ip, pki, routes={},
                                modules=[{"name": MODULE, "topic": TOPIC, "endpoint": "127.0.0.1:%d" % sim.port,
                                          "ca_file": pki.ca, "team_id": sim.team_id, "key_id": sim.key_id,
                                          "key_file": sim.p8}],
                                extra='\n[component]\nserver = "%s:%d"\nsecret = "%s"\n'
                                      % (prosody_ip, COMPONENT_PORT, secret))
        connected = lambda: herald.log_text().count("component push.test: connected to the server")
        harness.wait_for(lambda: connected() == 1, 15, "Herald to connect as a component")
        asyncio.run(first(prosody, sim, pki.ca))

        procs.stop(prosody.proc)
        harness.wait_for(lambda: "component push.test: connection lost" in herald.log_text(), 10,
                         "Herald to notice the lost connection")
        prosody.start()
        prosody.register("carol")
        harness.wait_for(lambda: connected() == 2, 20, "Herald to reconnect")
        asyncio.run(second(prosody, sim, pki.ca))
        log = herald.settled_log_text()
        assert "s2s inbound from user.test" not in log, "in component mode nothing should come over s2s"
        assert secret not in log
        td.ok = True
        print("federation_component: passed")
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
