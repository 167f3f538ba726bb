"""`herald check-config` on what breaks in production, and serve's certificate warnings.

check-config: an expired certificate and one that does not cover its domain (s2s.certificate,
an [[s2s.certificates]] entry, the TURN API's) each exit 2 with one line naming the key, the
file's line and the problem; a missing file names its key and line; a TOML syntax error says
what is wrong in plain words; a valid file prints one line and no log line at all; a
certificate expiring within 14 days is a warning (exit 0).
serve: warns in its log about a certificate expiring within 14 days, and /metrics shows each
certificate's expiry (herald_certificate_expiry_seconds{service,domain}).

Usage: check_config_test.py HERALD_BINARY
"""
import datetime
import os
import re
import subprocess
import sys
import urllib.request

import harness

TOPIC = "org.example.herald"


def herald(*args):
    return subprocess.run([HERALD] + list(args), capture_output=True, text=True, timeout=60)


def config_text(d, pki, p8, cert, key, extra=""):
    return """[server]
domain = "push.test"
data_dir = "%s"

[s2s]
listen = ["127.0.0.1:0"]
certificate = "%s"
key = "%s"

[[push.module]]
name = "ios"
topic = "%s"
endpoint = "127.0.0.1:9"
team_id = "TEAM123456"
key_id = "KEY1234567"
key_file = "%s"
%s""" % (d, cert, key, TOPIC, p8, extra)


def turn_section(cert, key, domain=None):
    return """
[turn]
enabled = true
listen = ["127.0.0.1:0"]
certificate = "%s"
key = "%s"
%sshared_secrets = ["0123456789abcdef0123"]
uris = ["turn:turn.test:3478"]
[[turn.app]]
id = "app"
secret = "0123456789abcdef0123"
""" % (cert, key, 'domain = "%s"\n' % domain if domain else "")


def line_of(text, needle):
    return text.splitlines().index(needle) + 1


def expect_one_error(path, text, key_line_text, pattern):
    """check-config exits 2 with exactly one line: path:LINE: <pattern>, LINE being that of key_line_text."""
    out = herald("check-config", "-c", path)
    assert out.returncode == 2, out
    lines = out.stderr.splitlines()
    assert len(lines) == 1 and out.stdout == "", out
    want = "%s:%d: %s" % (path, line_of(text, key_line_text), pattern)
    assert re.fullmatch(want, lines[0]), (want, lines[0])
    return lines[0]


