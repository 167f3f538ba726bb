"""Logins with accounts stored in herald-home's database.

1. `herald-home user add` (password on stdin) creates alice and bob before
   the server starts; a duplicate, an unknown host and an empty password
   are refused with exit 1, a missing argument with exit 2; `user list`
   prints both names.
2. serve: slixmpp (Debian's python3-slixmpp) logs in as alice over STARTTLS
   with SCRAM-SHA-1 and with PLAIN; a wrong password is refused
   (not-authorized) with each. slixmpp 1.8 sends the SCRAM "y" flag on
   TLS 1.3 (see c2s_slixmpp_test.py), so SCRAM runs with its channel-binding
   credential dropped, as a client without binding support.
3. `user passwd` while serving: the old password is refused, the new one
   works, at once. `user del`: alice's logins are refused; bob still logs in.
4. A database that cannot be opened (data_dir under a plain file) stops
   `serve` with one "store:" line and exit 2.
5. The database files (home.sqlite, -wal, -shm) and the server's log hold
   none of the passwords; the info log holds no JID.

Usage: home_login_test.py HERALD_HOME_BINARY
"""
import asyncio
import glob
import os
import signal
import subprocess
import sys

import harness

HOME = "home.test"
PASSWORDS = {"alice": "alice-first-Passw0rd", "bob": "bob-only-Passw0rd"}
NEW_ALICE = "alice-second-Passw0rd"


def write_config(d, ip, pki, cert, key):
    path = os.path.join(d, "home.toml")
    with open(path, "w") as f:
        f.write("\n".join([
            "[server]", "threads = 2", 'data_dir = "%s"' % os.path.join(d, "data"),
            "shutdown_timeout = 4", "",
            "[log]", 'level = "info"', 'file = "%s"' % os.path.join(d, "home.log"), "",
            "[[hosts]]", 'domain = "%s"' % HOME, 'certificate = "%s"' % cert, 'key = "%s"' % key, "",
            "[c2s]", 'listen = ["%s:5222"]' % ip, 'listen_direct_tls = ["%s:5223"]' % ip, "",
            "[s2s]", 'listen = ["%s:5269"]' % ip, 'ca_file = "%s"' % pki.ca, ""]))
    return path


def user(binary, config, *args, password=None):
    return subprocess.run([binary, "user", args[0], "-c", config] + list(args[1:]),
                          input=None if password is None else password + "\n",
                          capture_output=True, text=True, timeout=30)


def accounts_cli(binary, config):
    for name, pw in PASSWORDS.items():
        out = user(binary, config, "add", HOME, name, password=pw)
        assert out.returncode == 0, out
    out = user(binary, config, "add", HOME, "alice", password="again")
    assert out.returncode == 1 and "user exists" in out.stderr, out
    out = user(binary, config, "add", "elsewhere.test", "carol", password="x")
    assert out.returncode == 1 and "unknown host" in out.stderr, out
    out = user(binary, config, "add", HOME, "carol", password="")
    assert out.returncode == 1 and "empty password" in out.stderr, out
    out = user(binary, config, "add", HOME)
    assert out.returncode == 2, out
    out = user(binary, config, "del", HOME, "carol")
    assert out.returncode == 1 and "no such user" in out.stderr, out
    out = user(binary, config, "list", HOME)
    assert out.returncode == 0 and out.stdout.split() == ["alice", "bob"], out
    for o in (out,):
        assert not any(pw in o.stdout + o.stderr for pw in PASSWORDS.values())


