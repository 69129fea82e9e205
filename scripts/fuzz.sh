#!/usr/bin/env bash
# Build the libFuzzer targets (clang, -DLRT_FUZZ=ON) and run each for a
# bounded time with a corpus seeded from the Kafka fixtures.
#   scripts/fuzz.sh [SECONDS] [TARGET...]
# SECONDS per target (default 60); targets default to these six (fuzz_kafka,
# fuzz_json, fuzz_base64, fuzz_events, fuzz_dynamodb, fuzz_records_scan), run one after another with -jobs=1 under nice.
# Environment: FUZZ_BUILD_DIR (default build-fuzz), FUZZ_WORK (corpora,
# crashes and logs; default $FUZZ_BUILD_DIR/fuzz-work).
# A crash does not stop the run: its input is kept in
# $FUZZ_WORK/crashes/<target>/ and the target restarts for the time left.
# Copy a crash input into tests/fuzz/regressions/ to make it a regression
# test (tests/fuzz/test_regressions.py). Exit status 1 when anything crashed.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
secs=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(fuzz_kafka fuzz_json fuzz_base64 fuzz_events fuzz_dynamodb fuzz_records_scan)
build=${FUZZ_BUILD_DIR:-$root/build-fuzz}
work=${FUZZ_WORK:-$build/fuzz-work}

if ! command -v clang >/dev/null ||
    ! ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a \
      >/dev/null 2>&1; then
  scripts/deps.sh fuzz
fi
cmake -S . -B "$build" -DLRT_FUZZ=ON -DCMAKE_C_COMPILER=clang \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLRT_BUILD_TESTS=OFF >/dev/null
cmake --build "$build" -j2 --target "${targets[@]}"

# Seeds: every fixture event, for all targets (the base64 target reads its
# input as a record layout, so JSON seeds still reach its code paths).
seed() {
  local dir=$1
  mkdir -p "$dir"
  for f in tests/fixtures/kafka/*.json tests/fixtures/kafka-synthetic/*.json \
      tests/fixtures/events/*.json \
      /work/shared/fixtures/kafka/*.json tests/fuzz/regressions/*; do
    [ -f "$f" ] || continue
    cp -n "$f" "$dir/seed-$(sha1sum "$f" | cut -c1-16)" 2>/dev/null || true
  done
}

status=0
for t in "${targets[@]}"; do
  corpus=$work/corpus/$t
  crashes=$work/crashes/$t
  log=$work/$t.log
  mkdir -p "$crashes"
  seed "$corpus"
  case $t in
    fuzz_base64) opts=(-max_len=4096) ;;
    *) opts=(-max_len=65536 -dict="$root/tests/fuzz/json.dict") ;;
  esac
  : >"$log"
  end=$(($(date +%s) + secs))
  while :; do
    left=$((end - $(date +%s)))
    [ "$left" -gt 0 ] || break
    echo "== $t: ${left}s (corpus $(ls "$corpus" | wc -l) inputs)" | tee -a "$log"
    rc=0
    (cd "$work" && nice -n 10 "$build/tests/fuzz/$t" "$corpus" -jobs=1 \
      -workers=1 -max_total_time="$left" -timeout=20 -rss_limit_mb=2048 \
      -print_final_stats=1 -artifact_prefix="$crashes/" "${opts[@]}" \
      >>"$log" 2>&1) || rc=$?
    # -jobs writes the worker's output to fuzz-0.log in the working dir.
    [ -f "$work/fuzz-0.log" ] && cat "$work/fuzz-0.log" >>"$log" &&
      rm -f "$work/fuzz-0.log"
    if grep -q "ERROR: libFuzzer\|ERROR: AddressSanitizer\|runtime error:\|fuzz property failed" "$log" &&
        [ -n "$(ls -A "$crashes")" ]; then
      status=1
    fi
    if [ "$rc" -eq 0 ] && ! grep -q "crash-\|leak-\|timeout-\|oom-" <(ls "$crashes"); then
      break
    fi
    [ "$rc" -eq 0 ] && break
    sleep 1
  done
  echo "== $t final:"
  grep -E "^#[0-9]+[[:space:]]+DONE" "$log" | tail -n 1 || true
  grep -E "^stat::(number_of_executed_units|peak_rss_mb)" "$log" | tail -n 2 || true
  ls "$crashes"
done
exit $status
