#!/usr/bin/env bash
# Format the C sources with the house .clang-format (ctest's format_check
# fails on any difference).
set -euo pipefail
cd "$(dirname "$0")/.."
clang-format -i src/*/*.c src/*/*.h tests/unit/*.c tests/unit/*.h
