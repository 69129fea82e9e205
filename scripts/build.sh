#!/usr/bin/env bash
# Install the build dependencies and build build/bootstrap (or another build
# directory: scripts/build.sh DIR [cmake options...]).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/deps.sh build
dir=${1:-build}
shift || true
cmake -S . -B "$dir" "$@" >/dev/null
cmake --build "$dir" -j"$(nproc)"