async def log_in(ip, ca, name, password, mechanism):
    import slixmpp
    x = slixmpp.ClientXMPP("%s@%s/desk" % (name, HOME), password, sasl_mech=mechanism)
    x.ca_certs = ca
    mechanisms = x["feature_mechanisms"]
    ask = mechanisms.sasl_callback

    def without_binding(required, optional):
        return ask(required, set(optional) - {"channel_binding"})
    mechanisms.sasl_callback = without_binding
    outcome = asyncio.get_running_loop().create_future()
    x.add_event_handler("session_start", lambda _: outcome.done() or outcome.set_result("session"))
    x.add_event_handler("failed_auth",
                        lambda f: outcome.done() or outcome.set_result("failed: " + f["condition"]))
    x.add_event_handler("disconnected", lambda _: outcome.done() or outcome.set_result("disconnected"))
    x.connect(address=(ip, 5222))
    try:
        result = await asyncio.wait_for(outcome, 20)
        if result == "session":
            assert mechanisms.mech.name == mechanism, mechanisms.mech.name
            assert str(x.boundjid) == "%s@%s/desk" % (name, HOME), x.boundjid
    finally:
        x.disconnect()
        await asyncio.sleep(0.2)
    return result


async def expect(ip, ca, name, password, works):
    for mechanism in ("SCRAM-SHA-1", "PLAIN"):
        result = await log_in(ip, ca, name, password, mechanism)
        want = "session" if works else "failed: not-authorized"
        assert result == want, "%s %s (%s): %s" % (name, "good" if works else "bad", mechanism, result)


def unopenable(binary, d, config):
    blocker = os.path.join(d, "not-a-directory")
    open(blocker, "w").close()
    text = open(config).read().replace('data_dir = "%s"' % os.path.join(d, "data"),
                                       'data_dir = "%s"' % os.path.join(blocker, "data"))
    bad = os.path.join(d, "bad-store.toml")
    with open(bad, "w") as f:
        f.write(text)
    out = subprocess.run([binary, "serve", "-c", bad], capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "herald-home: store: " in out.stderr, out


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("home_login: terminated"))
    binary = sys.argv[1]
    td = harness.TestDir("home-login")
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        ip = harness.free_loopback_ip(ports=(5222, 5223, 5269))
        d = td.sub("home")
        cert, key = pki.issue(HOME)
        config = write_config(d, ip, pki, cert, key)
        accounts_cli(binary, config)

        home = procs.start([binary, "serve", "-c", config], os.path.join(d, "home.out"))
        harness.wait_tcp(ip, 5222, 10, home, "herald-home")
        asyncio.run(expect(ip, pki.ca, "alice", PASSWORDS["alice"], True))
        asyncio.run(expect(ip, pki.ca, "alice", "not-" + PASSWORDS["alice"], False))

        out = user(binary, config, "passwd", HOME, "alice", password=NEW_ALICE)
        assert out.returncode == 0, out
        asyncio.run(expect(ip, pki.ca, "alice", PASSWORDS["alice"], False))
        asyncio.run(expect(ip, pki.ca, "alice", NEW_ALICE, True))

        out = user(binary, config, "del", HOME, "alice")
        assert out.returncode == 0, out
        asyncio.run(expect(ip, pki.ca, "alice", NEW_ALICE, False))
        asyncio.run(expect(ip, pki.ca, "bob", PASSWORDS["bob"], True))
        out = user(binary, config, "list", HOME)
        assert out.returncode == 0 and out.stdout.split() == ["bob"], out

        rc = procs.stop(home, wait=8)
        assert rc == 0, "herald-home exited %s on SIGTERM" % rc
        unopenable(binary, d, config)
        secrets = list(PASSWORDS.values()) + [NEW_ALICE]
        files = glob.glob(os.path.join(d, "data", "home.sqlite*"))
        assert os.path.join(d, "data", "home.sqlite") in files, files
        scanned = 0
        for path in files + [os.path.join(d, "home.log"), os.path.join(d, "home.out")]:
            data = open(path, "rb").read()
            scanned += len(data)
            for secret in secrets:
                assert secret.encode() not in data, "%s holds a password" % path
        assert b"bob" in open(os.path.join(d, "data", "home.sqlite"), "rb").read(), \
            "the scan reads the accounts' data"
        log = open(os.path.join(d, "home.log")).read()
        assert "alice@" not in log and "bob@" not in log, "a JID in the info log"
        td.ok = True
        print("home_login: user add/passwd/del/list, SCRAM-SHA-1 and PLAIN logins and refusals, "
              "%d bytes of database and logs hold no password" % scanned)
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
