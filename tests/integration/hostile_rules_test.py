"""RFC 6120's rules on what a peer sends, with raw sockets (SASL EXTERNAL as
peer.test, bidi so replies come back on the same stream): an IQ without an id
is never answered and ends the stream with invalid-xml; an IQ get or set with
no payload or two is refused with bad-request; a stream header without a
version gets an answer without one and, TLS being required, unsupported-
version; a malformed version is unsupported; 'to' is compared after JID
normalisation (PUSH.test, push.test. are the push domain). Every stream error
Herald sends is logged at info with its condition, and the line names no
address. Each case ends with a control publish on a fresh connection.

Usage: hostile_rules_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import secrets

import raw_s2s as r

DISCO = "http://jabber.org/protocol/disco#info"


def logged_stream_error(env, condition):
    line = "stream error %s sent" % condition
    env.herald.await_log(line)
    for l in env.herald.settled_log_text().splitlines():
        if line in l:
            assert " info " in l, "not at info: " + l
            assert env.ip not in l and "127." not in l, "an address in the log: " + l
            assert "@" not in l, "a JID in the log: " + l


def iq_without_id(env):
    s = env.authenticated()
    s.send("<iq type='get' from='peer.test' to='push.test'><ping xmlns='urn:xmpp:ping'/></iq>")
    got = s.stream_error()
    assert got == "invalid-xml", got
    logged_stream_error(env, "invalid-xml")


def iq_with_empty_id(env):
    s = env.authenticated()
    s.send("<iq type='get' id='' from='peer.test' to='push.test'><ping xmlns='urn:xmpp:ping'/></iq>")
    assert s.stream_error() == "invalid-xml"


def bad_request(payload):
    def case(env):
        s = env.authenticated()
        iq_id = secrets.token_hex(6)
        s.send("<iq type='get' from='peer.test' to='push.test' id='%s'>%s</iq>" % (iq_id, payload))
        reply = s.iq_reply(iq_id)
        assert r.iq_error(reply) == ("modify", "bad-request"), r.describe(reply)
        # The stream stays up: a ping on it is answered.
        s.send("<iq type='get' from='peer.test' to='push.test' id='after'><ping xmlns='urn:xmpp:ping'/></iq>")
        assert r.iq_error(s.iq_reply("after")) == ("result", None)
        s.close()
    return case


def set_without_payload(env):
    s = env.authenticated()
    s.send("<iq type='set' from='peer.test' to='push.test' id='empty'/>")
    reply = s.iq_reply("empty")
    assert r.iq_error(reply) == ("modify", "bad-request"), r.describe(reply)
    s.close()


def header_without_version(env):
    s = env.connect()
    s.send(r.header().replace(" version='1.0'>", ">"))
    h = s.wait_header()
    assert h.get("version") is None, "RFC 6120 4.7.5: no version in the answer: %s" % h.attrib
    got = s.stream_error()
    assert got == "unsupported-version", got
    logged_stream_error(env, "unsupported-version")


def malformed_version(env):
    s = env.connect()
    s.send(r.header(version="1.x"))
    s.wait_header()
    assert s.stream_error() == "unsupported-version"


def newer_version(env):
    """version='1.1': answered as 1.0 (the lower of the two), negotiation goes on."""
    s = env.connect()
    s.send(r.header(version="1.1"))
    h = s.wait_header()
    assert h.get("version") == "1.0", h.attrib
    s.expect("{%s}features" % r.STREAM_NS)
    s.close()


def disco_to(to):
    def case(env):
        s = env.authenticated()
        s.send("<iq type='get' from='peer.test' to='%s' id='d'><query xmlns='%s'/></iq>" % (to, DISCO))
        reply = s.iq_reply("d")
        assert r.iq_error(reply) == ("result", None), r.describe(reply)
        identity = reply.find("{%s}query/{%s}identity" % (DISCO, DISCO))
        assert identity is not None and identity.get("type") == "push", r.describe(reply)
        s.close()
    return case


def publish_to_uppercase(env):
    s = env.authenticated()
    tok = r.token()
    reply = env.publish(s, tok, to="PUSH.test")
    assert r.iq_error(reply) == ("result", None), r.describe(reply)
    s.close()


CASES = [
    ("iq-without-id", "stream error invalid-xml, logged", iq_without_id),
    ("iq-with-empty-id", "stream error invalid-xml", iq_with_empty_id),
    ("iq-get-two-payloads", "modify bad-request, stream stays",
     bad_request("<ping xmlns='urn:xmpp:ping'/><query xmlns='%s'/>" % DISCO)),
    ("iq-get-no-payload", "modify bad-request, stream stays", bad_request("")),
    ("iq-set-no-payload", "modify bad-request", set_without_payload),
    ("header-without-version", "no version back, unsupported-version", header_without_version),
    ("header-malformed-version", "stream error unsupported-version", malformed_version),
    ("header-version-1.1", "answered as 1.0", newer_version),
    ("disco-to-uppercase-domain", "result, pubsub/push", disco_to("PUSH.test")),
    ("disco-to-trailing-dot", "result, pubsub/push", disco_to("push.test.")),
    ("publish-to-uppercase-domain", "result", publish_to_uppercase),
]

if __name__ == "__main__":
    r.main("hostile_rules", CASES)
