"""The metrics endpoint during the end-to-end push: real Prosody 0.12
(mod_cloud_notify) -> Herald over s2s -> apns-sim, with [observability] on.

`curl` (as an operator would) fetches /metrics before and after two offline
messages wake two apps; the delivered-push counter must rise by exactly the
number of pushes apns-sim received, and so must the count of the IQ
round-trip histogram. The scrape carries no JID, domain or token.

Usage: status_prosody_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import asyncio
import re
import secrets
import subprocess
import sys

import harness

TOPIC = "org.example.herald"
MODULE = "example-ios"
SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)")
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def curl_metrics(base):
    out = subprocess.run(["curl", "-sS", "--fail", "--max-time", "10", base + "/metrics"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, "curl %s/metrics failed: %s" % (base, out.stderr)
    return out.stdout


def value(text, name, **labels):
    """Sum of the samples called `name` whose labels include `labels` (0 if none yet)."""
    total = 0.0
    for line in text.splitlines():
        m = SAMPLE.match(line)
        if not m or m.group(1) != name:
            continue
        have = dict(LABEL.findall(m.group(2) or ""))
        if all(have.get(k) == v for k, v in labels.items()):
            total += float(m.group(3))
    return total


def result_replies(prosody):
    return [l for l in prosody.log_text().splitlines()
            if "Received[s2sin]: <iq" in l and "type='result'" in l and "from='push.test'" in l]


async def scenario(base, sim, prosody, ca):
    users = [prosody.register(n) for n in ("alice", "dave")]
    bob = prosody.register("bob")
    tokens = [secrets.token_hex(32) for _ in users]
    for user, token in zip(users, tokens):
        c = await harness.client(user + "/phone", prosody.ip, ca)
        await harness.enable_push(c, "push.test", token, MODULE)
        await c.disconnect()
    sender = await harness.client(bob + "/desktop", prosody.ip, ca)

    before = curl_metrics(base)
    for user in users:
        sender.send_message(mto=user, mbody="canary-%s" % secrets.token_hex(4), mtype="chat")
    await harness.await_for(lambda: len(result_replies(prosody)) >= len(users), 20,
                            "Prosody to receive Herald's results")
    await asyncio.sleep(1.0)  # anything extra would arrive by now
    await sender.disconnect()
    pushes = [r for r in sim.requests() if r["token"] in tokens and r["status"] == 200]
    assert len(pushes) == len(users), "expected one APNs request per user, got %d" % len(pushes)
    # The scrape may race the last push's bookkeeping: scrape until it has moved by at least
    # one per push; the caller then asserts the exact amount (extra counts fail there).
    key = dict(name="herald_pushes_total", module=MODULE, result="delivered")
    after = await harness.await_for(
        lambda: (lambda t: t if value(t, **key) >= value(before, **key) + len(users) else None)(curl_metrics(base)),
        10, "the delivered counter to move")
    return before, after, len(pushes), tokens


def main():
    herald_bin, sim_bin = sys.argv[1], sys.argv[2]
    td = harness.TestDir("status-prosody")
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        herald_ip = harness.free_loopback_ip(ports=(5269, 9090))
        prosody_ip = harness.free_loopback_ip()
        sim = harness.ApnsSim(procs, sim_bin, td.sub("apns-sim"), pki, [TOPIC])
        extra = '\n[observability]\nenabled = true\nlisten = ["%s:9090"]\n' % herald_ip
        harness.Herald(procs, herald_bin, td.sub("herald"), "push.test", herald_ip, pki,
                       routes={"user.test": "%s:5269" % prosody_ip},
                       modules=[{"name": MODULE, "topic": TOPIC, "endpoint": "127.0.0.1:%d" % sim.port,
                                 "ca_file": pki.ca, "team_id": sim.team_id, "key_id": sim.key_id,
                                 "key_file": sim.p8}], extra=extra)
        harness.wait_tcp(herald_ip, 9090, 10, None, "observability listener")
        base = "http://%s:9090" % herald_ip
        prosody = harness.Prosody(procs, td.sub("prosody"), "user.test", prosody_ip, pki,
                                  hosts={"push.test": herald_ip}, eku="serverAuth")
        before, after, n, tokens = asyncio.run(scenario(base, sim, prosody, pki.ca))

        delivered = dict(name="herald_pushes_total", module=MODULE, result="delivered")
        d_pushes = value(after, **delivered) - value(before, **delivered)
        d_iq = value(after, "herald_iq_round_trip_seconds_count") - \
            value(before, "herald_iq_round_trip_seconds_count")
        d_up = value(after, "herald_upstream_request_seconds_count", module=MODULE) - \
            value(before, "herald_upstream_request_seconds_count", module=MODULE)
        print("curl /metrics: herald_pushes_total{result=delivered} %g -> %g, "
              "herald_iq_round_trip_seconds_count %g -> %g, apns-sim saw %d pushes"
              % (value(before, **delivered), value(after, **delivered),
                 value(before, "herald_iq_round_trip_seconds_count"),
                 value(after, "herald_iq_round_trip_seconds_count"), n))
        assert d_pushes == n, "delivered pushes moved by %g, expected %d" % (d_pushes, n)
        assert d_iq == n, "IQ round-trip histogram count moved by %g, expected %d" % (d_iq, n)
        assert d_up == n, "upstream request histogram count moved by %g, expected %d" % (d_up, n)
        # Only the certificate expiry names a domain: the push domain, from the configuration.
        rest = "\n".join(l for l in after.splitlines()
                         if not l.startswith('herald_certificate_expiry_seconds{service="s2s",domain="push.test"}'))
        for needle in ["alice", "dave", "bob", "user.test", "push.test"] + tokens:
            assert needle not in rest, "metrics leak %r" % needle
        td.ok = True
        print("status_prosody: metrics moved by exactly %d pushes" % n)
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
