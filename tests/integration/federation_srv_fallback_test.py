"""XEP-0368 fallback: the peer's _xmpps-server._tcp target is dead, STARTTLS works.

A dnsmasq of the test's own publishes `_xmpps-server._tcp.user.example` ->
tls.user.example port 5270, an address where nothing listens, and no
_xmpp-server record. Herald must still reach Prosody: after the direct TLS
target fails it tries STARTTLS on user.example:5269 (RFC 6120's fallback).
Herald does not offer bidi here, so its result to Prosody's publish needs a
stream of its own, found through DNS.

Domains under .example, not .test: see federation_direct_tls_test.py.

Usage: federation_srv_fallback_test.py HERALD_BINARY APNS_SIM_BINARY
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
            if "Received[s2sin]: <iq" in l and "type='result'" in l and "from='push.example'" in l]


async def scenario(prosody, sim, ca):
    alice, bob = prosody.register("alice"), prosody.register("bob")
    token = secrets.token_hex(32)
    c = await harness.client(alice + "/phone", prosody.ip, ca)
    await harness.enable_push(c, "push.example", token, MODULE)
    await c.disconnect()
    sender = await harness.client(bob + "/desktop", prosody.ip, ca)
    sender.send_message(mto=alice, mbody="hello", mtype="chat")
    await harness.await_for(lambda: [r for r in sim.requests() if r["token"] == token], 20, "the push")
    await harness.await_for(lambda: len(results(prosody)) == 1, 20, "Herald's result")
    await sender.disconnect()


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("federation_srv_fallback: terminated"))
    td = harness.TestDir("federation-srv-fallback")
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        sim = harness.ApnsSim(procs, sys.argv[2], td.sub("apns-sim"), pki, [TOPIC])
        herald_ip = harness.free_loopback_ip(ports=(5269,))
        prosody_ip = harness.free_loopback_ip(ports=(5222, 5269))
        dead_ip = harness.free_loopback_ip(ports=(5270,))
        dns = harness.Dnsmasq(procs, td.sub("dns"),
                              srv=[("_xmpps-server._tcp.user.example", "tls.user.example", 5270)],
                              a={"push.example": herald_ip, "user.example": prosody_ip,
                                 "tls.user.example": dead_ip})
        herald = harness.Herald(procs, sys.argv[1], td.sub("herald"), "push.example", herald_ip, pki,
                                routes={},
                                modules=[{"name": MODULE, "topic": TOPIC, "endpoint": "127.0.0.1:%d" % sim.port,
                                          "ca_file": pki.ca, "team_id": sim.team_id, "key_id": sim.key_id,
                                          "key_file": sim.p8}],
                                s2s_extra='bidi = false\ndns_servers = ["%s:53"]' % dns.ip)
        prosody = harness.Prosody(procs, td.sub("prosody"), "user.example", prosody_ip, pki,
                                  hosts={"push.example": herald_ip}, dns=dns)
        asyncio.run(scenario(prosody, sim, pki.ca))
        log = herald.settled_log_text()
        assert "_xmpps-server._tcp.user.example" in dns.log_text(), "Herald should have asked for direct TLS"
        assert "outbound to user.example: cannot connect to port 5270" in log, \
            "the direct TLS target should have been tried and failed"
        assert "outbound to user.example: TLS established (TLSv1.3), certificate valid" in log, \
            "Herald should have fallen back to STARTTLS on user.example:5269"
        td.ok = True
        print("federation_srv_fallback: passed")
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
