"""XEP-0198 on the stream a peer opened to Herald, with real Prosody 0.12
(mod_smacks, mod_s2s_bidi): Prosody enables stream management on its stream
to Herald and makes it bidirectional, so Herald's replies go back over that
stream. It runs through a TCP relay; for the second publish the relay
swallows what Herald writes there (the reply and its <r/> are lost, as on a
dying link) and then cuts the connection. Herald must send the reply the
peer never acknowledged again on a new stream, once, within reply_lifetime;
no reply may reach Prosody twice.

Usage: federation_sm_inbound_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import asyncio
import secrets
import signal
import sys
import time

import federation_sm_test as sm
import harness

TOPIC = sm.TOPIC
MODULE = sm.MODULE
REQUEUED = "s2s inbound from user.test: 1 stanzas the peer did not acknowledge go out again, 0 expired"


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("federation_sm_inbound: terminated"))
    td = harness.TestDir("federation-sm-inbound")
    procs = harness.Procs()
    relay = None
    try:
        pki = harness.Pki(td.sub("pki"))
        fast, slow = secrets.token_hex(32), secrets.token_hex(32)
        sim = harness.ApnsSim(procs, sys.argv[2], td.sub("apns-sim"), pki, [TOPIC],
                              extra_args=["--token", slow + "=slow:3000"])
        herald_ip = harness.free_loopback_ip(ports=(5269,))
        prosody_ip = harness.free_loopback_ip()
        # Prosody reaches push.test at the relay (its hosts file), port 5269.
        relay = harness.Relay(harness.free_loopback_ip(ports=(5269,)), (herald_ip, 5269), port=5269,
                              swallow="target")
        herald = harness.Herald(procs, sys.argv[1], td.sub("herald"), "push.test", herald_ip, pki,
                                routes={"user.test": "%s:5269" % prosody_ip},
                                modules=[{"name": MODULE, "topic": TOPIC, "endpoint": "127.0.0.1:%d" % sim.port,
                                          "ca_file": pki.ca, "team_id": sim.team_id, "key_id": sim.key_id,
                                          "key_file": sim.p8}])
        prosody = harness.Prosody(procs, td.sub("prosody"), "user.test", prosody_ip, pki,
                                  hosts={"push.test": relay.ip}, extra_modules=["s2s_bidi"])
        for u in ("alice", "carol", "bob"):
            prosody.register(u)
        asyncio.run(sm.setup_push(prosody, "alice@user.test", fast, pki.ca))
        asyncio.run(sm.setup_push(prosody, "carol@user.test", slow, pki.ca))

        # 1. Two pushes; their replies go back over Prosody's own stream. Prosody enables SM
        # right after its first stanza, so the second reply is the one counted there.
        for n in (1, 2):
            asyncio.run(sm.message(prosody, "alice@user.test", pki.ca))
            harness.wait_for(lambda: len([r for r in sim.requests() if r["token"] == fast]) >= n, 20,
                             "push %d at apns-sim" % n)
            harness.wait_for(lambda: len(sm.results(prosody)) >= n, 10, "Herald's result %d at Prosody" % n)
        log = herald.log_text()
        assert "inbound from user.test: stream management enabled" in log, "SM on Prosody's stream"
        assert "s2s: stanzas to user.test go over its bidirectional stream" in log, "bidi"
        assert "outbound to user.test" not in log, "replies went over Prosody's stream"
        # Herald asked for an ack of its reply on that stream, and Prosody gave it.
        harness.wait_for(lambda: "Received ack request, acking for" in prosody.log_text(), 10,
                         "Prosody to answer Herald's ack request")

        # 2. Publish 3; the relay swallows Herald's answer on Prosody's stream, then cuts it.
        sets_before = len(sm.sets(prosody))
        asyncio.run(sm.message(prosody, "carol@user.test", pki.ca))
        harness.wait_for(lambda: len(sm.sets(prosody)) > sets_before, 20, "Prosody to send publish 3")
        relay.swallowing = True
        harness.wait_for(lambda: [r for r in sim.requests() if r["token"] == slow], 20, "push 3 at apns-sim")
        harness.wait_for(lambda: herald.log_text().count("publish from user.test") >= 3, 20,
                         "Herald to answer publish 3")
        harness.wait_for(lambda: relay.swallowed > 0, 10, "Herald to write its reply (lost in the relay)")
        ids_before = sm.result_ids(prosody)
        cut_at = time.monotonic()
        relay.cut()
        herald.await_log(REQUEUED, timeout=10)
        harness.wait_for(lambda: len(sm.result_ids(prosody)) > len(ids_before), 30,
                         "the reply to publish 3 on a new stream")
        resent_after = time.monotonic() - cut_at
        publishes = herald.settled_log_text().count("publish from user.test")
        harness.wait_for(lambda: len(sm.results(prosody)) >= publishes, 10, "a result for every publish")
        time.sleep(1.0)  # room for a duplicate to show up
        ids = sm.result_ids(prosody)
        assert len(ids) == len(set(ids)), "a result was sent twice: %s" % ids
        assert len(ids) == publishes, (ids, publishes)
        assert herald.settled_log_text().count("did not acknowledge go out again") == 1
        print("federation_sm_inbound: passed (%d publishes, %d results; the unacked reply on Prosody's "
              "stream resent once, %.1f s after the cut)" % (publishes, len(ids), resent_after))
        td.ok = True
    finally:
        procs.stop_all()
        if relay:
            relay.close()
        td.close()


if __name__ == "__main__":
    main()
