#!/usr/bin/env bash
# The README's second command: installs what is missing, builds, and runs the
# whole test suite (unit tests and the integration tests with real Prosody,
# apns-sim and Herald), in parallel.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
JOBS=${JOBS:-$(nproc)}

bash scripts/install-deps.sh
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=${BUILD_TYPE:-RelWithDebInfo} ${CMAKE_EXTRA_ARGS:-} >/dev/null
# NINJA_TARGETS: only these (e.g. unit_tests); everything by default.
ninja -C "$BUILD_DIR" -j"$JOBS" ${NINJA_TARGETS:-}
# PostgreSQL store tests start their own server; here they must run, not skip.
export HERALD_REQUIRE_POSTGRES=1
ctest --test-dir "$BUILD_DIR" -j"$JOBS" --output-on-failure ${CTEST_ARGS:-}
