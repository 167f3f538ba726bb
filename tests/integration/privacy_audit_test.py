"""Privacy audit (docs/privacy.md promises 1, 2, 5, 6, 8, 9) and log retention (promise 5).

  privacy_audit_test.py audit HERALD APNS_SIM
      Real Prosody configured to send everything it can (bodies and senders
      on) federates with Herald at info level; the scenarios in SCENARIOS
      (pushes with a planted canary body, a ping, a dead token -> 410, a
      publish for an unknown module, v1 registrations over ad-hoc and over HTTP,
      the HTTP one from a client address of its own) run; then every file
      under Herald's directory is scanned: no JID, full token, secret, body or
      client address may appear.
  privacy_audit_test.py audit-debug HERALD APNS_SIM
      The same run with Herald at debug, which shows the ping's full JID: the
      scan must report it (and still no body), so the audit demonstrably
      turns red on a leaking log.
  privacy_audit_test.py scanner
      The scanner itself must be able to fail: it reports a planted leaky
      log line and a SQLite database holding a JID, and passes clean files.
  privacy_audit_test.py retention HERALD APNS_SIM
      Rotated log files whose mtime is set weeks into the past (os.utime) are
      deleted by Herald's own purge job (at start, periodically, on SIGHUP);
      fresh ones and other files are kept.
"""
import asyncio
import hashlib
import os
import re
import secrets
import signal
import sqlite3
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

import harness

TOPIC = "org.example.herald"
MODULE = "example-ios"

# Anything shaped like a bare or full JID: localpart@domain.
JID_RE = re.compile(rb"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)+")


def is_log(path):
    name = os.path.basename(path)
    return ".log" in name or name.endswith(".out")


def scan(paths, needles, log_needles=None):
    """Every file under `paths`: findings as (file, what, excerpt). `needles` maps a
    label to the exact bytes/str that must not appear (full tokens, secrets, bodies,
    JIDs); `log_needles` likewise, for log files only (a v1 registration's token
    may be stored, never logged); any JID-shaped string is a finding too."""
    findings = []
    files = []
    for p in paths:
        if os.path.isfile(p):
            files.append(p)
        for root, _, names in os.walk(p):
            files += [os.path.join(root, n) for n in names]
    for f in sorted(set(files)):
        with open(f, "rb") as fh:
            data = fh.read()
        checks = dict(needles)
        if is_log(f):
            checks.update(log_needles or {})
        for label, needle in checks.items():
            n = needle.encode() if isinstance(needle, str) else needle
            i = data.find(n)
            if i >= 0:
                findings.append((f, label, data[max(0, i - 40):i + len(n) + 20]))
        for m in JID_RE.finditer(data):
            findings.append((f, "a JID", data[max(0, m.start() - 40):m.end() + 20]))
    return findings


def report(findings):
    return "\n".join("%s: %s in ...%r..." % f for f in findings)


# ---- the audit's scenarios; each adds what must never be written to ctx.needles
# (any file) or ctx.log_needles (logs only).

class Ctx:
    def __init__(self, herald, sim, prosody, ca):
        self.herald, self.sim, self.prosody, self.ca = herald, sim, prosody, ca
        self.needles = {}
        self.log_needles = {}
        self.sender = None


def prosody_results(prosody, kind):
    return [l for l in prosody.log_text().splitlines()
            if "Received[s2sin]: <iq" in l and ("type='%s'" % kind) in l and "from='push.test'" in l]


async def scenario_push_with_body(ctx):
    alice = ctx.prosody.register("alice")
    token = secrets.token_hex(32)
    ctx.needles.update({"alice's JID": alice, "a full token": token})
    c = await harness.client(alice + "/phone", ctx.prosody.ip, ctx.ca)
    await harness.enable_push(c, "push.test", token, MODULE)
    await c.disconnect()
    canary = "canary-" + secrets.token_hex(8)
    ctx.needles["the message body"] = canary
    ctx.sender.send_message(mto=alice, mbody="hello " + canary, mtype="chat")
    await harness.await_for(lambda: [r for r in ctx.sim.requests() if r["token"] == token], 15,
                            "apns-sim to receive the push")
    assert all(canary not in r.get("payload", "") for r in ctx.sim.requests())


