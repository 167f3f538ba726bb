#!/usr/bin/env bash
# The .deb packages on this machine, for real (CI's deb-install phase; a clean
# Debian 12, as root, with or without systemd running):
#  1. cpack builds herald and herald-tools from BUILD_DIR; apt-get installs
#     both (dependencies; postinst makes the herald user and its directories);
#  2. the installed herald reports its version and accepts its installed
#     configuration; then it serves a copy of it (throwaway certificates, the
#     packaged apns-sim on loopback, the installed state and log directories)
#     as the herald user, started by hand under umask 022, and answers one
#     publish from the packaged herald-publish; nothing it wrote is readable
#     by other users;
#  3. `apt-get remove` stops that running herald (prerm) and keeps state,
#     logs, configuration and the user;
#  4. `apt-get purge` leaves no package, user, group, state, logs or
#     configuration behind.
# Usage: scripts/deb-install-check.sh BUILD_DIR
set -euo pipefail
BUILD=$(realpath "${1:?usage: $0 BUILD_DIR}")
export DEBIAN_FRONTEND=noninteractive
step() { echo "== deb-install: $*"; }
fail() { echo "   FAILED: $*" >&2; exit 1; }

# Purge deletes the herald user, /var/lib/herald and /var/log/herald: refuse to
# run where any of them (or the packages) already exist.
for p in herald herald-tools; do
  if dpkg -s "$p" >/dev/null 2>&1; then
    echo "$p is installed here; this check installs and purges it, so it stops" >&2
    exit 1
  fi
done
for d in /etc/herald /var/lib/herald /var/log/herald; do
  [ -e $d ] && { echo "$d exists here; this check's purge would delete it, so it stops" >&2; exit 1; }
done
if getent passwd herald >/dev/null || getent group herald >/dev/null; then
  echo "a herald user or group exists here; this check's purge would delete it, so it stops" >&2
  exit 1
fi

