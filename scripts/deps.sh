#!/usr/bin/env bash
# Install what building and testing need, from Debian's packages, skipping
# what is already there. Usage: scripts/deps.sh [build|test|package|fuzz]...
set -euo pipefail

# libavro-dev: Avro schemas (avro-c); zlib1g-dev: Glue's zlib payloads.
want=(build-essential cmake pkg-config liblua5.4-dev libcjson-dev
      libcurl4-openssl-dev libavro-dev zlib1g-dev)
for kind in "$@"; do
  case "$kind" in
    build) ;;
    # python3: the mock Runtime API and the suites that drive the binary;
    # clang-format: the format check; zip/unzip/busybox-static: packaging
    # and the empty-root (chroot) tests; curl: the local-development doc;
    # jq: the local invoke suite pipes the response into it;
    # lua-busted, lua-check: the handler specs (bootstrap --exec busted) and
    # luacheck over the Lua code; locales: the de_DE source the locale test
    # compiles with localedef; python3-avro, python3-protobuf,
    # protobuf-compiler: the independent encoders tests/kafka/test_schemas.py
    # checks the decoders against.
    test) want+=(python3 clang-format zip unzip busybox-static file curl
                jq lua-busted lua-check locales python3-avro python3-protobuf
                protobuf-compiler) ;;
    package) want+=(zip unzip binutils file) ;;
    fuzz) want+=(clang libclang-rt-14-dev) ;;
    *) echo "deps.sh: unknown kind '$kind'" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" ||
    missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing packages: ${missing[*]} (run as root, or install them)" >&2
  exit 1
fi
echo "deps.sh: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
