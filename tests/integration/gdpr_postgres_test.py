"""`herald gdpr` against the shared PostgreSQL store: a v1 registration made over HTTP on a node
with backend = "postgresql" is shown by `herald gdpr show --node N` (and by token), `erase`
removes it from PostgreSQL, and a second show finds nothing (exit 1).

Usage: gdpr_postgres_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import secrets
import signal
import subprocess
import sys
import urllib.parse
import urllib.request

import harness

TOPIC = "org.example.herald"
MODULE = "example-ios"
HTTP_PORT = 5280


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("gdpr_postgres: terminated"))
    herald_bin, sim_bin = sys.argv[1], sys.argv[2]
    td = harness.TestDir("gdpr-postgres")
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        sim = harness.ApnsSim(procs, sim_bin, td.sub("apns-sim"), pki, [TOPIC])
        pg = harness.Postgres(procs, td.sub("postgres"))
        ip = harness.free_loopback_ip(ports=(5269, HTTP_PORT))
        extra = ('\n[store]\nbackend = "postgresql"\npostgresql = "%s"\n'
                 '\n[v1]\nenabled = true\nflush_interval = 1\nlisten = ["%s:%d"]\n' % (pg.conninfo, ip, HTTP_PORT))
        herald = harness.Herald(procs, herald_bin, td.sub("herald"), "push.test", ip, pki, routes={},
                                modules=[{"name": MODULE, "topic": TOPIC, "endpoint": "127.0.0.1:%d" % sim.port,
                                          "ca_file": pki.ca, "team_id": sim.team_id, "key_id": sim.key_id,
                                          "key_file": sim.p8}], extra=extra)
        harness.wait_tcp(ip, HTTP_PORT, 10, herald.proc, "herald v1 http")

        token = secrets.token_hex(32)
        body = urllib.parse.urlencode({"type": "apns", "node": "gdpr-" + secrets.token_hex(8), "token": token}).encode()
        with urllib.request.urlopen("http://%s:%d/push_appserver/v1/register" % (ip, HTTP_PORT),
                                    data=body, timeout=20) as r:
            lines = r.read().decode().split("\n")
        assert r.status == 200 and lines[0] == "OK", lines
        node, secret = lines[1], lines[2]
        assert pg.query("SELECT count(*) FROM registrations WHERE node = '%s'" % node) == [["1"]]

        def gdpr(*args):
            return subprocess.run([herald_bin, "gdpr"] + list(args) + ["--config", herald.config],
                                  capture_output=True, text=True, timeout=60)

        shown = gdpr("show", "--node", node)
        assert shown.returncode == 0, shown.stdout + shown.stderr
        assert "node: %s" % node in shown.stdout and "token: %s" % token in shown.stdout, shown.stdout
        assert "module: %s" % MODULE in shown.stdout, shown.stdout
        assert secret not in shown.stdout, "only the secret's hash is held"
        by_token = gdpr("show", "--token", token)
        assert by_token.returncode == 0 and "node: %s" % node in by_token.stdout, by_token.stdout
        # The SQLite file is not what was read: the registration lives only in PostgreSQL.
        assert "herald.sqlite" not in shown.stderr

        erased = gdpr("erase", "--node", node)
        assert erased.returncode == 0, erased.stdout + erased.stderr
        assert "erased registration" in erased.stdout, erased.stdout
        assert pg.query("SELECT count(*) FROM registrations") == [["0"]], "erase must reach PostgreSQL"
        again = gdpr("show", "--node", node)
        assert again.returncode == 1 and "nothing held" in again.stdout, again.stdout + again.stderr
        td.ok = True
        print("gdpr_postgres: show by node and token, erase: passed")
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
