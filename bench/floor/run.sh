#!/usr/bin/env bash
# bench/floor/run.sh: the Lua floor (docs/performance.md, "The Lua floor").
#
# What Lua 5.4 itself takes to build and free the values of the bench's
# events, with no decoding at all: each event is decoded once by the
# runtime (bootstrap --event, handler capture.lua), which writes a tape of
# the Lua values the handler received; lua_floor.c then rebuilds them
# through the C API alone, tables at their exact sizes, each distinct
# string interned once, on the runtime's allocator, and frees them with one
# full collection. No decoder that builds the same values can cost less.
# Printed, never asserted.
#
#   bench/floor/run.sh [SECONDS]     (default 3 per tape)
#   BENCH_FLOOR_OUT=DIR              where events and tapes go
#                                    (default build-bench-floor)
#   BENCH_FLOOR_BOOTSTRAP=PATH       the runtime to decode with (default:
#                                    a Release build in the output folder)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
secs=${1:-3}
out=${BENCH_FLOOR_OUT:-$repo/build-bench-floor}
mkdir -p "$out"
out=$(cd "$out" && pwd)

bootstrap=${BENCH_FLOOR_BOOTSTRAP:-}
if [ -z "$bootstrap" ]; then
  cmake -S "$repo" -B "$out/build" -DCMAKE_BUILD_TYPE=Release \
    -DLRT_BUILD_TESTS=OFF >"$out/cmake.log" 2>&1 || { cat "$out/cmake.log"; exit 1; }
  cmake --build "$out/build" --target bootstrap -j2 >>"$out/cmake.log" 2>&1 ||
    { tail -40 "$out/cmake.log"; exit 1; }
  bootstrap="$out/build/bootstrap"
fi
# shellcheck disable=SC2046  # pkg-config's flags are meant to split
gcc -std=c11 -O2 -DNDEBUG -D_XOPEN_SOURCE=700 -I"$repo/src/support" \
  "$here/lua_floor.c" "$repo/src/support/heap.c" \
  $(pkg-config --cflags --libs lua5.4) -o "$out/lua_floor"

python3 "$repo/bench/gen_events.py" --out "$out/events" >/dev/null
python3 "$repo/bench/schema/gen_events.py" --out "$out/events" >/dev/null
# The schema bench's readers, by absolute path.
cat >"$out/readers.lua" <<LUA
local kafka = require "kafka"
return {
  ["1"] = kafka.avro("$repo/bench/schema/handlers/order.avsc"),
  ["2"] = kafka.protobuf("$repo/bench/schema/handlers/order.pb", "bench.v1.Order"),
}
LUA

# tape NAME EVENT [ENV...]: decode EVENT once, write NAME.tape, replay it.
tape() {
  local name=$1 event=$2
  shift 2
  env FLOOR_TAPE="$out/$name.tape" "$@" "$bootstrap" --event "$event" \
    --handler capture --root "$here" >"$out/$name.out"
  "$out/lua_floor" "$out/$name.tape" "$(stat -c %s "$event")" "$secs"
}
e=$out/events
tape kafka-text "$e/text.json"
tape kafka-binary "$e/binary.json"
tape sqs "$e/sqs.json"
tape kinesis "$e/kinesis.json"
tape dynamodb "$e/dynamodb.json"
tape avro-values "$e/avro.json" FLOOR_SCHEMA="$out/readers.lua" FLOOR_PART=value
tape protobuf-values "$e/protobuf.json" FLOOR_SCHEMA="$out/readers.lua" FLOOR_PART=value
