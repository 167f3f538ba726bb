"""XEP-0198 stream management on s2s with real Prosody 0.12 (mod_smacks).

SM gets enabled on both streams (Prosody -> Herald and Herald -> Prosody)
and a push and its reply flow. Herald's own stream to Prosody runs through a TCP
relay in this test; for the second publish the relay swallows what Herald
writes (the reply and its <r/> are lost in flight, as on a dying link) and
then drops both connections. The reply must arrive once on a new stream
(Herald resends what the peer never acked), and no reply ever twice.

Usage: federation_sm_test.py HERALD_BINARY APNS_SIM_BINARY
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
            if "Received[s2s" in l and "<iq" in l and "type='result'" in l and "from='push.test'" in l]


def sets(prosody):
    return [l for l in prosody.log_text().splitlines()
            if "Sending[s2sout]: <iq" in l and "type='set'" in l and "to='push.test'" in l]


def result_ids(prosody):
    return [l.split("id='")[1].split("'")[0] for l in results(prosody)]


async def setup_push(prosody, user, token, ca):
    c = await harness.client(user + "/phone", prosody.ip, ca)
    await harness.enable_push(c, "push.test", token, MODULE)
    await c.disconnect()


async def message(prosody, user, ca):
    sender = await harness.client("bob@user.test/desktop", prosody.ip, ca)
    sender.send_message(mto=user, mbody="hello", mtype="chat")
    await asyncio.sleep(0.5)  # let it leave before disconnecting
    await sender.disconnect()


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("federation_sm: terminated"))
    td = harness.TestDir("federation-sm")
    procs = harness.Procs()
    relay = None
    try:
        pki = harness.Pki(td.sub("pki"))
        fast, slow = secrets.token_hex(32), secrets.token_hex(32)
        # The second push's APNs answer comes late, so Prosody can be frozen
        # before Herald writes its reply.
        sim = harness.ApnsSim(procs, sys.argv[2], td.sub("apns-sim"), pki, [TOPIC],
                              extra_args=["--token", slow + "=slow:3000"])
        herald_ip = harness.free_loopback_ip(ports=(5269,))
        prosody_ip = harness.free_loopback_ip()
        relay = harness.Relay(harness.free_loopback_ip(ports=()), (prosody_ip, 5269))
        herald = harness.Herald(procs, sys.argv[1], td.sub("herald"), "push.test", herald_ip, pki,
                                routes={"user.test": "%s:%d" % (relay.ip, relay.port)},
                                modules=[{"name": MODULE, "topic": TOPIC, "endpoint": "127.0.0.1:%d" % sim.port,
                                          "ca_file": pki.ca, "team_id": sim.team_id, "key_id": sim.key_id,
                                          "key_file": sim.p8}])
        prosody = harness.Prosody(procs, td.sub("prosody"), "user.test", prosody_ip, pki,
                                  hosts={"push.test": herald_ip})
        for u in ("alice", "carol", "bob"):
            prosody.register(u)
        asyncio.run(setup_push(prosody, "alice@user.test", fast, pki.ca))
        asyncio.run(setup_push(prosody, "carol@user.test", slow, pki.ca))

        # 1. A push and its reply, with SM on both streams.
        asyncio.run(message(prosody, "alice@user.test", pki.ca))
        harness.wait_for(lambda: [r for r in sim.requests() if r["token"] == fast], 20, "push 1 at apns-sim")
        harness.wait_for(lambda: len(results(prosody)) >= 1, 10, "Herald's result 1 at Prosody")
        harness.wait_for(lambda: "outbound to user.test: stream management enabled" in herald.log_text(), 10,
                         "SM enabled on Herald's outbound stream")
        harness.wait_for(lambda: "inbound from user.test: stream management enabled" in herald.log_text(), 10,
                         "SM enabled on Prosody's stream to Herald")
        plog = prosody.log_text()
        assert "<enable xmlns='urn:xmpp:sm:3'/>" in plog or plog.count("Enabling stream management") >= 2, \
            "Prosody's log shows no SM negotiation"
        # Herald's reply was acknowledged: Prosody answered an <r/>.
        harness.wait_for(lambda: "Received ack request, acking for" in prosody.log_text(), 10,
                         "Prosody to answer Herald's ack request")

        # 2. The second publish reaches Herald; freeze Prosody; Herald's reply
        # (after apns-sim's delay) lands unread in Prosody's socket.
        sets_before = len(sets(prosody))
        asyncio.run(message(prosody, "carol@user.test", pki.ca))
        # Herald logs a publish once it is answered; Prosody logs it as sent.
        harness.wait_for(lambda: len(sets(prosody)) > sets_before, 20, "Prosody to send publish 2")
        relay.swallowing = True
        harness.wait_for(lambda: [r for r in sim.requests() if r["token"] == slow], 20, "push 2 at apns-sim")
        harness.wait_for(lambda: herald.log_text().count("publish from user.test") >= 2, 20,
                         "Herald to answer publish 2")
        harness.wait_for(lambda: relay.swallowed > 0, 10, "Herald to write its reply (lost in the relay)")
        ids_before = result_ids(prosody)
        relay.cut()
        harness.wait_for(lambda: "did not acknowledge go out again" in herald.log_text(), 10,
                         "Herald to requeue the unacknowledged reply")
        line = [l for l in herald.settled_log_text().splitlines() if "did not acknowledge go out again" in l][-1]
        assert " 1 stanzas the peer did not acknowledge" in line, line
        harness.wait_for(lambda: len(result_ids(prosody)) > len(ids_before), 30,
                         "the reply to publish 2 on a new stream")
        publishes = herald.settled_log_text().count("publish from user.test")
        harness.wait_for(lambda: len(results(prosody)) >= publishes, 10, "a result for every publish")
        import time
        time.sleep(1.0)  # room for a duplicate to show up
        ids = result_ids(prosody)
        assert len(ids) == len(set(ids)), "a result was sent twice: %s" % ids
        assert len(ids) == publishes, (ids, publishes)
        print("federation_sm: passed (%d publishes, %d results, SM both ways, 1 unacked reply resent after the cut)"
              % (publishes, len(ids)))
        td.ok = True
    finally:
        procs.stop_all()
        if relay:
            relay.close()
        td.close()


if __name__ == "__main__":
    main()
