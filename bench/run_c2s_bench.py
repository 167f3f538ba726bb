#!/usr/bin/python3
"""Runs the c2s benchmarks (bench/c2s.md): the same load from herald-c2s-loadgen
against Prosody 0.12 and herald-home, one after the other in one run, and prints
each server's figures and their ratio.

  run_c2s_bench.py --build BUILD_DIR --out FILE [--server prosody,herald-home]
                   [--only idle,messages,logins] [--smoke] [--idle-counts 1000,10000] ...

Benchmarks: idle (server RSS per idle authenticated TLS session), messages
(one-to-one chat messages per second between online users, with the server's
CPU per message), logins (SCRAM-SHA-256 logins per second with a roster
fetch, every user having --roster-size contacts). Each run gets a fresh
server with its own users on a random loopback address. --smoke shortens
everything to seconds and checks that each figure is present and non-zero
(exit status 1 otherwise); that is what CTest runs.
"""
import argparse
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import run_bench  # noqa: E402  (raise_fd_limit, run_each; harness: Pki, Procs, free_loopback_ip, wait_tcp)
from run_bench import harness  # noqa: E402

DOMAIN = "bench.test"
PASSWORD = "bench-password"
PREFIX = "user"
ITERATIONS = 10000  # Prosody 0.12's default_iteration_count


def scram_sha256_keys(password, salt, iterations):
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    client_key = hmac.new(salted, b"Client Key", hashlib.sha256).digest()
    return hashlib.sha256(client_key).hexdigest(), hmac.new(salted, b"Server Key", hashlib.sha256).hexdigest()


def contacts(i, users, size):
    """A symmetric ring: user i's contacts are i±1 … i±size/2 (each relation exists on both sides)."""
    half = size // 2
    return sorted({(i + d) % users for d in range(-half, half + 1) if d and (i + d) % users != i})


def prosody_escape(s):
    """util/datamanager.lua's encode(): every non-alphanumeric byte as %xx."""
    return "".join(c if c.isascii() and c.isalnum() else "%%%02x" % ord(c) for c in s)


PROSODY_CFG = """
{run_as_root}
pidfile = "{d}/prosody.pid"
data_path = "{d}/data"
log = {{ {{ levels = {{ min = "{log_level}" }}, to = "file", filename = "{d}/prosody.log" }} }}
network_backend = "epoll"
interfaces = {{ "{ip}" }}
c2s_ports = {{ 5222 }}
c2s_direct_tls_ports = {{ }}
s2s_ports = {{ }}
s2s_direct_tls_ports = {{ }}
http_ports = {{ }}
https_ports = {{ }}
modules_enabled = {{ "roster"; "saslauth"; "tls"; "disco"; "ping"; }}
modules_disabled = {{ "s2s"; }}
authentication = "internal_hashed"
password_hash = "SHA-256"
storage = "internal"
c2s_require_encryption = true
{extra}
VirtualHost "{domain}"
    ssl = {{ certificate = "{cert}"; key = "{key}"; }}
"""


