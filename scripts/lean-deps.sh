#!/usr/bin/env bash
# Build the lean runtime's dependencies for one architecture: a static
# libcurl with only what a plain HTTP/1.1 client on loopback needs, a static
# cJSON, and Debian's own static Lua 5.4, avro-c, jansson and zlib, laid out
# as one prefix (include/, lib/) that `cmake -DLRT_LEAN=ON
# -DLRT_LEAN_PREFIX=DIR` links.
#
#   scripts/lean-deps.sh ARCH [CACHE]   ARCH: x86_64 or arm64
#
# curl and cJSON come from Debian's source packages (`apt-get source`, which
# applies Debian's patches: the security fixes of Debian 12's curl), so the
# lean binary carries the same code as Debian's shared libraries, minus the
# features it never uses. The prefix is CACHE/ARCH (CACHE defaults to
# build-lean/ in the repository) and is printed on stdout. It is built once:
# a stamp records this script's own checksum and the source versions, and a
# second run with both unchanged only prints the prefix.
# Why each choice: docs/architecture.md, "The lean build".
set -euo pipefail

die() {
  echo "lean-deps.sh: $*" >&2
  exit 2
}

root=$(cd "$(dirname "$0")/.." && pwd -P)
arch=${1:-}
case "$arch" in
  x86_64 | amd64) arch=x86_64 triplet=x86_64-linux-gnu debarch=amd64 ;;
  arm64 | aarch64) arch=arm64 triplet=aarch64-linux-gnu debarch=arm64 ;;
  *) die "usage: scripts/lean-deps.sh x86_64|arm64 [CACHE]" ;;
esac
cache=${2:-${LRT_LEAN_CACHE:-$root/build-lean}}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd -P)
prefix="$cache/$arch"

# The C compiler for ARCH: the native one, or Debian's cross compiler.
# (uname, not the compiler, says which: a cached run starts no compiler.)
if [ "$(uname -m)-linux-gnu" = "$triplet" ]; then
  cc=gcc ar=ar
  configure_host=()
else
  cc=$triplet-gcc ar=$triplet-ar
  configure_host=(--host="$triplet")
fi
command -v "$cc" >/dev/null || die "no $cc (scripts/deps.sh package)"
lua_lib=/usr/lib/$triplet/liblua5.4.a
[ -f "$lua_lib" ] || die "no $lua_lib: install liblua5.4-dev for $arch" \
  "(scripts/deps.sh package)"

# ---- Debian's sources, unpacked once for every architecture ----------------

# Runs sharing the cache take this lock while they prepare the sources, and
# one per architecture while they build: two builds of the suite, or the
# package tests of two architectures, never build the same thing twice.
src="$cache/src"
mkdir -p "$src"
exec 8>"$src/.lock"
flock 8
source_dir() { # package -> its unpacked source directory (fetched if needed)
  local pkg=$1 dir
  dir=$(find "$src" -maxdepth 1 -type d -name "$pkg-[0-9]*" | sort | tail -1)
  if [ -z "$dir" ]; then
    echo "lean-deps.sh: fetching Debian's $pkg source" >&2
    (cd "$src" && apt-get source -qq "$pkg" >&2) ||
      die "apt-get source $pkg failed (a deb-src line: scripts/deps.sh package)"
    dir=$(find "$src" -maxdepth 1 -type d -name "$pkg-[0-9]*" | sort | tail -1)
  fi
  [ -n "$dir" ] || die "no $pkg source in $src"
  echo "$dir"
}
curl_src=$(source_dir curl)
cjson_src=$(source_dir cjson)
versions="curl $(basename "$curl_src") cjson $(basename "$cjson_src")"

# dpkg-source applies every patch in the series; the last two turn the tree
# into Debian's GnuTLS and NSS flavours, which Debian's rules pop again
# before building its OpenSSL one: do the same, then regenerate configure as
# those rules do (buildconf), since other patches change configure.ac.
if [ ! -f "$curl_src/.lrt-prepared" ]; then
  echo "lean-deps.sh: preparing $(basename "$curl_src")" >&2
  for p in 99_nss 90_gnutls; do
    if patch -d "$curl_src" -p1 -R -s -f --dry-run \
      <"$curl_src/debian/patches/$p.patch" >/dev/null 2>&1; then
      patch -d "$curl_src" -p1 -R -s -f <"$curl_src/debian/patches/$p.patch"
    fi
  done
  (cd "$curl_src" && autoreconf -fi >/dev/null 2>&1) ||
    die "autoreconf failed in $curl_src (scripts/deps.sh package)"
  touch "$curl_src/.lrt-prepared"
fi
exec 8>&-
exec 9>"$cache/.lock-$arch"
flock 9

# ---- Up to date? -----------------------------------------------------------

key="$(sha256sum "$0" | cut -d' ' -f1) $arch $versions $cc"
if [ -f "$prefix/.stamp" ] && [ "$(cat "$prefix/.stamp")" = "$key" ]; then
  echo "$prefix"
  exit 0
fi
echo "lean-deps.sh: building the lean dependencies for $arch in $prefix" >&2
rm -rf "$prefix"
mkdir -p "$prefix/lib" "$prefix/include/cjson" "$prefix/build"

