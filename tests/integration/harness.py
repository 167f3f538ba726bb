"""Building blocks for Herald's integration tests: a throwaway PKI, free
loopback addresses, real peers (Prosody, apns-sim, Herald) started in their own
process groups and stopped by group, and slixmpp clients.

Every test gets its own temp directory and its own random 127.x.y.z addresses,
so tests run in parallel (ctest -j) while each server keeps its standard ports.
Run with Debian's /usr/bin/python3 (slixmpp and python3-jwt are Debian packages).
"""
import asyncio
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import tempfile
import time

PASSWORD = "test-password"


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        raise RuntimeError("%s failed: %s" % (" ".join(cmd), (r.stdout + r.stderr)[-800:]))
    return r.stdout


def free_loopback_ip(ports=(5222, 5269)):
    """A random 127.x.y.z on which the given TCP ports are free."""
    for _ in range(200):
        ip = "127.%d.%d.%d" % (random.randint(1, 254), random.randint(0, 255), random.randint(2, 254))
        ok = True
        for port in ports:
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                s.bind((ip, port))
            except OSError:
                ok = False
            finally:
                s.close()
        if ok:
            return ip
    raise RuntimeError("no free loopback address with ports %s (is a system XMPP server listening on 0.0.0.0?)" % (ports,))


def wait_tcp(host, port, timeout, proc=None, what="server"):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return
        except OSError:
            if proc is not None and proc.poll() is not None:
                raise RuntimeError("%s exited with %s before %s:%d listened" % (what, proc.returncode, host, port))
            time.sleep(0.05)
    raise RuntimeError("%s: %s:%d not listening after %s s" % (what, host, port, timeout))


async def await_for(predicate, timeout, what):
    """wait_for for coroutines: yields to the event loop (slixmpp needs it to send)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.05)
    raise AssertionError("timed out after %s s waiting for %s" % (timeout, what))


def wait_for(predicate, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("timed out after %s s waiting for %s" % (timeout, what))


class Pki:
    """One throwaway CA per test run. issue() makes an EC P-256 certificate for a domain."""

    def __init__(self, d):
        self.d = d
        os.makedirs(d, exist_ok=True)
        self.ca = os.path.join(d, "ca.crt")
        run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=Herald test CA"], cwd=d)

    def issue(self, domain, eku="serverAuth,clientAuth", ip=None):
        run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", domain + ".key", "-out", domain + ".csr", "-subj", "/CN=" + domain], cwd=self.d)
        with open(os.path.join(self.d, domain + ".ext"), "w") as f:
            san = "DNS:%s" % domain + (",IP:%s" % ip if ip else "")
            f.write("subjectAltName=%s\nextendedKeyUsage=%s\n" % (san, eku))
        run(["openssl", "x509", "-req", "-in", domain + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", domain + ".crt", "-days", "2", "-extfile", domain + ".ext"], cwd=self.d)
        return os.path.join(self.d, domain + ".crt"), os.path.join(self.d, domain + ".key")

    def apns_auth_key(self):
        """An APNs token-signing key (.p8, PKCS#8 P-256) and its public key."""
        p8 = os.path.join(self.d, "AuthKey.p8")
        pub = os.path.join(self.d, "AuthKey.pub.pem")
        run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", p8])
        run(["openssl", "pkey", "-in", p8, "-pubout", "-out", pub])
        return p8, pub


class Procs:
    """Processes in their own process groups; stop() ends the whole group."""

    def __init__(self):
        self.procs = []

    def start(self, cmd, out, cwd=None, env=None):
        f = open(out, "ab")
        p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=f, stderr=subprocess.STDOUT,
                             stdin=subprocess.DEVNULL, start_new_session=True)
        f.close()
        self.procs.append(p)
        return p

    def stop(self, p, sig=signal.SIGTERM, wait=10):
        if p in self.procs:
            self.procs.remove(p)
        for s, w in ((sig, wait), (signal.SIGKILL, 5)):
            try:
                os.killpg(p.pid, s)
            except ProcessLookupError:
                break
            try:
                p.wait(w)
                end = time.monotonic() + w
                while time.monotonic() < end:
                    os.killpg(p.pid, 0)
                    time.sleep(0.05)
            except ProcessLookupError:
                return p.returncode
            except subprocess.TimeoutExpired:
                continue
        return p.returncode

    def stop_all(self):
        for p in reversed(list(self.procs)):
            self.stop(p)


