"""Observability end to end: apns-sim + Herald with [observability] on, a few
pushes sent by herald-publish (acting as a user's server), then:

  metrics: /metrics moves and parses with prometheus_client's text parsers
           (Prometheus 0.0.4 and OpenMetrics), carries no user data, and
           holds every metric the Grafana dashboard queries; /healthz;
           /readyz is 503 naming the module whose upstream is unreachable.
  page:    headless Chromium loads /status; the DOM shows drawn series with
           non-zero points and the screenshot has the pushes chart's colour
           inside the chart's box.

Usage: status_test.py metrics|page HERALD APNS_SIM HERALD_PUBLISH REPO_DIR
"""
import json
import os
import re
import secrets
import struct
import subprocess
import sys
import urllib.error
import urllib.request
import zlib

import harness

TOPIC = "org.example.herald"
PUSH_BLUE = (0x25, 0x63, 0xEB)  # the "sent upstream" series on the status page


def get(url, accept=None):
    req = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.headers.get("Content-Type", ""), r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.headers.get("Content-Type", ""), e.read().decode()


def raw_header_names(base, path):
    """The header names of a response as sent (lowercase), duplicates kept."""
    import socket
    host, port = base.split("//")[1].split(":")
    s = socket.create_connection((host, int(port)), timeout=10)
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" % path).encode())
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(4096)
        if not chunk:
            break
        data += chunk
    s.close()
    head = data.split(b"\r\n\r\n")[0].decode().split("\r\n")[1:]
    return [line.split(":")[0].strip().lower() for line in head]


def publish(binary, pki, pub_ip, herald_ip, token, module):
    return subprocess.run([binary, "--domain", "publisher.test", "--listen", "%s:5269" % pub_ip,
                           "--cert", os.path.join(pki.d, "publisher.test.crt"),
                           "--key", os.path.join(pki.d, "publisher.test.key"), "--ca", pki.ca,
                           "--to", "push.test", "--route", "push.test=%s:5269" % herald_ip,
                           "--token", token, "--module", module, "--timeout", "15"],
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=40).returncode


