"""SIGHUP reloads every certificate Herald serves: s2s, the TURN API's and v1's HTTPS.

Herald runs with [turn] and [v1] over HTTPS. A keep-alive HTTPS connection to each is open
when the three certificate files are replaced (a renewal) and Herald gets SIGHUP: a new
connection to each listener must see its new certificate, and the connections that were open
stay usable. Then a renewal leaves a broken TURN key behind: that listener keeps its
certificate (an error in the log), the others take theirs, and Herald goes on serving.

Usage: reload_certificates_test.py HERALD_BINARY
"""
import hashlib
import http.client
import os
import signal
import socket
import ssl
import sys

import harness

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from federation_reload_test import file_certificate, served_certificate  # noqa: E402


def https_certificate(ip, port, name):
    """SHA-256 of the certificate an HTTPS listener presents to a new connection."""
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    with socket.create_connection((ip, port), timeout=10) as s:
        with ctx.wrap_socket(s, server_hostname=name) as t:
            return hashlib.sha256(t.getpeercert(binary_form=True)).hexdigest()


class KeepAlive:
    """One HTTPS connection kept open across the reload."""

    def __init__(self, ip, port, ca, name):
        ctx = ssl.create_default_context(cafile=ca)
        ctx.check_hostname = False
        self.conn = http.client.HTTPSConnection(ip, port, context=ctx, timeout=10)
        self.name = name

    def status(self, method, path, body=None):
        headers = {"Content-Type": "application/json"} if body is not None else {}
        self.conn.request(method, path, body=body, headers=headers)
        r = self.conn.getresponse()
        r.read()
        assert not r.will_close, "%s closed the kept connection" % self.name
        return r.status


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("reload_certificates: terminated"))
    td = harness.TestDir("reload-certificates")
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        p8, _ = pki.apns_auth_key()
        turn_cert, turn_key = pki.issue("turn.push.test")
        v1_cert, v1_key = pki.issue("v1.push.test")
        ip = harness.free_loopback_ip(ports=(5269, 8443, 8444))
        extra = """
[turn]
enabled = true
listen = ["%s:8443"]
certificate = "%s"
key = "%s"
domain = "turn.push.test"
shared_secrets = ["0123456789abcdef0123"]
uris = ["turn:turn.push.test:3478"]
[[turn.app]]
id = "app"
secret = "0123456789abcdef0123"

[v1]
enabled = true
listen = ["%s:8444"]
certificate = "%s"
key = "%s"
""" % (ip, turn_cert, turn_key, ip, v1_cert, v1_key)
        herald = harness.Herald(procs, sys.argv[1], td.sub("herald"), "push.test", ip, pki, routes={},
                                modules=[{"name": "ios", "topic": "org.example.herald", "endpoint": "127.0.0.1:9",
                                          "team_id": "TEAM123456", "key_id": "KEY1234567", "key_file": p8}],
                                extra=extra)
        harness.wait_tcp(ip, 8444, 10, herald.proc, "herald v1 HTTPS")
        harness.wait_tcp(ip, 8443, 10, herald.proc, "herald TURN HTTPS")

        turn = KeepAlive(ip, 8443, pki.ca, "turn-api")
        v1 = KeepAlive(ip, 8444, pki.ca, "v1")
        assert turn.status("GET", "/api/v1/challenge/new") == 200
        assert v1.status("POST", "/v1/register", "{}") in (400, 415), "v1 answers on its connection"
        before = {"s2s": served_certificate(ip, "push.test"), "turn": https_certificate(ip, 8443, "turn.push.test"),
                  "v1": https_certificate(ip, 8444, "v1.push.test")}
        assert before == {"s2s": file_certificate(herald.cert), "turn": file_certificate(turn_cert),
                          "v1": file_certificate(v1_cert)}, before

        # Renewal: new keys and certificates at the same paths, then SIGHUP.
        pki.issue("push.test")
        pki.issue("turn.push.test")
        pki.issue("v1.push.test")
        renewed = {"s2s": file_certificate(herald.cert), "turn": file_certificate(turn_cert),
                   "v1": file_certificate(v1_cert)}
        assert all(renewed[k] != before[k] for k in before)
        os.kill(herald.proc.pid, signal.SIGHUP)
        for line in ("s2s: certificates reloaded", "turn-api: certificate reloaded",
                     "v1-registration: certificate reloaded"):
            herald.await_log(line, timeout=10)
        after = {"s2s": served_certificate(ip, "push.test"), "turn": https_certificate(ip, 8443, "turn.push.test"),
                 "v1": https_certificate(ip, 8444, "v1.push.test")}
        assert after == renewed, "new connections must see the new certificates: %s" % after
        # The connections open before the reload go on.
        assert turn.status("GET", "/api/v1/challenge/new") == 200
        assert v1.status("POST", "/v1/register", "{}") in (400, 415)

        # A broken TURN key: that listener keeps what it has, the others reload.
        pki.issue("push.test")
        with open(turn_key, "w") as f:
            f.write("not a key\n")
        os.kill(herald.proc.pid, signal.SIGHUP)
        herald.await_log("keeping the certificates in use", timeout=10)
        assert https_certificate(ip, 8443, "turn.push.test") == renewed["turn"]
        harness.wait_for(lambda: served_certificate(ip, "push.test") == file_certificate(herald.cert), 10,
                         "s2s to take its new certificate despite the TURN error")
        assert herald.proc.poll() is None, "Herald exited"
        err = [l for l in herald.settled_log_text().splitlines() if "keeping the certificates in use" in l]
        assert len(err) == 1 and " error reload: turn-api: key " in err[0], err
        print("reload_certificates: s2s, TURN API and v1 HTTPS reloaded on SIGHUP, open connections kept; "
              "a broken TURN key kept its old certificate")
        td.ok = True
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
