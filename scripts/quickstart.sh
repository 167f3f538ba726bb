#!/usr/bin/env bash
# The README's first command. Installs what Herald needs, builds it, and runs
# it on its embedded default: SQLite in .herald/, a throwaway local CA and
# certificates made at first run, and the APNs simulator as the upstream.
# Then a local publisher (acting as a user's XMPP server) sends one XEP-0357
# publish over s2s, and the script shows where the push arrived.
#   --keep-running   leave Herald and apns-sim running afterwards (Ctrl-C stops)
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
STATE=${HERALD_STATE_DIR:-$ROOT/.herald}
KEEP=0
[ "${1:-}" = "--keep-running" ] && KEEP=1

bash scripts/install-deps.sh
echo "== building (first build takes a few minutes)"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build herald apns-sim herald-publish

mkdir -p "$STATE/pki"
if [ ! -f "$STATE/pki/ca.crt" ]; then
  echo "== first run: making a throwaway local CA and certificates in $STATE/pki"
  (
    cd "$STATE/pki"
    ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
    openssl req -x509 $ec -keyout ca.key -out ca.crt -days 30 -subj "/CN=Herald quickstart CA" 2>/dev/null
    for d in push.localhost publisher.localhost apns.localhost; do
      openssl req $ec -keyout $d.key -out $d.csr -subj "/CN=$d" 2>/dev/null
      san="DNS:$d"; [ $d = apns.localhost ] && san="$san,IP:127.0.0.1"
      printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$san" > $d.ext
      openssl x509 -req -in $d.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out $d.crt -days 30 \
        -extfile $d.ext 2>/dev/null
    done
    # The APNs token-signing key (a .p8 as Apple hands out) and its public half for the simulator.
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out AuthKey_DEMOKEY001.p8
    openssl pkey -in AuthKey_DEMOKEY001.p8 -pubout -out AuthKey_DEMOKEY001.pub.pem 2>/dev/null
  )
fi

pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT

: > "$STATE/apns-requests.jsonl"
build/tools/apns-sim/apns-sim --listen 127.0.0.1:0 --cert "$STATE/pki/apns.localhost.crt" \
  --key "$STATE/pki/apns.localhost.key" --auth-key-pub "$STATE/pki/AuthKey_DEMOKEY001.pub.pem" \
  --key-id DEMOKEY001 --team-id DEMOTEAM01 --topic org.example.herald.demo \
  --record "$STATE/apns-requests.jsonl" > "$STATE/apns-sim.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "listening on" "$STATE/apns-sim.out" 2>/dev/null && break; sleep 0.05; done
APNS_PORT=$(sed -n 's/^apns-sim listening on .*:\([0-9]*\)$/\1/p' "$STATE/apns-sim.out")
[ -n "$APNS_PORT" ] || { cat "$STATE/apns-sim.out"; exit 1; }

cat > "$STATE/herald.toml" <<TOML
# Made by scripts/quickstart.sh; reference: docs/configuration.md
[server]
domain = "push.localhost"
log_level = "info"
data_dir = "$STATE"

[s2s]
listen = ["127.0.0.1:15269"]
certificate = "pki/push.localhost.crt"
key = "pki/push.localhost.key"
ca_file = "pki/ca.crt"

[s2s.routes]
"publisher.localhost" = "127.0.0.1:15270"

[push]
default_module = "demo-ios"

[[push.module]]
name = "demo-ios"
topic = "org.example.herald.demo"
endpoint = "127.0.0.1:$APNS_PORT"
ca_file = "pki/ca.crt"
team_id = "DEMOTEAM01"
key_id = "DEMOKEY001"
key_file = "pki/AuthKey_DEMOKEY001.p8"
TOML

echo "== starting Herald (push.localhost on 127.0.0.1:15269, upstream: apns-sim on 127.0.0.1:$APNS_PORT)"
build/src/apps/herald/herald --config "$STATE/herald.toml" 2> >(sed 's/^/   herald | /' >&2) &
pids+=($!)
for _ in $(seq 100); do (exec 3<>/dev/tcp/127.0.0.1/15269) 2>/dev/null && break; sleep 0.05; done

TOKEN=$(openssl rand -hex 32)
echo "== a local publisher (publisher.localhost) sends one push for device token ${TOKEN:0:8}…"
build/tools/publish/herald-publish --domain publisher.localhost --listen 127.0.0.1:15270 \
  --cert "$STATE/pki/publisher.localhost.crt" --key "$STATE/pki/publisher.localhost.key" \
  --ca "$STATE/pki/ca.crt" --to push.localhost --route push.localhost=127.0.0.1:15269 \
  --token "$TOKEN" --module demo-ios

python3 - "$STATE/apns-requests.jsonl" "$TOKEN" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
rows = [r for r in rows if r.get("token") == sys.argv[2]]
if not rows:
    sys.exit("== the push did not arrive at apns-sim")
r = rows[-1]
h = {k.lower(): v for k, v in r["headers"].items()}
print("== the push arrived at apns-sim: %s %s" % (r["method"], r["path"]))
print("   apns-topic=%s apns-push-type=%s apns-priority=%s -> %s %s"
      % (h.get("apns-topic"), h.get("apns-push-type"), h.get("apns-priority"), r["status"], r.get("reason") or "OK"))
print("   payload: %s" % r.get("payload"))
PY
if [ $KEEP = 1 ]; then
  echo "== Herald keeps running (config: $STATE/herald.toml). Ctrl-C stops it."
  wait
fi