def png_pixels(path):
    """(width, height, rows of (r, g, b)) of an 8-bit RGB/RGBA PNG, without PIL."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, ihdr = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    w, h, depth, ctype, _, _, interlace = ihdr
    assert depth == 8 and ctype in (2, 6) and interlace == 0, ihdr
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(idat)
    stride = w * bpp
    rows, prev = [], bytearray(stride)
    for y in range(h):
        f = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for i in range(stride):
            a = line[i - bpp] if i >= bpp else 0
            b = prev[i]
            c = prev[i - bpp] if i >= bpp else 0
            if f == 1: line[i] = (line[i] + a) & 255
            elif f == 2: line[i] = (line[i] + b) & 255
            elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append([tuple(line[x * bpp:x * bpp + 3]) for x in range(w)])
        prev = line
    return w, h, rows


def check_metrics(base, tokens, repo):
    from prometheus_client.parser import text_string_to_metric_families
    from prometheus_client.openmetrics.parser import text_string_to_metric_families as om_families

    status, ctype, text = get(base + "/metrics")
    assert status == 200 and ctype.startswith("text/plain; version=0.0.4"), (status, ctype)
    fams = {f.name: f for f in text_string_to_metric_families(text)}
    status, ctype, om = get(base + "/metrics", "application/openmetrics-text; version=1.0.0")
    assert ctype.startswith("application/openmetrics-text"), ctype
    assert om.endswith("# EOF\n")
    om_fams = {f.name: f for f in om_families(om)}  # raises on any format error
    assert set(om_fams) == set(fams), set(om_fams) ^ set(fams)

    def value(name, **labels):
        for s in fams[name].samples:
            if s.name.endswith(("_total", "_count")) or s.name == name:
                if all(s.labels.get(k) == v for k, v in labels.items()):
                    return s.value
        return None
    assert value("herald_pushes", module="demo-ios", result="delivered", reason="none") == 4, \
        [s for s in fams["herald_pushes"].samples]
    assert value("herald_pushes", module="broken-ios", result="unavailable", reason="connection") == 1
    assert value("herald_upstream_request_seconds", module="demo-ios") == 4
    assert value("herald_iq_round_trip_seconds") == 5
    assert value("herald_publishes_received") == 5
    assert value("herald_upstream_ready", module="broken-ios") == 0
    assert value("herald_s2s_peer_domains") is not None  # streams may be gone once the publisher left
    assert fams["herald_iq_round_trip_seconds"].type == "histogram"
    # No per-user data anywhere: no peer domain, token or address. Only the certificate expiry
    # names a domain: the push domain, from the configuration.
    expiry = [l for l in text.splitlines() if l.startswith("herald_certificate_expiry_seconds{")]
    assert len(expiry) == 1 and expiry[0].startswith(
        'herald_certificate_expiry_seconds{service="s2s",domain="push.test"} '), expiry
    rest = "\n".join(l for l in text.splitlines() if not l.startswith("herald_certificate_expiry_seconds{"))
    for needle in ["publisher.test", "push.test", "127."] + tokens + [t[:8] for t in tokens]:
        assert needle not in rest, "metrics leak %r" % needle

    # Every metric the dashboard queries exists.
    dash = json.load(open(os.path.join(repo, "dashboards", "herald.grafana.json")))
    exprs = [t["expr"] for p in dash["panels"] for t in p["targets"]]
    assert len(exprs) >= 10, exprs
    used = set()
    for e in exprs:
        for name in re.findall(r"\bherald_[a-z0-9_]+", e):
            used.add(re.sub(r"(_total|_bucket|_sum|_count)$", "", name))
    missing = used - set(fams)
    assert not missing, "dashboard queries metrics Herald does not export: %s" % missing
    print("metrics: %d families, dashboard uses %d, all present" % (len(fams), len(used)))

    status, _, body = get(base + "/healthz")
    assert status == 200 and body.strip() == "ok"
    status, ctype, body = get(base + "/readyz")
    j = json.loads(body)
    for path in ("/readyz", "/status.json", "/metrics"):
        names = raw_header_names(base, path)
        assert len(names) == len(set(names)), "%s sends a header twice: %s" % (path, names)
    assert status == 503 and j["not_ready"] == ["broken-ios"], (status, body)
    for secret in ("BEGIN", "KEY1234567", "TEAM123456", "AuthKey"):
        assert secret not in body, "readyz must not show credentials: " + body


def check_page(base, d, herald_bin):
    chromium = "/usr/bin/chromium"
    if not os.path.exists(chromium):
        print("chromium is not installed (scripts/install-deps.sh adds it)")
        sys.exit(1)
    common = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
              "--hide-scrollbars", "--force-device-scale-factor=1", "--window-size=1280,900",
              "--user-data-dir=" + os.path.join(d, "chromium"), "--virtual-time-budget=5000"]
    dom = subprocess.run(common + ["--dump-dom", base + "/status"], capture_output=True, text=True,
                         timeout=50).stdout
    assert 'data-rendered="1"' in dom, dom[-2000:]
    series = re.findall(r'<path [^>]*class="series"[^>]*>', dom)
    pushes = [p for p in series if 'data-name="sent upstream"' in p]
    assert pushes, series
    assert int(re.search(r'data-points="(\d+)"', pushes[0]).group(1)) == 60
    assert int(re.search(r'data-nonzero="(\d+)"', pushes[0]).group(1)) >= 1, pushes[0]
    latency = [p for p in series if 'data-name="upstream request, avg"' in p]
    assert latency and int(re.search(r'data-nonzero="(\d+)"', latency[0]).group(1)) >= 1, latency
    assert "connection" in dom, "the errors chart should name the failing reason"
    assert "broken-ios" in dom and "unreachable" in dom, "upstream table"
    # The page names the service and shows totals since start: 5 publishes, 5 pushes sent,
    # 4 delivered (demo-ios), 1 not (broken-ios): 80 %.
    def text_of(el_id):
        m = re.search(r'id="%s"[^>]*>([^<]*)<' % el_id, dom)
        assert m, "no #%s on the page" % el_id
        return m.group(1)
    version = subprocess.run([herald_bin, "version"], capture_output=True, text=True).stdout.split()[-1]
    assert text_of("version") == version, (text_of("version"), version)
    assert text_of("domain") == "push.test", text_of("domain")
    assert text_of("region") == "region default", text_of("region")
    totals = {k: text_of("total-" + k) for k in ("publishes", "sent", "delivered", "failed")}
    assert totals == {"publishes": "5", "sent": "5", "delivered": "4", "failed": "1"}, totals
    assert text_of("ratio") == "80.0 %", text_of("ratio")
    box = re.search(r'<svg id="pushes"[^>]*data-box="([\d,]+)"', dom)
    assert box, "the pushes chart has no box"
    left, top, width, height = map(int, box.group(1).split(","))

    shot = os.path.join(d, "status.png")
    subprocess.run(common + ["--screenshot=" + shot, base + "/status"], capture_output=True, timeout=50)
    w, h, rows = png_pixels(shot)
    assert (w, h) == (1280, 900), (w, h)
    blue = sum(1 for y in range(top, min(top + height, h)) for x in range(left, min(left + width, w))
               if all(abs(a - b) <= 40 for a, b in zip(rows[y][x], PUSH_BLUE)))
    total = width * height
    print("status page: chart box %s, %d of %d pixels in the pushes colour; screenshot %s"
          % (box.group(1), blue, total, shot))
    assert blue >= 15, "the pushes chart drew nothing visible"


def main():
    mode, herald_bin, sim_bin, publish_bin, repo = sys.argv[1:6]
    td = harness.TestDir("status-" + mode)
    procs = harness.Procs()
    try:
        pki = harness.Pki(td.sub("pki"))
        pki.issue("publisher.test")
        sim = harness.ApnsSim(procs, sim_bin, td.sub("apns"), pki, [TOPIC])
        herald_ip = harness.free_loopback_ip(ports=(5269, 9090))
        pub_ip = harness.free_loopback_ip(ports=(5269,))
        module = {"topic": TOPIC, "ca_file": pki.ca, "team_id": sim.team_id, "key_id": sim.key_id,
                  "key_file": sim.p8}
        modules = [dict(module, name="demo-ios", endpoint="127.0.0.1:%d" % sim.port),
                   # Nothing listens there: this module's upstream is unreachable.
                   dict(module, name="broken-ios", endpoint="%s:9" % herald_ip)]
        extra = '\n[observability]\nenabled = true\nlisten = ["%s:9090"]\n' % herald_ip
        harness.Herald(procs, herald_bin, td.sub("herald"), "push.test", herald_ip, pki,
                       {"publisher.test": "%s:5269" % pub_ip}, modules, extra=extra)
        base = "http://%s:9090" % herald_ip
        harness.wait_tcp(herald_ip, 9090, 10, None, "observability listener")
        assert get(base + "/readyz")[0] == 200, "ready before any push"

        tokens = [secrets.token_hex(32) for _ in range(5)]
        for t in tokens[:4]:
            assert publish(publish_bin, pki, pub_ip, herald_ip, t, "demo-ios") == 0
        publish(publish_bin, pki, pub_ip, herald_ip, tokens[4], "broken-ios")  # answered `wait`
        harness.wait_for(lambda: len(sim.requests()) >= 4, 10, "apns-sim to see the pushes")

        if mode == "metrics":
            check_metrics(base, tokens, repo)
        else:
            check_page(base, td.path, herald_bin)
        td.ok = True
    finally:
        procs.stop_all()
        td.close()


if __name__ == "__main__":
    main()
