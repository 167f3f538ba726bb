"""Disk full for the log directory: Herald's log file sits on a 64 KiB tmpfs
that the test fills up. Publishes must still be answered and pushed (once
each), and a new peer still served. Needs root (mount); exits 77 (skipped)
otherwise, saying so.

Usage: fault_disk_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import os
import secrets
import subprocess
import sys

import harness
import raw_s2s as r


def main():
    if os.geteuid() != 0:
        print("fault_disk: skipped: needs root to mount a tmpfs for the log directory")
        sys.exit(77)
    td = harness.TestDir("fault-disk")
    logs = td.sub("logs")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", logs], check=True)
    env = None
    results = []
    ok = False

    def check(name, cond, detail=""):
        results.append(cond)
        print("%s %-55s %s" % ("PASS" if cond else "FAIL", name, detail), flush=True)

    try:
        env = r.HostileEnv("fault-disk", sys.argv, log_dir=logs, td=td)
        env.control()
        # Fill the file system: what is left of it goes to a filler file.
        fd = os.open(os.path.join(logs, "filler"), os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            while os.write(fd, b"x" * 1024):
                pass
        except OSError:
            pass
        finally:
            os.close(fd)
        st = os.statvfs(logs)
        check("log directory full", st.f_bavail == 0, "%d blocks free" % st.f_bavail)
        s = env.authenticated()
        toks = [secrets.token_hex(32) for _ in range(30)]
        replies = [r.iq_error(env.publish(s, t)) for t in toks]
        check("30 publishes with the log disk full: all results", all(x == ("result", None) for x in replies),
              str([x for x in replies if x != ("result", None)][:3]))
        reqs = env.sim.requests()
        check("each pushed exactly once", all(len([q for q in reqs if q["token"] == t]) == 1 for t in toks))
        s.close()
        env.control()
        check("a new peer is still served", env.alive())
        os.unlink(os.path.join(logs, "filler"))
        env.control()
        check("served again after space is freed", env.alive())
        ok = all(results)
    except Exception as e:  # noqa: BLE001
        import traceback
        traceback.print_exc()
        check("fault_disk ran to the end", False, str(e))
    finally:
        print("fault_disk: %d/%d checks passed" % (sum(results), len(results)), flush=True)
        if env:
            env.procs.stop_all()
        subprocess.run(["umount", "-l", logs])
        td.ok = ok
        td.close()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