async def scenario_ping(ctx):
    # XEP-0199 ping from a user's full JID to Herald: Herald sees the JID.
    c = await harness.client(ctx.prosody.register("pinger") + "/laptop", ctx.prosody.ip, ctx.ca)
    ctx.needles["the pinger's JID"] = "pinger@user.test"
    iq = c.make_iq_get(ito="push.test")
    iq.append(ET.fromstring("<ping xmlns='urn:xmpp:ping'/>"))
    reply = await iq.send(timeout=20)
    assert reply["type"] == "result", reply
    await c.disconnect()


async def scenario_dead_token(ctx):
    carol = ctx.prosody.register("carol")
    token = secrets.token_hex(32)
    ctx.needles.update({"carol's JID": carol, "a dead token": token})
    ctx.sim.mark_dead(token)
    c = await harness.client(carol + "/phone", ctx.prosody.ip, ctx.ca)
    await harness.enable_push(c, "push.test", token, MODULE)
    await c.disconnect()
    ctx.sender.send_message(mto=carol, mbody="canary-dead", mtype="chat")
    await harness.await_for(lambda: [r for r in ctx.sim.requests()
                                     if r["token"] == token and r["status"] == 410], 15,
                            "apns-sim to answer 410")
    fp = hashlib.sha256(token.encode()).hexdigest()[:8]
    await harness.await_for(lambda: re.search(r"outcome \S+ token " + fp, ctx.herald.log_text()), 15,
                            "Herald to log the dead token's outcome by its fingerprint")


async def scenario_unknown_module(ctx):
    dave = ctx.prosody.register("dave")
    token = secrets.token_hex(32)
    ctx.needles.update({"dave's JID": dave, "an unroutable token": token})
    c = await harness.client(dave + "/phone", ctx.prosody.ip, ctx.ca)
    await harness.enable_push(c, "push.test", token, "no-such-module")
    await c.disconnect()
    ctx.sender.send_message(mto=dave, mbody="canary-unknown", mtype="chat")
    await harness.await_for(lambda: "outcome unknown-module" in ctx.herald.log_text(), 15,
                            "Herald to refuse the unknown module")


async def scenario_v1_adhoc(ctx):
    # v1 (docs/privacy.md promise 3): registered over ad-hoc commands from the app's
    # full JID; Herald stores token, module, node and a hash of the secret.
    import uuid
    import v1_adhoc_test as v1
    erin = ctx.prosody.register("erin")
    token, node = secrets.token_hex(32), str(uuid.uuid4())
    c = await harness.client(erin + "/phone", ctx.prosody.ip, ctx.ca)
    node, secret = await v1.register_adhoc(c, node, token)
    await v1.enable_v1(c, node, secret)
    await c.disconnect()
    ctx.needles.update({"erin's JID": erin, "a v1 secret": secret})
    ctx.log_needles.update({"a v1 token": token, "a v1 node": node})
    ctx.sender.send_message(mto=erin, mbody="canary-v1", mtype="chat")
    await harness.await_for(lambda: [r for r in ctx.sim.requests() if r["token"] == token], 15,
                            "apns-sim to receive the v1 push")


async def scenario_v1_http(ctx):
    # v1 registered over HTTP (/push_appserver/v1/register): the request's
    # form holds token and node, and Herald answers the secret in the body.
    import uuid
    import v1_adhoc_test as v1
    harness.wait_tcp(ctx.herald.ip, v1.HTTP_PORT, 10, ctx.herald.proc, "herald v1 http")
    frank = ctx.prosody.register("frank")
    token = secrets.token_hex(32)
    # The app on an address of its own: promise 8, no client address in any log.
    client_ip = harness.free_loopback_ip(ports=())
    node, secret = v1.register_http(ctx.herald.ip, str(uuid.uuid4()), token, source_ip=client_ip)
    c = await harness.client(frank + "/phone", ctx.prosody.ip, ctx.ca)
    await v1.enable_v1(c, node, secret)
    await c.disconnect()
    ctx.needles.update({"frank's JID": frank, "a v1 secret (HTTP)": secret,
                        "the v1 HTTP client's address": client_ip})
    ctx.log_needles.update({"a v1 token (HTTP)": token, "a v1 node (HTTP)": node})
    ctx.sender.send_message(mto=frank, mbody="canary-v1-http", mtype="chat")
    await harness.await_for(lambda: [r for r in ctx.sim.requests() if r["token"] == token], 15,
                            "apns-sim to receive the v1 push registered over HTTP")


