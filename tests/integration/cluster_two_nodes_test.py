"""Several nodes: two Herald processes serve push.test from different loopback addresses and
share one PostgreSQL (tombstones), one Redis (the per-token rate limit) and the dialback secret.

1. Dialback across nodes: herald-publish (as user.test) publishes through node A; A's result goes
   to real Prosody over A's own stream. Prosody cannot verify A's certificate, so it asks the
   authoritative server of push.test about A's dialback key -- and push.test resolves to node B
   for Prosody. The result only arrives if B confirms A's key.
2. One rate limit across nodes: publishes for one token via A, then B, then A inside a window:
   one push at once, B's is held to the window's end (not sent at once, as a per-node limit
   would), A's second is absorbed; Redis holds only keyed hashes, never the token.
3. A tombstone written through A (apns-sim says 410) is in PostgreSQL, and B refuses the token
   after a restart.
4. A v1 registration made over HTTP on node A is usable through node B: alice's app registers
   at A, enables push on Prosody with node + secret, and Prosody (for which push.test is node B)
   publishes to B, which finds the registration in the shared PostgreSQL: apns-sim receives the
   push for alice's token. Carol enables push with a wrong secret: B answers `cancel`, no push.
5. Redis stopped: pushes are still served (per-node limit) and the log says so once; every
   publish around the outage is answered and pushed exactly once.

Usage: cluster_two_nodes_test.py HERALD APNS_SIM HERALD_PUBLISH
"""
import asyncio
import os
import secrets
import signal
import subprocess
import sys
import time
import uuid

import harness
import v1_adhoc_test

TOPIC = "org.example.herald"
MODULE = "example-ios"
WINDOW = 6


