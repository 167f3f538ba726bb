"""Federation: STARTTLS + dialback with real Prosody 0.12 whose certificate
Herald cannot verify (issued by a CA Herald does not trust), as many small
servers run with self-signed certificates.

Prosody (s2s_secure_auth = false) opens its stream to Herald: STARTTLS, no
SASL EXTERNAL for it (Herald refuses to vouch for the certificate), dialback,
which Herald checks by asking Prosody over its own outbound stream. A push
must reach apns-sim and Herald's result must reach Prosody. With
require_valid_certificates = true the same peer is refused, and Prosody
answers the publish itself with a `wait` error (never a `cancel`).

Usage: federation_dialback_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import asyncio
import re
import secrets
import signal
import sys

import harness

TOPIC = "org.example.herald"
MODULE = "example-ios"


def result_replies(prosody):
    return [l for l in prosody.log_text().splitlines()
            if "Received[s2sin]: <iq" in l and "type='result'" in l and "from='push.test'" in l]


def start(procs, td, name, pki, other_pki, sim, prosody_ip, extra_s2s=""):
    herald_ip = harness.free_loopback_ip(ports=(5269,))
    herald = harness.Herald(procs, sys.argv[1], td.sub(name, "herald"), "push.test", herald_ip, pki,
                            routes={"user.test": "%s:5269" % prosody_ip},
                            modules=[{"name": MODULE, "topic": TOPIC, "endpoint": "127.0.0.1:%d" % sim.port,
                                      "ca_file": pki.ca, "team_id": sim.team_id, "key_id": sim.key_id,
                                      "key_file": sim.p8}], s2s_extra=extra_s2s)
    prosody = harness.Prosody(procs, td.sub(name, "prosody"), "user.test", prosody_ip, pki,
                              hosts={"push.test": herald_ip}, secure_auth=False, issuer=other_pki)
    prosody.client_ca = other_pki.ca  # what its c2s certificate chains to
    return herald, prosody


async def push_once(prosody, sim):
    alice = prosody.register("alice")
    bob = prosody.register("bob")
    token = secrets.token_hex(32)
    c = await harness.client(alice + "/phone", prosody.ip, prosody.client_ca)
    await harness.enable_push(c, "push.test", token, MODULE)
    await c.disconnect()
    sender = await harness.client(bob + "/desktop", prosody.ip, prosody.client_ca)
    sender.send_message(mto=alice, mbody="hello", mtype="chat")
    return sender, token


async def accepted(herald, prosody, sim):
    sender, token = await push_once(prosody, sim)
    await harness.await_for(lambda: [r for r in sim.requests() if r["token"] == token], 20, "apns-sim to get the push")
    await harness.await_for(lambda: result_replies(prosody), 10, "Prosody to receive Herald's result")
    await asyncio.sleep(0.5)
    assert len([r for r in sim.requests() if r["token"] == token]) == 1
    assert len(result_replies(prosody)) == 1, "one result, never two"
    await sender.disconnect()


async def refused(herald, prosody, sim):
    sender, token = await push_once(prosody, sim)
    waits = lambda: re.findall(r"Got error <wait:[^>]*> for identifier 'push\.test<", prosody.log_text())
    cancels = lambda: re.findall(r"Got error <cancel:[^>]*> for identifier 'push\.test<", prosody.log_text())
    await harness.await_for(lambda: "dialback for user.test refused" in herald.log_text(), 20,
                            "Herald to refuse dialback for an unverifiable certificate")
    await harness.await_for(waits, 20, "Prosody to answer its queued publish with a wait error")
    assert not cancels(), "a refused connection must never turn into a cancel"
    assert not [r for r in sim.requests() if r["token"] == token]
    await sender.disconnect()


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("federation_dialback: terminated"))
    td = harness.TestDir("federation-dialback")
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        other = harness.Pki(td.sub("other-pki"))  # Herald does not trust this CA
        sim = harness.ApnsSim(procs, sys.argv[2], td.sub("apns-sim"), pki, [TOPIC])

        prosody_ip = harness.free_loopback_ip()
        herald, prosody = start(procs, td, "lenient", pki, other, sim, prosody_ip)
        asyncio.run(accepted(herald, prosody, sim))
        log = herald.settled_log_text()
        assert re.search(r"inbound from user\.test: authenticated user\.test with dialback \(TLSv1\.[23]\)", log), \
            "Herald should authenticate Prosody with dialback over TLS"
        assert not re.search(r"inbound from user\.test: authenticated with SASL EXTERNAL", log)
        procs.stop(prosody.proc)
        procs.stop(herald.proc)

        prosody_ip = harness.free_loopback_ip()
        herald, prosody = start(procs, td, "strict", pki, other, sim, prosody_ip,
                                extra_s2s="require_valid_certificates = true")
        asyncio.run(refused(herald, prosody, sim))
        td.ok = True
        print("federation_dialback: 2 scenarios passed")
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
