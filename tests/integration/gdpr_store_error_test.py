"""A store that fails is an error for the operator's commands, never "nothing held".

The SQLite store is created by Herald, then broken behind its back (a table dropped, as a damaged or
hand-edited file would be): `herald gdpr show --token`, `gdpr show --node`, `gdpr erase` and
`tombstones list` must exit 3 with "store error", and must not claim that nothing is held.

Usage: gdpr_store_error_test.py HERALD_BINARY
"""
import os
import sqlite3
import subprocess
import sys

import harness


def main():
    herald_bin = sys.argv[1]
    td = harness.TestDir("gdpr-store-error")
    ok = False
    try:
        d = td.sub("herald")
        pki = harness.Pki(td.sub("pki"))
        cert, key = pki.issue("push.test")
        p8, _ = pki.apns_auth_key()
        config = os.path.join(d, "herald.toml")
        with open(config, "w") as f:
            f.write('[server]\ndomain = "push.test"\ndata_dir = "%s"\n\n[s2s]\ncertificate = "%s"\nkey = "%s"\n'
                    '\n[[push.module]]\nname = "ios"\ntopic = "org.example.app"\nteam_id = "TEAM123456"\n'
                    'key_id = "KEY1234567"\nkey_file = "%s"\n' % (d, cert, key, p8))

        def herald(*args):
            return subprocess.run([herald_bin] + list(args) + ["-c", config], capture_output=True, text=True,
                                  timeout=60)

        first = herald("gdpr", "show", "--token", "ab" * 32)
        assert first.returncode == 1 and "nothing held" in first.stdout, first  # a healthy, empty store
        db = sqlite3.connect(os.path.join(d, "herald.sqlite"))
        db.execute("DROP TABLE registrations")
        db.execute("DROP TABLE tombstones")
        db.commit()
        db.close()
        for args in (("gdpr", "show", "--token", "ab" * 32), ("gdpr", "show", "--node", "n1"),
                     ("gdpr", "erase", "--token", "ab" * 32), ("tombstones", "list")):
            out = herald(*args)
            assert out.returncode == 3, (args, out)
            assert "store error" in out.stderr, (args, out)
            assert "nothing held" not in out.stdout and "0 tombstone(s)" not in out.stdout, (args, out)
            print("PASS %-40s exit 3: %s" % (" ".join(args[:3]), out.stderr.strip()), flush=True)
        ok = True
    except Exception:  # noqa: BLE001
        import traceback
        traceback.print_exc()
    finally:
        print("gdpr_store_error: %s" % ("passed" if ok else "FAILED"), flush=True)
        td.ok = ok
        td.close()
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
