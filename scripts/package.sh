#!/usr/bin/env bash
# Package the runtime and a directory of Lua scripts for AWS Lambda.
#
# Writes three zips into --out (default dist/):
#   function.zip       the runtime plus the scripts: a complete provided.al2023
#                      (or provided.al2) function;
#   runtime-layer.zip  the runtime alone, laid out for a layer (/opt);
#   code.zip           the scripts alone, for functions that use the layer.
#
# The runtime ships with every shared library it needs, the C library and its
# dynamic loader included, in the manner of aws-lambda-cpp's packager: the zip
# root holds a small /bin/sh `bootstrap` that starts the real binary (bin/)
# through the packaged loader (lib/), so a binary built on a newer
# distribution never meets Amazon Linux's older C library. See docs/deploy.md.
#
# The binary is built only when the build directory has none; otherwise
# `cmake --build` brings it up to date, which compiles nothing when only Lua
# changed. Lua is never compiled: changing scripts and packaging again is the
# whole deploy.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: scripts/package.sh --scripts DIR [--out DIR] [--build DIR] [options]

Package the Lua runtime and the Lua scripts in DIR for AWS Lambda
(provided.al2023 / provided.al2, the architecture of this machine).

  --scripts DIR    the handler scripts (the task root: _HANDLER names a
                   module in it); required
  --out DIR        where the zips go (default: dist/ in the repository)
  --build DIR      the CMake build directory of the runtime (default:
                   build-release/ in the repository). Configured as a Release
                   build when it does not exist yet; otherwise reused, and
                   only brought up to date (no compiler runs when only Lua
                   changed).
  --rebuild        rebuild the runtime from clean first
  --exclude GLOB   also leave out script files whose path (relative to
                   --scripts) matches GLOB; may be repeated
  -h, --help       this text

Writes into --out:
  function.zip       bootstrap + bin/ + lib/ + lua/ (the runtime) and the
                     scripts at the root: upload as the function's code
  runtime-layer.zip  the runtime alone, for a layer (/opt/bootstrap)
  code.zip           the scripts alone, for a function using that layer

Left out of the scripts: hidden files, test data and build files (event*.json,
*.event.json, tests/ test/ spec/ fixtures/ events/ build*/ directories,
*_spec.lua, *_test.lua, CMakeLists.txt, *.o, *.a, *.zip, editor backups).
EOF
}

die() {
  echo "package.sh: $*" >&2
  exit 2
}

