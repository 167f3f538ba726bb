"""TURN fallback end to end: Herald's credential API in front of real coturn.

An app's side of docs/protocol.md "TURN fallback credential API" is played here in
Python (hmac/hashlib, independent of Herald's code): get a challenge over
HTTPS, answer it with the app secret, receive TURN REST credentials, then let
coturn's own client allocate relays with them (judged by coturn's
"ALLOCATE processed, success" line, see docs/testing.md). Also: credentials issued
with a 1-second lifetime fail once expired, a wrong password fails, a reused
challenge and a bad answer are refused, and no client address reaches
Herald's logs.

usage: turn_coturn_test.py HERALD_BINARY
"""
import base64
import hashlib
import hmac
import http.client
import json
import os
import shutil
import ssl
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

APP_ID, APP_SECRET = "org.example.monal", "app-secret-0123456789abcdef"
OLD_SECRET, NEW_SECRET = "old-shared-secret-0123456789", "new-shared-secret-0123456789"


def answer(challenge):
    data = challenge["validUntil"].to_bytes(8, "little") + challenge["challenge"].encode()
    return base64.b64encode(hmac.new(APP_SECRET.encode(), data, hashlib.sha512).digest()).decode()


class Api:
    def __init__(self, ip, port, client_ip, ca=None):
        self.ip, self.port, self.client_ip, self.ca = ip, port, client_ip, ca

    def call(self, method, path, body=None):
        if self.ca:
            ctx = ssl.create_default_context(cafile=self.ca)
            conn = http.client.HTTPSConnection(self.ip, self.port, context=ctx, timeout=10,
                                               source_address=(self.client_ip, 0))
        else:
            conn = http.client.HTTPConnection(self.ip, self.port, timeout=10,
                                              source_address=(self.client_ip, 0))
        try:
            headers = {"Content-Type": "application/json"} if body is not None else {}
            conn.request(method, path, body=json.dumps(body) if body is not None else None,
                         headers=headers)
            r = conn.getresponse()
            return r.status, json.loads(r.read() or b"null")
        finally:
            conn.close()

    def credentials(self):
        status, challenge = self.call("GET", "/api/v1/challenge/new")
        assert status == 200, (status, challenge)
        status, creds = self.call("POST", "/api/v1/challenge/validate",
                                  {"challenge": challenge, "appId": APP_ID,
                                   "challengeResponse": answer(challenge)})
        assert status == 200, (status, creds)
        return creds


def uclient(coturn_ip, user, password):
    r = subprocess.run(["turnutils_uclient", "-v", "-y", "-n", "1", "-u", user, "-w", password,
                        coturn_ip], capture_output=True, text=True, timeout=30)
    return r.returncode


def allocated(coturn_out, user):
    with open(coturn_out, errors="replace") as f:
        return ("user <%s>: incoming packet ALLOCATE processed, success" % user) in f.read()


