"""End to end v1 registration with real Prosody 0.12 (mod_cloud_notify).

The app (slixmpp, through its Prosody account) runs the ad-hoc command
v1-register-push against Herald over s2s (or, with --http, POSTs to
/push_appserver/v1/register), enables push on Prosody with node + secret in
publish-options, and a message wakes it: apns-sim receives the push for the
registered token. A wrong secret: Prosody gets `cancel` and apns-sim receives
nothing. A stranger registering a known node with another token gets a node
of its own and does not take the first app's pushes. v1-export-data shows the
registrant its data; `herald gdpr show/erase` does the same for the operator.
The SQLite file holds no JID and no plaintext secret.

Usage: v1_adhoc_test.py HERALD_BINARY APNS_SIM_BINARY [--http]
"""
import asyncio
import http.client
import hashlib
import os
import re
import secrets
import subprocess
import sys
import urllib.parse
import uuid
import xml.etree.ElementTree as ET

import harness

TOPIC = "org.example.herald"
MODULE = "example-ios"
CMD_NS = "http://jabber.org/protocol/commands"
DATA_NS = "jabber:x:data"
REGISTER_FT = "https://github.com/tmolitor-stud-tu/mod_push_appserver/#v1-register-push"
HTTP_PORT = 5280


def form_xml(form_type, fields):
    out = ["<x xmlns='jabber:x:data' type='submit'>",
           "<field var='FORM_TYPE'><value>%s</value></field>" % form_type]
    out += ["<field var='%s'><value>%s</value></field>" % kv for kv in fields.items()]
    return "".join(out) + "</x>"


def form_values(x):
    return {f.get("var"): (f.findtext("{%s}value" % DATA_NS) or "") for f in x.findall("{%s}field" % DATA_NS)}


async def command(c, node, fields):
    iq = c.make_iq_set(ito="push.test")
    iq.append(ET.fromstring("<command xmlns='%s' node='%s' action='execute'>%s</command>"
                            % (CMD_NS, node, form_xml(REGISTER_FT.replace("v1-register-push", node), fields))))
    reply = await iq.send(timeout=20)
    cmd = reply.xml.find("{%s}command" % CMD_NS)
    assert cmd is not None and cmd.get("status") == "completed", reply
    x = cmd.find("{%s}x" % DATA_NS)
    return form_values(x) if x is not None else {}


async def register_adhoc(c, node, token):
    v = await command(c, "v1-register-push", {"type": "apns", "node": node, "token": token})
    assert v["jid"] == "push.test", v
    return v["node"], v["secret"]


def register_http(herald_ip, node, token, source_ip=None):
    """source_ip: the client's own address (the privacy audit looks for it in Herald's log)."""
    body = urllib.parse.urlencode({"type": "apns", "node": node, "token": token})
    conn = http.client.HTTPConnection(herald_ip, HTTP_PORT, timeout=20,
                                      source_address=(source_ip, 0) if source_ip else None)
    try:
        conn.request("POST", "/push_appserver/v1/register", body,
                     {"Content-Type": "application/x-www-form-urlencoded"})
        r = conn.getresponse()
        lines = r.read().decode().split("\n")
    finally:
        conn.close()
    assert r.status == 200 and lines[0] == "OK", lines
    return lines[1], lines[2]


async def enable_v1(c, node, secret):
    iq = c.make_iq_set()
    iq.append(ET.fromstring(
        "<enable xmlns='urn:xmpp:push:0' jid='push.test' node='%s'>%s</enable>"
        % (node, form_xml("http://jabber.org/protocol/pubsub#publish-options", {"secret": secret}))))
    reply = await iq.send(timeout=10)
    assert reply["type"] == "result", reply


def prosody_errors(prosody, condition, node):
    return re.findall(r"Got error <cancel:%s:[^>]*> for identifier 'push\.test<%s" % (condition, re.escape(node)),
                      prosody.log_text())