class Prosody:
    """Prosody 0.12 (epoll backend) serving DOMAIN, its users written straight into its
    internal storage: accounts/<user>.dat with SCRAM-SHA-256 keys (mod_auth_internal_hashed
    with password_hash = "SHA-256"), roster/<user>.dat (rostermanager's keyval format)."""

    name = "prosody"

    def __init__(self, b, tag, users, roster_size):
        self.d = os.path.join(b.d, "prosody-" + tag)
        os.makedirs(os.path.join(self.d, "certs"))  # Prosody indexes it (and logs an error if missing)
        self.ip = harness.free_loopback_ip(ports=(5222,))
        self.port = 5222
        cfg = os.path.join(self.d, "prosody.cfg.lua")
        with open(cfg, "w") as f:
            f.write(PROSODY_CFG.format(d=self.d, ip=self.ip, domain=DOMAIN, cert=b.cert, key=b.key,
                                       log_level=b.a.log_level, extra=b.a.prosody_extra,
                                       run_as_root="run_as_root = true" if os.geteuid() == 0 else ""))
        self.write_users(users, roster_size, b.a.distinct_salts)
        self.proc = b.procs.start(["prosody", "--config", cfg, "-F"], os.path.join(self.d, "prosody.out"), cwd=self.d)
        harness.wait_tcp(self.ip, self.port, 30, self.proc, "prosody")
        self.pid = self.proc.pid  # /usr/bin/prosody execs lua: the same process

    def write_users(self, users, roster_size, distinct_salts):
        host = os.path.join(self.d, "data", prosody_escape(DOMAIN))
        accounts, rosters = os.path.join(host, "accounts"), os.path.join(host, "roster")
        os.makedirs(accounts)
        os.makedirs(rosters)
        # One salt for every user unless asked: the server's work at login does not depend on
        # it, and one PBKDF2 here (and in the loadgen) instead of one per user saves minutes.
        salt = str(uuid.uuid4())
        stored, server = scram_sha256_keys(PASSWORD, salt, ITERATIONS)
        for i in range(users):
            if distinct_salts:
                salt = str(uuid.uuid4())
                stored, server = scram_sha256_keys(PASSWORD, salt, ITERATIONS)
            with open(os.path.join(accounts, prosody_escape(PREFIX + str(i)) + ".dat"), "w") as f:
                f.write('return {\n\t["iteration_count"] = %d;\n\t["salt"] = "%s";\n\t["server_key"] = "%s";\n'
                        '\t["stored_key"] = "%s";\n};\n' % (ITERATIONS, salt, server, stored))
            if roster_size:
                items = "".join('\t["%s%d@%s"] = {\n\t\t["groups"] = {};\n\t\t["subscription"] = "both";\n\t};\n'
                                % (PREFIX, j, DOMAIN) for j in contacts(i, users, roster_size))
                with open(os.path.join(rosters, prosody_escape(PREFIX + str(i)) + ".dat"), "w") as f:
                    f.write('return {\n\t[false] = {\n\t\t["pending"] = {};\n\t\t["version"] = 1;\n\t};\n%s};\n'
                            % items)


# --- herald-home: NOT YET RUNNABLE --------------------------------------------
# Written against the interface herald-home is expected to have (issue 15): a
# TOML configuration like herald's with [[hosts]] and a [c2s] listener, and
# `herald-home --config F user add --host H USER` reading the password on stdin.
# Check the keys against docs/home/ once herald-home exists, and give it a bulk
# way to make rosters (`roster_size` > 0 refuses until then).
HERALD_HOME_TOML = """[server]
log_level = "{log_level}"
log_file = "{d}/herald-home.log"
data_dir = "{d}"

[[hosts]]
domain = "{domain}"
certificate = "{cert}"
key = "{key}"

[c2s]
listen = ["{ip}:5222"]
max_connections_per_ip = 0
stanza_rate = 0
"""


class HeraldHome:
    name = "herald-home"

    def __init__(self, b, tag, users, roster_size):
        binary = b.a.herald_home_bin or os.path.join(b.a.build, "src/apps/home/herald-home")
        if not os.path.exists(binary):
            raise RuntimeError("herald-home is not built (%s): this part of the benchmark waits for it" % binary)
        if roster_size:
            raise RuntimeError("herald-home: no bulk roster creation yet (run with --roster-size 0)")
        self.d = os.path.join(b.d, "herald-home-" + tag)
        os.makedirs(self.d)
        self.ip, self.port = harness.free_loopback_ip(ports=(5222,)), 5222
        cfg = os.path.join(self.d, "herald-home.toml")
        with open(cfg, "w") as f:
            f.write(HERALD_HOME_TOML.format(d=self.d, ip=self.ip, domain=DOMAIN, cert=b.cert, key=b.key,
                                            log_level=b.a.log_level))
        for i in range(users):  # one process per user: slow for 10k
            subprocess.run([binary, "--config", cfg, "user", "add", "--host", DOMAIN, PREFIX + str(i)],
                           input=PASSWORD + "\n", text=True, check=True, capture_output=True, timeout=60)
        self.proc = b.procs.start([binary, "--config", cfg], os.path.join(self.d, "herald-home.out"))
        harness.wait_tcp(self.ip, self.port, 30, self.proc, "herald-home")
        self.pid = self.proc.pid
# ------------------------------------------------------------------------------

SERVERS = {"prosody": Prosody, "herald-home": HeraldHome}


