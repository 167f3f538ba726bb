#!/usr/bin/env bash
# Runs all of Herald's benchmarks (bench/README.md) and writes their figures
# as one JSON file (default BUILD_DIR/bench-results.json). Builds the needed
# targets first (RelWithDebInfo).
#   scripts/bench.sh [OUT.json] [run_bench.py options, e.g. --smoke, --only saturation,rate]
# BUILD_DIR (default build-bench) selects the build directory.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BUILD_DIR="${BUILD_DIR:-$ROOT/build-bench}"
OUT="${1:-$BUILD_DIR/bench-results.json}"
shift || true
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
  cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo
fi
ninja -C "$BUILD_DIR" herald apns-sim herald-loadgen push-path-bench
# 10k idle streams: Herald and the load generator each hold one socket per stream.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || ulimit -n 65536 || true
exec /usr/bin/python3 "$ROOT/bench/run_bench.py" --build "$BUILD_DIR" --out "$OUT" "$@"
