"""APNs push types and module selection, end to end: real Prosody 0.12
(mod_cloud_notify with push_notification_with_body) -> Herald -> apns-sim.

Three modules, each chosen by the pushModule the app put into its enable
command's publish-options:
  bg-ios       push_type = "background": a publish without body goes out as a
               background push (priority 5, content-available, no alert); one
               with a body as an alert (priority 10).
  voip-ios     push_type = "voip": topic + ".voip", apns-push-type voip.
  ios-sandbox  environment = "sandbox" with its own team, key and endpoint (a
               second simulator standing in for api.sandbox.push.apple.com).

Usage: push_apns_types_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import asyncio
import json
import secrets
import sys

import jwt  # python3-jwt

import harness

TOPIC = "org.example.herald"
VOIP_TOPIC = "org.example.caller"


def headers(r):
    return {k.lower(): v for k, v in r["headers"].items()}


def aps(r):
    return json.loads(r["payload"])["aps"]


def results_from_herald(prosody):
    return [l for l in prosody.log_text().splitlines()
            if "Received[s2sin]: <iq" in l and "type='result'" in l and "from='push.test'" in l]


async def scenario(sim, sandbox_sim, prosody, ca):
    users = {m: prosody.register(u) for m, u in (("bg-ios", "alice"), ("voip-ios", "dave"),
                                                 ("ios-sandbox", "erin"))}
    bob = prosody.register("bob")
    tokens = {m: secrets.token_hex(32) for m in users}
    for module, user in users.items():
        c = await harness.client(user + "/phone", prosody.ip, ca)
        await harness.enable_push(c, "push.test", tokens[module], module)
        await c.disconnect()
    sender = await harness.client(bob + "/desktop", prosody.ip, ca)

    def sent(simulator, module):
        return [r for r in simulator.requests() if r["token"] == tokens[module]]

    # 1. A message without body (a chat state): Prosody publishes without
    #    last-message-body, so the background module sends a background push.
    sender.send_raw("<message to='%s' type='chat' id='%s'>"
                    "<active xmlns='http://jabber.org/protocol/chatstates'/></message>"
                    % (users["bg-ios"], secrets.token_hex(4)))
    reqs = await harness.await_for(lambda: sent(sim, "bg-ios"), 15, "the background push")
    await harness.await_for(lambda: len(results_from_herald(prosody)) >= 1, 10, "Herald's result")
    assert len(reqs) == 1 and reqs[0]["status"] == 200, reqs
    h = headers(reqs[0])
    assert h["apns-push-type"] == "background" and h["apns-priority"] == "5", h
    assert h["apns-topic"] == TOPIC, h
    a = aps(reqs[0])
    assert a.get("content-available") == 1 and "alert" not in a and "mutable-content" not in a, a

    # 2. A message with a body is important: the same module sends an alert.
    sender.send_message(mto=users["bg-ios"], mbody="canary-%s" % secrets.token_hex(4), mtype="chat")
    reqs = await harness.await_for(lambda: sent(sim, "bg-ios")[1:], 15, "the alert push")
    assert len(reqs) == 1 and reqs[0]["status"] == 200, reqs
    h = headers(reqs[0])
    assert h["apns-push-type"] == "alert" and h["apns-priority"] == "10", h
    assert h["apns-topic"] == TOPIC, h
    a = aps(reqs[0])
    assert "alert" in a and a.get("mutable-content") == 1, a
    assert "canary" not in reqs[0]["payload"], "the message text must never reach APNs"

    # 3. The voip module: its own topic with .voip.
    sender.send_message(mto=users["voip-ios"], mbody="canary-call", mtype="chat")
    reqs = await harness.await_for(lambda: sent(sim, "voip-ios"), 15, "the voip push")
    assert len(reqs) == 1 and reqs[0]["status"] == 200, reqs
    h = headers(reqs[0])
    assert h["apns-topic"] == VOIP_TOPIC + ".voip" and h["apns-push-type"] == "voip", h
    assert h["apns-priority"] == "10", h

    # 4. The sandbox module: its own endpoint and credentials; production never sees it.
    sender.send_message(mto=users["ios-sandbox"], mbody="canary-dev", mtype="chat")
    reqs = await harness.await_for(lambda: sent(sandbox_sim, "ios-sandbox"), 15, "the sandbox push")
    assert len(reqs) == 1 and reqs[0]["status"] == 200, reqs
    h = headers(reqs[0])
    assert h["apns-topic"] == TOPIC and h["apns-push-type"] == "alert", h
    token = h["authorization"].split(" ", 1)[1]
    assert jwt.get_unverified_header(token)["kid"] == sandbox_sim.key_id
    claims = jwt.decode(token, open(sandbox_sim.pub).read(), algorithms=["ES256"])
    assert claims["iss"] == sandbox_sim.team_id, claims

    await harness.await_for(lambda: len(results_from_herald(prosody)) >= 4, 10, "Herald's four results")
    await asyncio.sleep(1.0)  # anything extra would arrive by now
    assert not sent(sim, "ios-sandbox"), "the sandbox push must not reach production"
    assert not sent(sandbox_sim, "bg-ios") and not sent(sandbox_sim, "voip-ios")
    assert len(sent(sim, "bg-ios")) == 2 and len(sent(sim, "voip-ios")) == 1
    assert len(results_from_herald(prosody)) == 4, results_from_herald(prosody)
    await sender.disconnect()


def main():
    herald_bin, sim_bin = sys.argv[1], sys.argv[2]
    td = harness.TestDir("push-apns-types")
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        sandbox_pki = harness.Pki(td.sub("pki-sandbox"))  # its own CA and signing key
        herald_ip = harness.free_loopback_ip(ports=(5269,))
        prosody_ip = harness.free_loopback_ip()
        sim = harness.ApnsSim(procs, sim_bin, td.sub("apns-sim"), pki, [TOPIC, VOIP_TOPIC + ".voip"])
        sandbox_sim = harness.ApnsSim(procs, sim_bin, td.sub("apns-sim-sandbox"), sandbox_pki, [TOPIC],
                                      team_id="DEVTEAM999", key_id="DEVKEY0001")

        def module(name, s, ca, **kw):
            m = {"name": name, "topic": TOPIC, "endpoint": "127.0.0.1:%d" % s.port, "ca_file": ca,
                 "team_id": s.team_id, "key_id": s.key_id, "key_file": s.p8}
            m.update(kw)
            return m

        # rate_limit_window = 0: two publishes to one token within seconds both go out at once.
        harness.Herald(procs, herald_bin, td.sub("herald"), "push.test", herald_ip, pki,
                       routes={"user.test": "%s:5269" % prosody_ip}, extra="rate_limit_window = 0",
                       modules=[module("bg-ios", sim, pki.ca, push_type="background"),
                                module("voip-ios", sim, pki.ca, topic=VOIP_TOPIC, push_type="voip"),
                                module("ios-sandbox", sandbox_sim, sandbox_pki.ca, environment="sandbox")])
        prosody = harness.Prosody(procs, td.sub("prosody"), "user.test", prosody_ip, pki,
                                  hosts={"push.test": herald_ip}, with_body=True)
        asyncio.run(scenario(sim, sandbox_sim, prosody, pki.ca))
        td.ok = True
        print("push_apns_types: background, alert, voip and sandbox modules passed")
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