class Bench:
    def __init__(self, args, d):
        self.a, self.d = args, d
        self.procs = harness.Procs()
        self.pki = harness.Pki(os.path.join(d, "pki"))
        self.cert, self.key = self.pki.issue(DOMAIN, eku="serverAuth")
        self.loadgen_bin = args.loadgen_bin or os.path.join(args.build, "bench", "herald-c2s-loadgen")

    def close(self):
        self.procs.stop_all()

    def loadgen(self, server, mode, users, extra, timeout=3600):
        cmd = [self.loadgen_bin, "--server", "%s:%d" % (server.ip, server.port), "--domain", DOMAIN,
               "--user-prefix", PREFIX, "--password", PASSWORD, "--ca", self.pki.ca, "--mode", mode,
               "--users", str(users), "--server-pid", str(server.pid), "--loops", str(self.a.loops)] + extra
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        line = r.stdout.strip().splitlines()[-1] if r.stdout.strip() else ""
        if r.returncode != 0 or not line:
            raise RuntimeError("loadgen failed (%d): %s %s" % (r.returncode, line[-1500:], r.stderr[-1500:]))
        return json.loads(line)

    def each_server(self, tag, users, roster_size, mode, extra):
        out = {}
        for name in self.a.server.split(","):
            load = os.getloadavg()[0]
            try:
                server = SERVERS[name](self, tag, users, roster_size)
            except Exception as e:
                out[name] = {"error": str(e)[-1500:]}
                continue
            try:
                time.sleep(1)  # the baseline RSS: the server started and settled
                out[name] = self.loadgen(server, mode, users, extra)
                out[name]["load_avg_before"] = load
                out[name]["load_avg_after"] = os.getloadavg()[0]
            except Exception as e:
                out[name] = {"error": str(e)[-1500:]}
            finally:
                self.procs.stop(server.proc, wait=30)
        return out

    def idle(self):
        s = self.a.smoke
        out = {}
        for n in ([50] if s else [int(x) for x in self.a.idle_counts.split(",")]):
            out[str(n)] = self.each_server("idle%d" % n, n, 0, "idle",
                                           ["--ramp", str(self.a.ramp), "--settle", "1" if s else str(self.a.settle),
                                            "--ramp-timeout", "1800"])
        return out

    def messages(self):
        s = self.a.smoke
        pairs = 10 if s else self.a.pairs
        extra = ["--window", str(self.a.window), "--warmup", "1" if s else str(self.a.warmup),
                 "--duration", "2" if s else str(self.a.duration), "--body-bytes", str(self.a.body_bytes)]
        if self.a.rate:
            extra += ["--rate", str(self.a.rate)]
        return self.each_server("messages", 2 * pairs, 0, "messages", extra)

    def logins(self):
        s = self.a.smoke
        users = 60 if s else self.a.login_users
        roster = self.a.roster_size
        extra = ["--concurrency", str(10 if s else self.a.concurrency), "--warmup", "1" if s else str(self.a.warmup),
                 "--duration", "2" if s else str(self.a.duration)]
        if roster or self.a.fetch_roster:
            extra.append("--roster")
        return self.each_server("logins", users, roster, "logins", extra)


def check(name, result):
    """Smoke assertions: every server run gives its figures, non-zero."""
    def need(value, what):
        if not isinstance(value, (int, float)) or value <= 0:
            raise AssertionError("%s: %s is %r" % (name, what, value))
    runs = result.items() if name != "idle" else [kv for per_n in result.values() for kv in per_n.items()]
    for server, r in runs:
        name = "%s %s" % (name.split()[0], server)
        if "error" in r:
            raise AssertionError("%s: %s" % (name, r["error"]))
        if name == "idle":
            need(r["online"], "online")
            need(r["server_kib_per_session"], "server_kib_per_session")
            need(r["loadgen_kib_per_session"], "loadgen_kib_per_session")
        elif name == "messages":
            for k in ("messages_per_s", "server_cpu_us_per_message"):
                need(r[k], k)
            need(r["latency_ms"]["p99"], "latency_ms.p99")
        elif name == "logins":
            for k in ("logins_per_s", "server_cpu_us_per_login"):
                need(r[k], k)
            need(r["login_ms"]["p99"], "login_ms.p99")
            need(r.get("roster_items_mean", 0), "roster_items_mean")


# (benchmark, label, key, direction of better, target ratio herald-home : prosody)
FIGURES = [("messages", "messages/s", "messages_per_s", "higher", 10),
           ("messages", "server CPU µs per message", "server_cpu_us_per_message", "lower", None),
           ("messages", "latency p99 ms", ("latency_ms", "p99"), "lower", None),
           ("logins", "logins/s", "logins_per_s", "higher", 5),
           ("logins", "server CPU µs per login", "server_cpu_us_per_login", "lower", None),
           ("logins", "login p99 ms", ("login_ms", "p99"), "lower", None)]


def figure(run, key):
    if not run or "error" in run:
        return None
    return run[key[0]][key[1]] if isinstance(key, tuple) else run.get(key)


