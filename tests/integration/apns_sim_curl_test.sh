#!/usr/bin/env bash
# End-to-end check of apns-sim with tools independent of it: openssl makes the
# keys, the certificate and the ES256 provider token; curl speaks HTTP/2 over
# TLS. Usage: apns_sim_curl_test.sh /path/to/apns-sim
set -euo pipefail

SIM="${1:?usage: $0 /path/to/apns-sim}"
command -v curl >/dev/null || { echo "SKIP: curl not installed"; exit 77; }
curl -V | grep -qw HTTP2 || { echo "SKIP: curl lacks HTTP2"; exit 77; }

WORK="$(mktemp -d)"
SIM_PID=""
cleanup() {
  if [ -n "$SIM_PID" ]; then kill "$SIM_PID" 2>/dev/null || true; wait "$SIM_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT
cd "$WORK"

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# Keys: the provider-token signing key (as Apple's .p8) and the TLS server cert.
openssl ecparam -name prime256v1 -genkey -noout -out auth.key 2>/dev/null
openssl ec -in auth.key -pubout -out auth.pub 2>/dev/null
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
  -keyout server.key -out server.crt -days 1 -subj /CN=localhost \
  -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" 2>/dev/null

KID=ABC123DEFG
TEAM=TEAM123456
TOPIC=com.example.app
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
# openssl signs ECDSA in DER; JOSE wants the two 32-byte integers R||S.
der_to_raw() {
  python3 -c '
import sys
d = sys.stdin.buffer.read()
i = 2 if d[1] < 0x80 else 3
out = b""
for _ in range(2):
    assert d[i] == 2
    n = d[i + 1]
    out += int.from_bytes(d[i + 2:i + 2 + n], "big").to_bytes(32, "big")
    i += 2 + n
sys.stdout.buffer.write(out)'
}
make_jwt() {  # make_jwt IAT
  local input
  input="$(printf '{"alg":"ES256","kid":"%s"}' "$KID" | b64url).$(printf '{"iss":"%s","iat":%s}' "$TEAM" "$1" | b64url)"
  printf '%s.%s' "$input" "$(printf '%s' "$input" | openssl dgst -sha256 -sign auth.key | der_to_raw | b64url)"
}
NOW=$(date +%s)
JWT="$(make_jwt "$NOW")"
OLD_JWT="$(make_jwt $((NOW - 7200)))"

GOOD=$(printf 'ab%.0s' $(seq 32))
DEAD=$(printf 'cd%.0s' $(seq 32))
LATE=$(printf 'ef%.0s' $(seq 32))
echo "$DEAD 1700000000123" > dead.txt

"$SIM" --listen 127.0.0.1:0 --cert server.crt --key server.key --auth-key-pub auth.pub \
  --key-id "$KID" --team-id "$TEAM" --topic "$TOPIC" --dead-tokens dead.txt \
  --record record.jsonl > sim.out 2> sim.err &
SIM_PID=$!
for _ in $(seq 100); do
  grep -q "listening on" sim.out 2>/dev/null && break
  sleep 0.05
done
PORT=$(sed -n 's/^apns-sim listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' sim.out)
[ -n "$PORT" ] || { echo "FAIL: simulator did not start"; cat sim.err; exit 1; }

requests=0
# push NAME EXPECTED_STATUS EXPECTED_REASON TOKEN [curl args...]
push() {
  local name=$1 want_status=$2 want_reason=$3 token=$4
  shift 4
  requests=$((requests + 1))
  local status
  status=$(curl -sS --http2 --cacert server.crt -o "$name.body" -D "$name.headers" \
    -w '%{http_code}' "$@" "https://127.0.0.1:$PORT/3/device/$token") || true
  [ "$status" = "$want_status" ] || fail "$name: status $status, want $want_status"
  if [ -n "$want_reason" ]; then
    grep -q "\"reason\":\"$want_reason\"" "$name.body" ||
      fail "$name: body '$(cat "$name.body")', want reason $want_reason"
  elif [ -s "$name.body" ]; then
    fail "$name: success with a body: $(cat "$name.body")"
  fi
}
PAYLOAD='{"aps":{"alert":{"title":"t","body":"b"},"mutable-content":1}}'
ID=3f2a0e1c-5b6d-4e7f-8a9b-0c1d2e3f4a5b
common=(-H "apns-topic: $TOPIC" -H "apns-push-type: alert" -H "apns-priority: 10"
        --data-binary "$PAYLOAD")

push valid 200 "" "$GOOD" "${common[@]}" -H "authorization: bearer $JWT" -H "apns-id: $ID"
grep -qi "^apns-id: $ID" valid.headers || fail "valid: apns-id not echoed"

push dead 410 Unregistered "$DEAD" "${common[@]}" -H "authorization: bearer $JWT"
grep -q '"timestamp":1700000000123' dead.body || fail "dead: timestamp missing: $(cat dead.body)"

echo "$LATE" >> dead.txt  # marked dead while the simulator runs
push late_dead 410 Unregistered "$LATE" "${common[@]}" -H "authorization: bearer $JWT"

push bad_token 400 BadDeviceToken "nothex" "${common[@]}" -H "authorization: bearer $JWT"
push no_jwt 403 MissingProviderToken "$GOOD" "${common[@]}"
push expired_jwt 403 ExpiredProviderToken "$GOOD" "${common[@]}" -H "authorization: bearer $OLD_JWT"
push bad_topic 400 DeviceTokenNotForTopic "$GOOD" -H "apns-topic: com.other.app" \
  -H "authorization: bearer $JWT" --data-binary "$PAYLOAD"
push get 405 MethodNotAllowed "$GOOD" -X GET -H "authorization: bearer $JWT"

# One JSON line per request, with what a test needs to check the sender.
lines=$(wc -l < record.jsonl)
[ "$lines" -eq "$requests" ] || fail "record: $lines lines for $requests requests"
python3 - "$JWT" "$GOOD" "$ID" <<'PY' || fail "record content"
import json, sys
jwt, good, apns_id = sys.argv[1:]
records = [json.loads(line) for line in open("record.jsonl")]
first = records[0]
assert first["status"] == 200 and first["reason"] is None, first
assert first["token"] == good and first["method"] == "POST", first
assert first["headers"]["authorization"] == "bearer " + jwt, first["headers"]
assert first["apns_id"] == apns_id and json.loads(first["payload"])["aps"], first
assert [r["status"] for r in records] == [200, 410, 410, 400, 403, 403, 400, 405], records
PY

kill -TERM "$SIM_PID"
if ! wait "$SIM_PID"; then fail "simulator did not exit cleanly on SIGTERM"; fi
SIM_PID=""

if [ "$failures" -ne 0 ]; then
  echo "--- simulator stderr"; cat sim.err
  exit 1
fi
echo "PASS: apns_sim_curl ($requests requests)"