def main():
    herald_bin = sys.argv[1]
    for tool in ("turnserver", "turnutils_uclient"):
        if not shutil.which(tool):
            print("%s missing: install Debian's coturn (scripts/install-deps.sh)" % tool)
            return 1
    td = harness.TestDir("turn")
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        coturn_ip = harness.free_loopback_ip(ports=(3478,))
        ip_a = harness.free_loopback_ip(ports=(5269, 8443))
        ip_b = harness.free_loopback_ip(ports=(5269, 8080))
        client_ip = harness.free_loopback_ip(ports=())

        # coturn, loopback only, everything in the test's directory; both
        # shared secrets listed, as during a rollover.
        cd = td.sub("coturn")
        conf = os.path.join(cd, "turnserver.conf")
        fd = os.open(conf, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write("\n".join([
                "listening-ip=%s" % coturn_ip, "relay-ip=%s" % coturn_ip, "listening-port=3478",
                "min-port=49152", "max-port=49200", "realm=turn.test", "use-auth-secret",
                "static-auth-secret=%s" % OLD_SECRET, "static-auth-secret=%s" % NEW_SECRET,
                "no-tls", "no-dtls", "no-cli", "allow-loopback-peers", "log-file=stdout",
                "simple-log", "verbose", "pidfile=%s/turnserver.pid" % cd,
                "userdb=%s/turndb" % cd]) + "\n")
        coturn_out = os.path.join(cd, "turnserver.out")
        coturn = procs.start(["turnserver", "-c", conf], coturn_out)
        harness.wait_tcp(coturn_ip, 3478, 10, coturn, "coturn")

        p8, _ = pki.apns_auth_key()
        module = {"name": "m", "topic": "org.example.app", "team_id": "TEAM123456",
                  "key_id": "KEY1234567", "key_file": p8, "endpoint": "127.0.0.1:9"}
        api_cert, api_key = pki.issue("turn-api.test", eku="serverAuth", ip=ip_a)

        def turn_section(listen, lifetime, tls):
            lines = ["", "[turn]", "enabled = true", 'listen = ["%s"]' % listen,
                     'shared_secrets = ["%s", "%s"]' % (NEW_SECRET, OLD_SECRET),
                     'uris = ["turn:%s:3478?transport=udp", "turn:%s:3478?transport=tcp"]'
                     % (coturn_ip, coturn_ip),
                     "credential_lifetime = %d" % lifetime, "rate_limit_requests = 100"]
            if tls:
                lines += ['certificate = "%s"' % api_cert, 'key = "%s"' % api_key]
            lines += ["[[turn.app]]", 'id = "%s"' % APP_ID, 'secret = "%s"' % APP_SECRET]
            return "\n".join(lines)

        # A: HTTPS, credentials for an hour. B: plain HTTP (behind a proxy), 1 s.
        herald_a = harness.Herald(procs, herald_bin, td.sub("herald-a"), "push-a.test", ip_a, pki,
                                  {}, [module], extra=turn_section(ip_a + ":8443", 3600, True))
        harness.wait_tcp(ip_a, 8443, 10, herald_a.proc, "herald turn api")
        herald_b = harness.Herald(procs, herald_bin, td.sub("herald-b"), "push-b.test", ip_b, pki,
                                  {}, [module], extra=turn_section(ip_b + ":8080", 1, False))
        harness.wait_tcp(ip_b, 8080, 10, herald_b.proc, "herald turn api")
        api_a = Api(ip_a, 8443, client_ip, ca=pki.ca)
        api_b = Api(ip_b, 8080, client_ip)

        # 1. A challenge answered gives credentials coturn accepts.
        t0 = time.monotonic()
        creds = api_a.credentials()
        print("credentials in %.3f s: ttl %s, uris %s" % (time.monotonic() - t0, creds["ttl"],
                                                           creds["uris"]))
        assert creds["ttl"] == 3600 and len(creds["uris"]) == 2
        expiry = int(creds["username"].split(":")[0])
        assert abs(expiry - (time.time() + 3600)) < 10, creds["username"]
        expected = base64.b64encode(hmac.new(NEW_SECRET.encode(), creds["username"].encode(),
                                             hashlib.sha1).digest()).decode()
        assert creds["password"] == expected, "not signed with the first (newest) shared secret"
        t0 = time.monotonic()
        rc = uclient(coturn_ip, creds["username"], creds["password"])
        print("valid credentials: uclient exit %d in %.1f s" % (rc, time.monotonic() - t0))
        assert rc == 0 and allocated(coturn_out, creds["username"]), "coturn refused valid credentials"

        # 2. A wrong password fails.
        other = api_a.credentials()
        rc = uclient(coturn_ip, other["username"], "d3Jvbmc=" + other["password"][8:])
        print("wrong password: uclient exit %d" % rc)
        assert rc != 0 and not allocated(coturn_out, other["username"])

        # 3. Credentials with a 1-second lifetime, used after they expired, fail.
        short = api_b.credentials()
        assert short["ttl"] == 1
        time.sleep(2.2)
        rc = uclient(coturn_ip, short["username"], short["password"])
        print("expired credentials: uclient exit %d" % rc)
        assert rc != 0 and not allocated(coturn_out, short["username"])

        # 4. The API's refusals over the real server.
        status, challenge = api_a.call("GET", "/api/v1/challenge/new")
        body = {"challenge": challenge, "appId": APP_ID, "challengeResponse": answer(challenge)}
        assert api_a.call("POST", "/api/v1/challenge/validate", body)[0] == 200
        status, err = api_a.call("POST", "/api/v1/challenge/validate", body)
        assert (status, err["error"]) == (409, "challenge_used"), (status, err)
        status, challenge = api_a.call("GET", "/api/v1/challenge/new")
        bad = dict(body, challenge=challenge, challengeResponse=base64.b64encode(b"x" * 64).decode())
        status, err = api_a.call("POST", "/api/v1/challenge/validate", bad)
        assert (status, err["error"]) == (401, "bad_response"), (status, err)
        status, err = api_a.call("POST", "/api/v1/challenge/validate", dict(body, appId="nope"))
        assert (status, err["error"]) == (403, "unknown_app"), (status, err)

        # 5. No client address, secret or credential in Herald's output.
        for h in (herald_a, herald_b):
            text = h.settled_log_text() + open(h.out, errors="replace").read()
            for secret in (client_ip, APP_SECRET, NEW_SECRET, OLD_SECRET, creds["password"],
                           creds["username"]):
                assert secret not in text, "%s found in %s" % (secret, h.log)

        procs.stop(herald_a.proc)
        procs.stop(herald_b.proc)
        procs.stop(coturn)
        td.ok = True
        print("PASS")
        return 0
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    sys.exit(main())
