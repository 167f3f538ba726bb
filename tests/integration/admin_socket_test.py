"""The operator's commands reach a running Herald (its admin socket, docs/operations.md): no restart.

1. A token apns-sim reports dead is tombstoned: Herald refuses it without asking APNs.
   `herald tombstones list` prints it as sha256:PREFIX; `herald tombstones clear sha256:PREFIX`
   (what list printed) clears it in the store and in the running server: the next publish for that
   token reaches apns-sim again. The same with the token itself, and with `herald gdpr erase --token`.
2. `herald gdpr erase --node N` of a v1 registration: the running server answers the node's next
   publish cancel/item-not-found.
3. The socket is data_dir/herald.sock, mode 0600; another user cannot connect; when Herald stops it
   is gone and the commands say no Herald runs.

Usage: admin_socket_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import hashlib
import os
import pwd
import secrets
import signal
import stat
import subprocess
import sys
import urllib.parse
import urllib.request

import harness
import raw_s2s as r

HTTP_PORT = 5280
DEAD = [secrets.token_hex(32) for _ in range(3)]


def main():
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("admin_socket: terminated"))
    td = harness.TestDir("admin-socket")
    env = None
    ok = False
    try:
        http_ip = harness.free_loopback_ip(ports=(HTTP_PORT,))
        extra = 'rate_limit_window = 0\n\n[v1]\nenabled = true\nlisten = ["%s:%d"]\n' % (http_ip, HTTP_PORT)
        env = r.HostileEnv("admin-socket", sys.argv, extra=extra, td=td,
                           sim_args=sum((["--token", t + "=dead"] for t in DEAD), []))
        harness.wait_tcp(http_ip, HTTP_PORT, 10, env.herald.proc, "herald v1 http")
        herald_bin, config = sys.argv[1], env.herald.config

        def herald(*args):
            return subprocess.run([herald_bin] + list(args) + ["-c", config], capture_output=True, text=True,
                                  timeout=60)

        s = env.authenticated()

        def publish(tok, **kw):
            return r.iq_error(env.publish(s, tok, **kw))

        def asked(tok):
            return len([q for q in env.sim.requests() if q["token"] == tok])

        def tombstoned(tok):
            """Dead at apns-sim, then refused by Herald itself."""
            assert publish(tok) == ("cancel", "item-not-found")
            assert publish(tok) == ("cancel", "item-not-found")
            assert asked(tok) == 1, "the second publish must not reach APNs: %d" % asked(tok)

        # 1. Cleared by the token itself: the running Herald asks APNs again at once.
        for tok in DEAD:
            tombstoned(tok)
        cleared = herald("tombstones", "clear", DEAD[2])
        assert cleared.returncode == 0, cleared
        assert publish(DEAD[2]) == ("cancel", "item-not-found")  # apns-sim still says dead...
        assert asked(DEAD[2]) == 2, "...but Herald must ask it again: asked %d time(s)" % asked(DEAD[2])
        print("PASS tombstones clear TOKEN: the running Herald asks APNs again", flush=True)

        # list prints what clear accepts: sha256:PREFIX, and the log's 8-digit fingerprint.
        prefix = "sha256:" + hashlib.sha256(DEAD[0].encode()).hexdigest()[:16]
        harness.wait_for(lambda: prefix in herald("tombstones", "list").stdout, 10, "the tombstones in the store")
        listed = herald("tombstones", "list")
        assert listed.returncode == 0 and listed.stdout.count("sha256:") == len(DEAD), listed
        cleared = herald("tombstones", "clear", prefix)
        assert cleared.returncode == 0, cleared
        assert "the running Herald forgot it" in cleared.stdout, cleared.stdout
        assert publish(DEAD[0]) == ("cancel", "item-not-found") and asked(DEAD[0]) == 2
        fingerprint = "sha256:" + hashlib.sha256(DEAD[1].encode()).hexdigest()[:8]
        assert herald("tombstones", "clear", fingerprint).returncode == 0
        assert publish(DEAD[1]) == ("cancel", "item-not-found") and asked(DEAD[1]) == 2
        print("PASS tombstones clear sha256:PREFIX as listed, and the log's fingerprint", flush=True)
        bad = herald("tombstones", "clear", "sha256:12")
        assert bad.returncode == 2, bad
        none = herald("tombstones", "clear", "sha256:" + "0" * 16)
        assert none.returncode == 1 and "no tombstone" in none.stdout, none

        # gdpr erase --token forgets the running server's tombstone too (DEAD[0] is buried again).
        harness.wait_for(lambda: prefix in herald("tombstones", "list").stdout, 10, "DEAD[0] buried again")
        erased = herald("gdpr", "erase", "--token", DEAD[0])
        assert erased.returncode == 0 and "erased tombstone" in erased.stdout, erased
        assert publish(DEAD[0]) == ("cancel", "item-not-found") and asked(DEAD[0]) == 3
        print("PASS gdpr erase --token: the running Herald forgets the tombstone", flush=True)

        # 2. gdpr erase --node of a v1 registration.
        token = r.token()
        body = urllib.parse.urlencode({"type": "apns", "node": "adm-" + secrets.token_hex(6), "token": token})
        with urllib.request.urlopen("http://%s:%d/v1/register" % (http_ip, HTTP_PORT), data=body.encode(),
                                    timeout=20) as resp:
            lines = resp.read().decode().split("\n")
        node, secret = lines[1], lines[2]
        v1 = dict(module=None, extra_options=r.field("secret", secret))
        assert publish(node, **v1) == ("result", None)
        erased = herald("gdpr", "erase", "--node", node)
        assert erased.returncode == 0 and "erased registration" in erased.stdout, erased
        assert publish(node, **v1) == ("cancel", "item-not-found")
        shown = herald("gdpr", "show", "--node", node)
        assert shown.returncode == 1 and "nothing held" in shown.stdout, shown
        print("PASS gdpr erase --node: the running Herald answers the node's next publish item-not-found",
              flush=True)

        # 3. The socket: owner only.
        sock = os.path.join(env.herald.d, "herald.sock")
        mode = os.stat(sock).st_mode
        assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600, oct(mode)
        if os.geteuid() == 0:
            nobody = pwd.getpwnam("nobody")
            probe = subprocess.run(["runuser", "-u", nobody.pw_name, "--", sys.executable, "-c",
                                    "import socket; s = socket.socket(socket.AF_UNIX); s.connect(%r)" % sock],
                                   capture_output=True, text=True, timeout=20)
            assert probe.returncode != 0 and "Permission denied" in probe.stderr, probe
            print("PASS another user cannot connect to the admin socket", flush=True)
        env.procs.stop(env.herald.proc)
        assert not os.path.exists(sock), "the socket must go with the server"
        after = herald("tombstones", "clear", DEAD[1])
        assert "no running Herald" in after.stdout, after
        print("PASS the socket is removed when Herald stops; commands then work on the store alone", flush=True)
        ok = True
    except Exception:  # noqa: BLE001
        import traceback
        traceback.print_exc()
    finally:
        print("admin_socket: %s" % ("passed" if ok else "FAILED"), flush=True)
        if env:
            env.close(ok)
        else:
            td.close()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
