"""Certificate reload on SIGHUP with real Prosody 0.12.

A push flows (Prosody -> Herald -> apns-sim, result back), then Herald's
certificate and key files are replaced (a renewal) and Herald gets SIGHUP. A
new connection must see the new certificate, while the streams that were open
stay up: a second push uses them (no new TLS session in Herald's log, none
closed).

Usage: federation_reload_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import asyncio
import hashlib
import os
import secrets
import signal
import socket
import ssl
import subprocess
import sys

import harness

TOPIC = "org.example.herald"
MODULE = "example-ios"


def served_certificate(ip, domain):
    """SHA-256 of the certificate Herald presents after STARTTLS to a new connection."""
    s = socket.create_connection((ip, 5269), timeout=10)
    s.sendall(("<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream="
               "'http://etherx.jabber.org/streams' version='1.0' from='probe.test' to='%s'>" % domain).encode())
    got = b""
    while b"</stream:features>" not in got:
        got += s.recv(4096) or b"</stream:features>"
    s.sendall(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    got = b""
    while b"<proceed" not in got:
        got += s.recv(4096) or b"<proceed"
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    t = ctx.wrap_socket(s, server_hostname=domain)
    der = t.getpeercert(binary_form=True)
    t.close()
    return hashlib.sha256(der).hexdigest()


def file_certificate(path):
    der = subprocess.run(["openssl", "x509", "-in", path, "-outform", "DER"], capture_output=True,
                         check=True).stdout
    return hashlib.sha256(der).hexdigest()


def results(prosody):
    return [l for l in prosody.log_text().splitlines()
            if "Received[s2sin]: <iq" in l and "type='result'" in l and "from='push.test'" in l]


async def push(prosody, sim, user, sender, ca, n_results):
    token = secrets.token_hex(32)
    c = await harness.client(user + "/phone", prosody.ip, ca)
    await harness.enable_push(c, "push.test", token, MODULE)
    await c.disconnect()
    sender.send_message(mto=user, mbody="hello", mtype="chat")
    await harness.await_for(lambda: [r for r in sim.requests() if r["token"] == token], 20, "the push")
    await harness.await_for(lambda: len(results(prosody)) == n_results, 10, "Herald's result")


async def scenario(herald, prosody, sim, pki):
    alice, carol, bob = prosody.register("alice"), prosody.register("carol"), prosody.register("bob")
    sender = await harness.client(bob + "/desktop", prosody.ip, pki.ca)
    await push(prosody, sim, alice, sender, pki.ca, 1)

    before = served_certificate(herald.ip, "push.test")
    assert before == file_certificate(herald.cert)
    pki.issue("push.test")  # renewal: new key and certificate at the same paths
    renewed = file_certificate(herald.cert)
    assert renewed != before
    os.kill(herald.proc.pid, signal.SIGHUP)
    await harness.await_for(lambda: "s2s: certificates reloaded" in herald.log_text(), 10, "the reload")
    assert served_certificate(herald.ip, "push.test") == renewed, "a new connection must see the new certificate"

    await push(prosody, sim, carol, sender, pki.ca, 2)
    log = herald.settled_log_text()
    assert log.count("inbound from user.test: TLS established") == 1, "Prosody's stream should have stayed up"
    assert log.count("outbound to user.test: TLS established") == 1, "Herald's stream should have stayed up"
    assert "from user.test: closed" not in log and "to user.test: closed" not in log
    await sender.disconnect()


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("federation_reload: terminated"))
    td = harness.TestDir("federation-reload")
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
        asyncio.run(scenario(herald, prosody, sim, pki))
        td.ok = True
        print("federation_reload: passed")
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
