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
import threading
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
             "-keyout", "ca.key", "-out", "ca.crt", "-days", "30", "-subj", "/CN=Herald test CA"], cwd=d)

    def issue(self, domain, eku="serverAuth,clientAuth", ip=None):
        run(["openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
             "-keyout", domain + ".key", "-out", domain + ".csr", "-subj", "/CN=" + domain], cwd=self.d)
        with open(os.path.join(self.d, domain + ".ext"), "w") as f:
            san = "DNS:%s" % domain + (",IP:%s" % ip if ip else "")
            f.write("subjectAltName=%s\nextendedKeyUsage=%s\n" % (san, eku))
        run(["openssl", "x509", "-req", "-in", domain + ".csr", "-CA", "ca.crt", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", domain + ".crt", "-days", "30", "-extfile", domain + ".ext"], cwd=self.d)
        return os.path.join(self.d, domain + ".crt"), os.path.join(self.d, domain + ".key")

    def issue_dated(self, name, names, not_before_days, not_after_days):
        """A certificate for `names` (DNS SANs) valid from now + not_before_days to now +
        not_after_days (negative: in the past), signed by this CA; saved as name.crt / name.key."""
        import datetime
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
        with open(os.path.join(self.d, "ca.key"), "rb") as f:
            ca_key = serialization.load_pem_private_key(f.read(), None)
        with open(self.ca, "rb") as f:
            ca = x509.load_pem_x509_certificate(f.read())
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
                .issuer_name(ca.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now + datetime.timedelta(days=not_before_days))
                .not_valid_after(now + datetime.timedelta(days=not_after_days))
                .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
                .sign(ca_key, hashes.SHA256()))
        crt, pem_key = os.path.join(self.d, name + ".crt"), os.path.join(self.d, name + ".key")
        with open(crt, "wb") as f:
            f.write(cert.public_bytes(serialization.Encoding.PEM))
        with open(pem_key, "wb") as f:
            f.write(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                      serialization.NoEncryption()))
        return crt, pem_key

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
    def __init__(self, procs, binary, d, pki, topics, team_id="TEAM123456", key_id="KEY1234567", extra_args=()):
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
        cmd += list(extra_args)
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


class FcmSim:
    """fcm-sim with a fresh service account (RSA key from openssl genpkey), its JSON file for Herald,
    a per-token behaviours file and the record of every request (JSON lines)."""

    def __init__(self, procs, binary, d, pki, project="herald-fcm-test"):
        self.d, self.project = d, project
        cert, key = pki.issue("fcm.localhost", eku="serverAuth", ip="127.0.0.1")
        sa_key = os.path.join(d, "service-account.key")
        run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", sa_key])
        self.private_key = open(sa_key).read()
        self.client_email = "herald@%s.iam.gserviceaccount.com" % project
        self.service_account = os.path.join(d, "service-account.json")
        with open(self.service_account, "w") as f:
            json.dump({"type": "service_account", "project_id": project, "private_key_id": "test-key-1",
                       "private_key": self.private_key, "client_email": self.client_email,
                       "token_uri": "https://oauth2.googleapis.com/token"}, f)
        self.record = os.path.join(d, "requests.jsonl")
        self.tokens = os.path.join(d, "tokens")
        open(self.tokens, "w").close()
        self.out = os.path.join(d, "fcm-sim.out")
        self.proc = procs.start([binary, "--listen", "127.0.0.1:0", "--cert", cert, "--key", key,
                                 "--service-account", self.service_account, "--tokens", self.tokens,
                                 "--record", self.record], self.out)
        self.port = wait_for(self._port, 10, "fcm-sim to listen")

    def _port(self):
        if self.proc.poll() is not None:
            raise RuntimeError("fcm-sim exited: " + open(self.out).read()[-500:])
        with open(self.out) as f:
            for line in f:
                if line.startswith("fcm-sim listening on "):
                    return int(line.rsplit(":", 1)[1])
        return None

    def module(self, name, ca_file):
        """A Herald [[push.module]] pointing both endpoints at this simulator."""
        endpoint = "127.0.0.1:%d" % self.port
        return {"name": name, "service": "fcm", "service_account_file": self.service_account,
                "endpoint": endpoint, "token_endpoint": endpoint, "ca_file": ca_file}

    def requests(self, kind=None):
        try:
            with open(self.record) as f:
                reqs = [json.loads(l) for l in f if l.strip()]
        except FileNotFoundError:
            return []
        return [r for r in reqs if kind is None or r["kind"] == kind]

    def set_behaviour(self, token, behaviour):
        """behaviour: ok, UNREGISTERED, INVALID_ARGUMENT, SENDER_ID_MISMATCH, QUOTA_EXCEEDED, UNAVAILABLE, INTERNAL."""
        with open(self.tokens, "a") as f:
            f.write("%s %s\n" % (token, behaviour))
        st = os.stat(self.tokens)  # the simulator re-reads on an mtime change; make sure there is one
        os.utime(self.tokens, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))


