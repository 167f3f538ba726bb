#!/usr/bin/env bash
# The .deb on this (clean Debian 12, root, no systemd running) machine:
# cpack builds it from BUILD_DIR, apt-get installs it for real (dependencies,
# postinst creating the herald user), the installed herald reports its version
# and accepts its installed configuration, then serves a copy of that
# configuration (throwaway certificates, the packaged apns-sim on loopback)
# as the herald user and answers one publish from the packaged herald-publish.
# Finally apt-get purge, and the herald user removed if it was made here, so
# the machine is left as it was. Usage: scripts/deb-install-check.sh BUILD_DIR
set -euo pipefail
BUILD=$(realpath "${1:?usage: $0 BUILD_DIR}")
export DEBIAN_FRONTEND=noninteractive
step() { echo "== deb-install: $*"; }

if dpkg -s herald >/dev/null 2>&1; then
  echo "herald is already installed here; this check installs and purges it, so it stops" >&2
  exit 1
fi
user_existed=0
getent passwd herald >/dev/null && user_existed=1
# Directories the package or the service may create; removed again if they were not here before.
leftovers=()
for d in /var/lib/herald /var/log/herald; do [ -e $d ] || leftovers+=($d); done

W=$(mktemp -d /tmp/herald-deb-install.XXXXXX)
chmod 0755 "$W"  # apt's _apt user reads the .deb; the herald user reads the config
pids=()
installed=0
cleanup() {
  local rc=$?
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ $installed = 1 ]; then
    step "apt-get purge -y herald"
    apt-get purge -y herald >"$W/purge.out" 2>&1 || { cat "$W/purge.out"; rc=1; }
    if dpkg -s herald >/dev/null 2>&1 || [ -e /etc/herald ] || [ -e /usr/bin/herald ]; then
      echo "   purge left herald behind"; rc=1
    fi
  fi
  for d in "${leftovers[@]}"; do
    [ -e "$d" ] && rm -rf "$d" && echo "   removed $d (made by this check)"
  done
  if [ $user_existed = 0 ] && getent passwd herald >/dev/null; then
    # Debian leaves system users behind on purge; this check made it, so it goes.
    userdel herald 2>/dev/null || true
    getent group herald >/dev/null && groupdel herald 2>/dev/null || true
    echo "   removed the herald user and group this check created"
  fi
  if [ $rc = 0 ]; then
    rm -rf "$W"
  else
    echo "== deb-install: FAILED (rc $rc); files kept in $W" >&2
  fi
  exit $rc
}
trap cleanup EXIT

step "cpack -G DEB in $BUILD"
cpack -G DEB --config "$BUILD/CPackConfig.cmake" -B "$W/pkg" >"$W/cpack.out" 2>&1 || { cat "$W/cpack.out"; exit 1; }
chmod 0755 "$W/pkg"
debs=("$W"/pkg/herald_*.deb)
[ ${#debs[@]} = 1 ] && [ -f "${debs[0]}" ] || { echo "expected one herald_*.deb: ${debs[*]}"; exit 1; }
DEB=${debs[0]}
echo "   $(basename "$DEB") ($(stat -c %s "$DEB") bytes)"

step "apt-get install -y ./$(basename "$DEB")"
installed=1
(cd "$W/pkg" && apt-get install -y "./$(basename "$DEB")") >"$W/install.out" 2>&1 || { cat "$W/install.out"; exit 1; }
dpkg -s herald | grep -E '^(Status|Version|Depends):' | sed 's/^/   /'
getent passwd herald >/dev/null || { echo "postinst did not create the herald user"; exit 1; }
echo "   user: $(getent passwd herald)"
echo "   /etc/herald/herald.toml: $(stat -c '%U:%G %a' /etc/herald/herald.toml)"

step "herald version"
/usr/bin/herald version | sed 's/^/   /'

step "herald check-config --syntax-only -c /etc/herald/herald.toml (as installed)"
/usr/bin/herald check-config --syntax-only -c /etc/herald/herald.toml | sed 's/^/   /'
step "herald check-config -c /etc/herald/herald.toml (full: expected to name the missing certificate)"
if /usr/bin/herald check-config -c /etc/herald/herald.toml >"$W/check-installed.out" 2>&1; then
  echo "   accepted"
else
  head -3 "$W/check-installed.out" | sed 's/^/   /'
fi

step "throwaway CA, certificates and APNs key in $W/pki"
mkdir -p "$W/pki"
(
  cd "$W/pki"
  ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
  openssl req -x509 $ec -keyout ca.key -out ca.crt -days 2 -subj "/CN=Herald deb-install CA" 2>/dev/null
  for d in push.test publisher.test apns.test; do
    openssl req $ec -keyout $d.key -out $d.csr -subj "/CN=$d" 2>/dev/null
    san="DNS:$d"; [ $d = apns.test ] && san="$san,IP:127.0.0.1"
    printf 'subjectAltName=%s\nextendedKeyUsage=serverAuth,clientAuth\n' "$san" >$d.ext
    openssl x509 -req -in $d.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out $d.crt -days 2 \
      -extfile $d.ext 2>/dev/null
  done
  openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out AuthKey_DEBCHECK01.p8
  openssl pkey -in AuthKey_DEBCHECK01.p8 -pubout -out AuthKey_DEBCHECK01.pub.pem 2>/dev/null
  # As an operator would: keys root:herald 0640, readable by the service only.
  chgrp herald push.test.key AuthKey_DEBCHECK01.p8 && chmod 0640 push.test.key AuthKey_DEBCHECK01.p8
)
chmod 0755 "$W/pki"

step "the packaged apns-sim on 127.0.0.1"
/usr/bin/apns-sim --listen 127.0.0.1:0 --cert "$W/pki/apns.test.crt" --key "$W/pki/apns.test.key" \
  --auth-key-pub "$W/pki/AuthKey_DEBCHECK01.pub.pem" --key-id DEBCHECK01 --team-id DEBTEAM001 \
  --topic org.example.app --record "$W/apns-requests.jsonl" >"$W/apns-sim.out" 2>&1 &
pids+=($!)
for _ in $(seq 200); do grep -q "listening on" "$W/apns-sim.out" 2>/dev/null && break; sleep 0.05; done
APNS_PORT=$(sed -n 's/^apns-sim listening on .*:\([0-9]*\)$/\1/p' "$W/apns-sim.out")
[ -n "$APNS_PORT" ] || { cat "$W/apns-sim.out"; exit 1; }
echo "   port $APNS_PORT"

# Random loopback addresses: port 5269 stays free for anything else on the machine.
HERALD_IP=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))
PUB_IP=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))
step "a copy of /etc/herald/herald.toml for push.test on $HERALD_IP:5269, apns-sim as upstream"
mkdir -p "$W/state" "$W/log"
chown herald:herald "$W/state" "$W/log"
python3 - /etc/herald/herald.toml "$W/herald.toml" "$W" "$HERALD_IP" "$PUB_IP" "$APNS_PORT" <<'PY'
import re, sys
src, dst, w, ip, pub, port = sys.argv[1:]
text = open(src).read()
# Android needs a Firebase service account; this check is about the package.
text = re.sub(r'\n\[\[push\.module\]\]\nname = "example-android".*', "\n", text, flags=re.S)
for old, new in (("/var/lib/herald", w + "/state"), ("/var/log/herald", w + "/log"),
                 ("/etc/herald/push.example.org", w + "/pki/push.test"),
                 ("/etc/herald/AuthKey_KEYID12345.p8", w + "/pki/AuthKey_DEBCHECK01.p8"),
                 ("push.example.org", "push.test"), ("ABCDE12345", "DEBTEAM001"), ("KEYID12345", "DEBCHECK01"),
                 ('listen = ["0.0.0.0:5269", "[::]:5269"]', 'listen = ["%s:5269"]\nca_file = "%s/pki/ca.crt"' % (ip, w)),
                 ('environment = "production"',
                  'environment = "production"\nendpoint = "127.0.0.1:%s"\nca_file = "%s/pki/ca.crt"' % (port, w))):
    if old not in text:
        sys.exit("the installed herald.toml no longer has %r; update scripts/deb-install-check.sh" % old)
    text = text.replace(old, new)