async def v1_through_b(prosody, ca, ip_a, alice_token, carol_token, pushes):
    alice, carol, bob = (prosody.register(u) for u in ("alice", "carol", "bob"))
    alice_node, carol_node = str(uuid.uuid4()), str(uuid.uuid4())
    node, secret = v1_adhoc_test.register_http(ip_a, alice_node, alice_token)
    assert node == alice_node
    _, carol_secret = v1_adhoc_test.register_http(ip_a, carol_node, carol_token)
    wrong = secrets.token_urlsafe(32)
    assert wrong != carol_secret
    for jid, n, s in ((alice, node, secret), (carol, carol_node, wrong)):
        c = await harness.client(jid + "/phone", prosody.ip, ca)
        await v1_adhoc_test.enable_v1(c, n, s)
        await c.disconnect()
    sender = await harness.client(bob + "/desktop", prosody.ip, ca)
    sender.send_message(mto=alice, mbody="hello", mtype="chat")
    await harness.await_for(lambda: pushes(alice_token), 30, "alice's push via node B")
    sender.send_message(mto=carol, mbody="hello", mtype="chat")
    await harness.await_for(lambda: v1_adhoc_test.prosody_errors(prosody, "forbidden", carol_node), 30,
                            "cancel from node B for the wrong secret")
    await asyncio.sleep(1.0)
    assert not pushes(carol_token), "a wrong secret must send nothing"
    assert len(pushes(alice_token)) == 1, pushes(alice_token)
    await sender.disconnect()


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("cluster_two_nodes: terminated"))
    td = harness.TestDir("cluster-two-nodes")
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))              # Prosody's and the publisher's CA
        herald_pki = harness.Pki(td.sub("herald-pki"))  # the nodes' CA: Prosody does not trust it
        sim = harness.ApnsSim(procs, sys.argv[2], td.sub("apns-sim"), herald_pki, [TOPIC])
        pg = harness.Postgres(procs, td.sub("postgres"))
        redis = harness.Redis(procs, td.sub("redis"))
        ip_a = harness.free_loopback_ip(ports=(5269, v1_adhoc_test.HTTP_PORT))
        ip_b = harness.free_loopback_ip(ports=(5269, v1_adhoc_test.HTTP_PORT))
        prosody_ip = harness.free_loopback_ip()
        publish_ip = harness.free_loopback_ip(ports=(5269,))
        # The publisher acts as user.test (step 1) or pub.test (replies come back to it), with
        # certificates the nodes trust (SASL EXTERNAL).
        user_cert, user_key = herald_pki.issue("user.test")
        pub_cert, pub_key = herald_pki.issue("pub.test")
        dialback_secret = secrets.token_hex(32)
        shared = ('\n[store]\nbackend = "postgresql"\npostgresql = "%s"\n'
                  '\n[redis]\naddress = "%s"\nkey_secret = "%s"\ntimeout_ms = 200\n'
                  % (pg.conninfo, redis.address, secrets.token_hex(16)))
        module = {"name": MODULE, "topic": TOPIC, "endpoint": "127.0.0.1:%d" % sim.port,
                  "ca_file": herald_pki.ca, "team_id": sim.team_id, "key_id": sim.key_id, "key_file": sim.p8}

        def node(name, ip):
            return harness.Herald(procs, sys.argv[1], td.sub(name), "push.test", ip, herald_pki,
                                  routes={"user.test": "%s:5269" % prosody_ip, "pub.test": "%s:5269" % publish_ip},
                                  modules=[module],
                                  extra="rate_limit_window = %d\n%s\n[v1]\nenabled = true\nlisten = [\"%s:%d\"]\n"
                                  % (WINDOW, shared, ip, v1_adhoc_test.HTTP_PORT),
                                  s2s_extra='dialback_secret = "%s"\nbidi = false' % dialback_secret)

        a = node("node-a", ip_a)
        b = node("node-b", ip_b)
        prosody = harness.Prosody(procs, td.sub("prosody"), "user.test", prosody_ip, pki,
                                  hosts={"push.test": ip_b}, secure_auth=False)

        def publish(ip, token, expect_ok=True):
            r = subprocess.run([sys.argv[3], "--domain", "pub.test", "--listen", "%s:5269" % publish_ip,
                                "--cert", pub_cert, "--key", pub_key, "--ca", herald_pki.ca, "--to", "push.test",
                                "--route", "push.test=%s:5269" % ip, "--token", token, "--module", MODULE,
                                "--timeout", "20"], capture_output=True, text=True, timeout=40)
            assert (r.returncode == 0) == expect_ok, "publish via %s: %s" % (ip, r.stdout + r.stderr)

        def pushes(token):
            return [r for r in sim.requests() if r["token"] == token]

        # 1. A's reply to user.test reaches Prosody, which checks A's key with B.
        result_at_prosody = lambda: [l for l in prosody.log_text().splitlines()
                                     if "Received[s2sin" in l and "type='result'" in l and "from='push.test'" in l]
        subprocess.run([sys.argv[3], "--domain", "user.test", "--listen", "%s:0" % publish_ip,
                        "--cert", user_cert, "--key", user_key, "--ca", herald_pki.ca, "--to", "push.test",
                        "--route", "push.test=%s:5269" % ip_a, "--token", secrets.token_hex(32),
                        "--module", MODULE, "--timeout", "2"], capture_output=True, timeout=30)
        harness.wait_for(result_at_prosody, 30, "A's result at Prosody (dialback verified by node B)")
        plog = prosody.log_text()
        assert "asking push.test if key" in plog, "Prosody should verify A's dialback key"
        assert "denied the key" not in plog
        a.await_log("publish from user.test")
        assert "publish from user.test" not in b.settled_log_text(), "the publish went to A only"

        # 2. One window across both nodes.
        token = secrets.token_hex(32)
        publish(ip_a, token)
        harness.wait_for(lambda: pushes(token), 15, "the first push")
        t0 = time.monotonic()
        publish(ip_b, token)  # held by B to the window's end
        publish(ip_a, token)  # absorbed into B's held push
        assert time.monotonic() - t0 < WINDOW - 1, "too slow to test inside one window"
        assert len(pushes(token)) == 1, "the limit must count publishes through both nodes"
        b.await_log("outcome held")
        a.await_log("outcome absorbed")
        harness.wait_for(lambda: len(pushes(token)) == 2, WINDOW + 10, "B's held push at the window's end")
        time.sleep(1)
        assert len(pushes(token)) == 2
        keys = redis.keys()
        assert keys and all(k.startswith("herald:rl:") for k in keys), keys
        assert not [k for k in keys if token in k or token[:16] in k], "Redis must never see the token"

        # 3. Tombstone via A, seen by B after a restart.
        dead = secrets.token_hex(32)
        sim.mark_dead(dead)
        publish(ip_a, dead, expect_ok=False)
        harness.wait_for(lambda: pg.query("SELECT count(*) FROM tombstones") == [["1"]], 10,
                         "the tombstone in PostgreSQL")
        procs.stop(b.proc)
        b = node("node-b", ip_b)
        n = len(pushes(dead))
        publish(ip_b, dead, expect_ok=False)
        b.await_log("outcome tombstoned")  # B refuses the dead token from the shared store
        assert len(pushes(dead)) == n, "B must not send to a dead token"

        # 4. A v1 registration made on A, used through B (Prosody's push.test).
        harness.wait_tcp(ip_a, v1_adhoc_test.HTTP_PORT, 20, a.proc, "node A's v1 HTTP")
        alice_token, carol_token = secrets.token_hex(32), secrets.token_hex(32)
        asyncio.run(v1_through_b(prosody, pki.ca, ip_a, alice_token, carol_token, pushes))
        b.await_log("publish from user.test")  # the v1 publishes went to B
        v1_tokens = [alice_token, carol_token]

        # 5. Redis down: per-node limits, said once.
        redis.stop()
        without_redis = []  # each publish below is answered `result` (publish() checks the exit code)
        for _ in range(2):
            t = secrets.token_hex(32)
            without_redis.append(t)
            publish(ip_a, t)
            harness.wait_for(lambda: pushes(t), 15, "a push while Redis is down")
        log = a.settled_log_text()
        assert log.count("Redis unreachable") == 1, "say it once: %d" % log.count("Redis unreachable")
        assert "falling back to per-node limits" in log
        redis.start()
        t = secrets.token_hex(32)
        deadline = time.monotonic() + 15
        while "Redis reachable again" not in a.log_text() and time.monotonic() < deadline:
            without_redis.append(secrets.token_hex(32))
            publish(ip_a, without_redis[-1])  # the limiter retries Redis every 5 s
            time.sleep(1)
        assert "Redis reachable again" in a.log_text()
        time.sleep(1)  # a second delivery would show by now
        twice = [t for t in without_redis if len(pushes(t)) != 1]
        assert not twice, "around the Redis outage each publish is pushed exactly once: %d not" % len(twice)
        for text in (a.settled_log_text(), b.settled_log_text()):
            for t in [token, dead] + v1_tokens:
                assert t not in text, "tokens must not be logged at info"
            assert "password" not in text
        td.ok = True
        print("cluster_two_nodes: 5 scenarios passed")
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
