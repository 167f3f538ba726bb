"""Component mode (XEP-0114) behind real ejabberd 23.01.

ejabberd serves push.test as an external component (an ejabberd_service
listener with `hosts: push.test: password`) and does all federation; Herald
connects to that port instead of using s2s. A user of ejabberd enables push
to push.test, a message to the offline user must reach apns-sim, and
ejabberd's mod_push must log that push.test accepted the notification (debug
level: it only logs results there), i.e. Herald's result came back through
the component stream.

Usage: federation_ejabberd_component_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import asyncio
import os
import re
import secrets
import signal
import sys

import harness

TOPIC = "org.example.herald"
MODULE = "example-ios"
COMPONENT_PORT = 5347

SERVICE_LISTENER = """  -
    port: {port}
    ip: {ip}
    module: ejabberd_service
    hosts:
      push.test:
        password: "{secret}"
"""


def accepted(ejabberd, node):
    return re.findall(r"push\.test accepted notification for [^ ]+ \(%s\)" % node, ejabberd.log_text())


async def scenario(ejabberd, sim, ca):
    alice, bob = ejabberd.register("alice"), ejabberd.register("bob")
    token = secrets.token_hex(32)
    c = await harness.client(alice + "/phone", ejabberd.ip, ca)
    await harness.enable_push(c, "push.test", token, MODULE)
    await c.disconnect()
    sender = await harness.client(bob + "/desktop", ejabberd.ip, ca)
    sender.send_message(mto=alice, mbody="hello", mtype="chat")
    await harness.await_for(lambda: [r for r in sim.requests() if r["token"] == token], 30, "the push")
    await harness.await_for(lambda: accepted(ejabberd, token), 20, "ejabberd to receive Herald's result")
    assert [r["status"] for r in sim.requests() if r["token"] == token] == [200]
    assert "rejected notification" not in ejabberd.log_text()
    await sender.disconnect()
    return token


def main():
    if os.geteuid() != 0:
        print("federation_ejabberd_component: needs root for a private mount namespace (unshare --mount)")
        sys.exit(77)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("federation_ejabberd_component: terminated"))
    td = harness.TestDir("federation-ejabberd-component")
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        sim = harness.ApnsSim(procs, sys.argv[2], td.sub("apns-sim"), pki, [TOPIC])
        herald_ip = harness.free_loopback_ip(ports=(5269,))
        ejab_ip = harness.free_loopback_ip(ports=(5222, 5269, 5280, COMPONENT_PORT))
        secret = secrets.token_hex(16)
        ejabberd = harness.Ejabberd(procs, td.sub("ejabberd"), "ejab.test", ejab_ip, pki, hosts={},
                                    extra_listen=SERVICE_LISTENER.format(port=COMPONENT_PORT, ip=ejab_ip,
                                                                         secret=secret),
                                    loglevel="debug")
        harness.wait_tcp(ejab_ip, COMPONENT_PORT, 10, ejabberd.proc, "ejabberd component port")
        herald = harness.Herald(procs, sys.argv[1], td.sub("herald"), "push.test", herald_ip, pki, routes={},
                                modules=[{"name": MODULE, "topic": TOPIC, "endpoint": "127.0.0.1:%d" % sim.port,
                                          "ca_file": pki.ca, "team_id": sim.team_id, "key_id": sim.key_id,
                                          "key_file": sim.p8}],
                                extra='\n[component]\nserver = "%s:%d"\nsecret = "%s"\n'
                                      % (ejab_ip, COMPONENT_PORT, secret))
        harness.wait_for(lambda: "component push.test: connected to the server" in herald.log_text(), 20,
                         "Herald to connect as a component")
        token = asyncio.run(scenario(ejabberd, sim, pki.ca))
        log = herald.settled_log_text()
        assert "inbound from ejab.test" not in log and "outbound to ejab.test" not in log, \
            "in component mode nothing should go over s2s"
        for leak in (secret, "alice@", "bob@", "hello", token):
            assert leak not in log, "Herald's info log must not contain %r" % leak
        td.ok = True
        print("federation_ejabberd_component: passed")
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
