"""Hostile input, stanza level: what an authenticated peer (SASL EXTERNAL as
peer.test) can send — spoofed or malformed addresses, publishes with bad
tokens, unknown modules, huge forms, floods. Each case asserts the exact IQ
error (type + condition) or stream error, then a control peer on a fresh
connection publishes and apns-sim must receive the push.

Usage: hostile_publish_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import secrets
import time

import raw_s2s as r

DOMAIN_BURST = 20


def iq_case(expected, send=None, **publish_kw):
    """Publishes (or sends `send(iq_id)`) on an authenticated stream and checks the IQ reply."""
    def case(env):
        s = env.authenticated()
        if send:
            iq_id = secrets.token_hex(6)
            s.send(send(iq_id))
            reply = s.iq_reply(iq_id)
        else:
            reply = env.publish(s, **publish_kw)
        got = r.iq_error(reply)
        assert got == expected, "got %s, expected %s: %s" % (got, expected, r.describe(reply))
        assert not env.sim.requests() or all(q["token"] != publish_kw.get("tok") for q in env.sim.requests())
        s.close()
    return case


def stream_case(expected, payload):
    def case(env):
        s = env.authenticated()
        s.send(payload)
        got = s.stream_error()
        assert got == expected, "stream error %s, expected %s" % (got, expected)
    return case


def no_reply(payload):
    """Herald must not answer (an IQ result/error or a message); a ping afterwards still is answered."""
    def case(env):
        s = env.authenticated()
        s.send(payload)
        s.send("<iq type='get' from='peer.test' to='push.test' id='after'><ping xmlns='urn:xmpp:ping'/></iq>")
        el = s.next()
        assert el.get("id") == "after" and el.get("type") == "result", r.describe(el)
        s.close()
    return case


def huge_form(n):
    return "<x xmlns='jabber:x:data' type='form'>" + "".join(
        r.field("f%d" % i, "v" * 20) for i in range(n)) + "</x>"


def flood(env):
    """A domain over its request burst gets wait/resource-constraint; others (the control) are served."""
    s, feats = env.tls(frm="other.test", cert=env.other_cert, key=env.other_key)
    s.send("<bidi xmlns='urn:xmpp:bidi'/>")
    s.send("<auth xmlns='%s' mechanism='EXTERNAL'>=</auth>" % r.SASL_NS)
    s.expect("{%s}success" % r.SASL_NS)
    s.new_parser()
    s.send(r.header(frm="other.test"))
    s.wait_header()
    s.expect("{%s}features" % r.STREAM_NS)
    n = DOMAIN_BURST * 10
    s.send("".join("<iq type='get' from='other.test' to='push.test' id='p%d'><ping xmlns='urn:xmpp:ping'/></iq>" % i
                   for i in range(n)))
    replies = {}
    while len(replies) < n:
        el = s.next()
        replies[el.get("id")] = r.iq_error(el)
    limited = sum(1 for v in replies.values() if v == ("wait", "resource-constraint"))
    ok = sum(1 for v in replies.values() if v == ("result", None))
    assert limited >= n - DOMAIN_BURST - 40 and ok + limited == n, "ok %d, limited %d" % (ok, limited)
    s.close()


def bad_to_domain(env):
    s = env.authenticated()
    s.send("<iq type='get' from='peer.test' to='elsewhere.test' id='1'><ping xmlns='urn:xmpp:ping'/></iq>")
    got = s.stream_error()
    assert got == "host-unknown", got


def one_answer_per_id(env):
    """The same IQ id published twice: two answers, each once (no duplicates, nothing lost)."""
    s = env.authenticated()
    tok = r.token()
    s.send(r.publish_xml(tok, "dup") + r.publish_xml(r.token(), "dup"))
    a, b = s.iq_reply("dup"), s.iq_reply("dup")
    assert r.iq_error(a)[0] == "result" and r.iq_error(b)[0] == "result", (r.describe(a), r.describe(b))
    try:
        extra = s.next(timeout=1)
        raise AssertionError("a third answer: " + r.describe(extra))
    except TimeoutError:
        pass
    s.close()


PING = "<iq type='get' from='%s' to='push.test' id='1'><ping xmlns='urn:xmpp:ping'/></iq>"

CASES = [
    ("spoofed-from-domain", "stream error invalid-from", stream_case("invalid-from", PING % "victim.test")),
    ("spoofed-from-subdomain", "stream error invalid-from", stream_case("invalid-from", PING % "a.peer.test")),
    ("missing-from", "stream error invalid-from",
     stream_case("invalid-from", "<iq type='get' to='push.test' id='1'><ping xmlns='urn:xmpp:ping'/></iq>")),
    ("bad-from-jid", "stream error invalid-from", stream_case("invalid-from", PING % "a@b@peer.test")),
    ("from-jid-overlong-localpart", "stream error invalid-from",
     stream_case("invalid-from", PING % ("x" * 2000 + "@peer.test"))),
    ("to-other-domain", "stream error host-unknown", bad_to_domain),
    ("bad-to-jid", "stream error host-unknown",
     stream_case("host-unknown", "<iq type='get' from='peer.test' to='@@' id='1'><ping xmlns='urn:xmpp:ping'/></iq>")),
    ("invalid-utf8-after-auth", "stream error not-well-formed",
     stream_case("not-well-formed", b"<message from='peer.test' to='push.test'><body>\xff</body></message>")),
    ("oversized-publish", "stream error policy-violation",
     stream_case("policy-violation", r.publish_xml(r.token(), "big", summary=huge_form(3000)))),
    ("huge-form-under-limit", "result (extra fields ignored)", iq_case(("result", None), summary=huge_form(600))),
    ("empty-token", "modify bad-request", iq_case(("modify", "bad-request"), tok="")),
    ("oversized-token", "modify bad-request", iq_case(("modify", "bad-request"), tok="ab" * 200)),
    ("non-hex-token", "modify bad-request", iq_case(("modify", "bad-request"), tok="z" * 64)),
    ("odd-length-token", "modify bad-request", iq_case(("modify", "bad-request"), tok="a" * 63)),
    ("token-with-spaces", "modify bad-request", iq_case(("modify", "bad-request"), tok="ab " * 30)),
    ("unknown-push-module", "wait internal-server-error",
     iq_case(("wait", "internal-server-error"), module="no-such-module")),
    ("no-module-no-default", "wait internal-server-error", iq_case(("wait", "internal-server-error"), module=None)),
    ("v1-publish-secret-only", "cancel item-not-found",
     iq_case(("cancel", "item-not-found"), module=None, extra_options=r.field("secret", "s3cr3t"))),
    ("publish-without-node", "modify bad-request",
     iq_case(("modify", "bad-request"), send=lambda i: r.publish_xml(r.token(), i).replace(
         "<publish node='", "<publish x='"))),
    ("iq-set-unknown-namespace", "cancel service-unavailable",
     iq_case(("cancel", "service-unavailable"),
             send=lambda i: "<iq type='set' from='peer.test' to='push.test' id='%s'><q xmlns='urn:x:y'/></iq>" % i)),
    ("iq-get-unknown-namespace", "cancel service-unavailable",
     iq_case(("cancel", "service-unavailable"),
             send=lambda i: "<iq type='get' from='peer.test' to='push.test' id='%s'><q xmlns='urn:x:y'/></iq>" % i)),
    ("iq-bad-type", "modify bad-request",
     iq_case(("modify", "bad-request"),
             send=lambda i: "<iq type='bogus' from='peer.test' to='push.test' id='%s'><ping xmlns='urn:xmpp:ping'/></iq>" % i)),
    ("iq-error-to-herald", "no answer", no_reply(
        "<iq type='error' from='peer.test' to='push.test' id='e'><error type='cancel'/></iq>")),
    ("iq-result-to-herald", "no answer", no_reply("<iq type='result' from='peer.test' to='push.test' id='r'/>")),
    ("message-to-herald", "no answer", no_reply(
        "<message from='peer.test' to='push.test'><body>hi</body></message>")),
    ("same-iq-id-twice", "two results, no third", one_answer_per_id),
    ("domain-request-flood", "wait resource-constraint beyond the burst", flood),
]

if __name__ == "__main__":
    r.main("hostile_publish", CASES,
           s2s_extra="domain_request_rate = 20\ndomain_request_burst = %d" % DOMAIN_BURST)
