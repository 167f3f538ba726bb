"""The .deb packages: cpack -G DEB from the build tree makes `herald` (the
server) and `herald-tools` (simulators, herald-publish), checked with dpkg-deb:
what each holds and does not hold, control fields, copyright, changelog; the
unit passes systemd-analyze verify. The maintainer scripts run for real on a
throwaway root ($DPKG_ROOT) with every command that would reach the host (user
database, systemctl, start-stop-daemon, chown) replaced by a recorder, with and
without systemd running: postinst makes the directories with the unit's
modes, prerm stops Herald, postrm purge leaves nothing. Finally the unpacked
package's herald serves its installed configuration (adapted to the test's
domain and simulator) under a umask of 022, answers a publish from the packaged
herald-publish, and nothing it wrote is readable by other users.

The real install, remove and purge as root: scripts/deb-install-check.sh (CI).

Usage: packaging_deb_test.py BUILD_DIR SOURCE_DIR
"""
import glob
import gzip
import os
import re
import secrets
import shutil
import stat
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


def contents(deb):
    return [l.split()[-1] for l in run(["dpkg-deb", "-c", deb]).stdout.splitlines()]


def field(deb, name):
    out = run(["dpkg-deb", "-f", deb, name])
    assert out.returncode == 0, out
    return out.stdout.rstrip("\n")


def check_packages(server, tools):
    got = contents(server)
    for path in ("./usr/bin/herald", "./lib/systemd/system/herald.service", "./etc/herald/herald.toml",
                 "./usr/lib/sysusers.d/herald.conf", "./usr/share/doc/herald/operations.md",
                 "./usr/share/doc/herald/privacy.md", "./usr/share/doc/herald/protocol.md",
                 "./usr/share/doc/herald/copyright", "./usr/share/doc/herald/changelog.gz",
                 "./usr/share/doc/herald/examples/cluster-node1.toml"):
        assert path in got, (path, got)
    # The server package has no test tools; they are herald-tools' alone.
    assert [p for p in got if p.startswith("./usr/bin/") and not p.endswith("/")] == ["./usr/bin/herald"], got
    tools_got = contents(tools)
    for path in ("./usr/bin/apns-sim", "./usr/bin/fcm-sim", "./usr/bin/herald-publish",
                 "./usr/share/doc/herald-tools/copyright", "./usr/share/doc/herald-tools/changelog.gz"):
        assert path in tools_got, (path, tools_got)
    assert not [p for p in tools_got if p.startswith(("./etc", "./lib"))], tools_got

    for deb, name in ((server, "herald"), (tools, "herald-tools")):
        assert field(deb, "Package") == name
        depends = field(deb, "Depends")
        assert "libc6" in depends and "libssl3" in depends, depends
        description = field(deb, "Description").splitlines()
        # A synopsis line and a long description of several lines, not CMake's default.
        assert "CMake" not in description[0] and len(description) >= 6, description
        # The native changelog names this version.
        x = tempfile.mkdtemp(prefix="herald-deb-x.")
        try:
            run(["dpkg-deb", "-x", deb, x])
            doc = os.path.join(x, "usr/share/doc", name)
            with gzip.open(os.path.join(doc, "changelog.gz"), "rt") as f:
                changelog = f.read()
            assert changelog.startswith("%s (%s) " % ("herald", field(deb, "Version"))), changelog[:80]
            copyright = open(os.path.join(doc, "copyright")).read()
            assert copyright.startswith("Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/")
            for embedded in ("Asio", "Boost.Beast", "CLI11", "nlohmann", "License: BSL-1.0"):
                assert embedded in copyright, embedded
        finally:
            shutil.rmtree(x, ignore_errors=True)
    assert "adduser" in field(server, "Depends")
    assert "herald-tools" in field(server, "Suggests")

    info = run(["dpkg-deb", "-I", server]).stdout
    for member in ("postinst", "prerm", "postrm", "conffiles"):
        assert re.search(r"\b%s\b" % member, info), (member, info)
    assert "/etc/herald/herald.toml" in run(["dpkg-deb", "-I", server, "conffiles"]).stdout
    tools_info = run(["dpkg-deb", "-I", tools]).stdout
    assert not re.search(r"\b(postinst|prerm|postrm)\b", tools_info), tools_info