root=$(cd "$(dirname "$0")/.." && pwd -P)
scripts_dir="" out_dir="$root/dist" build_dir="$root/build-release"
rebuild=0
excludes=()
while [ $# -gt 0 ]; do
  case "$1" in
    --scripts) [ $# -ge 2 ] || die "--scripts needs a directory"
               scripts_dir=$2; shift 2 ;;
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

# zip, strip, readelf and ldd: scripts/deps.sh installs what is missing when
# run as root, and says what to install otherwise.
for tool in zip strip readelf ldd; do
  command -v "$tool" >/dev/null 2>&1 || { "$root/scripts/deps.sh" package; break; }
done

# ---- The runtime binary ----------------------------------------------------

mkdir -p "$build_dir"
build_dir=$(cd "$build_dir" && pwd -P)
cache="$build_dir/CMakeCache.txt"
binary="$build_dir/bootstrap"
if [ -f "$cache" ] || [ ! -f "$binary" ] || [ "$rebuild" = 1 ]; then
  if [ ! -f "$cache" ]; then
    echo "package.sh: configuring a Release build in $build_dir" >&2
    "$root/scripts/deps.sh" build
    cmake -S "$root" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release \
      -DLRT_BUILD_TESTS=OFF >/dev/null
  elif [ ! -f "$build_dir/Makefile" ] && [ ! -f "$build_dir/build.ninja" ]; then
    # A configure that failed half-way: finish it, keeping its settings.
    cmake -S "$root" -B "$build_dir" >/dev/null
  fi
  if grep -q '^LRT_SANITIZE:BOOL=ON' "$cache"; then
    die "$build_dir is a sanitizer build; package a normal one (--build DIR)"
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

# ---- Staging ---------------------------------------------------------------

stage=$(mktemp -d "${TMPDIR:-/tmp}/lrt-package.XXXXXX")
trap 'rm -rf "$stage"' EXIT
rt="$stage/runtime" code="$stage/code"
mkdir -p "$rt/bin" "$rt/lib" "$rt/lua" "$code"

# The real binary, stripped (the build tree keeps its symbols).
cp "$binary" "$rt/bin/bootstrap"
strip --strip-all "$rt/bin/bootstrap"
cp "$build_dir"/lua/*.lua "$rt/lua/"

# Its loader (PT_INTERP), then every library ldd resolves, copied under the
# name the binary asks for (the soname), symlinks followed.
interp=$(readelf -lW "$binary" |
  sed -n 's/.*\[Requesting program interpreter: \(.*\)\]/\1/p')
[ -n "$interp" ] || die "$binary has no program interpreter (static?)"
loader=$(basename "$interp")
cp -L "$interp" "$rt/lib/$loader"

ldd_out=$(ldd "$binary") || die "ldd failed on $binary"
if grep -q "not found" <<<"$ldd_out"; then
  die "unresolved libraries: $(grep 'not found' <<<"$ldd_out" | tr -s ' \t' ' ')"
fi
libc_path=""
while read -r name arrow path _; do
  if [ "$arrow" != "=>" ] || [ ! -f "$path" ]; then
    continue # linux-vdso.so.1, and the loader's own line
  fi
  cp -L "$path" "$rt/lib/$name"
  [ "$name" = libc.so.6 ] && libc_path=$path
done <<<"$ldd_out"

# glibc loads its name-service modules with dlopen, so ldd does not list
# them: without these, resolving a host name (AWS_LAMBDA_RUNTIME_API given
# as a name, or anything a handler connects to) would find no resolver.
if [ -n "$libc_path" ]; then
  libc_dir=$(dirname "$libc_path")
  for extra in libnss_files.so.2 libnss_dns.so.2 libresolv.so.2; do
    [ -f "$libc_dir/$extra" ] && [ ! -e "$rt/lib/$extra" ] &&
      cp -L "$libc_dir/$extra" "$rt/lib/$extra"
  done
fi

# The wrapper Lambda runs as bootstrap. The loader ignores LD_LIBRARY_PATH
# once given --library-path, so Lambda's own library path cannot mix an
# Amazon Linux libc into the packaged one. Started this way /proc/self/exe
# names the loader, so the runtime finds its lua/ folder from argv[0]:
# --argv0 makes that the wrapper, which sits beside lua/. A loader too old
# for --argv0 (glibc < 2.33) gets the folder through LUA_PATH instead.
# shellcheck disable=SC2016 # the $ belong to the wrapper, not to us
if "$interp" --help 2>/dev/null | grep -q -- '--argv0'; then
  start='--argv0 "$here/bootstrap" "$here/bin/bootstrap" "$@"'
  lua_path=''
else
  start='"$here/bin/bootstrap" "$@"'
  lua_path='export LUA_PATH="$here/lua/?.lua;$here/lua/?/init.lua${LUA_PATH:+;$LUA_PATH}"'
fi
# shellcheck disable=SC2016 # as above
{
  echo '#!/bin/sh'
  echo '# Starts the Lua runtime with the C library packaged beside it (lib/).'
  echo 'case "$0" in */*) here=${0%/*} ;; *) here=. ;; esac'
  echo 'here=$(cd "$here" && pwd -P) || exit 1'
  [ -z "$lua_path" ] || echo "$lua_path"
  echo "exec \"\$here/lib/$loader\" --library-path \"\$here/lib\" $start"
} >"$rt/bootstrap"

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

for reserved in bootstrap bin lib lua; do
  [ -e "$code/$reserved" ] &&
    die "scripts must not contain '$reserved' at the top: the runtime uses it"
done

# Lambda runs the code as an unprivileged user: everything must be readable,
# the binaries executable.
chmod -R u=rwX,go=rX "$rt" "$code"
chmod 755 "$rt/bootstrap" "$rt/bin/bootstrap" "$rt/lib/$loader"

# ---- The zips --------------------------------------------------------------

mkdir -p "$out_dir"
out_dir=$(cd "$out_dir" && pwd -P)
make_zip() { # name dir
  rm -f "$out_dir/$1"
  (cd "$2" && zip -q -X -r "$out_dir/$1" .)
}
make_zip runtime-layer.zip "$rt"
make_zip code.zip "$code"
# function.zip is the layer plus the scripts: compress the runtime once.
cp "$out_dir/runtime-layer.zip" "$stage/function.zip"
(cd "$code" && zip -q -X -r "$stage/function.zip" .)
mv -f "$stage/function.zip" "$out_dir/function.zip"

for z in function.zip runtime-layer.zip code.zip; do
  bytes=$(stat -c %s "$out_dir/$z")
  printf '%-18s %8s KiB  (%d bytes)  %s\n' "$z" \
    "$(((bytes + 1023) / 1024))" "$bytes" "$out_dir/$z"
done