class TestDir:
    """A temp dir kept on failure (its path is printed) and removed on success."""

    def __init__(self, name):
        self.path = tempfile.mkdtemp(prefix="herald-%s." % name)
        os.chmod(self.path, 0o755)
        self.ok = False

    def sub(self, *parts):
        p = os.path.join(self.path, *parts)
        os.makedirs(p, exist_ok=True)
        return p

    def close(self):
        if self.ok and not os.environ.get("HERALD_KEEP_TEST_DIRS"):
            shutil.rmtree(self.path, ignore_errors=True)
        else:
            print("test files kept in", self.path, flush=True)


class ApnsSim:
    def __init__(self, procs, binary, d, pki, topics, team_id="TEAM123456", key_id="KEY1234567"):
        self.d = d
        self.team_id, self.key_id = team_id, key_id
        cert, key = pki.issue("apns.localhost", eku="serverAuth", ip="127.0.0.1")
        self.p8, self.pub = pki.apns_auth_key()
        self.record = os.path.join(d, "requests.jsonl")
        self.dead = os.path.join(d, "dead-tokens")
        open(self.dead, "w").close()
        self.out = os.path.join(d, "apns-sim.out")
        cmd = [binary, "--listen", "127.0.0.1:0", "--cert", cert, "--key", key, "--auth-key-pub", self.pub,
               "--key-id", key_id, "--team-id", team_id, "--record", self.record, "--dead-tokens", self.dead]
        for t in topics:
            cmd += ["--topic", t]
        self.proc = procs.start(cmd, self.out)
        self.port = wait_for(self._port, 10, "apns-sim to listen")

    def _port(self):
        if self.proc.poll() is not None:
            raise RuntimeError("apns-sim exited: " + open(self.out).read()[-500:])
        with open(self.out) as f:
            for line in f:
                if line.startswith("apns-sim listening on "):
                    return int(line.rsplit(":", 1)[1])
        return None

    def requests(self):
        try:
            with open(self.record) as f:
                return [json.loads(l) for l in f if l.strip()]
        except FileNotFoundError:
            return []

    def mark_dead(self, token, timestamp_ms=None):
        with open(self.dead, "a") as f:
            f.write("%s %d\n" % (token, timestamp_ms or int(time.time() * 1000)) if timestamp_ms else token + "\n")
        # the simulator re-reads the file when its mtime changes; make sure it does
        st = os.stat(self.dead)
        os.utime(self.dead, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


class Herald:
    def __init__(self, procs, binary, d, domain, ip, pki, routes, modules, default_module=None, extra=""):
        self.d, self.domain, self.ip = d, domain, ip
        self.cert, self.key = pki.issue(domain)
        self.log = os.path.join(d, "herald.log")
        self.config = os.path.join(d, "herald.toml")
        lines = ['[server]', 'domain = "%s"' % domain, 'log_level = "info"', 'log_file = "%s"' % self.log,
                 'data_dir = "%s"' % d, '', '[s2s]', 'listen = ["%s:5269"]' % ip,
                 'certificate = "%s"' % self.cert, 'key = "%s"' % self.key, 'ca_file = "%s"' % pki.ca, '',
                 '[s2s.routes]']
        lines += ['"%s" = "%s"' % kv for kv in routes.items()]
        lines += ['', '[push]']
        if default_module:
            lines.append('default_module = "%s"' % default_module)
        lines.append(extra)
        for m in modules:
            lines.append('\n[[push.module]]')
            lines += ['%s = %s' % (k, json.dumps(v)) for k, v in m.items()]
        with open(self.config, "w") as f:
            f.write("\n".join(lines) + "\n")
        self.out = os.path.join(d, "herald.out")
        self.proc = procs.start([binary, "--config", self.config], self.out)
        wait_tcp(ip, 5269, 10, self.proc, "herald")

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()


PROSODY_CFG = """
run_as_root = true
pidfile = "{d}/prosody.pid"
data_path = "{d}/data"
log = {{ {{ levels = {{ min = "debug" }}, to = "file", filename = "{d}/prosody.log" }} }}
interfaces = {{ "{ip}" }}
local_interfaces = {{ "{ip}" }}
c2s_ports = {{ 5222 }}
c2s_direct_tls_ports = {{ }}
s2s_ports = {{ 5269 }}
s2s_direct_tls_ports = {{ }}
http_ports = {{ }}
https_ports = {{ }}
modules_enabled = {{
    "roster"; "saslauth"; "tls"; "dialback"; "disco"; "ping";
    "smacks"; "mam"; "offline"; "carbons"; "cloud_notify";
}}
authentication = "internal_hashed"
storage = "internal"
c2s_require_encryption = true
s2s_require_encryption = true
s2s_secure_auth = {secure_auth}
ssl = {{ cafile = "{ca}" }}
unbound = {{ hoststxt = "{hosts}" }}
default_archive_policy = true
push_notification_with_body = {with_body}
push_notification_with_sender = {with_body}

VirtualHost "{domain}"
    ssl = {{ certificate = "{cert}"; key = "{key}"; }}
"""


class Prosody:
    """Prosody 0.12 with mod_cloud_notify, resolving names through its own hosts file."""

    def __init__(self, procs, d, domain, ip, pki, hosts, with_body=False, secure_auth=True,
                 eku="serverAuth,clientAuth"):
        self.d, self.domain, self.ip = d, domain, ip
        os.makedirs(os.path.join(d, "data"), exist_ok=True)
        os.makedirs(os.path.join(d, "certs"), exist_ok=True)
        cert, key = pki.issue(domain, eku=eku)
        hosts_file = os.path.join(d, "hosts")
        with open(hosts_file, "w") as f:
            f.write("127.0.0.1 localhost\n" + "".join("%s %s\n" % (a, n) for n, a in hosts.items()))
        self.cfg = os.path.join(d, "prosody.cfg.lua")
        with open(self.cfg, "w") as f:
            f.write(PROSODY_CFG.format(d=d, ip=ip, ca=pki.ca, hosts=hosts_file, domain=domain, cert=cert,
                                       key=key, with_body=str(with_body).lower(),
                                       secure_auth=str(secure_auth).lower()))
        self.log = os.path.join(d, "prosody.log")
        self.proc = procs.start(["prosody", "--config", self.cfg, "-F"], os.path.join(d, "prosody.out"), cwd=d)
        wait_tcp(ip, 5222, 20, self.proc, "prosody")
        wait_tcp(ip, 5269, 5, self.proc, "prosody")

    def register(self, user):
        run(["prosodyctl", "--config", self.cfg, "register", user, self.domain, PASSWORD], cwd=self.d, timeout=60)
        return "%s@%s" % (user, self.domain)

    def log_text(self):
        with open(self.log, errors="replace") as f:
            return f.read()


async def client(jid, ip, ca):
    import slixmpp
    x = slixmpp.ClientXMPP(jid, PASSWORD)
    x.ca_certs = ca
    done = asyncio.get_running_loop().create_future()
    x.add_event_handler("session_start", lambda _: done.done() or done.set_result(True))
    x.add_event_handler("failed_auth", lambda _: done.done() or done.set_exception(RuntimeError("auth " + jid)))
    x.connect(address=(ip, 5222))
    await asyncio.wait_for(done, 20)
    x.send_presence()
    return x


async def enable_push(x, push_jid, node, push_module):
    import xml.etree.ElementTree as ET
    iq = x.make_iq_set()
    iq.append(ET.fromstring(
        "<enable xmlns='urn:xmpp:push:0' jid='%s' node='%s'><x xmlns='jabber:x:data' type='submit'>"
        "<field var='FORM_TYPE'><value>http://jabber.org/protocol/pubsub#publish-options</value></field>"
        "<field var='pushModule'><value>%s</value></field></x></enable>" % (push_jid, node, push_module)))
    reply = await iq.send(timeout=10)
    assert reply["type"] == "result", reply