async def scenario(herald, sim, prosody, ca, http):
    alice, carol, bob, mallory = (prosody.register(u) for u in ("alice", "carol", "bob", "mallory"))
    alice_token, carol_token, mallory_token = (secrets.token_hex(32) for _ in range(3))
    alice_node, carol_node = str(uuid.uuid4()), str(uuid.uuid4())

    a = await harness.client(alice + "/phone", prosody.ip, ca)
    if not http:
        # disco: the commands are listed on the push domain.
        iq = a.make_iq_get(ito="push.test")
        iq.append(ET.fromstring("<query xmlns='http://jabber.org/protocol/disco#items' node='%s'/>" % CMD_NS))
        items = (await iq.send(timeout=20)).xml.findall(".//{http://jabber.org/protocol/disco#items}item")
        names = {i.get("node") for i in items}
        assert {"v1-register-push", "v1-unregister-push", "v1-export-data"} <= names, names
        node, secret = await register_adhoc(a, alice_node, alice_token)
    else:
        node, secret = register_http(herald.ip, alice_node, alice_token)
    assert node == alice_node and len(secret) >= 43, (node, len(secret))
    await enable_v1(a, node, secret)
    await a.disconnect()

    # carol enables push with a secret that is not hers.
    c = await harness.client(carol + "/phone", prosody.ip, ca)
    if not http:
        _, carol_secret = await register_adhoc(c, carol_node, carol_token)
    else:
        _, carol_secret = register_http(herald.ip, carol_node, carol_token)
    wrong = secrets.token_urlsafe(32)
    assert wrong != carol_secret
    await enable_v1(c, carol_node, wrong)
    await c.disconnect()

    # A stranger who learned alice's node registers it with its own token.
    m = await harness.client(mallory + "/phone", prosody.ip, ca)
    if not http:
        m_node, m_secret = await register_adhoc(m, alice_node, mallory_token)
    else:
        m_node, m_secret = register_http(herald.ip, alice_node, mallory_token)
    assert m_node != alice_node, "a known node must not be handed to another token"
    await m.disconnect()

    sender = await harness.client(bob + "/desktop", prosody.ip, ca)
    sender.send_message(mto=alice, mbody="canary-%s" % secrets.token_hex(4), mtype="chat")
    await harness.await_for(lambda: [r for r in sim.requests() if r["token"] == alice_token], 20,
                            "apns-sim to receive alice's push")
    sender.send_message(mto=carol, mbody="canary-wrong", mtype="chat")
    await harness.await_for(lambda: prosody_errors(prosody, "forbidden", carol_node), 20,
                            "Prosody to get cancel for the wrong secret")
    await asyncio.sleep(1.0)
    assert not [r for r in sim.requests() if r["token"] == carol_token], "a wrong secret must send nothing"
    assert not [r for r in sim.requests() if r["token"] == mallory_token], "the stranger got alice's push"
    reqs = [r for r in sim.requests() if r["token"] == alice_token]
    assert len(reqs) == 1 and reqs[0]["status"] == 200 and "canary" not in reqs[0].get("payload", ""), reqs

    # The registrant sees what is held about it; a wrong secret sees nothing.
    a = await harness.client(alice + "/phone", prosody.ip, ca)
    data = await command(a, "v1-export-data", {"node": alice_node, "secret": secret})
    assert data["token"] == alice_token and data["type"] == MODULE, data
    assert data["secret-sha256"] == hashlib.sha256(secret.encode()).hexdigest(), data
    assert data["last-success"], "the batched last-success should be written by now (flush_interval 1 s)"
    try:
        await command(a, "v1-export-data", {"node": alice_node, "secret": wrong})
        raise AssertionError("export with a wrong secret must fail")
    except Exception as e:  # slixmpp raises IqError
        assert "forbidden" in str(getattr(e, "iq", e)), e
    await a.disconnect()
    await sender.disconnect()
    return [secret, carol_secret, m_secret], [alice_token, carol_token, mallory_token]


def check_store_and_gdpr(herald, herald_bin, plain_secrets, tokens):
    db = open(os.path.join(herald.d, "herald.sqlite"), "rb").read()
    wal = os.path.join(herald.d, "herald.sqlite-wal")
    if os.path.exists(wal):
        db += open(wal, "rb").read()
    for leak in (b"alice@", b"carol@", b"mallory@", b"user.test", b"/phone"):
        assert leak not in db, "the database must not contain %r" % leak
    for s in plain_secrets:
        assert s.encode() not in db, "the database must not contain a plaintext secret"
    assert hashlib.sha256(plain_secrets[0].encode()).digest() in db, "the secret's hash should be stored"
    log = herald.settled_log_text()
    for leak in ["alice@", "carol@", "user.test/"] + plain_secrets + tokens:
        assert leak not in log, "Herald's log must not contain %r" % leak

    def gdpr(*args):
        return subprocess.run([herald_bin, "gdpr"] + list(args) + ["-c", herald.config],
                              capture_output=True, text=True, timeout=30)
    out = gdpr("show", "--token", tokens[0])
    assert out.returncode == 0 and tokens[0] in out.stdout and "last success: 20" in out.stdout, out
    out = gdpr("erase", "--token", tokens[0])
    assert out.returncode == 0 and "erased registration" in out.stdout, out
    out = gdpr("show", "--token", tokens[0])
    assert out.returncode == 1 and "nothing held" in out.stdout, out


def main():
    herald_bin, sim_bin = sys.argv[1], sys.argv[2]
    http = "--http" in sys.argv[3:]
    name = "v1-http" if http else "v1-adhoc"
    td = harness.TestDir(name)
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        herald_ip = harness.free_loopback_ip(ports=(5269, HTTP_PORT))
        prosody_ip = harness.free_loopback_ip()
        sim = harness.ApnsSim(procs, sim_bin, td.sub("apns-sim"), pki, [TOPIC])
        v1 = "rate_limit_window = 0\n\n[v1]\nenabled = true\nflush_interval = 1\n"
        if http:
            v1 += 'listen = ["%s:%d"]\n' % (herald_ip, HTTP_PORT)
        herald = harness.Herald(procs, herald_bin, td.sub("herald"), "push.test", herald_ip, pki,
                                routes={"user.test": "%s:5269" % prosody_ip}, extra=v1,
                                modules=[{"name": MODULE, "topic": TOPIC, "endpoint": "127.0.0.1:%d" % sim.port,
                                          "ca_file": pki.ca, "team_id": sim.team_id, "key_id": sim.key_id,
                                          "key_file": sim.p8}])
        if http:
            harness.wait_tcp(herald_ip, HTTP_PORT, 10, herald.proc, "herald v1 http")
        prosody = harness.Prosody(procs, td.sub("prosody"), "user.test", prosody_ip, pki,
                                  hosts={"push.test": herald_ip})
        plain_secrets, tokens = asyncio.run(scenario(herald, sim, prosody, pki.ca, http))
        procs.stop(herald.proc)  # flushes the batched outcomes; the gdpr command opens the file alone
        check_store_and_gdpr(herald, herald_bin, plain_secrets, tokens)
        td.ok = True
        print("%s: passed" % name)
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
