#!/usr/bin/env bash
# Package the runtime and a directory of Lua scripts for AWS Lambda.
#
# Writes three zips into --out (default dist/):
#   function.zip       the runtime plus the scripts: a complete provided.al2023
#                      (or provided.al2) function;
#   runtime-layer.zip  the runtime alone, laid out for a layer (/opt);
#   code.zip           the scripts alone, for functions that use the layer.
#
# The runtime is the lean build (scripts/lean-deps.sh, -DLRT_LEAN=ON): curl,
# cJSON and Lua are linked in, so the only shared libraries it needs are the
# C library's own, which ship with it together with their dynamic loader, in
# the manner of aws-lambda-cpp's packager. The runtime lives in one folder,
# lua-kafka-runtime/, and `bootstrap` at the zip root is a symlink to its
# binary, which names the packaged loader as its interpreter (the absolute
# path where Lambda unpacks the zip: /var/task for function.zip, /opt for
# the layer) and the packaged lib/ as its run path; no shell starts first.
# The scripts may use any other name. --arch arm64 cross-builds on x86_64
# with Debian's cross compiler. See docs/deploy.md.
#
# The binary is built only when the build directory has none; otherwise
# `cmake --build` brings it up to date, which compiles nothing when only Lua
# changed. Lua is never compiled: changing scripts and packaging again is the
# whole deploy.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/package.sh --scripts DIR [--arch ARCH] [--out DIR] [options]

Package the Lua runtime and the Lua scripts in DIR for AWS Lambda
(provided.al2023 / provided.al2).

  --scripts DIR    the handler scripts (the task root: _HANDLER names a
                   module in it); required
  --arch ARCH      x86_64 or arm64 (default: this machine's); arm64 is
                   cross-built on x86_64 with gcc-aarch64-linux-gnu
  --out DIR        where the zips go (default: dist/ in the repository)
  --build DIR      the CMake build directory of the runtime (default:
                   build-release/ in the repository, build-release-arm64/
                   for a cross build). Configured as a lean Release build
                   when it does not exist yet; otherwise reused, and only
                   brought up to date (no compiler runs when only Lua
                   changed).
  --rebuild        rebuild the runtime from clean first
  --exclude GLOB   also leave out script files whose path (relative to
                   --scripts) matches GLOB; may be repeated
  -h, --help       this text

Writes into --out:
  function.zip       bootstrap + lua-kafka-runtime/ (the runtime) and the
                     scripts at the root: upload as the function's code
  runtime-layer.zip  the runtime alone, for a layer (/opt/bootstrap)
  code.zip           the scripts alone, for a function using that layer

Left out of the scripts: hidden files, test data and build files (event*.json,
*.event.json, tests/ test/ spec/ fixtures/ events/ build*/ directories,
*_spec.lua, *_test.lua, CMakeLists.txt, *.o, *.a, *.zip, editor backups).
The scripts may use any name but the two the runtime takes at the top:
bootstrap and lua-kafka-runtime.

The lean dependencies are built once per architecture and cached in
build-lean/ in the repository (LRT_LEAN_CACHE=DIR elsewhere).
EOF
}

die() {
  echo "package.sh: $*" >&2
  exit 2
}

