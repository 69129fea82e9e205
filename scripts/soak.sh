#!/usr/bin/env bash
# Leak check and soak (minutes, not part of ctest): builds build/bootstrap
# (or uses $LRT_BOOTSTRAP), then tests/reliability/soak.py runs
#   1. 1,000 warm invocations under valgrind --leak-check=full against the
#      mock Runtime API: "definitely lost" must be 0;
#   2. 100,000 small invocations in one process, VmRSS every 10,000: flat
#      after warm-up.
# Usage: scripts/soak.sh [soak.py options, e.g. --valgrind 1000 --soak 100000]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${LRT_BOOTSTRAP:-}" ]; then
  scripts/build.sh build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
  export LRT_BOOTSTRAP=$PWD/build/bootstrap
fi
command -v valgrind >/dev/null || {
  echo "soak.sh: valgrind is missing (apt-get install -y valgrind)" >&2
  exit 1
}
exec python3 tests/reliability/soak.py --bootstrap "$LRT_BOOTSTRAP" "$@"
