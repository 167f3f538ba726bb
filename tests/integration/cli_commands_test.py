"""herald's command line: version, --help, check-config (with the file's line),
the example configurations in packaging/examples, tombstones list|clear and
their old flags, send-test-push against apns-sim (200 and 410).

Usage: cli_commands_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import glob
import os
import re
import secrets
import signal
import subprocess
import sys

import harness

TOPIC = "org.example.herald"
HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLES = os.path.join(HERE, "..", "..", "packaging", "examples")


def herald(*args):
    return subprocess.run([HERALD] + list(args), capture_output=True, text=True, timeout=60)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def config_text(d, pki, sim, extra_module=""):
    cert, key = pki.issue("push.test")
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
endpoint = "127.0.0.1:%d"
ca_file = "%s"
team_id = "%s"
key_id = "%s"
key_file = "%s"
%s""" % (d, cert, key, TOPIC, sim.port, pki.ca, sim.team_id, sim.key_id, sim.p8, extra_module)


def main():
    global HERALD
    HERALD, sim_bin = sys.argv[1], sys.argv[2]
    td = harness.TestDir("cli")
    procs = harness.Procs()
    try:
        out = herald("version")
        assert out.returncode == 0 and re.fullmatch(r"herald \d+\.\d+\.\d+\n", out.stdout), out
        out = herald("--help")
        assert out.returncode == 0, out
        for sub in ("serve", "check-config", "send-test-push", "tombstones", "version"):
            assert sub in out.stdout, (sub, out.stdout)
        out = herald("send-test-push", "--help")
        assert "--module" in out.stdout and "--token" in out.stdout, out.stdout
        out = herald("--version")
        assert out.returncode == 0 and re.fullmatch(r"herald \d+\.\d+\.\d+\n", out.stdout), out

        # Usage errors: exit 2, one line on stderr, nothing on stdout.
        for args in (["bogus"], ["serve", "-c"], ["tombstones"], ["send-test-push", "--module", "ios"],
                     ["check-config", "--no-such-flag"], []):
            out = herald(*args)
            assert out.returncode == 2, (args, out)
            assert out.stdout == "" and out.stderr.count("\n") == 1, (args, out)
            assert out.stderr.startswith("herald: "), (args, out)
        # -c defaults to /etc/herald/herald.toml.
        out = herald("check-config", "--syntax-only")
        assert "/etc/herald/herald.toml" in out.stdout + out.stderr, out
        assert "/etc/herald/herald.toml" in herald("serve", "--help").stdout

        pki = harness.Pki(td.sub("pki"))
        sim = harness.ApnsSim(procs, sim_bin, td.sub("apns-sim"), pki, [TOPIC])
        d = td.sub("herald")
        good = write(os.path.join(d, "herald.toml"), config_text(d, pki, sim))
        out = herald("check-config", "-c", good)
        assert out.returncode == 0 and "configuration OK" in out.stdout, out
        out = herald("-c", good, "--check-config")  # the old flag
        assert out.returncode == 0 and "configuration OK" in out.stdout, out
        # A check writes nothing: no database where the service will run.
        assert not os.path.exists(os.path.join(d, "herald.sqlite")), os.listdir(d)

        # Errors name the file's line: an unknown key on line 3, a missing topic
        # reported at its module's [[push.module]] header.
        text = config_text(d, pki, sim)
        bad = write(os.path.join(d, "bad.toml"), text.replace('data_dir', 'dta_dir', 1))
        out = herald("check-config", "-c", bad)
        assert out.returncode == 2 and (bad + ":3: server.dta_dir: unknown key") in out.stderr, out
        lines = text.splitlines()
        header = lines.index("[[push.module]]") + 1
        bad2 = write(os.path.join(d, "bad2.toml"), text.replace('topic = "%s"\n' % TOPIC, ""))
        out = herald("check-config", "-c", bad2)
        assert out.returncode == 2 and ("%s:%d: push.module[0].topic" % (bad2, header)) in out.stderr, out
        bad3 = write(os.path.join(d, "bad3.toml"), text + "\n[log]\nformat = \"xml\"\n")
        out = herald("check-config", "-c", bad3)
        want = "%s:%d: log.format: must be" % (bad3, len(text.splitlines()) + 3)
        assert out.returncode == 2 and want in out.stderr, (want, out)
        bad4 = write(os.path.join(d, "bad4.toml"), text + "\n[server\n")
        out = herald("check-config", "-c", bad4)
        assert out.returncode == 2 and re.search(re.escape(bad4) + r":\d+: ", out.stderr), out

        # Every example configuration shipped in the package is valid.
        examples = sorted(glob.glob(os.path.join(EXAMPLES, "*.toml")))
        assert len(examples) >= 4, examples
        for e in examples:
            out = herald("check-config", "--syntax-only", "-c", e)
            assert out.returncode == 0 and "configuration OK" in out.stdout, (e, out)

        # One push through the real upstream path; then a token APNs calls dead.
        token = secrets.token_hex(32)
        out = herald("send-test-push", "-c", good, "--module", "ios", "--token", token)
        assert out.returncode == 0, out
        assert "result: delivered" in out.stdout and "http status: 200" in out.stdout, out.stdout
        sent = [r for r in sim.requests() if r["token"] == token and r["status"] == 200]
        assert len(sent) == 1, sent
        # The apns-id the simulator recorded, to find the push in Apple's (or the simulator's) records.
        assert "upstream id: %s\n" % sent[0]["apns_id"] in out.stdout, out.stdout
        dead = secrets.token_hex(32)
        sim.mark_dead(dead)
        out = herald("send-test-push", "-c", good, "--module", "ios", "--token", dead)
        assert out.returncode == 1, out
        assert "http status: 410" in out.stdout and "reason: Unregistered" in out.stdout, out.stdout
        out = herald("send-test-push", "-c", good, "--module", "nope", "--token", token)
        assert out.returncode == 1 and "no push module named" in out.stderr, out

        # An upstream that cannot be reached: the real connect error, and no upstream id (nothing
        # was sent); the log lines on stderr spell the level as the configuration does.
        closed = write(os.path.join(d, "closed.toml"),
                       config_text(d, pki, sim).replace("127.0.0.1:%d" % sim.port,
                                                        "127.0.0.1:%d" % harness.free_tcp_port("127.0.0.1")))
        out = herald("send-test-push", "-c", closed, "--module", "ios", "--token", token, "--timeout", "10")
        assert out.returncode == 1, out
        assert "reason: connect failed: Connection refused\n" in out.stdout, out.stdout
        assert "upstream id: -\n" in out.stdout, out.stdout
        assert " warn " in out.stderr and "warning" not in out.stderr, out.stderr

        # serve logs the signal by name.
        log = os.path.join(d, "serve.log")
        served = write(os.path.join(d, "serve.toml"),
                       config_text(d, pki, sim).replace('data_dir', 'log_file = "%s"\ndata_dir' % log, 1))
        p = subprocess.Popen([HERALD, "serve", "-c", served], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        harness.wait_for(lambda: os.path.exists(log) and "serving push.test" in open(log).read(), 10,
                         "herald serve to start")
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=20) == 0
        text = open(log).read()
        assert "signal SIGTERM: shutting down" in text, text

        # Tombstones: the subcommands and the old flags.
        out = herald("tombstones", "list", "-c", good)
        assert out.returncode == 0 and "0 tombstone(s)" in out.stdout, out
        out = herald("-c", good, "--list-tombstones")
        assert out.returncode == 0 and "0 tombstone(s)" in out.stdout, out
        out = herald("tombstones", "clear", "-c", good, token)
        assert out.returncode == 1 and "no tombstone" in out.stdout, out
        out = herald("-c", good, "--clear-tombstone", token)
        assert out.returncode == 1 and "no tombstone" in out.stdout, out
        td.ok = True
        print("cli_commands: version, help, check-config lines, %d examples, send-test-push, tombstones"
              % len(examples))
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
