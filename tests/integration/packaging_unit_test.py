"""herald.service under a real systemd: the lines of the packaged unit that
decide how Herald is started, restarted, reloaded and stopped (every Exec*
line, Type, Restart, RestartSec, RestartPreventExitStatus, UMask) run in
`systemd --user`, Debian's systemd 252, in a private mount namespace (it
starts only where /run/systemd/system exists; the namespace gives it one
without touching the machine's). The user, sandbox and directory lines need
the system manager; packaging_deb checks them with systemd-analyze.

1. A configuration Herald cannot use (an unknown key): the unit fails with
   exit status 2 and is not restarted (NRestarts stays 0 for twice RestartSec).
   With an ExecStartPre=check-config it would be restarted forever.
2. A start-up failure that can clear by itself (the s2s address is taken):
   restarted every RestartSec, and active once the address is free.
3. Then: `systemctl reload` reaches Herald (its log says SIGHUP), and
   `systemctl stop` ends it cleanly.

Needs root (the mount namespace); exits 77 (skipped) otherwise.
Usage: packaging_unit_test.py HERALD_BINARY SOURCE_DIR
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

import harness

KEEP = ("Type", "ExecStartPre", "ExecStart", "ExecStartPost", "ExecReload", "ExecStop", "Restart",
        "RestartSec", "RestartPreventExitStatus", "UMask")


def user_unit(packaged, herald_bin, config, stderr):
    lines = ["[Unit]", "Description=herald.service's start/restart/reload/stop lines", "[Service]"]
    for line in packaged.splitlines():
        key = line.split("=", 1)[0]
        if key in KEEP:
            lines.append(line.replace("/usr/bin/herald", herald_bin)
                         .replace("/etc/herald/herald.toml", config))
    return "\n".join(lines + ["StandardError=append:" + stderr, ""])


class UserManager:
    """systemd --user in its own mount namespace; systemctl runs inside it (nsenter)."""

    def __init__(self, procs, d):
        self.procs, self.d = procs, d
        self.env = dict(os.environ, XDG_RUNTIME_DIR=os.path.join(d, "run"),
                        XDG_CONFIG_HOME=os.path.join(d, "config"), HOME=d)
        os.makedirs(self.env["XDG_RUNTIME_DIR"], mode=0o700)
        self.units = os.path.join(self.env["XDG_CONFIG_HOME"], "systemd", "user")
        os.makedirs(self.units)
        inner = "mount -t tmpfs tmpfs /run/systemd && mkdir /run/systemd/system && exec /lib/systemd/systemd --user"
        self.proc = procs.start(["unshare", "--mount", "--propagation", "private", "sh", "-c", inner],
                                os.path.join(d, "systemd.out"), env=self.env)
        harness.wait_for(lambda: self.systemctl("is-system-running", check=False).stdout.strip() == "running",
                         20, "systemd --user to run")

    def systemctl(self, *args, check=True):
        out = subprocess.run(["nsenter", "--target", str(self.proc.pid), "--mount", "--", "systemctl", "--user"]
                             + list(args), env=self.env, capture_output=True, text=True, timeout=30)
        if check:
            assert out.returncode == 0, (args, out)
        return out

    def show(self, unit):
        out = self.systemctl("show", "-p", "ActiveState,SubState,Result,NRestarts,ExecMainStatus,MainPID", unit)
        return dict(l.split("=", 1) for l in out.stdout.splitlines() if "=" in l)

    def install(self, name, text):
        with open(os.path.join(self.units, name), "w") as f:
            f.write(text)

    def close(self, units):
        pids = []
        for u in units:
            pid = int(self.show(u).get("MainPID", "0") or 0)
            if pid:
                pids.append(pid)
            self.systemctl("stop", u, check=False)
        self.systemctl("exit", check=False)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            pass
        self.procs.stop(self.proc)
        for pid in pids:  # units run in sessions of their own, outside the manager's group
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


def config(d, pki, ip, extra=""):
    cert, key = pki.issue("push.test")
    p8, _ = pki.apns_auth_key()
    path = os.path.join(d, "herald.toml")
    with open(path, "w") as f:
        f.write("""[server]
