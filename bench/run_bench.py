#!/usr/bin/python3
"""Runs Herald's benchmarks (bench/README.md) and writes one JSON file of figures.

  run_bench.py --build BUILD_DIR --out FILE [--smoke] [--only a,b,...] [--log-level L]
               [--herald-bin B] [--sim-bin B] [--loadgen-bin B] [--e2e-rate N]

Benchmarks: micro (Google Benchmark + callgrind instruction count), startup,
apns_sim (h2load against the simulator, if h2load is installed), saturation,
rate (fixed offered rate), idle (RSS with 1k and 10k idle s2s TLS streams),
e2e_instructions (Herald under callgrind: instructions per push, s2s to APNs and back).
--smoke shortens every run to seconds and checks that each figure is present
and non-zero (exit status 1 otherwise); that is what CTest runs.
Everything runs on loopback, in a temporary directory removed at the end.
"""
import argparse
import json
import os
import re
import resource
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import harness  # noqa: E402  (Pki, Procs, free_loopback_ip, wait_tcp)

FIXTURES = os.path.join(ROOT, "tests", "fixtures", "publish")
TOPIC = "org.example.chat"
DEAD_TOKENS = ["dead%060x" % i for i in range(4)]


def raise_fd_limit():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 65536 if hard == resource.RLIM_INFINITY else min(hard, 65536)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))


def free_port(ip):
    with socket.socket() as s:
        s.bind((ip, 0))
        return s.getsockname()[1]


