#!/usr/bin/env bash
# bench/sources/run.sh: the event-source bench (docs/performance.md, "Every
# event source"). Builds source_bench from the repo's src/ with -O2,
# generates the events (gen.py), then for each of SQS, Kinesis, DynamoDB and
# the same-size Kafka event prints our decode MB/s and CPU ms per
# invocation (source_bench.c) and Node.js's CPU ms per invocation for the
# same work (node_work.mjs), and the ratio.
#   bench/sources/run.sh [SECONDS]   seconds per phase (default 5)
# Needs gcc, pkg-config, the -dev packages of scripts/deps.sh, node.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
secs=${1:-5}
out=${BENCH_SOURCES_OUT:-$repo/build-bench-sources}
mkdir -p "$out"
src=()
for f in "$repo"/src/*.c; do
  [ "$(basename "$f")" = main.c ] || src+=("$f")
done
gcc -O2 -DNDEBUG -D_XOPEN_SOURCE=700 -std=c11 -I"$repo/src" \
  "$here/source_bench.c" "${src[@]}" \
  $(pkg-config --cflags --libs lua5.4 libcjson libcurl) -lm \
  -o "$out/source_bench"
python3 "$here/gen.py" "$out" >"$out/sizes.txt"
cat "$out/sizes.txt"
events=("$out/sqs.json" "$out/kinesis.json" "$out/dynamodb.json" "$out/kafka.json")
"$out/source_bench" "$secs" "$here/handlers" "$repo/lua" "${events[@]}" |
  tee "$out/ours.txt"
iters=$(( secs * 10 ))
node "$here/node_work.mjs" "$iters" "${events[@]}" | tee "$out/node.txt"
echo "== CPU per invocation, Node / ours"
for e in sqs kinesis dynamodb kafka; do
  o=$(awk -v e="$e.json" '$1 == "invoke" && $2 == e { print $3 }' "$out/ours.txt")
  n=$(awk -v e="$e.json" '$1 == "node" && $2 == e { print $3 }' "$out/node.txt")
  awk -v e="$e" -v o="$o" -v n="$n" \
    'BEGIN { printf "%-9s ours %6.2f ms  node %6.2f ms  %.1fx\n", e, o, n, n / o }'
done
