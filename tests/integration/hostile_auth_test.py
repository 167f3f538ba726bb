"""Hostile input, authentication: SASL EXTERNAL and dialback (XEP-0220) abuse —
wrong order, wrong identities, bad encodings, forged and replayed dialback
keys, unauthenticated stanzas, the auth timeout. Each case asserts the exact
SASL failure, dialback answer or stream error, then a control peer on a fresh
connection publishes and apns-sim must receive the push.

Usage: hostile_auth_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import base64
import hashlib
import hmac
import time

import raw_s2s as r

SECRET = "hostile-test-dialback-secret"
AUTH_TIMEOUT = 3


def herald_key(receiving, originating, stream_id):
    """XEP-0185 key as Herald (the originating server) makes it."""
    k = hashlib.sha256(SECRET.encode()).hexdigest().encode()
    return hmac.new(k, ("%s %s %s" % (receiving, originating, stream_id)).encode(), hashlib.sha256).hexdigest()


def sasl_failure(expected, auth, tls=True, cert=None, key=None, frm=r.PEER):
    def case(env):
        if tls:
            s, _ = env.tls(frm=frm, cert=cert, key=key)
        else:
            s = env.opened()
        s.send(auth)
        el = s.expect("{%s}failure" % r.SASL_NS)
        conds = [c.tag.split("}")[1] for c in el]
        assert conds == [expected], conds
        # Still unauthenticated: a stanza now ends the stream.
        s.send(r.publish_xml(r.token(), "x", frm=frm))
        got = s.stream_error()
        assert got == "not-authorized", got
    return case


def auth(mech="EXTERNAL", text="="):
    return "<auth xmlns='%s' mechanism='%s'>%s</auth>" % (r.SASL_NS, mech, text)


def stream_error_after_tls(expected, payload, tls=True):
    def case(env):
        s = env.tls()[0] if tls else env.opened()
        s.send(payload)
        got = s.stream_error()
        assert got == expected, got
    return case


def db_verify(expected_type, key_for_id, sent_id, to=r.PUSH):
    """We (peer.test, the receiving server) ask Herald whether it made this key."""
    def case(env):
        s, _ = env.tls()
        key = herald_key(r.PEER, r.PUSH, key_for_id)
        s.send("<db:verify from='peer.test' to='%s' id='%s'>%s</db:verify>" % (to, sent_id, key))
        el = s.expect("{%s}verify" % r.DB_NS)
        assert el.get("type") == expected_type, r.describe(el)
        s.close()
    return case


def db_result_unreachable(env):
    """Dialback for a domain whose authoritative server cannot be reached: invalid, and stanzas
    from that domain are then refused."""
    s, _ = env.tls(frm="unreachable.test")
    s.send("<db:result from='unreachable.test' to='push.test'>%s</db:result>" % ("ab" * 32))
    el = s.expect("{%s}result" % r.DB_NS, timeout=20)
    assert el.get("type") == "invalid", r.describe(el)
    s.send(r.publish_xml(r.token(), "x", frm="unreachable.test"))
    got = s.stream_error()
    assert got == "not-authorized", got


def sasl_twice(env):
    s = env.authenticated()
    s.send(auth())
    el = s.expect("{%s}failure" % r.SASL_NS)
    assert [c.tag.split("}")[1] for c in el] == ["invalid-mechanism"], r.describe(el)
    s.close()


def no_client_certificate(env):
    s = env.opened()
    s.starttls(env.pki.ca)  # no client certificate
    s.send(r.header())
    s.wait_header()
    feats = s.expect("{%s}features" % r.STREAM_NS)
    assert "EXTERNAL" not in r.describe(feats), r.describe(feats)
    s.send(auth())
    el = s.expect("{%s}failure" % r.SASL_NS)
    assert [c.tag.split("}")[1] for c in el] == ["not-authorized"], r.describe(el)
    s.close()


def auth_timeout(env):
    s, _ = env.tls()
    t0 = time.monotonic()
    got = s.stream_error(timeout=AUTH_TIMEOUT + 10)
    assert got == "connection-timeout", got
    assert time.monotonic() - t0 < AUTH_TIMEOUT + 3


def b64(text):
    return base64.b64encode(text.encode()).decode()


CASES = [
    ("sasl-before-tls", "SASL failure encryption-required",
     sasl_failure("encryption-required", auth(), tls=False)),
    ("sasl-plain", "SASL failure invalid-mechanism", sasl_failure("invalid-mechanism", auth("PLAIN", b64("\0a\0b")))),
    ("sasl-bad-base64", "SASL failure incorrect-encoding", sasl_failure("incorrect-encoding", auth(text="!!!*"))),
    ("sasl-authzid-other-domain", "SASL failure not-authorized",
     sasl_failure("not-authorized", auth(text=b64("other.test")))),
    ("sasl-cert-for-other-domain", "SASL failure not-authorized",
     sasl_failure("not-authorized", auth(), cert=None, key=None, frm="third.test")),
    ("sasl-no-client-certificate", "no EXTERNAL offered; failure not-authorized", no_client_certificate),
    ("sasl-twice", "SASL failure invalid-mechanism", sasl_twice),
    ("dialback-before-tls", "stream error policy-violation",
     stream_error_after_tls("policy-violation", "<db:result from='peer.test' to='push.test'>abc</db:result>",
                            tls=False)),
    ("dialback-unknown-host", "stream error host-unknown",
     stream_error_after_tls("host-unknown", "<db:result from='peer.test' to='elsewhere.test'>abc</db:result>")),
    ("dialback-bad-from", "stream error improper-addressing",
     stream_error_after_tls("improper-addressing", "<db:result from='a@@b' to='push.test'>abc</db:result>")),
    ("dialback-verify-bad-from", "stream error improper-addressing",
     stream_error_after_tls("improper-addressing", "<db:verify to='push.test' id='x'>abc</db:verify>")),
    None,  # dialback-forged-key, below
    ("dialback-replayed-key", "db:verify type=invalid (key of another stream id)",
     db_verify("invalid", "stream-A", "stream-B")),
    ("dialback-key-for-other-domain", "db:verify type=invalid",
     db_verify("invalid", "stream-A", "stream-A", to="elsewhere.test")),
    ("dialback-empty-id", "db:verify type=invalid", db_verify("invalid", "", "")),
    ("dialback-unreachable-authority", "db:result type=invalid, then not-authorized", db_result_unreachable),
    ("auth-timeout", "stream error connection-timeout", auth_timeout),
]


def forged_key(env):
    s, _ = env.tls()
    s.send("<db:verify from='peer.test' to='push.test' id='s1'>%s</db:verify>" % ("0" * 64))
    el = s.expect("{%s}verify" % r.DB_NS)
    assert el.get("type") == "invalid", r.describe(el)
    # The same check with Herald's real key for that id says valid: the case can tell them apart.
    s.send("<db:verify from='peer.test' to='push.test' id='s1'>%s</db:verify>" % herald_key(r.PEER, r.PUSH, "s1"))
    el = s.expect("{%s}verify" % r.DB_NS)
    assert el.get("type") == "valid", r.describe(el)
    s.close()


CASES[11] = ("dialback-forged-key", "db:verify type=invalid (real key: valid)", forged_key)

if __name__ == "__main__":
    r.main("hostile_auth", CASES, routes={"unreachable.test": "127.0.0.1:1"},
           s2s_extra='auth_timeout = %d\ndialback_secret = "%s"' % (AUTH_TIMEOUT, SECRET))
