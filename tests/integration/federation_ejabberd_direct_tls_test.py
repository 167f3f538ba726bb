"""Direct TLS s2s (XEP-0368) with real ejabberd 23.01, both directions found through DNS.

ejabberd 23.01's xmpp library (1.6.1) does XEP-0368 outbound: with STARTTLS
enabled (s2s_use_starttls) it asks for `_xmpps-server._tcp.<domain>` before
`_xmpp-server._tcp.<domain>` and opens TLS from the first byte (SNI, ALPN
xmpp-server) to the targets of the first. So:

- ejabberd -> Herald: a dnsmasq of the test's own serves
  `_xmpps-server._tcp.push.example` -> push.example:5270 (Herald's direct TLS
  listener) and no `_xmpp-server` record; ejabberd reads it through its
  resolv.conf (bind-mounted in its private mount namespace).
- Herald -> ejabberd (the result): `_xmpps-server._tcp.ejab.example` ->
  ejab.example:5270, an ejabberd_s2s_in listener with `tls: true`; Herald's
  `dns_servers` points at the dnsmasq and it has no static route.

A push must reach apns-sim, and ejabberd's mod_push must log that push.example
accepted the notification (debug level: it only logs results there).

Herald also serves alias.example with a certificate of its own
([[s2s.certificates]]): a probe naming it in SNI must get that certificate,
one naming push.example (or nothing) the push domain's; after the alias's files
are replaced and Herald gets SIGHUP, a new probe sees the new certificate.

Usage: federation_ejabberd_direct_tls_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import asyncio
import os
import re
import secrets
import signal
import socket
import ssl
import sys

import harness

TOPIC = "org.example.herald"
MODULE = "example-ios"

DIRECT_TLS_LISTENER = """  -
    port: 5270
    ip: {ip}
    module: ejabberd_s2s_in
    tls: true
"""


def probe(ip, ca, sni):
    """The serial of the certificate Herald's direct TLS listener presents for `sni`
    (verified against the test CA and the name)."""
    ctx = ssl.create_default_context(cafile=ca)
    ctx.set_alpn_protocols(["xmpp-server"])
    with socket.create_connection((ip, 5270), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname=sni) as t:
            return t.getpeercert()["serialNumber"]


def accepted(ejabberd, node):
    return re.findall(r"push\.example accepted notification for [^ ]+ \(%s\)" % node, ejabberd.log_text())


async def scenario(ejabberd, sim, ca):
    alice, bob = ejabberd.register("alice"), ejabberd.register("bob")
    token = secrets.token_hex(32)
    c = await harness.client(alice + "/phone", ejabberd.ip, ca)
    await harness.enable_push(c, "push.example", token, MODULE)
    await c.disconnect()
    sender = await harness.client(bob + "/desktop", ejabberd.ip, ca)
    sender.send_message(mto=alice, mbody="hello", mtype="chat")
    await harness.await_for(lambda: [r for r in sim.requests() if r["token"] == token], 30, "the push")
    await harness.await_for(lambda: accepted(ejabberd, token), 20, "ejabberd to receive Herald's result")
    assert [r["status"] for r in sim.requests() if r["token"] == token] == [200]
    assert "rejected notification" not in ejabberd.log_text()
    await sender.disconnect()
    return token


def main():
    if os.geteuid() != 0:
        print("federation_ejabberd_direct_tls: needs root for a private mount namespace (unshare --mount)")
        sys.exit(77)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("federation_ejabberd_direct_tls: terminated"))
    td = harness.TestDir("federation-ejabberd-direct-tls")
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        sim = harness.ApnsSim(procs, sys.argv[2], td.sub("apns-sim"), pki, [TOPIC])
        herald_ip = harness.free_loopback_ip(ports=(5269, 5270))
        ejab_ip = harness.free_loopback_ip(ports=(5222, 5269, 5270, 5280))
        dns = harness.Dnsmasq(procs, td.sub("dns"),
                              srv=[("_xmpps-server._tcp.push.example", "push.example", 5270),
                                   ("_xmpps-server._tcp.ejab.example", "ejab.example", 5270)],
                              a={"push.example": herald_ip, "ejab.example": ejab_ip})
        alias = pki.issue("alias.example")
        herald = harness.Herald(procs, sys.argv[1], td.sub("herald"), "push.example", herald_ip, pki,
                                routes={},  # Herald finds ejabberd through DNS too
                                modules=[{"name": MODULE, "topic": TOPIC, "endpoint": "127.0.0.1:%d" % sim.port,
                                          "ca_file": pki.ca, "team_id": sim.team_id, "key_id": sim.key_id,
                                          "key_file": sim.p8}],
                                s2s_extra='listen_direct_tls = ["%s:5270"]\ndns_servers = ["%s:53"]\n'
                                          '[[s2s.certificates]]\ndomains = ["alias.example"]\n'
                                          'certificate = "%s"\nkey = "%s"\n'
                                          % ((herald_ip, dns.ip) + alias))
        harness.wait_tcp(herald_ip, 5270, 10, herald.proc, "herald direct TLS")
        ejabberd = harness.Ejabberd(procs, td.sub("ejabberd"), "ejab.example", ejab_ip, pki, hosts={}, dns=dns,
                                    extra_listen=DIRECT_TLS_LISTENER.format(ip=ejab_ip), loglevel="debug")
        harness.wait_tcp(ejab_ip, 5270, 10, ejabberd.proc, "ejabberd direct TLS")
        token = asyncio.run(scenario(ejabberd, sim, pki.ca))
        log = herald.settled_log_text()
        assert "inbound from ejab.example: TLS established (TLSv1.3, direct TLS" in log, \
            "ejabberd should have come in over direct TLS"
        assert "_xmpps-server._tcp.push.example" in dns.log_text(), "ejabberd should have asked for the SRV record"
        assert "outbound to ejab.example: TLS established (TLSv1.3, direct TLS), certificate valid" in log, \
            "Herald should have replied over direct TLS, found through _xmpps-server._tcp.ejab.example"
        assert "_xmpps-server._tcp.ejab.example" in dns.log_text()
        for leak in ("alice@", "bob@", "hello", token):
            assert leak not in log, "Herald's info log must not contain %r" % leak

        # Per-domain certificates by SNI, and their reload on SIGHUP.
        main_serial, alias_serial = probe(herald_ip, pki.ca, "push.example"), probe(herald_ip, pki.ca, "alias.example")
        assert main_serial != alias_serial
        pki.issue("alias.example")  # new files at the configured paths
        os.kill(herald.proc.pid, signal.SIGHUP)
        harness.wait_for(lambda: "s2s: certificates reloaded for 2 domain(s)" in herald.log_text(), 10,
                         "Herald to reload its certificates")
        new_alias = probe(herald_ip, pki.ca, "alias.example")
        assert new_alias != alias_serial, "a new connection should see the reloaded certificate"
        assert probe(herald_ip, pki.ca, "push.example") == main_serial
        td.ok = True
        print("federation_ejabberd_direct_tls: passed")
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