class Herald:
    def __init__(self, procs, binary, d, domain, ip, pki, routes, modules, default_module=None, extra="",
                 s2s_extra=""):
        self.d, self.domain, self.ip = d, domain, ip
        self.cert, self.key = pki.issue(domain)
        self.log = os.path.join(d, "herald.log")
        self.config = os.path.join(d, "herald.toml")
        lines = ['[server]', 'domain = "%s"' % domain, 'log_level = "info"', 'log_file = "%s"' % self.log,
                 'data_dir = "%s"' % d, '', '[s2s]', 'listen = ["%s:5269"]' % ip,
                 'certificate = "%s"' % self.cert, 'key = "%s"' % self.key, 'ca_file = "%s"' % pki.ca, s2s_extra,
                 '', '[s2s.routes]']
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

    # Herald writes info lines in blocks, at least every 100 ms (docs/operations.md "Logging").
    LOG_FLUSH_S = 0.1

    def await_log(self, text, timeout=5):
        """Waits until `text` is in the log."""
        return wait_for(lambda: text in self.log_text(), timeout, "%r in Herald's log" % text)

    def settled_log_text(self):
        """The log once lines already logged are surely written (for 'not in' and counts)."""
        time.sleep(3 * self.LOG_FLUSH_S)
        return self.log_text()


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
s2s_direct_tls_ports = {{ {s2s_direct_tls} }}
http_ports = {{ }}
https_ports = {{ }}
modules_enabled = {{
    "roster"; "saslauth"; "tls"; "dialback"; "disco"; "ping";
    "smacks"; "mam"; "offline"; "carbons"; "cloud_notify";{extra_modules}
}}
authentication = "internal_hashed"
storage = "internal"
c2s_require_encryption = true
s2s_require_encryption = true
s2s_secure_auth = {secure_auth}
ssl = {{ cafile = "{ca}" }}
unbound = {{ hoststxt = "{hosts}"{resolvconf} }}
default_archive_policy = true
push_notification_with_body = {with_body}
push_notification_with_sender = {with_body}
{extra_global}
VirtualHost "{domain}"
    ssl = {{ certificate = "{cert}"; key = "{key}"; }}
{extra_hosts}
"""


class Prosody:
    """Prosody 0.12 with mod_cloud_notify, resolving names through its own hosts file."""

    def __init__(self, procs, d, domain, ip, pki, hosts, with_body=False, secure_auth=True,
                 eku="serverAuth,clientAuth", issuer=None, dns=None, direct_tls=False, extra_modules=(),
                 extra_global="", extra_hosts=""):
        # issuer: another Pki for Prosody's own certificate (one Herald does not trust); Prosody
        # still trusts `pki`'s CA.
        self.d, self.domain, self.ip = d, domain, ip
        os.makedirs(os.path.join(d, "data"), exist_ok=True)
        os.makedirs(os.path.join(d, "certs"), exist_ok=True)
        cert, key = (issuer or pki).issue(domain, eku=eku)
        if direct_tls:  # Prosody's direct TLS port finds certificates by name in certs/
            shutil.copy(cert, os.path.join(d, "certs", domain + ".crt"))
            shutil.copy(key, os.path.join(d, "certs", domain + ".key"))
        hosts_file = os.path.join(d, "hosts")
        with open(hosts_file, "w") as f:
            f.write("127.0.0.1 localhost\n" + "".join("%s %s\n" % (a, n) for n, a in hosts.items()))
        self.cfg = os.path.join(d, "prosody.cfg.lua")
        with open(self.cfg, "w") as f:
            f.write(PROSODY_CFG.format(d=d, ip=ip, ca=pki.ca, hosts=hosts_file, domain=domain, cert=cert,
                                       key=key, with_body=str(with_body).lower(),
                                       secure_auth=str(secure_auth).lower(),
                                       resolvconf=self._resolvconf(d, dns),
                                       s2s_direct_tls="5270" if direct_tls else "",
                                       extra_modules="".join(' "%s";' % m for m in extra_modules),
                                       extra_global=extra_global, extra_hosts=extra_hosts))
        self.log = os.path.join(d, "prosody.log")
        self.procs = procs
        self.start()

    def start(self):
        """Starts Prosody (again, e.g. after procs.stop(self.proc)) with the same config and data."""
        self.proc = self.procs.start(["prosody", "--config", self.cfg, "-F"], os.path.join(self.d, "prosody.out"),
                                     cwd=self.d)
        wait_tcp(self.ip, 5222, 20, self.proc, "prosody")
        wait_tcp(self.ip, 5269, 5, self.proc, "prosody")

    @staticmethod
    def _resolvconf(d, dns):
        # dns: a Dnsmasq; libunbound then asks it (SRV records) besides the hosts file.
        if not dns:
            return ""
        path = os.path.join(d, "resolv.conf")
        with open(path, "w") as f:
            f.write("nameserver %s\n" % dns.ip)
        return '; resolvconf = "%s"' % path

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


EJABBERD_YML = """hosts:
  - {domain}
