#!/usr/bin/env bash
# Builds the libFuzzer targets (tests/fuzz) with clang, ASan and UBSan in
# build-fuzz, and runs each for FUZZ_SECONDS (default 20) on a temporary copy
# of its seed corpus, so the repository's corpus does not grow. Prints the
# executions each target reached. Exits non-zero if any target finds a crash,
# a leak, a sanitizer report or a timeout (the reproducer is kept in
# $FUZZ_ARTIFACTS, default build-fuzz/artifacts). Usage:
#   scripts/fuzz.sh [target...]        # default: all targets
#   FUZZ_SECONDS=600 scripts/fuzz.sh   # a longer local run (tests/fuzz/README.md)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build-fuzz}
SECONDS_PER_TARGET=${FUZZ_SECONDS:-20}
ARTIFACTS=${FUZZ_ARTIFACTS:-$BUILD_DIR/artifacts}
JOBS=${JOBS:-$(nproc)}
ALL_TARGETS=(xml_stream_fuzz publish_fuzz jid_fuzz http_request_fuzz turn_json_fuzz
             apns_response_fuzz sasl_fuzz)
if [ $# -gt 0 ]; then TARGETS=("$@"); else TARGETS=("${ALL_TARGETS[@]}"); fi

bash scripts/install-deps.sh  # clang and libFuzzer's runtime among the rest
CC=clang CXX=clang++ cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DHERALD_FUZZ=ON -DHERALD_BUILD_TESTS=OFF >/dev/null
ninja -C "$BUILD_DIR" -j"$JOBS" "${TARGETS[@]}"

mkdir -p "$ARTIFACTS"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# Crash on the first UBSan report too, with a stack; leaks are reported at exit.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:allocator_may_return_null=1

failed=()
summary=()
for t in "${TARGETS[@]}"; do
  corpus="$work/$t"
  mkdir -p "$corpus"
  cp -r "tests/fuzz/corpus/$t/." "$corpus/"
  echo "=== fuzz: $t for ${SECONDS_PER_TARGET} s"
  log="$work/$t.log"
  case $t in
    xml_stream_fuzz|publish_fuzz) dict=xml ;;
    turn_json_fuzz|apns_response_fuzz) dict=json ;;
    http_request_fuzz) dict=http ;;
    jid_fuzz) dict=jid ;;
    sasl_fuzz) dict=sasl ;;
  esac
  rc=0
  "$BUILD_DIR/tests/fuzz/$t" "$corpus" -max_total_time="$SECONDS_PER_TARGET" -timeout=5 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$ARTIFACTS/$t-" \
    -dict="tests/fuzz/dict/$dict.dict" \
    >"$log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 || true)
  if [ "$rc" -ne 0 ]; then
    tail -n 60 "$log"
    failed+=("$t")
    summary+=("$t: FAILED (exit $rc), executions ${execs:-?}; reproducer in $ARTIFACTS/")
  else
    summary+=("$t: ok, ${execs:-?} executions, ${cov:-cov: ?}, corpus $(ls "$corpus" | wc -l) inputs")
  fi
done

echo "=== fuzz summary (${SECONDS_PER_TARGET} s per target)"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: failures in ${failed[*]}" >&2
  exit 1
fi
