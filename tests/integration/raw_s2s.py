"""A raw s2s peer for the hostile-input and fault tests: plain sockets and the
`ssl` module, so a test can send any bytes at any point of the stream.

RawStream speaks just enough of RFC 6120 to reach each state (header,
STARTTLS, SASL EXTERNAL with a client certificate, XEP-0288 bidi so that
Herald's replies come back over the same stream) and reads what Herald sends
with an incremental ElementTree parser. HostileEnv starts apns-sim and one
Herald for a table of cases and runs each with a control publish afterwards
through a fresh connection: the case passes only if Herald still serves a
well-behaved peer and apns-sim receives that push.
"""
import os
import secrets
import socket
import ssl
import sys
import time
import traceback
import xml.etree.ElementTree as ET

import harness

STREAM_NS = "http://etherx.jabber.org/streams"
STREAMS_ERR_NS = "urn:ietf:params:xml:ns:xmpp-streams"
STANZA_ERR_NS = "urn:ietf:params:xml:ns:xmpp-stanzas"
TLS_NS = "urn:ietf:params:xml:ns:xmpp-tls"
SASL_NS = "urn:ietf:params:xml:ns:xmpp-sasl"
DB_NS = "jabber:server:dialback"
TOPIC = "org.example.herald"
MODULE = "example-ios"
PUSH = "push.test"
PEER = "peer.test"


def header(to=PUSH, frm=PEER, ns="jabber:server", version="1.0", extra=""):
    return ("<?xml version='1.0'?><stream:stream xmlns='%s' xmlns:stream='%s' xmlns:db='%s' "
            "to='%s' from='%s' version='%s'%s>" % (ns, STREAM_NS, DB_NS, to, frm, version, extra))


def field(var, value):
    return "<field var='%s'><value>%s</value></field>" % (var, value)


def publish_xml(token, iq_id, module=MODULE, frm=PEER, to=PUSH, extra_options="", summary=None):
    summary = summary if summary is not None else (
        "<x xmlns='jabber:x:data' type='form'>%s%s</x>" % (
            "<field var='FORM_TYPE' type='hidden'><value>urn:xmpp:push:summary</value></field>",
            field("message-count", "1")))
    options = field("FORM_TYPE", "http://jabber.org/protocol/pubsub#publish-options")
    if module is not None:
        options += field("pushModule", module)
    return ("<iq type='set' from='%s' to='%s' id='%s'><pubsub xmlns='http://jabber.org/protocol/pubsub'>"
            "<publish node='%s'><item><notification xmlns='urn:xmpp:push:0'>%s</notification></item></publish>"
            "<publish-options><x xmlns='jabber:x:data' type='submit'>%s%s</x></publish-options>"
            "</pubsub></iq>" % (frm, to, iq_id, token, summary, options, extra_options))


class Closed(Exception):
    pass


