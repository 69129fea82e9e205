#!/usr/bin/env bash
# bench/schema/run.sh: the schema-aware values bench (docs/performance.md,
# "Schema-aware values").
#
# Two ~6 MB Kafka batches of 8,000 nested ~400-byte orders, Avro and
# Protobuf in Lambda's schema-registry mode (gen_events.py), served by the
# same load server as bench/run.sh (bench/bench.py + bench/load_server.c) to
#   ours  bootstrap + handlers/bench.lua (values decoded in C by the runtime)
#   node  Powertools TypeScript's Kafka consumer (avro-js, protobufjs) under
#         aws-lambda-ric on Node.js 22 (node/app.mjs), installed from npm
# both summing total_cents and counting per topic; then the codec
# microbenchmark (codec_bench.c: avro-c's reading path against the runtime's
# walker, and the Protobuf decoder).
#
#   bench/schema/run.sh [--bootstrap PATH] [--out DIR] [--repeat N] [--quick]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
bench=$(cd "$here/.." && pwd)
repo=$(cd "$bench/.." && pwd)
bootstrap=
out="$here/.out"
repeat=3
measure=30
warmup=3
count=8000
while [ $# -gt 0 ]; do
  case "$1" in
    --bootstrap) bootstrap=$2; shift ;;
    --out) out=$2; shift ;;
    --repeat) repeat=$2; shift ;;
    --quick) repeat=1; measure=2; warmup=1; count=50 ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
mkdir -p "$out"
out=$(cd "$out" && pwd)
say() { printf '== %s\n' "$*"; }
jobs=2

if [ -z "$bootstrap" ]; then
  say "building our runtime (Release) in bench/.build"
  cmake -S "$repo" -B "$bench/.build" -DCMAKE_BUILD_TYPE=Release \
    -DLRT_BUILD_TESTS=OFF >"$out/cmake.log" 2>&1 || { cat "$out/cmake.log"; exit 1; }
  cmake --build "$bench/.build" -j"$jobs" >>"$out/cmake.log" 2>&1 ||
    { tail -40 "$out/cmake.log"; exit 1; }
  bootstrap="$bench/.build/bootstrap"
fi
bootstrap=$(cd "$(dirname "$bootstrap")" && pwd)/$(basename "$bootstrap")

say "building the load server and the codec microbenchmark"
tools="$out/tools"
mkdir -p "$tools"
cflags="-std=c11 -O2 -g -DNDEBUG -D_POSIX_C_SOURCE=200809L -Wall -Wextra"
# shellcheck disable=SC2086,SC2046
gcc $cflags "$bench/load_server.c" $(pkg-config --cflags --libs libcjson) \
  -o "$tools/load_server"
avro_lib=$(pkg-config --libs avro-c 2>/dev/null || echo /usr/lib/x86_64-linux-gnu/libavro.so.23)
# The sources are in one folder per layer (docs/architecture.md, "Layout"):
# the codecs and the layers below them, whole, so a new helper file needs no
# edit here.
src_inc=$(for d in "$repo"/src/*/; do printf -- "-I%s " "$d"; done)
# shellcheck disable=SC2086,SC2046
gcc $cflags $src_inc "$here/codec_bench.c" "$repo"/src/codecs/*.c \
  "$repo"/src/json/*.c "$repo"/src/support/*.c \
  $(pkg-config --cflags --libs lua5.4 libcjson zlib) $avro_lib \
  -lm -o "$tools/codec_bench"

# The peer, from npm only (as bench/run.sh installs its own): the packages
# without scripts, node@22's binary package, then aws-lambda-ric's native
# client built against that package's headers.
nodedir="$here/node"
node="$nodedir/node_modules/node/bin/node"
ric="$nodedir/node_modules/aws-lambda-ric"
if [ ! -x "$node" ] || [ ! -f "$ric/rapid-client.node" ]; then
  say "installing the peer: npm install in bench/schema/node"
  (
    set -e
    cd "$nodedir"
    npm install --no-audit --no-fund --ignore-scripts
    npm rebuild node --foreground-scripts
    headers=$(ls -d node_modules/node/node_modules/node-linux-* | head -n 1)
    npm_config_nodedir="$nodedir/$headers" npm rebuild aws-lambda-ric --foreground-scripts
  ) >"$out/npm-install.log" 2>&1 || { tail -40 "$out/npm-install.log"; exit 1; }
fi

say "generating events"
python3 "$here/gen_events.py" --out "$out/events" --count "$count"
say "machine: $(nproc) cpu, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
say "peer: $("$node" --version), @aws-lambda-powertools/kafka $(sed -n 's/.*"version": "\(.*\)".*/\1/p' "$nodedir/node_modules/@aws-lambda-powertools/kafka/package.json")"
prio=()
[ "$(id -u)" = 0 ] && prio=(nice -n -5)
status=0
"${prio[@]}" python3 "$bench/bench.py" --events "$out/events" \
  --shapes avro,protobuf --bootstrap "$bootstrap" --lua-root "$here/handlers" \
  --node "$node" --ric "$ric/index.mjs" --node-root "$nodedir" \
  --server "$tools/load_server" --warmup-small "$warmup" \
  --measure-small "$measure" --repeat "$repeat" --logs "$out/logs" \
  --json "$out/results.json" || status=$?
say "codec microbenchmark (per value, into Lua)"
CODEC_BENCH_SCHEMAS="$here/handlers" "${prio[@]}" "$tools/codec_bench" "$out/events" 2 || status=1
say "targets: cpu/inv ours/node <= 0.2, peak RSS ours/node <= 0.25 on both shapes"
exit $status