root=$(cd "$(dirname "$0")/.." && pwd -P)
scripts_dir="" out_dir="$root/dist" build_dir=""
rebuild=0 arch=""
excludes=()
while [ $# -gt 0 ]; do
  case "$1" in
    --scripts) [ $# -ge 2 ] || die "--scripts needs a directory"
               scripts_dir=$2; shift 2 ;;
    --arch) [ $# -ge 2 ] || die "--arch needs x86_64 or arm64"
            arch=$2; shift 2 ;;
    --out) [ $# -ge 2 ] || die "--out needs a directory"; out_dir=$2; shift 2 ;;
    --build) [ $# -ge 2 ] || die "--build needs a directory"
             build_dir=$2; shift 2 ;;
    --rebuild) rebuild=1; shift ;;
    --exclude) [ $# -ge 2 ] || die "--exclude needs a pattern"
               excludes+=("$2"); shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument '$1'" ;;
  esac
done
[ -n "$scripts_dir" ] || { usage >&2; die "--scripts DIR is required"; }
[ -d "$scripts_dir" ] || die "--scripts: '$scripts_dir' is not a directory"
scripts_dir=$(cd "$scripts_dir" && pwd -P)

# The target: its GNU triplet, loader and cross compiler (none natively).
host_arch=$(uname -m)
[ "$host_arch" = aarch64 ] && host_arch=arm64
[ -n "$arch" ] || arch=$host_arch
case "$arch" in
  x86_64 | amd64) arch=x86_64 triplet=x86_64-linux-gnu elf_machine=X86-64 ;;
  arm64 | aarch64) arch=arm64 triplet=aarch64-linux-gnu elf_machine=AArch64 ;;
  *) die "--arch: '$arch' is not x86_64 or arm64" ;;
esac
cross=()
if [ "$arch" != "$host_arch" ]; then
  cross=(-DCMAKE_SYSTEM_NAME=Linux -DCMAKE_SYSTEM_PROCESSOR="${triplet%%-*}"
         -DCMAKE_C_COMPILER="$triplet-gcc")
fi
if [ -z "$build_dir" ]; then
  build_dir="$root/build-release"
  [ "$arch" = "$host_arch" ] || build_dir="$root/build-release-$arch"
fi

# The packaging tools, the cross compiler and the sources the lean build
# needs: scripts/deps.sh installs what is missing when run as root, and says
# what to install otherwise.
for tool in zip readelf patchelf autoreconf "$triplet-gcc" "$triplet-strip"; do
  command -v "$tool" >/dev/null 2>&1 || { "$root/scripts/deps.sh" package; break; }
done
[ -f "/usr/lib/$triplet/liblua5.4.a" ] || "$root/scripts/deps.sh" package
strip_tool=$triplet-strip

# ---- The runtime binary ----------------------------------------------------

# The lean dependencies (built once, then cached: this only prints where).
prefix=$("$root/scripts/lean-deps.sh" "$arch") ||
  die "scripts/lean-deps.sh $arch failed"

