#!/usr/bin/env bash
# The main job, from a fresh machine: install what is needed, build, and run
# the example Kafka handler on its bundled MSK event (a local invocation: no
# AWS account, no network).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/build.sh build -DLRT_BUILD_TESTS=OFF
exec build/bootstrap --event examples/kafka/basic/event.json \
  --root examples/kafka/basic --handler handler