W=$(mktemp -d /tmp/herald-deb-install.XXXXXX)
chmod 0755 "$W"  # apt's _apt user reads the .debs; the herald user reads the config
pids=()
installed=0
cleanup() {
  local rc=$?
  for p in "${pids[@]}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  if [ $rc != 0 ] && [ $installed = 1 ]; then
    echo "   purging after the failure"
    apt-get purge -y herald herald-tools >"$W/purge-after-failure.out" 2>&1 || true
    # What this check's run left (none of it existed before it started).
    rm -rf /etc/herald /var/lib/herald /var/log/herald
    getent passwd herald >/dev/null && userdel herald 2>/dev/null || true
    getent group herald >/dev/null && groupdel herald 2>/dev/null || true
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
server=("$W"/pkg/herald_*.deb)
tools=("$W"/pkg/herald-tools_*.deb)
[ ${#server[@]} = 1 ] && [ -f "${server[0]}" ] && [ ${#tools[@]} = 1 ] && [ -f "${tools[0]}" ] ||
  fail "expected herald_*.deb and herald-tools_*.deb: $(ls "$W/pkg")"
for deb in "${server[0]}" "${tools[0]}"; do echo "   $(basename "$deb") ($(stat -c %s "$deb") bytes)"; done

step "apt-get install -y ./$(basename "${server[0]}") ./$(basename "${tools[0]}")"
installed=1
(cd "$W/pkg" && apt-get install -y "./$(basename "${server[0]}")" "./$(basename "${tools[0]}")") \
  >"$W/install.out" 2>&1 || { cat "$W/install.out"; exit 1; }
for p in herald herald-tools; do
  echo "   $p: $(dpkg-query -W -f '${Status} ${Version}' $p)"
done
getent passwd herald >/dev/null || fail "postinst did not create the herald user"
echo "   user: $(getent passwd herald)"
expect_mode() {  # PATH OWNER:GROUP MODE
  local got
  got=$(stat -c '%U:%G %a' "$1")
  echo "   $1: $got"
  [ "$got" = "$2 $3" ] || fail "$1 is $got, expected $2 $3"
}
expect_mode /etc/herald root:herald 750
expect_mode /etc/herald/herald.toml root:herald 640
expect_mode /var/lib/herald herald:herald 750
expect_mode /var/log/herald herald:herald 750
for f in /usr/bin/apns-sim /usr/bin/fcm-sim /usr/bin/herald-publish; do
  [ "$(dpkg -S $f 2>/dev/null | cut -d: -f1)" = herald-tools ] || fail "$f is not herald-tools'"
done

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
APNS_PID=$!
pids+=("$APNS_PID")
for _ in $(seq 200); do grep -q "listening on" "$W/apns-sim.out" 2>/dev/null && break; sleep 0.05; done
APNS_PORT=$(sed -n 's/^apns-sim listening on .*:\([0-9]*\)$/\1/p' "$W/apns-sim.out")
[ -n "$APNS_PORT" ] || { cat "$W/apns-sim.out"; exit 1; }
echo "   port $APNS_PORT"

# Random loopback addresses: port 5269 stays free for anything else on the machine.
HERALD_IP=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))
PUB_IP=127.$((RANDOM % 200 + 20)).$((RANDOM % 250 + 1)).$((RANDOM % 250 + 1))
step "a copy of /etc/herald/herald.toml for push.test on $HERALD_IP:5269, apns-sim as upstream"
python3 - /etc/herald/herald.toml "$W/herald.toml" "$W" "$HERALD_IP" "$PUB_IP" "$APNS_PORT" <<'PY'
import re, sys
src, dst, w, ip, pub, port = sys.argv[1:]
text = open(src).read()
# Android needs a Firebase service account; this check is about the package.
text = re.sub(r'\n\[\[push\.module\]\]\nname = "example-android".*', "\n", text, flags=re.S)
# State and logs stay where the package put them: purge must remove what Herald wrote.
for must in ('data_dir = "/var/lib/herald"', 'file = "/var/log/herald/herald.log"'):
    if must not in text:
        sys.exit("the installed herald.toml no longer has %r; update scripts/deb-install-check.sh" % must)
for old, new in (("/etc/herald/push.example.org", w + "/pki/push.test"),
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

step "herald serve (as the herald user, by hand, umask 022, in the background)"
umask 022
setpriv --reuid=herald --regid=herald --init-groups -- /usr/bin/herald serve -c "$W/herald.toml" \
  >"$W/herald.out" 2>&1 &
HERALD_PID=$!
pids+=("$HERALD_PID")
for _ in $(seq 400); do
  (exec 3<>"/dev/tcp/$HERALD_IP/5269") 2>/dev/null && break
  kill -0 $HERALD_PID 2>/dev/null || { cat "$W/herald.out"; fail "herald exited"; }
  sleep 0.05
done
(exec 3<>"/dev/tcp/$HERALD_IP/5269") 2>/dev/null || { cat "$W/herald.out"; fail "herald not listening"; }
echo "   pid $HERALD_PID, user $(ps -o user= -p $HERALD_PID), listening on $HERALD_IP:5269"

TOKEN=$(openssl rand -hex 32)
step "herald-publish: one publish from publisher.test for token ${TOKEN:0:8}…"
/usr/bin/herald-publish --domain publisher.test --listen "$PUB_IP:5269" \
  --cert "$W/pki/publisher.test.crt" --key "$W/pki/publisher.test.key" --ca "$W/pki/ca.crt" \
  --to push.test --route "push.test=$HERALD_IP:5269" --token "$TOKEN" --module example-ios --timeout 20 \
  >"$W/publish.out" 2>&1 || { cat "$W/publish.out" "$W/herald.out"; exit 1; }
sed 's/^/   /' "$W/publish.out" | head -5
tr "'" '"' <"$W/publish.out" | grep -q 'type="result"' || fail "no result in the reply"
python3 - "$W/apns-requests.jsonl" "$TOKEN" <<'PY' || { cat "$W/apns-requests.jsonl"; exit 1; }
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
if not [r for r in rows if r.get("token") == sys.argv[2] and r.get("status") == 200]:
    sys.exit("apns-sim did not record a 200 for the token")
PY
echo "   apns-sim answered 200 for the push"
LOG=/var/log/herald/herald.log
# Info lines reach the file within 100 ms (written in blocks).
for _ in $(seq 50); do grep -q "outcome delivered" $LOG && break; sleep 0.1; done
grep -q "outcome delivered" $LOG || fail "herald.log has no delivered outcome"
echo "   $LOG: $(grep -m1 'outcome delivered' $LOG)"
kill $APNS_PID && wait $APNS_PID 2>/dev/null || true
pids=("${pids[@]/$APNS_PID}")

step "what Herald wrote is not readable by other users"
for f in /var/lib/herald /var/lib/herald/* /var/log/herald /var/log/herald/*; do
  echo "   $f: $(stat -c '%U:%G %a' "$f")"
  [ $(( $(stat -c '0%a' "$f") & 07 )) = 0 ] || fail "$f is open to other users"
done
[ -f /var/lib/herald/herald.sqlite ] || fail "no /var/lib/herald/herald.sqlite"

step "apt-get remove -y herald herald-tools (Herald still running)"
apt-get remove -y herald herald-tools >"$W/remove.out" 2>&1 || { cat "$W/remove.out"; exit 1; }
# prerm's SIGTERM: Herald drains and exits 0; only its zombie (our child) is left.
state=$(ps -o stat= -p $HERALD_PID 2>/dev/null || true)
[ -z "$state" ] || [ "${state:0:1}" = Z ] || fail "herald (pid $HERALD_PID) still runs after remove: $state"
rc=0; wait $HERALD_PID || rc=$?
pids=("${pids[@]/$HERALD_PID}")
echo "   herald stopped by prerm, exit status $rc"
[ $rc = 0 ] || { cat "$W/herald.out"; fail "herald did not stop cleanly"; }
grep -q "herald stopped" $LOG || fail "herald.log does not end with 'herald stopped'"
for p in herald herald-tools; do
  st=$(dpkg-query -W -f '${Status}' $p)
  echo "   $p: $st"
done
[ "$(dpkg-query -W -f '${Status}' herald)" = "deinstall ok config-files" ] || fail "herald not in config-files state"
for f in /var/lib/herald/herald.sqlite $LOG /etc/herald/herald.toml; do
  [ -e "$f" ] || fail "remove deleted $f"
done
getent passwd herald >/dev/null || fail "remove deleted the herald user"
[ ! -e /usr/bin/herald ] && [ ! -e /usr/bin/apns-sim ] || fail "remove left the binaries"
echo "   state, logs, configuration and the herald user kept; binaries gone"

step "apt-get purge -y herald herald-tools"
apt-get purge -y herald herald-tools >"$W/purge.out" 2>&1 || { cat "$W/purge.out"; exit 1; }
for p in herald herald-tools; do
  if dpkg-query -W -f '${Status}' $p 2>/dev/null | grep -qv 'not-installed'; then
    fail "$p still known to dpkg: $(dpkg-query -W -f '${Status}' $p)"
  fi
done
for d in /etc/herald /var/lib/herald /var/log/herald /lib/systemd/system/herald.service; do
  [ ! -e $d ] || fail "purge left $d"
done
getent passwd herald >/dev/null && fail "purge left the herald user"
getent group herald >/dev/null && fail "purge left the herald group"
echo "   no package, user, group, state, logs or configuration left"
installed=0
