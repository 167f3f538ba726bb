"""herald-home before accounts exist: what can be checked from outside.

1. check-config accepts the generated configuration and refuses a host whose
   certificate is for another domain, naming the file's line (exit 2);
   usage errors exit 2, --version prints the version.
2. serve: a user of a real Prosody 0.12 (user.test) reaches the home host
   home.test over s2s: disco#info of the server is answered by herald-home's
   disco service (identity server/im, the ping feature), a XEP-0199 ping is
   answered, and disco#info of an account's bare JID is service-unavailable
   for a stranger (disco tells nobody who has an account).
3. Client connections: direct TLS on the XEP-0368 port selects ALPN xmpp-client and
   presents the host's certificate, and the STARTTLS port's first features
   are <starttls><required/></starttls>.
4. SIGTERM: herald-home exits 0 within its shutdown bound; its info log
   holds no JID of the Prosody user and no client address.

Usage: home_basics_test.py HERALD_HOME_BINARY
"""
import asyncio
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import time

import harness

HOME = "home.test"
PEER = "user.test"


def write_config(d, ip, prosody_ip, pki, cert, key, threads=3):
    path = os.path.join(d, "home.toml")
    with open(path, "w") as f:
        f.write("\n".join([
            "[server]", "threads = %d" % threads, 'data_dir = "%s"' % os.path.join(d, "data"),
            "shutdown_timeout = 4", "",
            "[log]", 'level = "info"', 'file = "%s"' % os.path.join(d, "home.log"), "",
            "[[hosts]]", 'domain = "%s"' % HOME, 'certificate = "%s"' % cert, 'key = "%s"' % key, "",
            "[c2s]", 'listen = ["%s:5222"]' % ip, 'listen_direct_tls = ["%s:5223"]' % ip, "",
            "[s2s]", 'listen = ["%s:5269"]' % ip, 'ca_file = "%s"' % pki.ca,
            'routes = { "%s" = "%s:5269" }' % (PEER, prosody_ip), ""]))
    return path