domain = "push.test"
data_dir = "%s"
%s
[log]
file = "%s/herald.log"

[s2s]
listen = ["%s:5269"]
certificate = "%s"
key = "%s"

[[push.module]]
name = "ios"
topic = "org.example.app"
endpoint = "127.0.0.1:9"
team_id = "TEAM123456"
key_id = "KEY1234567"
key_file = "%s"
""" % (d, extra, d, ip, cert, key, p8))
    return path


def main():
    herald_bin, source = sys.argv[1], sys.argv[2]
    if os.geteuid() != 0 or not shutil.which("unshare") or not shutil.which("nsenter") \
            or not os.path.exists("/lib/systemd/systemd") or not os.path.isdir("/run/systemd"):
        print("skipped: needs root, unshare, nsenter and systemd")
        sys.exit(77)
    packaged = open(os.path.join(source, "packaging", "herald.service")).read()
    restart_sec = int([l for l in packaged.splitlines() if l.startswith("RestartSec=")][0][11:].rstrip("s"))
    td = harness.TestDir("unit")
    procs = harness.Procs()
    manager = None
    blocker = None
    try:
        pki = harness.Pki(td.sub("pki"))
        bad_dir, good_dir = td.sub("bad"), td.sub("good")
        bad = config(bad_dir, pki, harness.free_loopback_ip(ports=(5269,)), extra='no_such_key = 1')
        ip = harness.free_loopback_ip(ports=(5269,))
        good = config(good_dir, pki, ip)
        # The address is taken: Herald cannot listen, a failure that may clear by itself.
        blocker = socket.socket()
        blocker.bind((ip, 5269))
        blocker.listen()

        manager = UserManager(procs, td.sub("systemd"))
        manager.install("herald-bad.service", user_unit(packaged, herald_bin, bad, os.path.join(bad_dir, "stderr")))
        manager.install("herald-busy.service", user_unit(packaged, herald_bin, good, os.path.join(good_dir, "stderr")))
        manager.systemctl("daemon-reload")
        manager.systemctl("start", "--no-block", "herald-bad.service", "herald-busy.service")

        time.sleep(2 * restart_sec + 1)
        bad_state = manager.show("herald-bad.service")
        assert (bad_state["ActiveState"], bad_state["Result"], bad_state["ExecMainStatus"], bad_state["NRestarts"]) \
            == ("failed", "exit-code", "2", "0"), bad_state
        assert "no_such_key" in open(os.path.join(bad_dir, "stderr")).read()
        busy = manager.show("herald-busy.service")
        assert int(busy["NRestarts"]) >= 1 and busy["ActiveState"] != "failed", busy
        print("bad configuration: %s, exit status %s, %s restarts; address taken: %s restarts so far"
              % (bad_state["ActiveState"], bad_state["ExecMainStatus"], bad_state["NRestarts"], busy["NRestarts"]))

        blocker.close()
        blocker = None
        harness.wait_for(lambda: manager.show("herald-busy.service")["ActiveState"] == "active",
                         restart_sec + 10, "herald-busy.service active once its address is free")
        harness.wait_tcp(ip, 5269, 10, what="herald under systemd")
        restarts = manager.show("herald-busy.service")["NRestarts"]
        manager.systemctl("reload", "herald-busy.service")
        log = os.path.join(good_dir, "herald.log")
        harness.wait_for(lambda: "signal SIGHUP" in open(log).read(), 10, "SIGHUP in Herald's log")
        manager.systemctl("stop", "herald-busy.service")
        stopped = manager.show("herald-busy.service")
        assert (stopped["ActiveState"], stopped["Result"]) == ("inactive", "success"), stopped
        assert "herald stopped" in open(log).read()
        print("address freed: active after %s restarts; reload reached Herald; stop: %s"
              % (restarts, stopped["Result"]))
        td.ok = True
    finally:
        if blocker:
            blocker.close()
        if manager:
            manager.close(["herald-bad.service", "herald-busy.service"])
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
