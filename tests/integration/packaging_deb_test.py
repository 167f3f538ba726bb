"""The .deb: cpack -G DEB from the build tree, then dpkg-deb shows the binaries,
the systemd unit, the example configuration as a conffile, the sysusers file
and a postinst; systemd-analyze verify accepts the unit (when installed); and
the unpacked package's herald serves with its installed configuration
(adapted to the test's domain and simulator) and answers a publish.

Usage: packaging_deb_test.py BUILD_DIR SOURCE_DIR
"""
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, **kw)


def smoke_test_installed(deb, d):
    """The package's own binaries and configuration, unpacked into a root: the
    installed herald.toml (paths moved under the root, the test's domain,
    certificates and simulator) serves, and the packaged herald-publish's
    publish is answered with a result after a push reached the packaged apns-sim."""
    root = os.path.join(d, "root")
    run(["dpkg-deb", "-x", deb, root])
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
        for old, new in (("/etc/herald/", etc + "/"), ("/var/lib/herald", os.path.join(root, "var/lib/herald")),
                         ("/var/log/herald", os.path.join(root, "var/log/herald")),
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
        herald = procs.start([os.path.join(root, "usr/bin/herald"), "serve", "-c", config],
                             os.path.join(d, "herald.out"))
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
        log_file = os.path.join(root, "var/log/herald/herald.log")
        harness.wait_for(lambda: line in open(log_file).read(), 5, "the delivered outcome in herald.log")
        print("packaged herald served its installed configuration: %s" % out.stdout.strip()[:120])
    finally:
        procs.stop_all()


def main():
    build, source = sys.argv[1], sys.argv[2]
    d = tempfile.mkdtemp(prefix="herald-deb.")
    ok = False
    try:
        out = run(["cpack", "-G", "DEB", "--config", os.path.join(build, "CPackConfig.cmake"), "-B", d])
        assert out.returncode == 0, out.stdout[-2000:] + out.stderr[-2000:]
        debs = [f for f in os.listdir(d) if f.endswith(".deb")]
        assert len(debs) == 1, os.listdir(d)
        deb = os.path.join(d, debs[0])
        contents = run(["dpkg-deb", "-c", deb]).stdout
        for path in ("./usr/bin/herald", "./usr/bin/apns-sim", "./usr/bin/fcm-sim", "./usr/bin/herald-publish",
                     "./lib/systemd/system/herald.service", "./etc/herald/herald.toml",
                     "./usr/lib/sysusers.d/herald.conf", "./usr/share/doc/herald/operations.md",
                     "./usr/share/doc/herald/examples/cluster-node1.toml"):
            assert re.search(r" %s$" % re.escape(path), contents, re.M), (path, contents)
        info = run(["dpkg-deb", "-I", deb]).stdout
        assert "Package: herald" in info, info
        depends = re.search(r"^ Depends: (.*)$", info, re.M)
        assert depends and "libc6" in depends.group(1) and "libssl3" in depends.group(1), info
        for member in ("postinst", "conffiles"):
            assert re.search(r"\b%s\b" % member, info), (member, info)
        conffiles = run(["dpkg-deb", "-I", deb, "conffiles"]).stdout
        assert "/etc/herald/herald.toml" in conffiles, conffiles

        # The unit as installed, checked by systemd itself with the binary at a path that exists.
        if shutil.which("systemd-analyze"):
            x = os.path.join(d, "x")
            run(["dpkg-deb", "-x", deb, x])
            unit = open(os.path.join(x, "lib/systemd/system/herald.service")).read()
            unit = unit.replace("/usr/bin/herald", os.path.join(x, "usr/bin/herald"))
            unit_path = os.path.join(d, "herald.service")
            with open(unit_path, "w") as f:
                f.write(unit)
            out = run(["systemd-analyze", "verify", unit_path])
            problems = [l for l in (out.stdout + out.stderr).splitlines()
                        if l.strip() and "herald.service" in l]
            assert out.returncode == 0 and not problems, out
            for setting in ("ProtectSystem=strict", "ProtectHome=yes", "NoNewPrivileges=yes", "PrivateTmp=yes",
                            "CapabilityBoundingSet=\n", "LogsDirectory=herald", "StateDirectory=herald",
                            "StandardOutput=null", "ExecReload=/bin/kill -HUP $MAINPID"):
                assert setting in unit, setting
            # The packaged configuration is accepted by the packaged binary.
            out = run([os.path.join(x, "usr/bin/herald"), "check-config", "--syntax-only", "-c",
                       os.path.join(x, "etc/herald/herald.toml")])
            assert out.returncode == 0, out
        else:
            print("systemd-analyze not installed: unit not verified")
        smoke_test_installed(deb, d)
        ok = True
        print("packaging_deb: %s (%d bytes)" % (debs[0], os.path.getsize(deb)))
    finally:
        if ok:
            shutil.rmtree(d, ignore_errors=True)
        else:
            print("files kept in", d)


if __name__ == "__main__":
    main()