def check_config(binary, d, good, pki):
    out = subprocess.run([binary, "check-config", "-c", good], capture_output=True, text=True)
    assert out.returncode == 0 and "configuration OK" in out.stdout, out
    # The same file with the host's certificate replaced by another domain's.
    other_cert, other_key = pki.issue("other.test")
    text = open(good).read()
    bad = os.path.join(d, "bad.toml")
    lines = text.splitlines()
    cert_line = next(i for i, l in enumerate(lines) if l.startswith("certificate ="))
    lines[cert_line] = 'certificate = "%s"' % other_cert
    lines[cert_line + 1] = 'key = "%s"' % other_key
    with open(bad, "w") as f:
        f.write("\n".join(lines) + "\n")
    out = subprocess.run([binary, "check-config", "-c", bad], capture_output=True, text=True)
    expect = "%s:%d: hosts[0].certificate: " % (bad, cert_line + 1)
    assert out.returncode == 2 and expect in out.stderr and "not home.test" in out.stderr, out
    out = subprocess.run([binary, "serve", "--no-such-flag"], capture_output=True, text=True)
    assert out.returncode == 2, out
    out = subprocess.run([binary, "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("herald-home "), out


async def federation(prosody, ca):
    import slixmpp
    from slixmpp.exceptions import IqError
    alice = prosody.register("alice")
    c = await harness.client(alice + "/laptop", prosody.ip, ca)
    try:
        iq = c.make_iq_get(queryxmlns="http://jabber.org/protocol/disco#info", ito=HOME)
        reply = await iq.send(timeout=30)
        assert reply["type"] == "result", reply
        xml = str(reply)
        assert re.search(r"<identity[^>]*category=.server.", xml) and "type=\"im\"" in xml, xml
        for feature in ("urn:xmpp:ping", "http://jabber.org/protocol/disco#info",
                        "http://jabber.org/protocol/disco#items"):
            assert 'var="%s"' % feature in xml, (feature, xml)

        ping = c.make_iq_get(ito=HOME)
        ping.append(slixmpp.xmlstream.ET.fromstring("<ping xmlns='urn:xmpp:ping'/>"))
        pong = await ping.send(timeout=10)
        assert pong["type"] == "result", pong

        stranger = c.make_iq_get(queryxmlns="http://jabber.org/protocol/disco#info", ito="bob@" + HOME)
        try:
            answer = await stranger.send(timeout=10)
            raise AssertionError("account disco answered a stranger: %s" % answer)
        except IqError as e:
            assert e.iq["error"]["condition"] == "service-unavailable", e.iq
    finally:
        c.disconnect()
        await asyncio.sleep(0.2)
    return alice


def client_streams(ip, pki, cert):
    # Direct TLS (XEP-0368): ALPN xmpp-client, the host's certificate.
    ctx = ssl.create_default_context(cafile=pki.ca)
    ctx.set_alpn_protocols(["xmpp-client"])
    with socket.create_connection((ip, 5223), timeout=10) as raw:
        with ctx.wrap_socket(raw, server_hostname=HOME) as tls:
            assert tls.selected_alpn_protocol() == "xmpp-client", tls.selected_alpn_protocol()
            peer = tls.getpeercert()
            names = [v for k, v in peer.get("subjectAltName", ()) if k == "DNS"]
            assert HOME in names, peer
    # STARTTLS port: TLS first, nothing else offered before it.
    with socket.create_connection((ip, 5222), timeout=10) as s:
        s.sendall(("<?xml version='1.0'?><stream:stream to='%s' version='1.0' xmlns='jabber:client' "
                   "xmlns:stream='http://etherx.jabber.org/streams'>" % HOME).encode())
        data = b""
        end = time.monotonic() + 10
        while b"</stream:features>" not in data and time.monotonic() < end:
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
        text = data.decode(errors="replace")
        assert re.search(r"<starttls xmlns=['\"]urn:ietf:params:xml:ns:xmpp-tls['\"]><required/></starttls>", text), text
        assert "mechanisms" not in text, "nothing but STARTTLS before TLS: " + text


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("home_basics: terminated"))
    binary = sys.argv[1]
    td = harness.TestDir("home-basics")
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        home_ip = harness.free_loopback_ip(ports=(5222, 5223, 5269))
        prosody_ip = harness.free_loopback_ip()
        d = td.sub("home")
        cert, key = pki.issue(HOME)
        config = write_config(d, home_ip, prosody_ip, pki, cert, key)
        check_config(binary, d, config, pki)

        log = os.path.join(d, "home.log")
        home = procs.start([binary, "serve", "-c", config], os.path.join(d, "home.out"))
        harness.wait_tcp(home_ip, 5269, 10, home, "herald-home")
        prosody = harness.Prosody(procs, td.sub("prosody"), PEER, prosody_ip, pki, hosts={HOME: home_ip})
        alice = asyncio.run(federation(prosody, pki.ca))

        harness.wait_tcp(home_ip, 5223, 5, home, "herald-home")
        client_streams(home_ip, pki, cert)

        t0 = time.monotonic()
        rc = procs.stop(home, wait=8)
        took = time.monotonic() - t0
        assert rc == 0, "herald-home exited %s on SIGTERM" % rc
        assert took < 6, "shutdown took %.1f s" % took
        text = open(log).read()
        assert "herald-home stopped" in text, text[-2000:]
        assert alice not in text and "alice@" not in text, "a JID in the info log"
        for ip in (prosody_ip, "127.0.0.1"):
            assert not re.search(r"(?<![\d.])%s(?![\d.])" % re.escape(ip), text.replace("listening on %s" % home_ip, "")), \
                "a peer address in the log: " + ip
        td.ok = True
        print("home_basics: check-config, s2s disco/ping from Prosody, client TLS and features, clean SIGTERM passed")
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