# ---- libcurl: HTTP/1.1 over plain TCP, nothing else -------------------------

# No TLS, IDN, compression, PSL, HTTP/2 or /3, SSH, LDAP, RTMP, GSS-API:
# the Runtime API is plain HTTP on a link-local address. No other protocol,
# no authentication, cookies, netrc, HSTS, alt-svc, DoH or MIME. Proxy
# support stays compiled in only so that the runtime can switch it off
# (CURLOPT_PROXY "", CURLOPT_NOPROXY "*": an inherited http_proxy must never
# see the Runtime API); without it curl refuses those options. The resolver
# is the synchronous one: the endpoint is an address, or "localhost", which
# curl answers itself; no thread is started per connect. The headers API
# stays: response headers are read through it.
mkdir -p "$prefix/build/curl"
(
  cd "$prefix/build/curl"
  CC=$cc AR=$ar CFLAGS="-O2 -fPIC" "$curl_src/configure" \
    "${configure_host[@]}" --prefix="$prefix/build/curl-install" \
    --disable-dependency-tracking --disable-silent-rules \
    --enable-static --disable-shared --with-pic \
    --without-ssl --without-zlib --without-brotli --without-zstd \
    --without-libidn2 --without-libpsl --without-nghttp2 --without-ngtcp2 \
    --without-nghttp3 --without-quiche --without-msh3 --without-hyper \
    --without-libssh2 --without-libssh --without-wolfssh --without-librtmp \
    --without-libgsasl --without-gssapi --without-ca-bundle \
    --without-ca-path --without-zsh-functions-dir \
    --without-fish-functions-dir \
    --enable-http --disable-ftp --disable-file --disable-ldap \
    --disable-ldaps --disable-rtsp --disable-dict --disable-telnet \
    --disable-tftp --disable-pop3 --disable-imap --disable-smb \
    --disable-smtp --disable-gopher --disable-mqtt --disable-websockets \
    --disable-http-auth --disable-crypto-auth \
    --disable-ntlm --disable-ntlm-wb --disable-tls-srp --disable-cookies \
    --disable-netrc --disable-hsts --disable-alt-svc --disable-doh \
    --disable-mime --disable-dateparse --disable-unix-sockets \
    --disable-progress-meter --disable-manual --disable-libcurl-option \
    --disable-threaded-resolver --disable-ares --disable-ech \
    --enable-symbol-hiding --enable-headers-api \
    >"$prefix/build/curl-configure.log" 2>&1 ||
    die "curl's configure failed: $prefix/build/curl-configure.log"
  make -C lib -j2 >"$prefix/build/curl-make.log" 2>&1 ||
    die "building libcurl failed: $prefix/build/curl-make.log"
  make -C lib install >/dev/null
  make -C include install >/dev/null
)
cp "$prefix/build/curl-install/lib/libcurl.a" "$prefix/lib/"
cp -r "$prefix/build/curl-install/include/curl" "$prefix/include/"

# ---- cJSON: its one source file, as Debian's package builds it --------------

"$cc" -O2 -fPIC -std=c89 -fvisibility=hidden -c "$cjson_src/cJSON.c" \
  -o "$prefix/build/cJSON.o"
"$ar" rcs "$prefix/lib/libcjson.a" "$prefix/build/cJSON.o"
cp "$cjson_src/cJSON.h" "$prefix/include/cjson/"

# ---- Lua 5.4: Debian's own static library and headers -----------------------

cp "$lua_lib" "$prefix/lib/liblua5.4.a"
mkdir -p "$prefix/include/lua5.4"
cp /usr/include/lua5.4/*.h "$prefix/include/lua5.4/"

# ---- avro-c, jansson, zlib: Debian's own static archives --------------------

# The -dev packages carry libavro.a, libjansson.a and libz.a. libavro-dev is
# not Multi-Arch (its amd64 and arm64 builds cannot be installed together),
# so the packages for ARCH are downloaded and unpacked here, never
# installed. The link takes only the members the runtime references:
# avro-c's schema parser (which needs jansson), not its container-file
# codecs (snappy, lzma), which the runtime never calls.
mkdir -p "$prefix/build/debs" "$prefix/build/root"
(cd "$prefix/build/debs" &&
  apt-get download -qq "libavro-dev:$debarch" "libjansson-dev:$debarch" \
    "zlib1g-dev:$debarch" >&2) ||
  die "apt-get download of libavro-dev, libjansson-dev, zlib1g-dev for" \
    "$debarch failed (scripts/deps.sh package adds the architecture)"
for deb in "$prefix"/build/debs/*.deb; do
  dpkg -x "$deb" "$prefix/build/root"
done
for a in libavro.a libjansson.a libz.a; do
  cp "$prefix/build/root/usr/lib/$triplet/$a" "$prefix/lib/" ||
    die "no $a in the $debarch packages"
done
cp -r "$prefix/build/root/usr/include/avro" \
  "$prefix/build/root/usr/include/avro.h" \
  "$prefix/build/root/usr/include/zlib.h" \
  "$prefix/build/root/usr/include/zconf.h" "$prefix/include/"

rm -rf "$prefix/build"
echo "$key" >"$prefix/.stamp"
echo "$prefix"