def unit_settings(unit_text):
    settings = {}
    for line in unit_text.splitlines():
        if "=" in line and not line.startswith("#"):
            k, v = line.split("=", 1)
            settings.setdefault(k, []).append(v)
    return settings


def check_unit(server, d):
    x = os.path.join(d, "x")
    run(["dpkg-deb", "-x", server, x])
    unit = open(os.path.join(x, "lib/systemd/system/herald.service")).read()
    s = unit_settings(unit)
    for key, value in (("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("NoNewPrivileges", "yes"),
                       ("PrivateTmp", "yes"), ("CapabilityBoundingSet", ""), ("LogsDirectory", "herald"),
                       ("StateDirectory", "herald"), ("ConfigurationDirectory", "herald"),
                       ("StandardOutput", "null"), ("ExecReload", "/bin/kill -HUP $MAINPID"),
                       ("UMask", "0027"), ("Restart", "on-failure"),
                       # `herald serve` exits 2 on a configuration it cannot use (main.cc).
                       ("RestartPreventExitStatus", "2")):
        assert s.get(key) == [value], (key, s.get(key))
    # An ExecStartPre failure is restarted whatever RestartPreventExitStatus says.
    assert "ExecStartPre" not in s, s["ExecStartPre"]
    if shutil.which("systemd-analyze"):
        # Checked by systemd itself, with the binary at a path that exists.
        unit_path = os.path.join(d, "herald.service")
        with open(unit_path, "w") as f:
            f.write(unit.replace("/usr/bin/herald", os.path.join(x, "usr/bin/herald")))
        out = run(["systemd-analyze", "verify", unit_path])
        problems = [l for l in (out.stdout + out.stderr).splitlines() if l.strip() and "herald.service" in l]
        assert out.returncode == 0 and not problems, out
    else:
        print("systemd-analyze not installed: unit not verified")
    # The packaged configuration is accepted by the packaged binary.
    out = run([os.path.join(x, "usr/bin/herald"), "check-config", "--syntax-only", "-c",
               os.path.join(x, "etc/herald/herald.toml")])
    assert out.returncode == 0, out
    return s


# Recorders for the commands the maintainer scripts use on the host. Each
# appends its name and arguments to $STUB_LOG; the user database is files in
# $STUB_USERS; dpkg-statoverride reports an override for paths in $STUB_OVERRIDES.
STUBS = {
    "systemctl": "", "start-stop-daemon": "", "chown": "", "chgrp": "", "deb-systemd-helper": "",
    "systemd-sysusers": 'touch "$STUB_USERS/passwd-herald" "$STUB_USERS/group-herald"',
    "adduser": 'touch "$STUB_USERS/passwd-herald" "$STUB_USERS/group-herald"',
    "deluser": 'rm -f "$STUB_USERS/passwd-herald"',
    "userdel": 'rm -f "$STUB_USERS/passwd-herald"',
    "delgroup": 'rm -f "$STUB_USERS/group-herald"',
    "groupdel": 'rm -f "$STUB_USERS/group-herald"',
    "getent": 'test -e "$STUB_USERS/$1-$2"',
    "dpkg-statoverride": 'grep -qxF "$2" "$STUB_OVERRIDES"',
}


class Scripts:
    """The server package's maintainer scripts, run on a root made from the package."""

    def __init__(self, server, d):
        self.d = d
        os.makedirs(d)
        self.control = os.path.join(d, "control")
        assert run(["dpkg-deb", "-e", server, self.control]).returncode == 0
        self.stubs = os.path.join(d, "stubs")
        os.makedirs(self.stubs)
        # The only real commands on the scripts' PATH: none of them reaches beyond the root.
        self.tools = os.path.join(d, "tools")
        os.makedirs(self.tools)
        for name in ("mkdir", "chmod", "rm", "touch", "grep"):
            os.symlink(shutil.which(name), os.path.join(self.tools, name))
        for name, body in STUBS.items():
            path = os.path.join(self.stubs, name)
            with open(path, "w") as f:
                f.write('#!/bin/sh\necho "%s $*" >> "$STUB_LOG"\n%s\n' % (name, body))
            os.chmod(path, 0o755)
        self.n = 0

    def fresh_root(self, server, systemd):
        """A root holding the package's files as dpkg unpacks them (before postinst)."""
        self.n += 1
        self.root = os.path.join(self.d, "root%d" % self.n)
        run(["dpkg-deb", "-x", server, self.root])
        if systemd:
            os.makedirs(os.path.join(self.root, "run/systemd/system"))
        self.users = os.path.join(self.d, "users%d" % self.n)
        os.makedirs(self.users)
        self.overrides = os.path.join(self.d, "overrides%d" % self.n)
        open(self.overrides, "w").close()
        return self.root

    def run(self, script, *args, sysusers=True):
        log = os.path.join(self.d, "calls")
        open(log, "w").close()
        stubs = self.stubs
        if not sysusers:  # a system without systemd-sysusers: adduser makes the user
            stubs = os.path.join(self.d, "stubs-no-sysusers")
            if not os.path.isdir(stubs):
                shutil.copytree(self.stubs, stubs)
                os.remove(os.path.join(stubs, "systemd-sysusers"))
        env = {"PATH": stubs + ":" + self.tools, "DPKG_ROOT": self.root, "STUB_LOG": log,
               "STUB_USERS": self.users, "STUB_OVERRIDES": self.overrides}
        out = subprocess.run(["/bin/sh", os.path.join(self.control, script)] + list(args), env=env,
                             capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, (script, args, out)
        return open(log).read().splitlines()

    def mode(self, path):
        return stat.S_IMODE(os.stat(os.path.join(self.root, path)).st_mode)

    def user_exists(self):
        return os.path.exists(os.path.join(self.users, "passwd-herald"))


def check_maintainer_scripts(server, unit, d):
    m = Scripts(server, os.path.join(d, "scripts"))
    state_mode = int(unit["StateDirectoryMode"][0], 8)
    logs_mode = int(unit["LogsDirectoryMode"][0], 8)
    config_mode = int(unit["ConfigurationDirectoryMode"][0], 8)
    herald_bin = None

    for systemd in (False, True):
        root = m.fresh_root(server, systemd)
        herald_bin = os.path.join(root, "usr/bin/herald")
        calls = m.run("postinst", "configure", "", sysusers=systemd)
        # The user: systemd-sysusers where there is one, else adduser.
        assert m.user_exists(), calls
        assert any(c.startswith("systemd-sysusers " if systemd else "adduser --system --group") for c in calls), calls
        # The directories the service writes exist with the modes the unit gives them.
        assert m.mode("var/lib/herald") == state_mode, oct(m.mode("var/lib/herald"))
        assert m.mode("var/log/herald") == logs_mode, oct(m.mode("var/log/herald"))
        assert m.mode("etc/herald") == config_mode, oct(m.mode("etc/herald"))
        assert m.mode("etc/herald/herald.toml") == 0o640, oct(m.mode("etc/herald/herald.toml"))
        for path, owner in (("var/lib/herald", "herald:herald"), ("var/log/herald", "herald:herald"),
                            ("etc/herald", "root:herald"), ("etc/herald/herald.toml", "root:herald")):
            assert "chown %s %s" % (owner, os.path.join(root, path)) in calls, (path, calls)
        systemctl = [c for c in calls if c.startswith("systemctl")]
        # A first install does not start the service: systemd only rereads its units.
        assert systemctl == (["systemctl --system daemon-reload"] if systemd else []), calls

        # An upgrade restarts a running Herald (under systemd), and keeps a mode the admin set.
        os.chmod(os.path.join(root, "etc/herald/herald.toml"), 0o600)
        with open(m.overrides, "w") as f:
            f.write(os.path.join(root, "etc/herald/herald.toml") + "\n")
        calls = m.run("postinst", "configure", "0.0.9")
        assert m.mode("etc/herald/herald.toml") == 0o600, "a dpkg-statoverride must win"
        assert ("systemctl try-restart herald.service" in calls) == systemd, calls
        assert not [c for c in calls if c.startswith(("adduser", "systemd-sysusers"))], calls

        # prerm upgrade leaves Herald running; prerm remove stops it, with or without systemd.
        assert m.run("prerm", "upgrade", "0.2.0") == []
        calls = m.run("prerm", "remove")
        stop = "start-stop-daemon --stop --quiet --oknodo --retry TERM/30/KILL/5 --user herald --exec " + herald_bin
        assert calls == (["systemctl stop herald.service"] if systemd else []) + [stop], calls

        # What Herald wrote, and an enablement made with `systemctl enable`.
        for f in ("var/lib/herald/herald.sqlite", "var/lib/herald/herald.sqlite-wal", "var/log/herald/herald.log",
                  "var/log/herald/herald.20261101T000000Z.log"):
            open(os.path.join(root, f), "w").close()
        wants = os.path.join(root, "etc/systemd/system/multi-user.target.wants")
        os.makedirs(wants)
        os.symlink("/lib/systemd/system/herald.service", os.path.join(wants, "herald.service"))

        # remove keeps state, logs and the user; purge removes them.
        calls = m.run("postrm", "remove")
        assert os.path.exists(os.path.join(root, "var/lib/herald/herald.sqlite")) and m.user_exists(), calls
        assert calls == (["systemctl --system daemon-reload"] if systemd else []), calls
        calls = m.run("postrm", "purge")
        for gone in ("var/lib/herald", "var/log/herald", "etc/systemd/system/multi-user.target.wants/herald.service"):
            assert not os.path.lexists(os.path.join(root, gone)), (gone, calls)
        assert not m.user_exists() and not os.path.exists(os.path.join(m.users, "group-herald")), calls
        assert "deluser --system --quiet herald" in calls, calls
    print("maintainer scripts: postinst, prerm, postrm behave with and without systemd")


def smoke_test_installed(deb, tools_deb, d):
    """The packages' own binaries and configuration, unpacked into a root: the
    installed herald.toml (paths moved under the root, the test's domain,
    certificates and simulator) serves under umask 022, the packaged
    herald-publish's publish is answered with a result after a push reached the
    packaged apns-sim, and every file and directory Herald made is closed to others."""
    root = os.path.join(d, "root")
    run(["dpkg-deb", "-x", deb, root])
    run(["dpkg-deb", "-x", tools_deb, root])
    procs = harness.Procs()
    try:
        pki = harness.Pki(os.path.join(d, "pki"))
        os.makedirs(os.path.join(d, "sim"))
        sim = harness.ApnsSim(procs, os.path.join(root, "usr/bin/apns-sim"), os.path.join(d, "sim"), pki,
                              ["org.example.app"])
        ip = harness.free_loopback_ip(ports=(5269,))
        publisher_ip = harness.free_loopback_ip(ports=(5269,))
        etc = os.path.join(root, "etc/herald")
        cert, key = pki.issue("push.test")
        shutil.copy(cert, os.path.join(etc, "push.test.crt"))
        shutil.copy(key, os.path.join(etc, "push.test.key"))
        shutil.copy(sim.p8, os.path.join(etc, "AuthKey_%s.p8" % sim.key_id))
        config = os.path.join(etc, "herald.toml")
        text = open(config).read()
        # Android needs fcm-sim and a service account: this smoke test is about the package.
        text = re.sub(r'\n\[\[push\.module\]\]\nname = "example-android".*', "\n", text, flags=re.S)
        state, logs = os.path.join(root, "var/lib/herald"), os.path.join(root, "var/log/herald")
        for old, new in (("/etc/herald/", etc + "/"), ("/var/lib/herald", state), ("/var/log/herald", logs),
                         ("push.example.org", "push.test"), ("ABCDE12345", sim.team_id),
                         ("KEYID12345", sim.key_id),
                         ('listen = ["0.0.0.0:5269", "[::]:5269"]', 'listen = ["%s:5269"]\nca_file = "%s"' % (ip, pki.ca)),
                         ('environment = "production"', 'environment = "production"\nendpoint = "127.0.0.1:%d"\n'
                          'ca_file = "%s"' % (sim.port, pki.ca))):
            assert old in text, old
            text = text.replace(old, new)
        text += '\n[s2s.routes]\n"user.test" = "%s:5269"\n' % publisher_ip
        with open(config, "w") as f:
            f.write(text)
        # As started by hand, outside systemd (whose unit would set UMask=0027).
        herald = procs.start(["/bin/sh", "-c", 'umask 022 && exec "$0" serve -c "$1"',
                              os.path.join(root, "usr/bin/herald"), config], os.path.join(d, "herald.out"))
        harness.wait_tcp(ip, 5269, 20, herald, "the packaged herald")
        ucert, ukey = pki.issue("user.test")
        token = secrets.token_hex(32)
        out = run([os.path.join(root, "usr/bin/herald-publish"), "--domain", "user.test",
                   "--listen", "%s:5269" % publisher_ip, "--cert", ucert, "--key", ukey, "--ca", pki.ca,
                   "--to", "push.test", "--route", "push.test=%s:5269" % ip, "--token", token,
                   "--module", "example-ios", "--timeout", "20"])
        assert out.returncode == 0 and "type=\"result\"" in out.stdout.replace("'", '"'), out
        assert [r for r in sim.requests() if r["token"] == token and r["status"] == 200], sim.requests()
        line = "publish from user.test module example-ios outcome delivered"
        log_file = os.path.join(logs, "herald.log")
        harness.wait_for(lambda: line in open(log_file).read(), 5, "the delivered outcome in herald.log")
        written = [state, logs] + glob.glob(os.path.join(state, "*")) + glob.glob(os.path.join(logs, "*"))
        assert os.path.join(state, "herald.sqlite") in written and log_file in written, written
        open_to_others = ["%s %o" % (p, stat.S_IMODE(os.stat(p).st_mode)) for p in written
                          if os.stat(p).st_mode & 0o007]
        assert not open_to_others, "readable by other users: %s" % open_to_others
        print("packaged herald served its installed configuration: %s" % out.stdout.strip()[:120])
        print("files it wrote: %s" % ", ".join("%s %o" % (os.path.relpath(p, root), stat.S_IMODE(os.stat(p).st_mode))
                                               for p in written))
    finally:
        procs.stop_all()


def main():
    build = sys.argv[1]
    d = tempfile.mkdtemp(prefix="herald-deb.")
    ok = False
    try:
        out = run(["cpack", "-G", "DEB", "--config", os.path.join(build, "CPackConfig.cmake"), "-B", d])
        assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
        debs = sorted(f for f in os.listdir(d) if f.endswith(".deb"))
        assert len(debs) == 2 and debs[0].startswith("herald-tools_") and debs[1].startswith("herald_"), debs
        tools, server = (os.path.join(d, f) for f in debs)
        check_packages(server, tools)
        unit = check_unit(server, d)
        check_maintainer_scripts(server, unit, d)
        smoke_test_installed(server, tools, d)
        ok = True
        print("packaging_deb: %s" % ", ".join("%s (%d bytes)" % (f, os.path.getsize(os.path.join(d, f)))
                                             for f in debs))
    finally:
        if ok:
            shutil.rmtree(d, ignore_errors=True)
        else:
            print("files kept in", d)


if __name__ == "__main__":
    main()
