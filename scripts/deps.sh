#!/usr/bin/env bash
# Install what building and testing need, from Debian's packages, skipping
# what is already there. Usage: scripts/deps.sh [build|test|package|fuzz]...
# `package` (which `test` includes: the suite packages both architectures)
# may also make two changes to apt's setup, each only when missing: the arm64
# architecture (dpkg --add-architecture, for the :arm64 libraries the cross
# build links) and a deb-src entry mirroring the configured deb ones (in its
# own file, for `apt-get source curl cjson`).
set -euo pipefail

# libavro-dev: Avro schemas (avro-c); zlib1g-dev: Glue's zlib payloads.
want=(build-essential cmake pkg-config liblua5.4-dev libcjson-dev
      libcurl4-openssl-dev libavro-dev zlib1g-dev)
# Packaging, and the lean build (scripts/lean-deps.sh): dpkg-dev for apt-get
# source, patchelf for the binary's interpreter and run path in the zips,
# autotools for curl's configure (Debian's patches touch
# configure.ac), the arm64 cross compiler, Lua and C library, and qemu-user
# to run the arm64 package in the package test.
package=(zip unzip binutils file patchelf dpkg-dev autoconf automake libtool
         gcc-aarch64-linux-gnu libc6-dev-arm64-cross liblua5.4-dev:arm64
         libc6:arm64 qemu-user-static)
apt_setup=0
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
                protobuf-compiler "${package[@]}")
          apt_setup=1 ;;
    package) want+=("${package[@]}"); apt_setup=1 ;;
    fuzz) want+=(clang libclang-rt-14-dev) ;;
    *) echo "deps.sh: unknown kind '$kind'" >&2; exit 2 ;;
  esac
done

has_deb_src() {
  grep -rqsE '^[[:space:]]*deb-src[[:space:]]|^Types:.*[[:space:]]deb-src' \
    /etc/apt/sources.list /etc/apt/sources.list.d/
}
setup=()
if [ "$apt_setup" = 1 ]; then
  dpkg --print-foreign-architectures | grep -qx arm64 || setup+=(arm64)
  has_deb_src || setup+=(deb-src)
fi

missing=()
for pkg in $(printf '%s\n' "${want[@]}" | sort -u); do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" ||
    missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && [ ${#setup[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "deps.sh: missing packages: ${missing[*]:-none}; missing apt setup:" \
    "${setup[*]:-none} (run as root, or install them)" >&2
  exit 1
fi
for step in ${setup[@]+"${setup[@]}"}; do
  case "$step" in
    arm64)
      echo "deps.sh: dpkg --add-architecture arm64" >&2
      dpkg --add-architecture arm64 ;;
    deb-src)
      # Debian's own configured deb sources, as deb-src, in a file of our
      # own (third-party repositories seldom publish sources).
      list=/etc/apt/sources.list.d/lua-kafka-runtime-src
      echo "deps.sh: adding deb-src entries for Debian ($list.*)" >&2
      for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] && awk 'BEGIN { RS = ""; ORS = "\n\n" }
          /URIs:[^\n]*debian/ { sub(/Types:[^\n]*/, "Types: deb-src"); print }' "$f"
      done >"$list.sources"
      grep -q '^Types:' "$list.sources" || rm -f "$list.sources"
      cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null |
        sed -nE '/debian/s/^[[:space:]]*deb[[:space:]]/deb-src /p' >"$list.list"
      [ -s "$list.list" ] || rm -f "$list.list" ;;
  esac
done
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
if [ ${#missing[@]} -gt 0 ]; then
  echo "deps.sh: installing ${missing[*]}" >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
