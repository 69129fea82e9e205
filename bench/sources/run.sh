#!/usr/bin/env bash
# bench/sources/run.sh: the event-source decode microbenchmark
# (docs/performance.md, "Every event source"). Builds source_bench from the
# repo's src/ with -O2, generates the main bench's events (bench/gen_events.py:
# the 6 MB SQS, Kinesis and DynamoDB batches and the Kafka text batch), and
# prints for each our decode throughput into Lua tables (MB/s of event JSON)
# and the in-process CPU per invocation with the main bench's handler
# (bench/handlers/bench.lua), HTTP left out. The comparison with Node's RIC
# is bench/run.sh's, under the same load server.
#   bench/sources/run.sh [SECONDS]   seconds per phase (default 5)
# Needs gcc, pkg-config and the -dev packages of scripts/deps.sh.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
secs=${1:-5}
out=${BENCH_SOURCES_OUT:-$repo/build-bench-sources}
mkdir -p "$out"
src=()
for f in "$repo"/src/*/*.c; do
  [ "$(basename "$f")" = main.c ] || src+=("$f")
done
# The sources are in one folder per layer (docs/architecture.md, "Layout").
src_inc=$(for d in "$repo"/src/*/; do printf -- "-I%s " "$d"; done)
# shellcheck disable=SC2046,SC2086  # word splitting of the flags is intended
gcc -O2 -DNDEBUG -D_XOPEN_SOURCE=700 -std=c11 $src_inc \
  "$here/source_bench.c" "${src[@]}" \
  $(pkg-config --cflags --libs lua5.4 libcjson libcurl zlib) -lavro -lm -pthread \
  -o "$out/source_bench"
python3 "$repo/bench/gen_events.py" --out "$out/events"
events=()
for e in sqs kinesis dynamodb text; do events+=("$out/events/$e.json"); done
"$out/source_bench" "$secs" "$repo/bench/handlers" "$repo/lua" "${events[@]}"
