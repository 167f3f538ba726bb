"""End to end with an Android app: real Prosody 0.12 (mod_cloud_notify) wakes it
through Herald and fcm-sim (Google's OAuth2 token endpoint and FCM HTTP v1).

A slixmpp client enables push on Prosody with Herald's FCM module and an
FCM-shaped token, goes offline; a second client messages it. Herald trades its
service account's RS256 assertion for an access token at fcm-sim, sends exactly
one data-only high-priority message without the text, and answers Prosody.
Then a token fcm-sim reports UNREGISTERED: Prosody gets `cancel`, and the next
publish to it is refused without a request to FCM.

Usage: push_prosody_fcm_test.py HERALD_BINARY FCM_SIM_BINARY
"""
import asyncio
import re
import secrets
import sys
import time

import jwt  # python3-jwt: checks the assertion independently of Herald and fcm-sim

import harness

MODULE = "example-android"


def fcm_token():
    # The shape of a real registration token: "<instance id>:APA91b<base64url>".
    return secrets.token_urlsafe(16).replace("-", "x") + ":APA91b" + secrets.token_urlsafe(100)


def result_replies(prosody):
    return [l for l in prosody.log_text().splitlines()
            if "Received[s2sin]: <iq" in l and "type='result'" in l and "from='push.test'" in l]


async def scenario(sim, prosody, ca):
    alice = prosody.register("alice")
    carol = prosody.register("carol")
    bob = prosody.register("bob")
    live_token, dead_token = fcm_token(), fcm_token()
    for user, token in ((alice, live_token), (carol, dead_token)):
        c = await harness.client(user + "/phone", prosody.ip, ca)
        await harness.enable_push(c, "push.test", token, MODULE)
        await c.disconnect()
    sender = await harness.client(bob + "/desktop", prosody.ip, ca)

    # 1. A message to a sleeping user: exactly one FCM send, data-only, no text.
    sender.send_message(mto=alice, mbody="canary-%s" % secrets.token_hex(4), mtype="chat")
    await harness.await_for(lambda: [r for r in sim.requests("send") if r["token"] == live_token], 15,
                            "fcm-sim to receive the push")
    await harness.await_for(lambda: result_replies(prosody), 10, "Prosody to receive Herald's result")
    await asyncio.sleep(1.0)  # anything extra would arrive by now
    sends = [r for r in sim.requests("send") if r["token"] == live_token]
    assert len(sends) == 1, "expected exactly one FCM send, got %d" % len(sends)
    s = sends[0]
    assert s["status"] == 200 and s["path"] == "/v1/projects/%s/messages:send" % sim.project, s
    message = s["message"]["message"]
    assert message["android"] == {"priority": "high"}, message
    assert "notification" not in message, message
    assert set(message) == {"token", "android", "data"}, message
    assert "canary" not in str(message) and "alice" not in str(message), "no user data may reach FCM"
    grants = [r for r in sim.requests("token") if r["status"] == 200]
    assert len(grants) == 1, "one access token should serve every send: %s" % grants
    # The assertion fcm-sim accepted, verified again by python3-jwt with the service account's key.
    assertion = grants[0]["assertion"]
    from cryptography.hazmat.primitives import serialization
    public = serialization.load_pem_private_key(sim.private_key.encode(), None).public_key()
    claims = jwt.decode(assertion, public, algorithms=["RS256"], audience="https://oauth2.googleapis.com/token")
    assert claims["iss"] == sim.client_email, claims
    assert claims["scope"] == "https://www.googleapis.com/auth/firebase.messaging", claims
    assert 0 < claims["exp"] - claims["iat"] <= 3600 and abs(claims["iat"] - time.time()) < 300, claims

    # 2. UNREGISTERED: cancel, then refused without calling FCM again.
    sim.set_behaviour(dead_token, "UNREGISTERED")
    errors = lambda: re.findall(r"Got error <cancel:item-not-found:[^>]*> for identifier 'push\.test<%s"
                                % re.escape(dead_token) + r"[^']*': error count for this identifier is now at (\d+)",
                                prosody.log_text())
    sender.send_message(mto=carol, mbody="canary-first", mtype="chat")
    await harness.await_for(lambda: errors() == ["1"], 15, "Prosody to count Herald's first cancel")
    dead_sends = [r for r in sim.requests("send") if r["token"] == dead_token]
    assert len(dead_sends) == 1 and dead_sends[0]["status"] == 404 and \
        dead_sends[0]["error"] == "UNREGISTERED", dead_sends
    sender.send_message(mto=carol, mbody="canary-second", mtype="chat")
    await harness.await_for(lambda: errors() == ["1", "2"], 15, "Prosody to count Herald's second cancel")
    await asyncio.sleep(0.5)
    assert len([r for r in sim.requests("send") if r["token"] == dead_token]) == 1, \
        "Herald must refuse a known-dead token without calling FCM again"
    await sender.disconnect()
    return live_token, dead_token


def main():
    herald_bin, sim_bin = sys.argv[1], sys.argv[2]
    td = harness.TestDir("push-prosody-fcm")
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        herald_ip = harness.free_loopback_ip(ports=(5269,))
        prosody_ip = harness.free_loopback_ip()
        sim = harness.FcmSim(procs, sim_bin, td.sub("fcm-sim"), pki)
        herald = harness.Herald(procs, herald_bin, td.sub("herald"), "push.test", herald_ip, pki,
                                routes={"user.test": "%s:5269" % prosody_ip},
                                modules=[sim.module(MODULE, pki.ca)])
        prosody = harness.Prosody(procs, td.sub("prosody"), "user.test", prosody_ip, pki,
                                  hosts={"push.test": herald_ip})
        live_token, dead_token = asyncio.run(scenario(sim, prosody, pki.ca))
        log = herald.settled_log_text()
        for leak in ("alice@", "bob@", "carol@", "canary", live_token, dead_token, "ya29.",
                     "PRIVATE KEY"):
            assert leak not in log, "Herald's info log must not contain %r" % leak
        td.ok = True
        print("push_prosody_fcm: 2 scenarios passed")
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
