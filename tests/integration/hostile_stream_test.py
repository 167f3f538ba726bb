"""Hostile input, stream level: what a peer can send before or around stream
negotiation (restricted XML, limits, encodings, headers, TLS, slow and many
connections). Each case asserts Herald's exact reaction, then a control peer
on a fresh connection publishes and apns-sim must receive the push.

Usage: hostile_stream_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import socket
import time

import raw_s2s as r

AUTH_TIMEOUT = 3
PER_IP = 16


def error_after_header(payload, expected):
    """Opens a stream, then sends `payload`; Herald must answer the stream error `expected`."""
    def case(env):
        s = env.opened()
        s.send(payload)
        got = s.stream_error()
        assert got == expected, "stream error %s, expected %s" % (got, expected)
    return case


def error_as_first_bytes(payload, expected):
    def case(env):
        s = env.connect()
        s.send(payload)
        got = s.stream_error()
        assert got == expected, "stream error %s, expected %s" % (got, expected)
    return case


def error_after_tls(payload, expected):
    def case(env):
        s, _ = env.tls()
        s.send(payload)
        got = s.stream_error()
        assert got == expected, "stream error %s, expected %s" % (got, expected)
    return case


def nested(depth):
    return "<a xmlns='urn:x'>" * depth + "</a>" * depth


def tls_garbage(env):
    s = env.opened()
    s.send("<starttls xmlns='%s'/>" % r.TLS_NS)
    s.expect("{%s}proceed" % r.TLS_NS)
    s.send(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n" + b"\x00" * 512)
    s.wait_closed()


def tls_truncated_handshake(env):
    """A ClientHello header that promises more than is ever sent: the auth timeout ends it; the
    socket goes after the 10 s close limit (a stream error cannot be written mid-handshake)."""
    s = env.opened()
    s.send("<starttls xmlns='%s'/>" % r.TLS_NS)
    s.expect("{%s}proceed" % r.TLS_NS)
    s.send(b"\x16\x03\x01\x02\x00\x01")
    t0 = time.monotonic()
    s.wait_closed(timeout=AUTH_TIMEOUT + 20)
    elapsed = time.monotonic() - t0
    assert AUTH_TIMEOUT < elapsed < AUTH_TIMEOUT + 10 + 5, "closed after %.1f s" % elapsed


def slowloris(env):
    """Trickles the stream header one byte a second: the auth timeout must still close it."""
    s = env.connect()
    data = r.header().encode()
    t0 = time.monotonic()
    got = None
    for b in data:
        try:
            s.send(bytes([b]))
        except OSError:
            break
        s.sock.settimeout(0.5)
        try:
            chunk = s.sock.recv(4096)
            if not chunk:
                break
            s._feed(chunk)
        except socket.timeout:
            pass
        if any(not isinstance(e, str) and e.tag.endswith("}error") for e in s.queue):
            break
        if time.monotonic() - t0 > AUTH_TIMEOUT + 10:
            raise AssertionError("still open after %d s" % (AUTH_TIMEOUT + 10))
    s.sock.settimeout(10)
    got = s.stream_error()
    elapsed = time.monotonic() - t0
    assert got == "connection-timeout", got
    assert AUTH_TIMEOUT - 0.5 < elapsed < AUTH_TIMEOUT + 5, "closed after %.1f s" % elapsed


def slowloris_after_tls(env):
    s, _ = env.tls()
    t0 = time.monotonic()
    for b in b"<iq type='get' to='push.test' from='peer.test' id='x'>":
        try:
            s.send(bytes([b]))
        except OSError:
            break
        time.sleep(0.3)
        if time.monotonic() - t0 > AUTH_TIMEOUT + 3:
            break
    got = s.stream_error()
    assert got == "connection-timeout", got


def many_connections(env):
    """1000 connections from one address: beyond the per-address limit each is refused with
    policy-violation; a peer from another address is served meanwhile (the control)."""
    src = harness_ip()
    socks, refused, open_ = [], 0, 0
    try:
        for _ in range(1000):
            c = socket.socket()
            c.bind((src, 0))
            c.settimeout(5)
            c.connect((env.ip, 5269))
            socks.append(c)
        import selectors
        sel = selectors.DefaultSelector()
        data = {}
        for c in socks:
            c.setblocking(False)
            sel.register(c, selectors.EVENT_READ)
            data[c] = b""
        closed = set()
        end = time.monotonic() + 20
        while len(closed) < 1000 - PER_IP and time.monotonic() < end:
            for key, _ in sel.select(timeout=0.5):
                try:
                    chunk = key.fileobj.recv(4096)
                except OSError:
                    chunk = b""
                if chunk:
                    data[key.fileobj] += chunk
                else:
                    closed.add(key.fileobj)
                    sel.unregister(key.fileobj)
        refused = sum(1 for c in closed if b"policy-violation" in data[c])
        open_ = sum(1 for c in socks if c not in closed)
        assert open_ == PER_IP, "%d connections stayed open, expected %d" % (open_, PER_IP)
        assert refused == 1000 - PER_IP, "%d refused with policy-violation" % refused
        env.control(src=harness_ip())
    finally:
        for c in socks:
            c.close()


def harness_ip():
    import random
    return "127.%d.%d.%d" % (random.randint(1, 254), random.randint(0, 255), random.randint(2, 254))


def close_at_once(env):
    s = env.opened()
    s.send("</stream:stream>")
    el = s.next()
    assert el == "</stream>", r.describe(el)
    s.wait_closed()


def restart_mid_stanza(env):
    s = env.opened()
    s.send("<iq type='get' id='1'>" + r.header())
    got = s.stream_error()
    assert got == "not-well-formed", got  # an XML declaration inside the document


BILLION_LAUGHS = ("<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
                  "<!ENTITY lol2 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
                  "<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>]>")

CASES = [
    ("dtd-before-header", "stream error restricted-xml",
     error_as_first_bytes("<?xml version='1.0'?><!DOCTYPE stream:stream>" + r.header()[21:], "restricted-xml")),
    ("billion-laughs", "stream error restricted-xml",
     error_as_first_bytes(BILLION_LAUGHS + r.header()[21:] + "<x>&lol3;</x>", "restricted-xml")),
    ("external-entity", "stream error restricted-xml",
     error_as_first_bytes("<?xml version='1.0'?><!DOCTYPE s [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>"
                          + r.header()[21:], "restricted-xml")),
    ("undefined-entity-reference", "stream error restricted-xml",
     error_after_header("<x xmlns='urn:x'>&xxe;</x>", "restricted-xml")),
    ("processing-instruction", "stream error restricted-xml",
     error_after_header("<?evil data?>", "restricted-xml")),
    ("comment", "stream error restricted-xml", error_after_header("<!-- hi -->", "restricted-xml")),
    ("oversized-stanza", "stream error policy-violation",
     error_after_header("<x xmlns='urn:x'>" + "a" * 100000 + "</x>", "policy-violation")),
    ("oversized-attribute", "stream error policy-violation",
     error_after_header("<x xmlns='urn:x' a='" + "b" * 100000 + "'/>", "policy-violation")),
    ("endless-stanza", "stream error policy-violation",
     error_after_header("<x xmlns='urn:x'>" + "<y>z</y>" * 20000, "policy-violation")),
    ("oversized-header", "stream error policy-violation",
     error_as_first_bytes(r.header(extra=" x='" + "a" * 100000 + "'"), "policy-violation")),
    ("deep-nesting", "stream error policy-violation", error_after_header(nested(200), "policy-violation")),
    ("invalid-utf8", "stream error not-well-formed",
     error_after_header(b"<x xmlns='urn:x'>\xff\xfe</x>", "not-well-formed")),
    ("overlong-utf8", "stream error not-well-formed",
     error_after_header(b"<x xmlns='urn:x'>\xc0\xaf</x>", "not-well-formed")),
    ("utf8-surrogate", "stream error not-well-formed",
     error_after_header(b"<x xmlns='urn:x'>\xed\xa0\x80</x>", "not-well-formed")),
    ("invalid-utf8-in-header", "stream error not-well-formed",
     error_as_first_bytes(r.header(frm="p\xff.test").encode("latin-1"), "not-well-formed")),
    ("nul-byte", "stream error not-well-formed", error_after_header(b"<x xmlns='urn:x'>\x00</x>", "not-well-formed")),
    ("declared-utf16", "stream error unsupported-encoding",
     error_as_first_bytes("<?xml version='1.0' encoding='UTF-16'?>" + r.header()[21:], "unsupported-encoding")),
    ("http-request-on-s2s", "stream error not-well-formed",
     error_as_first_bytes("GET / HTTP/1.1\r\nHost: push.test\r\n\r\n", "not-well-formed")),
    ("mismatched-end-tag", "stream error not-well-formed",
     error_after_header("<a xmlns='urn:x'></b>", "not-well-formed")),
    ("undeclared-prefix", "stream error not-well-formed", error_after_header("<foo:bar/>", "not-well-formed")),
    ("wrong-stream-namespace", "stream error invalid-namespace",
     error_as_first_bytes(r.header().replace(r.STREAM_NS, "urn:not:streams"), "invalid-namespace")),
    ("client-namespace", "stream error invalid-namespace",
     error_as_first_bytes(r.header(ns="jabber:client"), "invalid-namespace")),
    ("unknown-host", "stream error host-unknown", error_as_first_bytes(r.header(to="elsewhere.test"), "host-unknown")),
    ("header-without-to", "stream error host-unknown",
     error_as_first_bytes(r.header().replace("to='push.test' ", ""), "host-unknown")),
    ("stanza-before-tls", "stream error not-authorized",
     error_after_header("<iq type='get' from='peer.test' to='push.test' id='1'><ping xmlns='urn:xmpp:ping'/></iq>",
                        "not-authorized")),
    ("stanza-after-tls-before-auth", "stream error not-authorized",
     error_after_tls("<iq type='get' from='peer.test' to='push.test' id='1'><ping xmlns='urn:xmpp:ping'/></iq>",
                     "not-authorized")),
    ("unknown-namespace-element", "stream error unsupported-stanza-type",
     error_after_header("<frobnicate xmlns='urn:example:unknown'/>", "unsupported-stanza-type")),
    ("starttls-twice", "stream error policy-violation",
     error_after_tls("<starttls xmlns='%s'/>" % r.TLS_NS, "policy-violation")),
    ("bidi-before-tls", "stream error policy-violation",
     error_after_header("<bidi xmlns='urn:xmpp:bidi'/>", "policy-violation")),
    ("stream-restart-mid-stanza", "stream error not-well-formed", restart_mid_stanza),
    ("close-at-once", "</stream:stream>, then closed", close_at_once),
    ("tls-garbage-after-proceed", "connection closed", tls_garbage),
    ("tls-truncated-handshake", "closed: auth timeout + 10 s close limit", tls_truncated_handshake),
    ("slowloris-header", "stream error connection-timeout (auth_timeout)", slowloris),
    ("slowloris-after-tls", "stream error connection-timeout (auth_timeout)", slowloris_after_tls),
    ("1000-connections-one-address", "%d kept, the rest policy-violation" % PER_IP, many_connections),
]

if __name__ == "__main__":
    r.main("hostile_stream", CASES,
           s2s_extra="auth_timeout = %d\nmax_connections_per_ip = %d" % (AUTH_TIMEOUT, PER_IP))
