#!/usr/bin/env bash
# The whole test suite, from a fresh machine: install what is needed, then
# build and run every test twice through ctest, once normally and once under
# AddressSanitizer + UndefinedBehaviorSanitizer.
#   scripts/test.sh          both builds
#   scripts/test.sh --fast   the normal build only
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build test
jobs=$(nproc)

echo "== build (RelWithDebInfo) and ctest"
scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo -DLRT_BUILD_TESTS=ON
(cd build && ctest --output-on-failure -j"$jobs")

if [ "${1:-}" != "--fast" ]; then
  echo "== build (ASan + UBSan) and ctest"
  scripts/build.sh build-asan -DCMAKE_BUILD_TYPE=Debug -DLRT_SANITIZE=ON \
    -DLRT_BUILD_TESTS=ON
  (cd build-asan && ctest --output-on-failure -j"$jobs")
fi