mkdir -p "$build_dir"
build_dir=$(cd "$build_dir" && pwd -P)
cache="$build_dir/CMakeCache.txt"
binary="$build_dir/bootstrap"
if [ -f "$cache" ] || [ ! -f "$binary" ] || [ "$rebuild" = 1 ]; then
  if [ ! -f "$cache" ]; then
    echo "package.sh: configuring a lean $arch Release build in $build_dir" >&2
    "$root/scripts/deps.sh" build
    cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release \
      -DLRT_BUILD_TESTS=OFF -DLRT_LEAN=ON -DLRT_LEAN_PREFIX="$prefix" \
      ${cross[@]+"${cross[@]}"} >/dev/null
  elif grep -q '^LRT_SANITIZE:BOOL=ON' "$cache"; then
    die "$build_dir is a sanitizer build; package a normal one (--build DIR)"
  elif ! grep -q "^CMAKE_C_COMPILER:[A-Z]*=.*$triplet-gcc\$" "$cache" &&
    { [ ${#cross[@]} -gt 0 ] || grep -q '^CMAKE_C_COMPILER:.*-linux-gnu-gcc$' "$cache"; }; then
    die "$build_dir is not an $arch build; give another --build DIR"
  elif ! grep -qx 'LRT_LEAN:BOOL=ON' "$cache" ||
    ! grep -qxF "LRT_LEAN_PREFIX:PATH=$prefix" "$cache"; then
    # A development build reused for packaging: make it the lean build.
    echo "package.sh: switching $build_dir to the lean build" >&2
    cmake -S "$root" -B "$build_dir" -DLRT_LEAN=ON \
      -DLRT_LEAN_PREFIX="$prefix" >/dev/null
  elif [ ! -f "$build_dir/Makefile" ] && [ ! -f "$build_dir/build.ninja" ]; then
    # A configure that failed half-way: finish it, keeping its settings.
    cmake -S "$root" -B "$build_dir" >/dev/null
  fi
  before=$(stat -c '%y %s' "$binary" 2>/dev/null || echo none)
  clean=()
  [ "$rebuild" = 1 ] && clean=(--clean-first)
  # The bootstrap target also copies the runtime's lua/*.lua beside the
  # binary; when nothing in src/ changed this runs no compiler.
  cmake --build "$build_dir" --target bootstrap "${clean[@]}" \
    -j"$(nproc)" >&2
  if [ "$before" = "$(stat -c '%y %s' "$binary")" ]; then
    echo "package.sh: runtime up to date in $build_dir (nothing compiled)" >&2
  else
    echo "package.sh: runtime built in $build_dir" >&2
  fi
fi
[ -x "$binary" ] || die "no runtime binary at $binary"
[ -d "$build_dir/lua" ] || die "no runtime Lua modules at $build_dir/lua"
readelf -hW "$binary" | grep -q "Machine:.*$elf_machine" ||
  die "$binary is not an $arch binary"

# ---- Staging ---------------------------------------------------------------

# The one folder the runtime takes in the zips; docs/deploy.md describes it.
rtname=lua-kafka-runtime
stage=$(mktemp -d "${TMPDIR:-/tmp}/lrt-package.XXXXXX")
trap 'rm -rf "$stage"' EXIT
rt="$stage/runtime" code="$stage/code"
mkdir -p "$rt/$rtname/lib" "$rt/$rtname/lua" "$code"

# The real binary, stripped (the build tree keeps its symbols; the dynamic
# symbol table, Lua's API for native modules, stays).
cp "$binary" "$stage/bootstrap.stripped"
"$strip_tool" --strip-all "$stage/bootstrap.stripped"
cp "$build_dir"/lua/*.lua "$rt/$rtname/lua/"

# Its loader (PT_INTERP) and the closure of its DT_NEEDED libraries, taken
# from the target's library directories: the C library's own (libc, libm)
# in the lean build. The multiarch directory comes first: it has Debian's
# security updates, which the cross toolchain's copy of the same glibc
# release does not get. Since glibc 2.34 the files and dns name services
# are part of libc.so.6, so no libnss_* module is needed to resolve names.
libdirs=("/lib/$triplet" "/usr/lib/$triplet" "/usr/$triplet/lib")
find_lib() { # soname -> path in the first libdir that has it
  local d
  for d in "${libdirs[@]}"; do
    [ -e "$d/$1" ] && { echo "$d/$1"; return 0; }
  done
  return 1
}
needed() { # ELF -> its DT_NEEDED sonames
  readelf -dW "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'
}
interp=$(readelf -lW "$binary" |
  sed -n 's/.*\[Requesting program interpreter: \(.*\)\]/\1/p')
[ -n "$interp" ] || die "$binary has no program interpreter (static?)"
loader=$(basename "$interp")
loader_path=$(find_lib "$loader") || die "no $loader in ${libdirs[*]}"
cp -L "$loader_path" "$rt/$rtname/lib/$loader"
todo=$(needed "$binary")
while [ -n "$todo" ]; do
  next=""
  for name in $todo; do
    [ -e "$rt/$rtname/lib/$name" ] && continue
    path=$(find_lib "$name") || die "$name (needed by the runtime) is not" \
      "in ${libdirs[*]}"
    cp -L "$path" "$rt/$rtname/lib/$name"
    next="$next $(needed "$path")"
  done
  todo=$next
done

# Lambda execs /var/task/bootstrap (function.zip) or /opt/bootstrap (the
# layer): a symlink to the binary, so that the runtime finds its lua/ folder
# beside the binary's real path. The binary names the packaged loader by
# its absolute path there (PT_INTERP), and the packaged lib/ likewise as
# DT_RPATH (not $ORIGIN: without /proc the loader would take it from the
# symlink's folder), which the loader searches before LD_LIBRARY_PATH, so
# Lambda's own library path cannot mix an Amazon Linux libc into the
# packaged one, while programs a handler starts still get it unchanged. A
# /bin/sh wrapper would do the same but cost a shell's start (about a
# millisecond of every cold start; docs/performance.md).
ln -s "$rtname/bootstrap" "$rt/bootstrap"
place_binary() { # where the zip is unpacked -> the binary for it, in $rt
  cp "$stage/bootstrap.stripped" "$rt/$rtname/bootstrap"
  patchelf --set-interpreter "$1/$rtname/lib/$loader" --force-rpath \
    --set-rpath "$1/$rtname/lib" "$rt/$rtname/bootstrap" ||
    die "patchelf failed on the runtime binary"
  chmod 755 "$rt/$rtname/bootstrap"
}

# The scripts, without test data, build files or anything hidden.
skip_reason() { # path relative to the scripts dir -> reason, or nothing
  local rel=$1 base=${1##*/} part g
  IFS=/ read -ra parts <<<"$rel"
  for part in "${parts[@]}"; do
    case "$part" in
      .*) echo "hidden"; return ;;
      build|build-*|CMakeFiles) echo "build files"; return ;;
    esac
  done
  for part in "${parts[@]:0:${#parts[@]}-1}"; do
    case "$part" in
      tests|test|spec|fixtures|events) echo "test data"; return ;;
    esac
  done
  case "$base" in
    event.json|event[-_.]*.json|events.json|*.event.json|*_spec.lua|*_test.lua)
      echo "test data"; return ;;
    CMakeLists.txt|CMakeCache.txt|Makefile|*.o|*.a|*.zip|*~|*.swp|*.orig|*.rej)
      echo "build files"; return ;;
  esac
  for g in ${excludes[@]+"${excludes[@]}"}; do
    # shellcheck disable=SC2053
    [[ $rel == $g ]] && { echo "--exclude $g"; return; }
  done
  return 0
}
count=0
while IFS= read -r -d '' f; do
  rel=${f#"$scripts_dir"/}
  why=$(skip_reason "$rel")
  if [ -n "$why" ]; then
    echo "package.sh: left out $rel ($why)" >&2
    continue
  fi
  mkdir -p "$code/$(dirname "$rel")"
  cp -L "$f" "$code/$rel"
  count=$((count + 1))
done < <(find "$scripts_dir" \( -type f -o -type l \) -print0 | sort -z)
[ "$count" -gt 0 ] || die "no scripts to package in $scripts_dir"

# The two names the runtime takes: a script by either name would replace
# it (function.zip) or shadow the layer's (a bootstrap in /var/task).
for reserved in bootstrap "$rtname"; do
  [ -e "$code/$reserved" ] &&
    die "scripts must not contain '$reserved' at the top: the runtime" \
      "uses that name (rename it, or move it into a folder)"
done

# Lambda runs the code as an unprivileged user: everything must be readable,
# the binaries executable.
chmod -R u=rwX,go=rX "$rt" "$code"
chmod 755 "$rt/$rtname/lib/$loader"

# ---- The zips --------------------------------------------------------------

mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd -P)
make_zip() { # name dir... (-y: bootstrap stays a symlink)
  local name=$1 d
  shift
  rm -f "$stage/$name"
  for d in "$@"; do
    (cd "$d" && zip -q -X -y -r "$stage/$name" .)
  done
  mv -f "$stage/$name" "$out_dir/$name"
}
place_binary /opt
make_zip runtime-layer.zip "$rt"
place_binary /var/task
make_zip function.zip "$rt" "$code"
make_zip code.zip "$code"

for z in function.zip runtime-layer.zip code.zip; do
  bytes=$(stat -c %s "$out_dir/$z")
  printf '%-18s %8s KiB  (%d bytes)  %s\n' "$z" \
    "$(((bytes + 1023) / 1024))" "$bytes" "$out_dir/$z"
done