class RawStream:
    def __init__(self, ip, port=5269, src=None, timeout=10):
        self.sock = socket.socket()
        if src:
            self.sock.bind((src, 0))
        self.sock.settimeout(timeout)
        self.sock.connect((ip, port))
        self.timeout = timeout
        self.closed = False
        self.skipped = []
        self.new_parser()

    def new_parser(self):
        self.parser = ET.XMLPullParser(events=("start", "end"))
        self.depth = 0
        self.header = None
        self.queue = []

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def _feed(self, data):
        self.parser.feed(data)
        for event, el in self.parser.read_events():
            if event == "start":
                self.depth += 1
                if self.depth == 1:
                    self.header = el
            else:
                self.depth -= 1
                if self.depth == 1:
                    self.queue.append(el)
                elif self.depth == 0:
                    self.queue.append("</stream>")

    def next(self, timeout=None, use_skipped=True):
        """The next top-level element (or '</stream>'); raises Closed when the socket ends first."""
        if use_skipped and self.skipped:
            return self.skipped.pop(0)
        end = time.monotonic() + (timeout or self.timeout)
        while not self.queue:
            if self.closed:
                raise Closed()
            left = end - time.monotonic()
            if left <= 0:
                raise TimeoutError("no element from Herald in time")
            self.sock.settimeout(left)
            try:
                data = self.sock.recv(65536)
            except (ConnectionResetError, ssl.SSLError, BrokenPipeError):
                data = b""
            except socket.timeout:
                continue
            if not data:
                self.closed = True
                continue
            self._feed(data)
        return self.queue.pop(0)

    def expect(self, tag, timeout=None):
        el = self.next(timeout)
        if isinstance(el, str) or el.tag != tag:
            raise AssertionError("expected %s, got %s" % (tag, describe(el)))
        return el

    def wait_header(self, timeout=None):
        end = time.monotonic() + (timeout or self.timeout)
        while self.header is None:
            if self.closed or time.monotonic() > end:
                raise AssertionError("no stream header from Herald")
            try:
                data = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not data:
                self.closed = True
            else:
                self._feed(data)
        return self.header

    def stream_error(self, timeout=None):
        """Reads until a stream error; returns its condition and checks that the stream then ends."""
        while True:
            try:
                el = self.next(timeout)
            except Closed:
                raise AssertionError("stream closed without a stream error")
            if isinstance(el, str):
                raise AssertionError("stream closed (</stream:stream>) without a stream error")
            if el.tag == "{%s}error" % STREAM_NS:
                conds = [c.tag.split("}")[1] for c in el if c.tag.startswith("{%s}" % STREAMS_ERR_NS)
                         and not c.tag.endswith("}text")]
                self.wait_closed(timeout)
                return conds[0] if conds else None

    def wait_closed(self, timeout=None):
        end = time.monotonic() + (timeout or self.timeout)
        while not self.closed and time.monotonic() < end:
            try:
                self.next(max(0.05, end - time.monotonic()))
            except (Closed, TimeoutError):
                pass
        if not self.closed:
            raise AssertionError("Herald did not close the connection")

    def iq_reply(self, iq_id, timeout=None):
        """The reply to `iq_id`; other elements read meanwhile are kept for later next() calls."""
        for i, el in enumerate(self.skipped):
            if not isinstance(el, str) and el.get("id") == iq_id:
                return self.skipped.pop(i)
        while True:
            el = self.next(timeout, use_skipped=False)
            if isinstance(el, str):
                raise AssertionError("stream ended before the reply to %s" % iq_id)
            if el.tag == "{jabber:server}iq" and el.get("id") == iq_id:
                return el
            self.skipped.append(el)

    def starttls(self, ca, cert=None, key=None, server_hostname=PUSH):
        self.send("<starttls xmlns='%s'/>" % TLS_NS)
        self.expect("{%s}proceed" % TLS_NS)
        ctx = ssl.create_default_context(cafile=ca)
        if cert:
            ctx.load_cert_chain(cert, key)
        self.sock = ctx.wrap_socket(self.sock, server_hostname=server_hostname)
        self.new_parser()

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def describe(el):
    if isinstance(el, str):
        return el
    return ET.tostring(el, encoding="unicode")[:300]


def iq_error(reply):
    """(type, condition) of an IQ error reply, or ('result', None)."""
    if reply.get("type") == "result":
        return ("result", None)
    err = reply.find("{jabber:server}error")
    assert err is not None, describe(reply)
    conds = [c.tag.split("}")[1] for c in err if c.tag.startswith("{%s}" % STANZA_ERR_NS)
             and not c.tag.endswith("}text")]
    return (err.get("type"), conds[0] if conds else None)


def token():
    return secrets.token_hex(32)


