"""Direct TLS s2s (XEP-0368) with real Prosody 0.12, found through DNS.

A dnsmasq of the test's own serves `_xmpps-server._tcp.push.example` -> push.example
port 5270 and push.example's address. Prosody asks it (libunbound) and opens its
stream to Herald's direct TLS listener: TLS from the first byte, no STARTTLS.
A push must reach apns-sim and Herald's result must reach Prosody, which
Herald sends over its own direct TLS stream, found the same way
(`_xmpps-server._tcp.user.example`, Herald's `dns_servers` pointing at the
dnsmasq). A probe checks that the listener selects ALPN `xmpp-server`.

The domains are under .example, not .test: libunbound (Prosody's resolver)
answers every .test name NXDOMAIN itself (a default RFC 6761 local zone), so
SRV records for .test never reach a DNS server.

Usage: federation_direct_tls_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import asyncio
import secrets
import signal
import socket
import ssl
import sys

import harness

TOPIC = "org.example.herald"
MODULE = "example-ios"


def results(prosody):
    return [l for l in prosody.log_text().splitlines()
            if "Received[s2sin]: <iq" in l and "type='result'" in l and "from='push.example'" in l]


def alpn_probe(ip, ca):
    ctx = ssl.create_default_context(cafile=ca)
    ctx.set_alpn_protocols(["xmpp-server"])
    with socket.create_connection((ip, 5270), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname="push.example") as t:
            return t.selected_alpn_protocol()


async def scenario(prosody, sim, ca):
    alice, bob = prosody.register("alice"), prosody.register("bob")
    token = secrets.token_hex(32)
    c = await harness.client(alice + "/phone", prosody.ip, ca)
    await harness.enable_push(c, "push.example", token, MODULE)
    await c.disconnect()
    sender = await harness.client(bob + "/desktop", prosody.ip, ca)
    sender.send_message(mto=alice, mbody="hello", mtype="chat")
    await harness.await_for(lambda: [r for r in sim.requests() if r["token"] == token], 20, "the push")
    await harness.await_for(lambda: len(results(prosody)) == 1, 10, "Herald's result")
    await sender.disconnect()


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("federation_direct_tls: terminated"))
    td = harness.TestDir("federation-direct-tls")
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        sim = harness.ApnsSim(procs, sys.argv[2], td.sub("apns-sim"), pki, [TOPIC])
        herald_ip = harness.free_loopback_ip(ports=(5269, 5270))
        prosody_ip = harness.free_loopback_ip(ports=(5222, 5269, 5270))
        dns = harness.Dnsmasq(procs, td.sub("dns"),
                              srv=[("_xmpps-server._tcp.push.example", "push.example", 5270),
                                   ("_xmpps-server._tcp.user.example", "user.example", 5270)],
                              a={"push.example": herald_ip, "user.example": prosody_ip})
        herald = harness.Herald(procs, sys.argv[1], td.sub("herald"), "push.example", herald_ip, pki,
                                routes={},  # Herald finds Prosody through DNS too
                                modules=[{"name": MODULE, "topic": TOPIC, "endpoint": "127.0.0.1:%d" % sim.port,
                                          "ca_file": pki.ca, "team_id": sim.team_id, "key_id": sim.key_id,
                                          "key_file": sim.p8}],
                                s2s_extra='listen_direct_tls = ["%s:5270"]\ndns_servers = ["%s:53"]'
                                          % (herald_ip, dns.ip))
        harness.wait_tcp(herald_ip, 5270, 10, herald.proc, "herald direct TLS")
        assert alpn_probe(herald_ip, pki.ca) == "xmpp-server"
        prosody = harness.Prosody(procs, td.sub("prosody"), "user.example", prosody_ip, pki,
                                  hosts={"push.example": herald_ip}, dns=dns, direct_tls=True)
        asyncio.run(scenario(prosody, sim, pki.ca))
        log = herald.settled_log_text()
        assert "inbound from user.example: TLS established (TLSv1.3, direct TLS" in log, \
            "Prosody should have come in over direct TLS"
        assert "_xmpps-server._tcp.push.example" in dns.log_text(), "Prosody should have asked for the SRV record"
        assert "outbound to user.example: TLS established (TLSv1.3, direct TLS), certificate valid" in log, \
            "Herald should have replied over direct TLS, found through _xmpps-server._tcp.user.example"
        td.ok = True
        print("federation_direct_tls: passed")
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
