#!/usr/bin/env bash
# Installs everything Herald needs on Debian 12: the build toolchain and
# libraries, and the real peers the integration tests start (Prosody with
# mod_cloud_notify, slixmpp, python3-jwt as an independent JWT checker).
# Idempotent; run as root (or through sudo).
set -euo pipefail

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

BUILD_DEPS=(
  build-essential cmake pkg-config ninja-build
  libasio-dev libssl-dev libexpat1-dev libnghttp2-dev libc-ares-dev
  libidn-dev libsqlite3-dev libtomlplusplus-dev libspdlog-dev libfmt-dev
  nlohmann-json3-dev libcli11-dev libboost-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libpq-dev libhiredis-dev
  clang libclang-rt-14-dev
)
TEST_PEERS=(
  openssl curl iproute2 procps prosody prosody-modules lua-unbound
  python3 python3-slixmpp python3-jwt python3-cryptography
  coturn
  ejabberd dnsmasq-base libnss-wrapper
  postgresql redis-server
  python3-prometheus-client chromium fonts-dejavu-core
  nghttp2-client valgrind
  systemd  # systemd-analyze verify of packaging/herald.service (packaging_deb test)
)

missing=()
for p in "${BUILD_DEPS[@]}" "${TEST_PEERS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#BUILD_DEPS[@]} build and ${#TEST_PEERS[@]} test packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Peers such as prosody and ejabberd start a system-wide instance on install,
# listening on 0.0.0.0:5222/5269, which would collide with the tests' own
# instances. policy-rc.d (Debian's mechanism for this) keeps them from starting.
if [ "$(id -u)" -eq 0 ] && [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d
  chmod +x /usr/sbin/policy-rc.d
  trap 'rm -f /usr/sbin/policy-rc.d' EXIT
fi
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
