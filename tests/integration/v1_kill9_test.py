"""Kill -9 of Herald during a burst of v1 registrations (embedded SQLite store).

200 registrations are POSTed to /push_appserver/v1/register from a pool of
threads; once some have been answered, Herald gets SIGKILL while the rest
are in flight or queued. Herald is then started again on the same data
directory (it must open and migrate the file the kill left behind, and serve
a new registration), stopped, and every registration that was answered
`200 OK` must be in the store with the token it was registered with: checked
for all of them by reading the SQLite file read-only, and for a sample with
`herald gdpr show --node N`, as an operator would.

Usage: v1_kill9_test.py HERALD_BINARY APNS_SIM_BINARY
"""
import concurrent.futures
import os
import secrets
import signal
import sqlite3
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
import uuid

import harness

TOPIC = "org.example.herald"
MODULE = "example-ios"
HTTP_PORT = 5280
TOTAL = 200
WORKERS = 16
KILL_AFTER = 30  # answered registrations before the kill


def register(ip, node, token):
    """Returns (node, secret) when Herald answered 200 OK, else None."""
    body = urllib.parse.urlencode({"type": "apns", "node": node, "token": token}).encode()
    try:
        with urllib.request.urlopen("http://%s:%d/push_appserver/v1/register" % (ip, HTTP_PORT),
                                    data=body, timeout=20) as r:
            lines = r.read().decode().split("\n")
            if r.status == 200 and lines[0] == "OK":
                return lines[1], lines[2]
    except (OSError, urllib.error.URLError, ValueError):
        pass  # killed mid-request, refused, reset: not answered
    return None


def main():
    herald_bin, sim_bin = sys.argv[1], sys.argv[2]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit("v1_kill9: terminated"))
    td = harness.TestDir("v1-kill9")
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        ip = harness.free_loopback_ip(ports=(5269, HTTP_PORT))
        sim = harness.ApnsSim(procs, sim_bin, td.sub("apns-sim"), pki, [TOPIC])
        herald_dir = td.sub("herald")

        def start_herald():
            h = harness.Herald(procs, herald_bin, herald_dir, "push.test", ip, pki, routes={},
                               extra='\n[v1]\nenabled = true\nlisten = ["%s:%d"]\n' % (ip, HTTP_PORT),
                               modules=[{"name": MODULE, "topic": TOPIC, "endpoint": "127.0.0.1:%d" % sim.port,
                                         "ca_file": pki.ca, "team_id": sim.team_id, "key_id": sim.key_id,
                                         "key_file": sim.p8}])
            harness.wait_tcp(ip, HTTP_PORT, 20, h.proc, "herald v1 http")
            return h

        herald = start_herald()
        wanted = {str(uuid.uuid4()): secrets.token_hex(32) for _ in range(TOTAL)}
        answered = {}  # node -> token, for every 200 OK
        lock = threading.Lock()
        killed = threading.Event()

        def one(node, token):
            got = register(ip, node, token)
            if got is None:
                return
            assert got[0] == node, "Herald must keep the client's node"
            with lock:
                answered[node] = token
                if len(answered) >= KILL_AFTER and not killed.is_set():
                    killed.set()
                    os.kill(herald.proc.pid, signal.SIGKILL)

        with concurrent.futures.ThreadPoolExecutor(WORKERS) as pool:
            for f in [pool.submit(one, n, t) for n, t in wanted.items()]:
                f.result()
        assert killed.is_set(), "only %d of %d answered: Herald was never killed" % (len(answered), TOTAL)
        herald.proc.wait(timeout=10)
        assert herald.proc.returncode == -signal.SIGKILL, herald.proc.returncode
        unanswered = TOTAL - len(answered)
        assert unanswered > 0, "the kill came after the burst, not during it"
        print("v1_kill9: %d answered before SIGKILL, %d not" % (len(answered), unanswered))

        # Herald starts again on what the kill left and still serves.
        herald = start_herald()
        late_node, late_token = str(uuid.uuid4()), secrets.token_hex(32)
        late = register(ip, late_node, late_token)
        assert late is not None and late[0] == late_node, "Herald must serve registrations after the restart"
        procs.stop(herald.proc)

        db_path = os.path.join(herald_dir, "herald.sqlite")
        db = sqlite3.connect("file:%s?mode=ro" % db_path, uri=True)
        stored = dict(db.execute("SELECT node, token FROM registrations").fetchall())
        db.close()
        missing = [n for n in answered if n not in stored]
        assert not missing, "%d answered registrations lost by kill -9 (of %d)" % (len(missing), len(answered))
        wrong = [n for n, t in answered.items() if stored[n] != t]
        assert not wrong, "%d answered registrations hold another token" % len(wrong)
        assert set(stored) <= set(wanted) | {late_node}, "rows nobody registered"
        assert late_node in stored, "a registration after the restart should be stored"

        for node in list(answered)[:3] + list(answered)[-2:]:
            out = subprocess.run([herald_bin, "gdpr", "show", "--node", node, "-c", herald.config],
                                 capture_output=True, text=True, timeout=30)
            assert out.returncode == 0 and answered[node] in out.stdout, (node, out.stdout, out.stderr)
        td.ok = True
        print("v1_kill9: passed (%d answered, %d stored)" % (len(answered), len(stored)))
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