class Bench:
    def __init__(self, args, d):
        self.a, self.d = args, d
        self.bin = lambda name: os.path.join(args.build, name)
        self.procs = harness.Procs()
        self.pki = harness.Pki(os.path.join(d, "pki"))
        self.herald_cert, self.herald_key = self.pki.issue("push.test")
        self.peer_cert, self.peer_key = self.pki.issue("*.bench.test")
        self.apns_cert, self.apns_key = self.pki.issue("apns.localhost", eku="serverAuth", ip="127.0.0.1")
        self.p8, self.pub = self.pki.apns_auth_key()
        self.sim = None

    def close(self):
        self.procs.stop_all()

    # --- processes -------------------------------------------------------
    def start_sim(self):
        out = os.path.join(self.d, "apns-sim.out")
        cmd = [self.a.sim_bin or self.bin("tools/apns-sim/apns-sim"), "--listen", "127.0.0.1:0", "--cert", self.apns_cert,
               "--key", self.apns_key, "--auth-key-pub", self.pub, "--key-id", "KEY1234567",
               "--team-id", "TEAM123456", "--topic", TOPIC, "--log-level", "warn"]
        for t in DEAD_TOKENS:
            cmd += ["--token", t + "=dead"]
        proc = self.procs.start(cmd, out)

        def port():
            if proc.poll() is not None:
                raise RuntimeError("apns-sim exited: " + open(out).read()[-500:])
            for line in open(out):
                if line.startswith("apns-sim listening on "):
                    return int(line.rsplit(":", 1)[1])
            return None
        self.sim = (proc, harness.wait_for(port, 30, "apns-sim to listen"))
        return self.sim

    def herald_config(self, name, ip, routes, log_level):
        d = os.path.join(self.d, name)
        os.makedirs(d, exist_ok=True)
        lines = ['[server]', 'domain = "push.test"', 'log_level = "%s"' % log_level,
                 'log_file = "%s/herald.log"' % d, 'data_dir = "%s"' % d, '',
                 '[s2s]', 'listen = ["%s:5269"]' % ip, 'certificate = "%s"' % self.herald_cert,
                 'key = "%s"' % self.herald_key, 'ca_file = "%s"' % self.pki.ca,
                 'max_connections_per_ip = 0', 'domain_request_rate = 0', 'max_queued_stanzas = 100000',
                 '', '[s2s.routes]']
        lines += ['"%s" = "%s"' % kv for kv in routes.items()]
        lines += ['', '[push]', 'default_module = "example-ios"', '', '[[push.module]]',
                  'name = "example-ios"', 'topic = "%s"' % TOPIC, 'team_id = "TEAM123456"',
                  'key_id = "KEY1234567"', 'key_file = "%s"' % self.p8]
        if self.sim:
            lines += ['endpoint = "127.0.0.1:%d"' % self.sim[1], 'ca_file = "%s"' % self.pki.ca]
        if self.a.v1:
            lines += ['', '[v1]', 'enabled = true']
        path = os.path.join(d, "herald.toml")
        with open(path, "w") as f:
            f.write("\n".join(lines) + "\n")
        return path, d

    def start_herald(self, name, routes=None, log_level=None, prefix=(), wait=30):
        ip = harness.free_loopback_ip()
        config, d = self.herald_config(name, ip, routes or {}, log_level or self.a.log_level)
        proc = self.procs.start(list(prefix) + [self.a.herald_bin or self.bin("src/apps/herald/herald"), "--config", config],
                                os.path.join(d, "herald.out"))
        harness.wait_tcp(ip, 5269, wait, proc, "herald")
        return proc, ip

    def loadgen_cmd(self, herald_ip, extra, domains, listen=None):
        cmd = [self.a.loadgen_bin or self.bin("bench/herald-loadgen"), "--herald", herald_ip + ":5269", "--cert", self.peer_cert,
               "--key", self.peer_key, "--ca", self.pki.ca, "--fixtures", FIXTURES,
               "--domains", str(domains)] + extra
        if listen:
            cmd += ["--listen", listen]
        for t in DEAD_TOKENS:
            cmd += ["--dead-token", t]
        return cmd

    @staticmethod
    def loadgen_result(returncode, stdout, stderr):
        line = stdout.strip().splitlines()[-1] if stdout.strip() else ""
        if returncode != 0 or not line:
            raise RuntimeError("loadgen failed (%d): %s %s" % (returncode, line, stderr[-2000:]))
        return json.loads(line)

    def loadgen(self, herald_ip, extra, domains, listen=None, timeout=600):
        r = subprocess.run(self.loadgen_cmd(herald_ip, extra, domains, listen), capture_output=True,
                           text=True, timeout=timeout)
        return self.loadgen_result(r.returncode, r.stdout, r.stderr)

    # --- benchmarks ------------------------------------------------------
    def load(self, name, extra, domains):
        if self.a.v1:
            extra = extra + ["--v1-only"]
        if not self.sim:
            self.start_sim()
        lg_ip = harness.free_loopback_ip()
        listen = "%s:%d" % (lg_ip, free_port(lg_ip))
        routes = {"d%d.bench.test" % i: listen for i in range(domains)}
        proc, ip = self.start_herald(name, routes)
        try:
            return self.loadgen(ip, extra + ["--herald-pid", str(proc.pid), "--sim-pid", str(self.sim[0].pid)],
                                domains, listen)
        finally:
            self.procs.stop(proc)

    def saturation(self):
        s = self.a.smoke
        return self.load("saturation", ["--window", "16" if s else "64", "--warmup", "0.5" if s else "3",
                                        "--duration", "2" if s else "15"], 4 if s else 32)

    def rate(self):
        s = self.a.smoke
        return self.load("rate", ["--rate", "200" if s else str(self.a.rate), "--warmup", "0.5" if s else "3",
                                  "--duration", "2" if s else "15"], 4 if s else 32)

    def e2e_instructions(self):
        """Herald's instructions per push end to end, under callgrind: counters zeroed when the
        loadgen's warm-up ends (streams, TLS handshakes, the APNs connection and JWT are then
        done) and dumped once Herald has handled every publish of the measured window."""
        if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
            return {"skipped": "valgrind not installed (Debian valgrind)"}
        s = self.a.smoke
        rate, domains = (50, 4) if s else (self.a.e2e_rate, 4)
        warmup, duration = (2, 2) if s else (5, 20)
        if not self.sim:
            self.start_sim()
        lg_ip = harness.free_loopback_ip()
        listen = "%s:%d" % (lg_ip, free_port(lg_ip))
        routes = {"d%d.bench.test" % i: listen for i in range(domains)}
        out = os.path.join(self.d, "cg")
        proc, ip = self.start_herald("e2e_instructions", routes, wait=300, prefix=[
            "valgrind", "--tool=callgrind", "--callgrind-out-file=%s.%%p" % out])

        def control(flag):
            subprocess.run(["callgrind_control", flag, str(proc.pid)], check=True, capture_output=True, timeout=300)

        try:
            lg = subprocess.Popen(self.loadgen_cmd(ip, ["--rate", str(rate), "--warmup", str(warmup),
                                                        "--duration", str(duration), "--gate",
                                                        "--connect-timeout", "300"], domains, listen),
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            said = []
            for line in lg.stderr:  # the loadgen says "warm" and waits
                said.append(line)
                if line.strip() == "warm":
                    break
            control("-z")
            lg.stdin.write("\n")
            lg.stdin.flush()
            stdout, stderr = lg.communicate(timeout=600)
            r = self.loadgen_result(lg.returncode, stdout, "".join(said) + stderr)
            # Publishes still queued in Herald when the loadgen leaves belong to the window:
            # wait until Herald is idle (CPU time still for 1 s) before dumping.
            last, still_since, end = cpu_seconds(proc.pid), time.monotonic(), time.monotonic() + 60
            while time.monotonic() - still_since < 1 and time.monotonic() < end:
                time.sleep(0.2)
                now = cpu_seconds(proc.pid)
                if now - last > 0.02:
                    still_since = time.monotonic()
                last = now
            before = set(os.listdir(self.d))
            control("-d")
            new = sorted(f for f in os.listdir(self.d) if f.startswith("cg.") and f not in before)
            dump = os.path.join(self.d, new[-1])
            m = re.search(r"^(?:totals|summary): (\d+)", open(dump).read(), re.M)
            ir = int(m.group(1))
        finally:
            self.procs.stop(proc, wait=60)
        res = {"offered_per_s": rate, "domains": domains, "warmup_s": warmup, "duration_s": duration,
               "sent": r["sent"], "replies": r["replies"], "reply_types": r["reply_types"],
               "schedule_skipped": r["schedule_skipped"], "herald_instructions": ir,
               "rtt_ms": r["rtt_ms"]}
        # Denominator: publishes sent in the window (Herald handles every one before the dump,
        # replied or not); replies per offered shows whether Herald kept up under callgrind.
        res["herald_instructions_per_push"] = ir / r["sent"] if r["sent"] > 0 else 0
        res["replies_per_sent"] = r["replies"] / r["sent"] if r["sent"] > 0 else 0
        if not self.a.smoke:  # for callgrind_annotate / kcachegrind
            res["callgrind_file"] = self.a.out + ".e2e.callgrind"
            shutil.copy(dump, res["callgrind_file"])
        if shutil.which("callgrind_annotate"):  # self cost of the long run, by function and by object
            a = subprocess.run(["callgrind_annotate", "--inclusive=no", "--auto=no", "--threshold=100", dump],
                               capture_output=True, text=True)
            rows = re.findall(r"^\s*([\d,]+) \(\s*([\d.]+)%\)\s+(\S.*?)(?: \[(\S+)\])?$", a.stdout, re.M)
            # A dump taken while running lists the functions on the call stack (main, io_context::run,
            # ...) with their whole cost: leave those out.
            rows = [(n, fn, obj) for n, pct, fn, obj in rows[1:] if float(pct) < 99]
            by_obj = {}
            for n, _, obj in rows:
                by_obj[os.path.basename(obj or "?")] = by_obj.get(os.path.basename(obj or "?"), 0) + int(n.replace(",", ""))
            res["self_pct_by_object"] = {k: round(100 * v / ir, 1) for k, v in
                                         sorted(by_obj.items(), key=lambda kv: -kv[1])[:8]}
            res["self_pct_top_functions"] = [[round(100 * int(n.replace(",", "")) / ir, 1),
                                              fn.rsplit(":", 1)[-1][-80:] + " [%s]" % os.path.basename(obj or "?")]
                                             for n, fn, obj in rows[:8]]
        return res

    def idle(self):
        out = {}
        for n in ([50] if self.a.smoke else [int(x) for x in self.a.idle_counts.split(",")]):
            proc, ip = self.start_herald("idle%d" % n, log_level="warn")
            try:
                time.sleep(0.5)
                out[str(n)] = self.loadgen(ip, ["--mode", "idle", "--herald-pid", str(proc.pid),
                                                "--connect-timeout", "300"], n)
            finally:
                self.procs.stop(proc, wait=30)
        return out

    def startup(self):
        runs = []
        for i in range(2 if self.a.smoke else 7):
            ip = harness.free_loopback_ip()
            config, d = self.herald_config("startup%d" % i, ip, {}, "warn")
            t0 = time.monotonic()
            proc = self.procs.start([self.a.herald_bin or self.bin("src/apps/herald/herald"), "--config", config], os.path.join(d, "herald.out"))
            while True:
                if proc.poll() is not None:
                    raise RuntimeError("herald exited at start-up")
                try:
                    socket.create_connection((ip, 5269), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.001)
            runs.append((time.monotonic() - t0) * 1000)
            self.procs.stop(proc)
        return {"exec_to_listening_ms": {"median": statistics.median(runs), "min": min(runs),
                                         "max": max(runs), "runs": len(runs)}}

    def micro(self):
        exe = self.bin("bench/push-path-bench")
        r = subprocess.run([exe, "--benchmark_format=json", "--benchmark_min_time=%s" %
                            ("0.05" if self.a.smoke else "2")], capture_output=True, text=True, check=True)
        out = {}
        for b in json.loads(r.stdout)["benchmarks"]:
            out[b["name"]] = {"ns_per_push": b["real_time"] if b["time_unit"] == "ns" else None,
                              "cpu_ns_per_push": b["cpu_time"], "pushes_per_s": b["items_per_second"]}
        if shutil.which("valgrind"):
            n1, n2 = (100, 300) if self.a.smoke else (1000, 5000)
            counts = []
            for n in (n1, n2):
                log = os.path.join(self.d, "callgrind-%d.log" % n)
                subprocess.run(["valgrind", "--tool=callgrind", "--callgrind-out-file=" +
                                os.path.join(self.d, "callgrind.out.%d" % n), "--log-file=" + log,
                                exe, "--iterations", str(n)], check=True)
                m = re.search(r"Collected : (\d+)", open(log).read())
                counts.append(int(m.group(1)))
            out["callgrind_instructions_per_push"] = (counts[1] - counts[0]) / (n2 - n1)
        return out

    def apns_sim(self):
        if not shutil.which("h2load"):
            return {"skipped": "h2load not installed (Debian nghttp2-client)"}
        proc, port = self.start_sim()
        # A valid provider token, signed like Herald does (ES256, raw R||S).
        import jwt
        token = jwt.encode({"iss": "TEAM123456", "iat": int(time.time())}, open(self.p8).read(),
                           algorithm="ES256", headers={"kid": "KEY1234567"})
        body = os.path.join(self.d, "payload.json")
        with open(body, "w") as f:
            f.write('{"aps":{"alert":{"title":"New message","body":"Open the app"},"mutable-content":1}}')
        n = 2000 if self.a.smoke else 200000
        cpu0 = cpu_seconds(proc.pid)
        r = subprocess.run(["h2load", "-n", str(n), "-c", "4", "-m", "100", "-d", body,
                            "-H", "authorization: bearer " + token, "-H", "apns-topic: " + TOPIC,
                            "-H", "apns-push-type: alert",
                            "https://127.0.0.1:%d/3/device/%s" % (port, "ab" * 32)],
                           capture_output=True, text=True, timeout=600)
        cpu = cpu_seconds(proc.pid) - cpu0
        m = re.search(r"finished in [\d.]+\w+, ([\d.]+) req/s", r.stdout)
        ok = re.search(r"status codes: (\d+) 2xx", r.stdout)
        return {"requests": n, "requests_per_s": float(m.group(1)) if m else 0.0,
                "status_2xx": int(ok.group(1)) if ok else 0,
                "sim_cpu_us_per_request": cpu * 1e6 / n}


def cpu_seconds(pid):
    with open("/proc/%d/stat" % pid) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def check(name, result):
    """Smoke assertions: the figures each benchmark must produce, non-zero."""
    def need(value, what):
        if not isinstance(value, (int, float)) or value <= 0:
            raise AssertionError("%s: %s is %r" % (name, what, value))
    if name in ("saturation", "rate"):
        for k in ("replies_per_s", "herald_cpu_us_per_push"):
            need(result[k], k)
        for k in ("p50", "p99", "max"):
            need(result["rtt_ms"][k], "rtt_ms." + k)
        need(result["reply_types"].get("result", 0), "reply_types.result")
    elif name == "idle":
        for n, r in result.items():
            need(r["connections"], n + ".connections")
            need(r["herald_rss_after_kib"], n + ".herald_rss_after_kib")
    elif name == "e2e_instructions" and "skipped" not in result:
        # Replies are not required: under callgrind on a loaded machine Herald may answer only
        # after the loadgen's short window; the figure needs its work, which the dump counts.
        need(result["herald_instructions_per_push"], "herald_instructions_per_push")
    elif name == "startup":
        need(result["exec_to_listening_ms"]["median"], "median")
    elif name == "micro":
        for k, v in result.items():
            need(v if isinstance(v, (int, float)) else v["pushes_per_s"], k)
    elif name == "apns_sim" and "skipped" not in result:
        need(result["requests_per_s"], "requests_per_s")


def run_each(bench, names, results, check_fn=None):
    """Runs bench.NAME() for each name into results[name], printing each as it ends; one that
    fails leaves {"error": ...} and the others still run. A result check_fn (when given)
    refuses keeps its figures, with the reason as "check_failed". Returns whether any failed."""
    failed = False
    for name in names:
        try:
            results[name] = getattr(bench, name)()
        except Exception as e:  # keep the other figures
            results[name] = {"error": str(e)[-1500:]}
            failed = True
        else:
            try:
                if check_fn:
                    check_fn(name, results[name])
            except (AssertionError, KeyError, TypeError) as e:
                results[name]["check_failed"] = str(e)[-1500:]
                failed = True
        print(name, json.dumps(results[name]), flush=True)
    return failed


ALL = ["micro", "startup", "apns_sim", "saturation", "rate", "idle", "e2e_instructions"]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--build", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--smoke", action="store_true")
    p.add_argument("--only", default=",".join(ALL))
    p.add_argument("--rate", type=int, default=5000)
    p.add_argument("--e2e-rate", type=int, default=50, help="e2e_instructions: publishes/s offered")
    p.add_argument("--log-level", default="info")
    p.add_argument("--v1", action="store_true",
                   help="saturation, rate: v1 publishes only ([v1] on; each an unknown node, one store lookup)")
    p.add_argument("--idle-counts", default="1000,10000", help="idle: connection counts to measure")
    p.add_argument("--herald-bin", help="herald binary (default: BUILD/src/apps/herald/herald)")
    p.add_argument("--loadgen-bin", help="herald-loadgen binary (default: BUILD/bench/herald-loadgen)")
    p.add_argument("--sim-bin", help="apns-sim binary (default: BUILD/tools/apns-sim/apns-sim)")
    args = p.parse_args()
    args.build = os.path.abspath(args.build)
    raise_fd_limit()
    d = tempfile.mkdtemp(prefix="herald-bench-")
    bench = Bench(args, d)
    results = {"machine": {"cpus": os.cpu_count(), "load_avg": os.getloadavg()[0], "smoke": args.smoke,
                           "herald_log_level": args.log_level, "time": time.strftime("%Y-%m-%dT%H:%M:%S")}}
    try:
        failed = run_each(bench, args.only.split(","), results, check if args.smoke else None)
    finally:
        bench.close()
        shutil.rmtree(d, ignore_errors=True)
    with open(args.out, "w") as f:
        json.dump(results, f, indent=2)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
