"""End to end: real Prosody 0.12 (mod_cloud_notify) wakes an app through Herald.

A slixmpp client enables push on Prosody (jid = Herald's domain, node = a
64-hex token, pushModule), goes offline; a second client messages it. Prosody
publishes to Herald over s2s; Herald sends one HTTP/2 request to apns-sim and
answers Prosody. Then the same with a token apns-sim reports dead (410).

Usage: push_prosody_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import asyncio
import hashlib
import os
import re
import subprocess
import secrets
import sys
import time

import jwt  # python3-jwt: an implementation independent of Herald's and apns-sim's

import harness

TOPIC = "org.example.herald"
MODULE = "example-ios"


def result_replies(prosody):
    """Results that Prosody received from push.test (it logs each stanza's top tag)."""
    return [l for l in prosody.log_text().splitlines()
            if "Received[s2sin]: <iq" in l and "type='result'" in l and "from='push.test'" in l]


async def scenario(herald, sim, prosody, ca):
    alice = prosody.register("alice")
    carol = prosody.register("carol")
    bob = prosody.register("bob")
    live_token, dead_token = secrets.token_hex(32), secrets.token_hex(32)

    for user, token in ((alice, live_token), (carol, dead_token)):
        c = await harness.client(user + "/phone", prosody.ip, ca)
        await harness.enable_push(c, "push.test", token, MODULE)
        await c.disconnect()
    sender = await harness.client(bob + "/desktop", prosody.ip, ca)

    # 1. A message to a sleeping user wakes the app through APNs exactly once.
    sender.send_message(mto=alice, mbody="canary-%s" % secrets.token_hex(4), mtype="chat")
    reqs = await harness.await_for(lambda: [r for r in sim.requests() if r["token"] == live_token], 15,
                            "apns-sim to receive the push")
    await harness.await_for(lambda: result_replies(prosody), 10, "Prosody to receive Herald's result")
    await asyncio.sleep(1.0)  # anything extra would arrive by now
    reqs = [r for r in sim.requests() if r["token"] == live_token]
    assert len(reqs) == 1, "expected exactly one APNs request, got %d" % len(reqs)
    r = reqs[0]
    h = {k.lower(): v for k, v in r["headers"].items()}
    assert r["method"] == "POST" and r["path"] == "/3/device/" + live_token, r
    assert h["apns-topic"] == TOPIC, h
    assert h["apns-push-type"] == "alert", h
    assert h["apns-priority"] == "10", h
    assert int(h["apns-expiration"]) > time.time() + 7 * 24 * 3600, "expiration should be weeks ahead"
    assert r["status"] == 200, r
    assert "canary" not in r.get("payload", ""), "the message text must never reach APNs"
    # The JWT apns-sim accepted, checked again by python3-jwt.
    token = h["authorization"].split(" ", 1)[1]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "ES256" and header["kid"] == sim.key_id, header
    claims = jwt.decode(token, open(sim.pub).read(), algorithms=["ES256"])
    assert claims["iss"] == sim.team_id and abs(claims["iat"] - time.time()) < 3600, claims
    assert len(result_replies(prosody)) == 1

    # 2. A dead token: APNs says 410, Herald answers cancel and remembers it.
    sim.mark_dead(dead_token)
    errors = lambda: re.findall(r"Got error <cancel:item-not-found:[^>]*> for identifier 'push\.test<%s"
                                % dead_token + r"[^']*': error count for this identifier is now at (\d+)",
                                prosody.log_text())
    sender.send_message(mto=carol, mbody="canary-first", mtype="chat")
    await harness.await_for(lambda: errors() == ["1"], 15, "Prosody to count Herald's first cancel")
    dead_reqs = [r for r in sim.requests() if r["token"] == dead_token]
    assert len(dead_reqs) == 1 and dead_reqs[0]["status"] == 410, dead_reqs
    sender.send_message(mto=carol, mbody="canary-second", mtype="chat")
    await harness.await_for(lambda: errors() == ["1", "2"], 15, "Prosody to count Herald's second cancel")
    await asyncio.sleep(0.5)
    assert len([r for r in sim.requests() if r["token"] == dead_token]) == 1, \
        "Herald must refuse a known-dead token without calling APNs again"
    await sender.disconnect()
    return live_token, dead_token


def check_privacy_and_tombstone(herald, herald_bin, live_token, dead_token):
    """What Herald wrote: no JID, no full token, no message text; the dead token only as a hash."""
    log = herald.settled_log_text()
    for leak in ("alice@", "bob@", "carol@", "user.test/", "canary", live_token, dead_token):
        assert leak not in log, "Herald's info log must not contain %r" % leak
    db = open(os.path.join(herald.d, "herald.sqlite"), "rb").read()
    wal = os.path.join(herald.d, "herald.sqlite-wal")
    if os.path.exists(wal):
        db += open(wal, "rb").read()
    for leak in (b"alice@", b"user.test", live_token.encode(), dead_token.encode()):
        assert leak not in db, "Herald's database must not contain %r" % leak
    assert hashlib.sha256(dead_token.encode()).digest() in db, "the dead token's tombstone should be on disk"
    # The operator's command for a tombstone made by mistake.
    out = subprocess.run([herald_bin, "--config", herald.config, "--clear-tombstone", dead_token],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0 and "tombstone cleared" in out.stdout, out
    out = subprocess.run([herald_bin, "--config", herald.config, "--clear-tombstone", dead_token],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 1 and "no tombstone" in out.stdout, out


def main():
    herald_bin, sim_bin = sys.argv[1], sys.argv[2]
    td = harness.TestDir("push-prosody")
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        herald_ip = harness.free_loopback_ip(ports=(5269,))
        prosody_ip = harness.free_loopback_ip()
        sim = harness.ApnsSim(procs, sim_bin, td.sub("apns-sim"), pki, [TOPIC])
        herald = harness.Herald(procs, herald_bin, td.sub("herald"), "push.test", herald_ip, pki,
                                routes={"user.test": "%s:5269" % prosody_ip},
                                modules=[{"name": MODULE, "topic": TOPIC, "endpoint": "127.0.0.1:%d" % sim.port,
                                          "ca_file": pki.ca, "team_id": sim.team_id, "key_id": sim.key_id,
                                          "key_file": sim.p8}])
        # Prosody's certificate has serverAuth only (no clientAuth), as Let's Encrypt issues them now;
        # s2s_secure_auth makes Prosody insist on valid certificates both ways.
        prosody = harness.Prosody(procs, td.sub("prosody"), "user.test", prosody_ip, pki,
                                  hosts={"push.test": herald_ip}, eku="serverAuth")
        live_token, dead_token = asyncio.run(scenario(herald, sim, prosody, pki.ca))
        # Herald authenticates Prosody's serverAuth-only certificate with SASL EXTERNAL.
        herald.await_log("inbound from user.test: authenticated with SASL EXTERNAL")
        check_privacy_and_tombstone(herald, herald_bin, live_token, dead_token)
        td.ok = True
        print("push_prosody: 2 scenarios passed")
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