class HostileEnv:
    """apns-sim + one Herald (push.test) + a PKI with a certificate for peer.test (SASL EXTERNAL)."""

    def __init__(self, name, argv, s2s_extra="", extra="", routes=None, sim_args=(), more_modules=(),
                 log_dir=None, td=None):
        self.td = td or harness.TestDir(name)
        self.procs = harness.Procs()
        self.pki = harness.Pki(self.td.sub("pki"))
        self.peer_cert, self.peer_key = self.pki.issue(PEER)
        self.other_cert, self.other_key = self.pki.issue("other.test")
        self.sim = harness.ApnsSim(self.procs, argv[2], self.td.sub("apns-sim"), self.pki, [TOPIC],
                                   extra_args=["--no-token-update-limit"] + list(sim_args))
        self.ip = harness.free_loopback_ip(ports=(5269,))
        self.herald_binary = argv[1]
        self.module = {"name": MODULE, "topic": TOPIC, "endpoint": "127.0.0.1:%d" % self.sim.port,
                       "ca_file": self.pki.ca, "team_id": self.sim.team_id, "key_id": self.sim.key_id,
                       "key_file": self.sim.p8}
        modules = [self.module] + [m(self) for m in more_modules]
        herald_dir = self.td.sub("herald")
        if log_dir:  # Herald's log file then lives in log_dir (e.g. a tiny tmpfs)
            os.symlink(os.path.join(log_dir, "herald.log"), os.path.join(herald_dir, "herald.log"))
        self.herald = harness.Herald(self.procs, argv[1], herald_dir, PUSH, self.ip, self.pki,
                                     routes=routes or {}, modules=modules, s2s_extra=s2s_extra, extra=extra)

    def connect(self, src=None, timeout=10):
        return RawStream(self.ip, src=src, timeout=timeout)

    def opened(self, src=None, frm=PEER):
        """A stream after the header exchange (features read)."""
        s = self.connect(src)
        s.send(header(frm=frm))
        s.wait_header()
        s.expect("{%s}features" % STREAM_NS)
        return s

    def tls(self, src=None, frm=PEER, cert=None, key=None):
        s = self.opened(src, frm)
        s.starttls(self.pki.ca, cert or self.peer_cert, key or self.peer_key)
        s.send(header(frm=frm))
        s.wait_header()
        return s, s.expect("{%s}features" % STREAM_NS)

    def authenticated(self, src=None, frm=PEER, bidi=True):
        """TLS + SASL EXTERNAL as peer.test, with bidi so replies come back on this stream."""
        s, feats = self.tls(src, frm)
        assert "EXTERNAL" in ET.tostring(feats, encoding="unicode"), describe(feats)
        if bidi:
            s.send("<bidi xmlns='urn:xmpp:bidi'/>")
        s.send("<auth xmlns='%s' mechanism='EXTERNAL'>=</auth>" % SASL_NS)
        s.expect("{%s}success" % SASL_NS)
        s.new_parser()
        s.send(header(frm=frm))
        s.wait_header()
        s.expect("{%s}features" % STREAM_NS)
        return s

    def publish(self, s, tok=None, **kw):
        tok = token() if tok is None else tok
        iq_id = secrets.token_hex(6)
        s.send(publish_xml(tok, iq_id, **kw))
        return s.iq_reply(iq_id, timeout=20)

    def control(self, src=None):
        """A well-behaved peer on a fresh connection: its publish gets a result and reaches apns-sim."""
        s = self.authenticated(src)
        try:
            tok = token()
            reply = self.publish(s, tok)
            assert iq_error(reply) == ("result", None), "control publish: " + describe(reply)
            harness.wait_for(lambda: [r for r in self.sim.requests() if r["token"] == tok], 10,
                             "apns-sim to receive the control push")
        finally:
            s.close()

    def alive(self):
        return self.herald.proc.poll() is None

    def close(self, ok):
        self.procs.stop_all()
        self.td.ok = ok
        self.td.close()


def run_cases(title, env, cases):
    """Runs each (name, expected, fn) case, then the control publish. Prints one line per case and a
    count; returns whether all passed."""
    passed = 0
    for name, expected, fn in cases:
        t0 = time.monotonic()
        try:
            fn(env)
            assert env.alive(), "Herald exited"
            env.control()
            passed += 1
            print("PASS %-40s %-45s %.1f s" % (name, expected, time.monotonic() - t0), flush=True)
        except Exception as e:  # noqa: BLE001 - every failure is reported per case
            print("FAIL %-40s %-45s %s" % (name, expected, e), flush=True)
            traceback.print_exc(file=sys.stdout)
            if not env.alive():
                break
    print("%s: %d/%d cases passed" % (title, passed, len(cases)), flush=True)
    return passed == len(cases)


def main(title, cases, **env_kw):
    import signal
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(title + ": terminated"))
    env = HostileEnv(title, sys.argv, **env_kw)
    ok = False
    try:
        ok = run_cases(title, env, cases)
    finally:
        env.close(ok)
    sys.exit(0 if ok else 1)