# ejabberd as the peer adds its scenario here.
SCENARIOS = [scenario_push_with_body, scenario_ping, scenario_dead_token, scenario_unknown_module,
             scenario_v1_adhoc, scenario_v1_http]


async def run_scenarios(ctx):
    bob = ctx.prosody.register("bob")
    ctx.needles["bob's JID"] = bob
    ctx.sender = await harness.client(bob + "/desktop", ctx.prosody.ip, ctx.ca)
    for s in SCENARIOS:
        await s(ctx)
    await ctx.sender.disconnect()


def audit(herald_bin, sim_bin, level="info"):
    """level "debug" is the audit's own control run: debug shows a ping's full
    JID, so the same scan must then report findings."""
    td = harness.TestDir("privacy-audit-" + level)
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        herald_ip = harness.free_loopback_ip(ports=(5269, 5280))
        prosody_ip = harness.free_loopback_ip()
        sim = harness.ApnsSim(procs, sim_bin, td.sub("apns-sim"), pki, [TOPIC])
        herald = harness.Herald(procs, herald_bin, td.sub("herald"), "push.test", herald_ip, pki,
                                routes={"user.test": "%s:5269" % prosody_ip},
                                modules=[{"name": MODULE, "topic": TOPIC, "endpoint": "127.0.0.1:%d" % sim.port,
                                          "ca_file": pki.ca, "team_id": sim.team_id, "key_id": sim.key_id,
                                          "key_file": sim.p8}],
                                extra="\n[log]\nlevel = \"%s\"\n\n[v1]\nenabled = true\nflush_interval = 1\n"
                                      "listen = [\"%s:5280\"]\n" % (level, herald_ip))
        prosody = harness.Prosody(procs, td.sub("prosody"), "user.test", prosody_ip, pki,
                                  hosts={"push.test": herald_ip}, with_body=True)
        ctx = Ctx(herald, sim, prosody, pki.ca)
        asyncio.run(run_scenarios(ctx))
        # Prosody did send what it could: the sender and body reached Herald.
        assert "push_notification_with_body = true" in open(prosody.cfg).read()
        procs.stop_all()  # flush and close everything Herald writes
        # Herald's directory holds its config (which names the CA, key files and
        # routes, written by the test, not by Herald): scan what Herald wrote.
        written = [os.path.join(herald.d, n) for n in os.listdir(herald.d)
                   if n not in ("herald.toml",) and not n.endswith((".crt", ".key", ".pem"))]
        assert any(n.startswith("herald.log") for n in os.listdir(herald.d)), os.listdir(herald.d)
        assert any(n.startswith("herald.sqlite") for n in os.listdir(herald.d)), os.listdir(herald.d)
        findings = scan(written, ctx.needles, ctx.log_needles)
        if level == "debug":
            labels = {w for _, w, _ in findings}
            assert "the pinger's JID" in labels and "a JID" in labels, \
                "at debug the scan should find the ping's JID that debug lines show:\n" + report(findings)
            assert "the message body" not in labels, "bodies are never logged, not even at debug"
            td.ok = True
            print("privacy_audit (control run at debug): the scan reports %d findings, none a body"
                  % len(findings))
            return
        assert not findings, "Herald wrote private data:\n" + report(findings)
        log = herald.settled_log_text()
        assert "publish from user.test" in log, "the info log should still name the domain"
        td.ok = True
        print("privacy_audit: %d scenarios, %d files scanned, %d needles, no findings"
              % (len(SCENARIOS), len(written), len(ctx.needles) + len(ctx.log_needles)))
    finally:
        procs.stop_all()
        td.close()