def summary(results):
    """Rows of (figure, prosody, herald-home, ratio herald-home / prosody, target)."""
    rows = []
    idle = {n: per for n, per in results.get("idle", {}).items() if n.isdigit()}
    for n, per in sorted(idle.items(), key=lambda kv: int(kv[0])):
        rows.append(("RSS KiB per idle session, %s sessions" % n, figure(per.get("prosody"), "server_kib_per_session"),
                     figure(per.get("herald-home"), "server_kib_per_session"), "≤ 1/3" if n == "10000" else ""))
    for bench, label, key, _, target in FIGURES:
        per = results.get(bench, {})
        if per:
            rows.append((label, figure(per.get("prosody"), key), figure(per.get("herald-home"), key),
                         "≥ %d×" % target if target else ""))
    out = []
    for label, p, h, target in rows:
        ratio = h / p if p and h is not None else None
        out.append({"figure": label, "prosody": p, "herald-home": h, "ratio": ratio, "target": target})
    return out


def print_summary(rows):
    fmt = lambda v: "—" if v is None else ("%.1f" % v if v >= 10 else "%.3g" % v)
    print("%-42s %12s %12s %10s %8s" % ("figure", "prosody", "herald-home", "ratio h/p", "target"))
    for r in rows:
        print("%-42s %12s %12s %10s %8s" % (r["figure"], fmt(r["prosody"]), fmt(r["herald-home"]),
                                            fmt(r["ratio"]), r["target"]))


ALL = ["idle", "messages", "logins"]


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--build", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--only", default=",".join(ALL))
    p.add_argument("--server", default="prosody", help="servers under test, in order: prosody,herald-home")
    p.add_argument("--herald-home-bin", help="default: BUILD/src/apps/home/herald-home")
    p.add_argument("--loadgen-bin", help="default: BUILD/bench/herald-c2s-loadgen")
    p.add_argument("--loops", type=int, default=1, help="the loadgen's event loops (threads)")
    p.add_argument("--log-level", default="warn", help="the servers' log level")
    p.add_argument("--prosody-extra", default="", help='global Prosody settings (Lua), e.g. '
                   '"network_settings = { nagle = false }"')
    p.add_argument("--distinct-salts", action="store_true", help="a salt per user (one PBKDF2 each)")
    p.add_argument("--idle-counts", default="1000,10000", help="idle: session counts")
    p.add_argument("--ramp", type=int, default=100, help="idle: logins in flight while ramping up")
    p.add_argument("--settle", type=float, default=5, help="idle: seconds before reading the RSS")
    p.add_argument("--pairs", type=int, default=100, help="messages: pairs of online users")
    p.add_argument("--window", type=int, default=4, help="messages: in flight per session (closed loop)")
    p.add_argument("--rate", type=int, default=0, help="messages: offered per second instead (open loop)")
    p.add_argument("--body-bytes", type=int, default=64, help="messages: body length")
    p.add_argument("--login-users", type=int, default=1000, help="logins: users cycled through")
    p.add_argument("--roster-size", type=int, default=50, help="logins: contacts per user (subscription both)")
    p.add_argument("--fetch-roster", action="store_true", help="logins: fetch the roster even when it is empty")
    p.add_argument("--concurrency", type=int, default=50, help="logins: cycles in flight")
    p.add_argument("--keep", action="store_true", help="keep the temporary directory (servers' logs)")
    p.add_argument("--warmup", type=float, default=3)
    p.add_argument("--duration", type=float, default=15)
    args = p.parse_args()
    args.build = os.path.abspath(args.build)
    for name in args.server.split(","):
        if name not in SERVERS:
            p.error("unknown server %s (prosody, herald-home)" % name)
    run_bench.raise_fd_limit()
    d = tempfile.mkdtemp(prefix="herald-c2s-bench-")
    os.chmod(d, 0o755)
    bench = Bench(args, d)
    results = {"machine": {"cpus": os.cpu_count(), "load_avg": os.getloadavg(), "smoke": args.smoke,
                           "servers": args.server, "time": time.strftime("%Y-%m-%dT%H:%M:%S")}}
    try:
        failed = run_bench.run_each(bench, args.only.split(","), results, check if args.smoke else None)
    finally:
        bench.close()
        if args.keep:
            print("files kept in", d)
        else:
            shutil.rmtree(d, ignore_errors=True)
    results["summary"] = summary(results)
    print_summary(results["summary"])
    with open(args.out, "w") as f:
        json.dump(results, f, indent=2)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