def main():
    global HERALD
    HERALD = sys.argv[1]
    td = harness.TestDir("check-config")
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        p8, _ = pki.apns_auth_key()
        good_cert, good_key = pki.issue("push.test")
        d = td.sub("herald")

        def write(name, text):
            path = os.path.join(d, name)
            with open(path, "w") as f:
                f.write(text)
            return path

        # A valid file: one line on stdout, nothing else (no store or other log lines).
        text = config_text(d, pki, p8, good_cert, good_key)
        good = write("good.toml", text)
        out = herald("check-config", "-c", good)
        assert out.returncode == 0 and out.stderr == "", out
        assert out.stdout.startswith("configuration OK: ") and out.stdout.count("\n") == 1, out

        shown = []
        # An expired s2s certificate.
        old_cert, old_key = pki.issue_dated("expired", ["push.test"], -40, -10)
        text = config_text(d, pki, p8, old_cert, old_key)
        path = write("expired.toml", text)
        day = (datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=10)).strftime("%Y-%m-%d")
        shown.append(expect_one_error(path, text, 'certificate = "%s"' % old_cert,
                                      re.escape("s2s.certificate: %s expired on %s (" % (old_cert, day))
                                      + r"(9|10) days ago\)"))
        # One for another domain.
        other_cert, other_key = pki.issue("other.test")
        text = config_text(d, pki, p8, other_cert, other_key)
        path = write("wrong-domain.toml", text)
        shown.append(expect_one_error(path, text, 'certificate = "%s"' % other_cert, re.escape(
            "s2s.certificate: %s is for other.test, not push.test" % other_cert)))
        # An [[s2s.certificates]] entry that does not cover one of its domains.
        alias_cert, alias_key = pki.issue("alias.test")
        text = config_text(d, pki, p8, good_cert, good_key) + """
[[s2s.certificates]]
domains = ["alias.test", "second.test"]
certificate = "%s"
key = "%s"
""" % (alias_cert, alias_key)
        path = write("entry.toml", text)
        out = herald("check-config", "-c", path)
        # [[s2s.certificates]] after [[push.module]] is still s2s's array of tables.
        assert out.returncode == 2 and len(out.stderr.splitlines()) == 1, out
        want = "%s:%d: s2s.certificates[0].certificate: %s is for alias.test, not second.test" % (
            path, line_of(text, 'certificate = "%s"' % alias_cert), alias_cert)
        assert out.stderr.strip() == want, (want, out.stderr)
        shown.append(out.stderr.strip())
        # The TURN API's certificate, for turn.domain.
        turn_cert, turn_key = pki.issue("turn-api.test")
        text = config_text(d, pki, p8, good_cert, good_key, turn_section(turn_cert, turn_key, "api.push.test"))
        path = write("turn.toml", text)
        shown.append(expect_one_error(path, text, 'certificate = "%s"' % turn_cert, re.escape(
            "turn.certificate: %s is for turn-api.test, not api.push.test" % turn_cert)))
        text = config_text(d, pki, p8, good_cert, good_key, turn_section(turn_cert, turn_key, "turn-api.test"))
        out = herald("check-config", "-c", write("turn-ok.toml", text))
        assert out.returncode == 0, out
        # Expired TURN certificate, with the push domain as the default turn.domain.
        turn_old, turn_old_key = pki.issue_dated("turn-old", ["push.test"], -30, -1)
        text = config_text(d, pki, p8, good_cert, good_key, turn_section(turn_old, turn_old_key))
        path = write("turn-expired.toml", text)
        shown.append(expect_one_error(path, text, 'certificate = "%s"' % turn_old,
                                      re.escape("turn.certificate: %s expired on " % turn_old) + ".*"))

        # A missing file names its key and line.
        missing = os.path.join(d, "AuthKey-missing.p8")
        text = config_text(d, pki, p8, good_cert, good_key).replace(p8, missing)
        path = write("missing.toml", text)
        shown.append(expect_one_error(path, text, 'key_file = "%s"' % missing, re.escape(
            "push.module[0].key_file: %s: no such file" % missing)))
        # A syntax error in plain words.
        text = config_text(d, pki, p8, good_cert, good_key).replace('domain = "push.test"', "domain = push.test")
        path = write("syntax.toml", text)
        shown.append(expect_one_error(path, text, "domain = push.test",
                                      r"syntax error at column \d+: this value is not valid TOML: text goes in "
                                      r"quotes.*"))

        # Expiring within 14 days: a warning, and the check passes.
        soon_cert, soon_key = pki.issue_dated("soon", ["push.test"], -80, 5)
        text = config_text(d, pki, p8, soon_cert, soon_key)
        path = write("soon.toml", text)
        out = herald("check-config", "-c", path)
        assert out.returncode == 0 and "configuration OK" in out.stdout, out
        assert re.fullmatch(r"%s:%d: s2s.certificate: warning: %s expires in [45] day\(s\), on \S+\n" % (
            re.escape(path), line_of(text, 'certificate = "%s"' % soon_cert), re.escape(soon_cert)),
            out.stderr), out.stderr

        # serve: the warning in the log, and the expiry as a metric.
        ip = harness.free_loopback_ip(ports=(5269, 9090))
        log = os.path.join(d, "herald.log")
        text = config_text(d, pki, p8, soon_cert, soon_key).replace(
            'listen = ["127.0.0.1:0"]', 'listen = ["%s:5269"]' % ip).replace(
            'data_dir', 'log_file = "%s"\ndata_dir' % log, 1) + (
            '\n[observability]\nenabled = true\nlisten = ["%s:9090"]\n' % ip)
        serve_cfg = write("serve.toml", text)
        proc = procs.start([HERALD, "serve", "-c", serve_cfg], os.path.join(d, "serve.out"))
        harness.wait_tcp(ip, 9090, 10, proc, "herald")
        harness.wait_for(lambda: os.path.exists(log) and "expires in" in open(log).read(), 5, "the warning")
        warning = [l for l in open(log).read().splitlines() if "expires in" in l][0]
        assert " warn certificate s2s.certificate (%s) expires in " % soon_cert in warning, warning
        metrics = urllib.request.urlopen("http://%s:9090/metrics" % ip, timeout=10).read().decode()
        m = re.search(r'^herald_certificate_expiry_seconds\{service="s2s",domain="push.test"\} (\S+)$',
                      metrics, re.M)
        assert m, [l for l in metrics.splitlines() if "certificate" in l]
        left = float(m.group(1)) - datetime.datetime.now(datetime.timezone.utc).timestamp()
        assert 4 * 86400 < left <= 5 * 86400 + 60, left
        for line in shown:
            print("  " + line)
        print("check_config: %d one-line errors, a warning, serve's warning and metric" % len(shown))
        td.ok = True
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
