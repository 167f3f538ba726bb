"""End to end: real ejabberd 23.01 (mod_push) wakes an app through Herald.

ejabberd deletes a push registration on the first error that is not of type
`wait`, so this test checks what its admins see: a live token keeps pushing
message after message (no "disabling push" in ejabberd's log), a token that
APNs reports dead is answered `cancel` (and ejabberd disables it), and a
bodyless chat state to a hibernated session (ejabberd's empty
`<notification/>`) still wakes the app, and APNs being unavailable (503) is
answered `wait`: ejabberd keeps the registration and publishes again.

ejabberd finds push.test through a hosts file bind-mounted on /etc/hosts in a
private mount namespace (harness.Ejabberd; needs root, as in CI).

Usage: push_ejabberd_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import asyncio
import os
import re
import secrets
import signal
import sys

import harness
import privacy_audit_test

TOPIC = "org.example.herald"
MODULE = "example-ios"


def rejections(ejabberd):
    return re.findall(r"push\.test rejected notification for [^ ]+ \(([0-9a-f]+)\)(, disabling push| temporarily)",
                      ejabberd.log_text())


async def hibernating_client(jid, ip, ca, token):
    """A session that enables push and then loses its connection without closing the
    stream: ejabberd keeps it in stream-management hibernation (mod_push_keepalive)."""
    import slixmpp
    x = slixmpp.ClientXMPP(jid, harness.PASSWORD)
    x.ca_certs = ca
    x.register_plugin("xep_0198")
    done = asyncio.get_running_loop().create_future()
    x.add_event_handler("session_start", lambda _: done.done() or done.set_result(True))
    x.connect(address=(ip, 5222))
    await asyncio.wait_for(done, 20)
    await harness.await_for(lambda: x["xep_0198"].enabled_in, 10, "stream management to be enabled")
    x.send_presence()
    await harness.enable_push(x, "push.test", token, MODULE)
    x.abort()
    return x


# apns-sim answers every push to this token with 503 (Apple unavailable): transient.
FLAKY = secrets.token_hex(32)


async def scenario(sim, ejabberd, ca):
    alice = ejabberd.register("alice")
    carol = ejabberd.register("carol")
    dave = ejabberd.register("dave")
    erin = ejabberd.register("erin")
    bob = ejabberd.register("bob")
    live, dead, sleepy = secrets.token_hex(32), secrets.token_hex(32), secrets.token_hex(32)
    pushes = lambda token: [r for r in sim.requests() if r["token"] == token]

    for user, token in ((alice, live), (carol, dead), (erin, FLAKY)):
        c = await harness.client(user + "/phone", ejabberd.ip, ca)
        await harness.enable_push(c, "push.test", token, MODULE)
        await c.disconnect()
    sender = await harness.client(bob + "/desktop", ejabberd.ip, ca)

    # 1. Messages to an offline user: one push each (the second one held to the end of the
    #    per-token window, answered at once with a result), and the registration stays.
    for n in (1, 2):
        sender.send_message(mto=alice, mbody="canary-%s" % secrets.token_hex(4), mtype="chat")
        await harness.await_for(lambda: len(pushes(live)) == n, 15, "push %d for the live token" % n)
    await asyncio.sleep(1.0)
    assert len(pushes(live)) == 2, "expected one APNs request per message, got %d" % len(pushes(live))
    assert all(r["status"] == 200 for r in pushes(live)), pushes(live)
    assert not rejections(ejabberd), "ejabberd must not see an error for a delivered push: %s" % rejections(ejabberd)

    # 2. A dead token: APNs says 410, Herald answers cancel, ejabberd disables the registration.
    sim.mark_dead(dead)
    sender.send_message(mto=carol, mbody="canary-dead", mtype="chat")
    await harness.await_for(lambda: (dead, ", disabling push") in rejections(ejabberd), 15,
                            "ejabberd to disable the dead token's registration")
    assert "(item-not-found) (cancel)" in ejabberd.log_text(), "expected Herald's cancel/item-not-found"
    assert [r["status"] for r in pushes(dead)] == [410], pushes(dead)

    # 3. A chat state (no body) to a hibernated session: ejabberd publishes an empty
    #    <notification/>, and Herald still wakes the app.
    hib = await hibernating_client(dave + "/phone", ejabberd.ip, ca, sleepy)
    await harness.await_for(lambda: re.search(r"for dave@ejab\.test/phone: .* waiting \d+ seconds for stream "
                                              r"resumption", ejabberd.log_text()), 10, "dave's session to hibernate")
    # Entering hibernation may publish too (unacknowledged presence); let the per-token window pass
    # so that the chat state's push is sent on its own, not coalesced with that one.
    await asyncio.sleep(2.5)
    before = len(pushes(sleepy))
    msg = sender.make_message(mto=dave + "/phone", mtype="chat")
    msg["chat_state"] = "composing"
    msg.send()
    await harness.await_for(lambda: len(pushes(sleepy)) > before, 15, "a push for the bodyless chat state")
    assert all(r["status"] == 200 for r in pushes(sleepy)), pushes(sleepy)
    assert not [r for r in rejections(ejabberd) if r[0] != dead], rejections(ejabberd)

    # 4. APNs unavailable (503): Herald answers wait, ejabberd keeps the registration and
    #    publishes again for the next message.
    sender.send_message(mto=erin, mbody="canary-flaky-1", mtype="chat")
    await harness.await_for(lambda: (FLAKY, " temporarily") in rejections(ejabberd), 20,
                            "ejabberd to log a temporary rejection")
    first = len(pushes(FLAKY))
    assert first >= 1 and all(r["status"] == 503 for r in pushes(FLAKY)), pushes(FLAKY)
    await asyncio.sleep(2.5)  # past the per-token window
    sender.send_message(mto=erin, mbody="canary-flaky-2", mtype="chat")
    await harness.await_for(lambda: rejections(ejabberd).count((FLAKY, " temporarily")) == 2, 20,
                            "a second publish for the same registration")
    assert len(pushes(FLAKY)) > first
    assert (FLAKY, ", disabling push") not in rejections(ejabberd), "a transient failure must never be cancel"
    await sender.disconnect()
    del hib
    return live, dead, sleepy


def main():
    herald_bin, sim_bin = sys.argv[1], sys.argv[2]
    if os.geteuid() != 0:
        print("push_ejabberd: needs root for a private mount namespace (unshare --mount)")
        sys.exit(77)
    # ctest's timeout sends SIGTERM: stop the peers on the way out.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("push_ejabberd: terminated"))
    td = harness.TestDir("push-ejabberd")
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        herald_ip = harness.free_loopback_ip(ports=(5269,))
        ejab_ip = harness.free_loopback_ip(ports=(5222, 5269, 5280))
        sim = harness.ApnsSim(procs, sim_bin, td.sub("apns-sim"), pki, [TOPIC],
                              extra_args=["--fail-token", FLAKY + "=503"])
        herald = harness.Herald(procs, herald_bin, td.sub("herald"), "push.test", herald_ip, pki,
                                routes={"ejab.test": "%s:5269" % ejab_ip},
                                modules=[{"name": MODULE, "topic": TOPIC, "endpoint": "127.0.0.1:%d" % sim.port,
                                          "ca_file": pki.ca, "team_id": sim.team_id, "key_id": sim.key_id,
                                          "key_file": sim.p8}],
                                # the second message is coalesced to the end of this per-token window
                                extra="rate_limit_window = 2")
        # Everything ejabberd can send (docs/privacy.md's audit): message bodies and senders.
        ejabberd = harness.Ejabberd(procs, td.sub("ejabberd"), "ejab.test", ejab_ip, pki,
                                    hosts={"push.test": herald_ip},
                                    mod_push="{include_body: true, include_sender: true}")
        tokens = asyncio.run(scenario(sim, ejabberd, pki.ca))
        log = herald.settled_log_text()
        assert re.search(r"inbound from ejab\.test: authenticated with SASL EXTERNAL", log), \
            "Herald should authenticate ejabberd with SASL EXTERNAL"
        for leak in ("alice@", "bob@", "carol@", "dave@", "erin@", "canary", FLAKY) + tokens:
            assert leak not in log, "Herald's info log must not contain %r" % leak
        # The privacy audit's scan over every file Herald wrote (log, database).
        procs.stop_all()
        written = [os.path.join(herald.d, n) for n in os.listdir(herald.d)
                   if n != "herald.toml" and not n.endswith((".crt", ".key", ".pem"))]
        needles = {"a full token %d" % i: t for i, t in enumerate(tokens)}
        needles.update({"a message body": "canary", "a user's JID": "@ejab.test"})
        findings = privacy_audit_test.scan(written, needles)
        assert not findings, "Herald wrote private data:\n" + privacy_audit_test.report(findings)
        td.ok = True
        print("push_ejabberd: 4 scenarios passed; %d files Herald wrote hold no JID, token or body"
              % len(written))
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