text += '\n[s2s.routes]\n"publisher.test" = "%s:5269"\n' % pub
open(dst, "w").write(text)
PY
chmod 0644 "$W/herald.toml"

step "herald check-config -c $W/herald.toml (as the herald user)"
setpriv --reuid=herald --regid=herald --init-groups -- /usr/bin/herald check-config -c "$W/herald.toml" \
  | sed 's/^/   /'

step "herald serve (as the herald user, in the background)"
setpriv --reuid=herald --regid=herald --init-groups -- /usr/bin/herald serve -c "$W/herald.toml" \
  >"$W/herald.out" 2>&1 &
HERALD_PID=$!
pids+=($HERALD_PID)
for _ in $(seq 400); do
  (exec 3<>"/dev/tcp/$HERALD_IP/5269") 2>/dev/null && break
  kill -0 $HERALD_PID 2>/dev/null || { cat "$W/herald.out"; echo "herald exited"; exit 1; }
  sleep 0.05
done
(exec 3<>"/dev/tcp/$HERALD_IP/5269") 2>/dev/null || { cat "$W/herald.out"; echo "herald not listening"; exit 1; }
echo "   pid $HERALD_PID, user $(ps -o user= -p $HERALD_PID), listening on $HERALD_IP:5269"

TOKEN=$(openssl rand -hex 32)
step "herald-publish: one publish from publisher.test for token ${TOKEN:0:8}…"
/usr/bin/herald-publish --domain publisher.test --listen "$PUB_IP:5269" \
  --cert "$W/pki/publisher.test.crt" --key "$W/pki/publisher.test.key" --ca "$W/pki/ca.crt" \
  --to push.test --route "push.test=$HERALD_IP:5269" --token "$TOKEN" --module example-ios --timeout 20 \
  >"$W/publish.out" 2>&1 || { cat "$W/publish.out" "$W/herald.out"; exit 1; }
sed 's/^/   /' "$W/publish.out" | head -5
tr "'" '"' <"$W/publish.out" | grep -q 'type="result"' || { echo "no result in the reply"; exit 1; }
python3 - "$W/apns-requests.jsonl" "$TOKEN" <<'PY' || { cat "$W/apns-requests.jsonl"; exit 1; }
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
if not [r for r in rows if r.get("token") == sys.argv[2] and r.get("status") == 200]:
    sys.exit("apns-sim did not record a 200 for the token")
PY
echo "   apns-sim answered 200 for the push"
# Info lines reach the file within 100 ms (written in blocks).
for _ in $(seq 50); do grep -q "outcome delivered" "$W/log/herald.log" && break; sleep 0.1; done
grep -q "outcome delivered" "$W/log/herald.log" || { echo "herald.log has no delivered outcome"; exit 1; }
echo "   herald.log ($(stat -c %U "$W/log/herald.log")): $(grep -m1 'outcome delivered' "$W/log/herald.log")"

step "stopping herald (SIGTERM)"
kill -TERM $HERALD_PID
rc=0; wait $HERALD_PID || rc=$?
pids=("${pids[@]/$HERALD_PID}")
echo "   exit status $rc"
[ $rc = 0 ] || { cat "$W/herald.out"; exit 1; }
