"""Hostile input, HTTP: Herald's HTTP endpoints (the TURN credential API) fed
oversized, malformed and slow requests over raw sockets. Each case asserts the
exact HTTP status (and `error` code where the API gives one); afterwards a
well-formed challenge request must get 200 and a control peer's publish must
reach apns-sim.

Usage: hostile_http_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import json
import select
import socket
import time

import raw_s2s as r

PORT = 8080
READ_TIMEOUT = 10  # http::ServerOptions::read_timeout


def exchange(env, data, timeout=20, trickle=None):
    s = socket.create_connection((env.ip, PORT), timeout=timeout)
    try:
        if trickle:
            for b in data:
                try:
                    s.sendall(bytes([b]))
                except OSError:
                    break
                if select.select([s], [], [], trickle)[0]:
                    break  # Herald answered
                if time.monotonic() - trickle_start[0] > READ_TIMEOUT + 5:
                    break
        else:
            s.sendall(data if isinstance(data, bytes) else data.encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        head, _, body = buf.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v)
        while len(body) < length:
            chunk = s.recv(65536)
            if not chunk:
                break
            body += chunk
        assert head.startswith(b"HTTP/1.1 "), "no HTTP response: %r" % buf[:100]
        return int(head.split()[1]), body
    finally:
        s.close()


trickle_start = [0.0]


def post(path, body, extra=""):
    body = body if isinstance(body, bytes) else body.encode()
    return (("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n"
             % (path, len(body), extra)).encode() + body)


def status_case(expected, data, error=None):
    def case(env):
        status, body = exchange(env, data)
        assert status == expected, "status %d, expected %d: %r" % (status, expected, body[:200])
        if error:
            assert json.loads(body)["error"] == error, body
    return case


def new_challenge(env):
    status, body = exchange(env, "GET /api/v1/challenge/new HTTP/1.1\r\nHost: x\r\n\r\n")
    assert status == 200, status
    return json.loads(body)


def forged_challenge(env):
    c = new_challenge(env)
    c["challenge"] = "A" * 43
    status, body = exchange(env, post("/api/v1/challenge/validate", json.dumps(
        {"challenge": c, "appId": "app", "challengeResponse": "AAAA"})))
    assert (status, json.loads(body)["error"]) == (410, "challenge_unknown"), (status, body)


def unknown_app(env):
    c = new_challenge(env)
    status, body = exchange(env, post("/api/v1/challenge/validate", json.dumps(
        {"challenge": c, "appId": "no-such-app", "challengeResponse": "AAAA"})))
    assert (status, json.loads(body)["error"]) == (403, "unknown_app"), (status, body)


def bad_hmac(env):
    c = new_challenge(env)
    status, body = exchange(env, post("/api/v1/challenge/validate", json.dumps(
        {"challenge": c, "appId": "app", "challengeResponse": "AAAA"})))
    assert (status, json.loads(body)["error"]) == (401, "bad_response"), (status, body)


def slowloris(env):
    trickle_start[0] = time.monotonic()
    status, _ = exchange(env, b"GET /api/v1/challenge/new HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 200,
                         trickle=0.2, timeout=READ_TIMEOUT + 10)
    elapsed = time.monotonic() - trickle_start[0]
    assert status == 408, status
    assert READ_TIMEOUT - 1 < elapsed < READ_TIMEOUT + 5, "408 after %.1f s" % elapsed


CHUNKED_BIG = (b"POST /api/v1/challenge/validate HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
               + (b"8000\r\n" + b"a" * 0x8000 + b"\r\n") * 3 + b"0\r\n\r\n")

CASES = [
    ("body-over-limit", "413", status_case(413, post("/api/v1/challenge/validate", b"{" + b" " * 100000 + b"}"))),
    ("chunked-body-over-limit", "413", status_case(413, CHUNKED_BIG)),
    ("declared-huge-length", "413", status_case(413, "POST /api/v1/challenge/validate HTTP/1.1\r\nHost: x\r\n"
                                                     "Content-Length: 99999999999\r\n\r\n{}")),
    ("header-over-limit", "431", status_case(431, "GET /api/v1/challenge/new HTTP/1.1\r\nHost: x\r\nX-Big: "
                                                  + "a" * 20000 + "\r\n\r\n")),
    ("garbage-request-line", "400", status_case(400, "HELLO THERE\r\n\r\n")),
    ("http2-preface", "400", status_case(400, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")),
    ("bad-content-length", "400", status_case(400, "POST /api/v1/challenge/validate HTTP/1.1\r\nHost: x\r\n"
                                                   "Content-Length: abc\r\n\r\n")),
    ("nul-in-header", "400", status_case(400, b"GET /api/v1/challenge/new HTTP/1.1\r\nHost: x\x00y\r\n\r\n")),
    ("bad-chunk-size", "400", status_case(400, "POST /api/v1/challenge/validate HTTP/1.1\r\nHost: x\r\n"
                                               "Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n")),
    ("unknown-path", "404", status_case(404, "GET /admin HTTP/1.1\r\nHost: x\r\n\r\n")),
    ("path-traversal", "404", status_case(404, "GET /api/v1/../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n")),
    ("wrong-method", "405", status_case(405, "DELETE /api/v1/challenge/new HTTP/1.1\r\nHost: x\r\n\r\n")),
    ("body-not-json", "400 bad_request", status_case(400, post("/api/v1/challenge/validate", "not json"),
                                                     "bad_request")),
    ("body-json-array", "400 bad_request", status_case(400, post("/api/v1/challenge/validate", "[1,2]"),
                                                       "bad_request")),
    ("body-deeply-nested-json", "400 bad_request",
     status_case(400, post("/api/v1/challenge/validate", "[" * 30000 + "]" * 30000), "bad_request")),
    ("body-invalid-utf8", "400 bad_request",
     status_case(400, post("/api/v1/challenge/validate", b'{"appId": "\xff\xfe"}'), "bad_request")),
    ("forged-challenge", "410 challenge_unknown", forged_challenge),
    ("unknown-app", "403 unknown_app", unknown_app),
    ("wrong-hmac", "401 bad_response", bad_hmac),
    ("slowloris-headers", "408 after read_timeout", slowloris),
]


def with_http_control(fn):
    def case(env):
        fn(env)
        new_challenge(env)
    return case


TURN = "\n".join(["", "[turn]", "enabled = true", 'listen = ["%s"]', 'shared_secrets = ["turn-shared-secret-0123456789"]',
                  'uris = ["turn:127.0.0.1:3478"]', "rate_limit_requests = 0",
                  "[[turn.app]]", 'id = "app"', 'secret = "app-secret-0123456789"'])

if __name__ == "__main__":
    import sys
    ip = r.harness.free_loopback_ip(ports=(5269, PORT))
    orig = r.harness.free_loopback_ip
    r.harness.free_loopback_ip = lambda ports=None: ip
    r.main("hostile_http", [(n, e, with_http_control(f)) for n, e, f in CASES],
           extra=TURN % ("%s:%d" % (ip, PORT)))