def scanner_selftest():
    d = tempfile.mkdtemp(prefix="herald-scan-")
    token = secrets.token_hex(32)
    needles = {"a full token": token, "the message body": "canary-123"}
    clean = os.path.join(d, "herald.log")
    with open(clean, "w") as f:
        f.write("2025-01-01T00:00:00.000 info publish from user.test module m outcome delivered token 1a2b3c4d\n"
                "2025-01-01T00:00:00.000 info ping from [redacted]@user.test/[redacted]\n")
    assert scan([d], needles) == [], report(scan([d], needles))
    # A leaky log line: red.
    leaky = os.path.join(d, "herald.20250101T000000Z.log")
    with open(leaky, "w") as f:
        f.write("2025-01-01T00:00:00.000 info publish from alice@user.test token %s\n" % token)
    found = scan([d], needles)
    assert {w for _, w, _ in found} == {"a full token", "a JID"}, report(found)
    os.remove(leaky)
    # A database with a planted JID: red.
    db = os.path.join(d, "herald.sqlite")
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE t (v TEXT)")
    con.execute("INSERT INTO t VALUES ('carol@user.test')")
    con.commit()
    con.close()
    found = scan([d], needles)
    assert [(os.path.basename(f), w) for f, w, _ in found] == [("herald.sqlite", "a JID")], report(found)
    # A log-only needle (a v1 token may be stored, never logged): red in a log only.
    os.remove(db)
    with open(os.path.join(d, "registrations.db"), "w") as f:
        f.write("v1 row %s\n" % token)
    assert scan([d], {}, {"a v1 token": token}) == []
    with open(clean, "a") as f:
        f.write("registered token %s\n" % token)
    found = scan([d], {}, {"a v1 token": token})
    assert [(os.path.basename(f), w) for f, w, _ in found] == [("herald.log", "a v1 token")], report(found)
    for n in os.listdir(d):
        os.remove(os.path.join(d, n))
    os.rmdir(d)
    print("privacy_audit scanner: reports a leaky log line and a planted JID in a database")


def retention(herald_bin, sim_bin):
    td = harness.TestDir("log-retention")
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        ip = harness.free_loopback_ip(ports=(5269,))
        sim = harness.ApnsSim(procs, sim_bin, td.sub("apns-sim"), pki, [TOPIC])
        hd = td.sub("herald")
        day = 24 * 3600
        now = time.time()

        def plant(name, age_days):
            p = os.path.join(hd, name)
            with open(p, "w") as f:
                f.write("old line\n")
            os.utime(p, (now - age_days * day, now - age_days * day))
            return p

        old = plant("herald.20240101T000000Z.log", 20)
        fresh = plant("herald.20240301T000000Z.log", 1)
        other = plant("notes.20240101T000000Z.log", 60)
        herald = harness.Herald(procs, herald_bin, hd, "push.test", ip, pki, routes={},
                                modules=[{"name": MODULE, "topic": TOPIC, "endpoint": "127.0.0.1:%d" % sim.port,
                                          "ca_file": pki.ca, "team_id": sim.team_id, "key_id": sim.key_id,
                                          "key_file": sim.p8}],
                                extra="\n[log]\nretention_days = 14\npurge_interval = 1\n")
        # At start.
        harness.wait_for(lambda: not os.path.exists(old), 10, "the purge at start")
        assert os.path.exists(fresh) and os.path.exists(other) and os.path.exists(herald.log)
        herald.await_log("log retention: deleted 1 log file(s) older than 14 days")
        # Periodically (purge_interval = 1 s), with no restart.
        later = plant("herald.20240102T000000Z.log", 15)
        harness.wait_for(lambda: not os.path.exists(later), 10, "the periodic purge")
        # 13 days: rotate_age (1 day) before the retention ends, a file's oldest line may be 14.
        edge = plant("herald.20240103T000000Z.log", 13.5)
        harness.wait_for(lambda: not os.path.exists(edge), 10, "the purge of a 13.5-day-old file")
        assert os.path.exists(fresh) and os.path.exists(other)
        # SIGHUP runs it too (systemctl reload).
        herald.proc.send_signal(signal.SIGHUP)
        harness.wait_for(lambda: "signal SIGHUP" in herald.log_text(), 10, "the reload")
        assert os.path.exists(fresh) and os.path.exists(herald.log)
        td.ok = True
        print("log_retention: 20-, 15- and 13.5-day-old logs deleted, 1-day-old and foreign files kept")
    finally:
        procs.stop_all()
        td.close()


def main():
    mode = sys.argv[1]
    if mode == "scanner":
        scanner_selftest()
    elif mode == "audit":
        audit(sys.argv[2], sys.argv[3])
    elif mode == "audit-debug":
        audit(sys.argv[2], sys.argv[3], level="debug")
    elif mode == "retention":
        retention(sys.argv[2], sys.argv[3])
    else:
        raise SystemExit("unknown mode " + mode)


if __name__ == "__main__":
    main()
