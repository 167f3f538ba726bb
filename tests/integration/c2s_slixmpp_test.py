"""A real client library against Herald's client streams: slixmpp (Debian's
python3-slixmpp) logs in to c2s-test-server (one C2sListener with an
in-memory test account) over STARTTLS with SCRAM-SHA-1, binds, pings the
server and sends itself a message, which comes back.

slixmpp 1.8 binds only to tls-unique, which TLS 1.3 does not define (RFC
9266), and says so with the GS2 flag "y" ("I could bind, you cannot").
The server offers -PLUS (tls-exporter, tls-server-end-point), so it takes a
"y" for a downgrade and refuses it (RFC 5802 section 6): shown first. The
login that works is slixmpp without its channel-binding credential, as a
client without channel binding support is ("n").

Afterwards the server's log (info) holds no JID and no client address.

Usage: c2s_slixmpp_test.py C2S_TEST_SERVER_BINARY
"""
import asyncio
import os
import signal
import sys

import harness

DOMAIN = "home.test"
USER = "alice"


async def log_in(port, ca, drop_channel_binding):
    import slixmpp
    x = slixmpp.ClientXMPP("%s@%s/desk" % (USER, DOMAIN), harness.PASSWORD, sasl_mech="SCRAM-SHA-1")
    x.ca_certs = ca
    x.register_plugin("xep_0199")
    mechanisms = x["feature_mechanisms"]
    if drop_channel_binding:
        ask = mechanisms.sasl_callback

        def without_binding(required, optional):
            return ask(required, set(optional) - {"channel_binding"})
        mechanisms.sasl_callback = without_binding
    outcome = asyncio.get_running_loop().create_future()
    x.add_event_handler("session_start", lambda _: outcome.done() or outcome.set_result("session"))
    x.add_event_handler("failed_auth",
                        lambda f: outcome.done() or outcome.set_result("failed: " + f["condition"]))
    x.add_event_handler("disconnected", lambda _: outcome.done() or outcome.set_result("disconnected"))
    x.connect(address=("127.0.0.1", port))
    result = await asyncio.wait_for(outcome, 20)
    return x, result, mechanisms


async def scenario(port, ca):
    x, result, _ = await log_in(port, ca, drop_channel_binding=False)
    assert result == "failed: not-authorized", "a 'y' login must be refused, got %s" % result
    x.disconnect()

    x, result, mechanisms = await log_in(port, ca, drop_channel_binding=True)
    assert result == "session", result
    assert mechanisms.mech.name == "SCRAM-SHA-1", mechanisms.mech.name
    assert str(x.boundjid) == "%s@%s/desk" % (USER, DOMAIN), x.boundjid
    rtt = await x["xep_0199"].ping(jid=DOMAIN, timeout=10)
    echoed = asyncio.get_running_loop().create_future()
    x.add_event_handler("message", lambda m: echoed.done() or echoed.set_result(m))
    x.send_message(mto="%s@%s" % (USER, DOMAIN), mbody="note to self", mtype="chat")
    m = await asyncio.wait_for(echoed, 10)
    assert m["body"] == "note to self", m
    assert str(m["from"]) == "%s@%s/desk" % (USER, DOMAIN), m["from"]
    x.disconnect()
    await asyncio.sleep(0.2)
    return rtt


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("c2s_slixmpp: terminated"))
    td = harness.TestDir("c2s-slixmpp")
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        cert, key = pki.issue(DOMAIN)
        port_file = os.path.join(td.path, "port")
        log = os.path.join(td.path, "server.log")
        server = procs.start([sys.argv[1], DOMAIN, cert, key, USER, harness.PASSWORD, port_file], log)
        harness.wait_for(lambda: os.path.exists(port_file) and open(port_file).read().strip(), 10,
                         "the server's port")
        port = int(open(port_file).read())
        harness.wait_tcp("127.0.0.1", port, 10, server, "c2s-test-server")
        rtt = asyncio.run(scenario(port, pki.ca))
        procs.stop(server)
        text = open(log).read()
        assert USER not in text, "a JID in the log:\n" + text
        for line in text.splitlines():
            assert "127.0.0.1" not in line or "listening on" in line, "an address in the log: " + line
        print("c2s_slixmpp: passed (SCRAM-SHA-1 login, bind, ping %.1f ms, message echoed; 'y' refused)"
              % (rtt * 1000))
        td.ok = True
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