loglevel: {loglevel}
log_rotate_count: 0
certfiles:
  - {cert}
  - {key}
ca_file: {ca}
s2s_use_starttls: required
s2s_dns_timeout: 2
s2s_dns_retries: 1
s2s_max_retry_delay: 2
outgoing_s2s_families:
  - ipv4
listen:
  -
    port: 5222
    ip: {ip}
    module: ejabberd_c2s
    starttls_required: true
  -
    port: 5269
    ip: {ip}
    module: ejabberd_s2s_in
  -
    port: 5280
    ip: {ip}
    module: ejabberd_http
    request_handlers:
      /api: mod_http_api
{extra_listen}api_permissions:
  "test users":
    from: mod_http_api
    who:
      ip: 127.0.0.0/8
    what: register
auth_method: internal
acl:
  local:
    user_regexp: ""
access_rules:
  local:
    allow: local
  c2s:
    allow: all
modules:
  mod_disco: {{}}
  mod_roster: {{}}
  mod_ping: {{}}
  mod_carboncopy: {{}}
  mod_client_state: {{}}
  mod_s2s_dialback: {{}}
  mod_offline: {{}}
  mod_mam:
    default: always
  mod_stream_mgmt: {{}}
  mod_push: {mod_push}
  mod_push_keepalive: {{}}
{extra_yml}"""


def free_tcp_port(ip):
    s = socket.socket()
    s.bind((ip, 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Ejabberd:
    """ejabberd 23.01 (mod_push) on its own address, per docs/testing.md: no epmd (ERL_DIST_PORT on a free
    port), runs as the calling user, and resolves names through its own hosts file bind-mounted on
    /etc/hosts in a private mount namespace (needs root; ejabberd's s2s ignores an inetrc)."""

    def __init__(self, procs, d, domain, ip, pki, hosts, dns=None, extra_listen="", extra_yml="", loglevel="info",
                 mod_push="{}"):
        # mod_push: its options as YAML flow, e.g. "{include_body: true, include_sender: true}".
        # dns: a Dnsmasq, bind-mounted as /etc/resolv.conf too (SRV lookups: inet_res; A: getaddrinfo).
        # extra_listen: more `listen:` items (YAML, indented as the others); extra_yml: top-level keys.
        import secrets
        self.procs, self.d, self.domain, self.ip = procs, d, domain, ip
        conf, spool, logs = (os.path.join(d, x) for x in ("conf", "spool", "logs"))
        for x in (conf, spool, logs):
            os.makedirs(x, exist_ok=True)
        cert, key = pki.issue(domain)
        hosts_file = os.path.join(d, "hosts")
        with open(hosts_file, "w") as f:
            f.write("127.0.0.1 localhost\n" + "".join("%s %s\n" % (a, n) for n, a in hosts.items()))
        with open(os.path.join(conf, "ejabberd.yml"), "w") as f:
            f.write(EJABBERD_YML.format(domain=domain, ip=ip, cert=cert, key=key, ca=pki.ca, loglevel=loglevel,
                                        extra_listen=extra_listen, extra_yml=extra_yml, mod_push=mod_push))
        with open(os.path.join(conf, "ejabberdctl.cfg"), "w") as f:
            f.write("EXEC_CMD=as_current_user\nERLANG_NODE=ejab@%s\nERL_DIST_PORT=%d\n"
                    "ERL_OPTIONS=\"-setcookie %s -kernel inet_dist_use_interface {%s}\"\n"
                    % (ip, free_tcp_port(ip), secrets.token_hex(16), ip.replace(".", ",")))
        open(os.path.join(conf, "inetrc"), "w").close()
        self.ctl = ["ejabberdctl", "--config-dir", conf, "--spool", spool, "--logs", logs]
        self.log = os.path.join(logs, "ejabberd.log")
        resolv = ""
        if dns:
            resolv_file = os.path.join(d, "resolv.conf")
            with open(resolv_file, "w") as f:
                f.write("nameserver %s\n" % dns.ip)
            resolv = "mount --bind %s /etc/resolv.conf && " % resolv_file
        inner = "mount --bind %s /etc/hosts && %sexec %s foreground" % (
            hosts_file, resolv, " ".join(self.ctl))
        self.proc = procs.start(["unshare", "--mount", "sh", "-c", inner], os.path.join(d, "ejabberd.out"))
        # An Erlang VM start: under a loaded CI machine it has taken over 30 s.
        wait_tcp(ip, 5222, 90, self.proc, "ejabberd")
        wait_tcp(ip, 5269, 10, self.proc, "ejabberd")
        wait_tcp(ip, 5280, 10, self.proc, "ejabberd")

    def register(self, user):
        # Through mod_http_api: each ejabberdctl call starts an Erlang VM (4-20 s on a busy machine).
        import urllib.request
        body = json.dumps({"user": user, "host": self.domain, "password": PASSWORD}).encode()
        with urllib.request.urlopen("http://%s:5280/api/register" % self.ip, body, timeout=30) as r:
            assert r.status == 200, r.read()
        return "%s@%s" % (user, self.domain)

    def log_text(self):
        try:
            with open(self.log, errors="replace") as f:
                return f.read()
        except FileNotFoundError:
            return ""


class Dnsmasq:
    """A DNS server of the test's own on a loopback address (port 53), answering only the
    records given: srv = [(name, target, port)], a = {name: ip}. Needed for XEP-0368 direct
    TLS, which servers only use through _xmpps-server._tcp SRV records."""

    def __init__(self, procs, d, srv, a):
        self.ip = free_loopback_ip(ports=(53,))
        cmd = ["dnsmasq", "--keep-in-foreground", "--conf-file=/dev/null", "--no-resolv", "--no-hosts",
               "--bind-interfaces", "--listen-address=" + self.ip, "--port=53", "--user=root", "--pid-file",
               "--log-queries", "--log-facility=-"]
        cmd += ["--srv-host=%s,%s,%d,0,5" % (name, target, port) for name, target, port in srv]
        cmd += ["--host-record=%s,%s" % (name, ip) for name, ip in a.items()]
        self.out = os.path.join(d, "dnsmasq.out")
        self.proc = procs.start(cmd, self.out)
        wait_for(self._ready, 10, "dnsmasq to listen")

    def _ready(self):
        if self.proc.poll() is not None:
            raise RuntimeError("dnsmasq exited: " + open(self.out).read()[-500:])
        return "started, version" in open(self.out).read()

    def log_text(self):
        with open(self.out, errors="replace") as f:
            return f.read()


PG_BIN = "/usr/lib/postgresql/15/bin"


class Postgres:
    """A PostgreSQL 15 server of the test's own: initdb into d, `postgres` on a free loopback
    address (port 5432) with fsync off, trust authentication for user `herald`. PostgreSQL refuses
    to run as root, so as root it runs as the `postgres` user (runuser). stop() is a fast shutdown."""

    def __init__(self, procs, d):
        import pwd
        if not os.path.exists(os.path.join(PG_BIN, "initdb")):
            raise RuntimeError("PostgreSQL 15 server binaries missing in %s (apt install postgresql)" % PG_BIN)
        self.procs, self.d = procs, d
        self.data = os.path.join(d, "data")
        self.prefix = []
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(d, pw.pw_uid, pw.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        run(self.prefix + [os.path.join(PG_BIN, "initdb"), "-D", self.data, "-U", "herald", "-A", "trust",
                           "-N", "-E", "UTF8", "--no-instructions"], timeout=120)
        self.ip = free_loopback_ip(ports=(5432,))
        self.conninfo = "host=%s port=5432 user=herald dbname=postgres" % self.ip
        self.start()

    def start(self):
        self.proc = self.procs.start(self.prefix + [os.path.join(PG_BIN, "postgres"), "-D", self.data,
                                                    "-h", self.ip, "-p", "5432", "-k", self.d, "-F",
                                                    "-c", "full_page_writes=off"],
                                     os.path.join(self.d, "postgres.out"))
        wait_tcp(self.ip, 5432, 60, self.proc, "postgres")

    def stop(self):
        self.procs.stop(self.proc, sig=signal.SIGINT)  # fast shutdown: connected clients do not hold it

    def pids(self):
        """The postmaster and its children (backends, background workers)."""
        with open(os.path.join(self.data, "postmaster.pid")) as f:
            root = int(f.readline())
        out = [root]
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                with open("/proc/%s/stat" % name) as f:
                    stat = f.read()
            except OSError:
                continue
            if int(stat[stat.rindex(")") + 2:].split()[1]) == root:
                out.append(int(name))
        return out

    def freeze(self):
        """SIGSTOP to the postmaster and every backend: TCP still accepted, nothing answered."""
        for pid in self.pids():
            os.kill(pid, signal.SIGSTOP)

    def thaw(self):
        for pid in self.pids():
            os.kill(pid, signal.SIGCONT)

    def query(self, sql):
        """Rows of one query through psql, as lists of strings."""
        out = run(["psql", "-X", "-A", "-t", "-F", "|", "-d", self.conninfo, "-c", sql], timeout=30)
        return [line.split("|") for line in out.splitlines() if line]


class Redis:
    """redis-server on a free loopback address and port with persistence off (no RDB, no AOF)."""

    def __init__(self, procs, d):
        self.procs, self.d = procs, d
        self.ip = free_loopback_ip(ports=())
        self.port = free_tcp_port(self.ip)
        self.start()

    @property
    def address(self):
        return "%s:%d" % (self.ip, self.port)

    def start(self):
        self.proc = self.procs.start(["redis-server", "--bind", self.ip, "--port", str(self.port), "--save", "",
                                      "--appendonly", "no", "--dir", self.d, "--protected-mode", "no"],
                                     os.path.join(self.d, "redis.out"))
        wait_tcp(self.ip, self.port, 20, self.proc, "redis-server")

    def stop(self):
        self.procs.stop(self.proc)

    def freeze(self):
        """SIGSTOP: connections still accepted by the kernel, nothing answered."""
        os.kill(self.proc.pid, signal.SIGSTOP)

    def thaw(self):
        os.kill(self.proc.pid, signal.SIGCONT)

    def keys(self, pattern="*"):
        out = run(["redis-cli", "-h", self.ip, "-p", str(self.port), "--raw", "KEYS", pattern], timeout=10)
        return [k for k in out.splitlines() if k]


class Relay:
    """A TCP relay on ip:port (0: any port) to `target`, for cutting a stream the way a dying link
    does. While `swallowing`, the bytes the target side writes (swallow="target") or those the
    connecting side writes (swallow="client") are dropped and counted in `swallowed`; cut() ends
    every relayed connection."""

    def __init__(self, ip, target, port=0, swallow="client"):
        self.target, self.swallow_from_client = target, swallow == "client"
        self.swallowing, self.swallowed, self.conns = False, 0, []
        self.lock = threading.Lock()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ip = ip
        self.sock.bind((ip, port))
        self.sock.listen()
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                a, _ = self.sock.accept()
            except OSError:
                return
            b = socket.create_connection(self.target)
            with self.lock:
                self.conns += [a, b]
            threading.Thread(target=self._pump, args=(a, b, self.swallow_from_client), daemon=True).start()
            threading.Thread(target=self._pump, args=(b, a, not self.swallow_from_client), daemon=True).start()

    def _pump(self, src, dst, swallowable):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if swallowable and self.swallowing:
                    self.swallowed += len(data)
                    continue
                dst.sendall(data)
        except OSError:
            pass
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def cut(self):
        with self.lock:
            conns, self.conns = self.conns, []
        self.swallowing = False
        for s in conns:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self):
        self.sock.close()
        self.cut()
